//===- Verifier.cpp -------------------------------------------------------------===//
#include "fxir/ir/Verifier.h"

#include "fxir/ir/ControlFlow.h"
#include "fxir/ir/OpSchema.h"

#include <cstring>

#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringSet.h"

namespace fxir {

Diagnostic Diagnostic::at(const Op *op, std::string message, Fault fault, Severity severity) {
  Diagnostic d = at(op ? op->provenance() : nullptr, std::move(message), fault, severity);
  d.op = op;
  return d;
}

Diagnostic Diagnostic::at(const Provenance *where, std::string message, Fault fault,
                          Severity severity) {
  Diagnostic d;
  if (where)
    d.loc = where->source;
  d.message = std::move(message);
  d.fault = fault;
  d.severity = severity;
  return d;
}

std::string Diagnostic::str(bool withCode) const {
  std::string out;
  if (loc.valid()) {
    out += loc.file + ":" + std::to_string(loc.line);
    if (loc.col)
      out += ":" + std::to_string(loc.col);
    out += ": ";
  }
  const char *kind = severity == Severity::Warning ? "warning: "
                     : severity == Severity::Note  ? "note: "
                     : fault == Fault::Internal    ? "internal error: "
                                                   : "error: ";
  out += kind + message;
  if (fault == Fault::Internal && severity == Severity::Error)
    out += " (an fxir bug: please report it with the program)";
  if (withCode && !loc.code.empty())
    out += "\n    " + loc.code;
  return out;
}

std::optional<std::pair<std::string, std::string>> splitDispatcherName(llvm::StringRef name) {
  llvm::SmallVector<llvm::StringRef, 4> parts;
  name.split(parts, '.');
  if (parts.size() != 3 || llvm::any_of(parts, [](llvm::StringRef p) { return p.empty(); }))
    return std::nullopt;
  std::string overload = parts[2] == "default" ? "" : parts[2].str();
  return std::make_pair(parts[0].str() + "::" + parts[1].str(), overload);
}

namespace {

// Namespaces of the operator schema table (aten, prims, quantized, ...).
const llvm::StringSet<> &dispatcherNamespaces() {
  static const llvm::StringSet<> *ns = [] {
    auto *s = new llvm::StringSet<>();
    for (const std::string &n : OpSchemaTable::builtin().namespaces())
      s->insert(n);
    return s;
  }();
  return *ns;
}

} // namespace

bool isPythonLevelOp(llvm::StringRef name) {
  return name.starts_with("higher_order.") || name.starts_with("_operator.") ||
         name.starts_with("math.") || name.starts_with("torch.") ||
         name.starts_with("builtins.");
}

namespace {

class Verifier {
public:
  Verifier(const Graph *g, std::vector<Diagnostic> &diags) : g_(g), diags_(diags) {}

  void run() {
    initWalked();
    const Region &body = g_->body();
    if (body.numArgs() != g_->inputSpecs().size())
      graphError("graph @" + g_->name().str() + " has " + std::to_string(body.numArgs()) +
                 " inputs but its signature lists " +
                 std::to_string(g_->inputSpecs().size()));
    verifyRegion(body, "the graph body");
    const Op *out = body.empty() ? nullptr : &body.ops().back();
    if (out && out->isTerminator() && out->numOperands() != g_->outputSpecs().size())
      error(*out, "the graph yields " + std::to_string(out->numOperands()) +
                      " values but its signature lists " +
                      std::to_string(g_->outputSpecs().size()) + " outputs");
    verifyUseLists();
  }

  /// The checks of one op that need no context (its args, name, schema or layout).
  void verifyOpLocal(const Op &op) {
    if (!op.provenance() || op.provenance()->empty())
      error(op, "op has no provenance");
    verifyArgs(op);
    verifyName(op);
  }

private:
  const Graph *g_; // null when checking single ops
  std::vector<Diagnostic> &diags_;
  // Which ops the walk has passed, so their results are visible where their region
  // encloses the use. Walk-local state only (nothing is written on the graph, so
  // several threads may verify one graph at once): a bit per op serial when the
  // graph's serials are dense, which they are unless it was rewritten a lot, else a set.
  llvm::BitVector walkedBits_;
  llvm::DenseSet<const Op *> walkedSet_;
  uint64_t minSerial_ = 0;
  bool useBits_ = false;

  void initWalked() {
    uint64_t lo = UINT64_MAX, hi = 0, n = 0;
    g_->walk([&](Op &op) {
      lo = std::min(lo, op.serial());
      hi = std::max(hi, op.serial());
      ++n;
    });
    if (n && hi - lo < 4 * n + 1024) {
      useBits_ = true;
      minSerial_ = lo;
      walkedBits_.resize(static_cast<unsigned>(hi - lo + 1));
    } else {
      walkedSet_.reserve(static_cast<unsigned>(n));
    }
  }
  void markWalked(const Op &op) {
    if (useBits_)
      walkedBits_.set(static_cast<unsigned>(op.serial() - minSerial_));
    else
      walkedSet_.insert(&op);
  }
  bool walked(const Op *op) const {
    if (!useBits_)
      return walkedSet_.count(op);
    uint64_t i = op->serial() - minSerial_;
    return op->serial() >= minSerial_ && i < walkedBits_.size() &&
           walkedBits_.test(static_cast<unsigned>(i));
  }
  /// Whether `v` may be used by an op of region `at`: defined before it in `at` or an
  /// enclosing region (an op already walked), or an argument of such a region.
  bool isVisible(const Value *v, const Region *at) const {
    if (const Op *d = v->definingOp())
      return walked(d) && d->parentRegion() && d->parentRegion()->isAncestorOf(at);
    const Region *r = v->argOwner();
    return r && r->isAncestorOf(at);
  }
  size_t numOperands_ = 0;

  std::string describe(const Op &op) {
    std::string s = op.name().str();
    if (op.numResults() && !op.result(0)->name().empty())
      s += " (%" + op.result(0)->name().str() + ")";
    else if (op.provenance() && !op.provenance()->nodeName.empty())
      s += " (node " + op.provenance()->nodeName.str() + ")";
    return s;
  }

  void error(const Op &op, const std::string &msg) {
    Diagnostic d;
    d.op = &op;
    if (op.provenance())
      d.loc = op.provenance()->source;
    d.message = describe(op) + ": " + msg;
    diags_.push_back(std::move(d));
  }
  void graphError(const std::string &msg) {
    Diagnostic d;
    d.message = msg;
    diags_.push_back(std::move(d));
  }

  void verifyRegion(const Region &r, const std::string &what) {
    if (r.empty()) {
      if (r.parentOp())
        error(*r.parentOp(), what + " is empty; a region must end in fxir.yield");
      else
        graphError("the graph body is empty; it must end in fxir.yield");
    }
    for (const Op &op : r.ops()) {
      verifyOp(op);
      bool last = &op == &r.ops().back();
      if (op.isTerminator() && !last)
        error(op, "fxir.yield must be the last op of its region");
      if (last && !op.isTerminator())
        error(op, what + " must end in fxir.yield, not " + op.name().str());
      for (unsigned ri = 0; ri < op.numRegions(); ++ri)
        verifyRegion(op.region(ri), "region ^" + std::to_string(ri) + " of " + describe(op));
      markWalked(op); // its results are visible from here on
    }
  }

  void verifyOp(const Op &op) {
    numOperands_ += op.numOperands();
    for (unsigned i = 0; i < op.numOperands(); ++i) {
      const Value *v = op.operandValue(i);
      if (!v) {
        error(op, "operand " + std::to_string(i) + " is null");
        continue;
      }
      if (!isVisible(v, op.parentRegion()))
        error(op, "operand " + std::to_string(i) + " (%" + v->name().str() +
                      ") is not defined before this op in its region or an enclosing one");
    }
    verifyOpLocal(op);
  }

  void countRefs(const Op &op, const Attr &a, llvm::SmallVectorImpl<unsigned> &operandRefs,
                 llvm::SmallVectorImpl<unsigned> &regionRefs) {
    switch (a.kind()) {
    case Attr::Kind::Operand:
      if (a.index() >= op.numOperands())
        error(op, "argument refers to operand " + std::to_string(a.index()) + " of " +
                      std::to_string(op.numOperands()));
      else
        ++operandRefs[a.index()];
      break;
    case Attr::Kind::Region:
      if (a.index() >= op.numRegions())
        error(op, "argument refers to region ^" + std::to_string(a.index()) + " of " +
                      std::to_string(op.numRegions()));
      else
        ++regionRefs[a.index()];
      break;
    case Attr::Kind::List:
      for (const Attr &e : a.listValue())
        countRefs(op, e, operandRefs, regionRefs);
      break;
    default:
      break;
    }
  }

  void verifyArgs(const Op &op) {
    llvm::SmallVector<unsigned, 8> operandRefs(op.numOperands(), 0), regionRefs(op.numRegions(), 0);
    llvm::StringSet<> keywords;
    bool sawKeyword = false;
    for (const Arg &a : op.args()) {
      if (!a.name.empty()) {
        sawKeyword = true;
        if (!keywords.insert(a.name).second)
          error(op, "keyword argument `" + a.name.str() + "` is given twice");
      } else if (sawKeyword) {
        error(op, "positional argument after a keyword argument");
      }
      countRefs(op, a.value, operandRefs, regionRefs);
    }
    for (unsigned i = 0; i < operandRefs.size(); ++i)
      if (operandRefs[i] != 1)
        error(op, "operand " + std::to_string(i) + " is referenced by " +
                      std::to_string(operandRefs[i]) + " arguments; it must be exactly one");
    // fxir's own ops hold regions without naming them in args.
    if (op.info().kind != OpInfo::Kind::Fxir)
      for (unsigned i = 0; i < regionRefs.size(); ++i)
        if (regionRefs[i] != 1)
          error(op, "region ^" + std::to_string(i) + " is referenced by " +
                        std::to_string(regionRefs[i]) + " arguments; it must be exactly one");
  }

  void verifyName(const Op &op) {
    const OpInfo &info = op.info();
    llvm::StringRef name = op.name();
    switch (info.kind) {
    case OpInfo::Kind::Fxir:
      if (info.numRegions >= 0 && op.numRegions() != static_cast<unsigned>(info.numRegions))
        error(op, "has " + std::to_string(op.numRegions()) + " regions; " + name.str() +
                      " takes " + std::to_string(info.numRegions));
      if (info.terminator && op.numResults())
        error(op, "a terminator has no results");
      if (op.is(FxirOp::Constant) &&
          (op.numOperands() || op.numResults() != 1 || op.args().size() != 1))
        error(op, "fxir.constant takes one constant argument and has one result");
      if (info.numRegions < 0 || op.numRegions() == static_cast<unsigned>(info.numRegions))
        verifyStructured(op);
      return;
    case OpInfo::Kind::Hop:
      verifyHop(op);
      return;
    case OpInfo::Kind::Python:
      return;
    case OpInfo::Kind::Dispatcher:
      verifyAgainstSchema(op, *info.schema);
      return;
    case OpInfo::Kind::Registered:
      if (info.numRegions >= 0 && op.numRegions() != static_cast<unsigned>(info.numRegions))
        error(op, "has " + std::to_string(op.numRegions()) + " regions; " + name.str() +
                      " takes " + std::to_string(info.numRegions));
      return;
    case OpInfo::Kind::Unknown:
      break;
    }
    if (name.starts_with("fxir.")) {
      error(op, "unknown fxir op (fxir's own ops are listed in ir/FxirOps.def)");
      return;
    }
    auto split = splitDispatcherName(name);
    llvm::StringRef ns = name.split('.').first;
    if (split && dispatcherNamespaces().contains(ns)) {
      // The table's own message: the operator's torch version and existing overloads.
      absl::StatusOr<const OpSchema *> schema =
          OpSchemaTable::builtin().lookup(split->first, split->second);
      error(op, schema.ok() ? "internal error: the op's info row has no schema"
                            : std::string(schema.status().message()));
      return;
    }
    error(op, "unknown op: not an operator of the schema table (ns.op.overload), a "
              "higher-order op (higher_order.*), a Python-level op (_operator.*, "
              "math.*, torch.*) or an fxir op");
  }

  // fxir's structured control flow (FxirOps.def): argument layout, region arities and
  // yields against the results.
  void verifyStructured(const Op &op) {
    llvm::StringRef name = op.name();
    auto kinds = [&](std::initializer_list<Attr::Kind> want) { return argKinds(op, want); };
    // The layouts of the loops and the if are decoded in one place (ControlFlow.h).
    auto layout = [&](std::string problem) {
      if (!problem.empty())
        error(op, problem);
      return problem.empty();
    };
    auto yields = [&](const Region &r) -> int64_t {
      const Op *t = const_cast<Region &>(r).terminator();
      return t ? static_cast<int64_t>(t->args().size()) : -1;
    };
    auto expect = [&](bool ok, const std::string &what) {
      if (!ok)
        error(op, name.str() + ": " + what);
    };
    using K = Attr::Kind;
    if (op.is(FxirOp::For)) {
      if (!layout(ForOp::problem(op)))
        return;
      size_t k = op.args()[2].value.listValue().size();
      expect(op.numResults() == k, "has " + std::to_string(op.numResults()) + " results for " +
                                       std::to_string(k) + " carried values");
      expect(op.region(0).numArgs() == k + 1,
             "its body takes the index and the " + std::to_string(k) + " carried values");
      expect(yields(op.region(0)) == static_cast<int64_t>(k),
             "its body must yield the " + std::to_string(k) + " next carried values");
    } else if (op.is(FxirOp::While)) {
      if (!layout(WhileOp::problem(op)))
        return;
      size_t k = op.args()[2].value.listValue().size();
      expect(op.numResults() == k, "has " + std::to_string(op.numResults()) + " results for " +
                                       std::to_string(k) + " carried values");
      expect(op.region(0).numArgs() == k && op.region(1).numArgs() == k,
             "both regions take the " + std::to_string(k) + " carried values");
      expect(yields(op.region(0)) == 1, "its condition region must yield one value");
      expect(yields(op.region(1)) == static_cast<int64_t>(k),
             "its body must yield the " + std::to_string(k) + " next carried values");
    } else if (op.is(FxirOp::If)) {
      if (!layout(IfOp::problem(op)))
        return;
      for (unsigned r = 0; r < 2; ++r) {
        expect(op.region(r).numArgs() == 0, "its regions take no arguments");
        expect(yields(op.region(r)) == static_cast<int64_t>(op.numResults()),
               "each region must yield its " + std::to_string(op.numResults()) + " results");
      }
    } else if (op.is(FxirOp::InsertSlice)) {
      expect(kinds({K::Operand, K::Operand, K::Operand}) && op.numOperands() == 3 &&
                 op.numResults() == 1,
             "takes (%buf, %src, %i) and has one result");
      if (op.numOperands() == 3 && op.numResults() == 1) {
        expect(op.operandValue(0)->type()->isTensor() && op.operandValue(1)->type()->isTensor() &&
                   isInt(op.operandValue(2)->type()),
               "takes a tensor buffer, a tensor slice and an int index");
        expect(similar(op.operandValue(0)->type(), op.result(0)->type()),
               "its result has the buffer's type");
      }
    } else if (op.is(FxirOp::Alloc)) {
      expect(kinds({K::List}) && op.numResults() == 1 && op.result(0)->type()->isTensor() &&
                 op.args()[0].value.listValue().size() == op.result(0)->type()->rank(),
             "takes ([sizes...]) and has one tensor result of that rank");
    }
    // Carried values: init, region argument, yielded value and result agree.
    if (op.is(FxirOp::For) || op.is(FxirOp::While)) {
      unsigned first = op.is(FxirOp::For) ? 1 : 0;
      llvm::ArrayRef<Attr> inits = op.args()[2].value.listValue();
      for (size_t k = 0; k < inits.size() && k < op.numResults(); ++k) {
        if (inits[k].kind() != K::Operand || inits[k].index() >= op.numOperands()) {
          error(op, name.str() + ": carried value #" + std::to_string(k) + " is not a value");
          continue;
        }
        const Type *t = op.result(k)->type();
        expect(similar(op.operandValue(inits[k].index())->type(), t),
               "carried value #" + std::to_string(k) + " has another type than result #" +
                   std::to_string(k));
        for (unsigned r = 0; r < op.numRegions(); ++r) {
          Region &reg = op.region(r);
          if (first + k < reg.numArgs())
            expect(similar(reg.arg(first + k)->type(), t),
                   "region ^" + std::to_string(r) + " takes carried value #" +
                       std::to_string(k) + " with another type than result #" + std::to_string(k));
        }
        const Op *y = op.region(op.is(FxirOp::For) ? 0 : 1).terminator();
        if (y && k < y->numOperands())
          expect(similar(y->operandValue(k)->type(), t),
                 "its body yields for carried value #" + std::to_string(k) +
                     " a value of another type than result #" + std::to_string(k));
      }
      if (op.is(FxirOp::For)) {
        expect(op.numOperands() && isInt(op.operandValue(0)->type()), "the trip count is an int");
        expect(op.region(0).numArgs() && isInt(op.region(0).arg(0)->type()),
               "the body's first argument (the index) is an int");
      }
    }
    if (op.is(FxirOp::If))
      for (unsigned r = 0; r < 2; ++r)
        if (const Op *y = op.region(r).terminator())
          for (unsigned k = 0; k < y->numOperands() && k < op.numResults(); ++k)
            expect(similar(y->operandValue(k)->type(), op.result(k)->type()),
                   "region ^" + std::to_string(r) + " yields for result #" + std::to_string(k) +
                       " a value of another type");
  }
  static bool isInt(const Type *t) {
    return t->kind() == Type::Kind::Int || t->kind() == Type::Kind::SymInt;
  }
  // Same kind; for tensors the same dtype and rank (symbolic sizes may differ by name:
  // a loop-carried SymInt or dim gets a fresh symbol).
  static bool similar(const Type *a, const Type *b) {
    auto kind = [](const Type *t) {
      Type::Kind k = t->kind();
      return k == Type::Kind::SymInt ? Type::Kind::Int
             : k == Type::Kind::SymFloat ? Type::Kind::Float
             : k == Type::Kind::SymBool  ? Type::Kind::Bool
                                         : k;
    };
    if (kind(a) != kind(b))
      return false;
    if (a->isTensor())
      return a->dtype() == b->dtype() && a->rank() == b->rank();
    return true;
  }

  // The control-flow higher-order ops, as torch.export writes them (docs/pt2-format.md):
  // their bodies take the operands of their list args in order and yield what the op
  // returns. Other higher_order.* ops are kept generic.
  void verifyHop(const Op &op) {
    if (op.info().hop == HopKind::Other)
      return;
    llvm::StringRef hop = op.name().drop_front(strlen("higher_order."));
    std::optional<HopView> view = HopView::get(op);
    if (!view) {
      error(op, HopView::problem(op));
      return;
    }
    llvm::SmallVector<size_t, 4> lists; // lengths of the list args, in order
    for (unsigned i = 0; i < view->numLists(); ++i)
      lists.push_back(view->list(i).listValue().size());
    auto region = [&](unsigned i) -> const Region & { return view->region(i); };
    auto yields = [&](const Region &r) -> int {
      const Op *t = r.empty() ? nullptr : &r.ops().back();
      return t && t->isTerminator() ? static_cast<int>(t->numOperands()) : -1;
    };
    auto args = [&](unsigned i, size_t expected, const char *what) {
      if (region(i).numArgs() != expected)
        error(op, hop.str() + " " + what + " takes " + std::to_string(region(i).numArgs()) +
                      " arguments; the op passes " + std::to_string(expected));
    };
    auto yieldCount = [&](unsigned i, size_t expected, const char *what) {
      int n = yields(region(i));
      if (n >= 0 && static_cast<size_t>(n) != expected)
        error(op, hop.str() + " " + what + " yields " + std::to_string(n) + " values; " +
                      std::to_string(expected) + " expected");
    };
    if (hop == "cond") {
      for (unsigned i = 0; i < 2; ++i) {
        args(i, lists[0], i ? "false branch" : "true branch");
        yieldCount(i, op.numResults(), i ? "false branch" : "true branch");
      }
    } else if (hop == "while_loop") {
      args(0, lists[0] + lists[1], "condition");
      args(1, lists[0] + lists[1], "body");
      yieldCount(0, 1, "condition");
      yieldCount(1, lists[0], "body");
      if (op.numResults() != lists[0])
        error(op, "while_loop has " + std::to_string(op.numResults()) + " results; it carries " +
                      std::to_string(lists[0]) + " values");
    } else if (hop == "scan") {
      args(0, lists[0] + lists[1] + lists[2], "combine function");
      yieldCount(0, op.numResults(), "combine function");
      if (op.numResults() < lists[0])
        error(op, "scan has fewer results than carried values");
    } else if (hop == "map_impl") {
      args(0, lists[0] + lists[1], "body");
      yieldCount(0, op.numResults(), "body");
    }
  }

  void verifyAgainstSchema(const Op &op, const OpSchema &s) {
    unsigned positional = 0;
    enum Binding : uint8_t { Unbound, ByPosition, ByName };
    llvm::SmallVector<Binding, 8> bound(s.arguments.size(), Unbound);
    for (const Arg &a : op.args()) {
      const SchemaArgument *param = nullptr;
      if (a.name.empty()) {
        if (positional >= s.arguments.size()) {
          error(op, "takes at most " + std::to_string(s.arguments.size()) +
                        " arguments (" + s.str() + ")");
          return;
        }
        if (s.arguments[positional].kwargOnly) {
          error(op, "argument `" + s.arguments[positional].name +
                        "` is keyword-only and given by position (" + s.str() + ")");
          return;
        }
        bound[positional] = ByPosition;
        param = &s.arguments[positional++];
      } else {
        std::optional<unsigned> idx = s.argumentIndex(std::string_view(a.name));
        if (!idx) {
          error(op, "has no argument named `" + a.name.str() + "` (" + s.str() + ")");
          continue;
        }
        if (bound[*idx] == ByPosition)
          error(op, "argument `" + a.name.str() + "` is given both by position and by name");
        bound[*idx] = ByName; // a keyword given twice is reported by verifyArgs
        param = &s.arguments[*idx];
      }
      if (std::string why = argumentKindProblem(op, a.value, param->type); !why.empty())
        error(op, "argument `" + param->name + "` " + why +
                      (why.starts_with("must be a tensor") ? "" : " (" + param->type.str() + ")"));
    }
    for (unsigned i = 0; i < s.arguments.size(); ++i)
      if (bound[i] == Unbound && !s.arguments[i].defaultValue)
        error(op, "argument `" + s.arguments[i].name + "` is missing and has no default (" +
                      s.str() + ")");
    verifyResultsAgainstSchema(op, s);
  }

  // Results against the schema's returns. A list return (`Tensor[]`) is as many results
  // as it has elements (the .pt2 reader's convention), so with one the count is only a
  // lower bound; each result's kind must fit its return's type.
  void verifyResultsAgainstSchema(const Op &op, const OpSchema &s) {
    if (s.varRets)
      return;
    size_t lists = llvm::count_if(s.returns, [](const SchemaReturn &r) { return r.type.isList(); });
    size_t fixed = s.returns.size() - lists;
    if (lists == 0 ? op.numResults() != fixed : op.numResults() < fixed) {
      error(op, "has " + std::to_string(op.numResults()) + " results; " + s.fullName() +
                    " returns " + (lists ? "at least " + std::to_string(fixed)
                                         : std::to_string(s.returns.size())));
      return;
    }
    // Match kinds where the mapping is unambiguous: no list return, or a single one.
    if (lists > 1 || (lists == 1 && s.returns.size() != 1))
      return;
    for (unsigned i = 0; i < op.numResults(); ++i) {
      const SchemaType &t = lists ? s.returns[0].type.elems[0] : s.returns[i].type;
      if (!valueFits(op.result(i)->type(), t, /*result=*/true))
        error(op, "result " + std::to_string(i) + " is " + op.result(i)->type()->str() +
                      "; " + s.fullName() + " returns " + t.str() + " there");
    }
  }

  // Whether a value of type `vt` can stand where the schema says `t`. Numbers may stand
  // for tensor arguments (wrapped numbers) and ints for floats, as in eager. For a
  // `result`, a Tensor return is a tensor or None (an undefined tensor).
  static bool valueFits(const Type *vt, const SchemaType &t, bool result = false) {
    using SK = SchemaType::Kind;
    using TK = Type::Kind;
    if (!vt)
      return true;
    TK k = vt->kind();
    if (k == TK::None)
      return result || t.isOptional();
    if (k == TK::Optional)
      return t.isOptional() || result;
    const SchemaType &b = t.stripOptional();
    bool isInt = k == TK::Int || k == TK::SymInt, isFloat = k == TK::Float || k == TK::SymFloat,
         isBool = k == TK::Bool || k == TK::SymBool;
    switch (b.kind) {
    case SK::Tensor: return k == TK::Tensor || (!result && (isInt || isFloat || isBool));
    case SK::Int: case SK::SymInt: return isInt || isBool;
    case SK::Float: case SK::SymFloat: return isFloat || isInt || isBool;
    case SK::Bool: case SK::SymBool: return isBool || isInt;
    case SK::Scalar: return isInt || isFloat || isBool || k == TK::Tensor;
    case SK::Str: return k == TK::Str;
    case SK::List: return k == TK::List;
    default: return true; // Device, Generator, Any, ...: not checked
    }
  }

  // Why `a` cannot be passed for a parameter of type `t`, or "" when it can.
  std::string argumentKindProblem(const Op &op, const Attr &a, const SchemaType &t) {
    using SK = SchemaType::Kind;
    using AK = Attr::Kind;
    const SchemaType &b = t.stripOptional();
    switch (a.kind()) {
    case AK::Operand: {
      if (a.index() >= op.numOperands() || !op.operandValue(a.index()))
        return ""; // reported by verifyArgs / verifyOp
      const Type *vt = op.operandValue(a.index())->type();
      if (vt && b.kind == SK::Tensor && !vt->isTensor() && vt->kind() != Type::Kind::None)
        return "must be a tensor, not " + vt->str();
      if (b.kind == SK::List)
        return vt && vt->kind() != Type::Kind::List ? "must be a list, not " + vt->str() : "";
      return valueFits(vt, t) ? "" : "cannot be " + vt->str();
    }
    case AK::None:
      // Schemas leave `None` implicit for some non-optional defaults (`int[1]? dim`
      // is optional; `Tensor? weight` too); only a plain tensor insists.
      return b.kind == SK::Tensor && !t.isOptional() ? "cannot be None" : "";
    case AK::Region:
      return "cannot be a subgraph";
    case AK::List: {
      if (b.kind != SK::List)
        return b.kind == SK::Any ? "" : "cannot be a list";
      const SchemaType &elem = b.elems.empty() ? b : b.elems[0];
      if (b.elems.empty())
        return "";
      for (const Attr &e : a.listValue())
        if (std::string why = argumentKindProblem(op, e, elem); !why.empty())
          return "element " + why;
      return "";
    }
    case AK::Int: case AK::Float: case AK::Bool: {
      bool isFloat = a.kind() == AK::Float;
      switch (b.kind) {
      case SK::Tensor: case SK::Scalar: case SK::Any: return "";
      case SK::Int: case SK::SymInt: case SK::Bool: case SK::SymBool:
        return isFloat ? "cannot be a float" : "";
      case SK::Float: case SK::SymFloat: return "";
      case SK::List: // `int[2] stride=1`: one number for the whole list
        return b.fixedSize > 0 && !isFloat ? "" : "must be a list";
      default: return "cannot be a number";
      }
    }
    case AK::Str:
      return b.kind == SK::Str || b.kind == SK::Any ? "" : "cannot be a string";
    case AK::DType:
      return b.kind == SK::ScalarType || b.kind == SK::Any ? "" : "cannot be a dtype";
    case AK::Device:
      return b.kind == SK::Device || b.kind == SK::Any ? "" : "cannot be a device";
    case AK::Layout:
      return b.kind == SK::Layout || b.kind == SK::Any ? "" : "cannot be a layout";
    case AK::MemoryFormat:
      return b.kind == SK::MemoryFormat || b.kind == SK::Any ? "" : "cannot be a memory format";
    }
    return "";
  }

  void verifyUseLists() {
    size_t uses = 0;
    auto checkValue = [&](const Value *v, const Op *where) {
      for (const OpOperand *u = v->firstUse(); u; u = u->nextUse()) {
        ++uses;
        const Op *owner = u->owner();
        if (!owner || u->index() >= owner->numOperands() ||
            &owner->operand(u->index()) != u || u->get() != v) {
          if (where)
            error(*where, "use list of a result disagrees with the operands that use it");
          else
            graphError("use list of a region argument disagrees with its uses");
          return;
        }
      }
    };
    const Region &body = g_->body();
    for (unsigned i = 0; i < body.numArgs(); ++i)
      checkValue(body.arg(i), nullptr);
    g_->walk([&](Op &op) {
      for (unsigned i = 0; i < op.numResults(); ++i)
        checkValue(op.result(i), &op);
      for (unsigned r = 0; r < op.numRegions(); ++r)
        for (unsigned i = 0; i < op.region(r).numArgs(); ++i)
          checkValue(op.region(r).arg(i), &op);
    });
    if (uses != numOperands_)
      graphError("use lists hold " + std::to_string(uses) + " uses but ops have " +
                 std::to_string(numOperands_) + " operands (a value from outside the "
                                                "graph is used)");
  }
};

} // namespace

bool verify(const Graph &g, std::vector<Diagnostic> &diags) {
  size_t before = diags.size();
  Verifier(&g, diags).run();
  return diags.size() == before;
}

bool verifyOp(const Op &op, std::vector<Diagnostic> &diags) {
  size_t before = diags.size();
  Verifier(nullptr, diags).verifyOpLocal(op);
  return diags.size() == before;
}

absl::Status verifyFunctional(const Graph &g) {
  std::string bad;
  g.walk([&](Op &op) {
    if (!bad.empty())
      return;
    const OpSchema *s = op.schema();
    if (s && op.info().writes)
      bad = op.name().str() + " (" +
            (op.provenance() ? op.provenance()->brief() : std::string("unknown location")) +
            ") writes its argument '" + s->arguments[s->writtenArguments()[0]].name + "'";
  });
  if (bad.empty())
    return absl::OkStatus();
  return absl::InvalidArgumentError("not functional: " + bad);
}

absl::Status verifyStructured(const Graph &g) {
  std::string bad;
  g.walk([&](Op &op) {
    if (bad.empty() && op.info().kind == OpInfo::Kind::Hop)
      bad = op.describe();
  });
  if (bad.empty())
    return absl::OkStatus();
  return absl::InvalidArgumentError("not structured: " + bad +
                                    " is a higher-order op (lower-control-flow lowers it)");
}

absl::Status verify(const Graph &g) {
  std::vector<Diagnostic> diags;
  if (verify(g, diags))
    return absl::OkStatus();
  std::string msg;
  for (const Diagnostic &d : diags) {
    if (!msg.empty())
      msg += "\n";
    msg += d.str();
  }
  return absl::InvalidArgumentError(msg);
}

} // namespace fxir
