/*
 * DMA through spapr-pci-vfio-host-bridge on the fake VFIO kernel
 * (tests/vfio-fake), on both host IOMMU types.
 *
 * The guest's TCEs are the truth: after every step that changes them (a
 * put, an overwrite, a clear, a stuff, an indirect put, a window created
 * or removed) the test compares three views of one vPHB against its own
 * model of what the guest wrote:
 *
 * - the TCEs read back with H_GET_TCE;
 * - the vPHB's QOM "windows" (geometry, entries in use, the map and
 *   unmap notifications VFIO got);
 * - the fake kernel's host mappings in the vPHB's container: the same
 *   IOVA runs, the same permissions, the same target (the fake reports
 *   the vaddr QEMU passed; one offset from guest physical addresses to
 *   vaddrs must hold for every run, and edu DMAs prove it lands where
 *   the TCE points).
 *
 * The DDW is created the way Linux does it: ibm,query-pe-dma-window,
 * the largest page size in Linux's order, a window covering RAM,
 * ibm,create-pe-dma-window, then all of RAM direct-mapped with
 * H_PUT_TCE_INDIRECT.
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/cutils.h"
#include "qemu/host-utils.h"
#include "libqtest.h"
#include "libqos/pci-spapr.h"
#include "libqos/malloc-spapr.h"
#include "qobject/qnum.h"
#include "vphb-fake.h"

#define VPHB                "spapr-pci-vfio-host-bridge"
#define RAM_SIZE            (1ULL << 30)

#define H_SUCCESS           0
#define H_HARDWARE          (-1)
#define H_PARAMETER         (-4)
#define H_GET_TCE           0x1c
#define H_PUT_TCE           0x20
#define H_STUFF_TCE         0x138
#define H_PUT_TCE_INDIRECT  0x13c

#define TCE_RO              0x1ULL      /* the device may read memory */
#define TCE_WO              0x2ULL      /* the device may write memory */
#define TCE_RW              (TCE_RO | TCE_WO)

/* include/hw/pci-host/spapr.h and hw/ppc/spapr.c's PHB placement */
#define SPAPR_PCI_BASE      (1ULL << 45)
#define SPAPR_PCI_IO_SIZE   0x10000ULL
#define SPAPR_PCI_M32_SIZE  0x80000000ULL
#define SPAPR_BUID_BASE     0x800000020000000ULL
#define SPAPR_PCI_LIOBN(index, win) (0x80000000u | ((index) << 8) | (win))

#define EDU_DMA_SRC         0x80
#define EDU_DMA_DST         0x88
#define EDU_DMA_COUNT       0x90
#define EDU_DMA_CMD         0x98
#define EDU_BUF             0x40000
#define EDU_DMA_START       0x1
#define EDU_DMA_TO_RAM      0x2

#define WINDOWS             2

/* What the guest last wrote to one TCE */
typedef struct Tce {
    uint64_t tce;
} Tce;

/* The test's model of one DMA window */
typedef struct Window {
    uint32_t liobn;
    uint64_t bus;
    unsigned shift;
    uint64_t entries;           /* 0: disabled */
    GTree *tces;                /* IOBA -> Tce, every IOBA ever written */
    GHashTable *blocks;         /* entry -> order of a host mapping */
    uint64_t maps, unmaps;      /* notifications since QEMU started */
} Window;

typedef struct Vphb {
    VphbFake *f;
    QGuestAllocator *alloc;
    const char *id;
    int index;
    int group;
    const char *host;           /* the edu function's host address */
    QPCIBusSPAPR bus;
    QPCIDevice *dev;
    QPCIBar bar0;
    Window win[WINDOWS];
} Vphb;

/* vaddr - guest physical address of guest RAM, once a mapping shows it */
static int64_t ram_delta;
static bool ram_delta_known;

static gint cmp_u64(gconstpointer a, gconstpointer b, gpointer unused)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* An unsigned number of a QOM or fake reply (IOVAs reach 2^59) */
static uint64_t get_u64(QDict *d, const char *key)
{
    return qnum_get_uint(qobject_to(QNum, qdict_get(d, key)));
}

static bool is_type1(Vphb *v)
{
    QDict *state = vphb_fake_state(v->f);
    bool type1 = !strcmp(qdict_get_str(state, "iommu"), "type1");

    qobject_unref(state);
    return type1;
}

/* One hypercall through the qtest "hcall" command: RET, and r4 */
static int64_t hcall(Vphb *v, uint64_t *r4, uint32_t opcode, uint64_t a,
                     uint64_t b, uint64_t c, uint64_t d)
{
    g_auto(GStrv) w = qtest_raw_cmd(v->f->qts, "hcall 0x%x 0x%" PRIx64
                                    " 0x%" PRIx64 " 0x%" PRIx64
                                    " 0x%" PRIx64, opcode, a, b, c, d);
    int64_t ret;

    g_assert_cmpstr(w[0], ==, "OK");
    g_assert_cmpint(qemu_strtoi64(w[1], NULL, 10, &ret), ==, 0);
    if (r4) {
        g_assert_cmpint(qemu_strtou64(w[2], NULL, 16, r4), ==, 0);
    }
    return ret;
}

static Tce *model_tce(Window *w, uint64_t ioba)
{
    Tce *t = g_tree_lookup(w->tces, &ioba);

    if (!t) {
        t = g_new0(Tce, 1);
        g_tree_insert(w->tces, g_memdup2(&ioba, sizeof(ioba)), t);
    }
    return t;
}

static uint64_t model_get(Window *w, uint64_t entry)
{
    uint64_t ioba = w->bus + (entry << w->shift);
    Tce *t = g_tree_lookup(w->tces, &ioba);

    return t ? t->tce : 0;
}

/* The host mapping holding @entry: its first entry and log2 of its size */
static bool model_block(Window *w, uint64_t entry, uint64_t *start,
                        unsigned *order)
{
    for (unsigned k = 0; k <= 9; k++) {
        uint64_t s = entry & ~((1ULL << k) - 1);
        gpointer o;

        if (g_hash_table_lookup_extended(w->blocks, &s, NULL, &o) &&
            GPOINTER_TO_UINT(o) == k) {
            *start = s;
            *order = k;
            return true;
        }
    }
    return false;
}

/*
 * What the TCE engine (docs/devel/tce-engine.rst) tells VFIO when a
 * hypercall writes @n TCEs from @ioba, written here from its rules
 * rather than its code.  Per 512-entry leaf: the host mappings that hold
 * an entry that changes are unmapped whole, the new values stored, then
 * the valid entries of what was unmapped and changed are mapped again,
 * as runs of entries mapping consecutive pages with one access, each run
 * cut into naturally aligned power-of-two blocks: one map each.
 */
static void model_update(Window *w, uint64_t ioba, uint64_t n,
                         const uint64_t *tces)
{
    uint64_t psize = 1ULL << w->shift, first = (ioba - w->bus) >> w->shift;

    for (uint64_t c = first, end; c < first + n; c = end) {
        uint64_t lo = UINT64_MAX, hi = 0, s;
        unsigned order;

        end = MIN(first + n, (c | 511) + 1);
        for (uint64_t e = c; e < end; e++) {
            if (model_get(w, e) != tces[e - first]) {
                lo = MIN(lo, e);
                hi = e + 1;
            }
        }
        if (lo == UINT64_MAX) {
            continue;
        }
        if (model_block(w, lo, &s, &order)) {
            lo = s;
        }
        if (model_block(w, hi - 1, &s, &order)) {
            hi = MAX(hi, s + (1ULL << order));
        }
        for (uint64_t e = lo; e < hi; e++) {
            if (model_block(w, e, &s, &order) && s == e) {
                w->unmaps++;
                g_hash_table_remove(w->blocks, &s);
                e += (1ULL << order) - 1;
            }
        }
        for (uint64_t e = c; e < end; e++) {
            model_tce(w, w->bus + (e << w->shift))->tce = tces[e - first];
        }
        for (uint64_t e = lo; e < hi;) {
            uint64_t v = model_get(w, e), j = e + 1;

            if (!(v & TCE_RW)) {
                e++;
                continue;
            }
            while (j < hi && (model_get(w, j) & TCE_RW) == (v & TCE_RW) &&
                   (model_get(w, j) & ~(psize - 1)) ==
                   (v & ~(psize - 1)) + (j - e) * psize) {
                j++;
            }
            while (e < j) {
                order = MIN(ctz64(e), 9);
                while (e + (1ULL << order) > j) {
                    order--;
                }
                w->maps++;
                g_hash_table_insert(w->blocks, g_memdup2(&e, sizeof(e)),
                                    GUINT_TO_POINTER(order));
                e += 1ULL << order;
            }
        }
    }
}

static Window *window_of(Vphb *v, uint32_t liobn)
{
    for (int i = 0; i < WINDOWS; i++) {
        if (v->win[i].liobn == liobn) {
            return &v->win[i];
        }
    }
    g_assert_not_reached();
}

static void put_tce(Vphb *v, uint32_t liobn, uint64_t ioba, uint64_t tce)
{
    g_assert_cmpint(hcall(v, NULL, H_PUT_TCE, liobn, ioba, tce, 0), ==,
                    H_SUCCESS);
    model_update(window_of(v, liobn), ioba, 1, &tce);
}

static void stuff_tce(Vphb *v, uint32_t liobn, uint64_t ioba, uint64_t tce,
                      uint64_t npages)
{
    Window *w = window_of(v, liobn);
    g_autofree uint64_t *tces = g_new(uint64_t, npages);

    g_assert_cmpint(hcall(v, NULL, H_STUFF_TCE, liobn, ioba, tce, npages),
                    ==, H_SUCCESS);
    for (uint64_t i = 0; i < npages; i++) {
        tces[i] = tce;
    }
    model_update(w, ioba, npages, tces);
}

/* H_PUT_TCE_INDIRECT: the list is in guest memory, big-endian */
static void put_tce_indirect(Vphb *v, uint32_t liobn, uint64_t ioba,
                             const uint64_t *tces, uint64_t npages)
{
    Window *w = window_of(v, liobn);
    uint64_t list = guest_alloc(v->alloc, 0x1000);

    /* the hypervisor wants the list 4K aligned */
    g_assert_cmphex(list & 0xfff, ==, 0);
    for (uint64_t i = 0; i < npages; i++) {
        qtest_writeq(v->f->qts, list + i * 8, tces[i]);
    }
    g_assert_cmpint(hcall(v, NULL, H_PUT_TCE_INDIRECT, liobn, ioba, list,
                          npages), ==, H_SUCCESS);
    model_update(w, ioba, npages, tces);
    guest_free(v->alloc, list);
}

/* A host mapping run, as "IOVA+SIZE PERM gpa=GPA" */
typedef struct Run {
    uint64_t iova, size, gpa;
    const char *perm;
} Run;

static void add_run(GArray *runs, uint64_t iova, uint64_t size, uint64_t gpa,
                    const char *perm)
{
    Run *last = runs->len ? &g_array_index(runs, Run, runs->len - 1) : NULL;

    /* both sides merged alike: the sPAPR fake reports merged runs */
    if (last && last->iova + last->size == iova &&
        last->gpa + last->size == gpa && !strcmp(last->perm, perm)) {
        last->size += size;
        return;
    }
    g_array_append_val(runs, ((Run) { iova, size, gpa, perm }));
}

static char *runs_str(GArray *runs)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < runs->len; i++) {
        Run *r = &g_array_index(runs, Run, i);

        g_string_append_printf(s, "%s0x%" PRIx64 "+0x%" PRIx64 " %s gpa=0x%"
                               PRIx64, i ? "; " : "", r->iova, r->size,
                               r->perm, r->gpa);
    }
    return g_string_free(s, false);
}

/*
 * A read-only TCE lets the device read memory only.  Any other valid TCE
 * maps read-write: QEMU's VFIO always asks for read access.
 */
static const char *host_perm(uint64_t tce)
{
    return (tce & TCE_RW) == TCE_RO ? "r" : "rw";
}

typedef struct RunsCtx {
    Window *w;
    GArray *runs;
} RunsCtx;

static gboolean expect_run(gpointer key, gpointer value, gpointer opaque)
{
    RunsCtx *c = opaque;
    uint64_t ioba = *(uint64_t *)key;
    uint64_t psize = 1ULL << c->w->shift;
    Tce *t = value;

    if (t->tce & TCE_RW) {
        add_run(c->runs, ioba, psize, t->tce & ~(psize - 1),
                host_perm(t->tce));
    }
    return false;
}

/* The host mappings the guest's TCEs ask for, in IOVA order */
static GArray *expected_runs(Vphb *v)
{
    GArray *runs = g_array_new(false, false, sizeof(Run));
    Window *order[WINDOWS] = { &v->win[0], &v->win[1] };

    if (order[0]->bus > order[1]->bus) {
        order[0] = &v->win[1];
        order[1] = &v->win[0];
    }
    for (int i = 0; i < WINDOWS; i++) {
        RunsCtx c = { order[i], runs };

        if (order[i]->entries) {
            g_tree_foreach(order[i]->tces, expect_run, &c);
        }
    }
    return runs;
}

static int cmp_mapping(gconstpointer a, gconstpointer b)
{
    uint64_t x = get_u64(*(QDict **)a, "iova");
    uint64_t y = get_u64(*(QDict **)b, "iova");

    return x < y ? -1 : x > y;
}

/*
 * The fake's host mappings of @group's container.  Every vaddr must be
 * guest RAM at one fixed offset from its guest physical address: the
 * first mapping seen in the test fixes that offset, and the edu DMAs
 * prove that it is right.
 */
static GArray *host_runs(Vphb *v, GArray *expected)
{
    QDict *state = vphb_fake_state(v->f);
    QDict *c = vphb_fake_container(state, v->group);
    g_autoptr(GPtrArray) maps = g_ptr_array_new();
    GArray *runs = g_array_new(false, false, sizeof(Run));
    const QListEntry *e;

    QLIST_FOREACH_ENTRY(qdict_get_qlist(c, "mappings"), e) {
        g_ptr_array_add(maps, qlist_entry_obj(e));
    }
    g_ptr_array_sort(maps, cmp_mapping);
    for (guint i = 0; i < maps->len; i++) {
        QDict *m = g_ptr_array_index(maps, i);
        const char *perm = qdict_get_str(m, "perm");
        uint64_t vaddr = get_u64(m, "vaddr");

        if (!ram_delta_known && expected->len) {
            ram_delta = vaddr - g_array_index(expected, Run, 0).gpa;
            ram_delta_known = true;
        }
        add_run(runs, get_u64(m, "iova"), get_u64(m, "size"),
                vaddr - ram_delta, !strcmp(perm, "r") ? "r" :
                !strcmp(perm, "rw") ? "rw" : "?");
    }
    qobject_unref(state);
    return runs;
}

/* The vPHB's QOM "windows" entry for @liobn */
static QDict *qom_window(QList *windows, uint32_t liobn)
{
    const QListEntry *e;

    QLIST_FOREACH_ENTRY(windows, e) {
        QDict *d = qobject_to(QDict, qlist_entry_obj(e));

        if (qdict_get_int(d, "liobn") == liobn) {
            return d;
        }
    }
    return NULL;
}

static char *window_str(QDict *d)
{
    return g_strdup_printf("liobn=0x%" PRIx64 " enabled=%d bus=0x%" PRIx64
                           " size=0x%" PRIx64 " shift=%" PRId64
                           " entries=%" PRId64 " in-use=%" PRId64
                           " host-mappings=%" PRId64 " maps=%" PRId64
                           " unmaps=%" PRId64,
                           qdict_get_int(d, "liobn"),
                           qdict_get_bool(d, "enabled"),
                           get_u64(d, "bus-address"),
                           get_u64(d, "size"),
                           qdict_get_int(d, "page-shift"),
                           qdict_get_int(d, "entries"),
                           qdict_get_int(d, "entries-in-use"),
                           qdict_get_int(d, "host-mappings"),
                           qdict_get_int(d, "map-notifications"),
                           qdict_get_int(d, "unmap-notifications"));
}

typedef struct CountCtx {
    Vphb *v;
    Window *w;
    uint64_t in_use;
    uint64_t mapped;
} CountCtx;

/* H_GET_TCE of every IOBA the test wrote, against the model */
static gboolean check_tce(gpointer key, gpointer value, gpointer opaque)
{
    CountCtx *c = opaque;
    uint64_t ioba = *(uint64_t *)key;
    Tce *t = value;
    uint64_t got = ~0ULL;

    g_assert_cmpint(hcall(c->v, &got, H_GET_TCE, c->w->liobn, ioba, 0, 0),
                    ==, H_SUCCESS);
    if (got != t->tce) {
        g_error("H_GET_TCE(0x%x, 0x%" PRIx64 ") = 0x%" PRIx64 ", the guest "
                "wrote 0x%" PRIx64, c->w->liobn, ioba, got, t->tce);
    }
    c->in_use += t->tce != 0;
    return false;
}

/*
 * Compare the guest's TCEs, the vPHB's "windows" and the fake's host
 * mappings with the model, after @step.
 */
static void check_vphb(Vphb *v, const char *step)
{
    g_autofree char *path = g_strdup_printf("/machine/peripheral/%s", v->id);
    QObject *obj = vphb_qom_get(v->f->qts, path, "windows");
    QList *windows = qobject_to(QList, obj);
    g_autoptr(GArray) want = expected_runs(v);
    g_autoptr(GArray) have = host_runs(v, want);
    g_autofree char *want_s = runs_str(want);
    g_autofree char *have_s = runs_str(have);

    g_test_message("%s: check after '%s'", v->id, step);
    g_assert_cmpint(qlist_size(windows), ==, WINDOWS);
    for (int i = 0; i < WINDOWS; i++) {
        Window *w = &v->win[i];
        CountCtx c = { v, w };
        g_autofree char *want_w = NULL;
        g_autofree char *have_w = NULL;
        uint64_t size = w->entries << w->shift;
        QDict *d = qom_window(windows, w->liobn);

        g_assert_nonnull(d);
        if (w->entries) {
            g_tree_foreach(w->tces, check_tce, &c);
        } else {
            /* a disabled window has no TCE at all */
            g_assert_cmpint(hcall(v, NULL, H_GET_TCE, w->liobn, w->bus, 0, 0),
                            ==, H_PARAMETER);
        }
        want_w = g_strdup_printf("liobn=0x%x enabled=%d bus=0x%" PRIx64
                                 " size=0x%" PRIx64 " shift=%u entries=%"
                                 PRIu64 " in-use=%" PRIu64 " host-mappings=%"
                                 PRIu64 " maps=%" PRIu64 " unmaps=%" PRIu64,
                                 w->liobn, w->entries != 0,
                                 w->entries ? w->bus : 0, size,
                                 w->entries ? w->shift : 0,
                                 w->entries, c.in_use,
                                 (uint64_t)(w->entries ?
                                            g_hash_table_size(w->blocks) : 0),
                                 w->maps,
                                 w->unmaps);
        have_w = window_str(d);
        g_assert_cmpstr(have_w, ==, want_w);
    }
    g_assert_cmpstr(have_s, ==, want_s);
    qobject_unref(obj);
}

/* QEMU needs GLib 2.66, which has no g_tree_remove_all() */
static void model_forget(Window *w)
{
    if (w->tces) {
        g_tree_destroy(w->tces);
        g_hash_table_destroy(w->blocks);
    }
    w->tces = g_tree_new_full(cmp_u64, NULL, g_free, g_free);
    w->blocks = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
                                      NULL);
}

/* A window leaves nothing: no TCE, nothing the vPHB counts as mapped */
static void model_disable(Window *w)
{
    model_forget(w);
    w->entries = 0;
}

static void model_enable(Window *w, uint64_t bus, unsigned shift,
                         uint64_t entries)
{
    model_forget(w);
    w->bus = bus;
    w->shift = shift;
    w->entries = entries;
}

static QDict *edu_of(QDict *state, Vphb *v)
{
    QDict *g = vphb_fake_find(state, "groups", v->group);
    const QListEntry *e;

    g_assert_nonnull(g);
    QLIST_FOREACH_ENTRY(qdict_get_qlist(g, "devices"), e) {
        QDict *d = qobject_to(QDict, qlist_entry_obj(e));

        if (!strcmp(qdict_get_str(d, "name"), v->host)) {
            return d;
        }
    }
    g_assert_not_reached();
}

static void edu_counts(Vphb *v, int64_t *ok, int64_t *faults)
{
    QDict *state = vphb_fake_state(v->f);

    *ok = qdict_get_int(edu_of(state, v), "dma-ok");
    *faults = qdict_get_int(edu_of(state, v), "dma-faults");
    qobject_unref(state);
}

static uint64_t ram_le64(Vphb *v, uint64_t gpa)
{
    uint64_t x;

    qtest_memread(v->f->qts, gpa, &x, sizeof(x));
    return le64_to_cpu(x);
}

static void set_ram_le64(Vphb *v, uint64_t gpa, uint64_t val)
{
    uint64_t x = cpu_to_le64(val);

    qtest_memwrite(v->f->qts, gpa, &x, sizeof(x));
}

/*
 * An 8-byte edu DMA through @iova, to guest RAM (@to_ram) or from it;
 * @gpa is where the TCE says it lands.  With @ok the data must move and
 * dma-ok count one more; otherwise dma-faults counts one more and
 * neither RAM nor the edu's buffer changes.
 */
static void edu_dma(Vphb *v, uint64_t iova, uint64_t gpa, bool to_ram,
                    bool ok)
{
    static uint64_t pattern = 0x1122334455667788ULL;
    const uint64_t sentinel = 0x5a5a5a5a5a5a5a5aULL;
    int64_t ok0, faults0, ok1, faults1;

    pattern += 0x0101010101010101ULL;
    edu_counts(v, &ok0, &faults0);
    if (to_ram) {
        qpci_io_writeq(v->dev, v->bar0, EDU_BUF, pattern);
        set_ram_le64(v, gpa, sentinel);
        qpci_io_writeq(v->dev, v->bar0, EDU_DMA_SRC, EDU_BUF);
        qpci_io_writeq(v->dev, v->bar0, EDU_DMA_DST, iova);
    } else {
        qpci_io_writeq(v->dev, v->bar0, EDU_BUF, sentinel);
        set_ram_le64(v, gpa, pattern);
        qpci_io_writeq(v->dev, v->bar0, EDU_DMA_SRC, iova);
        qpci_io_writeq(v->dev, v->bar0, EDU_DMA_DST, EDU_BUF);
    }
    qpci_io_writeq(v->dev, v->bar0, EDU_DMA_COUNT, 8);
    qpci_io_writeq(v->dev, v->bar0, EDU_DMA_CMD,
                   EDU_DMA_START | (to_ram ? EDU_DMA_TO_RAM : 0));
    edu_counts(v, &ok1, &faults1);

    g_assert_cmpint(ok1, ==, ok0 + ok);
    g_assert_cmpint(faults1, ==, faults0 + !ok);
    if (to_ram) {
        g_assert_cmphex(ram_le64(v, gpa), ==, ok ? pattern : sentinel);
    } else {
        g_assert_cmphex(ram_le64(v, gpa), ==, pattern);
        g_assert_cmphex(qpci_io_readq(v->dev, v->bar0, EDU_BUF), ==,
                        ok ? pattern : sentinel);
    }
}

/*
 * A vPHB with index @index owning @group, its edu function @host at
 * devfn 0 of its bus, reached the way libqos reaches PHB 0 but at this
 * PHB's BUID and windows (hw/ppc/spapr.c: spapr_phb_placement()).
 */
static void vphb_init(Vphb *v, VphbFake *f, QGuestAllocator *alloc,
                      const char *id, int index, int group, const char *host)
{
    g_autofree char *path = g_strdup_printf("/machine/peripheral/%s", id);
    QObject *obj = vphb_qom_get(f->qts, path, "windows");
    QObject *ddw = vphb_qom_get(f->qts, path, "dma64_win_addr");

    *v = (Vphb) { .f = f, .alloc = alloc, .id = id, .index = index,
                  .group = group, .host = host };
    qpci_init_spapr(&v->bus, f->qts, alloc);
    v->bus.buid = SPAPR_BUID_BASE + index;
    v->bus.pio_cpu_base = SPAPR_PCI_BASE + index * SPAPR_PCI_IO_SIZE;
    /* PCI addresses 2..4 GiB at BASE + (index + 1) * 2 GiB */
    v->bus.mmio32_cpu_base = SPAPR_PCI_BASE + index * SPAPR_PCI_M32_SIZE;
    v->dev = qpci_device_find(&v->bus.bus, 0);
    g_assert_nonnull(v->dev);
    qpci_device_enable(v->dev);
    v->bar0 = qpci_iomap(v->dev, 0, NULL);

    for (int i = 0; i < WINDOWS; i++) {
        Window *w = &v->win[i];
        QDict *d;

        w->liobn = SPAPR_PCI_LIOBN(index, i);
        model_forget(w);
        d = qom_window(qobject_to(QList, obj), w->liobn);
        g_assert_nonnull(d);
        /* whatever QEMU notified before the test starts */
        w->maps = qdict_get_int(d, "map-notifications");
        w->unmaps = qdict_get_int(d, "unmap-notifications");
    }
    /* at start: the 1 GiB default window of 4K pages, no DDW */
    model_enable(&v->win[0], 0, 12, RAM_SIZE >> 12);
    v->win[1].bus = qnum_get_uint(qobject_to(QNum, ddw));
    qobject_unref(obj);
    qobject_unref(ddw);
    check_vphb(v, "start");
}

static void vphb_fini(Vphb *v)
{
    for (int i = 0; i < WINDOWS; i++) {
        g_tree_destroy(v->win[i].tces);
        g_hash_table_destroy(v->win[i].blocks);
    }
    g_free(v->dev);
}

/* An RTAS call with its arguments and returns in guest memory */
static void rtas(Vphb *v, const char *name, const uint32_t *args,
                 uint32_t nargs, uint32_t *rets, uint32_t nret)
{
    uint64_t a = guest_alloc(v->alloc, 64), r = guest_alloc(v->alloc, 64);

    for (uint32_t i = 0; i < nargs; i++) {
        qtest_writel(v->f->qts, a + i * 4, args[i]);
    }
    g_assert_cmpint(qtest_rtas_call(v->f->qts, name, nargs, a, nret, r), ==,
                    0);
    for (uint32_t i = 0; i < nret; i++) {
        rets[i] = qtest_readl(v->f->qts, r + i * 4);
    }
    guest_free(v->alloc, r);
    guest_free(v->alloc, a);
}

/*
 * Linux's iommu_get_page_shift() on ibm,query-pe-dma-window's page size
 * mask, whose bit i is the page shift shift[i] (LoPAPR): 2M, the last
 * bit, is tried first.
 */
static unsigned linux_page_shift(uint32_t mask)
{
    static const unsigned shift[] = { 12, 16, 24, 25, 26, 27, 28, 34, 21 };

    for (int i = ARRAY_SIZE(shift) - 1; i >= 0; i--) {
        if (mask & (1u << i)) {
            return shift[i];
        }
    }
    return 0;
}

/* Linux's enable_ddw(): query, then create a window covering all RAM */
static uint32_t create_ddw(Vphb *v)
{
    /* the edu is bus 0, devfn 0: config address bus << 16 | devfn << 8 */
    const uint32_t cfg = (0 << 16) | (0 << 8);
    uint32_t q_args[] = { cfg, v->bus.buid >> 32, (uint32_t)v->bus.buid };
    uint32_t q[5], c[4];
    unsigned page_shift, window_shift = 30;
    Window *w = &v->win[1];

    rtas(v, "ibm,query-pe-dma-window", q_args, 3, q, 5);
    g_assert_cmpint(q[0], ==, 0);
    /* one window free: the default one is in use */
    g_assert_cmpint(q[1], ==, 1);
    page_shift = linux_page_shift(q[3]);
    g_assert_cmpuint(page_shift, ==, 21);
    /* the largest block must hold RAM in pages of that size */
    g_assert_cmpuint(q[2], >=, RAM_SIZE >> page_shift);

    {
        uint32_t c_args[] = { cfg, v->bus.buid >> 32, (uint32_t)v->bus.buid,
                              page_shift, window_shift };

        rtas(v, "ibm,create-pe-dma-window", c_args, 5, c, 4);
    }
    g_assert_cmpint(c[0], ==, 0);
    g_assert_cmphex(c[1], ==, w->liobn);
    /* the window is where the vPHB placed it for the host's IOMMU */
    g_assert_cmphex(((uint64_t)c[2] << 32) | c[3], ==, w->bus);
    model_enable(w, w->bus, page_shift, 1ULL << (window_shift - page_shift));
    check_vphb(v, "ibm,create-pe-dma-window");
    return c[1];
}

/* Pages of guest RAM the test uses, away from libqos's allocations */
#define GPA_A       0x30000000ULL
#define GPA_B       0x30001000ULL
#define GPA_C       0x30002000ULL
#define GPA_D       0x30010000ULL
#define GPA_E       0x30020000ULL
/* far outside 1 GiB of RAM: the PHBs' MMIO windows are at 2^45 */
#define GPA_OUTSIDE 0x0000100000000000ULL

/* The 32-bit default window: every TCE hypercall, and DMA through it */
static void default_window(Vphb *v)
{
    uint32_t liobn = v->win[0].liobn;
    uint64_t list[4];

    put_tce(v, liobn, 0x3000, GPA_A | TCE_RW);
    check_vphb(v, "H_PUT_TCE rw");
    edu_dma(v, 0x3000 + 0x18, GPA_A + 0x18, true, true);
    edu_dma(v, 0x3000 + 0x20, GPA_A + 0x20, false, true);

    /* the device may read through a read-only TCE, never write */
    put_tce(v, liobn, 0x4000, GPA_B | TCE_RO);
    check_vphb(v, "H_PUT_TCE ro");
    edu_dma(v, 0x4000 + 0x8, GPA_B + 0x8, false, true);
    edu_dma(v, 0x4000 + 0x8, GPA_B + 0x8, true, false);

    /*
     * A valid TCE retargeted in place: the old page is unmapped first,
     * or Type1 refuses the new mapping (EEXIST) and keeps the old page.
     */
    put_tce(v, liobn, 0x3000, GPA_C | TCE_RW);
    check_vphb(v, "H_PUT_TCE overwrite");
    edu_dma(v, 0x3000, GPA_C, true, true);

    /* cleared: the mapping goes, and a DMA through it faults */
    put_tce(v, liobn, 0x3000, 0);
    check_vphb(v, "H_PUT_TCE clear");
    edu_dma(v, 0x3000, GPA_C, true, false);
    edu_dma(v, 0x3000, GPA_A, true, false);

    /* two contiguous pages, a lone one, a read-only one */
    list[0] = GPA_D | TCE_RW;
    list[1] = (GPA_D + 0x1000) | TCE_RW;
    list[2] = GPA_E | TCE_RW;
    list[3] = (GPA_E + 0x1000) | TCE_RO;
    put_tce_indirect(v, liobn, 0x10000, list, 4);
    check_vphb(v, "H_PUT_TCE_INDIRECT");
    /* across the two pages' boundary: one contiguous host run */
    edu_dma(v, 0x11000 + 0x10, GPA_D + 0x1010, true, true);
    edu_dma(v, 0x12000, GPA_E, true, true);
    edu_dma(v, 0x13000, GPA_E + 0x1000, true, false);

    stuff_tce(v, liobn, 0x10000, 0, 4);
    check_vphb(v, "H_STUFF_TCE clear");
    edu_dma(v, 0x12000, GPA_E, true, false);

    /* H_STUFF_TCE only clears or poisons, as KVM's: no access given */
    g_assert_cmpint(hcall(v, NULL, H_STUFF_TCE, liobn, 0x20000,
                          GPA_E | TCE_RW, 3), ==, H_PARAMETER);
    check_vphb(v, "H_STUFF_TCE map refused");

    /* three IOVA pages onto one guest page: three host mappings */
    list[0] = list[1] = list[2] = GPA_E | TCE_RW;
    put_tce_indirect(v, liobn, 0x20000, list, 3);
    check_vphb(v, "H_PUT_TCE_INDIRECT aliases");
    edu_dma(v, 0x22000 + 0x30, GPA_E + 0x30, true, true);
    stuff_tce(v, liobn, 0x20000, 0, 3);
    check_vphb(v, "H_STUFF_TCE clear again");

    /*
     * 64 pages in one run make one mapping; retargeting one page in the
     * middle unmaps it whole and maps what is left in aligned blocks.
     */
    {
        guint blocks = g_hash_table_size(v->win[0].blocks);
        uint64_t run[64];

        for (int i = 0; i < 64; i++) {
            run[i] = (GPA_D + i * 0x1000ULL) | TCE_RW;
        }
        put_tce_indirect(v, liobn, 0x80000, run, 64);
        check_vphb(v, "H_PUT_TCE_INDIRECT 64 pages");
        g_assert_cmpuint(g_hash_table_size(v->win[0].blocks), ==, blocks + 1);
        put_tce(v, liobn, 0x80000 + 5 * 0x1000, GPA_A | TCE_RO);
        check_vphb(v, "H_PUT_TCE inside a mapping");
        edu_dma(v, 0x80000 + 5 * 0x1000 + 8, GPA_A + 8, false, true);
        edu_dma(v, 0x80000 + 5 * 0x1000 + 8, GPA_A + 8, true, false);
        edu_dma(v, 0x80000 + 40 * 0x1000, GPA_D + 40 * 0x1000, true, true);
        stuff_tce(v, liobn, 0x80000, 0, 64);
        check_vphb(v, "H_STUFF_TCE 64 pages");
    }
}

/* How many VFIO_IOMMU_MAP_DMA calls the vPHB's container got */
static int64_t map_calls(Vphb *v)
{
    return vphb_fake_container_count(v->f, v->group, "map-calls");
}

/* How many of them failed */
static int64_t map_errors(Vphb *v)
{
    return vphb_fake_container_count(v->f, v->group, "map-errors");
}

/*
 * A TCE that points outside guest RAM is refused (QEMU 10.0 stored it,
 * KVM refuses it): H_PARAMETER, and nothing changes, on the guest's side
 * or the host's.  The device reaches nothing through it, and a valid
 * mapping it was meant to replace stays.
 */
static void outside_ram(Vphb *v)
{
    uint32_t liobn = v->win[0].liobn;
    int64_t ok0, faults0, ok1, faults1;
    int64_t calls = map_calls(v);

    g_assert_cmpint(hcall(v, NULL, H_PUT_TCE, liobn, 0x40000,
                          GPA_OUTSIDE | TCE_RW, 0), ==, H_PARAMETER);
    check_vphb(v, "H_PUT_TCE outside RAM");
    g_assert_cmpint(map_calls(v), ==, calls);

    edu_counts(v, &ok0, &faults0);
    qpci_io_writeq(v->dev, v->bar0, EDU_DMA_SRC, EDU_BUF);
    qpci_io_writeq(v->dev, v->bar0, EDU_DMA_DST, 0x40000);
    qpci_io_writeq(v->dev, v->bar0, EDU_DMA_COUNT, 8);
    qpci_io_writeq(v->dev, v->bar0, EDU_DMA_CMD,
                   EDU_DMA_START | EDU_DMA_TO_RAM);
    edu_counts(v, &ok1, &faults1);
    g_assert_cmpint(ok1, ==, ok0);
    g_assert_cmpint(faults1, ==, faults0 + 1);

    /* the last page of RAM is fine, the page after it is not */
    put_tce(v, liobn, 0x40000, (RAM_SIZE - 0x1000) | TCE_RW);
    check_vphb(v, "H_PUT_TCE last page of RAM");
    g_assert_cmpint(hcall(v, NULL, H_PUT_TCE, liobn, 0x40000,
                          RAM_SIZE | TCE_RO, 0), ==, H_PARAMETER);
    check_vphb(v, "H_PUT_TCE just past RAM");

    /* a valid TCE overwritten with one outside RAM keeps its page */
    put_tce(v, liobn, 0x40000, GPA_B | TCE_RW);
    check_vphb(v, "H_PUT_TCE before an overwrite outside RAM");
    g_assert_cmpint(hcall(v, NULL, H_PUT_TCE, liobn, 0x40000,
                          GPA_OUTSIDE | TCE_RW, 0), ==, H_PARAMETER);
    check_vphb(v, "H_PUT_TCE overwrite outside RAM");
    edu_dma(v, 0x40000, GPA_B, true, true);

    put_tce(v, liobn, 0x40000, 0);
    check_vphb(v, "H_PUT_TCE overwrite outside RAM cleared");
    edu_dma(v, 0x40000, GPA_B, true, false);
}

/* The DDW, created as Linux does, all of RAM direct-mapped */
static void ddw(Vphb *v, bool type1)
{
    Window *w = &v->win[1];
    uint64_t psize, list[512];
    uint32_t liobn, rm, ret;
    uint32_t reset_args[] = { 0, v->bus.buid >> 32, (uint32_t)v->bus.buid };

    /* something in the default window, which must outlive the DDW */
    put_tce(v, v->win[0].liobn, 0x5000, GPA_A | TCE_RW);

    liobn = create_ddw(v);
    psize = 1ULL << w->shift;
    g_assert_cmpuint(w->entries, ==, ARRAY_SIZE(list));
    if (type1) {
        /* inside the 39-bit aperture, clear of the 32-bit window */
        g_assert_cmphex(w->bus + (w->entries << w->shift), <=, 1ULL << 39);
        g_assert_cmphex(w->bus, >=, RAM_SIZE);
    } else {
        g_assert_cmphex(w->bus, ==, 1ULL << 59);
    }

    /* Linux's direct mapping: IOVA = bus address + guest address */
    for (uint64_t i = 0; i < ARRAY_SIZE(list); i++) {
        list[i] = (i * psize) | TCE_RW;
    }
    put_tce_indirect(v, liobn, w->bus, list, ARRAY_SIZE(list));
    check_vphb(v, "DDW H_PUT_TCE_INDIRECT");
    edu_dma(v, w->bus + GPA_C + 0x40, GPA_C + 0x40, true, true);
    edu_dma(v, w->bus + GPA_D, GPA_D, false, true);
    /* the default window still works beside it */
    edu_dma(v, 0x5000 + 0x8, GPA_A + 0x8, true, true);

    /* 2M pages 8..11 gone */
    stuff_tce(v, liobn, w->bus + 8 * psize, 0, 4);
    check_vphb(v, "DDW H_STUFF_TCE clear");
    edu_dma(v, w->bus + 9 * psize, 9 * psize, true, false);

    /* page 8 back read-only */
    put_tce(v, liobn, w->bus + 8 * psize, (8 * psize) | TCE_RO);
    check_vphb(v, "DDW H_PUT_TCE ro");
    edu_dma(v, w->bus + 8 * psize + 0x100, 8 * psize + 0x100, false, true);
    edu_dma(v, w->bus + 8 * psize + 0x100, 8 * psize + 0x100, true, false);

    /* page 8 retargeted to page 20's memory, read-write */
    put_tce(v, liobn, w->bus + 8 * psize, (20 * psize) | TCE_RW);
    check_vphb(v, "DDW H_PUT_TCE overwrite");
    edu_dma(v, w->bus + 8 * psize + 0x80, 20 * psize + 0x80, true, true);

    put_tce(v, liobn, w->bus + 8 * psize, 0);
    check_vphb(v, "DDW H_PUT_TCE clear");
    edu_dma(v, w->bus + 8 * psize, 20 * psize, true, false);

    /* the DDW goes with its mappings; the default window stays */
    rtas(v, "ibm,remove-pe-dma-window", &liobn, 1, &rm, 1);
    g_assert_cmpint(rm, ==, 0);
    model_disable(w);
    check_vphb(v, "ibm,remove-pe-dma-window");
    edu_dma(v, w->bus + GPA_C, GPA_C, true, false);
    edu_dma(v, 0x5000, GPA_A, true, true);

    /* and a reset leaves the default window alone, empty */
    rtas(v, "ibm,reset-pe-dma-window", reset_args, 3, &ret, 1);
    g_assert_cmpint(ret, ==, 0);
    model_enable(&v->win[0], 0, 12, RAM_SIZE >> 12);
    check_vphb(v, "ibm,reset-pe-dma-window");
    edu_dma(v, 0x5000, GPA_A, true, false);
}

static void test_dma(const void *opaque)
{
    const char *iommu = opaque;
    bool type1 = !strcmp(iommu, "type1");
    QGuestAllocator alloc;
    VphbFake f;
    Vphb v;

    ram_delta_known = false;
    vphb_fake_start(&f, iommu, NULL, NULL,
                    "-m 1G -device " VPHB ",id=vphb1,index=1,iommu=1");
    spapr_alloc_init(&alloc, f.qts, ALLOC_NO_FLAGS);
    vphb_init(&v, &f, &alloc, "vphb1", 1, 1, "0000:01:00.0");
    g_assert_cmpint(is_type1(&v), ==, type1);

    default_window(&v);
    outside_ram(&v);
    ddw(&v, type1);

    vphb_fini(&v);
    vphb_fake_stop(&f);
    alloc_destroy(&alloc);
}

#define RTAS_OUT_PARAM_ERROR    (-3)

/*
 * The largest DDW: on Type1, the block the vPHB found in the fake's
 * 39-bit aperture (2^38 at 2^38, as 0..1 GiB is the default window), in
 * TCEs of 16M, the largest page size offered, so that the count is safe
 * whatever page size the guest picks; query says so in both its forms,
 * and create refuses anything bigger.  sPAPR keeps QEMU's figures.
 */
static void test_ddw_limit(const void *opaque)
{
    const char *iommu = opaque;
    bool type1 = !strcmp(iommu, "type1");
    QGuestAllocator alloc;
    VphbFake f;
    Vphb v;
    uint32_t q_args[3], q[6], c[4], rm;
    uint64_t block = type1 ? 1ULL << 38 : 0;

    ram_delta_known = false;
    vphb_fake_start(&f, iommu, NULL, NULL,
                    "-m 1G -device " VPHB ",id=vphb1,index=1,iommu=1");
    spapr_alloc_init(&alloc, f.qts, ALLOC_NO_FLAGS);
    vphb_init(&v, &f, &alloc, "vphb1", 1, 1, "0000:01:00.0");
    q_args[0] = 0;
    q_args[1] = v.bus.buid >> 32;
    q_args[2] = (uint32_t)v.bus.buid;

    rtas(&v, "ibm,query-pe-dma-window", q_args, 3, q, 5);
    g_assert_cmpint(q[0], ==, 0);
    g_assert_cmpuint(linux_page_shift(q[3]), ==, 21);
    g_assert_cmphex(q[2], ==, type1 ? block >> 24 : 0x80000000);
    rtas(&v, "ibm,query-pe-dma-window", q_args, 3, q, 6);
    g_assert_cmpint(q[0], ==, 0);
    g_assert_cmphex(((uint64_t)q[2] << 32) | q[3], ==,
                    type1 ? block >> 24 : 1ULL << 37);

    if (type1) {
        uint32_t big[] = { 0, q_args[1], q_args[2], 21, 39 };
        uint32_t fits[] = { 0, q_args[1], q_args[2], 21, 38 };

        rtas(&v, "ibm,create-pe-dma-window", big, 5, c, 4);
        g_assert_cmpint((int32_t)c[0], ==, RTAS_OUT_PARAM_ERROR);
        /* nothing was created: one window is still free */
        rtas(&v, "ibm,query-pe-dma-window", q_args, 3, q, 5);
        g_assert_cmpint(q[1], ==, 1);

        rtas(&v, "ibm,create-pe-dma-window", fits, 5, c, 4);
        g_assert_cmpint(c[0], ==, 0);
        g_assert_cmphex(((uint64_t)c[2] << 32) | c[3], ==, block);
        model_enable(&v.win[1], block, 21, block >> 21);
        check_vphb(&v, "ibm,create-pe-dma-window of the whole block");
        rtas(&v, "ibm,remove-pe-dma-window", &c[1], 1, &rm, 1);
        g_assert_cmpint(rm, ==, 0);
        model_disable(&v.win[1]);
        check_vphb(&v, "ibm,remove-pe-dma-window");
    }

    vphb_fini(&v);
    vphb_fake_stop(&f);
    alloc_destroy(&alloc);
}

/* LoPAPR's page size bits of ibm,query-pe-dma-window */
#define DDW_PGSIZE_4K       0x001
#define DDW_PGSIZE_64K      0x002
#define DDW_PGSIZE_16M      0x004
#define DDW_PGSIZE_2M       0x100

/* Linux's direct mapping of a few pages of RAM: IOVA = bus + guest address */
static void ddw_direct_map(Vphb *v, uint32_t liobn, uint64_t gpa, int n)
{
    Window *w = &v->win[1];
    uint64_t psize = 1ULL << w->shift;
    uint64_t list[4];

    g_assert_cmpint(n, <=, ARRAY_SIZE(list));
    for (int i = 0; i < n; i++) {
        list[i] = (gpa + i * psize) | TCE_RW;
    }
    put_tce_indirect(v, liobn, w->bus + gpa, list, n);
}

/*
 * A Type1 host whose IOMMU maps nothing below 64K
 * (VFIO_FAKE_TYPE1_PGSIZES=0x10000).  The DDW's page sizes lose 4K, the
 * one size such a host cannot map a TCE of: ibm,query-pe-dma-window no
 * longer offers it, and ibm,create-pe-dma-window with 4K TCEs fails with
 * a parameter error and creates nothing.  A window of 64K TCEs, and one
 * of 16M TCEs, map on the host, one host mapping per TCE, and DMA goes
 * through them.
 *
 * The 32-bit window's 4K TCEs make such a host unusable for a vPHB
 * unless x-unmappable-dma32=on (vphb-type1-test checks the refusal);
 * with it, a TCE there maps nothing on the host, the guest is told so,
 * and DMA through it faults: the host never maps more than a TCE allows.
 */
static void test_host_64k(void)
{
    static const char *const env[] = { "VFIO_FAKE_TYPE1_PGSIZES=0x10000",
                                       NULL };
    static const unsigned shifts[] = { 16, 24 };
    QGuestAllocator alloc;
    VphbFake f;
    Vphb v;
    uint32_t q_args[3], q[5], c[4], rm;
    uint32_t liobn0;
    int64_t errors;

    ram_delta_known = false;
    vphb_fake_start(&f, "type1", NULL, env,
                    "-m 1G -device " VPHB ",id=vphb1,index=1,iommu=1,"
                    "x-unmappable-dma32=on");
    spapr_alloc_init(&alloc, f.qts, ALLOC_NO_FLAGS);
    vphb_init(&v, &f, &alloc, "vphb1", 1, 1, "0000:01:00.0");
    liobn0 = v.win[0].liobn;
    q_args[0] = 0;
    q_args[1] = v.bus.buid >> 32;
    q_args[2] = (uint32_t)v.bus.buid;

    /* QEMU's default pgsz, 4K|64K|2M|16M, without 4K */
    rtas(&v, "ibm,query-pe-dma-window", q_args, 3, q, 5);
    g_assert_cmpint(q[0], ==, 0);
    g_assert_cmpint(q[1], ==, 1);
    g_assert_cmphex(q[3], ==, DDW_PGSIZE_64K | DDW_PGSIZE_2M | DDW_PGSIZE_16M);

    /* 4K TCEs: refused, nothing created */
    {
        uint32_t args[] = { 0, q_args[1], q_args[2], 12, 30 };

        rtas(&v, "ibm,create-pe-dma-window", args, 5, c, 4);
        g_assert_cmpint((int32_t)c[0], ==, RTAS_OUT_PARAM_ERROR);
        rtas(&v, "ibm,query-pe-dma-window", q_args, 3, q, 5);
        g_assert_cmpint(q[1], ==, 1);
        check_vphb(&v, "ibm,create-pe-dma-window with 4K TCEs");
    }

    for (int i = 0; i < ARRAY_SIZE(shifts); i++) {
        uint32_t args[] = { 0, q_args[1], q_args[2], shifts[i], 30 };
        Window *w = &v.win[1];
        uint64_t psize = 1ULL << shifts[i];
        /* a page of that size holding GPA_C */
        uint64_t gpa = GPA_C & ~(psize - 1);
        g_autofree char *step = g_strdup_printf("DDW of %uK TCEs",
                                                (unsigned)(psize >> 10));

        rtas(&v, "ibm,create-pe-dma-window", args, 5, c, 4);
        g_assert_cmpint(c[0], ==, 0);
        g_assert_cmphex(((uint64_t)c[2] << 32) | c[3], ==, w->bus);
        model_enable(w, w->bus, shifts[i], 1ULL << (30 - shifts[i]));
        check_vphb(&v, step);

        /* two pages: host mappings of that size (check_vphb compares) */
        ddw_direct_map(&v, c[1], gpa, 2);
        check_vphb(&v, step);
        edu_dma(&v, w->bus + GPA_C + 0x40, GPA_C + 0x40, true, true);
        edu_dma(&v, w->bus + gpa + psize + 0x80, gpa + psize + 0x80, false,
                true);
        /* and nothing beyond them */
        edu_dma(&v, w->bus + gpa + 2 * psize, gpa + 2 * psize, true, false);

        rtas(&v, "ibm,remove-pe-dma-window", &c[1], 1, &rm, 1);
        g_assert_cmpint(rm, ==, 0);
        model_disable(w);
        check_vphb(&v, "ibm,remove-pe-dma-window");
    }

    /*
     * x-unmappable-dma32=on: the host refuses the 4K map (EINVAL), and
     * the TCE engine tells the guest (H_HARDWARE) and leaves the entry
     * clear; the device's DMA there faults.  (A map notification, then
     * the unmap that withdraws it.)
     */
    errors = map_errors(&v);
    g_assert_cmpint(hcall(&v, NULL, H_PUT_TCE, liobn0, 0x3000,
                          GPA_A | TCE_RW, 0), ==, H_HARDWARE);
    g_assert_cmpint(map_errors(&v), ==, errors + 1);
    v.win[0].maps++;
    v.win[0].unmaps++;
    model_tce(&v.win[0], 0x3000);
    check_vphb(&v, "a 4K TCE of the 32-bit window, refused");
    edu_dma(&v, 0x3000, GPA_A, true, false);

    vphb_fini(&v);
    vphb_fake_stop(&f);
    alloc_destroy(&alloc);
}

/*
 * Two vPHBs, two containers: a TCE of one maps only in its own, and the
 * other's device cannot DMA through that IOVA.
 */
static void test_isolation(const void *opaque)
{
    const char *iommu = opaque;
    QGuestAllocator alloc;
    VphbFake f;
    Vphb v1, v3;

    ram_delta_known = false;
    vphb_fake_start(&f, iommu, NULL, NULL,
                    "-m 1G -device " VPHB ",id=vphb1,index=1,iommu=1 "
                    "-device " VPHB ",id=vphb3,index=3,iommu=3");
    spapr_alloc_init(&alloc, f.qts, ALLOC_NO_FLAGS);
    vphb_init(&v1, &f, &alloc, "vphb1", 1, 1, "0000:01:00.0");
    vphb_init(&v3, &f, &alloc, "vphb3", 3, 3, "0000:03:00.0");

    put_tce(&v1, v1.win[0].liobn, 0x6000, GPA_B | TCE_RW);
    check_vphb(&v1, "vphb1 H_PUT_TCE");
    /* vphb3's windows and container hold nothing */
    check_vphb(&v3, "vphb1 H_PUT_TCE");
    edu_dma(&v1, 0x6000, GPA_B, true, true);
    edu_dma(&v3, 0x6000, GPA_B, true, false);
    edu_dma(&v3, 0x6000, GPA_B, false, false);

    /* and the other way round, at another IOVA */
    put_tce(&v3, v3.win[0].liobn, 0x7000, GPA_C | TCE_RW);
    check_vphb(&v3, "vphb3 H_PUT_TCE");
    check_vphb(&v1, "vphb3 H_PUT_TCE");
    edu_dma(&v3, 0x7000, GPA_C, true, true);
    edu_dma(&v1, 0x7000, GPA_C, true, false);

    vphb_fini(&v1);
    vphb_fini(&v3);
    vphb_fake_stop(&f);
    alloc_destroy(&alloc);
}

int main(int argc, char **argv)
{
    static const char *const iommus[] = { "spapr-tce-v2", "type1" };

    g_test_init(&argc, &argv, NULL);
    for (int i = 0; i < ARRAY_SIZE(iommus); i++) {
        g_autofree char *dma = g_strdup_printf("/vphb/dma/windows/%s",
                                               iommus[i]);
        g_autofree char *iso = g_strdup_printf("/vphb/dma/isolation/%s",
                                               iommus[i]);
        g_autofree char *lim = g_strdup_printf("/vphb/dma/ddw-limit/%s",
                                               iommus[i]);

        qtest_add_data_func(dma, iommus[i], test_dma);
        qtest_add_data_func(lim, iommus[i], test_ddw_limit);
        qtest_add_data_func(iso, iommus[i], test_isolation);
    }
    qtest_add_func("/vphb/dma/host-64k/type1", test_host_64k);
    return g_test_run();
}
