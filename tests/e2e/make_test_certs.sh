#!/usr/bin/env bash
# Makes throw-away certificates for the TLS tests in DIR:
#   ca.{key,pem}          the test CA
#   server.{key,pem}      for localhost / 127.0.0.1, signed by the CA
#   client.{key,pem}      a client certificate signed by the CA (mutual TLS)
#   rogue-ca.{key,pem}, rogue-client.{key,pem}  a CA the server does not trust
# The same commands, with real names and lifetimes, are in docs/security.md.
set -euo pipefail
DIR="$1"
mkdir -p "$DIR"
cd "$DIR"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ca() {  # NAME SUBJECT
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -sha256 -days 2 -subj "$2" -out "$1.pem" 2>/dev/null
}
leaf() {  # NAME SUBJECT CA EXTENSIONS
  key "$1.key"
  openssl req -new -key "$1.key" -subj "$2" -out "$1.csr" 2>/dev/null
  printf '%s\n' "$4" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -CAcreateserial \
    -days 2 -sha256 -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
ca ca "/CN=techmatch test CA"
ca rogue-ca "/CN=someone else's CA"
leaf server "/CN=localhost" ca "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth"
leaf client "/CN=dong-nai-portal" ca "extendedKeyUsage=clientAuth"
leaf rogue-client "/CN=intruder" rogue-ca "extendedKeyUsage=clientAuth"
