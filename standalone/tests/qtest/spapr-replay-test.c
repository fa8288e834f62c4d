/*
 * Replay of a real Linux guest's TCE/DDW traffic (recorded on Debian's
 * QEMU 7.2, shared/traces/) against our machine through qtest: every
 * hypercall and DDW RTAS call must return what QEMU returned (or our
 * documented stricter code, see libqos/replay.c), and every device
 * translation QEMU did must be what our tables say.  Small inline traces
 * check the cases the recording does not contain, and that the harness
 * does report a disagreement.
 */
#include "libqos/replay.h"
#include "libqos/spapr.h"

#include <string.h>

#define TRACE_NAME "linux-6.1-pseries-default.jsonl"

/* The command line of the recorded topology: PHB 0 is the machine's own. */
static char *topology_args(const ReplayTrace *t)
{
    GString *s = g_string_new(NULL);

    g_string_append_printf(s, "-machine pseries -m %s", t->mem ? t->mem : "1G");
    for (guint i = 0; i < t->phbs->len; i++) {
        const ReplayPhb *p = &g_array_index(t->phbs, ReplayPhb, i);
        if (p->index == 0) {
            /* our default PHB has DDW on, as QEMU's: nothing to say */
            g_assert_true(p->ddw);
            continue;
        }
        g_string_append_printf(s, " -device spapr-pci-host-bridge,index=%u%s", p->index,
                               p->ddw ? "" : ",ddw=off");
    }
    return g_string_free(s, FALSE);
}

static void report(const ReplayStats *st)
{
    g_autofree char *sum = replay_stats_summary(st);

    g_test_message("replay: %s", sum);
    if (st->mismatches) {
        g_test_message("first mismatches:\n%s", st->log ? st->log->str : "");
    }
}

/*
 * The final state: what the recording's successful hypercalls leave in
 * each window (a model kept here, independently of the machine) must be
 * the number of entries our machine reports in use.  Windows are
 * emptied by DDW removal and reset, as the machine does.
 */
typedef struct Model {
    GHashTable **entries;      /* per windows[]: entry -> TCE (non-zero only) */
    guint n;
} Model;

static void model_set(Model *m, int win, uint64_t entry, uint64_t tce)
{
    uint64_t *key = g_new(uint64_t, 1);

    *key = entry;
    if (tce) {
        g_hash_table_insert(m->entries[win], key, g_memdup2(&tce, sizeof(tce)));
    } else {
        g_hash_table_remove(m->entries[win], key);
        g_free(key);
    }
}

static Model model_build(const ReplayTrace *t)
{
    Model m = { g_new0(GHashTable *, t->windows->len), t->windows->len };

    for (guint i = 0; i < m.n; i++) {
        m.entries[i] = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    }
    for (guint i = 0; i < t->records->len; i++) {
        const ReplayRecord *r = &g_array_index(t->records, ReplayRecord, i);
        const ReplayWindow *w = r->win >= 0 ? &g_array_index(t->windows, ReplayWindow, r->win)
                                            : NULL;
        bool stricter;
        uint64_t first;

        if (!w) {
            continue;
        }
        first = (r->ioba - w->start) >> w->page_shift;
        switch (r->kind) {
        case REPLAY_PUT_TCE:
        case REPLAY_STUFF_TCE:
        case REPLAY_PUT_TCE_INDIRECT:
            if (replay_expected_hcall_ret(t, r, w->page_shift, t->ram_size, &stricter)) {
                break;
            }
            for (uint64_t k = 0; k < (r->kind == REPLAY_PUT_TCE ? 1 : r->npages); k++) {
                uint64_t v = r->kind == REPLAY_PUT_TCE_INDIRECT ? replay_record_tces(t, r)[k]
                                                                : r->tce;
                model_set(&m, r->win, first + k, v);
            }
            break;
        case REPLAY_DDW_REMOVE:
            if (!r->ret) {
                g_hash_table_remove_all(m.entries[r->win]);
            }
            break;
        case REPLAY_DDW_RESET:
            for (guint k = 0; k < m.n && !r->ret && r->phb >= 0; k++) {
                if (g_array_index(t->windows, ReplayWindow, k).phb_index ==
                    g_array_index(t->phbs, ReplayPhb, r->phb).index) {
                    g_hash_table_remove_all(m.entries[k]);
                }
            }
            break;
        default:
            break;
        }
    }
    return m;
}

static void model_free(Model *m)
{
    for (guint i = 0; i < m->n; i++) {
        g_hash_table_unref(m->entries[i]);
    }
    g_free(m->entries);
}

/* entries-in-use of window @num of PHB @index, -1 if not enabled */
static int64_t entries_in_use(QTestState *qts, unsigned index, unsigned num)
{
    JsonObject *rsp = qtest_qmp(qts, "{\"execute\": \"query-spapr-phbs\"}");
    JsonArray *a = json_node_get_array(qmp_rsp_return(rsp));
    int64_t used = -1;

    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonObject *o = json_array_get_object_element(a, i);
        JsonArray *w = json_object_get_array_member(o, "windows");
        if (json_object_get_int_member(o, "index") != index) {
            continue;
        }
        for (guint k = 0; k < json_array_get_length(w); k++) {
            JsonObject *win = json_array_get_object_element(w, k);
            if (!strcmp(json_object_get_string_member(win, "type"),
                        num ? "ddw64" : "default32")) {
                used = json_object_get_int_member(win, "entries-in-use");
            }
        }
    }
    json_object_unref(rsp);
    return used;
}

static void check_final_state(QTestState *qts, const ReplayTrace *t)
{
    Model m = model_build(t);

    for (guint i = 0; i < t->windows->len; i++) {
        const ReplayWindow *w = &g_array_index(t->windows, ReplayWindow, i);
        int64_t used = entries_in_use(qts, w->phb_index, w->num);
        guint expect = g_hash_table_size(m.entries[i]);

        g_test_message("PHB %u window %u: %" G_GINT64_FORMAT " entries in use, "
                       "the recording leaves %u", w->phb_index, w->num, used, expect);
        if (expect) {
            g_assert_cmpint(used, ==, expect);
        } else {
            g_assert_cmpint(used, <=, 0);
        }
    }
    model_free(&m);
}

static void test_linux_trace(void)
{
    const char *shared = g_getenv("SHARED_DIR");
    g_autofree char *path = NULL;
    g_autofree char *args = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(ReplayTrace) t = NULL;
    ReplayStats st = { 0 };
    ReplayTarget *target;
    QTestState *qts;

    if (!shared) {
        g_test_skip("SHARED_DIR is not set (meson sets it to <repo>/../shared)");
        return;
    }
    path = g_build_filename(shared, "traces", TRACE_NAME, NULL);
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_autofree char *why = g_strdup_printf("trace %s is missing (CI has shared/ beside "
                                               "the repository)", path);
        g_test_skip(why);
        return;
    }
    t = replay_trace_load(path, &err);
    g_assert_no_error(err);
    /* every line is either replayed or knowingly left out */
    {
        unsigned replayable = 0;
        for (int k = 0; k < REPLAY_NKINDS; k++) {
            replayable += t->in_file[k];
        }
        g_assert_cmpuint(1 + replayable + t->other_records, ==, t->lines);
        g_test_message("%s: %u lines, %u replayable records, %u others (cfg_write, irq, "
                       "markers, change-msi, ...) not replayed", TRACE_NAME, t->lines,
                       replayable, t->other_records);
    }
    g_assert_cmpuint(t->ram_size, ==, 1ull << 30);

    args = topology_args(t);
    g_test_message("machine: %s", args);
    qts = qtest_init(args);
    target = replay_qtest_target_new(qts, t->ram_size);
    replay_run(t, target, &st);
    report(&st);
    g_assert_cmpuint(st.mismatches, ==, 0);
    for (int k = 0; k < REPLAY_NKINDS; k++) {
        g_assert_cmpuint(st.replayed[k], ==, t->in_file[k]);
    }
    /* the recording's whole point: it has hypercalls, DDWs and translations */
    g_assert_cmpuint(st.replayed[REPLAY_PUT_TCE_INDIRECT], >, 0);
    g_assert_cmpuint(st.replayed[REPLAY_DDW_CREATE], >, 0);
    g_assert_cmpuint(st.replayed[REPLAY_XLATE], >, 0);
    check_final_state(qts, t);
    replay_stats_clear(&st);
    replay_qtest_target_free(target);
    qtest_quit(qts);
}

/* Inline traces ------------------------------------------------------------------ */

#define HEADER \
    "{\"op\":\"header\",\"format\":\"spapr-iommu-trace\",\"version\":1," \
    "\"meta\":{\"mem\":\"1G\"},\"windows\":[" \
    "{\"liobn\":\"0x80000000\",\"phb_index\":0,\"window\":\"default32\",\"window_num\":0," \
    "\"start\":\"0x0\",\"size\":\"0x40000000\",\"page_shift\":12}," \
    "{\"liobn\":\"0x80000001\",\"phb_index\":0,\"window\":\"ddw64\",\"window_num\":1," \
    "\"start\":\"0x800000000000000\",\"size\":\"0x40000000\",\"page_shift\":24}," \
    "{\"liobn\":\"0x80000100\",\"phb_index\":1,\"window\":\"default32\",\"window_num\":0," \
    "\"start\":\"0x0\",\"size\":\"0x40000000\",\"page_shift\":12}]," \
    "\"phbs\":[{\"index\":0,\"buid\":\"0x800000020000000\",\"ddw\":true}," \
    "{\"index\":1,\"buid\":\"0x800000020000001\",\"ddw\":true}]}\n"

#define L0 "\"liobn\":\"0x80000000\""
#define L1 "\"liobn\":\"0x80000001\""
#define L100 "\"liobn\":\"0x80000100\""
#define BUID0 "\"config_addr\":\"0x0\",\"buid\":\"0x800000020000000\""

/*
 * What the Linux recording does not contain: H_GET_TCE, calls QEMU
 * accepted and we refuse, calls that failed on QEMU, out-of-window
 * faults, DDW removal and reset.
 */
static const char synthetic_trace[] = HEADER
    /* a mapping, read back and used by a device */
    "{\"seq\":0,\"op\":\"hcall\",\"name\":\"H_PUT_TCE\"," L0 ",\"ioba\":\"0x5000\","
    "\"tce\":\"0x123003\",\"ret\":0}\n"
    "{\"seq\":1,\"op\":\"hcall\",\"name\":\"H_GET_TCE\"," L0 ",\"ioba\":\"0x5000\","
    "\"ret\":0,\"tce\":\"0x123003\"}\n"
    "{\"seq\":2,\"op\":\"xlate\"," L0 ",\"offset\":\"0x5010\",\"bus_addr\":\"0x5010\","
    "\"translated\":\"0x123000\",\"perm\":3,\"page_mask\":\"0xfff\",\"thread\":\"io\"}\n"
    /* stricter: a reserved bit */
    "{\"seq\":3,\"op\":\"hcall\",\"name\":\"H_PUT_TCE\"," L0 ",\"ioba\":\"0x6000\","
    "\"tce\":\"0x124007\",\"ret\":0}\n"
    /* stricter: a page past the end of the 1 GiB of RAM */
    "{\"seq\":4,\"op\":\"hcall\",\"name\":\"H_PUT_TCE\"," L0 ",\"ioba\":\"0x7000\","
    "\"tce\":\"0x40000001\",\"ret\":0}\n"
    /* stricter: no pages */
    "{\"seq\":5,\"op\":\"hcall\",\"name\":\"H_STUFF_TCE\"," L0 ",\"ioba\":\"0x8000\","
    "\"tce\":\"0x0\",\"npages\":0,\"ret\":0,\"ioba_traced\":\"0x8000\"}\n"
    /* stricter: one page mapped 1024 times */
    "{\"seq\":6,\"op\":\"hcall\",\"name\":\"H_STUFF_TCE\"," L0 ",\"ioba\":\"0x0\","
    "\"tce\":\"0x1003\",\"npages\":1024,\"ret\":0,\"ioba_traced\":\"0x400000\"}\n"
    /* failed on QEMU past the end of the window: the start is lost */
    "{\"seq\":7,\"op\":\"hcall\",\"name\":\"H_STUFF_TCE\"," L0 ",\"ioba\":null,"
    "\"tce\":\"0x0\",\"npages\":16,\"ret\":-4,\"ioba_traced\":\"0x40000000\"}\n"
    /* stricter: an unaligned ioba (QEMU masks it) */
    "{\"seq\":8,\"op\":\"hcall\",\"name\":\"H_PUT_TCE_INDIRECT\"," L100 ",\"ioba\":\"0x10800\","
    "\"tce_list\":\"0x2000\",\"npages\":2,\"tces\":[\"0x3003\",\"0x4003\"],"
    "\"tces_source\":\"inferred-contiguous\",\"last_index\":1,\"last_tce\":\"0x4003\","
    "\"ret\":0}\n"
    /* failed on QEMU: neither count nor list traced */
    "{\"seq\":9,\"op\":\"hcall\",\"name\":\"H_PUT_TCE_INDIRECT\"," L100 ","
    "\"ioba\":\"0x3ffff000\",\"tce_list\":\"0x2000\",\"npages\":null,\"tces\":null,"
    "\"last_index\":0,\"last_tce\":\"0x3003\",\"ret\":-4}\n"
    /* a LIOBN nobody has */
    "{\"seq\":10,\"op\":\"hcall\",\"name\":\"H_PUT_TCE\",\"liobn\":\"0x80000005\","
    "\"ioba\":\"0x0\",\"tce\":\"0x0\",\"ret\":-4}\n"
    /* a page never mapped, and a fault outside every window */
    "{\"seq\":11,\"op\":\"xlate\"," L0 ",\"offset\":\"0x9000\",\"bus_addr\":\"0x9000\","
    "\"translated\":\"0x0\",\"perm\":0,\"page_mask\":\"0xfff\",\"thread\":\"io\"}\n"
    "{\"seq\":12,\"op\":\"xlate\"," L0 ",\"offset\":\"0x100000000\","
    "\"bus_addr\":\"0x100000000\",\"translated\":\"0x0\",\"perm\":0,"
    "\"page_mask\":\"0xffffffff\",\"thread\":\"io\"}\n"
    /* the DDW */
    "{\"seq\":13,\"op\":\"rtas\",\"name\":\"ibm,query-pe-dma-window\"," BUID0 ",\"ret\":0,"
    "\"windows_available\":1,\"page_size_mask\":\"0x107\","
    "\"largest_block_traced\":\"0x80000000\",\"guest_log\":{\"largest_block\":\"0x2000000000\"}}\n"
    "{\"seq\":14,\"op\":\"rtas\",\"name\":\"ibm,create-pe-dma-window\"," BUID0 ","
    "\"page_shift\":24,\"window_shift\":30,\"ret\":0," L1 ",\"start\":\"0x800000000000000\"}\n"
    "{\"seq\":15,\"op\":\"hcall\",\"name\":\"H_PUT_TCE_INDIRECT\"," L1 ","
    "\"ioba\":\"0x800000000000000\",\"tce_list\":\"0x3000\",\"npages\":4,"
    "\"tces\":[\"0x3\",\"0x1000003\",\"0x2000003\",\"0x3000001\"],\"last_index\":3,"
    "\"last_tce\":\"0x3000001\",\"ret\":0}\n"
    "{\"seq\":16,\"op\":\"xlate\"," L1 ",\"offset\":\"0x3000040\","
    "\"bus_addr\":\"0x800000003000040\",\"translated\":\"0x3000000\",\"perm\":1,"
    "\"page_mask\":\"0xffffff\",\"thread\":\"vcpu\"}\n"
    "{\"seq\":17,\"op\":\"hcall\",\"name\":\"H_GET_TCE\"," L1 ","
    "\"ioba\":\"0x800000001000000\",\"ret\":0,\"tce\":\"0x1000003\"}\n"
    "{\"seq\":18,\"op\":\"marker\",\"id\":1,\"label\":\"not replayed\"}\n"
    "{\"seq\":19,\"op\":\"rtas\",\"name\":\"ibm,remove-pe-dma-window\"," L1 ",\"ret\":0}\n"
    "{\"seq\":20,\"op\":\"xlate\"," L1 ",\"offset\":\"0x0\",\"bus_addr\":\"0x800000000000000\","
    "\"translated\":\"0x0\",\"perm\":0,\"page_mask\":\"0xffffffff\",\"thread\":\"io\"}\n"
    /* a reset empties the default window */
    "{\"seq\":21,\"op\":\"rtas\",\"name\":\"ibm,reset-pe-dma-windows\"," BUID0 ",\"ret\":0}\n"
    "{\"seq\":22,\"op\":\"xlate\"," L0 ",\"offset\":\"0x5000\",\"bus_addr\":\"0x5000\","
    "\"translated\":\"0x0\",\"perm\":0,\"page_mask\":\"0xfff\",\"thread\":\"io\"}\n";

static QTestState *start_synthetic(const ReplayTrace *t)
{
    g_autofree char *args = topology_args(t);

    return qtest_init(args);
}

static void test_synthetic(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ReplayTrace) t = replay_trace_parse(synthetic_trace, strlen(synthetic_trace),
                                                  &err);
    ReplayStats st = { 0 };
    ReplayTarget *target;
    QTestState *qts;

    g_assert_no_error(err);
    g_assert_cmpuint(t->other_records, ==, 1);
    qts = start_synthetic(t);
    target = replay_qtest_target_new(qts, t->ram_size);
    replay_run(t, target, &st);
    report(&st);
    g_assert_cmpuint(st.mismatches, ==, 0);
    g_assert_cmpuint(st.stricter, ==, 5);          /* seq 3, 4, 5, 6, 8 */
    g_assert_cmpuint(st.failed_in_trace, ==, 3);   /* seq 7, 9, 10 */
    g_assert_cmpuint(st.xlate_faults, ==, 2);      /* seq 12, 20 */
    g_assert_cmpuint(st.replayed[REPLAY_GET_TCE], ==, 2);
    g_assert_cmpuint(st.replayed[REPLAY_DDW_REMOVE], ==, 1);
    g_assert_cmpuint(st.replayed[REPLAY_DDW_RESET], ==, 1);
    g_assert_cmpuint(replay_stats_total(&st), ==, 22);
    /* nothing the stricter calls asked for reached the table */
    g_assert_cmpint(entries_in_use(qts, 1, 0), <=, 0);
    replay_stats_clear(&st);
    replay_qtest_target_free(target);
    qtest_quit(qts);
}

/* The harness must be able to fail: a wrong code, a wrong translation, a wrong DDW. */
static const char wrong_trace[] = HEADER
    "{\"seq\":0,\"op\":\"hcall\",\"name\":\"H_PUT_TCE\"," L0 ",\"ioba\":\"0x5000\","
    "\"tce\":\"0x123003\",\"ret\":-4}\n"
    "{\"seq\":1,\"op\":\"xlate\"," L0 ",\"offset\":\"0x5000\",\"bus_addr\":\"0x5000\","
    "\"translated\":\"0x124000\",\"perm\":3,\"page_mask\":\"0xfff\",\"thread\":\"io\"}\n"
    "{\"seq\":2,\"op\":\"xlate\"," L0 ",\"offset\":\"0x5000\",\"bus_addr\":\"0x5000\","
    "\"translated\":\"0x123000\",\"perm\":1,\"page_mask\":\"0xfff\",\"thread\":\"io\"}\n"
    "{\"seq\":3,\"op\":\"xlate\"," L0 ",\"offset\":\"0x5000\",\"bus_addr\":\"0x5000\","
    "\"translated\":\"0x0\",\"perm\":0,\"page_mask\":\"0xffffffff\",\"thread\":\"io\"}\n"
    "{\"seq\":4,\"op\":\"rtas\",\"name\":\"ibm,query-pe-dma-window\"," BUID0 ",\"ret\":0,"
    "\"windows_available\":2,\"page_size_mask\":\"0x7\",\"guest_log\":{}}\n"
    "{\"seq\":5,\"op\":\"rtas\",\"name\":\"ibm,create-pe-dma-window\"," BUID0 ","
    "\"page_shift\":24,\"window_shift\":30,\"ret\":0," L1 ",\"start\":\"0x1000000000\"}\n";

static void test_detects_mismatch(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ReplayTrace) t = replay_trace_parse(wrong_trace, strlen(wrong_trace), &err);
    ReplayStats st = { 0 };
    ReplayTarget *target;
    QTestState *qts;

    g_assert_no_error(err);
    qts = start_synthetic(t);
    target = replay_qtest_target_new(qts, t->ram_size);
    g_assert_false(replay_run(t, target, &st));
    report(&st);
    /* ret, address, permission, fault, windows_available, page_size_mask, start */
    g_assert_cmpuint(st.mismatches, ==, 7);
    g_assert_nonnull(strstr(st.log->str, "seq 0 H_PUT_TCE: "));
    g_assert_nonnull(strstr(st.log->str, "seq 5 ibm,create-pe-dma-window: start"));
    replay_stats_clear(&st);
    replay_qtest_target_free(target);
    qtest_quit(qts);
}

static void expect_parse_error(const char *text, const char *what)
{
    g_autoptr(GError) err = NULL;
    ReplayTrace *t = replay_trace_parse(text, strlen(text), &err);

    g_assert_null(t);
    g_assert_nonnull(err);
    if (!strstr(err->message, what)) {
        g_error("\"%s\" does not mention \"%s\"", err->message, what);
    }
}

static void test_parse_errors(void)
{
    expect_parse_error("", "empty trace");
    expect_parse_error("{\"op\":\"phase\",\"seq\":0}\n", "line 1: the first line is not");
    expect_parse_error("{\"op\":\"header\",\"format\":\"x\"}\n", "not a spapr-iommu-trace");
    expect_parse_error(HEADER "{\"seq\":0,\"op\":\"hcall\",\"name\":\"H_PUT_TCE\"," L0
                       ",\"ioba\":\"5000\",\"tce\":\"0x3\",\"ret\":0}\n", "line 2: \"ioba\"");
    expect_parse_error(HEADER "{\"seq\":0,\"op\":\"hcall\",\"name\":\"H_PUT_TCE_INDIRECT\"," L0
                       ",\"ioba\":\"0x0\",\"tce_list\":\"0x2000\",\"npages\":2,"
                       "\"tces\":[\"0x3\"],\"ret\":0}\n", "1 tces for npages 2");
    expect_parse_error(HEADER "{\"seq\":0,\"op\":\"hcall\",\"name\":\"H_STUFF_TCE\"," L0
                       ",\"ioba\":null,\"tce\":\"0x0\",\"npages\":1,\"ret\":0}\n",
                       "without ioba");
    expect_parse_error(HEADER "{\"seq\":0,\"op\":\"hcall\",\"name\":\"H_BOGUS\"," L0
                       ",\"ret\":0}\n", "unknown hcall");
    expect_parse_error(HEADER "{\"seq\":0,\"op\":\"xlate\"," L0 ",\"bus_addr\":\"0x0\","
                       "\"translated\":\"0x0\",\"perm\":3,\"page_mask\":\"0xffe\"}\n",
                       "not 2^n - 1");
    expect_parse_error(HEADER "not json\n", "line 2");
    expect_parse_error(HEADER HEADER, "a second header");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/spapr/replay/parse-errors", test_parse_errors);
    g_test_add_func("/spapr/replay/synthetic", test_synthetic);
    g_test_add_func("/spapr/replay/detects-mismatch", test_detects_mismatch);
    g_test_add_func("/spapr/replay/linux-6.1-pseries-default", test_linux_trace);
    return g_test_run();
}
