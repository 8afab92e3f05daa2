#include "matching/snapshot_io.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <filesystem>

#include "absl/strings/str_cat.h"

namespace techmatch::matching {
namespace {

uint32_t Crc(uint32_t crc, const uint8_t* data, size_t n) {
  // zlib takes uInt lengths: feed large spans in pieces.
  while (n > 0) {
    const size_t piece = std::min<size_t>(n, 1u << 30);
    crc = static_cast<uint32_t>(crc32(crc, data, static_cast<uInt>(piece)));
    data += piece;
    n -= piece;
  }
  return crc;
}

absl::Status Errno(const std::string& what, const std::string& path) {
  return absl::InternalError(
      absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

}  // namespace

// --- SnapshotWriter ---

absl::StatusOr<std::unique_ptr<SnapshotWriter>> SnapshotWriter::Create(
    const std::string& path) {
  std::FILE* file = std::fopen((path + ".tmp").c_str(), "wb");
  if (file == nullptr) return Errno("cannot create", path + ".tmp");
  return std::unique_ptr<SnapshotWriter>(new SnapshotWriter(path, file));
}

std::unique_ptr<SnapshotWriter> SnapshotWriter::InMemory() {
  return std::unique_ptr<SnapshotWriter>(new SnapshotWriter("", nullptr));
}

SnapshotWriter::SnapshotWriter(std::string path, std::FILE* file)
    : path_(std::move(path)),
      file_(file),
      buffer_(new uint8_t[kBuffer]),
      crc_(static_cast<uint32_t>(crc32(0, nullptr, 0))) {}

SnapshotWriter::~SnapshotWriter() {
  if (file_ != nullptr) std::fclose(file_);
  if (!committed_ && !path_.empty()) std::remove((path_ + ".tmp").c_str());
}

void SnapshotWriter::Flush() {
  Direct(buffer_.get(), used_);
  used_ = 0;
}

void SnapshotWriter::Direct(const void* data, size_t n) {
  const auto* bytes = static_cast<const uint8_t*>(data);
  crc_ = Crc(crc_, bytes, n);
  flushed_ += n;
  if (file_ == nullptr) {
    memory_.append(reinterpret_cast<const char*>(bytes), n);
  } else if (!failed_ && std::fwrite(bytes, 1, n, file_) != n) {
    failed_ = true;
  }
}

absl::Status SnapshotWriter::Commit() {
  if (file_ == nullptr) {
    return absl::FailedPreconditionError(
        path_.empty() ? "an in-memory snapshot has no file"
                      : "snapshot already committed");
  }
  Flush();
  const uint32_t crc = crc_;
  const std::string tmp = path_ + ".tmp";
  if (failed_ || std::fwrite(&crc, 1, sizeof crc, file_) != sizeof crc ||
      std::fflush(file_) != 0 || ::fsync(fileno(file_)) != 0) {
    return Errno("cannot write", tmp);
  }
  const int closed = std::fclose(file_);
  file_ = nullptr;
  if (closed != 0) return Errno("cannot close", tmp);
  if (std::rename(tmp.c_str(), path_.c_str()) != 0) {
    return Errno("cannot rename over", path_);
  }
  committed_ = true;
  // Make the rename itself durable.
  std::string dir = std::filesystem::path(path_).parent_path().string();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return Errno("cannot open directory", dir);
  const int synced = ::fsync(fd);
  ::close(fd);
  if (synced != 0) return Errno("cannot sync directory", dir);
  return absl::OkStatus();
}

// --- SnapshotReader ---

absl::StatusOr<std::unique_ptr<SnapshotReader>> SnapshotReader::Open(
    const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    if (errno == ENOENT) return absl::NotFoundError(path + ": no snapshot");
    return Errno("cannot open", path);
  }
  std::error_code error;
  const uint64_t size = std::filesystem::file_size(path, error);
  if (error) {
    std::fclose(file);
    return absl::InternalError(
        absl::StrCat("cannot stat ", path, ": ", error.message()));
  }
  return std::unique_ptr<SnapshotReader>(new SnapshotReader(path, file, size));
}

SnapshotReader::SnapshotReader(std::string path, std::FILE* file, uint64_t size)
    : path_(std::move(path)),
      file_(file),
      size_(size),
      buffer_(new uint8_t[kBuffer]),
      crc_(static_cast<uint32_t>(crc32(0, nullptr, 0))) {
  if (size_ < sizeof(uint32_t)) error_ = "shorter than its checksum";
}

SnapshotReader::~SnapshotReader() { std::fclose(file_); }

uint64_t SnapshotReader::Remaining() const {
  const uint64_t data_end = size_ < 4 ? 0 : size_ - 4;
  return data_end - consumed_ - pos_;
}

bool SnapshotReader::Refill() {
  crc_ = Crc(crc_, buffer_.get(), used_);
  consumed_ += used_;
  used_ = pos_ = 0;
  const uint64_t data_end = size_ - 4;
  const size_t want =
      static_cast<size_t>(std::min<uint64_t>(kBuffer, data_end - consumed_));
  if (want == 0) return false;
  if (std::fread(buffer_.get(), 1, want, file_) != want) {
    error_ = "read failed or the file shrank";
    return false;
  }
  used_ = want;
  return true;
}

bool SnapshotReader::Slow(void* out, size_t n) {
  if (!ok()) return false;
  auto* dest = static_cast<uint8_t*>(out);
  while (n > 0) {
    if (pos_ == used_ && !Refill()) {
      if (ok()) error_ = "ends early";
      return false;
    }
    const size_t take = std::min(n, used_ - pos_);
    std::memcpy(dest, buffer_.get() + pos_, take);
    pos_ += take;
    dest += take;
    n -= take;
  }
  return true;
}

bool SnapshotReader::Length(uint64_t* n, size_t item_bytes) {
  if (!Pod(n)) return false;
  if (*n > Remaining() / std::max<size_t>(item_bytes, 1)) {
    Fail("a length runs past the end of the file");
    return false;
  }
  return true;
}

void SnapshotReader::Fail(std::string_view what) {
  if (ok()) error_ = std::string(what);
  used_ = pos_ = 0;
}

absl::Status SnapshotReader::Finish() {
  if (ok() && Remaining() != 0) error_ = "has bytes after its contents";
  if (ok()) {
    crc_ = Crc(crc_, buffer_.get(), used_);
    uint32_t stored = 0;
    if (std::fread(&stored, 1, sizeof stored, file_) != sizeof stored) {
      error_ = "cannot read its checksum";
    } else if (stored != crc_) {
      error_ = "checksum mismatch (damaged)";
    }
  }
  if (ok()) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat("snapshot ", path_, ": ", error_));
}

}  // namespace techmatch::matching
