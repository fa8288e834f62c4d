/*
 * sPAPR TCE internals shared by the driver (fake-spapr.c) and its tables
 * and memory preregistration (fake-spapr-table.c).  As in Linux, a table
 * (entries, page shift, levels, bus offset) and the window owner (at most
 * two windows, create/remove) are kept apart.
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef VFIO_FAKE_SPAPR_H
#define VFIO_FAKE_SPAPR_H

#include "fake.h"

#define FAKE_TCE_MAX_LEVELS  5          /* POWERNV_IOMMU_MAX_LEVELS */

/*
 * One window's table: entry index (iova >> page_shift) -> TCE, the host
 * address of the IOMMU page | FAKE_PERM_* bits.  Sparse and ordered, so
 * clearing a huge window visits only the entries in use.
 */
typedef struct FakeTceTable {
    uint64_t bus_offset;       /* first IOVA */
    unsigned page_shift;
    uint64_t offset;           /* index of the first entry */
    uint64_t entries;
    unsigned levels;
    uint64_t locked_pages;     /* table memory charged to locked_vm */
    GTree *tces;
} FakeTceTable;

/*
 * The locked memory a table of @levels levels is charged (the table and
 * the kernel's userspace-view copy of it); 0 if no such table can exist.
 */
uint64_t fake_tce_table_bytes(unsigned page_shift, uint64_t window_size,
                              unsigned levels);
/* Does what @levels levels can index stay below 2^55 bytes? */
bool fake_tce_table_geometry_ok(unsigned page_shift, uint64_t window_size,
                                unsigned levels);
FakeTceTable *fake_tce_table_new(uint64_t bus_offset, unsigned page_shift,
                                 uint64_t window_size, unsigned levels);
/* Free @t; its entries must have been cleared. */
void fake_tce_table_free(FakeTceTable *t);
bool fake_tce_table_contains(FakeTceTable *t, uint64_t iova);
uint64_t fake_tce_page_mask(FakeTceTable *t);
/* The TCE at @entry, 0 if empty. */
uint64_t fake_tce_get(FakeTceTable *t, uint64_t entry);
/* Store @tce at @entry (0 clears it); the previous TCE, 0 if none. */
uint64_t fake_tce_xchg(FakeTceTable *t, uint64_t entry, uint64_t tce);
/* The entries in use in [entry, entry + pages), in order (uint64_t). */
GArray *fake_tce_used(FakeTceTable *t, uint64_t entry, uint64_t pages);
unsigned fake_tce_count(FakeTceTable *t);
/* Append the runs contiguous in IOVA and memory as JSON mappings. */
void fake_tce_state(FakeTceTable *t, GString *out);

/* mm_iommu_lookup(): the region holding [ua, ua + size), any container's. */
FakePrereg *fake_prereg_lookup(uint64_t ua, uint64_t size);
/* mm_iommu_get(): the region registered with exactly these bounds. */
FakePrereg *fake_prereg_get(uint64_t ua, uint64_t size);
/*
 * mm_iommu_new(): register [ua, ua + size): -EINVAL if it overlaps
 * another region, -ENOMEM over the memlock limit, -EFAULT if unmapped.
 */
int fake_prereg_new(uint64_t ua, uint64_t size, FakePrereg **out);
/*
 * mm_iommu_put(): a container drops its registration; the last one may
 * not while TCEs point into the region (-EBUSY) unless @force.
 */
int fake_prereg_put(FakePrereg *m, bool force);
/* A TCE pointing into @m was cleared. */
void fake_prereg_unmapped(FakePrereg *m);

#endif
