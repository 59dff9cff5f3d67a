//===- TestSupport.h - what the LibTorch-side tests share ---------------------------===//
// The corpus directory (FXIR_CORPUS_DIR, set by ctest's `corpus` fixture) and
// compiling a small .fxir text program through the driver.
#pragma once

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "fxir/backends/runtime/Runtime.h"

namespace fxir::testing {

inline std::string corpusDir() {
  const char *d = std::getenv("FXIR_CORPUS_DIR");
  return d ? d : "";
}

inline std::string msg(const absl::Status &st) { return std::string(st.message()); }

/// Writes `text` to a file named after the running test and compiles it.
inline absl::StatusOr<std::unique_ptr<runtime::Executable>>
compileText(const std::string &text, const runtime::CompileOptions &opts = {},
            const std::string &suffix = "") {
  std::string path = ::testing::TempDir() + "/prog_" +
                     ::testing::UnitTest::GetInstance()->current_test_info()->name() + suffix +
                     ".fxir";
  std::ofstream(path) << text;
  return runtime::compile(path, opts);
}

/// compileText, expected to succeed.
inline std::unique_ptr<runtime::Executable> fromText(const std::string &text,
                                                     const runtime::CompileOptions &opts = {},
                                                     const std::string &suffix = "") {
  absl::StatusOr<std::unique_ptr<runtime::Executable>> e = compileText(text, opts, suffix);
  EXPECT_TRUE(e.ok()) << e.status();
  return e.ok() ? std::move(*e) : nullptr;
}

} // namespace fxir::testing
