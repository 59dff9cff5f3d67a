//===- Config.cpp - YAML pipeline configuration through yaml-cpp -----------------------===//
#include "fxir/passes/Config.h"

#include <fstream>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

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
    for (auto it = root.begin(); it != root.end(); ++it) {
      std::string key = scalar(it->first, "key");
      if (key == "pipeline")
        c.pipeline = pipeline(it->second);
      else if (key == "instrumentation")
        instrumentation(it->second, c.instrumentation);
      else if (key == "backend")
        backend(it->second, c.backend);
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

  Pipeline pipeline(const YAML::Node &n) {
    if (n.IsScalar())
      return parsed(n, n.Scalar());
    if (!n.IsSequence())
      fail(n, "`pipeline` must be a pipeline string or a list of passes");
    Pipeline p;
    for (const YAML::Node &item : n) {
      std::string text;
      if (item.IsScalar()) {
        text = item.Scalar();
      } else if (item.IsMap() && item.size() == 1) {
        auto kv = item.begin();
        text = scalar(kv->first, "pass name");
        const YAML::Node &opts = kv->second;
        if (!opts.IsNull()) {
          if (!opts.IsMap())
            fail(opts, "the options of pass `" + text + "` must be a map");
          text += "{";
          bool first = true;
          for (auto o = opts.begin(); o != opts.end(); ++o) {
            text += (first ? "" : ",") + scalar(o->first, "option name") + "=" +
                    scalar(o->second, "option value");
            first = false;
          }
          text += "}";
        }
      } else {
        fail(item, "a pipeline entry must be a pass name or {name: {options}}");
      }
      Pipeline one = parsed(item, text);
      p.entries.insert(p.entries.end(), one.entries.begin(), one.entries.end());
    }
    return p;
  }

  void instrumentation(const YAML::Node &n, Instrumentation &inst) {
    if (!n.IsMap())
      fail(n, "`instrumentation` must be a map");
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string key = scalar(it->first, "key");
      const YAML::Node &v = it->second;
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
        if (v.IsScalar()) {
          inst.printIrAfter.insert(v.Scalar());
        } else if (v.IsSequence()) {
          for (const YAML::Node &e : v)
            inst.printIrAfter.insert(scalar(e, "print-ir-after entry"));
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

  void backend(const YAML::Node &n, BackendConfig &b) {
    if (!n.IsMap())
      fail(n, "`backend` must be a map");
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string key = scalar(it->first, "key");
      if (key == "name") {
        b.name = scalar(it->second, key);
      } else if (key == "options") {
        if (!it->second.IsMap())
          fail(it->second, "backend `options` must be a map");
        for (auto o = it->second.begin(); o != it->second.end(); ++o)
          b.options[scalar(o->first, "option name")] = scalar(o->second, "option value");
      } else {
        fail(it->first, "unknown key `" + key + "` in backend (expected name, options)");
      }
    }
  }
};

} // namespace

absl::StatusOr<PipelineConfig> parsePipelineConfig(llvm::StringRef text,
                                                   llvm::StringRef fileName) {
  try {
    YAML::Node root = YAML::Load(text.str());
    return ConfigReader(fileName).read(root);
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
