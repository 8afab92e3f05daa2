// Unicode text primitives shared by validation and the text analyzer.
//
// All functions take and return UTF-8. They are pure, thread-safe (ICU's
// normalizer instances are immutable), and never throw. Functions that
// transform text expect valid UTF-8; check with IsValidUtf8() first.
#ifndef TECHMATCH_MATCHING_UNICODE_TEXT_H_
#define TECHMATCH_MATCHING_UNICODE_TEXT_H_

#include <string>
#include <string_view>

namespace techmatch::text {

// True when `s` is well-formed UTF-8: no overlong forms, no surrogates, no
// code point above U+10FFFF, no truncated sequence.
bool IsValidUtf8(std::string_view s);

// True when `s` contains a C0/C1 control character or U+FEFF/U+FFFE/U+FFFF.
// With `allow_line_breaks`, TAB, LF and CR are accepted. Requires valid UTF-8.
bool HasControlCharacters(std::string_view s, bool allow_line_breaks);

// Unicode Normalization Form C: combining tone marks are composed, so
// "hoà" typed with a combining grave equals the precomposed "hoà".
std::string NormalizeNfc(std::string_view s);

// Full Unicode case folding of NFC text ("CÔNG" -> "công").
std::string FoldCase(std::string_view s);

// Removes diacritics: NFD, drop combining marks, map đ/Đ to d/D, back to NFC.
// "Công nghệ sấy" -> "Cong nghe say".
std::string StripDiacritics(std::string_view s);

// A lookup key for names typed by people: case-folded, diacritics removed,
// every run of non-letters/digits turned into one space, trimmed.
// "TP. Hồ Chí  Minh" -> "tp ho chi minh".
std::string LookupKey(std::string_view s);

// Number of Unicode code points in valid UTF-8 `s`.
size_t CodePointCount(std::string_view s);

}  // namespace techmatch::text

#endif  // TECHMATCH_MATCHING_UNICODE_TEXT_H_
