/*
 * vfio-sim Type1 IOMMU driver, as drivers/vfio/vfio_iommu_type1.c behaves
 * on an x86 host: one IOVA space per container, mappings tracked whole
 * (v2 refuses an unmap that would split one), pages pinned and charged to
 * locked memory at MAP time, at most dma-entry-limit mappings.
 *
 * GET_INFO reports 4K|2M|1G pages and a capability chain: DMA_AVAIL, then
 * IOVA_RANGE with the x86 ranges around the interrupt window
 * 0xfee00000-0xfeefffff.  The kernel also reports a migration capability
 * first; the simulation has no dirty tracking and leaves it out.
 */
#include "qemu/osdep.h"
#include "sim-internal.h"
#include "trace-events-all.h"

#define TYPE1_PGSIZES   ((1ull << 12) | (1ull << 21) | (1ull << 30))
#define TYPE1_MIN_PAGE  4096ull
#define TYPE1_PERM      (SIM_PERM_READ | SIM_PERM_WRITE)

static const struct vfio_iova_range type1_ranges[] = {
    { .start = 0, .end = 0xfedfffffull },
    { .start = 0xfef00000ull, .end = 0xffffffffffffull },
};

typedef struct Type1Dma {
    uint64_t iova;
    uint64_t size;
    uint64_t vaddr;
    unsigned perm;
    uint64_t locked_pages;
} Type1Dma;

typedef struct Type1Iommu {
    bool v2;
    GTree *dmas;               /* iova -> Type1Dma * */
    uint32_t dma_avail;
} Type1Iommu;

static Type1Iommu *type1_of(SimContainer *c)
{
    return c->iommu_data;
}

static gint cmp_iova(gconstpointer a, gconstpointer b, gpointer unused)
{
    gsize x = GPOINTER_TO_SIZE(a), y = GPOINTER_TO_SIZE(b);

    return x < y ? -1 : x > y;
}

/* The mapping with the highest start <= @last, or NULL. */
static Type1Dma *last_starting_before(Type1Iommu *t, uint64_t last)
{
    GTreeNode *n = g_tree_upper_bound(t->dmas, GSIZE_TO_POINTER(last));

    n = n ? g_tree_node_previous(n) : g_tree_node_last(t->dmas);
    return n ? g_tree_node_value(n) : NULL;
}

/*
 * vfio_find_dma(): a mapping overlapping [first, last].  Mappings never
 * overlap, so the last one starting at or before @last is the only
 * candidate.
 */
static Type1Dma *find_dma(Type1Iommu *t, uint64_t first, uint64_t last)
{
    Type1Dma *d = last_starting_before(t, last);

    return d && d->iova + d->size - 1 >= first ? d : NULL;
}

static bool iova_valid(uint64_t first, uint64_t last)
{
    for (guint i = 0; i < G_N_ELEMENTS(type1_ranges); i++) {
        if (first >= type1_ranges[i].start && last <= type1_ranges[i].end) {
            return true;
        }
    }
    return false;
}

/* Locked pages of [vaddr, vaddr + size): every host page it touches. */
static uint64_t pinned_pages(VfioSim *sim, uint64_t vaddr, uint64_t size)
{
    uint64_t first = vaddr & ~(sim->page_size - 1);
    uint64_t end = SIM_ROUND_UP(vaddr + size, sim->page_size);

    return (end - first) >> sim->page_shift;
}

static void dma_remove(SimContainer *c, Type1Dma *d)
{
    Type1Iommu *t = type1_of(c);

    sim_account(c->sim, d->locked_pages, false);
    t->dma_avail++;
    g_tree_remove(t->dmas, GSIZE_TO_POINTER(d->iova));
}

/* ioctls ---------------------------------------------------------------------- */

static int type1_get_info(SimContainer *c, struct vfio_iommu_type1_info *info)
{
    Type1Iommu *t = type1_of(c);
    uint32_t minsz = offsetofend(struct vfio_iommu_type1_info, iova_pgsizes);
    struct vfio_iommu_type1_info out = { 0 };
    /* capabilities, each padded to 8 bytes as vfio_info_cap_add() does */
    uint32_t avail_sz = SIM_ROUND_UP(sizeof(struct vfio_iommu_type1_info_dma_avail), 8);
    uint32_t range_sz = SIM_ROUND_UP(sizeof(struct vfio_iommu_type1_info_cap_iova_range) +
                                     sizeof(type1_ranges), 8);
    uint32_t caps_sz = avail_sz + range_sz;
    g_autofree uint8_t *caps = g_malloc0(caps_sz);
    struct vfio_iommu_type1_info_dma_avail *avail = (void *)caps;
    struct vfio_iommu_type1_info_cap_iova_range *range = (void *)(caps + avail_sz);

    if (!info) {
        return -EFAULT;
    }
    if (info->argsz < minsz) {
        return -EINVAL;
    }
    out.argsz = info->argsz;
    out.flags = VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS;
    out.iova_pgsizes = TYPE1_PGSIZES;
    if (info->argsz < sizeof(out) + caps_sz) {
        /* too small for the chain: say how much is needed, write no capability */
        out.argsz = sizeof(out) + caps_sz;
    } else {
        avail->header.id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL;
        avail->header.version = 1;
        avail->header.next = sizeof(out) + avail_sz;
        avail->avail = t->dma_avail;
        range->header.id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE;
        range->header.version = 1;
        range->header.next = 0;
        range->nr_iovas = G_N_ELEMENTS(type1_ranges);
        memcpy(range->iova_ranges, type1_ranges, sizeof(type1_ranges));
        memcpy((uint8_t *)info + sizeof(out), caps, caps_sz);
        out.cap_offset = sizeof(out);
    }
    memcpy(info, &out, MIN(info->argsz, sizeof(out)));
    return 0;
}

static int type1_map(SimContainer *c, struct vfio_iommu_type1_dma_map *map)
{
    Type1Iommu *t = type1_of(c);
    VfioSim *sim = c->sim;
    uint32_t minsz = offsetofend(struct vfio_iommu_type1_dma_map, size);
    uint32_t mask = TYPE1_PERM | VFIO_DMA_MAP_FLAG_VADDR;
    uint64_t pages;
    Type1Dma *d;
    int ret;

    if (!map) {
        return -EFAULT;
    }
    if (map->argsz < minsz || (map->flags & ~mask)) {
        return -EINVAL;
    }
    /* VFIO_UPDATE_VADDR is not advertised: a VADDR map is refused */
    if ((map->flags & VFIO_DMA_MAP_FLAG_VADDR) || !(map->flags & TYPE1_PERM)) {
        return -EINVAL;
    }
    if (!map->size || ((map->size | map->iova | map->vaddr) & (TYPE1_MIN_PAGE - 1))) {
        return -EINVAL;
    }
    if (map->iova + map->size - 1 < map->iova || map->vaddr + map->size - 1 < map->vaddr) {
        return -EINVAL;
    }
    if (find_dma(t, map->iova, map->iova + map->size - 1)) {
        return -EEXIST;
    }
    if (!t->dma_avail) {
        return -ENOSPC;
    }
    if (!iova_valid(map->iova, map->iova + map->size - 1)) {
        return -EINVAL;
    }
    /* vfio_pin_pages_remote(): an unmapped page faults before the limit is checked */
    if (!sim_range_mapped(map->vaddr, map->size)) {
        return -EFAULT;
    }
    pages = pinned_pages(sim, map->vaddr, map->size);
    ret = sim_account(sim, pages, true);
    if (ret < 0) {
        return ret;
    }
    d = g_new0(Type1Dma, 1);
    d->iova = map->iova;
    d->size = map->size;
    d->vaddr = map->vaddr;
    d->perm = map->flags & TYPE1_PERM;
    d->locked_pages = pages;
    g_tree_insert(t->dmas, GSIZE_TO_POINTER(d->iova), d);
    t->dma_avail--;
    trace_vfio_sim_type1_map(sim->desc, map->iova, map->size, map->vaddr);
    return 0;
}

static int type1_unmap(SimContainer *c, struct vfio_iommu_type1_dma_unmap *unmap)
{
    Type1Iommu *t = type1_of(c);
    uint32_t minsz = offsetofend(struct vfio_iommu_type1_dma_unmap, size);
    uint32_t known = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP | VFIO_DMA_UNMAP_FLAG_ALL |
                     VFIO_DMA_UNMAP_FLAG_VADDR;
    bool all;
    uint64_t first, last, unmapped = 0;
    Type1Dma *d;

    if (!unmap) {
        return -EFAULT;
    }
    if (unmap->argsz < minsz || (unmap->flags & ~known)) {
        return -EINVAL;
    }
    /* no dirty tracking, no VADDR invalidation in the simulation */
    if (unmap->flags & (VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP | VFIO_DMA_UNMAP_FLAG_VADDR)) {
        return -EINVAL;
    }
    all = unmap->flags & VFIO_DMA_UNMAP_FLAG_ALL;
    if (unmap->iova & (TYPE1_MIN_PAGE - 1)) {
        return -EINVAL;
    }
    if (all) {
        if (unmap->iova || unmap->size) {
            return -EINVAL;
        }
        first = 0;
        last = UINT64_MAX;
    } else {
        if (!unmap->size || (unmap->size & (TYPE1_MIN_PAGE - 1)) ||
            unmap->iova + unmap->size - 1 < unmap->iova) {
            return -EINVAL;
        }
        first = unmap->iova;
        last = unmap->iova + unmap->size - 1;
    }
    /* v2: the range may not split a mapping at either end */
    if (t->v2 && !all) {
        d = find_dma(t, first, first);
        if (d && d->iova != first) {
            return -EINVAL;
        }
        d = find_dma(t, last, last);
        if (d && d->iova + d->size - 1 != last) {
            return -EINVAL;
        }
    }
    /*
     * From the first mapping overlapping the range.  v1 removes whole
     * mappings that start inside it and stops at one starting before it.
     */
    for (;;) {
        GTreeNode *n;

        d = find_dma(t, first, first);
        if (!d) {
            n = g_tree_lower_bound(t->dmas, GSIZE_TO_POINTER(first));
            d = n ? g_tree_node_value(n) : NULL;
        }
        if (!d || d->iova > last || (!t->v2 && d->iova < first)) {
            break;
        }
        unmapped += d->size;
        first = d->iova + d->size;
        dma_remove(c, d);
        if (!first) {
            break;              /* the mapping ended at the top of the address space */
        }
    }
    unmap->size = unmapped;
    trace_vfio_sim_type1_unmap(c->sim->desc, unmap->iova, unmapped);
    return 0;
}

static int type1_ioctl(SimContainer *c, unsigned long req, void *arg)
{
    switch (req) {
    case VFIO_IOMMU_GET_INFO:
        return type1_get_info(c, arg);
    case VFIO_IOMMU_MAP_DMA:
        return type1_map(c, arg);
    case VFIO_IOMMU_UNMAP_DMA:
        return type1_unmap(c, arg);
    default:
        return -ENOTTY;
    }
}

/* Driver hooks ---------------------------------------------------------------- */

static int type1_check_extension(unsigned long ext)
{
    switch (ext) {
    case VFIO_TYPE1_IOMMU:
    case VFIO_TYPE1v2_IOMMU:
    case VFIO_UNMAP_ALL:
        return 1;
    default:
        return 0;
    }
}

static void *type1_open(SimContainer *c, unsigned long type, int *err)
{
    Type1Iommu *t;

    if (type != VFIO_TYPE1_IOMMU && type != VFIO_TYPE1v2_IOMMU) {
        *err = EINVAL;
        return NULL;
    }
    t = g_new0(Type1Iommu, 1);
    t->v2 = type == VFIO_TYPE1v2_IOMMU;
    t->dmas = g_tree_new_full(cmp_iova, NULL, NULL, g_free);
    t->dma_avail = c->sim->dma_entry_limit;
    return t;
}

static int type1_attach_group(SimContainer *c, SimGroup *g)
{
    return 0;                   /* every group shares the container's domain */
}

static void type1_detach_group(SimContainer *c, SimGroup *g)
{
}

static void type1_release(SimContainer *c)
{
    Type1Iommu *t = type1_of(c);
    GTreeNode *n;

    while ((n = g_tree_node_first(t->dmas))) {
        dma_remove(c, g_tree_node_value(n));
    }
    g_tree_unref(t->dmas);
    g_free(t);
}

static bool type1_translate(SimContainer *c, uint64_t iova, unsigned perm, uint64_t *len,
                            uint8_t **hva)
{
    Type1Dma *d = find_dma(type1_of(c), iova, iova);

    if (!d || (d->perm & perm) != perm) {
        return false;
    }
    *hva = (uint8_t *)(uintptr_t)(d->vaddr + (iova - d->iova));
    *len = MIN(*len, d->iova + d->size - iova);
    return true;
}

static gboolean query_one(gpointer key, gpointer value, gpointer opaque)
{
    Type1Dma *d = value;
    JsonObject *o = json_object_new();

    json_object_set_int_member(o, "iova", d->iova);
    json_object_set_int_member(o, "size", d->size);
    json_object_set_string_member(o, "perm", d->perm == TYPE1_PERM ? "rw" :
                                  d->perm == SIM_PERM_READ ? "r" : "w");
    json_object_set_int_member(o, "vaddr", d->vaddr);
    json_object_set_int_member(o, "gpa", sim_hva_to_gpa(d->vaddr));
    json_array_add_object_element(opaque, o);
    return FALSE;
}

static void type1_query(SimContainer *c, JsonObject *o)
{
    Type1Iommu *t = type1_of(c);
    JsonArray *maps = json_array_new();

    g_tree_foreach(t->dmas, query_one, maps);
    json_object_set_int_member(o, "dma-avail", t->dma_avail);
    json_object_set_array_member(o, "mappings", maps);
}

static const char *type1_type_name(SimContainer *c)
{
    return type1_of(c)->v2 ? "type1v2" : "type1";
}

const SimIommuOps sim_type1_iommu_ops = {
    .check_extension = type1_check_extension,
    .open = type1_open,
    .attach_group = type1_attach_group,
    .detach_group = type1_detach_group,
    .release = type1_release,
    .ioctl = type1_ioctl,
    .translate = type1_translate,
    .query = type1_query,
    .type_name = type1_type_name,
};
