// KeyStore: API keys. A key reads "tmk_<id>_<secret>", the secret being 32
// random bytes (256 bits, OpenSSL's RAND_bytes) in unpadded web-safe
// base64. Only the SHA-256 of the secret is stored; the whole key is shown
// once, when created. A plain hash (no slow KDF) is right here because the
// secret is random and long: there is no dictionary to defend against.
//
// Every key is kept in memory (a few thousand at most), so authenticating
// a call is a map lookup, one SHA-256 and one organisation read.
//
// Who manages which keys: ADMIN any; EXCHANGE_OPERATOR and CENTRE_OPERATOR
// the ENTERPRISE, INTEGRATION and READ_ONLY keys of the organisations in
// their scope (see access.h); every key may read its own record and revoke
// itself. Creations and revocations are audited in the batch that writes
// them; refusals through the AuditLog.
//
// Thread-safety: all methods are safe to call concurrently.
#ifndef TECHMATCH_DOMAIN_KEY_STORE_H_
#define TECHMATCH_DOMAIN_KEY_STORE_H_

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>

#include "absl/status/statusor.h"
#include "base/clock.h"
#include "domain/access.h"
#include "domain/audit_log.h"
#include "storage/catalog.h"
#include "techmatch/v1/access.pb.h"

namespace techmatch::domain {

class KeyStore {
 public:
  // Loads every stored key. Borrowed pointers must outlive the store.
  static absl::StatusOr<std::unique_ptr<KeyStore>> Open(
      storage::Catalog* catalog, AuditLog* audit, Clock* clock);

  // The principal behind `token` (the text after "Bearer "), or
  // UNAUTHENTICATED saying why: malformed, unknown, revoked or expired.
  // The message never repeats the token.
  absl::StatusOr<Principal> Authenticate(absl::string_view token) const;

  // Creates a key; see the class comment for who may. INVALID_ARGUMENT for
  // a bad role, organisation, label or expiry; PERMISSION_DENIED otherwise.
  absl::StatusOr<techmatch::v1::CreateApiKeyResponse> Create(
      const Caller& caller, const techmatch::v1::CreateApiKeyRequest& request);
  // Revokes a key (returned unchanged when already revoked). NOT_FOUND for
  // an unknown key or one the caller may not manage; FAILED_PRECONDITION
  // for the last active ADMIN key (the service would be locked).
  absl::StatusOr<techmatch::v1::ApiKey> Revoke(
      const Caller& caller, const techmatch::v1::RevokeApiKeyRequest& request);
  // The keys the caller may manage, by id; its own key always.
  absl::StatusOr<techmatch::v1::ListApiKeysResponse> List(
      const Caller& caller,
      const techmatch::v1::ListApiKeysRequest& request) const;
  // The caller's key and organisation.
  absl::StatusOr<techmatch::v1::Caller> Describe(const Caller& caller) const;

  // When no key exists at all (a new data directory): creates an ADMIN key
  // without organisation and returns its secret, once. nullopt otherwise.
  absl::StatusOr<std::optional<std::string>> CreateBootstrapAdmin();

  // Number of keys, revoked ones included.
  size_t size() const;

 private:
  KeyStore(storage::Catalog* catalog, AuditLog* audit, Clock* clock)
      : catalog_(catalog), audit_(audit), clock_(clock) {}

  // Whether `caller` may manage (list, revoke) `key`.
  bool MayManage(const Caller& caller, const techmatch::v1::ApiKey& key) const;
  // Makes, stores and remembers a key; requires write_mu_.
  absl::StatusOr<techmatch::v1::CreateApiKeyResponse> Insert(
      const Caller& caller, techmatch::v1::ApiKey key);
  absl::StatusOr<techmatch::v1::Organization> LoadOrg(
      const std::string& name) const;

  storage::Catalog* const catalog_;
  AuditLog* const audit_;
  Clock* const clock_;
  // Serialises creations and revocations.
  std::mutex write_mu_;
  mutable std::shared_mutex mu_;
  std::map<uint64_t, techmatch::v1::StoredApiKey> keys_;  // guarded by mu_
};

}  // namespace techmatch::domain

#endif  // TECHMATCH_DOMAIN_KEY_STORE_H_
