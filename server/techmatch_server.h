// TechmatchServer: the composition root of techmatchd. It opens the catalog,
// loads reference data, builds the registry, the key store and the audit
// log, serves the gRPC API (with grpc.health.v1 and server reflection)
// behind the Authenticator and the transport limits, and runs the expiry
// sweeper. docs/security.md explains every limit.
#ifndef TECHMATCH_SERVER_TECHMATCH_SERVER_H_
#define TECHMATCH_SERVER_TECHMATCH_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "domain/alert_box.h"
#include "domain/alert_engine.h"
#include "domain/audit_log.h"
#include "domain/change_feed.h"
#include "domain/connection_book.h"
#include "domain/key_store.h"
#include "domain/matchmaker.h"
#include "domain/reference_data.h"
#include "domain/registry.h"
#include "domain/reporter.h"
#include "server/access_service.h"
#include "server/admin_service.h"
#include "server/alert_service.h"
#include "server/authenticator.h"
#include "server/connection_service.h"
#include "server/feed_service.h"
#include "server/h2_guard.h"
#include "server/match_service.h"
#include "server/registry_services.h"
#include "server/report_service.h"
#include "storage/catalog.h"

namespace techmatch::server {

// Transport and abuse limits; docs/security.md says what each defends.
struct ServerLimits {
  // Largest request or response message.
  int max_message_bytes = 16 << 20;
  // Largest request metadata (headers) per call.
  int max_metadata_bytes = 16 << 10;
  // HTTP/2 streams one connection may have open at once.
  int max_concurrent_streams = 64;
  // gRPC's ResourceQuota: threads serving calls, and memory for buffers.
  int max_threads = 64;
  int64_t memory_quota_bytes = int64_t{1} << 30;
  // Idle serving threads kept waiting for calls. gRPC's default (2) made a
  // thread exit after nearly every call under concurrent load, and a new one
  // start for the next (about one per two calls at 16 clients: thread
  // creation, cold caches, and the matcher's per-thread scratch rebuilt).
  int idle_threads = 32;
  // Clients may ping no more often than this when no call is running
  // (more earns a GOAWAY after two strikes).
  absl::Duration min_client_ping_interval = absl::Seconds(10);
  // Connections idle this long are closed; any connection is asked to go
  // away after max_connection_age, running calls getting `age_grace`.
  absl::Duration max_connection_idle = absl::Minutes(15);
  absl::Duration max_connection_age = absl::Hours(1);
  absl::Duration max_connection_age_grace = absl::Minutes(35);
  // The deadline cap of streaming calls (imports).
  absl::Duration max_stream_duration = absl::Minutes(30);
  // Calls per API key.
  RateLimit per_key{200, 400, 100000};
  // The HTTP/2 guard in front of the port, plaintext or TLS (rapid reset);
  // see h2_guard.h. false: gRPC listens (and terminates TLS) itself.
  bool h2_guard = true;
  H2GuardOptions guard;
};

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
  // See storage::CatalogOptions::block_cache_bytes.
  size_t block_cache_bytes = 128u << 20;
  ServerLimits limits;
  // TLS from PEM files: with cert and key the port speaks TLS only; with a
  // client CA as well, every client must present a certificate it signed
  // (mutual TLS).
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  // Without TLS the server refuses to listen beyond loopback unless set.
  bool allow_insecure_remote = false;
  // Where the first ADMIN key is written (mode 0600) when the data
  // directory has no key yet. Empty: <data_dir>/bootstrap_admin.key.
  std::string bootstrap_key_file;
  // Where online backups go; empty turns backups off.
  std::string backup_dir;
  // Standing-request alerts (domain/alert_engine.h).
  domain::AlertOptions alerts;
  // How often published records past their expiry are marked EXPIRED.
  absl::Duration expiry_interval = absl::Minutes(1);
  // Default weights of the score components.
  matching::Weights score_weights;
  // Text candidates a match re-scores with the structured components: the
  // depth at which a strong structured fit can still lift an offer into
  // the results, against speed (at a million offers a pool of 50 matches
  // ~1.7x faster than 200). At least 10.
  size_t candidate_pool = 200;
  // The match index snapshot (domain::IndexSnapshotOptions): written at
  // shutdown to <data_dir>/match_index.snapshot, read at start-up when it
  // is valid, so a restart skips the full rebuild. Off when false.
  bool index_snapshot = true;
  // A fresh snapshot is written (by the housekeeping thread, every
  // expiry_interval) once this many changes were committed since the last
  // one, so that a crash after a long run restarts from a recent one. 0:
  // only at start-up and shutdown. Commits wait while it is written (~2 s
  // at a million offers); queries do not.
  uint64_t snapshot_every_changes = 100000;
};

class TechmatchServer {
 public:
  // Opens everything and starts serving. `clock` is borrowed and must
  // outlive the server. Errors: those of Catalog::Open and
  // ReferenceData::LoadFromDirectory; UNAVAILABLE when the address cannot be
  // bound; FAILED_PRECONDITION for a non-loopback address without TLS (and
  // without allow_insecure_remote) or unreadable TLS files.
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
  domain::AlertEngine* alert_engine() { return alert_engine_.get(); }
  domain::KeyStore* keys() { return keys_.get(); }
  // The first ADMIN key when this start created it (tests); else empty.
  const std::string& bootstrap_key() const { return bootstrap_key_; }
  const domain::Matchmaker* matchmaker() const { return matchmaker_.get(); }
  // How this start built the match index (from a snapshot or rebuilt).
  const domain::LoadReport& index_load() const { return index_load_; }
  // Snapshot writes that failed since the start (see SaveSnapshot()).
  uint64_t snapshot_failures() const { return snapshot_failures_.load(); }

  // Writes `key` to `path` with mode 0600 (through a temporary file and a
  // rename, fsync'ed).
  static absl::Status WriteKeyFile(const std::string& path,
                                   const std::string& key);

 private:
  TechmatchServer() = default;
  // Until stopped: every expiry_interval marks published records past
  // their expiry and writes an index snapshot when one is due; every
  // kHealthInterval checks that the database writes (CheckWritable).
  void Housekeep();
  // Health follows whether the database can write: NOT_SERVING while it
  // cannot (a full disk), SERVING again once the catalog has resumed. The
  // housekeeping thread checks every kHealthInterval.
  void CheckWritable();
  // Hands free heap memory back to the system (malloc_trim) when resident
  // memory is kSpareMemory above its lowest since the start, at most every
  // kTrimInterval. glibc keeps what a burst of large requests freed: after
  // the first 15 MiB buffer is freed it raises its mmap threshold, so the
  // next ones come from per-thread arenas and stay there (442 invalid
  // 15 MiB requests on 8 connections: RSS 66 -> 441 MiB, for good; trimmed
  // 196 MiB, the rest free memory inside huge pages of the arenas).
  void ReturnSpareMemory();
  static constexpr uint64_t kSpareMemory = 64u << 20;
  static constexpr absl::Duration kTrimInterval = absl::Seconds(10);
  uint64_t resident_floor_ = 0;  // the housekeeping thread's
  absl::Time next_trim_;         // the housekeeping thread's
  static constexpr absl::Duration kHealthInterval = absl::Seconds(1);
  bool serving_ = true;  // the housekeeping thread's
  // Writes the match index snapshot; false (logged, never fatal: the
  // catalog is the truth, the next start rebuilds) when it failed.
  bool SaveSnapshot();
  // A start that re-read more records than this writes a fresh snapshot.
  static constexpr uint64_t kResnapshotAfter = 10000;

  ServerOptions options_;
  Clock* clock_ = nullptr;
  std::unique_ptr<domain::ReferenceData> reference_;
  std::unique_ptr<storage::Catalog> catalog_;
  std::unique_ptr<domain::AuditLog> audit_;
  std::unique_ptr<domain::KeyStore> keys_;
  std::unique_ptr<Authenticator> auth_;
  std::string bootstrap_key_;
  std::unique_ptr<domain::Registry> registry_;
  std::unique_ptr<domain::Matchmaker> matchmaker_;
  domain::IndexSnapshotOptions snapshot_;  // path empty: off
  domain::LoadReport index_load_;
  // After a failed periodic snapshot: the changes since the last one at
  // which Housekeep() tries again (0: none failed). Its thread only.
  uint64_t next_snapshot_at_ = 0;
  std::atomic<uint64_t> snapshot_failures_{0};
  std::unique_ptr<MatchService> match_service_;
  std::unique_ptr<OrganizationService> organization_service_;
  std::unique_ptr<OfferService> offer_service_;
  std::unique_ptr<NeedService> need_service_;
  std::unique_ptr<ReferenceService> reference_service_;
  std::unique_ptr<AccessService> access_service_;
  std::unique_ptr<domain::ConnectionBook> connections_;
  std::unique_ptr<ConnectionService> connection_service_;
  std::unique_ptr<domain::Backups> backups_;
  std::unique_ptr<AdminService> admin_service_;
  std::unique_ptr<domain::ChangeFeed> feed_;
  std::unique_ptr<FeedService> feed_service_;
  std::unique_ptr<domain::Reporter> reporter_;
  std::unique_ptr<ReportService> report_service_;
  std::unique_ptr<domain::AlertEngine> alert_engine_;
  std::unique_ptr<domain::AlertBox> alert_box_;
  std::unique_ptr<AlertService> alert_service_;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::unique_ptr<H2Guard> guard_;  // null with --h2_guard=false
  int port_ = 0;
  absl::Notification stop_;
  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
  absl::Notification shutdown_done_;
  std::thread housekeeper_;
};

}  // namespace techmatch::server

#endif  // TECHMATCH_SERVER_TECHMATCH_SERVER_H_
