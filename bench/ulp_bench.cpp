//===- ulp_bench.cpp - ULP error of the cpu backend's f32 unary functions -----------===//
//
//   fxir-ulp [--stride N] [--ops exp,log,...] [--min-ops N]
//
// For each f32 unary function the cpu backend generates, runs every f32 input (all
// 2^32 bit patterns with --stride 1; every Nth one plus the special values with
// --stride N) through a compiled fxir kernel and through ATen, and measures against a
// float64 reference (glibc's double functions, correctly rounded to well under an f32
// ulp):
//   - fxir's max error in f32 ulps (of the reference rounded to f32), and where;
//   - ATen's max error in the same ulps;
//   - the max distance between fxir's and ATen's results, in ulps;
//   - apart: the max error where the reference is subnormal (sigmoid of -88.9:
//     1 / (1 + exp(88.9)) flushes to 0 in f32 arithmetic, in fxir as in ATen).
// NaN must give NaN and every non-NaN result must be non-NaN (a mismatch counts as an
// infinite error). Prints the markdown table of docs/codegen.md. The exhaustive run is
// a bench program (minutes); CI runs a dense sample (`--stride 65537`) through ctest
// `cpu-ulp-sample`, which fails above the bounds `--bound` gives.
//===----------------------------------------------------------------------------===//
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include <ATen/ops/cos.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/erf.h>
#include <ATen/ops/exp.h>
#include <ATen/ops/exp2.h>
#include <ATen/ops/expm1.h>
#include <ATen/ops/log.h>
#include <ATen/ops/log1p.h>
#include <ATen/ops/log2.h>
#include <ATen/ops/sigmoid.h>
#include <ATen/ops/sin.h>
#include <ATen/ops/tan.h>
#include <ATen/ops/tanh.h>

#include "fxir/backends/runtime/Runtime.h"

#include "llvm/Support/CommandLine.h"

namespace {

namespace cl = llvm::cl;

struct Fn {
  const char *name;
  double (*ref)(double);
  at::Tensor (*aten)(const at::Tensor &);
};

double sigmoidRef(double x) { return 1.0 / (1.0 + std::exp(-x)); }

const Fn kFns[] = {
    {"exp", [](double x) { return std::exp(x); }, [](const at::Tensor &t) { return at::exp(t); }},
    {"exp2", [](double x) { return std::exp2(x); }, [](const at::Tensor &t) { return at::exp2(t); }},
    {"expm1", [](double x) { return std::expm1(x); }, [](const at::Tensor &t) { return at::expm1(t); }},
    {"log", [](double x) { return std::log(x); }, [](const at::Tensor &t) { return at::log(t); }},
    {"log2", [](double x) { return std::log2(x); }, [](const at::Tensor &t) { return at::log2(t); }},
    {"log1p", [](double x) { return std::log1p(x); }, [](const at::Tensor &t) { return at::log1p(t); }},
    {"sin", [](double x) { return std::sin(x); }, [](const at::Tensor &t) { return at::sin(t); }},
    {"cos", [](double x) { return std::cos(x); }, [](const at::Tensor &t) { return at::cos(t); }},
    {"tan", [](double x) { return std::tan(x); }, [](const at::Tensor &t) { return at::tan(t); }},
    {"tanh", [](double x) { return std::tanh(x); }, [](const at::Tensor &t) { return at::tanh(t); }},
    {"erf", [](double x) { return std::erf(x); }, [](const at::Tensor &t) { return at::erf(t); }},
    {"sigmoid", sigmoidRef, [](const at::Tensor &t) { return at::sigmoid(t); }},
};

/// Distance in f32 ulps between `got` and the reference `want` (a double): the number
/// of floats between got and want rounded to f32, plus the fraction of want's
/// rounding; infinite when one is NaN and the other is not.
double ulps(float got, double want) {
  if (std::isnan(got) || std::isnan(want))
    return std::isnan(got) && std::isnan(want) ? 0 : INFINITY;
  float w = static_cast<float>(want);
  if (std::isinf(w) || std::isinf(got))
    return w == got ? 0 : INFINITY;
  double ulp = std::nextafter(std::fabs(w), INFINITY) - std::fabs(w);
  if (ulp == 0 || !std::isfinite(ulp))
    ulp = std::ldexp(1.0, -149);
  return std::fabs(static_cast<double>(got) - want) / ulp;
}

double ulpsBetween(float a, float b) {
  if (std::isnan(a) || std::isnan(b))
    return std::isnan(a) && std::isnan(b) ? 0 : INFINITY;
  return ulps(a, static_cast<double>(b));
}

} // namespace

int main(int argc, char **argv) {
  cl::opt<uint64_t> stride("stride", cl::desc("test every Nth f32 bit pattern (1: all 2^32)"),
                           cl::init(1));
  cl::opt<std::string> only("ops", cl::desc("comma-separated functions (default: all)"),
                            cl::init(""));
  cl::opt<double> bound("bound", cl::desc("fail when fxir's max error (normal results) exceeds "
                                          "this many ulps (0: never fail)"),
                        cl::init(0));
  cl::ParseCommandLineOptions(argc, argv, "fxir-ulp: ULP error of the cpu backend's f32 functions\n");
  const int64_t chunk = 1 << 22;
  std::string dir = (std::filesystem::temp_directory_path() / ("fxir-ulp-" + std::to_string(::getpid()))).string();
  std::filesystem::create_directories(dir);
  std::printf("| function | fxir max ulp (at x) | ATen max ulp (at x) | fxir vs ATen max ulp | "
              "subnormal results: fxir / ATen max ulp | inputs |\n");
  std::printf("|---|---|---|---|---|---|\n");
  int rc = 0;
  for (const Fn &fn : kFns) {
    if (!only.empty() && ("," + only + ",").find(std::string(",") + fn.name + ",") == std::string::npos)
      continue;
    std::string path = dir + "/" + fn.name + ".fxir";
    std::ofstream(path) << "sym s0 : [1, " << chunk << "]\ngraph @u(%x: f32[s0] input) -> (output) {\n"
                        << "  %y: f32[s0] = aten." << fn.name << ".default(%x)\n  fxir.yield(%y)\n}\n";
    fxir::runtime::CompileOptions o;
    o.backend = "cpu";
    o.backendOptions["cache"] = "false";
    auto exe = fxir::runtime::compile(path, o);
    if (!exe.ok()) {
      std::cerr << fn.name << ": " << exe.status().message() << "\n";
      return 2;
    }
    double worstF = 0, worstA = 0, worstFA = 0, subF = 0, subA = 0;
    float atF = 0, atA = 0;
    uint64_t tested = 0;
    // Inputs: the special values, then bit patterns 0, stride, 2*stride, ...
    std::vector<float> specials = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1e-45f, -1e-45f,
                                   1.17549435e-38f, 88.72f, 88.73f, -103.9f, -104.0f,
                                   3.4028235e38f, -3.4028235e38f, 8192.0f, 8193.0f, 1e10f};
    uint64_t next = 0;
    bool first = true;
    while (first || next < (1ull << 32)) {
      std::vector<float> xs;
      if (first) {
        xs = specials;
        first = false;
      }
      while (static_cast<int64_t>(xs.size()) < chunk && next < (1ull << 32)) {
        uint32_t bits = static_cast<uint32_t>(next);
        float f;
        std::memcpy(&f, &bits, 4);
        xs.push_back(f);
        next += stride;
      }
      at::Tensor x = at::empty({static_cast<int64_t>(xs.size())}, at::kFloat);
      std::memcpy(x.data_ptr(), xs.data(), xs.size() * 4);
      auto out = (*exe)->run({x});
      if (!out.ok()) {
        std::cerr << fn.name << ": " << out.status().message() << "\n";
        return 2;
      }
      at::Tensor yf = (*out)[0].toTensor().contiguous();
      at::Tensor ya = fn.aten(x).contiguous();
      const float *pf = yf.data_ptr<float>(), *pa = ya.data_ptr<float>();
      for (size_t i = 0; i < xs.size(); ++i) {
        double want = fn.ref(static_cast<double>(xs[i]));
        double ef = ulps(pf[i], want), ea = ulps(pa[i], want), efa = ulpsBetween(pf[i], pa[i]);
        worstFA = std::max(worstFA, efa);
        if (want != 0 && std::fabs(want) < 1.17549435e-38) { // a subnormal result
          subF = std::max(subF, ef);
          subA = std::max(subA, ea);
          continue;
        }
        if (ef > worstF) {
          worstF = ef;
          atF = xs[i];
        }
        if (ea > worstA) {
          worstA = ea;
          atA = xs[i];
        }
      }
      tested += xs.size();
    }
    std::printf("| %s | %.2f (%.9g) | %.2f (%.9g) | %.2f | %.0f / %.0f | %llu |\n", fn.name,
                worstF, atF, worstA, atA, worstFA, subF, subA,
                static_cast<unsigned long long>(tested));
    std::fflush(stdout);
    if (bound > 0 && worstF > bound) {
      std::printf("FAIL %s: fxir's max error %.2f ulps exceeds %.2f\n", fn.name, worstF,
                  static_cast<double>(bound));
      rc = 1;
    }
  }
  std::filesystem::remove_all(dir);
  return rc;
}
