// ConceptQuery: what a text asks for, as the concepts a relevance score
// counts. A need (or an offer, or a free-text query) is analysed once into
// concepts:
//   - phrases the lexicon knows ("nước thải", "bảo vệ thực vật", "drone",
//     "wastewater"), each one concept however many syllables it has, with
//     the other wordings the lexicon gives it (synonyms, and English <->
//     Vietnamese glossary terms);
//   - the other words: each syllable, and each pair of adjacent syllables
//     (a two-syllable Vietnamese word, or two words side by side: which of
//     the two, the statistics of the collection it is scored against tell;
//     relevance.h);
// each with how prominently the text says it (title and keywords over body)
// and, in text with diacritics, its accent-folded twin (the same concept,
// not a second one: "nước thải" and "nuoc thai" count once). Function words
// and request filler (the lexicon's stop phrases), units and bare numbers
// are no concepts. Nothing here depends on an index: the weights come from
// the statistics of the index the query is scored against.
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

  // A wording: index terms that must all be in a document (a phrase of
  // several syllables is its syllable pairs); its strength is the weakest
  // of theirs. term_count 0: none.
  struct Form {
    uint32_t first_term = 0;  // terms[first_term, first_term + term_count)
    uint32_t term_count = 0;
  };

  // Another wording of a concept, from the lexicon.
  struct Alternative {
    Form form;
    uint32_t label = 0;  // its text, in labels
    Via via = Via::kSynonym;
  };

  enum class Kind : uint8_t {
    kWord = 0,    // one syllable
    kPair = 1,    // two adjacent syllables outside any lexicon phrase
    kPhrase = 2,  // a phrase of the lexicon
  };

  struct Concept {
    float prominence = 0;  // field weight where the text says it (max)
    Kind kind = Kind::kWord;
    Form own;     // as written
    Form folded;  // its accent-folded twin (text with diacritics)
    // kPair: the kWord concepts of its two syllables.
    uint32_t parts[2] = {kNone, kNone};
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
  float body = 0.35f;
  // Factor on a bare number's prominence ("1299", "13" of "QCVN 13"): an
  // identifier when searched for, mostly a quantity in a need ("500 m3").
  float number = 0.3f;
};

// Builds the concept query of `texts`. `lexicon` may be empty.
ConceptQuery BuildConceptQuery(const Analyzer& analyzer, const Lexicon& lexicon,
                               const FieldTexts& texts,
                               const ConceptOptions& options = {});
// The same from the text's tokens, as the index analysed them (so that a
// record's text may be released once analysed): equal to the above for
// AnalyzedText(analyzer, texts).
ConceptQuery BuildConceptQuery(const Lexicon& lexicon,
                               const AnalyzedText& analyzed,
                               const ConceptOptions& options = {});

}  // namespace techmatch::matching

#endif  // TECHMATCH_MATCHING_CONCEPT_QUERY_H_
