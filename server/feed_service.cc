#include "server/feed_service.h"

#include "server/capped_stream.h"

namespace techmatch::server {

namespace v1 = techmatch::v1;

grpc::Status FeedService::WatchChanges(
    grpc::ServerContext* context, const v1::WatchChangesRequest* request,
    grpc::ServerWriter<v1::FeedEvent>* writer) {
  return auth_->Serve(
      context, "FeedService.WatchChanges", *request,
      [&](const domain::Caller& caller) {
        return RunCappedStream(
            context, max_stream_duration_, "feed", [&](const auto& done) {
              return feed_->Stream(
                  caller, request->after_sequence(), request->follow(),
                  [&](const v1::FeedEvent& event) {
                    return writer->Write(event);
                  },
                  done);
            });
      });
}

}  // namespace techmatch::server
