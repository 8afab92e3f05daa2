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
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return c >= '0' && c <= '9';
  });
}

// A lone ASCII letter ("c" of "UV-C" or "°C", "a") says nothing by itself.
bool LoneLetter(std::string_view s) {
  return s.size() == 1 && !AllDigits(s);
}

// Builds the query's tables, de-duplicating terms and concepts.
class Builder {
 public:
  explicit Builder(ConceptQuery* q) : q_(q) {}

  uint32_t Term(std::string text) {
    auto [it, inserted] = term_of_.emplace(text, q_->terms.size());
    if (inserted) q_->terms.push_back(std::move(text));
    return static_cast<uint32_t>(it->second);
  }

  uint32_t Label(std::string text) {
    auto [it, inserted] = label_of_.emplace(text, q_->labels.size());
    if (inserted) q_->labels.push_back(std::move(text));
    return static_cast<uint32_t>(it->second);
  }

  // The concept with own term `term`, created when new; its prominence is
  // raised to `prominence`.
  uint32_t Concept(std::string term, std::string folded, std::string label,
                   bool pair, float prominence) {
    auto [it, inserted] = concept_of_.emplace(term, concepts_.size());
    if (inserted) {
      Pending c;
      c.item.pair = pair;
      c.item.term = Term(std::move(term));
      c.item.folded =
          folded.empty() ? ConceptQuery::kNone : Term(std::move(folded));
      c.item.label = Label(std::move(label));
      concepts_.push_back(std::move(c));
    }
    ConceptQuery::Concept& c = concepts_[it->second].item;
    c.prominence = std::max(c.prominence, prominence);
    return static_cast<uint32_t>(it->second);
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
      p.item.first_alternative =
          static_cast<uint32_t>(q_->alternatives.size());
      for (const auto& [phrase, source] : p.alternatives) {
        ConceptQuery::Alternative alt;
        alt.first_term = static_cast<uint32_t>(q_->terms.size());
        // Exact wording (accented twins; an ASCII phrase's twin is exact
        // too): a phrase of several words counts by its pairs.
        const std::vector<std::string>& w = phrase->accented;
        if (w.size() == 1) {
          alt.first_term = Term(Cat(std::string(1, kAccentedMarker), w[0]));
          alt.term_count = 1;
        } else {
          std::vector<uint32_t> ids;
          for (size_t i = 0; i + 1 < w.size(); ++i) {
            ids.push_back(Term(Cat(std::string(1, kAccentedMarker),
                                            w[i], "_", w[i + 1])));
          }
          // The alternative's terms must be contiguous: append copies when
          // some were interned earlier.
          alt.first_term = static_cast<uint32_t>(q_->terms.size());
          for (uint32_t id : ids) q_->terms.push_back(q_->terms[id]);
          alt.term_count = static_cast<uint32_t>(ids.size());
        }
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
  ConceptQuery* q_;
  absl::flat_hash_map<std::string, size_t> term_of_;
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
  for (const std::string& s : terms) bytes += s.capacity() > 15 ? s.capacity() + 1 : 0;
  for (const std::string& s : labels) bytes += s.capacity() > 15 ? s.capacity() + 1 : 0;
  return bytes;
}

ConceptQuery BuildConceptQuery(const Analyzer& analyzer,
                               const Lexicon& lexicon, const FieldTexts& texts,
                               const ConceptOptions& options) {
  ConceptQuery q;
  const std::array<const std::string*, kFieldCount> fields = {
      &texts.title, &texts.keywords, &texts.body};
  const std::array<float, kFieldCount> prominence = {
      options.title, options.keywords, options.body};
  std::array<std::vector<Analyzer::Token>, kFieldCount> tokens;
  size_t english_markers = 0;
  for (int f = 0; f < kFieldCount; ++f) {
    tokens[f] = analyzer.Tokenize(*fields[f]);
    for (const Analyzer::Token& t : tokens[f]) {
      q.accented = q.accented || t.accented != t.folded;
      if (lexicon.IsEnglishMarker(t.folded)) ++english_markers;
    }
  }
  q.english = !q.accented && english_markers >= 2;
  const std::string marker(1, kAccentedMarker);
  Builder build(&q);
  for (int f = 0; f < kFieldCount; ++f) {
    const std::vector<Analyzer::Token>& all = tokens[f];
    // Phrases (runs of tokens without a break) are looked up on their own.
    for (size_t begin = 0; begin < all.size();) {
      size_t end = begin + 1;
      while (end < all.size() && !all[end].breaks_before) ++end;
      std::vector<Lexicon::Token> phrase;
      phrase.reserve(end - begin);
      for (size_t i = begin; i < end; ++i)
        phrase.push_back({all[i].accented, all[i].folded});
      const size_t n = phrase.size();
      std::vector<bool> stopped(n, false);
      for (size_t i = 0; i < n; ++i) {
        if (AllDigits(phrase[i].folded) || LoneLetter(phrase[i].folded))
          stopped[i] = true;
        const bool title_start = f == kTitle && begin == 0 && i == 0;
        std::vector<Lexicon::StopMatch> stops =
            lexicon.StopsAt(phrase, i, q.accented, q.english, title_start);
        if (!stops.empty()) {
          for (size_t k = 0; k < stops.front().length; ++k) stopped[i + k] = true;
        }
      }
      // The concepts of this phrase, by position: its words, and the pairs
      // starting at each.
      std::vector<uint32_t> word(n, ConceptQuery::kNone);
      std::vector<uint32_t> pair(n, ConceptQuery::kNone);
      for (size_t i = 0; i < n; ++i) {
        if (stopped[i]) continue;
        const Lexicon::Token& t = phrase[i];
        word[i] = q.accented
                      ? build.Concept(Cat(marker, t.accented),
                                      std::string(t.folded),
                                      std::string(t.accented), false,
                                      prominence[f])
                      : build.Concept(std::string(t.folded), "",
                                      std::string(t.folded), false,
                                      prominence[f]);
        if (i + 1 < n && !stopped[i + 1]) {
          const Lexicon::Token& u = phrase[i + 1];
          const float p = prominence[f] * options.pair;
          pair[i] =
              q.accented
                  ? build.Concept(
                        Cat(marker, t.accented, "_", u.accented),
                        Cat(t.folded, "_", u.folded),
                        Cat(t.accented, " ", u.accented), true, p)
                  : build.Concept(Cat(t.folded, "_", u.folded), "",
                                  Cat(t.folded, " ", u.folded), true,
                                  p);
        }
      }
      // Other wordings: every concept inside a lexicon phrase found here
      // also matches that phrase's alternatives.
      for (size_t i = 0; i < n; ++i) {
        for (const Lexicon::ExpansionMatch& m :
             lexicon.ExpansionsAt(phrase, i, q.accented)) {
          for (size_t k = i; k < i + m.length; ++k) {
            for (const auto& alt : m.alternatives) {
              if (word[k] != ConceptQuery::kNone)
                build.AddAlternative(word[k], alt.phrase, alt.source);
              if (k + 1 < i + m.length && pair[k] != ConceptQuery::kNone)
                build.AddAlternative(pair[k], alt.phrase, alt.source);
            }
          }
        }
      }
      begin = end;
    }
  }
  build.Finish();
  return q;
}

}  // namespace techmatch::matching
