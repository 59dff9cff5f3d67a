//===- TensorFile.h - safetensors files and tensor comparison --------------------------===//
//
// fxir-run reads inputs and expected results from safetensors files (the format the
// corpus and most model hubs use) and writes results to them; the end-to-end tests
// compare with the same code.
//
// Layout of a file: an 8-byte little-endian header size, a JSON header mapping each
// tensor name to {dtype, shape, data_offsets} plus an optional "__metadata__" object
// of strings, then the tensor bytes. fxir's corpus files keep one metadata entry,
// "fxir_corpus", a JSON object (tests/corpus/generate.py documents it).
//
// Default tolerances per dtype (those of torch.testing.assert_close):
//   float64 rtol 1e-7 atol 1e-7; float32 rtol 1.3e-6 atol 1e-5;
//   float16 rtol 1e-3 atol 1e-5; bfloat16 rtol 1.6e-2 atol 1e-5;
//   integers and bool: exact. NaN equals NaN at the same position; infinities must
//   match exactly.
//===----------------------------------------------------------------------------===//
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <ATen/core/ivalue.h>

#include "absl/status/statusor.h"

namespace fxir::runtime {

struct TensorFile {
  std::map<std::string, at::Tensor> tensors;
  std::map<std::string, std::string> metadata;
};

absl::StatusOr<TensorFile> readTensorFile(const std::string &path);
absl::Status writeTensorFile(const std::string &path, const TensorFile &file);

/// The user inputs a corpus-style input file describes: `input_<i>` tensors and, from
/// the "fxir_corpus" metadata, the non-tensor leaves (ints, floats, bools, None), in
/// leaf order. Without that metadata: the tensors named `input_<i>` by index.
absl::StatusOr<std::vector<c10::IValue>> inputsFromFile(const TensorFile &file,
                                                        const std::string &path);

struct Tolerance {
  double rtol = 0, atol = 0;
};
Tolerance defaultTolerance(c10::ScalarType t);

/// Empty if `actual` matches `expected` (same dtype and shape, values within
/// tolerance); otherwise one line saying how: dtype or shape, or the max absolute and
/// relative error and the index of the worst element.
std::string compareTensors(const at::Tensor &actual, const at::Tensor &expected,
                           std::optional<Tolerance> tol = std::nullopt);

} // namespace fxir::runtime
