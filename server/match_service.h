// gRPC front of domain::Matchmaker: thin handlers.
#ifndef TECHMATCH_SERVER_MATCH_SERVICE_H_
#define TECHMATCH_SERVER_MATCH_SERVICE_H_

#include "domain/matchmaker.h"
#include "server/authenticator.h"
#include "techmatch/v1/match_service.grpc.pb.h"

namespace techmatch::server {

class MatchService final : public techmatch::v1::MatchService::Service {
 public:
  // Borrowed pointers; both must outlive the service.
  MatchService(const domain::Matchmaker* matchmaker, Authenticator* auth)
      : matchmaker_(matchmaker), auth_(auth) {}

  grpc::Status MatchOffersForNeed(
      grpc::ServerContext*, const techmatch::v1::MatchOffersForNeedRequest*,
      techmatch::v1::MatchOffersForNeedResponse*) override;
  grpc::Status MatchNeedsForOffer(
      grpc::ServerContext*, const techmatch::v1::MatchNeedsForOfferRequest*,
      techmatch::v1::MatchNeedsForOfferResponse*) override;
  grpc::Status SearchOffers(grpc::ServerContext*,
                            const techmatch::v1::SearchRequest*,
                            techmatch::v1::SearchOffersResponse*) override;
  grpc::Status SearchNeeds(grpc::ServerContext*,
                           const techmatch::v1::SearchRequest*,
                           techmatch::v1::SearchNeedsResponse*) override;

 private:
  const domain::Matchmaker* const matchmaker_;
  Authenticator* const auth_;
};

}  // namespace techmatch::server

#endif  // TECHMATCH_SERVER_MATCH_SERVICE_H_
