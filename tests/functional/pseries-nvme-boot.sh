#!/bin/bash
# pseries-nvme-boot.sh [OPTIONS] QEMU_BINARY [CACHE_DIR [WORK_DIR]]
#
# Boot a real Debian 12 ppc64el kernel on a TCG pseries machine with an NVMe
# disk behind a second PHB, and check that the guest's nvme driver reads and
# writes the disk through a dynamic DMA window (DDW).  TAP on stdout (meson
# protocol 'tap'), diagnostics on stderr.
#
# The NVMe is QEMU's emulated one, or, with --vfio-fake=LIB, the NVMe
# function of the fake VFIO kernel (tests/vfio-fake, group 5) passed through
# stock vfio-pci: QEMU runs with LIB preloaded and disk.img as the fake
# NVMe's namespace, and the fake's own account of the DMA is checked too.
#
# Options:
# --summary (or PSERIES_NVME_SUMMARY=1): print only "SUMMARY: ..." lines,
#   for humans and demos.  In TAP mode the same lines appear as "# SUMMARY:".
# --vfio-fake=LIB: the fake's NVMe through vfio-pci, LIB = libvfio-fake.so.
# --vphb: with --vfio-fake, PHB 1 is our spapr-pci-vfio-host-bridge owning
#   the fake NVMe's group (it creates the vfio-pci itself), with its default
#   settings: on Type1 it places the DDW inside the aperture by itself.
# --iommu=spapr-tce-v2|type1: the fake host's IOMMU (default spapr-tce-v2).
#   type1 also sets the PHB's dma64_win_addr to PSERIES_NVME_DMA64_WIN_ADDR
#   (default 0x4000000000, inside the 39-bit aperture; "qemu" keeps QEMU's
#   2^59, whose DDW maps a Type1 host refuses: issue 14).
# --dma=ddw|32bit: expect a DDW (default), or turn DDW off on the PHBs and
#   expect the nvme to work through the 32-bit window.
# PSERIES_NVME_TIMEOUT: seconds before QEMU is killed (default 240).
# PSERIES_NVME_APPEND: extra kernel command line.
# PSERIES_NVME_QEMU_ARGS: extra QEMU options (split on blanks).
# PSERIES_NVME_FW: slof (default) or vof (faster: no SLOF).
# PSERIES_NVME_FIRMWARE_DIR: where slof.bin / vof.bin is (default: QEMU's
# own data dirs, else /usr/share/qemu).
# CACHE_DIR (default: $QEMU_VPHB_CACHE, else ~/.cache/qemu-spapr-vphb, as the
# build's) holds the guest's packages, fetched by guest-assets.sh.
# WORK_DIR (default: a temporary directory, removed when every check
# passed) keeps the initramfs, disk.img and console.log.
#
# Host packages (Debian): bash coreutils cpio gzip util-linux
#   qemu-system-ppc (or a QEMU build), plus those listed in guest-assets.sh;
#   python3 with --vfio-fake (it reads the fake's JSON state).

set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SUMMARY_ONLY=${PSERIES_NVME_SUMMARY:-}
FAKE_LIB='' IOMMU=spapr-tce-v2 DMA=ddw VPHB='' BAD_OPTION=''
while [ $# -gt 0 ]; do
    case $1 in
        --summary) SUMMARY_ONLY=1 ;;
        --vfio-fake=*) FAKE_LIB=${1#*=} ;;
        --vphb) VPHB=1 ;;
        --iommu=*) IOMMU=${1#*=} ;;
        --dma=*) DMA=${1#*=} ;;
        --) shift; break ;;
        -*) BAD_OPTION=$1 ;;
        *) break ;;
    esac
    shift
done
QEMU=${1:-}
CACHE=${2:-${QEMU_VPHB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/qemu-spapr-vphb}}
WORK=${3:-}
TIMEOUT=${PSERIES_NVME_TIMEOUT:-240}
FAKE_BDF=0000:05:00.0  # the NVMe of the fake's default topology (group 5)

DISK_MIB=8             # whole disk, read and checksummed by the guest
SCRATCH_SKIP=1792      # 4 KiB blocks: the last MiB is written by the guest
SCRATCH_COUNT=256
PATTERN='pseries-nvme-ddw-scratch-pattern'

# ---- output ------------------------------------------------------------
NTEST=0
FAILED=0
diag() { echo "pseries-nvme-boot: $*" >&2; }
tap() {   # tap OK|FAIL description
    NTEST=$((NTEST + 1))
    local word=ok
    [ "$1" = OK ] || { word="not ok"; FAILED=$((FAILED + 1)); }
    [ -n "$SUMMARY_ONLY" ] || echo "$word $NTEST - $2"
    [ "$1" = OK ] || diag "FAILED: $2"
}
note() {  # TAP comment; also the summary line in --summary mode
    if [ -n "$SUMMARY_ONLY" ]; then echo "SUMMARY: $*"; else echo "# SUMMARY: $*"; fi
}
# A setup problem is one failed test and a plan, never a hang.
setup_fail() {
    FAILED=1   # keeps WORK_DIR for a look
    if [ -n "$SUMMARY_ONLY" ]; then echo "SUMMARY: setup failed: $*"
    else echo "not ok 1 - setup: $*"; echo "1..1"; fi
    diag "setup: $*"
    exit 1
}

# Milliseconds since the epoch, without forking (bash 5).
now_ms() { local t=${EPOCHREALTIME//[.,]/}; echo $((t / 1000)); }
secs() { printf '%d.%01d' $(($1 / 1000)) $(($1 % 1000 / 100)); }

# ---- setup -------------------------------------------------------------
[ -z "$BAD_OPTION" ] || setup_fail "unknown option '$BAD_OPTION'"
if [ -z "$QEMU" ] || [ -z "$CACHE" ]; then
    setup_fail "usage: $0 [--summary] [--vfio-fake=LIB [--vphb]] [--iommu=spapr-tce-v2|type1] [--dma=ddw|32bit] QEMU_BINARY [CACHE_DIR [WORK_DIR]]"
fi
[ -z "$VPHB" ] || [ -n "$FAKE_LIB" ] || setup_fail "--vphb needs --vfio-fake"
case $IOMMU in spapr-tce-v2|type1) ;; *) setup_fail "--iommu='$IOMMU': spapr-tce-v2 or type1" ;; esac
case $DMA in ddw|32bit) ;; *) setup_fail "--dma='$DMA': ddw or 32bit" ;; esac
if [ -n "$FAKE_LIB" ]; then
    [ -f "$FAKE_LIB" ] || setup_fail "--vfio-fake: no library '$FAKE_LIB'"
    FAKE_LIB=$(cd "$(dirname "$FAKE_LIB")" && pwd)/$(basename "$FAKE_LIB")
    command -v python3 >/dev/null || setup_fail "missing host tool 'python3' (reads the fake's state)"
    # A sanitized build's library needs ASan's runtime loaded before it,
    # first of all libraries, or ASan aborts: preload it ahead.
    FAKE_PRELOAD=$FAKE_LIB
    FAKE_ASAN=$(ldd "$FAKE_LIB" 2>/dev/null |
                awk '$1 ~ /^libasan\.so/ { print $3 }')
    [ -z "$FAKE_ASAN" ] || FAKE_PRELOAD="$FAKE_ASAN $FAKE_LIB"
elif [ "$IOMMU" != spapr-tce-v2 ]; then
    setup_fail "--iommu is the fake host's: it needs --vfio-fake"
fi
case $QEMU in */*) ;; *) QEMU=$(command -v "$QEMU") || setup_fail "no '${1:-}' in PATH" ;; esac
[ -x "$QEMU" ] || setup_fail "QEMU binary '$QEMU' is not executable"
[ -n "${EPOCHREALTIME:-}" ] || setup_fail "bash 5 or later is needed (EPOCHREALTIME)"
for tool in cpio gzip md5sum dd find sort head tail seq; do
    command -v "$tool" >/dev/null || setup_fail "missing host tool '$tool'"
done
case $TIMEOUT in ''|*[!0-9]*) setup_fail "PSERIES_NVME_TIMEOUT='$TIMEOUT' is not a number of seconds" ;; esac
"$QEMU" -device nvme,help 2>/dev/null | grep -q 'serial=' ||
    setup_fail "$QEMU has no 'nvme' device with a 'serial' property"
[ -z "$FAKE_LIB" ] || "$QEMU" -device vfio-pci,help 2>/dev/null | grep -q 'host=' ||
    setup_fail "$QEMU has no 'vfio-pci' device with a 'host' property"
"$QEMU" -device spapr-pci-host-bridge,help 2>/dev/null | grep -q 'index=' ||
    setup_fail "$QEMU has no 'spapr-pci-host-bridge' with an 'index' property"

# pseries boots through SLOF (default) or, with PSERIES_NVME_FW=vof,
# QEMU's Virtual Open Firmware: the same device tree, ~4 s less under TCG.
# A QEMU run from its build tree looks for the blob only in the build's
# qemu-bundle, so fall back to Debian's copy (qemu-system-data) when none
# of the QEMU's data dirs has it.
case ${PSERIES_NVME_FW:-slof} in
    slof) FW_BLOB=slof.bin MACHINE_FW='' ;;
    vof)  FW_BLOB=vof.bin  MACHINE_FW=,x-vof=on ;;
    *)    setup_fail "PSERIES_NVME_FW='${PSERIES_NVME_FW}' is neither slof nor vof" ;;
esac
FW_ARGS=()
FW_DIR=${PSERIES_NVME_FIRMWARE_DIR:-}
if [ -z "$FW_DIR" ]; then
    found=
    while read -r d; do [ -f "$d/$FW_BLOB" ] && found=1; done < <("$QEMU" -L help 2>/dev/null)
    [ -n "$found" ] || FW_DIR=/usr/share/qemu
fi
if [ -n "$FW_DIR" ]; then
    [ -f "$FW_DIR/$FW_BLOB" ] ||
        setup_fail "no $FW_BLOB for $QEMU (in its -L help dirs nor in $FW_DIR; apt-get install qemu-system-data)"
    diag "using $FW_DIR/$FW_BLOB (-L $FW_DIR)"
    FW_ARGS=(-L "$FW_DIR")
fi

T0=$(now_ms)
ASSETS=$("$HERE/guest-assets.sh" "$CACHE") || setup_fail "guest-assets.sh could not provide the guest (see stderr)"
T_ASSETS=$(now_ms)

KEEP_WORK=1
if [ -z "$WORK" ]; then
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/pseries-nvme.XXXXXX") || setup_fail "mktemp failed"
    KEEP_WORK=
fi
mkdir -p "$WORK" || setup_fail "cannot create $WORK"
WORK=$(cd "$WORK" && pwd)

QPID=
# SIGTERM lets QEMU close the disk image; SIGKILL if it does not go in 3 s.
stop_qemu() {
    local _
    kill "$QPID" 2>/dev/null || return 0
    for _ in $(seq 30); do kill -0 "$QPID" 2>/dev/null || return 0; sleep 0.1; done
    diag "QEMU still there 3 s after SIGTERM: SIGKILL"
    kill -9 "$QPID" 2>/dev/null
}
cleanup() {
    # Never leave a QEMU behind, whatever ended the script.
    [ -z "$QPID" ] || stop_qemu
    if [ -z "$KEEP_WORK" ] && [ "$FAILED" -eq 0 ]; then rm -rf "$WORK"
    else diag "work files kept in $WORK"; fi
}
trap cleanup EXIT
trap 'echo "Bail out! interrupted"; exit 130' INT TERM

# ---- initramfs ---------------------------------------------------------
ROOT=$WORK/initramfs
rm -rf "$ROOT"
mkdir -p "$ROOT"/{bin,dev,proc,sys,tmp,lib/modules} || setup_fail "cannot create $ROOT"
cp "$ASSETS/busybox" "$ROOT/bin/busybox" || setup_fail "no busybox in $ASSETS"
# The busybox is a ppc64el binary: it cannot run here to --install itself,
# so link the applets /init uses.
for applet in sh mount insmod sleep cat echo md5sum dd head yes grep sed \
              dmesg poweroff sync blockdev readlink ls tr cut od wc; do
    ln -s busybox "$ROOT/bin/$applet"
done
cp "$ASSETS"/modules/*.ko "$ASSETS/modules.load" "$ROOT/lib/modules/" ||
    setup_fail "no modules in $ASSETS"

cat > "$ROOT/init" <<EOF
#!/bin/sh
# Guest side of pseries-nvme-boot.sh.  Every result is one '@@TAG@@ value'
# line on the console, parsed by the host.
export PATH=/bin
mount -t devtmpfs dev /dev
# The initramfs has no /dev/console node (it is built without root), so
# the kernel started us without stdio: take the console now.
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sys /sys
# (a blank line first: the early console may have left a line unfinished)
echo
echo "@@INIT@@ uptime=\$(cut -d' ' -f1 /proc/uptime)"

while read -r m; do
    insmod "/lib/modules/\$m.ko" || echo "@@INSMOD-FAILED@@ \$m"
done < /lib/modules/modules.load

# The namespace shows up asynchronously after the controller reset.
i=0
while [ ! -b /dev/nvme0n1 ] && [ \$i -lt 300 ]; do sleep 0.1; i=\$((i + 1)); done
if [ -b /dev/nvme0n1 ]; then
    echo "@@NVME@@ present bytes=\$(blockdev --getsize64 /dev/nvme0n1) uptime=\$(cut -d' ' -f1 /proc/uptime)"
    echo "@@NVME-PCI@@ \$(readlink /sys/block/nvme0n1)"
    echo "@@DISK-MD5@@ \$(md5sum < /dev/nvme0n1 | cut -d' ' -f1) uptime=\$(cut -d' ' -f1 /proc/uptime)"
    # Write a known pattern over the last MiB, push it to the device, drop
    # the page cache so that the read-back is a real DMA from the disk.
    yes '$PATTERN' | head -c $((SCRATCH_COUNT * 4096)) > /tmp/pattern
    echo "@@PATTERN-MD5@@ \$(md5sum < /tmp/pattern | cut -d' ' -f1)"
    dd if=/tmp/pattern of=/dev/nvme0n1 bs=4096 seek=$SCRATCH_SKIP conv=fsync 2>/dev/null ||
        echo "@@SCRATCH-WRITE-FAILED@@"
    sync
    blockdev --flushbufs /dev/nvme0n1
    echo 3 > /proc/sys/vm/drop_caches
    echo "@@SCRATCH-MD5@@ \$(dd if=/dev/nvme0n1 bs=4096 skip=$SCRATCH_SKIP count=$SCRATCH_COUNT 2>/dev/null | md5sum | cut -d' ' -f1)"
else
    echo "@@NVME@@ missing"
fi

# Which interrupts the nvme queues use (MSI-X or INTx), and how many.
grep -i nvme /proc/interrupts | tr -s ' ' | sed 's/^/@@IRQ@@ /'
# DMA window evidence: the kernel's own log of its RTAS calls...
echo "@@DMESG-BEGIN@@"
dmesg | grep -i -E 'dma-window|ddw|dma window|iommu|tce|nvme' | sed 's/^/@@DMESG@@ /'
echo "@@DMESG-END@@"
# ...and what the firmware told it about each PHB.
for phb in /proc/device-tree/pci@*; do
    w=no; [ -e "\$phb/ibm,dma-window" ] && w="\$(od -An -tx1 "\$phb/ibm,dma-window" | tr -d ' \n')"
    d=no; [ -e "\$phb/ibm,ddw-applicable" ] && d=yes
    echo "@@PHB@@ \${phb##*/} ibm,dma-window=\$w ibm,ddw-applicable=\$d"
done
[ -b /dev/nvme0n1 ] || { echo "@@DMESG-TAIL@@"; dmesg | tail -n 40; }
echo "@@DONE@@ uptime=\$(cut -d' ' -f1 /proc/uptime)"
poweroff -f
EOF
chmod +x "$ROOT/init"
(cd "$ROOT" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 > "$WORK/initrd.gz" ||
    setup_fail "cannot build the initramfs"

# ---- disk ----------------------------------------------------------------
DISK=$WORK/disk.img
dd if=/dev/urandom of="$DISK" bs=1M count=$DISK_MIB 2>/dev/null || setup_fail "cannot create $DISK"
HOST_MD5=$(md5sum < "$DISK" | cut -d' ' -f1)
HEAD_MD5=$(head -c $((SCRATCH_SKIP * 4096)) "$DISK" | md5sum | cut -d' ' -f1)
PATTERN_MD5=$(yes "$PATTERN" | head -c $((SCRATCH_COUNT * 4096)) | md5sum | cut -d' ' -f1)

# ---- run -----------------------------------------------------------------
CONSOLE=$WORK/console.log
: > "$CONSOLE"
# shellcheck disable=SC2054  # the commas are QEMU's, not array separators
QEMU_ARGS=(
    -M "pseries$MACHINE_FW,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off"
    "${FW_ARGS[@]}"
    -accel tcg -m 1G -smp 1 -nodefaults -nographic -no-reboot
    -kernel "$ASSETS/vmlinux" -initrd "$WORK/initrd.gz"
    -append "console=hvc0 panic=1 quiet ${PSERIES_NVME_APPEND:-}"
    -serial "file:$CONSOLE" -monitor none
)
FAKE_GROUP=5           # the fake NVMe's IOMMU group
if [ -n "$VPHB" ]; then
    QEMU_ARGS+=(-device "spapr-pci-vfio-host-bridge,index=1,id=phb1,iommu=$FAKE_GROUP")
else
    QEMU_ARGS+=(-device spapr-pci-host-bridge,index=1,id=phb1)
fi
QEMU_ENV=()
FAKE_STATE=$WORK/fake-state.json
DDW_WANT=0x800000000000000
if [ -z "$FAKE_LIB" ]; then
    QEMU_ARGS+=(-drive "file=$DISK,if=none,id=nvdisk,format=raw"
                -device nvme,serial=ddwtest0001,drive=nvdisk,bus=phb1.0,addr=0x0)
else
    # Stock vfio-pci on an ordinary PHB, the fake kernel preloaded into
    # QEMU only; the fake's state is written to a file when QEMU exits.
    rm -f "$FAKE_STATE"
    [ -n "$VPHB" ] || QEMU_ARGS+=(-device "vfio-pci,host=$FAKE_BDF,bus=phb1.0,addr=0x0")
    QEMU_ENV=(LD_PRELOAD="$FAKE_PRELOAD" VFIO_FAKE_IOMMU="$IOMMU"
              VFIO_FAKE_NVME_BACKING="$DISK" VFIO_FAKE_STATE_FILE="$FAKE_STATE")
    if [ -n "$VPHB" ] && [ "$IOMMU" = type1 ]; then
        # the vPHB's own placement: the largest naturally aligned block of
        # the 39-bit aperture, 2^38 at 2^38 (hw/ppc/vphb, vphb_place_ddw)
        DDW_WANT=0x4000000000
    elif [ "$IOMMU" = type1 ] && [ "${PSERIES_NVME_DMA64_WIN_ADDR:-}" != qemu ]; then
        DDW_WANT=${PSERIES_NVME_DMA64_WIN_ADDR:-0x4000000000}
        QEMU_ARGS+=(-global "spapr-pci-host-bridge.dma64_win_addr=$DDW_WANT")
    fi
fi
[ "$DMA" = ddw ] || QEMU_ARGS+=(-global spapr-pci-host-bridge.ddw=off)
# Extra QEMU options, split on blanks (e.g. a negative check:
# PSERIES_NVME_QEMU_ARGS='-global spapr-pci-host-bridge.ddw=off').
read -r -a EXTRA <<< "${PSERIES_NVME_QEMU_ARGS:-}"
QEMU_ARGS+=("${EXTRA[@]}")
diag "running: ${QEMU_ENV[*]} $QEMU ${QEMU_ARGS[*]}"
T_START=$(now_ms)
env "${QEMU_ENV[@]}" "$QEMU" "${QEMU_ARGS[@]}" </dev/null >"$WORK/qemu.out" 2>&1 &
QPID=$!

# Poll the console: timestamps of the guest's milestones, and the timeout.
T_INIT='' T_MD5='' TIMED_OUT=
while kill -0 "$QPID" 2>/dev/null; do
    t=$(now_ms)
    [ -z "$T_INIT" ] && grep -q '@@INIT@@' "$CONSOLE" && T_INIT=$t
    [ -z "$T_MD5" ] && grep -q '@@DISK-MD5@@' "$CONSOLE" && T_MD5=$t
    if [ $((t - T_START)) -ge $((TIMEOUT * 1000)) ]; then
        TIMED_OUT=1
        diag "timeout after ${TIMEOUT}s: killing QEMU"
        stop_qemu
        break
    fi
    sleep 0.2
done
wait "$QPID"
QRC=$?
QPID=
T_END=$(now_ms)
# The console may hold \r from the hvc driver.
tr -d '\r' < "$CONSOLE" > "$CONSOLE.txt"
[ -n "$T_INIT" ] || ! grep -q '@@INIT@@' "$CONSOLE.txt" || T_INIT=$T_END
[ -n "$T_MD5" ] || ! grep -q '@@DISK-MD5@@' "$CONSOLE.txt" || T_MD5=$T_END

# Value of the first '@@TAG@@ ...' line (word $2, default the first).
tagval() { sed -n "s/^.*@@$1@@ //p" "$CONSOLE.txt" | head -n1 | cut -d' ' -f"${2:-1}"; }

# ---- checks --------------------------------------------------------------
if grep -q '@@INIT@@' "$CONSOLE.txt"; then
    tap OK "guest reached /init"
else
    tap FAIL "guest reached /init"
    diag "last console lines:"; tail -n 30 "$CONSOLE.txt" >&2
fi
sed -n 's/^.*@@INSMOD-FAILED@@ /insmod failed in the guest: /p' "$CONSOLE.txt" >&2

NVME=$(tagval NVME)
if [ "$NVME" = present ]; then
    tap OK "nvme device /dev/nvme0n1 appeared ($(tagval NVME 2), on $(tagval NVME-PCI | sed 's|.*/devices/||;s|/nvme/.*||'))"
else
    tap FAIL "nvme device /dev/nvme0n1 appeared"
    sed -n '/@@DMESG-TAIL@@/,/@@DONE@@/p' "$CONSOLE.txt" >&2
fi

GUEST_MD5=$(tagval DISK-MD5)
if [ -n "$GUEST_MD5" ] && [ "$GUEST_MD5" = "$HOST_MD5" ]; then
    tap OK "guest md5 of the whole disk equals the host's ($HOST_MD5)"
else
    tap FAIL "guest md5 of the whole disk equals the host's (guest '${GUEST_MD5}', host $HOST_MD5)"
fi

SCRATCH_MD5=$(tagval SCRATCH-MD5)
if [ "$SCRATCH_MD5" = "$PATTERN_MD5" ] && [ "$(tagval PATTERN-MD5)" = "$PATTERN_MD5" ] &&
   ! grep -q '@@SCRATCH-WRITE-FAILED@@' "$CONSOLE.txt"; then
    tap OK "guest read back its scratch write ($PATTERN_MD5)"
else
    tap FAIL "guest read back its scratch write (read '${SCRATCH_MD5}', expected $PATTERN_MD5)"
fi

HOST_TAIL_MD5=$(tail -c $((SCRATCH_COUNT * 4096)) "$DISK" | md5sum | cut -d' ' -f1)
HOST_HEAD_MD5=$(head -c $((SCRATCH_SKIP * 4096)) "$DISK" | md5sum | cut -d' ' -f1)
if [ "$HOST_TAIL_MD5" = "$PATTERN_MD5" ] && [ "$HOST_HEAD_MD5" = "$HEAD_MD5" ]; then
    tap OK "host sees the pattern in the last MiB of disk.img, the rest unchanged"
else
    tap FAIL "host sees the pattern in the last MiB of disk.img, the rest unchanged (tail $HOST_TAIL_MD5, head $HOST_HEAD_MD5 vs $HEAD_MD5)"
fi

# The DDW: Linux logs its ibm,create-pe-dma-window RTAS call for the
# device's PE: config address, PHB BUID (hi lo), page shift, window shift,
# the RTAS status, the new window's LIOBN and bus address (hi lo).
CREATE=$(grep '@@DMESG@@.*0001:00:00.0: ibm,create-pe-dma-window' "$CONSOLE.txt" | head -n1)
CREATE=${CREATE#*@@DMESG@@ }
DDW_ADDR='' DDW_DESC=''
re='create-pe-dma-window\([0-9a-f]+\) [0-9a-f]+ ([0-9a-f]+) ([0-9a-f]+) ([0-9a-f]+) ([0-9a-f]+) returned (-?[0-9]+) \(liobn = (0x[0-9a-f]+) starting addr = ([0-9a-f]+) ([0-9a-f]+)\)'
if [[ $CREATE =~ $re ]] && [ "${BASH_REMATCH[5]}" = 0 ]; then
    DDW_PHB=$(printf 'pci@%x' $(( (0x${BASH_REMATCH[1]} << 32) | 0x${BASH_REMATCH[2]} )))
    DDW_ADDR=$(printf '0x%x' $(( (0x${BASH_REMATCH[7]} << 32) | 0x${BASH_REMATCH[8]} )))
    DDW_DESC="on $DDW_PHB, liobn ${BASH_REMATCH[6]}, 2^$((0x${BASH_REMATCH[4]})) bytes in 2^$((0x${BASH_REMATCH[3]}))-byte pages"
fi
# The nvme sits on the second PHB (index 1): BUID 0x800000020000001.
if [ "$DMA" = 32bit ]; then
    if [ -z "$DDW_ADDR" ] && ! grep -q '@@DMESG@@.*0001:00:00.0: ibm,create-pe-dma-window' "$CONSOLE.txt"; then
        tap OK "guest made no DDW for the nvme PHB (ddw=off): the 32-bit window only"
    else
        tap FAIL "guest made no DDW for the nvme PHB (ddw=off), yet: $CREATE"
    fi
elif [ -n "$DDW_ADDR" ] && [ "$DDW_PHB" = pci@800000020000001 ] &&
     [ $((DDW_ADDR)) -eq $((DDW_WANT)) ]; then
    tap OK "guest created a DDW for the nvme PHB (window at $DDW_ADDR)"
    [ -n "$SUMMARY_ONLY" ] || echo "# DDW at $DDW_ADDR $DDW_DESC"
else
    tap FAIL "guest created a DDW for the nvme PHB at $DDW_WANT (got ${DDW_ADDR:-none})"
    diag "no successful ibm,create-pe-dma-window at $DDW_WANT on pci@800000020000001 for 0001:00:00.0 in the guest's dmesg"
fi
[ -z "$CREATE" ] || diag "dmesg: $CREATE"

if [ -z "$TIMED_OUT" ] && [ "$QRC" -eq 0 ] && grep -q '@@DONE@@' "$CONSOLE.txt"; then
    tap OK "QEMU exited cleanly after the guest powered off"
else
    tap FAIL "QEMU exited cleanly (status $QRC${TIMED_OUT:+, timed out after ${TIMEOUT}s})"
    [ -s "$WORK/qemu.out" ] && { diag "QEMU said:"; cat "$WORK/qemu.out" >&2; }
fi

# ---- the fake kernel's account ------------------------------------------
# What the fake saw at QEMU's exit: the NVMe function's DMA (counts, the
# IOVAs it touched), its container's maps and windows.  Shell assignments.
fake_summary() {
    python3 - "$FAKE_STATE" "$FAKE_BDF" <<'PY'
import json, sys
state = json.load(open(sys.argv[1]))
dev = grp = cont = None
for g in state["groups"]:
    for d in g["devices"]:
        if d["name"] == sys.argv[2]:
            dev, grp = d, g
for c in state["containers"]:
    if grp is not None and c["id"] == grp["container"]:
        cont = c
if dev is None:
    sys.exit("no device %s in the fake's state" % sys.argv[2])
nv = dev.get("nvme", {})
maps = cont["mappings"] if cont else []
out = {
    "F_GROUP": grp["id"], "F_OPEN": dev["open"], "F_IRQ": dev["irq"],
    "F_DMA_OK": dev["dma-ok"], "F_FAULTS": dev["dma-faults"],
    "F_REFUSED": dev["dma-refused"], "F_IRQS": dev["irqs"],
    "F_RESETS": dev["resets"],
    "F_LO": dev.get("dma-iova-lo", -1), "F_HI": dev.get("dma-iova-hi", -1),
    "F_CMDS": nv.get("commands", 0), "F_ERRORS": nv.get("errors", 0),
    "F_READ": nv.get("bytes-read", 0), "F_WRITTEN": nv.get("bytes-written", 0),
    "F_TYPE": cont["type"] if cont else "none",
    "F_MAP_CALLS": cont["map-calls"] if cont else 0,
    "F_MAP_ERRORS": cont["map-errors"] if cont else 0,
    "F_UNMAP_CALLS": cont["unmap-calls"] if cont else 0,
    "F_UNMAP_ERRORS": cont["unmap-errors"] if cont else 0,
    "F_MAPPINGS": len(maps),
    "F_MAPPED": sum(m["size"] for m in maps),
    "F_MAPPINGS_HIGH": sum(1 for m in maps if m["iova"] >= 1 << 32),
    "F_WINDOWS": " ".join("0x%x+0x%x/2^%d" % (w["start"], w["size"],
                                              w["page-shift"])
                          for w in (cont or {}).get("windows", [])) or "-",
}
for k, v in out.items():
    print("%s='%s'" % (k, v))
PY
}
iovas() { if [ "$F_LO" -lt 0 ]; then echo none; else printf '0x%x-0x%x' "$F_LO" "$F_HI"; fi; }
if [ -n "$FAKE_LIB" ]; then
    if [ -s "$FAKE_STATE" ] && FAKE_VARS=$(fake_summary); then
        eval "$FAKE_VARS"
        if [ "$F_DMA_OK" -gt 0 ] && [ "$F_FAULTS" -eq 0 ] && [ "$F_REFUSED" -eq 0 ] &&
           [ "$F_MAP_ERRORS" -eq 0 ] && [ "$F_UNMAP_ERRORS" -eq 0 ]; then
            tap OK "fake: group $F_GROUP's NVMe did $F_DMA_OK DMAs with no fault ($F_TYPE, $F_MAP_CALLS maps, none failed)"
        else
            tap FAIL "fake: group $F_GROUP's NVMe DMA without fault (dma-ok $F_DMA_OK, faults $F_FAULTS, refused $F_REFUSED, map errors $F_MAP_ERRORS, unmap errors $F_UNMAP_ERRORS)"
        fi
        # Which window the device's DMA really used: every IOVA it touched.
        if [ "$DMA" = ddw ]; then
            lo_ok=$(( F_LO >= DDW_WANT ))
            where="the DDW at $DDW_WANT"
        else
            lo_ok=$(( F_LO >= 0 && F_HI < (1 << 32) ))
            where="the 32-bit window"
        fi
        if [ "$F_DMA_OK" -gt 0 ] && [ "$lo_ok" -eq 1 ]; then
            tap OK "fake: every NVMe DMA went through $where ($(iovas))"
        else
            tap FAIL "fake: every NVMe DMA went through $where (IOVAs $(iovas))"
        fi
    else
        tap FAIL "fake: QEMU left its state in $FAKE_STATE"
        tap FAIL "fake: every NVMe DMA went through the expected window"
    fi
fi

# ---- summary -------------------------------------------------------------
diag "guest dmesg (DMA/IOMMU/nvme lines):"
sed -n 's/^.*@@DMESG@@ /  /p' "$CONSOLE.txt" >&2
note "qemu: $("$QEMU" --version | head -n1), firmware ${PSERIES_NVME_FW:-slof}"
note "guest: $(grep '^kernel=' "$ASSETS/VERSIONS")"
# ibm,dma-window: LIOBN (4 bytes), bus address (8), size (8).
while read -r phb win ddw; do
    win=${win#ibm,dma-window=}
    if [ "${#win}" -eq 40 ]; then
        win=$(printf 'default window liobn 0x%s at 0x%x size 0x%x' \
                "${win:0:8}" $((16#${win:8:16})) $((16#${win:24:16})))
    fi
    note "PHB $phb: $win, $ddw"
done < <(sed -n 's/^.*@@PHB@@ //p' "$CONSOLE.txt")
note "DDW for nvme 0001:00:00.0: ${DDW_ADDR:-none} ${DDW_DESC}"
if [ -n "$FAKE_LIB" ] && [ -n "${F_DMA_OK:-}" ]; then
    if [ -n "$VPHB" ]; then via="the vPHB (spapr-pci-vfio-host-bridge)"; else via="stock vfio-pci"; fi
    note "fake: $FAKE_BDF (group $F_GROUP) via $via, $F_TYPE, $F_IRQS interrupts signalled (type at exit: $F_IRQ), $F_RESETS resets"
    note "fake: nvme $F_CMDS commands, $F_ERRORS refused, $F_READ bytes read, $F_WRITTEN written"
    note "fake: DMA $F_DMA_OK ok, $F_FAULTS faults, $F_REFUSED refused, IOVAs $(iovas)"
    note "fake: MAP_DMA $F_MAP_CALLS ($F_MAP_ERRORS failed), UNMAP_DMA $F_UNMAP_CALLS ($F_UNMAP_ERRORS failed)"
    note "fake: at exit $F_MAPPINGS mappings ($F_MAPPINGS_HIGH above 4 GiB), $F_MAPPED bytes; windows $F_WINDOWS"
fi
while read -r line; do note "guest interrupt: $line"; done < <(sed -n 's/^.*@@IRQ@@ //p' "$CONSOLE.txt")
note "disk md5: host $HOST_MD5 guest ${GUEST_MD5:-none}; scratch ${SCRATCH_MD5:-none} (want $PATTERN_MD5)"
note "assets ready in $(secs $((T_ASSETS - T0)))s"
[ -z "$T_INIT" ] || note "boot: /init reached $(secs $((T_INIT - T_START)))s after QEMU started"
[ -z "$T_MD5" ] || note "disk read and md5 done at $(secs $((T_MD5 - T_START)))s"
note "total: QEMU ran $(secs $((T_END - T_START)))s, test $(secs $((T_END - T0)))s"
note "result: $((NTEST - FAILED))/$NTEST checks passed"
[ -n "$SUMMARY_ONLY" ] || echo "1..$NTEST"
[ "$FAILED" -eq 0 ]
