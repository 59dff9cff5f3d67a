//===- Effects.h - what an op does besides computing its results --------------------===//
//
// dce and cse ask here whether an op may be removed or merged. For ATen ops the answer
// comes from the operator schema table, never from names: an op has an effect when it
// writes an argument (`Tensor(a!)`), is tagged `nondeterministic_seeded` (it advances a
// random generator), or returns nothing (asserts, prints). Python-level ops
// (`_operator.*`, `math.*`, `torch.sym_*`) are pure; a higher-order op has an effect
// when anything in its regions has one; `fxir.yield` is an effect, `fxir.constant` is
// not. Anything unknown is assumed to have an effect.
//===----------------------------------------------------------------------------===//
#pragma once

#include "fxir/ir/Graph.h"

#include "llvm/ADT/DenseMap.h"

namespace fxir {

class EffectAnalysis {
public:
  /// Whether `op` (and, for region ops, anything nested) has an effect.
  bool hasEffect(const Op &op);
  /// Whether `op` writes one of its arguments (a barrier for cse).
  bool writes(const Op &op);

private:
  struct Info {
    bool effect;
    bool writes;
  };
  Info infoFor(const Op &op);
  llvm::DenseMap<const char *, Info> byName_; // op names are interned
};

} // namespace fxir
