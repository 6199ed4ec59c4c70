#!/usr/bin/env bash
# Seeds for fuzz_x509_view: a self-signed EC certificate and a CSR in DER, and the certificate in PEM.
set -euo pipefail
work=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=seed -days 30 \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
openssl x509 -in "$tmp/cert.pem" -outform DER -out "$work/cert.der"
cp "$tmp/cert.pem" "$work/cert.pem"
openssl req -new -key "$tmp/key.pem" -subj /CN=seed -outform DER -out "$work/csr.der" 2>/dev/null
