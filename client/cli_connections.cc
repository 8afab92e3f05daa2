// techmatch connection: create, get, list, move (see cli_internal.h).
#include "client/cli_internal.h"

namespace techmatch::client::internal {

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

}  // namespace techmatch::client::internal
