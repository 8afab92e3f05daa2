// ConceptQuery: what a text asks for, as the concepts a relevance score
// counts. A need (or an offer, or a free-text query) is analysed once into
// concepts: each informative word (a syllable) and each pair of adjacent
// informative words (a stand-in for a two-syllable Vietnamese word), with
//   - how prominently the text says it (title and keywords over body),
//   - its own index term and, in text with diacritics, its accent-folded
//     twin (the same concept, not a second one: "nước thải" and "nuoc thai"
//     count once),
//   - the other wordings the lexicon knows for it (synonyms, and English <->
//     Vietnamese glossary terms), each a phrase of index terms.
// Function words and request filler (the lexicon's stop phrases) and bare
// numbers are no concepts. Nothing here depends on an index: the weights
// come from the statistics of the index the query is scored against
// (matching/relevance.h).
#ifndef TECHMATCH_MATCHING_CONCEPT_QUERY_H_
#define TECHMATCH_MATCHING_CONCEPT_QUERY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "matching/analyzer.h"
#include "matching/lexicon.h"
#include "matching/text_index.h"

namespace techmatch::matching {

struct ConceptQuery {
  static constexpr uint32_t kNone = UINT32_MAX;

  // How a form of a concept relates to the text's own words.
  enum class Via : uint8_t {
    kSelf = 0,          // the word as written
    kAccentFolded = 1,  // the same letters with other (or no) accents
    kSynonym = 2,       // a synonym from the lexicon
    kGlossary = 3,      // an English <-> Vietnamese glossary term
  };

  // Another wording of a concept: a phrase whose strength in a document is
  // the least of its terms' (all of them must be there).
  struct Alternative {
    uint32_t first_term = 0;  // terms[first_term, first_term + term_count)
    uint32_t term_count = 0;
    uint32_t label = 0;  // its text, in labels
    Via via = Via::kSynonym;
  };

  struct Concept {
    float prominence = 0;  // field weight where the text says it (max)
    bool pair = false;     // two adjacent words
    uint32_t term = 0;     // its own index term
    uint32_t folded = kNone;  // its accent-folded twin, text with diacritics
    uint32_t first_alternative = 0;  // alternatives[first, first + count)
    uint32_t alternative_count = 0;
    uint32_t label = 0;  // readable ("nước thải"), in labels
  };

  std::vector<std::string> terms;  // index terms, as the analyzer writes them
  std::vector<Alternative> alternatives;
  std::vector<Concept> concepts;
  std::vector<std::string> labels;
  bool accented = false;  // the text carries diacritics
  bool english = false;   // it reads as English

  // Approximate heap bytes held.
  size_t MemoryBytes() const;
};

// How texts become concept queries.
struct ConceptOptions {
  // Prominence of a word by the field it is in (the most prominent
  // occurrence counts): the title and the keywords name the subject, the
  // body elaborates.
  float title = 1.0f;
  float keywords = 1.0f;
  float body = 0.5f;
  // A pair concept's prominence relative to its words' (a pair overlaps the
  // two words it joins).
  float pair = 0.7f;
};

// Builds the concept query of `texts`. `lexicon` may be empty.
ConceptQuery BuildConceptQuery(const Analyzer& analyzer,
                               const Lexicon& lexicon, const FieldTexts& texts,
                               const ConceptOptions& options = {});

}  // namespace techmatch::matching

#endif  // TECHMATCH_MATCHING_CONCEPT_QUERY_H_
