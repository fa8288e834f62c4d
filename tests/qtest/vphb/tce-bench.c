/*
 * TCE benchmark: our build against stock QEMU, side by side
 *
 * The same workloads run on two binaries through qtest, and a table of
 * both results and their ratio (stock / ours) is printed:
 *
 *   ours   $QTEST_QEMU_BINARY (build/qemu-build/qemu-system-ppc64)
 *   stock  $VPHB_BENCH_STOCK_QEMU, QEMU 10.0 from the same source built
 *          with ./configure --stock: no change of ours but the qtest
 *          'hcall' command (docs/devel/build.rst); its column is left
 *          empty when the variable is unset
 *
 * Workloads (docs/devel/testing.rst explains each row):
 *   a. the recorded Linux guest (tests/data/traces) replayed and checked;
 *   b. Linux's 1:1 DDW mapping of a 64 GiB guest, 64 KiB and 16 MiB TCEs,
 *      in H_PUT_TCE_INDIRECT batches of 512;
 *   c. Linux's boot-time clear of a 1 GiB default window: 512 H_STUFF_TCE
 *      of 512 pages;
 *   d. QEMU's memory (VmSize, VmRSS) for an empty 1 TiB DDW of 64 KiB
 *      pages, after mapping 1% of it, after clearing all of it;
 *   e. host map calls on the fake VFIO kernel (tests/vfio-fake): stock
 *      vfio-pci on a plain PHB against our spapr-pci-vfio-host-bridge,
 *      on a sPAPR and a Type1 host, for the 1:1 fill of a 4 GiB guest and
 *      for the boot-time clear;
 *   f. a real Debian guest's boot under TCG with four groups of the fake
 *      kernel: four plain PHBs with vfio-pci (stock), four vPHBs (ours).
 *
 * No timing is asserted: the exit status is non-zero only when a call
 * fails or the replay disagrees with the recording.
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <math.h>
#include "libqtest.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "vphb-fake.h"
#include "vphb-trace.h"

#define TCE_RW              3ULL
#define BATCH               512
/* where the guest keeps its TCE list page: Linux uses one per CPU */
#define TCE_LIST            0x20000ULL

#define PHB_BUID(index)     (0x800000020000000ULL + (index))
#define PHB_LIOBN(index, n) (0x80000000u | (index) << 8 | (n))

#define STOCK               0
#define OURS                1
#define NBIN                2

static const char *binary[NBIN];
static const char *const bin_name[NBIN] = { "stock", "ours" };
static int failures;

/* The table */

typedef struct Row {
    char *what;
    const char *unit;
    double v[NBIN];
    double target;          /* stock / ours must be >= this; 0: none */
    bool higher_better;     /* a rate: ratio below 1 is ours ahead */
} Row;

static GPtrArray *rows;

/* run-to-run spread of the times on an idle 2-core machine */
#define NOISE 0.1

/* times below this are not judged against a target */
#define MIN_MS 1.0

/* repetitions of a timed workload, at most */
#define MAX_RUNS 9

static Row *row(const char *what, const char *unit, double target)
{
    Row *r;

    for (guint i = 0; i < rows->len; i++) {
        r = g_ptr_array_index(rows, i);
        if (!strcmp(r->what, what)) {
            return r;
        }
    }
    r = g_new0(Row, 1);
    r->what = g_strdup(what);
    r->unit = unit;
    r->v[STOCK] = r->v[OURS] = NAN;
    r->target = target;
    g_ptr_array_add(rows, r);
    return r;
}

static void put(int b, const char *what, const char *unit, double target,
                double value)
{
    row(what, unit, target)->v[b] = value;
}

static void section(const char *title)
{
    Row *r = row(title, NULL, 0);

    r->unit = NULL;
}

static void fmt_value(char *buf, size_t len, double v)
{
    if (isnan(v)) {
        snprintf(buf, len, "-");
    } else if (v == 0 || fabs(v) >= 1000 || v == floor(v)) {
        snprintf(buf, len, "%.0f", v);
    } else if (fabs(v) >= 10) {
        snprintf(buf, len, "%.1f", v);
    } else {
        snprintf(buf, len, "%.3g", v);
    }
}

static void print_table(void)
{
    printf("\n%-66s %-6s %10s %10s %10s %8s\n", "workload", "unit",
           "stock", "ours", "stock/ours", "target");
    for (guint i = 0; i < rows->len; i++) {
        Row *r = g_ptr_array_index(rows, i);
        char s[32], o[32], ratio[32] = "-", target[32] = "";

        if (!r->unit) {
            printf("%s\n", r->what);
            continue;
        }
        fmt_value(s, sizeof(s), r->v[STOCK]);
        fmt_value(o, sizeof(o), r->v[OURS]);
        if (!isnan(r->v[STOCK]) && !isnan(r->v[OURS])) {
            if (r->v[OURS] > 0 && r->v[STOCK] >= 0) {
                snprintf(ratio, sizeof(ratio), "%.2f",
                         r->v[STOCK] / r->v[OURS]);
            } else if (r->v[OURS] == 0 && r->v[STOCK] > 0) {
                snprintf(ratio, sizeof(ratio), "inf");
            }
        }
        if (r->target == 1 && !strcmp(r->unit, "ms") &&
            r->v[STOCK] < MIN_MS && r->v[OURS] < MIN_MS) {
            /* too short for a ratio to mean anything */
            snprintf(target, sizeof(target), "(<%gms)", MIN_MS);
        } else if (r->target) {
            bool known = !isnan(r->v[STOCK]) && !isnan(r->v[OURS]);
            /* "no slower" is met within the noise of the measurement */
            double need = r->target == 1 ? 1 - NOISE : r->target;
            bool met = known && (r->v[OURS] > 0 ?
                                 r->v[STOCK] / r->v[OURS] >= need :
                                 r->v[STOCK] >= 0);

            snprintf(target, sizeof(target), ">=%g %s", r->target,
                     !known ? "?" : met ? "met" : "MISS");
        }
        printf("  %-64s %-6s %10s %10s %10s %8s\n", r->what, r->unit, s, o,
               ratio, target);
    }
    printf("\nstock/ours above 1: ours takes less time, memory or host "
           "calls (in rec/s, ours\nis faster below 1).  Times are medians "
           "of repeated runs: the wall clock, through\nqtest's socket, and "
           "QEMU CPU, the CPU time of QEMU's main thread, which runs\nevery "
           "call.  \"No slower\" (>=1) is judged on QEMU CPU (f: on the "
           "wall clock),\nwithin %.0f%% of noise, never below %g ms.  "
           "Targets are reported, never asserted.\n", NOISE * 100, MIN_MS);
}

/* Helpers */

static double now_s(void)
{
    return g_get_monotonic_time() / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
    double s[MAX_RUNS];

    g_assert(n > 0 && n <= MAX_RUNS);
    memcpy(s, v, n * sizeof(*v));
    qsort(s, n, sizeof(*s), cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void fail(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

static void fail(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fprintf(stderr, "tce-bench: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    failures++;
}

/*
 * A time: the wall clock, and the CPU time of QEMU's main thread, which
 * runs every qtest command (hypercalls, RTAS, and the VFIO ioctls the
 * fake kernel answers in QEMU's process).  The wall clock also counts
 * the qtest socket and this program; the CPU time does not, and is
 * less disturbed by other work on the machine.
 */
typedef struct Lap {
    double wall;
    double cpu;
} Lap;

static double qemu_cpu_s(QTestState *qts)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/schedstat",
                                            (int)qtest_pid(qts));
    g_autofree char *text = NULL;

    /* "ns-on-cpu ns-waiting timeslices" of the main thread */
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    return g_ascii_strtod(text, NULL) / 1e9;
}

static Lap lap_start(QTestState *qts)
{
    Lap l = { now_s(), qemu_cpu_s(qts) };

    return l;
}

static Lap lap_end(QTestState *qts, Lap start)
{
    Lap l = { now_s() - start.wall, qemu_cpu_s(qts) - start.cpu };

    return l;
}

/* Repeated times of one workload */
typedef struct Laps {
    double wall[MAX_RUNS];
    double cpu[MAX_RUNS];
    int n;
} Laps;

static void laps_add(Laps *ls, Lap l)
{
    g_assert(ls->n < MAX_RUNS);
    ls->wall[ls->n] = l.wall;
    ls->cpu[ls->n] = l.cpu;
    ls->n++;
}

/* Two rows: the median wall time, and QEMU's CPU time with the target */
static void put_laps(int b, const char *what, const Laps *ls, double scale,
                     const char *unit)
{
    g_autofree char *cpu = g_strdup_printf("%s, QEMU CPU", what);

    if (!ls->n) {
        return;
    }
    put(b, what, unit, 0, median(ls->wall, ls->n) * scale);
    put(b, cpu, unit, 1, median(ls->cpu, ls->n) * scale);
}

static QTestState *start(int b, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static QTestState *start(int b, const char *fmt, ...)
{
    g_autofree char *args = NULL;
    va_list ap;

    va_start(ap, fmt);
    args = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_setenv("QTEST_QEMU_BINARY", binary[b], true);
    return qtest_initf("-machine pseries -nodefaults %s", args);
}

/*
 * A large guest whose RAM is reserved but not committed: QEMU's RAM is
 * only touched where the benchmark writes, and a 64 GiB guest starts on
 * a host with less memory.
 */
static const char *big_ram(uint64_t gib)
{
    static char buf[200];

    snprintf(buf, sizeof(buf), "-machine memory-backend=ram "
             "-object memory-backend-ram,id=ram,size=%" PRIu64 "G,reserve=off "
             "-m %" PRIu64 "G", gib, gib);
    return buf;
}

static int64_t hcall(QTestState *qts, uint64_t opcode, int nargs,
                     const uint64_t *args)
{
    return vphb_hcall(qts, opcode, nargs, args, NULL);
}

static uint64_t get_tce(QTestState *qts, uint32_t liobn, uint64_t ioba)
{
    uint64_t args[] = { liobn, ioba };
    uint64_t tce = 0;

    if (vphb_hcall(qts, VPHB_H_GET_TCE, 2, args, &tce)) {
        return ~0ULL;
    }
    return tce;
}

typedef struct Ddw {
    uint32_t liobn;
    uint64_t start;
} Ddw;

/* Linux's enable_ddw(): query, then create (timed in @lap) */
static bool create_ddw(QTestState *qts, unsigned index, unsigned page_shift,
                       unsigned window_shift, Ddw *w, Lap *lap)
{
    uint32_t args[] = { 0x800, PHB_BUID(index) >> 32,
                        (uint32_t)PHB_BUID(index), page_shift, window_shift };
    uint32_t q[6], c[4];
    Lap l;

    if (vphb_rtas_call(qts, "ibm,query-pe-dma-window", args, 3, q, 6) ||
        q[1] < 1) {
        fail("ibm,query-pe-dma-window on PHB %u: status %d, %u windows",
             index, (int32_t)q[0], q[1]);
        return false;
    }
    l = lap_start(qts);
    if (vphb_rtas_call(qts, "ibm,create-pe-dma-window", args, 5, c, 4)) {
        fail("ibm,create-pe-dma-window on PHB %u (2^%u of 2^%u pages): "
             "status %d", index, window_shift, page_shift, (int32_t)c[0]);
        return false;
    }
    if (lap) {
        *lap = lap_end(qts, l);
    }
    w->liobn = c[1];
    w->start = (uint64_t)c[2] << 32 | c[3];
    return true;
}

static bool remove_ddw(QTestState *qts, const Ddw *w)
{
    uint32_t liobn = w->liobn, status;

    if (vphb_rtas_call(qts, "ibm,remove-pe-dma-window", &liobn, 1,
                       &status, 1)) {
        fail("ibm,remove-pe-dma-window 0x%x: status %d", liobn,
             (int32_t)status);
        return false;
    }
    return true;
}

/*
 * Linux's tce_setrange_multi_pSeriesLP(): @n pages of the window from
 * page @first mapped 1:1 to RAM (page i to guest address i << shift), 512
 * TCEs per H_PUT_TCE_INDIRECT, the list written into the guest's list
 * page before each call.
 */
static bool fill(QTestState *qts, const Ddw *w, unsigned page_shift,
                 uint64_t first, uint64_t n, Lap *lap)
{
    uint64_t tces[BATCH];
    Lap l = lap_start(qts);

    for (uint64_t i = first; i < first + n; i += BATCH) {
        int cnt = MIN(BATCH, first + n - i);
        int64_t ret;

        for (int j = 0; j < cnt; j++) {
            tces[j] = (i + j) << page_shift | TCE_RW;
        }
        ret = vphb_put_tce_indirect(qts, w->liobn,
                                    w->start + (i << page_shift),
                                    TCE_LIST, tces, cnt);
        if (ret) {
            fail("H_PUT_TCE_INDIRECT at page %" PRIu64 ": %" PRId64, i, ret);
            return false;
        }
    }
    if (lap) {
        *lap = lap_end(qts, l);
    }
    return true;
}

/* The first, a middle and the last page of a 1:1 fill hold their TCEs */
static void check_fill(QTestState *qts, const Ddw *w, unsigned page_shift,
                       uint64_t n)
{
    uint64_t pages[] = { 0, n / 2 + 1, n - 1 };

    for (int i = 0; i < ARRAY_SIZE(pages); i++) {
        uint64_t want = pages[i] << page_shift | TCE_RW;
        uint64_t tce = get_tce(qts, w->liobn,
                               w->start + (pages[i] << page_shift));

        if (tce != want) {
            fail("page %" PRIu64 " of the DDW: TCE 0x%" PRIx64 ", want 0x%"
                 PRIx64, pages[i], tce, want);
        }
    }
}

/* Linux's boot-time clear of a 1 GiB default window: 512 x 512 pages */
static bool boot_clear(QTestState *qts, uint32_t liobn, Lap *lap)
{
    Lap l = lap_start(qts);

    for (uint64_t i = 0; i < 512; i++) {
        uint64_t args[] = { liobn, i * 512 * 0x1000, 0, 512 };
        int64_t ret = hcall(qts, VPHB_H_STUFF_TCE, 4, args);

        if (ret) {
            fail("H_STUFF_TCE %" PRIu64 " of the boot clear: %" PRId64, i,
                 ret);
            return false;
        }
    }
    *lap = lap_end(qts, l);
    return true;
}

/* a. the recorded guest */

#define REPLAY_RUNS 5

/* one run on each binary in turn, so both see the same load */
static void bench_replay(const VphbTrace *t)
{
    Laps ls[NBIN] = { 0 };
    bool ok[NBIN] = { true, true };

    for (int i = 0; i < REPLAY_RUNS; i++) {
        for (int b = 0; b < NBIN; b++) {
            QTestState *qts;
            g_autofree char *err = NULL;
            Lap l;

            if (!binary[b] || !ok[b]) {
                continue;
            }
            qts = start(b, "-m %" PRIu64 "M %s", t->ram_size >> 20,
                        vphb_trace_topology());
            l = lap_start(qts);
            err = vphb_trace_replay(qts, t);
            laps_add(&ls[b], lap_end(qts, l));
            qtest_quit(qts);
            if (err) {
                fail("%s: the replay differs from the recording at %s",
                     bin_name[b], err);
                ok[b] = false;
            }
        }
    }
    for (int b = 0; b < NBIN; b++) {
        if (binary[b] && ok[b]) {
            put_laps(b, "a. trace replay, every record checked: time",
                     &ls[b], 1e3, "ms");
            put(b, "a. trace replay: records per second (wall)", "rec/s", 0,
                t->n / median(ls[b].wall, ls[b].n));
        }
    }
}

/* b. a 64 GiB guest's 1:1 DDW */

/*
 * Each run creates the window, fills it and removes it again, so every
 * run is Linux's first fill of an empty window; times are medians.
 */
static void bench_ddw_fill(int b, unsigned page_shift, const char *label,
                           int runs)
{
    const unsigned ram_shift = 36;      /* 64 GiB */
    uint64_t n = 1ULL << (ram_shift - page_shift);
    QTestState *qts = start(b, "%s", big_ram(64));
    g_autofree char *what = NULL;
    Laps create = { 0 }, fills = { 0 };
    Ddw w;
    Lap l;

    for (int i = 0; i < runs; i++) {
        if (!create_ddw(qts, 0, page_shift, ram_shift, &w, &l)) {
            goto out;
        }
        laps_add(&create, l);
        if (!fill(qts, &w, page_shift, 0, n, &l)) {
            goto out;
        }
        laps_add(&fills, l);
        check_fill(qts, &w, page_shift, n);
        if (!remove_ddw(qts, &w)) {
            goto out;
        }
    }
    what = g_strdup_printf("b. 64 GiB 1:1 DDW, %s pages: create", label);
    put_laps(b, what, &create, 1e3, "ms");
    g_free(what);
    what = g_strdup_printf("b. 64 GiB 1:1 DDW, %s pages: fill, %" PRIu64
                           " calls", label, DIV_ROUND_UP(n, BATCH));
    put_laps(b, what, &fills, 1e3, "ms");
out:
    qtest_quit(qts);
}

/* c. the boot-time clear */

#define CLEAR_RUNS 5

static void bench_boot_clear(int b)
{
    QTestState *qts = start(b, "-m 1G");
    Laps ls = { 0 };
    Lap l;

    for (int i = 0; i < CLEAR_RUNS; i++) {
        if (!boot_clear(qts, PHB_LIOBN(0, 0), &l)) {
            qtest_quit(qts);
            return;
        }
        laps_add(&ls, l);
    }
    put_laps(b, "c. boot clear, 512 x H_STUFF_TCE(512) on 1 GiB", &ls, 1e3,
             "ms");
    qtest_quit(qts);
}

/* d. memory of a 1 TiB DDW */

typedef struct Mem {
    double size_mib;
    double rss_mib;
} Mem;

static Mem qemu_mem(QTestState *qts)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/status",
                                            (int)qtest_pid(qts));
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    Mem m = { NAN, NAN };

    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    lines = g_strsplit(text, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        double *v = g_str_has_prefix(lines[i], "VmSize:") ? &m.size_mib :
                    g_str_has_prefix(lines[i], "VmRSS:") ? &m.rss_mib : NULL;

        if (v) {
            /* "VmRSS:    1234 kB" */
            *v = g_ascii_strtod(strchr(lines[i], ':') + 1, NULL) / 1024;
        }
    }
    return m;
}

static void put_mem(int b, const char *what, Mem before, Mem now,
                    double target)
{
    g_autofree char *s = g_strdup_printf("%s: VmSize", what);
    g_autofree char *r = g_strdup_printf("%s: VmRSS", what);

    put(b, s, "MiB", target, now.size_mib - before.size_mib);
    put(b, r, "MiB", 0, now.rss_mib - before.rss_mib);
}

#define MEM_RUNS 3

static void bench_ddw_memory(int b)
{
    const unsigned page_shift = 16, window_shift = 40;     /* 1 TiB */
    const uint64_t n = 1ULL << (window_shift - page_shift);
    /* 1% of the window, whole batches: 10.25 GiB of the 16 GiB of RAM */
    const uint64_t used = ROUND_UP(n / 100, BATCH);
    QTestState *qts = start(b, "%s", big_ram(16));
    Laps ls = { 0 };
    Mem before, now;
    uint64_t args[4];
    int64_t ret;
    Ddw w;
    Lap l;

    /* QEMU settled: a hypercall and an RTAS call made once */
    get_tce(qts, PHB_LIOBN(0, 0), 0);
    before = qemu_mem(qts);
    if (!create_ddw(qts, 0, page_shift, window_shift, &w, NULL)) {
        goto out;
    }
    now = qemu_mem(qts);
    put_mem(b, "d. empty 1 TiB DDW (2^24 TCEs of 64 KiB)", before, now, 100);

    if (!fill(qts, &w, page_shift, 0, used, NULL)) {
        goto out;
    }
    check_fill(qts, &w, page_shift, used);
    now = qemu_mem(qts);
    put_mem(b, "d. the same, 1% mapped 1:1", before, now, 0);

    /*
     * One H_STUFF_TCE over the whole window, as KVM allows; the memory is
     * QEMU's after the first, the time the median of MEM_RUNS, each after
     * the same 1% fill
     */
    for (int i = 0; i < MEM_RUNS; i++) {
        if (i && !fill(qts, &w, page_shift, 0, used, NULL)) {
            goto out;
        }
        args[0] = w.liobn;
        args[1] = w.start;
        args[2] = 0;
        args[3] = n;
        l = lap_start(qts);
        ret = hcall(qts, VPHB_H_STUFF_TCE, 4, args);
        laps_add(&ls, lap_end(qts, l));
        if (ret) {
            fail("%s: H_STUFF_TCE of the whole 1 TiB window: %" PRId64,
                 bin_name[b], ret);
            goto out;
        }
        if (get_tce(qts, w.liobn, w.start) != 0 ||
            get_tce(qts, w.liobn, w.start + ((used - 1) << page_shift))) {
            fail("%s: the whole-window H_STUFF_TCE left a TCE", bin_name[b]);
        }
        if (!i) {
            now = qemu_mem(qts);
            put_mem(b, "d. the same, cleared by one H_STUFF_TCE", before, now,
                    0);
        }
    }
    put_laps(b, "d. that H_STUFF_TCE of 2^24 TCEs, 1% of them set", &ls, 1e3,
             "ms");
out:
    qtest_quit(qts);
}

/* e. host map calls on the fake VFIO kernel */

typedef struct HostCalls {
    double map, unmap, map_errors;
} HostCalls;

static HostCalls host_calls(VphbFake *f)
{
    QDict *state = vphb_fake_state(f);
    HostCalls h = { 0 };
    const QListEntry *e;

    QLIST_FOREACH_ENTRY(qdict_get_qlist(state, "containers"), e) {
        QDict *c = qobject_to(QDict, qlist_entry_obj(e));

        h.map += qdict_get_int(c, "map-calls");
        h.unmap += qdict_get_int(c, "unmap-calls");
        h.map_errors += qdict_get_int(c, "map-errors");
    }
    qobject_unref(state);
    return h;
}

/*
 * A 4 GiB guest with the fake's edu (group 1) on PHB 1: stock passes it
 * through with vfio-pci on a plain PHB, ours gives the group its vPHB.
 * On Type1, stock's DDW is moved inside the 39-bit aperture (ours places
 * it there itself).
 */
static void start_fake(int b, VphbFake *f, const char *iommu)
{
    bool type1 = !strcmp(iommu, "type1");
    g_autofree char *args = NULL;

    if (b == STOCK) {
        args = g_strdup_printf(
            "-m 4G -device spapr-pci-host-bridge,index=1,id=phb1 "
            "-device vfio-pci,host=0000:01:00.0,bus=phb1.0,addr=1.0%s",
            type1 ? " -global spapr-pci-host-bridge.dma64_win_addr="
                    "0x4000000000" : "");
    } else {
        args = g_strdup("-m 4G -device spapr-pci-vfio-host-bridge,"
                        "index=1,iommu=1");
    }
    g_setenv("QTEST_QEMU_BINARY", binary[b], true);
    vphb_fake_start(f, iommu, NULL, NULL, args);
}

/*
 * The boot-time clear of PHB 1's default window (@clear), then @runs
 * times: a DDW covering RAM created, filled 1:1, removed.  Host calls are
 * those of the first clear and the first fill; times are medians.
 */
static void bench_host_maps(int b, const char *iommu, unsigned page_shift,
                            const char *label, bool clear, int runs)
{
    const unsigned ram_shift = 32;       /* 4 GiB */
    uint64_t n = 1ULL << (ram_shift - page_shift);
    g_autofree char *what = NULL;
    HostCalls h0, h1, first = { 0 };
    Laps ls = { 0 };
    VphbFake f;
    Ddw w;
    Lap l;

    start_fake(b, &f, iommu);
    if (clear) {
        /* at boot: the default window cleared, as Linux does */
        for (int i = 0; i < CLEAR_RUNS; i++) {
            h0 = host_calls(&f);
            if (!boot_clear(f.qts, PHB_LIOBN(1, 0), &l)) {
                goto out;
            }
            h1 = host_calls(&f);
            laps_add(&ls, l);
            if (!i) {
                first.unmap = h1.unmap - h0.unmap;
            }
        }
        what = g_strdup_printf("e. %s: boot clear of the default window: "
                               "UNMAP_DMA", iommu);
        put(b, what, "calls", 0, first.unmap);
        g_free(what);
        what = g_strdup_printf("e. %s: boot clear", iommu);
        put_laps(b, what, &ls, 1e3, "ms");
        g_free(what);
        ls.n = 0;
    }
    for (int i = 0; i < runs; i++) {
        if (!create_ddw(f.qts, 1, page_shift, ram_shift, &w, NULL)) {
            goto out;
        }
        h0 = host_calls(&f);
        if (!fill(f.qts, &w, page_shift, 0, n, &l)) {
            goto out;
        }
        h1 = host_calls(&f);
        laps_add(&ls, l);
        check_fill(f.qts, &w, page_shift, n);
        if (!i) {
            first.map = h1.map - h0.map;
            first.unmap = h1.unmap - h0.unmap;
            first.map_errors = h1.map_errors - h0.map_errors;
        }
        if (!remove_ddw(f.qts, &w)) {
            goto out;
        }
    }
    what = g_strdup_printf("e. %s: 4 GiB 1:1 fill, %s pages: MAP_DMA",
                           iommu, label);
    put(b, what, "calls", 10, first.map);
    g_free(what);
    what = g_strdup_printf("e. %s: 4 GiB 1:1 fill, %s pages: UNMAP_DMA",
                           iommu, label);
    put(b, what, "calls", 0, first.unmap);
    g_free(what);
    what = g_strdup_printf("e. %s: 4 GiB 1:1 fill, %s pages: failed maps",
                           iommu, label);
    put(b, what, "calls", 0, first.map_errors);
    g_free(what);
    what = g_strdup_printf("e. %s: 4 GiB 1:1 fill, %s pages", iommu, label);
    put_laps(b, what, &ls, 1e3, "ms");
out:
    vphb_fake_stop(&f);
}

/* f. a real guest's boot */

#define BOOT_RUNS 3

typedef struct Boot {
    double wall_ms, uptime_ms, maps, unmaps;
} Boot;

/*
 * tests/functional/pseries-boot-time.sh: a Debian guest under TCG with
 * four groups of the fake kernel, on four vPHBs (ours) or four plain
 * PHBs with vfio-pci (stock).  Returns 1 on success, 0 when the guest
 * cannot be had (skipped), -1 on a failure.
 */
static int boot_once(int b, const char *script, Boot *out)
{
    const char *argv[] = { script, b == STOCK ? "stock" : "vphb", binary[b],
                           g_getenv("VFIO_FAKE_LIB"), NULL };
    g_autofree char *out_text = NULL;
    g_autoptr(GError) err = NULL;
    const char *line;
    int status;

    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                      &out_text, NULL, &status, &err)) {
        fail("%s: %s", script, err->message);
        return -1;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 2) {
        return 0;
    }
    line = out_text ? strstr(out_text, "BOOT ") : NULL;
    if (!WIFEXITED(status) || WEXITSTATUS(status) || !line ||
        sscanf(line, "BOOT wall_ms=%lf uptime_ms=%lf map_calls=%lf "
               "unmap_calls=%lf", &out->wall_ms, &out->uptime_ms,
               &out->maps, &out->unmaps) != 4) {
        fail("%s: the guest's boot on %s failed", script, bin_name[b]);
        return -1;
    }
    return 1;
}

static void bench_boot(const char *script)
{
    double wall[NBIN][MAX_RUNS], up[NBIN][MAX_RUNS];
    Boot first[NBIN];
    bool ok[NBIN] = { true, true };
    int n = 0;

    /* the binaries in turn, so both see the same load */
    for (int i = 0; i < BOOT_RUNS; i++) {
        for (int b = 0; b < NBIN; b++) {
            Boot boot;
            int r;

            if (!binary[b] || !ok[b]) {
                continue;
            }
            r = boot_once(b, script, &boot);
            if (r <= 0) {
                if (!r) {
                    section("f. (skipped: no guest packages in the cache, and "
                            "none to download)");
                    return;
                }
                ok[b] = false;
                continue;
            }
            wall[b][i] = boot.wall_ms;
            up[b][i] = boot.uptime_ms;
            if (!i) {
                first[b] = boot;
            }
        }
        n++;
    }
    for (int b = 0; b < NBIN; b++) {
        if (!binary[b] || !ok[b]) {
            continue;
        }
        put(b, "f. boot with 4 groups: QEMU run, start to power-off", "ms", 1,
            median(wall[b], n));
        put(b, "f. boot with 4 groups: the guest's uptime when init starts",
            "ms", 0, median(up[b], n));
        put(b, "f. boot with 4 groups: MAP_DMA", "calls", 0, first[b].maps);
        put(b, "f. boot with 4 groups: UNMAP_DMA", "calls", 0,
            first[b].unmaps);
    }
}

/* $VPHB_BENCH_ONLY: the letters of the workloads to run (default: all) */
static bool wanted(char workload)
{
    const char *only = g_getenv("VPHB_BENCH_ONLY");

    return !only || !*only || strchr(only, workload);
}

int main(int argc, char **argv)
{
    const char *trace_path = g_getenv("VPHB_TRACE");
    bool fake = g_getenv("VFIO_FAKE_LIB");
    VphbTrace *trace = NULL;
    double t0 = now_s();

    binary[OURS] = g_getenv("QTEST_QEMU_BINARY");
    binary[STOCK] = g_getenv("VPHB_BENCH_STOCK_QEMU");
    if (!binary[OURS]) {
        fprintf(stderr, "tce-bench: QTEST_QEMU_BINARY names no QEMU\n");
        return 1;
    }
    binary[OURS] = g_strdup(binary[OURS]);
    if (binary[STOCK] && !*binary[STOCK]) {
        binary[STOCK] = NULL;
    }
    printf("ours:  %s\nstock: %s\n", binary[OURS],
           binary[STOCK] ? binary[STOCK] :
           "(none: set VPHB_BENCH_STOCK_QEMU, or run 'make bench')");
    fflush(stdout);
    rows = g_ptr_array_new();

    /* each workload on both binaries before the next, to share the load */
    if (!wanted('a')) {
        /* left out */
    } else if (trace_path) {
        trace = vphb_trace_load(trace_path);
        bench_replay(trace);
    } else {
        section("a. (no trace: VPHB_TRACE unset)");
    }
    for (int b = 0; wanted('b') && b < NBIN; b++) {
        if (binary[b]) {
            bench_ddw_fill(b, 16, "64K", 3);
        }
    }
    for (int b = 0; wanted('b') && b < NBIN; b++) {
        if (binary[b]) {
            bench_ddw_fill(b, 24, "16M", 9);
        }
    }
    for (int b = 0; wanted('c') && b < NBIN; b++) {
        if (binary[b]) {
            bench_boot_clear(b);
        }
    }
    for (int b = 0; wanted('d') && b < NBIN; b++) {
        if (binary[b]) {
            bench_ddw_memory(b);
        }
    }
    for (int i = 0; wanted('e') && fake && i < 4; i++) {
        const char *iommu = i < 2 ? "spapr-tce-v2" : "type1";
        bool big = i % 2;

        for (int b = 0; b < NBIN; b++) {
            if (binary[b]) {
                bench_host_maps(b, iommu, big ? 24 : 16, big ? "16M" : "64K",
                                !big, big ? 9 : 3);
            }
        }
    }
    if (wanted('e') && !fake) {
        section("e. (no fake VFIO kernel: VFIO_FAKE_LIB unset)");
    }
    if (!wanted('f')) {
        /* left out */
    } else if (fake && g_getenv("VPHB_BENCH_BOOT_SCRIPT") &&
               !g_getenv("VPHB_BENCH_NO_BOOT")) {
        bench_boot(g_getenv("VPHB_BENCH_BOOT_SCRIPT"));
    } else {
        section("f. (not run: VPHB_BENCH_NO_BOOT set, or no boot script or "
                "fake VFIO kernel)");
    }
    print_table();
    printf("\n%d error(s); %.0f s in all\n", failures, now_s() - t0);
    if (trace) {
        vphb_trace_free(trace);
    }
    return failures ? 1 : 0;
}
