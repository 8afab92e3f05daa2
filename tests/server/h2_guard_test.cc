// The HTTP/2 guard's relay on its own, in front of a gRPC server that echoes
// every call's bytes: large messages both ways on concurrent connections
// (the relay's partial sends and backpressure), and what it closes.
#include "server/h2_guard.h"

#include <arpa/inet.h>
#include <grpc/grpc.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"

namespace techmatch::server {
namespace {

// Answers every call with the bytes of its one request, or, when they read
// "big:N", with N bytes.
class EchoService final : public grpc::CallbackGenericService {
 public:
  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext*) override {
    return new Reactor();
  }

 private:
  class Reactor final : public grpc::ServerGenericBidiReactor {
   public:
    Reactor() { StartRead(&message_); }
    void OnReadDone(bool ok) override {
      if (!ok) {
        Finish(grpc::Status::OK);
        return;
      }
      std::vector<grpc::Slice> slices;
      if (message_.Dump(&slices).ok() && slices.size() == 1 &&
          slices[0].size() < 16) {
        const std::string text(reinterpret_cast<const char*>(slices[0].begin()),
                               slices[0].size());
        if (text.rfind("big:", 0) == 0) {
          grpc::Slice big(std::string(std::stoul(text.substr(4)), 'b'));
          message_ = grpc::ByteBuffer(&big, 1);
        }
      }
      StartWriteAndFinish(&message_, grpc::WriteOptions(), grpc::Status::OK);
    }
    void OnDone() override { delete this; }

   private:
    grpc::ByteBuffer message_;
  };
};

std::string ToString(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  EXPECT_TRUE(buffer.Dump(&slices).ok());
  std::string out;
  for (const grpc::Slice& s : slices) {
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return out;
}

// One call of the echo method over `channel`; `*answer` gets the reply.
grpc::Status Echo(const std::shared_ptr<grpc::Channel>& channel,
                  const std::string& bytes, int seconds, std::string* answer) {
  grpc::GenericStub stub(channel);
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1), response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(seconds));
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/test.Echo/Echo", grpc::StubOptions(), &request,
                 &response,
                 [&](grpc::Status s) { done.set_value(std::move(s)); });
  grpc::Status status = done.get_future().get();
  if (status.ok()) *answer = ToString(response);
  return status;
}

class H2GuardTest : public ::testing::Test {
 protected:
  // gRPC stays initialised until the process exits: shutting the library
  // down when a test's server goes (the last gRPC object) sometimes waited
  // ~10 s on an executor's poll after the raw-socket client's test.
  static void SetUpTestSuite() { grpc_init(); }

  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.RegisterCallbackGenericService(&echo_);
    builder.SetMaxReceiveMessageSize(-1);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    H2GuardOptions options;
    options.handshake_timeout = absl::Seconds(1);
    auto guard = H2Guard::Listen("127.0.0.1:0", options, &clock_, MakeTls());
    ASSERT_TRUE(guard.ok()) << guard.status();
    guard_ = *std::move(guard);
    guard_->Serve(server_.get());
  }
  void TearDown() override {
    guard_->StopAccepting();
    server_->Shutdown(std::chrono::system_clock::now() +
                      std::chrono::seconds(2));
    guard_->Stop();
  }

  // The guard's TLS context: none here (plaintext); H2GuardTlsTest's.
  virtual std::unique_ptr<TlsContext> MakeTls() { return nullptr; }
  // The credentials a client uses.
  virtual std::shared_ptr<grpc::ChannelCredentials> ClientCredentials() const {
    return grpc::InsecureChannelCredentials();
  }

  std::shared_ptr<grpc::Channel> NewChannel() const {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(-1);
    // A channel of its own each (one connection each).
    args.SetInt("grpc.channel_id", next_channel_++);
    return grpc::CreateCustomChannel(
        "localhost:" + std::to_string(guard_->port()), ClientCredentials(),
        args);
  }

  // A raw TCP connection to the guard.
  int Connect() const {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(guard_->port()));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    return fd;
  }

  // Reads until the guard closes `fd` (true) or `seconds` pass (false).
  static bool ClosedWithin(int fd, int seconds) {
    char buffer[4096];
    for (int waited = 0; waited < seconds * 10; ++waited) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
      if (n <= 0) return true;
    }
    return false;
  }

  SystemClock clock_;
  EchoService echo_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<H2Guard> guard_;
  mutable int next_channel_ = 1;
};

// Sends `bytes` each way on four connections at once (a channel each from
// `new_channel`) and expects every message back whole.
void ExpectLargeMessagesRelayed(
    const std::function<std::shared_ptr<grpc::Channel>()>& new_channel,
    size_t bytes, int deadline_seconds) {
  constexpr int kConnections = 4;
  std::vector<std::thread> callers;
  std::vector<std::string> sent(kConnections), received(kConnections);
  std::vector<grpc::Status> statuses(kConnections);
  for (int i = 0; i < kConnections; ++i) {
    sent[i].resize(bytes);
    for (size_t b = 0; b < bytes; ++b) {
      sent[i][b] =
          static_cast<char>((b * 131 + static_cast<size_t>(i) * 7) >> 3);
    }
  }
  for (int i = 0; i < kConnections; ++i) {
    callers.emplace_back([&, i, channel = new_channel()] {
      statuses[i] = Echo(channel, sent[i], deadline_seconds, &received[i]);
    });
  }
  for (auto& t : callers) t.join();
  for (int i = 0; i < kConnections; ++i) {
    EXPECT_TRUE(statuses[i].ok()) << statuses[i].error_message();
    EXPECT_EQ(received[i].size(), bytes);
    EXPECT_TRUE(received[i] == sent[i]) << "connection " << i;
  }
}

// Messages far larger than the socket buffers, on four connections at once,
// arrive whole in both directions: the relay's partial sends, the bytes it
// keeps for a side that is not reading, and its pause of the other side.
TEST_F(H2GuardTest, RelaysLargeMessagesWholeOnConcurrentConnections) {
  ExpectLargeMessagesRelayed([&] { return NewChannel(); }, 6 << 20, 30);
  EXPECT_EQ(guard_->closed_for_abuse(), 0u);
}

// The same guard terminating TLS (certificates from make_test_certs.sh).
class H2GuardTlsTest : public H2GuardTest {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/h2_guard_tls_" + std::to_string(getpid());
    const std::string command = std::string(TECHMATCH_SOURCE_DIR) +
                                "/tests/e2e/make_test_certs.sh " + dir_ +
                                " >/dev/null 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0);
    H2GuardTest::SetUp();
  }
  void TearDown() override {
    H2GuardTest::TearDown();
    std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<TlsContext> MakeTls() override {
    auto tls =
        TlsContext::FromFiles(dir_ + "/server.pem", dir_ + "/server.key", "");
    EXPECT_TRUE(tls.ok()) << tls.status();
    return tls.ok() ? *std::move(tls) : nullptr;
  }
  std::shared_ptr<grpc::ChannelCredentials> ClientCredentials() const override {
    std::ifstream in(dir_ + "/ca.pem");
    grpc::SslCredentialsOptions options;
    options.pem_root_certs.assign(std::istreambuf_iterator<char>(in), {});
    return grpc::SslCredentials(options);
  }
  std::string dir_;
};

// Through TLS: partial TLS writes, records the session holds decrypted, and
// the backpressure between both sides, with 6 MB each way on four
// connections at once.
TEST_F(H2GuardTlsTest, RelaysLargeMessagesWholeOverTls) {
  ExpectLargeMessagesRelayed([&] { return NewChannel(); }, 6 << 20, 60);
  EXPECT_EQ(guard_->closed_for_abuse(), 0u);
}

// Bytes that are not TLS fail the handshake: the guard closes that
// connection at once and goes on serving the next client.
TEST_F(H2GuardTlsTest, PlaintextToATlsPortIsClosed) {
  int fd = Connect();
  const std::string preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  ASSERT_EQ(::send(fd, preface.data(), preface.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(preface.size()));
  EXPECT_TRUE(ClosedWithin(fd, 5));
  ::close(fd);
  std::string answer;
  EXPECT_TRUE(Echo(NewChannel(), "ping", 10, &answer).ok());
  EXPECT_EQ(answer, "ping");
}

// A client that opens a connection and never completes its handshake (a
// slowloris on the TLS port) is closed at the handshake deadline (1 s here).
TEST_F(H2GuardTlsTest, AnUnfinishedHandshakeIsClosedAtItsDeadline) {
  int fd = Connect();
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(ClosedWithin(fd, 5));
  EXPECT_GE(std::chrono::steady_clock::now() - start,
            std::chrono::milliseconds(900));
  ::close(fd);
}

// An HTTP/2 frame header and payload.
std::string Frame(uint8_t type, uint8_t flags, uint32_t stream,
                  const std::string& payload) {
  std::string f;
  for (int shift : {16, 8, 0})
    f.push_back(static_cast<char>((payload.size() >> shift) & 0xff));
  f.push_back(static_cast<char>(type));
  f.push_back(static_cast<char>(flags));
  for (int shift : {24, 16, 8, 0})
    f.push_back(static_cast<char>((stream >> shift) & 0xff));
  return f + payload;
}

// An HPACK literal header field without indexing, new name (short strings).
std::string Literal(const std::string& name, const std::string& value) {
  return std::string(1, '\0') + static_cast<char>(name.size()) + name +
         static_cast<char>(value.size()) + value;
}

std::string BigEndian32(uint32_t v) {
  std::string out;
  for (int shift : {24, 16, 8, 0})
    out.push_back(static_cast<char>((v >> shift) & 0xff));
  return out;
}

// A client that stops reading while a large answer comes: the guard keeps
// what the client's socket does not take, stops reading gRPC's side
// meanwhile, and delivers the whole answer once the client reads again.
// (The client speaks HTTP/2 by hand, with a small receive buffer, so that
// its socket fills.)
TEST_F(H2GuardTest, DeliversALargeAnswerToAClientThatPausedReading) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int small = 16 << 10;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(guard_->port()));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);

  constexpr uint32_t kAnswer = 8 << 20;
  const std::string message = "big:" + std::to_string(kAnswer);
  std::string out = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  // SETTINGS: INITIAL_WINDOW_SIZE 2^31-1; the connection's window as wide.
  out += Frame(0x4, 0, 0, std::string("\x00\x04", 2) + BigEndian32(0x7fffffff));
  out += Frame(0x8, 0, 0, BigEndian32(0x7fffffff - 65535));
  out += Frame(0x1, 0x4, 1,
               Literal(":method", "POST") + Literal(":scheme", "http") +
                   Literal(":path", "/test.Echo/Echo") +
                   Literal(":authority", "guard") +
                   Literal("content-type", "application/grpc") +
                   Literal("te", "trailers"));
  out +=
      Frame(0x0, 0x1, 1,
            std::string(1, '\0') +
                BigEndian32(static_cast<uint32_t>(message.size())) + message);
  ASSERT_EQ(::send(fd, out.data(), out.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(out.size()));

  // Not reading while the answer is written: it piles up in the guard.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));

  // Read it all: count stream 1's DATA bytes until its trailers.
  std::string in;
  uint64_t data_bytes = 0;
  bool trailers = false, settings_acked = false;
  char buffer[65536];
  for (int idle = 0; !trailers && idle < 100;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) {
      ++idle;
      continue;
    }
    ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    ASSERT_GT(n, 0) << "the guard closed the connection";
    in.append(buffer, static_cast<size_t>(n));
    size_t at = 0;
    while (in.size() - at >= 9) {
      const auto* h = reinterpret_cast<const unsigned char*>(in.data() + at);
      const size_t length = (size_t{h[0]} << 16) | (size_t{h[1]} << 8) | h[2];
      if (in.size() - at < 9 + length) break;
      const uint8_t type = h[3], flags = h[4];
      const uint32_t stream = ((uint32_t{h[5]} & 0x7f) << 24) |
                              (uint32_t{h[6]} << 16) | (uint32_t{h[7]} << 8) |
                              h[8];
      if (type == 0x4 && !(flags & 0x1) && !settings_acked) {
        const std::string ack = Frame(0x4, 0x1, 0, "");
        ASSERT_EQ(::send(fd, ack.data(), ack.size(), MSG_NOSIGNAL), 9);
        settings_acked = true;
      }
      if (type == 0x6 && !(flags & 0x1)) {  // PING: answer it
        const std::string pong = Frame(0x6, 0x1, 0, in.substr(at + 9, length));
        ASSERT_EQ(::send(fd, pong.data(), pong.size(), MSG_NOSIGNAL),
                  static_cast<ssize_t>(pong.size()));
      }
      if (stream == 1 && type == 0x0) data_bytes += length;
      if (stream == 1 && type == 0x1 && (flags & 0x1)) trailers = true;
      at += 9 + length;
    }
    in.erase(0, at);
  }
  // Leave as a client should: GOAWAY, then close. (Closed without it, the
  // gRPC server's destruction at the test's end sometimes waited ~10 s.)
  const std::string goaway = Frame(0x7, 0, 0, BigEndian32(0) + BigEndian32(0));
  ::send(fd, goaway.data(), goaway.size(), MSG_NOSIGNAL);
  ::close(fd);
  EXPECT_TRUE(trailers);
  EXPECT_EQ(data_bytes, 5u + kAnswer);  // the gRPC message prefix + answer
  EXPECT_EQ(guard_->closed_for_abuse(), 0u);
}

// Bytes that are not HTTP/2 close the connection as abuse.
TEST_F(H2GuardTest, ClosesAConnectionThatDoesNotSpeakHttp2) {
  int fd = Connect();
  const std::string request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  EXPECT_TRUE(ClosedWithin(fd, 5));
  ::close(fd);
  EXPECT_EQ(guard_->closed_for_abuse(), 1u);
}

// A client that sends the preface and leaves is let go (not abuse), and
// the guard goes on serving others.
TEST_F(H2GuardTest, AClientThatLeavesIsLetGo) {
  for (int i = 0; i < 3; ++i) {
    int fd = Connect();
    const std::string preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    ASSERT_EQ(::send(fd, preface.data(), preface.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(preface.size()));
    ::close(fd);
  }
  std::string answer;
  grpc::Status status = Echo(NewChannel(), "ping", 10, &answer);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(answer, "ping");
  EXPECT_EQ(guard_->closed_for_abuse(), 0u);
}

}  // namespace
}  // namespace techmatch::server
