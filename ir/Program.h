//===- Program.h - a whole program: graph, signature, weights, metadata ----------===//
//
// What every frontend produces and every backend consumes: the graph (with its
// signature), the Context that owns its types and names, the stored weights and what
// is known about where the program came from. The .pt2 reader fills every field from
// the archive; a .fxir file gives a graph whose weights may come from a .pt2
// (driver::loadProgram, `--weights FILE.pt2`). Nothing is faked: a program without
// stored weights simply has none.
//
// Weights are views (TensorData::storageBytes) into memory the program keeps alive
// through Weights::keepAlive (the mapped archive, copies of compressed entries), so a
// Program can outlive the file reader that made it.
//
// Does not: read files (frontends and the driver do) or bind weights to a runtime's
// tensors (backends/runtime does).
//===----------------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fxir/ir/Context.h"
#include "fxir/ir/DType.h"
#include "fxir/ir/Graph.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

namespace fxir {

/// A parameter, buffer or constant as stored.
struct TensorData {
  enum class Kind : uint8_t { Parameter, Buffer, Constant };
  std::string fqn;
  Kind kind = Kind::Parameter;
  DType dtype = DType::Float32;
  std::vector<int64_t> sizes, strides;
  int64_t storageOffset = 0; ///< in elements
  bool requiresGrad = false;
  /// Name of the storage ("data/weights/weight_0" in a .pt2); tensors naming the same
  /// storage share its bytes (tied weights, views, a buffer and a lifted constant).
  std::string storage;
  /// The whole storage; empty for a fake (0-byte) record.
  llvm::ArrayRef<uint8_t> storageBytes;
  /// The storage is the caller's memory and may be written in place (the Python
  /// package binds an ExportedProgram's own tensors so), not a read-only mapping: a
  /// program that mutates it updates it there, as eager updates the module's buffer.
  bool writable = false;
  /// Set only by a caller on the LibTorch side (the Python package): the
  /// `c10::Storage` that owns storageBytes. The runtime then binds that storage itself,
  /// not a blob over its bytes, so outputs that alias the weight share the caller's
  /// storage (a later resize or free of it is seen by them as in eager, never a dangling
  /// pointer). The core libraries only carry it.
  std::shared_ptr<const void> c10Storage;
};

/// The stored tensors of a program and what keeps their bytes alive.
struct Weights {
  std::vector<TensorData> tensors;
  /// Owners of the memory the views point into (a mapped file, copied entries).
  std::vector<std::shared_ptr<const void>> keepAlive;

  /// The tensor with this FQN, or null.
  const TensorData *find(llvm::StringRef fqn) const;
  bool empty() const { return tensors.empty(); }
};

/// Where the program came from. Empty strings where the source says nothing.
struct ProgramMetadata {
  std::string producer;        ///< "torch.export" or "fxir text"
  std::string torchVersion;    ///< torch that exported it (.pt2)
  int schemaMajor = 0, schemaMinor = 0; ///< .pt2 schema version
  std::string dialect;         ///< "TRAINING" (default export) or "ATEN" (decomposed)
  std::string inSpec, outSpec; ///< pytree specs, JSON text as torch wrote them
  std::string weightsFrom;     ///< the file the weights were taken from, if another
};

struct Program {
  std::string path;                 ///< the file it was read from (for messages)
  std::unique_ptr<Context> context; ///< owns the graph's names, types, provenance
  std::unique_ptr<Graph> graph;     ///< the program, with its signature
  Weights weights;
  ProgramMetadata meta;
};

} // namespace fxir
