#!/usr/bin/env bash
# Grid sweep of the text-scoring knobs on the ViRE sets: prints, per setting,
# the eight nDCG@10 cells (as written, then without diacritics) of
# build/bench/quality. ~0.6 s per setting.
#   bench/quality_sweep.sh ../shared/data/vire "0.9 1.0 1.2" "0.75 0.8" "1.0" "1.0"
#                          DIR                 K1 values    B values   PAIRW ACCW
set -euo pipefail
DIR="${1:?vire directory}"; K1S="${2:-1.0 1.2}"; BS="${3:-0.75}"; PWS="${4:-1.0}"; AWS="${5:-1.0}"
for k1 in $K1S; do for b in $BS; do for pw in $PWS; do for aw in $AWS; do
  cells=$(K1=$k1 B=$b PAIRW=$pw ACCW=$aw "$(dirname "$0")/../build/bench/quality" vire "$DIR" |
    sed -n 's/.*nDCG@10= *\([0-9.]*\).*/\1/p' | tr '\n' ' ')
  echo "k1=$k1 b=$b pairw=$pw accw=$aw  $cells"
done; done; done; done
