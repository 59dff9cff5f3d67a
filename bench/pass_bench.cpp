//===- pass_bench.cpp - dce, cse, canonicalize at 10^3 .. 10^6 ops ----------------------===//
// A synthetic graph with work for every pass: per step, two identical adds (cse merges
// one), their product, a dead relu (dce), and static sym_size arithmetic (canonicalize
// folds it, dce then removes it). Each iteration runs one pass on a fresh graph (built
// outside the timing). Reports ops/s over the graph's op count; scaling is linear when
// time per op at 10^6 stays within 2x of 10^4 (docs/benchmarks.md).
#include "fxir/ir/Builder.h"
#include "fxir/ir/Context.h"
#include "fxir/passes/PassRegistry.h"

#include "SteadyStateMain.h"

using namespace fxir;

namespace {

std::unique_ptr<Graph> buildGraph(Context &ctx, int64_t steps) {
  const Type *t = ctx.tensorType(DType::Float32, llvm::ArrayRef<int64_t>{8, 64});
  auto g = std::make_unique<Graph>(ctx, "work");
  Value *x = g->body().addArg(t, ctx.name("x"));
  g->inputSpecs().push_back(InputSpec{});
  Builder b(*g);
  llvm::StringRef file = ctx.intern("model.py");
  Value *prev = x;
  std::string text;
  auto prov = [&](int64_t i, const char *what) {
    Provenance p;
    text = std::string(what) + "_" + std::to_string(i);
    p.nodeName = ctx.name(text).str();
    p.source.file = file;
    p.source.line = static_cast<uint32_t>(i % 100);
    return ctx.provenance(p);
  };
  auto call = [&](llvm::StringRef op, llvm::ArrayRef<Value *> in, const Type *rt,
                  const Provenance *p, llvm::ArrayRef<Arg> extra = {}) {
    llvm::SmallVector<Arg, 4> args;
    for (unsigned i = 0; i < in.size(); ++i)
      args.push_back({{}, Attr::operand(i)});
    args.append(extra.begin(), extra.end());
    Op *o = b.create(op, in, args, {rt}, p);
    o->result(0)->setName(ctx.name(p->nodeName));
    return o->result(0);
  };
  for (int64_t i = 0; i < steps; ++i) {
    Arg alpha{ctx.intern("alpha"), Attr::integer(1)};
    Value *a = call("aten.add.Tensor", {prev, x}, t, prov(i, "a"), {alpha});
    Value *c2 = call("aten.add.Tensor", {prev, x}, t, prov(i, "b"), {alpha});
    Value *m = call("aten.mul.Tensor", {a, c2}, t, prov(i, "m"));
    call("aten.relu.default", {a}, t, prov(i, "dead"));
    Value *s = call("aten.sym_size.int", {x}, ctx.symIntType(), prov(i, "s"),
                    {{{}, Attr::integer(1)}});
    call("_operator.mul", {s}, ctx.symIntType(), prov(i, "t"), {{{}, Attr::integer(2)}});
    prev = m;
  }
  Provenance out;
  out.nodeName = "output";
  b.create("fxir.yield", {prev}, {{{}, Attr::operand(0)}}, {}, ctx.provenance(out));
  g->outputSpecs().push_back(OutputSpec{});
  return g;
}

void runPass(benchmark::State &state, const char *name) {
  const PassInfo *info = lookupPass(name);
  int64_t steps = state.range(0) / 6; // six ops a step
  size_t ops = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto ctx = std::make_unique<Context>();
    auto g = buildGraph(*ctx, steps);
    ops = g->numOps();
    auto pass = info->create(PassOptions::defaults(info->options()));
    PassStatistics stats;
    if (getenv("FLUSH")) free(malloc(size_t(1) << 22));
    state.ResumeTiming();
    absl::StatusOr<bool> changed = pass->run(*g, stats);
    state.PauseTiming();
    if (!changed.ok() || !*changed)
      state.SkipWithError("the pass did no work");
    g.reset();
    ctx.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(ops));
}

void BM_DCE(benchmark::State &s) { runPass(s, "dce"); }
void BM_CSE(benchmark::State &s) { runPass(s, "cse"); }
void BM_Canonicalize(benchmark::State &s) { runPass(s, "canonicalize"); }

} // namespace

BENCHMARK(BM_DCE)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CSE)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Canonicalize)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond);


FXIR_STEADY_STATE_BENCHMARK_MAIN()
