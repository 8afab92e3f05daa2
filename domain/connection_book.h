// ConnectionBook: connections between needs and offers, from suggestion to
// signed agreement, with their history.
//
// State machine (Connection.State):
//   SUGGESTED -> INTEREST_EXPRESSED -> INTRODUCED -> NEGOTIATING
//     -> AGREEMENT_SIGNED -> CLOSED
//   any state before AGREEMENT_SIGNED -> DECLINED | EXPIRED
// Anything else is FAILED_PRECONDITION, naming the legal moves. Every move
// keeps who, when and a note in `history`; AGREEMENT_SIGNED needs the
// agreement (contract type, value in VND).
//
// Who (see docs/security.md, "Connections"): a connection is seen by
// those who reach its need or its offer (access.h: the need's enterprise
// and centre, the offer's owner and exchange, admins); it is created and
// moved by the brokers among them — exchange and centre keys (operators and
// their integrations) — and admins. The enterprise and the technology owner
// see their own connections. Creating one needs the right to read both
// records, so a confidential need is connected only by its own side.
//
// One open (not final) connection per need-offer pair: ALREADY_EXISTS
// names it. Writes are serialised; each commits the connection, its index
// entries, a change-log entry and the audit record in one batch.
//
// Thread-safety: all methods are safe to call concurrently.
#ifndef TECHMATCH_DOMAIN_CONNECTION_BOOK_H_
#define TECHMATCH_DOMAIN_CONNECTION_BOOK_H_

#include <mutex>

#include "absl/status/statusor.h"
#include "base/clock.h"
#include "domain/access.h"
#include "domain/audit_log.h"
#include "domain/matchmaker.h"
#include "domain/registry.h"
#include "storage/catalog.h"
#include "techmatch/v1/connection.pb.h"

namespace techmatch::domain {

class ConnectionBook {
 public:
  static constexpr int kDefaultPageSize = 50;
  static constexpr int kMaxPageSize = 1000;

  // Borrowed pointers; all must outlive the book.
  ConnectionBook(storage::Catalog* catalog, const Registry* registry,
                 const Matchmaker* matchmaker, AuditLog* audit, Clock* clock);

  // Whether the state machine allows `from` -> `to`.
  static bool Allowed(techmatch::v1::Connection::State from,
                      techmatch::v1::Connection::State to);

  absl::StatusOr<techmatch::v1::Connection> Create(
      const Caller& caller,
      const techmatch::v1::CreateConnectionRequest& request);
  // NOT_FOUND for a connection the caller may not see.
  absl::StatusOr<techmatch::v1::Connection> Get(const Caller& caller,
                                                absl::string_view name) const;
  absl::StatusOr<techmatch::v1::Connection> Transition(
      const Caller& caller,
      const techmatch::v1::TransitionConnectionRequest& request);
  // Whether `principal` may see `connection` (false when its need or
  // offer cannot be read).
  bool CanSee(const Principal& principal,
              const techmatch::v1::Connection& connection) const;

  // The connections the caller may see, by id.
  absl::StatusOr<techmatch::v1::ListConnectionsResponse> List(
      const Caller& caller,
      const techmatch::v1::ListConnectionsRequest& request) const;

 private:
  // What the caller may do with a connection between `need` and `offer`.
  struct Rights {
    bool see = false;
    bool act = false;
  };
  Rights RightsOn(const Principal& principal, const techmatch::v1::Need& need,
                  const techmatch::v1::Offer& offer) const;
  // The connection named `name` and the caller's rights on it; NOT_FOUND
  // (audited as a refusal) when it may not see it.
  absl::StatusOr<std::pair<techmatch::v1::Connection, Rights>> Load(
      const Caller& caller, absl::string_view name) const;
  absl::StatusOr<techmatch::v1::Connection> CreateLocked(
      const Caller& caller,
      const techmatch::v1::CreateConnectionRequest& request);
  absl::StatusOr<techmatch::v1::Connection> TransitionLocked(
      const Caller& caller,
      const techmatch::v1::TransitionConnectionRequest& request);

  storage::Catalog* const catalog_;
  const Registry* const registry_;
  const Matchmaker* const matchmaker_;
  AuditLog* const audit_;
  Clock* const clock_;
  std::mutex write_mu_;
};

}  // namespace techmatch::domain

#endif  // TECHMATCH_DOMAIN_CONNECTION_BOOK_H_
