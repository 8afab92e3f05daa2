// Early-return helpers for absl::Status / absl::StatusOr, which Abseil
// 20220623 does not ship.
#ifndef TECHMATCH_BASE_STATUS_MACROS_H_
#define TECHMATCH_BASE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Evaluates `expr` (an absl::Status); returns it from the enclosing function
// when it is not OK.
#define TM_RETURN_IF_ERROR(expr)                  \
  do {                                            \
    ::absl::Status tm_status_ = (expr);           \
    if (!tm_status_.ok()) return tm_status_;      \
  } while (false)

#define TM_CONCAT_INNER_(a, b) a##b
#define TM_CONCAT_(a, b) TM_CONCAT_INNER_(a, b)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status from
// the enclosing function, else moves the value into `lhs` (a declaration or
// an lvalue).
#define TM_ASSIGN_OR_RETURN(lhs, rexpr) \
  TM_ASSIGN_OR_RETURN_IMPL_(TM_CONCAT_(tm_statusor_, __LINE__), lhs, rexpr)
#define TM_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                              \
  if (!statusor.ok()) return statusor.status();         \
  lhs = std::move(statusor).value()

#endif  // TECHMATCH_BASE_STATUS_MACROS_H_
