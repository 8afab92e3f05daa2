#include "domain/key_store.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/decimal.h"
#include "base/status_macros.h"
#include "domain/validation.h"
#include "google/protobuf/util/time_util.h"
#include "storage/resource_name.h"

namespace techmatch::domain {

using google::protobuf::util::TimeUtil;
using storage::RecordKind;
using techmatch::v1::ApiKey;
using techmatch::v1::Organization;
using techmatch::v1::Role;
using techmatch::v1::StoredApiKey;

namespace {

constexpr absl::string_view kPrefix = "tmk_";
constexpr size_t kSecretBytes = 32;
constexpr size_t kLabelMax = 200;

std::string Sha256(absl::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

int64_t Micros(const google::protobuf::Timestamp& t) {
  return TimeUtil::TimestampToMicroseconds(t);
}

bool Active(const ApiKey& key, absl::Time now) {
  return !key.has_revoke_time() &&
         (!key.has_expire_time() ||
          Micros(key.expire_time()) > absl::ToUnixMicros(now));
}

bool IsOperator(Role role) {
  return role == techmatch::v1::EXCHANGE_OPERATOR ||
         role == techmatch::v1::CENTRE_OPERATOR;
}

// Roles an operator may hand out.
bool Delegable(Role role) {
  return role == techmatch::v1::ENTERPRISE ||
         role == techmatch::v1::INTEGRATION || role == techmatch::v1::READ_ONLY;
}

// INVALID_ARGUMENT unless `role` suits an organisation of `kind`.
absl::Status CheckRoleFitsKind(Role role, Organization::Kind kind) {
  bool fits = true;
  switch (role) {
    case techmatch::v1::EXCHANGE_OPERATOR:
      fits = kind == Organization::NATIONAL_EXCHANGE;
      break;
    case techmatch::v1::CENTRE_OPERATOR:
      fits = kind == Organization::REGIONAL_CENTRE;
      break;
    case techmatch::v1::ENTERPRISE:
      fits = !IsHub(kind);
      break;
    default:
      break;
  }
  if (fits) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("api_key.role: ", techmatch::v1::Role_Name(role),
                   " does not suit an organisation of kind ",
                   Organization::Kind_Name(kind)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<KeyStore>> KeyStore::Open(
    storage::Catalog* catalog, AuditLog* audit, Clock* clock) {
  std::unique_ptr<KeyStore> store(new KeyStore(catalog, audit, clock));
  absl::Status bad;
  TM_RETURN_IF_ERROR(catalog->ScanApiKeys([&](const StoredApiKey& stored) {
    auto id =
        storage::ParseName(RecordKind::kApiKey, stored.key().name(), "name");
    if (!id.ok()) {
      bad = absl::DataLossError(
          absl::StrCat("stored key with bad name: ", id.status().message()));
      return false;
    }
    store->keys_[*id] = stored;
    return true;
  }));
  TM_RETURN_IF_ERROR(bad);
  return store;
}

absl::StatusOr<Organization> KeyStore::LoadOrg(const std::string& name) const {
  TM_ASSIGN_OR_RETURN(uint64_t id,
                      storage::ParseName(RecordKind::kOrganization, name,
                                         "api_key.organization"));
  return catalog_->Get<Organization>(id);
}

absl::StatusOr<Principal> KeyStore::Authenticate(
    absl::string_view token) const {
  absl::string_view rest = token;
  uint64_t id = 0;
  size_t sep = std::string::npos;
  if (!absl::ConsumePrefix(&rest, kPrefix) ||
      (sep = rest.find('_')) == absl::string_view::npos ||
      !ParseDecimal(rest.substr(0, sep), &id) || id == 0) {
    return absl::UnauthenticatedError(
        "the API key is malformed (expected \"tmk_<id>_<secret>\")");
  }
  absl::string_view secret = rest.substr(sep + 1);
  std::string digest = Sha256(secret);
  ApiKey key;
  {
    std::shared_lock lock(mu_);
    auto it = keys_.find(id);
    if (it == keys_.end() ||
        it->second.secret_sha256().size() != digest.size() ||
        CRYPTO_memcmp(it->second.secret_sha256().data(), digest.data(),
                      digest.size()) != 0) {
      return absl::UnauthenticatedError("the API key is not valid");
    }
    key = it->second.key();
  }
  if (key.has_revoke_time()) {
    return absl::UnauthenticatedError(absl::StrCat(key.name(), " was revoked"));
  }
  if (key.has_expire_time() &&
      Micros(key.expire_time()) <= absl::ToUnixMicros(clock_->Now())) {
    return absl::UnauthenticatedError(absl::StrCat(key.name(), " has expired"));
  }
  Principal principal;
  principal.key = key.name();
  principal.role = key.role();
  principal.organization = key.organization();
  if (!key.organization().empty()) {
    absl::StatusOr<Organization> org = LoadOrg(key.organization());
    if (absl::IsNotFound(org.status())) {
      return absl::UnauthenticatedError(absl::StrCat(
          key.name(), " belongs to an organisation that does not exist"));
    }
    TM_RETURN_IF_ERROR(org.status());
    principal.org_kind = org->kind();
  }
  return principal;
}

bool KeyStore::MayManage(const Caller& caller, const ApiKey& key) const {
  const Principal& p = caller.principal;
  if (p.admin() || key.name() == p.key) return true;
  if (!IsOperator(p.role) || !Delegable(key.role())) return false;
  AccessCheck check(&p,
                    [this](const std::string& name) { return LoadOrg(name); });
  return check.InScope(key.organization());
}

absl::StatusOr<techmatch::v1::CreateApiKeyResponse> KeyStore::Insert(
    const Caller& caller, ApiKey key) {
  unsigned char secret_bytes[kSecretBytes];
  if (RAND_bytes(secret_bytes, sizeof(secret_bytes)) != 1) {
    return absl::InternalError("the random source failed");
  }
  std::string secret = absl::WebSafeBase64Escape(absl::string_view(
      reinterpret_cast<const char*>(secret_bytes), sizeof(secret_bytes)));
  OPENSSL_cleanse(secret_bytes, sizeof(secret_bytes));
  uint64_t id = catalog_->AllocateId(RecordKind::kApiKey);
  absl::Time now = clock_->Now();
  key.set_name(storage::MakeName(RecordKind::kApiKey, id));
  *key.mutable_create_time() =
      TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(now));
  key.clear_revoke_time();
  key.set_creator(caller.principal.key.empty() ? "bootstrap"
                                               : caller.principal.key);
  StoredApiKey stored;
  *stored.mutable_key() = key;
  stored.set_secret_sha256(Sha256(secret));
  storage::CommitExtras extras;
  extras.api_keys.push_back(stored);
  extras.audit.push_back(audit_->Make(caller, key.name(), absl::OkStatus()));
  TM_RETURN_IF_ERROR(catalog_->Commit({}, now, std::move(extras)).status());
  {
    std::unique_lock lock(mu_);
    keys_[id] = stored;
  }
  techmatch::v1::CreateApiKeyResponse response;
  *response.mutable_api_key() = key;
  response.set_secret(absl::StrCat(kPrefix, id, "_", secret));
  return response;
}

absl::StatusOr<techmatch::v1::CreateApiKeyResponse> KeyStore::Create(
    const Caller& caller, const techmatch::v1::CreateApiKeyRequest& request) {
  ApiKey key = request.api_key();
  const Principal& p = caller.principal;
  auto refuse = [&](absl::Status status) {
    audit_->AppendRefusal(caller, key.organization(), status);
    return status;
  };
  if (!p.admin() && !IsOperator(p.role)) {
    return refuse(absl::PermissionDeniedError(
        absl::StrCat(p.key, " has role ", techmatch::v1::Role_Name(p.role),
                     ", which does not manage keys")));
  }
  if (!techmatch::v1::Role_IsValid(key.role()) ||
      key.role() == techmatch::v1::ROLE_UNSPECIFIED) {
    return refuse(absl::InvalidArgumentError("api_key.role: is required"));
  }
  absl::Status label = NormalizeLabel(key.mutable_display_name(),
                                      "api_key.display_name", kLabelMax);
  if (!label.ok()) return refuse(label);
  if (key.has_expire_time() &&
      Micros(key.expire_time()) <= absl::ToUnixMicros(clock_->Now())) {
    return refuse(absl::InvalidArgumentError(
        "api_key.expire_time: must be in the future"));
  }
  Organization::Kind org_kind = Organization::KIND_UNSPECIFIED;
  if (key.organization().empty()) {
    if (key.role() != techmatch::v1::ADMIN) {
      return refuse(absl::InvalidArgumentError(
          "api_key.organization: is required except for ADMIN keys"));
    }
  } else {
    absl::StatusOr<Organization> org = LoadOrg(key.organization());
    if (absl::IsNotFound(org.status())) {
      return refuse(absl::InvalidArgumentError(absl::StrCat(
          "api_key.organization: ", key.organization(), " does not exist")));
    }
    if (!org.ok()) return refuse(org.status());
    absl::Status fits = CheckRoleFitsKind(key.role(), org->kind());
    if (!fits.ok()) return refuse(fits);
    org_kind = org->kind();
  }
  if (!p.admin()) {
    AccessCheck check(
        &p, [this](const std::string& name) { return LoadOrg(name); });
    if (!Delegable(key.role()) || !check.InScope(key.organization())) {
      return refuse(OutOfReach(
          p, absl::StrCat("keys with role ",
                          techmatch::v1::Role_Name(key.role()), " for ",
                          key.organization().empty() ? "no organisation"
                                                     : key.organization())));
    }
    // A key sees what its organisation sees. Another exchange or centre
    // sees its own members and the needs it collected, which the creator
    // does not: a key may never see further than the key that made it.
    if (key.organization() != p.organization && IsHub(org_kind)) {
      return refuse(OutOfReach(
          p, absl::StrCat("keys for ", key.organization(),
                          ", an exchange or centre that sees records ",
                          p.organization, " does not (only an admin may)")));
    }
  }
  std::lock_guard<std::mutex> lock(write_mu_);
  absl::StatusOr<techmatch::v1::CreateApiKeyResponse> created =
      Insert(caller, key);
  if (!created.ok()) return refuse(created.status());
  return created;
}

absl::StatusOr<ApiKey> KeyStore::Revoke(
    const Caller& caller, const techmatch::v1::RevokeApiKeyRequest& request) {
  auto refuse = [&](absl::Status status) {
    audit_->AppendRefusal(caller, request.name(), status);
    return status;
  };
  absl::StatusOr<uint64_t> id =
      storage::ParseName(RecordKind::kApiKey, request.name(), "name");
  if (!id.ok()) return refuse(id.status());
  std::lock_guard<std::mutex> write_lock(write_mu_);
  StoredApiKey stored;
  {
    std::shared_lock lock(mu_);
    auto it = keys_.find(*id);
    if (it != keys_.end()) stored = it->second;
  }
  absl::Status missing =
      absl::NotFoundError(absl::StrCat(request.name(), " does not exist"));
  if (stored.key().name().empty()) return refuse(missing);
  if (!MayManage(caller, stored.key())) {
    // Audited as the refusal it is; reported as missing so that key ids
    // cannot be probed.
    audit_->AppendRefusal(caller, request.name(),
                          OutOfReach(caller.principal, request.name()));
    return missing;
  }
  if (stored.key().has_revoke_time()) return stored.key();
  absl::Time now = clock_->Now();
  if (stored.key().role() == techmatch::v1::ADMIN) {
    bool other_admin = false;
    std::shared_lock lock(mu_);
    for (const auto& [other_id, other] : keys_) {
      other_admin |= other_id != *id &&
                     other.key().role() == techmatch::v1::ADMIN &&
                     Active(other.key(), now);
    }
    if (!other_admin) {
      return refuse(absl::FailedPreconditionError(
          absl::StrCat(request.name(),
                       " is the last active ADMIN key; create another first")));
    }
  }
  *stored.mutable_key()->mutable_revoke_time() =
      TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(now));
  storage::CommitExtras extras;
  extras.api_keys.push_back(stored);
  extras.audit.push_back(
      audit_->Make(caller, request.name(), absl::OkStatus()));
  absl::Status commit = catalog_->Commit({}, now, std::move(extras)).status();
  if (!commit.ok()) return refuse(commit);
  {
    std::unique_lock lock(mu_);
    keys_[*id] = stored;
  }
  return stored.key();
}

absl::StatusOr<techmatch::v1::ListApiKeysResponse> KeyStore::List(
    const Caller& caller,
    const techmatch::v1::ListApiKeysRequest& request) const {
  std::vector<ApiKey> all;
  {
    std::shared_lock lock(mu_);
    all.reserve(keys_.size());
    for (const auto& [id, stored] : keys_) all.push_back(stored.key());
  }
  absl::Time now = clock_->Now();
  techmatch::v1::ListApiKeysResponse response;
  for (ApiKey& key : all) {
    if (!request.organization().empty() &&
        key.organization() != request.organization()) {
      continue;
    }
    if (!request.include_inactive() && !Active(key, now)) continue;
    if (!MayManage(caller, key)) continue;
    *response.add_api_keys() = std::move(key);
  }
  return response;
}

absl::StatusOr<techmatch::v1::Caller> KeyStore::Describe(
    const Caller& caller) const {
  techmatch::v1::Caller out;
  const Principal& p = caller.principal;
  absl::StatusOr<uint64_t> id =
      storage::ParseName(RecordKind::kApiKey, p.key, "key");
  if (id.ok()) {
    std::shared_lock lock(mu_);
    auto it = keys_.find(*id);
    if (it != keys_.end()) *out.mutable_api_key() = it->second.key();
  }
  if (out.api_key().name().empty()) {
    out.mutable_api_key()->set_name(p.key);
    out.mutable_api_key()->set_role(p.role);
  }
  if (!p.organization.empty()) {
    TM_ASSIGN_OR_RETURN(*out.mutable_organization(), LoadOrg(p.organization));
  }
  return out;
}

absl::StatusOr<std::optional<std::string>> KeyStore::CreateBootstrapAdmin() {
  std::lock_guard<std::mutex> write_lock(write_mu_);
  {
    std::shared_lock lock(mu_);
    if (!keys_.empty()) return std::nullopt;
  }
  ApiKey key;
  key.set_role(techmatch::v1::ADMIN);
  key.set_display_name("first admin key, created at start-up");
  Caller caller;
  caller.principal.key = "bootstrap";
  caller.principal.role = techmatch::v1::ADMIN;
  caller.method = "Startup.CreateBootstrapAdmin";
  TM_ASSIGN_OR_RETURN(techmatch::v1::CreateApiKeyResponse created,
                      Insert(caller, std::move(key)));
  return created.secret();
}

size_t KeyStore::size() const {
  std::shared_lock lock(mu_);
  return keys_.size();
}

}  // namespace techmatch::domain
