// Load generator: drives a running techmatchd with N concurrent clients
// calling MatchOffersForNeed (explained) for random needs, and prints QPS
// and latency percentiles.
//
//   load_generator --server=127.0.0.1:50051 --clients=16 --seconds=20
//                  [--needs=needs/1..needs/N as --max_need=N] [--page_size=10]
//                  [--api_key_file=FILE]
//
// All clients share one key: start techmatchd with --rate_limit=0 (or high
// enough) to measure the server rather than its per-key limit.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "techmatch/v1/match_service.grpc.pb.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "techmatchd address");
ABSL_FLAG(int, clients, 1, "concurrent clients, each with its own channel");
ABSL_FLAG(int, seconds, 10, "how long to run");
ABSL_FLAG(int, max_need, 100, "needs/1 .. needs/N are queried at random");
ABSL_FLAG(int, page_size, 10, "results per match");
ABSL_FLAG(std::string, api_key_file, "",
          "file holding the API key (default: $TECHMATCH_API_KEY)");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  namespace v1 = techmatch::v1;
  std::string api_key;
  if (!absl::GetFlag(FLAGS_api_key_file).empty()) {
    std::ifstream(absl::GetFlag(FLAGS_api_key_file)) >> api_key;
  } else if (const char* env = std::getenv("TECHMATCH_API_KEY")) {
    api_key = env;
  }
  const int clients = std::max(1, absl::GetFlag(FLAGS_clients));
  const auto duration = std::chrono::seconds(absl::GetFlag(FLAGS_seconds));
  std::mutex mu;
  std::vector<double> latencies_ms;
  std::atomic<int64_t> errors{0};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      grpc::ChannelArguments args;
      args.SetInt("grpc.channel_id", c);  // a connection per client
      auto channel = grpc::CreateCustomChannel(absl::GetFlag(FLAGS_server),
                                               grpc::InsecureChannelCredentials(), args);
      auto stub = v1::MatchService::NewStub(channel);
      std::mt19937 rng(1234 + c);
      std::vector<double> mine;
      while (std::chrono::steady_clock::now() - start < duration) {
        v1::MatchOffersForNeedRequest request;
        request.set_need("needs/" + std::to_string(1 + rng() % absl::GetFlag(FLAGS_max_need)));
        request.set_page_size(absl::GetFlag(FLAGS_page_size));
        v1::MatchOffersForNeedResponse response;
        grpc::ClientContext context;
        context.AddMetadata("authorization", "Bearer " + api_key);
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
        auto t0 = std::chrono::steady_clock::now();
        grpc::Status status = stub->MatchOffersForNeed(&context, request, &response);
        auto t1 = std::chrono::steady_clock::now();
        if (!status.ok()) {
          ++errors;
          continue;
        }
        mine.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      }
      std::lock_guard<std::mutex> lock(mu);
      latencies_ms.insert(latencies_ms.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double p) {
    if (latencies_ms.empty()) return 0.0;
    size_t i = std::min(latencies_ms.size() - 1,
                        static_cast<size_t>(p / 100.0 * static_cast<double>(latencies_ms.size())));
    return latencies_ms[i];
  };
  std::printf("clients=%d requests=%zu errors=%lld seconds=%.1f qps=%.1f p50=%.2fms p95=%.2fms p99=%.2fms\n",
              clients, latencies_ms.size(), static_cast<long long>(errors.load()), elapsed,
              static_cast<double>(latencies_ms.size()) / elapsed, pct(50), pct(95), pct(99));
  return errors.load() > 0 ? 1 : 0;
}
