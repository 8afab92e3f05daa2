// gRPC front of domain::AlertBox: thin handlers.
#ifndef TECHMATCH_SERVER_ALERT_SERVICE_H_
#define TECHMATCH_SERVER_ALERT_SERVICE_H_

#include "absl/time/time.h"
#include "domain/alert_box.h"
#include "server/authenticator.h"
#include "techmatch/v1/alert.grpc.pb.h"

namespace techmatch::server {

class AlertService final : public techmatch::v1::AlertService::Service {
 public:
  // Borrowed pointers; both must outlive the service. A watch ends with
  // DEADLINE_EXCEEDED after `max_stream_duration` (resume from the last
  // sequence received).
  AlertService(domain::AlertBox* box, Authenticator* auth,
               absl::Duration max_stream_duration)
      : box_(box), auth_(auth), max_stream_duration_(max_stream_duration) {}

  grpc::Status WatchAlerts(grpc::ServerContext*,
                           const techmatch::v1::WatchAlertsRequest*,
                           grpc::ServerWriter<techmatch::v1::Alert>*) override;
  grpc::Status PullAlerts(grpc::ServerContext*,
                          const techmatch::v1::PullAlertsRequest*,
                          techmatch::v1::PullAlertsResponse*) override;

 private:
  domain::AlertBox* const box_;
  Authenticator* const auth_;
  const absl::Duration max_stream_duration_;
};

}  // namespace techmatch::server

#endif  // TECHMATCH_SERVER_ALERT_SERVICE_H_
