// The JSON form of records in import files and on the command line:
// protobuf's canonical JSON mapping, strict (an unknown field is an error,
// not silently dropped: a misspelt "budget_max_vdn" must not vanish).
#ifndef TECHMATCH_CLIENT_RECORD_JSON_H_
#define TECHMATCH_CLIENT_RECORD_JSON_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace techmatch::client {

// Parses `text` (one JSON object) into `message`. INVALID_ARGUMENT with the
// parser's reason otherwise; `message` is then unspecified.
absl::Status ParseRecordJson(absl::string_view text,
                             google::protobuf::Message* message);

}  // namespace techmatch::client

#endif  // TECHMATCH_CLIENT_RECORD_JSON_H_
