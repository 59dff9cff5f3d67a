//===- Check.h - compare a run with what eager PyTorch computed ----------------------===//
//
// The comparison behind `fxir-run --expect` and the end-to-end tests. The expected
// file holds `output_<i>` per tensor output, `mutated_input_<k>` per input eager
// changed, `buffer.<fqn>` per buffer eager changed, and (corpus files) an "fxir_corpus"
// metadata entry describing non-tensor outputs. Every one of those is compared, the
// output count too, and so is every input the program changed that eager left alone.
// Tolerances: per dtype (TensorFile.h) unless rtol/atol >= 0 override them for
// floating-point tensors.
//
// Steps: several calls in a row on one Executable, as a decode loop makes them (a KV
// cache in buffers or in written inputs carries over between calls; StepRule says how
// the next call's token and position come from the call before), each checked against
// a steps file's `step<s>.` entries (tests/corpus/generate.py writes them from eager).
//===----------------------------------------------------------------------------===//
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "fxir/backends/runtime/Executable.h"
#include "fxir/backends/runtime/TensorFile.h"

namespace fxir::runtime {

struct ExpectReport {
  size_t compared = 0;
  /// (what, how it differs), e.g. ("output_0", "3 of 8 elements differ; ...").
  std::vector<std::pair<std::string, std::string>> mismatches;
  bool ok() const { return mismatches.empty(); }
};

/// "Float[2, 4]" for a tensor, the value itself otherwise (for messages and listings).
std::string describeValue(const c10::IValue &v);

/// `values` with every tensor copied: the inputs as they were before a run that may
/// write them (the `pristine` of checkExpected), or fresh inputs for another run.
std::vector<c10::IValue> cloneTensors(const std::vector<c10::IValue> &values);

/// `inputs` as they are after the run, `pristine` as they were before it.
ExpectReport checkExpected(const Executable &exe, const std::vector<c10::IValue> &inputs,
                           const std::vector<c10::IValue> &pristine,
                           const std::vector<c10::IValue> &outs, const TensorFile &expected,
                           double rtol = -1, double atol = -1);

/// How each call after the first gets its inputs from the call before: input `i` becomes
/// (a copy of) output `o` for each (o, i) in `feed`, input `i` grows by `k` for each
/// (i, k) in `advance` (a tensor or an int); every other input is passed again as it is
/// (after the call: a cache the program writes carries over).
struct StepRule {
  unsigned steps = 1;
  std::vector<std::pair<unsigned, unsigned>> feed;
  std::vector<std::pair<unsigned, int64_t>> advance;
  /// "8 steps; input 0 := output 1; input 1 += 1".
  std::string str() const;
};

/// From `O=I` (feed) and `I=K` (advance) texts, as fxir-run's --feed and --advance
/// take them; errors name the bad text.
absl::StatusOr<StepRule> parseStepRule(unsigned steps, const std::vector<std::string> &feed,
                                       const std::vector<std::string> &advance);
/// The rule a steps file records (its "fxir_corpus" metadata's "decode" object).
absl::StatusOr<StepRule> stepRuleOf(const TensorFile &steps, const std::string &path);
/// What step `s` expects: the file's `step<s>.` entries, the prefix removed (an
/// expected file for checkExpected).
TensorFile stepExpectation(const TensorFile &steps, unsigned s);

/// Runs `rule.steps` calls on `exe`, the first on `inputs`. After each call,
/// `onStep(s, inputs after the call, inputs before it, outputs)`. Errors (a run error, a
/// feed naming an output or input the program does not have, an advance of a
/// non-number) name the step.
absl::Status runSteps(
    const Executable &exe, std::vector<c10::IValue> inputs, const StepRule &rule,
    const std::function<void(unsigned, const std::vector<c10::IValue> &,
                             const std::vector<c10::IValue> &,
                             const std::vector<c10::IValue> &)> &onStep);

} // namespace fxir::runtime
