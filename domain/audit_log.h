// AuditLog: makes, appends and lists audit records (who, role, method,
// object, outcome, time). The record of a successful mutation is written by
// the component that commits the change, in the same batch (see
// Registry::Mutate and KeyStore); refusals and failures go through
// AppendRefusal. Secrets never reach it: callers pass key names, not keys.
//
// Thread-safety: all methods are safe to call concurrently.
#ifndef TECHMATCH_DOMAIN_AUDIT_LOG_H_
#define TECHMATCH_DOMAIN_AUDIT_LOG_H_

#include <atomic>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/clock.h"
#include "domain/access.h"
#include "storage/catalog.h"
#include "techmatch/v1/access.pb.h"

namespace techmatch::domain {

class AuditLog {
 public:
  static constexpr int kDefaultPageSize = 100;
  static constexpr int kMaxPageSize = 1000;

  // Borrowed pointers; both must outlive the log.
  AuditLog(storage::Catalog* catalog, Clock* clock)
      : catalog_(catalog), clock_(clock) {}

  // The record of `caller`'s call on `object` (may be empty) that ended
  // with `status`. `detail` defaults to the status message.
  techmatch::v1::AuditRecord Make(const Caller& caller,
                                  absl::string_view object,
                                  const absl::Status& status) const;

  // Appends the record of a call that changed no record: a refusal, an
  // error, or an administrative act such as a backup. A failure to append does
  // not change the call's outcome; it is counted in append_failures().
  void AppendRefusal(const Caller& caller, absl::string_view object,
                     const absl::Status& status);

  // Newest first. ADMIN only (PERMISSION_DENIED otherwise, itself
  // audited); INVALID_ARGUMENT for a bad page size or token.
  absl::StatusOr<techmatch::v1::ListAuditRecordsResponse> List(
      const Caller& caller,
      const techmatch::v1::ListAuditRecordsRequest& request);

  // How many refusal records could not be written since start-up.
  uint64_t append_failures() const { return append_failures_.load(); }

 private:
  storage::Catalog* const catalog_;
  Clock* const clock_;
  std::atomic<uint64_t> append_failures_{0};
};

}  // namespace techmatch::domain

#endif  // TECHMATCH_DOMAIN_AUDIT_LOG_H_
