//===- Driver.h - one way to load and prepare any program ------------------------===//
//
// The compile driver every tool, test and backend goes through (LibTorch-free):
//   1. load: a .pt2 archive (frontends/pt2) or a .fxir text file (the parser), whose
//      weights may come from a .pt2 (`weightsFrom`); both give a Program;
//   2. configure: a YAML pipeline config (Config.h), then explicit options over it;
//   3. pick the backend (driver/Backends.def) and its typed options;
//   4. run the pipeline: the one given, else the config's, else the backend's default
//      (with verification and the provenance check after every pass);
//   5. check the stages the backend requires (an `interp` program may be in any stage;
//      a code generator needs functional programs);
//   6. run the backend's own lowering (Backends.def: the cpu backend's cpu-partition),
//      whichever pipeline ran.
// The result is what a backend's create function takes (backends/runtime/Runtime.h
// pairs the two). Errors name the file, the pass, the op or the option.
//
// Does not: run programs or link LibTorch (the runtime does), print IR (tools do).
//===----------------------------------------------------------------------------===//
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "fxir/driver/BackendTable.h"
#include "fxir/driver/Config.h"
#include "fxir/ir/Program.h"
#include "fxir/passes/PassManager.h"

#include "absl/status/statusor.h"
#include "llvm/Support/raw_ostream.h"

namespace fxir::driver {

/// Loads a .pt2 archive or a .fxir file (by extension). `weightsFrom` (a .pt2) binds
/// stored weights to a .fxir program by FQN; for a .pt2 it must be empty.
absl::StatusOr<std::unique_ptr<Program>> loadProgram(const std::string &path,
                                                     const std::string &weightsFrom = {});

struct Options {
  /// The backend ("interp", ...); empty: the config's, else none (no backend checks,
  /// no default pipeline: what fxir-opt does).
  std::string backend;
  /// The backend when neither `backend` nor the config names one ("" : none).
  std::string defaultBackend;
  /// Pipeline text ("default", "cse,dce"); nullopt: the config's, else the backend's
  /// default. An empty string runs no passes.
  std::optional<std::string> pipeline;
  /// A YAML pipeline config file (Config.h).
  std::string pipelineConfig;
  /// For a .fxir program: the .pt2 whose weights to bind.
  std::string weightsFrom;
  /// Backend options as text (flags), over the config's.
  std::map<std::string, std::string> backendOptions;
  /// Verify after every pass (on by default; off wins over the config's).
  bool verifyEach = true;
  /// The whole instrumentation, instead of the config's (a tool that merged its flags
  /// over a config already).
  std::optional<Instrumentation> instrumentation;
};

/// A loaded program after its pipeline, ready for a backend.
struct Prepared {
  std::unique_ptr<Program> program;
  const BackendSpec *backend = nullptr; ///< null when no backend was asked for
  PassOptions backendOptions;           ///< typed, defaults filled in
  std::string pipeline;                 ///< what ran, canonical text ("" for none)
  StageSet stages;                      ///< stages known to hold after it
  double seconds = 0;                   ///< load + passes
};

/// Steps 1-6 above. Pass logs (print-ir-after, timing) go to `log`. When a pass fails
/// with located errors, they are also appended to `diagnostics` (if given), for tools
/// that print them at the user's source line.
absl::StatusOr<Prepared> prepare(const std::string &path, const Options &options,
                                 llvm::raw_ostream &log = llvm::errs(),
                                 std::vector<Diagnostic> *diagnostics = nullptr);
/// Steps 2-6 for a program loaded already (pt2::readProgramJson: the Python package's
/// in-memory ExportedProgram); `options.weightsFrom` must be empty.
absl::StatusOr<Prepared> prepare(std::unique_ptr<Program> program, const Options &options,
                                 llvm::raw_ostream &log = llvm::errs(),
                                 std::vector<Diagnostic> *diagnostics = nullptr);

} // namespace fxir::driver
