//===- Provenance.h - where every op came from ---------------------------------===//
//
// Every op in fxir has a Provenance, never null and never empty: the FX node it came
// from, the user's source line (the innermost stack frame outside torch's own files),
// the module path from nn_module_stack, the parameter or buffer FQN where one applies,
// and the history of passes that rewrote it. Ops built from several (fusion, cse,
// lowering) list all their sources.
//
// Provenances are immutable and owned by the Context; strings are interned there, so a
// million ops share one copy of each file name and module path. Deriving a new
// provenance (a pass record appended, several merged) makes a new object and leaves the
// old one intact.
//
// Does not: parse stack traces or nn_module_stack (the .pt2 reader does), print itself
// (the text format does).
//===----------------------------------------------------------------------------===//
#pragma once

#include <cstdint>

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

namespace fxir {

struct SourceLoc {
  llvm::StringRef file;
  uint32_t line = 0;
  uint32_t col = 0;            ///< 0 when unknown (Python tracebacks have no column)
  llvm::StringRef function;    ///< "forward"
  llvm::StringRef code;        ///< the source line's text, when known
  bool valid() const { return !file.empty(); }
};

/// One rewrite: which pass touched the op and what it did ("rewrote index_put_").
struct PassRecord {
  llvm::StringRef pass;
  llvm::StringRef action;
};

class Provenance {
public:
  llvm::StringRef nodeName;   ///< FX node name ("linear_1")
  SourceLoc source;           ///< user source location
  llvm::StringRef modulePath; ///< "layers.0.attn" (nn_module_stack, innermost)
  llvm::StringRef moduleType; ///< "torch.nn.modules.linear.Linear"
  llvm::StringRef paramFqn;   ///< "fc1.weight" for a parameter/buffer and its users
  llvm::ArrayRef<PassRecord> history;
  llvm::ArrayRef<const Provenance *> sources; ///< what this op was built from

  /// True when nothing at all is known (the verifier rejects such ops).
  bool empty() const {
    return nodeName.empty() && !source.valid() && source.function.empty() &&
           source.code.empty() && modulePath.empty() && moduleType.empty() &&
           paramFqn.empty() && history.empty() && sources.empty();
  }
  /// Whether `pass` appears in the history.
  bool touchedBy(llvm::StringRef pass) const;
  /// "model.py:12" or, without a source, the node name; for messages.
  std::string brief() const;
};

} // namespace fxir
