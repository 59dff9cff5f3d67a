//===- Jit.cpp - the target, LLVM's O3 pipeline, object code and ORC's LLJIT -----===//
//
// One compile: a TargetMachine for the chosen target (the host: its CPU name for
// tuning and its features from sys::getHostCPUFeatures, never from the name; or a
// named CPU such as x86-64-v3), an LLVMContext and module of all kernels, O3, object
// code emitted in process, then an LLJIT that links that object against an explicit
// symbol table (memcpy, memset, memmove and the runtime's helpers) and nothing else: no process symbols, so a kernel can
// never bind to a symbol of the process by accident, and the object holds no host
// address (what lets a cached object serve another process).
//
// Each compile owns its LLVMContext, TargetMachine and JIT: compiles on several
// threads share nothing.
//
// Does not: emit kernels (Emit.cpp), cache objects (not yet).
//===----------------------------------------------------------------------------===//
#include <cstring>
#include <mutex>

#include "fxir/backends/cpu/Cpu.h"
#include "fxir/backends/cpu/Emit.h"

#include "llvm/ExecutionEngine/Orc/Core.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

namespace fxir::cpu {

namespace {

std::string errorText(llvm::Error e) { return llvm::toString(std::move(e)); }

struct Target {
  std::string triple, cpu, features;
  int64_t vectorBits = 0;
  std::unique_ptr<llvm::TargetMachine> tm;
  std::string describe() const {
    return cpu + " (" + triple + "), " + std::to_string(vectorBits) + "-bit vectors";
  }
};

absl::StatusOr<Target> makeTarget(const CodegenOptions &o) {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    llvm::InitializeNativeTargetAsmParser();
  });
  Target t;
  t.triple = llvm::sys::getProcessTriple();
  if (o.target == "host" || o.target.empty()) {
    t.cpu = llvm::sys::getHostCPUName().str();
    llvm::SubtargetFeatures f;
    for (const auto &[name, on] : llvm::sys::getHostCPUFeatures())
      f.AddFeature(name, on);
    t.features = f.getString();
  } else {
    t.cpu = o.target;
  }
  std::string err;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(t.triple, err);
  if (!target)
    return absl::InvalidArgumentError("cpu: no LLVM target for " + t.triple + ": " + err);
  llvm::TargetOptions to;
  to.AllowFPOpFusion = llvm::FPOpFusion::Strict; // no FMA contraction
  t.tm.reset(target->createTargetMachine(t.triple, t.cpu, t.features, to, llvm::Reloc::PIC_,
                                         std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!t.tm)
    return absl::InvalidArgumentError("cpu: LLVM cannot make a target machine for `" + t.cpu +
                                      "`");
  const llvm::MCSubtargetInfo *sti = t.tm->getMCSubtargetInfo();
  if (!sti->isCPUStringValid(t.cpu))
    return absl::InvalidArgumentError("cpu: unknown target `" + t.cpu +
                                      "` (use host, x86-64-v2, x86-64-v3, x86-64-v4 or an "
                                      "LLVM CPU name)");
  int64_t widest = sti->checkFeatures("+avx512f") ? 512 : sti->checkFeatures("+avx") ? 256 : 128;
  t.vectorBits = o.vectorBits > 0 ? o.vectorBits : widest;
  if (t.vectorBits % 32 || t.vectorBits < 32 || t.vectorBits > 2048)
    return absl::InvalidArgumentError("cpu: vector width " + std::to_string(t.vectorBits) +
                                      " is not a multiple of 32 bits in [32, 2048]");
  return t;
}

void setFunctionTarget(llvm::Module &m, const Target &t) {
  std::string bits = std::to_string(t.vectorBits);
  for (llvm::Function &f : m) {
    if (f.isDeclaration())
      continue;
    f.addFnAttr("target-cpu", t.cpu);
    if (!t.features.empty())
      f.addFnAttr("target-features", t.features);
    // Keep wide vectors wide even where the CPU's tuning prefers 256 bits.
    f.addFnAttr("prefer-vector-width", bits);
    f.addFnAttr("min-legal-vector-width", bits);
  }
}

void optimize(llvm::Module &m, llvm::TargetMachine &tm, int64_t level) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(&tm);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::OptimizationLevel ol = level <= 0   ? llvm::OptimizationLevel::O0
                               : level == 1 ? llvm::OptimizationLevel::O1
                               : level == 2 ? llvm::OptimizationLevel::O2
                                            : llvm::OptimizationLevel::O3;
  llvm::ModulePassManager mpm = level <= 0 ? pb.buildO0DefaultPipeline(ol)
                                           : pb.buildPerModuleDefaultPipeline(ol);
  mpm.run(m, mam);
}

absl::StatusOr<llvm::SmallVector<char, 0>> emitFile(llvm::Module &m, llvm::TargetMachine &tm,
                                                    llvm::CodeGenFileType kind) {
  llvm::SmallVector<char, 0> out;
  llvm::raw_svector_ostream os(out);
  llvm::legacy::PassManager pm;
  if (tm.addPassesToEmitFile(pm, os, nullptr, kind))
    return absl::InternalError("cpu: the target cannot emit this file type");
  pm.run(m);
  return out;
}

/// The module of `kernels` for `t`, emitted, verified and optimized.
absl::StatusOr<std::unique_ptr<llvm::Module>>
buildModule(llvm::LLVMContext &ctx, llvm::ArrayRef<KernelSpec> kernels, const Target &t,
            int64_t optLevel, bool emulateEagerRounding) {
  auto m = std::make_unique<llvm::Module>("fxir_kernels", ctx);
  m->setTargetTriple(t.triple);
  m->setDataLayout(t.tm->createDataLayout());
  for (const KernelSpec &k : kernels)
    if (absl::Status st = emitKernel(*m, k, t.vectorBits, emulateEagerRounding); !st.ok())
      return st;
  setFunctionTarget(*m, t);
  std::string msg;
  llvm::raw_string_ostream os(msg);
  if (llvm::verifyModule(*m, &os))
    return absl::InternalError("cpu: the LLVM verifier rejects the kernels: " + os.str());
  optimize(*m, *t.tm, optLevel);
  return m;
}

class Jitted final : public CompiledKernels {
public:
  std::unique_ptr<llvm::orc::LLJIT> jit;
  llvm::StringMap<KernelFn> fns;
  std::string description;
  KernelFn lookup(llvm::StringRef symbol) const override { return fns.lookup(symbol); }
  const std::string &targetDescription() const override { return description; }
};

} // namespace

CodegenOptions codegenOptions(const PassOptions &o) {
  CodegenOptions cg;
  cg.target = o.getString("target");
  cg.vectorBits = o.getInt("vector-width");
  cg.optLevel = o.getInt("opt-level");
  cg.emulateEagerRounding = o.getBool("emulate-eager-rounding");
  return cg;
}

absl::StatusOr<std::unique_ptr<CompiledKernels>>
compileKernels(llvm::ArrayRef<KernelSpec> kernels, const CodegenOptions &options,
               llvm::ArrayRef<RuntimeSymbol> runtimeSymbols) {
  absl::StatusOr<Target> t = makeTarget(options);
  if (!t.ok())
    return t.status();
  auto out = std::make_unique<Jitted>();
  out->description = t->describe();
  if (kernels.empty())
    return std::unique_ptr<CompiledKernels>(std::move(out));
  llvm::LLVMContext ctx;
  absl::StatusOr<std::unique_ptr<llvm::Module>> m = buildModule(ctx, kernels, *t, options.optLevel, options.emulateEagerRounding);
  if (!m.ok())
    return m.status();
  absl::StatusOr<llvm::SmallVector<char, 0>> obj =
      emitFile(**m, *t->tm, llvm::CodeGenFileType::ObjectFile);
  if (!obj.ok())
    return obj.status();

  llvm::orc::JITTargetMachineBuilder jtmb((llvm::Triple(t->triple)));
  jtmb.setCPU(t->cpu);
  if (!t->features.empty())
    jtmb.addFeatures(std::vector<std::string>{t->features});
  auto jit = llvm::orc::LLJITBuilder()
                 .setJITTargetMachineBuilder(std::move(jtmb))
                 .setLinkProcessSymbolsByDefault(false)
                 .setPlatformSetUp(llvm::orc::setUpInactivePlatform)
                 .create();
  if (!jit)
    return absl::InternalError("cpu: cannot create the JIT: " + errorText(jit.takeError()));
  out->jit = std::move(*jit);
  // The explicit symbol table: what emitted code may call (LLVM may turn loops into
  // memcpy/memset calls); nothing else resolves.
  llvm::orc::MangleAndInterner mangle(out->jit->getExecutionSession(), out->jit->getDataLayout());
  llvm::orc::SymbolMap table;
  table[mangle("memcpy")] = {llvm::orc::ExecutorAddr::fromPtr(&::memcpy),
                             llvm::JITSymbolFlags::Exported};
  table[mangle("memset")] = {llvm::orc::ExecutorAddr::fromPtr(&::memset),
                             llvm::JITSymbolFlags::Exported};
  table[mangle("memmove")] = {llvm::orc::ExecutorAddr::fromPtr(&::memmove),
                              llvm::JITSymbolFlags::Exported};
  for (const RuntimeSymbol &s : runtimeSymbols)
    table[mangle(s.name)] = {llvm::orc::ExecutorAddr::fromPtr(s.address),
                             llvm::JITSymbolFlags::Exported};
  if (llvm::Error e = out->jit->getMainJITDylib().define(llvm::orc::absoluteSymbols(table)))
    return absl::InternalError("cpu: cannot define the runtime symbols: " + errorText(std::move(e)));
  auto buffer = llvm::MemoryBuffer::getMemBufferCopy(llvm::StringRef(obj->data(), obj->size()),
                                                     "fxir_kernels.o");
  if (llvm::Error e = out->jit->addObjectFile(std::move(buffer)))
    return absl::InternalError("cpu: the JIT cannot load the kernels: " + errorText(std::move(e)));
  for (const KernelSpec &k : kernels) {
    auto addr = out->jit->lookup(k.symbol);
    if (!addr)
      return absl::InternalError("cpu: kernel " + k.symbol + " does not link: " +
                                 errorText(addr.takeError()) + "\n  it fuses:\n" + k.sources);
    out->fns[k.symbol] = addr->toPtr<KernelFn>();
  }
  return std::unique_ptr<CompiledKernels>(std::move(out));
}

absl::StatusOr<std::string> emitKernelText(const KernelSpec &kernel,
                                           const CodegenOptions &options,
                                           llvm::StringRef what) {
  absl::StatusOr<Target> t = makeTarget(options);
  if (!t.ok())
    return t.status();
  llvm::LLVMContext ctx;
  absl::StatusOr<std::unique_ptr<llvm::Module>> m =
      buildModule(ctx, llvm::ArrayRef<KernelSpec>(&kernel, 1), *t, options.optLevel,
                  options.emulateEagerRounding);
  if (!m.ok())
    return m.status();
  std::string header = "; " + kernel.symbol + ": " + std::to_string(kernel.numOps) +
                       " ops fused, for " + t->describe() + "\n";
  llvm::StringRef src(kernel.sources);
  while (!src.empty()) {
    auto [line, rest] = src.split('\n');
    header += ";" + line.str() + "\n";
    src = rest;
  }
  if (what == "asm") {
    absl::StatusOr<llvm::SmallVector<char, 0>> s =
        emitFile(**m, *t->tm, llvm::CodeGenFileType::AssemblyFile);
    if (!s.ok())
      return s.status();
    return header + std::string(s->data(), s->size());
  }
  std::string text;
  llvm::raw_string_ostream os(text);
  (*m)->print(os, nullptr);
  return header + os.str();
}

} // namespace fxir::cpu
