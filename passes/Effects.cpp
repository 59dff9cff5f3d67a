//===- Effects.cpp ----------------------------------------------------------------===//
#include "fxir/passes/Effects.h"

#include "fxir/ir/OpSchema.h"
#include "fxir/ir/Verifier.h"

#include "llvm/ADT/STLExtras.h"

namespace fxir {

EffectAnalysis::Info EffectAnalysis::infoFor(const Op &op) {
  // The op's info row (OpInfo.h) knows whether it is pure apart from its regions and
  // whether it writes an argument (from the schema table for ATen ops).
  const OpInfo &info = op.info();
  Info out{!info.pure, info.writes};
  // An op with no results exists for what it does.
  if (!op.numResults())
    out.effect = true;
  return out;
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

namespace fxir {


const Attr *schemaArg(const Op &op, const OpSchema &schema, unsigned index) {
  unsigned positional = 0;
  for (const Arg &a : op.args()) {
    if (a.name.empty()) {
      if (positional++ == index)
        return &a.value;
    } else if (index < schema.arguments.size() && a.name == schema.arguments[index].name) {
      return &a.value;
    }
  }
  return nullptr;
}

const Value *WrittenValues::find(const Value *v) const {
  const Value *root = v;
  for (auto it = parent_.find(root); it != parent_.end() && it->second != root;
       it = parent_.find(root))
    root = it->second;
  // Path compression.
  for (const Value *x = v; x != root;) {
    auto it = parent_.find(x);
    if (it == parent_.end())
      break;
    const Value *next = it->second;
    it->second = root;
    x = next;
  }
  return root;
}

void WrittenValues::unite(const Value *a, const Value *b) {
  const Value *ra = find(a), *rb = find(b);
  if (ra != rb)
    parent_[ra] = rb;
}

WrittenValues::WrittenValues(const Graph &g, EffectAnalysis &effects) {
  std::vector<const Value *> writtenValues;
  auto operandsOf = [](const Op &op, const Attr *a, auto &&f) {
    if (!a)
      return;
    if (a->kind() == Attr::Kind::Operand && a->index() < op.numOperands())
      f(op.operandValue(a->index()));
    if (a->kind() == Attr::Kind::List)
      for (const Attr &e : a->listValue())
        if (e.kind() == Attr::Kind::Operand && e.index() < op.numOperands())
          f(op.operandValue(e.index()));
  };
  g.walk([&](Op &op) {
    if (op.info().kind == OpInfo::Kind::Hop) {
      if (effects.writes(op))
        for (unsigned i = 0; i < op.numOperands(); ++i)
          writtenValues.push_back(op.operandValue(i));
      return;
    }
    const OpSchema *s = op.schema();
    if (!s || (!s->isMutating() && llvm::none_of(s->returns, [](const SchemaReturn &r) {
          return r.type.anyAlias() != nullptr;
        })))
      return; // neither writes nor aliases: nothing to record
    for (unsigned r = 0; r < op.numResults(); ++r)
      if (std::optional<unsigned> a = s->aliasedArgumentOfResult(r))
        operandsOf(op, schemaArg(op, *s, *a), [&](const Value *v) { unite(op.result(r), v); });
    for (unsigned w : s->writtenArguments())
      operandsOf(op, schemaArg(op, *s, w), [&](const Value *v) { writtenValues.push_back(v); });
  });
  for (const Value *v : writtenValues)
    writtenRoots_.insert(find(v));
}

bool WrittenValues::written(const Value *v) const {
  return !writtenRoots_.empty() && writtenRoots_.count(find(v));
}

} // namespace fxir
