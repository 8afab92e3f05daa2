// Authenticator: the door of every RPC except health. It reads the
// "authorization: Bearer <key>" metadata, asks the KeyStore who the key
// belongs to, applies the per-key rate limit, and answers the domain
// Caller the handler passes on, or the status to return:
//   UNAUTHENTICATED     no key, malformed, unknown, revoked or expired key
//   RESOURCE_EXHAUSTED  the key's rate limit is spent; the trailing metadata
//                       "retry-after-ms" and the message say when to retry.
// Refusals are audited. So that a flood of refused calls cannot fill the
// disk, at most `audit_refusals` refusals per second and subject (peer
// address or key) are written; the next one written counts those skipped.
//
// Thread-safe.
#ifndef TECHMATCH_SERVER_AUTHENTICATOR_H_
#define TECHMATCH_SERVER_AUTHENTICATOR_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <functional>
#include <string>

#include "absl/strings/string_view.h"
#include "domain/audit_log.h"
#include "domain/key_store.h"
#include "google/protobuf/message.h"
#include "server/rate_limiter.h"

namespace techmatch::server {

// Who is at the other end of a connection, as the transport knows it.
struct PeerIdentity {
  std::string address;      // "ipv4:10.0.0.7:51234"
  std::string certificate;  // "CN=dong-nai-portal" under mutual TLS, or ""
};

struct AuthOptions {
  // Calls per key.
  RateLimit per_key;
  // Audited refusals per peer address or key; the excess is counted.
  RateLimit audit_refusals{20, 50, 100000};
};

class Authenticator {
 public:
  // Borrowed pointers; all must outlive the authenticator.
  Authenticator(domain::KeyStore* keys, domain::AuditLog* audit, Clock* clock,
                AuthOptions options);

  // Admits the call (synchronous or callback) and fills *caller (method,
  // peer, principal), or returns the status to answer with.
  grpc::Status Admit(grpc::ServerContextBase* context, absl::string_view method,
                     domain::Caller* caller);

  // Admits the call, then runs `handler(const domain::Caller&)`, returning
  // its grpc::Status.
  template <class Handler>
  grpc::Status Serve(grpc::ServerContextBase* context, absl::string_view method,
                     Handler handler) {
    domain::Caller caller;
    grpc::Status admitted = Admit(context, method, &caller);
    if (!admitted.ok()) return admitted;
    return handler(static_cast<const domain::Caller&>(caller));
  }

  // The same for a call with a request message: after admitting it, a
  // request holding unknown fields or a Timestamp out of range answers
  // INVALID_ARGUMENT (domain::CheckWellFormed) and the handler does not run.
  template <class Handler>
  grpc::Status Serve(grpc::ServerContextBase* context, absl::string_view method,
                     const google::protobuf::Message& request,
                     Handler handler) {
    domain::Caller caller;
    grpc::Status admitted = Admit(context, method, &caller);
    if (!admitted.ok()) return admitted;
    grpc::Status formed = CheckRequest(request);
    if (!formed.ok()) return formed;
    return handler(static_cast<const domain::Caller&>(caller));
  }

  // INVALID_ARGUMENT unless domain::CheckWellFormed accepts `request`.
  static grpc::Status CheckRequest(const google::protobuf::Message& request);

  // Maps the peer gRPC reports ("fd:17" for a connection the H2Guard
  // relays) to the client's address and verified certificate subject.
  // Call before serving. Without it the address is gRPC's peer and the
  // certificate comes from gRPC's own TLS (the x509_subject property).
  void set_peer_resolver(
      std::function<PeerIdentity(absl::string_view)> resolver) {
    resolve_peer_ = std::move(resolver);
  }

  // Refusals not written to the audit log since start-up (throttled).
  uint64_t suppressed_refusals() const { return suppressed_total_.load(); }

 private:
  // Audits a refusal unless `subject` exceeds its audit rate.
  void AuditRefusal(const domain::Caller& caller, absl::string_view subject,
                    const absl::Status& status);

  std::function<PeerIdentity(absl::string_view)> resolve_peer_;
  domain::KeyStore* const keys_;
  domain::AuditLog* const audit_;
  RateLimiter key_limiter_;
  RateLimiter refusal_limiter_;
  std::atomic<uint64_t> suppressed_pending_{0};
  std::atomic<uint64_t> suppressed_total_{0};
};

}  // namespace techmatch::server

#endif  // TECHMATCH_SERVER_AUTHENTICATOR_H_
