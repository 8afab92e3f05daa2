#include "matching/matcher.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace techmatch::matching {
namespace {

constexpr int64_t kNow = 1'790'000'000'000'000;

OfferDoc Offer(uint64_t id, const std::string& title, int trl = 8) {
  OfferDoc d;
  d.id = id;
  d.text = {title, "", title + " chuyển giao công nghệ"};
  d.sectors = {"207"};
  d.trl = trl;
  d.province = "79";
  d.region = "Đông Nam Bộ";
  d.published = true;
  d.fresh_micros = kNow;
  return d;
}

NeedDoc Need(uint64_t id, const std::string& title) {
  NeedDoc d;
  d.id = id;
  d.text = {title, "", title};
  d.sectors = {"207"};
  d.province = "75";
  d.region = "Đông Nam Bộ";
  d.published = true;
  return d;
}

MatchOptions Options() {
  MatchOptions o;
  o.now_micros = kNow;
  return o;
}

TEST(Matcher, ExplanationAddsUpToTheScore) {
  Matcher m;
  m.UpsertOffer(Offer(1, "xử lý nước thải thủy sản"));
  m.UpsertOffer(Offer(2, "máy sấy nông sản"));
  auto result = m.OffersForNeed(Need(9, "cần xử lý nước thải"), Options());
  ASSERT_EQ(result.hits.size(), 1u);
  const MatchHit& hit = result.hits[0];
  EXPECT_EQ(hit.id, 1u);
  // The score is the product of the factors 1 - w (1 - v); the text's
  // contribution is its factor, each other's the change it makes to the
  // running product, so that they add up to the score.
  double sum = 0, product = 1;
  for (const auto& c : hit.components) {
    EXPECT_GE(c.value, 0);
    EXPECT_LE(c.value, 1);
    const double factor = 1 - c.weight * (1 - c.value);
    if (c.name == "text") {
      EXPECT_DOUBLE_EQ(c.contribution, factor);
      EXPECT_DOUBLE_EQ(c.value, hit.relevance);
    } else {
      EXPECT_NEAR(c.contribution, product * factor - product, 1e-12);
      EXPECT_LE(c.contribution, 0);
    }
    product *= factor;
    sum += c.contribution;
  }
  EXPECT_NEAR(sum, hit.score, 1e-9);
  EXPECT_NEAR(product, hit.score, 1e-12);
  EXPECT_EQ(hit.components.size(), 7u);
  ASSERT_FALSE(hit.top_terms.empty());
  double shares = 0;
  for (const auto& t : hit.top_terms) shares += t.share;
  EXPECT_LE(shares, 1.0 + 1e-6);
}

// The pool is ranked on component values alone and only the page is
// explained: the page must be exactly the best candidates by their
// explained scores (ExplainPair), in order, ties by id.
TEST(Matcher, PageIsTheBestByExplainedScores) {
  std::mt19937 rng(5);
  const char* sectors[] = {"207", "2", "211", "405"};
  const char* provinces[] = {"75", "79", "86", ""};
  Matcher m;
  for (uint64_t id = 1; id <= 300; ++id) {
    OfferDoc d = Offer(id, rng() % 2 ? "xử lý nước thải thủy sản"
                                     : "hệ thống xử lý nước thải chế biến");
    d.sectors = {sectors[rng() % 4]};
    d.trl = static_cast<int>(rng() % 10);
    d.price_min = static_cast<int64_t>(rng() % 4) * 200'000'000;
    d.price_max = d.price_min + static_cast<int64_t>(rng() % 3) * 100'000'000;
    d.province = provinces[rng() % 4];
    d.region = d.province.empty() ? "" : "Đông Nam Bộ";
    d.transfer_modes = static_cast<TransferModeSet>(rng() % 8);
    d.fresh_micros = kNow - static_cast<int64_t>(rng() % 1000) * 86'400'000'000;
    m.UpsertOffer(d);
  }
  NeedDoc need = Need(9, "cần xử lý nước thải thủy sản");
  need.min_trl = 6;
  need.budget_max = 400'000'000;
  need.transfer_modes = 0b110;
  MatchOptions options = Options();
  options.candidate_pool = 300;
  const MatchResult result = m.OffersForNeed(need, options);
  ASSERT_EQ(result.hits.size(), 10u);
  std::vector<std::pair<double, uint64_t>> all;
  for (uint64_t id = 1; id <= 300; ++id) {
    std::optional<MatchHit> hit = m.ExplainPair(need, id, options);
    ASSERT_TRUE(hit.has_value()) << id;
    all.emplace_back(-hit->score, id);
  }
  std::sort(all.begin(), all.end());
  for (size_t i = 0; i < result.hits.size(); ++i) {
    EXPECT_EQ(result.hits[i].id, all[i].second) << "rank " << i;
    EXPECT_EQ(result.hits[i].score, -all[i].first) << "rank " << i;
  }
}

TEST(Matcher, HardFiltersPublishedExpiredStrict) {
  Matcher m;
  OfferDoc draft = Offer(1, "xử lý nước thải");
  draft.published = false;
  OfferDoc expired = Offer(2, "xử lý nước thải");
  expired.expire_micros = kNow - 1;
  OfferDoc low = Offer(3, "xử lý nước thải", /*trl=*/4);
  OfferDoc good = Offer(4, "xử lý nước thải");
  for (const auto& d : {draft, expired, low, good}) m.UpsertOffer(d);
  NeedDoc need = Need(9, "xử lý nước thải");
  need.min_trl = 7;
  auto loose = m.OffersForNeed(need, Options());
  ASSERT_EQ(loose.hits.size(), 2u);
  EXPECT_EQ(loose.hits[0].id, 4u);  // meets the TRL, ranks first
  EXPECT_EQ(loose.hits[1].id, 3u);
  need.strict = kStrictMinTrl;
  auto strict = m.OffersForNeed(need, Options());
  ASSERT_EQ(strict.hits.size(), 1u);
  EXPECT_EQ(strict.hits[0].id, 4u);
}

// The index keeps expiries in whole seconds; around the current second the
// record decides, so expiry is exact to the microsecond either way.
TEST(Matcher, ExpiryIsExactAroundTheCurrentSecond) {
  Matcher m;
  const int64_t offsets[] = {-2'000'000, -1'000'001, -500'000, -1, 0,
                             1,          500'000,    999'999,  1'000'001, 3'000'000};
  uint64_t id = 1;
  std::vector<uint64_t> live;
  for (int64_t offset : offsets) {
    OfferDoc offer = Offer(id, "máy sấy nông sản");
    offer.expire_micros = kNow + offset;
    m.UpsertOffer(offer);
    if (offset > 0) live.push_back(id);
    ++id;
  }
  OfferDoc forever = Offer(id, "máy sấy nông sản");
  m.UpsertOffer(forever);
  live.push_back(id);
  auto result = m.OffersForNeed(Need(99, "máy sấy nông sản"), Options());
  std::vector<uint64_t> got;
  for (const auto& hit : result.hits) got.push_back(hit.id);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, live);
}

TEST(Matcher, ConstraintBreakerFallsBelowAFittingOffer) {
  Matcher m;
  // Offer 1 is the closer text match but over budget and below the TRL; a
  // text lead this size must not outweigh both broken constraints. (A much
  // larger lead can: the need marks a constraint strict to make it a filter.)
  OfferDoc close = Offer(1, "hệ thống xử lý nước thải chế biến thủy sản", 5);
  close.price_min = 5'000'000'000;
  close.price_max = 8'000'000'000;
  OfferDoc fitting = Offer(2, "hệ thống xử lý nước thải thủy sản", 8);
  fitting.price_min = 1'000'000'000;
  fitting.price_max = 2'000'000'000;
  m.UpsertOffer(close);
  m.UpsertOffer(fitting);
  // A corpus around them, so that idf is not that of a two-document toy.
  const char* others[] = {"máy sấy nông sản", "robot hàn", "giống lúa chịu mặn",
                          "lò hơi sinh khối", "cảm biến IoT ao tôm"};
  for (uint64_t id = 10; id < 40; ++id) {
    m.UpsertOffer(Offer(id, std::string(others[id % 5]) + " hệ thống " +
                                std::to_string(id)));
  }
  NeedDoc need = Need(9, "hệ thống xử lý nước thải chế biến thủy sản");
  need.min_trl = 7;
  need.budget_max = 2'500'000'000;
  auto result = m.OffersForNeed(need, Options());
  ASSERT_GE(result.hits.size(), 2u);
  EXPECT_EQ(result.hits[0].id, 2u);
  EXPECT_EQ(result.hits[1].id, 1u);
  EXPECT_NE(std::find(result.hits[1].flags.begin(), result.hits[1].flags.end(),
                      "OVER_BUDGET"),
            result.hits[1].flags.end());
}

TEST(Matcher, ConfidentialNeedsAreNeverReturned) {
  Matcher m;
  NeedDoc open = Need(1, "robot hàn tự động");
  NeedDoc secret = Need(2, "robot hàn tự động");
  secret.confidential = true;
  m.UpsertNeed(open);
  m.UpsertNeed(secret);
  auto for_offer = m.NeedsForOffer(Offer(5, "robot hàn"), Options());
  ASSERT_EQ(for_offer.hits.size(), 1u);
  EXPECT_EQ(for_offer.hits[0].id, 1u);
  auto search = m.SearchNeeds("robot han", {}, Options());
  ASSERT_EQ(search.hits.size(), 1u);
  EXPECT_EQ(search.hits[0].id, 1u);
}

TEST(Matcher, SearchFiltersAndPagination) {
  Matcher m;
  for (uint64_t id = 1; id <= 25; ++id) {
    OfferDoc d = Offer(id, "máy sấy nông sản " + std::to_string(id), 1 + id % 9);
    if (id % 5 == 0) d.province = "92";
    m.UpsertOffer(d);
  }
  SearchFilters f;
  f.province = "92";
  auto by_province = m.SearchOffers("may say", f, Options());
  EXPECT_EQ(by_province.hits.size(), 5u);
  f = SearchFilters();
  f.trl_min = 8;
  for (const auto& h : m.SearchOffers("may say", f, Options()).hits) {
    EXPECT_TRUE(h.id % 9 == 7 || h.id % 9 == 8) << h.id;
  }
  MatchOptions page = Options();
  page.limit = 10;
  std::set<uint64_t> seen;
  for (size_t offset = 0; offset < 30; offset += 10) {
    page.offset = offset;
    for (const auto& h : m.SearchOffers("may say", {}, page).hits) {
      EXPECT_TRUE(seen.insert(h.id).second);
    }
  }
  EXPECT_EQ(seen.size(), 25u);
}

TEST(Matcher, DeterministicTies) {
  Matcher m;
  for (uint64_t id : {7, 3, 5}) m.UpsertOffer(Offer(id, "lò hơi sinh khối"));
  auto a = m.OffersForNeed(Need(1, "lò hơi"), Options());
  ASSERT_EQ(a.hits.size(), 3u);
  EXPECT_EQ(a.hits[0].id, 3u);
  EXPECT_EQ(a.hits[1].id, 5u);
  EXPECT_EQ(a.hits[2].id, 7u);
}

}  // namespace
}  // namespace techmatch::matching
