#include "server/decode_errors.h"

#include <spdlog/spdlog.h>

#include <deque>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/stubs/logging.h"

namespace techmatch::server {
namespace {

namespace pb = google::protobuf;
using grpc::experimental::InterceptionHookPoints;

// The string field the last failed parse on this thread named, set by the
// log handler; taken (and cleared) by the interceptor.
thread_local std::string invalid_utf8_field;

void HandleProtobufLog(pb::LogLevel level, const char* filename, int line,
                       const std::string& message) {
  // "String field 'techmatch.v1.Offer.title' contains invalid UTF-8 data
  // when parsing a protocol buffer. ..."
  constexpr absl::string_view kPrefix = "String field '";
  if (absl::StartsWith(message, kPrefix) &&
      absl::StrContains(message, "invalid UTF-8 data when parsing")) {
    const size_t end = message.find('\'', kPrefix.size());
    if (end != std::string::npos) {
      invalid_utf8_field = message.substr(kPrefix.size(), end - kPrefix.size());
    }
    spdlog::debug("protobuf: {}", message);
    return;
  }
  switch (level) {
    case pb::LOGLEVEL_INFO:
      spdlog::info("protobuf {}:{}: {}", filename, line, message);
      break;
    case pb::LOGLEVEL_WARNING:
      spdlog::warn("protobuf {}:{}: {}", filename, line, message);
      break;
    default:
      spdlog::error("protobuf {}:{}: {}", filename, line, message);
      break;
  }
}

// "/techmatch.v1.OfferService/CreateOffer" -> its request type, or null.
const pb::Descriptor* RequestType(absl::string_view grpc_method) {
  if (!absl::ConsumePrefix(&grpc_method, "/")) return nullptr;
  const pb::MethodDescriptor* method =
      pb::DescriptorPool::generated_pool()->FindMethodByName(
          absl::StrReplaceAll(grpc_method, {{"/", "."}}));
  return method == nullptr ? nullptr : method->input_type();
}

class DecodeErrorInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit DecodeErrorInterceptor(grpc::experimental::ServerRpcInfo* info)
      : info_(info) {}

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_MESSAGE)) {
      OnReceived(methods->GetRecvMessage() != nullptr);
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS) &&
        failed_) {
      RewriteStatus(methods);
    }
    methods->Proceed();
  }

 private:
  void OnReceived(bool decoded) {
    std::string field = std::exchange(invalid_utf8_field, std::string());
    if (decoded) {
      ++messages_;
      return;
    }
    // A stream's end also arrives as "no message"; only a named field, or
    // a unary call (which always carries one), tells a failed decode.
    if (field.empty() &&
        info_->type() != grpc::experimental::ServerRpcInfo::Type::UNARY) {
      return;
    }
    if (failed_) return;
    failed_ = true;
    field_ = std::move(field);
  }

  void RewriteStatus(grpc::experimental::InterceptorBatchMethods* methods) {
    const grpc::Status sent = methods->GetSendStatus();
    const bool unary =
        info_->type() == grpc::experimental::ServerRpcInfo::Type::UNARY;
    // Unary: gRPC's own INTERNAL for the failed decode. Stream: the
    // handler saw the stream end and answered as for a half-close.
    if (unary ? sent.error_code() != grpc::StatusCode::INTERNAL : !sent.ok()) {
      return;
    }
    const pb::Descriptor* type = RequestType(info_->method());
    std::string what;
    if (!field_.empty()) {
      std::string path =
          type == nullptr ? "" : FieldPathIn(type->full_name(), field_);
      what = absl::StrCat(path.empty() ? field_ : path,
                          ": is not valid UTF-8 (string fields must hold "
                          "UTF-8 text)");
    } else {
      what =
          absl::StrCat("the request is not a valid ",
                       type == nullptr ? "protobuf message" : type->full_name(),
                       " (truncated or malformed bytes)");
    }
    if (!unary) {
      what = absl::StrCat("message ", messages_ + 1, " of the stream: ", what,
                          "; the ", messages_,
                          " before it were answered and stand");
    }
    methods->ModifySendStatus(
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, what));
  }

  grpc::experimental::ServerRpcInfo* const info_;
  bool failed_ = false;
  std::string field_;
  int64_t messages_ = 0;
};

}  // namespace

void InstallProtobufLogHandler() { pb::SetLogHandler(&HandleProtobufLog); }

std::string FieldPathIn(absl::string_view message_type,
                        absl::string_view field_full_name) {
  const pb::DescriptorPool* pool = pb::DescriptorPool::generated_pool();
  const pb::Descriptor* root =
      pool->FindMessageTypeByName(std::string(message_type));
  if (root == nullptr) return "";
  // Breadth first: the shortest path; each message type visited once.
  std::deque<std::pair<const pb::Descriptor*, std::string>> queue{{root, ""}};
  std::set<const pb::Descriptor*> seen{root};
  while (!queue.empty()) {
    auto [type, prefix] = std::move(queue.front());
    queue.pop_front();
    for (int i = 0; i < type->field_count(); ++i) {
      const pb::FieldDescriptor* field = type->field(i);
      std::string path =
          absl::StrCat(prefix, prefix.empty() ? "" : ".", field->name(),
                       field->is_repeated() ? "[]" : "");
      if (field->full_name() == field_full_name) return path;
      const pb::Descriptor* inner = field->message_type();
      if (inner != nullptr && !field->is_map() && seen.insert(inner).second) {
        queue.emplace_back(inner, std::move(path));
      }
    }
  }
  return "";
}

grpc::experimental::Interceptor*
DecodeErrorInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new DecodeErrorInterceptor(info);
}

}  // namespace techmatch::server
