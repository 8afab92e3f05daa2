// The one mapping from rocksdb::Status to absl::Status, for storage/'s own
// sources (not a public header of the library's users).
#ifndef TECHMATCH_STORAGE_ROCKS_STATUS_H_
#define TECHMATCH_STORAGE_ROCKS_STATUS_H_

#include <rocksdb/status.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace techmatch::storage {

// OK, or the status whose code matches `s` (NOT_FOUND, DATA_LOSS for
// corruption, RESOURCE_EXHAUSTED for a full disk, UNAVAILABLE for I/O and
// busy, else INTERNAL), its message prefixed with `what`.
inline absl::Status FromRocks(const rocksdb::Status& s,
                              absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  std::string message = absl::StrCat(what, ": ", s.ToString());
  if (s.IsNotFound()) return absl::NotFoundError(message);
  if (s.IsCorruption()) return absl::DataLossError(message);
  if (s.IsNoSpace()) return absl::ResourceExhaustedError(message);
  if (s.IsBusy() || s.IsTimedOut() || s.IsTryAgain() || s.IsIOError()) {
    return absl::UnavailableError(message);
  }
  return absl::InternalError(message);
}

}  // namespace techmatch::storage

#endif  // TECHMATCH_STORAGE_ROCKS_STATUS_H_
