#include "client/record_json.h"

#include <string>

#include "google/protobuf/util/json_util.h"

namespace techmatch::client {

absl::Status ParseRecordJson(absl::string_view text,
                             google::protobuf::Message* message) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(text.data(), text.size()), message,
      options);
  if (status.ok()) return absl::OkStatus();
  return absl::InvalidArgumentError(std::string(status.message()));
}

}  // namespace techmatch::client
