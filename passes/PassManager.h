//===- PassManager.h - runs a pipeline, with instrumentation ---------------------------===//
//
// Instrumentation belongs here, not in passes:
//  - stages (Stage.h): before each pass, the stages it requires must hold (else an error
//    names the missing stage and the pass that establishes it); after it, the stages it
//    establishes are verified;
//  - verify after every pass (on by default, always in tests);
//  - a provenance check after every pass: no op without provenance, and every op the
//    pass created carries the pass in its history;
//  - print the IR after a named pass or all (`print-ir-after`), only when it changed;
//  - per-pass timing and statistics tables;
//  - a dump directory with numbered files: 0000.input.fxir, 0001.after_cse.fxir, ...
// Errors name the pass that failed or broke the graph; a pass's located errors are
// kept as diagnostics (diagnostics()), at the op and so at the user's source line.
//===----------------------------------------------------------------------------===//
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "fxir/passes/Pass.h"
#include "fxir/passes/Pipeline.h"

#include "absl/status/status.h"
#include "llvm/Support/raw_ostream.h"

namespace fxir {

struct PassInfo;

struct Instrumentation {
  bool verifyEach = true;
  bool checkProvenance = true;
  std::set<std::string> printIrAfter; ///< pass names, or "all"
  bool printDebugInfo = false;        ///< with printed IR and dumps
  bool timing = false;
  bool statistics = false;
  std::string dumpDir;                ///< empty: no dumps
};

class PassManager {
public:
  explicit PassManager(Instrumentation inst, llvm::raw_ostream &log = llvm::errs());
  ~PassManager();

  /// Instantiates the pipeline's passes with their options.
  absl::Status add(const Pipeline &pipeline);
  /// Runs every pass in order on `g`.
  absl::Status run(Graph &g);
  /// The stages known to hold after run() (established by a pass or checked).
  StageSet stages() const { return stages_; }
  /// Checks that `required` holds on `g` (for a backend after the pipeline); `who`
  /// names the requirer in the error.
  absl::Status requireStages(const Graph &g, StageSet required, const std::string &who);
  /// The located errors of the last run.
  const std::vector<Diagnostic> &diagnostics() const { return diagnostics_; }

  struct Record {
    std::string pass;
    double seconds = 0;
    bool changed = false;
    PassStatistics stats;
  };
  const std::vector<Record> &records() const { return records_; }

private:
  Instrumentation inst_;
  llvm::raw_ostream &log_;
  std::vector<std::pair<const PassInfo *, std::unique_ptr<Pass>>> passes_;
  std::vector<Record> records_;
  std::vector<Diagnostic> diagnostics_;
  StageSet stages_;
  absl::Status dump(const Graph &g, unsigned index, const std::string &what);
};

/// Instantiates `pipeline` and runs it on `g` with `inst`; reports go to `log`.
absl::Status runPipeline(Graph &g, const Pipeline &pipeline, const Instrumentation &inst,
                         llvm::raw_ostream &log = llvm::errs());

} // namespace fxir
