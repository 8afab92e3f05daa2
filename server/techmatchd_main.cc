// techmatchd: the techmatch gRPC server on an embedded RocksDB.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "base/clock.h"
#include "base/malloc_tunables.h"
#include "domain/audit_log.h"
#include "domain/key_store.h"
#include "server/techmatch_server.h"
#include "storage/catalog.h"

ABSL_FLAG(std::string, data_dir, "", "RocksDB data directory (required)");
ABSL_FLAG(std::string, reference_dir, "data/reference",
          "directory with sectors.tsv and provinces.tsv");
ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "address to listen on; port 0 picks a free port");
ABSL_FLAG(std::string, port_file, "",
          "if set, the bound port is written to this file once serving");
ABSL_FLAG(bool, unsafe_no_sync, false,
          "UNSAFE: do not fsync the WAL per commit; acknowledged writes may "
          "be lost on a crash");
ABSL_FLAG(
    int, block_cache_mb, 128,
    "RocksDB block cache for record reads, in MiB (0: RocksDB's default)");
ABSL_FLAG(int, max_message_bytes, 16 << 20, "largest gRPC message");
ABSL_FLAG(int, expiry_interval_seconds, 60,
          "how often expired offers and needs are marked EXPIRED");
ABSL_FLAG(bool, index_snapshot, true,
          "write the match index to <data_dir>/match_index.snapshot at "
          "shutdown and start from it (then from the change log) when valid");
ABSL_FLAG(uint64_t, index_snapshot_changes, 100000,
          "write a fresh index snapshot once this many changes were committed "
          "since the last (checked every --expiry_interval_seconds; 0: only "
          "at start-up and shutdown)");
ABSL_FLAG(bool, transparent_huge_pages, true,
          "back the heap with transparent huge pages where the kernel offers "
          "them (techmatchd re-executes itself once with GLIBC_TUNABLES set; "
          "a cold start at 1M offers ~15% faster); false: 4 KiB pages");
ABSL_FLAG(int, malloc_tcache_count, 1000,
          "free blocks of each size malloc keeps per thread "
          "(glibc.malloc.tcache_count, set by the same re-execution; a match "
          "over gRPC allocates ~1,200: -6% CPU per call at 16 clients); 0: "
          "glibc's default");
ABSL_FLAG(int, candidate_pool, 200,
          "text candidates each match re-scores with the structured components "
          "(depth vs speed; at least 10)");
ABSL_FLAG(std::string, score_weights, "",
          "default score component weights, each in [0, 1]: how far the "
          "component can lower a score (docs/matching.md), e.g. "
          "\"text=1,sector=0.1,trl=0.7,price=0.7,region=0.05,"
          "transfer=0.35,freshness=0.03\" (the defaults); unnamed "
          "components keep theirs");
ABSL_FLAG(int, shutdown_grace_seconds, 10,
          "how long running calls may finish after SIGINT/SIGTERM");
ABSL_FLAG(std::string, tls_cert_file, "", "PEM certificate chain: serve TLS");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key of --tls_cert_file");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "PEM CA: require client certificates it signed (mutual TLS)");
ABSL_FLAG(bool, allow_insecure_remote, false,
          "allow listening beyond loopback without TLS (behind a trusted "
          "proxy only)");
ABSL_FLAG(std::string, bootstrap_key_file, "",
          "where the first ADMIN key of a new data directory is written "
          "(default DATA_DIR/bootstrap_admin.key)");
ABSL_FLAG(std::string, create_admin_key, "",
          "offline: create a new ADMIN key, write it to this file (0600) and "
          "exit; for a lost admin key (the server must be stopped)");
ABSL_FLAG(std::string, backup_dir, "",
          "directory of online backups (default DATA_DIR.backups; \"off\" "
          "turns them off)");
ABSL_FLAG(double, alert_threshold, 0.6,
          "score at which a published need's side is alerted of an offer (when "
          "the need sets none) and an offer's side of a public need (0.6: the "
          "STRONG label, docs/quality.md)");
ABSL_FLAG(double, rate_limit, 200, "calls per second per API key (0: off)");
ABSL_FLAG(double, rate_burst, 400, "calls an API key may make at once");
ABSL_FLAG(int, max_concurrent_streams, 64, "HTTP/2 streams per connection");
ABSL_FLAG(int, max_threads, 64, "threads serving calls (gRPC ResourceQuota)");
ABSL_FLAG(int, memory_quota_mb, 1024, "gRPC buffer memory (ResourceQuota)");
ABSL_FLAG(int, max_stream_minutes, 30, "longest import stream");
ABSL_FLAG(bool, h2_guard, true,
          "relay connections through the HTTP/2 guard, which also terminates "
          "TLS (rapid-reset and connection-flood limits; docs/security.md)");
ABSL_FLAG(int, max_connections, 256, "connections at once (HTTP/2 guard)");
ABSL_FLAG(int, max_connections_per_address, 32,
          "connections at once from one client address (HTTP/2 guard)");

namespace {

// Parses "name=value,..." into `weights`; false on an unknown name or a
// value outside [0, 1].
bool ParseWeights(const std::string& text, techmatch::matching::Weights* w) {
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(item, '=');
    double value = 0;
    if (!absl::SimpleAtod(kv.second, &value) || value < 0 || value > 1) {
      return false;
    }
    double* target = kv.first == "text"        ? &w->text
                     : kv.first == "sector"    ? &w->sector
                     : kv.first == "trl"       ? &w->trl
                     : kv.first == "price"     ? &w->price
                     : kv.first == "region"    ? &w->region
                     : kv.first == "transfer"  ? &w->transfer
                     : kv.first == "freshness" ? &w->freshness
                                               : nullptr;
    if (target == nullptr) return false;
    *target = value;
  }
  return true;
}

// --create_admin_key: adds an ADMIN key to a stopped server's database.
int CreateAdminKey(const std::string& data_dir, const std::string& path) {
  techmatch::SystemClock clock;
  techmatch::storage::CatalogOptions catalog_options;
  catalog_options.path = data_dir;
  auto catalog = techmatch::storage::Catalog::Open(catalog_options);
  if (!catalog.ok()) {
    std::fprintf(stderr, "techmatchd: %s\n",
                 catalog.status().ToString().c_str());
    return 1;
  }
  techmatch::domain::AuditLog audit(catalog->get(), &clock);
  auto keys = techmatch::domain::KeyStore::Open(catalog->get(), &audit, &clock);
  techmatch::v1::CreateApiKeyRequest request;
  request.mutable_api_key()->set_role(techmatch::v1::ADMIN);
  request.mutable_api_key()->set_display_name(
      "created offline by techmatchd --create_admin_key");
  absl::StatusOr<techmatch::v1::CreateApiKeyResponse> created =
      keys.ok()
          ? (*keys)->Create(
                techmatch::domain::Caller::System("techmatchd.CreateAdminKey"),
                request)
          : keys.status();
  absl::Status written = created.ok()
                             ? techmatch::server::TechmatchServer::WriteKeyFile(
                                   path, created->secret())
                             : created.status();
  if (!written.ok()) {
    std::fprintf(stderr, "techmatchd: %s\n", written.ToString().c_str());
    return 1;
  }
  std::printf("created %s; the key is in %s\n",
              created->api_key().name().c_str(), path.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "techmatchd --data_dir=DIR [--listen=127.0.0.1:50051]");
  absl::ParseCommandLine(argc, argv);
  std::string tunables_error;
  techmatch::ReexecWithMallocTunables(
      argv,
      {.huge_pages = absl::GetFlag(FLAGS_transparent_huge_pages),
       .tcache_count =
           std::clamp(absl::GetFlag(FLAGS_malloc_tcache_count), 0, 65535)},
      &tunables_error);
  if (!tunables_error.empty()) spdlog::warn("{}", tunables_error);
  if (const char* tunables = std::getenv("GLIBC_TUNABLES"))
    spdlog::info("GLIBC_TUNABLES={}", tunables);
  if (absl::GetFlag(FLAGS_data_dir).empty()) {
    std::fprintf(stderr, "techmatchd: --data_dir is required\n");
    return 2;
  }
  if (!absl::GetFlag(FLAGS_create_admin_key).empty()) {
    return CreateAdminKey(absl::GetFlag(FLAGS_data_dir),
                          absl::GetFlag(FLAGS_create_admin_key));
  }
  // Block the stop signals in every thread; one thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  techmatch::server::ServerOptions options;
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.reference_dir = absl::GetFlag(FLAGS_reference_dir);
  options.listen_address = absl::GetFlag(FLAGS_listen);
  options.sync_writes = !absl::GetFlag(FLAGS_unsafe_no_sync);
  if (absl::GetFlag(FLAGS_block_cache_mb) < 0) {
    std::fprintf(stderr, "techmatchd: --block_cache_mb must not be negative\n");
    return 2;
  }
  options.block_cache_bytes =
      static_cast<size_t>(absl::GetFlag(FLAGS_block_cache_mb)) << 20;
  options.limits.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  options.limits.per_key.rate = absl::GetFlag(FLAGS_rate_limit);
  options.limits.per_key.burst = std::max(1.0, absl::GetFlag(FLAGS_rate_burst));
  options.limits.max_concurrent_streams =
      absl::GetFlag(FLAGS_max_concurrent_streams);
  options.limits.max_threads = absl::GetFlag(FLAGS_max_threads);
  options.limits.memory_quota_bytes =
      int64_t{absl::GetFlag(FLAGS_memory_quota_mb)} << 20;
  options.limits.max_stream_duration =
      absl::Minutes(std::max(1, absl::GetFlag(FLAGS_max_stream_minutes)));
  options.limits.h2_guard = absl::GetFlag(FLAGS_h2_guard);
  options.limits.guard.max_connections = absl::GetFlag(FLAGS_max_connections);
  options.limits.guard.max_connections_per_address =
      absl::GetFlag(FLAGS_max_connections_per_address);
  options.tls_cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  options.tls_key_file = absl::GetFlag(FLAGS_tls_key_file);
  options.tls_client_ca_file = absl::GetFlag(FLAGS_tls_client_ca_file);
  options.allow_insecure_remote = absl::GetFlag(FLAGS_allow_insecure_remote);
  options.bootstrap_key_file = absl::GetFlag(FLAGS_bootstrap_key_file);
  options.alerts.default_threshold = absl::GetFlag(FLAGS_alert_threshold);
  options.backup_dir = absl::GetFlag(FLAGS_backup_dir);
  if (options.backup_dir.empty())
    options.backup_dir = options.data_dir + ".backups";
  if (options.backup_dir == "off") options.backup_dir.clear();
  options.index_snapshot = absl::GetFlag(FLAGS_index_snapshot);
  options.candidate_pool =
      static_cast<size_t>(std::max(10, absl::GetFlag(FLAGS_candidate_pool)));
  options.snapshot_every_changes = absl::GetFlag(FLAGS_index_snapshot_changes);
  if (!ParseWeights(absl::GetFlag(FLAGS_score_weights), &options.score_weights)) {
    std::fprintf(stderr, "techmatchd: bad --score_weights\n");
    return 2;
  }
  options.expiry_interval =
      absl::Seconds(std::max(1, absl::GetFlag(FLAGS_expiry_interval_seconds)));
  techmatch::SystemClock clock;
  auto server = techmatch::server::TechmatchServer::Start(options, &clock);
  if (!server.ok()) {
    spdlog::critical("cannot start: {}", server.status().ToString());
    return 1;
  }
  spdlog::info("techmatchd serving on port {}", (*server)->port());
  if (!absl::GetFlag(FLAGS_port_file).empty()) {
    std::string path = absl::GetFlag(FLAGS_port_file);
    std::ofstream(path + ".tmp") << (*server)->port() << "\n";
    std::rename((path + ".tmp").c_str(), path.c_str());
  }

  std::thread signal_waiter([&] {
    int signal = 0;
    sigwait(&stop_signals, &signal);
    spdlog::info("signal {}: stopping", signal);
    (*server)->Shutdown(
        absl::Seconds(absl::GetFlag(FLAGS_shutdown_grace_seconds)));
  });
  (*server)->Wait();
  signal_waiter.join();
  server->reset();
  spdlog::info("techmatchd stopped cleanly");
  return 0;
}
