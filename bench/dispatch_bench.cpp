//===- dispatch_bench.cpp - cost of calling ATen by name, boxed ------------------===//
// The reference executor calls every op through the dispatcher, boxed, by name. This
// measures that against a direct unboxed ATen call on small and large tensors, so the
// executor's per-op overhead is a known number (docs/benchmarks.md).
#include "fxir/backends/runtime/AtenCall.h"

#include <ATen/ops/add.h>
#include <ATen/ops/randn.h>

#include <benchmark/benchmark.h>

static void BM_DirectAdd(benchmark::State &state) {
  at::Tensor a = at::randn({state.range(0)}), b = at::randn({state.range(0)});
  for (auto _ : state)
    benchmark::DoNotOptimize(at::add(a, b));
}

static void BM_BoxedAddByName(benchmark::State &state) {
  at::Tensor a = at::randn({state.range(0)}), b = at::randn({state.range(0)});
  for (auto _ : state) {
    auto r = fxir::runtime::callOp("aten::add", "Tensor", {a, b, c10::Scalar(1)});
    benchmark::DoNotOptimize(r);
  }
}

BENCHMARK(BM_DirectAdd)->Arg(16)->Arg(1 << 20);
BENCHMARK(BM_BoxedAddByName)->Arg(16)->Arg(1 << 20);
BENCHMARK_MAIN();
