//===- OptDriver.h - what fxir-opt does with a text input -----------------------===//
//
// fxir-opt's logic, as a library (the tool only parses flags): split a buffer at
// `// -----` lines, parse each case, verify it, print it, and, in
// --verify-diagnostics mode, match the errors produced against the
// `// expected-error {{...}}` annotations in the input, as mlir-opt does:
//
//   // expected-error @+1 {{operand 0 (%x) is not defined}}
//   %y: f32[2] = aten.neg.default(%x)
//
// An annotation names the line it sits on, or `@+N` / `@-N` lines from it. Every
// expected error must occur and every error must be expected.
//
// Does not: read .pt2 archives (the tool does, through the frontend).
//===----------------------------------------------------------------------------===//
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "fxir/passes/PassManager.h"
#include "fxir/passes/Pipeline.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

namespace fxir {

struct OptOptions {
  bool splitInputFile = false;    ///< cases separated by `// -----`
  bool verifyDiagnostics = false; ///< check errors against expected-error annotations
  bool printDebugInfo = false;    ///< print provenance
  bool verify = true;             ///< verify after parsing
  std::optional<Pipeline> pipeline; ///< passes to run on each parsed graph
  Instrumentation instrumentation;
  /// Prints each resulting graph instead of the text format (fxir-opt --emit=dot).
  std::function<void(const Graph &, llvm::raw_ostream &)> print;
};

/// Runs fxir-opt on `buffer` (named `fileName` in messages); output to `out`, errors to
/// `err`. Returns the process exit code: 0 on success, 1 on errors (or unmatched
/// diagnostics).
int runOpt(llvm::StringRef buffer, llvm::StringRef fileName, const OptOptions &opts,
           llvm::raw_ostream &out, llvm::raw_ostream &err);

} // namespace fxir
