// The deadline cap of server-streaming calls (feed, alerts): a stream ends
// when the client cancels or after a maximum duration, whatever deadline the
// client set, so that no stream holds a server thread forever.
#ifndef TECHMATCH_SERVER_CAPPED_STREAM_H_
#define TECHMATCH_SERVER_CAPPED_STREAM_H_

#include <grpcpp/grpcpp.h>

#include <functional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace techmatch::server {

// Runs `run(done)`, which streams until `done()` turns true (the client
// cancelled, or `max_duration` passed), and maps its outcome: the mapped
// error of `run`, DEADLINE_EXCEEDED naming `what` when the cap cut it
// short ("resume from the last sequence received"), else OK.
grpc::Status RunCappedStream(
    grpc::ServerContext* context, absl::Duration max_duration,
    absl::string_view what,
    const std::function<absl::Status(const std::function<bool()>& done)>& run);

}  // namespace techmatch::server

#endif  // TECHMATCH_SERVER_CAPPED_STREAM_H_
