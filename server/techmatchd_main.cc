// techmatchd: the techmatch gRPC server on an embedded RocksDB.
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "base/clock.h"
#include "server/techmatch_server.h"

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
ABSL_FLAG(int, max_message_bytes, 16 << 20, "largest gRPC message");
ABSL_FLAG(int, expiry_interval_seconds, 60,
          "how often expired offers and needs are marked EXPIRED");
ABSL_FLAG(std::string, score_weights, "",
          "default score component weights, e.g. "
          "\"text=0.55,sector=0.1,trl=0.12,price=0.1,region=0.05,"
          "transfer=0.05,freshness=0.03\"; unnamed components keep theirs");
ABSL_FLAG(int, shutdown_grace_seconds, 10,
          "how long running calls may finish after SIGINT/SIGTERM");

namespace {

// Parses "name=value,..." into `weights`; false on an unknown name or a
// value outside [0, 10].
bool ParseWeights(const std::string& text, techmatch::matching::Weights* w) {
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(item, '=');
    double value = 0;
    if (!absl::SimpleAtod(kv.second, &value) || value < 0 || value > 10) {
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

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "techmatchd --data_dir=DIR [--listen=127.0.0.1:50051]");
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_data_dir).empty()) {
    std::fprintf(stderr, "techmatchd: --data_dir is required\n");
    return 2;
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
  options.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
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
