//===- DType.h - tensor element types ---------------------------------------===//
//
// The closed set of element types a tensor in fxir can have, with their IR text
// names, torch names, sizes and .pt2 serializer numbers. The list lives in
// DTypes.def; nothing else in fxir spells out dtypes.
//
// Does not: include c10 (c10 numbers are data here, checked against c10::ScalarType by
// tests/torch/AtenCallTest.cpp).
//===----------------------------------------------------------------------------===//
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "llvm/ADT/ArrayRef.h"

namespace fxir {

enum class DType : unsigned char {
#define FXIR_DTYPE(Enum, IrName, TorchName, Bytes, Pt2Code, C10Code) Enum,
#include "fxir/ir/DTypes.def"
};

/// Every DType, in DTypes.def order.
llvm::ArrayRef<DType> allDTypes();

/// Name in fxir's IR text ("f32", "bf16", "i64", "bool").
std::string_view irName(DType t);
/// torch's name without the "torch." prefix ("float32", "bfloat16").
std::string_view torchName(DType t);
/// Bytes per element.
std::size_t byteSize(DType t);
/// The number torch.export's serializer writes for this dtype (ScalarType enum).
int pt2Code(DType t);
/// c10::ScalarType's number for this dtype (what schema defaults such as
/// `ScalarType? dtype=4` use).
int c10Code(DType t);

bool isFloatingPoint(DType t);
bool isComplex(DType t);
bool isIntegral(DType t, bool includeBool);

std::optional<DType> dtypeFromIrName(std::string_view name);
std::optional<DType> dtypeFromTorchName(std::string_view name);
/// nullopt for 0 (UNKNOWN) and numbers the serializer does not define.
std::optional<DType> dtypeFromPt2Code(int code);
/// nullopt for c10 types fxir does not have (quantized, bits, sub-byte).
std::optional<DType> dtypeFromC10Code(int code);

} // namespace fxir
