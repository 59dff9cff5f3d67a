//===- DType.cpp - tensor element types -------------------------------------===//
#include "fxir/ir/DType.h"

namespace fxir {
namespace {
struct DTypeInfo {
  DType type;
  std::string_view irName;
  std::string_view torchName;
  std::size_t bytes;
  int pt2Code;
  int c10Code;
};

constexpr DTypeInfo kInfos[] = {
#define FXIR_DTYPE(Enum, IrName, TorchName, Bytes, Pt2Code, C10Code)                        \
  {DType::Enum, IrName, TorchName, Bytes, Pt2Code, C10Code},
#include "fxir/ir/DTypes.def"
};

constexpr DType kAll[] = {
#define FXIR_DTYPE(Enum, IrName, TorchName, Bytes, Pt2Code, C10Code) DType::Enum,
#include "fxir/ir/DTypes.def"
};

const DTypeInfo &info(DType t) { return kInfos[static_cast<unsigned>(t)]; }
} // namespace

llvm::ArrayRef<DType> allDTypes() { return kAll; }
std::string_view irName(DType t) { return info(t).irName; }
std::string_view torchName(DType t) { return info(t).torchName; }
std::size_t byteSize(DType t) { return info(t).bytes; }
int pt2Code(DType t) { return info(t).pt2Code; }
int c10Code(DType t) { return info(t).c10Code; }

bool isFloatingPoint(DType t) {
  switch (t) {
  case DType::Float16:
  case DType::Float32:
  case DType::Float64:
  case DType::BFloat16:
  case DType::Float8E4M3FN:
  case DType::Float8E5M2:
  case DType::Float8E4M3FNUZ:
  case DType::Float8E5M2FNUZ:
  case DType::Float8E8M0FNU:
    return true;
  default:
    return false;
  }
}

bool isComplex(DType t) {
  return t == DType::Complex32 || t == DType::Complex64 || t == DType::Complex128;
}

bool isIntegral(DType t, bool includeBool) {
  if (t == DType::Bool)
    return includeBool;
  return !isFloatingPoint(t) && !isComplex(t);
}

std::optional<DType> dtypeFromIrName(std::string_view name) {
  for (const DTypeInfo &i : kInfos)
    if (i.irName == name)
      return i.type;
  return std::nullopt;
}

std::optional<DType> dtypeFromTorchName(std::string_view name) {
  for (const DTypeInfo &i : kInfos)
    if (i.torchName == name)
      return i.type;
  return std::nullopt;
}

std::optional<DType> dtypeFromC10Code(int code) {
  for (const DTypeInfo &i : kInfos)
    if (i.c10Code == code)
      return i.type;
  return std::nullopt;
}

std::optional<DType> dtypeFromPt2Code(int code) {
  for (const DTypeInfo &i : kInfos)
    if (i.pt2Code == code)
      return i.type;
  return std::nullopt;
}

} // namespace fxir
