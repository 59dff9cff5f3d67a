//===- Cpu.h - the CPU code generator's LibTorch-free side ----------------------===//
//
// What the CPU backend is made of before anything runs (docs/codegen.md):
//  1. partitioning (`cpu-partition`, a pass over the graph IR): ops the generator
//     covers (KernelOps.def: pointwise ops with broadcasting, type promotion and casts)
//     are grouped into `cpu.kernel` region ops; every other op stays where it is and
//     runs through ATen as an extern call. fxir-opt prints the partition.
//  2. scheduling: each kernel's iteration space (its result's rank), the vector width
//     of the target and how every buffer is addressed in the inner loop (contiguous,
//     broadcast or strided), as a KernelSpec;
//  3. LLVM emission (Emit.cpp): one function per kernel, its inner loop vectorized
//     explicitly at the target's widest vector width with a masked remainder that runs
//     the same code, then LLVM's O3 pipeline for the target;
//  4. JIT (Jit.cpp): the module compiled to an object in process and linked by ORC's
//     LLJIT against an explicit symbol table; no external compiler, no process symbols.
// The runtime side (backends/runtime/CpuExecutable.cpp, LibTorch) calls the kernels.
//
// Kernel ABI (every kernel, C calling convention):
//   int32_t fxir_kN(void *const *buffers, const int64_t *sizes, const int64_t *strides,
//                   const int64_t *scalars, int64_t threads)
// buffers: the kernel's tensor operands then its results (data pointers, offset
// applied); sizes: the iteration space (rank R); strides: R per buffer, in elements,
// already expanded for broadcasting (0 on broadcast dims); scalars: one 8-byte slot per
// number operand (int64, or a double's bits); threads: at most this many threads run
// it. It returns its error flags (kErrorIntegerDivisionByZero; 0: none): kernels
// never throw or abort. No host address is ever an IR constant.
//
// Runtime-helper ABI (version kRuntimeAbiVersion; what kernels call, resolved from the
// table the runtime passes to compileKernels, never from the process):
//   int32_t fxir_parallel_tiles(TileFn tiles, void *ctx, int64_t rows, int64_t n,
//                               int64_t lanes, int64_t threads, int64_t steps)
// runs `tiles` over a rows x n iteration space (each element `steps` times: a native
// loop's steps, 1 otherwise; the grain rule counts rows x n x steps): on the calling
// thread, or split over up to `threads` threads (docs/codegen.md), each call covering tiles
// [begin, end) of `chunk` inner elements (a multiple of `lanes`), `chunksPerRow` a row;
// returns the or of the tiles' error flags.
//
// 5. the compile cache (Cache.h): object code on disk, keyed before any LLVM IR exists.
//
// Does not: include LibTorch, allocate or run anything.
//===----------------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fxir/ir/Dot.h"
#include "fxir/ir/Graph.h"
#include "fxir/passes/Pass.h"

#include "absl/status/statusor.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

namespace fxir::cpu {

/// Registers the backend's op rows (`cpu.kernel`) and its pass (`cpu-partition`) with
/// the op and pass registries. Explicit, idempotent, thread-safe; tools that print or
/// parse kernels call it first.
void registerTables();

/// The name of the kernel region op.
inline constexpr llvm::StringLiteral kKernelOpName = "cpu.kernel";

/// How the generator computes one ATen op (KernelOps.def), or Emitter::None.
enum class Emitter : uint8_t {
  None,
#define FXIR_KERNEL_EMITTER(E) E,
#include "fxir/backends/cpu/KernelOps.def"
};
enum class ArgForm : uint8_t { Fill, Arange, Unary, Binary, Compare, Where, Clamp, Cast, Copy };
/// How a row's result dtype follows from its operands (KernelOps.def).
enum class ResultRule : uint8_t { Same, Float, Bool, Any };
/// The operand dtypes a row generates (KernelOps.def): F f32/f16/bf16, D f64, I the
/// integer types, B bool.
namespace domain {
inline constexpr uint8_t F = 1, D = 2, I = 4, B = 8;
}
struct KernelOpRow {
  llvm::StringRef name;
  Emitter emitter;
  ArgForm form;
  ResultRule rule;
  uint8_t domain;
  /// Whether the row generates operands of dtype `t`.
  bool accepts(DType t) const;
};
/// Every row of KernelOps.def.
llvm::ArrayRef<KernelOpRow> kernelOpRows();
/// Whether `t` is a number a kernel takes as a scalar (int, float, bool, their sym forms).
bool isNumberType(const Type *t);
/// The dtype a number of type `t` promotes as: Float64, Bool or Int64.
DType numberDType(const Type *t);

/// The row of ATen op `name`, or null when the generator does not cover it.
const KernelOpRow *kernelOpRow(llvm::StringRef name);

/// The op's argument for its schema's argument `i` (positional or keyword), or null
/// when the op leaves it at the schema's default.
const Attr *argFor(const Op &op, unsigned i);

/// A factory op's value argument: full's fill_value, scalar_tensor's s (null for
/// zeros/ones, whose value is fillConstant); arange's start, end and step (null when
/// defaulted).
const Attr *fillValueArg(const Op &op);
/// The value zeros*/ones* fill with (0 or 1); nullopt for ops with a value argument.
std::optional<double> fillConstant(const Op &op);

/// When `e` is a*s + b in one symbol s (sums and products of constants and s, a != 0):
/// s. A symint operand typed so binds s at run time (solveSymbol).
const Symbol *affineSymbol(const SymExpr *e);
/// The value of affineSymbol(e) for which e equals `value`, if there is one.
std::optional<int64_t> solveSymbol(const SymExpr *e, int64_t value);

/// The schema default of `op`'s argument `i` when it is a number (hardtanh's -1).
std::optional<double> defaultNumber(const Op &op, unsigned i);
/// The constant number of `op`'s argument `i` (an int, float or bool given, or the
/// schema default); nullopt when it is a value or not a number. The claim and the
/// emitter both read parameters through it (pow's exponent, leaky_relu's slope).
std::optional<double> constantNumber(const Op &op, unsigned i);
/// The schema arguments of a Clamp-form op that bound it (min*, max*), in order.
llvm::SmallVector<unsigned, 2> clampBounds(const Op &op);

/// Why `op` cannot be part of a kernel ("" when it can): not in KernelOps.def, a dtype,
/// device or argument the generator does not lower, a type promotion it does not
/// reproduce. Decides the partition; `--report` lists the extern ops by name.
std::string whyNotKernel(const Op &op);

/// Why view op `op` cannot be fused into the kernel of its input's producer ("" when
/// it can): fxir's view table (ir/ViewOps.def) gives it an index map that finds each
/// result element's input element from its index alone (not as_strided, conditional
/// or multi-result views, not expand); one tensor operand; ranks >= 1. Such a view is
/// never a kernel alone: the partition fuses it when its input's kernel has no other
/// user (docs/codegen.md), and the ops under it then run in the view's index space
/// (their loads read their operands through the view: index arithmetic, no copy).
std::string whyNotFusedView(const Op &op);
/// The tensor a fused view reads (its schema argument 0).
const Value *viewInput(const Op &view);
/// Whether `member`, an op of a cpu.kernel region, is a fused view: the partition
/// admits the ops it does not compute (whyNotKernel non-empty) only as such views.
bool isFusedView(const Op &member);

/// Whether `op` is a heavy op left to ATen on purpose (matmul, convolution,
/// attention): reported as `library` rather than `extern`.
bool isLibraryOp(const Op &op);

/// The result dtype ATen's type promotion gives for these operands: tensors of rank > 0
/// over 0-dim tensors over Python numbers (wrapped numbers), by category (bool < int <
/// float). nullopt for a combination the generator does not handle.
struct PromotionInput {
  enum class Kind : uint8_t { Tensor, ZeroDim, Number } kind;
  DType dtype; ///< numbers: Bool, Int64 or Float64
};
std::optional<DType> promoteTypes(DType a, DType b);
std::optional<DType> resultType(llvm::ArrayRef<PromotionInput> inputs);
/// resultType of `op`'s schema arguments `args` (tensor operands, number operands and
/// constants); nullopt when one is none of those or the promotion is not handled.
std::optional<DType> resultTypeOf(const Op &op, llvm::ArrayRef<unsigned> args);

/// What a partitioned graph runs where (fxir-run --report, the corpus test).
struct PartitionReport {
  unsigned kernels = 0, fusedOps = 0, nativeLoops = 0;
  /// Op name -> count, for ATen ops outside kernels: heavy ones left to ATen on
  /// purpose (library) and the rest (extern).
  std::map<std::string, unsigned> library, external;
  /// Extern ops the generator covers by name (KernelOps.def), with why they are extern
  /// here (a dtype, an argument): "aten.exp.default: f64 exp is not generated yet".
  std::map<std::string, unsigned> claimedButExtern;
  unsigned numLibrary() const;
  unsigned numExtern() const;
  /// `aten.mm x2, aten.cat`
  static std::string list(const std::map<std::string, unsigned> &ops);
};
/// (`nativeLoops`: as scheduleKernels; a native loop counts as one kernel fusing its
/// body, its selects and insert_slices.)
PartitionReport reportPartition(const Graph &graph, bool nativeLoops = true);
/// Whether an executable scheduled native loops, from its compileInfo() (the options
/// `native-loops` and `check-kernels`, which turns them off).
bool nativeLoopsEnabled(const std::map<std::string, std::string> &compileInfo);

/// How `fxir-opt --emit=dot` and `prog.to_dot()` draw a partitioned program: each
/// kernel a cluster titled with its symbol and the ops it fuses, ATen calls outside
/// kernels marked library or extern (ir/Dot.h).
DotOptions dotOptions(const Graph &graph);

/// The cpu-partition pass.
std::unique_ptr<Pass> createPartitionPass(const PassOptions &options);
llvm::ArrayRef<PassOptionSpec> partitionOptions();

/// How a buffer is addressed along the innermost dim.
enum class Inner : uint8_t { Contiguous, Broadcast, Strided };

/// What a buffer of a native loop kernel (KernelSpec::loop) holds. Plain: a tensor the
/// loop reads at every step (defined outside it); Init: a carried value's init, read at
/// step 0; Steps: `select(X, d, i)` (or `n - 1 - i`) of a tensor X defined outside the
/// loop, step t's slice; Carry: the carried value (a result: read back at each step
/// after the first, its last value is the loop's result); Stacked: a stacked output
/// (a result of [n, ...]: step t's slice written at t).
enum class LoopRole : uint8_t { Plain, Init, Steps, Carry, Stacked };

/// One kernel, scheduled: what the emitter builds and the runtime calls.
struct KernelSpec {
  const Op *op = nullptr;     ///< the cpu.kernel op
  Context *context = nullptr; ///< the partitioned graph's (kernel IR is built in it)
  std::string symbol;         ///< fxir_k<N>
  unsigned rank = 0;          ///< of the iteration space (the results' rank)
  struct Buffer {
    bool isResult = false;
    unsigned index = 0;       ///< operand index, or result index
    DType dtype = DType::Float32;
    unsigned rank = 0;        ///< of the tensor (<= rank; leading dims broadcast)
    Inner inner = Inner::Contiguous;
    /// The index space whose ops read it (spaces below; 0: the kernel's). An operand
    /// read in space s > 0 is the operand seen through that space's views: rank R,
    /// its strides those of the views applied at run time (index arithmetic).
    unsigned space = 0;
    /// Native loops only (Plain otherwise). Results: `index` is the loop's result and
    /// `value` the kernel result stored there; Init: `value` is the carried slot (the
    /// loop result) whose init it is, `carry` that slot's Carry buffer; Steps: `select`
    /// reads it; Steps and Stacked: `reverse` when at n - 1 - i.
    LoopRole role = LoopRole::Plain;
    unsigned value = 0;
    unsigned carry = ~0u;
    const Op *select = nullptr;
    bool reverse = false;
  };
  std::vector<Buffer> buffers;        ///< tensor operands, then results
  std::vector<unsigned> scalarOperands; ///< number operands, slot order
  /// Index spaces. 0 is the kernel's (its results' shape). The ops under a fused view
  /// chain run in another: spaces[s] lists its views, the one nearest the kernel's
  /// space first; an element of it at index i is the element the chain maps i to.
  std::vector<std::vector<const Op *>> spaces{{}};
  /// The space of each op of the kernel's region that is not in space 0.
  llvm::DenseMap<const Op *, unsigned> opSpace;
  /// The buffer of operand `operand` read in space `space` (-1u: none).
  unsigned bufferOf(unsigned operand, unsigned space) const;
  std::vector<unsigned> operandBuffer; ///< per operand: its space-0 buffer, or -1u
  std::vector<unsigned> operandScalar; ///< per operand: scalar slot, or -1u
  unsigned numOps = 0;                ///< ATen ops fused
  /// It holds a factory op (Fill, Arange forms): its iteration space is its result
  /// type's shape, evaluated at run time with the symbols its operands bind, not the
  /// broadcast of its tensor operands.
  bool shapeFromType = false;
  /// The ops it fuses with their source lines, one a line (the --emit header).
  std::string sources;
  /// A native loop (docs/codegen.md): the fxir.for whose body is `op` with its selects
  /// and insert_slices, run as this one kernel; null for a plain kernel. Dim 0 of the
  /// iteration space (rank = the body kernel's rank + 1) is the loop's steps, run in
  /// order inside each tile; the buffers have LoopRoles, the results are the loop's.
  const Op *loop = nullptr;
};

/// Why fxir.for `loop` cannot run as one generated kernel ("" when it can): its body
/// must be one cpu.kernel of rank >= 1 without fused views or factory ops, selects of
/// tensors defined outside the loop at i or n - 1 - i, insert_slices of kernel results
/// into stacked outputs allocated for n steps, the index arithmetic, and the yield; each
/// carried value a kernel result of the kernel's shape and dtype, read only by it.
std::string whyNotNativeLoop(const Op &loop);
/// When fxir.for `loop` is a native loop (whyNotNativeLoop is ""), makes `k`, the
/// scheduled kernel of its body, the native loop's spec (roles, the loop's results,
/// rank + 1) and gives true; false leaves `k` as it was (scheduleKernels).
absl::StatusOr<bool> makeNativeLoop(KernelSpec &k, const Op &loop);
/// The number of steps of native loop `loop` as an expression (its trip count's).
const SymExpr *loopStepsExpr(const Op &loop, Context &ctx);

/// Where code is generated for.
struct CodegenOptions {
  /// "host" (the CPU's name for tuning, its features from sys::getHostCPUFeatures),
  /// or an LLVM CPU name such as x86-64-v3 or x86-64-v4.
  std::string target = "host";
  /// Bits of the vectors the inner loop uses; 0: the target's widest.
  int64_t vectorBits = 0;
  /// LLVM's optimization level for the kernels (0-3).
  int64_t optLevel = 3;
  /// Round every f16/bf16 result to its dtype after each op, as eager does, instead of
  /// keeping f32 between the ops of a kernel (docs/codegen.md: the difference).
  bool emulateEagerRounding = false;
  /// The compile cache (docs/codegen.md): on, its directory ("" for $FXIR_CACHE_DIR,
  /// else $XDG_CACHE_HOME/fxir, else ~/.cache/fxir) and its cap.
  bool cache = true;
  std::string cacheDir;
  int64_t cacheMaxKB = 1 << 20;
  /// Threads compiling the kernels the cache does not have (0: the machine's cores).
  int64_t compileThreads = 0;
  /// Run fxir.for loops the generator covers entirely as one kernel (`native-loops`).
  bool nativeLoops = true;
  /// Register the JIT's code with debuggers and profilers (ORC's support): gdb's JIT
  /// interface (`__jit_debug_register_code`), perf's jitdump; both off by default.
  /// Not part of the cache key (the object code is the same).
  bool jitDebugGdb = false, jitDebugPerf = false;
  std::string jitDebugBad; ///< a jit-debug value that is neither (an error at compile)
  /// For tests: "verifier" makes every kernel fail LLVM's verifier, "jit" makes every
  /// kernel call a symbol the JIT cannot resolve, "miscompile" makes every kernel's
  /// first result wrong (what --check-kernels must catch); "" (the default) none.
  std::string injectFailure;
};

/// The target code is generated for, resolved (the host's features as detected).
struct TargetDesc {
  std::string triple, cpu, features;
  int64_t vectorBits = 0;
};

/// The canonical text of a scheduled kernel: its ops, their argument values, dtypes,
/// ranks and buffer addressing; no names, provenance or shapes. Identical kernels in
/// different layers or programs have the same text.
std::string canonicalKernelText(const KernelSpec &kernel);
/// The compile cache's key of `kernel` for target `t` (32 hex digits): its canonical
/// text, the target's triple, CPU and full feature string, the vector width, the
/// codegen options, kRuntimeAbiVersion, the LLVM version and the build ids of the code
/// generator and libLLVM. Computed before any LLVM IR exists.
std::string kernelCacheKey(const KernelSpec &kernel, const CodegenOptions &options,
                           const TargetDesc &t);

/// The codegen options of the cpu backend's typed options (driver/Backends.def: target,
/// vector-width, opt-level, emulate-eager-rounding).
CodegenOptions codegenOptions(const PassOptions &backendOptions);

/// The kernels of a partitioned graph, scheduled (every cpu.kernel op, nested ones
/// included, in order). With `nativeLoops` (the `native-loops` option), the kernel of
/// an fxir.for the generator covers entirely is scheduled as the native loop
/// (KernelSpec::loop).
absl::StatusOr<std::vector<KernelSpec>> scheduleKernels(const Graph &graph,
                                                        bool nativeLoops = true);

/// Compiled kernels: the JIT owning their code, each kernel's entry point. It returns
/// its error flags (0: none).
using KernelFn = int32_t (*)(void *const *, const int64_t *, const int64_t *,
                             const int64_t *, int64_t threads);
/// A kernel's tile function: tiles [begin, end) (the helper ABI above); returns its
/// error flags.
using TileFn = int32_t (*)(void *ctx, int64_t begin, int64_t end, int64_t chunk,
                           int64_t chunksPerRow);
/// Error flags a kernel returns: an integer division (div with a rounding mode,
/// floor_divide, remainder, fmod) by zero (eager's ZeroDivisionError).
inline constexpr int32_t kErrorIntegerDivisionByZero = 1;
inline constexpr llvm::StringLiteral kParallelHelperSymbol = "fxir_parallel_tiles";
/// Bumped whenever the kernel or helper ABI changes (part of the compile cache's key).
inline constexpr int kRuntimeAbiVersion = 3;
/// A function the runtime provides to kernels (the helper table).
struct RuntimeSymbol {
  llvm::StringRef name;
  void *address;
};
class CompiledKernels {
public:
  virtual ~CompiledKernels() = default;
  /// The entry point of kernel `symbol`, or null.
  virtual KernelFn lookup(llvm::StringRef symbol) const = 0;
  /// The target's CPU name, its features and the vector width used.
  virtual const std::string &targetDescription() const = 0;
  /// What the compile cache did: distinct kernels loaded (hits), compiled (misses),
  /// found corrupt and recompiled; whether it was on, and where.
  struct CacheStats {
    unsigned hits = 0, misses = 0, corrupt = 0;
    bool enabled = false;
    std::string dir;
    /// Wall time: keys and cache loads; compiling the misses (emit, O3, object code;
    /// on `threads` threads); the JIT's creation and link.
    double keyMs = 0, codegenMs = 0, linkMs = 0;
    unsigned threads = 0;
  };
  virtual const CacheStats &cacheStats() const = 0;
};

/// Emits, optimizes and JIT-compiles `kernels`, linked against `runtimeSymbols` (the
/// helper table: kParallelHelperSymbol at least), memcpy, memset and memmove, and
/// nothing else. A verifier or JIT failure is an error naming the kernel, its ops and
/// their source lines.
absl::StatusOr<std::unique_ptr<CompiledKernels>>
compileKernels(llvm::ArrayRef<KernelSpec> kernels, const CodegenOptions &options,
               llvm::ArrayRef<RuntimeSymbol> runtimeSymbols);

/// The LLVM IR (`llvm`) or assembly (`asm`) of one kernel, for --emit.
absl::StatusOr<std::string> emitKernelText(const KernelSpec &kernel,
                                           const CodegenOptions &options,
                                           llvm::StringRef what);

} // namespace fxir::cpu
