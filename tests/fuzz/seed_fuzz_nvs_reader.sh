#!/usr/bin/env bash
# Seeds the NVS reader's corpus with every golden image (plain and encrypted) and key partition.
set -euo pipefail
out=$1
shared=${ESPPROV_SHARED_DIR:-$(cd "$(dirname "$0")/../../.." && pwd)/shared}
for image in "$shared"/golden/nvs/*/expected*.bin; do
  case=$(basename "$(dirname "$image")")
  cp "$image" "$out/golden-$case-$(basename "$image")"
done
