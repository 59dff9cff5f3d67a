//===- call_overhead_bench.cpp - the C++ API's cost of one call -------------------===//
//
//   fxir-bench-call MODEL.pt2 INPUTS.safetensors [Google Benchmark flags]
//
// Executable::run on the same inputs in a loop, for the cpu and interp backends, next
// to ATen's own `at::add` of the first two inputs (what an eager C++ caller pays): the
// per-call overhead issue 18 asks to keep <= 1 us for a 4-element add
// (bench/call_overhead.py writes that program; docs/benchmarks.md has the figures).
// Nothing else runs in the loop (no page-fault counting: getrusage costs ~0.5 us).
//===----------------------------------------------------------------------------===//
#include <iostream>
#include <map>

#include <benchmark/benchmark.h>

#include <ATen/ops/add.h>

#include "BenchProgram.h"

namespace {

using fxir::bench::BenchProgram;
constexpr const char *kTool = "fxir-bench-call";

void runBackend(benchmark::State &state, const std::string &backend) {
  BenchProgram &c = fxir::bench::benchProgram(kTool, backend);
  for (int i = 0; i < 100; ++i) // warm-up
    (void)c.exe->run(c.inputs);
  for (auto _ : state) {
    auto outs = c.exe->run(c.inputs);
    if (!outs.ok()) {
      state.SkipWithError(std::string(outs.status().message()).c_str());
      break;
    }
    benchmark::DoNotOptimize(outs);
  }
}

void BM_cpu(benchmark::State &s) { runBackend(s, "cpu"); }
void BM_interp(benchmark::State &s) { runBackend(s, "interp"); }
void BM_aten_add(benchmark::State &state) {
  BenchProgram &c = fxir::bench::benchProgram(kTool, "interp");
  at::Tensor a = c.inputs.at(0).toTensor(), b = c.inputs.at(1).toTensor();
  for (auto _ : state)
    benchmark::DoNotOptimize(at::add(a, b));
}

} // namespace

int main(int argc, char **argv) {
  fxir::bench::takeModelArgs(kTool, argc, argv);
  benchmark::RegisterBenchmark("cpu/run", BM_cpu)->Unit(benchmark::kMicrosecond)->UseRealTime();
  benchmark::RegisterBenchmark("interp/run", BM_interp)->Unit(benchmark::kMicrosecond)->UseRealTime();
  benchmark::RegisterBenchmark("aten::add", BM_aten_add)->Unit(benchmark::kMicrosecond)->UseRealTime();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
