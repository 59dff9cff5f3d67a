//===- Parallel.h - the one thread pool kernels split their work over ----------------===//
//
// `fxir_parallel_tiles` (the runtime-helper ABI in backends/cpu/Cpu.h) is the only way
// generated kernels reach threads. It is compiled with -fopenmp and linked against the
// libgomp that torch's wheel bundles (the one libtorch_cpu loads), so ATen's parallel
// ops and fxir's kernels share one OpenMP pool: the process never holds two.
//
// The grain rule: a kernel of E elements (each element counted once per step of a
// native loop) runs on min(threads, E / kGrainElements)
// threads (ATen's GRAIN_SIZE), and on the calling thread when that is 1 or when the
// caller is already inside a parallel region; no threads are woken for small kernels.
// The tile space: one tile per row of the outer dims when there are at least as many
// rows as threads, otherwise each row cut into chunks of a multiple of the vector
// width; tiles are split statically into contiguous ranges, one per thread.
//
// Does not: own threads (libgomp does), balance uneven work (the split is static).
//===----------------------------------------------------------------------------===//
#pragma once

#include <cstdint>

#include "fxir/backends/cpu/Cpu.h"

extern "C" int32_t fxir_parallel_tiles(fxir::cpu::TileFn tiles, void *ctx, int64_t rows,
                                       int64_t n, int64_t lanes, int64_t threads,
                                       int64_t steps);

namespace fxir::runtime {

/// Elements a thread must get before a kernel is split further (ATen's GRAIN_SIZE).
inline constexpr int64_t kGrainElements = 32768;

/// The helper table compiled kernels link against.
llvm::ArrayRef<cpu::RuntimeSymbol> kernelRuntimeSymbols();

/// The most threads that ran tiles of one kernel call since the last reset (tests and
/// fxir-run --report: proof that threads really run).
int64_t largestKernelTeam();
void resetLargestKernelTeam();

/// The intra-op thread count a run uses when its program sets none: ATen's
/// (at::get_num_threads(), which torch.set_num_threads and OMP_NUM_THREADS set).
int64_t defaultKernelThreads();

} // namespace fxir::runtime
