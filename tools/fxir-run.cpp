//===- fxir-run.cpp - compile, run, check ---------------------------------------===//
//
// The run driver. Today: --version and a dispatcher self-check that calls ATen ops
// by name (the executor's mechanism). Running imported programs arrives with the
// reference-executor issue.
//===----------------------------------------------------------------------------===//
#include "fxir/backends/interp/AtenCall.h"
#include "fxir/ir/Version.h"

#include <ATen/ops/add.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/full.h>
#include <ATen/ops/mm.h>

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

namespace cl = llvm::cl;

int main(int argc, char **argv) {
  cl::opt<bool> selfCheck("dispatcher-self-check",
                          cl::desc("Call aten::add.Tensor and aten::mm by name and "
                                   "check the results against direct ATen calls"));
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << fxir::versionString() << ", LibTorch " << FXIR_TORCH_VERSION << "\n";
  });
  if (!cl::ParseCommandLineOptions(argc, argv, "fxir-run: compile, run, check\n"))
    return 2;
  if (!selfCheck) {
    llvm::errs() << "fxir-run: nothing to do (see --help)\n";
    return 2;
  }
  at::Tensor a = at::arange(6, at::kFloat).reshape({2, 3});
  at::Tensor b = at::full({2, 3}, 0.5, at::kFloat);
  auto sum = fxir::interp::callOp("aten::add", "Tensor", {a, b, c10::Scalar(2)});
  auto mm = fxir::interp::callOp("aten::mm", "", {a, b.t()});
  if (!sum.ok() || !mm.ok()) {
    llvm::errs() << "fxir-run: error: "
                 << std::string((sum.ok() ? mm.status() : sum.status()).message())
                 << "\n";
    return 1;
  }
  bool sumOk = (*sum)[0].toTensor().equal(at::add(a, b, 2));
  bool mmOk = (*mm)[0].toTensor().allclose(at::mm(a, b.t()));
  llvm::outs() << "aten::add.Tensor by name: " << (sumOk ? "matches" : "DIFFERS") << "\n"
               << "aten::mm by name:         " << (mmOk ? "matches" : "DIFFERS") << "\n";
  return sumOk && mmOk ? 0 : 1;
}
