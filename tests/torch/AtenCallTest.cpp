//===- AtenCallTest.cpp - calling ATen by name, dtype mapping ---------------------===//
// The one gtest binary with LibTorch tests (keeps LibTorch translation units few).
#include "fxir/backends/runtime/AtenCall.h"

#include <ATen/ops/add.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/ones.h>
#include <c10/core/ScalarType.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace fxir;
using ::testing::HasSubstr;

TEST(DTypeMapping, EveryDTypeMapsToTheScalarTypeOfTheSameSize) {
  for (DType d : allDTypes()) {
    c10::ScalarType s = runtime::toScalarType(d);
    ASSERT_NE(s, c10::ScalarType::Undefined) << irName(d);
    EXPECT_EQ(static_cast<int>(s), c10Code(d)) << irName(d);
    EXPECT_EQ(dtypeFromC10Code(static_cast<int>(s)), d) << irName(d);
    EXPECT_EQ(c10::elementSize(s), byteSize(d)) << irName(d);
    EXPECT_EQ(c10::isFloatingType(s), isFloatingPoint(d)) << irName(d);
    EXPECT_EQ(c10::isComplexType(s), isComplex(d)) << irName(d);
    auto back = runtime::fromScalarType(s);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, d);
  }
}

TEST(DTypeMapping, QuantizedTypesHaveNoFxirEquivalent) {
  auto r = runtime::fromScalarType(c10::ScalarType::QInt8);
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("QInt8"));
}

TEST(CallOp, AddByNameMatchesEager) {
  at::Tensor a = at::arange(4, at::kFloat);
  auto r = runtime::callOp("aten::add", "Tensor", {a, at::ones({4}), c10::Scalar(3)});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_TRUE((*r)[0].toTensor().equal(at::add(a, 1, 3)));
}

TEST(CallOp, MultiResultOp) {
  at::Tensor a = at::arange(6, at::kFloat).reshape({2, 3});
  auto r = runtime::callOp("aten::max", "dim", {a, int64_t{1}, false});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[1].toTensor()[0].item<int64_t>(), 2);
}

TEST(CallOp, UnknownOpIsNamed) {
  auto r = runtime::callOp("aten::no_such_op", "default", {});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("aten::no_such_op.default"));
}

TEST(CallOp, AtenErrorIsAStatusNamingTheOp) {
  auto r = runtime::callOp("aten::mm", "", {at::ones({2, 3}), at::ones({2, 3})});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("aten::mm: "));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("cannot be multiplied"));
}
