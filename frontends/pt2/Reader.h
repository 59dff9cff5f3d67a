//===- Reader.h - torch.export .pt2 archives into fxir ---------------------------===//
//
// fxir's front door: reads what `torch.export.save(ep, "m.pt2")` wrote, in C++, without
// LibTorch or Python. It imports
//  - the program: every FX node as an op (ATen ops with every argument, omitted ones
//    filled from the operator schema table; higher-order ops scan / cond / while_loop /
//    map_impl with their subgraphs as regions; symbolic-int ops; runtime asserts), the
//    value types with symbolic shapes, the graph signature;
//  - symbols with their range constraints (srepr and plain sympy forms);
//  - weights and constants as views into the mapped archive (no copies), with their
//    dtype, sizes, strides and storage offset; tensors sharing a storage (tied weights,
//    views) point at the same bytes;
//  - provenance from node metadata: FX node name, the innermost user frame of the stack
//    trace, the module path and type from nn_module_stack, and the FQN of the parameter
//    or buffer an op uses (also through higher-order op subgraphs), which non-strict
//    exports otherwise lose with `from_node`;
//  - the pytree input/output specs, as the JSON strings torch wrote.
// JSON is parsed with simdjson, tolerantly (unknown keys ignored, missing ones defaulted).
// Nothing in the archive is unpickled or executed. Every error names the file and the
// entry, node, op or argument involved.
//
// Does not: run anything, or infer mutations (functionalize does).
//===----------------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fxir/frontends/pt2/Archive.h"
#include "fxir/ir/Program.h"

#include "absl/status/statusor.h"

namespace fxir::pt2 {

/// The schema major version this reader understands.
constexpr int kSupportedSchemaMajor = 8;

/// The program of the archive at `path`, weights included (views into the mapped file,
/// which the program keeps alive).
absl::StatusOr<std::unique_ptr<Program>> readProgram(const std::string &path);
absl::StatusOr<std::unique_ptr<Program>> readProgram(const Archive &archive);

/// An exported program already in memory: `modelJson` is what torch's serializer writes
/// as models/<name>.json (`torch._export.serde.serialize.serialize(ep,
/// serialize_state_dict=False, ...)`), `weights` its parameters, buffers and constants
/// by FQN, in the archive's form (views into memory `weights.keepAlive` owns: the
/// Python package's are the ExportedProgram's own tensors). `name` is used in messages
/// and as the program's path. The JSON is parsed before this returns and not kept.
absl::StatusOr<std::unique_ptr<Program>> readProgramJson(llvm::StringRef modelJson,
                                                         const std::string &name,
                                                         Weights weights);

} // namespace fxir::pt2
