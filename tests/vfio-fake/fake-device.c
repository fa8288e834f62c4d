/*
 * vfio-pci device files, as drivers/vfio/pci presents a function:
 *
 *   regions 0-5 (BARs)  what the function model declares; trapped BARs
 *                       go to the model's bar_read/bar_write, mmap-able
 *                       ones are plain memory in a memfd
 *   region 6 (ROM)      size 0
 *   region 7 (config)   256 or 4096 bytes
 *   region 8 (VGA)      EINVAL: no function has one
 *
 * A region's file offset is its index << 40.  Config accesses are split
 * into naturally aligned pieces of at most 4 bytes and fail with EFAULT
 * past the end; BAR accesses into pieces of at most 8 bytes, are cut at
 * the end of the BAR, and fail with EIO while memory decoding is off.
 * A frozen PE reads all ones and drops writes.  The MSI-X table is kept
 * from the user as vfio_pci_bar_rw() does: reads all ones, writes dropped.
 *
 * The first open enables the function (memory decoding on, bus mastering
 * off); the last close shuts its interrupts and resets it.
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* memfd_create() */
#endif
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "fake.h"

#define PCI_COMMAND_OFF     0x04
#define PCI_COMMAND_MEMORY  0x2
#define PCI_COMMAND_MASTER  0x4

void fake_config_set(FakeDevice *d, uint32_t off, unsigned size,
                     uint32_t val, uint32_t wmask)
{
    for (unsigned i = 0; i < size; i++) {
        d->config[off + i] = val >> (8 * i);
        d->wmask[off + i] = wmask >> (8 * i);
    }
}

uint32_t fake_config_get(FakeDevice *d, uint32_t off, unsigned size)
{
    uint32_t v = 0;

    for (unsigned i = 0; i < size; i++) {
        v |= (uint32_t)d->config[off + i] << (8 * i);
    }
    return v;
}

static bool mem_enabled(FakeDevice *d)
{
    return fake_config_get(d, PCI_COMMAND_OFF, 2) & PCI_COMMAND_MEMORY;
}

bool fake_device_master_enabled(FakeDevice *d)
{
    return fake_config_get(d, PCI_COMMAND_OFF, 2) & PCI_COMMAND_MASTER;
}

/* Lifecycle -------------------------------------------------------------- */

const char *fake_device_param(FakeDevice *d, const char *key)
{
    return d->params ? g_hash_table_lookup(d->params, key) : NULL;
}

int fake_device_init(FakeDevice *d, GError **errp)
{
    d->dma_iova_lo = UINT64_MAX;        /* no DMA yet */
    d->intx_trigger = d->msi_trigger = d->err_trigger = d->req_trigger = -1;
    for (unsigned i = 0; i < FAKE_MSIX_MAX; i++) {
        d->msix_trigger[i] = -1;
    }
    if (d->ops->init(d) < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "%s: model %s failed to start", d->name, d->ops->name);
        return -EIO;
    }
    g_assert(d->msix_vectors <= FAKE_MSIX_MAX);
    for (unsigned i = 0; i < FAKE_MAX_BARS; i++) {
        size_t len = MAX(d->bars[i].size, fake->page_size);

        d->bar_fd[i] = -1;
        if (!d->bars[i].mmap) {
            continue;
        }
        /* a memfd, so the user's mmap shares the very same pages */
        d->bar_fd[i] = memfd_create("vfio-fake-bar", MFD_CLOEXEC);
        if (d->bar_fd[i] < 0 || ftruncate(d->bar_fd[i], len) < 0) {
            g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                        "%s: BAR%u memory: %s", d->name, i,
                        g_strerror(errno));
            return -errno;
        }
        d->bar_mem[i] = fake_real_mmap(NULL, len, PROT_READ | PROT_WRITE,
                                       MAP_SHARED, d->bar_fd[i], 0);
        if (d->bar_mem[i] == MAP_FAILED) {
            d->bar_mem[i] = NULL;
            g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                        "%s: mapping BAR%u: %s", d->name, i,
                        g_strerror(errno));
            return -errno;
        }
    }
    d->config_size = d->pcie ? 0x1000 : 0x100;
    d->ops->config_build(d);
    return 0;
}

int fake_devices_start(FakeKernel *k, GError **errp)
{
    for (guint i = 0; i < k->groups->len; i++) {
        FakeGroup *g = g_ptr_array_index(k->groups, i);
        for (guint j = 0; j < g->devices->len; j++) {
            FakeDevice *d = g_ptr_array_index(g->devices, j);
            int ret = d->ops->start ? d->ops->start(d, errp) : 0;

            if (ret < 0) {
                return ret;
            }
        }
    }
    return 0;
}

void fake_device_cleanup(FakeDevice *d)
{
    for (unsigned i = 0; i < FAKE_MAX_BARS; i++) {
        if (d->bar_mem[i]) {
            munmap(d->bar_mem[i], MAX(d->bars[i].size, fake->page_size));
        }
        if (d->bar_fd[i] >= 0) {
            fake_real_close(d->bar_fd[i]);
        }
    }
    if (d->ops->cleanup) {
        d->ops->cleanup(d);
    }
    g_clear_pointer(&d->params, g_hash_table_unref);
}

void fake_device_reset(FakeDevice *d)
{
    d->resets++;
    d->ops->reset(d);
}

int fake_device_open(FakeDevice *d, bool cloexec)
{
    int fd = fake_handle_new(FAKE_HANDLE_DEVICE, d, cloexec);

    if (fd < 0) {
        return fd;
    }
    /* vfio_pci_core_enable(): power on, config as the kernel leaves it */
    if (d->open_count++ == 0) {
        d->ops->config_build(d);
        d->ops->reset(d);
    }
    d->group->device_fds++;
    return fd;
}

void fake_device_file_closed(FakeDevice *d)
{
    g_assert(d->open_count > 0);
    if (--d->open_count == 0) {
        fake_irq_disable_all(d);
        d->ops->reset(d);
    }
    fake_group_device_closed(d->group);
}

/* Regions ---------------------------------------------------------------- */

static int get_region_info(FakeDevice *d, struct vfio_region_info *info)
{
    uint32_t minsz = offsetofend(struct vfio_region_info, offset);

    if (!info) {
        return -EFAULT;
    }
    if (info->argsz < minsz) {
        return -EINVAL;
    }
    switch (info->index) {
    case VFIO_PCI_CONFIG_REGION_INDEX:
        info->size = d->config_size;
        info->flags = VFIO_REGION_INFO_FLAG_READ |
                      VFIO_REGION_INFO_FLAG_WRITE;
        break;
    case VFIO_PCI_BAR0_REGION_INDEX ... VFIO_PCI_BAR5_REGION_INDEX:
        info->size = d->bars[info->index].size;
        info->flags = info->size ? VFIO_REGION_INFO_FLAG_READ |
                                   VFIO_REGION_INFO_FLAG_WRITE : 0;
        if (info->size && d->bars[info->index].mmap) {
            info->flags |= VFIO_REGION_INFO_FLAG_MMAP;
        }
        break;
    case VFIO_PCI_ROM_REGION_INDEX:
        info->size = 0;
        info->flags = 0;
        break;
    default:
        return -EINVAL;         /* no VGA, no device-specific region */
    }
    info->cap_offset = 0;
    info->offset = (uint64_t)info->index << FAKE_REGION_SHIFT;
    return 0;
}

/* The largest naturally aligned piece at @pos, at most @max bytes. */
static unsigned piece(uint64_t pos, uint64_t left, unsigned max)
{
    for (unsigned size = max; size > 1; size /= 2) {
        if (left >= size && !(pos % size)) {
            return size;
        }
    }
    return 1;
}

static uint64_t load_le(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

static void store_le(uint8_t *p, uint64_t v, unsigned size)
{
    for (unsigned i = 0; i < size; i++) {
        p[i] = v >> (8 * i);
    }
}

/* Config reads see the hardware's dynamic bits: INTx status, MSI-X on. */
static uint32_t config_read(FakeDevice *d, uint32_t addr, unsigned size)
{
    uint32_t v = fake_config_get(d, addr, size);

    for (unsigned i = 0; i < size; i++) {
        if (addr + i == 0x06 && d->ops->irq_level(d)) {
            v |= 0x08u << (8 * i);              /* Interrupt Status */
        }
    }
    return v;
}

static void config_write(FakeDevice *d, uint32_t addr, uint32_t val,
                         unsigned size)
{
    for (unsigned i = 0; i < size; i++) {
        uint8_t m = d->wmask[addr + i];
        d->config[addr + i] = (d->config[addr + i] & ~m) |
                              ((val >> (8 * i)) & m);
    }
}

static ssize_t config_rw(FakeDevice *d, uint8_t *buf, size_t count,
                         uint64_t pos, bool write)
{
    bool frozen = d->group->frozen;

    if (pos >= d->config_size || count > d->config_size - pos) {
        return -EFAULT;
    }
    for (size_t done = 0; done < count;) {
        unsigned size = piece(pos + done, count - done, 4);
        if (write && !frozen) {
            config_write(d, pos + done, load_le(buf + done, size), size);
        } else if (!write) {
            store_le(buf + done, frozen ? ~0ULL
                     : config_read(d, pos + done, size), size);
        }
        done += size;
    }
    return count;
}

void fake_device_config_read_all(FakeDevice *d, uint8_t *buf)
{
    config_rw(d, buf, d->config_size, 0, false);
}

static bool in_msix_table(FakeDevice *d, unsigned bar, uint64_t addr)
{
    return d->msix_vectors && bar == d->msix_bar &&
           addr >= d->msix_table && addr < d->msix_table +
           d->msix_vectors * 16;
}

static ssize_t bar_rw(FakeDevice *d, unsigned bar, uint8_t *buf,
                      size_t count, uint64_t pos, bool write)
{
    uint64_t end = d->bars[bar].size;

    if (pos >= end) {
        return -EINVAL;
    }
    count = MIN(count, end - pos);
    if (!mem_enabled(d)) {
        return -EIO;
    }
    if (d->group->frozen) {
        if (!write) {
            memset(buf, 0xff, count);
        }
        return count;
    }
    if (d->bar_mem[bar]) {
        if (write) {
            memcpy(d->bar_mem[bar] + pos, buf, count);
        } else {
            memcpy(buf, d->bar_mem[bar] + pos, count);
        }
        return count;
    }
    for (size_t done = 0; done < count;) {
        unsigned size = piece(pos + done, count - done, 8);
        bool table = in_msix_table(d, bar, pos + done);

        if (write && !table) {
            d->ops->bar_write(d, bar, pos + done,
                              load_le(buf + done, size), size);
        } else if (!write) {
            store_le(buf + done, table ? ~0ULL :
                     d->ops->bar_read(d, bar, pos + done, size), size);
        }
        done += size;
    }
    return count;
}

ssize_t fake_device_rw(FakeDevice *d, void *buf, size_t count,
                       uint64_t offset, bool write)
{
    unsigned index = offset >> FAKE_REGION_SHIFT;
    uint64_t pos = offset & FAKE_REGION_MASK;

    if (index == VFIO_PCI_CONFIG_REGION_INDEX) {
        return config_rw(d, buf, count, pos, write);
    }
    if (index < FAKE_MAX_BARS && d->bars[index].size) {
        return bar_rw(d, index, buf, count, pos, write);
    }
    return -EINVAL;
}

void *fake_device_mmap(FakeDevice *d, void *addr, size_t len, int prot,
                       int flags, uint64_t offset, int *err)
{
    unsigned index = offset >> FAKE_REGION_SHIFT;
    uint64_t pos = offset & FAKE_REGION_MASK;
    void *p;

    if (!len || (offset & (fake->page_size - 1))) {
        *err = EINVAL;
        return MAP_FAILED;
    }
    /* vfio_pci_core_mmap(): only mmap-able BARs, within the rounded BAR */
    if (index >= FAKE_MAX_BARS || !d->bar_mem[index] || pos + len < pos ||
        pos + len > FAKE_ROUND_UP(d->bars[index].size, fake->page_size)) {
        *err = EINVAL;
        return MAP_FAILED;
    }
    if (!(flags & MAP_SHARED)) {
        *err = EINVAL;          /* vfio-pci requires VM_SHARED */
        return MAP_FAILED;
    }
    p = fake_real_mmap(addr, len, prot, flags, d->bar_fd[index], pos);
    if (p == MAP_FAILED) {
        *err = errno;
    }
    return p;
}

/* ioctls ----------------------------------------------------------------- */

static int get_info(FakeDevice *d, struct vfio_device_info *info)
{
    uint32_t minsz = offsetofend(struct vfio_device_info, num_irqs);

    if (!info) {
        return -EFAULT;
    }
    if (info->argsz < minsz) {
        return -EINVAL;
    }
    info->flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
    info->num_regions = VFIO_PCI_NUM_REGIONS;
    info->num_irqs = VFIO_PCI_NUM_IRQS;
    if (info->argsz >= offsetofend(struct vfio_device_info, cap_offset)) {
        info->cap_offset = 0;
    }
    return 0;
}

int fake_device_ioctl(FakeDevice *d, unsigned long req, void *arg)
{
    switch (req) {
    case VFIO_DEVICE_GET_INFO:
        return get_info(d, arg);
    case VFIO_DEVICE_GET_REGION_INFO:
        return get_region_info(d, arg);
    case VFIO_DEVICE_GET_IRQ_INFO:
        return fake_irq_get_info(d, arg);
    case VFIO_DEVICE_SET_IRQS:
        return fake_irq_set(d, arg);
    case VFIO_DEVICE_RESET:
        /* pci_try_reset_function() restores config space around it */
        fake_device_reset(d);
        return 0;
    default:
        return -ENOTTY;         /* hot reset, features, ioeventfd */
    }
}
