// The plain structs the matcher scores: offers and needs as the matcher sees
// them, options, and explained results. No storage or RPC types here.
#ifndef TECHMATCH_MATCHING_MATCH_TYPES_H_
#define TECHMATCH_MATCHING_MATCH_TYPES_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "matching/concept_query.h"
#include "matching/text_index.h"

namespace techmatch::matching {

// Bit i set = transfer mode with API enum value i.
using TransferModeSet = uint32_t;

// Bit i set = StrictConstraint with API enum value i.
enum StrictBit : uint32_t {
  kStrictMinTrl = 1u << 1,
  kStrictBudget = 1u << 2,
  kStrictTransferMode = 1u << 3,
  kStrictProvince = 1u << 4,
  kStrictSector = 1u << 5,
};

struct OfferDoc {
  uint64_t id = 0;
  FieldTexts text;
  std::vector<std::string> sectors;
  int trl = 0;                   // 0 = unknown
  int64_t price_min = 0;         // VND; both 0 = unknown / negotiable
  int64_t price_max = 0;
  std::string province;          // code of a current unit, or empty
  std::string region;            // region of `province`, or empty
  TransferModeSet transfer_modes = 0;
  int64_t fresh_micros = 0;      // publish (else update) time
  int64_t expire_micros = 0;     // 0 = never
  bool published = false;
};

struct NeedDoc {
  uint64_t id = 0;
  FieldTexts text;
  // What the need asks for (BuildConceptQuery of `text`): kept with an
  // indexed need, so that scoring it from an offer's side needs no text.
  // Null in a need handed to a query (the matcher builds it from `text`).
  std::shared_ptr<const ConceptQuery> concepts;
  std::vector<std::string> sectors;
  int min_trl = 0;                       // 0 = no minimum
  std::optional<int64_t> budget_max;     // VND
  std::string province;
  std::string region;
  TransferModeSet transfer_modes = 0;    // 0 = any
  uint32_t strict = 0;                   // StrictBit set
  int64_t fresh_micros = 0;
  int64_t expire_micros = 0;
  bool published = false;
  bool confidential = false;
};

// Weights of the score's components. A pair's score is the product of one
// factor per component, 1 - weight x (1 - value), each value in [0, 1]: a
// weight is how far that component can lower the score (0: not at all; 1:
// a value of 0 makes the score 0). The text component's value is the
// pair's calibrated relevance (matching/relevance.h); with its weight 1 a
// pair scores at most its relevance, and the structured components then
// only lower it: a constraint broken by a near miss (one TRL level short,
// the minimum price just over budget) costs a third, so such a pair ranks
// below any pair of strong relevance that meets the need's constraints
// (docs/matching.md). Server configuration sets them; a request may
// override. Each must be in [0, 1].
struct Weights {
  double text = 1.0;
  double sector = 0.10;
  double trl = 0.70;
  double price = 0.70;
  double region = 0.05;
  double transfer = 0.35;
  double freshness = 0.03;
};

// Filters for free-text search; empty / zero fields do not filter.
struct SearchFilters {
  std::string sector_prefix;
  std::string province;
  std::string region;
  int trl_min = 0;
  int trl_max = 0;
  TransferModeSet transfer_modes = 0;   // any of these
  int64_t price_ceiling = 0;            // offers: price_min <= ceiling
};

struct MatchOptions {
  size_t offset = 0;
  size_t limit = 10;
  // Text candidates re-scored with the structured components.
  size_t candidate_pool = 200;
  // Concepts of the query side that retrieve the candidates (the heaviest;
  // every concept counts in the score).
  size_t query_terms = 16;
  Weights weights;
  int64_t now_micros = 0;
  // Province code of the regional hub (Ho Chi Minh City).
  std::string hub_province = "79";
  bool explain = true;
  // When non-zero, score only this candidate, whether or not it would be
  // retrieved or pass the filters: the score it has in any ranking. Used to
  // keep the explanation of one pair.
  uint64_t only_id = 0;
  // Results scoring below this are left out (0: none is).
  double min_score = 0;
  // Needs for an offer: include CONFIDENTIAL needs. Only for results that
  // go to each need's own side (alerts), never to the offer's.
  bool include_confidential = false;
};

// One component of a score, for the explanation.
struct Component {
  std::string name;       // "text", "sector", "trl", ...
  double value = 0;       // in [0, 1]
  double weight = 0;
  // What it adds to the score: for "text" its factor, for the others the
  // (non-positive) change of the running product when their factor
  // applies, in the explained order; the contributions sum to the score.
  double contribution = 0;
  bool neutral = false;     // a side lacked the data: value 1, no effect
  std::string detail;       // a readable reason
};

// How sure a result is, read from its score (RelevanceParams holds the
// thresholds).
enum class Label : uint8_t {
  kWeak = 0,      // little in common
  kPossible = 1,  // partly answers, or answers but breaks a constraint
  kStrong = 2,    // answers what was asked and meets the constraints
};

// A concept of the query side that the result covers.
struct TermShare {
  std::string term;  // readable, once per concept ("nước thải")
  double share = 0;  // of the covered part of the relevance
  // How it was found: "" (as written), "accents" (same letters, other
  // accents), "synonym" or "glossary".
  std::string via;
  std::string matched;  // the wording found, when via a synonym or glossary
};

struct MatchHit {
  uint64_t id = 0;
  double score = 0;      // in [0, 1]: the product of the factors
  double relevance = 0;  // calibrated text relevance, in [0, 1]
  double coverage = 0;   // share of the query's concept weight covered
  Label label = Label::kWeak;
  double text_score = 0;  // the covered concept weight (idf units)
  std::vector<Component> components;
  std::vector<TermShare> top_terms;
  std::vector<std::string> flags;  // NEAR_MISS_TRL, BELOW_MIN_TRL, OVER_BUDGET, ...
};

struct MatchResult {
  std::vector<MatchHit> hits;
  size_t candidates = 0;       // text candidates that passed the filters
  std::vector<std::string> query_terms;  // readable concepts, heaviest first
  // The best label among all candidates (kWeak when none): kWeak or none
  // at all means there is no good match.
  Label best = Label::kWeak;
  double best_score = 0;
};

}  // namespace techmatch::matching

#endif  // TECHMATCH_MATCHING_MATCH_TYPES_H_
