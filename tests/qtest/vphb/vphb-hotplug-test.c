/*
 * spapr-pci-vfio-host-bridge hot-plug on the fake VFIO kernel, played
 * from both sides: QMP device_add/device_del for the management, RTAS
 * and hypercalls through qtest for the guest (what Linux's drmgr and
 * rpaphp do with a PHB or PCI DRC).
 *
 * A whole vPHB is plugged, taken up by the guest (its DRC's fragment
 * carries the group's functions), used for DMA, and unplugged by the
 * guest's isolate/unallocate or by a reset: then its group is free again
 * (no container, no descriptor in the fake or in QEMU) and plugs again.
 * A hundred cycles leak neither descriptors nor memory.  With
 * populate=off the vPHB takes only the functions of its group that the
 * user plugs, on the command line or with device_add, and QEMU refuses
 * to start when one is missing; libvirt's command line needs it.
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include <libfdt.h>
#include "qemu/cutils.h"
#include "qobject/qstring.h"
#include <glib/gstdio.h>
#include "vphb-fake.h"

#define VPHB                "spapr-pci-vfio-host-bridge"

/*
 * Guest RAM the test uses for configure-connector (vphb-fake.c's RTAS
 * buffers and DMA page lie below and above it)
 */
#define CC_WA               0x110000ULL
#define CC_WA_LEN           4096

/* PAPR: DRC indexes, sensors, indicators, configure-connector replies */
#define DRC_PHB(index)      (0x20000000u | (index))
#define DRC_PCI(index, devfn) (0x40000000u | (index) << 16 | (devfn))
#define ISOLATION_STATE     9001
#define ALLOCATION_STATE    9003            /* and DR entity sense */
#define SENSE_PRESENT       1
#define SENSE_UNUSABLE      2
#define CC_NEXT_CHILD       2
#define CC_NEXT_PROPERTY    3
#define CC_PREV_PARENT      4
#define RTAS_NO_INDICATOR   (-3)

/* QEMU's pseries PHB layout (spapr_phb_placement) */
#define PHB_BUID(index)     ((uint64_t)0x800000020000000ULL + (index))

static uint32_t drc_sense(QTestState *qts, uint32_t drc)
{
    uint32_t args[] = { ALLOCATION_STATE, drc };
    uint32_t rets[2];

    g_assert_cmpint(vphb_rtas(qts, "get-sensor-state", args, 2, rets, 2), ==,
                    0);
    return rets[1];
}

static int set_indicator(QTestState *qts, uint32_t type, uint32_t drc,
                         uint32_t state)
{
    uint32_t args[] = { type, drc, state };
    uint32_t ret;

    return (int32_t)vphb_rtas(qts, "set-indicator", args, 3, &ret, 1);
}

/*
 * ibm,configure-connector walked to the end, as the guest does after it
 * unisolates a DRC: the node and properties it hands out, one call each,
 * rebuilt into a flattened tree whose root holds the fragment's node.
 */
static void *configure_connector(QTestState *qts, uint32_t drc)
{
    const uint32_t args[] = { (uint32_t)CC_WA, CC_WA >> 32 };
    size_t size = 256 * 1024;
    void *fdt = g_malloc0(size);
    char buf[CC_WA_LEN];
    int depth = 0, steps = 0;
    uint32_t ret;

    g_assert_cmpint(fdt_create(fdt, size), ==, 0);
    g_assert_cmpint(fdt_finish_reservemap(fdt), ==, 0);
    g_assert_cmpint(fdt_begin_node(fdt, ""), ==, 0);
    do {
        uint32_t off, len;

        g_assert_cmpint(++steps, <, 10000);
        qtest_writel(qts, CC_WA, drc);
        ret = vphb_rtas(qts, "ibm,configure-connector", args, 2, &ret, 1);
        switch (ret) {
        case CC_NEXT_CHILD:
            off = qtest_readl(qts, CC_WA + 8);
            g_assert_cmpuint(off, <, CC_WA_LEN);
            qtest_memread(qts, CC_WA + off, buf, CC_WA_LEN - off);
            buf[CC_WA_LEN - off - 1] = '\0';
            g_assert_cmpint(fdt_begin_node(fdt, buf), ==, 0);
            depth++;
            break;
        case CC_NEXT_PROPERTY:
            off = qtest_readl(qts, CC_WA + 8);
            g_assert_cmpuint(off, <, CC_WA_LEN);
            qtest_memread(qts, CC_WA + off, buf, CC_WA_LEN - off);
            buf[CC_WA_LEN - off - 1] = '\0';
            len = qtest_readl(qts, CC_WA + 12);
            off = qtest_readl(qts, CC_WA + 16);
            g_assert_cmpuint(off + len, <=, CC_WA_LEN);
            {
                g_autofree uint8_t *val = g_malloc(len + 1);

                qtest_memread(qts, CC_WA + off, val, len);
                g_assert_cmpint(fdt_property(fdt, buf, val, len), ==, 0);
            }
            break;
        case CC_PREV_PARENT:
        case 0:                 /* the fragment's own node ends: done */
            g_assert_cmpint(depth, >, 0);
            g_assert_cmpint(fdt_end_node(fdt), ==, 0);
            depth--;
            break;
        default:
            g_error("ibm,configure-connector on DRC 0x%x returned %d", drc,
                    (int32_t)ret);
        }
    } while (ret != 0);
    g_assert_cmpint(depth, ==, 0);
    g_assert_cmpint(fdt_end_node(fdt), ==, 0);
    g_assert_cmpint(fdt_finish(fdt), ==, 0);
    return fdt;
}

static uint32_t fdt_cell(const void *fdt, int node, const char *prop,
                         int i)
{
    int len;
    const fdt32_t *v = fdt_getprop(fdt, node, prop, &len);

    g_assert_nonnull(v);
    g_assert_cmpint(len, >=, 4 * (i + 1));
    return fdt32_to_cpu(v[i]);
}

/*
 * What Linux does when a PHB's DRC announces a new PHB: make it usable,
 * unisolate it, fetch its tree.  Returns the PHB's node (the only child
 * of the returned tree's root).
 */
static void *guest_take_phb(QTestState *qts, unsigned index)
{
    g_assert_cmpuint(drc_sense(qts, DRC_PHB(index)), ==, SENSE_UNUSABLE);
    g_assert_cmpint(set_indicator(qts, ALLOCATION_STATE, DRC_PHB(index), 1),
                    ==, 0);
    g_assert_cmpuint(drc_sense(qts, DRC_PHB(index)), ==, SENSE_PRESENT);
    g_assert_cmpint(set_indicator(qts, ISOLATION_STATE, DRC_PHB(index), 1),
                    ==, 0);
    return configure_connector(qts, DRC_PHB(index));
}

/* ... and when it lets the PHB go: isolate it, make it unusable */
static void guest_release(QTestState *qts, uint32_t drc, bool logical)
{
    g_assert_cmpint(set_indicator(qts, ISOLATION_STATE, drc, 0), ==, 0);
    if (logical) {
        g_assert_cmpint(set_indicator(qts, ALLOCATION_STATE, drc, 0), ==, 0);
    }
}

/* QMP */

static void plug_vphb(QTestState *qts, const char *id, unsigned index,
                      unsigned group, bool populate)
{
    qtest_qmp_assert_success(qts, "{'execute': 'device_add', 'arguments': "
                             "{'driver': '" VPHB "', 'id': %s, 'index': %u, "
                             "'iommu': %u, 'populate': %i}}", id, index,
                             group, populate);
}

static void device_del(QTestState *qts, const char *id)
{
    qtest_qmp_assert_success(qts, "{'execute': 'device_del', 'arguments': "
                             "{'id': %s}}", id);
}

/*
 * Add the ids of the DEVICE_DELETED events sent so far to @ids.  Events
 * reach the test before the reply of whatever caused them, so a round
 * trip first collects them; the vPHB's functions, DRCs and TCE tables
 * send theirs too (with no "device").
 */
static void collect_deleted(QTestState *qts, GHashTable *ids)
{
    QDict *ev;

    qtest_qmp_assert_success(qts, "{'execute': 'query-status'}");
    while ((ev = qtest_qmp_event_ref(qts, "DEVICE_DELETED"))) {
        QDict *data = qdict_get_qdict(ev, "data");

        if (qdict_haskey(data, "device")) {
            g_hash_table_add(ids, g_strdup(qdict_get_str(data, "device")));
        }
        qobject_unref(ev);
    }
}

/* Was DEVICE_DELETED for @id sent?  (Other devices' events are dropped.) */
static bool deleted(QTestState *qts, const char *id)
{
    g_autoptr(GHashTable) ids = g_hash_table_new_full(g_str_hash,
                                                      g_str_equal, g_free,
                                                      NULL);

    collect_deleted(qts, ids);
    return g_hash_table_contains(ids, id);
}

/*
 * Wait for DEVICE_DELETED of each of @ids.  QEMU finalizes an unplugged
 * device, which sends the event, in an RCU callback once the memory
 * regions let go of it: after the command that unplugged it has returned.
 */
static void wait_all_deleted(QTestState *qts, const char *const *ids)
{
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash,
                                                       g_str_equal, g_free,
                                                       NULL);
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

    for (int i = 0; ids[i]; i++) {
        while (collect_deleted(qts, seen),
               !g_hash_table_contains(seen, ids[i])) {
            if (g_get_monotonic_time() > deadline) {
                g_error("no DEVICE_DELETED for '%s'", ids[i]);
            }
            g_usleep(1000);
        }
    }
}

static void wait_deleted(QTestState *qts, const char *id)
{
    const char *ids[] = { id, NULL };

    wait_all_deleted(qts, ids);
}

static bool device_exists(QTestState *qts, const char *id)
{
    g_autofree char *path = g_strdup_printf("/machine/peripheral/%s", id);
    QDict *rsp = qtest_qmp(qts, "{'execute': 'qom-list', 'arguments': "
                           "{'path': %s}}", path);
    bool exists = qdict_haskey(rsp, "return");

    qobject_unref(rsp);
    return exists;
}

/* The fake: is group @group open, and in which container (-1: none)? */
static int group_container(VphbFake *f, int group, bool *open)
{
    QDict *state = vphb_fake_state(f);
    QDict *g = vphb_fake_find(state, "groups", group);
    int container = -1;

    g_assert_nonnull(g);
    *open = qdict_get_bool(g, "open");
    if (qdict_haskey(g, "container") &&
        qobject_type(qdict_get(g, "container")) == QTYPE_QNUM) {
        container = qdict_get_int(g, "container");
    }
    qobject_unref(state);
    return container;
}

/* What the process holds, to compare before and after */
typedef struct Held {
    int qemu_fds;
    int fake_fds;
    int containers;
} Held;

static Held held(VphbFake *f)
{
    return (Held) {
        .qemu_fds = vphb_qemu_fds(f),
        .fake_fds = vphb_fake_fds(f),
        .containers = vphb_fake_containers(f),
    };
}

static void assert_held(VphbFake *f, Held want)
{
    /* descriptors may close in QEMU's RCU thread after the command */
    g_assert_cmpint(vphb_settled(f, vphb_fake_fds, want.fake_fds), ==,
                    want.fake_fds);
    g_assert_cmpint(vphb_settled(f, vphb_qemu_fds, want.qemu_fds), ==,
                    want.qemu_fds);
    g_assert_cmpint(vphb_fake_containers(f), ==, want.containers);
}

/*
 * device_del of a vPHB the guest holds: nothing happens until the guest
 * isolates and unallocates its DRC, then it is gone with its group.
 */
static void unplug_by_guest(VphbFake *f, const char *id, unsigned index,
                            unsigned group)
{
    bool open;

    device_del(f->qts, id);
    g_assert_false(deleted(f->qts, id));
    g_assert_cmpuint(drc_sense(f->qts, DRC_PHB(index)), ==, SENSE_PRESENT);
    /* a configured PHB cannot be made unusable before it is isolated */
    g_assert_cmpint(set_indicator(f->qts, ALLOCATION_STATE, DRC_PHB(index),
                                  0), ==, RTAS_NO_INDICATOR);
    g_assert_cmpint(set_indicator(f->qts, ISOLATION_STATE, DRC_PHB(index), 0),
                    ==, 0);
    g_assert_false(deleted(f->qts, id));
    g_assert_true(device_exists(f->qts, id));
    g_assert_cmpint(set_indicator(f->qts, ALLOCATION_STATE, DRC_PHB(index),
                                  0), ==, 0);
    g_assert_false(device_exists(f->qts, id));
    wait_deleted(f->qts, id);
    g_assert_false(device_exists(f->qts, id));
    g_assert_cmpuint(drc_sense(f->qts, DRC_PHB(index)), ==, SENSE_UNUSABLE);
    g_assert_cmpint(group_container(f, group, &open), ==, -1);
    g_assert_false(open);
}

/* 1. and 2.: plug, the guest's view, unplug */

/*
 * Group 3 is cold-plugged so that the fake already runs (it starts at
 * QEMU's first VFIO access, and keeps descriptors of its own from then
 * on): what a hot-plug adds is then all that an unplug must take away.
 */
#define COLD_VPHB           "-device " VPHB ",id=vphb3,index=3,iommu=3"

static void test_plug_unplug(void)
{
    VphbFake f;
    g_autofree void *fdt = NULL;
    g_autofree char *fns = NULL;
    g_autofree char *want_name = NULL;
    Held before;
    int phb, node, n = 0;
    bool open;

    vphb_fake_start(&f, "spapr-tce-v2", NULL, NULL, COLD_VPHB);
    before = held(&f);
    g_assert_cmpint(before.containers, ==, 1);
    g_assert_cmpint(group_container(&f, 2, &open), ==, -1);

    plug_vphb(f.qts, "vphb1", 1, 2, true);
    g_assert_cmpint(vphb_fake_containers(&f), ==, 2);
    g_assert_cmpint(group_container(&f, 2, &open), >=, 0);
    g_assert_true(open);
    fns = vphb_functions(f.qts, "vphb1");
    g_assert_cmpstr(fns, ==, "0000:02:00.0@0 0000:02:00.1@1");

    /* the guest learns it through the PHB's DRC */
    fdt = guest_take_phb(f.qts, 1);
    phb = fdt_first_subnode(fdt, 0);
    want_name = g_strdup_printf("pci@%" PRIx64, PHB_BUID(1));
    g_assert_cmpstr(fdt_get_name(fdt, phb, NULL), ==, want_name);
    g_assert_cmphex(fdt_cell(fdt, phb, "ibm,my-drc-index", 0), ==,
                    DRC_PHB(1));
    g_assert_cmpuint(fdt_cell(fdt, phb, "ibm,pci-config-space-type", 0), ==,
                     1);
    /* the group's two functions, slot 0, each PCIe */
    fdt_for_each_subnode(node, fdt, phb) {
        if (!fdt_getprop(fdt, node, "vendor-id", NULL)) {
            continue;
        }
        g_assert_cmphex(fdt_cell(fdt, node, "vendor-id", 0), ==, 0x1234);
        g_assert_cmphex(fdt_cell(fdt, node, "device-id", 0), ==, 0x11e8);
        g_assert_cmphex(fdt_cell(fdt, node, "reg", 0), ==, n << 8);
        g_assert_cmpuint(fdt_cell(fdt, node, "ibm,pci-config-space-type", 0),
                         ==, 1);
        n++;
    }
    g_assert_cmpint(n, ==, 2);
    g_assert_cmpuint(drc_sense(f.qts, DRC_PHB(1)), ==, SENSE_PRESENT);
    vphb_guest_dma(f.qts, fdt, phb, 1, 1, 0x1122334455667788ULL);

    unplug_by_guest(&f, "vphb1", 1, 2);
    assert_held(&f, before);

    /* the same group again, at another index; a reset ends the unplug */
    plug_vphb(f.qts, "vphb2", 2, 2, true);
    g_clear_pointer(&fdt, g_free);
    fdt = guest_take_phb(f.qts, 2);
    vphb_guest_dma(f.qts, fdt, fdt_first_subnode(fdt, 0), 2, 0,
              0x0102030405060708ULL);
    device_del(f.qts, "vphb2");
    g_assert_false(deleted(f.qts, "vphb2"));
    qtest_system_reset(f.qts);
    wait_deleted(f.qts, "vphb2");
    assert_held(&f, before);

    /* and at the first index again */
    plug_vphb(f.qts, "vphb1", 1, 2, true);
    g_assert_cmpint(vphb_fake_containers(&f), ==, 2);
    vphb_fake_stop(&f);
}

/* The QOM path of host function @host on vPHB @id */
static char *function_path(QTestState *qts, const char *id, const char *host)
{
    g_autofree char *path = g_strdup_printf("/machine/peripheral/%s", id);
    QObject *obj = vphb_qom_get(qts, path, "functions");
    const QListEntry *e;
    char *ret = NULL;

    QLIST_FOREACH_ENTRY(qobject_to(QList, obj), e) {
        QDict *fn = qobject_to(QDict, qlist_entry_obj(e));

        if (!strcmp(qdict_get_str(fn, "host"), host)) {
            ret = g_strdup(qdict_get_str(fn, "qom-path"));
        }
    }
    qobject_unref(obj);
    g_assert_nonnull(ret);
    return ret;
}

/*
 * With populate=on the functions came with the PHB: device_del of one
 * of them is refused, saying to unplug the PHB, and nothing changes;
 * cold- or hot-plugged PHB alike.  The PHB's own unplug still takes
 * them all.
 */
static void test_function_stays(void)
{
    static const struct {
        const char *id, *host, *needle;
    } fns[] = {
        { "vphb1", "0000:02:00.1", "'vphb1' (index 1): host IOMMU group 2" },
        { "vphb1", "0000:02:00.0", "'vphb1' (index 1): host IOMMU group 2" },
        { "vphb3", "0000:03:00.0", "'vphb3' (index 3): host IOMMU group 3" },
    };
    VphbFake f;
    g_autofree void *fdt = NULL;
    Held before;

    vphb_fake_start(&f, "spapr-tce-v2", NULL, NULL, COLD_VPHB);
    before = held(&f);
    plug_vphb(f.qts, "vphb1", 1, 2, true);
    fdt = guest_take_phb(f.qts, 1);

    for (int i = 0; i < ARRAY_SIZE(fns); i++) {
        g_autofree char *path = function_path(f.qts, fns[i].id, fns[i].host);
        g_autofree char *fn = g_strdup_printf("function %s came with the PHB",
                                              fns[i].host);
        QDict *rsp = qtest_qmp(f.qts, "{'execute': 'device_del', "
                               "'arguments': {'id': %s}}", path);
        const char *desc;

        g_assert_true(qdict_haskey(rsp, "error"));
        desc = qdict_get_str(qdict_get_qdict(rsp, "error"), "desc");
        g_assert_nonnull(strstr(desc, fns[i].needle));
        g_assert_nonnull(strstr(desc, fn));
        g_assert_nonnull(strstr(desc, "populate=on"));
        qobject_unref(rsp);
    }
    /* nothing went, and the guest still uses both functions */
    g_assert_false(deleted(f.qts, "vphb1"));
    {
        g_autofree char *v1 = vphb_functions(f.qts, "vphb1");
        g_autofree char *v3 = vphb_functions(f.qts, "vphb3");

        g_assert_cmpstr(v1, ==, "0000:02:00.0@0 0000:02:00.1@1");
        g_assert_cmpstr(v3, ==, "0000:03:00.0@0");
    }
    vphb_guest_dma(f.qts, fdt, fdt_first_subnode(fdt, 0), 1, 1,
                   0x1122334455667788ULL);

    unplug_by_guest(&f, "vphb1", 1, 2);
    assert_held(&f, before);
    vphb_fake_stop(&f);
}

/* 3. Cycles */

static long qemu_rss_kib(VphbFake *f)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/status",
                                            (int)qtest_pid(f->qts));
    g_autofree char *text = NULL;
    const char *p, *end;
    long kib;

    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    p = strstr(text, "\nVmRSS:");
    g_assert_nonnull(p);
    g_assert_cmpint(qemu_strtol(p + strlen("\nVmRSS:"), &end, 10, &kib), ==,
                    0);
    g_assert_true(g_str_has_prefix(end, " kB\n"));
    return kib;
}

/*
 * ASan keeps freed memory in quarantine (256 MiB by default), so a QEMU
 * built with it grows for a long time without leaking anything.
 */
static bool qemu_has_asan(VphbFake *f)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/maps",
                                            (int)qtest_pid(f->qts));
    g_autofree char *maps = NULL;

#ifdef __SANITIZE_ADDRESS__
    return true;
#endif
    return g_file_get_contents(path, &maps, NULL, NULL) &&
           strstr(maps, "libasan");
}

/*
 * A cycle takes about 0.15 s.  Between cycles 10 and 400 QEMU's RSS
 * wandered within 3.5 MiB with no trend; a leak of 128 KiB per cycle
 * shows as 18 MiB after 100.
 */
#define CYCLES              100
#define RSS_SLACK_KIB       (6 * 1024)

/*
 * Plug, guest take-up, DMA, unplug through the guest's DRC calls, again
 * and again: every cycle must give back all it took.
 */
static void test_cycles(void)
{
    VphbFake f;
    Held before;
    long rss10 = 0;

    vphb_fake_start(&f, "spapr-tce-v2", NULL, NULL, COLD_VPHB);
    before = held(&f);
    for (int i = 1; i <= CYCLES; i++) {
        g_autofree void *fdt = NULL;

        plug_vphb(f.qts, "vphb1", 1, 1, true);
        fdt = guest_take_phb(f.qts, 1);
        vphb_guest_dma(f.qts, fdt, fdt_first_subnode(fdt, 0), 1, 0,
                  0xc0ffee0000000000ULL | i);
        device_del(f.qts, "vphb1");
        guest_release(f.qts, DRC_PHB(1), true);
        wait_deleted(f.qts, "vphb1");
        if (i == 10) {
            rss10 = qemu_rss_kib(&f);
        }
    }
    assert_held(&f, before);
    if (qemu_has_asan(&f)) {
        g_test_message("QEMU runs with ASan: its quarantine makes RSS "
                       "meaningless, RSS not compared");
    } else {
        long rss100 = qemu_rss_kib(&f);

        g_test_message("VmRSS after cycle 10: %ld KiB, after cycle %d: "
                       "%ld KiB", rss10, CYCLES, rss100);
        g_assert_cmpint(rss100 - rss10, <, RSS_SLACK_KIB);
    }
    vphb_fake_stop(&f);
}

/* 4. populate=off: the user plugs the group's functions */

static void plug_function(QTestState *qts, const char *id, const char *host,
                          const char *bus, const char *addr)
{
    qtest_qmp_assert_success(qts, "{'execute': 'device_add', 'arguments': "
                             "{'driver': 'vfio-pci', 'id': %s, 'host': %s, "
                             "'bus': %s, 'addr': %s, 'multifunction': true}}",
                             id, host, bus, addr);
}

/*
 * Group 2's two functions placed by the user in slot 3 of a populate=off
 * vPHB: on the command line, then unplugged and plugged again with
 * device_del and device_add, the guest taking each through its PCI DRC.
 */
#define VPHB2_OFF  "-device " VPHB ",id=vphb2,index=2,iommu=2,populate=off "

static void test_populate_off(void)
{
    static const char *const other_group[] = {
        "'vphb2' (index 2)", "group 2", "vfio-pci 'bad'", "0000:01:00.0",
        "of group 1", NULL };
    static const char *const emulated[] = {
        "'vphb2' (index 2)", "group 2", "e1000 'bad'", NULL };
    static const char *const twice[] = {
        "'vphb2' (index 2)", "group 2", "0000:02:00.1", "already on the PHB",
        NULL };
    static const char *const fns_ids[] = { "fn0", "fn1", NULL };
    const uint32_t fn0 = DRC_PCI(2, 3 << 3), fn1 = DRC_PCI(2, 3 << 3 | 1);
    g_autofree char *fns = NULL;
    g_autofree void *dtb = NULL;
    g_autofree void *frag = NULL;
    g_autofree char *phb_path = g_strdup_printf("/pci@%" PRIx64, PHB_BUID(2));
    VphbFake f;
    Held before;
    bool open;
    int node;

    vphb_fake_start(&f, "spapr-tce-v2", NULL, NULL, VPHB2_OFF
                    "-device vfio-pci,id=fn1,host=0000:02:00.1,bus=vphb2.0,"
                    "addr=3.1 "
                    "-device vfio-pci,id=fn0,host=0000:02:00.0,bus=vphb2.0,"
                    "addr=3.0,multifunction=on");
    fns = vphb_functions(f.qts, "vphb2");
    g_assert_cmpstr(fns, ==, "0000:02:00.0@24 0000:02:00.1@25");
    g_assert_cmpint(group_container(&f, 2, &open), >=, 0);
    g_assert_cmpint(vphb_fake_containers(&f), ==, 1);

    /* nothing else, populate or not */
    vphb_add_must_fail(&f, "\"driver\": \"vfio-pci\", \"id\": \"bad\", "
                       "\"host\": \"0000:01:00.0\", \"bus\": \"vphb2.0\", "
                       "\"addr\": \"5\"", other_group);
    vphb_add_must_fail(&f, "\"driver\": \"e1000\", \"id\": \"bad\", "
                       "\"bus\": \"vphb2.0\", \"addr\": \"5\"", emulated);
    vphb_add_must_fail(&f, "\"driver\": \"vfio-pci\", \"id\": \"bad\", "
                       "\"host\": \"0000:02:00.1\", \"bus\": \"vphb2.0\", "
                       "\"addr\": \"5\"", twice);

    /* the functions leave through their DRCs: function 0 takes the slot */
    device_del(f.qts, "fn0");
    g_assert_true(device_exists(f.qts, "fn1"));
    guest_release(f.qts, fn1, false);
    g_assert_true(device_exists(f.qts, "fn0"));
    guest_release(f.qts, fn0, false);
    wait_all_deleted(f.qts, fns_ids);
    g_assert_cmpint(group_container(&f, 2, &open), ==, -1);
    g_assert_false(open);
    before = held(&f);
    g_assert_cmpint(before.containers, ==, 0);

    /* and come back with device_add, function 0 last as spapr wants */
    plug_function(f.qts, "fn1", "0000:02:00.1", "vphb2.0", "3.1");
    plug_function(f.qts, "fn0", "0000:02:00.0", "vphb2.0", "3.0");
    g_free(fns);
    fns = vphb_functions(f.qts, "vphb2");
    g_assert_cmpstr(fns, ==, "0000:02:00.0@24 0000:02:00.1@25");
    g_assert_cmpint(group_container(&f, 2, &open), >=, 0);
    g_assert_cmpuint(drc_sense(f.qts, fn0), ==, SENSE_PRESENT);
    g_assert_cmpint(set_indicator(f.qts, ISOLATION_STATE, fn0, 1), ==, 0);
    frag = configure_connector(f.qts, fn0);
    node = fdt_first_subnode(frag, 0);
    g_assert_cmphex(fdt_cell(frag, node, "reg", 0), ==, (3 << 3) << 8);
    g_assert_cmphex(fdt_cell(frag, node, "vendor-id", 0), ==, 0x1234);
    g_assert_cmpuint(fdt_cell(frag, node, "ibm,pci-config-space-type", 0),
                     ==, 1);
    dtb = vphb_dumpdtb(&f);
    vphb_guest_dma(f.qts, dtb, fdt_path_offset(dtb, phb_path), 2, 3 << 3,
              0x5555aaaa5555aaaaULL);

    device_del(f.qts, "fn0");
    guest_release(f.qts, fn0, false);
    guest_release(f.qts, fn1, false);
    wait_all_deleted(f.qts, fns_ids);
    assert_held(&f, before);
    vphb_fake_stop(&f);
}

/* A hot-plugged populate=off vPHB takes the functions plugged after it */
static void test_populate_off_hotplug(void)
{
    g_autofree char *fns = NULL;
    VphbFake f;
    Held before;
    bool open;

    vphb_fake_start(&f, "spapr-tce-v2", NULL, NULL, COLD_VPHB);
    before = held(&f);
    plug_vphb(f.qts, "vphb1", 1, 1, false);
    g_assert_cmpint(vphb_fake_containers(&f), ==, 1);
    plug_function(f.qts, "fn", "0000:01:00.0", "vphb1.0", "4");
    fns = vphb_functions(f.qts, "vphb1");
    g_assert_cmpstr(fns, ==, "0000:01:00.0@32");
    g_assert_cmpint(group_container(&f, 1, &open), >=, 0);
    /* the guest never took the PHB: it goes at once, function and all */
    device_del(f.qts, "vphb1");
    wait_deleted(f.qts, "vphb1");
    assert_held(&f, before);
    vphb_fake_stop(&f);
}

/* Without all of its group's functions, populate=off stops QEMU */
static void test_populate_off_missing(void)
{
    static const char *const missing[] = {
        "'vphb2' (index 2)", "group 2", "function 0000:02:00.1 is missing",
        NULL };

    vphb_cold_start_must_fail(VPHB2_OFF "-device vfio-pci,host=0000:02:00.0,"
                    "bus=vphb2.0,addr=3.0,multifunction=on", missing);
}

/* 5. What libvirt writes */

/*
 * libvirt gives each group a PHB "pci.N" and plugs the group's devices on
 * "pci.N.0" itself; with populate=off the vPHB takes them where libvirt
 * puts them.
 */
static void test_libvirt(void)
{
    static const char *const populated[] = {
        "'pci.1' (index 1)", "group 1", "0000:01:00.0", "already on the PHB",
        "populate=on", NULL };
    g_autofree char *fns = NULL;
    VphbFake f;

    vphb_fake_start(&f, "spapr-tce-v2", NULL, NULL,
                    "-device '{\"driver\":\"" VPHB "\",\"index\":1,"
                    "\"id\":\"pci.1\",\"iommu\":1,\"populate\":false}' "
                    "-device '{\"driver\":\"vfio-pci\","
                    "\"host\":\"0000:01:00.0\",\"bus\":\"pci.1.0\","
                    "\"addr\":\"0x1\"}'");
    fns = vphb_functions(f.qts, "pci.1");
    g_assert_cmpstr(fns, ==, "0000:01:00.0@8");
    g_assert_cmpint(vphb_fake_containers(&f), ==, 1);
    vphb_fake_stop(&f);

    /*
     * libvirt's own line, where the PHB populates too: the function is
     * there twice, and the error says what to do
     */
    vphb_cold_start_must_fail("-device '{\"driver\":\"" VPHB "\",\"index\":1,"
                    "\"id\":\"pci.1\",\"iommu\":1}' "
                    "-device '{\"driver\":\"vfio-pci\","
                    "\"host\":\"0000:01:00.0\",\"bus\":\"pci.1.0\","
                    "\"addr\":\"0x1\"}'", populated);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/vphb/hotplug/plug-unplug", test_plug_unplug);
    qtest_add_func("/vphb/hotplug/function-stays", test_function_stays);
    qtest_add_func("/vphb/hotplug/cycles", test_cycles);
    qtest_add_func("/vphb/hotplug/populate-off", test_populate_off);
    qtest_add_func("/vphb/hotplug/populate-off/hotplug",
                   test_populate_off_hotplug);
    qtest_add_func("/vphb/hotplug/populate-off/missing",
                   test_populate_off_missing);
    qtest_add_func("/vphb/hotplug/libvirt", test_libvirt);
    return g_test_run();
}
