#include "domain/audit_log.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/decimal.h"
#include "base/utf8.h"
#include "google/protobuf/util/time_util.h"

namespace techmatch::domain {

using google::protobuf::util::TimeUtil;
using techmatch::v1::AuditRecord;

namespace {

// Messages in the log are kept short; a status message may quote input.
constexpr size_t kMaxDetail = 300;

constexpr size_t kMaxExaminedPerPage = 100000;

bool OutcomeMatches(const std::string& filter, const std::string& outcome) {
  if (filter.empty()) return true;
  if (filter == "DENIED") {
    return outcome == "UNAUTHENTICATED" || outcome == "PERMISSION_DENIED" ||
           outcome == "RESOURCE_EXHAUSTED";
  }
  return filter == outcome;
}

}  // namespace

AuditRecord AuditLog::Make(const Caller& caller, absl::string_view object,
                           const absl::Status& status) const {
  AuditRecord record;
  *record.mutable_time() =
      TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(clock_->Now()));
  record.set_api_key(caller.principal.key);
  record.set_organization(caller.principal.organization);
  record.set_role(caller.principal.role);
  record.set_method(caller.method);
  record.set_object(Echo(std::string_view(object.data(), object.size()), 200));
  record.set_outcome(status.ok() ? "OK"
                                 : absl::StatusCodeToString(status.code()));
  record.set_detail(std::string(status.message().substr(0, kMaxDetail)));
  record.set_peer(Echo(caller.peer, 100));
  record.set_client_certificate(Echo(caller.client_certificate, 300));
  return record;
}

void AuditLog::AppendRefusal(const Caller& caller, absl::string_view object,
                             const absl::Status& status) {
  if (!catalog_->AppendAudit({Make(caller, object, status)}).ok()) {
    append_failures_.fetch_add(1);
  }
}

absl::StatusOr<techmatch::v1::ListAuditRecordsResponse> AuditLog::List(
    const Caller& caller,
    const techmatch::v1::ListAuditRecordsRequest& request) {
  if (!caller.principal.admin()) {
    absl::Status denied =
        absl::PermissionDeniedError("only ADMIN keys read the audit log");
    AppendRefusal(caller, "", denied);
    return denied;
  }
  if (request.page_size() < 0 || request.page_size() > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: must be between 0 and ", kMaxPageSize));
  }
  size_t page_size =
      request.page_size() == 0 ? kDefaultPageSize : request.page_size();
  uint64_t before = 0;
  if (!request.page_token().empty()) {
    std::string raw;
    if (!absl::WebSafeBase64Unescape(request.page_token(), &raw) ||
        !absl::StartsWith(raw, "audit:") ||
        !ParseDecimal(absl::string_view(raw).substr(6), &before) ||
        before == 0) {
      return absl::InvalidArgumentError(
          "page_token: is not a token this server issued");
    }
  }
  int64_t since = request.has_since()
                      ? TimeUtil::TimestampToMicroseconds(request.since())
                      : INT64_MIN;
  int64_t until = request.has_until()
                      ? TimeUtil::TimestampToMicroseconds(request.until())
                      : INT64_MAX;
  techmatch::v1::ListAuditRecordsResponse response;
  size_t examined = 0;
  uint64_t resume_before = 0;
  absl::Status scan =
      catalog_->ScanAuditBackward(before, [&](const AuditRecord& r) {
        int64_t t = TimeUtil::TimestampToMicroseconds(r.time());
        if (t < since) return false;  // older records only from here on
        if (t <= until &&
            (request.api_key().empty() || r.api_key() == request.api_key()) &&
            (request.organization().empty() ||
             r.organization() == request.organization()) &&
            (request.method().empty() || r.method() == request.method()) &&
            (request.object().empty() || r.object() == request.object()) &&
            OutcomeMatches(request.outcome(), r.outcome())) {
          if (static_cast<size_t>(response.records_size()) == page_size) {
            resume_before = r.sequence() + 1;
            return false;
          }
          *response.add_records() = r;
        }
        if (++examined >= kMaxExaminedPerPage) {
          resume_before = r.sequence();
          return false;
        }
        return true;
      });
  if (!scan.ok()) return scan;
  if (resume_before != 0) {
    response.set_next_page_token(
        absl::WebSafeBase64Escape(absl::StrCat("audit:", resume_before)));
  }
  return response;
}

}  // namespace techmatch::domain
