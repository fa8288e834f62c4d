/*
 * vfio-sim sPAPR internals, shared by the driver (sim-spapr.c), its TCE
 * tables (sim-spapr-table.c) and memory preregistration
 * (sim-spapr-mem.c).  As in Linux, a table (entries, page shift, levels,
 * bus offset) and the window owner (at most two windows, create/remove)
 * are kept apart.
 */
#ifndef HW_VFIO_SIM_SPAPR_H
#define HW_VFIO_SIM_SPAPR_H

#include "sim-internal.h"

#define SIM_TCE_PERM        (SIM_PERM_READ | SIM_PERM_WRITE)
#define SIM_TCE_MAX_LEVELS  5              /* POWERNV_IOMMU_MAX_LEVELS */

/* TCE tables ------------------------------------------------------------- */

/*
 * One window's table: entry index (absolute: iova >> page_shift) -> TCE,
 * the host address of the IOMMU page | SIM_PERM_* bits.  Sparse and
 * ordered, so that clearing a huge window visits only the entries in use.
 */
typedef struct SimTceTable {
    uint64_t bus_offset;       /* first IOVA */
    unsigned page_shift;
    uint64_t offset;           /* it_offset: index of the first entry */
    uint64_t entries;          /* it_size */
    unsigned levels;
    uint64_t locked_pages;     /* table memory charged to locked_vm */
    GTree *tces;
} SimTceTable;

/*
 * pnv_pci_ioda2_get_table_size(): bytes a table of @levels levels takes
 * for the window, hardware table and userspace copy; 0 if the geometry is
 * invalid (levels not 1..5, size not a power of two, below a page).
 */
uint64_t sim_tce_table_bytes(unsigned page_shift, uint64_t window_size, unsigned levels,
                             unsigned sys_page_shift);
/* pnv_pci_ioda2_table_alloc_pages(): can @levels levels address 2^55 at most? */
bool sim_tce_table_geometry_ok(unsigned page_shift, uint64_t window_size, unsigned levels,
                               unsigned sys_page_shift);
SimTceTable *sim_tce_table_new(uint64_t bus_offset, unsigned page_shift, uint64_t window_size,
                               unsigned levels);
/* Free @t; its entries must have been cleared. */
void sim_tce_table_free(SimTceTable *t);
bool sim_tce_table_contains(SimTceTable *t, uint64_t iova);
uint64_t sim_tce_page_mask(SimTceTable *t);
/* The TCE at @entry, 0 if empty. */
uint64_t sim_tce_get(SimTceTable *t, uint64_t entry);
/* Store @tce at @entry (0: clear it); the previous TCE, 0 if none. */
uint64_t sim_tce_xchg(SimTceTable *t, uint64_t entry, uint64_t tce);
/* The entries in use in [entry, entry + pages), in order (uint64_t). */
GArray *sim_tce_used(SimTceTable *t, uint64_t entry, uint64_t pages);
unsigned sim_tce_count(SimTceTable *t);
/*
 * Call @fn for each run of entries contiguous in IOVA and in memory with
 * one permission (what x-vfio-sim-query lists as one mapping).
 */
void sim_tce_foreach_run(SimTceTable *t,
                         void (*fn)(uint64_t iova, uint64_t size, uint64_t ua, unsigned perm,
                                    void *opaque),
                         void *opaque);

/* Preregistered memory (arch/powerpc/mm/book3s64/iommu_api.c) ------------- */

/* mm_iommu_lookup(): the region holding [ua, ua + size), any container's. */
SimPrereg *sim_prereg_lookup(VfioSim *sim, uint64_t ua, uint64_t size);
/* mm_iommu_get(): the region registered with exactly these bounds. */
SimPrereg *sim_prereg_get(VfioSim *sim, uint64_t ua, uint64_t size);
/*
 * mm_iommu_new(): register [ua, ua + size) for the process: -EINVAL if it
 * overlaps another region, -ENOMEM over the locked-memory limit, -EFAULT
 * if it is not mapped (cannot be pinned).
 */
int sim_prereg_new(VfioSim *sim, uint64_t ua, uint64_t size, SimPrereg **out);
/*
 * mm_iommu_put(): a container drops its registration.  The last one may
 * not while TCEs point into the region (-EBUSY), unless @force (container
 * release): the region then goes with its last TCE.
 */
int sim_prereg_put(VfioSim *sim, SimPrereg *m, bool force);
/* A TCE pointing into @m was cleared. */
void sim_prereg_unmapped(VfioSim *sim, SimPrereg *m);

#endif
