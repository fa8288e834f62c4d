/*
 * TCE benchmarks: what the TCE hypercalls cost per entry, what mapping a
 * large guest 1:1 into a DDW costs in time and table memory, and how fast
 * the recorded Linux trace replays.
 *
 * Built twice (tests/bench/meson.build):
 *   tce-bench        the machine in this process, spapr_hypercall() and
 *                    spapr_rtas_call_by_name() called directly: the cost
 *                    of our code, where the targets apply;
 *   tce-bench-qtest  (TCE_BENCH_QTEST) the same calls as a test makes them,
 *                    through the qtest socket protocol: dominated by the
 *                    round trip, for comparison only.
 * Each figure is printed on one line with its target, if it has one, and
 * PASS or MISS.  Timings are the median of several repetitions.  The exit
 * status is non-zero only if a call fails or the replay disagrees with the
 * recording (a missed target is reported, not an error).
 */
#ifdef TCE_BENCH_QTEST
#include "libqos/spapr.h"
#include <inttypes.h>
#else
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "qemu/module.h"
#include "hw/ppc/spapr.h"
#include "hw/ppc/spapr_hcall.h"
#include "hw/ppc/spapr_iommu.h"
#include "hw/ppc/spapr_pci.h"
#include "hw/ppc/spapr_rtas.h"
#endif
#include "libqos/replay.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define TRACE_NAME "linux-6.1-pseries-default.jsonl"

#define H_SUCCESS_ 0
#define PAGE_4K 0x1000ull
#define TCE_RW 3ull
#define BATCH 512
#define DEFAULT_WINDOW (1ull << 30)      /* every PHB's default window: 1 GiB at 4 KiB */
#define LIST_A 0x100000ull               /* two indirect list pages in guest RAM */
#define LIST_B 0x101000ull
#define RTAS_ARGS 0x10000ull             /* RTAS argument/return cells (in-process) */
#define REPS 5

static int failures;

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#ifdef TCE_BENCH_QTEST
#define MODE "qtest"
#else
#define MODE "in-process"
#endif

/* One figure: "value unit", then the target and PASS/MISS when there is one. */
static void figure(const char *what, double value, const char *unit, const char *fmt,
                   double target, bool has_target, const char *note)
{
    char val[64];

    snprintf(val, sizeof(val), fmt, value);
    printf("[%s] %-46s %12s %-12s", MODE, what, val, unit);
    if (has_target) {
        printf(" target <= %g %-10s %s", target, unit, value <= target ? "PASS" : "MISS");
    } else {
        printf(" (no target)");
    }
    if (note) {
        printf("  %s", note);
    }
    printf("\n");
    fflush(stdout);
}

static void check(bool ok, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void check(bool ok, const char *fmt, ...)
{
    va_list ap;

    if (ok) {
        return;
    }
    va_start(ap, fmt);
    fprintf(stderr, "tce-bench: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    failures++;
}

/* The machine ------------------------------------------------------------------ */

#ifdef TCE_BENCH_QTEST

static QTestState *qts;

static int64_t hcall(uint64_t opcode, int nargs, const uint64_t *args)
{
    return qtest_hcall(qts, opcode, nargs, args, NULL, 0, NULL);
}

static void memwrite(uint64_t addr, const void *buf, size_t len)
{
    qtest_memwrite(qts, addr, buf, len);
}

static ReplayTarget *target_new(uint64_t ram_size)
{
    return replay_qtest_target_new(qts, ram_size);
}

static void target_free(ReplayTarget *t)
{
    replay_qtest_target_free(t);
}

static void machine_up(uint64_t ram, const char *extra)
{
    qts = qtest_initf("-machine pseries -m %" PRIu64 "M %s", ram >> 20, extra);
}

static void machine_down(void)
{
    qtest_quit(qts);
    qts = NULL;
}

#else

static SpaprMachine *spapr;

static int64_t hcall(uint64_t opcode, int nargs, const uint64_t *args)
{
    uint64_t regs[SPAPR_HCALL_MAX_ARGS] = { 0 }, rets[SPAPR_HCALL_MAX_RETS];
    int nrets;

    memcpy(regs, args, nargs * sizeof(uint64_t));
    return spapr_hypercall(spapr, opcode, regs, rets, &nrets);
}

static void memwrite(uint64_t addr, const void *buf, size_t len)
{
    g_assert(spapr_ram_range_ok(spapr, addr, len));
    memcpy(spapr_ram_ptr(spapr, addr), buf, len);
}

static int64_t t_hcall(void *opaque, uint64_t opcode, const uint64_t *args, int nargs,
                       uint64_t *outs, int *nouts)
{
    uint64_t regs[SPAPR_HCALL_MAX_ARGS] = { 0 };

    memcpy(regs, args, nargs * sizeof(uint64_t));
    return spapr_hypercall(spapr, opcode, regs, outs, nouts);
}

/* Cells are big-endian words in guest RAM, as the guest would pass them. */
static bool t_rtas(void *opaque, const char *name, uint32_t nargs, const uint32_t *args,
                   uint32_t nret, uint32_t *rets)
{
    uint8_t *p = spapr_ram_ptr(spapr, RTAS_ARGS);
    uint64_t hret = 0;

    for (uint32_t i = 0; i < nargs; i++) {
        uint32_t be = GUINT32_TO_BE(args[i]);
        memcpy(p + 4 * i, &be, 4);
    }
    if (!spapr_rtas_call_by_name(spapr, name, nargs, RTAS_ARGS, nret, RTAS_ARGS + 4 * nargs,
                                 &hret) || hret) {
        return false;
    }
    for (uint32_t i = 0; i < nret; i++) {
        uint32_t be;
        memcpy(&be, p + 4 * (nargs + i), 4);
        rets[i] = GUINT32_FROM_BE(be);
    }
    return true;
}

static void t_memwrite(void *opaque, uint64_t addr, const void *buf, size_t len)
{
    memwrite(addr, buf, len);
}

static bool t_window_liobn(void *opaque, unsigned phb_index, unsigned num, uint32_t *liobn)
{
    SpaprPhb *phb = spapr_phb_by_index(spapr, phb_index);

    if (!phb || num >= SPAPR_PCI_DMA_MAX_WINDOWS || !phb->windows[num].enabled) {
        return false;
    }
    *liobn = phb->windows[num].liobn;
    return true;
}

static bool t_phb_buid(void *opaque, unsigned phb_index, uint64_t *buid)
{
    SpaprPhb *phb = spapr_phb_by_index(spapr, phb_index);

    if (phb) {
        *buid = phb->buid;
    }
    return phb;
}

static ReplayTarget *target_new(uint64_t ram_size)
{
    ReplayTarget *t = g_new0(ReplayTarget, 1);

    *t = (ReplayTarget){ NULL, ram_size, t_hcall, t_rtas, t_memwrite, t_window_liobn,
                         t_phb_buid };
    return t;
}

static void target_free(ReplayTarget *t)
{
    g_free(t);
}

/* @extra: PHBs as "index[,ddw=off]" separated by spaces */
static void machine_up(uint64_t ram, const char *extra)
{
    g_autoptr(GError) err = NULL;
    g_auto(GStrv) phbs = g_strsplit(extra, " ", -1);
    Machine *m = machine_create(machine_find_class("pseries"), &err);

    g_assert_no_error(err);
    m->ram_size = ram;
    if (!machine_start(m, &err)) {
        g_error("machine_start: %s", err->message);
    }
    for (int i = 0; phbs[i]; i++) {
        g_auto(GStrv) opts = g_strsplit(phbs[i], ",", -1);
        g_autoptr(JsonObject) props = json_object_new();

        if (!*phbs[i]) {
            continue;
        }
        json_object_set_int_member(props, "index", g_ascii_strtoull(opts[0], NULL, 10));
        if (opts[1] && !strcmp(opts[1], "ddw=off")) {
            json_object_set_boolean_member(props, "ddw", false);
        }
        if (!qdev_device_add(TYPE_SPAPR_PCI_HOST_BRIDGE, props, &err)) {
            g_error("PHB %s: %s", phbs[i], err->message);
        }
    }
    if (!machine_init_done(m, &err)) {
        g_error("machine_init_done: %s", err->message);
    }
    spapr = spapr_machine();
}

static void machine_down(void)
{
    machine_destroy(MACHINE(spapr));
    spapr = NULL;
}

#endif

/* Calls --------------------------------------------------------------------------- */

static int64_t put_tce(uint64_t liobn, uint64_t ioba, uint64_t tce)
{
    uint64_t a[] = { liobn, ioba, tce };
    return hcall(REPLAY_H_PUT_TCE, 3, a);
}

static int64_t stuff_tce(uint64_t liobn, uint64_t ioba, uint64_t tce, uint64_t npages)
{
    uint64_t a[] = { liobn, ioba, tce, npages };
    return hcall(REPLAY_H_STUFF_TCE, 4, a);
}

static int64_t put_indirect(uint64_t liobn, uint64_t ioba, uint64_t list, uint64_t npages)
{
    uint64_t a[] = { liobn, ioba, list, npages };
    return hcall(REPLAY_H_PUT_TCE_INDIRECT, 4, a);
}

/* A list of @n TCEs mapping pages @first.. of 2^@shift bytes read-write, big-endian. */
static void write_list(uint64_t list, uint64_t first, unsigned shift, unsigned n)
{
    uint64_t be[BATCH];

    for (unsigned i = 0; i < n; i++) {
        be[i] = GUINT64_TO_BE(((first + i) << shift) | TCE_RW);
    }
    memwrite(list, be, n * 8);
}

/* Per-hypercall costs on PHB 0's default window (1 GiB at 4 KiB: 262144 entries) -------- */

#define LIOBN0 0x80000000u

/* ns per TCE of one repetition over @entries entries; the first repetition warms up */
static double ns_per_tce(double (*rep)(uint64_t entries, int r), uint64_t entries)
{
    double v[REPS];

    rep(entries, -1);
    for (int r = 0; r < REPS; r++) {
        v[r] = rep(entries, r);
    }
    return median(v, REPS);
}

/* Every entry changes at each repetition (the page moves by one). */
static double rep_put(uint64_t entries, int r)
{
    double t0 = now_ns();
    int64_t bad = 0;

    for (uint64_t i = 0; i < entries; i++) {
        bad |= put_tce(LIOBN0, i * PAGE_4K, (((i + r + 1) % entries) * PAGE_4K) | TCE_RW);
    }
    check(!bad, "H_PUT_TCE failed");
    return (now_ns() - t0) / entries;
}

static double rep_indirect(uint64_t entries, int r)
{
    uint64_t list = (r & 1) ? LIST_B : LIST_A;
    double t0 = now_ns();
    int64_t bad = 0;

    for (uint64_t e = 0; e < entries; e += BATCH) {
        bad |= put_indirect(LIOBN0, e * PAGE_4K, list, BATCH);
    }
    check(!bad, "H_PUT_TCE_INDIRECT failed");
    return (now_ns() - t0) / entries;
}

/* Map every batch to one page, then clear it: both halves of a stuff's life. */
static double rep_stuff(uint64_t entries, int r)
{
    double t0 = now_ns();
    int64_t bad = 0;

    for (uint64_t e = 0; e < entries; e += BATCH) {
        bad |= stuff_tce(LIOBN0, e * PAGE_4K, ((e / BATCH) * PAGE_4K) | TCE_RW, BATCH);
    }
    for (uint64_t e = 0; e < entries; e += BATCH) {
        bad |= stuff_tce(LIOBN0, e * PAGE_4K, 0, BATCH);
    }
    check(!bad, "H_STUFF_TCE failed");
    return (now_ns() - t0) / (2 * entries);
}

/* What Linux does at boot: clear a window that is already empty. */
static double rep_stuff_clear_empty(uint64_t entries, int r)
{
    double t0 = now_ns();
    int64_t bad = 0;

    for (uint64_t e = 0; e < entries; e += BATCH) {
        bad |= stuff_tce(LIOBN0, e * PAGE_4K, 0, BATCH);
    }
    check(!bad, "H_STUFF_TCE failed");
    return (now_ns() - t0) / entries;
}

static void bench_hcalls(uint64_t entries)
{
    double put, ind, stuff, clear;

    write_list(LIST_A, 0, 12, BATCH);
    write_list(LIST_B, 1, 12, BATCH);
    put = ns_per_tce(rep_put, entries);
    check(stuff_tce(LIOBN0, 0, 0, entries) == 0, "clearing the window failed");
    ind = ns_per_tce(rep_indirect, entries);
    for (uint64_t e = 0; e < entries; e += BATCH) {
        check(stuff_tce(LIOBN0, e * PAGE_4K, 0, BATCH) == 0, "clearing the window failed");
    }
    stuff = ns_per_tce(rep_stuff, entries);
    clear = ns_per_tce(rep_stuff_clear_empty, entries);
#ifdef TCE_BENCH_QTEST
    figure("H_PUT_TCE", put, "ns/TCE", "%.0f", 0, false, NULL);
    figure("H_PUT_TCE_INDIRECT (512 per call)", ind, "ns/TCE", "%.1f", 0, false, NULL);
    figure("H_STUFF_TCE (512 per call, map then clear)", stuff, "ns/TCE", "%.1f", 0, false,
           NULL);
    figure("H_STUFF_TCE (512 per call, clear when empty)", clear, "ns/TCE", "%.1f", 0, false,
           NULL);
#else
    figure("H_PUT_TCE", put, "ns/TCE", "%.1f", 0, false, NULL);
    figure("H_PUT_TCE_INDIRECT (512 per call)", ind, "ns/TCE", "%.2f", 20, true, NULL);
    figure("H_STUFF_TCE (512 per call, map then clear)", stuff, "ns/TCE", "%.2f", 20, true,
           NULL);
    figure("H_STUFF_TCE (512 per call, clear when empty)", clear, "ns/TCE", "%.2f", 0, false,
           "(Linux's boot-time clear)");
#endif
}

/* Replay of the recorded Linux guest ---------------------------------------------------- */

static ReplayTrace *load_trace(void)
{
    const char *shared = g_getenv("SHARED_DIR");
    g_autofree char *path = g_build_filename(shared ? shared : "../shared", "traces",
                                             TRACE_NAME, NULL);
    g_autoptr(GError) err = NULL;
    ReplayTrace *t;

    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        printf("[%s] replay: %s is missing, not measured\n", MODE, path);
        return NULL;
    }
    t = replay_trace_load(path, &err);
    check(t, "%s: %s", path, err ? err->message : "");
    return t;
}

/* "index=1" / "index=2,ddw=off" of the recorded PHBs other than 0 */
static char *trace_phbs(const ReplayTrace *t)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < t->phbs->len; i++) {
        const ReplayPhb *p = &g_array_index(t->phbs, ReplayPhb, i);
        if (p->index) {
#ifdef TCE_BENCH_QTEST
            g_string_append_printf(s, " -device spapr-pci-host-bridge,index=%u%s", p->index,
                                   p->ddw ? "" : ",ddw=off");
#else
            g_string_append_printf(s, " %u%s", p->index, p->ddw ? "" : ",ddw=off");
#endif
        }
    }
    return g_string_free(s, FALSE);
}

static double replay_once(const ReplayTrace *t, unsigned *records)
{
    ReplayTarget *target = target_new(t->ram_size);
    ReplayStats st = { 0 };
    double t0 = now_ns(), dt;

    replay_run(t, target, &st);
    dt = now_ns() - t0;
    check(!st.mismatches, "replay: %u mismatches:\n%s", st.mismatches,
          st.log ? st.log->str : "");
    *records = replay_stats_total(&st);
    replay_stats_clear(&st);
    target_free(target);
    return dt;
}

static void bench_replay(void)
{
    g_autoptr(ReplayTrace) t = load_trace();
    g_autofree char *phbs = NULL;
#ifdef TCE_BENCH_QTEST
    const int reps = 3;
#else
    const int reps = 21;
#endif
    double v[21];
    unsigned records = 0;
    char note[96];

    if (!t) {
        return;
    }
    phbs = trace_phbs(t);
    machine_up(t->ram_size, phbs);
    for (int r = -1; r < reps; r++) {
        double dt;
#ifdef TCE_BENCH_QTEST
        if (r > -1) {
            /* a fresh machine: the recording starts from boot */
            machine_down();
            machine_up(t->ram_size, phbs);
        }
#else
        machine_reset(MACHINE(spapr));
#endif
        dt = replay_once(t, &records);
        if (r >= 0) {
            v[r] = records / (dt / 1e9);
        }
    }
    machine_down();
    snprintf(note, sizeof(note), "(%u records: hcalls, DDW RTAS, translations checked)",
             records);
    figure("replay of " TRACE_NAME, median(v, reps), "records/s", "%.0f", 0, false, note);
}

#ifndef TCE_BENCH_QTEST

/* A 64 GiB guest mapped 1:1 into a DDW of 64 KiB pages, as Linux does ----------------- */

/*
 * TCE_BENCH_GUEST_SHIFT=N maps a 2^N-byte guest instead (N < 36 to run
 * under valgrind, which cannot map 64 GiB); the targets are for 64 GiB.
 */
static unsigned big_shift = 36;
#define BIG_RAM (1ull << big_shift)
#define DDW_PAGE_SHIFT 16

static uint32_t rtas1(const char *name, uint32_t nargs, const uint32_t *args, uint32_t nret,
                      uint32_t *rets)
{
    bool ok = t_rtas(NULL, name, nargs, args, nret, rets);

    check(ok, "RTAS %s could not be called", name);
    return ok ? rets[0] : (uint32_t)-1;
}

/*
 * ibm,query-pe-dma-window, ibm,create-pe-dma-window (64 KiB pages, a
 * window the size of RAM), then the whole of RAM in H_PUT_TCE_INDIRECT
 * batches of 512, each list written into the guest's list page first
 * (Linux's tce_setrange_multi_pSeriesLP).  Returns ns; *liobn the DDW's.
 */
static double map_all_ram(SpaprPhb *phb, uint32_t *liobn)
{
    uint32_t args[5] = { 0, phb->buid >> 32, (uint32_t)phb->buid }, rets[6];
    uint64_t entries = BIG_RAM >> DDW_PAGE_SHIFT, start;
    int64_t bad = 0;
    double t0 = now_ns();

    check(rtas1("ibm,query-pe-dma-window", 3, args, 6, rets) == 0 && rets[1] == 1,
          "query-pe-dma-window");
    args[3] = DDW_PAGE_SHIFT;
    args[4] = big_shift;
    check(rtas1("ibm,create-pe-dma-window", 5, args, 4, rets) == 0, "create-pe-dma-window");
    *liobn = rets[1];
    start = (uint64_t)rets[2] << 32 | rets[3];
    for (uint64_t e = 0; e < entries; e += BATCH) {
        write_list(LIST_A, e, DDW_PAGE_SHIFT, BATCH);
        bad |= put_indirect(*liobn, start + (e << DDW_PAGE_SHIFT), LIST_A, BATCH);
    }
    check(!bad, "mapping RAM into the DDW failed");
    return now_ns() - t0;
}

static void remove_ddw(uint32_t liobn)
{
    uint32_t args[1] = { liobn }, rets[1];

    check(rtas1("ibm,remove-pe-dma-window", 1, args, 1, rets) == 0, "remove-pe-dma-window");
}

static void bench_big_guest(void)
{
    SpaprPhb *phb0, *phb1;
    SpaprTceWindow *w = NULL;
    double v[REPS], ms;
    uint64_t mem, used;
    uint32_t liobn, args[5], rets[4];
    char note[128];

    machine_up(BIG_RAM, "1");
    phb0 = spapr_phb_by_index(spapr, 0);
    phb1 = spapr_phb_by_index(spapr, 1);

    bench_hcalls(DEFAULT_WINDOW / PAGE_4K);

    for (int r = -1; r < REPS; r++) {
        double dt = map_all_ram(phb0, &liobn);
        w = &phb0->windows[1];
        check(w->enabled && w->liobn == liobn && spapr_tce_table_used(w->table) ==
              BIG_RAM >> DDW_PAGE_SHIFT, "the DDW does not map all of RAM");
        if (r >= 0) {
            v[r] = dt;
        }
        if (r < REPS - 1) {
            remove_ddw(liobn);
        }
    }
    ms = median(v, REPS) / 1e6;
    used = spapr_tce_table_used(w->table);
    mem = spapr_tce_table_memory(w->table);
    snprintf(note, sizeof(note), "(query + create + %" PRIu64 " x H_PUT_TCE_INDIRECT of 512, "
             "lists written)", used / BATCH);
    figure("64 GiB guest 1:1 into a 64 KiB-page DDW: time", ms, "ms", "%.2f", 50,
           big_shift == 36, note);
    snprintf(note, sizeof(note), "(%.2f MiB for %" PRIu64 " TCEs)", mem / 1048576.0, used);
    figure("64 GiB guest 1:1: table bytes per mapped TCE", (double)mem / used, "bytes", "%.3f",
           8.5, true, note);
    {
        double t0 = now_ns();
        remove_ddw(liobn);
        figure("removing that DDW (1M mappings)", (now_ns() - t0) / 1e6, "ms", "%.2f", 0,
               false, NULL);
    }

    /* an empty 1 TiB DDW at 64 KiB pages (16M entries) on PHB 1 */
    args[0] = 0;
    args[1] = phb1->buid >> 32;
    args[2] = (uint32_t)phb1->buid;
    args[3] = DDW_PAGE_SHIFT;
    args[4] = 40;
    check(rtas1("ibm,create-pe-dma-window", 5, args, 4, rets) == 0, "1 TiB DDW");
    w = &phb1->windows[1];
    check(w->enabled && w->nb_entries == 1ull << 24, "the 1 TiB DDW has %" PRIu64 " entries",
          w->nb_entries);
    mem = spapr_tce_table_memory(w->table);
    snprintf(note, sizeof(note), "(%" PRIu64 " bytes for %" PRIu64 " entries)", mem,
             w->nb_entries);
    figure("empty 1 TiB DDW at 64 KiB pages: table memory", mem / 1048576.0, "MiB", "%.6f", 1,
           true, note);
    machine_down();
}

#endif

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
#ifdef TCE_BENCH_QTEST
    /* over the socket every call is a round trip: fewer of them */
    machine_up(1ull << 30, "");
    bench_hcalls(64 * BATCH);
    machine_down();
#else
    module_call_init();
    if (g_getenv("TCE_BENCH_GUEST_SHIFT")) {
        big_shift = CLAMP(atoi(g_getenv("TCE_BENCH_GUEST_SHIFT")), 30, 40);
        printf("[%s] guest of 2^%u bytes instead of 64 GiB (labels say 64 GiB)\n", MODE,
               big_shift);
    }
    bench_big_guest();
#endif
    bench_replay();
    if (failures) {
        fprintf(stderr, "tce-bench: %d failures\n", failures);
        return 1;
    }
    return 0;
}
