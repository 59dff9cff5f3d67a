//===- Config.cpp - YAML pipeline configuration through yaml-cpp -----------------------===//
#include "fxir/driver/Config.h"

#include <fstream>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "fxir/driver/BackendTable.h"
#include "fxir/passes/PassRegistry.h"

namespace fxir {
namespace {

struct ConfigError {
  std::string message;
};

class ConfigReader {
public:
  explicit ConfigReader(llvm::StringRef file) : file_(file.str()) {}

  PipelineConfig read(const YAML::Node &root) {
    PipelineConfig c;
    if (root.IsNull())
      return c;
    if (!root.IsMap())
      fail(root, "the configuration must be a map with keys pipeline, instrumentation, backend");
    checkUnique(root);
    for (auto it = root.begin(); it != root.end(); ++it) {
      std::string key = scalar(it->first, "key");
      if (key == "pipeline")
        c.pipeline = pipeline(it->second, it->first);
      else if (key == "instrumentation")
        instrumentation(it->second, it->first, c.instrumentation);
      else if (key == "backend")
        backend(it->second, it->first, c.backend);
      else
        fail(it->first, "unknown key `" + key + "` (expected pipeline, instrumentation, backend)");
    }
    return c;
  }

  [[noreturn]] void fail(const YAML::Node &at, const std::string &msg) const {
    throw ConfigError{file_ + ":" + std::to_string(at.Mark().line + 1) + ": error: " + msg};
  }

private:
  std::string file_;

  std::string scalar(const YAML::Node &n, const std::string &what) {
    if (!n.IsScalar())
      fail(n, what + " must be a single value");
    return n.Scalar();
  }
  bool boolean(const YAML::Node &n, const std::string &key) {
    std::string s = scalar(n, key);
    if (s == "true")
      return true;
    if (s == "false")
      return false;
    fail(n, "`" + key + "` must be true or false, not `" + s + "`");
  }

  Pipeline parsed(const YAML::Node &at, const std::string &text) {
    absl::StatusOr<Pipeline> p = Pipeline::parse(text);
    if (!p.ok())
      fail(at, std::string(p.status().message()));
    return *p;
  }

  Pipeline pipeline(const YAML::Node &n, const YAML::Node &key) {
    if (n.IsNull())
      fail(key, "`pipeline` is empty");
    if (n.IsScalar())
      return parsed(n, n.Scalar());
    if (!n.IsSequence())
      fail(n, "`pipeline` must be a pipeline string or a list of passes");
    Pipeline p;
    for (const YAML::Node &item : n) {
      // An entry is a pass name (or a named pipeline) or {name: {option: value}}; its
      // options are checked as values, never spliced into pipeline text.
      if (item.IsScalar()) {
        Pipeline one = parsed(item, item.Scalar());
        p.entries.insert(p.entries.end(), one.entries.begin(), one.entries.end());
        continue;
      }
      if (!item.IsMap() || item.size() != 1)
        fail(item, "a pipeline entry must be a pass name or {name: {options}}");
      auto kv = item.begin();
      std::string name = scalar(kv->first, "pass name");
      std::vector<std::pair<std::string, std::string>> options;
      YAML::Node opts = kv->second; // a handle: the iterator proxy is a temporary
      if (!opts.IsNull()) {
        if (!opts.IsMap())
          fail(opts, "the options of pass `" + name + "` must be a map");
        for (auto o = opts.begin(); o != opts.end(); ++o)
          options.push_back({scalar(o->first, "option name"), scalar(o->second, "option value")});
      }
      absl::StatusOr<PipelineEntry> e = Pipeline::makeEntry(name, options);
      if (!e.ok())
        fail(kv->first, std::string(e.status().message()));
      p.entries.push_back(*e);
    }
    return p;
  }

  // Duplicate keys are errors (YAML would silently keep one).
  void checkUnique(const YAML::Node &map) {
    std::map<std::string, int> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (!it->first.IsScalar())
        continue;
      auto [pos, inserted] = seen.emplace(it->first.Scalar(), it->first.Mark().line + 1);
      if (!inserted)
        fail(it->first, "duplicate key `" + it->first.Scalar() + "` (first on line " +
                            std::to_string(pos->second) + ")");
    }
  }

  void instrumentation(const YAML::Node &n, const YAML::Node &at, Instrumentation &inst) {
    if (!n.IsMap())
      fail(n.IsNull() ? at : n, "`instrumentation` must be a map");
    checkUnique(n);
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string key = scalar(it->first, "key");
      YAML::Node v = it->second; // a handle: the iterator proxy is a temporary
      if (v.IsNull())
        fail(it->first, "`" + key + "` has no value");
      if (key == "verify-each")
        inst.verifyEach = boolean(v, key);
      else if (key == "check-provenance")
        inst.checkProvenance = boolean(v, key);
      else if (key == "print-debuginfo")
        inst.printDebugInfo = boolean(v, key);
      else if (key == "timing")
        inst.timing = boolean(v, key);
      else if (key == "statistics")
        inst.statistics = boolean(v, key);
      else if (key == "dump-dir")
        inst.dumpDir = scalar(v, key);
      else if (key == "print-ir-after") {
        auto add = [&](const YAML::Node &e) {
          std::string pass = scalar(e, "print-ir-after entry");
          if (pass != "all" && !lookupPass(pass))
            fail(e, "print-ir-after names no pass: `" + pass + "`");
          inst.printIrAfter.insert(pass);
        };
        if (v.IsScalar()) {
          add(v);
        } else if (v.IsSequence()) {
          for (const YAML::Node &e : v)
            add(e);
        } else {
          fail(v, "`print-ir-after` must be a pass name or a list of them");
        }
      } else {
        fail(it->first, "unknown key `" + key + "` in instrumentation (expected verify-each, "
                        "check-provenance, print-ir-after, print-debuginfo, timing, "
                        "statistics, dump-dir)");
      }
    }
  }

  // The backend and its options are checked against the backend table (Backends.def)
  // here, where the lines are known.
  void backend(const YAML::Node &n, const YAML::Node &at, BackendConfig &b) {
    if (!n.IsMap())
      fail(n.IsNull() ? at : n, "`backend` must be a map");
    checkUnique(n);
    YAML::Node nameNode, optionsNode;
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string key = scalar(it->first, "key");
      if (key == "name")
        nameNode = it->second;
      else if (key == "options")
        optionsNode = it->second;
      else
        fail(it->first, "unknown key `" + key + "` in backend (expected name, options)");
    }
    const BackendSpec *spec = nullptr;
    if (nameNode) {
      b.name = scalar(nameNode, "name");
      absl::StatusOr<const BackendSpec *> found = findBackend(b.name);
      if (!found.ok())
        fail(nameNode, std::string(found.status().message()));
      spec = *found;
    }
    if (!optionsNode)
      return;
    if (!optionsNode.IsMap())
      fail(optionsNode, "backend `options` must be a map");
    checkUnique(optionsNode);
    for (auto o = optionsNode.begin(); o != optionsNode.end(); ++o) {
      std::string key = scalar(o->first, "option name");
      std::string value = scalar(o->second, "option value");
      if (spec)
        if (absl::StatusOr<PassOptions> ok = parseBackendOptions(*spec, {{key, value}});
            !ok.ok())
          fail(o->first, std::string(ok.status().message()));
      b.options[key] = value;
    }
  }
};

} // namespace

absl::StatusOr<PipelineConfig> parsePipelineConfig(llvm::StringRef text,
                                                   llvm::StringRef fileName) {
  try {
    std::vector<YAML::Node> docs = YAML::LoadAll(text.str());
    if (docs.size() > 1)
      return absl::InvalidArgumentError(fileName.str() + ": error: holds " +
                                        std::to_string(docs.size()) +
                                        " YAML documents; a configuration is one");
    return ConfigReader(fileName).read(docs.empty() ? YAML::Node() : docs[0]);
  } catch (const ConfigError &e) {
    return absl::InvalidArgumentError(e.message);
  } catch (const YAML::Exception &e) {
    return absl::InvalidArgumentError(fileName.str() + ":" + std::to_string(e.mark.line + 1) +
                                      ": error: malformed YAML: " + e.msg);
  }
}

absl::StatusOr<PipelineConfig> loadPipelineConfig(const std::string &path) {
  std::ifstream in(path);
  if (!in)
    return absl::NotFoundError(path + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  return parsePipelineConfig(ss.str(), path);
}

} // namespace fxir
