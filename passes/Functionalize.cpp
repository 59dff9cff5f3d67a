//===- Functionalize.cpp - in-place ops and writes through views, made functional ----===//
//
// Walks each region in order, keeping for every tensor that is written (a "root": a
// graph input, a fresh tensor such as a clone, a HOP result) the value that holds its
// latest contents, and for every view the root it views and the chain of view ops
// from the root to it. Then:
//  - an op that writes an argument (`Tensor(a!)`, from the schema table) becomes its
//    functional counterpart (OpSchemaTable::functionalVariant: add_ -> add, copy_ ->
//    copy, index_put_ -> index_put, ...), computing the new contents of the written
//    value;
//  - a write into a view becomes an update of its root through the chain, innermost
//    first (select_scatter, slice_scatter, diagonal_scatter, as_strided_scatter; a
//    transpose, permute or reshape is inverted);
//  - every later read of the root, of a view of it, or of the in-place op's result
//    reads the new contents: views taken before the write are re-derived from the new
//    root when next read.
// Graph inputs (user inputs, buffers, parameters) that were written become mutation
// outputs in the signature, in input order, ahead of the user outputs, as
// run_decompositions() makes them; the executor writes them back.
// Inside higher-order op bodies the same happens for tensors the body creates. A body
// that writes its own arguments or a captured outer tensor is rejected (torch.export
// rejects such bodies too).
// Provenance: rewritten ops keep the original's plus (functionalize, rewrote X); ops
// that scatter into a root or re-derive a view carry the writing or reading op's
// provenance plus their own record. After the pass no op writes an argument, or the
// pass fails naming the op.
//===----------------------------------------------------------------------------===//
#include <numeric>
#include <string>

#include "fxir/ir/Builder.h"
#include "fxir/ir/OpSchema.h"
#include "fxir/ir/Verifier.h"
#include "fxir/ir/ViewOps.h"
#include "fxir/passes/Effects.h"
#include "fxir/passes/PassRegistry.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"

namespace fxir {
namespace {

struct ViewStep {
  Op *op;          // the original view op (stays in the graph)
  unsigned result; // which of its results
  unsigned self;   // which of its operands is the viewed tensor
};

struct Alias {
  Value *root = nullptr;
  llvm::SmallVector<ViewStep, 2> chain; // empty: the value is the root's contents
  unsigned version = 0;                 // the root's version when this value was made
};


/// "aten.add.Tensor" for aten::add.Tensor; "aten.copy.default" for aten::copy.
std::string irName(const OpSchema &s) {
  return s.ns + "." + s.name + "." + (s.overload.empty() ? "default" : s.overload);
}

/// Builds an op's operand list and args, taking attrs from another op (its operand
/// references re-pointed at this op's operands) or new values.
class CallBuilder {
public:
  void value(Value *v) {
    args_.push_back({{}, Attr::operand(static_cast<unsigned>(operands_.size()))});
    operands_.push_back(v);
  }
  void attr(const Attr *a, const Op &from, Context &ctx) {
    args_.push_back({{}, a ? copy(*a, from, ctx) : Attr::none()});
  }
  void literal(Attr a) { args_.push_back({{}, a}); }
  llvm::ArrayRef<Value *> operands() const { return operands_; }
  llvm::ArrayRef<Arg> args() const { return args_; }

private:
  Attr copy(const Attr &a, const Op &from, Context &ctx) {
    if (a.kind() == Attr::Kind::Operand) {
      operands_.push_back(from.operandValue(a.index()));
      return Attr::operand(static_cast<unsigned>(operands_.size() - 1));
    }
    if (a.kind() == Attr::Kind::List) {
      llvm::SmallVector<Attr, 8> elems;
      for (const Attr &e : a.listValue())
        elems.push_back(copy(e, from, ctx));
      return Attr::list(ctx.copy(llvm::ArrayRef<Attr>(elems)));
    }
    return a;
  }
  llvm::SmallVector<Value *, 4> operands_;
  llvm::SmallVector<Arg, 8> args_;
};

/// Whether reshaping a tensor of type `from` to `to` can be a view (the rule ATen's
/// view/reshape applies: each run of dims contiguous with one another in `from` must
/// be split or merged into whole dims of `to`). Symbolic sizes or strides count as a
/// view only when `from` is contiguous; nullopt when `from`'s layout is unknown (an
/// archive's tensor_meta without strides): whether it copied cannot be told.
std::optional<bool> reshapeIsView(const Type *from, const Type *to) {
  if (from->isContiguous())
    return true;
  if (!from->layoutKnown())
    return std::nullopt;
  std::vector<int64_t> oldShape, oldStride, newShape;
  for (size_t d = 0; d < from->rank(); ++d) {
    auto n = from->shape()[d]->asConst();
    auto st = from->strides()[d]->asConst();
    if (!n || !st)
      return false;
    oldShape.push_back(*n), oldStride.push_back(*st);
  }
  for (size_t d = 0; d < to->rank(); ++d) {
    auto n = to->shape()[d]->asConst();
    if (!n)
      return false;
    newShape.push_back(*n);
  }
  int64_t numel = 1;
  for (int64_t n : oldShape)
    numel *= n;
  if (oldShape.empty() || numel == 0)
    return true;
  int64_t viewD = static_cast<int64_t>(newShape.size()) - 1;
  int64_t chunkBaseStride = oldStride.back(), tensorNumel = 1, viewNumel = 1;
  for (int64_t d = static_cast<int64_t>(oldShape.size()) - 1; d >= 0; --d) {
    tensorNumel *= oldShape[d];
    // At the start of a contiguous run (or the first dim): the view's dims must cover
    // exactly this run's elements.
    if (d == 0 || (oldShape[d - 1] != 1 && oldStride[d - 1] != tensorNumel * chunkBaseStride)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] == 1))
        viewNumel *= newShape[viewD--];
      if (viewNumel != tensorNumel)
        return false;
      if (d > 0) {
        chunkBaseStride = oldStride[d - 1];
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  return viewD == -1;
}

/// The dtype of `a op b` (torch's promotion, simplified): a 0-dim `b` only promotes
/// across categories (bool < integer < floating < complex); within a category the
/// wider type wins, and float16 with bfloat16 is float32.
DType promote(DType a, DType b, bool bIsScalarLike) {
  auto category = [](DType t) {
    return t == DType::Bool ? 0 : isComplex(t) ? 3 : isFloatingPoint(t) ? 2 : 1;
  };
  if (bIsScalarLike && category(b) <= category(a))
    return a;
  if (category(a) != category(b))
    return category(a) > category(b) ? a : b;
  if ((a == DType::Float16 && b == DType::BFloat16) || (a == DType::BFloat16 && b == DType::Float16))
    return DType::Float32;
  if ((a == DType::UInt8 && b == DType::Int8) || (a == DType::Int8 && b == DType::UInt8))
    return DType::Int16;
  return byteSize(a) >= byteSize(b) ? a : b;
}

/// Whether expanding `from` to `to` makes elements repeat (a size-1 or missing dim
/// grown beyond 1). Symbolic sizes count as repeating unless equal.
bool expandRepeats(const Type *from, const Type *to) {
  size_t lead = to->rank() - std::min(to->rank(), from->rank());
  for (size_t d = 0; d < to->rank(); ++d) {
    auto n = to->shape()[d]->asConst();
    if (d < lead) {
      if (!n || *n > 1)
        return true;
      continue;
    }
    const SymExpr *f = from->shape()[d - lead];
    if (f == to->shape()[d])
      continue;
    auto m = f->asConst();
    if (!m || !n || (*m == 1 && *n > 1) || *m != *n)
      return true;
  }
  return false;
}

class Functionalizer {
public:
  Functionalizer(Graph &g, PassContext &pc) : g_(g), pc_(pc), rw_(g, "functionalize") {}

  absl::StatusOr<bool> run() {
    aliasSharedConstants();
    if (absl::Status st = region(g_.body()); !st.ok())
      return st;
    if (absl::Status st = addMutationOutputs(); !st.ok())
      return st;
    // (The pass manager checks the functional stage this pass establishes.)
    PassStatistics &stats = pc_.stats();
    stats["ops-rewritten"] += rewritten_;
    stats["writes-through-views"] += throughViews_;
    stats["views-rederived"] += rederived_;
    stats["mutation-outputs"] += mutationOutputs_;
    stats["constants-made-state"] += constantsMadeState_;
    return rewritten_ > 0;
  }

private:
  Graph &g_;
  PassContext &pc_;
  Rewriter rw_;
  const OpSchemaTable &table_ = OpSchemaTable::builtin();
  // Where the first write to each written root is (a write that cannot become a
  // mutation output is reported there; the op itself is rewritten by then).
  llvm::DenseMap<const Value *, const Provenance *> firstWriter_;
  llvm::DenseMap<const Value *, Alias> alias_;
  llvm::DenseMap<const Value *, Value *> current_;
  llvm::DenseMap<const Value *, unsigned> version_;
  int64_t rewritten_ = 0, throughViews_ = 0, rederived_ = 0, mutationOutputs_ = 0,
          constantsMadeState_ = 0;
  // Ops that may or may not alias their input (`to`, eval-mode dropout, ...) and do here:
  // their inverse is the identity.
  llvm::DenseSet<const Op *> identityViews_;
  // reshape/flatten ops whose input's layout is unknown: they may have copied.
  llvm::DenseSet<const Op *> unknownCopies_;

  Context &ctx() { return g_.context(); }

  // ---- integer values for symbolic bounds (at the rewriter's insertion point) ----
  /// The symbolic expression a value holds, when known (a SymInt's, a constant's).
  static const SymExpr *exprOf(Context &c, const Value *v) {
    if (v->type()->kind() == Type::Kind::SymInt)
      return v->type()->symExpr();
    if (const Op *d = v->definingOp(); d && d->is(FxirOp::Constant) &&
                                       d->args()[0].value.kind() == Attr::Kind::Int)
      return c.constant(d->args()[0].value.intValue());
    return nullptr;
  }
  std::string exprText(const Value *v) {
    const SymExpr *e = exprOf(ctx(), v);
    return e ? e->str() : "?";
  }
  Value *constantInt(int64_t n) {
    return rw_.create(FxirOp::Constant, {}, {{{}, Attr::integer(n)}}, {ctx().intType()})
        ->result(0);
  }
  /// An int argument of `from` as a value: a constant made here, or its SymInt operand;
  /// null when it is neither.
  Value *intValue(const Attr &a, const Op &from) {
    if (a.kind() == Attr::Kind::Operand)
      return from.operandValue(a.index());
    if (a.kind() == Attr::Kind::Int)
      return constantInt(a.intValue());
    return nullptr;
  }
  /// A Python int op on `in` (`_operator.add`, `torch.sym_ite`, ...), typed with its
  /// expression when the operands' are known.
  Value *pyInt(llvm::StringRef name, llvm::ArrayRef<Value *> in) {
    llvm::SmallVector<const SymExpr *, 3> e;
    for (Value *v : in)
      e.push_back(exprOf(ctx(), v));
    const SymExpr *r = nullptr;
    bool known = llvm::all_of(e, [](const SymExpr *x) { return x != nullptr; });
    if (known && name == "_operator.add")
      r = ctx().add(e[0], e[1]);
    else if (known && name == "_operator.sub")
      r = ctx().sub(e[0], e[1]);
    else if (known && name == "_operator.mul")
      r = ctx().mul(e[0], e[1]);
    else if (known && name == "_operator.floordiv")
      r = ctx().floorDiv(e[0], e[1]);
    else if (known && name == "_operator.neg")
      r = ctx().mul(ctx().constant(-1), e[0]);
    return pythonCall(name, in, ctx().symIntType(r));
  }
  Value *pyBool(llvm::StringRef name, llvm::ArrayRef<Value *> in) {
    return pythonCall(name, in, ctx().symBoolType());
  }
  Value *pythonCall(llvm::StringRef name, llvm::ArrayRef<Value *> in, const Type *t) {
    llvm::SmallVector<Arg, 3> args;
    for (unsigned i = 0; i < in.size(); ++i)
      args.push_back({{}, Attr::operand(i)});
    return rw_.create(name, in, args, {t})->result(0);
  }
  /// Whether the symbols' ranges prove `e >= 0` (false for an unknown expression).
  bool proves(const SymExpr *e) { return e && ctx().provablyNonNegative(e); }
  /// A runtime assert with eager's message.
  void assertThat(Value *cond, const std::string &message) {
    rw_.create("aten._assert_scalar.default", {cond},
               {{{}, Attr::operand(0)}, {{}, Attr::string(ctx().intern(message))}}, {});
  }

  /// Whether `t`'s strides are a permutation of contiguous ones (non-overlapping and
  /// dense): what ATen's clone(preserve_format) and TensorIterator keep.
  static bool densePermutation(const Type *t) {
    if (!t->isTensor() || !t->layoutKnown())
      return false;
    if (t->strides().empty())
      return true;
    llvm::SmallVector<std::pair<int64_t, int64_t>, 6> dims; // (stride, size)
    for (size_t d = 0; d < t->rank(); ++d) {
      std::optional<int64_t> st = t->strides()[d]->asConst(), n = t->shape()[d]->asConst();
      if (!st || !n)
        return false;
      if (*n != 1)
        dims.push_back({*st, *n});
    }
    llvm::sort(dims);
    int64_t expect = 1;
    for (auto [st, n] : dims) {
      if (st != expect)
        return false;
      expect *= n;
    }
    return true;
  }
  /// The type of a new tensor computed from `like` (a scatter's result: a clone of its
  /// input, then written): `like`'s layout when that is contiguous or a dense
  /// permutation (clone keeps it), else unknown.
  const Type *freshLike(const Type *like) {
    if (!like->isTensor() || densePermutation(like))
      return like;
    return ctx().tensorTypeWithUnknownLayout(like->dtype(), like->shape(), like->device());
  }
  /// The same for the functional twin of an in-place op over `operands`: TensorIterator
  /// keeps the layout the tensor operands share when it is dense (all contiguous, or
  /// all the written tensor's permutation); otherwise the IR cannot say.
  const Type *freshResult(const Type *like, llvm::ArrayRef<Value *> operands) {
    const Type *t = freshLike(like);
    for (Value *v : operands) {
      const Type *vt = v->type();
      if (!vt->isTensor() || vt->rank() == 0 || !t->isTensor())
        continue;
      bool same = vt->shape() == t->shape() && vt->layoutKnown() == t->layoutKnown() &&
                  vt->strides() == t->strides();
      if (!same)
        return t->isContiguous() && vt->isContiguous()
                   ? t
                   : ctx().tensorTypeWithUnknownLayout(t->dtype(), t->shape(), t->device());
    }
    return t;
  }

  Alias aliasOf(Value *v) {
    auto it = alias_.find(v);
    if (it != alias_.end())
      return it->second;
    Alias a;
    a.root = v;
    return a;
  }
  Value *contents(Value *root) {
    auto it = current_.find(root);
    return it == current_.end() ? root : it->second;
  }
  unsigned versionOf(Value *root) {
    auto it = version_.find(root);
    return it == version_.end() ? 0 : it->second;
  }

  /// `step`'s view op again, on `x` instead of its original input.
  Value *replay(const ViewStep &step, Value *x) {
    Op &v = *step.op;
    llvm::SmallVector<Value *, 4> operands;
    for (unsigned i = 0; i < v.numOperands(); ++i)
      operands.push_back(i == step.self ? x : v.operandValue(i));
    llvm::SmallVector<const Type *, 2> types;
    for (unsigned i = 0; i < v.numResults(); ++i)
      types.push_back(v.result(i)->type());
    Op *copy = rw_.create(v.name(), operands, v.args(), types);
    ++rederived_;
    return copy->result(step.result);
  }

  /// The value holding what `v` holds now (after every write so far), re-deriving a
  /// view whose root was written since it was taken. New ops go before `user`.
  Value *read(Value *v, Op &user) {
    auto it = alias_.find(v);
    if (it == alias_.end())
      return contents(v);
    Alias a = it->second;
    if (a.chain.empty())
      return contents(a.root);
    if (a.version == versionOf(a.root))
      return v;
    rw_.setInsertionPoint(&user);
    rw_.setRoot(&user, "re-derived a view after a write to its base");
    Value *x = contents(a.root);
    for (const ViewStep &s : a.chain)
      x = replay(s, x);
    rw_.clearRoot();
    Alias fresh = a;
    fresh.version = versionOf(a.root);
    alias_[x] = fresh;
    return x;
  }

  /// The new contents of `x` (a step's input) once `src` is written into the view
  /// `step` takes of it.
  /// `onContiguousRoot`: `step` is the chain's first, applied to a root the program
  /// declared contiguous (the only place an as_strided can be scattered).
  absl::StatusOr<Value *> scatter(const ViewStep &step, Value *x, Value *src, Op &writer,
                                  bool onContiguousRoot) {
    Op &v = *step.op;
    const OpSchema *schema = v.schema();
    const ViewInfo *view = v.info().view;
    llvm::SmallVector<Attr, 4> defaults; // storage for defaults (stable: reserved)
    defaults.reserve(8);
    auto arg = [&](const char *argName) -> const Attr * {
      std::optional<unsigned> i = schema ? schema->argumentIndex(argName) : std::nullopt;
      if (!i)
        return nullptr;
      if (const Attr *a = schemaArg(v, *schema, *i))
        return a;
      // Omitted: the schema's default (hand-written IR may leave defaults out).
      const std::optional<DefaultValue> &d = schema->arguments[*i].defaultValue;
      if (!d || defaults.size() == defaults.capacity())
        return nullptr;
      switch (d->kind) {
      case DefaultValue::Kind::Int: defaults.push_back(Attr::integer(d->intValue)); break;
      case DefaultValue::Kind::Bool: defaults.push_back(Attr::boolean(d->boolValue)); break;
      case DefaultValue::Kind::Float: defaults.push_back(Attr::floating(d->floatValue)); break;
      case DefaultValue::Kind::None: defaults.push_back(Attr::none()); break;
      default: return nullptr;
      }
      return &defaults.back();
    };
    auto fail = [&](const std::string &why) {
      return pc_.error(&writer, "functionalize: " + writer.describe() +
                                " writes through the view " + v.describe() + ": " + why);
    };
    if (unknownCopies_.contains(&v))
      return fail("its input's layout is unknown (the archive gives no strides), so fxir "
                  "cannot tell whether it made a view or a copy, as ATen decides from the "
                  "strides");
    const Type *xt = freshLike(x->type()); // a scatter's result: a new tensor like x
    auto make = [&](llvm::StringRef op, CallBuilder &b, const Type *t) {
      return rw_.create(op, b.operands(), b.args(), {t})->result(0);
    };
    auto intArg = [&](const char *argName) -> std::optional<int64_t> {
      const Attr *a = arg(argName);
      if (a && a->kind() == Attr::Kind::Int)
        return a->intValue();
      return std::nullopt;
    };
    int64_t rank = static_cast<int64_t>(x->type()->rank());
    auto staticDim = [&](const Type *t, int64_t d) -> std::optional<int64_t> {
      if (d < 0)
        d += static_cast<int64_t>(t->rank());
      if (d < 0 || d >= static_cast<int64_t>(t->rank()))
        return std::nullopt;
      return t->shape()[d]->asConst();
    };
    CallBuilder b;
    if (!view)
      return fail("fxir cannot invert this view (it is not in ir/ViewOps.def), so the write "
                  "cannot be applied to its base");
    // The op that writes a piece back into its input (ViewOps.def).
    llvm::StringRef scatterOp = view->inverseScatter;
    switch (view->kind) {
    case ViewKind::Select:
      b.value(x), b.value(src), b.attr(arg("dim"), v, ctx()), b.attr(arg("index"), v, ctx());
      return make(scatterOp, b, xt);
    case ViewKind::Slice:
      b.value(x), b.value(src), b.attr(arg("dim"), v, ctx()), b.attr(arg("start"), v, ctx());
      b.attr(arg("end"), v, ctx()), b.attr(arg("step"), v, ctx());
      return make(scatterOp, b, xt);
    case ViewKind::Diagonal:
      b.value(x), b.value(src), b.attr(arg("offset"), v, ctx()), b.attr(arg("dim1"), v, ctx());
      b.attr(arg("dim2"), v, ctx());
      return make(scatterOp, b, xt);
    case ViewKind::AsStrided: {
      // Its size, stride and offset address the root's storage: only a first step on
      // a contiguous root can be scattered into it.
      if (!onContiguousRoot)
        return fail("as_strided of a view or of a non-contiguous tensor addresses memory "
                    "the chain does not describe");
      b.value(x), b.value(src), b.attr(arg("size"), v, ctx()), b.attr(arg("stride"), v, ctx());
      b.attr(arg("storage_offset"), v, ctx());
      return make(scatterOp, b, xt);
    }
    case ViewKind::Narrow: {
      std::optional<int64_t> dim = intArg("dim");
      if (!dim)
        return fail("a narrow with a symbolic dim");
      if (*dim < -rank || *dim >= rank)
        return fail("a narrow with an out-of-range dim");
      std::optional<int64_t> start = intArg("start"), length = intArg("length");
      std::optional<int64_t> n = staticDim(x->type(), *dim);
      if (start && length && n) {
        // All static: the bounds were checked when the program was exported.
        if (*start < 0)
          *start += *n;
        b.value(x), b.value(src), b.attr(arg("dim"), v, ctx()), b.literal(Attr::integer(*start));
        b.literal(Attr::integer(*start + *length)), b.literal(Attr::integer(1));
        return make(scatterOp, b, xt);
      }
      // A symbolic start, length or dim size (a KV-cache write at `pos.item()`): the
      // scatter's bounds are values computed here, and asserts give eager's errors,
      // which the narrow itself would have raised (it may be dead after this pass).
      const Attr *startArg = arg("start"), *lengthArg = arg("length");
      if (!startArg || !lengthArg)
        return fail("a narrow without its start and length");
      Value *size = rw_.createSize(x, *dim < 0 ? *dim + rank : *dim);
      Value *s0 = intValue(*startArg, v), *len = intValue(*lengthArg, v);
      if (!s0 || !len)
        return fail("a narrow whose start or length is not an int");
      // What the symbols' ranges already prove needs no runtime check (a cache write at
      // `pos.item()` with `torch._check(pos < n)` proves every bound). Eager's order:
      // the length, the start's range, the end.
      const SymExpr *se = exprOf(ctx(), s0), *le = exprOf(ctx(), len), *ne = exprOf(ctx(), size);
      bool startNonNegative = proves(se);
      if (!proves(le))
        assertThat(pyBool("_operator.ge", {len, constantInt(0)}),
                   "narrow(): length must be non-negative.");
      if (!(se && ne && proves(ctx().add(se, ne)) && proves(ctx().sub(ne, se)))) {
        Value *negSize = pyInt("_operator.neg", {size});
        assertThat(pyBool("_operator.and_", {pyBool("_operator.ge", {s0, negSize}),
                                             pyBool("_operator.le", {s0, size})}),
                   "start out of range (expected to be in range of [-" + exprText(size) +
                       ", " + exprText(size) + "], but got " + exprText(s0) + ")");
      }
      Value *wrapped =
          startNonNegative
              ? s0
              : pyInt("torch.sym_ite", {pyBool("_operator.lt", {s0, constantInt(0)}),
                                        pyInt("_operator.add", {s0, size}), s0});
      Value *end = pyInt("_operator.add", {wrapped, len});
      if (!(startNonNegative && le && ne && proves(ctx().sub(ne, ctx().add(se, le)))))
        assertThat(pyBool("_operator.le", {end, size}),
                   "start (" +
                       (startNonNegative ? exprText(s0)
                                         : exprText(s0) + " + " + exprText(size) + " if " +
                                               exprText(s0) + " < 0 else " + exprText(s0)) +
                       ") + length (" + exprText(len) + ") exceeds dimension size (" +
                       exprText(size) + ").");
      b.value(x), b.value(src), b.attr(arg("dim"), v, ctx()), b.value(wrapped), b.value(end);
      b.literal(Attr::integer(1));
      return make(scatterOp, b, xt);
    }
    case ViewKind::Unbind:
      b.value(x), b.value(src), b.attr(arg("dim"), v, ctx());
      b.literal(Attr::integer(step.result));
      return make(scatterOp, b, xt);
    case ViewKind::Split: {
      std::optional<int64_t> dim = intArg("dim");
      if (!dim)
        return fail("a split along a symbolic dim");
      if (*dim < -rank || *dim >= rank)
        return fail("a split along an out-of-range dim");
      // Static piece sizes: the piece's start and end are literals.
      std::optional<int64_t> start = 0;
      for (unsigned r = 0; r < step.result && start; ++r) {
        std::optional<int64_t> n = staticDim(v.result(r)->type(), *dim);
        start = n ? std::optional<int64_t>(*start + *n) : std::nullopt;
      }
      std::optional<int64_t> n = staticDim(v.result(step.result)->type(), *dim);
      if (start && n) {
        b.value(x), b.value(src), b.literal(Attr::integer(*dim)), b.literal(Attr::integer(*start));
        b.literal(Attr::integer(*start + *n)), b.literal(Attr::integer(1));
        return make(scatterOp, b, xt);
      }
      // Symbolic pieces: piece r's bounds from the split's own arguments (the slice
      // clamps the last piece's end to the dim, as split does).
      Value *first = nullptr, *pieceLen = nullptr;
      Value *r = constantInt(step.result);
      if (const Attr *sizes = arg("split_sizes")) {
        if (sizes->kind() != Attr::Kind::List || sizes->listValue().size() <= step.result)
          return fail("a split_with_sizes without its sizes");
        // Piece r starts at the sum of the sizes before it.
        llvm::SmallVector<Value *, 6> pieces;
        for (const Attr &a : sizes->listValue()) {
          pieces.push_back(intValue(a, v));
          if (!pieces.back())
            return fail("a split_with_sizes whose sizes are not ints");
        }
        auto sum = [&](size_t n) {
          Value *acc = n ? pieces[0] : constantInt(0);
          for (size_t k = 1; k < n; ++k)
            acc = pyInt("_operator.add", {acc, pieces[k]});
          return acc;
        };
        first = sum(step.result);
        pieceLen = pieces[step.result];
        // The sizes must cover the dim exactly, which the split checked (it may be dead
        // after this pass): the check stays unless the symbols prove it.
        Value *size = rw_.createSize(x, *dim < 0 ? *dim + rank : *dim);
        Value *total = sum(pieces.size());
        std::string listed;
        for (Value *piece : pieces)
          listed += (listed.empty() ? "" : ", ") + exprText(piece);
        Value *allNonNegative = nullptr;
        for (Value *piece : pieces)
          if (!proves(exprOf(ctx(), piece))) {
            Value *ok = pyBool("_operator.ge", {piece, constantInt(0)});
            allNonNegative = allNonNegative ? pyBool("_operator.and_", {allNonNegative, ok}) : ok;
          }
        if (allNonNegative)
          assertThat(allNonNegative, "split_with_sizes expects split_sizes have only "
                                     "non-negative entries, but got split_sizes=[" +
                                         listed + "]");
        const SymExpr *te = exprOf(ctx(), total), *ne = exprOf(ctx(), size);
        if (!(te && te == ne))
          assertThat(pyBool("_operator.eq", {total, size}),
                     "split_with_sizes expects split_sizes to sum exactly to " +
                         exprText(size) + " (input tensor's size at dimension " +
                         std::to_string(*dim) + "), but got split_sizes=[" + listed + "]");
      } else if (const Attr *sz = arg("split_size")) {
        pieceLen = intValue(*sz, v);
        if (!pieceLen)
          return fail("a split whose split_size is not an int");
        Value *size = rw_.createSize(x, *dim < 0 ? *dim + rank : *dim);
        const SymExpr *pe = exprOf(ctx(), pieceLen);
        if (!proves(pe))
          assertThat(pyBool("_operator.ge", {pieceLen, constantInt(0)}),
                     "split expects split_size be non-negative, but got split_size=" +
                         exprText(pieceLen));
        if (!(pe && proves(ctx().sub(pe, ctx().constant(1)))))
          assertThat(pyBool("_operator.or_", {pyBool("_operator.ne", {pieceLen, constantInt(0)}),
                                              pyBool("_operator.eq", {size, constantInt(0)})}),
                     "split_size can only be 0 if dimension size is 0, but got dimension "
                     "size of " + exprText(size));
        first = pyInt("_operator.mul", {r, pieceLen});
      } else if (const Attr *chunks = arg("chunks")) {
        // chunk: pieces of ceil(size / chunks).
        Value *size = rw_.createSize(x, *dim < 0 ? *dim + rank : *dim);
        Value *c = intValue(*chunks, v);
        if (!c)
          return fail("a chunk whose chunks is not an int");
        if (const SymExpr *ce = exprOf(ctx(), c); !(ce && proves(ctx().sub(ce, ctx().constant(1)))))
          assertThat(pyBool("_operator.gt", {c, constantInt(0)}),
                     "chunk expects `chunks` to be greater than 0, got: " + exprText(c));
        pieceLen = pyInt("_operator.floordiv",
                         {pyInt("_operator.sub", {pyInt("_operator.add", {size, c}),
                                                  constantInt(1)}),
                          c});
        first = pyInt("_operator.mul", {r, pieceLen});
      } else {
        return fail("a split whose pieces have symbolic sizes and no size arguments");
      }
      Value *end = pyInt("_operator.add", {first, pieceLen});
      b.value(x), b.value(src), b.literal(Attr::integer(*dim)), b.value(first), b.value(end);
      b.literal(Attr::integer(1));
      return make(scatterOp, b, xt);
    }
    case ViewKind::Transpose: {
      // Its own inverse; the result is a view of the new contents with their strides
      // swapped (not contiguous: the type says so).
      llvm::SmallVector<unsigned, 6> perm;
      for (unsigned d = 0; d < src->type()->rank(); ++d)
        perm.push_back(d);
      if (v.schema() && v.schema()->argumentIndex("dim0")) {
        std::optional<int64_t> d0 = intArg("dim0"), d1 = intArg("dim1");
        if (!d0 || !d1)
          return fail("a transpose with symbolic dims");
        int64_t r = static_cast<int64_t>(perm.size());
        int64_t a = *d0 < 0 ? *d0 + r : *d0, c = *d1 < 0 ? *d1 + r : *d1;
        if (a < 0 || a >= r || c < 0 || c >= r)
          return fail("a transpose with an out-of-range dim");
        std::swap(perm[a], perm[c]);
        b.value(src), b.attr(arg("dim0"), v, ctx()), b.attr(arg("dim1"), v, ctx());
      } else {
        if (perm.size() == 2)
          std::swap(perm[0], perm[1]);
        b.value(src);
      }
      return make(v.name(), b, ctx().permutedType(src->type(), perm));
    }
    case ViewKind::Permute: {
      const Attr *dims = arg("dims");
      if (!dims || dims->kind() != Attr::Kind::List)
        return fail("a permute without its dims");
      std::vector<int64_t> inverse(dims->listValue().size());
      for (size_t i = 0; i < inverse.size(); ++i) {
        const Attr &d = dims->listValue()[i];
        if (d.kind() != Attr::Kind::Int)
          return fail("a permute with symbolic dims");
        int64_t di = d.intValue() < 0 ? d.intValue() + rank : d.intValue();
        if (di < 0 || di >= static_cast<int64_t>(inverse.size()))
          return fail("a permute with an out-of-range dim");
        inverse[di] = static_cast<int64_t>(i);
      }
      llvm::SmallVector<Attr, 6> elems;
      llvm::SmallVector<unsigned, 6> perm;
      for (int64_t d : inverse) {
        elems.push_back(Attr::integer(d));
        perm.push_back(static_cast<unsigned>(d));
      }
      b.value(src), b.literal(Attr::list(ctx().copy(llvm::ArrayRef<Attr>(elems))));
      return make(v.name(), b, ctx().permutedType(src->type(), perm));
    }
    case ViewKind::Identity:
      return src;
    case ViewKind::Conditional:
      if (identityViews_.count(&v))
        return src;
      return fail("a conditional view that copies here");
    case ViewKind::Expand:
      if (expandRepeats(x->type(), v.result(0)->type()))
        return fail("the view repeats elements (an expanded tensor), so one element would be "
                    "written several times; eager raises \"unsupported operation: more than "
                    "one element of the written-to tensor refers to a single memory "
                    "location\"");
      break; // a broadcast that repeats nothing: a reshape
    case ViewKind::Reshape:
      break;
    }
    // Reshape (and a broadcast that repeats nothing): the elements are the same ones in
    // row-major order: reshape the new contents back to the input's shape (symbolic dims
    // read from the input). A view of contiguous contents is contiguous; of others, the
    // IR cannot say.
    {
      llvm::SmallVector<Attr, 6> dims;
      llvm::SmallVector<Value *, 4> dimValues;
      for (size_t d = 0; d < x->type()->rank(); ++d) {
        const SymExpr *e = x->type()->shape()[d];
        if (auto c = e->asConst()) {
          dims.push_back(Attr::integer(*c));
          continue;
        }
        dims.push_back(Attr::operand(0)); // placeholder, re-pointed below
        dimValues.push_back(rw_.createSize(x, static_cast<int64_t>(d)));
      }
      // Lay out operands: src first, then the symbolic sizes in order.
      llvm::SmallVector<Value *, 4> operands{src};
      unsigned next = 1;
      for (Attr &d : dims)
        if (d.kind() == Attr::Kind::Operand) {
          d = Attr::operand(next);
          operands.push_back(dimValues[next - 1]);
          ++next;
        }
      llvm::SmallVector<Arg, 2> args{{{}, Attr::operand(0)},
                                     {{}, Attr::list(ctx().copy(llvm::ArrayRef<Attr>(dims)))}};
      const Type *t = src->type()->isContiguous()
                          ? ctx().tensorType(x->type()->dtype(), x->type()->shape(), {},
                                             x->type()->device())
                          : ctx().tensorTypeWithUnknownLayout(x->type()->dtype(),
                                                              x->type()->shape(),
                                                              x->type()->device());
      return rw_.create("aten.view.default", operands, args, {t})->result(0);
    }
  }

  /// Records that `target` (as the writing op saw it) now holds `value`.
  absl::Status write(Value *target, Value *value, Op &writer) {
    Alias a = aliasOf(target);
    Value *root = a.root;
    firstWriter_.try_emplace(root, writer.provenance());
    // A body may update only tensors it created: a write to its own argument or to a
    // captured tensor would have to leave the body.
    Region *here = writer.parentRegion();
    Region *home = root->definingOp() ? root->definingOp()->parentRegion() : root->argOwner();
    if (home != here || (root->argOwner() && root->argOwner() != &g_.body())) {
      return pc_.error(&writer,
          "functionalize: " + writer.describe() + " writes " +
          (root->argOwner() && root->argOwner() != &g_.body()
               ? std::string("an argument of the higher-order op body it is in")
               : std::string("a tensor from outside the higher-order op body it is in")) +
          "; torch.export does not allow a body to mutate its inputs or captured tensors");
    }
    rw_.setInsertionPoint(&writer);
    rw_.setRoot(&writer, "applied a write through a view to its base");
    Value *newRoot = value;
    if (!a.chain.empty()) {
      ++throughViews_;
      // The inputs of each step, re-derived from the root's current contents. (The
      // chain's own intermediate values may predate a write the view itself saw, so
      // they are never reused; cse and dce remove the duplicates.)
      llvm::SmallVector<Value *, 4> inputs{contents(root)};
      for (size_t i = 0; i + 1 < a.chain.size(); ++i)
        inputs.push_back(replay(a.chain[i], inputs.back()));
      for (size_t i = a.chain.size(); i-- > 0;) {
        absl::StatusOr<Value *> up = scatter(a.chain[i], inputs[i], newRoot, writer,
                                             i == 0 && root->type()->strides().empty());
        if (!up.ok()) {
          rw_.clearRoot();
          return up.status();
        }
        newRoot = *up;
      }
    }
    rw_.clearRoot();
    current_[root] = newRoot;
    unsigned ver = ++version_[root];
    Alias rootAlias;
    rootAlias.root = root;
    rootAlias.version = ver;
    alias_[newRoot] = rootAlias;
    return absl::OkStatus();
  }

  absl::Status op(Op &o) {
    llvm::SmallVector<Value *, 4> original;
    for (unsigned i = 0; i < o.numOperands(); ++i)
      original.push_back(o.operandValue(i));
    // Every operand reads the current contents.
    bool changed = false;
    for (unsigned i = 0; i < o.numOperands(); ++i) {
      Value *now = read(original[i], o);
      if (now != original[i]) {
        o.operand(i).set(now);
        changed = true;
      }
    }
    if (changed)
      rw_.noteModified(&o, "reads values as updated by earlier writes");
    for (unsigned r = 0; r < o.numRegions(); ++r)
      if (absl::Status st = region(o.region(r)); !st.ok())
        return st;
    const OpSchema *schema = o.schema();
    if (!schema)
      return absl::OkStatus();
    llvm::SmallVector<unsigned, 2> written = schema->writtenArguments();
    if (schema->hasTag("maybe_aliasing_or_mutating") && o.name().starts_with("aten.batch_norm.")) {
      // batch_norm writes running_mean/running_var in training mode, though its schema
      // does not say so.
      std::optional<unsigned> ti = schema->argumentIndex("training");
      const Attr *t = ti ? schemaArg(o, *schema, *ti) : nullptr;
      std::optional<unsigned> mi = schema->argumentIndex("running_mean");
      const Attr *m = mi ? schemaArg(o, *schema, *mi) : nullptr;
      bool hasStats = m && m->kind() == Attr::Kind::Operand;
      if (hasStats && (!t || t->kind() != Attr::Kind::Bool || t->boolValue()))
        return pc_.error(&o,
            "functionalize: " + o.describe() +
            " runs in training mode and so updates running_mean and running_var, which its "
            "schema does not annotate; fxir does not functionalize it (export the model "
            "in eval mode, or use the run_decompositions() export)");
    }
    if (written.empty() && o.info().view && o.info().view->kind == ViewKind::Conditional) {
      // (ViewOps.def: the schema marks them `Tensor(a)` or maybe_aliasing_or_mutating,
      // but they alias only when they change nothing: the result's type is the input's.)
      // Aliases its input only when it changes nothing; then its inverse is identity.
      if (o.numOperands() && o.numResults() == 1 && o.operandValue(0)->type()->isTensor() &&
          original[0]->type() == o.result(0)->type()) {
        identityViews_.insert(&o);
        Alias base = aliasOf(o.operandValue(0));
        Alias view;
        view.root = base.root;
        view.chain = base.chain;
        view.chain.push_back({&o, 0, 0});
        view.version = versionOf(base.root);
        alias_[o.result(0)] = view;
      }
      return absl::OkStatus();
    }
    if (written.empty()) {
      // A view: its results alias an argument; remember the chain from the root.
      for (unsigned r = 0; r < o.numResults(); ++r) {
        std::optional<unsigned> ai = schema->aliasedArgumentOfResult(r);
        if (!ai)
          continue;
        const Attr *a = schemaArg(o, *schema, *ai);
        if (!a || a->kind() != Attr::Kind::Operand || !o.result(r)->type()->isTensor())
          continue;
        // reshape and flatten alias their input only when its strides allow a view;
        // otherwise they copy, and a write to the result stays in the result.
        // (Judged on the type the program declared for the input, which carries the
        // strides eager has, not on a re-pointed functional value's.)
        if (o.info().view && o.info().view->mayCopy) {
          std::optional<bool> isView =
              reshapeIsView(original[a->index()]->type(), o.result(r)->type());
          if (isView && !*isView)
            continue;
          if (!isView) // tracked, but a write through it is an error (invertStep)
            unknownCopies_.insert(&o);
        }
        Value *in = o.operandValue(a->index());
        Alias base = aliasOf(in);
        Alias view;
        view.root = base.root;
        view.chain = base.chain;
        view.chain.push_back({&o, r, a->index()});
        view.version = versionOf(base.root);
        alias_[o.result(r)] = view;
      }
      return absl::OkStatus();
    }
    // An in-place op that only changes metadata and here changes none of what the IR
    // records (`detach_`: same dtype, shape and strides) writes no data: its result
    // is the written tensor itself.
    if (written.size() == 1 && o.numResults() == 1) {
      const Attr *w0 = schemaArg(o, *schema, written[0]);
      if (w0 && w0->kind() == Attr::Kind::Operand &&
          original[w0->index()]->type() == o.result(0)->type()) {
        auto twin = table_.lookup(schema->ns + "::" +
                                      schema->name.substr(0, schema->name.size() - 1),
                                  schema->overload);
        if (twin.ok() && !(*twin)->returns.empty() && (*twin)->returns[0].type.anyAlias() &&
            !(*twin)->isMutating()) {
          alias_[o.result(0)] = aliasOf(o.operandValue(w0->index()));
          Value *now = read(o.result(0), o);
          rw_.replaceOp(&o, {now});
          return absl::OkStatus();
        }
      }
    }
    // A write: the functional counterpart computes the written argument's new contents.
    const OpSchema *functional = table_.functionalVariant(*schema);
    if (!functional)
      return pc_.error(&o,
          "functionalize: " + o.describe() + " writes its argument '" +
          schema->arguments[written[0]].name +
          "' and the operator schema table has no functional counterpart for " +
          schema->fullName());
    const Attr *w = schemaArg(o, *schema, written[0]);
    if (!w || w->kind() != Attr::Kind::Operand)
      return pc_.error(&o, "functionalize: " + o.describe() +
                           ": the written argument is not a tensor operand");
    Value *target = original[w->index()];
    if (!target->type()->isTensor())
      return pc_.error(&o, "functionalize: " + o.describe() +
                           ": the written argument is not a tensor");
    rw_.setInsertionPoint(&o);
    rw_.setRoot(&o, "rewrote " + o.name().str() + " as " + irName(*functional));
    llvm::SmallVector<Value *, 4> operands;
    for (unsigned i = 0; i < o.numOperands(); ++i)
      operands.push_back(o.operandValue(i));
    // A pointwise in-place op computes in the promoted dtype and casts to the written
    // tensor's; its functional twin keeps the promoted one, so cast back when another
    // tensor operand (or a float number for an integral tensor) promotes. (Other ops,
    // copy and index_put among them, produce the written tensor's dtype themselves.)
    DType want = target->type()->dtype();
    DType promoted = want;
    bool pointwise = functional->hasTag("pointwise");
    for (unsigned i = 0; pointwise && i < o.numOperands(); ++i) {
      const Type *t = o.operandValue(i)->type();
      if (i != w->index() && t->isTensor() && t->dtype() != want)
        promoted = promote(promoted, t->dtype(), t->rank() == 0);
    }
    bool floatNumber = llvm::any_of(o.args(), [](const Arg &a) {
      return a.value.kind() == Attr::Kind::Float;
    });
    if (pointwise && floatNumber && !isFloatingPoint(promoted) && !isComplex(promoted))
      promoted = DType::Float32;
    bool castBack = promoted != want;
    const Type *resultType = freshResult(target->type(), operands);
    if (castBack)
      resultType = ctx().withDType(resultType, promoted);
    Op *f = rw_.create(irName(*functional), operands, o.args(), {resultType});
    Value *updated = f->result(0);
    if (castBack) {
      Op *cast = rw_.create("aten._to_copy.default", {updated},
                            {{{}, Attr::operand(0)}, {"dtype", Attr::dtype(want)}},
                            {ctx().withDType(resultType, want)});
      updated = cast->result(0);
    }
    rw_.clearRoot();
    ++rewritten_;
    if (absl::Status st = write(target, updated, o); !st.ok())
      return st;
    // The in-place op's results alias the written argument: they read its contents.
    llvm::SmallVector<Value *, 2> repl;
    for (unsigned r = 0; r < o.numResults(); ++r) {
      alias_[o.result(r)] = aliasOf(target);
      Value *now = read(o.result(r), o);
      if (now == o.result(r)) {
        // Still current (cannot happen right after a write, but stay safe).
        return pc_.internalError(&o, "functionalize: " + o.describe() + ": result not updated");
      }
      repl.push_back(now);
    }
    if (o.numResults())
      rw_.replaceOp(&o, repl);
    else
      rw_.eraseOp(&o);
    return absl::OkStatus();
  }

  absl::Status region(Region &r) {
    for (auto it = r.ops().begin(); it != r.ops().end();) {
      Op &o = *it++;
      if (absl::Status st = op(o); !st.ok())
        return st;
    }
    return absl::OkStatus();
  }

  /// A constant that shares a buffer's or parameter's storage (InputSpec::shares) is
  /// that tensor: when the buffer is an input too, the constant aliases it (one root, so
  /// a write through either is the buffer's mutation and reads of either see it).
  void aliasSharedConstants() {
    llvm::StringMap<Value *> weightArgs;
    Region &body = g_.body();
    unsigned numSpecs = std::min<unsigned>(body.numArgs(), g_.inputSpecs().size());
    for (unsigned i = 0; i < numSpecs; ++i) {
      const InputSpec &s = g_.inputSpecs()[i];
      if (s.kind == InputSpec::Kind::Buffer || s.kind == InputSpec::Kind::Parameter)
        weightArgs[s.target] = body.arg(i);
    }
    for (unsigned i = 0; i < numSpecs; ++i) {
      const InputSpec &s = g_.inputSpecs()[i];
      if (s.kind != InputSpec::Kind::TensorConstant || s.shares.empty())
        continue;
      Value *w = weightArgs.lookup(s.shares), *c = body.arg(i);
      if (!w)
        continue;
      if (!s.sharesAt) {
        // The same view of the same storage (the reader checked): the same contents,
        // whatever layout detail the two types record.
        const Type *wt = w->type(), *ct = c->type();
        if (wt->isTensor() && ct->isTensor() && wt->dtype() == ct->dtype() &&
            wt->shape() == ct->shape()) {
          Alias a;
          a.root = w;
          alias_[c] = a;
        }
        continue;
      }
      // A part of the buffer: the constant's reads become an as_strided view of it (at
      // the top of the graph), so writes through it are writes through a view.
      const Type *t = c->type();
      if (!t->isTensor() || !t->layoutKnown() || c->numUses() == 0 || body.ops().empty())
        continue;
      llvm::SmallVector<Attr, 6> sizes, strides;
      bool staticLayout = true;
      llvm::SmallVector<const SymExpr *, 6> layout(t->strides().begin(), t->strides().end());
      if (layout.empty())
        layout = ctx().contiguousStrides(t->shape());
      for (size_t d = 0; d < t->rank(); ++d) {
        std::optional<int64_t> n = t->shape()[d]->asConst();
        std::optional<int64_t> st = layout[d]->asConst();
        staticLayout &= n && st;
        sizes.push_back(Attr::integer(n.value_or(0)));
        strides.push_back(Attr::integer(st.value_or(0)));
      }
      if (!staticLayout)
        continue;
      Op *first = &body.ops().front();
      rw_.setInsertionPoint(first);
      rw_.setRoot(c->firstUse()->owner(), "read the lifted constant " + s.target.str() + " as a part of " +
                             s.shares.str() + ", whose storage it shares");
      Op *view = rw_.create("aten.as_strided.default", {w},
                            {{{}, Attr::operand(0)}, {{}, Attr::list(sizes)},
                             {{}, Attr::list(strides)}, {{}, Attr::integer(*s.sharesAt)}},
                            {t});
      rw_.clearRoot();
      c->replaceAllUsesWith(view->result(0));
    }
  }

  absl::Status addMutationOutputs() {
    Region &body = g_.body();
    Op *yield = body.terminator();
    if (!yield)
      return pc_.error(static_cast<const Op *>(nullptr),
                       "functionalize: the graph has no fxir.yield");
    llvm::SmallVector<Value *, 4> values;
    std::vector<OutputSpec> specs;
    for (unsigned i = 0; i < body.numArgs(); ++i) {
      Value *arg = body.arg(i);
      if (!versionOf(arg))
        continue;
      const InputSpec &in = g_.inputSpecs()[i];
      OutputSpec out;
      switch (in.kind) {
      case InputSpec::Kind::UserInput:
        out.kind = OutputSpec::Kind::UserInputMutation;
        out.target = arg->name();
        break;
      case InputSpec::Kind::Buffer:
        out.kind = OutputSpec::Kind::BufferMutation;
        out.target = in.target;
        break;
      case InputSpec::Kind::Parameter:
        out.kind = OutputSpec::Kind::ParameterMutation;
        out.target = in.target;
        break;
      case InputSpec::Kind::TensorConstant: {
        // A written constant (aliasSharedConstants took those whose buffer is an input)
        // is program state, a non-persistent buffer of its own that keeps its value
        // across calls, as the eager module's attribute does. One that shares the
        // storage of a buffer the graph does not take stays bound over that storage
        // (the runtime binds by storage), so writing it back updates the buffer too;
        // the graph reads no other name for that memory.
        InputSpec &state = g_.inputSpecs()[i];
        state.kind = InputSpec::Kind::Buffer;
        state.persistent = false;
        state.shares = {};
        state.sharesAt.reset();
        out.kind = OutputSpec::Kind::BufferMutation;
        out.target = state.target;
        ++constantsMadeState_;
        break;
      }
      default:
        return pc_.error(firstWriter_.lookup(arg),
                         "functionalize: the program writes its " +
                             inputKindName(in.kind).str() + " input " + arg->name().str() +
                             ", which cannot become a mutation output");
      }
      if (out.target.empty())
        return pc_.error(firstWriter_.lookup(arg), "functionalize: written input #" +
                                                                std::to_string(i) +
                                                                " has no name to target");
      values.push_back(contents(arg));
      specs.push_back(out);
    }
    if (values.empty())
      return absl::OkStatus();
    mutationOutputs_ += static_cast<int64_t>(values.size());
    for (unsigned i = 0; i < yield->numOperands(); ++i)
      values.push_back(yield->operandValue(i));
    llvm::SmallVector<Arg, 8> args;
    for (unsigned i = 0; i < values.size(); ++i)
      args.push_back({{}, Attr::operand(i)});
    rw_.setInsertionPoint(yield);
    rw_.setRoot(yield, "added the outputs of written inputs");
    rw_.create(FxirOp::Yield, values, args, {});
    rw_.clearRoot();
    rw_.eraseOp(yield);
    g_.outputSpecs().insert(g_.outputSpecs().begin(), specs.begin(), specs.end());
    return absl::OkStatus();
  }
};

class FunctionalizePass : public Pass {
public:
  absl::StatusOr<bool> run(Graph &g, PassContext &ctx) override {
    return Functionalizer(g, ctx).run();
  }
};

} // namespace

std::unique_ptr<Pass> createFunctionalizePass(const PassOptions &) {
  return std::make_unique<FunctionalizePass>();
}
llvm::ArrayRef<PassOptionSpec> functionalizeOptions() { return {}; }

} // namespace fxir
