//===- fxir_text_fuzz.cpp - seeded mutation fuzzing of the fxir text format ------===//
//
// Built with AddressSanitizer and UndefinedBehaviorSanitizer (tests/fuzz/CMakeLists.txt)
// from the IR sources themselves. Takes the .fxir seed files, makes COUNT mutants with a
// seeded generator (byte flips, deleted / duplicated / swapped spans and lines, inserted
// tokens, lines spliced from other seeds) and runs each through parse -> verify ->
// print -> parse -> print. A malformed mutant must give an error; a mutant that parses
// must print to text that parses and prints identically (with and without debug info).
// A sanitizer report, a crash, or a mutant that takes longer than 5 s fails the run.
//
// Every seed is first run unmutated: one that parses must round-trip.
//
// Built a second time as fxir-kir-fuzz (FXIR_FUZZ_KERNEL_IR, with the CPU code
// generator's partition and kernel-IR sources under the same sanitizers): the kir.*
// table is registered, and every mutant that parses also runs verifyKernelIR and, when
// that accepts it, the two scheduling rewrites (cpu-vectorize, cpu-parallelize); each
// result must round-trip too.
//
// usage: fxir-text-fuzz --seed N --count N FILE.fxir...
// Prints `fxir-text-fuzz: N passed, M failed` (M = round-trip violations, seeds
// included).
//===----------------------------------------------------------------------------===//
#include "fxir/ir/Context.h"
#include "fxir/ir/TextFormat.h"
#include "fxir/ir/Verifier.h"
#ifdef FXIR_FUZZ_KERNEL_IR
#include "fxir/backends/cpu/KernelIR.h"
#endif

#include "FuzzSupport.h"

#include <cstdio>
#include <random>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

std::vector<std::string> loadSeeds(const std::vector<std::string> &files) {
  std::vector<std::string> seeds;
  for (const std::string &f : files) {
    std::string cur, line;
    std::istringstream lines(fxir::fuzz::readFile(f));
    // Each `// -----` case is its own seed.
    while (std::getline(lines, line)) {
      if (line.find("// -----") != std::string::npos) {
        seeds.push_back(cur);
        cur.clear();
      } else {
        cur += line + "\n";
      }
    }
    seeds.push_back(cur);
  }
  return seeds;
}

const char *kTokens[] = {
    "%x", "%0", "^0", "^1", "(", ")", "[", "]", "{", "}", "<", ">", ",", ":", "=", "->",
    "-", "+", "*", "sym ", "graph ", "@g", "f32[", "i64[2]", "symint<", "s0", "u0",
    "99999999999999999999", "-9223372036854775808", "1e999", "0.5", "\"", "\"\\x\"",
    "#0", "#999", " loc #0", "prov(", "node \"n\"", "fxir.yield(", "aten.add.Tensor(",
    "higher_order.cond(", "// ", "\n", "nan", "inf", "none", "true", "device(\"cpu\")",
    "floordiv(s0, 0)", "mod(s0, 0)", "max()", "list<", "optional<", "object<\"c\">",
    "input", "param \"w\"", "output", "buffer_mutation \"b\"", "non_persistent", "\t",
    "\xff", "\x01",
};

std::string mutate(std::string s, const std::vector<std::string> &seeds, std::mt19937_64 &rng) {
  auto pick = [&](size_t n) { return n ? static_cast<size_t>(rng() % n) : 0; };
  int rounds = 1 + static_cast<int>(pick(4));
  for (int r = 0; r < rounds; ++r) {
    switch (pick(7)) {
    case 0: // flip a byte
      if (!s.empty())
        s[pick(s.size())] ^= static_cast<char>(1 << pick(8));
      break;
    case 1: { // delete a span
      if (s.empty())
        break;
      size_t a = pick(s.size()), n = 1 + pick(std::min<size_t>(40, s.size() - a));
      s.erase(a, n);
      break;
    }
    case 2: { // duplicate a span
      if (s.empty())
        break;
      size_t a = pick(s.size()), n = 1 + pick(std::min<size_t>(80, s.size() - a));
      s.insert(pick(s.size() + 1), s.substr(a, n));
      break;
    }
    case 3: // insert a token
      s.insert(pick(s.size() + 1), kTokens[pick(sizeof kTokens / sizeof *kTokens)]);
      break;
    case 4: { // replace a token-sized span with a token
      if (s.empty())
        break;
      size_t a = pick(s.size());
      s.replace(a, std::min<size_t>(1 + pick(6), s.size() - a),
                kTokens[pick(sizeof kTokens / sizeof *kTokens)]);
      break;
    }
    case 5: { // splice a line from another seed
      const std::string &other = seeds[pick(seeds.size())];
      if (other.empty())
        break;
      size_t a = other.rfind('\n', pick(other.size()));
      a = a == std::string::npos ? 0 : a + 1;
      size_t b = other.find('\n', a);
      std::string line = other.substr(a, b == std::string::npos ? std::string::npos : b - a + 1);
      size_t at = s.find('\n', pick(s.size() + 1));
      s.insert(at == std::string::npos ? s.size() : at + 1, line);
      break;
    }
    case 6: { // swap two lines
      std::vector<std::string> lines;
      std::istringstream in(s);
      for (std::string l; std::getline(in, l);)
        lines.push_back(l);
      if (lines.size() >= 2)
        std::swap(lines[pick(lines.size())], lines[pick(lines.size())]);
      s.clear();
      for (const std::string &l : lines)
        s += l + "\n";
      break;
    }
    }
  }
  return s;
}

// The round-trip invariant for a parsed graph; "" when it holds.
std::string checkRoundTrip(const fxir::Graph &g, bool debugInfo) {
  fxir::PrintOptions po;
  po.debugInfo = debugInfo;
  std::string once = fxir::printGraph(g, po);
  fxir::Context ctx2;
  auto again = fxir::parseGraph(ctx2, once, "printed.fxir");
  if (!again.ok())
    return "printed text does not parse: " + std::string(again.status().message()) +
           "\n--- printed ---\n" + once;
  std::string twice = fxir::printGraph(**again, po);
  if (twice != once)
    return "print(parse(print(g))) differs from print(g)\n--- first ---\n" + once +
           "--- second ---\n" + twice;
  return "";
}

} // namespace

int main(int argc, char **argv) {
  fxir::fuzz::Options opts = fxir::fuzz::parseOptions(argc, argv);
  uint64_t seed = opts.seed;
  long count = opts.count;
  const std::vector<std::string> &files = opts.files;
#ifdef FXIR_FUZZ_KERNEL_IR
  fxir::cpu::registerTables();
#endif
  std::vector<std::string> seeds = loadSeeds(files);
  if (seeds.empty()) {
    std::fprintf(stderr, "fxir-text-fuzz: no seed files\n");
    return 2;
  }
  fxir::fuzz::installWatchdog("fxir-text-fuzz: a mutant took longer than 5 s (hang)\n");
  long parsed = 0, clean = 0, failed = 0;
  // Every seed as it is first: one that parses must round-trip (the large printed
  // corpus programs among the seeds exercise the printer's and parser's tables).
  long seedsParsed = 0;
  for (size_t i = 0; i < seeds.size(); ++i) {
    alarm(30);
    fxir::Context ctx;
    auto g = fxir::parseGraph(ctx, seeds[i], "seed.fxir");
    if (g.ok()) {
      ++seedsParsed;
      for (bool debug : {false, true})
        if (std::string problem = checkRoundTrip(**g, debug); !problem.empty()) {
          ++failed;
          std::fprintf(stderr, "seed %zu (unmutated): %s\n", i, problem.c_str());
        }
    }
    alarm(0);
  }
  std::printf("fxir-text-fuzz: seeds: %zu, %ld parse (and must round-trip)\n", seeds.size(),
              seedsParsed);
  std::mt19937_64 rng(seed);
#ifdef FXIR_FUZZ_KERNEL_IR
  long scheduled = 0;
#endif
  for (long i = 0; i < count; ++i) {
    std::string input = mutate(seeds[rng() % seeds.size()], seeds, rng);
    alarm(5);
    fxir::Context ctx;
    auto g = fxir::parseGraph(ctx, input, "mutant.fxir");
    if (g.ok()) {
      ++parsed;
      std::vector<fxir::Diagnostic> diags;
      if (fxir::verify(**g, diags))
        ++clean;
#ifdef FXIR_FUZZ_KERNEL_IR
      // Kernel IR the verifier accepts is scheduled (each rewrite may refuse it with an
      // error, never crash); what comes out must verify as scheduled and round-trip.
      if (fxir::cpu::verifyKernelIR(**g, false).ok() &&
          fxir::cpu::vectorizeInner(**g, 1 + static_cast<unsigned>(rng() % 16)).ok() &&
          fxir::cpu::parallelizeOuter(**g).ok()) {
        ++scheduled;
        if (absl::Status st = fxir::cpu::verifyKernelIR(**g, true); !st.ok()) {
          ++failed;
          std::fprintf(stderr, "mutant %ld: scheduled kernel IR does not verify: %s\n--- mutant ---\n%s\n",
                       i, std::string(st.message()).c_str(), input.c_str());
        }
      }
#endif
      for (bool debug : {false, true}) {
        std::string problem = checkRoundTrip(**g, debug);
        if (!problem.empty()) {
          ++failed;
          std::fprintf(stderr, "mutant %ld (seed %llu): %s\n--- mutant ---\n%s\n", i,
                       static_cast<unsigned long long>(seed), problem.c_str(), input.c_str());
        }
      }
    }
    alarm(0);
  }
  std::printf("%ld mutants from %zu seeds: %ld parsed (%ld verified clean), %ld rejected with "
              "an error\n",
              count, seeds.size(), parsed, clean, count - parsed);
#ifdef FXIR_FUZZ_KERNEL_IR
  std::printf("kernel IR: %ld mutants verified as kernel IR and scheduled\n", scheduled);
#endif
  long total = count + static_cast<long>(seeds.size());
  std::printf("fxir-text-fuzz: %ld passed, %ld failed\n", total - failed, failed);
  return failed ? 1 : 0;
}
