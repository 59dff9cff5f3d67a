//===- Archive.cpp - ZIP directory through minizip over a mapped file ------------===//
#include "fxir/frontends/pt2/Archive.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <unzip.h>

namespace fxir::pt2 {

absl::Status checkZipSignature(const std::string &path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec))
    return absl::InvalidArgumentError(path + ": not a .pt2 archive: not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return absl::NotFoundError(path + ": cannot open: " + std::strerror(errno));
  unsigned char sig[4] = {0, 0, 0, 0};
  in.read(reinterpret_cast<char *>(sig), sizeof sig);
  std::streamsize got = in.gcount();
  if (got < 4)
    return absl::InvalidArgumentError(path + ": not a .pt2 archive: file is " +
                                      std::to_string(got) + " bytes, too short for a ZIP");
  bool local = sig[0] == 'P' && sig[1] == 'K' && sig[2] == 3 && sig[3] == 4;
  bool empty = sig[0] == 'P' && sig[1] == 'K' && sig[2] == 5 && sig[3] == 6;
  if (!local && !empty)
    return absl::InvalidArgumentError(
        path + ": not a .pt2 archive: no ZIP signature at offset 0 (torch.export.save "
               "writes a ZIP file)");
  return absl::OkStatus();
}

namespace {

// minizip reads the archive through these callbacks over the mapped bytes.
struct MemStream {
  const char *data;
  uint64_t size;
  uint64_t pos = 0;
};

voidpf ZCALLBACK memOpen(voidpf opaque, const void *, int) {
  auto *buf = static_cast<llvm::MemoryBuffer *>(opaque);
  return new MemStream{buf->getBufferStart(), buf->getBufferSize()};
}
uLong ZCALLBACK memRead(voidpf, voidpf stream, void *out, uLong size) {
  auto *s = static_cast<MemStream *>(stream);
  uint64_t n = s->pos >= s->size ? 0 : std::min<uint64_t>(size, s->size - s->pos);
  std::memcpy(out, s->data + s->pos, n);
  s->pos += n;
  return static_cast<uLong>(n);
}
uLong ZCALLBACK memWrite(voidpf, voidpf, const void *, uLong) { return 0; }
ZPOS64_T ZCALLBACK memTell(voidpf, voidpf stream) { return static_cast<MemStream *>(stream)->pos; }
long ZCALLBACK memSeek(voidpf, voidpf stream, ZPOS64_T offset, int origin) {
  auto *s = static_cast<MemStream *>(stream);
  uint64_t base = origin == ZLIB_FILEFUNC_SEEK_SET ? 0
                  : origin == ZLIB_FILEFUNC_SEEK_CUR ? s->pos
                                                     : s->size;
  if (offset > s->size || base > s->size - offset)
    return -1;
  s->pos = base + offset;
  return 0;
}
int ZCALLBACK memClose(voidpf, voidpf stream) {
  delete static_cast<MemStream *>(stream);
  return 0;
}
int ZCALLBACK memError(voidpf, voidpf) { return 0; }

struct UnzCloser {
  void operator()(unzFile f) const { unzClose(f); }
};
using UnzHandle = std::unique_ptr<void, UnzCloser>;

UnzHandle openZip(llvm::MemoryBuffer &buf) {
  zlib_filefunc64_def fns;
  fns.zopen64_file = memOpen;
  fns.zread_file = memRead;
  fns.zwrite_file = memWrite;
  fns.ztell64_file = memTell;
  fns.zseek64_file = memSeek;
  fns.zclose_file = memClose;
  fns.zerror_file = memError;
  fns.opaque = &buf;
  return UnzHandle(unzOpen2_64("archive", &fns));
}

// Compressed entries only (stored ones are views): the largest fxir inflates, and the
// largest inflation ratio it believes (deflate cannot do better than about 1032:1, so
// more is a lie about sizes or a bomb).
constexpr uint64_t kMaxInflatedBytes = uint64_t(1) << 31;
constexpr uint64_t kMaxInflateRatio = 1032;

} // namespace

Archive::~Archive() = default;

absl::StatusOr<std::unique_ptr<Archive>> Archive::open(const std::string &path) {
  if (absl::Status st = checkZipSignature(path); !st.ok())
    return st;
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buf = llvm::MemoryBuffer::getFile(
      path, /*IsText=*/false, /*RequiresNullTerminator=*/false);
  if (!buf)
    return absl::NotFoundError(path + ": cannot open: " + buf.getError().message());
  return fromBuffer(std::move(*buf), path);
}

absl::StatusOr<std::unique_ptr<Archive>>
Archive::fromBuffer(std::unique_ptr<llvm::MemoryBuffer> buffer, const std::string &name) {
  std::unique_ptr<Archive> a(new Archive());
  a->path_ = name;
  a->buffer_ = std::move(buffer);
  if (absl::Status st = a->index(); !st.ok())
    return st;
  return a;
}

absl::Status Archive::index() {
  auto bad = [&](const std::string &msg) {
    return absl::InvalidArgumentError(path_ + ": not a valid .pt2 archive: " + msg);
  };
  UnzHandle zip = openZip(*buffer_);
  if (!zip)
    return bad("no readable ZIP directory (truncated or corrupt file?)");
  int rc = unzGoToFirstFile(zip.get());
  if (rc == UNZ_END_OF_LIST_OF_FILE)
    return bad("the ZIP archive has no entries");
  for (; rc == UNZ_OK; rc = unzGoToNextFile(zip.get())) {
    unz_file_info64 info;
    if (unzGetCurrentFileInfo64(zip.get(), &info, nullptr, 0, nullptr, 0, nullptr, 0) != UNZ_OK)
      return bad("unreadable ZIP directory entry");
    std::string name(info.size_filename, '\0');
    if (unzGetCurrentFileInfo64(zip.get(), &info, name.data(), name.size(), nullptr, 0, nullptr,
                                0) != UNZ_OK)
      return bad("unreadable ZIP directory entry");
    if (info.flag & 1)
      return bad("entry " + name + " is encrypted");
    if (info.compression_method != 0 && info.compression_method != Z_DEFLATED)
      return bad("entry " + name + " uses compression method " +
                 std::to_string(info.compression_method) + " (only stored and deflate "
                                                          "entries are supported)");
    if (unzOpenCurrentFile(zip.get()) != UNZ_OK)
      return bad("entry " + name + " has an unreadable local header");
    Entry e;
    e.dataOffset = unzGetCurrentFileZStreamPos64(zip.get());
    e.compressedSize = info.compressed_size;
    e.size = info.uncompressed_size;
    e.stored = info.compression_method == 0;
    unzCloseCurrentFile(zip.get());
    uint64_t fileSize = buffer_->getBufferSize();
    if (e.dataOffset > fileSize || e.compressedSize > fileSize - e.dataOffset)
      return bad("entry " + name + " claims " + std::to_string(e.compressedSize) +
                 " bytes at offset " + std::to_string(e.dataOffset) + ", past the end of the " +
                 std::to_string(fileSize) + "-byte file (truncated?)");
    if (e.stored && e.size != e.compressedSize)
      return bad("stored entry " + name + " has different compressed and uncompressed sizes");
    if (top_.empty()) {
      size_t slash = name.find('/');
      if (slash == std::string::npos || slash == 0)
        return bad("first entry " + name + " is not inside a top folder");
      top_ = name.substr(0, slash);
    }
    // Entries outside the top folder are not part of the program: skip them.
    if (name.size() <= top_.size() + 1 || name.compare(0, top_.size() + 1, top_ + "/") != 0)
      continue;
    std::string rel = name.substr(top_.size() + 1);
    if (entries_.emplace(rel, e).second)
      order_.push_back(rel);
  }
  if (rc != UNZ_END_OF_LIST_OF_FILE)
    return bad("corrupt ZIP directory (minizip error " + std::to_string(rc) + ")");
  return absl::OkStatus();
}

absl::StatusOr<llvm::ArrayRef<uint8_t>> Archive::read(llvm::StringRef relName) const {
  auto it = entries_.find(relName.str());
  if (it == entries_.end())
    return absl::NotFoundError(path_ + ": entry " + top_ + "/" + relName.str() +
                               " is missing from the archive");
  const Entry &e = it->second;
  const auto *base = reinterpret_cast<const uint8_t *>(buffer_->getBufferStart());
  if (e.stored)
    return llvm::ArrayRef<uint8_t>(base + e.dataOffset, e.size);
  auto cached = inflated_.find(relName.str());
  if (cached != inflated_.end())
    return llvm::ArrayRef<uint8_t>(*cached->second);
  // A compressed entry (not written by torch, but legal ZIP): inflate it, growing the
  // buffer as data arrives rather than trusting the declared size.
  if (e.size > kMaxInflatedBytes || e.size / kMaxInflateRatio > e.compressedSize)
    return absl::InvalidArgumentError(path_ + ": entry " + relName.str() + " declares " +
                                      std::to_string(e.size) + " bytes when inflated, more "
                                      "than fxir inflates");
  UnzHandle zip = openZip(*buffer_);
  std::string full = top_ + "/" + relName.str();
  if (!zip || unzLocateFile(zip.get(), full.c_str(), 1) != UNZ_OK ||
      unzOpenCurrentFile(zip.get()) != UNZ_OK)
    return absl::InvalidArgumentError(path_ + ": cannot open entry " + full);
  auto out = std::make_unique<std::vector<uint8_t>>();
  uint8_t chunk[1 << 16];
  while (true) {
    int n = unzReadCurrentFile(zip.get(), chunk, sizeof chunk);
    if (n < 0) {
      unzCloseCurrentFile(zip.get());
      return absl::InvalidArgumentError(path_ + ": entry " + full + " is corrupt (inflate "
                                        "error " + std::to_string(n) + ")");
    }
    if (n == 0)
      break;
    out->insert(out->end(), chunk, chunk + n);
    if (out->size() > e.size)
      break;
  }
  int closeRc = unzCloseCurrentFile(zip.get()); // checks the CRC
  if (out->size() != e.size || closeRc != UNZ_OK)
    return absl::InvalidArgumentError(path_ + ": entry " + full + " is corrupt (size or "
                                      "CRC does not match its directory entry)");
  llvm::ArrayRef<uint8_t> view(*out);
  inflated_[relName.str()] = std::move(out);
  return view;
}

absl::StatusOr<llvm::StringRef> Archive::readText(llvm::StringRef relName) const {
  absl::StatusOr<llvm::ArrayRef<uint8_t>> bytes = read(relName);
  if (!bytes.ok())
    return bytes.status();
  return llvm::StringRef(reinterpret_cast<const char *>(bytes->data()), bytes->size());
}

} // namespace fxir::pt2
