#!/usr/bin/env bash
# Builds the WebAssembly dependencies of the SDK core into build/wasm-deps (never committed):
#  - protobuf-lite 3.21.12 from the Debian source package, so it matches the installed protoc;
#  - GoogleTest from /usr/src/googletest (Debian libgtest-dev), without pthreads.
# Idempotent: each step is skipped when its install stamp exists. Needs emscripten (Debian 3.1.6)
# and, for the first run only, access to the Debian source archive (deb-src through a private
# apt config; the system's apt configuration is left untouched).
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

PROTOBUF_VERSION=3.21.12
PREFIX="${DEPS}/prefix"
export NODE_PATH="${NODE_PATH:-/usr/share/nodejs}"
command -v emcmake >/dev/null || { echo "emscripten is not installed (apt-get install emscripten)" >&2; exit 1; }
mkdir -p "${DEPS}" "${PREFIX}"

# --- protobuf-lite ---------------------------------------------------------------------------
if [[ ! -f "${PREFIX}/.protobuf-${PROTOBUF_VERSION}.stamp" ]]; then
  SRC_DIR="${DEPS}/src"
  mkdir -p "${SRC_DIR}"
  if [[ ! -d "${SRC_DIR}/protobuf-${PROTOBUF_VERSION}" ]]; then
    # A private apt state with one deb-src line, so `apt-get source` works without touching
    # /etc/apt. Versions come from the same archive as the installed protoc.
    APT_DIR="${DEPS}/apt"
    mkdir -p "${APT_DIR}/lists/partial"
    echo "deb-src http://deb.debian.org/debian bookworm main" > "${APT_DIR}/sources.list"
    echo "deb-src http://deb.debian.org/debian-security bookworm-security main" >> "${APT_DIR}/sources.list"
    APT_OPTS=(-o "Dir::Etc::SourceList=${APT_DIR}/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
              -o "Dir::State::Lists=${APT_DIR}/lists" -o "Dir::Cache::pkgcache="
              -o "Dir::Cache::srcpkgcache=" -o "APT::Get::Only-Source=true"
              -o "Debug::NoLocking=1")
    apt-get -qq "${APT_OPTS[@]}" update
    # The source of the installed libprotobuf-dev when the archive still has it, so the runtime
    # matches the host protoc exactly; any 3.21.12 revision otherwise.
    PINNED="protobuf=$(dpkg-query -W -f '${Version}' libprotobuf-dev 2>/dev/null || true)"
    (cd "${SRC_DIR}" && { apt-get -qq "${APT_OPTS[@]}" source --download-only "${PINNED}" 2>/dev/null \
      || apt-get -qq "${APT_OPTS[@]}" source --download-only protobuf; })
    # Unpack with Debian's patches applied; without dpkg-dev, by hand from the series file.
    DSC=$(ls "${SRC_DIR}"/protobuf_${PROTOBUF_VERSION}-*.dsc | tail -1)
    if command -v dpkg-source >/dev/null; then
      (cd "${SRC_DIR}" && dpkg-source --no-check -x "${DSC}" "protobuf-${PROTOBUF_VERSION}" >/dev/null)
    else
      UNPACK="${SRC_DIR}/protobuf-${PROTOBUF_VERSION}.tmp"
      rm -rf "${UNPACK}" && mkdir -p "${UNPACK}"
      tar -xzf "${SRC_DIR}/protobuf_${PROTOBUF_VERSION}.orig.tar.gz" -C "${UNPACK}" --strip-components=1
      tar -xJf "${DSC%.dsc}.debian.tar.xz" -C "${UNPACK}"
      if [[ -f "${UNPACK}/debian/patches/series" ]]; then
        while read -r patch _; do
          if [[ -n "${patch}" && "${patch}" != \#* ]]; then
            patch -d "${UNPACK}" -p1 -s < "${UNPACK}/debian/patches/${patch}"
          fi
        done < "${UNPACK}/debian/patches/series"
      fi
      mv "${UNPACK}" "${SRC_DIR}/protobuf-${PROTOBUF_VERSION}"
    fi
  fi
  # protobuf 3.21's CMake project lives in cmake/; only the lite runtime is built.
  emcmake cmake -S "${SRC_DIR}/protobuf-${PROTOBUF_VERSION}/cmake" -B "${DEPS}/protobuf-build" -G Ninja \
    -DCMAKE_BUILD_TYPE=MinSizeRel -DCMAKE_INSTALL_PREFIX="${PREFIX}" \
    -Dprotobuf_BUILD_TESTS=OFF -Dprotobuf_BUILD_PROTOC_BINARIES=OFF -Dprotobuf_BUILD_LIBPROTOC=OFF \
    -Dprotobuf_WITH_ZLIB=OFF -Dprotobuf_BUILD_SHARED_LIBS=OFF -Dprotobuf_INSTALL=ON \
    -DCMAKE_CXX_FLAGS="-Wno-deprecated-declarations" >/dev/null
  nice -n 10 cmake --build "${DEPS}/protobuf-build" --target libprotobuf-lite -j "${JOBS}"
  # Install only what the lite runtime needs: the library and the headers.
  mkdir -p "${PREFIX}/lib" "${PREFIX}/include"
  cp "${DEPS}/protobuf-build/libprotobuf-lite.a" "${PREFIX}/lib/"
  (cd "${SRC_DIR}/protobuf-${PROTOBUF_VERSION}/src" && \
    find google \( -name '*.h' -o -name '*.inc' \) ! -path '*/testing/*' ! -name '*test*' -print | \
    tar -cf - -T - | tar -xf - -C "${PREFIX}/include")
  touch "${PREFIX}/.protobuf-${PROTOBUF_VERSION}.stamp"
fi

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
