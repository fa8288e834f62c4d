/*
 * A real Linux guest's TCE and DDW calls, replayed
 *
 * tests/data/traces/ holds the IOMMU operations of Debian's Linux 6.1
 * booting on pseries with three PHBs, loading nvme and e1000e, doing I/O
 * and unbinding them (its README.rst).  The test starts the recording's
 * topology and makes every TCE hypercall and DDW RTAS call again, in
 * order: each must return what the guest got, the DDWs must get the same
 * LIOBN and bus address, and at each of the 6746 device translations of
 * the recording the table must hold a TCE that translates the same way
 * (read back with H_GET_TCE).  The calls the guest never made (remove,
 * reset) are then tested from LoPAPR on the state it left.
 *
 * It only uses QEMU's hypercalls and RTAS, so it runs on stock QEMU built
 * with ./configure --stock too:
 *
 *   QTEST_QEMU_BINARY=build/stock/qemu-system-ppc64 \
 *   VPHB_TRACE=tests/data/traces/linux-6.1-pseries-default.jsonl.gz \
 *   build/qemu-build/tests/qtest/vphb/vphb-trace-replay-test
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "vphb-trace.h"

#define RTAS_PARAM_ERROR    (-3)

#define PHB_BUID(index)     (0x800000020000000ULL + (index))
#define PHB_LIOBN(index, n) (0x80000000u | (index) << 8 | (n))
#define DEFAULT_WINDOW      (1ULL << 30)
#define DDW_START           (1ULL << 59)

static VphbTrace *trace;

static QTestState *start(void)
{
    return qtest_initf("-machine pseries -nodefaults -m %" PRIu64 "M %s",
                       trace->ram_size >> 20, vphb_trace_topology());
}

static int64_t get_tce(QTestState *qts, uint32_t liobn, uint64_t ioba,
                       uint64_t *tce)
{
    uint64_t args[] = { liobn, ioba };

    return vphb_hcall(qts, VPHB_H_GET_TCE, 2, args, tce);
}

static int64_t put_tce(QTestState *qts, uint32_t liobn, uint64_t ioba,
                       uint64_t tce)
{
    uint64_t args[] = { liobn, ioba, tce };

    return vphb_hcall(qts, VPHB_H_PUT_TCE, 3, args, NULL);
}

static int32_t query(QTestState *qts, unsigned index, uint32_t *avail)
{
    uint32_t args[] = { 0x800, PHB_BUID(index) >> 32,
                        (uint32_t)PHB_BUID(index) };
    uint32_t q[6];
    int32_t ret;

    ret = vphb_rtas_call(qts, "ibm,query-pe-dma-window", args, 3, q, 6);
    *avail = q[1];
    return ret;
}

static int32_t remove_window(QTestState *qts, uint32_t liobn)
{
    uint32_t s;

    return vphb_rtas_call(qts, "ibm,remove-pe-dma-window", &liobn, 1, &s, 1);
}

static int32_t reset_windows(QTestState *qts, unsigned index)
{
    uint32_t args[] = { 0x800, PHB_BUID(index) >> 32,
                        (uint32_t)PHB_BUID(index) };
    uint32_t s;

    return vphb_rtas_call(qts, "ibm,reset-pe-dma-window", args, 3, &s, 1);
}

/* The loaded file is the whole recording (tests/data/traces/README.rst) */
static void test_loaded(void)
{
    g_assert_cmpuint(trace->ram_size, ==, 1ULL << 30);
    g_assert_cmpuint(trace->count[VPHB_TR_PUT_TCE], ==, 282);
    g_assert_cmpuint(trace->count[VPHB_TR_PUT_TCE_INDIRECT], ==, 191);
    g_assert_cmpuint(trace->count[VPHB_TR_STUFF_TCE], ==, 1971);
    g_assert_cmpuint(trace->count[VPHB_TR_QUERY], ==, 2);
    g_assert_cmpuint(trace->count[VPHB_TR_CREATE], ==, 2);
    g_assert_cmpuint(trace->count[VPHB_TR_XLATE], ==, 6746);
    g_assert_cmpuint(trace->count[VPHB_TR_MARKER], ==, 24);
}

static void test_replay(void)
{
    QTestState *qts = start();
    g_autofree char *err = vphb_trace_replay(qts, trace);

    if (err) {
        g_error("the replay differs from the recording at %s", err);
    }
    qtest_quit(qts);
}

/*
 * ibm,remove-pe-dma-window and ibm,reset-pe-dma-window, which the guest
 * did not call, on the windows it left: LoPAPR's removal of a DDW, of the
 * default window, the default window restored with the last DDW gone or
 * by a reset, and a removal that names no window.
 */
static void test_remove_reset(void)
{
    QTestState *qts = start();
    g_autofree char *err = vphb_trace_replay(qts, trace);
    uint64_t tce;
    uint32_t avail;
    uint32_t args[5], c[4];
    uint32_t liobn;
    uint64_t start_addr;

    g_assert_null(err);

    /* PHB 1: its DDW goes, the default window stays */
    g_assert_cmpint(remove_window(qts, PHB_LIOBN(1, 1)), ==, 0);
    g_assert_cmpint(get_tce(qts, PHB_LIOBN(1, 1), DDW_START, &tce), ==,
                    VPHB_H_PARAMETER);
    g_assert_cmpint(get_tce(qts, PHB_LIOBN(1, 0), 0, &tce), ==,
                    VPHB_H_SUCCESS);
    g_assert_cmpint(query(qts, 1, &avail), ==, 0);
    g_assert_cmpuint(avail, ==, 1);
    /* no such window any more */
    g_assert_cmpint(remove_window(qts, PHB_LIOBN(1, 1)), ==, RTAS_PARAM_ERROR);
    g_assert_cmpint(remove_window(qts, 0xdeadbeef), ==, RTAS_PARAM_ERROR);
    /* PHB 2 has DDW off: its windows are not the guest's to remove */
    g_assert_cmpint(remove_window(qts, PHB_LIOBN(2, 0)), ==, RTAS_PARAM_ERROR);
    g_assert_cmpint(reset_windows(qts, 2), ==, RTAS_PARAM_ERROR);

    /* the default window removed too: both free, none restored */
    g_assert_cmpint(remove_window(qts, PHB_LIOBN(1, 0)), ==, 0);
    g_assert_cmpint(get_tce(qts, PHB_LIOBN(1, 0), 0, &tce), ==,
                    VPHB_H_PARAMETER);
    g_assert_cmpint(query(qts, 1, &avail), ==, 0);
    g_assert_cmpuint(avail, ==, 2);

    /* a window created now is usable where create says it is */
    args[0] = 0x800;
    args[1] = PHB_BUID(1) >> 32;
    args[2] = (uint32_t)PHB_BUID(1);
    args[3] = 16;
    args[4] = 32;
    g_assert_cmpint(vphb_rtas_call(qts, "ibm,create-pe-dma-window", args, 5,
                                   c, 4), ==, 0);
    liobn = c[1];
    start_addr = (uint64_t)c[2] << 32 | c[3];
    g_assert_cmpint(put_tce(qts, liobn, start_addr + 0x30000, 0x10000 | 3),
                    ==, 0);
    g_assert_cmpint(get_tce(qts, liobn, start_addr + 0x30000, &tce), ==, 0);
    g_assert_cmphex(tce, ==, 0x10000 | 3);

    /* a reset: the default window back, 1 GiB at 0, empty; the rest gone */
    g_assert_cmpint(reset_windows(qts, 1), ==, 0);
    g_assert_cmpint(get_tce(qts, PHB_LIOBN(1, 0), DEFAULT_WINDOW - 0x1000,
                            &tce), ==, 0);
    g_assert_cmphex(tce, ==, 0);
    g_assert_cmpint(get_tce(qts, PHB_LIOBN(1, 0), DEFAULT_WINDOW, &tce), ==,
                    VPHB_H_PARAMETER);
    if (liobn != PHB_LIOBN(1, 0)) {
        g_assert_cmpint(get_tce(qts, liobn, start_addr, &tce), ==,
                        VPHB_H_PARAMETER);
    }
    g_assert_cmpint(query(qts, 1, &avail), ==, 0);
    g_assert_cmpuint(avail, ==, 1);

    /*
     * PHB 0: a TCE in the default window, then a reset: the guest's DDW
     * and the TCE are gone
     */
    g_assert_cmpint(put_tce(qts, PHB_LIOBN(0, 0), 0x5000, 0x20000 | 3), ==, 0);
    /* the guest mapped RAM 1:1 there: page 0 read-write */
    g_assert_cmpint(get_tce(qts, PHB_LIOBN(0, 1), DDW_START, &tce), ==, 0);
    g_assert_cmphex(tce, ==, 3);
    g_assert_cmpint(reset_windows(qts, 0), ==, 0);
    g_assert_cmpint(get_tce(qts, PHB_LIOBN(0, 1), DDW_START, &tce), ==,
                    VPHB_H_PARAMETER);
    g_assert_cmpint(get_tce(qts, PHB_LIOBN(0, 0), 0x5000, &tce), ==, 0);
    g_assert_cmphex(tce, ==, 0);

    /*
     * LoPAPR: removing the last window, when it is not the default one,
     * restores the default window
     */
    args[1] = PHB_BUID(0) >> 32;
    args[2] = (uint32_t)PHB_BUID(0);
    args[3] = 24;
    args[4] = 30;
    g_assert_cmpint(vphb_rtas_call(qts, "ibm,create-pe-dma-window", args, 5,
                                   c, 4), ==, 0);
    g_assert_cmphex(c[1], ==, PHB_LIOBN(0, 1));
    g_assert_cmpint(remove_window(qts, PHB_LIOBN(0, 0)), ==, 0);
    g_assert_cmpint(get_tce(qts, PHB_LIOBN(0, 0), 0, &tce), ==,
                    VPHB_H_PARAMETER);
    g_assert_cmpint(remove_window(qts, PHB_LIOBN(0, 1)), ==, 0);
    g_assert_cmpint(get_tce(qts, PHB_LIOBN(0, 0), DEFAULT_WINDOW - 0x1000,
                            &tce), ==, 0);
    g_assert_cmphex(tce, ==, 0);
    g_assert_cmpint(query(qts, 0, &avail), ==, 0);
    g_assert_cmpuint(avail, ==, 1);

    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    const char *path = g_getenv("VPHB_TRACE");
    int ret;

    g_test_init(&argc, &argv, NULL);
    if (!path) {
        g_test_skip("VPHB_TRACE names no recording");
        return g_test_run();
    }
    trace = vphb_trace_load(path);
    qtest_add_func("/vphb/trace-replay/loaded", test_loaded);
    qtest_add_func("/vphb/trace-replay/linux-6.1", test_replay);
    qtest_add_func("/vphb/trace-replay/remove-reset", test_remove_reset);
    ret = g_test_run();
    vphb_trace_free(trace);
    return ret;
}
