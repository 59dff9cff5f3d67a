//===- Interp.cpp - the reference executor on ATen ------------------------------------===//
#include "fxir/backends/interp/Interp.h"

#include <ATen/ops/empty.h>
#include <ATen/ops/select_scatter.h>
#include <ATen/ops/stack.h>

#include "fxir/backends/runtime/AtenCall.h"
#include "fxir/backends/runtime/AtenOp.h"
#include "fxir/backends/runtime/BoundProgram.h"
#include "fxir/backends/runtime/PythonOps.h"
#include "fxir/ir/ControlFlow.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"

namespace fxir::interp {
namespace {

using namespace fxir::runtime;
using Env = llvm::DenseMap<const Value *, c10::IValue>;

/// An argument's value, operands read from `env`.
absl::StatusOr<c10::IValue> value(const Attr &a, const Op &op, const Env &env) {
  return attrValue(a, op, [&](const Value *v) -> const c10::IValue * {
    auto it = env.find(v);
    return it == env.end() ? nullptr : &it->second;
  });
}

/// The values of every argument of `op`, in order.
absl::StatusOr<std::vector<c10::IValue>> argValues(const Op &op, const Env &env) {
  std::vector<c10::IValue> out;
  for (const Arg &a : op.args()) {
    absl::StatusOr<c10::IValue> v = value(a.value, op, env);
    if (!v.ok())
      return v.status();
    out.push_back(std::move(*v));
  }
  return out;
}

class InterpExecutable final : public Executable {
public:
  absl::StatusOr<std::vector<c10::IValue>> run(std::vector<c10::IValue> inputs) const override;
  const std::vector<InputInfo> &inputs() const override { return bound->inputs(); }
  std::optional<at::Tensor> weight(llvm::StringRef fqn) const override {
    return bound->weight(fqn);
  }
  std::vector<std::string> mutatedWeights() const override { return bound->mutatedWeights(); }
  const Program &program() const override { return bound->program(); }
  llvm::StringRef backend() const override { return name; }
  std::map<std::string, std::string> compileInfo() const override {
    return handler ? handler->compileInfo() : std::map<std::string, std::string>{};
  }

  std::unique_ptr<BoundProgram> bound;
  std::shared_ptr<const OpHandler> handler; ///< a code generator's ops, or null
  std::string name = "interp";
  // One prepared dispatcher call per ATen op.
  llvm::DenseMap<const Op *, std::unique_ptr<AtenOp>> plans;
  /// fxir.insert_slice ops whose buffer nobody else sees: they write it in place.
  llvm::DenseSet<const Op *> inPlaceInserts;
  /// Top-level values dropped from the environment after the op that uses them last
  /// (memory planning by liveness: a tensor nothing reads any more goes back to the
  /// allocator then, and the next one of its size class reuses the block).
  llvm::DenseMap<const Op *, llvm::SmallVector<const Value *, 2>> releaseAfter;
  void planReleases();

  absl::Status prepare(const Op &op);
  absl::StatusOr<std::vector<c10::IValue>> runImpl(std::vector<c10::IValue> inputs) const;
  absl::Status runRegion(const Region &r, llvm::ArrayRef<c10::IValue> args, Env &env,
                         std::vector<c10::IValue> &results) const;
  absl::Status runOp(const Op &op, Env &env) const;
  absl::Status runAten(const Op &op, Env &env) const;
  absl::Status runHop(const Op &op, Env &env) const;
  absl::Status runStructured(const Op &op, Env &env) const;
  // Shared by the higher-order ops and their lowered forms (fxir.while, fxir.if).
  absl::Status runWhile(const Op &op, const Region &cond, const Region &body,
                        std::vector<c10::IValue> state, llvm::ArrayRef<c10::IValue> extra,
                        Env &env) const;
  absl::Status runBranch(const Op &op, const Attr &predicate, const Region &taken,
                         const Region &other, llvm::ArrayRef<c10::IValue> args, Env &env) const;
};

absl::Status InterpExecutable::prepare(const Op &op) {
  llvm::StringRef name = op.name();
  const OpInfo &info = op.info();
  if (handler && handler->handles(op))
    return absl::OkStatus();
  if (op.is(FxirOp::Yield) || op.is(FxirOp::Constant) || op.is(FxirOp::Alloc))
    return absl::OkStatus();
  if (op.is(FxirOp::InsertSlice)) {
    // In place when nobody else can see the buffer: it is the loop-carried copy of a
    // fresh aten.empty that only the loop uses, and this op is its only reader.
    Value *buf = op.numOperands() ? op.operandValue(0) : nullptr;
    Region *owner = buf ? buf->argOwner() : nullptr;
    Op *loop = owner ? owner->parentOp() : nullptr;
    if (loop && loop->is(FxirOp::For) && buf->numUses() == 1) {
      unsigned argIndex = 0;
      while (argIndex < owner->numArgs() && owner->arg(argIndex) != buf)
        ++argIndex;
      // Region args: the index, then the carried values (operands 1...).
      Value *init = argIndex >= 1 && argIndex < loop->numOperands()
                        ? loop->operandValue(argIndex)
                        : nullptr;
      // ...and its result goes only to the loop's yield, at the buffer's own slot, so
      // no other carried value or later step can see the old contents; the allocation
      // is in the loop's own region (a new buffer each time the loop runs).
      Value *res = op.numResults() ? op.result(0) : nullptr;
      const Op *user = res && res->numUses() == 1 ? res->firstUse()->owner() : nullptr;
      bool toOwnSlot = user && user->isTerminator() && user->parentRegion() == owner &&
                       res->firstUse()->index() + 1 == argIndex;
      if (init && toOwnSlot && init->numUses() == 1 && init->definingOp() &&
          init->definingOp()->is(FxirOp::Alloc) &&
          init->definingOp()->parentRegion() == loop->parentRegion())
        inPlaceInserts.insert(&op);
    }
    return absl::OkStatus();
  }
  if (op.is(FxirOp::For) || op.is(FxirOp::While) || op.is(FxirOp::If)) {
    for (unsigned r = 0; r < op.numRegions(); ++r)
      for (const Op &nested : op.region(r).ops())
        if (absl::Status st = prepare(nested); !st.ok())
          return st;
    return absl::OkStatus();
  }
  if (isPythonOp(name))
    return isSupportedPythonOp(name)
               ? absl::OkStatus()
               : opError(op, "this Python-level operation is not supported by the interp "
                             "backend");
  if (info.kind == OpInfo::Kind::Hop) {
    if (!HopView::get(op))
      return opError(op, "this higher-order op is not supported by the interp backend");
    for (unsigned r = 0; r < op.numRegions(); ++r)
      for (const Op &nested : op.region(r).ops())
        if (absl::Status st = prepare(nested); !st.ok())
          return st;
    return absl::OkStatus();
  }
  absl::StatusOr<AtenOp> aten = AtenOp::prepare(op);
  if (!aten.ok())
    return aten.status();
  plans.try_emplace(&op, std::make_unique<AtenOp>(std::move(*aten)));
  return absl::OkStatus();
}

absl::Status InterpExecutable::runAten(const Op &op, Env &env) const {
  llvm::SmallVector<c10::IValue, 4> results;
  auto lookup = [&](const Value *v) -> const c10::IValue * {
    auto it = env.find(v);
    return it == env.end() ? nullptr : &it->second;
  };
  if (absl::Status st = plans.find(&op)->second->call(
          op, lookup, [&](const at::Tensor &t) { return bound->mustNotWrite(t); }, results);
      !st.ok())
    return st;
  for (unsigned r = 0; r < results.size(); ++r)
    env[op.result(r)] = std::move(results[r]);
  return absl::OkStatus();
}

/// The values of a list argument (`[%a, %b]` of the loops and HOPs).
absl::StatusOr<std::vector<c10::IValue>> listValues(const Op &op, const Attr &a,
                                                     const Env &env) {
  if (a.kind() != Attr::Kind::List)
    return opError(op, "an operand list is expected");
  std::vector<c10::IValue> out;
  for (const Attr &e : a.listValue()) {
    absl::StatusOr<c10::IValue> v = value(e, op, env);
    if (!v.ok())
      return v.status();
    out.push_back(std::move(*v));
  }
  return out;
}

std::vector<c10::IValue> concat(llvm::ArrayRef<c10::IValue> a, llvm::ArrayRef<c10::IValue> b,
                                llvm::ArrayRef<c10::IValue> c = {}) {
  std::vector<c10::IValue> out(a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  out.insert(out.end(), c.begin(), c.end());
  return out;
}

/// Binds `op`'s results to `vals` (one each).
absl::Status setResults(const Op &op, std::vector<c10::IValue> vals, Env &env) {
  if (vals.size() != op.numResults())
    return opError(op, "produced " + std::to_string(vals.size()) + " values for " +
                           std::to_string(op.numResults()) + " results");
  for (unsigned i = 0; i < vals.size(); ++i)
    env[op.result(i)] = std::move(vals[i]);
  return absl::OkStatus();
}

/// Tensors replaced by copies: a loop that never ran still returns new tensors, as
/// eager's implementations do.
void copyTensorsInPlace(std::vector<c10::IValue> &vals) {
  for (c10::IValue &v : vals)
    if (v.isTensor())
      v = v.toTensor().clone();
}

absl::Status InterpExecutable::runWhile(const Op &op, const Region &cond, const Region &body,
                                        std::vector<c10::IValue> state,
                                        llvm::ArrayRef<c10::IValue> extra, Env &env) const {
  bool iterated = false;
  for (;;) {
    std::vector<c10::IValue> c;
    if (absl::Status st = runRegion(cond, concat(state, extra), env, c); !st.ok())
      return st;
    if (c.size() != 1)
      return opError(op, "the condition must give one value");
    absl::StatusOr<bool> go = truthOf(c[0], op, "the loop condition");
    if (!go.ok())
      return go.status();
    if (!*go)
      break;
    std::vector<c10::IValue> next;
    if (absl::Status st = runRegion(body, concat(state, extra), env, next); !st.ok())
      return st;
    if (next.size() != state.size())
      return opError(op, "the body gives " + std::to_string(next.size()) + " values for " +
                             std::to_string(state.size()) + " carried values");
    state = std::move(next);
    iterated = true;
  }
  if (!iterated)
    copyTensorsInPlace(state);
  return setResults(op, std::move(state), env);
}

absl::Status InterpExecutable::runBranch(const Op &op, const Attr &predicate,
                                         const Region &taken, const Region &other,
                                         llvm::ArrayRef<c10::IValue> args, Env &env) const {
  absl::StatusOr<c10::IValue> pred = value(predicate, op, env);
  if (!pred.ok())
    return pred.status();
  absl::StatusOr<bool> holds = truthOf(*pred, op, "the predicate");
  if (!holds.ok())
    return holds.status();
  std::vector<c10::IValue> results;
  if (absl::Status st = runRegion(*holds ? taken : other, args, env, results); !st.ok())
    return st;
  return setResults(op, std::move(results), env);
}

absl::Status InterpExecutable::runHop(const Op &op, Env &env) const {
  std::optional<HopView> hop = HopView::get(op);
  if (!hop)
    return opError(op, "this higher-order op is not supported by the interp backend (" +
                           HopView::problem(op) + ")");
  auto list = [&](unsigned i) { return listValues(op, hop->list(i), env); };
  if (hop->kind() == HopKind::Cond) {
    absl::StatusOr<std::vector<c10::IValue>> operands = list(0);
    if (!operands.ok())
      return operands.status();
    return runBranch(op, hop->predicate(), hop->trueBranch(), hop->falseBranch(), *operands,
                     env);
  }
  if (hop->kind() == HopKind::WhileLoop) {
    absl::StatusOr<std::vector<c10::IValue>> carried = list(0), extra = list(1);
    if (!carried.ok() || !extra.ok())
      return !carried.ok() ? carried.status() : extra.status();
    return runWhile(op, hop->whileCond(), hop->body(), *carried, *extra, env);
  }
  bool scan = hop->kind() == HopKind::Scan;
  {
    // scan: body(carry..., x_i..., extra...) -> (next carry..., y_i...); results: final
    // carry..., stacked ys...; map_impl: body(x_i..., extra...) -> y_i...
    const Region *body = &hop->body();
    std::vector<c10::IValue> carry;
    unsigned next = 0;
    if (scan) {
      absl::StatusOr<std::vector<c10::IValue>> init = list(next++);
      if (!init.ok())
        return init.status();
      carry = *init;
    }
    absl::StatusOr<std::vector<c10::IValue>> xs = list(next++);
    absl::StatusOr<std::vector<c10::IValue>> extra = list(next++);
    if (!xs.ok() || !extra.ok())
      return !xs.ok() ? xs.status() : extra.status();
    if (xs->empty())
      return opError(op, "has no xs to iterate over");
    int64_t n = -1;
    for (const c10::IValue &x : *xs) {
      if (!x.isTensor() || x.toTensor().dim() == 0)
        return opError(op, "xs must be tensors with at least one dimension");
      int64_t len = x.toTensor().size(0);
      if (n >= 0 && len != n)
        return opError(op, "xs have different lengths along dim 0 (" + std::to_string(n) +
                               " and " + std::to_string(len) + ")");
      n = len;
    }
    if (n == 0)
      return opError(op, std::string(scan ? "scan" : "map") +
                             ": xs must have at least one element along dim 0, got 0");
    size_t numCarry = carry.size();
    if (numCarry > op.numResults())
      return opError(op, "has " + std::to_string(numCarry) + " carried values but only " +
                             std::to_string(op.numResults()) + " results");
    size_t numYs = op.numResults() - numCarry;
    std::vector<std::vector<at::Tensor>> ys(numYs);
    for (int64_t i = 0; i < n; ++i) {
      std::vector<c10::IValue> slices;
      for (const c10::IValue &x : *xs)
        slices.push_back(x.toTensor().select(0, i));
      std::vector<c10::IValue> out;
      if (absl::Status st = runRegion(*body, concat(carry, slices, *extra), env, out); !st.ok())
        return st;
      if (out.size() != numCarry + numYs)
        return opError(op, "the body gives " + std::to_string(out.size()) + " values, expected " +
                               std::to_string(numCarry + numYs));
      for (size_t c = 0; c < numCarry; ++c)
        carry[c] = out[c];
      for (size_t y = 0; y < numYs; ++y) {
        const c10::IValue &v = out[numCarry + y];
        if (!v.isTensor())
          return opError(op, "the body's per-step output #" + std::to_string(y) +
                                 " is not a tensor");
        ys[y].push_back(v.toTensor());
      }
    }
    // (A carry the body passes through unchanged stays the init tensor, as in eager.)
    std::vector<c10::IValue> vals(carry.begin(), carry.end());
    try {
      for (auto &y : ys)
        vals.push_back(at::stack(y, 0));
    } catch (const c10::Error &e) {
      return opError(op, e.what_without_backtrace());
    }
    return setResults(op, std::move(vals), env);
  }
}

absl::Status InterpExecutable::runStructured(const Op &op, Env &env) const {
  if (op.is(FxirOp::Alloc)) {
    if (op.args().size() != 1 || op.numResults() != 1 || !op.result(0)->type()->isTensor())
      return opError(op, "takes ([sizes...]) and has one tensor result");
    absl::StatusOr<c10::IValue> sizes = value(op.args()[0].value, op, env);
    if (!sizes.ok())
      return sizes.status();
    std::vector<int64_t> dims;
    for (const c10::IValue &d : sizes->toListRef()) {
      if (!d.isInt() || d.toInt() < 0)
        return opError(op, "sizes must be non-negative ints");
      dims.push_back(d.toInt());
    }
    try {
      env[op.result(0)] = at::empty(
          dims, at::TensorOptions().dtype(toScalarType(op.result(0)->type()->dtype())));
    } catch (const c10::Error &e) {
      return opError(op, e.what_without_backtrace());
    }
    return absl::OkStatus();
  }
  if (op.is(FxirOp::InsertSlice)) {
    absl::StatusOr<std::vector<c10::IValue>> vals = argValues(op, env);
    if (!vals.ok())
      return vals.status();
    const std::vector<c10::IValue> &in = *vals;
    if (in.size() != 3 || !in[0].isTensor() || !in[1].isTensor() || !in[2].isInt())
      return opError(op, "takes (tensor buf, tensor src, int i)");
    const at::Tensor &buf = in[0].toTensor();
    int64_t i = in[2].toInt();
    if (buf.dim() == 0 || i < 0 || i >= buf.size(0))
      return opError(op, "index " + std::to_string(i) + " is outside the buffer's dim 0");
    try {
      if (inPlaceInserts.count(&op)) {
        buf.select(0, i).copy_(in[1].toTensor());
        env[op.result(0)] = buf;
      } else {
        env[op.result(0)] = at::select_scatter(buf, in[1].toTensor(), 0, i);
      }
    } catch (const c10::Error &e) {
      return opError(op, e.what_without_backtrace());
    }
    return absl::OkStatus();
  }
  if (std::optional<ForOp> loop = ForOp::get(op)) {
    absl::StatusOr<c10::IValue> n = value(op.args()[0].value, op, env);
    absl::StatusOr<std::vector<c10::IValue>> init = listValues(op, op.args()[2].value, env);
    if (!n.ok() || !init.ok())
      return !n.ok() ? n.status() : init.status();
    if (!n->isInt())
      return opError(op, "the trip count is " + ivalueKind(*n) + ", not an int");
    std::vector<c10::IValue> state = *init;
    for (int64_t i = 0; i < n->toInt(); ++i) {
      std::vector<c10::IValue> args{c10::IValue(i)};
      args.insert(args.end(), state.begin(), state.end());
      std::vector<c10::IValue> next;
      if (absl::Status st = runRegion(loop->body(), args, env, next); !st.ok())
        return st;
      state = std::move(next);
    }
    if (n->toInt() <= 0)
      copyTensorsInPlace(state); // results never alias the inits, as for while_loop
    return setResults(op, std::move(state), env);
  }
  if (std::optional<WhileOp> loop = WhileOp::get(op)) {
    absl::StatusOr<std::vector<c10::IValue>> init = listValues(op, op.args()[2].value, env);
    if (!init.ok())
      return init.status();
    return runWhile(op, loop->cond(), loop->body(), *init, {}, env);
  }
  if (std::optional<IfOp> iff = IfOp::get(op))
    return runBranch(op, iff->predicate(), iff->thenRegion(), iff->elseRegion(), {}, env);
  return opError(op, "not an op the interp backend runs");
}

absl::Status InterpExecutable::runOp(const Op &op, Env &env) const {
  llvm::StringRef name = op.name();
  if (handler && handler->handles(op)) {
    llvm::SmallVector<c10::IValue, 8> operands;
    for (unsigned i = 0; i < op.numOperands(); ++i) {
      auto it = env.find(op.operandValue(i));
      if (it == env.end())
        return opError(op, "operand " + std::to_string(i) + " has no value");
      operands.push_back(it->second);
    }
    std::vector<c10::IValue> results;
    auto lookup = [&](const Value *v) -> const c10::IValue * {
      auto it = env.find(v);
      return it == env.end() ? nullptr : &it->second;
    };
    if (absl::Status st = handler->run(op, operands, results, lookup); !st.ok())
      return st;
    return setResults(op, std::move(results), env);
  }
  if (op.is(FxirOp::Constant)) {
    if (op.args().size() != 1 || op.numResults() != 1)
      return opError(op, "a constant takes one argument and has one result");
    absl::StatusOr<c10::IValue> v = value(op.args()[0].value, op, env);
    if (!v.ok())
      return v.status();
    env[op.result(0)] = std::move(*v);
    return absl::OkStatus();
  }
  if (isPythonOp(name)) {
    absl::StatusOr<std::vector<c10::IValue>> args = argValues(op, env);
    if (!args.ok())
      return args.status();
    absl::StatusOr<c10::IValue> r = pythonOp(op, *args);
    if (!r.ok())
      return r.status();
    if (op.numResults() != 1)
      return opError(op, "expected one result");
    env[op.result(0)] = std::move(*r);
    return absl::OkStatus();
  }
  if (op.info().kind == OpInfo::Kind::Hop)
    return runHop(op, env);
  if (op.info().kind == OpInfo::Kind::Fxir)
    return runStructured(op, env);
  return runAten(op, env);
}

absl::Status InterpExecutable::runRegion(const Region &r, llvm::ArrayRef<c10::IValue> args,
                                         Env &env, std::vector<c10::IValue> &results) const {
  if (args.size() != r.numArgs())
    return absl::InternalError("interp: region takes " + std::to_string(r.numArgs()) +
                               " arguments, given " + std::to_string(args.size()));
  for (unsigned i = 0; i < args.size(); ++i)
    env[r.arg(i)] = args[i];
  bool top = &r == &bound->program().graph->body();
  for (const Op &op : r.ops()) {
    if (op.isTerminator()) {
      absl::StatusOr<std::vector<c10::IValue>> vals = argValues(op, env);
      if (!vals.ok())
        return vals.status();
      results = std::move(*vals);
      return absl::OkStatus();
    }
    if (absl::Status st = runOp(op, env); !st.ok())
      return st;
    if (top)
      if (auto it = releaseAfter.find(&op); it != releaseAfter.end())
        for (const Value *v : it->second)
          env.erase(v);
  }
  return absl::OkStatus();
}

void InterpExecutable::planReleases() {
  const Region &body = bound->program().graph->body();
  llvm::DenseMap<const Op *, unsigned> order;
  for (const Op &op : body.ops())
    order[&op] = static_cast<unsigned>(order.size());
  // Released after the last top-level op using `v` (its definition when unused); never
  // when the terminator uses it (an output) or a use is outside the body.
  auto plan = [&](const Value *v, const Op *def) {
    const Op *last = def;
    for (const OpOperand *u = v->firstUse(); u; u = u->nextUse()) {
      const Op *t = body.ancestorOpIn(u->owner());
      if (!t || t->isTerminator())
        return;
      if (order.lookup(t) > order.lookup(last))
        last = t;
    }
    releaseAfter[last].push_back(v);
  };
  for (const Op &op : body.ops())
    for (unsigned r = 0; r < op.numResults(); ++r)
      plan(op.result(r), &op);
  // Arguments (inputs, weights) the caller or the program holds anyway: dropping the
  // environment's reference frees nothing, so they are left.
}

absl::StatusOr<std::vector<c10::IValue>>
InterpExecutable::run(std::vector<c10::IValue> inputs) const {
  // ATen calls catch their own errors; this catches what an IValue accessor or a
  // tensor method outside them might throw, so no exception crosses the API.
  try {
    return runImpl(std::move(inputs));
  } catch (const c10::Error &e) {
    return absl::InternalError(std::string("interp: ") + e.what_without_backtrace());
  } catch (const std::exception &e) {
    return absl::InternalError(std::string("interp: ") + e.what());
  } catch (...) {
    return absl::InternalError("interp: unknown exception");
  }
}

absl::StatusOr<std::vector<c10::IValue>>
InterpExecutable::runImpl(std::vector<c10::IValue> inputs) const {
  if (absl::Status st = bound->checkInputs(inputs); !st.ok())
    return st;
  std::vector<c10::IValue> args = bound->graphArguments(inputs);
  Env env;
  std::vector<c10::IValue> outs;
  if (absl::Status st = runRegion(bound->program().graph->body(), args, env, outs); !st.ok())
    return st;
  return bound->finish(std::move(outs), inputs, name);
}

} // namespace

absl::StatusOr<std::unique_ptr<runtime::Executable>>
create(std::shared_ptr<const Program> program, const PassOptions &) {
  return createWithHandler(std::move(program), nullptr, "interp");
}

absl::StatusOr<std::unique_ptr<runtime::Executable>>
createWithHandler(std::shared_ptr<const Program> program,
                  std::shared_ptr<const OpHandler> handler, std::string backend) {
  try {
    absl::StatusOr<std::unique_ptr<BoundProgram>> bound = BoundProgram::create(std::move(program));
    if (!bound.ok())
      return bound.status();
    auto exe = std::make_unique<InterpExecutable>();
    exe->bound = std::move(*bound);
    exe->handler = std::move(handler);
    exe->name = std::move(backend);
    for (const Op &op : exe->bound->program().graph->body().ops())
      if (absl::Status st = exe->prepare(op); !st.ok())
        return st;
    exe->planReleases();
    return std::unique_ptr<runtime::Executable>(std::move(exe));
  } catch (const c10::Error &e) {
    return absl::InternalError(std::string("interp: ") + e.what_without_backtrace());
  } catch (const std::exception &e) {
    return absl::InternalError(std::string("interp: ") + e.what());
  }
}

} // namespace fxir::interp
