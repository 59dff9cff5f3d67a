//===- CSE.cpp - common subexpression elimination ------------------------------------===//
//
// Merges an op into an earlier identical one in the same region: same name, operands,
// args and result types, pure (Effects.h) and without regions. The kept op's provenance
// becomes the merge of both (with the most informative source location) and records
// (cse, merged ...). An op that writes an argument is a barrier: nothing before it is
// reused after it, since what it read may have changed. Ops in different regions are
// never merged.
//===----------------------------------------------------------------------------===//
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include <sys/mman.h>
#include <vector>

#include "fxir/ir/Builder.h"
#include "fxir/passes/Effects.h"
#include "fxir/passes/PassRegistry.h"


namespace fxir {
namespace {

// A cheap multiply-xorshift mix: the table keeps the full hash beside each entry and
// sameOp decides, so the hash only has to spread well, and llvm::hash_combine per field
// cost more than the rest of the scan.
struct Mix {
  uint64_t h = 0x2545F4914F6CDD1DULL;
  void add(uint64_t x) {
    h = (h ^ x) * 0x9E3779B97F4A7C15ULL;
    h ^= h >> 32;
  }
  void add(const void *p) { add(reinterpret_cast<uintptr_t>(p)); }
};

// Consistent with Attr's operator== for op args: their strings are interned by
// Op::create, so equal strings have equal pointers.
void mixAttr(Mix &m, const Attr &a) {
  m.add(static_cast<uint64_t>(a.kind()));
  switch (a.kind()) {
  case Attr::Kind::None: return;
  case Attr::Kind::Float: {
    double x = a.floatValue();
    uint64_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    m.add(bits);
    return;
  }
  case Attr::Kind::Str:
  case Attr::Kind::Device:
  case Attr::Kind::Layout:
  case Attr::Kind::MemoryFormat: m.add(a.stringValue().data()); return;
  case Attr::Kind::List:
    m.add(a.listValue().size());
    for (const Attr &e : a.listValue())
      mixAttr(m, e);
    return;
  default: m.add(static_cast<uint64_t>(a.intValue())); return;
  }
}

unsigned hashOp(const Op &op) {
  Mix m;
  m.add(op.name().data()); // interned
  for (unsigned i = 0; i < op.numOperands(); ++i)
    m.add(op.operandValue(i));
  for (const Arg &a : op.args()) { // arg names are interned: hash the pointer
    m.add(a.name.data());
    mixAttr(m, a.value);
  }
  for (unsigned i = 0; i < op.numResults(); ++i)
    m.add(op.result(i)->type());
  return static_cast<unsigned>(m.h ^ (m.h >> 29));
}

bool sameOp(const Op &a, const Op &b) {
  if (a.name().data() != b.name().data() || a.numOperands() != b.numOperands() ||
      a.numResults() != b.numResults() || a.args().size() != b.args().size())
    return false;
  for (unsigned i = 0; i < a.numOperands(); ++i)
    if (a.operandValue(i) != b.operandValue(i))
      return false;
  for (size_t i = 0; i < a.args().size(); ++i)
    if (a.args()[i].name != b.args()[i].name || a.args()[i].value != b.args()[i].value)
      return false;
  for (unsigned i = 0; i < a.numResults(); ++i)
    if (a.result(i)->type() != b.result(i)->type())
      return false;
  return true;
}

// The ops seen so far in a region, keyed by what they compute: open addressing with
// linear probing over 8-byte slots (the hash, so probes rarely read an op, and the op's
// index in the region), sized once for the region's candidates (load at most 2/3).
// Clearing at a barrier resets only the slots filled since the last one. The table is
// the one structure cse reads at random, so it is kept small (8 MB for a million
// candidates), on huge pages when large, and lookups can be announced ahead (prefetch).
class OpTable {
public:
  OpTable(size_t expected, llvm::ArrayRef<Op *> ops) : ops_(ops) {
    size_t cap = 16;
    while (cap * 2 < 3 * expected)
      cap <<= 1;
    mask_ = cap - 1;
    bytes_ = cap * sizeof(Slot);
    constexpr size_t kHuge = size_t(2) << 20;
    if (bytes_ >= kHuge) {
      slots_ = static_cast<Slot *>(std::aligned_alloc(kHuge, bytes_));
#ifdef MADV_HUGEPAGE
      if (slots_)
        madvise(slots_, bytes_, MADV_HUGEPAGE); // a hint; fine if refused
#endif
    } else {
      slots_ = static_cast<Slot *>(std::malloc(bytes_));
    }
    if (!slots_)
      throw std::bad_alloc();
    std::uninitialized_fill_n(slots_, cap, Slot{});
  }
  ~OpTable() { std::free(slots_); }
  OpTable(const OpTable &) = delete;
  OpTable &operator=(const OpTable &) = delete;

  void clear() {
    for (uint32_t i : filled_)
      slots_[i] = Slot{};
    filled_.clear();
  }
  void prefetch(unsigned hash) const { __builtin_prefetch(&slots_[hash & mask_]); }
  /// The earlier op identical to ops[index], or null after recording it.
  Op *lookupOrInsert(unsigned hash, uint32_t index) {
    for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
      Slot &s = slots_[i];
      if (!s.indexPlusOne) {
        s = {hash, index + 1};
        filled_.push_back(static_cast<uint32_t>(i));
        return nullptr;
      }
      if (s.hash == hash && sameOp(*ops_[s.indexPlusOne - 1], *ops_[index]))
        return ops_[s.indexPlusOne - 1];
    }
  }

private:
  struct Slot {
    uint32_t hash = 0;
    uint32_t indexPlusOne = 0; // 0: empty
  };
  llvm::ArrayRef<Op *> ops_;
  Slot *slots_ = nullptr;
  size_t mask_ = 0, bytes_ = 0;
  std::vector<uint32_t> filled_;
};

class CSEPass : public Pass {
public:
  absl::StatusOr<bool> run(Graph &g, PassContext &ctx) override {
    PassStatistics &stats = ctx.stats();
    effects_.reset();
    written_ = std::make_unique<WrittenValues>(g, effects_);
    Rewriter rw(g, "cse");
    int64_t merged = 0;
    visit(g.body(), rw, merged);
    stats["ops-merged"] += merged;
    return merged > 0;
  }

private:
  EffectAnalysis effects_;
  std::unique_ptr<WrittenValues> written_;

  // Pure, no regions, and no result written in place later (directly or through an
  // alias): two fresh tensors that are each written must stay two tensors.
  bool candidate(const Op &op) {
    if (op.numRegions() || !op.numResults() || op.isTerminator() || effects_.hasEffect(op))
      return false;
    if (op.is(FxirOp::Alloc)) // each allocation is its own storage
      return false;
    for (unsigned i = 0; i < op.numResults(); ++i)
      if (written_->written(op.result(i)))
        return false;
    return true;
  }

  void visit(Region &r, Rewriter &rw, int64_t &merged) {
    // Regions first (their tables are their own), so the walk below sees no nesting.
    // What each op is for cse (barrier, candidate, neither) does not change while it
    // runs, so it is decided once here.
    enum : uint8_t { kOther, kCandidate, kBarrier };
    std::vector<Op *> ops;
    std::vector<uint8_t> role;
    size_t candidates = 0;
    for (Op &op : r.ops()) {
      ops.push_back(&op);
      for (unsigned i = 0; i < op.numRegions(); ++i)
        visit(op.region(i), rw, merged);
      uint8_t k = effects_.writes(op) ? kBarrier : candidate(op) ? kCandidate : kOther;
      candidates += k == kCandidate;
      role.push_back(k);
    }
    if (ops.size() > UINT32_MAX)
      return; // indices are 32-bit; no real region comes close
    OpTable seen(candidates, ops);
    // Prefetching pays only when the table is larger than the caches.
    constexpr size_t kAhead = 8;
    bool prefetch = candidates > (size_t(1) << 15);
    for (size_t k = 0; k < ops.size(); ++k) {
      if (prefetch && k + kAhead < ops.size() && role[k + kAhead] == kCandidate)
        seen.prefetch(hashOp(*ops[k + kAhead]));
      if (role[k] == kBarrier) {
        seen.clear(); // values read before may have changed
        continue;
      }
      if (role[k] != kCandidate)
        continue;
      Op &op = *ops[k];
      Op *earlier = seen.lookupOrInsert(hashOp(op), static_cast<uint32_t>(k));
      if (!earlier)
        continue;
      Context &ctx = rw.context();
      // Both ops stay listed as sources of the merged provenance.
      earlier->setProvenance(ctx.merged({earlier->provenance(), op.provenance()},
                                        rw.passName(), "merged a duplicate op"));
      llvm::SmallVector<Value *, 4> repl;
      for (unsigned i = 0; i < earlier->numResults(); ++i)
        repl.push_back(earlier->result(i));
      rw.replaceOp(&op, repl);
      ops[k] = nullptr; // erased; never in the table, so never read again
      ++merged;
    }
  }
};

} // namespace

std::unique_ptr<Pass> createCSEPass(const PassOptions &) { return std::make_unique<CSEPass>(); }
llvm::ArrayRef<PassOptionSpec> cseOptions() { return {}; }

} // namespace fxir
