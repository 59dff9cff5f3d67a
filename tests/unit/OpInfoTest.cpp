//===- OpInfoTest.cpp - op identity, typed control-flow views, Op::clone ---------===//
#include "fxir/ir/Builder.h"
#include "fxir/ir/ControlFlow.h"
#include "fxir/ir/Context.h"
#include "fxir/ir/OpInfo.h"
#include "fxir/ir/OpSchema.h"
#include "fxir/ir/TextFormat.h"
#include "fxir/ir/Verifier.h"
#include "fxir/ir/ViewOps.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace fxir;

namespace {

std::unique_ptr<Graph> parseOk(Context &ctx, llvm::StringRef text) {
  absl::StatusOr<std::unique_ptr<Graph>> g = parseGraph(ctx, text, "t.fxir");
  EXPECT_TRUE(g.ok()) << g.status();
  return g.ok() ? std::move(*g) : nullptr;
}

Op *find(Graph &g, llvm::StringRef name) {
  Op *found = nullptr;
  g.walk([&](Op &o) {
    if (!found && o.name() == name)
      found = &o;
  });
  return found;
}

const char *kLoops = R"(graph @g(%x: f32[4, 3] input, %p: bool[] input) -> (output, output) {
  %n: int = fxir.constant(4)
  %z: f32[3] = aten.zeros.default([3], dtype=f32, layout=none, device=none, pin_memory=none)
  %r: f32[3] = fxir.for(%n, ^0, [%z]) ^0(%i: int, %c: f32[3]) {
    %s: f32[3] = aten.select.int(%x, 0, %i)
    %a: f32[3] = aten.add.Tensor(%c, %s, alpha=1)
    fxir.yield(%a)
  }
  %q: f32[4, 3] = fxir.if(%p, ^0, ^1) ^0() {
    fxir.yield(%x)
  } ^1() {
    %m: f32[4, 3] = aten.neg.default(%x)
    fxir.yield(%m)
  }
  fxir.yield(%r, %q)
})";

TEST(OpInfo, ResolvedOnceFromTheName) {
  Context ctx;
  auto g = parseOk(ctx, kLoops);
  ASSERT_TRUE(g);
  Op *loop = find(*g, "fxir.for"), *add = find(*g, "aten.add.Tensor"),
     *yield = g->body().terminator();
  ASSERT_TRUE(loop && add && yield);
  EXPECT_TRUE(loop->is(FxirOp::For));
  EXPECT_EQ(loop->info().regions, RegionLayout::LoopBody);
  EXPECT_TRUE(loop->info().pure);
  EXPECT_TRUE(yield->isTerminator());
  EXPECT_FALSE(yield->info().pure);
  // ATen ops carry their schema and its tags.
  EXPECT_EQ(add->info().kind, OpInfo::Kind::Dispatcher);
  ASSERT_TRUE(add->schema());
  EXPECT_EQ(add->schema()->fullName(), "aten::add.Tensor");
  EXPECT_TRUE(add->info().hasTag("pointwise"));
  EXPECT_TRUE(add->info().pure);
  // The same name gives the same row; in-place ops write.
  EXPECT_EQ(lookupOpInfo("aten.add.Tensor"), &add->info());
  EXPECT_TRUE(lookupOpInfo("aten.add_.Tensor")->writes);
  EXPECT_FALSE(lookupOpInfo("aten.add_.Tensor")->pure);
}

TEST(OpInfo, GenericAndUnknownRows) {
  EXPECT_EQ(lookupOpInfo("higher_order.scan")->hop, HopKind::Scan);
  EXPECT_EQ(lookupOpInfo("higher_order.with_effects")->hop, HopKind::Other);
  EXPECT_FALSE(lookupOpInfo("higher_order.with_effects")->pure);
  EXPECT_TRUE(lookupOpInfo("_operator.add")->pure);
  EXPECT_EQ(lookupOpInfo("_operator.add")->kind, OpInfo::Kind::Python);
  EXPECT_EQ(lookupOpInfo("aten.no_such_op.default")->kind, OpInfo::Kind::Unknown);
  EXPECT_EQ(lookupOpInfo("fxir.nope")->kind, OpInfo::Kind::Unknown);
  // Random ops advance a generator: an effect, from the schema's tag.
  EXPECT_FALSE(lookupOpInfo("aten.rand.default")->pure);
  EXPECT_EQ(fxirOpName(FxirOp::InsertSlice), "fxir.insert_slice");
}

TEST(OpInfo, TablesOfLaterLayersRegister) {
  static const OpInfo rows[] = {{"kernel.test_load", OpInfo::Kind::Registered, FxirOp::None,
                                 HopKind::None, nullptr, 0, RegionLayout::None, true, false,
                                 false, false, "a test row"}};
  EXPECT_EQ(lookupOpInfo("kernel.test_load")->kind, OpInfo::Kind::Unknown);
  registerOpTable(rows);
  registerOpTable(rows); // idempotent
  EXPECT_EQ(lookupOpInfo("kernel.test_load"), &rows[0]);
  Context ctx;
  Provenance p;
  p.nodeName = "k";
  Op *op = Op::create(ctx, "kernel.test_load", {}, {}, {ctx.intType()}, 0, ctx.provenance(p));
  EXPECT_EQ(&op->info(), &rows[0]);
  std::vector<Diagnostic> diags;
  EXPECT_TRUE(verifyOp(*op, diags)) << (diags.empty() ? "" : diags[0].message);
}

TEST(ControlFlow, ViewsDecodeTheLayoutOnce) {
  Context ctx;
  auto g = parseOk(ctx, kLoops);
  ASSERT_TRUE(g);
  std::optional<ForOp> loop = ForOp::get(*find(*g, "fxir.for"));
  ASSERT_TRUE(loop);
  EXPECT_EQ(loop->numCarried(), 1u);
  EXPECT_EQ(loop->inits()[0]->name(), "z");
  EXPECT_EQ(loop->tripCount()->name(), "n");
  EXPECT_EQ(loop->body().numArgs(), 2u);
  EXPECT_FALSE(ForOp::get(*find(*g, "fxir.if")));
  std::optional<IfOp> iff = IfOp::get(*find(*g, "fxir.if"));
  ASSERT_TRUE(iff);
  EXPECT_EQ(iff->elseRegion().ops().front().name(), "aten.neg.default");
}

TEST(ControlFlow, HopViewsByRole) {
  Context ctx;
  auto g = parseOk(ctx, R"(graph @g(%x: f32[4, 3] input, %b: f32[3] input) -> (output, output) {
  %z: f32[3] = aten.zeros.default([3], dtype=f32, layout=none, device=none, pin_memory=none)
  %c: f32[3], %ys: f32[4, 3] = higher_order.scan(^0, [%z], [%x], [%b]) ^0(%carry: f32[3], %xi: f32[3], %bb: f32[3]) {
    %a: f32[3] = aten.add.Tensor(%carry, %xi, alpha=1)
    %y: f32[3] = aten.add.Tensor(%a, %bb, alpha=1)
    fxir.yield(%a, %y)
  }
  fxir.yield(%c, %ys)
})");
  ASSERT_TRUE(g);
  Op *scan = find(*g, "higher_order.scan");
  std::optional<HopView> v = HopView::get(*scan);
  ASSERT_TRUE(v) << HopView::problem(*scan);
  EXPECT_EQ(v->kind(), HopKind::Scan);
  EXPECT_EQ(v->carried()[0]->name(), "z");
  EXPECT_EQ(v->xs()[0]->name(), "x");
  EXPECT_EQ(v->additional()[0]->name(), "b");
  EXPECT_EQ(v->body().numArgs(), 3u);
}

TEST(Op, CloneMapsOperandsAndCopiesRegions) {
  Context ctx;
  auto g = parseOk(ctx, kLoops);
  ASSERT_TRUE(g);
  Op *loop = find(*g, "fxir.for");
  Value *x = g->body().arg(0);
  // A copy of the loop that reads a fresh %n2 instead of %n.
  Rewriter rw(*g, "test-clone");
  rw.setInsertionPoint(loop);
  rw.setRoot(loop, "made the trip count");
  Value *n2 = rw.create(FxirOp::Constant, {}, {{{}, Attr::integer(2)}}, {ctx.intType()})->result(0);
  rw.clearRoot();
  ValueMap map;
  map[loop->operandValue(0)] = n2;
  Op *copy = rw.clone(*loop, map, "cloned");
  EXPECT_EQ(copy->name(), "fxir.for");
  EXPECT_EQ(copy->operandValue(0), n2);
  EXPECT_EQ(copy->operandValue(1), loop->operandValue(1));
  ASSERT_EQ(copy->numRegions(), 1u);
  Region &body = copy->region(0);
  EXPECT_NE(&body, &loop->region(0));
  EXPECT_EQ(body.numArgs(), 2u);
  // Nested ops use the copy's region arguments, and captured values stay as they were.
  const Op &select = body.ops().front();
  EXPECT_EQ(select.operandValue(0), x);
  EXPECT_EQ(select.operandValue(1), body.arg(0));
  EXPECT_EQ(map[loop->result(0)], copy->result(0));
  EXPECT_TRUE(copy->provenance()->touchedBy("test-clone"));
  EXPECT_TRUE(select.provenance()->touchedBy("test-clone"));
  EXPECT_EQ(copy->result(0)->name(), "r");
  // The copy is unused; it verifies and removing it leaves the original intact.
  EXPECT_TRUE(verify(*g).ok()) << verify(*g);
  copy->erase();
  EXPECT_TRUE(verify(*g).ok()) << verify(*g);
}

} // namespace

namespace {

// Every row of ir/ViewOps.def names operators of the schema table whose results the
// schema itself marks as aliases (or maybe-aliasing), and is found on their info rows.
TEST(ViewOps, TableAgreesWithTheSchemaTable) {
  const OpSchemaTable &table = OpSchemaTable::builtin();
  for (const ViewInfo &v : viewOps()) {
    size_t matched = 0;
    for (const OpSchema &s : table.all()) {
      std::string full = s.ns + "." + s.name + "." + (s.overload.empty() ? "default" : s.overload);
      std::string family = s.ns + "." + s.name;
      if (full != v.name && (family != v.name || s.isMutating()))
        continue;
      ++matched;
      bool aliases = s.hasTag("maybe_aliasing_or_mutating");
      for (const SchemaReturn &r : s.returns)
        if (const AliasInfo *a = r.type.anyAlias(); a && !a->isWrite)
          aliases = true;
      EXPECT_TRUE(aliases || v.kind == ViewKind::Conditional)
          << full << " is in ViewOps.def but its schema marks no alias";
      EXPECT_EQ(lookupOpInfo(full)->view, lookupViewOp(full)) << full;
    }
    EXPECT_GT(matched, 0u) << v.name.str() << " names no operator of the schema table";
  }
  EXPECT_EQ(lookupOpInfo("aten.select.int")->view->kind, ViewKind::Select);
  EXPECT_EQ(lookupOpInfo("aten.to.dtype")->view->kind, ViewKind::Conditional);
  EXPECT_EQ(lookupOpInfo("aten.add.Tensor")->view, nullptr);
}

TEST(Type, LayoutIsStatedOrExplicitlyUnknown) {
  Context ctx;
  const SymExpr *two = ctx.constant(2), *three = ctx.constant(3), *one = ctx.constant(1);
  const Type *c = ctx.tensorType(DType::Float32, {two, three});
  const Type *same = ctx.tensorType(DType::Float32, {two, three}, {three, one});
  const Type *t = ctx.tensorType(DType::Float32, {three, two}, {one, three});
  const Type *u = ctx.tensorTypeWithUnknownLayout(DType::Float32, {two, three});
  EXPECT_EQ(c, same); // contiguous strides are not stored
  EXPECT_TRUE(c->isContiguous());
  EXPECT_FALSE(t->isContiguous());
  EXPECT_FALSE(u->isContiguous());
  EXPECT_FALSE(u->layoutKnown());
  EXPECT_NE(u, c);
  EXPECT_EQ(u->str(), "f32[2, 3]{?}");
  EXPECT_EQ(ctx.permutedType(c, {1, 0}), t);
  EXPECT_EQ(ctx.permutedType(t, {1, 0}), c);
  EXPECT_FALSE(ctx.permutedType(u, {1, 0})->layoutKnown());
  EXPECT_EQ(ctx.withDType(u, DType::Float16)->str(), "f16[2, 3]{?}");
}

} // namespace
