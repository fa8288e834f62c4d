/*
 * The Type1 IOMMU driver, as drivers/vfio/vfio_iommu_type1.c behaves on
 * an x86 host: one IOVA space per container, mappings tracked whole (v2
 * refuses an unmap that would split one, any version refuses an overlap
 * with EEXIST), pages pinned and charged to locked memory at MAP time, at
 * most dma_entry_limit mappings, IOVAs only inside the reported ranges.
 *
 * GET_INFO reports the configured page sizes (4K|2M|1G by default) and
 * a capability chain: IOVA_RANGE (the aperture minus reserved regions,
 * fake-config.c), then DMA_AVAIL.  MAP and UNMAP take only what is
 * aligned to the smallest page size, as vfio_dma_do_map() and
 * vfio_dma_do_unmap() check: a host with 64K IOMMU pages refuses a 4K
 * mapping with EINVAL.  With VFIO_FAKE_TYPE1_NO_CAPS=1 GET_INFO answers
 * as before Linux 5.4: the page sizes only, no capability chain (the
 * IOVA ranges came in 5.4, DMA_AVAIL in 5.10); MAP still keeps to the
 * ranges, where such a kernel would map into a reserved region.
 * The kernel also reports a migration capability; the fake has no dirty
 * tracking and leaves it out.  EEH is sPAPR only: VFIO_EEH_PE_OP fails
 * with ENOTTY here, as on x86.
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <string.h>
#include "fake.h"

/* The IOMMU's smallest page: what every IOVA, vaddr and size is made of */
static uint64_t min_page(void)
{
    return fake->type1_pgsizes & -fake->type1_pgsizes;
}

typedef struct Type1Dma {
    uint64_t iova;
    uint64_t size;
    uint64_t vaddr;
    unsigned perm;
    uint64_t locked_pages;
} Type1Dma;

typedef struct Type1Iommu {
    bool v2;
    GTree *dmas;               /* Type1Dma * (key and value), by iova */
    uint32_t dma_avail;
} Type1Iommu;

static Type1Iommu *type1_of(FakeContainer *c)
{
    return c->iommu_data;
}

static gint cmp_iova(gconstpointer a, gconstpointer b, gpointer unused)
{
    const Type1Dma *x = a, *y = b;

    return x->iova < y->iova ? -1 : x->iova > y->iova;
}

/*
 * g_tree_search() callback: where the mapping @key lies relative to the
 * range @opaque (-1: the range is below it, 1: above, 0: they overlap).
 * Mappings never overlap each other, so the search is a plain binary one.
 */
static gint dma_vs_range(gconstpointer key, gconstpointer opaque)
{
    const Type1Dma *d = key;
    const FakeRange *r = opaque;

    if (r->last < d->iova) {
        return -1;
    }
    return r->start > d->iova + d->size - 1 ? 1 : 0;
}

/* The same for a mapping that starts inside the range. */
static gint dma_start_vs_range(gconstpointer key, gconstpointer opaque)
{
    const Type1Dma *d = key;
    const FakeRange *r = opaque;

    if (r->last < d->iova) {
        return -1;
    }
    return r->start > d->iova ? 1 : 0;
}

/* A mapping overlapping [first, last], or NULL if none. */
static Type1Dma *find_dma(Type1Iommu *t, uint64_t first, uint64_t last)
{
    FakeRange r = { .start = first, .last = last };

    return g_tree_search(t->dmas, dma_vs_range, &r);
}

static bool iova_valid(uint64_t first, uint64_t last)
{
    for (guint i = 0; i < fake->type1_ranges->len; i++) {
        FakeRange *r = &g_array_index(fake->type1_ranges, FakeRange, i);
        if (first >= r->start && last <= r->last) {
            return true;
        }
    }
    return false;
}

static uint64_t pinned_pages(uint64_t vaddr, uint64_t size)
{
    uint64_t first = vaddr & ~(fake->page_size - 1);
    uint64_t end = FAKE_ROUND_UP(vaddr + size, fake->page_size);

    return (end - first) >> fake->page_shift;
}

static void dma_remove(Type1Iommu *t, Type1Dma *d)
{
    fake_account(d->locked_pages, false);
    t->dma_avail++;
    g_tree_remove(t->dmas, d);         /* frees it */
}

/* ioctls ----------------------------------------------------------------- */

static int type1_get_info(FakeContainer *c,
                          struct vfio_iommu_type1_info *info)
{
    uint32_t minsz = offsetofend(struct vfio_iommu_type1_info, iova_pgsizes);
    GArray *ranges = fake->type1_ranges;
    /* each capability padded to 8 bytes, as vfio_info_cap_add() does */
    uint32_t range_sz = FAKE_ROUND_UP(
        sizeof(struct vfio_iommu_type1_info_cap_iova_range) +
        ranges->len * sizeof(struct vfio_iova_range), 8);
    uint32_t avail_sz = FAKE_ROUND_UP(
        sizeof(struct vfio_iommu_type1_info_dma_avail), 8);
    struct vfio_iommu_type1_info out = { 0 };
    struct vfio_iommu_type1_info_cap_iova_range *range;
    struct vfio_iommu_type1_info_dma_avail *avail;
    uint8_t *caps;

    if (!info) {
        return -EFAULT;
    }
    if (info->argsz < minsz) {
        return -EINVAL;
    }
    out.argsz = info->argsz;
    out.flags = VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS;
    out.iova_pgsizes = fake->type1_pgsizes;
    if (fake->type1_no_caps) {
        /* the old kernel copies back only what it knows of */
        out.flags = VFIO_IOMMU_INFO_PGSIZES;
        memcpy(info, &out, minsz);
        return 0;
    }
    if (info->argsz < sizeof(out) + range_sz + avail_sz) {
        /* too small for the chain: say how much is needed */
        out.argsz = sizeof(out) + range_sz + avail_sz;
        memcpy(info, &out, MIN(info->argsz, sizeof(out)));
        return 0;
    }
    caps = (uint8_t *)info + sizeof(out);
    memset(caps, 0, range_sz + avail_sz);
    range = (void *)caps;
    range->header.id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE;
    range->header.version = 1;
    range->header.next = sizeof(out) + range_sz;
    range->nr_iovas = ranges->len;
    for (guint i = 0; i < ranges->len; i++) {
        FakeRange *r = &g_array_index(ranges, FakeRange, i);
        range->iova_ranges[i].start = r->start;
        range->iova_ranges[i].end = r->last;
    }
    avail = (void *)(caps + range_sz);
    avail->header.id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL;
    avail->header.version = 1;
    avail->header.next = 0;
    avail->avail = type1_of(c)->dma_avail;
    out.cap_offset = sizeof(out);
    memcpy(info, &out, sizeof(out));
    return 0;
}

static int type1_map(FakeContainer *c, struct vfio_iommu_type1_dma_map *map)
{
    Type1Iommu *t = type1_of(c);
    uint32_t minsz = offsetofend(struct vfio_iommu_type1_dma_map, size);
    uint32_t mask = FAKE_PERM_RW | VFIO_DMA_MAP_FLAG_VADDR;
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
    if ((map->flags & VFIO_DMA_MAP_FLAG_VADDR) ||
        !(map->flags & FAKE_PERM_RW)) {
        return -EINVAL;
    }
    if (!map->size ||
        ((map->size | map->iova | map->vaddr) & (min_page() - 1))) {
        return -EINVAL;
    }
    if (map->iova + map->size - 1 < map->iova ||
        map->vaddr + map->size - 1 < map->vaddr) {
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
    /* vfio_pin_pages_remote(): an unmapped page faults first */
    if (!fake_range_mapped(map->vaddr, map->size)) {
        return -EFAULT;
    }
    pages = pinned_pages(map->vaddr, map->size);
    ret = fake_account(pages, true);
    if (ret < 0) {
        return ret;
    }
    d = g_new0(Type1Dma, 1);
    d->iova = map->iova;
    d->size = map->size;
    d->vaddr = map->vaddr;
    d->perm = map->flags & FAKE_PERM_RW;
    d->locked_pages = pages;
    g_tree_insert(t->dmas, d, d);
    t->dma_avail--;
    return 0;
}

static int type1_unmap(FakeContainer *c,
                       struct vfio_iommu_type1_dma_unmap *unmap)
{
    Type1Iommu *t = type1_of(c);
    uint32_t minsz = offsetofend(struct vfio_iommu_type1_dma_unmap, size);
    uint32_t known = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP |
                     VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_VADDR;
    uint64_t first, last, unmapped = 0;
    FakeRange range;
    Type1Dma *d;
    bool all;

    if (!unmap) {
        return -EFAULT;
    }
    if (unmap->argsz < minsz || (unmap->flags & ~known)) {
        return -EINVAL;
    }
    /* no dirty tracking, no VADDR invalidation */
    if (unmap->flags & (VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP |
                        VFIO_DMA_UNMAP_FLAG_VADDR)) {
        return -EINVAL;
    }
    all = unmap->flags & VFIO_DMA_UNMAP_FLAG_ALL;
    if (unmap->iova & (min_page() - 1)) {
        return -EINVAL;
    }
    if (all) {
        if (unmap->iova || unmap->size) {
            return -EINVAL;
        }
        first = 0;
        last = UINT64_MAX;
    } else {
        if (!unmap->size || (unmap->size & (min_page() - 1)) ||
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
     * v1 refuses, without an error, a range that starts inside a mapping
     * (v2 refused it above); both remove whole every mapping that starts
     * inside the range, a v1 one possibly running past its end.
     */
    d = find_dma(t, first, first);
    if (d && d->iova < first) {
        unmap->size = 0;
        return 0;
    }
    range.start = first;
    range.last = last;
    while ((d = g_tree_search(t->dmas, dma_start_vs_range, &range))) {
        unmapped += d->size;
        dma_remove(t, d);
    }
    unmap->size = unmapped;
    return 0;
}

static int type1_ioctl(FakeContainer *c, unsigned long req, void *arg)
{
    switch (req) {
    case VFIO_IOMMU_GET_INFO:
        return type1_get_info(c, arg);
    case VFIO_IOMMU_MAP_DMA:
        return type1_map(c, arg);
    case VFIO_IOMMU_UNMAP_DMA:
        return type1_unmap(c, arg);
    default:
        return -ENOTTY;         /* EEH_PE_OP and the sPAPR ioctls too */
    }
}

/* Driver hooks ----------------------------------------------------------- */

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

static void *type1_open(FakeContainer *c, unsigned long type, int *err)
{
    Type1Iommu *t;

    if (type != VFIO_TYPE1_IOMMU && type != VFIO_TYPE1v2_IOMMU) {
        *err = EINVAL;
        return NULL;
    }
    t = g_new0(Type1Iommu, 1);
    t->v2 = type == VFIO_TYPE1v2_IOMMU;
    t->dmas = g_tree_new_full(cmp_iova, NULL, NULL, g_free);
    t->dma_avail = fake->dma_entry_limit;
    return t;
}

static int type1_attach_group(FakeContainer *c, FakeGroup *g)
{
    return 0;                   /* every group shares the container's domain */
}

static void type1_detach_group(FakeContainer *c, FakeGroup *g)
{
}

static gboolean collect_one(gpointer key, gpointer value, gpointer opaque)
{
    g_ptr_array_add(opaque, value);
    return FALSE;
}

static void type1_release(FakeContainer *c)
{
    Type1Iommu *t = type1_of(c);
    g_autoptr(GPtrArray) all = g_ptr_array_new();

    /* collected first: a tree cannot change while it is walked */
    g_tree_foreach(t->dmas, collect_one, all);
    for (guint i = 0; i < all->len; i++) {
        dma_remove(t, g_ptr_array_index(all, i));
    }
    g_tree_unref(t->dmas);
    g_free(t);
}

static bool type1_translate(FakeContainer *c, uint64_t iova, unsigned perm,
                            uint64_t *len, uint8_t **hva)
{
    Type1Dma *d = find_dma(type1_of(c), iova, iova);

    if (!d || (d->perm & perm) != perm) {
        return false;
    }
    *hva = (uint8_t *)(uintptr_t)(d->vaddr + (iova - d->iova));
    *len = MIN(*len, d->iova + d->size - iova);
    return true;
}

static gboolean state_one(gpointer key, gpointer value, gpointer opaque)
{
    Type1Dma *d = value;
    GString *out = opaque;

    g_string_append_printf(out, "%s{\"iova\":%" G_GUINT64_FORMAT
                           ",\"size\":%" G_GUINT64_FORMAT
                           ",\"vaddr\":%" G_GUINT64_FORMAT
                           ",\"perm\":\"%s%s\"}",
                           out->str[out->len - 1] == '[' ? "" : ",",
                           d->iova, d->size, d->vaddr,
                           d->perm & FAKE_PERM_READ ? "r" : "",
                           d->perm & FAKE_PERM_WRITE ? "w" : "");
    return FALSE;
}

static void type1_state(FakeContainer *c, GString *out)
{
    Type1Iommu *t = type1_of(c);

    g_string_append_printf(out, ",\"dma-avail\":%u,\"mappings\":[",
                           t->dma_avail);
    g_tree_foreach(t->dmas, state_one, out);
    g_string_append_c(out, ']');
}

static const char *type1_type_name(FakeContainer *c)
{
    return type1_of(c)->v2 ? "type1v2" : "type1";
}

const FakeIommuOps fake_type1_ops = {
    .name = "type1",
    .check_extension = type1_check_extension,
    .open = type1_open,
    .attach_group = type1_attach_group,
    .detach_group = type1_detach_group,
    .release = type1_release,
    .ioctl = type1_ioctl,
    .translate = type1_translate,
    .state = type1_state,
    .type_name = type1_type_name,
};
