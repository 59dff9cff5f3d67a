//===- ControlFlow.cpp ------------------------------------------------------------------===//
#include "fxir/ir/ControlFlow.h"

namespace fxir {

std::optional<llvm::SmallVector<Value *, 4>> listOperands(const Op &op, const Attr &list) {
  if (list.kind() != Attr::Kind::List)
    return std::nullopt;
  llvm::SmallVector<Value *, 4> out;
  for (const Attr &e : list.listValue()) {
    if (e.kind() != Attr::Kind::Operand || e.index() >= op.numOperands())
      return std::nullopt;
    out.push_back(op.operandValue(e.index()));
  }
  return out;
}

bool argKinds(const Op &op, std::initializer_list<Attr::Kind> want) {
  if (op.args().size() != want.size())
    return false;
  size_t i = 0;
  for (Attr::Kind k : want)
    if (op.args()[i++].value.kind() != k)
      return false;
  return true;
}

namespace {

// Every element of a list argument is a value.
bool allValues(const Op &op, const Attr &list) { return listOperands(op, list).has_value(); }

llvm::SmallVector<Value *, 4> values(const Op &op, const Attr &list) {
  std::optional<llvm::SmallVector<Value *, 4>> v = listOperands(op, list);
  return v ? *v : llvm::SmallVector<Value *, 4>();
}

} // namespace

// ---- fxir.for / fxir.while / fxir.if ----

namespace {
// A loop laid out as `syntax`: args of these kinds, `numRegions` regions, the third
// argument a list of values (the carried inits).
std::string loopProblem(const Op &op, std::initializer_list<Attr::Kind> kinds,
                        unsigned numRegions, llvm::StringRef name, llvm::StringRef syntax) {
  if (!argKinds(op, kinds) || op.numRegions() != numRegions)
    return name.str() + " takes " + syntax.str();
  if (!allValues(op, op.args()[2].value))
    return name.str() + ": a carried init is not a value";
  return "";
}
} // namespace

llvm::SmallVector<Value *, 4> LoopView::inits() const {
  return values(*op_, op_->args()[2].value);
}

std::string ForOp::problem(const Op &op) {
  using K = Attr::Kind;
  return loopProblem(op, {K::Operand, K::Region, K::List}, 1, "fxir.for",
                     "(%n, ^body, [%init...])");
}
std::optional<ForOp> ForOp::get(const Op &op) {
  if (!op.is(FxirOp::For) || !problem(op).empty())
    return std::nullopt;
  return ForOp(op);
}

std::string WhileOp::problem(const Op &op) {
  using K = Attr::Kind;
  return loopProblem(op, {K::Region, K::Region, K::List}, 2, "fxir.while",
                     "(^cond, ^body, [%init...])");
}
std::optional<WhileOp> WhileOp::get(const Op &op) {
  if (!op.is(FxirOp::While) || !problem(op).empty())
    return std::nullopt;
  return WhileOp(op);
}

std::string IfOp::problem(const Op &op) {
  using K = Attr::Kind;
  if (!argKinds(op, {K::Operand, K::Region, K::Region}) || op.numRegions() != 2)
    return "fxir.if takes (%pred, ^then, ^else)";
  return "";
}
std::optional<IfOp> IfOp::get(const Op &op) {
  if (!op.is(FxirOp::If) || !problem(op).empty())
    return std::nullopt;
  return IfOp(op);
}

// ---- the control-flow higher-order ops ----

std::string HopView::problem(const Op &op) {
  HopKind k = op.info().hop;
  unsigned numRegions = 0, numLists = 0;
  for (const Arg &a : op.args()) {
    if (a.value.kind() == Attr::Kind::Region) {
      if (a.value.index() >= op.numRegions())
        return "argument refers to region ^" + std::to_string(a.value.index()) + " of " +
               std::to_string(op.numRegions());
      ++numRegions;
    }
    if (a.value.kind() == Attr::Kind::List) {
      if (!allValues(op, a.value))
        return "an element of an operand list is not a value";
      ++numLists;
    }
  }
  unsigned wantRegions = 0, wantLists = 0;
  const char *name = "";
  switch (k) {
  case HopKind::Scan: wantRegions = 1, wantLists = 3, name = "scan"; break;
  case HopKind::Map: wantRegions = 1, wantLists = 2, name = "map_impl"; break;
  case HopKind::WhileLoop: wantRegions = 2, wantLists = 2, name = "while_loop"; break;
  case HopKind::Cond: wantRegions = 2, wantLists = 1, name = "cond"; break;
  default: return "not a control-flow higher-order op";
  }
  if (numRegions != wantRegions || numLists != wantLists)
    return std::string(name) + " takes " + std::to_string(wantRegions) + " subgraph(s) and " +
           std::to_string(wantLists) + " operand list(s); it has " +
           std::to_string(numRegions) + " and " + std::to_string(numLists);
  if (k == HopKind::Cond) {
    Attr::Kind p = op.args().empty() ? Attr::Kind::None : op.args()[0].value.kind();
    if (p != Attr::Kind::Operand && p != Attr::Kind::Bool && p != Attr::Kind::Int)
      return "cond's first argument (the predicate) is not a value";
  }
  return "";
}

std::optional<HopView> HopView::get(const Op &op) {
  if (op.info().kind != OpInfo::Kind::Hop || !problem(op).empty())
    return std::nullopt;
  HopView v(op);
  for (unsigned i = 0; i < op.args().size(); ++i) {
    const Attr &a = op.args()[i].value;
    if (a.kind() == Attr::Kind::Region)
      v.regions_.push_back(a.index());
    else if (a.kind() == Attr::Kind::List)
      v.lists_.push_back(i);
  }
  return v;
}

llvm::SmallVector<Value *, 4> HopView::listValues(unsigned i) const {
  return values(*op_, list(i));
}
llvm::SmallVector<Value *, 4> HopView::carried() const {
  return kind() == HopKind::Scan || kind() == HopKind::WhileLoop ? listValues(0)
                                                                 : llvm::SmallVector<Value *, 4>();
}
llvm::SmallVector<Value *, 4> HopView::xs() const {
  return kind() == HopKind::Scan  ? listValues(1)
         : kind() == HopKind::Map ? listValues(0)
                                  : llvm::SmallVector<Value *, 4>();
}
llvm::SmallVector<Value *, 4> HopView::additional() const {
  switch (kind()) {
  case HopKind::Scan: return listValues(2);
  case HopKind::Map:
  case HopKind::WhileLoop: return listValues(1);
  default: return {};
  }
}

} // namespace fxir
