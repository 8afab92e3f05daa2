#include "matching/posting_list.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace techmatch::matching {
namespace {

std::vector<uint32_t> Values(const PostingList& list) {
  std::vector<uint32_t> out;
  for (PostingList::Reader r(list); !r.done(); r.next())
    out.push_back(r.value());
  return out;
}

// Values with strictly ascending slots: random gaps from `max_gap` and low
// bytes that are mostly 1 (the common code, stored without a byte).
std::vector<uint32_t> RandomValues(size_t n, uint32_t max_gap, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<uint32_t> gap(1, max_gap);
  std::uniform_int_distribution<uint32_t> low(0, 255);
  std::vector<uint32_t> out;
  uint32_t slot = gap(rng) - 1;
  for (size_t i = 0; i < n; ++i) {
    uint32_t code = low(rng);
    out.push_back(slot << 8 | (code < 192 ? 1 : code));
    slot += gap(rng);
  }
  return out;
}

PostingList ListOf(const std::vector<uint32_t>& values) {
  PostingList list;
  for (uint32_t v : values) list.push_back(v);
  return list;
}

TEST(PostingListTest, RoundTripsAcrossInlineHeapAndBlocks) {
  PostingList list;
  EXPECT_TRUE(list.empty());
  EXPECT_TRUE(PostingList::Reader(list).done());
  const std::vector<uint32_t> all = RandomValues(1000, 40, 1);
  std::vector<uint32_t> expected;
  for (size_t i = 0; i < all.size(); ++i) {
    list.push_back(all[i]);
    expected.push_back(all[i]);
    ASSERT_EQ(list.size(), expected.size());
    EXPECT_EQ(list.HeapBytes() == 0, i < PostingList::kInline) << i;
    // Every length around the inline limit and the block boundaries.
    if (i < 10 || (i + 2) % PostingList::kBlock < 4 || i + 1 == all.size()) {
      ASSERT_EQ(Values(list), expected) << i;
    }
  }
}

TEST(PostingListTest, KeepsExtremeGapsAndLowBytes) {
  // Gaps of one and of the whole 24-bit slot range; low bytes 0, 1, 255.
  const std::vector<uint32_t> values = {0u << 8 | 0,
                                        1u << 8 | 1,
                                        2u << 8 | 255,
                                        3u << 8 | 1,
                                        (1u << 23) << 8 | 2,
                                        ((1u << 24) - 2) << 8 | 1,
                                        ((1u << 24) - 1) << 8 | 0};
  PostingList list = ListOf(values);
  EXPECT_EQ(Values(list), values);
}

TEST(PostingListTest, CompressesCommonPostingsToAboutOneByte) {
  // Dense list, every posting the common low byte: one byte each plus a
  // 6-byte header per block, against four bytes uncompressed.
  std::vector<uint32_t> values;
  for (uint32_t slot = 0; slot < 100000; slot += 3)
    values.push_back(slot << 8 | 1);
  PostingList list = ListOf(values);
  list.ShrinkToFit();
  EXPECT_EQ(Values(list), values);
  EXPECT_LT(list.HeapBytes(),
            values.size() * (PostingList::kBlock + 7) / PostingList::kBlock);
}

TEST(PostingListTest, SeekMatchesLowerBound) {
  for (uint32_t max_gap : {1u, 3u, 50u, 5000u}) {
    for (size_t n : {2u, 3u, 4u, 127u, 128u, 129u, 700u}) {
      const std::vector<uint32_t> values =
          RandomValues(n, max_gap, n + max_gap);
      PostingList list = ListOf(values);
      const uint32_t last = PostingList::SlotOf(values.back());
      std::mt19937 rng(static_cast<uint32_t>(n * 31 + max_gap));
      // Ascending targets with random strides, some repeated, some beyond
      // the end; the reader must land where lower_bound does.
      PostingList::Reader r(list);
      uint32_t target = 0;
      std::uniform_int_distribution<uint32_t> stride(0, max_gap * 40);
      while (true) {
        r.SeekTo(target);
        auto it = std::lower_bound(
            values.begin(), values.end(), target,
            [](uint32_t v, uint32_t s) { return PostingList::SlotOf(v) < s; });
        if (it == values.end()) {
          EXPECT_TRUE(r.done()) << "n=" << n << " target=" << target;
          break;
        }
        ASSERT_FALSE(r.done()) << "n=" << n << " target=" << target;
        ASSERT_EQ(r.value(), *it) << "n=" << n << " target=" << target;
        if (target > last) break;
        target += stride(rng);
      }
    }
  }
}

TEST(PostingListTest, SeekNeverMovesBackwards) {
  const std::vector<uint32_t> values = RandomValues(600, 10, 7);
  PostingList list = ListOf(values);
  PostingList::Reader r(list);
  r.SeekTo(PostingList::SlotOf(values[400]));
  ASSERT_EQ(r.value(), values[400]);
  r.SeekTo(PostingList::SlotOf(values[10]));
  EXPECT_EQ(r.value(), values[400]);
  r.next();
  EXPECT_EQ(r.value(), values[401]);
}

TEST(PostingListTest, ShrinkAndMoveKeepValues) {
  const std::vector<uint32_t> values = RandomValues(300, 1000, 3);
  PostingList a = ListOf(values);
  const size_t grown = a.HeapBytes();
  a.ShrinkToFit();
  EXPECT_LE(a.HeapBytes(), grown);
  EXPECT_EQ(Values(a), values);
  a.push_back((PostingList::SlotOf(values.back()) + 1) << 8 |
              1);  // grows again
  PostingList b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): defined
  EXPECT_EQ(b.size(), 301u);
  PostingList c;
  c.push_back(42);
  c = std::move(b);
  std::vector<uint32_t> expected = values;
  expected.push_back((PostingList::SlotOf(values.back()) + 1) << 8 | 1);
  EXPECT_EQ(Values(c), expected);
  std::vector<PostingList> many(3);  // vector growth moves lists
  many[1].push_back(3);
  many.emplace_back();
  EXPECT_EQ(Values(many[1]), std::vector<uint32_t>{3});
}

// A large list (a common term's) grows in steps of a sixteenth, not by
// doubling: shrunk after a load and then appended to, it keeps at most ~1/8
// spare; its values survive every step.
TEST(PostingListTest, LargeListsGrowInSmallSteps) {
  const std::vector<uint32_t> values = RandomValues(400000, 3, 9);
  PostingList list;
  for (size_t i = 0; i < values.size() / 2; ++i) list.push_back(values[i]);
  list.ShrinkToFit();
  const size_t shrunk = list.HeapBytes();
  ASSERT_GT(shrunk, size_t{256} << 10);
  list.push_back(values[values.size() / 2]);
  EXPECT_LE(list.HeapBytes(), shrunk + shrunk / 8 + 64);
  for (size_t i = values.size() / 2 + 1; i < values.size(); ++i) {
    list.push_back(values[i]);
    if (i % 50000 == 0) {
      // Growing, the spare stays within an eighth of the stream.
      PostingList exact =
          ListOf(std::vector<uint32_t>(values.begin(), values.begin() + i + 1));
      exact.ShrinkToFit();
      EXPECT_LE(list.HeapBytes(), exact.HeapBytes() / 8 * 9 + 64) << i;
    }
  }
  EXPECT_EQ(Values(list), values);
  PostingList::Reader r(list);
  r.SeekTo(PostingList::SlotOf(values[300000]));
  ASSERT_FALSE(r.done());
  EXPECT_EQ(r.value(), values[300000]);
}

}  // namespace
}  // namespace techmatch::matching
