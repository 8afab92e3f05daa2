#include "server/report_service.h"

#include "server/status_mapping.h"

namespace techmatch::server {

grpc::Status ReportService::GetReport(
    grpc::ServerContext* context, const techmatch::v1::ReportRequest* request,
    techmatch::v1::Report* response) {
  return auth_->Serve(context, "ReportService.GetReport", *request,
                      [&](const domain::Caller&) {
                        return Reply(reporter_->Build(*request), response);
                      });
}

}  // namespace techmatch::server
