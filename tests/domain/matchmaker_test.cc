#include "domain/matchmaker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "tests/test_util.h"

namespace techmatch::domain {
namespace {

namespace v1 = techmatch::v1;

// Matchmaker's in-place calls as values.
absl::StatusOr<v1::SearchOffersResponse> SearchOffers(
    const Matchmaker& m, const v1::SearchRequest& request) {
  return testing::Built<v1::SearchOffersResponse>(
      [&](auto* out) { return m.SearchOffers(request, out); });
}
absl::StatusOr<v1::SearchNeedsResponse> SearchNeeds(
    const Matchmaker& m, const v1::SearchRequest& request) {
  return testing::Built<v1::SearchNeedsResponse>(
      [&](auto* out) { return m.SearchNeeds(request, out); });
}
absl::StatusOr<v1::MatchOffersForNeedResponse> OffersForNeed(
    const Matchmaker& m, const v1::MatchOffersForNeedRequest& request) {
  return testing::Built<v1::MatchOffersForNeedResponse>([&](auto* out) {
    return m.OffersForNeed(testing::Admin(), request, out);
  });
}

class MatchmakerTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    reference_ = testing::LoadReference();
    storage::CatalogOptions options;
    options.path = Path("db");
    options.sync_writes = false;
    catalog_ = *storage::Catalog::Open(options);
    audit_ = std::make_unique<AuditLog>(catalog_.get(), &clock_);
    registry_ = std::make_unique<Registry>(catalog_.get(), reference_.get(),
                                           audit_.get(), &clock_);
    matchmaker_ = std::make_unique<Matchmaker>(catalog_.get(), registry_.get(),
                                               reference_.get(), &clock_,
                                               matching::Weights());
    ASSERT_OK(matchmaker_->LoadAll(nullptr));
    registry_->AddObserver(matchmaker_.get());
    v1::CreateOrganizationRequest org;
    *org.mutable_organization() = testing::MakeOrg("Viện", v1::Organization::RESEARCH_INSTITUTE);
    owner_ = registry_->CreateOrganization(testing::Admin(), org)->name();
    *org.mutable_organization() = testing::MakeOrg("DN", v1::Organization::ENTERPRISE);
    enterprise_ = registry_->CreateOrganization(testing::Admin(), org)->name();
  }

  v1::Offer Publish(const std::string& title, int trl = 8) {
    v1::CreateOfferRequest request;
    *request.mutable_offer() = testing::MakeOffer(owner_, title);
    request.mutable_offer()->set_trl(trl);
    request.mutable_offer()->set_state(v1::PUBLISHED);
    auto offer = registry_->CreateOffer(testing::Admin(), request);
    EXPECT_TRUE(offer.ok()) << offer.status();
    return offer.ok() ? *offer : v1::Offer();
  }

  SystemClock clock_;
  std::unique_ptr<ReferenceData> reference_;
  std::unique_ptr<storage::Catalog> catalog_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<Matchmaker> matchmaker_;
  std::string owner_, enterprise_;
};

TEST_F(MatchmakerTest, CommitsReachTheIndexAndWithdrawalsLeaveIt) {
  v1::Offer offer = Publish("Máy sấy bơm nhiệt cho nông sản");
  v1::SearchRequest search;
  search.set_query("may say bom nhiet");
  auto found = SearchOffers(*matchmaker_, search);
  ASSERT_OK(found);
  ASSERT_EQ(found->results_size(), 1);
  EXPECT_EQ(found->results(0).offer().name(), offer.name());
  EXPECT_GT(found->results(0).explanation().components_size(), 0);

  v1::WithdrawRequest withdraw;
  withdraw.set_name(offer.name());
  ASSERT_OK(registry_->WithdrawOffer(testing::Admin(), withdraw));
  EXPECT_EQ(SearchOffers(*matchmaker_, search)->results_size(), 0);
}

TEST_F(MatchmakerTest, OffersForNeedEndToEnd) {
  Publish("Hệ thống xử lý nước thải thủy sản MBBR");
  Publish("Máy sấy nông sản");
  v1::CreateNeedRequest create;
  *create.mutable_need() = testing::MakeNeed(enterprise_, "Cần xử lý nước thải thủy sản");
  create.mutable_need()->set_min_trl(9);
  auto need = registry_->CreateNeed(testing::Admin(), create);
  ASSERT_OK(need);
  v1::MatchOffersForNeedRequest request;
  request.set_need(need->name());
  auto response = OffersForNeed(*matchmaker_, request);
  ASSERT_OK(response);
  ASSERT_GE(response->matches_size(), 1);
  const auto& top = response->matches(0);
  EXPECT_NE(top.offer().title().find("nước thải"), std::string::npos);
  bool near_miss = false;
  for (const auto& f : top.explanation().flags()) near_miss |= f == "NEAR_MISS_TRL";
  EXPECT_TRUE(near_miss);
  EXPECT_FALSE(response->query_terms().empty());

  request.set_need("needs/999");
  EXPECT_EQ(OffersForNeed(*matchmaker_, request).status().code(),
            absl::StatusCode::kNotFound);
  request.set_need(need->name());
  request.mutable_weights()->set_trl(-1);
  EXPECT_EQ(OffersForNeed(*matchmaker_, request).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(MatchmakerTest, LoadAllRebuildsFromTheCatalog) {
  Publish("Lò hơi sinh khối");
  Matchmaker fresh(catalog_.get(), registry_.get(), reference_.get(), &clock_,
                   matching::Weights());
  size_t offers = 0;
  ASSERT_OK(fresh.LoadAll([&](size_t o, size_t) { offers = o; }));
  EXPECT_EQ(offers, 1u);
  v1::SearchRequest search;
  search.set_query("lo hoi");
  EXPECT_EQ(SearchOffers(fresh, search)->results_size(), 1);
}

TEST_F(MatchmakerTest, LoadAllStreamsManyBatches) {
  v1::ImportOffersRequest offers;
  for (int i = 0; i < 1300; ++i) {
    *offers.add_offers() = testing::MakeOffer(owner_, "Công nghệ số " + std::to_string(i));
    offers.mutable_offers(i)->set_state(v1::PUBLISHED);
  }
  registry_->ImportOffers(testing::Admin(), offers, 0);
  v1::CreateNeedRequest need;
  *need.mutable_need() = testing::MakeNeed(enterprise_, "Cần công nghệ số 1299");
  ASSERT_OK(registry_->CreateNeed(testing::Admin(), need));
  Matchmaker fresh(catalog_.get(), registry_.get(), reference_.get(), &clock_,
                   matching::Weights());
  size_t offers_seen = 0, needs_seen = 0;
  ASSERT_OK(fresh.LoadAll([&](size_t o, size_t n) {
    offers_seen = o;
    needs_seen = n;
  }));
  EXPECT_EQ(offers_seen, 1300u);
  EXPECT_EQ(needs_seen, 1u);
  EXPECT_EQ(fresh.matcher().offer_count(), 1300u);
  v1::SearchRequest search;
  search.set_query("cong nghe so 1299");
  auto found = SearchOffers(fresh, search);
  ASSERT_OK(found);
  ASSERT_GE(found->results_size(), 1);
  EXPECT_EQ(found->results(0).offer().title(), "Công nghệ số 1299");
}

// A query never misses a committed record: every create that returned is
// found by the searches that start after it, while other threads keep
// writing and searching.
TEST_F(MatchmakerTest, QueriesRunConcurrentlyWithWrites) {
  std::atomic<bool> stop{false};
  std::atomic<int> committed{0};
  std::atomic<int> missed{0};
  std::thread writer([&] {
    for (int i = 0; i < 150; ++i) {
      Publish("Thiết bị mã" + std::to_string(i) + " quan trắc môi trường");
      committed = i + 1;
    }
    stop = true;
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!stop) {
        int done = committed.load();
        if (done == 0) continue;
        v1::SearchRequest search;
        search.set_query("ma" + std::to_string(done - 1));
        auto found = SearchOffers(*matchmaker_, search);
        if (!found.ok() || found->results_size() == 0) ++missed;
      }
    });
  }
  writer.join();
  for (auto& t : readers) t.join();
  EXPECT_EQ(missed.load(), 0);
  EXPECT_EQ(matchmaker_->matcher().offer_count(), 150u);
}

// The search results (names and scores) and the matches of `need` that
// `m` gives, as text.
std::string Answers(const Matchmaker& m, const std::string& need) {
  std::string out;
  for (const char* query :
       {"lo hoi sinh khoi", "máy sấy", "tưới nhỏ giọt IoT", "nước thải"}) {
    v1::SearchRequest search;
    search.set_query(query);
    auto found = SearchOffers(m, search);
    if (!found.ok()) return found.status().ToString();
    for (const auto& r : found->results()) {
      out += r.offer().name() + " " + std::to_string(r.score()) + "\n";
    }
    auto needs = SearchNeeds(m, search);
    if (!needs.ok()) return needs.status().ToString();
    for (const auto& r : needs->results()) {
      out += r.need().name() + " " + std::to_string(r.score()) + "\n";
    }
    out += "--\n";
  }
  v1::MatchOffersForNeedRequest request;
  request.set_need(need);
  auto matches = OffersForNeed(m, request);
  if (!matches.ok()) return matches.status().ToString();
  for (const auto& r : matches->matches()) {
    out += r.offer().name() + " " + std::to_string(r.score()) + "\n";
  }
  return out;
}

// The fingerprint that decides whether a snapshot fits this program is the
// matcher's own saved form of sample records: the same for every instance
// (so a new build that indexes alike reads the old build's snapshots), and
// made of the analysis (accented and folded syllables alike).
TEST_F(MatchmakerTest, IndexFingerprintIsTheSavedFormOfSampleRecords) {
  Matchmaker other(catalog_.get(), registry_.get(), reference_.get(), &clock_,
                   matching::Weights());
  const std::string fingerprint = matchmaker_->IndexFingerprint();
  EXPECT_EQ(other.IndexFingerprint(), fingerprint);
  EXPECT_GT(fingerprint.size(), 1000u);
  for (const char* syllable : {"sấy", "say", "hòa", "hoa", "haccp", "500kg"}) {
    EXPECT_NE(fingerprint.find(syllable), std::string::npos) << syllable;
  }
}

// A restart reads the snapshot, re-reads what changed after it, and answers
// exactly as a full rebuild would; a snapshot of a build that indexes
// differently (another fingerprint), a damaged one or one of another
// database's history is not used.
TEST_F(MatchmakerTest, StartsFromASnapshotAndCatchesUpWithLaterCommits) {
  v1::Offer boiler = Publish("Lò hơi sinh khối trấu");
  Publish("Máy sấy bơm nhiệt nông sản");
  Publish("Hệ thống xử lý nước thải thủy sản");
  v1::CreateNeedRequest create;
  *create.mutable_need() =
      testing::MakeNeed(enterprise_, "Cần máy sấy và lò hơi cho nông sản");
  auto need = registry_->CreateNeed(testing::Admin(), create);
  ASSERT_OK(need);
  const IndexSnapshotOptions snapshot{Path("index.snapshot"), "build-1"};
  auto saved = matchmaker_->SaveSnapshot(snapshot);
  ASSERT_OK(saved);
  EXPECT_GT(*saved, 100u);
  EXPECT_EQ(matchmaker_->SaveSnapshot({"", "build-1"}).status().code(),
            absl::StatusCode::kFailedPrecondition);

  // After the snapshot: a withdrawal, a new offer, a new need.
  v1::WithdrawRequest withdraw;
  withdraw.set_name(boiler.name());
  ASSERT_OK(registry_->WithdrawOffer(testing::Admin(), withdraw));
  Publish("Hệ thống tưới nhỏ giọt IoT cho cây ăn trái");
  *create.mutable_need() =
      testing::MakeNeed(enterprise_, "Cần tưới nhỏ giọt tự động IoT");
  ASSERT_OK(registry_->CreateNeed(testing::Admin(), create));

  // The server that ran on holds the same index as one restarted from the
  // snapshot (tombstones included, which a full rebuild would not have).
  const std::string expected = Answers(*matchmaker_, need->name());
  Matchmaker rebuilt(catalog_.get(), registry_.get(), reference_.get(), &clock_,
                     matching::Weights());
  ASSERT_OK(rebuilt.LoadAll(nullptr));
  const std::string expected_rebuilt = Answers(rebuilt, need->name());
  EXPECT_NE(expected.find(need->name().empty() ? "?" : "offers/"),
            std::string::npos);
  EXPECT_EQ(expected.find(boiler.name() + " "), std::string::npos);

  Matchmaker restarted(catalog_.get(), registry_.get(), reference_.get(),
                       &clock_, matching::Weights());
  auto report = restarted.Start(snapshot, nullptr);
  ASSERT_OK(report);
  EXPECT_TRUE(report->from_snapshot) << report->snapshot_skipped;
  EXPECT_GE(report->changes_after, 3u);
  EXPECT_EQ(report->records_reread, 3u);  // the boiler, the new offer and need
  EXPECT_EQ(report->offers, 4u);
  EXPECT_EQ(report->needs, 2u);
  EXPECT_EQ(Answers(restarted, need->name()), expected);

  // Its own snapshot starts where it caught up.
  ASSERT_OK(restarted.SaveSnapshot(snapshot));
  Matchmaker again(catalog_.get(), registry_.get(), reference_.get(), &clock_,
                   matching::Weights());
  report = again.Start(snapshot, nullptr);
  ASSERT_OK(report);
  EXPECT_TRUE(report->from_snapshot);
  EXPECT_EQ(report->changes_after, 0u);
  EXPECT_EQ(Answers(again, need->name()), expected);

  auto rejected = [&](const IndexSnapshotOptions& options,
                      const storage::Catalog* catalog) {
    Matchmaker m(catalog, registry_.get(), reference_.get(), &clock_,
                 matching::Weights());
    auto r = m.Start(options, nullptr);
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return std::string("error");
    EXPECT_FALSE(r->from_snapshot);
    if (catalog == catalog_.get()) {
      EXPECT_EQ(Answers(m, need->name()), expected_rebuilt);  // rebuilt instead
    }
    return r->snapshot_skipped;
  };
  EXPECT_NE(rejected({snapshot.path, "build-2"}, catalog_.get())
                .find("indexes differently"),
            std::string::npos);
  EXPECT_EQ(rejected({Path("none.snapshot"), "build-1"}, catalog_.get()),
            "no snapshot");
  EXPECT_EQ(rejected({snapshot.path, ""}, catalog_.get()), "snapshots are off");

  // Another database: shorter history, or as long but different.
  storage::CatalogOptions other_options;
  other_options.path = Path("other");
  other_options.sync_writes = false;
  auto other = storage::Catalog::Open(other_options);
  ASSERT_OK(other);
  EXPECT_NE(rejected(snapshot, other->get()).find("past the catalog"),
            std::string::npos);
  AuditLog other_audit(other->get(), &clock_);
  Registry other_registry(other->get(), reference_.get(), &other_audit,
                          &clock_);
  while ((*other)->last_sequence() < catalog_->last_sequence()) {
    v1::CreateOrganizationRequest org;
    *org.mutable_organization() =
        testing::MakeOrg("Khác", v1::Organization::ENTERPRISE);
    ASSERT_OK(other_registry.CreateOrganization(testing::Admin(), org));
  }
  EXPECT_NE(rejected(snapshot, other->get()).find("another history"),
            std::string::npos);

  // A damaged snapshot.
  {
    std::fstream file(snapshot.path,
                      std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(*saved / 2));
    file.put('\x7f');
  }
  EXPECT_NE(rejected(snapshot, catalog_.get()).find("snapshot"),
            std::string::npos);

  // Too far behind: more changes since it than `catch_up_always` and than
  // a quarter of the records it holds (6 here).
  IndexSnapshotOptions behind{Path("behind.snapshot"), "build-1", 0};
  ASSERT_OK(restarted.SaveSnapshot(behind));
  for (const char* title :
       {"Thiết bị quan trắc không khí", "Giống lúa chịu mặn",
        "Phân bón vi sinh", "Pin mặt trời áp mái"}) {
    Publish(title);
  }
  auto start = [&](const IndexSnapshotOptions& options) {
    Matchmaker m(catalog_.get(), registry_.get(), reference_.get(), &clock_,
                 matching::Weights());
    auto r = m.Start(options, nullptr);
    EXPECT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(m.matcher().offer_count(), 8u);
    return r.ok() ? *r : LoadReport();
  };
  LoadReport report_behind = start(behind);
  EXPECT_FALSE(report_behind.from_snapshot);
  EXPECT_NE(report_behind.snapshot_skipped.find("a full rebuild is faster"),
            std::string::npos)
      << report_behind.snapshot_skipped;
  behind.catch_up_always = 4;
  report_behind = start(behind);
  EXPECT_TRUE(report_behind.from_snapshot) << report_behind.snapshot_skipped;
  EXPECT_EQ(report_behind.records_reread, 4u);
}

// Snapshots taken while commits go on: each holds at least the changes up
// to the sequence it records, so a start from any of them, caught up, has
// every committed offer.
TEST_F(MatchmakerTest, SnapshotsTakenDuringWritesCatchUpToEveryCommit) {
  constexpr int kOffers = 120;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < kOffers; ++i) {
      Publish("Thiết bị mã" + std::to_string(i) + " quan trắc môi trường");
    }
    done = true;
  });
  std::vector<std::string> paths;
  while (!done || paths.empty()) {
    const std::string path = Path("during" + std::to_string(paths.size()));
    ASSERT_OK(matchmaker_->SaveSnapshot({path, "build-1"}));
    paths.push_back(path);
    if (paths.size() == 6) break;
  }
  writer.join();
  for (const std::string& path : paths) {
    Matchmaker restarted(catalog_.get(), registry_.get(), reference_.get(),
                         &clock_, matching::Weights());
    auto report = restarted.Start({path, "build-1"}, nullptr);
    ASSERT_OK(report);
    EXPECT_TRUE(report->from_snapshot) << report->snapshot_skipped;
    EXPECT_EQ(restarted.matcher().offer_count(), static_cast<size_t>(kOffers));
    for (int i = 0; i < kOffers; i += 7) {
      v1::SearchRequest search;
      search.set_query("ma" + std::to_string(i));
      auto found = SearchOffers(restarted, search);
      ASSERT_OK(found);
      ASSERT_GE(found->results_size(), 1) << path << " misses offer " << i;
      EXPECT_NE(found->results(0).offer().title().find("mã" +
                                                       std::to_string(i) + " "),
                std::string::npos);
    }
  }
}

// The candidate pool bounds how deep a ranking goes: with a pool of 10 the
// first page of 10 is all there is; with the default pool the rest of the
// 30 matching offers follow on the next page.
TEST_F(MatchmakerTest, CandidatePoolBoundsTheRanking) {
  for (int i = 0; i < 30; ++i) {
    Publish("Máy sấy nông sản kiểu " + std::to_string(i));
  }
  v1::SearchRequest search;
  search.set_query("may say nong san");
  search.set_page_size(10);
  auto deep = SearchOffers(*matchmaker_, search);
  ASSERT_OK(deep);
  EXPECT_EQ(deep->results_size(), 10);
  EXPECT_FALSE(deep->next_page_token().empty());

  Matchmaker shallow(catalog_.get(), registry_.get(), reference_.get(), &clock_,
                     matching::Weights(), 10);
  ASSERT_OK(shallow.LoadAll(nullptr));
  auto first = SearchOffers(shallow, search);
  ASSERT_OK(first);
  EXPECT_EQ(first->results_size(), 10);
  EXPECT_TRUE(first->next_page_token().empty());
}
}  // namespace
}  // namespace techmatch::domain

namespace techmatch::domain {
namespace {

// Issue 20, item 2: a need toggled between PUBLIC and CONFIDENTIAL (its
// description "SECRET-n" while confidential) while other threads search
// needs and match needs for an offer as an unrelated organisation: no
// answer may hold it while confidential, whatever the timing between the
// commit and the index update.
TEST_F(MatchmakerTest, AConfidentialNeedNeverLeaksWhileItsVisibilityChanges) {
  v1::Offer offer = Publish("Xử lý nước thải chế biến thủy sản bằng MBBR");
  v1::CreateNeedRequest create;
  *create.mutable_need() =
      testing::MakeNeed(enterprise_, "Xử lý nước thải chế biến thủy sản");
  create.mutable_need()->set_description("PUBLIC-0 xử lý nước thải thủy sản");
  create.mutable_need()->set_state(v1::PUBLISHED);
  auto need = registry_->CreateNeed(testing::Admin(), create);
  ASSERT_OK(need);
  Caller stranger;
  stranger.principal.key = "apiKeys/stranger";
  stranger.principal.organization = owner_;
  stranger.principal.role = v1::READ_ONLY;

  {  // single-threaded sanity: a confidential need is not found
    v1::UpdateNeedRequest update;
    update.mutable_need()->set_name(need->name());
    update.mutable_need()->set_confidentiality(v1::CONFIDENTIAL);
    update.mutable_update_mask()->add_paths("confidentiality");
    ASSERT_OK(registry_->UpdateNeed(testing::Admin(), update));
    v1::SearchRequest search;
    search.set_query("xu ly nuoc thai thuy san");
    auto found = SearchNeeds(*matchmaker_, search);
    ASSERT_OK(found);
    for (const auto& m : found->results())
      ADD_FAILURE() << "search found " << m.need().name() << " " << v1::Confidentiality_Name(m.need().confidentiality());
    v1::MatchNeedsForOfferRequest request;
    request.set_offer(offer.name());
    auto matched = testing::Built<v1::MatchNeedsForOfferResponse>(
        [&](auto* out) { return matchmaker_->NeedsForOffer(stranger, request, out); });
    ASSERT_OK(matched);
    for (const auto& m : matched->matches())
      ADD_FAILURE() << "match found " << m.need().name();
  }
  std::atomic<bool> done{false};
  std::atomic<int> leaks{0}, answers{0};
  auto check = [&](const v1::Need& n) {
    ++answers;
    if (n.confidentiality() == v1::CONFIDENTIAL ||
        n.description().rfind("SECRET", 0) == 0) {
      ++leaks;
    }
  };
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&, r] {
      while (!done.load()) {
        if (r == 0) {
          v1::SearchRequest search;
          search.set_query("xu ly nuoc thai thuy san");
          auto found = SearchNeeds(*matchmaker_, search);
          if (found.ok()) {
            for (const auto& m : found->results()) check(m.need());
          }
        } else {
          v1::MatchNeedsForOfferRequest request;
          request.set_offer(offer.name());
          auto found = testing::Built<v1::MatchNeedsForOfferResponse>(
              [&](auto* out) {
                return matchmaker_->NeedsForOffer(stranger, request, out);
              });
          if (found.ok()) {
            for (const auto& m : found->matches()) check(m.need());
          }
        }
      }
    });
  }
  for (int i = 1; i <= 300; ++i) {
    for (bool secret : {true, false}) {
      v1::UpdateNeedRequest update;
      update.mutable_need()->set_name(need->name());
      update.mutable_need()->set_confidentiality(secret ? v1::CONFIDENTIAL
                                                        : v1::PUBLIC);
      update.mutable_need()->set_description(
          (secret ? "SECRET-" : "PUBLIC-") + std::to_string(i) +
          " xử lý nước thải thủy sản");
      update.mutable_update_mask()->add_paths("confidentiality");
      update.mutable_update_mask()->add_paths("description");
      ASSERT_OK(registry_->UpdateNeed(testing::Admin(), update));
    }
  }
  done = true;
  for (std::thread& t : readers) t.join();
  EXPECT_GT(answers.load(), 0);
  EXPECT_EQ(leaks.load(), 0) << "of " << answers.load() << " answers";
}

}  // namespace
}  // namespace techmatch::domain

namespace techmatch::domain {
namespace {

// Issue 20, item 9: page tokens are parsed strictly ("o 5" and "o+5" were
// taken as "o5"), and an unknown sector code echoed in the error is cut by
// character, so the message stays valid UTF-8.
TEST_F(MatchmakerTest, PageTokensParseStrictlyAndEchoesCutByCharacter) {
  for (int i = 0; i < 12; ++i)
    Publish("Máy sấy nông sản kiểu " + std::to_string(i));
  v1::SearchRequest search;
  search.set_query("may say nong san");
  search.set_page_size(5);
  auto first = SearchOffers(*matchmaker_, search);
  ASSERT_OK(first);
  ASSERT_EQ(first->next_page_token(), "o5");
  for (const char* bad : {"o 5", "o+5", "o5 ", "o-5", "o", "5"}) {
    search.set_page_token(bad);
    EXPECT_EQ(SearchOffers(*matchmaker_, search).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
  search.set_page_token("o5");
  ASSERT_OK(SearchOffers(*matchmaker_, search));

  search.clear_page_token();
  // 39 ASCII bytes, then a 3-byte letter across the 40-byte cut.
  search.mutable_filter()->set_sector_code(std::string(39, '9') + "ấấ");
  const absl::Status status = SearchOffers(*matchmaker_, search).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("\"" + std::string(39, '9') + "\""),
            std::string::npos)
      << status.message();
}

}  // namespace
}  // namespace techmatch::domain
