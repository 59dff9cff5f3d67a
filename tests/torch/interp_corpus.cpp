//===- interp_corpus.cpp - every corpus export through interp, against eager ---------===//
//
//   fxir-interp-corpus CORPUS_DIR [SUMMARY_FILE]
//
// For every case the corpus manifest lists as exported (strict, non-strict and
// decomposed exports), compiles the archive for the interp backend as imported and
// after the `default` pipeline, runs it on the case's inputs and compares every
// output, mutated input and mutated buffer with eager's (Check.h, per-dtype
// tolerances). Prints one line per failure naming the case, the pipeline and the
// tensor, then "interp corpus: N cases x 2 pipelines: P passed, F failed" (also
// written to SUMMARY_FILE for scripts/test to show). Exit status 1 on any failure.
//===----------------------------------------------------------------------------===//
#include "fxir/backends/interp/Check.h"
#include "fxir/backends/interp/Executor.h"
#include "fxir/backends/interp/TensorFile.h"

#include <fstream>
#include <iostream>

#include <simdjson.h>

using namespace fxir::interp;

int main(int argc, char **argv) {
  if (argc < 2) {
    std::cerr << "usage: fxir-interp-corpus CORPUS_DIR [SUMMARY_FILE]\n";
    return 2;
  }
  std::string dir = argv[1];
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
  size_t numCases = 0, passed = 0, failed = 0;
  for (simdjson::dom::element c : cases) {
    std::string_view outcome, name;
    if (c["outcome"].get(outcome) || outcome != "exported" || c["name"].get(name))
      continue;
    ++numCases;
    std::string base = dir + "/" + std::string(name);
    for (const char *pipeline : {"", "default"}) {
      std::string label = std::string(name) + (*pipeline ? " [default]" : " [as imported]");
      auto fail = [&](const std::string &why) {
        ++failed;
        std::cout << "FAIL " << label << ": " << why << "\n";
      };
      CompileOptions opts;
      opts.pipeline = pipeline;
      absl::StatusOr<std::unique_ptr<Executable>> exe = compile(base + ".pt2", opts);
      if (!exe.ok()) {
        fail(std::string(exe.status().message()));
        continue;
      }
      absl::StatusOr<TensorFile> inFile = readTensorFile(base + ".inputs.safetensors");
      absl::StatusOr<TensorFile> expected = readTensorFile(base + ".expected.safetensors");
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
      std::vector<c10::IValue> pristine;
      for (const c10::IValue &v : *inputs)
        pristine.push_back(v.isTensor() ? c10::IValue(v.toTensor().clone()) : v);
      absl::StatusOr<std::vector<c10::IValue>> outs = (*exe)->run(*inputs);
      if (!outs.ok()) {
        fail(std::string(outs.status().message()));
        continue;
      }
      ExpectReport r = checkExpected(**exe, *inputs, pristine, *outs, *expected);
      if (!r.ok()) {
        fail(r.mismatches[0].first + ": " + r.mismatches[0].second +
             (r.mismatches.size() > 1
                  ? " (and " + std::to_string(r.mismatches.size() - 1) + " more)"
                  : ""));
        continue;
      }
      ++passed;
    }
  }
  std::string summary = "interp corpus: " + std::to_string(numCases) +
                        " cases x 2 pipelines (as imported, default): " +
                        std::to_string(passed) + " passed, " + std::to_string(failed) +
                        " failed";
  std::cout << summary << "\n";
  if (argc > 2)
    std::ofstream(argv[2]) << summary << "\n";
  return failed || !numCases ? 1 : 0;
}
