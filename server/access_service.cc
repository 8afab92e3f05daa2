#include "server/access_service.h"

#include "server/status_mapping.h"

namespace techmatch::server {

namespace v1 = techmatch::v1;
using grpc::ServerContext;
using grpc::Status;

Status AccessService::CreateApiKey(ServerContext* context,
                                   const v1::CreateApiKeyRequest* request,
                                   v1::CreateApiKeyResponse* response) {
  return auth_->Serve(context, "AccessService.CreateApiKey", *request,
                      [&](const domain::Caller& caller) {
                        return Reply(keys_->Create(caller, *request), response);
                      });
}

Status AccessService::ListApiKeys(ServerContext* context,
                                  const v1::ListApiKeysRequest* request,
                                  v1::ListApiKeysResponse* response) {
  return auth_->Serve(context, "AccessService.ListApiKeys", *request,
                      [&](const domain::Caller& caller) {
                        return Reply(keys_->List(caller, *request), response);
                      });
}

Status AccessService::RevokeApiKey(ServerContext* context,
                                   const v1::RevokeApiKeyRequest* request,
                                   v1::ApiKey* response) {
  return auth_->Serve(context, "AccessService.RevokeApiKey", *request,
                      [&](const domain::Caller& caller) {
                        return Reply(keys_->Revoke(caller, *request), response);
                      });
}

Status AccessService::GetCaller(ServerContext* context,
                                const v1::GetCallerRequest* request,
                                v1::Caller* response) {
  return auth_->Serve(context, "AccessService.GetCaller", *request,
                      [&](const domain::Caller& caller) {
                        return Reply(keys_->Describe(caller), response);
                      });
}

Status AccessService::ListAuditRecords(
    ServerContext* context, const v1::ListAuditRecordsRequest* request,
    v1::ListAuditRecordsResponse* response) {
  return auth_->Serve(context, "AccessService.ListAuditRecords", *request,
                      [&](const domain::Caller& caller) {
                        return Reply(audit_->List(caller, *request), response);
                      });
}

}  // namespace techmatch::server
