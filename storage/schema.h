// The on-disk schema: column families, index key layouts and what each
// record kind indexes. storage/README.md draws it.
#ifndef TECHMATCH_STORAGE_SCHEMA_H_
#define TECHMATCH_STORAGE_SCHEMA_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "storage/resource_name.h"
#include "techmatch/v1/connection.pb.h"
#include "techmatch/v1/need.pb.h"
#include "techmatch/v1/offer.pb.h"
#include "techmatch/v1/organization.pb.h"

namespace techmatch::storage {

// Bumped on any incompatible change of keys or values. Open() migrates a
// database of version 1 (need refs scoped by the centre alone) and refuses
// any other version.
inline constexpr uint32_t kFormatVersion = 2;

// Column families. DO NOT CHANGE THESE VALUES OR NAMES: embedded on disk.
enum class ColumnFamily : uint8_t {
  kDefault = 0,        // RocksDB's own; unused
  kMeta = 1,           // "format_version" -> u32
  kOrganizations = 2,  // id u64 -> Organization
  kOffers = 3,         // id u64 -> Offer
  kNeeds = 4,          // id u64 -> Need
  kIndex = 5,          // IndexId u8 + components -> value (see IndexId)
  kChangeLog = 6,      // sequence u64 -> ChangeEvent
  kApiKeys = 7,        // id u64 -> StoredApiKey
  kAudit = 8,          // sequence u64 -> AuditRecord
  kConnections = 9,    // id u64 -> Connection
  kAlerts = 10,        // sequence u64 -> Alert
};
inline constexpr int kColumnFamilyCount = 11;

// RocksDB name of a column family.
absl::string_view ColumnFamilyName(ColumnFamily cf);

// First byte of every key in the index family. DO NOT CHANGE THESE VALUES.
enum class IndexId : uint8_t {
  kOrganizationByRef = 1,  // + ref               -> org id u64
  kOfferByRef = 2,         // + owner u64 + ref   -> offer id u64
  // + centre u64 (0: none) + enterprise u64 + ref -> need id u64 (format
  // 2; format 1 had the centre, else the enterprise, alone).
  kNeedByRef = 3,
  kOrganizationByParent = 4,  // + parent u64 + org id u64 -> ""
  kOfferByOwner = 5,          // + owner u64 + offer id u64 -> ""
  kNeedByEnterprise = 6,      // + enterprise u64 + need id u64 -> ""
  kNeedByCentre = 7,          // + centre u64 + need id u64 -> ""
  kOfferByState = 8,          // + state u64 + offer id u64 -> ""
  kNeedByState = 9,           // + state u64 + need id u64 -> ""
  kOfferExpiry = 10,  // + ordered micros u64 + id u64 -> "" (PUBLISHED only)
  kNeedExpiry = 11,   // + ordered micros u64 + id u64 -> "" (PUBLISHED only)
  kConnectionByNeed = 12,   // + need u64 + connection id u64 -> ""
  kConnectionByOffer = 13,  // + offer u64 + connection id u64 -> ""
  kConnectionByState = 14,  // + Connection.State u64 + connection id u64 -> ""
  // + need u64 + offer u64 -> connection id u64, while the connection is
  // open (not CLOSED, DECLINED or EXPIRED): one open connection per pair.
  kConnectionOpenPair = 15,
  // + need u64 + (offer id << 1 | direction) u64 -> alert sequence u64:
  // each pair is alerted once per direction, ever.
  kAlertPair = 16,
  kAlertByRecipient = 17,  // + recipient org u64 + alert sequence u64 -> ""
};

// Key of an index entry whose components are (scope, id).
std::string IndexKey(IndexId index, uint64_t scope, uint64_t id);

// Prefix covering every entry of `index` with the given scope.
std::string IndexPrefix(IndexId index, uint64_t scope);

// Key of an external-reference entry.
std::string RefKey(IndexId index, uint64_t scope, absl::string_view ref);

// One index entry: key and value in the index family.
using IndexEntry = std::pair<std::string, std::string>;

// Per-kind facts the catalog needs. Specialised below.
template <class T>
struct RecordTraits;

template <>
struct RecordTraits<techmatch::v1::Organization> {
  static constexpr RecordKind kKind = RecordKind::kOrganization;
  static constexpr ColumnFamily kFamily = ColumnFamily::kOrganizations;
  // Index entries the record must have. Names must be valid.
  static std::vector<IndexEntry> IndexEntries(
      const techmatch::v1::Organization& r);
};

template <>
struct RecordTraits<techmatch::v1::Offer> {
  static constexpr RecordKind kKind = RecordKind::kOffer;
  static constexpr ColumnFamily kFamily = ColumnFamily::kOffers;
  static std::vector<IndexEntry> IndexEntries(const techmatch::v1::Offer& r);
};

template <>
struct RecordTraits<techmatch::v1::Need> {
  static constexpr RecordKind kKind = RecordKind::kNeed;
  static constexpr ColumnFamily kFamily = ColumnFamily::kNeeds;
  static std::vector<IndexEntry> IndexEntries(const techmatch::v1::Need& r);
};

template <>
struct RecordTraits<techmatch::v1::Connection> {
  static constexpr RecordKind kKind = RecordKind::kConnection;
  static constexpr ColumnFamily kFamily = ColumnFamily::kConnections;
  static std::vector<IndexEntry> IndexEntries(
      const techmatch::v1::Connection& r);
};

// Whether a connection in `state` is over (CLOSED, DECLINED, EXPIRED).
bool IsFinal(techmatch::v1::Connection::State state);

// The key of a need's external_ref: unique per (centre, enterprise), the
// pair every writer of such a need can see all of (docs/security.md), so
// that a clash never names a need the writer may not read.
std::string NeedRefKey(const techmatch::v1::Need& need);

}  // namespace techmatch::storage

#endif  // TECHMATCH_STORAGE_SCHEMA_H_
