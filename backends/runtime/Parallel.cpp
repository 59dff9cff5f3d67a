//===- Parallel.cpp - fxir_parallel_tiles over torch's libgomp ----------------------===//
//
// Compiled with -fopenmp (compile flags only) and linked against torch's bundled
// libgomp by path (backends/runtime/CMakeLists.txt): Parallel.h says why. Nothing here
// throws; kernels called from here never see a C++ exception.
//===----------------------------------------------------------------------------===//
#include "fxir/backends/runtime/Parallel.h"

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdint>

#include <omp.h>

#include <ATen/Parallel.h>

namespace {
std::atomic<int64_t> g_largestTeam{0};

void noteTeam(int64_t n) {
  int64_t cur = g_largestTeam.load(std::memory_order_relaxed);
  while (n > cur && !g_largestTeam.compare_exchange_weak(cur, n, std::memory_order_relaxed)) {
  }
}
} // namespace

extern "C" int32_t fxir_parallel_tiles(fxir::cpu::TileFn tiles, void *ctx, int64_t rows,
                                    int64_t n, int64_t lanes, int64_t threads,
                                    int64_t steps) {
  if (rows <= 0 || n <= 0)
    return 0;
  // (Saturating: a native loop's element count times its steps.)
  int64_t elements = rows * n;
  if (steps > 1)
    elements = elements > INT64_MAX / steps ? INT64_MAX : elements * steps;
  int64_t use = std::min<int64_t>(threads, elements / fxir::runtime::kGrainElements);
  if (use <= 1 || omp_in_parallel()) {
    noteTeam(1);
    return tiles(ctx, 0, rows, n, 1);
  }
  int64_t chunk = n, perRow = 1;
  if (rows < use) {
    perRow = (use + rows - 1) / rows;
    chunk = (n + perRow - 1) / perRow;
    chunk = (chunk + lanes - 1) / lanes * lanes;
    perRow = (n + chunk - 1) / chunk;
  }
  int64_t count = rows * perRow;
  use = std::min(use, count);
  std::atomic<int64_t> ran{0};
  std::atomic<int32_t> errors{0};
#pragma omp parallel num_threads(static_cast<int>(use))
  {
    int64_t t = omp_get_thread_num(), team = omp_get_num_threads();
    int64_t begin = count * t / team, end = count * (t + 1) / team;
    if (begin < end) {
      ran.fetch_add(1, std::memory_order_relaxed);
      errors.fetch_or(tiles(ctx, begin, end, chunk, perRow), std::memory_order_relaxed);
    }
  }
  noteTeam(ran.load());
  return errors.load();
}

namespace fxir::runtime {

llvm::ArrayRef<cpu::RuntimeSymbol> kernelRuntimeSymbols() {
  static const cpu::RuntimeSymbol table[] = {
      {cpu::kParallelHelperSymbol, reinterpret_cast<void *>(&fxir_parallel_tiles)},
  };
  return table;
}

int64_t largestKernelTeam() { return g_largestTeam.load(); }
void resetLargestKernelTeam() { g_largestTeam.store(0); }

int64_t defaultKernelThreads() { return std::max(1, at::get_num_threads()); }

} // namespace fxir::runtime
