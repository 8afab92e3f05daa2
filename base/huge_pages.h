// Backing the malloc heap with transparent huge pages (THP).
//
// Why: on the machines techmatch is measured on (a paravirtualised VM) a
// first touch of a 4 KiB page costs ~11 us, so building a 1.2 GiB index
// spends seconds in page faults, mostly on the one thread that sets the pace
// of a start-up load. A 2 MiB page faults once for 512 of them. The kernel
// usually offers THP only to memory that asks for it (mode "madvise"), and
// glibc 2.36 asks only when told by an environment variable read at process
// start: GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (madvise every heap region it
// grows), with glibc.malloc.top_pad large enough (64 MiB) that the main heap
// grows in steps spanning whole 2 MiB pages. A process therefore sets the
// variable and re-executes itself once (same pid, same arguments).
//
// Measured at a million offers (docs/performance.md, round nine): cold
// start-up rebuild 34.3-43.7 s -> 29.6-34.4 s, ~860 MiB of the heap in huge
// pages, RSS +25 MiB.
#ifndef TECHMATCH_BASE_HUGE_PAGES_H_
#define TECHMATCH_BASE_HUGE_PAGES_H_

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

// The GLIBC_TUNABLES value a process should run with, given the current one
// (nullptr: unset) and the kernel's THP mode (the text of
// /sys/kernel/mm/transparent_hugepage/enabled, e.g. "always [madvise]
// never"). std::nullopt when nothing should change: THP is off or unknown
// (the selected mode is neither "always" nor "madvise"), or the value
// already sets glibc.malloc.hugetlb (an operator's choice is kept). Other
// tunables in the value are kept, ahead of the added ones.
inline std::optional<std::string> HugePageTunables(const char* current,
                                                   std::string_view thp_mode) {
  if (thp_mode.find("[always]") == std::string_view::npos &&
      thp_mode.find("[madvise]") == std::string_view::npos) {
    return std::nullopt;
  }
  std::string value = current == nullptr ? "" : current;
  if (value.find("glibc.malloc.hugetlb") != std::string::npos)
    return std::nullopt;
  if (!value.empty()) value += ':';
  value += kHugePageTunables;
  return value;
}

// Re-executes the running program (/proc/self/exe with `argv`) once with
// GLIBC_TUNABLES from HugePageTunables(), when that asks for a change.
// Returns without executing anything when no change is wanted, in the
// re-executed process (TECHMATCH_HUGE_PAGES_REEXEC marks it; it is removed),
// or when exec fails (the process then runs on as it is, with 4 KiB pages,
// and `*error`, when given, says why). Call first thing in main(), before
// any thread starts. Not thread-safe (it changes the environment).
inline void ReexecWithHugePages(char** argv, std::string* error = nullptr) {
  constexpr char kMarker[] = "TECHMATCH_HUGE_PAGES_REEXEC";
  if (std::getenv(kMarker) != nullptr) {
    unsetenv(kMarker);
    return;
  }
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::stringstream mode;
  mode << in.rdbuf();
  std::optional<std::string> tunables =
      HugePageTunables(std::getenv("GLIBC_TUNABLES"), mode.str());
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
    *error = std::string("re-executing with huge pages failed: ") +
             std::strerror(failure);
  }
}

}  // namespace techmatch

#endif  // TECHMATCH_BASE_HUGE_PAGES_H_
