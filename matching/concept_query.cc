#include "matching/concept_query.h"

#include <algorithm>
#include <array>

#include "absl/container/flat_hash_map.h"

namespace techmatch::matching {
namespace {

// The concatenation of `parts` (strings, views, literals).
template <class... Parts>
std::string Cat(const Parts&... parts) {
  std::string out;
  (out.append(std::string_view(parts)), ...);
  return out;
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return c >= '0' && c <= '9'; });
}

// A lone ASCII letter ("c" of "UV-C" or "°C", "a") says nothing by itself.
bool LoneLetter(std::string_view s) { return s.size() == 1 && !AllDigits(s); }

// The index terms of a phrase's syllables `words`: one syllable's term, or
// the pairs of a longer phrase; accented ("\x01" + case-folded) or folded.
std::vector<std::string> PhraseTerms(const std::vector<std::string_view>& words,
                                     bool accented) {
  const std::string_view marker =
      accented ? std::string_view("\x01", 1) : std::string_view();
  std::vector<std::string> out;
  if (words.size() == 1) {
    out.push_back(Cat(marker, words[0]));
  } else {
    for (size_t i = 0; i + 1 < words.size(); ++i)
      out.push_back(Cat(marker, words[i], "_", words[i + 1]));
  }
  return out;
}

std::string JoinWords(const std::vector<std::string_view>& words) {
  std::string out;
  for (std::string_view w : words) {
    if (!out.empty()) out += ' ';
    out.append(w);
  }
  return out;
}

// Builds the query's tables, de-duplicating terms and concepts.
class Builder {
 public:
  explicit Builder(ConceptQuery* q) : q_(q) {}

  uint32_t Label(std::string text) {
    auto [it, inserted] = label_of_.emplace(text, q_->labels.size());
    if (inserted) q_->labels.push_back(std::move(text));
    return static_cast<uint32_t>(it->second);
  }

  // The concept whose own form is `own`, created when new (`folded` its
  // accent-folded twin, empty when none); its prominence is raised to
  // `prominence`.
  uint32_t Concept(ConceptQuery::Kind kind, std::vector<std::string> own,
                   std::vector<std::string> folded, std::string label,
                   float prominence) {
    std::string key;
    for (const std::string& t : own) key += t + '\n';
    auto [it, inserted] = concept_of_.emplace(key, concepts_.size());
    if (inserted) {
      Pending c;
      c.item.kind = kind;
      c.item.own = Form(own);
      c.item.folded = Form(folded);
      c.item.label = Label(std::move(label));
      concepts_.push_back(std::move(c));
    }
    ConceptQuery::Concept& c = concepts_[it->second].item;
    c.prominence = std::max(c.prominence, prominence);
    return static_cast<uint32_t>(it->second);
  }

  void SetParts(uint32_t pair, uint32_t first, uint32_t second) {
    concepts_[pair].item.parts[0] = first;
    concepts_[pair].item.parts[1] = second;
  }

  void AddAlternative(uint32_t index, const Lexicon::Phrase* phrase,
                      Lexicon::Source source) {
    auto& alts = concepts_[index].alternatives;
    if (std::none_of(alts.begin(), alts.end(),
                     [&](const auto& a) { return a.first == phrase; }))
      alts.emplace_back(phrase, source);
  }

  // Moves the pending concepts into the query.
  void Finish() {
    for (Pending& p : concepts_) {
      p.item.first_alternative = static_cast<uint32_t>(q_->alternatives.size());
      for (const auto& [phrase, source] : p.alternatives) {
        // The exact wording: accented twins (an ASCII phrase's twin is exact
        // too).
        std::vector<std::string_view> words(phrase->accented.begin(),
                                            phrase->accented.end());
        ConceptQuery::Alternative alt;
        alt.form = Form(PhraseTerms(words, true));
        alt.label = Label(phrase->text);
        alt.via = source == Lexicon::Source::kSynonym
                      ? ConceptQuery::Via::kSynonym
                      : ConceptQuery::Via::kGlossary;
        q_->alternatives.push_back(alt);
      }
      p.item.alternative_count =
          static_cast<uint32_t>(q_->alternatives.size()) -
          p.item.first_alternative;
      q_->concepts.push_back(p.item);
    }
  }

 private:
  struct Pending {
    ConceptQuery::Concept item;
    std::vector<std::pair<const Lexicon::Phrase*, Lexicon::Source>>
        alternatives;
  };

  // A form's terms, appended contiguously (a term may appear in several).
  ConceptQuery::Form Form(const std::vector<std::string>& terms) {
    ConceptQuery::Form form;
    form.first_term = static_cast<uint32_t>(q_->terms.size());
    form.term_count = static_cast<uint32_t>(terms.size());
    for (const std::string& t : terms) q_->terms.push_back(t);
    return form;
  }

  ConceptQuery* q_;
  absl::flat_hash_map<std::string, size_t> label_of_;
  absl::flat_hash_map<std::string, size_t> concept_of_;
  std::vector<Pending> concepts_;
};

}  // namespace

size_t ConceptQuery::MemoryBytes() const {
  size_t bytes = terms.capacity() * sizeof(std::string) +
                 labels.capacity() * sizeof(std::string) +
                 alternatives.capacity() * sizeof(Alternative) +
                 concepts.capacity() * sizeof(Concept);
  for (const std::string& s : terms)
    bytes += s.capacity() > 15 ? s.capacity() + 1 : 0;
  for (const std::string& s : labels)
    bytes += s.capacity() > 15 ? s.capacity() + 1 : 0;
  return bytes;
}

ConceptQuery BuildConceptQuery(const Analyzer& analyzer, const Lexicon& lexicon,
                               const FieldTexts& texts,
                               const ConceptOptions& options) {
  return BuildConceptQuery(lexicon, AnalyzedText(analyzer, texts), options);
}

ConceptQuery BuildConceptQuery(const Lexicon& lexicon,
                               const AnalyzedText& analyzed,
                               const ConceptOptions& options) {
  ConceptQuery q;
  const std::array<float, kFieldCount> prominence = {
      options.title, options.keywords, options.body};
  std::array<std::vector<Analyzer::Token>, kFieldCount> tokens;
  size_t english_markers = 0;
  for (int f = 0; f < kFieldCount; ++f) {
    analyzed.ForEachToken(f, [&](std::string_view folded,
                                 std::string_view accented, bool breaks) {
      Analyzer::Token& t = tokens[f].emplace_back();
      t.folded.assign(folded);
      t.accented.assign(accented);
      t.breaks_before = breaks;
    });
    for (const Analyzer::Token& t : tokens[f]) {
      q.accented = q.accented || t.accented != t.folded;
      if (lexicon.IsEnglishMarker(t.folded)) ++english_markers;
    }
  }
  q.english = !q.accented && english_markers >= 2;
  Builder build(&q);
  for (int f = 0; f < kFieldCount; ++f) {
    const std::vector<Analyzer::Token>& all = tokens[f];
    const size_t n = all.size();
    std::vector<Lexicon::Token> field;
    field.reserve(n);
    for (const Analyzer::Token& t : all)
      field.push_back({t.accented, t.folded});
    // A break (punctuation) lies between tokens k-1 and k.
    auto spans_break = [&](size_t from, size_t to) {
      for (size_t k = from + 1; k < to; ++k) {
        if (all[k].breaks_before) return true;
      }
      return false;
    };
    std::vector<bool> stopped(n, false);
    for (size_t i = 0; i < n; ++i) {
      if (LoneLetter(field[i].folded)) stopped[i] = true;
      const bool title_start = f == kTitle && i == 0;
      for (const Lexicon::StopMatch& m :
           lexicon.StopsAt(field, i, q.accented, q.english, title_start)) {
        if (spans_break(i, i + m.length)) continue;
        for (size_t k = i; k < i + m.length; ++k) stopped[k] = true;
        break;
      }
    }
    auto words_of = [&](size_t from, size_t to, bool accented) {
      std::vector<std::string_view> words;
      for (size_t k = from; k < to; ++k)
        words.push_back(accented ? field[k].accented : field[k].folded);
      return words;
    };
    // The terms of the words [from, to): a phrase across a break ("know-
    // how") has no pair terms in an index, only its words.
    auto terms_of = [&](size_t from, size_t to, bool accented) {
      std::vector<std::string_view> words = words_of(from, to, accented);
      if (!spans_break(from, to)) return PhraseTerms(words, accented);
      std::vector<std::string> out;
      for (std::string_view w : words)
        out.push_back(PhraseTerms({w}, accented)[0]);
      return out;
    };
    // A concept for the words [from, to): its own terms (accented in text
    // with diacritics, with the folded twin), its label.
    auto add = [&](ConceptQuery::Kind kind, size_t from, size_t to) {
      const float p = to == from + 1 && AllDigits(field[from].folded)
                          ? prominence[f] * options.number
                          : prominence[f];
      if (!q.accented) {
        return build.Concept(kind, terms_of(from, to, false), {},
                             JoinWords(words_of(from, to, false)), p);
      }
      return build.Concept(kind, terms_of(from, to, true),
                           terms_of(from, to, false),
                           JoinWords(words_of(from, to, true)), p);
    };
    // Lexicon phrases of several words, longest first from the left: each
    // one concept (it may hold a function word: "theo dõi"). A one-word
    // phrase stays a word (it may pair with its neighbour: "cá tầm"), with
    // the phrase's alternatives.
    std::vector<bool> covered(n, false);
    std::vector<const Lexicon::ExpansionMatch*> single(n, nullptr);
    std::vector<std::vector<Lexicon::ExpansionMatch>> kept(n);
    for (size_t i = 0; i < n;) {
      const Lexicon::ExpansionMatch* match = nullptr;
      const std::vector<Lexicon::ExpansionMatch> matches =
          lexicon.ExpansionsAt(field, i, q.accented);
      for (const Lexicon::ExpansionMatch& m : matches) {
        bool informative = false;
        for (size_t k = i; k < i + m.length; ++k)
          informative = informative || !stopped[k];
        if (!informative || (m.length == 1 && stopped[i])) continue;
        match = &m;
        break;
      }
      if (match == nullptr) {
        ++i;
        continue;
      }
      if (match->length == 1) {
        kept[i] = matches;
        single[i] = &kept[i][static_cast<size_t>(match - matches.data())];
        ++i;
        continue;
      }
      const uint32_t c = add(ConceptQuery::Kind::kPhrase, i, i + match->length);
      for (const auto& alt : match->alternatives)
        build.AddAlternative(c, alt.phrase, alt.source);
      for (size_t k = i; k < i + match->length; ++k) covered[k] = true;
      i += match->length;
    }
    // The other words, and the pairs of adjacent ones (within a phrase).
    std::vector<uint32_t> word(n, ConceptQuery::kNone);
    for (size_t i = 0; i < n; ++i) {
      if (stopped[i] || covered[i]) continue;
      word[i] = add(ConceptQuery::Kind::kWord, i, i + 1);
      if (single[i] != nullptr) {
        for (const auto& alt : single[i]->alternatives)
          build.AddAlternative(word[i], alt.phrase, alt.source);
      }
    }
    for (size_t i = 0; i + 1 < n; ++i) {
      if (word[i] == ConceptQuery::kNone ||
          word[i + 1] == ConceptQuery::kNone || all[i + 1].breaks_before)
        continue;
      const uint32_t pair = add(ConceptQuery::Kind::kPair, i, i + 2);
      build.SetParts(pair, word[i], word[i + 1]);
    }
  }
  build.Finish();
  return q;
}

}  // namespace techmatch::matching
