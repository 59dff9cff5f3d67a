//===- Effects.cpp ----------------------------------------------------------------===//
#include "fxir/passes/Effects.h"

#include "fxir/ir/OpSchema.h"
#include "fxir/ir/Verifier.h"

namespace fxir {

EffectAnalysis::Info EffectAnalysis::infoFor(const Op &op) {
  llvm::StringRef name = op.name();
  auto it = byName_.find(name.data());
  if (it != byName_.end())
    return it->second;
  Info info{true, false};
  if (name == "fxir.constant") {
    info = {false, false};
  } else if (name.starts_with("fxir.")) {
    info = {true, false};
  } else if (name.starts_with("higher_order.")) {
    info = {false, false}; // decided by the bodies, below
  } else if (isPythonLevelOp(name)) {
    info = {false, false};
  } else if (auto split = splitDispatcherName(name)) {
    absl::StatusOr<const OpSchema *> s =
        OpSchemaTable::builtin().lookup(split->first, split->second);
    if (s.ok()) {
      bool writes = (*s)->isMutating();
      info = {writes || (*s)->hasTag("nondeterministic_seeded") || (*s)->returns.empty(),
              writes};
    }
  }
  byName_[name.data()] = info;
  return info;
}

bool EffectAnalysis::hasEffect(const Op &op) {
  if (infoFor(op).effect)
    return true;
  for (unsigned r = 0; r < op.numRegions(); ++r)
    for (const Op &nested : op.region(r).ops())
      if (!nested.isTerminator() && hasEffect(nested))
        return true;
  return false;
}

bool EffectAnalysis::writes(const Op &op) {
  if (infoFor(op).writes)
    return true;
  for (unsigned r = 0; r < op.numRegions(); ++r)
    for (const Op &nested : op.region(r).ops())
      if (writes(nested))
        return true;
  return false;
}

} // namespace fxir
