// Matcher: the in-memory matching engine. Holds a text index and the
// structured facts of every offer and need, ranks offers for a need (and
// needs for an offer) by text + structured components, answers free-text
// searches, and explains every score.
//
// Scoring: a (need, offer) pair's score is absolute: its text relevance
// is how much of what the need asks for (its concepts, ConceptQuery) the
// offer covers, with the offer collection's statistics, calibrated
// (relevance.h); the structured components then multiply it by their
// factors (match_types.h, Weights). It is a property of the pair: the same
// from the need's side and from the offer's, on any page, whatever else is
// retrieved. Ranking: the query side's heaviest concepts retrieve the best
// `candidate_pool` text candidates that pass the hard filters (published,
// not expired, confidentiality, the need's strict constraints, search
// filters); each is scored exactly and they are sorted by score, ties by
// ascending id, so results are deterministic. A free-text search scores the
// query's coverage by each record the same way (freshness its only factor).
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
#include "matching/concept_query.h"
#include "matching/doc_table.h"
#include "matching/lexicon.h"
#include "matching/match_types.h"
#include "matching/relevance.h"
#include "matching/snapshot_io.h"
#include "matching/text_index.h"

namespace techmatch::matching {

class Matcher {
 public:
  // `lexicon` (may be null: nothing stopped or expanded) decides what a
  // text asks for; `relevance` calibrates scores and labels.
  explicit Matcher(Bm25fParams params = {},
                   std::shared_ptr<const Lexicon> lexicon = nullptr,
                   RelevanceParams relevance = {});

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
  // `analyzed` is parallel to the documents. A document's text may have
  // been released once analysed: a need's concepts come from `analyzed`.
  void UpsertOffers(std::vector<OfferDoc> offers,
                    const std::vector<AnalyzedText>& analyzed,
                    unsigned threads = 1);
  void UpsertNeeds(std::vector<NeedDoc> needs,
                   const std::vector<AnalyzedText>& analyzed,
                   unsigned threads = 1);
  AnalyzedText Analyze(const FieldTexts& texts) const {
    return offer_text_.Analyze(texts);
  }

  // What `texts` asks for, as this matcher reads it (its lexicon applied).
  ConceptQuery Concepts(const FieldTexts& texts) const {
    return BuildConceptQuery(analyzer_, *lexicon_, texts, relevance_.concepts);
  }

  void RemoveOffer(uint64_t id);
  void RemoveNeed(uint64_t id);

  // Offers for `need` (which need not be indexed; its text is read),
  // best first.
  MatchResult OffersForNeed(const NeedDoc& need,
                            const MatchOptions& options) const;

  // The score and explanation `offer_id` gets for `need`: the same as in
  // any ranking of offers for the need (filters aside); nullopt when the
  // offer is not indexed.
  std::optional<MatchHit> ExplainPair(const NeedDoc& need, uint64_t offer_id,
                                      const MatchOptions& options) const;

  // Needs for `offer` (its text is read), best first, each with the score
  // OffersForNeed gives the same pair. Confidential needs are never
  // returned unless options.include_confidential.
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
  const Lexicon& lexicon() const { return *lexicon_; }
  const RelevanceParams& relevance() const { return relevance_; }

 private:
  template <class Doc>
  static void UpsertMany(TextIndex& index, DocTable<Doc>& docs,
                         std::vector<Doc> batch,
                         const std::vector<AnalyzedText>& analyzed,
                         unsigned threads);
  // The need as stored: its concepts built from `analyzed` (when not yet),
  // its text freed.
  NeedDoc Stored(const NeedDoc& need, const AnalyzedText& analyzed) const;

  // The candidates of a ranking: the best `max_pool` documents of `index`
  // for `retrieval` that pass the filters (see Rank in matcher.cc), or only
  // options.only_id, unfiltered. `accept` is the full filter on a record;
  // it is consulted only when `needs_record` (the query has constraints) or
  // the document's index flags ask for it (an expiry, strict constraints).
  // Unpublished documents, and confidential ones unless `allowed_flags`
  // holds the confidential flag, are turned away on their flags.
  template <class Doc>
  std::vector<TextHit> Candidates(const TextIndex& index,
                                  const DocTable<Doc>& docs,
                                  const std::vector<QueryTerm>& retrieval,
                                  const std::function<bool(const Doc&)>& accept,
                                  bool needs_record, uint8_t allowed_flags,
                                  const MatchOptions& options) const;

  // A free-text search of `docs`: `text`'s coverage by each record that
  // `accept`s (see Candidates for `needs_record`), with freshness.
  template <class Doc>
  MatchResult Search(const TextIndex& index, const DocTable<Doc>& docs,
                     const std::string& text,
                     const std::function<bool(const Doc&)>& accept,
                     bool needs_record, const MatchOptions& options) const;

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
  std::shared_ptr<const Lexicon> lexicon_;
  RelevanceParams relevance_;
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
