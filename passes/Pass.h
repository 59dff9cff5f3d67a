//===- Pass.h - the pass interface ---------------------------------------------------===//
//
// A pass has a stable kebab-case name, a one-line summary and typed options (all listed
// in passes/Passes.def), and a run that returns an error or whether it changed the
// graph (XLA's StatusOr<bool>). Passes create ops through a Rewriter named after the
// pass, so provenance is carried forward; statistics are counters named after what they
// count ("ops-removed"). Instrumentation (verify, print, timing, dumps) lives in the
// PassManager, not in passes.
//===----------------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <variant>

#include "fxir/ir/Graph.h"

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

class Pass {
public:
  virtual ~Pass() = default;
  /// Runs on `g`; returns whether anything changed, or an error.
  virtual absl::StatusOr<bool> run(Graph &g, PassStatistics &stats) = 0;
};

} // namespace fxir
