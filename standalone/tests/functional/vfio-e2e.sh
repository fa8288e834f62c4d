#!/bin/bash
# vfio-e2e: our qemu-system-ppc64 on a real Linux VFIO host.
#
# Boots Debian's x86_64 kernel (linux-image-amd64, fetched with apt-get
# download and unpacked, never installed) with a busybox initramfs under
# Debian's qemu-system-x86_64: q35, intel-iommu (caching-mode=on), and
# QEMU's edu device alone behind its own PCIe root port, so alone in its
# IOMMU group.  The VM's init loads vfio, vfio_iommu_type1 and vfio-pci from
# the kernel package, binds edu to vfio-pci and runs vfio-e2e-test, which
# starts OUR qemu-system-ppc64 with
#   -device spapr-pci-vfio-host-bridge,index=1,iommu=<edu's group>
# and plays the pseries guest through qtest: TCEs -> real VFIO Type1
# map/unmap -> the real edu DMAs through the VM's IOMMU.
#
# The test program's TAP comes back over the serial console between
# VFIO-E2E-TAP-BEGIN and VFIO-E2E-TAP-END markers; this script relays it as
# its own TAP (stdout, for meson), adds its own checks, and fails on any
# mismatch.  Diagnostics go to stderr; the VM's files stay in WORK.
#
# Usage: vfio-e2e.sh QEMU_PPC64 VFIO_E2E_TEST CACHE_DIR
# Environment:
#   VFIO_E2E_ACCEL=kvm|tcg   force the accelerator (default: kvm if /dev/kvm
#                            is usable and the CPU shows vmx/svm, else tcg)
#   VFIO_E2E_TIMEOUT=SECONDS how long the VM may run (default 240)
# Exit: 0 (TAP tells pass/fail/skip), 1 on a failure.
set -u
export LC_ALL=C

QEMU_PPC=${1:?usage: vfio-e2e.sh QEMU_PPC64 VFIO_E2E_TEST CACHE_DIR}
TEST_BIN=${2:?usage: vfio-e2e.sh QEMU_PPC64 VFIO_E2E_TEST CACHE_DIR}
CACHE=${3:?usage: vfio-e2e.sh QEMU_PPC64 VFIO_E2E_TEST CACHE_DIR}
WORK=$CACHE/../vfio-e2e-work
VM_TIMEOUT=${VFIO_E2E_TIMEOUT:-240}
START=$(date +%s)

log() { echo "vfio-e2e: $*" >&2; }
skip() { log "SKIP: $*"; echo "1..0 # SKIP $*"; exit 0; }
# a failure before any test ran: one failed TAP test with the reason
die() { log "FAIL: $*"; echo "not ok 1 - vfio-e2e setup: $*"; echo "1..1"; exit 1; }

# --- tools: Debian packages only ---------------------------------------------------
for t in qemu-system-x86_64:qemu-system-x86 cpio:cpio dpkg-deb:dpkg ldd:libc-bin; do
    command -v "${t%%:*}" >/dev/null 2>&1 ||
        skip "${t%%:*} not found (Debian package ${t#*:}; scripts/install-deps.sh installs it)"
done
BUSYBOX=
for b in /bin/busybox /usr/bin/busybox; do
    # the initramfs has no libc of its own for busybox: it must be the static one
    if [ -x "$b" ] && ! ldd "$b" >/dev/null 2>&1; then BUSYBOX=$b; break; fi
done
[ -n "$BUSYBOX" ] || skip "no static busybox (Debian package busybox-static)"
[ -x "$QEMU_PPC" ] || die "$QEMU_PPC is not built"
[ -x "$TEST_BIN" ] || die "$TEST_BIN is not built"

# --- the kernel: fetched once into CACHE --------------------------------------------
# CACHE/kernel/{vmlinuz, modules/lib/modules/KVER/..., kver} holds just what the
# VM needs: the image, and vfio + vfio_iommu_type1 + vfio-pci with the modules
# they depend on (from modules.dep, made with busybox depmod since the package
# ships none) and a modules.dep for them.
MODULES="vfio vfio_iommu_type1 vfio-pci"
KDIR=$CACHE/kernel
fetch_kernel() {
    local tmp=$CACHE/tmp deb meta dep kver mdir need closure m
    rm -rf "$tmp" "$KDIR"
    mkdir -p "$tmp" || return 1
    log "fetching linux-image-amd64 (once; cached in $CACHE)"
    if ! (cd "$tmp" && apt-get download -q linux-image-amd64 >&2); then
        if [ "$(id -u)" = 0 ]; then
            log "apt-get download failed: apt-get update, then again"
            apt-get update -q >&2 || true
        fi
        (cd "$tmp" && apt-get download -q linux-image-amd64 >&2) ||
            { echo "apt-get download linux-image-amd64 failed"; return 1; }
    fi
    meta=$(ls "$tmp"/linux-image-amd64_*.deb) || return 1
    # the metapackage names the versioned image package
    dep=$(dpkg-deb -f "$meta" Depends | tr ',' '\n' | sed -n 's/^ *\(linux-image-[0-9][^ ]*\).*/\1/p' | head -1)
    [ -n "$dep" ] || { echo "no linux-image-* in linux-image-amd64's Depends"; return 1; }
    (cd "$tmp" && apt-get download -q "$dep" >&2) || { echo "apt-get download $dep failed"; return 1; }
    deb=$(ls "$tmp"/"$dep"_*.deb) || return 1
    log "unpacking $(basename "$deb")"
    dpkg-deb -x "$deb" "$tmp/x" || { echo "dpkg-deb -x $deb failed"; return 1; }
    kver=$(ls "$tmp/x/lib/modules" | head -1)
    mdir=$tmp/x/lib/modules/$kver
    [ -f "$tmp/x/boot/vmlinuz-$kver" ] || { echo "no vmlinuz-$kver in $dep"; return 1; }
    if [ ! -f "$mdir/modules.dep" ]; then
        "$BUSYBOX" depmod -b "$tmp/x" "$kver" || { echo "depmod failed"; return 1; }
    fi
    # the closure of MODULES over modules.dep
    need=
    for m in $MODULES; do
        m=$(echo "$m" | tr _ -)
        need="$need $(grep -E "(^|/)($m|$(echo "$m" | tr - _))\.ko[^:]*:" "$mdir/modules.dep" | head -1 | cut -d: -f1)"
    done
    closure=
    for m in $need; do
        closure="$closure $m $(grep -E "^$m:" "$mdir/modules.dep" | cut -d: -f2)"
    done
    closure=$(echo "$closure" | tr ' ' '\n' | sed '/^$/d' | sort -u)
    [ -n "$closure" ] || { echo "vfio modules not found in $dep"; return 1; }
    mkdir -p "$tmp/k/modules/lib/modules/$kver"
    for m in $closure; do
        mkdir -p "$tmp/k/modules/lib/modules/$kver/$(dirname "$m")"
        cp "$mdir/$m" "$tmp/k/modules/lib/modules/$kver/$m" || return 1
        grep -E "^$m:" "$mdir/modules.dep" >> "$tmp/k/modules/lib/modules/$kver/modules.dep"
    done
    cp "$tmp/x/boot/vmlinuz-$kver" "$tmp/k/vmlinuz" || return 1
    echo "$kver" > "$tmp/k/kver"
    basename "$deb" > "$tmp/k/package"
    mv "$tmp/k" "$KDIR" && rm -rf "$tmp"
}
if [ ! -f "$KDIR/kver" ]; then
    command -v apt-get >/dev/null 2>&1 || skip "apt-get not found: cannot fetch linux-image-amd64"
    why=$(fetch_kernel) || skip "cannot have Debian's kernel: ${why:-fetch failed}"
fi
KVER=$(cat "$KDIR/kver")
log "kernel $(cat "$KDIR/package")"

# --- the initramfs ------------------------------------------------------------------
rm -rf "$WORK"
ROOT=$WORK/root
mkdir -p "$ROOT"/{bin,proc,sys,dev,tmp,opt/e2e} || die "cannot create $ROOT"
cp "$BUSYBOX" "$ROOT/bin/busybox"
cp -a "$KDIR/modules/lib" "$ROOT/"
cp "$QEMU_PPC" "$ROOT/opt/e2e/qemu-system-ppc64"
cp "$TEST_BIN" "$ROOT/opt/e2e/vfio-e2e-test"
# our binaries are dynamically linked: their libraries and the loader, at their paths
libs=$( (ldd "$QEMU_PPC" && ldd "$TEST_BIN") | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u)
[ -n "$libs" ] || die "ldd found no libraries for our binaries"
for lib in $libs; do
    mkdir -p "$ROOT$(dirname "$lib")"
    cp -L "$lib" "$ROOT$lib" || die "cannot copy $lib"
done
cat > "$ROOT/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox mkdir -p /usr/bin /sbin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# the kernel's messages stay off the console (the TAP goes there)
dmesg -n 1
fail() {
    echo "VFIO-E2E-SETUP-FAILED $*"
    dmesg | tail -30 | sed 's/^/VFIO-E2E-DMESG /'
    poweroff -f
}
for m in vfio vfio_iommu_type1 vfio-pci; do
    modprobe "$m" || fail "modprobe $m"
done
edu=
for d in /sys/bus/pci/devices/*; do
    if [ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ]; then
        edu=$(basename "$d")
    fi
done
[ -n "$edu" ] || fail "no edu device (1234:11e8) on the VM's PCI bus"
[ -e "/sys/bus/pci/devices/$edu/iommu_group" ] || fail "edu $edu has no IOMMU group (is the IOMMU on?)"
group=$(basename "$(readlink "/sys/bus/pci/devices/$edu/iommu_group")")
members=$(ls "/sys/kernel/iommu_groups/$group/devices")
[ "$members" = "$edu" ] || fail "edu is not alone in IOMMU group $group: $members"
echo vfio-pci > "/sys/bus/pci/devices/$edu/driver_override" || fail "driver_override"
echo "$edu" > /sys/bus/pci/drivers_probe
drv=$(basename "$(readlink "/sys/bus/pci/devices/$edu/driver")")
[ "$drv" = vfio-pci ] || fail "edu $edu is bound to '$drv', not vfio-pci"
[ -c "/dev/vfio/$group" ] || fail "/dev/vfio/$group missing"
echo "VFIO-E2E-INFO edu $edu group $group kernel $(uname -r)"
echo VFIO-E2E-TAP-BEGIN
QTEST_QEMU_BINARY=/opt/e2e/qemu-system-ppc64 VFIO_E2E_GROUP=$group VFIO_E2E_DEVICE=$edu \
    /opt/e2e/vfio-e2e-test --tap 2>/tmp/stderr
rc=$?
echo "VFIO-E2E-TAP-END rc=$rc"
sed 's/^/VFIO-E2E-STDERR /' /tmp/stderr
dmesg | grep -i -E 'dmar|vfio' | tail -20 | sed 's/^/VFIO-E2E-DMESG /'
echo VFIO-E2E-DONE
poweroff -f
EOF
chmod +x "$ROOT/init"
(cd "$ROOT" && find . | cpio -o -H newc --quiet > "$WORK/initramfs.cpio") || die "cpio failed"

# --- the VM -------------------------------------------------------------------------
ACCEL=${VFIO_E2E_ACCEL:-}
if [ -z "$ACCEL" ]; then
    ACCEL=tcg
    if [ -r /dev/kvm ] && [ -w /dev/kvm ] && grep -q -w -E 'vmx|svm' /proc/cpuinfo; then
        ACCEL=kvm
    fi
fi
case $ACCEL in
    kvm) MACHINE="q35,accel=kvm,kernel-irqchip=split"; CPU="-cpu host" ;;
    tcg) MACHINE="q35,accel=tcg"; CPU="" ;;
    *) die "VFIO_E2E_ACCEL=$ACCEL: kvm or tcg" ;;
esac
log "VM: $ACCEL, initramfs $(($(stat -c %s "$WORK/initramfs.cpio") / 1048576)) MiB, work in $WORK"
# shellcheck disable=SC2086
timeout -k 5 "$VM_TIMEOUT" qemu-system-x86_64 \
    -M "$MACHINE" $CPU -m 1G -smp 2 -nodefaults -display none -no-reboot \
    -device intel-iommu,caching-mode=on \
    -device pcie-root-port,id=rp0,chassis=1,slot=1 \
    -device edu,bus=rp0,dma_mask=0xffffffffffffffff \
    -kernel "$KDIR/vmlinuz" -initrd "$WORK/initramfs.cpio" \
    -append "console=ttyS0 intel_iommu=on quiet loglevel=1 panic=-1" \
    -serial "file:$WORK/console.log" 2> "$WORK/qemu-x86.log"
vm_status=$?
log "VM exited with status $vm_status after $(($(date +%s) - START)) s"

# --- the result ---------------------------------------------------------------------
CONSOLE=$WORK/console.log
[ -f "$CONSOLE" ] || die "no console output"
tr -d '\r' < "$CONSOLE" > "$WORK/console.txt"
grep -E '^VFIO-E2E-(INFO|SETUP-FAILED|STDERR|DMESG)' "$WORK/console.txt" | sed 's/^/  /' >&2
[ -s "$WORK/qemu-x86.log" ] && sed 's/^/  qemu-system-x86_64: /' "$WORK/qemu-x86.log" >&2
if grep -q '^VFIO-E2E-SETUP-FAILED' "$WORK/console.txt"; then
    die "$(sed -n 's/^VFIO-E2E-SETUP-FAILED //p' "$WORK/console.txt" | head -1)"
fi
grep -q '^VFIO-E2E-TAP-BEGIN' "$WORK/console.txt" ||
    die "the VM never started the test (status $vm_status; see $CONSOLE, $WORK/qemu-x86.log)"

# Relay the program's results, numbered as they were; drop its plan, which
# this script gives at the end, counting its own checks too.
n=0 planned= failed=0 ended=
while IFS= read -r line; do
    case $line in
        VFIO-E2E-TAP-END*) ended=${line#*rc=}; break ;;
        "TAP version"*) ;;
        1..*) planned=${line#1..}; planned=${planned%% *} ;;
        "ok "*) n=$((n + 1)); echo "$line" ;;
        "not ok "*) n=$((n + 1)); failed=$((failed + 1)); echo "$line" ;;
        "Bail out!"*) echo "# $line" ;;
        *) echo "# $line" ;;
    esac
done < <(sed -n '/^VFIO-E2E-TAP-BEGIN/,$p' "$WORK/console.txt" | tail -n +2)

check() {   # check DESCRIPTION CONDITION...
    local desc=$1
    shift
    n=$((n + 1))
    if "$@"; then
        echo "ok $n - $desc"
    else
        echo "not ok $n - $desc"
        failed=$((failed + 1))
    fi
}
seen=$n
check "the test program ran to its end in the VM" test -n "$ended"
check "the test program exited 0 (status ${ended:-none})" test "${ended:-x}" = 0
check "every planned subtest reported (${planned:-no plan}, $seen seen)" \
    test -n "$planned" -a "$seen" = "${planned:-x}"
check "the VM powered off by itself (status $vm_status)" test "$vm_status" = 0
echo "1..$n"
log "$((n - failed)) of $n passed in $(($(date +%s) - START)) s"
[ "$failed" = 0 ]
