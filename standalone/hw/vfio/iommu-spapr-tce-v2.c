/*
 * sPAPR TCE v2 backend (POWER hosts): guest RAM is registered once (pinned
 * and accounted to locked memory), and each guest window is mirrored by a
 * host window of the same size and start, created when the guest's
 * appears.  Each guest TCE run becomes one MAP_DMA the kernel splits into
 * host TCEs of the host window's page size.
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "hw/ppc/spapr.h"
#include "hw/ppc/spapr_pci.h"
#include "hw/vfio/vfio-container.h"
#include "trace-events-all.h"

#include <linux/vfio.h>

#define SPAPR_TCE_MAX_LEVELS 5

static gboolean spapr_setup(VfioContainer *c, GError **errp)
{
    struct vfio_iommu_spapr_tce_info info = { .argsz = sizeof(info) };
    struct vfio_iommu_spapr_register_memory reg = {
        .argsz = sizeof(reg), .vaddr = (uintptr_t)c->ram, .size = c->ram_size,
    };
    struct vfio_iommu_spapr_tce_remove rm = { .argsz = sizeof(rm) };
    int r;

    r = vfio_ioctl(c->host, c->fd, VFIO_IOMMU_SPAPR_TCE_GET_INFO, &info);
    if (r < 0) {
        error_setg(errp, "%s: group %d: VFIO_IOMMU_SPAPR_TCE_GET_INFO: %s", c->owner,
                   c->group->groupid, g_strerror(-r));
        return FALSE;
    }
    if (!(info.flags & VFIO_IOMMU_SPAPR_INFO_DDW) || !info.ddw.pgsizes) {
        error_setg(errp, "%s: group %d: the host's sPAPR IOMMU does not do dynamic DMA windows",
                   c->owner, c->group->groupid);
        return FALSE;
    }
    c->pgsizes = info.ddw.pgsizes;

    /* all of guest RAM, once: mappings may then point anywhere in it */
    r = vfio_ioctl(c->host, c->fd, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, &reg);
    trace_vfio_spapr_register_memory(reg.vaddr, reg.size, r);
    if (r < 0) {
        error_setg(errp, "%s: group %d: VFIO_IOMMU_SPAPR_REGISTER_MEMORY of %" PRIu64
                   " MiB of guest RAM: %s%s", c->owner, c->group->groupid, c->ram_size >> 20,
                   g_strerror(-r), r == -ENOMEM ? " (locked-memory limit too low? ulimit -l)" : "");
        return FALSE;
    }
    c->ram_registered = true;
    /*
     * The kernel holds a default 32-bit window pending; drop it so that
     * windows exist exactly when the guest's do.
     */
    rm.start_addr = info.dma32_window_start;
    r = vfio_ioctl(c->host, c->fd, VFIO_IOMMU_SPAPR_TCE_REMOVE, &rm);
    trace_vfio_spapr_remove_window(rm.start_addr, r);
    return TRUE;
}

/* Largest host page that fits a guest TCE and the RAM's own pages. */
static uint32_t host_page_shift(VfioContainer *c, uint32_t guest_shift)
{
    uint32_t ram_shift = g_bit_nth_lsf(sysconf(_SC_PAGESIZE), -1);
    uint32_t limit = MIN(guest_shift, ram_shift);

    for (int s = limit; s >= 0; s--) {
        if (c->pgsizes & (1ull << s)) {
            return s;
        }
    }
    return 0;
}

static gboolean spapr_window_add(VfioContainer *c, SpaprTceWindow *w, uint64_t *bus_offset,
                                 GError **errp)
{
    uint32_t shift = host_page_shift(c, w->page_shift);
    uint64_t size = spapr_tce_window_size(w);
    struct vfio_iommu_spapr_tce_create create = { .argsz = sizeof(create) };
    uint64_t entries;
    uint32_t levels, bits_per_level;
    VfioHostWindow hw;
    int r = -EINVAL;

    if (!shift) {
        error_setg(errp, "no host IOMMU page size fits %u-bit guest TCEs (host sizes 0x%" PRIx64
                   ")", w->page_shift, c->pgsizes);
        return FALSE;
    }
    /*
     * Levels: each level of the host table is made of pages of 2^shift
     * bytes holding 2^(shift - 3) entries; start with as few as hold the
     * window and add one if the kernel cannot find contiguous memory.
     */
    entries = size >> shift;
    bits_per_level = shift - 3;
    levels = MAX(1, (g_bit_storage(entries - 1) + bits_per_level - 1) / bits_per_level);
    for (; levels <= SPAPR_TCE_MAX_LEVELS; levels++) {
        create.page_shift = shift;
        create.window_size = size;
        create.levels = levels;
        r = vfio_ioctl(c->host, c->fd, VFIO_IOMMU_SPAPR_TCE_CREATE, &create);
        trace_vfio_spapr_create_window(size, shift, levels, create.start_addr, r);
        if (r != -ENOMEM) {
            break;
        }
    }
    if (r < 0) {
        error_setg(errp, "VFIO_IOMMU_SPAPR_TCE_CREATE of a 0x%" PRIx64 " window with 2^%u pages: "
                   "%s", size, shift, g_strerror(-r));
        return FALSE;
    }
    /*
     * The default window must stay where the device tree put it; a DDW is
     * wherever the host can put it (PowerNV: 0 for the first window, the
     * bypass base 1 << 59 for the second, matching QEMU's dma64_win_addr).
     */
    if (create.start_addr != *bus_offset && !w->ddw) {
        struct vfio_iommu_spapr_tce_remove rm = { .argsz = sizeof(rm), .start_addr = create.start_addr };
        vfio_ioctl(c->host, c->fd, VFIO_IOMMU_SPAPR_TCE_REMOVE, &rm);
        error_setg(errp, "the host placed the window at 0x%" PRIx64 " but the guest's default "
                   "window is at 0x%" PRIx64, (uint64_t)create.start_addr, *bus_offset);
        return FALSE;
    }
    /* the host decides where a dynamic window lives; the guest is told that address */
    *bus_offset = create.start_addr;
    hw = (VfioHostWindow){ create.start_addr, size, shift, w->num };
    g_array_append_val(c->host_windows, hw);
    return TRUE;
}

static void spapr_window_del(VfioContainer *c, SpaprTceWindow *w)
{
    for (guint i = 0; i < c->host_windows->len; i++) {
        VfioHostWindow *hw = &g_array_index(c->host_windows, VfioHostWindow, i);
        if (hw->guest_num == w->num) {
            struct vfio_iommu_spapr_tce_remove rm = { .argsz = sizeof(rm), .start_addr = hw->start };
            int r = vfio_ioctl(c->host, c->fd, VFIO_IOMMU_SPAPR_TCE_REMOVE, &rm);
            trace_vfio_spapr_remove_window(hw->start, r);
            g_array_remove_index(c->host_windows, i);
            return;
        }
    }
}

static uint32_t window_shift_of(VfioContainer *c, uint64_t iova)
{
    for (guint i = 0; i < c->host_windows->len; i++) {
        VfioHostWindow *hw = &g_array_index(c->host_windows, VfioHostWindow, i);
        if (iova >= hw->start && iova - hw->start < hw->size) {
            return hw->page_shift;
        }
    }
    return 12;
}

static int spapr_dma_map(VfioContainer *c, uint64_t iova, uint64_t size, void *vaddr,
                         uint32_t perm)
{
    int r = vfio_container_map_dma(c, iova, size, vaddr, perm);

    if (r == 0) {
        /* host TCEs: the kernel replaces existing ones, counted once */
        c->nr_mappings += size >> window_shift_of(c, iova);
    }
    return r;
}

static int spapr_dma_unmap(VfioContainer *c, uint64_t iova, uint64_t size)
{
    int r = vfio_container_unmap_dma(c, iova, size);

    if (r == 0) {
        uint64_t n = size >> window_shift_of(c, iova);
        c->nr_mappings -= MIN(n, c->nr_mappings);
    }
    return r;
}

static void spapr_release(VfioContainer *c)
{
    while (c->host_windows->len) {
        VfioHostWindow *hw = &g_array_index(c->host_windows, VfioHostWindow, 0);
        struct vfio_iommu_spapr_tce_remove rm = { .argsz = sizeof(rm), .start_addr = hw->start };
        vfio_ioctl(c->host, c->fd, VFIO_IOMMU_SPAPR_TCE_REMOVE, &rm);
        g_array_remove_index(c->host_windows, 0);
    }
    if (c->ram_registered) {
        struct vfio_iommu_spapr_register_memory reg = {
            .argsz = sizeof(reg), .vaddr = (uintptr_t)c->ram, .size = c->ram_size,
        };
        vfio_ioctl(c->host, c->fd, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, &reg);
        c->ram_registered = false;
    }
    c->nr_mappings = 0;
}

const VfioIommuBackendOps vfio_iommu_spapr_tce_v2_ops = {
    .name = "spapr-tce-v2",
    .iommu_type = VFIO_SPAPR_TCE_v2_IOMMU,
    .setup = spapr_setup,
    .window_add = spapr_window_add,
    .window_del = spapr_window_del,
    .dma_map = spapr_dma_map,
    .dma_unmap = spapr_dma_unmap,
    .release = spapr_release,
};
