//===- IRTest.cpp - symbolic dims, use lists, builder provenance, verifier, parser --===//
// API-level checks of the IR. Text-level round trips and invalid IR are tested in
// tests/lit/ir/*.fxir.
#include "fxir/ir/Builder.h"
#include "fxir/ir/Context.h"
#include "fxir/ir/Graph.h"
#include "fxir/ir/TextFormat.h"
#include "fxir/ir/Verifier.h"

#include <functional>
#include <random>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace fxir;
using ::testing::HasSubstr;

namespace {
std::string msg(const absl::Status &st) { return std::string(st.message()); }

const Symbol *declare(Context &ctx, llvm::StringRef name, std::optional<int64_t> lo = 0,
                      std::optional<int64_t> hi = std::nullopt) {
  absl::StatusOr<const Symbol *> s = ctx.declareSymbol(name, lo, hi, std::nullopt, false);
  EXPECT_TRUE(s.ok()) << s.status();
  return *s;
}

const Provenance *prov(Context &ctx, llvm::StringRef node, llvm::StringRef file = "model.py",
                       uint32_t line = 1) {
  Provenance p;
  p.nodeName = node;
  p.source.file = file;
  p.source.line = line;
  return ctx.provenance(p);
}

std::unique_ptr<Graph> parseOk(Context &ctx, llvm::StringRef text) {
  absl::StatusOr<std::unique_ptr<Graph>> g = parseGraph(ctx, text, "t.fxir");
  EXPECT_TRUE(g.ok()) << g.status();
  return g.ok() ? std::move(*g) : nullptr;
}
} // namespace

TEST(SymExpr, PythonFloorSemantics) {
  EXPECT_EQ(floorDiv(-7, 2), -4);
  EXPECT_EQ(floorDiv(7, -2), -4);
  EXPECT_EQ(floorDiv(-8, 2), -4);
  EXPECT_EQ(floorMod(-7, 2), 1);
  EXPECT_EQ(floorMod(7, -2), -1);
  EXPECT_EQ(floorMod(INT64_MIN, -1), 0);
  Context ctx;
  EXPECT_EQ(ctx.floorDiv(ctx.constant(-7), ctx.constant(2)), ctx.constant(-4));
  EXPECT_EQ(ctx.mod(ctx.constant(-7), ctx.constant(2)), ctx.constant(1));
}

TEST(SymExpr, NormalFormMakesEqualExpressionsIdentical) {
  Context ctx;
  const SymExpr *s0 = ctx.sym(declare(ctx, "s0")), *s1 = ctx.sym(declare(ctx, "s1"));
  const SymExpr *two = ctx.constant(2);
  EXPECT_EQ(ctx.add(ctx.mul(two, s0), s0), ctx.mul(ctx.constant(3), s0));
  EXPECT_EQ(ctx.mul(ctx.add(s0, ctx.constant(1)), two), ctx.add(ctx.mul(two, s0), two));
  EXPECT_EQ(ctx.add(s1, s0), ctx.add(s0, s1));
  EXPECT_EQ(ctx.mul(s1, s0), ctx.mul(s0, s1));
  EXPECT_EQ(ctx.sub(s0, s0), ctx.constant(0));
  EXPECT_EQ(ctx.floorDiv(ctx.add(ctx.mul(ctx.constant(4), s0), ctx.constant(6)), two),
            ctx.add(ctx.mul(two, s0), ctx.constant(3)));
  EXPECT_EQ(ctx.mod(ctx.mul(ctx.constant(4), s0), two), ctx.constant(0));
  EXPECT_EQ(ctx.floorDiv(s0, ctx.constant(1)), s0);
  EXPECT_EQ(ctx.max({s0, s0, ctx.constant(3), ctx.constant(5)}), ctx.max({ctx.constant(5), s0}));
  EXPECT_EQ(ctx.min({ctx.constant(3)}), ctx.constant(3));
  EXPECT_NE(ctx.floorDiv(s0, two), ctx.mul(s0, ctx.constant(0))); // not folded away
}

TEST(SymExpr, PrintsReadably) {
  Context ctx;
  const SymExpr *s0 = ctx.sym(declare(ctx, "s0")), *s1 = ctx.sym(declare(ctx, "s1"));
  EXPECT_EQ(ctx.sub(s0, ctx.constant(1))->str(), "s0 - 1");
  EXPECT_EQ(ctx.sub(ctx.constant(1), ctx.mul(ctx.constant(2), s0))->str(), "-2*s0 + 1");
  EXPECT_EQ(ctx.sub(s1, s0)->str(), "-1*s0 + s1");
  EXPECT_EQ(ctx.mul(ctx.add(s0, ctx.constant(1)), s1)->str(), "s1 + s0*s1"); // expanded
  EXPECT_EQ(ctx.floorDiv(s0, ctx.constant(2))->str(), "floordiv(s0, 2)");
  EXPECT_EQ(ctx.call("CeilToInt", {s0})->str(), "CeilToInt(s0)");
  // The reserved names build the normalized kinds.
  EXPECT_EQ(ctx.call("max", {s0, s0}), s0);
}

TEST(SymExpr, Evaluate) {
  Context ctx;
  const Symbol *a = declare(ctx, "s0");
  const SymExpr *e = ctx.add(ctx.floorDiv(ctx.sym(a), ctx.constant(2)),
                             ctx.mod(ctx.sym(a), ctx.constant(3)));
  auto at = [&](int64_t v) {
    return e->evaluate([&](const Symbol *s) -> std::optional<int64_t> {
      if (s == a)
        return v;
      return std::nullopt;
    });
  };
  EXPECT_EQ(at(7), 3 + 1);
  EXPECT_EQ(at(-7), -4 + 2);
  EXPECT_FALSE(ctx.call("CeilToInt", {ctx.sym(a)})->evaluate([](const Symbol *) {
    return std::optional<int64_t>(1);
  }));
}

TEST(Context, SymbolsAndTypesAreUniqued) {
  Context ctx;
  const Symbol *s = declare(ctx, "s0", 2, 1024);
  EXPECT_EQ(*ctx.declareSymbol("s0", 2, 1024, std::nullopt, false), s);
  absl::StatusOr<const Symbol *> again = ctx.declareSymbol("s0", 1, 1024, std::nullopt, false);
  EXPECT_THAT(msg(again.status()), HasSubstr("symbol s0 is already declared"));
  EXPECT_THAT(msg(ctx.declareSymbol("s9", 5, 4, std::nullopt, false).status()),
              HasSubstr("empty range [5, 4]"));
  const Type *t = ctx.tensorType(DType::Float32, {ctx.sym(s), ctx.constant(3)});
  EXPECT_EQ(t, ctx.tensorType(DType::Float32, {ctx.sym(s), ctx.constant(3)}));
  EXPECT_NE(t, ctx.tensorType(DType::Float16, {ctx.sym(s), ctx.constant(3)}));
  EXPECT_EQ(t->str(), "f32[s0, 3]");
  EXPECT_EQ(ctx.tensorType(DType::BFloat16, {ctx.constant(3), ctx.constant(2)},
                           {ctx.constant(1), ctx.constant(3)}, "cuda:0")
                ->str(),
            "bf16[3, 2]{1, 3}@cuda:0");
  EXPECT_EQ(ctx.listType(ctx.optionalType(t))->str(), "list<optional<f32[s0, 3]>>");
  EXPECT_EQ(ctx.symIntType(ctx.sym(s))->str(), "symint<s0>");
  EXPECT_EQ(ctx.intern("abc").data(), ctx.intern(std::string("abc")).data());
}

TEST(Graph, UseListsAndReplaceAllUses) {
  Context ctx;
  Graph g(ctx, "g");
  const Type *t = ctx.tensorType(DType::Float32, llvm::ArrayRef<int64_t>{2});
  Value *x = g.body().addArg(t, ctx.name("x"));
  Value *y = g.body().addArg(t, ctx.name("y"));
  g.inputSpecs() = {InputSpec{}, InputSpec{}};
  Builder b(g);
  Op *add = b.createCall("aten.add.Tensor", {x, x}, {t}, prov(ctx, "add"));
  Op *neg = b.createCall("aten.neg.default", {add->result(0)}, {t}, prov(ctx, "neg"));
  b.createCall("fxir.yield", {neg->result(0)}, {}, prov(ctx, "output"));
  g.outputSpecs() = {OutputSpec{}};
  EXPECT_EQ(x->numUses(), 2u);
  EXPECT_EQ(y->numUses(), 0u);
  x->replaceAllUsesWith(y);
  EXPECT_EQ(x->numUses(), 0u);
  EXPECT_EQ(y->numUses(), 2u);
  EXPECT_EQ(add->operandValue(0), y);
  add->operand(1).set(x);
  EXPECT_EQ(x->numUses(), 1u);
  EXPECT_EQ(y->numUses(), 1u);
  EXPECT_TRUE(verify(g).ok()) << verify(g);
  EXPECT_EQ(g.numOps(), 3u);
}

TEST(Graph, ErasedOpMemoryIsReusedBySameSizedOps) {
  Context ctx;
  Graph g(ctx, "g");
  const Type *t = ctx.tensorType(DType::Float32, llvm::ArrayRef<int64_t>{2});
  Value *x = g.body().addArg(t, ctx.name("x"));
  const Provenance *p = prov(ctx, "n");
  Builder b(g);
  auto churn = [&] {
    std::vector<Op *> ops;
    for (int i = 0; i < 1000; ++i)
      ops.push_back(b.createCall("aten.neg.default", {x}, {t}, p));
    for (Op *op : ops)
      op->erase();
  };
  churn();
  // (Op args are copied into the Context's general arena, which is not recycled.)
  size_t after = ctx.opBytesAllocated();
  for (int round = 0; round < 5; ++round)
    churn();
  EXPECT_EQ(ctx.opBytesAllocated(), after); // every later op landed in an erased one's block
  EXPECT_EQ(x->numUses(), 0u);
  // Ops of another size get their own blocks, and the pool still hands out valid ops.
  Op *add = b.createCall("aten.add.Tensor", {x, x}, {t}, p);
  EXPECT_GT(ctx.opBytesAllocated(), after);
  EXPECT_EQ(add->operandValue(1), x);
  EXPECT_EQ(x->numUses(), 2u);
}

TEST(Rewriter, NewOpsCarryTheRootsProvenanceAndAPassRecord) {
  Context ctx;
  auto g = parseOk(ctx, R"(graph @g(%x: f32[2] input) -> (output) {
  %a: f32[2] = aten.add.Tensor(%x, %x)
  fxir.yield(%a)
})");
  ASSERT_TRUE(g);
  Op *add = &g->body().ops().front();
  Rewriter rw(*g, "test-pass");
  rw.setInsertionPoint(add);
  rw.setRoot(add, "rewrote add as mul");
  Op *mul = rw.create("aten.mul.Tensor", {add->operandValue(0), add->operandValue(1)},
                      {{{}, Attr::operand(0)}, {{}, Attr::operand(1)}}, {add->result(0)->type()});
  rw.replaceOp(add, {mul->result(0)});
  const Provenance *p = mul->provenance();
  EXPECT_EQ(p->nodeName, "a");
  EXPECT_EQ(p->source.line, 2u);
  ASSERT_EQ(p->history.size(), 1u);
  EXPECT_EQ(p->history[0].pass, "test-pass");
  EXPECT_EQ(p->history[0].action, "rewrote add as mul");
  EXPECT_TRUE(verify(*g).ok()) << verify(*g);
  EXPECT_THAT(printGraph(*g), HasSubstr("%a: f32[2] = aten.mul.Tensor(%x, %x)"));
}

TEST(Rewriter, MergedProvenanceListsAllSources) {
  Context ctx;
  const Provenance *noLoc = prov(ctx, "a", "", 0);
  const Provenance *withLoc = prov(ctx, "b", "model.py", 7);
  const Provenance *m = ctx.merged({noLoc, withLoc}, "cse", "merged");
  EXPECT_EQ(m->source.file, "model.py");
  EXPECT_EQ(m->source.line, 7u);
  EXPECT_EQ(m->sources.size(), 2u);
  EXPECT_TRUE(m->touchedBy("cse"));
}

TEST(RewriterDeathTest, CreatingWithoutARootIsAnInternalError) {
  EXPECT_DEATH(
      {
        Context ctx;
        Graph g(ctx, "g");
        Rewriter rw(g, "careless-pass");
        rw.create("aten.zeros.default", {}, {}, {});
      },
      "pass careless-pass created an op with no root op set");
}

TEST(Verifier, ReportsEveryProblemWithItsLocation) {
  Context ctx;
  Graph g(ctx, "g");
  const Type *t = ctx.tensorType(DType::Float32, llvm::ArrayRef<int64_t>{2});
  Value *x = g.body().addArg(t, ctx.name("x"));
  g.inputSpecs() = {InputSpec{}};
  Builder b(g);
  // A region that uses a value of its sibling region.
  Op *cond = b.create("higher_order.cond", {x},
                      {{{}, Attr::operand(0)}, {{}, Attr::region(0)}, {{}, Attr::region(1)}},
                      {t}, prov(ctx, "cond", "m.py", 3), 2);
  Builder inner(g);
  inner.setInsertionPointToEnd(cond->region(0));
  Op *neg = inner.createCall("aten.neg.default", {x}, {t}, prov(ctx, "neg", "m.py", 4));
  inner.createCall("fxir.yield", {neg->result(0)}, {}, prov(ctx, "y0", "m.py", 5));
  inner.setInsertionPointToEnd(cond->region(1));
  inner.createCall("fxir.yield", {neg->result(0)}, {}, prov(ctx, "y1", "m.py", 6));
  // No terminator at the graph level, and a wrong arg count for relu.
  b.createCall("aten.relu.default", {cond->result(0), x}, {t}, prov(ctx, "relu", "m.py", 8));
  std::vector<Diagnostic> diags;
  EXPECT_FALSE(verify(g, diags));
  std::string all;
  for (const Diagnostic &d : diags)
    all += d.str() + "\n";
  EXPECT_THAT(all, HasSubstr("m.py:6: error: fxir.yield (node y1): operand 0 (%) is not "
                             "defined before this op"));
  EXPECT_THAT(all, HasSubstr("m.py:8: error: aten.relu.default (node relu): takes at most 1 "
                             "arguments"));
  EXPECT_THAT(all, HasSubstr("the graph body must end in fxir.yield"));
}

TEST(Parser, ErrorsNameFileLineAndColumn) {
  Context ctx;
  auto bad = [&](llvm::StringRef text) {
    absl::StatusOr<std::unique_ptr<Graph>> g = parseGraph(ctx, text, "in.fxir");
    EXPECT_FALSE(g.ok());
    return g.ok() ? std::string() : msg(g.status());
  };
  EXPECT_EQ(bad("graph @g() -> () {\n  fxir.yield(%nope)\n}"),
            "in.fxir:2:14: error: use of undefined value %nope");
  EXPECT_EQ(bad("graph @g(%x: f33[2] input) -> () {}"), "in.fxir:1:14: error: unknown type `f33`");
  EXPECT_EQ(bad("graph @g(%x: f32[s9] input) -> () {}"),
            "in.fxir:1:18: error: undeclared symbol `s9` (declare it with `sym s9 : [min, max]`)");
  EXPECT_EQ(bad("graph @g() -> () {\n  %a: f32[2] = x.y(\"abc)\n}"),
            "in.fxir:2:20: error: unterminated string");
  EXPECT_EQ(bad("graph @g() -> () {\n  %a: int = x.y(99999999999999999999)\n}"),
            "in.fxir:2:17: error: integer `99999999999999999999` is out of range");
  EXPECT_EQ(bad("sym s0 : [4, 2]\ngraph @g() -> () {}"),
            "in.fxir:1:5: error: symbol s0 has an empty range [4, 2]");
  EXPECT_EQ(bad("graph @g(%x: f32[2] input, %x: f32[2] input) -> () {}"),
            "in.fxir:1:28: error: value %x is defined twice");
  EXPECT_EQ(bad("graph @g() -> () {\n  fxir.yield() loc #3\n}\n"),
            "in.fxir:2:20: error: provenance #3 is not defined");
  EXPECT_EQ(bad("graph @g() -> () {\n  x.y(^1) ^0() {\n  fxir.yield()\n  }\n}"),
            "in.fxir:2:3: error: argument refers to region ^1 but the op has 1 region(s)");
}

TEST(TextFormat, RoundTripsWithAndWithoutDebugInfo) {
  Context ctx;
  const char *text = R"(sym s0 : [2, 64] hint 4
sym u0 : [0, inf] unbacked
graph @g(%x: f32[s0, 3] input, %b: f32[3] buffer "bn.mean" non_persistent) -> (output, buffer_mutation "bn.mean") {
  %n: f32[s0, 3] = aten.neg.default(%x)
  %e: f32[u0, 3]{1, u0} = aten.index_put_.default(%n, [none, %x], %b, accumulate=true)
  %f: f64[] = aten.scalar_tensor.default(-1.5e-07, dtype=f64, layout=strided, device=device("cpu"), pin_memory=none)
  fxir.yield(%e, %b)
}
)";
  auto g = parseOk(ctx, text);
  ASSERT_TRUE(g);
  std::string once = printGraph(*g);
  EXPECT_EQ(once, text);
  Context ctx2;
  PrintOptions dbg;
  dbg.debugInfo = true;
  std::string withDebug = printGraph(*g, dbg);
  auto g2 = parseOk(ctx2, withDebug);
  ASSERT_TRUE(g2);
  EXPECT_EQ(printGraph(*g2, dbg), withDebug);
  EXPECT_THAT(withDebug, HasSubstr("#1 = prov(node \"e\", file \"t.fxir\", line 5, col 3)"));
}

// Property: an expression built any way prints to text that parses back to the very
// same (uniqued) expression, and equal polynomials built in different orders are one
// object.
TEST(SymExpr, RandomExpressionsRoundTripThroughText) {
  Context ctx;
  const Symbol *syms[] = {declare(ctx, "s0", 1), declare(ctx, "s1", 1), declare(ctx, "u0")};
  std::mt19937_64 rng(7);
  std::function<const SymExpr *(int)> gen = [&](int depth) -> const SymExpr * {
    unsigned pick = rng() % (depth <= 0 ? 2 : 9);
    switch (pick) {
    case 0: return ctx.constant(static_cast<int64_t>(rng() % 7) - 3);
    case 1: return ctx.sym(syms[rng() % 3]);
    case 2: return ctx.add(gen(depth - 1), gen(depth - 1));
    case 3: return ctx.sub(gen(depth - 1), gen(depth - 1));
    case 4: return ctx.mul(gen(depth - 1), gen(depth - 1));
    case 5: return ctx.floorDiv(gen(depth - 1), ctx.constant(1 + rng() % 4));
    case 6: return ctx.mod(gen(depth - 1), ctx.constant(1 + rng() % 4));
    case 7: return ctx.max({gen(depth - 1), gen(depth - 1)});
    default: return ctx.min({gen(depth - 1), gen(depth - 1)});
    }
  };
  int mismatches = 0;
  for (int i = 0; i < 5000; ++i) {
    const SymExpr *e = gen(4);
    std::string text = "graph @g(%x: symint<" + e->str() + "> input) -> () {\n  fxir.yield()\n}\n";
    absl::StatusOr<std::unique_ptr<Graph>> g = parseGraph(ctx, text, "p.fxir");
    ASSERT_TRUE(g.ok()) << g.status() << "\n" << text;
    const SymExpr *back = (*g)->body().arg(0)->type()->symExpr();
    if (back != e && ++mismatches <= 5)
      ADD_FAILURE() << "printed " << e->str() << ", read back " << back->str();
  }
  EXPECT_EQ(mismatches, 0);
  const SymExpr *s0 = ctx.sym(syms[0]), *x = ctx.floorDiv(ctx.sym(syms[1]), ctx.constant(2));
  const SymExpr *sum = ctx.add(s0, ctx.constant(1));
  EXPECT_EQ(ctx.mul(ctx.constant(2), ctx.mul(sum, x)), ctx.mul(ctx.mul(ctx.constant(2), sum), x));
}
