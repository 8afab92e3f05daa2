#include "domain/validation.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "base/utf8.h"
#include "google/protobuf/unknown_field_set.h"
#include "google/protobuf/util/time_util.h"
#include "matching/unicode_text.h"
#include "storage/resource_name.h"

namespace techmatch::domain {
namespace {

using google::protobuf::RepeatedField;
using google::protobuf::RepeatedPtrField;
using storage::RecordKind;
using techmatch::v1::Need;
using techmatch::v1::Offer;
using techmatch::v1::Organization;

absl::Status Invalid(absl::string_view path, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", reason));
}

enum class Lines { kSingle, kMulti };

// Validates UTF-8 and control characters, NFC-normalises, trims, and checks
// the length of one text field.
absl::Status NormalizeText(std::string* value, absl::string_view path,
                           size_t min, size_t max, Lines lines) {
  if (!text::IsValidUtf8(*value)) return Invalid(path, "is not valid UTF-8");
  if (text::HasControlCharacters(*value, lines == Lines::kMulti)) {
    return Invalid(path, "contains control characters");
  }
  std::string normalized = text::NormalizeNfc(*value);
  absl::string_view trimmed = absl::StripAsciiWhitespace(normalized);
  *value = std::string(trimmed);
  size_t length = text::CodePointCount(*value);
  if (length < min) {
    return Invalid(path, min == 1 ? "is required"
                                  : absl::StrCat("needs at least ", min,
                                                 " characters"));
  }
  if (length > max) {
    return Invalid(path, absl::StrCat("is longer than ", max, " characters (",
                                      length, ")"));
  }
  return absl::OkStatus();
}

absl::Status NormalizeExternalRef(std::string* ref, absl::string_view path) {
  if (ref->size() > Limits::kExternalRefMax) {
    return Invalid(path, absl::StrCat("is longer than ", Limits::kExternalRefMax,
                                      " bytes"));
  }
  for (unsigned char c : *ref) {
    if (c < 0x21 || c > 0x7E) {
      return Invalid(path, "must be printable ASCII without spaces");
    }
  }
  return absl::OkStatus();
}

absl::Status NormalizeKeywords(RepeatedPtrField<std::string>* keywords,
                               absl::string_view path) {
  if (static_cast<size_t>(keywords->size()) > Limits::kKeywordsMax) {
    return Invalid(path, absl::StrCat("has more than ", Limits::kKeywordsMax,
                                      " entries"));
  }
  std::set<std::string> seen;
  RepeatedPtrField<std::string> out;
  for (int i = 0; i < keywords->size(); ++i) {
    std::string keyword = keywords->Get(i);
    TM_RETURN_IF_ERROR(NormalizeText(&keyword, absl::StrCat(path, "[", i, "]"),
                                     1, Limits::kKeywordMax, Lines::kSingle));
    if (seen.insert(text::FoldCase(keyword)).second) *out.Add() = keyword;
  }
  keywords->Swap(&out);
  return absl::OkStatus();
}

absl::Status NormalizeSectors(const ReferenceData& reference,
                              RepeatedPtrField<std::string>* codes,
                              absl::string_view path, bool required) {
  if (required && codes->empty()) return Invalid(path, "needs at least one code");
  if (static_cast<size_t>(codes->size()) > Limits::kSectorCodesMax) {
    return Invalid(path, absl::StrCat("has more than ",
                                      Limits::kSectorCodesMax, " codes"));
  }
  std::set<std::string> seen;
  RepeatedPtrField<std::string> out;
  for (int i = 0; i < codes->size(); ++i) {
    std::string code(absl::StripAsciiWhitespace(codes->Get(i)));
    if (reference.FindSector(code) == nullptr) {
      return Invalid(absl::StrCat(path, "[", i, "]"),
                     absl::StrCat("unknown sector code \"",
                                  Echo(codes->Get(i), 40), "\""));
    }
    if (seen.insert(code).second) *out.Add() = code;
  }
  codes->Swap(&out);
  return absl::OkStatus();
}

absl::Status NormalizeProvince(const ReferenceData& reference,
                               std::string* province, std::string* name,
                               absl::string_view path, bool required) {
  if (province->empty()) {
    name->clear();
    return required ? Invalid(path, "is required") : absl::OkStatus();
  }
  const ProvinceInfo* info = reference.ResolveProvince(*province);
  if (info == nullptr) {
    return Invalid(
        path, absl::StrCat("unknown province \"", Echo(*province, 80), "\""));
  }
  *province = info->code;
  *name = info->name;
  return absl::OkStatus();
}

absl::Status NormalizeTransferModes(RepeatedField<int>* modes,
                                    absl::string_view path) {
  std::set<int> seen;
  RepeatedField<int> out;
  for (int i = 0; i < modes->size(); ++i) {
    int mode = modes->Get(i);
    if (!techmatch::v1::TransferMode_IsValid(mode) ||
        mode == techmatch::v1::TRANSFER_MODE_UNSPECIFIED) {
      return Invalid(absl::StrCat(path, "[", i, "]"),
                     absl::StrCat("unknown transfer mode ", mode));
    }
    if (seen.insert(mode).second) out.Add(mode);
  }
  std::sort(out.begin(), out.end());
  modes->Swap(&out);
  return absl::OkStatus();
}

absl::Status CheckReference(const std::string& name, absl::string_view path,
                            bool required) {
  if (name.empty()) {
    return required ? Invalid(path, "is required") : absl::OkStatus();
  }
  return storage::ParseName(RecordKind::kOrganization, name, path).status();
}

absl::Status CheckMoney(int64_t value, absl::string_view path) {
  if (value < 0) return Invalid(path, "must not be negative");
  if (value > Limits::kMoneyMax) return Invalid(path, "is implausibly large");
  return absl::OkStatus();
}

}  // namespace

absl::Status NormalizeLabel(std::string* value, absl::string_view path,
                            size_t max) {
  return NormalizeText(value, path, 0, max, Lines::kSingle);
}

absl::Status CheckWellFormed(const google::protobuf::Message& message,
                             absl::string_view path) {
  const google::protobuf::Reflection* reflection = message.GetReflection();
  const google::protobuf::Descriptor* type = message.GetDescriptor();
  const absl::string_view where = path.empty() ? "request" : path;
  if (type->full_name() == "google.protobuf.Timestamp") {
    const int64_t seconds =
        reflection->GetInt64(message, type->FindFieldByNumber(1));
    const int32_t nanos =
        reflection->GetInt32(message, type->FindFieldByNumber(2));
    using google::protobuf::util::TimeUtil;
    if (seconds < TimeUtil::kTimestampMinSeconds ||
        seconds > TimeUtil::kTimestampMaxSeconds || nanos < 0 ||
        nanos > 999'999'999) {
      return Invalid(where,
                     "must lie between 0001-01-01T00:00:00Z and "
                     "9999-12-31T23:59:59.999999999Z");
    }
  }
  const google::protobuf::UnknownFieldSet& unknown =
      reflection->GetUnknownFields(message);
  if (!unknown.empty()) {
    return Invalid(
        where,
        absl::StrCat("holds field number ", unknown.field(0).number(),
                     ", which ", message.GetDescriptor()->full_name(),
                     " does not define in this server's API; unknown fields "
                     "are refused (is the client built on another schema?)"));
  }
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const google::protobuf::FieldDescriptor* field : fields) {
    if (field->cpp_type() !=
        google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      continue;
    }
    const std::string inner =
        absl::StrCat(path, path.empty() ? "" : ".", field->name());
    if (field->is_repeated()) {
      const int n = reflection->FieldSize(message, field);
      for (int i = 0; i < n; ++i) {
        TM_RETURN_IF_ERROR(
            CheckWellFormed(reflection->GetRepeatedMessage(message, field, i),
                            absl::StrCat(inner, "[", i, "]")));
      }
    } else {
      TM_RETURN_IF_ERROR(
          CheckWellFormed(reflection->GetMessage(message, field), inner));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckInputState(int state, absl::string_view path) {
  if (state != techmatch::v1::STATE_UNSPECIFIED &&
      state != techmatch::v1::DRAFT && state != techmatch::v1::PUBLISHED) {
    return Invalid(path, "may only be DRAFT or PUBLISHED on input");
  }
  return absl::OkStatus();
}

absl::Status NormalizeOrganization(const ReferenceData& reference,
                                   Organization* r) {
  TM_RETURN_IF_ERROR(CheckWellFormed(*r, "organization"));
  TM_RETURN_IF_ERROR(NormalizeExternalRef(r->mutable_external_ref(),
                                          "organization.external_ref"));
  TM_RETURN_IF_ERROR(NormalizeText(r->mutable_display_name(),
                                   "organization.display_name", 1,
                                   Limits::kNameMax, Lines::kSingle));
  if (!Organization::Kind_IsValid(r->kind()) ||
      r->kind() == Organization::KIND_UNSPECIFIED) {
    return Invalid("organization.kind", "is required (NATIONAL_EXCHANGE, "
                   "REGIONAL_CENTRE, ENTERPRISE, UNIVERSITY, "
                   "RESEARCH_INSTITUTE or INDIVIDUAL)");
  }
  TM_RETURN_IF_ERROR(NormalizeProvince(reference, r->mutable_province(),
                                       r->mutable_province_name(),
                                       "organization.province", true));
  TM_RETURN_IF_ERROR(CheckReference(r->parent(), "organization.parent", false));
  auto* contact = r->mutable_contact();
  for (auto [field, path] :
       {std::pair{contact->mutable_person(), "organization.contact.person"},
        std::pair{contact->mutable_email(), "organization.contact.email"},
        std::pair{contact->mutable_phone(), "organization.contact.phone"},
        std::pair{contact->mutable_address(), "organization.contact.address"},
        std::pair{contact->mutable_website(), "organization.contact.website"}}) {
    TM_RETURN_IF_ERROR(NormalizeText(field, path, 0, Limits::kContactFieldMax,
                                     Lines::kSingle));
  }
  if (!contact->email().empty() &&
      (contact->email().find('@') == std::string::npos ||
       contact->email().find(' ') != std::string::npos)) {
    return Invalid("organization.contact.email", "is not an e-mail address");
  }
  if (contact->ByteSizeLong() == 0) r->clear_contact();
  return absl::OkStatus();
}

absl::Status NormalizeOffer(const ReferenceData& reference, Offer* r) {
  TM_RETURN_IF_ERROR(CheckWellFormed(*r, "offer"));
  TM_RETURN_IF_ERROR(
      NormalizeExternalRef(r->mutable_external_ref(), "offer.external_ref"));
  TM_RETURN_IF_ERROR(CheckReference(r->owner(), "offer.owner", true));
  TM_RETURN_IF_ERROR(NormalizeText(r->mutable_title(), "offer.title", 1,
                                   Limits::kNameMax, Lines::kSingle));
  TM_RETURN_IF_ERROR(NormalizeText(r->mutable_summary(), "offer.summary", 0,
                                   Limits::kSummaryMax, Lines::kMulti));
  TM_RETURN_IF_ERROR(NormalizeText(r->mutable_description(),
                                   "offer.description", 1,
                                   Limits::kDescriptionMax, Lines::kMulti));
  TM_RETURN_IF_ERROR(NormalizeText(r->mutable_advantages(), "offer.advantages",
                                   0, Limits::kAdvantagesMax, Lines::kMulti));
  TM_RETURN_IF_ERROR(NormalizeKeywords(r->mutable_keywords(), "offer.keywords"));
  TM_RETURN_IF_ERROR(NormalizeSectors(reference, r->mutable_sector_codes(),
                                      "offer.sector_codes", true));
  if (r->trl() < 1 || r->trl() > 9) {
    return Invalid("offer.trl", absl::StrCat("must be 1-9, got ", r->trl()));
  }
  if (!techmatch::v1::IpStatus_IsValid(r->ip_status())) {
    return Invalid("offer.ip_status",
                   absl::StrCat("unknown value ", r->ip_status()));
  }
  TM_RETURN_IF_ERROR(NormalizeText(r->mutable_ip_details(), "offer.ip_details",
                                   0, Limits::kIpDetailsMax, Lines::kMulti));
  TM_RETURN_IF_ERROR(
      NormalizeTransferModes(r->mutable_transfer_modes(), "offer.transfer_modes"));
  if (r->has_price()) {
    const auto& price = r->price();
    TM_RETURN_IF_ERROR(CheckMoney(price.min_vnd(), "offer.price.min_vnd"));
    TM_RETURN_IF_ERROR(CheckMoney(price.max_vnd(), "offer.price.max_vnd"));
    if (price.max_vnd() > 0 && price.min_vnd() > price.max_vnd()) {
      return Invalid("offer.price", "min_vnd must not exceed max_vnd");
    }
    if (price.ByteSizeLong() == 0) r->clear_price();
  }
  TM_RETURN_IF_ERROR(NormalizeProvince(reference, r->mutable_province(),
                                       r->mutable_province_name(),
                                       "offer.province", false));
  if (r->has_expire_time() &&
      (r->expire_time().nanos() < 0 || r->expire_time().nanos() > 999999999)) {
    return Invalid("offer.expire_time", "is not a valid timestamp");
  }
  return absl::OkStatus();
}

absl::Status NormalizeNeed(const ReferenceData& reference, Need* r) {
  TM_RETURN_IF_ERROR(CheckWellFormed(*r, "need"));
  TM_RETURN_IF_ERROR(
      NormalizeExternalRef(r->mutable_external_ref(), "need.external_ref"));
  TM_RETURN_IF_ERROR(CheckReference(r->enterprise(), "need.enterprise", true));
  TM_RETURN_IF_ERROR(CheckReference(r->centre(), "need.centre", false));
  TM_RETURN_IF_ERROR(NormalizeText(r->mutable_title(), "need.title", 1,
                                   Limits::kNameMax, Lines::kSingle));
  TM_RETURN_IF_ERROR(NormalizeText(r->mutable_description(), "need.description",
                                   1, Limits::kDescriptionMax, Lines::kMulti));
  TM_RETURN_IF_ERROR(NormalizeKeywords(r->mutable_keywords(), "need.keywords"));
  TM_RETURN_IF_ERROR(NormalizeSectors(reference, r->mutable_sector_codes(),
                                      "need.sector_codes", false));
  if (!(r->alert_threshold() >= 0 && r->alert_threshold() <= 1)) {
    return Invalid("need.alert_threshold",
                   absl::StrCat("must be 0 (the server's default) to 1, got ",
                                r->alert_threshold()));
  }
  if (r->min_trl() < 0 || r->min_trl() > 9) {
    return Invalid("need.min_trl",
                   absl::StrCat("must be 0 (none) or 1-9, got ", r->min_trl()));
  }
  if (r->has_budget_max_vnd()) {
    TM_RETURN_IF_ERROR(CheckMoney(r->budget_max_vnd(), "need.budget_max_vnd"));
  }
  TM_RETURN_IF_ERROR(NormalizeTransferModes(
      r->mutable_preferred_transfer_modes(), "need.preferred_transfer_modes"));
  TM_RETURN_IF_ERROR(NormalizeProvince(reference, r->mutable_province(),
                                       r->mutable_province_name(),
                                       "need.province", false));
  if (!techmatch::v1::Confidentiality_IsValid(r->confidentiality())) {
    return Invalid("need.confidentiality",
                   absl::StrCat("unknown value ", r->confidentiality()));
  }
  if (r->confidentiality() == techmatch::v1::CONFIDENTIALITY_UNSPECIFIED) {
    r->set_confidentiality(techmatch::v1::PUBLIC);
  }
  std::set<int> strict;
  for (int i = 0; i < r->strict_constraints_size(); ++i) {
    int c = r->strict_constraints(i);
    if (!techmatch::v1::StrictConstraint_IsValid(c) ||
        c == techmatch::v1::STRICT_CONSTRAINT_UNSPECIFIED) {
      return Invalid(absl::StrCat("need.strict_constraints[", i, "]"),
                     absl::StrCat("unknown value ", c));
    }
    strict.insert(c);
  }
  r->clear_strict_constraints();
  for (int c : strict) r->add_strict_constraints(
      static_cast<techmatch::v1::StrictConstraint>(c));
  if (r->has_deadline() &&
      (r->deadline().seconds() < 0 || r->deadline().nanos() < 0 ||
       r->deadline().nanos() > 999999999)) {
    return Invalid("need.deadline", "is not a valid timestamp");
  }
  return absl::OkStatus();
}

}  // namespace techmatch::domain
