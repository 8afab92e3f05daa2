#include "matching/scorer.h"

#include <gtest/gtest.h>

#include <random>

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

// Ranking a pool uses the values alone: each must equal its component's
// value (explained or not), exactly, for any input.
TEST(Scorer, ValuesEqualTheComponentsValues) {
  std::mt19937 rng(7);
  const std::vector<std::string> codes = {"",    "2", "20",  "207", "2071",
                                          "211", "4", "405", "9"};
  const std::vector<std::string> provinces = {"", "75", "79", "86", "92"};
  const std::vector<std::string> regions = {"", "Đông Nam Bộ",
                                            "Đồng bằng sông Cửu Long"};
  auto pick = [&](const std::vector<std::string>& from) {
    return from[rng() % from.size()];
  };
  auto sectors = [&] {
    std::vector<std::string> out(rng() % 3);
    for (auto& s : out) s = pick(codes);
    return out;
  };
  const int64_t year = 365LL * 86'400'000'000LL;
  for (int i = 0; i < 20000; ++i) {
    const bool explain = i % 2 == 0;
    std::vector<std::string> flags;
    const auto need_sectors = sectors(), offer_sectors = sectors();
    EXPECT_EQ(SectorValue(need_sectors, offer_sectors),
              SectorComponent(need_sectors, offer_sectors, explain).value);
    const int min_trl = static_cast<int>(rng() % 11) - 1;
    const int trl = static_cast<int>(rng() % 11) - 1;
    EXPECT_EQ(TrlValue(min_trl, trl),
              TrlComponent(min_trl, trl, &flags, explain).value);
    const std::optional<int64_t> budget =
        rng() % 4 == 0 ? std::nullopt
                       : std::optional<int64_t>(
                             static_cast<int64_t>(rng() % 5) * 100'000'000);
    const int64_t low = static_cast<int64_t>(rng() % 6) * 80'000'000;
    const int64_t high = low + static_cast<int64_t>(rng() % 3) * 90'000'000;
    EXPECT_EQ(PriceValue(budget, low, high),
              PriceComponent(budget, low, high, &flags, explain).value);
    const std::string np = pick(provinces), op = pick(provinces);
    const std::string nr = pick(regions), orr = pick(regions);
    EXPECT_EQ(RegionValue(np, nr, op, orr, "79"),
              RegionComponent(np, nr, op, orr, "79", explain).value);
    const TransferModeSet nm = rng() % 8, om = rng() % 8;
    EXPECT_EQ(TransferValue(nm, om),
              TransferComponent(nm, om, &flags, explain).value);
    const int64_t fresh = static_cast<int64_t>(rng() % 3) *
                          static_cast<int64_t>(rng() % (3 * year));
    const int64_t now = static_cast<int64_t>(rng() % 4) * year;
    EXPECT_EQ(FreshnessValue(fresh, now),
              FreshnessComponent(fresh, now, explain).value);
  }
}

// The explained sector reason names the pair that gave the value.
TEST(Scorer, SectorReasonNamesTheBestPair) {
  EXPECT_EQ(SectorComponent({"405", "211"}, {"207", "405"}).detail,
            "same field 405");
  EXPECT_EQ(SectorComponent({"2"}, {"405", "207"}).detail,
            "field 2 contains 207");
  EXPECT_EQ(SectorComponent({"211"}, {"207"}).detail, "same top-level field 2");
  EXPECT_EQ(SectorComponent({"405"}, {"207"}).detail, "different fields");
}

}  // namespace
}  // namespace techmatch::matching
