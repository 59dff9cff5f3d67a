//===- OpInfo.cpp ---------------------------------------------------------------------===//
#include "fxir/ir/OpInfo.h"

#include <memory>
#include <mutex>
#include <vector>

#include "fxir/ir/OpSchema.h"
#include "fxir/ir/Verifier.h"
#include "fxir/ir/ViewOps.h"

#include "llvm/ADT/StringMap.h"

namespace fxir {

bool OpInfo::hasTag(llvm::StringRef tag) const {
  return schema && schema->hasTag(std::string_view(tag.data(), tag.size()));
}

namespace {

const OpInfo kFxirRows[] = {
#define FXIR_OP(Enum, Name, NumRegions, Terminator, Pure, Isolated, Regions, Summary)       \
  OpInfo{Name,      OpInfo::Kind::Fxir, FxirOp::Enum,         HopKind::None,              \
         nullptr,   NumRegions,         RegionLayout::Regions, Pure,                        \
         false,     Terminator,         Isolated,              Summary},
#include "fxir/ir/FxirOps.def"
};

// The control-flow HOPs: pure apart from their bodies. Any other HOP (with_effects,
// triton kernels, ...) is assumed to have an effect.
const OpInfo kHopRows[] = {
    {"higher_order.scan", OpInfo::Kind::Hop, FxirOp::None, HopKind::Scan, nullptr, 1,
     RegionLayout::HopBodies, true, false, false, false,
     "scan(combine_fn, [init...], [xs...], [additional...])"},
    {"higher_order.cond", OpInfo::Kind::Hop, FxirOp::None, HopKind::Cond, nullptr, 2,
     RegionLayout::HopBodies, true, false, false, false,
     "cond(pred, true_fn, false_fn, [operands...])"},
    {"higher_order.while_loop", OpInfo::Kind::Hop, FxirOp::None, HopKind::WhileLoop, nullptr,
     2, RegionLayout::HopBodies, true, false, false, false,
     "while_loop(cond_fn, body_fn, [carried...], [additional...])"},
    {"higher_order.map_impl", OpInfo::Kind::Hop, FxirOp::None, HopKind::Map, nullptr, 1,
     RegionLayout::HopBodies, true, false, false, false,
     "map_impl(f, [xs...], [additional...])"},
};
const OpInfo kOtherHop = {"higher_order", OpInfo::Kind::Hop, FxirOp::None, HopKind::Other,
                          nullptr, -1, RegionLayout::HopBodies, false, false, false, false,
                          "a higher-order op fxir does not know"};
// Python arithmetic on (symbolic) scalars is pure; other Python-level calls may not be.
const OpInfo kPurePython = {"python", OpInfo::Kind::Python, FxirOp::None, HopKind::None,
                            nullptr, 0, RegionLayout::None, true, false, false, false,
                            "a Python-level scalar op (_operator.*, math.*, torch.sym_*)"};
const OpInfo kOtherPython = {"python", OpInfo::Kind::Python, FxirOp::None, HopKind::None,
                             nullptr, 0, RegionLayout::None, false, false, false, false,
                             "a Python-level call (torch.*, builtins.*)"};
const OpInfo kUnknown = {"unknown", OpInfo::Kind::Unknown, FxirOp::None, HopKind::None,
                         nullptr, -1, RegionLayout::Other, false, false, false, false,
                         "an op fxir does not know"};

// One row per schema of the builtin table, parallel to it, made on first use.
// One row per schema of the built-in table, each built the first time its op is
// looked up (building one parses its schema: the table is lazy).
struct DispatcherRows {
  std::vector<OpInfo> rows;
  std::unique_ptr<std::once_flag[]> once;
};
DispatcherRows &dispatcherRows() {
  static DispatcherRows *d = [] {
    auto *out = new DispatcherRows();
    size_t n = OpSchemaTable::builtin().size();
    out->rows.resize(n);
    out->once.reset(new std::once_flag[n]);
    return out;
  }();
  return *d;
}

const OpInfo *dispatcherRow(const OpSchema &s) {
  DispatcherRows &d = dispatcherRows();
  size_t i = OpSchemaTable::builtin().indexOf(s);
  std::call_once(d.once[i], [&] {
    OpInfo &info = d.rows[i];
    info.kind = OpInfo::Kind::Dispatcher;
    info.schema = &s;
    info.writes = s.isMutating();
    // An effect: writing an argument, advancing a random generator, or returning
    // nothing (asserts, prints).
    info.pure = !info.writes && !s.hasTag("nondeterministic_seeded") && !s.returns.empty();
    info.summary = "an operator of the schema table";
    std::string name = s.ns + "." + s.name + "." + (s.overload.empty() ? "default" : s.overload);
    info.view = lookupViewOp(name);
  });
  return &d.rows[i];
}

struct Registry {
  std::mutex mutex;
  llvm::StringMap<const OpInfo *> byName;
};
Registry &registry() {
  static Registry *r = new Registry(); // never destroyed: rows are looked up until exit
  return *r;
}

} // namespace

llvm::StringRef fxirOpName(FxirOp op) {
  return op == FxirOp::None ? llvm::StringRef() : kFxirRows[static_cast<unsigned>(op) - 1].name;
}

void registerOpTable(llvm::ArrayRef<OpInfo> rows) {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  for (const OpInfo &row : rows)
    r.byName[row.name] = &row;
}

const OpInfo *lookupOpInfo(llvm::StringRef name) {
  if (name.starts_with("fxir.")) {
    for (const OpInfo &row : kFxirRows)
      if (row.name == name)
        return &row;
    return &kUnknown;
  }
  {
    Registry &r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    if (auto it = r.byName.find(name); it != r.byName.end())
      return it->second;
  }
  if (name.starts_with("higher_order.")) {
    for (const OpInfo &row : kHopRows)
      if (row.name == name)
        return &row;
    return &kOtherHop;
  }
  if (isPythonLevelOp(name))
    return name.starts_with("_operator.") || name.starts_with("math.") ||
                   name.starts_with("torch.sym_")
               ? &kPurePython
               : &kOtherPython;
  if (auto split = splitDispatcherName(name)) {
    const OpSchemaTable &table = OpSchemaTable::builtin();
    absl::StatusOr<const OpSchema *> s = table.lookup(split->first, split->second);
    if (s.ok())
      return dispatcherRow(**s);
  }
  return &kUnknown;
}

} // namespace fxir
