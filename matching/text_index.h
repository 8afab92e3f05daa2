// TextIndex: an in-memory inverted index with BM25F scoring over three
// fields (title, keywords, body).
//
// Documents are identified by caller ids (uint64). Upsert replaces a
// document; the old postings are tombstoned and reclaimed by Compact().
// Scores use the current average field lengths, so they are exact BM25F at
// any moment, whatever the insertion order.
//
// Not thread-safe by itself: the Matcher serialises writers and lets
// readers share (see matcher.h).
#ifndef TECHMATCH_MATCHING_TEXT_INDEX_H_
#define TECHMATCH_MATCHING_TEXT_INDEX_H_

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "matching/analyzer.h"

namespace techmatch::matching {

enum Field : int { kTitle = 0, kKeywords = 1, kBody = 2 };
inline constexpr int kFieldCount = 3;

// The text of one document, by field.
struct FieldTexts {
  std::string title;
  std::string keywords;  // joined with " . " so pairs never span keywords
  std::string body;
};

struct Bm25fParams {
  float k1 = 1.2f;
  std::array<float, kFieldCount> weight = {2.0f, 1.5f, 1.0f};
  std::array<float, kFieldCount> b = {0.75f, 0.75f, 0.75f};
  // Query-side weights: syllable-pair terms, and function / question words
  // ("là", "gì", "bao nhiêu", ...; see Analyzer::IsStopword). Measured on
  // the ViRE sets (docs/quality.md).
  float pair_weight = 0.7f;
  float stopword_weight = 0.3f;
};

// One term of a query with its weight (1 for plain BM25).
struct QueryTerm {
  std::string term;
  float weight = 1.0f;
};

// A document's text score and the contribution of each query term
// (parallel to the query's terms; filled only when explaining).
struct TextHit {
  uint64_t id = 0;
  float score = 0;
};

class TextIndex {
 public:
  TextIndex(const Analyzer* analyzer, Bm25fParams params);

  // Adds or replaces document `id`.
  void Upsert(uint64_t id, const FieldTexts& texts);

  // Removes document `id`; no-op when absent.
  void Remove(uint64_t id);

  // Reclaims tombstoned postings. O(total postings).
  void Compact();

  // True when tombstones exceed a quarter of the documents.
  bool NeedsCompaction() const;

  // The `k` best documents for `query` among those `accept`s (may be null),
  // best first; ties broken by ascending id. Documents with no matching term
  // are not returned.
  std::vector<TextHit> TopK(const std::vector<QueryTerm>& query, size_t k,
                            const std::function<bool(uint64_t)>& accept) const;

  // Per-term contributions of `query` to document `id`'s score (parallel to
  // `query`); all zero when absent.
  std::vector<float> Explain(const std::vector<QueryTerm>& query,
                             uint64_t id) const;

  // Inverse document frequency (Lucene's BM25 form); 0 for unknown terms.
  float Idf(const std::string& term) const;

  // "More like this": the `max_terms` terms of `texts` with the highest
  // tf * idf, title counted twice. Each gets weight 1.
  std::vector<QueryTerm> MoreLikeThis(const FieldTexts& texts,
                                      size_t max_terms) const;

  // Terms of a free-text query (see Analyzer::QueryTerms), de-duplicated,
  // weighted by Bm25fParams::pair_weight and stopword_weight.
  std::vector<QueryTerm> ParseQuery(const std::string& text) const;

  size_t size() const { return live_docs_; }
  // Approximate heap bytes held by the index.
  size_t MemoryBytes() const;

 private:
  struct Posting {
    uint32_t doc;
    std::array<uint8_t, kFieldCount> tf;  // saturated at 255
  };
  struct Doc {
    uint64_t id;
    std::array<uint32_t, kFieldCount> length;
    bool alive;
  };

  float Contribution(float idf, const Posting& p, const Doc& doc,
                     const std::array<float, kFieldCount>& inv_avg) const;
  std::array<float, kFieldCount> InverseAverages() const;
  float QueryWeight(const std::string& term) const;

  const Analyzer* analyzer_;
  Bm25fParams params_;
  std::unordered_map<std::string, uint32_t> term_ids_;
  // By term id, in ascending doc order. Tombstoned documents keep their
  // postings (and count in document frequencies, as in Lucene) until
  // Compact().
  std::vector<std::vector<Posting>> postings_;
  std::vector<Doc> docs_;                         // by internal index
  std::unordered_map<uint64_t, uint32_t> doc_of_id_;
  std::array<uint64_t, kFieldCount> total_length_ = {0, 0, 0};
  size_t live_docs_ = 0;
  size_t dead_docs_ = 0;
};

}  // namespace techmatch::matching

#endif  // TECHMATCH_MATCHING_TEXT_INDEX_H_
