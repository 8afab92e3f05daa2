#include "domain/registry.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "google/protobuf/util/time_util.h"
#include "tests/test_util.h"

namespace techmatch::domain {
namespace {

namespace v1 = techmatch::v1;
using v1::ImportResult;

class RecordingObserver : public CommitObserver {
 public:
  void OnCommitted(const std::vector<CommittedChange>& changes) override {
    for (const auto& c : changes) sequences.push_back(c.event.sequence());
  }
  std::vector<uint64_t> sequences;
};

class RegistryTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    reference_ = testing::LoadReference();
    Open();
  }

  void Open() {
    registry_.reset();
    audit_.reset();
    catalog_.reset();
    storage::CatalogOptions options;
    options.path = Path("db");
    options.sync_writes = false;  // durability is tested end to end
    auto catalog = storage::Catalog::Open(options);
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    catalog_ = *std::move(catalog);
    audit_ = std::make_unique<AuditLog>(catalog_.get(), &clock_);
    registry_ = std::make_unique<Registry>(catalog_.get(), reference_.get(),
                                           audit_.get(), &clock_);
    registry_->AddObserver(&observer_);
  }

  std::string CreateOrg(const std::string& name, v1::Organization::Kind kind,
                        const std::string& parent = "") {
    v1::CreateOrganizationRequest request;
    *request.mutable_organization() = testing::MakeOrg(name, kind);
    request.mutable_organization()->set_parent(parent);
    auto org = registry_->CreateOrganization(testing::Admin(), request);
    EXPECT_TRUE(org.ok()) << org.status();
    return org.ok() ? org->name() : "";
  }

  v1::Offer CreateOffer(const std::string& owner, const std::string& title,
                        const std::string& ref = "") {
    v1::CreateOfferRequest request;
    *request.mutable_offer() = testing::MakeOffer(owner, title);
    request.mutable_offer()->set_external_ref(ref);
    auto offer = registry_->CreateOffer(testing::Admin(), request);
    EXPECT_TRUE(offer.ok()) << offer.status();
    return offer.ok() ? *offer : v1::Offer();
  }

  FakeClock clock_{absl::FromUnixSeconds(1'790'000'000)};
  std::unique_ptr<ReferenceData> reference_;
  std::unique_ptr<storage::Catalog> catalog_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<Registry> registry_;
  RecordingObserver observer_;
};

TEST_F(RegistryTest, CreateAssignsNameVersionAndTimes) {
  std::string owner = CreateOrg("ĐH Bách khoa", v1::Organization::UNIVERSITY);
  EXPECT_EQ(owner, "organizations/1");
  v1::Offer offer = CreateOffer(owner, "Máy sấy", "OF-1");
  EXPECT_EQ(offer.name(), "offers/1");
  EXPECT_EQ(offer.version(), 1);
  EXPECT_EQ(offer.state(), v1::DRAFT);
  EXPECT_TRUE(offer.has_create_time());
  auto got = registry_->GetOffer(testing::Admin(), "offers/1");
  ASSERT_OK(got);
  EXPECT_EQ(got->title(), "Máy sấy");
  EXPECT_EQ(observer_.sequences, (std::vector<uint64_t>{1, 2}));
}

TEST_F(RegistryTest, ReferencesMustExistAndHaveTheRightKind) {
  std::string enterprise = CreateOrg("DN", v1::Organization::ENTERPRISE);
  v1::CreateOfferRequest offer;
  *offer.mutable_offer() = testing::MakeOffer("organizations/99", "x");
  EXPECT_EQ(registry_->CreateOffer(testing::Admin(), offer).status().code(),
            absl::StatusCode::kInvalidArgument);
  v1::CreateNeedRequest need;
  *need.mutable_need() = testing::MakeNeed(enterprise, "x");
  need.mutable_need()->set_centre(enterprise);  // not a centre
  auto status = registry_->CreateNeed(testing::Admin(), need).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("need.centre"), std::string::npos);
  v1::CreateOrganizationRequest org;
  *org.mutable_organization() = testing::MakeOrg("x", v1::Organization::ENTERPRISE);
  org.mutable_organization()->set_parent(enterprise);
  EXPECT_EQ(
      registry_->CreateOrganization(testing::Admin(), org).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(catalog_->last_sequence(), 1u);  // nothing else written
}

TEST_F(RegistryTest, ExternalRefIsUniquePerOwner) {
  std::string a = CreateOrg("A", v1::Organization::UNIVERSITY);
  std::string b = CreateOrg("B", v1::Organization::UNIVERSITY);
  CreateOffer(a, "x", "SAME");
  CreateOffer(b, "y", "SAME");  // another owner: fine
  v1::CreateOfferRequest dup;
  *dup.mutable_offer() = testing::MakeOffer(a, "z");
  dup.mutable_offer()->set_external_ref("SAME");
  EXPECT_EQ(registry_->CreateOffer(testing::Admin(), dup).status().code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_F(RegistryTest, UpdateWithMaskAndOptimisticConcurrency) {
  std::string owner = CreateOrg("A", v1::Organization::UNIVERSITY);
  v1::Offer offer = CreateOffer(owner, "Cũ");
  v1::UpdateOfferRequest update;
  update.mutable_offer()->set_name(offer.name());
  update.mutable_offer()->set_title("Mới");
  update.mutable_offer()->set_trl(2);  // not in the mask: ignored
  update.mutable_offer()->set_version(1);
  update.mutable_update_mask()->add_paths("title");
  auto updated = registry_->UpdateOffer(testing::Admin(), update);
  ASSERT_OK(updated);
  EXPECT_EQ(updated->title(), "Mới");
  EXPECT_EQ(updated->trl(), 7);
  EXPECT_EQ(updated->version(), 2);

  uint64_t sequence = catalog_->last_sequence();
  update.mutable_offer()->set_title("Stale");  // still names version 1
  EXPECT_EQ(registry_->UpdateOffer(testing::Admin(), update).status().code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(registry_->GetOffer(testing::Admin(), offer.name())->title(),
            "Mới");
  EXPECT_EQ(catalog_->last_sequence(), sequence);

  update.mutable_update_mask()->set_paths(0, "owner");
  update.mutable_offer()->set_version(0);
  EXPECT_EQ(registry_->UpdateOffer(testing::Admin(), update).status().code(),
            absl::StatusCode::kInvalidArgument);
  update.mutable_update_mask()->set_paths(0, "trl");
  update.mutable_offer()->set_trl(12);
  EXPECT_EQ(registry_->UpdateOffer(testing::Admin(), update).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry_->GetOffer(testing::Admin(), offer.name())->trl(), 7);
}

TEST_F(RegistryTest, UpdateWithoutMaskUsesPopulatedFields) {
  std::string owner = CreateOrg("A", v1::Organization::UNIVERSITY);
  v1::Offer offer = CreateOffer(owner, "Cũ");
  v1::UpdateOfferRequest update;
  update.mutable_offer()->set_name(offer.name());
  update.mutable_offer()->set_summary("Tóm tắt");
  auto updated = registry_->UpdateOffer(testing::Admin(), update);
  ASSERT_OK(updated);
  EXPECT_EQ(updated->summary(), "Tóm tắt");
  EXPECT_EQ(updated->title(), "Cũ");
}

TEST_F(RegistryTest, UpsertIsIdempotent) {
  std::string owner = CreateOrg("A", v1::Organization::UNIVERSITY);
  v1::UpsertOfferRequest upsert;
  *upsert.mutable_offer() = testing::MakeOffer(owner, "Máy sấy");
  upsert.mutable_offer()->set_external_ref("EXT-7");
  auto first = registry_->UpsertOffer(testing::Admin(), upsert);
  ASSERT_OK(first);
  EXPECT_EQ(first->outcome(), ImportResult::CREATED);
  uint64_t sequence = catalog_->last_sequence();
  auto again = registry_->UpsertOffer(testing::Admin(), upsert);
  ASSERT_OK(again);
  EXPECT_EQ(again->outcome(), ImportResult::UNCHANGED);
  EXPECT_EQ(again->offer().name(), first->offer().name());
  EXPECT_EQ(again->offer().version(), 1);
  EXPECT_EQ(catalog_->last_sequence(), sequence);

  upsert.mutable_offer()->set_title("Máy sấy bơm nhiệt");
  auto changed = registry_->UpsertOffer(testing::Admin(), upsert);
  ASSERT_OK(changed);
  EXPECT_EQ(changed->outcome(), ImportResult::UPDATED);
  EXPECT_EQ(changed->offer().version(), 2);
  EXPECT_EQ(changed->offer().create_time().seconds(),
            first->offer().create_time().seconds());

  upsert.mutable_offer()->clear_external_ref();
  EXPECT_EQ(registry_->UpsertOffer(testing::Admin(), upsert).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(RegistryTest, PublishWithdrawAndExpire) {
  std::string owner = CreateOrg("A", v1::Organization::UNIVERSITY);
  v1::Offer offer = CreateOffer(owner, "x");
  v1::PublishRequest publish;
  publish.set_name(offer.name());
  auto published = registry_->PublishOffer(testing::Admin(), publish);
  ASSERT_OK(published);
  EXPECT_EQ(published->state(), v1::PUBLISHED);
  EXPECT_EQ(published->expire_time().seconds() - published->publish_time().seconds(),
            365 * 24 * 3600);
  // Publishing again changes nothing.
  EXPECT_EQ(registry_->PublishOffer(testing::Admin(), publish)->version(),
            published->version());

  clock_.Advance(absl::Hours(24 * 366));
  auto expired = registry_->ExpireDue();
  ASSERT_OK(expired);
  EXPECT_EQ(*expired, 1);
  EXPECT_EQ(registry_->GetOffer(testing::Admin(), offer.name())->state(),
            v1::EXPIRED);
  EXPECT_EQ(*registry_->ExpireDue(), 0);

  v1::WithdrawRequest withdraw;
  withdraw.set_name(offer.name());
  withdraw.set_version(1);  // stale
  EXPECT_EQ(
      registry_->WithdrawOffer(testing::Admin(), withdraw).status().code(),
      absl::StatusCode::kAborted);
  withdraw.set_version(0);
  EXPECT_EQ(registry_->WithdrawOffer(testing::Admin(), withdraw)->state(),
            v1::WITHDRAWN);
  publish.mutable_expire_time()->set_seconds(1);  // in the past
  EXPECT_EQ(registry_->PublishOffer(testing::Admin(), publish).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(RegistryTest, NeedExpiresAtItsDeadline) {
  std::string enterprise = CreateOrg("DN", v1::Organization::ENTERPRISE);
  v1::CreateNeedRequest create;
  *create.mutable_need() = testing::MakeNeed(enterprise, "x");
  create.mutable_need()->mutable_deadline()->set_seconds(
      absl::ToUnixSeconds(clock_.Now() + absl::Hours(48)));
  create.mutable_need()->set_state(v1::PUBLISHED);
  auto need = registry_->CreateNeed(testing::Admin(), create);
  ASSERT_OK(need);
  EXPECT_EQ(need->expire_time().seconds(), need->deadline().seconds());
  clock_.Advance(absl::Hours(49));
  EXPECT_EQ(*registry_->ExpireDue(), 1);
  v1::PublishRequest publish;
  publish.set_name(need->name());
  EXPECT_EQ(registry_->PublishNeed(testing::Admin(), publish).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(RegistryTest, ListPagesAndFilters) {
  std::string a = CreateOrg("A", v1::Organization::UNIVERSITY);
  std::string b = CreateOrg("B", v1::Organization::UNIVERSITY);
  for (int i = 0; i < 7; ++i) CreateOffer(i % 2 ? a : b, "o" + std::to_string(i));
  v1::ListOffersRequest request;
  request.set_page_size(3);
  std::vector<std::string> names;
  do {
    auto page = registry_->ListOffers(testing::Admin(), request);
    ASSERT_OK(page);
    EXPECT_LE(page->offers_size(), 3);
    for (const auto& o : page->offers()) names.push_back(o.name());
    request.set_page_token(page->next_page_token());
  } while (!request.page_token().empty());
  EXPECT_EQ(names.size(), 7u);
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), 7u);

  request.Clear();
  request.set_owner(a);
  auto by_owner = registry_->ListOffers(testing::Admin(), request);
  ASSERT_OK(by_owner);
  EXPECT_EQ(by_owner->offers_size(), 3);
  request.set_province("Atlantis");
  EXPECT_EQ(registry_->ListOffers(testing::Admin(), request).status().code(),
            absl::StatusCode::kInvalidArgument);

  request.Clear();
  request.set_sector_code("2");  // parent of 207
  EXPECT_EQ(registry_->ListOffers(testing::Admin(), request)->offers_size(), 7);
  request.set_sector_code("4");
  EXPECT_EQ(registry_->ListOffers(testing::Admin(), request)->offers_size(), 0);

  // A token is only valid for the filters it was issued with.
  request.Clear();
  request.set_page_size(2);
  std::string token =
      registry_->ListOffers(testing::Admin(), request)->next_page_token();
  request.set_owner(a);
  request.set_page_token(token);
  EXPECT_EQ(registry_->ListOffers(testing::Admin(), request).status().code(),
            absl::StatusCode::kInvalidArgument);
  request.set_page_token("garbage!");
  EXPECT_EQ(registry_->ListOffers(testing::Admin(), request).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(RegistryTest, ImportAnswersPerRecordAndKeepsGoodOnes) {
  v1::ImportOrganizationsRequest orgs;
  *orgs.add_organizations() = testing::MakeOrg("Sàn", v1::Organization::NATIONAL_EXCHANGE);
  orgs.mutable_organizations(0)->set_external_ref("HUB");
  *orgs.add_organizations() = testing::MakeOrg("Bad", v1::Organization::ENTERPRISE, "Atlantis");
  *orgs.add_organizations() = testing::MakeOrg("Centre", v1::Organization::REGIONAL_CENTRE);
  // Refers to the exchange created earlier in the same chunk.
  orgs.mutable_organizations(2)->set_parent("organizations/1");
  auto response = registry_->ImportOrganizations(testing::Admin(), orgs, 100);
  ASSERT_EQ(response.results_size(), 3);
  EXPECT_EQ(response.results(0).outcome(), ImportResult::CREATED);
  EXPECT_EQ(response.results(0).index(), 100);
  EXPECT_EQ(response.results(1).outcome(), ImportResult::REJECTED);
  EXPECT_EQ(response.results(1).error_code(), "INVALID_ARGUMENT");
  EXPECT_NE(response.results(1).error_message().find("organization.province"),
            std::string::npos);
  EXPECT_EQ(response.results(2).outcome(), ImportResult::CREATED);
  EXPECT_EQ(catalog_->last_sequence(), 2u);

  // Two records with one external_ref in one chunk: the second updates.
  v1::ImportOffersRequest offers;
  *offers.add_offers() = testing::MakeOffer("organizations/1", "v1");
  offers.mutable_offers(0)->set_external_ref("X");
  *offers.add_offers() = testing::MakeOffer("organizations/1", "v2");
  offers.mutable_offers(1)->set_external_ref("X");
  auto second = registry_->ImportOffers(testing::Admin(), offers, 0);
  EXPECT_EQ(second.results(0).outcome(), ImportResult::CREATED);
  EXPECT_EQ(second.results(1).outcome(), ImportResult::UPDATED);
  EXPECT_EQ(second.results(1).name(), second.results(0).name());
  EXPECT_EQ(
      registry_->GetOffer(testing::Admin(), second.results(0).name())->title(),
      "v2");
}

TEST_F(RegistryTest, DataSurvivesReopen) {
  std::string owner = CreateOrg("A", v1::Organization::UNIVERSITY);
  CreateOffer(owner, "bền", "R1");
  Open();
  auto offer = registry_->GetOffer(testing::Admin(), "offers/1");
  ASSERT_OK(offer);
  EXPECT_EQ(offer->title(), "bền");
  EXPECT_EQ(CreateOffer(owner, "next").name(), "offers/2");
}

TEST_F(RegistryTest, ConcurrentUpdatesNeverLoseAVersion) {
  std::string owner = CreateOrg("A", v1::Organization::UNIVERSITY);
  v1::Offer offer = CreateOffer(owner, "x");
  constexpr int kThreads = 4, kPerThread = 25;
  std::vector<std::thread> threads;
  std::atomic<int> applied{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        v1::UpdateOfferRequest update;
        update.mutable_offer()->set_name(offer.name());
        update.mutable_offer()->set_summary(absl::StrCat(t, "-", i));
        update.mutable_update_mask()->add_paths("summary");
        if (registry_->UpdateOffer(testing::Admin(), update).ok()) ++applied;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(applied.load(), kThreads * kPerThread);
  EXPECT_EQ(registry_->GetOffer(testing::Admin(), offer.name())->version(),
            1 + kThreads * kPerThread);
  // Observers heard every commit in sequence order.
  for (size_t i = 1; i < observer_.sequences.size(); ++i) {
    EXPECT_EQ(observer_.sequences[i], observer_.sequences[i - 1] + 1);
  }
}

}  // namespace
}  // namespace techmatch::domain

namespace techmatch::domain {
namespace {

// Adds `bytes` of a field this schema does not define (number 1999).
void AddUnknown(google::protobuf::Message* message, size_t bytes) {
  message->GetReflection()->MutableUnknownFields(message)->AddLengthDelimited(
      1999, std::string(bytes, 'x'));
}

// Issue 20, item 3: unknown fields were stored and echoed past every limit
// (9 MiB offers made every listing fail). Every write path refuses them,
// naming the path, and nothing is written.
TEST_F(RegistryTest, UnknownFieldsAreRefusedOnEveryWritePath) {
  std::string owner = CreateOrg("A", v1::Organization::UNIVERSITY);
  v1::Offer good = CreateOffer(owner, "Máy sấy", "R1");
  const uint64_t sequence = catalog_->last_sequence();
  auto expect_refused = [&](const absl::Status& status, const char* path) {
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_NE(
        status.message().find(absl::StrCat(path, ": holds field number 1999")),
        std::string::npos)
        << status;
  };

  v1::CreateOfferRequest create;
  *create.mutable_offer() = testing::MakeOffer(owner, "Lò hơi");
  AddUnknown(create.mutable_offer(), 1 << 20);
  expect_refused(registry_->CreateOffer(testing::Admin(), create).status(),
                 "offer");
  // Inside a nested message too.
  *create.mutable_offer() = testing::MakeOffer(owner, "Lò hơi");
  create.mutable_offer()->mutable_price()->set_min_vnd(1000);
  AddUnknown(create.mutable_offer()->mutable_price(), 10);
  expect_refused(registry_->CreateOffer(testing::Admin(), create).status(),
                 "offer.price");

  v1::UpdateOfferRequest update;
  update.mutable_offer()->set_name(good.name());
  update.mutable_offer()->set_title("Mới");
  update.mutable_update_mask()->add_paths("title");
  AddUnknown(update.mutable_offer(), 10);
  expect_refused(registry_->UpdateOffer(testing::Admin(), update).status(),
                 "offer");

  v1::UpsertOfferRequest upsert;
  *upsert.mutable_offer() = testing::MakeOffer(owner, "Máy sấy");
  upsert.mutable_offer()->set_external_ref("R1");
  AddUnknown(upsert.mutable_offer(), 10);
  expect_refused(registry_->UpsertOffer(testing::Admin(), upsert).status(),
                 "offer");

  v1::CreateNeedRequest need;
  *need.mutable_need() = testing::MakeNeed(
      CreateOrg("E", v1::Organization::ENTERPRISE), "Cần máy sấy");
  const uint64_t after_org = catalog_->last_sequence();
  AddUnknown(need.mutable_need(), 10);
  expect_refused(registry_->CreateNeed(testing::Admin(), need).status(),
                 "need");

  v1::ImportOffersRequest import;
  *import.add_offers() = testing::MakeOffer(owner, "Lò hơi");
  AddUnknown(import.mutable_offers(0), 10);
  auto imported = registry_->ImportOffers(testing::Admin(), import, 0);
  ASSERT_EQ(imported.results_size(), 1);
  EXPECT_EQ(imported.results(0).outcome(), ImportResult::REJECTED);
  EXPECT_NE(imported.results(0).error_message().find("field number 1999"),
            std::string::npos);

  v1::CreateOrganizationRequest org;
  *org.mutable_organization() =
      testing::MakeOrg("B", v1::Organization::UNIVERSITY);
  AddUnknown(org.mutable_organization(), 10);
  expect_refused(registry_->CreateOrganization(testing::Admin(), org).status(),
                 "organization");

  EXPECT_EQ(sequence + 1, after_org);  // only the enterprise "E" was written
  EXPECT_EQ(catalog_->last_sequence(), after_org);
  auto stored = registry_->GetOffer(testing::Admin(), good.name());
  ASSERT_OK(stored);
  EXPECT_EQ(stored->title(), "Máy sấy");
  EXPECT_TRUE(stored->GetReflection()->GetUnknownFields(*stored).empty());
}

}  // namespace
}  // namespace techmatch::domain

namespace techmatch::domain {
namespace {

Caller As(Registry& registry, const std::string& org, v1::Role role) {
  Caller caller;
  caller.method = "test";
  caller.principal.key = "apiKeys/" + org;
  caller.principal.organization = org;
  caller.principal.role = role;
  caller.principal.org_kind =
      registry.GetOrganization(testing::Admin(), org)->kind();
  return caller;
}

// Issue 20, item 4: an external_ref held by a record the caller may not
// read was answered with the record's name (PERMISSION_DENIED on upsert,
// ALREADY_EXISTS on create, in import results too). Need refs are now
// unique per (centre, enterprise) and an upsert looks its ref up only for a
// record the caller may write, so no answer names a hidden record.
TEST_F(RegistryTest, ExternalRefsNeverRevealRecordsTheCallerCannotRead) {
  const std::string centre =
      CreateOrg("TT Đồng Nai", v1::Organization::REGIONAL_CENTRE);
  const std::string e1 = CreateOrg("E1", v1::Organization::ENTERPRISE, centre);
  const std::string e2 = CreateOrg("E2", v1::Organization::ENTERPRISE, centre);
  const std::string exchange =
      CreateOrg("Sàn", v1::Organization::NATIONAL_EXCHANGE);
  const std::string stranger = CreateOrg("S", v1::Organization::UNIVERSITY);

  // E2's confidential need, collected by the centre, ref "R-1".
  v1::CreateNeedRequest hidden;
  *hidden.mutable_need() = testing::MakeNeed(e2, "Bí mật");
  hidden.mutable_need()->set_centre(centre);
  hidden.mutable_need()->set_confidentiality(v1::CONFIDENTIAL);
  hidden.mutable_need()->set_external_ref("R-1");
  auto secret = registry_->CreateNeed(testing::Admin(), hidden);
  ASSERT_OK(secret);

  const Caller as_e1 = As(*registry_, e1, v1::ENTERPRISE);
  auto no_name = [&](const absl::Status& status) {
    EXPECT_EQ(status.message().find(secret->name()), std::string::npos)
        << status;
    EXPECT_EQ(status.message().find("R-1"), std::string::npos) << status;
  };
  // The same ref for E1's own need under the same centre: its own slot.
  v1::CreateNeedRequest mine = hidden;
  mine.mutable_need()->set_enterprise(e1);
  mine.mutable_need()->set_title("Của tôi");
  auto created = registry_->CreateNeed(as_e1, mine);
  ASSERT_OK(created);
  EXPECT_NE(created->name(), secret->name());
  v1::UpsertNeedRequest upsert;
  *upsert.mutable_need() = mine.need();
  upsert.mutable_need()->set_title("Của tôi, sửa");
  auto upserted = registry_->UpsertNeed(as_e1, upsert);
  ASSERT_OK(upserted);
  EXPECT_EQ(upserted->need().name(), created->name());
  EXPECT_EQ(upserted->outcome(), ImportResult::UPDATED);

  // Naming E2 as the enterprise: refused on the input, naming no need.
  upsert.mutable_need()->set_enterprise(e2);
  auto refused = registry_->UpsertNeed(as_e1, upsert);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  no_name(refused.status());
  v1::ImportNeedsRequest import;
  *import.add_needs() = upsert.need();
  auto imported = registry_->ImportNeeds(as_e1, import, 0);
  ASSERT_EQ(imported.results_size(), 1);
  EXPECT_EQ(imported.results(0).outcome(), ImportResult::REJECTED);
  EXPECT_EQ(imported.results(0).error_message().find(secret->name()),
            std::string::npos);
  EXPECT_TRUE(imported.results(0).name().empty());

  // Offers: an exchange upserting another organisation's draft by its ref.
  v1::CreateOfferRequest draft;
  *draft.mutable_offer() = testing::MakeOffer(stranger, "Bản nháp");
  draft.mutable_offer()->set_external_ref("R-1");
  auto held = registry_->CreateOffer(testing::Admin(), draft);
  ASSERT_OK(held);
  v1::UpsertOfferRequest offer_upsert;
  *offer_upsert.mutable_offer() = draft.offer();
  auto offer_refused = registry_->UpsertOffer(
      As(*registry_, exchange, v1::EXCHANGE_OPERATOR), offer_upsert);
  EXPECT_EQ(offer_refused.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(offer_refused.status().message().find(held->name()),
            std::string::npos)
      << offer_refused.status();

  // Where the caller can read the holder, a clash still names it.
  v1::CreateNeedRequest again = mine;
  auto clash = registry_->CreateNeed(as_e1, again);
  EXPECT_EQ(clash.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(clash.status().message().find(created->name()), std::string::npos);
}

}  // namespace
}  // namespace techmatch::domain

namespace techmatch::domain {
namespace {

// Issue 20, item 5: a centre moved its member enterprise to another centre
// (the "after" check looked up the stored organisation, still its member),
// which then read the confidential need the first centre had collected.
// Both checks now judge their own record.
TEST_F(RegistryTest, ACentreCannotMoveItsMemberOutOfItsReach) {
  const std::string c1 =
      CreateOrg("TT Đồng Nai", v1::Organization::REGIONAL_CENTRE);
  const std::string c2 =
      CreateOrg("TT Tây Ninh", v1::Organization::REGIONAL_CENTRE);
  const std::string member = CreateOrg("E", v1::Organization::ENTERPRISE, c1);
  const Caller as_c1 = As(*registry_, c1, v1::CENTRE_OPERATOR);

  v1::UpdateOrganizationRequest move;
  move.mutable_organization()->set_name(member);
  move.mutable_organization()->set_parent(c2);
  move.mutable_update_mask()->add_paths("parent");
  auto moved = registry_->UpdateOrganization(as_c1, move);
  EXPECT_EQ(moved.status().code(), absl::StatusCode::kPermissionDenied)
      << moved.status();
  EXPECT_EQ(registry_->GetOrganization(testing::Admin(), member)->parent(), c1);

  // Through an upsert or an import chunk the same.
  ASSERT_OK(registry_->UpdateOrganization(testing::Admin(), [&] {
    v1::UpdateOrganizationRequest r;
    r.mutable_organization()->set_name(member);
    r.mutable_organization()->set_external_ref("E-REF");
    r.mutable_update_mask()->add_paths("external_ref");
    return r;
  }()));
  v1::ImportOrganizationsRequest import;
  *import.add_organizations() =
      *registry_->GetOrganization(testing::Admin(), member);
  import.mutable_organizations(0)->set_parent(c2);
  import.mutable_organizations(0)->clear_name();
  import.mutable_organizations(0)->set_version(0);
  auto imported = registry_->ImportOrganizations(as_c1, import, 0);
  ASSERT_EQ(imported.results_size(), 1);
  EXPECT_EQ(imported.results(0).outcome(), ImportResult::REJECTED);
  EXPECT_EQ(imported.results(0).error_code(), "PERMISSION_DENIED");
  EXPECT_EQ(registry_->GetOrganization(testing::Admin(), member)->parent(), c1);

  // What stays in reach may still change.
  v1::UpdateOrganizationRequest rename;
  rename.mutable_organization()->set_name(member);
  rename.mutable_organization()->set_display_name("E mới");
  rename.mutable_update_mask()->add_paths("display_name");
  ASSERT_OK(registry_->UpdateOrganization(as_c1, rename));
  // The other centre cannot pull it either; an admin can move it.
  move.mutable_organization()->set_parent(c2);
  EXPECT_EQ(
      registry_
          ->UpdateOrganization(As(*registry_, c2, v1::CENTRE_OPERATOR), move)
          .status()
          .code(),
      absl::StatusCode::kPermissionDenied);
  ASSERT_OK(registry_->UpdateOrganization(testing::Admin(), move));
}

}  // namespace
}  // namespace techmatch::domain
