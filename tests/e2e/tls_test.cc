// TLS and mutual TLS end to end: techmatchd with certificates made by
// tests/e2e/make_test_certs.sh (openssl), driven by the techmatch CLI; and
// the refusal to listen beyond loopback without TLS.
#include <gtest/gtest.h>

#include "tests/e2e/server_process.h"
#include "tests/test_util.h"

namespace techmatch::testing {
namespace {

class TlsTest : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    certs_ = Path("certs");
    std::string out;
    ASSERT_EQ(
        RunCommand(std::string(TECHMATCH_SOURCE_DIR) +
                       "/tests/e2e/make_test_certs.sh " + certs_ + " 2>&1",
                   &out),
        0)
        << out;
  }
  std::string Cert(const std::string& name) const {
    return certs_ + "/" + name;
  }

  // `techmatch whoami` against `server` with the given TLS options.
  int WhoAmI(const ServerProcess& server, const std::string& tls,
             std::string* out) {
    return RunCommand("TECHMATCH_API_KEY_FILE=" + server.admin_key_file() +
                          " " + std::string(TECHMATCH_CLI_PATH) +
                          " --timeout=5 --server=" + server.address() + " " +
                          tls + " whoami 2>&1",
                      out);
  }

  std::string certs_;
};

TEST_F(TlsTest, ServerTlsAcceptsTrustingClientsOnly) {
  ServerProcess server(Path("db"), {"--tls_cert_file=" + Cert("server.pem"),
                                    "--tls_key_file=" + Cert("server.key")});
  ASSERT_TRUE(server.Start());
  std::string out;
  EXPECT_EQ(WhoAmI(server, "--tls-ca=" + Cert("ca.pem"), &out), 0) << out;
  EXPECT_NE(out.find("ADMIN"), std::string::npos) << out;
  // Plaintext to a TLS port fails.
  EXPECT_EQ(WhoAmI(server, "", &out), 1) << out;
  EXPECT_NE(out.find("UNAVAILABLE"), std::string::npos) << out;
  // A client that trusts another CA refuses the server.
  EXPECT_EQ(WhoAmI(server, "--tls-ca=" + Cert("rogue-ca.pem"), &out), 1) << out;
}

TEST_F(TlsTest, MutualTlsRequiresAClientCertificateFromTheCa) {
  ServerProcess server(Path("db"), {"--tls_cert_file=" + Cert("server.pem"),
                                    "--tls_key_file=" + Cert("server.key"),
                                    "--tls_client_ca_file=" + Cert("ca.pem")});
  ASSERT_TRUE(server.Start());
  std::string out;
  const std::string ca = "--tls-ca=" + Cert("ca.pem");
  EXPECT_EQ(WhoAmI(server,
                   ca + " --tls-cert=" + Cert("client.pem") +
                       " --tls-key=" + Cert("client.key"),
                   &out),
            0)
      << out;
  EXPECT_EQ(WhoAmI(server, ca, &out), 1) << "no client certificate: " << out;
  EXPECT_EQ(WhoAmI(server,
                   ca + " --tls-cert=" + Cert("rogue-client.pem") +
                       " --tls-key=" + Cert("rogue-client.key"),
                   &out),
            1)
      << "a certificate from another CA: " << out;
  // The certificate opens the transport; the API key is still required.
  EXPECT_EQ(RunCommand(std::string(TECHMATCH_CLI_PATH) +
                           " --timeout=5 --server=" + server.address() + " " +
                           ca + " --tls-cert=" + Cert("client.pem") +
                           " --tls-key=" + Cert("client.key") + " whoami 2>&1",
                       &out),
            1);
  EXPECT_NE(out.find("UNAUTHENTICATED"), std::string::npos) << out;
  // The guard terminates TLS: the verified certificate's subject still
  // reaches the audit, here on that refusal.
  EXPECT_EQ(RunCommand("TECHMATCH_API_KEY_FILE=" + server.admin_key_file() +
                           " " + std::string(TECHMATCH_CLI_PATH) +
                           " --timeout=5 --server=" + server.address() + " " +
                           ca + " --tls-cert=" + Cert("client.pem") +
                           " --tls-key=" + Cert("client.key") +
                           " audit --outcome=UNAUTHENTICATED --json 2>&1",
                       &out),
            0)
      << out;
  EXPECT_NE(out.find("\"client_certificate\": \"CN=dong-nai-portal\""),
            std::string::npos)
      << out;
}

TEST_F(TlsTest, PlaintextBeyondLoopbackIsRefusedUnlessAllowed) {
  ServerProcess refused(Path("db"), {"--listen=0.0.0.0:0"});
  EXPECT_FALSE(refused.Start());
  std::string log;
  RunCommand("cat " + Path("db") + ".log", &log);
  EXPECT_NE(log.find("without TLS"), std::string::npos) << log;

  ServerProcess allowed(Path("db"),
                        {"--listen=0.0.0.0:0", "--allow_insecure_remote"});
  ASSERT_TRUE(allowed.Start());
  std::string out;
  EXPECT_EQ(WhoAmI(allowed, "", &out), 0) << out;
}

}  // namespace
}  // namespace techmatch::testing
