//===- PythonOps.cpp ------------------------------------------------------------------===//
#include "fxir/backends/runtime/PythonOps.h"

#include <cmath>

#include "fxir/backends/runtime/AtenOp.h"
#include "fxir/ir/Verifier.h"

#include "llvm/ADT/STLExtras.h"

namespace fxir::runtime {

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
  return opError(op, "this Python-level operation is not supported by fxir's runtime");
}

bool isPythonOp(llvm::StringRef name) {
  return isPythonLevelOp(name) && !name.starts_with("higher_order.");
}

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

} // namespace fxir::runtime
