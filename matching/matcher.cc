#include "matching/matcher.h"

#include <algorithm>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <type_traits>

#include "matching/scorer.h"

namespace techmatch::matching {
namespace {

// Hints the processor to fetch the lines of `doc` the scorer reads.
template <class Doc>
void PrefetchRecord(const Doc* doc) {
  const char* at = reinterpret_cast<const char*>(doc);
  for (size_t line = 0; line < sizeof(Doc); line += 64) {
    __builtin_prefetch(at + line);
  }
}

// Hints the processor to fetch `doc`'s sector codes (read once the record's
// own lines have arrived).
template <class Doc>
void PrefetchSectors(const Doc* doc) {
  if (!doc->sectors.empty()) __builtin_prefetch(doc->sectors.data());
}

bool Live(bool published, int64_t expire_micros, int64_t now) {
  return published && (expire_micros == 0 || now == 0 || expire_micros > now);
}

bool SectorPrefix(const std::vector<std::string>& sectors,
                  const std::string& prefix) {
  if (prefix.empty()) return true;
  for (const auto& s : sectors) {
    if (s.compare(0, prefix.size(), prefix) == 0) return true;
  }
  return false;
}

// The hard filters of a need's strict constraints, applied to an offer.
bool MeetsStrict(const NeedDoc& need, const OfferDoc& offer) {
  if ((need.strict & kStrictMinTrl) && need.min_trl > 0 &&
      offer.trl < need.min_trl) {
    return false;
  }
  if ((need.strict & kStrictBudget) && need.budget_max.has_value() &&
      offer.price_min > *need.budget_max) {
    return false;
  }
  if ((need.strict & kStrictTransferMode) && need.transfer_modes != 0 &&
      (need.transfer_modes & offer.transfer_modes) == 0) {
    return false;
  }
  if ((need.strict & kStrictProvince) && !need.province.empty() &&
      need.province != offer.province) {
    return false;
  }
  if ((need.strict & kStrictSector) && !need.sectors.empty()) {
    bool any = false;
    for (const auto& s : need.sectors)
      any = any || SectorPrefix(offer.sectors, s);
    if (!any) return false;
  }
  return true;
}

template <class Doc>
bool PassesFilters(const Doc& d, const SearchFilters& f, int trl) {
  if (!SectorPrefix(d.sectors, f.sector_prefix)) return false;
  if (!f.province.empty() && d.province != f.province) return false;
  if (!f.region.empty() && d.region != f.region) return false;
  if (f.trl_min > 0 && trl < f.trl_min) return false;
  if (f.trl_max > 0 && trl > f.trl_max) return false;
  if (f.transfer_modes != 0 && (d.transfer_modes & f.transfer_modes) == 0) {
    return false;
  }
  return true;
}

// The text index's flags of a document, for TopK's filter.
constexpr uint8_t kPublishedFlag = 1;
constexpr uint8_t kExpiresFlag = 2;
constexpr uint8_t kConfidentialFlag = 4;

// Expiry in whole seconds, rounded up (0 = never; kExpiresFlag alone when it
// does not fit 32 bits).
uint32_t ExpirySeconds(int64_t expire_micros) {
  if (expire_micros <= 0) return 0;
  int64_t seconds = (expire_micros + 999'999) / 1'000'000;
  return seconds > UINT32_MAX ? 0 : static_cast<uint32_t>(seconds);
}

DocAttributes AttributesOf(const OfferDoc& offer) {
  return {static_cast<uint8_t>((offer.published ? kPublishedFlag : 0) |
                               (offer.expire_micros != 0 ? kExpiresFlag : 0)),
          ExpirySeconds(offer.expire_micros)};
}

constexpr uint8_t kStrictFlag = 8;  // a need with strict constraints

DocAttributes AttributesOf(const NeedDoc& need) {
  return {static_cast<uint8_t>((need.published ? kPublishedFlag : 0) |
                               (need.expire_micros != 0 ? kExpiresFlag : 0) |
                               (need.confidential ? kConfidentialFlag : 0) |
                               (need.strict != 0 ? kStrictFlag : 0)),
          ExpirySeconds(need.expire_micros)};
}

bool Filters(const SearchFilters& f) {
  return !f.sector_prefix.empty() || !f.province.empty() || !f.region.empty() ||
         f.trl_min > 0 || f.trl_max > 0 || f.transfer_modes != 0 ||
         f.price_ceiling > 0;
}

// Heap bytes of a stored document's strings (each allocation ~16 bytes of
// overhead beyond its capacity; short strings live inline).
template <class Doc>
size_t HeapBytes(const Doc& doc) {
  auto string_bytes = [](const std::string& s) {
    return s.capacity() > 15 ? s.capacity() + 17 : 0;
  };
  size_t bytes = doc.sectors.capacity() * sizeof(std::string) + 16 +
                 string_bytes(doc.province) + string_bytes(doc.region);
  for (const std::string& s : doc.sectors) bytes += string_bytes(s);
  if constexpr (std::is_same_v<Doc, NeedDoc>) {
    if (doc.concepts != nullptr) bytes += 48 + doc.concepts->MemoryBytes();
  }
  return bytes;
}

// A candidate scored, in the pool a ranking sorts.
struct Scored {
  double score;
  uint64_t id;
  double coverage;
  double relevance;
  size_t row;  // the candidate's position (strengths row, record)
};

const char* ViaName(ConceptQuery::Via via) {
  switch (via) {
    case ConceptQuery::Via::kSelf:
      return "";
    case ConceptQuery::Via::kAccentFolded:
      return "accents";
    case ConceptQuery::Via::kSynonym:
      return "synonym";
    case ConceptQuery::Via::kGlossary:
      return "glossary";
  }
  return "";
}

// The explanation's matched concepts: each once, largest share first.
void AddTopTerms(const WeightedQuery& query,
                 const std::vector<ConceptMatch>& matched, MatchHit* hit) {
  const ConceptQuery& q = query.query();
  for (size_t i = 0; i < matched.size() && i < 8; ++i) {
    const ConceptMatch& m = matched[i];
    TermShare& t = hit->top_terms.emplace_back();
    t.term = q.labels[q.concepts[m.concept_index].label];
    t.share = m.share;
    t.via = ViaName(m.via);
    if (m.alternative != ConceptQuery::kNone)
      t.matched = q.labels[q.alternatives[m.alternative].label];
  }
}

// A search result's explanation: its matched query terms, the accented and
// folded twins of a term (and a pair's) merged, largest part first.
void AddTermShares(const std::vector<QueryTerm>& terms,
                   const std::vector<float>& parts, MatchHit* hit) {
  std::vector<std::pair<std::string, double>> merged;
  double total = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i] <= 0) continue;
    total += parts[i];
    std::string readable = terms[i].term;
    if (!readable.empty() && readable[0] == kAccentedMarker)
      readable.erase(0, 1);
    std::replace(readable.begin(), readable.end(), '_', ' ');
    auto it = std::find_if(merged.begin(), merged.end(),
                           [&](const auto& m) { return m.first == readable; });
    if (it == merged.end()) {
      merged.emplace_back(std::move(readable), parts[i]);
    } else {
      it->second += parts[i];
    }
  }
  std::stable_sort(
      merged.begin(), merged.end(),
      [](const auto& a, const auto& b) { return a.second > b.second; });
  for (size_t i = 0; i < merged.size() && i < 8; ++i) {
    TermShare& t = hit->top_terms.emplace_back();
    t.term = merged[i].first;
    t.share = merged[i].second / total;
  }
}

// The query's concepts as the response lists them, heaviest first.
std::vector<std::string> ConceptLabels(const WeightedQuery& query,
                                       size_t limit) {
  const ConceptQuery& q = query.query();
  std::vector<size_t> order;
  for (size_t i = 0; i < q.concepts.size(); ++i) {
    if (query.weight(i) > 0) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return query.weight(a) > query.weight(b);
  });
  std::vector<std::string> out;
  for (size_t i = 0; i < order.size() && i < limit; ++i)
    out.push_back(q.labels[q.concepts[order[i]].label]);
  return out;
}

// Sorts `pool` (score desc, id asc), notes the best label, and builds the
// page [offset, offset + limit) of those scoring at least min_score with
// explain(scored, hit), which fills the hit's explanation.
template <class Explain>
void Page(std::vector<Scored>& pool, const MatchOptions& options,
          const RelevanceParams& relevance, MatchResult* result,
          Explain&& explain) {
  std::sort(pool.begin(), pool.end(), [](const Scored& a, const Scored& b) {
    return a.score != b.score ? a.score > b.score : a.id < b.id;
  });
  if (!pool.empty()) {
    result->best_score = pool.front().score;
    result->best = LabelOf(pool.front().score, relevance);
  }
  size_t kept = pool.size();
  while (kept > 0 && pool[kept - 1].score < options.min_score) --kept;
  const size_t begin = std::min(options.offset, kept);
  const size_t end = std::min(begin + options.limit, kept);
  for (size_t i = begin; i < end; ++i) {
    const Scored& s = pool[i];
    MatchHit& hit = result->hits.emplace_back();
    hit.id = s.id;
    hit.score = s.score;
    hit.relevance = s.relevance;
    hit.coverage = s.coverage;
    hit.label = LabelOf(s.score, relevance);
    explain(s, &hit);
  }
}

// Looks up (and prefetches) the records of `candidates`.
template <class Doc>
std::vector<const Doc*> Records(const DocTable<Doc>& docs,
                                const std::vector<TextHit>& candidates) {
  // At a million documents each record costs cache misses (the id's map
  // entry, the record, its sector list): looked up and prefetched for the
  // whole pool first, so that the misses overlap.
  std::vector<const Doc*> records(candidates.size());
  for (size_t i = 0; i < candidates.size(); ++i) {
    records[i] = docs.Find(candidates[i].id);
    PrefetchRecord(records[i]);
  }
  for (const Doc* doc : records) PrefetchSectors(doc);
  return records;
}

std::vector<uint64_t> IdsOf(const std::vector<TextHit>& candidates) {
  std::vector<uint64_t> ids;
  ids.reserve(candidates.size());
  for (const TextHit& c : candidates) ids.push_back(c.id);
  return ids;
}

}  // namespace

Matcher::Matcher(Bm25fParams params, std::shared_ptr<const Lexicon> lexicon,
                 RelevanceParams relevance)
    : params_(params),
      lexicon_(lexicon != nullptr ? std::move(lexicon)
                                  : std::make_shared<const Lexicon>()),
      relevance_(relevance),
      offer_text_(&analyzer_, params),
      need_text_(&analyzer_, params) {}

NeedDoc Matcher::Stored(const NeedDoc& need,
                        const AnalyzedText& analyzed) const {
  NeedDoc stored = need;
  if (stored.concepts == nullptr) {
    stored.concepts = std::make_shared<const ConceptQuery>(
        BuildConceptQuery(*lexicon_, analyzed, relevance_.concepts));
  }
  stored.text.Release();
  return stored;
}

void Matcher::UpsertOffer(const OfferDoc& offer) {
  UpsertOffer(offer, Analyze(offer.text));
}

void Matcher::UpsertNeed(const NeedDoc& need) {
  UpsertNeed(need, Analyze(need.text));
}

void Matcher::UpsertOffer(const OfferDoc& offer, const AnalyzedText& analyzed) {
  std::unique_lock lock(mu_);
  ++writes_;
  offer_text_.Upsert(offer.id, analyzed, AttributesOf(offer));
  OfferDoc stored = offer;
  stored.text.Release();
  offers_.Upsert(std::move(stored));
  if (offer_text_.NeedsCompaction()) offer_text_.Compact();
}

void Matcher::UpsertNeed(const NeedDoc& need, const AnalyzedText& analyzed) {
  NeedDoc stored = Stored(need, analyzed);  // concepts built outside the lock
  std::unique_lock lock(mu_);
  ++writes_;
  need_text_.Upsert(need.id, analyzed, AttributesOf(need));
  needs_.Upsert(std::move(stored));
  if (need_text_.NeedsCompaction()) need_text_.Compact();
}

template <class Doc>
void Matcher::UpsertMany(TextIndex& index, DocTable<Doc>& docs,
                         std::vector<Doc> batch,
                         const std::vector<AnalyzedText>& analyzed,
                         unsigned threads) {
  std::vector<uint64_t> ids;
  std::vector<const AnalyzedText*> texts;
  std::vector<DocAttributes> attributes;
  ids.reserve(batch.size());
  texts.reserve(batch.size());
  attributes.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    ids.push_back(batch[i].id);
    texts.push_back(&analyzed[i]);
    attributes.push_back(AttributesOf(batch[i]));
  }
  auto store = [&] {
    for (Doc& doc : batch) {
      doc.text.Release();
      docs.Upsert(std::move(doc));
    }
  };
  // A bulk batch's records go into their table on another thread while the
  // text index inverts the batch (the two share nothing): in techmatchd's
  // start-up load the index's thread sets the pace, and storing 8,192
  // records took ~15 ms of it a batch, while the reader's core waited.
  constexpr size_t kStoreApart = 1024;
  std::optional<std::thread> storer;
  if (threads > 1 && batch.size() >= kStoreApart) {
    try {
      storer.emplace(store);
    } catch (const std::system_error&) {
      // No thread to be had: stored below, after the index.
    }
  }
  try {
    index.UpsertBatch(ids, texts, attributes, threads);
  } catch (...) {
    if (storer) storer->join();
    throw;
  }
  if (storer) {
    storer->join();
  } else {
    store();
  }
  if (index.NeedsCompaction()) index.Compact();
}

void Matcher::UpsertOffers(std::vector<OfferDoc> offers,
                           const std::vector<AnalyzedText>& analyzed,
                           unsigned threads) {
  std::unique_lock lock(mu_);
  ++writes_;
  UpsertMany(offer_text_, offers_, std::move(offers), analyzed, threads);
}

void Matcher::UpsertNeeds(std::vector<NeedDoc> needs,
                          const std::vector<AnalyzedText>& analyzed,
                          unsigned threads) {
  for (size_t i = 0; i < needs.size(); ++i) {
    if (needs[i].concepts == nullptr) {
      needs[i].concepts = std::make_shared<const ConceptQuery>(
          BuildConceptQuery(*lexicon_, analyzed[i], relevance_.concepts));
    }
  }
  std::unique_lock lock(mu_);
  ++writes_;
  UpsertMany(need_text_, needs_, std::move(needs), analyzed, threads);
}

void Matcher::RemoveOffer(uint64_t id) {
  std::unique_lock lock(mu_);
  ++writes_;
  offer_text_.Remove(id);
  offers_.Erase(id);
}

void Matcher::RemoveNeed(uint64_t id) {
  std::unique_lock lock(mu_);
  ++writes_;
  need_text_.Remove(id);
  needs_.Erase(id);
}

std::shared_lock<std::shared_mutex> Matcher::LockForQuery() const {
  while (true) {
    RefreshIfDrifted();
    std::shared_lock lock(mu_);
    if (offer_text_.BoundsValid() && need_text_.BoundsValid()) return lock;
  }
}

void Matcher::RefreshIfDrifted() const {
  bool bounds_valid = true;
  {
    std::shared_lock lock(mu_);
    if (!offer_text_.NeedsRefresh() && !need_text_.NeedsRefresh()) return;
    bounds_valid = offer_text_.BoundsValid() && need_text_.BoundsValid();
  }
  // The O(postings) work (seconds at a million offers) runs under the
  // shared lock, so queries go on; only installing it takes the exclusive
  // one. A mutation in between (writes_ moved) voids it: the refresh is then
  // redone under the exclusive lock, as a mutation-heavy hour would need
  // anyway. One refresher at a time: while one runs, other queries go on
  // with the drifted averages, unless the bounds are stale (after a bulk
  // batch), when they must wait for it.
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::unique_lock refreshing(refresh_mu_, std::defer_lock);
  if (bounds_valid) {
    if (!refreshing.try_lock()) return;
  } else {
    refreshing.lock();
  }
  std::optional<TextIndex::Refresh> offers, needs;
  uint64_t writes = 0;
  {
    std::shared_lock lock(mu_);
    writes = writes_;
    if (offer_text_.NeedsRefresh())
      offers = offer_text_.ComputeRefresh(threads);
    if (need_text_.NeedsRefresh()) needs = need_text_.ComputeRefresh(threads);
  }
  std::unique_lock lock(mu_);
  if (writes_ == writes) {
    if (offers) offer_text_.ApplyRefresh(std::move(*offers));
    if (needs) need_text_.ApplyRefresh(std::move(*needs));
    return;
  }
  if (offer_text_.NeedsRefresh()) offer_text_.RefreshForQueries(threads);
  if (need_text_.NeedsRefresh()) need_text_.RefreshForQueries(threads);
}

template <class Doc>
std::vector<TextHit> Matcher::Candidates(
    const TextIndex& index, const DocTable<Doc>& docs,
    const std::vector<QueryTerm>& retrieval,
    const std::function<bool(const Doc&)>& accept, bool needs_record,
    uint8_t allowed_flags, const MatchOptions& options) const {
  if (options.only_id != 0) {
    if (docs.Find(options.only_id) == nullptr) return {};
    return {TextHit{options.only_id, 0}};
  }
  const size_t wanted = options.offset + options.limit;
  const size_t max_pool = std::max(options.candidate_pool, wanted);
  // Unpublished (and, unless allowed, confidential) documents are turned
  // away on their index flags; the record itself is only read when an
  // expiry or a constraint of the query needs it: at a million offers
  // reading each candidate's record was a sixth of a match.
  const uint8_t rejected = kConfidentialFlag & ~allowed_flags;
  // Seconds: a stamp after `now_s` has certainly not expired, one before
  // certainly has (ExpirySeconds rounds up); the same second asks the record.
  const int64_t now_s = options.now_micros / 1'000'000;
  auto accepted = [&](uint64_t id, const DocAttributes& attributes) {
    const uint8_t flags = attributes.flags;
    if (!(flags & kPublishedFlag) || (flags & rejected)) return false;
    bool ask = needs_record || (flags & kStrictFlag);
    if ((flags & kExpiresFlag) && options.now_micros != 0) {
      if (attributes.stamp == 0 || attributes.stamp == now_s + 1) {
        ask = true;
      } else if (attributes.stamp <= now_s) {
        return false;
      }
    }
    if (!ask) return true;
    const Doc* doc = docs.Find(id);
    return doc != nullptr && accept(*doc);
  };
  return index.TopK(retrieval, max_pool, accepted);
}

MatchResult Matcher::OffersForNeed(const NeedDoc& need,
                                   const MatchOptions& options) const {
  ConceptQuery built;
  const ConceptQuery* concepts = need.concepts.get();
  if (concepts == nullptr) {
    built = Concepts(need.text);
    concepts = &built;
  }
  auto lock = LockForQuery();
  const WeightedQuery query(*concepts, offer_text_, relevance_);
  MatchResult result;
  result.query_terms = ConceptLabels(query, options.query_terms);
  const std::vector<TextHit> candidates = Candidates<OfferDoc>(
      offer_text_, offers_,
      query.RetrievalTerms(options.query_terms, relevance_.retrieval_floor),
      [&](const OfferDoc& offer) {
        return Live(offer.published, offer.expire_micros, options.now_micros) &&
               MeetsStrict(need, offer);
      },
      need.strict != 0, 0, options);
  result.candidates = candidates.size();
  const std::vector<const OfferDoc*> records = Records(offers_, candidates);
  // The structured factors of each candidate (its score were its text
  // relevance 1): what bounds its score while its coverage is read.
  std::vector<double> factors(candidates.size());
  for (size_t i = 0; i < candidates.size(); ++i) {
    factors[i] = PairScore(need, *records[i], 1.0, 1.0,
                           records[i]->fresh_micros, options);
  }
  const double text_weight = options.weights.text;
  auto bound = [&](size_t row, double coverage) {
    return (1.0 - text_weight * (1.0 - Calibrate(coverage, relevance_.match))) *
           factors[row];
  };
  // The candidates' strengths for the query's terms, read from the postings
  // for as long as a candidate can still make the page (or min_score).
  std::vector<float> strengths;
  const std::vector<double> coverages = query.CoverPool(
      offer_text_, IdsOf(candidates), bound, options.offset + options.limit,
      options.min_score, &strengths);
  const size_t width = query.stats().size();
  std::vector<Scored> pool;
  pool.reserve(candidates.size());
  for (size_t i = 0; i < candidates.size(); ++i) {
    const double coverage = coverages[i];
    if (coverage < 0) continue;  // proven below the page and min_score
    const double relevance = Calibrate(coverage, relevance_.match);
    pool.push_back({PairScore(need, *records[i], relevance, coverage,
                              records[i]->fresh_micros, options),
                    candidates[i].id, coverage, relevance, i});
  }
  std::vector<ConceptMatch> matched;
  Page(pool, options, relevance_, &result, [&](const Scored& s, MatchHit* hit) {
    const OfferDoc& offer = *records[s.row];
    PairScore(need, offer, s.relevance, s.coverage, offer.fresh_micros, options,
              hit);
    query.Coverage(strengths.data() + s.row * width, &matched);
    hit->text_score = s.coverage * query.total_weight();
    if (options.explain) AddTopTerms(query, matched, hit);
  });
  return result;
}

std::optional<MatchHit> Matcher::ExplainPair(
    const NeedDoc& need, uint64_t offer_id, const MatchOptions& options) const {
  MatchOptions one = options;
  one.only_id = offer_id;
  one.offset = 0;
  one.limit = 1;
  one.min_score = 0;
  MatchResult result = OffersForNeed(need, one);
  if (result.hits.empty()) return std::nullopt;
  return std::move(result.hits.front());
}

MatchResult Matcher::NeedsForOffer(const OfferDoc& offer,
                                   const MatchOptions& options) const {
  // Both read only the immutable analyzer and lexicon: no lock.
  const ConceptQuery offer_concepts = Concepts(offer.text);
  const AnalyzedText analyzed = Analyze(offer.text);
  auto lock = LockForQuery();
  // The offer's concepts find the candidate needs...
  const WeightedQuery retrieval(offer_concepts, need_text_, relevance_);
  MatchResult result;
  result.query_terms = ConceptLabels(retrieval, options.query_terms);
  const std::vector<TextHit> candidates = Candidates<NeedDoc>(
      // (Each need is scored by its own concepts, not by the offer's: no
      // floor argument holds for these.)
      need_text_, needs_, retrieval.RetrievalTerms(options.query_terms, 0),
      [&](const NeedDoc& need) {
        return Live(need.published, need.expire_micros, options.now_micros) &&
               (options.include_confidential || !need.confidential) &&
               MeetsStrict(need, offer);
      },
      false, options.include_confidential ? kConfidentialFlag : 0, options);
  result.candidates = candidates.size();
  const std::vector<const NeedDoc*> records = Records(needs_, candidates);
  // ...and each pair is scored as from the need's side: the need's own
  // concepts weighed with the offer collection's statistics, against the
  // offer as the offer index holds it.
  const TextIndex::DocVector vector = offer_text_.Vectorize(analyzed);
  std::vector<float> strengths;
  auto cover = [&](const NeedDoc& need, std::vector<ConceptMatch>* matched,
                   double* total) {
    static const ConceptQuery kNothing;
    const WeightedQuery query(
        need.concepts != nullptr ? *need.concepts : kNothing, offer_text_,
        relevance_);
    strengths.resize(query.stats().size());
    offer_text_.Strengths(query.query().terms, vector, strengths.data());
    const double coverage = query.Coverage(strengths.data(), matched);
    if (total != nullptr) *total = query.total_weight();
    if (matched != nullptr && options.explain) {
      MatchHit scratch;
      AddTopTerms(query, *matched, &scratch);
      matched->clear();
      return std::make_pair(coverage, std::move(scratch.top_terms));
    }
    return std::make_pair(coverage, std::vector<TermShare>());
  };
  std::vector<Scored> pool;
  pool.reserve(candidates.size());
  for (size_t i = 0; i < candidates.size(); ++i) {
    const double coverage = cover(*records[i], nullptr, nullptr).first;
    const double relevance = Calibrate(coverage, relevance_.match);
    pool.push_back({PairScore(*records[i], offer, relevance, coverage,
                              records[i]->fresh_micros, options),
                    candidates[i].id, coverage, relevance, i});
  }
  std::vector<ConceptMatch> matched;
  Page(pool, options, relevance_, &result, [&](const Scored& s, MatchHit* hit) {
    const NeedDoc& need = *records[s.row];
    PairScore(need, offer, s.relevance, s.coverage, need.fresh_micros, options,
              hit);
    double total = 0;
    hit->top_terms = cover(need, &matched, &total).second;
    hit->text_score = s.coverage * total;
  });
  return result;
}

template <class Doc>
MatchResult Matcher::Search(const TextIndex& index, const DocTable<Doc>& docs,
                            const std::string& text,
                            const std::function<bool(const Doc&)>& accept,
                            bool needs_record,
                            const MatchOptions& options) const {
  auto lock = LockForQuery();
  // Every term of the query, syllables, pairs and accented forms as the
  // index holds them, weighted for ranking (ParseQuery); the score is the
  // BM25F score over the most the query's terms could give.
  const std::vector<QueryTerm> terms = index.ParseQuery(text);
  MatchResult result;
  for (const QueryTerm& t : terms) {
    if (t.term.find('_') == std::string::npos && t.term[0] != kAccentedMarker)
      result.query_terms.push_back(t.term);
  }
  const std::vector<TextHit> candidates =
      Candidates<Doc>(index, docs, terms, accept, needs_record, 0, options);
  result.candidates = candidates.size();
  const std::vector<const Doc*> records = Records(docs, candidates);
  const double most = index.MaxScore(terms);
  std::vector<Scored> pool;
  pool.reserve(candidates.size());
  for (size_t i = 0; i < candidates.size(); ++i) {
    const double coverage =
        most > 0 ? std::min(1.0, candidates[i].score / most) : 0.0;
    const double relevance = Calibrate(coverage, relevance_.search);
    pool.push_back(
        {SearchScore(relevance, coverage, records[i]->fresh_micros, options),
         candidates[i].id, coverage, relevance, i});
  }
  std::vector<uint64_t> page_ids;
  Page(pool, options, relevance_, &result, [&](const Scored& s, MatchHit* hit) {
    SearchScore(s.relevance, s.coverage, records[s.row]->fresh_micros, options,
                hit);
    hit->text_score = candidates[s.row].score;
    page_ids.push_back(s.id);
  });
  if (options.explain && !result.hits.empty()) {
    const std::vector<std::vector<float>> rows = index.Explain(terms, page_ids);
    for (size_t h = 0; h < result.hits.size(); ++h)
      AddTermShares(terms, rows[h], &result.hits[h]);
  }
  return result;
}

MatchResult Matcher::SearchOffers(const std::string& query,
                                  const SearchFilters& filters,
                                  const MatchOptions& options) const {
  return Search<OfferDoc>(
      offer_text_, offers_, query,
      [&](const OfferDoc& offer) {
        return Live(offer.published, offer.expire_micros, options.now_micros) &&
               PassesFilters(offer, filters, offer.trl) &&
               (filters.price_ceiling <= 0 ||
                offer.price_min <= filters.price_ceiling);
      },
      Filters(filters), options);
}

MatchResult Matcher::SearchNeeds(const std::string& query,
                                 const SearchFilters& filters,
                                 const MatchOptions& options) const {
  return Search<NeedDoc>(
      need_text_, needs_, query,
      [&](const NeedDoc& need) {
        return Live(need.published, need.expire_micros, options.now_micros) &&
               !need.confidential &&
               PassesFilters(need, filters, need.min_trl) &&
               (filters.price_ceiling <= 0 || !need.budget_max.has_value() ||
                *need.budget_max <= filters.price_ceiling);
      },
      Filters(filters), options);
}

void Matcher::ShrinkToFit(unsigned threads) {
  std::unique_lock lock(mu_);
  ++writes_;
  offer_text_.ShrinkToFit(threads);
  need_text_.ShrinkToFit(threads);
  offers_.ShrinkToFit();
  needs_.ShrinkToFit();
  if (offer_text_.NeedsRefresh()) offer_text_.RefreshForQueries(threads);
  if (need_text_.NeedsRefresh()) need_text_.RefreshForQueries(threads);
}

size_t Matcher::offer_count() const {
  std::shared_lock lock(mu_);
  return offer_text_.size();
}

size_t Matcher::need_count() const {
  std::shared_lock lock(mu_);
  return need_text_.size();
}

size_t Matcher::MemoryBytes() const {
  std::shared_lock lock(mu_);
  return offer_text_.MemoryBytes() + need_text_.MemoryBytes() +
         offers_.MemoryBytes(HeapBytes<OfferDoc>) +
         needs_.MemoryBytes(HeapBytes<NeedDoc>);
}

}  // namespace techmatch::matching
