// Import throughput of the registry on a synced RocksDB: records/s for bulk
// import chunks (one durable commit per chunk) and for one-record creates
// (one fsync each). Run: build/bench/import_bench
#include <benchmark/benchmark.h>

#include <filesystem>
#include <random>

#include "base/clock.h"
#include "domain/reference_data.h"
#include "domain/registry.h"
#include "storage/catalog.h"

namespace techmatch {
namespace {

// The bench measures storage, not access: it acts with every right.
const domain::Caller kAdmin = domain::Caller::System("import_bench");

namespace v1 = techmatch::v1;

const char* const kWords[] = {
    "công nghệ", "xử lý", "nước thải", "máy sấy", "bơm nhiệt", "chế phẩm",
    "vi sinh", "thủy sản", "nông sản", "tự động hóa", "cảm biến", "IoT",
    "tiết kiệm", "năng lượng", "quy trình", "sản xuất", "giống lúa",
    "chịu mặn", "bảo quản", "sau thu hoạch", "lò hơi", "sinh khối"};

// A deterministic offer with a few hundred bytes of Vietnamese text.
v1::Offer GeneratedOffer(std::mt19937& rng, int64_t i) {
  auto phrase = [&](int words) {
    std::string s;
    for (int w = 0; w < words; ++w) {
      if (!s.empty()) s += ' ';
      s += kWords[rng() % std::size(kWords)];
    }
    return s;
  };
  v1::Offer offer;
  offer.set_owner("organizations/1");
  offer.set_external_ref("BENCH-" + std::to_string(i));
  offer.set_title(phrase(6));
  offer.set_description(phrase(60));
  offer.add_keywords(kWords[rng() % std::size(kWords)]);
  offer.add_sector_codes(rng() % 2 ? "207" : "211");
  offer.set_trl(1 + rng() % 9);
  offer.set_province(rng() % 2 ? "Đồng Nai" : "Cần Thơ");
  offer.set_state(v1::PUBLISHED);
  return offer;
}

class Fixture {
 public:
  explicit Fixture(bool sync) {
    dir_ = std::filesystem::temp_directory_path() /
           ("techmatch_import_bench_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    reference_ = *domain::ReferenceData::LoadFromDirectory(
        TECHMATCH_SOURCE_DIR "/data/reference");
    storage::CatalogOptions options;
    options.path = dir_.string();
    options.sync_writes = sync;
    catalog_ = *storage::Catalog::Open(options);
    audit_ = std::make_unique<domain::AuditLog>(catalog_.get(), &clock_);
    registry_ = std::make_unique<domain::Registry>(
        catalog_.get(), reference_.get(), audit_.get(), &clock_);
    v1::CreateOrganizationRequest org;
    org.mutable_organization()->set_display_name("Bench owner");
    org.mutable_organization()->set_kind(v1::Organization::UNIVERSITY);
    org.mutable_organization()->set_province("79");
    (void)registry_->CreateOrganization(kAdmin, org);
  }
  ~Fixture() {
    registry_.reset();
    audit_.reset();
    catalog_.reset();
    std::filesystem::remove_all(dir_);
  }
  domain::Registry& registry() { return *registry_; }

 private:
  std::filesystem::path dir_;
  SystemClock clock_;
  std::unique_ptr<domain::ReferenceData> reference_;
  std::unique_ptr<storage::Catalog> catalog_;
  std::unique_ptr<domain::AuditLog> audit_;
  std::unique_ptr<domain::Registry> registry_;
};

// Bulk import: state.range(0) records per chunk, state.range(1) = sync.
void BM_ImportChunks(benchmark::State& state) {
  const int chunk = static_cast<int>(state.range(0));
  Fixture fixture(state.range(1) != 0);
  std::mt19937 rng(42);
  int64_t next = 0, rejected = 0;
  for (auto _ : state) {
    state.PauseTiming();
    v1::ImportOffersRequest request;
    for (int i = 0; i < chunk; ++i) *request.add_offers() = GeneratedOffer(rng, next++);
    state.ResumeTiming();
    v1::ImportResponse response =
        fixture.registry().ImportOffers(kAdmin, request, 0);
    for (const auto& r : response.results()) {
      rejected += r.outcome() == v1::ImportResult::REJECTED;
    }
  }
  if (rejected) state.SkipWithError("records were rejected");
  state.SetItemsProcessed(state.iterations() * chunk);
  state.counters["records/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * chunk), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ImportChunks)
    ->ArgsProduct({{1, 100, 500, 2000}, {1}})
    ->Args({500, 0})
    ->ArgNames({"chunk", "sync"})
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0)
    ->UseRealTime();

// Upserting an unchanged record: the idempotent re-import path.
void BM_ReimportUnchanged(benchmark::State& state) {
  Fixture fixture(true);
  std::mt19937 rng(42);
  v1::ImportOffersRequest request;
  for (int i = 0; i < 500; ++i) *request.add_offers() = GeneratedOffer(rng, i);
  (void)fixture.registry().ImportOffers(kAdmin, request, 0);
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        fixture.registry().ImportOffers(kAdmin, request, 0));
  }
  state.counters["records/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * 500), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ReimportUnchanged)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace techmatch

BENCHMARK_MAIN();
