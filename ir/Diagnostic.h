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

#include <cstdint>
#include <string>

#include "fxir/ir/Provenance.h"

namespace fxir {

class Op;

struct Diagnostic {
  enum class Severity : uint8_t { Error, Warning, Note };
  enum class Fault : uint8_t { User, Internal };

  /// Where, copied out of the provenance: a diagnostic outlives the program it is about
  /// (a tool prints it after a failed compile has freed the program).
  struct Location {
    std::string file;
    uint32_t line = 0, col = 0;
    std::string code; ///< the source line's text, when known
    bool valid() const { return !file.empty(); }
    Location() = default;
    Location(const SourceLoc &l) // NOLINT: copies from the interned form
        : file(l.file.str()), line(l.line), col(l.col), code(l.code.str()) {}
  };

  const Op *op = nullptr;   ///< null for graph-level problems; valid while its graph is
  Location loc;             ///< the op's source location (from its provenance), if any
  std::string message;      ///< "aten.add.Tensor (%add): operand 0 ..."
  Severity severity = Severity::Error;
  Fault fault = Fault::User;

  /// A diagnostic at `op` (its provenance's location), or graph-level when null.
  static Diagnostic at(const Op *op, std::string message, Fault fault = Fault::User,
                       Severity severity = Severity::Error);
  /// The same at a provenance (an op that has been rewritten since), or none.
  static Diagnostic at(const Provenance *where, std::string message,
                       Fault fault = Fault::User, Severity severity = Severity::Error);

  /// "file:line:col: error: message" (or "error: message" without a location); an
  /// internal fault reads "internal error: ... (an fxir bug)"; with the source line's
  /// code on a second line when known (`withCode`).
  std::string str(bool withCode = false) const;
};

} // namespace fxir
