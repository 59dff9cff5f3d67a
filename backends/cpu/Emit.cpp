//===- Emit.cpp - kernels to LLVM IR, vectorized explicitly ---------------------===//
//
// One LLVM function per kernel (the ABI in Cpu.h), read from its scheduled kernel IR
// (KernelIR.h): the kir.tiles op gives the iteration space (its sizes: kir.size
// arguments or constants) and the vector width; its body's kir.load / element ops /
// kir.store are emitted in order, a load's addressing (contiguous vector, broadcast
// splat or strided gather) read from its innermost index and its buffer's type. The
// iteration space is cut into tiles: a tile is one row of the outer dims and a
// range of the inner dim (the whole dim, or a chunk of a multiple of W elements when
// there are fewer rows than threads). `fxir_kN.tiles` runs a range of tiles: the inner
// range in vectors of W lanes (W = vector bits / 32), and a remainder of fewer than W
// elements that runs the same vector code under a lane mask (masked loads and stores):
// a result never depends on its position or on the split. The entry `fxir_kN` hands
// the tile space to the runtime's parallel helper (kParallelHelperSymbol), which runs
// it on one thread or splits it over several.
//
// Every fxir value in a kernel is a vector of W lanes in its register type: f16 and
// bf16 values are held as f32 (fusing keeps f32 between ops; explicit casts round),
// bool as i1 (i8 in memory). Numerics follow eager (docs/codegen.md): conversions as
// x86 eager does them (through a 32- or 64-bit integer, INT_MIN out of range),
// NaN-propagating max/min (selects), no fast-math, no FMA contraction, the vector math
// (exp, exp2, expm1, log, log2, log1p, sin, cos, tan, tanh, erf) written here as IR
// from Cephes' published polynomials, ATen's formulas for sigmoid, silu and gelu,
// integer division that reports division by zero instead of dividing by it.
//
// Does not: optimize or compile (Jit.cpp), decide the partition (Partition.cpp).
//===----------------------------------------------------------------------------===//
#include "fxir/backends/cpu/Emit.h"
#include "fxir/backends/cpu/KernelIR.h"
#include "fxir/ir/Type.h"
#include "fxir/ir/OpSchema.h"

#include <functional>

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Support/raw_ostream.h"

namespace fxir::cpu {

namespace {

using llvm::IRBuilder;
using LV = llvm::Value;

/// The register type of a dtype's values: f16/bf16 computed as f32, bool as i1.
DType regDType(DType t) {
  return t == DType::Float16 || t == DType::BFloat16 ? DType::Float32 : t;
}

llvm::Type *scalarType(llvm::LLVMContext &c, DType t) {
  switch (regDType(t)) {
  case DType::Float32: return llvm::Type::getFloatTy(c);
  case DType::Float64: return llvm::Type::getDoubleTy(c);
  case DType::Bool: return llvm::Type::getInt1Ty(c);
  case DType::UInt8: case DType::Int8: return llvm::Type::getInt8Ty(c);
  case DType::Int16: return llvm::Type::getInt16Ty(c);
  case DType::Int32: return llvm::Type::getInt32Ty(c);
  default: return llvm::Type::getInt64Ty(c);
  }
}

/// The type of one element in memory.
llvm::Type *memType(llvm::LLVMContext &c, DType t) {
  switch (t) {
  case DType::Float16: return llvm::Type::getHalfTy(c);
  case DType::BFloat16: return llvm::Type::getInt16Ty(c);
  case DType::Bool: return llvm::Type::getInt8Ty(c);
  default: return scalarType(c, t);
  }
}

bool isFloatReg(DType t) { return isFloatingPoint(regDType(t)); }

/// The predicate of comparison `e`: ordered for floats (false with a NaN) except `ne`
/// (true with a NaN), as eager compares; unsigned for u8 and bool.
llvm::CmpInst::Predicate comparePredicate(Emitter e, bool fp, bool uns) {
  using P = llvm::CmpInst::Predicate;
  struct Row { P f, s, u; };
  Row row;
  switch (e) {
  case Emitter::Eq: row = {P::FCMP_OEQ, P::ICMP_EQ, P::ICMP_EQ}; break;
  case Emitter::Ne: row = {P::FCMP_UNE, P::ICMP_NE, P::ICMP_NE}; break;
  case Emitter::Lt: row = {P::FCMP_OLT, P::ICMP_SLT, P::ICMP_ULT}; break;
  case Emitter::Le: row = {P::FCMP_OLE, P::ICMP_SLE, P::ICMP_ULE}; break;
  case Emitter::Gt: row = {P::FCMP_OGT, P::ICMP_SGT, P::ICMP_UGT}; break;
  default: row = {P::FCMP_OGE, P::ICMP_SGE, P::ICMP_UGE}; break;
  }
  return fp ? row.f : uns ? row.u : row.s;
}


class KernelEmitter {
public:
  KernelEmitter(llvm::Module &m, const KernelSpec &k, const Graph &kir, llvm::StringRef name,
                unsigned lanes, bool roundEach, llvm::StringRef injectFailure)
      : m_(m), c_(m.getContext()), k_(k), kir_(kir), name_(name.str()), w_(lanes),
        roundEach_(roundEach), inject_(injectFailure.str()), b_(c_) {}

  absl::Status emit(llvm::Function *&out);

private:
  llvm::Module &m_;
  llvm::LLVMContext &c_;
  const KernelSpec &k_;
  const Graph &kir_;
  const Op *tiles_ = nullptr; ///< kir_'s kir.tiles
  bool stored_ = false;       ///< a kir.store was emitted (inject-failure=miscompile)
  std::string name_; ///< the entry point's symbol
  unsigned w_;
  bool roundEach_;
  std::string inject_;
  IRBuilder<> b_;
  llvm::Value *errors_ = nullptr; ///< the tiles' error flags (an i32 alloca)
  llvm::Function *fn_ = nullptr;

  // Per buffer: base pointer and its strides (one per dim of the iteration space).
  std::vector<LV *> base_;
  std::vector<std::vector<LV *>> strides_;
  std::vector<LV *> sizes_;
  std::vector<LV *> scalarSlots_;
  // Per buffer: the element offset of the current outer iteration (and step).
  std::vector<LV *> offset_;
  /// A native loop (KernelSpec::loop): dim 0 of the sizes and strides is the steps; the
  /// tiles cover dims lead_... `initStep_`: emitting step 0 (kir.carried reads inits).
  unsigned lead_ = 0;
  bool initStep_ = false;

  struct RV {
    LV *v = nullptr;
    DType dtype = DType::Float32; // the fxir value's dtype (register: regDType)
  };
  llvm::DenseMap<const Value *, RV> env_;
  std::string error_;

  unsigned rank() const { return k_.rank ? k_.rank : 1; }
  llvm::Type *i64() { return b_.getInt64Ty(); }
  llvm::VectorType *vec(llvm::Type *t) { return llvm::FixedVectorType::get(t, w_); }
  LV *splat(LV *s) { return b_.CreateVectorSplat(w_, s); }
  /// <0, 1, ..., W-1> as i64: each lane's offset along the inner dim.
  LV *laneIota() {
    llvm::SmallVector<llvm::Constant *, 16> lanes;
    for (unsigned l = 0; l < w_; ++l)
      lanes.push_back(b_.getInt64(l));
    return llvm::ConstantVector::get(lanes);
  }
  /// The lanes' element pointers of buffer `buf` at inner index j, through its
  /// run-time inner stride (gathers and scatters).
  LV *stridedPtrs(unsigned buf, LV *j) {
    LV *innerStride = strides_[buf].back();
    LV *idx = b_.CreateAdd(splat(b_.CreateAdd(offset_[buf], b_.CreateMul(j, innerStride))),
                           b_.CreateMul(laneIota(), splat(innerStride)));
    return b_.CreateGEP(memType(c_, k_.buffers[buf].dtype), base_[buf], idx);
  }
  LV *vconst(DType t, double f, int64_t i) {
    llvm::Type *s = scalarType(c_, t);
    LV *c = s->isFloatingPointTy() ? llvm::ConstantFP::get(s, f)
                                   : llvm::ConstantInt::get(s, static_cast<uint64_t>(i), true);
    return splat(c);
  }
  LV *fconst(double f) { return splat(llvm::ConstantFP::get(b_.getFloatTy(), f)); }
  LV *iconst32(int64_t i) { return splat(b_.getInt32(static_cast<uint32_t>(i))); }
  LV *call(llvm::Intrinsic::ID id, llvm::ArrayRef<LV *> args) {
    return b_.CreateIntrinsic(id, {args[0]->getType()}, args);
  }

  void emitTiles();
  void emitInner(LV *jb, LV *je);
  void emitBody(LV *j, LV *mask);

  LV *load(unsigned buf, Inner inner, LV *j, LV *mask);
  /// How kir.load `op` reads its buffer along the inner dim.
  absl::StatusOr<Inner> innerOf(const Op &op);
  /// The buffer (KernelSpec::buffers index) a kir.load/kir.store addresses.
  absl::StatusOr<unsigned> bufferOf(const Op &op);
  void store(unsigned buf, LV *j, LV *mask, LV *v);
  LV *elementPtr(unsigned buf, LV *index);

  absl::StatusOr<RV> operandValue(const Op &op, const Attr *a, LV *j, LV *mask);
  absl::StatusOr<RV> emitOp(const Op &op, LV *j, LV *mask);
  LV *convert(LV *v, DType from, DType to, bool round);
  LV *roundReduced(LV *f32, DType to);
  LV *floatToInt(LV *v, DType to);

  LV *expF32(LV *x);
  LV *rangedExp(LV *x, double lo, double hi, const std::function<LV *(LV *)> &core);
  LV *expPoly(LV *r);
  LV *scaleByPow2(LV *y, LV *n);
  LV *exp2F32(LV *x);
  LV *logF32(LV *x, bool base2);
  LV *log1pF32(LV *x);
  LV *expm1F32(LV *x);
  LV *sinCosF32(LV *x, bool cosine);
  LV *erfF32(LV *x);
  LV *tanhF32(LV *x);
  LV *floorDivide(LV *a, LV *b);
  /// NaN-propagating max/min as eager computes them, in selects: LLVM 19 narrows
  /// llvm.maximum of extended halves to f16 and its x86 lowering then returns 0 for
  /// maximum(NaN, 0) (found by fxir-difftest). max(a, b) = a > b ? a : b (b when
  /// equal, as vmaxps: max(0, -0) = -0); min prefers -0 on a tie of zeros.
  /// a's NaN is taken by the unordered compare (ugt/ult), not by a separate
  /// `a uno a` select: LLVM 19's InstCombine folds `(fabs(x) uno 0) | (fabs(x) ogt
  /// 0)` into `x ugt 0`, so relu(abs(x)) gave 0 for every negative x (fxir-difftest
  /// seed 4; CpuOps.DifftestRegressions).
  LV *maxOf(LV *a, LV *b, bool fp, bool uns) {
    if (!fp)
      return call(uns ? llvm::Intrinsic::umax : llvm::Intrinsic::smax, {a, b});
    LV *r = b_.CreateSelect(b_.CreateFCmpUGT(a, b), a, b);
    return b_.CreateSelect(b_.CreateFCmpUNO(b, b), b, r);
  }
  LV *minOf(LV *a, LV *b, bool fp, bool uns) {
    if (!fp)
      return call(uns ? llvm::Intrinsic::umin : llvm::Intrinsic::smin, {a, b});
    LV *r = b_.CreateSelect(b_.CreateFCmpULT(a, b), a, b);
    LV *tieZero = b_.CreateAnd(b_.CreateFCmpOEQ(a, b),
                               b_.CreateFCmpOEQ(a, llvm::Constant::getNullValue(a->getType())));
    r = b_.CreateSelect(tieZero, b_.CreateFNeg(call(llvm::Intrinsic::fabs, {a})), r);
    return b_.CreateSelect(b_.CreateFCmpUNO(b, b), b, r);
  }
  /// v clamped from below (`low`) or above by `bound`, as eager's clamp, relu and
  /// hardtanh: v itself unless it is past the bound, so relu(-0) is -0 (maximum's
  /// tie rule would give the bound's +0); a NaN v stays, a NaN bound gives NaN.
  LV *clampTo(LV *v, LV *bound, bool low, bool fp, bool uns) {
    if (!fp)
      return low ? maxOf(v, bound, fp, uns) : minOf(v, bound, fp, uns);
    LV *past = low ? b_.CreateFCmpOLT(v, bound) : b_.CreateFCmpOGT(v, bound);
    LV *r = b_.CreateSelect(past, bound, v);
    return b_.CreateSelect(b_.CreateFCmpUNO(bound, bound), bound, r);
  }
  LV *intDivide(Emitter e, llvm::StringRef mode, LV *a, LV *b, bool uns, LV *mask);
  /// gelu's approximate="tanh".
  bool geluApproximate(const Op &op) {
    const Attr *a = argFor(op, 1);
    return a && a->kind() == Attr::Kind::Str && a->stringValue() == "tanh";
  }
  /// Whether `op`'s schema argument `i` is an element of a tensor of rank > 0 (a
  /// kir.load of such a buffer, or an element op of a kernel of rank > 0): TensorIterator
  /// casts such an operand to the common dtype (rounding it to f16/bf16), while 0-dim
  /// tensors and numbers are read as scalars.
  bool dimensionedTensorArg(const Op &op, unsigned i) const {
    const Attr *a = argFor(op, i);
    if (!a || a->kind() != Attr::Kind::Operand)
      return false;
    const Value *v = op.operandValue(a->index());
    return v->type()->isTensor() && elementTensorRank(v, k_.rank) > 0;
  }
  /// `v` (of dtype `from`, converted to `to`) rounded to `to` when `to` is f16/bf16 and
  /// argument `i` is a dimensioned tensor of another dtype (TensorIterator's cast).
  LV *castLikeIterator(const Op &op, unsigned i, LV *v, DType from, DType to) {
    if ((to == DType::Float16 || to == DType::BFloat16) && from != to &&
        dimensionedTensorArg(op, i))
      return roundReduced(v, to);
    return v;
  }
  /// div's rounding mode: "", "trunc" or "floor".
  llvm::StringRef roundingMode(const Op &op);
};

llvm::StringRef KernelEmitter::roundingMode(const Op &op) {
  const OpSchema *s = op.schema();
  for (unsigned i = 0; s && i < s->arguments.size(); ++i)
    if (s->arguments[i].name == "rounding_mode")
      if (const Attr *a = argFor(op, i); a && a->kind() == Attr::Kind::Str)
        return a->stringValue();
  return "";
}

LV *KernelEmitter::intDivide(Emitter e, llvm::StringRef mode, LV *a, LV *b, bool uns,
                             LV *mask) {
  // Division by zero sets kErrorIntegerDivisionByZero (eager's ZeroDivisionError;
  // masked-off lanes never count) and divides by 1 instead: never LLVM's UB. INT_MIN
  // divided by -1 wraps (to INT_MIN; its remainder is 0), where eager dies of SIGFPE.
  llvm::Type *t = a->getType();
  LV *zero = llvm::Constant::getNullValue(t), *one = llvm::ConstantInt::get(t, 1);
  LV *isZero = b_.CreateICmpEQ(b, zero);
  LV *counted = mask ? b_.CreateAnd(isZero, mask) : isZero;
  LV *any = b_.CreateOrReduce(counted);
  LV *flags = b_.CreateLoad(b_.getInt32Ty(), errors_);
  b_.CreateStore(b_.CreateOr(flags, b_.CreateSelect(any, b_.getInt32(kErrorIntegerDivisionByZero),
                                                   b_.getInt32(0))),
                 errors_);
  LV *minusOne = uns ? nullptr : b_.CreateICmpEQ(b, llvm::Constant::getAllOnesValue(t));
  LV *safe = b_.CreateSelect(isZero, one, b);
  if (minusOne)
    safe = b_.CreateSelect(minusOne, one, safe); // a / -1 is -a, a % -1 is 0
  LV *q = uns ? b_.CreateUDiv(a, safe) : b_.CreateSDiv(a, safe);
  LV *r = uns ? b_.CreateURem(a, safe) : b_.CreateSRem(a, safe);
  if (minusOne) {
    q = b_.CreateSelect(minusOne, b_.CreateNeg(a), q);
    r = b_.CreateSelect(minusOne, zero, r);
  }
  bool floor = e == Emitter::FloorDivide || (e == Emitter::Div && mode == "floor");
  if (e == Emitter::Div && !floor)
    return q; // trunc
  if (e == Emitter::Fmod)
    return r;
  if (uns)
    return e == Emitter::Remainder ? r : q;
  // r != 0 and r, b of different signs: floor moves q down by one, r up by b.
  LV *fix = b_.CreateAnd(b_.CreateICmpNE(r, zero),
                         b_.CreateICmpNE(b_.CreateICmpSLT(r, zero), b_.CreateICmpSLT(b, zero)));
  if (e == Emitter::Remainder)
    return b_.CreateSelect(fix, b_.CreateAdd(r, b), r);
  return b_.CreateSelect(fix, b_.CreateSub(q, one), q);
}

LV *KernelEmitter::floorDivide(LV *a, LV *b) {
  // ATen's div_floor_floating: b == 0 gives a / b; otherwise from fmod, so that
  // 1.0 // 0.1 is 9 (not floor(10.0)).
  llvm::Type *t = a->getType();
  LV *zero = llvm::Constant::getNullValue(t);
  LV *mod = b_.CreateFRem(a, b);
  LV *div = b_.CreateFDiv(b_.CreateFSub(a, mod), b);
  LV *fix = b_.CreateAnd(b_.CreateFCmpUNE(mod, zero),
                         b_.CreateXor(b_.CreateFCmpOLT(b, zero), b_.CreateFCmpOLT(mod, zero)));
  div = b_.CreateSelect(fix, b_.CreateFSub(div, llvm::ConstantFP::get(t, 1.0)), div);
  LV *fl = call(llvm::Intrinsic::floor, {div});
  LV *up = b_.CreateFCmpOGT(b_.CreateFSub(div, fl), llvm::ConstantFP::get(t, 0.5));
  fl = b_.CreateSelect(up, b_.CreateFAdd(fl, llvm::ConstantFP::get(t, 1.0)), fl);
  LV *signedZero = call(llvm::Intrinsic::copysign, {zero, b_.CreateFDiv(a, b)});
  LV *res = b_.CreateSelect(b_.CreateFCmpUNE(div, zero), fl, signedZero);
  return b_.CreateSelect(b_.CreateFCmpOEQ(b, zero), b_.CreateFDiv(a, b), res);
}

LV *KernelEmitter::elementPtr(unsigned buf, LV *index) {
  return b_.CreateGEP(memType(c_, k_.buffers[buf].dtype), base_[buf], index);
}

absl::StatusOr<unsigned> KernelEmitter::bufferOf(const Op &op) {
  const Value *buf = op.operandValue(0);
  if (buf->argOwner() != &kir_.body() || buf->index() >= k_.buffers.size())
    return absl::InternalError(op.describe() + " addresses no buffer of the kernel");
  return buf->index();
}

absl::StatusOr<Inner> KernelEmitter::innerOf(const Op &op) {
  // The innermost index: the innermost loop variable (contiguous when the buffer's type
  // says its inner stride is 1, else strided), or 0 / none (broadcast). A rank-0
  // kernel's one element is read as a contiguous one.
  const Region &body = tiles_->region(0);
  const Value *buf = op.operandValue(0);
  llvm::ArrayRef<Attr> idx = op.args()[1].value.listValue();
  Inner inner = Inner::Broadcast;
  if (k_.rank == 0) {
    inner = Inner::Contiguous;
  } else if (!idx.empty() && idx.back().kind() == Attr::Kind::Operand &&
             op.operandValue(idx.back().index()) == body.arg(body.numArgs() - 1)) {
    const Type *t = buf->type();
    // A result of unknown layout (`{?}`) is allocated contiguous.
    bool unitStride = t->isContiguous() || (!t->layoutKnown() && op.name() == kKirStore) ||
                      (t->layoutKnown() && !t->strides().empty() &&
                       t->strides().back()->asConst() == 1);
    inner = unitStride ? Inner::Contiguous : Inner::Strided;
  }
  // The runtime lays buffers out (copies, expands) for the schedule's addressing.
  absl::StatusOr<unsigned> b = bufferOf(op);
  if (!b.ok())
    return b.status();
  if (k_.buffers[*b].inner != inner)
    return absl::InternalError(op.describe() + ": its addressing is not the schedule's");
  return inner;
}

LV *KernelEmitter::load(unsigned buf, Inner inner, LV *j, LV *mask) {
  const KernelSpec::Buffer &bd = k_.buffers[buf];
  llvm::Type *mt = memType(c_, bd.dtype);
  llvm::Align align(byteSize(bd.dtype));
  LV *raw = nullptr;
  switch (inner) {
  case Inner::Contiguous: {
    LV *p = elementPtr(buf, b_.CreateAdd(offset_[buf], j));
    raw = mask ? static_cast<LV *>(b_.CreateMaskedLoad(vec(mt), p, align, mask,
                                                       llvm::Constant::getNullValue(vec(mt))))
               : static_cast<LV *>(b_.CreateAlignedLoad(vec(mt), p, align));
    break;
  }
  case Inner::Broadcast: {
    // The element exists whenever the iteration is not empty.
    LV *p = elementPtr(buf, offset_[buf]);
    raw = splat(b_.CreateAlignedLoad(mt, p, align));
    break;
  }
  case Inner::Strided: {
    LV *ptrs = stridedPtrs(buf, j);
    LV *m = mask ? mask : llvm::Constant::getAllOnesValue(vec(b_.getInt1Ty()));
    raw = b_.CreateMaskedGather(vec(mt), ptrs, align, m, llvm::Constant::getNullValue(vec(mt)));
    break;
  }
  }
  // Memory form to register form.
  switch (bd.dtype) {
  case DType::Float16:
    return b_.CreateFPExt(raw, vec(b_.getFloatTy()));
  case DType::BFloat16: {
    LV *wide = b_.CreateShl(b_.CreateZExt(raw, vec(b_.getInt32Ty())), iconst32(16));
    return b_.CreateBitCast(wide, vec(b_.getFloatTy()));
  }
  case DType::Bool:
    return b_.CreateICmpNE(raw, llvm::Constant::getNullValue(raw->getType()));
  default:
    return raw;
  }
}

LV *KernelEmitter::roundReduced(LV *f, DType to) {
  // f32 -> f16/bf16 -> f32, round to nearest even. bf16 in integer code (a libgcc
  // without __truncsfbf2 is never needed), NaN kept quiet as c10::BFloat16 does.
  if (to == DType::Float16)
    return b_.CreateFPExt(b_.CreateFPTrunc(f, vec(b_.getHalfTy())), vec(b_.getFloatTy()));
  LV *bits = b_.CreateBitCast(f, vec(b_.getInt32Ty()));
  LV *lsb = b_.CreateAnd(b_.CreateLShr(bits, iconst32(16)), iconst32(1));
  LV *rounded = b_.CreateAdd(bits, b_.CreateAdd(iconst32(0x7fff), lsb));
  LV *hi = b_.CreateAnd(rounded, iconst32(static_cast<int64_t>(0xffff0000u)));
  LV *isNan = b_.CreateFCmpUNO(f, f);
  LV *r = b_.CreateSelect(isNan, iconst32(0x7fc00000), hi);
  return b_.CreateBitCast(r, vec(b_.getFloatTy()));
}

void KernelEmitter::store(unsigned buf, LV *j, LV *mask, LV *v) {
  const KernelSpec::Buffer &bd = k_.buffers[buf];
  llvm::Align align(byteSize(bd.dtype));
  LV *m = v;
  switch (bd.dtype) {
  case DType::Float16:
    m = b_.CreateFPTrunc(v, vec(b_.getHalfTy()));
    break;
  case DType::BFloat16:
    m = b_.CreateTrunc(b_.CreateLShr(b_.CreateBitCast(roundReduced(v, DType::BFloat16),
                                                      vec(b_.getInt32Ty())),
                                     iconst32(16)),
                       vec(b_.getInt16Ty()));
    break;
  case DType::Bool:
    m = b_.CreateZExt(v, vec(b_.getInt8Ty()));
    break;
  default:
    break;
  }
  if (bd.inner == Inner::Strided) {
    // A result laid out with a non-unit inner stride (its type's): a scatter.
    b_.CreateMaskedScatter(m, stridedPtrs(buf, j), align,
                           mask ? mask : llvm::Constant::getAllOnesValue(vec(b_.getInt1Ty())));
    return;
  }
  LV *p = elementPtr(buf, b_.CreateAdd(offset_[buf], j));
  if (mask)
    b_.CreateMaskedStore(m, p, align, mask);
  else
    b_.CreateAlignedStore(m, p, align);
}

LV *KernelEmitter::floatToInt(LV *v, DType to) {
  // As x86 eager converts: to int64 through a 64-bit conversion, to narrower types
  // through a 32-bit one, INT_MIN when out of range or NaN, then truncated.
  unsigned w = to == DType::Int64 ? 64 : 32;
  llvm::Type *ft = v->getType()->getScalarType();
  double lim = std::ldexp(1.0, static_cast<int>(w) - 1);
  LV *lo = splat(llvm::ConstantFP::get(ft, -lim)), *hi = splat(llvm::ConstantFP::get(ft, lim));
  LV *in = b_.CreateAnd(b_.CreateFCmpOGE(v, lo), b_.CreateFCmpOLT(v, hi));
  LV *safe = b_.CreateSelect(in, v, llvm::Constant::getNullValue(v->getType()));
  llvm::Type *it = b_.getIntNTy(w);
  LV *i = b_.CreateFPToSI(safe, vec(it));
  LV *minV = splat(llvm::ConstantInt::get(it, llvm::APInt::getSignedMinValue(w)));
  LV *r = b_.CreateSelect(in, i, minV);
  llvm::Type *target = scalarType(c_, to);
  if (target->getIntegerBitWidth() < w)
    r = b_.CreateTrunc(r, vec(target));
  return r;
}

LV *KernelEmitter::convert(LV *v, DType from, DType to, bool round) {
  DType rf = regDType(from), rt = regDType(to);
  llvm::Type *target = vec(scalarType(c_, to));
  LV *out = v;
  if (rf == rt) {
    out = v;
  } else if (rt == DType::Bool) {
    out = isFloatingPoint(rf) ? b_.CreateFCmpUNE(v, llvm::Constant::getNullValue(v->getType()))
                              : b_.CreateICmpNE(v, llvm::Constant::getNullValue(v->getType()));
  } else if (rf == DType::Bool) {
    out = isFloatingPoint(rt) ? b_.CreateUIToFP(v, target) : b_.CreateZExt(v, target);
  } else if (isFloatingPoint(rf) && isFloatingPoint(rt)) {
    out = rf == DType::Float64 ? b_.CreateFPTrunc(v, target) : b_.CreateFPExt(v, target);
  } else if (isFloatingPoint(rf)) {
    out = floatToInt(v, to);
  } else if (isFloatingPoint(rt)) {
    out = from == DType::UInt8 ? b_.CreateUIToFP(v, target) : b_.CreateSIToFP(v, target);
  } else {
    unsigned fb = v->getType()->getScalarSizeInBits(), tb = target->getScalarSizeInBits();
    if (tb < fb)
      out = b_.CreateTrunc(v, target);
    else if (tb > fb)
      out = from == DType::UInt8 ? b_.CreateZExt(v, target) : b_.CreateSExt(v, target);
  }
  // An explicit cast to f16/bf16 rounds (through f32, as c10 converts doubles).
  if (round && (to == DType::Float16 || to == DType::BFloat16) && from != to)
    out = roundReduced(out, to);
  return out;
}

LV *KernelEmitter::expF32(LV *x) {
  // exp(x) = 2^n * exp(r), n = round(x / ln 2), |r| <= ln2/2 (Cody-Waite in two parts).
  // Out of range: +inf above ln(FLT_MAX), 0 below the smallest subnormal.
  return rangedExp(x, -103.97208404541015625, 88.72283935546875, [&](LV *xc) {
    // Round to nearest even by the 1.5 * 2^23 trick (no libm call on any target).
    LV *t = b_.CreateFMul(xc, fconst(1.44269504088896341));
    LV *n = b_.CreateFSub(b_.CreateFAdd(t, fconst(12582912.0)), fconst(12582912.0));
    LV *r = b_.CreateFSub(xc, b_.CreateFMul(n, fconst(0.693359375)));
    r = b_.CreateFSub(r, b_.CreateFMul(n, fconst(-2.12194440e-4)));
    return scaleByPow2(expPoly(r), n);
  });
}

LV *KernelEmitter::rangedExp(LV *x, double lo, double hi,
                             const std::function<LV *(LV *)> &core) {
  // core(x) on x clamped to [lo, hi] (NaN as 0), then +inf above hi, 0 below lo and
  // NaN kept. (At lo and hi themselves core gives 0 and +inf or the finite value.)
  LV *isNan = b_.CreateFCmpUNO(x, x);
  LV *xc = b_.CreateSelect(isNan, fconst(0), x);
  xc = b_.CreateSelect(b_.CreateFCmpOGT(xc, fconst(hi)), fconst(hi), xc);
  xc = b_.CreateSelect(b_.CreateFCmpOLT(xc, fconst(lo)), fconst(lo), xc);
  LV *y = core(xc);
  y = b_.CreateSelect(b_.CreateFCmpOGT(x, fconst(hi)),
                      fconst(std::numeric_limits<double>::infinity()), y);
  y = b_.CreateSelect(b_.CreateFCmpOLT(x, fconst(lo)), fconst(0), y);
  return b_.CreateSelect(isNan, x, y);
}

LV *KernelEmitter::expPoly(LV *r) {
  // e^r for |r| <= ln2/2: Cephes' expf polynomial.
  LV *z = b_.CreateFMul(r, r);
  LV *p = fconst(1.9875691500e-4);
  for (double c : {1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1,
                   5.0000001201e-1})
    p = b_.CreateFAdd(b_.CreateFMul(p, r), fconst(c));
  return b_.CreateFAdd(b_.CreateFAdd(b_.CreateFMul(p, z), r), fconst(1.0));
}

LV *KernelEmitter::scaleByPow2(LV *y, LV *n) {
  // y * 2^n (n an integral float), in two steps so a subnormal result rounds once.
  LV *ni = b_.CreateFPToSI(n, vec(b_.getInt32Ty()));
  LV *n1 = b_.CreateAShr(ni, iconst32(1));
  LV *n2 = b_.CreateSub(ni, n1);
  auto pow2 = [&](LV *k) {
    return b_.CreateBitCast(b_.CreateShl(b_.CreateAdd(k, iconst32(127)), iconst32(23)),
                            vec(b_.getFloatTy()));
  };
  return b_.CreateFMul(b_.CreateFMul(y, pow2(n1)), pow2(n2));
}

LV *KernelEmitter::exp2F32(LV *x) {
  // 2^x = 2^n * e^((x - n) ln 2), n = round(x): x - n is exact. 2^128 is +inf and
  // 2^-150 rounds to 0 through scaleByPow2, so the range is [-150, 128].
  return rangedExp(x, -150.0, 128.0, [&](LV *xc) {
    LV *n = b_.CreateFSub(b_.CreateFAdd(xc, fconst(12582912.0)), fconst(12582912.0));
    return scaleByPow2(
        expPoly(b_.CreateFMul(b_.CreateFSub(xc, n), fconst(0.693147180559945309))), n);
  });
}

LV *KernelEmitter::logF32(LV *x, bool base2) {
  // x = m * 2^e with m in [sqrt(1/2), sqrt(2)) (subnormals scaled by 2^23 first);
  // log(m) by Cephes' logf polynomial in f = m - 1; log x = e ln2 + log m, or
  // log2 x = e + log m * log2(e). x < 0 and NaN: NaN; 0: -inf; +inf: +inf.
  llvm::Type *i32v = vec(b_.getInt32Ty());
  LV *sub = b_.CreateFCmpOLT(x, fconst(1.17549435e-38));
  LV *xs = b_.CreateSelect(sub, b_.CreateFMul(x, fconst(8388608.0)), x);
  LV *bits = b_.CreateBitCast(xs, i32v);
  LV *e = b_.CreateSub(b_.CreateLShr(bits, iconst32(23)), iconst32(126));
  e = b_.CreateSub(e, b_.CreateSelect(sub, iconst32(23), iconst32(0)));
  LV *m = b_.CreateBitCast(b_.CreateOr(b_.CreateAnd(bits, iconst32(0x007fffff)), iconst32(0x3f000000)),
                           vec(b_.getFloatTy())); // [0.5, 1)
  LV *small = b_.CreateFCmpOLT(m, fconst(0.707106781186547524));
  e = b_.CreateSub(e, b_.CreateSelect(small, iconst32(1), iconst32(0)));
  LV *f = b_.CreateFSub(b_.CreateSelect(small, b_.CreateFAdd(m, m), m), fconst(1.0));
  LV *z = b_.CreateFMul(f, f);
  LV *p = fconst(7.0376836292e-2);
  for (double c : {-1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
                   -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1})
    p = b_.CreateFAdd(b_.CreateFMul(p, f), fconst(c));
  LV *y = b_.CreateFMul(b_.CreateFMul(p, f), z);
  LV *ef = b_.CreateSIToFP(e, vec(b_.getFloatTy()));
  LV *r;
  if (base2) {
    LV *lm = b_.CreateFAdd(b_.CreateFSub(y, b_.CreateFMul(z, fconst(0.5))), f);
    r = b_.CreateFAdd(ef, b_.CreateFMul(lm, fconst(1.44269504088896341)));
  } else {
    y = b_.CreateFAdd(y, b_.CreateFMul(ef, fconst(-2.12194440e-4)));
    y = b_.CreateFSub(y, b_.CreateFMul(z, fconst(0.5)));
    r = b_.CreateFAdd(b_.CreateFAdd(f, y), b_.CreateFMul(ef, fconst(0.693359375)));
  }
  LV *inf = fconst(std::numeric_limits<double>::infinity());
  r = b_.CreateSelect(b_.CreateFCmpOEQ(x, fconst(0)), b_.CreateFNeg(inf), r);
  r = b_.CreateSelect(b_.CreateFCmpOEQ(x, inf), inf, r);
  return b_.CreateSelect(b_.CreateFCmpULT(x, fconst(0)), fconst(std::nan("")), r);
}

LV *KernelEmitter::log1pF32(LV *x) {
  // u = 1 + x; log(u) - ((u - 1) - x) / u corrects u's rounding; u == 1: x.
  LV *u = b_.CreateFAdd(fconst(1.0), x);
  LV *corr = b_.CreateFDiv(b_.CreateFSub(b_.CreateFSub(u, fconst(1.0)), x), u);
  LV *r = b_.CreateFSub(logF32(u, false), corr);
  r = b_.CreateSelect(b_.CreateFCmpOEQ(u, fconst(1.0)), x, r);
  LV *inf = fconst(std::numeric_limits<double>::infinity());
  r = b_.CreateSelect(b_.CreateFCmpOEQ(u, fconst(0.0)), b_.CreateFNeg(inf), r); // x = -1
  return b_.CreateSelect(b_.CreateFCmpOEQ(x, inf), inf, r);
}

LV *KernelEmitter::expm1F32(LV *x) {
  // Kahan: u = e^x; u == 1: x; u - 1 == -1: -1; else (u - 1) * x / log(u).
  LV *u = expF32(x);
  LV *um1 = b_.CreateFSub(u, fconst(1.0));
  LV *r = b_.CreateFDiv(b_.CreateFMul(um1, x), logF32(u, false));
  r = b_.CreateSelect(b_.CreateFCmpOEQ(um1, fconst(-1.0)), fconst(-1.0), r);
  r = b_.CreateSelect(b_.CreateFCmpOEQ(u, fconst(1.0)), x, r);
  // Past 2^24 e^x - 1 rounds to e^x (and (u - 1) x would overflow first).
  r = b_.CreateSelect(b_.CreateFCmpOGT(x, fconst(16.0)), um1, r);
  LV *inf = fconst(std::numeric_limits<double>::infinity());
  r = b_.CreateSelect(b_.CreateFCmpOEQ(u, inf), inf, r);
  return b_.CreateSelect(b_.CreateFCmpUNO(x, x), x, r);
}

LV *KernelEmitter::sinCosF32(LV *x, bool cosine) {
  // k = round(x * 2/pi), r = x - k pi/2, sin or cos of r in [-pi/4, pi/4] by Cephes'
  // polynomials, chosen and signed by the quadrant. Lanes with |x| > 2^18, where the
  // reduction's product stops being exact, are recomputed by libm's sinf/cosf (a
  // scalar call each, on a cold path).
  // The reduction in f64 (two doubles for pi/2, the high one of 33 bits so k * hi is
  // exact for |k| < 2^20): r keeps its relative accuracy near the zeros of sin and cos
  // (an f32 three-part reduction lost 500 ulps there: fxir-ulp measured it).
  llvm::Type *dv = vec(b_.getDoubleTy());
  auto dconst = [&](double d) { return splat(llvm::ConstantFP::get(b_.getDoubleTy(), d)); };
  LV *xd = b_.CreateFPExt(x, dv);
  LV *kd = b_.CreateFSub(b_.CreateFAdd(b_.CreateFMul(xd, dconst(0.636619772367581343)),
                                       dconst(6755399441055744.0)),
                         dconst(6755399441055744.0));
  LV *rd = b_.CreateFSub(xd, b_.CreateFMul(kd, dconst(1.5707963267341256)));
  rd = b_.CreateFSub(rd, b_.CreateFMul(kd, dconst(6.077100506506192e-11)));
  LV *r = b_.CreateFPTrunc(rd, vec(b_.getFloatTy()));
  LV *k = b_.CreateFPTrunc(kd, vec(b_.getFloatTy()));
  LV *z = b_.CreateFMul(r, r);
  LV *ps = fconst(-1.9515295891e-4);
  for (double c : {8.3321608736e-3, -1.6666654611e-1})
    ps = b_.CreateFAdd(b_.CreateFMul(ps, z), fconst(c));
  LV *sinr = b_.CreateFAdd(r, b_.CreateFMul(b_.CreateFMul(ps, z), r));
  LV *pc = fconst(2.443315711809948e-5);
  for (double c : {-1.388731625493765e-3, 4.166664568298827e-2})
    pc = b_.CreateFAdd(b_.CreateFMul(pc, z), fconst(c));
  LV *cosr = b_.CreateFAdd(b_.CreateFSub(fconst(1.0), b_.CreateFMul(z, fconst(0.5))),
                           b_.CreateFMul(b_.CreateFMul(pc, z), z));
  LV *q = b_.CreateFPToSI(b_.CreateSelect(b_.CreateFCmpUNO(k, k), fconst(0), k),
                          vec(b_.getInt32Ty()));
  q = b_.CreateSelect(b_.CreateFCmpOGT(call(llvm::Intrinsic::fabs, {x}), fconst(262144.0)),
                      iconst32(0), q);
  if (cosine)
    q = b_.CreateAdd(q, iconst32(1));
  LV *odd = b_.CreateICmpNE(b_.CreateAnd(q, iconst32(1)), iconst32(0));
  LV *negate = b_.CreateICmpNE(b_.CreateAnd(q, iconst32(2)), iconst32(0));
  LV *v = b_.CreateSelect(odd, cosr, sinr);
  v = b_.CreateSelect(negate, b_.CreateFNeg(v), v);
  v = b_.CreateSelect(b_.CreateFCmpUNO(x, x), x, v);
  // Infinities: NaN (r is NaN already); large finite lanes: libm.
  LV *big = b_.CreateAnd(b_.CreateFCmpOGT(call(llvm::Intrinsic::fabs, {x}), fconst(262144.0)),
                         b_.CreateFCmpONE(call(llvm::Intrinsic::fabs, {x}),
                                          fconst(std::numeric_limits<double>::infinity())));
  llvm::BasicBlock *here = b_.GetInsertBlock();
  llvm::BasicBlock *slow = llvm::BasicBlock::Create(c_, "trig.libm", fn_);
  llvm::BasicBlock *done = llvm::BasicBlock::Create(c_, "trig.done", fn_);
  b_.CreateCondBr(b_.CreateOrReduce(big), slow, done);
  b_.SetInsertPoint(slow);
  llvm::FunctionCallee libm = m_.getOrInsertFunction(
      cosine ? "cosf" : "sinf",
      llvm::FunctionType::get(b_.getFloatTy(), {b_.getFloatTy()}, false));
  LV *w = v;
  for (unsigned l = 0; l < w_; ++l) {
    LV *lane = b_.CreateExtractElement(x, b_.getInt32(l));
    LV *isBig = b_.CreateExtractElement(big, b_.getInt32(l));
    // Small lanes call libm on 0 (cheap), keeping the vector lane.
    LV *arg = b_.CreateSelect(isBig, lane, llvm::ConstantFP::get(b_.getFloatTy(), 0.0));
    LV *res = b_.CreateCall(libm, {arg});
    w = b_.CreateInsertElement(w, b_.CreateSelect(isBig, res, b_.CreateExtractElement(v, b_.getInt32(l))),
                               b_.getInt32(l));
  }
  llvm::BasicBlock *slowEnd = b_.GetInsertBlock();
  b_.CreateBr(done);
  b_.SetInsertPoint(done);
  llvm::PHINode *phi = b_.CreatePHI(v->getType(), 2);
  phi->addIncoming(v, here);
  phi->addIncoming(w, slowEnd);
  return phi;
}

LV *KernelEmitter::erfF32(LV *x) {
  // |x| >= 1: Abramowitz and Stegun 7.1.26: t = 1 / (1 + p|x|),
  // erf = sign(x) (1 - r(t) t e^(-x^2)), without FMA contraction.
  LV *a = call(llvm::Intrinsic::fabs, {x});
  LV *t = b_.CreateFDiv(fconst(1.0), b_.CreateFAdd(b_.CreateFMul(fconst(0.3275911), a), fconst(1.0)));
  LV *r = fconst(1.061405429);
  for (double c : {-1.453152027, 1.421413741, -0.284496736, 0.254829592})
    r = b_.CreateFAdd(b_.CreateFMul(r, t), fconst(c));
  LV *z = b_.CreateFMul(x, x);
  LV *e = expF32(b_.CreateFNeg(z));
  LV *y = b_.CreateFAdd(b_.CreateFMul(b_.CreateFMul(b_.CreateFNeg(e), t), r), fconst(1.0));
  y = call(llvm::Intrinsic::copysign, {y, x});
  // |x| < 1: x P(x^2), Cephes' erff polynomial (A&S's absolute error of 1.5e-7 is
  // millions of ulps near 0; fxir-ulp measured it).
  LV *p = fconst(7.853861353153693e-5);
  for (double c : {-8.010193625184903e-4, 5.188327685732524e-3, -2.685381193529856e-2,
                   1.128358514861418e-1, -3.761262582423300e-1, 1.128379165726710})
    p = b_.CreateFAdd(b_.CreateFMul(p, z), fconst(c));
  return b_.CreateSelect(b_.CreateFCmpOLT(a, fconst(1.0)), b_.CreateFMul(x, p), y);
}

LV *KernelEmitter::tanhF32(LV *x) {
  // |x| < 0.625: Cephes' tanhf polynomial; else 1 - 2 / (exp(2|x|) + 1) with x's sign.
  LV *a = call(llvm::Intrinsic::fabs, {x});
  LV *z = b_.CreateFMul(x, x);
  LV *p = fconst(-5.70498872745e-3);
  for (double c : {2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1})
    p = b_.CreateFAdd(b_.CreateFMul(p, z), fconst(c));
  LV *small = b_.CreateFAdd(x, b_.CreateFMul(b_.CreateFMul(x, z), p));
  LV *e = expF32(b_.CreateFAdd(a, a));
  LV *large = b_.CreateFSub(fconst(1.0), b_.CreateFDiv(fconst(2.0), b_.CreateFAdd(e, fconst(1.0))));
  large = call(llvm::Intrinsic::copysign, {large, x});
  return b_.CreateSelect(b_.CreateFCmpOLT(a, fconst(0.625)), small, large);
}

absl::StatusOr<KernelEmitter::RV> KernelEmitter::operandValue(const Op &op, const Attr *a,
                                                              LV *j, LV *mask) {
  if (!a)
    return absl::InternalError("a missing argument");
  switch (a->kind()) {
  case Attr::Kind::Int: return RV{vconst(DType::Int64, 0, a->intValue()), DType::Int64};
  case Attr::Kind::Float: return RV{vconst(DType::Float64, a->floatValue(), 0), DType::Float64};
  case Attr::Kind::Bool: return RV{vconst(DType::Bool, 0, a->boolValue()), DType::Bool};
  case Attr::Kind::Operand: {
    const Value *v = op.operandValue(a->index());
    auto it = env_.find(v);
    if (it != env_.end())
      return it->second;
    return absl::InternalError("operand %" + v->name().str() + " has no value in the kernel");
  }
  default:
    return absl::InternalError("an argument the emitter does not take");
  }
}

absl::StatusOr<KernelEmitter::RV> KernelEmitter::emitOp(const Op &op, LV *j, LV *mask) {
  const KernelOpRow *row = kernelOpRow(op.name());
  if (!row)
    return absl::InternalError("no emitter for " + op.name().str());
  DType result = op.result(0)->type()->dtype();
  auto get = [&](unsigned i) { return operandValue(op, argFor(op, i), j, mask); };
  switch (row->form) {
  case ArgForm::Fill: {
    // One value everywhere, converted to the result dtype once (the partition only
    // claims values the dtype holds as ATen's fill does).
    const Attr *v = fillValueArg(op);
    if (!v || v->kind() == Attr::Kind::None) {
      double c = fillConstant(op).value_or(0.0);
      return RV{vconst(result, c, static_cast<int64_t>(c)), result};
    }
    absl::StatusOr<RV> x = operandValue(op, v, j, mask);
    if (!x.ok())
      return x.status();
    return RV{convert(x->v, x->dtype, result, true), result};
  }
  case ArgForm::Arange: {
    // start + step * i in int64 (ATen's accumulate type for integer aranges), i the
    // kernel's one loop variable: j plus the lane.
    auto bound = [&](const char *name, int64_t dflt) -> absl::StatusOr<LV *> {
      std::optional<unsigned> i = op.schema()->argumentIndex(name);
      const Attr *a = i ? argFor(op, *i) : nullptr;
      if (!a || a->kind() == Attr::Kind::None)
        return vconst(DType::Int64, 0, dflt);
      absl::StatusOr<RV> x = operandValue(op, a, j, mask);
      if (!x.ok())
        return x.status();
      return convert(x->v, x->dtype, DType::Int64, false);
    };
    absl::StatusOr<LV *> start = bound("start", 0), step = bound("step", 1);
    if (!start.ok() || !step.ok())
      return !start.ok() ? start.status() : step.status();
    LV *idx = b_.CreateAdd(splat(j), laneIota());
    LV *v = b_.CreateAdd(*start, b_.CreateMul(*step, idx));
    return RV{convert(v, DType::Int64, result, false), result};
  }
  case ArgForm::Cast:
  case ArgForm::Copy: {
    absl::StatusOr<RV> x = get(0);
    if (!x.ok())
      return x.status();
    return RV{convert(x->v, x->dtype, result, true), result};
  }
  case ArgForm::Where: {
    absl::StatusOr<RV> c = get(0), x = get(1), y = get(2);
    if (!c.ok() || !x.ok() || !y.ok())
      return !c.ok() ? c.status() : !x.ok() ? x.status() : y.status();
    LV *cv = convert(c->v, c->dtype, DType::Bool, false);
    LV *xv = castLikeIterator(op, 1, convert(x->v, x->dtype, result, false), x->dtype, result);
    LV *yv = castLikeIterator(op, 2, convert(y->v, y->dtype, result, false), y->dtype, result);
    return RV{b_.CreateSelect(cv, xv, yv), result};
  }
  case ArgForm::Clamp: {
    // min(max(x, lo), hi) with NaN-propagating max/min (ATen's clamp: lo > hi gives hi).
    absl::StatusOr<RV> x = get(0);
    if (!x.ok())
      return x.status();
    bool fp = isFloatReg(result);
    bool uns = result == DType::UInt8;
    LV *v = convert(x->v, x->dtype, result, false);
    for (unsigned i : clampBounds(op)) {
      const Attr *a = argFor(op, i);
      LV *bound = nullptr;
      if (a && a->kind() != Attr::Kind::None) {
        absl::StatusOr<RV> bv = operandValue(op, a, j, mask);
        if (!bv.ok())
          return bv.status();
        bound = convert(bv->v, bv->dtype, result, false);
      } else if (!a && defaultNumber(op, i)) {
        bound = vconst(result, *defaultNumber(op, i), static_cast<int64_t>(*defaultNumber(op, i)));
      } else {
        continue;
      }
      bool isMin = llvm::StringRef(op.schema()->arguments[i].name).starts_with("min");
      v = isMin ? clampTo(v, bound, true, fp, uns) : clampTo(v, bound, false, fp, uns);
    }
    return RV{v, result};
  }
  case ArgForm::Unary: {
    absl::StatusOr<RV> x = get(0);
    if (!x.ok())
      return x.status();
    LV *v = convert(x->v, x->dtype, result, false);
    bool fp = isFloatReg(result);
    LV *r = nullptr;
    switch (row->emitter) {
    case Emitter::Neg: r = fp ? b_.CreateFNeg(v) : b_.CreateNeg(v); break;
    case Emitter::Abs:
      r = fp ? call(llvm::Intrinsic::fabs, {v})
             : (result == DType::UInt8 ? v
                                       : b_.CreateIntrinsic(llvm::Intrinsic::abs, {v->getType()},
                                                            {v, b_.getFalse()}));
      break;
    case Emitter::Relu:
      r = clampTo(v, llvm::Constant::getNullValue(v->getType()), true, fp, result == DType::UInt8);
      break;
    case Emitter::Exp: r = expF32(v); break;
    case Emitter::Exp2: r = exp2F32(v); break;
    case Emitter::Expm1: r = expm1F32(v); break;
    case Emitter::Log: r = logF32(v, false); break;
    case Emitter::Log2: r = logF32(v, true); break;
    case Emitter::Log1p: r = log1pF32(v); break;
    case Emitter::Sin: r = sinCosF32(v, false); break;
    case Emitter::Cos: r = sinCosF32(v, true); break;
    case Emitter::Tan: r = b_.CreateFDiv(sinCosF32(v, false), sinCosF32(v, true)); break;
    case Emitter::Erf: r = erfF32(v); break;
    case Emitter::Gelu: {
      if (geluApproximate(op)) {
        // ATen: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
        LV *inner = b_.CreateFMul(fconst(0.7978845608028654),
                                  b_.CreateFAdd(v, b_.CreateFMul(fconst(0.044715),
                                                                 b_.CreateFMul(b_.CreateFMul(v, v), v))));
        r = b_.CreateFMul(b_.CreateFMul(fconst(0.5), v), b_.CreateFAdd(fconst(1.0), tanhF32(inner)));
      } else {
        // ATen: x 0.5 (1 + erf(x / sqrt 2)).
        r = b_.CreateFMul(b_.CreateFMul(v, fconst(0.5)),
                          b_.CreateFAdd(fconst(1.0), erfF32(b_.CreateFMul(v, fconst(0.7071067811865476)))));
      }
      break;
    }
    case Emitter::Tanh: r = tanhF32(v); break;
    case Emitter::Sigmoid:
      r = b_.CreateFDiv(fconst(1.0), b_.CreateFAdd(fconst(1.0), expF32(b_.CreateFNeg(v))));
      break;
    case Emitter::Silu:
      r = b_.CreateFDiv(v, b_.CreateFAdd(fconst(1.0), expF32(b_.CreateFNeg(v))));
      break;
    case Emitter::Sqrt: r = call(llvm::Intrinsic::sqrt, {v}); break;
    case Emitter::Rsqrt: {
      LV *one = llvm::ConstantFP::get(v->getType(), 1.0);
      r = b_.CreateFDiv(one, call(llvm::Intrinsic::sqrt, {v}));
      break;
    }
    case Emitter::Reciprocal:
      r = b_.CreateFDiv(llvm::ConstantFP::get(v->getType(), 1.0), v);
      break;
    case Emitter::LeakyRelu: {
      // ATen: x > 0 ? x : x * slope (NaN stays NaN).
      LV *zero = llvm::Constant::getNullValue(v->getType());
      LV *slope = llvm::ConstantFP::get(v->getType(), constantNumber(op, 1).value_or(0.0));
      r = b_.CreateSelect(b_.CreateFCmpOGT(v, zero), v, b_.CreateFMul(v, slope));
      break;
    }
    case Emitter::Floor: r = fp ? call(llvm::Intrinsic::floor, {v}) : v; break;
    case Emitter::Ceil: r = fp ? call(llvm::Intrinsic::ceil, {v}) : v; break;
    case Emitter::Trunc: r = fp ? call(llvm::Intrinsic::trunc, {v}) : v; break;
    case Emitter::Round: r = fp ? call(llvm::Intrinsic::roundeven, {v}) : v; break;
    case Emitter::Sign: {
      // ATen: (0 < x) - (x < 0); NaN and -0.0 give +0.
      LV *zero = llvm::Constant::getNullValue(v->getType());
      LV *pos = fp ? b_.CreateFCmpOGT(v, zero)
                   : (result == DType::UInt8 ? b_.CreateICmpUGT(v, zero) : b_.CreateICmpSGT(v, zero));
      LV *neg = fp ? b_.CreateFCmpOLT(v, zero)
                   : (result == DType::UInt8 ? b_.getFalse() : b_.CreateICmpSLT(v, zero));
      if (neg->getType() != pos->getType())
        neg = splat(neg);
      LV *one = fp ? llvm::ConstantFP::get(v->getType(), 1.0) : llvm::ConstantInt::get(v->getType(), 1);
      LV *minus = fp ? llvm::ConstantFP::get(v->getType(), -1.0)
                     : llvm::ConstantInt::get(v->getType(), static_cast<uint64_t>(-1), true);
      r = b_.CreateSelect(pos, one, b_.CreateSelect(neg, minus, zero));
      break;
    }
    case Emitter::BitNot: r = b_.CreateNot(v); break;
    case Emitter::LogicalNot: r = b_.CreateNot(v); break;
    default:
      return absl::InternalError("no unary emitter for " + op.name().str());
    }
    return RV{r, result};
  }
  case ArgForm::Binary:
  case ArgForm::Compare: {
    absl::StatusOr<RV> x = get(0), y = get(1);
    if (!x.ok() || !y.ok())
      return !x.ok() ? x.status() : y.status();
    DType compute = result;
    if (row->form == ArgForm::Compare) {
      // The common dtype of the operands, as the claim computed it on the partition's
      // op (kernel IR's elements are 0-dim: their promotion classes come from it).
      std::optional<DType> common = kernelIRResultType(op, {0, 1}, k_.rank);
      if (!common)
        return absl::InternalError("no common dtype");
      compute = *common;
    }
    LV *a = convert(x->v, x->dtype, compute, false);
    LV *bv = convert(y->v, y->dtype, compute, false);
    // f16/bf16: an operand of another dtype (a number, a 0-dim tensor) is rounded to
    // the dtype first where eager's kernels do (measured on torch 2.13: add, sub,
    // rsub, maximum, minimum, fmod, remainder, the comparisons; not mul, true div or
    // floor division, whose kernels read a scalar operand in f32: `x * 0.37` on
    // 200 x n bf16 and f16 tensors, n from 1 to 1,000, matches x.float() * 0.37
    // rounded once, never x * bf16(0.37); found by tests/python/test_scan_random.py,
    // where the carry compounds it). fxir-difftest seed 5 found the comparisons:
    // eq(2.5036 as a 0-dim f32, 2.5 in bf16) is true in eager.
    bool roundsOther = row->emitter == Emitter::Add || row->emitter == Emitter::Sub ||
                       row->emitter == Emitter::RSub || row->emitter == Emitter::Maximum ||
                       row->emitter == Emitter::Minimum || row->emitter == Emitter::Fmod ||
                       row->emitter == Emitter::Remainder || row->emitter == Emitter::Eq ||
                       row->emitter == Emitter::Ne || row->emitter == Emitter::Lt ||
                       row->emitter == Emitter::Le || row->emitter == Emitter::Gt ||
                       row->emitter == Emitter::Ge;
    if ((compute == DType::Float16 || compute == DType::BFloat16) && roundsOther) {
      if (x->dtype != compute)
        a = roundReduced(a, compute);
      if (y->dtype != compute)
        bv = roundReduced(bv, compute);
    } else {
      // Whatever the op, a dimensioned tensor of another dtype is cast to the common
      // f16/bf16 first (an i64 tensor's INT64_MIN compared with f16 -inf is equal).
      a = castLikeIterator(op, 0, a, x->dtype, compute);
      bv = castLikeIterator(op, 1, bv, y->dtype, compute);
    }
    bool fp = isFloatReg(compute);
    bool uns = compute == DType::UInt8 || compute == DType::Bool;
    LV *r = nullptr;
    switch (row->emitter) {
    case Emitter::Add: r = fp ? b_.CreateFAdd(a, bv) : b_.CreateAdd(a, bv); break;
    case Emitter::Sub: r = fp ? b_.CreateFSub(a, bv) : b_.CreateSub(a, bv); break;
    case Emitter::RSub: r = fp ? b_.CreateFSub(bv, a) : b_.CreateSub(bv, a); break;
    case Emitter::Mul: r = fp ? b_.CreateFMul(a, bv) : b_.CreateMul(a, bv); break;
    case Emitter::Div:
    case Emitter::FloorDivide:
    case Emitter::Fmod:
    case Emitter::Remainder:
      if (!fp) {
        r = intDivide(row->emitter, roundingMode(op), a, bv, uns, mask);
        break;
      }
      if (row->emitter == Emitter::FloorDivide) {
        r = floorDivide(a, bv);
        break;
      }
      if (row->emitter == Emitter::Fmod) {
        r = b_.CreateFRem(a, bv);
        break;
      }
      if (row->emitter == Emitter::Remainder) {
        // ATen: m = fmod(a, b); m != 0 && (b < 0) != (m < 0) ? m + b : m.
        LV *m = b_.CreateFRem(a, bv);
        LV *zero = llvm::Constant::getNullValue(m->getType());
        LV *fix = b_.CreateAnd(b_.CreateFCmpUNE(m, zero),
                               b_.CreateXor(b_.CreateFCmpOLT(bv, zero), b_.CreateFCmpOLT(m, zero)));
        r = b_.CreateSelect(fix, b_.CreateFAdd(m, bv), m);
        break;
      }
      {
      llvm::StringRef mode = roundingMode(op);
      LV *q = b_.CreateFDiv(a, bv);
      if (mode == "trunc" && (result == DType::Float16 || result == DType::BFloat16))
        q = roundReduced(q, result); // eager's vectorized f16/bf16 path rounds a / b first
      r = mode == "trunc" ? call(llvm::Intrinsic::trunc, {q}) : mode == "floor" ? floorDivide(a, bv) : q;
      break;
      }
    case Emitter::BitAnd: r = b_.CreateAnd(a, bv); break;
    case Emitter::BitOr: r = b_.CreateOr(a, bv); break;
    case Emitter::BitXor: r = b_.CreateXor(a, bv); break;
    case Emitter::Shl:
    case Emitter::Shr: {
      // ATen: a shift by a negative amount or by the bit width or more is 0, or the
      // sign fill for >> of a signed type (never LLVM's poison).
      unsigned bits = a->getType()->getScalarSizeInBits();
      LV *width = llvm::ConstantInt::get(bv->getType(), bits);
      LV *out = uns ? b_.CreateICmpUGE(bv, width)
                    : b_.CreateOr(b_.CreateICmpSLT(bv, llvm::Constant::getNullValue(bv->getType())),
                                  b_.CreateICmpSGE(bv, width));
      LV *safe = b_.CreateSelect(out, llvm::Constant::getNullValue(bv->getType()), bv);
      if (row->emitter == Emitter::Shl) {
        r = b_.CreateSelect(out, llvm::Constant::getNullValue(a->getType()), b_.CreateShl(a, safe));
      } else if (uns) {
        r = b_.CreateSelect(out, llvm::Constant::getNullValue(a->getType()), b_.CreateLShr(a, safe));
      } else {
        LV *fill = b_.CreateAShr(a, llvm::ConstantInt::get(a->getType(), bits - 1));
        r = b_.CreateSelect(out, fill, b_.CreateAShr(a, safe));
      }
      break;
    }
    case Emitter::LogicalAnd:
    case Emitter::LogicalOr:
    case Emitter::LogicalXor: {
      LV *pa = convert(a, compute, DType::Bool, false), *pb = convert(bv, compute, DType::Bool, false);
      r = row->emitter == Emitter::LogicalAnd ? b_.CreateAnd(pa, pb)
          : row->emitter == Emitter::LogicalOr ? b_.CreateOr(pa, pb)
                                               : b_.CreateXor(pa, pb);
      break;
    }
    case Emitter::PowScalar: {
      // ATen's special exponents (pow_tensor_scalar_optimized_kernel).
      double e = constantNumber(op, 1).value_or(0.0);
      LV *one = fp ? llvm::ConstantFP::get(a->getType(), 1.0) : nullptr;
      auto mul = [&](LV *x, LV *y) { return fp ? b_.CreateFMul(x, y) : b_.CreateMul(x, y); };
      if (e == 2.0) r = mul(a, a);
      else if (e == 3.0) r = mul(mul(a, a), a);
      else if (e == 0.5) r = call(llvm::Intrinsic::sqrt, {a});
      else if (e == -0.5) r = b_.CreateFDiv(one, call(llvm::Intrinsic::sqrt, {a}));
      else if (e == -1.0) r = b_.CreateFDiv(one, a);
      else if (e == -2.0) r = b_.CreateFDiv(one, b_.CreateFMul(a, a));
      else return absl::InternalError("pow with an exponent the generator does not take");
      break;
    }
    case Emitter::Maximum: r = maxOf(a, bv, fp, uns); break;
    case Emitter::Minimum: r = minOf(a, bv, fp, uns); break;
    case Emitter::Eq: case Emitter::Ne: case Emitter::Lt:
    case Emitter::Le: case Emitter::Gt: case Emitter::Ge:
      r = b_.CreateCmp(comparePredicate(row->emitter, fp, uns), a, bv);
      break;
    default:
      return absl::InternalError("no binary emitter for " + op.name().str());
    }
    return RV{r, result};
  }
  }
  return absl::InternalError("no emitter for " + op.name().str());
}

void KernelEmitter::emitBody(LV *j, LV *mask) {
  // The kir.tiles body: loads, element ops, stores, in order.
  env_.clear();
  stored_ = false;
  const Region &in = kir_.body();
  for (unsigned i = static_cast<unsigned>(k_.buffers.size()); i < in.numArgs(); ++i) {
    const Type *t = in.arg(i)->type();
    LV *slot = scalarSlots_[i - k_.buffers.size()];
    DType nd = numberDType(t); // the slot holds the number's 64 bits
    LV *sv = nd == DType::Float64 ? b_.CreateBitCast(slot, b_.getDoubleTy())
             : nd == DType::Bool  ? b_.CreateICmpNE(slot, b_.getInt64(0))
                                  : slot;
    env_[in.arg(i)] = RV{splat(sv), nd};
  }
  auto fail = [&](const Op &op, const absl::Status &st) {
    if (error_.empty())
      error_ = op.describe() + ": " + std::string(st.message());
  };
  for (const Op &op : tiles_->region(0).ops()) {
    if (op.isTerminator())
      return;
    if (op.name() == kKirCarried) {
      // Step 0 reads the init; later steps the carry buffer the last step stored.
      const Value *from = op.operandValue(initStep_ ? 0 : 1);
      if (from->argOwner() != &kir_.body() || from->index() >= k_.buffers.size()) {
        fail(op, absl::InternalError("reads no buffer of the kernel"));
        return;
      }
      unsigned buf = from->index();
      env_[op.result(0)] = RV{load(buf, k_.buffers[buf].inner, j, mask), op.result(0)->type()->dtype()};
      continue;
    }
    if (op.name() == kKirLoad) {
      absl::StatusOr<unsigned> buf = bufferOf(op);
      absl::StatusOr<Inner> inner = buf.ok() ? innerOf(op) : buf.status();
      if (!inner.ok()) {
        fail(op, inner.status());
        return;
      }
      env_[op.result(0)] = RV{load(*buf, *inner, j, mask), op.result(0)->type()->dtype()};
      continue;
    }
    if (op.name() == kKirStore) {
      absl::StatusOr<unsigned> buf = bufferOf(op);
      auto it = env_.find(op.operandValue(op.args()[2].value.index()));
      if (!buf.ok() || it == env_.end() || !k_.buffers[*buf].isResult) {
        fail(op, absl::InternalError("stores an undefined value or into a buffer that is not a result"));
        return;
      }
      if (absl::StatusOr<Inner> inner = innerOf(op); !inner.ok()) {
        fail(op, inner.status());
        return;
      }
      DType to = k_.buffers[*buf].dtype;
      LV *out = convert(it->second.v, it->second.dtype, to, false);
      if (inject_ == "miscompile" && !stored_) // a wrong result --check-kernels must catch
        out = out->getType()->isFPOrFPVectorTy()
                  ? b_.CreateFAdd(out, llvm::ConstantFP::get(out->getType(), 1.0))
                  : b_.CreateXor(out, llvm::ConstantInt::get(out->getType(), 1));
      stored_ = true;
      store(*buf, j, mask, out);
      continue;
    }
    absl::StatusOr<RV> v = emitOp(op, j, mask);
    if (!v.ok()) {
      fail(op, v.status());
      env_[op.result(0)] = RV{llvm::PoisonValue::get(vec(scalarType(c_, op.result(0)->type()->dtype()))),
                              op.result(0)->type()->dtype()};
      continue;
    }
    DType rd = op.result(0)->type()->dtype();
    if (roundEach_ && (rd == DType::Float16 || rd == DType::BFloat16))
      v->v = roundReduced(v->v, rd);
    env_[op.result(0)] = *v;
  }
}

void KernelEmitter::emitInner(LV *jb, LV *je) {
  // [jb, je): whole vectors from jb (a multiple of W), then a masked remainder.
  LV *len = b_.CreateSub(je, jb);
  LV *full = b_.CreateSub(je, b_.CreateSRem(len, b_.getInt64(w_)));
  llvm::BasicBlock *pre = b_.GetInsertBlock();
  llvm::BasicBlock *head = llvm::BasicBlock::Create(c_, "vec", fn_);
  llvm::BasicBlock *bodyBB = llvm::BasicBlock::Create(c_, "vec.body", fn_);
  llvm::BasicBlock *tailCheck = llvm::BasicBlock::Create(c_, "tail.check", fn_);
  llvm::BasicBlock *tail = llvm::BasicBlock::Create(c_, "tail", fn_);
  llvm::BasicBlock *done = llvm::BasicBlock::Create(c_, "inner.done", fn_);
  b_.CreateBr(head);
  b_.SetInsertPoint(head);
  llvm::PHINode *j = b_.CreatePHI(i64(), 2, "j");
  j->addIncoming(jb, pre);
  b_.CreateCondBr(b_.CreateICmpSLT(j, full), bodyBB, tailCheck);
  b_.SetInsertPoint(bodyBB);
  emitBody(j, nullptr);
  j->addIncoming(b_.CreateAdd(j, b_.getInt64(w_)), b_.GetInsertBlock());
  b_.CreateBr(head);
  b_.SetInsertPoint(tailCheck);
  b_.CreateCondBr(b_.CreateICmpSLT(full, je), tail, done);
  b_.SetInsertPoint(tail);
  LV *idx = b_.CreateAdd(splat(full), laneIota());
  LV *mask = b_.CreateICmpSLT(idx, splat(je));
  emitBody(full, mask);
  b_.CreateBr(done);
  b_.SetInsertPoint(done);
}

void KernelEmitter::emitTiles() {
  // fxir_kN.tiles(ctx, tb, te, chunk, cpr): tiles [tb, te) of the iteration space.
  // Tile t is row t / cpr (a multi-index over the outer dims) and the inner range
  // [c * chunk, min(n, (c + 1) * chunk)) with c = t % cpr. The row's multi-index is
  // unravelled once, then advanced as an odometer, branch-free.
  llvm::Type *ptr = b_.getPtrTy();
  auto *fty = llvm::FunctionType::get(b_.getInt32Ty(), {ptr, i64(), i64(), i64(), i64()}, false);
  fn_ = llvm::Function::Create(fty, llvm::Function::InternalLinkage, name_ + ".tiles", m_);
  fn_->addFnAttr(llvm::Attribute::NoUnwind);
  fn_->addParamAttr(0, llvm::Attribute::NoCapture);
  fn_->addParamAttr(0, llvm::Attribute::ReadOnly);
  llvm::BasicBlock *entry = llvm::BasicBlock::Create(c_, "entry", fn_);
  b_.SetInsertPoint(entry);
  LV *ctx = fn_->getArg(0), *tb = fn_->getArg(1), *te = fn_->getArg(2), *chunk = fn_->getArg(3),
     *cpr = fn_->getArg(4);
  auto field = [&](unsigned i, const char *name) -> LV * {
    return b_.CreateAlignedLoad(ptr, b_.CreateConstGEP1_64(ptr, ctx, i), llvm::Align(8), name);
  };
  LV *bufs = field(0, "bufs"), *sizes = field(1, "sizes"), *strides = field(2, "strides"),
     *scalars = field(3, "scalars");
  // The kernel's error flags (kErrorIntegerDivisionByZero), or-ed over every vector.
  errors_ = b_.CreateAlloca(b_.getInt32Ty(), nullptr, "errors");
  b_.CreateStore(b_.getInt32(0), errors_);
  unsigned R = k_.rank;
  // The iteration space: kir.tiles' sizes, each a kir.size (from the sizes argument)
  // or a constant; a native loop's steps (steps=%n) apart.
  LV *steps = nullptr;
  llvm::SmallVector<const Value *, 6> tileSizes;
  for (const Arg &a : tiles_->args()) {
    if (a.value.kind() == Attr::Kind::List)
      for (const Attr &e : a.value.listValue())
        tileSizes.push_back(tiles_->operandValue(e.index()));
    if (a.name == "steps" && a.value.kind() == Attr::Kind::Operand) {
      const Op *def = tiles_->operandValue(a.value.index())->definingOp();
      if (def && def->name() == kKirSize && def->args()[0].value.intValue() == 0 && lead_ == 1)
        steps = b_.CreateAlignedLoad(i64(), sizes, llvm::Align(8), "steps");
      else if (error_.empty())
        error_ = tiles_->describe() + ": its steps are not kir.size(0) of a native loop";
    }
  }
  if (lead_ && !steps && error_.empty())
    error_ = tiles_->describe() + ": a native loop's tiles have no steps";
  for (unsigned d = 0; d < tileSizes.size(); ++d) {
    const Op *def = tileSizes[d]->definingOp();
    if (def && def->name() == kKirSize && def->args()[0].value.intValue() < R)
      sizes_.push_back(b_.CreateAlignedLoad(
          i64(), b_.CreateConstGEP1_64(i64(), sizes, def->args()[0].value.intValue()),
          llvm::Align(8), "size" + std::to_string(d)));
    else if (def && def->is(FxirOp::Constant) && def->args()[0].value.kind() == Attr::Kind::Int)
      sizes_.push_back(b_.getInt64(def->args()[0].value.intValue()));
    else if (error_.empty())
      error_ = tiles_->describe() + ": size " + std::to_string(d) +
               " is neither a kir.size of the kernel nor a constant";
  }
  unsigned tileRank = rank() - lead_;
  if (sizes_.size() != tileRank && error_.empty())
    error_ = tiles_->describe() + ": " + std::to_string(sizes_.size()) +
             " sizes for an iteration space of rank " + std::to_string(tileRank);
  while (sizes_.size() < tileRank)
    sizes_.push_back(b_.getInt64(1));
  for (unsigned bi = 0; bi < k_.buffers.size(); ++bi) {
    base_.push_back(b_.CreateAlignedLoad(ptr, b_.CreateConstGEP1_64(ptr, bufs, bi), llvm::Align(8),
                                         "buf" + std::to_string(bi)));
    std::vector<LV *> s;
    for (unsigned d = 0; d < rank(); ++d)
      s.push_back(R ? (LV *)b_.CreateAlignedLoad(
                          i64(), b_.CreateConstGEP1_64(i64(), strides, bi * R + d), llvm::Align(8))
                    : (LV *)b_.getInt64(0));
    strides_.push_back(std::move(s));
  }
  for (unsigned s = 0; s < k_.scalarOperands.size(); ++s)
    scalarSlots_.push_back(b_.CreateAlignedLoad(i64(), b_.CreateConstGEP1_64(i64(), scalars, s),
                                                llvm::Align(8)));
  unsigned outer = tileRank - 1;
  LV *n = sizes_[outer];
  // The first tile's row, unravelled (last outer dim fastest).
  LV *row = b_.CreateUDiv(tb, cpr);
  LV *c0 = b_.CreateURem(tb, cpr);
  std::vector<LV *> idx0(outer);
  for (int d = static_cast<int>(outer) - 1; d >= 0; --d) {
    idx0[d] = b_.CreateURem(row, sizes_[d]);
    row = b_.CreateUDiv(row, sizes_[d]);
  }
  llvm::BasicBlock *pre = b_.GetInsertBlock();
  llvm::BasicBlock *head = llvm::BasicBlock::Create(c_, "tile", fn_);
  llvm::BasicBlock *bodyBB = llvm::BasicBlock::Create(c_, "tile.body", fn_);
  llvm::BasicBlock *exit = llvm::BasicBlock::Create(c_, "tile.exit", fn_);
  b_.CreateBr(head);
  b_.SetInsertPoint(head);
  llvm::PHINode *t = b_.CreatePHI(i64(), 2, "t");
  llvm::PHINode *c = b_.CreatePHI(i64(), 2, "c");
  std::vector<llvm::PHINode *> idx(outer);
  t->addIncoming(tb, pre);
  c->addIncoming(c0, pre);
  for (unsigned d = 0; d < outer; ++d) {
    idx[d] = b_.CreatePHI(i64(), 2, "i" + std::to_string(d));
    idx[d]->addIncoming(idx0[d], pre);
  }
  b_.CreateCondBr(b_.CreateICmpULT(t, te), bodyBB, exit);
  b_.SetInsertPoint(bodyBB);
  offset_.assign(k_.buffers.size(), b_.getInt64(0));
  for (size_t bi = 0; bi < offset_.size(); ++bi)
    for (unsigned d = 0; d < outer; ++d)
      offset_[bi] = b_.CreateAdd(offset_[bi], b_.CreateMul(idx[d], strides_[bi][d + lead_]));
  LV *jb = b_.CreateMul(c, chunk);
  LV *jEnd = b_.CreateAdd(jb, chunk);
  LV *je = b_.CreateSelect(b_.CreateICmpSLT(jEnd, n), jEnd, n);
  if (!steps) {
    emitInner(jb, je);
  } else {
    // The steps in order over this tile: step 0 (carried values read from their
    // inits), then steps 1... (read from the carry buffers step t - 1 stored). Every
    // buffer moves by its dim-0 stride a step (0 for all but Steps and Stacked).
    std::vector<LV *> rowOffset = offset_;
    initStep_ = true;
    emitInner(jb, je);
    initStep_ = false;
    llvm::BasicBlock *pre = b_.GetInsertBlock();
    llvm::BasicBlock *head = llvm::BasicBlock::Create(c_, "step", fn_);
    llvm::BasicBlock *stepBody = llvm::BasicBlock::Create(c_, "step.body", fn_);
    llvm::BasicBlock *stepDone = llvm::BasicBlock::Create(c_, "step.done", fn_);
    b_.CreateBr(head);
    b_.SetInsertPoint(head);
    llvm::PHINode *st = b_.CreatePHI(i64(), 2, "s");
    st->addIncoming(b_.getInt64(1), pre);
    b_.CreateCondBr(b_.CreateICmpSLT(st, steps), stepBody, stepDone);
    b_.SetInsertPoint(stepBody);
    for (size_t bi = 0; bi < offset_.size(); ++bi)
      offset_[bi] = b_.CreateAdd(rowOffset[bi], b_.CreateMul(st, strides_[bi][0]));
    emitInner(jb, je);
    st->addIncoming(b_.CreateAdd(st, b_.getInt64(1)), b_.GetInsertBlock());
    b_.CreateBr(head);
    b_.SetInsertPoint(stepDone);
    offset_ = rowOffset;
  }
  // Next tile: the chunk, then the row's odometer when the chunk wraps.
  LV *c1 = b_.CreateAdd(c, b_.getInt64(1));
  LV *carry = b_.CreateICmpEQ(c1, cpr);
  LV *cNext = b_.CreateSelect(carry, b_.getInt64(0), c1);
  std::vector<LV *> idxNext(outer);
  for (int d = static_cast<int>(outer) - 1; d >= 0; --d) {
    LV *bumped = b_.CreateAdd(idx[d], b_.CreateZExt(carry, i64()));
    LV *wrap = b_.CreateICmpEQ(bumped, sizes_[d]);
    idxNext[d] = b_.CreateSelect(wrap, b_.getInt64(0), bumped);
    carry = wrap;
  }
  llvm::BasicBlock *latch = b_.GetInsertBlock();
  t->addIncoming(b_.CreateAdd(t, b_.getInt64(1)), latch);
  c->addIncoming(cNext, latch);
  for (unsigned d = 0; d < outer; ++d)
    idx[d]->addIncoming(idxNext[d], latch);
  b_.CreateBr(head);
  b_.SetInsertPoint(exit);
  b_.CreateRet(b_.CreateLoad(b_.getInt32Ty(), errors_));
}

absl::Status KernelEmitter::emit(llvm::Function *&out) {
  if (absl::Status st = verifyKernelIR(kir_, /*scheduled=*/true); !st.ok())
    return st;
  for (const Op &op : kir_.body().ops())
    if (op.name() == kKirTiles)
      tiles_ = &op;
  int64_t lanes = 0;
  for (const Arg &a : tiles_->args())
    if (a.name == "vector")
      lanes = a.value.intValue();
  if (lanes != w_)
    return absl::InternalError(tiles_->describe() + ": scheduled for " + std::to_string(lanes) +
                               " lanes, emitted for " + std::to_string(w_));
  if (kir_.body().numArgs() != k_.buffers.size() + k_.scalarOperands.size())
    return absl::InternalError("the kernel IR's inputs are not the kernel's buffers and numbers");
  lead_ = k_.loop ? 1 : 0;
  if (lead_ && k_.rank < 2)
    return absl::InternalError("a native loop's iteration space has rank " + std::to_string(k_.rank));
  emitTiles();
  llvm::Function *tiles = fn_;
  if (!error_.empty())
    return absl::InternalError(error_);
  // The entry point (the ABI in Cpu.h): packs its arguments for the tiles and hands
  // the iteration space to the runtime's parallel helper, which splits it or not.
  llvm::Type *ptr = b_.getPtrTy();
  auto *fty = llvm::FunctionType::get(b_.getInt32Ty(), {ptr, ptr, ptr, ptr, i64()}, false);
  llvm::Function *fn = llvm::Function::Create(fty, llvm::Function::ExternalLinkage, name_, m_);
  fn->addFnAttr(llvm::Attribute::NoUnwind);
  for (unsigned a = 0; a < 4; ++a) {
    fn->addParamAttr(a, llvm::Attribute::NoCapture);
    fn->addParamAttr(a, llvm::Attribute::ReadOnly);
  }
  b_.SetInsertPoint(llvm::BasicBlock::Create(c_, "entry", fn));
  LV *ctx = b_.CreateAlloca(llvm::ArrayType::get(ptr, 4), nullptr, "ctx");
  for (unsigned a = 0; a < 4; ++a)
    b_.CreateAlignedStore(fn->getArg(a), b_.CreateConstGEP1_64(ptr, ctx, a), llvm::Align(8));
  LV *rows = b_.getInt64(1), *n = b_.getInt64(1), *steps = b_.getInt64(1);
  for (unsigned d = 0; d < k_.rank; ++d) {
    LV *s = b_.CreateAlignedLoad(i64(), b_.CreateConstGEP1_64(i64(), fn->getArg(1), d),
                                 llvm::Align(8));
    if (d < lead_)
      steps = s;
    else if (d + 1 < k_.rank)
      rows = b_.CreateMul(rows, s);
    else
      n = s;
  }
  auto *helperTy = llvm::FunctionType::get(b_.getInt32Ty(),
                                           {ptr, ptr, i64(), i64(), i64(), i64(), i64()}, false);
  llvm::FunctionCallee helper = m_.getOrInsertFunction(kParallelHelperSymbol, helperTy);
  LV *status =
      b_.CreateCall(helper, {tiles, ctx, rows, n, b_.getInt64(w_), fn->getArg(4), steps});
  if (inject_ == "jit") // a symbol no table defines: the JIT's link fails
    b_.CreateCall(m_.getOrInsertFunction("fxir_injected_missing_symbol",
                                         llvm::FunctionType::get(b_.getVoidTy(), false)));
  b_.CreateRet(status);
  if (inject_ == "verifier") // a second terminator: the verifier rejects the block
    b_.CreateRet(status);
  std::string msg;
  llvm::raw_string_ostream os(msg);
  if (llvm::verifyFunction(*tiles, &os) || llvm::verifyFunction(*fn, &os))
    return absl::InternalError("the LLVM verifier rejects the kernel: " + os.str());
  out = fn;
  return absl::OkStatus();
}

} // namespace

unsigned lanesFor(int64_t vectorBits) {
  return static_cast<unsigned>(std::max<int64_t>(vectorBits / 32, 1));
}

absl::Status emitKernel(llvm::Module &m, const KernelSpec &k, const Graph &kir,
                        llvm::StringRef name, int64_t vectorBits, bool emulateEagerRounding,
                        llvm::StringRef injectFailure) {
  KernelEmitter e(m, k, kir, name, lanesFor(vectorBits), emulateEagerRounding, injectFailure);
  llvm::Function *f = nullptr;
  absl::Status st = e.emit(f);
  if (!st.ok())
    return absl::InvalidArgumentError("cpu: kernel " + k.symbol + " does not compile: " +
                                      std::string(st.message()) + "\n  it fuses:\n" + k.sources);
  return absl::OkStatus();
}

} // namespace fxir::cpu
