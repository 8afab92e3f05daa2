// Load generator: drives a running techmatchd with N concurrent clients
// calling MatchOffersForNeed (explained) for random needs, and prints QPS
// and latency percentiles.
//
//   load_generator --server=127.0.0.1:50051 --clients=16 --seconds=20
//                  [--needs=needs/1..needs/N as --max_need=N] [--page_size=10]
//                  [--api_key_file=FILE] [--validate_every=32]
//                  [--tls_ca=ca.pem]
//
// Each client is a closed loop over its own connection: one call in flight,
// the next sent when it completes. All clients run on one thread and one
// completion queue, through gRPC's generic stub: responses arrive as bytes
// and only every `validate_every`-th is parsed and checked (it must hold
// matches), so that the generator, which shares the machine with the server,
// spends as little CPU as it can (16 synchronous clients on their own
// threads, parsing every response, took ~14% of a two-core machine's CPU).
//
// All clients share one key: start techmatchd with --rate_limit=0 (or high
// enough) to measure the server rather than its per-key limit.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <string>
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
ABSL_FLAG(std::string, tls_ca, "",
          "PEM file of the CA that signed the server's certificate: speak TLS "
          "(the --server host must be a name in the certificate)");
ABSL_FLAG(int, validate_every, 32,
          "parse and check every N-th response (1: all of them)");

namespace {

namespace v1 = techmatch::v1;
using Clock = std::chrono::steady_clock;

constexpr char kMethod[] = "/techmatch.v1.MatchService/MatchOffersForNeed";

// One closed-loop client: its channel, its random needs, its call in flight.
struct Client {
  std::unique_ptr<grpc::GenericStub> stub;
  std::mt19937 rng;
  // The call in flight.
  std::unique_ptr<grpc::ClientContext> context;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> call;
  grpc::ByteBuffer response;
  grpc::Status status;
  Clock::time_point sent;
};

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::string api_key;
  if (!absl::GetFlag(FLAGS_api_key_file).empty()) {
    std::ifstream(absl::GetFlag(FLAGS_api_key_file)) >> api_key;
  } else if (const char* env = std::getenv("TECHMATCH_API_KEY")) {
    api_key = env;
  }
  const std::string authorization = "Bearer " + api_key;
  const int clients = std::max(1, absl::GetFlag(FLAGS_clients));
  const int max_need = std::max(1, absl::GetFlag(FLAGS_max_need));
  const int page_size = absl::GetFlag(FLAGS_page_size);
  const int validate_every = std::max(1, absl::GetFlag(FLAGS_validate_every));
  const auto duration = std::chrono::seconds(absl::GetFlag(FLAGS_seconds));

  std::shared_ptr<grpc::ChannelCredentials> credentials =
      grpc::InsecureChannelCredentials();
  if (const std::string ca = absl::GetFlag(FLAGS_tls_ca); !ca.empty()) {
    std::ifstream in(ca);
    grpc::SslCredentialsOptions options;
    options.pem_root_certs.assign(std::istreambuf_iterator<char>(in), {});
    if (options.pem_root_certs.empty()) {
      std::fprintf(stderr, "load_generator: cannot read %s\n", ca.c_str());
      return 2;
    }
    credentials = grpc::SslCredentials(options);
  }
  grpc::CompletionQueue cq;
  std::vector<Client> pool(clients);
  for (int c = 0; c < clients; ++c) {
    grpc::ChannelArguments args;
    args.SetInt("grpc.channel_id", c);  // a connection per client
    pool[c].stub =
        std::make_unique<grpc::GenericStub>(grpc::CreateCustomChannel(
            absl::GetFlag(FLAGS_server), credentials, args));
    pool[c].rng.seed(1234 + c);
  }
  auto send = [&](int c) {
    Client& client = pool[c];
    v1::MatchOffersForNeedRequest request;
    request.set_need("needs/" + std::to_string(1 + client.rng() % max_need));
    request.set_page_size(page_size);
    std::string bytes = request.SerializeAsString();
    grpc::Slice slice(bytes);
    grpc::ByteBuffer buffer(&slice, 1);
    client.context = std::make_unique<grpc::ClientContext>();
    client.context->AddMetadata("authorization", authorization);
    client.context->set_deadline(std::chrono::system_clock::now() +
                                 std::chrono::seconds(10));
    client.response.Clear();
    client.sent = Clock::now();
    client.call = client.stub->PrepareUnaryCall(client.context.get(), kMethod,
                                                buffer, &cq);
    client.call->StartCall();
    client.call->Finish(&client.response, &client.status,
                        reinterpret_cast<void*>(static_cast<intptr_t>(c)));
  };

  const auto start = Clock::now();
  for (int c = 0; c < clients; ++c) send(c);
  std::vector<double> latencies_ms;
  int64_t errors = 0, validated = 0, invalid = 0, completed = 0;
  std::string first_error;
  int in_flight = clients;
  void* tag = nullptr;
  bool ok = false;
  while (in_flight > 0 && cq.Next(&tag, &ok)) {
    const int c = static_cast<int>(reinterpret_cast<intptr_t>(tag));
    Client& client = pool[c];
    const auto done = Clock::now();
    --in_flight;
    if (!ok || !client.status.ok()) {
      ++errors;
      if (first_error.empty()) first_error = client.status.error_message();
    } else {
      latencies_ms.push_back(
          std::chrono::duration<double, std::milli>(done - client.sent)
              .count());
      if (completed++ % validate_every == 0) {
        ++validated;
        grpc::Slice whole;
        v1::MatchOffersForNeedResponse response;
        if (!client.response.DumpToSingleSlice(&whole).ok() ||
            !response.ParseFromArray(whole.begin(),
                                     static_cast<int>(whole.size())) ||
            response.matches().empty()) {
          ++invalid;
        }
      }
    }
    if (done - start < duration) {
      send(c);
      ++in_flight;
    }
  }
  const double elapsed =
      std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double p) {
    if (latencies_ms.empty()) return 0.0;
    size_t i = std::min(latencies_ms.size() - 1,
                        static_cast<size_t>(p / 100.0 * static_cast<double>(latencies_ms.size())));
    return latencies_ms[i];
  };
  std::printf(
      "clients=%d requests=%zu errors=%lld seconds=%.1f qps=%.1f p50=%.2fms "
      "p95=%.2fms "
      "p99=%.2fms validated=%lld without_matches=%lld\n",
      clients, latencies_ms.size(), static_cast<long long>(errors), elapsed,
      static_cast<double>(latencies_ms.size()) / elapsed, pct(50), pct(95),
      pct(99), static_cast<long long>(validated),
      static_cast<long long>(invalid));
  if (!first_error.empty())
    std::fprintf(stderr, "first error: %s\n", first_error.c_str());
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return errors > 0 || invalid > 0 ? 1 : 0;
}
