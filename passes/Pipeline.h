//===- Pipeline.h - pass pipelines as text -------------------------------------------===//
//
//   dce,cse,canonicalize{max-iterations=4}
//
// Entries are pass names with optional `{key=value,...}` options; a named pipeline
// (`default`) stands for its passes. Parsing checks pass names, option keys and value
// types, with errors that give the column. Printing is canonical (named pipelines
// expanded, options as given) and round-trips: parse(p.str()).str() == p.str().
//===----------------------------------------------------------------------------===//
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

namespace fxir {

struct PipelineEntry {
  std::string pass;
  std::vector<std::pair<std::string, std::string>> options; ///< key, value text
};

struct Pipeline {
  std::vector<PipelineEntry> entries;
  /// One entry from a pass name and option values as text (as a config file gives
  /// them); errors name the pass and option, without a column.
  static absl::StatusOr<PipelineEntry>
  makeEntry(llvm::StringRef pass, llvm::ArrayRef<std::pair<std::string, std::string>> options);
  std::string str() const;
  static absl::StatusOr<Pipeline> parse(llvm::StringRef text);
};

/// The pipelines fxir names (`default`), as pipeline text.
llvm::StringRef namedPipelineText(llvm::StringRef name);

} // namespace fxir
