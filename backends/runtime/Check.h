//===- Check.h - compare a run with what eager PyTorch computed ----------------------===//
//
// The comparison behind `fxir-run --expect` and the end-to-end tests. The expected
// file holds `output_<i>` per tensor output, `mutated_input_<k>` per input eager
// changed, `buffer.<fqn>` per buffer eager changed, and (corpus files) an "fxir_corpus"
// metadata entry describing non-tensor outputs. Every one of those is compared, the
// output count too, and so is every input the program changed that eager left alone.
// Tolerances: per dtype (TensorFile.h) unless rtol/atol >= 0 override them for
// floating-point tensors.
//===----------------------------------------------------------------------------===//
#pragma once

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

} // namespace fxir::runtime
