#!/bin/sh
# Regenerate pseries-two-groups.argv: libvirt's own QEMU command line for
# pseries-two-groups.xml, with the host devices' IOMMU groups faked as the
# fake VFIO kernel's default topology has them.
#
#   apt-get install -y --no-install-recommends libvirt-daemon-system \
#       libvirt-clients libvirt-daemon-driver-qemu
#   tests/data/libvirt/capture.sh build/qemu-build/qemu-system-ppc64
#
# Run as root, with no libvirtd running: it starts virtlogd and libvirtd
# in a private mount namespace whose /sys/bus/pci/devices and
# /sys/kernel/iommu_groups are tmpfs holding only the three devices and
# their groups (libvirt reads a hostdev's group from the iommu_group
# link and gives each group its own PHB), runs
# `virsh domxml-to-native qemu-argv`, and stops both daemons.  libvirt
# probes the emulator named in the XML (with -qmp), so that must be this
# build's qemu-system-ppc64: 'spapr-pci-vfio-host-bridge' comes from it.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
qemu=$(realpath "${1:?usage: $0 path/to/qemu-system-ppc64}")
out=${2:-$here/pseries-two-groups.argv}

if [ "${VPHB_CAPTURE_INNER:-}" != 1 ]; then
    if pgrep -x libvirtd >/dev/null || pgrep -x virtlogd >/dev/null; then
        echo "$0: a libvirtd or virtlogd runs already; stop it first" >&2
        exit 1
    fi
    VPHB_CAPTURE_INNER=1 exec unshare -m --propagation private \
        "$0" "$qemu" "$out"
fi

# group -> its functions, as in tests/vfio-fake's default topology
fake_sysfs() {
    mount -t tmpfs vphb-pci /sys/bus/pci/devices
    mount -t tmpfs vphb-groups /sys/kernel/iommu_groups
    for g in "1 0000:01:00.0" "2 0000:02:00.0 0000:02:00.1"; do
        set -- $g
        group=$1
        shift
        mkdir -p /sys/kernel/iommu_groups/$group/devices
        for bdf; do
            mkdir /sys/bus/pci/devices/$bdf
            ln -s /sys/kernel/iommu_groups/$group \
                /sys/bus/pci/devices/$bdf/iommu_group
            ln -s /sys/bus/pci/devices/$bdf \
                /sys/kernel/iommu_groups/$group/devices/$bdf
        done
    done
}

fake_sysfs
# a fixed environment, which libvirtd passes on in the command line
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
virtlogd -d
libvirtd -d
trap 'kill "$(cat /run/libvirtd.pid)" "$(cat /run/virtlogd.pid)"' EXIT
for i in $(seq 100); do
    [ -S /run/libvirt/libvirt-sock ] && break
    sleep 0.1
done

xml=$(mktemp)
sed "s|@EMULATOR@|$qemu|" "$here/pseries-two-groups.xml" > "$xml"
virsh -c qemu:///system domxml-to-native qemu-argv --xml "$xml" > "$out"
rm -f "$xml"
echo "$0: wrote $out"
