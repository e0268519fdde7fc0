#!/usr/bin/env bash
# Builds the WebAssembly dependencies of the SDK core's tests into build/wasm-deps (never
# committed): GoogleTest from /usr/src/googletest (Debian libgtest-dev), without pthreads. The
# module itself needs nothing prebuilt: its wire messages are generated plain structs
# (proto/structs), not protobuf-lite.
# Idempotent: skipped when its install stamp exists. Needs emscripten (Debian 3.1.6).
#
# Usage: wasm/scripts/build-deps.sh [--deps-dir DIR] [-j N]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DEPS="${ROOT}/build/wasm-deps"
JOBS=2
while [[ $# -gt 0 ]]; do
  case "$1" in
    --deps-dir) DEPS="$2"; shift 2 ;;
    -j) JOBS="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

PREFIX="${DEPS}/prefix"
export NODE_PATH="${NODE_PATH:-/usr/share/nodejs}"
command -v emcmake >/dev/null || { echo "emscripten is not installed (apt-get install emscripten)" >&2; exit 1; }
mkdir -p "${DEPS}" "${PREFIX}"

# --- GoogleTest ------------------------------------------------------------------------------
if [[ ! -f "${PREFIX}/.gtest.stamp" ]]; then
  emcmake cmake -S /usr/src/googletest -B "${DEPS}/gtest-build" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="${PREFIX}" \
    -Dgtest_disable_pthreads=ON -DBUILD_GMOCK=OFF -DINSTALL_GTEST=ON >/dev/null
  nice -n 10 cmake --build "${DEPS}/gtest-build" -j "${JOBS}"
  cmake --install "${DEPS}/gtest-build" >/dev/null
  touch "${PREFIX}/.gtest.stamp"
fi

echo "wasm deps ready in ${PREFIX}"
