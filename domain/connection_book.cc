#include "domain/connection_book.h"

#include <algorithm>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "base/decimal.h"
#include "base/status_macros.h"
#include "domain/validation.h"
#include "google/protobuf/util/time_util.h"
#include "storage/resource_name.h"

namespace techmatch::domain {

namespace v1 = techmatch::v1;
using google::protobuf::util::TimeUtil;
using storage::RecordKind;
using State = v1::Connection::State;

namespace {

constexpr size_t kNoteMax = 2000;
constexpr int64_t kMoneyMax = 1'000'000'000'000'000;

google::protobuf::Timestamp ToProto(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

// The moves the state machine allows from `from`.
std::vector<State> Next(State from) {
  switch (from) {
    case v1::Connection::SUGGESTED:
      return {v1::Connection::INTEREST_EXPRESSED, v1::Connection::DECLINED,
              v1::Connection::EXPIRED};
    case v1::Connection::INTEREST_EXPRESSED:
      return {v1::Connection::INTRODUCED, v1::Connection::DECLINED,
              v1::Connection::EXPIRED};
    case v1::Connection::INTRODUCED:
      return {v1::Connection::NEGOTIATING, v1::Connection::DECLINED,
              v1::Connection::EXPIRED};
    case v1::Connection::NEGOTIATING:
      return {v1::Connection::AGREEMENT_SIGNED, v1::Connection::DECLINED,
              v1::Connection::EXPIRED};
    case v1::Connection::AGREEMENT_SIGNED:
      return {v1::Connection::CLOSED};
    default:
      return {};
  }
}

// The broker of each side: the need's centre, else its enterprise; the
// offer owner's parent, else the owner.
std::string NeedBroker(const v1::Need& need) {
  return need.centre().empty() ? need.enterprise() : need.centre();
}

absl::Status CheckNote(std::string* note) {
  return NormalizeLabel(note, "note", kNoteMax);
}

}  // namespace

ConnectionBook::ConnectionBook(storage::Catalog* catalog,
                               const Registry* registry,
                               const Matchmaker* matchmaker, AuditLog* audit,
                               Clock* clock)
    : catalog_(catalog),
      registry_(registry),
      matchmaker_(matchmaker),
      audit_(audit),
      clock_(clock) {}

bool ConnectionBook::Allowed(State from, State to) {
  std::vector<State> next = Next(from);
  return std::find(next.begin(), next.end(), to) != next.end();
}

ConnectionBook::Rights ConnectionBook::RightsOn(const Principal& principal,
                                                const v1::Need& need,
                                                const v1::Offer& offer) const {
  AccessCheck check = registry_->Check(&principal);
  Rights rights;
  rights.see = principal.admin() || check.InReach(need) || check.InReach(offer);
  rights.act = rights.see && principal.may_write() &&
               (principal.admin() || principal.hub());
  return rights;
}

namespace {

// The ids of a (need, offer) pair of resource names; INVALID_ARGUMENT names
// the malformed field.
absl::StatusOr<std::pair<uint64_t, uint64_t>> PairIds(absl::string_view need,
                                                      absl::string_view offer) {
  TM_ASSIGN_OR_RETURN(uint64_t need_id,
                      storage::ParseName(RecordKind::kNeed, need, "need"));
  TM_ASSIGN_OR_RETURN(uint64_t offer_id,
                      storage::ParseName(RecordKind::kOffer, offer, "offer"));
  return std::pair{need_id, offer_id};
}

}  // namespace

absl::StatusOr<std::pair<v1::Connection, ConnectionBook::Rights>>
ConnectionBook::Load(const Caller& caller, absl::string_view name) const {
  TM_ASSIGN_OR_RETURN(
      uint64_t id, storage::ParseName(RecordKind::kConnection, name, "name"));
  TM_ASSIGN_OR_RETURN(v1::Connection connection,
                      catalog_->Get<v1::Connection>(id));
  TM_ASSIGN_OR_RETURN(auto ids, PairIds(connection.need(), connection.offer()));
  const auto [need_id, offer_id] = ids;
  TM_ASSIGN_OR_RETURN(v1::Need need, catalog_->Get<v1::Need>(need_id));
  TM_ASSIGN_OR_RETURN(v1::Offer offer, catalog_->Get<v1::Offer>(offer_id));
  Rights rights = RightsOn(caller.principal, need, offer);
  if (!rights.see) {
    audit_->AppendRefusal(caller, connection.name(),
                          NotVisible(caller.principal, connection.name()));
    return absl::NotFoundError(
        absl::StrCat(connection.name(), " does not exist"));
  }
  return std::pair{std::move(connection), rights};
}

absl::StatusOr<v1::Connection> ConnectionBook::Create(
    const Caller& caller, const v1::CreateConnectionRequest& request) {
  std::lock_guard<std::mutex> lock(write_mu_);
  absl::StatusOr<v1::Connection> created = CreateLocked(caller, request);
  // A record the caller may not see was audited where it was read.
  if (!created.ok() && !absl::IsNotFound(created.status())) {
    audit_->AppendRefusal(caller, request.need(), created.status());
  }
  return created;
}

absl::StatusOr<v1::Connection> ConnectionBook::CreateLocked(
    const Caller& caller, const v1::CreateConnectionRequest& request) {
  const Principal& p = caller.principal;
  if (!p.may_write() || !(p.admin() || p.hub())) {
    return absl::PermissionDeniedError(
        absl::StrCat(p.key, " (", v1::Role_Name(p.role),
                     ") does not broker connections: exchange and centre keys "
                     "and admins do"));
  }
  std::string note = request.note();
  TM_RETURN_IF_ERROR(CheckNote(&note));
  if (request.origin() != v1::Connection::ORIGIN_UNSPECIFIED &&
      request.origin() != v1::Connection::MATCH &&
      request.origin() != v1::Connection::BROKER) {
    return absl::InvalidArgumentError("origin: unknown value");
  }
  TM_ASSIGN_OR_RETURN(auto ids, PairIds(request.need(), request.offer()));
  const auto [need_id, offer_id] = ids;
  // Read both with the caller's rights: a need it may not see is NOT_FOUND.
  TM_ASSIGN_OR_RETURN(v1::Need need,
                      registry_->GetNeed(caller, request.need()));
  TM_ASSIGN_OR_RETURN(v1::Offer offer,
                      registry_->GetOffer(caller, request.offer()));
  if (!RightsOn(p, need, offer).act) {
    return OutOfReach(p,
                      absl::StrCat("connections between ", need.name(), " and ",
                                   offer.name(), ": it brokers neither side"));
  }
  for (const auto& [what, state] : {std::pair{need.name(), need.state()},
                                    std::pair{offer.name(), offer.state()}}) {
    if (state != v1::PUBLISHED) {
      return absl::FailedPreconditionError(absl::StrCat(
          what, " is ", v1::State_Name(state), "; connect published records"));
    }
  }
  TM_ASSIGN_OR_RETURN(
      std::optional<uint64_t> open,
      catalog_->FindIndexed(storage::IndexId::kConnectionOpenPair, need_id,
                            offer_id));
  if (open.has_value()) {
    return absl::AlreadyExistsError(
        absl::StrCat(need.name(), " and ", offer.name(),
                     " already have an open connection, ",
                     storage::MakeName(RecordKind::kConnection, *open)));
  }
  absl::Time now = clock_->Now();
  v1::Connection connection;
  connection.set_name(storage::MakeName(
      RecordKind::kConnection, catalog_->AllocateId(RecordKind::kConnection)));
  connection.set_need(need.name());
  connection.set_offer(offer.name());
  connection.set_state(v1::Connection::SUGGESTED);
  connection.set_origin(request.origin() == v1::Connection::MATCH
                            ? v1::Connection::MATCH
                            : v1::Connection::BROKER);
  if (connection.origin() == v1::Connection::MATCH) {
    TM_ASSIGN_OR_RETURN(v1::OfferMatch match,
                        matchmaker_->ScorePair(need, offer));
    connection.set_score(match.score());
    *connection.mutable_explanation() = std::move(*match.mutable_explanation());
  }
  connection.set_need_broker(NeedBroker(need));
  std::string offer_broker = offer.owner();
  absl::StatusOr<uint64_t> owner_id =
      storage::ParseName(RecordKind::kOrganization, offer.owner(), "owner");
  if (owner_id.ok()) {
    absl::StatusOr<v1::Organization> owner =
        catalog_->Get<v1::Organization>(*owner_id);
    if (owner.ok() && !owner->parent().empty()) offer_broker = owner->parent();
  }
  connection.set_offer_broker(offer_broker);
  v1::ConnectionTransition* first = connection.add_history();
  first->set_to(v1::Connection::SUGGESTED);
  first->set_actor(p.key);
  first->set_organization(p.organization);
  *first->mutable_time() = ToProto(now);
  first->set_note(note);
  *connection.mutable_create_time() = ToProto(now);
  *connection.mutable_update_time() = ToProto(now);
  connection.set_version(1);
  storage::CommitExtras extras;
  extras.audit.push_back(
      audit_->Make(caller, connection.name(), absl::OkStatus()));
  TM_RETURN_IF_ERROR(
      catalog_
          ->Commit({storage::RecordWrite<v1::Connection>{
                       std::nullopt, connection, v1::ChangeEvent::CREATED}},
                   now, std::move(extras))
          .status());
  return connection;
}

bool ConnectionBook::CanSee(const Principal& principal,
                            const v1::Connection& connection) const {
  auto need = catalog_->Get<v1::Need>(
      storage::ParseName(RecordKind::kNeed, connection.need(), "need")
          .value_or(0));
  auto offer = catalog_->Get<v1::Offer>(
      storage::ParseName(RecordKind::kOffer, connection.offer(), "offer")
          .value_or(0));
  return need.ok() && offer.ok() && RightsOn(principal, *need, *offer).see;
}

absl::StatusOr<v1::Connection> ConnectionBook::Get(
    const Caller& caller, absl::string_view name) const {
  TM_ASSIGN_OR_RETURN(auto loaded, Load(caller, name));
  return std::move(loaded.first);
}

absl::StatusOr<v1::Connection> ConnectionBook::Transition(
    const Caller& caller, const v1::TransitionConnectionRequest& request) {
  std::lock_guard<std::mutex> lock(write_mu_);
  absl::StatusOr<v1::Connection> moved = TransitionLocked(caller, request);
  if (!moved.ok() && !absl::IsNotFound(moved.status())) {
    audit_->AppendRefusal(caller, request.name(), moved.status());
  }
  return moved;
}

absl::StatusOr<v1::Connection> ConnectionBook::TransitionLocked(
    const Caller& caller, const v1::TransitionConnectionRequest& request) {
  const Principal& p = caller.principal;
  TM_ASSIGN_OR_RETURN(auto loaded, Load(caller, request.name()));
  v1::Connection current = std::move(loaded.first);
  if (!loaded.second.act) {
    return OutOfReach(
        p, absl::StrCat(current.name(),
                        ": exchange and centre keys of its sides and admins "
                        "move connections"));
  }
  if (request.version() != 0 && request.version() != current.version()) {
    return absl::AbortedError(
        absl::StrCat(current.name(), " is at version ", current.version(),
                     ", the request names version ", request.version(),
                     "; read it again and retry"));
  }
  if (!v1::Connection::State_IsValid(request.to()) ||
      request.to() == v1::Connection::STATE_UNSPECIFIED) {
    return absl::InvalidArgumentError("to: a target state is required");
  }
  if (!Allowed(current.state(), request.to())) {
    std::vector<std::string> legal;
    for (State s : Next(current.state()))
      legal.push_back(v1::Connection::State_Name(s));
    return absl::FailedPreconditionError(absl::StrCat(
        current.name(), " is ", v1::Connection::State_Name(current.state()),
        "; it ",
        legal.empty() ? "is final"
                      : absl::StrCat("can go to ", absl::StrJoin(legal, ", ")),
        ", not ", v1::Connection::State_Name(request.to())));
  }
  std::string note = request.note();
  TM_RETURN_IF_ERROR(CheckNote(&note));
  absl::Time now = clock_->Now();
  v1::Connection next = current;
  if (request.to() == v1::Connection::AGREEMENT_SIGNED) {
    if (!request.has_agreement() ||
        request.agreement().contract_type() == v1::CONTRACT_TYPE_UNSPECIFIED ||
        !v1::ContractType_IsValid(request.agreement().contract_type())) {
      return absl::InvalidArgumentError(
          "agreement.contract_type: is required to sign an agreement");
    }
    if (request.agreement().value_vnd() < 0 ||
        request.agreement().value_vnd() > kMoneyMax) {
      return absl::InvalidArgumentError(
          "agreement.value_vnd: must be 0 to 10^15");
    }
    TM_RETURN_IF_ERROR(CheckWellFormed(request.agreement(), "agreement"));
    *next.mutable_agreement() = request.agreement();
    if (!next.agreement().has_signed_time()) {
      *next.mutable_agreement()->mutable_signed_time() = ToProto(now);
    }
  } else if (request.has_agreement()) {
    return absl::InvalidArgumentError(
        "agreement: only a move to AGREEMENT_SIGNED carries an agreement");
  }
  next.set_state(request.to());
  v1::ConnectionTransition* step = next.add_history();
  step->set_from(current.state());
  step->set_to(request.to());
  step->set_actor(p.key);
  step->set_organization(p.organization);
  *step->mutable_time() = ToProto(now);
  step->set_note(note);
  next.set_version(current.version() + 1);
  *next.mutable_update_time() = ToProto(now);
  storage::CommitExtras extras;
  extras.audit.push_back(audit_->Make(caller, next.name(), absl::OkStatus()));
  TM_RETURN_IF_ERROR(catalog_
                         ->Commit({storage::RecordWrite<v1::Connection>{
                                      current, next, v1::ChangeEvent::UPDATED}},
                                  now, std::move(extras))
                         .status());
  return next;
}

absl::StatusOr<v1::ListConnectionsResponse> ConnectionBook::List(
    const Caller& caller, const v1::ListConnectionsRequest& request) const {
  if (request.page_size() < 0) {
    return absl::InvalidArgumentError("page_size: must not be negative");
  }
  size_t page_size = request.page_size() == 0
                         ? kDefaultPageSize
                         : std::min(request.page_size(), kMaxPageSize);
  if (!v1::Connection::State_IsValid(request.state())) {
    return absl::InvalidArgumentError("state: unknown value");
  }
  uint64_t need_id = 0, offer_id = 0, after = 0;
  if (!request.need().empty()) {
    TM_ASSIGN_OR_RETURN(
        need_id, storage::ParseName(RecordKind::kNeed, request.need(), "need"));
  }
  if (!request.offer().empty()) {
    TM_ASSIGN_OR_RETURN(offer_id, storage::ParseName(RecordKind::kOffer,
                                                     request.offer(), "offer"));
  }
  if (!request.page_token().empty()) {
    std::string raw;
    if (!absl::WebSafeBase64Unescape(request.page_token(), &raw) ||
        !absl::StartsWith(raw, "c1:") ||
        !ParseDecimal(absl::string_view(raw).substr(3), &after)) {
      return absl::InvalidArgumentError(
          "page_token: is not a token this server issued");
    }
  }
  v1::ListConnectionsResponse response;
  uint64_t resume_after = 0;
  absl::Status inner;
  auto consider = [&](uint64_t id) {
    absl::StatusOr<v1::Connection> c = catalog_->Get<v1::Connection>(id);
    if (!c.ok()) {
      inner = c.status();
      return false;
    }
    if ((need_id != 0 && c->need() != request.need()) ||
        (offer_id != 0 && c->offer() != request.offer()) ||
        (request.state() != v1::Connection::STATE_UNSPECIFIED &&
         c->state() != request.state())) {
      return true;
    }
    auto need = catalog_->Get<v1::Need>(
        storage::ParseName(RecordKind::kNeed, c->need(), "need").value_or(0));
    auto offer = catalog_->Get<v1::Offer>(
        storage::ParseName(RecordKind::kOffer, c->offer(), "offer")
            .value_or(0));
    if (!need.ok() || !offer.ok() ||
        !RightsOn(caller.principal, *need, *offer).see) {
      return true;
    }
    if (static_cast<size_t>(response.connections_size()) == page_size) {
      resume_after = id - 1;
      return false;
    }
    *response.add_connections() = *std::move(c);
    return true;
  };
  if (need_id != 0) {
    TM_RETURN_IF_ERROR(catalog_->ScanIndex(storage::IndexId::kConnectionByNeed,
                                           need_id, after, consider));
  } else if (offer_id != 0) {
    TM_RETURN_IF_ERROR(catalog_->ScanIndex(storage::IndexId::kConnectionByOffer,
                                           offer_id, after, consider));
  } else if (request.state() != v1::Connection::STATE_UNSPECIFIED) {
    TM_RETURN_IF_ERROR(catalog_->ScanIndex(storage::IndexId::kConnectionByState,
                                           request.state(), after, consider));
  } else {
    TM_RETURN_IF_ERROR(
        catalog_->Scan<v1::Connection>(after, [&](const v1::Connection& c) {
          return consider(
              storage::ParseName(RecordKind::kConnection, c.name(), "name")
                  .value_or(0));
        }));
  }
  TM_RETURN_IF_ERROR(inner);
  if (resume_after != 0) {
    response.set_next_page_token(
        absl::WebSafeBase64Escape(absl::StrCat("c1:", resume_after)));
  }
  return response;
}

}  // namespace techmatch::domain
