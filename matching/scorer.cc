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

}  // namespace

Component SectorComponent(const std::vector<std::string>& need_sectors,
                          const std::vector<std::string>& offer_sectors,
                          bool explain) {
  if (need_sectors.empty() || offer_sectors.empty()) {
    return Neutral("sector", "sector unknown on one side", explain);
  }
  double best = 0;
  std::string why = Why(explain, "different fields");
  for (const auto& a : need_sectors) {
    for (const auto& b : offer_sectors) {
      double v = 0;
      std::string reason;
      if (a == b) {
        v = 1.0;
        if (explain) reason = "same field " + a;
      } else if (a.size() < b.size() ? b.compare(0, a.size(), a) == 0
                                     : a.compare(0, b.size(), b) == 0) {
        v = 0.6;
        if (explain) reason = "field " + a + " contains " + b;
      } else if (!a.empty() && !b.empty() && a[0] == b[0]) {
        v = 0.3;
        if (explain) reason = "same top-level field " + a.substr(0, 1);
      }
      if (v > best) {
        best = v;
        why = std::move(reason);
      }
    }
  }
  return Valued("sector", best, why);
}

Component TrlComponent(int min_trl, int offer_trl,
                       std::vector<std::string>* flags, bool explain) {
  if (min_trl <= 0) return Neutral("trl", "no minimum TRL", explain);
  if (offer_trl <= 0) return Neutral("trl", "offer TRL unknown", explain);
  std::string detail = explain ? "TRL " + std::to_string(offer_trl) +
                                     " vs minimum " + std::to_string(min_trl)
                               : std::string();
  int gap = min_trl - offer_trl;
  if (gap <= 0) return Valued("trl", 1.0, detail);
  flags->push_back("BELOW_MIN_TRL");
  if (gap == 1) {
    flags->push_back("NEAR_MISS_TRL");
    return Valued("trl", 0.5, explain ? detail + " (one level short)" : detail);
  }
  return Valued("trl", gap == 2 ? 0.15 : 0.0, detail);
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
  if (high <= *budget) return Valued("price", 1.0, detail);
  if (low <= *budget) {
    return Valued("price", 0.75,
                  explain ? detail + " (partly within)" : detail);
  }
  flags->push_back("OVER_BUDGET");
  double overrun =
      static_cast<double>(low) / static_cast<double>(*budget) - 1.0;
  return Valued("price", 0.5 * std::exp(-3.0 * overrun), detail);
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
  return Valued("freshness", std::pow(0.5, days / 365.0),
                explain ? std::to_string(static_cast<int>(days)) + " days old"
                        : std::string());
}

}  // namespace techmatch::matching
