// H2Guard: techmatchd's own front door for plaintext HTTP/2, in front of
// gRPC 1.51, which predates the fixes for the HTTP/2 "rapid reset" attack
// (CVE-2023-44487): a client opens a stream and resets it at once, over and
// over; the reset frees the stream's slot, so MAX_CONCURRENT_STREAMS never
// bites, while the server keeps queueing the work (a measured 5.8 GB of
// RSS in 8 s, and no answer for anyone, without the guard).
//
// The guard accepts the TCP connections itself and relays each one to gRPC
// over a socketpair (grpc::AddInsecureChannelFromFd), all of them on one
// thread (an epoll loop over non-blocking sockets: under load one wake-up
// serves several connections, where a thread per connection cost two
// context switches a call), reading the 9-byte HTTP/2 frame headers in both
// directions (never the payloads) to enforce:
//   - per connection: a budget of RST_STREAM frames from the client, a
//     budget of new streams, and a cap on streams the server has not yet
//     finished (reads from the client pause at the cap: the concurrency
//     limit HTTP/2 meant to have); over a budget, the connection is closed;
//   - per client address: a cap on open connections and on new connections
//     per second; and a cap on connections overall.
// Every limit and what it leaves exposed is in docs/security.md.
//
// With TLS (a TlsContext given to Listen) the guard terminates TLS itself
// (server/tls_session.h: OpenSSL on the same non-blocking sockets, ALPN h2,
// mutual TLS when the context has a client CA) and relays the decrypted
// stream, so a TLS port has the same budgets; a handshake must complete
// within handshake_timeout. The client certificate's subject is kept for
// the audit (ClientCertificate()).
//
// Thread-safety: Listen/Serve/Stop from one thread; the rest from any.
#ifndef TECHMATCH_SERVER_H2_GUARD_H_
#define TECHMATCH_SERVER_H2_GUARD_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/clock.h"
#include "server/rate_limiter.h"
#include "server/tls_session.h"

namespace techmatch::server {

struct H2GuardOptions {
  int max_connections = 256;
  int max_connections_per_address = 32;
  // New connections per client address.
  RateLimit accepts_per_address{10, 40, 10000};
  // RST_STREAM frames a client may send on one connection.
  RateLimit resets_per_connection{10, 100, 1};
  // New streams (calls) a client may open on one connection.
  RateLimit streams_per_connection{5000, 10000, 1};
  // Streams opened by the client that the server has not finished yet.
  int max_open_streams_per_connection = 100;
  // TLS ports: a connection whose handshake takes longer is closed.
  absl::Duration handshake_timeout = absl::Seconds(10);
};

class H2Guard {
 public:
  // Binds and listens on `address` ("host:port", port 0 picks one) without
  // accepting yet. `clock` is borrowed. UNAVAILABLE when it cannot bind.
  // With `tls`, the port speaks TLS only.
  static absl::StatusOr<std::unique_ptr<H2Guard>> Listen(
      const std::string& address, H2GuardOptions options, Clock* clock,
      std::unique_ptr<TlsContext> tls = nullptr);
  // Stops (see Stop).
  ~H2Guard();

  // Starts accepting, relaying every admitted connection to `server`, which
  // must outlive the guard. Call once.
  void Serve(grpc::Server* server);

  int port() const { return port_; }

  // Stops accepting new connections; relayed ones go on (so that a server
  // shutdown can drain them). Idempotent.
  void StopAccepting();
  // Stops accepting and closes every relayed connection. Idempotent.
  void Stop();

  // The client address behind the peer string gRPC reports for a relayed
  // connection ("fd:17"); `peer` itself for anything else.
  std::string ClientAddress(absl::string_view peer) const;
  // The subject of the verified client certificate of that connection
  // (mutual TLS), or empty.
  std::string ClientCertificate(absl::string_view peer) const;

  // Connections closed for breaking a budget, and refused at accept.
  uint64_t closed_for_abuse() const { return closed_for_abuse_.load(); }
  uint64_t refused() const { return refused_.load(); }

 private:
  struct Connection;
  H2Guard(H2GuardOptions options, Clock* clock);
  // The guard's one thread: accepts, and relays every connection both ways
  // (epoll, level-triggered, non-blocking sockets), until Stop().
  void EventLoop();
  // Accepts every connection waiting on the listening socket.
  void AcceptAll();
  // Admits (registers with the event loop) or refuses one accepted socket.
  void Admit(int fd, const std::string& peer, const std::string& address);
  // Handles `events` on one side of `c` (the client's socket when
  // `client_side`, else ours of the socketpair): sends what waits, reads one
  // buffer and relays it, checks the frames against the budgets, then sets
  // what each side waits for. A side is read only while the other direction
  // has nothing waiting (backpressure), and the client's only below the
  // open-stream cap. False when the connection is to be closed.
  bool Pump(Connection& c, bool client_side, uint32_t events,
            std::vector<char>& buffer);
  // Sets what `fd`, one side of `c` named by `tag` in epoll events, wakes
  // the event loop for (when it changed).
  void Watch(Connection& c, int fd, void* tag, uint32_t events);
  // Closes both sockets of `c` (with GOAWAY after abuse, when it can) and
  // forgets it; returns the connection, to be freed after the event batch.
  std::shared_ptr<Connection> Close(Connection& c);
  // The connection gRPC names "fd:N", or null.
  std::shared_ptr<Connection> FindByPeer(absl::string_view peer) const;
  // Wakes the event loop (Stop, StopAccepting).
  void Wake();
  // TLS ports, after each batch of events: reads what TLS sessions hold
  // decrypted (the socket will not wake the loop for it) and closes
  // connections whose handshake is overdue. Returns the epoll timeout for
  // the next wait (ms; -1: none needed).
  int ServiceTls(std::vector<char>& buffer,
                 std::vector<std::shared_ptr<Connection>>& closed);
  // The client side's I/O, through TLS when the port has it: like recv()
  // (-1 with errno EAGAIN when nothing can be read now) and like SendSome.
  ssize_t ClientRecv(Connection& c, char* p, size_t n);
  ssize_t ClientSend(Connection& c, const char* p, size_t n);

  grpc::Server* server_ = nullptr;
  const H2GuardOptions options_;
  std::unique_ptr<TlsContext> tls_;  // null: plaintext
  Clock* const clock_;
  RateLimiter accepts_;
  int listen_fd_ = -1;
  int wake_fd_[2] = {-1, -1};  // a pipe that wakes the event loop
  int epoll_fd_ = -1;          // the event loop's
  int port_ = 0;
  std::atomic<bool> stopping_{false};  // no more accepting
  std::thread loop_;
  mutable std::mutex mu_;
  std::unordered_map<int, std::shared_ptr<Connection>>
      connections_;  // by gRPC fd; guarded by mu_
  std::unordered_map<std::string, int> per_address_;  // guarded by mu_
  bool exiting_ = false;  // the event loop is to return; guarded by mu_
  // Notified when the listening socket is closed and when the last
  // connection is.
  std::condition_variable relays_done_;
  std::atomic<uint64_t> closed_for_abuse_{0};
  std::atomic<uint64_t> refused_{0};
};

}  // namespace techmatch::server

#endif  // TECHMATCH_SERVER_H2_GUARD_H_
