#!/usr/bin/env bash
# Installs the Debian 12 packages techmatch needs (a no-op when present) and
# builds it. Usage: scripts/setup.sh [BUILD_DIR] [extra cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  protobuf-compiler libprotobuf-dev
  libgrpc++-dev protobuf-compiler-grpc
  libabsl-dev librocksdb-dev libspdlog-dev libicu-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libssl-dev      # SHA-256 and random bytes of API keys
  zlib1g-dev      # CRC-32 of the match index snapshots
  openssl         # test certificates for the TLS tests
  clang-14 libclang-rt-14-dev   # libFuzzer targets (scripts/fuzz.sh)
  libxapian-dev   # only for bench/xapian_compare
  libxml2-utils librsvg2-bin    # the report test parses (xmllint) and renders (rsvg-convert) its SVG
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

BUILD_DIR="${1:-build}"
shift || true
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)"
