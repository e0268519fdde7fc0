#!/usr/bin/env bash
# The mobile build of the SDK (sdk/mobile) cross-compiled for arm64 (aarch64, what phones run)
# with Debian's g++-aarch64-linux-gnu, and its C ABI tests run under qemu-user:
#   toolchain check -> scripts/mobile-deps.sh arm64 (sources + protobuf-lite, cached in
#   build/mobile-src and build/mobile-arm64-deps) -> configure/build build/mobile-arm64 ->
#   ctest (each test binary runs as `qemu-aarch64 -L /usr/aarch64-linux-gnu <test>`).
# Exits non-zero when anything fails. Without the toolchain it prints a skip and exits 0, except
# with CI=true, where a missing toolchain is a failure.
# Packages: g++-aarch64-linux-gnu qemu-user libc6-arm64-cross libstdc++6-arm64-cross (+ tcl for
# the first generation of sqlite3.c, protobuf-compiler for the host protoc).
# First run ~5 min on 2 cores (protobuf-lite, SQLite); cached runs ~1 min.
#
# Usage: scripts/mobile-arm64-test.sh [-j N]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JOBS=2
while [[ $# -gt 0 ]]; do
  case "$1" in
    -j) JOBS="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

missing=()
for tool in aarch64-linux-gnu-g++ aarch64-linux-gnu-gcc aarch64-linux-gnu-strip qemu-aarch64 protoc cmake ninja; do
  command -v "${tool}" >/dev/null || missing+=("${tool}")
done
[[ -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ]] || missing+=("libc6-arm64-cross")
[[ -n "$(ls /usr/aarch64-linux-gnu/lib/libstdc++.so.6* 2>/dev/null)" ]] || missing+=("libstdc++6-arm64-cross")
if [[ ${#missing[@]} -gt 0 ]]; then
  msg="mobile-arm64-test: missing ${missing[*]} (apt-get install g++-aarch64-linux-gnu qemu-user libc6-arm64-cross libstdc++6-arm64-cross)"
  if [[ "${CI:-}" == "true" ]]; then
    echo "FAIL: ${msg}" >&2
    exit 1
  fi
  echo "SKIP: ${msg}"
  exit 0
fi

DEPS_ARGS="$("${ROOT}/scripts/mobile-deps.sh" arm64 -j "${JOBS}" | tail -1)"
BUILD="${ROOT}/build/mobile-arm64"
# shellcheck disable=SC2086  # DEPS_ARGS is a list of -D arguments without spaces in values
cmake -S "${ROOT}/sdk/mobile" -B "${BUILD}" -G Ninja \
  -DCMAKE_TOOLCHAIN_FILE="${ROOT}/sdk/mobile/toolchains/aarch64-linux-gnu.cmake" \
  -DVITRINE_WERROR=ON ${DEPS_ARGS} >/dev/null
nice -n 10 cmake --build "${BUILD}" -j "${JOBS}"
# Check that what was built really is arm64 before trusting the test results.
file -L "${BUILD}/libvitrine.stripped.so" 2>/dev/null | grep -q "ARM aarch64" || {
  readelf -h "${BUILD}/libvitrine.stripped.so" | grep -q "AArch64" || {
    echo "FAIL: ${BUILD}/libvitrine.so is not an aarch64 binary" >&2; exit 1; }
}
ctest --test-dir "${BUILD}" --output-on-failure -j "${JOBS}"
echo "arm64 stripped sizes: libvitrine.so $(stat -c %s "${BUILD}/libvitrine.stripped.so") bytes" \
     "$( [[ -f "${BUILD}/libvitrine_jni.stripped.so" ]] && echo ", libvitrine_jni.so $(stat -c %s "${BUILD}/libvitrine_jni.stripped.so") bytes")"
