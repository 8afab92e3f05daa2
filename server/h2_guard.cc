#include "server/h2_guard.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grpcpp/server_posix.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace techmatch::server {

namespace {

constexpr char kPreface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
constexpr size_t kPrefaceSize = 24;

constexpr uint8_t kData = 0x0, kHeaders = 0x1, kRstStream = 0x3, kGoAway = 0x7;
constexpr uint8_t kEndStream = 0x1;
constexpr uint32_t kEnhanceYourCalm = 0xb;

// Walks the frame headers of one direction of an HTTP/2 connection without
// keeping payloads.
class FrameScanner {
 public:
  explicit FrameScanner(bool expect_preface)
      : preface_left_(expect_preface ? kPrefaceSize : 0) {}

  // Feeds bytes; calls on_frame(type, flags, stream) for every frame header
  // completed. Returns false when on_frame does, or when the client
  // preface is wrong.
  template <class OnFrame>
  bool Feed(const char* p, size_t n, OnFrame on_frame) {
    while (n > 0) {
      if (preface_left_ > 0) {
        size_t k = std::min(n, preface_left_);
        if (std::memcmp(p, kPreface + (kPrefaceSize - preface_left_), k) != 0)
          return false;
        preface_left_ -= k;
        p += k;
        n -= k;
      } else if (payload_left_ > 0) {
        size_t k = static_cast<size_t>(std::min<uint64_t>(n, payload_left_));
        payload_left_ -= k;
        p += k;
        n -= k;
      } else {
        size_t k = std::min(n, sizeof(header_) - header_len_);
        std::memcpy(header_ + header_len_, p, k);
        header_len_ += k;
        p += k;
        n -= k;
        if (header_len_ == sizeof(header_)) {
          header_len_ = 0;
          payload_left_ = (uint32_t{header_[0]} << 16) |
                          (uint32_t{header_[1]} << 8) | header_[2];
          uint32_t stream = ((uint32_t{header_[5]} & 0x7f) << 24) |
                            (uint32_t{header_[6]} << 16) |
                            (uint32_t{header_[7]} << 8) | header_[8];
          if (!on_frame(header_[3], header_[4], stream)) return false;
        }
      }
    }
    return true;
  }

  bool at_boundary() const {
    return preface_left_ == 0 && payload_left_ == 0 && header_len_ == 0;
  }

 private:
  size_t preface_left_;
  unsigned char header_[9] = {};
  size_t header_len_ = 0;
  uint64_t payload_left_ = 0;
};

bool WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

std::string GoAway(uint32_t last_stream) {
  std::string f = {0, 0, 8, static_cast<char>(kGoAway), 0, 0, 0, 0, 0};
  for (uint32_t v : {last_stream & 0x7fffffffu, kEnhanceYourCalm}) {
    for (int shift = 24; shift >= 0; shift -= 8)
      f.push_back(static_cast<char>((v >> shift) & 0xff));
  }
  return f;
}

// "ipv4:10.0.0.7:51234" and "10.0.0.7" for a peer socket address.
std::pair<std::string, std::string> Describe(const sockaddr_storage& ss) {
  char host[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
    port = ntohs(a->sin_port);
    return {absl::StrCat("ipv4:", host, ":", port), host};
  }
  const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
  inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
  port = ntohs(a->sin6_port);
  return {absl::StrCat("ipv6:[", host, "]:", port), host};
}

}  // namespace

struct H2Guard::Connection {
  int client_fd = -1;
  int relay_fd = -1;    // our end of the socketpair
  int grpc_fd = -1;     // gRPC's end, its peer name is "fd:<grpc_fd>"
  std::string peer;     // "ipv4:1.2.3.4:5678"
  std::string address;  // "1.2.3.4"
};

H2Guard::H2Guard(H2GuardOptions options, Clock* clock)
    : options_(options),
      clock_(clock),
      accepts_(options.accepts_per_address, clock) {}

absl::StatusOr<std::unique_ptr<H2Guard>> H2Guard::Listen(
    const std::string& address, H2GuardOptions options, Clock* clock) {
  std::unique_ptr<H2Guard> guard(new H2Guard(options, clock));
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address \"", address, "\" is not host:port"));
  }
  std::string host = address.substr(0, colon);
  std::string port = address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints,
                  &found) != 0 ||
      found == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot resolve ", address));
  }
  int fd =
      ::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  bool ok = fd >= 0 && ::bind(fd, found->ai_addr, found->ai_addrlen) == 0 &&
            ::listen(fd, SOMAXCONN) == 0;
  freeaddrinfo(found);
  if (!ok) {
    if (fd >= 0) ::close(fd);
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address, ": ", std::strerror(errno)));
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  guard->port_ =
      ntohs(bound.ss_family == AF_INET
                ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  guard->listen_fd_ = fd;
  if (::pipe2(guard->wake_fd_, O_CLOEXEC) != 0) {
    return absl::InternalError("cannot create the guard's wake-up pipe");
  }
  return guard;
}

H2Guard::~H2Guard() {
  Stop();
  for (int fd : {wake_fd_[0], wake_fd_[1]}) {
    if (fd >= 0) ::close(fd);
  }
}

void H2Guard::Serve(grpc::Server* server) {
  server_ = server;
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

void H2Guard::StopAccepting() {
  if (stopping_.exchange(true)) return;
  if (wake_fd_[1] >= 0) {
    char b = 1;
    (void)!::write(wake_fd_[1], &b, 1);
  }
  if (acceptor_.joinable()) acceptor_.join();
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
  }
}

void H2Guard::Stop() {
  StopAccepting();
  std::unique_lock<std::mutex> lock(mu_);
  for (auto& [fd, c] : connections_) {
    ::shutdown(c->client_fd, SHUT_RDWR);
    ::shutdown(c->relay_fd, SHUT_RDWR);
  }
  relays_done_.wait(lock, [&] { return relays_running_ == 0; });
}

std::string H2Guard::ClientAddress(absl::string_view peer) const {
  absl::string_view rest = peer;
  int fd = -1;
  if (absl::ConsumePrefix(&rest, "fd:") && absl::SimpleAtoi(rest, &fd)) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = connections_.find(fd);
    if (it != connections_.end()) return it->second->peer;
  }
  return std::string(peer);
}

void H2Guard::AcceptLoop() {
  while (!stopping_.load()) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents != 0 || stopping_.load()) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    // Drain the queue: a connection flood must not keep others waiting in
    // a full backlog.
    for (;;) {
      sockaddr_storage ss{};
      socklen_t len = sizeof(ss);
      int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len,
                         SOCK_CLOEXEC);
      if (fd < 0) break;
      auto [peer, address] = Describe(ss);
      Admit(fd, peer, address);
    }
  }
}

void H2Guard::Admit(int fd, const std::string& peer,
                    const std::string& address) {
  const char* refusal = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (static_cast<int>(connections_.size()) >= options_.max_connections) {
      refusal = "the server's connection limit is reached";
    } else if (per_address_[address] >= options_.max_connections_per_address) {
      refusal = "too many connections from this address";
    }
  }
  if (refusal == nullptr && accepts_.Acquire(address) > absl::ZeroDuration()) {
    refusal = "too many new connections per second from this address";
  }
  if (refusal != nullptr) {
    refused_.fetch_add(1);
    SPDLOG_DEBUG("h2 guard: refused {}: {}", peer, refusal);
    ::close(fd);
    return;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    ::close(fd);
    return;
  }
  // gRPC's event engine expects a non-blocking socket; our end blocks.
  ::fcntl(pair[1], F_SETFL, ::fcntl(pair[1], F_GETFL) | O_NONBLOCK);
  auto connection = std::make_shared<Connection>();
  connection->client_fd = fd;
  connection->relay_fd = pair[0];
  connection->grpc_fd = pair[1];
  connection->peer = peer;
  connection->address = address;
  {
    std::lock_guard<std::mutex> lock(mu_);
    connections_[pair[1]] = connection;
    ++per_address_[address];
    ++relays_running_;
  }
  grpc::AddInsecureChannelFromFd(server_, pair[1]);  // gRPC owns pair[1] now
  std::thread([this, connection] { Relay(connection); }).detach();
}

void H2Guard::Relay(std::shared_ptr<Connection> c) {
  FrameScanner from_client(true), from_server(false);
  RateLimiter resets(options_.resets_per_connection, clock_);
  RateLimiter streams(options_.streams_per_connection, clock_);
  std::set<uint32_t> open;  // client streams the server has not finished
  uint32_t last_stream = 0;
  const char* abuse = nullptr;
  auto client_frame = [&](uint8_t type, uint8_t, uint32_t stream) {
    if (type == kHeaders && stream > last_stream) {
      last_stream = stream;
      if (streams.Acquire("") > absl::ZeroDuration()) {
        abuse = "opened streams faster than its budget";
        return false;
      }
      open.insert(stream);
    } else if (type == kRstStream) {
      open.erase(stream);
      if (resets.Acquire("") > absl::ZeroDuration()) {
        abuse = "reset streams faster than its budget (rapid reset)";
        return false;
      }
    }
    return true;
  };
  auto server_frame = [&](uint8_t type, uint8_t flags, uint32_t stream) {
    if (type == kRstStream ||
        ((type == kHeaders || type == kData) && (flags & kEndStream))) {
      open.erase(stream);
    }
    return true;
  };
  std::vector<char> buffer(64 << 10);
  for (;;) {
    bool paused = static_cast<int>(open.size()) >=
                  options_.max_open_streams_per_connection;
    pollfd fds[2] = {{c->client_fd, static_cast<short>(paused ? 0 : POLLIN), 0},
                     {c->relay_fd, POLLIN, 0}};
    if (::poll(fds, 2, 1000) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents != 0) {
      ssize_t n = ::recv(c->relay_fd, buffer.data(), buffer.size(), 0);
      if (n <= 0) break;
      from_server.Feed(buffer.data(), static_cast<size_t>(n), server_frame);
      if (!WriteAll(c->client_fd, buffer.data(), static_cast<size_t>(n))) break;
    }
    if (fds[0].revents != 0) {
      ssize_t n = ::recv(c->client_fd, buffer.data(), buffer.size(), 0);
      if (n <= 0) break;
      if (!from_client.Feed(buffer.data(), static_cast<size_t>(n),
                            client_frame)) {
        if (abuse == nullptr) abuse = "did not speak HTTP/2";
        break;
      }
      if (!WriteAll(c->relay_fd, buffer.data(), static_cast<size_t>(n))) break;
    }
  }
  if (abuse != nullptr) {
    closed_for_abuse_.fetch_add(1);
    spdlog::warn("h2 guard: closing {}: it {}", c->peer, abuse);
    if (from_server.at_boundary()) {
      std::string goaway = GoAway(last_stream);
      WriteAll(c->client_fd, goaway.data(), goaway.size());
    }
  }
  ::shutdown(c->client_fd, SHUT_RDWR);
  ::close(c->client_fd);
  ::shutdown(c->relay_fd, SHUT_RDWR);
  ::close(c->relay_fd);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = connections_.find(c->grpc_fd);
  if (it != connections_.end() && it->second == c) connections_.erase(it);
  if (--per_address_[c->address] == 0) per_address_.erase(c->address);
  if (--relays_running_ == 0) relays_done_.notify_all();
}

}  // namespace techmatch::server
