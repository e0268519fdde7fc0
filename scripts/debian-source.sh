#!/usr/bin/env bash
# Fetches and unpacks one Debian (bookworm) source package with Debian's patches applied, without
# touching the system's apt configuration: a private sources.list with deb-src lines and private
# lists/caches under WORK_DIR. Used by the builds that compile third-party C/C++ from source
# (the mobile build: SQLite, protobuf-lite, zlib; the same approach as wasm/scripts/build-deps.sh).
#
# Usage: scripts/debian-source.sh <package>[=<version>] <work dir>
#   Prints the path of the unpacked source tree (<work dir>/<package>-<upstream version>) on
#   stdout, everything else on stderr. Idempotent: an already unpacked tree is reused, so only
#   the first run needs the network. With <package>=<version> and that version gone from the
#   archive, falls back to the archive's current version of <package>.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 <package>[=<version>] <work dir>" >&2
  exit 2
fi
SPEC="$1"
WORK="$2"
PKG="${SPEC%%=*}"
mkdir -p "${WORK}"
WORK="$(cd "${WORK}" && pwd)"

# Reuse a tree unpacked earlier (the stamp holds its path).
STAMP="${WORK}/.${PKG}.unpacked"
if [[ -f "${STAMP}" ]] && [[ -d "$(cat "${STAMP}")" ]]; then
  cat "${STAMP}"
  exit 0
fi

APT_DIR="${WORK}/apt"
mkdir -p "${APT_DIR}/lists/partial"
{
  echo "deb-src http://deb.debian.org/debian bookworm main"
  echo "deb-src http://deb.debian.org/debian-security bookworm-security main"
  echo "deb-src http://deb.debian.org/debian bookworm-updates main"
} > "${APT_DIR}/sources.list"
APT_OPTS=(-o "Dir::Etc::SourceList=${APT_DIR}/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
          -o "Dir::State::Lists=${APT_DIR}/lists" -o "Dir::Cache::pkgcache="
          -o "Dir::Cache::srcpkgcache=" -o "APT::Get::Only-Source=true" -o "Debug::NoLocking=1")
if [[ ! -f "${APT_DIR}/.updated" ]]; then
  apt-get -qq "${APT_OPTS[@]}" update >&2
  touch "${APT_DIR}/.updated"
fi

DL="${WORK}/download-${PKG}"
mkdir -p "${DL}"
if ! ls "${DL}"/*.dsc >/dev/null 2>&1; then
  (cd "${DL}" && { apt-get -qq "${APT_OPTS[@]}" source --download-only "${SPEC}" >&2 2>/dev/null \
    || apt-get -qq "${APT_OPTS[@]}" source --download-only "${PKG}" >&2; })
fi
DSC="$(ls "${DL}"/*.dsc | tail -1)"
# Upstream version: the dsc's Version without the epoch and the Debian revision.
VERSION="$(sed -n 's/^Version: //p' "${DSC}" | head -1)"
VERSION="${VERSION#*:}"
VERSION="${VERSION%-*}"
DEST="${WORK}/${PKG}-${VERSION}"

if [[ ! -d "${DEST}" ]]; then
  if command -v dpkg-source >/dev/null; then
    (cd "${DL}" && dpkg-source --no-check -x "${DSC}" "${DEST}.tmp" >&2)
  else
    # Without dpkg-dev: the orig tarball(s), the debian/ tarball, then the quilt series by hand.
    mkdir -p "${DEST}.tmp"
    for orig in "${DL}"/*.orig.tar.*; do
      case "${orig}" in
        *.orig-*) ;;  # component tarballs (docs, www) are not needed to build
        *) tar -xf "${orig}" -C "${DEST}.tmp" --strip-components=1 ;;
      esac
    done
    tar -xf "${DL}"/*.debian.tar.* -C "${DEST}.tmp"
    if [[ -f "${DEST}.tmp/debian/patches/series" ]]; then
      while read -r patch _; do
        if [[ -n "${patch}" && "${patch}" != \#* ]]; then
          patch -d "${DEST}.tmp" -p1 -s < "${DEST}.tmp/debian/patches/${patch}"
        fi
      done < "${DEST}.tmp/debian/patches/series"
    fi
  fi
  mv "${DEST}.tmp" "${DEST}"
fi
echo "${DEST}" > "${STAMP}"
echo "${DEST}"
