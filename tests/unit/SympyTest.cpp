//===- SympyTest.cpp - torch.export's sympy text into SymExprs ---------------------===//
// srepr (SymInt values) and plain str (range_constraints keys, older archives) forms.
// Real archives are covered by tests/lit/pt2 and the corpus import check.
#include "fxir/frontends/pt2/Sympy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace fxir;
using ::testing::HasSubstr;

namespace {
struct SympyTest : ::testing::Test {
  Context ctx;
  const Symbol *s0 = *ctx.declareSymbol("s0", 2, 64, 4, false);
  const Symbol *u0 = *ctx.declareSymbol("u0", std::nullopt, std::nullopt, std::nullopt, true);
  std::function<const Symbol *(llvm::StringRef)> lookup = [this](llvm::StringRef n) {
    return ctx.lookupSymbol(n);
  };
  const SymExpr *parse(llvm::StringRef text) {
    absl::StatusOr<const SymExpr *> e = pt2::parseSympy(ctx, text, lookup);
    EXPECT_TRUE(e.ok()) << e.status();
    return e.ok() ? *e : nullptr;
  }
};
} // namespace

TEST_F(SympyTest, SreprAndPlainFormsAgree) {
  const SymExpr *twoS0 = ctx.mul(ctx.constant(2), ctx.sym(s0));
  EXPECT_EQ(parse("Mul(Integer(2), Symbol('s0', positive=True, integer=True))"), twoS0);
  EXPECT_EQ(parse("2*s0"), twoS0);
  EXPECT_EQ(parse("Add(Symbol('u0', integer=True), Integer(1))"),
            ctx.add(ctx.sym(u0), ctx.constant(1)));
  EXPECT_EQ(parse("FloorDiv(Symbol('s0', positive=True, integer=True), Integer(2))"),
            ctx.floorDiv(ctx.sym(s0), ctx.constant(2)));
  EXPECT_EQ(parse("(s0//2)"), ctx.floorDiv(ctx.sym(s0), ctx.constant(2)));
  EXPECT_EQ(parse("PythonMod(s0, 3)"), ctx.mod(ctx.sym(s0), ctx.constant(3)));
  EXPECT_EQ(parse("s0 % 3"), ctx.mod(ctx.sym(s0), ctx.constant(3)));
  EXPECT_EQ(parse("Max(1, s0)"), ctx.max({ctx.constant(1), ctx.sym(s0)}));
  EXPECT_EQ(parse("s0**2"), ctx.mul(ctx.sym(s0), ctx.sym(s0)));
  EXPECT_EQ(parse("-s0 + 8"), ctx.sub(ctx.constant(8), ctx.sym(s0)));
  EXPECT_EQ(parse("CeilToInt(IntTrueDiv(s0, 3))")->str(), "CeilToInt(IntTrueDiv(s0, 3))");
  EXPECT_EQ(parse("Integer(-9223372036854775808)"), ctx.constant(INT64_MIN));
}

TEST_F(SympyTest, CollectsSymbolsWithTheirAssumptions) {
  std::vector<pt2::SympySymbolRef> refs;
  pt2::collectSympySymbols(
      "Add(Symbol('s7', positive=True, integer=True), Symbol('u3', integer=True))", refs);
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(refs[0].name, "s7");
  EXPECT_TRUE(refs[0].positive);
  EXPECT_EQ(refs[1].name, "u3");
  EXPECT_FALSE(refs[1].positive);
}

TEST_F(SympyTest, BadTextIsAnErrorNamingIt) {
  auto bad = [&](llvm::StringRef text) {
    absl::StatusOr<const SymExpr *> e = pt2::parseSympy(ctx, text, lookup);
    EXPECT_FALSE(e.ok()) << text.str();
    return e.ok() ? std::string() : std::string(e.status().message());
  };
  EXPECT_THAT(bad("Symbol('s9', integer=True)"), HasSubstr("unknown symbol `s9`"));
  EXPECT_THAT(bad("Mul(Integer(2), s0"), HasSubstr("cannot read symbolic expression `Mul(Integer(2), s0`"));
  EXPECT_THAT(bad("Integer(99999999999999999999)"), HasSubstr("bad integer"));
  EXPECT_THAT(bad(std::string(500, '(') + "s0" + std::string(500, ')')),
              HasSubstr("nested too deeply"));
  EXPECT_THAT(bad("s0 $ 2"), HasSubstr("unexpected text"));
  EXPECT_THAT(bad(std::string(2 << 20, ' ') + "s0"), HasSubstr("too long"));
  std::string manyTerms = "s0";
  for (int i = 0; i < 5000; ++i)
    manyTerms += " + " + std::to_string(i);
  EXPECT_THAT(bad(manyTerms), HasSubstr("more than 4096 terms"));
}

TEST_F(SympyTest, LongInputsStayCheap) {
  // A long run of unary minuses is counted, not recursed into.
  EXPECT_EQ(parse(std::string(300000, '-') + "s0"), ctx.sym(s0));
  EXPECT_EQ(parse(std::string(300001, '-') + "s0"), ctx.mul(ctx.constant(-1), ctx.sym(s0)));
  // A sum of 4000 terms is normalized once.
  std::string sum = "s0";
  for (int i = 0; i < 3999; ++i)
    sum += " + s0";
  EXPECT_EQ(parse(sum), ctx.mul(ctx.constant(4000), ctx.sym(s0)));
}

// Index algebra: floordiv and mod by a positive divisor split the dividend when the rest
// provably lies in [0, divisor), from symbol ranges and loop indices' extents.
TEST(IndexAlgebra, FloorDivAndModUseRanges) {
  fxir::Context ctx;
  absl::StatusOr<const fxir::Symbol *> n = ctx.declareSymbol("s0", 1, 64, 8, false);
  absl::StatusOr<const fxir::Symbol *> m = ctx.declareSymbol("s1", 2, 64, 4, false);
  ASSERT_TRUE(n.ok() && m.ok());
  const fxir::SymExpr *N = ctx.sym(*n), *M = ctx.sym(*m);
  const fxir::Symbol *i = ctx.indexSymbol("i", ctx.constant(16));
  const fxir::Symbol *j = ctx.indexSymbol("j", N);
  const fxir::Symbol *k = ctx.indexSymbol("k", M);
  const fxir::SymExpr *I = ctx.sym(i), *J = ctx.sym(j), *K = ctx.sym(k);
  // (i*n + j) // n = i and % n = j, for j < n.
  const fxir::SymExpr *flat = ctx.add(ctx.mul(I, N), J);
  EXPECT_EQ(ctx.floorDiv(flat, N), I);
  EXPECT_EQ(ctx.mod(flat, N), J);
  // Three levels: (i*n*m + j*m + k) // m = i*n + j, % m = k; // (n*m) = i.
  const fxir::SymExpr *flat3 = ctx.add({ctx.mul({I, N, M}), ctx.mul(J, M), K});
  EXPECT_EQ(ctx.floorDiv(flat3, M), ctx.add(ctx.mul(I, N), J));
  EXPECT_EQ(ctx.mod(flat3, M), K);
  EXPECT_EQ(ctx.floorDiv(flat3, ctx.mul(N, M)), I);
  // Constant divisors and extents.
  EXPECT_EQ(ctx.floorDiv(ctx.add(ctx.mul(ctx.constant(16), J), I), ctx.constant(16)), J);
  EXPECT_EQ(ctx.mod(ctx.add(ctx.mul(ctx.constant(16), J), I), ctx.constant(16)), I);
  // Not provable: j may reach n, which is not below m; and a negative rest.
  EXPECT_EQ(ctx.floorDiv(ctx.add(ctx.mul(I, M), J), M)->kind(), fxir::SymExpr::Kind::FloorDiv);
  EXPECT_EQ(ctx.mod(ctx.sub(ctx.mul(I, N), J), N)->kind(), fxir::SymExpr::Kind::Mod);
  // Bounds.
  EXPECT_EQ(ctx.upperBound(I), std::optional<int64_t>(15));
  EXPECT_EQ(ctx.upperBound(ctx.add(ctx.mul(ctx.constant(4), I), ctx.constant(3))),
            std::optional<int64_t>(63));
  EXPECT_EQ(ctx.lowerBound(ctx.mod(N, M)), std::optional<int64_t>(0));
  EXPECT_TRUE(ctx.provablyNonNegative(ctx.add(ctx.mul(I, N), J)));
  EXPECT_FALSE(ctx.provablyNonNegative(ctx.sub(J, I)));
  // A negative coefficient swaps a product's bounds: 16 - i lies in [1, 16], 64 - s0 in
  // [0, 63], and s1 - s0 has no lower bound it can prove non-negative.
  EXPECT_EQ(ctx.lowerBound(ctx.sub(ctx.constant(16), I)), std::optional<int64_t>(1));
  EXPECT_EQ(ctx.upperBound(ctx.sub(ctx.constant(16), I)), std::optional<int64_t>(16));
  EXPECT_EQ(ctx.lowerBound(ctx.sub(ctx.constant(64), N)), std::optional<int64_t>(0));
  EXPECT_EQ(ctx.upperBound(ctx.mul(ctx.constant(-3), N)), std::optional<int64_t>(-3));
  EXPECT_TRUE(ctx.provablyNonNegative(ctx.sub(ctx.constant(16), I)));
  EXPECT_FALSE(ctx.provablyNonNegative(ctx.sub(M, N)));
  // Shape symbols alone: (4*s0 + 3) // 4 = s0 exactly.
  EXPECT_EQ(ctx.floorDiv(ctx.add(ctx.mul(ctx.constant(4), N), ctx.constant(3)), ctx.constant(4)), N);
}
