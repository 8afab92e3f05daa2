// TextIndex: an in-memory inverted index with BM25F scoring over three
// fields (title, keywords, body) and MaxScore top-k retrieval.
//
// Documents are identified by caller ids (uint64). Upsert replaces a
// document; the old postings are tombstoned and reclaimed by Compact().
//
// Scoring: BM25F, s = Σ_f w_f·tf_f / (1 − b_f + b_f·len_f/avg_f), score =
// Σ_terms idf·weight·s·(k1+1)/(s+k1), Lucene's idf. Average field lengths are
// a snapshot refreshed whenever the live averages drift by more than 0.5%,
// so scores are within that of exact BM25F and bounds stay exact.
//
// Retrieval: document-at-a-time MaxScore. Each term keeps an upper bound of
// its contribution; terms whose bounds together cannot lift a document into
// the current top k are only probed for documents the others found, so
// common syllables cost little. Results equal exhaustive scoring.
//
// A posting is a 24-bit document slot and the per-field term frequencies
// saturated at 3 (title), 1 (keywords) and 31 (body) in one byte; BM25's own
// saturation makes higher counts nearly worthless. Lists are stored
// compressed (see PostingList: about 1.9 bytes a posting at a million
// offers). The index holds at most 2^24 document slots, tombstones included;
// an upsert into a full index of live documents throws std::length_error.
//
// Thread-safety: none by itself. Const methods may run concurrently with each
// other once RefreshForQueries() has run after the last mutation; the
// Matcher arranges that (see matcher.h).
#ifndef TECHMATCH_MATCHING_TEXT_INDEX_H_
#define TECHMATCH_MATCHING_TEXT_INDEX_H_

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "matching/analyzer.h"
#include "matching/pair_term_map.h"
#include "matching/posting_list.h"
#include "matching/snapshot_io.h"

namespace techmatch::matching {

enum Field : int { kTitle = 0, kKeywords = 1, kBody = 2 };
inline constexpr int kFieldCount = 3;

// The text of one document, by field.
struct FieldTexts {
  std::string title;
  std::string keywords;  // joined with " . " so pairs never span keywords
  std::string body;

  // Empties the fields and frees their memory. (Assigning empty strings
  // keeps each string's buffer: a matcher keeping "cleared" documents held
  // a kilobyte of dead text per offer.)
  void Release() {
    std::string().swap(title);
    std::string().swap(keywords);
    std::string().swap(body);
  }
};

struct Bm25fParams {
  float k1 = 1.0f;
  std::array<float, kFieldCount> weight = {2.0f, 1.5f, 1.0f};
  std::array<float, kFieldCount> b = {0.75f, 0.75f, 0.75f};
  // Query-side weights: syllable-pair terms, and function / question words
  // ("là", "gì", "bao nhiêu", ...; see Analyzer::IsStopword). Measured on
  // the ViRE sets (docs/quality.md).
  float pair_weight = 0.7f;
  float stopword_weight = 0.3f;
};

// The tokens of a document's fields, analysed ahead of indexing (so that
// analysis can run on another thread than the index's writer). Packed
// (Analyzer::PackedTokens): one character buffer and 16 bytes a token,
// about a third of the analyzer's two strings a token (a bulk load keeps
// thousands of these in flight), written by the tokenizer directly.
class AnalyzedText {
 public:
  AnalyzedText() = default;
  // Tokenizes each field of `texts` with `analyzer` (borrowed for the call).
  // Throws std::length_error beyond 4 GiB of characters.
  AnalyzedText(const Analyzer& analyzer, const FieldTexts& texts);

  // Calls fn(folded, accented, breaks_before) for each token of `field`,
  // in order. The views are valid while this object is.
  template <class Fn>
  void ForEachToken(int field, Fn&& fn) const {
    const std::string_view chars(packed_.chars);
    for (uint32_t i = field_begin_[field]; i < field_begin_[field + 1]; ++i) {
      const Analyzer::PackedTokens::Token& t = packed_.tokens[i];
      const std::string_view folded = chars.substr(t.at, t.folded_size);
      fn(folded,
         t.accented_size == 0
             ? folded
             : chars.substr(t.at + t.folded_size, t.accented_size),
         t.breaks_before != 0);
    }
  }

  // Approximate heap bytes held.
  size_t MemoryBytes() const {
    return packed_.chars.capacity() +
           packed_.tokens.capacity() * sizeof(Analyzer::PackedTokens::Token);
  }

 private:
  Analyzer::PackedTokens packed_;
  std::array<uint32_t, kFieldCount + 1> field_begin_ = {0, 0, 0, 0};
};

// One term of a query with its weight (1 for plain BM25).
struct QueryTerm {
  std::string term;
  float weight = 1.0f;
};

// What a caller keeps beside a document in the index, so that TopK's filter
// can decide on the common cases without a lookup of the caller's records.
struct DocAttributes {
  uint8_t flags = 0;   // the caller's bits (techmatch: published, ...)
  uint32_t stamp = 0;  // the caller's value (techmatch: expiry, seconds)
};

// A document's text score.
struct TextHit {
  uint64_t id = 0;
  float score = 0;
};

class TextIndex {
 public:
  // Largest number of document slots (live and tombstoned).
  static constexpr uint32_t kMaxSlots = 1u << 24;

  TextIndex(const Analyzer* analyzer, Bm25fParams params);

  // Adds or replaces document `id`. Compacts first when the slots run out.
  // `attributes` are kept beside the document and handed to TopK's filter.
  void Upsert(uint64_t id, const FieldTexts& texts,
              DocAttributes attributes = {});

  // The same from text analysed by Analyze(), which is const and may run
  // concurrently with anything (it only reads the immutable analyzer).
  void Upsert(uint64_t id, const AnalyzedText& analyzed,
              DocAttributes attributes = {});
  AnalyzedText Analyze(const FieldTexts& texts) const;

  // Adds or replaces many documents at once (a later duplicate id wins, as
  // one by one): the batch is inverted as a whole, its postings grouped by
  // term with a radix sort, so each term's dictionary entry and list are
  // touched once per batch rather than once per occurrence. Same result as
  // Upsert() one by one; several times faster for bulk loads.
  // `attributes` is empty (all default) or parallel to `ids`. A large batch
  // is inverted on up to `threads` threads (dictionary lookups, sorting and
  // list appends); the index is the same for any number.
  void UpsertBatch(const std::vector<uint64_t>& ids,
                   const std::vector<const AnalyzedText*>& texts,
                   const std::vector<DocAttributes>& attributes = {},
                   unsigned threads = 1);

  // Removes document `id`; no-op when absent.
  void Remove(uint64_t id);

  // Reclaims tombstoned postings. O(total postings).
  void Compact();

  // Releases the spare capacity of the posting lists (their growth leaves
  // up to half unused) and UpsertBatch's scratch space; for after a bulk
  // load. O(total postings), spread over `threads` threads.
  void ShrinkToFit(unsigned threads = 1);

  // True when tombstones exceed a quarter of the documents.
  bool NeedsCompaction() const;

  // True when the averages drifted (scores drift from exact BM25F) or
  // bounds went unkept; RefreshForQueries() recomputes norms and bounds (a
  // mutation: exclusive access). O(total postings), spread over `threads`
  // threads.
  bool NeedsRefresh() const { return refresh_needed_ || bounds_stale_; }
  void RefreshForQueries(unsigned threads = 1);

  // True while every term's bound holds for the current norms, as TopK()
  // requires. Once the averages drifted, a large batch (a bulk load, which
  // drifts from its first batch to its last) skips the bounds' upkeep and
  // leaves them to the refresh that follows; a small one (a commit) keeps
  // them, so queries may run before the refresh.
  bool BoundsValid() const { return !bounds_stale_; }

  // RefreshForQueries() in two steps, so that queries need not wait for
  // it: ComputeRefresh() does the O(postings) work reading only (shared
  // access, queries may run), ApplyRefresh() installs the result (exclusive
  // access, O(documents + terms) copies). The result is valid only for the
  // index it was computed from: no mutation may come between the two.
  // Per field and length code (see LengthCode): w_f / (1 − b_f + b_f ·
  // length / average).
  using NormTable = std::array<std::array<float, 256>, kFieldCount>;
  struct Refresh {
    std::array<double, kFieldCount> averages;
    NormTable norms;
    std::vector<float> max_s;  // per term
  };
  Refresh ComputeRefresh(unsigned threads = 1) const;
  void ApplyRefresh(Refresh refresh);

  // A filter on documents by id and attributes (see Upsert).
  using Accept =
      std::function<bool(uint64_t id, const DocAttributes& attributes)>;

  // The `k` best documents for `query` among those `accept`s (may be null),
  // best first; ties broken by ascending id. Documents with no matching term
  // are not returned. `accept` is only asked about documents that would
  // enter the current top k. Requires BoundsValid().
  std::vector<TextHit> TopK(const std::vector<QueryTerm>& query, size_t k,
                            const Accept& accept) const;

  // Per-term contributions of `query` to document `id`'s score (parallel to
  // `query`); all zero when absent.
  std::vector<float> Explain(const std::vector<QueryTerm>& query,
                             uint64_t id) const;
  // The same for several documents, one row per id (the query's terms are
  // looked up once).
  std::vector<std::vector<float>> Explain(
      const std::vector<QueryTerm>& query,
      const std::vector<uint64_t>& ids) const;

  // Inverse document frequency (Lucene's BM25 form); 0 for unknown terms.
  float Idf(std::string_view term) const;

  // What the index knows of one term.
  struct TermStats {
    uint32_t term = UINT32_MAX;  // internal number; UINT32_MAX: never seen
    uint32_t df = 0;             // documents holding it (as idf counts them)
    float idf = 0;               // 0 when never seen
  };
  TermStats Stats(std::string_view term) const;
  // How surely a word typed without diacritics is the word a document
  // writes with them: for a folded syllable ("mat"), the chance that two of
  // its occurrences in the collection have the same accents (mặt, mát,
  // mật, ... weighted by their document frequencies): 1 when the
  // collection writes it one way, lower the more ways it writes it.
  float FoldClarity(std::string_view folded_syllable) const;
  // The idf a term held by `df` documents would have here (Lucene's form);
  // df 0 gives the idf of an unseen term.
  float IdfOfFrequency(double df) const;

  // How strongly each term is in each document: Saturate(S) / (k1 + 1),
  // in [0, 1), the BM25F weight of one term without its idf; 0 where the
  // document lacks the term or is not indexed. `out` is resized to
  // ids.size() rows of terms.size() values.
  void Strengths(const std::vector<TermStats>& terms,
                 const std::vector<uint64_t>& ids,
                 std::vector<float>* out) const;
  // The same a term at a time, for a subset of documents: the indexed ones
  // of `ids`, in slot order, each with its position in `ids` (its row).
  struct SlotRow {
    uint32_t slot;
    uint32_t row;
  };
  std::vector<SlotRow> SlotRows(const std::vector<uint64_t>& ids) const;
  // Writes `term`'s strength in each of `docs` (in slot order, as SlotRows
  // gives them) to out[row * width + column]; leaves the others alone.
  void Strengths(const TermStats& term, const std::vector<SlotRow>& docs,
                 size_t width, size_t column, float* out) const;

  // A document as this index would hold it, kept aside (not indexed): its
  // terms' field frequencies and its length codes. Strengths computed from
  // it equal those of the same document indexed here (same saturation of
  // frequencies, same length codes, same norms).
  class DocVector {
   public:
    // The number of occurrences of `term` in each field.
    std::array<uint32_t, kFieldCount> Frequencies(std::string_view term) const;

   private:
    friend class TextIndex;
    absl::flat_hash_map<std::string, std::array<uint32_t, kFieldCount>> tf_;
    std::array<uint8_t, kFieldCount> length_codes_ = {0, 0, 0};
  };
  DocVector Vectorize(const AnalyzedText& text) const;
  // The strengths of `terms` in `doc` (the same values Strengths() gives for
  // an indexed document), into out[0, terms.size()).
  void Strengths(const std::vector<std::string>& terms, const DocVector& doc,
                 float* out) const;

  // The most `query` could score in any document of this index: each term's
  // idf (a term no document holds: that of a term one document holds)
  // times its weight times k1 + 1, the saturation's limit. A document's
  // TopK score over this is the share of the query it covers, in [0, 1).
  double MaxScore(const std::vector<QueryTerm>& query) const;

  // Terms of a free-text query (see Analyzer::QueryTerms), de-duplicated,
  // weighted by Bm25fParams::pair_weight and stopword_weight.
  std::vector<QueryTerm> ParseQuery(const std::string& text) const;

  // Writes the whole index to `out` (format: snapshot_io.h), so that Load()
  // restores it without re-inverting any text.
  void Save(SnapshotWriter& out) const;

  // Fills this index, which must be new (nothing upserted), with one Save()
  // wrote. False when `in` fails or holds an index of other BM25F
  // parameters (the reason is then on `in`); the index must then be
  // discarded. Like every snapshot read, valid only once `in.Finish()`
  // returned OK. The analyzer must be the one the saved index used.
  bool Load(SnapshotReader& in);

  size_t size() const { return live_docs_; }
  // Document slots, tombstones included: the N of idf.
  size_t slot_count() const { return slots_.size(); }
  // Approximate heap bytes held by the index.
  size_t MemoryBytes() const;

 private:
  using Posting = uint32_t;  // slot << 8 | tf code
  struct TermInfo {
    PostingList postings;  // ascending slot
    float max_s = 0;       // bound of s over the postings
  };
  struct Slot {
    uint64_t id;
    DocAttributes attributes;
    std::array<uint16_t, kFieldCount> length;  // saturated
    bool alive;
  };

  static uint32_t SlotOf(Posting p) { return PostingList::SlotOf(p); }
  static uint8_t Code(std::array<uint32_t, kFieldCount> tf);
  // BM25F pseudo-frequency with current norms.
  float S(Posting p) const {
    const auto& tf = decode_[p & 0xFF];
    const auto& c = length_codes_[SlotOf(p)];
    return static_cast<float>(tf[0]) * norms_[0][c[0]] +
           static_cast<float>(tf[1]) * norms_[1][c[1]] +
           static_cast<float>(tf[2]) * norms_[2][c[2]];
  }
  // A field length as one byte: exact below 64, then logarithmic steps of
  // ~3.7% up to 65,535 (the length's saturation), monotone.
  static uint8_t LengthCode(uint32_t length);
  // The length a code stands for (the middle of the lengths it holds).
  static double CodedLength(uint8_t code);
  // The norm table for field averages `averages`.
  NormTable NormsFor(const std::array<double, kFieldCount>& averages) const;
  float Saturate(float s) const {
    return s * (params_.k1 + 1.0f) / (s + params_.k1);
  }
  const TermInfo* Find(std::string_view term) const;
  float IdfOf(const TermInfo& info) const;
  float QueryWeight(const std::string& term) const;
  // Sets length_codes_[slot] from the slot's lengths.
  void SetLengthCodes(uint32_t slot);
  // Calls `fn(begin, end)` on `threads` contiguous ranges of terms_ holding
  // about as many postings each, in parallel (fn must touch only those
  // terms).
  template <class Fn>
  void ForTermRanges(unsigned threads, Fn&& fn) const;
  void CheckDrift();

  // Terms are keyed by syllable ids, not strings: (first << 32 | second),
  // second 0 for a single syllable, kAccentedBit on `first` for the accented
  // forms. Syllables (folded and accented spellings alike) are interned once.
  static constexpr uint64_t kAccentedBit = uint64_t{1} << 63;
  uint32_t Intern(std::string_view syllable);
  // Records syllable `id` among the spellings of its folded form.
  void AddVariant(uint32_t id);
  // The key of a term string as the analyzer writes it; false when one of
  // its syllables was never indexed.
  bool KeyOf(std::string_view term, uint64_t* key) const;
  // The index of the term with `key`, created when absent; KnownTerm()
  // answers UINT32_MAX instead.
  uint32_t KnownTerm(uint64_t key) const;
  uint32_t TermIndex(uint64_t key);
  // Scratch space of one UpsertBatch worker, kept between batches.
  struct BatchWorker {
    // Pass 1 over its documents: two syllable ids per token (folded,
    // accented; 0 until interned), where the unknown ones are and their
    // text, and how many occurrences pass 2 writes from `offset` on.
    std::vector<uint32_t> syllables;
    std::vector<uint32_t> misses;  // later also: keys without a term yet
    std::vector<std::string_view> unknown;
    size_t occurrence_count = 0;
    size_t offset = 0;
    // The occurrences of its terms, sorted with `sorted`, appended by `runs`.
    std::vector<uint64_t> own;
    std::vector<uint64_t> sorted;
    std::vector<uint32_t> runs;
  };
  // Calls fn(worker) for worker 0..threads-1, worker 0 on this thread (and
  // the rest too when no thread can be started).
  template <class Fn>
  static void RunWorkers(unsigned threads, Fn&& fn) {
    std::vector<std::thread> pool;
    unsigned started = 1;
    try {
      for (; started < threads; ++started) pool.emplace_back(fn, started);
    } catch (const std::system_error&) {
    }
    fn(0u);
    for (unsigned t = started; t < threads; ++t) fn(t);
    for (std::thread& t : pool) t.join();
  }
  // Sets each of batch_occurrences_' term bits from batch_keys_, creating
  // the terms not yet known.
  void ResolveTerms(unsigned threads);
  // Sorts `occurrences` by term (stable) and appends them to the lists.
  void AppendRuns(std::vector<uint64_t>* occurrences, BatchWorker* scratch,
                  bool keep_bounds);
  // Appends a new live slot for `id` with its length codes; returns its
  // index.
  uint32_t AddSlot(const Slot& slot);
  // The term string of a key (the inverse of KeyOf).
  std::string TermText(uint64_t key) const;

  const Analyzer* analyzer_;
  Bm25fParams params_;
  absl::flat_hash_map<std::string, uint32_t> syllable_ids_;  // ids from 1
  std::vector<std::string> syllables_;                       // by id - 1
  // Folded syllable -> ids of the syllables that fold to it (FoldClarity).
  absl::flat_hash_map<std::string, std::vector<uint32_t>> variants_;
  PairTermMap term_ids_;                                     // pair terms
  // Single-syllable terms by syllable id * 2 + accented (a dense table:
  // half of all occurrences, looked up without hashing); UINT32_MAX = none.
  std::vector<uint32_t> unigram_terms_;
  std::vector<TermInfo> terms_;
  std::vector<Slot> slots_;
  // Per slot, each field's length code; a norm is norms_[f][code]. Three
  // bytes a document where float norms took twelve: at a million documents
  // TopK reads this array once per posting, at random, and the smaller it
  // is the more of it the caches and the TLB hold.
  std::vector<std::array<uint8_t, kFieldCount>> length_codes_;
  // Norms of the length codes for avg_snapshot_.
  NormTable norms_;
  absl::flat_hash_map<uint64_t, uint32_t> slot_of_id_;
  std::array<uint64_t, kFieldCount> total_length_ = {0, 0, 0};
  std::array<double, kFieldCount> avg_snapshot_ = {1, 1, 1};
  // tf-code -> field tfs, for decoding.
  std::array<std::array<uint8_t, kFieldCount>, 256> decode_;
  // UpsertBatch's term keys and occurrences, and its workers' scratch.
  std::vector<uint64_t> batch_keys_;
  std::vector<uint64_t> batch_occurrences_;
  std::vector<std::array<uint16_t, kFieldCount>> batch_lengths_;
  std::vector<BatchWorker> workers_;
  size_t live_docs_ = 0;
  size_t dead_docs_ = 0;
  bool refresh_needed_ = false;
  bool bounds_stale_ = false;
};

}  // namespace techmatch::matching

#endif  // TECHMATCH_MATCHING_TEXT_INDEX_H_
