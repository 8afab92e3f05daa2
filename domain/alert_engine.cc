#include "domain/alert_engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "base/status_macros.h"
#include "google/protobuf/util/time_util.h"
#include "storage/resource_name.h"

namespace techmatch::domain {

namespace v1 = techmatch::v1;
using storage::RecordKind;

namespace {

uint64_t IdOf(RecordKind kind, const std::string& name) {
  return storage::ParseName(kind, name, "name").value_or(0);
}

}  // namespace

absl::StatusOr<int> AlertEngine::RunOnce(size_t max_changes) {
  TM_ASSIGN_OR_RETURN(uint64_t cursor, catalog_->GetCounter(kCursor));
  TM_ASSIGN_OR_RETURN(std::vector<v1::ChangeEvent> changes,
                      catalog_->ReadChanges(cursor, max_changes));
  if (changes.empty()) return 0;
  const auto now = google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
      absl::ToUnixMicros(clock_->Now()));
  std::vector<v1::Alert> alerts;
  std::set<std::pair<uint64_t, uint64_t>>
      raised;  // (need, offer << 1 | side) in this batch
  // Raises the alert unless the pair was alerted on that side before.
  auto raise = [&](const v1::Need& need, const v1::Offer& offer,
                   v1::Alert::Kind kind, double score,
                   double threshold) -> absl::Status {
    uint64_t need_id = IdOf(RecordKind::kNeed, need.name());
    uint64_t key = IdOf(RecordKind::kOffer, offer.name()) << 1 |
                   (kind == v1::Alert::NEED_FOR_OFFER ? 1 : 0);
    if (!raised.insert({need_id, key}).second) return absl::OkStatus();
    TM_ASSIGN_OR_RETURN(
        std::optional<uint64_t> earlier,
        catalog_->FindIndexed(storage::IndexId::kAlertPair, need_id, key));
    if (earlier.has_value()) return absl::OkStatus();
    v1::Alert& alert = alerts.emplace_back();
    alert.set_kind(kind);
    alert.set_need(need.name());
    alert.set_offer(offer.name());
    alert.set_need_title(need.title());
    alert.set_offer_title(offer.title());
    alert.set_score(score);
    alert.set_threshold(threshold);
    alert.set_label(matchmaker_->LabelOf(score));
    *alert.mutable_create_time() = now;
    if (kind == v1::Alert::OFFER_FOR_NEED) {
      alert.set_recipient(need.centre().empty() ? need.enterprise()
                                                : need.centre());
    } else {
      std::string recipient = offer.owner();
      auto owner = catalog_->Get<v1::Organization>(
          IdOf(RecordKind::kOrganization, offer.owner()));
      if (owner.ok() && !owner->parent().empty()) recipient = owner->parent();
      alert.set_recipient(recipient);
    }
    return absl::OkStatus();
  };
  auto need_threshold = [&](const v1::Need& need) {
    return need.alert_threshold() > 0 ? need.alert_threshold()
                                      : options_.default_threshold;
  };

  for (const v1::ChangeEvent& change : changes) {
    const std::string& name = change.resource();
    if (absl::StartsWith(name, "offers/")) {
      auto offer = catalog_->Get<v1::Offer>(IdOf(RecordKind::kOffer, name));
      if (!offer.ok() || offer->state() != v1::PUBLISHED) continue;
      // Every candidate need is scored anyway: all come back, each then
      // held to its own threshold.
      for (auto [need_id, score] : matchmaker_->NeedCandidates(*offer, 0)) {
        auto need = catalog_->Get<v1::Need>(need_id);
        if (!need.ok() || need->state() != v1::PUBLISHED) continue;
        if (score >= need_threshold(*need)) {
          TM_RETURN_IF_ERROR(raise(*need, *offer, v1::Alert::OFFER_FOR_NEED,
                                   score, need_threshold(*need)));
        }
        // ...and the offer's side of the public needs it can serve that
        // were there before it (as when the need comes after the offer).
        if (need->confidentiality() != v1::CONFIDENTIAL &&
            score >= options_.default_threshold) {
          TM_RETURN_IF_ERROR(raise(*need, *offer, v1::Alert::NEED_FOR_OFFER,
                                   score, options_.default_threshold));
        }
      }
    } else if (absl::StartsWith(name, "needs/")) {
      auto need = catalog_->Get<v1::Need>(IdOf(RecordKind::kNeed, name));
      if (!need.ok() || need->state() != v1::PUBLISHED) continue;
      const double floor =
          std::min(need_threshold(*need), options_.default_threshold);
      for (auto [offer_id, score] :
           matchmaker_->OfferCandidates(*need, floor)) {
        auto offer = catalog_->Get<v1::Offer>(offer_id);
        if (!offer.ok() || offer->state() != v1::PUBLISHED) continue;
        // The need's side hears of offers for it at its own threshold...
        if (score >= need_threshold(*need)) {
          TM_RETURN_IF_ERROR(raise(*need, *offer, v1::Alert::OFFER_FOR_NEED,
                                   score, need_threshold(*need)));
        }
        // ...and the offer's side of public needs it can serve.
        if (need->confidentiality() != v1::CONFIDENTIAL &&
            score >= options_.default_threshold) {
          TM_RETURN_IF_ERROR(raise(*need, *offer, v1::Alert::NEED_FOR_OFFER,
                                   score, options_.default_threshold));
        }
      }
    }
  }
  TM_ASSIGN_OR_RETURN(std::vector<v1::Alert> committed,
                      catalog_->CommitAlerts(std::move(alerts), kCursor,
                                             changes.back().sequence()));
  return static_cast<int>(committed.size());
}

void AlertEngine::Start() {
  if (started_.exchange(true)) return;
  thread_ = std::thread([this] {
    // After a failure (a full disk) the engine waits twice as long each
    // time, up to kMaxBackoff, and logs each try: not every poll.
    absl::Duration wait = options_.poll;
    do {
      absl::StatusOr<int> raised;
      do {
        raised = RunOnce();
        if (!raised.ok()) {
          wait = std::min(std::max(wait * 2, options_.poll), kMaxBackoff);
          spdlog::error("alerts: {} (next try in {})",
                        raised.status().ToString(), absl::FormatDuration(wait));
          break;
        }
        if (wait != options_.poll) spdlog::info("alerts: running again");
        wait = options_.poll;
        if (*raised > 0) spdlog::info("alerts: {} raised", *raised);
      } while (!stop_.HasBeenNotified() && raised.ok() &&
               catalog_->GetCounter(kCursor).value_or(0) <
                   catalog_->last_sequence());
    } while (!stop_.WaitForNotificationWithTimeout(wait));
  });
}

void AlertEngine::Stop() {
  if (!started_.load() || stop_.HasBeenNotified()) return;
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

}  // namespace techmatch::domain
