//===- AtenCall.h - call any ATen operator by name -----------------------------===//
//
// The executor's one way into ATen: look an operator up in c10's dispatcher by
// qualified name and overload and call it boxed, so every registered op works
// without per-op code. ATen errors come back as absl::Status naming the op.
//
// Does not: convert fxir values (the executor does), fill defaults (callers pass
// complete stacks; the .pt2 reader fills defaults from the schema table).
//===----------------------------------------------------------------------------===//
#pragma once

#include <string_view>
#include <vector>

#include <ATen/core/ivalue.h>
#include <c10/core/ScalarType.h>

#include "absl/status/statusor.h"
#include "fxir/ir/DType.h"

namespace fxir::runtime {

/// Calls `name`.`overload` (e.g. "aten::add", "Tensor"; "" for the default
/// overload) on `args` through the dispatcher; returns the op's results.
absl::StatusOr<std::vector<c10::IValue>>
callOp(std::string_view name, std::string_view overload, std::vector<c10::IValue> args);

/// fxir dtype <-> c10 scalar type.
c10::ScalarType toScalarType(DType t);
absl::StatusOr<DType> fromScalarType(c10::ScalarType t);

} // namespace fxir::runtime
