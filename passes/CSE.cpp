//===- CSE.cpp - common subexpression elimination ------------------------------------===//
//
// Merges an op into an earlier identical one in the same region: same name, operands,
// args and result types, pure (Effects.h) and without regions. The kept op's provenance
// becomes the merge of both (with the most informative source location) and records
// (cse, merged ...). An op that writes an argument is a barrier: nothing before it is
// reused after it, since what it read may have changed. Ops in different regions are
// never merged.
//===----------------------------------------------------------------------------===//
#include <vector>

#include "fxir/ir/Builder.h"
#include "fxir/passes/Effects.h"
#include "fxir/passes/PassRegistry.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/Hashing.h"

namespace fxir {
namespace {

size_t hashOp(const Op &op) {
  llvm::hash_code h = llvm::hash_value(op.name().data());
  for (unsigned i = 0; i < op.numOperands(); ++i)
    h = llvm::hash_combine(h, op.operandValue(i));
  for (const Arg &a : op.args()) // arg names are interned: hash the pointer
    h = llvm::hash_combine(h, a.name.data(), hashAttr(a.value));
  for (unsigned i = 0; i < op.numResults(); ++i)
    h = llvm::hash_combine(h, op.result(i)->type());
  return h;
}

bool sameOp(const Op &a, const Op &b) {
  if (a.name().data() != b.name().data() || a.numOperands() != b.numOperands() ||
      a.numResults() != b.numResults() || a.args().size() != b.args().size())
    return false;
  for (unsigned i = 0; i < a.numOperands(); ++i)
    if (a.operandValue(i) != b.operandValue(i))
      return false;
  for (size_t i = 0; i < a.args().size(); ++i)
    if (a.args()[i].name != b.args()[i].name || a.args()[i].value != b.args()[i].value)
      return false;
  for (unsigned i = 0; i < a.numResults(); ++i)
    if (a.result(i)->type() != b.result(i)->type())
      return false;
  return true;
}

// Ops keyed by what they compute, with the hash stored next to the pointer: an
// open-addressing set that neither allocates per entry nor re-reads ops when it grows.
struct Key {
  unsigned hash;
  Op *op;
};
struct KeyInfo {
  static Key getEmptyKey() { return {0, llvm::DenseMapInfo<Op *>::getEmptyKey()}; }
  static Key getTombstoneKey() { return {0, llvm::DenseMapInfo<Op *>::getTombstoneKey()}; }
  static unsigned getHashValue(const Key &k) { return k.hash; }
  static bool isEqual(const Key &a, const Key &b) {
    if (a.op == b.op)
      return true;
    if (a.hash != b.hash || isSpecial(a.op) || isSpecial(b.op))
      return false;
    return sameOp(*a.op, *b.op);
  }
  static bool isSpecial(const Op *op) {
    return op == llvm::DenseMapInfo<Op *>::getEmptyKey() ||
           op == llvm::DenseMapInfo<Op *>::getTombstoneKey();
  }
};

class CSEPass : public Pass {
public:
  absl::StatusOr<bool> run(Graph &g, PassStatistics &stats) override {
    Rewriter rw(g, "cse");
    int64_t merged = 0;
    visit(g.body(), rw, merged);
    stats["ops-merged"] += merged;
    return merged > 0;
  }

private:
  EffectAnalysis effects_;

  void visit(Region &r, Rewriter &rw, int64_t &merged) {
    llvm::DenseSet<Key, KeyInfo> seen;
    size_t n = 0;
    for (const Op &op : r.ops()) {
      (void)op;
      ++n;
    }
    seen.reserve(n);
    for (auto it = r.ops().begin(); it != r.ops().end();) {
      Op &op = *it++;
      for (unsigned i = 0; i < op.numRegions(); ++i)
        visit(op.region(i), rw, merged);
      if (effects_.writes(op)) {
        seen.clear(); // a barrier: values read before may have changed
        continue;
      }
      if (op.numRegions() || !op.numResults() || op.isTerminator() || effects_.hasEffect(op))
        continue;
      auto [slot, inserted] = seen.insert({static_cast<unsigned>(hashOp(op)), &op});
      if (inserted)
        continue;
      Op *earlier = slot->op;
      Context &ctx = rw.context();
      // Both ops stay listed as sources of the merged provenance.
      earlier->setProvenance(ctx.merged({earlier->provenance(), op.provenance()},
                                        rw.passName(), "merged a duplicate op"));
      llvm::SmallVector<Value *, 4> repl;
      for (unsigned i = 0; i < earlier->numResults(); ++i)
        repl.push_back(earlier->result(i));
      rw.replaceOp(&op, repl);
      ++merged;
    }
  }
};

} // namespace

std::unique_ptr<Pass> createCSEPass(const PassOptions &) { return std::make_unique<CSEPass>(); }
llvm::ArrayRef<PassOptionSpec> cseOptions() { return {}; }

} // namespace fxir
