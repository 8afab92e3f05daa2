#include "domain/access.h"

#include "absl/strings/str_cat.h"

namespace techmatch::domain {

using techmatch::v1::Need;
using techmatch::v1::Offer;
using techmatch::v1::Organization;

bool IsHub(Organization::Kind kind) {
  return kind == Organization::NATIONAL_EXCHANGE ||
         kind == Organization::REGIONAL_CENTRE;
}

bool Principal::may_write() const {
  return role != techmatch::v1::READ_ONLY &&
         role != techmatch::v1::ROLE_UNSPECIFIED;
}

bool Principal::hub() const { return IsHub(org_kind); }

Principal Principal::System() {
  Principal p;
  p.key = "system";
  p.role = techmatch::v1::ADMIN;
  return p;
}

Caller Caller::System(absl::string_view method) {
  return Caller{Principal::System(), std::string(method), "", ""};
}

namespace {

// "apiKeys/7 (CENTRE_OPERATOR of organizations/2) may not <verb> <what>".
absl::Status Refusal(const Principal& principal, absl::string_view verb,
                     absl::string_view what) {
  return absl::PermissionDeniedError(absl::StrCat(
      principal.key, " (", techmatch::v1::Role_Name(principal.role), " of ",
      principal.organization.empty() ? "no organisation"
                                     : principal.organization,
      ") may not ", verb, " ", what));
}

}  // namespace

absl::Status OutOfReach(const Principal& principal, absl::string_view what) {
  return Refusal(principal, "change", what);
}

absl::Status NotVisible(const Principal& principal, absl::string_view what) {
  return Refusal(principal, "see", what);
}

bool AccessCheck::InScope(const std::string& org) {
  const Principal& p = *principal_;
  if (p.admin()) return true;
  if (org.empty() || p.organization.empty()) return false;
  if (org == p.organization) return true;
  if (!p.hub()) return false;
  auto memo = in_scope_.find(org);
  if (memo != in_scope_.end()) return memo->second;
  absl::StatusOr<Organization> loaded = load_org_(org);
  bool in = loaded.ok() && loaded->parent() == p.organization;
  in_scope_.emplace(org, in);
  return in;
}

bool AccessCheck::CanRead(const Offer& offer) {
  return offer.state() == techmatch::v1::PUBLISHED || InScope(offer.owner());
}

bool AccessCheck::CanRead(const Need& need) {
  if (need.state() == techmatch::v1::PUBLISHED &&
      need.confidentiality() != techmatch::v1::CONFIDENTIAL) {
    return true;
  }
  return InReach(need);
}

bool AccessCheck::InReach(const Organization& record) {
  const Principal& p = *principal_;
  if (p.admin()) return true;
  if (p.organization.empty()) return false;
  // Decided on `record` itself, never on the stored organisation of that
  // name: the record as it would be after a change must be in reach on
  // its own (a centre moving its member to another centre is refused).
  if (!record.name().empty() && record.name() == p.organization) return true;
  return p.hub() && record.parent() == p.organization;
}

bool AccessCheck::InReach(const Offer& record) {
  return InScope(record.owner());
}

bool AccessCheck::InReach(const Need& record) {
  if (principal_->admin()) return true;
  if (!record.centre().empty() && record.centre() == principal_->organization) {
    return true;
  }
  return InScope(record.enterprise());
}

absl::Status AccessCheck::CheckRoleWrites() const {
  if (principal_->may_write()) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      principal_->key, " has role ", techmatch::v1::Role_Name(principal_->role),
      ", which does not write"));
}

template <class T>
absl::Status AccessCheck::CheckReach(const T& record, absl::string_view label) {
  if (InReach(record)) return absl::OkStatus();
  return OutOfReach(*principal_,
                    record.name().empty()
                        ? absl::StrCat("a new ", label, " there")
                        : absl::StrCat(record.name(), " (", label, ")"));
}

template absl::Status AccessCheck::CheckReach(const Organization&,
                                              absl::string_view);
template absl::Status AccessCheck::CheckReach(const Offer&, absl::string_view);
template absl::Status AccessCheck::CheckReach(const Need&, absl::string_view);

absl::Status AccessCheck::CheckKind(const Organization* before,
                                    const Organization& after) const {
  if (principal_->admin() || !IsHub(after.kind())) return absl::OkStatus();
  if (before != nullptr && before->kind() == after.kind()) {
    return absl::OkStatus();
  }
  return OutOfReach(*principal_,
                    absl::StrCat("the kind of an organisation to ",
                                 Organization::Kind_Name(after.kind()),
                                 ": only ADMIN creates exchanges and centres"));
}

}  // namespace techmatch::domain
