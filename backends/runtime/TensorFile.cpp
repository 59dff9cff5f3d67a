//===- TensorFile.cpp -----------------------------------------------------------------===//
#include "fxir/backends/runtime/TensorFile.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include <ATen/ops/empty.h>
#include <simdjson.h>

#include "llvm/ADT/StringRef.h"

namespace fxir::runtime {
namespace {

struct DTypeName {
  const char *name;
  c10::ScalarType type;
};
constexpr DTypeName kDTypes[] = {
    {"F64", c10::kDouble},   {"F32", c10::kFloat},  {"F16", c10::kHalf},
    {"BF16", c10::kBFloat16}, {"I64", c10::kLong},  {"I32", c10::kInt},
    {"I16", c10::kShort},    {"I8", c10::kChar},    {"U8", c10::kByte},
    {"BOOL", c10::kBool},    {"U16", c10::kUInt16}, {"U32", c10::kUInt32},
    {"U64", c10::kUInt64},   {"F8_E4M3", c10::kFloat8_e4m3fn},
    {"F8_E5M2", c10::kFloat8_e5m2}, {"C64", c10::kComplexFloat}};

std::string jsonEscape(const std::string &s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\', out += c;
    else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else
      out += c;
  }
  return out;
}

} // namespace

absl::StatusOr<TensorFile> readTensorFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return absl::NotFoundError(path + ": cannot open");
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto bad = [&](const std::string &why) {
    return absl::InvalidArgumentError(path + ": not a safetensors file: " + why);
  };
  if (data.size() < 8)
    return bad("shorter than its 8-byte header size");
  uint64_t headerSize = 0;
  for (int i = 7; i >= 0; --i)
    headerSize = (headerSize << 8) | static_cast<unsigned char>(data[i]);
  if (headerSize > data.size() - 8)
    return bad("the header size (" + std::to_string(headerSize) + ") exceeds the file");
  size_t dataStart = 8 + headerSize;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto err = parser.parse(data.data() + 8, headerSize).get(root))
    return bad(std::string("header JSON: ") + simdjson::error_message(err));
  simdjson::dom::object obj;
  if (root.get(obj))
    return bad("the header is not a JSON object");
  TensorFile file;
  for (auto [key, value] : obj) {
    std::string name(key);
    if (name == "__metadata__") {
      simdjson::dom::object meta;
      if (value.get(meta))
        return bad("__metadata__ is not an object");
      for (auto [mk, mv] : meta) {
        std::string_view s;
        if (mv.get(s))
          return bad("metadata value of " + std::string(mk) + " is not a string");
        file.metadata[std::string(mk)] = std::string(s);
      }
      continue;
    }
    std::string_view dtype;
    simdjson::dom::array shape, offsets;
    if (value["dtype"].get(dtype) || value["shape"].get(shape) ||
        value["data_offsets"].get(offsets))
      return bad("tensor " + name + " lacks dtype, shape or data_offsets");
    std::optional<c10::ScalarType> st;
    for (const DTypeName &d : kDTypes)
      if (dtype == d.name)
        st = d.type;
    if (!st)
      return bad("tensor " + name + " has unsupported dtype " + std::string(dtype));
    std::vector<int64_t> sizes;
    for (auto s : shape) {
      int64_t v;
      if (s.get(v) || v < 0)
        return bad("tensor " + name + " has a bad shape");
      sizes.push_back(v);
    }
    std::vector<uint64_t> off;
    for (auto o : offsets) {
      uint64_t v;
      if (o.get(v))
        return bad("tensor " + name + " has bad data_offsets");
      off.push_back(v);
    }
    if (off.size() != 2 || off[0] > off[1] || off[1] > data.size() - dataStart)
      return bad("tensor " + name + ": data_offsets outside the file");
    // The byte count the shape needs, computed without overflow before allocating.
    uint64_t nbytes = c10::elementSize(*st);
    for (int64_t d : sizes)
      if (d && nbytes > (off[1] - off[0]) / static_cast<uint64_t>(d) + 1)
        return bad("tensor " + name + ": its shape needs more bytes than data_offsets give");
      else
        nbytes *= static_cast<uint64_t>(d);
    if (nbytes != off[1] - off[0])
      return bad("tensor " + name + ": " + std::to_string(off[1] - off[0]) +
                 " bytes for a shape that needs " + std::to_string(nbytes));
    at::Tensor t = at::empty(sizes, at::TensorOptions().dtype(*st));
    if (nbytes)
      std::memcpy(t.data_ptr(), data.data() + dataStart + off[0], nbytes);
    file.tensors[name] = t;
  }
  return file;
}

absl::Status writeTensorFile(const std::string &path, const TensorFile &file) {
  std::string header = "{";
  bool first = true;
  if (!file.metadata.empty()) {
    header += "\"__metadata__\":{";
    for (auto it = file.metadata.begin(); it != file.metadata.end(); ++it)
      header += (it == file.metadata.begin() ? "" : ",") + ("\"" + jsonEscape(it->first)) +
                "\":\"" + jsonEscape(it->second) + "\"";
    header += "}";
    first = false;
  }
  std::string body;
  for (const auto &[name, tensor] : file.tensors) {
    const char *dt = nullptr;
    for (const DTypeName &d : kDTypes)
      if (d.type == tensor.scalar_type())
        dt = d.name;
    if (!dt)
      return absl::InvalidArgumentError(path + ": cannot write tensor " + name + " of dtype " +
                                        c10::toString(tensor.scalar_type()));
    at::Tensor c = tensor.contiguous();
    size_t nbytes = c.numel() * c.element_size();
    std::string shape;
    for (int64_t s : c.sizes())
      shape += (shape.empty() ? "" : ",") + std::to_string(s);
    header += std::string(first ? "" : ",") + "\"" + jsonEscape(name) + "\":{\"dtype\":\"" +
              dt + "\",\"shape\":[" + shape + "],\"data_offsets\":[" +
              std::to_string(body.size()) + "," + std::to_string(body.size() + nbytes) + "]}";
    first = false;
    body.append(static_cast<const char *>(c.data_ptr()), nbytes);
  }
  header += "}";
  while (header.size() % 8)
    header += ' ';
  std::ofstream out(path, std::ios::binary);
  if (!out)
    return absl::PermissionDeniedError(path + ": cannot write");
  uint64_t n = header.size();
  char len[8];
  for (int i = 0; i < 8; ++i)
    len[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  out.write(len, 8);
  out << header << body;
  if (!out)
    return absl::InternalError(path + ": write failed");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<c10::IValue>> inputsFromFile(const TensorFile &file,
                                                        const std::string &path) {
  std::vector<c10::IValue> leaves;
  auto meta = file.metadata.find("fxir_corpus");
  if (meta == file.metadata.end()) {
    for (size_t i = 0;; ++i) {
      auto it = file.tensors.find("input_" + std::to_string(i));
      if (it == file.tensors.end())
        break;
      leaves.push_back(it->second);
    }
    if (leaves.size() != file.tensors.size())
      return absl::InvalidArgumentError(
          path + ": inputs must be named input_0, input_1, ... without gaps");
    return leaves;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto err = parser.parse(meta->second).get(root))
    return absl::InvalidArgumentError(path + ": fxir_corpus metadata: " +
                                      simdjson::error_message(err));
  int64_t count = 0;
  if (root["num_leaves"].get(count) || count < 0)
    return absl::InvalidArgumentError(path + ": fxir_corpus metadata lacks num_leaves");
  simdjson::dom::object nonTensor;
  if (root["non_tensor_leaves"].get(nonTensor))
    return absl::InvalidArgumentError(path + ": fxir_corpus metadata lacks non_tensor_leaves");
  for (int64_t i = 0; i < count; ++i) {
    auto t = file.tensors.find("input_" + std::to_string(i));
    if (t != file.tensors.end()) {
      leaves.push_back(t->second);
      continue;
    }
    simdjson::dom::element leaf;
    if (nonTensor[std::to_string(i)].get(leaf))
      return absl::InvalidArgumentError(path + ": leaf " + std::to_string(i) +
                                        " is neither a tensor nor a described value");
    std::string_view type;
    if (leaf["type"].get(type))
      return absl::InvalidArgumentError(path + ": leaf " + std::to_string(i) + " has no type");
    simdjson::dom::element v = leaf["value"];
    if (type == "none") {
      leaves.emplace_back();
    } else if (type == "int") {
      int64_t x;
      if (v.get(x))
        return absl::InvalidArgumentError(path + ": leaf " + std::to_string(i) + ": bad int");
      leaves.emplace_back(x);
    } else if (type == "bool") {
      bool x;
      if (v.get(x))
        return absl::InvalidArgumentError(path + ": leaf " + std::to_string(i) + ": bad bool");
      leaves.emplace_back(x);
    } else if (type == "float") {
      double x;
      std::string_view s;
      if (!v.get(x))
        leaves.emplace_back(x);
      else if (!v.get(s))
        leaves.emplace_back(s == "nan" ? NAN : s == "-inf" ? -INFINITY : INFINITY);
      else
        return absl::InvalidArgumentError(path + ": leaf " + std::to_string(i) + ": bad float");
    } else if (type == "str") {
      std::string_view s;
      if (v.get(s))
        return absl::InvalidArgumentError(path + ": leaf " + std::to_string(i) + ": bad str");
      leaves.emplace_back(std::string(s));
    } else {
      return absl::InvalidArgumentError(path + ": leaf " + std::to_string(i) +
                                        " has unsupported type " + std::string(type));
    }
  }
  return leaves;
}

Tolerance defaultTolerance(c10::ScalarType t) {
  switch (t) {
  case c10::kDouble:
  case c10::kComplexDouble: return {1e-7, 1e-7};
  case c10::kFloat:
  case c10::kComplexFloat: return {1.3e-6, 1e-5};
  case c10::kHalf: return {1e-3, 1e-5};
  case c10::kBFloat16: return {1.6e-2, 1e-5};
  default: return {0, 0};
  }
}

std::string compareTensors(const at::Tensor &actual, const at::Tensor &expected,
                           std::optional<Tolerance> tol) {
  if (actual.scalar_type() != expected.scalar_type())
    return std::string("dtype ") + c10::toString(actual.scalar_type()) + ", expected " +
           c10::toString(expected.scalar_type());
  if (actual.sizes() != expected.sizes())
    return "shape " + c10::str(actual.sizes()) + ", expected " + c10::str(expected.sizes());
  if (actual.numel() == 0)
    return "";
  if (!at::isFloatingType(expected.scalar_type()) && !at::isComplexType(expected.scalar_type())) {
    // Integers and bool: exact, compared as 64-bit integers (no rounding through double).
    at::Tensor a = actual.contiguous().reshape({-1}).to(at::kLong);
    at::Tensor e = expected.contiguous().reshape({-1}).to(at::kLong);
    const int64_t *pa = a.data_ptr<int64_t>(), *pe = e.data_ptr<int64_t>();
    int64_t bad = 0, first = -1;
    for (int64_t i = 0; i < a.numel(); ++i)
      if (pa[i] != pe[i] && bad++ == 0)
        first = i;
    if (!bad)
      return "";
    std::vector<int64_t> idx(expected.dim());
    int64_t rest = first;
    for (int64_t d = expected.dim() - 1; d >= 0; --d) {
      idx[d] = rest % expected.size(d);
      rest /= expected.size(d);
    }
    std::string index;
    for (int64_t v : idx)
      index += (index.empty() ? "" : ", ") + std::to_string(v);
    std::ostringstream os;
    os << bad << " of " << a.numel() << " elements differ (exact comparison); first at ["
       << index << "]: got " << pa[first] << ", expected " << pe[first];
    return os.str();
  }
  Tolerance t = tol ? *tol : defaultTolerance(expected.scalar_type());
  at::Tensor a = actual.contiguous().reshape({-1}).to(at::kDouble);
  at::Tensor e = expected.contiguous().reshape({-1}).to(at::kDouble);
  const double *pa = a.data_ptr<double>(), *pe = e.data_ptr<double>();
  double maxAbs = 0, maxRel = 0;
  int64_t worst = -1, bad = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    double x = pa[i], y = pe[i];
    if (std::isnan(x) && std::isnan(y))
      continue;
    if (x == y)
      continue;
    double diff = std::fabs(x - y);
    bool ok = std::isfinite(diff) && diff <= t.atol + t.rtol * std::fabs(y);
    if (std::isnan(diff))
      diff = INFINITY;
    double rel = y != 0 ? diff / std::fabs(y) : INFINITY;
    if (!ok) {
      ++bad;
      if (worst < 0 || diff > maxAbs)
        worst = i;
    }
    maxAbs = std::max(maxAbs, diff);
    maxRel = std::max(maxRel, rel);
  }
  if (!bad)
    return "";
  // The worst element's index in the tensor's own shape.
  std::string index;
  int64_t rest = worst;
  std::vector<int64_t> idx(expected.dim());
  for (int64_t d = expected.dim() - 1; d >= 0; --d) {
    idx[d] = rest % expected.size(d);
    rest /= expected.size(d);
  }
  for (int64_t v : idx)
    index += (index.empty() ? "" : ", ") + std::to_string(v);
  std::ostringstream os;
  os << bad << " of " << a.numel() << " elements differ; max abs error " << maxAbs
     << ", max rel error " << maxRel << "; worst at [" << index << "]: got " << pa[worst]
     << ", expected " << pe[worst] << " (rtol " << t.rtol << ", atol " << t.atol << ")";
  return os.str();
}

} // namespace fxir::runtime
