//===- Config.h - pipeline configuration files (YAML) ---------------------------------===//
//
// fxir-opt --pipeline-config=FILE reads (examples/pipeline.yaml has a commented one):
//
//   pipeline:                  # a list of passes, each a name or {name: {options}},
//     - canonicalize: {max-iterations: 4}
//     - cse
//     - dce                    # ... or one pipeline string: "canonicalize,cse,dce"
//   instrumentation:
//     verify-each: true
//     print-ir-after: [cse]    # pass names, or [all]
//     print-debuginfo: false
//     timing: false
//     statistics: false
//     dump-dir: ""
//   backend:                   # for the runtime's backends (driver/Backends.def)
//     name: interp
//     options: {}              # the backend's typed options
//
// Unknown keys and wrong value types are errors naming the file, line and key. Pass
// names and options are checked as in pipeline text; the backend's name and options
// against the backend table.
//===----------------------------------------------------------------------------===//
#pragma once

#include <map>
#include <optional>
#include <string>

#include "fxir/passes/PassManager.h"
#include "fxir/passes/Pipeline.h"

#include "absl/status/statusor.h"
#include "llvm/ADT/StringRef.h"

namespace fxir {

struct BackendConfig {
  std::string name;                          ///< "interp", ...; empty if not given
  std::map<std::string, std::string> options; ///< as written (checked when name is given)
};

struct PipelineConfig {
  std::optional<Pipeline> pipeline;
  Instrumentation instrumentation;
  BackendConfig backend;
};

absl::StatusOr<PipelineConfig> parsePipelineConfig(llvm::StringRef text,
                                                   llvm::StringRef fileName);
absl::StatusOr<PipelineConfig> loadPipelineConfig(const std::string &path);

} // namespace fxir
