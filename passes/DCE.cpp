//===- DCE.cpp - dead code elimination ---------------------------------------------===//
//
// Removes ops whose results are all unused and that have no effect (Effects.h: writes,
// random generators, no results). Works inside regions too, innermost first and in
// reverse order, so chains of dead ops go in one run. Never removes a mutating or
// effectful op, a terminator, a region argument or a graph input.
//===----------------------------------------------------------------------------===//
#include "fxir/ir/Builder.h"
#include "fxir/passes/Effects.h"
#include "fxir/passes/PassRegistry.h"

namespace fxir {
namespace {

class DCEPass : public Pass {
public:
  absl::StatusOr<bool> run(Graph &g, PassContext &ctx) override {
    PassStatistics &stats = ctx.stats();
    effects_.reset();
    Rewriter rw(g, "dce");
    int64_t removed = 0;
    sweep(g.body(), rw, removed);
    stats["ops-removed"] += removed;
    return removed > 0;
  }

private:
  EffectAnalysis effects_;

  void sweep(Region &r, Rewriter &rw, int64_t &removed) {
    for (auto it = r.ops().rbegin(); it != r.ops().rend();) {
      Op &op = *it++;
      for (unsigned i = 0; i < op.numRegions(); ++i)
        sweep(op.region(i), rw, removed);
      bool used = false;
      for (unsigned i = 0; i < op.numResults() && !used; ++i)
        used = !op.result(i)->useEmpty();
      if (used || op.isTerminator() || effects_.hasEffect(op))
        continue;
      rw.eraseOp(&op);
      ++removed;
    }
  }
};

} // namespace

std::unique_ptr<Pass> createDCEPass(const PassOptions &) { return std::make_unique<DCEPass>(); }
llvm::ArrayRef<PassOptionSpec> dceOptions() { return {}; }

} // namespace fxir
