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

#include "fxir/backends/runtime/Runtime.h"
#include "fxir/backends/runtime/TensorFile.h"

namespace {

std::string gModel, gInputs;

struct Compiled {
  std::unique_ptr<fxir::runtime::Executable> exe;
  std::vector<c10::IValue> inputs;
};

[[noreturn]] void fail(const std::string &what) {
  std::cerr << "fxir-bench-call: " << what << "\n";
  std::exit(1);
}

Compiled &compiled(const std::string &backend) {
  static std::map<std::string, Compiled> cache;
  auto it = cache.find(backend);
  if (it != cache.end())
    return it->second;
  Compiled c;
  fxir::runtime::CompileOptions o;
  o.backend = backend;
  auto exe = fxir::runtime::compile(gModel, o);
  if (!exe.ok())
    fail(std::string(exe.status().message()));
  c.exe = std::move(*exe);
  auto file = fxir::runtime::readTensorFile(gInputs);
  if (!file.ok())
    fail(std::string(file.status().message()));
  auto ins = fxir::runtime::inputsFromFile(*file, gInputs);
  if (!ins.ok())
    fail(std::string(ins.status().message()));
  c.inputs = *ins;
  return cache.emplace(backend, std::move(c)).first->second;
}

void runBackend(benchmark::State &state, const std::string &backend) {
  Compiled &c = compiled(backend);
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
  Compiled &c = compiled("interp");
  at::Tensor a = c.inputs.at(0).toTensor(), b = c.inputs.at(1).toTensor();
  for (auto _ : state)
    benchmark::DoNotOptimize(at::add(a, b));
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 3)
    fail("usage: fxir-bench-call MODEL.pt2 INPUTS.safetensors [benchmark flags]");
  gModel = argv[1];
  gInputs = argv[2];
  argv[2] = argv[0];
  argc -= 2;
  argv += 2;
  benchmark::RegisterBenchmark("cpu/run", BM_cpu)->Unit(benchmark::kMicrosecond)->UseRealTime();
  benchmark::RegisterBenchmark("interp/run", BM_interp)->Unit(benchmark::kMicrosecond)->UseRealTime();
  benchmark::RegisterBenchmark("aten::add", BM_aten_add)->Unit(benchmark::kMicrosecond)->UseRealTime();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
