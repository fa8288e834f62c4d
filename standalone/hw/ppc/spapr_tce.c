/*
 * Sparse TCE tables (see spapr_tce.h).
 */
#include "qemu/osdep.h"
#include "hw/ppc/spapr_tce.h"

#define FANOUT_SHIFT SPAPR_TCE_LEAF_SHIFT
#define FANOUT (1u << FANOUT_SHIFT)

typedef struct TceLeaf {
    uint64_t tce[FANOUT];
    uint32_t used;             /* non-zero entries */
} TceLeaf;

typedef struct TceNode {
    void *child[FANOUT];       /* TceNode * or TceLeaf * one level down */
    uint32_t used;             /* non-NULL children */
} TceNode;

struct SpaprTceTable {
    uint64_t nb_entries;
    unsigned levels;           /* interior levels above the leaves (0: one leaf) */
    void *root;                /* TceNode (levels > 0) or TceLeaf */
    uint64_t used;
    uint64_t memory;
};

SpaprTceTable *spapr_tce_table_new(uint64_t nb_entries)
{
    SpaprTceTable *t = g_new0(SpaprTceTable, 1);
    uint64_t span = FANOUT;

    t->nb_entries = nb_entries;
    while (span < nb_entries) {
        span <<= FANOUT_SHIFT;
        t->levels++;
    }
    return t;
}

static void free_subtree(void *p, unsigned level)
{
    TceNode *n = p;

    if (!p) {
        return;
    }
    if (level) {
        for (unsigned i = 0; i < FANOUT; i++) {
            free_subtree(n->child[i], level - 1);
        }
    }
    g_free(p);
}

void spapr_tce_table_clear(SpaprTceTable *t)
{
    free_subtree(t->root, t->levels);
    t->root = NULL;
    t->used = 0;
    t->memory = 0;
}

void spapr_tce_table_free(SpaprTceTable *t)
{
    if (t) {
        spapr_tce_table_clear(t);
        g_free(t);
    }
}

uint64_t spapr_tce_table_size(const SpaprTceTable *t)
{
    return t->nb_entries;
}

uint64_t spapr_tce_table_used(const SpaprTceTable *t)
{
    return t->used;
}

uint64_t spapr_tce_table_memory(const SpaprTceTable *t)
{
    return sizeof(*t) + t->memory;
}

static unsigned slot(uint64_t entry, unsigned level)
{
    return (entry >> (FANOUT_SHIFT * (level + 1))) & (FANOUT - 1);
}

/*
 * The leaf holding @entry; with @alloc, create the path to it.  Without,
 * NULL if something on the path is missing, and *@missing_shift (if not
 * NULL) says how large the missing subtree is: 2^shift entries, all 0.
 */
static TceLeaf *walk(SpaprTceTable *t, uint64_t entry, bool alloc, unsigned *missing_shift)
{
    void **pp = &t->root;

    for (unsigned level = t->levels; level > 0; level--) {
        TceNode *n = *pp;
        if (!n) {
            if (!alloc) {
                if (missing_shift) {
                    *missing_shift = FANOUT_SHIFT * (level + 1);
                }
                return NULL;
            }
            n = *pp = g_new0(TceNode, 1);
            t->memory += sizeof(TceNode);
        }
        pp = &n->child[slot(entry, level - 1)];
        if (!*pp && alloc) {
            n->used++;          /* the child is created by the next step */
        }
    }
    if (!*pp) {
        if (!alloc) {
            if (missing_shift) {
                *missing_shift = FANOUT_SHIFT;
            }
            return NULL;
        }
        *pp = g_new0(TceLeaf, 1);
        t->memory += sizeof(TceLeaf);
    }
    return *pp;
}

static TceLeaf *find_leaf(SpaprTceTable *t, uint64_t entry, bool alloc)
{
    return walk(t, entry, alloc, NULL);
}

/* Free the leaf of @entry, and nodes left empty, after its last entry cleared. */
static void prune(SpaprTceTable *t, uint64_t entry)
{
    void **path[16];
    TceNode *nodes[16];
    void **pp = &t->root;
    unsigned depth = 0;

    for (unsigned level = t->levels; level > 0; level--) {
        TceNode *n = *pp;
        nodes[depth] = n;
        path[depth++] = pp;
        pp = &n->child[slot(entry, level - 1)];
    }
    g_free(*pp);
    *pp = NULL;
    t->memory -= sizeof(TceLeaf);
    while (depth--) {
        TceNode *n = nodes[depth];
        if (--n->used) {
            break;
        }
        g_free(n);
        *path[depth] = NULL;
        t->memory -= sizeof(TceNode);
    }
}

uint64_t spapr_tce_get(const SpaprTceTable *t, uint64_t entry)
{
    TceLeaf *leaf = find_leaf((SpaprTceTable *)t, entry, false);

    return leaf ? leaf->tce[entry & (FANOUT - 1)] : 0;
}

uint64_t spapr_tce_set(SpaprTceTable *t, uint64_t entry, uint64_t tce)
{
    TceLeaf *leaf;
    uint64_t old;

    g_assert(entry < t->nb_entries);
    leaf = find_leaf(t, entry, tce != 0);
    if (!leaf) {
        return 0;               /* clearing an entry that was never set */
    }
    old = leaf->tce[entry & (FANOUT - 1)];
    leaf->tce[entry & (FANOUT - 1)] = tce;
    if (!old && tce) {
        leaf->used++;
        t->used++;
    } else if (old && !tce) {
        t->used--;
        if (!--leaf->used) {
            prune(t, entry);
        }
    }
    return old;
}

uint64_t *spapr_tce_leaf_span(SpaprTceTable *t, uint64_t entry, uint64_t max, bool alloc,
                              uint64_t *n)
{
    uint64_t off = entry & (FANOUT - 1);
    unsigned shift = 0;
    TceLeaf *leaf = walk(t, entry, alloc, &shift);

    if (leaf) {
        *n = MIN(max, FANOUT - off);
        return &leaf->tce[off];
    }
    /* the rest of the missing subtree is 0 too: skip it in one step */
    *n = shift >= 64 ? max : MIN(max, (1ull << shift) - (entry & ((1ull << shift) - 1)));
    return NULL;
}

void spapr_tce_leaf_commit(SpaprTceTable *t, uint64_t entry, int64_t used_delta)
{
    TceLeaf *leaf = find_leaf(t, entry, false);

    if (!leaf) {
        return;
    }
    leaf->used += used_delta;
    t->used += used_delta;
    if (!leaf->used) {
        prune(t, entry);
    }
}

static void foreach_subtree(void *p, unsigned level, uint64_t base,
                            void (*fn)(uint64_t, uint64_t, void *), void *opaque)
{
    if (!p) {
        return;
    }
    if (level == 0) {
        TceLeaf *leaf = p;
        for (unsigned i = 0; i < FANOUT; i++) {
            if (leaf->tce[i]) {
                fn(base + i, leaf->tce[i], opaque);
            }
        }
        return;
    }
    for (unsigned i = 0; i < FANOUT; i++) {
        TceNode *n = p;
        foreach_subtree(n->child[i], level - 1,
                        base + ((uint64_t)i << (FANOUT_SHIFT * level)), fn, opaque);
    }
}

void spapr_tce_table_foreach(const SpaprTceTable *t,
                             void (*fn)(uint64_t entry, uint64_t tce, void *opaque),
                             void *opaque)
{
    foreach_subtree(t->root, t->levels, 0, fn, opaque);
}
