// A downstream program linked against the installed fxir core: it uses each core
// library and LLVM's Support through fxir's shared libLLVM.
#include "fxir/frontends/pt2/Archive.h"
#include "fxir/ir/DType.h"
#include "fxir/ir/OpSchema.h"
#include "fxir/ir/Version.h"
#include "fxir/passes/PassRegistry.h"

#include "llvm/Support/raw_ostream.h"

int main() {
  llvm::outs() << "consumer linked " << fxir::versionString() << "\n";
  llvm::outs() << "dtypes: " << fxir::allDTypes().size()
               << ", bf16 is .pt2 code " << fxir::pt2Code(fxir::DType::BFloat16) << "\n";
  llvm::outs() << "passes registered: " << fxir::registeredPasses().size() << "\n";
  // The operator schema table is compiled into fxir::ir: no data file needed.
  absl::StatusOr<const fxir::OpSchema *> op =
      fxir::OpSchemaTable::builtin().lookup("aten::index_put_");
  if (!op.ok() || (*op)->writtenArguments().size() != 1)
    return 1;
  llvm::outs() << "schema table (torch " << fxir::OpSchemaTable::builtin().torchVersion()
               << "): " << (*op)->str() << "\n";
  absl::Status st = fxir::pt2::checkZipSignature("/nonexistent.pt2");
  llvm::outs() << "bad archive reports: " << std::string(st.message()) << "\n";
  return st.code() == absl::StatusCode::kNotFound ? 0 : 1;
}
