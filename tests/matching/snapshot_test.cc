// Index snapshots: a saved matcher loads back with the same answers, keeps
// working after further writes, and a damaged or mismatched file is refused
// without touching the matcher it was loaded into.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "matching/matcher.h"
#include "matching/snapshot_io.h"
#include "tests/test_util.h"

namespace techmatch::matching {
namespace {

constexpr int64_t kNow = 1'790'000'000'000'000;

const char* const kWords[] = {
    "công", "nghệ", "xử",    "lý",    "nước",  "thải", "thủy", "sản",  "máy",
    "sấy",  "nông", "sản",   "bơm",   "nhiệt", "điện", "mặt",  "trời", "vi",
    "sinh", "phân", "bón",   "hữu",   "cơ",    "chế",  "biến", "cà",   "phê",
    "IoT",  "PLC",  "HACCP", "500m3", "tự",    "động", "hóa",  "lò",   "hơi",
    "sinh", "khối", "giống", "lúa",   "kiểm",  "soát", "chất", "lượng"};

std::string Words(std::mt19937& rng, int n) {
  std::uniform_int_distribution<size_t> pick(0, std::size(kWords) - 1);
  std::string out;
  for (int i = 0; i < n; ++i) {
    if (i > 0) out += ' ';
    out += kWords[pick(rng)];
  }
  return out;
}

OfferDoc RandomOffer(uint64_t id, std::mt19937& rng) {
  OfferDoc d;
  d.id = id;
  // Lengths vary, so that every change moves the length averages.
  const int title = 3 + static_cast<int>(rng() % 8);
  const int body = 10 + static_cast<int>(rng() % 60);
  d.text = {Words(rng, title), Words(rng, 3), Words(rng, body)};
  d.sectors = {id % 3 == 0 ? "20701" : "207"};
  d.trl = static_cast<int>(id % 9) + 1;
  if (id % 4 != 0) {
    d.price_min = static_cast<int64_t>(id % 7) * 100'000'000;
    d.price_max = d.price_min + 50'000'000;
  }
  d.province = id % 2 == 0 ? "79" : "75";
  d.region = "Đông Nam Bộ";
  d.transfer_modes = static_cast<TransferModeSet>(1u << (id % 4));
  d.fresh_micros = kNow - static_cast<int64_t>(id) * 1'000'000'000;
  d.expire_micros = id % 11 == 0 ? kNow - 1 : 0;
  d.published = id % 13 != 0;
  return d;
}

NeedDoc RandomNeed(uint64_t id, std::mt19937& rng) {
  NeedDoc d;
  d.id = id;
  d.text = {Words(rng, 5), Words(rng, 2), Words(rng, 25)};
  d.sectors = {"207"};
  d.min_trl = static_cast<int>(id % 5) + 3;
  if (id % 2 == 0) d.budget_max = 300'000'000;
  d.province = "75";
  d.region = "Đông Nam Bộ";
  d.strict = id % 3 == 0 ? uint32_t{kStrictMinTrl} : 0u;
  d.fresh_micros = kNow;
  d.published = true;
  d.confidential = id % 5 == 0;
  return d;
}

MatchOptions Options() {
  MatchOptions o;
  o.now_micros = kNow;
  o.limit = 20;
  return o;
}

// Exact enough to tell any two floats apart.
std::string Num(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.9g", v);
  return buffer;
}

// Everything a caller sees of a result, as text, so two matchers' answers
// compare in one assertion with a readable difference.
std::string Render(const MatchResult& result) {
  std::string out = std::to_string(result.candidates) + " candidates:";
  for (const std::string& term : result.query_terms) out += " " + term;
  out += "\n";
  for (const MatchHit& hit : result.hits) {
    out += std::to_string(hit.id) + " " + Num(hit.score) + " " +
           Num(hit.text_score);
    for (const Component& c : hit.components) {
      out += " " + c.name + "=" + Num(c.value) + "/" + c.detail;
    }
    for (const TermShare& t : hit.top_terms) {
      out += " " + t.term + ":" + Num(t.share);
    }
    for (const std::string& f : hit.flags) out += " " + f;
    out += "\n";
  }
  return out;
}

// The answers of `m` to a fixed set of questions.
std::string Answers(const Matcher& m) {
  std::mt19937 rng(99);
  std::string out = std::to_string(m.offer_count()) + " offers, " +
                    std::to_string(m.need_count()) + " needs\n";
  for (uint64_t id = 1; id <= 6; ++id) {
    out += Render(m.OffersForNeed(RandomNeed(10'000 + id, rng), Options()));
    out += Render(m.NeedsForOffer(RandomOffer(20'000 + id, rng), Options()));
  }
  for (const char* query : {"cong nghe say nong san", "xử lý nước thải 500m3",
                            "IoT PLC", "lò hơi sinh khối"}) {
    out += Render(m.SearchOffers(query, {}, Options()));
    out += Render(m.SearchNeeds(query, {}, Options()));
  }
  return out;
}

class SnapshotTest : public testing::TempDirTest {
 protected:
  // A matcher with replaced and removed documents (tombstones in the index).
  // The first 1,500 offers go in as one batch inverted on `threads`.
  static void Fill(Matcher& m, uint32_t seed, unsigned threads = 1) {
    std::mt19937 rng(seed);
    std::vector<OfferDoc> offers;
    std::vector<AnalyzedText> texts;
    for (uint64_t id = 1; id <= 1500; ++id) {
      offers.push_back(RandomOffer(id, rng));
      texts.push_back(m.Analyze(offers.back().text));
    }
    m.UpsertOffers(std::move(offers), texts, threads);
    for (uint64_t id = 1; id <= 300; ++id) m.UpsertNeed(RandomNeed(id, rng));
    for (uint64_t id = 1; id <= 1500; id += 7)
      m.UpsertOffer(RandomOffer(id, rng));
    for (uint64_t id = 2; id <= 1500; id += 29) m.RemoveOffer(id);
    for (uint64_t id = 3; id <= 300; id += 17) m.RemoveNeed(id);
  }

  absl::Status Save(const Matcher& m, const std::string& path) {
    auto out = SnapshotWriter::Create(path);
    if (!out.ok()) return out.status();
    m.Save(**out);
    return (*out)->Commit();
  }

  std::string Bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  absl::Status Load(Matcher& m, const std::string& path) {
    auto in = SnapshotReader::Open(path);
    if (!in.ok()) return in.status();
    return m.Load(**in);
  }
};

TEST_F(SnapshotTest, LoadedMatcherGivesTheSameAnswersAndKeepsUpdating) {
  Matcher original;
  Fill(original, 1);
  // Queries refresh the length norms and term bounds: the snapshot must
  // carry them as they are (a load does not recompute them).
  const std::string expected = Answers(original);
  const std::string path = Path("index.snapshot");
  ASSERT_TRUE(Save(original, path).ok());
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));

  Matcher loaded;  // what it held before is replaced
  std::mt19937 rng(5);
  loaded.UpsertOffer(RandomOffer(777'777, rng));
  ASSERT_TRUE(Load(loaded, path).ok());
  ASSERT_NE(expected.find('\n'), std::string::npos);
  EXPECT_EQ(Answers(loaded), expected);

  // One small change (no drift: the saved length averages stay in use),
  // then many: appends onto loaded lists (exact-size and inline alike),
  // replacements and removals behave as on the original.
  std::mt19937 a(2), b(2);
  original.UpsertOffer(RandomOffer(40, a));
  loaded.UpsertOffer(RandomOffer(40, b));
  EXPECT_EQ(Answers(loaded), Answers(original));
  for (uint64_t id = 1400; id <= 1800; ++id) {
    original.UpsertOffer(RandomOffer(id, a));
    loaded.UpsertOffer(RandomOffer(id, b));
  }
  for (uint64_t id = 5; id <= 1800; id += 31) {
    original.RemoveOffer(id);
    loaded.RemoveOffer(id);
  }
  EXPECT_EQ(Answers(loaded), Answers(original));
}

// Equal matchers save equal bytes, however many threads inverted the bulk
// load (the start-up rebuild uses every core).
TEST_F(SnapshotTest, EqualMatchersSaveEqualBytesWhateverTheLoadThreads) {
  Matcher one, two, four;
  Fill(one, 3, 1);
  Fill(two, 3, 2);
  Fill(four, 3, 4);
  ASSERT_TRUE(Save(one, Path("one")).ok());
  ASSERT_TRUE(Save(two, Path("two")).ok());
  ASSERT_TRUE(Save(four, Path("four")).ok());
  const std::string bytes = Bytes(Path("one"));
  ASSERT_GT(bytes.size(), 100000u);
  EXPECT_TRUE(Bytes(Path("two")) == bytes);
  EXPECT_TRUE(Bytes(Path("four")) == bytes);
  EXPECT_EQ(Answers(two), Answers(one));
}

TEST_F(SnapshotTest, DamagedFilesAreRefusedAndTheMatcherIsUnchanged) {
  Matcher original;
  Fill(original, 1);
  const std::string path = Path("index.snapshot");
  ASSERT_TRUE(Save(original, path).ok());
  const std::string bytes = Bytes(path);
  ASSERT_GT(bytes.size(), 1000u);

  Matcher other;
  Fill(other, 7);
  const std::string before = Answers(other);
  auto write = [&](const std::string& contents) {
    std::ofstream out(Path("bad.snapshot"), std::ios::binary | std::ios::trunc);
    out << contents;
  };
  std::vector<std::string> damaged;
  for (size_t cut : {size_t{0}, size_t{3}, size_t{40}, bytes.size() / 2,
                     bytes.size() - 5, bytes.size() - 1}) {
    damaged.push_back(bytes.substr(0, cut));
  }
  for (size_t at : {size_t{0}, size_t{9}, bytes.size() / 3, bytes.size() / 2,
                    bytes.size() - 20, bytes.size() - 2}) {
    std::string flipped = bytes;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x10);
    damaged.push_back(flipped);
  }
  damaged.push_back(bytes + "x");
  for (size_t i = 0; i < damaged.size(); ++i) {
    write(damaged[i]);
    absl::Status loaded = Load(other, Path("bad.snapshot"));
    EXPECT_EQ(loaded.code(), absl::StatusCode::kDataLoss)
        << i << ": " << loaded;
  }
  EXPECT_EQ(Answers(other), before);
  EXPECT_EQ(Load(other, Path("missing.snapshot")).code(),
            absl::StatusCode::kNotFound);

  // The intact file still loads.
  write(bytes);
  ASSERT_TRUE(Load(other, Path("bad.snapshot")).ok());
  EXPECT_EQ(Answers(other), Answers(original));
}

TEST_F(SnapshotTest, OtherParametersAreRefused) {
  Matcher original;
  Fill(original, 1);
  ASSERT_TRUE(Save(original, Path("index.snapshot")).ok());
  Bm25fParams params;
  params.k1 = 1.6f;
  Matcher other(params);
  absl::Status loaded = Load(other, Path("index.snapshot"));
  EXPECT_EQ(loaded.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(loaded.message().find("BM25F"), std::string::npos) << loaded;
  EXPECT_EQ(other.offer_count(), 0u);
}

// Lists of every representation (inline, one open block, block and stride
// boundaries; grown and shrunk) load as they were, without spare capacity,
// and keep growing.
TEST_F(SnapshotTest, PostingListsRoundTripAndKeepGrowing) {
  std::mt19937 rng(3);
  for (uint32_t n : {0u, 1u, 3u, 4u, 31u, 32u, 33u, 257u, 2000u}) {
    for (bool shrink : {false, true}) {
      std::vector<uint32_t> values;
      uint32_t slot = 0;
      for (uint32_t i = 0; i < n + 70; ++i) {
        slot += 1 + rng() % (i % 2 == 0 ? 3 : 400);
        values.push_back(slot << 8 | (rng() % 4 == 0 ? rng() % 256 : 1));
      }
      PostingList list;
      for (uint32_t i = 0; i < n; ++i) list.push_back(values[i]);
      if (shrink) list.ShrinkToFit();
      const std::string path = Path("list");
      {
        auto out = SnapshotWriter::Create(path);
        ASSERT_TRUE(out.ok());
        list.SaveTo(**out);
        ASSERT_TRUE((*out)->Commit().ok());
      }
      PostingList loaded;
      loaded.push_back(5u << 8 | 1);  // replaced by the load
      auto in = SnapshotReader::Open(path);
      ASSERT_TRUE(in.ok());
      ASSERT_TRUE(loaded.LoadFrom(**in));
      ASSERT_TRUE((*in)->Finish().ok());
      // Loaded without spare capacity, shrunk or not when saved.
      PostingList exact;
      for (uint32_t i = 0; i < n; ++i) exact.push_back(values[i]);
      exact.ShrinkToFit();
      EXPECT_EQ(loaded.HeapBytes(), exact.HeapBytes()) << n;
      for (uint32_t i = n; i < values.size(); ++i) {
        list.push_back(values[i]);
        loaded.push_back(values[i]);
      }
      std::vector<uint32_t> got;
      for (PostingList::Reader r(loaded); !r.done(); r.next()) {
        got.push_back(r.value());
      }
      EXPECT_EQ(got, values) << n << (shrink ? " shrunk" : "");
      PostingList::Reader seek(loaded);
      seek.SeekTo(PostingList::SlotOf(values[values.size() / 2]));
      ASSERT_FALSE(seek.done());
      EXPECT_EQ(seek.value(), values[values.size() / 2]);
    }
  }
}

}  // namespace
}  // namespace techmatch::matching
