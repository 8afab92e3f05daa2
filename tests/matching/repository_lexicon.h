// Test helpers: the repository's lexicon (data/reference), and its
// evaluation set (data/eval) as matcher documents.
#ifndef TECHMATCH_TESTS_MATCHING_REPOSITORY_LEXICON_H_
#define TECHMATCH_TESTS_MATCHING_REPOSITORY_LEXICON_H_

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "matching/lexicon.h"
#include "matching/match_types.h"

namespace techmatch::testing {

inline std::string ReadSourceFile(const std::string& relative) {
  std::ifstream in(std::string(TECHMATCH_SOURCE_DIR) + "/" + relative);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// data/reference's stop words, synonyms and glossary.
inline std::shared_ptr<const matching::Lexicon> RepositoryLexicon() {
  static const matching::Analyzer analyzer;
  static const std::shared_ptr<const matching::Lexicon> lexicon = [] {
    auto parsed = matching::Lexicon::Parse(
        analyzer, ReadSourceFile("data/reference/stopwords.tsv"),
        ReadSourceFile("data/reference/synonyms.tsv"),
        ReadSourceFile("data/reference/glossary_en_vi.tsv"));
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    return std::make_shared<const matching::Lexicon>(
        parsed.ok() ? std::move(*parsed) : matching::Lexicon());
  }();
  return lexicon;
}

// A need -> offer set in the shared/data/sample format.
struct JudgedSet {
  std::vector<matching::OfferDoc> offers;  // ids 1..n
  std::vector<matching::NeedDoc> needs;    // ids 1..n
  std::vector<std::string> offer_keys, need_keys;
  std::map<std::pair<uint64_t, uint64_t>, int> grade;  // (need, offer)
};

inline JudgedSet LoadJudgedSet(const std::string& dir) {
  using google::protobuf::Struct;
  auto rows = [&](const std::string& file) {
    std::vector<Struct> out;
    std::istringstream in(ReadSourceFile(dir + "/" + file));
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      Struct s;
      EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(line, &s).ok())
          << line;
      out.push_back(s);
    }
    return out;
  };
  auto str = [](const Struct& s, const char* key) {
    auto it = s.fields().find(key);
    return it == s.fields().end() ? std::string() : it->second.string_value();
  };
  auto num = [](const Struct& s, const char* key) {
    auto it = s.fields().find(key);
    return it == s.fields().end() ? 0.0 : it->second.number_value();
  };
  auto join = [](const Struct& s, const char* key) {
    std::string out;
    auto it = s.fields().find(key);
    if (it == s.fields().end()) return out;
    for (const auto& v : it->second.list_value().values())
      out += (out.empty() ? "" : " . ") + v.string_value();
    return out;
  };
  JudgedSet set;
  for (const Struct& s : rows("offers.jsonl")) {
    matching::OfferDoc d;
    d.id = set.offers.size() + 1;
    d.text = {str(s, "title"), join(s, "keywords"), str(s, "description")};
    d.sectors = {str(s, "sector")};
    d.trl = static_cast<int>(num(s, "trl"));
    d.price_min = static_cast<int64_t>(num(s, "price_min_vnd"));
    d.price_max = static_cast<int64_t>(num(s, "price_max_vnd"));
    d.published = true;
    set.offers.push_back(d);
    set.offer_keys.push_back(str(s, "key"));
  }
  for (const Struct& s : rows("needs.jsonl")) {
    matching::NeedDoc d;
    d.id = set.needs.size() + 1;
    d.text = {str(s, "title"), join(s, "keywords"), str(s, "description")};
    d.sectors = {str(s, "sector")};
    d.min_trl = static_cast<int>(num(s, "min_trl"));
    if (num(s, "budget_max_vnd") > 0)
      d.budget_max = static_cast<int64_t>(num(s, "budget_max_vnd"));
    d.published = true;
    set.needs.push_back(d);
    set.need_keys.push_back(str(s, "key"));
  }
  std::istringstream qrels(ReadSourceFile(dir + "/qrels.tsv"));
  std::string need, offer;
  int g = 0;
  while (qrels >> need >> offer >> g) {
    const auto n = std::find(set.need_keys.begin(), set.need_keys.end(), need);
    const auto o =
        std::find(set.offer_keys.begin(), set.offer_keys.end(), offer);
    EXPECT_TRUE(n != set.need_keys.end() && o != set.offer_keys.end());
    set.grade[{static_cast<uint64_t>(n - set.need_keys.begin() + 1),
               static_cast<uint64_t>(o - set.offer_keys.begin() + 1)}] = g;
  }
  return set;
}

}  // namespace techmatch::testing

#endif  // TECHMATCH_TESTS_MATCHING_REPOSITORY_LEXICON_H_
