// gRPC front of the KeyStore and the AuditLog: thin handlers.
#ifndef TECHMATCH_SERVER_ACCESS_SERVICE_H_
#define TECHMATCH_SERVER_ACCESS_SERVICE_H_

#include "domain/audit_log.h"
#include "domain/key_store.h"
#include "server/authenticator.h"
#include "techmatch/v1/access.grpc.pb.h"

namespace techmatch::server {

class AccessService final : public techmatch::v1::AccessService::Service {
 public:
  // Borrowed pointers; all must outlive the service.
  AccessService(domain::KeyStore* keys, domain::AuditLog* audit,
                Authenticator* auth)
      : keys_(keys), audit_(audit), auth_(auth) {}

  grpc::Status CreateApiKey(grpc::ServerContext*,
                            const techmatch::v1::CreateApiKeyRequest*,
                            techmatch::v1::CreateApiKeyResponse*) override;
  grpc::Status ListApiKeys(grpc::ServerContext*,
                           const techmatch::v1::ListApiKeysRequest*,
                           techmatch::v1::ListApiKeysResponse*) override;
  grpc::Status RevokeApiKey(grpc::ServerContext*,
                            const techmatch::v1::RevokeApiKeyRequest*,
                            techmatch::v1::ApiKey*) override;
  grpc::Status GetCaller(grpc::ServerContext*,
                         const techmatch::v1::GetCallerRequest*,
                         techmatch::v1::Caller*) override;
  grpc::Status ListAuditRecords(
      grpc::ServerContext*, const techmatch::v1::ListAuditRecordsRequest*,
      techmatch::v1::ListAuditRecordsResponse*) override;

 private:
  domain::KeyStore* const keys_;
  domain::AuditLog* const audit_;
  Authenticator* const auth_;
};

}  // namespace techmatch::server

#endif  // TECHMATCH_SERVER_ACCESS_SERVICE_H_
