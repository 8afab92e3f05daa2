// Matcher: the in-memory matching engine. Holds a text index and the
// structured facts of every offer and need, ranks offers for a need (and
// needs for an offer) by text + structured components, answers free-text
// searches, and explains every score.
//
// Ranking: the query side becomes a "more like this" query of its most
// informative terms; the best `candidate_pool` text hits that pass the hard
// filters (published, not expired, confidentiality, the need's strict
// constraints, search filters) are re-scored with the structured components;
// the final score is the weighted sum of component values in [0, 1], the
// text value being the BM25F score relative to the best candidate's. Ties are
// broken by ascending id, so results are deterministic.
//
// Thread-safety: all methods are safe to call concurrently. Writers are
// serialised and exclusive; queries share a read lock.
#ifndef TECHMATCH_MATCHING_MATCHER_H_
#define TECHMATCH_MATCHING_MATCHER_H_

#include <mutex>
#include <optional>
#include <shared_mutex>
#include <unordered_map>

#include "absl/container/flat_hash_map.h"
#include "matching/analyzer.h"
#include "matching/doc_table.h"
#include "matching/match_types.h"
#include "matching/snapshot_io.h"
#include "matching/text_index.h"

namespace techmatch::matching {

class Matcher {
 public:
  explicit Matcher(Bm25fParams params = {});

  // Adds or replaces an offer / a need (whatever its state: the state is a
  // filter at query time).
  void UpsertOffer(const OfferDoc& offer);
  void UpsertNeed(const NeedDoc& need);
  // The same with the text analysed beforehand by Analyze(), which needs no
  // lock: a bulk loader analyses on one thread while another indexes.
  void UpsertOffer(const OfferDoc& offer, const AnalyzedText& analyzed);
  void UpsertNeed(const NeedDoc& need, const AnalyzedText& analyzed);
  // Many at once, under one lock, the text inverted as a batch on up to
  // `threads` threads (see TextIndex::UpsertBatch): for bulk loads.
  // `analyzed` is parallel to the documents.
  void UpsertOffers(std::vector<OfferDoc> offers,
                    const std::vector<AnalyzedText>& analyzed,
                    unsigned threads = 1);
  void UpsertNeeds(std::vector<NeedDoc> needs,
                   const std::vector<AnalyzedText>& analyzed,
                   unsigned threads = 1);
  AnalyzedText Analyze(const FieldTexts& texts) const {
    return offer_text_.Analyze(texts);
  }

  void RemoveOffer(uint64_t id);
  void RemoveNeed(uint64_t id);

  // Offers for `need` (which need not be indexed), best first.
  MatchResult OffersForNeed(const NeedDoc& need,
                            const MatchOptions& options) const;

  // The score and explanation `offer_id` gets for `need`, as a ranking of
  // offers for the need would give it (strict constraints aside); nullopt
  // when the offer is not indexed.
  std::optional<MatchHit> ExplainPair(const NeedDoc& need, uint64_t offer_id,
                                      const MatchOptions& options) const;

  // Needs for `offer`, best first. Confidential needs are never returned.
  MatchResult NeedsForOffer(const OfferDoc& offer,
                            const MatchOptions& options) const;

  // Free-text search of published offers / public published needs.
  MatchResult SearchOffers(const std::string& query,
                           const SearchFilters& filters,
                           const MatchOptions& options) const;
  MatchResult SearchNeeds(const std::string& query,
                          const SearchFilters& filters,
                          const MatchOptions& options) const;

  // After a bulk load: releases spare index capacity and refreshes the
  // length-norm snapshots and term bounds now, so that the first query does
  // not pay for it (O(postings), under the exclusive lock), on `threads`
  // threads.
  void ShrinkToFit(unsigned threads = 1);

  // Writes the matcher's whole state (both text indexes and the structured
  // facts) to `out`, under the shared lock: queries go on, writers wait.
  void Save(SnapshotWriter& out) const;

  // Replaces the matcher's state with one Save() wrote (by a matcher of the
  // same parameters and build), reading `in` to its end and verifying it
  // (in.Finish()) before anything is replaced: on any error the matcher is
  // unchanged. DATA_LOSS, with the reason, for a damaged, truncated or
  // mismatched snapshot.
  absl::Status Load(SnapshotReader& in);

  size_t offer_count() const;
  size_t need_count() const;
  size_t MemoryBytes() const;

  const Analyzer& analyzer() const { return analyzer_; }

 private:
  template <class Doc>
  static void UpsertMany(TextIndex& index, DocTable<Doc>& docs,
                         std::vector<Doc> batch,
                         const std::vector<AnalyzedText>& analyzed,
                         unsigned threads);

  // Ranks `docs` for `query`: `accept` is the full filter on a record; it is
  // consulted only when `needs_record` (the query has constraints) or the
  // document's index flags ask for it (an expiry, strict constraints).
  // Unpublished documents, and confidential ones unless `allowed_flags`
  // holds the confidential flag, are turned away on their flags.
  // `score(doc, hit, explain)` appends a candidate's components to `hit`
  // (the returned page); `value(doc, score)` adds the same components'
  // contributions to `score`, in the same order (the pool's ranking).
  template <class Doc, class Score, class Value>
  MatchResult Rank(const TextIndex& index, const DocTable<Doc>& docs,
                   const std::vector<QueryTerm>& query,
                   const std::function<bool(const Doc&)>& accept,
                   bool needs_record, uint8_t allowed_flags,
                   const MatchOptions& options, Score score, Value value) const;

  // Refreshes the text indexes' length snapshots when they drifted (see
  // TextIndex): computed under the shared lock, installed under the
  // exclusive one. Scores stay consistent without it; it keeps them within
  // 0.5% of exact BM25F. Returns at once when another call is refreshing
  // and the bounds hold; waits for it when they do not.
  void RefreshIfDrifted() const;
  // The shared lock for a query, taken once the text indexes' bounds hold
  // (refreshing first when they do not).
  std::shared_lock<std::shared_mutex> LockForQuery() const;

  Analyzer analyzer_;
  Bm25fParams params_;
  mutable std::shared_mutex mu_;
  // Counts mutations (under the exclusive lock): a refresh computed under
  // the shared lock is installed only if none came since.
  uint64_t writes_ = 0;
  mutable std::mutex refresh_mu_;  // one RefreshIfDrifted() at a time
  // Mutable for RefreshIfDrifted(), which runs under the exclusive lock.
  mutable TextIndex offer_text_;
  mutable TextIndex need_text_;
  DocTable<OfferDoc> offers_;  // text cleared
  DocTable<NeedDoc> needs_;    // text cleared
};

}  // namespace techmatch::matching

#endif  // TECHMATCH_MATCHING_MATCHER_H_
