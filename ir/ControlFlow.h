//===- ControlFlow.h - typed views of the structured and higher-order ops ---------===//
//
// Each op's operand and region layout is decoded here, once, for everyone (the
// verifier, lower-control-flow, canonicalize, the executors):
//   fxir.for(%n, ^body, [%init...])          body(%i, %carried...) -> next carried
//   fxir.while(^cond, ^body, [%init...])     cond(%carried...) -> pred; body -> next
//   fxir.if(%pred, ^then, ^else)             regions take nothing, yield the results
//   higher_order.scan(^f, [init], [xs], [additional])
//       f(carry..., x_i..., additional...) -> (next carry..., y_i...)
//   higher_order.map_impl(^f, [xs], [additional])      f(x_i..., additional...) -> y_i...
//   higher_order.while_loop(^cond, ^body, [carried], [additional])
//   higher_order.cond(pred, ^true, ^false, [operands])
// A view is cheap (a reference to the op); get() returns nullopt when the op is another
// op or its arguments are not laid out so, and problem() says why (the verifier's
// message). For the higher-order ops, regions and lists are taken in the order of the
// op's arguments, as the .pt2 reader writes them.
//
// Does not: check types or region arities (the verifier does), change ops.
//===----------------------------------------------------------------------------===//
#pragma once

#include <optional>
#include <string>

#include "fxir/ir/Graph.h"

#include "llvm/ADT/SmallVector.h"

namespace fxir {

/// The values of a list argument `[%a, %b]`; nullopt if an element is not a value.
std::optional<llvm::SmallVector<Value *, 4>> listOperands(const Op &op, const Attr &list);
/// Whether `op`'s args are exactly of these kinds, in order (a layout check).
bool argKinds(const Op &op, std::initializer_list<Attr::Kind> want);

/// What every view of a structured op has: the op.
class OpView {
public:
  const Op &op() const { return *op_; }

protected:
  explicit OpView(const Op &op) : op_(&op) {}
  const Op *op_;
};

/// fxir.for and fxir.while: carried values initialized from their third argument.
class LoopView : public OpView {
public:
  llvm::ArrayRef<Attr> initArgs() const { return op_->args()[2].value.listValue(); }
  llvm::SmallVector<Value *, 4> inits() const;
  size_t numCarried() const { return initArgs().size(); }

protected:
  using OpView::OpView;
};

class ForOp : public LoopView {
public:
  static std::optional<ForOp> get(const Op &op);
  /// "" when `op` (an fxir.for) is laid out right, else what is wrong.
  static std::string problem(const Op &op);
  Value *tripCount() const { return op_->operandValue(op_->args()[0].value.index()); }
  Region &body() const { return op_->region(0); }

private:
  using LoopView::LoopView;
};

class WhileOp : public LoopView {
public:
  static std::optional<WhileOp> get(const Op &op);
  static std::string problem(const Op &op);
  Region &cond() const { return op_->region(0); }
  Region &body() const { return op_->region(1); }

private:
  using LoopView::LoopView;
};

class IfOp : public OpView {
public:
  static std::optional<IfOp> get(const Op &op);
  static std::string problem(const Op &op);
  const Attr &predicate() const { return op_->args()[0].value; }
  Region &thenRegion() const { return op_->region(0); }
  Region &elseRegion() const { return op_->region(1); }

private:
  using OpView::OpView;
};

/// The four control-flow higher-order ops in one view: their subgraphs and operand
/// lists by role.
class HopView : public OpView {
public:
  static std::optional<HopView> get(const Op &op);
  /// "" when `op` (a control-flow HOP) is laid out right, else what is wrong.
  static std::string problem(const Op &op);
  HopKind kind() const { return op_->info().hop; }

  /// scan / map_impl: the body; while_loop: the condition (body() is region 1); cond:
  /// the true branch.
  Region &region(unsigned i) const { return op_->region(regions_[i]); }
  unsigned numRegions() const { return static_cast<unsigned>(regions_.size()); }
  /// The i-th list argument (scan: init, xs, additional; map_impl: xs, additional;
  /// while_loop: carried, additional; cond: operands).
  const Attr &list(unsigned i) const { return op_->args()[lists_[i]].value; }
  unsigned numLists() const { return static_cast<unsigned>(lists_.size()); }
  llvm::SmallVector<Value *, 4> listValues(unsigned i) const;

  // By role.
  Region &body() const { return region(kind() == HopKind::WhileLoop ? 1 : 0); }
  Region &whileCond() const { return region(0); }
  Region &trueBranch() const { return region(0); }
  Region &falseBranch() const { return region(1); }
  /// cond's predicate (its first argument).
  const Attr &predicate() const { return op_->args()[0].value; }
  llvm::SmallVector<Value *, 4> carried() const; ///< scan's init, while_loop's carried
  llvm::SmallVector<Value *, 4> xs() const;      ///< scan's and map_impl's xs
  llvm::SmallVector<Value *, 4> additional() const;
  llvm::SmallVector<Value *, 4> operands() const { return listValues(0); } ///< cond

private:
  using OpView::OpView;
  llvm::SmallVector<unsigned, 2> regions_; ///< region index of each region arg, in order
  llvm::SmallVector<unsigned, 3> lists_;   ///< arg index of each list arg, in order
};

} // namespace fxir
