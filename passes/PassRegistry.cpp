//===- PassRegistry.cpp -------------------------------------------------------===//
#include "fxir/passes/PassRegistry.h"

#include <vector>

namespace fxir {

llvm::ArrayRef<PassInfo> registeredPasses() {
  static const std::vector<PassInfo> kPasses = {
#define FXIR_PASS(Name, Summary) PassInfo{Name, Summary},
#include "fxir/passes/Passes.def"
  };
  return kPasses;
}

const PassInfo *lookupPass(std::string_view name) {
  for (const PassInfo &p : registeredPasses())
    if (p.name == name)
      return &p;
  return nullptr;
}

} // namespace fxir
