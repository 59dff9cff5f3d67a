//===- Context.cpp - interning, uniquing, types, provenance, the op pool -------===//
//
// The symbolic algebra (normal forms of SymExpr) is SymExpr.cpp.
//===----------------------------------------------------------------------------===//
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
  llvm::StringMap<uint32_t> strings; // text -> dense index (Name::index)
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
  // Op name (interned) -> info row.
  llvm::DenseMap<const char *, const OpInfo *> opInfos;
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
  uint32_t next = static_cast<uint32_t>(im.strings.size());
  llvm::StringRef out = im.strings.try_emplace(s, next).first->getKey();
  slot = {s.data(), out};
  return out;
}

Name Context::name(llvm::StringRef s) {
  if (s.empty())
    return Name();
  return Name(&llvm::StringMapEntry<uint32_t>::GetStringMapEntryFromKeyData(intern(s).data()));
}

size_t Context::numInternedStrings() const { return impl_->strings.size(); }

void *Context::allocate(size_t size, size_t align) {
  return impl_->arena.Allocate(size, llvm::Align(align));
}

const OpInfo *Context::opInfo(llvm::StringRef name) {
  auto [it, inserted] = impl_->opInfos.try_emplace(name.data(), nullptr);
  if (inserted)
    it->second = lookupOpInfo(name);
  return it->second;
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

const Symbol *Context::indexSymbol(llvm::StringRef name, const SymExpr *extent) {
  auto *s = new (allocate(sizeof(Symbol), alignof(Symbol))) Symbol();
  s->name = intern(name);
  s->min = 0;
  if (std::optional<int64_t> n = extent->asConst())
    s->max = *n - 1;
  s->extent = extent;
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


//===----------------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------------===//

namespace {
size_t hashType(const Type &t) {
  return llvm::hash_combine(
      static_cast<int>(t.kind()), static_cast<int>(t.dtype()),
      llvm::hash_combine_range(t.shape().begin(), t.shape().end()),
      llvm::hash_combine_range(t.strides().begin(), t.strides().end()),
      t.kind() == Type::Kind::Tensor ? t.device() : t.className(), t.symExpr(), t.element(),
      t.layoutKnown());
}
bool sameType(const Type &a, const Type &b) {
  return a.kind() == b.kind() && a.dtype() == b.dtype() && a.shape() == b.shape() &&
         a.strides() == b.strides() && a.device() == b.device() &&
         a.symExpr() == b.symExpr() && a.element() == b.element() &&
         a.layoutKnown() == b.layoutKnown();
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
  return makeTensorType(dtype, shape, strides, device, /*unknownLayout=*/false);
}

const Type *Context::tensorTypeWithUnknownLayout(DType dtype,
                                                 llvm::ArrayRef<const SymExpr *> shape,
                                                 llvm::StringRef device) {
  return makeTensorType(dtype, shape, {}, device, /*unknownLayout=*/true);
}

const Type *Context::makeTensorType(DType dtype, llvm::ArrayRef<const SymExpr *> shape,
                                    llvm::ArrayRef<const SymExpr *> strides,
                                    llvm::StringRef device, bool unknownLayout) {
  Type t(Type::Kind::Tensor);
  t.dtype_ = dtype;
  t.shape_ = shape;
  t.strides_ = strides;
  t.unknownLayout_ = unknownLayout;
  t.name_ = device.empty() ? llvm::StringRef("cpu") : device;
  return unique(std::move(t));
}

const Type *Context::withDType(const Type *t, DType dtype) {
  if (!t->layoutKnown())
    return tensorTypeWithUnknownLayout(dtype, t->shape(), t->device());
  return tensorType(dtype, t->shape(), t->strides(), t->device());
}

llvm::SmallVector<const SymExpr *, 6>
Context::contiguousStrides(llvm::ArrayRef<const SymExpr *> shape) {
  llvm::SmallVector<const SymExpr *, 6> out(shape.size());
  const SymExpr *s = constant(1);
  for (size_t i = shape.size(); i-- > 0;) {
    out[i] = s;
    s = mul(s, shape[i]);
  }
  return out;
}

const Type *Context::permutedType(const Type *t, llvm::ArrayRef<unsigned> perm) {
  llvm::SmallVector<const SymExpr *, 6> shape, strides;
  llvm::SmallVector<const SymExpr *, 6> in =
      t->strides().empty() ? contiguousStrides(t->shape())
                           : llvm::SmallVector<const SymExpr *, 6>(t->strides());
  for (unsigned d : perm) {
    shape.push_back(t->shape()[d]);
    strides.push_back(in[d]);
  }
  if (!t->layoutKnown())
    return tensorTypeWithUnknownLayout(t->dtype(), shape, t->device());
  return tensorType(t->dtype(), shape, strides, t->device());
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
    if (unknownLayout_) {
      out += "{?}";
    } else if (!strides_.empty()) {
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
