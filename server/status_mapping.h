// The one place where absl::Status becomes grpc::Status. The canonical codes
// are the same set, so the mapping is one to one.
#ifndef TECHMATCH_SERVER_STATUS_MAPPING_H_
#define TECHMATCH_SERVER_STATUS_MAPPING_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace techmatch::server {

grpc::Status ToGrpcStatus(const absl::Status& status);

// Copies the value of `result` into `out` and returns OK, or returns the
// mapped error and leaves `out` untouched.
template <class T>
grpc::Status Reply(absl::StatusOr<T> result, T* out) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  *out = *std::move(result);
  return grpc::Status::OK;
}

}  // namespace techmatch::server

#endif  // TECHMATCH_SERVER_STATUS_MAPPING_H_
