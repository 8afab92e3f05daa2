#include "domain/reporter.h"

#include <gtest/gtest.h>

#include "client/report_format.h"
#include "domain/connection_book.h"
#include "google/protobuf/util/time_util.h"
#include "tests/domain/domain_stack.h"
#include "tests/test_util.h"

namespace techmatch::domain {
namespace {

namespace v1 = techmatch::v1;
using google::protobuf::util::TimeUtil;

// A known year: 2 offers and 3 needs in three provinces, two connections,
// one signed 40 days after its need was registered.
class ReporterTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    stack_.Open(Path("db"), /*sync_writes=*/false);
    reporter_ = std::make_unique<Reporter>(stack_.catalog(), stack_.reference(),
                                           &clock_);

    centre_ = Org("Trung tâm Vĩnh Long", v1::Organization::REGIONAL_CENTRE,
                  "Vĩnh Long", "");
    std::string e1 = Org("Công ty Vĩnh Long", v1::Organization::ENTERPRISE,
                         "Vĩnh Long", centre_);
    std::string e2 =
        Org("Công ty Cần Thơ", v1::Organization::ENTERPRISE, "Cần Thơ", "");
    university_ =
        Org("Trường ĐH", v1::Organization::UNIVERSITY, "TP Hồ Chí Minh", "");
    std::string o1 = Offer("Xử lý nước thải thủy sản", true);
    Offer("Máy sấy", false);
    std::string n1 = Need(e1, centre_, true);
    std::string n2 = Need(e2, "", true);
    Need(e1, centre_, false);

    clock_.Advance(absl::Hours(24 * 10));
    k1_ = Connect(n1, o1);
    std::string k2 = Connect(n2, o1);
    ASSERT_OK(Move(k2, v1::Connection::DECLINED));
    for (auto state :
         {v1::Connection::INTEREST_EXPRESSED, v1::Connection::INTRODUCED,
          v1::Connection::NEGOTIATING}) {
      ASSERT_OK(Move(k1_, state));
    }
    clock_.Advance(absl::Hours(24 * 30));  // day 40
    v1::TransitionConnectionRequest sign;
    sign.set_name(k1_);
    sign.set_to(v1::Connection::AGREEMENT_SIGNED);
    sign.mutable_agreement()->set_contract_type(v1::TECHNOLOGY_TRANSFER);
    sign.mutable_agreement()->set_value_vnd(1'000'000'000);
    ASSERT_OK(stack_.connections()->Transition(testing::Admin(), sign));
  }

  std::string Org(const std::string& name, v1::Organization::Kind kind,
                  const std::string& province, const std::string& parent) {
    v1::CreateOrganizationRequest request;
    *request.mutable_organization() = testing::MakeOrg(name, kind, province);
    request.mutable_organization()->set_parent(parent);
    return stack_.registry()
        ->CreateOrganization(testing::Admin(), request)
        ->name();
  }
  std::string Offer(const std::string& title, bool published) {
    v1::CreateOfferRequest request;
    *request.mutable_offer() = testing::MakeOffer(university_, title);
    if (published) request.mutable_offer()->set_state(v1::PUBLISHED);
    return stack_.registry()->CreateOffer(testing::Admin(), request)->name();
  }
  std::string Need(const std::string& enterprise, const std::string& centre,
                   bool published) {
    v1::CreateNeedRequest request;
    *request.mutable_need() = testing::MakeNeed(enterprise, "Xử lý nước thải");
    request.mutable_need()->set_centre(centre);
    request.mutable_need()->add_sector_codes("207");
    if (published) request.mutable_need()->set_state(v1::PUBLISHED);
    return stack_.registry()->CreateNeed(testing::Admin(), request)->name();
  }
  std::string Connect(const std::string& need, const std::string& offer) {
    v1::CreateConnectionRequest request;
    request.set_need(need);
    request.set_offer(offer);
    request.set_origin(v1::Connection::MATCH);
    return stack_.connections()->Create(testing::Admin(), request)->name();
  }
  absl::StatusOr<v1::Connection> Move(const std::string& name,
                                      v1::Connection::State to) {
    v1::TransitionConnectionRequest request;
    request.set_name(name);
    request.set_to(to);
    return stack_.connections()->Transition(testing::Admin(), request);
  }
  v1::ReportRequest Year(int year, v1::ReportRequest::GroupBy by) {
    v1::ReportRequest request;
    *request.mutable_from() = TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(
        absl::FromCivil(absl::CivilYear(year), absl::UTCTimeZone())));
    *request.mutable_to() = TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(
        absl::FromCivil(absl::CivilYear(year + 1), absl::UTCTimeZone())));
    request.set_group_by(by);
    return request;
  }
  const v1::ReportRow* Row(const v1::Report& report, const std::string& label) {
    for (const auto& r : report.rows()) {
      if (r.label() == label) return &r;
    }
    return nullptr;
  }

  FakeClock clock_{
      absl::FromCivil(absl::CivilDay(2026, 1, 1), absl::UTCTimeZone())};
  testing::DomainStack stack_{&clock_};
  std::unique_ptr<Reporter> reporter_;
  std::string centre_, university_, k1_;
};

TEST_F(ReporterTest, ProvinceFiguresOfAKnownYear) {
  auto report = reporter_->Build(Year(2026, v1::ReportRequest::PROVINCE));
  ASSERT_OK(report);
  ASSERT_EQ(report->rows_size(), 3);
  const v1::ReportRow* hcm = Row(*report, "TP. Hồ Chí Minh");
  const v1::ReportRow* vl = Row(*report, "Vĩnh Long");
  const v1::ReportRow* ct = Row(*report, "Cần Thơ");
  ASSERT_TRUE(hcm && vl && ct);
  EXPECT_EQ(hcm->offers_registered(), 2u);
  EXPECT_EQ(hcm->offers_published(), 1u);
  EXPECT_EQ(vl->needs_registered(), 2u);
  EXPECT_EQ(vl->needs_published(), 1u);
  EXPECT_EQ(vl->connections_created(), 1u);
  EXPECT_EQ(vl->matches_suggested(), 1u);
  EXPECT_EQ(vl->agreements_signed(), 1u);
  EXPECT_EQ(vl->agreement_value_vnd(), 1'000'000'000);
  EXPECT_DOUBLE_EQ(vl->median_days_need_to_agreement(), 40.0);
  ASSERT_EQ(vl->connections_by_state_size(), 1);
  EXPECT_EQ(vl->connections_by_state(0).state(),
            v1::Connection::AGREEMENT_SIGNED);
  EXPECT_EQ(ct->connections_created(), 1u);
  ASSERT_EQ(ct->connections_by_state_size(), 1);
  EXPECT_EQ(ct->connections_by_state(0).state(), v1::Connection::DECLINED);
  EXPECT_EQ(ct->agreements_signed(), 0u);
  const v1::ReportRow& total = report->total();
  EXPECT_EQ(total.offers_registered(), 2u);
  EXPECT_EQ(total.needs_registered(), 3u);
  EXPECT_EQ(total.needs_published(), 2u);
  EXPECT_EQ(total.connections_created(), 2u);
  EXPECT_EQ(total.agreements_signed(), 1u);
  EXPECT_EQ(total.agreement_value_vnd(), 1'000'000'000);
}

TEST_F(ReporterTest, OtherGroupingsAndPeriods) {
  auto by_org = reporter_->Build(Year(2026, v1::ReportRequest::ORGANIZATION));
  ASSERT_OK(by_org);
  const v1::ReportRow* university = Row(*by_org, "Trường ĐH");
  const v1::ReportRow* centre = Row(*by_org, "Trung tâm Vĩnh Long");
  ASSERT_TRUE(university && centre);
  EXPECT_EQ(university->connections_created(), 2u);  // the offer side of both
  EXPECT_EQ(centre->connections_created(), 1u);
  EXPECT_EQ(centre->agreements_signed(), 1u);
  EXPECT_EQ(by_org->total().connections_created(),
            2u);  // counted once in the total

  auto by_region = reporter_->Build(Year(2026, v1::ReportRequest::REGION));
  ASSERT_OK(by_region);
  EXPECT_GE(by_region->rows_size(), 2);

  auto by_sector = reporter_->Build(Year(2026, v1::ReportRequest::SECTOR));
  ASSERT_OK(by_sector);
  EXPECT_EQ(by_sector->total().needs_registered(), 3u);

  auto next_year = reporter_->Build(Year(2027, v1::ReportRequest::PROVINCE));
  ASSERT_OK(next_year);
  EXPECT_EQ(next_year->rows_size(), 0);
  EXPECT_EQ(next_year->total().connections_created(), 0u);

  v1::ReportRequest reversed = Year(2026, v1::ReportRequest::PROVINCE);
  std::swap(*reversed.mutable_from(), *reversed.mutable_to());
  EXPECT_EQ(reporter_->Build(reversed).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ReporterTest, CsvAndSvgCarryTheFigures) {
  auto report = reporter_->Build(Year(2026, v1::ReportRequest::PROVINCE));
  ASSERT_OK(report);
  std::string csv = client::ReportCsv(*report);
  EXPECT_EQ(csv.rfind("key,label,offers_registered", 0), 0u);
  EXPECT_NE(csv.find(",1000000000,40.0\r\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find("total,Tổng cộng,2,1,3,2,2,2"), std::string::npos) << csv;
  // Header + 3 rows + total.
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5);
  std::string svg = client::ReportSvg(*report, "Báo cáo <2026>");
  EXPECT_NE(svg.find("<svg xmlns=\"http://www.w3.org/2000/svg\""),
            std::string::npos);
  EXPECT_NE(svg.find("Báo cáo &lt;2026&gt;"), std::string::npos);
  EXPECT_NE(svg.find("Vĩnh Long"), std::string::npos);
  EXPECT_NE(svg.find("1.000.000.000 ₫"), std::string::npos);
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
}

}  // namespace
}  // namespace techmatch::domain
