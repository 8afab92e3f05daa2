// techmatch org / offer / need: create, get, update, upsert, publish, withdraw,
// list, import, export (see cli_internal.h).
#include "client/cli_internal.h"

namespace techmatch::client::internal {

template <class ListRequest>
std::optional<std::string> UpdatedSinceFilter(const Args& a, ListRequest* q) {
  if (!a.Get("updated-since").empty() &&
      !ParseTimestamp(a.Get("updated-since"), q->mutable_updated_since())) {
    return "--updated-since wants an RFC 3339 time";
  }
  return std::nullopt;
}

// The filters offers and needs share: --state, --sector, --province,
// --updated-since.
template <class ListRequest>
std::optional<std::string> PublishableFilters(const Args& a, ListRequest* q) {
  if (!a.Get("state").empty()) {
    v1::State state;
    if (!v1::State_Parse(a.Get("state"), &state)) return "unknown --state";
    q->set_state(state);
  }
  q->set_sector_code(a.Get("sector"));
  q->set_province(a.Get("province"));
  return UpdatedSinceFilter(a, q);
}

struct OrgTraits {
  using Record = v1::Organization;
  using Service = v1::OrganizationService;
  using ImportRequest = v1::ImportOrganizationsRequest;
  using ListRequest = v1::ListOrganizationsRequest;
  static constexpr const char* kCollection = "organizations";
  static constexpr bool kPublishable = false;

  static grpc::Status Create(Service::Stub& s, grpc::ClientContext* c,
                             const Record& r, Record* out) {
    v1::CreateOrganizationRequest q;
    *q.mutable_organization() = r;
    return s.CreateOrganization(c, q, out);
  }
  static grpc::Status Get(Service::Stub& s, grpc::ClientContext* c,
                          const std::string& name, Record* out) {
    v1::GetRequest q;
    q.set_name(name);
    return s.GetOrganization(c, q, out);
  }
  static grpc::Status Update(Service::Stub& s, grpc::ClientContext* c,
                             const Record& r,
                             const google::protobuf::FieldMask& mask,
                             Record* out) {
    v1::UpdateOrganizationRequest q;
    *q.mutable_organization() = r;
    *q.mutable_update_mask() = mask;
    return s.UpdateOrganization(c, q, out);
  }
  static grpc::Status Upsert(Service::Stub& s, grpc::ClientContext* c,
                             const Record& r, Record* out,
                             v1::ImportResult::Outcome* outcome) {
    v1::UpsertOrganizationRequest q;
    *q.mutable_organization() = r;
    v1::UpsertOrganizationResponse response;
    grpc::Status status = s.UpsertOrganization(c, q, &response);
    *out = response.organization();
    *outcome = response.outcome();
    return status;
  }
  static std::optional<std::string> Filters(const Args& a, ListRequest* q) {
    if (!a.Get("kind").empty()) {
      Record::Kind kind;
      if (!Record::Kind_Parse(a.Get("kind"), &kind)) return "unknown --kind";
      q->set_kind(kind);
    }
    q->set_parent(Normalized(kCollection, a.Get("parent")));
    q->set_province(a.Get("province"));
    return UpdatedSinceFilter(a, q);
  }
  static grpc::Status List(Service::Stub& s, grpc::ClientContext* c,
                           const ListRequest& q, std::vector<Record>* out,
                           std::string* next) {
    v1::ListOrganizationsResponse response;
    grpc::Status status = s.ListOrganizations(c, q, &response);
    out->assign(response.organizations().begin(),
                response.organizations().end());
    *next = response.next_page_token();
    return status;
  }
  static auto Import(Service::Stub& s, grpc::ClientContext* c) {
    return s.ImportOrganizations(c);
  }
  static void Add(ImportRequest* q, Record r) {
    *q->add_organizations() = std::move(r);
  }
  static Table NewTable() {
    return Table({"name", "kind", "display_name", "province", "parent"});
  }
  static void AddRow(Table* t, const Record& r) {
    t->AddRow({r.name(), Record::Kind_Name(r.kind()), r.display_name(),
               r.province_name(), r.parent()});
  }
};

struct OfferTraits {
  using Record = v1::Offer;
  using Service = v1::OfferService;
  using ImportRequest = v1::ImportOffersRequest;
  using ListRequest = v1::ListOffersRequest;
  static constexpr const char* kCollection = "offers";
  static constexpr bool kPublishable = true;

  static grpc::Status Create(Service::Stub& s, grpc::ClientContext* c,
                             const Record& r, Record* out) {
    v1::CreateOfferRequest q;
    *q.mutable_offer() = r;
    return s.CreateOffer(c, q, out);
  }
  static grpc::Status Get(Service::Stub& s, grpc::ClientContext* c,
                          const std::string& name, Record* out) {
    v1::GetRequest q;
    q.set_name(name);
    return s.GetOffer(c, q, out);
  }
  static grpc::Status Update(Service::Stub& s, grpc::ClientContext* c,
                             const Record& r,
                             const google::protobuf::FieldMask& mask,
                             Record* out) {
    v1::UpdateOfferRequest q;
    *q.mutable_offer() = r;
    *q.mutable_update_mask() = mask;
    return s.UpdateOffer(c, q, out);
  }
  static grpc::Status Upsert(Service::Stub& s, grpc::ClientContext* c,
                             const Record& r, Record* out,
                             v1::ImportResult::Outcome* outcome) {
    v1::UpsertOfferRequest q;
    *q.mutable_offer() = r;
    v1::UpsertOfferResponse response;
    grpc::Status status = s.UpsertOffer(c, q, &response);
    *out = response.offer();
    *outcome = response.outcome();
    return status;
  }
  static grpc::Status Publish(Service::Stub& s, grpc::ClientContext* c,
                              const v1::PublishRequest& q, Record* out) {
    return s.PublishOffer(c, q, out);
  }
  static grpc::Status Withdraw(Service::Stub& s, grpc::ClientContext* c,
                               const v1::WithdrawRequest& q, Record* out) {
    return s.WithdrawOffer(c, q, out);
  }
  static std::optional<std::string> Filters(const Args& a, ListRequest* q) {
    q->set_owner(Normalized("organizations", a.Get("owner")));
    return PublishableFilters(a, q);
  }
  static grpc::Status List(Service::Stub& s, grpc::ClientContext* c,
                           const ListRequest& q, std::vector<Record>* out,
                           std::string* next) {
    v1::ListOffersResponse response;
    grpc::Status status = s.ListOffers(c, q, &response);
    out->assign(response.offers().begin(), response.offers().end());
    *next = response.next_page_token();
    return status;
  }
  static auto Import(Service::Stub& s, grpc::ClientContext* c) {
    return s.ImportOffers(c);
  }
  static void Add(ImportRequest* q, Record r) {
    *q->add_offers() = std::move(r);
  }
  static Table NewTable() {
    return Table(
        {"name", "state", "title", "trl", "sectors", "province", "owner"});
  }
  static void AddRow(Table* t, const Record& r) {
    t->AddRow({r.name(), v1::State_Name(r.state()), r.title(),
               absl::StrCat(r.trl()), absl::StrJoin(r.sector_codes(), ","),
               r.province_name(), r.owner()});
  }
};

struct NeedTraits {
  using Record = v1::Need;
  using Service = v1::NeedService;
  using ImportRequest = v1::ImportNeedsRequest;
  using ListRequest = v1::ListNeedsRequest;
  static constexpr const char* kCollection = "needs";
  static constexpr bool kPublishable = true;

  static grpc::Status Create(Service::Stub& s, grpc::ClientContext* c,
                             const Record& r, Record* out) {
    v1::CreateNeedRequest q;
    *q.mutable_need() = r;
    return s.CreateNeed(c, q, out);
  }
  static grpc::Status Get(Service::Stub& s, grpc::ClientContext* c,
                          const std::string& name, Record* out) {
    v1::GetRequest q;
    q.set_name(name);
    return s.GetNeed(c, q, out);
  }
  static grpc::Status Update(Service::Stub& s, grpc::ClientContext* c,
                             const Record& r,
                             const google::protobuf::FieldMask& mask,
                             Record* out) {
    v1::UpdateNeedRequest q;
    *q.mutable_need() = r;
    *q.mutable_update_mask() = mask;
    return s.UpdateNeed(c, q, out);
  }
  static grpc::Status Upsert(Service::Stub& s, grpc::ClientContext* c,
                             const Record& r, Record* out,
                             v1::ImportResult::Outcome* outcome) {
    v1::UpsertNeedRequest q;
    *q.mutable_need() = r;
    v1::UpsertNeedResponse response;
    grpc::Status status = s.UpsertNeed(c, q, &response);
    *out = response.need();
    *outcome = response.outcome();
    return status;
  }
  static grpc::Status Publish(Service::Stub& s, grpc::ClientContext* c,
                              const v1::PublishRequest& q, Record* out) {
    return s.PublishNeed(c, q, out);
  }
  static grpc::Status Withdraw(Service::Stub& s, grpc::ClientContext* c,
                               const v1::WithdrawRequest& q, Record* out) {
    return s.WithdrawNeed(c, q, out);
  }
  static std::optional<std::string> Filters(const Args& a, ListRequest* q) {
    q->set_enterprise(Normalized("organizations", a.Get("enterprise")));
    q->set_centre(Normalized("organizations", a.Get("centre")));
    return PublishableFilters(a, q);
  }
  static grpc::Status List(Service::Stub& s, grpc::ClientContext* c,
                           const ListRequest& q, std::vector<Record>* out,
                           std::string* next) {
    v1::ListNeedsResponse response;
    grpc::Status status = s.ListNeeds(c, q, &response);
    out->assign(response.needs().begin(), response.needs().end());
    *next = response.next_page_token();
    return status;
  }
  static auto Import(Service::Stub& s, grpc::ClientContext* c) {
    return s.ImportNeeds(c);
  }
  static void Add(ImportRequest* q, Record r) {
    *q->add_needs() = std::move(r);
  }
  static Table NewTable() {
    return Table({"name", "state", "title", "min_trl", "sectors", "province",
                  "enterprise"});
  }
  static void AddRow(Table* t, const Record& r) {
    t->AddRow({r.name(), v1::State_Name(r.state()), r.title(),
               absl::StrCat(r.min_trl()), absl::StrJoin(r.sector_codes(), ","),
               r.province_name(), r.enterprise()});
  }
};

// ---- record commands
// -------------------------------------------------------------

template <class Traits>
int Cli::RunRecords(const std::string& verb) {
  using Record = typename Traits::Record;
  auto stub = Traits::Service::NewStub(channel());
  const auto& pos = args_.positional;
  auto name_arg = [&](size_t i) {
    return i < pos.size() ? Normalized(Traits::kCollection, pos[i]) : "";
  };
  int64_t version = 0;
  if (!args_.Get("version").empty() &&
      !absl::SimpleAtoi(args_.Get("version"), &version)) {
    return Usage("--version wants an integer");
  }

  if (verb == "create" || verb == "upsert") {
    if (pos.size() != 3) return Usage(verb + " wants one FILE (or -)");
    auto text = ReadInput(pos[2]);
    Record record;
    if (!text || !ParseJson(*text, &record, pos[2])) return 1;
    Record out_record;
    auto context = NewContext();
    if (verb == "create") {
      grpc::Status status =
          Traits::Create(*stub, context.get(), record, &out_record);
      if (!status.ok()) return Fail(status, verb);
    } else {
      v1::ImportResult::Outcome outcome;
      grpc::Status status =
          Traits::Upsert(*stub, context.get(), record, &out_record, &outcome);
      if (!status.ok()) return Fail(status, verb);
      if (!json()) {
        out() << v1::ImportResult::Outcome_Name(outcome) << " "
              << out_record.name() << "\n";
      }
    }
    PrintRecord(out_record);
    return 0;
  }
  if (verb == "get") {
    if (pos.size() != 3) return Usage("get wants a NAME");
    Record record;
    auto context = NewContext();
    grpc::Status status =
        Traits::Get(*stub, context.get(), name_arg(2), &record);
    if (!status.ok()) return Fail(status, "get");
    PrintRecord(record);
    return 0;
  }
  if (verb == "update") {
    if (pos.size() != 4) return Usage("update wants NAME and FILE (or -)");
    auto text = ReadInput(pos[3]);
    Record record;
    if (!text || !ParseJson(*text, &record, pos[3])) return 1;
    record.set_name(name_arg(2));
    if (version != 0) record.set_version(version);
    google::protobuf::FieldMask mask;
    for (absl::string_view path :
         absl::StrSplit(args_.Get("mask"), ',', absl::SkipEmpty())) {
      mask.add_paths(std::string(path));
    }
    Record out_record;
    auto context = NewContext();
    grpc::Status status =
        Traits::Update(*stub, context.get(), record, mask, &out_record);
    if (!status.ok()) return Fail(status, "update");
    PrintRecord(out_record);
    return 0;
  }
  if constexpr (Traits::kPublishable) {
    if (verb == "publish" || verb == "withdraw") {
      if (pos.size() != 3) return Usage(verb + " wants a NAME");
      Record record;
      auto context = NewContext();
      grpc::Status status;
      if (verb == "publish") {
        v1::PublishRequest q;
        q.set_name(name_arg(2));
        q.set_version(version);
        if (!args_.Get("expire").empty() &&
            !ParseTimestamp(args_.Get("expire"), q.mutable_expire_time())) {
          return Usage("--expire wants an RFC 3339 time");
        }
        status = Traits::Publish(*stub, context.get(), q, &record);
      } else {
        v1::WithdrawRequest q;
        q.set_name(name_arg(2));
        q.set_version(version);
        status = Traits::Withdraw(*stub, context.get(), q, &record);
      }
      if (!status.ok()) return Fail(status, verb);
      PrintRecord(record);
      return 0;
    }
  }
  if (verb == "list" || verb == "export") {
    typename Traits::ListRequest request;
    if (auto problem = Traits::Filters(args_, &request)) return Usage(*problem);
    int page_size = verb == "export" ? 1000 : 50;
    if (!args_.Get("page-size").empty() &&
        !absl::SimpleAtoi(args_.Get("page-size"), &page_size)) {
      return Usage("--page-size wants an integer");
    }
    request.set_page_size(page_size);
    request.set_page_token(args_.Get("page-token"));
    bool all = verb == "export" || args_.flags.count("all");
    Table table = Traits::NewTable();
    std::string next;
    do {
      std::vector<Record> page;
      auto context = NewContext();
      grpc::Status status =
          Traits::List(*stub, context.get(), request, &page, &next);
      if (!status.ok()) return Fail(status, verb);
      for (const Record& r : page) {
        if (verb == "export" || json()) {
          PrintJson(r, false);
        } else {
          Traits::AddRow(&table, r);
        }
      }
      request.set_page_token(next);
    } while (all && !next.empty());
    if (verb == "list" && !json()) {
      table.Print(out());
      if (!next.empty()) out() << "next page: --page-token=" << next << "\n";
    }
    return 0;
  }
  if (verb == "import") {
    if (pos.size() != 3) return Usage("import wants one FILE (or -)");
    std::unique_ptr<std::istream> file;
    std::istream* in = io_.in;
    if (pos[2] != "-") {
      file = std::make_unique<std::ifstream>(pos[2], std::ios::binary);
      if (!*file) {
        err() << "techmatch: cannot read " << pos[2] << "\n";
        return 1;
      }
      in = file.get();
    }
    int chunk_size = 500;
    if (!args_.Get("chunk").empty() &&
        (!absl::SimpleAtoi(args_.Get("chunk"), &chunk_size) ||
         chunk_size < 1)) {
      return Usage("--chunk wants a positive integer");
    }
    auto context = NewContext(/*streaming=*/true);
    auto stream = Traits::Import(*stub, context.get());
    std::map<v1::ImportResult::Outcome, int64_t> counts;
    std::vector<std::string> rejections;
    // Sent records' origin: line number and whether it was parsed locally.
    std::vector<int64_t> line_of_index;
    int64_t line_no = 0;
    int64_t local_rejects = 0;
    bool quiet = args_.flags.count("quiet") > 0;
    auto send_chunk = [&](typename Traits::ImportRequest& chunk) -> bool {
      if (!stream->Write(chunk)) return false;
      v1::ImportResponse response;
      if (!stream->Read(&response)) return false;
      for (const auto& result : response.results()) {
        ++counts[result.outcome()];
        if (result.outcome() == v1::ImportResult::REJECTED) {
          int64_t line =
              result.index() < static_cast<int64_t>(line_of_index.size())
                  ? line_of_index[result.index()]
                  : -1;
          rejections.push_back(absl::StrCat(
              "line ", line, result.external_ref().empty() ? "" : " (",
              result.external_ref(), result.external_ref().empty() ? "" : ")",
              ": ", result.error_code(), ": ", result.error_message()));
        }
      }
      if (!quiet) {
        err() << "\rimported " << line_of_index.size() << " records"
              << std::flush;
      }
      chunk.Clear();
      return true;
    };
    typename Traits::ImportRequest chunk;
    size_t chunk_bytes = 0;
    std::string line;
    bool stream_ok = true;
    while (stream_ok && std::getline(*in, line)) {
      ++line_no;
      absl::string_view trimmed = absl::StripAsciiWhitespace(line);
      if (trimmed.empty()) continue;
      Record record;
      absl::Status parsed = ParseRecordJson(trimmed, &record);
      if (!parsed.ok()) {
        ++local_rejects;
        rejections.push_back(absl::StrCat(
            "line ", line_no, ": INVALID_ARGUMENT: not valid JSON for ",
            Record::descriptor()->name(), ": ", parsed.message()));
        continue;
      }
      line_of_index.push_back(line_no);
      chunk_bytes += trimmed.size();
      Traits::Add(&chunk, std::move(record));
      if (static_cast<int>(line_of_index.size()) % chunk_size == 0 ||
          chunk_bytes > (4u << 20)) {
        stream_ok = send_chunk(chunk);
        chunk_bytes = 0;
      }
    }
    int64_t in_chunk = 0;
    if constexpr (std::is_same_v<Traits, OrgTraits>) {
      in_chunk = chunk.organizations_size();
    } else if constexpr (std::is_same_v<Traits, OfferTraits>) {
      in_chunk = chunk.offers_size();
    } else {
      in_chunk = chunk.needs_size();
    }
    if (stream_ok && in_chunk > 0) stream_ok = send_chunk(chunk);
    stream->WritesDone();
    grpc::Status status = stream->Finish();
    if (!quiet) err() << "\n";
    int64_t rejected = counts[v1::ImportResult::REJECTED] + local_rejects;
    err() << "import summary: " << counts[v1::ImportResult::CREATED]
          << " created, " << counts[v1::ImportResult::UPDATED] << " updated, "
          << counts[v1::ImportResult::UNCHANGED] << " unchanged, " << rejected
          << " rejected\n";
    for (const auto& r : rejections) err() << "  rejected " << r << "\n";
    if (json()) {
      out() << "{\"created\":" << counts[v1::ImportResult::CREATED]
            << ",\"updated\":" << counts[v1::ImportResult::UPDATED]
            << ",\"unchanged\":" << counts[v1::ImportResult::UNCHANGED]
            << ",\"rejected\":" << rejected << "}\n";
    }
    if (!status.ok()) return Fail(status, "import");
    if (!stream_ok) {
      err() << "techmatch: import stream ended early\n";
      return 1;
    }
    return rejected > 0 ? 1 : 0;
  }
  return Usage(
      absl::StrCat("unknown command \"", verb, "\" for ", args_.positional[0]));
}

int Cli::RunRecordCommand(const std::string& noun, const std::string& verb) {
  if (noun == "org") return RunRecords<OrgTraits>(verb);
  if (noun == "offer") return RunRecords<OfferTraits>(verb);
  return RunRecords<NeedTraits>(verb);
}

}  // namespace techmatch::client::internal
