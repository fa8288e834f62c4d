/*
 * The guest-visible TCE IOMMU of a PHB: its DMA windows, translation of
 * device DMA, and the notifier a VFIO container listens to.
 *
 * Each PHB has two windows, identified by LIOBN (QEMU's numbering): window
 * 0 is the 32-bit default window present from reset, window 1 the 64-bit
 * dynamic DMA window (DDW) the guest creates through RTAS.  A window is
 * enabled (it has a table) or not.
 *
 * Every change of the tables is announced to the PHB's listeners as a
 * batch of runs, one batch per hypercall: first the unmaps of entries that
 * lose or change their mapping, then the maps, each run a contiguous bus
 * range onto a contiguous guest-physical range with one permission.  A
 * listener may fail part way; the hypercall then fails and the table is
 * put back to what the listener really has, so the guest's table and the
 * host's mappings always agree.
 */
#ifndef HW_PPC_SPAPR_IOMMU_H
#define HW_PPC_SPAPR_IOMMU_H

#include "hw/ppc/spapr.h"
#include "hw/ppc/spapr_tce.h"
#include "system/memory.h"

typedef struct SpaprPhb SpaprPhb;

#define SPAPR_TCE_PAGE_SHIFT 12

typedef struct SpaprTceWindow {
    SpaprPhb *phb;
    uint32_t liobn;
    unsigned num;              /* slot: 0 or 1 (a DDW takes slot 0 if the default is gone) */
    bool ddw;                  /* created by ibm,create-pe-dma-window, not the default */
    bool enabled;
    uint64_t bus_offset;       /* first bus address */
    uint32_t page_shift;
    uint64_t nb_entries;
    SpaprTceTable *table;
} SpaprTceWindow;

static inline uint64_t spapr_tce_window_size(const SpaprTceWindow *w)
{
    return w->nb_entries << w->page_shift;
}

/* One run of a batch: perm 0 = unmap [iova, iova + size). */
typedef struct SpaprIommuEvent {
    uint64_t iova;
    uint64_t size;
    uint64_t gpa;
    uint32_t perm;             /* TCE_PCI_READ | TCE_PCI_WRITE */
} SpaprIommuEvent;

typedef struct SpaprIommuListenerOps {
    /*
     * Apply @n runs in order.  Returns how many were applied completely;
     * if fewer than @n, the first one not applied left no trace, and
     * *hret says why (H_HARDWARE, H_RESOURCE).
     */
    unsigned (*notify)(void *opaque, SpaprTceWindow *w, const SpaprIommuEvent *ev,
                       unsigned n, int64_t *hret);
    /*
     * A window is about to be enabled.  The listener may move its start
     * (*bus_offset, e.g. where the host can place it) before the guest is
     * told; failure leaves the window disabled.
     */
    gboolean (*window_add)(void *opaque, SpaprTceWindow *w, uint64_t *bus_offset,
                           GError **errp);
    /* A window was disabled (its mappings were unmapped first). */
    void (*window_del)(void *opaque, SpaprTceWindow *w);
} SpaprIommuListenerOps;

void spapr_iommu_listener_add(SpaprPhb *phb, const SpaprIommuListenerOps *ops, void *opaque);
void spapr_iommu_listener_del(SpaprPhb *phb, const SpaprIommuListenerOps *ops, void *opaque);

/* Set up the PHB's two (disabled) windows and their LIOBNs. */
void spapr_phb_iommu_init(SpaprPhb *phb);
/* Disable both windows (unmapping everything) and free the tables. */
void spapr_phb_iommu_fini(SpaprPhb *phb);
/* Reset state: only the default window, empty. */
gboolean spapr_phb_iommu_reset(SpaprPhb *phb, GError **errp);

/*
 * Enable @w with @nb_entries entries of 2^@page_shift bytes at *@bus_offset
 * (listeners may move it).  Fails if a listener refuses or it would
 * overlap the other window.
 */
gboolean spapr_tce_window_enable(SpaprTceWindow *w, uint64_t *bus_offset, uint32_t page_shift,
                                 uint64_t nb_entries, GError **errp);
void spapr_tce_window_disable(SpaprTceWindow *w);
unsigned spapr_phb_windows_enabled(SpaprPhb *phb);

/* The window with @liobn on any PHB, or NULL. */
SpaprTceWindow *spapr_tce_find_window(SpaprMachine *spapr, uint32_t liobn);

/*
 * Change @n entries from @entry on: new values from @tces (or @stuff for
 * every entry when @tces is NULL).  Values were validated by the caller.
 * Announces the batch; returns H_SUCCESS or the listener's failure.
 */
int64_t spapr_tce_window_update(SpaprTceWindow *w, uint64_t entry, uint64_t n,
                                const uint64_t *tces, uint64_t stuff);

/*
 * A device DMA of @len bytes at bus address @addr through the PHB's
 * windows.  Every page must be mapped with the needed permission and lie
 * in guest RAM, else nothing is transferred, the PHB's fault count grows
 * and MEMTX_ERROR is returned.
 */
MemTxResult spapr_phb_dma_rw(SpaprPhb *phb, uint64_t addr, void *buf, uint64_t len,
                             bool is_write);

/* The TCE hypercalls: H_PUT_TCE, H_GET_TCE, H_STUFF_TCE, H_PUT_TCE_INDIRECT. */
void spapr_tce_register_hcalls(void);
/* The DDW RTAS calls. */
void spapr_ddw_register_rtas(void);

/*
 * Page sizes a DDW may use on @phb: the pgsz property intersected with
 * what its backend supports (bit n set = 2^n bytes).
 */
uint64_t spapr_phb_ddw_page_mask(SpaprPhb *phb);

#endif
