// AlertBox: the read side of alerts. An organisation's keys read the
// alerts whose recipient is that organisation (ADMIN keys: all), as a
// resumable stream (by alert sequence) or as a digest since the key's
// previous pull (the cursor is kept per key in the catalog).
//
// Thread-safety: all methods are safe to call concurrently; two pulls with
// the same key at once may return the same alerts.
#ifndef TECHMATCH_DOMAIN_ALERT_BOX_H_
#define TECHMATCH_DOMAIN_ALERT_BOX_H_

#include <functional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "domain/access.h"
#include "storage/catalog.h"
#include "techmatch/v1/alert.pb.h"

namespace techmatch::domain {

class AlertBox {
 public:
  static constexpr int kMaxPull = 1000;

  // `catalog` is borrowed and must outlive the box.
  explicit AlertBox(storage::Catalog* catalog) : catalog_(catalog) {}

  // Sends the caller's alerts after `after_sequence` in order; with
  // `follow`, then waits for new ones (checking every `poll`) until `emit`
  // returns false or `done()` says so.
  absl::Status Watch(
      const Caller& caller, uint64_t after_sequence, bool follow,
      const std::function<bool(const techmatch::v1::Alert&)>& emit,
      const std::function<bool()>& done,
      absl::Duration poll = absl::Milliseconds(200)) const;

  // The caller's alerts since its key's last pull (at most max_alerts, 0 =
  // kMaxPull), and moves the key's cursor past them.
  absl::StatusOr<techmatch::v1::PullAlertsResponse> Pull(const Caller& caller,
                                                         int max_alerts);

 private:
  // The recipient filter of ScanAlerts for `caller`: 0 (all) for ADMIN,
  // the organisation's id, or nullopt when it has none.
  std::optional<uint64_t> Recipient(const Caller& caller) const;

  storage::Catalog* const catalog_;
};

}  // namespace techmatch::domain

#endif  // TECHMATCH_DOMAIN_ALERT_BOX_H_
