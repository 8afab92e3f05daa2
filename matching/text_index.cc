#include "matching/text_index.h"

#include <algorithm>
#include <cmath>
#include <queue>
#include <unordered_set>

namespace techmatch::matching {

TextIndex::TextIndex(const Analyzer* analyzer, Bm25fParams params)
    : analyzer_(analyzer), params_(params) {}

void TextIndex::Upsert(uint64_t id, const FieldTexts& texts) {
  Remove(id);
  const std::string* fields[kFieldCount] = {&texts.title, &texts.keywords,
                                            &texts.body};
  // term id -> per-field counts
  std::unordered_map<uint32_t, std::array<uint32_t, kFieldCount>> counts;
  Doc doc{id, {0, 0, 0}, true};
  std::vector<std::string> terms;
  for (int f = 0; f < kFieldCount; ++f) {
    terms.clear();
    analyzer_->IndexTerms(*fields[f], &terms);
    doc.length[f] = static_cast<uint32_t>(terms.size());
    total_length_[f] += terms.size();
    for (const std::string& term : terms) {
      auto [it, inserted] =
          term_ids_.emplace(term, static_cast<uint32_t>(postings_.size()));
      if (inserted) postings_.emplace_back();
      counts[it->second][f]++;
    }
  }
  uint32_t index = static_cast<uint32_t>(docs_.size());
  docs_.push_back(doc);
  doc_of_id_[id] = index;
  ++live_docs_;
  for (const auto& [term, c] : counts) {
    Posting p{index, {}};
    for (int f = 0; f < kFieldCount; ++f) {
      p.tf[f] = static_cast<uint8_t>(std::min<uint32_t>(c[f], 255));
    }
    postings_[term].push_back(p);
  }
}

void TextIndex::Remove(uint64_t id) {
  auto it = doc_of_id_.find(id);
  if (it == doc_of_id_.end()) return;
  Doc& doc = docs_[it->second];
  for (int f = 0; f < kFieldCount; ++f) total_length_[f] -= doc.length[f];
  doc.alive = false;
  doc_of_id_.erase(it);
  --live_docs_;
  ++dead_docs_;
}

bool TextIndex::NeedsCompaction() const {
  return dead_docs_ > 64 && dead_docs_ * 4 > docs_.size();
}

void TextIndex::Compact() {
  std::vector<uint32_t> remap(docs_.size(), UINT32_MAX);
  std::vector<Doc> docs;
  docs.reserve(live_docs_);
  for (uint32_t i = 0; i < docs_.size(); ++i) {
    if (!docs_[i].alive) continue;
    remap[i] = static_cast<uint32_t>(docs.size());
    docs.push_back(docs_[i]);
  }
  for (auto& list : postings_) {
    size_t out = 0;
    for (const Posting& p : list) {
      if (remap[p.doc] != UINT32_MAX) list[out++] = Posting{remap[p.doc], p.tf};
    }
    list.resize(out);
    list.shrink_to_fit();
  }
  docs_ = std::move(docs);
  for (uint32_t i = 0; i < docs_.size(); ++i) doc_of_id_[docs_[i].id] = i;
  dead_docs_ = 0;
}

std::array<float, kFieldCount> TextIndex::InverseAverages() const {
  std::array<float, kFieldCount> inv{};
  for (int f = 0; f < kFieldCount; ++f) {
    double avg = live_docs_ == 0 ? 1.0
                                 : static_cast<double>(total_length_[f]) /
                                       static_cast<double>(live_docs_);
    inv[f] = avg > 0 ? static_cast<float>(1.0 / avg) : 0.0f;
  }
  return inv;
}

float TextIndex::Idf(const std::string& term) const {
  auto it = term_ids_.find(term);
  if (it == term_ids_.end()) return 0;
  double n = static_cast<double>(docs_.size());
  double df = static_cast<double>(postings_[it->second].size());
  if (df == 0) return 0;
  return static_cast<float>(std::log(1.0 + (n - df + 0.5) / (df + 0.5)));
}

float TextIndex::Contribution(float idf, const Posting& p, const Doc& doc,
                              const std::array<float, kFieldCount>& inv_avg) const {
  float s = 0;
  for (int f = 0; f < kFieldCount; ++f) {
    if (p.tf[f] == 0) continue;
    float norm = 1.0f - params_.b[f] +
                 params_.b[f] * static_cast<float>(doc.length[f]) * inv_avg[f];
    s += params_.weight[f] * static_cast<float>(p.tf[f]) / norm;
  }
  return idf * s * (params_.k1 + 1.0f) / (s + params_.k1);
}

std::vector<TextHit> TextIndex::TopK(
    const std::vector<QueryTerm>& query, size_t k,
    const std::function<bool(uint64_t)>& accept) const {
  std::vector<TextHit> out;
  if (k == 0 || docs_.empty()) return out;
  auto inv_avg = InverseAverages();
  // Term-at-a-time accumulation over a dense array, reused per thread.
  thread_local std::vector<float> acc;
  thread_local std::vector<uint32_t> touched;
  if (acc.size() < docs_.size()) acc.resize(docs_.size(), 0.0f);
  touched.clear();
  for (const QueryTerm& q : query) {
    auto it = term_ids_.find(q.term);
    if (it == term_ids_.end()) continue;
    float idf = Idf(q.term) * q.weight;
    for (const Posting& p : postings_[it->second]) {
      const Doc& doc = docs_[p.doc];
      if (!doc.alive) continue;
      if (acc[p.doc] == 0.0f) touched.push_back(p.doc);
      acc[p.doc] += Contribution(idf, p, doc, inv_avg);
    }
  }
  // Keep the k best with a min-heap; order by (score desc, id asc).
  auto worse = [](const TextHit& a, const TextHit& b) {
    return a.score != b.score ? a.score > b.score : a.id < b.id;
  };
  std::priority_queue<TextHit, std::vector<TextHit>, decltype(worse)> heap(worse);
  for (uint32_t d : touched) {
    float score = acc[d];
    acc[d] = 0.0f;
    if (score <= 0.0f) continue;
    uint64_t id = docs_[d].id;
    if (heap.size() == k) {
      const TextHit& top = heap.top();
      if (score < top.score || (score == top.score && id > top.id)) continue;
    }
    if (accept && !accept(id)) continue;
    heap.push({id, score});
    if (heap.size() > k) heap.pop();
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
  std::vector<float> out(query.size(), 0.0f);
  auto doc_it = doc_of_id_.find(id);
  if (doc_it == doc_of_id_.end()) return out;
  uint32_t index = doc_it->second;
  auto inv_avg = InverseAverages();
  for (size_t i = 0; i < query.size(); ++i) {
    auto it = term_ids_.find(query[i].term);
    if (it == term_ids_.end()) continue;
    const auto& list = postings_[it->second];
    auto p = std::lower_bound(list.begin(), list.end(), index,
                              [](const Posting& a, uint32_t d) { return a.doc < d; });
    if (p == list.end() || p->doc != index) continue;
    out[i] = Contribution(Idf(query[i].term) * query[i].weight, *p,
                          docs_[index], inv_avg);
  }
  return out;
}

std::vector<QueryTerm> TextIndex::MoreLikeThis(const FieldTexts& texts,
                                               size_t max_terms) const {
  std::vector<std::string> terms;
  analyzer_->IndexTerms(texts.title, &terms);
  analyzer_->IndexTerms(texts.title, &terms);
  analyzer_->IndexTerms(texts.keywords, &terms);
  analyzer_->IndexTerms(texts.body, &terms);
  std::unordered_map<std::string, int> tf;
  for (const auto& t : terms) tf[t]++;
  std::vector<std::pair<float, std::string>> ranked;
  ranked.reserve(tf.size());
  for (const auto& [term, count] : tf) {
    float idf = Idf(term);
    if (idf > 0) ranked.emplace_back(static_cast<float>(count) * idf, term);
  }
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<QueryTerm> out;
  for (size_t i = 0; i < ranked.size() && i < max_terms; ++i) {
    out.push_back({ranked[i].second, 1.0f});
  }
  return out;
}

float TextIndex::QueryWeight(const std::string& term) const {
  bool accented = !term.empty() && term[0] == kAccentedMarker;
  size_t underscore = term.find('_');
  if (underscore != std::string::npos) return params_.pair_weight;
  std::string_view body(term);
  if (accented) body.remove_prefix(1);
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

size_t TextIndex::MemoryBytes() const {
  size_t bytes = docs_.capacity() * sizeof(Doc) +
                 doc_of_id_.size() * (sizeof(uint64_t) + sizeof(uint32_t) + 16) +
                 postings_.capacity() * sizeof(std::vector<Posting>);
  for (const auto& list : postings_) bytes += list.capacity() * sizeof(Posting);
  for (const auto& [term, id] : term_ids_) bytes += term.capacity() + 48;
  return bytes;
}

}  // namespace techmatch::matching
