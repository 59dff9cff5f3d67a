//===- Program.cpp ----------------------------------------------------------------===//
#include "fxir/ir/Program.h"

namespace fxir {

const TensorData *Weights::find(llvm::StringRef fqn) const {
  for (const TensorData &t : tensors)
    if (t.fqn == fqn)
      return &t;
  return nullptr;
}

} // namespace fxir
