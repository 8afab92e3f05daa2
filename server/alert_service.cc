#include "server/alert_service.h"

#include "absl/strings/str_cat.h"
#include "server/status_mapping.h"

namespace techmatch::server {

namespace v1 = techmatch::v1;

grpc::Status AlertService::WatchAlerts(grpc::ServerContext* context,
                                       const v1::WatchAlertsRequest* request,
                                       grpc::ServerWriter<v1::Alert>* writer) {
  return auth_->Serve(context, "AlertService.WatchAlerts", [&](const domain::Caller& caller) {
    const absl::Time end = absl::Now() + max_stream_duration_;
    bool timed_out = false;
    absl::Status status = box_->Watch(
        caller, request->after_sequence(), request->follow(),
        [&](const v1::Alert& alert) { return writer->Write(alert); },
        [&] {
          timed_out = absl::Now() > end;
          return timed_out || context->IsCancelled();
        });
    if (!status.ok()) return ToGrpcStatus(status);
    if (timed_out) {
      return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                          absl::StrCat("an alert stream lasts at most ",
                                       absl::FormatDuration(max_stream_duration_),
                                       "; resume from the last sequence received"));
    }
    return grpc::Status::OK;
  });
}

grpc::Status AlertService::PullAlerts(grpc::ServerContext* context,
                                      const v1::PullAlertsRequest* request,
                                      v1::PullAlertsResponse* response) {
  return auth_->Serve(context, "AlertService.PullAlerts", [&](const domain::Caller& caller) {
    return Reply(box_->Pull(caller, request->max_alerts()), response);
  });
}

}  // namespace techmatch::server
