#include "domain/alert_box.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "storage/resource_name.h"

namespace techmatch::domain {

namespace v1 = techmatch::v1;

std::optional<uint64_t> AlertBox::Recipient(const Caller& caller) const {
  if (caller.principal.admin()) return 0;
  auto id = storage::ParseName(storage::RecordKind::kOrganization,
                               caller.principal.organization, "organization");
  if (!id.ok()) return std::nullopt;
  return *id;
}

absl::Status AlertBox::Watch(const Caller& caller, uint64_t after_sequence,
                             bool follow,
                             const std::function<bool(const v1::Alert&)>& emit,
                             const std::function<bool()>& done,
                             absl::Duration poll) const {
  std::optional<uint64_t> recipient = Recipient(caller);
  if (!recipient.has_value()) return absl::OkStatus();
  uint64_t after = after_sequence;
  bool stopped = false;
  while (!done()) {
    TM_RETURN_IF_ERROR(
        catalog_->ScanAlerts(*recipient, after, [&](const v1::Alert& alert) {
          after = alert.sequence();
          if (!emit(alert)) stopped = true;
          return !stopped;
        }));
    if (stopped || !follow) return absl::OkStatus();
    std::this_thread::sleep_for(absl::ToChronoNanoseconds(poll));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::PullAlertsResponse> AlertBox::Pull(const Caller& caller,
                                                      int max_alerts) {
  if (max_alerts < 0)
    return absl::InvalidArgumentError("max_alerts: must not be negative");
  size_t limit = max_alerts == 0 ? kMaxPull : std::min(max_alerts, kMaxPull);
  std::string counter = absl::StrCat("alert_pull/", caller.principal.key);
  TM_ASSIGN_OR_RETURN(uint64_t cursor, catalog_->GetCounter(counter));
  v1::PullAlertsResponse response;
  response.set_previous_cursor(cursor);
  response.set_cursor(cursor);
  std::optional<uint64_t> recipient = Recipient(caller);
  if (!recipient.has_value()) return response;
  TM_RETURN_IF_ERROR(
      catalog_->ScanAlerts(*recipient, cursor, [&](const v1::Alert& alert) {
        *response.add_alerts() = alert;
        response.set_cursor(alert.sequence());
        return static_cast<size_t>(response.alerts_size()) < limit;
      }));
  if (response.cursor() != cursor) {
    TM_RETURN_IF_ERROR(catalog_->SetCounter(counter, response.cursor()));
  }
  return response;
}

}  // namespace techmatch::domain
