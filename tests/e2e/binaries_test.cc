// End to end: the two binaries on a loopback port, with the project's demo
// data; a clean restart keeps everything.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <sstream>

#include "tests/e2e/server_process.h"
#include "tests/test_util.h"

namespace techmatch::testing {
namespace {

class BinariesTest : public TempDirTest {
 protected:
  // The CLI command line, acting with the server's first ADMIN key.
  std::string Cli(const ServerProcess& server, const std::string& args) {
    return "TECHMATCH_API_KEY_FILE=" + server.admin_key_file() + " " +
           std::string(TECHMATCH_CLI_PATH) + " --server=" + server.address() +
           " " + args + " 2>&1";
  }
};

TEST_F(BinariesTest, ImportQueryRestart) {
  ServerProcess server(Path("db"));
  ASSERT_TRUE(server.Start());
  std::string demo = std::string(TECHMATCH_SOURCE_DIR) + "/data/demo/";
  std::string out;
  ASSERT_EQ(RunCommand(Cli(server, "--quiet org import " + demo + "organizations.jsonl"), &out), 0) << out;
  EXPECT_NE(out.find("10 created"), std::string::npos) << out;
  ASSERT_EQ(RunCommand(Cli(server, "--quiet offer import " + demo + "offers.jsonl"), &out), 0) << out;
  ASSERT_EQ(RunCommand(Cli(server, "--quiet need import " + demo + "needs.jsonl"), &out), 0) << out;
  ASSERT_EQ(RunCommand(Cli(server, "offer list --state=PUBLISHED --province='Ca Mau'"), &out), 0) << out;
  // Bạc Liêu, a pre-2025 province, is stored as Cà Mau.
  EXPECT_NE(out.find("offers/9"), std::string::npos) << out;
  EXPECT_NE(out.find("Cà Mau"), std::string::npos) << out;

  // Explained matches: the wastewater need finds the MBBR offer first.
  ASSERT_EQ(RunCommand(Cli(server, "match need needs/1 --explain --page-size=3"), &out), 0) << out;
  EXPECT_EQ(out.rfind("#1  ", 0), 0u) << out;
  EXPECT_NE(out.find("offers/1 "), std::string::npos) << out;
  EXPECT_NE(out.find("matched: "), std::string::npos) << out;
  EXPECT_NE(out.find("STRONG"), std::string::npos) << out;
  EXPECT_NE(out.find("trl"), std::string::npos) << out;
  // Typed without diacritics.
  ASSERT_EQ(RunCommand(Cli(server, "search offers 'may say nong san' --page-size=1"), &out), 0) << out;
  EXPECT_NE(out.find("offers/2 "), std::string::npos) << out;
  // The confidential need never shows in another organisation's results.
  ASSERT_EQ(RunCommand(Cli(server, "match offer offers/10"), &out), 0) << out;
  EXPECT_EQ(out.find("needs/6 "), std::string::npos) << out;

  // A connection from the best match, moved along; the history says who.
  ASSERT_EQ(RunCommand(Cli(server,
                           "connection create needs/1 offers/1 --from-match "
                           "--note='gợi ý từ kết quả ghép'"),
                       &out),
            0)
      << out;
  EXPECT_NE(out.find("connections/1  SUGGESTED"), std::string::npos) << out;
  EXPECT_NE(out.find("score"), std::string::npos) << out;
  ASSERT_EQ(RunCommand(Cli(server, "connection move 1 NEGOTIATING"), &out), 1)
      << out;
  EXPECT_NE(out.find("FAILED_PRECONDITION"), std::string::npos) << out;
  ASSERT_EQ(
      RunCommand(Cli(server, "connection move 1 INTEREST_EXPRESSED --note=ok"),
                 &out),
      0)
      << out;
  ASSERT_EQ(RunCommand(Cli(server, "connection list --need=1"), &out), 0)
      << out;
  EXPECT_NE(out.find("INTEREST_EXPRESSED"), std::string::npos) << out;
  // The change feed ends with the connection's two changes.
  ASSERT_EQ(RunCommand(Cli(server, "feed --after=28"), &out), 0) << out;
  EXPECT_NE(out.find("CREATED  connections/1  v1"), std::string::npos) << out;
  EXPECT_NE(out.find("UPDATED  connections/1  v2"), std::string::npos) << out;

  // The yearly account, with its CSV and SVG.
  ASSERT_EQ(
      RunCommand(Cli(server, "report --by=organization --csv=" + Path("r.csv") +
                                 " --svg=" + Path("r.svg")),
                 &out),
      0)
      << out;
  EXPECT_NE(out.find("Tổng cộng"), std::string::npos) << out;
  std::string svg;
  RunCommand("cat " + Path("r.svg"), &svg);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);

  // SIGTERM: clean shutdown, exit code 0.
  int status = server.Kill(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;

  ServerProcess again(Path("db"));
  ASSERT_TRUE(again.Start());
  ASSERT_EQ(RunCommand(Cli(again, "--json need get needs/6"), &out), 0) << out;
  EXPECT_NE(out.find("CONFIDENTIAL"), std::string::npos) << out;
  // The index is rebuilt from RocksDB at start-up.
  ASSERT_EQ(RunCommand(Cli(again, "match need needs/1 --page-size=1"), &out), 0) << out;
  EXPECT_NE(out.find("offers/1 "), std::string::npos) << out;
  // Re-importing the same file changes nothing.
  ASSERT_EQ(RunCommand(Cli(again, "--quiet offer import " + demo + "offers.jsonl"), &out), 0) << out;
  EXPECT_NE(out.find("12 unchanged"), std::string::npos) << out;
  ASSERT_EQ(RunCommand(Cli(again, "connection get connections/1"), &out), 0)
      << out;
  EXPECT_NE(out.find("gợi ý từ kết quả ghép"), std::string::npos) << out;
  EXPECT_EQ(RunCommand(Cli(again, "offer get offers/999"), &out), 1);
  EXPECT_NE(out.find("NOT_FOUND"), std::string::npos) << out;
}

// The environment techmatchd runs with (its /proc environ block).
std::string EnvironmentOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/environ");
  std::stringstream all;
  all << in.rdbuf();
  return all.str();
}

TEST_F(BinariesTest, MallocTunedByReexecutionUnlessTurnedOff) {
  std::ifstream mode_file("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string mode((std::istreambuf_iterator<char>(mode_file)),
                   std::istreambuf_iterator<char>());
  const bool thp = mode.find("[madvise]") != std::string::npos ||
                   mode.find("[always]") != std::string::npos;
  {
    ServerProcess server(Path("db"));
    ASSERT_TRUE(server.Start());
    // Same pid, re-executed with the tunables, and serving.
    const std::string env = EnvironmentOf(server.pid());
    EXPECT_NE(env.find("glibc.malloc.tcache_count=1000"), std::string::npos);
    EXPECT_EQ(env.find("glibc.malloc.hugetlb=1") != std::string::npos, thp)
        << "THP mode: " << mode;
    std::string out;
    EXPECT_EQ(RunCommand(Cli(server, "org list"), &out), 0) << out;
    EXPECT_EQ(server.Kill(SIGTERM), 0);
  }
  {
    ServerProcess pages_off(Path("db"), {"--transparent_huge_pages=false"});
    ASSERT_TRUE(pages_off.Start());
    const std::string env = EnvironmentOf(pages_off.pid());
    EXPECT_EQ(env.find("glibc.malloc.hugetlb"), std::string::npos);
    EXPECT_NE(env.find("glibc.malloc.tcache_count=1000"), std::string::npos);
    EXPECT_EQ(pages_off.Kill(SIGTERM), 0);
  }
  ServerProcess plain(Path("db"), {"--transparent_huge_pages=false",
                                   "--malloc_tcache_count=0"});
  ASSERT_TRUE(plain.Start());
  const std::string env = EnvironmentOf(plain.pid());
  EXPECT_EQ(env.find("glibc.malloc.hugetlb"), std::string::npos);
  EXPECT_EQ(env.find("glibc.malloc.tcache_count"), std::string::npos);
}

}  // namespace
}  // namespace techmatch::testing
