#include "server/techmatch_server.h"

#include <fcntl.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <malloc.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "server/decode_errors.h"

namespace techmatch::server {

namespace {

// Whether `address` ("host:port", "[v6]:port", "unix:...") stays on this
// machine.
bool IsLoopback(const std::string& address) {
  if (absl::StartsWith(address, "unix:")) return true;
  std::string host = address.substr(0, address.rfind(':'));
  return absl::StartsWith(host, "127.") || host == "localhost" ||
         host == "[::1]" || host == "ipv4:127.0.0.1";
}

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* what) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  if (!file || !(text << file.rdbuf()) || text.str().empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read the ", what, " file ", path));
  }
  return text.str();
}

// The listening credentials the options ask for.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(
    const ServerOptions& options) {
  bool tls = !options.tls_cert_file.empty() || !options.tls_key_file.empty();
  if (!tls) {
    if (!options.tls_client_ca_file.empty()) {
      return absl::FailedPreconditionError(
          "a client CA (mutual TLS) needs a TLS certificate and key as well");
    }
    if (!IsLoopback(options.listen_address) && !options.allow_insecure_remote) {
      return absl::FailedPreconditionError(absl::StrCat(
          "refusing to listen on ", options.listen_address,
          " without TLS: give a certificate and key, listen on loopback, or "
          "allow it explicitly (--allow_insecure_remote)"));
    }
    return grpc::InsecureServerCredentials();
  }
  if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
    return absl::FailedPreconditionError(
        "TLS needs both a certificate and a key");
  }
  grpc::SslServerCredentialsOptions ssl;
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  TM_ASSIGN_OR_RETURN(pair.cert_chain,
                      ReadPem(options.tls_cert_file, "TLS certificate"));
  TM_ASSIGN_OR_RETURN(pair.private_key,
                      ReadPem(options.tls_key_file, "TLS key"));
  ssl.pem_key_cert_pairs.push_back(std::move(pair));
  if (!options.tls_client_ca_file.empty()) {
    TM_ASSIGN_OR_RETURN(ssl.pem_root_certs,
                        ReadPem(options.tls_client_ca_file, "client CA"));
    ssl.client_certificate_request =
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

int Millis(absl::Duration d) {
  return static_cast<int>(
      std::min<int64_t>(absl::ToInt64Milliseconds(d), INT32_MAX));
}

}  // namespace

absl::Status TechmatchServer::WriteKeyFile(const std::string& path,
                                           const std::string& key) {
  std::string tmp = absl::StrCat(path, ".tmp.", getpid());
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(),
                  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::FailedPreconditionError(absl::StrCat("cannot create ", tmp));
  }
  std::string line = key + "\n";
  bool ok = ::write(fd, line.data(), line.size()) ==
                static_cast<ssize_t>(line.size()) &&
            ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return absl::FailedPreconditionError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

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
  catalog_options.block_cache_bytes = options.block_cache_bytes;
  if (!options.sync_writes) {
    spdlog::warn("sync_writes is off: acknowledged writes may be lost on a "
                 "crash (UNSAFE)");
  }
  TM_ASSIGN_OR_RETURN(server->catalog_, storage::Catalog::Open(catalog_options));
  spdlog::info("opened {} at change sequence {}", options.data_dir,
               server->catalog_->last_sequence());
  server->audit_ =
      std::make_unique<domain::AuditLog>(server->catalog_.get(), clock);
  TM_ASSIGN_OR_RETURN(server->keys_,
                      domain::KeyStore::Open(server->catalog_.get(),
                                             server->audit_.get(), clock));
  TM_ASSIGN_OR_RETURN(std::optional<std::string> first_key,
                      server->keys_->CreateBootstrapAdmin());
  if (first_key.has_value()) {
    std::string path = options.bootstrap_key_file.empty()
                           ? options.data_dir + "/bootstrap_admin.key"
                           : options.bootstrap_key_file;
    absl::Status written = WriteKeyFile(path, *first_key);
    if (written.ok()) {
      spdlog::warn(
          "new data directory: the first ADMIN key is in {} (mode "
          "0600); keep it safe and delete the file",
          path);
    } else {
      // The key exists now; it must reach the operator once.
      spdlog::error("{}; the first ADMIN key follows, shown this once",
                    written.ToString());
      std::fprintf(stderr, "%s\n", first_key->c_str());
    }
    server->bootstrap_key_ = *std::move(first_key);
  }
  spdlog::info("{} API keys", server->keys_->size());
  AuthOptions auth_options;
  auth_options.per_key = options.limits.per_key;
  server->auth_ = std::make_unique<Authenticator>(
      server->keys_.get(), server->audit_.get(), clock, auth_options);
  server->registry_ = std::make_unique<domain::Registry>(
      server->catalog_.get(), server->reference_.get(), server->audit_.get(),
      clock);
  // The index is complete before the first write can be accepted, and hears
  // of every write from then on (see domain/matchmaker.h).
  server->matchmaker_ = std::make_unique<domain::Matchmaker>(
      server->catalog_.get(), server->registry_.get(), server->reference_.get(),
      clock, options.score_weights, options.candidate_pool);
  if (options.index_snapshot) {
    server->snapshot_.fingerprint = server->matchmaker_->IndexFingerprint();
    server->snapshot_.path = options.data_dir + "/match_index.snapshot";
  }
  absl::Time load_start = absl::Now();
  TM_ASSIGN_OR_RETURN(
      domain::LoadReport load,
      server->matchmaker_->Start(server->snapshot_, [](size_t offers,
                                                       size_t needs) {
        spdlog::info("match index: {} offers, {} needs loaded", offers, needs);
      }));
  if (load.from_snapshot) {
    spdlog::info(
        "match index read from its snapshot (change {}), then {} later "
        "changes re-read {} records",
        load.snapshot_sequence, load.changes_after, load.records_reread);
  } else {
    spdlog::info("match index rebuilt from the catalog ({})",
                 load.snapshot_skipped);
  }
  // A fresh snapshot now, before serving (so no commit waits for it), when
  // this start had to rebuild or catch up much: a crash before the next
  // clean stop then restarts in seconds.
  if (!server->snapshot_.path.empty() &&
      (!load.from_snapshot || load.records_reread > kResnapshotAfter)) {
    server->SaveSnapshot();
  }
  server->index_load_ = load;
  // Hand the load's transient and spare memory back to the system (glibc).
  malloc_trim(0);
  spdlog::info("match index ready in {:.2f} s, about {} MiB",
               absl::ToDoubleSeconds(absl::Now() - load_start),
               server->matchmaker_->matcher().MemoryBytes() >> 20);
  server->registry_->AddObserver(server->matchmaker_.get());
  Authenticator* auth = server->auth_.get();
  const absl::Duration stream_cap = options.limits.max_stream_duration;
  server->match_service_ =
      std::make_unique<MatchService>(server->matchmaker_.get(), auth);
  server->organization_service_ = std::make_unique<OrganizationService>(
      server->registry_.get(), auth, stream_cap);
  server->offer_service_ =
      std::make_unique<OfferService>(server->registry_.get(), auth, stream_cap);
  server->need_service_ =
      std::make_unique<NeedService>(server->registry_.get(), auth, stream_cap);
  server->reference_service_ =
      std::make_unique<ReferenceService>(server->reference_.get(), auth);
  server->access_service_ = std::make_unique<AccessService>(
      server->keys_.get(), server->audit_.get(), auth);
  server->connections_ = std::make_unique<domain::ConnectionBook>(
      server->catalog_.get(), server->registry_.get(),
      server->matchmaker_.get(), server->audit_.get(), clock);
  server->connection_service_ =
      std::make_unique<ConnectionService>(server->connections_.get(), auth);
  server->backups_ = std::make_unique<domain::Backups>(
      server->catalog_.get(), options.backup_dir, server->audit_.get());
  server->admin_service_ =
      std::make_unique<AdminService>(server->backups_.get(), auth);
  server->feed_ = std::make_unique<domain::ChangeFeed>(
      server->catalog_.get(), server->registry_.get(),
      server->connections_.get());
  server->feed_service_ =
      std::make_unique<FeedService>(server->feed_.get(), auth, stream_cap);
  server->reporter_ = std::make_unique<domain::Reporter>(
      server->catalog_.get(), server->reference_.get(), clock);
  server->report_service_ =
      std::make_unique<ReportService>(server->reporter_.get(), auth);
  server->alert_engine_ = std::make_unique<domain::AlertEngine>(
      server->catalog_.get(), server->matchmaker_.get(), clock, options.alerts);
  server->alert_box_ =
      std::make_unique<domain::AlertBox>(server->catalog_.get());
  server->alert_service_ = std::make_unique<AlertService>(
      server->alert_box_.get(), auth, stream_cap);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  const ServerLimits& limits = options.limits;
  if (!options.listen_address.empty()) {
    TM_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> credentials,
                        Credentials(options));
    bool tls = !options.tls_cert_file.empty();
    if (limits.h2_guard) {
      // The guard owns the port, terminates TLS when the port has it, and
      // relays to gRPC (see h2_guard.h).
      std::unique_ptr<TlsContext> tls_context;
      if (tls) {
        TM_ASSIGN_OR_RETURN(
            tls_context,
            TlsContext::FromFiles(options.tls_cert_file, options.tls_key_file,
                                  options.tls_client_ca_file));
      }
      TM_ASSIGN_OR_RETURN(server->guard_,
                          H2Guard::Listen(options.listen_address, limits.guard,
                                          clock, std::move(tls_context)));
      server->port_ = server->guard_->port();
      H2Guard* guard = server->guard_.get();
      auth->set_peer_resolver([guard](absl::string_view peer) {
        return PeerIdentity{guard->ClientAddress(peer),
                            guard->ClientCertificate(peer)};
      });
    } else {
      builder.AddListeningPort(options.listen_address, credentials,
                               &server->port_);
    }
  }
  builder.SetMaxReceiveMessageSize(limits.max_message_bytes);
  builder.SetMaxSendMessageSize(limits.max_message_bytes);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             limits.max_concurrent_streams);
  builder.AddChannelArgument(GRPC_ARG_MAX_METADATA_SIZE,
                             limits.max_metadata_bytes);
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
      Millis(limits.min_client_ping_interval));
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 2);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS,
                             Millis(limits.max_connection_idle));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                             Millis(limits.max_connection_age));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
                             Millis(limits.max_connection_age_grace));
  grpc::ResourceQuota quota("techmatchd");
  quota.SetMaxThreads(limits.max_threads);
  quota.Resize(static_cast<size_t>(limits.memory_quota_bytes));
  builder.SetResourceQuota(quota);
  builder.SetSyncServerOption(
      grpc::ServerBuilder::SyncServerOption::MIN_POLLERS, 1);
  builder.SetSyncServerOption(
      grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
      std::max(1, limits.idle_threads));
  // Requests that do not decode answer INVALID_ARGUMENT naming the field.
  InstallProtobufLogHandler();
  {
    std::vector<
        std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
        interceptors;
    interceptors.push_back(std::make_unique<DecodeErrorInterceptorFactory>());
    builder.experimental().SetInterceptorCreators(std::move(interceptors));
  }
  builder.RegisterService(server->organization_service_.get());
  builder.RegisterService(server->offer_service_.get());
  builder.RegisterService(server->need_service_.get());
  builder.RegisterService(server->reference_service_.get());
  builder.RegisterService(server->match_service_.get());
  builder.RegisterService(server->access_service_.get());
  builder.RegisterService(server->connection_service_.get());
  builder.RegisterService(server->admin_service_.get());
  builder.RegisterService(server->feed_service_.get());
  builder.RegisterService(server->report_service_.get());
  builder.RegisterService(server->alert_service_.get());
  server->grpc_server_ = builder.BuildAndStart();
  if (server->grpc_server_ == nullptr ||
      (!options.listen_address.empty() && server->port_ == 0)) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen_address));
  }
  if (server->guard_ != nullptr)
    server->guard_->Serve(server->grpc_server_.get());
  server->grpc_server_->GetHealthCheckService()->SetServingStatus(true);
  server->housekeeper_ = std::thread([s = server.get()] { s->Housekeep(); });
  server->alert_engine_->Start();
  return server;
}

TechmatchServer::~TechmatchServer() {
  Shutdown(absl::Seconds(5));
  // Members are destroyed in reverse order: services, then the registry,
  // then the catalog closes the database.
}

std::shared_ptr<grpc::Channel> TechmatchServer::InProcessChannel() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(options_.limits.max_message_bytes);
  args.SetMaxSendMessageSize(options_.limits.max_message_bytes);
  return grpc_server_->InProcessChannel(args);
}

void TechmatchServer::Shutdown(absl::Duration grace) {
  {
    absl::MutexLock lock(&shutdown_mu_);
    if (shut_down_) return;
    shut_down_ = true;
  }
  if (guard_ != nullptr) guard_->StopAccepting();
  if (grpc_server_ != nullptr) {
    grpc_server_->GetHealthCheckService()->SetServingStatus(false);
    grpc_server_->Shutdown(std::chrono::system_clock::now() +
                           absl::ToChronoNanoseconds(grace));
    grpc_server_->Wait();
  }
  if (guard_ != nullptr) guard_->Stop();
  stop_.Notify();
  if (housekeeper_.joinable()) housekeeper_.join();
  if (alert_engine_ != nullptr) alert_engine_->Stop();
  // Nothing commits any more: the snapshot holds every acknowledged write.
  if (matchmaker_ != nullptr && !snapshot_.path.empty()) SaveSnapshot();
  shutdown_done_.Notify();
}

bool TechmatchServer::SaveSnapshot() {
  absl::Time start = absl::Now();
  absl::StatusOr<uint64_t> saved = matchmaker_->SaveSnapshot(snapshot_);
  if (saved.ok()) {
    spdlog::info("match index snapshot written: {} MiB in {:.2f} s",
                 *saved >> 20, absl::ToDoubleSeconds(absl::Now() - start));
    return true;
  }
  spdlog::warn(
      "match index snapshot not written ({}); the next start "
      "rebuilds or catches up an older one",
      saved.status().ToString());
  snapshot_failures_.fetch_add(1);
  return false;
}

void TechmatchServer::Wait() { shutdown_done_.WaitForNotification(); }

void TechmatchServer::Housekeep() {
  absl::Time next_sweep = absl::InfinitePast();
  do {
    CheckWritable();
    ReturnSpareMemory();
    if (absl::Now() < next_sweep) continue;  // real time, as the wait
    next_sweep = absl::Now() + options_.expiry_interval;
    absl::StatusOr<int> expired = registry_->ExpireDue();
    if (!expired.ok()) {
      spdlog::error("expiry sweep failed: {}", expired.status().ToString());
    } else if (*expired > 0) {
      spdlog::info("expired {} published records", *expired);
    }
    if (!snapshot_.path.empty() && options_.snapshot_every_changes > 0) {
      // After a failure (disk full, ...) the next try waits for as many
      // changes again, rather than stalling commits every round.
      const uint64_t pending = matchmaker_->changes_since_snapshot();
      const uint64_t due =
          std::max(next_snapshot_at_, options_.snapshot_every_changes);
      if (pending >= due) {
        next_snapshot_at_ =
            SaveSnapshot() ? 0 : pending + options_.snapshot_every_changes;
      }
    }
  } while (!stop_.WaitForNotificationWithTimeout(
      std::min(options_.expiry_interval, kHealthInterval)));
}

namespace {

// The process's resident memory, from /proc/self/statm; 0 when unknown.
uint64_t ResidentBytes() {
  std::ifstream in("/proc/self/statm");
  uint64_t pages = 0, resident = 0;
  if (!(in >> pages >> resident)) return 0;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace

void TechmatchServer::ReturnSpareMemory() {
  const uint64_t resident = ResidentBytes();
  if (resident_floor_ == 0 || resident < resident_floor_) {
    resident_floor_ = resident;  // after the index load, or lower since
    return;
  }
  const absl::Time now = absl::Now();
  if (resident < resident_floor_ + kSpareMemory || now < next_trim_) return;
  next_trim_ = now + kTrimInterval;
  malloc_trim(0);
  const uint64_t after = ResidentBytes();
  spdlog::debug("returned {} MiB of free heap to the system ({} MiB resident)",
                (resident - std::min(resident, after)) >> 20, after >> 20);
}

void TechmatchServer::CheckWritable() {
  const absl::Status writable = catalog_->WriteHealth();
  if (writable.ok() == serving_) return;
  serving_ = writable.ok();
  grpc_server_->GetHealthCheckService()->SetServingStatus(serving_);
  if (serving_) {
    spdlog::warn("the database writes again: health SERVING");
  } else {
    spdlog::error("health NOT_SERVING: {}", writable.ToString());
  }
}

}  // namespace techmatch::server
