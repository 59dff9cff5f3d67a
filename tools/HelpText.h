//===- HelpText.h - the tools show fxir's options, LLVM's stay under --help-hidden ---===//
//
// The tools link libLLVM, whose options (AMDGPU, ARM, ... hundreds of them) would
// otherwise fill --help. This hides every option outside the tool's own categories
// with cl::Hidden (not cl::ReallyHidden, as cl::HideUnrelatedOptions does), so they
// still appear under --help-hidden.
//===----------------------------------------------------------------------------===//
#pragma once

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/CommandLine.h"

namespace fxir::tools {

inline void hideForeignOptions(llvm::ArrayRef<const llvm::cl::OptionCategory *> ours) {
  static const llvm::StringRef kKept[] = {"help", "help-list", "version"};
  for (auto &entry : llvm::cl::getRegisteredOptions()) {
    llvm::cl::Option *o = entry.getValue();
    bool own = llvm::is_contained(kKept, entry.getKey()) ||
               llvm::any_of(o->Categories, [&](const llvm::cl::OptionCategory *c) {
                 return llvm::is_contained(ours, c);
               });
    if (!own && o->getOptionHiddenFlag() == llvm::cl::NotHidden)
      o->setHiddenFlag(llvm::cl::Hidden);
  }
}

} // namespace fxir::tools
