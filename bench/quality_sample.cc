// quality sample: the need -> offer set with graded judgements (quality.h).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "bench/quality.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "matching/matcher.h"
#include "matching/unicode_text.h"

namespace techmatch::quality {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;
using matching::FieldTexts;
using matching::Matcher;
using matching::MatchOptions;
using matching::NeedDoc;
using matching::OfferDoc;

std::string Str(const Struct& s, const std::string& key) {
  auto it = s.fields().find(key);
  return it == s.fields().end() ? "" : it->second.string_value();
}
double Num(const Struct& s, const std::string& key) {
  auto it = s.fields().find(key);
  return it == s.fields().end() ? 0 : it->second.number_value();
}
std::vector<std::string> List(const Struct& s, const std::string& key) {
  std::vector<std::string> out;
  auto it = s.fields().find(key);
  if (it == s.fields().end()) return out;
  for (const Value& v : it->second.list_value().values())
    out.push_back(v.string_value());
  return out;
}

std::vector<Struct> ReadJsonl(const std::string& path) {
  std::vector<Struct> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    Struct s;
    if (google::protobuf::util::JsonStringToMessage(line, &s).ok())
      out.push_back(s);
  }
  return out;
}

uint32_t Modes(const std::vector<std::string>& names) {
  static const std::map<std::string, int> kModes = {
      {"LICENSE", 1},           {"ASSIGNMENT", 2}, {"JOINT_VENTURE", 3},
      {"TECHNICAL_SERVICE", 4}, {"TRAINING", 5},   {"EQUIPMENT_SUPPLY", 6}};
  uint32_t bits = 0;
  for (const auto& n : names) {
    auto it = kModes.find(n);
    if (it != kModes.end()) bits |= 1u << it->second;
  }
  return bits;
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : " . ") + s;
  return out;
}

// One judged (or unjudged: grade 0) pair and its figures.
struct Pair {
  std::string need, offer;
  int grade = 0;
  double score = 0, relevance = 0, coverage = 0;
  bool breaks = false;  // the offer breaks the need's TRL minimum or budget
};

struct Ranking {
  double ndcg = 0, mrr = 0, recall = 0, p1 = 0;
  int pairs = 0, pairs_ok = 0, needs = 0;
  // Needs whose best text match breaks a constraint.
  int hard = 0;
  double hard_p1 = 0;
  int hard_pairs = 0, hard_pairs_ok = 0;
};

class SampleSet {
 public:
  SampleSet(const std::string& dir, const Settings& settings)
      : set_name_(dir.substr(dir.find_last_of('/') == std::string::npos
                                 ? 0
                                 : dir.find_last_of('/') + 1)),
        settings_(settings),
        reference_(LoadReference(settings)),
        matcher_(matching::Bm25fParams{}, reference_->lexicon(),
                 settings.relevance) {
    offers_ = ReadJsonl(dir + "/offers.jsonl");
    needs_ = ReadJsonl(dir + "/needs.jsonl");
    std::ifstream in(dir + "/qrels.tsv");
    std::string n, o;
    int g;
    while (in >> n >> o >> g) qrels_[n][o] = g;
    for (size_t i = 0; i < offers_.size(); ++i) {
      OfferDoc d = OfferOf(offers_[i], i + 1);
      offer_key_[d.id] = Str(offers_[i], "key");
      offer_docs_.push_back(d);
      matcher_.UpsertOffer(d);
    }
  }

  // Prints the explained score of each of `offers` for need `need`.
  int Explain(const std::string& need_key,
              const std::vector<std::string>& offers) {
    for (size_t n = 0; n < needs_.size(); ++n) {
      if (Str(needs_[n], "key") != need_key) continue;
      NeedDoc need = NeedOf(needs_[n], n + 1, false);
      MatchOptions options = Options(true);
      options.limit = 5;
      auto result = matcher_.OffersForNeed(need, options);
      std::printf("%s: %s\nconcepts:", need_key.c_str(),
                  need.text.title.c_str());
      for (const auto& t : result.query_terms) std::printf(" [%s]", t.c_str());
      std::printf("\n");
      std::vector<uint64_t> ids;
      for (const auto& o : offers) {
        for (const auto& [id, key] : offer_key_)
          if (key == o) ids.push_back(id);
      }
      if (ids.empty())
        for (const auto& h : result.hits) ids.push_back(h.id);
      for (uint64_t id : ids) {
        options.explain = true;
        auto hit = matcher_.ExplainPair(need, id, options);
        if (!hit) continue;
        std::printf(
            "-- %s (grade %d) score %.3f relevance %.3f coverage %.3f\n",
            offer_key_[id].c_str(), Grade(need_key, offer_key_[id]), hit->score,
            hit->relevance, hit->coverage);
        for (const auto& c : hit->components)
          std::printf("   %-9s %.2f w %.2f %+.3f %s\n", c.name.c_str(), c.value,
                      c.weight, c.contribution, c.detail.c_str());
        for (const auto& t : hit->top_terms)
          std::printf("   [%s] %.0f%% %s %s\n", t.term.c_str(), 100 * t.share,
                      t.via.c_str(), t.matched.c_str());
      }
      return 0;
    }
    std::fprintf(stderr, "no need %s\n", need_key.c_str());
    return 1;
  }

  int Run() {
    std::printf(
        "sample set: %zu offers, %zu needs (%zu without any relevant "
        "offer); lexicon: %zu stop phrases, %zu synonym groups, %zu "
        "glossary rows\n",
        offers_.size(), needs_.size(), NoAnswerNeeds().size(),
        matcher_.lexicon().stop_count(),
        matcher_.lexicon().synonym_group_count(),
        matcher_.lexicon().glossary_count());
    for (bool full : {false, true}) {
      for (bool strip : {false, true}) Evaluate(full, strip);
    }
    return 0;
  }

 private:
  OfferDoc OfferOf(const Struct& s, uint64_t id) const {
    OfferDoc d;
    d.id = id;
    d.text = FieldTexts{Str(s, "title"), Join(List(s, "keywords")),
                        Str(s, "description")};
    d.sectors = {Str(s, "sector")};
    d.trl = static_cast<int>(Num(s, "trl"));
    d.price_min = static_cast<int64_t>(Num(s, "price_min_vnd"));
    d.price_max = static_cast<int64_t>(Num(s, "price_max_vnd"));
    d.region = RegionOf(Str(s, "province"), &d.province);
    d.transfer_modes = Modes(List(s, "transfer_modes"));
    d.published = true;
    return d;
  }

  NeedDoc NeedOf(const Struct& s, uint64_t id, bool strip) const {
    NeedDoc d;
    d.id = id;
    auto t = [&](const std::string& x) {
      return strip ? text::StripDiacritics(x) : x;
    };
    std::vector<std::string> kw;
    for (const auto& k : List(s, "keywords")) kw.push_back(t(k));
    d.text = FieldTexts{t(Str(s, "title")), Join(kw), t(Str(s, "description"))};
    d.sectors = {Str(s, "sector")};
    d.min_trl = static_cast<int>(Num(s, "min_trl"));
    int64_t budget = static_cast<int64_t>(Num(s, "budget_max_vnd"));
    if (budget > 0) d.budget_max = budget;
    d.region = RegionOf(Str(s, "province"), &d.province);
    d.transfer_modes = Modes(List(s, "transfer_modes"));
    d.published = true;
    return d;
  }

  std::string RegionOf(const std::string& name, std::string* code) const {
    const auto* p = reference_->ResolveProvince(name);
    *code = p ? p->code : "";
    return p ? p->region_en : std::string();
  }

  std::set<std::string> NoAnswerNeeds() const {
    std::set<std::string> out;
    for (const Struct& s : needs_) {
      if (!qrels_.count(Str(s, "key"))) out.insert(Str(s, "key"));
    }
    return out;
  }

  int Grade(const std::string& need, const std::string& offer) const {
    auto n = qrels_.find(need);
    if (n == qrels_.end()) return 0;
    auto o = n->second.find(offer);
    return o == n->second.end() ? 0 : o->second;
  }

  MatchOptions Options(bool full) const {
    MatchOptions options;
    options.weights =
        full ? settings_.weights : matching::Weights{1, 0, 0, 0, 0, 0, 0};
    options.limit = 1000;
    options.candidate_pool = 1000;
    options.explain = false;
    return options;
  }

  void Evaluate(bool full, bool strip) {
    const MatchOptions options = Options(full);
    std::vector<Pair> pairs;
    Ranking r;
    std::map<std::string, double> best_no_answer;
    std::map<std::pair<uint64_t, uint64_t>, double> need_side;
    for (size_t n = 0; n < needs_.size(); ++n) {
      const Struct& s = needs_[n];
      const std::string key = Str(s, "key");
      NeedDoc need = NeedOf(s, n + 1, strip);
      matcher_.UpsertNeed(need);  // for the offers' side (symmetry)
      auto result = matcher_.OffersForNeed(need, options);
      std::vector<std::string> ranked;
      std::map<std::string, const matching::MatchHit*> hit_of;
      for (const auto& h : result.hits) {
        ranked.push_back(offer_key_[h.id]);
        hit_of[offer_key_[h.id]] = &h;
        need_side[{need.id, h.id}] = h.score;
      }
      for (size_t o = 0; o < offers_.size(); ++o) {
        Pair p;
        p.need = key;
        p.offer = Str(offers_[o], "key");
        p.grade = Grade(key, p.offer);
        const OfferDoc& offer = offer_docs_[o];
        p.breaks =
            (need.min_trl > 0 && offer.trl > 0 && offer.trl < need.min_trl) ||
            (need.budget_max.has_value() && offer.price_min > *need.budget_max);
        if (auto it = hit_of.find(p.offer); it != hit_of.end()) {
          p.score = it->second->score;
          p.relevance = it->second->relevance;
          p.coverage = it->second->coverage;
        }
        pairs.push_back(p);
      }
      if (!qrels_.count(key)) {
        best_no_answer[key] = result.hits.empty() ? 0 : result.hits[0].score;
        continue;
      }
      Rank(key, ranked, &r);
      // Needs whose best text match breaks the TRL minimum or the budget.
      const Pair* best_text = nullptr;
      for (const Pair& p : pairs) {
        if (p.need == key &&
            (best_text == nullptr || p.relevance > best_text->relevance))
          best_text = &p;
      }
      if (best_text != nullptr && best_text->breaks) {
        ++r.hard;
        if (!ranked.empty() && Grade(key, ranked[0]) == 2) r.hard_p1 += 1;
        Ranking one;
        Rank(key, ranked, &one);
        r.hard_pairs += one.pairs;
        r.hard_pairs_ok += one.pairs_ok;
      }
    }
    // Symmetry: every pair the offers' side finds, against the need's side
    // (its ranking, or the pair's own score when its ranking did not
    // retrieve the offer).
    MatchOptions offer_side = options;
    double worst = 0;
    int compared = 0, one_sided = 0;
    for (const OfferDoc& offer : offer_docs_) {
      for (const auto& h : matcher_.NeedsForOffer(offer, offer_side).hits) {
        double need_score = 0;
        auto it = need_side.find({h.id, offer.id});
        if (it != need_side.end()) {
          need_score = it->second;
        } else {
          ++one_sided;
          auto pair = matcher_.ExplainPair(
              NeedOf(needs_[h.id - 1], h.id, strip), offer.id, options);
          need_score = pair ? pair->score : -1;
        }
        worst = std::max(worst, std::abs(need_score - h.score));
        ++compared;
      }
    }
    const char* mode = full ? "full" : "text-only";
    const char* form = strip ? "no-diacritics" : "as-written";
    std::printf("\n== %s, needs %s\n", mode, form);
    std::printf(
        "ranking: nDCG@10=%.4f MRR@10=%.4f Recall@10=%.4f P@1=%.4f "
        "grade2>grade1=%.4f (%d/%d)\n",
        r.ndcg / r.needs, r.mrr / r.needs, r.recall / r.needs, r.p1 / r.needs,
        r.pairs ? double(r.pairs_ok) / r.pairs : 0.0, r.pairs_ok, r.pairs);
    std::printf(
        "needs whose best text match breaks TRL or budget: %d, P@1=%.3f, "
        "grade2>grade1 %d/%d\n",
        r.hard, r.hard ? r.hard_p1 / r.hard : 0.0, r.hard_pairs_ok,
        r.hard_pairs);
    std::printf(
        "symmetry: %d pairs scored from both sides, largest difference "
        "%.2g (%d of them beyond the need side's retrieval: scored "
        "as a pair)\n",
        compared, worst, one_sided);
    Calibration(pairs, best_no_answer, full && !strip);
    if (!settings_.dump_path.empty())
      Dump(pairs, std::string(mode) + "/" + form);
  }

  void Rank(const std::string& key, const std::vector<std::string>& ranked,
            Ranking* m) const {
    const auto& rel = qrels_.at(key);
    double dcg = 0, idcg = 0;
    std::vector<int> ideal;
    for (const auto& [o, g] : rel) ideal.push_back(g);
    std::sort(ideal.rbegin(), ideal.rend());
    for (size_t i = 0; i < ranked.size() && i < 10; ++i)
      dcg += (std::pow(2, Grade(key, ranked[i])) - 1) / std::log2(i + 2);
    for (size_t i = 0; i < ideal.size() && i < 10; ++i)
      idcg += (std::pow(2, ideal[i]) - 1) / std::log2(i + 2);
    m->ndcg += idcg > 0 ? dcg / idcg : 0;
    int g2 = 0, g2_found = 0;
    for (const auto& [o, g] : rel) g2 += g == 2;
    for (size_t i = 0; i < ranked.size() && i < 10; ++i) {
      if (Grade(key, ranked[i]) == 2) {
        if (g2_found == 0) m->mrr += 1.0 / (i + 1);
        ++g2_found;
      }
    }
    m->recall += g2 ? static_cast<double>(g2_found) / g2 : 0;
    if (!ranked.empty() && Grade(key, ranked[0]) == 2) m->p1 += 1;
    std::map<std::string, size_t> pos;
    for (size_t i = 0; i < ranked.size(); ++i) pos[ranked[i]] = i;
    for (const auto& [a, ga] : rel) {
      if (ga != 2) continue;
      for (const auto& [c, gc] : rel) {
        if (gc != 1) continue;
        ++m->pairs;
        size_t pa = pos.count(a) ? pos[a] : 1u << 30;
        size_t pc = pos.count(c) ? pos[c] : 1u << 30;
        m->pairs_ok += pa < pc;
        if (pa >= pc && std::getenv("TECHMATCH_VERBOSE")) {
          std::printf("  %s: grade-2 %s at %zu below grade-1 %s at %zu\n",
                      key.c_str(), a.c_str(), pa, c.c_str(), pc);
        }
      }
    }
    ++m->needs;
  }

  void Calibration(const std::vector<Pair>& pairs,
                   const std::map<std::string, double>& best_no_answer,
                   bool draw) const {
    int grade2 = 0;
    for (const Pair& p : pairs) grade2 += p.grade == 2;
    const matching::RelevanceParams& rp = matcher_.relevance();
    std::printf("calibration (all %zu need x offer pairs; %d grade 2):\n",
                pairs.size(), grade2);
    std::printf("  %-9s %6s %10s %13s %18s\n", "score >=", "pairs", "precision",
                "grade-2 recall", "no-answer needs");
    std::vector<CurvePoint> curve;
    for (int t = 20; t <= 90; t += 5) {
      const double threshold = t / 100.0;
      int n = 0, relevant = 0, found2 = 0;
      std::set<std::string> no_answer;
      for (const Pair& p : pairs) {
        if (p.score < threshold) continue;
        ++n;
        relevant += p.grade >= 1;
        found2 += p.grade == 2;
        if (best_no_answer.count(p.need)) no_answer.insert(p.need);
      }
      const double precision = n ? double(relevant) / n : 1.0;
      const double recall = grade2 ? double(found2) / grade2 : 0.0;
      curve.push_back({threshold, precision, recall});
      std::printf("  %-9.2f %6d %10.3f %13.3f %18zu%s\n", threshold, n,
                  precision, recall, no_answer.size(),
                  std::abs(threshold - rp.strong) < 1e-9
                      ? "   <- STRONG, default alert threshold"
                  : std::abs(threshold - rp.possible) < 1e-9 ? "   <- POSSIBLE"
                                                             : "");
    }
    std::printf("labels:\n");
    for (auto [name, low, high] :
         {std::tuple{"STRONG", rp.strong, 2.0},
          std::tuple{"POSSIBLE", rp.possible, rp.strong},
          std::tuple{"WEAK (score > 0)", 1e-9, rp.possible}}) {
      int n = 0, relevant = 0, g2 = 0;
      for (const Pair& p : pairs) {
        if (p.score < low || p.score >= high) continue;
        ++n;
        relevant += p.grade >= 1;
        g2 += p.grade == 2;
      }
      std::printf("  %-17s %5d pairs, %5.1f%% relevant, %5.1f%% grade 2\n",
                  name, n, n ? 100.0 * relevant / n : 0.0,
                  n ? 100.0 * g2 / n : 0.0);
    }
    std::printf("no-answer needs' best score:");
    double worst = 0;
    for (const auto& [key, best] : best_no_answer) {
      std::printf(" %s %.3f", key.c_str(), best);
      worst = std::max(worst, best);
    }
    std::printf(" (highest %.3f)\n", worst);
    std::vector<Bin> bins;
    std::printf(
        "reliability (score bin: pairs, share relevant, share grade 2):\n");
    for (int b = 0; b < 10; ++b) {
      Bin bin{b / 10.0, (b + 1) / 10.0, 0, 0, 0};
      for (const Pair& p : pairs) {
        if (p.score <= 0) continue;  // never retrieved: no shared concept
        if (p.score < bin.low || (p.score >= bin.high && b < 9)) continue;
        ++bin.pairs;
        bin.relevant += p.grade >= 1;
        bin.grade2 += p.grade == 2;
      }
      bins.push_back(bin);
      std::printf("  [%.1f, %.1f%s %5d  %5.2f  %5.2f\n", bin.low, bin.high,
                  b < 9 ? ")" : "]", bin.pairs,
                  bin.pairs ? double(bin.relevant) / bin.pairs : 0.0,
                  bin.pairs ? double(bin.grade2) / bin.pairs : 0.0);
    }
    if (draw && !settings_.svg_path.empty()) {
      std::ofstream out(settings_.svg_path);
      out << ReliabilitySvg(set_name_ +
                                ", full scorer: share of pairs judged "
                                "relevant by score",
                            bins, curve, rp.strong);
      std::printf("reliability diagram: %s\n", settings_.svg_path.c_str());
    }
  }

  // Appends `pairs` to the dump, each line headed by `mode`.
  void Dump(const std::vector<Pair>& pairs, const std::string& mode) {
    std::ofstream out(settings_.dump_path,
                      dumped_ ? std::ios::app : std::ios::trunc);
    if (!dumped_)
      out << "mode\tneed\toffer\tgrade\tscore\trelevance\tcoverage\tbreaks\n";
    dumped_ = true;
    for (const Pair& p : pairs) {
      out << mode << '\t' << p.need << '\t' << p.offer << '\t' << p.grade
          << '\t' << p.score << '\t' << p.relevance << '\t' << p.coverage
          << '\t' << p.breaks << '\n';
    }
  }

  const std::string set_name_;
  const Settings& settings_;
  std::unique_ptr<domain::ReferenceData> reference_;
  Matcher matcher_;
  std::vector<Struct> offers_, needs_;
  std::vector<OfferDoc> offer_docs_;
  std::map<std::string, std::map<std::string, int>> qrels_;
  std::map<uint64_t, std::string> offer_key_;
  bool dumped_ = false;
};

}  // namespace

int RunSample(const std::string& dir, const Settings& settings) {
  SampleSet set(dir, settings);
  if (const char* need = std::getenv("EXPLAIN")) {
    std::vector<std::string> offers;
    if (const char* o = std::getenv("OFFERS")) {
      std::string list = o;
      for (size_t at = 0; at < list.size();) {
        size_t comma = list.find(',', at);
        if (comma == std::string::npos) comma = list.size();
        offers.push_back(list.substr(at, comma - at));
        at = comma + 1;
      }
    }
    return set.Explain(need, offers);
  }
  return set.Run();
}

}  // namespace techmatch::quality
