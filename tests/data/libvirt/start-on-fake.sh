#!/bin/sh
# Try to have libvirtd itself start pseries-two-groups.xml, QEMU running
# on the fake VFIO kernel (docs/system/ppc/libvirt.rst says what stops it):
#
#   tests/data/libvirt/start-on-fake.sh build/qemu-build/qemu-system-ppc64 \
#       build/qemu-build/tests/vfio-fake/libvfio-fake.so
#
# As root, with no libvirtd running.  Everything happens in a private
# mount namespace: tmpfs over /sys/bus/pci/devices, /sys/bus/pci/drivers
# and /sys/kernel/iommu_groups with the three functions of groups 1 and 2
# (config, vendor, device, bound to vfio-pci), a copy of /dev with
# /dev/vfio/{vfio,1,2} in it, and a qemu.conf without QEMU namespaces.
# The emulator is a wrapper that preloads the fake into QEMU.  The domain
# gets <memtune><hard_limit> of the current locked-memory limit, which
# libvirt then gives QEMU as RLIMIT_MEMLOCK instead of raising it.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
qemu=$(realpath "${1:?usage: $0 qemu-system-ppc64 libvfio-fake.so}")
fake=$(realpath "${2:?usage: $0 qemu-system-ppc64 libvfio-fake.so}")

if [ "${VPHB_START_INNER:-}" != 1 ]; then
    if pgrep -x libvirtd >/dev/null || pgrep -x virtlogd >/dev/null; then
        echo "$0: a libvirtd or virtlogd runs already; stop it first" >&2
        exit 1
    fi
    # QEMU runs as libvirt-qemu: it must reach the wrapper
    work=$(mktemp -d /tmp/vphb-libvirt-XXXXXX)
    chmod 755 "$work"
    rc=0
    VPHB_START_INNER=1 VPHB_WORK=$work unshare -m --propagation private \
        "$0" "$qemu" "$fake" || rc=$?
    # out of the namespace, the directory holds no mount
    rm -rf "$work"
    exit $rc
fi
work=$VPHB_WORK

mount -t tmpfs vphb-pci /sys/bus/pci/devices
mount -t tmpfs vphb-drivers /sys/bus/pci/drivers
mount -t tmpfs vphb-groups /sys/kernel/iommu_groups
mkdir /sys/bus/pci/drivers/vfio-pci
for g in "1 0000:01:00.0" "2 0000:02:00.0 0000:02:00.1"; do
    set -- $g
    group=$1
    shift
    mkdir -p /sys/kernel/iommu_groups/$group/devices
    for bdf; do
        d=/sys/bus/pci/devices/$bdf
        mkdir $d
        ln -s /sys/kernel/iommu_groups/$group $d/iommu_group
        ln -s $d /sys/kernel/iommu_groups/$group/devices/$bdf
        ln -s /sys/bus/pci/drivers/vfio-pci $d/driver
        echo 0x1234 > $d/vendor
        echo 0x11e8 > $d/device
        # the edu's config space: vendor and device ID, the rest zero
        { printf '\064\022\350\021'; head -c 4092 /dev/zero; } > $d/config
    done
done

mkdir "$work/dev"
mount -t tmpfs vphb-dev "$work/dev"
cp -a /dev/. "$work/dev/" 2>/dev/null || true
for m in $(awk '$2 ~ "^/dev/" {print $2}' /proc/self/mounts); do
    mkdir -p "$work$m"
    mount --bind "$m" "$work$m"
done
mkdir -p "$work/dev/vfio"
mknod "$work/dev/vfio/vfio" c 10 196
mknod "$work/dev/vfio/1" c 243 1
mknod "$work/dev/vfio/2" c 243 2
mount --bind "$work/dev" /dev

cp /etc/libvirt/qemu.conf "$work/qemu.conf"
echo 'namespaces = [ ]' >> "$work/qemu.conf"
mount --bind "$work/qemu.conf" /etc/libvirt/qemu.conf

cat > "$work/qemu-wrap" <<EOT
#!/bin/sh
LD_PRELOAD=$fake VFIO_FAKE_IOMMU=spapr-tce-v2 exec $qemu "\$@"
EOT
chmod 755 "$work/qemu-wrap"
memlock=$(ulimit -Hl)
sed -e "s|@EMULATOR@|$work/qemu-wrap|" \
    -e "s|<vcpu>|<memtune><hard_limit unit='KiB'>$memlock</hard_limit></memtune><vcpu>|" \
    "$here/pseries-two-groups.xml" > "$work/dom.xml"

export PATH=/usr/sbin:/usr/bin:/sbin:/bin
virtlogd -d
libvirtd -d
trap 'virsh -c qemu:///system undefine vphb-two-groups >/dev/null 2>&1;
      kill "$(cat /run/libvirtd.pid)" "$(cat /run/virtlogd.pid)"' EXIT
for i in $(seq 100); do
    [ -S /run/libvirt/libvirt-sock ] && break
    sleep 0.1
done
virsh -c qemu:///system define "$work/dom.xml"
if virsh -c qemu:///system start vphb-two-groups; then
    virsh -c qemu:///system qemu-monitor-command vphb-two-groups --pretty \
        '{"execute": "qom-get", "arguments": {"path":
          "/machine/peripheral/pci.2", "property": "functions"}}'
    virsh -c qemu:///system destroy vphb-two-groups
else
    echo "--- the domain's log:"
    tail -n 5 /var/log/libvirt/qemu/vphb-two-groups.log
fi
