//===- CpuExecutable.cpp - the cpu backend's runtime: kernels inside interp's plan ---===//
//
// The cpu backend's Executable is interp's, with cpu.kernel ops handed to the JIT'd
// kernels (interp::OpHandler): every other op runs through ATen exactly as interp runs
// it, and the input checks and mutation write-back are the shared ones (BoundProgram).
//
// A kernel call: the iteration space is the broadcast of its tensor operands' sizes;
// results are new contiguous tensors of their dtypes; each buffer's strides are
// expanded to the iteration space (0 on broadcast dims). A buffer whose inner stride
// breaks what the kernel was compiled for (a type said contiguous and the tensor is
// not) is copied contiguous first: never a wrong address. Adjacent dims that every
// buffer lays out as one are merged, so the inner loop runs as long as it can.
//
// Kernel results come from the process's BufferPool (a steady-state call touches no
// fresh pages).
//
// Threads: each kernel call passes the program's thread count (the `threads` option,
// else ATen's at::get_num_threads()) to the kernel, which splits its work through
// Parallel.h's helper by the grain rule.
//
// Compiled objects come from, and go to, the compile cache (backends/cpu/Cache.h).
//===----------------------------------------------------------------------------===//
#include "fxir/backends/runtime/CpuExecutable.h"
#include "fxir/driver/BackendTable.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>

#include "fxir/backends/cpu/Cpu.h"
#include "fxir/backends/interp/Interp.h"

#include "llvm/ADT/SmallVector.h"
#include "fxir/backends/runtime/AtenCall.h"
#include "fxir/backends/runtime/AtenOp.h"
#include "fxir/backends/runtime/BufferPool.h"
#include "fxir/backends/runtime/Parallel.h"
#include "fxir/backends/runtime/TensorFile.h"

#include "llvm/ADT/DenseMap.h"

namespace fxir::cpu {

namespace {

using runtime::opError;

/// The loop nest's sizes and each buffer's strides over R dims: expanded for
/// broadcasting, size-1 dims dropped, adjacent dims merged when every buffer lays them
/// out as one, padded back to rank R with outer size-1 dims.
void layoutDims(const KernelSpec &k, unsigned R, llvm::ArrayRef<int64_t> shape,
                llvm::ArrayRef<at::Tensor> bufs, llvm::SmallVectorImpl<int64_t> &sizes,
                llvm::SmallVectorImpl<int64_t> &strides) {
  unsigned nb = static_cast<unsigned>(bufs.size());
  llvm::SmallVector<int64_t, 6> sz(shape.begin(), shape.end());
  llvm::SmallVector<int64_t, 24> st(nb * R, 0);
  for (unsigned b = 0; b < nb; ++b) {
    const at::Tensor &t = bufs[b];
    for (int64_t d = 0; d < t.dim(); ++d) {
      int64_t od = R - t.dim() + d;
      st[b * R + od] = t.size(d) == 1 && shape[od] != 1 ? 0 : t.stride(d);
    }
  }
  llvm::SmallVector<unsigned, 6> alive;
  int cur = -1;
  // A buffer compiled to be broadcast along the inner dim (one element splat
  // over it) needs a run-time inner dim along which its stride is 0. When the
  // inner dim has size 1 here, dropping it makes the innermost dim of size > 1
  // the inner one; if a broadcast buffer has a non-zero stride there, the inner
  // dim stays (not dropped, nothing merged into it) and the kernel's inner loop
  // runs one element per row. (A 0-dim operand has stride 0 everywhere: dropped.)
  bool keepInner = false;
  if (sz[R - 1] == 1) {
    int next = static_cast<int>(R) - 2;
    while (next >= 0 && sz[next] == 1)
      --next;
    for (unsigned b = 0; b < nb && next >= 0; ++b)
      keepInner |= k.buffers[b].inner == Inner::Broadcast && st[b * R + next] != 0;
  }
  for (int d = static_cast<int>(R) - 1; d >= 0; --d) {
    if (keepInner && d == static_cast<int>(R) - 1) {
      alive.push_back(static_cast<unsigned>(d));
      continue;
    }
    if (sz[d] == 1)
      continue;
    if (cur >= 0) {
      bool merge = true;
      for (unsigned b = 0; b < nb && merge; ++b)
        merge = st[b * R + d] == st[b * R + cur] * sz[cur];
      if (merge) {
        sz[cur] *= sz[d];
        continue;
      }
    }
    alive.insert(alive.begin(), static_cast<unsigned>(d));
    cur = d;
  }
  if (alive.empty()) // every dim has size 1
    alive.push_back(R - 1);
  sizes.assign(R, 1);
  strides.assign(nb * R, 0);
  unsigned pad = R - static_cast<unsigned>(alive.size());
  for (unsigned i = 0; i < alive.size(); ++i) {
    sizes[pad + i] = sz[alive[i]];
    for (unsigned b = 0; b < nb; ++b)
      strides[b * R + pad + i] = st[b * R + alive[i]];
  }
}

/// Whether tensor `t` is what a kernel buffer was compiled for (`dtype`, `rank`); the
/// error names it as `what` ("cpu: operand 2", "cpu: the native loop's operand %x").
absl::Status checkOperand(const Op &op, const std::string &what, const at::Tensor &t,
                          DType dtype, size_t rank) {
  if (t.scalar_type() == runtime::toScalarType(dtype) && static_cast<size_t>(t.dim()) == rank)
    return absl::OkStatus();
  return opError(op, what + " is " + std::string(c10::toString(t.scalar_type())) + " of rank " +
                         std::to_string(t.dim()) + "; the kernel was compiled for " +
                         std::string(irName(dtype)) + " of rank " + std::to_string(rank));
}

/// Broadcasts `t`'s sizes into the R-dim iteration `shape` (trailing-aligned); the
/// error is `what` + " sizes do not broadcast at dim D".
absl::Status broadcastInto(const Op &op, const std::string &what, const at::Tensor &t,
                           unsigned R, llvm::SmallVectorImpl<int64_t> &shape) {
  for (int64_t d = 0; d < t.dim(); ++d) {
    int64_t od = R - t.dim() + d, s = t.size(d);
    if (s == 1)
      continue;
    if (shape[od] == 1)
      shape[od] = s;
    else if (shape[od] != s)
      return opError(op, what + " sizes do not broadcast at dim " + std::to_string(od));
  }
  return absl::OkStatus();
}

/// A number operand's 8-byte scalar slot (an int64, or a double's bits); false when
/// `v` is not a number.
bool packNumber(const c10::IValue &v, int64_t &slot) {
  if (v.isDouble()) {
    double d = v.toDouble();
    std::memcpy(&slot, &d, sizeof d);
  } else if (v.isInt()) {
    slot = v.toInt();
  } else if (v.isBool()) {
    slot = v.toBool();
  } else {
    return false;
  }
  return true;
}

/// The kernel's error flags as eager's error.
absl::Status kernelErrors(const Op &op, const KernelSpec &k, int32_t errors) {
  if (errors & kErrorIntegerDivisionByZero)
    return opError(op, "ZeroDivisionError: integer division by zero in the kernel of\n" +
                           k.sources);
  return absl::OkStatus();
}

class KernelRunner final : public interp::OpHandler {
public:
  std::vector<KernelSpec> specs;
  llvm::DenseMap<const Op *, unsigned> index;
  std::vector<KernelFn> fns;
  std::unique_ptr<CompiledKernels> code;
  /// The program's thread count (the `threads` option), 0: ATen's at each run.
  int64_t threads = 0;
  std::map<std::string, std::string> info;
  /// --check-kernels: each kernel's ops, prepared as interp runs them, per kernel.
  bool checkKernels = false;
  std::vector<std::vector<std::pair<const Op *, runtime::AtenOp>>> reference;
  /// The fused views of every kernel, prepared once: a viewed buffer is its operand
  /// seen through them (ATen computes the view's sizes and strides; no data moves).
  std::map<const Op *, runtime::AtenOp> views;

  /// Buffer `b` of kernel `k` (an operand read in index space s > 0): operand `t`
  /// expanded to the shape of the space's ops (when it broadcasts to it), then seen
  /// through the space's views, deepest first. A view ATen cannot take on that layout
  /// (`view` of an expanded operand) gets a contiguous copy of it first (docs).
  absl::Status viewed(const Op &op, const KernelSpec &k, unsigned b,
                      llvm::ArrayRef<c10::IValue> operands,
                      llvm::function_ref<std::optional<int64_t>(const SymExpr *)> valueOf,
                      at::Tensor &t) const {
    const std::vector<const Op *> &chain = k.spaces[k.buffers[b].space];
    const Type *spaceType = viewInput(*chain.back())->type();
    std::vector<int64_t> shape;
    for (const SymExpr *e : spaceType->shape()) {
      std::optional<int64_t> v = valueOf(e);
      if (!v)
        return opError(op, "cpu: internal error: size " + e->str() + " of a fused view's "
                           "input is not known from the kernel's operands");
      shape.push_back(*v);
    }
    try {
      if (t.sizes() != at::IntArrayRef(shape))
        t = t.expand(shape);
    } catch (const c10::Error &e) {
      return opError(op, std::string("cpu: operand ") + std::to_string(k.buffers[b].index) +
                             " does not broadcast to its fused view's input: " +
                             e.what_without_backtrace());
    }
    const Region &body = op.region(0);
    for (size_t j = chain.size(); j-- > 0;) {
      const Op &v = *chain[j];
      for (int attempt = 0;; ++attempt) {
        c10::IValue in(t);
        auto lookup = [&](const Value *x) -> const c10::IValue * {
          if (x == viewInput(v))
            return &in;
          if (x->argOwner() == &body)
            return &operands[x->index()];
          return nullptr;
        };
        llvm::SmallVector<c10::IValue, 1> out;
        absl::Status st = views.find(&v)->second.call(
            v, lookup, [](const at::Tensor &) { return false; }, out);
        if (st.ok() && !out.empty() && out[0].isTensor()) {
          t = out[0].toTensor();
          break;
        }
        if (attempt > 0 || t.is_contiguous())
          return st.ok() ? opError(v, "cpu: a fused view gave no tensor") : st;
        t = t.contiguous();
      }
    }
    return absl::OkStatus();
  }

  /// Runs kernel `k`'s ops through ATen on its operands and compares each of its
  /// results with what the kernel computed (the dtype's tolerance).
  absl::Status check(const Op &op, const KernelSpec &k, unsigned index,
                     llvm::ArrayRef<c10::IValue> operands,
                     llvm::ArrayRef<at::Tensor> bufs) const {
    llvm::DenseMap<const Value *, c10::IValue> env;
    const Region &body = op.region(0);
    for (unsigned i = 0; i < body.numArgs(); ++i)
      env[body.arg(i)] = operands[i];
    auto lookup = [&](const Value *v) -> const c10::IValue * {
      auto it = env.find(v);
      return it == env.end() ? nullptr : &it->second;
    };
    for (const auto &[m, aten] : reference[index]) {
      llvm::SmallVector<c10::IValue, 2> out;
      if (absl::Status st = aten.call(*m, lookup, [](const at::Tensor &) { return false; }, out);
          !st.ok())
        return st;
      for (unsigned r = 0; r < m->numResults() && r < out.size(); ++r)
        env[m->result(r)] = out[r];
    }
    const Op &yield = body.ops().back();
    for (unsigned r = 0; r < yield.numOperands(); ++r) {
      const c10::IValue *want = lookup(yield.operandValue(r));
      if (!want || !want->isTensor())
        continue;
      const at::Tensor &got = bufs[k.buffers.size() - op.numResults() + r];
      std::string diff = runtime::compareTensors(got, want->toTensor(),
                                                 runtime::defaultTolerance(got.scalar_type()));
      if (!diff.empty())
        return opError(op, "check-kernels: kernel " + k.symbol + " disagrees with interp on "
                           "result " + std::to_string(r) + ": " + diff + "\n  it fuses:\n" +
                           k.sources);
    }
    return absl::OkStatus();
  }

  std::map<std::string, std::string> compileInfo() const override { return info; }

  bool handles(const Op &op) const override {
    return op.name() == kKernelOpName || (op.is(FxirOp::For) && index.count(&op));
  }

  /// A native loop (KernelSpec::loop): `op` is the fxir.for, `operands` its trip count
  /// and inits; the tensors its body reads from outside come from `lookup`. Every index
  /// is checked before the kernel runs; the results are new tensors (never the inits).
  absl::Status runLoop(const Op &op, const KernelSpec &k, KernelFn fn,
                       llvm::ArrayRef<c10::IValue> operands, std::vector<c10::IValue> &results,
                       llvm::function_ref<const c10::IValue *(const Value *)> lookup) const {
    const Op &kernel = *k.op;
    unsigned R = k.rank - 1; // the body kernel's dims
    if (operands.empty() || !operands[0].isInt())
      return opError(op, "cpu: the trip count is not an int");
    int64_t steps = std::max<int64_t>(operands[0].toInt(), 0);
    llvm::ArrayRef<Attr> initList = op.args()[2].value.listValue();
    auto init = [&](unsigned slot) -> const c10::IValue & { return operands[initList[slot].index()]; };
    auto outsideValue = [&](const Value *v) -> const c10::IValue * {
      return lookup ? lookup(v) : nullptr;
    };
    if (steps == 0) { // the inits, as new tensors (interp's rule)
      results.clear();
      for (unsigned s = 0; s < op.numResults(); ++s)
        results.push_back(init(s).isTensor() ? c10::IValue(init(s).toTensor().clone()) : init(s));
      return absl::OkStatus();
    }
    unsigned nb = static_cast<unsigned>(k.buffers.size());
    llvm::SmallVector<at::Tensor, 8> bufs(nb), steppedFrom(nb);
    llvm::SmallVector<int64_t, 8> stepStride(nb, 0);
    llvm::SmallVector<int64_t, 6> shape(R, 1);
    // Step 0's slice of a Steps buffer's tensor, and its stride a step; `pack`: of a
    // copy with the stepped dim first, contiguous (when the slices' inner stride is not
    // what the kernel was compiled for).
    auto stepSlices = [&](unsigned b, bool pack = false) -> absl::Status {
      const KernelSpec::Buffer &bd = k.buffers[b];
      int64_t d = bd.select->args()[1].value.intValue();
      if (d < 0)
        d += steppedFrom[b].dim();
      if (pack && d >= 0 && d < steppedFrom[b].dim()) {
        steppedFrom[b] = steppedFrom[b].movedim(d, 0).contiguous();
        d = 0;
      }
      const at::Tensor &x = steppedFrom[b];
      if (d < 0 || d >= x.dim())
        return opError(*bd.select, "cpu: select dim " + std::to_string(d) + " is out of range");
      if (steps > x.size(d)) // eager's error, before anything is written
        return opError(*bd.select, "select(): index " + std::to_string(steps - 1) +
                                       " out of range for tensor of size " +
                                       std::to_string(x.size(d)) + " at dimension " +
                                       std::to_string(d));
      bufs[b] = x.select(d, bd.reverse ? steps - 1 : 0);
      stepStride[b] = (bd.reverse ? -1 : 1) * x.stride(d);
      return absl::OkStatus();
    };
    for (unsigned b = 0; b < nb; ++b) {
      const KernelSpec::Buffer &bd = k.buffers[b];
      if (bd.isResult)
        continue;
      const Value *v = kernel.operandValue(bd.index);
      const c10::IValue *iv = nullptr;
      if (bd.role == LoopRole::Init)
        iv = &init(bd.value);
      else if (bd.role == LoopRole::Steps)
        iv = outsideValue(bd.select->operandValue(0));
      else
        iv = outsideValue(v);
      if (!iv || !iv->isTensor())
        return opError(op, "cpu: the native loop's operand %" + v->name().str() + " is not a tensor");
      if (bd.role == LoopRole::Steps) {
        steppedFrom[b] = iv->toTensor();
        if (absl::Status st = stepSlices(b); !st.ok())
          return st;
      } else {
        bufs[b] = iv->toTensor();
      }
      if (absl::Status st = checkOperand(op, "cpu: the native loop's operand %" + v->name().str(),
                                         bufs[b], bd.dtype, v->type()->rank());
          !st.ok())
        return st;
      if (absl::Status st = broadcastInto(op, "cpu: the native loop's operand", bufs[b], R, shape);
          !st.ok())
        return st;
    }
    // A carried value has the iteration space's shape (its init too: the result keeps it).
    for (unsigned b = 0; b < nb; ++b)
      if (k.buffers[b].role == LoopRole::Init && bufs[b].sizes() != at::IntArrayRef(shape))
        return opError(op, "cpu: carried value " + std::to_string(k.buffers[b].value) +
                               "'s init has sizes " + c10::str(bufs[b].sizes()) +
                               ", not the loop body's");
    try {
      for (unsigned b = 0; b < nb; ++b) {
        const KernelSpec::Buffer &bd = k.buffers[b];
        if (!bd.isResult)
          continue;
        at::ScalarType dt = runtime::toScalarType(bd.dtype);
        if (bd.role == LoopRole::Carry) {
          bufs[b] = runtime::BufferPool::get().empty(shape, dt);
        } else {
          llvm::SmallVector<int64_t, 6> full{steps};
          full.append(shape.begin(), shape.end());
          steppedFrom[b] = runtime::BufferPool::get().empty(full, dt);
          bufs[b] = steppedFrom[b].select(0, bd.reverse ? steps - 1 : 0);
          stepStride[b] = (bd.reverse ? -1 : 1) * steppedFrom[b].stride(0);
        }
      }
    } catch (const c10::Error &e) {
      return opError(op, std::string("cpu: ") + e.what_without_backtrace());
    }
    int64_t numel = 1;
    for (int64_t sz : shape)
      numel *= sz;
    if (numel > 0) {
      llvm::SmallVector<int64_t, 24> sizes, strides;
      // Inner strides the kernel was not compiled for: a contiguous copy (of a Steps
      // buffer's whole tensor), once.
      for (int attempt = 0;; ++attempt) {
        layoutDims(k, R, shape, bufs, sizes, strides);
        bool ok = true;
        for (unsigned b = 0; b < nb; ++b) {
          if (k.buffers[b].inner != Inner::Contiguous || sizes[R - 1] <= 1 ||
              strides[b * R + R - 1] == 1)
            continue;
          ok = false;
          if (attempt >= 1 || k.buffers[b].isResult)
            return opError(op, "cpu: internal error: buffer " + std::to_string(b) +
                                   " of the native loop cannot be laid out for its kernel");
          if (k.buffers[b].role == LoopRole::Steps) {
            if (absl::Status st = stepSlices(b, /*pack=*/true); !st.ok())
              return st;
          } else {
            bufs[b] = bufs[b].contiguous();
          }
        }
        if (ok)
          break;
      }
      // The kernel's sizes and strides: the steps as dim 0, then the body's dims.
      llvm::SmallVector<int64_t, 8> abiSizes{steps};
      abiSizes.append(sizes.begin(), sizes.end());
      llvm::SmallVector<int64_t, 32> abiStrides;
      for (unsigned b = 0; b < nb; ++b) {
        abiStrides.push_back(stepStride[b]);
        abiStrides.append(strides.begin() + b * R, strides.begin() + (b + 1) * R);
      }
      llvm::SmallVector<void *, 8> ptrs(nb);
      for (unsigned b = 0; b < nb; ++b)
        ptrs[b] = bufs[b].data_ptr();
      llvm::SmallVector<int64_t, 4> scalars(k.scalarOperands.size(), 0);
      for (unsigned s = 0; s < k.scalarOperands.size(); ++s) {
        const c10::IValue *v = outsideValue(kernel.operandValue(k.scalarOperands[s]));
        if (!v || !packNumber(*v, scalars[s]))
          return opError(op, "cpu: the native loop's number operand " +
                                 std::to_string(k.scalarOperands[s]) + " is not a number");
      }
      int32_t errors = fn(ptrs.data(), abiSizes.data(), abiStrides.data(), scalars.data(),
                          threads > 0 ? threads : runtime::defaultKernelThreads());
      if (absl::Status st = kernelErrors(op, k, errors); !st.ok())
        return st;
    }
    results.clear();
    for (unsigned b = 0; b < nb; ++b)
      if (k.buffers[b].isResult)
        results.push_back(k.buffers[b].role == LoopRole::Stacked ? steppedFrom[b] : bufs[b]);
    return absl::OkStatus();
  }

  absl::Status run(const Op &op, llvm::ArrayRef<c10::IValue> operands,
                   std::vector<c10::IValue> &results,
                   llvm::function_ref<const c10::IValue *(const Value *)> lookup) const override {
    auto it = index.find(&op);
    if (it == index.end())
      return opError(op, "cpu: this kernel was not compiled");
    const KernelSpec &k = specs[it->second];
    KernelFn fn = fns[it->second];
    if (k.loop)
      return runLoop(op, k, fn, operands, results, lookup);
    unsigned R = k.rank;
    llvm::SmallVector<at::Tensor, 8> bufs(k.buffers.size()); // (no heap per call)
    llvm::SmallVector<int64_t, 6> shape(R, 1);
    // The symbols the operands bind (tensor dims that are a symbol, symint operands of
    // a*s + b): a factory kernel's sizes, the results' strides and the shapes viewed
    // buffers expand to are evaluated so.
    llvm::DenseMap<const Symbol *, int64_t> bound;
    for (unsigned i = 0; i < op.numOperands(); ++i) {
      const Type *t = op.operandValue(i)->type();
      if (t->isTensor() && operands[i].isTensor()) {
        const at::Tensor &x = operands[i].toTensor();
        for (size_t d = 0; d < t->rank() && d < static_cast<size_t>(x.dim()); ++d)
          if (t->shape()[d]->kind() == SymExpr::Kind::Sym)
            bound[t->shape()[d]->symbol()] = x.size(static_cast<int64_t>(d));
      } else if (t->kind() == Type::Kind::SymInt && operands[i].isInt()) {
        if (const Symbol *sym = affineSymbol(t->symExpr()))
          if (std::optional<int64_t> v = solveSymbol(t->symExpr(), operands[i].toInt()))
            bound[sym] = *v;
      }
    }
    auto valueOf = [&](const SymExpr *e) {
      return e->evaluate([&](const Symbol *sym) {
        auto it = bound.find(sym);
        return it == bound.end() ? std::nullopt : std::optional<int64_t>(it->second);
      });
    };
    for (unsigned b = 0; b < k.buffers.size(); ++b) {
      const KernelSpec::Buffer &bd = k.buffers[b];
      if (bd.isResult)
        continue;
      unsigned i = bd.index;
      if (!operands[i].isTensor())
        return opError(op, "cpu: operand " + std::to_string(i) + " is " +
                               runtime::ivalueKind(operands[i]) + ", not a tensor");
      at::Tensor t = operands[i].toTensor();
      if (absl::Status st = checkOperand(op, "cpu: operand " + std::to_string(i), t, bd.dtype,
                                         op.operandValue(i)->type()->rank());
          !st.ok())
        return st;
      if (bd.space != 0)
        if (absl::Status st = viewed(op, k, b, operands, valueOf, t); !st.ok())
          return st;
      if (absl::Status st = broadcastInto(op, "cpu: operand", t, R, shape); !st.ok())
        return st;
      bufs[b] = t;
    }
    // A kernel holding a factory op: the iteration space is its result type's shape,
    // its symbols bound by the operands (the partition claims only such ops), and every
    // tensor operand broadcasts to it.
    if (k.shapeFromType) {
      const Type *rt = op.result(0)->type();
      for (unsigned d = 0; d < R; ++d) {
        std::optional<int64_t> v = valueOf(rt->shape()[d]);
        if (!v || *v < 0)
          return opError(op, "cpu: internal error: the kernel's size " + std::to_string(d) +
                                 " (" + rt->shape()[d]->str() + ") is not known from its operands");
        shape[d] = *v;
      }
      for (unsigned b = 0; b < k.buffers.size(); ++b) {
        if (k.buffers[b].isResult)
          continue;
        const at::Tensor &t = bufs[b];
        for (int64_t d = 0; d < t.dim(); ++d)
          if (t.size(d) != 1 && t.size(d) != shape[R - t.dim() + d])
            return opError(op, "cpu: operand sizes do not broadcast to the kernel's at dim " +
                                   std::to_string(R - t.dim() + d));
      }
    }
    // Results.
    try {
      for (unsigned r = 0; r < op.numResults(); ++r) {
        unsigned b = static_cast<unsigned>(k.buffers.size() - op.numResults() + r);
        // The type's strides when it states them and they evaluate to a dense layout
        // of this shape (eager's layout); else contiguous.
        const Type *rt = op.result(r)->type();
        llvm::SmallVector<int64_t, 6> st;
        if (rt->layoutKnown() && rt->strides().size() == R) {
          for (const SymExpr *e : rt->strides())
            if (std::optional<int64_t> v = valueOf(e))
              st.push_back(*v);
          if (st.size() != R || !runtime::isDenseLayout(shape, st))
            st.clear();
        }
        bufs[b] = st.empty()
                      ? runtime::BufferPool::get().empty(shape, runtime::toScalarType(k.buffers[b].dtype))
                      : runtime::BufferPool::get().emptyStrided(
                            shape, st, runtime::toScalarType(k.buffers[b].dtype));
      }
    } catch (const c10::Error &e) {
      return opError(op, std::string("cpu: ") + e.what_without_backtrace());
    }
    int64_t numel = 1;
    for (int64_t s : shape)
      numel *= s;
    if (numel > 0) {
      unsigned nb = static_cast<unsigned>(k.buffers.size());
      llvm::SmallVector<int64_t, 24> sizes, strides;
      auto layout = [&] { layoutDims(k, R, shape, bufs, sizes, strides); };
      // A buffer whose inner stride is not what the kernel was compiled for: a
      // contiguous copy, then (a broadcast inner dim) an expanded one.
      // (Rank 0: one element; the kernel reads no sizes or strides.)
      for (int attempt = 0; R > 0; ++attempt) {
        layout();
        bool ok = true;
        for (unsigned b = 0; b < nb; ++b) {
          if (k.buffers[b].inner != Inner::Contiguous || sizes[R - 1] <= 1 ||
              strides[b * R + R - 1] == 1)
            continue;
          ok = false;
          if (attempt >= 2)
            return opError(op, "cpu: internal error: buffer " + std::to_string(b) +
                                   " cannot be laid out for the kernel");
          if (k.buffers[b].isResult) {
            // Its type's layout has a unit inner stride that dropping a size-1 dim
            // lost: contiguous instead (nothing is written yet).
            bufs[b] = runtime::BufferPool::get().empty(
                shape, runtime::toScalarType(k.buffers[b].dtype));
          } else if (attempt == 0) {
            bufs[b] = bufs[b].contiguous();
          } else {
            // Broadcast along what became the inner dim (size-1 dims dropped, dims
            // merged): materialized at the whole iteration space.
            bufs[b] = bufs[b].expand(shape).contiguous();
          }
        }
        if (ok)
          break;
      }
      llvm::SmallVector<void *, 8> ptrs(k.buffers.size());
      for (unsigned b = 0; b < k.buffers.size(); ++b)
        ptrs[b] = bufs[b].data_ptr();
      llvm::SmallVector<int64_t, 4> scalars(k.scalarOperands.size(), 0);
      for (unsigned s = 0; s < k.scalarOperands.size(); ++s) {
        const c10::IValue &v = operands[k.scalarOperands[s]];
        if (!packNumber(v, scalars[s]))
          return opError(op, "cpu: operand " + std::to_string(k.scalarOperands[s]) + " is " +
                                 runtime::ivalueKind(v) + ", not a number");
      }
      int32_t errors = fn(ptrs.data(), sizes.data(), strides.data(), scalars.data(),
                          threads > 0 ? threads : runtime::defaultKernelThreads());
      if (absl::Status st = kernelErrors(op, k, errors); !st.ok())
        return st;
      if (checkKernels)
        try {
          if (absl::Status st = check(op, k, it->second, operands, bufs); !st.ok())
            return st;
        } catch (const c10::Error &e) {
          return opError(op, std::string("check-kernels: ") + e.what_without_backtrace());
        }
    }
    results.clear();
    for (unsigned r = 0; r < op.numResults(); ++r)
      results.push_back(bufs[k.buffers.size() - op.numResults() + r]);
    return absl::OkStatus();
  }
};

} // namespace

absl::StatusOr<std::unique_ptr<runtime::Executable>>
create(std::shared_ptr<const Program> program, const PassOptions &options) {
  registerTables();
  auto runner = std::make_shared<KernelRunner>();
  // Options first: a bad one is rejected before any kernel compiles.
  runner->threads = options.getInt("threads");
  if (runner->threads < 0)
    return absl::InvalidArgumentError("cpu: threads must be >= 0 (0: ATen's thread count), not " +
                                      std::to_string(runner->threads));
  // (--check-kernels checks each kernel alone, so loops stay the runtime's.)
  bool nativeLoops = options.getBool("native-loops") && !options.getBool("check-kernels");
  absl::StatusOr<std::vector<KernelSpec>> specs = scheduleKernels(*program->graph, nativeLoops);
  if (!specs.ok())
    return specs.status();
  runner->specs = std::move(*specs);
  absl::StatusOr<std::unique_ptr<CompiledKernels>> code =
      compileKernels(runner->specs, codegenOptions(options), runtime::kernelRuntimeSymbols());
  if (!code.ok())
    return absl::Status(code.status().code(),
                        program->path + ": " + std::string(code.status().message()));
  runner->code = std::move(*code);
  for (const KernelSpec &k : runner->specs)
    for (const std::vector<const Op *> &chain : k.spaces)
      for (const Op *v : chain)
        if (!runner->views.count(v)) {
          absl::StatusOr<runtime::AtenOp> a = runtime::AtenOp::prepare(*v);
          if (!a.ok())
            return a.status();
          runner->views.try_emplace(v, std::move(*a));
        }
  runner->checkKernels = options.getBool("check-kernels");
  if (runner->checkKernels) {
    for (const KernelSpec &k : runner->specs) {
      std::vector<std::pair<const Op *, runtime::AtenOp>> ops;
      for (const Op &m : k.op->region(0).ops()) {
        if (m.isTerminator())
          continue;
        absl::StatusOr<runtime::AtenOp> a = runtime::AtenOp::prepare(m);
        if (!a.ok())
          return a.status();
        ops.emplace_back(&m, std::move(*a));
      }
      runner->reference.push_back(std::move(ops));
    }
  }
  runner->info["target"] = runner->code->targetDescription();
  // The effective backend options (the YAML backend: section, then the flags), as
  // text: what --emit generates for.
  for (const PassOptionSpec &spec : fxir::lookupBackend("cpu")->options) {
    std::string v;
    switch (spec.type) {
    case PassOptionSpec::Type::Bool: v = options.getBool(spec.key) ? "true" : "false"; break;
    case PassOptionSpec::Type::Int: v = std::to_string(options.getInt(spec.key)); break;
    case PassOptionSpec::Type::Float: v = std::to_string(options.getFloat(spec.key)); break;
    case PassOptionSpec::Type::String: v = options.getString(spec.key); break;
    }
    runner->info["option " + spec.key.str()] = v;
  }
  const CompiledKernels::CacheStats &cs = runner->code->cacheStats();
  runner->info["cache"] = !cs.enabled ? "off" : cs.misses ? "miss" : "hit";
  runner->info["cache-detail"] =
      std::to_string(cs.hits) + " loaded, " + std::to_string(cs.misses) + " compiled, " +
      std::to_string(cs.corrupt) + " corrupt (" + (cs.enabled ? cs.dir : "off") + ")";
  auto ms = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return std::string(buf);
  };
  runner->info["codegen-detail"] = "keys and loads " + ms(cs.keyMs) + " ms, compile " +
                                   ms(cs.codegenMs) + " ms on " + std::to_string(cs.threads) +
                                   " threads, JIT link " + ms(cs.linkMs) + " ms";
  runner->info["threads"] = runner->threads ? std::to_string(runner->threads) : "aten";
  unsigned nativeLoopCount = 0;
  for (unsigned i = 0; i < runner->specs.size(); ++i) {
    const KernelSpec &k = runner->specs[i];
    runner->index[k.loop ? k.loop : k.op] = i;
    nativeLoopCount += k.loop != nullptr;
    KernelFn fn = runner->code->lookup(k.symbol);
    if (!fn)
      return absl::InternalError("cpu: kernel " + k.symbol + " has no entry point");
    runner->fns.push_back(fn);
  }
  runner->info["native-loops"] = std::to_string(nativeLoopCount);
  return interp::createWithHandler(std::move(program), std::move(runner), "cpu");
}

} // namespace fxir::cpu
