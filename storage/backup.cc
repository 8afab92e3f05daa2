#include "storage/backup.h"

#include <rocksdb/env.h>
#include <rocksdb/utilities/backup_engine.h>

#include <filesystem>
#include <memory>

#include "absl/strings/str_cat.h"
#include "storage/rocks_status.h"

namespace techmatch::storage {

namespace {

absl::StatusOr<std::unique_ptr<rocksdb::BackupEngineReadOnly>> OpenReadOnly(
    const std::string& backup_dir) {
  if (!std::filesystem::exists(backup_dir)) {
    return absl::NotFoundError(
        absl::StrCat("no backup directory ", backup_dir));
  }
  rocksdb::BackupEngineReadOnly* engine = nullptr;
  absl::Status opened =
      FromRocks(rocksdb::BackupEngineReadOnly::Open(
                    rocksdb::BackupEngineOptions(backup_dir),
                    rocksdb::Env::Default(), &engine),
                absl::StrCat("opening backups in ", backup_dir));
  if (!opened.ok()) return opened;
  return std::unique_ptr<rocksdb::BackupEngineReadOnly>(engine);
}

}  // namespace

absl::StatusOr<std::vector<BackupSummary>> ListBackups(
    const std::string& backup_dir) {
  std::vector<BackupSummary> out;
  if (!std::filesystem::exists(backup_dir)) return out;
  auto engine = OpenReadOnly(backup_dir);
  if (!engine.ok()) return engine.status();
  std::vector<rocksdb::BackupInfo> infos;
  (*engine)->GetBackupInfo(&infos);
  for (const auto& info : infos) {
    out.push_back(
        {info.backup_id, info.timestamp, info.size, info.number_files});
  }
  return out;
}

absl::Status VerifyBackup(const std::string& backup_dir, uint32_t id) {
  auto engine = OpenReadOnly(backup_dir);
  if (!engine.ok()) return engine.status();
  return FromRocks((*engine)->VerifyBackup(id, /*verify_with_checksum=*/true),
                   absl::StrCat("verifying backup ", id));
}

absl::Status RestoreBackup(const std::string& backup_dir, uint32_t id,
                           const std::string& target_dir) {
  std::error_code ec;
  if (std::filesystem::exists(target_dir, ec) &&
      !std::filesystem::is_empty(target_dir, ec)) {
    return absl::FailedPreconditionError(absl::StrCat(
        target_dir, " is not empty; restore into a new directory"));
  }
  auto engine = OpenReadOnly(backup_dir);
  if (!engine.ok()) return engine.status();
  return FromRocks((*engine)->RestoreDBFromBackup(rocksdb::RestoreOptions(), id,
                                                  target_dir, target_dir),
                   absl::StrCat("restoring backup ", id, " into ", target_dir));
}

}  // namespace techmatch::storage
