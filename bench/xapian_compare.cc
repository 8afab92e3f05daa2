// Side by side, in one run, on the same generated corpus and the same
// queries: techmatch's text top-10 against Xapian 1.4's BM25 top-10.
// Xapian gets exactly techmatch's analyzer terms (same syllables, pairs and
// accent twins, with their frequencies), so the comparison is of the
// engines, not of the tokenisers.
//
//   xapian_compare [DOCS] [QUERIES]     (defaults 100000, 200)
//
// Prints both engines' queries/s on one thread, the throughput ratio, and
// the mean overlap of the two top-10 lists.
#include <xapian.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <unistd.h>
#include <vector>

#include "bench/corpus_generator.h"
#include "matching/text_index.h"

namespace {

using techmatch::matching::Analyzer;
using techmatch::matching::Bm25fParams;
using techmatch::matching::QueryTerm;
using techmatch::matching::TextIndex;

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

int main(int argc, char** argv) {
  const uint64_t docs = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 100000;
  const int queries = argc > 2 ? std::atoi(argv[2]) : 200;
  techmatch::bench::CorpusGenerator generator(42);
  Analyzer analyzer;

  // Plain BM25 on one field for both: everything in the body, unit weights.
  Bm25fParams params;
  params.weight = {1.0f, 1.0f, 1.0f};
  params.pair_weight = 1.0f;
  params.stopword_weight = 1.0f;
  TextIndex index(&analyzer, params);

  std::string path = "/tmp/techmatch_xapian_" + std::to_string(::getpid());
  std::filesystem::remove_all(path);
  auto t0 = std::chrono::steady_clock::now();
  double ours_index = 0;
  {
    Xapian::WritableDatabase db(path, Xapian::DB_CREATE_OR_OVERWRITE);
    for (uint64_t id = 1; id <= docs; ++id) {
      auto offer = generator.Offer(id);
      std::string all = offer.text.title + " . " + offer.text.keywords + " . " + offer.text.body;
      auto t = std::chrono::steady_clock::now();
      index.Upsert(id, {"", "", all});
      ours_index += Seconds(t);
      Xapian::Document doc;
      analyzer.ForEachIndexTerm(all, [&](std::string_view term) {
        doc.add_term(std::string(term));
      });
      db.replace_document(static_cast<Xapian::docid>(id), doc);
    }
    db.commit();
  }
  double both_index = Seconds(t0);
  index.RefreshForQueries();
  Xapian::Database db(path);
  Xapian::Enquire enquire(db);
  enquire.set_weighting_scheme(Xapian::BM25Weight(1.2, 0, 1, 0.75, 0));
  enquire.set_docid_order(Xapian::Enquire::ASCENDING);

  std::vector<std::vector<QueryTerm>> parsed;
  for (int q = 0; q < queries; ++q) {
    parsed.push_back(index.ParseQuery(generator.Query(static_cast<uint64_t>(q), 25)));
  }
  // Warm both.
  for (int q = 0; q < std::min(queries, 10); ++q) {
    index.TopK(parsed[q], 10, nullptr);
  }
  std::vector<std::vector<uint64_t>> ours(queries), theirs(queries);
  auto t1 = std::chrono::steady_clock::now();
  for (int q = 0; q < queries; ++q) {
    for (const auto& hit : index.TopK(parsed[q], 10, nullptr)) ours[q].push_back(hit.id);
  }
  double ours_seconds = Seconds(t1);
  auto t2 = std::chrono::steady_clock::now();
  for (int q = 0; q < queries; ++q) {
    std::vector<std::string> terms;
    for (const auto& t : parsed[q]) terms.push_back(t.term);
    enquire.set_query(Xapian::Query(Xapian::Query::OP_OR, terms.begin(), terms.end()));
    Xapian::MSet mset = enquire.get_mset(0, 10);
    for (auto it = mset.begin(); it != mset.end(); ++it) theirs[q].push_back(*it);
  }
  double xapian_seconds = Seconds(t2);
  double overlap = 0;
  for (int q = 0; q < queries; ++q) {
    std::set<uint64_t> a(ours[q].begin(), ours[q].end());
    int common = 0;
    for (uint64_t id : theirs[q]) common += a.count(id);
    overlap += theirs[q].empty() ? 1.0 : static_cast<double>(common) / theirs[q].size();
  }
  std::filesystem::remove_all(path);
  double ours_qps = queries / ours_seconds, xapian_qps = queries / xapian_seconds;
  std::printf("docs=%llu queries=%d (25 syllables each, %zu terms on average)\n",
              static_cast<unsigned long long>(docs), queries, [&] {
                size_t total = 0;
                for (const auto& p : parsed) total += p.size();
                return total / parsed.size();
              }());
  std::printf("indexing: techmatch %.1f s, both engines %.1f s\n", ours_index, both_index);
  std::printf("techmatch top-10: %.1f queries/s (%.2f ms each)\n", ours_qps, 1000 / ours_qps);
  std::printf("xapian    top-10: %.1f queries/s (%.2f ms each)\n", xapian_qps, 1000 / xapian_qps);
  std::printf("throughput ratio techmatch/xapian: %.2fx; mean top-10 overlap %.1f%%\n",
              ours_qps / xapian_qps, 100 * overlap / queries);
  return 0;
}
