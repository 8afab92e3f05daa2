// gRPC front of domain::ChangeFeed: a server-streaming handler.
#ifndef TECHMATCH_SERVER_FEED_SERVICE_H_
#define TECHMATCH_SERVER_FEED_SERVICE_H_

#include "absl/time/time.h"
#include "domain/change_feed.h"
#include "server/authenticator.h"
#include "techmatch/v1/feed.grpc.pb.h"

namespace techmatch::server {

class FeedService final : public techmatch::v1::FeedService::Service {
 public:
  // Borrowed pointers; both must outlive the service. A stream ends with
  // DEADLINE_EXCEEDED after `max_stream_duration` (resume from the last
  // sequence received).
  FeedService(const domain::ChangeFeed* feed, Authenticator* auth,
              absl::Duration max_stream_duration)
      : feed_(feed), auth_(auth), max_stream_duration_(max_stream_duration) {}

  grpc::Status WatchChanges(
      grpc::ServerContext*, const techmatch::v1::WatchChangesRequest*,
      grpc::ServerWriter<techmatch::v1::FeedEvent>*) override;

 private:
  const domain::ChangeFeed* const feed_;
  Authenticator* const auth_;
  const absl::Duration max_stream_duration_;
};

}  // namespace techmatch::server

#endif  // TECHMATCH_SERVER_FEED_SERVICE_H_
