#include "matching/unicode_text.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

namespace techmatch::text {
namespace {

const icu::Normalizer2* Nfc() {
  UErrorCode status = U_ZERO_ERROR;
  return icu::Normalizer2::getNFCInstance(status);
}

const icu::Normalizer2* Nfd() {
  UErrorCode status = U_ZERO_ERROR;
  return icu::Normalizer2::getNFDInstance(status);
}

icu::UnicodeString FromUtf8(std::string_view s) {
  return icu::UnicodeString::fromUTF8(
      icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
}

std::string ToUtf8(const icu::UnicodeString& u) {
  std::string out;
  u.toUTF8String(out);
  return out;
}

icu::UnicodeString Normalize(const icu::Normalizer2* n,
                             const icu::UnicodeString& u) {
  UErrorCode status = U_ZERO_ERROR;
  icu::UnicodeString out = n->normalize(u, status);
  return U_SUCCESS(status) ? out : u;
}

icu::UnicodeString StripMarks(const icu::UnicodeString& in) {
  icu::UnicodeString decomposed = Normalize(Nfd(), in);
  icu::UnicodeString out;
  for (int32_t i = 0; i < decomposed.length();) {
    UChar32 c = decomposed.char32At(i);
    i += U16_LENGTH(c);
    if (u_charType(c) == U_NON_SPACING_MARK) continue;
    if (c == 0x0111) c = 'd';       // đ
    if (c == 0x0110) c = 'D';       // Đ
    out.append(c);
  }
  return Normalize(Nfc(), out);
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  int32_t length = static_cast<int32_t>(s.size());
  if (static_cast<size_t>(length) != s.size()) return false;
  for (int32_t i = 0; i < length;) {
    UChar32 c;
    U8_NEXT(p, i, length, c);
    if (c < 0) return false;
  }
  return true;
}

bool HasControlCharacters(std::string_view s, bool allow_line_breaks) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  int32_t length = static_cast<int32_t>(s.size());
  for (int32_t i = 0; i < length;) {
    UChar32 c;
    U8_NEXT(p, i, length, c);
    if (c < 0) return true;
    if (allow_line_breaks && (c == '\t' || c == '\n' || c == '\r')) continue;
    if (c < 0x20 || (c >= 0x7F && c < 0xA0)) return true;
    if (c == 0xFEFF || c == 0xFFFE || c == 0xFFFF) return true;
  }
  return false;
}

std::string NormalizeNfc(std::string_view s) {
  const icu::Normalizer2* nfc = Nfc();
  icu::UnicodeString u = FromUtf8(s);
  UErrorCode status = U_ZERO_ERROR;
  if (nfc->isNormalized(u, status) && U_SUCCESS(status)) {
    return std::string(s);
  }
  return ToUtf8(Normalize(nfc, u));
}

std::string FoldCase(std::string_view s) {
  icu::UnicodeString u = FromUtf8(s);
  u.foldCase();
  return ToUtf8(Normalize(Nfc(), u));
}

std::string StripDiacritics(std::string_view s) {
  return ToUtf8(StripMarks(FromUtf8(s)));
}

std::string LookupKey(std::string_view s) {
  icu::UnicodeString u = FromUtf8(s);
  u.foldCase();
  icu::UnicodeString plain = StripMarks(u);
  icu::UnicodeString out;
  bool pending_space = false;
  for (int32_t i = 0; i < plain.length();) {
    UChar32 c = plain.char32At(i);
    i += U16_LENGTH(c);
    if (u_isalnum(c)) {
      if (pending_space && !out.isEmpty()) out.append(UChar32{' '});
      pending_space = false;
      out.append(c);
    } else {
      pending_space = true;
    }
  }
  return ToUtf8(out);
}

size_t CodePointCount(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

}  // namespace techmatch::text
