//===- fxir-difftest.cpp - random pointwise programs, cpu against interp ------------===//
//
//   fxir-difftest [--seed S] [--count N] [--keep DIR] [--verbose]
//
// --keep DIR keeps every program (pN.fxir) and a failing run's inputs
// (pN.inputs.safetensors), for fxir-run.
//
// Generates N random valid pointwise programs (seeded: program i of seed S is always
// the same) and runs each through the cpu backend and through interp (ATen, the oracle)
// on the same inputs, comparing every output with the dtype's tolerance. A program
// draws from:
//   - 1 to 3 inputs of any of the 10 dtypes, of ranks 0 to 3, broadcasting against
//     each other (size-1 and missing leading dims), sizes 0, 1 and larger;
//   - symbolic sizes (a `sym` with a range), run at three sizes (1, 3, 20);
//   - inputs passed contiguous, strided (every other element), transposed or at an
//     offset into a larger storage;
//   - 1 to 6 ops: unary (sin and cos of inputs only: of a computed value an allowed
//     one-ulp difference becomes any value; nothing that jumps at a threshold or has
//     a pole takes a transcendental's result: Val::inexact), binary with tensors or numbers,
//     comparisons, where, casts, fills (zeros_like, ones_like, full_like),
//     clamps, views between them (transpose, unsqueeze, select at 0 or -1, a slice,
//     a reshape to one dim: the cpu backend fuses them as index arithmetic), with their result dtypes from ATen's type promotion (interp checks them
//     against what ATen computes, so a wrong one fails instead of passing);
//   - values from a normal distribution with NaN, +-inf, +-0 and integer extremes mixed
//     in.
// f16/bf16 run with emulate-eager-rounding (fused f32 is a documented difference).
// Prints `fxir-difftest: N passed, M failed (K ops ran in kernels, V of them views; R
// runs that ATen rejects, rejected by both)`; each failure prints its program as .fxir
// text, how its inputs were laid out and what differs. Exit 0 when none failed.
//===----------------------------------------------------------------------------===//
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

#include <ATen/TensorOperators.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/full.h>
#include <ATen/ops/randint.h>
#include <ATen/ops/randn.h>
#include <ATen/ops/where.h>

#include "fxir/backends/cpu/Cpu.h"
#include "fxir/backends/runtime/Runtime.h"
#include "fxir/backends/runtime/AtenCall.h"
#include "fxir/backends/runtime/TensorFile.h"

#include "llvm/Support/CommandLine.h"

namespace {

using fxir::DType;
namespace cl = llvm::cl;

const DType kDTypes[] = {DType::Float32, DType::Float64, DType::Float16, DType::BFloat16,
                         DType::Int8,    DType::Int16,   DType::Int32,   DType::Int64,
                         DType::UInt8,   DType::Bool};

bool isFloat(DType t) { return fxir::isFloatingPoint(t); }
bool isInt(DType t) { return !isFloat(t) && t != DType::Bool; }

struct Val {
  std::string name;
  DType dtype;
  std::vector<std::string> shape; // dims as text ("4", "s0")
  bool unknownLayout = false;      // a view's result whose strides the text leaves `{?}`
  // Computed by a transcendental function (or from such a value): cpu and ATen may
  // differ in its last ulp (both within the ULP table's bounds), so no op that jumps
  // at a threshold (a comparison, floor/round/trunc/sign, a cast to an integer or
  // bool, logical_and) takes it: it would turn an allowed ulp into a wrong answer
  // (expm1(-17) is -0.99999994 correctly rounded, -1 in ATen: 0 and -1 as int32).
  bool inexact = false;
};

struct Program {
  std::string text;
  std::vector<Val> inputs;
  bool symbolic = false;
  std::string layouts; // how inputs are passed, for a failure report
};

class Generator {
public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  Program make() {
    Program p;
    unsigned rank = pick(4);
    p.symbolic = rank > 0 && pick(3) == 0;
    std::vector<std::string> full;
    for (unsigned d = 0; d < rank; ++d) {
      if (p.symbolic && d == rank - 1) {
        full.push_back("s0");
        continue;
      }
      static const char *sizes[] = {"1", "2", "3", "5", "8", "17", "0", "33"};
      full.push_back(sizes[pick(pick(10) == 0 ? 8 : 6)]); // 0-size sometimes
    }
    unsigned nIn = 1 + pick(3);
    for (unsigned i = 0; i < nIn; ++i) {
      Val v{"%in" + std::to_string(i), kDTypes[pick(10)], {}};
      unsigned drop = pick(rank + 1) == 0 ? pick(rank + 1) : 0; // missing leading dims
      for (unsigned d = drop; d < rank; ++d)
        v.shape.push_back(pick(4) == 0 ? "1" : full[d]);
      p.inputs.push_back(v);
    }
    std::vector<Val> vals = p.inputs;
    std::ostringstream body;
    unsigned nOps = 1 + pick(6);
    for (unsigned k = 0; k < nOps; ++k) {
      Val out;
      std::string text;
      if (!op(vals, "%v" + std::to_string(k), out, text))
        continue;
      body << "  " << out.name << ": " << typeText(out) << " = " << text << "\n";
      vals.push_back(out);
    }
    // Outputs: the last value and sometimes another.
    std::vector<std::string> outs = {vals.back().name};
    if (vals.size() > p.inputs.size() + 1 && pick(2))
      outs.push_back(vals[p.inputs.size() + pick(vals.size() - p.inputs.size() - 1)].name);
    std::ostringstream t;
    if (p.symbolic)
      t << "sym s0 : [1, 64] hint 8\n";
    t << "graph @difftest(";
    for (size_t i = 0; i < p.inputs.size(); ++i)
      t << (i ? ", " : "") << p.inputs[i].name << ": " << typeText(p.inputs[i]) << " input";
    t << ") -> (";
    for (size_t i = 0; i < outs.size(); ++i)
      t << (i ? ", " : "") << "output";
    t << ") {\n" << body.str() << "  fxir.yield(";
    for (size_t i = 0; i < outs.size(); ++i)
      t << (i ? ", " : "") << outs[i];
    t << ")\n}\n";
    p.text = t.str();
    return p;
  }

  unsigned pick(unsigned n) { return n ? std::uniform_int_distribution<unsigned>(0, n - 1)(rng_) : 0; }
  std::mt19937_64 &rng() { return rng_; }

private:
  std::mt19937_64 rng_;
  std::string afterView_; // the view the previous op made, if it made one

  static std::string typeText(const Val &v) {
    std::string s = std::string(fxir::irName(v.dtype)) + "[";
    for (size_t i = 0; i < v.shape.size(); ++i)
      s += (i ? ", " : "") + v.shape[i];
    return s + (v.unknownLayout ? "]{?}" : "]");
  }

  static bool broadcastable(const Val &a, const Val &b) {
    size_t n = std::min(a.shape.size(), b.shape.size());
    for (size_t i = 1; i <= n; ++i) {
      const std::string &x = a.shape[a.shape.size() - i], &y = b.shape[b.shape.size() - i];
      if (x != y && x != "1" && y != "1")
        return false;
    }
    return true;
  }

  /// A view of x (the cpu backend fuses views between pointwise ops: docs/codegen.md).
  bool view(const Val &x, Val &out, std::string &text) {
    size_t rank = x.shape.size();
    if (rank == 0)
      return false;
    out.dtype = x.dtype;
    out.shape = x.shape;
    out.unknownLayout = x.unknownLayout;
    out.inexact = x.inexact;
    auto dim = [&](size_t d) { return std::to_string(d); };
    switch (pick(5)) {
    case 0: { // transpose
      if (rank < 2)
        return false;
      unsigned a = pick(rank), b = pick(rank);
      if (a == b)
        return false;
      std::swap(out.shape[a], out.shape[b]);
      out.unknownLayout = true;
      text = "aten.transpose.int(" + x.name + ", " + dim(a) + ", " + dim(b) + ")";
      return true;
    }
    case 1: { // unsqueeze
      if (rank > 3)
        return false;
      unsigned d = pick(rank + 1);
      out.shape.insert(out.shape.begin() + d, "1");
      text = "aten.unsqueeze.default(" + x.name + ", " + dim(d) + ")";
      return true;
    }
    case 2: { // select, at 0 or -1
      unsigned d = pick(rank);
      if (rank < 2 || x.shape[d] == "0")
        return false;
      bool last = pick(2);
      out.shape.erase(out.shape.begin() + d);
      out.unknownLayout = x.unknownLayout || d != 0;
      text = "aten.select.int(" + x.name + ", " + dim(d) + ", " + (last ? "-1" : "0") + ")";
      return true;
    }
    case 3: { // slice [1:] of a dim of constant size
      unsigned d = pick(rank);
      if (x.shape[d] == "s0")
        return false;
      int64_t n = std::stoll(x.shape[d]);
      out.shape[d] = std::to_string(std::max<int64_t>(0, n - 1));
      out.unknownLayout = x.unknownLayout || d != 0;
      text = "aten.slice.Tensor(" + x.name + ", " + dim(d) + ", 1, 9223372036854775807)";
      return true;
    }
    default: { // reshape to one dim (constant sizes)
      int64_t n = 1;
      for (const std::string &d : x.shape) {
        if (d == "s0")
          return false;
        n *= std::stoll(d);
      }
      out.shape = {std::to_string(n)};
      out.unknownLayout = false;
      text = "aten.reshape.default(" + x.name + ", [" + std::to_string(n) + "])";
      return true;
    }
    }
  }

  static std::vector<std::string> broadcast(const Val &a, const Val &b) {
    const Val &lo = a.shape.size() >= b.shape.size() ? a : b;
    const Val &sh = a.shape.size() >= b.shape.size() ? b : a;
    std::vector<std::string> out = lo.shape;
    size_t off = lo.shape.size() - sh.shape.size();
    for (size_t i = 0; i < sh.shape.size(); ++i)
      if (out[off + i] == "1")
        out[off + i] = sh.shape[i];
    return out;
  }

  static fxir::cpu::PromotionInput promo(const Val &v) {
    return {v.shape.empty() ? fxir::cpu::PromotionInput::Kind::ZeroDim
                            : fxir::cpu::PromotionInput::Kind::Tensor,
            v.dtype};
  }

  /// One random op on `vals`, or false when the draw gives nothing valid.
  bool op(const std::vector<Val> &vals, const std::string &name, Val &out, std::string &text) {
    // After a view, the next op reads it (a view between two pointwise ops is what
    // the cpu backend fuses); a view mostly takes a computed value.
    const Val *last = !afterView_.empty() && vals.back().name == afterView_ ? &vals.back() : nullptr;
    afterView_.clear();
    const Val &x = last && pick(4) ? *last : vals[pick(static_cast<unsigned>(vals.size()))];
    const Val &y = vals[pick(static_cast<unsigned>(vals.size()))];
    out.name = name;
    if (!broadcastable(x, y))
      return false;
    out.inexact = x.inexact || y.inexact;
    switch (pick(8)) {
    case 7: {
      std::vector<const Val *> computed;
      for (const Val &v : vals)
        if (v.name.rfind("%v", 0) == 0)
          computed.push_back(&v);
      const Val &vx = !computed.empty() && pick(4) ? *computed[pick(computed.size())] : x;
      if (!view(vx, out, text))
        return false;
      afterView_ = name;
      return true;
    }
    case 0: { // unary
      struct U { const char *op; int kind; }; // 0 same (no bool), 1 float, 2 int/bool, 3 float-only same
      static const U us[] = {{"neg", 0}, {"abs", 0}, {"relu", 0}, {"exp", 1}, {"tanh", 1},
                             {"sigmoid", 1}, {"sqrt", 1}, {"log", 1}, {"sin", 1}, {"cos", 1},
                             {"erf", 1}, {"expm1", 1}, {"log1p", 1}, {"floor", 0},
                             {"round", 0}, {"trunc", 0}, {"sign", 0}, {"bitwise_not", 2},
                             {"silu", 3}, {"reciprocal", 1}};
      const U &u = us[pick(sizeof us / sizeof us[0])];
      if ((u.kind == 0 && x.dtype == DType::Bool) || (u.kind == 2 && isFloat(x.dtype)) ||
          (u.kind == 3 && !isFloat(x.dtype)))
        return false;
      // sin and cos of inputs only: of a computed value (cos(exp(x))) they turn an
      // allowed one-ulp difference into any other value (one f32 ulp of exp(57) is
      // 1.7e16 radians).
      bool periodic = std::string(u.op) == "sin" || std::string(u.op) == "cos";
      if (periodic && x.name.rfind("%in", 0) != 0)
        return false;
      std::string un = u.op;
      bool jumps = un == "floor" || un == "round" || un == "trunc" || un == "sign";
      // log and log1p near their pole magnify an ulp the same way
      // (log1p(expm1(-9)): 8,000 times).
      bool pole = un == "log" || un == "log1p";
      if ((jumps || pole) && x.inexact)
        return false;
      out.inexact = x.inexact || u.kind == 1 || u.kind == 3;
      out.dtype = u.kind == 1 ? (isFloat(x.dtype) ? x.dtype : DType::Float32) : x.dtype;
      out.shape = x.shape;
      text = std::string("aten.") + u.op + ".default(" + x.name + ")";
      return true;
    }
    case 1: { // binary tensor-tensor
      static const char *ops[] = {"add.Tensor", "sub.Tensor", "mul.Tensor", "div.Tensor",
                                  "maximum.default", "minimum.default", "bitwise_and.Tensor",
                                  "bitwise_xor.Tensor", "logical_and.default"};
      unsigned k = pick(9);
      std::optional<DType> common = fxir::cpu::resultType({promo(x), promo(y)});
      if (!common)
        return false;
      bool bitwise = k == 6 || k == 7;
      if (bitwise && isFloat(*common))
        return false;
      if (k <= 2 && *common == DType::Bool) // add, sub, mul of bools
        return false;
      if (k == 8 && out.inexact)
        return false;
      out.dtype = k == 3 ? (isFloat(*common) ? *common : DType::Float32)
                  : k == 8 ? DType::Bool : *common;
      out.shape = broadcast(x, y);
      // An f32 transcendental's ulp is not within f64's tolerance.
      if (out.dtype == DType::Float64 && ((x.inexact && x.dtype != DType::Float64) ||
                                          (y.inexact && y.dtype != DType::Float64)))
        return false;
      text = std::string("aten.") + ops[k] + "(" + x.name + ", " + y.name +
             (k <= 1 ? ", alpha=1" : "") + ")";
      return true;
    }
    case 2: { // binary with a number
      bool fnum = pick(2);
      std::string num = fnum ? "1.5" : "3";
      static const char *ops[] = {"mul.Tensor", "add.Tensor", "div.Tensor", "gt.Scalar",
                                  "pow.Tensor_Scalar"};
      unsigned k = pick(5);
      if (x.dtype == DType::Bool && k != 3 && k != 2)
        return false;
      if (k == 3 && x.inexact)
        return false;
      out.inexact = x.inexact;
      fxir::cpu::PromotionInput n{fxir::cpu::PromotionInput::Kind::Number,
                                  fnum ? DType::Float64 : DType::Int64};
      std::optional<DType> common = fxir::cpu::resultType({promo(x), n});
      if (!common)
        return false;
      if (k == 4) {
        num = fnum ? "2.0" : "2";
        if (x.dtype == DType::Bool)
          return false;
      }
      out.dtype = k == 3 ? DType::Bool : k == 2 ? (isFloat(*common) ? *common : DType::Float32)
                                                : *common;
      out.shape = x.shape;
      text = std::string("aten.") + ops[k] + "(" + x.name + ", " + num + (k == 1 ? ", alpha=1" : "") + ")";
      return true;
    }
    case 3: { // comparison
      static const char *ops[] = {"eq.Tensor", "ne.Tensor", "lt.Tensor", "ge.Tensor"};
      if (out.inexact)
        return false;
      if (!fxir::cpu::resultType({promo(x), promo(y)}))
        return false;
      out.dtype = DType::Bool;
      out.shape = broadcast(x, y);
      text = std::string("aten.") + ops[pick(4)] + "(" + x.name + ", " + y.name + ")";
      return true;
    }
    case 4: { // where on a comparison made here
      const Val &c = vals[pick(static_cast<unsigned>(vals.size()))];
      if (c.dtype != DType::Bool || !broadcastable(c, x) || !broadcastable(c, y))
        return false;
      std::optional<DType> common = fxir::cpu::resultType({promo(x), promo(y)});
      if (!common)
        return false;
      Val xy{"", *common, broadcast(x, y)};
      out.dtype = *common;
      out.shape = broadcast(c, xy);
      text = "aten.where.self(" + c.name + ", " + x.name + ", " + y.name + ")";
      return true;
    }
    case 6: { // a fill shaped like x (a factory op: fused with what uses it)
      static const char *fills[] = {"zeros_like", "ones_like", "full_like"};
      unsigned k = pick(3);
      out.dtype = x.dtype;
      out.shape = x.shape;
      out.inexact = false;
      std::string v = x.dtype == DType::Bool ? "true" : isFloat(x.dtype) ? "-2.5" : "7";
      text = std::string("aten.") + fills[k] + ".default(" + x.name +
             (k == 2 ? ", " + v : std::string()) + ")";
      return true;
    }
    default: { // cast or clamp
      out.inexact = x.inexact;
      if (pick(2)) {
        DType to = kDTypes[pick(10)];
        if (x.inexact && (!isFloat(to) || (to == DType::Float64 && x.dtype != DType::Float64)))
          return false;
        out.dtype = to;
        out.shape = x.shape;
        text = "aten._to_copy.default(" + x.name + ", dtype=" + std::string(fxir::irName(to)) + ")";
        return true;
      }
      if (x.dtype == DType::Bool)
        return false;
      out.dtype = x.dtype;
      out.shape = x.shape;
      text = "aten.clamp.default(" + x.name + ", -2, 5)";
      return true;
    }
    }
  }
};

/// Random values of `dtype` with edge values mixed in.
at::Tensor values(Generator &g, DType dtype, const std::vector<int64_t> &sizes) {
  at::ScalarType st = fxir::runtime::toScalarType(dtype);
  at::Tensor t;
  if (dtype == DType::Bool) {
    t = at::randint(0, 2, sizes, at::TensorOptions().dtype(at::kLong)).to(at::kBool);
  } else if (isInt(dtype)) {
    t = at::randint(-100, 100, sizes, at::TensorOptions().dtype(at::kLong)).to(st);
  } else {
    t = (at::randn(sizes, at::TensorOptions().dtype(at::kDouble)) * 3).to(st);
  }
  int64_t n = t.numel();
  if (n == 0)
    return t;
  at::Tensor flat = t.view({-1});
  for (int k = 0; k < 3 && n > 2; ++k) {
    int64_t i = g.pick(static_cast<unsigned>(n));
    if (isFloat(dtype)) {
      static const double edge[] = {std::nan(""), INFINITY, -INFINITY, 0.0, -0.0, 1e-40};
      flat[i] = edge[g.pick(6)];
    } else if (isInt(dtype)) {
      flat[i] = g.pick(2) ? 0 : 1;
    }
  }
  return t;
}

/// `t` passed as `layout` (0 contiguous, 1 strided, 2 transposed, 3 at an offset).
at::Tensor laidOut(const at::Tensor &t, unsigned layout) {
  if (t.dim() == 0 || layout == 0)
    return t;
  if (layout == 1) { // every other element of a twice-as-wide storage
    std::vector<int64_t> wide(t.sizes().begin(), t.sizes().end());
    wide.back() *= 2;
    at::Tensor w = at::empty(wide, t.options());
    at::Tensor v = w.slice(-1, 0, wide.back(), 2);
    v.copy_(t);
    return v;
  }
  if (layout == 2 && t.dim() >= 2)
    return t.transpose(0, 1).contiguous().transpose(0, 1);
  std::vector<int64_t> big(t.sizes().begin(), t.sizes().end());
  big[0] += 3;
  at::Tensor b = at::empty(big, t.options());
  at::Tensor v = b.narrow(0, 3, t.size(0));
  v.copy_(t);
  return v;
}

} // namespace

int main(int argc, char **argv) {
  cl::opt<uint64_t> seed("seed", cl::desc("the first program's seed"), cl::init(1));
  cl::opt<unsigned> count("count", cl::desc("programs to generate"), cl::init(100));
  cl::opt<std::string> keep("keep", cl::desc("write every program's .fxir here"), cl::init(""));
  cl::opt<bool> verbose("verbose", cl::desc("print every program"));
  cl::ParseCommandLineOptions(argc, argv, "fxir-difftest: random pointwise programs, cpu against interp\n");
  std::string dir = keep.empty()
                        ? (std::filesystem::temp_directory_path() /
                           ("fxir-difftest-" + std::to_string(::getpid())))
                              .string()
                        : std::string(keep);
  std::filesystem::create_directories(dir);
  unsigned passed = 0, failed = 0, bothRejected = 0, kernelOps = 0, fusedViews = 0;
  for (unsigned i = 0; i < count; ++i) {
    Generator g(seed * 1000003ull + i);
    at::manual_seed(seed * 1000003ull + i);
    Program p = g.make();
    std::string path = dir + "/p" + std::to_string(i) + ".fxir";
    std::ofstream(path) << p.text;
    if (verbose)
      std::cout << "program " << i << ":\n" << p.text;
    std::string problem;
    fxir::runtime::TensorFile lastInputs;
    // The same pipeline for both (dce may drop an op ATen would reject).
    fxir::runtime::CompileOptions ci, cc;
    ci.pipeline = "default";
    cc.backend = "cpu";
    cc.backendOptions["emulate-eager-rounding"] = "true";
    auto interp = fxir::runtime::compile(path, ci);
    auto cpu = fxir::runtime::compile(path, cc);
    if (!interp.ok() || !cpu.ok()) {
      problem = "compile: " +
                std::string(!interp.ok() ? interp.status().message() : cpu.status().message());
    }
    // Three sizes for a symbolic program (1: its inner dim drops out of the runtime
    // layout, what a buffer broadcast along it must survive), one otherwise.
    for (int64_t s0 : p.symbolic ? std::vector<int64_t>{1, 3, 20} : std::vector<int64_t>{0}) {
      if (!problem.empty())
        break;
      std::vector<c10::IValue> in;
      std::string layouts;
      for (const Val &v : p.inputs) {
        std::vector<int64_t> sizes;
        for (const std::string &d : v.shape)
          sizes.push_back(d == "s0" ? s0 : std::stoll(d));
        unsigned layout = g.pick(4);
        layouts += v.name + (layout == 0 ? " contiguous" : layout == 1 ? " strided"
                             : layout == 2 ? " transposed" : " offset") + "; ";
        in.push_back(laidOut(values(g, v.dtype, sizes), layout));
      }
      p.layouts = layouts + (p.symbolic ? "s0 = " + std::to_string(s0) : "");
      std::vector<c10::IValue> inCopy;
      for (const c10::IValue &v : in)
        inCopy.push_back(v.toTensor().clone());
      lastInputs.tensors.clear();
      for (size_t k = 0; k < in.size(); ++k)
        lastInputs.tensors["input_" + std::to_string(k)] = in[k].toTensor().contiguous();
      auto want = (*interp)->run(in);
      auto got = (*cpu)->run(inCopy);
      if (!want.ok() || !got.ok()) {
        if (!want.ok() && !got.ok()) {
          ++bothRejected; // ATen rejects it too: both fail
          if (verbose)
            std::cout << "  both reject: " << want.status().message() << "\n";
          continue;
        }
        problem = "run: interp " + std::string(want.ok() ? "ok" : want.status().message()) +
                  "; cpu " + std::string(got.ok() ? "ok" : got.status().message());
        break;
      }
      for (size_t k = 0; k < want->size() && problem.empty(); ++k) {
        const at::Tensor &w = (*want)[k].toTensor(), &c = (*got)[k].toTensor();
        std::string d = fxir::runtime::compareTensors(
            c, w, fxir::runtime::defaultTolerance(w.scalar_type()));
        if (!d.empty())
          problem = "output " + std::to_string(k) + ": " + d;
      }
    }
    if (cpu.ok()) {
      kernelOps += fxir::cpu::reportPartition((*cpu)->graph()).fusedOps;
      (*cpu)->graph().walk([&](const fxir::Op &op) {
        if (op.name() == fxir::cpu::kKernelOpName)
          for (const fxir::Op &m : op.region(0).ops())
            fusedViews += !m.isTerminator() && fxir::cpu::isFusedView(m);
      });
    }
    if (problem.empty()) {
      ++passed;
      continue;
    }
    ++failed;
    if (!keep.empty()) // the failing run's inputs, for fxir-run --inputs
      (void)fxir::runtime::writeTensorFile(dir + "/p" + std::to_string(i) + ".inputs.safetensors",
                                           lastInputs);
    std::cout << "FAIL program " << i << " (seed " << seed << "): " << problem << "\n  inputs: "
              << p.layouts << "\n" << p.text << "\n";
  }
  if (keep.empty())
    std::filesystem::remove_all(dir);
  std::cout << "fxir-difftest: " << passed << " passed, " << failed << " failed (" << kernelOps
            << " ops ran in kernels, " << fusedViews << " of them views; " << bothRejected << " runs that ATen rejects, rejected by "
            << "both)\n";
  return failed ? 1 : 0;
}
