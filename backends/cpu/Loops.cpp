//===- Loops.cpp - fxir.for loops run as one generated kernel ---------------------===//
//
// A counted loop whose body the generator covers entirely (one cpu.kernel, the selects
// that give it step t's slices, the insert_slices that stack its results, their index
// arithmetic) becomes a native loop: one kernel whose iteration space is the body
// kernel's with the loop's steps as dim 0, run in order inside each tile (KernelSpec::
// loop; docs/codegen.md). Carried values live in the carry's result buffer, written at
// each step and read back at the next (the body reads a carry only at the index it
// writes, so the tiles of the other dims stay independent and run on threads); they
// never alias their inits, which are only read at step 0.
//
// Does not: lower (KernelIR.cpp) or run (backends/runtime/CpuExecutable.cpp) loops.
//===----------------------------------------------------------------------------===//
#include "fxir/backends/cpu/Cpu.h"

#include "fxir/ir/ControlFlow.h"

#include "llvm/ADT/DenseSet.h"

namespace fxir::cpu {

namespace {

/// c_i * i + c_n * n + c (i the loop variable, n the trip count), or nullopt.
struct Linear {
  int64_t i = 0, n = 0, c = 0;
};

std::optional<Linear> linearOf(const Value *v, const Value *iv, const Value *trip,
                               unsigned depth = 0) {
  if (v == iv)
    return Linear{1, 0, 0};
  if (v == trip)
    return Linear{0, 1, 0};
  const Op *def = v->definingOp();
  if (!def || depth > 8)
    return std::nullopt;
  auto arg = [&](unsigned a) -> std::optional<Linear> {
    if (a >= def->args().size())
      return std::nullopt;
    const Attr &x = def->args()[a].value;
    if (x.kind() == Attr::Kind::Int)
      return Linear{0, 0, x.intValue()};
    if (x.kind() == Attr::Kind::Operand)
      return linearOf(def->operandValue(x.index()), iv, trip, depth + 1);
    return std::nullopt;
  };
  if (def->is(FxirOp::Constant))
    return arg(0);
  llvm::StringRef name = def->name();
  if (name == "_operator.add" || name == "_operator.sub") {
    std::optional<Linear> a = arg(0), b = arg(1);
    if (!a || !b || def->args().size() != 2)
      return std::nullopt;
    int64_t s = name == "_operator.add" ? 1 : -1;
    return Linear{a->i + s * b->i, a->n + s * b->n, a->c + s * b->c};
  }
  if (name == "_operator.neg" && def->args().size() == 1) {
    std::optional<Linear> a = arg(0);
    if (!a)
      return std::nullopt;
    return Linear{-a->i, -a->n, -a->c};
  }
  return std::nullopt;
}

/// The trip count's constant value, when it is one.
std::optional<int64_t> constantTrip(const Value *trip) {
  if (const Op *def = trip->definingOp();
      def && def->is(FxirOp::Constant) && def->args()[0].value.kind() == Attr::Kind::Int)
    return def->args()[0].value.intValue();
  return std::nullopt;
}

/// Whether index value `v` of the loop is i (false) or n - 1 - i (true); nullopt for
/// anything else.
std::optional<bool> stepIndex(const Value *v, const Value *iv, const Value *trip) {
  std::optional<Linear> l = linearOf(v, iv, trip);
  if (!l)
    return std::nullopt;
  std::optional<int64_t> n = constantTrip(trip);
  // Constants only: n * c_n + c; with a constant trip count the n term folds in.
  auto offsetIs = [&](int64_t nCoef, int64_t c) {
    if (l->n == nCoef && l->c == c)
      return true;
    return n && l->n * *n + l->c == nCoef * *n + c;
  };
  if (l->i == 1 && offsetIs(0, 0))
    return false;
  if (l->i == -1 && offsetIs(1, -1))
    return true;
  return std::nullopt;
}

bool sameShape(const Type *a, const Type *b) {
  if (!a->isTensor() || !b->isTensor() || a->rank() != b->rank())
    return false;
  for (size_t d = 0; d < a->rank(); ++d)
    if (a->shape()[d] != b->shape()[d])
      return false;
  return true;
}

/// Whether `v` is defined outside `body` (an enclosing region's value).
bool outside(const Value *v, const Region &body) {
  if (const Region *r = v->argOwner())
    return r != &body && !body.isAncestorOf(r);
  const Op *def = v->definingOp();
  return def && def->parentRegion() != &body && !body.isAncestorOf(def->parentRegion());
}

/// What the analysis found: the body kernel, and per loop result slot how it is made.
struct LoopShape {
  const Op *kernel = nullptr;
  struct Slot {
    bool stacked = false;
    unsigned value = 0;   ///< the kernel result yielded or stacked
    bool reverse = false; ///< stacked at n - 1 - i
  };
  std::vector<Slot> slots;
};

std::string analyze(const Op &loopOp, LoopShape &out) {
  std::optional<ForOp> loop = ForOp::get(loopOp);
  if (!loop)
    return "not a well-formed fxir.for";
  const Region &body = loop->body();
  const Value *trip = loopOp.operandValue(0);
  if (!constantTrip(trip) &&
      (trip->type()->kind() != Type::Kind::SymInt || !trip->type()->symExpr()))
    return "its trip count is neither a constant nor a symint of a known expression";
  const Value *iv = body.arg(0);
  llvm::SmallVector<Value *, 4> inits = loop->inits();
  const Op &yield = body.ops().back();
  if (!yield.isTerminator() || yield.numOperands() != inits.size() ||
      body.numArgs() != inits.size() + 1)
    return "its body does not yield one value per carried value";
  // The one kernel.
  for (const Op &op : body.ops()) {
    if (op.name() != kKernelOpName)
      continue;
    if (out.kernel)
      return "its body holds more than one kernel";
    out.kernel = &op;
  }
  if (!out.kernel)
    return "its body holds no kernel";
  const Op &kernel = *out.kernel;
  const Type *iter = kernel.result(0)->type();
  if (iter->rank() == 0)
    return "its kernel is 0-dim";
  for (const Op &m : kernel.region(0).ops()) {
    if (m.isTerminator())
      continue;
    if (isFusedView(m))
      return "its kernel reads through a fused view";
    if (const KernelOpRow *r = kernelOpRow(m.name());
        r && (r->form == ArgForm::Fill || r->form == ArgForm::Arange))
      return "its kernel holds a factory op";
  }
  for (unsigned r = 0; r < kernel.numResults(); ++r)
    if (!sameShape(kernel.result(r)->type(), iter))
      return "its kernel's results differ in shape";
  // Index arithmetic: number ops whose every use is another one, a select or an
  // insert_slice index.
  auto isIndexOp = [](const Op &op) {
    return op.numResults() == 1 && !op.result(0)->type()->isTensor() &&
           (op.is(FxirOp::Constant) || op.name().starts_with("_operator."));
  };
  // Slots.
  out.slots.assign(inits.size(), {});
  llvm::DenseSet<const Op *> accounted{&kernel, &yield};
  for (unsigned s = 0; s < inits.size(); ++s) {
    const Value *carried = body.arg(s + 1);
    const Value *y = yield.operandValue(s);
    const Op *def = y->definingOp();
    const Type *lt = loopOp.result(s)->type();
    if (def == &kernel) {
      // A carried value: the kernel's result of its shape and dtype, read only by the
      // kernel (at the index it writes: the kernel is pointwise and has its shape).
      unsigned r = y->index();
      if (!sameShape(lt, iter) || lt->dtype() != kernel.result(r)->type()->dtype() ||
          !sameShape(carried->type(), iter) || carried->type()->dtype() != lt->dtype())
        return "carried value " + std::to_string(s) + " does not have the kernel's shape and dtype";
      for (const OpOperand *u = carried->firstUse(); u; u = u->nextUse())
        if (u->owner() != &kernel)
          return "carried value " + std::to_string(s) + " is read outside the kernel";
      out.slots[s] = {false, r};
      continue;
    }
    if (def && def->is(FxirOp::InsertSlice) && def->numOperands() == 3 &&
        def->operandValue(0) == carried && def->operandValue(1)->definingOp() == &kernel) {
      // A stacked output: step t's slice of a buffer allocated for n steps, written at
      // i or n - 1 - i (every slice once), nothing else reading it.
      const Value *src = def->operandValue(1);
      if (carried->numUses() != 1 || y->numUses() != 1)
        return "stacked output " + std::to_string(s) + " is read in the loop";
      std::optional<bool> reverse = stepIndex(def->operandValue(2), iv, trip);
      if (!reverse)
        return "stacked output " + std::to_string(s) + " is written at an index other than "
               "i or n - 1 - i";
      const Op *alloc = inits[s]->definingOp();
      if (!alloc || !alloc->is(FxirOp::Alloc) || inits[s]->numUses() != 1 ||
          alloc->args().size() != 1 || alloc->args()[0].value.kind() != Attr::Kind::List ||
          alloc->args()[0].value.listValue().empty())
        return "stacked output " + std::to_string(s) + " is not a fresh fxir.alloc";
      const Attr &steps = alloc->args()[0].value.listValue()[0];
      bool forSteps = steps.kind() == Attr::Kind::Operand
                          ? alloc->operandValue(steps.index()) == trip ||
                                (constantTrip(trip) &&
                                 constantTrip(alloc->operandValue(steps.index())) == constantTrip(trip))
                          : steps.kind() == Attr::Kind::Int && constantTrip(trip) == steps.intValue();
      if (!forSteps)
        return "stacked output " + std::to_string(s) + " is not allocated for the loop's steps";
      const Type *st = src->type();
      if (lt->rank() != st->rank() + 1 || lt->dtype() != st->dtype())
        return "stacked output " + std::to_string(s) + " is not a stack of the kernel's result";
      for (size_t d = 0; d < st->rank(); ++d)
        if (lt->shape()[d + 1] != st->shape()[d])
          return "stacked output " + std::to_string(s) + " is not a stack of the kernel's result";
      out.slots[s] = {true, src->index(), *reverse};
      accounted.insert(def);
      continue;
    }
    return "carried value " + std::to_string(s) + " is not the kernel's result or a stack of it";
  }
  // The kernel's results go only to the yield and the insert_slices.
  for (unsigned r = 0; r < kernel.numResults(); ++r)
    for (const OpOperand *u = kernel.result(r)->firstUse(); u; u = u->nextUse())
      if (!accounted.count(u->owner()))
        return "a result of its kernel is used by " + u->owner()->name().str();
  // Its operands: carried values (above), selects of step t, values from outside.
  for (unsigned i = 0; i < kernel.numOperands(); ++i) {
    const Value *v = kernel.operandValue(i);
    if (v->argOwner() == &body) {
      if (v == iv)
        return "its kernel reads the loop variable";
      if (out.slots[v->index() - 1].stacked)
        return "its kernel reads a stacked output";
      continue;
    }
    if (outside(v, body))
      continue;
    const Op *sel = v->definingOp();
    if (!sel || sel->name() != "aten.select.int" || sel->numOperands() < 1 ||
        sel->args().size() != 3 || sel->args()[0].value.kind() != Attr::Kind::Operand ||
        sel->args()[1].value.kind() != Attr::Kind::Int ||
        sel->args()[2].value.kind() != Attr::Kind::Operand)
      return "its kernel reads " + (sel ? sel->name().str() : std::string("a value")) +
             ", computed in the loop";
    if (!v->type()->isTensor() || !outside(sel->operandValue(0), body))
      return "its kernel reads a select of a value computed in the loop";
    if (!sel->operandValue(0)->type()->layoutKnown() || !v->type()->layoutKnown())
      return "its kernel reads a select of a tensor of unknown layout";
    if (!stepIndex(sel->operandValue(sel->args()[2].value.index()), iv, trip))
      return "its kernel reads a select at an index other than i or n - 1 - i";
    for (const OpOperand *u = v->firstUse(); u; u = u->nextUse())
      if (u->owner() != &kernel)
        return "a select of step t is used outside the kernel";
    accounted.insert(sel);
  }
  for (const Op &op : body.ops()) {
    if (accounted.count(&op))
      continue;
    if (!isIndexOp(op))
      return "its body holds " + op.name().str() + ", which the kernel does not cover";
    for (const OpOperand *u = op.result(0)->firstUse(); u; u = u->nextUse()) {
      const Op *user = u->owner();
      if (user == &kernel || user->isTerminator())
        return "its kernel reads a number computed in the loop";
    }
  }
  return "";
}

} // namespace

const SymExpr *loopStepsExpr(const Op &loop, Context &ctx) {
  const Value *trip = loop.operandValue(0);
  if (std::optional<int64_t> n = constantTrip(trip))
    return ctx.constant(*n);
  return trip->type()->symExpr();
}

std::string whyNotNativeLoop(const Op &loop) {
  LoopShape shape;
  return analyze(loop, shape);
}

absl::StatusOr<bool> makeNativeLoop(KernelSpec &k, const Op &loopOp) {
  LoopShape shape;
  if (!analyze(loopOp, shape).empty())
    return false;
  if (shape.kernel != k.op || k.spaces.size() != 1 || k.shapeFromType)
    return absl::InternalError("cpu: " + loopOp.describe() + ": its kernel is not the spec's");
  const Region &body = loopOp.region(0);
  const Op &kernel = *k.op;
  // Operand buffers get their roles; the results become the loop's.
  std::vector<KernelSpec::Buffer> bufs;
  for (KernelSpec::Buffer b : k.buffers) {
    if (b.isResult)
      continue;
    const Value *v = kernel.operandValue(b.index);
    if (v->argOwner() == &body) {
      b.role = LoopRole::Init;
      b.value = v->index() - 1;
    } else if (!outside(v, body)) {
      b.role = LoopRole::Steps;
      b.select = v->definingOp();
      b.reverse = *stepIndex(b.select->operandValue(b.select->args()[2].value.index()),
                             body.arg(0), loopOp.operandValue(0));
      b.rank += 1; // [n, the slice's dims...]
    }
    bufs.push_back(b);
  }
  unsigned firstResult = static_cast<unsigned>(bufs.size());
  for (unsigned s = 0; s < shape.slots.size(); ++s) {
    const Type *lt = loopOp.result(s)->type();
    KernelSpec::Buffer b;
    b.isResult = true;
    b.index = s;
    b.dtype = lt->dtype();
    b.rank = static_cast<unsigned>(lt->rank());
    b.inner = Inner::Contiguous; // fresh, contiguous
    b.role = shape.slots[s].stacked ? LoopRole::Stacked : LoopRole::Carry;
    b.value = shape.slots[s].value;
    b.reverse = shape.slots[s].reverse;
    bufs.push_back(b);
  }
  for (KernelSpec::Buffer &b : bufs)
    if (b.role == LoopRole::Init)
      b.carry = firstResult + b.value;
  k.buffers = std::move(bufs);
  k.operandBuffer.assign(kernel.numOperands(), ~0u);
  for (unsigned b = 0; b < k.buffers.size(); ++b)
    if (!k.buffers[b].isResult)
      k.operandBuffer[k.buffers[b].index] = b;
  k.rank += 1;
  k.loop = &loopOp;
  k.sources = "  " + loopOp.describe(true) + " (the loop, native)\n" + k.sources;
  for (const Op &op : body.ops())
    if (op.name() == "aten.select.int" || op.is(FxirOp::InsertSlice)) {
      ++k.numOps;
      k.sources += "  " + op.describe(true) + "\n";
    }
  return true;
}

} // namespace fxir::cpu
