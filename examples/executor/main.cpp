// Runs an exported model through fxir's C++ API: load the .pt2, run the `default`
// pipeline, compile for the interp backend, run on the inputs of a safetensors file and
// compare with the expected results (as eager PyTorch computed them).
//   fxir-run-model MODEL.pt2 INPUTS.safetensors EXPECTED.safetensors
#include <iostream>

#include "fxir/backends/runtime/Check.h"
#include "fxir/backends/runtime/Runtime.h"
#include "fxir/backends/runtime/TensorFile.h"

int main(int argc, char **argv) {
  if (argc != 4) {
    std::cerr << "usage: fxir-run-model MODEL.pt2 INPUTS.safetensors EXPECTED.safetensors\n";
    return 2;
  }
  fxir::runtime::CompileOptions options;
  options.pipeline = "default";
  auto exe = fxir::runtime::compile(argv[1], options);
  if (!exe.ok()) {
    std::cerr << "compile: " << exe.status().message() << "\n";
    return 1;
  }
  auto file = fxir::runtime::readTensorFile(argv[2]);
  auto expected = fxir::runtime::readTensorFile(argv[3]);
  if (!file.ok() || !expected.ok()) {
    std::cerr << (file.ok() ? expected.status() : file.status()).message() << "\n";
    return 1;
  }
  auto inputs = fxir::runtime::inputsFromFile(*file, argv[2]);
  if (!inputs.ok()) {
    std::cerr << inputs.status().message() << "\n";
    return 1;
  }
  std::vector<c10::IValue> before = fxir::runtime::cloneTensors(*inputs);
  auto outputs = (*exe)->run(*inputs);
  if (!outputs.ok()) {
    std::cerr << "run: " << outputs.status().message() << "\n";
    return 1;
  }
  fxir::runtime::ExpectReport report =
      fxir::runtime::checkExpected(**exe, *inputs, before, *outputs, *expected);
  for (const auto &[what, how] : report.mismatches)
    std::cout << "MISMATCH " << what << ": " << how << "\n";
  std::cout << argv[1] << ": " << (*exe)->inputs().size() << " inputs, " << outputs->size()
            << " outputs; " << report.compared - report.mismatches.size() << " of "
            << report.compared << " values match eager\n";
  return report.ok() ? 0 : 1;
}
