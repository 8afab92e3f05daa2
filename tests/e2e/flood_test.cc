// Abuse resistance: while tests/e2e/h2_flood floods techmatchd with HTTP/2
// rapid resets (HEADERS + RST_STREAM, thousands per second, the attack of
// CVE-2023-44487 that gRPC 1.51 does not mitigate), a legitimate client
// keeps getting answers and the server's threads and memory stay bounded.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <iterator>
#include <memory>
#include <thread>

#include "techmatch/v1/access.grpc.pb.h"
#include "tests/e2e/server_process.h"
#include "tests/test_util.h"

namespace techmatch::testing {
namespace {

// "Threads:" and "VmRSS:" (kB) of /proc/PID/status.
void ReadStatus(pid_t pid, int64_t* threads, int64_t* rss_kb) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  while (in >> key) {
    if (key == "Threads:") in >> *threads;
    if (key == "VmRSS:") in >> *rss_kb;
  }
}

// Floods a techmatchd for 8 s from 127.0.0.2 with 4 connections while a
// legitimate client on 127.0.0.1 calls GetCaller every 20 ms; with `tls`
// the port speaks TLS (certificates from make_test_certs.sh) and both the
// flood and the client use it. The bounds are the same for both.
void FloodAndCheck(bool tls) {
  std::string dir = ::testing::TempDir() + "/techmatch_flood_" +
                    (tls ? "tls_" : "") + std::to_string(getpid());
  std::string ignored;
  RunCommand("rm -rf " + dir + " && mkdir -p " + dir, &ignored);
  std::vector<std::string> args = {"--max_threads=32"};
  std::shared_ptr<grpc::ChannelCredentials> credentials =
      grpc::InsecureChannelCredentials();
  if (tls) {
    std::string out;
    ASSERT_EQ(
        RunCommand(std::string(TECHMATCH_SOURCE_DIR) +
                       "/tests/e2e/make_test_certs.sh " + dir + "/certs 2>&1",
                   &out),
        0)
        << out;
    args.push_back("--tls_cert_file=" + dir + "/certs/server.pem");
    args.push_back("--tls_key_file=" + dir + "/certs/server.key");
    std::ifstream ca(dir + "/certs/ca.pem");
    grpc::SslCredentialsOptions options;
    options.pem_root_certs.assign(std::istreambuf_iterator<char>(ca), {});
    credentials = grpc::SslCredentials(options);
  }
  ServerProcess server(dir + "/db", args);
  ASSERT_TRUE(server.Start());
  const std::string key = server.admin_key();
  // "localhost" (the server certificate's name) under TLS.
  const std::string target =
      tls ? "localhost:" + std::to_string(server.port()) : server.address();

  std::atomic<bool> stop{false};
  std::atomic<int64_t> ok{0}, failed{0};
  std::atomic<int64_t> worst_ms{0};
  auto call = [&](grpc::Channel& channel) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + key);
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(2));
    v1::Caller caller;
    return v1::AccessService::NewStub(
               std::shared_ptr<grpc::Channel>(&channel, [](auto*) {}))
        ->GetCaller(&context, {}, &caller)
        .ok();
  };
  auto channel = grpc::CreateChannel(target, credentials);
  ASSERT_TRUE(call(*channel)) << "the server does not answer before the flood";
  std::thread legit([&] {
    while (!stop.load()) {
      auto t0 = std::chrono::steady_clock::now();
      bool good = call(*channel);
      int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - t0)
                       .count();
      (good ? ok : failed)++;
      if (good && ms > worst_ms.load()) worst_ms.store(ms);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  int64_t threads_before = 0, rss_before = 0;
  ReadStatus(server.pid(), &threads_before, &rss_before);
  int64_t max_threads = threads_before, max_rss_kb = rss_before;
  std::thread monitor([&] {
    while (!stop.load()) {
      int64_t threads = 0, rss = 0;
      ReadStatus(server.pid(), &threads, &rss);
      max_threads = std::max(max_threads, threads);
      max_rss_kb = std::max(max_rss_kb, rss);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });

  std::string flood;
  // EXPECT: the threads above must be joined whatever happens.
  EXPECT_EQ(RunCommand(std::string(H2_FLOOD_PATH) +
                           " --port=" + std::to_string(server.port()) +
                           " --connections=4 --seconds=8 --source=127.0.0.2" +
                           (tls ? " --tls" : ""),
                       &flood),
            0);
  int64_t ok_during = ok.load(), failed_during = failed.load();
  stop = true;
  legit.join();
  monitor.join();
  std::string closed;
  RunCommand("grep -c 'h2 guard: closing' " + dir + "/db.log", &closed);
  std::printf(
      "%s: %sconnections closed by the guard: %s"
      "threads %lld -> max %lld; RSS %lld -> max %lld MiB; legitimate calls "
      "during the flood: %lld answered, %lld failed, slowest %lld ms\n",
      tls ? "TLS" : "plaintext", flood.c_str(), closed.c_str(),
      static_cast<long long>(threads_before),
      static_cast<long long>(max_threads),
      static_cast<long long>(rss_before >> 10),
      static_cast<long long>(max_rss_kb >> 10),
      static_cast<long long>(ok_during), static_cast<long long>(failed_during),
      static_cast<long long>(worst_ms.load()));

  EXPECT_NE(flood.find("streams opened"), std::string::npos) << flood;
  EXPECT_GT(std::atoi(closed.c_str()), 0)
      << "the guard closed no flooding connection";
  // The legitimate client is served throughout, every call.
  EXPECT_GE(ok_during, 50);
  EXPECT_EQ(failed_during, 0);
  // Threads: the ResourceQuota cap plus gRPC's and RocksDB's own. Memory:
  // less than 50 MB of growth (gRPC alone grew by gigabytes).
  EXPECT_LE(max_threads, 32 + 40);
  EXPECT_LT(max_rss_kb - rss_before, int64_t{50} * 1000 * 1000 / 1024);
  // And it still answers afterwards.
  EXPECT_TRUE(call(*grpc::CreateChannel(target, credentials)));
  server.Kill(SIGTERM);
  RunCommand("rm -rf " + dir, &ignored);
}

TEST(FloodTest, RapidResetFloodLeavesTheServerBoundedAndAnswering) {
  FloodAndCheck(/*tls=*/false);
}

// Issue 20, item 1: the TLS port fell over (RSS 66 MiB -> 4.2 GiB, 12 of
// 20 legitimate calls failed); the guard now terminates TLS in front of it.
TEST(FloodTest, RapidResetFloodOverTlsLeavesTheServerBoundedAndAnswering) {
  FloodAndCheck(/*tls=*/true);
}

}  // namespace
}  // namespace techmatch::testing
