#include "domain/reporter.h"

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "google/protobuf/util/time_util.h"
#include "storage/resource_name.h"

namespace techmatch::domain {

namespace v1 = techmatch::v1;
using google::protobuf::util::TimeUtil;
using GroupBy = v1::ReportRequest::GroupBy;

namespace {

constexpr double kMicrosPerDay = 86400e6;

int64_t Micros(const google::protobuf::Timestamp& t) {
  return TimeUtil::TimestampToMicroseconds(t);
}

// A row being summed, with the need-to-agreement delays of its agreements.
struct Acc {
  v1::ReportRow row;
  std::map<int, uint64_t> by_state;
  std::vector<double> delays_days;

  void Finish() {
    for (const auto& [state, n] : by_state) {
      v1::StateCount* c = row.add_connections_by_state();
      c->set_state(static_cast<v1::Connection::State>(state));
      c->set_count(n);
    }
    if (!delays_days.empty()) {
      std::sort(delays_days.begin(), delays_days.end());
      size_t n = delays_days.size();
      row.set_median_days_need_to_agreement(
          n % 2 == 1 ? delays_days[n / 2]
                     : (delays_days[n / 2 - 1] + delays_days[n / 2]) / 2);
    }
  }
};

}  // namespace

absl::StatusOr<v1::Report> Reporter::Build(
    const v1::ReportRequest& request) const {
  const int64_t from = request.has_from() ? Micros(request.from()) : INT64_MIN;
  const int64_t to = request.has_to() ? Micros(request.to())
                                      : absl::ToUnixMicros(clock_->Now()) + 1;
  if (from >= to) return absl::InvalidArgumentError("to: must be after from");
  GroupBy group_by =
      request.group_by() == v1::ReportRequest::GROUP_BY_UNSPECIFIED
          ? v1::ReportRequest::PROVINCE
          : request.group_by();
  if (!v1::ReportRequest::GroupBy_IsValid(group_by)) {
    return absl::InvalidArgumentError("group_by: unknown value");
  }
  auto in = [&](const google::protobuf::Timestamp& t) {
    int64_t m = Micros(t);
    return m >= from && m < to;
  };

  // Organisations: province and broker (parent, else itself) and names.
  std::map<std::string, v1::Organization> orgs;
  TM_RETURN_IF_ERROR(
      catalog_->Scan<v1::Organization>(0, [&](const v1::Organization& o) {
        orgs[o.name()] = o;
        return true;
      }));
  auto org_province = [&](const std::string& name) -> std::string {
    auto it = orgs.find(name);
    return it == orgs.end() ? "" : it->second.province();
  };
  auto broker_of = [&](const std::string& name) -> std::string {
    auto it = orgs.find(name);
    return it == orgs.end() || it->second.parent().empty()
               ? name
               : it->second.parent();
  };
  auto top_sector =
      [&](const google::protobuf::RepeatedPtrField<std::string>& codes) {
        if (codes.empty()) return std::string("-");
        const SectorInfo* s = reference_->FindSector(codes[0]);
        while (s != nullptr && !s->parent_code.empty())
          s = reference_->FindSector(s->parent_code);
        return s == nullptr ? codes[0] : s->code;
      };
  auto region_of = [&](const std::string& province) -> std::string {
    const ProvinceInfo* p = reference_->FindProvince(province);
    return p == nullptr ? "-" : p->region_vi;
  };
  auto group = [&](const std::string& province, const std::string& sector,
                   const std::string& broker) -> std::string {
    switch (group_by) {
      case v1::ReportRequest::REGION:
        return region_of(province);
      case v1::ReportRequest::SECTOR:
        return sector;
      case v1::ReportRequest::ORGANIZATION:
        return broker.empty() ? "-" : broker;
      default:
        return province.empty() ? "-" : province;
    }
  };

  std::map<std::string, Acc> rows;
  Acc total;
  auto add = [&](const std::string& key, auto apply) {
    apply(rows[key]);
    apply(total);
  };

  TM_RETURN_IF_ERROR(catalog_->Scan<v1::Offer>(0, [&](const v1::Offer& o) {
    std::string province =
        o.province().empty() ? org_province(o.owner()) : o.province();
    std::string key =
        group(province, top_sector(o.sector_codes()), broker_of(o.owner()));
    bool registered = in(o.create_time());
    bool published = o.has_publish_time() && in(o.publish_time());
    if (registered || published) {
      add(key, [&](Acc& a) {
        a.row.set_offers_registered(a.row.offers_registered() + registered);
        a.row.set_offers_published(a.row.offers_published() + published);
      });
    }
    return true;
  }));
  std::map<std::string, v1::Need>
      needs;  // for connections: province, sector, creation
  TM_RETURN_IF_ERROR(catalog_->Scan<v1::Need>(0, [&](const v1::Need& n) {
    std::string province =
        n.province().empty() ? org_province(n.enterprise()) : n.province();
    std::string broker = n.centre().empty() ? n.enterprise() : n.centre();
    std::string key = group(province, top_sector(n.sector_codes()), broker);
    bool registered = in(n.create_time());
    bool published = n.has_publish_time() && in(n.publish_time());
    if (registered || published) {
      add(key, [&](Acc& a) {
        a.row.set_needs_registered(a.row.needs_registered() + registered);
        a.row.set_needs_published(a.row.needs_published() + published);
      });
    }
    v1::Need& kept = needs[n.name()];
    kept.set_province(province);
    *kept.mutable_sector_codes() = n.sector_codes();
    *kept.mutable_create_time() = n.create_time();
    return true;
  }));
  TM_RETURN_IF_ERROR(
      catalog_->Scan<v1::Connection>(0, [&](const v1::Connection& c) {
        const v1::Need& need = needs[c.need()];
        std::vector<std::string> keys;
        if (group_by == v1::ReportRequest::ORGANIZATION) {
          keys.push_back(c.need_broker().empty() ? "-" : c.need_broker());
          if (c.offer_broker() != c.need_broker()) {
            keys.push_back(c.offer_broker().empty() ? "-" : c.offer_broker());
          }
        } else {
          keys.push_back(
              group(need.province(), top_sector(need.sector_codes()), ""));
        }
        bool created = in(c.create_time());
        bool signed_in_period =
            c.has_agreement() && in(c.agreement().signed_time());
        if (!created && !signed_in_period) return true;
        double delay =
            signed_in_period && need.has_create_time()
                ? std::max<double>(0, (Micros(c.agreement().signed_time()) -
                                       Micros(need.create_time())) /
                                          kMicrosPerDay)
                : 0;
        auto apply = [&](Acc& a) {
          if (created) {
            a.row.set_connections_created(a.row.connections_created() + 1);
            a.row.set_matches_suggested(a.row.matches_suggested() +
                                        (c.origin() == v1::Connection::MATCH));
            ++a.by_state[c.state()];
          }
          if (signed_in_period) {
            a.row.set_agreements_signed(a.row.agreements_signed() + 1);
            a.row.set_agreement_value_vnd(a.row.agreement_value_vnd() +
                                          c.agreement().value_vnd());
            a.delays_days.push_back(delay);
          }
        };
        for (const std::string& key : keys) apply(rows[key]);
        apply(total);
        return true;
      }));

  v1::Report report;
  if (request.has_from()) *report.mutable_from() = request.from();
  *report.mutable_to() = TimeUtil::MicrosecondsToTimestamp(to);
  report.set_group_by(group_by);
  for (auto& [key, acc] : rows) {
    acc.Finish();
    acc.row.set_key(key);
    std::string label = key;
    if (group_by == v1::ReportRequest::PROVINCE) {
      if (const ProvinceInfo* p = reference_->FindProvince(key))
        label = p->name;
    } else if (group_by == v1::ReportRequest::SECTOR) {
      if (const SectorInfo* s = reference_->FindSector(key)) label = s->name_vi;
    } else if (group_by == v1::ReportRequest::ORGANIZATION) {
      auto it = orgs.find(key);
      if (it != orgs.end()) label = it->second.display_name();
    }
    acc.row.set_label(label);
    *report.add_rows() = std::move(acc.row);
  }
  total.Finish();
  total.row.set_key("total");
  total.row.set_label("Tổng cộng");
  *report.mutable_total() = std::move(total.row);
  return report;
}

}  // namespace techmatch::domain
