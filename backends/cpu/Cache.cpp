//===- Cache.cpp - kernel cache keys and the on-disk object cache -------------------===//
//
// The key of a kernel hashes everything its object code depends on and nothing else:
// its canonical text (below: ops, argument values, dtypes, ranks and how each buffer
// is addressed; no value names, no provenance, no shapes, which the code never sees:
// sizes are run-time arguments), the target triple, CPU name and full feature string,
// the vector width and the codegen options, kRuntimeAbiVersion, the LLVM version and
// the build ids of the code generator and of libLLVM. The format of entries and the
// rules of the directory are in Cache.h.
//===----------------------------------------------------------------------------===//
#include "fxir/backends/cpu/Cache.h"

#include <fcntl.h>
#include <link.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <vector>

#include "llvm/ADT/StringExtras.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/BLAKE3.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"

namespace fxir::cpu {

namespace {

constexpr char kMagic[8] = {'F', 'X', 'I', 'R', 'K', 'O', '1', '\n'};
constexpr size_t kKeyChars = 32;
constexpr size_t kHeaderBytes = sizeof(kMagic) + kKeyChars + 8 + 32;

std::array<uint8_t, 32> hashOf(llvm::StringRef bytes) {
  return llvm::BLAKE3::hash<32>(llvm::arrayRefFromStringRef(bytes));
}

void canonicalAttr(const Attr &a, const llvm::DenseMap<const Value *, unsigned> &num,
                   const Op &op, llvm::raw_ostream &os) {
  switch (a.kind()) {
  case Attr::Kind::None: os << "none"; return;
  case Attr::Kind::Int: os << "i" << a.intValue(); return;
  case Attr::Kind::Float: {
    double d = a.floatValue();
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    os << "f" << llvm::format_hex(bits, 18);
    return;
  }
  case Attr::Kind::Bool: os << (a.boolValue() ? "true" : "false"); return;
  case Attr::Kind::Str: os << "s" << a.stringValue().size() << ":" << a.stringValue(); return;
  case Attr::Kind::DType: os << "dt:" << irName(a.dtypeValue()); return;
  case Attr::Kind::Device: os << "dev:" << a.stringValue(); return;
  case Attr::Kind::Layout:
  case Attr::Kind::MemoryFormat: os << "lay:" << a.stringValue(); return;
  case Attr::Kind::List:
    os << "[";
    for (const Attr &e : a.listValue()) {
      canonicalAttr(e, num, op, os);
      os << ",";
    }
    os << "]";
    return;
  case Attr::Kind::Operand: {
    const Value *v = a.index() < op.numOperands() ? op.operandValue(a.index()) : nullptr;
    auto it = v ? num.find(v) : num.end();
    os << "%" << (it == num.end() ? -1 : static_cast<int64_t>(it->second));
    return;
  }
  case Attr::Kind::Region: os << "^" << a.index(); return;
  }
}

void canonicalType(const Type *t, llvm::raw_ostream &os) {
  os << static_cast<int>(t->kind());
  if (t->isTensor())
    os << ":" << irName(t->dtype()) << ":" << t->rank();
}

/// Notes of type NT_GNU_BUILD_ID in the loaded object holding `address`, as hex; the
/// BLAKE3 of its file when it has none.
std::string buildIdOf(const void *address) {
  struct Search {
    uintptr_t address;
    std::string id, path;
    bool found = false;
  } s{reinterpret_cast<uintptr_t>(address), "", "", false};
  dl_iterate_phdr(
      [](dl_phdr_info *info, size_t, void *data) -> int {
        auto *s = static_cast<Search *>(data);
        bool inside = false;
        for (int i = 0; i < info->dlpi_phnum && !inside; ++i) {
          const ElfW(Phdr) &ph = info->dlpi_phdr[i];
          uintptr_t lo = info->dlpi_addr + ph.p_vaddr;
          inside = ph.p_type == PT_LOAD && s->address >= lo && s->address < lo + ph.p_memsz;
        }
        if (!inside)
          return 0;
        s->found = true;
        s->path = info->dlpi_name && *info->dlpi_name ? info->dlpi_name : "/proc/self/exe";
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const ElfW(Phdr) &ph = info->dlpi_phdr[i];
          if (ph.p_type != PT_NOTE)
            continue;
          const char *p = reinterpret_cast<const char *>(info->dlpi_addr + ph.p_vaddr);
          const char *end = p + ph.p_memsz;
          while (p + sizeof(ElfW(Nhdr)) <= end) {
            const auto *n = reinterpret_cast<const ElfW(Nhdr) *>(p);
            const char *name = p + sizeof(ElfW(Nhdr));
            const char *desc = name + ((n->n_namesz + 3) & ~3u);
            if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
                std::memcmp(name, "GNU", 4) == 0 && desc + n->n_descsz <= end)
              s->id = llvm::toHex(llvm::StringRef(desc, n->n_descsz), true);
            p = desc + ((n->n_descsz + 3) & ~3u);
          }
        }
        return 1;
      },
      &s);
  if (!s.id.empty())
    return s.id;
  if (s.found)
    if (auto buf = llvm::MemoryBuffer::getFile(s.path))
      return llvm::toHex(hashOf((*buf)->getBuffer()), true);
  return "unknown";
}

std::string defaultCacheDir() {
  if (const char *d = std::getenv("FXIR_CACHE_DIR"); d && *d)
    return d;
  if (const char *x = std::getenv("XDG_CACHE_HOME"); x && *x)
    return std::string(x) + "/fxir";
  if (const char *h = std::getenv("HOME"); h && *h)
    return std::string(h) + "/.cache/fxir";
  return "";
}

void warnOnce(const std::string &dir, const std::string &why) {
  static std::mutex mu;
  static std::set<std::string> warned;
  std::lock_guard<std::mutex> lock(mu);
  if (warned.insert(dir).second)
    llvm::errs() << "fxir: warning: compile cache " << (dir.empty() ? "(no directory)" : dir)
                 << ": " << why << "; compiling without a cache\n";
}

void putLE64(std::string &out, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t getLE64(const char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

} // namespace

std::string canonicalKernelText(const KernelSpec &k) {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << "fxir-kernel rank " << k.rank << (k.loop ? " native-loop" : "") << "\n";
  for (const KernelSpec::Buffer &b : k.buffers)
    os << "buffer " << (b.isResult ? "result " : "operand ") << b.index << " "
       << irName(b.dtype) << " rank " << b.rank << " inner " << static_cast<int>(b.inner)
       << " space " << b.space << " role " << static_cast<int>(b.role) << " value " << b.value
       << " carry " << static_cast<int>(b.carry) << " reverse " << b.reverse << "\n";
  os << "scalars";
  for (unsigned s : k.scalarOperands)
    os << " " << s;
  os << "\n";
  const Region &body = k.op->region(0);
  llvm::DenseMap<const Value *, unsigned> num;
  for (unsigned i = 0; i < body.numArgs(); ++i) {
    num[body.arg(i)] = static_cast<unsigned>(num.size());
    os << "arg ";
    canonicalType(body.arg(i)->type(), os);
    os << "\n";
  }
  for (const Op &op : body.ops()) {
    for (unsigned r = 0; r < op.numResults(); ++r) {
      num[op.result(r)] = static_cast<unsigned>(num.size());
      canonicalType(op.result(r)->type(), os);
      os << " ";
    }
    os << "= " << op.name() << "(";
    for (const Arg &a : op.args()) {
      os << a.name << "=";
      canonicalAttr(a.value, num, op, os);
      os << ";";
    }
    os << ")\n";
  }
  for (unsigned r = 0; r < k.op->numResults(); ++r) {
    os << "result ";
    canonicalType(k.op->result(r)->type(), os);
    os << "\n";
  }
  for (unsigned r = 0; k.loop && r < k.loop->numResults(); ++r) {
    os << "loop-result ";
    canonicalType(k.loop->result(r)->type(), os);
    os << "\n";
  }
  return os.str();
}

const std::string &codegenBuildId() {
  static const std::string id =
      buildIdOf(reinterpret_cast<const void *>(&canonicalKernelText)) + "/" +
      buildIdOf(reinterpret_cast<const void *>(&llvm::sys::getProcessTriple));
  return id;
}

std::string kernelCacheKey(const KernelSpec &k, const CodegenOptions &o, const TargetDesc &t) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << canonicalKernelText(k) << "triple " << t.triple << "\ncpu " << t.cpu << "\nfeatures "
     << t.features << "\nvector-bits " << t.vectorBits << "\nopt-level " << o.optLevel
     << "\nemulate-eager-rounding " << o.emulateEagerRounding << "\ninject-failure "
     << o.injectFailure << "\nabi " << kRuntimeAbiVersion << "\nllvm " << LLVM_VERSION_STRING
     << "\nbuild " << codegenBuildId() << "\n";
  return llvm::toHex(llvm::ArrayRef<uint8_t>(hashOf(os.str())).take_front(kKeyChars / 2), true);
}

ObjectCache ObjectCache::open(const CodegenOptions &o) {
  ObjectCache c;
  if (!o.cache)
    return c;
  c.dir_ = o.cacheDir.empty() ? defaultCacheDir() : o.cacheDir;
  c.maxBytes_ = o.cacheMaxKB * 1024;
  if (c.dir_.empty()) {
    warnOnce(c.dir_, "no directory ($FXIR_CACHE_DIR, $XDG_CACHE_HOME and $HOME are unset)");
    return c;
  }
  if (std::error_code ec = llvm::sys::fs::create_directories(c.dir_)) {
    warnOnce(c.dir_, "cannot create it: " + ec.message());
    return c;
  }
  c.enabled_ = true;
  return c;
}

std::string ObjectCache::entryPath(llvm::StringRef key) const {
  return dir_ + "/" + key.str() + ".fxo";
}

void ObjectCache::disable(const std::string &why) {
  warnOnce(dir_, why);
  enabled_ = false;
}

ObjectCache::Lookup ObjectCache::load(llvm::StringRef key, std::string &object) const {
  if (!enabled_)
    return Lookup::Miss;
  std::string path = entryPath(key);
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!buf)
    return Lookup::Miss;
  llvm::StringRef data = (*buf)->getBuffer();
  if (data.size() < kHeaderBytes || std::memcmp(data.data(), kMagic, sizeof kMagic) != 0 ||
      data.substr(sizeof kMagic, kKeyChars) != key)
    return Lookup::Corrupt;
  const char *p = data.data() + sizeof kMagic + kKeyChars;
  uint64_t size = getLE64(p);
  if (size != data.size() - kHeaderBytes)
    return Lookup::Corrupt;
  llvm::StringRef obj = data.substr(kHeaderBytes);
  std::array<uint8_t, 32> h = hashOf(obj);
  if (std::memcmp(h.data(), p + 8, 32) != 0)
    return Lookup::Corrupt;
  object = obj.str();
  ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0); // LRU: most recently used
  return Lookup::Hit;
}

void ObjectCache::store(llvm::StringRef key, llvm::StringRef object) {
  if (!enabled_)
    return;
  std::string entry(kMagic, sizeof kMagic);
  entry += key.str();
  putLE64(entry, object.size());
  std::array<uint8_t, 32> h = hashOf(object);
  entry.append(reinterpret_cast<const char *>(h.data()), h.size());
  entry += object.str();
  std::string path = entryPath(key);
  llvm::Expected<llvm::sys::fs::TempFile> tmp =
      llvm::sys::fs::TempFile::create(path + ".tmp-%%%%%%%%");
  if (!tmp) {
    disable("cannot write in it: " + llvm::toString(tmp.takeError()));
    return;
  }
  bool ok = ::write(tmp->FD, entry.data(), entry.size()) == static_cast<ssize_t>(entry.size());
  if (!ok) {
    std::string why = std::strerror(errno);
    llvm::consumeError(tmp->discard());
    disable("cannot write " + path + ": " + why);
    return;
  }
  if (llvm::Error e = tmp->keep(path)) {
    disable("cannot rename into " + path + ": " + llvm::toString(std::move(e)));
    return;
  }
}

void ObjectCache::evict(uint64_t storedBytes) const {
  // A directory scan costs a stat per entry (~3 us): done on a process's first store
  // into a directory, then again only after it stored another 1/16 of the cap.
  {
    static std::mutex mu;
    static std::map<std::string, uint64_t> sinceScan;
    std::lock_guard<std::mutex> lock(mu);
    auto [it, first] = sinceScan.try_emplace(dir_, 0);
    it->second += storedBytes;
    if (!first && it->second < static_cast<uint64_t>(maxBytes_) / 16)
      return;
    it->second = 0;
  }
  struct Entry {
    llvm::sys::TimePoint<> mtime;
    uint64_t size;
    std::string path;
  };
  std::vector<Entry> entries;
  uint64_t total = 0;
  std::error_code ec;
  auto now = std::chrono::system_clock::now();
  for (llvm::sys::fs::directory_iterator it(dir_, ec), end; it != end && !ec; it.increment(ec)) {
    llvm::StringRef name = llvm::sys::path::filename(it->path());
    llvm::sys::fs::file_status st;
    if (llvm::sys::fs::status(it->path(), st))
      continue;
    // A temp file left by a killed process, an hour old: gone.
    if (name.contains(".fxo.tmp-")) {
      if (now - st.getLastModificationTime() > std::chrono::hours(1))
        llvm::sys::fs::remove(it->path());
      continue;
    }
    if (!name.ends_with(".fxo"))
      continue;
    entries.push_back({st.getLastModificationTime(), st.getSize(), it->path()});
    total += st.getSize();
  }
  if (total <= static_cast<uint64_t>(maxBytes_))
    return;
  std::sort(entries.begin(), entries.end(),
            [](const Entry &a, const Entry &b) { return a.mtime < b.mtime; });
  for (const Entry &e : entries) {
    if (total <= static_cast<uint64_t>(maxBytes_))
      break;
    if (!llvm::sys::fs::remove(e.path))
      total -= e.size;
  }
}

} // namespace fxir::cpu
