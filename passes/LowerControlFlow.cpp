//===- LowerControlFlow.cpp - higher-order control flow into fxir's structured ops ----===//
//
// scan, map_impl, while_loop and cond hold their bodies as separate subgraphs with
// their own arguments. This pass turns each into fxir's structured control flow
// (ir/FxirOps.def), moving the body's ops into the new op's region:
//  - scan(f, init, xs, extra)  -> fxir.for over n = xs[0].size(0): the carry is
//    loop-carried, each step reads xs[j].select(0, i), extra inputs are used directly
//    (regions see enclosing values), and each stacked output is one buffer allocated
//    before the loop (fxir.alloc of the output's type) and carried through it, step i
//    writing only its slice: fxir.insert_slice(buf, y, i). An assert in front gives
//    eager's error when xs is empty.
//  - map_impl(f, xs, extra)    -> the same without a carry.
//  - while_loop(c, f, carried, extra) -> fxir.while (carried ints and SymInts included).
//  - cond(pred, t, f, operands) -> fxir.if (a tensor predicate is read as a scalar by
//    the executor; a SymBool is used directly).
// Nested higher-order ops are lowered innermost first. The new ops carry the
// higher-order op's provenance plus (lower-control-flow, lowered ...); every moved op
// keeps its own plus (lower-control-flow, inlined from ...). After the pass no
// higher_order.* op is left, or the pass fails naming it.
//
// Stacked outputs get their (possibly symbolic) shape: a symbolic non-leading dim is
// computed from the graph inputs whose dims carry its symbols. canonicalize then folds
// the movedim/permute/flip export puts around scan for `dim=`/`reverse=` into the loop.
//
// Does not (yet): build a stacked output whose dim involves a symbol no graph input's
// shape carries (an unbacked one, say): an error naming the op.
//===----------------------------------------------------------------------------===//
#include "fxir/ir/Builder.h"
#include "fxir/passes/PassRegistry.h"

#include "fxir/ir/ControlFlow.h"

#include "llvm/ADT/STLExtras.h"

namespace fxir {
namespace {


class Lowering {
public:
  Lowering(Graph &g, PassContext &pc) : g_(g), pc_(pc), rw_(g, "lower-control-flow") {}

  absl::StatusOr<bool> run() {
    if (absl::Status st = region(g_.body()); !st.ok())
      return st;
    // (The pass manager checks the structured stage this pass establishes.)
    PassStatistics &stats = pc_.stats();
    stats["loops"] += loops_;
    stats["whiles"] += whiles_;
    stats["ifs"] += ifs_;
    stats["ops-inlined"] += inlined_;
    return loops_ + whiles_ + ifs_ > 0;
  }

private:
  Graph &g_;
  PassContext &pc_;
  Rewriter rw_;
  int64_t loops_ = 0, whiles_ = 0, ifs_ = 0, inlined_ = 0;
  Context &ctx() { return g_.context(); }

  absl::Status region(Region &r) {
    std::vector<Op *> ops;
    for (Op &o : r.ops())
      ops.push_back(&o);
    for (Op *o : ops) {
      for (unsigned i = 0; i < o->numRegions(); ++i)
        if (absl::Status st = region(o->region(i)); !st.ok())
          return st;
      absl::Status st = absl::OkStatus();
      switch (o->info().hop) {
      case HopKind::None: break;
      case HopKind::Scan: st = lowerLoop(*o, /*scan=*/true); break;
      case HopKind::Map: st = lowerLoop(*o, /*scan=*/false); break;
      case HopKind::WhileLoop: st = lowerWhile(*o); break;
      case HopKind::Cond: st = lowerCond(*o); break;
      case HopKind::Other:
        st = pc_.error(o, "lower-control-flow: " + o->describe() +
                              " is not a control-flow op fxir can lower");
        break;
      }
      if (!st.ok())
        return st;
    }
    return absl::OkStatus();
  }

  /// Replaces `hop` by the op that implements it (same results, in order).
  void replaceWithResults(Op &hop, Op &with) {
    llvm::SmallVector<Value *, 8> results;
    for (unsigned k = 0; k < with.numResults(); ++k)
      results.push_back(with.result(k));
    rw_.replaceOp(&hop, results);
  }

  /// The HOP's roles (ControlFlow.h); a located error when it is not laid out so.
  absl::StatusOr<HopView> view(Op &hop) {
    if (std::optional<HopView> v = HopView::get(hop))
      return *v;
    return pc_.error(&hop, "lower-control-flow: " + hop.describe() + ": " +
                               HopView::problem(hop));
  }

  /// Moves every op of `from` to the end of `to` after pointing the uses of `from`'s
  /// arguments at `args`; returns the values of `from`'s yield (which is erased) when
  /// `keepYield` is false.
  absl::StatusOr<std::vector<Value *>> inline_(Region &from, llvm::ArrayRef<Value *> args,
                                               Region &to, Op &hopOp, bool keepYield) {
    llvm::StringRef hop = hopOp.name();
    if (from.numArgs() != args.size())
      return pc_.error(&hopOp, "lower-control-flow: a " + hop.str() + " body takes " +
                                   std::to_string(from.numArgs()) + " arguments, given " +
                                   std::to_string(args.size()));
    for (unsigned i = 0; i < args.size(); ++i)
      from.arg(i)->replaceAllUsesWith(args[i]);
    std::vector<Value *> yielded;
    std::string action = "inlined from " + hop.str();
    while (!from.empty()) {
      Op *o = &from.ops().front();
      if (o->isTerminator() && !keepYield) {
        for (const Arg &a : o->args()) {
          if (a.value.kind() != Attr::Kind::Operand)
            return pc_.error(o, "lower-control-flow: a " + hop.str() +
                                    " body yields a constant argument");
          yielded.push_back(o->operandValue(a.value.index()));
        }
        rw_.eraseOp(o);
        continue;
      }
      from.remove(o);
      to.push_back(o);
      o->walk([&](Op &moved) {
        rw_.noteModified(&moved, action);
        ++inlined_;
      });
    }
    return yielded;
  }

  /// The value of a symbolic size at `hop`: each symbol read from a graph input whose
  /// dim it is (`sym_size`), combined with Python int ops; null when some symbol is no
  /// input's dim or the expression has a kind this does not build.
  Value *materialize(const SymExpr *e, Op &hop) {
    switch (e->kind()) {
    case SymExpr::Kind::Const:
      return rw_.create(FxirOp::Constant, {}, {{{}, Attr::integer(e->value())}}, {ctx().intType()})
          ->result(0);
    case SymExpr::Kind::Sym: {
      Region &body = g_.body();
      for (unsigned a = 0; a < body.numArgs(); ++a) {
        const Type *t = body.arg(a)->type();
        if (!t->isTensor())
          continue;
        for (size_t d = 0; d < t->rank(); ++d)
          if (t->shape()[d] == e)
            return rw_.createSize(body.arg(a), static_cast<int64_t>(d));
      }
      return nullptr;
    }
    case SymExpr::Kind::Add:
    case SymExpr::Kind::Mul:
    case SymExpr::Kind::FloorDiv:
    case SymExpr::Kind::Mod:
    case SymExpr::Kind::Max:
    case SymExpr::Kind::Min: {
      const char *fn = e->kind() == SymExpr::Kind::Add        ? "_operator.add"
                       : e->kind() == SymExpr::Kind::Mul      ? "_operator.mul"
                       : e->kind() == SymExpr::Kind::FloorDiv ? "_operator.floordiv"
                       : e->kind() == SymExpr::Kind::Mod      ? "_operator.mod"
                       : e->kind() == SymExpr::Kind::Max      ? "torch.sym_max"
                                                              : "torch.sym_min";
      Value *acc = nullptr;
      for (const SymExpr *o : e->operands()) {
        Value *v = materialize(o, hop);
        if (!v)
          return nullptr;
        acc = acc ? rw_.create(fn, {acc, v}, {{{}, Attr::operand(0)}, {{}, Attr::operand(1)}},
                               {ctx().symIntType()})
                        ->result(0)
                  : v;
      }
      return acc;
    }
    default:
      return nullptr;
    }
  }

  absl::Status lowerLoop(Op &hop, bool scan) {
    llvm::StringRef hopName = hop.name();
    absl::StatusOr<HopView> v = view(hop);
    if (!v.ok())
      return v.status();
    llvm::SmallVector<Value *, 4> init = v->carried(), xs = v->xs(), extra = v->additional();
    if (xs.empty() || !xs[0]->type()->isTensor() || xs[0]->type()->rank() == 0)
      return pc_.error(&hop, "lower-control-flow: " + hop.describe() +
                             " has no xs with a dim to iterate over");
    size_t numCarry = init.size();
    if (numCarry > hop.numResults())
      return pc_.error(&hop, "lower-control-flow: " + hop.describe() +
                             " has more carried values than results");
    size_t numYs = hop.numResults() - numCarry;

    rw_.setInsertionPoint(&hop);
    rw_.setRoot(&hop, "lowered " + hopName.str());
    Value *n = rw_.createSize(xs[0], 0);
    // Eager raises for an empty xs; so does the lowered program.
    if (!n->definingOp() || !n->definingOp()->is(FxirOp::Constant) ||
        n->definingOp()->args()[0].value.intValue() <= 0) {
      Value *positive = rw_.create("_operator.gt", {n},
                                   {{{}, Attr::operand(0)}, {{}, Attr::integer(0)}},
                                   {ctx().symBoolType()})
                            ->result(0);
      std::string msg = std::string(scan ? "scan" : "map") +
                        ": xs must have at least one element along dim 0, got 0";
      rw_.create("aten._assert_scalar.default", {positive},
                 {{{}, Attr::operand(0)}, {{}, Attr::string(ctx().intern(msg))}}, {});
    }
    // Every xs has n elements along dim 0 (the higher-order op checks it when run).
    for (size_t j = 1; j < xs.size(); ++j) {
      const Type *t = xs[j]->type();
      if (!t->isTensor() || t->rank() == 0)
        return pc_.error(&hop, "lower-control-flow: " + hop.describe() +
                               ": xs #" + std::to_string(j) + " has no dim 0");
      if (t->shape()[0] == xs[0]->type()->shape()[0])
        continue;
      Value *len = rw_.createSize(xs[j], 0);
      Value *same = rw_.create("_operator.eq", {len, n},
                               {{{}, Attr::operand(0)}, {{}, Attr::operand(1)}},
                               {ctx().symBoolType()})
                        ->result(0);
      rw_.create("aten._assert_scalar.default", {same},
                 {{{}, Attr::operand(0)},
                  {{}, Attr::string(ctx().intern(std::string(scan ? "scan" : "map") +
                                                 ": xs have different lengths along dim 0"))}},
                 {});
    }
    // One buffer per stacked output, [n, ...] of the output's dtype.
    std::vector<Value *> bufs;
    for (size_t k = 0; k < numYs; ++k) {
      const Type *t = hop.result(numCarry + k)->type();
      if (!t->isTensor() || t->rank() == 0)
        return pc_.error(&hop, "lower-control-flow: " + hop.describe() +
                               ": stacked output #" + std::to_string(k) +
                               " is not a tensor with a leading dim");
      llvm::SmallVector<Attr, 6> dims{Attr::operand(0)};
      llvm::SmallVector<Value *, 4> sizeOperands{n};
      for (size_t d = 1; d < t->rank(); ++d) {
        const SymExpr *e = t->shape()[d];
        if (auto c = e->asConst()) {
          dims.push_back(Attr::integer(*c));
          continue;
        }
        Value *v = materialize(e, hop);
        if (!v)
          return pc_.error(&hop,
              "lower-control-flow: " + hop.describe() + ": stacked output #" + std::to_string(k) +
              " has a non-leading dim (" + e->str() + " in " + t->str() +
              ") that no graph input's shape determines, not supported yet");
        dims.push_back(Attr::operand(static_cast<unsigned>(sizeOperands.size())));
        sizeOperands.push_back(v);
      }
      Op *empty = rw_.create(FxirOp::Alloc, sizeOperands,
                             {{{}, Attr::list(ctx().copy(llvm::ArrayRef<Attr>(dims)))}},
                             {ctx().tensorType(t->dtype(), t->shape(), {}, t->device())});
      bufs.push_back(empty->result(0));
    }
    // The loop.
    llvm::SmallVector<Value *, 8> operands{n};
    llvm::SmallVector<Attr, 8> carried;
    llvm::SmallVector<const Type *, 8> types;
    for (size_t c = 0; c < numCarry; ++c) {
      carried.push_back(Attr::operand(static_cast<unsigned>(operands.size())));
      operands.push_back(init[c]);
      types.push_back(hop.result(c)->type());
    }
    for (size_t k = 0; k < numYs; ++k) {
      carried.push_back(Attr::operand(static_cast<unsigned>(operands.size())));
      operands.push_back(bufs[k]);
      types.push_back(bufs[k]->type());
    }
    Op *loop = rw_.create(FxirOp::For, operands,
                          {{{}, Attr::operand(0)},
                           {{}, Attr::region(0)},
                           {{}, Attr::list(ctx().copy(llvm::ArrayRef<Attr>(carried)))}},
                          types, /*numRegions=*/1);
    Region &r = loop->region(0);
    Value *i = r.addArg(ctx().symIntType(), ctx().name("i"));
    std::vector<Value *> args;
    for (size_t c = 0; c < numCarry; ++c)
      args.push_back(r.addArg(types[c]));
    std::vector<Value *> bufArgs;
    for (size_t k = 0; k < numYs; ++k)
      bufArgs.push_back(r.addArg(types[numCarry + k]));
    // Step i's slices of xs, then the body.
    rw_.setInsertionPointToEnd(r);
    Region &from = v->body();
    for (size_t j = 0; j < xs.size(); ++j) {
      unsigned argIndex = static_cast<unsigned>(numCarry + j);
      if (argIndex >= from.numArgs())
        return pc_.error(&hop, "lower-control-flow: " + hop.describe() +
                               ": the body takes fewer arguments than it is given");
      Op *sel = rw_.create("aten.select.int", {xs[j], i},
                           {{{}, Attr::operand(0)}, {{}, Attr::integer(0)}, {{}, Attr::operand(1)}},
                           {from.arg(argIndex)->type()});
      args.push_back(sel->result(0));
    }
    args.insert(args.end(), extra.begin(), extra.end());
    auto ys = inline_(from, args, r, hop, /*keepYield=*/false);
    if (!ys.ok())
      return ys.status();
    if (ys->size() != numCarry + numYs)
      return pc_.error(&hop, "lower-control-flow: " + hop.describe() + ": the body yields " +
                             std::to_string(ys->size()) + " values for " +
                             std::to_string(numCarry + numYs) + " results");
    rw_.setInsertionPointToEnd(r);
    llvm::SmallVector<Value *, 8> yields((*ys).begin(), (*ys).begin() + numCarry);
    for (size_t k = 0; k < numYs; ++k)
      yields.push_back(rw_.create(FxirOp::InsertSlice, {bufArgs[k], (*ys)[numCarry + k], i},
                                  {{{}, Attr::operand(0)}, {{}, Attr::operand(1)},
                                   {{}, Attr::operand(2)}},
                                  {types[numCarry + k]})
                           ->result(0));
    llvm::SmallVector<Arg, 8> yargs;
    for (unsigned y = 0; y < yields.size(); ++y)
      yargs.push_back({{}, Attr::operand(y)});
    rw_.create(FxirOp::Yield, yields, yargs, {});
    rw_.clearRoot();
    replaceWithResults(hop, *loop);
    ++loops_;
    return absl::OkStatus();
  }

  absl::Status lowerWhile(Op &hop) {
    absl::StatusOr<HopView> v = view(hop);
    if (!v.ok())
      return v.status();
    Region &cond = v->whileCond(), &body = v->body();
    llvm::SmallVector<Value *, 4> carried = v->carried(), extra = v->additional();
    if (carried.size() != hop.numResults())
      return pc_.error(&hop, "lower-control-flow: " + hop.describe() +
                             ": carried values and results differ in number");
    rw_.setInsertionPoint(&hop);
    rw_.setRoot(&hop, "lowered higher_order.while_loop");
    llvm::SmallVector<Value *, 8> operands(carried.begin(), carried.end());
    llvm::SmallVector<Attr, 8> refs;
    llvm::SmallVector<const Type *, 8> types;
    for (unsigned k = 0; k < operands.size(); ++k) {
      refs.push_back(Attr::operand(k));
      types.push_back(hop.result(k)->type());
    }
    Op *loop = rw_.create(FxirOp::While, operands,
                          {{{}, Attr::region(0)},
                           {{}, Attr::region(1)},
                           {{}, Attr::list(ctx().copy(llvm::ArrayRef<Attr>(refs)))}},
                          types, /*numRegions=*/2);
    rw_.clearRoot();
    Region *from[2] = {&cond, &body};
    for (unsigned k = 0; k < 2; ++k) {
      Region &r = loop->region(k);
      std::vector<Value *> args;
      for (const Type *t : types)
        args.push_back(r.addArg(t));
      args.insert(args.end(), extra.begin(), extra.end());
      auto moved = inline_(*from[k], args, r, hop, /*keepYield=*/true);
      if (!moved.ok())
        return moved.status();
    }
    replaceWithResults(hop, *loop);
    ++whiles_;
    return absl::OkStatus();
  }

  absl::Status lowerCond(Op &hop) {
    absl::StatusOr<HopView> v = view(hop);
    if (!v.ok())
      return v.status();
    if (v->predicate().kind() != Attr::Kind::Operand)
      return pc_.error(&hop, "lower-control-flow: " + hop.describe() +
                             ": the predicate is not a value");
    Value *pred = hop.operandValue(v->predicate().index());
    Region &t = v->trueBranch(), &f = v->falseBranch();
    llvm::SmallVector<Value *, 4> operands = v->operands();
    rw_.setInsertionPoint(&hop);
    rw_.setRoot(&hop, "lowered higher_order.cond");
    llvm::SmallVector<const Type *, 4> types;
    for (unsigned k = 0; k < hop.numResults(); ++k)
      types.push_back(hop.result(k)->type());
    Op *iff = rw_.create(FxirOp::If, {pred},
                         {{{}, Attr::operand(0)}, {{}, Attr::region(0)}, {{}, Attr::region(1)}},
                         types, /*numRegions=*/2);
    rw_.clearRoot();
    Region *from[2] = {&t, &f};
    for (unsigned k = 0; k < 2; ++k) {
      auto moved = inline_(*from[k], operands, iff->region(k), hop, /*keepYield=*/true);
      if (!moved.ok())
        return moved.status();
    }
    replaceWithResults(hop, *iff);
    ++ifs_;
    return absl::OkStatus();
  }
};

class LowerControlFlowPass : public Pass {
public:
  absl::StatusOr<bool> run(Graph &g, PassContext &ctx) override {
    return Lowering(g, ctx).run();
  }
};

} // namespace

std::unique_ptr<Pass> createLowerControlFlowPass(const PassOptions &) {
  return std::make_unique<LowerControlFlowPass>();
}
llvm::ArrayRef<PassOptionSpec> lowerControlFlowOptions() { return {}; }

} // namespace fxir
