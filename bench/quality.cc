// Quality report of the matcher against graded judgements.
//
//   quality sample DIR   need->offer set in the shared/data/sample format:
//                        nDCG@10 (gain 2^g-1), MRR@10, Recall@10, P@1 (top is
//                        grade 2), grade-2-above-grade-1 pairs; text only and
//                        full scorer; needs as written and stripped of
//                        diacritics.
//   quality vire DIR     the ViRE question->passage sets (*.csv): nDCG@10,
//                        MRR@10, Recall@10, text only, as written and without
//                        diacritics.
//
// Numbers go to docs/quality.md.
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "domain/reference_data.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "matching/matcher.h"
#include "matching/unicode_text.h"

namespace techmatch {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;
using matching::FieldTexts;
using matching::MatchOptions;
using matching::Matcher;
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
  for (const Value& v : it->second.list_value().values()) out.push_back(v.string_value());
  return out;
}

std::vector<Struct> ReadJsonl(const std::string& path) {
  std::vector<Struct> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    Struct s;
    if (google::protobuf::util::JsonStringToMessage(line, &s).ok()) out.push_back(s);
  }
  return out;
}

uint32_t Modes(const std::vector<std::string>& names) {
  static const std::map<std::string, int> kModes = {
      {"LICENSE", 1}, {"ASSIGNMENT", 2}, {"JOINT_VENTURE", 3},
      {"TECHNICAL_SERVICE", 4}, {"TRAINING", 5}, {"EQUIPMENT_SUPPLY", 6}};
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

struct Metrics {
  double ndcg = 0, mrr = 0, recall = 0, p1 = 0;
  int pairs = 0, pairs_ok = 0, n = 0;
};

matching::Weights g_weights;

int RunSample(const std::string& dir, const std::string& reference_dir) {
  auto reference = domain::ReferenceData::LoadFromDirectory(reference_dir);
  if (!reference.ok()) {
    std::cerr << reference.status() << "\n";
    return 1;
  }
  auto region_of = [&](const std::string& name, std::string* code) {
    const auto* p = (*reference)->ResolveProvince(name);
    *code = p ? p->code : "";
    return p ? p->region_en : std::string();
  };
  auto offers = ReadJsonl(dir + "/offers.jsonl");
  auto needs = ReadJsonl(dir + "/needs.jsonl");
  std::map<std::string, std::map<std::string, int>> qrels;
  {
    std::ifstream in(dir + "/qrels.tsv");
    std::string n, o;
    int g;
    while (in >> n >> o >> g) qrels[n][o] = g;
  }
  Matcher matcher;
  std::map<uint64_t, std::string> key_of;
  for (size_t i = 0; i < offers.size(); ++i) {
    const Struct& s = offers[i];
    OfferDoc d;
    d.id = i + 1;
    key_of[d.id] = Str(s, "key");
    d.text = FieldTexts{Str(s, "title"), Join(List(s, "keywords")),
                        Str(s, "description")};
    d.sectors = {Str(s, "sector")};
    d.trl = static_cast<int>(Num(s, "trl"));
    d.price_min = static_cast<int64_t>(Num(s, "price_min_vnd"));
    d.price_max = static_cast<int64_t>(Num(s, "price_max_vnd"));
    d.region = region_of(Str(s, "province"), &d.province);
    d.transfer_modes = Modes(List(s, "transfer_modes"));
    d.published = true;
    matcher.UpsertOffer(d);
  }
  auto need_doc = [&](const Struct& s, bool strip) {
    NeedDoc d;
    auto t = [&](const std::string& x) { return strip ? text::StripDiacritics(x) : x; };
    std::vector<std::string> kw;
    for (const auto& k : List(s, "keywords")) kw.push_back(t(k));
    d.text = FieldTexts{t(Str(s, "title")), Join(kw), t(Str(s, "description"))};
    d.sectors = {Str(s, "sector")};
    d.min_trl = static_cast<int>(Num(s, "min_trl"));
    int64_t budget = static_cast<int64_t>(Num(s, "budget_max_vnd"));
    if (budget > 0) d.budget_max = budget;
    d.region = region_of(Str(s, "province"), &d.province);
    d.transfer_modes = Modes(List(s, "transfer_modes"));
    return d;
  };
  auto evaluate = [&](bool full, bool strip) {
    Metrics m;
    for (const Struct& s : needs) {
      const auto& rel = qrels[Str(s, "key")];
      MatchOptions options;
      options.weights = g_weights;
      options.limit = 60;
      options.explain = false;
      if (!full) options.weights = matching::Weights{1, 0, 0, 0, 0, 0, 0};
      auto result = matcher.OffersForNeed(need_doc(s, strip), options);
      std::vector<std::string> ranked;
      for (const auto& h : result.hits) ranked.push_back(key_of[h.id]);
      double dcg = 0, idcg = 0;
      std::vector<int> ideal;
      for (const auto& [o, g] : rel) ideal.push_back(g);
      std::sort(ideal.rbegin(), ideal.rend());
      for (size_t r = 0; r < ranked.size() && r < 10; ++r) {
        auto it = rel.find(ranked[r]);
        int g = it == rel.end() ? 0 : it->second;
        dcg += (std::pow(2, g) - 1) / std::log2(r + 2);
      }
      for (size_t r = 0; r < ideal.size() && r < 10; ++r) {
        idcg += (std::pow(2, ideal[r]) - 1) / std::log2(r + 2);
      }
      m.ndcg += idcg > 0 ? dcg / idcg : 0;
      int g2 = 0, g2_found = 0;
      for (const auto& [o, g] : rel) g2 += g == 2;
      for (size_t r = 0; r < ranked.size() && r < 10; ++r) {
        auto it = rel.find(ranked[r]);
        if (it != rel.end() && it->second == 2) {
          if (g2_found == 0) m.mrr += 1.0 / (r + 1);
          ++g2_found;
        }
      }
      m.recall += g2 ? static_cast<double>(g2_found) / g2 : 0;
      if (!ranked.empty() && rel.count(ranked[0]) && rel.at(ranked[0]) == 2) m.p1 += 1;
      std::map<std::string, size_t> pos;
      for (size_t r = 0; r < ranked.size(); ++r) pos[ranked[r]] = r;
      for (const auto& [a, ga] : rel) {
        if (ga != 2) continue;
        for (const auto& [c, gc] : rel) {
          if (gc != 1) continue;
          ++m.pairs;
          size_t pa = pos.count(a) ? pos[a] : 1u << 30;
          size_t pc = pos.count(c) ? pos[c] : 1u << 30;
          m.pairs_ok += pa < pc;
          if (pa >= pc && std::getenv("TECHMATCH_VERBOSE")) {
            std::printf("  %s: grade-2 %s at %zu below grade-1 %s at %zu\n",
                        Str(s, "key").c_str(), a.c_str(), pa, c.c_str(), pc);
          }
        }
      }
      ++m.n;
    }
    std::printf("%-10s %-14s nDCG@10=%.4f MRR@10=%.4f Recall@10=%.4f P@1=%.4f grade2>grade1=%.4f (%d/%d)\n",
                full ? "full" : "text-only", strip ? "no-diacritics" : "as-written",
                m.ndcg / m.n, m.mrr / m.n, m.recall / m.n, m.p1 / m.n,
                m.pairs ? static_cast<double>(m.pairs_ok) / m.pairs : 0.0, m.pairs_ok,
                m.pairs);
  };
  std::printf("sample set %s: %zu offers, %zu needs\n", dir.c_str(), offers.size(),
              needs.size());
  for (bool full : {false, true}) {
    for (bool strip : {false, true}) evaluate(full, strip);
  }
  return 0;
}

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

int RunVire(const std::string& dir) {
  for (const char* name : {"ALQAC", "ViMedAQA_v2", "ViRe4MRC_v2", "ViRHE4QA_v2"}) {
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
    if (const char* b = std::getenv("B")) params.b = {std::stof(b), std::stof(b), std::stof(b)};
    // Multipliers on top of the defaults, for experiments.
    float pair_w = std::getenv("PAIRW") ? std::stof(std::getenv("PAIRW")) : 1.0f;
    float acc_w = std::getenv("ACCW") ? std::stof(std::getenv("ACCW")) : 1.0f;
    matching::TextIndex index(&analyzer, params);
    for (size_t r = 1; r < rows.size(); ++r) {
      if (rows[r].size() <= std::max(context_col, question_col)) continue;
      const std::string& context = rows[r][context_col];
      if (ids.emplace(context, ids.size() + 1).second) {
        index.Upsert(ids[context], FieldTexts{"", "", context});
      }
    }
    index.RefreshForQueries();
    for (bool strip : {false, true}) {
      double ndcg = 0, mrr = 0, recall = 0;
      size_t n = 0;
      for (size_t r = 1; r < rows.size(); ++r) {
        if (rows[r].size() <= std::max(context_col, question_col)) continue;
        const std::string& question = rows[r][question_col];
        std::string q = strip ? text::StripDiacritics(question) : question;
        auto query = index.ParseQuery(q);
        for (auto& t : query) {
          if (t.term.find('_') != std::string::npos) t.weight *= pair_w;
          if (t.term[0] == matching::kAccentedMarker) t.weight *= acc_w;
        }
        auto hits = index.TopK(query, 10, nullptr);
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
      std::printf("%-12s docs=%5zu questions=%5zu %-13s nDCG@10=%5.1f MRR@10=%5.1f R@10=%5.1f\n",
                  name, ids.size(), n, strip ? "no-diacritics" : "as-written",
                  100 * ndcg / n, 100 * mrr / n, 100 * recall / n);
    }
  }
  return 0;
}

}  // namespace
}  // namespace techmatch

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: quality sample DIR [REFERENCE_DIR] | quality vire DIR\n");
    return 2;
  }
  std::string mode = argv[1];
  if (const char* w = std::getenv("TECHMATCH_WEIGHTS")) {
    auto& g = techmatch::g_weights;
    if (std::sscanf(w, "%lf,%lf,%lf,%lf,%lf,%lf,%lf", &g.text, &g.sector, &g.trl,
                    &g.price, &g.region, &g.transfer, &g.freshness) != 7) {
      std::fprintf(stderr, "TECHMATCH_WEIGHTS wants 7 comma-separated numbers\n");
      return 2;
    }
  }
  if (mode == "sample") {
    return techmatch::RunSample(argv[2], argc > 3 ? argv[3]
                                                  : TECHMATCH_SOURCE_DIR "/data/reference");
  }
  if (mode == "vire") return techmatch::RunVire(argv[2]);
  std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
  return 2;
}
