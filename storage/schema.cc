#include "storage/schema.h"

#include "absl/time/time.h"
#include "storage/key_codec.h"

namespace techmatch::storage {
namespace {

using techmatch::v1::Need;
using techmatch::v1::Offer;
using techmatch::v1::Organization;

uint64_t IdOr0(RecordKind kind, const std::string& name) {
  if (name.empty()) return 0;
  auto id = ParseName(kind, name, "name");
  return id.ok() ? *id : 0;
}

int64_t Micros(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000000 + t.nanos() / 1000;
}

}  // namespace

absl::string_view ColumnFamilyName(ColumnFamily cf) {
  switch (cf) {
    case ColumnFamily::kDefault:
      return "default";
    case ColumnFamily::kMeta:
      return "meta";
    case ColumnFamily::kOrganizations:
      return "organizations";
    case ColumnFamily::kOffers:
      return "offers";
    case ColumnFamily::kNeeds:
      return "needs";
    case ColumnFamily::kIndex:
      return "index";
    case ColumnFamily::kChangeLog:
      return "changelog";
    case ColumnFamily::kApiKeys:
      return "api_keys";
    case ColumnFamily::kAudit:
      return "audit";
    case ColumnFamily::kConnections:
      return "connections";
    case ColumnFamily::kAlerts:
      return "alerts";
  }
  return "unknown";
}

std::string IndexKey(IndexId index, uint64_t scope, uint64_t id) {
  std::string key;
  key.reserve(17);
  AppendU8(&key, static_cast<uint8_t>(index));
  AppendU64(&key, scope);
  AppendU64(&key, id);
  return key;
}

std::string IndexPrefix(IndexId index, uint64_t scope) {
  std::string key;
  key.reserve(9);
  AppendU8(&key, static_cast<uint8_t>(index));
  AppendU64(&key, scope);
  return key;
}

std::string RefKey(IndexId index, uint64_t scope, absl::string_view ref) {
  std::string key = IndexPrefix(index, scope);
  key.append(ref.data(), ref.size());
  return key;
}

std::vector<IndexEntry> RecordTraits<Organization>::IndexEntries(
    const Organization& r) {
  std::vector<IndexEntry> out;
  uint64_t id = IdOr0(RecordKind::kOrganization, r.name());
  if (!r.external_ref().empty()) {
    out.emplace_back(RefKey(IndexId::kOrganizationByRef, 0, r.external_ref()),
                     EncodeU64(id));
  }
  if (uint64_t parent = IdOr0(RecordKind::kOrganization, r.parent())) {
    out.emplace_back(IndexKey(IndexId::kOrganizationByParent, parent, id), "");
  }
  return out;
}

std::vector<IndexEntry> RecordTraits<Offer>::IndexEntries(const Offer& r) {
  std::vector<IndexEntry> out;
  uint64_t id = IdOr0(RecordKind::kOffer, r.name());
  uint64_t owner = IdOr0(RecordKind::kOrganization, r.owner());
  if (!r.external_ref().empty()) {
    out.emplace_back(RefKey(IndexId::kOfferByRef, owner, r.external_ref()),
                     EncodeU64(id));
  }
  out.emplace_back(IndexKey(IndexId::kOfferByOwner, owner, id), "");
  out.emplace_back(IndexKey(IndexId::kOfferByState, r.state(), id), "");
  if (r.state() == techmatch::v1::PUBLISHED && r.has_expire_time()) {
    out.emplace_back(IndexKey(IndexId::kOfferExpiry,
                              OrderedMicros(Micros(r.expire_time())), id),
                     "");
  }
  return out;
}

std::string NeedRefKey(const Need& need) {
  std::string key = IndexPrefix(
      IndexId::kNeedByRef, IdOr0(RecordKind::kOrganization, need.centre()));
  AppendU64(&key, IdOr0(RecordKind::kOrganization, need.enterprise()));
  key.append(need.external_ref());
  return key;
}

std::vector<IndexEntry> RecordTraits<Need>::IndexEntries(const Need& r) {
  std::vector<IndexEntry> out;
  uint64_t id = IdOr0(RecordKind::kNeed, r.name());
  if (!r.external_ref().empty()) {
    out.emplace_back(NeedRefKey(r), EncodeU64(id));
  }
  out.emplace_back(
      IndexKey(IndexId::kNeedByEnterprise,
               IdOr0(RecordKind::kOrganization, r.enterprise()), id),
      "");
  if (uint64_t centre = IdOr0(RecordKind::kOrganization, r.centre())) {
    out.emplace_back(IndexKey(IndexId::kNeedByCentre, centre, id), "");
  }
  out.emplace_back(IndexKey(IndexId::kNeedByState, r.state(), id), "");
  if (r.state() == techmatch::v1::PUBLISHED && r.has_expire_time()) {
    out.emplace_back(IndexKey(IndexId::kNeedExpiry,
                              OrderedMicros(Micros(r.expire_time())), id),
                     "");
  }
  return out;
}

bool IsFinal(techmatch::v1::Connection::State state) {
  return state == techmatch::v1::Connection::CLOSED ||
         state == techmatch::v1::Connection::DECLINED ||
         state == techmatch::v1::Connection::EXPIRED;
}

std::vector<IndexEntry> RecordTraits<techmatch::v1::Connection>::IndexEntries(
    const techmatch::v1::Connection& r) {
  std::vector<IndexEntry> out;
  uint64_t id = IdOr0(RecordKind::kConnection, r.name());
  uint64_t need = IdOr0(RecordKind::kNeed, r.need());
  uint64_t offer = IdOr0(RecordKind::kOffer, r.offer());
  out.emplace_back(IndexKey(IndexId::kConnectionByNeed, need, id), "");
  out.emplace_back(IndexKey(IndexId::kConnectionByOffer, offer, id), "");
  out.emplace_back(IndexKey(IndexId::kConnectionByState, r.state(), id), "");
  if (!IsFinal(r.state())) {
    out.emplace_back(IndexKey(IndexId::kConnectionOpenPair, need, offer),
                     EncodeU64(id));
  }
  return out;
}

}  // namespace techmatch::storage
