//===- compile_bench.cpp - compile latency of the cpu backend, phase by phase -------===//
//
//   fxir-bench-compile CACHE_DIR ARCHIVE... 
//
// Driven by bench/compile_latency.py. In one process, for each archive in turn: a cold
// compile (the cache directory CACHE_DIR/<n> empty) and then a warm one (the entries
// the cold compile wrote), each the whole runtime::compile (import, default, partition,
// codegen or cache load, JIT, binding weights and preparing the extern ATen calls).
// The first compile in the process also pays one-time costs (LLVM's target
// initialization, the operator schema table, ATen's first operator lookups): its
// figures are printed apart (`first`: the first archive, compiled once before
// anything is timed), so cold/warm measure what a long-lived process pays per
// program.
// One line per archive: `ARCHIVE cold_ms warm_ms warm_hit(0|1)`.
//===----------------------------------------------------------------------------===//
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "fxir/backends/runtime/Runtime.h"

namespace {

double compileMs(const std::string &archive, const std::string &cacheDir, bool &hit) {
  fxir::runtime::CompileOptions o;
  o.backend = "cpu";
  o.backendOptions["cache-dir"] = cacheDir;
  auto t0 = std::chrono::steady_clock::now();
  auto exe = fxir::runtime::compile(archive, o);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                  .count();
  if (!exe.ok()) {
    std::cerr << archive << ": " << exe.status().message() << "\n";
    return -1;
  }
  std::map<std::string, std::string> info = (*exe)->compileInfo();
  hit = info["cache"] == "hit";
  return ms;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 3) {
    std::cerr << "usage: fxir-bench-compile CACHE_DIR ARCHIVE...\n";
    return 2;
  }
  std::string root = argv[1];
  bool hit = false;
  std::filesystem::remove_all(root + "/first");
  double first = compileMs(argv[2], root + "/first", hit);
  std::printf("first %.2f\n", first);
  for (int i = 2; i < argc; ++i) {
    std::string dir = root + "/" + std::to_string(i);
    std::filesystem::remove_all(dir);
    double cold = compileMs(argv[i], dir, hit);
    double warm = compileMs(argv[i], dir, hit);
    std::printf("%s %.2f %.2f %d\n", argv[i], cold, warm, hit ? 1 : 0);
    std::fflush(stdout);
  }
  return 0;
}
