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

#include <atomic>
#include <functional>
#include <string>

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

// Where the matchmaker keeps a snapshot of its index, and what makes one
// valid. A snapshot is a cache: the catalog stays the only truth. It is used
// only when it was written with the same index fingerprint (`fingerprint`,
// see Matchmaker::IndexFingerprint: the same analysis, conversion and
// formats, whichever build), with the same reference data, from this
// catalog's history (the change-log entry it was taken at must still be
// the same); the changes committed after it are then re-read from the
// catalog. Anything else, any damage, or a snapshot so far
// behind that re-reading would cost more than a rebuild (see
// catch_up_always) means a full rebuild.
// The data directory is trusted: the checksum guards against damage, not
// against a forged file.
struct IndexSnapshotOptions {
  std::string path;      // empty: no snapshot is read or written
  std::string fingerprint;  // of the running program; empty: snapshots off
  // A snapshot at most this many changes behind the catalog is always
  // caught up; one further behind only while that is under a quarter of
  // the records it holds (re-reading costs more per record than a rebuild).
  uint64_t catch_up_always = 20000;
};

// How Start() built the index.
struct LoadReport {
  bool from_snapshot = false;
  uint64_t snapshot_sequence = 0;  // the change-log position it was taken at
  uint64_t changes_after = 0;      // change-log entries committed since
  uint64_t records_reread = 0;     // offers and needs those entries named
  std::string snapshot_skipped;  // why no snapshot was used (empty if one was)
  size_t offers = 0;
  size_t needs = 0;
};

class Matchmaker final : public CommitObserver {
 public:
  static constexpr int kDefaultPageSize = 10;
  static constexpr int kMaxPageSize = 100;
  // Deepest result a page may reach (offset + page size).
  static constexpr int kMaxDepth = 1000;

  // Borrowed pointers; all must outlive the matchmaker. `registry` reads
  // the record a match names with the caller's rights. `defaults` are the
  // server's component weights; `candidate_pool` is how many text
  // candidates a match or search re-scores (matching::MatchOptions; at
  // least 10; a page deeper than the pool widens it).
  Matchmaker(const storage::Catalog* catalog, const Registry* registry,
             const ReferenceData* reference, Clock* clock,
             matching::Weights defaults, size_t candidate_pool = 200);

  // Indexes every offer and need in the catalog; `progress` (may be null) is
  // called every 50,000 records and at the end with (offers, needs) counts.
  absl::Status LoadAll(const std::function<void(size_t, size_t)>& progress);

  // Builds the index at start-up: from the snapshot in `snapshot` when it
  // is valid (then caught up with the changes committed after it), else
  // with LoadAll(). Errors only when the catalog cannot be read; an
  // unusable snapshot is a reason in the report, not an error. Same
  // preconditions as LoadAll().
  absl::StatusOr<LoadReport> Start(
      const IndexSnapshotOptions& snapshot,
      const std::function<void(size_t, size_t)>& progress);

  // Writes a snapshot of the index as it stands to `snapshot.path`
  // (atomically: the previous snapshot stays until the new one is durable).
  // Queries go on meanwhile; commits wait for it. FAILED_PRECONDITION when
  // snapshots are off (no path or build id). Returns the bytes written.
  absl::StatusOr<uint64_t> SaveSnapshot(
      const IndexSnapshotOptions& snapshot) const;

  // Changes committed to the index since the last snapshot this matchmaker
  // read or wrote (since the start when there is none).
  uint64_t changes_since_snapshot() const {
    return applied_sequence_.load() - snapshot_sequence_.load();
  }

  void OnCommitted(const std::vector<CommittedChange>& changes) override;

  // The match and search calls build their response in place, in
  // `response` (which must be empty; it may live on a protobuf arena: the
  // records are decoded straight into it). On an error `response` holds
  // whatever was built before it and must not be sent.
  //
  // Offers for a need. NOT_FOUND for an unknown need or one the caller may
  // not read; INVALID_ARGUMENT for a bad page size, token or weight. Results
  // hold published offers only.
  absl::Status OffersForNeed(
      const Caller& caller,
      const techmatch::v1::MatchOffersForNeedRequest& request,
      techmatch::v1::MatchOffersForNeedResponse* response) const;
  // As OffersForNeed. Results never hold a CONFIDENTIAL need, whoever asks:
  // a confidential need is matched from its side only (OffersForNeed).
  absl::Status NeedsForOffer(
      const Caller& caller,
      const techmatch::v1::MatchNeedsForOfferRequest& request,
      techmatch::v1::MatchNeedsForOfferResponse* response) const;
  // Free-text search of what every caller may read: published offers and
  // published PUBLIC needs.
  absl::Status SearchOffers(
      const techmatch::v1::SearchRequest& request,
      techmatch::v1::SearchOffersResponse* response) const;
  absl::Status SearchNeeds(const techmatch::v1::SearchRequest& request,
                           techmatch::v1::SearchNeedsResponse* response) const;

  // The score and explanation `offer` gets for `need` at this moment, with
  // the server's weights (the same figures a ranking would show).
  // NOT_FOUND when the offer is not in the index.
  absl::StatusOr<techmatch::v1::OfferMatch> ScorePair(
      const techmatch::v1::Need& need, const techmatch::v1::Offer& offer) const;

  // (id, score) of every need `offer` serves scoring at least `min_score`
  // (among the candidate pool's, at most kMaxDepth), best first,
  // confidential ones included (for alerts to each need's own side only);
  // and of every offer for `need` scoring at least `min_score`. Without
  // explanations; server weights. A pair has the same score both ways.
  std::vector<std::pair<uint64_t, double>> NeedCandidates(
      const techmatch::v1::Offer& offer, double min_score) const;
  std::vector<std::pair<uint64_t, double>> OfferCandidates(
      const techmatch::v1::Need& need, double min_score) const;

  // The label the server's calibration gives `score`.
  techmatch::v1::MatchLabel LabelOf(double score) const;

  const matching::Matcher& matcher() const { return matcher_; }

  // What this program's index is made of: the bytes its matcher saves for a
  // fixed set of sample offers and needs (every field the index keeps,
  // Vietnamese with and without diacritics, combining marks, codes and
  // numbers, emoji). A build that analyses, converts, scores-in-advance or
  // stores them differently has another fingerprint, so a snapshot survives
  // upgrades that change none of that and is refused after any that does.
  // Deterministic; about 10 KB.
  std::string IndexFingerprint() const;

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

  // Reads the snapshot and its header's checks into the matcher; the reason
  // when it cannot be used.
  absl::Status LoadSnapshot(const IndexSnapshotOptions& snapshot,
                            LoadReport* report);
  // Re-reads the offers and needs named by change-log entries after
  // `after` into the index.
  absl::Status CatchUp(uint64_t after, LoadReport* report);
  // The serialized change-log entry with `sequence` ("" for 0).
  absl::StatusOr<std::string> ChangeAt(uint64_t sequence) const;
  // What the index's records take from the reference data (regions).
  std::string ReferenceFingerprint() const;

  const storage::Catalog* catalog_;
  const Registry* registry_;
  const ReferenceData* reference_;
  Clock* clock_;
  matching::Weights defaults_;
  size_t candidate_pool_;
  matching::Matcher matcher_;
  // The last change-log sequence whose commit reached the index (updated
  // after the index, so a snapshot never claims a change it lacks).
  std::atomic<uint64_t> applied_sequence_{0};
  // The sequence of the last snapshot read or written (0: none yet).
  mutable std::atomic<uint64_t> snapshot_sequence_{0};
};

}  // namespace techmatch::domain

#endif  // TECHMATCH_DOMAIN_MATCHMAKER_H_
