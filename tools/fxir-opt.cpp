//===- fxir-opt.cpp - IR in, passes, IR out -------------------------------------===//
//
// The pass driver. All logic lives in the libraries; this file parses flags.
// Today it lists the registered passes, describes operators from the schema table
// and checks a .pt2 container; reading
// programs and running pipelines arrive with the reader and pass-manager issues.
//===----------------------------------------------------------------------------===//
#include "fxir/frontends/pt2/Archive.h"
#include "fxir/ir/DType.h"
#include "fxir/ir/OpSchema.h"
#include "fxir/ir/Version.h"
#include "fxir/passes/PassRegistry.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

namespace cl = llvm::cl;

// What passes see of an operator: its schema, the arguments it writes, which results
// alias which arguments, and its tags.
static void printOpSchema(const fxir::OpSchema &s, llvm::raw_ostream &os) {
  os << s.str() << "\n";
  os << "  written:";
  for (unsigned i : s.writtenArguments())
    os << " " << s.arguments[i].name;
  os << "\n  aliases:";
  for (unsigned r = 0; r < s.returns.size(); ++r)
    if (std::optional<unsigned> a = s.aliasedArgument(r))
      os << " result" << r << "->" << s.arguments[*a].name;
  os << "\n  tags: " << llvm::join(s.tags, ",") << "\n";
}

int main(int argc, char **argv) {
  cl::opt<std::string> input(cl::Positional, cl::desc("<input .pt2 or .fxir>"),
                             cl::init(""));
  cl::opt<bool> listPasses("list-passes", cl::desc("List every registered pass"));
  cl::list<std::string> printSchema(
      "print-op-schema", cl::desc("Describe an operator from the schema table "
                                  "(e.g. aten::index_put_ or aten::add.Tensor)"),
      cl::value_desc("op"));
  cl::opt<bool> printDTypes("print-dtype-table",
                            cl::desc("Print fxir's dtypes as `<torch name> <.pt2 number>`"));
  cl::SetVersionPrinter(
      [](llvm::raw_ostream &os) { os << fxir::versionString() << "\n"; });
  if (!cl::ParseCommandLineOptions(argc, argv, "fxir-opt: run fxir passes\n"))
    return 2;

  if (listPasses) {
    llvm::outs() << "registered passes: " << fxir::registeredPasses().size() << "\n";
    for (const fxir::PassInfo &p : fxir::registeredPasses())
      llvm::outs() << "  " << p.name << "  " << p.summary << "\n";
    return 0;
  }
  if (!printSchema.empty()) {
    const fxir::OpSchemaTable &table = fxir::OpSchemaTable::builtin();
    for (const std::string &name : printSchema) {
      absl::StatusOr<const fxir::OpSchema *> s = table.lookup(name);
      if (!s.ok()) {
        llvm::errs() << "fxir-opt: error: " << std::string(s.status().message()) << "\n";
        return 1;
      }
      printOpSchema(**s, llvm::outs());
    }
    return 0;
  }
  if (printDTypes) {
    std::vector<fxir::DType> types(fxir::allDTypes().begin(), fxir::allDTypes().end());
    llvm::sort(types, [](fxir::DType a, fxir::DType b) {
      return fxir::pt2Code(a) < fxir::pt2Code(b);
    });
    for (fxir::DType t : types)
      llvm::outs() << fxir::torchName(t) << " " << fxir::pt2Code(t) << "\n";
    return 0;
  }
  if (input.empty()) {
    llvm::errs() << "fxir-opt: no input file (see --help)\n";
    return 2;
  }
  if (absl::Status st = fxir::pt2::checkZipSignature(input); !st.ok()) {
    llvm::errs() << "fxir-opt: error: " << std::string(st.message()) << "\n";
    return 1;
  }
  llvm::errs() << "fxir-opt: " << input
               << ": ZIP container recognised; importing programs is not implemented "
                  "yet (the .pt2 reader issue)\n";
  return 3;
}
