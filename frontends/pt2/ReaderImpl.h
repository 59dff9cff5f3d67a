//===- ReaderImpl.h - the .pt2 reader's internals (not installed API) -------------===//
//
// The Reader class and what its parts share. Its methods are spread over the files of
// frontends/pt2 along the seams of an archive:
//   Reader.cpp           the entry points, the archive layout and the model header
//   ReaderSymbols.cpp    shape symbols, their ranges and hints
//   ReaderWeights.cpp    the weights and constants configs, extents, the signature's
//                        tensors
//   ReaderNodes.cpp      FX nodes into ops: arguments by schema, defaults, results,
//                        provenance, subgraphs
//   ReaderSignature.cpp  input and output specs, the program graph
// Errors are thrown as ReadError and turned into an absl::Status at the API edge
// (readProgram); no exception leaves the reader.
//===----------------------------------------------------------------------------===//
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "fxir/frontends/pt2/Archive.h"
#include "fxir/ir/Builder.h"
#include "fxir/ir/OpSchema.h"
#include "fxir/ir/Program.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

namespace fxir::pt2::detail {

using J = simdjson::dom::element;

struct ReadError {
  std::string message;
};

// ---- tolerant JSON access ------------------------------------------------------------

inline std::optional<J> field(J obj, std::string_view key) {
  simdjson::dom::object o;
  if (obj.get(o))
    return std::nullopt;
  J v;
  if (o[key].get(v) || v.is_null())
    return std::nullopt;
  return v;
}

inline bool truthy(J v) {
  bool b = false;
  return !v.get(b) && b;
}

inline std::string_view str(J v) {
  std::string_view s;
  return v.get(s) ? std::string_view() : s;
}

// The string member `key` of `obj`, or `fallback` when it is missing, null or no string.
inline std::string_view strField(J obj, std::string_view key, std::string_view fallback = {}) {
  std::optional<J> f = field(obj, key);
  return f ? str(*f) : fallback;
}

inline std::optional<int64_t> integer(J v) {
  int64_t i;
  if (!v.get(i))
    return i;
  uint64_t u;
  if (!v.get(u) && u <= static_cast<uint64_t>(INT64_MAX))
    return static_cast<int64_t>(u);
  return std::nullopt;
}

inline std::vector<J> array(J v) {
  std::vector<J> out;
  simdjson::dom::array a;
  if (!v.get(a))
    for (J e : a)
      out.push_back(e);
  return out;
}

// The single key of a union object ({"as_tensor": {...}}), skipping null members.
inline std::pair<std::string_view, J> unionKey(J v) {
  simdjson::dom::object o;
  if (!v.get(o))
    for (auto [k, val] : o)
      if (!val.is_null())
        return {k, val};
  return {{}, v};
}

// ---- enums the serializer writes (ReaderNodes.cpp) ----------------------------------
const char *layoutFromPt2(int64_t code);
const char *memoryFormatFromPt2(int64_t code);
// c10's numbering, which operator schema defaults use.
const char *layoutFromC10(int64_t code);
const char *memoryFormatFromC10(int64_t code);

// ---- provenance from node metadata (ReaderNodes.cpp) ---------------------------------
// Frames of torch's own files are not the user's source line.
bool isTorchInternal(llvm::StringRef file);
// The innermost frame outside torch of a Python traceback text.
SourceLoc userFrame(llvm::StringRef trace);
// The innermost entry of nn_module_stack ("key,path,type;key,path,type").
void innermostModule(llvm::StringRef stack, llvm::StringRef &path, llvm::StringRef &type);

// ---- the reader ----------------------------------------------------------------------

struct Scope {
  J graph;
  llvm::StringMap<Value *> values;
  std::optional<J> tensorValues, symIntValues, symBoolValues, symFloatValues;
};

class Reader {
public:
  Reader(const Archive &archive, Program &prog)
      : archive_(&archive), name_(archive.path()), prog_(prog), ctx_(*prog.context) {}
  /// An exported program's JSON already in memory (no archive): `prog.weights` holds
  /// its tensors already; `name` is used in messages.
  Reader(llvm::StringRef modelJson, const std::string &name, Program &prog)
      : archive_(nullptr), name_(name), modelJson_(modelJson), prog_(prog),
        ctx_(*prog.context) {}

  void run();

private:
  const Archive *archive_; ///< null for an in-memory program
  std::string name_;       ///< the archive's path, or the in-memory program's name
  llvm::StringRef modelJson_;
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
    throw ReadError{name_ + ": " + msg};
  }
  [[noreturn]] void failNode(const std::string &msg) const {
    fail(entry_ + ": node " + node_ + ": " + msg);
  }

  llvm::StringRef entryText(const std::string &rel);
  void checkFormat();
  std::string findModelEntry();
  void readHeader();

  // ---- symbols ----
  // Every SymInt expression in the program ({"expr_str", "hint"} objects, in value
  // tables and tensor sizes/strides alike, subgraphs included), in one walk.
  struct ExprSeen {
    std::string_view text;
    std::optional<int64_t> hint;
  };
  void collectExprs(J v, std::vector<ExprSeen> &out, int depth);
  void declareSymbols();
  const SymExpr *symExprOf(J symInt, const std::string &what);

  // ---- weights and constants ----
  void readTensors(const std::string &configEntry, const std::string &dir, bool constants);

  // The bytes a tensor's sizes, strides and offset reach must lie in its storage.
  // Arithmetic is checked, so absurd sizes are an error, not an overflow.
  void checkExtent(const TensorData &t, const std::string &where);

  // ---- types ----
  const Type *tensorTypeOf(Scope &scope, llvm::StringRef name);
  std::string deviceName(J dev);

  // The value called `name` in this graph, made into an operand.
  Value *lookup(Scope &scope, std::string_view name, const std::string &what);
  const Type *symIntTypeOf(Scope &scope, llvm::StringRef name);

  // ---- arguments ----
  Attr operandRef(llvm::SmallVectorImpl<Value *> &operands, Value *v);
  Attr floatAttr(J v, const std::string &what);
  Attr listOf(const std::vector<Attr> &elems) { return Attr::list(ctx_.copy<Attr>(elems)); }

  Attr convertArg(Scope &scope, J arg, llvm::SmallVectorImpl<Value *> &operands,
                  const std::string &what);

  // A schema default as an Attr (c10 enum numbers for dtype, layout, memory format).
  Attr defaultAttr(const SchemaArgument &param);

  // ---- nodes ----
  const Provenance *nodeProvenance(J node, llvm::ArrayRef<Value *> operands);
  std::string nodeTarget(J node);

  // Results of a node: one per output element.
  void resultsOf(Scope &scope, J node, llvm::SmallVectorImpl<const Type *> &types,
                 llvm::SmallVectorImpl<std::string> &names);
  void bindResults(Scope &scope, Op *op, llvm::ArrayRef<std::string> names);
  void convertNode(Scope &scope, Builder &b, J node);

  // A constant graph output or input (3, None, 0.5, true) as a value.
  Value *constantValue(Builder &b, J arg, const std::string &what);

  // Converts a graph (top level or subgraph) into `region`. `argParams` are the values
  // whose parameter FQNs flow to the region's arguments, by position.
  void convertGraph(J graph, Region &region, Graph *top, llvm::ArrayRef<Value *> argParams,
                    const Provenance *enclosing = nullptr);

  // Every parameter, buffer and tensor constant the signature names has stored data of
  // the placeholder's dtype and shape.
  void checkTensorsAgainstSignature();
  // Marks the constants that are another stored tensor (InputSpec::shares).
  void markSharedConstants();

  // ---- signature ----
  std::optional<J> signature();
  void readInputSpecs(Graph &g);
  void bindSignatureParams(Graph &g);
  void readOutputSpecs(Graph &g);
  void readProgramGraph();
};

} // namespace fxir::pt2::detail
