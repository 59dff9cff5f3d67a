//===- ExecutorTest.cpp - the interp backend on real archives and small programs -----===//
// Archives come from the export corpus (FXIR_CORPUS_DIR, the ctest fixture `corpus`);
// small programs are .fxir text. Expected values come from eager ATen calls or from
// the corpus's eager results.
#include "fxir/backends/runtime/Check.h"
#include "fxir/backends/runtime/Runtime.h"
#include "fxir/backends/runtime/TensorFile.h"
#include "TestSupport.h"

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <thread>

#include <ATen/ops/add.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/full.h>
#include <ATen/ops/mul.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/randn.h>
#include <ATen/ops/scalar_tensor.h>
#include <ATen/ops/zeros.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

using namespace fxir::runtime;
using fxir::testing::corpusDir;
using fxir::testing::fromText;
using fxir::testing::msg;
using ::testing::HasSubstr;

namespace {

// The corpus is part of the test suite (ctest generates it first), so its absence is a
// failure, not a skip.
#define REQUIRE_CORPUS()                                                                 \
  if (corpusDir().empty()) {                                                             \
    ADD_FAILURE() << "FXIR_CORPUS_DIR is not set: run through ctest (scripts/test), or "  \
                     "set it to the generated corpus (build/tests/corpus/out)";          \
    return;                                                                              \
  }

std::unique_ptr<Executable> load(const std::string &name, CompileOptions opts = {}) {
  absl::StatusOr<std::unique_ptr<Executable>> e =
      compile(corpusDir() + "/" + name + ".pt2", opts);
  EXPECT_TRUE(e.ok()) << e.status();
  return e.ok() ? std::move(*e) : nullptr;
}

std::vector<c10::IValue> corpusInputs(const std::string &name) {
  std::string path = corpusDir() + "/" + name + ".inputs.safetensors";
  absl::StatusOr<TensorFile> f = readTensorFile(path);
  EXPECT_TRUE(f.ok()) << f.status();
  absl::StatusOr<std::vector<c10::IValue>> in = inputsFromFile(*f, path);
  EXPECT_TRUE(in.ok()) << in.status();
  return in.ok() ? *in : std::vector<c10::IValue>{};
}

} // namespace

// Eager: int32 tensor + 2.5 is float32 (the number is a weak float64 wrapped number);
// float16 tensor * a Python float stays float16.
TEST(Interp, PythonNumbersPromoteAsWrappedNumbers) {
  auto exe = fromText(R"(graph @f(%x: i32[2] input, %h: f16[2] input) -> (output, output, output) {
  %a: f32[2] = aten.add.Tensor(%x, 2.5, alpha=1)
  %b: f16[2] = aten.mul.Tensor(%h, 3.0)
  %c: i32[2] = aten.mul.Tensor(%x, 2)
  fxir.yield(%a, %b, %c)
})");
  ASSERT_TRUE(exe);
  at::Tensor x = at::arange(2, at::kInt);
  at::Tensor h = at::full({2}, 1.5, at::kHalf);
  absl::StatusOr<std::vector<c10::IValue>> out = exe->run({x, h});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].toTensor().scalar_type(), at::kFloat);
  EXPECT_TRUE((*out)[0].toTensor().equal(at::add(x, 2.5)));
  EXPECT_EQ((*out)[1].toTensor().scalar_type(), at::kHalf);
  EXPECT_TRUE((*out)[1].toTensor().equal(at::mul(h, 3.0)));
  EXPECT_EQ((*out)[2].toTensor().scalar_type(), at::kInt);
}

TEST(Interp, AtenErrorsNameTheOpAndTheSourceLine) {
  auto exe = fromText(R"(sym s0 : [1, 10]
sym s1 : [1, 10]
sym s2 : [1, 10]
sym s3 : [1, 10]
graph @f(%x: f32[s0, s1] input, %y: f32[s2, s3] input) -> (output) {
  %mm: f32[s0, s3] = aten.mm.default(%x, %y)
  fxir.yield(%mm)
})");
  ASSERT_TRUE(exe);
  absl::StatusOr<std::vector<c10::IValue>> out =
      exe->run({at::ones({2, 3}), at::ones({4, 5})});
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(msg(out.status()), HasSubstr("op aten.mm.default (node mm, "));
  EXPECT_THAT(msg(out.status()), HasSubstr(".fxir:6"));
  EXPECT_THAT(msg(out.status()), HasSubstr("cannot be multiplied"));
}

TEST(Interp, RuntimeAssertFailsWithTheUsersLine) {
  REQUIRE_CORPUS();
  auto exe = load("unbacked_item.strict");
  ASSERT_TRUE(exe);
  // n.item() must lie in [1, 5].
  absl::StatusOr<std::vector<c10::IValue>> out =
      exe->run({at::ones({5, 2}), at::scalar_tensor(0, at::kLong)});
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(msg(out.status()), HasSubstr("aten._assert_scalar.default"));
  EXPECT_THAT(msg(out.status()), HasSubstr("models.py:"));
  EXPECT_THAT(msg(out.status()), HasSubstr("u0 >= 1"));
}

TEST(Interp, WrongInputsAreRejectedWithTheRule) {
  REQUIRE_CORPUS();
  auto exe = load("dyn_batch_seq.strict"); // x: f32[s6, s11, 8], s6 in [0, 32]
  ASSERT_TRUE(exe);
  auto err = [&](std::vector<c10::IValue> in) {
    absl::StatusOr<std::vector<c10::IValue>> out = exe->run(std::move(in));
    EXPECT_FALSE(out.ok());
    return out.ok() ? std::string() : msg(out.status());
  };
  EXPECT_THAT(err({}), HasSubstr("expected 1 inputs (x), got 0"));
  EXPECT_THAT(err({at::ones({2, 3, 8}, at::kDouble)}),
              HasSubstr("input 'x' (#0): dtype Double, expected f32"));
  EXPECT_THAT(err({at::ones({2, 8})}), HasSubstr("input 'x' (#0): rank 2, expected 3"));
  EXPECT_THAT(err({at::ones({2, 3, 7})}), HasSubstr("dim 2 is 7, expected 8"));
  EXPECT_THAT(err({at::ones({33, 3, 8})}),
              HasSubstr("dim 0 is 33, outside the range of s6: [0, 32]"));
  EXPECT_THAT(err({c10::IValue(int64_t(3))}), HasSubstr("expected a tensor"));
  // The same symbol across inputs: b is f32[2*s6, 3] for a: f32[s6, 3].
  auto derived = load("dyn_derived_dim.strict");
  ASSERT_TRUE(derived);
  absl::StatusOr<std::vector<c10::IValue>> bad = derived->run({at::ones({4, 3}), at::ones({7, 3})});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(msg(bad.status()), HasSubstr("input 'b' (#1): dim 0 is 7, expected 2*s6 = 8"));
  EXPECT_TRUE(derived->run({at::ones({4, 3}), at::ones({8, 3})}).ok());
}

TEST(Interp, OneSymbolMeansOneSizeAcrossInputs) {
  auto exe = fromText(R"(sym s0 : [2, 10]
graph @f(%a: f32[s0] input, %b: f32[s0] input) -> (output) {
  %add: f32[s0] = aten.add.Tensor(%a, %b, alpha=1)
  fxir.yield(%add)
})");
  ASSERT_TRUE(exe);
  EXPECT_TRUE(exe->run({at::ones({4}), at::ones({4})}).ok());
  absl::StatusOr<std::vector<c10::IValue>> out = exe->run({at::ones({4}), at::ones({5})});
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(msg(out.status()),
              HasSubstr("input 'b' (#1): dim 0 is 5, but s0 is 4 from input 'a' (#0)"));
  out = exe->run({at::ones({1}), at::ones({1})});
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(msg(out.status()), HasSubstr("dim 0 is 1, outside the range of s0: [2, 10]"));
}

TEST(Interp, OverlappingMutatedInputsAreRejected) {
  REQUIRE_CORPUS();
  auto exe = load("mut_user_inputs.strict"); // writes x and y in place
  ASSERT_TRUE(exe);
  at::Tensor x = at::randn({2, 3});
  absl::StatusOr<std::vector<c10::IValue>> out = exe->run({x, x});
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(msg(out.status()), HasSubstr("input 'x' (#0) is written by the program and "
                                           "shares memory with input 'y' (#1)"));
  at::Tensor base = at::randn({4, 3});
  out = exe->run({base.narrow(0, 0, 2), base.narrow(0, 1, 2)});
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(msg(out.status()), HasSubstr("shares memory"));
  // Disjoint halves of one tensor are fine.
  EXPECT_TRUE(exe->run({base.narrow(0, 0, 2), base.narrow(0, 2, 2)}).ok());
  // A written input whose elements share memory (expanded) fails as in eager.
  out = exe->run({at::randn({1, 3}).expand({2, 3}), at::randn({2, 3})});
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(msg(out.status()), HasSubstr("share one memory location"));
}

TEST(Interp, NonContiguousAndOffsetInputsWork) {
  REQUIRE_CORPUS();
  auto exe = load("linear_mlp.strict"); // x: f32[2, 8]
  ASSERT_TRUE(exe);
  at::Tensor x = at::randn({2, 8});
  absl::StatusOr<std::vector<c10::IValue>> ref = exe->run({x});
  ASSERT_TRUE(ref.ok()) << ref.status();
  at::Tensor transposed = x.t().contiguous().t(); // same values, column-major
  at::Tensor offset = at::cat({at::randn({3, 8}), x}).narrow(0, 3, 2);
  for (const at::Tensor &in : {transposed, offset}) {
    absl::StatusOr<std::vector<c10::IValue>> out = exe->run({in});
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_TRUE((*out)[0].toTensor().allclose(ref->at(0).toTensor()));
  }
}

TEST(Interp, WeightsAreViewsAndMutatedOnesPrivateCopies) {
  REQUIRE_CORPUS();
  // Not mutated: a view of the archive's mapping (no copy), tied FQNs one memory.
  auto tied = load("tied_weights.strict");
  ASSERT_TRUE(tied);
  EXPECT_TRUE(tied->mutatedWeights().empty());
  std::optional<at::Tensor> emb = tied->weight("emb.weight"), head = tied->weight("lm_head.weight");
  ASSERT_TRUE(emb && head);
  EXPECT_EQ(emb->data_ptr(), head->data_ptr());
  EXPECT_TRUE(emb->is_alias_of(*head)); // one storage, as torch.load gives them
  // Mutated buffers: private copies; the archive itself is untouched, so a second
  // program from the same file starts from the stored values.
  auto a = load("mut_buffers.strict"), b = load("mut_buffers.strict");
  ASSERT_TRUE(a && b);
  EXPECT_THAT(a->mutatedWeights(), ::testing::UnorderedElementsAre("count", "running"));
  at::Tensor before = a->weight("running")->clone();
  std::vector<c10::IValue> in = corpusInputs("mut_buffers.strict");
  ASSERT_TRUE(a->run(in).ok());
  EXPECT_FALSE(a->weight("running")->equal(before));
  EXPECT_TRUE(b->weight("running")->equal(before));
  EXPECT_NE(a->weight("running")->data_ptr(), b->weight("running")->data_ptr());
}

// Training IR writes inputs in place; functional IR returns mutation outputs that the
// executor writes back. Both leave what eager leaves.
TEST(Interp, MutationsAreVisibleAfterTheCall) {
  REQUIRE_CORPUS();
  for (const char *mode : {"strict", "nonstrict", "decomposed"}) {
    std::string name = std::string("mut_buffer_and_input.") + mode;
    auto exe = load(name);
    ASSERT_TRUE(exe);
    std::vector<c10::IValue> in = corpusInputs(name), pristine = cloneTensors(in);
    absl::StatusOr<std::vector<c10::IValue>> out = exe->run(in);
    ASSERT_TRUE(out.ok()) << out.status();
    absl::StatusOr<TensorFile> expected =
        readTensorFile(corpusDir() + "/" + name + ".expected.safetensors");
    ASSERT_TRUE(expected.ok());
    ExpectReport r = checkExpected(*exe, in, pristine, *out, *expected);
    EXPECT_TRUE(r.ok()) << name << ": " << (r.ok() ? "" : r.mismatches[0].first + ": " +
                                                              r.mismatches[0].second);
    EXPECT_GE(r.compared, 3u) << name; // the output, input y and buffer total
  }
}

TEST(Interp, OneProgramRunsFromTwoThreadsAtOnce) {
  REQUIRE_CORPUS();
  auto exe = load("transformer_block.strict", CompileOptions{.pipeline = "default"});
  ASSERT_TRUE(exe);
  std::vector<c10::IValue> in = corpusInputs("transformer_block.strict");
  absl::StatusOr<std::vector<c10::IValue>> ref = exe->run(in);
  ASSERT_TRUE(ref.ok()) << ref.status();
  std::atomic<int> wrong{0}, failed{0};
  auto worker = [&](int seed) {
    for (int i = 0; i < 40; ++i) {
      // Alternate the reference inputs with fresh ones of the same shape.
      std::vector<c10::IValue> mine = in;
      bool fresh = (i + seed) % 2;
      if (fresh)
        mine[0] = at::mul(in[0].toTensor(), 0.5);
      absl::StatusOr<std::vector<c10::IValue>> out = exe->run(mine);
      if (!out.ok()) {
        ++failed;
        continue;
      }
      if (!fresh && !(*out)[0].toTensor().equal((*ref)[0].toTensor()))
        ++wrong;
    }
  };
  std::thread t1(worker, 0), t2(worker, 1);
  t1.join();
  t2.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(wrong.load(), 0);
}

TEST(Interp, BadProgramsFailAtCompileTime) {
  std::string path = ::testing::TempDir() + "/unknown_op.fxir";
  std::ofstream(path) << R"(graph @f(%x: f32[2] input) -> (output) {
  %y: f32[2] = aten.not_an_op.default(%x)
  fxir.yield(%y)
})";
  absl::StatusOr<std::unique_ptr<Executable>> e = compile(path);
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(msg(e.status()), HasSubstr("aten.not_an_op"));
  EXPECT_FALSE(compile(path, CompileOptions{.backend = "llvm"}).ok());
  EXPECT_THAT(msg(compile(corpusDir() + "/nope.pt2").status()), HasSubstr("nope.pt2"));
}

// Python's semantics, not C's: floor division and modulo round toward -inf, float
// divmod as CPython computes it, integer powers exact (by squaring).
TEST(Interp, PythonScalarOpsComputeAsPython) {
  auto exe = fromText(R"(graph @f() -> (output, output, output, output, output, output) {
  %one: float = fxir.constant(1.0)
  %tenth: float = fxir.constant(0.1)
  %fd: float = _operator.floordiv(%one, %tenth)
  %md: float = _operator.mod(%one, %tenth)
  %m: int = _operator.mod(-7, 3)
  %q: int = _operator.floordiv(-7, 2)
  %p: int = _operator.pow(3, 39)
  %lt: bool = _operator.lt(%q, %m)
  fxir.yield(%fd, %md, %m, %q, %p, %lt)
})");
  ASSERT_TRUE(exe);
  absl::StatusOr<std::vector<c10::IValue>> out = exe->run({});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].toDouble(), 9.0);                  // 1 // 0.1
  EXPECT_EQ((*out)[1].toDouble(), 0.09999999999999995);  // 1 % 0.1
  EXPECT_EQ((*out)[2].toInt(), 2);                       // -7 % 3
  EXPECT_EQ((*out)[3].toInt(), -4);                      // -7 // 2
  EXPECT_EQ((*out)[4].toInt(), 4052555153018976267LL);   // 3 ** 39
  EXPECT_TRUE((*out)[5].toBool());
  // An op pythonOp does not compute fails at compile time, naming it.
  std::string path = ::testing::TempDir() + "/lshift.fxir";
  std::ofstream(path) << R"(graph @f() -> (output) {
  %s: int = _operator.lshift(1, 3)
  fxir.yield(%s)
})";
  absl::StatusOr<std::unique_ptr<Executable>> bad = compile(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(msg(bad.status()), HasSubstr("op _operator.lshift"));
}

// A while_loop whose body never runs still returns new tensors (eager clones), so
// writing the result does not write the input.
TEST(Interp, WhileLoopResultsNeverAliasItsInputs) {
  auto exe = fromText(R"(graph @f(%x: f32[2] input) -> (output) {
  %r: f32[2] = higher_order.while_loop(^0, ^1, [%x], []) ^0(%a: f32[2]) {
    %s: f32[] = aten.sum.default(%a, dtype=none)
    %stop: bool[] = aten.gt.Scalar(%s, 100)
    fxir.yield(%stop)
  } ^1(%b: f32[2]) {
    %c: f32[2] = aten.add.Tensor(%b, 1, alpha=1)
    fxir.yield(%c)
  }
  fxir.yield(%r)
})");
  ASSERT_TRUE(exe);
  at::Tensor x = at::ones({2});
  absl::StatusOr<std::vector<c10::IValue>> out = exe->run({x});
  ASSERT_TRUE(out.ok()) << out.status();
  at::Tensor r = (*out)[0].toTensor();
  EXPECT_TRUE(r.equal(x));
  EXPECT_FALSE(r.is_alias_of(x));
}

// Weights not written are views of the archive's mapping: two executables of one
// program see the same memory. An output that is a view of such a weight is a copy
// the caller may write, and it stays valid after the executable is gone.
TEST(Interp, WeightViewsAreSharedAndOutputsOfThemAreTheCallers) {
  REQUIRE_CORPUS();
  absl::StatusOr<std::unique_ptr<fxir::Program>> read =
      fxir::driver::loadProgram(corpusDir() + "/linear_mlp.strict.pt2");
  ASSERT_TRUE(read.ok()) << read.status();
  std::shared_ptr<const fxir::Program> program = std::move(*read);
  const fxir::BackendSpec &interp = *fxir::lookupBackend("interp");
  fxir::PassOptions none;
  auto a = create(program, interp, none), b = create(program, interp, none);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*a)->weight("fc1.weight")->data_ptr(), (*b)->weight("fc1.weight")->data_ptr());
  CompileOptions opts;
  opts.weightsFrom = corpusDir() + "/linear_mlp.strict.pt2";
  auto exe = fromText(R"(graph @f(%w: f32[16, 8] param "fc1.weight", %x: f32[2] input) -> (output) {
  %t: f32[8, 16]{1, 8} = aten.t.default(%w)
  fxir.yield(%t)
})", opts);
  ASSERT_TRUE(exe);
  at::Tensor w = exe->weight("fc1.weight")->clone();
  absl::StatusOr<std::vector<c10::IValue>> out = exe->run({at::ones({2})});
  ASSERT_TRUE(out.ok()) << out.status();
  at::Tensor t = (*out)[0].toTensor();
  EXPECT_FALSE(t.is_alias_of(*exe->weight("fc1.weight")));
  exe.reset();
  EXPECT_TRUE(t.equal(w.t()));
  t.add_(1); // the caller's tensor: writable, and not the archive's memory
  EXPECT_TRUE(t.equal(at::add(w.t(), 1)));
}
