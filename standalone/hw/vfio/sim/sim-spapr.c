/*
 * vfio-sim sPAPR TCE IOMMU driver, as drivers/vfio/vfio_iommu_spapr_tce.c
 * behaves on a PowerNV host: the window owner of a container.
 *
 * A container owns up to two TCE tables ("windows"), which the kernel
 * programs identically into every group of the container: that is why a
 * container is one IOVA space.  Window #0 sits at the 32-bit base (0),
 * window #1 at the 64-bit bypass base 1 << 59; the platform picks the
 * address, not the caller.  After the first group attaches, a 4 KiB-page
 * default window of dma32-size is "pending": created at the first
 * MAP/UNMAP/CREATE unless TCE_REMOVE(0) cancels it first.
 *
 * v2 maps only preregistered memory (REGISTER_MEMORY pins and charges it,
 * and marks the container enabled); v1 needs VFIO_IOMMU_ENABLE, which
 * charges the whole 32-bit window up front.  Locked memory also pays for
 * the tables themselves (sim_tce_table_bytes()).
 */
#include "qemu/osdep.h"
#include "sim-spapr.h"
#include "trace-events-all.h"

#define SPAPR_MAX_WINDOWS   2              /* IOMMU_TABLE_GROUP_MAX_TABLES */
#define SPAPR_PGSIZES       ((1ull << 12) | (1ull << 16) | (1ull << 24))
#define SPAPR_BYPASS_BASE   (1ull << 59)   /* where window #1 starts */

typedef struct SpaprIommu {
    bool v2;
    bool mm_set;               /* tce_iommu_mm_set() happened */
    bool enabled;
    bool def_window_pending;
    unsigned ngroups;
    uint64_t v1_locked_pages;  /* the 32-bit window, charged by ENABLE */
    SimTceTable *tables[SPAPR_MAX_WINDOWS];
    GPtrArray *prereg;         /* SimPrereg * this container registered */
} SpaprIommu;

static SpaprIommu *spapr_of(SimContainer *c)
{
    return c->iommu_data;
}

/* Windows ----------------------------------------------------------------------- */

/* tce_iommu_find_table(): the window holding @iova. */
static SimTceTable *find_window(SpaprIommu *sp, uint64_t iova, int *num)
{
    for (int i = 0; i < SPAPR_MAX_WINDOWS; i++) {
        if (sp->tables[i] && sim_tce_table_contains(sp->tables[i], iova)) {
            if (num) {
                *num = i;
            }
            return sp->tables[i];
        }
    }
    return NULL;
}

/* Clear @pages entries from @entry, releasing what they held (tce_iommu_clear()). */
static void tce_clear(SimContainer *c, SimTceTable *t, uint64_t entry, uint64_t pages)
{
    SpaprIommu *sp = spapr_of(c);
    g_autoptr(GArray) used = sim_tce_used(t, entry, pages);

    for (guint i = 0; i < used->len; i++) {
        uint64_t old = sim_tce_xchg(t, g_array_index(used, uint64_t, i), 0);
        if (sp->v2) {
            uint64_t ua = old & ~sim_tce_page_mask(t);
            sim_prereg_unmapped(c->sim, sim_prereg_lookup(c->sim, ua, 1ull << t->page_shift));
        }
    }
}

static int window_create(SimContainer *c, unsigned page_shift, uint64_t window_size,
                         unsigned levels, uint64_t *start)
{
    SpaprIommu *sp = spapr_of(c);
    VfioSim *sim = c->sim;
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
    if (page_shift >= 64 || !(SPAPR_PGSIZES & (1ull << page_shift))) {
        return -EINVAL;
    }
    bytes = sim_tce_table_bytes(page_shift, window_size, levels, sim->page_shift);
    if (!bytes) {
        return -EINVAL;
    }
    /* the table is charged before it is allocated, as tce_iommu_create_table() does */
    pages = bytes >> sim->page_shift;
    ret = sim_account(sim, pages, true);
    if (ret < 0) {
        return ret;
    }
    if (!sim_tce_table_geometry_ok(page_shift, window_size, levels, sim->page_shift)) {
        sim_account(sim, pages, false);
        return -EINVAL;
    }
    sp->tables[num] = sim_tce_table_new(num ? SPAPR_BYPASS_BASE : 0, page_shift, window_size,
                                        levels);
    sp->tables[num]->locked_pages = pages;
    *start = sp->tables[num]->bus_offset;
    trace_vfio_sim_spapr_window(sim->desc, num, *start, window_size, page_shift, levels);
    return 0;
}

static void window_free(SimContainer *c, int num)
{
    SpaprIommu *sp = spapr_of(c);
    SimTceTable *t = sp->tables[num];

    tce_clear(c, t, t->offset, t->entries);
    sim_account(c->sim, t->locked_pages, false);
    sim_tce_table_free(t);
    sp->tables[num] = NULL;
}

static int create_default_window(SimContainer *c)
{
    SpaprIommu *sp = spapr_of(c);
    uint64_t start;
    int ret;

    if (!sp->def_window_pending) {
        return 0;
    }
    ret = window_create(c, 12, c->sim->dma32_size, 1, &start);
    if (!ret) {
        sp->def_window_pending = false;
    }
    return ret;
}

/* ioctls ----------------------------------------------------------------------- */

static int spapr_get_info(SimContainer *c, struct vfio_iommu_spapr_tce_info *info)
{
    SpaprIommu *sp = spapr_of(c);
    uint32_t minsz = offsetofend(struct vfio_iommu_spapr_tce_info, dma32_window_size);
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
    out.dma32_window_size = c->sim->dma32_size;
    if (sp->v2) {
        out.flags = VFIO_IOMMU_SPAPR_INFO_DDW;
        out.ddw.pgsizes = SPAPR_PGSIZES;
        out.ddw.max_dynamic_windows_supported = SPAPR_MAX_WINDOWS;
        out.ddw.levels = SIM_TCE_MAX_LEVELS;
    }
    /* ddw is written only if the caller's struct has room for it */
    memcpy(info, &out, info->argsz >= ddwsz ? ddwsz : minsz);
    return 0;
}

/* tce_iommu_build() / tce_iommu_build_v2() */
static int tce_build(SimContainer *c, SimTceTable *t, uint64_t entry, uint64_t ua,
                     uint64_t pages, unsigned perm)
{
    SpaprIommu *sp = spapr_of(c);
    VfioSim *sim = c->sim;
    uint64_t psize = 1ull << t->page_shift;
    uint64_t i, old;
    SimPrereg *m;
    int ret = 0;

    for (i = 0; i < pages; i++, ua += psize) {
        if (sp->v2) {
            m = sim_prereg_lookup(sim, ua, psize);
            /* mm_iommu_ua_to_hpa(): the IOMMU page may not exceed the backing page */
            if (!m || t->page_shift > sim->page_shift) {
                ret = -EINVAL;
                break;
            }
            m->mapped++;
        } else {
            if (!sim_range_mapped(ua, MIN(psize, sim->page_size))) {
                ret = -EFAULT;          /* pin_user_pages_fast() */
                break;
            }
            if (t->page_shift > sim->page_shift) {
                ret = -EPERM;           /* tce_page_is_contained() */
                break;
            }
        }
        /* an existing entry is replaced, its page released */
        old = sim_tce_xchg(t, entry + i, ua | perm);
        if (old && sp->v2) {
            sim_prereg_unmapped(sim, sim_prereg_lookup(sim, old & ~sim_tce_page_mask(t), psize));
        }
    }
    if (ret) {
        /* what this call wrote is cleared again, as the kernel does */
        tce_clear(c, t, entry, i);
    }
    return ret;
}

static int spapr_map(SimContainer *c, struct vfio_iommu_type1_dma_map *map)
{
    SpaprIommu *sp = spapr_of(c);
    uint32_t minsz = offsetofend(struct vfio_iommu_type1_dma_map, size);
    SimTceTable *t;
    uint64_t mask, entry, pages;
    int ret;

    if (!sp->enabled) {
        return -EPERM;
    }
    if (!map) {
        return -EFAULT;
    }
    if (map->argsz < minsz || (map->flags & ~(uint32_t)SIM_TCE_PERM)) {
        return -EINVAL;
    }
    ret = create_default_window(c);
    if (ret < 0) {
        return ret;
    }
    t = find_window(sp, map->iova, NULL);
    if (!t) {
        return -ENXIO;
    }
    mask = sim_tce_page_mask(t);
    if ((map->size & mask) || (map->vaddr & mask)) {
        return -EINVAL;
    }
    if (!(map->flags & SIM_TCE_PERM)) {
        return -EINVAL;
    }
    /* iommu_tce_put_param_check() */
    if (map->iova & mask) {
        return -EINVAL;
    }
    entry = map->iova >> t->page_shift;
    pages = map->size >> t->page_shift;
    /*
     * The kernel checks only the first entry against the window and would
     * write past the table; the simulation refuses the whole call instead.
     */
    if (pages > t->offset + t->entries - entry) {
        return -EINVAL;
    }
    ret = tce_build(c, t, entry, map->vaddr, pages, map->flags & SIM_TCE_PERM);
    trace_vfio_sim_spapr_map(c->sim->desc, map->iova, map->size, map->vaddr, ret);
    return ret;
}

static int spapr_unmap(SimContainer *c, struct vfio_iommu_type1_dma_unmap *unmap)
{
    SpaprIommu *sp = spapr_of(c);
    uint32_t minsz = offsetofend(struct vfio_iommu_type1_dma_unmap, size);
    SimTceTable *t;
    uint64_t entry, pages;
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
    ret = create_default_window(c);
    if (ret < 0) {
        return ret;
    }
    t = find_window(sp, unmap->iova, NULL);
    if (!t) {
        return -ENXIO;
    }
    if (unmap->size & sim_tce_page_mask(t)) {
        return -EINVAL;
    }
    /* iommu_tce_clear_param_check(): any aligned run of entries inside the window */
    entry = unmap->iova >> t->page_shift;
    pages = unmap->size >> t->page_shift;
    if ((unmap->iova & sim_tce_page_mask(t)) || pages > t->offset + t->entries - entry) {
        return -EINVAL;
    }
    tce_clear(c, t, entry, pages);
    trace_vfio_sim_spapr_unmap(c->sim->desc, unmap->iova, unmap->size);
    return 0;
}

static int spapr_register(SimContainer *c, struct vfio_iommu_spapr_register_memory *p)
{
    SpaprIommu *sp = spapr_of(c);
    VfioSim *sim = c->sim;
    uint32_t minsz = offsetofend(struct vfio_iommu_spapr_register_memory, size);
    uint64_t pmask = sim->page_size - 1;
    SimPrereg *m;
    int ret;

    sp->mm_set = true;
    if (!p) {
        return -EFAULT;
    }
    if (p->argsz < minsz || p->flags) {
        return -EINVAL;
    }
    if ((p->vaddr & pmask) || (p->size & pmask) || p->vaddr + p->size < p->vaddr) {
        return -EINVAL;
    }
    m = sim_prereg_get(sim, p->vaddr, p->size);
    if (m) {
        if (g_ptr_array_find(sp->prereg, m, NULL)) {
            return -EBUSY;      /* this container has it already */
        }
        m->users++;             /* another container's registration: shared */
    } else {
        /* an empty region is refused (the kernel fails it with ENOMEM) */
        if (!p->size) {
            return -EINVAL;
        }
        ret = sim_prereg_new(sim, p->vaddr, p->size, &m);
        if (ret < 0) {
            return ret;
        }
    }
    g_ptr_array_add(sp->prereg, m);
    sp->enabled = true;
    trace_vfio_sim_spapr_register(sim->desc, p->vaddr, p->size);
    return 0;
}

static int spapr_unregister(SimContainer *c, struct vfio_iommu_spapr_register_memory *p)
{
    SpaprIommu *sp = spapr_of(c);
    VfioSim *sim = c->sim;
    uint32_t minsz = offsetofend(struct vfio_iommu_spapr_register_memory, size);
    uint64_t pmask = sim->page_size - 1;
    SimPrereg *m;
    guint idx;
    int ret;

    if (!sp->mm_set) {
        return -EPERM;
    }
    if (!p) {
        return -EFAULT;
    }
    if (p->argsz < minsz || p->flags) {
        return -EINVAL;
    }
    if ((p->vaddr & pmask) || (p->size & pmask)) {
        return -EINVAL;
    }
    m = sim_prereg_get(sim, p->vaddr, p->size);
    if (!m || !g_ptr_array_find(sp->prereg, m, &idx)) {
        return -ENOENT;
    }
    /* taken off the list first: the put may free the region */
    g_ptr_array_remove_index(sp->prereg, idx);
    ret = sim_prereg_put(sim, m, false);
    if (ret < 0) {
        g_ptr_array_insert(sp->prereg, idx, m);
    }
    return ret;
}

static int spapr_create(SimContainer *c, struct vfio_iommu_spapr_tce_create *cr)
{
    SpaprIommu *sp = spapr_of(c);
    uint32_t minsz = offsetofend(struct vfio_iommu_spapr_tce_create, start_addr);
    uint64_t start;
    int ret;

    sp->mm_set = true;
    if (!cr) {
        return -EFAULT;
    }
    if (cr->argsz < minsz || cr->flags) {
        return -EINVAL;
    }
    ret = create_default_window(c);
    if (!ret) {
        ret = window_create(c, cr->page_shift, cr->window_size, cr->levels, &start);
    }
    if (!ret) {
        cr->start_addr = start;
    }
    return ret;
}

static int spapr_remove(SimContainer *c, struct vfio_iommu_spapr_tce_remove *rm)
{
    SpaprIommu *sp = spapr_of(c);
    uint32_t minsz = offsetofend(struct vfio_iommu_spapr_tce_remove, start_addr);
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
    /* any address inside the window names it, as tce_iommu_find_table() matches */
    if (!find_window(sp, rm->start_addr, &num)) {
        return -EINVAL;
    }
    window_free(c, num);
    return 0;
}

static int spapr_enable(SimContainer *c)
{
    SpaprIommu *sp = spapr_of(c);
    uint64_t pages = c->sim->dma32_size >> c->sim->page_shift;
    int ret;

    if (sp->enabled) {
        return -EBUSY;
    }
    sp->mm_set = true;
    /* v1 cannot account per map: it charges the whole 32-bit window up front */
    ret = sim_account(c->sim, pages, true);
    if (ret < 0) {
        return ret;
    }
    sp->v1_locked_pages = pages;
    sp->enabled = true;
    return 0;
}

static void spapr_disable(SimContainer *c)
{
    SpaprIommu *sp = spapr_of(c);

    if (!sp->enabled) {
        return;
    }
    sp->enabled = false;
    sim_account(c->sim, sp->v1_locked_pages, false);
    sp->v1_locked_pages = 0;
}

static int spapr_ioctl(SimContainer *c, unsigned long req, void *arg)
{
    SpaprIommu *sp = spapr_of(c);

    switch (req) {
    case VFIO_IOMMU_SPAPR_TCE_GET_INFO:
        return spapr_get_info(c, arg);
    case VFIO_IOMMU_MAP_DMA:
        return spapr_map(c, arg);
    case VFIO_IOMMU_UNMAP_DMA:
        return spapr_unmap(c, arg);
    case VFIO_IOMMU_SPAPR_REGISTER_MEMORY:
        return sp->v2 ? spapr_register(c, arg) : -ENOTTY;
    case VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY:
        return sp->v2 ? spapr_unregister(c, arg) : -ENOTTY;
    case VFIO_IOMMU_SPAPR_TCE_CREATE:
        return sp->v2 ? spapr_create(c, arg) : -ENOTTY;
    case VFIO_IOMMU_SPAPR_TCE_REMOVE:
        return sp->v2 ? spapr_remove(c, arg) : -ENOTTY;
    case VFIO_IOMMU_ENABLE:
        return sp->v2 ? -ENOTTY : spapr_enable(c);
    case VFIO_IOMMU_DISABLE:
        if (sp->v2) {
            return -ENOTTY;
        }
        spapr_disable(c);
        return 0;
    default:
        return -ENOTTY;         /* VFIO_EEH_PE_OP too: not simulated yet */
    }
}

/* Driver hooks ------------------------------------------------------------------- */

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

static void *spapr_open(SimContainer *c, unsigned long type, int *err)
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

static int spapr_attach_group(SimContainer *c, SimGroup *g)
{
    SpaprIommu *sp = spapr_of(c);

    /* v1 reuses the platform's table and does not share it among PEs */
    if (!sp->v2 && sp->ngroups) {
        return -EBUSY;
    }
    if (!sp->ngroups && !sp->tables[0]) {
        sp->def_window_pending = true;
    }
    sp->ngroups++;
    return 0;
}

static void spapr_detach_group(SimContainer *c, SimGroup *g)
{
    spapr_of(c)->ngroups--;
}

static void spapr_release(SimContainer *c)
{
    SpaprIommu *sp = spapr_of(c);

    for (int i = 0; i < SPAPR_MAX_WINDOWS; i++) {
        if (sp->tables[i]) {
            window_free(c, i);
        }
    }
    for (guint i = 0; i < sp->prereg->len; i++) {
        sim_prereg_put(c->sim, g_ptr_array_index(sp->prereg, i), true);
    }
    spapr_disable(c);
    g_ptr_array_unref(sp->prereg);
    g_free(sp);
}

static bool spapr_translate(SimContainer *c, uint64_t iova, unsigned perm, uint64_t *len,
                            uint8_t **hva)
{
    SimTceTable *t = find_window(spapr_of(c), iova, NULL);
    uint64_t tce, mask;

    if (!t) {
        return false;
    }
    tce = sim_tce_get(t, iova >> t->page_shift);
    if (!tce || (tce & perm) != perm) {
        return false;
    }
    mask = sim_tce_page_mask(t);
    *hva = (uint8_t *)(uintptr_t)((tce & ~mask) + (iova & mask));
    *len = MIN(*len, mask + 1 - (iova & mask));
    return true;
}

/* x-vfio-sim-query ----------------------------------------------------------- */

static void add_mapping(uint64_t iova, uint64_t size, uint64_t ua, unsigned perm, void *opaque)
{
    JsonObject *o = json_object_new();

    json_object_set_int_member(o, "iova", iova);
    json_object_set_int_member(o, "size", size);
    json_object_set_string_member(o, "perm", perm == SIM_TCE_PERM ? "rw" :
                                  perm == SIM_PERM_READ ? "r" : "w");
    json_object_set_int_member(o, "vaddr", ua);
    json_object_set_int_member(o, "gpa", sim_hva_to_gpa(ua));
    json_array_add_object_element(opaque, o);
}

static void spapr_query(SimContainer *c, JsonObject *o)
{
    SpaprIommu *sp = spapr_of(c);
    JsonArray *regs = json_array_new(), *wins = json_array_new(), *maps = json_array_new();

    json_object_set_boolean_member(o, "enabled", sp->enabled);
    json_object_set_boolean_member(o, "default-window-pending", sp->def_window_pending);
    for (guint i = 0; i < sp->prereg->len; i++) {
        SimPrereg *m = g_ptr_array_index(sp->prereg, i);
        JsonObject *r = json_object_new();
        json_object_set_int_member(r, "vaddr", m->ua);
        json_object_set_int_member(r, "size", m->size);
        json_object_set_int_member(r, "gpa", sim_hva_to_gpa(m->ua));
        json_array_add_object_element(regs, r);
    }
    for (int i = 0; i < SPAPR_MAX_WINDOWS; i++) {
        SimTceTable *t = sp->tables[i];
        JsonObject *wo;

        if (!t) {
            continue;
        }
        wo = json_object_new();
        json_object_set_int_member(wo, "start", t->bus_offset);
        json_object_set_int_member(wo, "size", t->entries << t->page_shift);
        json_object_set_int_member(wo, "page-shift", t->page_shift);
        json_object_set_int_member(wo, "levels", t->levels);
        json_object_set_int_member(wo, "entries-in-use", sim_tce_count(t));
        json_array_add_object_element(wins, wo);
        sim_tce_foreach_run(t, add_mapping, maps);
    }
    json_object_set_array_member(o, "registered", regs);
    json_object_set_array_member(o, "windows", wins);
    json_object_set_array_member(o, "mappings", maps);
}

static const char *spapr_type_name(SimContainer *c)
{
    return spapr_of(c)->v2 ? "spapr-tce-v2" : "spapr-tce";
}

const SimIommuOps sim_spapr_iommu_ops = {
    .check_extension = spapr_check_extension,
    .open = spapr_open,
    .attach_group = spapr_attach_group,
    .detach_group = spapr_detach_group,
    .release = spapr_release,
    .ioctl = spapr_ioctl,
    .translate = spapr_translate,
    .query = spapr_query,
    .type_name = spapr_type_name,
};
