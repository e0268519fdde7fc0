#!/usr/bin/env bash
# The mobile build of the SDK core (sdk/mobile, x86_64) under ThreadSanitizer, and its tests:
# tests/mobile/concurrency_test (8 capture threads + identify + concurrent flushes on one client,
# a fake server in the host executor; every event exactly once) and the C ABI tests. Any data
# race TSan reports fails the run (halt_on_error). Cached in build/mobile-src,
# build/mobile-x86_64-deps and build/mobile-tsan.
#
# Usage: scripts/mobile-tsan-test.sh [-j N]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JOBS=2
[[ "${1:-}" == "-j" ]] && JOBS="$2"

DEPS_ARGS="$("${ROOT}/scripts/mobile-deps.sh" x86_64 -j "${JOBS}" | tail -1)"
BUILD="${ROOT}/build/mobile-tsan"
# shellcheck disable=SC2086  # DEPS_ARGS is a list of -D arguments without spaces in values
cmake -S "${ROOT}/sdk/mobile" -B "${BUILD}" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DVITRINE_MOBILE_TSAN=ON -DVITRINE_MOBILE_JNI=OFF -DVITRINE_WERROR=ON ${DEPS_ARGS} >/dev/null
nice -n 10 cmake --build "${BUILD}" -j "${JOBS}"
# halt_on_error: the first race fails the test; second_deadlock_stack for lock-order reports.
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}" \
  ctest --test-dir "${BUILD}" --output-on-failure -E mobile_exports_test
