//===- Executable.h - the one interface every backend's program implements -------===//
//
// What a compiled program is to its caller, whichever backend made it (the table in
// driver/Backends.def; Runtime.h makes one): run it on inputs in signature order, ask
// what inputs it takes, read the weights it holds (after runs that mutated them).
// Tools, tests and the C++ API use only this, so every backend runs the same way.
//
// Contract shared by every backend (BoundProgram.h implements the common part):
//  - run() checks the inputs against the signature (count, kinds, dtypes, ranks, static
//    and symbolic dims, specialized constants, overlapping written inputs) and returns
//    a status naming the input and the rule, never a crash;
//  - after run(), mutated user inputs and buffers hold what eager would leave in them;
//  - run() is thread-safe; mutated buffers are shared state, as for an eager module;
//  - no exception crosses this API.
//
// Does not: compile (Runtime.h, the driver), know any backend's internals.
//===----------------------------------------------------------------------------===//
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <ATen/core/ivalue.h>

#include "fxir/ir/Program.h"

#include "absl/status/statusor.h"
#include "llvm/ADT/StringRef.h"

namespace fxir::runtime {

/// The status payload (type URL) run() sets when the inputs break the signature, as
/// opposed to a failure while running: the Python package raises fxir.InputError for
/// it, fxir.RunError otherwise.
inline constexpr const char kInputErrorPayload[] = "type.fxir.dev/input-error";

/// One user input of a program, in call order.
struct InputInfo {
  std::string name;      ///< the graph argument's name ("x")
  const Type *type;      ///< its declared type
  bool constant = false; ///< a specialized non-tensor input (its value is fixed)
  bool mutated = false;  ///< written by the program
};

class Executable {
public:
  virtual ~Executable() = default;

  /// Runs the program on the user inputs (tensors; ints, floats and bools for number
  /// inputs; None where the signature has a None constant), in the order of inputs().
  /// Returns the user outputs in order.
  virtual absl::StatusOr<std::vector<c10::IValue>> run(std::vector<c10::IValue> inputs) const = 0;

  virtual const std::vector<InputInfo> &inputs() const = 0;
  /// The current value of a parameter, buffer or constant (after runs that mutated
  /// it); nullopt when the program has none with this FQN. It is the bound tensor, no
  /// copy: one over an archive's read-only mapping (a weight the program does not
  /// write) must not be written (the Python package's weight() returns a copy of it).
  virtual std::optional<at::Tensor> weight(llvm::StringRef fqn) const = 0;
  /// FQNs of the weights the program mutates (they got private copies).
  virtual std::vector<std::string> mutatedWeights() const = 0;
  /// The program as the backend received it (after its pipeline).
  virtual const Program &program() const = 0;
  /// The backend's name ("interp").
  virtual llvm::StringRef backend() const = 0;
  /// What compiling it did, as key -> value (fxir-run --report): the cpu backend's
  /// "cache" (hit, miss or off), "target" and "threads". Empty for interp.
  virtual std::map<std::string, std::string> compileInfo() const { return {}; }

  const Graph &graph() const { return *program().graph; }
};

} // namespace fxir::runtime
