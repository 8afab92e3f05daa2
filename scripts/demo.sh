#!/usr/bin/env bash
# Sets up and builds techmatch, starts techmatchd on an embedded RocksDB in
# var/demo, loads the demo data in data/demo, and prints the explained top
# matches for a few needs.
# The server keeps running afterwards; stop it with: kill $(cat var/demo.pid)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build

PORT="${TECHMATCH_DEMO_PORT:-50051}"
mkdir -p var
if [ -f var/demo.pid ] && kill -0 "$(cat var/demo.pid)" 2>/dev/null; then
  echo "demo: stopping the previous demo server"
  OLD_PID="$(cat var/demo.pid)"
  kill "$OLD_PID"
  # It writes its index snapshot and closes the database before exiting.
  for _ in $(seq 300); do kill -0 "$OLD_PID" 2>/dev/null || break; sleep 0.1; done
fi
rm -f var/demo.port
build/server/techmatchd --data_dir=var/demo --listen="127.0.0.1:${PORT}" \
  --port_file=var/demo.port >var/demo.log 2>&1 &
echo $! > var/demo.pid
for _ in $(seq 100); do [ -s var/demo.port ] && break; sleep 0.1; done
[ -s var/demo.port ] || { echo "demo: techmatchd did not start; see var/demo.log"; exit 1; }
export TECHMATCH_SERVER="127.0.0.1:${PORT}"
# A new data directory gets a first ADMIN key, written (mode 0600) here.
export TECHMATCH_API_KEY_FILE=var/demo/bootstrap_admin.key
T=build/client/techmatch

echo "== techmatchd on ${TECHMATCH_SERVER} (data in var/demo, log in var/demo.log)"
$T health
$T whoami
echo "== importing demo data"
$T org import data/demo/organizations.jsonl
$T offer import data/demo/offers.jsonl
$T need import data/demo/needs.jsonl
echo
echo "== published offers"
$T offer list --state=PUBLISHED
echo
echo "== published needs"
$T need list --state=PUBLISHED
echo
for need in needs/1 needs/2 needs/3; do
  echo "== best offers for ${need}: $($T --json need get ${need} | sed -n 's/^ *"title": "\(.*\)",$/\1/p')"
  $T match need "${need}" --explain --page-size=3
done
echo "== a need nobody offers (Cordyceps cultivation): no good match, and no alert"
$T match need needs/7 --page-size=3
echo
echo "== needs that offers/6 (IoT shrimp-pond monitoring) can serve"
$T match offer offers/6
echo
echo "== alerts: each centre and exchange hears of the STRONG matches only"
sleep 1  # the alert engine follows the change log a moment behind the writes
$T alerts pull
echo
echo "== free-text search typed without diacritics: \"may say nong san\""
$T search offers "may say nong san" --page-size=3
echo
echo "== a connection from the best match for needs/1, moved to INTEREST_EXPRESSED"
$T connection create needs/1 offers/1 --from-match --note="gợi ý từ kết quả ghép" >/dev/null 2>&1 || true
$T connection move connections/1 INTEREST_EXPRESSED --note="doanh nghiệp quan tâm" 2>/dev/null |
  head -4 || true
echo
echo "== the year's account by province (CSV and SVG chart in var/)"
$T report --by=province --csv=var/report.csv --svg=var/report.svg
echo
echo "== access: a READ_ONLY key of another enterprise (organizations/8) cannot see the confidential needs/6"
KEY8=$($T --json key create --role=READ_ONLY --org=organizations/8 --label="demo reader" |
  sed -n 's/^ *"secret": "\(.*\)"$/\1/p')
TECHMATCH_API_KEY="$KEY8" $T whoami
TECHMATCH_API_KEY="$KEY8" $T need get needs/6 || true
echo "== the audit log records that refusal (ADMIN only)"
$T audit --outcome=DENIED --page-size=3
echo
echo "techmatchd is still running (pid $(cat var/demo.pid)); try:"
echo "  TECHMATCH_SERVER=${TECHMATCH_SERVER} TECHMATCH_API_KEY_FILE=${TECHMATCH_API_KEY_FILE} $T help"
