// Requests gRPC cannot decode answer INVALID_ARGUMENT naming the field.
//
// gRPC decodes a request before any handler runs; when protobuf refuses
// the bytes (a proto3 string field holding invalid UTF-8, a truncated or
// malformed message) it answers INTERNAL with an empty message, which
// tells a client neither that the fault is its own nor where. The
// DecodeErrorInterceptorFactory turns that answer into INVALID_ARGUMENT
// with the request path of the field ("offer.title: is not valid UTF-8")
// or, for bytes that are no message at all, the message type expected. On
// a client stream (imports) a chunk that does not decode ends the stream;
// its status says which chunk and that the ones answered before are
// committed.
//
// Protobuf reports the field only to its log, so the server installs
// ProtobufLogHandler() (process-wide, as protobuf's log is): it forwards
// protobuf's log to spdlog and remembers, on the decoding thread, the
// field a parse found invalid; the interceptor, which runs on that thread
// right after the decode, reads it. Decode failures are the client's
// errors, so they are logged at debug level: a flood of bad requests does
// not flood the log.
#ifndef TECHMATCH_SERVER_DECODE_ERRORS_H_
#define TECHMATCH_SERVER_DECODE_ERRORS_H_

#include <grpcpp/support/server_interceptor.h>

#include <string>

#include "absl/strings/string_view.h"

namespace techmatch::server {

// Routes protobuf's log to spdlog as described above. Idempotent; call
// before serving.
void InstallProtobufLogHandler();

// The request path of the field `field_full_name` ("techmatch.v1.Offer.title")
// within `message_type` ("techmatch.v1.CreateOfferRequest"): "offer.title",
// the shortest one, with "[]" after a repeated field. Empty when either name
// is unknown or no path leads there.
std::string FieldPathIn(absl::string_view message_type,
                        absl::string_view field_full_name);

class DecodeErrorInterceptorFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;
};

}  // namespace techmatch::server

#endif  // TECHMATCH_SERVER_DECODE_ERRORS_H_
