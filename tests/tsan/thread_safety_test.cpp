//===- thread_safety_test.cpp - a finished program read from several threads -------===//
//
// Built with ThreadSanitizer from the IR sources themselves (tests/tsan/CMakeLists.txt;
// the shared libraries are not instrumented). Context.h's rule: a finished program may
// be printed, verified and walked from several threads at once, because those write
// nothing on the graph or its Context. This test does that from four threads, with
// the program's names shadowed in sibling regions and unnamed values (so the printer
// renames) and with provenance, and checks every thread's text against the
// single-threaded one. A data race is a TSan report, which fails the run
// (TSAN_OPTIONS=halt_on_error=1). Before printing and verifying kept their state to
// themselves (they marked names and values in place), this test reported races.
//
// usage: fxir-tsan-test    Prints `fxir-tsan-test: N threads x M rounds: ok`.
//===----------------------------------------------------------------------------===//
#include "fxir/ir/Context.h"
#include "fxir/ir/TextFormat.h"
#include "fxir/ir/Verifier.h"

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace {

// A program with nested regions whose value names repeat across sibling regions (the
// printer must rename inside each), unnamed values, and a long straight-line part.
std::string program() {
  std::string s = R"(sym s0 : [2, 64] hint 4
graph @g(%x: f32[s0, 8] input, %p: bool[] input) -> (output, output) {
  %r: f32[s0, 8] = higher_order.cond(%p, ^0, ^1, [%x]) ^0(%a: f32[s0, 8]) {
    %n: f32[s0, 8] = aten.neg.default(%a)
    %n2: f32[s0, 8] = aten.relu.default(%n)
    fxir.yield(%n2)
  } ^1(%a2: f32[s0, 8]) {
    %n3: f32[s0, 8] = aten.abs.default(%a2)
    fxir.yield(%n3)
  }
)";
  std::string prev = "r";
  for (int i = 0; i < 400; ++i) {
    std::string cur = i % 3 == 0 ? "" : "v" + std::to_string(i);
    std::string name = cur.empty() ? std::to_string(1000 + i) : cur;
    s += "  %" + name + ": f32[s0, 8] = aten.add.Tensor(%" + prev + ", %x, alpha=1)\n";
    prev = name;
  }
  s += "  fxir.yield(%r, %" + prev + ")\n}\n";
  return s;
}

} // namespace

int main() {
  fxir::Context ctx;
  auto g = fxir::parseGraph(ctx, program(), "tsan.fxir");
  if (!g.ok()) {
    std::fprintf(stderr, "fxir-tsan-test: %s\n", std::string(g.status().message()).c_str());
    return 1;
  }
  fxir::PrintOptions plain, debug;
  debug.debugInfo = true;
  const std::string want = fxir::printGraph(**g, plain), wantDebug = fxir::printGraph(**g, debug);
  if (!fxir::verify(**g).ok()) {
    std::fprintf(stderr, "fxir-tsan-test: the program does not verify\n");
    return 1;
  }
  constexpr int kThreads = 4, kRounds = 25;
  std::atomic<int> bad{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      while (!go.load())
        std::this_thread::yield();
      for (int r = 0; r < kRounds; ++r) {
        if (fxir::printGraph(**g, plain) != want || fxir::printGraph(**g, debug) != wantDebug)
          ++bad;
        std::vector<fxir::Diagnostic> diags;
        if (!fxir::verify(**g, diags))
          ++bad;
        size_t ops = 0;
        (*g)->walk([&](fxir::Op &) { ++ops; });
        if (ops != (*g)->numOps())
          ++bad;
      }
    });
  go = true;
  for (std::thread &t : threads)
    t.join();
  if (bad) {
    std::printf("fxir-tsan-test: %d reads disagreed with the single-threaded ones\n", bad.load());
    return 1;
  }
  std::printf("fxir-tsan-test: %d threads x %d rounds: ok\n", kThreads, kRounds);
  return 0;
}
