//===- Archive.h - the .pt2 container -----------------------------------------===//
//
// First contact with a file that claims to be a torch.export .pt2 archive: a ZIP
// written by PyTorch's stream writer. Errors name the file and the reason.
//
// Does not (yet): list entries, map weights or parse model.json; the .pt2 reader
// issue builds those on top of this.
//===----------------------------------------------------------------------------===//
#pragma once

#include <string>

#include "absl/status/status.h"

namespace fxir::pt2 {

/// OK when `path` can be opened and starts like a ZIP archive (local file header
/// or end-of-central-directory signature); otherwise NotFound / InvalidArgument
/// with a message naming the file.
absl::Status checkZipSignature(const std::string &path);

} // namespace fxir::pt2
