#include "matching/text_index.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

#include "tests/test_util.h"

namespace techmatch::matching {
namespace {

class TextIndexTest : public ::testing::Test {
 protected:
  // TopK after the refresh the Matcher does before queries.
  std::vector<TextHit> Top(
      const std::vector<QueryTerm>& query, size_t k,
      const std::function<bool(uint64_t)>& accept = nullptr) {
    if (index_.NeedsRefresh()) index_.RefreshForQueries();
    TextIndex::Accept by_id;
    if (accept)
      by_id = [&](uint64_t id, const DocAttributes&) { return accept(id); };
    return index_.TopK(query, k, by_id);
  }

  Analyzer analyzer_;
  TextIndex index_{&analyzer_, Bm25fParams{}};
};

TEST_F(TextIndexTest, RanksByBm25AndBreaksTiesById) {
  index_.Upsert(1, {"máy sấy", "", "máy sấy nông sản"});
  index_.Upsert(2, {"xử lý nước thải", "", "nước thải thủy sản"});
  index_.Upsert(3, {"máy sấy", "", "máy sấy nông sản"});  // same as 1
  auto hits = Top(index_.ParseQuery("may say"), 10);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].id, 1u);
  EXPECT_EQ(hits[1].id, 3u);
  EXPECT_FLOAT_EQ(hits[0].score, hits[1].score);
  EXPECT_TRUE(Top(index_.ParseQuery("robot"), 10).empty());
}

TEST_F(TextIndexTest, ScoreIsBm25WithLuceneIdf) {
  // One document, body only: score = idf * tf*(k1+1) / (tf + k1*norm), with
  // length equal to the average so norm = 1 (BM25F weight 1 for the body).
  index_.Upsert(1, {"", "", "alpha"});
  index_.Upsert(2, {"", "", "beta"});
  auto hits = Top({{"alpha", 1.0f}}, 10);
  ASSERT_EQ(hits.size(), 1u);
  double idf = std::log(1 + (2 - 1 + 0.5) / (1 + 0.5));
  // Each document has 2 body terms (folded + accented twin), avg 2, norm 1.
  EXPECT_NEAR(hits[0].score, idf * 1 * 2.2 / (1 + 1.2), 1e-5);
}

TEST_F(TextIndexTest, NoDiacriticQueryFindsAccentedText) {
  index_.Upsert(1, {"Công nghệ sấy thăng hoa", "", ""});
  index_.Upsert(2, {"Công nghệ xử lý nước", "", ""});
  auto with = Top(index_.ParseQuery("công nghệ sấy"), 1);
  auto without = Top(index_.ParseQuery("cong nghe say"), 1);
  ASSERT_EQ(with.size(), 1u);
  ASSERT_EQ(without.size(), 1u);
  EXPECT_EQ(with[0].id, 1u);
  EXPECT_EQ(without[0].id, 1u);
}

TEST_F(TextIndexTest, UpsertReplacesAndRemoveForgets) {
  index_.Upsert(1, {"máy sấy", "", ""});
  index_.Upsert(1, {"robot hàn", "", ""});
  EXPECT_TRUE(Top(index_.ParseQuery("may say"), 10).empty());
  EXPECT_EQ(Top(index_.ParseQuery("robot"), 10).size(), 1u);
  index_.Remove(1);
  EXPECT_TRUE(Top(index_.ParseQuery("robot"), 10).empty());
  EXPECT_EQ(index_.size(), 0u);
}

TEST_F(TextIndexTest, CompactionKeepsResults) {
  for (uint64_t id = 1; id <= 300; ++id) {
    index_.Upsert(id, {"tài liệu " + std::to_string(id), "", "nội dung chung"});
  }
  for (uint64_t id = 1; id <= 300; id += 2) index_.Remove(id);
  auto before = Top(index_.ParseQuery("noi dung"), 400);
  ASSERT_TRUE(index_.NeedsCompaction());
  index_.Compact();
  EXPECT_FALSE(index_.NeedsCompaction());
  auto after = Top(index_.ParseQuery("noi dung"), 400);
  ASSERT_EQ(before.size(), 150u);
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i)
    EXPECT_EQ(after[i].id, before[i].id);
}

TEST_F(TextIndexTest, FilterAndExplain) {
  index_.Upsert(1, {"máy sấy", "sấy lạnh", "máy sấy trái cây"});
  index_.Upsert(2, {"máy sấy", "", "máy sấy"});
  auto query = index_.ParseQuery("máy sấy trái cây");
  auto hits = Top(query, 10, [](uint64_t id) { return id != 1; });
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].id, 2u);
  auto all = Top(query, 10);
  auto parts = index_.Explain(query, all[0].id);
  double sum = 0;
  for (float p : parts) sum += p;
  EXPECT_NEAR(sum, all[0].score, 1e-3);
}

}  // namespace
}  // namespace techmatch::matching

namespace techmatch::matching {
namespace {

// Expects `hits` (TopK's answer for query number `q`) to be the `k` best of
// `all`, the exhaustively scored documents: same length, same scores in order.
void ExpectExhaustiveTopK(std::vector<TextHit> all,
                          const std::vector<TextHit>& hits, size_t k, int q) {
  std::sort(all.begin(), all.end(), [](const TextHit& a, const TextHit& b) {
    return a.score != b.score ? a.score > b.score : a.id < b.id;
  });
  all.resize(std::min(all.size(), k));
  ASSERT_EQ(hits.size(), all.size()) << q;
  for (size_t i = 0; i < hits.size(); ++i) {
    EXPECT_NEAR(hits[i].score, all[i].score, 1e-4) << q << " rank " << i;
  }
}

// MaxScore must return exactly what exhaustive scoring returns.
TEST(TextIndexPruning, EqualsExhaustiveScoring) {
  Analyzer analyzer;
  TextIndex index(&analyzer, Bm25fParams{});
  std::mt19937 rng(11);
  const char* words[] = {"công", "nghệ", "sấy",   "nước", "thải", "máy", "tôm",
                         "lúa",  "mặn",  "robot", "hàn",  "phân", "bón", "vi",
                         "sinh", "điện", "mặt",   "trời", "kho",  "lạnh"};
  auto phrase = [&](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) {
      // Skewed: low indexes are common.
      size_t w = std::min<size_t>(rng() % 20, rng() % 20);
      s += std::string(words[w]) + (rng() % 7 == 0 ? ", " : " ");
    }
    return s;
  };
  for (uint64_t id = 1; id <= 400; ++id) {
    index.Upsert(id, {phrase(4), phrase(2), phrase(1 + rng() % 30)});
  }
  for (uint64_t id = 1; id <= 400; id += 7) index.Remove(id);
  index.RefreshForQueries();
  for (int q = 0; q < 40; ++q) {
    auto query = index.ParseQuery(phrase(3 + q % 8));
    auto hits = index.TopK(query, 10, nullptr);
    std::vector<TextHit> all;
    for (uint64_t id = 1; id <= 400; ++id) {
      auto parts = index.Explain(query, id);
      float sum = 0;
      for (float p : parts) sum += p;
      if (sum > 0) all.push_back({id, sum});
    }
    ExpectExhaustiveTopK(std::move(all), hits, size_t{10}, q);
  }
}

// Term bounds must follow upserts made after a refresh (when the averages
// have not drifted, no second refresh comes): a new document whose common
// term scores far above that term's old bound is still found, although the
// term's old bound would have made it non-essential.
// `n` filler syllables ("w0".."w49") for document `id`.
std::string Filler(uint64_t id, int n) {
  std::string s;
  for (int i = 0; i < n; ++i)
    s += "w" + std::to_string((id * 7 + i) % 50) + " ";
  return s;
}

// Documents 1..10,000, refreshed: "alpha" in half of them, once in a long
// body (a low bound); "zeta" in a tenth, in short bodies (with its query
// weight, it fills the top k above alpha's bound). More documents than
// TopK's first window of slots (where every list is still read in full), so
// that a later document falls where pruning applies.
void FillAlphaZeta(TextIndex& index) {
  for (uint64_t id = 1; id <= 10000; ++id) {
    std::string body = Filler(id, id % 2 == 0 ? 60 : 5);
    if (id % 2 == 0) body += " alpha";
    if (id % 10 == 1) body += " zeta";
    index.Upsert(id, FieldTexts{Filler(id, 3), "", body});
  }
  index.RefreshForQueries();
}

TEST(TextIndexPruning, BoundsFollowUpsertsWithoutRefresh) {
  Analyzer analyzer;
  TextIndex index(&analyzer, Bm25fParams{});
  FillAlphaZeta(index);
  const uint64_t kNew = 50000;
  index.Upsert(kNew, FieldTexts{"alpha", "", "alpha w1 w2"});
  ASSERT_FALSE(index.NeedsRefresh());  // so no refresh repairs the bounds
  const std::vector<QueryTerm> query = {{"alpha", 1.0f}, {"zeta", 0.3f}};
  const auto hits = index.TopK(query, 5, nullptr);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].id, kNew);
  auto parts = index.Explain(query, kNew);
  float sum = 0;
  for (float p : parts) sum += p;
  EXPECT_NEAR(hits[0].score, sum, 1e-4);
}

// After the averages drift, commits (small batches) still keep the bounds,
// so queries may run before the refresh and still find a new document that
// lifts a term above its old bound; a large batch leaves the bounds to the
// refresh, and says so.
TEST(TextIndexPruning, CommitsAfterDriftKeepBoundsValid) {
  Analyzer analyzer;
  TextIndex index(&analyzer, Bm25fParams{});
  FillAlphaZeta(index);
  // Long documents, one commit each, until the body's average drifts.
  uint64_t id = 20000;
  while (!index.NeedsRefresh()) {
    index.Upsert(id, FieldTexts{Filler(id, 3), "", Filler(id, 300)});
    ++id;
  }
  EXPECT_TRUE(index.BoundsValid());
  const uint64_t kNew = 50000;
  index.Upsert(kNew, FieldTexts{"alpha", "", "alpha w1 w2"});
  ASSERT_TRUE(index.NeedsRefresh());  // no refresh repairs the bounds
  ASSERT_TRUE(index.BoundsValid());
  const std::vector<QueryTerm> query = {{"alpha", 1.0f}, {"zeta", 0.3f}};
  const auto hits = index.TopK(query, 5, nullptr);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].id, kNew);

  std::vector<uint64_t> ids;
  std::vector<AnalyzedText> texts;
  for (uint64_t i = 0; i < 100; ++i) {
    ids.push_back(60000 + i);
    texts.push_back(index.Analyze(FieldTexts{"x", "", Filler(i, 40)}));
  }
  std::vector<const AnalyzedText*> pointers;
  for (const auto& t : texts) pointers.push_back(&t);
  index.UpsertBatch(ids, pointers);
  EXPECT_FALSE(index.BoundsValid());
  index.RefreshForQueries();
  EXPECT_TRUE(index.BoundsValid());
  EXPECT_FALSE(index.NeedsRefresh());
}

// Long lists (hundreds of compressed blocks), re-encoded by compaction and
// replaced documents: pruned top-k still equals exhaustive scoring, and the
// batched Explain (documents visited in slot order, ids given in any order)
// equals one document at a time.
TEST(TextIndexPruning, EqualsExhaustiveScoringOnLongCompactedLists) {
  Analyzer analyzer;
  TextIndex index(&analyzer, Bm25fParams{});
  std::mt19937 rng(23);
  const char* words[] = {"công", "nghệ", "sấy",  "nước",  "thải", "máy",
                         "tôm",  "lúa",  "mặn",  "robot", "hàn",  "phân",
                         "bón",  "vi",   "sinh", "điện",  "mặt",  "trời"};
  auto phrase = [&](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) {
      size_t w = std::min<size_t>(rng() % 18, rng() % 18);
      s += std::string(words[w]) + " ";
    }
    return s;
  };
  constexpr uint64_t kDocs = 6000;
  for (uint64_t id = 1; id <= kDocs; ++id) {
    index.Upsert(id, {phrase(3), phrase(2), phrase(1 + rng() % 20)});
  }
  for (uint64_t id = 3; id <= kDocs; id += 3) index.Remove(id);
  for (uint64_t id = 1; id <= kDocs; id += 5) {  // replacements: new slots
    index.Upsert(id, {phrase(3), "", phrase(1 + rng() % 20)});
  }
  ASSERT_TRUE(index.NeedsCompaction());
  index.Compact();
  index.RefreshForQueries();
  std::vector<uint64_t> ids;  // live ids, in descending order
  for (uint64_t id = kDocs; id >= 1; --id) {
    if (id % 3 != 0 || id % 5 == 1) ids.push_back(id);
  }
  ASSERT_EQ(index.size(), ids.size());
  for (int q = 0; q < 12; ++q) {
    auto query = index.ParseQuery(phrase(2 + q % 6));
    const size_t k = q % 2 == 0 ? 10 : 100;
    auto hits = index.TopK(query, k, nullptr);
    auto rows = index.Explain(query, ids);
    std::vector<TextHit> all;
    for (size_t i = 0; i < ids.size(); ++i) {
      float sum = 0;
      for (float p : rows[i]) sum += p;
      if (sum > 0) all.push_back({ids[i], sum});
      if (i % 997 == 0) {
        EXPECT_EQ(rows[i], index.Explain(query, ids[i])) << ids[i];
      }
    }
    ExpectExhaustiveTopK(std::move(all), hits, k, q);
  }
}

// Queries of rare terms over many documents (as more-like-this queries at a
// million offers) take TopK's wider windows: the result must still equal
// exhaustive scoring, with a filter and with deleted documents.
TEST(TextIndexPruning, EqualsExhaustiveScoringWithWideWindows) {
  Analyzer analyzer;
  TextIndex index(&analyzer, Bm25fParams{});
  std::mt19937 rng(31);
  constexpr uint64_t kDocs = 140000;
  // "rN": 20,000 rare words (each in ~15 documents); "c": in all.
  auto rare = [&] { return "r" + std::to_string(rng() % 20000) + " "; };
  std::vector<AnalyzedText> texts;
  std::vector<uint64_t> ids;
  std::vector<DocAttributes> attrs;
  for (uint64_t id = 1; id <= kDocs; ++id) {
    std::string title = rng() % 3 == 0 ? rare() : "";
    std::string body = "c " + rare() + (rng() % 2 ? rare() : "c");
    ids.push_back(id);
    texts.push_back(index.Analyze(FieldTexts{title, "", body}));
    attrs.push_back(DocAttributes{});
  }
  std::vector<const AnalyzedText*> pointers;
  for (const AnalyzedText& t : texts) pointers.push_back(&t);
  index.UpsertBatch(ids, pointers, attrs);
  for (uint64_t id = 5; id <= kDocs; id += 11) index.Remove(id);
  index.RefreshForQueries();
  std::vector<uint64_t> live;
  for (uint64_t id = 1; id <= kDocs; ++id) {
    if (id < 5 || (id - 5) % 11 != 0) live.push_back(id);
  }
  auto odd_only = [](uint64_t id, const DocAttributes&) { return id % 2 == 1; };
  for (int q = 0; q < 6; ++q) {
    std::string text;
    for (int t = 0; t < 12; ++t) text += rare();
    if (q % 3 == 0) text += "c";
    const auto query = index.ParseQuery(text);
    const size_t k = q % 2 == 0 ? 200 : 10;
    const bool filtered = q % 3 == 1;
    const auto hits = index.TopK(
        query, k, filtered ? TextIndex::Accept(odd_only) : TextIndex::Accept());
    const auto rows = index.Explain(query, live);
    std::vector<TextHit> all;
    for (size_t i = 0; i < live.size(); ++i) {
      if (filtered && live[i] % 2 == 0) continue;
      float sum = 0;
      for (float p : rows[i]) sum += p;
      if (sum > 0) all.push_back({live[i], sum});
    }
    ExpectExhaustiveTopK(std::move(all), hits, k, q);
  }
}

}  // namespace
}  // namespace techmatch::matching

namespace techmatch::matching {
namespace {

// A batch must index exactly as the same documents one by one: same
// rankings, same per-term contributions, same memory of replaced ids.
TEST(TextIndexBatch, EqualsOneByOne) {
  Analyzer analyzer;
  TextIndex single(&analyzer, Bm25fParams{});
  TextIndex batched(&analyzer, Bm25fParams{});
  std::mt19937 rng(5);
  const char* words[] = {"công",  "nghệ", "sấy", "say",  "nước",
                         "thải",  "máy",  "tôm", "lúa",  "mặn",
                         "robot", "hàn",  "PLC", "500m3"};
  auto phrase = [&](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) {
      s += std::string(words[std::min<size_t>(rng() % 14, rng() % 14)]) +
           (rng() % 5 == 0 ? ". " : " ");
    }
    return s;
  };
  // Three batches; ids repeat across batches (replacements) and inside the
  // last one (the later copy wins).
  std::vector<std::vector<uint64_t>> batches = {
      {1, 2, 3, 4, 5, 6, 7, 8}, {3, 9, 10, 11, 1}, {12, 13, 12, 2, 14}};
  for (const auto& ids : batches) {
    std::vector<AnalyzedText> texts;
    for (uint64_t id : ids) {
      FieldTexts doc{phrase(3), phrase(2), phrase(1 + rng() % 40)};
      single.Upsert(id, doc);
      texts.push_back(batched.Analyze(doc));
    }
    std::vector<const AnalyzedText*> pointers;
    for (const auto& t : texts) pointers.push_back(&t);
    batched.UpsertBatch(ids, pointers);
  }
  ASSERT_EQ(single.size(), batched.size());
  EXPECT_EQ(single.size(), 14u);
  single.RefreshForQueries();
  batched.ShrinkToFit(3);  // split over threads: the same index
  batched.RefreshForQueries(3);
  for (int q = 0; q < 30; ++q) {
    auto query = single.ParseQuery(phrase(2 + q % 5));
    auto a = single.TopK(query, 20, nullptr);
    auto b = batched.TopK(query, 20, nullptr);
    ASSERT_EQ(a.size(), b.size()) << q;
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].id, b[i].id) << q << " rank " << i;
      EXPECT_EQ(a[i].score, b[i].score) << q << " rank " << i;
    }
    for (uint64_t id = 1; id <= 14; ++id) {
      EXPECT_EQ(single.Explain(query, id), batched.Explain(query, id)) << id;
    }
  }
}

// Bulk loads invert large batches on several threads; the index must be the
// one a single thread (and one-by-one upserts) build, down to the bytes of
// its snapshot: the same syllable and term numbering, postings, lengths.
class TextIndexThreads : public testing::TempDirTest {
 protected:
  // The index's snapshot after a refresh (and a shrink) on `threads`.
  std::string Snapshot(TextIndex& index, const std::string& name,
                       unsigned threads = 1) {
    index.ShrinkToFit(threads);
    index.RefreshForQueries(threads);
    return Bytes(index, name);
  }
  // The index's snapshot as it stands.
  std::string Bytes(const TextIndex& index, const std::string& name) {
    auto out = SnapshotWriter::Create(Path(name));
    EXPECT_TRUE(out.ok());
    index.Save(**out);
    EXPECT_TRUE((*out)->Commit().ok());
    std::ifstream in(Path(name), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
  }
};

TEST_F(TextIndexThreads, EveryThreadCountBuildsTheSameIndex) {
  Analyzer analyzer;
  std::mt19937 rng(11);
  const char* words[] = {"công", "nghệ", "sấy", "say", "nước", "thải",
                         "máy",  "tôm",  "lúa", "mặn", "PLC",  "500m3"};
  // A syllable never seen before, folded (ASCII) or with a diacritic:
  // every part of a batch meets new ones.
  auto novel = [](uint64_t n, bool accented) {
    std::string s = accented ? "đ" : "zq";
    for (; n > 0; n /= 26) s += static_cast<char>('a' + n % 26);
    return s;
  };
  auto phrase = [&](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) {
      s += rng() % 7 == 0 ? novel(rng() % 5000, rng() % 2)
                          : std::string(words[rng() % 12]);
      s += rng() % 6 == 0 ? ". " : " ";
    }
    return s;
  };
  // Three batches of 1,500; ids repeat inside a batch (across the parts
  // the threads take) and across batches.
  std::vector<std::vector<uint64_t>> batches(3);
  std::vector<std::vector<FieldTexts>> docs(3);
  for (size_t b = 0; b < 3; ++b) {
    for (uint64_t i = 0; i < 1500; ++i) {
      batches[b].push_back(1 + (b * 1000 + i) % 3200 - (i % 250 == 7 ? 5 : 0));
      docs[b].push_back({phrase(3), phrase(2), phrase(5 + rng() % 60)});
    }
  }
  std::vector<std::string> snapshots;
  for (unsigned threads : {1u, 2u, 4u, 3u}) {
    TextIndex index(&analyzer, Bm25fParams{});
    for (size_t b = 0; b < 3; ++b) {
      std::vector<AnalyzedText> texts;
      for (const FieldTexts& doc : docs[b]) texts.push_back(index.Analyze(doc));
      std::vector<const AnalyzedText*> pointers;
      for (const auto& t : texts) pointers.push_back(&t);
      index.UpsertBatch(batches[b], pointers, {}, threads);
    }
    snapshots.push_back(
        Snapshot(index, "t" + std::to_string(threads), threads));
  }
  TextIndex single(&analyzer, Bm25fParams{});
  for (size_t b = 0; b < 3; ++b) {
    for (size_t i = 0; i < docs[b].size(); ++i)
      single.Upsert(batches[b][i], docs[b][i]);
  }
  snapshots.push_back(Snapshot(single, "single"));
  ASSERT_GT(snapshots[0].size(), 100000u);
  for (size_t i = 1; i < snapshots.size(); ++i)
    EXPECT_TRUE(snapshots[i] == snapshots[0])
        << "run " << i << ": " << snapshots[i].size() << " bytes vs "
        << snapshots[0].size() << ", first difference at "
        << std::mismatch(snapshots[i].begin(), snapshots[i].end(),
                         snapshots[0].begin(), snapshots[0].end())
                   .first -
               snapshots[i].begin();
}

// A refresh computed apart (reading only, as under the shared lock) and
// then applied leaves the index a refresh in place leaves: norms, bounds,
// averages, down to the snapshot's bytes.
TEST_F(TextIndexThreads, ARefreshComputedApartEqualsOneInPlace) {
  Analyzer analyzer;
  std::mt19937 rng(5);
  const char* words[] = {"công", "nghệ", "sấy", "nước",  "thải", "máy", "tôm",
                         "lúa",  "mặn",  "PLC", "500m3", "xử",   "lý"};
  auto phrase = [&](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += std::string(words[rng() % 13]) + " ";
    return s;
  };
  std::vector<uint64_t> ids;
  std::vector<FieldTexts> docs;
  for (uint64_t id = 1; id <= 3000; ++id) {
    ids.push_back(id);
    // Lengths that change along the load, so that the averages drift.
    docs.push_back({phrase(2 + id % 4), phrase(1 + id % 3),
                    phrase(3 + static_cast<int>(id / 50) + rng() % 20)});
  }
  TextIndex in_place(&analyzer, Bm25fParams{});
  TextIndex apart(&analyzer, Bm25fParams{});
  for (TextIndex* index : {&in_place, &apart}) {
    for (size_t i = 0; i < ids.size(); ++i) index->Upsert(ids[i], docs[i]);
  }
  ASSERT_TRUE(in_place.NeedsRefresh());
  ASSERT_TRUE(apart.NeedsRefresh());
  const std::string stale = Bytes(apart, "stale");
  in_place.RefreshForQueries();
  TextIndex::Refresh refresh = apart.ComputeRefresh(2);
  EXPECT_TRUE(apart.NeedsRefresh());
  EXPECT_TRUE(Bytes(apart, "computed") == stale);  // computing changes nothing
  apart.ApplyRefresh(std::move(refresh));
  EXPECT_FALSE(apart.NeedsRefresh());
  const std::string expected = Bytes(in_place, "in_place");
  EXPECT_FALSE(expected == stale);
  EXPECT_TRUE(Bytes(apart, "apart") == expected);
}

}  // namespace
}  // namespace techmatch::matching
