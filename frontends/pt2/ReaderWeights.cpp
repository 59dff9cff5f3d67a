//===- ReaderWeights.cpp - weights, constants, their extents -----------------------===//
// (The Reader class is in ReaderImpl.h.)
//===----------------------------------------------------------------------------===//
#include "fxir/frontends/pt2/ReaderImpl.h"

namespace fxir::pt2::detail {

// ---- weights and constants ----
void Reader::readTensors(const std::string &configEntry, const std::string &dir, bool constants) {
  if (!archive_->has(configEntry))
    return; // archives without constants may lack the config
  llvm::StringRef text = entryText(configEntry);
  simdjson::dom::parser p;
  simdjson::padded_string padded(text.data(), text.size());
  J doc;
  if (auto err = p.parse(padded).get(doc))
    fail(configEntry + ": malformed JSON: " + simdjson::error_message(err));
  std::optional<J> config = field(doc, "config");
  simdjson::dom::object o;
  if (!config || config->get(o))
    return;
  for (auto [fqnView, meta] : o) {
    std::string fqn(fqnView);
    std::string where = configEntry + ": " + fqn;
    TensorData t;
    t.fqn = fqn;
    bool isParam = field(meta, "is_param") && bool(truthy(*field(meta, "is_param")));
    t.kind = isParam ? TensorData::Kind::Parameter
                     : constants ? TensorData::Kind::Constant : TensorData::Kind::Buffer;
    if (field(meta, "use_pickle") && truthy(*field(meta, "use_pickle")))
      fail(where + ": stored as a pickled tensor subclass (use_pickle); fxir never "
                   "unpickles archive contents");
    std::optional<J> tm = field(meta, "tensor_meta");
    if (!tm)
      fail(where + ": no tensor_meta");
    std::optional<int64_t> code = field(*tm, "dtype") ? integer(*field(*tm, "dtype")) : std::nullopt;
    std::optional<DType> dt = code && *code >= 0 && *code <= 1000
                                  ? dtypeFromPt2Code(static_cast<int>(*code))
                                  : std::nullopt;
    if (auto layout = field(*tm, "layout"))
      if (integer(*layout) != std::optional<int64_t>(7))
        fail(where + ": layout code " + std::to_string(integer(*layout).value_or(-1)) +
             " is not strided; fxir reads dense (strided) tensors only");
    if (!dt)
      fail(where + ": unknown dtype code " + (code ? std::to_string(*code) : "(none)"));
    t.dtype = *dt;
    auto ints = [&](const char *key) {
      std::vector<int64_t> out;
      for (J s : field(*tm, key) ? array(*field(*tm, key)) : std::vector<J>()) {
        auto [k, v] = unionKey(s);
        std::optional<int64_t> i = k == "as_int" ? integer(v) : std::nullopt;
        if (!i)
          fail(where + ": " + key + " must be concrete integers for stored tensors");
        out.push_back(*i);
      }
      return out;
    };
    t.sizes = ints("sizes");
    t.strides = ints("strides");
    if (t.strides.size() != t.sizes.size())
      fail(where + ": " + std::to_string(t.sizes.size()) + " sizes but " +
           std::to_string(t.strides.size()) + " strides");
    if (auto off = field(*tm, "storage_offset")) {
      auto [k, v] = unionKey(*off);
      t.storageOffset = k == "as_int" ? integer(v).value_or(-1) : -1;
    }
    t.requiresGrad = field(*tm, "requires_grad") && truthy(*field(*tm, "requires_grad"));
    std::string pathName = std::string(strField(meta, "path_name"));
    if (pathName.empty())
      fail(where + ": no path_name");
    t.storage = dir + pathName;
    absl::StatusOr<llvm::ArrayRef<uint8_t>> bytes = archive_->read(t.storage);
    if (!bytes.ok())
      fail(where + ": " + std::string(bytes.status().message()));
    t.storageBytes = *bytes;
    // A compressed entry was inflated into the Archive, which may not outlive the
    // program: the program keeps its own copy (one per storage).
    if (!archive_->isStored(t.storage)) {
      auto &copy = inflated_[t.storage];
      if (!copy) {
        copy = std::make_shared<std::vector<uint8_t>>(bytes->begin(), bytes->end());
        prog_.weights.keepAlive.push_back(copy);
      }
      t.storageBytes = *copy;
    }
    checkExtent(t, where);
    prog_.weights.tensors.push_back(std::move(t));
  }
}

// The bytes a tensor's sizes, strides and offset reach must lie in its storage.
// Arithmetic is checked, so absurd sizes are an error, not an overflow.
void Reader::checkExtent(const TensorData &t, const std::string &where) {
  bool empty = llvm::is_contained(t.sizes, 0);
  if (t.storageBytes.empty() && !empty)
    fail(where + ": storage " + t.storage + " is empty (a fake-tensor record); fxir "
                 "needs the tensor's data");
  if (t.storageOffset < 0)
    fail(where + ": negative or symbolic storage_offset");
  uint64_t maxIndex = static_cast<uint64_t>(t.storageOffset);
  for (size_t i = 0; i < t.sizes.size(); ++i) {
    if (t.sizes[i] < 0 || t.strides[i] < 0)
      fail(where + ": negative size or stride");
    if (t.sizes[i] == 0)
      return; // empty tensor reads nothing
    uint64_t step;
    if (__builtin_mul_overflow(static_cast<uint64_t>(t.sizes[i] - 1),
                               static_cast<uint64_t>(t.strides[i]), &step) ||
        __builtin_add_overflow(maxIndex, step, &maxIndex))
      fail(where + ": sizes and strides overflow 64 bits");
  }
  uint64_t need;
  if (__builtin_add_overflow(maxIndex, 1, &need) ||
      __builtin_mul_overflow(need, static_cast<uint64_t>(byteSize(t.dtype)), &need))
    fail(where + ": sizes and strides overflow 64 bits");
  if (need > t.storageBytes.size())
    fail(where + ": needs " + std::to_string(need) + " bytes of storage " + t.storage +
         " but the entry holds " + std::to_string(t.storageBytes.size()));
}

// Every parameter, buffer and tensor constant the signature names has stored data of
// the placeholder's dtype and shape.
void Reader::checkTensorsAgainstSignature() {
  Graph &g = *prog_.graph;
  for (unsigned i = 0; i < g.inputSpecs().size(); ++i) {
    const InputSpec &spec = g.inputSpecs()[i];
    if (spec.kind != InputSpec::Kind::Parameter && spec.kind != InputSpec::Kind::Buffer &&
        spec.kind != InputSpec::Kind::TensorConstant)
      continue;
    std::string what = entry_ + ": " + inputKindName(spec.kind).str() + " " + spec.target.str();
    const TensorData *t = prog_.weights.find(spec.target);
    if (!t)
      fail(what + " has no stored tensor in the weights or constants config");
    const Type *ty = g.body().arg(i)->type();
    if (!ty->isTensor())
      fail(what + " is not a tensor in the graph");
    if (ty->dtype() != t->dtype)
      fail(what + " is " + std::string(irName(ty->dtype())) + " in the graph but stored as " +
           std::string(irName(t->dtype)));
    bool sameShape = ty->rank() == t->sizes.size();
    for (size_t d = 0; sameShape && d < t->sizes.size(); ++d)
      sameShape = ty->shape()[d] == ctx_.constant(t->sizes[d]);
    if (!sameShape)
      fail(what + " has shape " + ty->str() + " in the graph but the stored tensor's sizes "
                  "differ");
  }
  markSharedConstants();
}

void Reader::markSharedConstants() {
  // A tensor constant whose stored tensor is a buffer's or parameter's (one storage
  // entry, the same view): non-strict export lifts a buffer reached through a plain
  // attribute so. Prefer a buffer or parameter of the signature, else any other stored
  // tensor that is no constant of the signature (a buffer the graph does not read).
  Graph &g = *prog_.graph;
  llvm::StringSet<> constants, weightsOfSignature;
  for (const InputSpec &s : g.inputSpecs()) {
    if (s.kind == InputSpec::Kind::TensorConstant)
      constants.insert(s.target);
    else if (s.kind == InputSpec::Kind::Buffer || s.kind == InputSpec::Kind::Parameter)
      weightsOfSignature.insert(s.target);
  }
  auto sameView = [](const TensorData &a, const TensorData &b) {
    return a.storage == b.storage && a.storageOffset == b.storageOffset && a.sizes == b.sizes &&
           a.strides == b.strides && a.dtype == b.dtype;
  };
  // A part of a tensor that is contiguous from storage offset 0 (a slice of a cache
  // reached through a plain attribute): the constant is an as_strided view of it.
  auto contiguousFromZero = [](const TensorData &t) {
    int64_t expect = 1;
    for (size_t d = t.sizes.size(); d-- > 0;) {
      if (t.sizes[d] != 1 && (d >= t.strides.size() || t.strides[d] != expect))
        return false;
      expect *= t.sizes[d];
    }
    return t.storageOffset == 0;
  };
  auto within = [](const TensorData &part, const TensorData &whole) {
    int64_t last = part.storageOffset, numel = 1;
    for (size_t d = 0; d < part.sizes.size(); ++d) {
      if (part.sizes[d] == 0)
        return true;
      if (d >= part.strides.size() || part.strides[d] < 0)
        return false;
      last += (part.sizes[d] - 1) * part.strides[d];
    }
    for (int64_t n : whole.sizes)
      numel *= n;
    return last < numel;
  };
  // Stored tensors by storage entry.
  llvm::StringMap<llvm::SmallVector<const TensorData *, 2>> byStorage;
  for (const TensorData &t : prog_.weights.tensors)
    byStorage[t.storage].push_back(&t);
  for (unsigned i = 0; i < g.inputSpecs().size(); ++i) {
    InputSpec &spec = g.inputSpecs()[i];
    if (spec.kind != InputSpec::Kind::TensorConstant || i >= g.body().numArgs())
      continue;
    const TensorData *c = prog_.weights.find(spec.target);
    if (!c)
      continue;
    // A part is read through as_strided with the strides of the constant's type: only
    // when they are the stored ones.
    const Type *ct = g.body().arg(i)->type();
    bool layoutAsStored = ct->isTensor() && ct->layoutKnown() && ct->rank() == c->strides.size();
    if (layoutAsStored) {
      llvm::SmallVector<const SymExpr *, 6> st(ct->strides().begin(), ct->strides().end());
      if (st.empty())
        st = ctx_.contiguousStrides(ct->shape());
      for (size_t d = 0; d < st.size() && layoutAsStored; ++d)
        layoutAsStored = st[d]->asConst() == std::optional<int64_t>(c->strides[d]);
    }
    const TensorData *best = nullptr;
    bool bestExact = false;
    for (const TensorData *t : byStorage[c->storage]) {
      if (t == c || constants.contains(t->fqn) || t->dtype != c->dtype)
        continue;
      bool exact = sameView(*t, *c);
      if (!exact && !(layoutAsStored && contiguousFromZero(*t) && within(*c, *t)))
        continue;
      // Prefer a weight the graph takes (functionalize can then tie the two), then the
      // same view.
      auto rank = [&](const TensorData *x, bool e) {
        return 2 * weightsOfSignature.contains(x->fqn) + e;
      };
      if (!best || rank(t, exact) > rank(best, bestExact))
        best = t, bestExact = exact;
    }
    if (!best)
      continue;
    spec.shares = ctx_.intern(best->fqn);
    if (!bestExact)
      spec.sharesAt = c->storageOffset;
  }
}

} // namespace fxir::pt2::detail
