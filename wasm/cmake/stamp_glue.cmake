# cmake -DGLUE=<package>/vitrine-core.js -DWASM=<package>/vitrine.wasm -P stamp_glue.cmake
#
# Appends `export const wasmByteLength = <bytes of WASM>;` to the glue. The glue is built on
# MINIMAL_RUNTIME, which leaves its Promise pending forever when instantiation fails; a glue and
# a module from different builds (a stale file in a CDN or browser cache) would hang open(). The
# package's loader compares the fetched module's length with this stamp and refuses a mismatch.
file(SIZE "${WASM}" wasm_bytes)
file(APPEND "${GLUE}" "\nexport const wasmByteLength = ${wasm_bytes};\n")
