#include "storage/catalog.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/backup_engine.h>
#include <rocksdb/utilities/options_util.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "google/protobuf/util/time_util.h"
#include "storage/key_codec.h"
#include "storage/rocks_logger.h"
#include "storage/rocks_status.h"

namespace techmatch::storage {
namespace {

using techmatch::v1::ChangeEvent;
using techmatch::v1::Need;
using techmatch::v1::Offer;
using techmatch::v1::Organization;

constexpr char kFormatVersionKey[] = "format_version";

size_t KindSlot(RecordKind kind) { return static_cast<size_t>(kind); }

template <class T>
absl::string_view NameOf(const T& record) {
  return record.name();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Catalog>> Catalog::Open(
    const CatalogOptions& options) {
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.IncreaseParallelism(2);
  // Keep the WAL small enough that restart after kill -9 replays quickly.
  db_options.max_total_wal_size = 256ull << 20;
  // RocksDB's log to spdlog, never to a file on the database's disk (see
  // rocks_logger.h: a full disk made the file logger abort the process).
  db_options.info_log = std::make_shared<SpdlogRocksLogger>();

  // Every family is scanned in key order somewhere (lists, counters at
  // start-up), so all keep RocksDB's ordered block-based table. Point reads
  // (records by name, index entries) are most of the rest: Bloom filters
  // (10 bits a key, ~1% false positives) let a read skip the levels that do
  // not hold its key, and one block cache serves all families (index and
  // filter blocks stay with the open tables, outside it). Filters are
  // written as tables are (re)written: an existing database gains them as
  // compaction rewrites its files.
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  if (options.block_cache_bytes > 0) {
    table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  }
  rocksdb::ColumnFamilyOptions family_options;
  family_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (int i = 0; i < kColumnFamilyCount; ++i) {
    families.emplace_back(
        std::string(ColumnFamilyName(static_cast<ColumnFamily>(i))),
        family_options);
  }

  // Made here: RocksDB logs a missing directory as an error before it
  // creates it.
  std::error_code ignored;
  std::filesystem::create_directories(options.path, ignored);
  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  TM_RETURN_IF_ERROR(FromRocks(
      rocksdb::DB::Open(db_options, options.path, families, &handles, &db),
      absl::StrCat("opening ", options.path)));
  std::unique_ptr<Catalog> catalog(new Catalog(db, handles, options));

  TM_ASSIGN_OR_RETURN(std::optional<std::string> version,
                      catalog->GetRaw(ColumnFamily::kMeta, kFormatVersionKey));
  if (!version.has_value()) {
    rocksdb::WriteOptions write_options;
    write_options.sync = true;
    std::string encoded;
    AppendU32(&encoded, kFormatVersion);
    TM_RETURN_IF_ERROR(FromRocks(
        db->Put(write_options, catalog->Family(ColumnFamily::kMeta),
                kFormatVersionKey, encoded),
        "writing format version"));
  } else {
    std::optional<uint32_t> found = DecodeU32(*version);
    if (found == 1u) {
      TM_RETURN_IF_ERROR(catalog->MigrateNeedRefs());
      found = kFormatVersion;
    }
    if (!found.has_value() || *found != kFormatVersion) {
      return absl::FailedPreconditionError(absl::StrCat(
          options.path, " has storage format version ",
          found.has_value() ? absl::StrCat(*found) : "(unreadable)",
          "; this build reads version ", kFormatVersion));
    }
  }
  TM_RETURN_IF_ERROR(catalog->LoadCounters());
  return catalog;
}

Catalog::Catalog(rocksdb::DB* db,
                 std::vector<rocksdb::ColumnFamilyHandle*> handles,
                 const CatalogOptions& options)
    : db_(db), handles_(std::move(handles)), options_(options) {}

Catalog::~Catalog() {
  for (auto* handle : handles_) {
    db_->DestroyColumnFamilyHandle(handle);
  }
  // Close() syncs nothing more than what was acknowledged; errors at close
  // cannot be reported from a destructor and lose no acknowledged write.
  db_->Close().PermitUncheckedError();
  delete db_;
}

rocksdb::ColumnFamilyHandle* Catalog::Family(ColumnFamily cf) const {
  return handles_[static_cast<size_t>(cf)];
}

absl::Status Catalog::LoadCounters() {
  // Ids and sequences continue after the largest key of each family.
  auto last_key = [&](ColumnFamily cf) -> absl::StatusOr<uint64_t> {
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), Family(cf)));
    it->SeekToLast();
    TM_RETURN_IF_ERROR(FromRocks(it->status(), "scanning for last key"));
    if (!it->Valid()) return 0;
    return DecodeU64(absl::string_view(it->key().data(), it->key().size()))
        .value_or(0);
  };
  for (auto [kind, cf] :
       {std::pair{RecordKind::kOrganization, ColumnFamily::kOrganizations},
        std::pair{RecordKind::kOffer, ColumnFamily::kOffers},
        std::pair{RecordKind::kNeed, ColumnFamily::kNeeds},
        std::pair{RecordKind::kApiKey, ColumnFamily::kApiKeys},
        std::pair{RecordKind::kConnection, ColumnFamily::kConnections}}) {
    TM_ASSIGN_OR_RETURN(uint64_t last, last_key(cf));
    next_id_[KindSlot(kind)].store(last + 1);
  }
  TM_ASSIGN_OR_RETURN(uint64_t last_seq, last_key(ColumnFamily::kChangeLog));
  last_sequence_.store(last_seq);
  TM_ASSIGN_OR_RETURN(uint64_t last_audit, last_key(ColumnFamily::kAudit));
  next_audit_.store(last_audit + 1);
  TM_ASSIGN_OR_RETURN(uint64_t last_alert, last_key(ColumnFamily::kAlerts));
  next_alert_.store(last_alert + 1);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> Catalog::GetRaw(
    ColumnFamily cf, const std::string& key) const {
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), Family(cf), key, &value);
  if (s.IsNotFound()) return std::nullopt;
  TM_RETURN_IF_ERROR(FromRocks(s, "reading"));
  return value;
}

template <class T>
absl::StatusOr<T> Catalog::Get(uint64_t id) const {
  using Traits = RecordTraits<T>;
  TM_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                      GetRaw(Traits::kFamily, EncodeU64(id)));
  if (!raw.has_value()) {
    return absl::NotFoundError(
        absl::StrCat(MakeName(Traits::kKind, id), " does not exist"));
  }
  T record;
  if (!record.ParseFromString(*raw)) {
    return absl::DataLossError(
        absl::StrCat(MakeName(Traits::kKind, id), " cannot be decoded"));
  }
  return record;
}

absl::StatusOr<std::optional<uint64_t>> Catalog::FindIndexed(
    IndexId index, uint64_t scope, uint64_t id) const {
  TM_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                      GetRaw(ColumnFamily::kIndex, IndexKey(index, scope, id)));
  if (!raw.has_value()) return std::nullopt;
  std::optional<uint64_t> value = DecodeU64(*raw);
  if (!value.has_value()) return absl::DataLossError("malformed index entry");
  return value;
}

absl::Status Catalog::MigrateNeedRefs() {
  static_assert(kFormatVersion == 2, "MigrateNeedRefs writes version 2");
  rocksdb::WriteBatch batch;
  const std::string begin(1, static_cast<char>(IndexId::kNeedByRef));
  const std::string end(
      1, static_cast<char>(static_cast<uint8_t>(IndexId::kNeedByRef) + 1));
  TM_RETURN_IF_ERROR(
      FromRocks(batch.DeleteRange(Family(ColumnFamily::kIndex), begin, end),
                "batching need reference removal"));
  absl::Status decode_status;
  TM_RETURN_IF_ERROR(ScanRaw(
      ColumnFamily::kNeeds, "", "",
      [&](absl::string_view key, absl::string_view value) {
        techmatch::v1::Need need;
        if (!need.ParseFromArray(value.data(),
                                 static_cast<int>(value.size()))) {
          decode_status = absl::DataLossError(absl::StrCat(
              "need ", DecodeU64(key).value_or(0), " cannot be decoded"));
          return false;
        }
        if (need.external_ref().empty()) return true;
        decode_status = FromRocks(batch.Put(Family(ColumnFamily::kIndex),
                                            NeedRefKey(need), std::string(key)),
                                  "batching need reference");
        return decode_status.ok();
      }));
  TM_RETURN_IF_ERROR(decode_status);
  std::string encoded;
  AppendU32(&encoded, kFormatVersion);
  TM_RETURN_IF_ERROR(FromRocks(
      batch.Put(Family(ColumnFamily::kMeta), kFormatVersionKey, encoded),
      "batching format version"));
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  TM_RETURN_IF_ERROR(FromRocks(db_->Write(write_options, &batch),
                               "migrating need references"));
  return absl::OkStatus();
}

absl::StatusOr<std::optional<uint64_t>> Catalog::FindByRef(
    IndexId index, uint64_t scope, absl::string_view ref) const {
  return FindByRefKey(RefKey(index, scope, ref));
}

absl::StatusOr<std::optional<uint64_t>> Catalog::FindByRefKey(
    absl::string_view key) const {
  TM_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                      GetRaw(ColumnFamily::kIndex, std::string(key)));
  if (!raw.has_value()) return std::nullopt;
  std::optional<uint64_t> id = DecodeU64(*raw);
  if (!id.has_value()) return absl::DataLossError("malformed ref index entry");
  return id;
}

absl::Status Catalog::ScanRaw(
    ColumnFamily cf, const std::string& start, const std::string& prefix,
    const std::function<bool(absl::string_view, absl::string_view)>& visit)
    const {
  rocksdb::ReadOptions read_options;
  read_options.total_order_seek = true;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(read_options, Family(cf)));
  for (it->Seek(start); it->Valid(); it->Next()) {
    absl::string_view key(it->key().data(), it->key().size());
    if (key.substr(0, prefix.size()) != prefix) break;
    if (!visit(key, absl::string_view(it->value().data(), it->value().size()))) {
      break;
    }
  }
  return FromRocks(it->status(), "scanning");
}

template <class T>
absl::Status Catalog::Scan(uint64_t after_id,
                           const std::function<bool(const T&)>& visit) const {
  if (after_id == UINT64_MAX) return absl::OkStatus();
  absl::Status decode_status;
  TM_RETURN_IF_ERROR(ScanRaw(
      RecordTraits<T>::kFamily, EncodeU64(after_id + 1), "",
      [&](absl::string_view key, absl::string_view value) {
        T record;
        if (!record.ParseFromArray(value.data(),
                                   static_cast<int>(value.size()))) {
          decode_status = absl::DataLossError(absl::StrCat(
              MakeName(RecordTraits<T>::kKind, DecodeU64(key).value_or(0)),
              " cannot be decoded"));
          return false;
        }
        return visit(record);
      }));
  return decode_status;
}

absl::Status Catalog::ScanIndex(
    IndexId index, uint64_t scope, uint64_t after_id,
    const std::function<bool(uint64_t)>& visit) const {
  if (after_id == UINT64_MAX) return absl::OkStatus();
  std::string prefix = IndexPrefix(index, scope);
  return ScanRaw(ColumnFamily::kIndex, IndexKey(index, scope, after_id + 1),
                 prefix, [&](absl::string_view key, absl::string_view) {
                   return visit(DecodeU64(key, prefix.size()).value_or(0));
                 });
}

absl::Status Catalog::ScanIndexUpTo(
    IndexId index, uint64_t max_scope,
    const std::function<bool(uint64_t, uint64_t)>& visit) const {
  std::string prefix(1, static_cast<char>(index));
  return ScanRaw(ColumnFamily::kIndex, prefix, prefix,
                 [&](absl::string_view key, absl::string_view) {
                   uint64_t scope = DecodeU64(key, 1).value_or(0);
                   if (scope > max_scope) return false;
                   return visit(scope, DecodeU64(key, 9).value_or(0));
                 });
}

uint64_t Catalog::AllocateId(RecordKind kind) {
  return next_id_[KindSlot(kind)].fetch_add(1);
}

absl::Status Catalog::BatchAudit(
    std::vector<techmatch::v1::AuditRecord>& records,
    rocksdb::WriteBatch* batch) {
  std::string buffer;
  for (techmatch::v1::AuditRecord& record : records) {
    uint64_t sequence = next_audit_.fetch_add(1);
    record.set_sequence(sequence);
    record.SerializeToString(&buffer);
    TM_RETURN_IF_ERROR(FromRocks(
        batch->Put(Family(ColumnFamily::kAudit), EncodeU64(sequence), buffer),
        "batching audit record"));
  }
  return absl::OkStatus();
}

absl::Status Catalog::AppendAudit(
    std::vector<techmatch::v1::AuditRecord> records) {
  if (records.empty()) return absl::OkStatus();
  rocksdb::WriteBatch batch;
  TM_RETURN_IF_ERROR(BatchAudit(records, &batch));
  return Apply(&batch, /*sync=*/false, "audit");
}

absl::Status Catalog::ScanAuditBackward(
    uint64_t before,
    const std::function<bool(const techmatch::v1::AuditRecord&)>& visit) const {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), Family(ColumnFamily::kAudit)));
  if (before == 0) {
    it->SeekToLast();
  } else {
    it->SeekForPrev(EncodeU64(before - 1));
  }
  techmatch::v1::AuditRecord record;
  for (; it->Valid(); it->Prev()) {
    if (!record.ParseFromArray(it->value().data(),
                               static_cast<int>(it->value().size()))) {
      return absl::DataLossError("audit record cannot be decoded");
    }
    if (!visit(record)) break;
  }
  return FromRocks(it->status(), "scanning audit log");
}

absl::StatusOr<std::vector<techmatch::v1::Alert>> Catalog::CommitAlerts(
    std::vector<techmatch::v1::Alert> alerts, absl::string_view cursor_name,
    uint64_t cursor) {
  std::lock_guard<std::mutex> lock(commit_mu_);
  rocksdb::WriteBatch batch;
  std::string buffer;
  uint64_t sequence = next_alert_.load();
  for (techmatch::v1::Alert& alert : alerts) {
    alert.set_sequence(sequence++);
    alert.SerializeToString(&buffer);
    TM_RETURN_IF_ERROR(FromRocks(batch.Put(Family(ColumnFamily::kAlerts),
                                           EncodeU64(alert.sequence()), buffer),
                                 "batching alert"));
    uint64_t need =
        ParseName(RecordKind::kNeed, alert.need(), "need").value_or(0);
    uint64_t offer =
        ParseName(RecordKind::kOffer, alert.offer(), "offer").value_or(0);
    uint64_t recipient =
        ParseName(RecordKind::kOrganization, alert.recipient(), "recipient")
            .value_or(0);
    uint64_t direction =
        alert.kind() == techmatch::v1::Alert::NEED_FOR_OFFER ? 1 : 0;
    TM_RETURN_IF_ERROR(FromRocks(
        batch.Put(Family(ColumnFamily::kIndex),
                  IndexKey(IndexId::kAlertPair, need, offer << 1 | direction),
                  EncodeU64(alert.sequence())),
        "batching alert pair"));
    TM_RETURN_IF_ERROR(FromRocks(
        batch.Put(
            Family(ColumnFamily::kIndex),
            IndexKey(IndexId::kAlertByRecipient, recipient, alert.sequence()),
            ""),
        "batching alert recipient"));
  }
  TM_RETURN_IF_ERROR(
      FromRocks(batch.Put(Family(ColumnFamily::kMeta), std::string(cursor_name),
                          EncodeU64(cursor)),
                "batching cursor"));
  TM_RETURN_IF_ERROR(Apply(&batch, options_.sync_writes, "committing alerts"));
  next_alert_.store(sequence);
  return alerts;
}

absl::Status Catalog::ScanAlerts(
    uint64_t recipient, uint64_t after,
    const std::function<bool(const techmatch::v1::Alert&)>& visit) const {
  absl::Status inner;
  auto decode = [&](absl::string_view value) {
    techmatch::v1::Alert alert;
    if (!alert.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      inner = absl::DataLossError("alert cannot be decoded");
      return false;
    }
    return visit(alert);
  };
  if (recipient == 0) {
    TM_RETURN_IF_ERROR(ScanRaw(ColumnFamily::kAlerts, EncodeU64(after + 1), "",
                               [&](absl::string_view, absl::string_view value) {
                                 return decode(value);
                               }));
    return inner;
  }
  TM_RETURN_IF_ERROR(ScanIndex(
      IndexId::kAlertByRecipient, recipient, after, [&](uint64_t seq) {
        absl::StatusOr<std::optional<std::string>> raw =
            GetRaw(ColumnFamily::kAlerts, EncodeU64(seq));
        if (!raw.ok() || !raw->has_value()) {
          inner = raw.ok()
                      ? absl::DataLossError("alert index names a missing alert")
                      : raw.status();
          return false;
        }
        return decode(**raw);
      }));
  return inner;
}

absl::StatusOr<uint64_t> Catalog::GetCounter(absl::string_view name) const {
  TM_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                      GetRaw(ColumnFamily::kMeta, std::string(name)));
  if (!raw.has_value()) return 0;
  std::optional<uint64_t> value = DecodeU64(*raw);
  if (!value.has_value()) return absl::DataLossError("malformed counter");
  return *value;
}

absl::Status Catalog::SetCounter(absl::string_view name, uint64_t value) {
  rocksdb::WriteBatch batch;
  TM_RETURN_IF_ERROR(FromRocks(batch.Put(Family(ColumnFamily::kMeta),
                                         std::string(name), EncodeU64(value)),
                               "batching counter"));
  return Apply(&batch, options_.sync_writes, "setting counter");
}

absl::Status Catalog::Apply(rocksdb::WriteBatch* batch, bool sync,
                            absl::string_view what) {
  if (write_failed_.load()) TM_RETURN_IF_ERROR(TryResume());
  rocksdb::WriteOptions write_options;
  write_options.sync = sync;
  const rocksdb::Status s = db_->Write(write_options, batch);
  if (s.ok()) return absl::OkStatus();
  if (!s.IsIOError()) return FromRocks(s, what);  // no space is an I/O error
  {
    std::lock_guard<std::mutex> lock(health_mu_);
    write_error_ = s.ToString();
    last_resume_ = absl::Now();
    write_failed_.store(true);
  }
  return absl::UnavailableError(absl::StrCat(
      what, ": the database cannot write (", s.ToString(),
      "); nothing of this request was written. Writes resume by themselves "
      "once the cause (e.g. a full disk) is gone; retry later"));
}

absl::Status Catalog::TryResume() {
  std::lock_guard<std::mutex> lock(health_mu_);
  if (!write_failed_.load()) return absl::OkStatus();
  const absl::Time now = absl::Now();
  if (now - last_resume_ >= options_.resume_interval) {
    last_resume_ = now;
    const rocksdb::Status resumed = db_->Resume();
    if (resumed.ok()) {
      write_failed_.store(false);
      write_error_.clear();
      return absl::OkStatus();
    }
    write_error_ = resumed.ToString();
  }
  return absl::UnavailableError(absl::StrCat(
      "the database cannot write (", write_error_,
      "); writes resume by themselves once the cause (e.g. a full disk) is "
      "gone; retry later"));
}

absl::Status Catalog::WriteHealth() {
  return write_failed_.load() ? TryResume() : absl::OkStatus();
}

absl::Status Catalog::ScanApiKeys(
    const std::function<bool(const techmatch::v1::StoredApiKey&)>& visit)
    const {
  absl::Status decode_status;
  TM_RETURN_IF_ERROR(ScanRaw(
      ColumnFamily::kApiKeys, "", "",
      [&](absl::string_view, absl::string_view value) {
        techmatch::v1::StoredApiKey key;
        if (!key.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          decode_status = absl::DataLossError("API key cannot be decoded");
          return false;
        }
        return visit(key);
      }));
  return decode_status;
}

absl::StatusOr<std::vector<ChangeEvent>> Catalog::Commit(
    const std::vector<AnyRecordWrite>& writes, absl::Time commit_time,
    CommitExtras extras) {
  std::lock_guard<std::mutex> lock(commit_mu_);
  rocksdb::WriteBatch batch;
  std::vector<ChangeEvent> events;
  events.reserve(writes.size());
  uint64_t sequence = last_sequence_.load();
  auto commit_ts = google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
      absl::ToUnixMicros(commit_time));
  std::string buffer;
  for (const AnyRecordWrite& any : writes) {
    absl::Status status = std::visit(
        [&](const auto& write) -> absl::Status {
          using T = std::decay_t<decltype(write.after)>;
          using Traits = RecordTraits<T>;
          TM_ASSIGN_OR_RETURN(
              uint64_t id, ParseName(Traits::kKind, NameOf(write.after), "name"));
          if (!write.after.SerializeToString(&buffer)) {
            return absl::InternalError("record does not serialise");
          }
          if (buffer.size() > kMaxRecordBytes) {
            return absl::InvalidArgumentError(absl::StrCat(
                NameOf(write.after), ": the record would take ", buffer.size(),
                " bytes; a record may take at most ", kMaxRecordBytes));
          }
          TM_RETURN_IF_ERROR(FromRocks(
              batch.Put(Family(Traits::kFamily), EncodeU64(id), buffer),
              "batching record"));
          std::vector<IndexEntry> next = Traits::IndexEntries(write.after);
          if (write.before.has_value()) {
            std::set<std::string> keep;
            for (const auto& entry : next) keep.insert(entry.first);
            for (const auto& entry : Traits::IndexEntries(*write.before)) {
              if (!keep.count(entry.first)) {
                TM_RETURN_IF_ERROR(FromRocks(
                    batch.Delete(Family(ColumnFamily::kIndex), entry.first),
                    "batching index delete"));
              }
            }
          }
          for (const auto& [key, value] : next) {
            TM_RETURN_IF_ERROR(FromRocks(
                batch.Put(Family(ColumnFamily::kIndex), key, value),
                "batching index"));
          }
          ChangeEvent& event = events.emplace_back();
          event.set_sequence(++sequence);
          event.set_type(write.type);
          event.set_resource(std::string(NameOf(write.after)));
          event.set_version(write.after.version());
          *event.mutable_commit_time() = commit_ts;
          event.SerializeToString(&buffer);
          return FromRocks(batch.Put(Family(ColumnFamily::kChangeLog),
                                     EncodeU64(sequence), buffer),
                           "batching change log");
        },
        any);
    TM_RETURN_IF_ERROR(status);
  }
  for (const techmatch::v1::StoredApiKey& key : extras.api_keys) {
    TM_ASSIGN_OR_RETURN(
        uint64_t id, ParseName(RecordKind::kApiKey, key.key().name(), "name"));
    key.SerializeToString(&buffer);
    TM_RETURN_IF_ERROR(FromRocks(
        batch.Put(Family(ColumnFamily::kApiKeys), EncodeU64(id), buffer),
        "batching API key"));
  }
  TM_RETURN_IF_ERROR(BatchAudit(extras.audit, &batch));
  TM_RETURN_IF_ERROR(Apply(&batch, options_.sync_writes, "commit"));
  last_sequence_.store(sequence);
  return events;
}

absl::StatusOr<std::vector<ChangeEvent>> Catalog::ReadChanges(
    uint64_t after, size_t limit) const {
  std::vector<ChangeEvent> out;
  if (after == UINT64_MAX || limit == 0) return out;
  absl::Status decode_status;
  TM_RETURN_IF_ERROR(ScanRaw(ColumnFamily::kChangeLog, EncodeU64(after + 1),
                             "", [&](absl::string_view, absl::string_view value) {
                               ChangeEvent& event = out.emplace_back();
                               if (!event.ParseFromArray(
                                       value.data(),
                                       static_cast<int>(value.size()))) {
                                 decode_status = absl::DataLossError(
                                     "change-log entry cannot be decoded");
                                 return false;
                               }
                               return out.size() < limit;
                             }));
  TM_RETURN_IF_ERROR(decode_status);
  return out;
}

uint64_t Catalog::last_sequence() const { return last_sequence_.load(); }

absl::StatusOr<uint32_t> Catalog::Backup(const std::string& backup_dir) {
  std::lock_guard<std::mutex> lock(backup_mu_);
  rocksdb::BackupEngine* raw = nullptr;
  TM_RETURN_IF_ERROR(FromRocks(
      rocksdb::BackupEngine::Open(rocksdb::BackupEngineOptions(backup_dir),
                                  rocksdb::Env::Default(), &raw),
      absl::StrCat("opening backups in ", backup_dir)));
  std::unique_ptr<rocksdb::BackupEngine> engine(raw);
  // The WAL is copied with the files, so unflushed commits are in the copy;
  // a flush first keeps the copy's WAL short.
  rocksdb::CreateBackupOptions options;
  options.flush_before_backup = true;
  uint32_t id = 0;
  TM_RETURN_IF_ERROR(
      FromRocks(engine->CreateNewBackup(options, db_, &id), "backup"));
  return id;
}

template <class T>
absl::StatusOr<uint64_t> Catalog::Count() const {
  uint64_t n = 0;
  TM_RETURN_IF_ERROR(ScanRaw(RecordTraits<T>::kFamily, "", "",
                             [&](absl::string_view, absl::string_view) {
                               ++n;
                               return true;
                             }));
  return n;
}

template absl::StatusOr<uint64_t> Catalog::Count<Organization>() const;
template absl::StatusOr<uint64_t> Catalog::Count<Offer>() const;
template absl::StatusOr<uint64_t> Catalog::Count<Need>() const;
template absl::StatusOr<uint64_t> Catalog::Count<techmatch::v1::Connection>()
    const;

template <class T>
absl::Status Catalog::ReadMany(const std::vector<uint64_t>& ids,
                               absl::FunctionRef<T*(size_t)> into) const {
  using Traits = RecordTraits<T>;
  std::vector<std::string> keys;
  keys.reserve(ids.size());
  for (uint64_t id : ids) keys.push_back(EncodeU64(id));
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::PinnableSlice> values(ids.size());
  std::vector<rocksdb::Status> statuses(ids.size());
  db_->MultiGet(rocksdb::ReadOptions(), Family(Traits::kFamily), ids.size(),
                slices.data(), values.data(), statuses.data());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (statuses[i].IsNotFound()) continue;
    TM_RETURN_IF_ERROR(FromRocks(statuses[i], "reading"));
    if (!into(i)->ParseFromArray(values[i].data(),
                                 static_cast<int>(values[i].size()))) {
      return absl::DataLossError(
          absl::StrCat(MakeName(Traits::kKind, ids[i]), " cannot be decoded"));
    }
  }
  return absl::OkStatus();
}

template absl::Status Catalog::ReadMany<Offer>(
    const std::vector<uint64_t>&, absl::FunctionRef<Offer*(size_t)>) const;
template absl::Status Catalog::ReadMany<Need>(
    const std::vector<uint64_t>&, absl::FunctionRef<Need*(size_t)>) const;

absl::Status Catalog::Flush() {
  rocksdb::FlushOptions flush_options;
  return FromRocks(db_->Flush(flush_options, handles_), "flush");
}

template absl::StatusOr<Organization> Catalog::Get<Organization>(
    uint64_t) const;
template absl::StatusOr<Offer> Catalog::Get<Offer>(uint64_t) const;
template absl::StatusOr<Need> Catalog::Get<Need>(uint64_t) const;
template absl::StatusOr<techmatch::v1::Connection>
    Catalog::Get<techmatch::v1::Connection>(uint64_t) const;
template absl::Status Catalog::Scan<Organization>(
    uint64_t, const std::function<bool(const Organization&)>&) const;
template absl::Status Catalog::Scan<Offer>(
    uint64_t, const std::function<bool(const Offer&)>&) const;
template absl::Status Catalog::Scan<Need>(
    uint64_t, const std::function<bool(const Need&)>&) const;
template absl::Status Catalog::Scan<techmatch::v1::Connection>(
    uint64_t,
    const std::function<bool(const techmatch::v1::Connection&)>&) const;

}  // namespace techmatch::storage
