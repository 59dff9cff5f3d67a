//===- CSE.cpp - common subexpression elimination ------------------------------------===//
//
// Merges an op into an earlier identical one in the same region: same name, operands,
// args and result types, pure (Effects.h) and without regions. The kept op's provenance
// becomes the merge of both (with the most informative source location) and records
// (cse, merged ...). An op that writes an argument is a barrier: nothing before it is
// reused after it, since what it read may have changed. Ops in different regions are
// never merged.
//===----------------------------------------------------------------------------===//
#include <unordered_map>
#include <vector>

#include "fxir/ir/Builder.h"
#include "fxir/passes/Effects.h"
#include "fxir/passes/PassRegistry.h"

#include "llvm/ADT/Hashing.h"

namespace fxir {
namespace {

size_t hashOp(const Op &op) {
  llvm::hash_code h = llvm::hash_value(op.name().data());
  for (unsigned i = 0; i < op.numOperands(); ++i)
    h = llvm::hash_combine(h, op.operandValue(i));
  for (const Arg &a : op.args())
    h = llvm::hash_combine(h, a.name, hashAttr(a.value));
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
    std::unordered_multimap<size_t, Op *> seen;
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
      size_t h = hashOp(op);
      Op *earlier = nullptr;
      auto range = seen.equal_range(h);
      for (auto s = range.first; s != range.second && !earlier; ++s)
        if (sameOp(*s->second, op))
          earlier = s->second;
      if (!earlier) {
        seen.emplace(h, &op);
        continue;
      }
      Context &ctx = rw.context();
      std::string action = "merged with " + op.provenance()->nodeName.str();
      earlier->setProvenance(
          ctx.merged({earlier->provenance(), op.provenance()}, rw.passName(), action));
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
