#!/usr/bin/env bash
# Transfer sizes of the built module: raw, gzip -9 and brotli -q 11 of the .wasm and the JS glue.
# Usage: wasm/scripts/sizes.sh [build dir]   (default build/wasm; run wasm/scripts/test.sh first)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${1:-${ROOT}/build/wasm}"
command -v brotli >/dev/null || { echo "brotli is not installed (apt-get install brotli)" >&2; exit 1; }
total_gz=0
total_br=0
printf '%-22s %9s %9s %9s\n' file raw gzip-9 brotli-11
for f in "${BUILD}/vitrine_wasm.wasm" "${BUILD}/vitrine_wasm.js"; do
  raw=$(stat -c%s "$f")
  gz=$(gzip -9c "$f" | wc -c)
  br=$(brotli -q 11 -c "$f" | wc -c)
  total_gz=$((total_gz + gz))
  total_br=$((total_br + br))
  printf '%-22s %9d %9d %9d\n' "$(basename "$f")" "$raw" "$gz" "$br"
done
printf '%-22s %9s %9d %9d\n' "wasm + glue" "" "$total_gz" "$total_br"
