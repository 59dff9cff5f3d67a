//===- Stage.cpp --------------------------------------------------------------------===//
#include "fxir/passes/Stage.h"

#include "fxir/ir/Verifier.h"

namespace fxir {

llvm::ArrayRef<Stage> allStages() {
  static const Stage kStages[] = {Stage::Functional, Stage::Structured};
  return kStages;
}

llvm::StringRef stageName(Stage s) {
  switch (s) {
  case Stage::Functional: return "functional";
  case Stage::Structured: return "structured";
  }
  return "?";
}

std::string StageSet::str() const {
  std::string out;
  for (Stage s : allStages())
    if (has(s))
      out += (out.empty() ? "" : ", ") + stageName(s).str();
  return out.empty() ? "none" : out;
}

absl::Status checkStage(const Graph &g, Stage s) {
  switch (s) {
  case Stage::Functional: return verifyFunctional(g);
  case Stage::Structured: return verifyStructured(g);
  }
  return absl::InternalError("unknown stage");
}

StageSet stagesOf(const Graph &g) {
  StageSet out;
  for (Stage s : allStages())
    if (checkStage(g, s).ok())
      out = out | s;
  return out;
}

} // namespace fxir
