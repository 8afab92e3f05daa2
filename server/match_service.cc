#include "server/match_service.h"

#include "server/status_mapping.h"

namespace techmatch::server {

namespace v1 = techmatch::v1;
using grpc::ServerContext;
using grpc::Status;

grpc::ServerUnaryReactor* MatchService::MatchOffersForNeed(
    grpc::CallbackServerContext* context,
    const v1::MatchOffersForNeedRequest* request,
    v1::MatchOffersForNeedResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(auth_->Serve(context, "MatchService.MatchOffersForNeed",
                               *request, [&](const domain::Caller& caller) {
                                 return ToGrpcStatus(matchmaker_->OffersForNeed(
                                     caller, *request, response));
                               }));
  return reactor;
}

Status MatchService::MatchNeedsForOffer(
    ServerContext* context, const v1::MatchNeedsForOfferRequest* request,
    v1::MatchNeedsForOfferResponse* response) {
  return auth_->Serve(context, "MatchService.MatchNeedsForOffer", *request,
                      [&](const domain::Caller& caller) {
                        return ToGrpcStatus(matchmaker_->NeedsForOffer(
                            caller, *request, response));
                      });
}

Status MatchService::SearchOffers(ServerContext* context,
                                  const v1::SearchRequest* request,
                                  v1::SearchOffersResponse* response) {
  return auth_->Serve(
      context, "MatchService.SearchOffers", *request,
      [&](const domain::Caller&) {
        return ToGrpcStatus(matchmaker_->SearchOffers(*request, response));
      });
}

Status MatchService::SearchNeeds(ServerContext* context,
                                 const v1::SearchRequest* request,
                                 v1::SearchNeedsResponse* response) {
  return auth_->Serve(
      context, "MatchService.SearchNeeds", *request,
      [&](const domain::Caller&) {
        return ToGrpcStatus(matchmaker_->SearchNeeds(*request, response));
      });
}

}  // namespace techmatch::server
