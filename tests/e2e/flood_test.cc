// Abuse resistance: while tests/e2e/h2_flood floods techmatchd with HTTP/2
// rapid resets (HEADERS + RST_STREAM, thousands per second, the attack of
// CVE-2023-44487 that gRPC 1.51 does not mitigate), a legitimate client
// keeps getting answers and the server's threads and memory stay bounded.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
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

TEST(FloodTest, RapidResetFloodLeavesTheServerBoundedAndAnswering) {
  std::string dir =
      ::testing::TempDir() + "/techmatch_flood_" + std::to_string(getpid());
  std::string ignored;
  RunCommand("rm -rf " + dir + " && mkdir -p " + dir, &ignored);
  ServerProcess server(dir + "/db", {"--max_threads=32"});
  ASSERT_TRUE(server.Start());
  const std::string key = server.admin_key();

  std::atomic<bool> stop{false};
  std::atomic<int64_t> ok{0}, failed{0};
  std::atomic<int64_t> worst_ms{0};
  std::thread legit([&] {
    auto channel = grpc::CreateChannel(server.address(),
                                       grpc::InsecureChannelCredentials());
    auto stub = v1::AccessService::NewStub(channel);
    while (!stop.load()) {
      grpc::ClientContext context;
      context.AddMetadata("authorization", "Bearer " + key);
      context.set_deadline(std::chrono::system_clock::now() +
                           std::chrono::seconds(2));
      auto t0 = std::chrono::steady_clock::now();
      v1::Caller caller;
      bool good = stub->GetCaller(&context, {}, &caller).ok();
      int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - t0)
                       .count();
      (good ? ok : failed)++;
      if (good && ms > worst_ms.load()) worst_ms.store(ms);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  int64_t max_threads = 0, max_rss_kb = 0;
  std::thread monitor([&] {
    while (!stop.load()) {
      int64_t threads = 0, rss = 0;
      ReadStatus(server.pid(), &threads, &rss);
      max_threads = std::max(max_threads, threads);
      max_rss_kb = std::max(max_rss_kb, rss);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  int64_t threads_before = 0, rss_before = 0;
  ReadStatus(server.pid(), &threads_before, &rss_before);

  std::string flood;
  ASSERT_EQ(RunCommand(std::string(H2_FLOOD_PATH) +
                           " --port=" + std::to_string(server.port()) +
                           " --connections=4 --seconds=8 --source=127.0.0.2",
                       &flood),
            0);
  int64_t ok_during = ok.load(), failed_during = failed.load();
  stop = true;
  legit.join();
  monitor.join();
  std::string closed;
  RunCommand("grep -c 'h2 guard: closing' " + dir + "/db.log", &closed);
  std::printf(
      "%sconnections closed by the guard: %s"
      "threads %lld -> max %lld; RSS %lld -> max %lld MiB; legitimate calls "
      "during the flood: %lld answered, %lld failed, slowest %lld ms\n",
      flood.c_str(), closed.c_str(), static_cast<long long>(threads_before),
      static_cast<long long>(max_threads),
      static_cast<long long>(rss_before >> 10),
      static_cast<long long>(max_rss_kb >> 10),
      static_cast<long long>(ok_during), static_cast<long long>(failed_during),
      static_cast<long long>(worst_ms.load()));

  EXPECT_NE(flood.find("streams opened"), std::string::npos) << flood;
  EXPECT_GT(std::atoi(closed.c_str()), 0)
      << "the guard closed no flooding connection";
  // The legitimate client is served throughout.
  EXPECT_GE(ok_during, 50);
  EXPECT_LE(failed_during * 20, ok_during)
      << "more than 5% of legitimate calls failed";
  // Threads: the ResourceQuota cap plus gRPC's and RocksDB's own.
  EXPECT_LE(max_threads, 32 + 40);
  EXPECT_LE(max_rss_kb, int64_t{768} << 10);
  // And it still answers afterwards.
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + key);
  v1::Caller caller;
  auto channel =
      grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());
  EXPECT_TRUE(v1::AccessService::NewStub(channel)
                  ->GetCaller(&context, {}, &caller)
                  .ok());
  server.Kill(SIGTERM);
  RunCommand("rm -rf " + dir, &ignored);
}

}  // namespace
}  // namespace techmatch::testing
