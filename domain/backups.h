// Backups: the domain side of online backup, verification and restore, for
// ADMIN keys only (PERMISSION_DENIED otherwise); every call is audited.
// The backup directory is the server's (--backup_dir); a restore goes into
// a new directory on the server's host and is then opened and counted, so
// a bad copy is found at restore time, not at the next start.
//
// Thread-safety: all methods are safe to call concurrently.
#ifndef TECHMATCH_DOMAIN_BACKUPS_H_
#define TECHMATCH_DOMAIN_BACKUPS_H_

#include <string>

#include "absl/status/statusor.h"
#include "domain/access.h"
#include "domain/audit_log.h"
#include "storage/catalog.h"
#include "techmatch/v1/admin.pb.h"

namespace techmatch::domain {

class Backups {
 public:
  // Borrowed pointers; all must outlive the object. An empty `backup_dir`
  // disables backups (FAILED_PRECONDITION).
  Backups(storage::Catalog* catalog, std::string backup_dir, AuditLog* audit)
      : catalog_(catalog), backup_dir_(std::move(backup_dir)), audit_(audit) {}

  absl::StatusOr<techmatch::v1::Backup> Create(const Caller& caller);
  absl::StatusOr<techmatch::v1::ListBackupsResponse> List(
      const Caller& caller) const;
  absl::StatusOr<techmatch::v1::Backup> Verify(const Caller& caller,
                                               uint32_t id) const;
  absl::StatusOr<techmatch::v1::RestoreBackupResponse> Restore(
      const Caller& caller,
      const techmatch::v1::RestoreBackupRequest& request) const;

 private:
  // OK for an ADMIN with backups configured; else the refusal (audited).
  absl::Status Check(const Caller& caller) const;
  // The audited outcome of a call.
  template <class T>
  absl::StatusOr<T> Audited(const Caller& caller, const std::string& object,
                            absl::StatusOr<T> result) const;
  absl::StatusOr<techmatch::v1::Backup> Find(uint32_t id) const;

  storage::Catalog* const catalog_;
  const std::string backup_dir_;
  AuditLog* const audit_;
};

}  // namespace techmatch::domain

#endif  // TECHMATCH_DOMAIN_BACKUPS_H_
