//===- fxir-run.cpp - compile, run, check ---------------------------------------===//
//
//   fxir-run MODEL.pt2 --inputs IN.safetensors [--expect EXPECTED.safetensors]
//            [--rtol R] [--atol A] [--backend NAME] [--backend-option KEY=VALUE ...]
//            [--pass-pipeline P | --pipeline-config FILE] [--output OUT.safetensors]
//            [--repeat N]
//   fxir-run MODEL.pt2 --inputs IN.safetensors --steps N [--feed O=I ...]
//            [--advance I=K ...] [--expect-steps STEPS.safetensors]
//   fxir-run MODEL.fxir [--weights FILE.pt2] ...
//   fxir-run --list-backends
//
// Loads the program, runs the pipeline, runs it once on the inputs and, with --expect,
// compares every output, mutated input (`mutated_input_<k>`) and mutated buffer
// (`buffer.<fqn>`) in the file; exit 0 only if all match, else one line per mismatch
// with the max absolute and relative error and the index. Default tolerances per dtype
// are those of torch.testing (TensorFile.h); --rtol/--atol override them for every
// floating-point tensor. --repeat N then runs N more times on copies of the inputs
// and prints the mean time per run (weights the program mutates keep changing, as
// for an eager module).
//
// Steps (a decode loop on one compiled program): --steps N calls it N times in a row;
// before each call after the first, --feed O=I makes input I a copy of output O of the
// call before (the next token), --advance I=K adds K to input I (the position), and
// every other input is passed again as the call left it (a cache in written inputs; a
// cache in buffers is the program's state). --expect-steps checks each call against
// the file's `step<s>.` entries (tests/corpus/generate.py writes them from eager) and
// supplies the rule when --steps/--feed/--advance are not given.
//
// Exit codes: 0 ok, 1 mismatch, 2 usage or load/compile error, 3 run error.
//===----------------------------------------------------------------------------===//
#include "fxir/backends/cpu/Cpu.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "fxir/backends/runtime/PeakMemory.h"
#include "fxir/backends/runtime/AtenCall.h"
#include "fxir/backends/runtime/Check.h"
#include "fxir/backends/runtime/Runtime.h"
#include "fxir/backends/runtime/Parallel.h"
#include "fxir/backends/runtime/TensorFile.h"
#include "fxir/driver/BackendTable.h"
#include "fxir/ir/Version.h"

#include <optional>
#include <chrono>
#include <cmath>

#include <ATen/ops/add.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/full.h>
#include <ATen/ops/mm.h>

#include "HelpText.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

namespace cl = llvm::cl;
using namespace fxir::runtime;

namespace {

int selfCheck() {
  at::Tensor a = at::arange(6, at::kFloat).reshape({2, 3});
  at::Tensor b = at::full({2, 3}, 0.5, at::kFloat);
  auto sum = callOp("aten::add", "Tensor", {a, b, c10::Scalar(2)});
  auto mm = callOp("aten::mm", "", {a, b.t()});
  if (!sum.ok() || !mm.ok()) {
    llvm::errs() << "fxir-run: error: "
                 << std::string((sum.ok() ? mm.status() : sum.status()).message()) << "\n";
    return 1;
  }
  bool sumOk = (*sum)[0].toTensor().equal(at::add(a, b, 2));
  bool mmOk = (*mm)[0].toTensor().allclose(at::mm(a, b.t()));
  llvm::outs() << "aten::add.Tensor by name: " << (sumOk ? "matches" : "DIFFERS") << "\n"
               << "aten::mm by name:         " << (mmOk ? "matches" : "DIFFERS") << "\n";
  return sumOk && mmOk ? 0 : 1;
}

/// --steps / --expect-steps: the decode loop, one line per step.
int runStepsCommand(const Executable &exe, std::vector<c10::IValue> inputs, unsigned steps,
                    const std::vector<std::string> &feed,
                    const std::vector<std::string> &advance, const std::string &expectFile,
                    double rtol, double atol) {
  auto fail = [](const absl::Status &st, int code) {
    llvm::errs() << "fxir-run: error: " << std::string(st.message()) << "\n";
    return code;
  };
  std::optional<TensorFile> expect;
  if (!expectFile.empty()) {
    absl::StatusOr<TensorFile> f = readTensorFile(expectFile);
    if (!f.ok())
      return fail(f.status(), 2);
    expect = std::move(*f);
  }
  absl::StatusOr<StepRule> rule = StepRule{};
  if (steps || !feed.empty() || !advance.empty()) {
    if (!steps)
      return fail(absl::InvalidArgumentError("--feed and --advance need --steps N"), 2);
    rule = parseStepRule(steps, feed, advance);
  } else {
    rule = stepRuleOf(*expect, expectFile);
  }
  if (!rule.ok())
    return fail(rule.status(), 2);
  llvm::outs() << "steps: " << rule->str() << "\n";
  size_t failedSteps = 0, checkedSteps = 0;
  absl::Status st = runSteps(
      exe, std::move(inputs), *rule,
      [&](unsigned s, const std::vector<c10::IValue> &after,
          const std::vector<c10::IValue> &before, const std::vector<c10::IValue> &outs) {
        llvm::outs() << "step " << s << ":";
        for (size_t i = 0; i < outs.size(); ++i) {
          llvm::outs() << " " << describeValue(outs[i]);
          // A one-element tensor (the next token) with its value.
          if (outs[i].isTensor() && outs[i].toTensor().numel() == 1)
            llvm::outs() << " = " << c10::str(outs[i].toTensor().item());
        }
        if (!expect) {
          llvm::outs() << "\n";
          return;
        }
        TensorFile want = stepExpectation(*expect, s);
        if (want.tensors.empty()) {
          llvm::outs() << " MISMATCH: " << expectFile << " has no step" << s << ". entries\n";
          ++failedSteps, ++checkedSteps;
          return;
        }
        ExpectReport r = checkExpected(exe, after, before, outs, want, rtol, atol);
        ++checkedSteps;
        failedSteps += !r.ok();
        llvm::outs() << (r.ok() ? " OK: " : " FAIL: ") << r.compared - r.mismatches.size()
                     << " of " << r.compared << " compared values match\n";
        for (const auto &[name, problem] : r.mismatches)
          llvm::outs() << "MISMATCH step " << s << " " << name << ": " << problem << "\n";
      });
  if (!st.ok())
    return fail(st, 3);
  if (!expect)
    return 0;
  llvm::outs() << (failedSteps ? "FAIL" : "OK") << ": " << checkedSteps - failedSteps << " of "
               << checkedSteps << " steps match " << expectFile << "\n";
  return failedSteps ? 1 : 0;
}

} // namespace

int main(int argc, char **argv) {
  cl::OptionCategory kInput("Program and inputs"), kCompile("Compiling (backend, passes)"),
      kCheck("Results, checks and timing");
  cl::opt<std::string> model(cl::Positional, cl::desc("<model.pt2 | program.fxir>"), cl::cat(kInput));
  cl::opt<std::string> inputsFile("inputs", cl::desc("safetensors file with the inputs"),
                                  cl::value_desc("file"), cl::cat(kInput));
  cl::opt<std::string> expectFile("expect", cl::desc("safetensors file with expected results"),
                                  cl::value_desc("file"), cl::cat(kCheck));
  cl::opt<std::string> outputFile("output", cl::desc("write the results to this file"),
                                  cl::value_desc("file"), cl::cat(kCheck));
  cl::opt<double> rtol("rtol", cl::desc("relative tolerance for floating-point tensors"),
                       cl::init(-1), cl::cat(kCheck));
  cl::opt<double> atol("atol", cl::desc("absolute tolerance for floating-point tensors"),
                       cl::init(-1), cl::cat(kCheck));
  cl::opt<std::string> backend("backend", cl::desc("backend (--list-backends); default: the --pipeline-config's backend, else interp"),
                               cl::init("interp"), cl::cat(kCompile));
  cl::opt<std::string> pipeline("pass-pipeline", cl::desc("pass pipeline, e.g. default"), cl::cat(kCompile));
  cl::opt<std::string> pipelineConfig("pipeline-config", cl::desc("YAML pipeline config"),
                                      cl::value_desc("file"), cl::cat(kCompile));
  cl::opt<std::string> weights("weights", cl::desc("for .fxir input: bind weights from "
                                                   "this .pt2 archive"),
                               cl::value_desc("file.pt2"), cl::cat(kInput));
  cl::list<std::string> backendOptions(
      "backend-option", cl::desc("a backend option KEY=VALUE (--list-backends shows them)"),
      cl::value_desc("key=value"), cl::cat(kCompile));
  cl::opt<std::string> cacheDir("cache-dir", cl::desc("cpu backend: the compile cache's "
                                                     "directory (backend option cache-dir)"),
                                cl::value_desc("dir"), cl::cat(kCompile));
  cl::opt<bool> noCache("no-cache", cl::desc("cpu backend: no compile cache (backend option "
                                             "cache=false)"),
                        cl::cat(kCompile));
  cl::opt<bool> checkKernels("check-kernels",
                             cl::desc("cpu backend: run every kernel's ops through ATen too "
                                      "and name the first kernel that disagrees"),
                             cl::cat(kCompile));
  cl::opt<bool> listBackends("list-backends", cl::desc("List the registered backends and exit"), cl::cat(kCompile));
  cl::opt<bool> report("report", cl::desc("print what was compiled, one item a line (compile:, "
                                          "kernels:, library:, extern:, run:)"),
                       cl::cat(kCompile));
  cl::opt<std::string> emit("emit", cl::desc("cpu backend: write each kernel as its scheduled "
                                             "`kernels` IR (.kir), `llvm` IR or `asm` into "
                                             "--emit-dir"),
                            cl::cat(kCompile));
  cl::opt<std::string> emitDir("emit-dir", cl::desc("directory for --emit (one file a kernel)"),
                               cl::init("."), cl::cat(kCompile));
  cl::opt<unsigned> repeat("repeat", cl::desc("time N more runs"), cl::init(0), cl::cat(kCheck));
  cl::OptionCategory kSteps("Steps (a decode loop on one compiled program)");
  cl::opt<unsigned> steps("steps", cl::desc("run N calls in a row, each fed by the one before"),
                          cl::init(0), cl::value_desc("N"), cl::cat(kSteps));
  cl::list<std::string> feed("feed", cl::desc("before each step, input I := output O of the "
                                              "step before"),
                             cl::value_desc("O=I"), cl::cat(kSteps));
  cl::list<std::string> advance("advance", cl::desc("before each step, input I += K"),
                                cl::value_desc("I=K"), cl::cat(kSteps));
  cl::opt<std::string> expectSteps("expect-steps",
                                   cl::desc("check every step against this file's step<s>. "
                                            "entries (and take the rule from it)"),
                                   cl::value_desc("file"), cl::cat(kSteps));
  cl::opt<bool> selfCheckFlag("dispatcher-self-check",
                              cl::desc("Call aten::add.Tensor and aten::mm by name and "
                                       "check the results against direct ATen calls"), cl::cat(kCheck));
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << fxir::versionString() << ", LibTorch " << FXIR_TORCH_VERSION << "\n";
  });
  // fxir's own options only; LLVM's stay under --help-hidden.
  fxir::tools::hideForeignOptions({&kInput, &kCompile, &kCheck, &kSteps});
  if (!cl::ParseCommandLineOptions(
          argc, argv,
          "fxir-run: compile a program for a backend, run it on inputs, check the results\n\n"
          "  example: fxir-run model.pt2 --inputs in.safetensors --expect expected.safetensors "
          "--pass-pipeline=default\n"
          "  example: fxir-run decode.pt2 --inputs in.safetensors --steps 8 --feed 1=0 "
          "--advance 1=1\n"))
    return 2;
  if (selfCheckFlag)
    return selfCheck();
  if (listBackends) {
    llvm::outs() << "registered backends: " << fxir::registeredBackends().size() << "\n";
    for (const fxir::BackendSpec &b : fxir::registeredBackends()) {
      llvm::outs() << "  " << b.name << "  " << b.summary << "\n"
                   << "      requires: " << b.requiredStages.str() << "; default pipeline: "
                   << (b.defaultPipeline.empty() ? "(none)" : std::string(b.defaultPipeline))
                   << (b.lowering.empty() ? "" : "; lowering: " + std::string(b.lowering))
                   << "\n";
      for (const fxir::PassOptionSpec &o : b.options)
        llvm::outs() << "      " << o.key << "=<" << fxir::optionTypeName(o.type)
                     << "> (default " << o.defaultValue << ")  " << o.help << "\n";
    }
    return 0;
  }
  if (model.empty()) {
    llvm::errs() << "fxir-run: error: no model given (see --help)\n";
    return 2;
  }
  if (!pipeline.empty() && !pipelineConfig.empty()) {
    llvm::errs() << "fxir-run: error: give --pass-pipeline or --pipeline-config, not both\n";
    return 2;
  }
  auto fail = [](const absl::Status &st, int code) {
    llvm::errs() << "fxir-run: error: " << std::string(st.message()) << "\n";
    return code;
  };

  CompileOptions opts;
  // The flag, else the YAML config's backend section, else interp (runtime::compile).
  opts.backend = backend.getNumOccurrences() ? backend.getValue() : std::string();
  if (pipeline.getNumOccurrences())
    opts.pipeline = pipeline.getValue();
  opts.pipelineConfig = pipelineConfig;
  opts.weightsFrom = weights;
  for (const std::string &kv : backendOptions) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      llvm::errs() << "fxir-run: error: --backend-option takes KEY=VALUE, not `" << kv << "`\n";
      return 2;
    }
    opts.backendOptions[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  // Flags override --backend-option and the YAML backend section.
  if (!cacheDir.empty())
    opts.backendOptions["cache-dir"] = cacheDir;
  if (noCache)
    opts.backendOptions["cache"] = "false";
  if (checkKernels)
    opts.backendOptions["check-kernels"] = "true";
  auto compileStart = std::chrono::steady_clock::now();
  absl::StatusOr<std::unique_ptr<Executable>> exe = compile(model, opts);
  double compileMs = std::chrono::duration<double, std::milli>(
                         std::chrono::steady_clock::now() - compileStart).count();
  if (!exe.ok())
    return fail(exe.status(), 2);
  if (report) {
    // Line formats are a contract for scripts (docs/codegen.md).
    std::map<std::string, std::string> info = (*exe)->compileInfo();
    fxir::cpu::PartitionReport pr =
        fxir::cpu::reportPartition((*exe)->graph(), fxir::cpu::nativeLoopsEnabled(info));
    std::string cache = info.count("cache") ? info["cache"] : "miss";
    llvm::outs() << "compile: " << llvm::format("%.1f", compileMs) << " ms (cache " << cache
                 << ")\n"
                 << "kernels: " << pr.kernels << " (" << pr.fusedOps << " ops fused)\n";
    if (pr.nativeLoops)
      llvm::outs() << "native loops: " << pr.nativeLoops << "\n";
    if (info.count("cache-detail"))
      llvm::outs() << "cache: " << info["cache-detail"] << "\n";
    if (info.count("codegen-detail"))
      llvm::outs() << "codegen: " << info["codegen-detail"] << "\n";
    llvm::outs()
                 << "library: " << pr.numLibrary() << " ops ("
                 << fxir::cpu::PartitionReport::list(pr.library) << ")\n"
                 << "extern: " << pr.numExtern() << " ops ("
                 << fxir::cpu::PartitionReport::list(pr.external) << ")\n";
  }
  // --emit and --emit-dir, else the YAML backend section's emit and emit-dir.
  std::map<std::string, std::string> info = (*exe)->compileInfo();
  if (!emit.getNumOccurrences() && info.count("option emit"))
    emit = info["option emit"];
  if (!emitDir.getNumOccurrences() && info.count("option emit-dir"))
    emitDir = info["option emit-dir"];
  if (!emit.empty()) {
    if (emit != "kernels" && emit != "llvm" && emit != "asm") {
      llvm::errs() << "fxir-run: error: --emit takes kernels, llvm or asm, not `" << emit << "`\n";
      return 2;
    }
    if ((*exe)->backend() != "cpu") {
      llvm::errs() << "fxir-run: error: --emit needs --backend=cpu\n";
      return 2;
    }
    // (Native loops as the executable scheduled them.)
    absl::StatusOr<std::vector<fxir::cpu::KernelSpec>> ks =
        fxir::cpu::scheduleKernels((*exe)->graph(), fxir::cpu::nativeLoopsEnabled(info));
    if (!ks.ok())
      return fail(ks.status(), 2);
    // The typed options the program was compiled with (the YAML backend section and
    // the flags), as the executable reports them.
    std::map<std::string, std::string> effective;
    for (const auto &[key, value] : info)
      if (llvm::StringRef(key).starts_with("option "))
        effective[key.substr(7)] = value;
    absl::StatusOr<fxir::PassOptions> typed =
        fxir::parseBackendOptions(*fxir::lookupBackend("cpu"), effective);
    if (!typed.ok())
      return fail(typed.status(), 2);
    fxir::cpu::CodegenOptions cg = fxir::cpu::codegenOptions(*typed);
    llvm::sys::fs::create_directories(emitDir);
    for (const fxir::cpu::KernelSpec &k : *ks) {
      absl::StatusOr<std::string> text = fxir::cpu::emitKernelText(k, cg, emit);
      if (!text.ok())
        return fail(text.status(), 2);
      std::string path = emitDir + "/" + k.symbol + (emit == "asm" ? ".s" : emit == "kernels" ? ".kir" : ".ll");
      std::error_code ec;
      llvm::raw_fd_ostream os(path, ec);
      if (ec) {
        llvm::errs() << "fxir-run: error: " << path << ": " << ec.message() << "\n";
        return 2;
      }
      os << *text;
    }
    llvm::outs() << "emit: " << ks->size() << " kernels to " << emitDir << "\n";
  }

  // Inspecting what was compiled needs no inputs.
  if ((report || !emit.empty()) && inputsFile.empty() && !steps && expectSteps.empty())
    return 0;
  std::vector<c10::IValue> inputs;
  if (!inputsFile.empty()) {
    absl::StatusOr<TensorFile> f = readTensorFile(inputsFile);
    if (!f.ok())
      return fail(f.status(), 2);
    absl::StatusOr<std::vector<c10::IValue>> in = inputsFromFile(*f, inputsFile);
    if (!in.ok())
      return fail(in.status(), 2);
    inputs = std::move(*in);
  }
  if (steps || !expectSteps.empty())
    return runStepsCommand(**exe, std::move(inputs), steps, feed, advance, expectSteps, rtol,
                           atol);
  if (!feed.empty() || !advance.empty()) {
    llvm::errs() << "fxir-run: error: --feed and --advance need --steps or --expect-steps\n";
    return 2;
  }
  std::vector<c10::IValue> pristine = cloneTensors(inputs);

  // --report: the first run's peak memory (fxir::runtime::PeakMemory).
  std::optional<fxir::runtime::PeakMemory> peak;
  if (report)
    peak.emplace();
  auto runStart = std::chrono::steady_clock::now();
  absl::StatusOr<std::vector<c10::IValue>> outs = (*exe)->run(inputs);
  double firstRunMs = std::chrono::duration<double, std::milli>(
                          std::chrono::steady_clock::now() - runStart).count();
  int64_t peakBytes = peak ? peak->peakBytes() : 0;
  peak.reset();
  if (!outs.ok())
    return fail(outs.status(), 3);
  for (size_t i = 0; i < outs->size(); ++i)
    llvm::outs() << "output " << i << ": " << describeValue((*outs)[i]) << "\n";

  int rc = 0;
  if (!expectFile.empty()) {
    absl::StatusOr<TensorFile> f = readTensorFile(expectFile);
    if (!f.ok())
      return fail(f.status(), 2);
    ExpectReport report = checkExpected(**exe, inputs, pristine, *outs, *f, rtol, atol);
    for (const auto &[name, problem] : report.mismatches)
      llvm::outs() << "MISMATCH " << name << ": " << problem << "\n";
    size_t compared = report.compared, mismatched = report.mismatches.size();
    llvm::outs() << (mismatched ? "FAIL" : "OK") << ": " << compared - mismatched << " of "
                 << compared << " compared values match " << expectFile << "\n";
    rc = mismatched ? 1 : 0;
  }

  if (!outputFile.empty()) {
    TensorFile out;
    for (size_t i = 0; i < outs->size(); ++i)
      if ((*outs)[i].isTensor())
        out.tensors["output_" + std::to_string(i)] = (*outs)[i].toTensor();
    for (size_t k = 0; k < inputs.size(); ++k)
      if (inputs[k].isTensor() && (*exe)->inputs()[k].mutated)
        out.tensors["mutated_input_" + std::to_string(k)] = inputs[k].toTensor();
    for (const std::string &fqn : (*exe)->mutatedWeights())
      if (std::optional<at::Tensor> w = (*exe)->weight(fqn))
        out.tensors["buffer." + fqn] = *w;
    if (absl::Status st = writeTensorFile(outputFile, out); !st.ok())
      return fail(st, 2);
  }

  if (repeat > 0) {
    double total = 0;
    for (unsigned r = 0; r < repeat; ++r) {
      std::vector<c10::IValue> in = cloneTensors(pristine);
      auto t0 = std::chrono::steady_clock::now();
      absl::StatusOr<std::vector<c10::IValue>> o = (*exe)->run(std::move(in));
      total += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (!o.ok())
        return fail(o.status(), 3);
    }
    llvm::outs() << "repeat " << repeat << ": " << (total / repeat) * 1e3 << " ms per run\n";
    if (report)
      llvm::outs() << "run: " << llvm::format("%.3f", (total / repeat) * 1e3) << " ms\n";
  } else if (report) {
    // One run: it pays the first call's costs (fresh buffers, ATen's first dispatch).
    llvm::outs() << "run: " << llvm::format("%.3f", firstRunMs) << " ms (first run)\n";
  }
  if (report && (*exe)->backend() == "cpu")
    llvm::outs() << "threads: " << fxir::runtime::largestKernelTeam()
                 << " (the most a kernel ran on)\n";
  if (report) {
    // Next to the interp backend's (the oracle: every op through ATen) for the same
    // program after the same pipeline, on the same inputs.
    auto mib = [](int64_t b) { return llvm::format("%.1f MiB", static_cast<double>(b) / (1 << 20)); };
    llvm::outs() << "peak memory: " << mib(peakBytes);
    if ((*exe)->backend() != "interp") {
      CompileOptions io = opts;
      io.backend = "interp";
      io.backendOptions.clear();
      if (!io.pipeline && io.pipelineConfig.empty())
        io.pipeline = "default"; // the cpu backend's default pipeline
      absl::StatusOr<std::unique_ptr<Executable>> ie = compile(model, io);
      std::optional<int64_t> interpPeak;
      std::string why;
      if (ie.ok()) {
        std::vector<c10::IValue> in = cloneTensors(pristine);
        fxir::runtime::PeakMemory p;
        absl::StatusOr<std::vector<c10::IValue>> o = (*ie)->run(std::move(in));
        if (o.ok())
          interpPeak = p.peakBytes();
        else
          why = std::string(o.status().message());
      } else {
        why = std::string(ie.status().message());
      }
      if (interpPeak)
        llvm::outs() << " (interp: " << mib(*interpPeak) << ")";
      else
        llvm::outs() << " (interp: n/a: " << why.substr(0, why.find('\n')) << ")";
    }
    llvm::outs() << "\n";
  }
  return rc;
}
