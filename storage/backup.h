// Backups of a catalog's database with RocksDB's BackupEngine: taken online
// (Catalog::Backup), listed, verified against their checksums, and
// restored into a new directory. Files shared between backups are stored
// once (incremental).
#ifndef TECHMATCH_STORAGE_BACKUP_H_
#define TECHMATCH_STORAGE_BACKUP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace techmatch::storage {

struct BackupSummary {
  uint32_t id = 0;
  int64_t unix_seconds = 0;
  uint64_t size_bytes = 0;
  uint32_t files = 0;
};

// The backups in `backup_dir`, oldest first (empty when there is none).
absl::StatusOr<std::vector<BackupSummary>> ListBackups(
    const std::string& backup_dir);

// Re-reads every file of backup `id` and checks sizes and checksums.
// NOT_FOUND for an unknown id; DATA_LOSS for a damaged backup.
absl::Status VerifyBackup(const std::string& backup_dir, uint32_t id);

// Restores backup `id` into `target_dir`, which must not exist or be empty
// (FAILED_PRECONDITION otherwise): a restore never overwrites data.
absl::Status RestoreBackup(const std::string& backup_dir, uint32_t id,
                           const std::string& target_dir);

}  // namespace techmatch::storage

#endif  // TECHMATCH_STORAGE_BACKUP_H_
