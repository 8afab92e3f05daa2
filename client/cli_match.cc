// techmatch match, search and alerts (see cli_internal.h).
#include "client/cli_internal.h"

namespace techmatch::client::internal {

namespace {

// Title, province and state of either kind of record.
const v1::Offer& RecordOf(const v1::OfferMatch& m) { return m.offer(); }
const v1::Need& RecordOf(const v1::NeedMatch& m) { return m.need(); }

// "nước thải" 42%, or "wastewater" 30% (glossary: nước thải).
std::string MatchedTerm(const v1::TermShare& t) {
  std::string out = absl::StrCat("\"", t.term(), "\" ", Percent(t.share()));
  if (!t.via().empty()) {
    absl::StrAppend(&out, " (", t.via(),
                    t.matched().empty() ? "" : absl::StrCat(": ", t.matched()),
                    ")");
  }
  return out;
}

}  // namespace

template <class Item>
void Cli::PrintMatches(const google::protobuf::RepeatedPtrField<Item>& items,
                       const std::string& next_token,
                       const std::string& no_good_match) {
  bool explain = args_.flags.count("explain") > 0;
  if (!explain) {
    Table table({"#", "score", "label", "name", "title", "province", "flags"});
    int rank = 0;
    for (const Item& m : items) {
      const auto& r = RecordOf(m);
      table.AddRow({absl::StrCat(++rank), Fixed(m.score()),
                    LabelName(m.label()), r.name(), r.title(),
                    r.province_name(),
                    absl::StrJoin(m.explanation().flags(), ",")});
    }
    table.Print(out());
  } else {
    int rank = 0;
    for (const Item& m : items) {
      const auto& r = RecordOf(m);
      out() << "#" << ++rank << "  " << Fixed(m.score()) << "  "
            << LabelName(m.label()) << "  " << r.name() << "  " << r.title()
            << "\n";
      if (!r.province_name().empty())
        out() << "    province: " << r.province_name() << "\n";
      if (m.explanation().flags_size() > 0) {
        out() << "    flags: " << absl::StrJoin(m.explanation().flags(), ", ")
              << "\n";
      }
      Table table({"component", "value", "weight", "contribution", "why"});
      for (const auto& c : m.explanation().components()) {
        table.AddRow({c.name(),
                      Fixed(c.value()) + (c.neutral() ? " (neutral)" : ""),
                      Fixed(c.weight()), Fixed(c.contribution()), c.detail()});
      }
      std::ostringstream block;
      table.Print(block, 70);
      std::istringstream lines(block.str());
      for (std::string line; std::getline(lines, line);)
        out() << "    " << line << "\n";
      std::vector<std::string> terms;
      for (const auto& t : m.explanation().top_terms())
        terms.push_back(MatchedTerm(t));
      if (!terms.empty())
        out() << "    matched: " << absl::StrJoin(terms, ", ") << "\n";
      out() << "\n";
    }
  }
  if (items.empty()) out() << "(no matches)\n";
  if (!no_good_match.empty()) out() << no_good_match << "\n";
  if (!next_token.empty())
    out() << "next page: --page-token=" << next_token << "\n";
}

namespace {

bool ParseWeightsArg(const std::string& text, v1::ScoreWeights* w) {
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(item, '=');
    double value = 0;
    if (!absl::SimpleAtod(kv.second, &value)) return false;
    if (kv.first == "text")
      w->set_text(value);
    else if (kv.first == "sector")
      w->set_sector(value);
    else if (kv.first == "trl")
      w->set_trl(value);
    else if (kv.first == "price")
      w->set_price(value);
    else if (kv.first == "region")
      w->set_region(value);
    else if (kv.first == "transfer")
      w->set_transfer(value);
    else if (kv.first == "freshness")
      w->set_freshness(value);
    else
      return false;
  }
  return true;
}

}  // namespace

int Cli::RunMatch() {
  const auto& pos = args_.positional;
  if (pos.size() != 3 || (pos[1] != "need" && pos[1] != "offer")) {
    return Usage("match wants need NAME or offer NAME");
  }
  int page_size = 10;
  if (!args_.Get("page-size").empty() &&
      !absl::SimpleAtoi(args_.Get("page-size"), &page_size)) {
    return Usage("--page-size wants an integer");
  }
  v1::ScoreWeights weights;
  if (!ParseWeightsArg(args_.Get("weights"), &weights)) {
    return Usage(
        "--weights wants name=value,... with values in [0, 1] (text, sector, "
        "trl, price, "
        "region, transfer, freshness)");
  }
  auto stub = v1::MatchService::NewStub(channel());
  auto context = NewContext();
  if (pos[1] == "need") {
    v1::MatchOffersForNeedRequest request;
    request.set_need(Normalized("needs", pos[2]));
    request.set_page_size(page_size);
    request.set_page_token(args_.Get("page-token"));
    if (weights.ByteSizeLong() > 0) *request.mutable_weights() = weights;
    v1::MatchOffersForNeedResponse response;
    grpc::Status status =
        stub->MatchOffersForNeed(context.get(), request, &response);
    if (!status.ok()) return Fail(status, "match need");
    if (json()) return PrintJson(response, true), 0;
    PrintMatches(response.matches(), response.next_page_token(),
                 response.no_good_match());
    return 0;
  }
  v1::MatchNeedsForOfferRequest request;
  request.set_offer(Normalized("offers", pos[2]));
  request.set_page_size(page_size);
  request.set_page_token(args_.Get("page-token"));
  if (weights.ByteSizeLong() > 0) *request.mutable_weights() = weights;
  v1::MatchNeedsForOfferResponse response;
  grpc::Status status =
      stub->MatchNeedsForOffer(context.get(), request, &response);
  if (!status.ok()) return Fail(status, "match offer");
  if (json()) return PrintJson(response, true), 0;
  PrintMatches(response.matches(), response.next_page_token(),
               response.no_good_match());
  return 0;
}

int Cli::RunSearch() {
  const auto& pos = args_.positional;
  if (pos.size() != 3 || (pos[1] != "offers" && pos[1] != "needs")) {
    return Usage("search wants offers \"TEXT\" or needs \"TEXT\"");
  }
  v1::SearchRequest request;
  request.set_query(pos[2]);
  int page_size = 10, trl_min = 0, trl_max = 0;
  int64_t ceiling = 0;
  if ((!args_.Get("page-size").empty() &&
       !absl::SimpleAtoi(args_.Get("page-size"), &page_size)) ||
      (!args_.Get("trl-min").empty() &&
       !absl::SimpleAtoi(args_.Get("trl-min"), &trl_min)) ||
      (!args_.Get("trl-max").empty() &&
       !absl::SimpleAtoi(args_.Get("trl-max"), &trl_max)) ||
      (!args_.Get("price-ceiling").empty() &&
       !absl::SimpleAtoi(args_.Get("price-ceiling"), &ceiling))) {
    return Usage(
        "--page-size, --trl-min, --trl-max and --price-ceiling want integers");
  }
  request.set_page_size(page_size);
  request.set_page_token(args_.Get("page-token"));
  v1::SearchFilter* filter = request.mutable_filter();
  filter->set_sector_code(args_.Get("sector"));
  filter->set_province(args_.Get("province"));
  filter->set_region(args_.Get("region"));
  filter->set_trl_min(trl_min);
  filter->set_trl_max(trl_max);
  filter->set_price_ceiling_vnd(ceiling);
  for (absl::string_view mode :
       absl::StrSplit(args_.Get("modes"), ',', absl::SkipEmpty())) {
    v1::TransferMode value;
    if (!v1::TransferMode_Parse(std::string(mode), &value)) {
      return Usage(absl::StrCat("unknown transfer mode ", mode));
    }
    filter->add_transfer_modes(value);
  }
  auto stub = v1::MatchService::NewStub(channel());
  auto context = NewContext();
  if (pos[1] == "offers") {
    v1::SearchOffersResponse response;
    grpc::Status status = stub->SearchOffers(context.get(), request, &response);
    if (!status.ok()) return Fail(status, "search offers");
    if (json()) return PrintJson(response, true), 0;
    PrintMatches(response.results(), response.next_page_token(),
                 response.no_good_match());
    return 0;
  }
  v1::SearchNeedsResponse response;
  grpc::Status status = stub->SearchNeeds(context.get(), request, &response);
  if (!status.ok()) return Fail(status, "search needs");
  if (json()) return PrintJson(response, true), 0;
  PrintMatches(response.results(), response.next_page_token(),
               response.no_good_match());
  return 0;
}

int Cli::RunAlerts() {
  const auto& pos = args_.positional;
  if (pos.size() < 2) return Usage("alerts wants pull or watch");
  auto stub = v1::AlertService::NewStub(channel());
  auto print = [&](const v1::Alert& a) {
    if (json()) return PrintJson(a, false);
    out() << "#" << a.sequence() << "  " << TimeUtil::ToString(a.create_time())
          << "  to " << a.recipient() << "  "
          << (a.kind() == v1::Alert::OFFER_FOR_NEED ? "offer for your need"
                                                    : "need for your offer")
          << "  score " << absl::StrFormat("%.3f", a.score())
          << " >= " << absl::StrFormat("%.2f", a.threshold())
          << (a.label() == v1::MATCH_LABEL_UNSPECIFIED
                  ? ""
                  : absl::StrCat(" ", LabelName(a.label())))
          << "\n    " << a.need() << "  " << a.need_title() << "\n    "
          << a.offer() << "  " << a.offer_title() << "\n";
  };
  if (pos[1] == "pull") {
    auto context = NewContext();
    v1::PullAlertsResponse response;
    grpc::Status status = stub->PullAlerts(context.get(), {}, &response);
    if (!status.ok()) return Fail(status, "alerts pull");
    for (const auto& a : response.alerts()) print(a);
    if (!json()) {
      out() << response.alerts_size()
            << " new alert(s) since the last pull (cursor "
            << response.previous_cursor() << " -> " << response.cursor()
            << ")\n";
    }
    return 0;
  }
  if (pos[1] == "watch") {
    v1::WatchAlertsRequest request;
    uint64_t after = 0;
    if (!args_.Get("after").empty() &&
        !absl::SimpleAtoi(args_.Get("after"), &after)) {
      return Usage("--after wants an alert sequence number");
    }
    request.set_after_sequence(after);
    request.set_follow(args_.flags.count("follow") > 0);
    auto context = NewContext(/*streaming=*/true);
    auto reader = stub->WatchAlerts(context.get(), request);
    v1::Alert alert;
    while (reader->Read(&alert)) {
      print(alert);
      out().flush();
    }
    grpc::Status status = reader->Finish();
    if (!status.ok()) return Fail(status, "alerts watch");
    return 0;
  }
  return Usage("alerts wants pull or watch");
}

}  // namespace techmatch::client::internal
