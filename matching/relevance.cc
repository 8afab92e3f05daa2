#include "matching/relevance.h"

#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_map.h"

namespace techmatch::matching {

namespace {

bool IsAscii(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x80;
  });
}

// The idf of a concept held by `df` documents, the collection counted with
// `chance_prior` more documents that hold none: a small collection (two
// offers that both mention "nước thải") is no evidence that a concept is
// common; with thousands of documents the prior vanishes.
double Idf(const TextIndex& index, const RelevanceParams& params, double df) {
  const double n = static_cast<double>(index.slot_count()) + params.chance_prior;
  return std::log(1.0 + (n - df + 0.5) / (df + 0.5));
}

// The weight of a concept nothing in the collection holds: the idf of a
// term one document holds; `unknown` times that when only the body says
// it (the title and keywords name what is asked for; the body also says
// much that nobody needs to offer).
double UnknownWeight(const ConceptQuery::Concept& c, const TextIndex& index,
                     const RelevanceParams& params) {
  const bool body_only = c.prominence < params.concepts.keywords &&
                         c.prominence < params.concepts.title;
  // What the title or keywords ask for and nobody holds weighs what a term
  // nobody holds weighs; a body-only word, as if one document held it, and
  // less.
  return body_only ? c.prominence * Idf(index, params, 1) * params.unknown
                   : c.prominence * Idf(index, params, 0);
}

}  // namespace

WeightedQuery::WeightedQuery(const ConceptQuery& query, const TextIndex& index,
                             const RelevanceParams& params)
    : query_(&query), params_(&params) {
  stats_.reserve(query.terms.size());
  for (const std::string& term : query.terms) stats_.push_back(index.Stats(term));
  const size_t n = query.concepts.size();
  concepts_.resize(n);
  std::vector<bool> subsumed(n, false);
  // A pair that is one word takes the place of its words, unless a word is
  // said more prominently elsewhere (a body pair leaves a title word be).
  auto subsume = [&](const ConceptQuery::Concept& pair) {
    for (uint32_t part : pair.parts) {
      if (part != ConceptQuery::kNone &&
          query.concepts[part].prominence <= pair.prominence)
        subsumed[part] = true;
    }
  };
  // Pairs first: a pair that is one word takes its syllables' weight.
  for (size_t i = 0; i < n; ++i) {
    const ConceptQuery::Concept& c = query.concepts[i];
    if (c.kind != ConceptQuery::Kind::kPair) continue;
    const uint32_t df = FormFrequency(c.own);
    // A pair nothing holds, of which a word is nowhere either ("cá tầm" in
    // a collection without sturgeon), is one word nobody offers: counted
    // once, as unknown, and not as its known half ("cá").
    // (Not in English text: there the unknown half is rather an English word
    // the glossary lacks, next to one it knows: "biogas digester".)
    // And only for a word written with diacritics: an unknown code or
    // number beside a word ("máy sấy XT200") is no compound.
    bool unknown_part = false;
    for (uint32_t part : c.parts) {
      unknown_part =
          unknown_part ||
          (part != ConceptQuery::kNone && Unheld(query.concepts[part]) &&
           !IsAscii(query.labels[query.concepts[part].label]));
    }
    if (df == 0 && unknown_part && !query.english) {
      concepts_[i].weight = UnknownWeight(c, index, params);
      subsume(c);
      continue;
    }
    if (df < params.min_pair_df) continue;
    uint32_t rarer = UINT32_MAX;
    for (uint32_t part : c.parts) {
      if (part != ConceptQuery::kNone)
        rarer = std::min(rarer, FormFrequency(query.concepts[part].own));
    }
    if (rarer == UINT32_MAX || rarer == 0 ||
        static_cast<float>(df) < params.cohesion * static_cast<float>(rarer))
      continue;
    Weighted& w = concepts_[i];
    w.weight = c.prominence * Idf(index, params, df);
    const uint32_t folded_df = FormFrequency(c.folded);
    if (folded_df > 0)
      w.folded_factor = static_cast<float>(df) / static_cast<float>(folded_df);
    subsume(c);
  }
  for (size_t i = 0; i < n; ++i) {
    const ConceptQuery::Concept& c = query.concepts[i];
    Weighted& w = concepts_[i];
    if (c.kind == ConceptQuery::Kind::kPair) {
      total_ += w.weight;
      continue;
    }
    if (subsumed[i]) continue;
    const uint32_t own_df = FormFrequency(c.own);
    const uint32_t folded_df = FormFrequency(c.folded);
    // The rarest wording some document holds.
    uint32_t alternative_df = 0;
    for (uint32_t a = 0; a < c.alternative_count; ++a) {
      const uint32_t df =
          FormFrequency(query.alternatives[c.first_alternative + a].form);
      if (df != 0 && (alternative_df == 0 || df < alternative_df))
        alternative_df = df;
    }
    double idf = 0;
    if (own_df > 0) {
      idf = Idf(index, params, own_df);
      if (folded_df > 0)
        w.folded_factor = static_cast<float>(own_df) / static_cast<float>(folded_df);
    } else if (folded_df > 0) {
      idf = Idf(index, params, folded_df);
      w.folded_factor = params.unknown_accents;
    } else if (alternative_df > 0) {
      idf = Idf(index, params, alternative_df);
    } else {
      idf = UnknownWeight(c, index, params) / c.prominence;
    }
    w.weight = c.prominence * idf;
    total_ += w.weight;
    if (!query.accented && c.kind == ConceptQuery::Kind::kWord &&
        c.own.term_count == 1)
      w.clarity = index.FoldClarity(query.terms[c.own.first_term]);
  }
  // The chance a document holds each concept in some wording.
  const double n_docs = index.slot_count() + params.chance_prior;
  for (size_t i = 0; i < n && params.above_chance; ++i) {
    const ConceptQuery::Concept& c = query.concepts[i];
    if (concepts_[i].weight <= 0) continue;
    uint32_t df = std::max(FormFrequency(c.own), FormFrequency(c.folded));
    for (uint32_t a = 0; a < c.alternative_count; ++a) {
      df = std::max(df, FormFrequency(query.alternatives[c.first_alternative + a].form));
    }
    const double held = std::min(1.0, df / std::max(1.0, n_docs));
    chance_ += Power(concepts_[i].weight) * Power(1.0 - held);
  }
  total_power_ = 0;
  for (const Weighted& w : concepts_) total_power_ += Power(w.weight);
  chance_ = params.above_chance && total_power_ > 0
                ? 1.0 - Root(chance_ / total_power_)
                : 0.0;
}

double WeightedQuery::Power(double x) const {
  return params_->norm == 1.0 ? x : std::pow(x, params_->norm);
}

double WeightedQuery::Root(double x) const {
  return params_->norm == 1.0 ? x : std::pow(x, 1.0 / params_->norm);
}

bool WeightedQuery::Unheld(const ConceptQuery::Concept& c) const {
  // As written: a folded twin held ("tam" for "tầm") is other words.
  if (FormFrequency(c.own) > 0) return false;
  for (uint32_t a = 0; a < c.alternative_count; ++a) {
    if (FormFrequency(query_->alternatives[c.first_alternative + a].form) > 0)
      return false;
  }
  return true;
}

uint32_t WeightedQuery::FormFrequency(const ConceptQuery::Form& form) const {
  if (form.term_count == 0) return 0;
  uint32_t df = UINT32_MAX;
  for (uint32_t t = 0; t < form.term_count; ++t)
    df = std::min(df, stats_[form.first_term + t].df);
  return df;
}

float WeightedQuery::FormStrength(const ConceptQuery::Form& form,
                                  const float* strengths) const {
  if (form.term_count == 0) return 0;
  float weakest = 1.0f;
  for (uint32_t t = 0; t < form.term_count; ++t) {
    weakest = std::min(
        weakest, strengths[form.first_term + t] / params_->full_strength);
  }
  return weakest;
}

double WeightedQuery::Coverage(const float* strengths,
                               std::vector<ConceptMatch>* matched) const {
  if (matched != nullptr) matched->clear();
  if (total_ <= 0) return 0;
  double sum = 0, missing = 0;
  for (size_t i = 0; i < concepts_.size(); ++i) {
    const Weighted& w = concepts_[i];
    if (w.weight <= 0) continue;
    const ConceptQuery::Concept& c = query_->concepts[i];
    float best = w.clarity * FormStrength(c.own, strengths);
    ConceptQuery::Via via = ConceptQuery::Via::kSelf;
    uint32_t which = ConceptQuery::kNone;
    const float folded = w.folded_factor * FormStrength(c.folded, strengths);
    if (folded > best) {
      best = folded;
      via = ConceptQuery::Via::kAccentFolded;
    }
    for (uint32_t a = 0; a < c.alternative_count; ++a) {
      const ConceptQuery::Alternative& alt =
          query_->alternatives[c.first_alternative + a];
      const float s = params_->alternative * FormStrength(alt.form, strengths);
      if (s > best) {
        best = s;
        via = alt.via;
        which = c.first_alternative + a;
      }
    }
    missing += Power(w.weight) * Power(1.0 - std::min(1.0f, best));
    if (best <= 0) continue;
    sum += w.weight * best;
    if (matched != nullptr)
      matched->push_back({static_cast<uint32_t>(i), w.weight * best, via, which});
  }
  if (matched != nullptr && sum > 0) {
    for (ConceptMatch& m : *matched) m.share /= sum;
    std::stable_sort(matched->begin(), matched->end(),
                     [](const ConceptMatch& a, const ConceptMatch& b) {
                       return a.share > b.share;
                     });
  }
  const double raw = 1.0 - Root(missing / total_power_);
  if (chance_ <= 0 || chance_ >= 1) return raw;
  return std::max(0.0, (raw - chance_) / (1.0 - chance_));
}

std::vector<QueryTerm> WeightedQuery::RetrievalTerms(
    size_t max_concepts) const {
  // Only concepts some document holds can retrieve one.
  std::vector<uint32_t> order;
  for (size_t i = 0; i < concepts_.size(); ++i) {
    const ConceptQuery::Concept& c = query_->concepts[i];
    if (concepts_[i].weight > 0 &&
        (!Unheld(c) || FormFrequency(c.folded) > 0))
      order.push_back(static_cast<uint32_t>(i));
  }
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return concepts_[a].weight > concepts_[b].weight;
  });
  if (order.size() > max_concepts) order.resize(max_concepts);
  // TopK weighs a term by its idf times the query weight: the query weight
  // is what makes that the concept's weight times the form's factor.
  absl::flat_hash_map<uint32_t, float> weight_of;  // term -> query weight
  auto add = [&](uint32_t term, double weight) {
    const TextIndex::TermStats& s = stats_[term];
    if (s.df == 0 || s.idf <= 0 || weight <= 0) return;
    weight_of[term] += static_cast<float>(weight / s.idf);
  };
  // A form's terms share its part of the weight.
  auto add_form = [&](const ConceptQuery::Form& form, double weight) {
    for (uint32_t t = 0; t < form.term_count; ++t)
      add(form.first_term + t, weight / form.term_count);
  };
  for (uint32_t i : order) {
    const Weighted& w = concepts_[i];
    const ConceptQuery::Concept& c = query_->concepts[i];
    // A document with the accented wording holds its folded twin too.
    add_form(c.own, w.weight * w.clarity * (1.0 - w.folded_factor));
    add_form(c.folded, w.weight * w.folded_factor);
    for (uint32_t a = 0; a < c.alternative_count; ++a) {
      add_form(query_->alternatives[c.first_alternative + a].form,
               w.weight * params_->alternative);
    }
  }
  std::vector<std::pair<uint32_t, float>> sorted(weight_of.begin(),
                                                 weight_of.end());
  std::sort(sorted.begin(), sorted.end());  // deterministic order
  std::vector<QueryTerm> out;
  out.reserve(sorted.size());
  for (const auto& [term, weight] : sorted)
    out.push_back({query_->terms[term], weight});
  return out;
}

double Calibrate(double coverage, const RelevanceParams::Curve& curve) {
  auto logistic = [&](double x) {
    return 1.0 / (1.0 + std::exp(-curve.slope * (x - curve.midpoint)));
  };
  const double low = logistic(0), high = logistic(1);
  const double x = std::clamp(coverage, 0.0, 1.0);
  return std::clamp((logistic(x) - low) / (high - low), 0.0, 1.0);
}

Label LabelOf(double score, const RelevanceParams& params) {
  return score >= params.strong     ? Label::kStrong
         : score >= params.possible ? Label::kPossible
                                    : Label::kWeak;
}

}  // namespace techmatch::matching
