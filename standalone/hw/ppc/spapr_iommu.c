/*
 * Guest-visible TCE IOMMU: windows, batched updates with rollback, and
 * translation of device DMA (see spapr_iommu.h).
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "hw/ppc/spapr.h"
#include "hw/ppc/spapr_iommu.h"
#include "hw/ppc/spapr_pci.h"
#include "trace-events-all.h"

typedef struct SpaprIommuListener {
    const SpaprIommuListenerOps *ops;
    void *opaque;
} SpaprIommuListener;

void spapr_iommu_listener_add(SpaprPhb *phb, const SpaprIommuListenerOps *ops, void *opaque)
{
    SpaprIommuListener l = { ops, opaque };

    g_array_append_val(phb->iommu_listeners, l);
}

void spapr_iommu_listener_del(SpaprPhb *phb, const SpaprIommuListenerOps *ops, void *opaque)
{
    for (guint i = 0; i < phb->iommu_listeners->len; i++) {
        SpaprIommuListener *l = &g_array_index(phb->iommu_listeners, SpaprIommuListener, i);
        if (l->ops == ops && l->opaque == opaque) {
            g_array_remove_index(phb->iommu_listeners, i);
            return;
        }
    }
}

void spapr_phb_iommu_init(SpaprPhb *phb)
{
    phb->iommu_listeners = g_array_new(FALSE, TRUE, sizeof(SpaprIommuListener));
    for (unsigned i = 0; i < SPAPR_PCI_DMA_MAX_WINDOWS; i++) {
        SpaprTceWindow *w = &phb->windows[i];
        *w = (SpaprTceWindow){ .phb = phb, .liobn = phb->dma_liobn[i], .num = i };
    }
}

void spapr_phb_iommu_fini(SpaprPhb *phb)
{
    for (unsigned i = 0; i < SPAPR_PCI_DMA_MAX_WINDOWS; i++) {
        spapr_tce_window_disable(&phb->windows[i]);
    }
    g_clear_pointer(&phb->iommu_listeners, g_array_unref);
}

unsigned spapr_phb_windows_enabled(SpaprPhb *phb)
{
    unsigned n = 0;

    for (unsigned i = 0; i < SPAPR_PCI_DMA_MAX_WINDOWS; i++) {
        n += phb->windows[i].enabled;
    }
    return n;
}

uint64_t spapr_phb_ddw_page_mask(SpaprPhb *phb)
{
    SpaprPhbClass *pc = SPAPR_PHB_GET_CLASS(phb);
    uint64_t mask = phb->page_size_mask;

    if (pc->backend_page_mask) {
        mask &= pc->backend_page_mask(phb);
    }
    return mask;
}

SpaprTceWindow *spapr_tce_find_window(SpaprMachine *spapr, uint32_t liobn)
{
    /* LIOBN = 0x80000000 | index << 8 | window: no search needed */
    SpaprPhb *phb;

    if ((liobn & 0xffffe0fe) != 0x80000000) {
        return NULL;
    }
    phb = spapr_phb_by_index(spapr, (liobn >> 8) & 0x1f);
    return phb ? &phb->windows[liobn & 1] : NULL;
}

/* Announcing batches -------------------------------------------------------- */

static unsigned notify_all(SpaprTceWindow *w, const SpaprIommuEvent *ev, unsigned n,
                           int64_t *hret)
{
    GArray *ls = w->phb->iommu_listeners;
    unsigned applied = n;

    trace_spapr_iommu_notify(w->liobn, n);
    /* one listener per PHB in practice (its container); with more, the
     * smallest applied prefix is what all of them can agree on */
    for (guint i = 0; i < ls->len; i++) {
        SpaprIommuListener *l = &g_array_index(ls, SpaprIommuListener, i);
        unsigned a = l->ops->notify(l->opaque, w, ev, n, hret);
        applied = MIN(applied, a);
    }
    return applied;
}

static uint64_t tce_gpa(const SpaprTceWindow *w, uint64_t tce)
{
    return tce & ~((1ull << w->page_shift) - 1);
}

typedef struct Batch {
    GArray *events;            /* SpaprIommuEvent */
    GArray *first;             /* guint: the TceChange of each event's first entry */
} Batch;

static void batch_add(Batch *b, const SpaprTceWindow *w, uint64_t entry, uint64_t gpa,
                      uint32_t perm, guint first)
{
    uint64_t psize = 1ull << w->page_shift;
    uint64_t iova = w->bus_offset + (entry << w->page_shift);

    if (b->events->len) {
        SpaprIommuEvent *last = &g_array_index(b->events, SpaprIommuEvent, b->events->len - 1);
        if (last->perm == perm && last->iova + last->size == iova &&
            (perm == 0 || last->gpa + last->size == gpa)) {
            last->size += psize;
            return;
        }
    }
    g_array_append_val(b->events, ((SpaprIommuEvent){ iova, psize, perm ? gpa : 0, perm }));
    g_array_append_val(b->first, first);
}

/* An entry an update changed, and what it held before. */
typedef struct TceChange {
    uint64_t entry;
    uint64_t old;
} TceChange;

/*
 * Store the new values of entries [@entry, @entry + @n) (@tces, or @stuff
 * for all), leaf by leaf; with @changes, append every entry that changes,
 * in entry order.  Leaves are only created for non-zero values, and a
 * region that is and stays 0 is skipped a missing subtree at a time: a
 * guest clearing a huge empty window (Linux clears every window it gets)
 * costs neither memory nor a walk per leaf.
 */
static void table_write(SpaprTceTable *t, uint64_t entry, uint64_t n, const uint64_t *tces,
                        uint64_t stuff, GArray *changes)
{
    for (uint64_t done = 0; done < n;) {
        uint64_t span, *p;
        int64_t delta = 0;

        /* with a list, what follows this leaf may be non-zero: stop at its end */
        p = spapr_tce_leaf_span(t, entry + done, tces ? SPAPR_TCE_LEAF_ENTRIES : n - done,
                                false, &span);
        span = MIN(span, n - done);
        if (!p) {
            bool zero = !stuff;
            for (uint64_t i = 0; tces && i < span && zero; i++) {
                zero = !tces[done + i];
            }
            if (zero) {
                done += span;   /* 0 before and after */
                continue;
            }
            p = spapr_tce_leaf_span(t, entry + done, n - done, true, &span);
        }
        if (!changes) {
            /* the common case (no listener): no branch per entry */
            for (uint64_t i = 0; i < span; i++) {
                uint64_t v = tces ? tces[done + i] : stuff;
                delta += (v != 0) - (p[i] != 0);
                p[i] = v;
            }
        } else {
            for (uint64_t i = 0; i < span; i++) {
                uint64_t v = tces ? tces[done + i] : stuff;
                if (p[i] != v) {
                    g_array_append_val(changes, ((TceChange){ entry + done + i, p[i] }));
                    delta += (v != 0) - (p[i] != 0);
                    p[i] = v;
                }
            }
        }
        if (delta) {
            spapr_tce_leaf_commit(t, entry + done, delta);
        }
        done += span;
    }
}

int64_t spapr_tce_window_update(SpaprTceWindow *w, uint64_t entry, uint64_t n,
                                const uint64_t *tces, uint64_t stuff)
{
    GArray *changes;
    Batch b;
    unsigned nunmap, applied;
    int64_t hret = H_HARDWARE;

    if (!w->phb->iommu_listeners->len) {
        /* nobody to tell */
        table_write(w->table, entry, n, tces, stuff, NULL);
        return H_SUCCESS;
    }

    /*
     * Only the entries that change are remembered (not all @n: a guest may
     * clear 2^37 entries in one H_STUFF_TCE), with their old values for a
     * rollback.  Events are built from them in entry order, so a run of
     * consecutive entries is a run of consecutive changes.
     */
    changes = g_array_new(FALSE, FALSE, sizeof(TceChange));
    table_write(w->table, entry, n, tces, stuff, changes);
    b.events = g_array_new(FALSE, FALSE, sizeof(SpaprIommuEvent));
    b.first = g_array_new(FALSE, FALSE, sizeof(guint));
    for (guint c = 0; c < changes->len; c++) {
        TceChange *ch = &g_array_index(changes, TceChange, c);
        if (ch->old & TCE_PERM_MASK) {
            batch_add(&b, w, ch->entry, 0, 0, c);
        }
    }
    nunmap = b.events->len;
    for (guint c = 0; c < changes->len; c++) {
        TceChange *ch = &g_array_index(changes, TceChange, c);
        uint64_t v = tces ? tces[ch->entry - entry] : stuff;
        if (v & TCE_PERM_MASK) {
            batch_add(&b, w, ch->entry, tce_gpa(w, v), v & TCE_PERM_MASK, c);
        }
    }
    applied = b.events->len ? notify_all(w, (SpaprIommuEvent *)b.events->data, b.events->len,
                                         &hret)
                            : 0;
    if (applied < b.events->len) {
        /*
         * Put the table back to what the host has: maps not applied leave
         * their entries unmapped (the old mapping, if any, was already
         * removed), then unmaps not applied keep their old value.
         */
        for (unsigned e = MAX(applied, nunmap); e < b.events->len; e++) {
            SpaprIommuEvent *ev = &g_array_index(b.events, SpaprIommuEvent, e);
            guint first = g_array_index(b.first, guint, e);
            for (uint64_t k = 0; k < ev->size >> w->page_shift; k++) {
                TceChange *ch = &g_array_index(changes, TceChange, first + k);
                spapr_tce_set(w->table, ch->entry, (ch->old & TCE_PERM_MASK) ? 0 : ch->old);
            }
        }
        for (unsigned e = applied; e < nunmap; e++) {
            SpaprIommuEvent *ev = &g_array_index(b.events, SpaprIommuEvent, e);
            guint first = g_array_index(b.first, guint, e);
            for (uint64_t k = 0; k < ev->size >> w->page_shift; k++) {
                TceChange *ch = &g_array_index(changes, TceChange, first + k);
                spapr_tce_set(w->table, ch->entry, ch->old);
            }
        }
        trace_spapr_iommu_update_failed(w->liobn, applied, b.events->len, hret);
    } else {
        hret = H_SUCCESS;
    }
    g_array_unref(b.events);
    g_array_unref(b.first);
    g_array_unref(changes);
    return hret;
}

/* Windows ------------------------------------------------------------------- */

gboolean spapr_tce_window_enable(SpaprTceWindow *w, uint64_t *bus_offset, uint32_t page_shift,
                                 uint64_t nb_entries, GError **errp)
{
    SpaprPhb *phb = w->phb;
    SpaprTceWindow *other = &phb->windows[!w->num];
    GArray *ls = phb->iommu_listeners;
    guint i;

    g_assert(!w->enabled);
    w->page_shift = page_shift;
    w->nb_entries = nb_entries;
    w->bus_offset = *bus_offset;
    for (i = 0; i < ls->len; i++) {
        SpaprIommuListener *l = &g_array_index(ls, SpaprIommuListener, i);
        if (l->ops->window_add && !l->ops->window_add(l->opaque, w, &w->bus_offset, errp)) {
            goto undo;
        }
    }
    if (w->bus_offset + spapr_tce_window_size(w) < w->bus_offset ||
        (other->enabled && w->bus_offset < other->bus_offset + spapr_tce_window_size(other) &&
         other->bus_offset < w->bus_offset + spapr_tce_window_size(w))) {
        error_setg(errp, "PHB %u: window 0x%" PRIx64 "+0x%" PRIx64 " overlaps window LIOBN 0x%x",
                   phb->index, w->bus_offset, spapr_tce_window_size(w), other->liobn);
        goto undo;
    }
    w->table = spapr_tce_table_new(nb_entries);
    w->enabled = true;
    *bus_offset = w->bus_offset;
    trace_spapr_iommu_window_enable(w->liobn, w->bus_offset, page_shift, nb_entries);
    return TRUE;

undo:
    while (i--) {
        SpaprIommuListener *l = &g_array_index(ls, SpaprIommuListener, i);
        if (l->ops->window_del) {
            l->ops->window_del(l->opaque, w);
        }
    }
    return FALSE;
}

typedef struct UnmapAll {
    SpaprTceWindow *w;
    Batch b;
} UnmapAll;

static void collect_unmap(uint64_t entry, uint64_t tce, void *opaque)
{
    UnmapAll *u = opaque;

    if (tce & TCE_PERM_MASK) {
        batch_add(&u->b, u->w, entry, 0, 0, 0);
    }
}

void spapr_tce_window_disable(SpaprTceWindow *w)
{
    GArray *ls = w->phb->iommu_listeners;

    if (!w->enabled) {
        return;
    }
    if (ls && ls->len) {
        UnmapAll u = { w, { g_array_new(FALSE, FALSE, sizeof(SpaprIommuEvent)),
                            g_array_new(FALSE, FALSE, sizeof(guint)) } };
        int64_t hret;

        spapr_tce_table_foreach(w->table, collect_unmap, &u);
        if (u.b.events->len) {
            notify_all(w, (SpaprIommuEvent *)u.b.events->data, u.b.events->len, &hret);
        }
        g_array_unref(u.b.events);
        g_array_unref(u.b.first);
        for (guint i = 0; i < ls->len; i++) {
            SpaprIommuListener *l = &g_array_index(ls, SpaprIommuListener, i);
            if (l->ops->window_del) {
                l->ops->window_del(l->opaque, w);
            }
        }
    }
    trace_spapr_iommu_window_disable(w->liobn);
    g_clear_pointer(&w->table, spapr_tce_table_free);
    w->enabled = false;
    w->nb_entries = 0;
}

gboolean spapr_phb_iommu_reset(SpaprPhb *phb, GError **errp)
{
    uint64_t start = phb->dma_win_addr;

    for (unsigned i = 0; i < SPAPR_PCI_DMA_MAX_WINDOWS; i++) {
        spapr_tce_window_disable(&phb->windows[i]);
    }
    phb->windows[0].ddw = false;
    return spapr_tce_window_enable(&phb->windows[0], &start, SPAPR_TCE_PAGE_SHIFT,
                                   phb->dma_win_size >> SPAPR_TCE_PAGE_SHIFT, errp);
}

/* Translation ----------------------------------------------------------------- */

static SpaprTceWindow *window_of(SpaprPhb *phb, uint64_t addr)
{
    for (unsigned i = 0; i < SPAPR_PCI_DMA_MAX_WINDOWS; i++) {
        SpaprTceWindow *w = &phb->windows[i];
        if (w->enabled && addr >= w->bus_offset &&
            addr - w->bus_offset < spapr_tce_window_size(w)) {
            return w;
        }
    }
    return NULL;
}

/* Guest-physical address of @addr, or FALSE if the page may not be used so. */
static bool translate(SpaprPhb *phb, uint64_t addr, bool is_write, uint64_t *gpa,
                      uint64_t *avail)
{
    SpaprTceWindow *w = window_of(phb, addr);
    uint64_t off, psize, tce;

    if (!w) {
        return false;
    }
    psize = 1ull << w->page_shift;
    off = addr - w->bus_offset;
    tce = spapr_tce_get(w->table, off >> w->page_shift);
    if (!(tce & (is_write ? TCE_PCI_WRITE : TCE_PCI_READ))) {
        return false;
    }
    *gpa = tce_gpa(w, tce) + (off & (psize - 1));
    *avail = psize - (off & (psize - 1));
    return true;
}

MemTxResult spapr_phb_dma_rw(SpaprPhb *phb, uint64_t addr, void *buf, uint64_t len,
                             bool is_write)
{
    SpaprMachine *spapr = spapr_machine();
    uint64_t pos, gpa, avail;

    /* check every page first: a fault must leave guest RAM untouched */
    for (pos = 0; pos < len; pos += avail) {
        if (addr + pos < addr || !translate(phb, addr + pos, is_write, &gpa, &avail) ||
            !spapr_ram_range_ok(spapr, gpa, MIN(avail, len - pos))) {
            phb->dma_faults++;
            trace_spapr_iommu_dma_fault(phb->index, addr + pos, is_write);
            return MEMTX_ERROR;
        }
    }
    for (pos = 0; pos < len; pos += avail) {
        uint64_t n;
        translate(phb, addr + pos, is_write, &gpa, &avail);
        n = MIN(avail, len - pos);
        if (is_write) {
            memcpy(spapr_ram_ptr(spapr, gpa), (uint8_t *)buf + pos, n);
        } else {
            memcpy((uint8_t *)buf + pos, spapr_ram_ptr(spapr, gpa), n);
        }
        avail = n;
    }
    return MEMTX_OK;
}
