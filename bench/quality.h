// The quality report's parts (bench/quality.cc is the entry point):
//   quality sample DIR [REFERENCE_DIR] [--svg=FILE] [--dump=FILE]
//       need->offer set in the shared/data/sample format: ranking (nDCG@10,
//       MRR@10, Recall@10, P@1, grade-2 above grade-1), calibration
//       (precision and grade-2 recall of "score >= t", labels, reliability,
//       the no-answer needs' best scores), symmetry (a pair's score from
//       the need's side and from the offer's); text only and full scorer,
//       needs as written and without diacritics. --svg draws the reliability
//       table of the full scorer as written; --dump writes every pair's
//       figures as TSV.
//   quality vire DIR [REFERENCE_DIR]
//       the ViRE question->passage sets (*.csv): nDCG@10, MRR@10, Recall@10
//       of the text ranking (BM25F top-k, and the service's search: concept
//       coverage with the lexicon), as written and without diacritics.
// Numbers go to docs/quality.md.
#ifndef TECHMATCH_BENCH_QUALITY_H_
#define TECHMATCH_BENCH_QUALITY_H_

#include <memory>
#include <string>

#include "domain/reference_data.h"
#include "matching/match_types.h"
#include "matching/relevance.h"

namespace techmatch::quality {

struct Settings {
  std::string reference_dir;
  std::string svg_path;   // reliability diagram (sample)
  std::string dump_path;  // every pair's figures (sample)
  // Experiments: overrides of the defaults from the environment
  // (TECHMATCH_WEIGHTS, and RELEVANCE="name=value,...").
  matching::Weights weights;
  matching::RelevanceParams relevance;
};

// The reference data (with the lexicon) of `settings`, or exits.
std::unique_ptr<domain::ReferenceData> LoadReference(const Settings& settings);

int RunSample(const std::string& dir, const Settings& settings);
int RunVire(const std::string& dir, const Settings& settings);

// The reliability diagram: per score bin, the share of pairs judged
// relevant (grade >= 1) and of grade 2, with the bins' pair counts; and the
// calibration curve's points (threshold, precision, grade-2 recall).
struct Bin {
  double low = 0, high = 0;
  int pairs = 0, relevant = 0, grade2 = 0;
};
struct CurvePoint {
  double threshold = 0, precision = 0, recall = 0;
};
std::string ReliabilitySvg(const std::string& title,
                           const std::vector<Bin>& bins,
                           const std::vector<CurvePoint>& curve,
                           double default_threshold);

}  // namespace techmatch::quality

#endif  // TECHMATCH_BENCH_QUALITY_H_
