//===- Verifier.h - structural and type checks on a graph -----------------------===//
//
// Checks what every pass may rely on:
//  - every op has a provenance, and it is not empty;
//  - SSA: each operand is defined before its use, in the same region or an enclosing
//    one (values of sibling or nested regions are not visible); use lists agree with
//    the operands exactly;
//  - regions: each ends in `fxir.yield` and has no other terminator; the graph's inputs
//    and outputs agree with its signature;
//  - args: operand and region references are in range and each operand and region is
//    referenced exactly once;
//  - op names: fxir's own ops are in FxirOps.def; dispatcher ops (`aten.*`, `prims.*`,
//    ... : the namespaces of the operator schema table) must be in the table, with a
//    valid arg list for their schema (positional count, known keyword names, each
//    argument of a kind its parameter's type admits: tensors where the schema says
//    Tensor, lists for lists, numbers for numbers, ...) and results whose count and
//    kinds fit the schema's returns.
// Every problem is reported, each naming the op and its location.
//
// The verifier keeps its state to itself (it writes nothing on the graph or its
// Context): a finished graph may be verified from several threads at once.
//
// The stage checks (verifyFunctional, verifyStructured) are here too; which stage must
// hold when is the pass manager's business (passes/Stage.h): verify() does not run them.
//
// Does not: infer or check shapes (a shape checker needs per-op meta functions).
//===----------------------------------------------------------------------------===//
#pragma once

#include <string>
#include <vector>

#include "fxir/ir/Diagnostic.h"
#include "fxir/ir/Graph.h"

#include "absl/status/status.h"

namespace fxir {

/// Appends every problem found to `diags`; returns true when there was none.
bool verify(const Graph &g, std::vector<Diagnostic> &diags);
/// OK, or InvalidArgument with every problem, one per line.
absl::Status verify(const Graph &g);

/// The checks of one op that need no surrounding graph: provenance, argument
/// references, a known name, and its arguments and results against its schema
/// (counts and kinds) or its fxir / higher-order op layout (region arities, yields).
/// The .pt2 reader runs it on every op it builds, so a node that disagrees with its
/// schema is reported at that node. Appends problems to `diags`; true when none.
bool verifyOp(const Op &op, std::vector<Diagnostic> &diags);

/// The functional stage (after the functionalize pass): OK, or InvalidArgument naming
/// the first op that writes an argument (`Tensor(a!)` in its schema) and where it came
/// from.
absl::Status verifyFunctional(const Graph &g);

/// The structured stage (after the lower-control-flow pass): OK, or InvalidArgument
/// naming the first higher-order op left (control flow must be fxir.for, fxir.while and
/// fxir.if).
absl::Status verifyStructured(const Graph &g);

/// FX targets kept by name that are neither dispatcher operators nor fxir's own:
/// `higher_order.*`, `_operator.*`, `math.*`, `torch.*` (torch.sym_max, ...), `builtins.*`.
bool isPythonLevelOp(llvm::StringRef name);

/// Splits an op name like `aten.add.Tensor` into ("aten::add", "Tensor") and
/// `aten.clone.default` into ("aten::clone", ""); nullopt if it has no three parts.
std::optional<std::pair<std::string, std::string>> splitDispatcherName(llvm::StringRef name);

} // namespace fxir
