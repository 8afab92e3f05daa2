#include "server/h2_guard.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grpcpp/server_posix.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <set>
#include <vector>

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
// Connections accepted per round of the event loop.
constexpr int kAcceptBatch = 16;

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

// Sends what the socket takes now (non-blocking); the number of bytes sent,
// or -1 when the connection is gone.
ssize_t SendSome(int fd, const char* p, size_t n) {
  for (;;) {
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w >= 0) return w;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    return -1;
  }
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

// One relayed connection: both sockets (non-blocking), the frame scanners
// and budgets of each direction, and the bytes one side has not yet taken.
// Owned by connections_; touched only by the event loop (peer and address
// also by ClientAddress(), under mu_, and they never change).
struct H2Guard::Connection {
  // What an epoll event names: one side of one connection.
  struct Side {
    Connection* connection;
    bool client;
  };
  Connection(const H2GuardOptions& options, Clock* clock)
      : from_client(true),
        from_server(false),
        resets(options.resets_per_connection, clock),
        streams(options.streams_per_connection, clock) {}

  int client_fd = -1;
  int relay_fd = -1;    // our end of the socketpair
  int grpc_fd = -1;     // gRPC's end, its peer name is "fd:<grpc_fd>"
  std::string peer;     // "ipv4:1.2.3.4:5678"
  std::string address;  // "1.2.3.4"
  Side client_side{this, true};
  Side relay_side{this, false};
  FrameScanner from_client, from_server;
  RateLimiter resets, streams;
  std::set<uint32_t> open;  // client streams the server has not finished
  uint32_t last_stream = 0;
  const char* abuse = nullptr;
  // Bytes read from one side that the other has not taken yet. A side is
  // read only while the other side's backlog is empty, so each holds at
  // most one read.
  std::string to_server, to_client;
  uint32_t client_events = 0, relay_events = 0;  // registered with epoll
  // One side has ended; the other is watched only to take what waits for
  // it, then the connection closes.
  bool draining = false;
  // TLS ports: the session, when its handshake must be done by, and
  // whether a read is waiting for the socket to become writable.
  std::unique_ptr<TlsSession> tls;
  absl::Time handshake_deadline;
  bool read_wants_write = false;
  std::string certificate;  // the client's, once verified; guarded by mu_
};

H2Guard::H2Guard(H2GuardOptions options, Clock* clock)
    : options_(options),
      clock_(clock),
      accepts_(options.accepts_per_address, clock) {}

absl::StatusOr<std::unique_ptr<H2Guard>> H2Guard::Listen(
    const std::string& address, H2GuardOptions options, Clock* clock,
    std::unique_ptr<TlsContext> tls) {
  std::unique_ptr<H2Guard> guard(new H2Guard(options, clock));
  guard->tls_ = std::move(tls);
  if (guard->tls_ != nullptr) {
    // OpenSSL writes to the socket with write(), not send(MSG_NOSIGNAL): a
    // client gone mid-write would raise SIGPIPE and end the process. A
    // server never wants that signal; failed writes are handled as errors.
    std::signal(SIGPIPE, SIG_IGN);
  }
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
  if (::pipe2(guard->wake_fd_, O_CLOEXEC | O_NONBLOCK) != 0) {
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
  loop_ = std::thread([this] { EventLoop(); });
}

void H2Guard::Wake() {
  char b = 1;
  (void)!::write(wake_fd_[1], &b, 1);
}

void H2Guard::StopAccepting() {
  if (stopping_.exchange(true)) return;
  if (!loop_.joinable()) {
    if (listen_fd_ >= 0) ::close(listen_fd_);
    listen_fd_ = -1;
    return;
  }
  // The loop closes the listening socket; relays go on.
  Wake();
  std::unique_lock<std::mutex> lock(mu_);
  relays_done_.wait(lock, [&] { return listen_fd_ < 0; });
}

void H2Guard::Stop() {
  StopAccepting();
  if (!loop_.joinable()) return;
  {
    std::unique_lock<std::mutex> lock(mu_);
    for (auto& [fd, c] : connections_) {
      ::shutdown(c->client_fd, SHUT_RDWR);
      ::shutdown(c->relay_fd, SHUT_RDWR);
    }
    relays_done_.wait(lock, [&] { return connections_.empty(); });
    exiting_ = true;
  }
  Wake();
  loop_.join();
}

std::shared_ptr<H2Guard::Connection> H2Guard::FindByPeer(
    absl::string_view peer) const {
  absl::string_view rest = peer;
  int fd = -1;
  if (!absl::ConsumePrefix(&rest, "fd:") || !absl::SimpleAtoi(rest, &fd)) {
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = connections_.find(fd);
  return it == connections_.end() ? nullptr : it->second;
}

std::string H2Guard::ClientAddress(absl::string_view peer) const {
  std::shared_ptr<Connection> c = FindByPeer(peer);
  return c != nullptr ? c->peer : std::string(peer);
}

std::string H2Guard::ClientCertificate(absl::string_view peer) const {
  std::shared_ptr<Connection> c = FindByPeer(peer);
  if (c == nullptr) return "";
  std::lock_guard<std::mutex> lock(mu_);
  return c->certificate;
}

ssize_t H2Guard::ClientRecv(Connection& c, char* p, size_t n) {
  if (c.tls == nullptr) {
    for (;;) {
      ssize_t r = ::recv(c.client_fd, p, n, 0);
      if (r >= 0 || errno != EINTR) return r;
    }
  }
  // As much as the session gives at once, up to n: TLS records are at most
  // 16 KiB, and a socket that stays quiet would not wake the loop for what
  // the session has already decrypted.
  size_t total = 0;
  c.read_wants_write = false;
  while (total < n) {
    size_t got = 0;
    switch (c.tls->Read(p + total, n - total, &got)) {
      case TlsSession::Io::kOk:
        total += got;
        continue;
      case TlsSession::Io::kWantWrite:
        c.read_wants_write = true;
        [[fallthrough]];
      case TlsSession::Io::kWantRead:
        if (total > 0) return static_cast<ssize_t>(total);
        errno = EAGAIN;
        return -1;
      case TlsSession::Io::kClosed:
        return static_cast<ssize_t>(total);  // the end comes on the next read
      case TlsSession::Io::kFailed:
        if (total > 0) return static_cast<ssize_t>(total);
        SPDLOG_DEBUG("h2 guard: TLS read from {}: {}", c.peer, c.tls->error());
        errno = ECONNRESET;
        return -1;
    }
  }
  return static_cast<ssize_t>(total);
}

ssize_t H2Guard::ClientSend(Connection& c, const char* p, size_t n) {
  if (c.tls == nullptr) return SendSome(c.client_fd, p, n);
  // Until the handshake is done, what gRPC sends waits in to_client.
  if (!c.tls->established()) return 0;
  size_t total = 0;
  while (total < n) {
    size_t put = 0;
    switch (c.tls->Write(p + total, n - total, &put)) {
      case TlsSession::Io::kOk:
        total += put;
        continue;
      case TlsSession::Io::kWantRead:
      case TlsSession::Io::kWantWrite:
        return static_cast<ssize_t>(total);
      case TlsSession::Io::kClosed:
      case TlsSession::Io::kFailed:
        return -1;
    }
  }
  return static_cast<ssize_t>(total);
}

int H2Guard::ServiceTls(std::vector<char>& buffer,
                        std::vector<std::shared_ptr<Connection>>& closed) {
  std::vector<std::shared_ptr<Connection>> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    all.reserve(connections_.size());
    for (const auto& [fd, c] : connections_) all.push_back(c);
  }
  const absl::Time now = clock_->Now();
  int timeout = -1;
  for (const auto& c : all) {
    if (c->client_fd < 0 || c->tls == nullptr) continue;
    if (!c->tls->established()) {
      if (now >= c->handshake_deadline) {
        SPDLOG_DEBUG("h2 guard: {}: TLS handshake not done in time", c->peer);
        closed.push_back(Close(*c));
      } else {
        timeout = 1000;  // look again
      }
      continue;
    }
    const bool gated = !c->to_server.empty() ||
                       static_cast<int>(c->open.size()) >=
                           options_.max_open_streams_per_connection;
    if (c->draining || gated || !c->tls->pending()) continue;
    if (!Pump(*c, /*client_side=*/true, EPOLLIN, buffer)) {
      closed.push_back(Close(*c));
    } else if (c->tls->pending()) {
      timeout = 0;
    }
  }
  return timeout;
}

void H2Guard::EventLoop() {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  auto watch = [&](int fd, void* tag) {
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.ptr = tag;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &e);
  };
  // The listening socket and the wake-up pipe are named by these tags.
  int listen_tag = 0, wake_tag = 0;
  watch(listen_fd_, &listen_tag);
  watch(wake_fd_[0], &wake_tag);
  std::vector<char> buffer(64 << 10);
  epoll_event events[64];
  int timeout = -1;
  for (;;) {
    int n = ::epoll_wait(epoll_fd_, events, 64, timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      spdlog::error("h2 guard: epoll_wait: {}", std::strerror(errno));
      break;
    }
    // Connections closed during this batch stay allocated until its end,
    // so a later event of the batch never names freed memory.
    std::vector<std::shared_ptr<Connection>> closed;
    for (int i = 0; i < n; ++i) {
      void* tag = events[i].data.ptr;
      if (tag == &wake_tag) {
        char drain[64];
        while (::read(wake_fd_[0], drain, sizeof(drain)) > 0) {
        }
        continue;
      }
      if (tag == &listen_tag) {
        AcceptAll();
        continue;
      }
      auto* side = static_cast<Connection::Side*>(tag);
      Connection* c = side->connection;
      if (c->client_fd < 0) continue;  // closed earlier in this batch
      if (!Pump(*c, side->client, events[i].events, buffer)) {
        closed.push_back(Close(*c));
      }
    }
    timeout = tls_ != nullptr ? ServiceTls(buffer, closed) : -1;
    if (stopping_.load() && listen_fd_ >= 0) {
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
      std::lock_guard<std::mutex> lock(mu_);
      ::close(listen_fd_);
      listen_fd_ = -1;
      relays_done_.notify_all();
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (exiting_) break;
  }
  ::close(epoll_fd_);
  epoll_fd_ = -1;
}

void H2Guard::AcceptAll() {
  // A batch at a time: a connection flood must neither keep others waiting
  // in a full backlog nor hold up the relays (the listening socket stays
  // readable, so the next round of events takes the next batch).
  for (int i = 0; i < kAcceptBatch; ++i) {
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len,
                       SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) break;
    auto [peer, address] = Describe(ss);
    Admit(fd, peer, address);
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
  // Both ends non-blocking: gRPC's event engine expects it of its end, and
  // the event loop of ours.
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0,
                   pair) != 0) {
    ::close(fd);
    return;
  }
  auto connection = std::make_shared<Connection>(options_, clock_);
  connection->client_fd = fd;
  connection->relay_fd = pair[0];
  connection->grpc_fd = pair[1];
  connection->peer = peer;
  connection->address = address;
  if (tls_ != nullptr) {
    connection->tls = std::make_unique<TlsSession>(*tls_, fd);
    connection->handshake_deadline = clock_->Now() + options_.handshake_timeout;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    connections_[pair[1]] = connection;
    ++per_address_[address];
  }
  grpc::AddInsecureChannelFromFd(server_, pair[1]);  // gRPC owns pair[1] now
  Connection& c = *connection;
  for (auto [side_fd, side] :
       {std::pair{c.client_fd, &c.client_side}, {c.relay_fd, &c.relay_side}}) {
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.ptr = side;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, side_fd, &e);
  }
  c.client_events = c.relay_events = EPOLLIN;
}

bool H2Guard::Pump(Connection& c, bool client_side, uint32_t events,
                   std::vector<char>& buffer) {
  auto client_frame = [&](uint8_t type, uint8_t, uint32_t stream) {
    if (type == kHeaders && stream > c.last_stream) {
      c.last_stream = stream;
      if (c.streams.Acquire("") > absl::ZeroDuration()) {
        c.abuse = "opened streams faster than its budget";
        return false;
      }
      c.open.insert(stream);
    } else if (type == kRstStream) {
      c.open.erase(stream);
      if (c.resets.Acquire("") > absl::ZeroDuration()) {
        c.abuse = "reset streams faster than its budget (rapid reset)";
        return false;
      }
    }
    return true;
  };
  auto server_frame = [&](uint8_t type, uint8_t flags, uint32_t stream) {
    if (type == kRstStream ||
        ((type == kHeaders || type == kData) && (flags & kEndStream))) {
      c.open.erase(stream);
    }
    return true;
  };
  if (client_side && c.tls != nullptr && !c.tls->established()) {
    if (events & EPOLLERR) return false;
    switch (c.tls->Handshake()) {
      case TlsSession::Io::kOk: {
        std::lock_guard<std::mutex> lock(mu_);
        c.certificate = c.tls->client_subject();
        break;
      }
      case TlsSession::Io::kWantRead:
        Watch(c, c.client_fd, &c.client_side, EPOLLIN);
        return true;
      case TlsSession::Io::kWantWrite:
        Watch(c, c.client_fd, &c.client_side, EPOLLOUT);
        return true;
      case TlsSession::Io::kClosed:
      case TlsSession::Io::kFailed:
        SPDLOG_DEBUG("h2 guard: TLS handshake with {} failed: {}", c.peer,
                     c.tls->error());
        return false;
    }
    // Established: send what gRPC has said meanwhile, read what came.
    events = EPOLLIN | (c.to_client.empty() ? 0u : uint32_t{EPOLLOUT});
  }
  // A TLS read that waited for the socket to take bytes goes on now.
  if (client_side && c.read_wants_write && (events & EPOLLOUT)) {
    events |= EPOLLIN;
  }
  const int fd = client_side ? c.client_fd : c.relay_fd;
  const int other = client_side ? c.relay_fd : c.client_fd;
  // Bytes waiting to go out on this side, and read from it waiting for the
  // other.
  std::string& out = client_side ? c.to_client : c.to_server;
  std::string& in = client_side ? c.to_server : c.to_client;
  if (events & EPOLLERR) return false;
  if (events & EPOLLOUT) {
    ssize_t sent = client_side ? ClientSend(c, out.data(), out.size())
                               : SendSome(fd, out.data(), out.size());
    if (sent < 0) return false;
    out.erase(0, static_cast<size_t>(sent));
  }
  // Draining: the other side has ended; this one is watched only until it
  // has taken what was read before the end.
  if (c.draining) return !out.empty() && !(events & EPOLLHUP);
  const bool hung_up = (events & EPOLLHUP) != 0;
  if (events & (EPOLLIN | EPOLLHUP)) {
    const bool paused =
        client_side && static_cast<int>(c.open.size()) >=
                           options_.max_open_streams_per_connection;
    // A side is read only while the other has taken all it was sent (and
    // the client's only below the open-stream cap). A client that hung up
    // meanwhile is gone: nothing it sent can still be answered. gRPC's end
    // is read even then (its last frames are bounded by the socketpair).
    const bool gated = !in.empty() || paused;
    if (gated && hung_up && client_side) return false;
    if (!gated || hung_up) {
      ssize_t n = client_side ? ClientRecv(c, buffer.data(), buffer.size())
                              : ::recv(fd, buffer.data(), buffer.size(), 0);
      if (n == 0) {
        if (in.empty()) return false;
        // The end of this side: deliver what waits for the other, then
        // close.
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
        (client_side ? c.client_events : c.relay_events) = 0;
        c.draining = true;
        Watch(c, other, client_side ? &c.relay_side : &c.client_side, EPOLLOUT);
        return true;
      }
      if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          return false;
        }
      } else {
        const bool ok =
            client_side
                ? c.from_client.Feed(buffer.data(), static_cast<size_t>(n),
                                     client_frame)
                : c.from_server.Feed(buffer.data(), static_cast<size_t>(n),
                                     server_frame);
        if (!ok) {
          // Refused without a budget named: the bytes were not HTTP/2.
          if (c.abuse == nullptr) c.abuse = "did not speak HTTP/2";
          return false;
        }
        size_t sent = 0;
        if (in.empty()) {
          ssize_t w =
              client_side
                  ? SendSome(other, buffer.data(), static_cast<size_t>(n))
                  : ClientSend(c, buffer.data(), static_cast<size_t>(n));
          if (w < 0) return false;
          sent = static_cast<size_t>(w);
        }
        in.append(buffer.data() + sent, static_cast<size_t>(n) - sent);
      }
    }
  }
  // What each side should wake the loop for now.
  const bool paused = static_cast<int>(c.open.size()) >=
                      options_.max_open_streams_per_connection;
  if (c.tls != nullptr && !c.tls->established()) {
    // The handshake decides what the client side waits for.
    Watch(c, c.relay_fd, &c.relay_side,
          c.to_client.empty() ? uint32_t{EPOLLIN} : 0u);
    return true;
  }
  Watch(c, c.client_fd, &c.client_side,
        ((paused || !c.to_server.empty()) ? 0u : uint32_t{EPOLLIN}) |
            ((c.to_client.empty() && !c.read_wants_write)
                 ? 0u
                 : uint32_t{EPOLLOUT}));
  Watch(c, c.relay_fd, &c.relay_side,
        (c.to_client.empty() ? uint32_t{EPOLLIN} : 0u) |
            (c.to_server.empty() ? 0u : uint32_t{EPOLLOUT}));
  return true;
}

void H2Guard::Watch(Connection& c, int fd, void* tag, uint32_t events) {
  uint32_t& current = fd == c.client_fd ? c.client_events : c.relay_events;
  if (events == current) return;
  epoll_event e{};
  e.events = events;
  e.data.ptr = tag;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &e);
  current = events;
}

std::shared_ptr<H2Guard::Connection> H2Guard::Close(Connection& c) {
  if (c.abuse != nullptr) {
    closed_for_abuse_.fetch_add(1);
    spdlog::warn("h2 guard: closing {}: it {}", c.peer, c.abuse);
    if (c.from_server.at_boundary() && c.to_client.empty()) {
      std::string goaway = GoAway(c.last_stream);
      (void)ClientSend(c, goaway.data(), goaway.size());
    }
  }
  if (c.tls != nullptr) c.tls->Shutdown();
  // Under the lock: Stop() shuts the descriptors of the listed connections
  // down, and must never reach a number already closed (and reused).
  // Closing our descriptors also takes them out of the epoll set.
  std::lock_guard<std::mutex> lock(mu_);
  ::shutdown(c.client_fd, SHUT_RDWR);
  ::close(c.client_fd);
  ::shutdown(c.relay_fd, SHUT_RDWR);
  ::close(c.relay_fd);
  c.client_fd = c.relay_fd = -1;
  std::shared_ptr<Connection> owned;
  auto it = connections_.find(c.grpc_fd);
  if (it != connections_.end() && it->second.get() == &c) {
    owned = std::move(it->second);
    connections_.erase(it);
  }
  if (--per_address_[c.address] == 0) per_address_.erase(c.address);
  if (connections_.empty()) relays_done_.notify_all();
  return owned;
}

}  // namespace techmatch::server
