//===- Context.cpp - interning, uniquing and symbolic normal forms -------------===//
#include "fxir/ir/Context.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/Hashing.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Allocator.h"

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

//===----------------------------------------------------------------------------===//
// Context state
//===----------------------------------------------------------------------------===//

struct Context::Impl {
  llvm::BumpPtrAllocator arena;
  // Op blocks (allocateOpMemory): a bump arena and, per size in 16-byte steps up to
  // kMaxPooledOp, the released blocks waiting for reuse. Larger ops use the heap.
  static constexpr size_t kOpGrain = 16, kMaxPooledOp = 1024;
  llvm::BumpPtrAllocator opArena;
  std::vector<void *> freeOps[kMaxPooledOp / kOpGrain + 1];
  // Interned strings. (Not llvm::UniqueStringSaver: its out-of-line save() in libLLVM
  // would allocate from our arena without ASan's unpoisoning in sanitizer builds.)
  // Each interned string has one pointer-sized slot (Context::internSlot).
  llvm::StringMap<void *> strings;
  static constexpr size_t kCacheSize = 64;
  struct CacheEntry {
    const char *input = nullptr;
    llvm::StringRef interned;
  };
  CacheEntry internCache[kCacheSize];
  llvm::StringMap<Symbol *> symbolsByName;
  std::vector<const Symbol *> symbolOrder;
  std::unordered_multimap<size_t, const SymExpr *> exprs;
  std::unordered_multimap<size_t, const Type *> types;
  const Type *intTy = nullptr, *floatTy = nullptr, *boolTy = nullptr, *strTy = nullptr,
             *noneTy = nullptr, *deviceTy = nullptr, *tokenTy = nullptr,
             *symFloatTy = nullptr, *symBoolTy = nullptr;
};

Context::Context() : impl_(std::make_unique<Impl>()) {}
Context::~Context() = default;

llvm::StringRef Context::intern(llvm::StringRef s) {
  if (s.empty())
    return {};
  // Callers often intern the same text again and again from the same place (an op
  // name literal, a file name, a name interned a moment ago): a small cache keyed by
  // the caller's address answers those without probing the table. A hit compares the
  // text, so a reused buffer with new contents is never mistaken.
  Impl &im = *impl_;
  Impl::CacheEntry &slot =
      im.internCache[(reinterpret_cast<uintptr_t>(s.data()) >> 3) % Impl::kCacheSize];
  if (slot.input == s.data() && slot.interned.size() == s.size() &&
      std::memcmp(slot.interned.data(), s.data(), s.size()) == 0)
    return slot.interned;
  llvm::StringRef out = im.strings.try_emplace(s, nullptr).first->getKey();
  slot = {s.data(), out};
  return out;
}

Name Context::name(llvm::StringRef s) {
  if (s.empty())
    return Name();
  return Name(&llvm::StringMapEntry<void *>::GetStringMapEntryFromKeyData(intern(s).data()));
}

void *Context::allocate(size_t size, size_t align) {
  return impl_->arena.Allocate(size, llvm::Align(align));
}

size_t Context::bytesAllocated() const {
  return impl_->arena.getBytesAllocated() + impl_->opArena.getBytesAllocated();
}

size_t Context::opBytesAllocated() const { return impl_->opArena.getBytesAllocated(); }

void *Context::allocateOpMemory(size_t bytes) {
  bytes = llvm::alignTo(bytes, Impl::kOpGrain);
  if (bytes > Impl::kMaxPooledOp)
    return ::operator new(bytes);
  std::vector<void *> &free = impl_->freeOps[bytes / Impl::kOpGrain];
  if (free.empty())
    return impl_->opArena.Allocate(bytes, llvm::Align(Impl::kOpGrain));
  void *mem = free.back();
  free.pop_back();
  __asan_unpoison_memory_region(mem, bytes);
  return mem;
}

void Context::releaseOpMemory(void *mem, size_t bytes) {
  bytes = llvm::alignTo(bytes, Impl::kOpGrain);
  if (bytes > Impl::kMaxPooledOp) {
    ::operator delete(mem);
    return;
  }
  // Poisoned while pooled: a use after erase still fails under ASan.
  __asan_poison_memory_region(mem, bytes);
  impl_->freeOps[bytes / Impl::kOpGrain].push_back(mem);
}

absl::StatusOr<const Symbol *> Context::declareSymbol(llvm::StringRef name,
                                                      std::optional<int64_t> min,
                                                      std::optional<int64_t> max,
                                                      std::optional<int64_t> hint,
                                                      bool unbacked) {
  auto it = impl_->symbolsByName.find(name);
  if (it != impl_->symbolsByName.end()) {
    const Symbol *s = it->second;
    if (s->min != min || s->max != max || s->hint != hint || s->unbacked != unbacked)
      return absl::InvalidArgumentError("symbol " + name.str() +
                                        " is already declared with a different range, "
                                        "hint or backing");
    return s;
  }
  if (min && max && *min > *max)
    return absl::InvalidArgumentError("symbol " + name.str() + " has an empty range [" +
                                      std::to_string(*min) + ", " + std::to_string(*max) +
                                      "]");
  if (unbacked && hint)
    return absl::InvalidArgumentError("symbol " + name.str() +
                                      " is unbacked (data-dependent) and cannot have a hint");
  if (hint && ((min && *hint < *min) || (max && *hint > *max)))
    return absl::InvalidArgumentError("symbol " + name.str() + " has hint " +
                                      std::to_string(*hint) + " outside its range");
  auto *s = new (allocate(sizeof(Symbol), alignof(Symbol))) Symbol();
  s->name = intern(name);
  s->min = min;
  s->max = max;
  s->hint = hint;
  s->unbacked = unbacked;
  impl_->symbolsByName[s->name] = s;
  impl_->symbolOrder.push_back(s);
  return s;
}

const Symbol *Context::lookupSymbol(llvm::StringRef name) const {
  auto it = impl_->symbolsByName.find(name);
  return it == impl_->symbolsByName.end() ? nullptr : it->second;
}

llvm::ArrayRef<const Symbol *> Context::symbols() const { return impl_->symbolOrder; }

//===----------------------------------------------------------------------------===//
// Symbolic expressions
//===----------------------------------------------------------------------------===//

namespace {
size_t hashExpr(const SymExpr &e) {
  return llvm::hash_combine(
      static_cast<int>(e.kind()), e.isConst() ? e.value() : 0,
      e.kind() == SymExpr::Kind::Sym ? e.symbol() : nullptr,
      e.kind() == SymExpr::Kind::Call ? e.callee() : llvm::StringRef(),
      llvm::hash_combine_range(e.operands().begin(), e.operands().end()));
}
bool sameExpr(const SymExpr &a, const SymExpr &b) {
  if (a.kind() != b.kind() || a.operands() != b.operands())
    return false;
  switch (a.kind()) {
  case SymExpr::Kind::Const: return a.value() == b.value();
  case SymExpr::Kind::Sym: return a.symbol() == b.symbol();
  case SymExpr::Kind::Call: return a.callee() == b.callee();
  default: return true;
  }
}
} // namespace

const SymExpr *Context::unique(SymExpr &&e) {
  size_t h = hashExpr(e);
  auto range = impl_->exprs.equal_range(h);
  for (auto it = range.first; it != range.second; ++it)
    if (sameExpr(*it->second, e))
      return it->second;
  e.operands_ = copy(e.operands_);
  if (!e.callee_.empty())
    e.callee_ = intern(e.callee_);
  auto *stored = new (allocate(sizeof(SymExpr), alignof(SymExpr))) SymExpr(std::move(e));
  impl_->exprs.emplace(h, stored);
  return stored;
}

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

const SymExpr *Context::floorDiv(const SymExpr *a, const SymExpr *b) {
  if (std::optional<int64_t> cb = b->asConst()) {
    if (std::optional<int64_t> ca = a->asConst(); ca && *cb != 0)
      return constant(fxir::floorDiv(*ca, *cb));
    if (*cb == 1)
      return a;
    if (*cb != 0 && divisibleBy(*this, a, *cb))
      return divideExact(*this, a, *cb);
  }
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

//===----------------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------------===//

namespace {
size_t hashType(const Type &t) {
  return llvm::hash_combine(
      static_cast<int>(t.kind()), static_cast<int>(t.dtype()),
      llvm::hash_combine_range(t.shape().begin(), t.shape().end()),
      llvm::hash_combine_range(t.strides().begin(), t.strides().end()),
      t.kind() == Type::Kind::Tensor ? t.device() : t.className(), t.symExpr(), t.element());
}
bool sameType(const Type &a, const Type &b) {
  return a.kind() == b.kind() && a.dtype() == b.dtype() && a.shape() == b.shape() &&
         a.strides() == b.strides() && a.device() == b.device() &&
         a.symExpr() == b.symExpr() && a.element() == b.element();
}
} // namespace

const Type *Context::unique(Type &&t) {
  size_t h = hashType(t);
  auto range = impl_->types.equal_range(h);
  for (auto it = range.first; it != range.second; ++it)
    if (sameType(*it->second, t))
      return it->second;
  t.shape_ = copy(t.shape_);
  t.strides_ = copy(t.strides_);
  t.name_ = intern(t.name_);
  auto *stored = new (allocate(sizeof(Type), alignof(Type))) Type(std::move(t));
  impl_->types.emplace(h, stored);
  return stored;
}

const Type *Context::tensorType(DType dtype, llvm::ArrayRef<const SymExpr *> shape,
                                llvm::ArrayRef<const SymExpr *> strides,
                                llvm::StringRef device) {
  // Contiguous strides are not stored: f32[2, 3]{3, 1} and f32[2, 3] are one type.
  if (!strides.empty() && strides.size() == shape.size()) {
    bool contiguous = true;
    const SymExpr *expect = constant(1);
    for (size_t i = strides.size(); i-- > 0;) {
      if (shape[i] != constant(1) && strides[i] != expect)
        contiguous = false;
      expect = mul(expect, shape[i]);
    }
    if (contiguous)
      strides = {};
  }
  Type t(Type::Kind::Tensor);
  t.dtype_ = dtype;
  t.shape_ = shape;
  t.strides_ = strides;
  t.name_ = device.empty() ? llvm::StringRef("cpu") : device;
  return unique(std::move(t));
}

const Type *Context::tensorType(DType dtype, llvm::ArrayRef<int64_t> shape) {
  llvm::SmallVector<const SymExpr *, 6> dims;
  for (int64_t d : shape)
    dims.push_back(constant(d));
  return tensorType(dtype, dims);
}

#define FXIR_SIMPLE_TYPE(method, member, kind)                                       \
  const Type *Context::method() {                                                     \
    if (!impl_->member)                                                               \
      impl_->member = unique(Type(Type::Kind::kind));                                 \
    return impl_->member;                                                             \
  }
FXIR_SIMPLE_TYPE(intType, intTy, Int)
FXIR_SIMPLE_TYPE(floatType, floatTy, Float)
FXIR_SIMPLE_TYPE(boolType, boolTy, Bool)
FXIR_SIMPLE_TYPE(strType, strTy, Str)
FXIR_SIMPLE_TYPE(noneType, noneTy, None)
FXIR_SIMPLE_TYPE(deviceType, deviceTy, Device)
FXIR_SIMPLE_TYPE(tokenType, tokenTy, Token)
FXIR_SIMPLE_TYPE(symFloatType, symFloatTy, SymFloat)
FXIR_SIMPLE_TYPE(symBoolType, symBoolTy, SymBool)
#undef FXIR_SIMPLE_TYPE

const Type *Context::symIntType(const SymExpr *expr) {
  Type t(Type::Kind::SymInt);
  t.expr_ = expr;
  return unique(std::move(t));
}

const Type *Context::listType(const Type *element) {
  Type t(Type::Kind::List);
  t.element_ = element;
  return unique(std::move(t));
}

const Type *Context::optionalType(const Type *element) {
  Type t(Type::Kind::Optional);
  t.element_ = element;
  return unique(std::move(t));
}

const Type *Context::objectType(llvm::StringRef className) {
  Type t(Type::Kind::Object);
  t.name_ = className;
  return unique(std::move(t));
}

bool Type::hasStaticShape() const {
  return llvm::all_of(shape_, [](const SymExpr *d) { return d->isConst(); });
}

std::string Type::str() const {
  switch (kind_) {
  case Kind::Tensor: {
    std::string out(irName(dtype_));
    out += '[';
    for (size_t i = 0; i < shape_.size(); ++i) {
      if (i)
        out += ", ";
      out += shape_[i]->str();
    }
    out += ']';
    if (!strides_.empty()) {
      out += '{';
      for (size_t i = 0; i < strides_.size(); ++i) {
        if (i)
          out += ", ";
        out += strides_[i]->str();
      }
      out += '}';
    }
    if (name_ != "cpu") {
      out += '@';
      out += name_;
    }
    return out;
  }
  case Kind::Int: return "int";
  case Kind::Float: return "float";
  case Kind::Bool: return "bool";
  case Kind::Str: return "str";
  case Kind::None: return "none";
  case Kind::Device: return "device";
  case Kind::Token: return "token";
  case Kind::SymInt: return expr_ ? "symint<" + expr_->str() + ">" : "symint";
  case Kind::SymFloat: return "symfloat";
  case Kind::SymBool: return "symbool";
  case Kind::List: return "list<" + element_->str() + ">";
  case Kind::Optional: return "optional<" + element_->str() + ">";
  case Kind::Object: return "object<\"" + name_.str() + "\">";
  }
  return "?";
}

//===----------------------------------------------------------------------------===//
// Provenance
//===----------------------------------------------------------------------------===//

bool Provenance::touchedBy(llvm::StringRef pass) const {
  return llvm::any_of(history, [&](const PassRecord &r) { return r.pass == pass; });
}

std::string Provenance::brief() const {
  if (source.valid())
    return source.file.str() + ":" + std::to_string(source.line);
  if (!nodeName.empty())
    return "node " + nodeName.str();
  return "unknown location";
}

const Provenance *Context::provenance(const Provenance &init) {
  Provenance p = init;
  p.nodeName = intern(init.nodeName);
  p.source.file = intern(init.source.file);
  p.source.function = intern(init.source.function);
  p.source.code = intern(init.source.code);
  p.modulePath = intern(init.modulePath);
  p.moduleType = intern(init.moduleType);
  p.paramFqn = intern(init.paramFqn);
  llvm::SmallVector<PassRecord, 4> history;
  for (const PassRecord &r : init.history)
    history.push_back({intern(r.pass), intern(r.action)});
  p.history = history;
  return store(p);
}

// `p`'s strings are interned already; its arrays are copied into the arena.
const Provenance *Context::store(const Provenance &p) {
  auto *stored = new (allocate(sizeof(Provenance), alignof(Provenance))) Provenance(p);
  stored->history = copy(p.history);
  stored->sources = copy(p.sources);
  return stored;
}

const Provenance *Context::withRecord(const Provenance *p, llvm::StringRef pass,
                                      llvm::StringRef action) {
  // Derived from a stored provenance: only the new record's strings need interning.
  Provenance next = *p;
  llvm::SmallVector<PassRecord, 4> history(p->history.begin(), p->history.end());
  history.push_back({intern(pass), intern(action)});
  next.history = history;
  return store(next);
}

const Provenance *Context::merged(llvm::ArrayRef<const Provenance *> from,
                                  llvm::StringRef pass, llvm::StringRef action) {
  Provenance m;
  // The primary location is the most informative source (file and line, then
  // function, then the code line; the first of equals); the others stay reachable
  // through `sources`.
  auto score = [](const SourceLoc &l) {
    return (l.valid() ? 4 : 0) + (l.function.empty() ? 0 : 2) + (l.code.empty() ? 0 : 1);
  };
  for (const Provenance *p : from) {
    if (score(p->source) > score(m.source))
      m.source = p->source;
    if (m.nodeName.empty())
      m.nodeName = p->nodeName;
    if (m.modulePath.empty()) {
      m.modulePath = p->modulePath;
      m.moduleType = p->moduleType;
    }
    if (m.paramFqn.empty())
      m.paramFqn = p->paramFqn;
  }
  m.sources = from;
  PassRecord r{intern(pass), intern(action)};
  m.history = llvm::ArrayRef<PassRecord>(r);
  return store(m); // the fields come from stored provenances: interned already
}

} // namespace fxir
