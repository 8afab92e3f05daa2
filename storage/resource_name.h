// Resource names of the API ("organizations/7", "offers/42", "needs/3") and
// the numeric ids they carry.
#ifndef TECHMATCH_STORAGE_RESOURCE_NAME_H_
#define TECHMATCH_STORAGE_RESOURCE_NAME_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace techmatch::storage {

// The kinds of stored record. DO NOT CHANGE THESE VALUES: embedded in keys.
enum class RecordKind : uint8_t {
  kOrganization = 1,
  kOffer = 2,
  kNeed = 3,
  kApiKey = 4,
  kConnection = 5,
};

// "organizations", "offers", "needs", "apiKeys" or "connections".
absl::string_view CollectionOf(RecordKind kind);

// "offers/42" for (kOffer, 42).
std::string MakeName(RecordKind kind, uint64_t id);

// The id in `name`, which must be "<collection of kind>/<decimal id > 0>"
// in canonical form (digits only, no leading zero), as MakeName prints it.
// INVALID_ARGUMENT naming `field` otherwise.
absl::StatusOr<uint64_t> ParseName(RecordKind kind, absl::string_view name,
                                   absl::string_view field);

}  // namespace techmatch::storage

#endif  // TECHMATCH_STORAGE_RESOURCE_NAME_H_
