#!/usr/bin/env bash
# Builds the browser package and copies the ready-to-serve files into OUTDIR:
#   vitrine.js        the ES module API (import { Vitrine } from './vitrine.js')
#   vitrine-core.js   the Emscripten ES module it loads (createVitrine)
#   vitrine.wasm      the SDK core, found next to vitrine.js
#   mappings.js       GA4 / Shopify Web Pixel mapping helpers (ES module)
#   loader.js         the snippet a theme pastes (classic script, lazy-loads vitrine.js)
#   vitrine.d.ts, mappings.d.ts, package.json, README.md
# Serve them from one folder with Content-Type application/wasm for .wasm and text/javascript
# for .js. Idempotent; the interface (arguments, file names) is stable.
# The four .js files are minified with terser (wasm/scripts/minify-js.sh; installed by `npm ci`
# in wasm/package on first use): about 5.5 KB less brotli on the core. Without npm they are
# copied unminified with a note. The repository keeps the readable sources.
#
# Usage: wasm/scripts/build-package.sh [OUTDIR] [--build-dir DIR] [--deps-dir DIR] [-j N]
#        OUTDIR defaults to build/wasm-package. Exits 1 when Emscripten is missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${ROOT}/build/wasm-package"
BUILD="${ROOT}/build/wasm"
DEPS="${ROOT}/build/wasm-deps"
JOBS=2
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) BUILD="$2"; shift 2 ;;
    --deps-dir) DEPS="$2"; shift 2 ;;
    -j) JOBS="$2"; shift 2 ;;
    -*) echo "unknown argument: $1" >&2; exit 2 ;;
    *) OUT="$1"; shift ;;
  esac
done
command -v emcmake >/dev/null || { echo "build-package: emscripten is not installed" >&2; exit 1; }
export NODE_PATH="${NODE_PATH:-/usr/share/nodejs}"

"${ROOT}/wasm/scripts/build-deps.sh" --deps-dir "${DEPS}" -j "${JOBS}" >/dev/null
emcmake cmake -S "${ROOT}/wasm" -B "${BUILD}" -G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel \
  -DVITRINE_WERROR=ON -DVITRINE_WASM_DEPS="${DEPS}/prefix" \
  "-DCMAKE_CROSSCOMPILING_EMULATOR=$(command -v node);--no-experimental-fetch" >/dev/null
nice -n 10 cmake --build "${BUILD}" --target vitrine_web_package -j "${JOBS}" >/dev/null

# The build assembles the folder in ${BUILD}/package (target vitrine_web_package).
mkdir -p "${OUT}"
cp "${BUILD}"/package/* "${OUT}/"
"${ROOT}/wasm/scripts/minify-js.sh" "${BUILD}/package" "${OUT}"
echo "${OUT}"
