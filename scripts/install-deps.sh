#!/bin/sh
# Install the Debian 12 packages the build and the tests need, if any is missing.
# Run as root (as CI and a fresh machine do); as another user it only reports.
set -eu

PACKAGES="
  gcc
  pkg-config
  meson
  ninja-build
  libglib2.0-dev
  libjson-glib-dev
  libfdt-dev
  linux-libc-dev
  python3
  python3-kconfiglib
  device-tree-compiler
  qemu-system-ppc
  qemu-system-x86
  busybox-static
  cpio
"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing Debian packages:$missing" >&2
    echo "install-deps: run as root, or: sudo apt-get install$missing" >&2
    exit 1
fi

echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >&2
