# shellcheck shell=bash
# pseries-guest.sh: the guest side of the real-guest tests, sourced (bash)
# by pseries-nvme-boot.sh and x86-nested-vfio.sh.
#
# The guest is Debian 12's ppc64el kernel with a busybox initramfs whose
# /init loads the nvme modules, reads the whole NVMe disk and prints its
# md5, writes a pattern over the last MiB and reads it back, prints its
# dmesg lines about DMA windows and the PHBs' window properties, and powers
# off.  Every result is one '@@TAG@@ value' line on the console.
#
# The caller defines tap OK|FAIL TEXT, diag TEXT, note TEXT, setup_fail
# TEXT and SUMMARY_ONLY, and may set before sourcing:
#   GUEST_NVME_BDF   the nvme's guest PCI address (default 0001:00:00.0,
#                    slot 0 of the second PHB)
#   GUEST_NVME_PHB   the device-tree node of its PHB (pci@800000020000001)
#   GUEST_NVME_WAIT  seconds /init waits for /dev/nvme0n1 (30)

GUEST_NVME_BDF=${GUEST_NVME_BDF:-0001:00:00.0}
GUEST_NVME_PHB=${GUEST_NVME_PHB:-pci@800000020000001}
GUEST_NVME_WAIT=${GUEST_NVME_WAIT:-30}
DISK_MIB=8             # whole disk, read and checksummed by the guest
SCRATCH_SKIP=1792      # 4 KiB blocks: the last MiB is written by the guest
SCRATCH_COUNT=256
PATTERN='pseries-nvme-ddw-scratch-pattern'

# guest_initrd WORK ASSETS: build WORK/initrd.gz (the tree in
# WORK/initramfs) from guest-assets.sh's ASSETS.
guest_initrd() {
    local ROOT=$1/initramfs ASSETS=$2
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
# Guest side of the real-guest tests (pseries-guest.sh).  Every result is one '@@TAG@@ value'
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

# The namespace shows up asynchronously after the controller reset.  The
# wait is measured on the clock: a slow machine forks slowly too.
read -r now _ < /proc/uptime
end=\$((\${now%.*} + $GUEST_NVME_WAIT))
while [ ! -b /dev/nvme0n1 ] && [ \${now%.*} -lt \$end ]; do
    sleep 0.1
    read -r now _ < /proc/uptime
done
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
    (cd "$ROOT" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 > "$1/initrd.gz" ||
        setup_fail "cannot build the initramfs"
}

# guest_disk DISK: a random disk of DISK_MIB MiB; sets HOST_MD5 (the whole
# disk), HEAD_MD5 (all but the scratch area) and PATTERN_MD5 (the scratch
# area once the guest has written it).
guest_disk() {
    dd if=/dev/urandom of="$1" bs=1M count=$DISK_MIB 2>/dev/null || setup_fail "cannot create $1"
    HOST_MD5=$(md5sum < "$1" | cut -d' ' -f1)
    HEAD_MD5=$(head -c $((SCRATCH_SKIP * 4096)) "$1" | md5sum | cut -d' ' -f1)
    PATTERN_MD5=$(yes "$PATTERN" | head -c $((SCRATCH_COUNT * 4096)) | md5sum | cut -d' ' -f1)
}

# The console as the guest wrote it, without the hvc driver's \r.
GUEST_CONSOLE=
# Value of the first '@@TAG@@ ...' line (word $2, default the first).
tagval() { sed -n "s/^.*@@$1@@ //p" "$GUEST_CONSOLE" | head -n1 | cut -d' ' -f"${2:-1}"; }

# guest_checks CONSOLE_TXT DISK DMA DDW_WANT: six TAP checks of what the
# guest printed on CONSOLE_TXT and of what it left in DISK, once the guest
# has gone; DMA is ddw (expect a DDW at DDW_WANT) or 32bit (expect none).
# Sets GUEST_MD5, SCRATCH_MD5, CREATE (the dmesg line of the guest's
# ibm,create-pe-dma-window), DDW_ADDR and DDW_DESC.
guest_checks() {
    GUEST_CONSOLE=$1
    local DISK=$2 DMA=$3 DDW_WANT=$4 NVME re
    if grep -q '@@INIT@@' "$GUEST_CONSOLE"; then
        tap OK "guest reached /init"
    else
        tap FAIL "guest reached /init"
        diag "last console lines:"; tail -n 30 "$GUEST_CONSOLE" >&2
    fi
    sed -n 's/^.*@@INSMOD-FAILED@@ /insmod failed in the guest: /p' "$GUEST_CONSOLE" >&2

    NVME=$(tagval NVME)
    if [ "$NVME" = present ]; then
        tap OK "nvme device /dev/nvme0n1 appeared ($(tagval NVME 2), on $(tagval NVME-PCI | sed 's|.*/devices/||;s|/nvme/.*||'))"
    else
        tap FAIL "nvme device /dev/nvme0n1 appeared"
        sed -n '/@@DMESG-TAIL@@/,/@@DONE@@/p' "$GUEST_CONSOLE" >&2
    fi

    GUEST_MD5=$(tagval DISK-MD5)
    if [ -n "$GUEST_MD5" ] && [ "$GUEST_MD5" = "$HOST_MD5" ]; then
        tap OK "guest md5 of the whole disk equals the host's ($HOST_MD5)"
    else
        tap FAIL "guest md5 of the whole disk equals the host's (guest '${GUEST_MD5}', host $HOST_MD5)"
    fi

    SCRATCH_MD5=$(tagval SCRATCH-MD5)
    if [ "$SCRATCH_MD5" = "$PATTERN_MD5" ] && [ "$(tagval PATTERN-MD5)" = "$PATTERN_MD5" ] &&
       ! grep -q '@@SCRATCH-WRITE-FAILED@@' "$GUEST_CONSOLE"; then
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
    CREATE=$(grep "@@DMESG@@.*$GUEST_NVME_BDF: ibm,create-pe-dma-window" "$GUEST_CONSOLE" | head -n1)
    CREATE=${CREATE#*@@DMESG@@ }
    DDW_ADDR='' DDW_DESC='' DDW_PHB=''
    re='create-pe-dma-window\([0-9a-f]+\) [0-9a-f]+ ([0-9a-f]+) ([0-9a-f]+) ([0-9a-f]+) ([0-9a-f]+) returned (-?[0-9]+) \(liobn = (0x[0-9a-f]+) starting addr = ([0-9a-f]+) ([0-9a-f]+)\)'
    if [[ $CREATE =~ $re ]] && [ "${BASH_REMATCH[5]}" = 0 ]; then
        DDW_PHB=$(printf 'pci@%x' $(( (0x${BASH_REMATCH[1]} << 32) | 0x${BASH_REMATCH[2]} )))
        DDW_ADDR=$(printf '0x%x' $(( (0x${BASH_REMATCH[7]} << 32) | 0x${BASH_REMATCH[8]} )))
        DDW_DESC="on $DDW_PHB, liobn ${BASH_REMATCH[6]}, 2^$((0x${BASH_REMATCH[4]})) bytes in 2^$((0x${BASH_REMATCH[3]}))-byte pages"
    fi
    # The nvme's PHB: pci@800000020000001 is the second (index 1).
    if [ "$DMA" = 32bit ]; then
        if [ -z "$DDW_ADDR" ] && ! grep -q "@@DMESG@@.*$GUEST_NVME_BDF: ibm,create-pe-dma-window" "$GUEST_CONSOLE"; then
            tap OK "guest made no DDW for the nvme PHB (ddw=off): the 32-bit window only"
        else
            tap FAIL "guest made no DDW for the nvme PHB (ddw=off), yet: $CREATE"
        fi
    elif [ -n "$DDW_ADDR" ] && [ "$DDW_PHB" = "$GUEST_NVME_PHB" ] &&
         [ $((DDW_ADDR)) -eq $((DDW_WANT)) ]; then
        tap OK "guest created a DDW for the nvme PHB (window at $DDW_ADDR)"
        [ -n "$SUMMARY_ONLY" ] || echo "# DDW at $DDW_ADDR $DDW_DESC"
    else
        tap FAIL "guest created a DDW for the nvme PHB at $DDW_WANT (got ${DDW_ADDR:-none})"
        diag "no successful ibm,create-pe-dma-window at $DDW_WANT on $GUEST_NVME_PHB for $GUEST_NVME_BDF in the guest's dmesg"
    fi
    [ -z "$CREATE" ] || diag "dmesg: $CREATE"
}

# guest_note_windows: SUMMARY lines of the PHBs' windows and the DDW.
guest_note_windows() {
    # ibm,dma-window: LIOBN (4 bytes), bus address (8), size (8).
    while read -r phb win ddw; do
        win=${win#ibm,dma-window=}
        if [ "${#win}" -eq 40 ]; then
            win=$(printf 'default window liobn 0x%s at 0x%x size 0x%x' \
                    "${win:0:8}" $((16#${win:8:16})) $((16#${win:24:16})))
        fi
        note "PHB $phb: $win, $ddw"
    done < <(sed -n 's/^.*@@PHB@@ //p' "$GUEST_CONSOLE")
    note "DDW for nvme $GUEST_NVME_BDF: ${DDW_ADDR:-none} ${DDW_DESC}"
}

# guest_note_disk: SUMMARY lines of the nvme's interrupts and checksums.
guest_note_disk() {
    while read -r line; do note "guest interrupt: $line"; done < <(sed -n 's/^.*@@IRQ@@ //p' "$GUEST_CONSOLE")
    note "disk md5: host $HOST_MD5 guest ${GUEST_MD5:-none}; scratch ${SCRATCH_MD5:-none} (want $PATTERN_MD5)"
}
