#include "client/cli.h"

#include "client/cli_internal.h"

namespace techmatch::client {
namespace internal {
namespace {

const std::set<std::string>& BooleanFlags() {
  static const auto* flags = new std::set<std::string>{
      "json", "all", "help", "quiet", "explain", "from-match", "follow"};
  return *flags;
}

constexpr char kDefaultServer[] = "127.0.0.1:50051";

}  // namespace

const char kUsage[] =
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
  match need NAME [--explain] [--page-size=N] [--page-token=T] [--weights=trl=0.9,region=0.2]
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

void Cli::PrintJson(const Message& message, bool pretty) const {
  JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.add_whitespace = pretty;
  std::string text;
  const auto written =
      google::protobuf::util::MessageToJsonString(message, &text, options);
  if (!written.ok()) {
    // Nothing of it, rather than a truncated line a reader would misparse.
    err() << "techmatch: cannot write " << message.GetDescriptor()->name()
          << " as JSON: " << written.message() << "\n";
    output_failed_ = true;
    return;
  }
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
      if (ts.seconds() < TimeUtil::kTimestampMinSeconds ||
          ts.seconds() > TimeUtil::kTimestampMaxSeconds || ts.nanos() < 0 ||
          ts.nanos() > 999'999'999) {
        value = absl::StrCat("(out of range: ", ts.seconds(), " s)");
        output_failed_ = true;
      } else {
        value = TimeUtil::ToString(ts);
      }
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

std::string Normalized(const std::string& collection, const std::string& name) {
  if (!name.empty() && name.find('/') == std::string::npos) {
    return collection + "/" + name;
  }
  return name;
}

bool ParseTimestamp(const std::string& text, google::protobuf::Timestamp* out) {
  return TimeUtil::FromString(text, out);
}

std::string Percent(double share) {
  return absl::StrCat(static_cast<int>(share * 100 + 0.5), "%");
}

std::string Fixed(double v) {
  if (v > -0.0005 && v < 0.0005) v = 0;  // no "-0.000"
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

int Cli::Run() { return Finish(Dispatch()); }

int Cli::Finish(int code) const {
  out().flush();
  if (code == 0 && (output_failed_ || !out())) {
    err() << "techmatch: the output is incomplete (see above)\n";
    return 1;
  }
  return code;
}

int Cli::Dispatch() {
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
  if (noun == "org" || noun == "offer" || noun == "need")
    return RunRecordCommand(noun, pos[1]);
  return Usage("unknown command \"" + noun + "\"");
}

}  // namespace internal

int RunCli(const std::vector<std::string>& raw, const CliIo& io) {
  internal::Args args;
  if (auto problem = internal::ParseArgs(raw, &args)) {
    *io.err << "techmatch: " << *problem << "\n";
    return 2;
  }
  internal::Cli cli(args, io);
  return cli.Run();
}

}  // namespace techmatch::client
