//===- pass_bench.cpp - dce, cse, canonicalize at 10^3 .. 10^6 ops ----------------------===//
// A synthetic graph with work for every pass: per step, two identical adds (cse merges
// one), their product, a dead relu (dce), and static sym_size arithmetic (canonicalize
// folds it, dce then removes it). Each iteration runs one pass on a fresh graph (built
// outside the timing). Reports ops/s over the graph's op count; scaling is linear when
// time per op at 10^6 stays within 2x of 10^4 (docs/benchmarks.md). functionalize and
// lower-control-flow run on a second graph with in-place writes through views and a
// scan per step (buildStatefulGraph).
#include "fxir/ir/Builder.h"
#include "fxir/ir/Context.h"
#include "fxir/ir/Verifier.h"
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

// Work for functionalize and lower-control-flow: per step, a clone of the running
// value, a slice of it written in place (add_ through the view), a read of the base,
// and a scan whose two-op body adds x to the carry (six ops, one region).
std::unique_ptr<Graph> buildStatefulGraph(Context &ctx, int64_t steps) {
  const Type *t = ctx.tensorType(DType::Float32, llvm::ArrayRef<int64_t>{8, 64});
  const Type *row = ctx.tensorType(DType::Float32, llvm::ArrayRef<int64_t>{64});
  const Type *half = ctx.tensorType(DType::Float32, llvm::ArrayRef<int64_t>{4, 64});
  auto g = std::make_unique<Graph>(ctx, "stateful");
  Value *x = g->body().addArg(t, ctx.name("x"));
  g->inputSpecs().push_back(InputSpec{});
  Builder b(*g);
  Provenance p;
  p.nodeName = "n";
  p.source.file = "model.py";
  p.source.line = 1;
  const Provenance *prov = ctx.provenance(p);
  auto ops = [](std::initializer_list<Attr> as) {
    llvm::SmallVector<Arg, 6> args;
    for (const Attr &a : as)
      args.push_back({{}, a});
    return args;
  };
  Value *prev = x;
  for (int64_t i = 0; i < steps; ++i) {
    Value *c = b.create("aten.clone.default", {prev},
                        {{{}, Attr::operand(0)}, {ctx.intern("memory_format"), Attr::none()}}, {t},
                        prov)->result(0);
    Value *s = b.create("aten.slice.Tensor", {c},
                        ops({Attr::operand(0), Attr::integer(0), Attr::integer(0), Attr::integer(4),
                             Attr::integer(1)}),
                        {half}, prov)->result(0);
    b.create("aten.add_.Scalar", {s}, ops({Attr::operand(0), Attr::integer(1), Attr::integer(1)}),
             {half}, prov);
    Value *m = b.create("aten.mul.Tensor", {c, x}, ops({Attr::operand(0), Attr::operand(1)}), {t}, prov)
                   ->result(0);
    Value *init = b.create("aten.select.int", {m}, ops({Attr::operand(0), Attr::integer(0), Attr::integer(0)}),
                           {row}, prov)->result(0);
    Op *scan = b.create("higher_order.scan", {init, m},
                        ops({Attr::region(0), Attr::list(ctx.copy(llvm::ArrayRef<Attr>{Attr::operand(0)})),
                             Attr::list(ctx.copy(llvm::ArrayRef<Attr>{Attr::operand(1)})),
                             Attr::list({})}),
                        {row, t}, prov, /*numRegions=*/1);
    Region &body = scan->region(0);
    Value *carry = body.addArg(row), *xt = body.addArg(row);
    Builder in(*g);
    in.setInsertionPointToEnd(body);
    Value *n = in.create("aten.add.Tensor", {carry, xt}, ops({Attr::operand(0), Attr::operand(1)}), {row}, prov)
                   ->result(0);
    in.create("fxir.yield", {n, n}, ops({Attr::operand(0), Attr::operand(1)}), {}, prov);
    prev = scan->result(1);
  }
  b.create("fxir.yield", {prev}, ops({Attr::operand(0)}), {}, prov);
  g->outputSpecs().push_back(OutputSpec{});
  return g;
}

void runPass(benchmark::State &state, const char *name, bool stateful = false) {
  const PassInfo *info = lookupPass(name);
  int64_t steps = state.range(0) / 6; // six ops a step
  size_t ops = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto ctx = std::make_unique<Context>();
    auto g = stateful ? buildStatefulGraph(*ctx, steps) : buildGraph(*ctx, steps);
    if (absl::Status st = verify(*g); !st.ok()) {
      state.SkipWithError(("the synthetic graph does not verify: " +
                           std::string(st.message()).substr(0, 300)).c_str());
      break;
    }
    ops = g->numOps();
    auto pass = info->create(PassOptions::defaults(info->options()));
    PassStatistics stats;
    PassContext pctx(info->name, stats, stagesOf(*g));
    if (getenv("FLUSH")) free(malloc(size_t(1) << 22));
    state.ResumeTiming();
    absl::StatusOr<bool> changed = pass->run(*g, pctx);
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
void BM_Functionalize(benchmark::State &s) { runPass(s, "functionalize", true); }
void BM_LowerControlFlow(benchmark::State &s) { runPass(s, "lower-control-flow", true); }

} // namespace

BENCHMARK(BM_DCE)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CSE)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Canonicalize)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Functionalize)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LowerControlFlow)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond);


FXIR_STEADY_STATE_BENCHMARK_MAIN()
