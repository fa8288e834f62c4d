/*
 * The TCE engine (hw/ppc/vphb/spapr_tce_engine.c) behind every sPAPR TCE
 * table, through the qtest "hcall" command:
 *
 * - its KVM-strict checks, each of which must refuse with H_PARAMETER
 *   and change no entry;
 * - sparse tables: an empty 1 TiB DDW costs almost nothing, and what it
 *   costs follows the entries in use;
 * - host map calls on the fake VFIO kernel: one per naturally aligned
 *   run, none for clearing what is empty;
 * - a map the host refuses: the guest is told, the entries stay clear;
 * - migration: the tables survive a save and a restore.
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/cutils.h"
#include "libqtest.h"
#include "qobject/qdict.h"
#include "qobject/qnum.h"
#include "vphb-fake.h"

#define H_SUCCESS               0
#define H_HARDWARE              (-1)
#define H_PARAMETER             (-4)
#define H_NOT_ENOUGH_RESOURCES  (-44)
#define H_GET_TCE               0x1c
#define H_PUT_TCE               0x20
#define H_STUFF_TCE             0x138
#define H_PUT_TCE_INDIRECT      0x13c

#define TCE_RO                  0x1ULL
#define TCE_RW                  0x3ULL

#define SPAPR_BUID_BASE         0x800000020000000ULL
#define LIOBN(index, win)       (0x80000000u | ((index) << 8) | (win))

#define RAM_512M                (512ULL << 20)
/* pages of RAM for TCE lists, away from anything else */
#define LIST_GPA                0x1000000ULL

static int64_t hcall(QTestState *qts, uint64_t *r4, uint32_t opcode,
                     uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    g_auto(GStrv) w = qtest_raw_cmd(qts, "hcall 0x%x 0x%" PRIx64 " 0x%"
                                    PRIx64 " 0x%" PRIx64 " 0x%" PRIx64,
                                    opcode, a, b, c, d);
    int64_t ret;

    g_assert_cmpstr(w[0], ==, "OK");
    g_assert_cmpint(qemu_strtoi64(w[1], NULL, 10, &ret), ==, 0);
    if (r4) {
        g_assert_cmpint(qemu_strtou64(w[2], NULL, 16, r4), ==, 0);
    }
    return ret;
}

static uint64_t get_tce(QTestState *qts, uint32_t liobn, uint64_t ioba)
{
    uint64_t tce = ~0ULL;

    g_assert_cmpint(hcall(qts, &tce, H_GET_TCE, liobn, ioba, 0, 0), ==,
                    H_SUCCESS);
    return tce;
}

/* H_PUT_TCE_INDIRECT of @n TCEs, the list written at @list first */
static int64_t put_indirect(QTestState *qts, uint32_t liobn, uint64_t ioba,
                            uint64_t list, const uint64_t *tces, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        qtest_writeq(qts, list + i * 8, tces[i]);
    }
    return hcall(qts, NULL, H_PUT_TCE_INDIRECT, liobn, ioba, list, n);
}

/* Linux's ibm,create-pe-dma-window on PHB @index: its LIOBN, and *bus */
static uint32_t create_ddw(QTestState *qts, unsigned index,
                           unsigned page_shift, unsigned window_shift,
                           uint64_t *bus)
{
    uint64_t buid = SPAPR_BUID_BASE + index;
    uint32_t args[] = { 0, buid >> 32, (uint32_t)buid, page_shift,
                        window_shift };
    uint32_t rets[4];

    g_assert_cmpint(vphb_rtas(qts, "ibm,create-pe-dma-window", args, 5,
                              rets, 4), ==, 0);
    *bus = (uint64_t)rets[2] << 32 | rets[3];
    return rets[1];
}

static int64_t qom_int(QTestState *qts, const char *path, const char *prop)
{
    QObject *o = vphb_qom_get(qts, path, prop);
    int64_t v = qnum_get_int(qobject_to(QNum, o));

    qobject_unref(o);
    return v;
}

/*
 * Each refused call changes nothing: the entries at 0x1000..0x4000 hold
 * what the test put there before.
 */
static void assert_untouched(QTestState *qts, uint32_t liobn,
                             const uint64_t *before)
{
    for (int i = 0; i < 4; i++) {
        g_assert_cmphex(get_tce(qts, liobn, 0x1000 * (i + 1)), ==,
                        before[i]);
    }
}

static void test_strict(void)
{
    QTestState *qts = qtest_init("-machine pseries -nodefaults -m 512M");
    const uint32_t liobn = LIOBN(0, 0);
    const uint64_t before[4] = { 0x100000 | TCE_RW, 0x101000 | TCE_RO,
                                 0x102000 | TCE_RW, 0 };
    uint64_t list[8];

    g_assert_cmpint(put_indirect(qts, liobn, 0x1000, LIST_GPA, before, 4),
                    ==, H_SUCCESS);
    assert_untouched(qts, liobn, before);

    /* an IOBA that is not a multiple of the page size (QEMU masked it) */
    g_assert_cmpint(hcall(qts, NULL, H_PUT_TCE, liobn, 0x1008,
                          0x200000 | TCE_RW, 0), ==, H_PARAMETER);
    g_assert_cmpint(hcall(qts, NULL, H_GET_TCE, liobn, 0x1008, 0, 0), ==,
                    H_PARAMETER);
    g_assert_cmpint(hcall(qts, NULL, H_STUFF_TCE, liobn, 0x1800, 0, 2), ==,
                    H_PARAMETER);
    /* reserved bits between the access bits and the page size */
    g_assert_cmpint(hcall(qts, NULL, H_PUT_TCE, liobn, 0x1000,
                          0x200000 | 0x4 | TCE_RW, 0), ==, H_PARAMETER);
    g_assert_cmpint(hcall(qts, NULL, H_PUT_TCE, liobn, 0x1000,
                          0x200800 | TCE_RO, 0), ==, H_PARAMETER);
    /* a page outside guest RAM, or straddling its end */
    g_assert_cmpint(hcall(qts, NULL, H_PUT_TCE, liobn, 0x1000,
                          RAM_512M | TCE_RO, 0), ==, H_PARAMETER);
    g_assert_cmpint(hcall(qts, NULL, H_PUT_TCE, liobn, 0x1000,
                          (1ULL << 45) | TCE_RW, 0), ==, H_PARAMETER);
    /* H_STUFF_TCE may not give access (KVM's rule) */
    g_assert_cmpint(hcall(qts, NULL, H_STUFF_TCE, liobn, 0x1000,
                          0x200000 | TCE_RO, 2), ==, H_PARAMETER);
    /* no pages, or more than the window holds from there */
    g_assert_cmpint(hcall(qts, NULL, H_STUFF_TCE, liobn, 0x1000, 0, 0), ==,
                    H_PARAMETER);
    g_assert_cmpint(hcall(qts, NULL, H_STUFF_TCE, liobn, 0x1000, 0,
                          (1ULL << 18)), ==, H_PARAMETER);
    g_assert_cmpint(hcall(qts, NULL, H_STUFF_TCE, liobn, 0x1000, 0,
                          UINT64_MAX), ==, H_PARAMETER);
    /* a LIOBN with high bits, an unknown one, a disabled DDW's */
    g_assert_cmpint(hcall(qts, NULL, H_PUT_TCE, (1ULL << 32) | liobn,
                          0x1000, 0, 0), ==, H_PARAMETER);
    g_assert_cmpint(hcall(qts, NULL, H_PUT_TCE, LIOBN(7, 0), 0x1000, 0, 0),
                    ==, H_PARAMETER);
    g_assert_cmpint(hcall(qts, NULL, H_PUT_TCE, LIOBN(0, 1), 0x1000, 0, 0),
                    ==, H_PARAMETER);
    assert_untouched(qts, liobn, before);

    /*
     * An indirect list with a bad entry in the middle writes nothing: QEMU
     * wrote the entries before it.
     */
    list[0] = 0x300000 | TCE_RW;
    list[1] = 0x301000 | TCE_RW;
    list[2] = (1ULL << 45) | TCE_RW;
    list[3] = 0x303000 | TCE_RW;
    g_assert_cmpint(put_indirect(qts, liobn, 0x1000, LIST_GPA, list, 4), ==,
                    H_PARAMETER);
    assert_untouched(qts, liobn, before);
    /* too long a list, a list not 4K aligned, a list outside RAM, none */
    g_assert_cmpint(hcall(qts, NULL, H_PUT_TCE_INDIRECT, liobn, 0x1000,
                          LIST_GPA, 513), ==, H_PARAMETER);
    g_assert_cmpint(hcall(qts, NULL, H_PUT_TCE_INDIRECT, liobn, 0x1000,
                          LIST_GPA + 8, 2), ==, H_PARAMETER);
    g_assert_cmpint(hcall(qts, NULL, H_PUT_TCE_INDIRECT, liobn, 0x1000,
                          RAM_512M, 2), ==, H_PARAMETER);
    g_assert_cmpint(hcall(qts, NULL, H_PUT_TCE_INDIRECT, liobn, 0x1000,
                          RAM_512M - 0x1000, 513), ==, H_PARAMETER);
    g_assert_cmpint(hcall(qts, NULL, H_PUT_TCE_INDIRECT, liobn, 0x1000,
                          LIST_GPA, 0), ==, H_PARAMETER);
    /* the list's last page ends where RAM does: fine */
    list[0] = 0x300000 | TCE_RW;
    g_assert_cmpint(put_indirect(qts, liobn, 0x4000, RAM_512M - 0x1000, list,
                                 1), ==, H_SUCCESS);
    g_assert_cmphex(get_tce(qts, liobn, 0x4000), ==, 0x300000 | TCE_RW);
    g_assert_cmpint(hcall(qts, NULL, H_PUT_TCE, liobn, 0x4000, 0, 0), ==,
                    H_SUCCESS);
    assert_untouched(qts, liobn, before);

    /*
     * What stays as QEMU had it: a TCE that gives no access is stored
     * whatever it holds (a guest may poison its table), and the last
     * page of RAM is RAM.
     */
    g_assert_cmpint(hcall(qts, NULL, H_PUT_TCE, liobn, 0x5000,
                          0xdead0000ULL << 20, 0), ==, H_SUCCESS);
    g_assert_cmphex(get_tce(qts, liobn, 0x5000), ==, 0xdead0000ULL << 20);
    g_assert_cmpint(hcall(qts, NULL, H_STUFF_TCE, liobn, 0x5000, 0x8000, 4),
                    ==, H_SUCCESS);
    g_assert_cmphex(get_tce(qts, liobn, 0x8000), ==, 0x8000);
    /* poison makes entries exist: 512 pages a call at most, as a list */
    g_assert_cmpint(hcall(qts, NULL, H_STUFF_TCE, liobn, 0x10000, 0x8000,
                          513), ==, H_PARAMETER);
    g_assert_cmphex(get_tce(qts, liobn, 0x10000), ==, 0);
    g_assert_cmpint(hcall(qts, NULL, H_STUFF_TCE, liobn, 0x10000, 0x8000,
                          512), ==, H_SUCCESS);
    g_assert_cmphex(get_tce(qts, liobn, 0x10000 + 511 * 0x1000), ==, 0x8000);
    g_assert_cmpint(hcall(qts, NULL, H_PUT_TCE, liobn, 0x5000,
                          (RAM_512M - 0x1000) | TCE_RW, 0), ==, H_SUCCESS);
    /* Linux clears a whole window with one call per 512 pages, or more */
    g_assert_cmpint(hcall(qts, NULL, H_STUFF_TCE, liobn, 0, 0, 1ULL << 18),
                    ==, H_SUCCESS);
    g_assert_cmphex(get_tce(qts, liobn, 0x1000), ==, 0);
    g_assert_cmphex(get_tce(qts, liobn, 0x5000), ==, 0);
    qtest_quit(qts);
}

/*
 * A 1 TiB DDW at 64 KiB pages is 2^24 entries: a flat table would be
 * 128 MiB.  Empty, the sparse one is a header; its memory follows the
 * entries in use and goes back when they clear.
 */
static void test_sparse(void)
{
    QTestState *qts = qtest_init("-machine pseries -nodefaults -m 1G "
                                 "-device spapr-pci-host-bridge,index=1,"
                                 "id=phb1");
    g_autofree char *path = NULL;
    uint64_t bus, list[512];
    uint32_t liobn = create_ddw(qts, 1, 16, 40, &bus);
    int64_t empty, full;

    g_assert_cmphex(liobn, ==, LIOBN(1, 1));
    path = g_strdup_printf("/machine/peripheral/phb1/tce-table-%x", liobn);
    empty = qom_int(qts, path, "table-bytes");
    g_test_message("empty 1 TiB DDW: %" PRId64 " bytes", empty);
    g_assert_cmpint(empty, <, 4096);
    g_assert_cmpint(qom_int(qts, path, "entries-in-use"), ==, 0);

    /* 1 GiB of RAM mapped 1:1, as Linux does: 16384 entries, 32 calls */
    for (uint64_t call = 0; call < 32; call++) {
        for (uint64_t i = 0; i < 512; i++) {
            list[i] = ((call * 512 + i) << 16) | TCE_RW;
        }
        g_assert_cmpint(put_indirect(qts, liobn, bus + (call << 25),
                                     LIST_GPA, list, 512), ==, H_SUCCESS);
    }
    g_assert_cmpint(qom_int(qts, path, "entries-in-use"), ==, 16384);
    full = qom_int(qts, path, "table-bytes");
    g_test_message("16384 entries: %" PRId64 " bytes", full);
    g_assert_cmpint(full, >=, 16384 * 8);
    /* leaves of 512 entries under two levels of nodes: under 8.8 B each */
    g_assert_cmpint(full, <, 16384 * 8 + 16384 * 8 / 10);
    g_assert_cmphex(get_tce(qts, liobn, bus + (12345ULL << 16)), ==,
                    (12345ULL << 16) | TCE_RW);

    /* the whole window cleared in one call: back to a header */
    g_assert_cmpint(hcall(qts, NULL, H_STUFF_TCE, liobn, bus, 0, 1ULL << 24),
                    ==, H_SUCCESS);
    g_assert_cmpint(qom_int(qts, path, "entries-in-use"), ==, 0);
    g_assert_cmpint(qom_int(qts, path, "table-bytes"), ==, empty);
    qtest_quit(qts);
}

/* ibm,create-pe-dma-window's status on PHB @index */
static int32_t try_create(QTestState *qts, unsigned index,
                          uint32_t page_shift, uint32_t window_shift)
{
    uint64_t buid = SPAPR_BUID_BASE + index;
    uint32_t args[] = { 0, buid >> 32, (uint32_t)buid, page_shift,
                        window_shift };
    uint32_t rets[4];

    return vphb_rtas(qts, "ibm,create-pe-dma-window", args, 5, rets, 4);
}

/*
 * The guest's page and window shifts (patches/0011-*): none may be a
 * shift count C leaves undefined, overflow the table's 32-bit entry
 * count, or run past the end of the bus.  Each is a parameter error
 * that creates nothing.
 */
static void test_ddw_shifts(void)
{
    QTestState *qts = qtest_init("-machine pseries -nodefaults -m 512M "
                                 "-device spapr-pci-host-bridge,index=1,"
                                 "dma64_win_addr=0xffc0000000000000");
    uint64_t buid = SPAPR_BUID_BASE + 1, bus;
    uint32_t q[] = { 0, buid >> 32, (uint32_t)buid }, rets[6];

    g_assert_cmpint(try_create(qts, 1, 70, 80), ==, -3);
    g_assert_cmpint(try_create(qts, 1, 12, 64), ==, -3);
    g_assert_cmpint(try_create(qts, 1, 24, 200), ==, -3);
    /* 2^32 and 2^36 entries: QEMU truncated the count */
    g_assert_cmpint(try_create(qts, 1, 12, 44), ==, -3);
    g_assert_cmpint(try_create(qts, 1, 12, 48), ==, -3);
    /* 2^31 entries of 16 MiB from 0xffc0000000000000 wrap past 2^64 */
    g_assert_cmpint(try_create(qts, 1, 24, 55), ==, -3);
    /* nothing was created: one window is still free */
    g_assert_cmpint(vphb_rtas(qts, "ibm,query-pe-dma-window", q, 3, rets, 5),
                    ==, 0);
    g_assert_cmpint(rets[1], ==, 1);
    /* and what fits works */
    g_assert_cmphex(create_ddw(qts, 1, 24, 40, &bus), ==, LIOBN(1, 1));
    g_assert_cmphex(bus, ==, 0xffc0000000000000ULL);
    g_assert_cmpint(hcall(qts, NULL, H_PUT_TCE, LIOBN(1, 1),
                          bus + (65535ULL << 24), 0x1000000 | TCE_RW, 0), ==,
                    H_SUCCESS);
    qtest_quit(qts);
}

/* The host mappings of @group's container, as the fake lists them */
static int64_t host_mappings(VphbFake *f, int group)
{
    QDict *state = vphb_fake_state(f);
    int64_t n = qlist_size(qdict_get_qlist(vphb_fake_container(state, group),
                                           "mappings"));

    qobject_unref(state);
    return n;
}

/*
 * Host calls on the fake VFIO kernel, vPHB owning group 1: Linux's
 * boot-time clear of the default window costs none, a 1:1 fill of RAM
 * into a DDW one MAP_DMA per H_PUT_TCE_INDIRECT (QEMU 10.0: one per
 * TCE), and removing the mappings one UNMAP_DMA per mapping.
 */
static void test_host_calls(const void *opaque)
{
    const char *iommu = opaque;
    VphbFake f;
    uint64_t bus, list[512];
    uint32_t liobn;
    int64_t maps, unmaps;

    vphb_fake_start(&f, iommu, NULL, NULL,
                    "-m 1G -device spapr-pci-vfio-host-bridge,id=vphb1,"
                    "index=1,iommu=1");
    maps = vphb_fake_container_count(&f, 1, "map-calls");
    unmaps = vphb_fake_container_count(&f, 1, "unmap-calls");

    for (int i = 0; i < 512; i++) {
        g_assert_cmpint(hcall(f.qts, NULL, H_STUFF_TCE, LIOBN(1, 0),
                              (uint64_t)i << 21, 0, 512), ==, H_SUCCESS);
    }
    g_assert_cmpint(vphb_fake_container_count(&f, 1, "unmap-calls"), ==, unmaps);

    liobn = create_ddw(f.qts, 1, 16, 30, &bus);
    for (uint64_t call = 0; call < 32; call++) {
        for (uint64_t i = 0; i < 512; i++) {
            list[i] = ((call * 512 + i) << 16) | TCE_RW;
        }
        g_assert_cmpint(put_indirect(f.qts, liobn, bus + (call << 25),
                                     LIST_GPA, list, 512), ==, H_SUCCESS);
    }
    g_assert_cmpint(vphb_fake_container_count(&f, 1, "map-calls"), ==, maps + 32);
    if (!strcmp(iommu, "type1")) {
        g_assert_cmpint(host_mappings(&f, 1), ==, 32);
    } else {
        /* the sPAPR fake merges what follows on: it reports one run */
        g_assert_cmpint(host_mappings(&f, 1), >=, 1);
    }

    /* Linux's unmap of the whole window, 512 pages a call */
    for (uint64_t call = 0; call < 32; call++) {
        g_assert_cmpint(hcall(f.qts, NULL, H_STUFF_TCE, liobn,
                              bus + (call << 25), 0, 512), ==, H_SUCCESS);
    }
    g_assert_cmpint(vphb_fake_container_count(&f, 1, "unmap-calls"), ==, unmaps + 32);
    g_assert_cmpint(host_mappings(&f, 1), ==, 0);
    vphb_fake_stop(&f);
}

/*
 * Guest RAM in two NUMA nodes is two memory backends: one VFIO map cannot
 * cover both, so a run of TCEs across the boundary is two host mappings,
 * and the guest's 1:1 fill works as it would with one node.
 */
static void test_numa(void)
{
    VphbFake f;
    uint64_t bus, list[64];
    uint32_t liobn;
    int64_t maps;

    vphb_fake_start(&f, "type1", NULL, NULL,
                    "-m 1G -object memory-backend-ram,id=m0,size=512M "
                    "-object memory-backend-ram,id=m1,size=512M "
                    "-numa node,memdev=m0 -numa node,memdev=m1 "
                    "-device spapr-pci-vfio-host-bridge,id=vphb1,"
                    "index=1,iommu=1");
    maps = vphb_fake_container_count(&f, 1, "map-calls");
    liobn = create_ddw(f.qts, 1, 24, 30, &bus);
    for (int i = 0; i < 64; i++) {
        list[i] = ((uint64_t)i << 24) | TCE_RW;
    }
    g_assert_cmpint(put_indirect(f.qts, liobn, bus, LIST_GPA, list, 64), ==,
                    H_SUCCESS);
    g_assert_cmpint(vphb_fake_container_count(&f, 1, "map-calls"), ==, maps + 2);
    g_assert_cmpint(host_mappings(&f, 1), ==, 2);
    g_assert_cmphex(get_tce(f.qts, liobn, bus + (40ULL << 24)), ==, list[40]);
    vphb_fake_stop(&f);
}

/*
 * The host refuses a map: the guest is told (Linux unwinds on
 * H_NOT_ENOUGH_RESOURCES), the entries read back clear, the host keeps
 * nothing of it, and the blocks it did map stay.
 */
static void test_map_failure(void)
{
    VphbFake f;
    uint64_t list[8];
    g_autofree char *ok = NULL;
    char *reply;
    const uint32_t liobn = LIOBN(1, 0);

    vphb_fake_start(&f, "type1", NULL, NULL,
                    "-m 1G -device spapr-pci-vfio-host-bridge,id=vphb1,"
                    "index=1,iommu=1");

    /* ENOMEM (RLIMIT_MEMLOCK, say) on the first map */
    reply = vphb_fake_cmd(&f, "map-fail 0 12");
    g_assert_cmpstr(reply, ==, "ok");
    g_free(reply);
    for (int i = 0; i < 4; i++) {
        list[i] = (0x200000 + i * 0x1000) | TCE_RW;
    }
    g_assert_cmpint(put_indirect(f.qts, liobn, 0x10000, LIST_GPA, list, 4),
                    ==, H_NOT_ENOUGH_RESOURCES);
    for (int i = 0; i < 4; i++) {
        g_assert_cmphex(get_tce(f.qts, liobn, 0x10000 + i * 0x1000), ==, 0);
    }
    g_assert_cmpint(host_mappings(&f, 1), ==, 0);

    /*
     * Two blocks (pages 0x20..0x23, then 0x24 maps elsewhere), the second
     * refused with EFAULT: H_HARDWARE, the first stays.
     */
    reply = vphb_fake_cmd(&f, "map-fail 1 14");
    g_assert_cmpstr(reply, ==, "ok");
    g_free(reply);
    list[4] = 0x300000 | TCE_RO;
    g_assert_cmpint(put_indirect(f.qts, liobn, 0x20000, LIST_GPA, list, 5),
                    ==, H_HARDWARE);
    for (int i = 0; i < 4; i++) {
        g_assert_cmphex(get_tce(f.qts, liobn, 0x20000 + i * 0x1000), ==,
                        list[i]);
    }
    g_assert_cmphex(get_tce(f.qts, liobn, 0x24000), ==, 0);
    g_assert_cmpint(host_mappings(&f, 1), ==, 1);

    /* the host recovered: the same call works */
    g_assert_cmpint(put_indirect(f.qts, liobn, 0x10000, LIST_GPA, list, 4),
                    ==, H_SUCCESS);
    g_assert_cmphex(get_tce(f.qts, liobn, 0x13000), ==, list[3]);
    g_assert_cmpint(host_mappings(&f, 1), ==, 2);
    ok = vphb_fake_cmd(&f, "ping");
    g_assert_cmpstr(ok, ==, "ok");
    vphb_fake_stop(&f);
}

static void wait_migration(QTestState *qts)
{
    for (int i = 0; i < 500; i++) {
        QDict *r = qtest_qmp(qts, "{'execute': 'query-migrate'}");
        QDict *ret = qdict_get_qdict(r, "return");
        const char *status = qdict_haskey(ret, "status") ?
                             qdict_get_str(ret, "status") : "none";

        if (!strcmp(status, "completed")) {
            qobject_unref(r);
            return;
        }
        g_assert_cmpstr(status, !=, "failed");
        qobject_unref(r);
        g_usleep(20 * 1000);
    }
    g_assert_not_reached();
}

/*
 * The tables go into the stream as QEMU's flat arrays and come back: the
 * default window, and a DDW with its geometry, entry for entry.  The
 * stream is stock QEMU's: 'make check-stock' runs this with stock QEMU
 * (./configure --stock) on either side, through VPHB_MIGRATION_SRC and
 * VPHB_MIGRATION_DST (libqtest's qtest_init_with_env()).
 */
static void test_migration(void)
{
    g_autofree char *dir = g_dir_make_tmp("vphb-tce-XXXXXX", NULL);
    g_autofree char *file = g_build_filename(dir, "stream", NULL);
    const char *args = "-machine pseries -nodefaults -m 512M "
                       "-device spapr-pci-host-bridge,index=1,id=phb1";
    g_autofree char *uri = g_strdup_printf("file:%s", file);
    g_autofree char *dst_args = g_strdup_printf("%s -incoming %s", args, uri);
    QTestState *src = qtest_init_with_env("VPHB_MIGRATION_SRC", args, true);
    QTestState *dst;
    uint64_t bus, list[512];
    uint32_t liobn = create_ddw(src, 1, 24, 31, &bus);
    uint32_t rets[6], q[] = { 0, (SPAPR_BUID_BASE + 1) >> 32,
                              (uint32_t)(SPAPR_BUID_BASE + 1) };

    for (int i = 0; i < 32; i++) {
        list[i] = ((uint64_t)i << 24) | TCE_RW;
    }
    g_assert_cmpint(put_indirect(src, liobn, bus, LIST_GPA, list, 32), ==,
                    H_SUCCESS);
    g_assert_cmpint(hcall(src, NULL, H_PUT_TCE, LIOBN(1, 0), 0x7000,
                          0x123000 | TCE_RO, 0), ==, H_SUCCESS);
    g_assert_cmpint(hcall(src, NULL, H_PUT_TCE, LIOBN(0, 0), 0x3000,
                          0x77000 | TCE_RW, 0), ==, H_SUCCESS);

    qtest_qmp_assert_success(src, "{'execute': 'migrate', 'arguments': "
                             "{'uri': %s}}", uri);
    wait_migration(src);
    qtest_quit(src);

    dst = qtest_init_with_env("VPHB_MIGRATION_DST", dst_args, true);
    wait_migration(dst);
    for (int i = 0; i < 32; i++) {
        g_assert_cmphex(get_tce(dst, liobn, bus + ((uint64_t)i << 24)), ==,
                        list[i]);
    }
    g_assert_cmphex(get_tce(dst, liobn, bus + (32ULL << 24)), ==, 0);
    g_assert_cmphex(get_tce(dst, LIOBN(1, 0), 0x7000), ==, 0x123000 | TCE_RO);
    g_assert_cmphex(get_tce(dst, LIOBN(0, 0), 0x3000), ==, 0x77000 | TCE_RW);
    /* the DDW came back whole: no window free, the same bus address */
    g_assert_cmpint(vphb_rtas(dst, "ibm,query-pe-dma-window", q, 3, rets, 5),
                    ==, 0);
    g_assert_cmpint(rets[1], ==, 0);
    g_assert_cmpint(hcall(dst, NULL, H_GET_TCE, liobn, bus - (1ULL << 24), 0,
                          0), ==, H_PARAMETER);
    g_assert_cmpint(hcall(dst, NULL, H_GET_TCE, liobn,
                          bus + (127ULL << 24), 0, 0), ==, H_SUCCESS);
    g_assert_cmpint(hcall(dst, NULL, H_GET_TCE, liobn,
                          bus + (128ULL << 24), 0, 0), ==, H_PARAMETER);
    qtest_quit(dst);
    unlink(file);
    rmdir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/vphb/tce/strict", test_strict);
    qtest_add_func("/vphb/tce/sparse", test_sparse);
    qtest_add_func("/vphb/tce/ddw-shifts", test_ddw_shifts);
    if (getenv("VFIO_FAKE_LIB")) {
        qtest_add_data_func("/vphb/tce/host-calls/spapr-tce-v2",
                            "spapr-tce-v2", test_host_calls);
        qtest_add_data_func("/vphb/tce/host-calls/type1", "type1",
                            test_host_calls);
        qtest_add_func("/vphb/tce/map-failure", test_map_failure);
        qtest_add_func("/vphb/tce/numa", test_numa);
    }
    qtest_add_func("/vphb/tce/migration", test_migration);
    return g_test_run();
}
