/*
 * Sparse TCE tables (include/hw/ppc/vphb/spapr_tce_radix.h)
 *
 * Copyright (c) 2026 qemu-spapr-vphb authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"
#include "hw/ppc/vphb/spapr_tce_radix.h"

#define FANOUT_SHIFT    SPAPR_TCE_RADIX_LEAF_SHIFT
#define FANOUT          (1U << FANOUT_SHIFT)
/* 2^64 entries at most: 7 levels of 9 bits above a leaf */
#define MAX_LEVELS      7

typedef struct TceLeaf {
    uint64_t tce[FANOUT];
    uint32_t used;              /* non-zero entries */
    uint8_t *host;              /* host-mapping records, when tracking */
} TceLeaf;

typedef struct TceNode {
    void *child[FANOUT];        /* a TceNode, or a TceLeaf one level down */
    uint32_t used;              /* non-NULL children */
} TceNode;

struct SpaprTceRadix {
    uint64_t nb_entries;
    unsigned levels;            /* interior levels above the leaves */
    bool tracking;
    void *root;                 /* a TceNode, or the TceLeaf if levels == 0 */
    uint64_t used;
    uint64_t memory;
};

SpaprTceRadix *spapr_tce_radix_new(uint64_t nb_entries)
{
    SpaprTceRadix *t = g_new0(SpaprTceRadix, 1);
    unsigned span_shift = FANOUT_SHIFT;

    t->nb_entries = nb_entries;
    while (span_shift < 64 && (1ULL << span_shift) < nb_entries) {
        span_shift += FANOUT_SHIFT;
        t->levels++;
    }
    return t;
}

static void leaf_free(SpaprTceRadix *t, TceLeaf *leaf)
{
    if (leaf->host) {
        g_free(leaf->host);
        t->memory -= FANOUT;
    }
    g_free(leaf);
    t->memory -= sizeof(TceLeaf);
}

static void free_subtree(SpaprTceRadix *t, void *p, unsigned level)
{
    TceNode *n = p;

    if (!p) {
        return;
    }
    if (!level) {
        leaf_free(t, p);
        return;
    }
    for (unsigned i = 0; i < FANOUT; i++) {
        free_subtree(t, n->child[i], level - 1);
    }
    g_free(n);
    t->memory -= sizeof(TceNode);
}

void spapr_tce_radix_clear(SpaprTceRadix *t)
{
    free_subtree(t, t->root, t->levels);
    t->root = NULL;
    t->used = 0;
    assert(t->memory == 0);
}

void spapr_tce_radix_free(SpaprTceRadix *t)
{
    if (t) {
        spapr_tce_radix_clear(t);
        g_free(t);
    }
}

uint64_t spapr_tce_radix_size(const SpaprTceRadix *t)
{
    return t->nb_entries;
}

uint64_t spapr_tce_radix_used(const SpaprTceRadix *t)
{
    return t->used;
}

uint64_t spapr_tce_radix_memory(const SpaprTceRadix *t)
{
    return sizeof(*t) + t->memory;
}

bool spapr_tce_radix_tracking(const SpaprTceRadix *t)
{
    return t->tracking;
}

/* The child slot of @entry in a node @level levels above the leaves */
static unsigned slot(uint64_t entry, unsigned level)
{
    return (entry >> (FANOUT_SHIFT * level)) & (FANOUT - 1);
}

static TceLeaf *leaf_new(SpaprTceRadix *t)
{
    TceLeaf *leaf = g_new0(TceLeaf, 1);

    t->memory += sizeof(TceLeaf);
    if (t->tracking) {
        leaf->host = g_malloc0(FANOUT);
        t->memory += FANOUT;
    }
    return leaf;
}

/*
 * The leaf of @entry.  With @alloc the path to it is created; without, a
 * missing part gives NULL and *@missing_shift: the missing subtree holds
 * 2^shift entries, all 0.
 */
static TceLeaf *walk(SpaprTceRadix *t, uint64_t entry, bool alloc,
                     unsigned *missing_shift)
{
    void **pp = &t->root;

    for (unsigned level = t->levels; level > 0; level--) {
        TceNode *n = *pp;

        if (!n) {
            if (!alloc) {
                *missing_shift = FANOUT_SHIFT * (level + 1);
                return NULL;
            }
            n = *pp = g_new0(TceNode, 1);
            t->memory += sizeof(TceNode);
        }
        pp = &n->child[slot(entry, level)];
        if (!*pp && alloc) {
            n->used++;          /* the next step creates the child */
        }
    }
    if (!*pp) {
        if (!alloc) {
            *missing_shift = FANOUT_SHIFT;
            return NULL;
        }
        *pp = leaf_new(t);
    }
    return *pp;
}

/* Free the leaf of @entry, whose last entry cleared, and emptied nodes */
static void prune(SpaprTceRadix *t, uint64_t entry)
{
    void **path[MAX_LEVELS];
    TceNode *nodes[MAX_LEVELS];
    void **pp = &t->root;
    unsigned depth = 0;

    for (unsigned level = t->levels; level > 0; level--) {
        TceNode *n = *pp;

        nodes[depth] = n;
        path[depth++] = pp;
        pp = &n->child[slot(entry, level)];
    }
    leaf_free(t, *pp);
    *pp = NULL;
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

uint64_t spapr_tce_radix_get(const SpaprTceRadix *t, uint64_t entry)
{
    unsigned shift;
    TceLeaf *leaf = walk((SpaprTceRadix *)t, entry, false, &shift);

    return leaf ? leaf->tce[entry & (FANOUT - 1)] : 0;
}

uint64_t *spapr_tce_radix_span(SpaprTceRadix *t, uint64_t entry, uint64_t max,
                               bool alloc, uint64_t *n, uint8_t **host)
{
    uint64_t off = entry & (FANOUT - 1);
    unsigned shift = 0;
    TceLeaf *leaf;

    assert(entry < t->nb_entries && max);
    leaf = walk(t, entry, alloc, &shift);
    if (!leaf) {
        uint64_t left = shift >= 64 ? UINT64_MAX :
                        (1ULL << shift) - (entry & ((1ULL << shift) - 1));

        *n = MIN(max, left);
        *host = NULL;
        return NULL;
    }
    *n = MIN(max, FANOUT - off);
    *host = leaf->host ? &leaf->host[off] : NULL;
    return &leaf->tce[off];
}

void spapr_tce_radix_commit(SpaprTceRadix *t, uint64_t entry,
                            int64_t used_delta)
{
    unsigned shift;
    TceLeaf *leaf;

    leaf = walk(t, entry, false, &shift);
    if (!leaf) {
        assert(!used_delta);
        return;
    }
    leaf->used += used_delta;
    t->used += used_delta;
    if (!leaf->used) {
        prune(t, entry);
    }
}

void spapr_tce_radix_set(SpaprTceRadix *t, uint64_t entry, uint64_t tce)
{
    uint64_t n, *p;
    uint8_t *host;

    p = spapr_tce_radix_span(t, entry, 1, tce != 0, &n, &host);
    if (p) {
        int64_t delta = (tce != 0) - (*p != 0);

        *p = tce;
        spapr_tce_radix_commit(t, entry, delta);
    }
}

static void foreach_subtree(SpaprTceRadix *t, void *p, unsigned level,
                            uint64_t base, SpaprTceRadixLeafFn *fn,
                            void *opaque)
{
    TceNode *n = p;

    if (!p) {
        return;
    }
    if (!level) {
        TceLeaf *leaf = p;

        fn(base, leaf->tce, leaf->host, opaque);
        return;
    }
    for (unsigned i = 0; i < FANOUT; i++) {
        foreach_subtree(t, n->child[i], level - 1,
                        base + ((uint64_t)i << (FANOUT_SHIFT * level)),
                        fn, opaque);
    }
}

void spapr_tce_radix_foreach_leaf(SpaprTceRadix *t, SpaprTceRadixLeafFn *fn,
                                  void *opaque)
{
    foreach_subtree(t, t->root, t->levels, 0, fn, opaque);
}

static void leaf_track(uint64_t first, uint64_t *tce, uint8_t *host,
                       void *opaque)
{
    SpaprTceRadix *t = opaque;
    TceLeaf *leaf = container_of(tce, TceLeaf, tce[0]);

    if (t->tracking && !leaf->host) {
        leaf->host = g_malloc0(FANOUT);
        t->memory += FANOUT;
    } else if (!t->tracking && leaf->host) {
        g_clear_pointer(&leaf->host, g_free);
        t->memory -= FANOUT;
    }
}

void spapr_tce_radix_set_tracking(SpaprTceRadix *t, bool tracking)
{
    t->tracking = tracking;
    spapr_tce_radix_foreach_leaf(t, leaf_track, t);
}
