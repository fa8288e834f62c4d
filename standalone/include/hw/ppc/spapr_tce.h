/*
 * TCE tables: the entries of one DMA window, stored sparsely.
 *
 * A window of 2^40 bytes at 64 KiB pages has 16M entries; a flat table
 * would cost 128 MiB even when the guest maps nothing.  This table is a
 * radix tree of 4 KiB leaves (512 entries, what one H_PUT_TCE_INDIRECT
 * page carries) under interior nodes of 512 pointers: memory grows with
 * the entries in use (about 8 bytes each), and an empty table costs only
 * its 40-byte header.  Leaves and nodes are freed when their last entry clears.
 *
 * Entries are TCE values as the guest wrote them (real address | perm
 * bits); 0 means "no mapping".  Indices are entry numbers in the window.
 */
#ifndef HW_PPC_SPAPR_TCE_H
#define HW_PPC_SPAPR_TCE_H

#include "qemu/osdep.h"

#define TCE_PCI_READ   0x1ull
#define TCE_PCI_WRITE  0x2ull
#define TCE_PERM_MASK  (TCE_PCI_READ | TCE_PCI_WRITE)

#define SPAPR_TCE_LEAF_SHIFT 9
#define SPAPR_TCE_LEAF_ENTRIES (1u << SPAPR_TCE_LEAF_SHIFT)

typedef struct SpaprTceTable SpaprTceTable;

/* A table of @nb_entries entries, all 0. */
SpaprTceTable *spapr_tce_table_new(uint64_t nb_entries);
void spapr_tce_table_free(SpaprTceTable *t);
uint64_t spapr_tce_table_size(const SpaprTceTable *t);

uint64_t spapr_tce_get(const SpaprTceTable *t, uint64_t entry);
/* Store @tce at @entry (entry < size); returns the previous value. */
uint64_t spapr_tce_set(SpaprTceTable *t, uint64_t entry, uint64_t tce);

/*
 * Contiguous entries starting at @entry, up to the end of its leaf and at
 * most @max: a pointer into the leaf.  For bulk reads and writes without
 * a walk per entry; after writing through it, call
 * spapr_tce_leaf_commit() with the change in non-zero entries.
 * NULL if the leaf does not exist and !@alloc: then *n entries from
 * @entry on (at most @max) are 0, as many as the missing subtree holds,
 * so that a walk over an empty region takes one step per missing node
 * rather than one per leaf.
 */
uint64_t *spapr_tce_leaf_span(SpaprTceTable *t, uint64_t entry, uint64_t max, bool alloc,
                              uint64_t *n);
void spapr_tce_leaf_commit(SpaprTceTable *t, uint64_t entry, int64_t used_delta);

/* Entries that are not 0. */
uint64_t spapr_tce_table_used(const SpaprTceTable *t);
/* Bytes allocated for the table (nodes and leaves, not counting malloc overhead). */
uint64_t spapr_tce_table_memory(const SpaprTceTable *t);

/* Call @fn for every non-zero entry, in entry order. */
void spapr_tce_table_foreach(const SpaprTceTable *t,
                             void (*fn)(uint64_t entry, uint64_t tce, void *opaque),
                             void *opaque);
/* Set every entry to 0 and free the leaves. */
void spapr_tce_table_clear(SpaprTceTable *t);

#endif
