#include "domain/registry.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/decimal.h"
#include "base/status_macros.h"
#include "base/utf8.h"
#include "domain/validation.h"
#include "google/protobuf/util/field_mask_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "matching/unicode_text.h"
#include "storage/key_codec.h"
#include "storage/resource_name.h"

namespace techmatch::domain {

using google::protobuf::FieldMask;
using google::protobuf::Timestamp;
using google::protobuf::util::FieldMaskUtil;
using google::protobuf::util::MessageDifferencer;
using google::protobuf::util::TimeUtil;
using storage::IndexId;
using storage::RecordKind;
using storage::RecordWrite;
using techmatch::v1::ChangeEvent;
using techmatch::v1::ImportResponse;
using techmatch::v1::ImportResult;
using techmatch::v1::Need;
using techmatch::v1::Offer;
using techmatch::v1::Organization;

namespace {

Timestamp ToProto(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

absl::Time FromProto(const Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

// Where a record's external_ref lives in the reference index.
struct RefSlot {
  std::string key;  // storage::RefKey() or storage::NeedRefKey()
  std::string ref;  // the external_ref, for messages
  const std::string& Key() const { return key; }
};

uint64_t OrgIdOr0(const std::string& name) {
  auto id = storage::ParseName(RecordKind::kOrganization, name, "");
  return id.ok() ? *id : 0;
}

}  // namespace

namespace internal {

// The writes of one commit, not yet durable, and a read view of the catalog
// with those writes applied, so that later records of an import chunk see
// earlier ones.
class PendingBatch {
 public:
  // `caller` is borrowed and must outlive the batch.
  PendingBatch(storage::Catalog* catalog, const ReferenceData* reference,
               absl::Time now, const Caller* caller)
      : catalog_(catalog),
        reference_(reference),
        now_(now),
        caller_(caller),
        access_(&caller->principal, [this](const std::string& name) {
          return Load<Organization>(OrgIdOr0(name));
        }) {}

  template <class T>
  absl::StatusOr<T> Load(uint64_t id) const {
    auto it = overlay_.find(storage::MakeName(storage::RecordTraits<T>::kKind, id));
    if (it != overlay_.end()) return std::get<T>(it->second);
    return catalog_->Get<T>(id);
  }

  // The id of the record whose external_ref is at `slot`, checked against
  // the record itself so that a reference moved earlier in the batch is not
  // reported twice.
  template <class T>
  absl::StatusOr<std::optional<uint64_t>> FindRef(const RefSlot& slot) const;

  template <class T>
  void Add(RecordWrite<T> write);

  uint64_t AllocateId(RecordKind kind) { return catalog_->AllocateId(kind); }
  const ReferenceData& reference() const { return *reference_; }
  absl::Time now() const { return now_; }
  const std::vector<storage::AnyRecordWrite>& writes() const { return writes_; }
  const Caller& caller() const { return *caller_; }
  AccessCheck& access() { return access_; }

  // Remembers that the call was refused a record it may not see: the
  // audit records this PERMISSION_DENIED while the caller hears NOT_FOUND.
  void NoteHidden(absl::Status denial) { hidden_ = std::move(denial); }
  // The denial noted for the current record, cleared by the read.
  absl::Status TakeHidden() { return std::exchange(hidden_, absl::OkStatus()); }

 private:
  storage::Catalog* catalog_;
  const ReferenceData* reference_;
  absl::Time now_;
  std::vector<storage::AnyRecordWrite> writes_;
  std::map<std::string, std::variant<Organization, Offer, Need>> overlay_;
  std::map<std::string, uint64_t> overlay_refs_;
  const Caller* caller_;
  AccessCheck access_;
  absl::Status hidden_;
};

}  // namespace internal

using internal::PendingBatch;

// ---- per-kind rules ----------------------------------------------------------

template <class T>
struct RegistryOps;

template <>
struct RegistryOps<Organization> {
  static constexpr RecordKind kKind = RecordKind::kOrganization;
  static constexpr const char* kLabel = "organization";

  static absl::Status Normalize(const ReferenceData& ref, Organization* r) {
    return NormalizeOrganization(ref, r);
  }
  static std::optional<RefSlot> Ref(const Organization& r) {
    if (r.external_ref().empty()) return std::nullopt;
    return RefSlot{
        storage::RefKey(IndexId::kOrganizationByRef, 0, r.external_ref()),
        r.external_ref()};
  }
  static absl::Status CheckReferences(const PendingBatch& batch,
                                      const Organization& r) {
    if (r.parent().empty()) return absl::OkStatus();
    if (r.parent() == r.name()) {
      return absl::InvalidArgumentError(
          "organization.parent: an organisation cannot belong to itself");
    }
    auto parent = batch.Load<Organization>(OrgIdOr0(r.parent()));
    if (absl::IsNotFound(parent.status())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "organization.parent: ", r.parent(), " does not exist"));
    }
    TM_RETURN_IF_ERROR(parent.status());
    if (!IsHub(parent->kind())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "organization.parent: ", r.parent(),
          " is not a NATIONAL_EXCHANGE or REGIONAL_CENTRE"));
    }
    return absl::OkStatus();
  }
  static absl::Status CheckImmutable(const Organization&, const Organization&) {
    return absl::OkStatus();
  }
  static const std::set<std::string>& Updatable() {
    static const auto* paths = new std::set<std::string>{
        "external_ref", "display_name", "kind", "province", "parent", "contact"};
    return *paths;
  }
  static void CopySystemFields(const Organization& from, Organization* to) {
    to->set_name(from.name());
    *to->mutable_create_time() = from.create_time();
    *to->mutable_update_time() = from.update_time();
    to->set_version(from.version());
  }
};

// Lifecycle rules shared by offers and needs.
template <class T>
struct PublishableOps {
  static void CopySystemFields(const T& from, T* to) {
    to->set_name(from.name());
    to->set_state(from.state());
    *to->mutable_create_time() = from.create_time();
    *to->mutable_update_time() = from.update_time();
    if (from.has_publish_time()) {
      *to->mutable_publish_time() = from.publish_time();
    } else {
      to->clear_publish_time();
    }
    to->set_version(from.version());
  }
};

template <>
struct RegistryOps<Offer> : PublishableOps<Offer> {
  static constexpr RecordKind kKind = RecordKind::kOffer;
  static constexpr const char* kLabel = "offer";

  static absl::Status Normalize(const ReferenceData& ref, Offer* r) {
    return NormalizeOffer(ref, r);
  }
  static std::optional<RefSlot> Ref(const Offer& r) {
    if (r.external_ref().empty()) return std::nullopt;
    return RefSlot{storage::RefKey(IndexId::kOfferByRef, OrgIdOr0(r.owner()),
                                   r.external_ref()),
                   r.external_ref()};
  }
  static absl::Status CheckReferences(const PendingBatch& batch,
                                      const Offer& r) {
    auto owner = batch.Load<Organization>(OrgIdOr0(r.owner()));
    if (absl::IsNotFound(owner.status())) {
      return absl::InvalidArgumentError(
          absl::StrCat("offer.owner: ", r.owner(), " does not exist"));
    }
    return owner.status();
  }
  static absl::Status CheckImmutable(const Offer& before, const Offer& after) {
    if (before.owner() != after.owner()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "offer.owner: the owner of ", before.name(), " cannot change"));
    }
    return absl::OkStatus();
  }
  static const std::set<std::string>& Updatable() {
    static const auto* paths = new std::set<std::string>{
        "external_ref", "title",        "summary",   "description",
        "advantages",   "keywords",     "sector_codes", "trl",
        "ip_status",    "ip_details",   "transfer_modes", "price",
        "province",     "expire_time"};
    return *paths;
  }
  // The expiry of a publication starting now: `requested` when given.
  static absl::StatusOr<Timestamp> ExpiryOnPublish(const Offer&,
                                                   const Timestamp* requested,
                                                   absl::Time now) {
    if (requested != nullptr) {
      if (FromProto(*requested) <= now) {
        return absl::InvalidArgumentError("expire_time: must be in the future");
      }
      return *requested;
    }
    return ToProto(now + Registry::kDefaultLifetime);
  }
};

template <>
struct RegistryOps<Need> : PublishableOps<Need> {
  static constexpr RecordKind kKind = RecordKind::kNeed;
  static constexpr const char* kLabel = "need";

  static absl::Status Normalize(const ReferenceData& ref, Need* r) {
    return NormalizeNeed(ref, r);
  }
  static std::optional<RefSlot> Ref(const Need& r) {
    if (r.external_ref().empty()) return std::nullopt;
    return RefSlot{storage::NeedRefKey(r), r.external_ref()};
  }
  static absl::Status CheckReferences(const PendingBatch& batch,
                                      const Need& r) {
    auto enterprise = batch.Load<Organization>(OrgIdOr0(r.enterprise()));
    if (absl::IsNotFound(enterprise.status())) {
      return absl::InvalidArgumentError(
          absl::StrCat("need.enterprise: ", r.enterprise(), " does not exist"));
    }
    TM_RETURN_IF_ERROR(enterprise.status());
    if (r.centre().empty()) return absl::OkStatus();
    auto centre = batch.Load<Organization>(OrgIdOr0(r.centre()));
    if (absl::IsNotFound(centre.status())) {
      return absl::InvalidArgumentError(
          absl::StrCat("need.centre: ", r.centre(), " does not exist"));
    }
    TM_RETURN_IF_ERROR(centre.status());
    if (!IsHub(centre->kind())) {
      return absl::InvalidArgumentError(
          absl::StrCat("need.centre: ", r.centre(),
                       " is not a REGIONAL_CENTRE or NATIONAL_EXCHANGE"));
    }
    return absl::OkStatus();
  }
  static absl::Status CheckImmutable(const Need& before, const Need& after) {
    if (before.enterprise() != after.enterprise()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "need.enterprise: the enterprise of ", before.name(),
          " cannot change"));
    }
    return absl::OkStatus();
  }
  static const std::set<std::string>& Updatable() {
    static const auto* paths =
        new std::set<std::string>{"external_ref",
                                  "centre",
                                  "title",
                                  "description",
                                  "keywords",
                                  "sector_codes",
                                  "min_trl",
                                  "budget_max_vnd",
                                  "preferred_transfer_modes",
                                  "province",
                                  "deadline",
                                  "confidentiality",
                                  "strict_constraints",
                                  "alert_threshold"};
    return *paths;
  }
  static void CopySystemFields(const Need& from, Need* to) {
    PublishableOps<Need>::CopySystemFields(from, to);
    if (from.has_expire_time()) {
      *to->mutable_expire_time() = from.expire_time();
    } else {
      to->clear_expire_time();
    }
  }
  static absl::StatusOr<Timestamp> ExpiryOnPublish(const Need& need,
                                                   const Timestamp* requested,
                                                   absl::Time now) {
    if (need.has_deadline()) {
      if (FromProto(need.deadline()) <= now) {
        return absl::FailedPreconditionError(absl::StrCat(
            need.name().empty() ? "the need" : need.name(),
            ": its deadline has passed; update need.deadline first"));
      }
      return need.deadline();
    }
    if (requested != nullptr) {
      if (FromProto(*requested) <= now) {
        return absl::InvalidArgumentError("expire_time: must be in the future");
      }
      return *requested;
    }
    return ToProto(now + Registry::kDefaultLifetime);
  }
};

// ---- pending batch -------------------------------------------------------------

namespace internal {

template <class T>
absl::StatusOr<std::optional<uint64_t>> PendingBatch::FindRef(
    const RefSlot& slot) const {
  std::optional<uint64_t> candidate;
  auto it = overlay_refs_.find(slot.Key());
  if (it != overlay_refs_.end()) {
    candidate = it->second;
  } else {
    TM_ASSIGN_OR_RETURN(candidate, catalog_->FindByRefKey(slot.Key()));
  }
  if (!candidate.has_value()) return std::nullopt;
  TM_ASSIGN_OR_RETURN(T record, Load<T>(*candidate));
  std::optional<RefSlot> now_at = RegistryOps<T>::Ref(record);
  if (!now_at.has_value() || now_at->Key() != slot.Key()) return std::nullopt;
  return candidate;
}

template <class T>
void PendingBatch::Add(RecordWrite<T> write) {
  if (auto slot = RegistryOps<T>::Ref(write.after)) {
    auto id = storage::ParseName(RegistryOps<T>::kKind, write.after.name(), "");
    if (id.ok()) overlay_refs_[slot->Key()] = *id;
  }
  if constexpr (std::is_same_v<T, Organization>) {
    access_.Forget(write.after.name());
  }
  overlay_[write.after.name()] = write.after;
  writes_.push_back(std::move(write));
}

}  // namespace internal

// ---- generic operations ----------------------------------------------------------

namespace {

absl::Status StaleVersion(const std::string& name, int64_t stored,
                          int64_t requested) {
  return absl::AbortedError(absl::StrCat(
      name, " is at version ", stored, ", the request names version ",
      requested, "; read it again and retry"));
}

template <class T>
absl::Status CheckRefFree(PendingBatch& batch, const T& record) {
  std::optional<RefSlot> slot = RegistryOps<T>::Ref(record);
  if (!slot.has_value()) return absl::OkStatus();
  TM_ASSIGN_OR_RETURN(std::optional<uint64_t> holder, batch.FindRef<T>(*slot));
  if (holder.has_value() &&
      storage::MakeName(RegistryOps<T>::kKind, *holder) != record.name()) {
    if constexpr (!std::is_same_v<T, Organization>) {
      // The slot's scope makes every holder readable by whoever may write
      // there; should that ever not hold, the answer names nothing.
      TM_ASSIGN_OR_RETURN(T held, batch.Load<T>(*holder));
      if (!batch.access().CanRead(held)) {
        return absl::AlreadyExistsError(absl::StrCat(
            RegistryOps<T>::kLabel, ".external_ref: is already in use"));
      }
    }
    return absl::AlreadyExistsError(absl::StrCat(
        RegistryOps<T>::kLabel, ".external_ref: \"", slot->ref,
        "\" is already used by ",
        storage::MakeName(RegistryOps<T>::kKind, *holder)));
  }
  return absl::OkStatus();
}

// Moves `record` to PUBLISHED at `now`.
template <class T>
absl::Status ApplyPublish(T* record, const Timestamp* requested_expiry,
                          absl::Time now) {
  TM_ASSIGN_OR_RETURN(Timestamp expiry, RegistryOps<T>::ExpiryOnPublish(
                                            *record, requested_expiry, now));
  record->set_state(techmatch::v1::PUBLISHED);
  *record->mutable_publish_time() = ToProto(now);
  *record->mutable_expire_time() = expiry;
  return absl::OkStatus();
}

// PERMISSION_DENIED unless the caller may turn `before` (null on create)
// into `after`: both in reach, and for organisations no new hub kind.
template <class T>
absl::Status CheckAccess(PendingBatch& batch, const T* before, const T& after) {
  if constexpr (std::is_same_v<T, Organization>) {
    TM_RETURN_IF_ERROR(batch.access().CheckKind(before, after));
  }
  if (before != nullptr) {
    TM_RETURN_IF_ERROR(
        batch.access().CheckReach(*before, RegistryOps<T>::kLabel));
  }
  return batch.access().CheckReach(after, RegistryOps<T>::kLabel);
}

// Whether the caller may read `record` at all.
template <class T>
bool Visible(AccessCheck& access, const T& record) {
  if constexpr (std::is_same_v<T, Organization>) {
    return true;
  } else {
    return access.CanRead(record);
  }
}

// The NOT_FOUND a caller hears for a record it may not see: the same words
// as for a missing one.
absl::Status Hidden(absl::string_view name) {
  return absl::NotFoundError(absl::StrCat(name, " does not exist"));
}

template <class T>
absl::StatusOr<T> CreateIn(PendingBatch& batch, T record) {
  using Ops = RegistryOps<T>;
  if constexpr (!std::is_same_v<T, Organization>) {
    TM_RETURN_IF_ERROR(CheckInputState(record.state(),
                                       absl::StrCat(Ops::kLabel, ".state")));
  }
  TM_RETURN_IF_ERROR(Ops::Normalize(batch.reference(), &record));
  TM_RETURN_IF_ERROR(Ops::CheckReferences(batch, record));
  TM_RETURN_IF_ERROR(
      CheckAccess(batch, static_cast<const T*>(nullptr), record));
  TM_RETURN_IF_ERROR(CheckRefFree(batch, record));
  bool publish = false;
  const Timestamp* requested_expiry = nullptr;
  Timestamp expiry_copy;
  if constexpr (!std::is_same_v<T, Organization>) {
    publish = record.state() == techmatch::v1::PUBLISHED;
    if (record.has_expire_time()) {
      expiry_copy = record.expire_time();
      requested_expiry = &expiry_copy;
    }
    record.clear_expire_time();
    record.clear_publish_time();
    record.set_state(techmatch::v1::DRAFT);
  }
  record.set_name(storage::MakeName(Ops::kKind, batch.AllocateId(Ops::kKind)));
  *record.mutable_create_time() = ToProto(batch.now());
  *record.mutable_update_time() = ToProto(batch.now());
  record.set_version(1);
  if constexpr (!std::is_same_v<T, Organization>) {
    if (publish) {
      TM_RETURN_IF_ERROR(ApplyPublish(&record, requested_expiry, batch.now()));
    }
  }
  batch.Add(RecordWrite<T>{std::nullopt, record, ChangeEvent::CREATED});
  return record;
}

// The stored record a change names, if the caller may see it (NOT_FOUND
// otherwise, with the denial noted for the audit) and may change it.
template <class T>
absl::StatusOr<T> LoadForChange(PendingBatch& batch, absl::string_view name,
                                absl::string_view field) {
  TM_ASSIGN_OR_RETURN(uint64_t id,
                      storage::ParseName(RegistryOps<T>::kKind, name, field));
  TM_ASSIGN_OR_RETURN(T current, batch.Load<T>(id));
  if (!Visible(batch.access(), current)) {
    batch.NoteHidden(NotVisible(batch.caller().principal, current.name()));
    return Hidden(current.name());
  }
  TM_RETURN_IF_ERROR(
      batch.access().CheckReach(current, RegistryOps<T>::kLabel));
  return current;
}

// The update mask to apply: the request's, checked against the updatable
// paths, or every populated updatable field when empty.
template <class T>
absl::StatusOr<FieldMask> EffectiveMask(const T& patch, const FieldMask& mask) {
  using Ops = RegistryOps<T>;
  FieldMask out;
  if (mask.paths_size() == 0) {
    const auto* descriptor = T::descriptor();
    const auto* reflection = T::GetReflection();
    for (const std::string& path : Ops::Updatable()) {
      const auto* field = descriptor->FindFieldByName(path);
      bool populated = field->is_repeated() ? reflection->FieldSize(patch, field) > 0
                                            : reflection->HasField(patch, field);
      if (populated) out.add_paths(path);
    }
    if (out.paths_size() == 0) {
      return absl::InvalidArgumentError(
          "update_mask: empty, and the request sets no updatable field");
    }
    return out;
  }
  for (const std::string& path : mask.paths()) {
    std::string top(path.substr(0, path.find('.')));
    if (!Ops::Updatable().count(top)) {
      return absl::InvalidArgumentError(
          absl::StrCat("update_mask: \"", Echo(path, 80),
                       "\" is not an updatable ", Ops::kLabel, " field"));
    }
  }
  if (!FieldMaskUtil::IsValidFieldMask<T>(mask)) {
    return absl::InvalidArgumentError(
        absl::StrCat("update_mask: names a field ", Ops::kLabel, " lacks"));
  }
  return mask;
}

// Validates `next`, the proposed new content of `current`, and adds it to
// the batch unless it equals `current`. Returns the stored result.
template <class T>
absl::StatusOr<T> ReplaceIn(PendingBatch& batch, const T& current, T next,
                            ChangeEvent::Type type, bool* changed) {
  using Ops = RegistryOps<T>;
  TM_RETURN_IF_ERROR(Ops::Normalize(batch.reference(), &next));
  TM_RETURN_IF_ERROR(Ops::CheckImmutable(current, next));
  TM_RETURN_IF_ERROR(Ops::CheckReferences(batch, next));
  TM_RETURN_IF_ERROR(CheckAccess(batch, &current, next));
  TM_RETURN_IF_ERROR(CheckRefFree(batch, next));
  if (MessageDifferencer::Equals(current, next)) {
    *changed = false;
    return current;
  }
  *changed = true;
  next.set_version(current.version() + 1);
  *next.mutable_update_time() = ToProto(batch.now());
  batch.Add(RecordWrite<T>{current, next, type});
  return next;
}

template <class T>
absl::StatusOr<T> UpdateIn(PendingBatch& batch, const T& patch,
                           const FieldMask& mask) {
  using Ops = RegistryOps<T>;
  // The merge below copies masked fields only; a patch holding unknown
  // fields is refused all the same, as on create.
  TM_RETURN_IF_ERROR(CheckWellFormed(patch, Ops::kLabel));
  TM_ASSIGN_OR_RETURN(T current,
                      LoadForChange<T>(batch, patch.name(),
                                       absl::StrCat(Ops::kLabel, ".name")));
  if (patch.version() != 0 && patch.version() != current.version()) {
    return StaleVersion(current.name(), current.version(), patch.version());
  }
  TM_ASSIGN_OR_RETURN(FieldMask effective, EffectiveMask(patch, mask));
  T next = current;
  FieldMaskUtil::MergeOptions options;
  options.set_replace_message_fields(true);
  options.set_replace_repeated_fields(true);
  FieldMaskUtil::MergeMessageTo(patch, effective, options, &next);
  if constexpr (!std::is_same_v<T, Organization>) {
    if (next.state() == techmatch::v1::PUBLISHED && next.has_expire_time() &&
        FromProto(next.expire_time()) <= batch.now()) {
      return absl::InvalidArgumentError(
          absl::StrCat(Ops::kLabel, ".expire_time: must be in the future"));
    }
  }
  bool changed = false;
  return ReplaceIn(batch, current, std::move(next), ChangeEvent::UPDATED,
                   &changed);
}

template <class T>
absl::StatusOr<std::pair<T, ImportResult::Outcome>> UpsertIn(PendingBatch& batch,
                                                            T input) {
  using Ops = RegistryOps<T>;
  if (input.external_ref().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Ops::kLabel, ".external_ref: is required for an upsert"));
  }
  if constexpr (!std::is_same_v<T, Organization>) {
    TM_RETURN_IF_ERROR(CheckInputState(input.state(),
                                       absl::StrCat(Ops::kLabel, ".state")));
  }
  // Normalise first so that the lookup uses the canonical scope.
  TM_RETURN_IF_ERROR(Ops::Normalize(batch.reference(), &input));
  if constexpr (!std::is_same_v<T, Organization>) {
    // Only a caller that may write such a record looks its ref up: every
    // record at that slot is then one it can read (the slot is the owner,
    // or the need's centre and enterprise), so no answer below names a
    // record hidden from it. Organisations are public.
    TM_RETURN_IF_ERROR(batch.access().CheckReach(input, Ops::kLabel));
  }
  std::optional<RefSlot> slot = Ops::Ref(input);
  TM_ASSIGN_OR_RETURN(std::optional<uint64_t> existing,
                      batch.FindRef<T>(*slot));
  if (!existing.has_value()) {
    input.clear_name();
    TM_ASSIGN_OR_RETURN(T created, CreateIn(batch, std::move(input)));
    return std::pair{created, ImportResult::CREATED};
  }
  TM_ASSIGN_OR_RETURN(T current, batch.Load<T>(*existing));
  if (!batch.access().InReach(current)) {
    return OutOfReach(
        batch.caller().principal,
        absl::StrCat(current.name(), ", which holds ", Ops::kLabel,
                     ".external_ref \"", input.external_ref(), "\""));
  }
  if (input.version() != 0 && input.version() != current.version()) {
    return StaleVersion(current.name(), current.version(), input.version());
  }
  T next = input;
  bool publish = false;
  if constexpr (!std::is_same_v<T, Organization>) {
    publish = input.state() == techmatch::v1::PUBLISHED &&
              current.state() != techmatch::v1::PUBLISHED;
    Timestamp requested;
    bool has_requested = next.has_expire_time();
    if (has_requested) requested = next.expire_time();
    Ops::CopySystemFields(current, &next);
    if constexpr (std::is_same_v<T, Offer>) {
      if (!has_requested) {
        if (current.has_expire_time()) {
          *next.mutable_expire_time() = current.expire_time();
        } else {
          next.clear_expire_time();
        }
      }
    }
    if (publish) {
      TM_RETURN_IF_ERROR(ApplyPublish(&next, has_requested ? &requested : nullptr,
                                      batch.now()));
    }
  } else {
    Ops::CopySystemFields(current, &next);
  }
  bool changed = false;
  TM_ASSIGN_OR_RETURN(
      T stored, ReplaceIn(batch, current, std::move(next),
                          publish ? ChangeEvent::PUBLISHED : ChangeEvent::UPDATED,
                          &changed));
  return std::pair{stored,
                   changed ? ImportResult::UPDATED : ImportResult::UNCHANGED};
}

template <class T>
absl::StatusOr<T> PublishIn(PendingBatch& batch,
                            const techmatch::v1::PublishRequest& request) {
  TM_ASSIGN_OR_RETURN(T current,
                      LoadForChange<T>(batch, request.name(), "name"));
  if (request.version() != 0 && request.version() != current.version()) {
    return StaleVersion(current.name(), current.version(), request.version());
  }
  if (current.state() == techmatch::v1::PUBLISHED) return current;
  T next = current;
  TM_RETURN_IF_ERROR(ApplyPublish(
      &next, request.has_expire_time() ? &request.expire_time() : nullptr,
      batch.now()));
  next.set_version(current.version() + 1);
  *next.mutable_update_time() = ToProto(batch.now());
  batch.Add(RecordWrite<T>{current, next, ChangeEvent::PUBLISHED});
  return next;
}

template <class T>
absl::StatusOr<T> WithdrawIn(PendingBatch& batch,
                             const techmatch::v1::WithdrawRequest& request) {
  TM_ASSIGN_OR_RETURN(T current,
                      LoadForChange<T>(batch, request.name(), "name"));
  if (request.version() != 0 && request.version() != current.version()) {
    return StaleVersion(current.name(), current.version(), request.version());
  }
  if (current.state() == techmatch::v1::WITHDRAWN) return current;
  T next = current;
  next.set_state(techmatch::v1::WITHDRAWN);
  next.set_version(current.version() + 1);
  *next.mutable_update_time() = ToProto(batch.now());
  batch.Add(RecordWrite<T>{current, next, ChangeEvent::WITHDRAWN});
  return next;
}

// ---- listing ---------------------------------------------------------------------

// How many records one List call examines at most before it returns a
// partial page with a token; bounds the latency of very selective filters.
constexpr size_t kMaxExaminedPerPage = 100000;

uint64_t Fnv1a(absl::string_view bytes) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// The fingerprint of a List request's filters: a page token is only valid
// with the filters it was issued for.
template <class Request>
uint64_t FilterFingerprint(const Request& request) {
  Request copy = request;
  copy.clear_page_size();
  copy.clear_page_token();
  std::string bytes;
  google::protobuf::io::StringOutputStream stream(&bytes);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  copy.SerializeToCodedStream(&coded);
  coded.Trim();
  return Fnv1a(bytes);
}

std::string EncodePageToken(uint64_t after_id, uint64_t fingerprint) {
  return absl::WebSafeBase64Escape(
      absl::StrCat("v1:", after_id, ":", fingerprint));
}

absl::StatusOr<uint64_t> DecodePageToken(const std::string& token,
                                         uint64_t fingerprint) {
  if (token.empty()) return 0;
  std::string raw;
  std::vector<absl::string_view> parts;
  uint64_t after = 0, issued_for = 0;
  if (!absl::WebSafeBase64Unescape(token, &raw) ||
      (parts = absl::StrSplit(raw, ':')).size() != 3 || parts[0] != "v1" ||
      !ParseDecimal(parts[1], &after) || !ParseDecimal(parts[2], &issued_for)) {
    return absl::InvalidArgumentError("page_token: is not a token this server issued");
  }
  if (issued_for != fingerprint) {
    return absl::InvalidArgumentError(
        "page_token: was issued for other filters; restart without a token");
  }
  return after;
}

absl::StatusOr<size_t> PageSize(int requested) {
  if (requested < 0) {
    return absl::InvalidArgumentError("page_size: must not be negative");
  }
  if (requested == 0) return Registry::kDefaultPageSize;
  return std::min(requested, Registry::kMaxPageSize);
}

struct IndexChoice {
  IndexId index;
  uint64_t scope;
};

template <class T, class Request, class Items>
absl::StatusOr<std::string> ListInto(const storage::Catalog& catalog,
                                     const Request& request,
                                     std::optional<IndexChoice> index,
                                     const std::function<bool(const T&)>& match,
                                     Items* items) {
  TM_ASSIGN_OR_RETURN(size_t page_size, PageSize(request.page_size()));
  uint64_t fingerprint = FilterFingerprint(request);
  TM_ASSIGN_OR_RETURN(uint64_t after,
                      DecodePageToken(request.page_token(), fingerprint));
  size_t examined = 0;
  uint64_t resume_after = 0;
  uint64_t last_id = after;
  absl::Status load_status;
  auto consider = [&](const T& record, uint64_t id) {
    if (match(record)) {
      if (static_cast<size_t>(items->size()) == page_size) {
        resume_after = last_id;
        return false;
      }
      *items->Add() = record;
    }
    last_id = id;
    if (++examined >= kMaxExaminedPerPage) {
      resume_after = id;
      return false;
    }
    return true;
  };
  if (index.has_value()) {
    TM_RETURN_IF_ERROR(catalog.ScanIndex(
        index->index, index->scope, after, [&](uint64_t id) {
          absl::StatusOr<T> record = catalog.Get<T>(id);
          if (!record.ok()) {
            load_status = record.status();
            return false;
          }
          return consider(*record, id);
        }));
  } else {
    TM_RETURN_IF_ERROR(catalog.Scan<T>(after, [&](const T& record) {
      uint64_t id =
          storage::ParseName(RegistryOps<T>::kKind, record.name(), "").value_or(0);
      return consider(record, id);
    }));
  }
  TM_RETURN_IF_ERROR(load_status);
  return resume_after == 0 ? std::string()
                           : EncodePageToken(resume_after, fingerprint);
}

absl::StatusOr<std::string> ProvinceFilter(const ReferenceData& reference,
                                           const std::string& text) {
  if (text.empty()) return std::string();
  const ProvinceInfo* info = reference.ResolveProvince(text);
  if (info == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("province: unknown province \"", Echo(text, 80), "\""));
  }
  return info->code;
}

absl::Status SectorFilterValid(const ReferenceData& reference,
                               const std::string& code) {
  if (!code.empty() && reference.FindSector(code) == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "sector_code: unknown sector code \"", Echo(code, 40), "\""));
  }
  return absl::OkStatus();
}

bool SectorMatches(const google::protobuf::RepeatedPtrField<std::string>& codes,
                   const std::string& filter) {
  if (filter.empty()) return true;
  for (const std::string& code : codes) {
    if (code.compare(0, filter.size(), filter) == 0) return true;
  }
  return false;
}

bool UpdatedSince(const Timestamp& update_time, const Timestamp* since) {
  return since == nullptr || FromProto(update_time) >= FromProto(*since);
}

absl::StatusOr<uint64_t> OptionalOrgFilter(const std::string& name,
                                           absl::string_view field) {
  if (name.empty()) return 0;
  return storage::ParseName(RecordKind::kOrganization, name, field);
}

absl::Status StateFilterValid(int state) {
  if (!techmatch::v1::State_IsValid(state)) {
    return absl::InvalidArgumentError(absl::StrCat("state: unknown value ", state));
  }
  return absl::OkStatus();
}

ImportResult Rejected(int64_t index, const std::string& external_ref,
                      const absl::Status& status) {
  ImportResult result;
  result.set_index(index);
  result.set_external_ref(external_ref);
  result.set_outcome(ImportResult::REJECTED);
  result.set_error_code(absl::StatusCodeToString(status.code()));
  result.set_error_message(std::string(status.message()));
  return result;
}

}  // namespace

// ---- Registry ------------------------------------------------------------------

Registry::Registry(storage::Catalog* catalog, const ReferenceData* reference,
                   AuditLog* audit, Clock* clock)
    : catalog_(catalog), reference_(reference), audit_(audit), clock_(clock) {}

AccessCheck Registry::Check(const Principal* principal) const {
  return AccessCheck(principal, [this](const std::string& name) {
    return catalog_->Get<Organization>(OrgIdOr0(name));
  });
}

namespace {

// The record a mutation's result names, for its audit record.
const std::string& ResultName(const Organization& r) { return r.name(); }
const std::string& ResultName(const Offer& r) { return r.name(); }
const std::string& ResultName(const Need& r) { return r.name(); }
const std::string& ResultName(
    const techmatch::v1::UpsertOrganizationResponse& r) {
  return r.organization().name();
}
const std::string& ResultName(const techmatch::v1::UpsertOfferResponse& r) {
  return r.offer().name();
}
const std::string& ResultName(const techmatch::v1::UpsertNeedResponse& r) {
  return r.need().name();
}

}  // namespace

template <class T>
absl::StatusOr<T> Registry::ReadFor(const Caller& caller,
                                    absl::string_view name) const {
  TM_ASSIGN_OR_RETURN(uint64_t id,
                      storage::ParseName(RegistryOps<T>::kKind, name, "name"));
  TM_ASSIGN_OR_RETURN(T record, catalog_->Get<T>(id));
  AccessCheck check = Check(&caller.principal);
  if (!Visible(check, record)) {
    audit_->AppendRefusal(caller, record.name(),
                          NotVisible(caller.principal, record.name()));
    return Hidden(record.name());
  }
  return record;
}

void Registry::AddObserver(CommitObserver* observer) {
  std::lock_guard<std::mutex> lock(write_mu_);
  observers_.push_back(observer);
}

absl::Status Registry::CommitBatch(
    PendingBatch& batch, std::vector<techmatch::v1::AuditRecord> audit) {
  if (batch.writes().empty()) return catalog_->AppendAudit(std::move(audit));
  storage::CommitExtras extras;
  extras.audit = std::move(audit);
  TM_ASSIGN_OR_RETURN(
      std::vector<ChangeEvent> events,
      catalog_->Commit(batch.writes(), batch.now(), std::move(extras)));
  if (observers_.empty()) return absl::OkStatus();
  std::vector<CommittedChange> changes;
  changes.reserve(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    CommittedChange& change = changes.emplace_back();
    change.event = std::move(events[i]);
    std::visit([&](const auto& write) { change.record = write.after; },
               batch.writes()[i]);
  }
  for (CommitObserver* observer : observers_) observer->OnCommitted(changes);
  return absl::OkStatus();
}

template <class Result, class Op>
absl::StatusOr<Result> Registry::Mutate(const Caller& caller,
                                        absl::string_view object, Op op) {
  std::lock_guard<std::mutex> lock(write_mu_);
  PendingBatch batch(catalog_, reference_, clock_->Now(), &caller);
  absl::Status role = batch.access().CheckRoleWrites();
  absl::StatusOr<Result> result =
      role.ok() ? op(batch) : absl::StatusOr<Result>(role);
  if (!result.ok()) {
    absl::Status hidden = batch.TakeHidden();
    audit_->AppendRefusal(caller, object,
                          hidden.ok() ? result.status() : hidden);
    return result;
  }
  absl::Status commit = CommitBatch(
      batch, {audit_->Make(caller, ResultName(*result), absl::OkStatus())});
  if (!commit.ok()) {
    audit_->AppendRefusal(caller, object, commit);
    return commit;
  }
  return result;
}

template <class T, class Records>
ImportResponse Registry::Import(const Caller& caller, const Records& records,
                                int64_t first_index) {
  ImportResponse response;
  std::lock_guard<std::mutex> lock(write_mu_);
  PendingBatch batch(catalog_, reference_, clock_->Now(), &caller);
  const absl::Status role = batch.access().CheckRoleWrites();
  std::vector<int> written;  // result slots whose record is in the batch
  std::vector<techmatch::v1::AuditRecord> audit;
  for (int i = 0; i < records.size(); ++i) {
    const T& record = records.Get(i);
    int64_t index = first_index + i;
    size_t writes_before = batch.writes().size();
    absl::StatusOr<std::pair<T, ImportResult::Outcome>> outcome;
    if (!role.ok()) {
      outcome = role;
    } else if (record.external_ref().empty()) {
      T input = record;
      input.clear_name();
      auto created = CreateIn(batch, std::move(input));
      if (created.ok()) {
        outcome = std::pair{*std::move(created), ImportResult::CREATED};
      } else {
        outcome = created.status();
      }
    } else {
      outcome = UpsertIn(batch, record);
    }
    if (!outcome.ok()) {
      *response.add_results() =
          Rejected(index, record.external_ref(), outcome.status());
      absl::Status hidden = batch.TakeHidden();
      audit.push_back(audit_->Make(caller, record.external_ref(),
                                   hidden.ok() ? outcome.status() : hidden));
      continue;
    }
    audit.push_back(
        audit_->Make(caller, outcome->first.name(), absl::OkStatus()));
    ImportResult* result = response.add_results();
    result->set_index(index);
    result->set_external_ref(outcome->first.external_ref());
    result->set_outcome(outcome->second);
    result->set_name(outcome->first.name());
    if (batch.writes().size() > writes_before) written.push_back(i);
  }
  absl::Status commit = CommitBatch(batch, audit);
  if (!commit.ok()) {
    for (int slot : written) {
      ImportResult* result = response.mutable_results(slot);
      *result = Rejected(result->index(), result->external_ref(), commit);
      audit_->AppendRefusal(caller, result->external_ref(), commit);
    }
  }
  return response;
}

// organisations

absl::StatusOr<Organization> Registry::CreateOrganization(
    const Caller& caller,
    const techmatch::v1::CreateOrganizationRequest& request) {
  return Mutate<Organization>(caller, "", [&](PendingBatch& batch) {
    Organization input = request.organization();
    input.clear_name();
    return CreateIn(batch, std::move(input));
  });
}

absl::StatusOr<Organization> Registry::GetOrganization(
    const Caller& caller, absl::string_view name) const {
  return ReadFor<Organization>(caller, name);
}

absl::StatusOr<Organization> Registry::UpdateOrganization(
    const Caller& caller,
    const techmatch::v1::UpdateOrganizationRequest& request) {
  return Mutate<Organization>(
      caller, request.organization().name(), [&](PendingBatch& batch) {
        return UpdateIn(batch, request.organization(), request.update_mask());
      });
}

absl::StatusOr<techmatch::v1::UpsertOrganizationResponse>
Registry::UpsertOrganization(
    const Caller& caller,
    const techmatch::v1::UpsertOrganizationRequest& request) {
  using Response = techmatch::v1::UpsertOrganizationResponse;
  return Mutate<Response>(
      caller, request.organization().external_ref(),
      [&](PendingBatch& batch) -> absl::StatusOr<Response> {
        TM_ASSIGN_OR_RETURN(auto outcome,
                            UpsertIn(batch, request.organization()));
        Response response;
        *response.mutable_organization() = std::move(outcome.first);
        response.set_outcome(outcome.second);
        return response;
      });
}

absl::StatusOr<techmatch::v1::ListOrganizationsResponse>
Registry::ListOrganizations(
    const Caller& /*caller: every organisation is public*/,
    const techmatch::v1::ListOrganizationsRequest& request) const {
  TM_ASSIGN_OR_RETURN(std::string province,
                      ProvinceFilter(*reference_, request.province()));
  TM_ASSIGN_OR_RETURN(uint64_t parent,
                      OptionalOrgFilter(request.parent(), "parent"));
  if (!Organization::Kind_IsValid(request.kind())) {
    return absl::InvalidArgumentError("kind: unknown value");
  }
  const Timestamp* since =
      request.has_updated_since() ? &request.updated_since() : nullptr;
  std::optional<IndexChoice> index;
  if (parent != 0) index = IndexChoice{IndexId::kOrganizationByParent, parent};
  techmatch::v1::ListOrganizationsResponse response;
  TM_ASSIGN_OR_RETURN(
      *response.mutable_next_page_token(),
      ListInto<Organization>(
          *catalog_, request, index,
          [&](const Organization& r) {
            return (request.kind() == Organization::KIND_UNSPECIFIED ||
                    r.kind() == request.kind()) &&
                   (province.empty() || r.province() == province) &&
                   UpdatedSince(r.update_time(), since);
          },
          response.mutable_organizations()));
  return response;
}

ImportResponse Registry::ImportOrganizations(
    const Caller& caller,
    const techmatch::v1::ImportOrganizationsRequest& request,
    int64_t first_index) {
  return Import<Organization>(caller, request.organizations(), first_index);
}

// offers

absl::StatusOr<Offer> Registry::CreateOffer(
    const Caller& caller, const techmatch::v1::CreateOfferRequest& request) {
  return Mutate<Offer>(caller, "", [&](PendingBatch& batch) {
    Offer input = request.offer();
    input.clear_name();
    return CreateIn(batch, std::move(input));
  });
}

absl::StatusOr<Offer> Registry::GetOffer(const Caller& caller,
                                         absl::string_view name) const {
  return ReadFor<Offer>(caller, name);
}

absl::StatusOr<Offer> Registry::UpdateOffer(
    const Caller& caller, const techmatch::v1::UpdateOfferRequest& request) {
  return Mutate<Offer>(
      caller, request.offer().name(), [&](PendingBatch& batch) {
        return UpdateIn(batch, request.offer(), request.update_mask());
      });
}

absl::StatusOr<techmatch::v1::UpsertOfferResponse> Registry::UpsertOffer(
    const Caller& caller, const techmatch::v1::UpsertOfferRequest& request) {
  using Response = techmatch::v1::UpsertOfferResponse;
  return Mutate<Response>(
      caller, request.offer().external_ref(),
      [&](PendingBatch& batch) -> absl::StatusOr<Response> {
        TM_ASSIGN_OR_RETURN(auto outcome, UpsertIn(batch, request.offer()));
        Response response;
        *response.mutable_offer() = std::move(outcome.first);
        response.set_outcome(outcome.second);
        return response;
      });
}

absl::StatusOr<Offer> Registry::PublishOffer(
    const Caller& caller, const techmatch::v1::PublishRequest& request) {
  return Mutate<Offer>(caller, request.name(), [&](PendingBatch& batch) {
    return PublishIn<Offer>(batch, request);
  });
}

absl::StatusOr<Offer> Registry::WithdrawOffer(
    const Caller& caller, const techmatch::v1::WithdrawRequest& request) {
  return Mutate<Offer>(caller, request.name(), [&](PendingBatch& batch) {
    return WithdrawIn<Offer>(batch, request);
  });
}

absl::StatusOr<techmatch::v1::ListOffersResponse> Registry::ListOffers(
    const Caller& caller,
    const techmatch::v1::ListOffersRequest& request) const {
  TM_ASSIGN_OR_RETURN(std::string province,
                      ProvinceFilter(*reference_, request.province()));
  TM_ASSIGN_OR_RETURN(uint64_t owner, OptionalOrgFilter(request.owner(), "owner"));
  TM_RETURN_IF_ERROR(SectorFilterValid(*reference_, request.sector_code()));
  TM_RETURN_IF_ERROR(StateFilterValid(request.state()));
  const Timestamp* since =
      request.has_updated_since() ? &request.updated_since() : nullptr;
  std::optional<IndexChoice> index;
  if (owner != 0) {
    index = IndexChoice{IndexId::kOfferByOwner, owner};
  } else if (request.state() != techmatch::v1::STATE_UNSPECIFIED) {
    index = IndexChoice{IndexId::kOfferByState,
                        static_cast<uint64_t>(request.state())};
  }
  techmatch::v1::ListOffersResponse response;
  AccessCheck check = Check(&caller.principal);
  TM_ASSIGN_OR_RETURN(
      *response.mutable_next_page_token(),
      ListInto<Offer>(
          *catalog_, request, index,
          [&](const Offer& r) {
            return (request.state() == techmatch::v1::STATE_UNSPECIFIED ||
                    r.state() == request.state()) &&
                   (owner == 0 || r.owner() == request.owner()) &&
                   (province.empty() || r.province() == province) &&
                   SectorMatches(r.sector_codes(), request.sector_code()) &&
                   UpdatedSince(r.update_time(), since) && check.CanRead(r);
          },
          response.mutable_offers()));
  return response;
}

ImportResponse Registry::ImportOffers(
    const Caller& caller, const techmatch::v1::ImportOffersRequest& request,
    int64_t first_index) {
  return Import<Offer>(caller, request.offers(), first_index);
}

// needs

absl::StatusOr<Need> Registry::CreateNeed(
    const Caller& caller, const techmatch::v1::CreateNeedRequest& request) {
  return Mutate<Need>(caller, "", [&](PendingBatch& batch) {
    Need input = request.need();
    input.clear_name();
    return CreateIn(batch, std::move(input));
  });
}

absl::StatusOr<Need> Registry::GetNeed(const Caller& caller,
                                       absl::string_view name) const {
  return ReadFor<Need>(caller, name);
}

absl::StatusOr<Need> Registry::UpdateNeed(
    const Caller& caller, const techmatch::v1::UpdateNeedRequest& request) {
  return Mutate<Need>(caller, request.need().name(), [&](PendingBatch& batch) {
    return UpdateIn(batch, request.need(), request.update_mask());
  });
}

absl::StatusOr<techmatch::v1::UpsertNeedResponse> Registry::UpsertNeed(
    const Caller& caller, const techmatch::v1::UpsertNeedRequest& request) {
  using Response = techmatch::v1::UpsertNeedResponse;
  return Mutate<Response>(caller, request.need().external_ref(),
                          [&](PendingBatch& batch) -> absl::StatusOr<Response> {
                            TM_ASSIGN_OR_RETURN(
                                auto outcome, UpsertIn(batch, request.need()));
                            Response response;
                            *response.mutable_need() = std::move(outcome.first);
                            response.set_outcome(outcome.second);
                            return response;
                          });
}

absl::StatusOr<Need> Registry::PublishNeed(
    const Caller& caller, const techmatch::v1::PublishRequest& request) {
  return Mutate<Need>(caller, request.name(), [&](PendingBatch& batch) {
    return PublishIn<Need>(batch, request);
  });
}

absl::StatusOr<Need> Registry::WithdrawNeed(
    const Caller& caller, const techmatch::v1::WithdrawRequest& request) {
  return Mutate<Need>(caller, request.name(), [&](PendingBatch& batch) {
    return WithdrawIn<Need>(batch, request);
  });
}

absl::StatusOr<techmatch::v1::ListNeedsResponse> Registry::ListNeeds(
    const Caller& caller,
    const techmatch::v1::ListNeedsRequest& request) const {
  TM_ASSIGN_OR_RETURN(std::string province,
                      ProvinceFilter(*reference_, request.province()));
  TM_ASSIGN_OR_RETURN(uint64_t enterprise,
                      OptionalOrgFilter(request.enterprise(), "enterprise"));
  TM_ASSIGN_OR_RETURN(uint64_t centre,
                      OptionalOrgFilter(request.centre(), "centre"));
  TM_RETURN_IF_ERROR(SectorFilterValid(*reference_, request.sector_code()));
  TM_RETURN_IF_ERROR(StateFilterValid(request.state()));
  const Timestamp* since =
      request.has_updated_since() ? &request.updated_since() : nullptr;
  std::optional<IndexChoice> index;
  if (centre != 0) {
    index = IndexChoice{IndexId::kNeedByCentre, centre};
  } else if (enterprise != 0) {
    index = IndexChoice{IndexId::kNeedByEnterprise, enterprise};
  } else if (request.state() != techmatch::v1::STATE_UNSPECIFIED) {
    index = IndexChoice{IndexId::kNeedByState,
                        static_cast<uint64_t>(request.state())};
  }
  techmatch::v1::ListNeedsResponse response;
  AccessCheck check = Check(&caller.principal);
  TM_ASSIGN_OR_RETURN(
      *response.mutable_next_page_token(),
      ListInto<Need>(
          *catalog_, request, index,
          [&](const Need& r) {
            return (request.state() == techmatch::v1::STATE_UNSPECIFIED ||
                    r.state() == request.state()) &&
                   (enterprise == 0 ||
                    r.enterprise() == request.enterprise()) &&
                   (centre == 0 || r.centre() == request.centre()) &&
                   (province.empty() || r.province() == province) &&
                   SectorMatches(r.sector_codes(), request.sector_code()) &&
                   UpdatedSince(r.update_time(), since) && check.CanRead(r);
          },
          response.mutable_needs()));
  return response;
}

ImportResponse Registry::ImportNeeds(
    const Caller& caller, const techmatch::v1::ImportNeedsRequest& request,
    int64_t first_index) {
  return Import<Need>(caller, request.needs(), first_index);
}

// expiry

namespace {

template <class T>
absl::Status CollectExpired(const storage::Catalog& catalog, IndexId index,
                            PendingBatch& batch) {
  std::vector<uint64_t> due;
  uint64_t now_key = storage::OrderedMicros(absl::ToUnixMicros(batch.now()));
  TM_RETURN_IF_ERROR(catalog.ScanIndexUpTo(index, now_key,
                                           [&](uint64_t, uint64_t id) {
                                             due.push_back(id);
                                             return due.size() < 10000;
                                           }));
  for (uint64_t id : due) {
    TM_ASSIGN_OR_RETURN(T current, batch.Load<T>(id));
    if (current.state() != techmatch::v1::PUBLISHED ||
        FromProto(current.expire_time()) > batch.now()) {
      continue;
    }
    T next = current;
    next.set_state(techmatch::v1::EXPIRED);
    next.set_version(current.version() + 1);
    *next.mutable_update_time() = ToProto(batch.now());
    batch.Add(RecordWrite<T>{current, next, ChangeEvent::EXPIRED});
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<int> Registry::ExpireDue() {
  const Caller sweeper = Caller::System("Registry.ExpireDue");
  std::lock_guard<std::mutex> lock(write_mu_);
  PendingBatch batch(catalog_, reference_, clock_->Now(), &sweeper);
  TM_RETURN_IF_ERROR(CollectExpired<Offer>(*catalog_, IndexId::kOfferExpiry, batch));
  TM_RETURN_IF_ERROR(CollectExpired<Need>(*catalog_, IndexId::kNeedExpiry, batch));
  std::vector<techmatch::v1::AuditRecord> audit;
  for (const storage::AnyRecordWrite& write : batch.writes()) {
    std::visit(
        [&](const auto& w) {
          audit.push_back(
              audit_->Make(sweeper, w.after.name(), absl::OkStatus()));
        },
        write);
  }
  if (batch.writes().empty()) return 0;
  TM_RETURN_IF_ERROR(CommitBatch(batch, std::move(audit)));
  return static_cast<int>(batch.writes().size());
}

}  // namespace techmatch::domain
