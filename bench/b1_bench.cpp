//===- b1_bench.cpp - B1: fused pointwise chains, fxir cpu and interp, and a copy ---===//
//
//   fxir-bench-b1 MODEL.pt2 INPUTS.safetensors [google benchmark flags]
//
// Driven by bench/b1_pointwise.py, which times eager and torch.compile on the same
// inputs in the same run and writes the table of docs/benchmarks.md. Measures, steady
// state (after warm-up, outputs dropped between calls):
//   - cpu/run and interp/run: one call of the compiled program; counters: page faults
//     per call (getrusage minor faults), elements per second;
//   - copy: a STREAM-like copy of the input into a preallocated output of the same size
//     (the memory-traffic bound of a pointwise chain: one read, one write), by ATen's
//     copy_, which is vectorized and splits over the same threads as the kernels;
// and once, before the loop, the cold compile of each backend (compile_ms counters).
//===----------------------------------------------------------------------------===//
#include <sys/resource.h>

#include <chrono>
#include <cstring>
#include <iostream>

#include <benchmark/benchmark.h>

#include <ATen/ops/empty_like.h>

#include "BenchProgram.h"

namespace {

long minorFaults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

using fxir::bench::BenchProgram;
constexpr const char *kTool = "fxir-bench-b1";

void runBackend(benchmark::State &state, const std::string &backend) {
  BenchProgram &c = fxir::bench::benchProgram(kTool, backend);
  for (int i = 0; i < 2; ++i) // warm-up
    (void)c.exe->run(c.inputs);
  int64_t numel = c.inputs[0].toTensor().numel();
  long faults = 0;
  for (auto _ : state) {
    long f0 = minorFaults();
    auto outs = c.exe->run(c.inputs);
    if (!outs.ok()) {
      state.SkipWithError(std::string(outs.status().message()).c_str());
      break;
    }
    benchmark::DoNotOptimize(outs);
    // (the outputs are dropped at the end of each iteration)
    faults += minorFaults() - f0;
  }
  state.counters["page_faults_per_call"] =
      benchmark::Counter(static_cast<double>(faults) / std::max<int64_t>(state.iterations(), 1));
  state.counters["compile_ms"] = c.compileMs;
  state.SetItemsProcessed(state.iterations() * numel);
}

void BM_cpu(benchmark::State &s) { runBackend(s, "cpu"); }
void BM_interp(benchmark::State &s) { runBackend(s, "interp"); }

void BM_copy(benchmark::State &state) {
  BenchProgram &c = fxir::bench::benchProgram(kTool, "interp");
  at::Tensor in = c.inputs[0].toTensor().contiguous();
  at::Tensor out = at::empty_like(in);
  size_t bytes = in.nbytes();
  out.copy_(in); // touch every page first
  for (auto _ : state) {
    out.copy_(in);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * 2 * static_cast<int64_t>(bytes));
}

} // namespace

int main(int argc, char **argv) {
  fxir::bench::takeModelArgs(kTool, argc, argv);
  benchmark::RegisterBenchmark("cpu/run", BM_cpu)->Unit(benchmark::kMillisecond)->UseRealTime();
  benchmark::RegisterBenchmark("interp/run", BM_interp)->Unit(benchmark::kMillisecond)->UseRealTime();
  benchmark::RegisterBenchmark("copy", BM_copy)->Unit(benchmark::kMillisecond)->UseRealTime();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
