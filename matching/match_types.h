// The plain structs the matcher scores: offers and needs as the matcher sees
// them, options, and explained results. No storage or RPC types here.
#ifndef TECHMATCH_MATCHING_MATCH_TYPES_H_
#define TECHMATCH_MATCHING_MATCH_TYPES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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

// Weights of the score components; the final score is their weighted sum of
// values in [0, 1]. Server configuration sets them; a request may override.
struct Weights {
  double text = 0.55;
  double sector = 0.10;
  double trl = 0.12;
  double price = 0.10;
  double region = 0.05;
  double transfer = 0.05;
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
  // Terms of a "more like this" query.
  size_t query_terms = 25;
  Weights weights;
  int64_t now_micros = 0;
  // Province code of the regional hub (Ho Chi Minh City).
  std::string hub_province = "79";
  bool explain = true;
  // When non-zero, score only this candidate (it need not be among the
  // best): its text value is relative to the best candidate's, as in a
  // ranking. Used to keep the explanation of one pair.
  uint64_t only_id = 0;
  // Needs for an offer: include CONFIDENTIAL needs. Only for results that
  // go to each need's own side (alerts), never to the offer's.
  bool include_confidential = false;
};

// One component of a score, for the explanation.
struct Component {
  std::string name;       // "text", "sector", "trl", ...
  double value = 0;       // in [0, 1]
  double weight = 0;
  double contribution = 0;  // value * weight
  bool neutral = false;     // a side lacked the data: neither reward nor penalty
  std::string detail;       // a readable reason
};

struct TermShare {
  std::string term;   // readable ("công nghệ", "say")
  double share = 0;   // of the text score
};

struct MatchHit {
  uint64_t id = 0;
  double score = 0;
  double text_score = 0;  // raw BM25F
  std::vector<Component> components;
  std::vector<TermShare> top_terms;
  std::vector<std::string> flags;  // NEAR_MISS_TRL, BELOW_MIN_TRL, OVER_BUDGET, ...
};

struct MatchResult {
  std::vector<MatchHit> hits;
  size_t candidates = 0;       // text candidates that passed the filters
  std::vector<std::string> query_terms;  // readable
};

}  // namespace techmatch::matching

#endif  // TECHMATCH_MATCHING_MATCH_TYPES_H_
