// gRPC front of domain::Backups: thin handlers.
#ifndef TECHMATCH_SERVER_ADMIN_SERVICE_H_
#define TECHMATCH_SERVER_ADMIN_SERVICE_H_

#include "domain/backups.h"
#include "server/authenticator.h"
#include "techmatch/v1/admin.grpc.pb.h"

namespace techmatch::server {

class AdminService final : public techmatch::v1::AdminService::Service {
 public:
  // Borrowed pointers; both must outlive the service.
  AdminService(domain::Backups* backups, Authenticator* auth)
      : backups_(backups), auth_(auth) {}

  grpc::Status CreateBackup(grpc::ServerContext*,
                            const techmatch::v1::CreateBackupRequest*,
                            techmatch::v1::Backup*) override;
  grpc::Status ListBackups(grpc::ServerContext*,
                           const techmatch::v1::ListBackupsRequest*,
                           techmatch::v1::ListBackupsResponse*) override;
  grpc::Status VerifyBackup(grpc::ServerContext*,
                            const techmatch::v1::VerifyBackupRequest*,
                            techmatch::v1::Backup*) override;
  grpc::Status RestoreBackup(grpc::ServerContext*,
                             const techmatch::v1::RestoreBackupRequest*,
                             techmatch::v1::RestoreBackupResponse*) override;

 private:
  domain::Backups* const backups_;
  Authenticator* const auth_;
};

}  // namespace techmatch::server

#endif  // TECHMATCH_SERVER_ADMIN_SERVICE_H_
