//===- Partition.cpp - what becomes a kernel, and the cpu-partition pass ----------===//
//
// The claim (whyNotKernel), ATen's type promotion as the generator reproduces it, the
// cpu.kernel op row, the partitioning pass and the schedule (scheduleKernels).
//
// Fusion rules (docs/codegen.md):
//  - an op joins a kernel when it is covered (whyNotKernel is empty), its result has the
//    kernel's shape (the same symbolic dims: one iteration space per kernel), and the
//    kernel holds one of its producers; several producers' kernels merge into one;
//  - a value with users outside its kernel is a result of it (stays in memory); one
//    used several times inside a kernel is computed once. Nothing is recomputed across
//    kernels: "cheap to recompute" is, for now, never (see docs);
//  - the kernel sits where its last op was. A user of a kernel value that came before
//    that point is an op with no used results (an assert): it moves after the kernel.
//    Any other such user keeps the op out of the kernel.
//===----------------------------------------------------------------------------===//
#include "fxir/backends/cpu/Cpu.h"
#include "fxir/backends/cpu/KernelIR.h"

#include <cmath>
#include <functional>
#include <mutex>

#include "fxir/ir/Builder.h"
#include "fxir/ir/OpSchema.h"
#include "fxir/ir/ViewOps.h"
#include "fxir/passes/PassRegistry.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringMap.h"

namespace fxir::cpu {

namespace {

using namespace domain;
const KernelOpRow kRows[] = {
#define FXIR_KERNEL_OP(Name, E, Form, Rule, Domain)                                       \
  {Name, Emitter::E, ArgForm::Form, ResultRule::Rule, static_cast<uint8_t>(Domain)},
#include "fxir/backends/cpu/KernelOps.def"
};

const OpInfo kKernelRow = {kKernelOpName,
                           OpInfo::Kind::Registered,
                           FxirOp::None,
                           HopKind::None,
                           nullptr,
                           1,
                           RegionLayout::Other,
                           /*pure=*/true,
                           /*writes=*/false,
                           /*terminator=*/false,
                           /*isolatedFromAbove=*/true,
                           "cpu.kernel(^0, [%operands...]) ^0(%args...) {...}: a fused "
                           "kernel of the CPU code generator; its region computes the "
                           "results from the operands (one region argument each)"};

const PassOptionSpec kPartitionOptions[] = {
    {"fuse", PassOptionSpec::Type::Bool, "true",
     "fuse pointwise chains (false: one kernel per covered op)"},
};

const PassInfo kPassRows[] = {
    {"cpu-partition",
     "Groups the ops the CPU code generator covers into cpu.kernel region ops (the rest "
     "stay extern ATen calls)",
     &createPartitionPass, &partitionOptions, StageSet{Stage::Functional},
     StageSet{}},
    {"cpu-vectorize",
     "Kernel IR (backends/cpu/KernelIR.h): the innermost loop of a kernel's loop nest "
     "runs in vectors of `lanes`, with a masked remainder",
     &createVectorizePass, &vectorizeOptions, StageSet{}, StageSet{}},
    {"cpu-parallelize",
     "Kernel IR: a kernel's loop nest (its inner loop vectorized) becomes one kir.tiles, "
     "tiles of it run on threads",
     &createParallelizePass, &parallelizeOptions, StageSet{}, StageSet{}},
};

const llvm::StringMap<const KernelOpRow *> &rowsByName() {
  static const llvm::StringMap<const KernelOpRow *> m = [] {
    llvm::StringMap<const KernelOpRow *> out;
    for (const KernelOpRow &r : kRows)
      out[r.name] = &r;
    return out;
  }();
  return m;
}

bool supportedDType(DType t) {
  switch (t) {
  case DType::UInt8: case DType::Int8: case DType::Int16: case DType::Int32:
  case DType::Int64: case DType::Float16: case DType::Float32: case DType::Float64:
  case DType::Bool: case DType::BFloat16:
    return true;
  default:
    return false;
  }
}



/// One input of a kernel op as the promotion sees it, or why it is not one.
std::string promotionInput(const Op &op, const Attr *a, PromotionInput &out) {
  if (!a)
    return "a required argument is missing";
  switch (a->kind()) {
  case Attr::Kind::Operand: {
    const Type *t = op.operandValue(a->index())->type();
    if (t->isTensor()) {
      if (!supportedDType(t->dtype()))
        return "dtype " + std::string(irName(t->dtype())) + " is not generated";
      if (t->device() != "cpu")
        return "a tensor on " + t->device().str();
      out = {t->rank() ? PromotionInput::Kind::Tensor : PromotionInput::Kind::ZeroDim,
             t->dtype()};
      return "";
    }
    if (isNumberType(t)) {
      out = {PromotionInput::Kind::Number, numberDType(t)};
      return "";
    }
    return "an operand of type " + t->str();
  }
  case Attr::Kind::Int: out = {PromotionInput::Kind::Number, DType::Int64}; return "";
  case Attr::Kind::Float: out = {PromotionInput::Kind::Number, DType::Float64}; return "";
  case Attr::Kind::Bool: out = {PromotionInput::Kind::Number, DType::Bool}; return "";
  default:
    return "an argument that is not a tensor or a number";
  }
}

bool isOne(const Attr *a) {
  return !a || (a->kind() == Attr::Kind::Int && a->intValue() == 1) ||
         (a->kind() == Attr::Kind::Float && a->floatValue() == 1.0);
}

bool isNoneOr(const Attr *a, llvm::ArrayRef<llvm::StringRef> names) {
  if (!a || a->kind() == Attr::Kind::None)
    return true;
  for (llvm::StringRef n : names)
    if ((a->kind() == Attr::Kind::Layout || a->kind() == Attr::Kind::MemoryFormat ||
         a->kind() == Attr::Kind::Device || a->kind() == Attr::Kind::Str) &&
        a->stringValue() == n)
      return true;
  return false;
}

} // namespace

llvm::ArrayRef<KernelOpRow> kernelOpRows() { return kRows; }

bool isNumberType(const Type *t) {
  switch (t->kind()) {
  case Type::Kind::Int: case Type::Kind::Float: case Type::Kind::Bool:
  case Type::Kind::SymInt: case Type::Kind::SymFloat: case Type::Kind::SymBool:
    return true;
  default:
    return false;
  }
}

DType numberDType(const Type *t) {
  switch (t->kind()) {
  case Type::Kind::Float: case Type::Kind::SymFloat: return DType::Float64;
  case Type::Kind::Bool: case Type::Kind::SymBool: return DType::Bool;
  default: return DType::Int64;
  }
}

bool KernelOpRow::accepts(DType t) const {
  if (t == DType::Bool)
    return domain & domain::B;
  if (t == DType::Float64)
    return domain & domain::D;
  if (isFloatingPoint(t))
    return domain & domain::F;
  return domain & domain::I;
}

const KernelOpRow *kernelOpRow(llvm::StringRef name) { return rowsByName().lookup(name); }

const Attr *argFor(const Op &op, unsigned i) {
  const OpSchema *s = op.schema();
  unsigned pos = 0;
  for (const Arg &a : op.args()) {
    if (a.name.empty()) {
      if (pos++ == i)
        return &a.value;
    } else if (s && i < s->arguments.size() && a.name == s->arguments[i].name) {
      return &a.value;
    }
  }
  return nullptr;
}

const Attr *fillValueArg(const Op &op) {
  const OpSchema *s = op.schema();
  if (!s)
    return nullptr;
  for (const char *name : {"fill_value", "s"})
    if (std::optional<unsigned> i = s->argumentIndex(name))
      return argFor(op, *i);
  return nullptr;
}

namespace {
bool affineIn(const SymExpr *e, const Symbol *&sym) {
  switch (e->kind()) {
  case SymExpr::Kind::Const:
    return true;
  case SymExpr::Kind::Sym:
    if (sym && sym != e->symbol())
      return false;
    sym = e->symbol();
    return true;
  case SymExpr::Kind::Add:
  case SymExpr::Kind::Mul: {
    unsigned withSym = 0;
    for (const SymExpr *x : e->operands()) {
      if (!affineIn(x, sym))
        return false;
      withSym += !x->isConst();
    }
    return e->kind() == SymExpr::Kind::Add || withSym <= 1; // no s*s
  }
  default:
    return false;
  }
}
} // namespace

const Symbol *affineSymbol(const SymExpr *e) {
  const Symbol *sym = nullptr;
  if (!e || !affineIn(e, sym) || !sym)
    return nullptr;
  auto at = [&](int64_t v) { return *e->evaluate([&](const Symbol *) { return v; }); };
  return at(1) != at(0) ? sym : nullptr;
}

std::optional<int64_t> solveSymbol(const SymExpr *e, int64_t value) {
  const Symbol *sym = affineSymbol(e);
  if (!sym)
    return std::nullopt;
  auto at = [&](int64_t v) { return *e->evaluate([&](const Symbol *) { return v; }); };
  int64_t b = at(0), a = at(1) - b;
  if ((value - b) % a != 0)
    return std::nullopt;
  int64_t s = (value - b) / a;
  if (at(s) != value)
    return std::nullopt;
  return s;
}

std::optional<double> fillConstant(const Op &op) {
  const OpSchema *s = op.schema();
  if (!s || s->argumentIndex("fill_value") || s->argumentIndex("s"))
    return std::nullopt;
  llvm::StringRef n(s->name);
  if (n.contains("zeros"))
    return 0.0;
  if (n.contains("ones"))
    return 1.0;
  return std::nullopt;
}

void registerTables() {
  static std::once_flag once;
  std::call_once(once, [] {
    registerOpTable(llvm::ArrayRef<OpInfo>(&kKernelRow, 1));
    registerOpTable(kernelIROpRows());
    registerPassTable(kPassRows);
  });
}

llvm::ArrayRef<PassOptionSpec> partitionOptions() { return kPartitionOptions; }

std::optional<DType> promoteTypes(DType a, DType b) {
  if (a == b)
    return a;
  if (!supportedDType(a) || !supportedDType(b))
    return std::nullopt;
  if (a == DType::Bool)
    return b;
  if (b == DType::Bool)
    return a;
  bool fa = isFloatingPoint(a), fb = isFloatingPoint(b);
  if (fa && fb) {
    if ((a == DType::Float16 && b == DType::BFloat16) ||
        (a == DType::BFloat16 && b == DType::Float16))
      return DType::Float32;
    return byteSize(a) >= byteSize(b) ? a : b;
  }
  if (fa)
    return a;
  if (fb)
    return b;
  // Integers: uint8 with a signed type needs a wider signed one.
  if (a == DType::UInt8 || b == DType::UInt8) {
    DType s = a == DType::UInt8 ? b : a;
    return s == DType::Int8 ? DType::Int16 : s;
  }
  return byteSize(a) >= byteSize(b) ? a : b;
}

std::optional<DType> resultType(llvm::ArrayRef<PromotionInput> inputs) {
  // ATen's result_type: the promoted dtype of each kind, then combined by category
  // (a higher category among weaker kinds lifts the result to it).
  std::optional<DType> state[3];
  for (const PromotionInput &in : inputs) {
    DType d = in.dtype;
    if (in.kind == PromotionInput::Kind::Number && d == DType::Float64)
      d = DType::Float32; // a Python float counts as the default dtype
    std::optional<DType> &s = state[static_cast<int>(in.kind)];
    if (!s) {
      s = d;
    } else {
      s = promoteTypes(*s, d);
      if (!s)
        return std::nullopt;
    }
  }
  auto combine = [](std::optional<DType> higher,
                    std::optional<DType> lower) -> std::optional<DType> {
    if (!higher)
      return lower;
    if (!lower)
      return higher;
    if (isFloatingPoint(*higher))
      return higher;
    if (*higher == DType::Bool || isFloatingPoint(*lower))
      return promoteTypes(*higher, *lower);
    return higher;
  };
  return combine(state[0], combine(state[1], state[2]));
}

std::optional<DType> resultTypeOf(const Op &op, llvm::ArrayRef<unsigned> args) {
  llvm::SmallVector<PromotionInput, 3> ins;
  for (unsigned i : args) {
    PromotionInput in{};
    if (!promotionInput(op, argFor(op, i), in).empty())
      return std::nullopt;
    ins.push_back(in);
  }
  return resultType(ins);
}

namespace {

/// Whether the row's rule gives `result` for operands promoted to `in`, and the row
/// generates `in`: "" or why not.
std::string ruleWhyNot(const KernelOpRow &row, DType in, DType result) {
  if (!row.accepts(in))
    return row.name.str() + " of " + std::string(irName(in)) + " is not generated";
  switch (row.rule) {
  case ResultRule::Float: {
    DType want = isFloatingPoint(in) ? in : DType::Float32;
    if (want == DType::Float64 && !(row.domain & domain::D))
      return "f64 " + row.name.str() + " is not generated yet";
    return want == result ? "" : "an unexpected result dtype";
  }
  case ResultRule::Same:
    if (in != result)
      return "an unexpected result dtype";
    return "";
  case ResultRule::Bool:
    return result == DType::Bool ? "" : "an unexpected result dtype";
  case ResultRule::Any:
    return "";
  }
  return "";
}

} // namespace

std::optional<double> constantNumber(const Op &op, unsigned i) {
  if (const Attr *a = argFor(op, i)) {
    switch (a->kind()) {
    case Attr::Kind::Int: return static_cast<double>(a->intValue());
    case Attr::Kind::Float: return a->floatValue();
    case Attr::Kind::Bool: return a->boolValue() ? 1.0 : 0.0;
    default: return std::nullopt;
    }
  }
  return defaultNumber(op, i);
}

namespace {

/// Why the row's constant parameters (alpha, a rounding mode, pow's exponent, a
/// slope) are not ones the generator lowers, or "".
std::string paramsWhyNot(const Op &op, const KernelOpRow &row) {
  const OpSchema *s = op.schema();
  for (unsigned i = 0; i < s->arguments.size(); ++i) {
    const std::string &name = s->arguments[i].name;
    const Attr *a = argFor(op, i);
    if (name == "alpha" && !isOne(a))
      return "alpha is not 1";
    if (name == "rounding_mode" && !isNoneOr(a, {"trunc", "floor"}))
      return "a rounding mode that is not a constant";
  }
  switch (row.emitter) {
  case Emitter::Sub:
  case Emitter::RSub:
    // Eager rejects subtraction with a bool tensor whatever the other operand is:
    // extern, so ATen raises its error (fxir-difftest found this).
    for (unsigned i : {0u, 1u})
      if (const Attr *a = argFor(op, i); a && a->kind() == Attr::Kind::Operand) {
        const Type *t = op.operandValue(a->index())->type();
        if (t->isTensor() && t->dtype() == DType::Bool)
          return "subtraction with a bool tensor (eager rejects it)";
      }
    return "";
  case Emitter::PowScalar: {
    std::optional<double> e = constantNumber(op, 1);
    if (!e)
      return "an exponent that is not a constant";
    PromotionInput self{};
    promotionInput(op, argFor(op, 0), self);
    bool intSelf = !isFloatingPoint(self.dtype);
    const Attr *ea = argFor(op, 1);
    bool intExp = ea && ea->kind() != Attr::Kind::Float;
    if (intSelf && intExp)
      return *e == 2 || *e == 3 ? "" : "an integer power other than 2 or 3";
    // f16/bf16: eager computes x ** +-0.5 with pow (pow(-inf, 0.5) = inf, sqrt's is
    // NaN), not with its sqrt special case.
    if ((*e == 0.5 || *e == -0.5) &&
        (self.dtype == DType::Float16 || self.dtype == DType::BFloat16))
      return "f16/bf16 to the power +-0.5 (eager uses pow, not sqrt)";
    for (double special : {2.0, 3.0, 0.5, -0.5, -1.0, -2.0})
      if (*e == special)
        return "";
    return "an exponent other than 2, 3, 0.5, -0.5, -1 or -2";
  }
  case Emitter::LeakyRelu:
    return constantNumber(op, 1) ? "" : "a slope that is not a constant";
  case Emitter::Gelu:
    return isNoneOr(argFor(op, 1), {"none", "tanh"}) ? "" : "an approximation that is not a constant";
  default:
    return "";
  }
}

} // namespace

std::optional<double> defaultNumber(const Op &op, unsigned i) {
  const OpSchema *s = op.schema();
  if (!s || i >= s->arguments.size() || !s->arguments[i].defaultValue)
    return std::nullopt;
  llvm::StringRef text(s->arguments[i].defaultValue->text);
  double v;
  if (text.getAsDouble(v))
    return std::nullopt;
  return v;
}

llvm::SmallVector<unsigned, 2> clampBounds(const Op &op) {
  llvm::SmallVector<unsigned, 2> out;
  const OpSchema *s = op.schema();
  for (unsigned i = 1; s && i < s->arguments.size(); ++i)
    if (llvm::StringRef(s->arguments[i].name).starts_with("min") ||
        llvm::StringRef(s->arguments[i].name).starts_with("max"))
      out.push_back(i);
  return out;
}

namespace {

// Layout, device, pinned memory, memory format and dtype arguments a generated op
// accepts: strided, cpu, not pinned, preserve/contiguous, a constant dtype.
std::string placementWhyNot(const Op &op) {
  const OpSchema *s = op.schema();
  for (unsigned i = 0; i < s->arguments.size(); ++i) {
    const std::string &name = s->arguments[i].name;
    const Attr *a = argFor(op, i);
    if (name == "layout" && !isNoneOr(a, {"strided"}))
      return "a layout change";
    if (name == "device" && !isNoneOr(a, {"cpu"}))
      return "a device change";
    if (name == "pin_memory" && a && a->kind() == Attr::Kind::Bool && a->boolValue())
      return "pinned memory";
    if (name == "memory_format" && !isNoneOr(a, {"preserve_format", "contiguous_format"}))
      return "a memory format change";
    if (name == "dtype" && a && a->kind() != Attr::Kind::DType && a->kind() != Attr::Kind::None)
      return "a dtype that is not a constant";
  }
  return "";
}

// Whether every symbol of `t`'s shape is bound by one of `values`: a tensor with that
// symbol as a dim, or a number typed symint<a*s + b>. The runtime evaluates a factory
// kernel's shape, and the shapes a viewed buffer is expanded to, from the kernel's
// operands so.
bool shapeBoundBy(llvm::ArrayRef<const Value *> values, const Type *t) {
  llvm::DenseSet<const Symbol *> bound;
  for (const Value *v : values) {
    const Type *o = v->type();
    if (o->isTensor()) {
      for (const SymExpr *d : o->shape())
        if (d->kind() == SymExpr::Kind::Sym)
          bound.insert(d->symbol());
    } else if (o->kind() == Type::Kind::SymInt) {
      if (const Symbol *sym = affineSymbol(o->symExpr()))
        bound.insert(sym);
    }
  }
  std::function<bool(const SymExpr *)> ok = [&](const SymExpr *e) {
    if (e->kind() == SymExpr::Kind::Sym)
      return bound.contains(e->symbol());
    if (e->kind() == SymExpr::Kind::Call)
      return false;
    for (const SymExpr *x : e->operands())
      if (!ok(x))
        return false;
    return true;
  };
  for (const SymExpr *d : t->shape())
    if (!ok(d))
      return false;
  return true;
}

bool shapeBoundByOperands(const Op &op, const Type *t) {
  llvm::SmallVector<const Value *, 4> values;
  for (unsigned i = 0; i < op.numOperands(); ++i)
    values.push_back(op.operandValue(i));
  return shapeBoundBy(values, t);
}

// Whether constant `v` converts to `t` exactly (so ATen's fill gives the same value).
bool holdsExactly(DType t, double v) {
  if (std::isnan(v) || std::isinf(v))
    return isFloatingPoint(t);
  // A finite value beyond the dtype's range: ATen's fill raises (checked conversion).
  double max = t == DType::Float16    ? 65504.0
               : t == DType::BFloat16 ? 3.3895313892515355e38
               : t == DType::Float32  ? 3.4028234663852886e38
                                      : 0;
  if (max && std::fabs(v) > max)
    return false;
  if (t == DType::Float16 || t == DType::BFloat16) // held as f32 in registers: no
    return static_cast<double>(static_cast<float>(v)) == v; // second rounding
  if (isFloatingPoint(t))
    return true; // rounded as ATen rounds a Scalar to the dtype (one conversion)
  if (t == DType::Bool)
    return v == 0 || v == 1;
  if (v != std::trunc(v))
    return false;
  switch (t) {
  case DType::UInt8: return v >= 0 && v <= 255;
  case DType::Int8: return v >= -128 && v <= 127;
  case DType::Int16: return v >= -32768 && v <= 32767;
  case DType::Int32: return v >= -2147483648.0 && v <= 2147483647.0;
  default: return std::fabs(v) < 9007199254740992.0; // int64 from a double: exact
  }
}

std::string factoryWhyNot(const Op &op, const KernelOpRow &row) {
  const Type *rt = op.result(0)->type();
  DType result = rt->dtype();
  if (!row.accepts(result))
    return row.name.str() + " of " + std::string(irName(result)) + " is not generated";
  if (std::string why = placementWhyNot(op); !why.empty())
    return why;
  if (!rt->isContiguous())
    return "a result that is not contiguous";
  if (!shapeBoundByOperands(op, rt))
    return "a shape its operands do not give";
  auto numberWhyNot = [&](const Attr *a, bool integral) -> std::string {
    if (!a || a->kind() == Attr::Kind::None)
      return "";
    switch (a->kind()) {
    case Attr::Kind::Int:
    case Attr::Kind::Bool:
      return holdsExactly(result, a->kind() == Attr::Kind::Int ? static_cast<double>(a->intValue())
                                                               : a->boolValue())
                 ? ""
                 : "a value the result dtype does not hold";
    case Attr::Kind::Float:
      if (integral)
        return "a float argument";
      return holdsExactly(result, a->floatValue()) ? "" : "a value the result dtype does not hold";
    case Attr::Kind::Operand: {
      const Type *t = op.operandValue(a->index())->type();
      bool isInt = t->kind() == Type::Kind::Int || t->kind() == Type::Kind::SymInt;
      bool isFloat = t->kind() == Type::Kind::Float || t->kind() == Type::Kind::SymFloat;
      if (isInt && (integral || isFloatingPoint(result)))
        return "";
      if (isFloat && !integral && (result == DType::Float32 || result == DType::Float64))
        return "";
      return "a value operand of type " + t->str();
    }
    default:
      return "a value that is not a number";
    }
  };
  if (row.form == ArgForm::Fill) {
    const Attr *v = fillValueArg(op);
    if (!v && !fillConstant(op))
      return "no fill value";
    if (v && v->kind() == Attr::Kind::Operand && result != DType::Int64 &&
        !isFloatingPoint(result))
      return "a fill value operand into a narrow dtype";
    return numberWhyNot(v, false);
  }
  // Arange: integer start, end, step; a 1-dim result (the kernel's only dim).
  if (rt->rank() != 1)
    return "not a 1-dim result";
  for (const char *name : {"start", "end", "step"})
    if (std::optional<unsigned> i = op.schema()->argumentIndex(name)) {
      // int64 arithmetic, then the conversion, as ATen's (its accumulate type).
      const Attr *a = argFor(op, *i);
      if (std::string why = numberWhyNot(a, true); !why.empty())
        return why;
    }
  return "";
}

} // namespace

std::string whyNotKernel(const Op &op) {
  if (op.info().kind != OpInfo::Kind::Dispatcher)
    return "not an ATen op";
  const KernelOpRow *found = kernelOpRow(op.name());
  if (!found)
    return "not covered by the generator";
  const KernelOpRow &row = *found;
  if (op.numResults() != 1 || !op.result(0)->type()->isTensor())
    return "not one tensor result";
  const Type *rt = op.result(0)->type();
  if (!supportedDType(rt->dtype()))
    return "result dtype " + std::string(irName(rt->dtype())) + " is not generated";
  if (rt->device() != "cpu")
    return "a result on " + rt->device().str();
  for (unsigned i = 0; i < op.numOperands(); ++i) {
    const Type *t = op.operandValue(i)->type();
    if (!t->isTensor() && !isNumberType(t))
      return "an operand of type " + t->str();
  }
  DType result = rt->dtype();
  auto inputs = [&](llvm::ArrayRef<unsigned> idx,
                    llvm::SmallVectorImpl<PromotionInput> &out) -> std::string {
    for (unsigned i : idx) {
      PromotionInput in{};
      if (std::string why = promotionInput(op, argFor(op, i), in); !why.empty())
        return why;
      out.push_back(in);
    }
    return "";
  };
  llvm::SmallVector<PromotionInput, 3> ins;
  switch (row.form) {
  case ArgForm::Fill:
  case ArgForm::Arange:
    return factoryWhyNot(op, row);
  case ArgForm::Unary: {
    if (std::string why = inputs({0}, ins); !why.empty())
      return why;
    if (ins[0].kind == PromotionInput::Kind::Number)
      return "self is not a tensor";
    if (std::string why = paramsWhyNot(op, row); !why.empty())
      return why;
    return ruleWhyNot(row, ins[0].dtype, result);
  }
  case ArgForm::Binary:
  case ArgForm::Compare: {
    if (std::string why = inputs({0, 1}, ins); !why.empty())
      return why;
    if (ins[0].kind == PromotionInput::Kind::Number)
      return "self is not a tensor";
    if (std::string why = paramsWhyNot(op, row); !why.empty())
      return why;
    std::optional<DType> common = resultType(ins);
    if (!common)
      return "a type promotion the generator does not reproduce";
    return ruleWhyNot(row, *common, result);
  }
  case ArgForm::Clamp: {
    // self and the bounds that are there: given, or a number by default (hardtanh's
    // -1 and 1); none is no bound.
    if (std::string why = inputs({0}, ins); !why.empty())
      return why;
    for (unsigned i : clampBounds(op)) {
      const Attr *a = argFor(op, i);
      if (a && a->kind() != Attr::Kind::None) {
        PromotionInput in{};
        if (std::string why = promotionInput(op, a, in); !why.empty())
          return why;
        ins.push_back(in);
      } else if (!a && defaultNumber(op, i)) {
        ins.push_back({PromotionInput::Kind::Number, DType::Int64});
      }
    }
    if (ins[0].kind == PromotionInput::Kind::Number)
      return "self is not a tensor";
    std::optional<DType> common = resultType(ins);
    if (!common)
      return "a type promotion the generator does not reproduce";
    return ruleWhyNot(row, *common, result);
  }
  case ArgForm::Where: {
    if (std::string why = inputs({0, 1, 2}, ins); !why.empty())
      return why;
    if (ins[0].kind == PromotionInput::Kind::Number || ins[0].dtype != DType::Bool)
      return "the condition is not a bool tensor";
    std::optional<DType> common = resultType({ins[1], ins[2]});
    if (!common || *common != result)
      return "an unexpected result dtype";
    return "";
  }
  case ArgForm::Cast:
  case ArgForm::Copy: {
    if (std::string why = inputs({0}, ins); !why.empty())
      return why;
    if (ins[0].kind == PromotionInput::Kind::Number)
      return "self is not a tensor";
    if (std::string why = placementWhyNot(op); !why.empty())
      return why;
    if (row.form == ArgForm::Copy && ins[0].dtype != result)
      return "an unexpected result dtype";
    return "";
  }
  }
  return "not covered by the generator";
}

std::string whyNotFusedView(const Op &op) {
  if (op.info().kind != OpInfo::Kind::Dispatcher)
    return "not an ATen op";
  // fxir's view table (ir/ViewOps.def, checked against the schema table) gives the
  // view's index map. Fused: the kinds whose result element is one input element
  // found from its index alone. Not: as_strided (it reads the input's strides),
  // conditional views (a copy, a cast, unless nothing changes), the multi-result
  // ones (unbind, split) and expand: fusing recomputes the ops under a view once per
  // element of it, and an expand repeats elements (the kinds fused never do).
  const ViewInfo *vi = op.info().view;
  if (!vi)
    return "not a view";
  switch (vi->kind) {
  case ViewKind::Identity: case ViewKind::Select: case ViewKind::Slice:
  case ViewKind::Narrow: case ViewKind::Diagonal: case ViewKind::Transpose:
  case ViewKind::Permute: case ViewKind::Reshape:
    break;
  default:
    return "a " + viewKindName(vi->kind).str() + " view";
  }
  if (op.numResults() != 1)
    return "not one result";
  const Attr *self = argFor(op, 0);
  if (!self || self->kind() != Attr::Kind::Operand)
    return "no tensor input";
  for (unsigned i = 0; i < op.numOperands(); ++i)
    if (i != self->index() && op.operandValue(i)->type()->isTensor())
      return "a second tensor operand";
  const Type *in = op.operandValue(self->index())->type(), *out = op.result(0)->type();
  if (!in->isTensor() || !out->isTensor() || in->dtype() != out->dtype() ||
      !supportedDType(out->dtype()) || out->device() != "cpu" || in->device() != "cpu")
    return "not a cpu tensor view of a generated dtype";
  // Ranks >= 1: every op fused under it keeps its promotion class (a tensor with
  // dims), which type promotion depends on.
  if (in->rank() == 0 || out->rank() == 0)
    return "a 0-dim input or result";
  return "";
}

const Value *viewInput(const Op &view) { return view.operandValue(argFor(view, 0)->index()); }

bool isFusedView(const Op &member) { return !whyNotKernel(member).empty(); }

bool isLibraryOp(const Op &op) {
  if (op.info().kind != OpInfo::Kind::Dispatcher)
    return false;
  const OpSchema *s = op.schema();
  static const llvm::StringRef kHeavy[] = {
      "mm", "bmm", "addmm", "matmul", "linear", "baddbmm", "addbmm", "conv1d", "conv2d",
      "conv3d", "convolution", "_convolution", "scaled_dot_product_attention",
      "_scaled_dot_product_flash_attention_for_cpu", "_scaled_dot_product_attention_math",
      "einsum", "conv_transpose2d"};
  for (llvm::StringRef h : kHeavy)
    if (s->name == h)
      return true;
  return false;
}

unsigned PartitionReport::numLibrary() const {
  unsigned n = 0;
  for (const auto &[name, c] : library)
    n += c;
  return n;
}
unsigned PartitionReport::numExtern() const {
  unsigned n = 0;
  for (const auto &[name, c] : external)
    n += c;
  return n;
}
std::string PartitionReport::list(const std::map<std::string, unsigned> &ops) {
  std::vector<std::pair<std::string, unsigned>> v(ops.begin(), ops.end());
  std::stable_sort(v.begin(), v.end(), [](const auto &a, const auto &b) { return a.second > b.second; });
  std::string out;
  for (const auto &[name, c] : v)
    out += (out.empty() ? "" : ", ") + name + (c > 1 ? " x" + std::to_string(c) : "");
  return out;
}

bool nativeLoopsEnabled(const std::map<std::string, std::string> &info) {
  auto is = [&](const char *key, const char *value) {
    auto it = info.find(key);
    return it != info.end() && it->second == value;
  };
  return !is("option native-loops", "false") && !is("option check-kernels", "true");
}

PartitionReport reportPartition(const Graph &graph, bool nativeLoops) {
  PartitionReport r;
  std::function<void(const Region &)> visit = [&](const Region &region) {
    for (const Op &op : region.ops()) {
      if (nativeLoops && op.is(FxirOp::For) && whyNotNativeLoop(op).empty()) {
        ++r.kernels;
        ++r.nativeLoops;
        for (const Op &m : op.region(0).ops()) {
          if (m.name() == kKernelOpName)
            for (const Op &f : m.region(0).ops())
              r.fusedOps += !f.isTerminator();
          r.fusedOps += m.name() == "aten.select.int" || m.is(FxirOp::InsertSlice);
        }
        continue;
      }
      if (op.name() == kKernelOpName) {
        ++r.kernels;
        for (const Op &m : op.region(0).ops())
          r.fusedOps += !m.isTerminator();
        continue;
      }
      for (unsigned i = 0; i < op.numRegions(); ++i)
        visit(op.region(i));
      if (op.info().kind != OpInfo::Kind::Dispatcher)
        continue;
      // Shape queries and asserts are not work a kernel could take.
      if (op.numResults() == 0 || !op.result(0)->type()->isTensor())
        continue;
      std::string name = op.name().str();
      if (isLibraryOp(op)) {
        ++r.library[name];
        continue;
      }
      ++r.external[name];
      if (kernelOpRow(op.name()))
        ++r.claimedButExtern[name + ": " + whyNotKernel(op)];
    }
  };
  visit(graph.body());
  return r;
}

DotOptions dotOptions(const Graph &graph) {
  // Kernels are numbered as scheduleKernels names their symbols (the same walk).
  auto symbols = std::make_shared<std::map<const Op *, std::string>>();
  graph.walk([&](Op &op) {
    if (op.name() == kKernelOpName)
      (*symbols)[&op] = "fxir_k" + std::to_string(symbols->size());
  });
  DotOptions o;
  o.classify = [](const Op &op) -> DotStyle {
    if (op.name() == kKernelOpName)
      return {"generated kernel", "palegreen"};
    if (op.info().kind != OpInfo::Kind::Dispatcher || op.numResults() == 0 ||
        !op.result(0)->type()->isTensor() ||
        (op.parentRegion() && op.parentRegion()->parentOp() &&
         op.parentRegion()->parentOp()->name() == kKernelOpName))
      return {};
    if (isLibraryOp(op))
      return {"library (ATen)", "lightsteelblue"};
    return {"extern (ATen)", "lightsalmon"};
  };
  o.clusterTitle = [symbols](const Op &op, unsigned) -> std::string {
    auto it = symbols->find(&op);
    if (it == symbols->end())
      return {};
    unsigned fused = 0;
    for (const Op &m : op.region(0).ops())
      fused += !m.isTerminator();
    return "kernel " + it->second + ": " + std::to_string(fused) + " ops fused";
  };
  return o;
}

//===----------------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------------===//

namespace {

class PartitionPass final : public Pass {
public:
  explicit PartitionPass(const PassOptions &o) : fuse_(o.getBool("fuse")) {}
  absl::StatusOr<bool> run(Graph &graph, PassContext &ctx) override {
    registerTables();
    bool changed = false;
    if (absl::Status st = partitionRegion(graph, graph.body(), ctx, changed); !st.ok())
      return st;
    return changed;
  }

private:
  bool fuse_;

  struct Group {
    std::vector<Op *> ops; // in order
    const Type *shape = nullptr; // the result type of its first op (shape compared)
    bool dead = false;
  };

  /// The group view op `op` joins (its ops then run in the view's index space), or
  /// null: `op` is a fusible view (whyNotFusedView) of a value of group g, and
  ///  - nothing outside g but `op` uses g's values (they all live under the view);
  ///  - g holds no arange (its value is its index, which the view maps);
  ///  - the runtime can evaluate g's shape from g's operands (a broadcast operand is
  ///    expanded to it before the view);
  ///  - a user of the view can continue the kernel: an op it covers of the view's
  ///    shape, or another such view (a view alone at a kernel's end would only turn a
  ///    free ATen view into strided stores).
  template <typename TopOf>
  static Group *viewJoins(Op &op, llvm::DenseMap<const Op *, Group *> &groupOf, TopOf topOf) {
    if (!whyNotFusedView(op).empty())
      return nullptr;
    Op *def = viewInput(op)->definingOp();
    auto it = def ? groupOf.find(def) : groupOf.end();
    if (it == groupOf.end() || it->second->dead)
      return nullptr;
    Group *g = it->second;
    llvm::SmallSetVector<const Value *, 8> inputs;
    for (Op *m : g->ops) {
      if (const KernelOpRow *r = kernelOpRow(m->name()); r && r->form == ArgForm::Arange)
        return nullptr;
      for (unsigned i = 0; i < m->numOperands(); ++i) {
        Op *d = m->operandValue(i)->definingOp();
        if (!d || groupOf.lookup(d) != g)
          inputs.insert(m->operandValue(i));
      }
      for (unsigned r = 0; r < m->numResults(); ++r)
        for (OpOperand *u = m->result(r)->firstUse(); u; u = u->nextUse()) {
          Op *user = topOf(u->owner());
          if (user != &op && groupOf.lookup(user) != g)
            return nullptr;
        }
    }
    if (!shapeBoundBy(inputs.getArrayRef(), g->shape))
      return nullptr;
    for (OpOperand *u = op.result(0)->firstUse(); u; u = u->nextUse()) {
      Op *user = u->owner();
      if (user->parentRegion() != op.parentRegion())
        continue;
      if (whyNotFusedView(*user).empty() ||
          (whyNotKernel(*user).empty() && sameShape(user->result(0)->type(), op.result(0)->type())))
        return g;
    }
    return nullptr;
  }

  static bool sameShape(const Type *a, const Type *b) {
    if (a->rank() != b->rank())
      return false;
    for (size_t i = 0; i < a->rank(); ++i)
      if (a->shape()[i] != b->shape()[i])
        return false;
    return true;
  }

  absl::Status partitionRegion(Graph &graph, Region &region, PassContext &ctx,
                               bool &changed) {
    // Nested regions first (loop bodies, branches): kernels inside them.
    for (Op &op : region.ops())
      if (op.name() != kKernelOpName)
        for (unsigned r = 0; r < op.numRegions(); ++r)
          if (absl::Status st = partitionRegion(graph, op.region(r), ctx, changed); !st.ok())
            return st;

    llvm::DenseMap<const Op *, unsigned> order;
    unsigned n = 0;
    for (Op &op : region.ops())
      order[&op] = n++;
    // The op of `region` that holds `o` (o itself, or the op whose region nests it).
    auto topOf = [&](Op *o) { return region.ancestorOpIn(o); };

    std::vector<std::unique_ptr<Group>> groups;
    llvm::DenseMap<const Op *, Group *> groupOf;
    for (Op &op : region.ops()) {
      if (op.name() == kKernelOpName)
        continue;
      if (!whyNotKernel(op).empty()) {
        if (Group *g = fuse_ ? viewJoins(op, groupOf, topOf) : nullptr) {
          g->ops.push_back(&op);
          g->shape = op.result(0)->type();
          groupOf[&op] = g;
        }
        continue;
      }
      const Type *shape = op.result(0)->type();
      // Candidate groups: those of its producers with the same iteration space.
      llvm::SmallSetVector<Group *, 4> producers;
      if (fuse_)
        for (unsigned i = 0; i < op.numOperands(); ++i)
          if (Op *def = op.operandValue(i)->definingOp())
            if (auto it = groupOf.find(def); it != groupOf.end() && !it->second->dead &&
                                             sameShape(it->second->shape, shape))
              producers.insert(it->second);
      // Legal when no value of a candidate is used, before this op, by an op outside
      // it that cannot move after the kernel.
      llvm::SmallVector<Group *, 4> join;
      for (Group *g : producers) {
        bool ok = true;
        for (Op *member : g->ops)
          for (unsigned r = 0; r < member->numResults() && ok; ++r)
            for (OpOperand *u = member->result(r)->firstUse(); u && ok; u = u->nextUse()) {
              Op *user = topOf(u->owner());
              if (user == &op || groupOf.lookup(user) == g)
                continue;
              if (order.lookup(user) > order.lookup(&op))
                continue;
              bool movable = user->numRegions() == 0;
              for (unsigned k = 0; k < user->numResults() && movable; ++k)
                movable = user->result(k)->useEmpty();
              ok = movable;
            }
        if (ok)
          join.push_back(g);
      }
      Group *target;
      if (join.empty()) {
        groups.push_back(std::make_unique<Group>());
        target = groups.back().get();
        target->shape = shape;
      } else {
        target = join.front();
        for (Group *g : llvm::drop_begin(join)) {
          for (Op *m : g->ops) {
            target->ops.push_back(m);
            groupOf[m] = target;
          }
          g->dead = true;
        }
        llvm::sort(target->ops,
                   [&](Op *a, Op *b) { return order.lookup(a) < order.lookup(b); });
      }
      target->ops.push_back(&op);
      groupOf[&op] = target;
    }

    for (auto &g : groups) {
      if (g->dead || g->ops.empty())
        continue;
      absl::StatusOr<bool> built = buildKernel(graph, region, *g, order, topOf, ctx);
      if (!built.ok())
        return built.status();
      changed |= *built;
    }
    return absl::OkStatus();
  }

  /// Whether it made a kernel (a group nothing outside uses is left as it is).
  template <typename TopOf>
  absl::StatusOr<bool> buildKernel(Graph &graph, Region &region, Group &g,
                           llvm::DenseMap<const Op *, unsigned> &order, TopOf topOf,
                           PassContext &ctx) {
    llvm::DenseSet<const Op *> members(g.ops.begin(), g.ops.end());
    Op *last = g.ops.back();
    // Inputs: values used by members and defined outside the group, in first-use order.
    llvm::SmallSetVector<Value *, 8> inputs;
    for (Op *m : g.ops)
      for (unsigned i = 0; i < m->numOperands(); ++i) {
        Value *v = m->operandValue(i);
        Op *def = v->definingOp();
        if (!def || !members.count(def))
          inputs.insert(v);
      }
    // Results: member values used outside the group.
    llvm::SmallVector<Value *, 4> outputs;
    llvm::SmallVector<Op *, 4> toMove;
    for (Op *m : g.ops)
      for (unsigned r = 0; r < m->numResults(); ++r) {
        bool external = false;
        for (OpOperand *u = m->result(r)->firstUse(); u; u = u->nextUse()) {
          Op *user = topOf(u->owner());
          if (members.count(user))
            continue;
          external = true;
          if (order.lookup(user) < order.lookup(last) &&
              llvm::find(toMove, user) == toMove.end())
            toMove.push_back(user);
        }
        if (external)
          outputs.push_back(m->result(r));
      }

    // Nothing outside uses it: dead code that dce would remove; left as it is.
    if (outputs.empty())
      return false;
    Rewriter rw(graph, "cpu-partition");
    llvm::SmallVector<Op *, 8> roots(g.ops.begin(), g.ops.end());
    rw.setRoots(roots, "fused into a kernel");
    rw.setInsertionPointAfter(last);
    llvm::SmallVector<Attr, 8> refs;
    for (unsigned i = 0; i < inputs.size(); ++i)
      refs.push_back(Attr::operand(i));
    llvm::SmallVector<Arg, 2> args = {{"", Attr::region(0)},
                                      {"", Attr::list(graph.context().copy(
                                               llvm::ArrayRef<Attr>(refs)))}};
    llvm::SmallVector<const Type *, 4> types;
    for (Value *v : outputs)
      types.push_back(v->type());
    llvm::SmallVector<Value *, 8> operands(inputs.begin(), inputs.end());
    Op *kernel = rw.create(kKernelOpName, operands, args, types, 1);
    Region &body = kernel->region(0);
    llvm::DenseMap<Value *, Value *> argOf;
    for (Value *v : inputs)
      argOf[v] = body.addArg(v->type(), v->nameRef());
    // Outside users of the results now use the kernel's.
    for (unsigned i = 0; i < outputs.size(); ++i) {
      kernel->result(i)->setName(outputs[i]->nameRef());
      for (OpOperand *u = outputs[i]->firstUse(); u;) {
        OpOperand *next = u->nextUse();
        if (!members.count(topOf(u->owner())))
          u->set(kernel->result(i));
        u = next;
      }
    }
    // Members move into the region, reading its arguments.
    for (Op *m : g.ops) {
      region.remove(m);
      body.push_back(m);
      for (unsigned i = 0; i < m->numOperands(); ++i)
        if (Value *a = argOf.lookup(m->operandValue(i)))
          m->operand(i).set(a);
      rw.noteModified(m, "fused into a kernel");
    }
    rw.setInsertionPointToEnd(body);
    llvm::SmallVector<Arg, 4> yieldArgs;
    for (unsigned i = 0; i < outputs.size(); ++i)
      yieldArgs.push_back({"", Attr::operand(i)});
    rw.create(FxirOp::Yield, outputs, yieldArgs, {});
    // Asserts that read a result before the kernel's place go right after it.
    Op *after = kernel;
    for (Op *u : toMove) {
      region.remove(u);
      region.insert(std::next(Region::OpList::iterator(after)), u);
      after = u;
    }
    ctx.stats()["kernels"] += 1;
    ctx.stats()["ops-fused"] += static_cast<int64_t>(g.ops.size());
    for (Op *m : g.ops)
      if (isFusedView(*m))
        ctx.stats()["views-fused"] += 1;
    return true;
  }
};

} // namespace

std::unique_ptr<Pass> createPartitionPass(const PassOptions &options) {
  return std::make_unique<PartitionPass>(options);
}

//===----------------------------------------------------------------------------===//
// Scheduling
//===----------------------------------------------------------------------------===//

namespace {

/// How buffer `t` (broadcast to `rank` dims of `shape`) is read along the last dim.
Inner innerOf(const Type *t, const Type *iter) {
  if (iter->rank() == 0)
    return Inner::Contiguous;
  if (t->rank() == 0)
    return Inner::Broadcast;
  const SymExpr *last = t->shape().back();
  const SymExpr *iterLast = iter->shape().back();
  if (last->asConst() == 1 && iterLast->asConst() != 1)
    return Inner::Broadcast;
  if (t->isContiguous())
    return Inner::Contiguous;
  if (t->layoutKnown() && !t->strides().empty() && t->strides().back()->asConst() == 1)
    return Inner::Contiguous;
  return Inner::Strided;
}

std::string sourceLine(const Op &op) { return op.describe(true); }

bool sameShapeAndLayout(const Type *a, const Type *b) {
  if (a->rank() != b->rank() || !a->layoutKnown() || !b->layoutKnown() ||
      a->strides().size() != b->strides().size())
    return false;
  for (size_t i = 0; i < a->rank(); ++i)
    if (a->shape()[i] != b->shape()[i])
      return false;
  for (size_t i = 0; i < a->strides().size(); ++i)
    if (a->strides()[i] != b->strides()[i])
      return false;
  return true;
}

// How a buffer of operand type `arg`, read through view chain `chain` (nearest the
// kernel's space first), is addressed along the inner dim: contiguous when the types
// say the chain's result has a unit inner stride (the operand has the layout of the
// value the deepest view reads, and each view's input the layout the view below gave),
// else strided (the runtime's strides whatever they are). Never broadcast.
Inner viewedInner(const Type *arg, llvm::ArrayRef<const Op *> chain, const Type *iter) {
  const Type *cur = arg;
  for (size_t j = chain.size(); j-- > 0;) {
    if (!sameShapeAndLayout(cur, viewInput(*chain[j])->type()))
      return Inner::Strided;
    cur = chain[j]->result(0)->type();
  }
  return innerOf(cur, iter) == Inner::Contiguous ? Inner::Contiguous : Inner::Strided;
}

} // namespace

unsigned KernelSpec::bufferOf(unsigned operand, unsigned space) const {
  for (unsigned b = 0; b < buffers.size(); ++b)
    if (!buffers[b].isResult && buffers[b].index == operand && buffers[b].space == space)
      return b;
  return ~0u;
}

absl::StatusOr<std::vector<KernelSpec>> scheduleKernels(const Graph &graph, bool nativeLoops) {
  std::vector<KernelSpec> out;
  absl::Status err = absl::OkStatus();
  graph.walk([&](Op &op) {
    if (op.name() != kKernelOpName || !err.ok())
      return;
    KernelSpec k;
    k.op = &op;
    k.context = &graph.context();
    k.symbol = "fxir_k" + std::to_string(out.size());
    if (op.numResults() == 0) {
      err = absl::InternalError("cpu: " + op.describe() + " has no results");
      return;
    }
    const Type *iter = op.result(0)->type();
    k.rank = static_cast<unsigned>(iter->rank());
    k.operandBuffer.assign(op.numOperands(), ~0u);
    k.operandScalar.assign(op.numOperands(), ~0u);
    // A tensor only factory ops take (zeros_like's self: for its shape and dtype) is
    // not read: no buffer.
    auto onlyShapeOf = [&](unsigned i) {
      const Value *arg = op.region(0).arg(i);
      if (arg->useEmpty())
        return false;
      for (OpOperand *u = arg->firstUse(); u; u = u->nextUse()) {
        const KernelOpRow *r = kernelOpRow(u->owner()->name());
        if (!r || r->form != ArgForm::Fill)
          return false;
      }
      return true;
    };
    // Index spaces: an op's is its users' (the yield's: 0); a fused view's input is in
    // the space of the view's chain with the view added (Cpu.h: KernelSpec::spaces).
    const Region &body = op.region(0);
    llvm::DenseSet<const Op *> views;
    for (const Op &m : body.ops())
      if (!m.isTerminator() && isFusedView(m))
        views.insert(&m);
    auto spaceOfUse = [&](const OpOperand &u) -> unsigned {
      const Op *user = u.owner();
      if (user->isTerminator())
        return 0;
      unsigned s = k.opSpace.lookup(user);
      if (!views.count(user))
        return s;
      std::vector<const Op *> chain = k.spaces[s];
      chain.push_back(user);
      for (unsigned c = 1; c < k.spaces.size(); ++c)
        if (k.spaces[c] == chain)
          return c;
      k.spaces.push_back(std::move(chain));
      return static_cast<unsigned>(k.spaces.size() - 1);
    };
    for (auto m = body.ops().rbegin(); m != body.ops().rend() && err.ok(); ++m) {
      if (m->isTerminator())
        continue;
      std::optional<unsigned> space;
      for (unsigned r = 0; r < m->numResults(); ++r)
        for (OpOperand *u = m->result(r)->firstUse(); u; u = u->nextUse()) {
          unsigned s = spaceOfUse(*u);
          if (space && *space != s)
            err = absl::InternalError("cpu: " + op.describe() + ": " + m->describe() +
                                      " is used in two index spaces");
          space = s;
        }
      if (space.value_or(0))
        k.opSpace[&*m] = *space;
    }
    if (!err.ok())
      return;
    for (unsigned i = 0; i < op.numOperands(); ++i) {
      const Type *t = op.operandValue(i)->type();
      if (t->isTensor() && onlyShapeOf(i))
        continue;
      if (t->isTensor()) {
        // One buffer a space it is read in (a 0-dim operand: space 0's, every element
        // of every space reads its one element).
        llvm::SmallSetVector<unsigned, 2> spaces;
        for (OpOperand *u = body.arg(i)->firstUse(); u; u = u->nextUse()) {
          if (views.count(u->owner())) {
            err = absl::InternalError("cpu: " + op.describe() + ": a fused view reads operand " +
                                      std::to_string(i));
            return;
          }
          if (t->rank() > 0)
            spaces.insert(k.opSpace.lookup(u->owner()));
          else
            spaces.insert(0);
        }
        if (spaces.empty())
          spaces.insert(0);
        for (unsigned s : spaces) {
          if (s == 0) {
            if (t->rank() > k.rank) {
              err = absl::InternalError("cpu: " + op.describe() + ": operand " +
                                        std::to_string(i) + " has a higher rank than the kernel");
              return;
            }
            k.operandBuffer[i] = static_cast<unsigned>(k.buffers.size());
            k.buffers.push_back({false, i, t->dtype(), static_cast<unsigned>(t->rank()),
                                 innerOf(t, iter)});
          } else {
            k.buffers.push_back(
                {false, i, t->dtype(), k.rank, viewedInner(t, k.spaces[s], iter), s});
          }
        }
      } else {
        k.operandScalar[i] = static_cast<unsigned>(k.scalarOperands.size());
        k.scalarOperands.push_back(i);
      }
    }
    // Results are written in their type's layout (eager's: a pointwise op on a
    // transposed input gives a transposed result), strided along the inner dim when the
    // type says so.
    for (unsigned r = 0; r < op.numResults(); ++r) {
      const Type *rt = op.result(r)->type();
      // (A result of unknown layout, `{?}`, is allocated contiguous.)
      Inner inner = innerOf(rt, iter) == Inner::Strided && rt->layoutKnown() ? Inner::Strided
                                                                             : Inner::Contiguous;
      k.buffers.push_back({true, r, rt->dtype(), k.rank, inner});
    }
    for (const Op &m : op.region(0).ops()) {
      if (m.isTerminator())
        continue;
      ++k.numOps;
      k.sources += "  " + sourceLine(m) + "\n";
      if (const KernelOpRow *r = kernelOpRow(m.name());
          r && (r->form == ArgForm::Fill || r->form == ArgForm::Arange))
        k.shapeFromType = true;
    }
    // The one kernel of a loop the generator covers entirely: the loop runs as it.
    if (const Op *loop = op.parentRegion() ? op.parentRegion()->parentOp() : nullptr;
        nativeLoops && loop && loop->is(FxirOp::For))
      if (absl::StatusOr<bool> native = makeNativeLoop(k, *loop); !native.ok()) {
        err = native.status();
        return;
      }
    out.push_back(std::move(k));
  });
  if (!err.ok())
    return err;
  return out;
}

} // namespace fxir::cpu
