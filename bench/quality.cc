// Quality report of the matcher: see quality.h for the modes.
#include "bench/quality.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace techmatch::quality {

std::unique_ptr<domain::ReferenceData> LoadReference(const Settings& settings) {
  auto reference =
      domain::ReferenceData::LoadFromDirectory(settings.reference_dir);
  if (!reference.ok()) {
    std::cerr << "quality: " << reference.status() << "\n";
    std::exit(1);
  }
  return std::move(*reference);
}

namespace {

// RELEVANCE="midpoint=0.3,slope=12,..." overrides of the relevance model.
bool ParseRelevance(const char* text, matching::RelevanceParams* r) {
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(item, '=');
    double v = 0;
    if (!absl::SimpleAtod(kv.second, &v)) return false;
    const std::string& k = kv.first;
    if (k == "midpoint")
      r->match.midpoint = v;
    else if (k == "slope")
      r->match.slope = v;
    else if (k == "smidpoint")
      r->search.midpoint = v;
    else if (k == "sslope")
      r->search.slope = v;
    else if (k == "full")
      r->full_strength = static_cast<float>(v);
    else if (k == "alt")
      r->alternative = static_cast<float>(v);
    else if (k == "accents")
      r->unknown_accents = static_cast<float>(v);
    else if (k == "strong")
      r->strong = v;
    else if (k == "possible")
      r->possible = v;
    else if (k == "title")
      r->concepts.title = static_cast<float>(v);
    else if (k == "keywords")
      r->concepts.keywords = static_cast<float>(v);
    else if (k == "body")
      r->concepts.body = static_cast<float>(v);
    else if (k == "unknown")
      r->unknown = static_cast<float>(v);
    else if (k == "chance")
      r->above_chance = v != 0;
    else if (k == "prior")
      r->chance_prior = v;
    else if (k == "norm")
      r->norm = v;
    else if (k == "minfold")
      r->min_folded_factor = static_cast<float>(v);
    else if (k == "floor")
      r->retrieval_floor = v;
    else if (k == "common")
      r->common_share = v;
    else if (k == "number")
      r->concepts.number = static_cast<float>(v);
    else if (k == "cohesion")
      r->cohesion = static_cast<float>(v);
    else if (k == "pairdf")
      r->min_pair_df = static_cast<uint32_t>(v);
    else
      return false;
  }
  return true;
}

}  // namespace
}  // namespace techmatch::quality

int main(int argc, char** argv) {
  using techmatch::quality::Settings;
  Settings settings;
  settings.reference_dir = TECHMATCH_SOURCE_DIR "/data/reference";
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--svg=", 0) == 0) {
      settings.svg_path = arg.substr(6);
    } else if (arg.rfind("--dump=", 0) == 0) {
      settings.dump_path = arg.substr(7);
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.size() < 2) {
    std::fprintf(stderr,
                 "usage: quality sample DIR [REFERENCE_DIR] [--svg=FILE] "
                 "[--dump=FILE] | quality vire DIR [REFERENCE_DIR]\n");
    return 2;
  }
  if (positional.size() > 2) settings.reference_dir = positional[2];
  if (const char* w = std::getenv("TECHMATCH_WEIGHTS")) {
    auto& g = settings.weights;
    if (std::sscanf(w, "%lf,%lf,%lf,%lf,%lf,%lf,%lf", &g.text, &g.sector, &g.trl,
                    &g.price, &g.region, &g.transfer, &g.freshness) != 7) {
      std::fprintf(stderr, "TECHMATCH_WEIGHTS wants 7 comma-separated numbers\n");
      return 2;
    }
  }
  if (const char* r = std::getenv("RELEVANCE")) {
    if (!techmatch::quality::ParseRelevance(r, &settings.relevance)) {
      std::fprintf(stderr,
                   "RELEVANCE wants name=value,... (midpoint, slope, "
                   "full, alt, accents, strong, possible, title, "
                   "keywords, body, cohesion, pairdf)\n");
      return 2;
    }
  }
  if (positional[0] == "sample")
    return techmatch::quality::RunSample(positional[1], settings);
  if (positional[0] == "vire")
    return techmatch::quality::RunVire(positional[1], settings);
  std::fprintf(stderr, "unknown mode %s\n", positional[0].c_str());
  return 2;
}
