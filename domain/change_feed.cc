#include "domain/change_feed.h"

#include <thread>

#include "absl/strings/match.h"
#include "storage/resource_name.h"

namespace techmatch::domain {

namespace v1 = techmatch::v1;
using storage::RecordKind;

namespace {

constexpr size_t kBatch = 500;

template <class T>
absl::StatusOr<T> Read(const storage::Catalog& catalog, RecordKind kind,
                       const std::string& name) {
  auto id = storage::ParseName(kind, name, "resource");
  if (!id.ok()) return id.status();
  return catalog.Get<T>(*id);
}

}  // namespace

bool ChangeFeed::Attach(const Principal& principal, AccessCheck& check,
                        v1::FeedEvent* event) const {
  const std::string& name = event->change().resource();
  if (absl::StartsWith(name, "organizations/")) {
    auto org =
        Read<v1::Organization>(*catalog_, RecordKind::kOrganization, name);
    if (!org.ok()) return false;
    *event->mutable_organization() = *std::move(org);
    return true;
  }
  if (absl::StartsWith(name, "offers/")) {
    auto offer = Read<v1::Offer>(*catalog_, RecordKind::kOffer, name);
    if (!offer.ok() || !check.CanRead(*offer)) return false;
    *event->mutable_offer() = *std::move(offer);
    return true;
  }
  if (absl::StartsWith(name, "needs/")) {
    auto need = Read<v1::Need>(*catalog_, RecordKind::kNeed, name);
    if (!need.ok() || !check.CanRead(*need)) return false;
    *event->mutable_need() = *std::move(need);
    return true;
  }
  if (absl::StartsWith(name, "connections/")) {
    auto connection =
        Read<v1::Connection>(*catalog_, RecordKind::kConnection, name);
    if (!connection.ok() || !connections_->CanSee(principal, *connection))
      return false;
    *event->mutable_connection() = *std::move(connection);
    return true;
  }
  return false;
}

absl::Status ChangeFeed::Stream(
    const Caller& caller, uint64_t after_sequence, bool follow,
    const std::function<bool(const v1::FeedEvent&)>& emit,
    const std::function<bool()>& done, absl::Duration poll) const {
  uint64_t after = after_sequence;
  while (!done()) {
    absl::StatusOr<std::vector<v1::ChangeEvent>> changes =
        catalog_->ReadChanges(after, kBatch);
    if (!changes.ok()) return changes.status();
    // One access check per batch: it remembers organisations it has read.
    AccessCheck check = registry_->Check(&caller.principal);
    for (v1::ChangeEvent& change : *changes) {
      after = change.sequence();
      v1::FeedEvent event;
      *event.mutable_change() = std::move(change);
      if (!Attach(caller.principal, check, &event)) continue;
      if (!emit(event)) return absl::OkStatus();
    }
    if (changes->size() == kBatch) continue;
    if (!follow) return absl::OkStatus();
    std::this_thread::sleep_for(absl::ToChronoNanoseconds(poll));
  }
  return absl::OkStatus();
}

}  // namespace techmatch::domain
