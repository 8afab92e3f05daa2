// The absolute score (matching/relevance.h): symmetric, stable, the same on
// every page, labelled, with synonym and glossary matches explained, broken
// constraints ranked after fitting answers, and calibrated on the
// repository's evaluation set.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "matching/matcher.h"
#include "tests/matching/repository_lexicon.h"

namespace techmatch::matching {
namespace {

using testing::JudgedSet;
using testing::LoadJudgedSet;
using testing::RepositoryLexicon;

MatchOptions Everything() {
  MatchOptions o;
  o.limit = 1000;
  o.candidate_pool = 1000;
  o.include_confidential = true;
  return o;
}

class RelevanceTest : public ::testing::Test {
 protected:
  RelevanceTest() : matcher_(Bm25fParams{}, RepositoryLexicon()) {}

  // The evaluation set, offers and needs indexed.
  JudgedSet LoadEval() {
    JudgedSet set = LoadJudgedSet("data/eval");
    for (const OfferDoc& o : set.offers) matcher_.UpsertOffer(o);
    for (const NeedDoc& n : set.needs) matcher_.UpsertNeed(n);
    return set;
  }

  OfferDoc Offer(uint64_t id, const std::string& title, const std::string& body,
                 int trl = 8, int64_t price_min = 0, int64_t price_max = 0) {
    OfferDoc d;
    d.id = id;
    d.text = {title, "", body};
    d.trl = trl;
    d.price_min = price_min;
    d.price_max = price_max;
    d.published = true;
    return d;
  }

  NeedDoc Need(uint64_t id, const std::string& title, const std::string& body) {
    NeedDoc d;
    d.id = id;
    d.text = {title, "", body};
    d.published = true;
    return d;
  }

  Matcher matcher_;
};

// A pair's score is the same from the need's side and from the offer's,
// to the bit, for every pair either side finds.
TEST_F(RelevanceTest, ScoresAreSymmetric) {
  JudgedSet set = LoadEval();
  std::map<std::pair<uint64_t, uint64_t>, double> need_side;
  for (const NeedDoc& need : set.needs) {
    for (const MatchHit& h : matcher_.OffersForNeed(need, Everything()).hits)
      need_side[{need.id, h.id}] = h.score;
  }
  size_t compared = 0;
  for (const OfferDoc& offer : set.offers) {
    for (const MatchHit& h : matcher_.NeedsForOffer(offer, Everything()).hits) {
      auto it = need_side.find({h.id, offer.id});
      double expected = 0;
      if (it != need_side.end()) {
        expected = it->second;
      } else {
        // Not retrieved from the need's side: the pair's own score.
        auto pair =
            matcher_.ExplainPair(set.needs[h.id - 1], offer.id, Everything());
        ASSERT_TRUE(pair.has_value());
        expected = pair->score;
      }
      EXPECT_EQ(h.score, expected)
          << set.need_keys[h.id - 1] << " x " << set.offer_keys[offer.id - 1];
      ++compared;
    }
  }
  EXPECT_GT(compared, 100u);
}

// Adding an offer about something else moves the existing pairs' scores by
// less than 0.01 (only the collection's statistics change), even in this
// small collection.
TEST_F(RelevanceTest, ScoresAreStableUnderUnrelatedInserts) {
  JudgedSet set = LoadEval();
  std::map<std::pair<uint64_t, uint64_t>, double> before;
  for (const auto& [pair, grade] : set.grade) {
    before[pair] =
        matcher_
            .ExplainPair(set.needs[pair.first - 1], pair.second, Everything())
            ->score;
  }
  matcher_.UpsertOffer(
      Offer(1000, "Phần mềm kế toán cho trường học",
            "Quản lý học phí, lương giáo viên và báo cáo tài chính."));
  for (const auto& [pair, score] : before) {
    const double after =
        matcher_
            .ExplainPair(set.needs[pair.first - 1], pair.second, Everything())
            ->score;
    EXPECT_NEAR(after, score, 0.01) << set.need_keys[pair.first - 1] << " x "
                                    << set.offer_keys[pair.second - 1];
  }
}

// Page 2 shows the same scores a deeper page 1 shows, and each equals the
// pair's own score: nothing is relative to the other candidates.
TEST_F(RelevanceTest, TheSameScoreOnEveryPage) {
  JudgedSet set = LoadEval();
  const NeedDoc& need = set.needs[0];
  MatchOptions six = Everything();
  six.limit = 6;
  MatchResult all = matcher_.OffersForNeed(need, six);
  ASSERT_EQ(all.hits.size(), 6u);
  MatchOptions second = six;
  second.offset = 3;
  second.limit = 3;
  MatchResult page = matcher_.OffersForNeed(need, second);
  ASSERT_EQ(page.hits.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(page.hits[i].id, all.hits[i + 3].id);
    EXPECT_EQ(page.hits[i].score, all.hits[i + 3].score);
  }
  for (const MatchHit& h : all.hits) {
    EXPECT_EQ(matcher_.ExplainPair(need, h.id, Everything())->score, h.score);
  }
}

// Labels read the score; a need nobody answers says so.
TEST_F(RelevanceTest, LabelsFollowTheScoreAndNoAnswerIsSaid) {
  JudgedSet set = LoadEval();
  const RelevanceParams& p = matcher_.relevance();
  for (const NeedDoc& need : set.needs) {
    MatchResult r = matcher_.OffersForNeed(need, Everything());
    for (const MatchHit& h : r.hits) EXPECT_EQ(h.label, LabelOf(h.score, p));
    if (!r.hits.empty()) {
      EXPECT_EQ(r.best, LabelOf(r.hits[0].score, p));
      EXPECT_EQ(r.best_score, r.hits[0].score);
    }
  }
  EXPECT_EQ(LabelOf(p.strong, p), Label::kStrong);
  EXPECT_EQ(LabelOf(p.possible, p), Label::kPossible);
  EXPECT_EQ(LabelOf(p.possible - 1e-9, p), Label::kWeak);
  MatchResult cordyceps = matcher_.OffersForNeed(
      Need(99, "Cần công nghệ nuôi trồng đông trùng hạ thảo quy mô công nghiệp",
           "Sản xuất đông trùng hạ thảo trong phòng sạch."),
      Everything());
  EXPECT_EQ(cordyceps.best, Label::kWeak) << cordyceps.best_score;
}

// A synonym or a glossary term covers the concept it stands for, said so in
// the explanation, each concept once.
TEST_F(RelevanceTest, SynonymsAndGlossaryAreExplained) {
  matcher_.UpsertOffer(
      Offer(1, "Hệ thống quan trắc môi trường ao nuôi tôm",
            "Quan trắc oxy hòa tan và độ pH trong ao nuôi tôm."));
  matcher_.UpsertOffer(
      Offer(2, "Xử lý nước thải chế biến thủy sản",
            "Hệ thống xử lý nước thải cho nhà máy chế biến thủy sản."));
  matcher_.UpsertOffer(Offer(3, "Máy sấy nông sản", "Sấy trái cây, rau củ."));
  MatchOptions options = Everything();
  auto via = [&](const NeedDoc& need, uint64_t offer) {
    std::map<std::string, std::pair<std::string, std::string>> out;
    auto hit = matcher_.ExplainPair(need, offer, options);
    EXPECT_TRUE(hit.has_value());
    if (!hit) return out;
    for (const TermShare& t : hit->top_terms) {
      EXPECT_TRUE(out.emplace(t.term, std::pair{t.via, t.matched}).second)
          << "twice: " << t.term;
    }
    return out;
  };
  auto monitoring = via(Need(1, "Cần thiết bị giám sát ao nuôi tôm", ""), 1);
  ASSERT_TRUE(monitoring.count("giám sát"));
  EXPECT_EQ(monitoring["giám sát"],
            (std::pair<std::string, std::string>{"synonym", "quan trắc"}));
  auto english = via(
      Need(2, "Wastewater treatment for a seafood processing plant", ""), 2);
  ASSERT_TRUE(english.count("wastewater treatment")) << english.size();
  EXPECT_EQ(english["wastewater treatment"].first, "glossary");
  EXPECT_EQ(english["wastewater treatment"].second, "xử lý nước thải");
  // Typed without diacritics, the same concepts.
  auto plain = via(Need(3, "can thiet bi giam sat ao nuoi tom", ""), 1);
  EXPECT_TRUE(plain.count("giam sat"));
  EXPECT_EQ(plain["giam sat"].first, "synonym");
}

// An offer that meets the need's TRL minimum and budget ranks above one
// that breaks them when both answer the need; the breaker follows, flagged
// and labelled POSSIBLE at best.
TEST_F(RelevanceTest, ConstraintsDecideBetweenAnswers) {
  NeedDoc need = Need(1, "Cần thiết bị đo độ mặn nước tưới cầm tay",
                      "Đo độ mặn nước tưới cho nông dân vùng ven biển.");
  need.min_trl = 8;
  need.budget_max = 50'000'000;
  // A near copy of the need, one TRL level short and over budget...
  matcher_.UpsertOffer(Offer(1, "Thiết bị đo độ mặn nước tưới cầm tay",
                             "Đo độ mặn nước tưới cho nông dân vùng ven biển.",
                             7, 60'000'000, 90'000'000));
  // ...and a paraphrase that fits.
  matcher_.UpsertOffer(Offer(2, "Máy đo độ mặn điện tử cho nông dân",
                             "Thiết bị cầm tay đo độ mặn của nước ruộng và ao.",
                             9, 2'000'000, 5'000'000));
  matcher_.UpsertOffer(Offer(3, "Máy bơm nước", "Bơm nước tưới ruộng."));
  MatchResult r = matcher_.OffersForNeed(need, Everything());
  ASSERT_GE(r.hits.size(), 2u);
  EXPECT_EQ(r.hits[0].id, 2u);
  EXPECT_EQ(r.hits[0].label, Label::kStrong);
  EXPECT_EQ(r.hits[1].id, 1u);
  EXPECT_NE(r.hits[1].label, Label::kStrong);
  EXPECT_GT(r.hits[1].relevance, r.hits[0].relevance);  // the nearer text
  const auto& flags = r.hits[1].flags;
  EXPECT_NE(std::find(flags.begin(), flags.end(), "NEAR_MISS_TRL"),
            flags.end());
  EXPECT_NE(std::find(flags.begin(), flags.end(), "OVER_BUDGET"), flags.end());
}

// On the repository's own evaluation set (technologies the shared sample
// does not have): at the STRONG threshold (the default alert threshold),
// at least 90% of pairs are relevant and 90% of grade-2 pairs reach it; no
// need without an answer reaches it; the best offer is a grade-2 one.
TEST_F(RelevanceTest, CalibratedOnTheEvaluationSet) {
  JudgedSet set = LoadEval();
  const double threshold = matcher_.relevance().strong;
  int above = 0, relevant = 0, grade2 = 0, grade2_found = 0, top_right = 0,
      answerable = 0;
  for (const auto& [pair, g] : set.grade) grade2 += g == 2;
  for (const NeedDoc& need : set.needs) {
    MatchResult r = matcher_.OffersForNeed(need, Everything());
    bool any = false;
    for (const auto& [pair, g] : set.grade) any = any || pair.first == need.id;
    if (!any) {
      EXPECT_LT(r.best_score, threshold) << set.need_keys[need.id - 1];
      continue;
    }
    ++answerable;
    if (!r.hits.empty() && set.grade.count({need.id, r.hits[0].id}) &&
        set.grade.at({need.id, r.hits[0].id}) == 2)
      ++top_right;
    for (const MatchHit& h : r.hits) {
      if (h.score < threshold) continue;
      ++above;
      auto it = set.grade.find({need.id, h.id});
      relevant += it != set.grade.end();
      grade2_found += it != set.grade.end() && it->second == 2;
    }
  }
  ASSERT_GT(above, 0);
  EXPECT_GE(static_cast<double>(relevant) / above, 0.9);
  EXPECT_GE(static_cast<double>(grade2_found) / grade2, 0.9);
  EXPECT_EQ(top_right, answerable);
}

}  // namespace
}  // namespace techmatch::matching
