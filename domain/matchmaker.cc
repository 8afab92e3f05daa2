#include "domain/matchmaker.h"

#include <variant>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/decimal.h"
#include "base/status_macros.h"
#include "base/utf8.h"
#include "google/protobuf/util/time_util.h"
#include "matching/unicode_text.h"
#include "storage/resource_name.h"

namespace techmatch::domain {

namespace v1 = techmatch::v1;
using google::protobuf::util::TimeUtil;

namespace {

int64_t Micros(const google::protobuf::Timestamp& t) {
  return TimeUtil::TimestampToMicroseconds(t);
}

std::string JoinPhrases(const google::protobuf::RepeatedPtrField<std::string>& v) {
  std::string out;
  for (const auto& s : v) absl::StrAppend(&out, out.empty() ? "" : " . ", s);
  return out;
}

std::string RegionOf(const std::string& province, const ReferenceData& reference) {
  const ProvinceInfo* info = reference.FindProvince(province);
  return info == nullptr ? "" : info->region_vi;
}

uint64_t IdOf(storage::RecordKind kind, const std::string& name) {
  auto id = storage::ParseName(kind, name, "");
  return id.ok() ? *id : 0;
}

v1::MatchLabel ToProto(matching::Label label) {
  switch (label) {
    case matching::Label::kStrong:
      return v1::STRONG;
    case matching::Label::kPossible:
      return v1::POSSIBLE;
    case matching::Label::kWeak:
      return v1::WEAK;
  }
  return v1::WEAK;
}

void ToProto(const matching::MatchHit& hit, v1::MatchExplanation* out) {
  out->set_text_score(hit.text_score);
  out->set_coverage(hit.coverage);
  out->set_relevance(hit.relevance);
  for (const auto& c : hit.components) {
    v1::ScoreComponent* p = out->add_components();
    p->set_name(c.name);
    p->set_value(c.value);
    p->set_weight(c.weight);
    p->set_contribution(c.contribution);
    p->set_neutral(c.neutral);
    p->set_detail(c.detail);
  }
  for (const auto& t : hit.top_terms) {
    v1::TermShare* p = out->add_top_terms();
    p->set_term(t.term);
    p->set_share(t.share);
    p->set_via(t.via);
    p->set_matched(t.matched);
  }
  for (const auto& f : hit.flags) out->add_flags(f);
}

std::string NextToken(size_t offset, size_t returned, size_t limit,
                      size_t candidates) {
  size_t next = offset + returned;
  if (returned < limit || next >= candidates ||
      next >= static_cast<size_t>(Matchmaker::kMaxDepth)) {
    return "";
  }
  return absl::StrCat("o", next);
}

// Sets a response's best label and, when nothing is better than WEAK, its
// plain "no good match" sentence about `what` ("offer", "need", "result").
template <class Response>
void SetVerdict(const matching::MatchResult& result, const char* what,
                const char* asked, Response* response) {
  response->set_best_label(ToProto(result.best));
  if (result.best != matching::Label::kWeak) return;
  response->set_no_good_match(
      result.candidates == 0
          ? absl::StrCat("No ", what, " shares anything with what ", asked,
                         " asks for: there is no match.")
          : absl::StrCat("No good match: no ", what, " answers what ", asked,
                         " asks for (the best scores ",
                         absl::StrFormat("%.2f", result.best_score),
                         ", WEAK)."));
}

// Appends to `out` the stored records of `hits` that `shown` lets through,
// skipping any that vanished, each decoded straight into its item (on
// `out`'s arena, if any). The index may be a moment behind the catalog (a
// commit reaches the index after it is written): what a record may show is
// decided on the record read here, the version returned, not on the index's
// older view of it.
template <class T, class Item, class Shown>
absl::Status Hydrate(const storage::Catalog& catalog,
                     const std::vector<matching::MatchHit>& hits,
                     google::protobuf::RepeatedPtrField<Item>* out,
                     T* (Item::*mutable_record)(), Shown shown) {
  std::vector<uint64_t> ids;
  ids.reserve(hits.size());
  for (const auto& hit : hits) ids.push_back(hit.id);
  const int first = out->size();
  out->Reserve(out->size() + static_cast<int>(hits.size()));
  TM_RETURN_IF_ERROR(catalog.ReadMany<T>(ids, [&](size_t i) {
    Item* item = out->Add();
    item->set_score(hits[i].score);
    item->set_label(ToProto(hits[i].label));
    ToProto(hits[i], item->mutable_explanation());
    return (item->*mutable_record)();
  }));
  int kept = first;
  for (int i = first; i < out->size(); ++i) {
    if (!shown(*(out->Mutable(i)->*mutable_record)())) continue;
    if (kept != i) out->SwapElements(kept, i);
    ++kept;
  }
  out->DeleteSubrange(kept, out->size() - kept);
  return absl::OkStatus();
}

// What a match or search may show of a record read back: an offer or a
// need PUBLISHED now; a need only when it is not CONFIDENTIAL now (a match
// from a need's own side is a ranking of offers, never of needs).
bool ShownOffer(const v1::Offer& offer) {
  return offer.state() == v1::PUBLISHED;
}
bool ShownNeed(const v1::Need& need) {
  return need.state() == v1::PUBLISHED &&
         need.confidentiality() != v1::CONFIDENTIAL;
}

}  // namespace

matching::OfferDoc ToOfferDoc(const v1::Offer& offer,
                              const ReferenceData& reference) {
  matching::OfferDoc d;
  d.id = IdOf(storage::RecordKind::kOffer, offer.name());
  d.text.title = offer.title();
  d.text.keywords = JoinPhrases(offer.keywords());
  d.text.body = absl::StrCat(offer.summary(), "\n", offer.description(), "\n",
                             offer.advantages());
  d.sectors.assign(offer.sector_codes().begin(), offer.sector_codes().end());
  d.trl = offer.trl();
  if (!offer.price().negotiable()) {
    d.price_min = offer.price().min_vnd();
    d.price_max = offer.price().max_vnd();
  }
  d.province = offer.province();
  d.region = RegionOf(offer.province(), reference);
  for (int mode : offer.transfer_modes()) d.transfer_modes |= 1u << mode;
  d.fresh_micros = offer.has_publish_time() ? Micros(offer.publish_time())
                                            : Micros(offer.update_time());
  d.expire_micros = offer.has_expire_time() ? Micros(offer.expire_time()) : 0;
  d.published = offer.state() == v1::PUBLISHED;
  return d;
}

matching::NeedDoc ToNeedDoc(const v1::Need& need,
                            const ReferenceData& reference) {
  matching::NeedDoc d;
  d.id = IdOf(storage::RecordKind::kNeed, need.name());
  d.text.title = need.title();
  d.text.keywords = JoinPhrases(need.keywords());
  d.text.body = need.description();
  d.sectors.assign(need.sector_codes().begin(), need.sector_codes().end());
  d.min_trl = need.min_trl();
  if (need.has_budget_max_vnd() && need.budget_max_vnd() > 0) {
    d.budget_max = need.budget_max_vnd();
  }
  d.province = need.province();
  d.region = RegionOf(need.province(), reference);
  for (int mode : need.preferred_transfer_modes()) d.transfer_modes |= 1u << mode;
  for (int c : need.strict_constraints()) d.strict |= 1u << c;
  d.fresh_micros = need.has_publish_time() ? Micros(need.publish_time())
                                           : Micros(need.update_time());
  d.expire_micros = need.has_expire_time() ? Micros(need.expire_time()) : 0;
  d.published = need.state() == v1::PUBLISHED;
  d.confidential = need.confidentiality() == v1::CONFIDENTIAL;
  return d;
}

Matchmaker::Matchmaker(const storage::Catalog* catalog,
                       const Registry* registry, const ReferenceData* reference,
                       Clock* clock, matching::Weights defaults,
                       size_t candidate_pool)
    : catalog_(catalog),
      registry_(registry),
      reference_(reference),
      clock_(clock),
      defaults_(defaults),
      candidate_pool_(std::max<size_t>(candidate_pool, 10)),
      matcher_(matching::Bm25fParams{}, reference->lexicon()) {}

void Matchmaker::OnCommitted(const std::vector<CommittedChange>& changes) {
  for (const CommittedChange& change : changes) {
    if (const auto* offer = std::get_if<v1::Offer>(&change.record)) {
      matcher_.UpsertOffer(ToOfferDoc(*offer, *reference_));
    } else if (const auto* need = std::get_if<v1::Need>(&change.record)) {
      matcher_.UpsertNeed(ToNeedDoc(*need, *reference_));
    }
  }
  if (!changes.empty()) {
    applied_sequence_.store(changes.back().event.sequence());
  }
}

absl::StatusOr<Matchmaker::Page> Matchmaker::PageOptions(
    int page_size, const std::string& token,
    const v1::ScoreWeights* weights) const {
  if (page_size < 0) {
    return absl::InvalidArgumentError("page_size: must not be negative");
  }
  Page page;
  page.options.limit = page_size == 0 ? kDefaultPageSize
                                      : std::min(page_size, kMaxPageSize);
  if (!token.empty()) {
    uint64_t offset = 0;
    if (token[0] != 'o' || !ParseDecimal(token.substr(1), &offset) ||
        offset >= static_cast<uint64_t>(kMaxDepth)) {
      return absl::InvalidArgumentError(
          "page_token: is not a token this server issued");
    }
    page.offset = offset;
  }
  page.options.offset = page.offset;
  page.options.weights = defaults_;
  page.options.candidate_pool = candidate_pool_;
  page.options.now_micros = absl::ToUnixMicros(clock_->Now());
  if (weights != nullptr) {
    matching::Weights& w = page.options.weights;
    struct Override {
      const char* name;
      bool has;
      double value;
      double* target;
    } overrides[] = {
        {"text", weights->has_text(), weights->text(), &w.text},
        {"sector", weights->has_sector(), weights->sector(), &w.sector},
        {"trl", weights->has_trl(), weights->trl(), &w.trl},
        {"price", weights->has_price(), weights->price(), &w.price},
        {"region", weights->has_region(), weights->region(), &w.region},
        {"transfer", weights->has_transfer(), weights->transfer(), &w.transfer},
        {"freshness", weights->has_freshness(), weights->freshness(), &w.freshness},
    };
    for (const Override& o : overrides) {
      if (!o.has) continue;
      if (!(o.value >= 0 && o.value <= 1)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "weights.", o.name,
            ": must be in [0, 1] (how far the component can lower a score)"));
      }
      *o.target = o.value;
    }
  }
  return page;
}

absl::StatusOr<matching::SearchFilters> Matchmaker::Filters(
    const v1::SearchFilter& filter) const {
  matching::SearchFilters out;
  if (!filter.sector_code().empty()) {
    if (reference_->FindSector(filter.sector_code()) == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("filter.sector_code: unknown sector code \"",
                       Echo(filter.sector_code(), 40), "\""));
    }
    out.sector_prefix = filter.sector_code();
  }
  if (!filter.province().empty()) {
    const ProvinceInfo* info = reference_->ResolveProvince(filter.province());
    if (info == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("filter.province: unknown province \"",
                       Echo(filter.province(), 80), "\""));
    }
    out.province = info->code;
  }
  if (!filter.region().empty()) {
    std::string key = text::LookupKey(filter.region());
    for (const ProvinceInfo& p : reference_->provinces()) {
      if (text::LookupKey(p.region_vi) == key || text::LookupKey(p.region_en) == key) {
        out.region = p.region_vi;
        break;
      }
    }
    if (out.region.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "filter.region: unknown region \"", Echo(filter.region(), 80), "\""));
    }
  }
  if (filter.trl_min() < 0 || filter.trl_min() > 9 || filter.trl_max() < 0 ||
      filter.trl_max() > 9 ||
      (filter.trl_max() > 0 && filter.trl_min() > filter.trl_max())) {
    return absl::InvalidArgumentError(
        "filter.trl_min/trl_max: must be within 1-9 with min <= max");
  }
  out.trl_min = filter.trl_min();
  out.trl_max = filter.trl_max();
  for (int mode : filter.transfer_modes()) {
    if (!v1::TransferMode_IsValid(mode) || mode == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("filter.transfer_modes: unknown value ", mode));
    }
    out.transfer_modes |= 1u << mode;
  }
  if (filter.price_ceiling_vnd() < 0) {
    return absl::InvalidArgumentError(
        "filter.price_ceiling_vnd: must not be negative");
  }
  out.price_ceiling = filter.price_ceiling_vnd();
  return out;
}

absl::StatusOr<Matchmaker::SearchSetup> Matchmaker::PrepareSearch(
    const v1::SearchRequest& request) const {
  if (request.query().size() > 2000 || !text::IsValidUtf8(request.query())) {
    return absl::InvalidArgumentError(
        "query: must be valid UTF-8 of at most 2000 bytes");
  }
  SearchSetup setup;
  TM_ASSIGN_OR_RETURN(setup.page,
                      PageOptions(request.page_size(), request.page_token(), nullptr));
  TM_ASSIGN_OR_RETURN(setup.filters, Filters(request.filter()));
  // A search scores text relevance, with freshness to order near ties.
  setup.page.options.weights =
      matching::Weights{1, 0, 0, 0, 0, 0, defaults_.freshness};
  return setup;
}

absl::Status Matchmaker::OffersForNeed(
    const Caller& caller, const v1::MatchOffersForNeedRequest& request,
    v1::MatchOffersForNeedResponse* response) const {
  TM_ASSIGN_OR_RETURN(uint64_t id, storage::ParseName(storage::RecordKind::kNeed,
                                                      request.need(), "need"));
  TM_ASSIGN_OR_RETURN(Page page, PageOptions(request.page_size(), request.page_token(),
                                             request.has_weights() ? &request.weights()
                                                                   : nullptr));
  TM_ASSIGN_OR_RETURN(
      v1::Need need,
      registry_->GetNeed(caller,
                         storage::MakeName(storage::RecordKind::kNeed, id)));
  matching::MatchResult result =
      matcher_.OffersForNeed(ToNeedDoc(need, *reference_), page.options);
  TM_RETURN_IF_ERROR(Hydrate<v1::Offer>(*catalog_, result.hits,
                                        response->mutable_matches(),
                                        &v1::OfferMatch::mutable_offer,
                                        ShownOffer));
  for (auto& t : result.query_terms) response->add_query_terms(std::move(t));
  SetVerdict(result, "offer", "the need", response);
  response->set_next_page_token(NextToken(
      page.offset, result.hits.size(), page.options.limit, result.candidates));
  return absl::OkStatus();
}

std::vector<std::pair<uint64_t, double>> Matchmaker::NeedCandidates(
    const v1::Offer& offer, double min_score) const {
  std::vector<std::pair<uint64_t, double>> out;
  absl::StatusOr<Page> page = PageOptions(kMaxPageSize, "", nullptr);
  if (!page.ok()) return out;
  page->options.explain = false;
  page->options.include_confidential = true;
  page->options.limit = kMaxDepth;
  page->options.min_score = min_score;
  for (const auto& hit :
       matcher_.NeedsForOffer(ToOfferDoc(offer, *reference_), page->options)
           .hits) {
    out.emplace_back(hit.id, hit.score);
  }
  return out;
}

std::vector<std::pair<uint64_t, double>> Matchmaker::OfferCandidates(
    const v1::Need& need, double min_score) const {
  std::vector<std::pair<uint64_t, double>> out;
  absl::StatusOr<Page> page = PageOptions(kMaxPageSize, "", nullptr);
  if (!page.ok()) return out;
  page->options.explain = false;
  page->options.limit = kMaxDepth;
  page->options.min_score = min_score;
  for (const auto& hit :
       matcher_.OffersForNeed(ToNeedDoc(need, *reference_), page->options)
           .hits) {
    out.emplace_back(hit.id, hit.score);
  }
  return out;
}

v1::MatchLabel Matchmaker::LabelOf(double score) const {
  return ToProto(matching::LabelOf(score, matcher_.relevance()));
}

absl::StatusOr<v1::OfferMatch> Matchmaker::ScorePair(
    const v1::Need& need, const v1::Offer& offer) const {
  TM_ASSIGN_OR_RETURN(
      uint64_t id,
      storage::ParseName(storage::RecordKind::kOffer, offer.name(), "offer"));
  TM_ASSIGN_OR_RETURN(Page page, PageOptions(1, "", nullptr));
  std::optional<matching::MatchHit> hit =
      matcher_.ExplainPair(ToNeedDoc(need, *reference_), id, page.options);
  if (!hit.has_value()) {
    return absl::NotFoundError(
        absl::StrCat(offer.name(), " is not in the match index"));
  }
  v1::OfferMatch out;
  *out.mutable_offer() = offer;
  out.set_score(hit->score);
  out.set_label(ToProto(hit->label));
  ToProto(*hit, out.mutable_explanation());
  return out;
}

absl::Status Matchmaker::NeedsForOffer(
    const Caller& caller, const v1::MatchNeedsForOfferRequest& request,
    v1::MatchNeedsForOfferResponse* response) const {
  TM_ASSIGN_OR_RETURN(uint64_t id, storage::ParseName(storage::RecordKind::kOffer,
                                                      request.offer(), "offer"));
  TM_ASSIGN_OR_RETURN(Page page, PageOptions(request.page_size(), request.page_token(),
                                             request.has_weights() ? &request.weights()
                                                                   : nullptr));
  TM_ASSIGN_OR_RETURN(
      v1::Offer offer,
      registry_->GetOffer(caller,
                          storage::MakeName(storage::RecordKind::kOffer, id)));
  matching::MatchResult result =
      matcher_.NeedsForOffer(ToOfferDoc(offer, *reference_), page.options);
  TM_RETURN_IF_ERROR(Hydrate<v1::Need>(*catalog_, result.hits,
                                       response->mutable_matches(),
                                       &v1::NeedMatch::mutable_need,
                                       ShownNeed));
  for (auto& t : result.query_terms) response->add_query_terms(std::move(t));
  SetVerdict(result, "published need", "the offer", response);
  response->set_next_page_token(NextToken(
      page.offset, result.hits.size(), page.options.limit, result.candidates));
  return absl::OkStatus();
}

absl::Status Matchmaker::SearchOffers(
    const v1::SearchRequest& request,
    v1::SearchOffersResponse* response) const {
  TM_ASSIGN_OR_RETURN(SearchSetup setup, PrepareSearch(request));
  Page& page = setup.page;
  const matching::SearchFilters& filters = setup.filters;
  matching::MatchResult result =
      matcher_.SearchOffers(request.query(), filters, page.options);
  TM_RETURN_IF_ERROR(Hydrate<v1::Offer>(*catalog_, result.hits,
                                        response->mutable_results(),
                                        &v1::OfferMatch::mutable_offer,
                                        ShownOffer));
  SetVerdict(result, "offer", "the query", response);
  response->set_next_page_token(NextToken(
      page.offset, result.hits.size(), page.options.limit, result.candidates));
  return absl::OkStatus();
}

absl::Status Matchmaker::SearchNeeds(const v1::SearchRequest& request,
                                     v1::SearchNeedsResponse* response) const {
  TM_ASSIGN_OR_RETURN(SearchSetup setup, PrepareSearch(request));
  Page& page = setup.page;
  const matching::SearchFilters& filters = setup.filters;
  matching::MatchResult result =
      matcher_.SearchNeeds(request.query(), filters, page.options);
  TM_RETURN_IF_ERROR(Hydrate<v1::Need>(*catalog_, result.hits,
                                       response->mutable_results(),
                                       &v1::NeedMatch::mutable_need,
                                       ShownNeed));
  SetVerdict(result, "need", "the query", response);
  response->set_next_page_token(NextToken(
      page.offset, result.hits.size(), page.options.limit, result.candidates));
  return absl::OkStatus();
}

}  // namespace techmatch::domain
