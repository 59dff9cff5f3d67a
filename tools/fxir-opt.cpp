//===- fxir-opt.cpp - IR in, passes, IR out -------------------------------------===//
//
// The pass driver. All logic lives in the libraries (passes/OptDriver.h); this file
// parses flags. It reads fxir text (a .fxir file or `-` for stdin), verifies and prints
// it; imports .pt2 archives (frontends/pt2) and prints them; lists passes; describes
// operators from the schema table.
//===----------------------------------------------------------------------------===//
#include "fxir/backends/cpu/Cpu.h"
#include "fxir/frontends/pt2/Reader.h"
#include "fxir/ir/TextFormat.h"
#include "fxir/ir/Verifier.h"

#include <set>
#include "fxir/ir/DType.h"
#include "fxir/ir/Dot.h"
#include "fxir/ir/OpSchema.h"
#include "fxir/ir/Version.h"
#include "fxir/driver/Config.h"
#include "fxir/driver/Driver.h"
#include "fxir/driver/OptDriver.h"
#include "fxir/passes/PassManager.h"
#include "fxir/passes/Pipeline.h"
#include "fxir/passes/PassRegistry.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "HelpText.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

namespace cl = llvm::cl;

// What the archive holds besides the graph, as comments before the graph text.
static void printProgramHeader(const fxir::Program &p, llvm::raw_ostream &os) {
  os << "// " << p.path << ": torch " << p.meta.torchVersion << ", schema " << p.meta.schemaMajor << "."
     << p.meta.schemaMinor << ", " << p.meta.dialect << " IR\n";
  uint64_t bytes = 0;
  std::set<std::string> storages;
  for (const fxir::TensorData &t : p.weights.tensors)
    if (storages.insert(t.storage).second)
      bytes += t.storageBytes.size();
  os << "// " << p.weights.tensors.size() << " stored tensors in " << storages.size() << " storages, "
     << bytes << " bytes\n";
  for (const fxir::TensorData &t : p.weights.tensors) {
    os << "//   " << t.fqn << ": " << fxir::irName(t.dtype) << "[";
    for (size_t i = 0; i < t.sizes.size(); ++i)
      os << (i ? ", " : "") << t.sizes[i];
    os << "] in " << t.storage;
    if (t.storageOffset)
      os << " at offset " << t.storageOffset;
    os << "\n";
  }
}

// A default value normalized the way tests/lit/Inputs/schema_fields.py prints Python's.
static std::string normDefault(const fxir::DefaultValue &d, const fxir::SchemaType &t) {
  using K = fxir::DefaultValue::Kind;
  switch (d.kind) {
  case K::None: return "None";
  case K::Bool: return d.boolValue ? "True" : "False";
  case K::Int: {
    // `int[2] padding=0`: one scalar stands for the whole list.
    const fxir::SchemaType &base = t.stripOptional();
    if (base.isList() && base.fixedSize > 0) {
      std::vector<std::string> items(base.fixedSize, std::to_string(d.intValue));
      return "[" + llvm::join(items, ",") + "]";
    }
    return std::to_string(d.intValue);
  }
  case K::Float: return llvm::formatv("{0}", llvm::format("%.17g", d.floatValue)).str();
  case K::Str: return "s:" + llvm::toHex(d.strValue, /*LowerCase=*/true);
  case K::Ident: return "ident:" + d.strValue;
  case K::List: {
    std::vector<std::string> items;
    const fxir::SchemaType &base = t.stripOptional();
    for (const fxir::DefaultValue &e : d.elems)
      items.push_back(normDefault(e, base.isList() ? base.elems[0] : base));
    return "[" + llvm::join(items, ",") + "]";
  }
  }
  return "?";
}

static std::string aliasFields(const fxir::SchemaType &t, bool written) {
  std::string out = written ? "w=1" : "w=0";
  if (t.isList())
    return out;
  std::vector<std::string> before, after;
  if (t.alias) {
    before.assign(t.alias->beforeSets.begin(), t.alias->beforeSets.end());
    for (const std::string &a : t.alias->effectiveAfterSets())
      after.push_back(a);
  }
  llvm::sort(before);
  llvm::sort(after);
  return out + " sets=" + llvm::join(before, ",") + "/" + llvm::join(after, ",");
}

// One line per operator, the format of tests/lit/Inputs/schema_fields.py.
static void dumpOpSchemaFields(const fxir::OpSchema &s, llvm::raw_ostream &os) {
  os << s.fullName();
  llvm::SmallVector<unsigned, 2> written = s.writtenArguments();
  for (unsigned i = 0; i < s.arguments.size(); ++i) {
    const fxir::SchemaArgument &a = s.arguments[i];
    os << " | " << a.name << " kw=" << (a.kwargOnly ? 1 : 0) << " def="
       << (a.defaultValue ? normDefault(*a.defaultValue, a.type) : "-") << " "
       << aliasFields(a.type, llvm::is_contained(written, i));
  }
  os << " ->";
  for (unsigned i = 0; i < s.returns.size(); ++i) {
    const fxir::SchemaReturn &r = s.returns[i];
    bool w = false;
    if (const fxir::AliasInfo *a = r.type.anyAlias())
      w = a->isWrite;
    os << (i ? " | " : " ") << r.name << " " << aliasFields(r.type, w);
  }
  os << "\n";
}

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
  cl::OptionCategory kInput("Input"), kOutput("Output"), kPasses("Passes and pipelines"),
      kInstr("Instrumentation"), kInfo("Tables (passes, operators, dtypes)");
  cl::opt<std::string> input(cl::Positional, cl::desc("<input .fxir, .pt2 or - for stdin>"),
                             cl::init(""), cl::cat(kInput));
  cl::opt<bool> splitInput("split-input-file",
                           cl::desc("Treat `// -----` lines as separating independent cases"), cl::cat(kInput));
  cl::opt<bool> verifyDiags(
      "verify-diagnostics",
      cl::desc("Check errors against `// expected-error {{...}}` annotations"), cl::cat(kInput));
  cl::opt<std::string> emit(
      "emit", cl::desc("What to print: `ir` (the text format, default) or `dot` (a Graphviz "
                       "graph: ops with their source lines, regions and kernels as clusters)"),
      cl::init("ir"), cl::cat(kOutput));
  cl::opt<bool> debugInfo("print-debuginfo", cl::desc("Print provenance (loc #N, #N = prov(...))"), cl::cat(kOutput));
  cl::opt<std::string> pipelineText(
      "pass-pipeline", cl::desc("Passes to run, e.g. 'canonicalize,cse,dce' or 'default'"),
      cl::init(""), cl::cat(kPasses));
  cl::list<std::string> printIrAfter(
      "print-ir-after", cl::desc("Print the IR after this pass (or `all`) when it changed"),
      cl::CommaSeparated, cl::cat(kInstr));
  cl::opt<bool> timing("timing", cl::desc("Print a per-pass time table"), cl::cat(kInstr));
  cl::opt<bool> statistics("print-statistics", cl::desc("Print the passes' counters"), cl::cat(kInstr));
  cl::opt<std::string> dumpDir("dump-dir", cl::desc("Write numbered IR files after each pass"),
                               cl::init(""), cl::cat(kInstr));
  cl::opt<bool> noVerifyEach("no-verify-each", cl::desc("Do not verify after every pass"), cl::cat(kInstr));
  cl::opt<std::string> configFile(
      "pipeline-config",
      cl::desc("YAML file with the pipeline, instrumentation and backend (docs/passes.md); "
               "command-line flags override it"),
      cl::init(""), cl::cat(kPasses));
  cl::opt<bool> printPipeline("print-pipeline",
                              cl::desc("Print the parsed --pass-pipeline canonically and exit"), cl::cat(kPasses));
  cl::opt<bool> listPasses("list-passes", cl::desc("List every registered pass"), cl::cat(kInfo));
  cl::list<std::string> printSchema(
      "print-op-schema", cl::desc("Describe an operator from the schema table "
                                  "(e.g. aten::index_put_ or aten::add.Tensor)"),
      cl::value_desc("op"), cl::cat(kInfo));
  cl::opt<bool> dumpSchemas(
      "dump-op-schema-table",
      cl::desc("Print every operator of the schema table field by field (for tests)"), cl::cat(kInfo));
  cl::opt<bool> printDTypes("print-dtype-table",
                            cl::desc("Print fxir's dtypes as `<torch name> <.pt2 number>`"), cl::cat(kInfo));
  cl::SetVersionPrinter(
      [](llvm::raw_ostream &os) { os << fxir::versionString() << "\n"; });
  // fxir's own options only; LLVM's stay under --help-hidden.
  // The code generators' ops and passes (cpu.kernel, cpu-partition), so partitioned
  // programs print, parse and verify here.
  fxir::cpu::registerTables();
  fxir::tools::hideForeignOptions({&kInput, &kOutput, &kPasses, &kInstr, &kInfo});
  if (!cl::ParseCommandLineOptions(
          argc, argv,
          "fxir-opt: read a program (.pt2 archive, .fxir text or - for stdin), run passes "
          "on it, print it\n\n"
          "  example: fxir-opt model.pt2 --pass-pipeline=default --print-debuginfo\n"))
    return 2;

  if (listPasses) {
    std::vector<const fxir::PassInfo *> passes = fxir::allPasses();
    llvm::outs() << "registered passes: " << passes.size() << "\n";
    for (const fxir::PassInfo *pp : passes) {
      const fxir::PassInfo &p = *pp;
      llvm::outs() << "  " << p.name << "  " << p.summary << "\n";
      for (const fxir::PassOptionSpec &o : p.options())
        llvm::outs() << "      " << o.key << "=<" << fxir::optionTypeName(o.type)
                     << "> (default " << o.defaultValue << ")  " << o.help << "\n";
    }
    llvm::outs() << "named pipelines:\n  default = " << fxir::namedPipelineText("default")
                 << "\n";
    return 0;
  }
  if (dumpSchemas) {
    for (const fxir::OpSchema &s : fxir::OpSchemaTable::builtin().all())
      dumpOpSchemaFields(s, llvm::outs());
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
  // The configuration file first, then the flags given on the command line over it.
  std::optional<fxir::Pipeline> pipeline;
  fxir::Instrumentation inst;
  if (!configFile.empty()) {
    absl::StatusOr<fxir::PipelineConfig> config = fxir::loadPipelineConfig(configFile);
    if (!config.ok()) {
      llvm::errs() << "fxir-opt: " << std::string(config.status().message()) << "\n";
      return 2;
    }
    pipeline = config->pipeline;
    inst = config->instrumentation;
  }
  if (pipelineText.getNumOccurrences()) {
    absl::StatusOr<fxir::Pipeline> p = fxir::Pipeline::parse(pipelineText);
    if (!p.ok()) {
      llvm::errs() << "fxir-opt: error: " << std::string(p.status().message()) << "\n";
      return 2;
    }
    pipeline = *p;
  }
  if (printPipeline) {
    llvm::outs() << (pipeline ? pipeline->str() : std::string()) << "\n";
    return 0;
  }
  if (noVerifyEach.getNumOccurrences())
    inst.verifyEach = !noVerifyEach;
  if (printIrAfter.getNumOccurrences()) {
    for (const std::string &pass : printIrAfter)
      if (pass != "all" && !fxir::lookupPass(pass)) {
        llvm::errs() << "fxir-opt: error: --print-ir-after names no pass: `" << pass << "`\n";
        return 2;
      }
    inst.printIrAfter.clear();
    inst.printIrAfter.insert(printIrAfter.begin(), printIrAfter.end());
  }
  if (debugInfo.getNumOccurrences())
    inst.printDebugInfo = debugInfo;
  if (timing.getNumOccurrences())
    inst.timing = timing;
  if (statistics.getNumOccurrences())
    inst.statistics = statistics;
  if (dumpDir.getNumOccurrences())
    inst.dumpDir = dumpDir;
  if (input.empty()) {
    llvm::errs() << "fxir-opt: no input file (see --help)\n";
    return 2;
  }
  if (emit != "ir" && emit != "dot") {
    llvm::errs() << "fxir-opt: error: --emit takes ir or dot, not `" << emit << "`\n";
    return 2;
  }
  // --emit=dot: kernels of a partitioned program as clusters, ATen calls marked.
  auto printDot = [](const fxir::Graph &g, llvm::raw_ostream &os) {
    fxir::printDot(g, os, fxir::cpu::dotOptions(g));
  };
  if (llvm::StringRef(input).ends_with(".pt2")) {
    // Through the driver (no backend): read, verify, the pipeline, then print.
    fxir::driver::Options d;
    // (The config was read above and the flags merged over it.)
    d.pipeline = pipeline ? pipeline->str() : std::string();
    d.instrumentation = inst;
    std::vector<fxir::Diagnostic> diags;
    absl::StatusOr<fxir::driver::Prepared> prog =
        fxir::driver::prepare(input, d, llvm::errs(), &diags);
    if (!prog.ok()) {
      // A pass's located errors read `model.py:12: error: ...` with the user's line.
      if (!diags.empty())
        for (const fxir::Diagnostic &diag : diags)
          llvm::errs() << diag.str(/*withCode=*/true) << "\n";
      else
        llvm::errs() << "fxir-opt: error: " << std::string(prog.status().message()) << "\n";
      return 1;
    }
    if (emit == "dot") {
      printDot(*prog->program->graph, llvm::outs());
      return 0;
    }
    fxir::PrintOptions po;
    po.debugInfo = inst.printDebugInfo;
    printProgramHeader(*prog->program, llvm::outs());
    fxir::printGraph(*prog->program->graph, llvm::outs(), po);
    return 0;
  }
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buf =
      llvm::MemoryBuffer::getFileOrSTDIN(input, /*IsText=*/true);
  if (!buf) {
    llvm::errs() << "fxir-opt: error: " << input << ": cannot open: " << buf.getError().message()
                 << "\n";
    return 1;
  }
  fxir::OptOptions opts;
  opts.splitInputFile = splitInput;
  opts.verifyDiagnostics = verifyDiags;
  opts.printDebugInfo = inst.printDebugInfo;
  opts.pipeline = pipeline;
  opts.instrumentation = inst;
  if (emit == "dot")
    opts.print = printDot;
  return fxir::runOpt((*buf)->getBuffer(), input == "-" ? std::string("<stdin>") : input.getValue(), opts,
                      llvm::outs(), llvm::errs());
}
