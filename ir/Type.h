//===- Type.h - the types of fxir values ----------------------------------------===//
//
// Types are immutable and uniqued in their Context: compare them by pointer.
//   tensor      f32[2, s0]          dtype, shape of static or symbolic dims; contiguous
//               f32[3, 2]{1, 3}     ...with explicit strides when not contiguous
//               f32[3, 2]{?}        ...with a layout nobody knows (strides unknown)
//               f32[2]@cuda:0       ...with a device other than cpu
// A tensor type without strides means contiguous, and only that: a layout that is not
// known says so ({?}), so a code generator can trust every layout a type states.
//   scalars     int, float, bool, str, none, device, token
//   symbolic    symint, symint<s0 + 1>, symfloat, symbool
//   containers  list<f32[2]>, list<int>, optional<f32[2]>
//   opaque      object<"__torch__.torch.classes.foo.Bar">
//
// Does not: describe ATen argument lists (those are Args on an op: Graph.h).
//===----------------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <string>

#include "fxir/ir/DType.h"
#include "fxir/ir/SymExpr.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

namespace fxir {

class Type {
public:
  enum class Kind : uint8_t {
    Tensor, Int, Float, Bool, Str, None, Device, Token,
    SymInt, SymFloat, SymBool,
    List, Optional, Object,
  };

  Kind kind() const { return kind_; }
  bool isTensor() const { return kind_ == Kind::Tensor; }

  // Tensor
  DType dtype() const { return dtype_; }
  llvm::ArrayRef<const SymExpr *> shape() const { return shape_; }
  /// Empty when the tensor is contiguous or its layout is unknown (layoutKnown()).
  llvm::ArrayRef<const SymExpr *> strides() const { return strides_; }
  /// False for `{?}`: nothing is known about the strides.
  bool layoutKnown() const { return !unknownLayout_; }
  /// Row-major contiguous (no strides stated, layout known).
  bool isContiguous() const { return kind_ == Kind::Tensor && !unknownLayout_ && strides_.empty(); }
  /// "cpu", "cuda:0", "meta".
  llvm::StringRef device() const { return name_; }
  size_t rank() const { return shape_.size(); }
  /// Every dim a constant.
  bool hasStaticShape() const;

  // SymInt: the value's expression if known (may be null).
  const SymExpr *symExpr() const { return expr_; }
  // List / Optional
  const Type *element() const { return element_; }
  // Object
  llvm::StringRef className() const { return name_; }

  std::string str() const;

private:
  friend class Context;
  explicit Type(Kind k) : kind_(k) {}
  Kind kind_;
  DType dtype_ = DType::Float32;
  llvm::ArrayRef<const SymExpr *> shape_, strides_;
  llvm::StringRef name_;
  const SymExpr *expr_ = nullptr;
  const Type *element_ = nullptr;
  bool unknownLayout_ = false;
};

} // namespace fxir
