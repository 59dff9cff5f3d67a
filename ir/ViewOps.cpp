//===- ViewOps.cpp ------------------------------------------------------------------===//
#include "fxir/ir/ViewOps.h"

namespace fxir {

llvm::ArrayRef<ViewInfo> viewOps() {
  static const ViewInfo kRows[] = {
#define FXIR_VIEW(Name, Kind, InverseScatter, MayCopy)                                     \
  {Name, ViewKind::Kind, InverseScatter, MayCopy},
#include "fxir/ir/ViewOps.def"
  };
  return kRows;
}

const ViewInfo *lookupViewOp(llvm::StringRef opName) {
  // "aten.to.dtype" matches the exact row "aten.to.dtype" or the family row "aten.to"
  // (whose out= overloads write, and are handled as writes before any view question).
  llvm::StringRef family = opName.rsplit('.').first;
  const ViewInfo *familyRow = nullptr;
  for (const ViewInfo &v : viewOps()) {
    if (v.name == opName)
      return &v;
    if (v.name == family)
      familyRow = &v;
  }
  return familyRow;
}

llvm::StringRef viewKindName(ViewKind k) {
  switch (k) {
  case ViewKind::Identity: return "identity";
  case ViewKind::Conditional: return "conditional";
  case ViewKind::Select: return "select";
  case ViewKind::Slice: return "slice";
  case ViewKind::Narrow: return "narrow";
  case ViewKind::Diagonal: return "diagonal";
  case ViewKind::AsStrided: return "as_strided";
  case ViewKind::Unbind: return "unbind";
  case ViewKind::Split: return "split";
  case ViewKind::Transpose: return "transpose";
  case ViewKind::Permute: return "permute";
  case ViewKind::Reshape: return "reshape";
  case ViewKind::Expand: return "expand";
  }
  return "?";
}

} // namespace fxir
