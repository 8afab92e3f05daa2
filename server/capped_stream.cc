#include "server/capped_stream.h"

#include "absl/strings/str_cat.h"
#include "server/status_mapping.h"

namespace techmatch::server {

grpc::Status RunCappedStream(
    grpc::ServerContext* context, absl::Duration max_duration,
    absl::string_view what,
    const std::function<absl::Status(const std::function<bool()>& done)>& run) {
  const absl::Time end = absl::Now() + max_duration;
  bool timed_out = false;
  absl::Status status = run([&] {
    timed_out = absl::Now() > end;
    return timed_out || context->IsCancelled();
  });
  if (!status.ok()) return ToGrpcStatus(status);
  if (timed_out) {
    return grpc::Status(
        grpc::StatusCode::DEADLINE_EXCEEDED,
        absl::StrCat("a ", what, " stream lasts at most ",
                     absl::FormatDuration(max_duration),
                     "; resume from the last sequence received"));
  }
  return grpc::Status::OK;
}

}  // namespace techmatch::server
