//===- interp_corpus.cpp - every corpus export through interp, against eager ---------===//
//
//   fxir-interp-corpus CORPUS_DIR [SUMMARY_FILE]
//
// For every case the corpus manifest lists as exported (strict, non-strict and
// decomposed exports), compiles the archive for the interp backend as imported, after
// `functionalize,lower-control-flow` and after the `default` pipeline (those two and
// canonicalize, cse, dce) and, for training-IR exports (strict, non-strict), after
// `functionalize` alone. Each run is on the case's inputs
// and every output, mutated input and mutated buffer is compared with eager's
// (Check.h, per-dtype tolerances), or with the exported program's own results where the
// manifest names that oracle (generate.py). A functionalized training-IR program must also
// compute what the same model's run_decompositions() export computes: same signature
// (mutation outputs included) and the same values. Prints one line per failure naming
// the case, the pipeline and the tensor, then the count line (also written to
// SUMMARY_FILE for scripts/test to show). Exit status 1 on any failure.
//
// A case the manifest marks with `fxir_expected_failure` (a known gap in a pass, named
// in tests/corpus/models.py with the issue that closes it) must fail, with its pattern,
// in every pipeline that runs that pass; it is counted apart, and it is a failure as
// soon as it passes, so the mark goes with the fix.
//
// A decode case (files.steps in the manifest: models.py Decode) also runs, in each
// pipeline, on a fresh compile for the recorded number of steps in a row (the next
// token and position fed from the step before, the KV cache carried over in buffers or
// in written inputs), every step compared with eager's (Check.h runSteps).
//===----------------------------------------------------------------------------===//
#include "fxir/backends/cpu/Cpu.h"
#include "fxir/backends/runtime/Check.h"
#include "fxir/backends/runtime/Runtime.h"
#include "fxir/backends/runtime/TensorFile.h"

#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <iostream>

#include <simdjson.h>

using namespace fxir::runtime;

int main(int argc, char **argv) {
  // --backend cpu: every case through the code generator after `default` (and
  // functionalize alone for training IR), with its manifest's cpu_options, printing
  // per program what runs in kernels, in library calls and as extern ATen calls.
  // --backend-option KEY=VALUE (repeatable): for every case, under its cpu_options.
  std::string backend = "interp";
  std::map<std::string, std::string> extraOptions;
  while (argc >= 3 && (std::string(argv[1]) == "--backend" ||
                       std::string(argv[1]) == "--backend-option")) {
    std::string flag = argv[1], value = argv[2];
    if (flag == "--backend") {
      backend = value;
    } else {
      size_t eq = value.find('=');
      if (eq == std::string::npos) {
        std::cerr << "fxir-interp-corpus: --backend-option takes KEY=VALUE\n";
        return 2;
      }
      extraOptions[value.substr(0, eq)] = value.substr(eq + 1);
    }
    argv += 2;
    argc -= 2;
  }
  bool cpu = backend == "cpu";
  if (argc < 2) {
    std::cerr << "usage: fxir-interp-corpus [--backend cpu] [--backend-option K=V]... "
                 "CORPUS_DIR [SUMMARY_FILE]\n";
    return 2;
  }
  std::string dir = argv[1];
  size_t kernelOps = 0, libraryOps = 0, externOps = 0, nativeLoops = 0;
  std::map<std::string, unsigned> claimedButExtern;
  simdjson::dom::parser parser;
  simdjson::dom::element manifest;
  if (auto err = parser.load(dir + "/manifest.json").get(manifest)) {
    std::cerr << dir << "/manifest.json: " << simdjson::error_message(err) << "\n";
    return 2;
  }
  simdjson::dom::array cases;
  if (manifest["cases"].get(cases)) {
    std::cerr << dir << "/manifest.json: no cases\n";
    return 2;
  }
  // Each case's oracle (generate.py): eager's results, or the exported program's own
  // where those differ from eager's beyond the dtype's tolerance.
  std::map<std::string, bool> exportedOracle;
  for (simdjson::dom::element c : cases) {
    std::string_view name, oracle;
    if (!c["name"].get(name) && !c["oracle"].get(oracle))
      exportedOracle[std::string(name)] = oracle == "exported";
  }
  size_t numCases = 0, passed = 0, failed = 0, known = 0, byExported = 0, decodeRuns = 0,
         decodeSteps = 0;
  for (simdjson::dom::element c : cases) {
    std::string_view outcome, name;
    if (c["outcome"].get(outcome) || outcome != "exported" || c["name"].get(name))
      continue;
    ++numCases;
    std::string base = dir + "/" + std::string(name);
    bool exported = exportedOracle[std::string(name)];
    byExported += exported;
    std::string oracleFile = base + (exported ? ".exported.safetensors" : ".expected.safetensors");
    std::string_view mode;
    if (c["mode"].get(mode))
      mode = "";
    bool training = mode == "strict" || mode == "nonstrict";
    std::vector<const char *> pipelines = {"", "functionalize,lower-control-flow", "default"};
    if (training)
      pipelines.push_back("functionalize");
    if (cpu)
      pipelines = training ? std::vector<const char *>{"default", "functionalize"}
                           : std::vector<const char *>{"default"};
    // A known gap (models.py fxir_xfail): pipelines that run the named pass fail so.
    std::string_view xfailPattern, xfailPass, xfailReason;
    simdjson::dom::element xf;
    bool hasXfail = !c["fxir_expected_failure"].get(xf) && xf.is_object() &&
                    !xf["pattern"].get(xfailPattern) && !xf["pipelines"].get(xfailPass);
    if (hasXfail && xf["reason"].get(xfailReason))
      xfailReason = "";
    for (const char *pipeline : pipelines) {
      std::string label = std::string(name) + " [" + (*pipeline ? pipeline : "as imported") + "]";
      // (`default` starts with functionalize.)
      std::string_view pl(pipeline);
      bool expectFailure = hasXfail && (pl.find(xfailPass) != std::string_view::npos ||
                                        (pl == "default" && xfailPass == "functionalize"));
      auto fail = [&](const std::string &why) {
        if (expectFailure && std::regex_search(why, std::regex(std::string(xfailPattern)))) {
          ++known;
          std::cout << "known failure " << label << ": " << xfailReason << "\n";
          return;
        }
        ++failed;
        std::cout << "FAIL " << label << ": " << why << "\n";
      };
      CompileOptions opts;
      opts.pipeline = pipeline;
      opts.backend = backend;
      opts.backendOptions = extraOptions;
      simdjson::dom::object cpuOptions;
      if (cpu && !c["cpu_options"].get(cpuOptions))
        for (auto [key, value] : cpuOptions) {
          std::string_view v;
          if (!value.get(v))
            opts.backendOptions[std::string(key)] = std::string(v);
        }
      absl::StatusOr<std::unique_ptr<Executable>> exe = compile(base + ".pt2", opts);
      if (!exe.ok()) {
        fail(std::string(exe.status().message()));
        continue;
      }
      absl::StatusOr<TensorFile> inFile = readTensorFile(base + ".inputs.safetensors");
      absl::StatusOr<TensorFile> expected = readTensorFile(oracleFile);
      if (!inFile.ok() || !expected.ok()) {
        fail(std::string((inFile.ok() ? expected.status() : inFile.status()).message()));
        continue;
      }
      absl::StatusOr<std::vector<c10::IValue>> inputs =
          inputsFromFile(*inFile, base + ".inputs.safetensors");
      if (!inputs.ok()) {
        fail(std::string(inputs.status().message()));
        continue;
      }
      std::vector<c10::IValue> pristine = cloneTensors(*inputs);
      absl::StatusOr<std::vector<c10::IValue>> outs = (*exe)->run(*inputs);
      if (!outs.ok()) {
        fail(std::string(outs.status().message()));
        continue;
      }
      if (cpu && std::string_view(pipeline) == "default") {
        fxir::cpu::PartitionReport pr = fxir::cpu::reportPartition(
            (*exe)->graph(), fxir::cpu::nativeLoopsEnabled((*exe)->compileInfo()));
        nativeLoops += pr.nativeLoops;
        kernelOps += pr.fusedOps;
        libraryOps += pr.numLibrary();
        externOps += pr.numExtern();
        for (const auto &[what, n] : pr.claimedButExtern)
          claimedButExtern[what] += n;
        std::cout << "  " << name << ": " << pr.kernels << " kernels (" << pr.fusedOps
                  << " ops), library " << pr.numLibrary() << ", extern " << pr.numExtern()
                  << (pr.external.empty() ? "" : " (" + fxir::cpu::PartitionReport::list(pr.external) + ")")
                  << "\n";
      }
      ExpectReport r = checkExpected(**exe, *inputs, pristine, *outs, *expected);
      if (!r.ok()) {
        fail(r.mismatches[0].first + ": " + r.mismatches[0].second +
             (r.mismatches.size() > 1
                  ? " (and " + std::to_string(r.mismatches.size() - 1) + " more)"
                  : ""));
        continue;
      }
      // Functionalized training IR against the decomposed export of the same model.
      std::string model(name.substr(0, name.rfind('.')));
      std::string decomposed = dir + "/" + model + ".decomposed";
      if (std::string(pipeline) == "functionalize" &&
          std::ifstream(decomposed + ".pt2").good()) {
        absl::StatusOr<std::unique_ptr<Executable>> ref = compile(decomposed + ".pt2");
        if (!ref.ok()) {
          fail("decomposed export: " + std::string(ref.status().message()));
          continue;
        }
        auto specs = [](const fxir::Graph &g) {
          std::string out;
          for (const fxir::OutputSpec &o : g.outputSpecs())
            out += fxir::outputKindName(o.kind).str() + ":" + o.target.str() + " ";
          return out;
        };
        if (specs((*exe)->graph()) != specs((*ref)->graph())) {
          fail("signature " + specs((*exe)->graph()) + "differs from the decomposed export's " +
               specs((*ref)->graph()));
          continue;
        }
        absl::StatusOr<std::vector<c10::IValue>> refOuts = (*ref)->run(cloneTensors(pristine));
        if (!refOuts.ok() || refOuts->size() != outs->size()) {
          fail("decomposed export did not run like it");
          continue;
        }
        // (Where the decomposition computes otherwise than eager, only the signature
        // must agree: the values follow each program's own oracle.)
        bool decomposedIsExact = !exportedOracle[model + ".decomposed"];
        std::string diff;
        for (size_t i = 0; decomposedIsExact && i < outs->size() && diff.empty(); ++i)
          if ((*outs)[i].isTensor() && (*refOuts)[i].isTensor())
            if (std::string d = compareTensors((*outs)[i].toTensor(), (*refOuts)[i].toTensor());
                !d.empty())
              diff = "output " + std::to_string(i) + " vs the decomposed export: " + d;
        if (!diff.empty()) {
          fail(diff);
          continue;
        }
      }
      // Decode models: the program's steps in a row on one fresh compile, each against
      // eager's step (the cache carries over in buffers or in written inputs).
      std::string_view stepsFile;
      if (!c["files"]["steps"].get(stepsFile)) {
        absl::StatusOr<std::unique_ptr<Executable>> fresh = compile(base + ".pt2", opts);
        absl::StatusOr<TensorFile> steps = readTensorFile(dir + "/" + std::string(stepsFile));
        if (!fresh.ok() || !steps.ok()) {
          fail("steps: " + std::string((fresh.ok() ? steps.status() : fresh.status()).message()));
          continue;
        }
        absl::StatusOr<StepRule> rule = stepRuleOf(*steps, std::string(stepsFile));
        if (!rule.ok()) {
          fail(std::string(rule.status().message()));
          continue;
        }
        std::string stepProblem;
        absl::Status st = runSteps(
            **fresh, cloneTensors(pristine), *rule,
            [&](unsigned s, const std::vector<c10::IValue> &after,
                const std::vector<c10::IValue> &before, const std::vector<c10::IValue> &o) {
              TensorFile want = stepExpectation(*steps, s);
              ExpectReport sr = checkExpected(**fresh, after, before, o, want);
              if (want.tensors.empty())
                sr.mismatches.emplace_back("step", "no entries in the steps file");
              if (!sr.ok() && stepProblem.empty())
                stepProblem = "step " + std::to_string(s) + " of " + rule->str() + ": " +
                              sr.mismatches[0].first + ": " + sr.mismatches[0].second;
            });
        if (!st.ok() || !stepProblem.empty()) {
          fail(st.ok() ? stepProblem : std::string(st.message()));
          continue;
        }
        ++decodeRuns;
        decodeSteps += rule->steps;
      }
      if (expectFailure) {
        ++failed;
        std::cout << "FAIL " << label << ": listed as a known failure (/" << xfailPattern
                  << "/) but passes: remove fxir_xfail from tests/corpus/models.py\n";
        continue;
      }
      ++passed;
    }
  }
  std::string summary = backend + " corpus: " + std::to_string(numCases) +
                        (cpu ? " cases (default; training IR also functionalize alone): "
                             : " cases (as imported; functionalize,lower-control-flow; default; "
                               "training IR also functionalize alone): ") +
                        std::to_string(passed) + " runs passed, " + std::to_string(failed) +
                        " failed, " + std::to_string(known) +
                        " known failures (fxir_xfail in tests/corpus/models.py); " +
                        std::to_string(byExported) + (byExported == 1 ? " case" : " cases") +
                        " checked against the exported program's own results; " +
                        std::to_string(decodeRuns) + " of those runs also ran " +
                        std::to_string(decodeSteps) + " decode steps in a row against eager's";
  if (cpu) {
    for (const auto &[what, n] : claimedButExtern)
      std::cout << "covered op left extern: " << what << " (x" << n << ")\n";
    summary += "; after default: " + std::to_string(kernelOps) + " ops in kernels, " +
               std::to_string(libraryOps) + " library ops, " + std::to_string(externOps) +
               " extern ops, " + std::to_string(claimedButExtern.size()) +
               " covered ops left extern, " + std::to_string(nativeLoops) + " native loops";
  }
  std::cout << summary << "\n";
  if (argc > 2)
    std::ofstream(argv[2]) << summary << "\n";
  return failed || !numCases ? 1 : 0;
}
