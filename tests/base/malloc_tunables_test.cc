#include "base/malloc_tunables.h"

#include <gtest/gtest.h>

namespace techmatch {
namespace {

constexpr char kMadvise[] = "always [madvise] never\n";
constexpr char kNoThp[] = "always madvise [never]\n";
const std::string kTcache = "glibc.malloc.tcache_count=1000";
const std::string kBoth = std::string(kHugePageTunables) + ":" + kTcache;

MallocTuning HugePagesOnly() { return {.huge_pages = true, .tcache_count = 0}; }
MallocTuning TcacheOnly() {
  return {.huge_pages = false, .tcache_count = 1000};
}

TEST(MallocTunablesTest, AddsHugePagesWhereTheKernelOffersThemAndTheTcache) {
  EXPECT_EQ(MallocTunables(nullptr, kMadvise, {}), kBoth);
  EXPECT_EQ(MallocTunables(nullptr, "[always] madvise never", {}), kBoth);
  EXPECT_EQ(MallocTunables("", kMadvise, {}), kBoth);
  // Without THP (or an unreadable mode) the tcache alone.
  EXPECT_EQ(MallocTunables(nullptr, kNoThp, {}), kTcache);
  EXPECT_EQ(MallocTunables(nullptr, "", {}), kTcache);
}

TEST(MallocTunablesTest, KeepsOtherTunablesFirst) {
  EXPECT_EQ(MallocTunables("glibc.malloc.arena_max=2", kMadvise, {}),
            "glibc.malloc.arena_max=2:" + kBoth);
}

TEST(MallocTunablesTest, EachPartCanBeTurnedOff) {
  EXPECT_EQ(MallocTunables(nullptr, kMadvise, HugePagesOnly()),
            std::string(kHugePageTunables));
  EXPECT_EQ(MallocTunables(nullptr, kMadvise, TcacheOnly()), kTcache);
  EXPECT_EQ(MallocTunables(nullptr, kMadvise,
                           {.huge_pages = false, .tcache_count = 0}),
            std::nullopt);
  EXPECT_EQ(MallocTunables(nullptr, kMadvise,
                           {.huge_pages = true, .tcache_count = 64}),
            std::string(kHugePageTunables) + ":glibc.malloc.tcache_count=64");
}

TEST(MallocTunablesTest, TheOperatorsChoiceStands) {
  EXPECT_EQ(MallocTunables("glibc.malloc.hugetlb=0", kMadvise, {}),
            "glibc.malloc.hugetlb=0:" + kTcache);
  EXPECT_EQ(MallocTunables("glibc.malloc.tcache_count=7", kMadvise, {}),
            "glibc.malloc.tcache_count=7:" + std::string(kHugePageTunables));
  // Nothing left to add: no change, so no re-execution.
  EXPECT_EQ(MallocTunables("glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1:"
                           "glibc.malloc.tcache_count=50",
                           kMadvise, {}),
            std::nullopt);
  EXPECT_EQ(MallocTunables("glibc.malloc.tcache_count=50", kNoThp, {}),
            std::nullopt);
}

}  // namespace
}  // namespace techmatch
