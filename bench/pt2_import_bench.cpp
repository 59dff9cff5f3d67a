//===- pt2_import_bench.cpp - time fxir's .pt2 import --------------------------------===//
// For each archive: import it (map, read the ZIP directory, parse the JSON, build and
// verify nothing else) REPEAT times and print one JSON line with the median wall time.
// bench/pt2_import_bench.py runs this next to torch.export.load on the same files.
//
// usage: fxir-bench-pt2-import [--repeat N] FILE.pt2...
#include "fxir/frontends/pt2/Reader.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char **argv) {
  int repeat = 7;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--repeat" && i + 1 < argc)
      repeat = std::max(1, std::stoi(argv[++i]));
    else
      files.push_back(a);
  }
  int rc = 0;
  for (const std::string &f : files) {
    std::vector<double> ms;
    size_t ops = 0;
    std::string error;
    for (int r = 0; r < repeat; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      auto prog = fxir::pt2::readProgram(f);
      auto t1 = std::chrono::steady_clock::now();
      if (!prog.ok()) {
        error = std::string(prog.status().message());
        break;
      }
      ops = (*prog)->graph->numOps();
      ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    }
    if (!error.empty()) {
      std::printf("{\"file\": \"%s\", \"error\": \"import failed\"}\n", f.c_str());
      std::fprintf(stderr, "%s\n", error.c_str());
      rc = 1;
      continue;
    }
    std::sort(ms.begin(), ms.end());
    std::printf("{\"file\": \"%s\", \"median_ms\": %.4f, \"ops\": %zu}\n", f.c_str(),
                ms[ms.size() / 2], ops);
  }
  return rc;
}
