/*
 * vfio-sim device files, as vfio-pci (drivers/vfio/pci/vfio_pci_core.c,
 * vfio_pci_rdwr.c, vfio_pci_config.c) presents a function:
 *
 *   region 0 (BAR0)   1 MiB edu registers, read/write (no mmap: side effects)
 *   region 2 (BAR2)   4 KiB of RAM, read/write and mmap
 *   region 7 (config) 256 or 4096 bytes
 *   others            size 0 (ROM), or -EINVAL (VGA: the function has none)
 *
 * A region's file offset is its index << 40, but callers must take it from
 * VFIO_DEVICE_GET_REGION_INFO.  Config accesses are split into naturally
 * aligned pieces of at most 4 bytes and fail with -EFAULT past the end;
 * BAR accesses into pieces of at most 8 bytes, are cut at the end of the
 * BAR, and fail with -EIO while memory decoding is off (the kernel's
 * vfio_pci_memory_lock_and_enable() rule).  A frozen PE reads all ones.
 * As vfio_pci_bar_rw() does, the MSI-X table of a function that has one
 * (BAR0 0x80000, 16 bytes a vector) is kept from the user: its bytes read
 * all ones and writes to them are dropped; the PBA is the device's.
 *
 * The first open enables the function (memory decoding on, bus mastering
 * off, edu reset); the last close shuts its interrupts and resets it.
 */
#include "qemu/osdep.h"
#include <sys/mman.h>
#include "hw/pci/pci.h"
#include "sim-internal.h"

int sim_device_open(SimDevice *d)
{
    int fd = sim_handle_new(d->group->sim, SIM_HANDLE_DEVICE, d);

    if (fd < 0) {
        return fd;
    }
    /* the group path lets a device be opened more than once; state is shared */
    if (d->open_count++ == 0) {
        sim_func_power_on(d);
    }
    d->group->device_fds++;
    return fd;
}

void sim_device_file_closed(SimDevice *d)
{
    g_assert(d->open_count > 0);
    if (--d->open_count == 0) {
        sim_irq_disable_all(d);
        sim_func_reset(d);
    }
    sim_group_device_closed(d->group);
}

/* Regions -------------------------------------------------------------------- */

static uint64_t bar_size(unsigned index)
{
    return index == VFIO_PCI_BAR0_REGION_INDEX ? SIM_BAR0_SIZE :
           index == VFIO_PCI_BAR2_REGION_INDEX ? SIM_BAR2_SIZE : 0;
}

static int get_region_info(SimDevice *d, struct vfio_region_info *info)
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
        info->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
        break;
    case VFIO_PCI_BAR0_REGION_INDEX ... VFIO_PCI_BAR5_REGION_INDEX:
        info->size = bar_size(info->index);
        info->flags = info->size ? VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE : 0;
        if (info->index == VFIO_PCI_BAR2_REGION_INDEX) {
            info->flags |= VFIO_REGION_INFO_FLAG_MMAP;
        }
        break;
    case VFIO_PCI_ROM_REGION_INDEX:
        info->size = 0;         /* no option ROM */
        info->flags = 0;
        break;
    default:
        return -EINVAL;         /* no VGA, no device-specific region */
    }
    info->offset = (uint64_t)info->index << SIM_REGION_SHIFT;
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

static ssize_t config_rw(SimDevice *d, uint8_t *buf, size_t count, uint64_t pos, bool write)
{
    bool frozen = d->group->frozen;

    if (pos >= d->config_size || count > d->config_size - pos) {
        return -EFAULT;
    }
    for (size_t done = 0; done < count;) {
        unsigned size = piece(pos + done, count - done, 4);
        if (write) {
            if (!frozen) {
                sim_func_config_write(d, pos + done, load_le(buf + done, size), size);
            }
        } else {
            store_le(buf + done, frozen ? ~0ull : sim_func_config_read(d, pos + done, size),
                     size);
        }
        done += size;
    }
    return count;
}

static ssize_t bar_rw(SimDevice *d, unsigned index, uint8_t *buf, size_t count, uint64_t pos,
                      bool write)
{
    uint64_t end = bar_size(index);

    if (pos >= end) {
        return -EINVAL;
    }
    count = MIN(count, end - pos);
    if (!sim_func_mem_enabled(d)) {
        return -EIO;
    }
    if (d->group->frozen) {
        if (!write) {
            memset(buf, 0xff, count);
        }
        return count;
    }
    if (index == VFIO_PCI_BAR2_REGION_INDEX) {
        if (write) {
            memcpy(d->bar2 + pos, buf, count);
        } else {
            memcpy(buf, d->bar2 + pos, count);
        }
        return count;
    }
    for (size_t done = 0; done < count;) {
        unsigned size = piece(pos + done, count - done, 8);
        /* table and BAR are 8-byte aligned: a piece is all in or all out */
        bool msix_table = sim_func_has_msix(d) && pos + done >= SIM_MSIX_TABLE &&
                          pos + done < SIM_MSIX_TABLE + SIM_MSIX_VECTORS * 16;
        if (write) {
            if (!msix_table) {
                sim_func_bar0_write(d, pos + done, load_le(buf + done, size), size);
            }
        } else {
            store_le(buf + done, msix_table ? ~0ull : sim_func_bar0_read(d, pos + done, size),
                     size);
        }
        done += size;
    }
    return count;
}

ssize_t sim_device_rw(SimDevice *d, void *buf, size_t count, uint64_t offset, bool write)
{
    unsigned index = offset >> SIM_REGION_SHIFT;
    uint64_t pos = offset & SIM_REGION_MASK;

    switch (index) {
    case VFIO_PCI_CONFIG_REGION_INDEX:
        return config_rw(d, buf, count, pos, write);
    case VFIO_PCI_BAR0_REGION_INDEX:
    case VFIO_PCI_BAR2_REGION_INDEX:
        return bar_rw(d, index, buf, count, pos, write);
    default:
        return -EINVAL;         /* empty BARs, no ROM, no VGA, unknown regions */
    }
}

void *sim_device_mmap(SimDevice *d, size_t len, int prot, uint64_t offset, int *err)
{
    size_t ps = sim_host_page_size();
    unsigned index = offset >> SIM_REGION_SHIFT;
    uint64_t pos = offset & SIM_REGION_MASK;
    void *p;

    /* mmap(2) itself: a length, a page-aligned offset */
    if (!len || (offset & (ps - 1))) {
        *err = EINVAL;
        return NULL;
    }
    /* vfio_pci_core_mmap(): only mmap-able BARs, within the page-rounded BAR */
    if (index != VFIO_PCI_BAR2_REGION_INDEX || pos + len < pos ||
        pos + len > SIM_ROUND_UP(SIM_BAR2_SIZE, ps)) {
        *err = EINVAL;
        return NULL;
    }
    p = mmap(NULL, len, prot, MAP_SHARED, d->bar2_fd, pos);
    if (p == MAP_FAILED) {
        *err = errno;
        return NULL;
    }
    return p;
}

/* ioctls ------------------------------------------------------------------------ */

static int get_info(SimDevice *d, struct vfio_device_info *info)
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
    return 0;
}

int sim_device_ioctl(SimDevice *d, unsigned long req, void *arg)
{
    switch (req) {
    case VFIO_DEVICE_GET_INFO:
        return get_info(d, arg);
    case VFIO_DEVICE_GET_REGION_INFO:
        return get_region_info(d, arg);
    case VFIO_DEVICE_GET_IRQ_INFO:
        return sim_irq_get_info(d, arg);
    case VFIO_DEVICE_SET_IRQS:
        return sim_irq_set(d, arg);
    case VFIO_DEVICE_RESET:
        /* pci_try_reset_function() saves and restores config space around it */
        sim_func_reset(d);
        return 0;
    default:
        return -ENOTTY;
    }
}
