#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang 14 (ASan + UBSan) in
# build-fuzz/ and runs each for SECONDS (default 20) on a copy of its seed
# corpus. New inputs stay in build-fuzz/corpus/; a crash leaves its input
# in build-fuzz/ and fails the script.
#   scripts/fuzz.sh [SECONDS] [TARGET...]    e.g. scripts/fuzz.sh 600 analyzer
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${1:-20}"
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(analyzer concepts json_import snapshot validators)

CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTECHMATCH_FUZZ=ON >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target $(printf 'fuzz_%s ' "${TARGETS[@]}")

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for t in "${TARGETS[@]}"; do
  corpus="build-fuzz/corpus/$t"
  mkdir -p "$corpus"
  cp -n tests/fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
  echo "== fuzz_$t for ${SECONDS_EACH} s"
  set +e
  out=$(cd build-fuzz && ./tests/fuzz/fuzz_"$t" -max_total_time="$SECONDS_EACH" \
      -print_final_stats=1 -max_len=4096 "corpus/$t" 2>&1)
  rc=$?
  set -e
  grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss_mb)" <<<"$out" || true
  if [ $rc -ne 0 ]; then
    grep -E "ERROR|SUMMARY|Test unit written|#[0-9]+ " <<<"$out" | head -40
    echo "fuzz_$t: FAILED (exit $rc); the input is in build-fuzz/"
    exit 1
  fi
done
