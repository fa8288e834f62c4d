/*
 * Sparse TCE tables: the entries of one sPAPR DMA window.
 *
 * A flat table costs 8 bytes per entry of the window whether the guest
 * maps it or not: 128 MiB for a 1 TiB window at 64 KiB pages.  This one
 * is a radix tree of leaves of 512 entries (4 KiB, what one
 * H_PUT_TCE_INDIRECT list carries) under interior nodes of 512 pointers,
 * so its memory follows the entries in use, about 8 bytes each when they
 * are dense, and an empty table is its header.  A leaf, and every node
 * above it, is freed when its last non-zero entry clears.
 *
 * While the window's IOMMU memory region has notifiers (a VFIO container
 * listens), each leaf also records the host mappings made from it: one
 * byte per entry, 0 or 1 + log2 of the entries of the naturally aligned
 * block of TCEs that one IOMMU notification mapped from there.  A block
 * never leaves its leaf.
 *
 * Copyright (c) 2026 qemu-spapr-vphb authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef HW_PPC_VPHB_SPAPR_TCE_RADIX_H
#define HW_PPC_VPHB_SPAPR_TCE_RADIX_H

#define SPAPR_TCE_RADIX_LEAF_SHIFT      9
#define SPAPR_TCE_RADIX_LEAF_ENTRIES    (1U << SPAPR_TCE_RADIX_LEAF_SHIFT)

typedef struct SpaprTceRadix SpaprTceRadix;

/* A table of @nb_entries entries, all 0 */
SpaprTceRadix *spapr_tce_radix_new(uint64_t nb_entries);
void spapr_tce_radix_free(SpaprTceRadix *t);
/* Set every entry to 0 and free every leaf */
void spapr_tce_radix_clear(SpaprTceRadix *t);

uint64_t spapr_tce_radix_size(const SpaprTceRadix *t);
uint64_t spapr_tce_radix_get(const SpaprTceRadix *t, uint64_t entry);
/* Entries that are not 0 */
uint64_t spapr_tce_radix_used(const SpaprTceRadix *t);
/* Bytes the table holds: header, nodes, leaves, host-mapping records */
uint64_t spapr_tce_radix_memory(const SpaprTceRadix *t);

/*
 * The entries from @entry to the end of its leaf, at most @max: *@n of
 * them at the returned pointer, and their host-mapping records at *@host
 * (NULL when the table does not record them).
 *
 * When the leaf does not exist and !@alloc, returns NULL: the *@n entries
 * from @entry on are 0, as many as the whole missing subtree holds (at
 * most @max), so a walk over an empty region takes one step per missing
 * subtree.  After writing through the pointer, report the change in the
 * number of non-zero entries with spapr_tce_radix_commit().
 */
uint64_t *spapr_tce_radix_span(SpaprTceRadix *t, uint64_t entry, uint64_t max,
                               bool alloc, uint64_t *n, uint8_t **host);
void spapr_tce_radix_commit(SpaprTceRadix *t, uint64_t entry,
                            int64_t used_delta);

/* Store one entry (the slow path: KVM fallbacks, migration) */
void spapr_tce_radix_set(SpaprTceRadix *t, uint64_t entry, uint64_t tce);

/*
 * Start or stop recording host mappings.  Starting gives every existing
 * leaf an empty record, which the caller then fills.
 */
void spapr_tce_radix_set_tracking(SpaprTceRadix *t, bool tracking);
bool spapr_tce_radix_tracking(const SpaprTceRadix *t);

/* Call @fn for every leaf, in entry order, with its first entry */
typedef void SpaprTceRadixLeafFn(uint64_t first, uint64_t *tce, uint8_t *host,
                                 void *opaque);
void spapr_tce_radix_foreach_leaf(SpaprTceRadix *t, SpaprTceRadixLeafFn *fn,
                                  void *opaque);

#endif
