//===- PassRegistry.cpp -------------------------------------------------------===//
#include "fxir/passes/PassRegistry.h"

#include <cstdio>
#include <mutex>
#include <vector>

namespace fxir {

llvm::ArrayRef<PassInfo> registeredPasses() {
  static const std::vector<PassInfo> kPasses = {
#define FXIR_PASS(Name, Summary, Create, Options, Requires, Establishes)                \
  PassInfo{Name, Summary, &Create, &Options, Requires, Establishes},
#include "fxir/passes/Passes.def"
  };
  return kPasses;
}

namespace {
struct ExtraTables {
  std::mutex mutex;
  std::vector<llvm::ArrayRef<PassInfo>> tables;
};
ExtraTables &extraTables() {
  static ExtraTables *t = new ExtraTables(); // never destroyed: looked up until exit
  return *t;
}
} // namespace

void registerPassTable(llvm::ArrayRef<PassInfo> rows) {
  ExtraTables &t = extraTables();
  std::lock_guard<std::mutex> lock(t.mutex);
  for (llvm::ArrayRef<PassInfo> existing : t.tables)
    if (existing.data() == rows.data())
      return;
  t.tables.push_back(rows);
}

std::vector<const PassInfo *> allPasses() {
  std::vector<const PassInfo *> out;
  for (const PassInfo &p : registeredPasses())
    out.push_back(&p);
  ExtraTables &t = extraTables();
  std::lock_guard<std::mutex> lock(t.mutex);
  for (llvm::ArrayRef<PassInfo> table : t.tables)
    for (const PassInfo &p : table)
      out.push_back(&p);
  return out;
}

const PassInfo *lookupPass(std::string_view name) {
  for (const PassInfo *p : allPasses())
    if (p->name == name)
      return p;
  return nullptr;
}

const PassInfo *passEstablishing(Stage s) {
  for (const PassInfo *p : allPasses())
    if (p->establishedStages.has(s))
      return p;
  return nullptr;
}

const PassOptionSpec *lookupOption(const PassInfo &pass, llvm::StringRef key) {
  for (const PassOptionSpec &s : pass.options())
    if (s.key == key)
      return &s;
  return nullptr;
}

absl::StatusOr<PassOptions::Value> parseOption(const PassInfo &pass, llvm::StringRef key,
                                               llvm::StringRef text) {
  std::string name(pass.name);
  const PassOptionSpec *spec = lookupOption(pass, key);
  if (!spec)
    return absl::InvalidArgumentError("pass `" + name + "` has no option `" + key.str() + "`");
  absl::StatusOr<PassOptions::Value> v = PassOptions::parseValue(*spec, text);
  if (!v.ok())
    return absl::InvalidArgumentError("pass `" + name + "`: " + std::string(v.status().message()));
  return v;
}

llvm::StringRef optionTypeName(PassOptionSpec::Type t) {
  switch (t) {
  case PassOptionSpec::Type::Bool: return "bool";
  case PassOptionSpec::Type::Int: return "int";
  case PassOptionSpec::Type::Float: return "float";
  case PassOptionSpec::Type::String: return "string";
  }
  return "?";
}

absl::StatusOr<PassOptions::Value> PassOptions::parseValue(const PassOptionSpec &spec,
                                                           llvm::StringRef text) {
  auto bad = [&]() {
    return absl::InvalidArgumentError("option `" + spec.key.str() + "` expects " +
                                      (spec.type == PassOptionSpec::Type::Int ? "an " : "a ") +
                                      optionTypeName(spec.type).str() + ", not `" + text.str() +
                                      "`");
  };
  switch (spec.type) {
  case PassOptionSpec::Type::Bool:
    if (text == "true")
      return Value(true);
    if (text == "false")
      return Value(false);
    return bad();
  case PassOptionSpec::Type::Int: {
    int64_t v;
    if (text.getAsInteger(10, v))
      return bad();
    return Value(v);
  }
  case PassOptionSpec::Type::Float: {
    double v;
    if (text.getAsDouble(v))
      return bad();
    return Value(v);
  }
  case PassOptionSpec::Type::String:
    return Value(text.str());
  }
  return bad();
}

std::string PassOptions::format(const Value &v) {
  if (const bool *b = std::get_if<bool>(&v))
    return *b ? "true" : "false";
  if (const int64_t *i = std::get_if<int64_t>(&v))
    return std::to_string(*i);
  if (const double *d = std::get_if<double>(&v)) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", *d);
    return buf;
  }
  return std::get<std::string>(v);
}

PassOptions PassOptions::defaults(llvm::ArrayRef<PassOptionSpec> specs) {
  PassOptions o;
  for (const PassOptionSpec &s : specs) {
    absl::StatusOr<Value> v = parseValue(s, s.defaultValue);
    if (v.ok())
      o.values_[s.key.str()] = *v;
  }
  return o;
}

bool PassOptions::getBool(llvm::StringRef key) const {
  return std::get<bool>(values_.at(key.str()));
}
int64_t PassOptions::getInt(llvm::StringRef key) const {
  return std::get<int64_t>(values_.at(key.str()));
}
double PassOptions::getFloat(llvm::StringRef key) const {
  return std::get<double>(values_.at(key.str()));
}
const std::string &PassOptions::getString(llvm::StringRef key) const {
  return std::get<std::string>(values_.at(key.str()));
}

} // namespace fxir
