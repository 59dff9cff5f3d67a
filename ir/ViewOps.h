//===- ViewOps.h - how a view op's result aliases its input ------------------------===//
//
// The rows of ViewOps.def, reached from an op's info row (OpInfo::view). A view kind is
// an index map from a result element to an input element:
//   Identity     the same element (alias, detach, lift_fresh)
//   Conditional  the same element when the op changes nothing, else a copy (to,
//                contiguous, eval-mode dropout, ...)
//   Select       input[..., index, ...] along dim
//   Slice        input[..., start + i * step, ...]; Narrow the same with a length
//   Diagonal     the diagonal of (dim1, dim2) at offset
//   AsStrided    the given sizes, strides and storage offset on the input's storage
//   Unbind       one select per result; Split one slice per result along dim
//   Transpose    dims swapped; Permute dims reordered
//   Reshape      the same elements in row-major order (a view when the strides allow)
//   Expand       broadcast: size-1 dims repeated (stride 0)
// For the kinds that select elements, `inverseScatter` names the ATen op that writes a
// result back into its input (select -> select_scatter, ...); the others are inverted by
// a view of the same kind (transpose, inverse permute, reshape back).
//
// Does not: decode an op's arguments (callers read them by schema name) or decide
// whether a Conditional view or a MayCopy reshape aliases here (that depends on types).
//===----------------------------------------------------------------------------===//
#pragma once

#include <cstdint>

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

namespace fxir {

enum class ViewKind : uint8_t {
  Identity, Conditional, Select, Slice, Narrow, Diagonal, AsStrided, Unbind, Split,
  Transpose, Permute, Reshape, Expand,
};

struct ViewInfo {
  llvm::StringRef name;           ///< "aten.select.int", or "aten.to" for every overload
  ViewKind kind;
  llvm::StringRef inverseScatter; ///< "" when another view inverts it
  bool mayCopy = false;           ///< a reshape that copies unless the strides allow a view
};

/// Every row of ViewOps.def.
llvm::ArrayRef<ViewInfo> viewOps();
/// The row for a dispatcher op name ("aten.slice.Tensor"), or null. (Ops find theirs on
/// their info row: op.info().view.)
const ViewInfo *lookupViewOp(llvm::StringRef opName);
llvm::StringRef viewKindName(ViewKind k);

} // namespace fxir
