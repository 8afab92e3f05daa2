#include "server/techmatch_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <malloc.h>
#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace techmatch::server {

absl::StatusOr<std::unique_ptr<TechmatchServer>> TechmatchServer::Start(
    const ServerOptions& options, Clock* clock) {
  std::unique_ptr<TechmatchServer> server(new TechmatchServer());
  server->options_ = options;
  server->clock_ = clock;
  TM_ASSIGN_OR_RETURN(server->reference_,
                      domain::ReferenceData::LoadFromDirectory(
                          options.reference_dir));
  spdlog::info("reference data: {} sectors, {} provinces from {}",
               server->reference_->sectors().size(),
               server->reference_->provinces().size(), options.reference_dir);
  storage::CatalogOptions catalog_options;
  catalog_options.path = options.data_dir;
  catalog_options.sync_writes = options.sync_writes;
  if (!options.sync_writes) {
    spdlog::warn("sync_writes is off: acknowledged writes may be lost on a "
                 "crash (UNSAFE)");
  }
  TM_ASSIGN_OR_RETURN(server->catalog_, storage::Catalog::Open(catalog_options));
  spdlog::info("opened {} at change sequence {}", options.data_dir,
               server->catalog_->last_sequence());
  server->registry_ = std::make_unique<domain::Registry>(
      server->catalog_.get(), server->reference_.get(), clock);
  // The index is complete before the first write can be accepted, and hears
  // of every write from then on (see domain/matchmaker.h).
  server->matchmaker_ = std::make_unique<domain::Matchmaker>(
      server->catalog_.get(), server->reference_.get(), clock,
      options.score_weights);
  absl::Time load_start = absl::Now();
  TM_RETURN_IF_ERROR(server->matchmaker_->LoadAll([](size_t offers, size_t needs) {
    spdlog::info("match index: {} offers, {} needs loaded", offers, needs);
  }));
  // Hand the load's transient and spare memory back to the system (glibc).
  malloc_trim(0);
  spdlog::info("match index ready in {:.2f} s, about {} MiB",
               absl::ToDoubleSeconds(absl::Now() - load_start),
               server->matchmaker_->matcher().MemoryBytes() >> 20);
  server->registry_->AddObserver(server->matchmaker_.get());
  server->match_service_ =
      std::make_unique<MatchService>(server->matchmaker_.get());
  server->organization_service_ =
      std::make_unique<OrganizationService>(server->registry_.get());
  server->offer_service_ = std::make_unique<OfferService>(server->registry_.get());
  server->need_service_ = std::make_unique<NeedService>(server->registry_.get());
  server->reference_service_ =
      std::make_unique<ReferenceService>(server->reference_.get());

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  if (!options.listen_address.empty()) {
    builder.AddListeningPort(options.listen_address,
                             grpc::InsecureServerCredentials(), &server->port_);
  }
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.SetMaxSendMessageSize(options.max_message_bytes);
  builder.RegisterService(server->organization_service_.get());
  builder.RegisterService(server->offer_service_.get());
  builder.RegisterService(server->need_service_.get());
  builder.RegisterService(server->reference_service_.get());
  builder.RegisterService(server->match_service_.get());
  server->grpc_server_ = builder.BuildAndStart();
  if (server->grpc_server_ == nullptr ||
      (!options.listen_address.empty() && server->port_ == 0)) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen_address));
  }
  server->grpc_server_->GetHealthCheckService()->SetServingStatus(true);
  server->sweeper_ = std::thread([s = server.get()] { s->SweepExpired(); });
  return server;
}

TechmatchServer::~TechmatchServer() {
  Shutdown(absl::Seconds(5));
  // Members are destroyed in reverse order: services, then the registry,
  // then the catalog closes the database.
}

std::shared_ptr<grpc::Channel> TechmatchServer::InProcessChannel() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(options_.max_message_bytes);
  args.SetMaxSendMessageSize(options_.max_message_bytes);
  return grpc_server_->InProcessChannel(args);
}

void TechmatchServer::Shutdown(absl::Duration grace) {
  {
    absl::MutexLock lock(&shutdown_mu_);
    if (shut_down_) return;
    shut_down_ = true;
  }
  if (grpc_server_ != nullptr) {
    grpc_server_->GetHealthCheckService()->SetServingStatus(false);
    grpc_server_->Shutdown(std::chrono::system_clock::now() +
                           absl::ToChronoNanoseconds(grace));
    grpc_server_->Wait();
  }
  stop_.Notify();
  if (sweeper_.joinable()) sweeper_.join();
  shutdown_done_.Notify();
}

void TechmatchServer::Wait() { shutdown_done_.WaitForNotification(); }

void TechmatchServer::SweepExpired() {
  do {
    absl::StatusOr<int> expired = registry_->ExpireDue();
    if (!expired.ok()) {
      spdlog::error("expiry sweep failed: {}", expired.status().ToString());
    } else if (*expired > 0) {
      spdlog::info("expired {} published records", *expired);
    }
  } while (!stop_.WaitForNotificationWithTimeout(options_.expiry_interval));
}

}  // namespace techmatch::server
