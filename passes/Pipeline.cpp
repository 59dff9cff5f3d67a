//===- Pipeline.cpp --------------------------------------------------------------------===//
#include "fxir/passes/Pipeline.h"

#include <cctype>

#include "fxir/passes/PassRegistry.h"

namespace fxir {

llvm::StringRef namedPipelineText(llvm::StringRef name) {
  if (name == "default")
    // functionalize first: every later pass and backend may then assume no op writes
    // its arguments (cse and dce stay correct on in-place IR, but see much less).
    // lower-control-flow next, on functional bodies: scan/map/while_loop/cond become
    // fxir.for/while/if with their bodies inlined, so the passes after it see one
    // program instead of separate subgraphs. canonicalize then folds constant shape
    // arithmetic and identity views, which exposes duplicates to cse; cse merges what
    // is left identical; dce last removes what the others made dead (views
    // functionalize re-derived and nobody reads, folded sym_size ops, merged-away
    // producers).
    return "functionalize,lower-control-flow,canonicalize,cse,dce";
  return {};
}

std::string Pipeline::str() const {
  std::string out;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i)
      out += ',';
    out += entries[i].pass;
    if (!entries[i].options.empty()) {
      out += '{';
      for (size_t j = 0; j < entries[i].options.size(); ++j) {
        if (j)
          out += ',';
        out += entries[i].options[j].first + "=" + entries[i].options[j].second;
      }
      out += '}';
    }
  }
  return out;
}

namespace {
class PipelineParser {
public:
  explicit PipelineParser(llvm::StringRef text) : text_(text) {}

  absl::StatusOr<Pipeline> parse(int depth = 0) {
    Pipeline p;
    skip();
    if (pos_ == text_.size())
      return error("empty pipeline");
    while (true) {
      size_t nameAt = pos_;
      std::string name = word();
      if (name.empty())
        return error("expected a pass name");
      skip();
      llvm::StringRef named = namedPipelineText(name);
      const PassInfo *info = lookupPass(name);
      if (!named.empty() && depth < 4) {
        if (peek() == '{')
          return error("the named pipeline `" + name + "` takes no options");
        absl::StatusOr<Pipeline> sub = PipelineParser(named).parse(depth + 1);
        if (!sub.ok())
          return sub.status();
        p.entries.insert(p.entries.end(), sub->entries.begin(), sub->entries.end());
      } else if (!info) {
        pos_ = nameAt;
        return error("unknown pass `" + name + "` (see fxir-opt --list-passes)");
      } else {
        PipelineEntry e{name, {}};
        if (peek() == '{') {
          ++pos_;
          while (true) {
            skip();
            size_t keyAt = pos_;
            std::string key = word();
            if (key.empty())
              return error("expected an option name");
            if (!lookupOption(*info, key)) {
              pos_ = keyAt;
              return error("pass `" + name + "` has no option `" + key + "`");
            }
            skip();
            if (peek() != '=')
              return error("expected `=` after option `" + key + "`");
            ++pos_;
            skip();
            size_t valueAt = pos_;
            while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '}')
              ++pos_;
            std::string value = text_.substr(valueAt, pos_ - valueAt).rtrim().str();
            absl::StatusOr<PassOptions::Value> v = parseOption(*info, key, value);
            if (!v.ok()) {
              pos_ = valueAt;
              return error(std::string(v.status().message()));
            }
            for (const auto &[seen, v] : e.options)
              if (seen == key) {
                pos_ = keyAt;
                return error("option `" + key + "` of `" + name + "` is given twice");
              }
            e.options.push_back({key, PassOptions::format(*v)});
            if (peek() == ',') {
              ++pos_;
              continue;
            }
            if (peek() == '}') {
              ++pos_;
              break;
            }
            return error("expected `,` or `}` in the options of `" + name + "`");
          }
        }
        p.entries.push_back(std::move(e));
      }
      skip();
      if (pos_ == text_.size())
        return p;
      if (peek() != ',')
        return error("expected `,` between passes");
      ++pos_;
      skip();
    }
  }

private:
  llvm::StringRef text_;
  size_t pos_ = 0;

  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_])))
      ++pos_;
  }
  std::string word() {
    size_t start = pos_;
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '-' ||
            text_[pos_] == '_'))
      ++pos_;
    return text_.substr(start, pos_ - start).str();
  }
  absl::Status error(const std::string &msg) const {
    return absl::InvalidArgumentError("pipeline column " + std::to_string(pos_ + 1) + ": " +
                                      msg + " in `" + text_.str() + "`");
  }
};
} // namespace

absl::StatusOr<PipelineEntry>
Pipeline::makeEntry(llvm::StringRef pass,
                    llvm::ArrayRef<std::pair<std::string, std::string>> options) {
  const PassInfo *info = lookupPass(pass);
  if (!info)
    return absl::InvalidArgumentError("unknown pass `" + pass.str() +
                                      "` (see fxir-opt --list-passes)");
  PipelineEntry e{pass.str(), {}};
  for (const auto &[key, text] : options) {
    // (An unknown key fails on its first occurrence, so only known keys repeat.)
    for (const auto &[seen, v] : e.options)
      if (seen == key)
        return absl::InvalidArgumentError("option `" + key + "` of `" + pass.str() +
                                          "` is given twice");
    absl::StatusOr<PassOptions::Value> v = parseOption(*info, key, text);
    if (!v.ok())
      return v.status();
    e.options.push_back({key, PassOptions::format(*v)});
  }
  return e;
}

absl::StatusOr<Pipeline> Pipeline::parse(llvm::StringRef text) {
  return PipelineParser(text).parse();
}

} // namespace fxir
