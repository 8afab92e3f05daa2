// The repository's reference data, loaded once per fuzzing process.
#ifndef TECHMATCH_TESTS_FUZZ_FUZZ_REFERENCE_H_
#define TECHMATCH_TESTS_FUZZ_FUZZ_REFERENCE_H_

#include "domain/reference_data.h"

namespace techmatch::fuzz {

inline const domain::ReferenceData& Reference() {
  static const domain::ReferenceData* reference =
      domain::ReferenceData::LoadFromDirectory(TECHMATCH_SOURCE_DIR
                                               "/data/reference")
          ->release();
  return *reference;
}

// Stops the fuzzer on a broken property: libFuzzer reports the input.
inline void Check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace techmatch::fuzz

#endif  // TECHMATCH_TESTS_FUZZ_FUZZ_REFERENCE_H_
