#!/bin/bash
# pseries-boot-time.sh stock|vphb QEMU_BINARY VFIO_FAKE_LIB [CACHE_DIR]
#
# Time a real Debian 12 ppc64el guest's boot (TCG, SLOF, 1 GiB) with four
# host IOMMU groups of the fake VFIO kernel (tests/vfio-fake, sPAPR host,
# one edu function each) passed through:
#
#   stock  four plain PHBs (spapr-pci-host-bridge,index=1..4), each with a
#          vfio-pci of one group: what stock QEMU offers;
#   vphb   four spapr-pci-vfio-host-bridge,index=N,iommu=N.
#
# The guest's init prints its uptime and powers off at once: the boot is
# firmware, kernel, PCI probing and, per PHB, Linux's clear of its default
# window (512 H_STUFF_TCE of 512 pages), which stock turns into one host
# UNMAP_DMA per TCE.  Used by the TCE benchmark (tests/qtest/vphb/
# tce-bench.c, row f); on success prints one line on stdout:
#
#   BOOT wall_ms=N uptime_ms=N map_calls=N unmap_calls=N
#
# wall_ms is QEMU's run from exec to exit, uptime_ms the guest's
# /proc/uptime when init starts, the calls the fake's counts at exit.
# Diagnostics on stderr; exit status 0 only with the line printed, 2 when
# the guest's packages are not to be had (no cache and no network).
# The guest's packages are fetched once into CACHE_DIR by guest-assets.sh
# (default: $QEMU_VPHB_CACHE, else ~/.cache/qemu-spapr-vphb).

set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MODE=${1:-}
QEMU=${2:-}
FAKE_LIB=${3:-}
CACHE=${4:-${QEMU_VPHB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/qemu-spapr-vphb}}
TIMEOUT=${PSERIES_BOOT_TIMEOUT:-300}
GROUPS_N=4

die() { echo "pseries-boot-time: $*" >&2; exit 1; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# the fake reads only what is set below (a caller's VFIO_FAKE_IOMMU would
# override the topology's host, a stale state socket would abort it)
for v in $(compgen -v VFIO_FAKE_); do unset "$v"; done

case $MODE in stock|vphb) ;; *) die "usage: $0 stock|vphb QEMU_BINARY VFIO_FAKE_LIB [CACHE_DIR]" ;; esac
[ -x "$QEMU" ] || die "QEMU binary '$QEMU' is not executable"
[ -f "$FAKE_LIB" ] || die "no fake VFIO library '$FAKE_LIB'"
for tool in cpio gzip python3 timeout; do
    command -v "$tool" >/dev/null || die "missing tool '$tool'"
done

ASSETS=$("$HERE/guest-assets.sh" "$CACHE") || {
    echo "pseries-boot-time: guest-assets.sh could not provide the guest" >&2
    exit 2
}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pseries-boot-time.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$WORK"' EXIT

# the guest: busybox, an init that says when it started and powers off
ROOT=$WORK/initramfs
mkdir -p "$ROOT"/{bin,dev,proc} || die "cannot create $ROOT"
cp "$ASSETS/busybox" "$ROOT/bin/busybox" || die "no busybox in $ASSETS"
for applet in sh mount cut echo poweroff; do
    ln -s busybox "$ROOT/bin/$applet"
done
cat > "$ROOT/init" <<'EOF'
#!/bin/sh
export PATH=/bin
mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
echo
echo "@@UP@@ $(cut -d' ' -f1 /proc/uptime)"
poweroff -f
EOF
chmod +x "$ROOT/init"
(cd "$ROOT" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 > "$WORK/initrd.gz" ||
    die "cannot build the initramfs"

# four groups of one edu each, on a POWER-like host
TOPOLOGY=$WORK/topology.ini
{
    echo "[host]"
    echo "iommu=spapr-tce-v2"
    for g in $(seq $GROUPS_N); do
        printf '[group %d]\ndevices=0000:%02x:00.0\n' "$g" "$g"
    done
} > "$TOPOLOGY"

# shellcheck disable=SC2054  # the commas are QEMU's
ARGS=(
    -M pseries,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off
    -accel tcg -m 1G -smp 1 -nodefaults -nographic -no-reboot
    -kernel "$ASSETS/vmlinux" -initrd "$WORK/initrd.gz"
    -append "console=hvc0 panic=1 quiet"
    -serial "file:$WORK/console.log" -monitor none
)
for g in $(seq $GROUPS_N); do
    if [ "$MODE" = stock ]; then
        ARGS+=(-device "spapr-pci-host-bridge,index=$g,id=phb$g"
               -device "vfio-pci,host=$(printf '0000:%02x:00.0' "$g"),bus=phb$g.0,addr=0x0")
    else
        ARGS+=(-device "spapr-pci-vfio-host-bridge,index=$g,iommu=$g")
    fi
done

T0=$(now_ms)
env LD_PRELOAD="$FAKE_LIB" VFIO_FAKE_TOPOLOGY="$TOPOLOGY" \
    VFIO_FAKE_STATE_FILE="$WORK/state.json" \
    timeout "$TIMEOUT" "$QEMU" "${ARGS[@]}" </dev/null >"$WORK/qemu.out" 2>&1
status=$?
T1=$(now_ms)
if [ "$status" -ne 0 ] || ! grep -q '@@UP@@' "$WORK/console.log"; then
    echo "pseries-boot-time: QEMU exited with $status; its output and the console:" >&2
    sed 's/^/  /' "$WORK/qemu.out" "$WORK/console.log" | tail -n 40 >&2
    exit 1
fi
UPTIME=$(sed -n 's/.*@@UP@@ \([0-9.]*\).*/\1/p' "$WORK/console.log" | head -n 1)
CALLS=$(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
c = s["containers"]
print(sum(x["map-calls"] for x in c), sum(x["unmap-calls"] for x in c))
' "$WORK/state.json") || die "cannot read the fake's state"
read -r MAPS UNMAPS <<< "$CALLS"
echo "BOOT wall_ms=$((T1 - T0)) uptime_ms=$(python3 -c "print(round($UPTIME * 1000))") map_calls=$MAPS unmap_calls=$UNMAPS"
