#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <tuple>

#include "domain/alert_box.h"
#include "domain/alert_engine.h"
#include "google/protobuf/util/json_util.h"
#include "tests/domain/domain_stack.h"
#include "tests/test_util.h"

namespace techmatch::domain {
namespace {

namespace v1 = techmatch::v1;

class AlertsTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    Open();
    centre_ = Org("Trung tâm Vĩnh Long", v1::Organization::REGIONAL_CENTRE, "");
    exchange_ = Org("Sàn công nghệ", v1::Organization::NATIONAL_EXCHANGE, "");
    enterprise_ =
        Org("Công ty thủy sản", v1::Organization::ENTERPRISE, centre_);
    owner_ = Org("Viện", v1::Organization::RESEARCH_INSTITUTE, exchange_);
  }

  void Open(const std::string& db = "db", double threshold = 0.5) {
    engine_.reset();
    box_.reset();
    stack_.Open(Path(db), /*sync_writes=*/true);
    AlertOptions options_alerts;
    options_alerts.default_threshold = threshold;
    engine_ = std::make_unique<AlertEngine>(
        stack_.catalog(), stack_.matchmaker(), &clock_, options_alerts);
    box_ = std::make_unique<AlertBox>(stack_.catalog());
  }

  std::string Org(const std::string& name, v1::Organization::Kind kind,
                  const std::string& parent) {
    return stack_.Org(name, kind, parent);
  }
  std::string Need(const std::string& title, bool confidential) {
    v1::CreateNeedRequest request;
    *request.mutable_need() = testing::MakeNeed(enterprise_, title);
    request.mutable_need()->set_centre(centre_);
    request.mutable_need()->add_sector_codes("207");
    request.mutable_need()->set_state(v1::PUBLISHED);
    if (confidential)
      request.mutable_need()->set_confidentiality(v1::CONFIDENTIAL);
    return stack_.registry()->CreateNeed(testing::Admin(), request)->name();
  }
  std::string Offer(const std::string& title) {
    v1::CreateOfferRequest request;
    *request.mutable_offer() = testing::MakeOffer(owner_, title);
    request.mutable_offer()->set_state(v1::PUBLISHED);
    return stack_.registry()->CreateOffer(testing::Admin(), request)->name();
  }
  Caller As(const std::string& org) {
    Caller caller;
    caller.principal.key = "apiKeys/of-" + org;
    caller.principal.organization = org;
    caller.principal.role = v1::READ_ONLY;
    return caller;
  }
  // Runs the engine until it has processed every change.
  int Drain() {
    int raised = 0;
    for (;;) {
      auto n = engine_->RunOnce();
      EXPECT_OK(n);
      if (!n.ok()) return raised;
      raised += *n;
      if (stack_.catalog()->GetCounter(AlertEngine::kCursor).value_or(0) >=
          stack_.catalog()->last_sequence()) {
        return raised;
      }
    }
  }
  std::vector<v1::Alert> All() {
    std::vector<v1::Alert> out;
    EXPECT_OK(stack_.catalog()->ScanAlerts(0, 0, [&](const v1::Alert& a) {
      out.push_back(a);
      return true;
    }));
    return out;
  }

  SystemClock clock_;
  testing::DomainStack stack_{&clock_};
  std::unique_ptr<AlertEngine> engine_;
  std::unique_ptr<AlertBox> box_;
  std::string centre_, exchange_, enterprise_, owner_;
};

TEST_F(AlertsTest, EachPairIsAlertedOncePerSideEvenAcrossARestart) {
  std::string need =
      Need("Xử lý nước thải chế biến thủy sản 500 m3 mỗi ngày", false);
  std::string offer =
      Offer("Xử lý nước thải chế biến thủy sản bằng công nghệ MBBR");
  Drain();
  std::vector<v1::Alert> alerts = All();
  ASSERT_EQ(alerts.size(), 2u);
  int to_centre = 0, to_exchange = 0;
  for (const auto& a : alerts) {
    EXPECT_EQ(a.need(), need);
    EXPECT_EQ(a.offer(), offer);
    EXPECT_GE(a.score(), a.threshold());
    if (a.kind() == v1::Alert::OFFER_FOR_NEED) {
      EXPECT_EQ(a.recipient(), centre_);
      ++to_centre;
    } else {
      EXPECT_EQ(a.recipient(), exchange_);
      ++to_exchange;
    }
  }
  EXPECT_EQ(to_centre, 1);
  EXPECT_EQ(to_exchange, 1);

  // Changing the offer again raises nothing new.
  v1::UpdateOfferRequest update;
  update.mutable_offer()->set_name(offer);
  update.mutable_offer()->set_summary("Hiệu suất cao, chi phí thấp");
  ASSERT_OK(stack_.registry()->UpdateOffer(testing::Admin(), update));
  EXPECT_EQ(Drain(), 0);

  // Nor does a restart that replays the log from the start of the index.
  Open();
  ASSERT_OK(stack_.catalog()->SetCounter(AlertEngine::kCursor,
                                         0));  // as if the cursor were lost
  EXPECT_EQ(Drain(), 0);
  EXPECT_EQ(All().size(), 2u);

  // A new matching offer is a new pair.
  Offer("Hệ thống xử lý nước thải thủy sản tuần hoàn");
  EXPECT_GE(Drain(), 1);
  EXPECT_GT(All().size(), 2u);
}

TEST_F(AlertsTest, AConfidentialNeedIsAlertedToItsSideOnly) {
  std::string secret = Need("Xử lý nước thải chế biến thủy sản bí mật", true);
  Offer("Xử lý nước thải chế biến thủy sản bằng công nghệ MBBR");
  Drain();
  std::vector<v1::Alert> alerts = All();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].kind(), v1::Alert::OFFER_FOR_NEED);
  EXPECT_EQ(alerts[0].recipient(), centre_);
  EXPECT_EQ(alerts[0].need(), secret);
}

TEST_F(AlertsTest, AHighThresholdIsRespected) {
  v1::CreateNeedRequest request;
  *request.mutable_need() =
      testing::MakeNeed(enterprise_, "Xử lý nước thải thủy sản");
  request.mutable_need()->set_centre(centre_);
  request.mutable_need()->set_state(v1::PUBLISHED);
  request.mutable_need()->set_alert_threshold(0.999);
  ASSERT_OK(stack_.registry()->CreateNeed(testing::Admin(), request));
  Offer("Máy sấy nông sản");  // a poor match
  Drain();
  for (const auto& a : All()) EXPECT_NE(a.kind(), v1::Alert::OFFER_FOR_NEED);
  request.mutable_need()->set_alert_threshold(1.5);
  EXPECT_EQ(
      stack_.registry()->CreateNeed(testing::Admin(), request).status().code(),
      absl::StatusCode::kInvalidArgument);
}

TEST_F(AlertsTest, WatchResumesAndPullDigestsSinceTheLastPull) {
  Need("Xử lý nước thải chế biến thủy sản 500 m3 mỗi ngày", false);
  Offer("Xử lý nước thải chế biến thủy sản bằng công nghệ MBBR");
  Offer("Xử lý nước thải thủy sản tuần hoàn cho nhà máy");
  Drain();
  Caller centre = As(centre_);
  std::vector<uint64_t> seen;
  ASSERT_OK(box_->Watch(
      centre, 0, false,
      [&](const v1::Alert& a) {
        EXPECT_EQ(a.recipient(), centre_);
        seen.push_back(a.sequence());
        return true;
      },
      [] { return false; }));
  ASSERT_GE(seen.size(), 2u);
  // Resume after the first: the rest, none missed.
  std::vector<uint64_t> rest;
  ASSERT_OK(box_->Watch(
      centre, seen[0], false,
      [&](const v1::Alert& a) {
        rest.push_back(a.sequence());
        return true;
      },
      [] { return false; }));
  EXPECT_EQ(rest, std::vector<uint64_t>(seen.begin() + 1, seen.end()));
  // Another organisation sees none of the centre's alerts.
  int others = 0;
  ASSERT_OK(box_->Watch(
      As(enterprise_), 0, false,
      [&](const v1::Alert&) { return ++others, true; }, [] { return false; }));
  EXPECT_EQ(others, 0);

  auto first = box_->Pull(centre, 0);
  ASSERT_OK(first);
  EXPECT_EQ(static_cast<size_t>(first->alerts_size()), seen.size());
  auto second = box_->Pull(centre, 0);
  ASSERT_OK(second);
  EXPECT_EQ(second->alerts_size(), 0);
  EXPECT_EQ(second->previous_cursor(), first->cursor());
  Offer("Công nghệ MBBR xử lý nước thải chế biến thủy sản");
  Drain();
  auto third = box_->Pull(centre, 0);
  ASSERT_OK(third);
  EXPECT_EQ(third->alerts_size(), 1);
}

// An offer about something else than the need raises no alert, on either
// side; nor does a need nobody offers anything for.
TEST_F(AlertsTest, AnIrrelevantOfferRaisesNone) {
  Open("db", AlertOptions().default_threshold);
  Need("Xử lý nước thải chế biến thủy sản 500 m3 mỗi ngày", false);
  Need("Nuôi trồng đông trùng hạ thảo quy mô công nghiệp", false);
  Offer("Máy sấy nông sản bằng bơm nhiệt");
  Offer("Giống lúa chịu mặn ngắn ngày cho vùng ven biển");
  Offer("Quy trình nuôi tôm thẻ chân trắng trong nhà màng");
  Drain();
  EXPECT_TRUE(All().empty()) << All().size() << " alerts, the first "
                             << (All().empty() ? "" : All()[0].offer_title());
  // The relevant one does, to both sides.
  Offer("Hệ thống xử lý nước thải thủy sản bằng công nghệ MBBR");
  Drain();
  EXPECT_EQ(All().size(), 2u);
}

// The alerts an import raises do not depend on how far the engine lags:
// the demo data imported record by record, the engine catching up after
// every record or only at the end, needs before offers or after, raise the
// same (kind, need, offer) alerts.
TEST_F(AlertsTest, TheAlertsOfAnImportDoNotDependOnTheEngineLag) {
  auto lines = [](const std::string& file) {
    std::vector<std::string> out;
    std::ifstream in(std::string(TECHMATCH_SOURCE_DIR) + "/data/demo/" + file);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) out.push_back(line);
    return out;
  };
  using Raised = std::set<std::tuple<int, std::string, std::string>>;
  auto run = [&](const std::string& db, bool needs_first, bool lagging) {
    Open(db, AlertOptions().default_threshold);
    for (const std::string& line : lines("organizations.jsonl")) {
      v1::ImportOrganizationsRequest request;
      EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(
                      line, request.add_organizations())
                      .ok());
      stack_.registry()->ImportOrganizations(testing::Admin(), request, 0);
    }
    auto offers = [&] {
      for (const std::string& line : lines("offers.jsonl")) {
        v1::ImportOffersRequest request;
        EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(
                        line, request.add_offers())
                        .ok());
        stack_.registry()->ImportOffers(testing::Admin(), request, 0);
        if (!lagging) Drain();
      }
    };
    auto needs = [&] {
      for (const std::string& line : lines("needs.jsonl")) {
        v1::ImportNeedsRequest request;
        EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(
                        line, request.add_needs())
                        .ok());
        stack_.registry()->ImportNeeds(testing::Admin(), request, 0);
        if (!lagging) Drain();
      }
    };
    if (needs_first) {
      needs();
      offers();
    } else {
      offers();
      needs();
    }
    Drain();
    Raised raised;
    for (const v1::Alert& a : All())
      raised.insert({a.kind(), a.need(), a.offer()});
    return raised;
  };
  const Raised reference = run("fast", false, false);
  EXPECT_GE(reference.size(),
            8u);  // the demo's five answered needs, both sides
  EXPECT_EQ(run("lagging", false, true), reference);
  EXPECT_EQ(run("fast-needs-first", true, false), reference);
  EXPECT_EQ(run("lagging-needs-first", true, true), reference);
  // The need nobody offers anything for (Cordyceps) is never alerted.
  for (const auto& [kind, need, offer] : reference) EXPECT_NE(need, "needs/7");
}

}  // namespace
}  // namespace techmatch::domain
