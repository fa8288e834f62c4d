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

# the guest's /init, its disk, the checks of what it printed (pseries-guest.sh)
# shellcheck source=tests/functional/pseries-guest.sh
. "$HERE/pseries-guest.sh"

# ---- output ------------------------------------------------------------
TAP_NAME=pseries-nvme-boot
# shellcheck source=tests/functional/tap-output.sh
. "$HERE/tap-output.sh"

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
guest_initrd "$WORK" "$ASSETS"

# ---- disk ----------------------------------------------------------------
DISK=$WORK/disk.img
guest_disk "$DISK"

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

# ---- checks --------------------------------------------------------------
guest_checks "$CONSOLE.txt" "$DISK" "$DMA" "$DDW_WANT"

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
guest_note_windows
if [ -n "$FAKE_LIB" ] && [ -n "${F_DMA_OK:-}" ]; then
    if [ -n "$VPHB" ]; then via="the vPHB (spapr-pci-vfio-host-bridge)"; else via="stock vfio-pci"; fi
    note "fake: $FAKE_BDF (group $F_GROUP) via $via, $F_TYPE, $F_IRQS interrupts signalled (type at exit: $F_IRQ), $F_RESETS resets"
    note "fake: nvme $F_CMDS commands, $F_ERRORS refused, $F_READ bytes read, $F_WRITTEN written"
    note "fake: DMA $F_DMA_OK ok, $F_FAULTS faults, $F_REFUSED refused, IOVAs $(iovas)"
    note "fake: MAP_DMA $F_MAP_CALLS ($F_MAP_ERRORS failed), UNMAP_DMA $F_UNMAP_CALLS ($F_UNMAP_ERRORS failed)"
    note "fake: at exit $F_MAPPINGS mappings ($F_MAPPINGS_HIGH above 4 GiB), $F_MAPPED bytes; windows $F_WINDOWS"
fi
guest_note_disk
note "assets ready in $(secs $((T_ASSETS - T0)))s"
[ -z "$T_INIT" ] || note "boot: /init reached $(secs $((T_INIT - T_START)))s after QEMU started"
[ -z "$T_MD5" ] || note "disk read and md5 done at $(secs $((T_MD5 - T_START)))s"
note "total: QEMU ran $(secs $((T_END - T_START)))s, test $(secs $((T_END - T0)))s"
note "result: $((NTEST - FAILED))/$NTEST checks passed"
[ -n "$SUMMARY_ONLY" ] || echo "1..$NTEST"
[ "$FAILED" -eq 0 ]
