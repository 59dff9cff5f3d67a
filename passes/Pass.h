//===- Pass.h - the pass interface ---------------------------------------------------===//
//
// A pass has a stable kebab-case name, a one-line summary, typed options and the stages
// it requires and establishes (all listed in passes/Passes.def), and a run that returns
// an error or whether it changed the graph (XLA's StatusOr<bool>). Passes create ops
// through a Rewriter named after the pass, so provenance is carried forward;
// statistics are counters named after what they count ("ops-removed"). Errors are
// located diagnostics (PassContext::error): at an op, so at the user's source line,
// saying whether the fault is the user's (an unsupported construct) or fxir's.
// Instrumentation (verify, stage checks, print, timing, dumps) lives in the
// PassManager, not in passes.
//===----------------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "fxir/ir/Diagnostic.h"
#include "fxir/ir/Graph.h"
#include "fxir/passes/Stage.h"

#include "absl/status/statusor.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

namespace fxir {

struct PassOptionSpec {
  enum class Type : uint8_t { Bool, Int, Float, String };
  llvm::StringRef key;          ///< kebab-case
  Type type;
  llvm::StringRef defaultValue; ///< as written in a pipeline
  llvm::StringRef help;
};

llvm::StringRef optionTypeName(PassOptionSpec::Type t);

/// Option values of one pass instance, checked against its specs.
class PassOptions {
public:
  using Value = std::variant<bool, int64_t, double, std::string>;
  /// Parses `text` as the option's type; errors say what was expected.
  static absl::StatusOr<Value> parseValue(const PassOptionSpec &spec, llvm::StringRef text);
  /// The canonical text of a value (`04` -> `4`, `1.50` -> `1.5`).
  static std::string format(const Value &v);
  /// Every option at its default.
  static PassOptions defaults(llvm::ArrayRef<PassOptionSpec> specs);

  bool getBool(llvm::StringRef key) const;
  int64_t getInt(llvm::StringRef key) const;
  double getFloat(llvm::StringRef key) const;
  const std::string &getString(llvm::StringRef key) const;
  void set(llvm::StringRef key, Value v) { values_[key.str()] = std::move(v); }

private:
  std::map<std::string, Value> values_;
};

/// Named counters a pass bumps ("ops-removed"); the pass manager reports them.
using PassStatistics = std::map<std::string, int64_t>;

/// What a running pass sees besides the graph: its counters, the stages that hold on
/// its input, and where its located errors go.
class PassContext {
public:
  PassContext(llvm::StringRef pass, PassStatistics &stats, StageSet stages)
      : pass_(pass), stats_(stats), stages_(stages) {}

  llvm::StringRef pass() const { return pass_; }
  PassStatistics &stats() { return stats_; }
  /// Stages that hold on the pass's input (for passes with stage-dependent rules).
  StageSet stages() const { return stages_; }

  /// Records a located error at `op` (null: the whole graph) and returns the status the
  /// pass returns: its message is the diagnostic's text.
  absl::Status error(const Op *op, std::string message,
                     Diagnostic::Fault fault = Diagnostic::Fault::User);
  /// The same at a provenance, for an op the pass has rewritten since.
  absl::Status error(const Provenance *where, std::string message,
                     Diagnostic::Fault fault = Diagnostic::Fault::User);
  /// The same for an invariant that failed (an fxir bug).
  absl::Status internalError(const Op *op, std::string message) {
    return error(op, std::move(message), Diagnostic::Fault::Internal);
  }
  const std::vector<Diagnostic> &diagnostics() const { return diags_; }

private:
  static absl::Status statusOf(const Diagnostic &d);
  llvm::StringRef pass_;
  PassStatistics &stats_;
  StageSet stages_;
  std::vector<Diagnostic> diags_;
};

class Pass {
public:
  virtual ~Pass() = default;
  /// Runs on `g`; returns whether anything changed, or an error (through ctx.error).
  virtual absl::StatusOr<bool> run(Graph &g, PassContext &ctx) = 0;
};

} // namespace fxir
