#include "server/rate_limiter.h"

#include <algorithm>

namespace techmatch::server {

absl::Duration RateLimiter::Acquire(absl::string_view subject) {
  if (limit_.rate <= 0) return absl::ZeroDuration();
  absl::Time now = clock_->Now();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = buckets_.find(subject);
  if (it == buckets_.end()) {
    if (buckets_.size() >= limit_.max_subjects) Evict(now);
    if (buckets_.size() >= limit_.max_subjects) {
      return absl::Seconds(1.0 / limit_.rate);
    }
    it =
        buckets_.emplace(std::string(subject), Bucket{limit_.burst, now}).first;
  }
  Bucket& b = it->second;
  double elapsed = std::max(0.0, absl::ToDoubleSeconds(now - b.updated));
  b.tokens = std::min(limit_.burst, b.tokens + elapsed * limit_.rate);
  b.updated = now;
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return absl::ZeroDuration();
  }
  return absl::Seconds((1 - b.tokens) / limit_.rate);
}

void RateLimiter::Evict(absl::Time now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    double elapsed = absl::ToDoubleSeconds(now - it->second.updated);
    if (it->second.tokens + elapsed * limit_.rate >= limit_.burst) {
      buckets_.erase(it++);
    } else {
      ++it;
    }
  }
}

}  // namespace techmatch::server
