//===- Sympy.h - symbolic sizes as torch.export writes them -----------------------===//
//
// torch.export writes symbolic sizes as sympy expressions: `srepr` in SymInt values
// (`Mul(Integer(2), Symbol('s0', positive=True, integer=True))`) and plain `str` in
// range_constraints keys and older archives (`2*s0`, `(s0//2)`, `Max(1, s0)`). Both
// become fxir SymExprs: Add, Mul, FloorDiv, Mod / PythonMod, Max, Min and small integer
// powers map to fxir's normalized kinds; any other function (CeilToInt, IntTrueDiv, ...)
// is kept by name.
//
// Does not: evaluate SymBool relations (their values have type symbool, with no
// expression).
//===----------------------------------------------------------------------------===//
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "fxir/ir/Context.h"

#include "absl/status/statusor.h"
#include "llvm/ADT/StringRef.h"

namespace fxir::pt2 {

/// A symbol mentioned in an expression, with the assumptions srepr states.
struct SympySymbolRef {
  std::string name;
  bool positive = false;
};

/// Symbols named in `text` (srepr or plain), without building anything.
void collectSympySymbols(llvm::StringRef text, std::vector<SympySymbolRef> &out);

/// Parses srepr or plain form. `lookup` resolves a symbol name (null = unknown, an
/// error naming it).
absl::StatusOr<const SymExpr *>
parseSympy(Context &ctx, llvm::StringRef text,
           const std::function<const Symbol *(llvm::StringRef)> &lookup);

} // namespace fxir::pt2
