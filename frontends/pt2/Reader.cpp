//===- Reader.cpp - model.json to fxir IR -----------------------------------------===//
//
// Errors inside the reader are thrown as ReadError and turned into an absl::Status at
// the API edge; no exception leaves this file.
//===----------------------------------------------------------------------------===//
#include "fxir/frontends/pt2/Reader.h"

#include <cmath>
#include <map>
#include <set>

#include <simdjson.h>

#include "fxir/frontends/pt2/Sympy.h"
#include "fxir/ir/Builder.h"
#include "fxir/ir/OpSchema.h"
#include "fxir/ir/Verifier.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"

namespace fxir::pt2 {

namespace {

using J = simdjson::dom::element;

struct ReadError {
  std::string message;
};

// ---- tolerant JSON access ------------------------------------------------------------

std::optional<J> field(J obj, std::string_view key) {
  simdjson::dom::object o;
  if (obj.get(o))
    return std::nullopt;
  J v;
  if (o[key].get(v) || v.is_null())
    return std::nullopt;
  return v;
}

bool truthy(J v) {
  bool b = false;
  return !v.get(b) && b;
}

std::string_view str(J v) {
  std::string_view s;
  return v.get(s) ? std::string_view() : s;
}

// The string member `key` of `obj`, or `fallback` when it is missing, null or no string.
std::string_view strField(J obj, std::string_view key, std::string_view fallback = {}) {
  std::optional<J> f = field(obj, key);
  return f ? str(*f) : fallback;
}

std::optional<int64_t> integer(J v) {
  int64_t i;
  if (!v.get(i))
    return i;
  uint64_t u;
  if (!v.get(u) && u <= static_cast<uint64_t>(INT64_MAX))
    return static_cast<int64_t>(u);
  return std::nullopt;
}

std::vector<J> array(J v) {
  std::vector<J> out;
  simdjson::dom::array a;
  if (!v.get(a))
    for (J e : a)
      out.push_back(e);
  return out;
}

// The single key of a union object ({"as_tensor": {...}}), skipping null members.
std::pair<std::string_view, J> unionKey(J v) {
  simdjson::dom::object o;
  if (!v.get(o))
    for (auto [k, val] : o)
      if (!val.is_null())
        return {k, val};
  return {{}, v};
}

// ---- enums the serializer writes --------------------------------------------------------

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

// ---- provenance from node metadata -------------------------------------------------------

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

// ---- the reader ------------------------------------------------------------------------

struct Scope {
  J graph;
  llvm::StringMap<Value *> values;
  std::optional<J> tensorValues, symIntValues, symBoolValues, symFloatValues;
};

class Reader {
public:
  Reader(const Archive &archive, Program &prog)
      : archive_(archive), prog_(prog), ctx_(*prog.context) {}

  void run() {
    checkFormat();
    std::string modelEntry = findModelEntry();
    llvm::StringRef text = entryText(modelEntry);
    json_ = simdjson::padded_string(text.data(), text.size());
    if (auto err = parser_.parse(json_).get(root_))
      fail(modelEntry + ": malformed JSON: " + simdjson::error_message(err));
    entry_ = modelEntry;
    readHeader();
    declareSymbols();
    // models/<name>.json goes with data/weights/<name>_weights_config.json and
    // data/constants/<name>_constants_config.json.
    std::string model = llvm::StringRef(modelEntry).drop_front(7).drop_back(5).str();
    readTensors("data/weights/" + model + "_weights_config.json", "data/weights/", false);
    readTensors("data/constants/" + model + "_constants_config.json", "data/constants/", true);
    readProgramGraph();
    checkTensorsAgainstSignature();
    // Every node was checked as it was read; the whole graph (SSA, signature, use
    // lists) is checked once more, so what the reader returns always verifies.
    if (absl::Status st = verify(*prog_.graph); !st.ok())
      fail(entry_ + ": the imported graph does not verify: " + std::string(st.message()));
  }

private:
  const Archive &archive_;
  Program &prog_;
  Context &ctx_;
  simdjson::dom::parser parser_;
  simdjson::padded_string json_;
  J root_;
  std::string entry_;
  std::string node_; // the node being read, for messages
  llvm::DenseMap<const Value *, llvm::StringRef> paramOf_;

  // `to` reads the parameter `from` reads, if any. The name is copied out before the
  // insertion: `paramOf_[to]` may grow the map and free the bucket a reference into it
  // would point at (a use-after-free found on a real static-cache decode export).
  void propagateParam(const Value *from, const Value *to) {
    auto it = paramOf_.find(from);
    if (it == paramOf_.end())
      return;
    llvm::StringRef fqn = it->second;
    paramOf_[to] = fqn;
  }
  const Provenance *enclosing_ = nullptr; // the HOP whose body is being read
  // Copies of compressed storages, by entry (also in the program's keepAlive).
  std::map<std::string, std::shared_ptr<std::vector<uint8_t>>> inflated_;

  [[noreturn]] void fail(const std::string &msg) const {
    throw ReadError{archive_.path() + ": " + msg};
  }
  [[noreturn]] void failNode(const std::string &msg) const {
    fail(entry_ + ": node " + node_ + ": " + msg);
  }

  llvm::StringRef entryText(const std::string &rel) {
    absl::StatusOr<llvm::StringRef> t = archive_.readText(rel);
    if (!t.ok())
      throw ReadError{std::string(t.status().message())};
    return *t;
  }

  void checkFormat() {
    if (archive_.has("serialized_exported_program.json") || archive_.has("data/weights/model.pt"))
      fail("unsupported archive layout (serialized_exported_program.json / pickled "
           "weights: written by torch 2.7 or older); re-save it with torch 2.13");
    if (!archive_.has("archive_format"))
      fail("not a torch.export archive: no " + archive_.topFolder() + "/archive_format entry");
    llvm::StringRef format = entryText("archive_format").trim();
    if (format != "pt2")
      fail("archive_format is `" + format.str() + "`, expected `pt2`");
    if (archive_.has("byteorder")) {
      llvm::StringRef order = entryText("byteorder").trim();
      if (order != "little")
        fail("byteorder is `" + order.str() + "`; fxir reads little-endian archives only");
    }
    if (archive_.has("archive_version")) {
      llvm::StringRef v = entryText("archive_version").trim();
      if (v != "0")
        fail("unsupported archive_version " + v.str() + " (fxir reads version 0)");
    }
  }

  std::string findModelEntry() {
    std::vector<std::string> models;
    for (const std::string &e : archive_.entries())
      if (llvm::StringRef(e).starts_with("models/") && llvm::StringRef(e).ends_with(".json") &&
          e.size() > 12)
        models.push_back(e);
    if (models.empty())
      fail("no models/<name>.json entry (the exported program) in the archive");
    if (models.size() > 1)
      fail("holds " + std::to_string(models.size()) + " programs (models/*.json); fxir reads "
           "archives with one");
    return models[0];
  }

  void readHeader() {
    std::optional<J> sv = field(root_, "schema_version");
    if (!sv)
      fail(entry_ + ": no schema_version");
    prog_.meta.schemaMajor = static_cast<int>(field(*sv, "major") ? integer(*field(*sv, "major")).value_or(-1) : -1);
    prog_.meta.schemaMinor = static_cast<int>(field(*sv, "minor") ? integer(*field(*sv, "minor")).value_or(0) : 0);
    if (prog_.meta.schemaMajor != kSupportedSchemaMajor)
      fail(entry_ + ": unsupported schema version " + std::to_string(prog_.meta.schemaMajor) + "." +
           std::to_string(prog_.meta.schemaMinor) + " (fxir reads major version " +
           std::to_string(kSupportedSchemaMajor) + ", which torch 2.13 writes)");
    if (auto tv = field(root_, "torch_version"))
      prog_.meta.torchVersion = std::string(str(*tv));
    if (auto ver = field(root_, "verifiers")) {
      std::vector<J> vs = array(*ver);
      if (!vs.empty())
        prog_.meta.dialect = std::string(str(vs[0]));
    }
    if (!field(root_, "graph_module") || !field(*field(root_, "graph_module"), "graph"))
      fail(entry_ + ": no graph_module.graph");
  }

  // ---- symbols ----
  // Every SymInt expression in the program ({"expr_str", "hint"} objects, in value
  // tables and tensor sizes/strides alike, subgraphs included), in one walk.
  struct ExprSeen {
    std::string_view text;
    std::optional<int64_t> hint;
  };
  void collectExprs(J v, std::vector<ExprSeen> &out, int depth) {
    if (depth > 200)
      fail(entry_ + ": JSON nested too deeply");
    simdjson::dom::object o;
    simdjson::dom::array a;
    if (!v.get(o)) {
      if (auto es = field(v, "expr_str")) {
        std::optional<int64_t> hint;
        if (auto h = field(v, "hint"))
          if (auto hi = field(*h, "as_int"))
            hint = integer(*hi);
        out.push_back({str(*es), hint});
        return;
      }
      for (auto [k, val] : o)
        collectExprs(val, out, depth + 1);
    } else if (!v.get(a)) {
      for (J e : a)
        collectExprs(e, out, depth + 1);
    }
  }

  void declareSymbols() {
    std::vector<ExprSeen> exprs;
    collectExprs(*field(root_, "graph_module"), exprs, 0);
    struct Info {
      bool positive = false;
      std::optional<int64_t> hint;
      bool sawHint = false;
    };
    std::map<std::string, Info> syms;
    for (const ExprSeen &e : exprs) {
      std::vector<SympySymbolRef> refs;
      llvm::StringRef text(e.text.data(), e.text.size());
      collectSympySymbols(text, refs);
      for (const SympySymbolRef &r : refs) {
        Info &info = syms[r.name];
        info.positive |= r.positive;
        info.sawHint |= e.hint.has_value();
      }
      // A bare symbol with a hint gives the symbol's hint.
      if (refs.size() == 1 && e.hint && text.trim().starts_with("Symbol"))
        syms[refs[0].name].hint = e.hint;
      else if (refs.size() == 1 && e.hint && text.trim() == refs[0].name)
        syms[refs[0].name].hint = e.hint;
    }
    // Ranges: range_constraints keys are plain forms; a bare symbol gives its range.
    std::map<std::string, std::pair<std::optional<int64_t>, std::optional<int64_t>>> ranges;
    if (auto rc = field(root_, "range_constraints")) {
      simdjson::dom::object o;
      if (!rc->get(o))
        for (auto [k, val] : o) {
          std::string key(k);
          std::optional<int64_t> lo, hi;
          if (auto m = field(val, "min_val"))
            lo = integer(*m);
          if (auto m = field(val, "max_val"))
            hi = integer(*m);
          ranges[key] = {lo, hi};
        }
    }
    for (auto &[name, info] : syms) {
      std::optional<int64_t> lo = info.positive ? std::optional<int64_t>(1) : std::nullopt, hi;
      if (auto it = ranges.find(name); it != ranges.end()) {
        lo = it->second.first;
        hi = it->second.second;
      }
      // A symbol never seen in an expression with a hint is data-dependent (unbacked).
      bool unbacked = !info.hint && !info.sawHint;
      std::optional<int64_t> hint = info.hint;
      if (hint && ((lo && *hint < *lo) || (hi && *hint > *hi)))
        fail(entry_ + ": symbol " + name + " has hint " + std::to_string(*hint) +
             " outside its range_constraints");
      if (lo && hi && *lo > *hi)
        fail(entry_ + ": range_constraints give symbol " + name + " the empty range [" +
             std::to_string(*lo) + ", " + std::to_string(*hi) + "]");
      absl::StatusOr<const Symbol *> s = ctx_.declareSymbol(name, lo, hi, hint, unbacked);
      if (!s.ok())
        fail(entry_ + ": " + std::string(s.status().message()));
    }
  }

  const SymExpr *symExprOf(J symInt, const std::string &what) {
    auto [k, v] = unionKey(symInt);
    if (k == "as_int") {
      std::optional<int64_t> i = integer(v);
      if (!i)
        fail(entry_ + ": " + what + ": bad integer");
      return ctx_.constant(*i);
    }
    if (k == "as_expr") {
      std::string_view es = strField(v, "expr_str");
      absl::StatusOr<const SymExpr *> e =
          parseSympy(ctx_, llvm::StringRef(es.data(), es.size()),
                     [&](llvm::StringRef n) { return ctx_.lookupSymbol(n); });
      if (!e.ok())
        fail(entry_ + ": " + what + ": " + std::string(e.status().message()));
      return *e;
    }
    fail(entry_ + ": " + what + ": expected a SymInt ({as_int} or {as_expr}), found `" +
         std::string(k) + "`");
  }

  // ---- weights and constants ----
  void readTensors(const std::string &configEntry, const std::string &dir, bool constants) {
    if (!archive_.has(configEntry))
      return; // archives without constants may lack the config
    llvm::StringRef text = entryText(configEntry);
    simdjson::dom::parser p;
    simdjson::padded_string padded(text.data(), text.size());
    J doc;
    if (auto err = p.parse(padded).get(doc))
      fail(configEntry + ": malformed JSON: " + simdjson::error_message(err));
    std::optional<J> config = field(doc, "config");
    simdjson::dom::object o;
    if (!config || config->get(o))
      return;
    for (auto [fqnView, meta] : o) {
      std::string fqn(fqnView);
      std::string where = configEntry + ": " + fqn;
      TensorData t;
      t.fqn = fqn;
      bool isParam = field(meta, "is_param") && bool(truthy(*field(meta, "is_param")));
      t.kind = isParam ? TensorData::Kind::Parameter
                       : constants ? TensorData::Kind::Constant : TensorData::Kind::Buffer;
      if (field(meta, "use_pickle") && truthy(*field(meta, "use_pickle")))
        fail(where + ": stored as a pickled tensor subclass (use_pickle); fxir never "
                     "unpickles archive contents");
      std::optional<J> tm = field(meta, "tensor_meta");
      if (!tm)
        fail(where + ": no tensor_meta");
      std::optional<int64_t> code = field(*tm, "dtype") ? integer(*field(*tm, "dtype")) : std::nullopt;
      std::optional<DType> dt = code && *code >= 0 && *code <= 1000
                                    ? dtypeFromPt2Code(static_cast<int>(*code))
                                    : std::nullopt;
      if (auto layout = field(*tm, "layout"))
        if (integer(*layout) != std::optional<int64_t>(7))
          fail(where + ": layout code " + std::to_string(integer(*layout).value_or(-1)) +
               " is not strided; fxir reads dense (strided) tensors only");
      if (!dt)
        fail(where + ": unknown dtype code " + (code ? std::to_string(*code) : "(none)"));
      t.dtype = *dt;
      auto ints = [&](const char *key) {
        std::vector<int64_t> out;
        for (J s : field(*tm, key) ? array(*field(*tm, key)) : std::vector<J>()) {
          auto [k, v] = unionKey(s);
          std::optional<int64_t> i = k == "as_int" ? integer(v) : std::nullopt;
          if (!i)
            fail(where + ": " + key + " must be concrete integers for stored tensors");
          out.push_back(*i);
        }
        return out;
      };
      t.sizes = ints("sizes");
      t.strides = ints("strides");
      if (t.strides.size() != t.sizes.size())
        fail(where + ": " + std::to_string(t.sizes.size()) + " sizes but " +
             std::to_string(t.strides.size()) + " strides");
      if (auto off = field(*tm, "storage_offset")) {
        auto [k, v] = unionKey(*off);
        t.storageOffset = k == "as_int" ? integer(v).value_or(-1) : -1;
      }
      t.requiresGrad = field(*tm, "requires_grad") && truthy(*field(*tm, "requires_grad"));
      std::string pathName = std::string(strField(meta, "path_name"));
      if (pathName.empty())
        fail(where + ": no path_name");
      t.storage = dir + pathName;
      absl::StatusOr<llvm::ArrayRef<uint8_t>> bytes = archive_.read(t.storage);
      if (!bytes.ok())
        fail(where + ": " + std::string(bytes.status().message()));
      t.storageBytes = *bytes;
      // A compressed entry was inflated into the Archive, which may not outlive the
      // program: the program keeps its own copy (one per storage).
      if (!archive_.isStored(t.storage)) {
        auto &copy = inflated_[t.storage];
        if (!copy) {
          copy = std::make_shared<std::vector<uint8_t>>(bytes->begin(), bytes->end());
          prog_.weights.keepAlive.push_back(copy);
        }
        t.storageBytes = *copy;
      }
      checkExtent(t, where);
      prog_.weights.tensors.push_back(std::move(t));
    }
  }

  // The bytes a tensor's sizes, strides and offset reach must lie in its storage.
  // Arithmetic is checked, so absurd sizes are an error, not an overflow.
  void checkExtent(const TensorData &t, const std::string &where) {
    bool empty = llvm::is_contained(t.sizes, 0);
    if (t.storageBytes.empty() && !empty)
      fail(where + ": storage " + t.storage + " is empty (a fake-tensor record); fxir "
                   "needs the tensor's data");
    if (t.storageOffset < 0)
      fail(where + ": negative or symbolic storage_offset");
    uint64_t maxIndex = static_cast<uint64_t>(t.storageOffset);
    for (size_t i = 0; i < t.sizes.size(); ++i) {
      if (t.sizes[i] < 0 || t.strides[i] < 0)
        fail(where + ": negative size or stride");
      if (t.sizes[i] == 0)
        return; // empty tensor reads nothing
      uint64_t step;
      if (__builtin_mul_overflow(static_cast<uint64_t>(t.sizes[i] - 1),
                                 static_cast<uint64_t>(t.strides[i]), &step) ||
          __builtin_add_overflow(maxIndex, step, &maxIndex))
        fail(where + ": sizes and strides overflow 64 bits");
    }
    uint64_t need;
    if (__builtin_add_overflow(maxIndex, 1, &need) ||
        __builtin_mul_overflow(need, static_cast<uint64_t>(byteSize(t.dtype)), &need))
      fail(where + ": sizes and strides overflow 64 bits");
    if (need > t.storageBytes.size())
      fail(where + ": needs " + std::to_string(need) + " bytes of storage " + t.storage +
           " but the entry holds " + std::to_string(t.storageBytes.size()));
  }

  // ---- types ----
  const Type *tensorTypeOf(Scope &scope, llvm::StringRef name) {
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

  std::string deviceName(J dev) {
    std::string type(strField(dev, "type", "cpu"));
    if (type.empty())
      type = "cpu";
    if (auto idx = field(dev, "index"))
      if (std::optional<int64_t> i = integer(*idx))
        return type + ":" + std::to_string(*i);
    return type;
  }

  // The value called `name` in this graph, made into an operand.
  Value *lookup(Scope &scope, std::string_view name, const std::string &what) {
    auto it = scope.values.find(llvm::StringRef(name.data(), name.size()));
    if (it == scope.values.end())
      failNode(what + " refers to undefined value `" + std::string(name) + "`");
    return it->second;
  }

  const Type *symIntTypeOf(Scope &scope, llvm::StringRef name) {
    if (scope.symIntValues)
      if (auto v = field(*scope.symIntValues, std::string_view(name.data(), name.size())))
        return ctx_.symIntType(symExprOf(*v, "SymInt " + name.str()));
    return ctx_.symIntType(nullptr);
  }

  // ---- arguments ----
  Attr operandRef(llvm::SmallVectorImpl<Value *> &operands, Value *v) {
    operands.push_back(v);
    return Attr::operand(static_cast<unsigned>(operands.size() - 1));
  }

  Attr floatAttr(J v, const std::string &what) {
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

  Attr listOf(const std::vector<Attr> &elems) { return Attr::list(ctx_.copy<Attr>(elems)); }

  Attr convertArg(Scope &scope, J arg, llvm::SmallVectorImpl<Value *> &operands,
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
  Attr defaultAttr(const SchemaArgument &param) {
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
  const Provenance *nodeProvenance(J node, llvm::ArrayRef<Value *> operands) {
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

  std::string nodeTarget(J node) {
    std::string_view t = strField(node, "target");
    if (t.empty())
      failNode("no target");
    return std::string(t);
  }

  // Results of a node: one per output element.
  void resultsOf(Scope &scope, J node, llvm::SmallVectorImpl<const Type *> &types,
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

  void bindResults(Scope &scope, Op *op, llvm::ArrayRef<std::string> names) {
    for (unsigned i = 0; i < op->numResults(); ++i) {
      if (names[i].empty())
        continue;
      Name n = ctx_.name(names[i]);
      op->result(i)->setName(n);
      scope.values[n.str()] = op->result(i);
    }
  }

  void convertNode(Scope &scope, Builder &b, J node) {
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
  Value *constantValue(Builder &b, J arg, const std::string &what) {
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
  void convertGraph(J graph, Region &region, Graph *top, llvm::ArrayRef<Value *> argParams,
                    const Provenance *enclosing = nullptr) {
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


  // Every parameter, buffer and tensor constant the signature names has stored data of
  // the placeholder's dtype and shape.
  void checkTensorsAgainstSignature() {
    Graph &g = *prog_.graph;
    for (unsigned i = 0; i < g.inputSpecs().size(); ++i) {
      const InputSpec &spec = g.inputSpecs()[i];
      if (spec.kind != InputSpec::Kind::Parameter && spec.kind != InputSpec::Kind::Buffer &&
          spec.kind != InputSpec::Kind::TensorConstant)
        continue;
      std::string what = entry_ + ": " + inputKindName(spec.kind).str() + " " + spec.target.str();
      const TensorData *t = prog_.weights.find(spec.target);
      if (!t)
        fail(what + " has no stored tensor in the weights or constants config");
      const Type *ty = g.body().arg(i)->type();
      if (!ty->isTensor())
        fail(what + " is not a tensor in the graph");
      if (ty->dtype() != t->dtype)
        fail(what + " is " + std::string(irName(ty->dtype())) + " in the graph but stored as " +
             std::string(irName(t->dtype)));
      bool sameShape = ty->rank() == t->sizes.size();
      for (size_t d = 0; sameShape && d < t->sizes.size(); ++d)
        sameShape = ty->shape()[d] == ctx_.constant(t->sizes[d]);
      if (!sameShape)
        fail(what + " has shape " + ty->str() + " in the graph but the stored tensor's sizes "
                    "differ");
    }
  }

  // ---- signature ----
  std::optional<J> signature() {
    return field(*field(root_, "graph_module"), "signature");
  }

  void readInputSpecs(Graph &g) {
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

  void bindSignatureParams(Graph &g) {
    readInputSpecs(g);
    for (unsigned i = 0; i < g.body().numArgs(); ++i) {
      const InputSpec &s = g.inputSpecs()[i];
      if (!s.target.empty() && s.kind != InputSpec::Kind::ConstantInput)
        paramOf_[g.body().arg(i)] = s.target;
    }
  }

  void readOutputSpecs(Graph &g) {
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

  void readProgramGraph() {
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
};

} // namespace

absl::StatusOr<std::unique_ptr<Program>> readProgram(const Archive &archive) {
  auto prog = std::make_unique<Program>();
  prog->path = archive.path();
  prog->context = std::make_unique<Context>();
  prog->meta.producer = "torch.export";
  prog->weights.keepAlive.push_back(archive.mapping());
  try {
    Reader(archive, *prog).run();
  } catch (const ReadError &e) {
    return absl::InvalidArgumentError(e.message);
  } catch (const std::bad_alloc &) {
    return absl::ResourceExhaustedError(archive.path() + ": out of memory while reading");
  }
  return prog;
}

absl::StatusOr<std::unique_ptr<Program>> readProgram(const std::string &path) {
  absl::StatusOr<std::unique_ptr<Archive>> archive = Archive::open(path);
  if (!archive.ok())
    return archive.status();
  return readProgram(**archive);
}

} // namespace fxir::pt2
