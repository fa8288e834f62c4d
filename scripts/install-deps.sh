#!/bin/sh
# Install the Debian 12 packages that the build and the tests need, if any
# is missing.  Run as root (as CI and a fresh machine do); as another user it
# only reports what is missing.
#
# QEMU 10.0 needs meson >= 1.5, which Debian 12 lacks: meson and pycotap come
# from Debian's bookworm-backports, which this script adds to apt's sources
# (a list of its own, so nothing else of the system's is touched).
set -eu

# name:minimum-version  (version empty: any)
PACKAGES="
  gcc:
  make:
  pkg-config:
  ninja-build:
  meson:1.5
  python3:
  python3-venv:
  python3-pycotap:
  dpkg-dev:
  xz-utils:
  ccache:
  flex:
  bison:
  libglib2.0-dev:
  libpixman-1-dev:
  libfdt-dev:
  zlib1g-dev:
  libslirp-dev:
  linux-libc-dev:
  qemu-system-data:
  seabios:
  ipxe-qemu:
  u-boot-qemu:
  kmod:
  cpio:
  gzip:
  qemu-system-x86:
"
# from bookworm-backports: Debian 12's own versions are too old for QEMU 10.0
BACKPORTS="meson python3-pycotap"
BACKPORTS_LIST=/etc/apt/sources.list.d/qemu-spapr-vphb-backports.list
BACKPORTS_LINE="deb http://deb.debian.org/debian bookworm-backports main"

installed_version() {
    dpkg-query -W -f='${Status} ${Version}' "$1" 2>/dev/null |
        sed -n 's/^install ok installed //p'
}

missing=""
for entry in $PACKAGES; do
    p=${entry%%:*}
    want=${entry#*:}
    have=$(installed_version "$p")
    if [ -z "$have" ]; then
        missing="$missing $p"
    elif [ -n "$want" ] && ! dpkg --compare-versions "$have" ge "$want"; then
        missing="$missing $p"
    fi
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing Debian packages:$missing" >&2
    echo "install-deps: run as root, or install them (meson >= 1.5 and python3-pycotap" \
         "from bookworm-backports)" >&2
    exit 1
fi

echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
if [ ! -f "$BACKPORTS_LIST" ]; then
    echo "install-deps: adding bookworm-backports ($BACKPORTS_LIST)" >&2
    echo "$BACKPORTS_LINE" > "$BACKPORTS_LIST"
fi
if ! apt-get update -q >&2; then
    echo "install-deps: 'apt-get update' failed: is the network (deb.debian.org) reachable?" >&2
    exit 1
fi

plain=""
bpo=""
for p in $missing; do
    case " $BACKPORTS " in
    *" $p "*) bpo="$bpo $p" ;;
    *) plain="$plain $p" ;;
    esac
done
# shellcheck disable=SC2086
[ -z "$plain" ] || apt-get install -y -q --no-install-recommends $plain >&2
# shellcheck disable=SC2086
[ -z "$bpo" ] || apt-get install -y -q --no-install-recommends -t bookworm-backports $bpo >&2
