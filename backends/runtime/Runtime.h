//===- Runtime.h - compile any program for any backend, through one driver ---------===//
//
// The C++ API for running exported programs:
//
//   auto exe = fxir::runtime::compile("model.pt2", {.backend = "interp",
//                                                   .pipeline = "default"});
//   auto outs = (*exe)->run({x});
//
// compile() is the driver (driver/Driver.h: load, config, pipeline or the backend's
// default, the backend's required stages) followed by the backend's create function
// from the backend table (driver/Backends.def). Every backend returns the same
// Executable (Executable.h).
//
// Does not: hold state between compiles, or catch exceptions from user callbacks
// (there are none); no exception crosses this API.
//===----------------------------------------------------------------------------===//
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fxir/backends/runtime/Executable.h"
#include "fxir/driver/Driver.h"
#include "fxir/ir/Diagnostic.h"

#include "absl/status/statusor.h"

namespace fxir::runtime {

struct CompileOptions {
  /// A registered backend (`fxir-run --list-backends`); empty: the pipeline config's
  /// backend section, else interp.
  std::string backend;
  /// A text pipeline ("default", "canonicalize,cse,dce"); nullopt: the config's, else
  /// the backend's default; "" runs no passes.
  std::optional<std::string> pipeline;
  /// A YAML pipeline config (docs/passes.md): its pipeline, instrumentation and backend
  /// sections apply under the explicit options here.
  std::string pipelineConfig;
  /// For a .fxir program: the .pt2 archive whose weights to bind by FQN.
  std::string weightsFrom;
  /// Backend options as text (checked against the backend table).
  std::map<std::string, std::string> backendOptions;
  /// Verify the IR after every pass (cheap; on by default).
  bool verifyEach = true;
  /// When a pass fails with located errors, they are appended here too (if given): the
  /// user's source line of each, for callers that show it (the Python package).
  std::vector<Diagnostic> *diagnostics = nullptr;
};

/// Loads `path` (a .pt2 archive or a .fxir text file), runs the pipeline and creates
/// the program on the chosen backend. Errors name the file, the pass, the op or the
/// option.
absl::StatusOr<std::unique_ptr<Executable>> compile(const std::string &path,
                                                    const CompileOptions &options = {});

/// The same for a program loaded already (pt2::readProgramJson, driver::loadProgram).
absl::StatusOr<std::unique_ptr<Executable>> compile(std::unique_ptr<Program> program,
                                                    const CompileOptions &options = {});

/// The backend `name`'s Executable for a prepared program (the driver's output), with
/// typed options.
absl::StatusOr<std::unique_ptr<Executable>> create(std::shared_ptr<const Program> program,
                                                   const BackendSpec &backend,
                                                   const PassOptions &options);

} // namespace fxir::runtime
