#include "server/connection_service.h"

#include "server/status_mapping.h"

namespace techmatch::server {

namespace v1 = techmatch::v1;
using grpc::ServerContext;
using grpc::Status;

Status ConnectionService::CreateConnection(
    ServerContext* context, const v1::CreateConnectionRequest* request,
    v1::Connection* response) {
  return auth_->Serve(context, "ConnectionService.CreateConnection", *request,
                      [&](const domain::Caller& caller) {
                        return Reply(book_->Create(caller, *request), response);
                      });
}

Status ConnectionService::GetConnection(ServerContext* context,
                                        const v1::GetConnectionRequest* request,
                                        v1::Connection* response) {
  return auth_->Serve(context, "ConnectionService.GetConnection", *request,
                      [&](const domain::Caller& caller) {
                        return Reply(book_->Get(caller, request->name()),
                                     response);
                      });
}

Status ConnectionService::TransitionConnection(
    ServerContext* context, const v1::TransitionConnectionRequest* request,
    v1::Connection* response) {
  return auth_->Serve(context, "ConnectionService.TransitionConnection",
                      *request, [&](const domain::Caller& caller) {
                        return Reply(book_->Transition(caller, *request),
                                     response);
                      });
}

Status ConnectionService::ListConnections(
    ServerContext* context, const v1::ListConnectionsRequest* request,
    v1::ListConnectionsResponse* response) {
  return auth_->Serve(context, "ConnectionService.ListConnections", *request,
                      [&](const domain::Caller& caller) {
                        return Reply(book_->List(caller, *request), response);
                      });
}

}  // namespace techmatch::server
