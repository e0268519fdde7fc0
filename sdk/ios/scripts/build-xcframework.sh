#!/usr/bin/env bash
# Builds sdk/ios/build/VitrineCore.xcframework: the mobile build of the SDK (sdk/mobile: core,
# C ABI, SQLite amalgamation, protobuf-lite) as one static library per slice
#   ios-arm64 (devices), ios-arm64_x86_64-simulator,
# with vitrine.h + module.modulemap as its headers. Package.swift links it as VitrineCore.
#
# NOT RUN on the machine this repository is developed on: it needs macOS with Xcode 14+ (xcrun,
# xcodebuild, libtool, lipo) and CMake >= 3.22, none of which exist there. What is exercised
# instead: the same sdk/mobile project built and tested for linux x86_64 and arm64 (under qemu),
# and tests/mobile/swift_abi_test.c, which makes exactly the C ABI calls Vitrine.swift makes.
#
# Sources: the third-party trees come from Debian source packages, which a Mac cannot fetch with
# apt. Run `scripts/mobile-deps.sh x86_64` once on Linux and copy build/mobile-src over (or pass
# --src DIR): it holds the SQLite amalgamation and the protobuf source. zlib is the system's.
#
# Usage: sdk/ios/scripts/build-xcframework.sh [--src DIR] [--min-ios 13.0] [-j N]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
SRC="${ROOT}/build/mobile-src"
MIN_IOS=13.0
JOBS="$(sysctl -n hw.ncpu 2>/dev/null || echo 4)"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --src) SRC="$2"; shift 2 ;;
    --min-ios) MIN_IOS="$2"; shift 2 ;;
    -j) JOBS="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
if [[ "$(uname -s)" != "Darwin" ]] || ! command -v xcodebuild >/dev/null; then
  echo "build-xcframework.sh needs macOS with Xcode (xcodebuild); it cannot run here." >&2
  exit 1
fi
PROTOBUF_SRC="$(ls -d "${SRC}"/protobuf-*/ 2>/dev/null | head -1)"
if [[ ! -f "${SRC}/sqlite-amalgamation/sqlite3.c" || -z "${PROTOBUF_SRC}" ]]; then
  echo "no sources in ${SRC}: run scripts/mobile-deps.sh x86_64 on Linux and copy build/mobile-src" >&2
  exit 1
fi

OUT="${ROOT}/sdk/ios/build"
WORK="${OUT}/work"
mkdir -p "${WORK}"

# build_slice <name> <sdk: iphoneos|iphonesimulator> <archs ;-separated>
build_slice() {
  local name="$1" sdk="$2" archs="$3"
  local common=(-G Ninja -DCMAKE_SYSTEM_NAME=iOS -DCMAKE_OSX_SYSROOT="${sdk}"
                "-DCMAKE_OSX_ARCHITECTURES=${archs}" -DCMAKE_OSX_DEPLOYMENT_TARGET="${MIN_IOS}"
                -DCMAKE_BUILD_TYPE=MinSizeRel -DCMAKE_POSITION_INDEPENDENT_CODE=ON)
  # protobuf-lite for this slice.
  cmake -S "${PROTOBUF_SRC}/cmake" -B "${WORK}/${name}/protobuf" "${common[@]}" \
    -DCMAKE_INSTALL_PREFIX="${WORK}/${name}/prefix" \
    -Dprotobuf_BUILD_TESTS=OFF -Dprotobuf_BUILD_PROTOC_BINARIES=OFF -Dprotobuf_BUILD_LIBPROTOC=OFF \
    -Dprotobuf_WITH_ZLIB=OFF -Dprotobuf_BUILD_SHARED_LIBS=OFF
  cmake --build "${WORK}/${name}/protobuf" --target libprotobuf-lite -j "${JOBS}"
  mkdir -p "${WORK}/${name}/prefix/lib" "${WORK}/${name}/prefix/include"
  cp "${WORK}/${name}/protobuf/libprotobuf-lite.a" "${WORK}/${name}/prefix/lib/"
  (cd "${PROTOBUF_SRC}/src" && find google \( -name '*.h' -o -name '*.inc' \) -print |
    tar -cf - -T - | tar -xf - -C "${WORK}/${name}/prefix/include")
  # The SDK: static archives only (the shared libraries are the Linux/Android outputs).
  cmake -S "${ROOT}/sdk/mobile" -B "${WORK}/${name}/sdk" "${common[@]}" \
    -DVITRINE_MOBILE_SQLITE_DIR="${SRC}/sqlite-amalgamation" -DVITRINE_MOBILE_ZLIB_DIR= \
    -DVITRINE_MOBILE_PROTOBUF_PREFIX="${WORK}/${name}/prefix" \
    -DVITRINE_MOBILE_TESTS=OFF -DVITRINE_MOBILE_JNI=OFF
  cmake --build "${WORK}/${name}/sdk" -j "${JOBS}" \
    --target vitrine_mobile vitrine_sqlite3 vitrine_proto_lite vitrine_vocabulary
  # One archive per slice: what an app links.
  xcrun libtool -static -o "${WORK}/${name}/libVitrineCore.a" \
    "${WORK}/${name}/sdk/libvitrine_mobile.a" "${WORK}/${name}/sdk/libvitrine_sqlite3.a" \
    "${WORK}/${name}/sdk/proto/libvitrine_proto_lite.a" \
    "${WORK}/${name}/sdk/proto/libvitrine_vocabulary.a" \
    "${WORK}/${name}/prefix/lib/libprotobuf-lite.a"
}

build_slice ios-arm64 iphoneos "arm64"
build_slice ios-simulator iphonesimulator "arm64;x86_64"

HEADERS="${WORK}/headers"
rm -rf "${HEADERS}" && mkdir -p "${HEADERS}"
# vitrine.h only: the module map comes with the CVitrine target of Package.swift.
cp "${ROOT}/sdk/include/vitrine.h" \
   "${HEADERS}/"
rm -rf "${OUT}/VitrineCore.xcframework"
xcodebuild -create-xcframework \
  -library "${WORK}/ios-arm64/libVitrineCore.a" -headers "${HEADERS}" \
  -library "${WORK}/ios-simulator/libVitrineCore.a" -headers "${HEADERS}" \
  -output "${OUT}/VitrineCore.xcframework"
echo "built ${OUT}/VitrineCore.xcframework"
