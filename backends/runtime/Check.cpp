//===- Check.cpp ----------------------------------------------------------------------===//
#include "fxir/backends/runtime/Check.h"

#include <cmath>

#include <simdjson.h>

#include "llvm/ADT/StringRef.h"

namespace fxir::runtime {
std::string describeValue(const c10::IValue &v) {
  if (v.isTensor()) {
    const at::Tensor &t = v.toTensor();
    return std::string(c10::toString(t.scalar_type())) + c10::str(t.sizes());
  }
  return c10::str(v);
}

std::vector<c10::IValue> cloneTensors(const std::vector<c10::IValue> &values) {
  std::vector<c10::IValue> out;
  out.reserve(values.size());
  for (const c10::IValue &v : values)
    out.push_back(v.isTensor() ? c10::IValue(v.toTensor().clone()) : v);
  return out;
}

namespace {

/// Compares a non-tensor output with the expected file's description of it.
std::string compareNonTensor(const c10::IValue &got, simdjson::dom::element leaf) {
  std::string_view type;
  if (leaf["type"].get(type))
    return "the expected file does not describe this output";
  simdjson::dom::element v = leaf["value"];
  if (type == "none")
    return got.isNone() ? "" : "got " + describeValue(got) + ", expected None";
  if (type == "int") {
    int64_t x;
    if (v.get(x) || !got.isInt() || got.toInt() != x)
      return "got " + describeValue(got) + ", expected " + simdjson::to_string(v);
    return "";
  }
  if (type == "bool") {
    bool x;
    if (v.get(x) || !got.isBool() || got.toBool() != x)
      return "got " + describeValue(got) + ", expected " + simdjson::to_string(v);
    return "";
  }
  if (type == "float") {
    double x;
    std::string_view s;
    if (v.get(x)) {
      if (v.get(s))
        return "bad expected float";
      x = s == "nan" ? NAN : s == "-inf" ? -INFINITY : INFINITY;
    }
    if (!got.isDouble())
      return "got " + describeValue(got) + ", expected a float";
    double y = got.toDouble();
    if ((std::isnan(x) && std::isnan(y)) || y == x ||
        std::fabs(y - x) <= 1e-7 + 1e-7 * std::fabs(x))
      return "";
    return "got " + std::to_string(y) + ", expected " + std::to_string(x);
  }
  return "unsupported expected type " + std::string(type);
}

} // namespace

ExpectReport checkExpected(const Executable &exe, const std::vector<c10::IValue> &inputs,
                           const std::vector<c10::IValue> &pristine,
                           const std::vector<c10::IValue> &outs, const TensorFile &f,
                           double rtol, double atol) {
  ExpectReport out;
  auto tolFor = [&](const at::Tensor &t) -> std::optional<Tolerance> {
    if (rtol < 0 && atol < 0)
      return std::nullopt;
    Tolerance d = defaultTolerance(t.scalar_type());
    if (!at::isFloatingType(t.scalar_type()))
      return d;
    return Tolerance{rtol >= 0 ? rtol : d.rtol, atol >= 0 ? atol : d.atol};
  };
  simdjson::dom::parser parser;
  simdjson::dom::element meta;
  bool haveMeta = false;
  auto m = f.metadata.find("fxir_corpus");
  if (m != f.metadata.end() && !parser.parse(m->second).get(meta))
    haveMeta = true;
  auto report = [&](const std::string &name, const std::string &problem) {
    ++out.compared;
    if (!problem.empty())
      out.mismatches.emplace_back(name, problem);
  };
  // User outputs.
  int64_t numLeaves = -1;
  if (haveMeta)
    if (meta["num_leaves"].get(numLeaves))
      numLeaves = -1;
  size_t expectedOutputs = 0;
  for (auto &[name, t] : f.tensors)
    if (llvm::StringRef(name).starts_with("output_"))
      ++expectedOutputs;
  if (numLeaves >= 0)
    expectedOutputs = static_cast<size_t>(numLeaves);
  if (expectedOutputs != outs.size())
    report("outputs", "the program gave " + std::to_string(outs.size()) +
                          " outputs, the file expects " + std::to_string(expectedOutputs));
  for (size_t i = 0; i < outs.size(); ++i) {
    std::string name = "output_" + std::to_string(i);
    auto it = f.tensors.find(name);
    const c10::IValue &got = outs[i];
    if (it != f.tensors.end()) {
      if (!got.isTensor())
        report(name, "got " + describeValue(got) + ", expected a tensor");
      else
        report(name, compareTensors(got.toTensor(), it->second, tolFor(it->second)));
      continue;
    }
    simdjson::dom::element leaf;
    if (haveMeta && !meta["non_tensor_leaves"][std::to_string(i)].get(leaf))
      report(name, compareNonTensor(got, leaf));
    else if (i < expectedOutputs)
      report(name, "the expected file has no value for it");
  }
  // Mutated inputs and buffers.
  for (auto &[name, t] : f.tensors) {
    llvm::StringRef n(name);
    if (n.consume_front("mutated_input_")) {
      size_t k = 0;
      if (n.getAsInteger(10, k) || k >= inputs.size() || !inputs[k].isTensor()) {
        report(name, "names no tensor input");
        continue;
      }
      report(name, compareTensors(inputs[k].toTensor(), t, tolFor(t)));
    } else if (n.consume_front("buffer.")) {
      std::optional<at::Tensor> w = exe.weight(n);
      if (!w)
        report(name, "the program has no weight " + n.str());
      else
        report(name, compareTensors(*w, t, tolFor(t)));
    }
  }
  // Inputs the program changed that the file says stay unchanged.
  for (size_t k = 0; k < inputs.size(); ++k)
    if (inputs[k].isTensor() && !f.tensors.count("mutated_input_" + std::to_string(k)) &&
        !compareTensors(inputs[k].toTensor(), pristine[k].toTensor(), Tolerance{0, 0})
             .empty())
      report("input_" + std::to_string(k), "changed by the program, but eager leaves it as is");
  return out;
}

std::string StepRule::str() const {
  std::string out = std::to_string(steps) + (steps == 1 ? " step" : " steps");
  for (auto [o, i] : feed)
    out += "; input " + std::to_string(i) + " := output " + std::to_string(o);
  for (auto [i, k] : advance)
    out += "; input " + std::to_string(i) + " += " + std::to_string(k);
  return out;
}

absl::StatusOr<StepRule> parseStepRule(unsigned steps, const std::vector<std::string> &feed,
                                       const std::vector<std::string> &advance) {
  StepRule rule;
  rule.steps = steps;
  auto pair = [](const std::string &text, const char *what, int64_t &a,
                 int64_t &b) -> absl::Status {
    llvm::StringRef l, r;
    std::tie(l, r) = llvm::StringRef(text).split('=');
    constexpr int64_t kMaxIndex = 1 << 20; // far beyond any program's inputs or outputs
    if (l.trim().getAsInteger(10, a) || r.trim().getAsInteger(10, b) || a < 0 || a > kMaxIndex)
      return absl::InvalidArgumentError(std::string(what) + " `" + text + "`: expected " +
                                        (std::string(what) == "--feed"
                                             ? "OUTPUT=INPUT (indices)"
                                             : "INPUT=AMOUNT (an index and an integer)"));
    return absl::OkStatus();
  };
  for (const std::string &f : feed) {
    int64_t o, i;
    if (absl::Status st = pair(f, "--feed", o, i); !st.ok())
      return st;
    if (i < 0 || i > (1 << 20))
      return absl::InvalidArgumentError("--feed `" + f + "`: the input index is out of range");
    rule.feed.emplace_back(static_cast<unsigned>(o), static_cast<unsigned>(i));
  }
  for (const std::string &a : advance) {
    int64_t i, k;
    if (absl::Status st = pair(a, "--advance", i, k); !st.ok())
      return st;
    rule.advance.emplace_back(static_cast<unsigned>(i), k);
  }
  return rule;
}

absl::StatusOr<StepRule> stepRuleOf(const TensorFile &steps, const std::string &path) {
  auto m = steps.metadata.find("fxir_corpus");
  simdjson::dom::parser parser;
  simdjson::dom::element meta, decode;
  if (m == steps.metadata.end() || parser.parse(m->second).get(meta) ||
      meta["decode"].get(decode))
    return absl::InvalidArgumentError(path + ": no \"decode\" rule in its fxir_corpus "
                                      "metadata (give --steps, --feed and --advance)");
  StepRule rule;
  int64_t n = 0;
  simdjson::dom::object feed, advance;
  if (decode["steps"].get(n) || n < 1 || decode["feed"].get(feed) ||
      decode["advance"].get(advance))
    return absl::InvalidArgumentError(path + ": its decode rule is not {steps, feed, advance}");
  rule.steps = static_cast<unsigned>(n);
  for (auto [key, value] : feed) {
    unsigned o;
    int64_t i;
    if (llvm::StringRef(key).getAsInteger(10, o) || value.get(i) || i < 0)
      return absl::InvalidArgumentError(path + ": bad decode feed entry `" + std::string(key) +
                                        "`");
    rule.feed.emplace_back(o, static_cast<unsigned>(i));
  }
  for (auto [key, value] : advance) {
    unsigned i;
    int64_t k;
    if (llvm::StringRef(key).getAsInteger(10, i) || value.get(k))
      return absl::InvalidArgumentError(path + ": bad decode advance entry `" +
                                        std::string(key) + "`");
    rule.advance.emplace_back(i, k);
  }
  return rule;
}

TensorFile stepExpectation(const TensorFile &steps, unsigned s) {
  TensorFile out;
  std::string prefix = "step" + std::to_string(s) + ".";
  for (const auto &[name, t] : steps.tensors)
    if (llvm::StringRef(name).starts_with(prefix))
      out.tensors[name.substr(prefix.size())] = t;
  return out;
}

absl::Status runSteps(
    const Executable &exe, std::vector<c10::IValue> inputs, const StepRule &rule,
    const std::function<void(unsigned, const std::vector<c10::IValue> &,
                             const std::vector<c10::IValue> &,
                             const std::vector<c10::IValue> &)> &onStep) {
  std::vector<c10::IValue> previous;
  for (unsigned s = 0; s < rule.steps; ++s) {
    std::string where = "step " + std::to_string(s) + ": ";
    if (s > 0) {
      for (auto [o, i] : rule.feed) {
        if (o >= previous.size() || i >= inputs.size())
          return absl::InvalidArgumentError(
              where + "input " + std::to_string(i) + " := output " + std::to_string(o) +
              ": the program takes " + std::to_string(inputs.size()) + " inputs and gives " +
              std::to_string(previous.size()) + " outputs");
        const c10::IValue &v = previous[o];
        inputs[i] = v.isTensor() ? c10::IValue(v.toTensor().clone()) : v;
      }
      for (auto [i, k] : rule.advance) {
        if (i >= inputs.size())
          return absl::InvalidArgumentError(where + "input " + std::to_string(i) +
                                            " += " + std::to_string(k) + ": the program takes " +
                                            std::to_string(inputs.size()) + " inputs");
        c10::IValue &v = inputs[i];
        if (v.isTensor())
          v = v.toTensor().add(k);
        else if (v.isInt())
          v = v.toInt() + k;
        else
          return absl::InvalidArgumentError(where + "input " + std::to_string(i) + " is " +
                                            describeValue(v) +
                                            "; only a tensor or an int input can advance");
      }
    }
    std::vector<c10::IValue> before = cloneTensors(inputs);
    absl::StatusOr<std::vector<c10::IValue>> outs = exe.run(inputs);
    if (!outs.ok())
      return absl::Status(outs.status().code(), where + std::string(outs.status().message()));
    onStep(s, inputs, before, *outs);
    previous = std::move(*outs);
  }
  return absl::OkStatus();
}

} // namespace fxir::runtime
