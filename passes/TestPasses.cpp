//===- TestPasses.cpp - passes that break things on purpose ---------------------------===//
//
// Registered as test-* so the pass manager's checks can be tested from lit (as MLIR's
// test passes are): one creates an op without its (pass, action) record, one makes an
// op use a value before its definition. Never part of a named pipeline.
//===----------------------------------------------------------------------------===//
#include "fxir/ir/Builder.h"
#include "fxir/passes/PassRegistry.h"

namespace fxir {
namespace {

class UnrecordedOpPass : public Pass {
public:
  absl::StatusOr<bool> run(Graph &g, PassContext &) override {
    Builder b(g);
    if (g.body().empty())
      return false;
    b.setInsertionPoint(&g.body().ops().front());
    Provenance p;
    p.nodeName = "unrecorded";
    b.create(FxirOp::Constant, {}, {{{}, Attr::integer(0)}}, {g.context().intType()},
             g.context().provenance(p));
    return true;
  }
};

class BreakSSAPass : public Pass {
public:
  absl::StatusOr<bool> run(Graph &g, PassContext &) override {
    Op *yield = g.body().terminator();
    if (!yield || !yield->numOperands() || !yield->operandValue(0)->definingOp())
      return false;
    Rewriter rw(g, "test-break-ssa");
    rw.setInsertionPoint(&g.body().ops().front());
    rw.setRoot(yield, "used a value before its definition");
    Value *v = yield->operandValue(0);
    rw.create("aten.neg.default", {v}, {{{}, Attr::operand(0)}}, {v->type()});
    return true;
  }
};

} // namespace

std::unique_ptr<Pass> createUnrecordedOpPass(const PassOptions &) {
  return std::make_unique<UnrecordedOpPass>();
}
llvm::ArrayRef<PassOptionSpec> unrecordedOpOptions() { return {}; }
std::unique_ptr<Pass> createBreakSSAPass(const PassOptions &) {
  return std::make_unique<BreakSSAPass>();
}
llvm::ArrayRef<PassOptionSpec> breakSSAOptions() { return {}; }

} // namespace fxir
