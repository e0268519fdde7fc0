#!/usr/bin/env bash
# Transfer sizes: raw, gzip -9 and brotli -q 11 of the module (.wasm + JS glue) and of the
# package's JS files (the theme loader first: its target is <= 8 KB brotli), as the package
# ships them: the JS minified by wasm/scripts/minify-js.sh, as build-package.sh does (unminified,
# with a note, when terser cannot be had). The readable sources' brotli sizes follow, for
# comparison.
# Usage: wasm/scripts/sizes.sh [build dir]   (default build/wasm; run wasm/scripts/test.sh first)
# Prints a table, then `key=value` lines for benchmark runners:
#   wasm_core_br_bytes / wasm_core_gz_bytes      vitrine_web.wasm + vitrine_web.mjs (the
#                                                  browser build; vitrine_wasm.* when absent)
#                                                  + package/vitrine.js, as tests/web/bench.mjs
#   wasm_module_br_bytes                          the module alone (wasm + JS glue)
#   wasm_loader_br_bytes / wasm_loader_gz_bytes  wasm/package/loader.js
#   wasm_package_js_br_bytes                      vitrine.js + mappings.js (loaded lazily)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${1:-${ROOT}/build/wasm}"
PKG="${ROOT}/wasm/package"
command -v brotli >/dev/null || { echo "brotli is not installed (apt-get install brotli)" >&2; exit 1; }
stem=vitrine_web
[[ -f "${BUILD}/${stem}.wasm" && -f "${BUILD}/${stem}.mjs" ]] || stem=vitrine_wasm
glue="${BUILD}/${stem}.mjs"
[[ -f "${glue}" ]] || glue="${BUILD}/${stem}.js"

# The JS as shipped: the glue under its package name, minified with the package's files.
TMP="$(mktemp -d)"
trap 'rm -rf "${TMP}"' EXIT
mkdir -p "${TMP}/src" "${TMP}/min"
cp "${PKG}/vitrine.js" "${PKG}/mappings.js" "${PKG}/loader.js" "${TMP}/src/"
cp "${glue}" "${TMP}/src/vitrine-core.js"
"${ROOT}/wasm/scripts/minify-js.sh" "${TMP}/src" "${TMP}/min"
MIN="${TMP}/min"

declare -A GZ BR
row() {  # row <label> <file>
  local raw gz br
  raw=$(stat -c%s "$2")
  gz=$(gzip -9c "$2" | wc -c)
  br=$(brotli -q 11 -c "$2" | wc -c)
  GZ[$1]=$gz
  BR[$1]=$br
  printf '%-22s %9d %9d %9d\n' "$1" "$raw" "$gz" "$br"
}
printf '%-22s %9s %9s %9s\n' file raw gzip-9 brotli-11
row "$(basename "${BUILD}/${stem}.wasm")" "${BUILD}/${stem}.wasm"
row "$(basename "${glue}")" "${MIN}/vitrine-core.js"
printf '%-22s %9s %9d %9d\n' "wasm + glue" "" $((GZ[${stem}.wasm] + GZ[$(basename "${glue}")])) \
  $((BR[${stem}.wasm] + BR[$(basename "${glue}")]))
row loader.js "${MIN}/loader.js"
row vitrine.js "${MIN}/vitrine.js"
row mappings.js "${MIN}/mappings.js"
glue_key="$(basename "${glue}")"
core_br=$((${BR[${stem}.wasm]} + ${BR[${glue_key}]} + ${BR[vitrine.js]}))
core_gz=$((${GZ[${stem}.wasm]} + ${GZ[${glue_key}]} + ${GZ[vitrine.js]}))
printf '%-22s %9s %9d %9d\n' "wasm + glue + API" "" "${core_gz}" "${core_br}"
src_br() { brotli -q 11 -c "$1" | wc -c; }
printf 'unminified brotli-11: glue %d, loader.js %d, vitrine.js %d, mappings.js %d\n' \
  "$(src_br "${glue}")" "$(src_br "${PKG}/loader.js")" "$(src_br "${PKG}/vitrine.js")" \
  "$(src_br "${PKG}/mappings.js")"
echo "wasm_core_br_bytes=${core_br}"
echo "wasm_core_gz_bytes=${core_gz}"
echo "wasm_module_br_bytes=$((BR[${stem}.wasm] + BR[$(basename "${glue}")]))"
echo "wasm_loader_br_bytes=${BR[loader.js]}"
echo "wasm_loader_gz_bytes=${GZ[loader.js]}"
echo "wasm_package_js_br_bytes=$((${BR[vitrine.js]} + ${BR[mappings.js]}))"
