// Matchmaker: the domain side of matching. It keeps a matching::Matcher in
// step with the catalog (loaded at start-up, then updated by every commit as
// a CommitObserver) and answers the match and search requests of the API
// with full records and explanations.
//
// Consistency: LoadAll() must run before the registry accepts writes, and
// the matchmaker must be registered as the registry's observer before it
// does; from then on every committed change reaches the index before the
// mutating call returns, and an uncommitted one never does.
//
// Thread-safety: all methods are safe to call concurrently.
#ifndef TECHMATCH_DOMAIN_MATCHMAKER_H_
#define TECHMATCH_DOMAIN_MATCHMAKER_H_

#include <functional>

#include "absl/status/statusor.h"
#include "base/clock.h"
#include "domain/reference_data.h"
#include "domain/registry.h"
#include "matching/matcher.h"
#include "storage/catalog.h"
#include "techmatch/v1/match_service.pb.h"

namespace techmatch::domain {

// The matcher's view of API records.
matching::OfferDoc ToOfferDoc(const techmatch::v1::Offer& offer,
                              const ReferenceData& reference);
matching::NeedDoc ToNeedDoc(const techmatch::v1::Need& need,
                            const ReferenceData& reference);

class Matchmaker final : public CommitObserver {
 public:
  static constexpr int kDefaultPageSize = 10;
  static constexpr int kMaxPageSize = 100;
  // Deepest result a page may reach (offset + page size).
  static constexpr int kMaxDepth = 1000;

  // Borrowed pointers; all must outlive the matchmaker. `registry` reads
  // the record a match names with the caller's rights. `defaults` are the
  // server's component weights.
  Matchmaker(const storage::Catalog* catalog, const Registry* registry,
             const ReferenceData* reference, Clock* clock,
             matching::Weights defaults);

  // Indexes every offer and need in the catalog; `progress` (may be null) is
  // called every 50,000 records and at the end with (offers, needs) counts.
  absl::Status LoadAll(const std::function<void(size_t, size_t)>& progress);

  void OnCommitted(const std::vector<CommittedChange>& changes) override;

  // NOT_FOUND for an unknown need or one the caller may not read;
  // INVALID_ARGUMENT for a bad page size, token or weight. Results hold
  // published offers only.
  absl::StatusOr<techmatch::v1::MatchOffersForNeedResponse> OffersForNeed(
      const Caller& caller,
      const techmatch::v1::MatchOffersForNeedRequest& request) const;
  // As OffersForNeed. Results never hold a CONFIDENTIAL need, whoever asks:
  // a confidential need is matched from its side only (OffersForNeed).
  absl::StatusOr<techmatch::v1::MatchNeedsForOfferResponse> NeedsForOffer(
      const Caller& caller,
      const techmatch::v1::MatchNeedsForOfferRequest& request) const;
  // Free-text search of what every caller may read: published offers and
  // published PUBLIC needs.
  absl::StatusOr<techmatch::v1::SearchOffersResponse> SearchOffers(
      const techmatch::v1::SearchRequest& request) const;
  absl::StatusOr<techmatch::v1::SearchNeedsResponse> SearchNeeds(
      const techmatch::v1::SearchRequest& request) const;

  // The score and explanation `offer` gets for `need` at this moment, with
  // the server's weights (the same figures a ranking would show).
  // NOT_FOUND when the offer is not in the index.
  absl::StatusOr<techmatch::v1::OfferMatch> ScorePair(
      const techmatch::v1::Need& need, const techmatch::v1::Offer& offer) const;

  // (id, score) of the best `limit` needs `offer` serves, confidential ones
  // included (for alerts to each need's own side only), and of the best
  // offers for `need`; without explanations; server weights.
  std::vector<std::pair<uint64_t, double>> NeedCandidates(
      const techmatch::v1::Offer& offer, int limit) const;
  std::vector<std::pair<uint64_t, double>> OfferCandidates(
      const techmatch::v1::Need& need, int limit) const;

  const matching::Matcher& matcher() const { return matcher_; }

 private:
  struct Page {
    matching::MatchOptions options;
    size_t offset = 0;
  };
  absl::StatusOr<Page> PageOptions(int page_size, const std::string& token,
                                   const techmatch::v1::ScoreWeights* weights) const;
  absl::StatusOr<matching::SearchFilters> Filters(
      const techmatch::v1::SearchFilter& filter) const;
  struct SearchSetup {
    Page page;
    matching::SearchFilters filters;
  };
  // Validates a search request: query, page and filters.
  absl::StatusOr<SearchSetup> PrepareSearch(
      const techmatch::v1::SearchRequest& request) const;

  const storage::Catalog* catalog_;
  const Registry* registry_;
  const ReferenceData* reference_;
  Clock* clock_;
  matching::Weights defaults_;
  matching::Matcher matcher_;
};

}  // namespace techmatch::domain

#endif  // TECHMATCH_DOMAIN_MATCHMAKER_H_
