#include "storage/resource_name.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/utf8.h"

namespace techmatch::storage {

absl::string_view CollectionOf(RecordKind kind) {
  switch (kind) {
    case RecordKind::kOrganization:
      return "organizations";
    case RecordKind::kOffer:
      return "offers";
    case RecordKind::kNeed:
      return "needs";
    case RecordKind::kApiKey:
      return "apiKeys";
    case RecordKind::kConnection:
      return "connections";
  }
  return "unknown";
}

std::string MakeName(RecordKind kind, uint64_t id) {
  return absl::StrCat(CollectionOf(kind), "/", id);
}

absl::StatusOr<uint64_t> ParseName(RecordKind kind, absl::string_view name,
                                   absl::string_view field) {
  absl::string_view collection = CollectionOf(kind);
  uint64_t id = 0;
  absl::string_view digits = name.size() > collection.size() + 1
                                 ? name.substr(collection.size() + 1)
                                 : "";
  // Canonical decimal only: SimpleAtoi alone would also take "+1", " 1"
  // and "\n1" (the last found by fuzz_validators), and "01" is not a name
  // MakeName prints.
  bool canonical = !digits.empty() && digits[0] != '0' &&
                   std::all_of(digits.begin(), digits.end(),
                               [](char c) { return c >= '0' && c <= '9'; });
  if (!canonical || name.substr(0, collection.size()) != collection ||
      name[collection.size()] != '/' || !absl::SimpleAtoi(digits, &id) ||
      id == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": \"", Echo(std::string_view(name.data(), name.size()), 100),
        "\" is not a ", collection, "/{id} resource name"));
  }
  return id;
}

}  // namespace techmatch::storage
