//===- PassRegistry.h - the table of every fxir pass --------------------------===//
//
// One place lists every pass (Passes.def). Each entry knows its name, summary, options,
// the stages it requires and establishes, and how to make an instance.
//
// Does not: run passes (PassManager.h) or parse pipelines (Pipeline.h).
//===----------------------------------------------------------------------------===//
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "fxir/passes/Pass.h"

#include "llvm/ADT/ArrayRef.h"

namespace fxir {

#define FXIR_PASS(Name, Summary, Create, Options, Requires, Establishes)                \
  std::unique_ptr<Pass> Create(const PassOptions &);                                   \
  llvm::ArrayRef<PassOptionSpec> Options();
#include "fxir/passes/Passes.def"

struct PassInfo {
  std::string_view name;    ///< kebab-case, the user-facing name
  std::string_view summary; ///< one line
  std::unique_ptr<Pass> (*create)(const PassOptions &);
  llvm::ArrayRef<PassOptionSpec> (*options)();
  StageSet requiredStages;    ///< stages that must hold before it runs
  StageSet establishedStages; ///< stages that hold after it
};

/// Every pass of Passes.def, in order.
llvm::ArrayRef<PassInfo> registeredPasses();
/// Registers passes of a later layer (a code generator's partitioning pass), as
/// registerOpTable does for ops: explicit (no static initializers), idempotent for the
/// same table, thread-safe; the rows must live until exit. Names must not collide.
void registerPassTable(llvm::ArrayRef<PassInfo> rows);
/// Passes.def's passes, then the registered tables' (lookupPass finds all of them).
std::vector<const PassInfo *> allPasses();

/// nullptr when no pass has that name.
const PassInfo *lookupPass(std::string_view name);
/// The first registered pass that establishes `s` (for messages), or null.
const PassInfo *passEstablishing(Stage s);

/// The spec of `pass`'s option `key`, or null.
const PassOptionSpec *lookupOption(const PassInfo &pass, llvm::StringRef key);
/// `text` as the value of `pass`'s option `key`; errors name the pass and the option.
absl::StatusOr<PassOptions::Value> parseOption(const PassInfo &pass, llvm::StringRef key,
                                               llvm::StringRef text);

} // namespace fxir
