#include "matching/analyzer.h"

#include <array>

#include <unicode/normalizer2.h>
#include <unicode/stringpiece.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include "matching/unicode_text.h"

namespace techmatch::matching {
namespace {

bool IsPhraseBreak(uint32_t c) {
  switch (c) {
    case '.': case ',': case ';': case ':': case '!': case '?':
    case '(': case ')': case '[': case ']': case '/': case '|':
    case '-': case '\n': case '\r':
    case 0x2013: case 0x2014:  // en and em dash
      return true;
    default:
      return false;
  }
}

// ASCII letters and digits.
constexpr auto kAsciiAlnum = [] {
  std::array<bool, 128> table{};
  for (int c = 0; c < 128; ++c) {
    table[c] = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }
  return table;
}();

bool IsTokenChar(UChar32 c) {
  if (u_isalnum(c)) return true;
  int8_t type = u_charType(c);
  return type == U_NON_SPACING_MARK || type == U_COMBINING_SPACING_MARK;
}

void AppendUtf8(std::string* out, uint32_t c) {
  char buffer[4];
  int32_t length = 0;
  UBool error = false;
  U8_APPEND(reinterpret_cast<uint8_t*>(buffer), length, 4,
            static_cast<UChar32>(c), error);
  if (!error) out->append(buffer, static_cast<size_t>(length));
}

}  // namespace

Analyzer::Analyzer() {
  UErrorCode status = U_ZERO_ERROR;
  nfc_ = icu::Normalizer2::getNFCInstance(status);
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
  auto add_range = [&](uint32_t from, uint32_t to) {
    for (uint32_t c = from; c <= to; ++c) {
      icu::UnicodeString decomposed;
      if (U_FAILURE(status) ||
          !nfd->getDecomposition(static_cast<UChar32>(c), decomposed)) {
        continue;
      }
      // Folded again: a letter simple case folding leaves alone (U+0130 İ)
      // must not fold to an upper-case base (found by fuzz_analyzer).
      UChar32 base = u_foldCase(decomposed.char32At(0), U_FOLD_CASE_DEFAULT);
      if (base != static_cast<UChar32>(c)) fold_table_[c] = base;
    }
  };
  add_range(0x00C0, 0x024F);
  add_range(0x1E00, 0x1EFF);
  fold_table_[0x0111] = 'd';  // đ
  fold_table_[0x0110] = 'd';  // Đ
  // Question words and the most frequent function words of Vietnamese,
  // folded. Kept short on purpose: a folded stopword also silences the
  // content words that fold to it ("có" / "cỏ" -> "co").
  // The tokenizer's table (FoldCodePoint() needs fold_table_ above).
  code_points_.resize(kTableEnd - 0x80);
  for (uint32_t c = 0x80; c < kTableEnd; ++c) {
    CodePoint& e = code_points_[c - 0x80];
    const UChar32 lower =
        u_foldCase(static_cast<UChar32>(c), U_FOLD_CASE_DEFAULT);
    if (!IsTokenChar(lower)) {
      e.kind = IsPhraseBreak(static_cast<uint32_t>(lower))
                   ? CodePoint::kPhraseBreak
                   : CodePoint::kSeparator;
      continue;
    }
    e.kind = CodePoint::kTokenChar;
    auto encode = [](uint32_t code, char* out, uint8_t* size) {
      int32_t length = 0;
      UBool error = false;
      U8_APPEND(reinterpret_cast<uint8_t*>(out), length, 4,
                static_cast<UChar32>(code), error);
      *size = error ? 0 : static_cast<uint8_t>(length);
    };
    encode(static_cast<uint32_t>(lower), e.lower, &e.lower_size);
    const uint32_t folded = FoldCodePoint(static_cast<uint32_t>(lower));
    if (folded != 0) encode(folded, e.folded, &e.folded_size);
  }
  for (const char* w : {"gi", "nao", "bao", "nhieu", "la", "cua", "co", "duoc",
                        "khong", "the", "nhu", "tai", "sao", "ai", "khi", "o",
                        "dau", "nhung", "cac", "cho", "va", "voi", "trong",
                        "nay", "do", "thi", "ve", "mot", "den", "bi"}) {
    stopwords_.insert(w);
  }
}

bool Analyzer::IsStopword(std::string_view syllable) const {
  // Fold it exactly as the tokenizer folds text.
  std::vector<Token> tokens = Tokenize(syllable);
  return tokens.size() == 1 && stopwords_.count(tokens[0].folded) > 0;
}

uint32_t Analyzer::FoldCodePoint(uint32_t c) const {
  if (c < 0x80) return c;
  auto it = fold_table_.find(c);
  if (it != fold_table_.end()) return it->second;
  int8_t type = u_charType(static_cast<UChar32>(c));
  if (type == U_NON_SPACING_MARK || type == U_COMBINING_SPACING_MARK) return 0;
  return c;
}

std::vector<Analyzer::Token> Analyzer::Tokenize(std::string_view text) const {
  PackedTokens packed;
  TokenizeInto(text, &packed);
  std::vector<Token> tokens;
  tokens.reserve(packed.tokens.size());
  const std::string_view chars(packed.chars);
  for (const PackedTokens::Token& t : packed.tokens) {
    Token& out = tokens.emplace_back();
    out.folded = chars.substr(t.at, t.folded_size);
    out.accented = t.accented_size == 0
                       ? out.folded
                       : chars.substr(t.at + t.folded_size, t.accented_size);
    out.breaks_before = t.breaks_before != 0;
  }
  return tokens;
}

void Analyzer::TokenizeInto(std::string_view text, PackedTokens* out) const {
  // Stored records are NFC already; only other input pays for normalising.
  // Case folding is simple (per code point), the same for every input.
  UErrorCode status = U_ZERO_ERROR;
  std::string normalized;
  if (!nfc_->isNormalizedUTF8(
          icu::StringPiece(text.data(), static_cast<int32_t>(text.size())), status) ||
      U_FAILURE(status)) {
    normalized = text::NormalizeNfc(text);
    text = normalized;
  }
  // The current token's folded form is written in place at the end of
  // `chars`; its accented form beside it, appended after the folded one when
  // the two differ.
  std::string& chars = out->chars;
  std::string accented;
  size_t start = chars.size();
  bool pending_break = false;  // a phrase break since the last token
  bool first = true;           // no token (kept or dropped) yet
  bool carry_break = false;    // a dropped token passes its break on
  auto flush = [&] {
    if (!accented.empty()) {
      const bool breaks = pending_break || first;
      pending_break = false;
      first = false;
      const size_t folded_size = chars.size() - start;
      if (folded_size == 0) {
        // Only combining marks, which fold to nothing: dropped.
        carry_break = true;
      } else {
        const bool same =
            std::string_view(chars).substr(start, folded_size) == accented;
        out->tokens.push_back(
            {static_cast<uint32_t>(start), static_cast<uint32_t>(folded_size),
             same ? 0 : static_cast<uint32_t>(accented.size()),
             (breaks || carry_break) ? 1u : 0u});
        carry_break = false;
        if (!same) chars += accented;
      }
      accented.clear();
    } else {
      chars.resize(start);  // folded characters without an accented form
    }
    start = chars.size();
  };
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  int32_t length = static_cast<int32_t>(text.size());
  for (int32_t i = 0; i < length;) {
    UChar32 c;
    U8_NEXT(p, i, length, c);
    if (c < 0) {  // invalid byte: a separator
      flush();
      continue;
    }
    if (c < 0x80) {
      if (kAsciiAlnum[c]) {
        char lower = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
        accented.push_back(lower);
        chars.push_back(lower);
        continue;
      }
      flush();
      if (IsPhraseBreak(static_cast<uint32_t>(c))) pending_break = true;
      continue;
    }
    if (c < static_cast<UChar32>(kTableEnd)) {
      const CodePoint& e = code_points_[static_cast<size_t>(c) - 0x80];
      if (e.kind == CodePoint::kTokenChar) {
        accented.append(e.lower, e.lower_size);
        chars.append(e.folded, e.folded_size);
      } else {
        flush();
        if (e.kind == CodePoint::kPhraseBreak) pending_break = true;
      }
      continue;
    }
    c = u_foldCase(c, U_FOLD_CASE_DEFAULT);
    if (IsTokenChar(c)) {
      AppendUtf8(&accented, static_cast<uint32_t>(c));
      uint32_t f = FoldCodePoint(static_cast<uint32_t>(c));
      if (f != 0) AppendUtf8(&chars, f);
    } else {
      flush();
      if (IsPhraseBreak(static_cast<uint32_t>(c))) pending_break = true;
    }
  }
  flush();
}

void Analyzer::Emit(const std::vector<Token>& tokens, bool accented,
                    std::vector<std::string>* terms) const {
  for (size_t i = 0; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    terms->push_back(t.folded);
    if (accented) terms->push_back(kAccentedMarker + t.accented);
    if (i + 1 < tokens.size() && !tokens[i + 1].breaks_before) {
      const Token& n = tokens[i + 1];
      terms->push_back(t.folded + "_" + n.folded);
      if (accented) {
        terms->push_back(kAccentedMarker + t.accented + "_" + n.accented);
      }
    }
  }
}

void Analyzer::IndexTerms(std::string_view text,
                          std::vector<std::string>* terms) const {
  Emit(Tokenize(text), /*accented=*/true, terms);
}

void Analyzer::QueryTerms(std::string_view text,
                          std::vector<std::string>* terms) const {
  std::vector<Token> tokens = Tokenize(text);
  bool accented = false;
  for (const Token& t : tokens) accented = accented || t.accented != t.folded;
  Emit(tokens, accented, terms);
}

std::vector<std::string> Analyzer::FoldedTokens(std::string_view text) const {
  std::vector<std::string> out;
  for (auto& t : Tokenize(text)) out.push_back(std::move(t.folded));
  return out;
}

bool Analyzer::HasDiacritics(std::string_view text) const {
  for (const Token& t : Tokenize(text)) {
    if (t.accented != t.folded) return true;
  }
  return false;
}

}  // namespace techmatch::matching
