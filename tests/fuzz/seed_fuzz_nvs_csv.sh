#!/usr/bin/env bash
# Seeds the NVS CSV corpus with every golden case's input CSV.
set -euo pipefail
out=$1
shared=${ESPPROV_SHARED_DIR:-$(cd "$(dirname "$0")/../../.." && pwd)/shared}
for csv in "$shared"/golden/nvs/*/input.csv; do
  cp "$csv" "$out/golden-$(basename "$(dirname "$csv")").csv"
done
