// Parsing the numbers of tokens and names this server issues.
#ifndef TECHMATCH_BASE_DECIMAL_H_
#define TECHMATCH_BASE_DECIMAL_H_

#include <cstdint>

namespace techmatch {

// Parses canonical unsigned decimal: one or more ASCII digits and nothing
// else (absl::SimpleAtoi also takes "+5", " 5" and "5\n", which no token
// of ours holds). False on anything else or on overflow. `Text` is a string
// or a string view of either kind.
template <class Text>
bool ParseDecimal(const Text& text, uint64_t* out) {
  if (text.empty()) return false;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return false;
    value = value * 10 + digit;
  }
  *out = value;
  return true;
}

}  // namespace techmatch

#endif  // TECHMATCH_BASE_DECIMAL_H_
