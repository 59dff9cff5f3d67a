//===- BoundProgram.cpp ---------------------------------------------------------------===//
#include "fxir/backends/runtime/BoundProgram.h"

#include <map>

#include <ATen/MemoryOverlap.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/set.h>

#include "fxir/backends/runtime/AtenCall.h"
#include "fxir/backends/runtime/AtenOp.h"
#include "fxir/ir/Verifier.h"
#include "fxir/passes/Effects.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringSet.h"

namespace fxir::runtime {

absl::StatusOr<std::unique_ptr<BoundProgram>>
BoundProgram::create(std::shared_ptr<const Program> program) {
  if (!program || !program->graph)
    return absl::InvalidArgumentError("no program");
  std::unique_ptr<BoundProgram> b(new BoundProgram());
  b->program_ = std::move(program);
  if (absl::Status st = b->init(); !st.ok())
    return st;
  return b;
}

absl::Status BoundProgram::init() {
  const Graph &g = *program_->graph;
  const Region &body = g.body();
  if (g.inputSpecs().size() != body.numArgs())
    return absl::InvalidArgumentError(program_->path + ": the signature lists " +
                                      std::to_string(g.inputSpecs().size()) +
                                      " inputs, the graph has " +
                                      std::to_string(body.numArgs()));
  if (absl::Status st = verify(g); !st.ok())
    return absl::InvalidArgumentError(program_->path + ": " + std::string(st.message()));
  weights_.resize(body.numArgs());
  if (absl::Status st = bindWeights(); !st.ok())
    return st;
  EffectAnalysis effects;
  WrittenValues written(g, effects);
  for (unsigned i = 0; i < g.inputSpecs().size(); ++i) {
    const InputSpec &spec = g.inputSpecs()[i];
    if (spec.kind == InputSpec::Kind::Token || spec.kind == InputSpec::Kind::CustomObj)
      return absl::InvalidArgumentError(program_->path + ": input " +
                                        inputKindName(spec.kind).str() +
                                        " is not supported by fxir's runtime");
    if (spec.kind != InputSpec::Kind::UserInput && spec.kind != InputSpec::Kind::ConstantInput)
      continue;
    InputInfo info;
    info.name = body.arg(i)->name().str();
    if (info.name.empty())
      info.name = "#" + std::to_string(inputs_.size());
    info.type = body.arg(i)->type();
    info.constant = spec.kind == InputSpec::Kind::ConstantInput;
    info.mutated = written.written(body.arg(i));
    for (const OutputSpec &o : g.outputSpecs())
      if (o.kind == OutputSpec::Kind::UserInputMutation && o.target == info.name)
        info.mutated = true;
    inputs_.push_back(info);
    inputArgs_.push_back(i);
  }
  return absl::OkStatus();
}

absl::Status BoundProgram::bindWeights() {
  const Graph &g = *program_->graph;
  EffectAnalysis effects;
  WrittenValues written(g, effects);
  llvm::StringSet<> mutatedFqns;
  for (unsigned i = 0; i < g.inputSpecs().size(); ++i)
    if (written.written(g.body().arg(i)))
      mutatedFqns.insert(g.inputSpecs()[i].target);
  for (const OutputSpec &o : g.outputSpecs())
    if (o.kind == OutputSpec::Kind::BufferMutation ||
        o.kind == OutputSpec::Kind::ParameterMutation)
      mutatedFqns.insert(o.target);

  // Storages: one byte tensor per archive entry, private when any tensor in it is
  // written or misaligned for its dtype.
  std::map<std::string, at::Tensor> storages;
  std::map<std::string, bool> privateStorage, writtenStorage;
  for (const TensorData &t : program_->weights.tensors) {
    size_t elem = byteSize(t.dtype);
    bool misaligned =
        elem && reinterpret_cast<uintptr_t>(t.storageBytes.data()) % elem != 0;
    bool mutated = mutatedFqns.count(t.fqn) > 0;
    // The caller's memory, written in place: a private copy would leave the caller's
    // tensor stale, silently.
    if (t.writable && mutated && misaligned)
      return absl::InvalidArgumentError(
          program_->path + ": weight " + t.fqn + " is written by the program in place, but "
          "its memory is not aligned for " + std::string(torchName(t.dtype)) +
          "; pass an aligned tensor (a clone)");
    privateStorage[t.storage] |= (mutated && !t.writable) || misaligned;
    writtenStorage[t.storage] |= mutated;
  }
  // Every stored tensor, used by the graph or not (a tied FQN export dropped from the
  // signature still names the same memory).
  for (const TensorData &td : program_->weights.tensors) {
    const TensorData *t = &td;
    std::string what = program_->path + ": weight " + t->fqn;
    int64_t extent = 0; // offset of the last element, in elements
    bool empty = false;
    for (size_t d = 0; d < t->sizes.size(); ++d) {
      empty |= t->sizes[d] == 0;
      extent += (t->sizes[d] - 1) * (d < t->strides.size() ? t->strides[d] : 0);
    }
    if (t->strides.size() != t->sizes.size())
      return absl::InvalidArgumentError(what + ": strides and sizes differ in rank");
    at::TensorOptions opts = at::TensorOptions().dtype(toScalarType(t->dtype));
    at::Tensor w;
    if (empty) {
      w = at::empty(t->sizes, opts);
    } else {
      size_t elem = byteSize(t->dtype);
      size_t need = static_cast<size_t>(t->storageOffset + extent + 1) * elem;
      if (t->storageBytes.empty())
        return absl::InvalidArgumentError(what + ": the archive holds no data for it");
      if (t->storageBytes.size() < need)
        return absl::InvalidArgumentError(
            what + ": its storage " + t->storage + " holds " +
            std::to_string(t->storageBytes.size()) + " bytes, the tensor needs " +
            std::to_string(need));
      at::Tensor &base = storages[t->storage];
      if (!base.defined()) {
        // One storage per archive entry. Its memory is the read-only mapping, kept
        // alive by the storage itself (the deleter holds the program), so tensors that
        // alias a weight outlive the Executable safely. Storages the program writes are
        // private copies instead.
        // A caller's c10::Storage (TensorData::c10Storage) is bound itself.
        if (t->c10Storage) {
          const auto &s = *static_cast<const c10::Storage *>(t->c10Storage.get());
          base = at::empty({0}, at::TensorOptions().dtype(at::kByte))
                     .set_(s, 0, {static_cast<int64_t>(t->storageBytes.size())}, {1});
        } else {
          std::shared_ptr<const Program> keep = program_;
          base = at::from_blob(const_cast<uint8_t *>(t->storageBytes.data()),
                               {static_cast<int64_t>(t->storageBytes.size())},
                               [keep](void *) mutable { keep.reset(); },
                               at::TensorOptions().dtype(at::kByte));
        }
        if (privateStorage[t->storage])
          base = base.clone();
        else if (!t->writable)
          readOnlyStorages_.insert(base.storage().unsafeGetStorageImpl());
        if (!writtenStorage[t->storage])
          unwrittenStorages_.insert(base.storage().unsafeGetStorageImpl());
      }
      w = at::empty({0}, opts).set_(base.storage(), t->storageOffset, t->sizes, t->strides);
    }
    if (mutatedFqns.count(t->fqn))
      mutatedWeights_.push_back(t->fqn);
    weightsByFqn_[t->fqn] = w;
  }
  for (unsigned i = 0; i < g.inputSpecs().size(); ++i) {
    const InputSpec &spec = g.inputSpecs()[i];
    if (spec.kind != InputSpec::Kind::Parameter && spec.kind != InputSpec::Kind::Buffer &&
        spec.kind != InputSpec::Kind::TensorConstant)
      continue;
    auto it = weightsByFqn_.find(spec.target);
    if (it == weightsByFqn_.end())
      return absl::InvalidArgumentError(program_->path + ": " + inputKindName(spec.kind).str() +
                                        " " + spec.target.str() +
                                        " has no stored tensor (a .fxir program takes its "
                                        "weights from a .pt2: fxir-run --weights FILE.pt2)");
    weights_[i] = it->second;
  }
  // A weight written through a mutation output is written back after the call; another
  // argument the graph reads over the same storage would read the old contents in the
  // meantime. Functionalize redirects a constant that `shares` the buffer (it is left
  // unread); any other overlap is refused rather than computed wrong.
  for (const OutputSpec &o : g.outputSpecs()) {
    if (o.kind != OutputSpec::Kind::BufferMutation &&
        o.kind != OutputSpec::Kind::ParameterMutation)
      continue;
    auto w = weightsByFqn_.find(o.target);
    if (w == weightsByFqn_.end() || !w->second.defined() || !w->second.has_storage())
      continue;
    for (unsigned i = 0; i < g.inputSpecs().size(); ++i) {
      const InputSpec &spec = g.inputSpecs()[i];
      if (!weights_[i] || spec.target == o.target || g.body().arg(i)->numUses() == 0 ||
          !weights_[i]->has_storage() ||
          !weights_[i]->storage().is_alias_of(w->second.storage()))
        continue;
      return absl::InvalidArgumentError(
          program_->path + ": " + o.target.str() + " is written back after the call (a " +
          outputKindName(o.kind).str() + " output) and " + inputKindName(spec.kind).str() +
          " " + spec.target.str() +
          ", which the program reads, shares its storage; fxir cannot order those reads "
          "against the write (run the program without functionalize)");
    }
  }
  return absl::OkStatus();
}

namespace {
// Whether the bytes two tensors can reach overlap (same storage, intersecting
// [lowest, highest] byte ranges).
bool spansOverlap(const at::Tensor &a, const at::Tensor &b) {
  if (!a.has_storage() || !b.has_storage() || !a.storage().is_alias_of(b.storage()) ||
      a.numel() == 0 || b.numel() == 0)
    return false;
  auto span = [](const at::Tensor &t) {
    auto lo = reinterpret_cast<intptr_t>(t.data_ptr()), hi = lo;
    for (int64_t d = 0; d < t.dim(); ++d) {
      intptr_t step = static_cast<intptr_t>((t.size(d) - 1) * t.stride(d) *
                                            static_cast<int64_t>(t.element_size()));
      (step < 0 ? lo : hi) += step;
    }
    return std::make_pair(lo, hi + static_cast<intptr_t>(t.element_size()));
  };
  auto [alo, ahi] = span(a);
  auto [blo, bhi] = span(b);
  return alo < bhi && blo < ahi;
}
} // namespace

absl::Status BoundProgram::checkInputs(const std::vector<c10::IValue> &in) const {
  absl::Status st = checkInputsImpl(in);
  if (!st.ok())
    st.SetPayload(kInputErrorPayload, absl::Cord("input"));
  return st;
}

absl::Status BoundProgram::checkInputsImpl(const std::vector<c10::IValue> &in) const {
  if (in.size() != inputs_.size()) {
    std::string names;
    for (const InputInfo &i : inputs_)
      names += (names.empty() ? "" : ", ") + i.name;
    return absl::InvalidArgumentError("expected " + std::to_string(inputs_.size()) +
                                      " inputs (" + names + "), got " +
                                      std::to_string(in.size()));
  }
  // Symbol -> (its value, the input that bound it). Messages are built only on failure:
  // a call that passes builds no string.
  llvm::DenseMap<const Symbol *, std::pair<int64_t, size_t>> bound;
  auto where = [&](size_t k) { return "input '" + inputs_[k].name + "' (#" + std::to_string(k) + ")"; };
  for (size_t k = 0; k < in.size(); ++k) {
    const InputInfo &info = inputs_[k];
    const Graph &g = *program_->graph;
    const InputSpec &spec = g.inputSpecs()[inputArgs_[k]];
    const c10::IValue &v = in[k];
    if (info.constant) {
      if (!spec.value)
        continue;
      const Attr &c = *spec.value;
      bool same = (c.kind() == Attr::Kind::None && v.isNone()) ||
                  (c.kind() == Attr::Kind::Int && v.isInt() && v.toInt() == c.intValue()) ||
                  (c.kind() == Attr::Kind::Bool && v.isBool() && v.toBool() == c.boolValue()) ||
                  (c.kind() == Attr::Kind::Float && (v.isDouble() || v.isInt()) &&
                   (v.isDouble() ? v.toDouble() : double(v.toInt())) == c.floatValue()) ||
                  (c.kind() == Attr::Kind::Str && v.isString() &&
                   v.toStringRef() == c.stringValue().str());
      if (!same)
        return absl::InvalidArgumentError(
            where(k) + ": export specialized this input to a constant; the program is only "
                       "valid for that value, got " +
            (isNumber(v) ? c10::str(v) : ivalueKind(v)));
      continue;
    }
    const Type *t = info.type;
    if (!t->isTensor()) {
      bool ok = (t->kind() == Type::Kind::Int || t->kind() == Type::Kind::SymInt) ? v.isInt()
                : (t->kind() == Type::Kind::Float || t->kind() == Type::Kind::SymFloat)
                    ? (v.isDouble() || v.isInt())
                : (t->kind() == Type::Kind::Bool || t->kind() == Type::Kind::SymBool) ? v.isBool()
                                                                                     : true;
      if (!ok)
        return absl::InvalidArgumentError(where(k) + ": expected " + t->str() + ", got " +
                                          ivalueKind(v));
      if (t->kind() == Type::Kind::SymInt && t->symExpr() &&
          t->symExpr()->kind() == SymExpr::Kind::Sym) {
        const Symbol *s = t->symExpr()->symbol();
        int64_t x = v.toInt();
        if ((s->min && x < *s->min) || (s->max && x > *s->max))
          return absl::InvalidArgumentError(where(k) + " is " + std::to_string(x) +
                                            ", outside " + s->name.str() + "'s range");
        auto [it, fresh] = bound.try_emplace(s, x, k);
        if (!fresh && it->second.first != x)
          return absl::InvalidArgumentError(where(k) + " is " + std::to_string(x) + ", but " +
                                            s->name.str() + " is " +
                                            std::to_string(it->second.first) + " from " +
                                            where(it->second.second));
      }
      continue;
    }
    if (!v.isTensor())
      return absl::InvalidArgumentError(where(k) + ": expected a tensor " + t->str() +
                                        ", got " + ivalueKind(v));
    const at::Tensor &x = v.toTensor();
    if (!x.defined())
      return absl::InvalidArgumentError(where(k) + ": the tensor is undefined");
    if (x.layout() != at::kStrided)
      return absl::InvalidArgumentError(where(k) + ": only strided (dense) tensors are "
                                                   "supported, got layout " +
                                        c10::str(x.layout()));
    if (!x.device().is_cpu())
      return absl::InvalidArgumentError(where(k) + ": is on " + x.device().str() +
                                        "; fxir's CPU runtime runs on CPU");
    absl::StatusOr<DType> dt = fromScalarType(x.scalar_type());
    if (!dt.ok() || *dt != t->dtype())
      return absl::InvalidArgumentError(
          where(k) + ": dtype " + std::string(c10::toString(x.scalar_type())) +
          ", expected " + std::string(irName(t->dtype())) + " (" + t->str() + ")");
    if (static_cast<size_t>(x.dim()) != t->rank())
      return absl::InvalidArgumentError(where(k) + ": rank " + std::to_string(x.dim()) +
                                        ", expected " + std::to_string(t->rank()) + " (" +
                                        t->str() + ")");
    for (size_t d = 0; d < t->rank(); ++d) {
      const SymExpr *e = t->shape()[d];
      int64_t size = x.size(static_cast<int64_t>(d));
      auto dimText = [&] {
        return where(k) + ": dim " + std::to_string(d) + " is " + std::to_string(size);
      };
      if (e->isConst()) {
        if (size != e->value())
          return absl::InvalidArgumentError(dimText() + ", expected " + std::to_string(e->value()) +
                                            " (" + t->str() + ")");
      } else if (e->kind() == SymExpr::Kind::Sym) {
        const Symbol *s = e->symbol();
        if ((s->min && size < *s->min) || (s->max && size > *s->max))
          return absl::InvalidArgumentError(
              dimText() + ", outside the range of " + s->name.str() + ": [" +
              (s->min ? std::to_string(*s->min) : "-inf") + ", " +
              (s->max ? std::to_string(*s->max) : "inf") + "]");
        auto [it, fresh] = bound.try_emplace(s, size, k);
        if (!fresh && it->second.first != size)
          return absl::InvalidArgumentError(dimText() + ", but " + s->name.str() + " is " +
                                            std::to_string(it->second.first) + " from " +
                                            where(it->second.second) + "; both are " +
                                            s->name.str());
      }
    }
  }
  // Derived dims (2*s0, s0 + 1) once every symbol is known.
  auto lookup = [&](const Symbol *s) -> std::optional<int64_t> {
    auto it = bound.find(s);
    return it == bound.end() ? std::nullopt : std::optional<int64_t>(it->second.first);
  };
  for (size_t k = 0; k < in.size(); ++k) {
    const Type *t = inputs_[k].type;
    if (inputs_[k].constant || !t->isTensor())
      continue;
    for (size_t d = 0; d < t->rank(); ++d) {
      const SymExpr *e = t->shape()[d];
      if (e->isConst() || e->kind() == SymExpr::Kind::Sym)
        continue;
      std::optional<int64_t> want = e->evaluate(lookup);
      int64_t size = in[k].toTensor().size(static_cast<int64_t>(d));
      if (want && *want != size)
        return absl::InvalidArgumentError(where(k) + ": dim " + std::to_string(d) + " is " +
                                          std::to_string(size) + ", expected " + e->str() +
                                          " = " + std::to_string(*want));
    }
  }
  // Distinct inputs must not share memory when one of them is written (torch.export
  // assumes it), and a written input must not have elements that share memory.
  for (size_t k = 0; k < in.size(); ++k) {
    if (!inputs_[k].mutated || !in[k].isTensor())
      continue;
    const at::Tensor &x = in[k].toTensor();
    if (at::has_internal_overlap(x) == at::MemOverlap::Yes)
      return absl::InvalidArgumentError(
          where(k) + " is written by the program, but several of its elements share one "
                     "memory location (an expanded tensor); clone it first");
    // ...nor a weight: the program reads the weights as they were bound, and a backend
    // may write the input in place (reinplace), which must not write a weight.
    if (x.has_storage())
      for (const std::optional<at::Tensor> &w : weights_)
        if (w && w->defined() && spansOverlap(x, *w))
          return absl::InvalidArgumentError(
              where(k) + " is written by the program and shares memory with one of its "
                         "weights; pass a clone");
    for (size_t j = 0; j < in.size(); ++j) {
      if (j == k || !in[j].isTensor() || !in[j].toTensor().defined())
        continue;
      at::MemOverlapStatus s = at::get_overlap_status(x, in[j].toTensor());
      // TooHard (one of them is not dense, ATen does not tell): their byte spans
      // decide; interleaved spans are refused, they may share elements.
      bool maybe = s == at::MemOverlapStatus::TooHard && spansOverlap(x, in[j].toTensor());
      if (s == at::MemOverlapStatus::Full || s == at::MemOverlapStatus::Partial || maybe)
        return absl::InvalidArgumentError(
            where(k) + " is written by the program and " +
            (maybe ? "may share memory with " : "shares memory with ") + where(j) +
            (maybe ? " (their elements interleave in one storage)" : "") +
            "; pass distinct tensors");
    }
  }
  return absl::OkStatus();
}

std::optional<at::Tensor> BoundProgram::weight(llvm::StringRef fqn) const {
  auto it = weightsByFqn_.find(fqn);
  if (it == weightsByFqn_.end())
    return std::nullopt;
  return it->second;
}

bool BoundProgram::isReadOnly(const at::Tensor &t) const {
  return t.defined() && t.has_storage() &&
         readOnlyStorages_.count(t.storage().unsafeGetStorageImpl());
}

bool BoundProgram::mustNotWrite(const at::Tensor &t) const {
  return t.defined() && t.has_storage() &&
         unwrittenStorages_.count(t.storage().unsafeGetStorageImpl());
}

std::vector<c10::IValue> BoundProgram::graphArguments(const std::vector<c10::IValue> &inputs) const {
  const Graph &g = *program_->graph;
  std::vector<c10::IValue> args(g.body().numArgs());
  for (unsigned i = 0; i < args.size(); ++i)
    if (weights_[i])
      args[i] = *weights_[i];
  for (size_t k = 0; k < inputs.size(); ++k)
    args[inputArgs_[k]] = inputs[k];
  return args;
}

absl::StatusOr<std::vector<c10::IValue>>
BoundProgram::finish(std::vector<c10::IValue> outs, const std::vector<c10::IValue> &inputs,
                     llvm::StringRef backend) const {
  const Graph &g = *program_->graph;
  if (outs.size() != g.outputSpecs().size())
    return absl::InternalError(backend.str() + ": the graph gives " + std::to_string(outs.size()) +
                               " outputs, its signature lists " +
                               std::to_string(g.outputSpecs().size()));
  std::vector<c10::IValue> user;
  for (size_t i = 0; i < outs.size(); ++i) {
    const OutputSpec &spec = g.outputSpecs()[i];
    at::Tensor target;
    switch (spec.kind) {
    case OutputSpec::Kind::UserOutput:
    case OutputSpec::Kind::LossOutput:
      // A view of a read-only weight (`self.w.t()`) is returned as a copy: the caller
      // may write it, as in eager.
      if (outs[i].isTensor() && outs[i].toTensor().defined() &&
          readOnlyStorages_.count(outs[i].toTensor().storage().unsafeGetStorageImpl()))
        user.push_back(outs[i].toTensor().clone());
      else
        user.push_back(outs[i]);
      continue;
    case OutputSpec::Kind::BufferMutation:
    case OutputSpec::Kind::ParameterMutation: {
      auto it = weightsByFqn_.find(spec.target);
      if (it == weightsByFqn_.end())
        return absl::InvalidArgumentError("output #" + std::to_string(i) + " mutates " +
                                          spec.target.str() + ", which is not a weight");
      target = it->second;
      break;
    }
    case OutputSpec::Kind::UserInputMutation: {
      for (size_t k = 0; k < inputs_.size(); ++k)
        if (inputs_[k].name == spec.target && inputs[k].isTensor())
          target = inputs[k].toTensor();
      if (!target.defined())
        return absl::InvalidArgumentError("output #" + std::to_string(i) + " mutates input " +
                                          spec.target.str() + ", which is not a tensor input");
      break;
    }
    default:
      return absl::InvalidArgumentError("output #" + std::to_string(i) + ": " +
                                        outputKindName(spec.kind).str() +
                                        " outputs are not supported by fxir's runtime");
    }
    if (!outs[i].isTensor())
      return absl::InvalidArgumentError("output #" + std::to_string(i) + " (mutation of " +
                                        spec.target.str() + ") is not a tensor");
    const at::Tensor &value = outs[i].toTensor();
    // Written in place already (reinplace): the same tensor, or the same elements.
    if (value.is_same(target) ||
        (value.has_storage() && target.has_storage() &&
         value.storage().is_alias_of(target.storage()) &&
         value.storage_offset() == target.storage_offset() &&
         value.sizes() == target.sizes() && value.strides() == target.strides() &&
         value.scalar_type() == target.scalar_type()))
      continue;
    try {
      target.copy_(value);
    } catch (const c10::Error &e) {
      return absl::InvalidArgumentError("writing back " + spec.target.str() + ": " +
                                        e.what_without_backtrace());
    }
  }
  return user;
}

} // namespace fxir::runtime
