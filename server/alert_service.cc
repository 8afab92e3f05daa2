#include "server/alert_service.h"

#include "server/capped_stream.h"
#include "server/status_mapping.h"

namespace techmatch::server {

namespace v1 = techmatch::v1;

grpc::Status AlertService::WatchAlerts(grpc::ServerContext* context,
                                       const v1::WatchAlertsRequest* request,
                                       grpc::ServerWriter<v1::Alert>* writer) {
  return auth_->Serve(
      context, "AlertService.WatchAlerts", *request,
      [&](const domain::Caller& caller) {
        return RunCappedStream(
            context, max_stream_duration_, "alert", [&](const auto& done) {
              return box_->Watch(
                  caller, request->after_sequence(), request->follow(),
                  [&](const v1::Alert& alert) { return writer->Write(alert); },
                  done);
            });
      });
}

grpc::Status AlertService::PullAlerts(grpc::ServerContext* context,
                                      const v1::PullAlertsRequest* request,
                                      v1::PullAlertsResponse* response) {
  return auth_->Serve(context, "AlertService.PullAlerts", *request,
                      [&](const domain::Caller& caller) {
                        return Reply(box_->Pull(caller, request->max_alerts()),
                                     response);
                      });
}

}  // namespace techmatch::server
