#include "matching/pair_term_map.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <vector>

namespace techmatch::matching {
namespace {

// Keys shaped as the text index makes them: two syllable ids side by side
// (the second never 0), some with the accent bit.
std::vector<uint64_t> PairKeys(size_t n, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<uint64_t> syllable(1, 5000);
  std::map<uint64_t, bool> seen;
  std::vector<uint64_t> keys;
  while (keys.size() < n) {
    uint64_t key = syllable(rng) << 32 | syllable(rng);
    if (rng() & 1) key |= uint64_t{1} << 63;
    if (seen.emplace(key, true).second) keys.push_back(key);
  }
  return keys;
}

TEST(PairTermMapTest, EmptyMapFindsNothing) {
  PairTermMap map;
  EXPECT_EQ(map.Find(1ull << 32 | 2), PairTermMap::kNone);
  EXPECT_EQ(map.size(), 0u);
  size_t visited = 0;
  map.ForEach([&](uint64_t, uint32_t) { ++visited; });
  EXPECT_EQ(visited, 0u);
  map.Prefetch(7);  // harmless on an empty map
}

TEST(PairTermMapTest, InsertsFindsAndKeepsTheFirstValue) {
  PairTermMap map;
  const std::vector<uint64_t> keys = PairKeys(100000, 1);
  for (size_t i = 0; i < keys.size(); ++i) {
    auto [value, inserted] =
        map.FindOrInsert(keys[i], static_cast<uint32_t>(i));
    ASSERT_TRUE(inserted) << i;
    ASSERT_EQ(value, i);
  }
  EXPECT_EQ(map.size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    ASSERT_EQ(map.Find(keys[i]), i) << i;
    auto [value, inserted] = map.FindOrInsert(keys[i], 999999999);
    ASSERT_FALSE(inserted);
    ASSERT_EQ(value, i);
  }
  EXPECT_EQ(map.size(), keys.size());
  // Keys never inserted.
  const std::set<uint64_t> inserted(keys.begin(), keys.end());
  for (uint64_t key : PairKeys(2000, 2)) {
    if (!inserted.count(key)) {
      EXPECT_EQ(map.Find(key), PairTermMap::kNone) << key;
    }
  }
}

TEST(PairTermMapTest, ForEachVisitsEveryEntryOnce) {
  PairTermMap map;
  const std::vector<uint64_t> keys = PairKeys(5000, 3);
  for (size_t i = 0; i < keys.size(); ++i)
    map.FindOrInsert(keys[i], static_cast<uint32_t>(i));
  std::map<uint64_t, uint32_t> seen;
  map.ForEach([&](uint64_t key, uint32_t value) {
    EXPECT_TRUE(seen.emplace(key, value).second) << "twice: " << key;
  });
  ASSERT_EQ(seen.size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(seen[keys[i]], i);
}

TEST(PairTermMapTest, SmallTablesWrapAroundWhenBucketsFill) {
  // 16 buckets of 5 hold 60 keys before growing: chains of full buckets
  // form and wrap past the last bucket.
  PairTermMap map;
  const std::vector<uint64_t> keys = PairKeys(60, 4);
  for (size_t i = 0; i < keys.size(); ++i)
    map.FindOrInsert(keys[i], static_cast<uint32_t>(i));
  EXPECT_EQ(map.MemoryBytes(), 16u * 64);
  for (size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(map.Find(keys[i]), i);
  map.FindOrInsert(1ull << 40 | 1, 60);  // the 61st grows the table
  EXPECT_GT(map.MemoryBytes(), 16u * 64);
  for (size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(map.Find(keys[i]), i);
  EXPECT_EQ(map.Find(1ull << 40 | 1), 60u);
}

TEST(PairTermMapTest, LoadFactorStaysBetweenAHalfAndThreeQuarters) {
  PairTermMap map;
  const std::vector<uint64_t> keys = PairKeys(200000, 5);
  for (size_t i = 0; i < keys.size(); ++i) {
    map.FindOrInsert(keys[i], static_cast<uint32_t>(i));
    if (i + 1 >= 1000 && (i + 1) % 997 == 0) {
      const double slots = static_cast<double>(map.MemoryBytes() / 64 * 5);
      const double load = static_cast<double>(i + 1) / slots;
      ASSERT_LE(load, 0.75) << i;
      ASSERT_GE(load, 0.49) << i;
    }
  }
}

TEST(PairTermMapTest, ReserveAvoidsGrowthAndShrinkToFitReleasesSpare) {
  PairTermMap map;
  map.Reserve(10000);
  const size_t reserved = map.MemoryBytes();
  const std::vector<uint64_t> keys = PairKeys(10000, 6);
  for (size_t i = 0; i < keys.size(); ++i)
    map.FindOrInsert(keys[i], static_cast<uint32_t>(i));
  EXPECT_EQ(map.MemoryBytes(), reserved);
  map.ShrinkToFit();  // already at 0.7: unchanged
  EXPECT_EQ(map.MemoryBytes(), reserved);

  PairTermMap roomy;
  roomy.Reserve(100000);
  for (size_t i = 0; i < keys.size(); ++i)
    roomy.FindOrInsert(keys[i], static_cast<uint32_t>(i));
  roomy.ShrinkToFit();
  EXPECT_EQ(roomy.MemoryBytes(), reserved);
  for (size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(roomy.Find(keys[i]), i);
}

TEST(PairTermMapTest, MovesItsEntries) {
  PairTermMap map;
  map.FindOrInsert(3ull << 32 | 4, 7);
  PairTermMap moved = std::move(map);
  EXPECT_EQ(moved.Find(3ull << 32 | 4), 7u);
  EXPECT_EQ(moved.size(), 1u);
}

}  // namespace
}  // namespace techmatch::matching
