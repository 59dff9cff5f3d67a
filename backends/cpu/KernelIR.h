//===- KernelIR.h - the loop-level kernel IR of the CPU code generator -------------===//
//
// Between the partition (a `cpu.kernel` region of ATen ops) and LLVM IR, each kernel is
// a graph of its own in fxir's IR, made of the `kir.*` ops (their own op table,
// registered by registerTables) and the generator's scalar math:
//
//   graph @fxir_k0(%in0: f32[s0, 64] input, %in1: f32[64] input, %out0: f32[s0, 64] input) -> () {
//     %n0: symint<s0> = kir.size(0)
//     %n1: symint<64> = kir.size(1)
//     kir.for(%n0, ^0) ^0(%i0: int) {
//       kir.for(%n1, ^0) ^0(%i1: int) {
//         %0: f32[] = kir.load(%in0, [%i0, %i1])
//         %1: f32[] = kir.load(%in1, [%i1])
//         %mul: f32[] = aten.mul.Tensor(%0, %1)
//         kir.store(%out0, [%i0, %i1], %mul)
//         fxir.yield()
//       }
//       fxir.yield()
//     }
//     fxir.yield()
//   }
//
//  - The graph's inputs are the kernel's buffers (tensor operands, then results: the
//    KernelSpec's order), then its number operands (`float`, `int`, `bool`).
//  - `kir.size(d)`: size d of the iteration space, a run-time argument (typed with its
//    symbolic expression). `kir.for(%n, ^0[, vector=W]) ^0(%i: int)`: a loop over
//    [0, n). `kir.load(%buf, [idx...])` / `kir.store(%buf, [idx...], %v)`: one element,
//    converted between the buffer's dtype and the value's (f16/bf16 are f32 in
//    registers); an index is an enclosing loop variable or 0 (a broadcast dim: the
//    buffer's stride there is 0). Buffers of lower rank are indexed by the inner dims.
//  - Scalar math is the generator's pointwise ATen ops (KernelOps.def: a closed set) on
//    elements: 0-dim values (`f32[]`), with the same arguments as in the partition.
//  - Scheduling is rewriting at this level: `vectorizeInner` marks the innermost loop
//    `vector=W` (W lanes a step, then a masked remainder of the same code);
//    `parallelizeOuter` turns the loop nest into one `kir.tiles([%n0, ...], ^0,
//    vector=W) ^0(%i0: int, ...)`: tiles (a row of the outer dims and a chunk of the
//    inner one) run on threads through the runtime's fxir_parallel_tiles. Both are
//    passes too (`cpu-vectorize{lanes=W}`, `cpu-parallelize`), so fxir-opt shows them.
//  - A native loop (KernelSpec::loop): dim 0 is the loop's steps, `kir.size(0)`, a
//    `kir.for(%steps, ^0, sequential=1) ^0(%t: int)` around the nest; its Steps and
//    Stacked buffers are indexed [%t, ...]; a carried value is read by
//    `kir.carried(%init, %carry, [idx...])` (the init's element at step 0, then the
//    carry buffer's, which each step stores). `parallelizeOuter` keeps the steps in
//    order inside each tile: `kir.tiles([%n0, ...], ^0, vector=W, steps=%steps)
//    ^0(%t: int, %i0: int, ...)`.
//  - The emitter (Emit.cpp) reads only the scheduled form; `--emit=kernels` prints it.
//
// Does not: decide what is fused (Partition.cpp) or generate code (Emit.cpp).
//===----------------------------------------------------------------------------===//
#pragma once

#include <memory>

#include "fxir/backends/cpu/Cpu.h"
#include "fxir/ir/Graph.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace fxir::cpu {

inline constexpr llvm::StringLiteral kKirSize = "kir.size";
inline constexpr llvm::StringLiteral kKirFor = "kir.for";
inline constexpr llvm::StringLiteral kKirTiles = "kir.tiles";
inline constexpr llvm::StringLiteral kKirLoad = "kir.load";
inline constexpr llvm::StringLiteral kKirStore = "kir.store";
inline constexpr llvm::StringLiteral kKirCarried = "kir.carried";

/// The rank of the tensor a kernel-IR element `v` belongs to: a kir.load's buffer's, or
/// the kernel's rank `kernelRank` for an element op (every op of a kernel has the
/// kernel's shape). What type promotion and TensorIterator's casts see of an element.
size_t elementTensorRank(const Value *v, unsigned kernelRank);

/// The result dtype ATen's type promotion gives for element op `op`'s schema
/// arguments `args` in kernel IR, where every element is a 0-dim value: an element's
/// promotion class is its tensor's. A kir.load's is its buffer's (a tensor of rank > 0,
/// or a 0-dim tensor); an element op's is the kernel's rank `kernelRank` (every op of a
/// kernel has the kernel's shape); number inputs and constants are numbers.
std::optional<DType> kernelIRResultType(const Op &op, llvm::ArrayRef<unsigned> args,
                                        unsigned kernelRank);

/// The kir.* op rows (registerTables registers them with the cpu.kernel row).
llvm::ArrayRef<OpInfo> kernelIROpRows();

/// Kernel `k` as a loop nest (unscheduled), in the Context of the partitioned graph.
absl::StatusOr<std::unique_ptr<Graph>> lowerToKernelIR(const KernelSpec &k);

/// Rewrite: the innermost kir.for runs in vectors of `lanes` (vector=lanes).
absl::Status vectorizeInner(Graph &kir, unsigned lanes);
/// Rewrite: the loop nest (its innermost loop vectorized) becomes one kir.tiles.
absl::Status parallelizeOuter(Graph &kir);

/// Checks a kernel-IR graph: inputs, the op table, indices, the nest. Errors name the
/// op. `scheduled`: it must also be in the form the emitter reads (one kir.tiles).
absl::Status verifyKernelIR(const Graph &kir, bool scheduled);

/// Kernel IR lives in the partitioned program's Context, which nothing else changes
/// once the program is finished (Context.h: finished programs are read by many
/// threads). So scheduleKernelIR builds it, and this deleter destroys it, under one
/// process-wide lock: two compiles of one shared Program on two threads stay safe.
/// (Each compile leaves its kernel IR's provenance records in the Context.)
struct KernelIRDeleter {
  void operator()(Graph *g) const;
};
using KernelIRGraph = std::unique_ptr<Graph, KernelIRDeleter>;

/// lowerToKernelIR, then vectorizeInner(lanes) and parallelizeOuter, verified.
absl::StatusOr<KernelIRGraph> scheduleKernelIR(const KernelSpec &k, unsigned lanes);

/// `--emit=kernels`: a header comment (the kernel, what it fuses with their source
/// lines) and the scheduled kernel IR's text, which fxir-opt parses back.
absl::StatusOr<std::string> kernelIRText(const KernelSpec &k, unsigned lanes);

/// The passes cpu-vectorize and cpu-parallelize (registered by registerTables).
std::unique_ptr<Pass> createVectorizePass(const PassOptions &options);
llvm::ArrayRef<PassOptionSpec> vectorizeOptions();
std::unique_ptr<Pass> createParallelizePass(const PassOptions &options);
llvm::ArrayRef<PassOptionSpec> parallelizeOptions();

} // namespace fxir::cpu
