// Catalog: the durable store of organisations, offers and needs on RocksDB,
// with their secondary indexes and the change log.
//
// Every Commit() writes records, index deltas and change-log entries in one
// WriteBatch, so a reader or a crash sees all of a commit or none of it.
// With `sync_writes` (the default) the WAL is fsync'ed before Commit()
// returns: an OK means durable.
//
// Thread-safety: all methods are safe to call concurrently. Commits are
// serialised internally; change-log sequences follow commit order. Reads
// see only committed data.
#ifndef TECHMATCH_STORAGE_CATALOG_H_
#define TECHMATCH_STORAGE_CATALOG_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "storage/schema.h"
#include "techmatch/v1/access.pb.h"
#include "techmatch/v1/alert.pb.h"
#include "techmatch/v1/change.pb.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class WriteBatch;
}  // namespace rocksdb

namespace techmatch::storage {

struct CatalogOptions {
  // Directory of the RocksDB database; created when missing.
  std::string path;
  // fsync the WAL on every commit. Turning it off is UNSAFE: an
  // acknowledged write may be lost on power failure or kill -9 of the host.
  bool sync_writes = true;
  // RocksDB's cache of uncompressed table blocks, shared by every column
  // family. Record reads (a match reads back its ten results) hit it instead
  // of decompressing a block from the OS page cache. 0 keeps RocksDB's own
  // small default.
  size_t block_cache_bytes = 128u << 20;
  // After a failed write (a full disk, an I/O error) the database refuses
  // writes until RocksDB's Resume() succeeds; it is tried at most this
  // often, by the next write or WriteHealth().
  absl::Duration resume_interval = absl::Seconds(1);
};

// One record written by a commit. `before` is the stored version (absent for
// a create); its index entries are replaced by those of `after`.
template <class T>
struct RecordWrite {
  std::optional<T> before;
  T after;
  techmatch::v1::ChangeEvent::Type type =
      techmatch::v1::ChangeEvent::TYPE_UNSPECIFIED;
};

using AnyRecordWrite = std::variant<
    RecordWrite<techmatch::v1::Organization>, RecordWrite<techmatch::v1::Offer>,
    RecordWrite<techmatch::v1::Need>, RecordWrite<techmatch::v1::Connection>>;

// What a commit writes besides records: API keys (put whole) and audit
// records (appended; the catalog assigns their sequences).
struct CommitExtras {
  std::vector<techmatch::v1::StoredApiKey> api_keys;
  std::vector<techmatch::v1::AuditRecord> audit;
};

class Catalog {
 public:
  // Opens (creating when missing) the database at options.path. Returns
  // FAILED_PRECONDITION for a database of another format version, and
  // UNAVAILABLE / INTERNAL for I/O errors (e.g. the directory is locked by
  // another process).
  static absl::StatusOr<std::unique_ptr<Catalog>> Open(
      const CatalogOptions& options);

  ~Catalog();
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

  // The record with `id`; NOT_FOUND when absent.
  template <class T>
  absl::StatusOr<T> Get(uint64_t id) const;

  // Reads the records with `ids` from one consistent view of the database
  // (a RocksDB MultiGet: one batched lookup instead of one per id) and
  // decodes each one present into the message `into(i)` returns, `i` being
  // its position in `ids`. `into` is called in that order, only for present
  // records (an absent id is skipped), so a caller decodes straight into a
  // message of its own, e.g. one on the response's protobuf arena, with no
  // copy. DATA_LOSS when a record cannot be decoded (the messages decoded
  // before it stay as they are).
  template <class T>
  absl::Status ReadMany(const std::vector<uint64_t>& ids,
                        absl::FunctionRef<T*(size_t)> into) const;

  // The value of the index entry (index, scope, id) decoded as an id, or
  // nullopt when absent (e.g. the open connection of a need-offer pair).
  absl::StatusOr<std::optional<uint64_t>> FindIndexed(IndexId index,
                                                      uint64_t scope,
                                                      uint64_t id) const;
  // The id the external-reference index maps (index, scope, ref) to, or
  // nullopt when absent.
  absl::StatusOr<std::optional<uint64_t>> FindByRef(IndexId index,
                                                     uint64_t scope,
                                                     absl::string_view ref) const;
  // The same for a reference key as RefKey() or NeedRefKey() make it.
  absl::StatusOr<std::optional<uint64_t>> FindByRefKey(
      absl::string_view key) const;

  // Visits records of kind T in ascending id order, starting after
  // `after_id`, until `visit` returns false.
  template <class T>
  absl::Status Scan(uint64_t after_id,
                    const std::function<bool(const T&)>& visit) const;

  // Visits the ids of entries (index, scope, id) with id > after_id, in
  // ascending id order, until `visit` returns false.
  absl::Status ScanIndex(IndexId index, uint64_t scope, uint64_t after_id,
                         const std::function<bool(uint64_t id)>& visit) const;

  // Visits (key scope, id) of the entries of `index` with scope <= max_scope
  // in ascending order, e.g. expiry entries due by a time.
  absl::Status ScanIndexUpTo(
      IndexId index, uint64_t max_scope,
      const std::function<bool(uint64_t scope, uint64_t id)>& visit) const;

  // A fresh id for a record of `kind`. Ids are never reused; an id allocated
  // but never committed leaves a gap.
  uint64_t AllocateId(RecordKind kind);

  // The largest stored form of one record. The domain's field limits keep
  // a record far below it (~150 KiB at most); it bounds what any path can
  // store, so that one record can never make a listing or a match answer
  // exceed the message size limit.
  static constexpr size_t kMaxRecordBytes = 512u << 10;

  // Atomically writes `writes` with one change-log entry each, sequenced in
  // order and stamped `commit_time`, together with `extras`. Returns the
  // change events on success; on error nothing was written:
  // INVALID_ARGUMENT when a record's stored form exceeds kMaxRecordBytes.
  absl::StatusOr<std::vector<techmatch::v1::ChangeEvent>> Commit(
      const std::vector<AnyRecordWrite>& writes, absl::Time commit_time,
      CommitExtras extras = {});

  // Appends audit records that describe no change (refusals, failed
  // calls). The WAL is not synced for them: a flood of refused calls must
  // not become a flood of fsyncs. They become durable with the next synced
  // commit or flush; a crash may lose the last few.
  absl::Status AppendAudit(std::vector<techmatch::v1::AuditRecord> records);
  // Visits audit records with sequence < before (all when 0), newest
  // first, until `visit` returns false.
  absl::Status ScanAuditBackward(
      uint64_t before,
      const std::function<bool(const techmatch::v1::AuditRecord&)>& visit)
      const;

  // Appends `alerts` (the catalog numbers them) with their pair and
  // recipient index entries, and sets the counter `cursor_name` to
  // `cursor`, in one synced batch: the alerts raised for a stretch of the
  // change log and the mark that it was processed land together or not at
  // all. Returns the alerts with their sequences.
  absl::StatusOr<std::vector<techmatch::v1::Alert>> CommitAlerts(
      std::vector<techmatch::v1::Alert> alerts, absl::string_view cursor_name,
      uint64_t cursor);
  // Visits alerts with sequence > after in order, those of `recipient`
  // only (an organisation id; 0 for all), until `visit` returns false.
  absl::Status ScanAlerts(
      uint64_t recipient, uint64_t after,
      const std::function<bool(const techmatch::v1::Alert&)>& visit) const;

  // A named counter in the meta family (0 when never set), and setting one
  // durably (synced).
  absl::StatusOr<uint64_t> GetCounter(absl::string_view name) const;
  absl::Status SetCounter(absl::string_view name, uint64_t value);

  // Every stored API key, in id order.
  absl::Status ScanApiKeys(
      const std::function<bool(const techmatch::v1::StoredApiKey&)>& visit)
      const;

  // Change-log entries with sequence > after, at most `limit`, in order.
  absl::StatusOr<std::vector<techmatch::v1::ChangeEvent>> ReadChanges(
      uint64_t after, size_t limit) const;

  // Sequence of the last committed change (0 when none).
  uint64_t last_sequence() const;

  // Backs the database up into `backup_dir` (created when missing) while
  // commits go on: the copy holds every commit up to one point in the
  // commit order and none after it. Backups are serialised.
  absl::StatusOr<uint32_t> Backup(const std::string& backup_dir);

  // Counts the records of kind T (a full scan of its family).
  template <class T>
  absl::StatusOr<uint64_t> Count() const;

  // Flushes memtables; used before taking measurements and at shutdown.
  absl::Status Flush();

  // OK while writes succeed. After a write failed on an I/O error (a full
  // disk) every write answers UNAVAILABLE, nothing written, until RocksDB
  // resumes; this tries to resume (at most every resume_interval) and
  // answers UNAVAILABLE with the cause while it cannot. Thread-safe.
  absl::Status WriteHealth();

 private:
  Catalog(rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*> handles,
          const CatalogOptions& options);
  absl::Status LoadCounters();
  // Format 1 -> 2: rewrites the need reference index under its new keys
  // and records version 2, in one synced batch (all or nothing).
  absl::Status MigrateNeedRefs();
  rocksdb::ColumnFamilyHandle* Family(ColumnFamily cf) const;
  absl::StatusOr<std::optional<std::string>> GetRaw(ColumnFamily cf,
                                                    const std::string& key) const;
  absl::Status ScanRaw(
      ColumnFamily cf, const std::string& start, const std::string& prefix,
      const std::function<bool(absl::string_view key, absl::string_view value)>&
          visit) const;
  // Writes `batch` (fsync'ed when `sync`), through the write-failure state
  // above: UNAVAILABLE, nothing written, while writes are impossible.
  absl::Status Apply(rocksdb::WriteBatch* batch, bool sync,
                     absl::string_view what);
  // Resume() when due; OK once writes are possible again.
  absl::Status TryResume();
  // Adds `records` to `batch`, numbering them from next_audit_.
  absl::Status BatchAudit(std::vector<techmatch::v1::AuditRecord>& records,
                          rocksdb::WriteBatch* batch);

  rocksdb::DB* db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  const CatalogOptions options_;
  std::atomic<uint64_t> next_id_[6] = {1, 1, 1, 1, 1, 1};
  std::atomic<uint64_t> next_audit_{1};
  std::atomic<uint64_t> next_alert_{1};
  // std::mutex rather than absl::Mutex: Debian's Abseil is not built with
  // ThreadSanitizer, which then cannot see absl::Mutex's synchronisation;
  // pthread mutexes it intercepts (TECHMATCH_TSAN builds).
  std::mutex commit_mu_;
  std::atomic<uint64_t> last_sequence_{0};
  std::mutex backup_mu_;
  // The write-failure state (see WriteHealth()).
  std::atomic<bool> write_failed_{false};
  std::mutex health_mu_;
  std::string write_error_;  // guarded by health_mu_
  absl::Time last_resume_;   // guarded by health_mu_
};

}  // namespace techmatch::storage

#endif  // TECHMATCH_STORAGE_CATALOG_H_
