#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite (unit, service, end-to-end,
# TLS, the HTTP/2 flood and the kill -9 crash test) with ctest, then each
# libFuzzer target briefly under ASan + UBSan (TECHMATCH_FUZZ_SECONDS each,
# default 20; 0 skips them).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
(cd build && ctest --output-on-failure -j 2 --timeout 900)
if [ "${TECHMATCH_FUZZ_SECONDS:-20}" != 0 ]; then
  scripts/fuzz.sh "${TECHMATCH_FUZZ_SECONDS:-20}"
fi
