//===- Cache.h - the on-disk compile cache of kernel objects (internal) --------------===//
//
// One entry per distinct kernel: `<dir>/<key>.fxo`, the object code of a module that
// holds that kernel alone, its entry point named `fxir_<key>`, so one entry serves
// every program (and every layer) with the same kernel. The key (kernelCacheKey in
// Cpu.h) is computed from the scheduled kernel before any LLVM IR exists.
//
// Entry format: 8-byte magic "FXIRKO1\n", the 32-character key, the object's size
// (uint64, little-endian), the BLAKE3 hash of the object (32 bytes), the object. A load
// checks all of it; a truncated or corrupt entry is reported Corrupt and recompiled,
// never loaded. Writes go to a unique temp file in the directory, then rename(2): a
// reader sees a whole entry or none, and two processes storing the same key both
// succeed, leaving one valid entry. A hit refreshes the entry's mtime; after stores,
// the oldest entries go until the directory is under its cap (LRU by mtime; evict()
// says when the directory is scanned).
// A directory that cannot be created or written disables the cache for that
// directory, with one warning per process.
//
// Does not: lock (rename is the only synchronization needed), compile anything.
//===----------------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <string>

#include "fxir/backends/cpu/Cpu.h"

#include "llvm/ADT/ArrayRef.h"

namespace fxir::cpu {

class ObjectCache {
public:
  /// The cache `options` ask for: off, or at options.cacheDir, else $FXIR_CACHE_DIR,
  /// else $XDG_CACHE_HOME/fxir, else $HOME/.cache/fxir.
  static ObjectCache open(const CodegenOptions &options);

  bool enabled() const { return enabled_; }
  const std::string &dir() const { return dir_; }

  enum class Lookup { Hit, Miss, Corrupt };
  /// Reads entry `key` into `object` when it is whole and valid.
  Lookup load(llvm::StringRef key, std::string &object) const;
  /// Stores `object` as entry `key` (atomically). A failure warns once and disables
  /// the cache.
  void store(llvm::StringRef key, llvm::StringRef object);
  /// After a compile stored `storedBytes`: removes the least recently used entries
  /// until the directory is under its cap. The directory is scanned on the process's
  /// first store into it, then after every further 1/16 of the cap it stored (so a
  /// directory may run over its cap by 1/16 per process until then).
  void evict(uint64_t storedBytes) const;

  /// The path of entry `key`.
  std::string entryPath(llvm::StringRef key) const;

private:
  bool enabled_ = false;
  std::string dir_;
  int64_t maxBytes_ = 0;
  void disable(const std::string &why);
};

/// The GNU build ids of the code generator's library and of libLLVM (what compiled a
/// cached object), hashed of their files where a build id is missing.
const std::string &codegenBuildId();

} // namespace fxir::cpu
