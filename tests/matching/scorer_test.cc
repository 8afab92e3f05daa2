#include "matching/scorer.h"

#include <gtest/gtest.h>

namespace techmatch::matching {
namespace {

TEST(Scorer, Sector) {
  EXPECT_DOUBLE_EQ(SectorComponent({"207"}, {"207"}).value, 1.0);
  EXPECT_DOUBLE_EQ(SectorComponent({"2"}, {"207"}).value, 0.6);
  EXPECT_DOUBLE_EQ(SectorComponent({"211"}, {"207"}).value, 0.3);
  EXPECT_DOUBLE_EQ(SectorComponent({"405"}, {"207"}).value, 0.0);
  EXPECT_DOUBLE_EQ(SectorComponent({"405"}, {"207", "405"}).value, 1.0);
  Component missing = SectorComponent({}, {"207"});
  EXPECT_TRUE(missing.neutral);
  EXPECT_DOUBLE_EQ(missing.value, kNeutral);
}

TEST(Scorer, TrlNearMissDecays) {
  std::vector<std::string> flags;
  EXPECT_DOUBLE_EQ(TrlComponent(7, 9, &flags).value, 1.0);
  EXPECT_TRUE(flags.empty());
  EXPECT_DOUBLE_EQ(TrlComponent(7, 6, &flags).value, 0.5);
  EXPECT_EQ(flags, (std::vector<std::string>{"BELOW_MIN_TRL", "NEAR_MISS_TRL"}));
  flags.clear();
  double two = TrlComponent(7, 5, &flags).value;
  double three = TrlComponent(7, 4, &flags).value;
  EXPECT_LT(two, 0.5);
  EXPECT_LE(three, two);
  EXPECT_TRUE(TrlComponent(0, 3, &flags).neutral);
  EXPECT_TRUE(TrlComponent(5, 0, &flags).neutral);
}

TEST(Scorer, PriceAgainstBudget) {
  std::vector<std::string> flags;
  EXPECT_DOUBLE_EQ(PriceComponent(1000, 100, 900, &flags).value, 1.0);
  EXPECT_DOUBLE_EQ(PriceComponent(1000, 500, 1500, &flags).value, 0.75);
  EXPECT_TRUE(flags.empty());
  double over = PriceComponent(1000, 1200, 2000, &flags).value;
  double way_over = PriceComponent(1000, 5000, 6000, &flags).value;
  EXPECT_LT(over, 0.5);
  EXPECT_LT(way_over, over);
  EXPECT_EQ(flags.front(), "OVER_BUDGET");
  EXPECT_TRUE(PriceComponent(std::nullopt, 1, 2, &flags).neutral);
  EXPECT_TRUE(PriceComponent(1000, 0, 0, &flags).neutral);  // negotiable
}

TEST(Scorer, RegionPrefersProvinceThenRegionThenHub) {
  double same = RegionComponent("86", "Mekong", "86", "Mekong", "79").value;
  double region = RegionComponent("86", "Mekong", "92", "Mekong", "79").value;
  double hub = RegionComponent("86", "Mekong", "79", "Southeast", "79").value;
  double far = RegionComponent("86", "Mekong", "01", "Red River", "79").value;
  EXPECT_GT(same, region);
  EXPECT_GT(region, hub);
  EXPECT_GT(hub, far);
  EXPECT_TRUE(RegionComponent("", "", "01", "Red River", "79").neutral);
}

TEST(Scorer, TransferModesAndFreshness) {
  std::vector<std::string> flags;
  EXPECT_DOUBLE_EQ(TransferComponent(0b10010, 0b10000, &flags).value, 1.0);
  EXPECT_DOUBLE_EQ(TransferComponent(0b10, 0b100, &flags).value, 0.0);
  EXPECT_TRUE(TransferComponent(0, 0b100, &flags).neutral);
  int64_t year = 365LL * 86'400'000'000LL;
  EXPECT_NEAR(FreshnessComponent(1, 1 + year).value, 0.5, 1e-9);
  EXPECT_NEAR(FreshnessComponent(1, 1).value, 1.0, 1e-9);
  EXPECT_TRUE(FreshnessComponent(0, year).neutral);
}

}  // namespace
}  // namespace techmatch::matching
