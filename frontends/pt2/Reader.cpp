//===- Reader.cpp - torch.export .pt2 archives into fxir: entry points, layout, header ===//
//
// The reader's parts are listed in ReaderImpl.h. Errors inside the reader are thrown
// as ReadError and turned into an absl::Status here; no exception leaves the reader.
//===----------------------------------------------------------------------------===//
#include "fxir/frontends/pt2/Reader.h"
#include "fxir/frontends/pt2/ReaderImpl.h"

#include "fxir/ir/Verifier.h"

namespace fxir::pt2 {
namespace detail {

void Reader::run() {
  std::string modelEntry = "model.json";
  llvm::StringRef text = modelJson_;
  if (archive_) {
    checkFormat();
    modelEntry = findModelEntry();
    text = entryText(modelEntry);
  }
  json_ = simdjson::padded_string(text.data(), text.size());
  if (auto err = parser_.parse(json_).get(root_))
    fail(modelEntry + ": malformed JSON: " + simdjson::error_message(err));
  entry_ = modelEntry;
  readHeader();
  declareSymbols();
  // models/<name>.json goes with data/weights/<name>_weights_config.json and
  // data/constants/<name>_constants_config.json.
  if (archive_) {
    std::string model = llvm::StringRef(modelEntry).drop_front(7).drop_back(5).str();
    readTensors("data/weights/" + model + "_weights_config.json", "data/weights/", false);
    readTensors("data/constants/" + model + "_constants_config.json", "data/constants/", true);
  } else {
    // The caller's tensors: their views must lie in their storages, as an archive's.
    for (const TensorData &t : prog_.weights.tensors)
      checkExtent(t, "weight " + t.fqn);
  }
  readProgramGraph();
  checkTensorsAgainstSignature();
  // Every node was checked as it was read; the whole graph (SSA, signature, use
  // lists) is checked once more, so what the reader returns always verifies.
  if (absl::Status st = verify(*prog_.graph); !st.ok())
    fail(entry_ + ": the imported graph does not verify: " + std::string(st.message()));
}

llvm::StringRef Reader::entryText(const std::string &rel) {
  absl::StatusOr<llvm::StringRef> t = archive_->readText(rel);
  if (!t.ok())
    throw ReadError{std::string(t.status().message())};
  return *t;
}

void Reader::checkFormat() {
  if (archive_->has("serialized_exported_program.json") || archive_->has("data/weights/model.pt"))
    fail("unsupported archive layout (serialized_exported_program.json / pickled "
         "weights: written by torch 2.7 or older); re-save it with torch 2.13");
  if (!archive_->has("archive_format"))
    fail("not a torch.export archive: no " + archive_->topFolder() + "/archive_format entry");
  llvm::StringRef format = entryText("archive_format").trim();
  if (format != "pt2")
    fail("archive_format is `" + format.str() + "`, expected `pt2`");
  if (archive_->has("byteorder")) {
    llvm::StringRef order = entryText("byteorder").trim();
    if (order != "little")
      fail("byteorder is `" + order.str() + "`; fxir reads little-endian archives only");
  }
  if (archive_->has("archive_version")) {
    llvm::StringRef v = entryText("archive_version").trim();
    if (v != "0")
      fail("unsupported archive_version " + v.str() + " (fxir reads version 0)");
  }
}

std::string Reader::findModelEntry() {
  std::vector<std::string> models;
  for (const std::string &e : archive_->entries())
    if (llvm::StringRef(e).starts_with("models/") && llvm::StringRef(e).ends_with(".json") &&
        e.size() > 12)
      models.push_back(e);
  if (models.empty())
    fail("no models/<name>.json entry (the exported program) in the archive");
  if (models.size() > 1)
    fail("holds " + std::to_string(models.size()) + " programs (models/*.json); fxir reads "
         "archives with one");
  return models[0];
}

void Reader::readHeader() {
  std::optional<J> sv = field(root_, "schema_version");
  if (!sv)
    fail(entry_ + ": no schema_version");
  prog_.meta.schemaMajor = static_cast<int>(field(*sv, "major") ? integer(*field(*sv, "major")).value_or(-1) : -1);
  prog_.meta.schemaMinor = static_cast<int>(field(*sv, "minor") ? integer(*field(*sv, "minor")).value_or(0) : 0);
  if (prog_.meta.schemaMajor != kSupportedSchemaMajor)
    fail(entry_ + ": unsupported schema version " + std::to_string(prog_.meta.schemaMajor) + "." +
         std::to_string(prog_.meta.schemaMinor) + " (fxir reads major version " +
         std::to_string(kSupportedSchemaMajor) + ", which torch 2.13 writes)");
  if (auto tv = field(root_, "torch_version"))
    prog_.meta.torchVersion = std::string(str(*tv));
  if (auto ver = field(root_, "verifiers")) {
    std::vector<J> vs = array(*ver);
    if (!vs.empty())
      prog_.meta.dialect = std::string(str(vs[0]));
  }
  if (!field(root_, "graph_module") || !field(*field(root_, "graph_module"), "graph"))
    fail(entry_ + ": no graph_module.graph");
}

} // namespace detail

using detail::ReadError;
using detail::Reader;


absl::StatusOr<std::unique_ptr<Program>> readProgram(const Archive &archive) {
  auto prog = std::make_unique<Program>();
  prog->path = archive.path();
  prog->context = std::make_unique<Context>();
  prog->meta.producer = "torch.export";
  prog->weights.keepAlive.push_back(archive.mapping());
  try {
    Reader(archive, *prog).run();
  } catch (const ReadError &e) {
    return absl::InvalidArgumentError(e.message);
  } catch (const std::bad_alloc &) {
    return absl::ResourceExhaustedError(archive.path() + ": out of memory while reading");
  }
  return prog;
}

absl::StatusOr<std::unique_ptr<Program>> readProgramJson(llvm::StringRef modelJson,
                                                         const std::string &name,
                                                         Weights weights) {
  auto prog = std::make_unique<Program>();
  prog->path = name;
  prog->context = std::make_unique<Context>();
  prog->meta.producer = "torch.export";
  prog->weights = std::move(weights);
  try {
    Reader(modelJson, name, *prog).run();
  } catch (const ReadError &e) {
    return absl::InvalidArgumentError(e.message);
  } catch (const std::bad_alloc &) {
    return absl::ResourceExhaustedError(name + ": out of memory while reading");
  }
  return prog;
}

absl::StatusOr<std::unique_ptr<Program>> readProgram(const std::string &path) {
  absl::StatusOr<std::unique_ptr<Archive>> archive = Archive::open(path);
  if (!archive.ok())
    return archive.status();
  return readProgram(**archive);
}

} // namespace fxir::pt2
