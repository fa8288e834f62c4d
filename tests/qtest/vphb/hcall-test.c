/*
 * qtest 'hcall' command (hw/ppc/vphb/qtest_hcall.c)
 *
 * The command must reach QEMU's own hypercall handlers with the
 * arguments in r4..r12, return what the handlers leave in those
 * registers, refuse malformed requests without making a call, and leave
 * QEMU's other qtest commands ('rtas', unknown words) as they were.
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/cutils.h"
#include "libqtest.h"

#define H_SUCCESS       0
#define H_FUNCTION      (-2)
#define H_PARAMETER     (-4)

#define H_GET_TCE           0x1c
#define H_PUT_TCE           0x20
#define H_PUT_TCE_INDIRECT  0x13c
#define H_STUFF_TCE         0x138

/* PHB 0's default DMA window: SPAPR_PCI_LIOBN(0, 0) */
#define PHB0_LIOBN      0x80000000ULL
#define TCE_RW          0x3ULL

#define NREGS           9

/* one reply: OK RET R4..R12 */
typedef struct HcallReply {
    int64_t ret;
    uint64_t regs[NREGS];
} HcallReply;

static QTestState *start_pseries(void)
{
    return qtest_init("-machine pseries -nodefaults");
}

static HcallReply hcall(QTestState *qts, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

static HcallReply hcall(QTestState *qts, const char *fmt, ...)
{
    g_autofree char *args = NULL;
    g_auto(GStrv) words = NULL;
    HcallReply r = { 0 };
    va_list ap;
    int i;

    va_start(ap, fmt);
    args = g_strdup_vprintf(fmt, ap);
    va_end(ap);

    words = qtest_raw_cmd(qts, "hcall %s", args);
    g_assert_cmpstr(words[0], ==, "OK");
    /* RET and all nine registers, every time */
    g_assert_cmpuint(g_strv_length(words), ==, 2 + NREGS);
    g_assert_cmpint(qemu_strtoi64(words[1], NULL, 10, &r.ret), ==, 0);
    for (i = 0; i < NREGS; i++) {
        g_assert(g_str_has_prefix(words[2 + i], "0x"));
        g_assert_cmpint(qemu_strtou64(words[2 + i], NULL, 16, &r.regs[i]),
                        ==, 0);
    }
    return r;
}

static uint64_t get_tce(QTestState *qts, uint64_t liobn, uint64_t ioba)
{
    HcallReply r = hcall(qts, "0x%x 0x%" PRIx64 " 0x%" PRIx64,
                         H_GET_TCE, liobn, ioba);

    g_assert_cmpint(r.ret, ==, H_SUCCESS);
    return r.regs[0];
}

/* H_PUT_TCE then H_GET_TCE: the value goes through QEMU's TCE table */
static void test_put_get_tce(void)
{
    QTestState *qts = start_pseries();
    HcallReply r;

    r = hcall(qts, "0x%x 0x%llx 0x1000 0x10000003", H_PUT_TCE, PHB0_LIOBN);
    g_assert_cmpint(r.ret, ==, H_SUCCESS);
    /* registers the handler does not write come back as they went in */
    g_assert_cmphex(r.regs[0], ==, PHB0_LIOBN);
    g_assert_cmphex(r.regs[1], ==, 0x1000);
    g_assert_cmphex(r.regs[2], ==, 0x10000003);
    g_assert_cmphex(r.regs[3], ==, 0);

    g_assert_cmphex(get_tce(qts, PHB0_LIOBN, 0x1000), ==, 0x10000003);
    g_assert_cmphex(get_tce(qts, PHB0_LIOBN, 0x2000), ==, 0);

    /* and the hypercall can undo it */
    r = hcall(qts, "0x%x 0x%llx 0x1000 0", H_PUT_TCE, PHB0_LIOBN);
    g_assert_cmpint(r.ret, ==, H_SUCCESS);
    g_assert_cmphex(get_tce(qts, PHB0_LIOBN, 0x1000), ==, 0);
    qtest_quit(qts);
}

/* H_PUT_TCE_INDIRECT reads its list from guest RAM through the vCPU */
static void test_put_tce_indirect(void)
{
    QTestState *qts = start_pseries();
    const uint64_t list = 0x200000;
    HcallReply r;
    int i;

    /* qtest_writeq stores in the guest's (big-endian) order */
    for (i = 0; i < 8; i++) {
        qtest_writeq(qts, list + 8 * i, 0x3000000ULL + i * 0x1000 + TCE_RW);
    }
    r = hcall(qts, "0x%x 0x%llx 0x10000 0x%" PRIx64 " 8",
              H_PUT_TCE_INDIRECT, PHB0_LIOBN, list);
    g_assert_cmpint(r.ret, ==, H_SUCCESS);
    for (i = 0; i < 8; i++) {
        g_assert_cmphex(get_tce(qts, PHB0_LIOBN, 0x10000 + i * 0x1000), ==,
                        0x3000000ULL + i * 0x1000 + TCE_RW);
    }

    /* H_STUFF_TCE clears six of them */
    r = hcall(qts, "0x%x 0x%llx 0x11000 0 6", H_STUFF_TCE, PHB0_LIOBN);
    g_assert_cmpint(r.ret, ==, H_SUCCESS);
    g_assert_cmphex(get_tce(qts, PHB0_LIOBN, 0x10000), !=, 0);
    for (i = 1; i < 7; i++) {
        g_assert_cmphex(get_tce(qts, PHB0_LIOBN, 0x10000 + i * 0x1000), ==, 0);
    }
    g_assert_cmphex(get_tce(qts, PHB0_LIOBN, 0x17000), !=, 0);
    qtest_quit(qts);
}

/* a hypercall the guest gets wrong is an OK reply with a PAPR error */
static void test_guest_errors(void)
{
    QTestState *qts = start_pseries();
    HcallReply r;

    r = hcall(qts, "0x%x 0xdeadbeef 0", H_GET_TCE);
    g_assert_cmpint(r.ret, ==, H_PARAMETER);
    /* an ioba beyond the 1 GiB default window */
    r = hcall(qts, "0x%x 0x%llx 0x40000000 0x10000003", H_PUT_TCE, PHB0_LIOBN);
    g_assert_cmpint(r.ret, ==, H_PARAMETER);
    /* no such hypercall, and an opcode that is not a multiple of 4 */
    r = hcall(qts, "0x3d8");
    g_assert_cmpint(r.ret, ==, H_FUNCTION);
    r = hcall(qts, "0x9999");
    g_assert_cmpint(r.ret, ==, H_FUNCTION);
    r = hcall(qts, "0xffffffffffffffff");
    g_assert_cmpint(r.ret, ==, H_FUNCTION);
    qtest_quit(qts);
}

static void assert_fail(QTestState *qts, const char *cmd, const char *reply)
{
    g_auto(GStrv) words = qtest_raw_cmd(qts, "%s", cmd);
    g_autofree char *line = g_strjoinv(" ", words);

    g_assert_cmpstr(line, ==, reply);
}

/* malformed requests are refused, make no call, and break nothing */
static void test_malformed(void)
{
    QTestState *qts = start_pseries();

    hcall(qts, "0x%x 0x%llx 0x1000 0x10000003", H_PUT_TCE, PHB0_LIOBN);

    assert_fail(qts, "hcall", "FAIL missing argument");
    assert_fail(qts, "hcall zz", "FAIL invalid number 'zz'");
    assert_fail(qts, "hcall -1", "FAIL invalid number '-1'");
    assert_fail(qts, "hcall 0x20 0x80000000 0x1000 -3",
                "FAIL invalid number '-3'");
    assert_fail(qts, "hcall 0x20 0x80000000 0x1000 12abc",
                "FAIL invalid number '12abc'");
    assert_fail(qts, "hcall 0x20 0x80000000 0x1000 0x1ffffffffffffffff",
                "FAIL invalid number '0x1ffffffffffffffff'");
    assert_fail(qts, "hcall 0x20 0x80000000 0x1000 0 1 2 3 4 5 6 7",
                "FAIL too many arguments (at most 9)");

    /* none of those reached H_PUT_TCE: the entry is as it was */
    g_assert_cmphex(get_tce(qts, PHB0_LIOBN, 0x1000), ==, 0x10000003);

    /* nine arguments are allowed */
    hcall(qts, "0x%x 0x%llx 0x2000 0x08000001 0 0 0 0 0 0",
          H_PUT_TCE, PHB0_LIOBN);
    g_assert_cmphex(get_tce(qts, PHB0_LIOBN, 0x2000), ==, 0x08000001);
    qtest_quit(qts);
}

/* QEMU's 'rtas' command still works next to ours, and unknown words fail */
static void test_other_commands(void)
{
    QTestState *qts = start_pseries();
    const uint64_t args = 0x100000, rets = 0x100100;
    g_auto(GStrv) words = NULL;
    int i;

    for (i = 0; i < 8; i++) {
        qtest_writel(qts, rets + 4 * i, 0xffffffff);
    }
    qtest_rtas_call(qts, "get-time-of-day", 0, args, 8, rets);
    g_assert_cmpint(qtest_readl(qts, rets), ==, 0);           /* status */
    g_assert_cmpint(qtest_readl(qts, rets + 4), >=, 2026);    /* year */

    words = qtest_raw_cmd(qts, "no-such-command 1 2");
    g_assert_cmpstr(words[0], ==, "FAIL");
    g_assert_cmpstr(words[1], ==, "Unknown");
    qtest_quit(qts);
}

/* a machine without hypercalls says so */
static void test_not_pseries(void)
{
    QTestState *qts = qtest_init("-machine none");

    assert_fail(qts, "hcall 0x1c 0x80000000 0",
                "FAIL this machine has no hypercalls");
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    qtest_add_func("vphb/hcall/put-get-tce", test_put_get_tce);
    qtest_add_func("vphb/hcall/put-tce-indirect", test_put_tce_indirect);
    qtest_add_func("vphb/hcall/guest-errors", test_guest_errors);
    qtest_add_func("vphb/hcall/malformed", test_malformed);
    qtest_add_func("vphb/hcall/other-commands", test_other_commands);
    qtest_add_func("vphb/hcall/not-pseries", test_not_pseries);

    return g_test_run();
}
