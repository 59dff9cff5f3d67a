//===- FuzzSupport.h - what fxir's mutation fuzzers share ----------------------------===//
// Command line (`--seed N --count N FILE...`), seed-file reading and the per-mutant
// watchdog.
#pragma once

#include <csignal>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace fxir::fuzz {

struct Options {
  uint64_t seed = 1;
  long count = 2000;
  std::vector<std::string> files;
};

inline Options parseOptions(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--seed" && i + 1 < argc)
      o.seed = std::stoull(argv[++i]);
    else if (a == "--count" && i + 1 < argc)
      o.count = std::stol(argv[++i]);
    else
      o.files.push_back(a);
  }
  return o;
}

// The whole file, byte for byte (empty when it cannot be read).
inline std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A mutant still running when the alarm fires is a hang: exit with a message.
inline const char *gHangMessage = "fuzz: a mutant took too long (hang)\n";
inline void onAlarm(int) {
  size_t n = 0;
  while (gHangMessage[n])
    ++n;
  (void)!write(2, gHangMessage, n);
  _exit(3);
}
inline void installWatchdog(const char *message) {
  gHangMessage = message;
  std::signal(SIGALRM, onAlarm);
}

} // namespace fxir::fuzz
