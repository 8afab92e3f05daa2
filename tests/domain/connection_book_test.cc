#include "domain/connection_book.h"

#include <gtest/gtest.h>

#include "tests/domain/domain_stack.h"
#include "tests/test_util.h"

namespace techmatch::domain {
namespace {

namespace v1 = techmatch::v1;
using State = v1::Connection::State;

class ConnectionBookTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    Open();
    exchange_ = Org("Sàn", v1::Organization::NATIONAL_EXCHANGE, "");
    centre_ = Org("Trung tâm Vĩnh Long", v1::Organization::REGIONAL_CENTRE, "");
    other_centre_ =
        Org("Trung tâm Tây Ninh", v1::Organization::REGIONAL_CENTRE, "");
    enterprise_ =
        Org("Công ty thủy sản", v1::Organization::ENTERPRISE, centre_);
    owner_ =
        Org("Viện công nghệ", v1::Organization::RESEARCH_INSTITUTE, exchange_);
    stranger_ =
        Org("Công ty khác", v1::Organization::ENTERPRISE, other_centre_);

    v1::CreateOfferRequest offer;
    *offer.mutable_offer() =
        testing::MakeOffer(owner_, "Xử lý nước thải thủy sản MBBR");
    offer.mutable_offer()->set_state(v1::PUBLISHED);
    offer_ = stack_.registry()->CreateOffer(testing::Admin(), offer)->name();
    *offer.mutable_offer() =
        testing::MakeOffer(owner_, "Máy sấy nông sản bơm nhiệt");
    offer.mutable_offer()->set_state(v1::PUBLISHED);
    other_offer_ =
        stack_.registry()->CreateOffer(testing::Admin(), offer)->name();
    v1::CreateNeedRequest need;
    *need.mutable_need() =
        testing::MakeNeed(enterprise_, "Xử lý nước thải chế biến thủy sản");
    need.mutable_need()->set_centre(centre_);
    need.mutable_need()->set_state(v1::PUBLISHED);
    need_ = stack_.registry()->CreateNeed(testing::Admin(), need)->name();
    need.mutable_need()->set_state(v1::DRAFT);
    draft_need_ = stack_.registry()->CreateNeed(testing::Admin(), need)->name();
  }

  void Open() {
    stack_.Open(Path("db"));
  }

  std::string Org(const std::string& name, v1::Organization::Kind kind,
                  const std::string& parent) {
    return stack_.Org(name, kind, parent);
  }

  // A caller acting for `org` with `role`.
  Caller As(const std::string& org, v1::Role role) {
    Caller caller;
    caller.method = "test";
    caller.principal.key = "apiKeys/" + org;
    caller.principal.organization = org;
    caller.principal.role = role;
    caller.principal.org_kind =
        stack_.registry()->GetOrganization(testing::Admin(), org)->kind();
    return caller;
  }

  absl::StatusOr<v1::Connection> Create(
      const Caller& caller, const std::string& need, const std::string& offer,
      v1::Connection::Origin origin = v1::Connection::BROKER) {
    v1::CreateConnectionRequest request;
    request.set_need(need);
    request.set_offer(offer);
    request.set_origin(origin);
    request.set_note("gặp nhau tại techmart");
    return stack_.connections()->Create(caller, request);
  }

  absl::StatusOr<v1::Connection> Move(
      const Caller& caller, const std::string& name, State to,
      const v1::Agreement* agreement = nullptr) {
    v1::TransitionConnectionRequest request;
    request.set_name(name);
    request.set_to(to);
    request.set_note(std::string("-> ") + v1::Connection::State_Name(to));
    if (agreement != nullptr) *request.mutable_agreement() = *agreement;
    return stack_.connections()->Transition(caller, request);
  }

  FakeClock clock_{absl::FromUnixSeconds(1790000000)};
  testing::DomainStack stack_{&clock_};
  std::string exchange_, centre_, other_centre_, enterprise_, owner_, stranger_;
  std::string offer_, other_offer_, need_, draft_need_;
};

TEST(ConnectionRules, EveryTransitionOfTheStateMachine) {
  using C = v1::Connection;
  const std::vector<State> all = {C::SUGGESTED,        C::INTEREST_EXPRESSED,
                                  C::INTRODUCED,       C::NEGOTIATING,
                                  C::AGREEMENT_SIGNED, C::CLOSED,
                                  C::DECLINED,         C::EXPIRED,
                                  C::STATE_UNSPECIFIED};
  const std::set<std::pair<State, State>> legal = {
      {C::SUGGESTED, C::INTEREST_EXPRESSED},
      {C::SUGGESTED, C::DECLINED},
      {C::SUGGESTED, C::EXPIRED},
      {C::INTEREST_EXPRESSED, C::INTRODUCED},
      {C::INTEREST_EXPRESSED, C::DECLINED},
      {C::INTEREST_EXPRESSED, C::EXPIRED},
      {C::INTRODUCED, C::NEGOTIATING},
      {C::INTRODUCED, C::DECLINED},
      {C::INTRODUCED, C::EXPIRED},
      {C::NEGOTIATING, C::AGREEMENT_SIGNED},
      {C::NEGOTIATING, C::DECLINED},
      {C::NEGOTIATING, C::EXPIRED},
      {C::AGREEMENT_SIGNED, C::CLOSED}};
  int checked = 0;
  for (State from : all) {
    for (State to : all) {
      EXPECT_EQ(ConnectionBook::Allowed(from, to), legal.count({from, to}) > 0)
          << C::State_Name(from) << " -> " << C::State_Name(to);
      ++checked;
    }
  }
  EXPECT_EQ(checked, 81);
}

TEST_F(ConnectionBookTest, FromSuggestionToClosedKeepsTheHistory) {
  Caller centre = As(centre_, v1::CENTRE_OPERATOR);
  Caller exchange = As(exchange_, v1::EXCHANGE_OPERATOR);
  auto c = Create(centre, need_, offer_);
  ASSERT_OK(c);
  EXPECT_EQ(c->state(), v1::Connection::SUGGESTED);
  EXPECT_EQ(c->need_broker(), centre_);
  EXPECT_EQ(c->offer_broker(), exchange_);
  std::string name = c->name();
  // Both sides' brokers act on it.
  clock_.Advance(absl::Hours(1));
  ASSERT_OK(Move(exchange, name, v1::Connection::INTEREST_EXPRESSED));
  ASSERT_OK(Move(centre, name, v1::Connection::INTRODUCED));
  ASSERT_OK(Move(exchange, name, v1::Connection::NEGOTIATING));
  // Signing needs the agreement.
  EXPECT_EQ(
      Move(centre, name, v1::Connection::AGREEMENT_SIGNED).status().code(),
      absl::StatusCode::kInvalidArgument);
  v1::Agreement agreement;
  agreement.set_contract_type(v1::TECHNOLOGY_TRANSFER);
  agreement.set_value_vnd(1'200'000'000);
  auto signed_ =
      Move(centre, name, v1::Connection::AGREEMENT_SIGNED, &agreement);
  ASSERT_OK(signed_);
  EXPECT_EQ(signed_->agreement().value_vnd(), 1'200'000'000);
  EXPECT_TRUE(signed_->agreement().has_signed_time());
  auto closed = Move(exchange, name, v1::Connection::CLOSED);
  ASSERT_OK(closed);
  ASSERT_EQ(closed->history_size(), 6);
  EXPECT_EQ(closed->history(0).to(), v1::Connection::SUGGESTED);
  EXPECT_EQ(closed->history(0).note(), "gặp nhau tại techmart");
  EXPECT_EQ(closed->history(1).from(), v1::Connection::SUGGESTED);
  EXPECT_EQ(closed->history(1).to(), v1::Connection::INTEREST_EXPRESSED);
  EXPECT_EQ(closed->history(1).actor(), exchange.principal.key);
  EXPECT_EQ(closed->history(1).organization(), exchange_);
  EXPECT_EQ(closed->history(5).to(), v1::Connection::CLOSED);
  EXPECT_EQ(closed->version(), 6);
  // A final state goes nowhere, and a refused move changes nothing.
  auto again = Move(centre, name, v1::Connection::NEGOTIATING);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(again.status().message().find("final"), std::string::npos);
  EXPECT_EQ(stack_.connections()->Get(centre, name)->version(), 6);
  // It survives a restart.
  Open();
  auto reread = stack_.connections()->Get(centre, name);
  ASSERT_OK(reread);
  EXPECT_EQ(reread->state(), v1::Connection::CLOSED);
  EXPECT_EQ(reread->history_size(), 6);
}

TEST_F(ConnectionBookTest,
       IllegalMovesAreFailedPreconditionNamingTheLegalOnes) {
  Caller centre = As(centre_, v1::CENTRE_OPERATOR);
  auto c = Create(centre, need_, offer_);
  ASSERT_OK(c);
  auto skip = Move(centre, c->name(), v1::Connection::NEGOTIATING);
  EXPECT_EQ(skip.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(
      skip.status().message().find("INTEREST_EXPRESSED, DECLINED, EXPIRED"),
      std::string::npos)
      << skip.status();
  EXPECT_EQ(Move(centre, c->name(), v1::Connection::STATE_UNSPECIFIED)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  v1::Agreement agreement;
  agreement.set_contract_type(v1::LICENSE_AGREEMENT);
  EXPECT_EQ(
      Move(centre, c->name(), v1::Connection::INTEREST_EXPRESSED, &agreement)
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(stack_.connections()->Get(centre, c->name())->state(), v1::Connection::SUGGESTED);
}

TEST_F(ConnectionBookTest, OneOpenConnectionPerPair) {
  Caller centre = As(centre_, v1::CENTRE_OPERATOR);
  auto first = Create(centre, need_, offer_);
  ASSERT_OK(first);
  auto second = Create(centre, need_, offer_);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(second.status().message().find(first->name()), std::string::npos);
  ASSERT_OK(Create(centre, need_, other_offer_));  // another pair
  ASSERT_OK(Move(centre, first->name(), v1::Connection::DECLINED));
  EXPECT_OK(Create(centre, need_, offer_));  // the pair is free again
}

TEST_F(ConnectionBookTest, FromAMatchKeepsTheScoreTheRankingGave) {
  Caller centre = As(centre_, v1::CENTRE_OPERATOR);
  auto c = Create(centre, need_, offer_, v1::Connection::MATCH);
  ASSERT_OK(c);
  EXPECT_EQ(c->origin(), v1::Connection::MATCH);
  EXPECT_GT(c->score(), 0);
  EXPECT_GT(c->explanation().components_size(), 3);
  v1::MatchOffersForNeedRequest request;
  request.set_need(need_);
  auto ranked =
      testing::Built<techmatch::v1::MatchOffersForNeedResponse>([&](auto* out) {
        return stack_.matchmaker()->OffersForNeed(testing::Admin(), request,
                                                  out);
      });
  ASSERT_OK(ranked);
  bool found = false;
  for (const auto& m : ranked->matches()) {
    if (m.offer().name() == offer_) {
      EXPECT_NEAR(m.score(), c->score(), 1e-6);  // float text scores
      found = true;
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(ConnectionBookTest, WhoSeesAndWhoActs) {
  Caller centre = As(centre_, v1::CENTRE_OPERATOR);
  Caller enterprise = As(enterprise_, v1::ENTERPRISE);
  Caller owner = As(owner_, v1::ENTERPRISE);
  Caller other_centre = As(other_centre_, v1::CENTRE_OPERATOR);
  Caller stranger = As(stranger_, v1::ENTERPRISE);
  Caller reader = As(centre_, v1::READ_ONLY);
  // Only brokers create.
  EXPECT_EQ(Create(enterprise, need_, offer_).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Create(other_centre, need_, offer_).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Create(reader, need_, offer_).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Create(centre, draft_need_, offer_).status().code(),
            absl::StatusCode::kFailedPrecondition);
  auto c = Create(centre, need_, offer_);
  ASSERT_OK(c);
  // The enterprise and the technology owner see their own...
  EXPECT_OK(stack_.connections()->Get(enterprise, c->name()));
  EXPECT_OK(stack_.connections()->Get(owner, c->name()));
  EXPECT_OK(stack_.connections()->Get(reader, c->name()));
  // ...but do not move it.
  EXPECT_EQ(Move(enterprise, c->name(), v1::Connection::INTEREST_EXPRESSED)
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Move(reader, c->name(), v1::Connection::INTEREST_EXPRESSED)
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
  // Others do not see it at all.
  EXPECT_EQ(stack_.connections()->Get(stranger, c->name()).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(stack_.connections()->Get(other_centre, c->name()).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(
      Move(other_centre, c->name(), v1::Connection::DECLINED).status().code(),
      absl::StatusCode::kNotFound);
  v1::ListConnectionsRequest list;
  EXPECT_EQ(stack_.connections()->List(owner, list)->connections_size(), 1);
  EXPECT_EQ(stack_.connections()->List(stranger, list)->connections_size(), 0);
  list.set_state(v1::Connection::SUGGESTED);
  EXPECT_EQ(stack_.connections()->List(enterprise, list)->connections_size(), 1);
  list.set_state(v1::Connection::CLOSED);
  EXPECT_EQ(stack_.connections()->List(enterprise, list)->connections_size(), 0);
}

TEST_F(ConnectionBookTest, AConfidentialNeedIsConnectedOnlyByItsOwnSide) {
  v1::UpdateNeedRequest update;
  update.mutable_need()->set_name(need_);
  update.mutable_need()->set_confidentiality(v1::CONFIDENTIAL);
  ASSERT_OK(stack_.registry()->UpdateNeed(testing::Admin(), update));
  Caller exchange = As(exchange_, v1::EXCHANGE_OPERATOR);
  EXPECT_EQ(Create(exchange, need_, offer_).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_OK(Create(As(centre_, v1::CENTRE_OPERATOR), need_, offer_));
}

TEST_F(ConnectionBookTest, ListPagesThroughEveryVisibleConnection) {
  Caller centre = As(centre_, v1::CENTRE_OPERATOR);
  std::vector<std::string> offers;
  for (int i = 0; i < 7; ++i) {
    v1::CreateOfferRequest offer;
    *offer.mutable_offer() =
        testing::MakeOffer(owner_, "Công nghệ " + std::to_string(i));
    offer.mutable_offer()->set_state(v1::PUBLISHED);
    offers.push_back(
        stack_.registry()->CreateOffer(testing::Admin(), offer)->name());
    ASSERT_OK(Create(centre, need_, offers.back()));
  }
  v1::ListConnectionsRequest list;
  list.set_need(need_);
  list.set_page_size(3);
  std::set<std::string> seen;
  int pages = 0;
  do {
    auto page = stack_.connections()->List(centre, list);
    ASSERT_OK(page);
    for (const auto& c : page->connections()) seen.insert(c.name());
    list.set_page_token(page->next_page_token());
    ++pages;
  } while (!list.page_token().empty() && pages < 10);
  EXPECT_EQ(seen.size(), 7u);
  EXPECT_EQ(pages, 3);
}

}  // namespace
}  // namespace techmatch::domain
