// libFuzzer target: what a text asks for, and its relevance. The input is
// split into a need's title, keywords and body (at the first two NUL
// bytes); its concept query is built with the repository's lexicon, weighed
// against a small offer index, and each offer's coverage read both ways:
// from the postings (CoverPool, Coverage) and from the offer analysed aside
// (Vectorize). Properties: no crash or leak; coverage in [0, 1]; the two
// ways agree to the bit; CoverPool equals Coverage; relevance is monotone.
// Then the input is parsed as the lexicon's three files (split the same
// way): a parse error is fine, a crash is not, and a parsed lexicon must
// build a query of a fixed text.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "matching/concept_query.h"
#include "matching/relevance.h"
#include "tests/fuzz/fuzz_reference.h"

using techmatch::fuzz::Check;
using techmatch::fuzz::Reference;
namespace m = techmatch::matching;

namespace {

const char* const kOffers[] = {
    "Máy sấy bơm nhiệt nông sản . sấy thăng hoa",
    "Hệ thống xử lý nước thải thủy sản MBBR 500 m3/ngày",
    "Drone phun thuốc bảo vệ thực vật cho HTX",
    "Wastewater treatment plant for seafood processing",
    "cong nghe say nong san khong dau",
    "Giám sát ao nuôi tôm bằng IoT, quan trắc oxy hòa tan"};

struct Index {
  m::Analyzer analyzer;
  m::TextIndex index{&analyzer, m::Bm25fParams{}};
  std::vector<m::AnalyzedText> analyzed;
  std::vector<uint64_t> ids;
  Index() {
    for (uint64_t id = 1; id <= 6; ++id) {
      m::FieldTexts texts{kOffers[id - 1], "", kOffers[id % 6]};
      analyzed.push_back(index.Analyze(texts));
      index.Upsert(id, analyzed.back());
      ids.push_back(id);
    }
    index.RefreshForQueries();
  }
};

std::vector<std::string> Split(const uint8_t* data, size_t size) {
  std::vector<std::string> parts(3);
  size_t part = 0;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0 && part < 2) {
      ++part;
      continue;
    }
    parts[part].push_back(static_cast<char>(data[i]));
  }
  return parts;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Index* shared = new Index();
  Index& s = *shared;
  const std::vector<std::string> parts = Split(data, size);
  const m::Lexicon& lexicon = *Reference().lexicon();
  const m::RelevanceParams params;
  const m::ConceptQuery query = m::BuildConceptQuery(
      s.analyzer, lexicon, {parts[0], parts[1], parts[2]}, params.concepts);
  for (const m::ConceptQuery::Concept& c : query.concepts) {
    Check(c.label < query.labels.size());
    Check(c.own.first_term + c.own.term_count <= query.terms.size());
    Check(c.first_alternative + c.alternative_count <=
          query.alternatives.size());
  }
  const m::WeightedQuery weighted(query, s.index, params);
  std::vector<float> strengths;
  const std::vector<double> pool = weighted.CoverPool(
      s.index, s.ids, [](size_t, double c) { return c; }, s.ids.size(), 0,
      &strengths);
  const size_t width = query.terms.size();
  for (size_t row = 0; row < s.ids.size(); ++row) {
    const double coverage = weighted.Coverage(strengths.data() + row * width);
    Check(coverage >= 0 && coverage <= 1);
    Check(pool[row] == coverage);
    // The same offer analysed aside, as NeedsForOffer reads it.
    std::vector<float> aside(width, 0.0f);
    s.index.Strengths(query.terms, s.index.Vectorize(s.analyzed[row]),
                      aside.data());
    Check(weighted.Coverage(aside.data()) == coverage);
    Check(m::Calibrate(coverage, params.match) <=
          m::Calibrate(std::min(1.0, coverage + 0.01), params.match));
  }
  (void)weighted.RetrievalTerms(16, params.retrieval_floor);

  auto parsed = m::Lexicon::Parse(s.analyzer, parts[0], parts[1], parts[2]);
  if (parsed.ok()) {
    (void)m::BuildConceptQuery(s.analyzer, *parsed,
                               {"Cần máy sấy nông sản", "HTX", "drone"});
  }
  return 0;
}
