//===- ReaderNodes.cpp - FX nodes into ops -----------------------------------------===//
// (The Reader class is in ReaderImpl.h.)
//===----------------------------------------------------------------------------===//
#include "fxir/frontends/pt2/ReaderImpl.h"

#include <cmath>
#include <set>

#include "fxir/frontends/pt2/Sympy.h"
#include "fxir/ir/Verifier.h"

#include "llvm/ADT/STLExtras.h"

namespace fxir::pt2::detail {

const char *layoutFromPt2(int64_t code) {
  switch (code) {
  case 1: return "sparse_coo";
  case 2: return "sparse_csr";
  case 3: return "sparse_csc";
  case 4: return "sparse_bsr";
  case 5: return "sparse_bsc";
  case 6: return "_mkldnn";
  case 7: return "strided";
  default: return nullptr;
  }
}
const char *memoryFormatFromPt2(int64_t code) {
  switch (code) {
  case 1: return "contiguous_format";
  case 2: return "channels_last";
  case 3: return "channels_last_3d";
  case 4: return "preserve_format";
  default: return nullptr;
  }
}
// c10's numbering, which operator schema defaults use.
const char *layoutFromC10(int64_t code) {
  static const char *names[] = {"strided",    "sparse_coo", "sparse_csr", "_mkldnn",
                                "sparse_csc", "sparse_bsr", "sparse_bsc", "jagged"};
  return code >= 0 && code < 8 ? names[code] : nullptr;
}
const char *memoryFormatFromC10(int64_t code) {
  static const char *names[] = {"contiguous_format", "preserve_format", "channels_last",
                                "channels_last_3d"};
  return code >= 0 && code < 4 ? names[code] : nullptr;
}

// Frames of torch's own files are not the user's source line.
bool isTorchInternal(llvm::StringRef file) {
  return file.contains("/site-packages/torch/") || file.contains("/dist-packages/torch/") ||
         file.starts_with("<");
}

// The innermost frame outside torch of a Python traceback text.
SourceLoc userFrame(llvm::StringRef trace) {
  SourceLoc best;
  llvm::SmallVector<llvm::StringRef, 16> lines;
  trace.split(lines, '\n');
  for (size_t i = 0; i < lines.size(); ++i) {
    llvm::StringRef l = lines[i].trim();
    if (!l.consume_front("File \""))
      continue;
    size_t q = l.find('"');
    if (q == llvm::StringRef::npos)
      continue;
    SourceLoc f;
    f.file = l.take_front(q);
    llvm::StringRef rest = l.drop_front(q + 1);
    if (rest.consume_front(", line ")) {
      unsigned line = 0;
      if (!rest.consumeInteger(10, line))
        f.line = line;
    }
    if (size_t in = rest.find(", in "); in != llvm::StringRef::npos)
      f.function = rest.drop_front(in + 5).trim();
    if (i + 1 < lines.size() && !lines[i + 1].trim().starts_with("File \""))
      f.code = lines[i + 1].trim();
    if (!isTorchInternal(f.file))
      best = f;
  }
  return best;
}

// The innermost entry of nn_module_stack ("key,path,type;key,path,type").
void innermostModule(llvm::StringRef stack, llvm::StringRef &path, llvm::StringRef &type) {
  llvm::StringRef last = stack.rsplit(';').second.empty() ? stack : stack.rsplit(';').second;
  // path and type never hold commas; the key (first field) may.
  auto [head, ty] = last.rsplit(',');
  auto [key, p] = head.rsplit(',');
  if (ty.empty() || head == last)
    return;
  path = p;
  type = ty;
}

// ---- types ----
const Type *Reader::tensorTypeOf(Scope &scope, llvm::StringRef name) {
  std::optional<J> meta;
  if (scope.tensorValues)
    meta = field(*scope.tensorValues, std::string_view(name.data(), name.size()));
  if (!meta)
    failNode("tensor value " + name.str() + " has no entry in tensor_values");
  std::optional<int64_t> code = field(*meta, "dtype") ? integer(*field(*meta, "dtype")) : std::nullopt;
  std::optional<DType> dt = code && *code >= 0 && *code <= 1000
                                ? dtypeFromPt2Code(static_cast<int>(*code))
                                : std::nullopt;
  if (!dt)
    failNode("tensor value " + name.str() + " has unknown dtype code " +
             (code ? std::to_string(*code) : "(none)"));
  llvm::SmallVector<const SymExpr *, 6> sizes, strides;
  for (J s : field(*meta, "sizes") ? array(*field(*meta, "sizes")) : std::vector<J>())
    sizes.push_back(symExprOf(s, "size of " + name.str()));
  for (J s : field(*meta, "strides") ? array(*field(*meta, "strides")) : std::vector<J>())
    strides.push_back(symExprOf(s, "stride of " + name.str()));
  if (!strides.empty() && strides.size() != sizes.size())
    failNode("tensor value " + name.str() + " has " + std::to_string(sizes.size()) +
             " sizes but " + std::to_string(strides.size()) + " strides");
  // (Context::tensorType drops strides that are the contiguous ones; a record without
  // strides says nothing about the layout.)
  std::string device = "cpu";
  if (auto dev = field(*meta, "device"))
    device = deviceName(*dev);
  if (strides.empty() && !sizes.empty())
    return ctx_.tensorTypeWithUnknownLayout(*dt, sizes, device);
  return ctx_.tensorType(*dt, sizes, strides, device);
}

std::string Reader::deviceName(J dev) {
  std::string type(strField(dev, "type", "cpu"));
  if (type.empty())
    type = "cpu";
  if (auto idx = field(dev, "index"))
    if (std::optional<int64_t> i = integer(*idx))
      return type + ":" + std::to_string(*i);
  return type;
}

// The value called `name` in this graph, made into an operand.
Value *Reader::lookup(Scope &scope, std::string_view name, const std::string &what) {
  auto it = scope.values.find(llvm::StringRef(name.data(), name.size()));
  if (it == scope.values.end())
    failNode(what + " refers to undefined value `" + std::string(name) + "`");
  return it->second;
}

const Type *Reader::symIntTypeOf(Scope &scope, llvm::StringRef name) {
  if (scope.symIntValues)
    if (auto v = field(*scope.symIntValues, std::string_view(name.data(), name.size())))
      return ctx_.symIntType(symExprOf(*v, "SymInt " + name.str()));
  return ctx_.symIntType(nullptr);
}

// ---- arguments ----
Attr Reader::operandRef(llvm::SmallVectorImpl<Value *> &operands, Value *v) {
  operands.push_back(v);
  return Attr::operand(static_cast<unsigned>(operands.size() - 1));
}

Attr Reader::floatAttr(J v, const std::string &what) {
  double d;
  if (!v.get(d))
    return Attr::floating(d);
  std::string_view s = str(v);
  if (s == "Infinity")
    return Attr::floating(INFINITY);
  if (s == "-Infinity")
    return Attr::floating(-INFINITY);
  if (s == "NaN")
    return Attr::floating(NAN);
  failNode(what + ": bad float");
}

Attr Reader::convertArg(Scope &scope, J arg, llvm::SmallVectorImpl<Value *> &operands,
                        const std::string &what) {
  auto [key, v] = unionKey(arg);
  auto ref = [&](J x) -> Attr {
    std::string_view n = strField(x, "name");
    if (n.empty())
      failNode(what + ": tensor argument without a name");
    return operandRef(operands, lookup(scope, n, what));
  };
  auto symRef = [&](J x, const char *literal) -> Attr {
    auto [k2, v2] = unionKey(x);
    if (k2 == "as_name")
      return operandRef(operands, lookup(scope, str(v2), what));
    if (k2 == literal) {
      if (k2 == std::string_view("as_int")) {
        if (std::optional<int64_t> i = integer(v2))
          return Attr::integer(*i);
      } else if (k2 == std::string_view("as_bool")) {
        return Attr::boolean(truthy(v2));
      } else {
        return floatAttr(v2, what);
      }
    }
    failNode(what + ": expected a symbolic value name or a literal");
  };
  auto list = [&](auto each) {
    std::vector<Attr> elems;
    for (J e : array(v))
      elems.push_back(each(e));
    return listOf(elems);
  };
  if (key == "as_none")
    return Attr::none();
  if (key == "as_tensor" || key == "as_optional_tensor") {
    if (key == "as_optional_tensor") {
      auto [k2, v2] = unionKey(v);
      if (k2 == "as_none")
        return Attr::none();
      return ref(v2);
    }
    return ref(v);
  }
  if (key == "as_tensors")
    // Resolved through the value tables: a while_loop carry can list a SymInt here.
    return list(ref);
  if (key == "as_optional_tensors")
    return list([&](J e) -> Attr {
      auto [k2, v2] = unionKey(e);
      if (k2 == "as_none")
        return Attr::none();
      if (k2 == "as_tensor")
        return ref(v2);
      failNode(what + ": optional tensor list element `" + std::string(k2) + "`");
    });
  if (key == "as_int") {
    if (std::optional<int64_t> i = integer(v))
      return Attr::integer(*i);
    failNode(what + ": bad integer");
  }
  if (key == "as_ints")
    return list([&](J e) {
      std::optional<int64_t> i = integer(e);
      if (!i)
        failNode(what + ": bad integer in list");
      return Attr::integer(*i);
    });
  if (key == "as_int_lists")
    return list([&](J e) {
      std::vector<Attr> inner;
      for (J x : array(e)) {
        std::optional<int64_t> i = integer(x);
        if (!i)
          failNode(what + ": bad integer in list of lists");
        inner.push_back(Attr::integer(*i));
      }
      return listOf(inner);
    });
  if (key == "as_float")
    return floatAttr(v, what);
  if (key == "as_floats")
    return list([&](J e) { return floatAttr(e, what); });
  if (key == "as_bool")
    return Attr::boolean(truthy(v));
  if (key == "as_bools")
    return list([&](J e) { return Attr::boolean(truthy(e)); });
  if (key == "as_string")
    return Attr::string(ctx_.intern(llvm::StringRef(str(v).data(), str(v).size())));
  if (key == "as_strings")
    return list([&](J e) {
      return Attr::string(ctx_.intern(llvm::StringRef(str(e).data(), str(e).size())));
    });
  if (key == "as_sym_int")
    return symRef(v, "as_int");
  if (key == "as_sym_ints")
    return list([&](J e) { return symRef(e, "as_int"); });
  if (key == "as_sym_bool")
    return symRef(v, "as_bool");
  if (key == "as_sym_bools")
    return list([&](J e) { return symRef(e, "as_bool"); });
  if (key == "as_sym_float")
    return symRef(v, "as_float");
  if (key == "as_sym_floats")
    return list([&](J e) { return symRef(e, "as_float"); });
  if (key == "as_scalar_type") {
    std::optional<int64_t> c = integer(v);
    std::optional<DType> dt = c ? dtypeFromPt2Code(static_cast<int>(*c)) : std::nullopt;
    if (!dt)
      failNode(what + ": unknown dtype code");
    return Attr::dtype(*dt);
  }
  if (key == "as_layout") {
    const char *n = layoutFromPt2(integer(v).value_or(-1));
    if (!n)
      failNode(what + ": unknown layout code");
    return Attr::layout(ctx_.intern(n));
  }
  if (key == "as_memory_format") {
    const char *n = memoryFormatFromPt2(integer(v).value_or(-1));
    if (!n)
      failNode(what + ": unknown memory format code");
    return Attr::memoryFormat(ctx_.intern(n));
  }
  if (key == "as_device")
    return Attr::device(ctx_.intern(deviceName(v)));
  if (key == "as_graph")
    failNode(what + ": a subgraph argument outside a higher-order op");
  if (key.empty())
    failNode(what + ": empty argument");
  failNode(what + ": argument kind `" + std::string(key) + "` is not supported by fxir");
}

// A schema default as an Attr (c10 enum numbers for dtype, layout, memory format).
Attr Reader::defaultAttr(const SchemaArgument &param) {
  const DefaultValue &d = *param.defaultValue;
  const SchemaType &t = param.type.stripOptional();
  std::string what = "default of argument " + param.name;
  auto scalar = [&](const DefaultValue &e) -> Attr {
    switch (e.kind) {
    case DefaultValue::Kind::None: return Attr::none();
    case DefaultValue::Kind::Bool: return Attr::boolean(e.boolValue);
    case DefaultValue::Kind::Float: return Attr::floating(e.floatValue);
    case DefaultValue::Kind::Str: return Attr::string(ctx_.intern(e.strValue));
    case DefaultValue::Kind::Int:
      if (t.kind == SchemaType::Kind::Float)
        return Attr::floating(static_cast<double>(e.intValue)); // `float? correction=1`
      if (t.kind == SchemaType::Kind::ScalarType) {
        std::optional<DType> dt = dtypeFromC10Code(static_cast<int>(e.intValue));
        if (!dt)
          failNode(what + ": c10 dtype " + std::to_string(e.intValue) + " has no fxir dtype");
        return Attr::dtype(*dt);
      }
      if (t.kind == SchemaType::Kind::Layout) {
        const char *n = layoutFromC10(e.intValue);
        if (!n)
          failNode(what + ": unknown c10 layout");
        return Attr::layout(ctx_.intern(n));
      }
      if (t.kind == SchemaType::Kind::MemoryFormat) {
        const char *n = memoryFormatFromC10(e.intValue);
        if (!n)
          failNode(what + ": unknown c10 memory format");
        return Attr::memoryFormat(ctx_.intern(n));
      }
      return Attr::integer(e.intValue);
    default:
      failNode(what + ": unsupported default `" + e.text + "`");
    }
  };
  if (d.kind == DefaultValue::Kind::List) {
    std::vector<Attr> elems;
    for (const DefaultValue &e : d.elems)
      elems.push_back(scalar(e));
    return listOf(elems);
  }
  // `int[2] padding=0`: one number for the whole list.
  if (t.isList() && t.fixedSize > 0 && d.kind == DefaultValue::Kind::Int)
    return listOf(std::vector<Attr>(t.fixedSize, Attr::integer(d.intValue)));
  return scalar(d);
}

// ---- nodes ----
const Provenance *Reader::nodeProvenance(J node, llvm::ArrayRef<Value *> operands) {
  Provenance p;
  p.nodeName = ctx_.intern(node_);
  if (auto meta = field(node, "metadata")) {
    if (auto st = field(*meta, "stack_trace")) {
      std::string_view s = str(*st);
      SourceLoc loc = userFrame(llvm::StringRef(s.data(), s.size()));
      p.source.file = ctx_.intern(loc.file);
      p.source.line = loc.line;
      p.source.function = ctx_.intern(loc.function);
      p.source.code = ctx_.intern(loc.code);
    }
    if (auto ms = field(*meta, "nn_module_stack")) {
      std::string_view s = str(*ms);
      llvm::StringRef path, type;
      innermostModule(llvm::StringRef(s.data(), s.size()), path, type);
      p.modulePath = ctx_.intern(path);
      p.moduleType = ctx_.intern(type);
    }
  }
  // Ops in a HOP body whose metadata names no module are in the HOP's module.
  if (p.modulePath.empty() && p.moduleType.empty() && enclosing_) {
    p.modulePath = enclosing_->modulePath;
    p.moduleType = enclosing_->moduleType;
  }
  // The parameter or buffer this op reads, if any: the link from FQN to module to op
  // that non-strict exports lose with from_node.
  for (Value *v : operands)
    if (auto it = paramOf_.find(v); it != paramOf_.end()) {
      p.paramFqn = it->second;
      break;
    }
  return ctx_.provenance(p);
}

std::string Reader::nodeTarget(J node) {
  std::string_view t = strField(node, "target");
  if (t.empty())
    failNode("no target");
  return std::string(t);
}

// Results of a node: one per output element.
void Reader::resultsOf(Scope &scope, J node, llvm::SmallVectorImpl<const Type *> &types,
                       llvm::SmallVectorImpl<std::string> &names) {
  for (J out : field(node, "outputs") ? array(*field(node, "outputs")) : std::vector<J>()) {
    auto [k, v] = unionKey(out);
    auto tensor = [&](J t) {
      std::string n(strField(t, "name"));
      types.push_back(tensorTypeOf(scope, n));
      names.push_back(n);
    };
    if (k == "as_tensor") {
      tensor(v);
    } else if (k == "as_tensors") {
      for (J e : array(v))
        tensor(e);
    } else if (k == "as_optional_tensors") {
      for (J e : array(v)) {
        auto [k2, v2] = unionKey(e);
        if (k2 == "as_tensor") {
          tensor(v2);
        } else {
          types.push_back(ctx_.noneType());
          names.push_back("");
        }
      }
    } else if (k == "as_sym_int" || k == "as_sym_bool" || k == "as_sym_float") {
      auto [k2, v2] = unionKey(v);
      std::string n(k2 == "as_name" ? str(v2) : "");
      types.push_back(k == "as_sym_int"    ? symIntTypeOf(scope, n)
                      : k == "as_sym_bool" ? ctx_.symBoolType()
                                           : ctx_.symFloatType());
      names.push_back(n);
    } else if (k == "as_none") {
      types.push_back(ctx_.noneType());
      names.push_back("");
    } else if (k == "as_int") {
      types.push_back(ctx_.intType());
      names.push_back("");
    } else if (k == "as_ints") {
      types.push_back(ctx_.listType(ctx_.intType()));
      names.push_back("");
    } else {
      failNode("output kind `" + std::string(k) + "` is not supported by fxir");
    }
  }
}

void Reader::bindResults(Scope &scope, Op *op, llvm::ArrayRef<std::string> names) {
  for (unsigned i = 0; i < op->numResults(); ++i) {
    if (names[i].empty())
      continue;
    Name n = ctx_.name(names[i]);
    op->result(i)->setName(n);
    scope.values[n.str()] = op->result(i);
  }
}

void Reader::convertNode(Scope &scope, Builder &b, J node) {
  node_ = std::string(strField(node, "name", "<unnamed>"));
  std::string target = nodeTarget(node);
  llvm::StringRef t(target);
  llvm::SmallVector<Value *, 8> operands;
  llvm::SmallVector<Arg, 8> args;
  std::vector<J> inputs = field(node, "inputs") ? array(*field(node, "inputs")) : std::vector<J>();
  unsigned numRegions = 0;
  std::vector<J> subgraphs;                // HOP bodies, converted once the op exists
  llvm::SmallVector<Value *, 8> listOperands; // what feeds the bodies' arguments
  std::string opName;
  const OpSchema *schema = nullptr;

  if (t.consume_front("torch.ops.higher_order.")) {
    static const std::set<std::string> kSupported = {"scan", "cond", "while_loop", "map_impl"};
    if (!kSupported.count(t.str()))
      failNode("higher-order op " + target + " is not supported by fxir (supported: scan, "
               "cond, while_loop, map_impl)");
    opName = "higher_order." + t.str();
    // Operands first (all args but subgraphs), then subgraphs, whose arguments take
    // the parameter FQNs of the operands they receive.
    std::vector<std::pair<size_t, J>> graphs;
    for (size_t i = 0; i < inputs.size(); ++i) {
      std::optional<J> arg = field(inputs[i], "arg");
      if (!arg)
        failNode("input " + std::to_string(i) + " has no arg");
      if (auto g = field(*arg, "as_graph")) {
        graphs.push_back({args.size(), *g});
        args.push_back({{}, Attr::region(numRegions++)});
        continue;
      }
      args.push_back({{}, convertArg(scope, *arg, operands, "input " + std::to_string(i))});
    }
    // Region arguments line up with the operands of the list args, in order (scan:
    // init, xs, additional; cond: operands; while_loop: carried, additional; map_impl:
    // xs, pos_args).
    for (const Arg &a : args)
      if (a.value.kind() == Attr::Kind::List)
        for (const Attr &e : a.value.listValue())
          if (e.kind() == Attr::Kind::Operand)
            listOperands.push_back(operands[e.index()]);
    for (auto &[argIndex, g] : graphs) {
      std::optional<J> sub = field(g, "graph");
      if (!sub)
        failNode("subgraph without a graph");
      subgraphs.push_back(*sub);
    }
  } else if (t.consume_front("torch.ops.")) {
    llvm::SmallVector<llvm::StringRef, 4> parts;
    t.split(parts, '.');
    if (parts.size() != 3)
      failNode("target " + target + " is not of the form torch.ops.<ns>.<op>.<overload>");
    opName = t.str();
    absl::StatusOr<const OpSchema *> schemaOr = OpSchemaTable::builtin().lookup(
        (parts[0] + "::" + parts[1]).str(), parts[2]);
    if (!schemaOr.ok())
      failNode(std::string(schemaOr.status().message()));
    const OpSchema &s = **schemaOr;
    schema = &s;
    llvm::StringMap<J> byName;
    size_t positional = 0;
    for (J in : inputs) {
      std::string n(strField(in, "name"));
      std::optional<J> arg = field(in, "arg");
      if (!arg)
        failNode("input " + n + " has no arg");
      if (n.empty()) { // unnamed: by position
        if (positional >= s.arguments.size())
          failNode("too many arguments for " + s.str());
        n = s.arguments[positional].name;
      }
      ++positional;
      if (!s.argumentIndex(n))
        failNode(s.fullName() + " has no argument `" + n + "` (" + s.str() + ")");
      if (!byName.try_emplace(n, *arg).second)
        failNode("argument `" + n + "` is given twice");
    }
    for (const SchemaArgument &param : s.arguments) {
      Attr value;
      auto it = byName.find(param.name);
      if (it != byName.end())
        value = convertArg(scope, it->second, operands, "argument " + param.name);
      else if (param.defaultValue)
        value = defaultAttr(param);
      else
        failNode("argument `" + param.name + "` of " + s.fullName() +
                 " is missing and has no default");
      args.push_back({param.kwargOnly ? llvm::StringRef(ctx_.intern(param.name))
                                      : llvm::StringRef(),
                      value});
    }
  } else {
    // Python-level ops (_operator.add, torch.sym_max, math.trunc, ...): positional.
    if (!isPythonLevelOp(target))
      failNode("unknown target `" + target + "` (not torch.ops.*, _operator.*, math.*, "
               "torch.* or builtins.*)");
    opName = target;
    for (size_t i = 0; i < inputs.size(); ++i) {
      std::optional<J> arg = field(inputs[i], "arg");
      if (!arg)
        failNode("input " + std::to_string(i) + " has no arg");
      args.push_back({{}, convertArg(scope, *arg, operands, "input " + std::to_string(i))});
    }
  }

  llvm::SmallVector<const Type *, 4> types;
  llvm::SmallVector<std::string, 4> names;
  resultsOf(scope, node, types, names);
  const Provenance *prov = nodeProvenance(node, operands);
  Op *op = b.create(opName, operands, args, types, prov, numRegions);
  // Bodies are built straight into the op's regions; their ops inherit the HOP's
  // module when their own metadata has none (non-strict exports).
  std::string saved = node_;
  for (unsigned i = 0; i < numRegions; ++i) {
    convertGraph(subgraphs[i], op->region(i), nullptr, listOperands, prov);
    node_ = saved;
  }
  // A view or in-place result aliases an argument: it reads the same parameter.
  if (schema)
    for (unsigned i = 0; i < op->numResults(); ++i)
      if (std::optional<unsigned> a = schema->aliasedArgument(i)) {
        // The reader writes every schema argument, in schema order.
        Attr value = op->args()[*a].value;
        if (value.kind() == Attr::Kind::Operand)
          propagateParam(op->operandValue(value.index()), op->result(i));
      }
  // The node against its schema (or its HOP layout), so a graph the reader returns
  // verifies and a bad node is reported as the node it is.
  std::vector<Diagnostic> diags;
  if (!verifyOp(*op, diags)) {
    std::string msg;
    for (const Diagnostic &d : diags)
      msg += (msg.empty() ? "" : "; ") + d.message;
    failNode(msg);
  }
  bindResults(scope, op, names);
}

// A constant graph output or input (3, None, 0.5, true) as a value.
Value *Reader::constantValue(Builder &b, J arg, const std::string &what) {
  llvm::SmallVector<Value *, 1> none;
  auto [k, v] = unionKey(arg);
  const Type *t = k == "as_int"      ? ctx_.intType()
                  : k == "as_float"  ? ctx_.floatType()
                  : k == "as_bool"   ? ctx_.boolType()
                  : k == "as_string" ? ctx_.strType()
                  : k == "as_none"   ? ctx_.noneType()
                                     : nullptr;
  if (!t)
    failNode(what + ": constant of kind `" + std::string(k) + "` is not supported");
  Scope empty;
  Attr a = convertArg(empty, arg, none, what);
  Provenance p;
  p.nodeName = ctx_.intern(node_);
  return b.create(FxirOp::Constant, {}, {{{}, a}}, {t}, ctx_.provenance(p))->result(0);
}

// Converts a graph (top level or subgraph) into `region`. `argParams` are the values
// whose parameter FQNs flow to the region's arguments, by position.
void Reader::convertGraph(J graph, Region &region, Graph *top, llvm::ArrayRef<Value *> argParams,
                          const Provenance *enclosing) {
  const Provenance *savedEnclosing = enclosing_;
  enclosing_ = enclosing;
  Scope scope;
  scope.graph = graph;
  scope.tensorValues = field(graph, "tensor_values");
  scope.symIntValues = field(graph, "sym_int_values");
  std::string saved = node_;
  node_ = "<inputs>";
  std::vector<J> inputs = field(graph, "inputs") ? array(*field(graph, "inputs")) : std::vector<J>();
  // Subgraph regions belong to ops of the program's graph, built already.
  Builder b(*prog_.graph);
  b.setInsertionPointToEnd(region);
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto [k, v] = unionKey(inputs[i]);
    Value *arg = nullptr;
    std::string name;
    if (k == "as_tensor") {
      name = std::string(strField(v, "name"));
      arg = region.addArg(tensorTypeOf(scope, name), ctx_.name(name));
    } else if (k == "as_sym_int" || k == "as_sym_bool" || k == "as_sym_float") {
      auto [k2, v2] = unionKey(v);
      name = std::string(k2 == "as_name" ? str(v2) : "");
      const Type *ty = k == "as_sym_int"    ? symIntTypeOf(scope, name)
                       : k == "as_sym_bool" ? ctx_.symBoolType()
                                            : ctx_.symFloatType();
      arg = region.addArg(ty, ctx_.name(name));
    } else if (k == "as_int" || k == "as_float" || k == "as_bool" || k == "as_string" ||
               k == "as_none") {
      // A specialized non-tensor input (constant_input): an input of its scalar type.
      const Type *ty = k == "as_int" ? ctx_.intType() : k == "as_float" ? ctx_.floatType()
                       : k == "as_bool" ? ctx_.boolType() : k == "as_string" ? ctx_.strType()
                                                                            : ctx_.noneType();
      arg = region.addArg(ty, {});
    } else if (k == "as_custom_obj") {
      fail(entry_ + ": graph input " + std::to_string(i) +
           " is a custom object (TorchScript class), which fxir does not support");
    } else {
      fail(entry_ + ": graph input " + std::to_string(i) + " of kind `" + std::string(k) +
           "` is not supported by fxir");
    }
    if (!name.empty())
      scope.values[ctx_.intern(name)] = arg;
    if (i < argParams.size())
      propagateParam(argParams[i], arg);
  }
  if (top)
    bindSignatureParams(*top);
  for (J node : field(graph, "nodes") ? array(*field(graph, "nodes")) : std::vector<J>())
    convertNode(scope, b, node);
  // Outputs.
  node_ = "<outputs>";
  llvm::SmallVector<Value *, 8> outs;
  for (J out : field(graph, "outputs") ? array(*field(graph, "outputs")) : std::vector<J>()) {
    auto [k, v] = unionKey(out);
    if (k == "as_tensor")
      outs.push_back(lookup(scope, strField(v, "name"), "output"));
    else if (k == "as_sym_int" || k == "as_sym_bool" || k == "as_sym_float") {
      auto [k2, v2] = unionKey(v);
      if (k2 == "as_name")
        outs.push_back(lookup(scope, str(v2), "output"));
      else
        outs.push_back(constantValue(b, v, "output"));
    } else if (k == "as_tensors") {
      for (J e : array(v))
        outs.push_back(lookup(scope, strField(e, "name"), "output"));
    } else {
      outs.push_back(constantValue(b, out, "output"));
    }
  }
  Provenance p;
  p.nodeName = ctx_.intern("output");
  llvm::SmallVector<Arg, 8> yieldArgs;
  for (unsigned i = 0; i < outs.size(); ++i)
    yieldArgs.push_back({{}, Attr::operand(i)});
  b.create(FxirOp::Yield, outs, yieldArgs, {}, ctx_.provenance(p));
  node_ = saved;
  enclosing_ = savedEnclosing;
}

} // namespace fxir::pt2::detail
