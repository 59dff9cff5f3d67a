//===- Archive.h - the .pt2 container -------------------------------------------===//
//
// A torch.export .pt2 file is a ZIP written by PyTorch's stream writer: every entry
// stored (not compressed) and 64-byte aligned, under one top folder named after the
// file. Archive maps the file once and hands out entries as views into the mapping, so
// weights are never copied. The ZIP structures are read by minizip (through callbacks on
// the mapped bytes); compressed entries, which other writers may produce, are inflated
// into owned buffers.
//
// Errors name the file, and the entry where one is involved.
//
// Does not: interpret entries (Reader.h does).
//===----------------------------------------------------------------------------===//
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/MemoryBuffer.h"

namespace fxir::pt2 {

/// OK when `path` can be opened and starts like a ZIP archive (local file header
/// or end-of-central-directory signature); otherwise NotFound / InvalidArgument
/// with a message naming the file.
absl::Status checkZipSignature(const std::string &path);

class Archive {
public:
  /// Maps `path` and reads its ZIP directory.
  static absl::StatusOr<std::unique_ptr<Archive>> open(const std::string &path);
  /// Reads an archive already in memory (`name` is used in messages).
  static absl::StatusOr<std::unique_ptr<Archive>>
  fromBuffer(std::unique_ptr<llvm::MemoryBuffer> buffer, const std::string &name);
  ~Archive();

  const std::string &path() const { return path_; }
  /// The top folder every entry sits under ("linear_mlp.strict"), without a slash.
  const std::string &topFolder() const { return top_; }
  /// Entry names relative to the top folder, in archive order.
  const std::vector<std::string> &entries() const { return order_; }
  bool has(llvm::StringRef relName) const { return entries_.count(relName.str()) != 0; }
  /// Whether `relName` is stored (its bytes are a view into the mapping).
  bool isStored(llvm::StringRef relName) const {
    auto it = entries_.find(relName.str());
    return it != entries_.end() && it->second.stored;
  }

  /// The bytes of entry `relName` (relative to the top folder). For stored entries a
  /// view into the mapped file, valid as long as the Archive.
  absl::StatusOr<llvm::ArrayRef<uint8_t>> read(llvm::StringRef relName) const;
  absl::StatusOr<llvm::StringRef> readText(llvm::StringRef relName) const;

  /// The mapped file, to keep views alive beyond the Archive.
  std::shared_ptr<llvm::MemoryBuffer> mapping() const { return buffer_; }

private:
  Archive() = default;
  absl::Status index();
  struct Entry {
    uint64_t dataOffset = 0, compressedSize = 0, size = 0;
    bool stored = true;
  };
  std::string path_, top_;
  std::shared_ptr<llvm::MemoryBuffer> buffer_;
  std::map<std::string, Entry> entries_;
  std::vector<std::string> order_;
  mutable std::map<std::string, std::unique_ptr<std::vector<uint8_t>>> inflated_;
};

} // namespace fxir::pt2
