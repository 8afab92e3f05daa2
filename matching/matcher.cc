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

std::string Readable(const std::string& term) {
  std::string out = term;
  if (!out.empty() && out[0] == kAccentedMarker) out.erase(0, 1);
  std::replace(out.begin(), out.end(), '_', ' ');
  return out;
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

// The text component's value: the BM25F score relative to the best
// candidate's.
double TextValue(double text_score, double best_text) {
  return best_text > 0 ? text_score / best_text : 0;
}

// Appends the structured components of a (need, offer) pair to `hit`.
void AddPairComponents(const NeedDoc& need, const OfferDoc& offer,
                       const MatchOptions& options, bool explain,
                       MatchHit* hit) {
  const Weights& w = options.weights;
  auto add = [&](Component c, double weight) {
    c.weight = weight;
    c.contribution = c.value * weight;
    hit->components.push_back(std::move(c));
  };
  std::vector<std::string>* flags = &hit->flags;
  add(SectorComponent(need.sectors, offer.sectors, explain), w.sector);
  add(TrlComponent(need.min_trl, offer.trl, flags, explain), w.trl);
  add(PriceComponent(need.budget_max, offer.price_min, offer.price_max, flags,
                     explain),
      w.price);
  add(RegionComponent(need.province, need.region, offer.province, offer.region,
                      options.hub_province, explain),
      w.region);
  add(TransferComponent(need.transfer_modes, offer.transfer_modes, flags,
                        explain),
      w.transfer);
}

// The same components' values alone, added to `score` in the order above
// (so that a ranked pool's scores equal the explained hits' to the bit).
double AddPairValues(const NeedDoc& need, const OfferDoc& offer,
                     const MatchOptions& options, double score) {
  const Weights& w = options.weights;
  score += SectorValue(need.sectors, offer.sectors) * w.sector;
  score += TrlValue(need.min_trl, offer.trl) * w.trl;
  score +=
      PriceValue(need.budget_max, offer.price_min, offer.price_max) * w.price;
  score += RegionValue(need.province, need.region, offer.province, offer.region,
                       options.hub_province) *
           w.region;
  score +=
      TransferValue(need.transfer_modes, offer.transfer_modes) * w.transfer;
  return score;
}

double AddFreshnessValue(int64_t fresh_micros, const MatchOptions& options,
                         double score) {
  return score + FreshnessValue(fresh_micros, options.now_micros) *
                     options.weights.freshness;
}

void AddFreshness(int64_t fresh_micros, const MatchOptions& options,
                  bool explain, MatchHit* hit) {
  Component fresh =
      FreshnessComponent(fresh_micros, options.now_micros, explain);
  fresh.weight = options.weights.freshness;
  fresh.contribution = fresh.value * fresh.weight;
  hit->components.push_back(std::move(fresh));
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
  return bytes;
}

// Writes the values a document's fields list hands it (see DocFields).
struct Saving {
  SnapshotWriter& out;
  template <class T>
  bool operator()(const T& v) {
    if constexpr (std::is_same_v<T, bool>) {
      out.Pod<uint8_t>(v ? 1 : 0);
    } else if constexpr (std::is_same_v<T, std::string>) {
      out.String(v);
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      out.Pod<uint64_t>(v.size());
      for (const std::string& s : v) out.String(s);
    } else if constexpr (std::is_same_v<T, std::optional<int64_t>>) {
      out.Pod<uint8_t>(v.has_value() ? 1 : 0);
      out.Pod<int64_t>(v.value_or(0));
    } else {
      out.Pod(v);
    }
    return true;
  }
};

// Reads them back, in the same order; false when the snapshot fails.
struct Loading {
  SnapshotReader& in;
  template <class T>
  bool operator()(T& v) {
    if constexpr (std::is_same_v<T, bool>) {
      uint8_t b = 0;
      if (!in.Pod(&b)) return false;
      v = b != 0;
      return true;
    } else if constexpr (std::is_same_v<T, std::string>) {
      return in.String(&v);
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      uint64_t n = 0;
      if (!in.Length(&n, sizeof(uint64_t))) return false;
      v.resize(n);
      for (std::string& s : v) {
        if (!in.String(&s)) return false;
      }
      return true;
    } else if constexpr (std::is_same_v<T, std::optional<int64_t>>) {
      uint8_t has = 0;
      int64_t value = 0;
      if (!in.Pod(&has) || !in.Pod(&value)) return false;
      if (has != 0)
        v = value;
      else
        v.reset();
      return true;
    } else {
      return in.Pod(&v);
    }
  }
};

// The structured facts of a document in snapshot order (its text is not
// kept by the matcher), one list for both directions: `Doc` is const when
// saving.
template <class IO, class Doc>
bool DocFields(IO& io, Doc& d) {
  if constexpr (std::is_same_v<std::remove_const_t<Doc>, OfferDoc>) {
    return io(d.id) && io(d.sectors) && io(d.trl) && io(d.price_min) &&
           io(d.price_max) && io(d.province) && io(d.region) &&
           io(d.transfer_modes) && io(d.fresh_micros) && io(d.expire_micros) &&
           io(d.published);
  } else {
    return io(d.id) && io(d.sectors) && io(d.min_trl) && io(d.budget_max) &&
           io(d.province) && io(d.region) && io(d.transfer_modes) &&
           io(d.strict) && io(d.fresh_micros) && io(d.expire_micros) &&
           io(d.published) && io(d.confidential);
  }
}

template <class Doc>
void SaveDocs(SnapshotWriter& out, const DocTable<Doc>& docs) {
  out.Pod<uint64_t>(docs.size());
  Saving saving{out};
  for (const Doc& doc : docs.all()) DocFields(saving, doc);
}

template <class Doc>
bool LoadDocs(SnapshotReader& in, DocTable<Doc>* docs) {
  uint64_t n = 0;
  if (!in.Length(&n, sizeof(uint64_t))) return false;
  docs->Reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    Doc doc;
    Loading loading{in};
    if (!DocFields(loading, doc)) return false;
    docs->Upsert(std::move(doc));
  }
  if (docs->size() != n) {
    in.Fail("a document appears twice");
    return false;
  }
  return true;
}

constexpr uint32_t kMatcherFormat = 1;

}  // namespace

Matcher::Matcher(Bm25fParams params)
    : params_(params),
      offer_text_(&analyzer_, params),
      need_text_(&analyzer_, params) {}

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
  std::unique_lock lock(mu_);
  ++writes_;
  need_text_.Upsert(need.id, analyzed, AttributesOf(need));
  NeedDoc stored = need;
  stored.text.Release();
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

template <class Doc, class Score, class Value>
MatchResult Matcher::Rank(const TextIndex& index, const DocTable<Doc>& docs,
                          const std::vector<QueryTerm>& query,
                          const std::function<bool(const Doc&)>& accept,
                          bool needs_record, uint8_t allowed_flags,
                          const MatchOptions& options, Score score,
                          Value value) const {
  MatchResult result;
  for (const auto& q : query) result.query_terms.push_back(Readable(q.term));
  const size_t wanted = options.offset + options.limit;
  const size_t max_pool = std::max(options.candidate_pool, wanted);
  const Weights& w = options.weights;
  // Fills `hit` (cleared, its vectors' capacity kept) for candidate `c`,
  // whose record is `doc`.
  auto fill_hit = [&](const TextHit& c, const Doc& doc, double best_text,
                      bool explain, MatchHit* hit) {
    hit->components.clear();
    hit->flags.clear();
    hit->score = 0;
    hit->id = c.id;
    hit->text_score = c.score;
    Component text;
    text.name = "text";
    text.value = TextValue(c.score, best_text);
    text.weight = w.text;
    text.contribution = text.value * text.weight;
    if (explain) {
      text.detail = "BM25F " + std::to_string(c.score).substr(0, 6) +
                    " relative to the best candidate";
    }
    hit->components.push_back(std::move(text));
    score(doc, hit, explain);
    for (const auto& comp : hit->components) hit->score += comp.contribution;
  };
  // One pass over the best `max_pool` text candidates. (Growing the pool
  // from 50 with a safe stopping bound was measured: the bound rarely holds,
  // as the other components can add up to their whole weight, and the
  // second pass made 1M-offer matches slower, 8.5 -> 11.8 ms.)
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
  std::vector<TextHit> candidates;
  double best_text = 0;
  if (options.only_id != 0) {
    if (docs.Find(options.only_id) == nullptr) return result;
    float text_score = 0;
    for (float part : index.Explain(query, options.only_id)) text_score += part;
    std::vector<TextHit> best = index.TopK(query, 1, accepted);
    // The best candidate's score as the ranking computed it: summing the
    // per-term parts differs in the last float bits.
    if (!best.empty() && best[0].id == options.only_id)
      text_score = best[0].score;
    best_text = std::max<double>(best.empty() ? 0 : best[0].score, text_score);
    candidates.push_back({options.only_id, text_score});
  } else {
    candidates = index.TopK(query, max_pool, accepted);
    if (candidates.empty()) return result;
    best_text = candidates.front().score;
  }
  // The pool is ranked on values alone; only the returned page is built as
  // explained hits (their scores are the same sums, in the same order).
  // At a million documents each candidate's record costs cache misses (the
  // id's map entry, the record, its sector list): they are looked up and
  // prefetched for the whole pool first, so that the misses overlap instead
  // of stalling one scoring after another.
  std::vector<const Doc*> records(candidates.size());
  for (size_t i = 0; i < candidates.size(); ++i) {
    records[i] = docs.Find(candidates[i].id);
    PrefetchRecord(records[i]);
  }
  for (const Doc* doc : records) PrefetchSectors(doc);
  struct Scored {
    double score;
    uint64_t id;
    float text_score;
    const Doc* doc;
  };
  std::vector<Scored> pool;
  pool.reserve(candidates.size());
  for (size_t i = 0; i < candidates.size(); ++i) {
    const TextHit& c = candidates[i];
    const double ranked =
        value(*records[i], 0.0 + TextValue(c.score, best_text) * w.text);
    pool.push_back({ranked, c.id, c.score, records[i]});
  }
  std::sort(pool.begin(), pool.end(), [](const Scored& a, const Scored& b) {
    return a.score != b.score ? a.score > b.score : a.id < b.id;
  });
  result.candidates = candidates.size();
  size_t begin = std::min(options.offset, pool.size());
  size_t end = std::min(begin + options.limit, pool.size());
  for (size_t i = begin; i < end; ++i) {
    fill_hit({pool[i].id, pool[i].text_score}, *pool[i].doc, best_text,
             options.explain, &result.hits.emplace_back());
  }
  if (options.explain) {
    std::vector<uint64_t> ids;
    for (const MatchHit& hit : result.hits) ids.push_back(hit.id);
    std::vector<std::vector<float>> rows = index.Explain(query, ids);
    for (size_t h = 0; h < result.hits.size(); ++h) {
      MatchHit& hit = result.hits[h];
      const std::vector<float>& parts = rows[h];
      // The accented and folded twins of a term read the same: merge them.
      std::vector<std::pair<std::string, double>> merged;
      for (size_t i = 0; i < parts.size(); ++i) {
        if (parts[i] <= 0) continue;
        std::string readable = Readable(query[i].term);
        auto it =
            std::find_if(merged.begin(), merged.end(),
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
        hit.top_terms.push_back(
            {merged[i].first,
             hit.text_score > 0 ? merged[i].second / hit.text_score : 0});
      }
    }
  }
  return result;
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

MatchResult Matcher::OffersForNeed(const NeedDoc& need,
                                   const MatchOptions& options) const {
  auto lock = LockForQuery();
  auto query = offer_text_.MoreLikeThis(need.text, options.query_terms);
  return Rank<OfferDoc>(
      offer_text_, offers_, query,
      [&](const OfferDoc& offer) {
        return Live(offer.published, offer.expire_micros, options.now_micros) &&
               MeetsStrict(need, offer);
      },
      need.strict != 0, 0, options,
      [&](const OfferDoc& offer, MatchHit* hit, bool explain) {
        AddPairComponents(need, offer, options, explain, hit);
        AddFreshness(offer.fresh_micros, options, explain, hit);
      },
      [&](const OfferDoc& offer, double score) {
        return AddFreshnessValue(offer.fresh_micros, options,
                                 AddPairValues(need, offer, options, score));
      });
}

std::optional<MatchHit> Matcher::ExplainPair(
    const NeedDoc& need, uint64_t offer_id, const MatchOptions& options) const {
  MatchOptions one = options;
  one.only_id = offer_id;
  one.offset = 0;
  one.limit = 1;
  MatchResult result = OffersForNeed(need, one);
  if (result.hits.empty()) return std::nullopt;
  return std::move(result.hits.front());
}

MatchResult Matcher::NeedsForOffer(const OfferDoc& offer,
                                   const MatchOptions& options) const {
  auto lock = LockForQuery();
  auto query = need_text_.MoreLikeThis(offer.text, options.query_terms);
  return Rank<NeedDoc>(
      need_text_, needs_, query,
      [&](const NeedDoc& need) {
        return Live(need.published, need.expire_micros, options.now_micros) &&
               (options.include_confidential || !need.confidential) &&
               MeetsStrict(need, offer);
      },
      false, options.include_confidential ? kConfidentialFlag : 0, options,
      [&](const NeedDoc& need, MatchHit* hit, bool explain) {
        AddPairComponents(need, offer, options, explain, hit);
        AddFreshness(need.fresh_micros, options, explain, hit);
      },
      [&](const NeedDoc& need, double score) {
        return AddFreshnessValue(need.fresh_micros, options,
                                 AddPairValues(need, offer, options, score));
      });
}

MatchResult Matcher::SearchOffers(const std::string& query,
                                  const SearchFilters& filters,
                                  const MatchOptions& options) const {
  auto lock = LockForQuery();
  auto terms = offer_text_.ParseQuery(query);
  return Rank<OfferDoc>(
      offer_text_, offers_, terms,
      [&](const OfferDoc& offer) {
        return Live(offer.published, offer.expire_micros, options.now_micros) &&
               PassesFilters(offer, filters, offer.trl) &&
               (filters.price_ceiling <= 0 ||
                offer.price_min <= filters.price_ceiling);
      },
      Filters(filters), 0, options,
      [&](const OfferDoc& offer, MatchHit* hit, bool explain) {
        AddFreshness(offer.fresh_micros, options, explain, hit);
      },
      [&](const OfferDoc& offer, double score) {
        return AddFreshnessValue(offer.fresh_micros, options, score);
      });
}

MatchResult Matcher::SearchNeeds(const std::string& query,
                                 const SearchFilters& filters,
                                 const MatchOptions& options) const {
  auto lock = LockForQuery();
  auto terms = need_text_.ParseQuery(query);
  return Rank<NeedDoc>(
      need_text_, needs_, terms,
      [&](const NeedDoc& need) {
        return Live(need.published, need.expire_micros, options.now_micros) &&
               !need.confidential &&
               PassesFilters(need, filters, need.min_trl) &&
               (filters.price_ceiling <= 0 || !need.budget_max.has_value() ||
                *need.budget_max <= filters.price_ceiling);
      },
      Filters(filters), 0, options,
      [&](const NeedDoc& need, MatchHit* hit, bool explain) {
        AddFreshness(need.fresh_micros, options, explain, hit);
      },
      [&](const NeedDoc& need, double score) {
        return AddFreshnessValue(need.fresh_micros, options, score);
      });
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

void Matcher::Save(SnapshotWriter& out) const {
  std::shared_lock lock(mu_);
  out.Pod(kMatcherFormat);
  offer_text_.Save(out);
  need_text_.Save(out);
  SaveDocs(out, offers_);
  SaveDocs(out, needs_);
}

absl::Status Matcher::Load(SnapshotReader& in) {
  TextIndex offer_text(&analyzer_, params_), need_text(&analyzer_, params_);
  DocTable<OfferDoc> offers;
  DocTable<NeedDoc> needs;
  uint32_t format = 0;
  if (in.Pod(&format) && format != kMatcherFormat) {
    in.Fail("matcher state of another format");
  }
  if (in.ok() && offer_text.Load(in) && need_text.Load(in) &&
      LoadDocs(in, &offers) && LoadDocs(in, &needs) &&
      (offers.size() != offer_text.size() ||
       needs.size() != need_text.size())) {
    in.Fail("the documents do not match the text indexes");
  }
  absl::Status verified = in.Finish();
  if (!verified.ok()) return verified;
  std::unique_lock lock(mu_);
  ++writes_;
  offer_text_ = std::move(offer_text);
  need_text_ = std::move(need_text);
  offers_ = std::move(offers);
  needs_ = std::move(needs);
  return absl::OkStatus();
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
