//===- Builder.h - creating and rewriting ops, provenance carried forward -------===//
//
// Builder creates ops at an insertion point; every op needs a provenance, given
// explicitly (frontends know the FX node). Rewriter is what passes use: ops it
// creates take the provenance of the op being rewritten (the root) plus a
// (pass, action) record, so a pass cannot drop provenance by forgetting it. Creating
// an op through a Rewriter with no root set is an internal error, reported at once.
//
// Does not: pattern-match or drive rewrites to a fixed point (passes do).
//===----------------------------------------------------------------------------===//
#pragma once

#include "fxir/ir/Graph.h"

namespace fxir {

class Builder {
public:
  explicit Builder(Graph &graph);
  virtual ~Builder() = default;

  Graph &graph() const { return graph_; }
  Context &context() const { return graph_.context(); }

  /// New ops go at the end of `r`.
  void setInsertionPointToEnd(Region &r);
  /// New ops go right before `op`.
  void setInsertionPoint(Op *op);
  /// New ops go right after `op`.
  void setInsertionPointAfter(Op *op);

  /// Creates an op at the insertion point. `prov` must not be null.
  Op *create(llvm::StringRef name, llvm::ArrayRef<Value *> operands,
             llvm::ArrayRef<Arg> args, llvm::ArrayRef<const Type *> resultTypes,
             const Provenance *prov, unsigned numRegions = 0);

  /// The same for fxir's own op `op` (FxirOps.def).
  Op *create(FxirOp op, llvm::ArrayRef<Value *> operands, llvm::ArrayRef<Arg> args,
             llvm::ArrayRef<const Type *> resultTypes, const Provenance *prov,
             unsigned numRegions = 0) {
    return create(fxirOpName(op), operands, args, resultTypes, prov, numRegions);
  }

  /// Convenience: an ATen-style call whose args are its operands, in order.
  Op *createCall(llvm::StringRef name, llvm::ArrayRef<Value *> operands,
                 llvm::ArrayRef<const Type *> resultTypes, const Provenance *prov);

protected:
  Graph &graph_;
  Region *region_ = nullptr;
  Region::OpList::iterator point_;
};

class Rewriter : public Builder {
public:
  Rewriter(Graph &graph, llvm::StringRef passName);

  llvm::StringRef passName() const { return pass_; }

  /// Ops created from now on are rewrites of `root`: their provenance is root's plus
  /// (pass, action).
  void setRoot(Op *root, llvm::StringRef action);
  /// Ops created from now on merge several ops (fusion, cse): their provenance lists
  /// all of them as sources plus (pass, action).
  void setRoots(llvm::ArrayRef<Op *> roots, llvm::StringRef action);
  void clearRoot();

  /// Creates an op carrying the current root's provenance.
  Op *create(llvm::StringRef name, llvm::ArrayRef<Value *> operands,
             llvm::ArrayRef<Arg> args, llvm::ArrayRef<const Type *> resultTypes,
             unsigned numRegions = 0);
  Op *create(FxirOp op, llvm::ArrayRef<Value *> operands, llvm::ArrayRef<Arg> args,
             llvm::ArrayRef<const Type *> resultTypes, unsigned numRegions = 0) {
    return create(fxirOpName(op), operands, args, resultTypes, numRegions);
  }

  /// A copy of `op` (Op::clone) at the insertion point; it and every op nested in it
  /// record (pass, action) on their own provenance.
  Op *clone(const Op &op, ValueMap &map, llvm::StringRef action);
  /// Size `dim` of `tensor` as a value, carrying the current root's provenance: an
  /// `fxir.constant` when static, else `aten.sym_size.int` typed with its expression.
  Value *createSize(Value *tensor, int64_t dim);
  /// Replaces every use of `op`'s results with `values` (same count), then erases it.
  /// An unnamed replacement value takes the replaced result's name.
  void replaceOp(Op *op, llvm::ArrayRef<Value *> values);
  /// Erases `op`, whose results must be unused.
  void eraseOp(Op *op);
  /// Records (pass, action) on an op the pass changed in place.
  void noteModified(Op *op, llvm::StringRef action);

private:
  const Provenance *current();
  llvm::StringRef pass_;
  const Provenance *rootProv_ = nullptr;
};

} // namespace fxir
