//===- Driver.cpp --------------------------------------------------------------------===//
#include "fxir/driver/Driver.h"

#include <chrono>
#include <fstream>
#include <sstream>

#include "fxir/frontends/pt2/Reader.h"
#include "fxir/ir/TextFormat.h"
#include "fxir/ir/Verifier.h"
#include "fxir/passes/Pipeline.h"

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"

namespace fxir::driver {

absl::StatusOr<std::unique_ptr<Program>> loadProgram(const std::string &path,
                                                     const std::string &weightsFrom) {
  if (!llvm::StringRef(path).ends_with(".fxir")) {
    if (!weightsFrom.empty())
      return absl::InvalidArgumentError(path + ": weights come from the archive itself; "
                                        "--weights is for .fxir programs");
    return pt2::readProgram(path);
  }
  std::ifstream in(path);
  if (!in)
    return absl::NotFoundError(path + ": cannot open");
  std::stringstream text;
  text << in.rdbuf();
  auto program = std::make_unique<Program>();
  program->path = path;
  program->context = std::make_unique<Context>();
  program->meta.producer = "fxir text";
  absl::StatusOr<std::unique_ptr<Graph>> g = parseGraph(*program->context, text.str(), path);
  if (!g.ok())
    return g.status();
  if (absl::Status st = verify(**g); !st.ok())
    return absl::InvalidArgumentError(std::string(st.message()));
  program->graph = std::move(*g);
  if (!weightsFrom.empty()) {
    absl::StatusOr<std::unique_ptr<Program>> w = pt2::readProgram(weightsFrom);
    if (!w.ok())
      return w.status();
    program->weights = std::move((*w)->weights);
    program->meta.weightsFrom = weightsFrom;
    program->meta.torchVersion = (*w)->meta.torchVersion;
  }
  return program;
}

namespace {

using Loader = llvm::function_ref<absl::StatusOr<std::unique_ptr<Program>>()>;

// Steps 2-6 around `load` (step 1), which runs once the options are known good, so a
// bad option is reported before a large archive is read. `path` names the program in
// messages.
absl::StatusOr<Prepared> prepareWith(const std::string &path, Loader load,
                                     const Options &options, llvm::raw_ostream &log,
                                     std::vector<Diagnostic> *diagnostics) {
  auto t0 = std::chrono::steady_clock::now();
  // 2. The config first, then the explicit options over it.
  std::optional<Pipeline> pipeline;
  Instrumentation inst;
  std::string backendName = options.backend;
  std::map<std::string, std::string> backendText;
  if (!options.pipelineConfig.empty()) {
    absl::StatusOr<PipelineConfig> config = loadPipelineConfig(options.pipelineConfig);
    if (!config.ok())
      return config.status();
    pipeline = config->pipeline;
    inst = config->instrumentation;
    if (backendName.empty())
      backendName = config->backend.name;
    if (backendName == config->backend.name)
      backendText = config->backend.options;
  }
  if (backendName.empty())
    backendName = options.defaultBackend;
  if (options.instrumentation)
    inst = *options.instrumentation;
  inst.verifyEach = inst.verifyEach && options.verifyEach;
  for (const auto &[k, v] : options.backendOptions)
    backendText[k] = v;
  if (options.pipeline && options.pipeline->empty()) {
    pipeline = Pipeline(); // explicitly none
  } else if (options.pipeline) {
    absl::StatusOr<Pipeline> p = Pipeline::parse(*options.pipeline);
    if (!p.ok())
      return absl::InvalidArgumentError("pipeline '" + *options.pipeline + "': " +
                                        std::string(p.status().message()));
    pipeline = *p;
  }
  // 3. The backend and its options.
  Prepared out;
  if (!backendName.empty()) {
    absl::StatusOr<const BackendSpec *> b = findBackend(backendName);
    if (!b.ok())
      return b.status();
    out.backend = *b;
    absl::StatusOr<PassOptions> opts = parseBackendOptions(*out.backend, backendText);
    if (!opts.ok())
      return opts.status();
    out.backendOptions = *opts;
    if (!pipeline && !out.backend->defaultPipeline.empty()) {
      absl::StatusOr<Pipeline> p = Pipeline::parse(out.backend->defaultPipeline);
      if (!p.ok())
        return absl::InternalError("backend " + std::string(out.backend->name) +
                                   ": its default pipeline does not parse: " +
                                   std::string(p.status().message()));
      pipeline = *p;
    }
  } else if (!backendText.empty()) {
    return absl::InvalidArgumentError("backend options given without a backend");
  }
  // 1. Load.
  absl::StatusOr<std::unique_ptr<Program>> program = load();
  if (!program.ok())
    return program.status();
  out.program = std::move(*program);
  // 4. The pipeline, then 5. the backend's stages.
  PassManager pm(inst, log);
  if (pipeline) {
    if (absl::Status st = pm.add(*pipeline); !st.ok())
      return st;
    if (absl::Status st = pm.run(*out.program->graph); !st.ok()) {
      if (diagnostics)
        diagnostics->insert(diagnostics->end(), pm.diagnostics().begin(), pm.diagnostics().end());
      return absl::Status(st.code(), path + ": " + std::string(st.message()));
    }
    out.pipeline = pipeline->str();
    out.stages = pm.stages();
  } else {
    out.stages = stagesOf(*out.program->graph);
  }
  if (out.backend) {
    if (absl::Status st = pm.requireStages(*out.program->graph, out.backend->requiredStages,
                                           "backend " + std::string(out.backend->name));
        !st.ok())
      return absl::Status(st.code(), path + ": " + std::string(st.message()));
    // 6. The backend's own lowering, after whatever pipeline ran.
    if (!out.backend->lowering.empty()) {
      absl::StatusOr<Pipeline> low = Pipeline::parse(out.backend->lowering);
      if (!low.ok())
        return absl::InternalError("backend " + std::string(out.backend->name) +
                                   ": its lowering does not parse: " +
                                   std::string(low.status().message()));
      PassManager lpm(inst, log);
      if (absl::Status st = lpm.add(*low); !st.ok())
        return st;
      if (absl::Status st = lpm.run(*out.program->graph); !st.ok()) {
        if (diagnostics)
          diagnostics->insert(diagnostics->end(), lpm.diagnostics().begin(),
                              lpm.diagnostics().end());
        return absl::Status(st.code(), path + ": " + std::string(st.message()));
      }
    }
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

} // namespace

absl::StatusOr<Prepared> prepare(const std::string &path, const Options &options,
                                 llvm::raw_ostream &log, std::vector<Diagnostic> *diagnostics) {
  return prepareWith(
      path, [&] { return loadProgram(path, options.weightsFrom); }, options, log,
      diagnostics);
}

absl::StatusOr<Prepared> prepare(std::unique_ptr<Program> program, const Options &options,
                                 llvm::raw_ostream &log, std::vector<Diagnostic> *diagnostics) {
  if (!program || !program->graph)
    return absl::InvalidArgumentError("prepare: no program given");
  if (!options.weightsFrom.empty())
    return absl::InvalidArgumentError(program->path +
                                      ": weightsFrom is for .fxir files; this program is "
                                      "loaded already, with its weights");
  std::string path = program->path;
  return prepareWith(
      path, [&]() -> absl::StatusOr<std::unique_ptr<Program>> { return std::move(program); },
      options, log, diagnostics);
}

} // namespace fxir::driver
