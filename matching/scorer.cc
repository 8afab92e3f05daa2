#include "matching/scorer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace techmatch::matching {
namespace {

// With `explain` false no reason is kept: ranking many candidates should
// not format (or allocate) strings nobody reads.
Component Neutral(const char* name, const char* why, bool explain) {
  Component c;
  c.name = name;
  c.value = kNeutral;
  c.neutral = true;
  if (explain) c.detail = why;
  return c;
}

const char* Why(bool explain, const char* reason) {
  return explain ? reason : "";
}

Component Valued(const char* name, double value, std::string detail) {
  Component c;
  c.name = name;
  c.value = std::clamp(value, 0.0, 1.0);
  c.detail = std::move(detail);
  return c;
}

std::string Vnd(int64_t v) {
  char buffer[64];
  if (v >= 1'000'000'000) {
    std::snprintf(buffer, sizeof buffer, "%.2f tỷ",
                  static_cast<double>(v) / 1e9);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.0f triệu",
                  static_cast<double>(v) / 1e6);
  }
  return buffer;
}

// Same code 1; one a prefix of the other (parent) 0.6; same top-level
// field 0.3; else 0.
double SectorPairValue(const std::string& a, const std::string& b) {
  if (a == b) return 1.0;
  if (a.size() < b.size() ? b.compare(0, a.size(), a) == 0
                          : a.compare(0, b.size(), b) == 0) {
    return 0.6;
  }
  if (!a.empty() && !b.empty() && a[0] == b[0]) return 0.3;
  return 0;
}

}  // namespace

double SectorValue(const std::vector<std::string>& need_sectors,
                   const std::vector<std::string>& offer_sectors) {
  if (need_sectors.empty() || offer_sectors.empty()) return kNeutral;
  double best = 0;
  for (const auto& a : need_sectors) {
    for (const auto& b : offer_sectors)
      best = std::max(best, SectorPairValue(a, b));
  }
  return best;
}

double TrlValue(int min_trl, int offer_trl) {
  if (min_trl <= 0 || offer_trl <= 0) return kNeutral;
  const int gap = min_trl - offer_trl;
  return gap <= 0 ? 1.0 : gap == 1 ? 0.5 : gap == 2 ? 0.15 : 0.0;
}

double PriceValue(const std::optional<int64_t>& budget, int64_t price_min,
                  int64_t price_max) {
  if (!budget.has_value() || *budget <= 0) return kNeutral;
  if (price_min <= 0 && price_max <= 0) return kNeutral;
  const int64_t low = price_min > 0 ? price_min : price_max;
  const int64_t high = std::max(price_max, low);
  if (high <= *budget) return 1.0;
  if (low <= *budget) return 0.75;
  const double overrun =
      static_cast<double>(low) / static_cast<double>(*budget) - 1.0;
  return std::clamp(0.5 * std::exp(-3.0 * overrun), 0.0, 1.0);
}

double RegionValue(const std::string& need_province,
                   const std::string& need_region,
                   const std::string& offer_province,
                   const std::string& offer_region,
                   const std::string& hub_province) {
  if (need_province.empty() || offer_province.empty()) return kNeutral;
  if (need_province == offer_province) return 1.0;
  if (!need_region.empty() && need_region == offer_region) return 0.7;
  if (offer_province == hub_province) return 0.5;
  return 0.2;
}

double TransferValue(TransferModeSet need_modes, TransferModeSet offer_modes) {
  if (need_modes == 0 || offer_modes == 0) return kNeutral;
  return (need_modes & offer_modes) ? 1.0 : 0.0;
}

double FreshnessValue(int64_t fresh_micros, int64_t now_micros) {
  if (fresh_micros <= 0 || now_micros <= 0) return kNeutral;
  const double days = std::max<double>(
      0, static_cast<double>(now_micros - fresh_micros) / 86'400e6);
  return std::clamp(std::pow(0.5, days / 365.0), 0.0, 1.0);
}

Component SectorComponent(const std::vector<std::string>& need_sectors,
                          const std::vector<std::string>& offer_sectors,
                          bool explain) {
  if (need_sectors.empty() || offer_sectors.empty()) {
    return Neutral("sector", "sector unknown on one side", explain);
  }
  const double best = SectorValue(need_sectors, offer_sectors);
  if (!explain) return Valued("sector", best, std::string());
  // The reason of the first pair that gives the best value.
  for (const auto& a : need_sectors) {
    for (const auto& b : offer_sectors) {
      const double v = SectorPairValue(a, b);
      if (v != best || v == 0) continue;
      if (v == 1.0) return Valued("sector", v, "same field " + a);
      if (v == 0.6) return Valued("sector", v, "field " + a + " contains " + b);
      return Valued("sector", v, "same top-level field " + a.substr(0, 1));
    }
  }
  return Valued("sector", best, "different fields");
}

Component TrlComponent(int min_trl, int offer_trl,
                       std::vector<std::string>* flags, bool explain) {
  if (min_trl <= 0) return Neutral("trl", "no minimum TRL", explain);
  if (offer_trl <= 0) return Neutral("trl", "offer TRL unknown", explain);
  std::string detail = explain ? "TRL " + std::to_string(offer_trl) +
                                     " vs minimum " + std::to_string(min_trl)
                               : std::string();
  const double value = TrlValue(min_trl, offer_trl);
  const int gap = min_trl - offer_trl;
  if (gap <= 0) return Valued("trl", value, detail);
  flags->push_back("BELOW_MIN_TRL");
  if (gap == 1) {
    flags->push_back("NEAR_MISS_TRL");
    return Valued("trl", value,
                  explain ? detail + " (one level short)" : detail);
  }
  return Valued("trl", value, detail);
}

Component PriceComponent(const std::optional<int64_t>& budget,
                         int64_t price_min, int64_t price_max,
                         std::vector<std::string>* flags, bool explain) {
  if (!budget.has_value() || *budget <= 0)
    return Neutral("price", "no budget", explain);
  if (price_min <= 0 && price_max <= 0) {
    return Neutral("price", "price negotiable", explain);
  }
  int64_t low = price_min > 0 ? price_min : price_max;
  int64_t high = std::max(price_max, low);
  std::string detail = explain ? "price " + Vnd(low) + "–" + Vnd(high) +
                                     " vs budget " + Vnd(*budget)
                               : std::string();
  const double value = PriceValue(budget, price_min, price_max);
  if (high <= *budget) return Valued("price", value, detail);
  if (low <= *budget) {
    return Valued("price", value,
                  explain ? detail + " (partly within)" : detail);
  }
  flags->push_back("OVER_BUDGET");
  return Valued("price", value, detail);
}

Component RegionComponent(const std::string& need_province,
                          const std::string& need_region,
                          const std::string& offer_province,
                          const std::string& offer_region,
                          const std::string& hub_province, bool explain) {
  if (need_province.empty() || offer_province.empty()) {
    return Neutral("region", "province unknown on one side", explain);
  }
  if (need_province == offer_province) {
    return Valued("region", 1.0, Why(explain, "same province"));
  }
  if (!need_region.empty() && need_region == offer_region) {
    return Valued(
        "region", 0.7,
        explain ? "same region (" + need_region + ")" : std::string());
  }
  if (offer_province == hub_province) {
    return Valued("region", 0.5, Why(explain, "from the Ho Chi Minh City hub"));
  }
  return Valued("region", 0.2, Why(explain, "another region"));
}

Component TransferComponent(TransferModeSet need_modes,
                            TransferModeSet offer_modes,
                            std::vector<std::string>* flags, bool explain) {
  if (need_modes == 0) return Neutral("transfer", "any transfer mode", explain);
  if (offer_modes == 0)
    return Neutral("transfer", "offer lists no mode", explain);
  if (need_modes & offer_modes)
    return Valued("transfer", 1.0, Why(explain, "shared transfer mode"));
  flags->push_back("NO_SHARED_TRANSFER_MODE");
  return Valued("transfer", 0.0, Why(explain, "no shared transfer mode"));
}

Component FreshnessComponent(int64_t fresh_micros, int64_t now_micros,
                             bool explain) {
  if (fresh_micros <= 0 || now_micros <= 0) {
    return Neutral("freshness", "publication time unknown", explain);
  }
  double days = std::max<double>(
      0, static_cast<double>(now_micros - fresh_micros) / 86'400e6);
  return Valued("freshness", FreshnessValue(fresh_micros, now_micros),
                explain ? std::to_string(static_cast<int>(days)) + " days old"
                        : std::string());
}

namespace {

// Applies one component to the running product: its factor, and with
// `hit` its explanation (the change of the product as its contribution).
void Apply(double value, double weight, double* running, Component* explained,
           MatchHit* hit) {
  const double before = *running;
  *running = before * (1.0 - weight * (1.0 - value));
  if (hit == nullptr) return;
  explained->weight = weight;
  explained->contribution = *running - before;
  hit->components.push_back(std::move(*explained));
}

std::string Percent(double x) {
  return std::to_string(static_cast<int>(std::lround(100 * x))) + "%";
}

// The text component: its factor starts the product.
double TextFactor(double relevance, double coverage, const char* asker,
                  const MatchOptions& options, MatchHit* hit) {
  const double factor = 1.0 - options.weights.text * (1.0 - relevance);
  if (hit != nullptr) {
    Component c;
    c.name = "text";
    c.value = relevance;
    c.weight = options.weights.text;
    c.contribution = factor;
    if (options.explain) {
      char value[16];
      std::snprintf(value, sizeof value, "%.2f", relevance);
      c.detail = "covers " + Percent(coverage) + " of what the " + asker +
                 " asks for (relevance " + value + ")";
    }
    hit->components.push_back(std::move(c));
  }
  return factor;
}

}  // namespace

double PairScore(const NeedDoc& need, const OfferDoc& offer, double relevance,
                 double coverage, int64_t fresh_micros,
                 const MatchOptions& options, MatchHit* hit) {
  const Weights& w = options.weights;
  double running = TextFactor(relevance, coverage, "need", options, hit);
  if (hit == nullptr) {
    Apply(SectorValue(need.sectors, offer.sectors), w.sector, &running, nullptr,
          nullptr);
    Apply(TrlValue(need.min_trl, offer.trl), w.trl, &running, nullptr, nullptr);
    Apply(PriceValue(need.budget_max, offer.price_min, offer.price_max),
          w.price, &running, nullptr, nullptr);
    Apply(RegionValue(need.province, need.region, offer.province, offer.region,
                      options.hub_province),
          w.region, &running, nullptr, nullptr);
    Apply(TransferValue(need.transfer_modes, offer.transfer_modes), w.transfer,
          &running, nullptr, nullptr);
    Apply(FreshnessValue(fresh_micros, options.now_micros), w.freshness,
          &running, nullptr, nullptr);
    return running;
  }
  const bool explain = options.explain;
  std::vector<std::string>* flags = &hit->flags;
  Component c = SectorComponent(need.sectors, offer.sectors, explain);
  Apply(c.value, w.sector, &running, &c, hit);
  c = TrlComponent(need.min_trl, offer.trl, flags, explain);
  Apply(c.value, w.trl, &running, &c, hit);
  c = PriceComponent(need.budget_max, offer.price_min, offer.price_max, flags,
                     explain);
  Apply(c.value, w.price, &running, &c, hit);
  c = RegionComponent(need.province, need.region, offer.province, offer.region,
                      options.hub_province, explain);
  Apply(c.value, w.region, &running, &c, hit);
  c = TransferComponent(need.transfer_modes, offer.transfer_modes, flags,
                        explain);
  Apply(c.value, w.transfer, &running, &c, hit);
  c = FreshnessComponent(fresh_micros, options.now_micros, explain);
  Apply(c.value, w.freshness, &running, &c, hit);
  return running;
}

double SearchScore(double relevance, double coverage, int64_t fresh_micros,
                   const MatchOptions& options, MatchHit* hit) {
  double running = TextFactor(relevance, coverage, "query", options, hit);
  if (hit == nullptr) {
    Apply(FreshnessValue(fresh_micros, options.now_micros),
          options.weights.freshness, &running, nullptr, nullptr);
    return running;
  }
  Component c =
      FreshnessComponent(fresh_micros, options.now_micros, options.explain);
  Apply(c.value, options.weights.freshness, &running, &c, hit);
  return running;
}

}  // namespace techmatch::matching
