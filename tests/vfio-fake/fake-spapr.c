/*
 * The sPAPR TCE IOMMU driver, as drivers/vfio/vfio_iommu_spapr_tce.c
 * behaves on a PowerNV host: the window owner of a container, and EEH.
 *
 * A container owns up to two TCE tables ("windows"), programmed alike
 * into every group of the container.  Window #0 sits at bus address 0,
 * window #1 at 1 << 59: the platform picks the address, not the caller.
 * After the first group attaches, a 4 KiB-page default window of
 * dma32_size is pending: created at the first MAP/UNMAP/CREATE unless
 * TCE_REMOVE(0) cancels it first (QEMU's v2 setup does).
 *
 * v2 maps only preregistered memory (REGISTER_MEMORY pins and charges it
 * and enables the container); v1 needs VFIO_IOMMU_ENABLE, which charges
 * the whole 32-bit window up front.  Tables are charged too.
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <string.h>
#include "fake-spapr.h"

#define SPAPR_MAX_WINDOWS   2              /* IOMMU_TABLE_GROUP_MAX_TABLES */
#define SPAPR_PGSIZES       ((1ULL << 12) | (1ULL << 16) | (1ULL << 24))
#define SPAPR_BYPASS_BASE   (1ULL << 59)

typedef struct SpaprIommu {
    bool v2;
    bool mm_set;               /* tce_iommu_mm_set() happened */
    bool enabled;
    bool def_window_pending;
    unsigned ngroups;
    uint64_t v1_locked_pages;
    FakeTceTable *tables[SPAPR_MAX_WINDOWS];
    GPtrArray *prereg;         /* FakePrereg * this container registered */
} SpaprIommu;

static SpaprIommu *spapr_of(FakeContainer *c)
{
    return c->iommu_data;
}

/* Windows ---------------------------------------------------------------- */

static FakeTceTable *find_window(SpaprIommu *sp, uint64_t iova, int *num)
{
    for (int i = 0; i < SPAPR_MAX_WINDOWS; i++) {
        if (sp->tables[i] && fake_tce_table_contains(sp->tables[i], iova)) {
            if (num) {
                *num = i;
            }
            return sp->tables[i];
        }
    }
    return NULL;
}

/* tce_iommu_clear(): empty @pages entries from @entry. */
static void tce_clear(SpaprIommu *sp, FakeTceTable *t, uint64_t entry,
                      uint64_t pages)
{
    g_autoptr(GArray) used = fake_tce_used(t, entry, pages);

    for (guint i = 0; i < used->len; i++) {
        uint64_t old = fake_tce_xchg(t, g_array_index(used, uint64_t, i), 0);
        if (sp->v2) {
            uint64_t ua = old & ~fake_tce_page_mask(t);
            fake_prereg_unmapped(fake_prereg_lookup(ua, 1ULL << t->page_shift));
        }
    }
}

static int window_create(SpaprIommu *sp, unsigned page_shift,
                         uint64_t window_size, unsigned levels,
                         uint64_t *start)
{
    uint64_t bytes, pages;
    int num = -1, ret;

    for (int i = SPAPR_MAX_WINDOWS - 1; i >= 0; i--) {
        if (!sp->tables[i]) {
            num = i;
        }
    }
    if (num < 0) {
        return -ENOSPC;
    }
    if (page_shift >= 64 || !(SPAPR_PGSIZES & (1ULL << page_shift))) {
        return -EINVAL;
    }
    bytes = fake_tce_table_bytes(page_shift, window_size, levels);
    if (!bytes) {
        return -EINVAL;
    }
    /* charged before it is allocated, as tce_iommu_create_table() does */
    pages = bytes >> fake->page_shift;
    ret = fake_account(pages, true);
    if (ret < 0) {
        return ret;
    }
    if (!fake_tce_table_geometry_ok(page_shift, window_size, levels)) {
        fake_account(pages, false);
        return -EINVAL;
    }
    sp->tables[num] = fake_tce_table_new(num ? SPAPR_BYPASS_BASE : 0,
                                         page_shift, window_size, levels);
    sp->tables[num]->locked_pages = pages;
    *start = sp->tables[num]->bus_offset;
    return 0;
}

static void window_free(SpaprIommu *sp, int num)
{
    FakeTceTable *t = sp->tables[num];

    tce_clear(sp, t, t->offset, t->entries);
    fake_account(t->locked_pages, false);
    fake_tce_table_free(t);
    sp->tables[num] = NULL;
}

static int create_default_window(SpaprIommu *sp)
{
    uint64_t start;
    int ret;

    if (!sp->def_window_pending) {
        return 0;
    }
    ret = window_create(sp, 12, fake->dma32_size, 1, &start);
    if (!ret) {
        sp->def_window_pending = false;
    }
    return ret;
}

/* ioctls ----------------------------------------------------------------- */

static int spapr_get_info(SpaprIommu *sp,
                          struct vfio_iommu_spapr_tce_info *info)
{
    uint32_t minsz = offsetofend(struct vfio_iommu_spapr_tce_info,
                                 dma32_window_size);
    uint32_t ddwsz = offsetofend(struct vfio_iommu_spapr_tce_info, ddw);
    struct vfio_iommu_spapr_tce_info out = { 0 };

    if (!sp->ngroups) {
        return -ENXIO;
    }
    if (!info) {
        return -EFAULT;
    }
    if (info->argsz < minsz) {
        return -EINVAL;
    }
    out.argsz = info->argsz;
    out.dma32_window_start = 0;
    out.dma32_window_size = fake->dma32_size;
    if (sp->v2) {
        out.flags = VFIO_IOMMU_SPAPR_INFO_DDW;
        out.ddw.pgsizes = SPAPR_PGSIZES;
        out.ddw.max_dynamic_windows_supported = SPAPR_MAX_WINDOWS;
        out.ddw.levels = FAKE_TCE_MAX_LEVELS;
    }
    /* ddw is written only if the caller's struct has room for it */
    memcpy(info, &out, info->argsz >= ddwsz ? ddwsz : minsz);
    return 0;
}

/* tce_iommu_build() / tce_iommu_build_v2() */
static int tce_build(SpaprIommu *sp, FakeTceTable *t, uint64_t entry,
                     uint64_t ua, uint64_t pages, unsigned perm)
{
    uint64_t psize = 1ULL << t->page_shift;
    uint64_t i, old;
    FakePrereg *m;
    int ret = 0;

    for (i = 0; i < pages; i++, ua += psize) {
        if (sp->v2) {
            m = fake_prereg_lookup(ua, psize);
            /* the IOMMU page may not exceed the backing page */
            if (!m || t->page_shift > fake->page_shift) {
                ret = -EINVAL;
                break;
            }
            m->mapped++;
        } else {
            if (!fake_range_mapped(ua, MIN(psize, fake->page_size))) {
                ret = -EFAULT;          /* pin_user_pages_fast() */
                break;
            }
            if (t->page_shift > fake->page_shift) {
                ret = -EPERM;           /* tce_page_is_contained() */
                break;
            }
        }
        old = fake_tce_xchg(t, entry + i, ua | perm);
        if (old && sp->v2) {
            fake_prereg_unmapped(fake_prereg_lookup(
                old & ~fake_tce_page_mask(t), psize));
        }
    }
    if (ret) {
        tce_clear(sp, t, entry, i);     /* undone, as the kernel does */
    }
    return ret;
}

static int spapr_map(SpaprIommu *sp, struct vfio_iommu_type1_dma_map *map)
{
    uint32_t minsz = offsetofend(struct vfio_iommu_type1_dma_map, size);
    FakeTceTable *t;
    uint64_t mask, entry, pages;
    int ret;

    if (!sp->enabled) {
        return -EPERM;
    }
    if (!map) {
        return -EFAULT;
    }
    if (map->argsz < minsz || (map->flags & ~(uint32_t)FAKE_PERM_RW)) {
        return -EINVAL;
    }
    ret = create_default_window(sp);
    if (ret < 0) {
        return ret;
    }
    t = find_window(sp, map->iova, NULL);
    if (!t) {
        return -ENXIO;
    }
    mask = fake_tce_page_mask(t);
    if ((map->size & mask) || (map->vaddr & mask) || (map->iova & mask) ||
        !(map->flags & FAKE_PERM_RW)) {
        return -EINVAL;
    }
    entry = map->iova >> t->page_shift;
    pages = map->size >> t->page_shift;
    /* the kernel checks only the first entry; the fake the whole run */
    if (pages > t->offset + t->entries - entry) {
        return -EINVAL;
    }
    return tce_build(sp, t, entry, map->vaddr, pages,
                     map->flags & FAKE_PERM_RW);
}

static int spapr_unmap(SpaprIommu *sp,
                       struct vfio_iommu_type1_dma_unmap *unmap)
{
    uint32_t minsz = offsetofend(struct vfio_iommu_type1_dma_unmap, size);
    FakeTceTable *t;
    uint64_t entry, pages, mask;
    int ret;

    if (!sp->enabled) {
        return -EPERM;
    }
    if (!unmap) {
        return -EFAULT;
    }
    if (unmap->argsz < minsz || unmap->flags) {
        return -EINVAL;
    }
    ret = create_default_window(sp);
    if (ret < 0) {
        return ret;
    }
    t = find_window(sp, unmap->iova, NULL);
    if (!t) {
        return -ENXIO;
    }
    mask = fake_tce_page_mask(t);
    entry = unmap->iova >> t->page_shift;
    pages = unmap->size >> t->page_shift;
    if ((unmap->size & mask) || (unmap->iova & mask) ||
        pages > t->offset + t->entries - entry) {
        return -EINVAL;
    }
    tce_clear(sp, t, entry, pages);
    return 0;
}

static int spapr_register(SpaprIommu *sp,
                          struct vfio_iommu_spapr_register_memory *p)
{
    uint32_t minsz = offsetofend(struct vfio_iommu_spapr_register_memory,
                                 size);
    uint64_t pmask = fake->page_size - 1;
    FakePrereg *m;
    int ret;

    sp->mm_set = true;
    if (!p) {
        return -EFAULT;
    }
    if (p->argsz < minsz || p->flags) {
        return -EINVAL;
    }
    if ((p->vaddr & pmask) || (p->size & pmask) ||
        p->vaddr + p->size < p->vaddr) {
        return -EINVAL;
    }
    m = fake_prereg_get(p->vaddr, p->size);
    if (m) {
        if (g_ptr_array_find(sp->prereg, m, NULL)) {
            return -EBUSY;      /* this container has it already */
        }
        m->users++;             /* another container's: shared */
    } else {
        if (!p->size) {
            return -EINVAL;     /* the kernel says ENOMEM; see README */
        }
        ret = fake_prereg_new(p->vaddr, p->size, &m);
        if (ret < 0) {
            return ret;
        }
    }
    g_ptr_array_add(sp->prereg, m);
    sp->enabled = true;
    return 0;
}

static int spapr_unregister(SpaprIommu *sp,
                            struct vfio_iommu_spapr_register_memory *p)
{
    uint32_t minsz = offsetofend(struct vfio_iommu_spapr_register_memory,
                                 size);
    uint64_t pmask = fake->page_size - 1;
    FakePrereg *m;
    guint idx;
    int ret;

    if (!sp->mm_set) {
        return -EPERM;
    }
    if (!p) {
        return -EFAULT;
    }
    if (p->argsz < minsz || p->flags || (p->vaddr & pmask) ||
        (p->size & pmask)) {
        return -EINVAL;
    }
    m = fake_prereg_get(p->vaddr, p->size);
    if (!m || !g_ptr_array_find(sp->prereg, m, &idx)) {
        return -ENOENT;
    }
    /* off the list first: the put may free the region */
    g_ptr_array_remove_index(sp->prereg, idx);
    ret = fake_prereg_put(m, false);
    if (ret < 0) {
        g_ptr_array_insert(sp->prereg, idx, m);
    }
    return ret;
}

static int spapr_create(SpaprIommu *sp,
                        struct vfio_iommu_spapr_tce_create *cr)
{
    uint32_t minsz = offsetofend(struct vfio_iommu_spapr_tce_create,
                                 start_addr);
    uint64_t start;
    int ret;

    sp->mm_set = true;
    if (!cr) {
        return -EFAULT;
    }
    if (cr->argsz < minsz || cr->flags) {
        return -EINVAL;
    }
    ret = create_default_window(sp);
    if (!ret) {
        ret = window_create(sp, cr->page_shift, cr->window_size, cr->levels,
                            &start);
    }
    if (!ret) {
        cr->start_addr = start;
    }
    return ret;
}

static int spapr_remove(SpaprIommu *sp,
                        struct vfio_iommu_spapr_tce_remove *rm)
{
    uint32_t minsz = offsetofend(struct vfio_iommu_spapr_tce_remove,
                                 start_addr);
    int num;

    sp->mm_set = true;
    if (!rm) {
        return -EFAULT;
    }
    if (rm->argsz < minsz || rm->flags) {
        return -EINVAL;
    }
    /* removing the pending default window only cancels it */
    if (sp->def_window_pending && !rm->start_addr) {
        sp->def_window_pending = false;
        return 0;
    }
    if (!find_window(sp, rm->start_addr, &num)) {
        return -EINVAL;
    }
    window_free(sp, num);
    return 0;
}

static int spapr_enable(SpaprIommu *sp)
{
    uint64_t pages = fake->dma32_size >> fake->page_shift;
    int ret;

    if (sp->enabled) {
        return -EBUSY;
    }
    sp->mm_set = true;
    /* v1 cannot account per map: the whole 32-bit window up front */
    ret = fake_account(pages, true);
    if (ret < 0) {
        return ret;
    }
    sp->v1_locked_pages = pages;
    sp->enabled = true;
    return 0;
}

static void spapr_disable(SpaprIommu *sp)
{
    if (!sp->enabled) {
        return;
    }
    sp->enabled = false;
    fake_account(sp->v1_locked_pages, false);
    sp->v1_locked_pages = 0;
}

/* One EEH operation on the PE of group @g. */
static int eeh_group_op(FakeGroup *g, struct vfio_eeh_pe_op *op)
{
    switch (op->op) {
    case VFIO_EEH_PE_DISABLE:
        g->eeh_enabled = false;
        return 0;
    case VFIO_EEH_PE_ENABLE:
        g->eeh_enabled = true;
        return 0;
    case VFIO_EEH_PE_UNFREEZE_IO:
    case VFIO_EEH_PE_UNFREEZE_DMA:
        g->frozen = false;
        return 0;
    case VFIO_EEH_PE_GET_STATE:
        return g->frozen ? VFIO_EEH_PE_STATE_STOPPED
                         : VFIO_EEH_PE_STATE_NORMAL;
    case VFIO_EEH_PE_RESET_HOT:
    case VFIO_EEH_PE_RESET_FUNDAMENTAL:
        for (guint i = 0; i < g->devices->len; i++) {
            fake_device_reset(g_ptr_array_index(g->devices, i));
        }
        return 0;
    case VFIO_EEH_PE_RESET_DEACTIVATE:
        g->frozen = false;      /* the reset is over, the PE works again */
        return 0;
    case VFIO_EEH_PE_CONFIGURE:
        return 0;
    case VFIO_EEH_PE_INJECT_ERR:
        if (op->argsz < offsetofend(struct vfio_eeh_pe_op, err)) {
            return -EINVAL;
        }
        g->frozen = true;
        return 0;
    default:
        return -EINVAL;
    }
}

/*
 * VFIO_EEH_PE_OP: the kernel runs it on the PE of every group of the
 * container in turn and stops at the first non-zero result (an error,
 * or a state other than normal), so with several groups what it does
 * and reports is ill-defined: why QEMU allows EEH only with one group
 * per container.
 */
static int spapr_eeh(FakeContainer *c, struct vfio_eeh_pe_op *op)
{
    uint32_t minsz = offsetofend(struct vfio_eeh_pe_op, op);
    int ret = 0;

    if (!c->groups->len) {
        return -ENODEV;
    }
    if (!op) {
        return -EFAULT;
    }
    if (op->argsz < minsz || op->flags) {
        return -EINVAL;
    }
    for (guint i = 0; i < c->groups->len && !ret; i++) {
        ret = eeh_group_op(g_ptr_array_index(c->groups, i), op);
    }
    return ret;
}

static int spapr_ioctl(FakeContainer *c, unsigned long req, void *arg)
{
    SpaprIommu *sp = spapr_of(c);

    switch (req) {
    case VFIO_IOMMU_SPAPR_TCE_GET_INFO:
        return spapr_get_info(sp, arg);
    case VFIO_IOMMU_MAP_DMA:
        return spapr_map(sp, arg);
    case VFIO_IOMMU_UNMAP_DMA:
        return spapr_unmap(sp, arg);
    case VFIO_IOMMU_SPAPR_REGISTER_MEMORY:
        return sp->v2 ? spapr_register(sp, arg) : -ENOTTY;
    case VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY:
        return sp->v2 ? spapr_unregister(sp, arg) : -ENOTTY;
    case VFIO_IOMMU_SPAPR_TCE_CREATE:
        return sp->v2 ? spapr_create(sp, arg) : -ENOTTY;
    case VFIO_IOMMU_SPAPR_TCE_REMOVE:
        return sp->v2 ? spapr_remove(sp, arg) : -ENOTTY;
    case VFIO_IOMMU_ENABLE:
        return sp->v2 ? -ENOTTY : spapr_enable(sp);
    case VFIO_IOMMU_DISABLE:
        if (sp->v2) {
            return -ENOTTY;
        }
        spapr_disable(sp);
        return 0;
    case VFIO_EEH_PE_OP:
        return spapr_eeh(c, arg);
    default:
        return -ENOTTY;
    }
}

/* Driver hooks ----------------------------------------------------------- */

static int spapr_check_extension(unsigned long ext)
{
    switch (ext) {
    case VFIO_SPAPR_TCE_IOMMU:
    case VFIO_SPAPR_TCE_v2_IOMMU:
    case VFIO_EEH:
        return 1;
    default:
        return 0;
    }
}

static void *spapr_open(FakeContainer *c, unsigned long type, int *err)
{
    SpaprIommu *sp;

    /* VFIO_EEH passes CHECK_EXTENSION but is no IOMMU type */
    if (type != VFIO_SPAPR_TCE_IOMMU && type != VFIO_SPAPR_TCE_v2_IOMMU) {
        *err = EINVAL;
        return NULL;
    }
    sp = g_new0(SpaprIommu, 1);
    sp->v2 = type == VFIO_SPAPR_TCE_v2_IOMMU;
    sp->prereg = g_ptr_array_new();
    return sp;
}

static int spapr_attach_group(FakeContainer *c, FakeGroup *g)
{
    SpaprIommu *sp = spapr_of(c);

    /* v1 reuses the platform's table and cannot share it among PEs */
    if (!sp->v2 && sp->ngroups) {
        return -EBUSY;
    }
    if (!sp->ngroups && !sp->tables[0]) {
        sp->def_window_pending = true;
    }
    sp->ngroups++;
    return 0;
}

static void spapr_detach_group(FakeContainer *c, FakeGroup *g)
{
    spapr_of(c)->ngroups--;
}

static void spapr_release(FakeContainer *c)
{
    SpaprIommu *sp = spapr_of(c);

    for (int i = 0; i < SPAPR_MAX_WINDOWS; i++) {
        if (sp->tables[i]) {
            window_free(sp, i);
        }
    }
    for (guint i = 0; i < sp->prereg->len; i++) {
        fake_prereg_put(g_ptr_array_index(sp->prereg, i), true);
    }
    spapr_disable(sp);
    g_ptr_array_unref(sp->prereg);
    g_free(sp);
}

static bool spapr_translate(FakeContainer *c, uint64_t iova, unsigned perm,
                            uint64_t *len, uint8_t **hva)
{
    FakeTceTable *t = find_window(spapr_of(c), iova, NULL);
    uint64_t tce, mask;

    if (!t) {
        return false;
    }
    tce = fake_tce_get(t, iova >> t->page_shift);
    if (!tce || (tce & perm) != perm) {
        return false;
    }
    mask = fake_tce_page_mask(t);
    *hva = (uint8_t *)(uintptr_t)((tce & ~mask) + (iova & mask));
    *len = MIN(*len, mask + 1 - (iova & mask));
    return true;
}

static void spapr_state(FakeContainer *c, GString *out)
{
    SpaprIommu *sp = spapr_of(c);

    g_string_append_printf(out, ",\"enabled\":%s,\"default-window-pending\""
                           ":%s,\"registered\":[",
                           sp->enabled ? "true" : "false",
                           sp->def_window_pending ? "true" : "false");
    for (guint i = 0; i < sp->prereg->len; i++) {
        FakePrereg *m = g_ptr_array_index(sp->prereg, i);
        g_string_append_printf(out, "%s{\"vaddr\":%" G_GUINT64_FORMAT
                               ",\"size\":%" G_GUINT64_FORMAT "}",
                               i ? "," : "", m->ua, m->size);
    }
    g_string_append(out, "],\"windows\":[");
    for (int i = 0, n = 0; i < SPAPR_MAX_WINDOWS; i++) {
        FakeTceTable *t = sp->tables[i];

        if (t) {
            g_string_append_printf(out, "%s{\"start\":%" G_GUINT64_FORMAT
                                   ",\"size\":%" G_GUINT64_FORMAT
                                   ",\"page-shift\":%u,\"levels\":%u"
                                   ",\"entries-in-use\":%u}",
                                   n++ ? "," : "", t->bus_offset,
                                   t->entries << t->page_shift,
                                   t->page_shift, t->levels,
                                   fake_tce_count(t));
        }
    }
    g_string_append(out, "],\"mappings\":[");
    for (int i = 0; i < SPAPR_MAX_WINDOWS; i++) {
        if (sp->tables[i]) {
            fake_tce_state(sp->tables[i], out);
        }
    }
    g_string_append_c(out, ']');
}

static const char *spapr_type_name(FakeContainer *c)
{
    return spapr_of(c)->v2 ? "spapr-tce-v2" : "spapr-tce";
}

const FakeIommuOps fake_spapr_ops = {
    .name = "spapr-tce",
    .check_extension = spapr_check_extension,
    .open = spapr_open,
    .attach_group = spapr_attach_group,
    .detach_group = spapr_detach_group,
    .release = spapr_release,
    .ioctl = spapr_ioctl,
    .translate = spapr_translate,
    .state = spapr_state,
    .type_name = spapr_type_name,
};
