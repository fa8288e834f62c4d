/*
 * spapr-pci-vfio-host-bridge on the fake VFIO kernel: one PHB per host
 * IOMMU group with the group's functions behind it, one VFIO container
 * each, every realize error refused with nothing left behind, and no
 * other device on its bus.
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include <libfdt.h>
#include <glib/gstdio.h>
#include "qobject/qnum.h"
#include "qobject/qstring.h"
#include "hw/pci/pci_regs.h"
#include "vphb-fake.h"

#define VPHB "spapr-pci-vfio-host-bridge"

static const char *const iommus[] = { "spapr-tce-v2", "type1" };

/* The groups of the fake's open containers, as "[1] [2]" */
static char *container_groups(VphbFake *f)
{
    QDict *state = vphb_fake_state(f);
    GString *s = g_string_new(NULL);
    const QListEntry *e, *g;

    QLIST_FOREACH_ENTRY(qdict_get_qlist(state, "containers"), e) {
        QDict *c = qobject_to(QDict, qlist_entry_obj(e));

        g_string_append_printf(s, "%s[", s->len ? " " : "");
        QLIST_FOREACH_ENTRY(qdict_get_qlist(c, "groups"), g) {
            g_string_append_printf(s, "%s%" PRId64,
                                   g == qlist_first(qdict_get_qlist(c,
                                       "groups")) ? "" : " ",
                                   qnum_get_int(qobject_to(QNum,
                                       qlist_entry_obj(g))));
        }
        g_string_append_c(s, ']');
    }
    qobject_unref(state);
    return g_string_free(s, false);
}

/*
 * Groups 1, 2 and 3 on three vPHBs (one given as JSON): functions where
 * the layout puts them, a container each holding only its group, the
 * bus named as libvirt expects.
 */
/* bit 7 of the header type register (PCI Local Bus spec) */
#define HEADER_MULTI_FUNCTION 0x80

/* A function's header type register, read as the guest does (RTAS) */
static uint8_t header_type(QTestState *qts, int index, int devfn)
{
    uint64_t buid = 0x800000020000000ULL + index;  /* QEMU's PHB placement */
    uint32_t args[] = { devfn << 8 | PCI_HEADER_TYPE, buid >> 32,
                        buid & 0xffffffff, 1 };
    uint32_t rets[2];

    g_assert_cmpint(vphb_rtas(qts, "ibm,read-pci-config", args, 4, rets, 2),
                    ==, 0);
    return rets[1];
}

static void test_groups(const void *opaque)
{
    const char *iommu = opaque;
    VphbFake f;
    g_autofree char *fns = NULL;
    g_autofree char *groups = NULL;
    QObject *obj;
    QDict *rsp;

    vphb_fake_start(&f, iommu, NULL, NULL,
                    "-device " VPHB ",id=vphb1,index=1,iommu=1 "
                    "-device '{\"driver\": \"" VPHB "\", \"id\": \"vphb2\", "
                    "\"index\": 2, \"iommu\": 2}' "
                    "-device " VPHB ",id=vphb3,index=3,iommu=3");

    fns = vphb_functions(f.qts, "vphb1");
    g_assert_cmpstr(fns, ==, "0000:01:00.0@0");
    g_free(fns);
    /* one two-function device: slot 0, functions 0 and 1 */
    fns = vphb_functions(f.qts, "vphb2");
    g_assert_cmpstr(fns, ==, "0000:02:00.0@0 0000:02:00.1@1");
    g_free(fns);
    fns = vphb_functions(f.qts, "vphb3");
    g_assert_cmpstr(fns, ==, "0000:03:00.0@0");
    /* the header's multifunction bit only where a slot has several */
    g_assert_false(header_type(f.qts, 1, 0) & HEADER_MULTI_FUNCTION);
    g_assert_true(header_type(f.qts, 2, 0) & HEADER_MULTI_FUNCTION);
    g_assert_true(header_type(f.qts, 2, 1) & HEADER_MULTI_FUNCTION);

    /* one container per vPHB, each with its own group only */
    groups = container_groups(&f);
    g_assert_cmpint(vphb_fake_containers(&f), ==, 3);
    g_assert_nonnull(strstr(groups, "[1]"));
    g_assert_nonnull(strstr(groups, "[2]"));
    g_assert_nonnull(strstr(groups, "[3]"));
    obj = vphb_qom_get(f.qts, "/machine/peripheral/vphb2", "container");
    g_assert_cmpint(qlist_size(qobject_to(QList, obj)), ==, 1);
    g_assert_cmpint(qdict_get_int(qobject_to(QDict, qlist_peek(
        qobject_to(QList, obj))), "fd"), >=, 0);
    qobject_unref(obj);
    obj = vphb_qom_get(f.qts, "/machine/peripheral/vphb2", "group");
    g_assert_cmpint(qnum_get_int(qobject_to(QNum, obj)), ==, 2);
    qobject_unref(obj);
    obj = vphb_qom_get(f.qts, "/machine/peripheral/vphb2", "backend");
    g_assert_cmpstr(qstring_get_str(qobject_to(QString, obj)), ==,
                    !strcmp(iommu, "type1") ? "type1" : "spapr-tce-v2");
    qobject_unref(obj);
    obj = vphb_qom_get(f.qts, "/machine/peripheral/vphb2", "index");
    g_assert_cmpint(qnum_get_int(qobject_to(QNum, obj)), ==, 2);
    qobject_unref(obj);

    /*
     * The 64-bit window: QEMU's 2^59 on sPAPR; on Type1 (39-bit aperture,
     * MSI hole below 4 GiB) the upper half of the aperture, clear of the
     * 1 GiB default window
     */
    obj = vphb_qom_get(f.qts, "/machine/peripheral/vphb2", "dma64_win_addr");
    g_assert_cmphex(qnum_get_uint(qobject_to(QNum, obj)), ==,
                    !strcmp(iommu, "type1") ? 1ULL << 38 : 1ULL << 59);
    qobject_unref(obj);

    /* the bus keeps QEMU's name, "<id>.0" */
    rsp = qtest_qmp(f.qts, "{'execute': 'qom-list', 'arguments': "
                    "{'path': '/machine/peripheral/vphb2/vphb2.0'}}");
    g_assert_true(qdict_haskey(rsp, "return"));
    qobject_unref(rsp);

    vphb_fake_stop(&f);
}

/* Every way realize can fail, each leaving QEMU as it was */
static void test_realize_errors(void)
{
    static const char *const no_iommu[] = {
        "'bad' (index 5)", "'iommu'", "required", NULL };
    static const char *const no_group[] = {
        "'bad' (index 5)", "group 9", "No such file or directory", NULL };
    static const char *const not_viable[] = {
        "'bad' (index 5)", "group 4 is not viable", "0000:04:00.1",
        "'e1000e'", NULL };
    static const char *const owned[] = {
        "'bad' (index 5)", "group 1", "already owned", "'vphb1' (index 1)",
        NULL };
    static const char *const eacces[] = {
        "'bad' (index 5)", "group 3", "0000:03:00.0", "Permission denied",
        NULL };
    VphbFake f;
    g_autofree char *r = NULL;

    vphb_fake_start(&f, "spapr-tce-v2", NULL, NULL,
                    "-device " VPHB ",id=vphb1,index=1,iommu=1");
    vphb_add_must_fail(&f, "\"driver\": \"" VPHB "\", \"id\": \"bad\", "
                       "\"index\": 5", no_iommu);
    vphb_add_must_fail(&f, "\"driver\": \"" VPHB "\", \"id\": \"bad\", "
                       "\"index\": 5, \"iommu\": 9", no_group);
    vphb_add_must_fail(&f, "\"driver\": \"" VPHB "\", \"id\": \"bad\", "
                       "\"index\": 5, \"iommu\": 4", not_viable);
    vphb_add_must_fail(&f, "\"driver\": \"" VPHB "\", \"id\": \"bad\", "
                       "\"index\": 5, \"iommu\": 1", owned);

    r = vphb_fake_cmd(&f, "eacces 3 on");
    g_assert_cmpstr(r, ==, "ok");
    vphb_add_must_fail(&f, "\"driver\": \"" VPHB "\", \"id\": \"bad\", "
                       "\"index\": 5, \"iommu\": 3", eacces);
    g_free(r);
    r = vphb_fake_cmd(&f, "eacces 3 off");
    g_assert_cmpstr(r, ==, "ok");

    /* after all that, the same index and group work */
    qtest_qmp_assert_success(f.qts, "{'execute': 'device_add', 'arguments': "
                             "{'driver': '" VPHB "', 'id': 'vphb3', "
                             "'index': 5, 'iommu': 3}}");
    g_assert_cmpint(vphb_fake_containers(&f), ==, 2);
    vphb_fake_stop(&f);
}

/*
 * A function whose PE is frozen reads all ones, and QEMU 10.0's VFIO
 * realize would walk its capability list forever: the vPHB reads the
 * vendor ID from sysfs first and refuses, at once, the PHB (populate=on)
 * or the function (populate=off), naming the function; cold-plugged
 * too.  Thawed, the same group works.
 */
static void test_frozen(void)
{
    static const char *const frozen_phb[] = {
        "'bad' (index 5)", "group 1", "function 0000:01:00.0 reads all ones",
        "frozen", NULL };
    static const char *const frozen_fn[] = {
        "'vphb2' (index 2)", "group 2", "function 0000:02:00.0 reads all ones",
        "frozen", NULL };
    VphbFake f;
    g_autofree char *fns = NULL;
    char *r;

    vphb_fake_start(&f, "spapr-tce-v2", NULL, NULL,
                    "-device " VPHB ",id=vphb3,index=3,iommu=3");
    r = vphb_fake_cmd(&f, "freeze 1");
    g_assert_cmpstr(r, ==, "ok");
    g_free(r);
    vphb_add_must_fail(&f, "\"driver\": \"" VPHB "\", \"id\": \"bad\", "
                       "\"index\": 5, \"iommu\": 1", frozen_phb);

    /* populate=off: the PHB is empty, the function is refused */
    r = vphb_fake_cmd(&f, "freeze 2");
    g_assert_cmpstr(r, ==, "ok");
    g_free(r);
    qtest_qmp_assert_success(f.qts, "{'execute': 'device_add', 'arguments': "
                             "{'driver': '" VPHB "', 'id': 'vphb2', "
                             "'index': 2, 'iommu': 2, 'populate': false}}");
    vphb_add_must_fail(&f, "\"driver\": \"vfio-pci\", \"id\": \"bad\", "
                       "\"host\": \"0000:02:00.0\", \"bus\": \"vphb2.0\", "
                       "\"addr\": \"0\", \"multifunction\": true",
                       frozen_fn);

    r = vphb_fake_cmd(&f, "thaw 1");
    g_assert_cmpstr(r, ==, "ok");
    g_free(r);
    qtest_qmp_assert_success(f.qts, "{'execute': 'device_add', 'arguments': "
                             "{'driver': '" VPHB "', 'id': 'vphb1', "
                             "'index': 1, 'iommu': 1}}");
    fns = vphb_functions(f.qts, "vphb1");
    g_assert_cmpstr(fns, ==, "0000:01:00.0@0");
    vphb_fake_stop(&f);

    /* at start: an error exit, not a hang */
    g_setenv("VFIO_FAKE_FROZEN", "1", true);
    vphb_cold_start_must_fail("-device " VPHB ",id=vphb1,index=1,iommu=1",
                              (const char *const[]) {
                                  "'vphb1' (index 1)", "group 1",
                                  "0000:01:00.0 reads all ones", NULL });
    g_unsetenv("VFIO_FAKE_FROZEN");
}

/*
 * Guest RAM cannot be locked for the first sPAPR container.  (A limit hit
 * later, by a second container's host window, stops QEMU 10.0 itself:
 * VFIO's listener then deletes a window it never created.)
 */
static void test_memlock(void)
{
    static const char *const env[] = { "VFIO_FAKE_MEMLOCK=1048576", NULL };
    static const char *const memlock[] = {
        "'bad' (index 5)", "group 3", "0000:03:00.0", NULL };
    VphbFake f;

    vphb_fake_start(&f, "spapr-tce-v2", NULL, env, "");
    vphb_add_must_fail(&f, "\"driver\": \"" VPHB "\", \"id\": \"bad\", "
                       "\"index\": 5, \"iommu\": 3", memlock);
    vphb_fake_stop(&f);
}

/* A group a vfio-pci elsewhere already uses is not the vPHB's to take */
static void test_group_in_use(void)
{
    static const char *const in_use[] = {
        "'bad' (index 5)", "group 1", "already in use", "0000:01:00.0",
        NULL };
    VphbFake f;

    vphb_fake_start(&f, "spapr-tce-v2", NULL, NULL,
                    "-device vfio-pci,host=0000:01:00.0,bus=pci.0,addr=1");
    vphb_add_must_fail(&f, "\"driver\": \"" VPHB "\", \"id\": \"bad\", "
                       "\"index\": 5, \"iommu\": 1", in_use);
    vphb_fake_stop(&f);
}

/* Groups a bus cannot hold the way a guest must find them */
static void test_layouts(void)
{
    static const char *const no_fn0[] = {
        "'bad' (index 6)", "group 6", "0000:06:01.1", "no function 0", NULL };
    static const char *const too_many[] = {
        "'bad' (index 6)", "group 7", "more than 32 slots", NULL };
    static const char *const empty[] = {
        "'bad' (index 6)", "group 8", "no device bound to vfio-pci", NULL };
    g_autoptr(GString) topo = g_string_new(
        "[group 5]\ndevices=0000:05:00.0;0000:05:00.1\n"
        "[device 0000:05:00.1]\ndriver=\n"
        "[group 6]\ndevices=0000:06:00.0;0000:06:01.1\n"
        "[group 8]\ndevices=0000:08:00.0\n"
        "[device 0000:08:00.0]\ndriver=\n"
        "[group 7]\ndevices=");
    g_autofree char *fns = NULL;
    VphbFake f;

    /* 33 slots: a whole host bus of 32 and one more on the next bus */
    for (int d = 0; d < 32; d++) {
        g_string_append_printf(topo, "%s0000:07:%02x.0", d ? ";" : "", d);
    }
    g_string_append(topo, ";0000:09:00.0\n");
    vphb_fake_start(&f, "spapr-tce-v2", topo->str, NULL, "");

    /* the unbound function stays on the host; the bound one is the PHB's */
    qtest_qmp_assert_success(f.qts, "{'execute': 'device_add', 'arguments': "
                             "{'driver': '" VPHB "', 'id': 'vphb5', "
                             "'index': 5, 'iommu': 5}}");
    fns = vphb_functions(f.qts, "vphb5");
    g_assert_cmpstr(fns, ==, "0000:05:00.0@0");
    vphb_add_must_fail(&f, "\"driver\": \"" VPHB "\", \"id\": \"bad\", "
                       "\"index\": 6, \"iommu\": 6", no_fn0);
    vphb_add_must_fail(&f, "\"driver\": \"" VPHB "\", \"id\": \"bad\", "
                       "\"index\": 6, \"iommu\": 7", too_many);
    vphb_add_must_fail(&f, "\"driver\": \"" VPHB "\", \"id\": \"bad\", "
                       "\"index\": 6, \"iommu\": 8", empty);
    vphb_fake_stop(&f);
}

/* Nothing but the group's functions on the vPHB's bus */
static void test_foreign_devices(void)
{
    static const char *const emulated[] = {
        "'vphb1' (index 1)", "group 1", "e1000 'bad'", NULL };
    static const char *const other_group[] = {
        "'vphb1' (index 1)", "group 1", "vfio-pci 'bad'", "0000:02:00.0",
        "of group 2", NULL };
    VphbFake f;

    vphb_fake_start(&f, "spapr-tce-v2", NULL, NULL,
                    "-device " VPHB ",id=vphb1,index=1,iommu=1");
    vphb_add_must_fail(&f, "\"driver\": \"e1000\", \"id\": \"bad\", "
                       "\"bus\": \"vphb1.0\", \"addr\": \"5\"", emulated);
    vphb_add_must_fail(&f, "\"driver\": \"vfio-pci\", \"id\": \"bad\", "
                       "\"host\": \"0000:02:00.0\", \"bus\": \"vphb1.0\", "
                       "\"addr\": \"5\"", other_group);
    /* a function of its own group that is already there: VFIO says so */
    {
        static const char *const twice[] = { "0000:01:00.0", NULL };

        vphb_add_must_fail(&f, "\"driver\": \"vfio-pci\", \"id\": \"bad\", "
                           "\"host\": \"0000:01:00.0\", \"bus\": \"vphb1.0\","
                           " \"addr\": \"5\"", twice);
    }
    vphb_fake_stop(&f);

    /* and at start, on the command line */
    {
        static const char *const cold[] = {
            "'vphb1' (index 1)", "group 1", "e1000 'net'", NULL };

        vphb_cold_start_must_fail("-device " VPHB ",id=vphb1,index=1,iommu=1 "
                             "-device e1000,id=net,bus=vphb1.0,addr=3", cold);
    }
}

/* ibm,pci-config-space-type of @node, -1 if it has none */
static int config_space_type(const void *fdt, int node)
{
    const fdt32_t *v = fdt_getprop(fdt, node, "ibm,pci-config-space-type",
                                   NULL);

    return v ? fdt32_to_cpu(*v) : -1;
}

/*
 * The device tree says where extended config space is reachable: on the
 * PHB, and on each function (1 for the PCIe edu of group 1, 0 for the
 * conventional one of group 3).
 */
static void test_device_tree(void)
{
    VphbFake f;
    g_autofree char *path = NULL;
    g_autofree char *fdt = NULL;
    const char *const phbs[] = { "/pci@800000020000001",
                                 "/pci@800000020000003" };
    const int expect[] = { 1, 0 };

    vphb_fake_start(&f, "spapr-tce-v2", NULL, NULL,
                    "-device " VPHB ",id=vphb1,index=1,iommu=1 "
                    "-device " VPHB ",id=vphb3,index=3,iommu=3");
    path = g_build_filename(f.dir, "vphb.dtb", NULL);
    /* the tree the guest gets is built at reset */
    qtest_qmp_assert_success(f.qts, "{'execute': 'system_reset'}");
    qtest_qmp_assert_success(f.qts, "{'execute': 'dumpdtb', 'arguments': "
                             "{'filename': %s}}", path);
    g_assert_true(g_file_get_contents(path, &fdt, NULL, NULL));
    g_unlink(path);
    g_assert_cmpint(fdt_check_header(fdt), ==, 0);

    for (int i = 0; i < ARRAY_SIZE(phbs); i++) {
        int phb = fdt_path_offset(fdt, phbs[i]);
        int node, functions = 0;

        g_assert_cmpint(phb, >=, 0);
        g_assert_cmpint(config_space_type(fdt, phb), ==, 1);
        fdt_for_each_subnode(node, fdt, phb) {
            if (fdt_getprop(fdt, node, "vendor-id", NULL)) {
                g_assert_cmpint(config_space_type(fdt, node), ==, expect[i]);
                functions++;
            }
        }
        g_assert_cmpint(functions, ==, 1);
    }
    vphb_fake_stop(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (int i = 0; i < ARRAY_SIZE(iommus); i++) {
        g_autofree char *path = g_strdup_printf("/vphb/groups/%s", iommus[i]);

        qtest_add_data_func(path, iommus[i], test_groups);
    }
    qtest_add_func("/vphb/device-tree", test_device_tree);
    qtest_add_func("/vphb/errors/realize", test_realize_errors);
    qtest_add_func("/vphb/errors/memlock", test_memlock);
    qtest_add_func("/vphb/errors/frozen", test_frozen);
    qtest_add_func("/vphb/errors/group-in-use", test_group_in_use);
    qtest_add_func("/vphb/errors/layouts", test_layouts);
    qtest_add_func("/vphb/errors/foreign-devices", test_foreign_devices);
    return g_test_run();
}
