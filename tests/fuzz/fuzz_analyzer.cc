// libFuzzer target: the text analyzer on arbitrary bytes (invalid UTF-8,
// combining marks, emoji, controls, mixed scripts). Besides crashes and
// sanitizer reports it checks that every token is non-empty, valid UTF-8,
// free of the accented-term marker, and that folding is idempotent.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "matching/analyzer.h"
#include "matching/unicode_text.h"
#include "tests/fuzz/fuzz_reference.h"

using techmatch::fuzz::Check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto* analyzer = new techmatch::matching::Analyzer();
  namespace text = techmatch::text;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  for (const auto& token : analyzer->Tokenize(input)) {
    Check(!token.accented.empty() && !token.folded.empty());
    Check(text::IsValidUtf8(token.accented) && text::IsValidUtf8(token.folded));
    Check(token.accented.find(techmatch::matching::kAccentedMarker) ==
          std::string::npos);
    // Folding a folded token changes nothing.
    auto again = analyzer->Tokenize(token.folded);
    Check(again.size() == 1 && again[0].folded == token.folded);
  }
  std::vector<std::string> terms;
  analyzer->IndexTerms(input, &terms);
  analyzer->QueryTerms(input, &terms);
  for (const std::string& term : terms) Check(!term.empty());
  (void)analyzer->HasDiacritics(input);
  if (text::IsValidUtf8(input)) {
    std::string nfc = text::NormalizeNfc(input);
    Check(text::IsValidUtf8(nfc));
    Check(text::NormalizeNfc(nfc) == nfc);
    Check(text::IsValidUtf8(text::FoldCase(nfc)));
    Check(text::IsValidUtf8(text::StripDiacritics(nfc)));
  }
  return 0;
}
