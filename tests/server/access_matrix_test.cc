// The authorisation matrix: every RPC of the API against every kind of
// caller, over gRPC, with the real server. Rows are RPC calls (some naming
// another organisation's records: swapped ids); columns are callers. Each
// cell is the status code the call must end with.
//
// Cast:   X  national exchange; S  a university belonging to X (supplier)
//         C1, C2  provincial centres; E1, E2  enterprises belonging to C1
// Callers: admin (the first key), owner (ENTERPRISE key of E1), same-centre
// (ENTERPRISE key of E2), centre (CENTRE_OPERATOR of C1), other centre
// (CENTRE_OPERATOR of C2), exchange (EXCHANGE_OPERATOR of X), integration
// (INTEGRATION key of E1), read-only (READ_ONLY key of E1), no key, a
// revoked key, an expired key.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "google/protobuf/util/time_util.h"
#include "server/techmatch_server.h"
#include "techmatch/v1/access.grpc.pb.h"
#include "techmatch/v1/admin.grpc.pb.h"
#include "techmatch/v1/alert.grpc.pb.h"
#include "techmatch/v1/connection.grpc.pb.h"
#include "techmatch/v1/feed.grpc.pb.h"
#include "techmatch/v1/match_service.grpc.pb.h"
#include "techmatch/v1/reference.grpc.pb.h"
#include "techmatch/v1/registry_service.grpc.pb.h"
#include "techmatch/v1/report.grpc.pb.h"
#include "tests/test_util.h"

namespace techmatch::server {
namespace {

namespace v1 = techmatch::v1;
using Code = grpc::StatusCode;
using google::protobuf::util::TimeUtil;

enum Who {
  kAdmin,
  kOwner,
  kSameCentre,
  kCentre,
  kOtherCentre,
  kExchange,
  kIntegration,
  kReadOnly,
  kNoKey,
  kRevoked,
  kExpired,
  kWhoCount
};

const char* const kWhoNames[] = {"admin",       "owner",        "same-centre",
                                 "centre",      "other-centre", "exchange",
                                 "integration", "read-only",    "no-key",
                                 "revoked",     "expired"};

constexpr Code OK = Code::OK;
constexpr Code PD = Code::PERMISSION_DENIED;
constexpr Code NF = Code::NOT_FOUND;

class AccessMatrixTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    ServerOptions options;
    options.data_dir = Path("db");
    options.reference_dir = testing::ReferenceDir();
    options.listen_address = "";
    options.limits.per_key.rate = 0;  // the matrix is not about rate limits
    options.backup_dir = Path("backups");
    auto server = TechmatchServer::Start(options, &clock_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = server_->InProcessChannel();
    keys_[kAdmin] = server_->bootstrap_key();

    x_ = CreateOrg("Sàn giao dịch công nghệ",
                   v1::Organization::NATIONAL_EXCHANGE, "");
    s_ = CreateOrg("Trường Đại học", v1::Organization::UNIVERSITY, x_);
    c1_ =
        CreateOrg("Trung tâm Đồng Nai", v1::Organization::REGIONAL_CENTRE, "");
    c2_ =
        CreateOrg("Trung tâm Tây Ninh", v1::Organization::REGIONAL_CENTRE, "");
    // A centre under the exchange: in its scope, seeing more than it does.
    c3_ = CreateOrg("Trung tâm TP.HCM", v1::Organization::REGIONAL_CENTRE, x_);
    e1_ = CreateOrg("Công ty thủy sản", v1::Organization::ENTERPRISE, c1_);
    e2_ = CreateOrg("Công ty gỗ", v1::Organization::ENTERPRISE, c1_);

    keys_[kOwner] = CreateKey(e1_, v1::ENTERPRISE);
    keys_[kSameCentre] = CreateKey(e2_, v1::ENTERPRISE);
    keys_[kCentre] = CreateKey(c1_, v1::CENTRE_OPERATOR);
    keys_[kOtherCentre] = CreateKey(c2_, v1::CENTRE_OPERATOR);
    keys_[kExchange] = CreateKey(x_, v1::EXCHANGE_OPERATOR);
    keys_[kIntegration] = CreateKey(e1_, v1::INTEGRATION);
    keys_[kReadOnly] = CreateKey(e1_, v1::READ_ONLY);
    keys_[kNoKey] = "";
    std::string revoked_name;
    keys_[kRevoked] = CreateKey(e1_, v1::ENTERPRISE, &revoked_name);
    {
      auto stub = v1::AccessService::NewStub(channel_);
      auto context = Context(kAdmin);
      v1::RevokeApiKeyRequest revoke;
      revoke.set_name(revoked_name);
      v1::ApiKey out;
      ASSERT_TRUE(stub->RevokeApiKey(context.get(), revoke, &out).ok());
    }
    keys_[kExpired] = CreateKey(e1_, v1::ENTERPRISE, nullptr,
                                clock_.Now() + absl::Minutes(10));
    clock_.Advance(absl::Hours(1));

    published_offer_ =
        CreateOffer(e1_, "Xử lý nước thải thủy sản MBBR", true, "O1REF");
    draft_offer_ = CreateOffer(e1_, "Bản nháp công nghệ sấy", false, "");
    public_need_ = CreateNeed(false, "N1REF");
    confidential_need_ = CreateNeed(true, "");
  }

  void TearDown() override {
    server_.reset();
    TempDirTest::TearDown();
  }

  std::unique_ptr<grpc::ClientContext> Context(Who who) const {
    auto context = std::make_unique<grpc::ClientContext>();
    if (!keys_[who].empty()) {
      context->AddMetadata("authorization", "Bearer " + keys_[who]);
    }
    return context;
  }

  std::string CreateOrg(const std::string& name, v1::Organization::Kind kind,
                        const std::string& parent) {
    auto stub = v1::OrganizationService::NewStub(channel_);
    auto context = Context(kAdmin);
    v1::CreateOrganizationRequest request;
    *request.mutable_organization() = testing::MakeOrg(name, kind);
    request.mutable_organization()->set_parent(parent);
    v1::Organization out;
    grpc::Status status =
        stub->CreateOrganization(context.get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out.name();
  }

  std::string CreateKey(const std::string& org, v1::Role role,
                        std::string* name = nullptr,
                        std::optional<absl::Time> expire = std::nullopt) {
    auto stub = v1::AccessService::NewStub(channel_);
    auto context = Context(kAdmin);
    v1::CreateApiKeyRequest request;
    request.mutable_api_key()->set_organization(org);
    request.mutable_api_key()->set_role(role);
    if (expire.has_value()) {
      *request.mutable_api_key()->mutable_expire_time() =
          TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(*expire));
    }
    v1::CreateApiKeyResponse out;
    grpc::Status status = stub->CreateApiKey(context.get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    if (name != nullptr) *name = out.api_key().name();
    return out.secret();
  }

  std::string CreateOffer(const std::string& owner, const std::string& title,
                          bool published, const std::string& ref) {
    auto stub = v1::OfferService::NewStub(channel_);
    auto context = Context(kAdmin);
    v1::CreateOfferRequest request;
    *request.mutable_offer() = testing::MakeOffer(owner, title);
    request.mutable_offer()->set_external_ref(ref);
    if (published) request.mutable_offer()->set_state(v1::PUBLISHED);
    v1::Offer out;
    grpc::Status status = stub->CreateOffer(context.get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out.name();
  }

  std::string CreateNeed(bool confidential, const std::string& ref) {
    auto stub = v1::NeedService::NewStub(channel_);
    auto context = Context(kAdmin);
    v1::CreateNeedRequest request;
    *request.mutable_need() = testing::MakeNeed(
        e1_, confidential ? "Xử lý nước thải thủy sản bí mật"
                          : "Xử lý nước thải thủy sản 500 m3");
    request.mutable_need()->set_centre(c1_);
    request.mutable_need()->set_external_ref(ref);
    request.mutable_need()->set_state(v1::PUBLISHED);
    if (confidential)
      request.mutable_need()->set_confidentiality(v1::CONFIDENTIAL);
    v1::Need out;
    grpc::Status status = stub->CreateNeed(context.get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out.name();
  }

  // Maps an import result to the code the same call would have answered.
  static Code ImportCode(const v1::ImportResponse& response) {
    if (response.results_size() != 1) return Code::UNKNOWN;
    const v1::ImportResult& r = response.results(0);
    if (r.outcome() != v1::ImportResult::REJECTED) return OK;
    if (r.error_code() == "PERMISSION_DENIED") return PD;
    if (r.error_code() == "NOT_FOUND") return NF;
    return Code::UNKNOWN;
  }

  FakeClock clock_{absl::FromUnixSeconds(1790000000)};
  std::unique_ptr<TechmatchServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::string keys_[kWhoCount];
  std::string x_, s_, c1_, c2_, c3_, e1_, e2_;
  std::string published_offer_, draft_offer_, public_need_, confidential_need_;
};

// One row: a call made as `who`, returning the status code it ended with.
struct Row {
  std::string rpc;
  std::function<Code(Who who)> call;
  // Expected code for the eight authenticated callers, in Who order; the
  // three unauthenticated ones always expect UNAUTHENTICATED.
  std::vector<Code> expect;
};

TEST_F(AccessMatrixTest, EveryRpcAgainstEveryCaller) {
  auto orgs = v1::OrganizationService::NewStub(channel_);
  auto offers = v1::OfferService::NewStub(channel_);
  auto needs = v1::NeedService::NewStub(channel_);
  auto match = v1::MatchService::NewStub(channel_);
  auto reference = v1::ReferenceService::NewStub(channel_);
  auto access = v1::AccessService::NewStub(channel_);
  auto connections = v1::ConnectionService::NewStub(channel_);
  auto admin = v1::AdminService::NewStub(channel_);
  auto feed = v1::FeedService::NewStub(channel_);
  auto reports = v1::ReportService::NewStub(channel_);
  auto alert_stub = v1::AlertService::NewStub(channel_);
  // Alerts for the setup's records (the engine also runs on its thread).
  for (int i = 0; i < 20 && server_->alert_engine()->RunOnce().value_or(0) >= 0;
       ++i) {
  }
  int restores = 0;
  // A connection between E1's public need and a fresh published offer of
  // E1, made by the admin.
  auto fresh_connection = [&]() {
    std::string offer = CreateOffer(e1_, "Công nghệ kết nối", true, "");
    auto context = Context(kAdmin);
    v1::CreateConnectionRequest r;
    r.set_need(public_need_);
    r.set_offer(offer);
    v1::Connection c;
    EXPECT_TRUE(connections->CreateConnection(context.get(), r, &c).ok());
    return c.name();
  };
  const std::string shared_connection = fresh_connection();

  auto unary = [&](auto method) {
    return [this, method](Who who) {
      auto context = Context(who);
      return method(context.get()).error_code();
    };
  };
  // Runs a one-record import stream as `who`; the per-record outcome is
  // the cell's code when the stream itself is admitted.
  auto import = [&](auto open, auto chunk) {
    return [this, open, chunk](Who who) {
      auto context = Context(who);
      auto stream = open(context.get());
      stream->Write(chunk);
      stream->WritesDone();
      v1::ImportResponse response;
      bool got = stream->Read(&response);
      grpc::Status status = stream->Finish();
      if (!status.ok()) return status.error_code();
      return got ? ImportCode(response) : Code::UNKNOWN;
    };
  };
  // Visibility probes: OK when `name` is among the listed, NOT_FOUND when
  // the list call succeeded without it.
  auto listed = [](const auto& items, const std::string& name) {
    for (const auto& item : items) {
      if (item.name() == name) return OK;
    }
    return NF;
  };

  const std::string published_offer = published_offer_,
                    draft_offer = draft_offer_;
  const std::string public_need = public_need_,
                    confidential_need = confidential_need_;
  const std::string e1 = e1_, c1 = c1_, c3 = c3_, s = s_;
  //                               admin owner same centre other exch integ ro
  std::vector<Row> rows = {
      {"CreateOrganization (member of C1)",
       unary([&](grpc::ClientContext* c) {
         v1::CreateOrganizationRequest r;
         *r.mutable_organization() = testing::MakeOrg("Mới", v1::Organization::ENTERPRISE);
         r.mutable_organization()->set_parent(c1);
         v1::Organization o;
         return orgs->CreateOrganization(c, r, &o);
       }),
       {OK, PD, PD, OK, PD, PD, PD, PD}},
      {"CreateOrganization (a centre)",
       unary([&](grpc::ClientContext* c) {
         v1::CreateOrganizationRequest r;
         *r.mutable_organization() =
             testing::MakeOrg("Trung tâm mới", v1::Organization::REGIONAL_CENTRE);
         v1::Organization o;
         return orgs->CreateOrganization(c, r, &o);
       }),
       {OK, PD, PD, PD, PD, PD, PD, PD}},
      {"GetOrganization E1",
       unary([&](grpc::ClientContext* c) {
         v1::GetRequest r;
         r.set_name(e1);
         v1::Organization o;
         return orgs->GetOrganization(c, r, &o);
       }),
       {OK, OK, OK, OK, OK, OK, OK, OK}},
      {"UpdateOrganization E1",
       unary([&](grpc::ClientContext* c) {
         v1::UpdateOrganizationRequest r;
         r.mutable_organization()->set_name(e1);
         r.mutable_organization()->set_display_name("Công ty thủy sản (sửa)");
         v1::Organization o;
         return orgs->UpdateOrganization(c, r, &o);
       }),
       {OK, OK, PD, OK, PD, PD, OK, PD}},
      {"UpdateOrganization E1 into a centre",
       unary([&](grpc::ClientContext* c) {
         v1::UpdateOrganizationRequest r;
         r.mutable_organization()->set_name(e1);
         r.mutable_organization()->set_kind(v1::Organization::REGIONAL_CENTRE);
         r.mutable_update_mask()->add_paths("kind");
         r.mutable_organization()->set_version(0);
         v1::Organization o;
         grpc::Status st = orgs->UpdateOrganization(c, r, &o);
         if (st.ok()) {  // admin: put it back
           grpc::ClientContext back;
           back.AddMetadata("authorization", "Bearer " + keys_[kAdmin]);
           r.mutable_organization()->set_kind(v1::Organization::ENTERPRISE);
           EXPECT_TRUE(orgs->UpdateOrganization(&back, r, &o).ok());
         }
         return st;
       }),
       {OK, PD, PD, PD, PD, PD, PD, PD}},
      {"UpsertOrganization (new member of C1)",
       unary([&](grpc::ClientContext* c) {
         v1::UpsertOrganizationRequest r;
         *r.mutable_organization() = testing::MakeOrg("Thành viên", v1::Organization::ENTERPRISE);
         r.mutable_organization()->set_parent(c1);
         r.mutable_organization()->set_external_ref("MEMBER-1");
         v1::UpsertOrganizationResponse o;
         return orgs->UpsertOrganization(c, r, &o);
       }),
       {OK, PD, PD, OK, PD, PD, PD, PD}},
      {"ListOrganizations",
       unary([&](grpc::ClientContext* c) {
         v1::ListOrganizationsRequest r;
         v1::ListOrganizationsResponse o;
         return orgs->ListOrganizations(c, r, &o);
       }),
       {OK, OK, OK, OK, OK, OK, OK, OK}},
      {"ImportOrganizations (member of C1)",
       import([&](grpc::ClientContext* c) { return orgs->ImportOrganizations(c); },
              [&] {
                v1::ImportOrganizationsRequest r;
                *r.add_organizations() =
                    testing::MakeOrg("Nhập", v1::Organization::ENTERPRISE);
                r.mutable_organizations(0)->set_parent(c1);
                return r;
              }()),
       {OK, PD, PD, OK, PD, PD, PD, PD}},

      {"CreateOffer owner=E1",
       unary([&](grpc::ClientContext* c) {
         v1::CreateOfferRequest r;
         *r.mutable_offer() = testing::MakeOffer(e1, "Công nghệ mới");
         v1::Offer o;
         return offers->CreateOffer(c, r, &o);
       }),
       {OK, OK, PD, OK, PD, PD, OK, PD}},
      {"CreateOffer owner=S (the exchange's supplier)",
       unary([&](grpc::ClientContext* c) {
         v1::CreateOfferRequest r;
         *r.mutable_offer() = testing::MakeOffer(s, "Công nghệ của trường");
         v1::Offer o;
         return offers->CreateOffer(c, r, &o);
       }),
       {OK, PD, PD, PD, PD, OK, PD, PD}},
      {"GetOffer published",
       unary([&](grpc::ClientContext* c) {
         v1::GetRequest r;
         r.set_name(published_offer);
         v1::Offer o;
         return offers->GetOffer(c, r, &o);
       }),
       {OK, OK, OK, OK, OK, OK, OK, OK}},
      {"GetOffer draft",
       unary([&](grpc::ClientContext* c) {
         v1::GetRequest r;
         r.set_name(draft_offer);
         v1::Offer o;
         return offers->GetOffer(c, r, &o);
       }),
       {OK, OK, NF, OK, NF, NF, OK, OK}},
      {"UpdateOffer published (E1's)",
       unary([&](grpc::ClientContext* c) {
         v1::UpdateOfferRequest r;
         r.mutable_offer()->set_name(published_offer);
         r.mutable_offer()->set_summary("Tóm tắt");
         v1::Offer o;
         return offers->UpdateOffer(c, r, &o);
       }),
       {OK, OK, PD, OK, PD, PD, OK, PD}},
      {"UpdateOffer draft (E1's)",
       unary([&](grpc::ClientContext* c) {
         v1::UpdateOfferRequest r;
         r.mutable_offer()->set_name(draft_offer);
         r.mutable_offer()->set_summary("Tóm tắt nháp");
         v1::Offer o;
         return offers->UpdateOffer(c, r, &o);
       }),
       {OK, OK, NF, OK, NF, NF, OK, PD}},
      {"UpsertOffer O1REF of E1",
       unary([&](grpc::ClientContext* c) {
         v1::UpsertOfferRequest r;
         *r.mutable_offer() = testing::MakeOffer(e1, "Xử lý nước thải thủy sản MBBR");
         r.mutable_offer()->set_external_ref("O1REF");
         r.mutable_offer()->set_state(v1::PUBLISHED);
         v1::UpsertOfferResponse o;
         return offers->UpsertOffer(c, r, &o);
       }),
       {OK, OK, PD, OK, PD, PD, OK, PD}},
      {"PublishOffer (already published)",
       unary([&](grpc::ClientContext* c) {
         v1::PublishRequest r;
         r.set_name(published_offer);
         v1::Offer o;
         return offers->PublishOffer(c, r, &o);
       }),
       {OK, OK, PD, OK, PD, PD, OK, PD}},
      {"WithdrawOffer (a fresh one of E1)",
       [&](Who who) {
         std::string fresh = CreateOffer(e1, "Công nghệ để rút", true, "");
         auto context = Context(who);
         v1::WithdrawRequest r;
         r.set_name(fresh);
         v1::Offer o;
         return offers->WithdrawOffer(context.get(), r, &o).error_code();
       },
       {OK, OK, PD, OK, PD, PD, OK, PD}},
      {"ListOffers owner=E1 shows the draft",
       [&](Who who) {
         auto context = Context(who);
         v1::ListOffersRequest r;
         r.set_owner(e1);
         r.set_page_size(1000);
         v1::ListOffersResponse o;
         grpc::Status st = offers->ListOffers(context.get(), r, &o);
         return st.ok() ? listed(o.offers(), draft_offer) : st.error_code();
       },
       {OK, OK, NF, OK, NF, NF, OK, OK}},
      {"ImportOffers owner=E1",
       import([&](grpc::ClientContext* c) { return offers->ImportOffers(c); },
              [&] {
                v1::ImportOffersRequest r;
                *r.add_offers() = testing::MakeOffer(e1, "Nhập công nghệ");
                return r;
              }()),
       {OK, OK, PD, OK, PD, PD, OK, PD}},

      {"CreateNeed enterprise=E1 centre=C1",
       unary([&](grpc::ClientContext* c) {
         v1::CreateNeedRequest r;
         *r.mutable_need() = testing::MakeNeed(e1, "Nhu cầu mới");
         r.mutable_need()->set_centre(c1);
         v1::Need o;
         return needs->CreateNeed(c, r, &o);
       }),
       {OK, OK, PD, OK, PD, PD, OK, PD}},
      {"GetNeed public",
       unary([&](grpc::ClientContext* c) {
         v1::GetRequest r;
         r.set_name(public_need);
         v1::Need o;
         return needs->GetNeed(c, r, &o);
       }),
       {OK, OK, OK, OK, OK, OK, OK, OK}},
      {"GetNeed confidential",
       unary([&](grpc::ClientContext* c) {
         v1::GetRequest r;
         r.set_name(confidential_need);
         v1::Need o;
         return needs->GetNeed(c, r, &o);
       }),
       {OK, OK, NF, OK, NF, NF, OK, OK}},
      {"UpdateNeed confidential",
       unary([&](grpc::ClientContext* c) {
         v1::UpdateNeedRequest r;
         r.mutable_need()->set_name(confidential_need);
         r.mutable_need()->set_min_trl(6);
         v1::Need o;
         return needs->UpdateNeed(c, r, &o);
       }),
       {OK, OK, NF, OK, NF, NF, OK, PD}},
      {"UpdateNeed public (E1's)",
       unary([&](grpc::ClientContext* c) {
         v1::UpdateNeedRequest r;
         r.mutable_need()->set_name(public_need);
         r.mutable_need()->set_min_trl(5);
         v1::Need o;
         return needs->UpdateNeed(c, r, &o);
       }),
       {OK, OK, PD, OK, PD, PD, OK, PD}},
      {"UpsertNeed N1REF (registered by C1)",
       unary([&](grpc::ClientContext* c) {
         v1::UpsertNeedRequest r;
         *r.mutable_need() = testing::MakeNeed(e1, "Xử lý nước thải thủy sản 500 m3");
         r.mutable_need()->set_centre(c1);
         r.mutable_need()->set_external_ref("N1REF");
         r.mutable_need()->set_state(v1::PUBLISHED);
         v1::UpsertNeedResponse o;
         return needs->UpsertNeed(c, r, &o);
       }),
       {OK, OK, PD, OK, PD, PD, OK, PD}},
      {"PublishNeed confidential",
       unary([&](grpc::ClientContext* c) {
         v1::PublishRequest r;
         r.set_name(confidential_need);
         v1::Need o;
         return needs->PublishNeed(c, r, &o);
       }),
       {OK, OK, NF, OK, NF, NF, OK, PD}},
      {"WithdrawNeed (a fresh confidential one)",
       [&](Who who) {
         std::string fresh = CreateNeed(true, "");
         auto context = Context(who);
         v1::WithdrawRequest r;
         r.set_name(fresh);
         v1::Need o;
         return needs->WithdrawNeed(context.get(), r, &o).error_code();
       },
       {OK, OK, NF, OK, NF, NF, OK, PD}},
      {"ListNeeds enterprise=E1 shows the confidential need",
       [&](Who who) {
         auto context = Context(who);
         v1::ListNeedsRequest r;
         r.set_enterprise(e1);
         r.set_page_size(1000);
         v1::ListNeedsResponse o;
         grpc::Status st = needs->ListNeeds(context.get(), r, &o);
         return st.ok() ? listed(o.needs(), confidential_need) : st.error_code();
       },
       {OK, OK, NF, OK, NF, NF, OK, OK}},
      {"ImportNeeds enterprise=E1",
       import([&](grpc::ClientContext* c) { return needs->ImportNeeds(c); },
              [&] {
                v1::ImportNeedsRequest r;
                *r.add_needs() = testing::MakeNeed(e1, "Nhập nhu cầu");
                return r;
              }()),
       {OK, OK, PD, OK, PD, PD, OK, PD}},

      {"MatchOffersForNeed confidential",
       unary([&](grpc::ClientContext* c) {
         v1::MatchOffersForNeedRequest r;
         r.set_need(confidential_need);
         v1::MatchOffersForNeedResponse o;
         return match->MatchOffersForNeed(c, r, &o);
       }),
       {OK, OK, NF, OK, NF, NF, OK, OK}},
      {"MatchNeedsForOffer never shows the confidential need",
       [&](Who who) {
         auto context = Context(who);
         v1::MatchNeedsForOfferRequest r;
         r.set_offer(published_offer);
         r.set_page_size(100);
         v1::MatchNeedsForOfferResponse o;
         grpc::Status st = match->MatchNeedsForOffer(context.get(), r, &o);
         if (!st.ok()) return st.error_code();
         for (const auto& m : o.matches()) {
           if (m.need().name() == confidential_need) return Code::DATA_LOSS;
         }
         return o.matches_size() > 0 ? OK : Code::UNKNOWN;
       },
       {OK, OK, OK, OK, OK, OK, OK, OK}},
      {"SearchNeeds never shows the confidential need",
       [&](Who who) {
         auto context = Context(who);
         v1::SearchRequest r;
         r.set_query("xu ly nuoc thai thuy san bi mat");
         v1::SearchNeedsResponse o;
         grpc::Status st = match->SearchNeeds(context.get(), r, &o);
         if (!st.ok()) return st.error_code();
         for (const auto& m : o.results()) {
           if (m.need().name() == confidential_need) return Code::DATA_LOSS;
         }
         return OK;
       },
       {OK, OK, OK, OK, OK, OK, OK, OK}},
      {"SearchOffers",
       unary([&](grpc::ClientContext* c) {
         v1::SearchRequest r;
         r.set_query("nuoc thai");
         v1::SearchOffersResponse o;
         return match->SearchOffers(c, r, &o);
       }),
       {OK, OK, OK, OK, OK, OK, OK, OK}},
      {"ListSectors",
       unary([&](grpc::ClientContext* c) {
         v1::ListSectorsResponse o;
         return reference->ListSectors(c, {}, &o);
       }),
       {OK, OK, OK, OK, OK, OK, OK, OK}},

      {"CreateConnection (E1's need and a fresh offer of E1)",
       [&](Who who) {
         std::string offer = CreateOffer(e1, "Công nghệ mới để kết nối", true, "");
         auto context = Context(who);
         v1::CreateConnectionRequest r;
         r.set_need(public_need);
         r.set_offer(offer);
         v1::Connection o;
         return connections->CreateConnection(context.get(), r, &o).error_code();
       },
       {OK, PD, PD, OK, PD, PD, PD, PD}},
      {"GetConnection",
       unary([&](grpc::ClientContext* c) {
         v1::GetConnectionRequest r;
         r.set_name(shared_connection);
         v1::Connection o;
         return connections->GetConnection(c, r, &o);
       }),
       {OK, OK, NF, OK, NF, NF, OK, OK}},
      {"TransitionConnection (a fresh one)",
       [&](Who who) {
         std::string name = fresh_connection();
         auto context = Context(who);
         v1::TransitionConnectionRequest r;
         r.set_name(name);
         r.set_to(v1::Connection::INTEREST_EXPRESSED);
         v1::Connection o;
         return connections->TransitionConnection(context.get(), r, &o).error_code();
       },
       {OK, PD, NF, OK, NF, NF, PD, PD}},
      {"ListConnections shows the shared connection",
       [&](Who who) {
         auto context = Context(who);
         v1::ListConnectionsRequest r;
         r.set_page_size(1000);
         v1::ListConnectionsResponse o;
         grpc::Status st = connections->ListConnections(context.get(), r, &o);
         return st.ok() ? listed(o.connections(), shared_connection) : st.error_code();
       },
       {OK, OK, NF, OK, NF, NF, OK, OK}},

      {"WatchChanges shows the confidential need",
       [&](Who who) {
         auto context = Context(who);
         v1::WatchChangesRequest r;
         auto reader = feed->WatchChanges(context.get(), r);
         v1::FeedEvent e;
         bool seen = false;
         while (reader->Read(&e)) seen |= e.change().resource() == confidential_need;
         grpc::Status st = reader->Finish();
         return st.ok() ? (seen ? OK : NF) : st.error_code();
       },
       {OK, OK, NF, OK, NF, NF, OK, OK}},
      {"GetReport (counts only)",
       unary([&](grpc::ClientContext* c) {
         v1::ReportRequest r;
         v1::Report o;
         return reports->GetReport(c, r, &o);
       }),
       {OK, OK, OK, OK, OK, OK, OK, OK}},
      {"WatchAlerts (only the recipient's)",
       [&](Who who) {
         auto context = Context(who);
         v1::WatchAlertsRequest r;
         auto reader = alert_stub->WatchAlerts(context.get(), r);
         v1::Alert a;
         // The organisation each caller acts for.
         const std::string own = who == kSameCentre    ? e2_
                                 : who == kCentre      ? c1_
                                 : who == kOtherCentre ? c2_
                                 : who == kExchange    ? x_
                                                       : e1_;
         bool foreign = false;
         while (reader->Read(&a)) foreign |= who != kAdmin && a.recipient() != own;
         grpc::Status st = reader->Finish();
         return st.ok() ? (foreign ? Code::DATA_LOSS : OK) : st.error_code();
       },
       {OK, OK, OK, OK, OK, OK, OK, OK}},
      {"PullAlerts",
       unary([&](grpc::ClientContext* c) {
         v1::PullAlertsResponse o;
         return alert_stub->PullAlerts(c, {}, &o);
       }),
       {OK, OK, OK, OK, OK, OK, OK, OK}},
      {"CreateBackup",
       unary([&](grpc::ClientContext* c) {
         v1::Backup o;
         return admin->CreateBackup(c, {}, &o);
       }),
       {OK, PD, PD, PD, PD, PD, PD, PD}},
      {"ListBackups",
       unary([&](grpc::ClientContext* c) {
         v1::ListBackupsResponse o;
         return admin->ListBackups(c, {}, &o);
       }),
       {OK, PD, PD, PD, PD, PD, PD, PD}},
      {"VerifyBackup 1",
       unary([&](grpc::ClientContext* c) {
         v1::VerifyBackupRequest r;
         r.set_id(1);
         v1::Backup o;
         return admin->VerifyBackup(c, r, &o);
       }),
       {OK, PD, PD, PD, PD, PD, PD, PD}},
      {"RestoreBackup 1 into a new directory",
       unary([&](grpc::ClientContext* c) {
         v1::RestoreBackupRequest r;
         r.set_id(1);
         r.set_target_dir(Path("restore-" + std::to_string(++restores)));
         v1::RestoreBackupResponse o;
         return admin->RestoreBackup(c, r, &o);
       }),
       {OK, PD, PD, PD, PD, PD, PD, PD}},

      {"GetCaller",
       unary([&](grpc::ClientContext* c) {
         v1::Caller o;
         return access->GetCaller(c, {}, &o);
       }),
       {OK, OK, OK, OK, OK, OK, OK, OK}},
      {"CreateApiKey ENTERPRISE for E1",
       unary([&](grpc::ClientContext* c) {
         v1::CreateApiKeyRequest r;
         r.mutable_api_key()->set_organization(e1);
         r.mutable_api_key()->set_role(v1::ENTERPRISE);
         v1::CreateApiKeyResponse o;
         return access->CreateApiKey(c, r, &o);
       }),
       {OK, PD, PD, OK, PD, PD, PD, PD}},
      {"CreateApiKey CENTRE_OPERATOR for C1",
       unary([&](grpc::ClientContext* c) {
         v1::CreateApiKeyRequest r;
         r.mutable_api_key()->set_organization(c1);
         r.mutable_api_key()->set_role(v1::CENTRE_OPERATOR);
         v1::CreateApiKeyResponse o;
         return access->CreateApiKey(c, r, &o);
       }),
       {OK, PD, PD, PD, PD, PD, PD, PD}},
      // Issue 20, item 6: a key may never see further than its creator. A
      // centre under the exchange sees its members and the needs it
      // collected, which the exchange does not: the exchange (and its
      // integrations) may not mint keys for it; the centre may for itself.
      {"CreateApiKey READ_ONLY for C3 (a centre under the exchange)",
       unary([&](grpc::ClientContext* c) {
         v1::CreateApiKeyRequest r;
         r.mutable_api_key()->set_organization(c3);
         r.mutable_api_key()->set_role(v1::READ_ONLY);
         v1::CreateApiKeyResponse o;
         return access->CreateApiKey(c, r, &o);
       }),
       {OK, PD, PD, PD, PD, PD, PD, PD}},
      {"CreateApiKey INTEGRATION for C3 (a centre under the exchange)",
       unary([&](grpc::ClientContext* c) {
         v1::CreateApiKeyRequest r;
         r.mutable_api_key()->set_organization(c3);
         r.mutable_api_key()->set_role(v1::INTEGRATION);
         v1::CreateApiKeyResponse o;
         return access->CreateApiKey(c, r, &o);
       }),
       {OK, PD, PD, PD, PD, PD, PD, PD}},
      {"CreateApiKey READ_ONLY for C1 (the centre's own organisation)",
       unary([&](grpc::ClientContext* c) {
         v1::CreateApiKeyRequest r;
         r.mutable_api_key()->set_organization(c1);
         r.mutable_api_key()->set_role(v1::READ_ONLY);
         v1::CreateApiKeyResponse o;
         return access->CreateApiKey(c, r, &o);
       }),
       {OK, PD, PD, OK, PD, PD, PD, PD}},
      {"RevokeApiKey (a fresh READ_ONLY key of E1)",
       [&](Who who) {
         std::string name;
         CreateKey(e1, v1::READ_ONLY, &name);
         auto context = Context(who);
         v1::RevokeApiKeyRequest r;
         r.set_name(name);
         v1::ApiKey o;
         return access->RevokeApiKey(context.get(), r, &o).error_code();
       },
       {OK, NF, NF, OK, NF, NF, NF, NF}},
      {"ListApiKeys",
       unary([&](grpc::ClientContext* c) {
         v1::ListApiKeysResponse o;
         return access->ListApiKeys(c, {}, &o);
       }),
       {OK, OK, OK, OK, OK, OK, OK, OK}},
      {"ListAuditRecords",
       unary([&](grpc::ClientContext* c) {
         v1::ListAuditRecordsResponse o;
         return access->ListAuditRecords(c, {}, &o);
       }),
       {OK, PD, PD, PD, PD, PD, PD, PD}},
  };

  int cells = 0;
  for (const Row& row : rows) {
    ASSERT_EQ(row.expect.size(), 8u) << row.rpc;
    for (int w = 0; w < kWhoCount; ++w) {
      Code want = w < kNoKey ? row.expect[w] : Code::UNAUTHENTICATED;
      Code got = row.call(static_cast<Who>(w));
      EXPECT_EQ(got, want) << row.rpc << " as " << kWhoNames[w];
      ++cells;
    }
  }
  EXPECT_EQ(cells, static_cast<int>(rows.size()) * kWhoCount);
  std::printf("authorisation matrix: %zu calls x %d callers = %d cells\n",
              rows.size(), kWhoCount, cells);
}

TEST_F(AccessMatrixTest, AuditHoldsRefusalsAndMutationsButNoSecret) {
  auto offers = v1::OfferService::NewStub(channel_);
  {  // a denied change of another organisation's offer
    auto context = Context(kSameCentre);
    v1::UpdateOfferRequest r;
    r.mutable_offer()->set_name(published_offer_);
    r.mutable_offer()->set_summary("x");
    v1::Offer o;
    ASSERT_EQ(offers->UpdateOffer(context.get(), r, &o).error_code(), PD);
  }
  {  // a read of a draft the caller may not see: NOT_FOUND to it, audited
    auto context = Context(kExchange);
    v1::GetRequest r;
    r.set_name(draft_offer_);
    v1::Offer o;
    ASSERT_EQ(offers->GetOffer(context.get(), r, &o).error_code(), NF);
  }
  {  // a call with a revoked key
    auto context = Context(kRevoked);
    v1::GetRequest r;
    r.set_name(published_offer_);
    v1::Offer o;
    ASSERT_EQ(offers->GetOffer(context.get(), r, &o).error_code(),
              Code::UNAUTHENTICATED);
  }
  auto access = v1::AccessService::NewStub(channel_);
  auto context = Context(kAdmin);
  v1::ListAuditRecordsRequest request;
  request.set_page_size(1000);
  v1::ListAuditRecordsResponse response;
  ASSERT_TRUE(access->ListAuditRecords(context.get(), request, &response).ok());
  bool saw_denied_update = false, saw_hidden_read = false, saw_revoked = false,
       saw_create = false;
  for (const v1::AuditRecord& r : response.records()) {
    std::string all = r.DebugString();
    for (const std::string& key : keys_) {
      if (!key.empty()) {
        EXPECT_EQ(all.find(key), std::string::npos)
            << "a key secret in the audit log";
      }
    }
    EXPECT_EQ(all.find("tmk_"), std::string::npos) << all;
    saw_denied_update |= r.method() == "OfferService.UpdateOffer" &&
                         r.object() == published_offer_ &&
                         r.outcome() == "PERMISSION_DENIED";
    saw_hidden_read |= r.method() == "OfferService.GetOffer" &&
                       r.object() == draft_offer_ &&
                       r.outcome() == "PERMISSION_DENIED";
    saw_revoked |= r.method() == "OfferService.GetOffer" &&
                   r.outcome() == "UNAUTHENTICATED" &&
                   r.detail().find("revoked") != std::string::npos;
    saw_create |= r.method() == "OfferService.CreateOffer" &&
                  r.object() == draft_offer_ && r.outcome() == "OK";
  }
  EXPECT_TRUE(saw_denied_update);
  EXPECT_TRUE(saw_hidden_read);
  EXPECT_TRUE(saw_revoked);
  EXPECT_TRUE(saw_create);

  // Filters: only refusals.
  grpc::ClientContext c2;
  c2.AddMetadata("authorization", "Bearer " + keys_[kAdmin]);
  request.set_outcome("DENIED");
  ASSERT_TRUE(access->ListAuditRecords(&c2, request, &response).ok());
  ASSERT_GE(response.records_size(), 3);
  for (const auto& r : response.records()) EXPECT_NE(r.outcome(), "OK");
}

TEST_F(AccessMatrixTest, RateLimitAnswersResourceExhaustedWithARetryHint) {
  server_.reset();
  ServerOptions options;
  options.data_dir = Path("db");
  options.reference_dir = testing::ReferenceDir();
  options.listen_address = "";
  options.limits.per_key = {1, 3, 100};
  auto server = TechmatchServer::Start(options, &clock_);
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = *std::move(server);
  auto access = v1::AccessService::NewStub(server_->InProcessChannel());
  int ok = 0;
  for (int i = 0; i < 3; ++i) {
    auto context = Context(kOwner);
    v1::Caller o;
    ok += access->GetCaller(context.get(), {}, &o).ok();
  }
  EXPECT_EQ(ok, 3);  // the burst
  auto context = Context(kOwner);
  v1::Caller o;
  grpc::Status limited = access->GetCaller(context.get(), {}, &o);
  EXPECT_EQ(limited.error_code(), Code::RESOURCE_EXHAUSTED);
  auto hint = context->GetServerTrailingMetadata().find("retry-after-ms");
  ASSERT_NE(hint, context->GetServerTrailingMetadata().end());
  EXPECT_EQ(std::string(hint->second.data(), hint->second.size()), "1000");
  // Another key has its own bucket.
  auto other = Context(kCentre);
  EXPECT_TRUE(access->GetCaller(other.get(), {}, &o).ok());
  clock_.Advance(absl::Seconds(1));
  auto again = Context(kOwner);
  EXPECT_TRUE(access->GetCaller(again.get(), {}, &o).ok());
}

TEST_F(AccessMatrixTest, TheLastAdminKeyCannotBeRevoked) {
  auto access = v1::AccessService::NewStub(channel_);
  auto context = Context(kAdmin);
  v1::Caller me;
  ASSERT_TRUE(access->GetCaller(context.get(), {}, &me).ok());
  auto revoke = Context(kAdmin);
  v1::RevokeApiKeyRequest r;
  r.set_name(me.api_key().name());
  v1::ApiKey o;
  EXPECT_EQ(access->RevokeApiKey(revoke.get(), r, &o).error_code(),
            Code::FAILED_PRECONDITION);
}

}  // namespace
}  // namespace techmatch::server
