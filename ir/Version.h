//===- Version.h - what this build of fxir is --------------------------------===//
// Version of fxir and of the LLVM it was built against, for tools' --version and
// bug reports. Does not: report LibTorch (the core never links it).
#pragma once
#include <string>

namespace fxir {
/// "fxir 0.1.0 (LLVM 19.1.7)".
std::string versionString();
} // namespace fxir
