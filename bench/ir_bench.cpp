//===- ir_bench.cpp - build, verify, print and parse at 10^3 .. 10^6 ops -------------===//
// A synthetic graph: a chain alternating aten.add.Tensor(prev, x) and
// aten.relu.default(prev) on f32[s0, 64], every op named and with its own provenance,
// as the .pt2 reader makes them. Reports ops/s (items_per_second) and heap bytes per op.
// Scaling is linear when time per op at 10^6 stays within 2x of 10^4
// (docs/benchmarks.md). Run with --benchmark_min_time=2 so large sizes repeat too.
#include "fxir/ir/Builder.h"
#include "fxir/ir/Context.h"
#include "fxir/ir/TextFormat.h"
#include "fxir/ir/Verifier.h"

#include "SteadyStateMain.h"

using namespace fxir;

namespace {

size_t heapInUse() { return mallinfo2().uordblks; }

std::unique_ptr<Graph> buildChain(Context &ctx, int64_t n) {
  const Symbol *s0 = *ctx.declareSymbol("s0", 2, 4096, 8, false);
  const Type *t = ctx.tensorType(DType::Float32, {ctx.sym(s0), ctx.constant(64)});
  auto g = std::make_unique<Graph>(ctx, "chain");
  Value *x = g->body().addArg(t, ctx.name("x"));
  g->inputSpecs().push_back(InputSpec{});
  Builder b(*g);
  Value *prev = x;
  std::string text;
  // As a frontend does: strings shared by many ops are interned once.
  llvm::StringRef file = ctx.intern("model.py"), module = ctx.intern("layers.0");
  for (int64_t i = 0; i < n; ++i) {
    text = (i % 2 ? "relu_" : "add_") + std::to_string(i);
    Name name = ctx.name(text);
    Provenance p;
    p.nodeName = name.str();
    p.source.file = file;
    p.source.line = static_cast<uint32_t>(10 + i % 50);
    p.modulePath = module;
    Op *op = i % 2 ? b.createCall("aten.relu.default", {prev}, {t}, ctx.provenance(p))
                   : b.createCall("aten.add.Tensor", {prev, x}, {t}, ctx.provenance(p));
    op->result(0)->setName(name);
    prev = op->result(0);
  }
  Provenance out;
  out.nodeName = "output";
  b.createCall("fxir.yield", {prev}, {}, ctx.provenance(out));
  g->outputSpecs().push_back(OutputSpec{});
  return g;
}

// Build and Parse time only the making of the graph; freeing it is outside the timing.
void BM_Build(benchmark::State &state) {
  size_t bytes = 0;
  for (auto _ : state) {
    size_t before = heapInUse();
    auto ctx = std::make_unique<Context>();
    auto g = buildChain(*ctx, state.range(0));
    bytes = heapInUse() - before;
    state.PauseTiming();
    g.reset();
    ctx.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["bytes/op"] = static_cast<double>(bytes) / state.range(0);
}

void BM_Verify(benchmark::State &state) {
  Context ctx;
  auto g = buildChain(ctx, state.range(0));
  for (auto _ : state)
    if (!verify(*g).ok())
      state.SkipWithError("verify failed");
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_Print(benchmark::State &state) {
  Context ctx;
  auto g = buildChain(ctx, state.range(0));
  size_t size = 0;
  for (auto _ : state) {
    std::string s = printGraph(*g);
    size = s.size();
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["text bytes/op"] = static_cast<double>(size) / state.range(0);
}

void BM_Parse(benchmark::State &state) {
  std::string text;
  {
    Context ctx;
    text = printGraph(*buildChain(ctx, state.range(0)));
  }
  size_t bytes = 0;
  for (auto _ : state) {
    size_t before = heapInUse();
    auto ctx = std::make_unique<Context>();
    auto g = parseGraph(*ctx, text, "chain.fxir");
    if (!g.ok())
      state.SkipWithError("parse failed");
    bytes = heapInUse() - before;
    state.PauseTiming();
    if (g.ok())
      g->reset();
    ctx.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["bytes/op"] = static_cast<double>(bytes) / state.range(0);
}

} // namespace

BENCHMARK(BM_Build)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Verify)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Print)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Parse)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond);

FXIR_STEADY_STATE_BENCHMARK_MAIN()
