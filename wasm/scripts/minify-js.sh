#!/usr/bin/env bash
# Minifies the package's shipped JS files with terser (a wasm/package devDependency, pinned by
# wasm/package/package-lock.json): whitespace, local names (--mangle) and dead code (--compress);
# exported names, property names and /*! license */ comments are kept. The readable sources stay
# in the repository; only the package output is minified. When terser cannot be had (no npm, or
# offline with no node_modules) the files are copied unchanged with a note, so the package still
# builds, only larger.
#
# Usage: wasm/scripts/minify-js.sh IN_DIR OUT_DIR
#   Reads vitrine.js, vitrine-core.js, mappings.js (ES modules: top-level names are private to
#   the module and mangled too; exports keep their names) and loader.js (a classic script: its
#   top-level names are globals and stay) from IN_DIR and writes them to OUT_DIR.
# Installs the devDependency with `npm ci` once when node_modules lacks terser; offline-safe
# when it is already there (npm is then not called).
set -euo pipefail
PKG="$(cd "$(dirname "${BASH_SOURCE[0]}")/../package" && pwd)"
[[ $# -eq 2 ]] || { echo "usage: minify-js.sh IN_DIR OUT_DIR" >&2; exit 2; }
IN="$1" OUT="$2"
MODULES=(vitrine.js vitrine-core.js mappings.js)
SCRIPTS=(loader.js)
TERSER="${PKG}/node_modules/terser/bin/terser"

if [[ ! -f "${TERSER}" ]] && command -v npm >/dev/null; then
  (cd "${PKG}" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error >/dev/null 2>&1) ||
    true
fi
mkdir -p "${OUT}"
if [[ ! -f "${TERSER}" ]] || ! command -v node >/dev/null; then
  echo "minify-js: terser not available (run npm ci in wasm/package); JS copied unminified" >&2
  for f in "${MODULES[@]}" "${SCRIPTS[@]}"; do
    [[ "${IN}/${f}" -ef "${OUT}/${f}" ]] || cp "${IN}/${f}" "${OUT}/${f}"
  done
  exit 0
fi
minify() {  # minify <file> [--module]
  # Written beside the target first, so a failed run never leaves a truncated file behind.
  node "${TERSER}" "${IN}/$1" --compress --mangle --comments some --ecma 2020 "${@:2}" \
    --output "${OUT}/$1.tmp"
  mv "${OUT}/$1.tmp" "${OUT}/$1"
}
for f in "${MODULES[@]}"; do minify "${f}" --module; done
for f in "${SCRIPTS[@]}"; do minify "${f}"; done
