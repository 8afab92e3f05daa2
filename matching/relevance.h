// Relevance: the absolute text score of a pair, "how much of what the query
// side asks for does the other side cover".
//
// A ConceptQuery (what a need asks for) is weighed against the index of the
// documents it is scored on (the offers). Each concept weighs
//   prominence x idf,
// Lucene's idf with the collection counted `chance_prior` documents larger.
// A lexicon phrase or a word takes the idf of its own wording (a phrase:
// of its rarest syllable pair), or, when no document holds that (an English
// word in a Vietnamese collection), of the rarest other wording some
// document holds (glossary and synonym terms), or, when none does, that of
// a term held by one document: what nothing holds still counts (the need
// asks for it; no offer covers it). Two adjacent words outside the lexicon
// count as one word when the collection says they are one: the pair is in
// at least `min_pair_df` documents and in at least `cohesion` of those that
// hold its rarer syllable ("tiêu chuẩn": nearly every "chuẩn" follows
// "tiêu"); then the pair carries the weight and its two syllables none
// (the word counts once, not three times). A pair nothing holds, one of
// whose words nothing holds either ("cá tầm", sturgeon, where no offer has
// it), is one unknown word: it counts once, and its known half ("cá") not
// on its own (in Vietnamese text and for a word with diacritics: in English
// the unknown half is rather a word the glossary lacks, and a code beside a
// word, "máy sấy XT200", is no compound). Other pairs (two words side by
// side) count nothing.
// A document covers a concept with strength
//   max(c x s(own), rho x s(accent-folded twin), a x s(other wording)),
// s in [0, 1] the weakest of a wording's terms' BM25F saturations
// (TextIndex::Strengths), divided by `full_strength` and capped at 1; rho
// the share of the folded form's documents that hold the accented one (how
// likely "trong" is "trồng"), 0 when under `min_folded_factor`; c, for a word
// of a text typed without diacritics, how surely its letters are the word the
// document writes
// ("mat": mặt, mát, mật ...; TextIndex::FoldClarity), else 1; a the
// alternative factor. Coverage is
//   sum(weight x strength) / sum(weight),
// in [0, 1]: a property of the pair and of the collection's statistics
// only, the same whichever side asked and whatever else was retrieved.
// Calibrate() maps it to a relevance in [0, 1] (docs/matching.md).
//
// Thread-safety: a WeightedQuery is immutable once built.
#ifndef TECHMATCH_MATCHING_RELEVANCE_H_
#define TECHMATCH_MATCHING_RELEVANCE_H_

#include <functional>
#include <vector>

#include "matching/concept_query.h"
#include "matching/match_types.h"
#include "matching/text_index.h"

namespace techmatch::matching {

struct RelevanceParams {
  // How texts are read into concepts.
  ConceptOptions concepts;
  // Strength factor of a synonym or glossary wording.
  float alternative = 0.8f;
  // Factor of the folded twin of an accented word no document holds with
  // these accents (a typo in the accents, or a rare spelling).
  float unknown_accents = 0.5f;
  // Factor on the weight of a word or phrase that no document holds in any
  // wording (not even through the lexicon) and that only the body says: a
  // word nobody writes (a name, a typo, an English word outside the
  // glossary) more often than what is asked for. In the title or keywords
  // it counts fully: the need asks for it, and nobody offers it.
  float unknown = 0.5f;
  // Coverage above chance: a query's concepts that many documents hold are
  // covered by many unrelated ones; with this on, coverage counts from the
  // share a document holding each concept as often as the collection does
  // would cover, (raw - chance) / (1 - chance).
  bool above_chance = true;
  // Documents added to the collection's count N, none holding any concept,
  // in a concept's idf and in the chance that a document holds it (df / (N
  // + prior)): a small collection (a new node with a dozen offers) is no
  // evidence that what it holds, every document holds.
  double chance_prior = 20;
  // The p of the coverage's p-norm: 1 is the weighted mean of the
  // strengths; larger values weigh a heavy concept left uncovered more
  // (Salton's extended boolean AND): 1 - (sum w^p (1 - s)^p / sum w^p)^(1/p).
  double norm = 1.3;
  // Concepts held (in some wording) by more than this share of the
  // collection (df / (N + chance_prior)) and by at least common_min_df
  // documents are its common words: left out of coverage, as they say
  // little about a pair (and their long posting lists would cost the most
  // to read). A small collection has none (1: none anywhere).
  double common_share = 0.15;
  uint32_t common_min_df = 10000;
  // Retrieval leaves out a query's commonest concepts while a document
  // covering all of them and nothing else would have a coverage (above
  // chance) of at most this, a WEAK score: their long posting lists would
  // only bring such documents (RetrievalTerms).
  double retrieval_floor = 0.0;
  // A folded twin whose accented wording holds less than this share of its
  // documents (rho) gives no credit: its letters are more often another
  // word.
  float min_folded_factor = 0.0f;
  // When two adjacent words are one (see above).
  uint32_t min_pair_df = 2;
  float cohesion = 0.5f;
  // A term's strength is divided by this and capped at 1: one mention in
  // an average body (strength 0.5) already covers the concept fully.
  float full_strength = 0.5f;
  // Calibration of coverage into relevance: a logistic curve through
  // (midpoint, 0.5) with its slope, scaled so that coverage 0 gives 0 and
  // coverage 1 gives 1 (docs/matching.md, "Calibration"). `match` for a
  // need's concepts covered by an offer (and the other way round); `search`
  // for a free-text query's BM25F coverage (TextIndex::MaxScore).
  struct Curve {
    double midpoint;
    double slope;
  };
  Curve match = {0.24, 16.0};
  Curve search = {0.38, 12.0};
  // Labels of a final score (docs/quality.md has the data behind them).
  double strong = 0.60;
  double possible = 0.35;
};

// One concept's part in a coverage, for explanations.
struct ConceptMatch {
  uint32_t concept_index = 0;
  double share = 0;  // of the coverage's weighted sum
  ConceptQuery::Via via = ConceptQuery::Via::kSelf;
  uint32_t alternative = ConceptQuery::kNone;  // which, when via one
};

// A ConceptQuery weighed with one index's statistics.
class WeightedQuery {
 public:
  // `query` and `index` are borrowed for the object's life.
  WeightedQuery(const ConceptQuery& query, const TextIndex& index,
                const RelevanceParams& params);

  const ConceptQuery& query() const { return *query_; }
  // Per query term (parallel to query().terms).
  const std::vector<TextIndex::TermStats>& stats() const { return stats_; }
  // The same with the terms no weighted concept uses blanked (term
  // UINT32_MAX): what TextIndex::Strengths needs to read for Coverage.
  const std::vector<TextIndex::TermStats>& scored() const { return scored_; }
  // Sum of the concepts' weights; 0 when the query has none.
  double total_weight() const { return total_; }
  // A concept's weight (0: not counted).
  double weight(size_t concept_index) const {
    return concepts_[concept_index].weight;
  }

  // The coverage of a document whose term strengths (parallel to
  // query().terms, TextIndex::Strengths) are `strengths`. With `matched`,
  // also the concepts it covers, largest part first.
  double Coverage(const float* strengths,
                  std::vector<ConceptMatch>* matched = nullptr) const;

  // The coverage of each of `ids` (documents of the index this query was
  // weighed with) that a ranking by `score(row, coverage)` (nondecreasing
  // in coverage) needs exactly: those of the `keep` best scores and of all
  // scoring at least `min_score` (when positive); -1 for the others, which
  // are proven to score below both. Concepts are read heaviest first and a
  // candidate is dropped as soon as its best possible score cannot make it,
  // so the commonest terms are read for a few documents. `strengths` gets
  // the term strengths (rows parallel to ids, complete for the rows whose
  // coverage is returned), for Coverage(row, &matched). Equal to Coverage()
  // of those rows, to the bit.
  std::vector<double> CoverPool(
      const TextIndex& index, const std::vector<uint64_t>& ids,
      const std::function<double(size_t, double)>& score, size_t keep,
      double min_score, std::vector<float>* strengths) const;

  // Terms for TopK that rank documents by about the same sum (a twin or a
  // wording adds to its concept instead of counting as the larger of them),
  // for the `max_concepts` heaviest concepts that some document holds,
  // leaving out the commonest ones while they could not lift a document's
  // coverage of this query above `floor` on their own (0: none is left out;
  // RelevanceParams::retrieval_floor when the documents retrieved are then
  // scored by their coverage of this query).
  std::vector<QueryTerm> RetrievalTerms(size_t max_concepts,
                                        double floor) const;

 private:
  struct Weighted {
    double weight = 0;
    float folded_factor = 0;  // rho
    // A word of text without diacritics: how surely a match of its letters
    // is the same word (TextIndex::FoldClarity).
    float clarity = 1;
    double power = 0;  // weight^p
  };
  // The documents holding all of a form's terms, at most (the least of
  // their frequencies); 0 for none.
  uint32_t FormFrequency(const ConceptQuery::Form& form) const;
  // A document's strength for concept `i` (strengths parallel to the
  // query's terms), and how it was found.
  float ConceptStrength(size_t i, const float* strengths,
                        ConceptQuery::Via* via, uint32_t* which) const;
  // The p-norm's missing mass of a concept covered with `strength`.
  double Missing(const Weighted& w, float strength) const;
  // True when no document holds `c` as written nor in another wording (its
  // folded twin aside: "tam" held is other words than "tầm").
  bool Unheld(const ConceptQuery::Concept& c) const;
  // A document's strength for a form: the weakest of its terms'.
  float FormStrength(const ConceptQuery::Form& form,
                     const float* strengths) const;
  const ConceptQuery* query_;
  const RelevanceParams* params_;
  std::vector<TextIndex::TermStats> stats_;
  std::vector<TextIndex::TermStats> scored_;
  std::vector<Weighted> concepts_;
  double Power(double x) const;  // x^p
  // A raw coverage above chance (see RelevanceParams::above_chance).
  double AboveChance(double raw) const;
  double Root(double x) const;  // x^(1/p)
  double total_ = 0;
  double total_power_ = 0;  // sum of weight^p
  double chance_ = 0;  // the coverage expected by chance (see above_chance)
};

// Relevance in [0, 1] of a coverage in [0, 1] on `curve`: monotone, 0 at
// 0, 1 at 1.
double Calibrate(double coverage, const RelevanceParams::Curve& curve);

// The label of a final score.
Label LabelOf(double score, const RelevanceParams& params);

}  // namespace techmatch::matching

#endif  // TECHMATCH_MATCHING_RELEVANCE_H_
