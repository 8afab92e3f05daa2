// Who may see and change what. The rules, in one place (docs/security.md
// draws them as a matrix):
//
//   scope(P)  = P's organisation, plus the organisations whose `parent` it
//               is when P's organisation is an exchange or a centre. ADMIN:
//               everything.
//   read      organisations: every caller.
//             a PUBLISHED offer: every caller; any other offer: scope.
//             a PUBLISHED, PUBLIC need: every caller; any other need
//             (draft, withdrawn, expired or CONFIDENTIAL): its enterprise
//             in scope, or P's organisation is the need's centre.
//   change    the role must write (not READ_ONLY), and the stored record
//             and the record as it would be after the change must both be
//             in reach: an organisation in scope; an offer whose owner is
//             in scope; a need whose enterprise is in scope or whose centre
//             is P's organisation. Only ADMIN creates exchanges and centres
//             or turns an organisation into one.
//
// A record the caller may not read is reported NOT_FOUND, exactly as a
// missing one, so that confidential needs do not leak even their existence;
// a record it may read but not change is PERMISSION_DENIED.
#ifndef TECHMATCH_DOMAIN_ACCESS_H_
#define TECHMATCH_DOMAIN_ACCESS_H_

#include <functional>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "techmatch/v1/access.pb.h"
#include "techmatch/v1/need.pb.h"
#include "techmatch/v1/offer.pb.h"
#include "techmatch/v1/organization.pb.h"

namespace techmatch::domain {

// The authenticated identity behind a call.
struct Principal {
  // "apiKeys/{id}"; "system" for the server's own work (expiry).
  std::string key;
  // "organizations/{id}"; empty only for an ADMIN key without organisation.
  std::string organization;
  techmatch::v1::Organization::Kind org_kind =
      techmatch::v1::Organization::KIND_UNSPECIFIED;
  techmatch::v1::Role role = techmatch::v1::ROLE_UNSPECIFIED;

  bool admin() const { return role == techmatch::v1::ADMIN; }
  // True unless the role is READ_ONLY (or unset).
  bool may_write() const;
  // True when the organisation is a NATIONAL_EXCHANGE or REGIONAL_CENTRE.
  bool hub() const;

  // The server acting on its own (the expiry sweeper): ADMIN rights.
  static Principal System();
};

// One API call: who makes it, which method, from where. Audit records are
// made from it.
struct Caller {
  Principal principal;
  // "OfferService.UpdateOffer".
  std::string method;
  // The peer address gRPC reports; may be empty.
  std::string peer;
  // The subject of the client's TLS certificate, verified against the
  // port's client CA (mutual TLS); empty without one. Recorded in the audit.
  std::string client_certificate;

  // A caller for the server's own work and for tests: System() principal.
  static Caller System(absl::string_view method);
};

// True for NATIONAL_EXCHANGE and REGIONAL_CENTRE.
bool IsHub(techmatch::v1::Organization::Kind kind);

// Answers access questions for one principal within one request. Reads
// organisations through `load_org` (so the registry can show it records
// not yet committed in the same batch) and remembers what it learnt for
// the life of the object. Not thread-safe; cheap to create.
class AccessCheck {
 public:
  using OrgLoader = std::function<absl::StatusOr<techmatch::v1::Organization>(
      const std::string& name)>;

  // `principal` is borrowed and must outlive the check.
  AccessCheck(const Principal* principal, OrgLoader load_org)
      : principal_(principal), load_org_(std::move(load_org)) {}

  const Principal& principal() const { return *principal_; }

  // Whether the organisation named `org` is in the principal's scope. An
  // organisation that cannot be loaded is not.
  bool InScope(const std::string& org);

  // Drops what was learnt about `org`: call when a change to it is added to
  // the request's batch, so later records of the batch see its new parent.
  void Forget(const std::string& org) { in_scope_.erase(org); }

  bool CanRead(const techmatch::v1::Offer& offer);
  bool CanRead(const techmatch::v1::Need& need);

  // Whether `record` is within reach of a change (role not considered),
  // judged on `record` as given: an organisation is in reach when it is
  // the principal's own or, for a hub, when its `parent` is the principal.
  // An offer is when its owner is in scope; a need when its enterprise is
  // or its centre is the principal.
  bool InReach(const techmatch::v1::Organization& record);
  bool InReach(const techmatch::v1::Offer& record);
  bool InReach(const techmatch::v1::Need& record);

  // OK when the role writes at all; PERMISSION_DENIED naming the role
  // otherwise.
  absl::Status CheckRoleWrites() const;

  // PERMISSION_DENIED unless `record` is in reach. `label` names the kind
  // ("offer") in the message.
  template <class T>
  absl::Status CheckReach(const T& record, absl::string_view label);

  // PERMISSION_DENIED when a non-admin would create an exchange or centre
  // or turn `before` (null on create) into one.
  absl::Status CheckKind(const techmatch::v1::Organization* before,
                         const techmatch::v1::Organization& after) const;

 private:
  const Principal* principal_;
  OrgLoader load_org_;
  std::map<std::string, bool> in_scope_;
};

// The PERMISSION_DENIED status of a change outside the caller's reach.
absl::Status OutOfReach(const Principal& principal, absl::string_view what);
// The PERMISSION_DENIED status the audit log records for a read of a
// record the caller may not see (the caller itself hears NOT_FOUND).
absl::Status NotVisible(const Principal& principal, absl::string_view what);

}  // namespace techmatch::domain

#endif  // TECHMATCH_DOMAIN_ACCESS_H_
