#!/bin/sh
# Runs the Node peer tests (*.test.mjs here) against the built simulator; exits 77 (skipped) with a reason when
# Node or the pinned packages (npm ci in tests/js, done by scripts/setup) are missing.
cd "$(dirname "$0")" || exit 1
if ! command -v node >/dev/null 2>&1; then
  echo "SKIPPED: node is not installed"
  exit 77
fi
if [ ! -d node_modules/esptool-js ] || [ ! -d node_modules/improv-wifi-serial-sdk ]; then
  echo "SKIPPED: tests/js/node_modules is missing; run 'npm ci' in tests/js (scripts/setup does)"
  exit 77
fi
exec node --test
