//===- Executor.h - the reference executor on ATen (backend `interp`) ----------------===//
//
// Runs any fxir program by calling ATen operators through c10's dispatcher by name
// (boxed, with the operator's own schema), so every registered ATen op works without
// per-op code. It is the oracle that every other backend and every pass is checked
// against, and the fallback for ops no code generator handles.
//
// What it does natively: the control-flow higher-order ops (cond, while_loop, scan,
// map_impl) by running their regions; Python-level scalar ops (`_operator.*`, `math.*`,
// `torch.sym_*`) on ints, floats and bools, as Python computes them; `fxir.constant`.
// Numbers passed for `Tensor` parameters become 0-dim wrapped-number tensors, as in
// eager, so type promotion matches. Runtime asserts are ATen ops and fail as such.
//
// Weights are bound without copies: views of the mapped archive, read-only. A
// parameter or buffer the program writes (an in-place op on it or on a view of it, or a
// mutation output naming it) gets one private writable copy of its storage when the
// program is created; FQNs that share a storage in the archive keep sharing one.
//
// Calls are checked against the signature (count, dtype, rank, static dims, symbolic
// dims within their ranges and equal across inputs, specialized constants) and
// mutated inputs must not overlap other inputs in memory. After a call, mutated user
// inputs and buffers hold what eager would leave in them: in-place ops write them
// directly (training IR) and mutation outputs are copied back (functional IR).
//
// Errors are status values naming the op, its FX node and the user's source line (or
// the input and the rule); no exception crosses this API. A program is immutable after
// create(): run() may be called from several threads at once (mutated buffers are then
// shared state, as they are for an eager module).
//
// Does not: free intermediate values before the end of their region (memory peaks at
// the sum of a region's values), run on devices other than CPU, run custom objects,
// tokens (`with_effects`) or HOPs other than the four control-flow ones.
//===----------------------------------------------------------------------------===//
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <ATen/core/ivalue.h>

#include "absl/status/statusor.h"
#include "fxir/frontends/pt2/Reader.h"
#include "fxir/ir/Graph.h"

namespace fxir::interp {

/// One user input of a program, in call order.
struct InputInfo {
  std::string name;      ///< the graph argument's name ("x")
  const Type *type;      ///< its declared type
  bool constant = false; ///< a specialized non-tensor input (its value is fixed)
  bool mutated = false;  ///< written by the program
};

class Executable {
public:
  /// Binds the program's weights and prepares every op. `program` may have been
  /// transformed by passes since it was read. Errors name the weight or the op.
  static absl::StatusOr<std::unique_ptr<Executable>>
  create(std::shared_ptr<Program> program);

  ~Executable();
  Executable(const Executable &) = delete;
  Executable &operator=(const Executable &) = delete;

  /// Runs the program on the user inputs (tensors; ints, floats and bools for number
  /// inputs; None where the signature has a None constant), in the order of inputs().
  /// Returns the user outputs in order. Thread-safe.
  absl::StatusOr<std::vector<c10::IValue>> run(std::vector<c10::IValue> inputs) const;

  const std::vector<InputInfo> &inputs() const;
  /// The current value of a parameter, buffer or constant (after runs that mutated
  /// it); null when the program has none with this FQN.
  std::optional<at::Tensor> weight(llvm::StringRef fqn) const;
  /// FQNs of the weights the program mutates (they got private copies).
  std::vector<std::string> mutatedWeights() const;
  const Graph &graph() const;

private:
  struct Impl;
  explicit Executable(std::unique_ptr<Impl> impl);
  absl::StatusOr<std::vector<c10::IValue>> runImpl(std::vector<c10::IValue> inputs) const;
  std::unique_ptr<Impl> impl_;
};

struct CompileOptions {
  /// Only "interp" today.
  std::string backend = "interp";
  /// A text pipeline ("default", "canonicalize,cse,dce"); empty runs no passes.
  std::string pipeline;
  /// A YAML pipeline config (docs/passes.md): its pipeline and backend sections apply
  /// unless `pipeline` is set (the explicit option wins).
  std::string pipelineConfig;
  /// For a .fxir program: the .pt2 archive whose weights to bind by FQN.
  std::string weightsFrom;
  /// Verify the IR after every pass (cheap; on by default).
  bool verifyEach = true;
};

/// Loads `path` (a .pt2 archive, or a .fxir text file), runs the pipeline and prepares
/// the program on the chosen backend. Errors name the file, the pass or the op.
absl::StatusOr<std::unique_ptr<Executable>> compile(const std::string &path,
                                                   const CompileOptions &options = {});

} // namespace fxir::interp
