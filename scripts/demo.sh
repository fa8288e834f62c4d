#!/bin/sh
# make demo: boot a real Debian ppc64el guest on build/qemu-system-ppc64
# (TCG, no devices or privileges needed) with a vPHB,
# -device spapr-pci-vfio-host-bridge,index=1,iommu=5, owning the IOMMU
# group of the fake VFIO kernel's NVMe (tests/vfio-fake).  Twice: on a
# POWER-like host (sPAPR TCE v2 IOMMU) and on an x86-like host (Type1,
# 39-bit aperture), where stock QEMU's DDW could not be mapped.  It shows
# what the guest saw and what the host mapped: the PHBs and their DMA
# windows, the DDW the guest's nvme driver created, the host's mappings
# and map calls, and the disk's checksum as the guest read it against the
# host's.
#   sh scripts/demo.sh [BUILDDIR]     (default: build)
set -eu
BUILD=${1:-build}
QEMU=$BUILD/qemu-system-ppc64
FAKE=$BUILD/qemu-build/tests/vfio-fake/libvfio-fake.so
for f in "$QEMU" "$FAKE"; do
    if [ ! -e "$f" ]; then
        echo "demo: $f is missing: run 'make' first" >&2
        exit 1
    fi
done
HERE=$(cd "$(dirname "$0")/.." && pwd)

cat <<'TEXT'
A real Debian 12 ppc64el guest (TCG) on our QEMU, with PHB 1 a vPHB:
  -device spapr-pci-vfio-host-bridge,index=1,id=phb1,iommu=5
Group 5 is the fake VFIO kernel's NVMe (8 MiB of random data); the vPHB
creates its vfio-pci function, and the guest's nvme driver reads the whole
disk and writes its last MiB.  (The first run downloads the guest kernel
and busybox, about 50 MB.)
TEXT
for iommu in spapr-tce-v2 type1; do
    case $iommu in
    spapr-tce-v2) echo; echo "== POWER-like host: sPAPR TCE v2 IOMMU ==" ;;
    type1) echo; echo "== x86-like host: Type1 IOMMU, 39-bit aperture ==" ;;
    esac
    if ! "$HERE/tests/functional/pseries-nvme-boot.sh" --summary \
            --vfio-fake="$FAKE" --vphb --iommu=$iommu "$QEMU" \
            2>"$BUILD/demo-$iommu.log" | sed 's/^SUMMARY: /  /'; then
        echo "demo: the guest run failed; see $BUILD/demo-$iommu.log" >&2
        exit 1
    fi
done
echo
echo "demo: done (QEMU's messages: $BUILD/demo-*.log)"
