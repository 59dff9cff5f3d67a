//===- TextFormat.h - fxir's text form: printer and parser ----------------------===//
//
// The canonical text form of a graph (grammar in docs/ir.md). Printing is
// deterministic and parse(print(g)) prints identically, with or without debug info.
//
//   sym s0 : [2, 1024] hint 4
//   graph @forward(%x: f32[s0, 8] input, %p_w: f32[16, 8] param "fc.weight") -> (output) {
//     %linear: f32[s0, 16] = aten.linear.default(%x, %p_w)
//     fxir.yield(%linear)
//   }
//
// With `debugInfo`, every op ends in `loc #N` and the file ends with one
// `#N = prov(...)` line per provenance. Without it, the parser gives each op the
// provenance of its place in the text (file:line:col), so no op is without one.
//
// Does not: verify (the parser checks syntax, names and types it needs; call
// verify() afterwards).
//===----------------------------------------------------------------------------===//
#pragma once

#include <memory>
#include <string>

#include "fxir/ir/Graph.h"

#include "absl/status/statusor.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

namespace fxir {

struct PrintOptions {
  bool debugInfo = false; ///< print provenance (`loc #N` and `#N = prov(...)`)
};

void printGraph(const Graph &g, llvm::raw_ostream &os, const PrintOptions &opts = {});
std::string printGraph(const Graph &g, const PrintOptions &opts = {});

/// Parses one graph (with its symbol declarations and provenance table) from `text`.
/// Errors read `fileName:line:col: error: message`.
absl::StatusOr<std::unique_ptr<Graph>> parseGraph(Context &ctx, llvm::StringRef text,
                                                  llvm::StringRef fileName);

} // namespace fxir
