// Registry: the domain service for organisations, technology offers and
// enterprise needs. It validates input, enforces referential integrity,
// uniqueness of external references, optimistic concurrency and the
// publication lifecycle, and commits through storage::Catalog.
//
// Every method returns absl::Status codes with one meaning:
//   INVALID_ARGUMENT    the request is malformed; the message starts with the
//                       field path. Nothing was written.
//   NOT_FOUND           the named record does not exist.
//   ALREADY_EXISTS      the external_ref is taken within its scope.
//   ABORTED             the request's version is stale. Nothing was written.
//   FAILED_PRECONDITION the record's state forbids the change.
//   UNAVAILABLE etc.    storage failure; nothing was written.
//   PERMISSION_DENIED   the caller may not make this change (access.h).
// An OK from a mutating method means the change is durable (see Catalog).
//
// Every method takes the Caller: access is checked inside the write lock,
// on the stored record and on the record as it would be (access.h). A
// record the caller may not read answers NOT_FOUND, as a missing one. Every
// mutating call leaves one audit record (one per record for imports): in
// the commit's batch when it writes, else appended as a refusal; denied
// reads are audited too.
//
// Thread-safety: all methods are safe to call concurrently. Mutations are
// serialised, so commit order, change-log order and the order in which
// observers hear of commits are the same.
#ifndef TECHMATCH_DOMAIN_REGISTRY_H_
#define TECHMATCH_DOMAIN_REGISTRY_H_

#include <cstdint>
#include <mutex>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "base/clock.h"
#include "domain/access.h"
#include "domain/audit_log.h"
#include "domain/reference_data.h"
#include "storage/catalog.h"
#include "techmatch/v1/registry_service.pb.h"

namespace techmatch::domain {

namespace internal {
class PendingBatch;
}  // namespace internal

// A record as committed, with the change-log entry that describes it.
struct CommittedChange {
  techmatch::v1::ChangeEvent event;
  std::variant<techmatch::v1::Organization, techmatch::v1::Offer,
               techmatch::v1::Need, techmatch::v1::Connection>
      record;
};

// Hears of every commit, in commit order, after it is durable and before the
// mutating call returns. Called with the registry's write lock held: an
// implementation must be quick and must not call back into the Registry's
// mutating methods. This is the seam the matcher's in-memory index uses.
class CommitObserver {
 public:
  virtual ~CommitObserver() = default;
  virtual void OnCommitted(const std::vector<CommittedChange>& changes) = 0;
};

class Registry {
 public:
  // Offers and needs expire this long after publishing unless told
  // otherwise.
  static constexpr absl::Duration kDefaultLifetime = absl::Hours(24 * 365);
  // Largest and default page of a List call.
  static constexpr int kMaxPageSize = 1000;
  static constexpr int kDefaultPageSize = 50;

  // All pointers are borrowed and must outlive the registry.
  Registry(storage::Catalog* catalog, const ReferenceData* reference,
           AuditLog* audit, Clock* clock);

  // Registers `observer` (borrowed). Call before serving requests.
  void AddObserver(CommitObserver* observer);

  // ---- organisations ----
  absl::StatusOr<techmatch::v1::Organization> CreateOrganization(
      const Caller& caller,
      const techmatch::v1::CreateOrganizationRequest& request);
  absl::StatusOr<techmatch::v1::Organization> GetOrganization(
      const Caller& caller, absl::string_view name) const;
  // Applies the fields of request.update_mask (every populated updatable
  // field when empty). Returns the record unchanged, without writing, when
  // the update changes nothing.
  absl::StatusOr<techmatch::v1::Organization> UpdateOrganization(
      const Caller& caller,
      const techmatch::v1::UpdateOrganizationRequest& request);
  // Creates or fully replaces the organisation with the same external_ref.
  // Replacing with identical content writes nothing (UNCHANGED).
  absl::StatusOr<techmatch::v1::UpsertOrganizationResponse> UpsertOrganization(
      const Caller& caller,
      const techmatch::v1::UpsertOrganizationRequest& request);
  absl::StatusOr<techmatch::v1::ListOrganizationsResponse> ListOrganizations(
      const Caller& caller,
      const techmatch::v1::ListOrganizationsRequest& request) const;
  // Imports one chunk: records with external_ref are upserted, the others
  // created. Accepted records are committed together in one durable batch;
  // a rejected record leaves the others untouched. Result indexes start at
  // `first_index`. When the commit itself fails, every record that would
  // have been written is reported REJECTED with the storage error.
  techmatch::v1::ImportResponse ImportOrganizations(
      const Caller& caller,
      const techmatch::v1::ImportOrganizationsRequest& request,
      int64_t first_index);

  // ---- offers ----
  absl::StatusOr<techmatch::v1::Offer> CreateOffer(
      const Caller& caller, const techmatch::v1::CreateOfferRequest& request);
  absl::StatusOr<techmatch::v1::Offer> GetOffer(const Caller& caller,
                                                absl::string_view name) const;
  absl::StatusOr<techmatch::v1::Offer> UpdateOffer(
      const Caller& caller, const techmatch::v1::UpdateOfferRequest& request);
  absl::StatusOr<techmatch::v1::UpsertOfferResponse> UpsertOffer(
      const Caller& caller, const techmatch::v1::UpsertOfferRequest& request);
  // DRAFT/WITHDRAWN/EXPIRED -> PUBLISHED; sets publish_time and expire_time
  // (request's, else one year on). Already PUBLISHED: returned unchanged.
  absl::StatusOr<techmatch::v1::Offer> PublishOffer(
      const Caller& caller, const techmatch::v1::PublishRequest& request);
  // DRAFT/PUBLISHED/EXPIRED -> WITHDRAWN. Already WITHDRAWN: unchanged.
  absl::StatusOr<techmatch::v1::Offer> WithdrawOffer(
      const Caller& caller, const techmatch::v1::WithdrawRequest& request);
  absl::StatusOr<techmatch::v1::ListOffersResponse> ListOffers(
      const Caller& caller,
      const techmatch::v1::ListOffersRequest& request) const;
  techmatch::v1::ImportResponse ImportOffers(
      const Caller& caller, const techmatch::v1::ImportOffersRequest& request,
      int64_t first_index);

  // ---- needs ----
  absl::StatusOr<techmatch::v1::Need> CreateNeed(
      const Caller& caller, const techmatch::v1::CreateNeedRequest& request);
  absl::StatusOr<techmatch::v1::Need> GetNeed(const Caller& caller,
                                              absl::string_view name) const;
  absl::StatusOr<techmatch::v1::Need> UpdateNeed(
      const Caller& caller, const techmatch::v1::UpdateNeedRequest& request);
  absl::StatusOr<techmatch::v1::UpsertNeedResponse> UpsertNeed(
      const Caller& caller, const techmatch::v1::UpsertNeedRequest& request);
  // As PublishOffer; a need expires at its deadline when it has one, and
  // FAILED_PRECONDITION when the deadline has passed.
  absl::StatusOr<techmatch::v1::Need> PublishNeed(
      const Caller& caller, const techmatch::v1::PublishRequest& request);
  absl::StatusOr<techmatch::v1::Need> WithdrawNeed(
      const Caller& caller, const techmatch::v1::WithdrawRequest& request);
  absl::StatusOr<techmatch::v1::ListNeedsResponse> ListNeeds(
      const Caller& caller,
      const techmatch::v1::ListNeedsRequest& request) const;
  techmatch::v1::ImportResponse ImportNeeds(
      const Caller& caller, const techmatch::v1::ImportNeedsRequest& request,
      int64_t first_index);

  // Moves every PUBLISHED offer and need whose expire_time has passed to
  // EXPIRED. Returns how many records changed.
  absl::StatusOr<int> ExpireDue();

  // An access check for `principal` (borrowed) that reads committed
  // organisations.
  AccessCheck Check(const Principal* principal) const;

  const ReferenceData& reference() const { return *reference_; }

 private:
  // Runs `op` on a fresh batch under the write lock and commits what it
  // added. Returns op's error, or the commit's.
  // `object` names the record in the audit record of a failed call.
  template <class Result, class Op>
  absl::StatusOr<Result> Mutate(const Caller& caller, absl::string_view object,
                                Op op);
  // Runs `op` for every record of an import chunk and commits once.
  template <class T, class Records>
  techmatch::v1::ImportResponse Import(const Caller& caller,
                                       const Records& records,
                                       int64_t first_index);
  // Requires write_mu_ held. Commits the batch's writes with `audit`; when
  // there are none, appends `audit` alone.
  absl::Status CommitBatch(internal::PendingBatch& batch,
                           std::vector<techmatch::v1::AuditRecord> audit);
  // Reads a record for `caller`: NOT_FOUND (and an audited refusal) when
  // the caller may not see it.
  template <class T>
  absl::StatusOr<T> ReadFor(const Caller& caller, absl::string_view name) const;

  storage::Catalog* const catalog_;
  const ReferenceData* const reference_;
  AuditLog* const audit_;
  Clock* const clock_;
  std::vector<CommitObserver*> observers_;
  // std::mutex rather than absl::Mutex: Debian's Abseil is not built with
  // ThreadSanitizer, which then cannot see absl::Mutex's synchronisation;
  // pthread mutexes it intercepts (TECHMATCH_TSAN builds).
  std::mutex write_mu_;
};

}  // namespace techmatch::domain

#endif  // TECHMATCH_DOMAIN_REGISTRY_H_
