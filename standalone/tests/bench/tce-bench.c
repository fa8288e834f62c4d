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
 * Both also measure VFIO PHBs (spapr-pci-vfio-host-bridge) on the in-process
 * VFIO simulator (vfio-sim), for each IOMMU backend (sPAPR TCE v2, Type1
 * v2): the recorded Linux guest replayed with its PHBs 1 and 2 as VFIO
 * PHBs, and Linux's 1:1 mapping of all guest RAM into a DDW, with the
 * host map/unmap calls each costs against the contiguous runs the guest
 * asked for.
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
#include "qemu/keyval.h"
#include "qemu/module.h"
#include "hw/ppc/spapr.h"
#include "hw/ppc/spapr_hcall.h"
#include "hw/ppc/spapr_iommu.h"
#include "hw/ppc/spapr_pci.h"
#include "hw/ppc/spapr_rtas.h"
#include "hw/vfio/vfio-sim.h"
#include "monitor/qmp.h"
#include "qom/object-interfaces.h"
#include <linux/vfio.h>
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
    printf("[%s] %-52s %12s %-12s", MODE, what, val, unit);
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

/*
 * The PHBs besides PHB 0, for machine_up(): "index[,ddw=off][,iommu=G]"
 * separated by spaces; iommu=G makes it a spapr-pci-vfio-host-bridge of
 * host group G on the simulator (then sim_iommu names its IOMMU type).
 */
typedef struct PhbSpec {
    unsigned index;
    bool ddw_off;
    int group;                 /* -1: emulated */
} PhbSpec;

static PhbSpec parse_phb(const char *tok)
{
    g_auto(GStrv) opts = g_strsplit(tok, ",", -1);
    PhbSpec p = { g_ascii_strtoull(opts[0], NULL, 10), false, -1 };

    for (int i = 1; opts[i]; i++) {
        if (!strcmp(opts[i], "ddw=off")) {
            p.ddw_off = true;
        } else if (g_str_has_prefix(opts[i], "iommu=")) {
            p.group = atoi(opts[i] + 6);
        }
    }
    return p;
}

/* iommu-type of the machine's vfio-sim object "sim0"; NULL: none */
static const char *sim_iommu;

#define VFIO_PHB_TYPE "spapr-pci-vfio-host-bridge"

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
    g_auto(GStrv) phbs = g_strsplit(extra, " ", -1);
    g_autoptr(GString) args = g_string_new(NULL);

    if (sim_iommu) {
        g_string_append_printf(args, " -object vfio-sim,id=sim0,iommu-type=%s", sim_iommu);
    }
    for (int i = 0; phbs[i]; i++) {
        PhbSpec p;

        if (!*phbs[i]) {
            continue;
        }
        p = parse_phb(phbs[i]);
        if (p.group >= 0) {
            g_string_append_printf(args, " -device " VFIO_PHB_TYPE ",index=%u,iommu=%d,"
                                   "vfio-sim=sim0%s", p.index, p.group,
                                   p.ddw_off ? ",ddw=off" : "");
        } else {
            g_string_append_printf(args, " -device spapr-pci-host-bridge,index=%u%s", p.index,
                                   p.ddw_off ? ",ddw=off" : "");
        }
    }
    qts = qtest_initf("-machine pseries -m %" PRIu64 "M%s", ram >> 20, args->str);
}

static void machine_down(void)
{
    qtest_quit(qts);
    qts = NULL;
}

static bool rtas_call(const char *name, uint32_t nargs, const uint32_t *args, uint32_t nret,
                      uint32_t *rets)
{
    return qrtas_call(qts, name, nargs, args, nret, rets) == 0;
}

static uint64_t phb_buid(unsigned index)
{
    return SPAPR_BUID(index);
}

static JsonObject *query_phbs(void)
{
    return qtest_qmp(qts, "{\"execute\": \"query-spapr-phbs\"}");
}

static JsonArray *query_phbs_array(JsonObject *rsp)
{
    return json_node_get_array(qmp_rsp_return(rsp));
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

/*
 * The simulated host's ioctls, timed: what the VFIO PHBs spend in the
 * (simulated) kernel, to tell it from what our code costs.
 */
static Object *sim_obj;
static const VfioHostOps *sim_ops;
static VfioHostOps sim_timed_ops;
static double host_ns;
static uint64_t host_map_ioctls, host_unmap_ioctls;

static int timed_ioctl(VfioHost *h, int fd, unsigned long req, void *arg)
{
    double t0 = now_ns();
    int r = sim_ops->ioctl(h, fd, req, arg);

    host_ns += now_ns() - t0;
    host_map_ioctls += req == VFIO_IOMMU_MAP_DMA;
    host_unmap_ioctls += req == VFIO_IOMMU_UNMAP_DMA;
    return r;
}

/* -object vfio-sim,id=sim0,iommu-type=@type, as the command line does */
static void sim_create(const char *type)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *opts = g_strdup_printf("vfio-sim,id=sim0,iommu-type=%s", type);
    g_autoptr(Keyval) kv = keyval_parse(opts, "qom-type", &err);
    VfioHost *h;

    sim_obj = kv ? user_creatable_add(kv, &err) : NULL;
    if (!sim_obj) {
        g_error("%s: %s", opts, err->message);
    }
    h = vfio_sim_get_host(sim_obj);
    host_map_ioctls = host_unmap_ioctls = 0;
    sim_ops = h->ops;
    sim_timed_ops = *sim_ops;
    sim_timed_ops.ioctl = timed_ioctl;
    h->ops = &sim_timed_ops;
}

static void machine_up(uint64_t ram, const char *extra)
{
    g_autoptr(GError) err = NULL;
    g_auto(GStrv) phbs = g_strsplit(extra, " ", -1);
    Machine *m = machine_create(machine_find_class("pseries"), &err);

    g_assert_no_error(err);
    m->ram_size = ram;
    if (sim_iommu) {
        sim_create(sim_iommu);
    }
    if (!machine_start(m, &err)) {
        g_error("machine_start: %s", err->message);
    }
    for (int i = 0; phbs[i]; i++) {
        g_autoptr(JsonObject) props = json_object_new();
        PhbSpec p;

        if (!*phbs[i]) {
            continue;
        }
        p = parse_phb(phbs[i]);
        json_object_set_int_member(props, "index", p.index);
        if (p.ddw_off) {
            json_object_set_boolean_member(props, "ddw", false);
        }
        if (p.group >= 0) {
            json_object_set_int_member(props, "iommu", p.group);
            json_object_set_string_member(props, "vfio-sim", "sim0");
        }
        if (!qdev_device_add(p.group >= 0 ? VFIO_PHB_TYPE : TYPE_SPAPR_PCI_HOST_BRIDGE, props,
                             &err)) {
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
    if (sim_obj) {
        vfio_sim_get_host(sim_obj)->ops = sim_ops;
        object_unparent(sim_obj);
        sim_obj = NULL;
    }
}

static bool rtas_call(const char *name, uint32_t nargs, const uint32_t *args, uint32_t nret,
                      uint32_t *rets)
{
    return t_rtas(NULL, name, nargs, args, nret, rets);
}

static uint64_t phb_buid(unsigned index)
{
    SpaprPhb *phb = spapr_phb_by_index(spapr, index);

    g_assert(phb);
    return phb->buid;
}

/* query-spapr-phbs, run in this process as the monitor would run it */
static JsonObject *query_phbs(void)
{
    g_autoptr(GList) cmds = qmp_command_list();
    g_autoptr(JsonObject) args = json_object_new();
    g_autoptr(GError) err = NULL;

    for (GList *l = cmds; l; l = l->next) {
        const QmpCommand *c = l->data;
        if (!strcmp(c->name, "query-spapr-phbs")) {
            JsonObject *rsp = json_object_new();
            JsonNode *ret = c->fn(args, &err);
            g_assert_no_error(err);
            json_object_set_member(rsp, "return", ret);
            return rsp;
        }
    }
    g_error("query-spapr-phbs is not registered");
}

static JsonArray *query_phbs_array(JsonObject *rsp)
{
    return json_object_get_array_member(rsp, "return");
}

#endif

/* Calls --------------------------------------------------------------------------- */

static uint32_t rtas1(const char *name, uint32_t nargs, const uint32_t *args, uint32_t nret,
                      uint32_t *rets)
{
    bool ok = rtas_call(name, nargs, args, nret, rets);

    check(ok, "RTAS %s could not be called", name);
    return ok ? rets[0] : (uint32_t)-1;
}

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

/*
 * "1" / "2,ddw=off" of the recorded PHBs other than 0 (see machine_up()).
 * With @vfio each is a VFIO PHB of the simulator's group of the same
 * number (groups 1, 2 and 3 of its default topology are viable); PHB 0 is
 * the machine's own emulated PHB either way.
 */
static char *trace_phbs(const ReplayTrace *t, bool vfio)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < t->phbs->len; i++) {
        const ReplayPhb *p = &g_array_index(t->phbs, ReplayPhb, i);
        if (p->index) {
            g_string_append_printf(s, " %u%s", p->index, p->ddw ? "" : ",ddw=off");
            if (vfio) {
                g_string_append_printf(s, ",iommu=%u", p->index);
            }
        }
    }
    return g_string_free(s, FALSE);
}

/* Host calls of the VFIO PHBs --------------------------------------------------------- */

typedef struct HostCalls {
    uint64_t map, unmap;
} HostCalls;

/* map/unmap calls of every VFIO PHB so far, as query-spapr-phbs reports them */
static HostCalls vfio_host_calls(void)
{
    g_autoptr(JsonObject) rsp = query_phbs();
    JsonArray *a = query_phbs_array(rsp);
    HostCalls c = { 0, 0 };

    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonObject *o = json_array_get_object_element(a, i);
        if (json_object_has_member(o, "vfio")) {
            JsonObject *v = json_object_get_object_member(o, "vfio");
            c.map += json_object_get_int_member(v, "map-calls");
            c.unmap += json_object_get_int_member(v, "unmap-calls");
        }
    }
#ifndef TCE_BENCH_QTEST
    /* what the PHBs count is what the host saw */
    check(c.map == host_map_ioctls && c.unmap == host_unmap_ioctls,
          "query-spapr-phbs counts %" PRIu64 " + %" PRIu64 " host calls, the host saw %" PRIu64
          " + %" PRIu64, c.map, c.unmap, host_map_ioctls, host_unmap_ioctls);
#endif
    return c;
}

static HostCalls host_calls_since(HostCalls before)
{
    HostCalls now = vfio_host_calls();

    return (HostCalls){ now.map - before.map, now.unmap - before.unmap };
}

/* Time spent in the simulated kernel's ioctls so far (in-process only; 0 over qtest) */
static double host_time(void)
{
#ifdef TCE_BENCH_QTEST
    return 0;
#else
    return host_ns;
#endif
}

/*
 * A ReplayTarget around another one that watches the TCE hypercalls made
 * to VFIO PHBs: times them, and keeps a shadow of those windows to count
 * the runs each call asks for, as the TCE layer builds
 * them (spapr_iommu.h): the unmaps of entries that lose or change a
 * mapping, contiguous in bus address, then the maps, contiguous in bus
 * address and guest memory with one permission.  One host call per run
 * is the best a backend can do without merging across hypercalls.
 */
#define TAP_PHBS 32
#define TCE_PERM 3ull

typedef struct Tap {
    ReplayTarget t;            /* what the replay calls; opaque is the Tap */
    const ReplayTarget *base;
    bool vfio[TAP_PHBS];
    GHashTable *shadow[TAP_PHBS][2];   /* entry -> TCE, non-zero ones */
    unsigned shift[TAP_PHBS][2];
    uint64_t list_addr;        /* the last list the guest wrote */
    uint64_t list_len;
    uint64_t list[REPLAY_TCE_BATCH_MAX];
    /* TCE hypercalls to VFIO PHBs */
    uint64_t hcalls, tces;
    double ns;
    /* those that changed a mapping */
    uint64_t hcalls_changed, tces_changed;
    double ns_changed;
    uint64_t map_runs, unmap_runs, unmodelled;
} Tap;

static bool tap_vfio_liobn(Tap *tp, uint64_t liobn, unsigned *idx, unsigned *win)
{
    /* 0x80000000 | index << 8 | window, as spapr_tce_find_window() decodes it */
    if (liobn >> 32 || (liobn & 0xffffe0fe) != 0x80000000u) {
        return false;
    }
    *idx = (liobn >> 8) & 0x1f;
    *win = liobn & 1;
    return tp->vfio[*idx];
}

static void tap_forget(Tap *tp, unsigned idx, unsigned win)
{
    g_hash_table_remove_all(tp->shadow[idx][win]);
}

/* Apply a successful update to the shadow and count its runs; FALSE if nothing changed */
static bool tap_model(Tap *tp, unsigned idx, unsigned win, uint64_t op, const uint64_t *args)
{
    GHashTable *h = tp->shadow[idx][win];
    unsigned shift = tp->shift[idx][win];
    uint64_t psize = 1ull << shift, first = args[1] >> shift;
    uint64_t n = op == REPLAY_H_PUT_TCE ? 1 : args[3];
    uint64_t u_next = 0, m_next = 0, m_gpa = 0, m_perm = 0;
    bool have_u = false, have_m = false, changed = false;

    if (op == REPLAY_H_PUT_TCE_INDIRECT && (tp->list_addr != args[2] || tp->list_len < n)) {
        tp->unmodelled++;
        return true;
    }
    for (uint64_t i = 0; i < n; i++) {
        uint64_t e = first + i;
        uint64_t v = op == REPLAY_H_PUT_TCE_INDIRECT ? tp->list[i] : args[2];
        uint64_t old = GPOINTER_TO_SIZE(g_hash_table_lookup(h, GSIZE_TO_POINTER(e)));

        if (old == v) {
            continue;
        }
        changed = true;
        if (old & TCE_PERM) {
            tp->unmap_runs += !have_u || e != u_next;
            have_u = true;
            u_next = e + 1;
        }
        if (v & TCE_PERM) {
            uint64_t gpa = v & ~(psize - 1);
            tp->map_runs += !have_m || e != m_next || gpa != m_gpa || (v & TCE_PERM) != m_perm;
            have_m = true;
            m_next = e + 1;
            m_gpa = gpa + psize;
            m_perm = v & TCE_PERM;
        }
        if (v) {
            g_hash_table_insert(h, GSIZE_TO_POINTER(e), GSIZE_TO_POINTER(v));
        } else {
            g_hash_table_remove(h, GSIZE_TO_POINTER(e));
        }
    }
    return changed;
}

static int64_t tap_hcall(void *opaque, uint64_t op, const uint64_t *args, int nargs,
                         uint64_t *outs, int *nouts)
{
    Tap *tp = opaque;
    unsigned idx, win;
    uint64_t n;
    int64_t ret;
    double t0, dt;

    if ((op != REPLAY_H_PUT_TCE && op != REPLAY_H_STUFF_TCE &&
         op != REPLAY_H_PUT_TCE_INDIRECT) || !tap_vfio_liobn(tp, args[0], &idx, &win)) {
        return tp->base->hcall(tp->base->opaque, op, args, nargs, outs, nouts);
    }
    t0 = now_ns();
    ret = tp->base->hcall(tp->base->opaque, op, args, nargs, outs, nouts);
    dt = now_ns() - t0;
    n = op == REPLAY_H_PUT_TCE ? 1 : args[3];
    tp->hcalls++;
    tp->tces += n;
    tp->ns += dt;
    if (ret == REPLAY_H_SUCCESS && tap_model(tp, idx, win, op, args)) {
        tp->hcalls_changed++;
        tp->tces_changed += n;
        tp->ns_changed += dt;
    }
    return ret;
}

static bool tap_rtas(void *opaque, const char *name, uint32_t nargs, const uint32_t *args,
                     uint32_t nret, uint32_t *rets)
{
    Tap *tp = opaque;
    bool ok = tp->base->rtas(tp->base->opaque, name, nargs, args, nret, rets);
    unsigned idx, win;

    if (!ok || rets[0]) {
        return ok;
    }
    if (!strcmp(name, "ibm,create-pe-dma-window") && tap_vfio_liobn(tp, rets[1], &idx, &win)) {
        tp->shift[idx][win] = args[3];
        tap_forget(tp, idx, win);
    } else if (!strcmp(name, "ibm,remove-pe-dma-window") &&
               tap_vfio_liobn(tp, args[0], &idx, &win)) {
        tap_forget(tp, idx, win);
    } else if (!strcmp(name, "ibm,reset-pe-dma-window")) {
        for (idx = 0; idx < TAP_PHBS; idx++) {
            uint64_t buid;
            if (tp->vfio[idx] && tp->base->phb_buid(tp->base->opaque, idx, &buid) &&
                buid == ((uint64_t)args[1] << 32 | args[2])) {
                tap_forget(tp, idx, 0);
                tap_forget(tp, idx, 1);
                tp->shift[idx][0] = 12;
            }
        }
    }
    return ok;
}

static void tap_memwrite(void *opaque, uint64_t addr, const void *buf, size_t len)
{
    Tap *tp = opaque;

    tp->base->memwrite(tp->base->opaque, addr, buf, len);
    if (len % 8 == 0 && len <= sizeof(tp->list)) {
        for (size_t i = 0; i < len / 8; i++) {
            uint64_t be;
            memcpy(&be, (const uint8_t *)buf + 8 * i, 8);
            tp->list[i] = GUINT64_FROM_BE(be);
        }
        tp->list_addr = addr;
        tp->list_len = len / 8;
    }
}

static bool tap_window_liobn(void *opaque, unsigned phb_index, unsigned num, uint32_t *liobn)
{
    Tap *tp = opaque;

    return tp->base->window_liobn(tp->base->opaque, phb_index, num, liobn);
}

static bool tap_phb_buid(void *opaque, unsigned phb_index, uint64_t *buid)
{
    Tap *tp = opaque;

    return tp->base->phb_buid(tp->base->opaque, phb_index, buid);
}

/* A tap on @base for the VFIO PHBs of @t's trace_phbs(t, true) */
static Tap *tap_new(const ReplayTrace *t, const ReplayTarget *base)
{
    Tap *tp = g_new0(Tap, 1);

    tp->base = base;
    tp->t = *base;
    tp->t.opaque = tp;
    tp->t.hcall = tap_hcall;
    tp->t.rtas = tap_rtas;
    tp->t.memwrite = tap_memwrite;
    tp->t.window_liobn = tap_window_liobn;
    tp->t.phb_buid = tap_phb_buid;
    for (unsigned i = 0; i < TAP_PHBS; i++) {
        tp->shadow[i][0] = g_hash_table_new(NULL, NULL);
        tp->shadow[i][1] = g_hash_table_new(NULL, NULL);
        tp->shift[i][0] = 12;
    }
    for (guint i = 0; i < t->phbs->len; i++) {
        unsigned index = g_array_index(t->phbs, ReplayPhb, i).index;
        tp->vfio[index % TAP_PHBS] = index != 0;
    }
    return tp;
}

static void tap_free(Tap *tp)
{
    for (unsigned i = 0; i < TAP_PHBS; i++) {
        g_hash_table_unref(tp->shadow[i][0]);
        g_hash_table_unref(tp->shadow[i][1]);
    }
    g_free(tp);
}

/* Replay of the recorded Linux guest ---------------------------------------------------- */

typedef struct ReplayRun {
    double ns;
    unsigned records;
    HostCalls calls;           /* VFIO PHBs: host calls during the replay */
    double host_ns;            /* in-process: time in the simulated kernel */
} ReplayRun;

/* One replay from the reset state; with @tap, through it */
static void replay_once(const ReplayTrace *t, bool with_tap, ReplayRun *run, Tap **tap_out)
{
    ReplayTarget *target = target_new(t->ram_size);
    Tap *tap = NULL;
    ReplayStats st = { 0 };
    HostCalls c0 = { 0, 0 };
    double t0, h0;

    /* Type1 puts a DDW in its usable IOVA ranges, not at 2^59 as recorded */
    target->ddw_start_may_move = sim_iommu && !strcmp(sim_iommu, "type1");
    if (with_tap) {
        tap = tap_new(t, target);
    }
    if (sim_iommu) {
        c0 = vfio_host_calls();
    }
    h0 = host_time();
    t0 = now_ns();
    replay_run(t, tap ? &tap->t : target, &st);
    run->ns = now_ns() - t0;
    run->host_ns = host_time() - h0;
    if (sim_iommu) {
        run->calls = host_calls_since(c0);
    }
    check(!st.mismatches, "replay%s%s: %u mismatches:\n%s", sim_iommu ? " on VFIO " : "",
          sim_iommu ? sim_iommu : "", st.mismatches, st.log ? st.log->str : "");
    run->records = replay_stats_total(&st);
    replay_stats_clear(&st);
    if (tap_out) {
        *tap_out = tap;
    } else if (tap) {
        tap_free(tap);
    }
    target_free(target);
}

/* The machine back in the state the recording starts from */
static void replay_restart(const char *phbs, uint64_t ram_size)
{
#ifdef TCE_BENCH_QTEST
    /* a fresh machine: the recording starts from boot */
    machine_down();
    machine_up(ram_size, phbs);
#else
    machine_reset(MACHINE(spapr));
#endif
}

/*
 * The trace on the recorded topology: with @iommu, PHBs 1 and 2 are VFIO
 * PHBs on the simulator with that IOMMU type (PHB 0 stays emulated: the
 * machine's own PHB).
 */
static void bench_replay(const char *iommu)
{
    g_autoptr(ReplayTrace) t = load_trace();
    g_autofree char *phbs = NULL;
#ifdef TCE_BENCH_QTEST
    const int reps = 3;
#else
    const int reps = iommu ? 11 : 21;
#endif
    double v[21], per_tce[21], per_tce_all[21], ours[21] G_GNUC_UNUSED;
    ReplayRun run = { 0 }, first = { 0 };
    Tap *tap = NULL;
    char what[96], note[256];

    if (!t) {
        return;
    }
    sim_iommu = iommu;
    phbs = trace_phbs(t, iommu != NULL);
    machine_up(t->ram_size, phbs);
    for (int r = -1; r < reps; r++) {
        if (r > -1) {
            replay_restart(phbs, t->ram_size);
        }
#ifndef TCE_BENCH_QTEST
        else {
            machine_reset(MACHINE(spapr));
        }
#endif
        replay_once(t, false, &run, NULL);
        if (r >= 0) {
            v[r] = run.records / (run.ns / 1e9);
        }
        if (r == -1) {
            first = run;
        }
        check(!iommu || (run.calls.map == first.calls.map &&
                         run.calls.unmap == first.calls.unmap),
              "replay on VFIO %s: host calls differ between runs", iommu);
    }
    if (!iommu) {
        machine_down();
        snprintf(note, sizeof(note), "(%u records: hcalls, DDW RTAS, translations checked)",
                 run.records);
        figure("replay of " TRACE_NAME, median(v, reps), "records/s", "%.0f", 0, false, note);
        return;
    }

    /* through the tap: the VFIO PHBs' hypercalls timed one by one, and their runs */
    for (int r = 0; r < reps; r++) {
        replay_restart(phbs, t->ram_size);
        replay_once(t, true, &run, &tap);
        per_tce[r] = tap->ns_changed / tap->tces_changed;
        per_tce_all[r] = tap->ns / tap->tces;
        ours[r] = (tap->ns_changed - run.host_ns) / tap->tces_changed;
        check(run.calls.map == first.calls.map && run.calls.unmap == first.calls.unmap,
              "replay on VFIO %s: host calls differ between runs", iommu);
        check(!tap->unmodelled, "replay on VFIO %s: %" PRIu64 " indirect lists not seen", iommu,
              tap->unmodelled);
        if (r < reps - 1) {
            tap_free(tap);
        }
    }
    machine_down();
    sim_iommu = NULL;

    snprintf(what, sizeof(what), "vfio %s: replay, PHBs 1+2 VFIO", iommu);
    snprintf(note, sizeof(note), "(%u records; PHB 0 emulated)", run.records);
    figure(what, median(v, reps), "records/s", "%.0f", 0, false, note);

    snprintf(what, sizeof(what), "vfio %s: replay, VFIO hcalls that change maps", iommu);
#ifdef TCE_BENCH_QTEST
    snprintf(note, sizeof(note), "(%" PRIu64 " of the %" PRIu64 " VFIO TCE hcalls, %" PRIu64
             " TCEs; all %" PRIu64 " hcalls: %.1f ns/TCE over %" PRIu64 " TCEs)",
             tap->hcalls_changed, tap->hcalls, tap->tces_changed, tap->hcalls,
             median(per_tce_all, reps), tap->tces);
#else
    snprintf(note, sizeof(note), "(%" PRIu64 " of the %" PRIu64 " VFIO TCE hcalls, %" PRIu64
             " TCEs; host ioctls excluded: %.1f ns/TCE; all %" PRIu64 " hcalls: %.2f ns/TCE "
             "over %" PRIu64 " TCEs)", tap->hcalls_changed, tap->hcalls, tap->tces_changed,
             median(ours, reps), tap->hcalls, median(per_tce_all, reps), tap->tces);
#endif
    figure(what, median(per_tce, reps), "ns/TCE", "%.1f", 0, false, note);

    snprintf(what, sizeof(what), "vfio %s: replay, host calls per VFIO TCE hcall", iommu);
    snprintf(note, sizeof(note), "(%" PRIu64 " MAP_DMA + %" PRIu64 " UNMAP_DMA for %" PRIu64
             " hcalls, %" PRIu64 " of which change mappings)", first.calls.map,
             first.calls.unmap, tap->hcalls, tap->hcalls_changed);
    figure(what, (double)(first.calls.map + first.calls.unmap) / tap->hcalls, "calls", "%.3f",
           0, false, note);

    snprintf(what, sizeof(what), "vfio %s: replay, host calls per contiguous run", iommu);
    snprintf(note, sizeof(note), "(%" PRIu64 " runs: %" PRIu64 " map + %" PRIu64 " unmap; "
             "host %" PRIu64 " + %" PRIu64 ")", tap->map_runs + tap->unmap_runs, tap->map_runs,
             tap->unmap_runs, first.calls.map, first.calls.unmap);
    figure(what, (double)(first.calls.map + first.calls.unmap) /
           (tap->map_runs + tap->unmap_runs), "calls", "%.3f", 1, true, note);
    tap_free(tap);
}

/* Linux's 1:1 DDW of all guest RAM on a VFIO PHB --------------------------------------- */

/*
 * Guest RAM of 2^vfio_guest_shift bytes (TCE_BENCH_VFIO_GUEST_SHIFT): 4
 * GiB, not 64 as above, as the simulated sPAPR kernel keeps a tree node
 * per host TCE (4 KiB pages on this host: 1M of them for 4 GiB).
 */
static unsigned vfio_guest_shift = 32;
#define VFIO_PHB 1

/* LoPAR's page-size bits of ibm,query-pe-dma-window */
static const struct {
    uint32_t bit, shift;
} lopar_pages[] = {
    { 0x001, 12 }, { 0x002, 16 }, { 0x004, 24 }, { 0x008, 25 }, { 0x010, 26 },
    { 0x020, 27 }, { 0x040, 28 }, { 0x080, 34 }, { 0x100, 21 },
};

typedef struct Fill {
    unsigned page_shift;
    double ns, host_ns;        /* query + create + fill */
    uint64_t tces, hcalls;
    uint64_t runs;             /* contiguous runs within each hypercall, summed */
    uint64_t global_runs;      /* the same merged across hypercalls */
    HostCalls calls;
    double remove_ns;
    HostCalls remove_calls;
} Fill;

/*
 * What Linux does for a device with a 64-bit DMA mask (enable_ddw()):
 * query, create a DDW as large as RAM with 2^@shift pages (0: the largest
 * the PHB offers), then the whole of RAM in H_PUT_TCE_INDIRECT batches of
 * 512, each list written into guest RAM first.  Then remove the window.
 */
static void vfio_fill(unsigned shift, Fill *f)
{
    uint64_t buid = phb_buid(VFIO_PHB);
    uint32_t args[5] = { 0, buid >> 32, (uint32_t)buid }, rets[6], liobn;
    uint64_t ram = 1ull << vfio_guest_shift, start, entries, next_iova = 0, next_gpa = 0;
    HostCalls c0 = vfio_host_calls();
    double h0 = host_time(), t0 = now_ns();
    int64_t bad = 0;

    memset(f, 0, sizeof(*f));
    check(rtas1("ibm,query-pe-dma-window", 3, args, 6, rets) == 0 && rets[1] == 1,
          "query-pe-dma-window");
    if (!shift) {
        for (size_t i = 0; i < G_N_ELEMENTS(lopar_pages); i++) {
            if (rets[4] & lopar_pages[i].bit) {
                shift = MAX(shift, lopar_pages[i].shift);
            }
        }
    }
    args[3] = shift;
    args[4] = vfio_guest_shift;
    check(rtas1("ibm,create-pe-dma-window", 5, args, 4, rets) == 0, "create-pe-dma-window");
    liobn = rets[1];
    start = (uint64_t)rets[2] << 32 | rets[3];
    entries = ram >> shift;
    for (uint64_t e = 0; e < entries; e += BATCH) {
        unsigned n = MIN(BATCH, entries - e);
        uint64_t iova = start + (e << shift);

        write_list(LIST_A, e, shift, n);
        bad |= put_indirect(liobn, iova, LIST_A, n);
        f->hcalls++;
        /* the list's runs: entry i maps page e + i, so one per list */
        for (unsigned i = 0; i < n; i++) {
            uint64_t gpa = (e + i) << shift;
            if (!i || gpa != next_gpa) {
                f->runs++;
            }
            if (gpa != next_gpa || iova + ((uint64_t)i << shift) != next_iova) {
                f->global_runs++;
            }
            next_gpa = gpa + (1ull << shift);
            next_iova = iova + ((uint64_t)(i + 1) << shift);
        }
    }
    f->ns = now_ns() - t0;
    f->host_ns = host_time() - h0;
    f->calls = host_calls_since(c0);
    f->tces = entries;
    f->page_shift = shift;
    check(!bad, "mapping RAM into the DDW of VFIO PHB failed");

    c0 = vfio_host_calls();
    args[0] = liobn;
    t0 = now_ns();
    check(rtas1("ibm,remove-pe-dma-window", 1, args, 1, rets) == 0, "remove-pe-dma-window");
    f->remove_ns = now_ns() - t0;
    f->remove_calls = host_calls_since(c0);
}

static const char *page_name(unsigned shift)
{
    static char buf[16];

    snprintf(buf, sizeof(buf), shift >= 30 ? "%uG" : shift >= 20 ? "%uM" : "%uK",
             1u << (shift % 10));
    return buf;
}

static void bench_vfio_fill(const char *iommu, unsigned want_shift)
{
    double v[REPS], ours[REPS] G_GNUC_UNUSED, rm[REPS];
    Fill f, f0 = { 0 };
    char what[96], note[256], pages[16];

    sim_iommu = iommu;
    machine_up(1ull << vfio_guest_shift, "1,iommu=1");
    for (int r = -1; r < REPS; r++) {
        vfio_fill(want_shift, &f);
        if (r < 0) {
            f0 = f;
            continue;
        }
        v[r] = f.ns / f.tces;
        ours[r] = (f.ns - f.host_ns) / f.tces;
        rm[r] = f.remove_ns / 1e6;
        check(f.calls.map == f0.calls.map && f.calls.unmap == f0.calls.unmap &&
              f.remove_calls.unmap == f0.remove_calls.unmap,
              "VFIO %s fill: host calls differ between runs", iommu);
    }
    machine_down();
    sim_iommu = NULL;

    snprintf(pages, sizeof(pages), "%s", page_name(f.page_shift));
    snprintf(what, sizeof(what), "vfio %s: %uG 1:1 into a %s-page DDW: time", iommu,
             1u << (vfio_guest_shift - 30), pages);
    snprintf(note, sizeof(note), "(query + create + %" PRIu64 " x H_PUT_TCE_INDIRECT, %" PRIu64
             " TCEs, %.2f ms)", f.hcalls, f.tces, median(v, REPS) * f.tces / 1e6);
    figure(what, median(v, REPS), "ns/TCE", "%.1f", 0, false, note);
#ifndef TCE_BENCH_QTEST
    snprintf(what, sizeof(what), "vfio %s: %uG 1:1, %s pages: host ioctls excluded", iommu,
             1u << (vfio_guest_shift - 30), pages);
    snprintf(note, sizeof(note), "(our code; the simulated kernel took %.1f ns/TCE)",
             median(v, REPS) - median(ours, REPS));
    figure(what, median(ours, REPS), "ns/TCE", "%.1f", 0, false, note);
#endif
    snprintf(what, sizeof(what), "vfio %s: %uG 1:1, %s pages: host calls per run", iommu,
             1u << (vfio_guest_shift - 30), pages);
    snprintf(note, sizeof(note), "(%" PRIu64 " MAP_DMA + %" PRIu64 " UNMAP_DMA, %" PRIu64
             " runs in %" PRIu64 " hcalls; not merged across hcalls: RAM is %" PRIu64
             " contiguous run)", f.calls.map, f.calls.unmap, f.runs, f.hcalls, f.global_runs);
    figure(what, (double)(f.calls.map + f.calls.unmap) / f.runs, "calls", "%.3f", 1, true,
           note);
    snprintf(what, sizeof(what), "vfio %s: %uG 1:1, %s pages: removing the DDW", iommu,
             1u << (vfio_guest_shift - 30), pages);
    snprintf(note, sizeof(note), "(%" PRIu64 " UNMAP_DMA + %" PRIu64 " MAP_DMA)",
             f.remove_calls.unmap, f.remove_calls.map);
    figure(what, median(rm, REPS), "ms", "%.3f", 0, false, note);
}

static void bench_vfio(void)
{
    static const char *const iommus[] = { "spapr-tce-v2", "type1" };

    if (g_getenv("TCE_BENCH_VFIO_GUEST_SHIFT")) {
        vfio_guest_shift = CLAMP(atoi(g_getenv("TCE_BENCH_VFIO_GUEST_SHIFT")), 30, 36);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(iommus); i++) {
        bench_vfio_fill(iommus[i], 0);
        bench_vfio_fill(iommus[i], 16);
        bench_replay(iommus[i]);
    }
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
    bench_replay(NULL);
    bench_vfio();
    if (failures) {
        fprintf(stderr, "tce-bench: %d failures\n", failures);
        return 1;
    }
    return 0;
}
