//===- Builder.cpp --------------------------------------------------------------===//
#include "fxir/ir/Builder.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/ErrorHandling.h"

namespace fxir {

Builder::Builder(Graph &graph) : graph_(graph) { setInsertionPointToEnd(graph.body()); }

void Builder::setInsertionPointToEnd(Region &r) {
  region_ = &r;
  point_ = r.ops().end();
}

void Builder::setInsertionPoint(Op *op) {
  region_ = op->parentRegion();
  point_ = Region::OpList::iterator(*op);
}

void Builder::setInsertionPointAfter(Op *op) {
  region_ = op->parentRegion();
  point_ = std::next(Region::OpList::iterator(*op));
}

Op *Builder::create(llvm::StringRef name, llvm::ArrayRef<Value *> operands,
                    llvm::ArrayRef<Arg> args, llvm::ArrayRef<const Type *> resultTypes,
                    const Provenance *prov, unsigned numRegions) {
  Op *op = Op::create(context(), name, operands, args, resultTypes, numRegions, prov);
  region_->insert(point_, op);
  return op;
}

Op *Builder::createCall(llvm::StringRef name, llvm::ArrayRef<Value *> operands,
                        llvm::ArrayRef<const Type *> resultTypes, const Provenance *prov) {
  llvm::SmallVector<Arg, 4> args;
  for (unsigned i = 0; i < operands.size(); ++i)
    args.push_back({{}, Attr::operand(i)});
  return create(name, operands, args, resultTypes, prov);
}

Rewriter::Rewriter(Graph &graph, llvm::StringRef passName)
    : Builder(graph), pass_(graph.context().intern(passName)) {}

void Rewriter::setRoot(Op *root, llvm::StringRef action) {
  rootProv_ = context().withRecord(root->provenance(), pass_, action);
}

void Rewriter::setRoots(llvm::ArrayRef<Op *> roots, llvm::StringRef action) {
  llvm::SmallVector<const Provenance *, 4> provs;
  for (Op *r : roots)
    provs.push_back(r->provenance());
  rootProv_ = context().merged(provs, pass_, action);
}

void Rewriter::clearRoot() { rootProv_ = nullptr; }

Op *Rewriter::clone(const Op &op, ValueMap &map, llvm::StringRef action) {
  Op *copy = op.clone(map);
  copy->walk([&](Op &o) { o.setProvenance(context().withRecord(o.provenance(), pass_, action)); });
  region_->insert(point_, copy);
  return copy;
}

const Provenance *Rewriter::current() {
  if (!rootProv_)
    llvm::report_fatal_error(llvm::Twine("fxir internal error: pass ") + pass_ +
                             " created an op with no root op set (call setRoot first); "
                             "its provenance would be lost");
  return rootProv_;
}

Op *Rewriter::create(llvm::StringRef name, llvm::ArrayRef<Value *> operands,
                     llvm::ArrayRef<Arg> args, llvm::ArrayRef<const Type *> resultTypes,
                     unsigned numRegions) {
  return Builder::create(name, operands, args, resultTypes, current(), numRegions);
}

Value *Rewriter::createSize(Value *tensor, int64_t dim) {
  Context &ctx = context();
  const SymExpr *e = tensor->type()->shape()[dim];
  if (std::optional<int64_t> c = e->asConst())
    return create(FxirOp::Constant, {}, {{{}, Attr::integer(*c)}}, {ctx.intType()})->result(0);
  return create("aten.sym_size.int", {tensor}, {{{}, Attr::operand(0)}, {{}, Attr::integer(dim)}},
                {ctx.symIntType(e)})
      ->result(0);
}

void Rewriter::replaceOp(Op *op, llvm::ArrayRef<Value *> values) {
  if (values.size() != op->numResults())
    llvm::report_fatal_error(llvm::Twine("fxir internal error: replacing op ") + op->name() +
                             " with the wrong number of values");
  for (unsigned i = 0; i < values.size(); ++i) {
    // The replacement inherits the name (the FX node name) if it has none.
    if (values[i]->name().empty())
      values[i]->setName(op->result(i)->nameRef());
    op->result(i)->replaceAllUsesWith(values[i]);
  }
  eraseOp(op);
}

void Rewriter::eraseOp(Op *op) {
  if (Region::OpList::iterator(*op) == point_)
    point_ = std::next(point_);
  op->erase();
}

void Rewriter::noteModified(Op *op, llvm::StringRef action) {
  op->setProvenance(context().withRecord(op->provenance(), pass_, action));
}

} // namespace fxir
