// RateLimiter: one token bucket per subject (an API key, or a peer address
// for calls without a valid key). A subject may make `burst` calls at once
// and `rate` per second on average.
//
// Memory is bounded: at most `max_subjects` buckets are kept; when the map
// is full, buckets that have refilled completely (idle subjects) are
// dropped, and if none has, the new subject is refused until one does.
//
// Thread-safe.
#ifndef TECHMATCH_SERVER_RATE_LIMITER_H_
#define TECHMATCH_SERVER_RATE_LIMITER_H_

#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "base/clock.h"

namespace techmatch::server {

struct RateLimit {
  double rate = 100;   // calls per second; <= 0 disables the limit
  double burst = 200;  // bucket size
  size_t max_subjects = 100000;
};

class RateLimiter {
 public:
  // `clock` is borrowed and must outlive the limiter.
  RateLimiter(RateLimit limit, Clock* clock) : limit_(limit), clock_(clock) {}

  // Takes one token for `subject`. Returns zero when the call may proceed,
  // else how long to wait before a token is available.
  absl::Duration Acquire(absl::string_view subject);

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time updated;
  };
  // Drops full buckets; requires mu_.
  void Evict(absl::Time now);

  const RateLimit limit_;
  Clock* const clock_;
  std::mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_;  // guarded by mu_
};

}  // namespace techmatch::server

#endif  // TECHMATCH_SERVER_RATE_LIMITER_H_
