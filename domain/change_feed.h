// ChangeFeed: the change log as a stream for integrators. Events come in
// commit order (change-log sequence), each with the record it touched as
// the record is now; only records the caller may see now are sent (access.h
// for organisations, offers and needs; ConnectionBook::CanSee for
// connections), so a need that became confidential disappears from the
// feed of those who may no longer see it, history included.
//
// Resumable: a client passes the last sequence it received. Retention: the
// change log is kept whole (records are never deleted), so every sequence
// from 1 can be replayed.
//
// Thread-safety: Stream may run on many threads at once.
#ifndef TECHMATCH_DOMAIN_CHANGE_FEED_H_
#define TECHMATCH_DOMAIN_CHANGE_FEED_H_

#include <functional>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "domain/access.h"
#include "domain/connection_book.h"
#include "domain/registry.h"
#include "storage/catalog.h"
#include "techmatch/v1/feed.pb.h"

namespace techmatch::domain {

class ChangeFeed {
 public:
  // Borrowed pointers; all must outlive the feed.
  ChangeFeed(const storage::Catalog* catalog, const Registry* registry,
             const ConnectionBook* connections)
      : catalog_(catalog), registry_(registry), connections_(connections) {}

  // Sends every visible change after `after_sequence` to `emit`, in order,
  // until caught up; with `follow`, then waits for new commits (checking
  // every `poll`) until `emit` returns false or `done()` says so. Returns
  // OK when it stops for those reasons, or the storage error.
  absl::Status Stream(
      const Caller& caller, uint64_t after_sequence, bool follow,
      const std::function<bool(const techmatch::v1::FeedEvent&)>& emit,
      const std::function<bool()>& done,
      absl::Duration poll = absl::Milliseconds(100)) const;

 private:
  // Fills event->record when the caller may see the record; false when it
  // may not (or the record cannot be read).
  bool Attach(const Principal& principal, AccessCheck& check,
              techmatch::v1::FeedEvent* event) const;

  const storage::Catalog* const catalog_;
  const Registry* const registry_;
  const ConnectionBook* const connections_;
};

}  // namespace techmatch::domain

#endif  // TECHMATCH_DOMAIN_CHANGE_FEED_H_
