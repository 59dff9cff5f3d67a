//===- CpuExecutable.h - the cpu backend's create function (driver/Backends.def) ----===//
//
// Compiles the kernels of a partitioned program (fxir::cpu, LLVM) and returns an
// Executable that runs them inside interp's evaluation of the other ops.
//
// Does not: partition (the driver runs the backend's lowering, cpu-partition, first).
//===----------------------------------------------------------------------------===//
#pragma once

#include <memory>

#include "fxir/backends/runtime/Executable.h"
#include "fxir/passes/Pass.h"

#include "absl/status/statusor.h"

namespace fxir::cpu {

/// The cpu backend's create function: schedules and compiles every cpu.kernel op of
/// `program` (options: target, vector-width, opt-level). Errors name the kernel, its
/// ops and their source lines.
absl::StatusOr<std::unique_ptr<runtime::Executable>>
create(std::shared_ptr<const Program> program, const PassOptions &options);

} // namespace fxir::cpu
