//===- CpuBackendTest.cpp - the cpu backend: threads, compile cache keys --------------===//
// Small .fxir programs compiled with --backend=cpu, checked against ATen's eager result
// computed here and against the same program on one thread.
#include "fxir/backends/cpu/Cpu.h"
#include "fxir/backends/runtime/Parallel.h"
#include "fxir/ir/OpSchema.h"
#include "fxir/ir/Verifier.h"
#include "fxir/backends/runtime/Runtime.h"
#include "TestSupport.h"

#include <algorithm>
#include <atomic>
#include <iostream>
#include <map>
#include <filesystem>
#include <fstream>
#include <thread>
#include <set>
#include <sstream>

#include <ATen/TensorOperators.h>
#include <ATen/ops/allclose.h>
#include <ATen/ops/equal.h>
#include <ATen/ops/exp.h>
#include <ATen/ops/full.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/zeros.h>
#include <ATen/ops/randn.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace fxir::runtime;
using fxir::testing::compileText;
using fxir::testing::fromText;
using ::testing::HasSubstr;

namespace {

/// exp(x) * x + 1 on `shape` (a .fxir shape, "3, 200001"), through a transpose of
/// the input first when `transposed` (the kernel then reads a strided operand).
std::string chain(const std::string &shape, bool transposed = false) {
  std::ostringstream s;
  if (!transposed) {
    s << "graph @chain(%x: f32[" << shape << "] input) -> (output) {\n"
      << "  %e: f32[" << shape << "] = aten.exp.default(%x)\n";
  } else {
    s << "graph @chain(%x: f32[512, 300] input) -> (output) {\n"
      << "  %p: f32[300, 512]{1, 300} = aten.permute.default(%x, [1, 0])\n"
      << "  %e: f32[" << shape << "] = aten.exp.default(%p)\n";
  }
  std::string in = transposed ? "%p" : "%x";
  s << "  %m: f32[" << shape << "] = aten.mul.Tensor(%e, " << in << ")\n"
    << "  %a: f32[" << shape << "] = aten.add.Tensor(%m, 1.0, alpha=1)\n"
    << "  fxir.yield(%a)\n}\n";
  return s.str();
}

CompileOptions cpuWith(int threads) {
  CompileOptions o;
  o.backend = "cpu";
  o.backendOptions["threads"] = std::to_string(threads);
  return o;
}

at::Tensor runOnce(const Executable &exe, const at::Tensor &x) {
  absl::StatusOr<std::vector<c10::IValue>> out = exe.run({x});
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? (*out)[0].toTensor() : at::Tensor();
}

/// Distinct files named libgomp* mapped into this process.
std::set<std::string> loadedLibgomps() {
  std::ifstream maps("/proc/self/maps");
  std::set<std::string> out;
  for (std::string line; std::getline(maps, line);) {
    size_t slash = line.find('/');
    if (slash != std::string::npos && line.find("libgomp", slash) != std::string::npos)
      out.insert(line.substr(slash));
  }
  return out;
}

} // namespace

// Two threads really run a large kernel, on the one OpenMP runtime torch loads.
TEST(CpuThreads, TwoThreadsRunOnTheOneLibgomp) {
  auto exe = fromText(chain("1000003"), cpuWith(2));
  ASSERT_TRUE(exe);
  at::Tensor x = at::randn({1000003});
  resetLargestKernelTeam();
  at::Tensor y = runOnce(*exe, x);
  EXPECT_EQ(largestKernelTeam(), 2);
  EXPECT_TRUE(at::allclose(y, at::exp(x) * x + 1, 1e-5, 1e-6));
  std::set<std::string> gomps = loadedLibgomps();
  ASSERT_EQ(gomps.size(), 1u) << ::testing::PrintToString(gomps);
  EXPECT_THAT(*gomps.begin(), HasSubstr("torch/lib/libgomp"));
}

// The grain rule: a small kernel stays on the calling thread; threads=1 means one.
TEST(CpuThreads, SmallKernelsAndThreads1RunOnOneThread) {
  auto small = fromText(chain("4000"), cpuWith(2), "_small");
  auto one = fromText(chain("1000003"), cpuWith(1), "_one");
  ASSERT_TRUE(small && one);
  resetLargestKernelTeam();
  runOnce(*small, at::randn({4000}));
  runOnce(*one, at::randn({1000003}));
  EXPECT_EQ(largestKernelTeam(), 1);
}

// Splitting rows, chunks of one row, several outer dims and a strided operand gives
// bit for bit what one thread gives.
TEST(CpuThreads, ASplitComputesWhatOneThreadDoes) {
  struct Case {
    std::string shape;
    std::vector<int64_t> sizes;
    bool transposed;
  } cases[] = {{"1000003", {1000003}, false},
               {"3, 200001", {3, 200001}, false},
               {"2, 5, 70001", {2, 5, 70001}, false},
               {"300, 512", {512, 300}, true}};
  for (const Case &c : cases) {
    SCOPED_TRACE(c.shape);
    auto two = fromText(chain(c.shape, c.transposed), cpuWith(2), "_2");
    auto one = fromText(chain(c.shape, c.transposed), cpuWith(1), "_1");
    ASSERT_TRUE(two && one);
    at::Tensor x = at::randn(c.sizes);
    resetLargestKernelTeam();
    at::Tensor a = runOnce(*two, x);
    EXPECT_EQ(largestKernelTeam(), 2);
    at::Tensor b = runOnce(*one, x);
    EXPECT_TRUE(at::equal(a, b));
    at::Tensor xin = c.transposed ? x.t() : x;
    EXPECT_TRUE(at::allclose(a, at::exp(xin) * xin + 1, 1e-5, 1e-6));
  }
}

TEST(CpuThreads, ANegativeThreadCountIsRejected) {
  absl::StatusOr<std::unique_ptr<Executable>> e = compileText(chain("8"), cpuWith(-1));
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(std::string(e.status().message()), HasSubstr("threads must be >= 0"));
}

// The cache key: the same for the same kernel under other value names and sizes (so
// identical kernels of different layers share an entry); another feature string,
// CPU, vector width or codegen option, or another op, is another key.
TEST(CpuCache, KeyIsTheKernelAndTheTargetNotTheNames) {
  CompileOptions o = cpuWith(1);
  o.backendOptions["cache"] = "false";
  auto a = fromText(chain("8"), o, "_a");
  auto b = fromText("graph @other(%input: f32[16] input) -> (output) {\n"
                    "  %t0: f32[16] = aten.exp.default(%input)\n"
                    "  %t1: f32[16] = aten.mul.Tensor(%t0, %input)\n"
                    "  %t2: f32[16] = aten.add.Tensor(%t1, 1.0, alpha=1)\n"
                    "  fxir.yield(%t2)\n}\n",
                    o, "_b");
  auto c = fromText("graph @third(%x: f32[8] input) -> (output) {\n"
                    "  %e: f32[8] = aten.exp.default(%x)\n"
                    "  %m: f32[8] = aten.mul.Tensor(%e, %x)\n"
                    "  %a: f32[8] = aten.add.Tensor(%m, 2.0, alpha=1)\n"
                    "  fxir.yield(%a)\n}\n",
                    o, "_c");
  ASSERT_TRUE(a && b && c);
  auto ka = fxir::cpu::scheduleKernels(a->graph());
  auto kb = fxir::cpu::scheduleKernels(b->graph());
  auto kc = fxir::cpu::scheduleKernels(c->graph());
  ASSERT_TRUE(ka.ok() && kb.ok() && kc.ok());
  ASSERT_EQ(ka->size(), 1u);
  ASSERT_EQ(kb->size(), 1u);
  ASSERT_EQ(kc->size(), 1u);
  fxir::cpu::CodegenOptions cg;
  fxir::cpu::TargetDesc t{"x86_64-pc-linux-gnu", "znver4", "+avx512f,+avx512bw,+fma", 512};
  std::string key = fxir::cpu::kernelCacheKey((*ka)[0], cg, t);
  EXPECT_EQ(key.size(), 32u);
  EXPECT_EQ(key, fxir::cpu::kernelCacheKey((*kb)[0], cg, t));
  EXPECT_NE(key, fxir::cpu::kernelCacheKey((*kc)[0], cg, t)); // 1.0 vs 2.0
  fxir::cpu::TargetDesc features = t;
  features.features = "+avx512f,-avx512bw,+fma";
  EXPECT_NE(key, fxir::cpu::kernelCacheKey((*ka)[0], cg, features));
  fxir::cpu::TargetDesc cpu = t;
  cpu.cpu = "skylake-avx512";
  EXPECT_NE(key, fxir::cpu::kernelCacheKey((*ka)[0], cg, cpu));
  fxir::cpu::TargetDesc narrow = t;
  narrow.vectorBits = 256;
  EXPECT_NE(key, fxir::cpu::kernelCacheKey((*ka)[0], cg, narrow));
  fxir::cpu::CodegenOptions rounding = cg;
  rounding.emulateEagerRounding = true;
  EXPECT_NE(key, fxir::cpu::kernelCacheKey((*ka)[0], rounding, t));
  fxir::cpu::CodegenOptions o2 = cg;
  o2.optLevel = 2;
  EXPECT_NE(key, fxir::cpu::kernelCacheKey((*ka)[0], o2, t));
  // Where the cache is and how big it may grow are not part of what is compiled.
  fxir::cpu::CodegenOptions elsewhere = cg;
  elsewhere.cacheDir = "/elsewhere";
  elsewhere.cacheMaxKB = 1;
  EXPECT_EQ(key, fxir::cpu::kernelCacheKey((*ka)[0], elsewhere, t));
}

// Every row of KernelOps.def names an operator of the schema table that writes
// nothing and returns one tensor, and its domain is not empty; no name twice.
TEST(CpuOps, RowsAreSchemasOfTheTable) {
  std::set<std::string> seen;
  for (const fxir::cpu::KernelOpRow &row : fxir::cpu::kernelOpRows()) {
    SCOPED_TRACE(row.name.str());
    EXPECT_TRUE(seen.insert(row.name.str()).second);
    auto split = fxir::splitDispatcherName(row.name);
    ASSERT_TRUE(split.has_value());
    absl::StatusOr<const fxir::OpSchema *> s =
        fxir::OpSchemaTable::builtin().lookup(split->first, split->second);
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_FALSE((*s)->isMutating());
    ASSERT_EQ((*s)->returns.size(), 1u);
    EXPECT_NE(row.domain, 0);
  }
}

// Found by fxir-difftest: maximum(NaN, 0) of f16 and i16 is NaN (LLVM 19's narrowed
// llvm.maximum.v16f16 gave 0), and subtraction with a bool tensor is ATen's error,
// not a kernel's result.
TEST(CpuOps, DifftestRegressions) {
  auto exe = fromText("graph @mx(%x: f16[20] input, %y: i16[20] input) -> (output) {\n"
                      "  %a: f16[20] = aten.maximum.default(%x, %y)\n"
                      "  fxir.yield(%a)\n}\n",
                      cpuWith(1), "_max");
  ASSERT_TRUE(exe);
  at::Tensor x = at::full({20}, NAN, at::TensorOptions().dtype(at::kHalf));
  at::Tensor y = at::zeros({20}, at::TensorOptions().dtype(at::kShort));
  absl::StatusOr<std::vector<c10::IValue>> m = exe->run({x, y});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_TRUE((*m)[0].toTensor().isnan().all().item<bool>());
  auto sub = fromText("graph @sb(%x: bool[8] input, %y: i16[8] input) -> (output) {\n"
                      "  %a: i16[8] = aten.sub.Tensor(%x, %y, alpha=1)\n"
                      "  fxir.yield(%a)\n}\n",
                      cpuWith(1), "_sub");
  ASSERT_TRUE(sub);
  absl::StatusOr<std::vector<c10::IValue>> out =
      sub->run({at::ones({8}, at::TensorOptions().dtype(at::kBool)),
                at::ones({8}, at::TensorOptions().dtype(at::kShort))});
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(std::string(out.status().message()), HasSubstr("with a bool tensor is not supported"));
  // A comparison of a kernel value (u8[3]) with a 0-dim i16 tensor compares in u8 (the
  // dimensioned tensor wins its category), although in kernel IR both are 0-dim
  // elements (seed 5 of fxir-difftest; the kernel IR compared in i16).
  auto ne = fromText("graph @ne(%s: i16[] input, %y: u8[3] input) -> (output) {\n"
                     "  %d: u8[3] = aten.sub.Tensor(%s, %y, alpha=1)\n"
                     "  %c: bool[3] = aten.ne.Tensor(%d, %s)\n"
                     "  fxir.yield(%c)\n}\n",
                     cpuWith(1), "_ne");
  ASSERT_TRUE(ne);
  at::Tensor s = at::full({}, -56, at::TensorOptions().dtype(at::kShort));
  at::Tensor u = at::tensor({0, 1, 0}, at::TensorOptions().dtype(at::kByte));
  absl::StatusOr<std::vector<c10::IValue>> c = ne->run({s, u});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE((*c)[0].toTensor().equal(at::ne(at::sub(s, u), s)));
  EXPECT_FALSE((*c)[0].toTensor()[0].item<bool>()); // 200 == (u8)-56
  // An i64 tensor compared with an f16 tensor is cast to f16 first (TensorIterator's
  // common-dtype cast): -inf.to(i64) is INT64_MIN, which is -inf again in f16, so
  // `ne` is false (seed 8 of fxir-difftest; the kernel compared INT64_MIN in f32).
  auto cast = fromText("graph @c(%x: f16[1, 3] input) -> (output) {\n"
                       "  %i: i64[1, 3] = aten._to_copy.default(%x, dtype=i64)\n"
                       "  %n: bool[1, 3] = aten.ne.Tensor(%i, %x)\n"
                       "  fxir.yield(%n)\n}\n",
                       cpuWith(1), "_cast");
  ASSERT_TRUE(cast);
  at::Tensor h = at::tensor({-INFINITY, 2.5, 3.0}, at::TensorOptions().dtype(at::kFloat))
                     .to(at::kHalf)
                     .view({1, 3});
  absl::StatusOr<std::vector<c10::IValue>> n = cast->run({h});
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_TRUE((*n)[0].toTensor().equal(at::ne(h.to(at::kLong), h)));
  // relu(abs(x)): LLVM 19's InstCombine turned the NaN-propagating max of |x| and 0
  // into `x > 0 ? |x| : 0` (seed 4 of fxir-difftest: 0 for every negative x).
  for (const char *dt : {"f32", "f64"}) {
    auto ra = fromText(std::string("graph @ra(%x: ") + dt + "[40] input) -> (output, output) {\n"
                       "  %a: " + dt + "[40] = aten.abs.default(%x)\n"
                       "  %r: " + dt + "[40] = aten.relu.default(%a)\n"
                       "  %m: " + dt + "[40] = aten.clamp.default(%r, none, 2.0)\n"
                       "  fxir.yield(%r, %m)\n}\n",
                       cpuWith(1), std::string("_ra_") + dt);
    ASSERT_TRUE(ra);
    at::Tensor x = at::randn({40}, at::TensorOptions().dtype(dt[1] == '3' ? at::kFloat : at::kDouble));
    x[3] = -INFINITY;
    x[4] = NAN;
    x[5] = -0.0;
    absl::StatusOr<std::vector<c10::IValue>> got = ra->run({x});
    ASSERT_TRUE(got.ok()) << got.status();
    at::Tensor want = at::relu(at::abs(x));
    EXPECT_TRUE((*got)[0].toTensor().equal(want) || (*got)[0].toTensor().allclose(want, 0, 0, true))
        << dt;
    EXPECT_TRUE((*got)[1].toTensor().allclose(at::clamp_max(want, 2.0), 0, 0, true)) << dt;
  }
}

//===----------------------------------------------------------------------------===//
// The cpu runtime's tensor semantics (the issue's "allocation and outputs" traps):
// views of inputs share storage, in-place writes bump version counters, overlapping
// written inputs are rejected before any kernel runs, concurrent runs have their own
// buffers.
//===----------------------------------------------------------------------------===//

namespace {

CompileOptions cpu() {
  CompileOptions o;
  o.backend = "cpu";
  return o;
}

std::string corpusPt2(const std::string &name) {
  const char *d = std::getenv("FXIR_CORPUS_DIR");
  return d ? std::string(d) + "/" + name + ".pt2" : std::string();
}

} // namespace

// `return x[1:], x * 2`: the view is the input's storage (as eager's is), the kernel's
// result a fresh tensor.
TEST(CpuRuntime, AReturnedViewOfAnInputSharesItsStorage) {
  auto exe = fromText(R"(graph @v(%x: f32[10, 4] input) -> (output, output) {
  %s: f32[9, 4] = aten.slice.Tensor(%x, 0, 1, 9223372036854775807)
  %m: f32[10, 4] = aten.mul.Tensor(%x, 2.0)
  fxir.yield(%s, %m)
})", cpu());
  ASSERT_TRUE(exe);
  at::Tensor x = at::randn({10, 4}), x0 = x.clone();
  absl::StatusOr<std::vector<c10::IValue>> out = exe->run({x});
  ASSERT_TRUE(out.ok()) << out.status();
  at::Tensor s = (*out)[0].toTensor(), m = (*out)[1].toTensor();
  EXPECT_TRUE(s.is_alias_of(x));
  EXPECT_EQ(s.data_ptr<float>(), x.data_ptr<float>() + 4);
  EXPECT_FALSE(m.is_alias_of(x));
  x.add_(1); // the view sees the caller's write, as eager's would
  EXPECT_TRUE(s.equal(x.narrow(0, 1, 9)));
  EXPECT_TRUE(m.equal(x0 * 2));
}

// A program that writes its inputs in place (x.add_(1); y.mul_(2); return x + y): the
// writes land in the caller's tensors and bump their version counters, once each, as
// eager's in-place ops do; the kernel's output is eager's.
TEST(CpuRuntime, InPlaceWritesBumpVersionCounters) {
  std::string path = corpusPt2("mut_user_inputs.strict");
  ASSERT_FALSE(path.empty()) << "FXIR_CORPUS_DIR is not set: run through ctest";
  absl::StatusOr<std::unique_ptr<Executable>> exe = compile(path, cpu());
  ASSERT_TRUE(exe.ok()) << exe.status();
  EXPECT_GE(fxir::cpu::reportPartition(*(*exe)->program().graph).kernels, 1u);
  at::Tensor x = at::randn({2, 3}), y = at::randn({2, 3});
  at::Tensor x0 = x.clone(), y0 = y.clone();
  int64_t vx = x._version(), vy = y._version();
  absl::StatusOr<std::vector<c10::IValue>> out = (*exe)->run({x, y});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(x.equal(x0 + 1));
  EXPECT_TRUE(y.equal(y0 * 2));
  EXPECT_EQ(x._version(), vx + 1);
  EXPECT_EQ(y._version(), vy + 1);
  EXPECT_TRUE((*out)[0].toTensor().equal((x0 + 1) + (y0 * 2)));
  // Overlapping written inputs: rejected by the shared input checks, before any kernel
  // (nothing is written).
  at::Tensor z = at::randn({2, 3}), z0 = z.clone();
  out = (*exe)->run({z, z});
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(fxir::testing::msg(out.status()), HasSubstr("shares memory with input"));
  EXPECT_TRUE(z.equal(z0));
}

// Two threads run one compiled program at once, each on its own inputs, many times:
// every result is its own (each run's intermediates and outputs are its own buffers).
TEST(CpuRuntime, ConcurrentRunsHaveTheirOwnBuffers) {
  auto exe = fromText(chain("64, 1000"), cpuWith(1));
  ASSERT_TRUE(exe);
  std::vector<at::Tensor> in = {at::randn({64, 1000}), at::randn({64, 1000})};
  std::vector<at::Tensor> want;
  for (const at::Tensor &x : in)
    want.push_back(at::exp(x) * x + 1);
  std::atomic<int> bad{0};
  auto worker = [&](int t) {
    for (int i = 0; i < 200; ++i) {
      absl::StatusOr<std::vector<c10::IValue>> out = exe->run({in[t]});
      if (!out.ok() || !(*out)[0].toTensor().allclose(want[t], 1e-5, 1e-6))
        ++bad;
    }
  };
  std::thread a(worker, 0), b(worker, 1);
  a.join();
  b.join();
  EXPECT_EQ(bad.load(), 0);
}

// A kernel's result is laid out as its type says (eager's layout: exp of a transposed
// tensor is transposed), written with a scatter when its inner stride is not 1; a
// type whose strides are not a dense layout of the shape gets a contiguous result.
TEST(CpuRuntime, ResultsHaveTheirTypesLayout) {
  auto exe = fromText(R"(graph @t(%x: f32[512, 300] input) -> (output, output) {
  %p: f32[300, 512]{1, 300} = aten.permute.default(%x, [1, 0])
  %e: f32[300, 512]{1, 300} = aten.exp.default(%p)
  %m: f32[300, 512]{1, 300} = aten.mul.Tensor(%e, 2.0)
  %c: f32[300, 512] = aten.add.Tensor(%p, 1.0, alpha=1)
  fxir.yield(%m, %c)
})", cpu());
  ASSERT_TRUE(exe);
  EXPECT_GE(fxir::cpu::reportPartition(*exe->program().graph).kernels, 1u);
  at::Tensor x = at::randn({512, 300});
  absl::StatusOr<std::vector<c10::IValue>> out = exe->run({x});
  ASSERT_TRUE(out.ok()) << out.status();
  at::Tensor m = (*out)[0].toTensor(), c = (*out)[1].toTensor();
  at::Tensor want = at::exp(x.permute({1, 0})) * 2;
  EXPECT_EQ(m.strides(), want.strides()); // (1, 300), as eager's
  EXPECT_EQ(m.strides(), (std::vector<int64_t>{1, 300}));
  EXPECT_TRUE(m.allclose(want, 1e-5, 1e-6));
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_TRUE(c.allclose(x.permute({1, 0}) + 1));
}

// Views between pointwise ops are fused (docs/codegen.md): the ops under a view read
// their operands through it. A broadcast operand under a `view` that merges its
// broadcast dim is copied first (ATen cannot view it); a non-contiguous input is read
// with its strides; a select reads only the elements it selects.
TEST(CpuRuntime, FusedViewsReadTheirOperandsThroughTheView) {
  auto exe = fromText(R"(graph @v(%x: f32[4, 8] input, %b: f32[8] input, %y: f32[8, 4] input) -> (output, output, output) {
  %a: f32[4, 8] = aten.add.Tensor(%x, %b, alpha=1)
  %v: f32[32] = aten.view.default(%a, [32])
  %m: f32[32] = aten.mul.Tensor(%v, 2.0)
  %e: f32[4, 8] = aten.exp.default(%x)
  %t: f32[8, 4]{1, 8} = aten.transpose.int(%e, 0, 1)
  %r: f32[8, 4]{1, 8} = aten.add.Tensor(%t, %y, alpha=1)
  %sin: f32[4, 8] = aten.sin.default(%x)
  %s: f32[4] = aten.select.int(%sin, 1, 2)
  %c: f32[4] = aten.mul.Tensor(%s, 3.0)
  fxir.yield(%m, %r, %c)
})", cpu());
  ASSERT_TRUE(exe);
  fxir::cpu::PartitionReport rep = fxir::cpu::reportPartition(*exe->program().graph);
  EXPECT_EQ(rep.kernels, 3u);
  EXPECT_EQ(rep.fusedOps, 9u); // the views included
  EXPECT_EQ(rep.numExtern(), 0u);
  at::Tensor x = at::randn({8, 4}).t(), b = at::randn({8}), y = at::randn({8, 4});
  ASSERT_FALSE(x.is_contiguous());
  absl::StatusOr<std::vector<c10::IValue>> out = exe->run({x, b, y});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE((*out)[0].toTensor().allclose((x + b).reshape({32}) * 2));
  EXPECT_TRUE((*out)[1].toTensor().allclose(at::exp(x).transpose(0, 1) + y, 1e-5, 1e-6));
  EXPECT_EQ((*out)[1].toTensor().strides(), (std::vector<int64_t>{1, 8}));
  EXPECT_TRUE((*out)[2].toTensor().allclose(at::sin(x).select(1, 2) * 3, 1e-5, 1e-6));
}

// jit-debug=perf: LLVM's jitdump writer is process-wide, so one compiled program at a
// time holds it; a second is a clear error, and the registration frees with its owner.
TEST(CpuJitDebug, OnePerfRegistrationAtATime) {
  std::string dir = ::testing::TempDir() + "/jitdump";
  std::filesystem::create_directories(dir);
  setenv("JITDUMPDIR", dir.c_str(), 1);
  CompileOptions o = cpu();
  o.backendOptions["jit-debug"] = "perf";
  o.backendOptions["cache"] = "false";
  std::string prog = chain("4, 100");
  auto first = compileText(prog, o, "a");
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = compileText(prog, o, "b");
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(fxir::testing::msg(second.status()), HasSubstr("already writes perf's jitdump"));
  first->reset();
  auto third = compileText(prog, o, "c");
  EXPECT_TRUE(third.ok()) << third.status();
  unsetenv("JITDUMPDIR");
}

extern "C" uint64_t fxir_test_allocations(); // AllocCounter.cpp

namespace {
/// Heap allocations of one run of `exe` (the median of 3, after a warm-up run).
uint64_t allocationsPerRun(const Executable &exe, const std::vector<c10::IValue> &in) {
  EXPECT_TRUE(exe.run(in).ok());
  std::vector<uint64_t> n;
  for (int i = 0; i < 3; ++i) {
    uint64_t before = fxir_test_allocations();
    absl::StatusOr<std::vector<c10::IValue>> out = exe.run(in);
    n.push_back(fxir_test_allocations() - before);
    EXPECT_TRUE(out.ok()) << out.status();
  }
  std::sort(n.begin(), n.end());
  return n[1];
}
} // namespace

// A pointwise scan of symbolic length (scan_dyn_length: c = c * 0.5 + sin(x[t]), ys
// stacked) runs as one native loop: the same number of heap allocations at 16 and at
// 1024 steps (none a step), interp's results, the carry's init (the caller's h0)
// untouched. The runtime's loop (native-loops=false) shows the counter sees per-step
// allocations: that path is not allocation-free yet (docs/codegen.md).
TEST(CpuNativeLoop, AllocatesNothingPerStep) {
  void *volatile probe = std::malloc(24);
  uint64_t before = fxir_test_allocations();
  probe = std::malloc(24);
  ASSERT_EQ(fxir_test_allocations(), before + 1) << "the allocation counter is not interposed";
  std::free(probe);
  std::string path = corpusPt2("scan_dyn_length.nonstrict");
  ASSERT_FALSE(path.empty()) << "FXIR_CORPUS_DIR is not set: run through ctest";
  CompileOptions runtimeLoop = cpu();
  runtimeLoop.backendOptions["native-loops"] = "false";
  CompileOptions interp;
  interp.backend = "interp";
  auto native = compile(path, cpu());
  auto loop = compile(path, runtimeLoop);
  auto ref = compile(path, interp);
  ASSERT_TRUE(native.ok() && loop.ok() && ref.ok());
  EXPECT_EQ(fxir::cpu::reportPartition((*native)->graph()).nativeLoops, 1u);
  EXPECT_EQ((*native)->compileInfo()["native-loops"], "1");
  EXPECT_EQ((*loop)->compileInfo()["native-loops"], "0");
  std::map<int64_t, uint64_t> nativeAllocs, loopAllocs;
  for (int64_t steps : {16, 1024}) {
    at::Tensor xs = at::randn({steps, 64}), h0 = at::randn({64}), h00 = h0.clone();
    std::vector<c10::IValue> in{xs, h0};
    nativeAllocs[steps] = allocationsPerRun(**native, in);
    loopAllocs[steps] = allocationsPerRun(**loop, in);
    auto got = (*native)->run(in), want = (*ref)->run(in);
    ASSERT_TRUE(got.ok() && want.ok());
    for (size_t i = 0; i < 2; ++i)
      EXPECT_TRUE(at::allclose((*got)[i].toTensor(), (*want)[i].toTensor(), 1e-5, 1e-5))
          << "output " << i << " at " << steps << " steps";
    EXPECT_EQ((*got)[1].toTensor().size(0), steps);
    EXPECT_TRUE(h0.equal(h00)) << "the carry's init was written";
    EXPECT_FALSE((*got)[0].toTensor().is_alias_of(h0));
  }
  std::cout << "heap allocations a run, 16 / 1024 steps: native loop " << nativeAllocs[16]
            << " / " << nativeAllocs[1024] << ", runtime loop " << loopAllocs[16] << " / "
            << loopAllocs[1024] << "\n";
  EXPECT_EQ(nativeAllocs[1024], nativeAllocs[16]) << "allocations per native-loop step";
  EXPECT_GT(loopAllocs[1024], loopAllocs[16] + 1000) << "the counter misses the runtime loop's";
}

// f16/bf16 tensors times or divided by a number: eager's kernels read the number in
// f32 (x * 0.37 is x.float() * 0.37 rounded once), unlike add and sub, which round the
// number to the dtype first. A bf16 scan's carry compounded the difference
// (tests/python/test_scan_random.py seed 23).
TEST(CpuOps, ReducedPrecisionMulAndDivReadANumberInF32) {
  for (const char *dt : {"bf16", "f16"}) {
    std::string t = std::string(dt) + "[64, 37]";
    auto exe = fromText("graph @m(%x: " + t + " input) -> (output, output, output) {\n"
                        "  %a: " + t + " = aten.mul.Tensor(%x, 0.37)\n"
                        "  %b: " + t + " = aten.div.Tensor(%x, 0.37)\n"
                        "  %c: " + t + " = aten.add.Tensor(%x, 0.37, alpha=1)\n"
                        "  fxir.yield(%a, %b, %c)\n}\n",
                        cpuWith(1), std::string("_") + dt);
    ASSERT_TRUE(exe);
    at::ScalarType st = std::string(dt) == "bf16" ? at::kBFloat16 : at::kHalf;
    at::Tensor x = (at::randn({64, 37}) * 10).to(st);
    absl::StatusOr<std::vector<c10::IValue>> out = exe->run({x});
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_TRUE((*out)[0].toTensor().equal(x * 0.37)) << dt << " mul";
    EXPECT_TRUE((*out)[1].toTensor().equal(x / 0.37)) << dt << " div";
    EXPECT_TRUE((*out)[2].toTensor().equal(x + 0.37)) << dt << " add";
  }
}
