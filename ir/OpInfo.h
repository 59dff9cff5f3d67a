//===- OpInfo.h - what an op is, resolved once when it is created ------------------===//
//
// Every op points at one info row (Op::info()), found from its name when the op is
// created and never again by string comparison:
//   fxir       fxir's own ops, one row each from FxirOps.def with their traits;
//   dispatcher ATen and the other namespaces of the operator schema table: one row per
//              schema, carrying the schema (and so its tags: `pointwise`, `reduction`,
//              ...) and what follows from it (writes an argument, has an effect);
//   hop        the control-flow higher-order ops (scan, cond, while_loop, map_impl),
//              one row each; any other `higher_order.*` op shares a generic row;
//   python     Python-level scalar ops (`_operator.*`, `math.*`, `torch.sym_*`,
//              `builtins.*`): two generic rows, pure and not;
//   registered tables that a later layer registers (a code generator's kernel-IR ops),
//              found by name;
//   unknown    anything else (the verifier reports it).
// Rows are immutable and global (safe to read from any thread); registering a table is
// thread-safe.
//
// Traits: `pure` (no effect apart from its regions: removable and mergeable when its
// results are unused or equal), `terminator`, the number of regions and how their
// arguments are laid out, `isolatedFromAbove` (its regions use no value defined outside
// them).
//
// Does not: decode an op's arguments (ControlFlow.h does for the structured and
// higher-order ops) or know shapes.
//===----------------------------------------------------------------------------===//
#pragma once

#include <cstdint>

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

namespace fxir {

struct OpSchema;
struct ViewInfo;

/// fxir's own ops (FxirOps.def).
enum class FxirOp : uint8_t {
  None,
#define FXIR_OP(Enum, Name, NumRegions, Terminator, Pure, Isolated, Regions, Summary) Enum,
#include "fxir/ir/FxirOps.def"
};

/// The control-flow higher-order ops fxir knows.
enum class HopKind : uint8_t { None, Scan, Cond, WhileLoop, Map, Other };

/// How an op's regions take their arguments.
enum class RegionLayout : uint8_t {
  None,       ///< no regions
  LoopBody,   ///< one region (%i, %carried...) -> next carried (fxir.for)
  WhileLoop,  ///< two regions (%carried...): the condition, then the body (fxir.while)
  Branches,   ///< two regions without arguments yielding the results (fxir.if)
  HopBodies,  ///< subgraphs taking the operands of the op's list args (higher_order.*)
  Other,      ///< described by the owning table
};

struct OpInfo {
  enum class Kind : uint8_t { Fxir, Dispatcher, Hop, Python, Registered, Unknown };
  llvm::StringRef name;     ///< the op's name, or the family for generic rows
  Kind kind = Kind::Unknown;
  FxirOp fxir = FxirOp::None;
  HopKind hop = HopKind::None;
  const OpSchema *schema = nullptr; ///< dispatcher ops
  int numRegions = 0;               ///< -1: any
  RegionLayout regions = RegionLayout::None;
  bool pure = false;                ///< no effect apart from its regions
  bool writes = false;              ///< writes an argument (`Tensor(a!)`)
  bool terminator = false;
  bool isolatedFromAbove = false;
  llvm::StringRef summary = {};
  const ViewInfo *view = nullptr;   ///< dispatcher ops in ViewOps.def (ViewOps.h)

  /// ATen tag from the schema table (`pointwise`, `reduction`, `core`, ...).
  bool hasTag(llvm::StringRef tag) const;
};

/// The row for an op name (never null): fxir ops, registered tables, the schema table,
/// higher-order and Python ops, else the unknown row. Thread-safe; Context caches it.
const OpInfo *lookupOpInfo(llvm::StringRef name);

/// fxir op `op`'s name ("fxir.yield").
llvm::StringRef fxirOpName(FxirOp op);

/// Registers rows for ops of a later layer (a code generator's kernel IR). Names must
/// not collide with another table's; the rows must outlive every Context that uses
/// them. Explicit (no static initializers), idempotent for the same table, thread-safe.
void registerOpTable(llvm::ArrayRef<OpInfo> rows);

} // namespace fxir
