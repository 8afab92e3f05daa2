#include "client/cli.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "client/record_json.h"
#include "client/report_format.h"
#include "client/table.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "techmatch/v1/access.grpc.pb.h"
#include "techmatch/v1/admin.grpc.pb.h"
#include "techmatch/v1/alert.grpc.pb.h"
#include "techmatch/v1/connection.grpc.pb.h"
#include "techmatch/v1/feed.grpc.pb.h"
#include "techmatch/v1/match_service.grpc.pb.h"
#include "techmatch/v1/reference.grpc.pb.h"
#include "techmatch/v1/registry_service.grpc.pb.h"
#include "techmatch/v1/report.grpc.pb.h"

namespace techmatch::client {
namespace {

namespace v1 = techmatch::v1;
using google::protobuf::Message;
using google::protobuf::util::JsonPrintOptions;
using google::protobuf::util::TimeUtil;

constexpr char kDefaultServer[] = "127.0.0.1:50051";
constexpr char kUsage[] =
    R"(usage: techmatch [--server=HOST:PORT] [--json] [--timeout=SECONDS] COMMAND

Records (NOUN is org, offer or need; NAME is "offers/42" or just 42):
  NOUN create FILE|-                 create from one JSON object
  NOUN get NAME
  NOUN update NAME FILE|- [--mask=a,b] [--version=N]
  NOUN upsert FILE|-                 create or replace by external_ref
  NOUN list [filters] [--page-size=N] [--page-token=T] [--all]
  NOUN import FILE|- [--chunk=N]     JSON Lines; progress and summary on stderr
  NOUN export [filters]              every matching record as JSON Lines
  offer|need publish NAME [--expire=RFC3339] [--version=N]
  offer|need withdraw NAME [--version=N]
Filters: org: --kind --province --parent --updated-since
         offer: --owner --state --sector --province --updated-since
         need: --enterprise --centre --state --sector --province --updated-since
Matching and search (--explain prints every score's breakdown):
  match need NAME [--explain] [--page-size=N] [--page-token=T] [--weights=text=0.6,trl=0.2]
  match offer NAME [--explain] [--page-size=N] [--page-token=T]
  search offers|needs "TEXT" [--explain] [--sector=C] [--province=P] [--region=R]
         [--trl-min=N] [--trl-max=N] [--modes=LICENSE,TRAINING] [--price-ceiling=VND]
Reference data:
  ref sectors | ref provinces | ref province QUERY
Connections (need <-> offer, from suggestion to signed agreement):
  connection create NEED OFFER [--from-match] [--note=TEXT]
  connection get NAME                history included
  connection list [--need=N] [--offer=O] [--state=S] [--page-size=N] [--page-token=T]
  connection move NAME STATE [--note=TEXT] [--contract=TYPE --value=VND]
        STATE: INTEREST_EXPRESSED INTRODUCED NEGOTIATING AGREEMENT_SIGNED CLOSED
               DECLINED EXPIRED; TYPE: TECHNOLOGY_TRANSFER LICENSE_AGREEMENT
               TECHNICAL_SERVICE_CONTRACT JOINT_VENTURE_CONTRACT EQUIPMENT_PURCHASE
Keys and audit:
  whoami                             the key's organisation and role
  key create --role=ROLE [--org=NAME] [--label=TEXT] [--expire=RFC3339]
                                     prints the new key ONCE
  key list [--org=NAME] [--all]      --all: revoked and expired too
  key revoke NAME
  audit [--key=K] [--org=O] [--method=M] [--object=N] [--outcome=OK|DENIED|CODE]
        [--since=RFC3339] [--until=RFC3339] [--page-size=N] [--page-token=T]
Alerts (standing requests: a need's centre hears of offers that score above its threshold,
an offer's exchange of public needs it can serve; once per pair):
  alerts pull                        a digest since this key's last pull
  alerts watch [--after=SEQUENCE] [--follow]
Reports (counts only; confidential needs counted, never shown):
  report [--from=RFC3339] [--to=RFC3339] [--by=province|region|sector|organization]
         [--csv=FILE] [--svg=FILE] [--title=TEXT]
Change feed (what the key may see, in commit order; resumable):
  feed [--after=SEQUENCE] [--follow]  one line per change; --json for the records
Backups (ADMIN; the server's --backup_dir, taken while it serves):
  admin backup | admin backups | admin verify ID
  admin restore ID DIR               into a new directory on the server's host
Server:
  health                             needs no key
JSON uses protobuf's canonical JSON mapping. The server address comes from
--server, else $TECHMATCH_SERVER, else 127.0.0.1:50051.
The API key comes from $TECHMATCH_API_KEY, else the file --key-file=FILE or
$TECHMATCH_API_KEY_FILE. TLS: --tls-ca=FILE [--tls-cert=FILE --tls-key=FILE]
[--tls-server-name=NAME]; without --tls-ca the connection is plaintext.
ROLE: ADMIN EXCHANGE_OPERATOR CENTRE_OPERATOR ENTERPRISE INTEGRATION READ_ONLY
)";

// ---- command line ----------------------------------------------------------

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;
  std::set<std::string> flags;

  std::string Get(const std::string& key) const {
    auto it = options.find(key);
    return it == options.end() ? "" : it->second;
  }
};

const std::set<std::string>& BooleanFlags() {
  static const auto* flags = new std::set<std::string>{
      "json", "all", "help", "quiet", "explain", "from-match", "follow"};
  return *flags;
}

// Splits "--key=value", "--key value" and boolean "--flag"; the rest is
// positional. Returns an error message for a dangling "--key".
std::optional<std::string> ParseArgs(const std::vector<std::string>& raw,
                                     Args* args) {
  for (size_t i = 0; i < raw.size(); ++i) {
    const std::string& a = raw[i];
    if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
      std::string body = a.substr(2);
      size_t eq = body.find('=');
      if (eq != std::string::npos) {
        args->options[body.substr(0, eq)] = body.substr(eq + 1);
      } else if (BooleanFlags().count(body)) {
        args->flags.insert(body);
      } else if (i + 1 < raw.size()) {
        args->options[body] = raw[++i];
      } else {
        return absl::StrCat("option --", body, " needs a value");
      }
    } else {
      args->positional.push_back(a);
    }
  }
  return std::nullopt;
}

// ---- context ------------------------------------------------------------------

class Cli {
 public:
  Cli(const Args& args, const CliIo& io) : args_(args), io_(io) {}

  int Run();

 private:
  template <class Traits>
  int RunRecords(const std::string& verb);
  int RunReference();
  int RunHealth();
  int RunWhoAmI();
  int RunKey();
  int RunAudit();
  int RunConnection();
  int RunAdmin();
  int RunFeed();
  int RunReport();
  int RunAlerts();
  void PrintConnection(const v1::Connection& c) const;
  // The API key to send, or empty (a key file that cannot be read is
  // reported on err).
  std::string ApiKey() const;
  int RunMatch();
  int RunSearch();
  // Matches or search results, as a table or (--explain) each with its
  // breakdown; then the response's "no good match" sentence, if any, and
  // the next page's token.
  template <class Item>
  void PrintMatches(const google::protobuf::RepeatedPtrField<Item>& items,
                    const std::string& next_token,
                    const std::string& no_good_match);

  std::unique_ptr<grpc::ClientContext> NewContext(bool streaming = false) const;
  std::shared_ptr<grpc::Channel> channel();
  int Fail(const grpc::Status& status, const std::string& what) const;
  int Usage(const std::string& message) const;
  bool json() const { return args_.flags.count("json") > 0; }
  std::ostream& out() const { return *io_.out; }
  std::ostream& err() const { return *io_.err; }
  // Reads FILE or "-" (stdin) whole.
  std::optional<std::string> ReadInput(const std::string& path) const;
  template <class T>
  bool ParseJson(const std::string& text, T* message,
                 const std::string& where) const;
  void PrintJson(const Message& message, bool pretty) const;
  void PrintRecord(const Message& message) const;

  const Args& args_;
  const CliIo& io_;
  std::shared_ptr<grpc::Channel> channel_;
};

std::string ReadFileTrimmed(const std::string& path, bool* ok) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  *ok = static_cast<bool>(file) && static_cast<bool>(text << file.rdbuf());
  return std::string(absl::StripAsciiWhitespace(text.str()));
}

std::string Cli::ApiKey() const {
  if (!io_.api_key_from_env.empty()) return io_.api_key_from_env;
  std::string path = args_.Get("key-file");
  if (path.empty()) path = io_.api_key_file_from_env;
  if (path.empty()) return "";
  bool ok = false;
  std::string key = ReadFileTrimmed(path, &ok);
  if (!ok) err() << "techmatch: cannot read the key file " << path << "\n";
  return key;
}

std::shared_ptr<grpc::Channel> Cli::channel() {
  if (channel_ == nullptr) {
    std::string server = args_.Get("server");
    if (server.empty()) server = io_.server_from_env;
    if (server.empty()) server = kDefaultServer;
    grpc::ChannelArguments channel_args;
    channel_args.SetMaxReceiveMessageSize(64 << 20);
    channel_args.SetMaxSendMessageSize(16 << 20);
    std::shared_ptr<grpc::ChannelCredentials> credentials =
        grpc::InsecureChannelCredentials();
    if (!args_.Get("tls-ca").empty()) {
      grpc::SslCredentialsOptions ssl;
      bool ok = true, cert_ok = true, key_ok = true;
      ssl.pem_root_certs = ReadFileTrimmed(args_.Get("tls-ca"), &ok);
      if (!args_.Get("tls-cert").empty()) {
        ssl.pem_cert_chain = ReadFileTrimmed(args_.Get("tls-cert"), &cert_ok);
        ssl.pem_private_key = ReadFileTrimmed(args_.Get("tls-key"), &key_ok);
      }
      if (!ok || !cert_ok || !key_ok) {
        err() << "techmatch: cannot read a TLS file\n";
      }
      credentials = grpc::SslCredentials(ssl);
      if (!args_.Get("tls-server-name").empty()) {
        channel_args.SetSslTargetNameOverride(args_.Get("tls-server-name"));
      }
    }
    channel_ = grpc::CreateCustomChannel(server, credentials, channel_args);
  }
  return channel_;
}

std::unique_ptr<grpc::ClientContext> Cli::NewContext(bool streaming) const {
  auto context = std::make_unique<grpc::ClientContext>();
  double seconds = 30;
  std::string timeout = args_.Get("timeout");
  if (!timeout.empty()) absl::SimpleAtod(timeout, &seconds);
  if (streaming) seconds = std::max(seconds, 3600.0);
  std::string key = ApiKey();
  if (!key.empty()) context->AddMetadata("authorization", "Bearer " + key);
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::milliseconds(
                            static_cast<int64_t>(seconds * 1000)));
  return context;
}

int Cli::Fail(const grpc::Status& status, const std::string& what) const {
  static const char* kNames[] = {
      "OK",        "CANCELLED",         "UNKNOWN",        "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
      "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
      "UNAUTHENTICATED"};
  int code = static_cast<int>(status.error_code());
  const char* name = code >= 0 && code <= 16 ? kNames[code] : "UNKNOWN";
  err() << "techmatch: " << what << " failed: " << name << ": "
        << status.error_message() << "\n";
  return 1;
}

int Cli::Usage(const std::string& message) const {
  err() << "techmatch: " << message << "\n\n" << kUsage;
  return 2;
}

std::optional<std::string> Cli::ReadInput(const std::string& path) const {
  std::ostringstream buffer;
  if (path == "-") {
    buffer << io_.in->rdbuf();
    return buffer.str();
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    err() << "techmatch: cannot read " << path << "\n";
    return std::nullopt;
  }
  buffer << file.rdbuf();
  return buffer.str();
}

template <class T>
bool Cli::ParseJson(const std::string& text, T* message,
                    const std::string& where) const {
  absl::Status status = ParseRecordJson(text, message);
  if (!status.ok()) {
    err() << "techmatch: " << where << ": not a valid "
          << T::descriptor()->name() << " in JSON: " << status.message() << "\n";
    return false;
  }
  return true;
}

void Cli::PrintJson(const Message& message, bool pretty) const {
  JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.add_whitespace = pretty;
  std::string text;
  (void)google::protobuf::util::MessageToJsonString(message, &text, options);
  if (!pretty) {
    out() << text << "\n";
  } else {
    out() << text;
    if (text.empty() || text.back() != '\n') out() << "\n";
  }
}

// Readable form of one record: "field  value" lines, lists joined.
void Cli::PrintRecord(const Message& message) const {
  if (json()) return PrintJson(message, true);
  const auto* descriptor = message.GetDescriptor();
  const auto* reflection = message.GetReflection();
  Table table({"field", "value"});
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const auto* field = descriptor->field(i);
    if (field->is_repeated() ? reflection->FieldSize(message, field) == 0
                             : !reflection->HasField(message, field)) {
      continue;
    }
    std::string value;
    if (field->message_type() != nullptr &&
        field->message_type()->full_name() == "google.protobuf.Timestamp") {
      const auto& ts = static_cast<const google::protobuf::Timestamp&>(
          reflection->GetMessage(message, field));
      value = TimeUtil::ToString(ts);
    } else {
      // The JSON form of the single field is readable and exact.
      std::unique_ptr<Message> one(message.New());
      one->CopyFrom(message);
      for (int j = 0; j < descriptor->field_count(); ++j) {
        if (descriptor->field(j) != field) {
          one->GetReflection()->ClearField(one.get(), descriptor->field(j));
        }
      }
      JsonPrintOptions options;
      options.preserve_proto_field_names = true;
      std::string text;
      (void)google::protobuf::util::MessageToJsonString(*one, &text, options);
      // {"field":VALUE} -> VALUE, unquoted when a plain string.
      size_t colon = text.find(':');
      value = colon == std::string::npos
                  ? text
                  : text.substr(colon + 1, text.size() - colon - 2);
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
    }
    table.AddRow({field->name(), value});
  }
  table.Print(out(), 100);
}

// ---- per-kind adapters -------------------------------------------------------

std::string Normalized(const std::string& collection, const std::string& name) {
  if (!name.empty() && name.find('/') == std::string::npos) {
    return collection + "/" + name;
  }
  return name;
}

bool ParseTimestamp(const std::string& text, google::protobuf::Timestamp* out) {
  return TimeUtil::FromString(text, out);
}

// --updated-since, shared by every List request.
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
                           const ListRequest& q,
                           std::vector<Record>* out, std::string* next) {
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
  static void Add(ImportRequest* q, Record r) { *q->add_offers() = std::move(r); }
  static Table NewTable() {
    return Table({"name", "state", "title", "trl", "sectors", "province",
                  "owner"});
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
  static void Add(ImportRequest* q, Record r) { *q->add_needs() = std::move(r); }
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

// ---- record commands -------------------------------------------------------------

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
      grpc::Status status = Traits::Create(*stub, context.get(), record, &out_record);
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
    grpc::Status status = Traits::Get(*stub, context.get(), name_arg(2), &record);
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
      grpc::Status status = Traits::List(*stub, context.get(), request, &page, &next);
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
        (!absl::SimpleAtoi(args_.Get("chunk"), &chunk_size) || chunk_size < 1)) {
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
          int64_t line = result.index() < static_cast<int64_t>(line_of_index.size())
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
  return Usage(absl::StrCat("unknown command \"", verb, "\" for ",
                            args_.positional[0]));
}

int Cli::RunReference() {
  const auto& pos = args_.positional;
  if (pos.size() < 2) return Usage("ref wants sectors, provinces or province");
  auto stub = v1::ReferenceService::NewStub(channel());
  auto context = NewContext();
  if (pos[1] == "sectors") {
    v1::ListSectorsResponse response;
    grpc::Status status = stub->ListSectors(context.get(), {}, &response);
    if (!status.ok()) return Fail(status, "ref sectors");
    if (json()) return PrintJson(response, true), 0;
    Table table({"code", "parent", "name_vi", "name_en"});
    for (const auto& s : response.sectors()) {
      table.AddRow({s.code(), s.parent_code(), s.name_vi(), s.name_en()});
    }
    table.Print(out());
    return 0;
  }
  if (pos[1] == "provinces") {
    v1::ListProvincesResponse response;
    grpc::Status status = stub->ListProvinces(context.get(), {}, &response);
    if (!status.ok()) return Fail(status, "ref provinces");
    if (json()) return PrintJson(response, true), 0;
    Table table({"code", "name", "region", "aliases"});
    for (const auto& p : response.provinces()) {
      table.AddRow({p.code(), p.name(), p.region(), absl::StrJoin(p.aliases(), ", ")});
    }
    table.Print(out(), 80);
    return 0;
  }
  if (pos[1] == "province" && pos.size() == 3) {
    v1::ResolveProvinceRequest request;
    request.set_query(pos[2]);
    v1::Province province;
    grpc::Status status = stub->ResolveProvince(context.get(), request, &province);
    if (!status.ok()) return Fail(status, "ref province");
    PrintRecord(province);
    return 0;
  }
  return Usage("ref wants sectors, provinces or province QUERY");
}

int Cli::RunHealth() {
  auto context = NewContext();
  // grpc.health.v1.Health/Check with an empty service name; the response
  // is decoded by hand to avoid generating the health proto here.
  grpc::GenericStub generic(channel());
  grpc::ByteBuffer request;  // empty HealthCheckRequest
  grpc::Slice empty("", 0);
  request = grpc::ByteBuffer(&empty, 1);
  grpc::ByteBuffer response;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status status;
  grpc::StubOptions options;
  generic.UnaryCall(context.get(), "/grpc.health.v1.Health/Check", options,
                    &request, &response, [&](grpc::Status s) {
                      std::lock_guard<std::mutex> lock(mu);
                      status = std::move(s);
                      done = true;
                      cv.notify_one();
                    });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });
  if (!status.ok()) return Fail(status, "health");
  std::vector<grpc::Slice> slices;
  (void)response.Dump(&slices);
  std::string bytes;
  for (const auto& s : slices) {
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  // HealthCheckResponse { ServingStatus status = 1; } SERVING = 1.
  bool serving = bytes.size() >= 2 && bytes[0] == 0x08 && bytes[1] == 0x01;
  out() << (serving ? "SERVING" : "NOT_SERVING") << "\n";
  return serving ? 0 : 1;
}

// Title, province and state of either kind of record.
const v1::Offer& RecordOf(const v1::OfferMatch& m) { return m.offer(); }
const v1::Need& RecordOf(const v1::NeedMatch& m) { return m.need(); }

std::string Percent(double share) {
  return absl::StrCat(static_cast<int>(share * 100 + 0.5), "%");
}

std::string Fixed(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3f", v);
  return buffer;
}

std::string LabelName(v1::MatchLabel label) {
  switch (label) {
    case v1::STRONG:
      return "STRONG";
    case v1::POSSIBLE:
      return "POSSIBLE";
    case v1::WEAK:
      return "WEAK";
    default:
      return "";
  }
}

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
      table.AddRow({absl::StrCat(++rank), Fixed(m.score()), LabelName(m.label()),
                    r.name(), r.title(), r.province_name(),
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
      if (!r.province_name().empty()) out() << "    province: " << r.province_name() << "\n";
      if (m.explanation().flags_size() > 0) {
        out() << "    flags: " << absl::StrJoin(m.explanation().flags(), ", ") << "\n";
      }
      Table table({"component", "value", "weight", "contribution", "why"});
      for (const auto& c : m.explanation().components()) {
        table.AddRow({c.name(), Fixed(c.value()) + (c.neutral() ? " (neutral)" : ""),
                      Fixed(c.weight()), Fixed(c.contribution()), c.detail()});
      }
      std::ostringstream block;
      table.Print(block, 70);
      std::istringstream lines(block.str());
      for (std::string line; std::getline(lines, line);) out() << "    " << line << "\n";
      std::vector<std::string> terms;
      for (const auto& t : m.explanation().top_terms()) terms.push_back(MatchedTerm(t));
      if (!terms.empty()) out() << "    matched: " << absl::StrJoin(terms, ", ") << "\n";
      out() << "\n";
    }
  }
  if (items.empty()) out() << "(no matches)\n";
  if (!no_good_match.empty()) out() << no_good_match << "\n";
  if (!next_token.empty()) out() << "next page: --page-token=" << next_token << "\n";
}

bool ParseWeightsArg(const std::string& text, v1::ScoreWeights* w) {
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(item, '=');
    double value = 0;
    if (!absl::SimpleAtod(kv.second, &value)) return false;
    if (kv.first == "text") w->set_text(value);
    else if (kv.first == "sector") w->set_sector(value);
    else if (kv.first == "trl") w->set_trl(value);
    else if (kv.first == "price") w->set_price(value);
    else if (kv.first == "region") w->set_region(value);
    else if (kv.first == "transfer") w->set_transfer(value);
    else if (kv.first == "freshness") w->set_freshness(value);
    else return false;
  }
  return true;
}

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
    return Usage("--weights wants name=value,... (text, sector, trl, price, "
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
    grpc::Status status = stub->MatchOffersForNeed(context.get(), request, &response);
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
  grpc::Status status = stub->MatchNeedsForOffer(context.get(), request, &response);
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
  if ((!args_.Get("page-size").empty() && !absl::SimpleAtoi(args_.Get("page-size"), &page_size)) ||
      (!args_.Get("trl-min").empty() && !absl::SimpleAtoi(args_.Get("trl-min"), &trl_min)) ||
      (!args_.Get("trl-max").empty() && !absl::SimpleAtoi(args_.Get("trl-max"), &trl_max)) ||
      (!args_.Get("price-ceiling").empty() &&
       !absl::SimpleAtoi(args_.Get("price-ceiling"), &ceiling))) {
    return Usage("--page-size, --trl-min, --trl-max and --price-ceiling want integers");
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
  for (absl::string_view mode : absl::StrSplit(args_.Get("modes"), ',', absl::SkipEmpty())) {
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

int Cli::RunWhoAmI() {
  auto stub = v1::AccessService::NewStub(channel());
  auto context = NewContext();
  v1::Caller caller;
  grpc::Status status = stub->GetCaller(context.get(), {}, &caller);
  if (!status.ok()) return Fail(status, "whoami");
  if (json()) return PrintJson(caller, true), 0;
  out() << caller.api_key().name() << "  "
        << v1::Role_Name(caller.api_key().role());
  if (caller.has_organization()) {
    out() << "  " << caller.organization().name() << " ("
          << caller.organization().display_name() << ", "
          << v1::Organization::Kind_Name(caller.organization().kind()) << ")";
  }
  out() << "\n";
  return 0;
}

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

namespace {

// "needs/4" from "4" or "needs/4".
std::string Named(const std::string& collection, const std::string& text) {
  return text.find('/') == std::string::npos ? collection + "/" + text : text;
}

}  // namespace

void Cli::PrintConnection(const v1::Connection& c) const {
  if (json()) return PrintJson(c, true);
  out() << c.name() << "  " << v1::Connection::State_Name(c.state())
        << "  (version " << c.version() << ")\n"
        << "  need:  " << c.need() << "   broker " << c.need_broker() << "\n"
        << "  offer: " << c.offer() << "   broker " << c.offer_broker() << "\n"
        << "  origin: " << v1::Connection::Origin_Name(c.origin());
  if (c.origin() == v1::Connection::MATCH) {
    out() << ", score " << absl::StrFormat("%.3f", c.score()) << " at creation";
  }
  out() << "\n";
  if (c.has_agreement()) {
    out() << "  agreement: "
          << v1::ContractType_Name(c.agreement().contract_type()) << ", "
          << c.agreement().value_vnd() << " VND, signed "
          << TimeUtil::ToString(c.agreement().signed_time()) << "\n";
  }
  if (c.origin() == v1::Connection::MATCH &&
      c.explanation().components_size() > 0) {
    Table parts({"component", "value", "weight", "contribution", "why"});
    for (const auto& p : c.explanation().components()) {
      parts.AddRow({p.name(), absl::StrFormat("%.3f", p.value()),
                    absl::StrFormat("%.3f", p.weight()),
                    absl::StrFormat("%.3f", p.contribution()), p.detail()});
    }
    parts.Print(out(), 60);
  }
  Table history({"time", "from", "to", "by", "organization", "note"});
  for (const auto& h : c.history()) {
    history.AddRow({TimeUtil::ToString(h.time()),
                    h.from() == v1::Connection::STATE_UNSPECIFIED
                        ? "-"
                        : v1::Connection::State_Name(h.from()),
                    v1::Connection::State_Name(h.to()), h.actor(),
                    h.organization(), h.note()});
  }
  history.Print(out(), 60);
}

int Cli::RunConnection() {
  const auto& pos = args_.positional;
  if (pos.size() < 2)
    return Usage("connection wants create, get, list or move");
  auto stub = v1::ConnectionService::NewStub(channel());
  auto context = NewContext();
  const std::string& verb = pos[1];
  if (verb == "create" && pos.size() == 4) {
    v1::CreateConnectionRequest request;
    request.set_need(Named("needs", pos[2]));
    request.set_offer(Named("offers", pos[3]));
    request.set_origin(args_.flags.count("from-match")
                           ? v1::Connection::MATCH
                           : v1::Connection::BROKER);
    request.set_note(args_.Get("note"));
    v1::Connection c;
    grpc::Status status = stub->CreateConnection(context.get(), request, &c);
    if (!status.ok()) return Fail(status, "connection create");
    PrintConnection(c);
    return 0;
  }
  if (verb == "get" && pos.size() == 3) {
    v1::GetConnectionRequest request;
    request.set_name(Named("connections", pos[2]));
    v1::Connection c;
    grpc::Status status = stub->GetConnection(context.get(), request, &c);
    if (!status.ok()) return Fail(status, "connection get");
    PrintConnection(c);
    return 0;
  }
  if (verb == "move" && pos.size() == 4) {
    v1::TransitionConnectionRequest request;
    request.set_name(Named("connections", pos[2]));
    v1::Connection::State to;
    if (!v1::Connection::State_Parse(pos[3], &to))
      return Usage("unknown state " + pos[3]);
    request.set_to(to);
    request.set_note(args_.Get("note"));
    if (!args_.Get("contract").empty() || !args_.Get("value").empty()) {
      v1::ContractType type;
      int64_t value = 0;
      if (!v1::ContractType_Parse(args_.Get("contract"), &type) ||
          !absl::SimpleAtoi(args_.Get("value"), &value)) {
        return Usage(
            "--contract wants a contract type and --value a number of VND");
      }
      request.mutable_agreement()->set_contract_type(type);
      request.mutable_agreement()->set_value_vnd(value);
    }
    int64_t version = 0;
    if (!args_.Get("version").empty() &&
        absl::SimpleAtoi(args_.Get("version"), &version)) {
      request.set_version(version);
    }
    v1::Connection c;
    grpc::Status status =
        stub->TransitionConnection(context.get(), request, &c);
    if (!status.ok()) return Fail(status, "connection move");
    PrintConnection(c);
    return 0;
  }
  if (verb == "list") {
    v1::ListConnectionsRequest request;
    if (!args_.Get("need").empty())
      request.set_need(Named("needs", args_.Get("need")));
    if (!args_.Get("offer").empty())
      request.set_offer(Named("offers", args_.Get("offer")));
    if (!args_.Get("state").empty()) {
      v1::Connection::State state;
      if (!v1::Connection::State_Parse(args_.Get("state"), &state)) {
        return Usage("unknown state " + args_.Get("state"));
      }
      request.set_state(state);
    }
    int page_size = 0;
    if (!args_.Get("page-size").empty())
      absl::SimpleAtoi(args_.Get("page-size"), &page_size);
    request.set_page_size(page_size);
    request.set_page_token(args_.Get("page-token"));
    v1::ListConnectionsResponse response;
    grpc::Status status =
        stub->ListConnections(context.get(), request, &response);
    if (!status.ok()) return Fail(status, "connection list");
    if (json()) return PrintJson(response, true), 0;
    Table table(
        {"name", "state", "need", "offer", "origin", "score", "updated"});
    for (const auto& c : response.connections()) {
      table.AddRow({c.name(), v1::Connection::State_Name(c.state()), c.need(),
                    c.offer(), v1::Connection::Origin_Name(c.origin()),
                    c.origin() == v1::Connection::MATCH
                        ? absl::StrFormat("%.3f", c.score())
                        : "",
                    TimeUtil::ToString(c.update_time())});
    }
    table.Print(out());
    if (!response.next_page_token().empty()) {
      out() << "next page: --page-token=" << response.next_page_token() << "\n";
    }
    return 0;
  }
  return Usage(
      "connection wants create NEED OFFER, get NAME, list or move NAME STATE");
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
          << "\n    "
          << a.need() << "  " << a.need_title() << "\n    " << a.offer() << "  "
          << a.offer_title() << "\n";
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

int Cli::Run() {
  const auto& pos = args_.positional;
  if (args_.flags.count("help") || pos.empty() || pos[0] == "help") {
    out() << kUsage;
    return pos.empty() && !args_.flags.count("help") ? 2 : 0;
  }
  const std::string& noun = pos[0];
  if (noun == "ref") return RunReference();
  if (noun == "health") return RunHealth();
  if (noun == "whoami") return RunWhoAmI();
  if (noun == "key") return RunKey();
  if (noun == "audit") return RunAudit();
  if (noun == "connection") return RunConnection();
  if (noun == "admin") return RunAdmin();
  if (noun == "feed") return RunFeed();
  if (noun == "report") return RunReport();
  if (noun == "alerts") return RunAlerts();
  if (noun == "match") return RunMatch();
  if (noun == "search") return RunSearch();
  if (pos.size() < 2) return Usage(noun + " wants a verb");
  if (noun == "org") return RunRecords<OrgTraits>(pos[1]);
  if (noun == "offer") return RunRecords<OfferTraits>(pos[1]);
  if (noun == "need") return RunRecords<NeedTraits>(pos[1]);
  return Usage("unknown command \"" + noun + "\"");
}

}  // namespace

int RunCli(const std::vector<std::string>& raw, const CliIo& io) {
  Args args;
  if (auto problem = ParseArgs(raw, &args)) {
    *io.err << "techmatch: " << *problem << "\n";
    return 2;
  }
  Cli cli(args, io);
  return cli.Run();
}

}  // namespace techmatch::client
