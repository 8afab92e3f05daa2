// Matcher at scale: indexing rate, index memory, text top-10 and full
// explained match latency over a generated corpus, and the index snapshot's
// write and read times.
//
//   build/bench/matcher_bench [--docs=100000] [benchmark flags]
//
// The corpus size comes from TECHMATCH_BENCH_DOCS (default 100000); the full
// match's candidate pool from TECHMATCH_BENCH_POOL (default 200).
// TECHMATCH_BENCH_SNAPSHOT=PATH keeps the built index: the first run builds
// it and saves it to PATH.<docs>, later runs of that size load it (seconds
// instead of a minute at 1M) -- for query benchmarks; the build figures then
// read "loaded". Delete the file after changing the index or the corpus.
// Like techmatchd, the bench tunes malloc (base/malloc_tunables.h): the heap
// on transparent huge pages (TECHMATCH_BENCH_HUGE_PAGES=0 keeps 4 KiB
// pages) and a per-thread cache of 1,000 blocks a size.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "base/malloc_tunables.h"
#include "bench/corpus_generator.h"
#include "matching/matcher.h"

namespace techmatch::bench {
namespace {

// The repository's lexicon (data/reference), as techmatchd loads it.
std::shared_ptr<const matching::Lexicon> RepositoryLexicon() {
  auto read = [](const std::string& name) {
    std::ifstream in(std::string(TECHMATCH_SOURCE_DIR) + "/data/reference/" +
                     name);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
  };
  static const matching::Analyzer analyzer;
  auto lexicon = matching::Lexicon::Parse(analyzer, read("stopwords.tsv"),
                                          read("synonyms.tsv"),
                                          read("glossary_en_vi.tsv"));
  if (!lexicon.ok()) {
    std::cerr << lexicon.status() << "\n";
    std::exit(1);
  }
  return std::make_shared<const matching::Lexicon>(std::move(*lexicon));
}

// The value of environment variable `name`, or `fallback` when unset.
size_t EnvOr(const char* name, size_t fallback) {
  const char* env = std::getenv(name);
  return env ? std::strtoul(env, nullptr, 10) : fallback;
}

size_t CorpusSize() { return EnvOr("TECHMATCH_BENCH_DOCS", 100000); }

size_t RssBytes() {
  std::ifstream in("/proc/self/statm");
  size_t pages = 0, resident = 0;
  in >> pages >> resident;
  return resident * 4096;
}

// One matcher shared by the benchmarks, built once.
struct Shared {
  Shared() : generator(42) {
    const size_t n = CorpusSize();
    const size_t rss_before = RssBytes();
    const char* env = std::getenv("TECHMATCH_BENCH_SNAPSHOT");
    const std::string snapshot =
        env == nullptr ? "" : std::string(env) + "." + std::to_string(n);
    if (!snapshot.empty() && LoadSnapshot(snapshot)) {
      std::cerr << "loaded " << n << " offers from " << snapshot << "; index ~"
                << (matcher.MemoryBytes() >> 20) << " MiB by count, RSS +"
                << ((RssBytes() - rss_before) >> 20) << " MiB\n";
      return;
    }
    Build(n, rss_before);
    if (!snapshot.empty()) SaveSnapshot(snapshot);
  }

  // True when the snapshot at `path` loads (the matcher is unchanged when
  // it does not).
  bool LoadSnapshot(const std::string& path) {
    if (!std::filesystem::exists(path)) return false;
    auto in = matching::SnapshotReader::Open(path);
    if (in.ok() && matcher.Load(**in).ok()) return true;
    std::cerr << "snapshot " << path << " unusable: rebuilding\n";
    return false;
  }

  void SaveSnapshot(const std::string& path) {
    auto out = matching::SnapshotWriter::Create(path);
    if (!out.ok()) return;
    matcher.Save(**out);
    if (!(*out)->Commit().ok())
      std::cerr << "snapshot " << path << " not written\n";
  }

  void Build(size_t n, size_t rss_before) {
    // As techmatchd's start-up load: batches of 8,192 analysed offers go
    // into the index at once, inverted on every core. Generation, analysis
    // and indexing are timed apart (techmatchd analyses on its reader
    // thread while it indexes). TECHMATCH_BENCH_BATCH and
    // TECHMATCH_BENCH_THREADS override the batch size and thread count.
    using Clock = std::chrono::steady_clock;
    double generate_s = 0, analyze_s = 0, index_s = 0;
    auto seconds_since = [](Clock::time_point t) {
      return std::chrono::duration<double>(Clock::now() - t).count();
    };
    auto start = Clock::now();
    const size_t kBatch = EnvOr("TECHMATCH_BENCH_BATCH", 8192);
    const auto threads = static_cast<unsigned>(
        EnvOr("TECHMATCH_BENCH_THREADS",
              std::max(1u, std::thread::hardware_concurrency())));
    for (uint64_t first = 1; first <= n; first += kBatch) {
      auto t = Clock::now();
      std::vector<matching::OfferDoc> offers;
      for (uint64_t id = first; id < first + kBatch && id <= n; ++id) {
        offers.push_back(generator.Offer(id));
      }
      generate_s += seconds_since(t);
      t = Clock::now();
      std::vector<matching::AnalyzedText> texts;
      for (const auto& offer : offers) texts.push_back(matcher.Analyze(offer.text));
      analyze_s += seconds_since(t);
      t = Clock::now();
      matcher.UpsertOffers(std::move(offers), texts, threads);
      index_s += seconds_since(t);
    }
    for (uint64_t id = 1; id <= 2000; ++id) matcher.UpsertNeed(generator.Need(id));
    auto t = Clock::now();
    // As techmatchd does after its start-up load.
    matcher.ShrinkToFit(std::max(1u, std::thread::hardware_concurrency()));
    malloc_trim(0);
    double finish_s = seconds_since(t);
    double seconds = seconds_since(start);
    auto rate = [&](double s) { return static_cast<int>(static_cast<double>(n) / s); };
    std::cerr << "built " << n << " offers in " << seconds << " s: generation " << generate_s
              << " s, analysis " << analyze_s << " s (" << rate(analyze_s)
              << " offers/s), indexing " << index_s << " s (" << rate(index_s)
              << " offers/s), shrink+refresh " << finish_s << " s; index ~"
              << (matcher.MemoryBytes() >> 20) << " MiB by count, RSS +"
              << ((RssBytes() - rss_before) >> 20) << " MiB\n";
  }
  CorpusGenerator generator;
  matching::Matcher matcher{matching::Bm25fParams{}, RepositoryLexicon()};
};

Shared& Get() {
  static Shared* shared = new Shared();
  return *shared;
}

void BM_TextTop10(benchmark::State& state) {
  Shared& s = Get();
  matching::MatchOptions options;
  options.limit = 10;
  options.candidate_pool = 10;
  options.explain = false;
  options.weights = matching::Weights{1, 0, 0, 0, 0, 0, 0};
  uint64_t q = 0;
  for (auto _ : state) {
    auto result = s.matcher.SearchOffers(s.generator.Query(q++ % 500, 25), {}, options);
    benchmark::DoNotOptimize(result);
  }
  state.counters["qps"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                             benchmark::Counter::kIsRate);
}
BENCHMARK(BM_TextTop10)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_FullMatchExplained(benchmark::State& state) {
  Shared& s = Get();
  matching::MatchOptions options;
  options.now_micros = 1'750'000'000'000'000;
  if (const char* pool = std::getenv("TECHMATCH_BENCH_POOL")) {
    options.candidate_pool = std::strtoul(pool, nullptr, 10);
  }
  uint64_t q = 0;
  for (auto _ : state) {
    auto result = s.matcher.OffersForNeed(s.generator.Need(1 + q++ % 2000), options);
    benchmark::DoNotOptimize(result);
  }
  state.counters["qps"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                             benchmark::Counter::kIsRate);
}
BENCHMARK(BM_FullMatchExplained)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_FullMatchExplained)->Unit(benchmark::kMillisecond)->UseRealTime()->Threads(2);

// How deep in the text ranking a need's final top 10 reaches, i.e. what the
// candidate pool's depth buys (not a speed figure): for 400 generated needs,
// the share of the 200-pool's top 10 that pools of 50, 100 and 1,000 keep,
// and where the 1,000-pool's top 10 ranks by text alone. The generator's
// structured fields are random, so structure lifts deep offers more often
// than real data would (where text and sector, region, TRL go together).
void BM_PoolDepth(benchmark::State& state) {
  Shared& s = Get();
  constexpr int kNeeds = 400;
  const size_t pools[] = {50, 100, 200, 1000};
  for (auto _ : state) {
    double kept[4] = {0, 0, 0, 0};
    int beyond50 = 0, beyond200 = 0, hits = 0;
    for (int q = 1; q <= kNeeds; ++q) {
      const matching::NeedDoc need = s.generator.Need(q);
      matching::MatchOptions options;
      options.now_micros = 1'750'000'000'000'000;
      options.explain = false;
      std::vector<std::vector<uint64_t>> tops;
      for (size_t pool : pools) {
        options.candidate_pool = pool;
        std::vector<uint64_t> ids;
        for (const auto& hit : s.matcher.OffersForNeed(need, options).hits)
          ids.push_back(hit.id);
        tops.push_back(std::move(ids));
      }
      // Text ranks: the same query with the text component alone.
      options.candidate_pool = 1000;
      options.limit = 1000;
      options.weights = matching::Weights{1, 0, 0, 0, 0, 0, 0};
      std::vector<uint64_t> by_text;
      for (const auto& hit : s.matcher.OffersForNeed(need, options).hits)
        by_text.push_back(hit.id);
      for (int p = 0; p < 4; ++p) {
        for (uint64_t id : tops[p]) {
          kept[p] += static_cast<double>(
                         std::count(tops[2].begin(), tops[2].end(), id)) /
                     static_cast<double>(std::max<size_t>(tops[2].size(), 1));
        }
      }
      for (uint64_t id : tops[3]) {
        const auto rank =
            std::find(by_text.begin(), by_text.end(), id) - by_text.begin();
        beyond50 += rank >= 50;
        beyond200 += rank >= 200;
        ++hits;
      }
    }
    state.counters["kept_pool50"] = kept[0] / kNeeds;
    state.counters["kept_pool100"] = kept[1] / kNeeds;
    state.counters["kept_pool1000"] = kept[3] / kNeeds;
    state.counters["top10_beyond_text50"] =
        static_cast<double>(beyond50) / hits;
    state.counters["top10_beyond_text200"] =
        static_cast<double>(beyond200) / hits;
  }
}
BENCHMARK(BM_PoolDepth)->Iterations(1)->Unit(benchmark::kSecond);

void BM_IndexUpdate(benchmark::State& state) {
  Shared& s = Get();
  uint64_t id = 1;
  for (auto _ : state) {
    s.matcher.UpsertOffer(s.generator.Offer(id));
    id = id % 1000 + 1;
  }
  state.counters["docs/s"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                benchmark::Counter::kIsRate);
  // The index's size after the updates: lists shrunk after the load grow
  // again as updates append to them.
  state.counters["index_MiB"] =
      static_cast<double>(s.matcher.MemoryBytes() >> 20);
}
BENCHMARK(BM_IndexUpdate)->Unit(benchmark::kMicrosecond)->UseRealTime();

// Writes the shared matcher's snapshot to the temporary directory and reads
// it back into a new matcher (as techmatchd's stop and start do). Counters:
// MiB written, seconds to save and to load (the file is in the page cache
// when it is read, as on a restart).
void BM_SnapshotSaveLoad(benchmark::State& state) {
  Shared& s = Get();
  const std::string path =
      (std::filesystem::temp_directory_path() / "matcher_bench.snapshot")
          .string();
  using Clock = std::chrono::steady_clock;
  double save_s = 0, load_s = 0, mib = 0;
  for (auto _ : state) {
    auto t = Clock::now();
    auto out = matching::SnapshotWriter::Create(path);
    if (!out.ok()) {
      state.SkipWithError(std::string(out.status().message()).c_str());
      return;
    }
    s.matcher.Save(**out);
    mib = static_cast<double>((*out)->written()) / (1 << 20);
    if (!(*out)->Commit().ok()) {
      state.SkipWithError("snapshot not written");
      return;
    }
    save_s += std::chrono::duration<double>(Clock::now() - t).count();
    t = Clock::now();
    matching::Matcher loaded{matching::Bm25fParams{}, RepositoryLexicon()};
    auto in = matching::SnapshotReader::Open(path);
    if (!in.ok() || !loaded.Load(**in).ok()) {
      state.SkipWithError("snapshot not read");
      return;
    }
    load_s += std::chrono::duration<double>(Clock::now() - t).count();
    benchmark::DoNotOptimize(loaded.offer_count());
  }
  std::filesystem::remove(path);
  const auto n = static_cast<double>(state.iterations());
  state.counters["MiB"] = mib;
  state.counters["save_s"] = save_s / n;
  state.counters["load_s"] = load_s / n;
}
BENCHMARK(BM_SnapshotSaveLoad)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(2);

}  // namespace
}  // namespace techmatch::bench

int main(int argc, char** argv) {
  const char* huge = std::getenv("TECHMATCH_BENCH_HUGE_PAGES");
  std::string error;
  techmatch::ReexecWithMallocTunables(
      argv, {.huge_pages = huge == nullptr || std::string(huge) != "0"},
      &error);
  if (!error.empty()) std::cerr << error << "\n";
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
