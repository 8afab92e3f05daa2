#include "server/feed_service.h"

#include "absl/strings/str_cat.h"
#include "server/status_mapping.h"

namespace techmatch::server {

namespace v1 = techmatch::v1;

grpc::Status FeedService::WatchChanges(grpc::ServerContext* context,
                                       const v1::WatchChangesRequest* request,
                                       grpc::ServerWriter<v1::FeedEvent>* writer) {
  return auth_->Serve(context, "FeedService.WatchChanges", [&](const domain::Caller& caller) {
    const absl::Time end = absl::Now() + max_stream_duration_;
    bool timed_out = false;
    absl::Status status = feed_->Stream(
        caller, request->after_sequence(), request->follow(),
        [&](const v1::FeedEvent& event) { return writer->Write(event); },
        [&] {
          timed_out = absl::Now() > end;
          return timed_out || context->IsCancelled();
        });
    if (!status.ok()) return ToGrpcStatus(status);
    if (timed_out) {
      return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                          absl::StrCat("a feed stream lasts at most ",
                                       absl::FormatDuration(max_stream_duration_),
                                       "; resume from the last sequence received"));
    }
    return grpc::Status::OK;
  });
}

}  // namespace techmatch::server
