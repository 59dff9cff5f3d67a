//===- AtenOp.h - fxir op arguments as IValues, and prepared boxed ATen calls -----===//
//
// How the LibTorch side turns an fxir op into an ATen call, shared by every backend
// that calls ATen (interp for every op, code generators for their extern ops):
//  - attrValue: an op's argument as a c10::IValue (operands through a lookup, lists as
//    generic lists, dtypes/layouts/memory formats as c10's numbers);
//  - convertToSchemaType: a value as the callee's parameter type wants it (a Python
//    number for a Tensor becomes a 0-dim wrapped-number tensor, as in eager, so type
//    promotion matches; ints for floats; ...);
//  - AtenOp: an op's dispatcher handle and argument binding, resolved once, then called
//    boxed with the op's own schema.
// Errors are statuses naming the op, its FX node and the user's source line.
//
// Does not: run control flow or Python-level ops (PythonOps.h), own values between
// ops (each backend keeps its own environment).
//===----------------------------------------------------------------------------===//
#pragma once

#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/ivalue.h>

#include "fxir/ir/Graph.h"

#include "absl/status/statusor.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"

namespace fxir::runtime {

/// `op <description with the user's line>: msg` as an InvalidArgument status.
absl::Status opError(const Op &op, const std::string &msg);
/// "a tensor", "an int", "None", ... (for messages).
std::string ivalueKind(const c10::IValue &v);
bool isNumber(const c10::IValue &v);

/// The current value of an fxir value, or null when it has none yet.
using ValueLookup = llvm::function_ref<const c10::IValue *(const Value *)>;

/// The value an argument stands for, before any schema-driven conversion.
absl::StatusOr<c10::IValue> attrValue(const Attr &a, const Op &op, ValueLookup lookup);
/// A Python number given for a Tensor parameter, as eager passes it: a 0-dim tensor of
/// the number's own type (int64, float64, bool) marked as a wrapped number, which type
/// promotion treats as weaker than any tensor.
at::Tensor wrappedNumber(const c10::IValue &v);
/// `v` converted to what a parameter of type `t` takes.
absl::StatusOr<c10::IValue> convertToSchemaType(c10::IValue v, const c10::TypePtr &t,
                                                const Op &op, const std::string &argName);

/// One ATen op, prepared once for boxed calls through c10's dispatcher.
class AtenOp {
public:
  /// Finds the operator in the dispatcher and binds the op's args to its schema (by
  /// position and keyword; omitted ones take the schema's defaults).
  static absl::StatusOr<AtenOp> prepare(const Op &op);

  /// Calls it. `readOnly` says whether a tensor must not be written (weights bound to
  /// a read-only mapping): a call that would write one is refused. Results come back
  /// one per fxir result (a Tensor[] return as one value per tensor).
  absl::Status call(const Op &op, ValueLookup lookup,
                    llvm::function_ref<bool(const at::Tensor &)> readOnly,
                    llvm::SmallVectorImpl<c10::IValue> &results) const;

  const c10::FunctionSchema &schema() const { return handle_.schema(); }
  /// Schema arguments the op writes (`Tensor(a!)`).
  llvm::ArrayRef<unsigned> written() const { return written_; }

private:
  explicit AtenOp(c10::OperatorHandle h) : handle_(std::move(h)) {}
  c10::OperatorHandle handle_;
  /// Per schema argument: the op's attr for it, or null (use the schema's default).
  std::vector<const Attr *> args_;
  std::vector<unsigned> written_;
};

} // namespace fxir::runtime
