//===- AtenCall.cpp -------------------------------------------------------------===//
#include "fxir/backends/runtime/AtenCall.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/stack.h>


namespace fxir::runtime {

absl::StatusOr<std::vector<c10::IValue>>
callOp(std::string_view name, std::string_view overload, std::vector<c10::IValue> args) {
  std::string display(name);
  if (!overload.empty())
    display.append(".").append(overload);
  std::optional<c10::OperatorHandle> op = c10::Dispatcher::singleton().findSchema(
      c10::OperatorName(std::string(name), std::string(overload)));
  if (!op)
    return absl::NotFoundError(
        display + ": no such operator is registered in LibTorch");
  torch::jit::Stack stack(std::make_move_iterator(args.begin()),
                          std::make_move_iterator(args.end()));
  try {
    op->callBoxed(stack);
  } catch (const c10::Error &e) {
    return absl::InvalidArgumentError(
        display + ": " + e.what_without_backtrace());
  } catch (const std::exception &e) {
    return absl::InternalError(display + ": " + e.what());
  }
  return std::vector<c10::IValue>(std::make_move_iterator(stack.begin()),
                                  std::make_move_iterator(stack.end()));
}

c10::ScalarType toScalarType(DType t) {
  switch (t) {
  case DType::UInt8: return c10::ScalarType::Byte;
  case DType::Int8: return c10::ScalarType::Char;
  case DType::Int16: return c10::ScalarType::Short;
  case DType::Int32: return c10::ScalarType::Int;
  case DType::Int64: return c10::ScalarType::Long;
  case DType::Float16: return c10::ScalarType::Half;
  case DType::Float32: return c10::ScalarType::Float;
  case DType::Float64: return c10::ScalarType::Double;
  case DType::Complex32: return c10::ScalarType::ComplexHalf;
  case DType::Complex64: return c10::ScalarType::ComplexFloat;
  case DType::Complex128: return c10::ScalarType::ComplexDouble;
  case DType::Bool: return c10::ScalarType::Bool;
  case DType::BFloat16: return c10::ScalarType::BFloat16;
  case DType::UInt16: return c10::ScalarType::UInt16;
  case DType::Float8E4M3FN: return c10::ScalarType::Float8_e4m3fn;
  case DType::Float8E5M2: return c10::ScalarType::Float8_e5m2;
  case DType::Float8E4M3FNUZ: return c10::ScalarType::Float8_e4m3fnuz;
  case DType::Float8E5M2FNUZ: return c10::ScalarType::Float8_e5m2fnuz;
  case DType::Float8E8M0FNU: return c10::ScalarType::Float8_e8m0fnu;
  case DType::UInt32: return c10::ScalarType::UInt32;
  case DType::UInt64: return c10::ScalarType::UInt64;
  }
  return c10::ScalarType::Undefined;
}

absl::StatusOr<DType> fromScalarType(c10::ScalarType t) {
  for (DType d : allDTypes())
    if (toScalarType(d) == t)
      return d;
  return absl::InvalidArgumentError(
      std::string("dtype ") + c10::toString(t) + " has no fxir equivalent");
}

} // namespace fxir::runtime
