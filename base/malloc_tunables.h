// Tuning glibc's malloc for techmatchd: the heap on transparent huge pages
// (THP) and a deeper per-thread cache. glibc 2.36 reads its tunables only
// from GLIBC_TUNABLES at process start, so a process sets the variable and
// re-executes itself once (same pid, same arguments).
//
// Huge pages: on the machines techmatch is measured on (a paravirtualised
// VM) a first touch of a 4 KiB page costs ~11 us, so building a 1.2 GiB
// index spends seconds in page faults, mostly on the one thread that sets
// the pace of a start-up load; a 2 MiB page faults once for 512 of them. The
// kernel usually offers THP only to memory that asks for it (mode
// "madvise"): glibc.malloc.hugetlb=1 makes malloc madvise every heap region
// it grows, and glibc.malloc.top_pad=67108864 makes the main heap grow in
// steps spanning whole 2 MiB pages. Measured at a million offers
// (docs/performance.md, round nine): cold start-up rebuild 34.3-43.7 s ->
// 29.6-34.4 s, ~860 MiB of the heap in huge pages, RSS +25 MiB.
//
// Per-thread cache: a match answered over gRPC allocates ~1,200 blocks
// (protobuf strings and messages of the explained response, records read
// back, gRPC's per-call arena). glibc keeps 7 free blocks of each size per
// thread; the rest went to the shared "fast bins", which the next call's
// arena allocation (a large block) merged back one by one: malloc was ~11%
// of all CPU at 16 clients, malloc_consolidate the largest part.
// glibc.malloc.tcache_count=1000 keeps a call's worth per thread: malloc
// ~5%, server CPU per call -6.5% (docs/performance.md, round ten).
#ifndef TECHMATCH_BASE_MALLOC_TUNABLES_H_
#define TECHMATCH_BASE_MALLOC_TUNABLES_H_

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

namespace techmatch {

// The tunables that back the heap with huge pages.
inline constexpr std::string_view kHugePageTunables =
    "glibc.malloc.hugetlb=1:glibc.malloc.top_pad=67108864";

// What a process asks of malloc.
struct MallocTuning {
  // Back the heap with THP where the kernel offers them.
  bool huge_pages = true;
  // Free blocks of each size class each thread keeps (glibc.malloc.
  // tcache_count, at most 65535); 0 leaves glibc's default (7).
  int tcache_count = 1000;
};

// The GLIBC_TUNABLES value a process should run with, given the current one
// (nullptr: unset), the kernel's THP mode (the text of
// /sys/kernel/mm/transparent_hugepage/enabled, e.g. "always [madvise]
// never") and `tuning`; std::nullopt when nothing should change. The huge
// page tunables are added only when the selected THP mode is "always" or
// "madvise" and the value does not set glibc.malloc.hugetlb; the tcache
// count only when the value does not set glibc.malloc.tcache_count (an
// operator's choice is kept). Tunables already in the value are kept, ahead
// of the added ones.
inline std::optional<std::string> MallocTunables(const char* current,
                                                 std::string_view thp_mode,
                                                 const MallocTuning& tuning) {
  const std::string before = current == nullptr ? "" : current;
  std::string value = before;
  auto add = [&](std::string_view tunable) {
    if (!value.empty()) value += ':';
    value += tunable;
  };
  const bool thp_offered =
      thp_mode.find("[always]") != std::string_view::npos ||
      thp_mode.find("[madvise]") != std::string_view::npos;
  if (tuning.huge_pages && thp_offered &&
      before.find("glibc.malloc.hugetlb") == std::string::npos) {
    add(kHugePageTunables);
  }
  if (tuning.tcache_count > 0 &&
      before.find("glibc.malloc.tcache_count") == std::string::npos) {
    add("glibc.malloc.tcache_count=" + std::to_string(tuning.tcache_count));
  }
  if (value == before) return std::nullopt;
  return value;
}

// Re-executes the running program (/proc/self/exe with `argv`) once with
// GLIBC_TUNABLES from MallocTunables(), when that asks for a change.
// Returns without executing anything when no change is wanted, in the
// re-executed process (TECHMATCH_MALLOC_REEXEC marks it; it is removed), or
// when exec fails (the process then runs on with glibc's defaults, and
// `*error`, when given, says why). Call first thing in main(), before any
// thread starts. Not thread-safe (it changes the environment).
inline void ReexecWithMallocTunables(char** argv, const MallocTuning& tuning,
                                     std::string* error = nullptr) {
  constexpr char kMarker[] = "TECHMATCH_MALLOC_REEXEC";
  if (std::getenv(kMarker) != nullptr) {
    unsetenv(kMarker);
    return;
  }
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::stringstream mode;
  mode << in.rdbuf();
  std::optional<std::string> tunables =
      MallocTunables(std::getenv("GLIBC_TUNABLES"), mode.str(), tuning);
  if (!tunables) return;
  const char* previous = std::getenv("GLIBC_TUNABLES");
  const std::optional<std::string> saved =
      previous == nullptr ? std::nullopt : std::optional<std::string>(previous);
  setenv("GLIBC_TUNABLES", tunables->c_str(), 1);
  setenv(kMarker, "1", 1);
  execv("/proc/self/exe", argv);
  // Still here: exec failed. Leave the environment as it was.
  const int failure = errno;
  unsetenv(kMarker);
  if (saved) {
    setenv("GLIBC_TUNABLES", saved->c_str(), 1);
  } else {
    unsetenv("GLIBC_TUNABLES");
  }
  if (error != nullptr) {
    *error = std::string("re-executing with malloc tunables failed: ") +
             std::strerror(failure);
  }
}

}  // namespace techmatch

#endif  // TECHMATCH_BASE_MALLOC_TUNABLES_H_
