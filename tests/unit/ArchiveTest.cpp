//===- ArchiveTest.cpp - bad containers get named errors -----------------------===//
// Real archives written by torch are checked in tests/lit/pt2-container.test.
#include "fxir/frontends/pt2/Archive.h"

#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using fxir::pt2::checkZipSignature;
using ::testing::HasSubstr;

namespace {
std::string writeTemp(const std::string &name, const std::string &bytes) {
  std::string path = ::testing::TempDir() + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}
} // namespace

TEST(Archive, MissingFileNamesThePath) {
  absl::Status st = checkZipSignature("/nonexistent/dir/m.pt2");
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(st.message()), HasSubstr("/nonexistent/dir/m.pt2: cannot open"));
}

TEST(Archive, TruncatedFileIsRejected) {
  std::string path = writeTemp("fxir_truncated.pt2", "PK");
  absl::Status st = checkZipSignature(path);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(st.message()), HasSubstr(path));
  EXPECT_THAT(std::string(st.message()), HasSubstr("2 bytes, too short"));
}

TEST(Archive, NonZipIsRejected) {
  std::string path = writeTemp("fxir_json.pt2", "{\"graph_module\": {}}");
  absl::Status st = checkZipSignature(path);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(st.message()), HasSubstr("no ZIP signature"));
}

TEST(Archive, ZipSignatureIsAccepted) {
  std::string path = writeTemp("fxir_sig.pt2", std::string("PK\x03\x04", 4) + "rest");
  EXPECT_TRUE(checkZipSignature(path).ok());
}

TEST(Archive, DirectoryIsRejected) {
  absl::Status st = checkZipSignature(::testing::TempDir());
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(st.message()), HasSubstr("not a regular file"));
}
