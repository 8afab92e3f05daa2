// Crash test: writers create and update offers, and move connections along,
// against techmatchd while the alert engine raises alerts for a standing
// need; the server is killed with SIGKILL at random moments. After each
// restart every acknowledged write must be present and intact, every record
// whole (its fields agree with each other), every connection's history as
// long as its version, and no (need, offer) pair alerted twice; at the end
// every published offer has its alert (none lost). Every fourth cycle ends
// with SIGTERM instead, so the server writes its match index snapshot; the
// starts after it read that snapshot and catch up with the change log, and
// the index must still find every acknowledged offer.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <tuple>

#include "techmatch/v1/alert.grpc.pb.h"
#include "techmatch/v1/connection.grpc.pb.h"
#include "techmatch/v1/match_service.grpc.pb.h"
#include "techmatch/v1/registry_service.grpc.pb.h"
#include "tests/e2e/server_process.h"
#include "tests/test_util.h"

namespace techmatch::testing {
namespace {

namespace v1 = techmatch::v1;

constexpr int kCycles = 20;
constexpr int kWriters = 4;

// Content derived from the external_ref, so a torn record would show.
std::string DescriptionFor(const std::string& ref) {
  std::string d = "Mô tả đầy đủ của " + ref + ":";
  for (int i = 0; i < 20; ++i) d += " " + ref + "/" + std::to_string(i);
  return d;
}

// One token naming the offer ("w0-c3-17" -> "w0c3i17"): the analyzer splits
// the external ref at its hyphens, and short numbers are in many offers.
std::string TagFor(const std::string& ref) {
  std::string tag = ref;
  tag.erase(tag.find('-'), 1);
  tag.replace(tag.find('-'), 1, "i");
  return tag;
}

// The title of the offer with `ref`.
std::string TitleFor(const std::string& ref) {
  return "Offer " + ref + " " + TagFor(ref);
}

struct Acked {
  std::string name;
  int64_t version = 0;
};

class CrashTest : public TempDirTest {};

// Pages through a List call (`call(context, request, page)`) with `key`,
// handing every page to `each`. False when a call fails.
template <class Request, class Response, class Call, class Each>
bool ListAll(Request request, const std::string& key, Call call, Each each) {
  request.set_page_size(1000);
  do {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + key);
    Response page;
    if (!call(&context, request, &page).ok()) return false;
    each(page);
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  return true;
}

TEST_F(CrashTest, AcknowledgedWritesSurviveKill9) {
  std::mt19937 rng(20261128);
  std::mutex mu;
  std::map<std::string, Acked> acked;  // external_ref -> last acknowledged
  std::map<std::string, int64_t> acked_connections;  // name -> version
  int64_t total_acked_writes = 0;
  const std::string kNeed = "needs/1";
  size_t alerts_seen = 0;

  // Every alert, as admin; checks no pair is alerted twice on one side.
  auto check_alerts = [&](const std::shared_ptr<grpc::Channel>& channel,
                          const std::string& key) {
    auto alerts = v1::AlertService::NewStub(channel);
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + key);
    auto reader = alerts->WatchAlerts(&context, {});
    std::set<std::tuple<std::string, std::string, int>> pairs;
    v1::Alert alert;
    uint64_t previous = 0;
    size_t n = 0;
    while (reader->Read(&alert)) {
      EXPECT_GT(alert.sequence(), previous);
      previous = alert.sequence();
      EXPECT_TRUE(
          pairs.insert({alert.need(), alert.offer(), alert.kind()}).second)
          << "alerted twice: " << alert.need() << " " << alert.offer();
      ++n;
    }
    EXPECT_TRUE(reader->Finish().ok());
    return n;
  };

  for (int cycle = 0; cycle < kCycles; ++cycle) {
    ServerProcess server(Path("db"), {"--rate_limit=0"});  // stress, not throttle
    ASSERT_TRUE(server.Start()) << "cycle " << cycle;
    // Written by the first start, valid on every later one.
    const std::string admin_key = server.admin_key();
    ASSERT_FALSE(admin_key.empty());
    auto channel = grpc::CreateChannel(server.address(),
                                       grpc::InsecureChannelCredentials());
    auto offers = v1::OfferService::NewStub(channel);

    // Verify everything acknowledged so far.
    std::map<std::string, v1::Offer> stored;
    ASSERT_TRUE((ListAll<v1::ListOffersRequest, v1::ListOffersResponse>(
        {}, admin_key,
        [&](auto* c, const auto& r, auto* p) { return offers->ListOffers(c, r, p); },
        [&](const v1::ListOffersResponse& page) {
          for (const auto& o : page.offers()) stored[o.external_ref()] = o;
        })));
    for (const auto& [ref, offer] : stored) {
      EXPECT_EQ(offer.title(), TitleFor(ref)) << ref;
      EXPECT_EQ(offer.description(), DescriptionFor(ref)) << ref;
      if (offer.version() > 1) {
        EXPECT_EQ(offer.summary(), "rev-" + std::to_string(offer.version())) << ref;
      }
    }
    for (const auto& [ref, a] : acked) {
      auto it = stored.find(ref);
      ASSERT_NE(it, stored.end()) << "acknowledged " << ref << " lost, cycle " << cycle;
      EXPECT_EQ(it->second.name(), a.name);
      EXPECT_GE(it->second.version(), a.version) << ref;
    }
    // The match index (rebuilt, or read from a snapshot and caught up)
    // finds acknowledged offers by their text.
    {
      auto match = v1::MatchService::NewStub(channel);
      std::vector<std::pair<std::string, std::string>> sample;
      for (const auto& [ref, a] : acked) {
        if (sample.size() < 25 || rng() % 8 == 0)
          sample.emplace_back(ref, a.name);
      }
      for (const auto& [ref, name] : sample) {
        grpc::ClientContext context;
        context.AddMetadata("authorization", "Bearer " + admin_key);
        v1::SearchRequest search;
        search.set_query(TagFor(ref));
        search.set_page_size(5);
        v1::SearchOffersResponse found;
        ASSERT_TRUE(match->SearchOffers(&context, search, &found).ok());
        bool hit = false;
        for (const auto& r : found.results()) hit |= r.offer().name() == name;
        EXPECT_TRUE(hit) << ref << " not in the index, cycle " << cycle;
      }
    }
    if (cycle > 0) {
      // Connections: every acknowledged one there, each history whole.
      auto connections = v1::ConnectionService::NewStub(channel);
      std::map<std::string, v1::Connection> stored_connections;
      ASSERT_TRUE((ListAll<v1::ListConnectionsRequest, v1::ListConnectionsResponse>(
          {}, admin_key,
          [&](auto* c, const auto& r, auto* p) {
            return connections->ListConnections(c, r, p);
          },
          [&](const v1::ListConnectionsResponse& page) {
            for (const auto& c : page.connections()) stored_connections[c.name()] = c;
          })));
      for (const auto& [name, c] : stored_connections) {
        EXPECT_EQ(c.history_size(), c.version()) << name;
        EXPECT_EQ(c.history(c.history_size() - 1).to(), c.state()) << name;
      }
      for (const auto& [name, version] : acked_connections) {
        auto it = stored_connections.find(name);
        ASSERT_NE(it, stored_connections.end())
            << "acknowledged " << name << " lost";
        EXPECT_GE(it->second.version(), version) << name;
      }
      alerts_seen = check_alerts(channel, admin_key);
    }

    if (cycle == 0) {
      auto orgs = v1::OrganizationService::NewStub(channel);
      grpc::ClientContext context;
      context.AddMetadata("authorization", "Bearer " + admin_key);
      v1::UpsertOrganizationRequest request;
      *request.mutable_organization() =
          MakeOrg("Owner", v1::Organization::UNIVERSITY);
      request.mutable_organization()->set_external_ref("OWNER");
      v1::UpsertOrganizationResponse response;
      ASSERT_TRUE(orgs->UpsertOrganization(&context, request, &response).ok());
      // A centre, its enterprise and a standing need every offer matches.
      std::string parent;
      for (auto [name, kind] :
           {std::pair{"Centre", v1::Organization::REGIONAL_CENTRE},
            std::pair{"Enterprise", v1::Organization::ENTERPRISE}}) {
        grpc::ClientContext c;
        c.AddMetadata("authorization", "Bearer " + admin_key);
        v1::CreateOrganizationRequest create;
        *create.mutable_organization() = MakeOrg(name, kind);
        create.mutable_organization()->set_parent(parent);
        v1::Organization out;
        ASSERT_TRUE(orgs->CreateOrganization(&c, create, &out).ok());
        parent = out.name();
      }
      auto needs = v1::NeedService::NewStub(channel);
      grpc::ClientContext c;
      c.AddMetadata("authorization", "Bearer " + admin_key);
      v1::CreateNeedRequest need;
      // Its one concept is in every offer's title, so each offer covers it
      // whole: a score above what chance gives, however many offers share
      // the word.
      *need.mutable_need() = MakeNeed(parent, "Offer");
      need.mutable_need()->set_description("Offer");
      need.mutable_need()->set_centre("organizations/2");
      need.mutable_need()->set_state(v1::PUBLISHED);
      need.mutable_need()->set_alert_threshold(0.01);
      v1::Need out;
      ASSERT_TRUE(needs->CreateNeed(&c, need, &out).ok());
      ASSERT_EQ(out.name(), kNeed);
    }

    std::atomic<bool> stop{false};
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back([&, w] {
        auto stub = v1::OfferService::NewStub(channel);
        std::string last_name;
        int64_t last_version = 0;
        std::string last_ref;
        for (int i = 0; !stop.load(); ++i) {
          grpc::ClientContext context;
          context.AddMetadata("authorization", "Bearer " + admin_key);
          context.set_deadline(std::chrono::system_clock::now() +
                               std::chrono::seconds(5));
          if (i % 3 == 2 && !last_name.empty()) {
            v1::UpdateOfferRequest update;
            update.mutable_offer()->set_name(last_name);
            update.mutable_offer()->set_version(last_version);
            update.mutable_offer()->set_summary(
                "rev-" + std::to_string(last_version + 1));
            update.mutable_update_mask()->add_paths("summary");
            v1::Offer out;
            if (stub->UpdateOffer(&context, update, &out).ok()) {
              last_version = out.version();
              std::lock_guard<std::mutex> lock(mu);
              acked[last_ref] = {out.name(), out.version()};
              ++total_acked_writes;
            }
            continue;
          }
          std::string ref = "w" + std::to_string(w) + "-c" +
                            std::to_string(cycle) + "-" + std::to_string(i);
          v1::CreateOfferRequest create;
          v1::Offer* offer = create.mutable_offer();
          offer->set_owner("organizations/1");
          offer->set_external_ref(ref);
          offer->set_title(TitleFor(ref));
          offer->set_description(DescriptionFor(ref));
          offer->add_sector_codes("207");
          offer->set_trl(5);
          offer->set_state(v1::PUBLISHED);
          v1::Offer out;
          if (stub->CreateOffer(&context, create, &out).ok()) {
            last_name = out.name();
            last_version = out.version();
            last_ref = ref;
            std::lock_guard<std::mutex> lock(mu);
            acked[ref] = {out.name(), out.version()};
            ++total_acked_writes;
          }
        }
      });
    }
    // A broker connects the need with acknowledged offers and moves the
    // connections along.
    writers.emplace_back([&] {
      auto stub = v1::ConnectionService::NewStub(channel);
      std::mt19937 pick(cycle);
      std::string moving;
      for (int i = 0; !stop.load(); ++i) {
        grpc::ClientContext context;
        context.AddMetadata("authorization", "Bearer " + admin_key);
        context.set_deadline(std::chrono::system_clock::now() +
                             std::chrono::seconds(5));
        v1::Connection out;
        if (i % 2 == 1 && !moving.empty()) {
          v1::TransitionConnectionRequest move;
          move.set_name(moving);
          move.set_to(v1::Connection::INTEREST_EXPRESSED);
          if (stub->TransitionConnection(&context, move, &out).ok()) {
            std::lock_guard<std::mutex> lock(mu);
            acked_connections[out.name()] = out.version();
          }
          moving.clear();
          continue;
        }
        std::string offer;
        {
          std::lock_guard<std::mutex> lock(mu);
          if (acked.empty()) continue;
          auto it = acked.begin();
          std::advance(it, pick() % acked.size());
          offer = it->second.name;
        }
        v1::CreateConnectionRequest create;
        create.set_need(kNeed);
        create.set_offer(offer);
        if (stub->CreateConnection(&context, create, &out).ok()) {
          moving = out.name();
          std::lock_guard<std::mutex> lock(mu);
          acked_connections[out.name()] = out.version();
        }
      }
    });
    std::this_thread::sleep_for(
        std::chrono::milliseconds(150 + rng() % 350));
    const bool graceful = cycle % 4 == 3;
    server.Kill(graceful ? SIGTERM : SIGKILL);
    stop = true;
    for (auto& t : writers) t.join();
    if (graceful) {
      ASSERT_TRUE(
          std::filesystem::exists(Path("db") + "/match_index.snapshot"));
    }
  }
  // The starts after a graceful stop used its snapshot.
  {
    std::ifstream log(Path("db") + ".log");
    std::string line;
    int from_snapshot = 0;
    while (std::getline(log, line)) {
      from_snapshot += line.find("read from its snapshot") != std::string::npos;
    }
    EXPECT_GE(from_snapshot, kCycles - 4);
  }
  // None lost: once the engine has caught up, every acknowledged (published)
  // offer has its alert for the need.
  {
    ServerProcess server(Path("db"), {"--rate_limit=0"});  // stress, not throttle
    ASSERT_TRUE(server.Start());
    auto channel = grpc::CreateChannel(server.address(),
                                       grpc::InsecureChannelCredentials());
    for (int i = 0; i < 200 && alerts_seen < acked.size(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      alerts_seen = check_alerts(channel, server.admin_key());
    }
    EXPECT_GE(alerts_seen, acked.size()) << "alerts lost";
    server.Kill(SIGTERM);
  }
  RecordProperty("acknowledged_writes", std::to_string(total_acked_writes));
  std::cout << "crash test: " << kCycles << " kill -9 cycles, "
            << total_acked_writes << " acknowledged writes, " << acked.size()
            << " offers, " << acked_connections.size() << " connections and "
            << alerts_seen << " alerts verified\n";
  EXPECT_GT(total_acked_writes, kCycles);
}

}  // namespace
}  // namespace techmatch::testing
