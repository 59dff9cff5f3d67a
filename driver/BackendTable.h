//===- BackendTable.h - what the driver knows about each backend ------------------===//
//
// The LibTorch-free half of driver/Backends.def: each backend's name, summary, required
// stages, default pipeline and typed options. The runtime (backends/runtime) pairs the
// same rows with their create functions.
//
// Does not: create executables (the runtime does).
//===----------------------------------------------------------------------------===//
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "fxir/passes/Pass.h"
#include "fxir/passes/Stage.h"

#include "absl/status/statusor.h"
#include "llvm/ADT/ArrayRef.h"

namespace fxir {

struct BackendSpec {
  std::string_view name;
  std::string_view summary;
  StageSet requiredStages;
  std::string_view defaultPipeline;  ///< "" runs no passes
  std::string_view lowering;         ///< the backend's own passes, run after any pipeline
  std::vector<PassOptionSpec> options;
};

/// Every backend, in Backends.def order.
llvm::ArrayRef<BackendSpec> registeredBackends();
/// nullptr when no backend has that name.
const BackendSpec *lookupBackend(std::string_view name);
/// "interp, cpu" (for messages).
std::string backendNames();
/// An unknown name is an error listing the registered backends.
absl::StatusOr<const BackendSpec *> findBackend(std::string_view name);

/// `text` options (as written in YAML or on the command line) as typed values of
/// `backend`'s options, defaults filled in; errors name the backend and the option.
absl::StatusOr<PassOptions> parseBackendOptions(const BackendSpec &backend,
                                                const std::map<std::string, std::string> &text);

} // namespace fxir
