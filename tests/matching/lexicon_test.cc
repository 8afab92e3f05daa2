#include "matching/lexicon.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "matching/concept_query.h"

namespace techmatch::matching {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// The repository's lexicon, as techmatchd loads it.
const Lexicon& Repository() {
  static const Analyzer analyzer;
  static const Lexicon lexicon = [] {
    const std::string dir =
        std::string(TECHMATCH_SOURCE_DIR) + "/data/reference/";
    auto parsed = Lexicon::Parse(analyzer, ReadFile(dir + "stopwords.tsv"),
                                 ReadFile(dir + "synonyms.tsv"),
                                 ReadFile(dir + "glossary_en_vi.tsv"));
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    return parsed.ok() ? std::move(*parsed) : Lexicon();
  }();
  return lexicon;
}

// The readable labels of `texts`' concepts (title, keywords, body).
std::vector<std::string> Labels(const Lexicon& lexicon,
                                const std::string& title,
                                const std::string& body = "") {
  static const Analyzer analyzer;
  ConceptQuery q = BuildConceptQuery(analyzer, lexicon, {title, "", body});
  std::vector<std::string> out;
  for (const auto& c : q.concepts) out.push_back(q.labels[c.label]);
  return out;
}

bool Has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

TEST(Lexicon, MalformedRowsNameTheFileAndLine) {
  Analyzer analyzer;
  auto bad_kind =
      Lexicon::Parse(analyzer, "# c\nvà\tvi\ncủa\tsometimes\n", "", "");
  ASSERT_FALSE(bad_kind.ok());
  EXPECT_EQ(bad_kind.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad_kind.status().message().find("stopwords.tsv:3"),
            std::string::npos)
      << bad_kind.status();
  auto lonely =
      Lexicon::Parse(analyzer, "", "a | b\nquan trắc | quan trắc\n", "");
  ASSERT_FALSE(lonely.ok());
  EXPECT_NE(lonely.status().message().find("synonyms.tsv:2"),
            std::string::npos);
  auto untranslated = Lexicon::Parse(analyzer, "", "", "dryer\n");
  ASSERT_FALSE(untranslated.ok());
  EXPECT_NE(untranslated.status().message().find("glossary_en_vi.tsv:1"),
            std::string::npos);
  auto not_english = Lexicon::Parse(analyzer, "", "", "máy sấy\tmáy sấy\n");
  EXPECT_FALSE(not_english.ok());
}

TEST(Lexicon, TheRepositoryFilesParse) {
  const Lexicon& lexicon = Repository();
  EXPECT_GT(lexicon.stop_count(), 250u);
  EXPECT_GT(lexicon.synonym_group_count(), 150u);
  EXPECT_GT(lexicon.glossary_count(), 400u);
  EXPECT_NE(lexicon.Fingerprint(), Lexicon().Fingerprint());
}

// The list: such words never carry a match.
TEST(Lexicon, FunctionWordsAreNoConcepts) {
  const std::vector<std::string> labels = Labels(
      Repository(), "Cần công nghệ trong các nhà máy được cho với và của",
      "Các doanh nghiệp trong tỉnh được hỗ trợ cho việc xử lý");
  for (const char* w :
       {"trong", "các", "được", "cho", "với", "và", "của", "cần"})
    EXPECT_FALSE(Has(labels, w)) << w;
  EXPECT_TRUE(Has(labels, "nhà máy"));
}

// "trong" (in) is a function word, "trồng" (to plant) is not; typed without
// diacritics "trong" may be either, so it stays a word there.
TEST(Lexicon, AccentsDecideWhatIsStopped) {
  EXPECT_TRUE(Has(Labels(Repository(), "kỹ thuật trồng đông trùng"), "trồng"));
  EXPECT_FALSE(Has(Labels(Repository(), "nuôi trong ao"), "trong"));
  EXPECT_TRUE(Has(Labels(Repository(), "quy trinh trong dua"), "trong"));
  // "các" folds to "cac", which is always a function word.
  EXPECT_FALSE(Has(Labels(Repository(), "cac loai may say"), "cac"));
}

// English function words go only in English text; "in" is "print" in
// Vietnamese ("máy in 3D").
TEST(Lexicon, EnglishFunctionWordsOnlyInEnglish) {
  const auto english =
      Labels(Repository(), "Looking for a dryer for the drying of fruit");
  for (const char* w : {"looking", "for", "a", "the", "of"})
    EXPECT_FALSE(Has(english, w)) << w;
  EXPECT_TRUE(Has(Labels(Repository(), "Cần công nghệ in nhãn bao bì"), "in"));
}

// Request filler at the start of a title, with its generic head noun.
TEST(Lexicon, LeadingRequestFillerIsStopped) {
  const auto labels = Labels(Repository(), "Cần giải pháp kè chống sạt lở");
  EXPECT_FALSE(Has(labels, "giải pháp"));
  EXPECT_FALSE(Has(labels, "cần"));
  EXPECT_TRUE(Has(Labels(Repository(), "Tư vấn giải pháp kè"), "giải pháp"));
}

TEST(Lexicon, SynonymsAndGlossaryGiveAlternatives) {
  Analyzer analyzer;
  auto lexicon =
      Lexicon::Parse(analyzer, "", "quan trắc | giám sát\nHTX | hợp tác xã\n",
                     "dryer\tmáy sấy | thiết bị sấy\n");
  ASSERT_TRUE(lexicon.ok()) << lexicon.status();
  auto alternatives = [&](const std::string& text, bool accented) {
    std::vector<Analyzer::Token> tokens = analyzer.Tokenize(text);
    std::vector<Lexicon::Token> view;
    for (const auto& t : tokens) view.push_back({t.accented, t.folded});
    std::vector<std::string> out;
    for (const auto& m : lexicon->ExpansionsAt(view, 0, accented)) {
      for (const auto& a : m.alternatives) out.push_back(a.phrase->text);
    }
    return out;
  };
  EXPECT_EQ(alternatives("giám sát ao", true),
            std::vector<std::string>{"quan trắc"});
  // Typed without diacritics, matched by its letters.
  EXPECT_EQ(alternatives("giam sat ao", false),
            std::vector<std::string>{"quan trắc"});
  EXPECT_EQ(alternatives("htx lúa", true),
            std::vector<std::string>{"hợp tác xã"});
  // English plurals, and the glossary read both ways.
  EXPECT_EQ(alternatives("dryers for fruit", false),
            (std::vector<std::string>{"máy sấy", "thiết bị sấy"}));
  EXPECT_EQ(alternatives("máy sấy nông sản", true),
            std::vector<std::string>{"dryer"});
  EXPECT_TRUE(alternatives("máy bơm", true).empty());
}

// A phrase the lexicon knows is one concept, however many syllables; a
// concept's accent-folded twin is not a second concept.
TEST(ConceptQuery, PhrasesAndTwinsAreOneConcept) {
  Analyzer analyzer;
  ConceptQuery q = BuildConceptQuery(
      analyzer, Repository(), {"Xử lý nước thải thủy sản", "nước thải", ""});
  int wastewater = 0;
  for (const auto& c : q.concepts) {
    const std::string& label = q.labels[c.label];
    EXPECT_NE(label, "nuoc thai");
    if (label == "xử lý nước thải") {
      ++wastewater;
      EXPECT_EQ(c.kind, ConceptQuery::Kind::kPhrase);
      EXPECT_EQ(c.own.term_count, 3u);     // its three syllable pairs
      EXPECT_EQ(c.folded.term_count, 3u);  // and their folded twins
    }
  }
  EXPECT_EQ(wastewater, 1);
  // From analysed text, the same query.
  ConceptQuery again = BuildConceptQuery(
      Repository(),
      AnalyzedText(analyzer, {"Xử lý nước thải thủy sản", "nước thải", ""}));
  EXPECT_EQ(again.terms, q.terms);
  EXPECT_EQ(again.labels, q.labels);
}

}  // namespace
}  // namespace techmatch::matching
