//===- BackendTable.cpp --------------------------------------------------------------===//
#include "fxir/driver/BackendTable.h"

namespace fxir {

llvm::ArrayRef<BackendSpec> registeredBackends() {
  static const std::vector<BackendSpec> kBackends = [] {
    std::vector<BackendSpec> out;
#define FXIR_BACKEND(Name, Summary, Create, Requires, DefaultPipeline, Lowering)           \
  out.push_back(BackendSpec{Name, Summary, Requires, DefaultPipeline, Lowering, {}});
#include "fxir/driver/Backends.def"
#define FXIR_BACKEND_OPTION(Backend, Key, OptType, Default, Help)                          \
  for (BackendSpec & b : out)                                                              \
    if (b.name == Backend)                                                                 \
      b.options.push_back(PassOptionSpec{Key, PassOptionSpec::Type::OptType, Default, Help});
#include "fxir/driver/Backends.def"
    return out;
  }();
  return kBackends;
}

const BackendSpec *lookupBackend(std::string_view name) {
  for (const BackendSpec &b : registeredBackends())
    if (b.name == name)
      return &b;
  return nullptr;
}

std::string backendNames() {
  std::string out;
  for (const BackendSpec &b : registeredBackends())
    out += (out.empty() ? "" : ", ") + std::string(b.name);
  return out;
}

absl::StatusOr<const BackendSpec *> findBackend(std::string_view name) {
  if (const BackendSpec *b = lookupBackend(name))
    return b;
  return absl::InvalidArgumentError("unknown backend `" + std::string(name) +
                                    "` (registered: " + backendNames() + ")");
}

absl::StatusOr<PassOptions> parseBackendOptions(const BackendSpec &backend,
                                                const std::map<std::string, std::string> &text) {
  PassOptions opts = PassOptions::defaults(backend.options);
  for (const auto &[key, value] : text) {
    const PassOptionSpec *spec = nullptr;
    for (const PassOptionSpec &s : backend.options)
      if (s.key == key)
        spec = &s;
    if (!spec) {
      std::string known;
      for (const PassOptionSpec &s : backend.options)
        known += (known.empty() ? "" : ", ") + s.key.str();
      return absl::InvalidArgumentError("backend `" + std::string(backend.name) +
                                        "` has no option `" + key + "` (" +
                                        (known.empty() ? "it takes none" : "options: " + known) +
                                        ")");
    }
    absl::StatusOr<PassOptions::Value> v = PassOptions::parseValue(*spec, value);
    if (!v.ok())
      return absl::InvalidArgumentError("backend `" + std::string(backend.name) + "`: " +
                                        std::string(v.status().message()));
    opts.set(key, *v);
  }
  return opts;
}

} // namespace fxir
