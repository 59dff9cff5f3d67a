//===- PassRegistry.h - the table of every fxir pass --------------------------===//
//
// One place lists every pass (Passes.def), as LLVM's PassRegistry.def does: no
// static-initializer self-registration, which static linking silently drops.
//
// Does not: run passes or parse pipelines (the pass manager does).
//===----------------------------------------------------------------------------===//
#pragma once

#include <string_view>

#include "llvm/ADT/ArrayRef.h"

namespace fxir {

struct PassInfo {
  std::string_view name;    ///< kebab-case, the user-facing name
  std::string_view summary; ///< one line
};

/// Every registered pass, in Passes.def order.
llvm::ArrayRef<PassInfo> registeredPasses();

/// nullptr when no pass has that name.
const PassInfo *lookupPass(std::string_view name);

} // namespace fxir
