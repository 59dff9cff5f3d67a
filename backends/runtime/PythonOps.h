//===- PythonOps.h - Python-level scalar ops, as Python computes them ---------------===//
//
// The FX nodes that are Python, not ATen: `_operator.*` (add, floordiv, pow, ...),
// `math.*` and `torch.sym_*` on ints, floats and bools, computed as Python does (floor
// division and modulo round toward negative infinity, float divmod, exact integer pow by
// squaring, range-checked conversions). Every backend runs them the same way; so do the
// predicates of control flow (truthOf: a bool, a number or a one-element tensor).
//
// Does not: compute with Python's unbounded ints: int arithmetic wraps at 2^63.
//===----------------------------------------------------------------------------===//
#pragma once

#include <ATen/core/ivalue.h>

#include "fxir/ir/Graph.h"

#include "absl/status/statusor.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

namespace fxir::runtime {

/// Python-level scalar ops (the verifier's isPythonLevelOp, without the higher-order ops).
bool isPythonOp(llvm::StringRef name);
/// The Python-level ops pythonOp() computes.
bool isSupportedPythonOp(llvm::StringRef name);
/// `op` (a Python-level op) on its argument values.
absl::StatusOr<c10::IValue> pythonOp(const Op &op, llvm::ArrayRef<c10::IValue> args);
/// Python truthiness of a predicate: a bool, a number or a one-element tensor; `what`
/// names it in errors ("the loop condition").
absl::StatusOr<bool> truthOf(const c10::IValue &v, const Op &op, llvm::StringRef what);

} // namespace fxir::runtime
