// The identity of the running program's build, for caches that must not
// outlive it (the match index snapshot).
#ifndef TECHMATCH_SERVER_BUILD_ID_H_
#define TECHMATCH_SERVER_BUILD_ID_H_

#include <string>

namespace techmatch {

// The GNU build id of the main executable (the linker's hash of its
// contents, --build-id, on by default in Debian's toolchain), as lowercase
// hex; empty when the executable carries none.
std::string ExecutableBuildId();

}  // namespace techmatch

#endif  // TECHMATCH_SERVER_BUILD_ID_H_
