#include "matching/analyzer.h"

#include <gtest/gtest.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <random>

namespace techmatch::matching {
namespace {

std::vector<std::string> IndexTerms(const Analyzer& a, const std::string& text) {
  std::vector<std::string> terms;
  a.IndexTerms(text, &terms);
  return terms;
}

std::vector<std::string> QueryTerms(const Analyzer& a, const std::string& text) {
  std::vector<std::string> terms;
  a.QueryTerms(text, &terms);
  return terms;
}

bool Has(const std::vector<std::string>& v, const std::string& t) {
  return std::find(v.begin(), v.end(), t) != v.end();
}

TEST(Analyzer, SyllablesPairsAndAccentedTwins) {
  Analyzer a;
  auto terms = IndexTerms(a, "Công nghệ sấy");
  EXPECT_TRUE(Has(terms, "cong"));
  EXPECT_TRUE(Has(terms, "nghe"));
  EXPECT_TRUE(Has(terms, "say"));
  EXPECT_TRUE(Has(terms, "cong_nghe"));
  EXPECT_TRUE(Has(terms, "nghe_say"));
  EXPECT_TRUE(Has(terms, std::string(1, kAccentedMarker) + "công"));
  EXPECT_TRUE(Has(terms, std::string(1, kAccentedMarker) + "công_nghệ"));
  EXPECT_EQ(terms.size(), 3u * 2 + 2u * 2);
}

TEST(Analyzer, QueryWithoutDiacriticsUsesFoldedTermsOnly) {
  Analyzer a;
  auto plain = QueryTerms(a, "cong nghe say");
  EXPECT_EQ(plain, (std::vector<std::string>{"cong", "cong_nghe", "nghe",
                                             "nghe_say", "say"}));
  // Every folded term of the accented text is there, so both match alike.
  auto indexed = IndexTerms(a, "công nghệ sấy");
  for (const auto& t : plain) EXPECT_TRUE(Has(indexed, t)) << t;
  auto accented = QueryTerms(a, "công nghệ sấy");
  EXPECT_TRUE(Has(accented, std::string(1, kAccentedMarker) + "sấy"));
}

TEST(Analyzer, FoldedFormsAreLowerCaseEvenWhereSimpleFoldingStops) {
  // U+0130 (İ) has no simple case folding; its folded form must still be
  // the lower-case base, as a query typed "istanbul" folds (fuzz finding).
  Analyzer a;
  auto tokens = a.Tokenize("\u0130stanbul ĐÀ NẴNG");
  ASSERT_EQ(tokens.size(), 3u);
  EXPECT_EQ(tokens[0].folded, "istanbul");
  EXPECT_EQ(tokens[1].folded, "da");
  EXPECT_EQ(tokens[2].folded, "nang");
  EXPECT_EQ(a.Tokenize("istanbul")[0].folded, tokens[0].folded);
}

TEST(Analyzer, CodesAndEnglishTermsStayWhole) {
  Analyzer a;
  auto tokens = a.FoldedTokens("Hệ thống IoT, PLC; 500m3/ngày; HACCP ISO-22000");
  EXPECT_EQ(tokens, (std::vector<std::string>{"he", "thong", "iot", "plc",
                                              "500m3", "ngay", "haccp", "iso",
                                              "22000"}));
}

TEST(Analyzer, PairsNeverCrossPunctuation) {
  Analyzer a;
  auto terms = IndexTerms(a, "nước thải. Xử lý (sinh học) / màng-lọc");
  EXPECT_TRUE(Has(terms, "nuoc_thai"));
  EXPECT_TRUE(Has(terms, "xu_ly"));
  EXPECT_FALSE(Has(terms, "thai_xu"));
  EXPECT_FALSE(Has(terms, "ly_sinh"));
  EXPECT_TRUE(Has(terms, "sinh_hoc"));
  EXPECT_FALSE(Has(terms, "hoc_mang"));
  EXPECT_FALSE(Has(terms, "mang_loc"));
}

TEST(Analyzer, CombiningAndPrecomposedMarksAreTheSame) {
  Analyzer a;
  // "hoà" precomposed, with a combining grave, and the new placement "hòa".
  std::string precomposed = "ho\xC3\xA0";
  std::string combining = "hoa\xCC\x80";
  std::string new_style = "h\xC3\xB2" "a";
  EXPECT_EQ(IndexTerms(a, precomposed), IndexTerms(a, combining));
  // Old and new tone placement fold to the same term.
  EXPECT_EQ(a.FoldedTokens(precomposed), a.FoldedTokens(new_style));
  EXPECT_EQ(a.FoldedTokens("ĐỒNG đồng"),
            (std::vector<std::string>{"dong", "dong"}));
}

TEST(Analyzer, OddInputNeverCrashesOrCorruptsTokens) {
  Analyzer a;
  EXPECT_TRUE(IndexTerms(a, "").empty());
  EXPECT_TRUE(IndexTerms(a, "🌾🚜 ... \x01\x02 ---").empty());
  EXPECT_EQ(a.FoldedTokens("máy🌾sấy"), (std::vector<std::string>{"may", "say"}));
  EXPECT_EQ(a.FoldedTokens("bad\xFFutf8"), (std::vector<std::string>{"bad", "utf8"}));
  EXPECT_EQ(a.FoldedTokens("Москва 北京 tôm"),
            (std::vector<std::string>{"москва", "北京", "tom"}));
  EXPECT_TRUE(a.FoldedTokens("\xCC\x80\xCC\x81").empty());  // lone marks
  // A token of lone marks is dropped, and no pair joins across it.
  auto around = IndexTerms(a, "máy \xCC\x80 sấy tôm");
  EXPECT_EQ(a.FoldedTokens("máy \xCC\x80 sấy tôm"),
            (std::vector<std::string>{"may", "say", "tom"}));
  EXPECT_FALSE(Has(around, "may_say"));
  EXPECT_TRUE(Has(around, "say_tom"));
  // Random bytes: no crash, and every term is valid UTF-8 without controls.
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    std::string junk(static_cast<size_t>(rng() % 64), '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    for (const auto& t : IndexTerms(a, junk)) {
      std::string body = t[0] == kAccentedMarker ? t.substr(1) : t;
      EXPECT_FALSE(body.empty());
      for (unsigned char c : body) EXPECT_GE(c, 0x20u);
    }
  }
}

// The analyzer's per-code-point rules, restated with ICU calls: simple
// case folding; letters, digits and combining marks make tokens; precomposed
// Latin letters fold to their case-folded base, đ to d, and combining marks
// fold to nothing.
struct CodePointRules {
  static std::string Utf8(UChar32 c) {
    std::string out;
    icu::UnicodeString(c).toUTF8String(out);
    return out;
  }
  static bool IsToken(UChar32 c) {
    const int8_t type = u_charType(c);
    return u_isalnum(c) || type == U_NON_SPACING_MARK ||
           type == U_COMBINING_SPACING_MARK;
  }
  static std::string Folded(UChar32 lower) {
    if (lower == 0x0111) return "d";
    const bool precomposed = (lower >= 0x00C0 && lower <= 0x024F) ||
                             (lower >= 0x1E00 && lower <= 0x1EFF);
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
    icu::UnicodeString decomposed;
    if (precomposed && nfd->getDecomposition(lower, decomposed)) {
      const UChar32 base =
          u_foldCase(decomposed.char32At(0), U_FOLD_CASE_DEFAULT);
      if (base != lower) return Utf8(base);
    }
    const int8_t type = u_charType(lower);
    if (type == U_NON_SPACING_MARK || type == U_COMBINING_SPACING_MARK)
      return "";
    return Utf8(lower);
  }
};

TEST(Analyzer, EveryCodePointBelowU2000FollowsTheRules) {
  // The tokenizer reads these from a table built at construction; each one
  // between two digits (which no mark composes with) must come out as the
  // rules say.
  Analyzer a;
  UErrorCode nfc_status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(nfc_status);
  ASSERT_TRUE(U_SUCCESS(nfc_status));
  for (UChar32 c = 0x80; c < 0x2000; ++c) {
    const std::string text = "1" + CodePointRules::Utf8(c) + "2";
    // One that NFC replaces (U+0340 -> U+0300, U+037E -> ';') never
    // reaches the rules: Tokenize() normalises first.
    UErrorCode status = U_ZERO_ERROR;
    if (!nfc->isNormalizedUTF8(text, status)) continue;
    const std::vector<Analyzer::Token> tokens = a.Tokenize(text);
    const UChar32 lower = u_foldCase(c, U_FOLD_CASE_DEFAULT);
    if (CodePointRules::IsToken(lower)) {
      ASSERT_EQ(tokens.size(), 1u) << std::hex << c;
      EXPECT_EQ(tokens[0].accented, "1" + CodePointRules::Utf8(lower) + "2")
          << std::hex << c;
      EXPECT_EQ(tokens[0].folded, "1" + CodePointRules::Folded(lower) + "2")
          << std::hex << c;
    } else {
      ASSERT_EQ(tokens.size(), 2u) << std::hex << c;
      EXPECT_EQ(tokens[0].folded, "1") << std::hex << c;
      EXPECT_EQ(tokens[1].folded, "2") << std::hex << c;
      EXPECT_FALSE(tokens[1].breaks_before) << std::hex << c;  // no break here
    }
  }
  // Beyond the table, the same rules (read per character from ICU).
  EXPECT_EQ(a.FoldedTokens("ＡB・c"), std::vector<std::string>({"ａb", "c"}));
  const std::vector<Analyzer::Token> dash = a.Tokenize("a\u2013b");
  ASSERT_EQ(dash.size(), 2u);
  EXPECT_TRUE(dash[1].breaks_before);
}

TEST(Analyzer, HasDiacritics) {
  Analyzer a;
  EXPECT_TRUE(a.HasDiacritics("cong nghệ"));
  EXPECT_TRUE(a.HasDiacritics("đá"));
  EXPECT_FALSE(a.HasDiacritics("cong nghe say IoT 500m3"));
}

}  // namespace
}  // namespace techmatch::matching
