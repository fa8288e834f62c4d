#!/bin/bash
# x86-nested-vfio.sh [OPTIONS] QEMU_PPC64 [CACHE_DIR [WORK_DIR]]
#
# The vPHB on a real Type1 host IOMMU, end to end: an x86 VM (L1: Debian's
# qemu-system-x86_64, TCG, q35 with an emulated Intel IOMMU) boots Debian
# 12's amd64 kernel with intel_iommu=on; its NVMe (an emulated one whose
# backing file is WORK_DIR/disk.img) is bound to vfio-pci in L1, and
# QEMU_PPC64 runs inside L1 with
#
#   -device spapr-pci-vfio-host-bridge,index=1,id=phb1,iommu=GROUP
#
# (default PHB settings) for the NVMe's IOMMU group.  The pseries guest is
# pseries-nvme-boot.sh's (pseries-guest.sh): Debian 12's ppc64el kernel,
# whose nvme driver creates a DDW, reads the whole disk and writes a
# pattern over its last MiB.  TAP on stdout, diagnostics on stderr.
#
# Checked: L1 booted with the IOMMU and bound the NVMe to vfio-pci; the
# guest's six checks (pseries-guest.sh: /init, nvme, md5 against the host's,
# scratch read back, the pattern in disk.img once L1 has gone, the DDW at
# the address the vPHB placed it: 2^38 on L1's 39-bit IOMMU); QEMU_PPC64
# exited cleanly; no host map failed and L1's IOMMU logged no DMA fault; the
# vPHB's windows (QOM, read over QMP after the guest powered off) hold the
# DDW with its mappings; L1 powered off in time.
# Reported (# SUMMARY: lines): the DDW, the host VFIO map and unmap calls
# (QEMU's vfio_iommu_map_notify trace events in L1: each is one
# VFIO_IOMMU_MAP_DMA or VFIO_IOMMU_UNMAP_DMA on a Type1 container), the
# vPHB's windows, L1's boot time, the pseries guest's boot and I/O times.
#
# Options:
# --stock: QEMU_PPC64 is stock QEMU (./configure --stock): the NVMe is
#   passed with -device vfio-pci,host=BDF on the machine's default PHB
#   instead.  Expected to FAIL: the guest creates its DDW at QEMU's 2^59,
#   which the 39-bit host cannot map (issue 14).
# --fw=slof|vof: the pseries firmware (default slof; vof boots faster).
# --summary: print only "SUMMARY: ..." lines.
# X86_NESTED_TIMEOUT: seconds before L1 is killed (default 840).
# X86_NESTED_QEMU: the x86 emulator (default qemu-system-x86_64).
# CACHE_DIR (default: $QEMU_VPHB_CACHE, else ~/.cache/qemu-spapr-vphb)
# holds both guests' packages (guest-assets.sh, --arch=amd64 for L1).
# WORK_DIR (default: a temporary directory, removed when every check
# passed) keeps both initramfs, disk.img and both consoles.
#
# Host: x86_64 (QEMU_PPC64 and its libraries run inside L1 as they are);
# Debian packages bash coreutils cpio gzip binutils qemu-system-x86
# qemu-system-data python3, plus guest-assets.sh's.

set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SUMMARY_ONLY='' STOCK='' FW=slof BAD_OPTION=''
while [ $# -gt 0 ]; do
    case $1 in
        --summary) SUMMARY_ONLY=1 ;;
        --stock) STOCK=1 ;;
        --fw=*) FW=${1#*=} ;;
        --) shift; break ;;
        -*) BAD_OPTION=$1 ;;
        *) break ;;
    esac
    shift
done
QEMU=${1:-}
CACHE=${2:-${QEMU_VPHB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/qemu-spapr-vphb}}
WORK=${3:-}
TIMEOUT=${X86_NESTED_TIMEOUT:-840}
QEMU_X86=${X86_NESTED_QEMU:-qemu-system-x86_64}
# seconds L1 gives the pseries guest, from its QEMU's start to its poweroff
L2_TIMEOUT=$((TIMEOUT - 120))

# The pseries guest's nvme sits on the vPHB (index 1) or, with --stock, on
# the machine's default PHB; its driver gets 90 s to bring the disk up.
if [ -n "$STOCK" ]; then
    GUEST_NVME_BDF=0000:00:00.0 GUEST_NVME_PHB=pci@800000020000000
fi
GUEST_NVME_WAIT=90
# shellcheck source=tests/functional/pseries-guest.sh
. "$HERE/pseries-guest.sh"

# ---- output ------------------------------------------------------------
TAP_NAME=x86-nested-vfio
# shellcheck source=tests/functional/tap-output.sh
. "$HERE/tap-output.sh"

# ---- setup -------------------------------------------------------------
[ -z "$BAD_OPTION" ] || setup_fail "unknown option '$BAD_OPTION'"
[ -n "$QEMU" ] || setup_fail "usage: $0 [--stock] [--fw=slof|vof] [--summary] QEMU_PPC64 [CACHE_DIR [WORK_DIR]]"
case $FW in
    slof) FW_BLOB=slof.bin MACHINE_FW='' ;;
    vof)  FW_BLOB=vof.bin  MACHINE_FW=,x-vof=on ;;
    *)    setup_fail "--fw='$FW': slof or vof" ;;
esac
[ -n "${EPOCHREALTIME:-}" ] || setup_fail "bash 5 or later is needed (EPOCHREALTIME)"
# The one thing a host may genuinely lack: QEMU_PPC64 and its libraries run
# unchanged inside the x86 VM.
[ "$(uname -m)" = x86_64 ] ||
    skip_all "the host is $(uname -m): $QEMU cannot run inside an x86_64 VM"
case $QEMU in */*) ;; *) QEMU=$(command -v "$QEMU") || setup_fail "no '${1:-}' in PATH" ;; esac
[ -x "$QEMU" ] || setup_fail "QEMU binary '$QEMU' is not executable"
QEMU=$(cd "$(dirname "$QEMU")" && pwd)/$(basename "$QEMU")
X86=$(command -v "$QEMU_X86") ||
    setup_fail "no $QEMU_X86 (apt-get install qemu-system-x86; scripts/install-deps.sh does)"
for tool in cpio gzip md5sum dd ldd python3 find sort; do
    command -v "$tool" >/dev/null || setup_fail "missing host tool '$tool'"
done
case $TIMEOUT in ''|*[!0-9]*) setup_fail "X86_NESTED_TIMEOUT='$TIMEOUT' is not a number of seconds" ;; esac
[ "$TIMEOUT" -ge 300 ] || setup_fail "X86_NESTED_TIMEOUT=$TIMEOUT: at least 300 s"
"$X86" -device help 2>/dev/null | grep -q '"intel-iommu"' ||
    setup_fail "$X86 has no intel-iommu device"
if [ -n "$STOCK" ]; then
    "$QEMU" -device vfio-pci,help 2>/dev/null | grep -q 'host=' ||
        setup_fail "$QEMU has no vfio-pci device"
else
    "$QEMU" -device spapr-pci-vfio-host-bridge,help 2>/dev/null | grep -q 'iommu=' ||
        setup_fail "$QEMU has no spapr-pci-vfio-host-bridge (a stock QEMU? use --stock)"
fi
# The firmware blob, from QEMU's own data dirs or Debian's qemu-system-data.
FW_FILE=
while read -r d; do
    [ -z "$FW_FILE" ] && [ -f "$d/$FW_BLOB" ] && FW_FILE=$d/$FW_BLOB
done < <("$QEMU" -L help 2>/dev/null; echo /usr/share/qemu)
[ -n "$FW_FILE" ] || setup_fail "no $FW_BLOB for $QEMU (apt-get install qemu-system-data)"

T0=$(now_ms)
PPC_ASSETS=$("$HERE/guest-assets.sh" "$CACHE") ||
    setup_fail "guest-assets.sh could not provide the pseries guest (see stderr)"
X86_ASSETS=$("$HERE/guest-assets.sh" --arch=amd64 "$CACHE") ||
    setup_fail "guest-assets.sh --arch=amd64 could not provide the x86 VM (see stderr)"
T_ASSETS=$(now_ms)

KEEP_WORK=1
if [ -z "$WORK" ]; then
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/x86-nested.XXXXXX") || setup_fail "mktemp failed"
    KEEP_WORK=
fi
mkdir -p "$WORK" || setup_fail "cannot create $WORK"
WORK=$(cd "$WORK" && pwd)

# L1's QEMU runs in a subshell that writes its PID to x86.pid and, when it
# has exited, its status to x86.rc: a shell that forks for minutes cannot
# trust 'wait PID' (bash forgets a status when the PID is used again).
XPID=
x86_running() { [ ! -e "$WORK/x86.rc" ]; }
stop_x86() {
    local _ pid
    pid=$(cat "$WORK/x86.pid" 2>/dev/null)
    x86_running && [ -n "$pid" ] || return 0
    kill "$pid" 2>/dev/null
    for _ in $(seq 30); do x86_running || return 0; sleep 0.1; done
    diag "L1's QEMU still there 3 s after SIGTERM: SIGKILL"
    kill -9 "$pid" 2>/dev/null
}
cleanup() {
    [ -z "$XPID" ] || stop_x86
    if [ -z "$KEEP_WORK" ] && [ "$FAILED" -eq 0 ]; then rm -rf "$WORK"
    else diag "work files kept in $WORK"; fi
}
trap cleanup EXIT
trap 'echo "Bail out! interrupted"; exit 130' INT TERM

# ---- the pseries guest and its disk --------------------------------------
mkdir -p "$WORK/l2" || setup_fail "cannot create $WORK/l2"
guest_initrd "$WORK/l2" "$PPC_ASSETS"
DISK=$WORK/disk.img
guest_disk "$DISK"

# ---- L1's initramfs ------------------------------------------------------
# busybox and the VFIO modules for the amd64 kernel; QEMU_PPC64 (without
# its debug info), the libraries it loads at the paths it loads them from,
# the firmware; the pseries guest's kernel and initramfs.
ROOT=$WORK/l1/initramfs
rm -rf "$ROOT"
mkdir -p "$ROOT"/{bin,dev,proc,sys,tmp,lib/modules,e2e/fw} || setup_fail "cannot create $ROOT"
cp "$X86_ASSETS/busybox" "$ROOT/bin/busybox" || setup_fail "no busybox in $X86_ASSETS"
cp "$X86_ASSETS"/modules/*.ko "$X86_ASSETS/modules.load" "$ROOT/lib/modules/" ||
    setup_fail "no modules in $X86_ASSETS"
if command -v strip >/dev/null; then
    strip -o "$ROOT/e2e/qemu-system-ppc64" "$QEMU" || setup_fail "cannot strip $QEMU"
else
    cp "$QEMU" "$ROOT/e2e/qemu-system-ppc64" || setup_fail "cannot copy $QEMU"
fi
LDD=$(ldd "$QEMU") || setup_fail "ldd $QEMU failed"
! grep -q 'not found' <<< "$LDD" || setup_fail "$QEMU misses libraries: $(grep 'not found' <<< "$LDD" | tr -s ' \t' ' ')"
while read -r lib; do
    { mkdir -p "$ROOT$(dirname "$lib")" && cp -L "$lib" "$ROOT$lib"; } || setup_fail "cannot copy $lib"
done < <(awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<< "$LDD" | sort -u)
cp "$FW_FILE" "$ROOT/e2e/fw/" || setup_fail "cannot copy $FW_FILE"
cp "$PPC_ASSETS/vmlinux" "$ROOT/e2e/vmlinux" || setup_fail "no vmlinux in $PPC_ASSETS"
cp "$WORK/l2/initrd.gz" "$ROOT/e2e/initrd.gz" || setup_fail "no pseries initramfs"

# What L1 runs: the pseries machine as pseries-nvme-boot.sh runs it, its
# NVMe on a vPHB (@GROUP@: the group L1 finds) or, --stock, on vfio-pci.
if [ -n "$STOCK" ]; then
    MODE=stock
    L2_DEVICE="-device vfio-pci,host=@BDF@,id=nvme0,bus=pci.0,addr=0x0"
    DDW_WANT=0x800000000000000      # QEMU's dma64_win_addr, 2^59
else
    MODE=vphb
    L2_DEVICE="-device spapr-pci-vfio-host-bridge,index=1,id=phb1,iommu=@GROUP@"
    # the vPHB's placement on L1's 39-bit IOMMU: the largest naturally
    # aligned block of the aperture clear of the MSI range, 2^38 at 2^38
    DDW_WANT=0x4000000000
fi
cat > "$ROOT/e2e/conf" <<EOF
MODE=$MODE
L2_TIMEOUT=$L2_TIMEOUT
L2_ARGS="-M pseries$MACHINE_FW,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off -L /e2e/fw -accel tcg -m 1G -smp 1 -nodefaults -display none -no-reboot -kernel /e2e/vmlinux -initrd /e2e/initrd.gz -monitor none $L2_DEVICE"
L2_APPEND="console=hvc0 panic=1 quiet"
EOF

cat > "$ROOT/init" <<'EOF'
#!/bin/busybox sh
# L1 side of x86-nested-vfio.sh: bind the NVMe to vfio-pci, run the pseries
# QEMU on its IOMMU group, read the vPHB's windows over QMP once the guest
# has powered off, count QEMU's host maps.  Results are '@@L1-TAG@@ value'
# lines on ttyS0; the pseries guest's console is ttyS1.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sys /sys
. /e2e/conf
up() { cut -d' ' -f1 /proc/uptime; }
echo
echo "@@L1-INIT@@ uptime=$(up)"
bye() { echo "@@L1-DONE@@ uptime=$(up)"; sync; poweroff -f; }
fail() {
    echo "@@L1-FAIL@@ $*"
    dmesg | tail -n 30 | sed 's/^/@@L1-DMESG@@ /'
    bye
}
while read -r m; do
    insmod "/lib/modules/$m.ko" || echo "@@L1-INSMOD-FAILED@@ $m"
done < /lib/modules/modules.load

# The NVMe: PCI class 01:08:02.
BDF=
for d in /sys/bus/pci/devices/*; do
    [ "$(cat "$d/class")" = 0x010802 ] && BDF=${d##*/}
done
[ -n "$BDF" ] || fail "no NVMe controller on L1's PCI bus"
DEV=/sys/bus/pci/devices/$BDF
[ -e "$DEV/iommu_group" ] || fail "$BDF has no IOMMU group: is the IOMMU on?"
G=$(readlink "$DEV/iommu_group"); G=${G##*/}
[ -e "$DEV/driver" ] && echo "$BDF" > "$DEV/driver/unbind"
echo vfio-pci > "$DEV/driver_override"
echo "$BDF" > /sys/bus/pci/drivers_probe
D=$(readlink "$DEV/driver"); D=${D##*/}
echo "@@L1-VFIO@@ bdf=$BDF group=$G driver=$D group-members=$(ls /sys/kernel/iommu_groups/$G/devices | tr '\n' ' ')"
[ "$D" = vfio-pci ] || fail "$BDF is bound to '$D', not vfio-pci"
[ -c "/dev/vfio/$G" ] || fail "no /dev/vfio/$G"
dmesg | grep -E 'DMAR: Host address width|DMAR: IOMMU enabled|Default domain type' |
    sed 's/^/@@L1-DMESG@@ /'
sed 's/^/@@L1-RESERVED@@ /' "/sys/kernel/iommu_groups/$G/reserved_regions"

# The pseries QEMU: its console on ttyS1, QMP on two FIFOs; it stays after
# the guest's poweroff (-no-shutdown) until asked over QMP to quit.
ARGS=$(echo "$L2_ARGS" | sed "s/@GROUP@/$G/g; s/@BDF@/$BDF/g")
mkfifo /tmp/qmp.in /tmp/qmp.out
DMESG_LINES=$(dmesg | wc -l)
echo "@@L1-QEMU-ARGS@@ $ARGS"
echo "@@L1-QEMU-START@@ uptime=$(up)"
# shellcheck disable=SC2086
/e2e/qemu-system-ppc64 $ARGS -append "$L2_APPEND" -serial /dev/ttyS1 \
    -qmp pipe:/tmp/qmp -no-shutdown \
    -trace enable=vfio_iommu_map_notify -D /tmp/trace.log \
    </dev/null >/tmp/qemu.out 2>&1 &
QPID=$!
exec 3<>/tmp/qmp.in 4<>/tmp/qmp.out
# qmp JSON: send a command, print its reply
qmp() {
    echo "$1" >&3
    while read -r -t 60 line <&4; do
        case $line in *'"return"'*|*'"error"'*) echo "$line"; return 0 ;; esac
    done
    echo "(no reply)"
    return 1
}
START=$(up); START=${START%.*}
qmp '{"execute": "qmp_capabilities"}' >/dev/null
STATE=
while [ -z "$STATE" ]; do
    if read -r -t 2 line <&4; then
        case $line in *'"SHUTDOWN"'*) STATE=shutdown ;; esac
        continue
    fi
    kill -0 $QPID 2>/dev/null || STATE=exited
    NOW=$(up); NOW=${NOW%.*}
    [ $((NOW - START)) -lt "$L2_TIMEOUT" ] || STATE=timeout
done
echo "@@L1-QEMU-STATE@@ $STATE uptime=$(up)"
if [ "$STATE" = shutdown ]; then
    if [ "$MODE" = vphb ]; then
        for p in backend dma64_win_addr windows; do
            echo "@@L1-QOM@@ $p $(qmp "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"/machine/peripheral/phb1\", \"property\": \"$p\"}}")"
        done
    fi
    qmp '{"execute": "quit"}' >/dev/null
fi
i=0
while kill -0 $QPID 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
kill -9 $QPID 2>/dev/null
wait $QPID
echo "@@L1-QEMU-EXIT@@ status=$? uptime=$(up)"

# One trace event per TCE notification that VFIO acts on: each MAP is one
# VFIO_IOMMU_MAP_DMA, each UNMAP one VFIO_IOMMU_UNMAP_DMA; a failed map is
# QEMU's error "vfio_container_dma_map(...) = -errno".
echo "@@L1-MAPS@@ map=$(grep -c 'iommu MAP' /tmp/trace.log) unmap=$(grep -c 'iommu UNMAP' /tmp/trace.log) map-errors=$(grep -c 'vfio_container_dma_map' /tmp/qemu.out)"
grep 'iommu MAP' /tmp/trace.log | head -n 2 | sed 's/^/@@L1-FIRST-MAPS@@ /'
head -n 40 /tmp/qemu.out | sed 's/^/@@L1-QEMU-OUT@@ /'
dmesg | tail -n +$((DMESG_LINES + 1)) | grep -i -E 'dmar|vfio|iommu' | head -n 40 |
    sed 's/^/@@L1-DMESG-RUN@@ /'
echo "@@L1-DMA-FAULTS@@ $(dmesg | tail -n +$((DMESG_LINES + 1)) | grep -c -i -E 'DMAR: \[DMA|DMAR:.*fault')"
bye
EOF
chmod +x "$ROOT/init"
(cd "$ROOT" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 > "$WORK/l1/initrd.gz" ||
    setup_fail "cannot build L1's initramfs"

# ---- run -----------------------------------------------------------------
L1_CONSOLE=$WORK/l1-console.log
CONSOLE=$WORK/console.log          # the pseries guest's, through L1's ttyS1
: > "$L1_CONSOLE"
: > "$CONSOLE"
# shellcheck disable=SC2054  # the commas are QEMU's
X86_ARGS=(
    -M q35 -accel tcg -cpu max -m 3G -smp 2
    -device intel-iommu,caching-mode=on
    -nodefaults -display none -no-reboot
    -kernel "$X86_ASSETS/vmlinuz" -initrd "$WORK/l1/initrd.gz"
    -append "console=ttyS0 intel_iommu=on panic=1 quiet"
    -serial "file:$L1_CONSOLE" -serial "file:$CONSOLE" -monitor none
    -drive "file=$DISK,if=none,id=nvdisk,format=raw"
    -device nvme,serial=e2envme0001,drive=nvdisk
)
diag "running: $X86 ${X86_ARGS[*]}"
rm -f "$WORK/x86.pid" "$WORK/x86.rc"
T_START=$(now_ms)
(
    "$X86" "${X86_ARGS[@]}" </dev/null >"$WORK/x86.out" 2>&1 &
    echo $! > "$WORK/x86.pid"
    wait $!
    echo $? > "$WORK/x86.rc"
) &
XPID=$!

# Milestones as the host sees them: L1's /init, the pseries QEMU's start,
# the pseries guest's /init, its disk present, checksummed, and its end.
# Twice a second, one grep per console.
declare -A T=()
TIMED_OUT=
while x86_running; do
    t=$(now_ms)
    while read -r m; do
        [ -n "${T[$m]:-}" ] || T[$m]=$t
    done < <(grep -a -h -o -E '@@(L1-INIT|L1-QEMU-START|L1-QEMU-EXIT|INIT|DISK-MD5|DONE)@@|@@NVME@@ present' \
                 "$L1_CONSOLE" "$CONSOLE" | tr -d '@' | cut -d' ' -f1)
    if [ $((t - T_START)) -ge $((TIMEOUT * 1000)) ]; then
        TIMED_OUT=1
        diag "timeout after ${TIMEOUT}s: killing L1"
        stop_x86
        break
    fi
    sleep 0.5
done
wait "$XPID"
XPID=
XRC=$(cat "$WORK/x86.rc" 2>/dev/null || echo "none")
T_END=$(now_ms)
tr -d '\r' < "$L1_CONSOLE" > "$L1_CONSOLE.txt"
tr -d '\r' < "$CONSOLE" > "$CONSOLE.txt"
l1val() { sed -n "s/^.*@@$1@@ //p" "$L1_CONSOLE.txt" | head -n1; }
# key=value from an @@L1-TAG@@ line
l1kv() { l1val "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n1; }

# ---- checks --------------------------------------------------------------
if grep -q '@@L1-INIT@@' "$L1_CONSOLE.txt"; then
    tap OK "L1 (x86_64, q35, intel-iommu) reached /init"
else
    tap FAIL "L1 (x86_64, q35, intel-iommu) reached /init"
    diag "L1's last console lines:"; tail -n 30 "$L1_CONSOLE.txt" >&2
fi
sed -n 's/^.*@@L1-INSMOD-FAILED@@ /insmod failed in L1: /p' "$L1_CONSOLE.txt" >&2
BDF=$(l1kv L1-VFIO bdf) GROUP=$(l1kv L1-VFIO group)
if [ "$(l1kv L1-VFIO driver)" = vfio-pci ] && [ -n "$GROUP" ] && ! grep -q '@@L1-FAIL@@' "$L1_CONSOLE.txt"; then
    tap OK "L1 bound its NVMe $BDF to vfio-pci (IOMMU group $GROUP)"
else
    tap FAIL "L1 bound its NVMe to vfio-pci (${BDF:-no NVMe}: $(l1val L1-FAIL))"
    sed -n 's/^.*@@L1-DMESG@@ /  L1: /p' "$L1_CONSOLE.txt" >&2
fi

guest_checks "$CONSOLE.txt" "$DISK" ddw "$DDW_WANT"

QSTATE=$(l1val L1-QEMU-STATE | cut -d' ' -f1)
QRC=$(l1kv L1-QEMU-EXIT status)
if [ "$QSTATE" = shutdown ] && [ "$QRC" = 0 ] && grep -q '@@DONE@@' "$CONSOLE.txt"; then
    tap OK "pseries QEMU exited cleanly in L1 after the guest powered off"
else
    tap FAIL "pseries QEMU exited cleanly in L1 (${QSTATE:-never started}, status ${QRC:-none})"
fi
sed -n 's/^.*@@L1-QEMU-OUT@@ /  pseries QEMU: /p' "$L1_CONSOLE.txt" >&2

MAPS=$(l1kv L1-MAPS map) UNMAPS=$(l1kv L1-MAPS unmap) MAP_ERRORS=$(l1kv L1-MAPS map-errors)
FAULTS=$(l1val L1-DMA-FAULTS)
if [ -n "$MAPS" ] && [ "$MAPS" -gt 0 ] && [ "$MAP_ERRORS" = 0 ] && [ "$FAULTS" = 0 ]; then
    tap OK "L1's IOMMU took every host map ($MAPS VFIO_IOMMU_MAP_DMA, none failed, no DMA fault)"
else
    tap FAIL "L1's IOMMU took every host map (maps ${MAPS:-?}, failed ${MAP_ERRORS:-?}, DMA faults ${FAULTS:-?})"
fi
sed -n 's/^.*@@L1-DMESG-RUN@@ /  L1: /p' "$L1_CONSOLE.txt" >&2

# The vPHB's own account, read over QMP: its container's backend, where it
# placed the DDW, and each window's TCE notifications and live mappings.
qom_windows() {
    python3 - "$1" "$2" <<'PY'
import json, sys
want = int(sys.argv[2], 0)
try:
    wins = json.loads(sys.argv[1])["return"]
except (ValueError, KeyError, TypeError):
    print("QOM_OK=0")
    print("QOM_DESC='no windows property in the QMP reply'")
    sys.exit(0)
desc, ok = [], False
for w in wins:
    desc.append("0x%x+0x%x/2^%d %s maps %d unmaps %d live %d" % (
        w["bus-address"], w["size"], w["page-shift"],
        "on" if w["enabled"] else "off", w["map-notifications"],
        w["unmap-notifications"], w["host-mappings"]))
    if (w["enabled"] and w["bus-address"] == want and
            w["map-notifications"] > 0 and w["host-mappings"] > 0):
        ok = True
print("QOM_OK=%d" % ok)
print("QOM_DESC='%s'" % "; ".join(desc))
PY
}
if [ -z "$STOCK" ]; then
    QOM_BACKEND=$(l1val L1-QOM | sed -n 's/^backend .*"return": "\([^"]*\)".*/\1/p')
    QOM_VARS=$(qom_windows "$(sed -n 's/^.*@@L1-QOM@@ windows //p' "$L1_CONSOLE.txt")" "$DDW_WANT")
    eval "$QOM_VARS"
    if [ "$QOM_OK" = 1 ] && [ "$QOM_BACKEND" = type1 ]; then
        tap OK "the vPHB's windows (QOM): a type1 container, the DDW at $DDW_WANT mapped"
    else
        tap FAIL "the vPHB's windows (QOM): a type1 container, the DDW at $DDW_WANT mapped (backend '${QOM_BACKEND}', $QOM_DESC)"
    fi
fi

if [ -z "$TIMED_OUT" ] && [ "$XRC" = 0 ] && grep -q '@@L1-DONE@@' "$L1_CONSOLE.txt"; then
    tap OK "L1 powered off within ${TIMEOUT}s"
else
    tap FAIL "L1 powered off (status $XRC${TIMED_OUT:+, timed out after ${TIMEOUT}s})"
    [ -s "$WORK/x86.out" ] && { diag "L1's QEMU said:"; cat "$WORK/x86.out" >&2; }
fi

# ---- summary -------------------------------------------------------------
diag "guest dmesg (DMA/IOMMU/nvme lines):"
sed -n 's/^.*@@DMESG@@ /  /p' "$CONSOLE.txt" >&2
# ms between two milestones, or '?'
span() {
    if [ -n "${T[$1]:-}" ] && [ -n "${T[$2]:-}" ]; then secs $((T[$2] - T[$1])); else echo '?'; fi
}
T[L0-START]=$T_START T[L0-END]=$T_END
if [ -n "$STOCK" ]; then via="stock vfio-pci on the default PHB"; else via="the vPHB (spapr-pci-vfio-host-bridge)"; fi
note "pseries QEMU: $("$QEMU" --version | head -n1), firmware $FW, NVMe via $via"
note "L1: $("$X86" --version | head -n1); kernel $(sed -n 's/^kernel=//p' "$X86_ASSETS/VERSIONS")"
note "L1: NVMe $BDF in IOMMU group ${GROUP:-?}; $(sed -n 's/^.*@@L1-DMESG@@ .*\(DMAR: Host address width [0-9]*\).*/\1/p' "$L1_CONSOLE.txt" | head -n1)"
while read -r line; do note "L1: reserved region $line"; done < <(sed -n 's/^.*@@L1-RESERVED@@ //p' "$L1_CONSOLE.txt")
note "guest: $(grep '^kernel=' "$PPC_ASSETS/VERSIONS")"
guest_note_windows
[ -n "$STOCK" ] || note "vPHB: backend ${QOM_BACKEND:-?}, windows: ${QOM_DESC:-?}"
note "host VFIO calls: MAP_DMA ${MAPS:-?} (${MAP_ERRORS:-?} failed), UNMAP_DMA ${UNMAPS:-?}; L1 DMA faults ${FAULTS:-?}"
while read -r line; do note "host map: $line"; done < <(sed -n 's/^.*@@L1-FIRST-MAPS@@ vfio_iommu_map_notify //p' "$L1_CONSOLE.txt")
guest_note_disk
note "assets ready in $(secs $((T_ASSETS - T0)))s"
note "L1 boot: /init $(span L0-START L1-INIT)s after its QEMU started"
note "pseries boot: /init $(span L1-QEMU-START INIT)s after its QEMU started in L1"
note "pseries I/O: nvme up $(span INIT NVME)s after /init; whole-disk read and md5 $(span NVME DISK-MD5)s; scratch write, flush and read-back $(span DISK-MD5 DONE)s"
note "pseries I/O, guest clock: nvme at $(tagval NVME 3), md5 at $(tagval DISK-MD5 2), done at $(tagval DONE)"
note "total: pseries QEMU ran $(span L1-QEMU-START L1-QEMU-EXIT)s, L1 $(span L0-START L0-END)s, test $(secs $((T_END - T0)))s"
note "result: $((NTEST - FAILED))/$NTEST checks passed"
[ -n "$SUMMARY_ONLY" ] || echo "1..$NTEST"
[ "$FAILED" -eq 0 ]
