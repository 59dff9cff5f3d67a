//===- Emit.h - kernels to LLVM IR (internal to fxir::cpu) ----------------------===//
//
// The emitter's entry point, used by Jit.cpp: one function per kernel added to `m`.
//
// Does not: optimize, compile or pick the target (Jit.cpp).
//===----------------------------------------------------------------------------===//
#pragma once

#include "fxir/backends/cpu/Cpu.h"

#include "llvm/IR/Module.h"

namespace fxir::cpu {

/// Lanes of the inner loop's vectors for `vectorBits` (32-bit lanes: 16 for 512 bits).
unsigned lanesFor(int64_t vectorBits);

/// Adds kernel `k`'s functions to `m` from its scheduled kernel IR `kir`
/// (scheduleKernelIR; read only, so several threads may emit from one Context), its
/// entry point named `name`. Errors name the kernel and the ops it fuses.
/// `injectFailure`: CodegenOptions::injectFailure.
absl::Status emitKernel(llvm::Module &m, const KernelSpec &k, const Graph &kir,
                        llvm::StringRef name,
                        int64_t vectorBits, bool emulateEagerRounding,
                        llvm::StringRef injectFailure);

} // namespace fxir::cpu
