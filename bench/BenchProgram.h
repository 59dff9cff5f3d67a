//===- BenchProgram.h - a compiled program and its inputs, for the C++ benches -----===//
//
// What bench/b1_bench.cpp and bench/call_overhead_bench.cpp share: they take
// `MODEL.pt2 INPUTS.safetensors [Google Benchmark flags]`, compile the model once per
// backend (the cold compile timed) and run it on the inputs file's tensors.
//===----------------------------------------------------------------------------===//
#pragma once

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fxir/backends/runtime/Runtime.h"
#include "fxir/backends/runtime/TensorFile.h"

namespace fxir::bench {

struct BenchProgram {
  std::unique_ptr<runtime::Executable> exe;
  std::vector<c10::IValue> inputs;
  double compileMs = 0;
};

inline std::string &benchModel() {
  static std::string s;
  return s;
}
inline std::string &benchInputs() {
  static std::string s;
  return s;
}

[[noreturn]] inline void benchFail(const char *tool, const std::string &what) {
  std::cerr << tool << ": " << what << "\n";
  std::exit(1);
}

/// Takes MODEL.pt2 and INPUTS.safetensors off the command line (exit 2 with a usage
/// line when missing), leaving Google Benchmark's flags.
inline void takeModelArgs(const char *tool, int &argc, char **&argv) {
  if (argc < 3) {
    std::cerr << "usage: " << tool << " MODEL.pt2 INPUTS.safetensors [benchmark flags]\n";
    std::exit(2);
  }
  benchModel() = argv[1];
  benchInputs() = argv[2];
  argv[2] = argv[0];
  argc -= 2;
  argv += 2;
}

/// The model compiled with `backend` (once; its cold compile timed) and its inputs.
inline BenchProgram &benchProgram(const char *tool, const std::string &backend) {
  static std::map<std::string, BenchProgram> cache;
  auto it = cache.find(backend);
  if (it != cache.end())
    return it->second;
  BenchProgram c;
  auto t0 = std::chrono::steady_clock::now();
  runtime::CompileOptions o;
  o.backend = backend;
  auto exe = runtime::compile(benchModel(), o);
  c.compileMs =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!exe.ok())
    benchFail(tool, std::string(exe.status().message()));
  c.exe = std::move(*exe);
  auto file = runtime::readTensorFile(benchInputs());
  if (!file.ok())
    benchFail(tool, std::string(file.status().message()));
  auto ins = runtime::inputsFromFile(*file, benchInputs());
  if (!ins.ok())
    benchFail(tool, std::string(ins.status().message()));
  c.inputs = *ins;
  return cache.emplace(backend, std::move(c)).first->second;
}

} // namespace fxir::bench
