// A deterministic generator of Vietnamese-like technology offers and needs
// for benchmarks: the same seed gives the same corpus on every machine.
//
// Documents draw technical phrases and words with a Zipf skew from a
// vocabulary of 30,000 one- and two-syllable words built from Vietnamese
// onsets, rhymes and tones (about 4,000 distinct syllables), so posting lists
// have the long-tail shape of real listings: a few very common syllables and
// many rare ones.
#ifndef TECHMATCH_BENCH_CORPUS_GENERATOR_H_
#define TECHMATCH_BENCH_CORPUS_GENERATOR_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "matching/match_types.h"

namespace techmatch::bench {

class CorpusGenerator {
 public:
  explicit CorpusGenerator(uint64_t seed);

  // The offer with `id`: a function of (seed, id) only.
  matching::OfferDoc Offer(uint64_t id) const;

  // A need drawn like an offer, with a budget, minimum TRL and modes.
  matching::NeedDoc Need(uint64_t id) const;

  // A free-text query of about `syllables` syllables (before pairs).
  std::string Query(uint64_t id, int syllables) const;

 private:
  std::string Phrase(std::mt19937_64& rng, int syllables) const;
  size_t Zipf(std::mt19937_64& rng, size_t n) const;

  uint64_t seed_;
  std::vector<std::string> topics_;  // technical phrases
  std::vector<std::string> words_;   // generated vocabulary, Zipf-ranked
};

}  // namespace techmatch::bench

#endif  // TECHMATCH_BENCH_CORPUS_GENERATOR_H_
