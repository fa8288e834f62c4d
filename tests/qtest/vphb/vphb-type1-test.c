/*
 * spapr-pci-vfio-host-bridge's DMA windows on a Type1 (x86-like) host of
 * the fake VFIO kernel: each rule the PHB follows to give the guest only
 * windows the host IOMMU can map, and each configuration it refuses.
 *
 * - the 32-bit window has 4K TCEs, so a host whose smallest IOMMU page
 *   is larger is refused (x-unmappable-dma32=on aside; vphb-dma-test's
 *   host-64k case runs the DDW on such a host);
 * - the 32-bit window lies inside the host's usable IOVA ranges (the
 *   MSI window 0xfee00000..0xfeefffff is not one);
 * - a dma64_win_addr the user gives is kept when the host can map a
 *   window there, and refused when it cannot;
 * - a host that reports no IOVA ranges (before Linux 5.4) gets no DDW,
 *   unless the user placed it.
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include <libfdt.h>
#include "qobject/qbool.h"
#include "qobject/qnum.h"
#include "vphb-fake.h"

#define VPHB                "spapr-pci-vfio-host-bridge"
#define RTAS_OUT_PARAM_ERROR    (-3)
#define PHB_BUID(index)     (0x800000020000000ULL + (index))

static const char *const env_64k[] = { "VFIO_FAKE_TYPE1_PGSIZES=0x10000",
                                       NULL };
static const char *const env_no_caps[] = { "VFIO_FAKE_TYPE1_NO_CAPS=1",
                                           NULL };

static uint64_t qom_u64(QTestState *qts, const char *id, const char *prop)
{
    g_autofree char *path = g_strdup_printf("/machine/peripheral/%s", id);
    QObject *obj = vphb_qom_get(qts, path, prop);
    uint64_t v = qnum_get_uint(qobject_to(QNum, obj));

    qobject_unref(obj);
    return v;
}

static bool qom_bool(QTestState *qts, const char *id, const char *prop)
{
    g_autofree char *path = g_strdup_printf("/machine/peripheral/%s", id);
    QObject *obj = vphb_qom_get(qts, path, prop);
    bool v = qbool_get_bool(qobject_to(QBool, obj));

    qobject_unref(obj);
    return v;
}

/*
 * ibm,query-pe-dma-window on PHB @index with 6 returns: the status, and
 * in *@block the largest window in TCEs of the largest page offered.
 */
static int32_t query_ddw(QTestState *qts, int index, uint64_t *block)
{
    uint32_t args[] = { 0, PHB_BUID(index) >> 32, (uint32_t)PHB_BUID(index) };
    uint32_t rets[6] = { 0 };

    vphb_rtas(qts, "ibm,query-pe-dma-window", args, 3, rets, 6);
    *block = (uint64_t)rets[2] << 32 | rets[3];
    return rets[0];
}

/* ibm,create-pe-dma-window: the status, and in *@addr the bus address */
static int32_t create_ddw(QTestState *qts, int index, unsigned page_shift,
                          unsigned window_shift, uint64_t *addr)
{
    uint32_t args[] = { 0, PHB_BUID(index) >> 32, (uint32_t)PHB_BUID(index),
                        page_shift, window_shift };
    uint32_t rets[4] = { 0 };

    vphb_rtas(qts, "ibm,create-pe-dma-window", args, 5, rets, 4);
    *addr = (uint64_t)rets[2] << 32 | rets[3];
    return rets[0];
}

/*
 * A host IOMMU with 64K pages and no smaller: the 32-bit window's 4K
 * TCEs could be backed only by mapping 60K more of guest memory each,
 * which the PHB refuses, with or without a DDW.  The refusal names the
 * PHB, the group and the host's page size.
 */
static void test_host_64k_refused(void)
{
    static const char *const refused[] = {
        "'bad' (index 5)", "group 1", "no page smaller than 64 KiB",
        "4 KiB TCEs", NULL };
    VphbFake f;

    /* one vPHB that says it knows, so that the fake runs */
    vphb_fake_start(&f, "type1", NULL, env_64k,
                    "-device " VPHB ",id=vphb3,index=3,iommu=3,"
                    "x-unmappable-dma32=on");
    vphb_add_must_fail(&f, "\"driver\": \"" VPHB "\", \"id\": \"bad\", "
                       "\"index\": 5, \"iommu\": 1", refused);
    vphb_add_must_fail(&f, "\"driver\": \"" VPHB "\", \"id\": \"bad\", "
                       "\"index\": 5, \"iommu\": 1, \"ddw\": false", refused);
    vphb_fake_stop(&f);

    /* and at start */
    {
        g_setenv("VFIO_FAKE_IOMMU", "type1", true);
        g_setenv("VFIO_FAKE_TYPE1_PGSIZES", "0x10000", true);
        vphb_cold_start_must_fail("-device " VPHB ",id=vphb1,index=1,iommu=1",
                                  (const char *const[]) {
                                      "'vphb1' (index 1)", "group 1",
                                      "64 KiB", NULL });
        g_unsetenv("VFIO_FAKE_TYPE1_PGSIZES");
        g_unsetenv("VFIO_FAKE_IOMMU");
    }
}

/*
 * The 32-bit window must lie inside the host's usable IOVA ranges: the
 * fake's are 0..0xfedfffff and 0xfef00000..2^39-1 (the x86 MSI window
 * cut out).  Windows over the MSI window or past the aperture are
 * refused, naming what the host cannot map; one above 4 GiB is fine,
 * and the DDW then goes clear of it.
 */
static void test_dma32_reserved(void)
{
    static const char *const over_msi[] = {
        "'bad' (index 5)", "group 1", "32-bit DMA window 0x0..0xffffffff",
        "cannot map 0xfee00000..0xfeefffff", NULL };
    static const char *const ends_in_msi[] = {
        "'bad' (index 5)", "group 1", "0xfe000000..0xfeffffff",
        "cannot map 0xfee00000..0xfeefffff", NULL };
    static const char *const past_aperture[] = {
        "'bad' (index 5)", "group 1", "0x7fc0000000..0x803fffffff",
        "cannot map 0x8000000000..0x803fffffff", NULL };
    VphbFake f;
    uint64_t ddw;

    vphb_fake_start(&f, "type1", NULL, NULL,
                    "-device " VPHB ",id=vphb3,index=3,iommu=3");
    vphb_add_must_fail(&f, "\"driver\": \"" VPHB "\", \"id\": \"bad\", "
                       "\"index\": 5, \"iommu\": 1, "
                       "\"dma_win_size\": 4294967296", over_msi);
    vphb_add_must_fail(&f, "\"driver\": \"" VPHB "\", \"id\": \"bad\", "
                       "\"index\": 5, \"iommu\": 1, "
                       "\"dma_win_addr\": 4261412864, "
                       "\"dma_win_size\": 16777216", ends_in_msi);
    vphb_add_must_fail(&f, "\"driver\": \"" VPHB "\", \"id\": \"bad\", "
                       "\"index\": 5, \"iommu\": 1, "
                       "\"dma_win_addr\": 548682072064, "
                       "\"dma_win_size\": 2147483648", past_aperture);

    /* 4..5 GiB: fine, and the DDW keeps clear of it */
    qtest_qmp_assert_success(f.qts, "{'execute': 'device_add', 'arguments': "
                             "{'driver': '" VPHB "', 'id': 'vphb1', "
                             "'index': 1, 'iommu': 1, "
                             "'dma_win_addr': 4294967296, "
                             "'dma_win_size': 1073741824}}");
    ddw = qom_u64(f.qts, "vphb1", "dma64_win_addr");
    g_assert_cmphex(ddw, ==, 1ULL << 38);
    vphb_fake_stop(&f);
}

/*
 * dma64_win_addr given by the user: kept where the host can map a
 * window, the largest window there being the limit query reports and
 * create enforces; refused where it cannot (past the aperture, inside
 * the 32-bit window, not a whole page).  Unset, the PHB places it.
 */
static void test_dma64_user(void)
{
    static const char *const past_aperture[] = {
        "'bad' (index 5)", "group 3", "dma64_win_addr 0x10000000000",
        "cannot map a 64-bit DMA window", NULL };
    static const char *const in_dma32[] = {
        "'bad' (index 5)", "group 3", "dma64_win_addr 0x20000000",
        "32-bit DMA window (0x0..0x3fffffff)", NULL };
    static const char *const in_msi_hole[] = {
        "'bad' (index 5)", "group 3", "dma64_win_addr 0xfee00000", NULL };
    static const char *const unaligned[] = {
        "'bad' (index 5)", "group 3", "dma64_win_addr 0x1000000800",
        "not a multiple of 4 KiB", NULL };
    VphbFake f;
    uint64_t block, addr;

    /* 2^36: the largest window from there inside 2^39 is 2^38 */
    vphb_fake_start(&f, "type1", NULL, NULL,
                    "-device " VPHB ",id=vphb1,index=1,iommu=1,"
                    "dma64_win_addr=0x1000000000");
    g_assert_cmphex(qom_u64(f.qts, "vphb1", "dma64_win_addr"), ==,
                    1ULL << 36);
    /* in 16M TCEs, the largest page size offered */
    g_assert_cmpint(query_ddw(f.qts, 1, &block), ==, 0);
    g_assert_cmphex(block, ==, 1ULL << (38 - 24));
    g_assert_cmpint(create_ddw(f.qts, 1, 24, 39, &addr), ==,
                    RTAS_OUT_PARAM_ERROR);
    g_assert_cmpint(create_ddw(f.qts, 1, 24, 38, &addr), ==, 0);
    g_assert_cmphex(addr, ==, 1ULL << 36);

    vphb_add_must_fail(&f, "\"driver\": \"" VPHB "\", \"id\": \"bad\", "
                       "\"index\": 5, \"iommu\": 3, "
                       "\"dma64_win_addr\": 1099511627776", past_aperture);
    vphb_add_must_fail(&f, "\"driver\": \"" VPHB "\", \"id\": \"bad\", "
                       "\"index\": 5, \"iommu\": 3, "
                       "\"dma64_win_addr\": 536870912", in_dma32);
    vphb_add_must_fail(&f, "\"driver\": \"" VPHB "\", \"id\": \"bad\", "
                       "\"index\": 5, \"iommu\": 3, "
                       "\"dma64_win_addr\": 4276092928", in_msi_hole);
    vphb_add_must_fail(&f, "\"driver\": \"" VPHB "\", \"id\": \"bad\", "
                       "\"index\": 5, \"iommu\": 3, "
                       "\"dma64_win_addr\": 68719478784", unaligned);
    /* unset: placed by the PHB, as before */
    qtest_qmp_assert_success(f.qts, "{'execute': 'device_add', 'arguments': "
                             "{'driver': '" VPHB "', 'id': 'vphb3', "
                             "'index': 3, 'iommu': 3}}");
    g_assert_cmphex(qom_u64(f.qts, "vphb3", "dma64_win_addr"), ==,
                    1ULL << 38);
    vphb_fake_stop(&f);

    /* sPAPR hosts create their window where the guest's is: any value */
    vphb_fake_start(&f, "spapr-tce-v2", NULL, NULL,
                    "-device " VPHB ",id=vphb1,index=1,iommu=1,"
                    "dma64_win_addr=0x10000000000 "
                    "-device " VPHB ",id=vphb3,index=3,iommu=3");
    g_assert_cmphex(qom_u64(f.qts, "vphb1", "dma64_win_addr"), ==,
                    1ULL << 40);
    g_assert_cmphex(qom_u64(f.qts, "vphb3", "dma64_win_addr"), ==,
                    1ULL << 59);
    vphb_fake_stop(&f);
}

/*
 * A kernel before 5.4 says nothing of its usable IOVA ranges: there is
 * no safe place for a DDW, so the PHB offers none (ddw reads false, the
 * guest's tree has no ibm,ddw-applicable, query fails) and the guest's
 * DMA goes through the 32-bit window, which works.  A dma64_win_addr the
 * user gave is taken on trust.
 */
static void test_no_iova_ranges(void)
{
    VphbFake f;
    g_autofree void *fdt = NULL;
    QObject *obj;
    QDict *c;
    uint64_t block, addr;
    int phb;

    vphb_fake_start(&f, "type1", NULL, env_no_caps,
                    "-m 1G -device " VPHB ",id=vphb1,index=1,iommu=1 "
                    "-device " VPHB ",id=vphb3,index=3,iommu=3,"
                    "dma64_win_addr=0x1000000000");
    obj = vphb_qom_get(f.qts, "/machine/peripheral/vphb1", "container");
    c = qobject_to(QDict, qlist_peek(qobject_to(QList, obj)));
    g_assert_cmpstr(qdict_get_str(c, "backend"), ==, "type1");
    g_assert_cmpint(qlist_size(qdict_get_qlist(c, "iova-ranges")), ==, 0);
    qobject_unref(obj);

    g_assert_false(qom_bool(f.qts, "vphb1", "ddw"));
    g_assert_cmpint(query_ddw(f.qts, 1, &block), ==, RTAS_OUT_PARAM_ERROR);
    fdt = vphb_dumpdtb(&f);
    phb = fdt_path_offset(fdt, "/pci@800000020000001");
    g_assert_cmpint(phb, >=, 0);
    g_assert_null(fdt_getprop(fdt, phb, "ibm,ddw-applicable", NULL));
    vphb_guest_dma(f.qts, fdt, phb, 1, 0, 0x1122334455667788ULL);

    /* placed by the user: the DDW is there */
    g_assert_true(qom_bool(f.qts, "vphb3", "ddw"));
    g_assert_cmpint(query_ddw(f.qts, 3, &block), ==, 0);
    g_assert_cmpint(create_ddw(f.qts, 3, 16, 30, &addr), ==, 0);
    g_assert_cmphex(addr, ==, 1ULL << 36);
    vphb_fake_stop(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/vphb/type1/host-64k-refused", test_host_64k_refused);
    qtest_add_func("/vphb/type1/dma32-reserved", test_dma32_reserved);
    qtest_add_func("/vphb/type1/dma64-user", test_dma64_user);
    qtest_add_func("/vphb/type1/no-iova-ranges", test_no_iova_ranges);
    return g_test_run();
}
