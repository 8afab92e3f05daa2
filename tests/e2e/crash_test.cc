// Crash test: writers create and update offers against techmatchd while it
// is killed with SIGKILL at random moments; after each restart every
// acknowledged write must be present and intact, and every record must be
// whole (its fields agree with each other).
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <random>
#include <thread>

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

struct Acked {
  std::string name;
  int64_t version = 0;
};

class CrashTest : public TempDirTest {};

TEST_F(CrashTest, AcknowledgedWritesSurviveKill9) {
  std::mt19937 rng(20261128);
  std::mutex mu;
  std::map<std::string, Acked> acked;  // external_ref -> last acknowledged
  int64_t total_acked_writes = 0;

  for (int cycle = 0; cycle < kCycles; ++cycle) {
    ServerProcess server(Path("db"));
    ASSERT_TRUE(server.Start()) << "cycle " << cycle;
    // Written by the first start, valid on every later one.
    const std::string admin_key = server.admin_key();
    ASSERT_FALSE(admin_key.empty());
    auto channel = grpc::CreateChannel(server.address(),
                                       grpc::InsecureChannelCredentials());
    auto offers = v1::OfferService::NewStub(channel);

    // Verify everything acknowledged so far.
    std::map<std::string, v1::Offer> stored;
    v1::ListOffersRequest list;
    list.set_page_size(1000);
    do {
      grpc::ClientContext context;
      context.AddMetadata("authorization", "Bearer " + admin_key);
      v1::ListOffersResponse page;
      ASSERT_TRUE(offers->ListOffers(&context, list, &page).ok());
      for (const auto& o : page.offers()) stored[o.external_ref()] = o;
      list.set_page_token(page.next_page_token());
    } while (!list.page_token().empty());
    for (const auto& [ref, offer] : stored) {
      EXPECT_EQ(offer.title(), "Offer " + ref) << ref;
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
          offer->set_title("Offer " + ref);
          offer->set_description(DescriptionFor(ref));
          offer->add_sector_codes("207");
          offer->set_trl(5);
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
    std::this_thread::sleep_for(
        std::chrono::milliseconds(150 + rng() % 350));
    server.Kill(SIGKILL);
    stop = true;
    for (auto& t : writers) t.join();
  }
  RecordProperty("acknowledged_writes", std::to_string(total_acked_writes));
  std::cout << "crash test: " << kCycles << " kill -9 cycles, "
            << total_acked_writes << " acknowledged writes, " << acked.size()
            << " offers verified\n";
  EXPECT_GT(total_acked_writes, kCycles);
}

}  // namespace
}  // namespace techmatch::testing
