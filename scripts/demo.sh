#!/bin/sh
# make demo: boot a real Debian ppc64el guest on build/qemu-system-ppc64
# (TCG, no devices or privileges needed) with an NVMe disk behind a second
# PHB, and show what the guest saw: the PHBs and their DMA windows, the
# dynamic DMA window its nvme driver created, and the disk's checksum as
# the guest read it against the host's.
#   sh scripts/demo.sh [BUILDDIR]     (default: build)
set -eu
BUILD=${1:-build}
QEMU=$BUILD/qemu-system-ppc64
if [ ! -x "$QEMU" ]; then
    echo "demo: $QEMU is missing: run 'make' first" >&2
    exit 1
fi
HERE=$(cd "$(dirname "$0")/.." && pwd)

cat <<'TEXT'
Booting Debian 12's ppc64el kernel on our QEMU (-M pseries, TCG):
  PHB 0 (default), PHB 1 with an NVMe disk of 8 MiB random data.
The guest reads the whole disk, writes its last MiB, and powers off.
(The first run downloads the guest kernel and busybox, about 50 MB.)

TEXT
# the test's own summary lines, without their prefix
if "$HERE/tests/functional/pseries-nvme-boot.sh" --summary "$QEMU" 2>"$BUILD/demo.log" |
        sed 's/^SUMMARY: /  /'; then
    echo
    echo "demo: done (QEMU's messages: $BUILD/demo.log)"
else
    echo "demo: the guest run failed; see $BUILD/demo.log" >&2
    exit 1
fi
