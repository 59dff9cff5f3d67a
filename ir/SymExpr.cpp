//===- SymExpr.cpp - symbolic integer algebra: normal forms ---------------------===//
//
// The Context's SymExpr constructors (constant, sym, add, mul, floorDiv, mod, max, min,
// call) and what keeps expressions canonical (SymExpr.h); uniquing itself is
// Context::unique in Context.cpp.
//===----------------------------------------------------------------------------===//
#include "fxir/ir/Context.h"

#include <algorithm>
#include <vector>

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"

namespace fxir {

//===----------------------------------------------------------------------------===//
// Python integer semantics
//===----------------------------------------------------------------------------===//

int64_t floorDiv(int64_t a, int64_t b) {
  if (b == -1) // avoid INT64_MIN / -1 overflow: wrap like unsigned negation
    return static_cast<int64_t>(0 - static_cast<uint64_t>(a));
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0)))
    --q;
  return q;
}

int64_t floorMod(int64_t a, int64_t b) {
  if (b == -1)
    return 0;
  int64_t r = a % b;
  if (r != 0 && ((r < 0) != (b < 0)))
    r += b;
  return r;
}

namespace {
// Constant folding wraps on overflow instead of invoking undefined behaviour.
int64_t wrapAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
int64_t wrapMul(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
}
} // namespace

const SymExpr *Context::constant(int64_t v) {
  SymExpr e(SymExpr::Kind::Const);
  e.value_ = v;
  return unique(std::move(e));
}

const SymExpr *Context::sym(const Symbol *s) {
  SymExpr e(SymExpr::Kind::Sym);
  e.symbol_ = s;
  return unique(std::move(e));
}

int SymExpr::compare(const SymExpr *a, const SymExpr *b) {
  if (a == b)
    return 0;
  if (a->kind_ != b->kind_)
    return a->kind_ < b->kind_ ? -1 : 1;
  switch (a->kind_) {
  case Kind::Const:
    return a->value_ < b->value_ ? -1 : a->value_ > b->value_ ? 1 : 0;
  case Kind::Sym:
    return a->symbol_->name.compare(b->symbol_->name);
  case Kind::Call:
    if (int c = a->callee_.compare(b->callee_))
      return c;
    break;
  default:
    break;
  }
  size_t n = std::min(a->operands_.size(), b->operands_.size());
  for (size_t i = 0; i < n; ++i)
    if (int c = compare(a->operands_[i], b->operands_[i]))
      return c;
  if (a->operands_.size() != b->operands_.size())
    return a->operands_.size() < b->operands_.size() ? -1 : 1;
  return 0;
}

namespace {
bool exprLess(const SymExpr *a, const SymExpr *b) { return SymExpr::compare(a, b) < 0; }

// Splits `t` into coefficient * base (base null for a constant).
std::pair<int64_t, const SymExpr *> splitTerm(Context &ctx, const SymExpr *t) {
  if (t->isConst())
    return {t->value(), nullptr};
  if (t->kind() == SymExpr::Kind::Mul && t->operands()[0]->isConst())
    return {t->operands()[0]->value(), ctx.mul(t->operands().drop_front())};
  return {1, t};
}
} // namespace

const SymExpr *Context::add(llvm::ArrayRef<const SymExpr *> terms) {
  llvm::SmallVector<const SymExpr *, 8> flat;
  for (const SymExpr *t : terms) {
    if (t->kind() == SymExpr::Kind::Add)
      flat.append(t->operands().begin(), t->operands().end());
    else
      flat.push_back(t);
  }
  int64_t konst = 0;
  llvm::SmallVector<std::pair<const SymExpr *, int64_t>, 8> bases; // base -> coeff
  llvm::DenseMap<const SymExpr *, size_t> index;
  for (const SymExpr *t : flat) {
    auto [coeff, base] = splitTerm(*this, t);
    if (!base) {
      konst = wrapAdd(konst, coeff);
      continue;
    }
    // Like terms found by a map once sums get long (a linear scan stays cheaper for
    // the short sums shapes usually have).
    if (bases.size() >= 16 && index.empty())
      for (size_t i = 0; i < bases.size(); ++i)
        index[bases[i].first] = i;
    size_t at = bases.size();
    if (!index.empty()) {
      auto found = index.find(base);
      if (found != index.end())
        at = found->second;
    } else {
      for (size_t i = 0; i < bases.size(); ++i)
        if (bases[i].first == base)
          at = i;
    }
    if (at == bases.size()) {
      if (!index.empty())
        index[base] = bases.size();
      bases.push_back({base, coeff});
    } else {
      bases[at].second = wrapAdd(bases[at].second, coeff);
    }
  }
  llvm::sort(bases, [](auto &a, auto &b) { return exprLess(a.first, b.first); });
  llvm::SmallVector<const SymExpr *, 8> out;
  for (auto &[base, coeff] : bases) {
    if (coeff == 0)
      continue;
    out.push_back(coeff == 1 ? base : mul(constant(coeff), base));
  }
  if (konst != 0 || out.empty())
    out.push_back(constant(konst));
  if (out.size() == 1)
    return out[0];
  SymExpr e(SymExpr::Kind::Add);
  e.operands_ = out;
  return unique(std::move(e));
}

const SymExpr *Context::sub(const SymExpr *a, const SymExpr *b) {
  return add(a, mul(constant(-1), b));
}

const SymExpr *Context::mul(llvm::ArrayRef<const SymExpr *> factors) {
  llvm::SmallVector<const SymExpr *, 8> rest;
  int64_t coeff = 1;
  for (const SymExpr *f : factors) {
    llvm::ArrayRef<const SymExpr *> parts =
        f->kind() == SymExpr::Kind::Mul ? f->operands() : llvm::ArrayRef(&f, 1);
    for (const SymExpr *p : parts) {
      if (p->isConst())
        coeff = wrapMul(coeff, p->value());
      else
        rest.push_back(p);
    }
  }
  if (coeff == 0 || rest.empty())
    return constant(coeff);
  // Products distribute over sums, so every polynomial has one form (a sum of
  // monomials): 2*(s0 + 1)*s1 -> 2*s0*s1 + 2*s1. Expansion is skipped when it would
  // make more than kMaxExpandedTerms terms (then equal products may stay apart).
  constexpr uint64_t kMaxExpandedTerms = 256;
  uint64_t expanded = 1;
  const SymExpr *firstSum = nullptr;
  for (const SymExpr *f : rest)
    if (f->kind() == SymExpr::Kind::Add) {
      expanded *= f->operands().size();
      if (!firstSum)
        firstSum = f;
      if (expanded > kMaxExpandedTerms)
        break;
    }
  if (firstSum && expanded <= kMaxExpandedTerms && (coeff != 1 || rest.size() > 1)) {
    llvm::SmallVector<const SymExpr *, 8> others;
    bool skipped = false;
    for (const SymExpr *f : rest) {
      if (f == firstSum && !skipped) {
        skipped = true;
        continue;
      }
      others.push_back(f);
    }
    others.push_back(constant(coeff));
    llvm::SmallVector<const SymExpr *, 8> terms;
    for (const SymExpr *t : firstSum->operands()) {
      llvm::SmallVector<const SymExpr *, 8> factors(others.begin(), others.end());
      factors.push_back(t);
      terms.push_back(mul(factors));
    }
    return add(terms);
  }
  llvm::sort(rest, exprLess);
  if (coeff == 1 && rest.size() == 1)
    return rest[0];
  llvm::SmallVector<const SymExpr *, 8> ops;
  if (coeff != 1)
    ops.push_back(constant(coeff));
  ops.append(rest.begin(), rest.end());
  SymExpr e(SymExpr::Kind::Mul);
  e.operands_ = ops;
  return unique(std::move(e));
}

namespace {
// Whether every coefficient and constant of `a` is divisible by `c`.
bool divisibleBy(Context &ctx, const SymExpr *a, int64_t c) {
  if (c == 0)
    return false;
  if (a->kind() == SymExpr::Kind::Add)
    return llvm::all_of(a->operands(),
                        [&](const SymExpr *t) { return divisibleBy(ctx, t, c); });
  auto [coeff, base] = splitTerm(ctx, a);
  return floorMod(coeff, c) == 0;
}
// a / c for `a` divisible by `c` (exact, so floor and truncation agree).
const SymExpr *divideExact(Context &ctx, const SymExpr *a, int64_t c) {
  if (a->kind() == SymExpr::Kind::Add) {
    llvm::SmallVector<const SymExpr *, 8> terms;
    for (const SymExpr *t : a->operands())
      terms.push_back(divideExact(ctx, t, c));
    return ctx.add(terms);
  }
  auto [coeff, base] = splitTerm(ctx, a);
  const SymExpr *k = ctx.constant(floorDiv(coeff, c));
  return base ? ctx.mul(k, base) : k;
}
} // namespace

//===----------------------------------------------------------------------------===//
// Ranges and index algebra
//===----------------------------------------------------------------------------===//

namespace {

std::optional<int64_t> checkedMul(std::optional<int64_t> a, std::optional<int64_t> b) {
  int64_t r;
  if (!a || !b || __builtin_mul_overflow(*a, *b, &r))
    return std::nullopt;
  return r;
}
std::optional<int64_t> checkedAdd(std::optional<int64_t> a, std::optional<int64_t> b) {
  int64_t r;
  if (!a || !b || __builtin_add_overflow(*a, *b, &r))
    return std::nullopt;
  return r;
}

// A monomial: coefficient times factors (symbols or opaque subexpressions, sorted, with
// repeats); null for a sum.
struct Monomial {
  int64_t coeff = 1;
  llvm::SmallVector<const SymExpr *, 4> factors;
};
std::optional<Monomial> monomialOf(const SymExpr *e) {
  Monomial m;
  switch (e->kind()) {
  case SymExpr::Kind::Const: m.coeff = e->value(); return m;
  case SymExpr::Kind::Add: return std::nullopt;
  case SymExpr::Kind::Mul:
    for (const SymExpr *f : e->operands()) {
      if (f->isConst())
        m.coeff = wrapMul(m.coeff, f->value());
      else
        m.factors.push_back(f);
    }
    return m;
  default: m.factors.push_back(e); return m;
  }
}

// t / d when the monomial d divides the monomial t exactly (coefficient and factors).
const SymExpr *divideMonomial(Context &ctx, const SymExpr *t, const Monomial &d) {
  std::optional<Monomial> mt = monomialOf(t);
  if (!mt || d.coeff == 0 || floorMod(mt->coeff, d.coeff) != 0)
    return nullptr;
  llvm::SmallVector<const SymExpr *, 4> rest(mt->factors.begin(), mt->factors.end());
  for (const SymExpr *f : d.factors) {
    auto it = llvm::find(rest, f);
    if (it == rest.end())
      return nullptr;
    rest.erase(it);
  }
  rest.push_back(ctx.constant(floorDiv(mt->coeff, d.coeff)));
  return ctx.mul(rest);
}

} // namespace

namespace {
// Bounds of a product of constants (of any sign) and factors that are all non-negative:
// the factors' bounds multiply, and a negative coefficient swaps them. Other products
// (a factor that may be negative) have none.
std::pair<std::optional<int64_t>, std::optional<int64_t>> productBounds(Context &ctx,
                                                                        const SymExpr *e) {
  std::optional<int64_t> coeff = 1, lo = 1, hi = 1;
  for (const SymExpr *f : e->operands()) {
    if (f->kind() == SymExpr::Kind::Const) {
      coeff = checkedMul(coeff, f->value());
      continue;
    }
    std::optional<int64_t> fl = ctx.lowerBound(f), fh = ctx.upperBound(f);
    if (!fl || *fl < 0)
      return {std::nullopt, std::nullopt};
    lo = checkedMul(lo, fl);
    hi = hi && fh ? checkedMul(hi, fh) : std::nullopt;
  }
  if (!coeff)
    return {std::nullopt, std::nullopt};
  std::optional<int64_t> a = checkedMul(lo, coeff),
                         b = hi ? checkedMul(hi, coeff) : std::optional<int64_t>();
  if (*coeff >= 0)
    return {a, b};
  return {b, a};
}
} // namespace

std::optional<int64_t> Context::lowerBound(const SymExpr *e) {
  switch (e->kind()) {
  case SymExpr::Kind::Const: return e->value();
  case SymExpr::Kind::Sym: return e->symbol()->min;
  case SymExpr::Kind::Add: {
    std::optional<int64_t> acc = 0;
    for (const SymExpr *t : e->operands())
      acc = checkedAdd(acc, lowerBound(t));
    return acc;
  }
  case SymExpr::Kind::Mul: {
    auto [lo, hi] = productBounds(*this, e);
    return lo;
  }
  case SymExpr::Kind::Max: {
    std::optional<int64_t> best;
    for (const SymExpr *o : e->operands())
      if (std::optional<int64_t> l = lowerBound(o); l && (!best || *l > *best))
        best = l;
    return best;
  }
  case SymExpr::Kind::Min: {
    std::optional<int64_t> acc;
    for (const SymExpr *o : e->operands()) {
      std::optional<int64_t> l = lowerBound(o);
      if (!l)
        return std::nullopt;
      acc = acc ? std::min(*acc, *l) : *l;
    }
    return acc;
  }
  case SymExpr::Kind::FloorDiv: {
    std::optional<int64_t> a = lowerBound(e->operands()[0]), b = lowerBound(e->operands()[1]);
    std::optional<int64_t> bh = upperBound(e->operands()[1]);
    if (a && *a >= 0 && b && *b > 0 && bh)
      return fxir::floorDiv(*a, *bh);
    return std::nullopt;
  }
  case SymExpr::Kind::Mod: {
    std::optional<int64_t> b = lowerBound(e->operands()[1]);
    return b && *b > 0 ? std::optional<int64_t>(0) : std::nullopt;
  }
  case SymExpr::Kind::Call: return std::nullopt;
  }
  return std::nullopt;
}

std::optional<int64_t> Context::upperBound(const SymExpr *e) {
  switch (e->kind()) {
  case SymExpr::Kind::Const: return e->value();
  case SymExpr::Kind::Sym: {
    const Symbol *s = e->symbol();
    if (s->max)
      return s->max;
    if (s->extent)
      if (std::optional<int64_t> n = upperBound(s->extent))
        return *n - 1;
    return std::nullopt;
  }
  case SymExpr::Kind::Add: {
    std::optional<int64_t> acc = 0;
    for (const SymExpr *t : e->operands())
      acc = checkedAdd(acc, upperBound(t));
    return acc;
  }
  case SymExpr::Kind::Mul: {
    auto [lo, hi] = productBounds(*this, e);
    return hi;
  }
  case SymExpr::Kind::Max: {
    std::optional<int64_t> acc;
    for (const SymExpr *o : e->operands()) {
      std::optional<int64_t> h = upperBound(o);
      if (!h)
        return std::nullopt;
      acc = acc ? std::max(*acc, *h) : *h;
    }
    return acc;
  }
  case SymExpr::Kind::Min: {
    std::optional<int64_t> best;
    for (const SymExpr *o : e->operands())
      if (std::optional<int64_t> h = upperBound(o); h && (!best || *h < *best))
        best = h;
    return best;
  }
  case SymExpr::Kind::FloorDiv: {
    std::optional<int64_t> a = upperBound(e->operands()[0]), b = lowerBound(e->operands()[1]);
    std::optional<int64_t> al = lowerBound(e->operands()[0]);
    if (a && al && *al >= 0 && b && *b > 0)
      return fxir::floorDiv(*a, *b);
    return std::nullopt;
  }
  case SymExpr::Kind::Mod: {
    std::optional<int64_t> b = upperBound(e->operands()[1]), bl = lowerBound(e->operands()[1]);
    return b && bl && *bl > 0 ? std::optional<int64_t>(*b - 1) : std::nullopt;
  }
  case SymExpr::Kind::Call: return std::nullopt;
  }
  return std::nullopt;
}

bool Context::provablyNonNegative(const SymExpr *e) {
  if (std::optional<int64_t> lo = lowerBound(e))
    return *lo >= 0;
  // A sum whose every term is a non-negative coefficient times non-negative factors.
  llvm::ArrayRef<const SymExpr *> terms =
      e->kind() == SymExpr::Kind::Add ? e->operands() : llvm::ArrayRef(&e, 1);
  for (const SymExpr *t : terms) {
    std::optional<Monomial> m = monomialOf(t);
    if (!m || m->coeff < 0)
      return false;
    for (const SymExpr *f : m->factors) {
      std::optional<int64_t> lo = lowerBound(f);
      if (!lo || *lo < 0)
        return false;
    }
  }
  return true;
}

namespace {

// The largest value `r` takes over the loop indices, symbolically, for any fixed
// values of the shape symbols: each loop index at extent - 1, shape symbols as they are,
// other factors at their upper bound; null when some term is not a non-negative
// coefficient times non-negative factors.
const SymExpr *symbolicMax(Context &ctx, const SymExpr *r) {
  llvm::ArrayRef<const SymExpr *> terms =
      r->kind() == SymExpr::Kind::Add ? r->operands() : llvm::ArrayRef(&r, 1);
  llvm::SmallVector<const SymExpr *, 8> maxTerms;
  for (const SymExpr *t : terms) {
    std::optional<Monomial> m = monomialOf(t);
    if (!m || m->coeff < 0)
      return nullptr;
    llvm::SmallVector<const SymExpr *, 4> factors{ctx.constant(m->coeff)};
    for (const SymExpr *f : m->factors) {
      std::optional<int64_t> lo = ctx.lowerBound(f);
      if (!lo || *lo < 0)
        return nullptr;
      if (f->kind() == SymExpr::Kind::Sym && f->symbol()->extent)
        factors.push_back(ctx.sub(f->symbol()->extent, ctx.constant(1)));
      else if (f->kind() == SymExpr::Kind::Sym)
        factors.push_back(f);
      else if (std::optional<int64_t> hi = ctx.upperBound(f))
        factors.push_back(ctx.constant(*hi));
      else
        return nullptr;
    }
    maxTerms.push_back(ctx.mul(factors));
  }
  return ctx.add(maxTerms);
}

// For floordiv and mod: a = q * d + r with 0 <= r < d provably, when d is a positive
// constant or monomial; (q, r), or nullopt.
std::optional<std::pair<const SymExpr *, const SymExpr *>>
splitByDivisor(Context &ctx, const SymExpr *a, const SymExpr *d) {
  std::optional<Monomial> md = monomialOf(d);
  if (!md || md->coeff <= 0 || !ctx.provablyNonNegative(ctx.sub(d, ctx.constant(1))))
    return std::nullopt;
  llvm::ArrayRef<const SymExpr *> terms =
      a->kind() == SymExpr::Kind::Add ? a->operands() : llvm::ArrayRef(&a, 1);
  llvm::SmallVector<const SymExpr *, 8> quotient, rest;
  for (const SymExpr *t : terms) {
    if (const SymExpr *q = divideMonomial(ctx, t, *md))
      quotient.push_back(q);
    else
      rest.push_back(t);
  }
  const SymExpr *r = ctx.add(rest);
  if (!ctx.provablyNonNegative(r))
    return std::nullopt;
  if (!rest.empty()) {
    const SymExpr *hi = symbolicMax(ctx, r);
    if (!hi || !ctx.provablyNonNegative(ctx.sub(ctx.sub(d, ctx.constant(1)), hi)))
      return std::nullopt;
  }
  return std::make_pair(ctx.add(quotient), r);
}

} // namespace

const SymExpr *Context::floorDiv(const SymExpr *a, const SymExpr *b) {
  if (std::optional<int64_t> cb = b->asConst()) {
    if (std::optional<int64_t> ca = a->asConst(); ca && *cb != 0)
      return constant(fxir::floorDiv(*ca, *cb));
    if (*cb == 1)
      return a;
    if (*cb != 0 && divisibleBy(*this, a, *cb))
      return divideExact(*this, a, *cb);
  }
  if (auto qr = splitByDivisor(*this, a, b))
    return qr->first;
  SymExpr e(SymExpr::Kind::FloorDiv);
  const SymExpr *ops[] = {a, b};
  e.operands_ = ops;
  return unique(std::move(e));
}

const SymExpr *Context::mod(const SymExpr *a, const SymExpr *b) {
  if (std::optional<int64_t> cb = b->asConst()) {
    if (std::optional<int64_t> ca = a->asConst(); ca && *cb != 0)
      return constant(floorMod(*ca, *cb));
    if (*cb == 1 || *cb == -1)
      return constant(0);
    if (*cb != 0 && divisibleBy(*this, a, *cb))
      return constant(0);
  }
  if (auto qr = splitByDivisor(*this, a, b))
    return qr->second;
  SymExpr e(SymExpr::Kind::Mod);
  const SymExpr *ops[] = {a, b};
  e.operands_ = ops;
  return unique(std::move(e));
}

namespace {
const SymExpr *minMax(Context &ctx, SymExpr::Kind kind,
                      llvm::ArrayRef<const SymExpr *> operands,
                      const SymExpr *(*make)(Context &, llvm::ArrayRef<const SymExpr *>)) {
  llvm::SmallVector<const SymExpr *, 4> rest;
  std::optional<int64_t> folded;
  llvm::SmallVector<const SymExpr *, 8> work(operands.begin(), operands.end());
  for (size_t i = 0; i < work.size(); ++i) {
    const SymExpr *o = work[i];
    if (o->kind() == kind) {
      work.append(o->operands().begin(), o->operands().end());
      continue;
    }
    if (std::optional<int64_t> c = o->asConst()) {
      folded = !folded ? *c : kind == SymExpr::Kind::Max ? std::max(*folded, *c)
                                                         : std::min(*folded, *c);
      continue;
    }
    if (!llvm::is_contained(rest, o))
      rest.push_back(o);
  }
  if (folded)
    rest.push_back(ctx.constant(*folded));
  llvm::sort(rest, exprLess);
  if (rest.size() == 1)
    return rest[0];
  return make(ctx, rest);
}
} // namespace

const SymExpr *Context::max(llvm::ArrayRef<const SymExpr *> operands) {
  return minMax(*this, SymExpr::Kind::Max, operands,
                [](Context &ctx, llvm::ArrayRef<const SymExpr *> ops) {
                  SymExpr e(SymExpr::Kind::Max);
                  e.operands_ = ops;
                  return ctx.unique(std::move(e));
                });
}

const SymExpr *Context::min(llvm::ArrayRef<const SymExpr *> operands) {
  return minMax(*this, SymExpr::Kind::Min, operands,
                [](Context &ctx, llvm::ArrayRef<const SymExpr *> ops) {
                  SymExpr e(SymExpr::Kind::Min);
                  e.operands_ = ops;
                  return ctx.unique(std::move(e));
                });
}

const SymExpr *Context::call(llvm::StringRef callee, llvm::ArrayRef<const SymExpr *> ops) {
  // Names the text format reserves for the normalized kinds are built as those kinds,
  // so printing and parsing agree.
  if (callee == "floordiv" && ops.size() == 2)
    return floorDiv(ops[0], ops[1]);
  if (callee == "mod" && ops.size() == 2)
    return mod(ops[0], ops[1]);
  if (callee == "max" && !ops.empty())
    return max(ops);
  if (callee == "min" && !ops.empty())
    return min(ops);
  SymExpr e(SymExpr::Kind::Call);
  e.callee_ = callee;
  e.operands_ = ops;
  return unique(std::move(e));
}

namespace {
void printExpr(const SymExpr *e, std::string &out, bool parenthesizeSum);

void printCall(llvm::StringRef name, const SymExpr *e, std::string &out) {
  out += name;
  out += '(';
  for (size_t i = 0; i < e->operands().size(); ++i) {
    if (i)
      out += ", ";
    printExpr(e->operands()[i], out, false);
  }
  out += ')';
}

void printExpr(const SymExpr *e, std::string &out, bool parenthesizeSum) {
  using K = SymExpr::Kind;
  switch (e->kind()) {
  case K::Const:
    out += std::to_string(e->value());
    return;
  case K::Sym:
    out += e->symbol()->name;
    return;
  case K::Mul:
    for (size_t i = 0; i < e->operands().size(); ++i) {
      if (i)
        out += '*';
      printExpr(e->operands()[i], out, true);
    }
    return;
  case K::Add: {
    if (parenthesizeSum)
      out += '(';
    for (size_t i = 0; i < e->operands().size(); ++i) {
      const SymExpr *t = e->operands()[i];
      // Print `a - 2*b` for a negative coefficient after the first term.
      int64_t coeff = 1;
      llvm::ArrayRef<const SymExpr *> rest;
      if (t->isConst()) {
        coeff = t->value();
      } else if (t->kind() == K::Mul && t->operands()[0]->isConst()) {
        coeff = t->operands()[0]->value();
        rest = t->operands().drop_front();
      }
      if (i > 0 && coeff < 0 && coeff != INT64_MIN) {
        out += " - ";
        if (t->isConst()) {
          out += std::to_string(-coeff);
          continue;
        }
        if (coeff != -1)
          out += std::to_string(-coeff) + "*";
        for (size_t j = 0; j < rest.size(); ++j) {
          if (j)
            out += '*';
          printExpr(rest[j], out, true);
        }
        continue;
      }
      if (i)
        out += " + ";
      printExpr(t, out, false);
    }
    if (parenthesizeSum)
      out += ')';
    return;
  }
  case K::FloorDiv: printCall("floordiv", e, out); return;
  case K::Mod: printCall("mod", e, out); return;
  case K::Max: printCall("max", e, out); return;
  case K::Min: printCall("min", e, out); return;
  case K::Call: printCall(e->callee(), e, out); return;
  }
}
} // namespace

std::string SymExpr::str() const {
  std::string out;
  printExpr(this, out, false);
  return out;
}

} // namespace fxir
