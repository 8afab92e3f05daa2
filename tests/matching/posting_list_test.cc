#include "matching/posting_list.h"

#include <gtest/gtest.h>

#include <vector>

namespace techmatch::matching {
namespace {

std::vector<uint32_t> Values(const PostingList& list) {
  return std::vector<uint32_t>(list.begin(), list.end());
}

TEST(PostingListTest, GrowsFromInlineToHeapAndBack) {
  PostingList list;
  std::vector<uint32_t> expected;
  EXPECT_TRUE(list.empty());
  for (uint32_t v = 1; v <= 100; ++v) {
    list.push_back(v * 7);
    expected.push_back(v * 7);
    ASSERT_EQ(Values(list), expected) << v;
    EXPECT_EQ(list.HeapBytes() == 0, v <= PostingList::kInline) << v;
  }
  list.set_back(5);
  EXPECT_EQ(list.back(), 5u);
  list.Truncate(10);
  expected.resize(10);
  EXPECT_EQ(Values(list), expected);
  EXPECT_EQ(list.HeapBytes(), 10 * sizeof(uint32_t) + 16);
  list.Truncate(2);  // back inside the object
  expected.resize(2);
  EXPECT_EQ(Values(list), expected);
  EXPECT_EQ(list.HeapBytes(), 0u);
  list.push_back(1);
  list.push_back(2);  // and out again
  expected.push_back(1);
  expected.push_back(2);
  EXPECT_EQ(Values(list), expected);
}

TEST(PostingListTest, ShrinkAndMoveKeepValues) {
  PostingList a;
  for (uint32_t v = 0; v < 9; ++v) a.push_back(v);
  EXPECT_EQ(a.HeapBytes(), 16 * sizeof(uint32_t) + 16);  // doubled from 8
  a.ShrinkToFit();
  EXPECT_EQ(a.HeapBytes(), 9 * sizeof(uint32_t) + 16);
  PostingList b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): defined
  EXPECT_EQ(b.size(), 9u);
  EXPECT_EQ(b[8], 8u);
  PostingList c;
  c.push_back(42);
  c = std::move(b);
  EXPECT_EQ(Values(c), (std::vector<uint32_t>{0, 1, 2, 3, 4, 5, 6, 7, 8}));
  std::vector<PostingList> many(3);  // vector growth moves lists
  many[1].push_back(3);
  many.emplace_back();
  EXPECT_EQ(many[1].back(), 3u);
}

}  // namespace
}  // namespace techmatch::matching
