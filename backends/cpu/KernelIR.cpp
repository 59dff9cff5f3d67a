//===- KernelIR.cpp - lowering kernels to loop-level IR, and scheduling it ---------===//
//
// The kir.* op table, lowerToKernelIR (a cpu.kernel region to a loop nest), the two
// scheduling rewrites (vectorizeInner, parallelizeOuter) and their passes, the
// kernel-IR verifier and the --emit=kernels text. The IR is described in KernelIR.h.
//===----------------------------------------------------------------------------===//
#include "fxir/backends/cpu/KernelIR.h"

#include "fxir/ir/Builder.h"
#include "fxir/ir/TextFormat.h"
#include "fxir/ir/Type.h"
#include "fxir/ir/Verifier.h"
#include "fxir/passes/PassRegistry.h"

#include <functional>
#include <mutex>

#include "llvm/ADT/DenseSet.h"

namespace fxir::cpu {

namespace {

constexpr llvm::StringLiteral kPassName = "cpu-lower-kernel";

OpInfo row(llvm::StringRef name, int regions, bool pure, llvm::StringRef summary) {
  OpInfo r;
  r.name = name;
  r.kind = OpInfo::Kind::Registered;
  r.numRegions = regions;
  r.regions = regions ? RegionLayout::Other : RegionLayout::None;
  r.pure = pure;
  r.summary = summary;
  return r;
}

const std::vector<OpInfo> &rows() {
  static const std::vector<OpInfo> r = {
      row(kKirSize, 0, true,
          "kir.size(d): size d of the kernel's iteration space (a run-time argument), "
          "typed symint<its expression>"),
      row(kKirFor, 1, false,
          "kir.for(%n, ^0[, vector=W]) ^0(%i: int): runs ^0 for i in [0, n); with "
          "vector=W, W lanes a step and a masked remainder of the same code"),
      row(kKirTiles, 1, false,
          "kir.tiles([%n0, ...], ^0, vector=W) ^0(%i0: int, ...): the iteration space in "
          "tiles (a row of the outer dims, a chunk of the inner one, in vectors of W) run "
          "on threads"),
      row(kKirLoad, 0, true,
          "kir.load(%buf, [idx...]): one element of a buffer (an index is a loop variable "
          "or 0), converted to its register form"),
      row(kKirStore, 0, false,
          "kir.store(%buf, [idx...], %v): writes one element, converted to the buffer's "
          "dtype"),
      row(kKirCarried, 0, false,
          "kir.carried(%init, %carry, [idx...]): a native loop's carried element: %init's "
          "at step 0, then %carry's (the result buffer the previous step stored it in)"),
  };
  return r;
}

const Type *elementType(Context &ctx, DType t) { return ctx.tensorType(t, llvm::ArrayRef<int64_t>{}); }

// The index list of `buf` (rank rb) in an iteration space of rank R with loop
// variables `ivs` (operand `first + d` is ivs[d]): broadcast dims read index 0.
// The new operands go at the end of `operands` (index attrs refer to them).
std::vector<Attr> indexList(const Type *buf, const Type *iter, llvm::ArrayRef<Value *> ivs,
                            llvm::SmallVectorImpl<Value *> &operands) {
  std::vector<Attr> idx;
  size_t R = iter->rank(), rb = buf->rank();
  for (size_t p = 0; p < rb; ++p) {
    size_t d = R - rb + p;
    std::optional<int64_t> bs = buf->shape()[p]->asConst(), is = iter->shape()[d]->asConst();
    if (bs && *bs == 1 && !(is && *is == 1)) {
      idx.push_back(Attr::integer(0));
    } else {
      idx.push_back(Attr::operand(static_cast<unsigned>(operands.size())));
      operands.push_back(ivs[d]);
    }
  }
  return idx;
}

bool isKir(const Op &op, llvm::StringRef name) { return op.name() == name; }

std::optional<int64_t> intArg(const Op &op, llvm::StringRef key) {
  for (const Arg &a : op.args())
    if (a.name == key && a.value.kind() == Attr::Kind::Int)
      return a.value.intValue();
  return std::nullopt;
}

} // namespace

llvm::ArrayRef<OpInfo> kernelIROpRows() { return rows(); }

size_t elementTensorRank(const Value *v, unsigned kernelRank) {
  const Op *def = v->definingOp();
  return def && def->name() == kKirLoad ? def->operandValue(0)->type()->rank() : kernelRank;
}

std::optional<DType> kernelIRResultType(const Op &op, llvm::ArrayRef<unsigned> args,
                                        unsigned kernelRank) {
  llvm::SmallVector<PromotionInput, 3> ins;
  for (unsigned i : args) {
    const Attr *a = argFor(op, i);
    if (!a)
      return std::nullopt;
    switch (a->kind()) {
    case Attr::Kind::Int: ins.push_back({PromotionInput::Kind::Number, DType::Int64}); break;
    case Attr::Kind::Float: ins.push_back({PromotionInput::Kind::Number, DType::Float64}); break;
    case Attr::Kind::Bool: ins.push_back({PromotionInput::Kind::Number, DType::Bool}); break;
    case Attr::Kind::Operand: {
      const Value *v = op.operandValue(a->index());
      const Type *t = v->type();
      if (!t->isTensor()) {
        ins.push_back({PromotionInput::Kind::Number, numberDType(t)});
        break;
      }
      ins.push_back({elementTensorRank(v, kernelRank) ? PromotionInput::Kind::Tensor
                                                      : PromotionInput::Kind::ZeroDim,
                     t->dtype()});
      break;
    }
    default:
      return std::nullopt;
    }
  }
  return resultType(ins);
}

absl::StatusOr<std::unique_ptr<Graph>> lowerToKernelIR(const KernelSpec &k) {
  if (!k.context || !k.op)
    return absl::InternalError("cpu: kernel " + k.symbol + " has no partition to lower");
  Context &ctx = *k.context;
  const Op &kernel = *k.op;
  const Region &body = kernel.region(0);
  const Type *iter = kernel.result(0)->type();
  auto g = std::make_unique<Graph>(ctx, ctx.intern(k.symbol));
  Rewriter b(*g, kPassName);
  b.setInsertionPointToEnd(g->body());
  b.setRoot(const_cast<Op *>(&kernel), "lowered to kernel IR");
  // Inputs: the buffers, then the number operands.
  std::vector<Value *> bufs, scalars;
  unsigned numOperandBufs = 0;
  const Op *loop = k.loop;
  const SymExpr *steps = loop ? loopStepsExpr(*loop, ctx) : nullptr;
  auto stridesOf = [&](const Type *t) {
    llvm::SmallVector<const SymExpr *, 6> st(t->strides().begin(), t->strides().end());
    if (st.empty())
      st = ctx.contiguousStrides(t->shape());
    return st;
  };
  for (const KernelSpec::Buffer &bd : k.buffers) {
    const Type *t = bd.isResult ? (loop ? loop : &kernel)->result(bd.index)->type()
                                : kernel.operandValue(bd.index)->type();
    if (bd.role == LoopRole::Steps) {
      // Step t's slice of X: [n, the slice's dims], dim 0 X's stride along the select.
      const Type *x = bd.select->operandValue(0)->type();
      int64_t d = bd.select->args()[1].value.intValue();
      if (d < 0)
        d += static_cast<int64_t>(x->rank());
      llvm::SmallVector<const SymExpr *, 6> shape{steps}, st{stridesOf(x)[d]};
      shape.append(t->shape().begin(), t->shape().end());
      llvm::SmallVector<const SymExpr *, 6> inner = stridesOf(t);
      st.append(inner.begin(), inner.end());
      t = ctx.tensorType(t->dtype(), shape, st);
    }
    // An operand read through a fused view chain: the view's elements, indexed by the
    // kernel's index (its layout: contiguous as the schedule found, else unknown).
    if (!bd.isResult && bd.space != 0)
      t = bd.inner == Inner::Contiguous
              ? ctx.tensorType(t->dtype(), iter->shape())
              : ctx.tensorTypeWithUnknownLayout(t->dtype(), iter->shape());
    std::string name = bd.isResult ? "out" + std::to_string(bd.index)
                                   : "in" + std::to_string(numOperandBufs++);
    bufs.push_back(g->body().addArg(t, ctx.name(name)));
    g->inputSpecs().push_back({});
  }
  for (unsigned s = 0; s < k.scalarOperands.size(); ++s) {
    scalars.push_back(g->body().addArg(kernel.operandValue(k.scalarOperands[s])->type(),
                                       ctx.name("a" + std::to_string(s))));
    g->inputSpecs().push_back({});
  }
  // The loop nest (a rank-0 kernel: one loop of one iteration).
  std::vector<Value *> sizes, ivs;
  if (iter->rank() == 0) {
    Op *one = b.create(FxirOp::Constant, {}, {Arg{{}, Attr::integer(1)}}, {ctx.intType()});
    one->result(0)->setName(ctx.name("n"));
    sizes.push_back(one->result(0));
  }
  // A native loop: its steps are dim 0 (kir.size(0)), a sequential loop around the nest.
  unsigned lead = loop ? 1 : 0;
  Value *step = nullptr, *numSteps = nullptr;
  if (loop) {
    Op *n = b.create(kKirSize, {}, {Arg{{}, Attr::integer(0)}}, {ctx.symIntType(steps)});
    n->result(0)->setName(ctx.name("steps"));
    numSteps = n->result(0);
  }
  for (unsigned d = 0; d < iter->rank(); ++d) {
    Op *s = b.create(kKirSize, {}, {Arg{{}, Attr::integer(d + lead)}},
                     {ctx.symIntType(iter->shape()[d])});
    s->result(0)->setName(ctx.name("n" + std::to_string(d)));
    sizes.push_back(s->result(0));
  }
  if (loop) {
    b.setRoot(const_cast<Op *>(loop), "lowered to kernel IR");
    Op *seq = b.create(kKirFor, {numSteps},
                       {Arg{{}, Attr::operand(0)}, Arg{{}, Attr::region(0)},
                        Arg{ctx.intern("sequential"), Attr::integer(1)}},
                       {}, 1);
    step = seq->region(0).addArg(ctx.intType(), ctx.name("t"));
    b.setInsertionPointToEnd(seq->region(0));
    b.create(FxirOp::Yield, {}, {}, {});
    b.setInsertionPoint(seq->region(0).terminator());
    b.setRoot(const_cast<Op *>(&kernel), "lowered to kernel IR");
  }
  for (unsigned d = 0; d < sizes.size(); ++d) {
    Op *loop = b.create(kKirFor, {sizes[d]}, {Arg{{}, Attr::operand(0)}, Arg{{}, Attr::region(0)}},
                        {}, 1);
    ivs.push_back(loop->region(0).addArg(ctx.intType(), ctx.name("i" + std::to_string(d))));
    b.setInsertionPointToEnd(loop->region(0));
    b.create(FxirOp::Yield, {}, {}, {});
    b.setInsertionPoint(loop->region(0).terminator());
  }
  llvm::ArrayRef<Value *> iterIvs = ivs;
  if (iter->rank() == 0)
    iterIvs = {};
  // A buffer's index list; a native loop's Steps and Stacked buffers are indexed by
  // the step first.
  auto access = [&](Value *buf, llvm::SmallVectorImpl<Value *> &operands) {
    const KernelSpec::Buffer &bd = k.buffers[buf->index()];
    if (bd.role != LoopRole::Steps && bd.role != LoopRole::Stacked)
      return indexList(buf->type(), iter, iterIvs, operands);
    const Type *t = buf->type();
    llvm::SmallVector<const SymExpr *, 6> sliceShape(t->shape().begin() + 1, t->shape().end());
    std::vector<Attr> idx{Attr::operand(static_cast<unsigned>(operands.size()))};
    operands.push_back(step);
    std::vector<Attr> rest =
        indexList(ctx.tensorType(t->dtype(), sliceShape), iter, iterIvs, operands);
    idx.insert(idx.end(), rest.begin(), rest.end());
    return idx;
  };
  // Region arguments: each operand buffer's element (one load a buffer, in buffer
  // order), the number operands; a tensor only factory ops take for its shape has no
  // buffer (nothing reads it).
  std::vector<Value *> loaded(k.buffers.size(), nullptr);
  for (unsigned bi = 0; bi < k.buffers.size(); ++bi) {
    if (k.buffers[bi].isResult)
      continue;
    Value *buf = bufs[bi];
    if (k.buffers[bi].role == LoopRole::Init) {
      // A carried value: its init at step 0, then what the last step stored.
      Value *carry = bufs[k.buffers[bi].carry];
      llvm::SmallVector<Value *, 4> ops{buf, carry};
      std::vector<Attr> idx = access(carry, ops);
      Op *ld = b.create(kKirCarried, ops,
                        {Arg{{}, Attr::operand(0)}, Arg{{}, Attr::operand(1)},
                         Arg{{}, Attr::list(ctx.copy(llvm::ArrayRef<Attr>(idx)))}},
                        {elementType(ctx, buf->type()->dtype())});
      loaded[bi] = ld->result(0);
      continue;
    }
    llvm::SmallVector<Value *, 4> ops{buf};
    std::vector<Attr> idx = access(buf, ops);
    Op *ld = b.create(kKirLoad, ops,
                      {Arg{{}, Attr::operand(0)}, Arg{{}, Attr::list(ctx.copy(llvm::ArrayRef<Attr>(idx)))}},
                      {elementType(ctx, buf->type()->dtype())});
    loaded[bi] = ld->result(0);
  }
  ValueMap env;
  // The element `v` stands for in `op`'s index space: a region argument's buffer of
  // that space (space 0's for a 0-dim operand), or what the op defining it computed.
  auto elementOf = [&](const Op &op, const Value *v) -> Value * {
    if (v->argOwner() == &body) {
      unsigned i = v->index();
      if (k.operandScalar[i] != ~0u)
        return scalars[k.operandScalar[i]];
      unsigned space = v->type()->isTensor() && v->type()->rank() ? k.opSpace.lookup(&op) : 0;
      unsigned bi = k.bufferOf(i, space);
      return bi == ~0u ? nullptr : loaded[bi];
    }
    return env.lookup(v);
  };
  for (const Op &op : body.ops()) {
    if (op.isTerminator()) {
      unsigned numResults = loop ? loop->numResults() : kernel.numResults();
      for (unsigned br = 0; br < numResults; ++br) {
        unsigned bi = static_cast<unsigned>(k.buffers.size() - numResults + br);
        // (A native loop's result buffer stores the kernel result its `value` names.)
        unsigned r = loop ? k.buffers[bi].value : br;
        Value *buf = bufs[bi];
        // A store is where its value's op was (the kernel's, for a yielded argument).
        Op *def = op.operandValue(r)->definingOp();
        b.setRoot(def ? def : const_cast<Op *>(&kernel), "lowered to kernel IR");
        llvm::SmallVector<Value *, 4> ops{buf};
        std::vector<Attr> idx = access(buf, ops);
        unsigned v = static_cast<unsigned>(ops.size());
        ops.push_back(elementOf(op, op.operandValue(r)));
        if (!ops.back())
          return absl::InternalError("cpu: " + kernel.describe() + " yields a value it does not define");
        b.create(kKirStore, ops,
                 {Arg{{}, Attr::operand(0)}, Arg{{}, Attr::list(ctx.copy(llvm::ArrayRef<Attr>(idx)))},
                  Arg{{}, Attr::operand(v)}},
                 {});
      }
      break;
    }
    b.setRoot(const_cast<Op *>(&op), "lowered to kernel IR");
    const KernelOpRow *row = kernelOpRow(op.name());
    if (row && row->form == ArgForm::Fill) {
      // Every fill is one element of its value: aten.full.default([], value, dtype=D)
      // (zeros_like's self, new_ones' size: nothing an element needs).
      DType rd = op.result(0)->type()->dtype();
      llvm::SmallVector<Value *, 1> ops;
      Attr value = Attr::floating(fillConstant(op).value_or(0.0));
      if (const Attr *v = fillValueArg(op); v && v->kind() != Attr::Kind::None) {
        value = *v;
        if (v->kind() == Attr::Kind::Operand) {
          Value *x = elementOf(op, op.operandValue(v->index()));
          if (!x)
            return absl::InternalError("cpu: " + op.describe() + ": its fill value has no value");
          ops.push_back(x);
          value = Attr::operand(0);
        }
      } else if (rd != DType::Float32 && rd != DType::Float64 && rd != DType::Float16 &&
                 rd != DType::BFloat16) {
        value = rd == DType::Bool ? Attr::boolean(fillConstant(op).value_or(0.0) != 0)
                                  : Attr::integer(static_cast<int64_t>(fillConstant(op).value_or(0.0)));
      }
      Op *m = b.create("aten.full.default", ops,
                       {Arg{{}, Attr::list({})}, Arg{{}, value},
                        Arg{ctx.intern("dtype"), Attr::dtype(rd)}},
                       {elementType(ctx, rd)});
      m->result(0)->setName(op.result(0)->nameRef());
      env[op.result(0)] = m->result(0);
      continue;
    }
    if (isFusedView(op)) {
      // A fused view: the ops under it already compute its elements (their loads
      // read through it).
      Value *x = elementOf(op, viewInput(op));
      if (!x)
        return absl::InternalError("cpu: " + op.describe() + ": its input has no value");
      env[op.result(0)] = x;
      continue;
    }
    llvm::SmallVector<Value *, 4> ops;
    for (unsigned i = 0; i < op.numOperands(); ++i) {
      Value *v = elementOf(op, op.operandValue(i));
      if (!v)
        return absl::InternalError("cpu: " + op.describe() + " uses a value from outside its kernel");
      ops.push_back(v);
    }
    llvm::SmallVector<const Type *, 1> types;
    for (unsigned r = 0; r < op.numResults(); ++r)
      types.push_back(elementType(ctx, op.result(r)->type()->dtype()));
    Op *m = b.create(op.name(), ops, op.args(), types);
    for (unsigned r = 0; r < op.numResults(); ++r) {
      m->result(r)->setName(op.result(r)->nameRef());
      env[op.result(r)] = m->result(r);
    }
  }
  b.setInsertionPointToEnd(g->body());
  b.setRoot(const_cast<Op *>(&kernel), "lowered to kernel IR");
  b.create(FxirOp::Yield, {}, {}, {});
  return g;
}

namespace {

// The top-level loop of a kernel-IR graph (kir.for or kir.tiles), or null.
Op *topLoop(const Graph &g) {
  for (Op &op : g.body().ops())
    if (isKir(op, kKirFor) || isKir(op, kKirTiles))
      return &op;
  return nullptr;
}

// The only kir.for in `r`, or null.
Op *onlyLoopIn(Region &r) {
  Op *found = nullptr;
  for (Op &op : r.ops()) {
    if (isKir(op, kKirFor)) {
      if (found)
        return nullptr;
      found = &op;
    }
  }
  return found;
}

} // namespace

absl::Status vectorizeInner(Graph &g, unsigned lanes) {
  if (lanes == 0)
    return absl::InvalidArgumentError("cpu-vectorize: lanes must be at least 1");
  Op *loop = topLoop(g);
  if (!loop || !isKir(*loop, kKirFor))
    return absl::InvalidArgumentError("cpu-vectorize: " + g.name().str() +
                                      " has no kir.for loop nest to vectorize");
  while (Op *inner = onlyLoopIn(loop->region(0)))
    loop = inner;
  if (intArg(*loop, "vector"))
    return absl::OkStatus();
  Rewriter rw(g, "cpu-vectorize");
  rw.setInsertionPoint(loop);
  rw.setRoot(loop, "vectorized: " + std::to_string(lanes) + " lanes a step");
  Op *v = rw.create(kKirFor, {loop->operandValue(0)},
                    {Arg{{}, Attr::operand(0)}, Arg{{}, Attr::region(0)},
                     Arg{g.context().intern("vector"), Attr::integer(lanes)}},
                    {}, 1);
  Region &from = loop->region(0);
  Value *iv = v->region(0).addArg(from.arg(0)->type(), from.arg(0)->nameRef());
  from.arg(0)->replaceAllUsesWith(iv);
  while (!from.empty()) {
    Op *op = &from.ops().front();
    from.remove(op);
    v->region(0).push_back(op);
  }
  rw.eraseOp(loop);
  return absl::OkStatus();
}

absl::Status parallelizeOuter(Graph &g) {
  Op *loop = topLoop(g);
  if (!loop || !isKir(*loop, kKirFor))
    return absl::InvalidArgumentError("cpu-parallelize: " + g.name().str() +
                                      " has no kir.for loop nest to parallelize");
  // A native loop's steps stay in order, inside each tile.
  Op *seq = nullptr;
  if (intArg(*loop, "sequential").value_or(0)) {
    seq = loop;
    for (Op &op : seq->region(0).ops())
      if (!op.isTerminator() && !isKir(op, kKirFor))
        return absl::InvalidArgumentError("cpu-parallelize: " + op.describe() +
                                          " sits between the steps and the loop nest");
    loop = onlyLoopIn(seq->region(0));
    if (!loop)
      return absl::InvalidArgumentError("cpu-parallelize: " + g.name().str() +
                                        ": the steps hold no loop nest");
  }
  // The perfect nest, outermost first; its innermost loop is vectorized.
  std::vector<Op *> nest{loop};
  while (true) {
    Region &r = nest.back()->region(0);
    Op *inner = onlyLoopIn(r);
    if (!inner)
      break;
    for (Op &op : r.ops())
      if (&op != inner && !op.isTerminator())
        return absl::InvalidArgumentError("cpu-parallelize: " + op.describe() +
                                          " sits between two loops (not a perfect nest)");
    nest.push_back(inner);
  }
  std::optional<int64_t> lanes = intArg(*nest.back(), "vector");
  if (!lanes)
    return absl::InvalidArgumentError("cpu-parallelize: the innermost loop of " +
                                      g.name().str() + " is not vectorized (run cpu-vectorize first)");
  Context &ctx = g.context();
  Rewriter rw(g, "cpu-parallelize");
  rw.setInsertionPoint(seq ? seq : loop);
  llvm::SmallVector<Op *, 4> roots(nest.begin(), nest.end());
  if (seq)
    roots.push_back(seq);
  rw.setRoots(roots, seq ? "tiles on threads, the steps in order inside each" : "tiles on threads");
  llvm::SmallVector<Value *, 4> sizes;
  std::vector<Attr> list;
  for (Op *l : nest) {
    list.push_back(Attr::operand(static_cast<unsigned>(sizes.size())));
    sizes.push_back(l->operandValue(0));
  }
  std::vector<Arg> targs{Arg{{}, Attr::list(ctx.copy(llvm::ArrayRef<Attr>(list)))},
                         Arg{{}, Attr::region(0)}, Arg{ctx.intern("vector"), Attr::integer(*lanes)}};
  if (seq) {
    targs.push_back(Arg{ctx.intern("steps"), Attr::operand(static_cast<unsigned>(sizes.size()))});
    sizes.push_back(seq->operandValue(0));
  }
  Op *t = rw.create(kKirTiles, sizes, targs, {}, 1);
  if (seq) {
    Region &r = seq->region(0);
    r.arg(0)->replaceAllUsesWith(t->region(0).addArg(r.arg(0)->type(), r.arg(0)->nameRef()));
  }
  for (Op *l : nest) {
    Region &r = l->region(0);
    r.arg(0)->replaceAllUsesWith(t->region(0).addArg(r.arg(0)->type(), r.arg(0)->nameRef()));
  }
  Region &from = nest.back()->region(0);
  while (!from.empty()) {
    Op *op = &from.ops().front();
    from.remove(op);
    t->region(0).push_back(op);
  }
  rw.eraseOp(seq ? seq : loop);
  return absl::OkStatus();
}

absl::Status verifyKernelIR(const Graph &g, bool scheduled) {
  std::string where = "kernel IR @" + g.name().str() + ": ";
  auto fail = [&](const Op *op, const std::string &msg) {
    return absl::InvalidArgumentError(where + (op ? op->describe() + ": " : "") + msg);
  };
  if (absl::Status st = verify(g); !st.ok())
    return absl::InvalidArgumentError(where + std::string(st.message()));
  llvm::DenseSet<const Value *> buffers;
  for (unsigned i = 0; i < g.body().numArgs(); ++i) {
    const Value *a = g.body().arg(i);
    const Type *t = a->type();
    if (t->isTensor())
      buffers.insert(a);
    else if (!isNumberType(t))
      return absl::InvalidArgumentError(where + "input %" + a->name().str() +
                                        " is neither a buffer (a tensor) nor a number");
  }
  unsigned loops = 0;
  const Op *top = nullptr;
  for (const Op &op : g.body().ops()) {
    if (op.isTerminator()) {
      if (op.numOperands())
        return fail(&op, "a kernel yields nothing (it stores its results)");
      continue;
    }
    if (isKir(op, kKirSize)) {
      if (op.numOperands() || op.args().size() != 1 ||
          op.args()[0].value.kind() != Attr::Kind::Int ||
          op.numResults() != 1 || op.result(0)->type()->kind() != Type::Kind::SymInt)
        return fail(&op, "kir.size takes a dim and gives a symint");
      continue;
    }
    if (op.is(FxirOp::Constant))
      continue;
    if (isKir(op, kKirFor) || isKir(op, kKirTiles)) {
      ++loops;
      top = &op;
      continue;
    }
    return fail(&op, "only kir.size, constants and one loop nest sit at a kernel's top level");
  }
  if (loops != 1)
    return absl::InvalidArgumentError(where + "a kernel has exactly one loop nest, not " +
                                      std::to_string(loops));
  if (scheduled && !isKir(*top, kKirTiles))
    return fail(top, "not scheduled: the emitter reads one kir.tiles (run cpu-vectorize "
                     "and cpu-parallelize)");
  // The nest: loops, then element ops in the innermost body.
  llvm::DenseSet<const Value *> ivs;
  std::function<absl::Status(const Op &)> check = [&](const Op &op) -> absl::Status {
    if (isKir(op, kKirFor) || isKir(op, kKirTiles)) {
      bool tiles = isKir(op, kKirTiles);
      // The layout of the arguments: kir.for(%n, ^0, ...), kir.tiles([%n0, ...], ^0, ...)
      // (the generic verifier has checked every reference is in range and unique).
      llvm::ArrayRef<Arg> args = op.args();
      bool layout = args.size() >= 2 && args[1].value.kind() == Attr::Kind::Region;
      if (layout && !tiles)
        layout = op.numOperands() == 1 && args[0].value.kind() == Attr::Kind::Operand;
      // A native loop's tiles: steps=%n, the last operand (its variable comes first).
      std::optional<unsigned> stepsOperand;
      for (const Arg &a : args)
        if (a.name == "steps" && a.value.kind() == Attr::Kind::Operand)
          stepsOperand = a.value.index();
      if (layout && tiles) {
        unsigned numSizes = op.numOperands() - (stepsOperand ? 1 : 0);
        layout = args[0].value.kind() == Attr::Kind::List &&
                 args[0].value.listValue().size() == numSizes &&
                 (!stepsOperand || *stepsOperand == numSizes);
        for (unsigned i = 0; layout && i < numSizes; ++i)
          layout = args[0].value.listValue()[i].kind() == Attr::Kind::Operand &&
                   args[0].value.listValue()[i].index() == i;
      }
      if (!layout)
        return fail(&op, tiles ? "kir.tiles takes ([%sizes...], ^0, vector=W[, steps=%n])"
                               : "kir.for takes (%size, ^0[, vector=W][, sequential=1])");
      if (!tiles && intArg(op, "sequential").value_or(0) && &op != top)
        return fail(&op, "only a kernel's outermost loop runs sequential steps");
      const Region &r = op.region(0);
      if (r.numArgs() != (tiles ? op.numOperands() : 1))
        return fail(&op, "takes one loop variable per size");
      for (unsigned i = 0; i < op.numOperands(); ++i) {
        Type::Kind k = op.operandValue(i)->type()->kind();
        if (k != Type::Kind::Int && k != Type::Kind::SymInt)
          return fail(&op, "a loop's size is an int or a symint");
      }
      for (unsigned i = 0; i < r.numArgs(); ++i) {
        if (r.arg(i)->type()->kind() != Type::Kind::Int)
          return fail(&op, "a loop variable is an int");
        ivs.insert(r.arg(i));
      }
      std::optional<int64_t> w = intArg(op, "vector");
      if ((tiles && !w) || (w && *w < 1))
        return fail(&op, tiles ? "kir.tiles needs vector=W (W >= 1)" : "vector=W needs W >= 1");
      for (const Op &m : r.ops())
        if (absl::Status st = check(m); !st.ok())
          return st;
      return absl::OkStatus();
    }
    if (op.isTerminator())
      return op.numOperands() ? fail(&op, "a loop body yields nothing") : absl::OkStatus();
    if (isKir(op, kKirCarried)) {
      llvm::ArrayRef<Arg> args = op.args();
      if (args.size() != 3 || op.numOperands() < 2 || args[0].value.kind() != Attr::Kind::Operand ||
          args[0].value.index() != 0 || args[1].value.kind() != Attr::Kind::Operand ||
          args[1].value.index() != 1 || args[2].value.kind() != Attr::Kind::List)
        return fail(&op, "kir.carried takes (%init, %carry, [indices])");
      const Value *init = op.operandValue(0), *carry = op.operandValue(1);
      if (!buffers.contains(init) || !buffers.contains(carry))
        return fail(&op, "reads a value that is not a buffer input");
      if (init->type()->dtype() != carry->type()->dtype() ||
          args[2].value.listValue().size() != carry->type()->rank())
        return fail(&op, "its init and carry differ in dtype, or the indices in rank");
      for (const Attr &a : args[2].value.listValue())
        if (!((a.kind() == Attr::Kind::Int && a.intValue() == 0) ||
              (a.kind() == Attr::Kind::Operand && ivs.contains(op.operandValue(a.index())))))
          return fail(&op, "an index is an enclosing loop variable or 0");
      if (op.numResults() != 1 || op.result(0)->type()->rank() != 0 ||
          op.result(0)->type()->dtype() != init->type()->dtype())
        return fail(&op, "gives one 0-dim value of the buffers' dtype");
      return absl::OkStatus();
    }
    if (isKir(op, kKirLoad) || isKir(op, kKirStore)) {
      bool store = isKir(op, kKirStore);
      llvm::ArrayRef<Arg> args = op.args();
      if (args.size() != (store ? 3u : 2u) || op.numOperands() < 1 ||
          args[0].value.kind() != Attr::Kind::Operand || args[0].value.index() != 0 ||
          args[1].value.kind() != Attr::Kind::List ||
          (store && args[2].value.kind() != Attr::Kind::Operand))
        return fail(&op, store ? "kir.store takes (%buf, [indices], %value)"
                               : "kir.load takes (%buf, [indices])");
      const Value *buf = op.operandValue(0);
      if (!buffers.contains(buf))
        return fail(&op, "reads or writes %" + buf->name().str() + ", which is not a buffer input");
      llvm::ArrayRef<Attr> idx = op.args()[1].value.listValue();
      if (idx.size() != buf->type()->rank())
        return fail(&op, std::to_string(idx.size()) + " indices for a buffer of rank " +
                             std::to_string(buf->type()->rank()));
      for (const Attr &a : idx) {
        bool ok = (a.kind() == Attr::Kind::Int && a.intValue() == 0) ||
                  (a.kind() == Attr::Kind::Operand && ivs.contains(op.operandValue(a.index())));
        if (!ok)
          return fail(&op, "an index is an enclosing loop variable or 0");
      }
      if (store) {
        const Type *v = op.operandValue(op.args()[2].value.index())->type();
        if (!v->isTensor() || v->rank() != 0)
          return fail(&op, "stores a 0-dim value");
      } else if (op.numResults() != 1 || !op.result(0)->type()->isTensor() ||
                 op.result(0)->type()->rank() != 0 ||
                 op.result(0)->type()->dtype() != buf->type()->dtype()) {
        return fail(&op, "gives one 0-dim value of the buffer's dtype");
      }
      return absl::OkStatus();
    }
    if (!kernelOpRow(op.name()))
      return fail(&op, "not an op of kernel IR (kir.*) or of the generator's scalar math "
                       "(backends/cpu/KernelOps.def)");
    for (unsigned r = 0; r < op.numResults(); ++r)
      if (!op.result(r)->type()->isTensor() || op.result(r)->type()->rank() != 0)
        return fail(&op, "element ops give 0-dim values");
    return absl::OkStatus();
  };
  return check(*top);
}

namespace {
std::mutex &kernelIRMutex() {
  static std::mutex m;
  return m;
}
} // namespace

void KernelIRDeleter::operator()(Graph *g) const {
  std::lock_guard<std::mutex> lock(kernelIRMutex());
  delete g;
}

absl::StatusOr<KernelIRGraph> scheduleKernelIR(const KernelSpec &k, unsigned lanes) {
  std::unique_lock<std::mutex> lock(kernelIRMutex());
  absl::StatusOr<std::unique_ptr<Graph>> g = lowerToKernelIR(k);
  if (!g.ok())
    return g.status();
  if (absl::Status st = verifyKernelIR(**g, false); !st.ok())
    return absl::InternalError("cpu: lowering " + k.symbol + ": " + std::string(st.message()));
  if (absl::Status st = vectorizeInner(**g, lanes); !st.ok())
    return st;
  if (absl::Status st = parallelizeOuter(**g); !st.ok())
    return st;
  if (absl::Status st = verifyKernelIR(**g, true); !st.ok())
    return absl::InternalError("cpu: scheduling " + k.symbol + ": " + std::string(st.message()));
  lock.unlock(); // (an early return destroys *g with the lock held)
  return KernelIRGraph(g->release());
}

absl::StatusOr<std::string> kernelIRText(const KernelSpec &k, unsigned lanes) {
  absl::StatusOr<KernelIRGraph> g = scheduleKernelIR(k, lanes);
  if (!g.ok())
    return g.status();
  std::string header = "// " + k.symbol + ": " + std::to_string(k.numOps) + " ops fused\n";
  llvm::StringRef src(k.sources);
  while (!src.empty()) {
    auto [line, rest] = src.split('\n');
    header += "//" + line.str() + "\n";
    src = rest;
  }
  // Buffers read through fused views: which operand, through which views.
  unsigned operandNo = 0;
  for (const KernelSpec::Buffer &bd : k.buffers) {
    if (bd.isResult)
      continue;
    unsigned n = operandNo++;
    if (bd.space == 0)
      continue;
    header += "// %in" + std::to_string(n) + ": operand " + std::to_string(bd.index) +
              " read through";
    const std::vector<const Op *> &chain = k.spaces[bd.space];
    for (size_t j = chain.size(); j-- > 0;)
      header += " %" + chain[j]->result(0)->name().str() + " (" + chain[j]->name().str() + ")";
    header += "\n";
  }
  PrintOptions po;
  po.debugInfo = true; // every op keeps its provenance in the file
  return header + printGraph(**g, po);
}

namespace {

class VectorizePass final : public Pass {
public:
  explicit VectorizePass(const PassOptions &o) : lanes_(o.getInt("lanes")) {}
  absl::StatusOr<bool> run(Graph &g, PassContext &ctx) override {
    if (absl::Status st = verifyKernelIR(g, false); !st.ok())
      return ctx.error(static_cast<const Op *>(nullptr), std::string(st.message()));
    if (lanes_ < 1)
      return ctx.error(static_cast<const Op *>(nullptr), "cpu-vectorize: lanes must be at least 1");
    if (absl::Status st = vectorizeInner(g, static_cast<unsigned>(lanes_)); !st.ok())
      return ctx.error(static_cast<const Op *>(nullptr), std::string(st.message()));
    return true;
  }

private:
  int64_t lanes_;
};

class ParallelizePass final : public Pass {
public:
  explicit ParallelizePass(const PassOptions &) {}
  absl::StatusOr<bool> run(Graph &g, PassContext &ctx) override {
    if (absl::Status st = verifyKernelIR(g, false); !st.ok())
      return ctx.error(static_cast<const Op *>(nullptr), std::string(st.message()));
    if (absl::Status st = parallelizeOuter(g); !st.ok())
      return ctx.error(static_cast<const Op *>(nullptr), std::string(st.message()));
    return true;
  }
};

const PassOptionSpec kVectorizeOptions[] = {
    {"lanes", PassOptionSpec::Type::Int, "16", "lanes a step of the innermost loop"},
};

} // namespace

std::unique_ptr<Pass> createVectorizePass(const PassOptions &o) {
  return std::make_unique<VectorizePass>(o);
}
llvm::ArrayRef<PassOptionSpec> vectorizeOptions() { return kVectorizeOptions; }
std::unique_ptr<Pass> createParallelizePass(const PassOptions &o) {
  return std::make_unique<ParallelizePass>(o);
}
llvm::ArrayRef<PassOptionSpec> parallelizeOptions() { return {}; }

} // namespace fxir::cpu
