//===- AtenOp.cpp ---------------------------------------------------------------------===//
#include "fxir/backends/runtime/AtenOp.h"

#include <ATen/core/stack.h>
#include <ATen/ops/scalar_tensor.h>

#include "fxir/backends/runtime/AtenCall.h"
#include "fxir/ir/Verifier.h"

#include "llvm/ADT/STLExtras.h"

namespace fxir::runtime {

absl::Status opError(const Op &op, const std::string &msg) {
  return absl::InvalidArgumentError("op " + op.describe(/*withCode=*/true) + ": " + msg);
}

std::string ivalueKind(const c10::IValue &v) {
  if (v.isTensor())
    return "a tensor";
  if (v.isInt())
    return "an int";
  if (v.isDouble())
    return "a float";
  if (v.isBool())
    return "a bool";
  if (v.isNone())
    return "None";
  return v.tagKind();
}

namespace {

int64_t layoutCode(llvm::StringRef s) {
  static const std::pair<llvm::StringRef, c10::Layout> kLayouts[] = {
      {"strided", c10::kStrided},       {"sparse_coo", c10::kSparse},
      {"sparse_csr", c10::kSparseCsr}, {"sparse_csc", c10::kSparseCsc},
      {"sparse_bsr", c10::kSparseBsr}, {"sparse_bsc", c10::kSparseBsc},
      {"_mkldnn", c10::kMkldnn},       {"jagged", c10::kJagged}};
  for (auto &[n, l] : kLayouts)
    if (n == s)
      return static_cast<int64_t>(l);
  return -1;
}

int64_t memoryFormatCode(llvm::StringRef s) {
  if (s == "contiguous_format")
    return static_cast<int64_t>(c10::MemoryFormat::Contiguous);
  if (s == "preserve_format")
    return static_cast<int64_t>(c10::MemoryFormat::Preserve);
  if (s == "channels_last")
    return static_cast<int64_t>(c10::MemoryFormat::ChannelsLast);
  if (s == "channels_last_3d")
    return static_cast<int64_t>(c10::MemoryFormat::ChannelsLast3d);
  return -1;
}

} // namespace

absl::StatusOr<c10::IValue> attrValue(const Attr &a, const Op &op, ValueLookup lookup) {
  switch (a.kind()) {
  case Attr::Kind::None: return c10::IValue();
  case Attr::Kind::Int: return c10::IValue(a.intValue());
  case Attr::Kind::Float: return c10::IValue(a.floatValue());
  case Attr::Kind::Bool: return c10::IValue(a.boolValue());
  case Attr::Kind::Str: return c10::IValue(a.stringValue().str());
  case Attr::Kind::DType:
    return c10::IValue(static_cast<int64_t>(toScalarType(a.dtypeValue())));
  case Attr::Kind::Device:
    try {
      return c10::IValue(c10::Device(a.stringValue().str()));
    } catch (const std::exception &) {
      return opError(op, "bad device \"" + a.stringValue().str() + "\"");
    }
  case Attr::Kind::Layout: {
    int64_t l = layoutCode(a.stringValue());
    if (l < 0)
      return opError(op, "unknown layout " + a.stringValue().str());
    return c10::IValue(l);
  }
  case Attr::Kind::MemoryFormat: {
    int64_t m = memoryFormatCode(a.stringValue());
    if (m < 0)
      return opError(op, "unknown memory format " + a.stringValue().str());
    return c10::IValue(m);
  }
  case Attr::Kind::Operand: {
    if (a.index() >= op.numOperands())
      return opError(op, "operand index out of range");
    const c10::IValue *v = lookup(op.operandValue(a.index()));
    if (!v)
      return opError(op, "operand #" + std::to_string(a.index()) + " has no value yet");
    return *v;
  }
  case Attr::Kind::List: {
    c10::impl::GenericList list(c10::AnyType::get());
    for (const Attr &e : a.listValue()) {
      absl::StatusOr<c10::IValue> v = attrValue(e, op, lookup);
      if (!v.ok())
        return v.status();
      list.push_back(std::move(*v));
    }
    return c10::IValue(list);
  }
  case Attr::Kind::Region: return opError(op, "a region where a value was expected");
  }
  return opError(op, "unknown argument kind");
}

at::Tensor wrappedNumber(const c10::IValue &v) {
  at::Tensor t;
  if (v.isBool())
    t = at::scalar_tensor(v.toBool(), at::TensorOptions().dtype(at::kBool));
  else if (v.isInt())
    t = at::scalar_tensor(v.toInt(), at::TensorOptions().dtype(at::kLong));
  else
    t = at::scalar_tensor(v.toDouble(), at::TensorOptions().dtype(at::kDouble));
  t.unsafeGetTensorImpl()->set_wrapped_number(true);
  return t;
}

bool isNumber(const c10::IValue &v) { return v.isInt() || v.isDouble() || v.isBool(); }

absl::StatusOr<c10::IValue> convertToSchemaType(c10::IValue v, const c10::TypePtr &t, const Op &op,
                                    const std::string &argName) {
  auto mismatch = [&](const c10::IValue &got) {
    return opError(op, "argument '" + argName + "' expects " + t->repr_str() + ", got " +
                           ivalueKind(got));
  };
  switch (t->kind()) {
  case c10::TypeKind::OptionalType:
    if (v.isNone())
      return v;
    return convertToSchemaType(std::move(v), t->castRaw<c10::OptionalType>()->getElementType(),
                               op, argName);
  case c10::TypeKind::TensorType:
    if (v.isTensor())
      return v;
    if (isNumber(v))
      return c10::IValue(wrappedNumber(v));
    return mismatch(v);
  case c10::TypeKind::FloatType:
  case c10::TypeKind::SymFloatType:
    if (v.isDouble())
      return v;
    if (v.isInt())
      return c10::IValue(static_cast<double>(v.toInt()));
    if (v.isBool())
      return c10::IValue(v.toBool() ? 1.0 : 0.0);
    return mismatch(v);
  case c10::TypeKind::IntType:
  case c10::TypeKind::SymIntType:
    if (v.isInt())
      return v;
    if (v.isBool())
      return c10::IValue(static_cast<int64_t>(v.toBool()));
    if (v.isScalar() && v.toScalar().isIntegral(false))
      return c10::IValue(v.toScalar().toLong());
    return mismatch(v);
  case c10::TypeKind::BoolType:
  case c10::TypeKind::SymBoolType:
    if (v.isBool())
      return v;
    if (v.isInt())
      return c10::IValue(v.toInt() != 0);
    return mismatch(v);
  case c10::TypeKind::NumberType: // Scalar
    if (isNumber(v))
      return v;
    if (v.isTensor() && v.toTensor().numel() == 1)
      return c10::IValue(v.toTensor().item());
    return mismatch(v);
  case c10::TypeKind::ListType: {
    if (!v.isList())
      return mismatch(v);
    const c10::TypePtr &elem = t->castRaw<c10::ListType>()->getElementType();
    c10::impl::GenericList out(elem);
    for (const c10::IValue &e : v.toListRef()) {
      absl::StatusOr<c10::IValue> ce = convertToSchemaType(e, elem, op, argName);
      if (!ce.ok())
        return ce.status();
      out.push_back(std::move(*ce));
    }
    return c10::IValue(out);
  }
  default:
    return v; // strings, devices, ScalarType/Layout/MemoryFormat (ints), ...
  }
}

absl::StatusOr<AtenOp> AtenOp::prepare(const Op &op) {
  llvm::StringRef name = op.name();
  std::optional<std::pair<std::string, std::string>> split = splitDispatcherName(name);
  if (!split)
    return opError(op, "not an ATen operator and not an op the interp backend runs natively");
  std::string overload = split->second == "default" ? "" : split->second;
  std::optional<c10::OperatorHandle> handle =
      c10::Dispatcher::singleton().findSchema(c10::OperatorName(split->first, overload));
  if (!handle)
    return opError(op, "no such operator is registered in LibTorch");
  AtenOp plan(*handle);
  const c10::FunctionSchema &schema = handle->schema();
  const auto &params = schema.arguments();
  std::vector<const Attr *> positional;
  for (const Arg &a : op.args())
    if (a.name.empty())
      positional.push_back(&a.value);
  if (positional.size() > params.size())
    return opError(op, "takes at most " + std::to_string(params.size()) +
                           " arguments, got " + std::to_string(positional.size()));
  for (const Arg &a : op.args())
    if (!a.name.empty() && !llvm::any_of(params, [&](const c10::Argument &p) {
          return p.name() == a.name;
        }))
      return opError(op, "has no argument called '" + a.name.str() + "' (schema: " +
                             c10::toString(schema) + ")");
  for (size_t i = 0; i < params.size(); ++i) {
    const Attr *given = i < positional.size() ? positional[i] : nullptr;
    for (const Arg &a : op.args())
      if (!a.name.empty() && a.name == params[i].name())
        given = &a.value;
    if (!given && !params[i].default_value())
      return opError(op, "argument '" + params[i].name() + "' is missing");
    plan.args_.push_back(given);
    if (params[i].alias_info() && params[i].alias_info()->isWrite())
      plan.written_.push_back(static_cast<unsigned>(i));
  }
  return plan;
}

absl::Status AtenOp::call(const Op &op, ValueLookup lookup,
                          llvm::function_ref<bool(const at::Tensor &)> readOnly,
                          llvm::SmallVectorImpl<c10::IValue> &results) const {
  const c10::FunctionSchema &schema = handle_.schema();
  const auto &params = schema.arguments();
  torch::jit::Stack stack;
  stack.reserve(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    if (!args_[i]) {
      stack.push_back(*params[i].default_value());
      continue;
    }
    absl::StatusOr<c10::IValue> raw = attrValue(*args_[i], op, lookup);
    if (!raw.ok())
      return raw.status();
    absl::StatusOr<c10::IValue> v =
        convertToSchemaType(std::move(*raw), params[i].type(), op, params[i].name());
    if (!v.ok())
      return v.status();
    stack.push_back(std::move(*v));
  }
  // The write analysis (Effects.h) gave every weight the program writes a private
  // copy; should it ever miss one, refuse rather than write into the read-only mapping.
  for (unsigned w : written_) {
    auto isReadOnly = [&](const c10::IValue &v) {
      return v.isTensor() && v.toTensor().defined() && readOnly(v.toTensor());
    };
    bool bad = isReadOnly(stack[w]);
    if (stack[w].isList())
      for (const c10::IValue &e : stack[w].toListRef())
        bad |= isReadOnly(e);
    if (bad)
      return opError(op, "writes argument '" + params[w].name() +
                             "', which aliases a weight bound read-only (internal error: "
                             "the write analysis missed this write)");
  }
  try {
    handle_.callBoxed(stack);
  } catch (const c10::Error &e) {
    return opError(op, e.what_without_backtrace());
  } catch (const std::exception &e) {
    return opError(op, e.what());
  }
  // A Tensor[] return is as many results as it has tensors (the reader's convention).
  results.clear();
  for (const c10::IValue &v : stack) {
    if (v.isTensorList()) {
      for (const at::Tensor &t : v.toTensorVector()) {
        if (results.size() >= op.numResults())
          return opError(op, "returned more values than the op has results");
        results.push_back(t);
      }
      continue;
    }
    if (results.size() >= op.numResults()) {
      if (op.numResults() == 0 && v.isNone())
        continue;
      return opError(op, "returned more values than the op has results");
    }
    results.push_back(v);
  }
  size_t r = results.size();
  if (r != op.numResults())
    return opError(op, "returned " + std::to_string(r) + " values for " +
                           std::to_string(op.numResults()) + " results");
  return absl::OkStatus();
}

} // namespace fxir::runtime
