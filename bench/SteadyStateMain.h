//===- SteadyStateMain.h - benchmark main with a steady-state allocator ---------------===//
// glibc would otherwise hand a freed large graph back to the kernel after every
// iteration, so each large iteration would start by page-faulting its memory in again
// while small ones reuse warm pages. Keeping freed memory in the process makes every
// size measure the same thing (docs/benchmarks.md reports the cold cost apart).
#pragma once

#include <malloc.h>

#include <benchmark/benchmark.h>

#define FXIR_STEADY_STATE_BENCHMARK_MAIN()                                                \
  int main(int argc, char **argv) {                                                       \
    mallopt(M_TRIM_THRESHOLD, 1 << 30);                                                   \
    mallopt(M_MMAP_THRESHOLD, 1 << 30);                                                   \
    mallopt(M_TOP_PAD, 256 << 20);                                                        \
    benchmark::Initialize(&argc, argv);                                                   \
    if (benchmark::ReportUnrecognizedArguments(argc, argv))                               \
      return 1;                                                                           \
    benchmark::RunSpecifiedBenchmarks();                                                  \
    benchmark::Shutdown();                                                                \
    return 0;                                                                             \
  }
