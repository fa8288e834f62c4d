/*
 * Unit tests of the fake VFIO kernel: this program runs with
 * libvfio-fake.so preloaded and makes the calls QEMU would.  meson.build
 * runs it once per setup ($VFIO_FAKE_RUN): "spapr" and "type1" test the
 * paths, groups, containers, devices, interrupts and the IOMMU of that
 * type; "faults" runs with every fault injected from the environment;
 * "nvme" drives the NVMe function through Type1, on a backing file of
 * its own; "type1-host" runs on a Type1 host configured away from the
 * defaults (64K IOMMU pages, no GET_INFO capabilities).
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* close_range() */
#endif
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include "test-vfio-fake-util.h"

unsigned long test_iommu_type;

/* Paths ------------------------------------------------------------------ */

static void test_paths(void)
{
    char buf[PATH_MAX];
    g_autofree char *vendor = NULL;
    g_autofree char *real = NULL;
    struct stat st;
    ssize_t len;
    DIR *dir;
    struct dirent *de;
    unsigned n = 0;

    /* no iommufd: QEMU falls back to the legacy container */
    g_assert_cmpint(open("/dev/iommu", O_RDWR), ==, -1);
    g_assert_cmpint(errno, ==, ENOENT);
    g_assert_cmpint(open("/dev/vfio/99", O_RDWR), ==, -1);
    g_assert_cmpint(errno, ==, ENOENT);
    /* nodes are named by the plain number */
    g_assert_cmpint(open("/dev/vfio/01", O_RDWR), ==, -1);
    g_assert_cmpint(errno, ==, ENOENT);
    g_assert_cmpint(open("/dev/vfio/+1", O_RDWR), ==, -1);
    g_assert_cmpint(errno, ==, ENOENT);
    g_assert_cmpint(stat("/dev/vfio/vfio", &st), ==, 0);
    g_assert_cmpint(access("/dev/vfio/1", F_OK), ==, 0);

    /* what vfio_device_get_name() and vfio_device_groupid() read */
    g_assert_cmpint(stat("/sys/bus/pci/devices/0000:01:00.0", &st), ==, 0);
    g_assert_true(S_ISDIR(st.st_mode));
    g_assert_cmpint(stat("/sys/bus/pci/devices/0000:09:00.0", &st), ==, -1);
    len = readlink("/sys/bus/pci/devices/0000:02:00.1/iommu_group", buf,
                   sizeof(buf) - 1);
    g_assert_cmpint(len, >, 0);
    buf[len] = '\0';
    g_assert_true(g_str_has_suffix(buf, "/iommu_groups/2"));

    /* what the vPHB reads: the functions of a group */
    dir = opendir("/sys/kernel/iommu_groups/2/devices");
    g_assert_nonnull(dir);
    while ((de = readdir(dir))) {
        if (de->d_name[0] != '.') {
            g_assert_true(g_str_has_prefix(de->d_name, "0000:02:00."));
            n++;
        }
    }
    closedir(dir);
    g_assert_cmpuint(n, ==, 2);

    /* the function bound to another driver, and the ids */
    len = readlink("/sys/bus/pci/devices/0000:04:00.1/driver", buf,
                   sizeof(buf) - 1);
    g_assert_cmpint(len, >, 0);
    buf[len] = '\0';
    g_assert_cmpstr(buf, ==, "../../drivers/e1000e");
    g_assert_true(g_file_get_contents("/sys/bus/pci/devices/0000:01:00.0/"
                                      "vendor", &vendor, NULL, NULL));
    g_assert_cmpstr(vendor, ==, "0x1234\n");
    /* vfio_device_is_mdev(): the subsystem resolves under /sys */
    real = realpath("/sys/bus/pci/devices/0000:01:00.0/subsystem", NULL);
    g_assert_cmpstr(real, ==, "/sys/bus/pci");
}

/*
 * A function's sysfs config file, through open and pread as the vPHB
 * reads it, and through read as cat does; the whole file in *@size.
 */
static uint16_t sysfs_vendor(const char *path, off_t *size)
{
    uint16_t v = 0;
    uint8_t first[2];
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(fstat(fd, &st), ==, 0);
    *size = st.st_size;
    g_assert_cmpint(pread(fd, &v, 2, 0), ==, 2);
    g_assert_cmpint(read(fd, first, 2), ==, 2);
    g_assert_cmpmem(first, 2, &v, 2);
    close(fd);
    return GUINT16_FROM_LE(v);
}

/*
 * /sys/bus/pci/devices/D/config is the function's config space as it
 * reads at open: the size of its config space, the same bytes as
 * through VFIO's config region, a change made there seen at the next
 * open; and the same file through the group's link.
 */
static void test_sysfs_config(void)
{
    const char *path = "/sys/bus/pci/devices/0000:01:00.0/config";
    g_autofree char *contents = NULL;
    gsize len;
    off_t size;
    TestGroup t;

    g_assert_cmphex(sysfs_vendor(path, &size), ==, 0x1234);
    g_assert_cmpint(size, ==, 4096);
    g_assert_cmphex(sysfs_vendor("/sys/kernel/iommu_groups/1/devices/"
                                 "0000:01:00.0/config", &size), ==, 0x1234);
    /* conventional PCI: 256 bytes */
    g_assert_cmphex(sysfs_vendor("/sys/bus/pci/devices/0000:03:00.0/config",
                                 &size), ==, 0x1234);
    g_assert_cmpint(size, ==, 256);
    /* a device ID, through fopen (g_file_get_contents) */
    g_assert_true(g_file_get_contents(path, &contents, &len, NULL));
    g_assert_cmpuint(len, ==, 4096);
    g_assert_cmphex((uint8_t)contents[2] | (uint8_t)contents[3] << 8, ==,
                    0x11e8);

    /* bus mastering on through VFIO: sysfs sees the command register */
    test_device_up(&t, 1, test_iommu_type, "0000:01:00.0");
    test_enable_master(t.device);
    g_free(g_steal_pointer(&contents));
    g_assert_true(g_file_get_contents(path, &contents, &len, NULL));
    g_assert_cmphex(contents[4] & 0x6, ==, 0x6);
    for (uint32_t off = 0; off < 64; off += 4) {
        uint32_t v = test_config_read(t.device, off, 4);

        g_assert_cmpmem(contents + off, 4, &v, 4);
    }
    test_group_down(&t);
}

/* Containers and groups -------------------------------------------------- */

static void test_container(void)
{
    int c = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
    int other = test_iommu_type == VFIO_TYPE1v2_IOMMU ?
                VFIO_SPAPR_TCE_v2_IOMMU : VFIO_TYPE1v2_IOMMU;

    g_assert_cmpint(c, >=, 0);
    g_assert_cmpint(ioctl(c, VFIO_GET_API_VERSION), ==, VFIO_API_VERSION);
    g_assert_cmpint(ioctl(c, VFIO_CHECK_EXTENSION, test_iommu_type), ==, 1);
    g_assert_cmpint(ioctl(c, VFIO_CHECK_EXTENSION, other), ==, 0);
    g_assert_cmpint(ioctl(c, VFIO_CHECK_EXTENSION, VFIO_EEH), ==,
                    test_iommu_type == VFIO_SPAPR_TCE_v2_IOMMU);
    /* no group yet: no IOMMU can be set, no IOMMU ioctl works */
    g_assert_cmpint(IOC(c, VFIO_SET_IOMMU, (void *)test_iommu_type), ==,
                    -EINVAL);
    g_assert_cmpint(IOC(c, VFIO_IOMMU_MAP_DMA, NULL), ==, -EINVAL);
    /* container files have no contents */
    g_assert_cmpint(pread(c, &other, 4, 0), ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    g_assert_cmpint(close(c), ==, 0);
}

static void test_group_rules(void)
{
    struct vfio_group_status status = { .argsz = sizeof(status) };
    int c = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
    int g = open("/dev/vfio/1", O_RDWR | O_CLOEXEC);
    int g4 = open("/dev/vfio/4", O_RDWR | O_CLOEXEC);
    int d, other = test_iommu_type == VFIO_TYPE1v2_IOMMU ?
                   VFIO_SPAPR_TCE_v2_IOMMU : VFIO_TYPE1v2_IOMMU;

    g_assert_cmpint(c, >=, 0);
    g_assert_cmpint(g, >=, 0);
    g_assert_cmpint(g4, >=, 0);
    /* one open instance of a group */
    g_assert_cmpint(open("/dev/vfio/1", O_RDWR), ==, -1);
    g_assert_cmpint(errno, ==, EBUSY);

    /* group 4 has a function bound to e1000e: not viable, no container */
    g_assert_cmpint(IOC(g4, VFIO_GROUP_GET_STATUS, &status), ==, 0);
    g_assert_cmpuint(status.flags, ==, 0);
    g_assert_cmpint(IOC(g4, VFIO_GROUP_SET_CONTAINER, &c), ==, -EPERM);

    g_assert_cmpint(IOC(g, VFIO_GROUP_GET_STATUS, &status), ==, 0);
    g_assert_cmpuint(status.flags, ==, VFIO_GROUP_FLAGS_VIABLE);
    g_assert_cmpint(ioctl(g, VFIO_GROUP_GET_DEVICE_FD, "0000:01:00.0"), ==,
                    -1);
    g_assert_cmpint(errno, ==, EINVAL);
    g_assert_cmpint(IOC(g, VFIO_GROUP_UNSET_CONTAINER, NULL), ==, -EINVAL);
    /* a group file is no container */
    g_assert_cmpint(IOC(g, VFIO_GROUP_SET_CONTAINER, &g4), ==, -EINVAL);
    g_assert_cmpint(IOC(g, VFIO_GROUP_SET_CONTAINER, &c), ==, 0);
    g_assert_cmpint(IOC(g, VFIO_GROUP_SET_CONTAINER, &c), ==, -EINVAL);
    g_assert_cmpint(IOC(g, VFIO_GROUP_GET_STATUS, &status), ==, 0);
    g_assert_cmpuint(status.flags, ==, VFIO_GROUP_FLAGS_VIABLE |
                     VFIO_GROUP_FLAGS_CONTAINER_SET);
    /* the container has no IOMMU yet */
    g_assert_cmpint(ioctl(g, VFIO_GROUP_GET_DEVICE_FD, "0000:01:00.0"), ==,
                    -1);
    g_assert_cmpint(errno, ==, EINVAL);
    g_assert_cmpint(IOC(c, VFIO_SET_IOMMU, (void *)(long)other), ==,
                    -ENODEV);
    g_assert_cmpint(ioctl(c, VFIO_SET_IOMMU, test_iommu_type), ==, 0);
    g_assert_cmpint(IOC(c, VFIO_SET_IOMMU, (void *)test_iommu_type), ==,
                    -EINVAL);
    g_assert_cmpint(ioctl(g, VFIO_GROUP_GET_DEVICE_FD, "0000:01:00.1"), ==,
                    -1);
    g_assert_cmpint(errno, ==, ENODEV);
    d = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, "0000:01:00.0");
    g_assert_cmpint(d, >=, 0);
    g_assert_cmpint(IOC(g, VFIO_GROUP_UNSET_CONTAINER, NULL), ==, -EBUSY);
    g_assert_cmpint(IOC(g, 0x3b99, NULL), ==, -ENOTTY);
    close(d);
    g_assert_cmpint(IOC(g, VFIO_GROUP_UNSET_CONTAINER, NULL), ==, 0);
    g_assert_cmpint(test_state_u64("locked-bytes"), ==, 0);
    close(g4);
    close(g);
    close(c);
}

/* A container closed first lives on while its group holds it. */
static void test_container_lifetime(void)
{
    TestGroup t;

    test_device_up(&t, 1, test_iommu_type, "0000:01:00.0");
    g_assert_cmpint(close(t.container), ==, 0);
    g_assert_cmpint(close(t.group), ==, 0);
    /* a number: the container lives on (null would be none) */
    g_assert_cmpint(test_state_u64("groups/id=1/container"), >=, 0);
    g_assert_true(test_state_has("containers/*/map-calls"));
    /* the device file holds the group, the group the container */
    g_assert_cmpint(test_config_read(t.device, 0, 2), ==, 0x1234);
    g_assert_cmpint(close(t.device), ==, 0);
    g_assert_false(test_state_has("containers/*/map-calls"));
}

/* Devices ---------------------------------------------------------------- */

static void test_device_regions(void)
{
    struct vfio_device_info info = { .argsz = sizeof(info) };
    struct vfio_region_info reg = { .argsz = sizeof(reg) };
    TestGroup t;
    uint8_t *bar2;
    uint32_t v;

    test_device_up(&t, 1, test_iommu_type, "0000:01:00.0");
    g_assert_cmpint(IOC(t.device, VFIO_DEVICE_GET_INFO, &info), ==, 0);
    g_assert_true(info.flags & VFIO_DEVICE_FLAGS_PCI);
    g_assert_true(info.flags & VFIO_DEVICE_FLAGS_RESET);
    g_assert_cmpuint(info.num_regions, ==, VFIO_PCI_NUM_REGIONS);
    g_assert_cmpuint(info.num_irqs, ==, VFIO_PCI_NUM_IRQS);

    reg.index = VFIO_PCI_CONFIG_REGION_INDEX;
    g_assert_cmpint(IOC(t.device, VFIO_DEVICE_GET_REGION_INFO, &reg), ==, 0);
    g_assert_cmpuint(reg.size, ==, 4096);
    reg.index = VFIO_PCI_BAR0_REGION_INDEX;
    g_assert_cmpint(IOC(t.device, VFIO_DEVICE_GET_REGION_INFO, &reg), ==, 0);
    g_assert_cmpuint(reg.size, ==, 1 << 20);
    g_assert_false(reg.flags & VFIO_REGION_INFO_FLAG_MMAP);
    reg.index = VFIO_PCI_BAR2_REGION_INDEX;
    g_assert_cmpint(IOC(t.device, VFIO_DEVICE_GET_REGION_INFO, &reg), ==, 0);
    g_assert_cmpuint(reg.size, ==, 4096);
    g_assert_true(reg.flags & VFIO_REGION_INFO_FLAG_MMAP);
    reg.index = VFIO_PCI_BAR1_REGION_INDEX;
    g_assert_cmpint(IOC(t.device, VFIO_DEVICE_GET_REGION_INFO, &reg), ==, 0);
    g_assert_cmpuint(reg.size, ==, 0);
    reg.index = VFIO_PCI_VGA_REGION_INDEX;
    g_assert_cmpint(IOC(t.device, VFIO_DEVICE_GET_REGION_INFO, &reg), ==,
                    -EINVAL);

    /* config space: the edu's ids, memory decoding on, master off */
    g_assert_cmpuint(test_config_read(t.device, 0, 4), ==, 0x11e81234);
    g_assert_cmpuint(test_config_read(t.device, 4, 2) & 0x6, ==, 0x2);
    g_assert_cmpint(pread(t.device, &v, 4,
                          test_region_offset(t.device, 7) + 4094), ==, -1);
    g_assert_cmpint(errno, ==, EFAULT);

    /* BAR0: the edu's registers */
    g_assert_cmphex(test_bar0_read32(t.device, EDU_REG_ID), ==, 0x010000ed);
    test_bar0_write32(t.device, EDU_REG_LIVENESS, 0x12345678);
    g_assert_cmphex(test_bar0_read32(t.device, EDU_REG_LIVENESS), ==,
                    ~0x12345678u);
    test_bar0_write32(t.device, EDU_REG_FACTORIAL, 5);
    g_assert_cmpuint(test_bar0_read32(t.device, EDU_REG_FACTORIAL), ==, 120);
    g_assert_true(mmap(NULL, 4096, PROT_READ, MAP_SHARED, t.device,
                       test_region_offset(t.device, 0)) == MAP_FAILED);

    /* BAR2: plain memory, the same through mmap and pread */
    bar2 = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, t.device,
                test_region_offset(t.device, 2));
    g_assert_true(bar2 != MAP_FAILED);
    bar2[16] = 0xa5;
    g_assert_cmpint(pread(t.device, &v, 1, test_region_offset(t.device, 2) +
                          16), ==, 1);
    g_assert_cmphex(v & 0xff, ==, 0xa5);
    munmap(bar2, 4096);

    /* memory decoding off: BAR accesses fail */
    test_config_write(t.device, 4, 0, 2);
    g_assert_cmpint(pread(t.device, &v, 4, test_region_offset(t.device, 0)),
                    ==, -1);
    g_assert_cmpint(errno, ==, EIO);
    g_assert_cmpint(IOC(t.device, VFIO_DEVICE_RESET, NULL), ==, 0);
    g_assert_cmpint(IOC(t.device, VFIO_DEVICE_PCI_HOT_RESET, NULL), ==,
                    -ENOTTY);
    test_group_down(&t);
}

/* The conventional function of group 3: 256 bytes of config, no MSI-X. */
static void test_device_conventional(void)
{
    struct vfio_region_info reg = { .argsz = sizeof(reg) };
    struct vfio_irq_info irq = { .argsz = sizeof(irq) };
    TestGroup t;

    test_device_up(&t, 3, test_iommu_type, "0000:03:00.0");
    reg.index = VFIO_PCI_CONFIG_REGION_INDEX;
    g_assert_cmpint(IOC(t.device, VFIO_DEVICE_GET_REGION_INFO, &reg), ==, 0);
    g_assert_cmpuint(reg.size, ==, 256);
    irq.index = VFIO_PCI_MSIX_IRQ_INDEX;
    g_assert_cmpint(IOC(t.device, VFIO_DEVICE_GET_IRQ_INFO, &irq), ==, 0);
    g_assert_cmpuint(irq.count, ==, 0);
    /* no AER on a conventional function: no error interrupt index */
    irq.index = VFIO_PCI_ERR_IRQ_INDEX;
    g_assert_cmpint(IOC(t.device, VFIO_DEVICE_GET_IRQ_INFO, &irq), ==,
                    -EINVAL);
    test_group_down(&t);
}

/* Interrupts ------------------------------------------------------------- */

static int set_eventfd(int device, unsigned index, int fd)
{
    struct {
        struct vfio_irq_set set;
        int32_t fd;
    } s = {
        .set.argsz = sizeof(s),
        .set.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
        .set.index = index,
        .set.count = 1,
        .fd = fd,
    };

    return IOC(device, VFIO_DEVICE_SET_IRQS, &s);
}

static int set_none(int device, unsigned index, uint32_t action,
                    uint32_t count)
{
    struct vfio_irq_set s = {
        .argsz = sizeof(s),
        .flags = VFIO_IRQ_SET_DATA_NONE | action,
        .index = index,
        .count = count,
    };

    return IOC(device, VFIO_DEVICE_SET_IRQS, &s);
}

static void test_interrupts(void)
{
    struct vfio_irq_info irq = { .argsz = sizeof(irq) };
    int efd = eventfd(0, EFD_CLOEXEC);
    int err_efd = eventfd(0, EFD_CLOEXEC);
    g_autofree char *file_name = NULL;
    int file = g_file_open_tmp("vfio-fake-irq-XXXXXX", &file_name, NULL);
    struct stat st;
    TestGroup t;

    test_device_up(&t, 1, test_iommu_type, "0000:01:00.0");
    irq.index = VFIO_PCI_INTX_IRQ_INDEX;
    g_assert_cmpint(IOC(t.device, VFIO_DEVICE_GET_IRQ_INFO, &irq), ==, 0);
    g_assert_cmpuint(irq.count, ==, 1);
    g_assert_true(irq.flags & VFIO_IRQ_INFO_AUTOMASKED);
    irq.index = VFIO_PCI_MSIX_IRQ_INDEX;
    g_assert_cmpint(IOC(t.device, VFIO_DEVICE_GET_IRQ_INFO, &irq), ==, 0);
    g_assert_cmpuint(irq.count, ==, 4);
    irq.index = VFIO_PCI_NUM_IRQS;
    g_assert_cmpint(IOC(t.device, VFIO_DEVICE_GET_IRQ_INFO, &irq), ==,
                    -EINVAL);

    /* INTx: signalled, automasked, fires again on unmask while high */
    g_assert_cmpint(set_eventfd(t.device, VFIO_PCI_INTX_IRQ_INDEX, efd), ==,
                    0);
    test_bar0_write32(t.device, EDU_REG_IRQ_RAISE, 1);
    g_assert_true(test_eventfd_fired(efd));
    g_assert_cmphex(test_config_read(t.device, 6, 2) & 0x8, ==, 0x8);
    test_bar0_write32(t.device, EDU_REG_IRQ_RAISE, 1);
    g_assert_false(test_eventfd_fired(efd));
    g_assert_cmpint(set_none(t.device, VFIO_PCI_INTX_IRQ_INDEX,
                             VFIO_IRQ_SET_ACTION_UNMASK, 1), ==, 0);
    g_assert_true(test_eventfd_fired(efd));
    test_bar0_write32(t.device, EDU_REG_IRQ_ACK, 1);
    g_assert_cmpint(set_none(t.device, VFIO_PCI_INTX_IRQ_INDEX,
                             VFIO_IRQ_SET_ACTION_UNMASK, 1), ==, 0);
    g_assert_false(test_eventfd_fired(efd));

    /* a valid header asking for two actions: no such handler */
    g_assert_cmpint(set_none(t.device, VFIO_PCI_INTX_IRQ_INDEX,
                             VFIO_IRQ_SET_ACTION_MASK |
                             VFIO_IRQ_SET_ACTION_UNMASK, 1), ==, -ENOTTY);

    /* one type at a time */
    g_assert_cmpint(set_eventfd(t.device, VFIO_PCI_MSI_IRQ_INDEX, efd), ==,
                    -EINVAL);
    g_assert_cmpint(set_none(t.device, VFIO_PCI_INTX_IRQ_INDEX,
                             VFIO_IRQ_SET_ACTION_TRIGGER, 0), ==, 0);

    /* MSI-X vector 0 carries the edu's interrupt */
    g_assert_cmpint(set_eventfd(t.device, VFIO_PCI_MSIX_IRQ_INDEX, efd), ==,
                    0);
    g_assert_cmpint(set_none(t.device, VFIO_PCI_MSIX_IRQ_INDEX,
                             VFIO_IRQ_SET_ACTION_MASK, 1), ==, -ENOTTY);
    test_bar0_write32(t.device, EDU_REG_IRQ_RAISE, 1);
    g_assert_true(test_eventfd_fired(efd));
    test_bar0_write32(t.device, EDU_REG_IRQ_RAISE, 1);
    g_assert_true(test_eventfd_fired(efd));     /* edge: every event */
    g_assert_cmpint(set_none(t.device, VFIO_PCI_MSIX_IRQ_INDEX,
                             VFIO_IRQ_SET_ACTION_TRIGGER, 0), ==, 0);

    /* MSI; a bad descriptor is refused */
    g_assert_cmpint(set_eventfd(t.device, VFIO_PCI_MSI_IRQ_INDEX, 9999), ==,
                    -EBADF);
    g_assert_cmpint(set_eventfd(t.device, VFIO_PCI_MSI_IRQ_INDEX, efd), ==,
                    0);
    test_bar0_write32(t.device, EDU_REG_IRQ_RAISE, 1);
    g_assert_true(test_eventfd_fired(efd));
    g_assert_cmpint(test_device_u64("0000:01:00.0", "irqs"), ==, 5);

    /* turning MSI off leaves the error interrupt's trigger alone */
    g_assert_cmpint(set_eventfd(t.device, VFIO_PCI_ERR_IRQ_INDEX, err_efd),
                    ==, 0);
    g_assert_cmpint(set_none(t.device, VFIO_PCI_MSI_IRQ_INDEX,
                             VFIO_IRQ_SET_ACTION_TRIGGER, 0), ==, 0);
    g_assert_cmpint(set_none(t.device, VFIO_PCI_ERR_IRQ_INDEX,
                             VFIO_IRQ_SET_ACTION_TRIGGER, 1), ==, 0);
    g_assert_true(test_eventfd_fired(err_efd));

    /* a trigger must be an eventfd: signalling would write into a file */
    g_assert_cmpint(file, >=, 0);
    g_unlink(file_name);
    g_assert_cmpint(set_eventfd(t.device, VFIO_PCI_MSI_IRQ_INDEX, file), ==,
                    -EINVAL);
    g_assert_cmpint(set_eventfd(t.device, VFIO_PCI_INTX_IRQ_INDEX, file),
                    ==, -EINVAL);
    test_bar0_write32(t.device, EDU_REG_IRQ_RAISE, 1);
    g_assert_cmpint(fstat(file, &st), ==, 0);
    g_assert_cmpint(st.st_size, ==, 0);
    test_group_down(&t);
    close(file);
    close(err_efd);
    close(efd);
}

/* Descriptors ------------------------------------------------------------ */

static void test_fd_hygiene(void)
{
    unsigned before = test_count_fds();
    int efd = eventfd(0, EFD_CLOEXEC);
    TestGroup t;

    /* a whole cycle, with an interrupt left enabled at close */
    test_device_up(&t, 2, test_iommu_type, "0000:02:00.1");
    g_assert_cmpint(set_eventfd(t.device, VFIO_PCI_MSI_IRQ_INDEX, efd), ==,
                    0);
    g_assert_cmpuint(test_count_fds(), ==, before + 5);
    test_group_down(&t);
    close(efd);
    g_assert_cmpuint(test_count_fds(), ==, before);
    g_assert_cmpint(test_state_u64("fds"), ==, 0);
}

/* A fake file's number, once another file has it, is no fake file. */
static void test_fd_reuse(void)
{
    int efd = eventfd(0, EFD_CLOEXEC);
    int c;

    /* dup2() and dup3() onto a fake file close it */
    c = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
    g_assert_cmpint(c, >=, 0);
    g_assert_cmpint(dup2(efd, c), ==, c);
    g_assert_cmpint(test_state_u64("fds"), ==, 0);
    g_assert_cmpint(IOC(c, VFIO_GET_API_VERSION, NULL), ==, -ENOTTY);
    close(c);
    c = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
    g_assert_cmpint(dup3(efd, c, O_CLOEXEC), ==, c);
    g_assert_cmpint(test_state_u64("fds"), ==, 0);
    close(c);

    /* so does close_range(), unless it only sets close-on-exec */
    c = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
    g_assert_cmpint(close_range(c, c, CLOSE_RANGE_CLOEXEC), ==, 0);
    g_assert_cmpint(test_state_u64("fds"), ==, 1);
    g_assert_cmpint(close_range(c, c, 0), ==, 0);
    g_assert_cmpint(test_state_u64("fds"), ==, 0);

    /* closed where the fake cannot see it, the number then reused */
    c = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
    g_assert_cmpint(syscall(SYS_close, c), ==, 0);
    g_assert_cmpint(fcntl(efd, F_DUPFD_CLOEXEC, c), ==, c);
    g_assert_cmpint(IOC(c, VFIO_GET_API_VERSION, NULL), ==, -ENOTTY);
    g_assert_cmpint(test_state_u64("fds"), ==, 0);
    close(c);
    close(efd);
}

/*
 * LeakSanitizer's hook, used in sanitized builds: a forked child holds
 * copies of what only the parent's other threads (the fake's state
 * thread) reference, unreachable in the child by construction and no
 * leak; its exit skips the check.
 */
static bool in_fork_child;
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
    return in_fork_child;
}

/* A forked child neither uses nor tears down its parent's fake. */
static void test_fork(void)
{
    struct stat st;
    TestGroup t;
    int status;
    pid_t pid;

    test_group_up(&t, 1, test_iommu_type);
    fflush(stdout);             /* or the child's exit() repeats it */
    pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (!pid) {
        in_fork_child = true;
        /* to libc the container is the plain memfd it is */
        exit(ioctl(t.container, VFIO_GET_API_VERSION) == -1 &&
             errno == ENOTTY ? 0 : 1);
    }
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    /* the child's exit() left the tree, the socket and the files alone */
    g_assert_cmpint(stat("/sys/bus/pci/devices/0000:01:00.0", &st), ==, 0);
    g_assert_cmpint(ioctl(t.container, VFIO_GET_API_VERSION), ==,
                    VFIO_API_VERSION);
    g_assert_cmpint(test_state_u64("fds"), ==, 2);
    test_group_down(&t);
}

/*
 * A preloaded program this one runs (LD_PRELOAD and the socket path are
 * in its environment) starts a fake of its own when it touches VFIO; it
 * must fail rather than take the state socket over.
 */
static void test_descendant(void)
{
    char *argv[] = { (char *)"/bin/sh", (char *)"-c",
                     (char *)"test -e /dev/vfio/vfio", NULL };
    g_autofree char *ping = NULL;
    g_autofree char *err = NULL;
    g_autoptr(GError) error = NULL;
    int status;

    g_assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL,
                               NULL, NULL, &err, &status, &error));
    g_assert_false(WIFEXITED(status) && !WEXITSTATUS(status));
    g_assert_nonnull(strstr(err, "another process serves it"));
    ping = test_state_command("ping");
    g_assert_cmpstr(ping, ==, "ok");
}

/*
 * Faults: the "faults" run has VFIO_FAKE_EACCES=3, VFIO_FAKE_FROZEN=2,
 * VFIO_FAKE_MEMLOCK=2 MiB, VFIO_FAKE_MAP_FAIL=1:12.
 */

static void test_fault_eacces(void)
{
    g_autofree char *off = NULL;
    int g;

    g_assert_cmpint(open("/dev/vfio/3", O_RDWR), ==, -1);
    g_assert_cmpint(errno, ==, EACCES);
    off = test_state_command("eacces 3 off");
    g_assert_cmpstr(off, ==, "ok");
    g = open("/dev/vfio/3", O_RDWR);
    g_assert_cmpint(g, >=, 0);
    close(g);
}

static void test_fault_frozen(void)
{
    struct vfio_eeh_pe_op op = { .argsz = sizeof(op) };
    struct vfio_iommu_spapr_register_memory reg = { .argsz = sizeof(reg) };
    struct vfio_iommu_spapr_tce_remove rm = { .argsz = sizeof(rm) };
    struct vfio_iommu_spapr_tce_create cr = {
        .argsz = sizeof(cr), .page_shift = 12, .window_size = 1 << 24,
        .levels = 1,
    };
    struct vfio_iommu_type1_dma_map map = {
        .argsz = sizeof(map),
        .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
        .size = 4096,
    };
    size_t size = 64 << 10;
    uint8_t *mem = test_alloc_pages(size);
    g_autofree char *thaw = NULL;
    g_autofree char *rearm = NULL;
    int64_t faults, ok;
    off_t cfg_size;
    TestGroup t;

    /* sysfs reads the hardware: all ones while the PE is frozen */
    g_assert_cmphex(sysfs_vendor("/sys/bus/pci/devices/0000:02:00.1/config",
                                 &cfg_size), ==, 0xffff);
    test_device_up(&t, 2, VFIO_SPAPR_TCE_v2_IOMMU, "0000:02:00.0");
    g_assert_cmphex(test_config_read(t.device, 0, 4), ==, 0xffffffff);
    g_assert_cmphex(test_bar0_read32(t.device, EDU_REG_ID), ==, 0xffffffff);
    op.op = VFIO_EEH_PE_GET_STATE;
    g_assert_cmpint(ioctl(t.container, VFIO_EEH_PE_OP, &op), ==,
                    VFIO_EEH_PE_STATE_STOPPED);
    thaw = test_state_command("thaw 2");
    g_assert_cmpstr(thaw, ==, "ok");
    g_assert_cmpint(ioctl(t.container, VFIO_EEH_PE_OP, &op), ==,
                    VFIO_EEH_PE_STATE_NORMAL);
    g_assert_cmphex(test_config_read(t.device, 0, 4), ==, 0x11e81234);
    g_assert_cmphex(sysfs_vendor("/sys/bus/pci/devices/0000:02:00.1/config",
                                 &cfg_size), ==, 0x1234);

    /* a DMA that would work: master on, an IOVA mapped */
    test_enable_master(t.device);
    reg.vaddr = (uintptr_t)mem;
    reg.size = size;
    g_assert_cmpint(IOC(t.container, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, &reg),
                    ==, 0);
    g_assert_cmpint(IOC(t.container, VFIO_IOMMU_SPAPR_TCE_REMOVE, &rm), ==, 0);
    g_assert_cmpint(IOC(t.container, VFIO_IOMMU_SPAPR_TCE_CREATE, &cr), ==, 0);
    map.vaddr = (uintptr_t)mem;
    g_assert_cmpint(IOC(t.container, VFIO_IOMMU_MAP_DMA, &map), ==, 0);
    /* that map used VFIO_FAKE_MAP_FAIL's pass: armed again as it was */
    rearm = test_state_command("map-fail 1 12");
    g_assert_cmpstr(rearm, ==, "ok");
    test_bar0_write64(t.device, EDU_BUF, 0x1122334455667788ULL);
    faults = test_device_u64("0000:02:00.0", "dma-faults");
    ok = test_device_u64("0000:02:00.0", "dma-ok");

    /*
     * Frozen through EEH: the BAR writes that would start the DMA are
     * dropped, as MMIO to a frozen PE is, so no DMA happens at all.  (A
     * DMA that runs into a frozen PE faults, but both models DMA only
     * inside the BAR write that starts it, so none can.)
     */
    op.op = VFIO_EEH_PE_INJECT_ERR;
    g_assert_cmpint(IOC(t.container, VFIO_EEH_PE_OP, &op), ==, 0);
    g_assert_cmphex(sysfs_vendor("/sys/bus/pci/devices/0000:02:00.0/config",
                                 &cfg_size), ==, 0xffff);
    test_edu_dma(t.device, 0, 8, true);
    g_assert_cmpint(test_device_u64("0000:02:00.0", "dma-faults"), ==,
                    faults);
    g_assert_cmpint(test_device_u64("0000:02:00.0", "dma-ok"), ==, ok);
    for (unsigned i = 0; i < 8; i++) {
        g_assert_cmpuint(mem[i], ==, 0);
    }
    /* thawed, the same DMA goes through: the setup was good */
    op.op = VFIO_EEH_PE_UNFREEZE_IO;
    g_assert_cmpint(IOC(t.container, VFIO_EEH_PE_OP, &op), ==, 0);
    test_edu_dma(t.device, 0, 8, true);
    g_assert_cmpint(test_device_u64("0000:02:00.0", "dma-ok"), ==, ok + 1);
    g_assert_cmphex(*(uint64_t *)mem, ==, 0x1122334455667788ULL);
    test_group_down(&t);
    munmap(mem, size);
}

static void test_fault_memlock_and_map(void)
{
    struct vfio_iommu_spapr_register_memory reg = { .argsz = sizeof(reg) };
    struct vfio_iommu_type1_dma_map map = {
        .argsz = sizeof(map),
        .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
    };
    struct vfio_iommu_spapr_tce_remove rm = { .argsz = sizeof(rm) };
    struct vfio_iommu_spapr_tce_create cr = {
        .argsz = sizeof(cr), .page_shift = 12, .window_size = 1 << 24,
        .levels = 1,
    };
    size_t big = 4 << 20, small = 64 << 10;
    uint8_t *mem = test_alloc_pages(big);
    g_autofree char *ok = NULL;
    TestGroup t;

    test_group_up(&t, 1, VFIO_SPAPR_TCE_v2_IOMMU);
    /* 4 MiB over the 2 MiB limit */
    reg.vaddr = (uintptr_t)mem;
    reg.size = big;
    g_assert_cmpint(IOC(t.container, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, &reg),
                    ==, -ENOMEM);
    reg.size = small;
    g_assert_cmpint(IOC(t.container, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, &reg),
                    ==, 0);
    g_assert_cmpint(IOC(t.container, VFIO_IOMMU_SPAPR_TCE_REMOVE, &rm), ==, 0);
    g_assert_cmpint(IOC(t.container, VFIO_IOMMU_SPAPR_TCE_CREATE, &cr), ==, 0);

    /* VFIO_FAKE_MAP_FAIL=1:12: one map passes, the next fails, once */
    map.vaddr = (uintptr_t)mem;
    map.size = 4096;
    map.iova = 0;
    g_assert_cmpint(IOC(t.container, VFIO_IOMMU_MAP_DMA, &map), ==, 0);
    map.iova = 4096;
    g_assert_cmpint(IOC(t.container, VFIO_IOMMU_MAP_DMA, &map), ==, -ENOMEM);
    g_assert_cmpint(IOC(t.container, VFIO_IOMMU_MAP_DMA, &map), ==, 0);
    g_assert_cmpint(test_state_u64("containers/*/map-errors"), ==, 1);
    /* and armed again through the socket */
    ok = test_state_command("map-fail 0 14");
    g_assert_cmpstr(ok, ==, "ok");
    map.iova = 8192;
    g_assert_cmpint(IOC(t.container, VFIO_IOMMU_MAP_DMA, &map), ==, -EFAULT);
    test_group_down(&t);
    munmap(mem, big);
}

static void test_state_protocol(void)
{
    g_autofree char *ping = test_state_command("ping");
    g_autofree char *bad = test_state_command("bogus");
    g_autofree char *state = test_state_command("state");

    g_assert_cmpstr(ping, ==, "ok");
    g_assert_true(g_str_has_prefix(bad, "error: "));
    g_assert_true(g_str_has_prefix(state, "{\"iommu\":"));
    g_assert_true(g_str_has_suffix(state, "]}"));
}

int main(int argc, char **argv)
{
    const char *run = g_getenv("VFIO_FAKE_RUN");
    g_autofree char *dir = g_dir_make_tmp("vfio-fake-test-XXXXXX", NULL);
    g_autofree char *sock = g_build_filename(dir, "state.sock", NULL);
    g_autofree char *backing = g_build_filename(dir, "nvme.img", NULL);
    int ret;

    g_test_init(&argc, &argv, NULL);
    /* read when the fake starts, at the first /dev/vfio access */
    g_setenv("VFIO_FAKE_STATE_SOCKET", sock, TRUE);
    if (!run) {
        run = "spapr";
    }
    test_iommu_type = !strcmp(run, "type1") || !strcmp(run, "nvme") ||
                      !strcmp(run, "type1-host") ?
                      VFIO_TYPE1v2_IOMMU : VFIO_SPAPR_TCE_v2_IOMMU;
    if (!strcmp(run, "nvme")) {
        g_autofree char *zeros = g_malloc0(256 * 1024);

        /* a namespace of 512 blocks, before the fake starts */
        g_assert_true(g_file_set_contents(backing, zeros, 256 * 1024,
                                          NULL));
        g_setenv("VFIO_FAKE_NVME_BACKING", backing, TRUE);
        test_nvme_backing = backing;
        test_nvme_register(true);
    } else if (!strcmp(run, "type1-host")) {
        test_type1_host_register();
    } else if (!strcmp(run, "faults")) {
        g_test_add_func("/vfio-fake/faults/eacces", test_fault_eacces);
        g_test_add_func("/vfio-fake/faults/frozen", test_fault_frozen);
        g_test_add_func("/vfio-fake/faults/memlock-map",
                        test_fault_memlock_and_map);
    } else {
        g_test_add_func("/vfio-fake/paths", test_paths);
        g_test_add_func("/vfio-fake/sysfs-config", test_sysfs_config);
        g_test_add_func("/vfio-fake/state-protocol", test_state_protocol);
        g_test_add_func("/vfio-fake/container", test_container);
        g_test_add_func("/vfio-fake/group-rules", test_group_rules);
        g_test_add_func("/vfio-fake/container-lifetime",
                        test_container_lifetime);
        g_test_add_func("/vfio-fake/device/regions", test_device_regions);
        g_test_add_func("/vfio-fake/device/conventional",
                        test_device_conventional);
        g_test_add_func("/vfio-fake/interrupts", test_interrupts);
        g_test_add_func("/vfio-fake/fd-hygiene", test_fd_hygiene);
        g_test_add_func("/vfio-fake/fd-reuse", test_fd_reuse);
        g_test_add_func("/vfio-fake/fork", test_fork);
        g_test_add_func("/vfio-fake/descendant", test_descendant);
        if (!strcmp(run, "type1")) {
            test_type1_register();
        } else {
            test_spapr_register();
            test_nvme_register(false);
        }
    }
    ret = g_test_run();
    g_unlink(sock);
    g_unlink(backing);
    g_rmdir(dir);
    return ret;
}
