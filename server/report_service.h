// gRPC front of domain::Reporter: a thin handler.
#ifndef TECHMATCH_SERVER_REPORT_SERVICE_H_
#define TECHMATCH_SERVER_REPORT_SERVICE_H_

#include "domain/reporter.h"
#include "server/authenticator.h"
#include "techmatch/v1/report.grpc.pb.h"

namespace techmatch::server {

class ReportService final : public techmatch::v1::ReportService::Service {
 public:
  // Borrowed pointers; both must outlive the service.
  ReportService(const domain::Reporter* reporter, Authenticator* auth)
      : reporter_(reporter), auth_(auth) {}

  grpc::Status GetReport(grpc::ServerContext*,
                         const techmatch::v1::ReportRequest*,
                         techmatch::v1::Report*) override;

 private:
  const domain::Reporter* const reporter_;
  Authenticator* const auth_;
};

}  // namespace techmatch::server

#endif  // TECHMATCH_SERVER_REPORT_SERVICE_H_
