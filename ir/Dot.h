//===- Dot.h - a program as a Graphviz graph ---------------------------------------===//
//
// `fxir-opt --emit=dot` and the Python package's `prog.to_dot()`: one node per op (its
// name, its result's type and the user's source line), one edge per use of a value,
// graph inputs and outputs as their own nodes, and every region (a loop body, an if's
// branches, a fused kernel) as a cluster around its ops. A backend may classify ops
// (DotOptions::classify), e.g. the CPU code generator marks its kernels and the ATen
// calls left outside them (backends/cpu: cpu::dotOptions).
//
// The output is deterministic (nodes in program order), escapes every label, and is
// accepted by `dot -Tsvg`.
//
// Does not: lay anything out (Graphviz does) or change the program.
//===----------------------------------------------------------------------------===//
#pragma once

#include <functional>
#include <string>

#include "fxir/ir/Graph.h"

#include "llvm/Support/raw_ostream.h"

namespace fxir {

struct DotStyle {
  std::string label;     ///< extra line under the op's name ("" : none)
  std::string fillColor; ///< Graphviz color name ("" : the default)
};

struct DotOptions {
  /// An op's extra style, or {} (called for every op and every region-holding op).
  std::function<DotStyle(const Op &)> classify;
  /// A cluster's title for the op holding the region ("" : the op's name).
  std::function<std::string(const Op &, unsigned region)> clusterTitle;
  /// Show the user's source line under each op.
  bool sourceLines = true;
};

void printDot(const Graph &graph, llvm::raw_ostream &os, const DotOptions &options = {});
std::string dotText(const Graph &graph, const DotOptions &options = {});

} // namespace fxir
