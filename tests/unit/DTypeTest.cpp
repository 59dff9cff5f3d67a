//===- DTypeTest.cpp - the dtype table -----------------------------------------===//
// Round trips through every name and number; the .pt2 numbers are checked against
// the serializer's enum by tests/lit/pt2-dtype-codes.test (from the installed torch).
#include "fxir/ir/DType.h"

#include <set>
#include <string>

#include <gtest/gtest.h>

using namespace fxir;

TEST(DType, NamesAndCodesRoundTrip) {
  std::set<std::string_view> irNames, torchNames;
  std::set<int> codes;
  for (DType t : allDTypes()) {
    EXPECT_EQ(dtypeFromIrName(irName(t)), t) << irName(t);
    EXPECT_EQ(dtypeFromTorchName(torchName(t)), t) << torchName(t);
    EXPECT_EQ(dtypeFromPt2Code(pt2Code(t)), t) << pt2Code(t);
    EXPECT_TRUE(irNames.insert(irName(t)).second) << "duplicate " << irName(t);
    EXPECT_TRUE(torchNames.insert(torchName(t)).second) << "duplicate " << torchName(t);
    EXPECT_TRUE(codes.insert(pt2Code(t)).second) << "duplicate " << pt2Code(t);
  }
  EXPECT_EQ(allDTypes().size(), 21u);
}

TEST(DType, UnknownNamesAndCodes) {
  EXPECT_FALSE(dtypeFromPt2Code(0));  // ScalarType.UNKNOWN
  EXPECT_FALSE(dtypeFromPt2Code(14)); // a gap in the serializer's numbering
  EXPECT_FALSE(dtypeFromIrName("float"));
  EXPECT_FALSE(dtypeFromTorchName("f32"));
}

TEST(DType, Classes) {
  EXPECT_TRUE(isFloatingPoint(DType::BFloat16));
  EXPECT_FALSE(isFloatingPoint(DType::Complex64));
  EXPECT_TRUE(isComplex(DType::Complex32));
  EXPECT_TRUE(isIntegral(DType::UInt64, false));
  EXPECT_FALSE(isIntegral(DType::Bool, false));
  EXPECT_TRUE(isIntegral(DType::Bool, true));
  EXPECT_EQ(byteSize(DType::Complex128), 16u);
  EXPECT_EQ(byteSize(DType::BFloat16), 2u);
}
