#include "server/authenticator.h"

#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "domain/validation.h"
#include "server/status_mapping.h"

namespace techmatch::server {

namespace {

// "ipv4:10.0.0.7:51234" -> "ipv4:10.0.0.7": one subject per address.
absl::string_view PeerHost(absl::string_view peer) {
  size_t colon = peer.rfind(':');
  if (colon == absl::string_view::npos || colon < 5) return peer;
  return peer.substr(0, colon);
}

}  // namespace

Authenticator::Authenticator(domain::KeyStore* keys, domain::AuditLog* audit,
                             Clock* clock, AuthOptions options)
    : keys_(keys),
      audit_(audit),
      key_limiter_(options.per_key, clock),
      refusal_limiter_(options.audit_refusals, clock) {}

void Authenticator::AuditRefusal(const domain::Caller& caller,
                                 absl::string_view subject,
                                 const absl::Status& status) {
  if (refusal_limiter_.Acquire(subject) > absl::ZeroDuration()) {
    suppressed_pending_.fetch_add(1);
    suppressed_total_.fetch_add(1);
    return;
  }
  uint64_t skipped = suppressed_pending_.exchange(0);
  if (skipped == 0) {
    audit_->AppendRefusal(caller, "", status);
  } else {
    audit_->AppendRefusal(
        caller, "",
        absl::Status(status.code(),
                     absl::StrCat(status.message(), " (and ", skipped,
                                  " earlier refusals over the audit rate, not "
                                  "recorded one by one)")));
  }
}

grpc::Status Authenticator::Admit(grpc::ServerContextBase* context,
                                  absl::string_view method,
                                  domain::Caller* caller) {
  caller->method = std::string(method);
  if (resolve_peer_) {
    PeerIdentity who = resolve_peer_(context->peer());
    caller->peer = std::move(who.address);
    caller->client_certificate = std::move(who.certificate);
  } else {
    caller->peer = context->peer();
    const auto auth_context = context->auth_context();
    if (auth_context != nullptr) {
      for (const auto& value : auth_context->FindPropertyValues("x509_subject")) {
        caller->client_certificate.assign(value.data(), value.size());
      }
    }
  }
  const auto& metadata = context->client_metadata();
  auto it = metadata.find("authorization");
  absl::StatusOr<domain::Principal> principal;
  if (it == metadata.end()) {
    principal = absl::UnauthenticatedError(
        "no API key: send the metadata \"authorization: Bearer <key>\"");
  } else {
    absl::string_view value(it->second.data(), it->second.size());
    if (value.size() < 7 ||
        !absl::EqualsIgnoreCase(value.substr(0, 7), "Bearer ")) {
      principal = absl::UnauthenticatedError(
          "the authorization metadata must read \"Bearer <key>\"");
    } else {
      principal = keys_->Authenticate(value.substr(7));
    }
  }
  if (!principal.ok()) {
    AuditRefusal(*caller, PeerHost(caller->peer), principal.status());
    return ToGrpcStatus(principal.status());
  }
  caller->principal = *std::move(principal);
  absl::Duration wait = key_limiter_.Acquire(caller->principal.key);
  if (wait > absl::ZeroDuration()) {
    int64_t ms =
        static_cast<int64_t>(std::ceil(absl::ToDoubleMilliseconds(wait)));
    context->AddTrailingMetadata("retry-after-ms", std::to_string(ms));
    absl::Status limited = absl::ResourceExhaustedError(
        absl::StrCat(caller->principal.key,
                     " is over its rate limit; retry after ", ms, " ms"));
    AuditRefusal(*caller, caller->principal.key, limited);
    return ToGrpcStatus(limited);
  }
  return grpc::Status::OK;
}

grpc::Status Authenticator::CheckRequest(
    const google::protobuf::Message& request) {
  absl::Status formed = domain::CheckWellFormed(request, "");
  return formed.ok() ? grpc::Status::OK : ToGrpcStatus(formed);
}

}  // namespace techmatch::server
