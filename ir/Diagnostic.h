//===- Diagnostic.h - a located message about an op -----------------------------===//
//
// What the verifier, the passes and the driver report: a message about an op, at the
// op's source location (its provenance: the user's Python line for a .pt2 program,
// the file:line:col of the text for a .fxir one), with a severity and whose fault it
// is:
//   user      the program uses something fxir does not support, or is malformed;
//   internal  an fxir bug (a pass broke the graph, an invariant failed).
// str() prints `file:line:col: error: message`, then the source line's code when the
// provenance knows it; internal faults say so.
//
// Does not: decide where it is printed (tools do) or carry more than one location
// (the op's provenance lists the others).
//===----------------------------------------------------------------------------===//
#pragma once

#include <string>

#include "fxir/ir/Provenance.h"

namespace fxir {

class Op;

struct Diagnostic {
  enum class Severity : uint8_t { Error, Warning, Note };
  enum class Fault : uint8_t { User, Internal };

  const Op *op = nullptr;   ///< null for graph-level problems
  SourceLoc loc;            ///< the op's source location (from its provenance), if any
  std::string message;      ///< "aten.add.Tensor (%add): operand 0 ..."
  Severity severity = Severity::Error;
  Fault fault = Fault::User;

  /// A diagnostic at `op` (its provenance's location), or graph-level when null.
  static Diagnostic at(const Op *op, std::string message, Fault fault = Fault::User,
                       Severity severity = Severity::Error);

  /// "file:line:col: error: message" (or "error: message" without a location); an
  /// internal fault reads "internal error: ... (an fxir bug)"; with the source line's
  /// code on a second line when known (`withCode`).
  std::string str(bool withCode = false) const;
};

} // namespace fxir
