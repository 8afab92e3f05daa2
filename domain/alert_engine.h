// AlertEngine: turns published needs into standing requests. It follows the
// change log (its own cursor, kept in the catalog) and, for every offer or
// need that is published when it gets to it, scores the other side:
//   - an offer: the needs it serves (confidential ones included, as the
//     alert goes to the need's own side); each need whose threshold
//     (Need.alert_threshold, else the engine's default) the score reaches
//     alerts the need's centre, else its enterprise; each public one
//     reaching the default threshold alerts the offer owner's exchange,
//     else the owner;
//   - a need: the offers for it; each reaching the need's threshold alerts
//     the need's side as above, and, for a public need, each reaching the
//     default threshold alerts the offer owner's exchange, else the owner.
// Both sides are told whichever record came first. The score is the pair's
// absolute score (matching/relevance.h), the same from either side and
// whatever else the index holds, so the alerts an import raises do not
// depend on how far behind the engine runs: a pair is met when its later
// record is processed, or again when the engine, lagging, finds both
// records in place at the earlier one's turn, with the same score either
// way (only the collection's statistics move it, slightly).
// Each (need, offer) pair is alerted once per side, ever: the pair index
// is checked before raising, and the alerts of a stretch of the change log
// are committed with the cursor past it in one batch, so a crash or restart
// neither loses nor repeats one.
//
// It runs on its own thread (Start/Stop), behind the writes; RunOnce is the
// same work on the caller's thread, for tests and tools. Watching and
// pulling alerts is AlertBox's job (alert_box.h).
#ifndef TECHMATCH_DOMAIN_ALERT_ENGINE_H_
#define TECHMATCH_DOMAIN_ALERT_ENGINE_H_

#include <atomic>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "base/clock.h"
#include "domain/matchmaker.h"
#include "storage/catalog.h"

namespace techmatch::domain {

struct AlertOptions {
  // Used when a need sets no threshold, and for alerts to the offer side:
  // the calibrated STRONG label's threshold (docs/quality.md).
  double default_threshold = 0.6;
  // How often the thread looks for new changes.
  absl::Duration poll = absl::Milliseconds(200);
};

class AlertEngine {
 public:
  // The counter in the catalog's meta family that holds the cursor.
  static constexpr char kCursor[] = "alert_cursor";
  // The longest wait between tries after failures (doubling from `poll`).
  static constexpr absl::Duration kMaxBackoff = absl::Seconds(30);

  // Borrowed pointers; all must outlive the engine.
  AlertEngine(storage::Catalog* catalog, const Matchmaker* matchmaker,
              Clock* clock, AlertOptions options)
      : catalog_(catalog),
        matchmaker_(matchmaker),
        clock_(clock),
        options_(options) {}
  ~AlertEngine() { Stop(); }

  // Processes the changes committed since the cursor, up to `max_changes`;
  // returns how many alerts it raised.
  absl::StatusOr<int> RunOnce(size_t max_changes = 500);

  // Runs RunOnce in a loop on a thread until Stop. Errors are retried.
  void Start();
  void Stop();

 private:
  storage::Catalog* const catalog_;
  const Matchmaker* const matchmaker_;
  Clock* const clock_;
  const AlertOptions options_;
  std::thread thread_;
  absl::Notification stop_;
  std::atomic<bool> started_{false};
};

}  // namespace techmatch::domain

#endif  // TECHMATCH_DOMAIN_ALERT_ENGINE_H_
