// quality vire: the ViRE question -> passage sets (quality.h).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "bench/quality.h"
#include "matching/matcher.h"
#include "matching/unicode_text.h"

namespace techmatch::quality {
namespace {

using matching::FieldTexts;

// Minimal RFC 4180 CSV reader (quoted fields may hold commas, quotes and
// line breaks).
std::vector<std::vector<std::string>> ReadCsv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string data = buffer.str();
  if (data.compare(0, 3, "\xEF\xBB\xBF") == 0) data.erase(0, 3);
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < data.size(); ++i) {
    char c = data[i];
    if (quoted) {
      if (c == '"' && i + 1 < data.size() && data[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(std::move(field));
      field.clear();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < data.size() && data[i + 1] == '\n') ++i;
      rows.back().push_back(std::move(field));
      field.clear();
      rows.emplace_back();
    } else {
      field += c;
    }
  }
  if (!field.empty() || !rows.back().empty()) rows.back().push_back(field);
  while (!rows.empty() && rows.back().size() <= 1) rows.pop_back();
  return rows;
}

}  // namespace

int RunVire(const std::string& dir, const Settings& settings) {
  auto reference = LoadReference(settings);
  for (const char* name :
       {"ALQAC", "ViMedAQA_v2", "ViRe4MRC_v2", "ViRHE4QA_v2"}) {
    auto rows = ReadCsv(dir + "/" + name + ".csv");
    if (rows.size() < 2) {
      std::fprintf(stderr, "cannot read %s\n", name);
      return 1;
    }
    size_t context_col = 0, question_col = 1;
    for (size_t c = 0; c < rows[0].size(); ++c) {
      if (rows[0][c] == "context") context_col = c;
      if (rows[0][c] == "question") question_col = c;
    }
    std::map<std::string, uint64_t> ids;
    matching::Analyzer analyzer;
    matching::Bm25fParams params;
    if (const char* k1 = std::getenv("K1")) params.k1 = std::stof(k1);
    if (const char* b = std::getenv("B"))
      params.b = {std::stof(b), std::stof(b), std::stof(b)};
    // Multipliers on top of the defaults, for experiments.
    float pair_w =
        std::getenv("PAIRW") ? std::stof(std::getenv("PAIRW")) : 1.0f;
    float acc_w = std::getenv("ACCW") ? std::stof(std::getenv("ACCW")) : 1.0f;
    matching::TextIndex index(&analyzer, params);
    // The service's search: the same passages as offers of a matcher with
    // the lexicon.
    matching::Matcher matcher(params, reference->lexicon(), settings.relevance);
    for (size_t r = 1; r < rows.size(); ++r) {
      if (rows[r].size() <= std::max(context_col, question_col)) continue;
      const std::string& context = rows[r][context_col];
      if (ids.emplace(context, ids.size() + 1).second) {
        index.Upsert(ids[context], FieldTexts{"", "", context});
        matching::OfferDoc offer;
        offer.id = ids[context];
        offer.text = FieldTexts{"", "", context};
        offer.published = true;
        matcher.UpsertOffer(offer);
      }
    }
    index.RefreshForQueries();
    matching::MatchOptions search;
    search.weights = matching::Weights{1, 0, 0, 0, 0, 0, 0};
    search.explain = false;
    for (bool service : {false, true})
      for (bool strip : {false, true}) {
        double ndcg = 0, mrr = 0, recall = 0;
        size_t n = 0;
        // The search's labels: per score threshold, how many results reach it
        // and how many of those are the question's passage.
        std::vector<int> at_least(20, 0), gold_at_least(20, 0);
        int gold_found = 0;
        for (size_t r = 1; r < rows.size(); ++r) {
          if (rows[r].size() <= std::max(context_col, question_col)) continue;
          const std::string& question = rows[r][question_col];
          std::string q = strip ? text::StripDiacritics(question) : question;
          std::vector<matching::TextHit> hits;
          if (service) {
            const uint64_t gold = ids[rows[r][context_col]];
            for (const auto& h : matcher.SearchOffers(q, {}, search).hits) {
              hits.push_back({h.id, static_cast<float>(h.score)});
              for (int t = 0; t < 20; ++t) {
                if (h.score < t / 20.0) break;
                ++at_least[t];
                gold_at_least[t] += h.id == gold;
              }
              gold_found += h.id == gold;
            }
          } else {
            auto query = index.ParseQuery(q);
            for (auto& t : query) {
              if (t.term.find('_') != std::string::npos) t.weight *= pair_w;
              if (t.term[0] == matching::kAccentedMarker) t.weight *= acc_w;
            }
            hits = index.TopK(query, 10, nullptr);
          }
          uint64_t gold = ids[rows[r][context_col]];
          for (size_t k = 0; k < hits.size(); ++k) {
            if (hits[k].id == gold) {
              ndcg += 1 / std::log2(k + 2);
              mrr += 1.0 / (k + 1);
              recall += 1;
              break;
            }
          }
          ++n;
        }
        std::printf(
            "%-12s %-7s docs=%5zu questions=%5zu %-13s nDCG@10=%5.1f "
            "MRR@10=%5.1f R@10=%5.1f\n",
            name, service ? "search" : "bm25f", ids.size(), n,
            strip ? "no-diacritics" : "as-written", 100 * ndcg / n,
            100 * mrr / n, 100 * recall / n);
        if (service && !strip) {
          std::printf(
              "  search score >= t: results, share that are the passage, "
              "share of passages found in the top 10 reaching t\n");
          for (int t = 6; t < 20; t += 2) {
            std::printf(
                "    %.2f %6d %6.3f %6.3f%s\n", t / 20.0, at_least[t],
                at_least[t] ? double(gold_at_least[t]) / at_least[t] : 0.0,
                gold_found ? double(gold_at_least[t]) / gold_found : 0.0,
                std::abs(t / 20.0 - settings.relevance.strong) < 1e-9
                    ? "  <- STRONG"
                    : "");
          }
        }
      }
  }
  return 0;
}

}  // namespace techmatch::quality
