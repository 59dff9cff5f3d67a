//===- Runtime.cpp ---------------------------------------------------------------------===//
#include "fxir/backends/runtime/Runtime.h"

#include "fxir/backends/cpu/Cpu.h"
#include "fxir/backends/interp/Interp.h"
#include "fxir/backends/runtime/CpuExecutable.h"

namespace fxir::runtime {
namespace {

using CreateFn = absl::StatusOr<std::unique_ptr<Executable>> (*)(std::shared_ptr<const Program>,
                                                                 const PassOptions &);

// The create column of the backend table.
CreateFn createFunction(std::string_view name) {
#define FXIR_BACKEND(Name, Summary, Create, Requires, DefaultPipeline, Lowering)                \
  if (name == Name)                                                                        \
    return &Create;
#include "fxir/driver/Backends.def"
  return nullptr;
}

} // namespace

absl::StatusOr<std::unique_ptr<Executable>> create(std::shared_ptr<const Program> program,
                                                   const BackendSpec &backend,
                                                   const PassOptions &options) {
  CreateFn fn = createFunction(backend.name);
  if (!fn)
    return absl::InternalError("backend " + std::string(backend.name) +
                               " is in the driver's table but has no create function");
  return fn(std::move(program), options);
}

namespace {

driver::Options driverOptions(const CompileOptions &options) {
  driver::Options d;
  // The backend: the option, else the YAML config's backend section, else interp.
  d.backend = options.backend;
  d.defaultBackend = "interp";
  d.pipeline = options.pipeline;
  d.pipelineConfig = options.pipelineConfig;
  d.weightsFrom = options.weightsFrom;
  d.backendOptions = options.backendOptions;
  d.verifyEach = options.verifyEach;
  return d;
}

// prepare (the driver) then create; no exception leaves it.
template <typename Prepare>
absl::StatusOr<std::unique_ptr<Executable>> compileWith(const std::string &name,
                                                        Prepare prepare) {
  try {
    // The code generators' passes (their lowering) must be known to the driver.
    cpu::registerTables();
    absl::StatusOr<driver::Prepared> prepared = prepare();
    if (!prepared.ok())
      return prepared.status();
    return create(std::shared_ptr<const Program>(std::move(prepared->program)),
                  *prepared->backend, prepared->backendOptions);
  } catch (const std::exception &e) {
    return absl::InternalError(name + ": " + e.what());
  } catch (...) {
    return absl::InternalError(name + ": unknown exception");
  }
}

} // namespace

absl::StatusOr<std::unique_ptr<Executable>> compile(const std::string &path,
                                                    const CompileOptions &options) {
  return compileWith(path, [&] {
    return driver::prepare(path, driverOptions(options), llvm::errs(), options.diagnostics);
  });
}

absl::StatusOr<std::unique_ptr<Executable>> compile(std::unique_ptr<Program> program,
                                                    const CompileOptions &options) {
  std::string name = program ? program->path : std::string("(no program)");
  return compileWith(name, [&] {
    return driver::prepare(std::move(program), driverOptions(options), llvm::errs(),
                           options.diagnostics);
  });
}

} // namespace fxir::runtime
