// gRPC front of domain::ConnectionBook: thin handlers.
#ifndef TECHMATCH_SERVER_CONNECTION_SERVICE_H_
#define TECHMATCH_SERVER_CONNECTION_SERVICE_H_

#include "domain/connection_book.h"
#include "server/authenticator.h"
#include "techmatch/v1/connection.grpc.pb.h"

namespace techmatch::server {

class ConnectionService final
    : public techmatch::v1::ConnectionService::Service {
 public:
  // Borrowed pointers; both must outlive the service.
  ConnectionService(domain::ConnectionBook* book, Authenticator* auth)
      : book_(book), auth_(auth) {}

  grpc::Status CreateConnection(grpc::ServerContext*,
                                const techmatch::v1::CreateConnectionRequest*,
                                techmatch::v1::Connection*) override;
  grpc::Status GetConnection(grpc::ServerContext*,
                             const techmatch::v1::GetConnectionRequest*,
                             techmatch::v1::Connection*) override;
  grpc::Status TransitionConnection(
      grpc::ServerContext*, const techmatch::v1::TransitionConnectionRequest*,
      techmatch::v1::Connection*) override;
  grpc::Status ListConnections(
      grpc::ServerContext*, const techmatch::v1::ListConnectionsRequest*,
      techmatch::v1::ListConnectionsResponse*) override;

 private:
  domain::ConnectionBook* const book_;
  Authenticator* const auth_;
};

}  // namespace techmatch::server

#endif  // TECHMATCH_SERVER_CONNECTION_SERVICE_H_
