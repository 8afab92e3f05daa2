#include "storage/resource_name.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

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
  if (name.size() <= collection.size() + 1 ||
      name.substr(0, collection.size()) != collection ||
      name[collection.size()] != '/' ||
      !absl::SimpleAtoi(name.substr(collection.size() + 1), &id) || id == 0 ||
      name.back() == ' ' || name[collection.size() + 1] == '+' ||
      name[collection.size() + 1] == ' ') {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": \"", name.substr(0, 100), "\" is not a ",
                     collection, "/{id} resource name"));
  }
  return id;
}

}  // namespace techmatch::storage
