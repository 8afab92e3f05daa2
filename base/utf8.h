// Cutting a client's text for a message without cutting a character.
#ifndef TECHMATCH_BASE_UTF8_H_
#define TECHMATCH_BASE_UTF8_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace techmatch {

// The longest prefix of `s` of at most `max_bytes` bytes that does not cut
// a UTF-8 sequence in two: what an error message may echo of a client's
// text (a byte cut can make the message invalid UTF-8, which clients and
// JSON writers refuse). Invalid input is cut at a byte boundary all the same.
inline std::string_view Utf8Prefix(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  size_t end = max_bytes;
  // Back off over continuation bytes to the start of the sequence cut.
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end);
}

// The same as a string, for building messages.
inline std::string Echo(std::string_view s, size_t max_bytes) {
  return std::string(Utf8Prefix(s, max_bytes));
}

}  // namespace techmatch

#endif  // TECHMATCH_BASE_UTF8_H_
