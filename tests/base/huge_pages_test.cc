#include "base/huge_pages.h"

#include <gtest/gtest.h>

namespace techmatch {
namespace {

constexpr char kMadvise[] = "always [madvise] never\n";

TEST(HugePageTunablesTest, AddsTheTunablesWhereTheKernelOffersHugePages) {
  EXPECT_EQ(HugePageTunables(nullptr, kMadvise),
            std::string(kHugePageTunables));
  EXPECT_EQ(HugePageTunables(nullptr, "[always] madvise never"),
            std::string(kHugePageTunables));
  EXPECT_EQ(HugePageTunables("", kMadvise), std::string(kHugePageTunables));
}

TEST(HugePageTunablesTest, KeepsOtherTunablesFirst) {
  EXPECT_EQ(HugePageTunables("glibc.malloc.arena_max=2", kMadvise),
            "glibc.malloc.arena_max=2:" + std::string(kHugePageTunables));
}

TEST(HugePageTunablesTest, ChangesNothingWithoutHugePagesOrWhenAlreadySet) {
  EXPECT_EQ(HugePageTunables(nullptr, "always madvise [never]"), std::nullopt);
  EXPECT_EQ(HugePageTunables(nullptr, ""), std::nullopt);  // unreadable
  // The operator's choice stands, whichever it is.
  EXPECT_EQ(HugePageTunables("glibc.malloc.hugetlb=0", kMadvise), std::nullopt);
  EXPECT_EQ(HugePageTunables("glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1",
                             kMadvise),
            std::nullopt);
}

}  // namespace
}  // namespace techmatch
