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

} // namespace fxir::runtime
