//===- Executor.cpp - the reference executor on ATen ---------------------------------===//
#include "fxir/backends/interp/Executor.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include <ATen/MemoryOverlap.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/stack.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/scalar_tensor.h>
#include <ATen/ops/select_scatter.h>
#include <ATen/ops/set.h>
#include <ATen/ops/stack.h>

#include "fxir/backends/interp/AtenCall.h"
#include "fxir/ir/TextFormat.h"
#include "fxir/ir/Verifier.h"
#include "fxir/passes/Config.h"
#include "fxir/passes/PassManager.h"
#include "fxir/passes/Effects.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/raw_ostream.h"

namespace fxir::interp {
namespace {

using Env = llvm::DenseMap<const Value *, c10::IValue>;

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

//===----------------------------------------------------------------------------===//
// Attr -> IValue, typed by the callee's schema
//===----------------------------------------------------------------------------===//

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

/// The value an attr stands for, before any schema-driven conversion.
absl::StatusOr<c10::IValue> rawValue(const Attr &a, const Op &op, const Env &env) {
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
    auto it = env.find(op.operandValue(a.index()));
    if (it == env.end())
      return opError(op, "operand #" + std::to_string(a.index()) + " has no value yet");
    return it->second;
  }
  case Attr::Kind::List: {
    c10::impl::GenericList list(c10::AnyType::get());
    for (const Attr &e : a.listValue()) {
      absl::StatusOr<c10::IValue> v = rawValue(e, op, env);
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

/// A Python number given for a Tensor parameter, as eager passes it: a 0-dim tensor of
/// the number's own type (int64, float64, bool) marked as a wrapped number, which type
/// promotion treats as weaker than any tensor.
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

/// `v` converted to what a parameter of type `t` takes.
absl::StatusOr<c10::IValue> convert(c10::IValue v, const c10::TypePtr &t, const Op &op,
                                    const std::string &argName) {
  auto mismatch = [&](const c10::IValue &got) {
    return opError(op, "argument '" + argName + "' expects " + t->repr_str() + ", got " +
                           ivalueKind(got));
  };
  switch (t->kind()) {
  case c10::TypeKind::OptionalType:
    if (v.isNone())
      return v;
    return convert(std::move(v), t->castRaw<c10::OptionalType>()->getElementType(), op,
                   argName);
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
      absl::StatusOr<c10::IValue> ce = convert(e, elem, op, argName);
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

//===----------------------------------------------------------------------------===//
// Python-level scalar ops
//===----------------------------------------------------------------------------===//

absl::StatusOr<c10::IValue> pythonOp(const Op &op, llvm::ArrayRef<c10::IValue> a) {
  llvm::StringRef name = op.name();
  auto need = [&](size_t n) -> absl::Status {
    if (a.size() != n)
      return opError(op, "takes " + std::to_string(n) + " arguments, got " +
                             std::to_string(a.size()));
    for (const c10::IValue &v : a)
      if (!isNumber(v))
        return opError(op, "expects numbers, got " + ivalueKind(v));
    return absl::OkStatus();
  };
  auto isInt = [](const c10::IValue &v) { return v.isInt() || v.isBool(); };
  auto asInt = [](const c10::IValue &v) { return v.isBool() ? int64_t(v.toBool()) : v.toInt(); };
  auto asDouble = [&](const c10::IValue &v) {
    return v.isDouble() ? v.toDouble() : static_cast<double>(asInt(v));
  };
  auto wrap = [](auto f, int64_t x, int64_t y) {
    return static_cast<int64_t>(f(static_cast<uint64_t>(x), static_cast<uint64_t>(y)));
  };
  llvm::StringRef fn = name.substr(name.find('.') + 1);
  if (name.starts_with("_operator.")) {
    if (fn == "neg" || fn == "pos" || fn == "abs" || fn == "not_" || fn == "truth" ||
        fn == "invert") {
      if (absl::Status st = need(1); !st.ok())
        return st;
      const c10::IValue &x = a[0];
      if (fn == "not_")
        return c10::IValue(asDouble(x) == 0);
      if (fn == "truth")
        return c10::IValue(asDouble(x) != 0);
      if (fn == "invert") {
        if (!isInt(x))
          return opError(op, "bad operand type for unary ~: 'float'");
        return c10::IValue(~asInt(x));
      }
      if (isInt(x)) {
        int64_t i = asInt(x);
        return c10::IValue(fn == "neg" ? wrap(std::minus<>(), 0, i)
                           : fn == "abs" ? (i < 0 ? wrap(std::minus<>(), 0, i) : i)
                                         : i);
      }
      double d = x.toDouble();
      return c10::IValue(fn == "neg" ? -d : fn == "abs" ? std::fabs(d) : d);
    }
    if (absl::Status st = need(2); !st.ok())
      return st;
    const c10::IValue &x = a[0], &y = a[1];
    bool ints = isInt(x) && isInt(y);
    if (fn == "add" || fn == "sub" || fn == "mul") {
      if (ints)
        return c10::IValue(fn == "add"   ? wrap(std::plus<>(), asInt(x), asInt(y))
                           : fn == "sub" ? wrap(std::minus<>(), asInt(x), asInt(y))
                                         : wrap(std::multiplies<>(), asInt(x), asInt(y)));
      double p = asDouble(x), q = asDouble(y);
      return c10::IValue(fn == "add" ? p + q : fn == "sub" ? p - q : p * q);
    }
    if (fn == "truediv") {
      if (asDouble(y) == 0)
        return opError(op, "division by zero");
      return c10::IValue(asDouble(x) / asDouble(y));
    }
    if (fn == "floordiv" || fn == "mod") {
      if (asDouble(y) == 0)
        return opError(op, "integer division or modulo by zero");
      if (ints)
        return c10::IValue(fn == "floordiv" ? floorDiv(asInt(x), asInt(y))
                                            : floorMod(asInt(x), asInt(y)));
      // Python's float divmod: the remainder from fmod (exact), its sign moved to the
      // divisor's, and the quotient derived from it (so 1 // 0.1 == 9.0 and
      // 1 % 0.1 == 0.09999999999999995, as in Python).
      double p = asDouble(x), q = asDouble(y);
      double m = std::fmod(p, q);
      double d = (p - m) / q;
      if (m != 0) {
        if ((q < 0) != (m < 0)) {
          m += q;
          d -= 1.0;
        }
      } else {
        m = std::copysign(0.0, q);
      }
      double fd;
      if (d != 0) {
        fd = std::floor(d);
        if (d - fd > 0.5)
          fd += 1.0;
      } else {
        fd = std::copysign(0.0, p / q);
      }
      return c10::IValue(fn == "floordiv" ? fd : m);
    }
    if (fn == "pow") {
      if (asDouble(x) == 0 && asDouble(y) < 0)
        return opError(op, "0 cannot be raised to a negative power");
      if (ints && asInt(y) >= 0) {
        int64_t r = 1, b = asInt(x);
        for (uint64_t e = static_cast<uint64_t>(asInt(y)); e; e >>= 1) { // by squaring
          if (e & 1)
            r = wrap(std::multiplies<>(), r, b);
          b = wrap(std::multiplies<>(), b, b);
        }
        return c10::IValue(r);
      }
      return c10::IValue(std::pow(asDouble(x), asDouble(y)));
    }
    if (fn == "lt") return c10::IValue(ints ? asInt(x) < asInt(y) : asDouble(x) < asDouble(y));
    if (fn == "le") return c10::IValue(ints ? asInt(x) <= asInt(y) : asDouble(x) <= asDouble(y));
    if (fn == "gt") return c10::IValue(ints ? asInt(x) > asInt(y) : asDouble(x) > asDouble(y));
    if (fn == "ge") return c10::IValue(ints ? asInt(x) >= asInt(y) : asDouble(x) >= asDouble(y));
    if (fn == "eq") return c10::IValue(ints ? asInt(x) == asInt(y) : asDouble(x) == asDouble(y));
    if (fn == "ne") return c10::IValue(ints ? asInt(x) != asInt(y) : asDouble(x) != asDouble(y));
    if ((fn == "and_" || fn == "or_" || fn == "xor") && ints) {
      int64_t r = fn == "and_" ? (asInt(x) & asInt(y))
                  : fn == "or_" ? (asInt(x) | asInt(y))
                                : (asInt(x) ^ asInt(y));
      if (x.isBool() && y.isBool())
        return c10::IValue(r != 0);
      return c10::IValue(r);
    }
  } else if (name.starts_with("math.")) {
    if (absl::Status st = need(1); !st.ok())
      return st;
    double d = asDouble(a[0]);
    if (fn == "ceil" || fn == "floor" || fn == "trunc") {
      if (isInt(a[0]))
        return c10::IValue(asInt(a[0]));
      double r = fn == "ceil" ? std::ceil(d) : fn == "floor" ? std::floor(d) : std::trunc(d);
      if (!(r >= -9223372036854775808.0 && r < 9223372036854775808.0))
        return opError(op, "cannot convert " + std::to_string(d) + " to a 64-bit integer");
      return c10::IValue(static_cast<int64_t>(r));
    }
    if (fn == "sqrt") return c10::IValue(std::sqrt(d));
    if (fn == "exp") return c10::IValue(std::exp(d));
    if (fn == "log") return c10::IValue(std::log(d));
  } else if (name.starts_with("torch.")) {
    if (fn == "sym_not") {
      if (absl::Status st = need(1); !st.ok())
        return st;
      return c10::IValue(asDouble(a[0]) == 0);
    }
    if (fn == "sym_float") {
      if (absl::Status st = need(1); !st.ok())
        return st;
      return c10::IValue(asDouble(a[0]));
    }
    if (fn == "sym_int") {
      if (absl::Status st = need(1); !st.ok())
        return st;
      if (isInt(a[0]))
        return c10::IValue(asInt(a[0]));
      double t = std::trunc(asDouble(a[0]));
      if (!(t >= -9223372036854775808.0 && t < 9223372036854775808.0))
        return opError(op, "cannot convert " + std::to_string(asDouble(a[0])) +
                               " to a 64-bit integer");
      return c10::IValue(static_cast<int64_t>(t));
    }
    if (fn == "sym_sqrt") {
      if (absl::Status st = need(1); !st.ok())
        return st;
      return c10::IValue(std::sqrt(asDouble(a[0])));
    }
    if (fn == "sym_max" || fn == "sym_min") {
      if (absl::Status st = need(2); !st.ok())
        return st;
      bool ints = isInt(a[0]) && isInt(a[1]);
      bool max = fn == "sym_max";
      if (ints)
        return c10::IValue(max ? std::max(asInt(a[0]), asInt(a[1]))
                               : std::min(asInt(a[0]), asInt(a[1])));
      return c10::IValue(max ? std::max(asDouble(a[0]), asDouble(a[1]))
                             : std::min(asDouble(a[0]), asDouble(a[1])));
    }
    if (fn == "sym_ite") {
      if (a.size() != 3)
        return opError(op, "takes 3 arguments");
      return asDouble(a[0]) != 0 ? a[1] : a[2];
    }
  }
  return opError(op, "this Python-level operation is not supported by the interp backend");
}

/// Python-level scalar ops (the verifier's isPythonLevelOp, without the higher-order ops).
bool isPythonOp(llvm::StringRef name) {
  return isPythonLevelOp(name) && !name.starts_with("higher_order.");
}

/// The Python-level ops pythonOp() computes.
bool isSupportedPythonOp(llvm::StringRef name) {
  static const llvm::StringRef kOps[] = {
      "_operator.neg", "_operator.pos", "_operator.abs", "_operator.not_",
      "_operator.truth", "_operator.invert", "_operator.add", "_operator.sub",
      "_operator.mul", "_operator.truediv", "_operator.floordiv", "_operator.mod",
      "_operator.pow", "_operator.lt", "_operator.le", "_operator.gt", "_operator.ge",
      "_operator.eq", "_operator.ne", "_operator.and_", "_operator.or_", "_operator.xor",
      "math.ceil", "math.floor", "math.trunc", "math.sqrt", "math.exp", "math.log",
      "torch.sym_not", "torch.sym_float", "torch.sym_int", "torch.sym_sqrt",
      "torch.sym_max", "torch.sym_min", "torch.sym_ite"};
  return llvm::is_contained(kOps, name);
}

absl::StatusOr<bool> truthOf(const c10::IValue &v, const Op &op, llvm::StringRef what) {
  if (v.isBool())
    return v.toBool();
  if (v.isInt())
    return v.toInt() != 0;
  if (v.isDouble())
    return v.toDouble() != 0;
  if (v.isTensor()) {
    const at::Tensor &t = v.toTensor();
    if (t.numel() != 1)
      return opError(op, what.str() + " must be a tensor with one element, got shape " +
                             c10::str(t.sizes()));
    return t.item().toBool();
  }
  return opError(op, what.str() + " must be a bool or a one-element tensor, got " +
                         ivalueKind(v));
}

} // namespace

//===----------------------------------------------------------------------------===//
// Executable
//===----------------------------------------------------------------------------===//

struct Executable::Impl {
  std::shared_ptr<Program> program;
  const Graph *graph = nullptr;

  // One prepared dispatcher call per ATen op.
  struct AtenPlan {
    c10::OperatorHandle handle;
    /// Per schema argument: the op's attr for it, or null (use the schema's default).
    std::vector<const Attr *> args;
    /// Schema arguments the op writes (`Tensor(a!)`).
    std::vector<unsigned> written;
  };
  llvm::DenseMap<const Op *, std::unique_ptr<AtenPlan>> plans;
  /// fxir.insert_slice ops whose buffer nobody else sees: they write it in place.
  llvm::DenseSet<const Op *> inPlaceInserts;

  std::vector<InputInfo> inputs;
  std::vector<unsigned> inputArgs; ///< graph argument index of each user input
  /// Per graph argument: the bound weight (parameters, buffers, constants).
  std::vector<std::optional<at::Tensor>> weights;
  llvm::StringMap<at::Tensor> weightsByFqn;
  std::vector<std::string> mutatedWeights;
  /// Storages over the archive's read-only mapping: nothing may write them, and an
  /// output that aliases one is returned as a copy (the caller may write it).
  llvm::DenseSet<const c10::StorageImpl *> readOnlyStorages;

  absl::Status prepare(const Op &op);
  absl::Status bindWeights();
  absl::Status checkInputs(const std::vector<c10::IValue> &in) const;
  absl::Status runRegion(const Region &r, llvm::ArrayRef<c10::IValue> args, Env &env,
                         std::vector<c10::IValue> &results) const;
  absl::Status runOp(const Op &op, Env &env) const;
  absl::Status runAten(const Op &op, Env &env) const;
  absl::Status runHop(const Op &op, Env &env) const;
  absl::Status runStructured(const Op &op, Env &env) const;
  // Shared by the higher-order ops and their lowered forms (fxir.while, fxir.if).
  absl::Status runWhile(const Op &op, const Region &cond, const Region &body,
                        std::vector<c10::IValue> state, llvm::ArrayRef<c10::IValue> extra,
                        Env &env) const;
  absl::Status runBranch(const Op &op, const Attr &predicate, const Region &taken,
                         const Region &other, llvm::ArrayRef<c10::IValue> args, Env &env) const;
};

Executable::Executable(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Executable::~Executable() = default;
const std::vector<InputInfo> &Executable::inputs() const { return impl_->inputs; }
const Graph &Executable::graph() const { return *impl_->graph; }
std::vector<std::string> Executable::mutatedWeights() const { return impl_->mutatedWeights; }

std::optional<at::Tensor> Executable::weight(llvm::StringRef fqn) const {
  auto it = impl_->weightsByFqn.find(fqn);
  if (it == impl_->weightsByFqn.end())
    return std::nullopt;
  return it->second;
}

absl::Status Executable::Impl::prepare(const Op &op) {
  llvm::StringRef name = op.name();
  if (name == "fxir.yield" || name == "fxir.constant")
    return absl::OkStatus();
  if (name == "fxir.alloc")
    return absl::OkStatus();
  if (name == "fxir.insert_slice") {
    // In place when nobody else can see the buffer: it is the loop-carried copy of a
    // fresh aten.empty that only the loop uses, and this op is its only reader.
    Value *buf = op.numOperands() ? op.operandValue(0) : nullptr;
    Region *owner = buf ? buf->argOwner() : nullptr;
    Op *loop = owner ? owner->parentOp() : nullptr;
    if (loop && loop->name() == "fxir.for" && buf->numUses() == 1) {
      unsigned argIndex = 0;
      while (argIndex < owner->numArgs() && owner->arg(argIndex) != buf)
        ++argIndex;
      // Region args: the index, then the carried values (operands 1...).
      Value *init = argIndex >= 1 && argIndex < loop->numOperands()
                        ? loop->operandValue(argIndex)
                        : nullptr;
      // ...and its result goes only to the loop's yield, at the buffer's own slot, so
      // no other carried value or later step can see the old contents; the allocation
      // is in the loop's own region (a new buffer each time the loop runs).
      Value *res = op.numResults() ? op.result(0) : nullptr;
      const Op *user = res && res->numUses() == 1 ? res->firstUse()->owner() : nullptr;
      bool toOwnSlot = user && user->isTerminator() && user->parentRegion() == owner &&
                       res->firstUse()->index() + 1 == argIndex;
      if (init && toOwnSlot && init->numUses() == 1 && init->definingOp() &&
          init->definingOp()->name() == "fxir.alloc" &&
          init->definingOp()->parentRegion() == loop->parentRegion())
        inPlaceInserts.insert(&op);
    }
    return absl::OkStatus();
  }
  if (name == "fxir.for" || name == "fxir.while" || name == "fxir.if") {
    for (unsigned r = 0; r < op.numRegions(); ++r)
      for (const Op &nested : op.region(r).ops())
        if (absl::Status st = prepare(nested); !st.ok())
          return st;
    return absl::OkStatus();
  }
  if (isPythonOp(name))
    return isSupportedPythonOp(name)
               ? absl::OkStatus()
               : opError(op, "this Python-level operation is not supported by the interp "
                             "backend");
  if (name.starts_with("higher_order.")) {
    static const llvm::StringRef kHops[] = {"higher_order.cond", "higher_order.while_loop",
                                            "higher_order.scan", "higher_order.map_impl"};
    if (!llvm::is_contained(kHops, name))
      return opError(op, "this higher-order op is not supported by the interp backend");
    for (unsigned r = 0; r < op.numRegions(); ++r)
      for (const Op &nested : op.region(r).ops())
        if (absl::Status st = prepare(nested); !st.ok())
          return st;
    return absl::OkStatus();
  }
  std::optional<std::pair<std::string, std::string>> split = splitDispatcherName(name);
  if (!split)
    return opError(op, "not an ATen operator and not an op the interp backend runs natively");
  std::string overload = split->second == "default" ? "" : split->second;
  std::optional<c10::OperatorHandle> handle =
      c10::Dispatcher::singleton().findSchema(c10::OperatorName(split->first, overload));
  if (!handle)
    return opError(op, "no such operator is registered in LibTorch");
  auto plan = std::make_unique<AtenPlan>(AtenPlan{*handle, {}, {}});
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
    plan->args.push_back(given);
    if (params[i].alias_info() && params[i].alias_info()->isWrite())
      plan->written.push_back(static_cast<unsigned>(i));
  }
  plans[&op] = std::move(plan);
  return absl::OkStatus();
}

absl::Status Executable::Impl::bindWeights() {
  Graph &g = *program->graph;
  EffectAnalysis effects;
  WrittenValues written(g, effects);
  llvm::StringSet<> mutatedFqns;
  for (unsigned i = 0; i < g.inputSpecs().size(); ++i)
    if (written.written(g.body().arg(i)))
      mutatedFqns.insert(g.inputSpecs()[i].target);
  for (const OutputSpec &o : g.outputSpecs())
    if (o.kind == OutputSpec::Kind::BufferMutation ||
        o.kind == OutputSpec::Kind::ParameterMutation)
      mutatedFqns.insert(o.target);

  // Storages: one byte tensor per archive entry, private when any tensor in it is
  // written or misaligned for its dtype.
  std::map<std::string, at::Tensor> storages;
  std::map<std::string, bool> privateStorage;
  for (const TensorData &t : program->weights.tensors) {
    size_t elem = byteSize(t.dtype);
    bool misaligned =
        elem && reinterpret_cast<uintptr_t>(t.storageBytes.data()) % elem != 0;
    privateStorage[t.storage] |= mutatedFqns.count(t.fqn) || misaligned;
  }
  // Every stored tensor, used by the graph or not (a tied FQN export dropped from the
  // signature still names the same memory).
  for (const TensorData &td : program->weights.tensors) {
    const TensorData *t = &td;
    std::string what = program->path + ": weight " + t->fqn;
    int64_t extent = 0; // offset of the last element, in elements
    bool empty = false;
    for (size_t d = 0; d < t->sizes.size(); ++d) {
      empty |= t->sizes[d] == 0;
      extent += (t->sizes[d] - 1) * (d < t->strides.size() ? t->strides[d] : 0);
    }
    if (t->strides.size() != t->sizes.size())
      return absl::InvalidArgumentError(what + ": strides and sizes differ in rank");
    at::TensorOptions opts = at::TensorOptions().dtype(toScalarType(t->dtype));
    at::Tensor w;
    if (empty) {
      w = at::empty(t->sizes, opts);
    } else {
      size_t elem = byteSize(t->dtype);
      size_t need = static_cast<size_t>(t->storageOffset + extent + 1) * elem;
      if (t->storageBytes.empty())
        return absl::InvalidArgumentError(what + ": the archive holds no data for it");
      if (t->storageBytes.size() < need)
        return absl::InvalidArgumentError(
            what + ": its storage " + t->storage + " holds " +
            std::to_string(t->storageBytes.size()) + " bytes, the tensor needs " +
            std::to_string(need));
      at::Tensor &base = storages[t->storage];
      if (!base.defined()) {
        // One storage per archive entry. Its memory is the read-only mapping, kept
        // alive by the storage itself (the deleter holds the program), so tensors that
        // alias a weight outlive the Executable safely. Storages the program writes are
        // private copies instead.
        std::shared_ptr<Program> keep = program;
        base = at::from_blob(const_cast<uint8_t *>(t->storageBytes.data()),
                             {static_cast<int64_t>(t->storageBytes.size())},
                             [keep](void *) mutable { keep.reset(); },
                             at::TensorOptions().dtype(at::kByte));
        if (privateStorage[t->storage])
          base = base.clone();
        else
          readOnlyStorages.insert(base.storage().unsafeGetStorageImpl());
      }
      w = at::empty({0}, opts).set_(base.storage(), t->storageOffset, t->sizes, t->strides);
    }
    if (mutatedFqns.count(t->fqn))
      mutatedWeights.push_back(t->fqn);
    weightsByFqn[t->fqn] = w;
  }
  for (unsigned i = 0; i < g.inputSpecs().size(); ++i) {
    const InputSpec &spec = g.inputSpecs()[i];
    if (spec.kind != InputSpec::Kind::Parameter && spec.kind != InputSpec::Kind::Buffer &&
        spec.kind != InputSpec::Kind::TensorConstant)
      continue;
    auto it = weightsByFqn.find(spec.target);
    if (it == weightsByFqn.end())
      return absl::InvalidArgumentError(program->path + ": " + inputKindName(spec.kind).str() +
                                        " " + spec.target.str() +
                                        " has no stored tensor (a .fxir program takes its "
                                        "weights from a .pt2: fxir-run --weights FILE.pt2)");
    weights[i] = it->second;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Executable>>
Executable::create(std::shared_ptr<Program> program) {
  if (!program || !program->graph)
    return absl::InvalidArgumentError("interp: no program");
  auto impl = std::make_unique<Impl>();
  impl->program = program;
  const Graph &g = *program->graph;
  impl->graph = &g;
  const Region &body = g.body();
  if (g.inputSpecs().size() != body.numArgs())
    return absl::InvalidArgumentError(program->path + ": the signature lists " +
                                      std::to_string(g.inputSpecs().size()) +
                                      " inputs, the graph has " +
                                      std::to_string(body.numArgs()));
  if (absl::Status st = verify(g); !st.ok())
    return absl::InvalidArgumentError(program->path + ": " + std::string(st.message()));
  impl->weights.resize(body.numArgs());
  for (const Op &op : body.ops())
    if (absl::Status st = impl->prepare(op); !st.ok())
      return st;
  if (absl::Status st = impl->bindWeights(); !st.ok())
    return st;

  EffectAnalysis effects;
  WrittenValues written(g, effects);
  for (unsigned i = 0; i < g.inputSpecs().size(); ++i) {
    const InputSpec &spec = g.inputSpecs()[i];
    if (spec.kind == InputSpec::Kind::Token || spec.kind == InputSpec::Kind::CustomObj)
      return absl::InvalidArgumentError(program->path + ": input " +
                                        inputKindName(spec.kind).str() +
                                        " is not supported by the interp backend");
    if (spec.kind != InputSpec::Kind::UserInput && spec.kind != InputSpec::Kind::ConstantInput)
      continue;
    InputInfo info;
    info.name = body.arg(i)->name().str();
    if (info.name.empty())
      info.name = "#" + std::to_string(impl->inputs.size());
    info.type = body.arg(i)->type();
    info.constant = spec.kind == InputSpec::Kind::ConstantInput;
    info.mutated = written.written(body.arg(i));
    for (const OutputSpec &o : g.outputSpecs())
      if (o.kind == OutputSpec::Kind::UserInputMutation && o.target == info.name)
        info.mutated = true;
    impl->inputs.push_back(info);
    impl->inputArgs.push_back(i);
  }
  return std::unique_ptr<Executable>(new Executable(std::move(impl)));
}

//===----------------------------------------------------------------------------===//
// Input checks
//===----------------------------------------------------------------------------===//

absl::Status Executable::Impl::checkInputs(const std::vector<c10::IValue> &in) const {
  if (in.size() != inputs.size()) {
    std::string names;
    for (const InputInfo &i : inputs)
      names += (names.empty() ? "" : ", ") + i.name;
    return absl::InvalidArgumentError("expected " + std::to_string(inputs.size()) +
                                      " inputs (" + names + "), got " +
                                      std::to_string(in.size()));
  }
  llvm::DenseMap<const Symbol *, std::pair<int64_t, std::string>> bound;
  auto where = [&](size_t k) { return "input '" + inputs[k].name + "' (#" + std::to_string(k) + ")"; };
  for (size_t k = 0; k < in.size(); ++k) {
    const InputInfo &info = inputs[k];
    const Graph &g = *graph;
    const InputSpec &spec = g.inputSpecs()[inputArgs[k]];
    const c10::IValue &v = in[k];
    if (info.constant) {
      if (!spec.value)
        continue;
      const Attr &c = *spec.value;
      bool same = (c.kind() == Attr::Kind::None && v.isNone()) ||
                  (c.kind() == Attr::Kind::Int && v.isInt() && v.toInt() == c.intValue()) ||
                  (c.kind() == Attr::Kind::Bool && v.isBool() && v.toBool() == c.boolValue()) ||
                  (c.kind() == Attr::Kind::Float && (v.isDouble() || v.isInt()) &&
                   (v.isDouble() ? v.toDouble() : double(v.toInt())) == c.floatValue()) ||
                  (c.kind() == Attr::Kind::Str && v.isString() &&
                   v.toStringRef() == c.stringValue().str());
      if (!same)
        return absl::InvalidArgumentError(
            where(k) + ": export specialized this input to a constant; the program is only "
                       "valid for that value, got " +
            (isNumber(v) ? c10::str(v) : ivalueKind(v)));
      continue;
    }
    const Type *t = info.type;
    if (!t->isTensor()) {
      bool ok = (t->kind() == Type::Kind::Int || t->kind() == Type::Kind::SymInt) ? v.isInt()
                : (t->kind() == Type::Kind::Float || t->kind() == Type::Kind::SymFloat)
                    ? (v.isDouble() || v.isInt())
                : (t->kind() == Type::Kind::Bool || t->kind() == Type::Kind::SymBool) ? v.isBool()
                                                                                     : true;
      if (!ok)
        return absl::InvalidArgumentError(where(k) + ": expected " + t->str() + ", got " +
                                          ivalueKind(v));
      if (t->kind() == Type::Kind::SymInt && t->symExpr() &&
          t->symExpr()->kind() == SymExpr::Kind::Sym) {
        const Symbol *s = t->symExpr()->symbol();
        int64_t x = v.toInt();
        if ((s->min && x < *s->min) || (s->max && x > *s->max))
          return absl::InvalidArgumentError(where(k) + " is " + std::to_string(x) +
                                            ", outside " + s->name.str() + "'s range");
        auto [it, fresh] = bound.try_emplace(s, x, where(k));
        if (!fresh && it->second.first != x)
          return absl::InvalidArgumentError(where(k) + " is " + std::to_string(x) + ", but " +
                                            s->name.str() + " is " +
                                            std::to_string(it->second.first) + " from " +
                                            it->second.second);
      }
      continue;
    }
    if (!v.isTensor())
      return absl::InvalidArgumentError(where(k) + ": expected a tensor " + t->str() +
                                        ", got " + ivalueKind(v));
    const at::Tensor &x = v.toTensor();
    if (!x.defined())
      return absl::InvalidArgumentError(where(k) + ": the tensor is undefined");
    if (x.layout() != at::kStrided)
      return absl::InvalidArgumentError(where(k) + ": only strided (dense) tensors are "
                                                   "supported, got layout " +
                                        c10::str(x.layout()));
    if (!x.device().is_cpu())
      return absl::InvalidArgumentError(where(k) + ": is on " + x.device().str() +
                                        "; the interp backend runs on CPU");
    absl::StatusOr<DType> dt = fromScalarType(x.scalar_type());
    if (!dt.ok() || *dt != t->dtype())
      return absl::InvalidArgumentError(
          where(k) + ": dtype " + std::string(c10::toString(x.scalar_type())) +
          ", expected " + std::string(irName(t->dtype())) + " (" + t->str() + ")");
    if (static_cast<size_t>(x.dim()) != t->rank())
      return absl::InvalidArgumentError(where(k) + ": rank " + std::to_string(x.dim()) +
                                        ", expected " + std::to_string(t->rank()) + " (" +
                                        t->str() + ")");
    for (size_t d = 0; d < t->rank(); ++d) {
      const SymExpr *e = t->shape()[d];
      int64_t size = x.size(static_cast<int64_t>(d));
      std::string dim = where(k) + ": dim " + std::to_string(d) + " is " + std::to_string(size);
      if (e->isConst()) {
        if (size != e->value())
          return absl::InvalidArgumentError(dim + ", expected " + std::to_string(e->value()) +
                                            " (" + t->str() + ")");
      } else if (e->kind() == SymExpr::Kind::Sym) {
        const Symbol *s = e->symbol();
        if ((s->min && size < *s->min) || (s->max && size > *s->max))
          return absl::InvalidArgumentError(
              dim + ", outside the range of " + s->name.str() + ": [" +
              (s->min ? std::to_string(*s->min) : "-inf") + ", " +
              (s->max ? std::to_string(*s->max) : "inf") + "]");
        auto [it, fresh] = bound.try_emplace(s, size, dim);
        if (!fresh && it->second.first != size)
          return absl::InvalidArgumentError(dim + ", but " + s->name.str() + " is " +
                                            std::to_string(it->second.first) + " from " +
                                            it->second.second.substr(0, it->second.second.find(':')) +
                                            "; both are " + s->name.str());
      }
    }
  }
  // Derived dims (2*s0, s0 + 1) once every symbol is known.
  auto lookup = [&](const Symbol *s) -> std::optional<int64_t> {
    auto it = bound.find(s);
    return it == bound.end() ? std::nullopt : std::optional<int64_t>(it->second.first);
  };
  for (size_t k = 0; k < in.size(); ++k) {
    const Type *t = inputs[k].type;
    if (inputs[k].constant || !t->isTensor())
      continue;
    for (size_t d = 0; d < t->rank(); ++d) {
      const SymExpr *e = t->shape()[d];
      if (e->isConst() || e->kind() == SymExpr::Kind::Sym)
        continue;
      std::optional<int64_t> want = e->evaluate(lookup);
      int64_t size = in[k].toTensor().size(static_cast<int64_t>(d));
      if (want && *want != size)
        return absl::InvalidArgumentError(where(k) + ": dim " + std::to_string(d) + " is " +
                                          std::to_string(size) + ", expected " + e->str() +
                                          " = " + std::to_string(*want));
    }
  }
  // Distinct inputs must not share memory when one of them is written (torch.export
  // assumes it), and a written input must not have elements that share memory.
  for (size_t k = 0; k < in.size(); ++k) {
    if (!inputs[k].mutated || !in[k].isTensor())
      continue;
    const at::Tensor &x = in[k].toTensor();
    if (at::has_internal_overlap(x) == at::MemOverlap::Yes)
      return absl::InvalidArgumentError(
          where(k) + " is written by the program, but several of its elements share one "
                     "memory location (an expanded tensor); clone it first");
    for (size_t j = 0; j < in.size(); ++j) {
      if (j == k || !in[j].isTensor() || !in[j].toTensor().defined())
        continue;
      at::MemOverlapStatus s = at::get_overlap_status(x, in[j].toTensor());
      if (s == at::MemOverlapStatus::Full || s == at::MemOverlapStatus::Partial)
        return absl::InvalidArgumentError(where(k) + " is written by the program and shares "
                                                     "memory with " + where(j) +
                                          "; pass distinct tensors");
    }
  }
  return absl::OkStatus();
}

//===----------------------------------------------------------------------------===//
// Running
//===----------------------------------------------------------------------------===//

absl::Status Executable::Impl::runAten(const Op &op, Env &env) const {
  const AtenPlan &plan = *plans.find(&op)->second;
  const c10::FunctionSchema &schema = plan.handle.schema();
  const auto &params = schema.arguments();
  torch::jit::Stack stack;
  stack.reserve(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    if (!plan.args[i]) {
      stack.push_back(*params[i].default_value());
      continue;
    }
    absl::StatusOr<c10::IValue> raw = rawValue(*plan.args[i], op, env);
    if (!raw.ok())
      return raw.status();
    absl::StatusOr<c10::IValue> v = convert(std::move(*raw), params[i].type(), op, params[i].name());
    if (!v.ok())
      return v.status();
    stack.push_back(std::move(*v));
  }
  // The write analysis (Effects.h) gave every weight the program writes a private
  // copy; should it ever miss one, refuse rather than write into the read-only mapping.
  for (unsigned w : plan.written) {
    auto readOnly = [&](const c10::IValue &v) {
      return v.isTensor() && v.toTensor().defined() &&
             readOnlyStorages.count(v.toTensor().storage().unsafeGetStorageImpl());
    };
    bool bad = readOnly(stack[w]);
    if (stack[w].isList())
      for (const c10::IValue &e : stack[w].toListRef())
        bad |= readOnly(e);
    if (bad)
      return opError(op, "writes argument '" + params[w].name() +
                             "', which aliases a weight bound read-only (internal error: "
                             "the write analysis missed this write)");
  }
  try {
    plan.handle.callBoxed(stack);
  } catch (const c10::Error &e) {
    return opError(op, e.what_without_backtrace());
  } catch (const std::exception &e) {
    return opError(op, e.what());
  }
  // A Tensor[] return is as many results as it has tensors (the reader's convention).
  unsigned r = 0;
  for (const c10::IValue &v : stack) {
    if (v.isTensorList()) {
      for (const at::Tensor &t : v.toTensorVector()) {
        if (r >= op.numResults())
          return opError(op, "returned more values than the op has results");
        env[op.result(r++)] = t;
      }
      continue;
    }
    if (r >= op.numResults()) {
      if (op.numResults() == 0 && v.isNone())
        continue;
      return opError(op, "returned more values than the op has results");
    }
    env[op.result(r++)] = v;
  }
  if (r != op.numResults())
    return opError(op, "returned " + std::to_string(r) + " values for " +
                           std::to_string(op.numResults()) + " results");
  return absl::OkStatus();
}

namespace {
/// The operand values of a list attr (args of HOPs: `[%a, %b]`).
absl::StatusOr<std::vector<c10::IValue>> listOperands(const Op &op, unsigned argIndex,
                                                       const Env &env) {
  if (argIndex >= op.args().size())
    return opError(op, "missing argument #" + std::to_string(argIndex));
  const Attr &a = op.args()[argIndex].value;
  std::vector<c10::IValue> out;
  if (a.kind() != Attr::Kind::List)
    return opError(op, "argument #" + std::to_string(argIndex) + " must be a list");
  for (const Attr &e : a.listValue()) {
    absl::StatusOr<c10::IValue> v = rawValue(e, op, env);
    if (!v.ok())
      return v.status();
    out.push_back(std::move(*v));
  }
  return out;
}

absl::StatusOr<const Region *> regionArg(const Op &op, unsigned argIndex) {
  if (argIndex >= op.args().size() || op.args()[argIndex].value.kind() != Attr::Kind::Region ||
      op.args()[argIndex].value.index() >= op.numRegions())
    return opError(op, "argument #" + std::to_string(argIndex) + " must be a region");
  return &op.region(op.args()[argIndex].value.index());
}

std::vector<c10::IValue> concat(llvm::ArrayRef<c10::IValue> a, llvm::ArrayRef<c10::IValue> b,
                                llvm::ArrayRef<c10::IValue> c = {}) {
  std::vector<c10::IValue> out(a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  out.insert(out.end(), c.begin(), c.end());
  return out;
}
} // namespace

/// Binds `op`'s results to `vals` (one each).
static absl::Status setResults(const Op &op, std::vector<c10::IValue> vals, Env &env) {
  if (vals.size() != op.numResults())
    return opError(op, "produced " + std::to_string(vals.size()) + " values for " +
                           std::to_string(op.numResults()) + " results");
  for (unsigned i = 0; i < vals.size(); ++i)
    env[op.result(i)] = std::move(vals[i]);
  return absl::OkStatus();
}

/// Tensors replaced by copies: a loop that never ran still returns new tensors, as
/// eager's implementations do.
static void copyTensorsInPlace(std::vector<c10::IValue> &vals) {
  for (c10::IValue &v : vals)
    if (v.isTensor())
      v = v.toTensor().clone();
}

absl::Status Executable::Impl::runWhile(const Op &op, const Region &cond, const Region &body,
                                        std::vector<c10::IValue> state,
                                        llvm::ArrayRef<c10::IValue> extra, Env &env) const {
  bool iterated = false;
  for (;;) {
    std::vector<c10::IValue> c;
    if (absl::Status st = runRegion(cond, concat(state, extra), env, c); !st.ok())
      return st;
    if (c.size() != 1)
      return opError(op, "the condition must give one value");
    absl::StatusOr<bool> go = truthOf(c[0], op, "the loop condition");
    if (!go.ok())
      return go.status();
    if (!*go)
      break;
    std::vector<c10::IValue> next;
    if (absl::Status st = runRegion(body, concat(state, extra), env, next); !st.ok())
      return st;
    if (next.size() != state.size())
      return opError(op, "the body gives " + std::to_string(next.size()) + " values for " +
                             std::to_string(state.size()) + " carried values");
    state = std::move(next);
    iterated = true;
  }
  if (!iterated)
    copyTensorsInPlace(state);
  return setResults(op, std::move(state), env);
}

absl::Status Executable::Impl::runBranch(const Op &op, const Attr &predicate,
                                         const Region &taken, const Region &other,
                                         llvm::ArrayRef<c10::IValue> args, Env &env) const {
  absl::StatusOr<c10::IValue> pred = rawValue(predicate, op, env);
  if (!pred.ok())
    return pred.status();
  absl::StatusOr<bool> holds = truthOf(*pred, op, "the predicate");
  if (!holds.ok())
    return holds.status();
  std::vector<c10::IValue> results;
  if (absl::Status st = runRegion(*holds ? taken : other, args, env, results); !st.ok())
    return st;
  return setResults(op, std::move(results), env);
}

absl::Status Executable::Impl::runHop(const Op &op, Env &env) const {
  llvm::StringRef name = op.name();
  if (name == "higher_order.cond") {
    // cond(pred, true_fn, false_fn, operands)
    if (op.args().empty())
      return opError(op, "has no predicate");
    absl::StatusOr<const Region *> t = regionArg(op, 1), f = regionArg(op, 2);
    absl::StatusOr<std::vector<c10::IValue>> operands = listOperands(op, 3, env);
    if (!t.ok() || !f.ok())
      return !t.ok() ? t.status() : f.status();
    if (!operands.ok())
      return operands.status();
    return runBranch(op, op.args()[0].value, **t, **f, *operands, env);
  }
  if (name == "higher_order.while_loop") {
    // while_loop(cond_fn, body_fn, carried_inputs, additional_inputs)
    absl::StatusOr<const Region *> cond = regionArg(op, 0), body = regionArg(op, 1);
    absl::StatusOr<std::vector<c10::IValue>> carried = listOperands(op, 2, env);
    absl::StatusOr<std::vector<c10::IValue>> extra = listOperands(op, 3, env);
    if (!cond.ok() || !body.ok())
      return !cond.ok() ? cond.status() : body.status();
    if (!carried.ok() || !extra.ok())
      return !carried.ok() ? carried.status() : extra.status();
    return runWhile(op, **cond, **body, *carried, *extra, env);
  }
  bool scan = name == "higher_order.scan";
  if (scan || name == "higher_order.map_impl") {
    // scan(combine_fn, init, xs, additional_inputs): body(carry..., x_i..., extra...)
    //   -> (next carry..., y_i...); results: final carry..., stacked ys...
    // map_impl(f, xs, additional_inputs): body(x_i..., extra...) -> y_i...
    absl::StatusOr<const Region *> body = regionArg(op, 0);
    if (!body.ok())
      return body.status();
    std::vector<c10::IValue> carry;
    unsigned next = 1;
    if (scan) {
      absl::StatusOr<std::vector<c10::IValue>> init = listOperands(op, next++, env);
      if (!init.ok())
        return init.status();
      carry = *init;
    }
    absl::StatusOr<std::vector<c10::IValue>> xs = listOperands(op, next++, env);
    absl::StatusOr<std::vector<c10::IValue>> extra = listOperands(op, next++, env);
    if (!xs.ok() || !extra.ok())
      return !xs.ok() ? xs.status() : extra.status();
    if (xs->empty())
      return opError(op, "has no xs to iterate over");
    int64_t n = -1;
    for (const c10::IValue &x : *xs) {
      if (!x.isTensor() || x.toTensor().dim() == 0)
        return opError(op, "xs must be tensors with at least one dimension");
      int64_t len = x.toTensor().size(0);
      if (n >= 0 && len != n)
        return opError(op, "xs have different lengths along dim 0 (" + std::to_string(n) +
                               " and " + std::to_string(len) + ")");
      n = len;
    }
    if (n == 0)
      return opError(op, std::string(scan ? "scan" : "map") +
                             ": xs must have at least one element along dim 0, got 0");
    size_t numCarry = carry.size();
    if (numCarry > op.numResults())
      return opError(op, "has " + std::to_string(numCarry) + " carried values but only " +
                             std::to_string(op.numResults()) + " results");
    size_t numYs = op.numResults() - numCarry;
    std::vector<std::vector<at::Tensor>> ys(numYs);
    for (int64_t i = 0; i < n; ++i) {
      std::vector<c10::IValue> slices;
      for (const c10::IValue &x : *xs)
        slices.push_back(x.toTensor().select(0, i));
      std::vector<c10::IValue> out;
      if (absl::Status st = runRegion(**body, concat(carry, slices, *extra), env, out); !st.ok())
        return st;
      if (out.size() != numCarry + numYs)
        return opError(op, "the body gives " + std::to_string(out.size()) + " values, expected " +
                               std::to_string(numCarry + numYs));
      for (size_t c = 0; c < numCarry; ++c)
        carry[c] = out[c];
      for (size_t y = 0; y < numYs; ++y) {
        const c10::IValue &v = out[numCarry + y];
        if (!v.isTensor())
          return opError(op, "the body's per-step output #" + std::to_string(y) +
                                 " is not a tensor");
        ys[y].push_back(v.toTensor());
      }
    }
    // (A carry the body passes through unchanged stays the init tensor, as in eager.)
    std::vector<c10::IValue> vals(carry.begin(), carry.end());
    try {
      for (auto &y : ys)
        vals.push_back(at::stack(y, 0));
    } catch (const c10::Error &e) {
      return opError(op, e.what_without_backtrace());
    }
    return setResults(op, std::move(vals), env);
  }
  return opError(op, "this higher-order op is not supported by the interp backend");
}

absl::Status Executable::Impl::runStructured(const Op &op, Env &env) const {
  llvm::StringRef name = op.name();
  if (name == "fxir.alloc") {
    if (op.args().size() != 1 || op.numResults() != 1 || !op.result(0)->type()->isTensor())
      return opError(op, "takes ([sizes...]) and has one tensor result");
    absl::StatusOr<c10::IValue> sizes = rawValue(op.args()[0].value, op, env);
    if (!sizes.ok())
      return sizes.status();
    std::vector<int64_t> dims;
    for (const c10::IValue &d : sizes->toListRef()) {
      if (!d.isInt() || d.toInt() < 0)
        return opError(op, "sizes must be non-negative ints");
      dims.push_back(d.toInt());
    }
    try {
      env[op.result(0)] = at::empty(
          dims, at::TensorOptions().dtype(toScalarType(op.result(0)->type()->dtype())));
    } catch (const c10::Error &e) {
      return opError(op, e.what_without_backtrace());
    }
    return absl::OkStatus();
  }
  if (name == "fxir.insert_slice") {
    std::vector<c10::IValue> in;
    for (const Arg &a : op.args()) {
      absl::StatusOr<c10::IValue> v = rawValue(a.value, op, env);
      if (!v.ok())
        return v.status();
      in.push_back(std::move(*v));
    }
    if (in.size() != 3 || !in[0].isTensor() || !in[1].isTensor() || !in[2].isInt())
      return opError(op, "takes (tensor buf, tensor src, int i)");
    const at::Tensor &buf = in[0].toTensor();
    int64_t i = in[2].toInt();
    if (buf.dim() == 0 || i < 0 || i >= buf.size(0))
      return opError(op, "index " + std::to_string(i) + " is outside the buffer's dim 0");
    try {
      if (inPlaceInserts.count(&op)) {
        buf.select(0, i).copy_(in[1].toTensor());
        env[op.result(0)] = buf;
      } else {
        env[op.result(0)] = at::select_scatter(buf, in[1].toTensor(), 0, i);
      }
    } catch (const c10::Error &e) {
      return opError(op, e.what_without_backtrace());
    }
    return absl::OkStatus();
  }
  if (name == "fxir.for") {
    absl::StatusOr<c10::IValue> n = rawValue(op.args()[0].value, op, env);
    absl::StatusOr<std::vector<c10::IValue>> init = listOperands(op, 2, env);
    if (!n.ok() || !init.ok())
      return !n.ok() ? n.status() : init.status();
    if (!n->isInt())
      return opError(op, "the trip count is " + ivalueKind(*n) + ", not an int");
    std::vector<c10::IValue> state = *init;
    for (int64_t i = 0; i < n->toInt(); ++i) {
      std::vector<c10::IValue> args{c10::IValue(i)};
      args.insert(args.end(), state.begin(), state.end());
      std::vector<c10::IValue> next;
      if (absl::Status st = runRegion(op.region(0), args, env, next); !st.ok())
        return st;
      state = std::move(next);
    }
    if (n->toInt() <= 0)
      copyTensorsInPlace(state); // results never alias the inits, as for while_loop
    return setResults(op, std::move(state), env);
  }
  if (name == "fxir.while") {
    absl::StatusOr<std::vector<c10::IValue>> init = listOperands(op, 2, env);
    if (!init.ok())
      return init.status();
    return runWhile(op, op.region(0), op.region(1), *init, {}, env);
  }
  if (name == "fxir.if")
    return runBranch(op, op.args()[0].value, op.region(0), op.region(1), {}, env);
  return opError(op, "not an op the interp backend runs");
}

absl::Status Executable::Impl::runOp(const Op &op, Env &env) const {
  llvm::StringRef name = op.name();
  if (name == "fxir.constant") {
    if (op.args().size() != 1 || op.numResults() != 1)
      return opError(op, "a constant takes one argument and has one result");
    absl::StatusOr<c10::IValue> v = rawValue(op.args()[0].value, op, env);
    if (!v.ok())
      return v.status();
    env[op.result(0)] = std::move(*v);
    return absl::OkStatus();
  }
  if (isPythonOp(name)) {
    std::vector<c10::IValue> args;
    for (const Arg &a : op.args()) {
      absl::StatusOr<c10::IValue> v = rawValue(a.value, op, env);
      if (!v.ok())
        return v.status();
      args.push_back(std::move(*v));
    }
    absl::StatusOr<c10::IValue> r = pythonOp(op, args);
    if (!r.ok())
      return r.status();
    if (op.numResults() != 1)
      return opError(op, "expected one result");
    env[op.result(0)] = std::move(*r);
    return absl::OkStatus();
  }
  if (name.starts_with("higher_order."))
    return runHop(op, env);
  if (name.starts_with("fxir."))
    return runStructured(op, env);
  return runAten(op, env);
}

absl::Status Executable::Impl::runRegion(const Region &r, llvm::ArrayRef<c10::IValue> args,
                                         Env &env, std::vector<c10::IValue> &results) const {
  if (args.size() != r.numArgs())
    return absl::InternalError("interp: region takes " + std::to_string(r.numArgs()) +
                               " arguments, given " + std::to_string(args.size()));
  for (unsigned i = 0; i < args.size(); ++i)
    env[r.arg(i)] = args[i];
  for (const Op &op : r.ops()) {
    if (op.isTerminator()) {
      results.clear();
      for (const Arg &a : op.args()) {
        absl::StatusOr<c10::IValue> v = rawValue(a.value, op, env);
        if (!v.ok())
          return v.status();
        results.push_back(std::move(*v));
      }
      return absl::OkStatus();
    }
    if (absl::Status st = runOp(op, env); !st.ok())
      return st;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<c10::IValue>>
Executable::run(std::vector<c10::IValue> inputs) const {
  // ATen calls catch their own errors; this catches what an IValue accessor or a
  // tensor method outside them might throw, so no exception crosses the API.
  try {
    return runImpl(std::move(inputs));
  } catch (const c10::Error &e) {
    return absl::InternalError(std::string("interp: ") + e.what_without_backtrace());
  } catch (const std::exception &e) {
    return absl::InternalError(std::string("interp: ") + e.what());
  } catch (...) {
    return absl::InternalError("interp: unknown exception");
  }
}

absl::StatusOr<std::vector<c10::IValue>>
Executable::runImpl(std::vector<c10::IValue> inputs) const {
  const Impl &im = *impl_;
  if (absl::Status st = im.checkInputs(inputs); !st.ok())
    return st;
  const Graph &g = *im.graph;
  std::vector<c10::IValue> args(g.body().numArgs());
  for (unsigned i = 0; i < args.size(); ++i)
    if (im.weights[i])
      args[i] = *im.weights[i];
  for (size_t k = 0; k < inputs.size(); ++k)
    args[im.inputArgs[k]] = inputs[k];
  Env env;
  std::vector<c10::IValue> outs;
  if (absl::Status st = im.runRegion(g.body(), args, env, outs); !st.ok())
    return st;
  if (outs.size() != g.outputSpecs().size())
    return absl::InternalError("interp: the graph gives " + std::to_string(outs.size()) +
                               " outputs, its signature lists " +
                               std::to_string(g.outputSpecs().size()));
  std::vector<c10::IValue> user;
  for (size_t i = 0; i < outs.size(); ++i) {
    const OutputSpec &spec = g.outputSpecs()[i];
    at::Tensor target;
    switch (spec.kind) {
    case OutputSpec::Kind::UserOutput:
    case OutputSpec::Kind::LossOutput:
      // A view of a read-only weight (`self.w.t()`) is returned as a copy: the caller
      // may write it, as in eager.
      if (outs[i].isTensor() && outs[i].toTensor().defined() &&
          im.readOnlyStorages.count(outs[i].toTensor().storage().unsafeGetStorageImpl()))
        user.push_back(outs[i].toTensor().clone());
      else
        user.push_back(outs[i]);
      continue;
    case OutputSpec::Kind::BufferMutation:
    case OutputSpec::Kind::ParameterMutation: {
      auto it = im.weightsByFqn.find(spec.target);
      if (it == im.weightsByFqn.end())
        return absl::InvalidArgumentError("output #" + std::to_string(i) + " mutates " +
                                          spec.target.str() + ", which is not a weight");
      target = it->second;
      break;
    }
    case OutputSpec::Kind::UserInputMutation: {
      for (size_t k = 0; k < im.inputs.size(); ++k)
        if (im.inputs[k].name == spec.target && inputs[k].isTensor())
          target = inputs[k].toTensor();
      if (!target.defined())
        return absl::InvalidArgumentError("output #" + std::to_string(i) + " mutates input " +
                                          spec.target.str() + ", which is not a tensor input");
      break;
    }
    default:
      return absl::InvalidArgumentError("output #" + std::to_string(i) + ": " +
                                        outputKindName(spec.kind).str() +
                                        " outputs are not supported by the interp backend");
    }
    if (!outs[i].isTensor())
      return absl::InvalidArgumentError("output #" + std::to_string(i) + " (mutation of " +
                                        spec.target.str() + ") is not a tensor");
    const at::Tensor &value = outs[i].toTensor();
    if (value.is_same(target))
      continue; // written in place already
    try {
      target.copy_(value);
    } catch (const c10::Error &e) {
      return absl::InvalidArgumentError("writing back " + spec.target.str() + ": " +
                                        e.what_without_backtrace());
    }
  }
  return user;
}

static absl::StatusOr<std::unique_ptr<Executable>> compileImpl(const std::string &path,
                                                              const CompileOptions &options);

absl::StatusOr<std::unique_ptr<Executable>> compile(const std::string &path,
                                                   const CompileOptions &options) {
  try {
    return compileImpl(path, options);
  } catch (const c10::Error &e) {
    return absl::InternalError(path + ": " + e.what_without_backtrace());
  } catch (const std::exception &e) {
    return absl::InternalError(path + ": " + e.what());
  } catch (...) {
    return absl::InternalError(path + ": unknown exception");
  }
}

static absl::StatusOr<std::unique_ptr<Executable>> compileImpl(const std::string &path,
                                                              const CompileOptions &options) {
  std::string backend = options.backend;
  std::optional<Pipeline> pipeline;
  Instrumentation inst;
  inst.verifyEach = options.verifyEach;
  if (!options.pipelineConfig.empty()) {
    absl::StatusOr<PipelineConfig> config = loadPipelineConfig(options.pipelineConfig);
    if (!config.ok())
      return config.status();
    pipeline = config->pipeline;
    inst = config->instrumentation;
    if (!config->backend.name.empty() && options.backend == "interp")
      backend = config->backend.name;
  }
  if (!options.pipeline.empty()) {
    absl::StatusOr<Pipeline> p = Pipeline::parse(options.pipeline);
    if (!p.ok())
      return absl::InvalidArgumentError("pipeline '" + options.pipeline + "': " +
                                        std::string(p.status().message()));
    pipeline = *p;
  }
  if (backend != "interp")
    return absl::InvalidArgumentError("unknown backend '" + backend +
                                      "' (available: interp)");
  std::shared_ptr<Program> program;
  if (llvm::StringRef(path).ends_with(".fxir")) {
    std::ifstream in(path);
    if (!in)
      return absl::NotFoundError(path + ": cannot open");
    std::stringstream text;
    text << in.rdbuf();
    program = std::make_shared<Program>();
    program->path = path;
    program->context = std::make_unique<Context>();
    absl::StatusOr<std::unique_ptr<Graph>> g =
        parseGraph(*program->context, text.str(), path);
    if (!g.ok())
      return g.status();
    program->graph = std::move(*g);
    if (!options.weightsFrom.empty()) {
      absl::StatusOr<std::unique_ptr<Program>> w = pt2::readProgram(options.weightsFrom);
      if (!w.ok())
        return w.status();
      program->weights = std::move((*w)->weights);
      program->meta.weightsFrom = options.weightsFrom;
      program->path = path + " (weights from " + options.weightsFrom + ")";
    }
  } else {
    absl::StatusOr<std::unique_ptr<Program>> p = pt2::readProgram(path);
    if (!p.ok())
      return p.status();
    program = std::move(*p);
  }
  if (pipeline) {
    std::string log;
    llvm::raw_string_ostream os(log);
    if (absl::Status st = runPipeline(*program->graph, *pipeline, inst, os); !st.ok())
      return absl::Status(st.code(), path + ": " + std::string(st.message()));
    os.flush();
    if (!log.empty())
      llvm::errs() << log;
  }
  return Executable::create(std::move(program));
}

} // namespace fxir::interp
