// gRPC front of domain::Matchmaker: thin handlers.
#ifndef TECHMATCH_SERVER_MATCH_SERVICE_H_
#define TECHMATCH_SERVER_MATCH_SERVICE_H_

#include "domain/matchmaker.h"
#include "server/arena_allocator.h"
#include "server/authenticator.h"
#include "techmatch/v1/match_service.grpc.pb.h"

namespace techmatch::server {

// MatchOffersForNeed, the hot call, is served through gRPC's callback API:
// its handler runs on gRPC's callback threads (one per core here) instead of
// one of up to 32 synchronous serving threads, so at most that many matches
// run at once and they are not switched out mid-match. At 1M offers and 16
// clients: ~4% less CPU per call, ~7% more calls per second (six alternated
// pairs, docs/performance.md, round ten). The trade-off: a record read that
// waits on the disk holds one of those threads (the catalogue is expected in
// the page cache). Each call's request and response live on one protobuf
// arena (ArenaMessageAllocator), the response built in place. The other
// methods stay synchronous.
class MatchService final
    : public techmatch::v1::MatchService::WithCallbackMethod_MatchOffersForNeed<
          techmatch::v1::MatchService::Service> {
 public:
  // Borrowed pointers; both must outlive the service.
  MatchService(const domain::Matchmaker* matchmaker, Authenticator* auth)
      : matchmaker_(matchmaker), auth_(auth) {
    SetMessageAllocatorFor_MatchOffersForNeed(&offers_for_need_allocator_);
  }

  // Answers on the calling gRPC thread (a match is CPU work of about a
  // millisecond; nothing in it waits on gRPC).
  grpc::ServerUnaryReactor* MatchOffersForNeed(
      grpc::CallbackServerContext*,
      const techmatch::v1::MatchOffersForNeedRequest*,
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
  ArenaMessageAllocator<techmatch::v1::MatchOffersForNeedRequest,
                        techmatch::v1::MatchOffersForNeedResponse>
      offers_for_need_allocator_;
};

}  // namespace techmatch::server

#endif  // TECHMATCH_SERVER_MATCH_SERVICE_H_
