//===- SymExpr.h - symbolic integer expressions over shape symbols -------------===//
//
// Symbolic dimensions: expressions over named symbols (s0, u0, ...) with [min, max]
// ranges, as torch.export writes them. Expressions are immutable, uniqued in their
// Context and kept in a normal form, so two expressions are equal exactly when their
// pointers are:
//   - Add: flattened, like terms combined (2*s0 + s0 -> 3*s0), one constant, last;
//   - Mul: flattened, one constant coefficient, first; products distribute over sums,
//     so polynomials are sums of monomials (up to 256 expanded terms);
//   - FloorDiv / Mod: Python floor semantics (C++ `/` and `%` truncate), folded when
//     both sides are constants or the divisor is 1; with ranges (index algebra): for a
//     divisor d that is a positive constant or monomial, the dividend's terms that d
//     divides go to the quotient, and when the rest r provably lies in [0, d) (its
//     symbols' ranges, loop indices' extents), floordiv = the quotient and mod = r. So
//     (i*n + j) // n = i and (i*n + j) % n = j for loop indices j < n: a reshape in a
//     kernel puts no division in its inner loop;
//   - Max / Min: flattened, constants folded, duplicates removed;
//   - Call: any other sympy function (CeilToInt, Pow, ...) kept by name, unsimplified.
// Operands of commutative kinds are sorted by a structural order, so printing is
// deterministic across runs.
//
// Does not: prove facts from ranges beyond floordiv and mod (Max(s0, 1) with s0 >= 2
// stays as is), or handle rationals and symbolic floats.
//===----------------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

namespace fxir {

class Context;
class SymExpr;

/// A shape symbol: `s0` (backed by an example input, has a hint) or `u0` (unbacked,
/// from data-dependent ops like nonzero or .item()); or a loop index (a code
/// generator's), which runs over [0, extent) for a symbolic or constant extent.
struct Symbol {
  llvm::StringRef name;
  std::optional<int64_t> min, max; ///< nullopt = unbounded on that side
  std::optional<int64_t> hint;     ///< the example value, for backed symbols
  bool unbacked = false;
  const SymExpr *extent = nullptr; ///< loop indices only: 0 <= index < extent
  bool isIndex() const { return extent != nullptr; }
};

class SymExpr {
public:
  enum class Kind : uint8_t { Const, Sym, Add, Mul, FloorDiv, Mod, Max, Min, Call };

  Kind kind() const { return kind_; }
  bool isConst() const { return kind_ == Kind::Const; }
  /// Const only.
  int64_t value() const { return value_; }
  /// Sym only.
  const Symbol *symbol() const { return symbol_; }
  /// Call only: the function name ("CeilToInt").
  llvm::StringRef callee() const { return callee_; }
  llvm::ArrayRef<const SymExpr *> operands() const { return operands_; }

  std::optional<int64_t> asConst() const {
    return isConst() ? std::optional<int64_t>(value_) : std::nullopt;
  }
  /// Text form: `s0`, `2*s0 + 1`, `floordiv(s0, 2)`, `max(s0, 1)`.
  std::string str() const;
  /// Total structural order used for canonical operand order (-1, 0, 1).
  static int compare(const SymExpr *a, const SymExpr *b);

  /// Evaluates with every symbol replaced by `lookup(symbol)`; nullopt if a symbol has
  /// no value, a Call is met, or a division by zero would happen.
  template <typename F> std::optional<int64_t> evaluate(F lookup) const;

private:
  friend class Context;
  SymExpr(Kind k) : kind_(k) {}
  Kind kind_;
  int64_t value_ = 0;
  const Symbol *symbol_ = nullptr;
  llvm::StringRef callee_;
  llvm::ArrayRef<const SymExpr *> operands_;
};

/// Python's `//` and `%` on int64 (round toward negative infinity). b != 0.
int64_t floorDiv(int64_t a, int64_t b);
int64_t floorMod(int64_t a, int64_t b);

template <typename F> std::optional<int64_t> SymExpr::evaluate(F lookup) const {
  switch (kind_) {
  case Kind::Const:
    return value_;
  case Kind::Sym:
    return lookup(symbol_);
  case Kind::Call:
    return std::nullopt;
  default:
    break;
  }
  std::optional<int64_t> acc;
  for (const SymExpr *op : operands_) {
    std::optional<int64_t> v = op->evaluate(lookup);
    if (!v)
      return std::nullopt;
    if (!acc) {
      acc = v;
      continue;
    }
    switch (kind_) {
    // Wrapping arithmetic: no undefined behaviour on overflow.
    case Kind::Add:
      *acc = static_cast<int64_t>(static_cast<uint64_t>(*acc) + static_cast<uint64_t>(*v));
      break;
    case Kind::Mul:
      *acc = static_cast<int64_t>(static_cast<uint64_t>(*acc) * static_cast<uint64_t>(*v));
      break;
    case Kind::Max: acc = std::max(*acc, *v); break;
    case Kind::Min: acc = std::min(*acc, *v); break;
    case Kind::FloorDiv:
      if (*v == 0)
        return std::nullopt;
      acc = floorDiv(*acc, *v);
      break;
    case Kind::Mod:
      if (*v == 0)
        return std::nullopt;
      acc = floorMod(*acc, *v);
      break;
    default:
      return std::nullopt;
    }
  }
  return acc;
}

} // namespace fxir
