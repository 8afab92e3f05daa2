#include "server/match_service.h"

#include "server/status_mapping.h"

namespace techmatch::server {

namespace v1 = techmatch::v1;
using grpc::ServerContext;
using grpc::Status;

Status MatchService::MatchOffersForNeed(
    ServerContext*, const v1::MatchOffersForNeedRequest* request,
    v1::MatchOffersForNeedResponse* response) {
  return Reply(matchmaker_->OffersForNeed(*request), response);
}

Status MatchService::MatchNeedsForOffer(
    ServerContext*, const v1::MatchNeedsForOfferRequest* request,
    v1::MatchNeedsForOfferResponse* response) {
  return Reply(matchmaker_->NeedsForOffer(*request), response);
}

Status MatchService::SearchOffers(ServerContext*, const v1::SearchRequest* request,
                                  v1::SearchOffersResponse* response) {
  return Reply(matchmaker_->SearchOffers(*request), response);
}

Status MatchService::SearchNeeds(ServerContext*, const v1::SearchRequest* request,
                                 v1::SearchNeedsResponse* response) {
  return Reply(matchmaker_->SearchNeeds(*request), response);
}

}  // namespace techmatch::server
