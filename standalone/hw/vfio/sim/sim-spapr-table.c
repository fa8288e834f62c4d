/*
 * vfio-sim TCE tables: the entries of one sPAPR window, and the PowerNV
 * rules for how much memory a table takes and which geometries exist.
 */
#include "qemu/osdep.h"
#include "sim-spapr.h"

static gint cmp_entry(gconstpointer a, gconstpointer b, gpointer unused)
{
    gsize x = GPOINTER_TO_SIZE(a), y = GPOINTER_TO_SIZE(b);

    return x < y ? -1 : x > y;
}

uint64_t sim_tce_table_bytes(unsigned page_shift, uint64_t window_size, unsigned levels,
                             unsigned sys_page_shift)
{
    unsigned entries_shift, table_shift;
    uint64_t tce_table_size, direct, bytes = 0;

    if (!levels || levels > SIM_TCE_MAX_LEVELS || !window_size ||
        (window_size & (window_size - 1)) || window_size < (1ull << page_shift)) {
        return 0;
    }
    entries_shift = __builtin_ctzll(window_size) - page_shift;
    table_shift = entries_shift + 3;
    /* a table of 2^61 bytes and more cannot exist: refuse before shifting out */
    if (table_shift > 60) {
        return 0;
    }
    tce_table_size = MAX(0x1000ull, 1ull << table_shift);
    /* each level is a "direct" table of at least one host page */
    entries_shift = (entries_shift + levels - 1) / levels;
    table_shift = MAX(entries_shift + 3, sys_page_shift);
    direct = 1ull << table_shift;
    for (; levels; --levels) {
        bytes += SIM_ROUND_UP(tce_table_size, direct);
        tce_table_size /= direct;
        tce_table_size <<= 3;
        tce_table_size = MAX(tce_table_size, direct);
    }
    /* one for the hardware table, one for its userspace copy */
    return bytes + bytes;
}

bool sim_tce_table_geometry_ok(unsigned page_shift, uint64_t window_size, unsigned levels,
                               unsigned sys_page_shift)
{
    unsigned entries_shift = __builtin_ctzll(window_size) - page_shift;
    unsigned level_shift = MAX((entries_shift + levels - 1) / levels + 3, sys_page_shift);

    return (level_shift - 3) * levels + page_shift < 55;
}

SimTceTable *sim_tce_table_new(uint64_t bus_offset, unsigned page_shift, uint64_t window_size,
                               unsigned levels)
{
    SimTceTable *t = g_new0(SimTceTable, 1);

    t->bus_offset = bus_offset;
    t->page_shift = page_shift;
    t->offset = bus_offset >> page_shift;
    t->entries = window_size >> page_shift;
    t->levels = levels;
    t->tces = g_tree_new_full(cmp_entry, NULL, NULL, NULL);
    return t;
}

void sim_tce_table_free(SimTceTable *t)
{
    g_assert(!g_tree_nnodes(t->tces));
    g_tree_unref(t->tces);
    g_free(t);
}

bool sim_tce_table_contains(SimTceTable *t, uint64_t iova)
{
    uint64_t entry = iova >> t->page_shift;

    return entry >= t->offset && entry - t->offset < t->entries;
}

uint64_t sim_tce_page_mask(SimTceTable *t)
{
    return (1ull << t->page_shift) - 1;
}

uint64_t sim_tce_get(SimTceTable *t, uint64_t entry)
{
    return GPOINTER_TO_SIZE(g_tree_lookup(t->tces, GSIZE_TO_POINTER(entry)));
}

uint64_t sim_tce_xchg(SimTceTable *t, uint64_t entry, uint64_t tce)
{
    uint64_t old = sim_tce_get(t, entry);

    /* a TCE always has a permission bit, so 0 never is a stored value */
    if (tce) {
        g_tree_insert(t->tces, GSIZE_TO_POINTER(entry), GSIZE_TO_POINTER(tce));
    } else if (old) {
        g_tree_remove(t->tces, GSIZE_TO_POINTER(entry));
    }
    return old;
}

typedef struct Collect {
    uint64_t first, last;      /* inclusive */
    GArray *keys;
} Collect;

static gboolean collect_one(gpointer key, gpointer value, gpointer opaque)
{
    Collect *co = opaque;
    uint64_t e = GPOINTER_TO_SIZE(key);

    if (e > co->last) {
        return TRUE;
    }
    if (e >= co->first) {
        g_array_append_val(co->keys, e);
    }
    return FALSE;
}

GArray *sim_tce_used(SimTceTable *t, uint64_t entry, uint64_t pages)
{
    Collect co = { .first = entry, .last = entry + pages - 1,
                   .keys = g_array_new(FALSE, FALSE, sizeof(uint64_t)) };

    if (pages) {
        g_tree_foreach(t->tces, collect_one, &co);
    }
    return co.keys;
}

unsigned sim_tce_count(SimTceTable *t)
{
    return g_tree_nnodes(t->tces);
}

typedef struct Run {
    SimTceTable *t;
    void (*fn)(uint64_t iova, uint64_t size, uint64_t ua, unsigned perm, void *opaque);
    void *opaque;
    bool open;
    uint64_t iova, size, ua;
    unsigned perm;
} Run;

static gboolean run_one(gpointer key, gpointer value, gpointer opaque)
{
    Run *r = opaque;
    uint64_t psize = 1ull << r->t->page_shift;
    uint64_t iova = GPOINTER_TO_SIZE(key) << r->t->page_shift;
    uint64_t tce = GPOINTER_TO_SIZE(value);
    uint64_t ua = tce & ~sim_tce_page_mask(r->t);
    unsigned perm = tce & SIM_TCE_PERM;

    if (r->open && r->iova + r->size == iova && r->ua + r->size == ua && r->perm == perm) {
        r->size += psize;
        return FALSE;
    }
    if (r->open) {
        r->fn(r->iova, r->size, r->ua, r->perm, r->opaque);
    }
    r->open = true;
    r->iova = iova;
    r->size = psize;
    r->ua = ua;
    r->perm = perm;
    return FALSE;
}

void sim_tce_foreach_run(SimTceTable *t,
                         void (*fn)(uint64_t iova, uint64_t size, uint64_t ua, unsigned perm,
                                    void *opaque),
                         void *opaque)
{
    Run r = { .t = t, .fn = fn, .opaque = opaque };

    g_tree_foreach(t->tces, run_one, &r);
    if (r.open) {
        fn(r.iova, r.size, r.ua, r.perm, opaque);
    }
}
