//===- Interp.h - the reference executor on ATen (backend `interp`) ----------------===//
//
// Runs any fxir program by calling ATen operators through c10's dispatcher by name
// (boxed, with the operator's own schema: runtime/AtenOp.h), so every registered ATen op
// works without per-op code. It is the oracle that every other backend and every pass
// is checked against, and the fallback for ops no code generator handles.
//
// What it does natively: the control-flow higher-order ops (cond, while_loop, scan,
// map_impl) and their lowered forms (fxir.for, fxir.while, fxir.if, fxir.alloc,
// fxir.insert_slice, in place when nobody else can see the buffer) by running their
// regions; Python-level scalar ops (runtime/PythonOps.h); `fxir.constant`.
//
// Weights, input checks and mutation write-back are the runtime's (BoundProgram.h),
// shared with every backend. A program is immutable after create(): run() may be
// called from several threads at once.
//
// Does not: free intermediate values before the end of their region (memory peaks at
// the sum of a region's values), run on devices other than CPU, run custom objects,
// tokens (`with_effects`) or HOPs other than the four control-flow ones.
//===----------------------------------------------------------------------------===//
#pragma once

#include <memory>

#include "fxir/backends/runtime/Executable.h"
#include "fxir/passes/Pass.h"

#include "absl/status/statusor.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace fxir::interp {

/// Ops a code generator's runtime runs itself, inside interp's evaluation of the rest
/// (the cpu backend's cpu.kernel ops): every other op, the control flow around them,
/// the input checks and the mutation write-back stay interp's, shared, not copied.
class OpHandler {
public:
  virtual ~OpHandler() = default;
  virtual bool handles(const Op &op) const = 0;
  /// Runs `op` on its operands' values; sets one value per result. `lookup` gives the
  /// value of anything else in scope (what a region op's body uses from outside it;
  /// null when it has none).
  virtual absl::Status run(const Op &op, llvm::ArrayRef<c10::IValue> operands,
                           std::vector<c10::IValue> &results,
                           llvm::function_ref<const c10::IValue *(const Value *)> lookup) const = 0;
  /// The Executable's compileInfo().
  virtual std::map<std::string, std::string> compileInfo() const { return {}; }
};

/// An interp Executable that hands `handler`'s ops to it, named `backend`.
absl::StatusOr<std::unique_ptr<runtime::Executable>>
createWithHandler(std::shared_ptr<const Program> program,
                  std::shared_ptr<const OpHandler> handler, std::string backend);

/// The interp backend's create function (driver/Backends.def): binds the weights and
/// prepares every op. Errors name the weight or the op.
absl::StatusOr<std::unique_ptr<runtime::Executable>>
create(std::shared_ptr<const Program> program, const PassOptions &options);

} // namespace fxir::interp
