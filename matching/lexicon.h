// Lexicon: the word lists that decide what a text asks for, kept as data
// that operators edit (data/reference/*.tsv, read at start):
//   - stop phrases: function words and request filler, which never carry a
//     match ("trong", "các", "được", "cần", "the", "for" ...);
//   - synonyms: Vietnamese phrases that name the same thing ("quan trắc" ~
//     "giám sát", "HTX" ~ "hợp tác xã");
//   - the English -> Vietnamese glossary ("wastewater" -> "nước thải"),
//     used in both directions.
// Phrases are kept as the analyzer tokenizes them, so they are looked up in
// token sequences. Formats: the header comments of the files.
//
// Immutable after Parse(); thread-safe.
#ifndef TECHMATCH_MATCHING_LEXICON_H_
#define TECHMATCH_MATCHING_LEXICON_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "matching/analyzer.h"

namespace techmatch::matching {

class Lexicon {
 public:
  // How a stop phrase applies (stopwords.tsv's kinds).
  enum class StopKind : uint8_t {
    kAccented,     // "vi": in text with diacritics, these exact accents
    kFolded,       // "fold": in text typed without diacritics
    kEnglish,      // "en": anywhere
    kEnglishOnly,  // "en?": only in text that reads as English
    kLead,         // "lead": only as a title's first words
  };

  // Where an alternative wording comes from.
  enum class Source : uint8_t { kSynonym = 1, kGlossary = 2 };

  // A phrase as the analyzer tokenizes it.
  struct Phrase {
    std::string text;                   // as written in the file
    std::vector<std::string> accented;  // case-folded NFC syllables
    std::vector<std::string> folded;    // without diacritics
    bool diacritics = false;            // accented != folded somewhere
  };

  // One token of a text being looked up (views into the caller's tokens).
  struct Token {
    std::string_view accented;
    std::string_view folded;
  };

  // A stop phrase found in a text.
  struct StopMatch {
    size_t length = 0;  // tokens
    StopKind kind = StopKind::kAccented;
  };

  // A synonym or glossary phrase found in a text, with the other wordings
  // it stands for.
  struct ExpansionMatch {
    size_t length = 0;  // tokens
    const Phrase* found = nullptr;
    struct Alternative {
      const Phrase* phrase;
      Source source;
    };
    std::vector<Alternative> alternatives;
  };

  // An empty lexicon: nothing is stopped or expanded.
  Lexicon() = default;

  // Parses the three files' contents (formats in their header comments),
  // tokenizing every phrase with `analyzer`. INVALID_ARGUMENT naming the
  // file and line for a malformed row (an unknown stop kind, a synonym
  // group of one, a glossary row without a translation, a phrase with no
  // word in it).
  static absl::StatusOr<Lexicon> Parse(const Analyzer& analyzer,
                                       std::string_view stopwords_tsv,
                                       std::string_view synonyms_tsv,
                                       std::string_view glossary_tsv);

  // The stop phrases that start at tokens[at], longest first. `accented`
  // says whether the text carries diacritics (then "vi" phrases compare
  // accents, else "fold" phrases compare letters); `english` whether it
  // reads as English ("en?" phrases); `title_start` whether `at` is a
  // title's first word ("lead" phrases).
  std::vector<StopMatch> StopsAt(const std::vector<Token>& tokens, size_t at,
                                 bool accented, bool english,
                                 bool title_start) const;

  // True for a one-token "en" phrase: a word that marks English text.
  bool IsEnglishMarker(std::string_view folded) const;

  // The synonym and glossary phrases that start at tokens[at], longest
  // first. A phrase written with diacritics is compared by its accents in
  // `accented` text and by its letters otherwise; an English phrase also
  // matches plurals ("dryers").
  std::vector<ExpansionMatch> ExpansionsAt(const std::vector<Token>& tokens,
                                           size_t at, bool accented) const;

  // A digest of the whole content: a match index built with another
  // lexicon is not the same index (see Matchmaker::IndexFingerprint).
  uint64_t Fingerprint() const { return fingerprint_; }

  size_t stop_count() const { return stops_.size(); }
  size_t synonym_group_count() const { return synonym_groups_; }
  size_t glossary_count() const { return glossary_rows_; }

 private:
  struct StopEntry {
    Phrase phrase;
    StopKind kind;
  };
  struct ExpansionEntry {
    size_t phrase;  // index in phrases_
    std::vector<ExpansionMatch::Alternative> alternatives;
    bool english = false;  // compared with plural endings removed
  };
  // Whether `phrase` matches tokens[at...] (see StopsAt / ExpansionsAt).
  static bool Matches(const Phrase& phrase, const std::vector<Token>& tokens,
                      size_t at, bool compare_accents, bool plurals);
  // The index of the phrase with `phrase`'s accented syllables, added when
  // new.
  size_t Intern(Phrase phrase);

  std::vector<StopEntry> stops_;
  // Phrases by index; stable addresses (ExpansionMatch points into them).
  std::vector<std::unique_ptr<Phrase>> phrases_;
  absl::flat_hash_map<std::string, size_t> phrase_of_;  // accented, joined
  std::vector<ExpansionEntry> expansions_;
  // First folded syllable -> entries (stops_ / expansions_ indexes).
  absl::flat_hash_map<std::string, std::vector<uint32_t>> stops_by_first_;
  absl::flat_hash_map<std::string, std::vector<uint32_t>> expansions_by_first_;
  absl::flat_hash_map<std::string, bool> english_markers_;
  size_t synonym_groups_ = 0;
  size_t glossary_rows_ = 0;
  uint64_t fingerprint_ = 0;
};

}  // namespace techmatch::matching

#endif  // TECHMATCH_MATCHING_LEXICON_H_
