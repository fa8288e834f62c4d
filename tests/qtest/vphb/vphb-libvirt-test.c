/*
 * libvirt's own command line for two vPHBs, run on the fake VFIO kernel.
 *
 * tests/data/libvirt/pseries-two-groups.argv is what libvirt 9.0 wrote
 * (virsh domxml-to-native) for a pseries domain whose host devices sit in
 * groups 1 and 2, each PHB turned into a spapr-pci-vfio-host-bridge by
 * <qemu:override>.  The test keeps every -machine and -device argument as
 * libvirt wrote it and drops only what needs libvirt's runtime; then each
 * vPHB must own its group alone, hold the functions libvirt placed on it,
 * and carry the guest's DMA; a function leaves and comes back as
 * libvirt's detach-device and attach-device would do it.
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include <libfdt.h>
#include "qapi/error.h"
#include "qobject/qjson.h"
#include "qobject/qnum.h"
#include "qobject/qstring.h"
#include "vphb-fake.h"

#define VPHB                "spapr-pci-vfio-host-bridge"
#define PHB_BUID(index)     ((uint64_t)0x800000020000000ULL + (index))
#define DRC_PCI(index, devfn) (0x40000000u | (index) << 16 | (devfn))
#define ISOLATION_STATE     9001

/* What the test took from libvirt's command line */
typedef struct Argv {
    char *args;             /* for QEMU, each argument quoted */
    GPtrArray *devices;     /* the -device arguments, QDicts */
    int dropped;
} Argv;

/* Is this option (with its value @val) libvirt's runtime, not the VM? */
static bool runtime_only(const char *opt, const char *val)
{
    /* libvirt continues the VM with 'cont' once it has set up */
    if (!strcmp(opt, "-S")) {
        return true;
    }
    /* libqtest's own -accel qtest would come second, and lose */
    if (!strcmp(opt, "-accel")) {
        return true;
    }
    /* the monitor is libvirt's socket: libqtest brings its own */
    if ((!strcmp(opt, "-chardev") && strstr(val, "id=charmonitor,")) ||
        (!strcmp(opt, "-mon") && strstr(val, "chardev=charmonitor,"))) {
        return true;
    }
    /* the key's file lives in libvirt's domain directory */
    if (!strcmp(opt, "-object") && strstr(val, "\"qom-type\":\"secret\"")) {
        return true;
    }
    /* libvirt's policies, if configured */
    return !strcmp(opt, "-sandbox") || !strcmp(opt, "-pidfile");
}

static void read_argv(Argv *a)
{
    const char *path = g_getenv("VPHB_LIBVIRT_ARGV");
    g_autofree char *text = NULL;
    g_auto(GStrv) argv = NULL;
    GString *args = g_string_new(NULL);
    int i = 0;

    g_assert_nonnull(path);
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    g_assert_true(g_shell_parse_argv(text, NULL, &argv, NULL));
    a->devices = g_ptr_array_new_with_free_func(
        (GDestroyNotify)qobject_unref_impl);
    a->dropped = 0;

    /* libvirt's environment for QEMU, then the emulator: not ours */
    while (argv[i] && strchr(argv[i], '=') && argv[i][0] != '-') {
        i++;
    }
    g_assert_nonnull(argv[i]);
    g_assert_true(g_str_has_suffix(argv[i], "/qemu-system-ppc64"));
    for (i++; argv[i]; i++) {
        const char *opt = argv[i];
        const char *val = argv[i + 1] && argv[i + 1][0] != '-' ?
                          argv[i + 1] : NULL;

        g_assert_true(opt[0] == '-');
        if (runtime_only(opt, val ? val : "")) {
            a->dropped++;
            i += val != NULL;
            continue;
        }
        g_autofree char *q = g_shell_quote(opt);
        g_string_append_printf(args, "%s ", q);
        if (val) {
            g_autofree char *qv = g_shell_quote(val);

            g_string_append_printf(args, "%s ", qv);
            i++;
            if (!strcmp(opt, "-device")) {
                g_ptr_array_add(a->devices, qobject_to(QDict,
                    qobject_from_json(val, &error_abort)));
            }
        }
    }
    a->args = g_string_free(args, false);
}

static void free_argv(Argv *a)
{
    g_ptr_array_unref(a->devices);
    g_free(a->args);
}

/* PHB id "pci.N" of a bus "pci.N.0" */
static char *phb_of_bus(const char *bus)
{
    g_assert_true(g_str_has_suffix(bus, ".0"));
    return g_strndup(bus, strlen(bus) - 2);
}

/* devfn of a libvirt "addr" ("0x2", or "0x2.0x1") */
static int devfn_of(const char *addr)
{
    g_auto(GStrv) parts = g_strsplit(addr, ".", 2);
    int slot = strtol(parts[0], NULL, 16);

    return slot << 3 | (parts[1] ? (int)strtol(parts[1], NULL, 16) : 0);
}

/* The vfio-pci functions libvirt put on PHB @phb, as "host@devfn" words */
static char *placed_on(Argv *a, const char *phb)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < a->devices->len; i++) {
        QDict *d = g_ptr_array_index(a->devices, i);
        g_autofree char *on = NULL;

        if (strcmp(qdict_get_str(d, "driver"), "vfio-pci")) {
            continue;
        }
        on = phb_of_bus(qdict_get_str(d, "bus"));
        if (!strcmp(on, phb)) {
            g_string_append_printf(s, "%s%s@%d", s->len ? " " : "",
                                   qdict_get_str(d, "host"),
                                   devfn_of(qdict_get_str(d, "addr")));
        }
    }
    return g_string_free(s, false);
}

/* The -device of id @id */
static QDict *device(Argv *a, const char *id)
{
    for (guint i = 0; i < a->devices->len; i++) {
        QDict *d = g_ptr_array_index(a->devices, i);

        if (qdict_haskey(d, "id") && !strcmp(qdict_get_str(d, "id"), id)) {
            return d;
        }
    }
    g_error("libvirt's command line has no device '%s'", id);
}

static int64_t qom_int(QTestState *qts, const char *phb, const char *prop)
{
    g_autofree char *path = g_strdup_printf("/machine/peripheral/%s", phb);
    QObject *obj = vphb_qom_get(qts, path, prop);
    int64_t v = qnum_get_int(qobject_to(QNum, obj));

    qobject_unref(obj);
    return v;
}

static char *qom_type(QTestState *qts, const char *phb)
{
    g_autofree char *path = g_strdup_printf("/machine/peripheral/%s", phb);
    QObject *obj = vphb_qom_get(qts, path, "type");
    char *type = g_strdup(qstring_get_str(qobject_to(QString, obj)));

    qobject_unref(obj);
    return type;
}

/* The groups of a list of containers, as "[1] [2]" */
static char *groups_of(QList *containers)
{
    GString *s = g_string_new(NULL);
    const QListEntry *e, *g;

    QLIST_FOREACH_ENTRY(containers, e) {
        QList *groups = qdict_get_qlist(qobject_to(QDict, qlist_entry_obj(e)),
                                        "groups");

        g_string_append_printf(s, "%s[", s->len ? " " : "");
        QLIST_FOREACH_ENTRY(groups, g) {
            g_string_append_printf(s, "%s%" PRId64,
                                   g == qlist_first(groups) ? "" : " ",
                                   qnum_get_int(qobject_to(QNum,
                                       qlist_entry_obj(g))));
        }
        g_string_append_c(s, ']');
    }
    return g_string_free(s, false);
}

/* The vPHB @phb as libvirt declared it: group, functions, container */
static void check_vphb(VphbFake *f, Argv *a, const char *phb, int group,
                       const char *want_fns)
{
    g_autofree char *path = g_strdup_printf("/machine/peripheral/%s", phb);
    g_autofree char *type = qom_type(f->qts, phb);
    g_autofree char *fns = vphb_functions(f->qts, phb);
    g_autofree char *placed = placed_on(a, phb);
    g_autofree char *groups = NULL;
    g_autofree char *want_groups = g_strdup_printf("[%d]", group);
    QDict *d = device(a, phb);
    QObject *obj;

    /* libvirt's override is on the command line as the user wrote it */
    g_assert_cmpstr(qdict_get_str(d, "driver"), ==, VPHB);
    g_assert_cmpint(qdict_get_int(d, "iommu"), ==, group);
    g_assert_false(qdict_get_bool(d, "populate"));

    g_assert_cmpstr(type, ==, VPHB);
    g_assert_cmpint(qom_int(f->qts, phb, "group"), ==, group);
    g_assert_cmpstr(fns, ==, want_fns);
    /* where libvirt put them, and nothing else */
    g_assert_cmpstr(fns, ==, placed);
    obj = vphb_qom_get(f->qts, path, "container");
    groups = groups_of(qobject_to(QList, obj));
    g_assert_cmpstr(groups, ==, want_groups);
    qobject_unref(obj);
}

static void test_two_groups(void)
{
    g_autofree char *groups = NULL;
    g_autofree char *spare = NULL;
    g_autofree char *fns = NULL;
    g_autofree void *dtb = NULL;
    g_autofree char *phb1 = g_strdup_printf("/pci@%" PRIx64, PHB_BUID(1));
    g_autofree char *phb2 = g_strdup_printf("/pci@%" PRIx64, PHB_BUID(2));
    QDict *hostdev2, *state;
    GString *json;
    VphbFake f;
    Argv a;

    read_argv(&a);
    /* -S, -accel, the secret, the monitor's -chardev and -mon */
    g_assert_cmpint(a.dropped, ==, 5);
    /* three PHBs, libvirt's xhci, three functions */
    g_assert_cmpint(a.devices->len, ==, 7);
    vphb_fake_start_args(&f, "spapr-tce-v2", NULL, NULL, a.args);

    check_vphb(&f, &a, "pci.1", 1, "0000:01:00.0@8");
    check_vphb(&f, &a, "pci.2", 2, "0000:02:00.0@8 0000:02:00.1@16");
    /* the spare PHB libvirt would hot-plug into stays QEMU's own */
    spare = qom_type(f.qts, "pci.3");
    g_assert_cmpstr(spare, ==, "spapr-pci-host-bridge");

    /* the fake kernel: two containers, one group each */
    state = vphb_fake_state(&f);
    groups = groups_of(qdict_get_qlist(state, "containers"));
    qobject_unref(state);
    g_assert_true(!strcmp(groups, "[1] [2]") || !strcmp(groups, "[2] [1]"));

    /* the guest's DMA through each function, its PHB's default window */
    dtb = vphb_dumpdtb(&f);
    vphb_guest_dma(f.qts, dtb, fdt_path_offset(dtb, phb1), 1, 1 << 3,
                   0x0101010101010101ULL);
    vphb_guest_dma(f.qts, dtb, fdt_path_offset(dtb, phb2), 2, 1 << 3,
                   0x0202020202020202ULL);
    vphb_guest_dma(f.qts, dtb, fdt_path_offset(dtb, phb2), 2, 2 << 3,
                   0x0203020302030203ULL);

    /*
     * virsh detach-device and attach-device of group 2's second function:
     * device_del, the guest isolates its DRC; device_add of libvirt's own
     * -device JSON.  (vphb-hotplug-test covers the populate=off cases.)
     */
    qtest_qmp_assert_success(f.qts, "{'execute': 'device_del', "
                             "'arguments': {'id': 'hostdev2'}}");
    {
        uint32_t args[] = { ISOLATION_STATE, DRC_PCI(2, 2 << 3), 0 };
        uint32_t ret;

        g_assert_cmpint(vphb_rtas(f.qts, "set-indicator", args, 3, &ret, 1),
                        ==, 0);
    }
    /*
     * gone with the guest's isolate; VFIO lets the host device go when
     * QEMU finalizes it, in an RCU callback that sends DEVICE_DELETED
     * (the DRC sends one too, with no "device")
     */
    for (;;) {
        QDict *ev = qtest_qmp_eventwait_ref(f.qts, "DEVICE_DELETED");
        QDict *data = qdict_get_qdict(ev, "data");
        bool ours = qdict_haskey(data, "device") &&
                    !strcmp(qdict_get_str(data, "device"), "hostdev2");

        qobject_unref(ev);
        if (ours) {
            break;
        }
    }
    fns = vphb_functions(f.qts, "pci.2");
    g_assert_cmpstr(fns, ==, "0000:02:00.0@8");

    hostdev2 = device(&a, "hostdev2");
    json = qobject_to_json(QOBJECT(hostdev2));
    qtest_qmp_send_raw(f.qts, "{\"execute\": \"device_add\", "
                       "\"arguments\": %s}\n", json->str);
    g_string_free(json, true);
    {
        QDict *rsp = qtest_qmp_receive(f.qts);

        if (!qdict_haskey(rsp, "return")) {
            g_error("device_add of hostdev2: %s", qdict_get_str(
                qdict_get_qdict(rsp, "error"), "desc"));
        }
        qobject_unref(rsp);
    }
    g_free(fns);
    fns = vphb_functions(f.qts, "pci.2");
    g_assert_cmpstr(fns, ==, "0000:02:00.0@8 0000:02:00.1@16");
    check_vphb(&f, &a, "pci.2", 2, "0000:02:00.0@8 0000:02:00.1@16");
    g_assert_cmpint(vphb_fake_containers(&f), ==, 2);
    vphb_guest_dma(f.qts, dtb, fdt_path_offset(dtb, phb2), 2, 2 << 3,
                   0x2222111122221111ULL);

    vphb_fake_stop(&f);
    free_argv(&a);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/vphb/libvirt/two-groups", test_two_groups);
    return g_test_run();
}
