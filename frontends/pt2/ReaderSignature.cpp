//===- ReaderSignature.cpp - input and output specs, the program graph -------------===//
// (The Reader class is in ReaderImpl.h.)
//===----------------------------------------------------------------------------===//
#include "fxir/frontends/pt2/ReaderImpl.h"

namespace fxir::pt2::detail {

// ---- signature ----
std::optional<J> Reader::signature() {
  return field(*field(root_, "graph_module"), "signature");
}

void Reader::readInputSpecs(Graph &g) {
  std::optional<J> sig = signature();
  std::vector<J> specs = sig && field(*sig, "input_specs") ? array(*field(*sig, "input_specs"))
                                                          : std::vector<J>();
  for (J spec : specs) {
    auto [k, v] = unionKey(spec);
    InputSpec s;
    auto target = [&](const char *key) { return ctx_.intern(strField(v, key)); };
    if (k == "user_input") {
      s.kind = InputSpec::Kind::UserInput;
    } else if (k == "parameter") {
      s.kind = InputSpec::Kind::Parameter;
      s.target = target("parameter_name");
    } else if (k == "buffer") {
      s.kind = InputSpec::Kind::Buffer;
      s.target = target("buffer_name");
      s.persistent = !field(v, "persistent") || truthy(*field(v, "persistent"));
    } else if (k == "tensor_constant") {
      s.kind = InputSpec::Kind::TensorConstant;
      s.target = target("tensor_constant_name");
    } else if (k == "custom_obj") {
      fail(entry_ + ": input spec custom_obj (a TorchScript object) is not supported by fxir");
    } else if (k == "token") {
      s.kind = InputSpec::Kind::Token;
    } else if (k == "constant_input") {
      s.kind = InputSpec::Kind::ConstantInput;
      s.target = target("name");
      // The value export specialized the input to.
      if (auto value = field(v, "value")) {
        auto [vk, vv] = unionKey(*value);
        if (vk == "as_int" && integer(vv))
          s.value = Attr::integer(*integer(vv));
        else if (vk == "as_float")
          s.value = floatAttr(vv, "constant_input " + s.target.str());
        else if (vk == "as_bool")
          s.value = Attr::boolean(truthy(vv));
        else if (vk == "as_string")
          s.value = Attr::string(ctx_.intern(std::string(str(vv))));
        else if (vk == "as_none")
          s.value = Attr::none();
      }
    } else {
      fail(entry_ + ": unknown input spec kind `" + std::string(k) + "`");
    }
    // The spec names its placeholder: it must be the graph input at its position.
    std::string argName;
    if (auto arg = field(v, "arg")) {
      if (auto n = field(*arg, "name"))
        argName = std::string(str(*n));
      else if (auto t = field(*arg, "as_tensor"))
        argName = std::string(strField(*t, "name"));
    }
    size_t idx = g.inputSpecs().size();
    if (!argName.empty() && idx < g.body().numArgs() && !g.body().arg(idx)->name().empty() &&
        g.body().arg(idx)->name() != argName)
      fail(entry_ + ": input spec " + std::to_string(idx) + " names `" + argName +
           "` but graph input " + std::to_string(idx) + " is `" +
           g.body().arg(idx)->name().str() + "`");
    g.inputSpecs().push_back(s);
  }
  if (g.inputSpecs().size() != g.body().numArgs())
    fail(entry_ + ": the signature lists " + std::to_string(g.inputSpecs().size()) +
         " inputs but the graph has " + std::to_string(g.body().numArgs()));
}

void Reader::bindSignatureParams(Graph &g) {
  readInputSpecs(g);
  for (unsigned i = 0; i < g.body().numArgs(); ++i) {
    const InputSpec &s = g.inputSpecs()[i];
    if (!s.target.empty() && s.kind != InputSpec::Kind::ConstantInput)
      paramOf_[g.body().arg(i)] = s.target;
  }
}

void Reader::readOutputSpecs(Graph &g) {
  std::optional<J> sig = signature();
  std::vector<J> specs = sig && field(*sig, "output_specs") ? array(*field(*sig, "output_specs"))
                                                           : std::vector<J>();
  for (J spec : specs) {
    auto [k, v] = unionKey(spec);
    OutputSpec s;
    auto target = [&](const char *key) { return ctx_.intern(strField(v, key)); };
    if (k == "user_output")
      s.kind = OutputSpec::Kind::UserOutput;
    else if (k == "loss_output")
      s.kind = OutputSpec::Kind::LossOutput;
    else if (k == "buffer_mutation") {
      s.kind = OutputSpec::Kind::BufferMutation;
      s.target = target("buffer_name");
    } else if (k == "user_input_mutation") {
      s.kind = OutputSpec::Kind::UserInputMutation;
      s.target = target("user_input_name");
    } else if (k == "parameter_mutation") {
      s.kind = OutputSpec::Kind::ParameterMutation;
      s.target = target("parameter_name");
    } else if (k == "gradient_to_parameter") {
      s.kind = OutputSpec::Kind::GradientToParameter;
      s.target = target("parameter_name");
    } else if (k == "gradient_to_user_input") {
      s.kind = OutputSpec::Kind::GradientToUserInput;
      s.target = target("user_input_name");
    } else if (k == "token") {
      s.kind = OutputSpec::Kind::Token;
    } else {
      fail(entry_ + ": unknown output spec kind `" + std::string(k) + "`");
    }
    g.outputSpecs().push_back(s);
  }
}

void Reader::readProgramGraph() {
  J gm = *field(root_, "graph_module");
  prog_.graph = std::make_unique<Graph>(ctx_, "forward");
  convertGraph(*field(gm, "graph"), prog_.graph->body(), prog_.graph.get(), {});
  readOutputSpecs(*prog_.graph);
  Op *yield = prog_.graph->body().terminator();
  if (yield && yield->numOperands() != prog_.graph->outputSpecs().size())
    fail(entry_ + ": the signature lists " + std::to_string(prog_.graph->outputSpecs().size()) +
         " outputs but the graph returns " + std::to_string(yield->numOperands()));
  // Pytree specs of the whole module: module_call_graph[0] (fqn "").
  if (auto mcg = field(gm, "module_call_graph")) {
    std::vector<J> entries = array(*mcg);
    if (!entries.empty())
      if (auto sig = field(entries[0], "signature")) {
        if (auto in = field(*sig, "in_spec"))
          prog_.meta.inSpec = std::string(str(*in));
        if (auto out = field(*sig, "out_spec"))
          prog_.meta.outSpec = std::string(str(*out));
      }
  }
}

} // namespace fxir::pt2::detail
