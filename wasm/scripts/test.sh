#!/usr/bin/env bash
# The WebAssembly build's whole check in one command: dependencies (first run only), configure,
# build, and via ctest: the core's unit tests under node, the module smoke test, the package
# tests (node --test wasm/package/test) and the package's TypeScript check (tsc, from npm ci). Exits non-zero on any failure; exits 0
# with a note when Emscripten is not installed and --require is not given, so a caller can run it
# unconditionally.
#
# Usage: wasm/scripts/test.sh [--build-dir DIR] [--deps-dir DIR] [-j N] [--require]
#                             [-- extra ctest arguments]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${ROOT}/build/wasm"
DEPS="${ROOT}/build/wasm-deps"
JOBS=2
REQUIRE=0
CTEST_ARGS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) BUILD="$2"; shift 2 ;;
    --deps-dir) DEPS="$2"; shift 2 ;;
    -j) JOBS="$2"; shift 2 ;;
    --require) REQUIRE=1; shift ;;
    --) shift; CTEST_ARGS=("$@"); break ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

if ! command -v emcmake >/dev/null || ! command -v node >/dev/null; then
  if [[ "${REQUIRE}" == 1 ]]; then
    echo "wasm: emscripten or node missing (apt-get install emscripten nodejs)" >&2
    exit 1
  fi
  echo "wasm: skipped (emscripten not installed)"
  exit 0
fi

# Debian's emscripten finds its JS tools (acorn, ...) through NODE_PATH; node 20's built-in
# fetch breaks the 3.1.6 loader, hence --no-experimental-fetch wherever node runs the output.
export NODE_PATH="${NODE_PATH:-/usr/share/nodejs}"
NODE="$(command -v node)"

"${ROOT}/wasm/scripts/build-deps.sh" --deps-dir "${DEPS}" -j "${JOBS}"

# Configured every time (a second or two): keeps an old build folder on these settings.
emcmake cmake -S "${ROOT}/wasm" -B "${BUILD}" -G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel \
  -DVITRINE_WERROR=ON -DVITRINE_WASM_DEPS="${DEPS}/prefix" \
  "-DCMAKE_CROSSCOMPILING_EMULATOR=${NODE};--no-experimental-fetch" >/dev/null
nice -n 10 cmake --build "${BUILD}" -j "${JOBS}"
# TypeScript for the package's type check (ctest entry wasm_package_types), pinned by
# wasm/package/package-lock.json; skipped when already installed at the locked version.
PKG="${ROOT}/wasm/package"
TS_LOCKED="$(node -e 'console.log(require(process.argv[1]).packages["node_modules/typescript"].version)' "${PKG}/package-lock.json")"
TS_HAVE="$(node -e 'console.log(require(process.argv[1]).version)' "${PKG}/node_modules/typescript/package.json" 2>/dev/null || true)"
if [[ "${TS_LOCKED}" != "${TS_HAVE}" ]]; then
  (cd "${PKG}" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
ctest --test-dir "${BUILD}" -j "${JOBS}" --output-on-failure "${CTEST_ARGS[@]}"
