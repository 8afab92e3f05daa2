// TechmatchServer: the composition root of techmatchd. It opens the catalog,
// loads reference data, builds the registry and serves the gRPC API (with
// grpc.health.v1 and server reflection), and runs the expiry sweeper.
#ifndef TECHMATCH_SERVER_TECHMATCH_SERVER_H_
#define TECHMATCH_SERVER_TECHMATCH_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "domain/matchmaker.h"
#include "domain/reference_data.h"
#include "domain/registry.h"
#include "server/match_service.h"
#include "server/registry_services.h"
#include "storage/catalog.h"

namespace techmatch::server {

struct ServerOptions {
  // RocksDB directory; created when missing.
  std::string data_dir;
  // Directory holding sectors.tsv and provinces.tsv.
  std::string reference_dir = "data/reference";
  // host:port to listen on; port 0 picks a free one. Empty: no port, only
  // InProcessChannel() (tests).
  std::string listen_address = "127.0.0.1:50051";
  // See storage::CatalogOptions::sync_writes. false is UNSAFE.
  bool sync_writes = true;
  // Largest request or response message.
  int max_message_bytes = 16 << 20;
  // How often published records past their expiry are marked EXPIRED.
  absl::Duration expiry_interval = absl::Minutes(1);
  // Default weights of the score components.
  matching::Weights score_weights;
};

class TechmatchServer {
 public:
  // Opens everything and starts serving. `clock` is borrowed and must
  // outlive the server. Errors: those of Catalog::Open and
  // ReferenceData::LoadFromDirectory; UNAVAILABLE when the address cannot be
  // bound.
  static absl::StatusOr<std::unique_ptr<TechmatchServer>> Start(
      const ServerOptions& options, Clock* clock);

  // Shuts down (see Shutdown) and closes the database.
  ~TechmatchServer();

  // The bound TCP port, or 0 without a listening address.
  int port() const { return port_; }

  // A channel to this server that bypasses the network.
  std::shared_ptr<grpc::Channel> InProcessChannel();

  // Stops accepting calls, lets running ones finish for up to `grace`, then
  // cancels the rest and stops the sweeper. Idempotent; thread-safe.
  void Shutdown(absl::Duration grace);

  // Blocks until Shutdown() has completed.
  void Wait();

  domain::Registry* registry() { return registry_.get(); }
  const domain::Matchmaker* matchmaker() const { return matchmaker_.get(); }

 private:
  TechmatchServer() = default;
  void SweepExpired();

  ServerOptions options_;
  Clock* clock_ = nullptr;
  std::unique_ptr<domain::ReferenceData> reference_;
  std::unique_ptr<storage::Catalog> catalog_;
  std::unique_ptr<domain::Registry> registry_;
  std::unique_ptr<domain::Matchmaker> matchmaker_;
  std::unique_ptr<MatchService> match_service_;
  std::unique_ptr<OrganizationService> organization_service_;
  std::unique_ptr<OfferService> offer_service_;
  std::unique_ptr<NeedService> need_service_;
  std::unique_ptr<ReferenceService> reference_service_;
  std::unique_ptr<grpc::Server> grpc_server_;
  int port_ = 0;
  absl::Notification stop_;
  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
  absl::Notification shutdown_done_;
  std::thread sweeper_;
};

}  // namespace techmatch::server

#endif  // TECHMATCH_SERVER_TECHMATCH_SERVER_H_
