//===- Archive.cpp ------------------------------------------------------------===//
#include "fxir/frontends/pt2/Archive.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace fxir::pt2 {

absl::Status checkZipSignature(const std::string &path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec))
    return absl::InvalidArgumentError(path + ": not a .pt2 archive: not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return absl::NotFoundError(
        absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
  unsigned char sig[4] = {0, 0, 0, 0};
  in.read(reinterpret_cast<char *>(sig), sizeof sig);
  std::streamsize got = in.gcount();
  if (got < 4)
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": not a .pt2 archive: file is ", got, " bytes, too short for a ZIP"));
  bool local = sig[0] == 'P' && sig[1] == 'K' && sig[2] == 3 && sig[3] == 4;
  bool empty = sig[0] == 'P' && sig[1] == 'K' && sig[2] == 5 && sig[3] == 6;
  if (!local && !empty)
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": not a .pt2 archive: no ZIP signature at offset 0 (torch.export.save "
              "writes a ZIP file)"));
  return absl::OkStatus();
}

} // namespace fxir::pt2
