#!/usr/bin/env bash
# Sets up and builds techmatch, starts techmatchd on an embedded RocksDB in
# var/demo, loads the demo data in data/demo, and shows what was loaded.
# The server keeps running afterwards; stop it with: kill $(cat var/demo.pid)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build

PORT="${TECHMATCH_DEMO_PORT:-50051}"
mkdir -p var
if [ -f var/demo.pid ] && kill -0 "$(cat var/demo.pid)" 2>/dev/null; then
  echo "demo: stopping the previous demo server"
  kill "$(cat var/demo.pid)"; sleep 1
fi
rm -f var/demo.port
build/server/techmatchd --data_dir=var/demo --listen="127.0.0.1:${PORT}" \
  --port_file=var/demo.port >var/demo.log 2>&1 &
echo $! > var/demo.pid
for _ in $(seq 100); do [ -s var/demo.port ] && break; sleep 0.1; done
[ -s var/demo.port ] || { echo "demo: techmatchd did not start; see var/demo.log"; exit 1; }
export TECHMATCH_SERVER="127.0.0.1:${PORT}"
T=build/client/techmatch

echo "== techmatchd on ${TECHMATCH_SERVER} (data in var/demo, log in var/demo.log)"
$T health
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
echo "== offers in the Mekong Delta's Cà Mau (a Bạc Liêu offer is mapped to it)"
$T offer list --province="ca mau"
echo
echo "== one need in full"
$T need get needs/1
echo
echo "techmatchd is still running (pid $(cat var/demo.pid)); try: TECHMATCH_SERVER=${TECHMATCH_SERVER} $T help"
