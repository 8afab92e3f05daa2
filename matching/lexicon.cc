#include "matching/lexicon.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace techmatch::matching {
namespace {

// Abseil's own string_view (this Abseil is not built on std::string_view).
absl::string_view Absl(std::string_view s) { return {s.data(), s.size()}; }
std::string_view Std(absl::string_view s) { return {s.data(), s.size()}; }

// FNV-1a, 64 bits: a digest of the lexicon's content, not a security hash.
uint64_t Mix(uint64_t hash, std::string_view bytes) {
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash ^ 0xff;  // separates consecutive strings
}

// The singular of an English word: "dryers" -> "dryer", "batteries" ->
// "battery", "boxes" -> "box"; other words as they are.
std::string Singular(std::string_view word) {
  auto ends = [&](std::string_view tail) {
    return word.size() > tail.size() + 2 &&
           word.substr(word.size() - tail.size()) == tail;
  };
  if (ends("ies")) return std::string(word.substr(0, word.size() - 3)) + "y";
  if (ends("sses") || ends("xes") || ends("ches") || ends("shes"))
    return std::string(word.substr(0, word.size() - 2));
  if (ends("s") && !ends("ss") && !ends("us") && !ends("is"))
    return std::string(word.substr(0, word.size() - 1));
  return std::string(word);
}

bool IsAscii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x80;
  });
}

absl::Status RowError(std::string_view file, size_t line,
                      std::string_view reason) {
  return absl::InvalidArgumentError(
      absl::StrCat(Absl(file), ":", line, ": ", Absl(reason)));
}

// Calls fn(line_number, line) for each line that is neither empty nor a
// comment, with surrounding blanks removed; stops at fn's first error.
template <class Fn>
absl::Status ForEachRow(std::string_view text, Fn&& fn) {
  size_t number = 0;
  for (absl::string_view row : absl::StrSplit(Absl(text), '\n')) {
    ++number;
    const std::string_view line = Std(absl::StripAsciiWhitespace(row));
    if (line.empty() || line[0] == '#') continue;
    absl::Status status = fn(number, line);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace

namespace {

// `text` tokenized; false when it holds no word.
bool ToPhrase(const Analyzer& analyzer, std::string_view text,
              Lexicon::Phrase* out) {
  out->text = std::string(absl::StripAsciiWhitespace(Absl(text)));
  out->accented.clear();
  out->folded.clear();
  out->diacritics = false;
  for (Analyzer::Token& t : analyzer.Tokenize(out->text)) {
    out->diacritics = out->diacritics || t.accented != t.folded;
    out->accented.push_back(std::move(t.accented));
    out->folded.push_back(std::move(t.folded));
  }
  return !out->folded.empty();
}

}  // namespace

size_t Lexicon::Intern(Phrase phrase) {
  const std::string key = absl::StrJoin(phrase.accented, " ");
  auto [it, inserted] = phrase_of_.emplace(key, phrases_.size());
  if (inserted) phrases_.push_back(std::make_unique<Phrase>(std::move(phrase)));
  return it->second;
}

absl::StatusOr<Lexicon> Lexicon::Parse(const Analyzer& analyzer,
                                       std::string_view stopwords_tsv,
                                       std::string_view synonyms_tsv,
                                       std::string_view glossary_tsv) {
  Lexicon lexicon;
  uint64_t hash = 0xcbf29ce484222325ULL;
  absl::Status status =
      ForEachRow(stopwords_tsv, [&](size_t number, std::string_view line) {
        std::vector<absl::string_view> cells = absl::StrSplit(Absl(line), '\t');
        if (cells.size() != 2) {
          return RowError("stopwords.tsv", number,
                          "want a term and a kind separated by a tab");
        }
        const absl::string_view kind = absl::StripAsciiWhitespace(cells[1]);
        StopKind k;
        if (kind == "vi") {
          k = StopKind::kAccented;
        } else if (kind == "fold") {
          k = StopKind::kFolded;
        } else if (kind == "en") {
          k = StopKind::kEnglish;
        } else if (kind == "en?") {
          k = StopKind::kEnglishOnly;
        } else if (kind == "lead") {
          k = StopKind::kLead;
        } else {
          return RowError("stopwords.tsv", number,
                          absl::StrCat("unknown kind \"", kind,
                                       "\" (vi, fold, en, en?, lead)"));
        }
        Phrase phrase;
        if (!ToPhrase(analyzer, Std(cells[0]), &phrase)) {
          return RowError("stopwords.tsv", number, "the term holds no word");
        }
        if (k == StopKind::kEnglish && phrase.folded.size() == 1)
          lexicon.english_markers_[phrase.folded[0]] = true;
        lexicon.stops_by_first_[phrase.folded[0]].push_back(
            static_cast<uint32_t>(lexicon.stops_.size()));
        hash = Mix(Mix(hash, line), "s");
        lexicon.stops_.push_back({std::move(phrase), k});
        return absl::OkStatus();
      });
  if (!status.ok()) return status;

  // Each phrase of a group (or row) gets the others as alternatives.
  auto add_alternatives = [&](size_t phrase, bool english,
                              const std::vector<size_t>& others,
                              Source source) {
    ExpansionEntry entry{phrase, {}, english};
    for (size_t other : others) {
      if (other == phrase) continue;
      entry.alternatives.push_back({lexicon.phrases_[other].get(), source});
    }
    if (entry.alternatives.empty()) return;
    lexicon.expansions_by_first_[lexicon.phrases_[phrase]->folded[0]].push_back(
        static_cast<uint32_t>(lexicon.expansions_.size()));
    lexicon.expansions_.push_back(std::move(entry));
  };
  status = ForEachRow(synonyms_tsv, [&](size_t number, std::string_view line) {
    std::vector<size_t> group;
    for (absl::string_view cell : absl::StrSplit(Absl(line), '|')) {
      Phrase phrase;
      if (!ToPhrase(analyzer, Std(cell), &phrase)) {
        return RowError("synonyms.tsv", number,
                        "an empty term (want \"a | b | ...\")");
      }
      group.push_back(lexicon.Intern(std::move(phrase)));
    }
    std::sort(group.begin(), group.end());
    group.erase(std::unique(group.begin(), group.end()), group.end());
    if (group.size() < 2) {
      return RowError("synonyms.tsv", number,
                      "a group needs two different terms");
    }
    for (size_t p : group) add_alternatives(p, false, group, Source::kSynonym);
    ++lexicon.synonym_groups_;
    hash = Mix(Mix(hash, line), "y");
    return absl::OkStatus();
  });
  if (!status.ok()) return status;

  status = ForEachRow(glossary_tsv, [&](size_t number, std::string_view line) {
    std::vector<absl::string_view> cells = absl::StrSplit(Absl(line), '\t');
    if (cells.size() != 2) {
      return RowError("glossary_en_vi.tsv", number,
                      "want an English term, a tab, Vietnamese terms");
    }
    Phrase english;
    if (!ToPhrase(analyzer, Std(cells[0]), &english) ||
        !IsAscii(english.text)) {
      return RowError("glossary_en_vi.tsv", number,
                      "the English term must be ASCII words");
    }
    // The English side in its singular form, as plurals are looked up.
    for (std::string& w : english.folded) w = Singular(w);
    english.accented = english.folded;
    const size_t en = lexicon.Intern(std::move(english));
    std::vector<size_t> translations;
    for (absl::string_view cell : absl::StrSplit(cells[1], '|')) {
      Phrase vi;
      if (!ToPhrase(analyzer, Std(cell), &vi)) {
        return RowError("glossary_en_vi.tsv", number,
                        "an empty Vietnamese term");
      }
      translations.push_back(lexicon.Intern(std::move(vi)));
    }
    std::vector<size_t> row = translations;
    row.push_back(en);
    add_alternatives(en, true, row, Source::kGlossary);
    for (size_t vi : translations)
      add_alternatives(vi, false, {en}, Source::kGlossary);
    ++lexicon.glossary_rows_;
    hash = Mix(Mix(hash, line), "g");
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  lexicon.fingerprint_ = hash;
  return lexicon;
}

bool Lexicon::Matches(const Phrase& phrase, const std::vector<Token>& tokens,
                      size_t at, bool compare_accents, bool plurals) {
  if (at + phrase.folded.size() > tokens.size()) return false;
  for (size_t i = 0; i < phrase.folded.size(); ++i) {
    const Token& t = tokens[at + i];
    if (compare_accents) {
      if (t.accented != phrase.accented[i]) return false;
    } else if (t.folded != phrase.folded[i] &&
               !(plurals && Singular(t.folded) == phrase.folded[i])) {
      return false;
    }
  }
  return true;
}

std::vector<Lexicon::StopMatch> Lexicon::StopsAt(
    const std::vector<Token>& tokens, size_t at, bool accented, bool english,
    bool title_start) const {
  std::vector<StopMatch> out;
  auto it = stops_by_first_.find(Absl(tokens[at].folded));
  if (it == stops_by_first_.end()) return out;
  for (uint32_t e : it->second) {
    const StopEntry& entry = stops_[e];
    bool applies = false;
    bool accents = false;
    switch (entry.kind) {
      case StopKind::kAccented:
        applies = accented;
        accents = true;
        break;
      case StopKind::kFolded:
        applies = !accented;
        break;
      case StopKind::kEnglish:
        applies = true;
        break;
      case StopKind::kEnglishOnly:
        applies = english;
        break;
      case StopKind::kLead:
        applies = title_start;
        accents = accented && entry.phrase.diacritics;
        break;
    }
    if (applies && Matches(entry.phrase, tokens, at, accents, false))
      out.push_back({entry.phrase.folded.size(), entry.kind});
  }
  std::sort(out.begin(), out.end(), [](const StopMatch& a, const StopMatch& b) {
    return a.length > b.length;
  });
  return out;
}

bool Lexicon::IsEnglishMarker(std::string_view folded) const {
  return english_markers_.contains(Absl(folded));
}

std::vector<Lexicon::ExpansionMatch> Lexicon::ExpansionsAt(
    const std::vector<Token>& tokens, size_t at, bool accented) const {
  std::vector<ExpansionMatch> out;
  auto visit = [&](std::string_view first) {
    auto it = expansions_by_first_.find(Absl(first));
    if (it == expansions_by_first_.end()) return;
    for (uint32_t e : it->second) {
      const ExpansionEntry& entry = expansions_[e];
      const Phrase& phrase = *phrases_[entry.phrase];
      const bool accents = accented && phrase.diacritics;
      if (!Matches(phrase, tokens, at, accents, entry.english)) continue;
      // A phrase of several groups (or found through its plural too) is
      // one match with all their alternatives.
      auto same = std::find_if(out.begin(), out.end(), [&](const auto& m) {
        return m.found == &phrase;
      });
      if (same == out.end()) {
        out.push_back({phrase.folded.size(), &phrase, {}});
        same = out.end() - 1;
      }
      for (const ExpansionMatch::Alternative& a : entry.alternatives) {
        if (std::none_of(same->alternatives.begin(), same->alternatives.end(),
                         [&](const auto& b) { return b.phrase == a.phrase; }))
          same->alternatives.push_back(a);
      }
    }
  };
  visit(tokens[at].folded);
  const std::string singular = Singular(tokens[at].folded);
  if (singular != tokens[at].folded) visit(singular);
  std::stable_sort(out.begin(), out.end(),
                   [](const ExpansionMatch& a, const ExpansionMatch& b) {
                     return a.length > b.length;
                   });
  return out;
}

}  // namespace techmatch::matching
