#include "matching/relevance.h"

#include <algorithm>
#include <cmath>
#include <functional>

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
  const double n =
      static_cast<double>(index.slot_count()) + params.chance_prior;
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
  for (const std::string& term : query.terms)
    stats_.push_back(index.Stats(term));
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
        w.folded_factor =
            static_cast<float>(own_df) / static_cast<float>(folded_df);
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
  // The share of documents holding each concept in some wording: the
  // collection's common words (more than `common_share` of it) say nothing
  // about a pair and are left out; the others set the chance coverage.
  const double n_docs = index.slot_count() + params.chance_prior;
  std::vector<double> held(n, 0.0);
  for (size_t i = 0; i < n; ++i) {
    const ConceptQuery::Concept& c = query.concepts[i];
    if (concepts_[i].weight <= 0) continue;
    uint32_t df = std::max(FormFrequency(c.own), FormFrequency(c.folded));
    for (uint32_t a = 0; a < c.alternative_count; ++a) {
      df = std::max(
          df, FormFrequency(query.alternatives[c.first_alternative + a].form));
    }
    held[i] = std::min(1.0, df / std::max(1.0, n_docs));
    if (held[i] > params.common_share && df >= params.common_min_df) {
      total_ -= concepts_[i].weight;
      concepts_[i].weight = 0;
    }
  }
  for (size_t i = 0; i < n && params.above_chance; ++i) {
    if (concepts_[i].weight <= 0) continue;
    chance_ += Power(concepts_[i].weight) * Power(1.0 - held[i]);
  }
  // A folded twin the accented wording is the lesser reading of ("trong"
  // for "trồng") is another word more often than not: no credit, and no
  // need to read it.
  for (Weighted& w : concepts_) {
    if (w.folded_factor < params.min_folded_factor) w.folded_factor = 0;
  }
  total_power_ = 0;
  for (Weighted& w : concepts_) {
    w.power = Power(w.weight);
    total_power_ += w.power;
  }
  // The terms Coverage reads: those of weighted concepts.
  std::vector<bool> used(stats_.size(), false);
  auto use = [&](const ConceptQuery::Form& form) {
    for (uint32_t t = 0; t < form.term_count; ++t)
      used[form.first_term + t] = true;
  };
  for (size_t i = 0; i < n; ++i) {
    if (concepts_[i].weight <= 0) continue;
    const ConceptQuery::Concept& c = query.concepts[i];
    use(c.own);
    if (concepts_[i].folded_factor > 0) use(c.folded);
    for (uint32_t a = 0; a < c.alternative_count; ++a)
      use(query.alternatives[c.first_alternative + a].form);
  }
  scored_ = stats_;
  for (size_t t = 0; t < scored_.size(); ++t) {
    if (!used[t]) scored_[t] = TextIndex::TermStats();
  }
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
    weakest = std::min(weakest,
                       strengths[form.first_term + t] / params_->full_strength);
  }
  return weakest;
}

float WeightedQuery::ConceptStrength(size_t i, const float* strengths,
                                     ConceptQuery::Via* via,
                                     uint32_t* which) const {
  const Weighted& w = concepts_[i];
  const ConceptQuery::Concept& c = query_->concepts[i];
  float best = w.clarity * FormStrength(c.own, strengths);
  *via = ConceptQuery::Via::kSelf;
  *which = ConceptQuery::kNone;
  if (w.folded_factor > 0) {
    const float folded = w.folded_factor * FormStrength(c.folded, strengths);
    if (folded > best) {
      best = folded;
      *via = ConceptQuery::Via::kAccentFolded;
    }
  }
  for (uint32_t a = 0; a < c.alternative_count; ++a) {
    const ConceptQuery::Alternative& alt =
        query_->alternatives[c.first_alternative + a];
    const float s = params_->alternative * FormStrength(alt.form, strengths);
    if (s > best) {
      best = s;
      *via = alt.via;
      *which = c.first_alternative + a;
    }
  }
  return best;
}

double WeightedQuery::Missing(const Weighted& w, float strength) const {
  if (strength >= 1.0f) return 0.0;
  return w.power * (strength <= 0 ? 1.0 : Power(1.0 - strength));
}

double WeightedQuery::Coverage(const float* strengths,
                               std::vector<ConceptMatch>* matched) const {
  if (matched != nullptr) matched->clear();
  if (total_ <= 0) return 0;
  double sum = 0, missing = 0;
  for (size_t i = 0; i < concepts_.size(); ++i) {
    const Weighted& w = concepts_[i];
    if (w.weight <= 0) continue;
    ConceptQuery::Via via;
    uint32_t which;
    const float best = ConceptStrength(i, strengths, &via, &which);
    missing += Missing(w, best);
    if (best <= 0) continue;
    sum += w.weight * best;
    if (matched != nullptr)
      matched->push_back(
          {static_cast<uint32_t>(i), w.weight * best, via, which});
  }
  if (matched != nullptr && sum > 0) {
    for (ConceptMatch& m : *matched) m.share /= sum;
    std::stable_sort(matched->begin(), matched->end(),
                     [](const ConceptMatch& a, const ConceptMatch& b) {
                       return a.share > b.share;
                     });
  }
  return AboveChance(1.0 - Root(missing / total_power_));
}

std::vector<double> WeightedQuery::CoverPool(
    const TextIndex& index, const std::vector<uint64_t>& ids,
    const std::function<double(size_t, double)>& score, size_t keep,
    double min_score, std::vector<float>* strengths) const {
  const size_t width = stats_.size();
  strengths->assign(ids.size() * width, 0.0f);
  std::vector<double> out(ids.size(), -1.0);
  if (ids.empty()) return out;
  if (total_power_ <= 0) {
    std::fill(out.begin(), out.end(), 0.0);
    return out;
  }
  std::vector<TextIndex::SlotRow> alive = index.SlotRows(ids);
  // Heaviest concepts first: they are the rarest terms (short lists), and
  // once they are in, most candidates are out of the running, so the
  // commonest terms (the long lists) are read for a few documents only.
  std::vector<uint32_t> order;
  for (size_t i = 0; i < concepts_.size(); ++i) {
    if (concepts_[i].weight > 0) order.push_back(static_cast<uint32_t>(i));
  }
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return concepts_[a].weight > concepts_[b].weight;
  });
  std::vector<double> missing(ids.size(), 0.0);
  double remaining = total_power_, checked = total_power_;
  auto read = [&](const ConceptQuery::Form& form) {
    for (uint32_t t = 0; t < form.term_count; ++t) {
      const uint32_t term = form.first_term + t;
      index.Strengths(scored_[term], alive, width, term, strengths->data());
    }
  };
  std::vector<double> lower;
  for (uint32_t i : order) {
    const ConceptQuery::Concept& c = query_->concepts[i];
    read(c.own);
    if (concepts_[i].folded_factor > 0) read(c.folded);
    for (uint32_t a = 0; a < c.alternative_count; ++a)
      read(query_->alternatives[c.first_alternative + a].form);
    for (const TextIndex::SlotRow& doc : alive) {
      ConceptQuery::Via via;
      uint32_t which;
      missing[doc.row] += Missing(
          concepts_[i], ConceptStrength(i, strengths->data() + doc.row * width,
                                        &via, &which));
    }
    remaining -= concepts_[i].power;
    // Prune when the remaining concepts' mass moved by a twentieth: a
    // candidate whose best possible score is under both the k-th best
    // worst possible score and `min_score` cannot be on the page.
    const bool prunable = alive.size() > keep || min_score > 0;
    if (!prunable || checked - remaining < 0.02 * total_power_) continue;
    checked = remaining;
    double threshold = min_score;
    if (alive.size() > keep) {
      lower.clear();
      for (const TextIndex::SlotRow& doc : alive) {
        lower.push_back(score(
            doc.row, AboveChance(1.0 - Root(std::min(
                                           1.0, (missing[doc.row] + remaining) /
                                                    total_power_)))));
      }
      std::nth_element(lower.begin(), lower.begin() + (keep - 1), lower.end(),
                       std::greater<double>());
      threshold = std::max(threshold, lower[keep - 1]);
    }
    threshold -= 1e-9;  // bounds are sums in another order
    alive.erase(
        std::remove_if(
            alive.begin(), alive.end(),
            [&](const TextIndex::SlotRow& doc) {
              return score(doc.row,
                           AboveChance(1.0 -
                                       Root(std::min(1.0, missing[doc.row] /
                                                              total_power_)))) <
                     threshold;
            }),
        alive.end());
  }
  // The survivors' coverage exactly as Coverage() computes it.
  for (const TextIndex::SlotRow& doc : alive)
    out[doc.row] = Coverage(strengths->data() + doc.row * width);
  return out;
}

double WeightedQuery::AboveChance(double raw) const {
  if (chance_ <= 0 || chance_ >= 1) return raw;
  return std::max(0.0, (raw - chance_) / (1.0 - chance_));
}

std::vector<QueryTerm> WeightedQuery::RetrievalTerms(size_t max_concepts,
                                                     double floor) const {
  // Only concepts some document holds can retrieve one.
  std::vector<uint32_t> held;
  for (size_t i = 0; i < concepts_.size(); ++i) {
    const ConceptQuery::Concept& c = query_->concepts[i];
    if (concepts_[i].weight > 0 && (!Unheld(c) || FormFrequency(c.folded) > 0))
      held.push_back(static_cast<uint32_t>(i));
  }
  // The commonest concepts are left out while a document covering all of
  // them and nothing else would stay under the retrieval floor: long
  // posting lists, for documents that would score WEAK anyway.
  auto frequency = [&](uint32_t i) {
    const ConceptQuery::Concept& c = query_->concepts[i];
    return std::max(FormFrequency(c.own), FormFrequency(c.folded));
  };
  std::stable_sort(held.begin(), held.end(), [&](uint32_t a, uint32_t b) {
    return frequency(a) > frequency(b);
  });
  double left_out = 0;
  size_t first = 0;
  // (The rarest stays: when even all of them could not lift a document
  // over the floor, every document is WEAK, and the rarest still ranks.)
  while (first + 1 < held.size() && total_power_ > 0) {
    const double with = left_out + Power(concepts_[held[first]].weight);
    if (AboveChance(1.0 - Root(1.0 - std::min(1.0, with / total_power_))) >
        floor)
      break;
    left_out = with;
    ++first;
  }
  std::vector<uint32_t> order(held.begin() + static_cast<ptrdiff_t>(first),
                              held.end());
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
    // The folded twin retrieves only when the wording as written is
    // nowhere (a document with the accented wording holds the twin too, and
    // a twin is often a common syllable: "say" for "sấy").
    if (FormFrequency(c.own) > 0) {
      add_form(c.own, w.weight * w.clarity);
    } else {
      add_form(c.folded, w.weight * w.folded_factor);
    }
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
