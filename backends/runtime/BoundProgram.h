//===- BoundProgram.h - a program bound to ATen: weights, input checks, write-back --===//
//
// What every backend's Executable shares, so their semantics cannot drift apart:
//  - weights bound without copies: one storage per stored entry over the read-only
//    mapping, kept alive by the storage (so tensors aliasing a weight outlive the
//    program); a weight the program writes (an in-place op on it or a view of it, or a
//    mutation output naming it; Effects.h) gets one private copy of its storage; FQNs
//    sharing a storage keep sharing one;
//  - the user inputs (InputInfo) and their checks against the signature: count, kind,
//    dtype, rank, static dims, symbols within their ranges and equal across inputs,
//    derived dims, specialized constants, layout and device, and written inputs that
//    overlap other inputs or themselves (an expanded tensor);
//  - the graph's arguments for a call (weights and inputs in signature order);
//  - the outputs after a call: user outputs (a view of a read-only weight returned as a
//    copy, the caller may write it), and mutation outputs written back into their
//    buffer, parameter or user input unless already written in place.
//
// Does not: run anything (backends do).
//===----------------------------------------------------------------------------===//
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <ATen/core/ivalue.h>

#include "fxir/backends/runtime/Executable.h"
#include "fxir/ir/Program.h"

#include "absl/status/statusor.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringMap.h"

namespace fxir::runtime {

class BoundProgram {
public:
  /// Verifies the graph and binds the weights. Errors name the file and the weight.
  static absl::StatusOr<std::unique_ptr<BoundProgram>>
  create(std::shared_ptr<const Program> program);

  const Program &program() const { return *program_; }
  const std::shared_ptr<const Program> &programPtr() const { return program_; }
  const std::vector<InputInfo> &inputs() const { return inputs_; }
  std::optional<at::Tensor> weight(llvm::StringRef fqn) const;
  const std::vector<std::string> &mutatedWeights() const { return mutatedWeights_; }
  /// Whether `t`'s storage is a read-only weight mapping (nothing may write it).
  bool isReadOnly(const at::Tensor &t) const;
  /// Whether the program must not write `t`'s storage: a read-only mapping, or a
  /// weight storage (the caller's, or a private copy) that no mutated weight lives in.
  /// A backend that finds such a write refuses it (the write analysis missed it).
  bool mustNotWrite(const at::Tensor &t) const;

  /// The user inputs against the signature: OK, or the first rule broken, naming the
  /// input.
  /// Its status carries the payload kInputErrorPayload (Executable.h).
  absl::Status checkInputs(const std::vector<c10::IValue> &inputs) const;
  /// The graph's arguments: the bound weights and the (checked) user inputs.
  std::vector<c10::IValue> graphArguments(const std::vector<c10::IValue> &inputs) const;
  /// The user outputs of a call whose graph yielded `outs`, after writing mutation
  /// outputs back; `backend` names the caller in errors.
  absl::StatusOr<std::vector<c10::IValue>> finish(std::vector<c10::IValue> outs,
                                                  const std::vector<c10::IValue> &inputs,
                                                  llvm::StringRef backend) const;

private:
  BoundProgram() = default;
  absl::Status init();
  absl::Status checkInputsImpl(const std::vector<c10::IValue> &inputs) const;
  absl::Status bindWeights();

  std::shared_ptr<const Program> program_;
  std::vector<InputInfo> inputs_;
  std::vector<unsigned> inputArgs_; ///< graph argument index of each user input
  /// Per graph argument: the bound weight (parameters, buffers, constants).
  std::vector<std::optional<at::Tensor>> weights_;
  llvm::StringMap<at::Tensor> weightsByFqn_;
  std::vector<std::string> mutatedWeights_;
  llvm::DenseSet<const c10::StorageImpl *> readOnlyStorages_;
  /// Weight storages no mutated weight lives in (readOnlyStorages_ among them).
  llvm::DenseSet<const c10::StorageImpl *> unwrittenStorages_;
};

} // namespace fxir::runtime
