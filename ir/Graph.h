//===- Graph.h - values, ops, regions and graphs --------------------------------===//
//
// fxir's program structure, after MLIR's: SSA values with use lists, one generic Op
// class, regions holding ordered ops, and a Graph whose body region takes the program
// inputs and ends in `fxir.yield` of its outputs.
//
//  - An Op has a name (`aten.index_put_.default`, `higher_order.scan`, `fxir.yield`),
//    SSA operands, typed results, Args, regions and a Provenance (never null).
//  - Args are the op's call arguments in order, as the FX node had them: positional
//    ones without a name, keyword ones named. An Arg is a constant (int, float, bool,
//    str, none, dtype, device, layout, memory format, a list of those) or a reference
//    to one of the op's operands or regions. So `x[..., idx] = y` keeps its shape:
//      aten.index_put_.default(%x, [none, none, %idx], %y)
//    with operands (%x, %idx, %y) and the list arg referring to operand 1.
//  - Operands and results are fixed when the op is created: passes that change an op's
//    shape build a new op (see Builder.h), which is what keeps provenance honest.
//
// Does not: know what ops mean (OpSchema.h does for ATen, FxirOps.def for fxir's own),
// verify (Verifier.h), print or parse (TextFormat.h).
//===----------------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "fxir/ir/Context.h"
#include "fxir/ir/DType.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/simple_ilist.h"

namespace fxir {

class Graph;
class Op;
class Region;
class Value;

//===----------------------------------------------------------------------------===//
// Attr and Arg: an op's call arguments
//===----------------------------------------------------------------------------===//

/// 16 bytes: a kind and one payload (number, interned string, arena list or index).
class Attr {
public:
  enum class Kind : uint8_t {
    None, Int, Float, Bool, Str, DType, Device, Layout, MemoryFormat, List,
    Operand, ///< refers to the op's operand #index
    Region,  ///< refers to the op's region #index
  };

  Attr() : kind_(Kind::None) { i_ = 0; }
  static Attr none() { return Attr(); }
  static Attr integer(int64_t v) { Attr a(Kind::Int); a.i_ = v; return a; }
  static Attr floating(double v) { Attr a(Kind::Float); a.f_ = v; return a; }
  static Attr boolean(bool v) { Attr a(Kind::Bool); a.i_ = v; return a; }
  /// `s` must be interned in the graph's Context (Context::intern).
  static Attr string(llvm::StringRef s) { return withString(Kind::Str, s); }
  static Attr dtype(DType t) { Attr a(Kind::DType); a.i_ = static_cast<int64_t>(t); return a; }
  static Attr device(llvm::StringRef interned) { return withString(Kind::Device, interned); }
  /// `strided`, `sparse_coo`, ... (see isLayoutName).
  static Attr layout(llvm::StringRef interned) { return withString(Kind::Layout, interned); }
  /// `contiguous_format`, `preserve_format`, `channels_last`, `channels_last_3d`.
  static Attr memoryFormat(llvm::StringRef interned) {
    return withString(Kind::MemoryFormat, interned);
  }
  /// `elems` must live in the graph's Context (Context::copy).
  static Attr list(llvm::ArrayRef<Attr> elems) {
    Attr a(Kind::List);
    a.list_ = elems.data();
    a.len_ = static_cast<uint32_t>(elems.size());
    return a;
  }
  static Attr operand(unsigned index) { Attr a(Kind::Operand); a.i_ = index; return a; }
  static Attr region(unsigned index) { Attr a(Kind::Region); a.i_ = index; return a; }

  Kind kind() const { return kind_; }
  int64_t intValue() const { return i_; }
  double floatValue() const { return f_; }
  bool boolValue() const { return i_ != 0; }
  llvm::StringRef stringValue() const { return llvm::StringRef(s_, len_); }
  DType dtypeValue() const { return static_cast<DType>(i_); }
  llvm::ArrayRef<Attr> listValue() const { return llvm::ArrayRef<Attr>(list_, len_); }
  unsigned index() const { return static_cast<unsigned>(i_); }

  static bool isLayoutName(llvm::StringRef s);
  static bool isMemoryFormatName(llvm::StringRef s);

private:
  explicit Attr(Kind k) : kind_(k) { i_ = 0; }
  static Attr withString(Kind k, llvm::StringRef s) {
    Attr a(k);
    a.s_ = s.data();
    a.len_ = static_cast<uint32_t>(s.size());
    return a;
  }
  Kind kind_;
  uint32_t len_ = 0; ///< string length or list size
  union {
    int64_t i_;
    double f_;
    const char *s_;
    const Attr *list_;
  };
};

/// Deep equality (lists element-wise; floats compared bit for bit, so nan == nan and
/// 0.0 != -0.0) and a matching hash, for cse and other maps keyed by args.
bool operator==(const Attr &a, const Attr &b);
inline bool operator!=(const Attr &a, const Attr &b) { return !(a == b); }
size_t hashAttr(const Attr &a);

/// One call argument: positional (empty name) or keyword.
struct Arg {
  llvm::StringRef name;
  Attr value;
};

//===----------------------------------------------------------------------------===//
// Values and uses
//===----------------------------------------------------------------------------===//

/// One use of a value: operand #index of `owner`.
class OpOperand {
public:
  Value *get() const { return value_; }
  Op *owner() const { return owner_; }
  unsigned index() const { return index_; }
  OpOperand *nextUse() const { return next_; }
  /// Points the operand at `v` (may be null), keeping both use lists right.
  void set(Value *v);

private:
  friend class Op;
  friend class Value;
  void unlink();
  Value *value_ = nullptr;
  OpOperand *next_ = nullptr;
  OpOperand **prevNext_ = nullptr;
  Op *owner_ = nullptr;
  unsigned index_ = 0;
};

class Value {
public:
  Value() = default;
  Value(const Value &) = delete;
  Value &operator=(const Value &) = delete;
  /// Detaches any remaining uses, so tearing down invalid IR (a use that escaped its
  /// region) in any order never leaves an operand pointing at freed memory.
  ~Value();

  const Type *type() const { return type_; }
  void setType(const Type *t) { type_ = t; }
  /// Name hint (FX node name), used by the printer; may be empty.
  llvm::StringRef name() const { return name_.str(); }
  Name nameRef() const { return name_; }
  void setName(Name n) { name_ = n; }

  /// The op this value is a result of, or null for a region argument.
  Op *definingOp() const { return defOp_; }
  /// The region this value is an argument of, or null for an op result.
  Region *argOwner() const { return argOwner_; }
  /// Result index or argument index.
  unsigned index() const { return index_; }
  /// The region the value is defined in (the op's region, or the argument's region).
  Region *parentRegion() const;

  bool useEmpty() const { return firstUse_ == nullptr; }
  unsigned numUses() const;
  OpOperand *firstUse() const { return firstUse_; }
  /// Every use of this value now uses `other` instead.
  void replaceAllUsesWith(Value *other);


private:
  friend class OpOperand;
  friend class Op;
  friend class Region;
  const Type *type_ = nullptr;
  Name name_;
  OpOperand *firstUse_ = nullptr;
  Op *defOp_ = nullptr;
  Region *argOwner_ = nullptr;
  unsigned index_ = 0;
};

//===----------------------------------------------------------------------------===//
// Ops and regions
//===----------------------------------------------------------------------------===//

/// Values of an original mapped to values of its copy (Op::clone).
using ValueMap = llvm::DenseMap<const Value *, Value *>;

class Op : public llvm::ilist_node<Op> {
public:
  /// Creates a detached op (use Builder). Args are deep-copied into `ctx` (names and
  /// strings interned, lists copied); `prov` must not be null.
  static Op *create(Context &ctx, llvm::StringRef name, llvm::ArrayRef<Value *> operands,
                    llvm::ArrayRef<Arg> args, llvm::ArrayRef<const Type *> resultTypes,
                    unsigned numRegions, const Provenance *prov);
  Op(const Op &) = delete;
  Op &operator=(const Op &) = delete;

  llvm::StringRef name() const { return name_; }
  /// What the op is (OpInfo.h), resolved from its name when it was created.
  const OpInfo &info() const { return *info_; }
  /// Whether it is fxir's own op `which`.
  bool is(FxirOp which) const { return info_->fxir == which; }
  /// Its schema, for dispatcher ops (ATen, ...) of the schema table; else null.
  const OpSchema *schema() const { return info_->schema; }

  unsigned numOperands() const { return numOperands_; }
  OpOperand &operand(unsigned i) { return operands_[i]; }
  const OpOperand &operand(unsigned i) const { return operands_[i]; }
  Value *operandValue(unsigned i) const { return operands_[i].get(); }

  unsigned numResults() const { return numResults_; }
  Value *result(unsigned i) const { return &results_[i]; }

  llvm::ArrayRef<Arg> args() const { return args_; }

  unsigned numRegions() const { return static_cast<unsigned>(regions_.size()); }
  Region &region(unsigned i) const { return *regions_[i]; }

  const Provenance *provenance() const { return prov_; }
  /// For messages: `aten.add_.Scalar (node add, model.py:12)`, with `: <code line>`
  /// after the location when `withCode` and the source line's text is known.
  std::string describe(bool withCode = false) const;
  /// Increases with every op created in the process: "was this op made after X?"
  /// without comparing addresses (a freed op's address can be reused).
  uint64_t serial() const { return serial_; }
  /// The serial the next op will get.
  static uint64_t nextSerial();
  /// `p` must not be null.
  void setProvenance(const Provenance *p);

  Region *parentRegion() const { return parent_; }
  /// The op whose region holds this op, or null at graph level.
  Op *parentOp() const;

  bool isTerminator() const { return info_->terminator; }

  /// A detached copy: same name, args, result types, name hints and provenance, in the
  /// same Context. Operands are mapped through `map` (a value not in it is used as it
  /// is); regions are copied with their arguments and ops, and every result and region
  /// value of the copy is added to `map`. (A pass recording its own history uses
  /// Rewriter::clone.)
  Op *clone(ValueMap &map) const;

  /// Unlinks from the parent region, drops the operands' uses and deletes the op and
  /// its regions. Every result must be unused.
  void erase();
  /// Drops this op's and its nested ops' operand uses (before deleting a subtree).
  void dropAllReferences();

  /// Calls `f` on this op and every op nested in its regions, in order (pre-order).
  void walk(const std::function<void(Op &)> &f);

private:
  friend class Region;
  // One allocation holds the op, then its operands, then its results: fewer heap
  // objects per op and ops that sit next to each other in memory when built in order.
  Op() = default;
  ~Op();
  /// Destroys and frees a detached op (its results must be unused).
  void destroy();
  llvm::StringRef name_;
  const OpInfo *info_ = nullptr;
  OpOperand *operands_ = nullptr;
  Value *results_ = nullptr;
  unsigned numOperands_ = 0, numResults_ = 0;
  llvm::ArrayRef<Arg> args_;
  std::vector<std::unique_ptr<Region>> regions_;
  const Provenance *prov_ = nullptr;
  Region *parent_ = nullptr;
  uint64_t serial_ = 0;
  Context *ctx_ = nullptr; // owns this op's memory (Context::allocateOpMemory)
  uint32_t bytes_ = 0;     // the size of that block
};

/// An ordered list of ops with typed arguments. Nested regions may use values defined
/// in enclosing regions before their op (implicit capture, as in MLIR).
class Region {
public:
  using OpList = llvm::simple_ilist<Op>;
  explicit Region(Op *parentOp) : parentOp_(parentOp) {}
  ~Region();
  Region(const Region &) = delete;
  Region &operator=(const Region &) = delete;

  Op *parentOp() const { return parentOp_; }
  OpList &ops() { return ops_; }
  const OpList &ops() const { return ops_; }
  bool empty() const { return ops_.empty(); }

  unsigned numArgs() const { return static_cast<unsigned>(args_.size()); }
  Value *arg(unsigned i) const { return args_[i].get(); }
  Value *addArg(const Type *type, Name name = {});

  /// Inserts `op` (detached) before `before` (end() appends).
  void insert(OpList::iterator before, Op *op);
  void push_back(Op *op) { insert(ops_.end(), op); }
  /// Detaches `op` without deleting it.
  void remove(Op *op);

  /// The last op if it is a terminator, else null.
  Op *terminator();
  /// Whether this region is `other` or encloses it.
  bool isAncestorOf(const Region *other) const;
  /// The op of this region that holds `op`: `op` itself when it is in this region,
  /// else the op whose regions nest it; null when `op` is not inside this region.
  Op *ancestorOpIn(Op *op) const;
  const Op *ancestorOpIn(const Op *op) const {
    return ancestorOpIn(const_cast<Op *>(op));
  }

private:
  OpList ops_;
  std::vector<std::unique_ptr<Value>> args_;
  Op *parentOp_;
};

//===----------------------------------------------------------------------------===//
// Graph and its signature
//===----------------------------------------------------------------------------===//

/// What one graph input is, as torch.export's graph signature says.
struct InputSpec {
  enum class Kind : uint8_t {
    UserInput, Parameter, Buffer, TensorConstant, CustomObj, Token, ConstantInput,
  };
  Kind kind = Kind::UserInput;
  llvm::StringRef target; ///< FQN for parameters, buffers, constants; else empty
  bool persistent = true; ///< buffers only
  /// ConstantInput only: the value export specialized the input to (`scale=0.5`).
  std::optional<Attr> value;
  /// TensorConstant only: the FQN of a buffer or parameter whose stored tensor is this
  /// constant's (same storage, offset, sizes and strides; see sharesAt for a part of
  /// one): what non-strict export makes
  /// of a buffer reached through a plain attribute (a lifted constant). A write to the
  /// constant is a write to it. Printed `shares "fqn"`.
  llvm::StringRef shares;
  /// With `shares`: the constant is a part of that tensor, not all of it, namely
  /// `as_strided(shares, its type's sizes, its type's strides, *sharesAt)` (the shared
  /// tensor is contiguous from storage offset 0). Printed `shares "fqn" at N`.
  std::optional<int64_t> sharesAt;
};

/// What one graph output is.
struct OutputSpec {
  enum class Kind : uint8_t {
    UserOutput, LossOutput, BufferMutation, UserInputMutation, ParameterMutation,
    GradientToParameter, GradientToUserInput, Token,
  };
  Kind kind = Kind::UserOutput;
  llvm::StringRef target; ///< FQN / input name for mutations and gradients
};

llvm::StringRef inputKindName(InputSpec::Kind k);
llvm::StringRef outputKindName(OutputSpec::Kind k);

class Graph {
public:
  Graph(Context &ctx, llvm::StringRef name);
  ~Graph();

  Context &context() const { return ctx_; }
  llvm::StringRef name() const { return name_; }
  /// Arguments are the graph inputs; the final `fxir.yield` gives the outputs.
  Region &body() const { return *body_; }
  std::vector<InputSpec> &inputSpecs() { return inputs_; }
  const std::vector<InputSpec> &inputSpecs() const { return inputs_; }
  std::vector<OutputSpec> &outputSpecs() { return outputs_; }
  const std::vector<OutputSpec> &outputSpecs() const { return outputs_; }

  /// Every op, nested ones included, in order.
  void walk(const std::function<void(Op &)> &f) const;
  /// Number of ops, nested ones included.
  size_t numOps() const;

private:
  Context &ctx_;
  llvm::StringRef name_;
  std::unique_ptr<Region> body_;
  std::vector<InputSpec> inputs_;
  std::vector<OutputSpec> outputs_;
};

} // namespace fxir
