//===- fxir_pt2_fuzz.cpp - seeded mutation fuzzing of the .pt2 reader ------------===//
//
// Built with AddressSanitizer and UndefinedBehaviorSanitizer from the reader and IR
// sources (tests/fuzz/CMakeLists.txt). Takes real archives (the export corpus), makes
// COUNT mutants with a seeded generator and imports each from memory:
//  - truncation at a random length;
//  - byte flips inside models/model.json (found by its `{"graph_module"` text);
//  - byte flips in the ZIP central directory (after the first `PK\1\2`);
//  - an entry deleted (its name in the central directory garbled);
//  - a JSON number replaced by a huge one, and random flips anywhere.
// A mutant must import or fail with an error; a graph that imports must verify. A
// sanitizer report, a crash, or a mutant that takes longer than 10 s fails the run.
//
// Before any mutant, every seed archive is imported as it is: it must import and
// verify (the seeds are valid archives), and every weight byte is read. With
// `--count 0` that is the whole run: the sanitized import of every corpus archive.
//
// usage: fxir-pt2-fuzz --seed N --count N FILE.pt2...
// Prints `fxir-pt2-fuzz: seeds: K imported and verified, F failed` and then
// `fxir-pt2-fuzz: N passed, M failed` (M = imported mutants that do not verify, plus
// seeds that fail).
//===----------------------------------------------------------------------------===//
#include "fxir/frontends/pt2/Reader.h"
#include "fxir/ir/Verifier.h"

#include "FuzzSupport.h"

#include <cstdio>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

std::string mutate(std::string s, std::mt19937_64 &rng, std::string &kind) {
  auto pick = [&](size_t n) { return n ? static_cast<size_t>(rng() % n) : 0; };
  size_t json = s.find("{\"graph_module\"");
  size_t cdir = s.find(std::string("PK\x01\x02", 4));
  switch (pick(6)) {
  case 0:
    kind = "truncate";
    s.resize(pick(s.size()));
    break;
  case 1: { // flips in the model JSON
    kind = "json-flips";
    if (json == std::string::npos)
      break;
    size_t end = s.find("\"torch_version\"", json);
    size_t span = (end == std::string::npos ? s.size() : end) - json;
    for (int i = 0, n = 1 + static_cast<int>(pick(8)); i < n; ++i)
      s[json + pick(span)] ^= static_cast<char>(1 << pick(8));
    break;
  }
  case 2: // flips in the central directory
    kind = "cdir-flips";
    if (cdir == std::string::npos)
      break;
    for (int i = 0, n = 1 + static_cast<int>(pick(4)); i < n; ++i)
      s[cdir + pick(s.size() - cdir)] ^= static_cast<char>(1 << pick(8));
    break;
  case 3: { // delete an entry: garble one name in the central directory
    kind = "delete-entry";
    std::vector<size_t> headers;
    for (size_t p = cdir; p != std::string::npos && p + 46 < s.size();
         p = s.find(std::string("PK\x01\x02", 4), p + 4))
      headers.push_back(p);
    if (headers.empty())
      break;
    size_t h = headers[pick(headers.size())];
    size_t nameLen = static_cast<unsigned char>(s[h + 28]) |
                     (static_cast<unsigned char>(s[h + 29]) << 8);
    if (nameLen && h + 46 + nameLen <= s.size())
      s[h + 46 + nameLen - 1] ^= 0x20;
    break;
  }
  case 4: { // a huge number in the JSON
    kind = "json-number";
    if (json == std::string::npos)
      break;
    size_t at = s.find("\"as_int\": ", json + pick(s.size() - json));
    if (at == std::string::npos)
      break;
    at += 10;
    size_t end = at;
    while (end < s.size() && (std::isdigit(static_cast<unsigned char>(s[end])) || s[end] == '-'))
      ++end;
    static const char *nums[] = {"9223372036854775807", "-9223372036854775808",
                                 "18446744073709551615", "99999999999999999999999", "-1", "0"};
    s.replace(at, end - at, nums[pick(6)]);
    break;
  }
  default:
    kind = "random-flips";
    for (int i = 0, n = 1 + static_cast<int>(pick(16)); i < n && !s.empty(); ++i)
      s[pick(s.size())] ^= static_cast<char>(1 << pick(8));
  }
  return s;
}

} // namespace

int main(int argc, char **argv) {
  fxir::fuzz::Options opts = fxir::fuzz::parseOptions(argc, argv);
  uint64_t seed = opts.seed;
  long count = opts.count;
  const std::vector<std::string> &files = opts.files;
  std::vector<std::string> seeds;
  for (const std::string &f : files)
    seeds.push_back(fxir::fuzz::readFile(f));
  if (seeds.empty()) {
    std::fprintf(stderr, "fxir-pt2-fuzz: no archives\n");
    return 2;
  }
  fxir::fuzz::installWatchdog("fxir-pt2-fuzz: an import took too long (10 s a mutant, 60 s a seed): a hang\n");
  unsigned checksum = 0;
  // Imports `bytes`; "" when it imported and verified, else why not. Every weight byte
  // is read: a view into freed memory is an ASan report here.
  auto importOne = [&](const std::string &bytes, const std::string &name, bool &imported) {
    imported = false;
    auto archive = fxir::pt2::Archive::fromBuffer(
        llvm::MemoryBuffer::getMemBufferCopy(bytes, name), name);
    if (!archive.ok())
      return std::string(archive.status().message());
    auto prog = fxir::pt2::readProgram(**archive);
    archive->reset(); // the program must not need the archive any more
    if (!prog.ok())
      return std::string(prog.status().message());
    imported = true;
    unsigned sum = 0;
    for (const auto &t : (*prog)->weights.tensors)
      for (uint8_t b : t.storageBytes)
        sum += b;
    checksum += sum;
    absl::Status st = fxir::verify(*(*prog)->graph);
    return st.ok() ? std::string() : "does not verify:\n" + std::string(st.message());
  };
  long failed = 0, seedsOk = 0;
  for (size_t i = 0; i < seeds.size(); ++i) {
    bool imported;
    alarm(60);
    std::string why = importOne(seeds[i], files[i], imported);
    alarm(0);
    if (why.empty()) {
      ++seedsOk;
    } else {
      ++failed;
      std::fprintf(stderr, "seed %s (unmutated) %s\n", files[i].c_str(), why.c_str());
    }
  }
  std::printf("fxir-pt2-fuzz: seeds: %ld imported and verified, %ld failed\n", seedsOk,
              static_cast<long>(seeds.size()) - seedsOk);
  std::mt19937_64 rng(seed);
  long imported = 0;
  for (long i = 0; i < count; ++i) {
    std::string kind;
    size_t which = rng() % seeds.size();
    std::string bytes = mutate(seeds[which], rng, kind);
    bool ok;
    alarm(10);
    std::string why = importOne(bytes, "mutant.pt2", ok);
    alarm(0);
    imported += ok;
    if (ok && !why.empty()) {
      ++failed;
      std::fprintf(stderr, "mutant %ld (%s of %s) imports but %s\n", i, kind.c_str(),
                   files[which].c_str(), why.c_str());
    }
  }
  std::printf("%ld mutants of %zu archives: %ld imported, %ld rejected with an error "
              "(weight checksum %u)\n",
              count, seeds.size(), imported, count - imported, checksum);
  long total = count + static_cast<long>(seeds.size());
  std::printf("fxir-pt2-fuzz: %ld passed, %ld failed\n", total - failed, failed);
  return failed ? 1 : 0;
}
