//===- Canonicalize.cpp - a first set of foldings --------------------------------------===//
//
// Rewrites, applied until nothing changes or `max-iterations` rounds have run:
//  1. a symbolic-int op whose result type says it is a constant (`symint<8>`), and
//     `aten.sym_size.int(x, d)` of a static dim, become `fxir.constant`;
//  2. `_operator.add|sub|mul|floordiv|mod|neg` of constants fold (Python floor
//     semantics), as do `_operator.eq|ne|lt|le|gt|ge` to a bool constant;
//  3. a view (`aten.view.default`, `aten.reshape.default`, `aten.alias.default`) whose
//     result type equals its input's type (shape, strides, dtype, device) is its input;
//  4. on functional programs, the data movement export puts around scan for `dim=` and
//     `reverse=` is folded into the loop (iteration order and strided access):
//     `select(flip(t, [0]), 0, i)` reads `select(t, 0, n-1-i)`, `select(movedim(x, d, 0),
//     0, i)` and `select(permute(x, [d, ...]), 0, i)` read `select(x, d, i)`, and a
//     stacked loop output whose only use is `flip(ys, [0])` is written at n-1-i instead,
//     so neither xs nor ys is copied for them (dce then drops the dead flip/movedim).
// Every new op takes the folded op's provenance plus (canonicalize, folded ...).
//
// Does not: fold tensor arithmetic (that needs kernels), or simplify in-place ops.
//===----------------------------------------------------------------------------===//
#include "fxir/ir/Builder.h"
#include "fxir/ir/Verifier.h"
#include "fxir/ir/SymExpr.h"
#include "fxir/passes/Effects.h"
#include "fxir/passes/PassRegistry.h"

namespace fxir {
namespace {

const PassOptionSpec kOptions[] = {
    {"max-iterations", PassOptionSpec::Type::Int, "4",
     "Rounds of rewriting at most (each round visits every op once)"},
};

class CanonicalizePass : public Pass {
public:
  explicit CanonicalizePass(const PassOptions &o) : maxIterations_(o.getInt("max-iterations")) {}

  absl::StatusOr<bool> run(Graph &g, PassContext &ctx) override {
    PassStatistics &stats = ctx.stats();
    if (maxIterations_ < 1)
      return absl::InvalidArgumentError("canonicalize: max-iterations must be at least 1");
    effects_.reset();
    // Rule 4 is for functional programs only; the pass manager knows whether this one is.
    functional_ = ctx.stages().has(Stage::Functional);
    Rewriter rw(g, "canonicalize");
    bool changed = false;
    for (int64_t round = 0; round < maxIterations_; ++round) {
      int64_t n = 0;
      visit(g.body(), rw, n, stats);
      stats["rounds"] += 1;
      if (!n)
        break;
      changed = true;
    }
    return changed;
  }

private:
  int64_t maxIterations_;
  EffectAnalysis effects_;
  bool functional_ = false;

  // `n - 1 - i` for the index attr `i` of `op` and the size `n` (a value), new ops
  // going before `op`.
  Value *reversedIndex(Rewriter &rw, Op &op, const Attr &i, Value *n) {
    Context &ctx = rw.context();
    llvm::SmallVector<Value *, 2> operands{n};
    llvm::SmallVector<Arg, 2> args{{{}, Attr::operand(0)}};
    if (i.kind() == Attr::Kind::Operand) {
      operands.push_back(op.operandValue(i.index()));
      args.push_back({{}, Attr::operand(1)});
    } else {
      args.push_back({{}, i});
    }
    Value *d = rw.create("_operator.sub", operands, args, {ctx.symIntType()})->result(0);
    return rw.create("_operator.sub", {d}, {{{}, Attr::operand(0)}, {{}, Attr::integer(1)}},
                     {ctx.symIntType()})
        ->result(0);
  }
  static bool isDimZero(const Attr &a, size_t rank) {
    return a.kind() == Attr::Kind::Int &&
           (a.intValue() == 0 || a.intValue() == -static_cast<int64_t>(rank));
  }
  static bool isFlipOfDimZero(const Op &f) {
    if (f.name() != "aten.flip.default" || f.args().size() != 2 || !f.numOperands())
      return false;
    const Attr &dims = f.args()[1].value;
    return dims.kind() == Attr::Kind::List && dims.listValue().size() == 1 &&
           isDimZero(dims.listValue()[0], f.operandValue(0)->type()->rank());
  }

  // 4a. select(flip/movedim/permute(x), 0, i) reads x directly.
  bool foldSelect(Op &op, Rewriter &rw) {
    if (!functional_ || op.name() != "aten.select.int" || op.args().size() != 3 ||
        op.args()[0].value.kind() != Attr::Kind::Operand)
      return false;
    Value *v = op.operandValue(op.args()[0].value.index());
    Op *def = v->definingOp();
    if (!def || !v->type()->isTensor() || !isDimZero(op.args()[1].value, v->type()->rank()))
      return false;
    const Attr &i = op.args()[2].value;
    if (i.kind() != Attr::Kind::Operand && i.kind() != Attr::Kind::Int)
      return false;
    // A flip needs the index's sign: fold only literals and a loop's own index (>= 0).
    auto isLoopIndex = [&](const Value *x) {
      Region *owner = x->argOwner();
      return owner && owner->parentOp() && owner->parentOp()->is(FxirOp::For) &&
             owner->numArgs() && owner->arg(0) == x;
    };
    bool flipped = isFlipOfDimZero(*def);
    if (flipped && i.kind() == Attr::Kind::Operand && !isLoopIndex(op.operandValue(i.index())))
      return false;
    Value *src = nullptr;
    int64_t dim = 0;
    bool reverse = false;
    if (isFlipOfDimZero(*def)) {
      src = def->operandValue(0);
      reverse = true;
    } else if (def->name() == "aten.movedim.int" && def->args().size() == 3 &&
               def->args()[2].value.kind() == Attr::Kind::Int &&
               def->args()[2].value.intValue() == 0 &&
               def->args()[1].value.kind() == Attr::Kind::Int) {
      src = def->operandValue(0);
      dim = def->args()[1].value.intValue();
    } else if (def->name() == "aten.permute.default" && def->args().size() == 2 &&
               def->args()[1].value.kind() == Attr::Kind::List &&
               !def->args()[1].value.listValue().empty()) {
      // Only a permute that moves one dim to the front and keeps the others in order
      // (a movedim) reads as a select of the input.
      llvm::ArrayRef<Attr> p = def->args()[1].value.listValue();
      int64_t rank = static_cast<int64_t>(p.size()), prev = -1;
      llvm::SmallVector<int64_t, 6> norm;
      for (const Attr &a : p) {
        if (a.kind() != Attr::Kind::Int)
          return false;
        norm.push_back(a.intValue() < 0 ? a.intValue() + rank : a.intValue());
      }
      for (size_t k = 1; k < norm.size(); ++k) {
        if (norm[k] <= prev)
          return false;
        prev = norm[k];
      }
      src = def->operandValue(0);
      dim = norm[0];
    } else {
      return false;
    }
    if (dim < 0)
      dim += static_cast<int64_t>(src->type()->rank());
    rw.setInsertionPoint(&op);
    rw.setRoot(&op, std::string("read through ") + def->name().str());
    llvm::SmallVector<Value *, 2> operands{src};
    llvm::SmallVector<Arg, 3> args{{{}, Attr::operand(0)}, {{}, Attr::integer(dim)}};
    if (reverse && i.kind() == Attr::Kind::Int) {
      // flip(t)[i] is t[n-1-i] for i >= 0 and t[-1-i] for i < 0.
      if (i.intValue() < 0) {
        args.push_back({{}, Attr::integer(-1 - i.intValue())});
      } else {
        operands.push_back(reversedIndex(rw, op, i, rw.createSize(src, 0)));
        args.push_back({{}, Attr::operand(1)});
      }
    } else if (reverse) {
      operands.push_back(reversedIndex(rw, op, i, rw.createSize(src, 0)));
      args.push_back({{}, Attr::operand(1)});
    } else if (i.kind() == Attr::Kind::Operand) {
      operands.push_back(op.operandValue(i.index()));
      args.push_back({{}, Attr::operand(1)});
    } else {
      args.push_back({{}, i});
    }
    Op *sel = rw.create("aten.select.int", operands, args, {op.result(0)->type()});
    rw.clearRoot();
    rw.replaceOp(&op, {sel->result(0)});
    return true;
  }

  // 4b. flip(ys, [0]) of a stacked loop output: write step i at n-1-i instead.
  bool foldFlippedOutput(Op &op, Rewriter &rw) {
    if (!functional_ || !isFlipOfDimZero(op))
      return false;
    Value *ys = op.operandValue(0);
    Op *loop = ys->definingOp();
    if (!loop || !loop->is(FxirOp::For) || ys->numUses() != 1)
      return false;
    unsigned k = 0;
    while (k < loop->numResults() && loop->result(k) != ys)
      ++k;
    Region &body = loop->region(0);
    Op *yield = body.terminator();
    if (!yield || k + 1 >= body.numArgs() || k >= yield->numOperands() || k + 1 >= loop->numOperands())
      return false;
    Op *ins = yield->operandValue(k)->definingOp();
    Value *init = loop->operandValue(k + 1);
    if (!ins || !ins->is(FxirOp::InsertSlice) || ins->numOperands() != 3 ||
        ins->operandValue(0) != body.arg(k + 1) || ins->operandValue(2) != body.arg(0) ||
        body.arg(k + 1)->numUses() != 1 || !init->definingOp() ||
        !init->definingOp()->is(FxirOp::Alloc) || init->numUses() != 1 ||
        init->definingOp()->parentRegion() != loop->parentRegion())
      return false;
    rw.setInsertionPoint(ins);
    rw.setRoot(ins, "writes step i at n-1-i (folded a flip of the stacked output)");
    Value *idx = reversedIndex(rw, *ins, Attr::operand(2), loop->operandValue(0));
    rw.clearRoot();
    ins->operand(2).set(idx);
    rw.noteModified(ins, "writes step i at n-1-i (folded a flip of the stacked output)");
    rw.replaceOp(&op, {ys});
    return true;
  }

  // The int an operand arg stands for, if known: an int literal, or an fxir.constant.
  static std::optional<int64_t> intOf(const Op &op, const Attr &a) {
    if (a.kind() == Attr::Kind::Int)
      return a.intValue();
    if (a.kind() == Attr::Kind::Bool)
      return a.boolValue();
    if (a.kind() != Attr::Kind::Operand)
      return std::nullopt;
    const Value *v = op.operandValue(a.index());
    if (const Op *def = v->definingOp(); def && def->is(FxirOp::Constant) &&
                                        def->args().size() == 1 &&
                                        def->args()[0].value.kind() == Attr::Kind::Int)
      return def->args()[0].value.intValue();
    if (v->type()->kind() == Type::Kind::SymInt && v->type()->symExpr())
      return v->type()->symExpr()->asConst();
    return std::nullopt;
  }

  Value *constant(Rewriter &rw, Op &root, Attr value, const Type *type, llvm::StringRef what) {
    rw.setInsertionPoint(&root);
    rw.setRoot(&root, what);
    return rw.create(FxirOp::Constant, {}, {{{}, value}}, {type})->result(0);
  }

  // Folds `op` if it can; returns whether it did.
  bool fold(Op &op, Rewriter &rw) {
    llvm::StringRef name = op.name();
    Context &ctx = rw.context();
    if (foldSelect(op, rw) || foldFlippedOutput(op, rw))
      return true;
    if (op.is(FxirOp::Constant) || op.numResults() != 1 || op.numRegions())
      return false;
    const Type *rt = op.result(0)->type();
    // 1. Symbolic ints known to be constant.
    if (rt->kind() == Type::Kind::SymInt && rt->symExpr() && rt->symExpr()->isConst() &&
        (name.starts_with("_operator.") || name == "aten.sym_size.int" ||
         name == "aten.sym_numel.default" || name.starts_with("torch.sym_"))) {
      int64_t v = *rt->symExpr()->asConst();
      rw.replaceOp(&op, {constant(rw, op, Attr::integer(v), ctx.intType(),
                                  "folded to the constant " + std::to_string(v))});
      return true;
    }
    if (name == "aten.sym_size.int" && op.args().size() == 2 && op.numOperands() == 1) {
      const Type *in = op.operandValue(0)->type();
      std::optional<int64_t> d = intOf(op, op.args()[1].value);
      if (in->isTensor() && d) {
        int64_t dim = *d < 0 ? *d + static_cast<int64_t>(in->rank()) : *d;
        if (dim >= 0 && dim < static_cast<int64_t>(in->rank()))
          if (std::optional<int64_t> size = in->shape()[dim]->asConst()) {
            rw.replaceOp(&op, {constant(rw, op, Attr::integer(*size), ctx.intType(),
                                        "static size folded")});
            return true;
          }
      }
    }
    // 2. Python int arithmetic and comparisons on constants.
    if (name.consume_front("_operator.")) {
      llvm::SmallVector<int64_t, 2> xs;
      for (const Arg &a : op.args()) {
        std::optional<int64_t> v = intOf(op, a.value);
        if (!v)
          return false;
        xs.push_back(*v);
      }
      std::optional<Attr> result;
      if (xs.size() == 1 && name == "neg" && xs[0] != INT64_MIN)
        result = Attr::integer(-xs[0]);
      if (xs.size() == 2) {
        int64_t a = xs[0], b = xs[1];
        int64_t r;
        // Python ints do not overflow: leave what int64 cannot hold unfolded.
        if (name == "add") { if (!__builtin_add_overflow(a, b, &r)) result = Attr::integer(r); }
        else if (name == "sub") { if (!__builtin_sub_overflow(a, b, &r)) result = Attr::integer(r); }
        else if (name == "mul") { if (!__builtin_mul_overflow(a, b, &r)) result = Attr::integer(r); }
        else if (name == "floordiv" && b != 0 && !(a == INT64_MIN && b == -1))
          result = Attr::integer(floorDiv(a, b));
        else if (name == "mod" && b != 0) result = Attr::integer(floorMod(a, b));
        else if (name == "eq") result = Attr::boolean(a == b);
        else if (name == "ne") result = Attr::boolean(a != b);
        else if (name == "lt") result = Attr::boolean(a < b);
        else if (name == "le") result = Attr::boolean(a <= b);
        else if (name == "gt") result = Attr::boolean(a > b);
        else if (name == "ge") result = Attr::boolean(a >= b);
      }
      if (!result)
        return false;
      const Type *t = result->kind() == Attr::Kind::Bool ? ctx.boolType() : ctx.intType();
      rw.replaceOp(&op, {constant(rw, op, *result, t, "folded _operator." + name.str())});
      return true;
    }
    // 3. Identity views.
    if ((name == "aten.view.default" || name == "aten.reshape.default" ||
         name == "aten.alias.default") &&
        op.numOperands() >= 1 && op.args().size() >= 1 &&
        op.args()[0].value.kind() == Attr::Kind::Operand) {
      Value *in = op.operandValue(op.args()[0].value.index());
      // Not when the view itself is written: an in-place op on it (unsqueeze_, copy_)
      // must not be redirected to the input.
      bool writtenUser = false;
      for (OpOperand *u = op.result(0)->firstUse(); u && !writtenUser; u = u->nextUse())
        writtenUser = effects_.writes(*u->owner());
      if (in->type() == rt && !writtenUser) {
        rw.replaceOp(&op, {in});
        return true;
      }
    }
    return false;
  }

  void visit(Region &r, Rewriter &rw, int64_t &n, PassStatistics &stats) {
    for (auto it = r.ops().begin(); it != r.ops().end();) {
      Op &op = *it++;
      for (unsigned i = 0; i < op.numRegions(); ++i)
        visit(op.region(i), rw, n, stats);
      if (fold(op, rw)) {
        ++n;
        stats["ops-folded"] += 1;
      }
    }
  }
};

} // namespace

std::unique_ptr<Pass> createCanonicalizePass(const PassOptions &o) {
  return std::make_unique<CanonicalizePass>(o);
}
llvm::ArrayRef<PassOptionSpec> canonicalizeOptions() { return kOptions; }

} // namespace fxir
