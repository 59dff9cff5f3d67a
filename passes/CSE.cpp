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

// The ops seen so far in a region, keyed by what they compute: open addressing with
// linear probing, sized once for the region (load at most 1/2), the hash stored next to
// the pointer so probes rarely read an op, and a generation number so that clearing it
// at a barrier costs nothing. lookupOrInsert can be told where the next ops will land
// (prefetch), which hides the memory latency of a large table.
class OpTable {
public:
  explicit OpTable(size_t expected) {
    size_t cap = 16;
    while (cap < 2 * expected)
      cap <<= 1;
    slots_.assign(cap, Slot{});
    mask_ = cap - 1;
  }
  void clear() { ++gen_; }
  void prefetch(unsigned hash) const { __builtin_prefetch(&slots_[hash & mask_]); }
  /// The earlier op identical to `op`, or null after recording `op`.
  Op *lookupOrInsert(unsigned hash, Op *op) {
    for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
      Slot &s = slots_[i];
      if (s.gen != gen_) {
        s = {hash, gen_, op};
        return nullptr;
      }
      if (s.hash == hash && sameOp(*s.op, *op))
        return s.op;
    }
  }

private:
  struct Slot {
    unsigned hash = 0;
    unsigned gen = 0; // 0: never used; a slot is live when gen == gen_
    Op *op = nullptr;
  };
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  unsigned gen_ = 1;
};

class CSEPass : public Pass {
public:
  absl::StatusOr<bool> run(Graph &g, PassStatistics &stats) override {
    effects_.reset();
    written_ = std::make_unique<WrittenValues>(g, effects_);
    Rewriter rw(g, "cse");
    int64_t merged = 0;
    visit(g.body(), rw, merged);
    stats["ops-merged"] += merged;
    return merged > 0;
  }

private:
  EffectAnalysis effects_;
  std::unique_ptr<WrittenValues> written_;

  // Pure, no regions, and no result written in place later (directly or through an
  // alias): two fresh tensors that are each written must stay two tensors.
  bool candidate(const Op &op) {
    if (op.numRegions() || !op.numResults() || op.isTerminator() || effects_.hasEffect(op))
      return false;
    for (unsigned i = 0; i < op.numResults(); ++i)
      if (written_->written(op.result(i)))
        return false;
    return true;
  }

  void visit(Region &r, Rewriter &rw, int64_t &merged) {
    // Regions first (their tables are their own), so the walk below sees no nesting.
    std::vector<Op *> ops;
    for (Op &op : r.ops()) {
      ops.push_back(&op);
      for (unsigned i = 0; i < op.numRegions(); ++i)
        visit(op.region(i), rw, merged);
    }
    OpTable seen(ops.size());
    // Prefetching pays only when the table is larger than the caches.
    constexpr size_t kAhead = 8;
    bool prefetch = ops.size() > (size_t(1) << 15);
    for (size_t k = 0; k < ops.size(); ++k) {
      Op &op = *ops[k];
      if (prefetch && k + kAhead < ops.size() && candidate(*ops[k + kAhead]))
        seen.prefetch(static_cast<unsigned>(hashOp(*ops[k + kAhead])));
      if (effects_.writes(op)) {
        seen.clear(); // a barrier: values read before may have changed
        continue;
      }
      if (!candidate(op))
        continue;
      Op *earlier = seen.lookupOrInsert(static_cast<unsigned>(hashOp(op)), &op);
      if (!earlier)
        continue;
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
