#include "server/admin_service.h"

#include "server/status_mapping.h"

namespace techmatch::server {

namespace v1 = techmatch::v1;
using grpc::ServerContext;
using grpc::Status;

Status AdminService::CreateBackup(ServerContext* context,
                                  const v1::CreateBackupRequest* request,
                                  v1::Backup* response) {
  return auth_->Serve(context, "AdminService.CreateBackup", *request,
                      [&](const domain::Caller& caller) {
                        return Reply(backups_->Create(caller), response);
                      });
}

Status AdminService::ListBackups(ServerContext* context,
                                 const v1::ListBackupsRequest* request,
                                 v1::ListBackupsResponse* response) {
  return auth_->Serve(context, "AdminService.ListBackups", *request,
                      [&](const domain::Caller& caller) {
                        return Reply(backups_->List(caller), response);
                      });
}

Status AdminService::VerifyBackup(ServerContext* context,
                                  const v1::VerifyBackupRequest* request,
                                  v1::Backup* response) {
  return auth_->Serve(context, "AdminService.VerifyBackup", *request,
                      [&](const domain::Caller& caller) {
                        return Reply(backups_->Verify(caller, request->id()),
                                     response);
                      });
}

Status AdminService::RestoreBackup(ServerContext* context,
                                   const v1::RestoreBackupRequest* request,
                                   v1::RestoreBackupResponse* response) {
  return auth_->Serve(context, "AdminService.RestoreBackup", *request,
                      [&](const domain::Caller& caller) {
                        return Reply(backups_->Restore(caller, *request),
                                     response);
                      });
}

}  // namespace techmatch::server
