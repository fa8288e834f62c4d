/*
 * TCE tables and window updates in-process (hw/ppc/spapr_tce.c,
 * spapr_iommu.c): the sparse walk over empty regions, and the batches a
 * listener (a VFIO container) is given, including rollback when it fails
 * part way, checked against a fake host that refuses any inconsistent
 * run (a map over a mapping, an unmap of nothing).
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "qemu/module.h"
#include "hw/ppc/spapr.h"
#include "hw/ppc/spapr_hcall.h"
#include "hw/ppc/spapr_iommu.h"
#include "hw/ppc/spapr_pci.h"

#define RAM (1ull << 30)
#define LIST 0x2000ull
#define PERM 3ull

static SpaprMachine *spapr;

static void machine_up(void)
{
    g_autoptr(GError) err = NULL;
    Machine *m = machine_create(machine_find_class("pseries"), &err);

    g_assert_no_error(err);
    m->ram_size = RAM;
    g_assert_true(machine_start(m, &err));
    g_assert_true(machine_init_done(m, &err));
    spapr = spapr_machine();
}

static void machine_down(void)
{
    machine_destroy(MACHINE(spapr));
    spapr = NULL;
}

static int64_t hcall(uint64_t opcode, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
    uint64_t args[SPAPR_HCALL_MAX_ARGS] = { a0, a1, a2, a3 }, rets[SPAPR_HCALL_MAX_RETS];
    int nrets;

    return spapr_hypercall(spapr, opcode, args, rets, &nrets);
}

/* The fake host ------------------------------------------------------------------ */

typedef struct Host {
    GHashTable *map;           /* bus page -> gpa | perm */
    int fail_at;               /* refuse this run of the next batch (-1: none) */
    bool failed;
    GArray *last;              /* SpaprIommuEvent: the last batch */
    unsigned batches;
} Host;

static unsigned host_notify(void *opaque, SpaprTceWindow *w, const SpaprIommuEvent *ev,
                            unsigned n, int64_t *hret)
{
    Host *h = opaque;
    uint64_t psize = 1ull << w->page_shift;

    g_array_set_size(h->last, 0);
    g_array_append_vals(h->last, ev, n);
    h->batches++;
    for (unsigned i = 0; i < n; i++) {
        if (h->fail_at >= 0 && i == (unsigned)h->fail_at) {
            h->fail_at = -1;
            h->failed = true;
            *hret = H_HARDWARE;
            return i;
        }
        g_assert_cmpuint(ev[i].size, >, 0);
        g_assert_cmpuint(ev[i].size % psize, ==, 0);
        for (uint64_t off = 0; off < ev[i].size; off += psize) {
            gpointer key = GSIZE_TO_POINTER(ev[i].iova + off);
            if (ev[i].perm) {
                /* a mapping is always removed before the page is mapped again */
                g_assert_false(g_hash_table_contains(h->map, key));
                g_hash_table_insert(h->map, key, GSIZE_TO_POINTER((ev[i].gpa + off) | ev[i].perm));
            } else {
                g_assert_true(g_hash_table_remove(h->map, key));
            }
        }
    }
    return n;
}

static const SpaprIommuListenerOps host_ops = { .notify = host_notify };

static Host *host_new(SpaprPhb *phb)
{
    Host *h = g_new0(Host, 1);

    h->map = g_hash_table_new(g_direct_hash, g_direct_equal);
    h->last = g_array_new(FALSE, FALSE, sizeof(SpaprIommuEvent));
    h->fail_at = -1;
    spapr_iommu_listener_add(phb, &host_ops, h);
    return h;
}

static void host_free(SpaprPhb *phb, Host *h)
{
    spapr_iommu_listener_del(phb, &host_ops, h);
    g_hash_table_unref(h->map);
    g_array_unref(h->last);
    g_free(h);
}

typedef struct Agree {
    SpaprTceWindow *w;
    Host *h;
    guint mapped;
} Agree;

static void agree_one(uint64_t entry, uint64_t tce, void *opaque)
{
    Agree *a = opaque;
    uint64_t psize = 1ull << a->w->page_shift;
    gpointer v;

    if (!(tce & PERM)) {
        return;
    }
    v = g_hash_table_lookup(a->h->map, GSIZE_TO_POINTER(a->w->bus_offset + entry * psize));
    g_assert_cmphex(GPOINTER_TO_SIZE(v), ==, (tce & ~(psize - 1)) | (tce & PERM));
    a->mapped++;
}

/* Every entry with a permission is mapped on the host, as it says, and nothing else is. */
static void assert_agree(SpaprTceWindow *w, Host *h)
{
    Agree a = { w, h, 0 };

    spapr_tce_table_foreach(w->table, agree_one, &a);
    g_assert_cmpuint(a.mapped, ==, g_hash_table_size(h->map));
}

/* Tables ------------------------------------------------------------------------ */

static void test_leaf_span(void)
{
    /* 2^37 entries: 4 levels of nodes above the leaves, the root spans 2^45 */
    SpaprTceTable *t = spapr_tce_table_new(1ull << 37);
    uint64_t empty = spapr_tce_table_memory(t), n;

    g_assert_null(spapr_tce_leaf_span(t, 5, 1ull << 37, false, &n));
    g_assert_cmpuint(n, ==, 1ull << 37);
    g_assert_null(spapr_tce_leaf_span(t, 5, 100, false, &n));
    g_assert_cmpuint(n, ==, 100);
    g_assert_cmphex(spapr_tce_set(t, 1000, 0x1003), ==, 0);
    /* entry 1000's leaf is 512..1023; 0..511 is a missing leaf */
    g_assert_null(spapr_tce_leaf_span(t, 3, 1ull << 37, false, &n));
    g_assert_cmpuint(n, ==, 509);
    g_assert_nonnull(spapr_tce_leaf_span(t, 700, 1ull << 37, false, &n));
    g_assert_cmpuint(n, ==, 324);
    /* the 2^18-entry node of 2^18.. is missing, and the 2^27 one of 2^27.. */
    g_assert_null(spapr_tce_leaf_span(t, (1ull << 18) + 7, 1ull << 37, false, &n));
    g_assert_cmpuint(n, ==, (1ull << 18) - 7);
    g_assert_null(spapr_tce_leaf_span(t, (1ull << 27) + 7, 1ull << 37, false, &n));
    g_assert_cmpuint(n, ==, (1ull << 27) - 7);
    g_assert_null(spapr_tce_leaf_span(t, (1ull << 36) + 7, 1ull << 37, false, &n));
    g_assert_cmpuint(n, ==, (1ull << 36) - 7);
    /* clearing the last entry frees the path again */
    g_assert_cmphex(spapr_tce_set(t, 1000, 0), ==, 0x1003);
    g_assert_cmpuint(spapr_tce_table_memory(t), ==, empty);
    g_assert_cmpuint(spapr_tce_table_used(t), ==, 0);
    spapr_tce_table_free(t);
}

/*
 * Clearing the whole of a 2^37-entry DDW (what Linux does to a window it
 * gets) with one entry mapped near its end: nothing is allocated on the
 * way and the walk skips missing subtrees (a walk per leaf, 2^28 of them,
 * would not finish within the test's timeout), with and without a
 * listener (which is told of the one unmap only).
 */
static void test_clear_huge_window(void)
{
    g_autoptr(GError) err = NULL;
    SpaprPhb *phb;
    SpaprTceWindow *w;
    uint64_t start = 1ull << 59, entries = 1ull << 37, last = start + ((entries - 1) << 12);
    uint64_t empty;
    Host *h;

    machine_up();
    phb = spapr_phb_by_index(spapr, 0);
    w = &phb->windows[1];
    g_assert_true(spapr_tce_window_enable(w, &start, 12, entries, &err));
    empty = spapr_tce_table_memory(w->table);

    g_assert_cmpint(hcall(H_STUFF_TCE, w->liobn, start, 0, entries), ==, H_SUCCESS);
    g_assert_cmpuint(spapr_tce_table_memory(w->table), ==, empty);
    g_assert_cmpint(hcall(H_PUT_TCE, w->liobn, last, 0x5000 | PERM, 0), ==, H_SUCCESS);
    g_assert_cmpint(hcall(H_STUFF_TCE, w->liobn, start, 0, entries), ==, H_SUCCESS);
    g_assert_cmpuint(spapr_tce_table_used(w->table), ==, 0);
    g_assert_cmpuint(spapr_tce_table_memory(w->table), ==, empty);

    h = host_new(phb);
    g_assert_cmpint(hcall(H_PUT_TCE, w->liobn, last, 0x5000 | PERM, 0), ==, H_SUCCESS);
    g_assert_cmpuint(h->last->len, ==, 1);
    g_assert_cmpint(hcall(H_STUFF_TCE, w->liobn, start, 0, entries), ==, H_SUCCESS);
    g_assert_cmpuint(h->last->len, ==, 1);
    g_assert_cmphex(g_array_index(h->last, SpaprIommuEvent, 0).iova, ==, last);
    g_assert_cmpuint(g_array_index(h->last, SpaprIommuEvent, 0).perm, ==, 0);
    g_assert_cmpuint(g_hash_table_size(h->map), ==, 0);
    g_assert_cmpuint(spapr_tce_table_memory(w->table), ==, empty);
    /* nothing changes: no batch at all */
    h->batches = 0;
    g_assert_cmpint(hcall(H_STUFF_TCE, w->liobn, start, 0, entries), ==, H_SUCCESS);
    g_assert_cmpuint(h->batches, ==, 0);
    host_free(phb, h);
    machine_down();
}

/* Batches ------------------------------------------------------------------------- */

static void write_list(const uint64_t *tces, unsigned n)
{
    uint8_t *p = spapr_ram_ptr(spapr, LIST);

    for (unsigned i = 0; i < n; i++) {
        uint64_t be = GUINT64_TO_BE(tces[i]);
        memcpy(p + 8 * i, &be, 8);
    }
}

static void assert_event(Host *h, unsigned i, uint64_t iova, uint64_t size, uint64_t gpa,
                         uint32_t perm)
{
    SpaprIommuEvent *ev;

    g_assert_cmpuint(i, <, h->last->len);
    ev = &g_array_index(h->last, SpaprIommuEvent, i);
    g_assert_cmphex(ev->iova, ==, iova);
    g_assert_cmphex(ev->size, ==, size);
    g_assert_cmphex(ev->gpa, ==, gpa);
    g_assert_cmpuint(ev->perm, ==, perm);
}

/* One batch per call: the unmaps of changed mappings first, then the maps, in runs. */
static void test_batches(void)
{
    SpaprPhb *phb;
    SpaprTceWindow *w;
    Host *h;
    uint64_t l[4] = { 0x10003, 0x11003, 0x12003, 0x13001 };

    machine_up();
    phb = spapr_phb_by_index(spapr, 0);
    w = &phb->windows[0];
    h = host_new(phb);

    write_list(l, 4);
    g_assert_cmpint(hcall(H_PUT_TCE_INDIRECT, w->liobn, 0x4000, LIST, 4), ==, H_SUCCESS);
    g_assert_cmpuint(h->last->len, ==, 2);
    assert_event(h, 0, 0x4000, 0x3000, 0x10000, 3);
    assert_event(h, 1, 0x7000, 0x1000, 0x13000, 1);

    /* entries 1 and 2 move to other pages, entry 3 keeps its value */
    l[0] = 0x10003;
    l[1] = 0x21003;
    l[2] = 0x22003;
    write_list(l, 4);
    g_assert_cmpint(hcall(H_PUT_TCE_INDIRECT, w->liobn, 0x4000, LIST, 4), ==, H_SUCCESS);
    g_assert_cmpuint(h->last->len, ==, 2);
    assert_event(h, 0, 0x5000, 0x2000, 0, 0);
    assert_event(h, 1, 0x5000, 0x2000, 0x21000, 3);

    /* a value without permission unmaps, and needs no map */
    g_assert_cmpint(hcall(H_STUFF_TCE, w->liobn, 0x4000, 0x30000, 2), ==, H_SUCCESS);
    g_assert_cmpuint(h->last->len, ==, 1);
    assert_event(h, 0, 0x4000, 0x2000, 0, 0);
    g_assert_cmphex(spapr_tce_get(w->table, 4), ==, 0x30000);
    assert_agree(w, h);

    /* the host refuses the second run: the first (unmap) stays done, the map is undone */
    h->fail_at = 1;
    g_assert_cmpint(hcall(H_PUT_TCE, w->liobn, 0x6000, 0x40002, 0), ==, H_HARDWARE);
    g_assert_cmphex(spapr_tce_get(w->table, 6), ==, 0);
    assert_agree(w, h);
    /* refused at once: the old mapping stays */
    h->fail_at = 0;
    g_assert_cmpint(hcall(H_PUT_TCE, w->liobn, 0x7000, 0x40002, 0), ==, H_HARDWARE);
    g_assert_cmphex(spapr_tce_get(w->table, 7), ==, 0x13001);
    assert_agree(w, h);
    host_free(phb, h);
    machine_down();
}

/*
 * Random calls over a small part of the default window, the host failing
 * some batches part way: after every call the table and the host agree,
 * and a call that succeeded left exactly the values asked for.
 */
#define REGION 1536             /* entries: three leaves */

static uint64_t random_tce(void)
{
    uint32_t r = g_test_rand_int_range(0, 10);
    uint64_t page = g_test_rand_int_range(0, 64) * 0x1000ull;

    if (r < 4) {
        return 0;
    }
    if (r < 9) {
        return page | g_test_rand_int_range(1, 4);
    }
    return page;                 /* no permission: stored, never mapped */
}

static void test_random_rollback(void)
{
    SpaprPhb *phb;
    SpaprTceWindow *w;
    Host *h;
    uint64_t model[REGION] = { 0 };
    unsigned failures = 0;

    machine_up();
    phb = spapr_phb_by_index(spapr, 0);
    w = &phb->windows[0];
    h = host_new(phb);

    for (int op = 0; op < 3000; op++) {
        uint64_t first = g_test_rand_int_range(0, REGION), n = 1, tces[512];
        int kind = g_test_rand_int_range(0, 3);
        int64_t ret;

        h->failed = false;
        h->fail_at = g_test_rand_int_range(0, 10) < 3 ? g_test_rand_int_range(0, 4) : -1;
        if (kind == 0) {
            tces[0] = random_tce();
            ret = hcall(H_PUT_TCE, w->liobn, first << 12, tces[0], 0);
        } else if (kind == 1) {
            tces[0] = random_tce();
            n = g_test_rand_int_range(1, MIN(512, REGION - first) + 1);
            ret = hcall(H_STUFF_TCE, w->liobn, first << 12, tces[0], n);
            for (uint64_t i = 1; i < n; i++) {
                tces[i] = tces[0];
            }
        } else {
            n = g_test_rand_int_range(1, MIN(512, REGION - first) + 1);
            /* runs of consecutive pages, as Linux writes them */
            for (uint64_t i = 0; i < n; i++) {
                tces[i] = (i && g_test_rand_int_range(0, 4) && (tces[i - 1] & PERM))
                          ? tces[i - 1] + 0x1000 : random_tce();
            }
            write_list(tces, n);
            ret = hcall(H_PUT_TCE_INDIRECT, w->liobn, first << 12, LIST, n);
        }
        assert_agree(w, h);
        if (h->failed) {
            g_assert_cmpint(ret, ==, H_HARDWARE);
            failures++;
            for (uint64_t i = 0; i < REGION; i++) {
                model[i] = spapr_tce_get(w->table, i);
            }
            continue;
        }
        g_assert_cmpint(ret, ==, H_SUCCESS);
        for (uint64_t i = 0; i < n; i++) {
            model[first + i] = tces[i];
        }
        for (uint64_t i = 0; i < REGION; i++) {
            g_assert_cmphex(spapr_tce_get(w->table, i), ==, model[i]);
        }
    }
    g_assert_cmpuint(failures, >, 100);
    host_free(phb, h);
    machine_down();
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    module_call_init();
    g_test_add_func("/spapr-tce/table/leaf-span", test_leaf_span);
    g_test_add_func("/spapr-tce/window/clear-huge-window", test_clear_huge_window);
    g_test_add_func("/spapr-tce/window/batches", test_batches);
    g_test_add_func("/spapr-tce/window/random-rollback", test_random_rollback);
    return g_test_run();
}
