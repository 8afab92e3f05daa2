// Input rules for organisations, offers and needs: what a record must hold
// before it is stored, and its normalised form (NFC text, trimmed lines,
// canonical province, de-duplicated lists).
//
// Each function validates and normalises `record` in place. On a violation
// it returns INVALID_ARGUMENT whose message starts with the field path
// ("offer.title: ...") and leaves the record partly normalised: callers
// must not store it. Output-only fields are not examined. References to
// other records are checked for form only; the registry checks existence.
// Thread-safe.
#ifndef TECHMATCH_DOMAIN_VALIDATION_H_
#define TECHMATCH_DOMAIN_VALIDATION_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "domain/reference_data.h"
#include "google/protobuf/message.h"
#include "techmatch/v1/need.pb.h"
#include "techmatch/v1/offer.pb.h"
#include "techmatch/v1/organization.pb.h"

namespace techmatch::domain {

// Length limits, in Unicode code points unless noted. Documented in
// docs/api.md; changing one is an API change.
struct Limits {
  static constexpr size_t kNameMax = 300;         // titles, display names
  static constexpr size_t kSummaryMax = 2000;
  static constexpr size_t kDescriptionMax = 20000;
  static constexpr size_t kAdvantagesMax = 5000;
  static constexpr size_t kIpDetailsMax = 2000;
  static constexpr size_t kKeywordsMax = 30;      // count
  static constexpr size_t kKeywordMax = 100;
  static constexpr size_t kSectorCodesMax = 10;   // count
  static constexpr size_t kExternalRefMax = 200;  // bytes, printable ASCII
  static constexpr size_t kContactFieldMax = 300;
  static constexpr int64_t kMoneyMax = 1'000'000'000'000'000;  // 10^15 VND
};

absl::Status NormalizeOrganization(const ReferenceData& reference,
                                   techmatch::v1::Organization* record);
absl::Status NormalizeOffer(const ReferenceData& reference,
                            techmatch::v1::Offer* record);
absl::Status NormalizeNeed(const ReferenceData& reference,
                           techmatch::v1::Need* record);

// Validates and normalises an optional one-line label (UTF-8, no control
// characters, NFC, trimmed, at most `max` code points); INVALID_ARGUMENT
// naming `path` otherwise.
absl::Status NormalizeLabel(std::string* value, absl::string_view path,
                            size_t max);

// INVALID_ARGUMENT naming the path ("offer.price: ...", below `path`; an
// empty `path` for a whole request) when `message` or a message inside it
//  - holds fields this server's schema does not define (a client built on
//    another schema, or bytes added by hand): they would be stored and
//    echoed unchecked, past every limit above, so they are refused rather
//    than kept or silently dropped; or
//  - holds a google.protobuf.Timestamp outside 0001-01-01T00:00:00Z ..
//    9999-12-31T23:59:59.999999999Z (nanos 0 .. 999,999,999), the range
//    protobuf's JSON form can write: a later export would fail on it.
// The server applies it to every request; the registry again to each
// record it stores.
absl::Status CheckWellFormed(const google::protobuf::Message& message,
                             absl::string_view path);

// OK when `state` may be given on create or import (unset, DRAFT or
// PUBLISHED); INVALID_ARGUMENT naming `path` otherwise.
absl::Status CheckInputState(int state, absl::string_view path);

}  // namespace techmatch::domain

#endif  // TECHMATCH_DOMAIN_VALIDATION_H_
