// techmatch key, audit, admin (backups), feed and report (see cli_internal.h).
#include "client/cli_internal.h"

namespace techmatch::client::internal {

namespace {

std::string Stamp(const google::protobuf::Timestamp& t, bool set) {
  return set ? TimeUtil::ToString(t) : "";
}

}  // namespace

int Cli::RunKey() {
  const auto& pos = args_.positional;
  if (pos.size() < 2) return Usage("key wants create, list or revoke");
  auto stub = v1::AccessService::NewStub(channel());
  auto context = NewContext();
  auto print_keys =
      [&](const google::protobuf::RepeatedPtrField<v1::ApiKey>& keys) {
        Table table({"name", "role", "organization", "label", "created",
                     "expires", "revoked"});
        for (const v1::ApiKey& k : keys) {
          table.AddRow({k.name(), v1::Role_Name(k.role()), k.organization(),
                        k.display_name(),
                        Stamp(k.create_time(), k.has_create_time()),
                        Stamp(k.expire_time(), k.has_expire_time()),
                        Stamp(k.revoke_time(), k.has_revoke_time())});
        }
        table.Print(out());
      };
  if (pos[1] == "create") {
    v1::CreateApiKeyRequest request;
    v1::ApiKey* key = request.mutable_api_key();
    v1::Role role = v1::ROLE_UNSPECIFIED;
    if (!v1::Role_Parse(args_.Get("role"), &role)) {
      return Usage(
          "key create wants --role=ADMIN|EXCHANGE_OPERATOR|CENTRE_OPERATOR|"
          "ENTERPRISE|INTEGRATION|READ_ONLY");
    }
    key->set_role(role);
    std::string org = args_.Get("org");
    if (!org.empty() && org.find('/') == std::string::npos)
      org = "organizations/" + org;
    key->set_organization(org);
    key->set_display_name(args_.Get("label"));
    if (!args_.Get("expire").empty() &&
        !TimeUtil::FromString(args_.Get("expire"),
                              key->mutable_expire_time())) {
      return Usage(
          "--expire wants an RFC 3339 time, e.g. 2027-01-01T00:00:00Z");
    }
    v1::CreateApiKeyResponse response;
    grpc::Status status = stub->CreateApiKey(context.get(), request, &response);
    if (!status.ok()) return Fail(status, "key create");
    if (json()) return PrintJson(response, true), 0;
    out() << "created " << response.api_key().name() << " ("
          << v1::Role_Name(response.api_key().role()) << ")\n"
          << "key (shown once; store it now): " << response.secret() << "\n";
    return 0;
  }
  if (pos[1] == "list") {
    v1::ListApiKeysRequest request;
    std::string org = args_.Get("org");
    if (!org.empty() && org.find('/') == std::string::npos)
      org = "organizations/" + org;
    request.set_organization(org);
    request.set_include_inactive(args_.flags.count("all") > 0);
    v1::ListApiKeysResponse response;
    grpc::Status status = stub->ListApiKeys(context.get(), request, &response);
    if (!status.ok()) return Fail(status, "key list");
    if (json()) return PrintJson(response, true), 0;
    print_keys(response.api_keys());
    return 0;
  }
  if (pos[1] == "revoke" && pos.size() == 3) {
    v1::RevokeApiKeyRequest request;
    request.set_name(pos[2].find('/') == std::string::npos ? "apiKeys/" + pos[2]
                                                           : pos[2]);
    v1::ApiKey key;
    grpc::Status status = stub->RevokeApiKey(context.get(), request, &key);
    if (!status.ok()) return Fail(status, "key revoke");
    if (json()) return PrintJson(key, true), 0;
    out() << "revoked " << key.name() << " at "
          << TimeUtil::ToString(key.revoke_time()) << "\n";
    return 0;
  }
  return Usage("key wants create, list or revoke NAME");
}

int Cli::RunAudit() {
  v1::ListAuditRecordsRequest request;
  request.set_api_key(args_.Get("key"));
  request.set_organization(args_.Get("org"));
  request.set_method(args_.Get("method"));
  request.set_object(args_.Get("object"));
  request.set_outcome(args_.Get("outcome"));
  request.set_page_token(args_.Get("page-token"));
  int page_size = 0;
  if (!args_.Get("page-size").empty() &&
      !absl::SimpleAtoi(args_.Get("page-size"), &page_size)) {
    return Usage("--page-size wants a number");
  }
  request.set_page_size(page_size);
  for (auto [flag, field] : {std::pair{"since", request.mutable_since()},
                             std::pair{"until", request.mutable_until()}}) {
    if (!args_.Get(flag).empty() &&
        !TimeUtil::FromString(args_.Get(flag), field)) {
      return Usage(std::string("--") + flag + " wants an RFC 3339 time");
    }
  }
  if (args_.Get("since").empty()) request.clear_since();
  if (args_.Get("until").empty()) request.clear_until();
  auto stub = v1::AccessService::NewStub(channel());
  auto context = NewContext();
  v1::ListAuditRecordsResponse response;
  grpc::Status status =
      stub->ListAuditRecords(context.get(), request, &response);
  if (!status.ok()) return Fail(status, "audit");
  if (json()) return PrintJson(response, true), 0;
  Table table({"seq", "time", "key", "role", "organization", "method", "object",
               "outcome", "detail"});
  for (const v1::AuditRecord& r : response.records()) {
    table.AddRow({absl::StrCat(r.sequence()), TimeUtil::ToString(r.time()),
                  r.api_key(), v1::Role_Name(r.role()), r.organization(),
                  r.method(), r.object(), r.outcome(), r.detail()});
  }
  table.Print(out(), 60);
  if (!response.next_page_token().empty()) {
    out() << "next page: --page-token=" << response.next_page_token() << "\n";
  }
  return 0;
}

int Cli::RunAdmin() {
  const auto& pos = args_.positional;
  if (pos.size() < 2)
    return Usage("admin wants backup, backups, verify or restore");
  auto stub = v1::AdminService::NewStub(channel());
  auto context =
      NewContext(/*streaming=*/true);  // backups of big databases take a while
  auto print = [&](const v1::Backup& b) {
    out() << "backup " << b.id() << "  " << TimeUtil::ToString(b.create_time())
          << "  " << b.size_bytes() << " bytes in " << b.files() << " files\n";
  };
  uint32_t id = 0;
  if (pos[1] == "backup" && pos.size() == 2) {
    v1::Backup b;
    grpc::Status status = stub->CreateBackup(context.get(), {}, &b);
    if (!status.ok()) return Fail(status, "admin backup");
    if (json()) return PrintJson(b, true), 0;
    print(b);
    return 0;
  }
  if (pos[1] == "backups" && pos.size() == 2) {
    v1::ListBackupsResponse response;
    grpc::Status status = stub->ListBackups(context.get(), {}, &response);
    if (!status.ok()) return Fail(status, "admin backups");
    if (json()) return PrintJson(response, true), 0;
    for (const auto& b : response.backups()) print(b);
    return 0;
  }
  if (pos[1] == "verify" && pos.size() == 3 && absl::SimpleAtoi(pos[2], &id)) {
    v1::VerifyBackupRequest request;
    request.set_id(id);
    v1::Backup b;
    grpc::Status status = stub->VerifyBackup(context.get(), request, &b);
    if (!status.ok()) return Fail(status, "admin verify");
    out() << "verified: every file's checksum matches\n";
    print(b);
    return 0;
  }
  if (pos[1] == "restore" && pos.size() == 4 && absl::SimpleAtoi(pos[2], &id)) {
    v1::RestoreBackupRequest request;
    request.set_id(id);
    request.set_target_dir(pos[3]);
    v1::RestoreBackupResponse r;
    grpc::Status status = stub->RestoreBackup(context.get(), request, &r);
    if (!status.ok()) return Fail(status, "admin restore");
    if (json()) return PrintJson(r, true), 0;
    out() << "restored backup " << id << " into " << r.target_dir() << ": "
          << r.organizations() << " organisations, " << r.offers()
          << " offers, " << r.needs() << " needs, " << r.connections()
          << " connections, change log at " << r.last_change_sequence()
          << "\nstart techmatchd with --data_dir=" << r.target_dir()
          << " to use it\n";
    return 0;
  }
  return Usage("admin wants backup, backups, verify ID or restore ID DIR");
}

int Cli::RunFeed() {
  v1::WatchChangesRequest request;
  uint64_t after = 0;
  if (!args_.Get("after").empty() &&
      !absl::SimpleAtoi(args_.Get("after"), &after)) {
    return Usage("--after wants a change sequence number");
  }
  request.set_after_sequence(after);
  request.set_follow(args_.flags.count("follow") > 0);
  auto stub = v1::FeedService::NewStub(channel());
  auto context = NewContext(/*streaming=*/true);
  auto reader = stub->WatchChanges(context.get(), request);
  v1::FeedEvent event;
  while (reader->Read(&event)) {
    if (json()) {
      PrintJson(event, false);
    } else {
      out() << event.change().sequence() << "  "
            << TimeUtil::ToString(event.change().commit_time()) << "  "
            << v1::ChangeEvent::Type_Name(event.change().type()) << "  "
            << event.change().resource() << "  v" << event.change().version()
            << "\n";
    }
    out().flush();
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) return Fail(status, "feed");
  return 0;
}

int Cli::RunReport() {
  v1::ReportRequest request;
  for (auto [flag, field] : {std::pair{"from", request.mutable_from()},
                             std::pair{"to", request.mutable_to()}}) {
    if (!args_.Get(flag).empty() &&
        !TimeUtil::FromString(args_.Get(flag), field)) {
      return Usage(std::string("--") + flag +
                   " wants an RFC 3339 time, e.g. 2026-01-01T00:00:00Z");
    }
  }
  if (args_.Get("from").empty()) request.clear_from();
  if (args_.Get("to").empty()) request.clear_to();
  std::string by = absl::AsciiStrToUpper(
      args_.Get("by").empty() ? "province" : args_.Get("by"));
  v1::ReportRequest::GroupBy group_by;
  if (!v1::ReportRequest::GroupBy_Parse(by, &group_by)) {
    return Usage("--by wants province, region, sector or organization");
  }
  request.set_group_by(group_by);
  auto stub = v1::ReportService::NewStub(channel());
  auto context = NewContext(/*streaming=*/true);
  v1::Report report;
  grpc::Status status = stub->GetReport(context.get(), request, &report);
  if (!status.ok()) return Fail(status, "report");
  auto write = [&](const std::string& path, const std::string& text) {
    std::ofstream file(path, std::ios::binary);
    file << text;
    if (!file) {
      err() << "techmatch: cannot write " << path << "\n";
      return false;
    }
    err() << "wrote " << path << "\n";
    return true;
  };
  std::string title = args_.Get("title");
  if (title.empty()) {
    title = absl::StrCat("Kết nối cung – cầu công nghệ ",
                         report.has_from()
                             ? TimeUtil::ToString(report.from()).substr(0, 10)
                             : "",
                         " – ", TimeUtil::ToString(report.to()).substr(0, 10));
  }
  if (!args_.Get("csv").empty() && !write(args_.Get("csv"), ReportCsv(report)))
    return 1;
  if (!args_.Get("svg").empty() &&
      !write(args_.Get("svg"), ReportSvg(report, title)))
    return 1;
  if (json()) return PrintJson(report, true), 0;
  Table table({"group", "offers reg/pub", "needs reg/pub", "matches",
               "connections", "agreements", "value VND", "median days"});
  auto add = [&](const v1::ReportRow& r) {
    table.AddRow(
        {r.label(),
         absl::StrCat(r.offers_registered(), "/", r.offers_published()),
         absl::StrCat(r.needs_registered(), "/", r.needs_published()),
         absl::StrCat(r.matches_suggested()),
         absl::StrCat(r.connections_created()),
         absl::StrCat(r.agreements_signed()),
         absl::StrCat(r.agreement_value_vnd()),
         r.agreements_signed() > 0
             ? absl::StrFormat("%.1f", r.median_days_need_to_agreement())
             : ""});
  };
  for (const auto& r : report.rows()) add(r);
  add(report.total());
  table.Print(out(), 50);
  return 0;
}

}  // namespace techmatch::client::internal
