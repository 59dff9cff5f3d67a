//===- Version.cpp ----------------------------------------------------------===//
#include "fxir/ir/Version.h"

#include "llvm/Config/llvm-config.h"

namespace fxir {
std::string versionString() {
  return std::string("fxir ") + FXIR_VERSION + " (LLVM " + LLVM_VERSION_STRING + ")";
}
} // namespace fxir
