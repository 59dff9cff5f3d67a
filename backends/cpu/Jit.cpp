//===- Jit.cpp - the target, LLVM's O3 pipeline, object code and ORC's LLJIT -----===//
//
// One compile: a TargetMachine for the chosen target (the host: its CPU name for
// tuning and its features from sys::getHostCPUFeatures, never from the name; or a
// named CPU such as x86-64-v3), an LLVMContext and module of all kernels, O3, object
// code emitted in process, then an LLJIT that links that object against an explicit
// symbol table (memcpy, memset, memmove, fmod/fmodf and the runtime's helpers) and
// nothing else: no process symbols, so a kernel can
// never bind to a symbol of the process by accident, and the object holds no host
// address (what lets a cached object serve another process).
//
// Each compile owns its LLVMContext, TargetMachine and JIT: compiles on several
// threads share nothing.
//
// Kernels are compiled one module and one object each (identical kernels once), so
// each object is a compile-cache entry (Cache.h) that any program can load.
//
// Does not: emit kernels (Emit.cpp), decide what is cached (Cache.cpp).
//===----------------------------------------------------------------------------===//
#include <cmath>
#include <cstring>
#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>

#include "fxir/backends/cpu/Cache.h"
#include "fxir/backends/cpu/Cpu.h"
#include "fxir/backends/cpu/Emit.h"
#include "fxir/backends/cpu/KernelIR.h"

#include "llvm/ExecutionEngine/Orc/Core.h"
#include "llvm/ExecutionEngine/Orc/DebugObjectManagerPlugin.h"
#include "llvm/ExecutionEngine/Orc/EPCDebugObjectRegistrar.h"
#include "llvm/ExecutionEngine/Orc/Debugging/PerfSupportPlugin.h"
#include "llvm/ExecutionEngine/Orc/ObjectLinkingLayer.h"
#include "llvm/ExecutionEngine/Orc/TargetProcess/JITLoaderPerf.h"
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

struct Target : TargetDesc {
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

/// The module of `kernels` for `t` (entry points named `names`, or each kernel's
/// symbol), emitted, verified and optimized.
absl::StatusOr<std::unique_ptr<llvm::Module>>
buildModule(llvm::LLVMContext &ctx, const KernelSpec &k, const Graph &kir,
            llvm::StringRef name, const Target &t, const CodegenOptions &o) {
  auto m = std::make_unique<llvm::Module>("fxir_kernels", ctx);
  m->setTargetTriple(t.triple);
  m->setDataLayout(t.tm->createDataLayout());
  if (absl::Status st = emitKernel(*m, k, kir, name, t.vectorBits, o.emulateEagerRounding,
                                   o.injectFailure);
      !st.ok())
    return st;
  setFunctionTarget(*m, t);
  std::string msg;
  llvm::raw_string_ostream os(msg);
  if (llvm::verifyModule(*m, &os))
    return absl::InternalError("cpu: the LLVM verifier rejects the kernels: " + os.str());
  optimize(*m, *t.tm, o.optLevel);
  return m;
}

/// JITs with perf registration alive in the process: LLVM 19's jitdump writer keeps one
/// process-wide state (one file, no lock between start and end), so at most one.
std::atomic<int> perfJits{0};

class Jitted final : public CompiledKernels {
public:
  ~Jitted() override {
    jit.reset(); // the perf plugin ends its dump with the JIT
    if (perf)
      --perfJits;
  }
  bool perf = false; ///< holds the process's perf registration
  std::unique_ptr<llvm::orc::LLJIT> jit;
  llvm::StringMap<KernelFn> fns;
  std::string description;
  CacheStats stats;
  KernelFn lookup(llvm::StringRef symbol) const override { return fns.lookup(symbol); }
  const std::string &targetDescription() const override { return description; }
  const CacheStats &cacheStats() const override { return stats; }
};

/// Threads that compile cache misses: the option, else the machine's cores.
size_t compileThreads(const CodegenOptions &o) {
  if (o.compileThreads > 0)
    return static_cast<size_t>(o.compileThreads);
  return std::max(1u, std::thread::hardware_concurrency());
}

std::string fusesText(llvm::ArrayRef<const KernelSpec *> ks) {
  std::string out;
  for (const KernelSpec *k : ks)
    out += "\n  " + k->symbol + " fuses:\n" + k->sources;
  return out;
}

} // namespace

CodegenOptions codegenOptions(const PassOptions &o) {
  CodegenOptions cg;
  cg.target = o.getString("target");
  cg.vectorBits = o.getInt("vector-width");
  cg.optLevel = o.getInt("opt-level");
  cg.emulateEagerRounding = o.getBool("emulate-eager-rounding");
  cg.cache = o.getBool("cache");
  cg.cacheDir = o.getString("cache-dir");
  cg.cacheMaxKB = o.getInt("cache-max-kb");
  cg.injectFailure = o.getString("inject-failure");
  cg.compileThreads = o.getInt("compile-threads");
  cg.nativeLoops = o.getBool("native-loops");
  llvm::SmallVector<llvm::StringRef, 2> parts;
  llvm::StringRef(o.getString("jit-debug")).split(parts, ',', -1, false);
  for (llvm::StringRef p : parts) {
    p = p.trim();
    cg.jitDebugGdb |= p == "gdb";
    cg.jitDebugPerf |= p == "perf";
    if (p != "gdb" && p != "perf")
      cg.jitDebugBad = p.str();
  }
  return cg;
}

absl::StatusOr<std::unique_ptr<CompiledKernels>>
compileKernels(llvm::ArrayRef<KernelSpec> kernels, const CodegenOptions &options,
               llvm::ArrayRef<RuntimeSymbol> runtimeSymbols) {
  if (!options.jitDebugBad.empty())
    return absl::InvalidArgumentError("cpu: backend option jit-debug takes gdb, perf or "
                                      "gdb,perf, not `" + options.jitDebugBad + "`");
  absl::StatusOr<Target> t = makeTarget(options);
  if (!t.ok())
    return t.status();
  auto out = std::make_unique<Jitted>();
  out->description = t->describe();
  ObjectCache cache = ObjectCache::open(options);
  out->stats.enabled = cache.enabled();
  out->stats.dir = cache.dir();
  if (kernels.empty())
    return std::unique_ptr<CompiledKernels>(std::move(out));

  // Distinct kernels by key (identical kernels compile and link once), each loaded
  // from the cache or compiled alone into its own object.
  struct Unit {
    std::string key;
    std::vector<const KernelSpec *> kernels;
    std::string object;
    bool compiled = false;
    KernelIRGraph kir; ///< a miss's scheduled kernel IR
  };
  using Clock = std::chrono::steady_clock;
  auto since = [](Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  };
  Clock::time_point t0 = Clock::now();
  std::vector<Unit> units;
  llvm::StringMap<unsigned> unitOf;
  std::vector<unsigned> kernelUnit;
  for (const KernelSpec &k : kernels) {
    std::string key = kernelCacheKey(k, options, *t);
    auto [it, fresh] = unitOf.try_emplace(key, static_cast<unsigned>(units.size()));
    if (fresh)
      units.push_back({key, {}, "", false, {}});
    units[it->second].kernels.push_back(&k);
    kernelUnit.push_back(it->second);
  }
  std::vector<Unit *> todo;
  for (Unit &u : units) {
    ObjectCache::Lookup l = cache.load(u.key, u.object);
    if (l == ObjectCache::Lookup::Hit) {
      ++out->stats.hits;
      continue;
    }
    if (l == ObjectCache::Lookup::Corrupt)
      ++out->stats.corrupt;
    ++out->stats.misses;
    todo.push_back(&u);
  }
  out->stats.keyMs = since(t0);
  t0 = Clock::now();
  // The misses' kernel IR, built here, under scheduleKernelIR's lock: it lives in the
  // program's Context (the workers below only read it).
  for (Unit *u : todo) {
    absl::StatusOr<KernelIRGraph> g =
        scheduleKernelIR(*u->kernels.front(), lanesFor(t->vectorBits));
    if (!g.ok())
      return g.status();
    u->kir = std::move(*g);
  }
  // The misses, compiled on up to compileThreads threads, each with its own
  // LLVMContext and TargetMachine (they share nothing); the first error in kernel
  // order is the one reported.
  std::vector<absl::Status> errors(todo.size());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    std::unique_ptr<llvm::LLVMContext> ctx;
    std::optional<Target> wt;
    for (size_t i = next++; i < todo.size(); i = next++) {
      if (!ctx) {
        ctx = std::make_unique<llvm::LLVMContext>();
        absl::StatusOr<Target> made = makeTarget(options);
        if (!made.ok()) {
          errors[i] = made.status();
          return;
        }
        wt = std::move(*made);
      }
      Unit &u = *todo[i];
      absl::StatusOr<std::unique_ptr<llvm::Module>> m =
          buildModule(*ctx, *u.kernels.front(), *u.kir, "fxir_" + u.key, *wt, options);
      if (!m.ok()) {
        errors[i] = m.status();
        continue;
      }
      absl::StatusOr<llvm::SmallVector<char, 0>> obj =
          emitFile(**m, *wt->tm, llvm::CodeGenFileType::ObjectFile);
      if (!obj.ok()) {
        errors[i] = obj.status();
        continue;
      }
      u.object.assign(obj->data(), obj->size());
      u.compiled = true;
    }
  };
  size_t threads = std::min<size_t>(todo.size(), compileThreads(options));
  std::vector<std::thread> pool;
  for (size_t i = 1; i < threads; ++i)
    pool.emplace_back(worker);
  if (!todo.empty())
    worker();
  for (std::thread &th : pool)
    th.join();
  for (const absl::Status &st : errors)
    if (!st.ok())
      return st;
  out->stats.codegenMs = since(t0);
  out->stats.threads = static_cast<unsigned>(threads);
  t0 = Clock::now();

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
  // ORC reports link errors (a missing symbol) through the session, not the lookup's
  // error: keep them for the message instead of printing them.
  auto sessionErrors = std::make_shared<std::string>();
  out->jit->getExecutionSession().setErrorReporter([sessionErrors](llvm::Error e) {
    *sessionErrors += (sessionErrors->empty() ? "" : "; ") + errorText(std::move(e));
  });
  // The explicit symbol table: what emitted code may call (LLVM may turn loops into
  // memcpy/memset calls) and the runtime's helpers; nothing else resolves.
  llvm::orc::MangleAndInterner mangle(out->jit->getExecutionSession(), out->jit->getDataLayout());
  llvm::orc::SymbolMap table;
  table[mangle("memcpy")] = {llvm::orc::ExecutorAddr::fromPtr(&::memcpy),
                             llvm::JITSymbolFlags::Exported};
  table[mangle("memset")] = {llvm::orc::ExecutorAddr::fromPtr(&::memset),
                             llvm::JITSymbolFlags::Exported};
  table[mangle("memmove")] = {llvm::orc::ExecutorAddr::fromPtr(&::memmove),
                              llvm::JITSymbolFlags::Exported};
  // The libm calls LLVM lowers `frem` to (fmod is exact: libm's equals ATen's).
  table[mangle("fmodf")] = {llvm::orc::ExecutorAddr::fromPtr(
                                static_cast<float (*)(float, float)>(&::fmodf)),
                            llvm::JITSymbolFlags::Exported};
  table[mangle("fmod")] = {llvm::orc::ExecutorAddr::fromPtr(
                               static_cast<double (*)(double, double)>(&::fmod)),
                           llvm::JITSymbolFlags::Exported};
  // sin and cos of |x| > 8192 (the cold path of the vector code).
  table[mangle("sinf")] = {llvm::orc::ExecutorAddr::fromPtr(static_cast<float (*)(float)>(&::sinf)),
                           llvm::JITSymbolFlags::Exported};
  table[mangle("cosf")] = {llvm::orc::ExecutorAddr::fromPtr(static_cast<float (*)(float)>(&::cosf)),
                           llvm::JITSymbolFlags::Exported};
  // perf's jitdump writer (libLLVM's), which PerfSupportPlugin finds in the JITDylib.
  if (options.jitDebugPerf) {
    table[mangle("llvm_orc_registerJITLoaderPerfStart")] = {
        llvm::orc::ExecutorAddr::fromPtr(&llvm_orc_registerJITLoaderPerfStart),
        llvm::JITSymbolFlags::Exported};
    table[mangle("llvm_orc_registerJITLoaderPerfEnd")] = {
        llvm::orc::ExecutorAddr::fromPtr(&llvm_orc_registerJITLoaderPerfEnd),
        llvm::JITSymbolFlags::Exported};
    table[mangle("llvm_orc_registerJITLoaderPerfImpl")] = {
        llvm::orc::ExecutorAddr::fromPtr(&llvm_orc_registerJITLoaderPerfImpl),
        llvm::JITSymbolFlags::Exported};
  }
  for (const RuntimeSymbol &s : runtimeSymbols)
    table[mangle(s.name)] = {llvm::orc::ExecutorAddr::fromPtr(s.address),
                             llvm::JITSymbolFlags::Exported};
  if (llvm::Error e = out->jit->getMainJITDylib().define(llvm::orc::absoluteSymbols(table)))
    return absl::InternalError("cpu: cannot define the runtime symbols: " + errorText(std::move(e)));
  // Debugger and profiler registration (ORC's plugins; before any object is linked).
  auto *layer = llvm::dyn_cast<llvm::orc::ObjectLinkingLayer>(&out->jit->getObjLinkingLayer());
  if ((options.jitDebugGdb || options.jitDebugPerf) && !layer)
    return absl::InternalError("cpu: gdb and perf registration need JITLink's object linking layer");
  if (options.jitDebugGdb) {
    // What llvm::orc::enableDebuggerSupport does for ELF, without the process symbols
    // it insists on (the JIT links against the explicit table only): each object, its
    // symbols (kernels carry no DWARF), registered through gdb's JIT interface, whose
    // functions the registrar finds in the process (libLLVM exports them).
    auto registrar = llvm::orc::createJITLoaderGDBRegistrar(out->jit->getExecutionSession());
    if (!registrar)
      return absl::InternalError("cpu: cannot register JIT code with gdb: " +
                                 errorText(registrar.takeError()));
    layer->addPlugin(std::make_unique<llvm::orc::DebugObjectManagerPlugin>(
        out->jit->getExecutionSession(), std::move(*registrar), /*RequireDebugSections=*/false,
        /*AutoRegisterCode=*/true));
  }
  if (options.jitDebugPerf) {
    if (perfJits.fetch_add(1) != 0) {
      --perfJits;
      return absl::FailedPreconditionError(
          "cpu: jit-debug=perf: another compiled program in this process already writes "
          "perf's jitdump (LLVM's writer is process-wide: one program at a time)");
    }
    out->perf = true;
    auto plugin = llvm::orc::PerfSupportPlugin::Create(
        out->jit->getExecutionSession().getExecutorProcessControl(), out->jit->getMainJITDylib(),
        /*EmitDebugInfo=*/false, /*EmitUnwindInfo=*/false);
    if (!plugin)
      return absl::InternalError("cpu: cannot register JIT code with perf: " +
                                 errorText(plugin.takeError()));
    layer->addPlugin(std::move(*plugin));
  }
  for (Unit &u : units) {
    auto buffer = llvm::MemoryBuffer::getMemBufferCopy(u.object, "fxir_" + u.key + ".o");
    if (llvm::Error e = out->jit->addObjectFile(std::move(buffer)))
      return absl::InternalError("cpu: the JIT cannot load kernel " + u.kernels.front()->symbol +
                                 ": " + errorText(std::move(e)) + fusesText(u.kernels));
  }
  for (size_t i = 0; i < kernels.size(); ++i) {
    const Unit &u = units[kernelUnit[i]];
    auto addr = out->jit->lookup("fxir_" + u.key);
    if (!addr)
      return absl::InternalError("cpu: kernel " + kernels[i].symbol + " does not link: " +
                                 (sessionErrors->empty() ? "" : *sessionErrors + ": ") +
                                 errorText(addr.takeError()) + fusesText({&kernels[i]}));
    out->fns[kernels[i].symbol] = addr->toPtr<KernelFn>();
  }
  out->stats.linkMs = since(t0);
  // Stored once linked: an entry that does not link is never written.
  uint64_t stored = 0;
  for (const Unit &u : units)
    if (u.compiled) {
      cache.store(u.key, u.object);
      stored += u.object.size();
    }
  if (stored && cache.enabled())
    cache.evict(stored);
  out->stats.enabled = cache.enabled(); // off when a store failed
  return std::unique_ptr<CompiledKernels>(std::move(out));
}

absl::StatusOr<std::string> emitKernelText(const KernelSpec &kernel,
                                           const CodegenOptions &options,
                                           llvm::StringRef what) {
  absl::StatusOr<Target> t = makeTarget(options);
  if (!t.ok())
    return t.status();
  llvm::LLVMContext ctx;
  if (what == "kernels")
    return kernelIRText(kernel, lanesFor(t->vectorBits));
  absl::StatusOr<KernelIRGraph> kir = scheduleKernelIR(kernel, lanesFor(t->vectorBits));
  if (!kir.ok())
    return kir.status();
  absl::StatusOr<std::unique_ptr<llvm::Module>> m =
      buildModule(ctx, kernel, **kir, kernel.symbol, *t, options);
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
