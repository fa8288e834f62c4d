/*
 * Type1 v2 backend (x86 and other hosts): the IOVA is the guest's bus
 * address.  Each guest run becomes one MAP_DMA, and each unmapped run one
 * UNMAP_DMA, however many mappings it covers (v2 removes every mapping
 * inside the range).  Type1 v2 refuses to unmap part of a mapping, so the
 * mappings made are remembered and a mapping across either end of an
 * unmapped run is removed whole and what lies outside it mapped back.
 * Windows must lie inside the host's usable IOVA ranges; a DDW is placed
 * there (the guest learns its start from ibm,create-pe-dma-window).
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "hw/ppc/spapr.h"
#include "hw/ppc/spapr_pci.h"
#include "hw/vfio/vfio-container.h"
#include "trace-events-all.h"

#include <linux/vfio.h>

typedef struct VfioMapping {
    uint64_t iova;
    uint64_t size;
    void *vaddr;
    uint32_t perm;
} VfioMapping;

static gint cmp_iova(gconstpointer a, gconstpointer b, gpointer unused)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

static void parse_caps(VfioContainer *c, struct vfio_iommu_type1_info *info)
{
    uint32_t off = info->cap_offset;

    while (off && off + sizeof(struct vfio_info_cap_header) <= info->argsz) {
        struct vfio_info_cap_header *hdr = (void *)((uint8_t *)info + off);

        if (hdr->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
            struct vfio_iommu_type1_info_cap_iova_range *cap = (void *)hdr;
            for (uint32_t i = 0; i < cap->nr_iovas; i++) {
                VfioIovaRange r = { cap->iova_ranges[i].start, cap->iova_ranges[i].end };
                g_array_append_val(c->iova_ranges, r);
            }
        }
        if (hdr->next <= off) {
            break;      /* a chain must go forward */
        }
        off = hdr->next;
    }
}

static gboolean type1_setup(VfioContainer *c, GError **errp)
{
    g_autofree struct vfio_iommu_type1_info *info = g_malloc0(sizeof(*info));
    int r;

    info->argsz = sizeof(*info);
    r = vfio_ioctl(c->host, c->fd, VFIO_IOMMU_GET_INFO, info);
    if (r >= 0 && info->argsz > sizeof(*info)) {
        /* capabilities follow: ask again with room for them */
        uint32_t need = info->argsz;
        info = g_realloc(info, need);
        memset(info, 0, need);
        info->argsz = need;
        r = vfio_ioctl(c->host, c->fd, VFIO_IOMMU_GET_INFO, info);
    }
    if (r < 0) {
        error_setg(errp, "%s: group %d: VFIO_IOMMU_GET_INFO: %s", c->owner, c->group->groupid,
                   g_strerror(-r));
        return FALSE;
    }
    c->pgsizes = (info->flags & VFIO_IOMMU_INFO_PGSIZES) ? info->iova_pgsizes : 4096;
    if (info->flags & VFIO_IOMMU_INFO_CAPS) {
        parse_caps(c, info);
    }
    if (!c->iova_ranges->len) {
        VfioIovaRange all = { 0, UINT64_MAX };
        g_array_append_val(c->iova_ranges, all);
    }
    c->mappings = g_tree_new_full(cmp_iova, NULL, NULL, g_free);
    return TRUE;
}

static bool range_usable(VfioContainer *c, uint64_t start, uint64_t size)
{
    for (guint i = 0; i < c->iova_ranges->len; i++) {
        VfioIovaRange *r = &g_array_index(c->iova_ranges, VfioIovaRange, i);
        if (start >= r->start && size && start + size - 1 >= start &&
            start + size - 1 <= r->end) {
            return true;
        }
    }
    return false;
}

static gboolean type1_window_add(VfioContainer *c, SpaprTceWindow *w, uint64_t *bus_offset,
                                 GError **errp)
{
    uint64_t size = spapr_tce_window_size(w);
    SpaprTceWindow *other = &w->phb->windows[!w->num];
    uint64_t align = MIN(size, 1ull << 30);
    uint64_t floor = 1ull << 32;    /* keep a DDW above the 32-bit window */

    if (range_usable(c, *bus_offset, size)) {
        return TRUE;
    }
    if (!w->ddw) {
        error_setg(errp, "the 32-bit DMA window 0x%" PRIx64 "+0x%" PRIx64 " is not in the "
                   "host's usable IOVA ranges", *bus_offset, size);
        return FALSE;
    }
    if (other->enabled) {
        floor = MAX(floor, other->bus_offset + spapr_tce_window_size(other));
    }
    for (guint i = 0; i < c->iova_ranges->len; i++) {
        VfioIovaRange *r = &g_array_index(c->iova_ranges, VfioIovaRange, i);
        uint64_t start = ROUND_UP(MAX(r->start, floor), align);
        if (start >= MAX(r->start, floor) && range_usable(c, start, size)) {
            *bus_offset = start;
            return TRUE;
        }
    }
    error_setg(errp, "no room for a 0x%" PRIx64 " DMA window in the host's usable IOVA ranges",
               size);
    return FALSE;
}

static void type1_window_del(VfioContainer *c, SpaprTceWindow *w)
{
    /* nothing on the host: its mappings were unmapped before */
}

static int do_map(VfioContainer *c, uint64_t iova, uint64_t size, void *vaddr, uint32_t perm)
{
    int r = vfio_container_map_dma(c, iova, size, vaddr, perm);
    VfioMapping *m;

    if (r < 0) {
        return r;
    }
    m = g_new(VfioMapping, 1);
    *m = (VfioMapping){ iova, size, vaddr, perm };
    g_tree_insert(c->mappings, &m->iova, m);
    c->nr_mappings++;
    return 0;
}

/* One UNMAP_DMA of [start, end), which splits no mapping: every mapping inside goes. */
static int do_unmap(VfioContainer *c, uint64_t start, uint64_t end)
{
    int r = vfio_container_unmap_dma(c, start, end - start);
    GTreeNode *n;

    if (r < 0) {
        return r;
    }
    for (n = g_tree_lower_bound(c->mappings, &start); n;) {
        VfioMapping *m = g_tree_node_value(n);
        GTreeNode *next = g_tree_node_next(n);
        uint64_t next_iova = next ? ((VfioMapping *)g_tree_node_value(next))->iova : end;

        if (m->iova >= end) {
            break;
        }
        c->nr_mappings--;
        g_tree_remove(c->mappings, &m->iova);     /* frees m */
        n = next_iova < end ? g_tree_lookup_node(c->mappings, &next_iova) : NULL;
    }
    return 0;
}

/* The mapping containing @iova, or NULL. */
static VfioMapping *mapping_at(VfioContainer *c, uint64_t iova)
{
    GTreeNode *n = g_tree_upper_bound(c->mappings, &iova);     /* first key > iova */
    VfioMapping *m;

    n = n ? g_tree_node_previous(n) : g_tree_node_last(c->mappings);
    if (!n) {
        return NULL;
    }
    m = g_tree_node_value(n);
    return iova - m->iova < m->size ? m : NULL;
}

static int type1_dma_map(VfioContainer *c, uint64_t iova, uint64_t size, void *vaddr,
                         uint32_t perm)
{
    /* a guest TCE replacing a live one: the old mapping goes first */
    if (mapping_at(c, iova) || mapping_at(c, iova + size - 1)) {
        int r = c->ops->dma_unmap(c, iova, size);
        if (r < 0) {
            return r;
        }
    }
    return do_map(c, iova, size, vaddr, perm);
}

static int type1_dma_unmap(VfioContainer *c, uint64_t iova, uint64_t size)
{
    uint64_t end = iova + size, lo = iova, hi = end;
    GTreeNode *n = g_tree_upper_bound(c->mappings, &iova);     /* first key > iova */
    GTreeNode *p = n ? g_tree_node_previous(n) : g_tree_node_last(c->mappings);
    VfioMapping *m = p ? g_tree_node_value(p) : NULL, left = { 0 }, right = { 0 };
    int r;

    /* a mapping across either end goes whole: the range grows to cover it */
    if (m && iova - m->iova < m->size) {
        if (m->iova < iova) {
            left = *m;
            lo = m->iova;
        }
    } else {
        m = n ? g_tree_node_value(n) : NULL;    /* none holds iova: the next one */
        if (!m || m->iova >= end) {
            return 0;           /* nothing mapped there */
        }
    }
    if (end - 1 - m->iova >= m->size) {
        m = mapping_at(c, end - 1);             /* not the first mapping */
    }
    if (m && m->iova + m->size > end) {
        right = *m;
        hi = m->iova + m->size;
    }
    r = do_unmap(c, lo, hi);
    if (r < 0) {
        return r;
    }
    /* map back the parts of those end mappings outside [iova, end) */
    if (left.size) {
        r = do_map(c, left.iova, iova - left.iova, left.vaddr, left.perm);
        if (r < 0) {
            return r;
        }
    }
    if (right.size) {
        r = do_map(c, end, right.iova + right.size - end,
                   (uint8_t *)right.vaddr + (end - right.iova), right.perm);
        if (r < 0) {
            return r;
        }
    }
    return 0;
}

static void type1_release(VfioContainer *c)
{
    if (!c->mappings) {
        return;
    }
    while (g_tree_nnodes(c->mappings)) {
        VfioMapping *m = g_tree_node_value(g_tree_node_first(c->mappings));
        if (do_unmap(c, m->iova, m->iova + m->size) < 0) {
            g_tree_remove(c->mappings, &m->iova);   /* closing the container drops it anyway */
        }
    }
    g_clear_pointer(&c->mappings, g_tree_destroy);
    c->nr_mappings = 0;
}

const VfioIommuBackendOps vfio_iommu_type1_ops = {
    .name = "type1",
    .iommu_type = VFIO_TYPE1v2_IOMMU,
    .setup = type1_setup,
    .window_add = type1_window_add,
    .window_del = type1_window_del,
    .dma_map = type1_dma_map,
    .dma_unmap = type1_dma_unmap,
    .release = type1_release,
};
