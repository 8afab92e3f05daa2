// Analyzer: turns Vietnamese (and mixed English) text into index and query
// terms.
//
// Text is NFC-normalised and case-folded (simple, per code point); tokens are maximal runs of letters,
// digits and combining marks, so codes such as "500m3", "iot" or "haccp"
// stay whole. Each token yields its accent-folded form ("sấy" -> "say", with
// đ -> d) and its accented form marked with kAccentedMarker ("\x01sấy"),
// also for tokens without diacritics, so every token weighs the same.
// Adjacent tokens within a phrase (never across . , ; : ! ? ( ) [ ] / | - –
// or a line break) also yield pair terms ("cong_nghe" and "\x01công_nghệ")
// that stand in for two-syllable words.
//
// A query typed without any diacritic uses the folded terms only, so
// "cong nghe say" matches "công nghệ sấy" as well as the accented query does;
// a query with diacritics uses both forms, which ranks exact accents higher.
//
// Immutable after construction; thread-safe. Never fails: invalid UTF-8 is
// skipped byte by byte, and unusual input (emoji, controls, mixed scripts)
// only separates tokens.
#ifndef TECHMATCH_MATCHING_ANALYZER_H_
#define TECHMATCH_MATCHING_ANALYZER_H_

#include <unicode/normalizer2.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace techmatch::matching {

inline constexpr char kAccentedMarker = '\x01';

class Analyzer {
 public:
  Analyzer();

  // One token of analysed text.
  struct Token {
    std::string accented;  // case-folded, NFC
    std::string folded;    // and without diacritics
    bool breaks_before = false;  // a phrase boundary precedes this token
  };

  // The tokens of `text`, in order. IndexTerms() derives its terms from
  // them: each token's folded and accented form, and the pairs of adjacent
  // tokens not separated by a phrase boundary.
  std::vector<Token> Tokenize(std::string_view text) const;

  // Tokens packed in one character buffer, for indexing: no string per
  // token. A token's folded form is chars[at, at + folded_size); its
  // accented form follows it, or is the folded form when accented_size is 0.
  struct PackedTokens {
    struct Token {
      uint32_t at;
      uint32_t folded_size;
      uint32_t accented_size;
      uint32_t breaks_before;  // 0 or 1
    };
    std::string chars;
    std::vector<Token> tokens;
  };
  // Appends the tokens of `text` to `out`: those Tokenize() returns, in
  // order. Offsets are 32-bit: `out` must stay under 4 GiB of characters.
  void TokenizeInto(std::string_view text, PackedTokens* out) const;

  // Appends the index terms of `text` to `terms` (with repetitions: term
  // frequency is their count).
  void IndexTerms(std::string_view text, std::vector<std::string>* terms) const;

  // Calls `visit` with each index term of `text`, in order, without
  // allocating a string per term (the view is valid during the call only).
  template <class Visit>
  void ForEachIndexTerm(std::string_view text, Visit&& visit) const {
    std::vector<Token> tokens = Tokenize(text);
    std::string buffer;
    for (size_t i = 0; i < tokens.size(); ++i) {
      const Token& t = tokens[i];
      visit(std::string_view(t.folded));
      buffer.assign(1, kAccentedMarker);
      buffer += t.accented;
      visit(std::string_view(buffer));
      if (i + 1 < tokens.size() && !tokens[i + 1].breaks_before) {
        const Token& n = tokens[i + 1];
        buffer.assign(t.folded);
        buffer += '_';
        buffer += n.folded;
        visit(std::string_view(buffer));
        buffer.assign(1, kAccentedMarker);
        buffer += t.accented;
        buffer += '_';
        buffer += n.accented;
        visit(std::string_view(buffer));
      }
    }
  }

  // Appends the query terms of `text`: as IndexTerms when the text carries a
  // diacritic, else the folded terms only.
  void QueryTerms(std::string_view text, std::vector<std::string>* terms) const;

  // The folded, case-folded tokens of `text`, for display and tests.
  std::vector<std::string> FoldedTokens(std::string_view text) const;

  // True when `text` holds a letter with a diacritic (or đ).
  bool HasDiacritics(std::string_view text) const;

  // True for a Vietnamese function or question word ("là", "của", "gì",
  // "nào", ...), given as one case-folded syllable, accented or folded.
  // Such words carry little information in a query.
  bool IsStopword(std::string_view syllable) const;

 private:
  void Emit(const std::vector<Token>& tokens, bool accented,
            std::vector<std::string>* terms) const;
  // The accent-free form of one code point; 0 to drop it (a combining mark).
  uint32_t FoldCodePoint(uint32_t c) const;

  // Folded base letter of precomposed Latin letters (U+00C0-U+024F,
  // U+1E00-U+1EFF); built once from ICU's decompositions.
  std::unordered_map<uint32_t, uint32_t> fold_table_;
  // What Tokenize() makes of each code point from U+0080 to below
  // kTableEnd (Latin, Greek, Cyrillic, combining marks, Vietnamese letters
  // with tone marks), computed once with the same ICU calls and
  // FoldCodePoint() that others take per character: a token character's
  // case-folded and accent-folded UTF-8 (the latter empty for a combining
  // mark), or a separator, which may also break a phrase.
  static constexpr uint32_t kTableEnd = 0x2000;
  struct CodePoint {
    enum Kind : uint8_t { kSeparator, kPhraseBreak, kTokenChar };
    char lower[4];
    char folded[4];
    uint8_t lower_size = 0;
    uint8_t folded_size = 0;
    Kind kind = kSeparator;
  };
  std::vector<CodePoint> code_points_;         // [c - 0x80]
  std::unordered_set<std::string> stopwords_;  // folded
  const icu::Normalizer2* nfc_ = nullptr;
};

}  // namespace techmatch::matching

#endif  // TECHMATCH_MATCHING_ANALYZER_H_
