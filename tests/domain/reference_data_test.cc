#include "domain/reference_data.h"

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace techmatch::domain {
namespace {

TEST(ReferenceData, LoadsProjectFiles) {
  auto data = testing::LoadReference();
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(data->provinces().size(), 34u);
  ASSERT_NE(data->FindSector("207"), nullptr);
  EXPECT_EQ(data->FindSector("207")->parent_code, "2");
  EXPECT_EQ(data->FindSector("2")->parent_code, "");
  EXPECT_EQ(data->FindSector("999"), nullptr);
}

TEST(ReferenceData, ResolvesNamesAliasesWithOrWithoutDiacritics) {
  auto data = testing::LoadReference();
  ASSERT_NE(data, nullptr);
  struct Case {
    const char* input;
    const char* code;
  } cases[] = {
      {"TP. Hồ Chí Minh", "79"}, {"ho chi minh", "79"},
      {"Thành phố Hồ Chí Minh", "79"}, {"TPHCM", "79"},
      {"Bình Dương", "79"},      {"binh duong", "79"},
      {"Bà Rịa - Vũng Tàu", "79"}, {"Bến Tre", "86"},
      {"TỈNH BẾN TRE", "86"},    {"Trà Vinh", "86"},
      {"Long An", "80"},         {"Tiền Giang", "82"},
      {"Kiên Giang", "91"},      {"Hậu Giang", "92"},
      {"Bình Phước", "75"},      {"dong nai", "75"},
      {"Cần Thơ", "92"},         {"Thừa Thiên Huế", "46"},
      {"79", "79"},              {"Hoà Bình", "25"},
      {"Hòa Bình", "25"},  // old and new tone placement
  };
  for (const auto& c : cases) {
    const ProvinceInfo* info = data->ResolveProvince(c.input);
    ASSERT_NE(info, nullptr) << c.input;
    EXPECT_EQ(info->code, c.code) << c.input;
  }
  EXPECT_EQ(data->ResolveProvince("Atlantis"), nullptr);
  EXPECT_EQ(data->ResolveProvince(""), nullptr);
  EXPECT_EQ(data->ResolveProvince("\xFF"), nullptr);
  EXPECT_EQ(data->ResolveProvince("Bến Tre")->region_en, "Mekong River Delta");
}

TEST(ReferenceData, EveryUnitHasARegion) {
  auto data = testing::LoadReference();
  ASSERT_NE(data, nullptr);
  std::map<std::string, int> per_region;
  for (const auto& p : data->provinces()) ++per_region[p.region_en];
  EXPECT_EQ(per_region.size(), 6u);
  EXPECT_EQ(per_region["Southeast"], 3);
  EXPECT_EQ(per_region["Mekong River Delta"], 5);
}

TEST(ReferenceData, RejectsMalformedFiles) {
  const std::string sectors = "1\t\tA\tA\n101\t1\tB\tB\n";
  const std::string provinces = "01\tX\tR\tR\t\n";
  EXPECT_TRUE(ReferenceData::Parse(sectors, provinces).ok());
  EXPECT_EQ(ReferenceData::Parse("1\tA\n", provinces).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(ReferenceData::Parse("1\t\tA\tA\n1\t\tB\tB\n", provinces).ok());
  EXPECT_FALSE(ReferenceData::Parse("101\t9\tB\tB\n", provinces).ok());
  EXPECT_FALSE(
      ReferenceData::Parse(sectors, "01\tX\tR\tR\tY\n02\tY\tR\tR\t\n").ok());
  EXPECT_EQ(ReferenceData::LoadFromDirectory("/nonexistent").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace techmatch::domain
