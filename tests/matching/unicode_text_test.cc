#include "matching/unicode_text.h"

#include <gtest/gtest.h>

namespace techmatch::text {
namespace {

TEST(UnicodeText, ValidatesUtf8) {
  EXPECT_TRUE(IsValidUtf8("công nghệ sấy"));
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_FALSE(IsValidUtf8("\xC3"));               // truncated
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));           // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));       // surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));   // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8(std::string_view("a\xFF", 2)));
}

TEST(UnicodeText, ControlCharacters) {
  EXPECT_FALSE(HasControlCharacters("dòng 1\ndòng 2", true));
  EXPECT_TRUE(HasControlCharacters("dòng 1\ndòng 2", false));
  EXPECT_TRUE(HasControlCharacters(std::string("a\0b", 3), true));
  EXPECT_TRUE(HasControlCharacters("a\x1b[31m", true));
  EXPECT_TRUE(HasControlCharacters("a\xC2\x85", true));  // U+0085 NEL
  EXPECT_FALSE(HasControlCharacters("máy sấy 🌾", false));
}

TEST(UnicodeText, NfcComposesCombiningToneMarks) {
  // "hoà" typed as o + combining grave (U+0300) + a, and precomposed.
  std::string combining = "ho\xCC\x80" "a";
  std::string precomposed = "h\xC3\xB2" "a";  // hòa with precomposed ò
  EXPECT_EQ(NormalizeNfc(combining), precomposed);
  EXPECT_EQ(NormalizeNfc(precomposed), precomposed);
  // "ệ" as e + circumflex + dot below composes to one code point.
  EXPECT_EQ(NormalizeNfc("e\xCC\x82\xCC\xA3"), "\xE1\xBB\x87");
}

TEST(UnicodeText, FoldsCaseAndDiacritics) {
  EXPECT_EQ(FoldCase("CÔNG NGHỆ Sấy"), "công nghệ sấy");
  EXPECT_EQ(StripDiacritics("Công nghệ sấy"), "Cong nghe say");
  EXPECT_EQ(StripDiacritics("Đồng Nai đất đỏ"), "Dong Nai dat do");
  EXPECT_EQ(StripDiacritics("IoT 500m3 HACCP"), "IoT 500m3 HACCP");
}

TEST(UnicodeText, LookupKey) {
  EXPECT_EQ(LookupKey("TP. Hồ Chí  Minh"), "tp ho chi minh");
  EXPECT_EQ(LookupKey("  Bà Rịa - Vũng Tàu "), "ba ria vung tau");
  EXPECT_EQ(LookupKey("ĐỒNG THÁP"), "dong thap");
  EXPECT_EQ(LookupKey("--"), "");
}

TEST(UnicodeText, CountsCodePoints) {
  EXPECT_EQ(CodePointCount("sấy"), 3u);
  EXPECT_EQ(CodePointCount("🌾a"), 2u);
}

}  // namespace
}  // namespace techmatch::text
