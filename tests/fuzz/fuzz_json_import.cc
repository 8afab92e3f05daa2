// libFuzzer target: the JSON import path. The first byte picks the record
// kind; the rest is one JSON line as `techmatch ... import` reads it. A line
// the parser accepts goes through the server's validation and, when valid,
// into the matcher's document form and text analysis, as an import would.
// Checks: validation is idempotent (a normalised record normalises to
// itself), and nothing crashes or trips a sanitizer.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "client/record_json.h"
#include "domain/matchmaker.h"
#include "domain/validation.h"
#include "google/protobuf/util/message_differencer.h"
#include "matching/analyzer.h"
#include "tests/fuzz/fuzz_reference.h"

namespace {

namespace v1 = techmatch::v1;
using techmatch::domain::ReferenceData;

using techmatch::fuzz::Check;
using techmatch::fuzz::Reference;

template <class T, class Normalize, class ToDoc>
void Run(absl::string_view json, Normalize normalize, ToDoc to_doc) {
  static const auto* analyzer = new techmatch::matching::Analyzer();
  T record;
  if (!techmatch::client::ParseRecordJson(json, &record).ok()) return;
  if (!normalize(Reference(), &record).ok()) return;
  T again = record;
  Check(normalize(Reference(), &again).ok());
  Check(google::protobuf::util::MessageDifferencer::Equals(record, again));
  auto doc = to_doc(record, Reference());
  std::vector<std::string> terms;
  analyzer->IndexTerms(doc.text.title, &terms);
  analyzer->IndexTerms(doc.text.body, &terms);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  absl::string_view json(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      Run<v1::Offer>(json, techmatch::domain::NormalizeOffer,
                     techmatch::domain::ToOfferDoc);
      break;
    case 1:
      Run<v1::Need>(json, techmatch::domain::NormalizeNeed,
                    techmatch::domain::ToNeedDoc);
      break;
    default: {
      v1::Organization org;
      if (!techmatch::client::ParseRecordJson(json, &org).ok()) break;
      if (!techmatch::domain::NormalizeOrganization(Reference(), &org).ok())
        break;
      v1::Organization again = org;
      Check(techmatch::domain::NormalizeOrganization(Reference(), &again).ok());
      Check(google::protobuf::util::MessageDifferencer::Equals(org, again));
    }
  }
  return 0;
}
