//===- Stage.h - what a program is known to be: stages passes require and establish ===//
//
// A stage is a property of the whole program that passes and backends rely on:
//   functional  no op writes an argument (what functionalize establishes);
//   structured  no higher-order op is left: control flow is fxir.for, fxir.while and
//               fxir.if (what lower-control-flow establishes).
// Each pass declares the stages it requires and those it establishes (Passes.def);
// each backend the stages it requires (driver/Backends.def). The pass manager checks
// both: before a pass, a required stage must hold (it holds on the input, or an earlier
// pass established it), else a clear error names the missing stage and the pass that
// establishes it; after a pass, every stage it establishes is verified. Passes that do
// not mention a stage keep it (cse, dce, canonicalize change no writes and add no
// higher-order op).
//
// Does not: order passes by itself (a pipeline is what the user wrote).
//===----------------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <string>

#include "fxir/ir/Graph.h"

#include "absl/status/status.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

namespace fxir {

enum class Stage : uint8_t { Functional = 1 << 0, Structured = 1 << 1 };

/// Every stage, in order.
llvm::ArrayRef<Stage> allStages();
/// "functional", "structured".
llvm::StringRef stageName(Stage s);

/// A set of stages (small bit set).
class StageSet {
public:
  constexpr StageSet() = default;
  constexpr StageSet(Stage s) : bits_(static_cast<uint8_t>(s)) {}
  constexpr StageSet(std::initializer_list<Stage> stages) {
    for (Stage s : stages)
      bits_ |= static_cast<uint8_t>(s);
  }
  bool has(Stage s) const { return bits_ & static_cast<uint8_t>(s); }
  bool contains(StageSet o) const { return (bits_ & o.bits_) == o.bits_; }
  bool empty() const { return bits_ == 0; }
  StageSet operator|(StageSet o) const { return fromBits(bits_ | o.bits_); }
  StageSet operator-(StageSet o) const { return fromBits(bits_ & ~o.bits_); }
  bool operator==(StageSet o) const { return bits_ == o.bits_; }
  /// "functional, structured" (empty: "none").
  std::string str() const;

private:
  static StageSet fromBits(unsigned b) {
    StageSet s;
    s.bits_ = static_cast<uint8_t>(b);
    return s;
  }
  uint8_t bits_ = 0;
};

/// Whether `s` holds on `g`: OK, or why not (naming the first op that breaks it).
absl::Status checkStage(const Graph &g, Stage s);
/// The stages that hold on `g`.
StageSet stagesOf(const Graph &g);

} // namespace fxir
