// SnapshotWriter / SnapshotReader: the binary file format of index snapshots
// (see Matcher::Save). A snapshot is a stream of fixed-width little-endian
// values, length-prefixed strings and arrays, ended by a CRC-32 (zlib) of
// everything before it.
//
// The writer fills `path`.tmp and renames it over `path` only after the
// data and the checksum are on disk (fsync'ed), so a crash while saving
// leaves the previous snapshot, never a torn one. The reader checks every
// length against the bytes left in the file, so a truncated or damaged file
// fails cleanly instead of allocating wildly; Finish() verifies the checksum,
// and callers must not use what they read before Finish() returns OK.
//
// Neither class is thread-safe. Values are written in the host's byte order
// (x86-64 and arm64 alike are little-endian); a snapshot is a cache on one
// host, never an exchange format.
#ifndef TECHMATCH_MATCHING_SNAPSHOT_IO_H_
#define TECHMATCH_MATCHING_SNAPSHOT_IO_H_

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace techmatch::matching {

class SnapshotWriter {
 public:
  // Opens `path`.tmp for writing (truncating it). IO errors carry the path.
  static absl::StatusOr<std::unique_ptr<SnapshotWriter>> Create(
      const std::string& path);
  // A writer that keeps the bytes in memory (see memory()); it cannot be
  // committed. For comparing what would be saved.
  static std::unique_ptr<SnapshotWriter> InMemory();
  // Removes the temporary file unless Commit() succeeded.
  ~SnapshotWriter();
  SnapshotWriter(const SnapshotWriter&) = delete;
  SnapshotWriter& operator=(const SnapshotWriter&) = delete;

  // Appends `n` raw bytes.
  void Bytes(const void* data, size_t n) {
    if (n == 0) return;  // (`data` may be null: an empty vector's data)
    if (n > kBuffer - used_) {
      Flush();
      if (n >= kBuffer) {
        Direct(data, n);
        return;
      }
    }
    std::memcpy(buffer_.get() + used_, data, n);
    used_ += n;
  }
  // Appends a trivially copyable value.
  template <class T>
  void Pod(const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    Bytes(&value, sizeof value);
  }
  // Appends a length-prefixed string.
  void String(std::string_view s) {
    Pod<uint64_t>(s.size());
    Bytes(s.data(), s.size());
  }
  // Appends a length-prefixed array of trivially copyable values.
  template <class T>
  void PodVector(const std::vector<T>& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    Pod<uint64_t>(v.size());
    Bytes(v.data(), v.size() * sizeof(T));
  }

  // Writes the checksum, syncs the file and renames it to its final path
  // (then syncs the directory). Any earlier write error is reported here.
  absl::Status Commit();

  // Bytes written so far.
  uint64_t written() const { return flushed_ + used_; }

  // An InMemory() writer's bytes so far (no checksum); empty otherwise.
  const std::string& memory() {
    if (file_ == nullptr) Flush();
    return memory_;
  }

 private:
  static constexpr size_t kBuffer = 1 << 20;
  SnapshotWriter(std::string path, std::FILE* file);
  void Flush();
  void Direct(const void* data, size_t n);

  std::string path_;
  std::FILE* file_;  // null: in memory
  std::string memory_;
  std::unique_ptr<uint8_t[]> buffer_;
  size_t used_ = 0;
  uint64_t flushed_ = 0;
  uint32_t crc_;
  bool failed_ = false;
  bool committed_ = false;
};

class SnapshotReader {
 public:
  // Opens `path`; NOT_FOUND when it does not exist.
  static absl::StatusOr<std::unique_ptr<SnapshotReader>> Open(
      const std::string& path);
  ~SnapshotReader();
  SnapshotReader(const SnapshotReader&) = delete;
  SnapshotReader& operator=(const SnapshotReader&) = delete;

  // Reads `n` raw bytes into `out`; false (and !ok()) when the file ends
  // first or cannot be read. After a failure every read fails.
  bool Bytes(void* out, size_t n) {
    if (n == 0) return ok();  // (`out` may be null: an empty vector's data)
    if (n <= used_ - pos_) {
      std::memcpy(out, buffer_.get() + pos_, n);
      pos_ += n;
      return true;
    }
    return Slow(out, n);
  }
  template <class T>
  bool Pod(T* value) {
    static_assert(std::is_trivially_copyable_v<T>);
    return Bytes(value, sizeof *value);
  }
  // A length-prefixed string.
  bool String(std::string* s) {
    uint64_t n = 0;
    if (!Length(&n, 1)) return false;
    s->resize(n);
    return Bytes(s->data(), n);
  }
  template <class T>
  bool PodVector(std::vector<T>* v) {
    static_assert(std::is_trivially_copyable_v<T>);
    uint64_t n = 0;
    if (!Length(&n, sizeof(T))) return false;
    v->resize(n);
    return Bytes(v->data(), n * sizeof(T));
  }
  // Reads a count of items of `item_bytes` each (at least 1) and checks
  // that that many could still follow in the file.
  bool Length(uint64_t* n, size_t item_bytes);

  // True when `bytes` more bytes could still follow in the file.
  bool Has(uint64_t bytes) const { return ok() && bytes <= Remaining(); }

  // Marks the snapshot as malformed (a value out of range); `what` says
  // where.
  void Fail(std::string_view what);

  // OK when nothing failed, the checksum matches and the file ends here.
  absl::Status Finish();

  bool ok() const { return error_.empty(); }

 private:
  static constexpr size_t kBuffer = 1 << 20;
  SnapshotReader(std::string path, std::FILE* file, uint64_t size);
  bool Slow(void* out, size_t n);
  bool Refill();
  // Bytes of the file not yet consumed, the checksum excluded.
  uint64_t Remaining() const;

  std::string path_;
  std::FILE* file_;  // null: in memory
  std::string memory_;
  uint64_t size_;          // of the file, checksum included
  uint64_t consumed_ = 0;  // bytes before buffer_[0]
  std::unique_ptr<uint8_t[]> buffer_;
  size_t used_ = 0;
  size_t pos_ = 0;
  uint32_t crc_;  // of buffer contents before buffer_[0]
  std::string error_;
};

}  // namespace techmatch::matching

#endif  // TECHMATCH_MATCHING_SNAPSHOT_IO_H_
