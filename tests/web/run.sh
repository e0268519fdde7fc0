#!/usr/bin/env bash
# The storefront's browser tests (tests/web/storefront.test.mjs) as scripts/test runs them:
# npm ci (playwright-core), the browser SDK package (wasm/scripts/build-package.sh), then node's
# test runner against vitrine-server in headless Debian Chromium.
#
#   tests/web/run.sh [--server-bin PATH] [--sdk-dir DIR] [--wasm-build-dir DIR]
#
# Without /usr/bin/chromium (or Emscripten, or npm) it prints a plain skip and exits 0; with
# CI=true that is a failure instead.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
server_bin="${VITRINE_SERVER_BIN:-}"
sdk_dir="$root/build/wasm-package"
package_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --server-bin) server_bin=$2; shift 2 ;;
    --sdk-dir) sdk_dir=$2; shift 2 ;;
    --wasm-build-dir) package_args+=(--build-dir "$2"); shift 2 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done

# Relative to the caller's directory; the tests run from tests/web.
if [ -n "$server_bin" ]; then server_bin=$(realpath -m "$server_bin"); fi
sdk_dir=$(realpath -m "$sdk_dir")

skip() {
  if [ "${CI:-}" = "true" ]; then
    echo "web tests: FAILED to start in CI: $1" >&2
    exit 1
  fi
  echo "web tests: skipped ($1)"
  exit 0
}
chromium="${VITRINE_CHROMIUM:-/usr/bin/chromium}"
[ -x "$chromium" ] || skip "$chromium not found (apt-get install chromium)"
command -v npm >/dev/null || skip "npm not found (apt-get install npm)"
command -v emcmake >/dev/null || skip "emscripten not found (apt-get install emscripten)"

if [ ! -f "$here/node_modules/playwright-core/package.json" ] ||
   [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
"$root/wasm/scripts/build-package.sh" "$sdk_dir" "${package_args[@]}"

export VITRINE_WEB_SDK_DIR="$sdk_dir"
if [ -n "$server_bin" ]; then export VITRINE_SERVER_BIN="$server_bin"; fi
cd "$here"
exec node --test storefront.test.mjs cross_origin.test.mjs
