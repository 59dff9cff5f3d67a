//===- Reinplace.cpp - functional updates written into their base's storage ------===//
//
// A functional update `%r = F(%base, ...)` whose base nobody reads afterwards writes
// %base's storage instead of a copy of it:
//  - F with an in-place twin in the schema table (`aten.index_put` -> `index_put_`,
//    `scatter.src` -> `scatter_.src`, `copy` -> `copy_`, ...: the operator named with a
//    trailing `_`, of the same overload, whose functional variant is F) becomes that
//    twin, when F's result has the base's type (an in-place op cannot change the
//    dtype or the shape);
//  - an inverse scatter of a view (ViewOps.def: `slice_scatter` of `slice`,
//    `select_scatter` of `select`, `diagonal_scatter`, `as_strided_scatter`) becomes
//    the view of the base and `aten.copy_` of the source into it; the scatter's users
//    read the base.
// The base may be written when it is
//  - a graph input the caller lets the program write: a buffer or parameter with a
//    mutation output, or a user input with an input-mutation output (the write-back
//    then finds the value in place and copies nothing), or
//  - the fresh result of a core ATen op (tagged `core` in the schema table, no alias
//    annotation) or of a backend's isolated registered op (a cpu.kernel's results are
//    new buffers); results of other ops may alias their input unannotated (eval-mode
//    dropout, type_as, einsum, sum_to_size return it when they change nothing);
// and when it is dead at the update: no value of its alias class (the base, views of
// it, earlier in-place results on it) is used by an op after this one at the top
// level, or by this one through another operand, and no region op that could forward
// one of them (fxir.if/for/while, higher-order ops) has results used afterwards.
// A graph input's update whose result (or an alias of it) is also a user output stays
// functional: eager returned new memory there, not the caller's tensor.
// Statistics: `updates-in-place`, one counter per reason it did not fire.
//
// After it the program is not functional (in-place ops, reads ordered by position):
// it is a backend's last step (the cpu backend's lowering runs it after partitioning,
// on the order the kernels will run in), or the end of an fxir-opt pipeline.
// Top-level ops only: updates inside loops and branches are left functional.
//===----------------------------------------------------------------------------===//
#include "fxir/ir/Builder.h"
#include "fxir/ir/OpSchema.h"
#include "fxir/ir/ViewOps.h"
#include "fxir/passes/Effects.h"
#include "fxir/passes/PassRegistry.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringSet.h"

namespace fxir {
namespace {

/// "aten.index_put.default" for a schema.
std::string opNameOf(const OpSchema &s) {
  return s.ns + "." + s.name + "." + (s.overload.empty() ? "default" : s.overload);
}

/// The in-place twin of a functional operator, or null.
const OpSchema *inplaceTwin(const OpSchema &functional) {
  const OpSchemaTable &table = OpSchemaTable::builtin();
  absl::StatusOr<const OpSchema *> cand =
      table.lookup(functional.ns + "::" + functional.name + "_", functional.overload);
  if (!cand.ok() || table.functionalVariant(**cand) != &functional)
    return nullptr;
  return *cand;
}

/// The view a scatter op inverts (`aten.slice_scatter.default` -> `aten.slice.Tensor`).
const ViewInfo *viewInvertedBy(llvm::StringRef scatterName) {
  for (const ViewInfo &v : viewOps())
    if (!v.inverseScatter.empty() && v.inverseScatter == scatterName &&
        v.name.count('.') == 2) // a single overload, not a family row
      return &v;
  return nullptr;
}

class ReinplacePass : public Pass {
public:
  absl::StatusOr<bool> run(Graph &g, PassContext &ctx) override {
    Rewriter rw(g, "reinplace");
    PassStatistics &stats = ctx.stats();
    Region &body = g.body();
    collectWritableInputs(g);
    numbered_ = false;
    bool changed = false;
    for (auto it = body.ops().begin(); it != body.ops().end();) {
      Op &op = *it++;
      const char *why = nullptr;
      if (Op *done = tryRewrite(g, op, rw, why)) {
        stats["updates-in-place"] += 1;
        changed = true;
        numbered_ = false; // ops were created and erased
        it = std::next(Region::OpList::iterator(done));
      } else if (why) {
        stats[std::string("not-in-place: ") + why] += 1;
      }
    }
    return changed;
  }

private:
  llvm::DenseSet<const Value *> writableInputs_;
  /// Top-level op positions, renumbered only after a rewrite changed the region.
  llvm::DenseMap<const Op *, unsigned> order_;
  bool numbered_ = false;

  void collectWritableInputs(const Graph &g) {
    writableInputs_.clear();
    llvm::StringSet<> mutatedFqns, mutatedInputs;
    for (const OutputSpec &o : g.outputSpecs()) {
      if (o.kind == OutputSpec::Kind::BufferMutation ||
          o.kind == OutputSpec::Kind::ParameterMutation)
        mutatedFqns.insert(o.target);
      if (o.kind == OutputSpec::Kind::UserInputMutation)
        mutatedInputs.insert(o.target);
    }
    for (unsigned i = 0; i < g.inputSpecs().size() && i < g.body().numArgs(); ++i) {
      const InputSpec &s = g.inputSpecs()[i];
      Value *a = g.body().arg(i);
      bool weight = s.kind == InputSpec::Kind::Buffer || s.kind == InputSpec::Kind::Parameter;
      if ((weight && mutatedFqns.count(s.target)) ||
          (s.kind == InputSpec::Kind::UserInput && mutatedInputs.count(a->name())))
        writableInputs_.insert(a);
    }
  }

  void number(const Region &body) {
    if (numbered_)
      return;
    numbered_ = true;
    order_.clear();
    unsigned n = 0;
    for (const Op &op : body.ops())
      order_[&op] = n++;
  }

  /// How a result of an op relates to the op's operands' memory.
  enum class Alias { Fresh, Of, Unknown };
  /// Result `v`: Fresh (its own memory), Of (it aliases `*parent`), or Unknown (it may
  /// alias an operand: nothing is proven). From the schema table: an annotated alias
  /// (`Tensor(a)`, `Tensor(a!)`) is exact; a view-table row without an annotation (the
  /// Conditional views: dropout in eval mode, type_as, to, contiguous, ... return their
  /// input when they change nothing) aliases its input; an unannotated op tagged `core`
  /// (the core ATen opset: functional, non-aliasing) is fresh, as are a backend's
  /// isolated registered ops (a cpu.kernel writes new buffers) and fxir.alloc; anything
  /// else (non-core ops such as einsum or sum_to_size, which can return their input
  /// unannotated; Python ops) is Unknown.
  static Alias aliasOf(const Value *v, Value **parent) {
    *parent = nullptr;
    const Op *def = v->definingOp();
    if (!def)
      return Alias::Fresh; // a region argument: the caller decides
    if (def->is(FxirOp::Alloc) || def->is(FxirOp::Constant) ||
        (def->info().kind == OpInfo::Kind::Registered && def->info().isolatedFromAbove))
      return Alias::Fresh;
    const OpSchema *schema = def->schema();
    if (!schema)
      return Alias::Unknown;
    unsigned r = 0;
    while (r < def->numResults() && def->result(r) != v)
      ++r;
    if (std::optional<unsigned> arg = schema->aliasedArgumentOfResult(r)) {
      const Attr *a = schemaArg(*def, *schema, *arg);
      if (a && a->kind() == Attr::Kind::Operand) {
        *parent = def->operandValue(a->index());
        return Alias::Of;
      }
      return Alias::Unknown; // (an aliased list argument)
    }
    if (def->info().view) {
      const Attr *a = schema->arguments.empty() ? nullptr : schemaArg(*def, *schema, 0);
      if (a && a->kind() == Attr::Kind::Operand) {
        *parent = def->operandValue(a->index());
        return Alias::Of;
      }
      return Alias::Unknown;
    }
    if (def->info().hasTag("core"))
      return Alias::Fresh;
    // An op that returns its input unannotated returns it unchanged: same dtype and
    // shape. A result unlike every tensor operand is new memory.
    for (unsigned i = 0; i < def->numOperands(); ++i)
      if (sameDTypeAndShape(v, def->operandValue(i)))
        return Alias::Unknown;
    return Alias::Fresh;
  }

  static bool sameDTypeAndShape(const Value *a, const Value *b) {
    const Type *x = a->type(), *y = b->type();
    return x->isTensor() && y->isTensor() && x->dtype() == y->dtype() &&
           x->shape() == y->shape();
  }

  /// Whether result `res` of `owner` may share memory with its operand `v`.
  static bool mayAliasOperand(const Value *res, const Value *v) {
    Value *parent = nullptr;
    switch (aliasOf(res, &parent)) {
    case Alias::Fresh:
      return false;
    case Alias::Of:
      return parent == v;
    case Alias::Unknown:
      return sameDTypeAndShape(res, v);
    }
    return true;
  }

  /// The memory `v` lives in: the value at the end of its alias chain, or null when a
  /// link is not proven.
  static Value *rootOf(Value *v) {
    for (;;) {
      Value *parent = nullptr;
      switch (aliasOf(v, &parent)) {
      case Alias::Fresh:
        return v;
      case Alias::Of:
        v = parent;
        continue;
      case Alias::Unknown:
        return nullptr;
      }
    }
  }

  /// Whether a region op's results could be an operand or a captured value passed
  /// through (a branch or a loop yielding it). A backend's isolated registered ops
  /// (the cpu backend's kernels) compute their results into new memory.
  static bool mayForward(const Op &op) {
    if (op.numRegions() == 0)
      return false;
    return !(op.info().kind == OpInfo::Kind::Registered && op.info().isolatedFromAbove);
  }

  /// What a walk over an alias class does at one use.
  enum class Visit { Follow, Skip, Stop };
  /// Visits every use of `start` and of the values that may alias it (views, in-place
  /// results: mayAliasOperand), transitively; `f(use, value)` says whether to follow
  /// the user's results into the class (Follow), not (Skip), or to stop the walk.
  /// Returns whether it stopped.
  template <typename F> static bool walkAliasUses(Value *start, F f) {
    llvm::SmallVector<Value *, 8> work{start};
    llvm::DenseSet<const Value *> seen{start};
    while (!work.empty()) {
      Value *v = work.pop_back_val();
      for (OpOperand *use = v->firstUse(); use; use = use->nextUse()) {
        Visit next = f(*use, v);
        if (next == Visit::Stop)
          return true;
        if (next == Visit::Skip)
          continue;
        const Op *owner = use->owner();
        for (unsigned r = 0; r < owner->numResults(); ++r)
          if (mayAliasOperand(owner->result(r), v) && seen.insert(owner->result(r)).second)
            work.push_back(owner->result(r));
      }
    }
    return false;
  }

  /// Why `base`, about to be written by `u`, cannot be, or null when it can.
  /// `scatterBack`: an op after `u` that may read the base's root as its operand 0 (the
  /// scatter writing u's result back where the view `base` is: a no-op once u writes
  /// through the view).
  const char *whyNot(Value *base, const Op &u, const Region &body,
                     const Op *scatterBack = nullptr) {
    Value *root = rootOf(base);
    if (!root)
      return "base not a fresh dispatcher result";
    if (root->argOwner() == &body) {
      if (!writableInputs_.count(root))
        return "input not written by the caller's contract";
    } else if (const Op *def = root->definingOp()) {
      // rootOf stopped at a Fresh result (aliasOf); it must be at the top level.
      if (def->parentRegion() != &body)
        return "base not a fresh dispatcher result";
    } else {
      return "base not a fresh dispatcher result";
    }
    number(body);
    unsigned at = order_.lookup(&u);
    // The alias class of root: values whose alias chain reaches it.
    const char *why = nullptr;
    walkAliasUses(root, [&](OpOperand &use, Value *v) {
      const Op *owner = use.owner();
      const Op *top = body.ancestorOpIn(owner);
      if (owner == &u) {
        if (use.index() != 0 || v != base)
          why = "base read by another operand";
        return why ? Visit::Stop : Visit::Skip;
      }
      if (owner == scatterBack && use.index() == 0 && v == scatterBack->operandValue(0))
        return Visit::Skip;
      if (!top || order_.lookup(top) > at) {
        why = "alias read later";
        return Visit::Stop;
      }
      if (top != owner || mayForward(*owner)) {
        // Read inside a region op (or forwarded by it): its results must be dead.
        for (unsigned r = 0; r < top->numResults(); ++r)
          for (OpOperand *ru = top->result(r)->firstUse(); ru; ru = ru->nextUse())
            if (order_.lookup(body.ancestorOpIn(ru->owner())) > at) {
              why = "region op over the base used later";
              return Visit::Stop;
            }
        return Visit::Skip;
      }
      return Visit::Follow; // a view (or in-place result) of it: its uses too
    });
    return why;
  }

  /// Whether `v`, or a value that may alias it, is returned to the caller as a user
  /// output. Written in place into a graph input, such a result would be the caller's
  /// tensor (or the module's buffer) itself, where eager returned new memory.
  static bool returnedToCaller(const Graph &g, Value *v) {
    return walkAliasUses(v, [&](OpOperand &use, Value *) {
      const Op *owner = use.owner();
      if (owner->isTerminator() && owner->parentRegion() == &g.body()) {
        unsigned i = use.index();
        bool user = i < g.outputSpecs().size() &&
                    (g.outputSpecs()[i].kind == OutputSpec::Kind::UserOutput ||
                     g.outputSpecs()[i].kind == OutputSpec::Kind::LossOutput);
        return user ? Visit::Stop : Visit::Skip;
      }
      // (Passed through a branch or loop: not followed, so counted as returned.)
      return owner->numRegions() > 0 && mayForward(*owner) ? Visit::Stop : Visit::Follow;
    });
  }

  /// The inverse scatter `S(root, u's result, args)` of the view `base = V(root, args)`
  /// when it is u's result's only use (same arguments, by schema name), else null.
  static Op *scatterBackOf(const Op &u, Value *base) {
    const Op *view = base->definingOp();
    // (A multi-result view, unbind or split: which piece is not an argument the
    // scatter's could be compared with.)
    if (!view || !view->schema() || !view->info().view || view->numResults() != 1 ||
        view->info().view->kind == ViewKind::Unbind ||
        view->info().view->kind == ViewKind::Split ||
        view->info().view->inverseScatter.empty() || view->parentRegion() != u.parentRegion())
      return nullptr;
    Value *res = u.result(0);
    if (!res->firstUse() || res->firstUse()->nextUse())
      return nullptr;
    Op *s = res->firstUse()->owner();
    const OpSchema *ss = s->schema();
    if (!ss || s->name() != view->info().view->inverseScatter ||
        s->parentRegion() != u.parentRegion() || ss->arguments.size() < 2)
      return nullptr;
    const OpSchema &vs = *view->schema();
    auto operandOf = [](const Op &o, const Attr *a) -> Value * {
      return a && a->kind() == Attr::Kind::Operand ? o.operandValue(a->index()) : nullptr;
    };
    std::optional<unsigned> src = ss->argumentIndex("src");
    if (!src || s->operandValue(0) != operandOf(*s, schemaArg(*s, *ss, 0)) ||
        operandOf(*s, schemaArg(*s, *ss, 0)) != operandOf(*view, schemaArg(*view, vs, 0)) ||
        operandOf(*s, schemaArg(*s, *ss, *src)) != res || s->operandValue(0) == res)
      return nullptr;
    if (view->info().view->kind == ViewKind::Narrow)
      return sameNarrowPlace(*view, *s) ? s : nullptr;
    // The other arguments, by name: equal values (the same operand, or equal
    // constants); an omitted one must be omitted on both sides.
    for (unsigned j = 1; j < vs.arguments.size(); ++j) {
      std::optional<unsigned> k = ss->argumentIndex(vs.arguments[j].name);
      if (!k)
        return nullptr;
      const Attr *a = schemaArg(*view, vs, j), *b = schemaArg(*s, *ss, *k);
      if (!a || !b) {
        if (a != b)
          return nullptr;
        continue;
      }
      if (a->kind() == Attr::Kind::Operand || b->kind() == Attr::Kind::Operand) {
        if (operandOf(*view, a) != operandOf(*s, b) || !operandOf(*view, a))
          return nullptr;
      } else if (*a != *b) {
        return nullptr;
      }
    }
    return s;
  }

  /// An int argument's value when it is a constant (a literal, or an fxir.constant).
  static std::optional<int64_t> intConstant(const Op &o, const Attr *a) {
    if (!a)
      return std::nullopt;
    if (a->kind() == Attr::Kind::Int)
      return a->intValue();
    if (a->kind() != Attr::Kind::Operand)
      return std::nullopt;
    const Op *def = o.operandValue(a->index())->definingOp();
    if (def && def->is(FxirOp::Constant) && !def->args().empty() &&
        def->args()[0].value.kind() == Attr::Kind::Int)
      return def->args()[0].value.intValue();
    return std::nullopt;
  }

  /// Whether `slice_scatter(x, src, dim, start, end, step)` writes where
  /// `narrow(x, dim, start, length)` views: the same dim and start, step 1, and end
  /// the start plus the length (constants, or `_operator.add(start, length)` as
  /// functionalize writes it for a symbolic start).
  static bool sameNarrowPlace(const Op &narrow, const Op &scatter) {
    const OpSchema &ns = *narrow.schema(), &ss = *scatter.schema();
    auto arg = [](const Op &o, const OpSchema &sc, const char *name) -> const Attr * {
      std::optional<unsigned> i = sc.argumentIndex(name);
      return i ? schemaArg(o, sc, *i) : nullptr;
    };
    auto sameValue = [](const Op &a, const Attr *x, const Op &b, const Attr *y) {
      if (!x || !y)
        return false;
      if (x->kind() == Attr::Kind::Operand && y->kind() == Attr::Kind::Operand)
        return a.operandValue(x->index()) == b.operandValue(y->index());
      return x->kind() != Attr::Kind::Operand && y->kind() != Attr::Kind::Operand && *x == *y;
    };
    const Attr *dim = arg(narrow, ns, "dim"), *start = arg(narrow, ns, "start"),
               *length = arg(narrow, ns, "length");
    if (!sameValue(narrow, dim, scatter, arg(scatter, ss, "dim")) ||
        !sameValue(narrow, start, scatter, arg(scatter, ss, "start")))
      return false;
    const Attr *step = arg(scatter, ss, "step");
    if (step && intConstant(scatter, step) != std::optional<int64_t>(1))
      return false;
    const Attr *end = arg(scatter, ss, "end");
    std::optional<int64_t> len = intConstant(narrow, length);
    std::optional<int64_t> s0 = intConstant(narrow, start), e = intConstant(scatter, end);
    if (len && s0 && e)
      return *s0 >= 0 && *e == *s0 + *len; // (a negative start counts from the end)
    if (!end || end->kind() != Attr::Kind::Operand || !start ||
        start->kind() != Attr::Kind::Operand || !len)
      return false;
    const Op *add = scatter.operandValue(end->index())->definingOp();
    if (!add || add->name() != "_operator.add" || add->numOperands() != 2)
      return false;
    Value *sv = narrow.operandValue(start->index());
    for (unsigned i = 0; i < 2; ++i) {
      const Op *c = add->operandValue(1 - i)->definingOp();
      if (add->operandValue(i) == sv && c && c->is(FxirOp::Constant) && !c->args().empty() &&
          c->args()[0].value.kind() == Attr::Kind::Int && c->args()[0].value.intValue() == *len)
        return true;
    }
    return false;
  }

  /// Rewrites `op` in place when it can; returns the last op it created.
  Op *tryRewrite(Graph &g, Op &op, Rewriter &rw, const char *&why) {
    const OpSchema *schema = op.schema();
    if (!schema || op.numResults() != 1 || schema->isMutating() || schema->arguments.empty())
      return nullptr;
    const OpSchema *twin = inplaceTwin(*schema);
    const ViewInfo *view = twin ? nullptr : viewInvertedBy(op.name());
    if (!twin && !view)
      return nullptr;
    const Attr *self = schemaArg(op, *schema, 0);
    if (!self || self->kind() != Attr::Kind::Operand)
      return nullptr;
    Value *base = op.operandValue(self->index());
    if (!base->type()->isTensor()) {
      return nullptr;
    }
    // The in-place result has the base's type; a result typed with an unknown layout
    // (`{?}`) and the base's dtype and shape promises nothing it would break.
    const Type *rt = op.result(0)->type();
    if (rt != base->type() && !(!rt->layoutKnown() && sameDTypeAndShape(op.result(0), base))) {
      why = "result type differs from the base's";
      return nullptr;
    }
    Op *scatterBack = nullptr;
    if ((why = whyNot(base, op, g.body()))) {
      // An update through a view that is scattered back where the view is: in place
      // through the view, and the scatter is the identity.
      scatterBack = twin ? scatterBackOf(op, base) : nullptr;
      if (!scatterBack || whyNot(base, op, g.body(), scatterBack))
        return nullptr;
      why = nullptr;
    }
    Value *root = rootOf(base);
    if (root->argOwner() == &g.body() &&
        (returnedToCaller(g, op.result(0)) ||
         (scatterBack && returnedToCaller(g, scatterBack->result(0))))) {
      why = "result returned to the caller";
      return nullptr;
    }
    std::string action = "written in place into " + (root->name().empty()
                                                         ? std::string("its base")
                                                         : "%" + root->name().str());
    rw.setRoot(&op, action);
    rw.setInsertionPointAfter(&op);
    if (twin) {
      llvm::SmallVector<Value *, 4> operands;
      for (unsigned i = 0; i < op.numOperands(); ++i)
        operands.push_back(op.operandValue(i));
      if (scatterBack)
        rw.setRoots({&op, scatterBack}, action + " through the view; the scatter back is "
                                                 "the identity");
      Op *in = rw.create(opNameOf(*twin), operands, op.args(), {op.result(0)->type()});
      rw.replaceOp(&op, {in->result(0)});
      if (scatterBack)
        rw.replaceOp(scatterBack, {scatterBack->operandValue(0)});
      return in;
    }
    // view(base, the scatter's arguments but the source) and copy_(view, source).
    absl::StatusOr<const OpSchema *> vs = OpSchemaTable::builtin().lookup(
        std::string(view->name.substr(0, view->name.find('.'))) + "::" +
            std::string(view->name.substr(view->name.find('.') + 1,
                                          view->name.rfind('.') - view->name.find('.') - 1)),
        view->name.substr(view->name.rfind('.') + 1));
    std::optional<unsigned> srcIndex = schema->argumentIndex("src");
    const Attr *src = srcIndex ? schemaArg(op, *schema, *srcIndex) : nullptr;
    if (!vs.ok() || !src || src->kind() != Attr::Kind::Operand) {
      rw.clearRoot();
      return nullptr;
    }
    Context &ctx = g.context();
    llvm::SmallVector<Value *, 4> operands{base};
    llvm::SmallVector<Arg, 6> args{{"", Attr::operand(0)}};
    for (unsigned j = 1; j < (*vs)->arguments.size(); ++j) {
      const SchemaArgument &a = (*vs)->arguments[j];
      std::optional<unsigned> k = schema->argumentIndex(a.name);
      const Attr *v = k ? schemaArg(op, *schema, *k) : nullptr;
      if (!v)
        continue; // the view's default, as the scatter's
      if (v->kind() == Attr::Kind::Operand) {
        operands.push_back(op.operandValue(v->index()));
        args.push_back({ctx.intern(a.name), Attr::operand(operands.size() - 1)});
      } else if (v->kind() == Attr::Kind::List || v->kind() == Attr::Kind::Region) {
        rw.clearRoot();
        return nullptr; // (no view op of the table takes operands in a list)
      } else {
        args.push_back({ctx.intern(a.name), *v});
      }
    }
    const Type *srcType = op.operandValue(src->index())->type();
    const Type *viewType = ctx.tensorTypeWithUnknownLayout(srcType->dtype(), srcType->shape(),
                                                              srcType->device());
    Op *v = rw.create(std::string(view->name), operands, args, {viewType});
    Op *copy = rw.create("aten.copy_.default", {v->result(0), op.operandValue(src->index())},
                         {{"", Attr::operand(0)}, {"", Attr::operand(1)}}, {viewType});
    rw.replaceOp(&op, {base});
    return copy;
  }
};

} // namespace

std::unique_ptr<Pass> createReinplacePass(const PassOptions &) {
  return std::make_unique<ReinplacePass>();
}
llvm::ArrayRef<PassOptionSpec> reinplaceOptions() { return {}; }

} // namespace fxir
