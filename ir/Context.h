//===- Context.h - owner of everything uniqued or interned ----------------------===//
//
// A Context owns the strings, symbols, symbolic expressions, types and provenances
// that graphs refer to. Types and expressions are uniqued (equal means same pointer);
// strings are interned. Everything lives as long as the Context; graphs must not
// outlive theirs.
//
// Threads. The rule, which every layer keeps:
//  - mutation is single-threaded per Context: building, parsing, rewriting (passes),
//    creating ops, interning, making types or provenances;
//  - a finished program may be read from several threads at once: walking it,
//    printing it (printGraph) and verifying it (verify) write nothing, on the graph or
//    on its Context (tests/tsan checks this under ThreadSanitizer);
//  - parallel work, such as compiling many kernels, happens on data each thread owns:
//    in the code generator, one LLVMContext and one TargetMachine per thread.
// Ops' info rows (OpInfo.h) and the operator schema table are global, immutable and
// safe to read from any thread.
//===----------------------------------------------------------------------------===//
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "fxir/ir/OpInfo.h"
#include "fxir/ir/Provenance.h"
#include "fxir/ir/SymExpr.h"
#include "fxir/ir/Type.h"

#include "absl/status/statusor.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"

namespace fxir {

/// An interned name: one per distinct string in a Context, so equal names are equal
/// handles. Each has a dense index (in interning order), so code that keeps per-name
/// state does it in an array of its own, indexed by it: the parser binds names to
/// values so, the printer marks visible names so. Nothing is stored on the name itself,
/// which is what lets several threads print one graph at once.
class Name {
public:
  Name() = default;
  llvm::StringRef str() const { return entry_ ? entry_->getKey() : llvm::StringRef(); }
  bool empty() const { return entry_ == nullptr; }
  /// Dense index of the string in its Context (< Context::numInternedStrings()).
  uint32_t index() const { return entry_->getValue(); }
  bool operator==(Name o) const { return entry_ == o.entry_; }
  bool operator!=(Name o) const { return entry_ != o.entry_; }

private:
  friend class Context;
  explicit Name(llvm::StringMapEntry<uint32_t> *e) : entry_(e) {}
  llvm::StringMapEntry<uint32_t> *entry_ = nullptr;
};

class Context {
public:
  Context();
  ~Context();
  Context(const Context &) = delete;
  Context &operator=(const Context &) = delete;

  /// A stable copy of `s`, shared by every caller that interns the same text.
  llvm::StringRef intern(llvm::StringRef s);
  /// The interned Name for `s` (empty Name for the empty string).
  Name name(llvm::StringRef s);
  /// How many distinct strings are interned (the bound of Name::index).
  size_t numInternedStrings() const;
  /// Copies `items` into the Context's arena.
  template <typename T> llvm::ArrayRef<T> copy(llvm::ArrayRef<T> items);

  // ---- Symbols ----
  /// Declares (or returns the identical existing) symbol; redeclaring a name with a
  /// different range, hint or backing is an error naming the symbol.
  absl::StatusOr<const Symbol *> declareSymbol(llvm::StringRef name,
                                               std::optional<int64_t> min,
                                               std::optional<int64_t> max,
                                               std::optional<int64_t> hint, bool unbacked);
  /// A loop index `name` over [0, extent) (a code generator's; not a shape symbol,
  /// not in symbols()). Each call makes a new one.
  const Symbol *indexSymbol(llvm::StringRef name, const SymExpr *extent);
  /// nullptr if undeclared.
  const Symbol *lookupSymbol(llvm::StringRef name) const;
  /// Every declared symbol, in declaration order.
  llvm::ArrayRef<const Symbol *> symbols() const;

  // ---- Symbolic expressions (normalized, uniqued) ----
  const SymExpr *constant(int64_t v);
  const SymExpr *sym(const Symbol *s);
  const SymExpr *add(llvm::ArrayRef<const SymExpr *> terms);
  const SymExpr *add(const SymExpr *a, const SymExpr *b) { return add({a, b}); }
  const SymExpr *sub(const SymExpr *a, const SymExpr *b);
  const SymExpr *mul(llvm::ArrayRef<const SymExpr *> factors);
  const SymExpr *mul(const SymExpr *a, const SymExpr *b) { return mul({a, b}); }
  const SymExpr *floorDiv(const SymExpr *a, const SymExpr *b);
  const SymExpr *mod(const SymExpr *a, const SymExpr *b);
  const SymExpr *max(llvm::ArrayRef<const SymExpr *> operands);
  const SymExpr *min(llvm::ArrayRef<const SymExpr *> operands);
  /// Bounds of `e` from its symbols' ranges (interval arithmetic); nullopt when
  /// unbounded on that side or not known.
  std::optional<int64_t> lowerBound(const SymExpr *e);
  std::optional<int64_t> upperBound(const SymExpr *e);
  /// Whether `e >= 0` follows from the ranges (loop indices' extents included).
  bool provablyNonNegative(const SymExpr *e);
  /// Any other function (CeilToInt, Pow, ...), kept by name.
  const SymExpr *call(llvm::StringRef callee, llvm::ArrayRef<const SymExpr *> operands);

  // ---- Types (uniqued) ----
  const Type *tensorType(DType dtype, llvm::ArrayRef<const SymExpr *> shape,
                         llvm::ArrayRef<const SymExpr *> strides = {},
                         llvm::StringRef device = "cpu");
  /// A static-shaped tensor type.
  const Type *tensorType(DType dtype, llvm::ArrayRef<int64_t> shape);
  /// A tensor type whose strides nobody knows (printed `{?}`).
  const Type *tensorTypeWithUnknownLayout(DType dtype, llvm::ArrayRef<const SymExpr *> shape,
                                          llvm::StringRef device = "cpu");
  /// `t` with `t`'s layout (contiguous, strided or unknown) and another dtype.
  const Type *withDType(const Type *t, DType dtype);
  /// The row-major contiguous strides of `shape`.
  llvm::SmallVector<const SymExpr *, 6> contiguousStrides(llvm::ArrayRef<const SymExpr *> shape);
  /// The type of `t.permute(perm)` (result dim i is input dim perm[i]): shape and
  /// strides permuted; unknown layout stays unknown.
  const Type *permutedType(const Type *t, llvm::ArrayRef<unsigned> perm);
  const Type *intType();
  const Type *floatType();
  const Type *boolType();
  const Type *strType();
  const Type *noneType();
  const Type *deviceType();
  const Type *tokenType();
  const Type *symIntType(const SymExpr *expr = nullptr);
  const Type *symFloatType();
  const Type *symBoolType();
  const Type *listType(const Type *element);
  const Type *optionalType(const Type *element);
  const Type *objectType(llvm::StringRef className);

  // ---- Provenance ----
  /// A new provenance; strings and arrays are copied into the Context.
  const Provenance *provenance(const Provenance &init);
  /// `p` with (pass, action) appended to its history.
  const Provenance *withRecord(const Provenance *p, llvm::StringRef pass,
                               llvm::StringRef action);
  /// One provenance for an op built from `from` (cse, fusion, lowering): the most
  /// informative source location and module of the inputs, all of them as sources,
  /// and (pass, action) recorded.
  const Provenance *merged(llvm::ArrayRef<const Provenance *> from, llvm::StringRef pass,
                           llvm::StringRef action);

  // ---- Op identity ----
  /// The info row of the op name `name` (interned in this Context), resolved once per
  /// distinct name (OpInfo.h).
  const OpInfo *opInfo(llvm::StringRef name);

  /// Bytes held by the Context's arenas (for benchmarks).
  size_t bytesAllocated() const;

  /// Memory for ops (Op::create, Op::destroy). Ops live in a Context-owned pool: built
  /// in order they sit next to each other, and an erased op's block is kept for the next
  /// op of the same size instead of going back to malloc one by one (which made large
  /// graphs pay a cache miss per erased op later, inside malloc). The pool is freed with
  /// the Context, which outlives its graphs. Not thread-safe, like the rest of Context.
  void *allocateOpMemory(size_t bytes);
  void releaseOpMemory(void *mem, size_t bytes);
  /// Bytes of the op pool (included in bytesAllocated).
  size_t opBytesAllocated() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  const Provenance *store(const Provenance &p);
  void *allocate(size_t size, size_t align);
  const SymExpr *unique(SymExpr &&e);
  const Type *unique(Type &&t);
  const Type *makeTensorType(DType dtype, llvm::ArrayRef<const SymExpr *> shape,
                             llvm::ArrayRef<const SymExpr *> strides, llvm::StringRef device,
                             bool unknownLayout);
};

template <typename T> llvm::ArrayRef<T> Context::copy(llvm::ArrayRef<T> items) {
  if (items.empty())
    return {};
  T *mem = static_cast<T *>(allocate(sizeof(T) * items.size(), alignof(T)));
  std::uninitialized_copy(items.begin(), items.end(), mem);
  return llvm::ArrayRef<T>(mem, items.size());
}

} // namespace fxir
