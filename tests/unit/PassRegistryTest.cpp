//===- PassRegistryTest.cpp ------------------------------------------------------===//
#include "fxir/passes/PassRegistry.h"

#include <set>

#include <gtest/gtest.h>

TEST(PassRegistry, NamesAreUniqueKebabCaseWithSummaries) {
  std::set<std::string_view> seen;
  for (const fxir::PassInfo &p : fxir::registeredPasses()) {
    EXPECT_TRUE(seen.insert(p.name).second) << "duplicate pass " << p.name;
    EXPECT_FALSE(p.summary.empty()) << p.name;
    for (char c : p.name)
      EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')
          << "pass name not kebab-case: " << p.name;
    EXPECT_EQ(fxir::lookupPass(p.name), &p);
  }
}

TEST(PassRegistry, UnknownPassIsNull) {
  EXPECT_EQ(fxir::lookupPass("no-such-pass"), nullptr);
}
