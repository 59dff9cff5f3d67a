//===- Effects.h - what an op does besides computing its results --------------------===//
//
// dce and cse ask here whether an op may be removed or merged. The answer for the op
// itself is on its info row (OpInfo.h), so for ATen ops it comes from the operator
// schema table, never from names: an op has an effect when it writes an argument
// (`Tensor(a!)`), is tagged `nondeterministic_seeded` (it advances a random generator),
// or returns nothing (asserts, prints). Python-level ops (`_operator.*`, `math.*`,
// `torch.sym_*`) are pure; the control-flow higher-order ops and fxir.for/while/if have
// an effect when anything in their regions has one; `fxir.yield` is an effect,
// `fxir.constant`, `fxir.alloc` and `fxir.insert_slice` are not (FxirOps.def). Anything
// unknown is assumed to have an effect.
//===----------------------------------------------------------------------------===//
#pragma once

#include "fxir/ir/Graph.h"
#include "fxir/ir/OpSchema.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

namespace fxir {

class EffectAnalysis {
public:
  /// (Nothing is cached any more: the answers are on the ops' info rows.)
  void reset() {}
  /// Whether `op` (and, for region ops, anything nested) has an effect.
  bool hasEffect(const Op &op);
  /// Whether `op` writes one of its arguments (a barrier for cse).
  bool writes(const Op &op);

private:
  struct Info {
    bool effect;
    bool writes;
  };
  static Info infoFor(const Op &op);
};

/// The arg an op passes for schema argument `index` (by position or by name), or null.
const Attr *schemaArg(const Op &op, const OpSchema &schema, unsigned index);

/// Which values may be written in place, directly or through an alias. Values joined by
/// the schema's alias sets (a view or an in-place result and the argument it aliases)
/// form one class; a class is written when any op writes one of its values
/// (`Tensor(a!)`), or when a higher-order op whose body writes takes one as an operand.
class WrittenValues {
public:
  WrittenValues(const Graph &g, EffectAnalysis &effects);
  /// Whether `v`, or anything aliasing it, is written somewhere in the graph.
  bool written(const Value *v) const;

private:
  const Value *find(const Value *v) const;
  void unite(const Value *a, const Value *b);
  mutable llvm::DenseMap<const Value *, const Value *> parent_;
  llvm::DenseSet<const Value *> writtenRoots_;
};

} // namespace fxir
