// TextIndex, the query side: top-k retrieval (windowed MaxScore), per-term
// explanations, "more like this" and free-text query terms.
#include <algorithm>
#include <cmath>
#include <memory>
#include <queue>
#include <unordered_set>
#include <utility>

#include "matching/text_index.h"

namespace techmatch::matching {
namespace {

// Heap order: the worst hit on top.
struct Worse {
  bool operator()(const TextHit& a, const TextHit& b) const {
    return a.score != b.score ? a.score > b.score : a.id < b.id;
  }
};

bool Better(float score, uint64_t id, const TextHit& than) {
  return score != than.score ? score > than.score : id < than.id;
}

}  // namespace

namespace {
// TopK's window widths, in slots (powers of two).
constexpr uint32_t kMinWindow = 4096;
constexpr uint32_t kMaxWindow = 65536;
}  // namespace

std::vector<TextHit> TextIndex::TopK(const std::vector<QueryTerm>& query,
                                     size_t k, const Accept& accept) const {
  std::vector<TextHit> out;
  if (k == 0 || live_docs_ == 0) return out;
  struct Term {
    const TermInfo* info;
    float weight;  // idf * query weight
    float bound;   // weight * Saturate(max_s)
  };
  std::vector<Term> terms;
  for (const QueryTerm& q : query) {
    const TermInfo* info = Find(q.term);
    if (info == nullptr || info->postings.empty()) continue;
    float weight = IdfOf(*info) * q.weight;
    if (weight <= 0) continue;
    terms.push_back({info, weight, weight * Saturate(info->max_s)});
  }
  if (terms.empty()) return out;
  // Ascending bounds; prefix[i] = sum of bounds of cursors 0..i.
  std::sort(terms.begin(), terms.end(),
            [](const Term& a, const Term& b) { return a.bound < b.bound; });
  struct Cursor {
    explicit Cursor(const Term& t)
        : reader(t.info->postings), weight(t.weight), bound(t.bound) {}
    PostingList::Reader reader;
    float weight;
    float bound;
  };
  thread_local std::vector<Cursor> cursors;
  cursors.clear();
  for (const Term& t : terms) cursors.emplace_back(t);
  const size_t n = cursors.size();
  std::vector<float> prefix(n);
  float running = 0;
  for (size_t i = 0; i < n; ++i)
    prefix[i] = running += cursors[i].bound * 1.0001f;

  std::priority_queue<TextHit, std::vector<TextHit>, Worse> heap;
  float threshold = 0;
  size_t first_essential = 0;
  // Windows of slots: the essential lists are accumulated term-at-a-time
  // into a dense array (no per-document merge of many cursors), then each
  // scored document probes the non-essential lists with MaxScore pruning.
  // A bitmap marks the window's touched slots, so sparse windows cost their
  // postings, not their width.
  //
  // Each window costs a visit to every essential list, so a query of rare
  // terms (a more-like-this query: a few hundred postings each in a million
  // documents) takes wider windows, about 8 postings of its median list per
  // window: at 1M offers full matches ran 4-8% faster with 16K-64K slots than
  // with 4K, and 100-term text queries of common terms 10-35% slower.
  const uint32_t slot_count = static_cast<uint32_t>(slots_.size());
  std::vector<uint32_t> dfs;
  dfs.reserve(n);
  for (const Term& t : terms) dfs.push_back(t.info->postings.size());
  std::nth_element(dfs.begin(), dfs.begin() + n / 2, dfs.end());
  const uint64_t wanted_width =
      uint64_t{slot_count} * 8 / std::max<uint32_t>(dfs[n / 2], 1);
  uint32_t window = kMinWindow;
  while (window < kMaxWindow && window < wanted_width) window *= 2;
  const uint32_t words = window / 64;
  thread_local std::vector<float> acc;
  acc.assign(window, 0.0f);
  std::array<uint64_t, kMaxWindow / 64> touched{};
  struct Survivor {
    uint32_t slot;
    float score;
  };
  // At most one per slot of a window; left uninitialised (only the used
  // front is ever touched).
  thread_local std::unique_ptr<Survivor[]> survivors;
  thread_local uint32_t survivor_capacity = 0;
  if (survivor_capacity < window) {
    survivors.reset(new Survivor[window]);
    survivor_capacity = window;
  }
  for (uint32_t base = 0; base < slot_count && first_essential < n;
       base += window) {
    const uint32_t limit = std::min(base + window, slot_count);
    const size_t window_essential = first_essential;
    // Jump to the next window any essential list reaches.
    uint32_t next = UINT32_MAX;
    for (size_t i = window_essential; i < n; ++i) {
      if (!cursors[i].reader.done())
        next = std::min(next, SlotOf(cursors[i].reader.value()));
    }
    if (next == UINT32_MAX) break;
    if (next >= limit) {
      base = next / window * window - window;
      continue;
    }
    for (size_t i = window_essential; i < n; ++i) {
      PostingList::Reader& r = cursors[i].reader;
      const float weight = cursors[i].weight;
      // A block at a time: the documents' norms (a cache miss each at a
      // million documents) are requested for the whole block before the
      // first is used, so the misses overlap.
      while (!r.done() && SlotOf(r.value()) < limit) {
        const Posting* first = r.buffered_begin();
        const Posting* last = r.buffered_end();
        if (SlotOf(last[-1]) >= limit) {
          last = std::lower_bound(
              first, last, limit,
              [](Posting p, uint32_t s) { return SlotOf(p) < s; });
        }
        for (const Posting* p = first; p != last; ++p) {
          __builtin_prefetch(&length_codes_[SlotOf(*p)]);
        }
        for (const Posting* p = first; p != last; ++p) {
          const uint32_t offset = SlotOf(*p) - base;
          acc[offset] += weight * Saturate(S(*p));
          touched[offset >> 6] |= uint64_t{1} << (offset & 63);
        }
        r.Skip(static_cast<uint32_t>(last - first));
      }
    }
    // Completes the touched documents' scores with the non-essential lists
    // (MaxScore: stops once the rest cannot reach the threshold) and keeps
    // those that may enter the top k. The threshold can only rise, so one
    // read at the window's start prunes safely.
    size_t survivor_count = 0;
    const bool full_before = heap.size() == k;
    const float threshold_before = threshold;
    for (uint32_t word = 0; word < words; ++word) {
      for (uint64_t bits = std::exchange(touched[word], 0); bits != 0;
           bits &= bits - 1) {
        const uint32_t offset =
            word * 64 + static_cast<uint32_t>(__builtin_ctzll(bits));
        float score = acc[offset];
        acc[offset] = 0.0f;
        const uint32_t slot = base + offset;
        bool pruned = false;
        for (size_t i = window_essential; i-- > 0;) {
          if (full_before && score + prefix[i] < threshold_before) {
            pruned = true;
            break;
          }
          PostingList::Reader& r = cursors[i].reader;
          r.SeekTo(slot);
          if (!r.done() && SlotOf(r.value()) == slot) {
            score += cursors[i].weight * Saturate(S(r.value()));
          }
        }
        if (pruned || (full_before && score < threshold_before)) continue;
        // The slot is a cache miss at a million documents: requested now,
        // read below.
        __builtin_prefetch(&slots_[slot]);
        survivors[survivor_count++] = {slot, score};
      }
    }
    for (size_t i = 0; i < survivor_count; ++i) {
      const auto [slot, score] = survivors[i];
      const bool full = heap.size() == k;
      if (full && score < threshold) continue;
      const Slot& doc = slots_[slot];
      if (!doc.alive) continue;
      if (full && !Better(score, doc.id, heap.top())) continue;
      if (accept && !accept(doc.id, doc.attributes)) continue;
      heap.push({doc.id, score});
      if (heap.size() > k) heap.pop();
      if (heap.size() == k) {
        threshold = heap.top().score;
        while (first_essential < n && prefix[first_essential] < threshold) {
          ++first_essential;
        }
      }
    }
  }
  out.resize(heap.size());
  for (size_t i = heap.size(); i-- > 0;) {
    out[i] = heap.top();
    heap.pop();
  }
  return out;
}

std::vector<float> TextIndex::Explain(const std::vector<QueryTerm>& query,
                                      uint64_t id) const {
  return std::move(Explain(query, std::vector<uint64_t>{id}).front());
}

std::vector<std::vector<float>> TextIndex::Explain(
    const std::vector<QueryTerm>& query,
    const std::vector<uint64_t>& ids) const {
  std::vector<const TermInfo*> infos;
  infos.reserve(query.size());
  for (const QueryTerm& q : query) infos.push_back(Find(q.term));
  std::vector<std::vector<float>> out(ids.size(),
                                      std::vector<float>(query.size(), 0.0f));
  // Readers only move forward: visit the documents in slot order.
  std::vector<std::pair<uint32_t, size_t>> order;  // (slot, row)
  order.reserve(ids.size());
  for (size_t row = 0; row < ids.size(); ++row) {
    auto doc_it = slot_of_id_.find(ids[row]);
    if (doc_it != slot_of_id_.end()) order.emplace_back(doc_it->second, row);
  }
  std::sort(order.begin(), order.end());
  for (size_t i = 0; i < query.size(); ++i) {
    const TermInfo* info = infos[i];
    if (info == nullptr) continue;
    const float weight = IdfOf(*info) * query[i].weight;
    PostingList::Reader r(info->postings);
    for (const auto& [slot, row] : order) {
      r.SeekTo(slot);
      if (r.done()) break;
      if (SlotOf(r.value()) == slot)
        out[row][i] = weight * Saturate(S(r.value()));
    }
  }
  return out;
}

float TextIndex::QueryWeight(const std::string& term) const {
  if (term.find('_') != std::string::npos) return params_.pair_weight;
  std::string_view body(term);
  if (!body.empty() && body[0] == kAccentedMarker) body.remove_prefix(1);
  if (analyzer_->IsStopword(body)) return params_.stopword_weight;
  return 1.0f;
}

std::vector<QueryTerm> TextIndex::ParseQuery(const std::string& text) const {
  std::vector<std::string> terms;
  analyzer_->QueryTerms(text, &terms);
  std::vector<QueryTerm> out;
  std::unordered_set<std::string> seen;
  for (auto& t : terms) {
    if (!seen.insert(t).second) continue;
    float weight = QueryWeight(t);
    out.push_back({std::move(t), weight});
  }
  return out;
}

TextIndex::TermStats TextIndex::Stats(std::string_view term) const {
  TermStats stats;
  uint64_t key = 0;
  if (!KeyOf(term, &key)) return stats;
  stats.term = KnownTerm(key);
  if (stats.term == UINT32_MAX) return stats;
  stats.df = terms_[stats.term].postings.size();
  stats.idf = IdfOf(terms_[stats.term]);
  return stats;
}

double TextIndex::MaxScore(const std::vector<QueryTerm>& query) const {
  double most = 0;
  for (const QueryTerm& q : query) {
    const TermInfo* info = Find(q.term);
    const double idf = info != nullptr && info->postings.size() > 0
                           ? IdfOf(*info)
                           : IdfOfFrequency(1);
    most += idf * q.weight * (params_.k1 + 1.0);
  }
  return most;
}

float TextIndex::IdfOfFrequency(double df) const {
  const double n = static_cast<double>(slots_.size());
  return static_cast<float>(std::log(1.0 + (n - df + 0.5) / (df + 0.5)));
}

std::vector<TextIndex::SlotRow> TextIndex::SlotRows(
    const std::vector<uint64_t>& ids) const {
  std::vector<SlotRow> order;
  order.reserve(ids.size());
  for (size_t row = 0; row < ids.size(); ++row) {
    auto it = slot_of_id_.find(ids[row]);
    if (it != slot_of_id_.end())
      order.push_back({it->second, static_cast<uint32_t>(row)});
  }
  std::sort(order.begin(), order.end(),
            [](const SlotRow& a, const SlotRow& b) { return a.slot < b.slot; });
  return order;
}

void TextIndex::Strengths(const TermStats& term,
                          const std::vector<SlotRow>& docs, size_t width,
                          size_t column, float* out) const {
  if (term.term == UINT32_MAX) return;
  const float scale = 1.0f / (params_.k1 + 1.0f);
  // Readers only move forward: the documents come in slot order.
  PostingList::Reader r(terms_[term.term].postings);
  for (const SlotRow& doc : docs) {
    r.SeekTo(doc.slot);
    if (r.done()) break;
    if (SlotOf(r.value()) == doc.slot)
      out[doc.row * width + column] = Saturate(S(r.value())) * scale;
  }
}

void TextIndex::Strengths(const std::vector<TermStats>& terms,
                          const std::vector<uint64_t>& ids,
                          std::vector<float>* out) const {
  const size_t width = terms.size();
  out->assign(ids.size() * width, 0.0f);
  const std::vector<SlotRow> docs = SlotRows(ids);
  for (size_t t = 0; t < width; ++t)
    Strengths(terms[t], docs, width, t, out->data());
}

std::array<uint32_t, kFieldCount> TextIndex::DocVector::Frequencies(
    std::string_view term) const {
  auto it = tf_.find(absl::string_view(term.data(), term.size()));
  return it == tf_.end() ? std::array<uint32_t, kFieldCount>{0, 0, 0}
                         : it->second;
}

TextIndex::DocVector TextIndex::Vectorize(const AnalyzedText& text) const {
  // The terms and lengths UpsertBatch gives a document (see its passes).
  DocVector doc;
  std::string term;
  auto count = [&](int field) { ++doc.tf_[term][field]; };
  for (int f = 0; f < kFieldCount; ++f) {
    uint32_t length = 0;
    std::string prev_folded, prev_accented;
    bool first = true;
    text.ForEachToken(f, [&](std::string_view folded, std::string_view accented,
                             bool breaks_before) {
      term.assign(folded);
      count(f);
      term.assign(1, kAccentedMarker);
      term.append(accented);
      count(f);
      if (!first && !breaks_before) {
        term.assign(prev_folded);
        term += '_';
        term.append(folded);
        count(f);
        term.assign(1, kAccentedMarker);
        term += prev_accented;
        term += '_';
        term.append(accented);
        count(f);
      }
      length += (!first && !breaks_before) ? 4 : 2;
      first = false;
      prev_folded.assign(folded);
      prev_accented.assign(accented);
    });
    doc.length_codes_[f] = LengthCode(std::min<uint32_t>(length, 65535));
  }
  return doc;
}

void TextIndex::Strengths(const std::vector<std::string>& terms,
                          const DocVector& doc, float* out) const {
  const float scale = 1.0f / (params_.k1 + 1.0f);
  for (size_t t = 0; t < terms.size(); ++t) {
    const std::array<uint32_t, kFieldCount> tf = doc.Frequencies(terms[t]);
    if (tf[0] == 0 && tf[1] == 0 && tf[2] == 0) {
      out[t] = 0.0f;
      continue;
    }
    // As S() computes it for a posting: saturated frequencies, coded norms.
    const auto& coded = decode_[Code(tf)];
    const auto& c = doc.length_codes_;
    const float s = static_cast<float>(coded[0]) * norms_[0][c[0]] +
                    static_cast<float>(coded[1]) * norms_[1][c[1]] +
                    static_cast<float>(coded[2]) * norms_[2][c[2]];
    out[t] = Saturate(s) * scale;
  }
}

}  // namespace techmatch::matching
