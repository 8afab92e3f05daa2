// The structured score components, each a pure function with a value in
// [0, 1] (1: fits the need). A side that lacks the data yields a neutral
// component (value 1, marked neutral): missing data is never a penalty. The
// matcher turns each value into a factor of the score (see Weights). With
// `explain` false the readable `detail` is left empty (ranking many candidates
// need not format strings); values and flags are the same.
#ifndef TECHMATCH_MATCHING_SCORER_H_
#define TECHMATCH_MATCHING_SCORER_H_

#include <string>
#include <vector>

#include "matching/match_types.h"

namespace techmatch::matching {

inline constexpr double kNeutral = 1.0;

// Same code 1; one is the parent of the other 0.6; same top-level field
// 0.3; else 0. Best over all pairs.
Component SectorComponent(const std::vector<std::string>& need_sectors,
                          const std::vector<std::string>& offer_sectors,
                          bool explain = true);

// Meets the need's minimum 1; one level short 0.5 (NEAR_MISS_TRL); two
// short 0.15; more 0 (BELOW_MIN_TRL from one short on).
Component TrlComponent(int min_trl, int offer_trl,
                       std::vector<std::string>* flags, bool explain = true);

// Whole price range within budget 1; budget inside the range 0.75; minimum
// price over budget decays with the overrun (OVER_BUDGET).
Component PriceComponent(const std::optional<int64_t>& budget,
                         int64_t price_min, int64_t price_max,
                         std::vector<std::string>* flags, bool explain = true);

// Same province 1; same region 0.7; the offer side at the hub 0.5;
// elsewhere 0.2.
Component RegionComponent(const std::string& need_province,
                          const std::string& need_region,
                          const std::string& offer_province,
                          const std::string& offer_region,
                          const std::string& hub_province,
                          bool explain = true);

// Any shared mode 1, none 0; neutral when either side lists none.
Component TransferComponent(TransferModeSet need_modes,
                            TransferModeSet offer_modes,
                            std::vector<std::string>* flags,
                            bool explain = true);

// Halves every year since publishing; neutral when unknown.
Component FreshnessComponent(int64_t fresh_micros, int64_t now_micros,
                             bool explain = true);

// The same values alone, without name, reason or flags: what ranking a pool
// of candidates needs (the explained components are built only for the
// returned page). Each equals the value of the component above for the same
// arguments.
double SectorValue(const std::vector<std::string>& need_sectors,
                   const std::vector<std::string>& offer_sectors);
double TrlValue(int min_trl, int offer_trl);
double PriceValue(const std::optional<int64_t>& budget, int64_t price_min,
                  int64_t price_max);
double RegionValue(const std::string& need_province,
                   const std::string& need_region,
                   const std::string& offer_province,
                   const std::string& offer_region,
                   const std::string& hub_province);
double TransferValue(TransferModeSet need_modes, TransferModeSet offer_modes);
double FreshnessValue(int64_t fresh_micros, int64_t now_micros);

// The score of a (need, offer) pair whose text relevance is `relevance`:
// the product of each component's factor 1 - weight x (1 - value) (see
// Weights), applied in the explained order: text, sector, trl, price,
// region, transfer, freshness (of the side whose `fresh_micros` is given).
// With `hit`, also appends the explained components (their contributions
// sum to the score) and flags; the score is the same either way, to the
// bit. `coverage` only feeds the text component's reason.
double PairScore(const NeedDoc& need, const OfferDoc& offer, double relevance,
                 double coverage, int64_t fresh_micros,
                 const MatchOptions& options, MatchHit* hit = nullptr);

// The score of a free-text search result: its text relevance and its
// freshness, as above.
double SearchScore(double relevance, double coverage, int64_t fresh_micros,
                   const MatchOptions& options, MatchHit* hit = nullptr);

}  // namespace techmatch::matching

#endif  // TECHMATCH_MATCHING_SCORER_H_
