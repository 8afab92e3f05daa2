#include "domain/backups.h"

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "google/protobuf/util/time_util.h"
#include "storage/backup.h"

namespace techmatch::domain {

namespace v1 = techmatch::v1;

namespace {

v1::Backup ToProto(const storage::BackupSummary& s) {
  v1::Backup b;
  b.set_id(s.id);
  *b.mutable_create_time() =
      google::protobuf::util::TimeUtil::SecondsToTimestamp(s.unix_seconds);
  b.set_size_bytes(s.size_bytes);
  b.set_files(s.files);
  return b;
}

}  // namespace

absl::Status Backups::Check(const Caller& caller) const {
  absl::Status refusal;
  if (!caller.principal.admin()) {
    refusal = absl::PermissionDeniedError("only ADMIN keys manage backups");
  } else if (backup_dir_.empty()) {
    refusal = absl::FailedPreconditionError(
        "backups are off: start techmatchd with --backup_dir");
  }
  if (!refusal.ok()) audit_->AppendRefusal(caller, "", refusal);
  return refusal;
}

template <class T>
absl::StatusOr<T> Backups::Audited(const Caller& caller,
                                   const std::string& object,
                                   absl::StatusOr<T> result) const {
  audit_->AppendRefusal(caller, object, result.status());
  return result;
}

absl::StatusOr<v1::Backup> Backups::Find(uint32_t id) const {
  TM_ASSIGN_OR_RETURN(std::vector<storage::BackupSummary> all,
                      storage::ListBackups(backup_dir_));
  for (const auto& s : all) {
    if (s.id == id) return ToProto(s);
  }
  return absl::NotFoundError(
      absl::StrCat("no backup ", id, " in ", backup_dir_));
}

absl::StatusOr<v1::Backup> Backups::Create(const Caller& caller) {
  TM_RETURN_IF_ERROR(Check(caller));
  absl::StatusOr<uint32_t> id = catalog_->Backup(backup_dir_);
  absl::StatusOr<v1::Backup> result = id.ok() ? Find(*id) : id.status();
  return Audited(caller, id.ok() ? absl::StrCat("backups/", *id) : "",
                 std::move(result));
}

absl::StatusOr<v1::ListBackupsResponse> Backups::List(
    const Caller& caller) const {
  TM_RETURN_IF_ERROR(Check(caller));
  TM_ASSIGN_OR_RETURN(std::vector<storage::BackupSummary> all,
                      storage::ListBackups(backup_dir_));
  v1::ListBackupsResponse response;
  for (const auto& s : all) *response.add_backups() = ToProto(s);
  return response;
}

absl::StatusOr<v1::Backup> Backups::Verify(const Caller& caller,
                                           uint32_t id) const {
  TM_RETURN_IF_ERROR(Check(caller));
  absl::Status verified = storage::VerifyBackup(backup_dir_, id);
  absl::StatusOr<v1::Backup> result = verified.ok() ? Find(id) : verified;
  return Audited(caller, absl::StrCat("backups/", id), std::move(result));
}

absl::StatusOr<v1::RestoreBackupResponse> Backups::Restore(
    const Caller& caller, const v1::RestoreBackupRequest& request) const {
  TM_RETURN_IF_ERROR(Check(caller));
  auto restore = [&]() -> absl::StatusOr<v1::RestoreBackupResponse> {
    if (request.target_dir().empty()) {
      return absl::InvalidArgumentError("target_dir: is required");
    }
    TM_RETURN_IF_ERROR(storage::RestoreBackup(backup_dir_, request.id(),
                                              request.target_dir()));
    // Open the copy: a restore that cannot be opened is found now.
    storage::CatalogOptions options;
    options.path = request.target_dir();
    TM_ASSIGN_OR_RETURN(std::unique_ptr<storage::Catalog> copy,
                        storage::Catalog::Open(options));
    v1::RestoreBackupResponse response;
    response.set_target_dir(request.target_dir());
    TM_ASSIGN_OR_RETURN(uint64_t orgs, copy->Count<v1::Organization>());
    TM_ASSIGN_OR_RETURN(uint64_t offers, copy->Count<v1::Offer>());
    TM_ASSIGN_OR_RETURN(uint64_t needs, copy->Count<v1::Need>());
    TM_ASSIGN_OR_RETURN(uint64_t connections, copy->Count<v1::Connection>());
    response.set_organizations(orgs);
    response.set_offers(offers);
    response.set_needs(needs);
    response.set_connections(connections);
    response.set_last_change_sequence(copy->last_sequence());
    return response;
  };
  return Audited(caller, absl::StrCat("backups/", request.id()), restore());
}

}  // namespace techmatch::domain
