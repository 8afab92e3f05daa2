#include <gtest/gtest.h>

#include <string>

#include "base/decimal.h"
#include "base/utf8.h"

namespace techmatch {
namespace {

bool ValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

TEST(Utf8PrefixTest, NeverCutsACharacterInTwo) {
  const std::string text = "Đồng Nai công nghệ sấy";  // 2- and 3-byte letters
  for (size_t max = 0; max <= text.size() + 1; ++max) {
    const std::string_view cut = Utf8Prefix(text, max);
    EXPECT_LE(cut.size(), max);
    EXPECT_TRUE(ValidUtf8(cut)) << max;
    EXPECT_EQ(text.compare(0, cut.size(), cut), 0);
    // The cut loses less than one character (at most 3 bytes here).
    EXPECT_GE(cut.size() + 3, std::min(max, text.size())) << max;
  }
  EXPECT_EQ(Echo("ấy", 2), "");  // "ấ" is 3 bytes: none of it fits
  EXPECT_EQ(Echo("abc", 2), "ab");
}

TEST(ParseDecimalTest, TakesDigitsOnly) {
  uint64_t v = 7;
  EXPECT_TRUE(ParseDecimal(std::string("0"), &v));
  EXPECT_EQ(v, 0u);
  EXPECT_TRUE(ParseDecimal(std::string_view("18446744073709551615"), &v));
  EXPECT_EQ(v, UINT64_MAX);
  for (const char* bad : {"", " 5", "+5", "5 ", "5\n", "-1", "0x5", "1e3",
                          "18446744073709551616"}) {
    v = 7;
    EXPECT_FALSE(ParseDecimal(std::string_view(bad), &v)) << bad;
    EXPECT_EQ(v, 7u) << bad;
  }
}

}  // namespace
}  // namespace techmatch
