/*
 * sPAPR TCE tables (one per window) with the PowerNV rules for their size
 * and geometry, and memory preregistration, which the kernel keeps per
 * process (arch/powerpc/mm/book3s64/iommu_api.c): a region is pinned and
 * charged once whichever containers register it, a v2 MAP may use any
 * registered region, a region TCEs point into cannot be unregistered.
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include "fake-spapr.h"

static gint cmp_entry(gconstpointer a, gconstpointer b, gpointer unused)
{
    gsize x = GPOINTER_TO_SIZE(a), y = GPOINTER_TO_SIZE(b);

    return x < y ? -1 : x > y;
}

/*
 * The model of a PowerNV TCE table that the two functions below share.
 * A window of 2^W bytes in IOMMU pages of 2^P bytes has 2^(W - P) TCEs
 * of 8 bytes.  A table of @levels levels spreads the bits of a TCE's
 * index evenly over its levels (the top level gets the short share), so
 * every block of every level, leaf or not, has room for 2^ceil(bits /
 * levels) 8-byte slots, and is never smaller than one host page, the
 * unit the kernel allocates in.
 */
#define TCE_SLOT_SHIFT  3       /* a TCE, or a pointer to a lower block */
#define TCE_ADDR_BITS   55      /* what PowerNV's TVE can translate */

/* log2 of the bytes of one block of a table with @index_bits-bit index. */
static unsigned tce_block_shift(unsigned index_bits, unsigned levels)
{
    unsigned per_level = index_bits / levels + !!(index_bits % levels);

    return MAX(per_level + TCE_SLOT_SHIFT, fake->page_shift);
}

uint64_t fake_tce_table_bytes(unsigned page_shift, uint64_t window_size,
                              unsigned levels)
{
    unsigned index_bits, block_shift;
    uint64_t blocks, all_blocks = 0;

    if (!levels || levels > FAKE_TCE_MAX_LEVELS || !window_size ||
        (window_size & (window_size - 1)) ||
        window_size < (1ULL << page_shift)) {
        return 0;
    }
    index_bits = __builtin_ctzll(window_size) - page_shift;
    if (index_bits + TCE_SLOT_SHIFT > 60) {
        /* no host could hold it, and the sums below would overflow */
        return 0;
    }
    block_shift = tce_block_shift(index_bits, levels);
    /*
     * Count blocks from the leaves up: the leaves hold every TCE, each
     * level above holds one pointer per block of the level below; any
     * level, however empty, takes at least one block.
     */
    blocks = MAX(1, (1ULL << (index_bits + TCE_SLOT_SHIFT)) >> block_shift);
    for (unsigned l = 0; l < levels; l++) {
        all_blocks += blocks;
        blocks = MAX(1, (blocks << TCE_SLOT_SHIFT) >> block_shift);
    }
    /*
     * The kernel charges locked memory for the table the hardware walks
     * and again for the copy of it that keeps userspace addresses.
     */
    return 2 * (all_blocks << block_shift);
}

bool fake_tce_table_geometry_ok(unsigned page_shift, uint64_t window_size,
                                unsigned levels)
{
    unsigned index_bits = __builtin_ctzll(window_size) - page_shift;
    unsigned slots_shift = tce_block_shift(index_bits, levels) -
                           TCE_SLOT_SHIFT;

    /*
     * Rounding each level up to a host page may let the levels together
     * index more pages than the window has: all that they could reach
     * must still be below the hardware's address limit.
     */
    return slots_shift * levels + page_shift < TCE_ADDR_BITS;
}

FakeTceTable *fake_tce_table_new(uint64_t bus_offset, unsigned page_shift,
                                 uint64_t window_size, unsigned levels)
{
    FakeTceTable *t = g_new0(FakeTceTable, 1);

    t->bus_offset = bus_offset;
    t->page_shift = page_shift;
    t->offset = bus_offset >> page_shift;
    t->entries = window_size >> page_shift;
    t->levels = levels;
    t->tces = g_tree_new_full(cmp_entry, NULL, NULL, NULL);
    return t;
}

void fake_tce_table_free(FakeTceTable *t)
{
    g_assert(!g_tree_nnodes(t->tces));
    g_tree_unref(t->tces);
    g_free(t);
}

bool fake_tce_table_contains(FakeTceTable *t, uint64_t iova)
{
    uint64_t entry = iova >> t->page_shift;

    return entry >= t->offset && entry - t->offset < t->entries;
}

uint64_t fake_tce_page_mask(FakeTceTable *t)
{
    return (1ULL << t->page_shift) - 1;
}

uint64_t fake_tce_get(FakeTceTable *t, uint64_t entry)
{
    return GPOINTER_TO_SIZE(g_tree_lookup(t->tces, GSIZE_TO_POINTER(entry)));
}

uint64_t fake_tce_xchg(FakeTceTable *t, uint64_t entry, uint64_t tce)
{
    uint64_t old = fake_tce_get(t, entry);

    /* a TCE always has a permission bit, so 0 is never stored */
    if (tce) {
        g_tree_insert(t->tces, GSIZE_TO_POINTER(entry),
                      GSIZE_TO_POINTER(tce));
    } else if (old) {
        g_tree_remove(t->tces, GSIZE_TO_POINTER(entry));
    }
    return old;
}

/*
 * Entries [first, last], inclusive, that g_tree_search() looks for; the
 * callback notes which entry matched, as the search returns its TCE.
 */
typedef struct EntryRange {
    uint64_t first, last;
    uint64_t match;
} EntryRange;

static gint entry_vs_range(gconstpointer key, gconstpointer opaque)
{
    uint64_t e = GPOINTER_TO_SIZE(key);
    EntryRange *r = (EntryRange *)opaque;

    if (r->last < e) {
        return -1;
    }
    if (r->first > e) {
        return 1;
    }
    r->match = e;
    return 0;
}

/*
 * Append the entries in use in [first, last] to @keys in order.  A
 * search finds the entry of the range nearest the tree's root; those
 * below and above it are in its two subtrees, found the same way, so
 * the recursion is no deeper than the tree.
 */
static void collect_used(FakeTceTable *t, uint64_t first, uint64_t last,
                         GArray *keys)
{
    EntryRange r = { .first = first, .last = last };

    if (first > last || !g_tree_search(t->tces, entry_vs_range, &r)) {
        return;
    }
    if (r.match > first) {
        collect_used(t, first, r.match - 1, keys);
    }
    g_array_append_val(keys, r.match);
    if (r.match < last) {
        collect_used(t, r.match + 1, last, keys);
    }
}

GArray *fake_tce_used(FakeTceTable *t, uint64_t entry, uint64_t pages)
{
    GArray *keys = g_array_new(FALSE, FALSE, sizeof(uint64_t));

    if (pages) {
        collect_used(t, entry, entry + pages - 1, keys);
    }
    return keys;
}

unsigned fake_tce_count(FakeTceTable *t)
{
    return g_tree_nnodes(t->tces);
}

static void state_run(GString *out, uint64_t iova, uint64_t size,
                      uint64_t ua, unsigned perm)
{
    g_string_append_printf(out, "%s{\"iova\":%" G_GUINT64_FORMAT
                           ",\"size\":%" G_GUINT64_FORMAT
                           ",\"vaddr\":%" G_GUINT64_FORMAT
                           ",\"perm\":\"%s%s\"}",
                           out->str[out->len - 1] == '[' ? "" : ",",
                           iova, size, ua,
                           perm & FAKE_PERM_READ ? "r" : "",
                           perm & FAKE_PERM_WRITE ? "w" : "");
}

/* The run of TCEs fake_tce_state() is building. */
typedef struct TceRun {
    FakeTceTable *t;
    GString *out;
    uint64_t iova, size, ua;
    unsigned perm;
} TceRun;

static void run_flush(TceRun *run)
{
    if (run->size) {
        state_run(run->out, run->iova, run->size, run->ua, run->perm);
    }
}

static gboolean run_add(gpointer key, gpointer value, gpointer opaque)
{
    TceRun *run = opaque;
    uint64_t psize = 1ULL << run->t->page_shift;
    uint64_t iova = GPOINTER_TO_SIZE(key) << run->t->page_shift;
    uint64_t tce = GPOINTER_TO_SIZE(value);
    uint64_t ua = tce & ~fake_tce_page_mask(run->t);
    unsigned perm = tce & FAKE_PERM_RW;

    if (run->size && run->iova + run->size == iova &&
        run->ua + run->size == ua && run->perm == perm) {
        run->size += psize;
        return FALSE;
    }
    run_flush(run);
    run->iova = iova;
    run->size = psize;
    run->ua = ua;
    run->perm = perm;
    return FALSE;
}

void fake_tce_state(FakeTceTable *t, GString *out)
{
    TceRun run = { .t = t, .out = out };

    g_tree_foreach(t->tces, run_add, &run);     /* in entry order */
    run_flush(&run);
}

/* Preregistration -------------------------------------------------------- */

FakePrereg *fake_prereg_lookup(uint64_t ua, uint64_t size)
{
    for (guint i = 0; i < fake->prereg->len; i++) {
        FakePrereg *m = g_ptr_array_index(fake->prereg, i);
        if (m->ua <= ua && ua + size <= m->ua + m->size) {
            return m;
        }
    }
    return NULL;
}

FakePrereg *fake_prereg_get(uint64_t ua, uint64_t size)
{
    for (guint i = 0; i < fake->prereg->len; i++) {
        FakePrereg *m = g_ptr_array_index(fake->prereg, i);
        if (m->ua == ua && m->size == size) {
            return m;
        }
    }
    return NULL;
}

int fake_prereg_new(uint64_t ua, uint64_t size, FakePrereg **out)
{
    FakePrereg *m;
    int ret;

    for (guint i = 0; i < fake->prereg->len; i++) {
        FakePrereg *o = g_ptr_array_index(fake->prereg, i);
        if (o->ua < ua + size && ua < o->ua + o->size) {
            return -EINVAL;
        }
    }
    /* charged first, then pinned: a fault gives the charge back */
    ret = fake_account(size >> fake->page_shift, true);
    if (ret < 0) {
        return ret;
    }
    if (!fake_range_mapped(ua, size)) {
        fake_account(size >> fake->page_shift, false);
        return -EFAULT;
    }
    m = g_new0(FakePrereg, 1);
    m->ua = ua;
    m->size = size;
    m->users = 1;
    g_ptr_array_add(fake->prereg, m);
    *out = m;
    return 0;
}

static void prereg_maybe_free(FakePrereg *m)
{
    if (!m->users && !m->mapped) {
        fake_account(m->size >> fake->page_shift, false);
        g_ptr_array_remove(fake->prereg, m);     /* frees it */
    }
}

int fake_prereg_put(FakePrereg *m, bool force)
{
    if (m->users == 1 && m->mapped && !force) {
        return -EBUSY;
    }
    m->users--;
    prereg_maybe_free(m);
    return 0;
}

void fake_prereg_unmapped(FakePrereg *m)
{
    g_assert(m->mapped);
    m->mapped--;
    prereg_maybe_free(m);
}
