//===- Graph.cpp - use lists, op lifetime, regions -------------------------------===//
#include "fxir/ir/Graph.h"

#include <atomic>
#include <cstring>

#include "llvm/ADT/Hashing.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/ErrorHandling.h"

namespace fxir {

bool Attr::isLayoutName(llvm::StringRef s) {
  return llvm::is_contained({"strided", "sparse_coo", "sparse_csr", "sparse_csc",
                             "sparse_bsr", "sparse_bsc", "_mkldnn", "jagged"},
                            s);
}

bool Attr::isMemoryFormatName(llvm::StringRef s) {
  return llvm::is_contained(
      {"contiguous_format", "preserve_format", "channels_last", "channels_last_3d"}, s);
}

bool operator==(const Attr &a, const Attr &b) {
  if (a.kind() != b.kind())
    return false;
  switch (a.kind()) {
  case Attr::Kind::None: return true;
  case Attr::Kind::Float: {
    double x = a.floatValue(), y = b.floatValue();
    return std::memcmp(&x, &y, sizeof x) == 0;
  }
  case Attr::Kind::Str:
  case Attr::Kind::Device:
  case Attr::Kind::Layout:
  case Attr::Kind::MemoryFormat: return a.stringValue() == b.stringValue();
  case Attr::Kind::List: {
    llvm::ArrayRef<Attr> x = a.listValue(), y = b.listValue();
    if (x.size() != y.size())
      return false;
    for (size_t i = 0; i < x.size(); ++i)
      if (x[i] != y[i])
        return false;
    return true;
  }
  default: return a.intValue() == b.intValue();
  }
}

size_t hashAttr(const Attr &a) {
  switch (a.kind()) {
  case Attr::Kind::None: return llvm::hash_value(0);
  case Attr::Kind::Float: {
    double x = a.floatValue();
    uint64_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    return llvm::hash_combine(static_cast<int>(a.kind()), bits);
  }
  case Attr::Kind::Str:
  case Attr::Kind::Device:
  case Attr::Kind::Layout:
  case Attr::Kind::MemoryFormat:
    return llvm::hash_combine(static_cast<int>(a.kind()), a.stringValue());
  case Attr::Kind::List: {
    llvm::hash_code h = llvm::hash_value(static_cast<int>(a.kind()));
    for (const Attr &e : a.listValue())
      h = llvm::hash_combine(h, hashAttr(e));
    return h;
  }
  default: return llvm::hash_combine(static_cast<int>(a.kind()), a.intValue());
  }
}

//===----------------------------------------------------------------------------===//
// Uses
//===----------------------------------------------------------------------------===//

void OpOperand::unlink() {
  if (!value_)
    return;
  *prevNext_ = next_;
  if (next_)
    next_->prevNext_ = prevNext_;
  value_ = nullptr;
  next_ = nullptr;
  prevNext_ = nullptr;
}

void OpOperand::set(Value *v) {
  unlink();
  if (!v)
    return;
  value_ = v;
  next_ = v->firstUse_;
  if (next_)
    next_->prevNext_ = &next_;
  prevNext_ = &v->firstUse_;
  v->firstUse_ = this;
}

Value::~Value() {
  while (firstUse_)
    firstUse_->unlink();
}

unsigned Value::numUses() const {
  unsigned n = 0;
  for (OpOperand *u = firstUse_; u; u = u->nextUse())
    ++n;
  return n;
}

void Value::replaceAllUsesWith(Value *other) {
  if (other == this)
    return;
  while (firstUse_)
    firstUse_->set(other);
}

Region *Value::parentRegion() const {
  return defOp_ ? defOp_->parentRegion() : argOwner_;
}

//===----------------------------------------------------------------------------===//
// Ops
//===----------------------------------------------------------------------------===//

namespace {
std::atomic<uint64_t> gNextOpSerial{1};
} // namespace

uint64_t Op::nextSerial() { return gNextOpSerial.load(); }

Op *Op::create(Context &ctx, llvm::StringRef name, llvm::ArrayRef<Value *> operands,
               llvm::ArrayRef<Arg> args, llvm::ArrayRef<const Type *> resultTypes,
               unsigned numRegions, const Provenance *prov) {
  if (!prov)
    llvm::report_fatal_error(llvm::Twine("fxir internal error: op ") + name +
                             " created without provenance");
  size_t opBytes = llvm::alignTo(sizeof(Op), alignof(OpOperand));
  size_t operandBytes = llvm::alignTo(sizeof(OpOperand) * operands.size(), alignof(Value));
  size_t bytes = opBytes + operandBytes + sizeof(Value) * resultTypes.size();
  void *mem = ctx.allocateOpMemory(bytes);
  Op *op = new (mem) Op();
  op->ctx_ = &ctx;
  op->bytes_ = static_cast<uint32_t>(bytes);
  op->name_ = ctx.intern(name);
  op->info_ = ctx.opInfo(op->name_);
  op->serial_ = gNextOpSerial.fetch_add(1);
  op->numOperands_ = static_cast<unsigned>(operands.size());
  op->operands_ = reinterpret_cast<OpOperand *>(static_cast<char *>(mem) + opBytes);
  for (unsigned i = 0; i < operands.size(); ++i) {
    OpOperand *o = new (&op->operands_[i]) OpOperand();
    o->owner_ = op;
    o->index_ = i;
    o->set(operands[i]);
  }
  op->numResults_ = static_cast<unsigned>(resultTypes.size());
  op->results_ =
      reinterpret_cast<Value *>(static_cast<char *>(mem) + opBytes + operandBytes);
  for (unsigned i = 0; i < resultTypes.size(); ++i) {
    Value *v = new (&op->results_[i]) Value();
    v->type_ = resultTypes[i];
    v->defOp_ = op;
    v->index_ = i;
  }
  // Args are deep-copied into the Context (strings interned, lists copied), so callers
  // may build them from temporary buffers.
  std::function<Attr(const Attr &)> own = [&](const Attr &a) -> Attr {
    switch (a.kind()) {
    case Attr::Kind::Str: return Attr::string(ctx.intern(a.stringValue()));
    case Attr::Kind::Device: return Attr::device(ctx.intern(a.stringValue()));
    case Attr::Kind::Layout: return Attr::layout(ctx.intern(a.stringValue()));
    case Attr::Kind::MemoryFormat: return Attr::memoryFormat(ctx.intern(a.stringValue()));
    case Attr::Kind::List: {
      llvm::SmallVector<Attr, 8> elems;
      for (const Attr &e : a.listValue())
        elems.push_back(own(e));
      return Attr::list(ctx.copy<Attr>(elems));
    }
    default: return a;
    }
  };
  llvm::SmallVector<Arg, 8> owned;
  for (const Arg &a : args)
    owned.push_back({ctx.intern(a.name), own(a.value)});
  op->args_ = ctx.copy<Arg>(owned);
  for (unsigned i = 0; i < numRegions; ++i)
    op->regions_.push_back(std::make_unique<Region>(op));
  op->prov_ = prov;
  return op;
}

Op *Op::clone(ValueMap &map) const {
  llvm::SmallVector<Value *, 8> operands;
  for (unsigned i = 0; i < numOperands_; ++i) {
    Value *v = operands_[i].get();
    auto it = map.find(v);
    operands.push_back(it == map.end() ? v : it->second);
  }
  llvm::SmallVector<const Type *, 4> types;
  for (unsigned i = 0; i < numResults_; ++i)
    types.push_back(results_[i].type());
  Op *copy = create(*ctx_, name_, operands, args_, types, numRegions(), prov_);
  for (unsigned i = 0; i < numResults_; ++i) {
    copy->results_[i].setName(results_[i].nameRef());
    map[&results_[i]] = &copy->results_[i];
  }
  for (unsigned r = 0; r < numRegions(); ++r) {
    const Region &from = *regions_[r];
    Region &to = *copy->regions_[r];
    for (unsigned a = 0; a < from.numArgs(); ++a)
      map[from.arg(a)] = to.addArg(from.arg(a)->type(), from.arg(a)->nameRef());
    for (const Op &nested : from.ops())
      to.push_back(nested.clone(map));
  }
  return copy;
}

Op::~Op() {
  for (unsigned i = 0; i < numOperands_; ++i)
    operands_[i].unlink();
  for (unsigned i = 0; i < numResults_; ++i)
    results_[i].~Value();
}

void Op::destroy() {
  Context *ctx = ctx_;
  uint32_t bytes = bytes_;
  this->~Op();
  ctx->releaseOpMemory(this, bytes);
}

std::string Op::describe(bool withCode) const {
  std::string s = name_.str();
  const Provenance *p = prov_;
  if (!p)
    return s;
  std::string where;
  if (!p->nodeName.empty())
    where = "node " + p->nodeName.str();
  if (p->source.valid()) {
    where += (where.empty() ? "" : ", ") + p->brief();
    if (withCode && !p->source.code.empty())
      where += ": " + p->source.code.str();
  }
  return where.empty() ? s : s + " (" + where + ")";
}

void Op::setProvenance(const Provenance *p) {
  if (!p)
    llvm::report_fatal_error(llvm::Twine("fxir internal error: null provenance set on op ") + name_);
  prov_ = p;
}

Op *Op::parentOp() const { return parent_ ? parent_->parentOp() : nullptr; }

void Op::dropAllReferences() {
  for (unsigned i = 0; i < numOperands_; ++i)
    operands_[i].unlink();
  for (auto &r : regions_)
    for (Op &nested : r->ops())
      nested.dropAllReferences();
}

void Op::erase() {
  for (unsigned i = 0; i < numResults_; ++i)
    if (!results_[i].useEmpty())
      llvm::report_fatal_error(llvm::Twine("fxir internal error: erasing op ") + name_ +
                               " whose result " + llvm::Twine(i) + " is still used");
  dropAllReferences();
  if (parent_)
    parent_->remove(this);
  destroy();
}

void Op::walk(const std::function<void(Op &)> &f) {
  f(*this);
  for (auto &r : regions_)
    for (Op &nested : r->ops())
      nested.walk(f);
}

//===----------------------------------------------------------------------------===//
// Regions
//===----------------------------------------------------------------------------===//

Region::~Region() {
  // Uses may cross between ops of this region (and from nested regions to values
  // here): drop them all before deleting anything.
  for (Op &op : ops_)
    op.dropAllReferences();
  while (!ops_.empty()) {
    Op *op = &ops_.front();
    ops_.remove(*op);
    op->parent_ = nullptr;
    op->destroy();
  }
}

Value *Region::addArg(const Type *type, Name name) {
  auto v = std::make_unique<Value>();
  v->type_ = type;
  v->name_ = name;
  v->argOwner_ = this;
  v->index_ = static_cast<unsigned>(args_.size());
  args_.push_back(std::move(v));
  return args_.back().get();
}

void Region::insert(OpList::iterator before, Op *op) {
  if (op->parent_)
    llvm::report_fatal_error(llvm::Twine("fxir internal error: inserting op ") + op->name() +
                             " that already has a parent region");
  op->parent_ = this;
  ops_.insert(before, *op);
}

void Region::remove(Op *op) {
  ops_.remove(*op);
  op->parent_ = nullptr;
}

Op *Region::terminator() {
  if (ops_.empty() || !ops_.back().isTerminator())
    return nullptr;
  return &ops_.back();
}

Op *Region::ancestorOpIn(Op *op) const {
  while (op && op->parentRegion() != this)
    op = op->parentOp();
  return op;
}

bool Region::isAncestorOf(const Region *other) const {
  for (const Region *r = other; r; r = r->parentOp_ ? r->parentOp_->parentRegion() : nullptr)
    if (r == this)
      return true;
  return false;
}

//===----------------------------------------------------------------------------===//
// Graph
//===----------------------------------------------------------------------------===//

llvm::StringRef inputKindName(InputSpec::Kind k) {
  switch (k) {
  case InputSpec::Kind::UserInput: return "input";
  case InputSpec::Kind::Parameter: return "param";
  case InputSpec::Kind::Buffer: return "buffer";
  case InputSpec::Kind::TensorConstant: return "constant";
  case InputSpec::Kind::CustomObj: return "custom_obj";
  case InputSpec::Kind::Token: return "token";
  case InputSpec::Kind::ConstantInput: return "constant_input";
  }
  return "?";
}

llvm::StringRef outputKindName(OutputSpec::Kind k) {
  switch (k) {
  case OutputSpec::Kind::UserOutput: return "output";
  case OutputSpec::Kind::LossOutput: return "loss";
  case OutputSpec::Kind::BufferMutation: return "buffer_mutation";
  case OutputSpec::Kind::UserInputMutation: return "input_mutation";
  case OutputSpec::Kind::ParameterMutation: return "param_mutation";
  case OutputSpec::Kind::GradientToParameter: return "grad_param";
  case OutputSpec::Kind::GradientToUserInput: return "grad_input";
  case OutputSpec::Kind::Token: return "token";
  }
  return "?";
}

Graph::Graph(Context &ctx, llvm::StringRef name)
    : ctx_(ctx), name_(ctx.intern(name)), body_(std::make_unique<Region>(nullptr)) {}

Graph::~Graph() = default;

void Graph::walk(const std::function<void(Op &)> &f) const {
  for (Op &op : body_->ops())
    op.walk(f);
}

size_t Graph::numOps() const {
  size_t n = 0;
  walk([&](Op &) { ++n; });
  return n;
}

} // namespace fxir
