#include "matching/doc_table.h"

#include <gtest/gtest.h>

#include <string>

namespace techmatch::matching {
namespace {

struct Doc {
  uint64_t id = 0;
  std::string name;
};

TEST(DocTableTest, UpsertFindEraseKeepTheOthers) {
  DocTable<Doc> table;
  for (uint64_t id = 1; id <= 5; ++id)
    table.Upsert({id, "v" + std::to_string(id)});
  table.Upsert({3, "replaced"});
  EXPECT_EQ(table.size(), 5u);
  ASSERT_NE(table.Find(3), nullptr);
  EXPECT_EQ(table.Find(3)->name, "replaced");
  table.Erase(2);  // the last document moves into its place
  table.Erase(2);  // no-op
  table.Erase(42);
  EXPECT_EQ(table.size(), 4u);
  EXPECT_EQ(table.Find(2), nullptr);
  for (uint64_t id : {1, 4, 5}) {
    ASSERT_NE(table.Find(id), nullptr) << id;
    EXPECT_EQ(table.Find(id)->name, "v" + std::to_string(id));
  }
  table.Erase(5);  // the last one itself
  table.Upsert({6, "v6"});
  EXPECT_EQ(table.size(), 4u);
  EXPECT_EQ(table.Find(6)->name, "v6");
  EXPECT_EQ(table.Find(1)->name, "v1");
  EXPECT_GT(table.MemoryBytes([](const Doc& d) { return d.name.capacity(); }),
            4 * sizeof(Doc));
}

}  // namespace
}  // namespace techmatch::matching
