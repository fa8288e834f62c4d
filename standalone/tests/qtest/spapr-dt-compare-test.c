/*
 * Our PHB device-tree nodes against QEMU's: the same machine and devices
 * are given to Debian's qemu-system-ppc64 and to ours, both with
 * -M pseries,dumpdtb=F, and the trees are compared with libfdt, property
 * by property, for every PHB node /pci@... and every device node under
 * it: the same set of nodes, the same set of properties, the same bytes.
 * The root node's DRC list (the 31 PHB connectors) is compared too.
 *
 * The reference binary is /usr/bin/qemu-system-ppc64 (or
 * $QTEST_REFERENCE_QEMU); without it the tests are skipped.
 */
#include "libqtest.h"

#include <libfdt.h>
#include <string.h>
#include <glib/gstdio.h>

#define REFERENCE_QEMU "/usr/bin/qemu-system-ppc64"

/*
 * Intended differences.  Anything not listed here must be identical.
 *
 * | where     | property                         | compared as     | reason
 * |-----------|----------------------------------|-----------------|---------------------------
 * | /pci@*    | ibm,drc-indexes, ibm,drc-names,  | a set of        | QEMU emits a bus's (or the
 * | and /     | ibm,drc-types,                   | (index, name,   | machine's) DRCs in the
 * |           | ibm,drc-power-domains            | type, power)    | order of its DRC hash
 * |           |                                  | tuples, plus    | table, we in index order.
 * |           |                                  | the count       | The arrays are parallel:
 * |           |                                  |                 | the guest pairs entry i of
 * |           |                                  |                 | each, never relies on order
 * | any node  | (order of properties/subnodes)   | by name         | Order carries no meaning
 * |           |                                  |                 | in a flattened tree; QEMU
 * |           |                                  |                 | adds properties in its
 * |           |                                  |                 | code's order, we in ours.
 *
 * Outside the compared nodes, so not in the table: the interrupt
 * controller's #address-cells, /cpus, /memory, /rtas, /chosen, /vdevice.
 * The DRC rows are the table below; the order row is how compare_node()
 * works (lookups by name).
 */
typedef enum DiffKind {
    DIFF_DRC_TUPLES,        /* compare the 4 parallel DRC arrays as a set of tuples */
} DiffKind;

typedef struct IntendedDiff {
    const char *node_glob;  /* g_pattern_match_simple() on the node path */
    const char *prop;
    DiffKind kind;
    const char *reason;
} IntendedDiff;

#define DRC_ORDER_REASON "DRC order is QEMU's hash-table order; arrays are parallel, compared as " \
                         "a set of (index, name, type, power) tuples"

static const IntendedDiff intended_diffs[] = {
    { "/pci@*", "ibm,drc-indexes", DIFF_DRC_TUPLES, DRC_ORDER_REASON },
    { "/pci@*", "ibm,drc-names", DIFF_DRC_TUPLES, DRC_ORDER_REASON },
    { "/pci@*", "ibm,drc-types", DIFF_DRC_TUPLES, DRC_ORDER_REASON },
    { "/pci@*", "ibm,drc-power-domains", DIFF_DRC_TUPLES, DRC_ORDER_REASON },
    { "/", "ibm,drc-indexes", DIFF_DRC_TUPLES, DRC_ORDER_REASON },
    { "/", "ibm,drc-names", DIFF_DRC_TUPLES, DRC_ORDER_REASON },
    { "/", "ibm,drc-types", DIFF_DRC_TUPLES, DRC_ORDER_REASON },
    { "/", "ibm,drc-power-domains", DIFF_DRC_TUPLES, DRC_ORDER_REASON },
};

static const IntendedDiff *intended_diff(const char *path, const char *prop)
{
    for (size_t i = 0; i < G_N_ELEMENTS(intended_diffs); i++) {
        if (g_str_equal(intended_diffs[i].prop, prop) &&
            g_pattern_match_simple(intended_diffs[i].node_glob, path)) {
            return &intended_diffs[i];
        }
    }
    return NULL;
}

/* Running both binaries ----------------------------------------------------------- */

static const char *reference_qemu(void)
{
    const char *env = g_getenv("QTEST_REFERENCE_QEMU");

    return env && *env ? env : REFERENCE_QEMU;
}

/* Run @binary with dumpdtb into @path; FALSE (and *err) if it did not produce a tree. */
static gboolean dump_dtb(const char *binary, const char *path, const char *devices, char **err)
{
    g_autofree char *cmd = g_strdup_printf("%s -M pseries,dumpdtb=%s -nodefaults -display none "
                                           "%s", binary, path, devices);
    g_auto(GStrv) argv = NULL;
    g_autofree char *out = NULL, *errtext = NULL;
    g_autoptr(GError) gerr = NULL;
    int status;

    g_assert_true(g_shell_parse_argv(cmd, NULL, &argv, NULL));
    if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &errtext, &status,
                      &gerr)) {
        *err = g_strdup_printf("%s: %s", cmd, gerr->message);
        return FALSE;
    }
    if (!g_spawn_check_wait_status(status, &gerr) || !g_file_test(path, G_FILE_TEST_EXISTS)) {
        *err = g_strdup_printf("%s: %s: %s", cmd, gerr ? gerr->message : "no tree", errtext);
        return FALSE;
    }
    return TRUE;
}

static void *load_dtb(const char *path)
{
    gchar *data = NULL;
    gsize len;

    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    g_assert_cmpint(fdt_check_full(data, len), ==, 0);
    return data;
}

typedef struct Trees {
    void *qemu;
    void *ours;
} Trees;

/*
 * Dump both trees for the same machine.  @qemu_devices differs from
 * @our_devices only where QEMU lacks a property (edu's pcie=off is QEMU's
 * only edu).  FALSE (test skipped) without the reference binary.
 */
static gboolean dump_both(Trees *t, const char *our_devices, const char *qemu_devices)
{
    g_autofree char *dir = NULL, *qpath = NULL, *opath = NULL, *err = NULL;

    if (!g_file_test(reference_qemu(), G_FILE_TEST_IS_EXECUTABLE)) {
        g_autofree char *msg = g_strdup_printf("reference QEMU %s (Debian qemu-system-ppc) is "
                                               "not installed: nothing to compare against",
                                               reference_qemu());
        g_test_skip(msg);
        return FALSE;
    }
    dir = qtest_tmpdir();
    qpath = g_build_filename(dir, "qemu.dtb", NULL);
    opath = g_build_filename(dir, "ours.dtb", NULL);
    if (!dump_dtb(reference_qemu(), qpath, qemu_devices, &err)) {
        g_autofree char *msg = g_strdup_printf("reference QEMU could not dump its tree: %s", err);
        g_test_skip(msg);
        g_rmdir(dir);
        return FALSE;
    }
    g_assert_true(dump_dtb(qtest_binary(), opath, our_devices, &err));
    t->qemu = load_dtb(qpath);
    t->ours = load_dtb(opath);
    g_unlink(qpath);
    g_unlink(opath);
    g_rmdir(dir);
    return TRUE;
}

static void trees_free(Trees *t)
{
    g_free(t->qemu);
    g_free(t->ours);
}

/* Comparing ----------------------------------------------------------------------- */

/* Properties of @node: name -> GBytes */
static GHashTable *node_props(const void *fdt, int node)
{
    GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                          (GDestroyNotify)g_bytes_unref);
    int off;

    fdt_for_each_property_offset(off, fdt, node) {
        const char *name;
        int len;
        const void *v = fdt_getprop_by_offset(fdt, off, &name, &len);
        g_assert_nonnull(v);
        g_hash_table_insert(h, (gpointer)name, g_bytes_new(v, len));
    }
    return h;
}

/* g_ptr_array_sort() passes pointers to the elements */
static gint cmp_strp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Subnode names of @node (sorted), optionally only those starting with @prefix */
static GPtrArray *subnode_names(const void *fdt, int node, const char *prefix)
{
    GPtrArray *a = g_ptr_array_new();
    int sub;

    fdt_for_each_subnode(sub, fdt, node) {
        const char *name = fdt_get_name(fdt, sub, NULL);
        if (!prefix || g_str_has_prefix(name, prefix)) {
            g_ptr_array_add(a, (gpointer)name);
        }
    }
    g_ptr_array_sort(a, cmp_strp);
    return a;
}

static char *hex_dump(GBytes *b)
{
    gsize len;
    const uint8_t *p = g_bytes_get_data(b, &len);
    GString *s = g_string_new(NULL);

    for (gsize i = 0; i < len && i < 48; i++) {
        g_string_append_printf(s, "%02x", p[i]);
    }
    if (len > 48) {
        g_string_append_printf(s, "... (%" G_GSIZE_FORMAT " bytes)", len);
    }
    return g_string_free(s, FALSE);
}

/* The tuples of a node's four DRC arrays, sorted; NULL (and a mismatch) if malformed. */
static GPtrArray *drc_tuples(const void *fdt, int node, const char *who, const char *path,
                             GPtrArray *mismatches)
{
    int li, ln, lt, lp;
    const fdt32_t *idx = fdt_getprop(fdt, node, "ibm,drc-indexes", &li);
    const char *names = fdt_getprop(fdt, node, "ibm,drc-names", &ln);
    const char *types = fdt_getprop(fdt, node, "ibm,drc-types", &lt);
    const fdt32_t *power = fdt_getprop(fdt, node, "ibm,drc-power-domains", &lp);
    GPtrArray *a;
    uint32_t n;
    const char *np, *tp;

    if (!idx && !names && !types && !power) {
        return g_ptr_array_new_with_free_func(g_free);
    }
    if (!idx || !names || !types || !power || li < 4 || ln < 4 || lt < 4 || lp < 4) {
        g_ptr_array_add(mismatches, g_strdup_printf("%s: %s: incomplete ibm,drc-* set", path,
                                                    who));
        return NULL;
    }
    n = fdt32_to_cpu(idx[0]);
    if (fdt32_to_cpu(*(const fdt32_t *)names) != n || fdt32_to_cpu(*(const fdt32_t *)types) != n ||
        fdt32_to_cpu(power[0]) != n || li != 4 * (int)(n + 1) || lp != 4 * (int)(n + 1)) {
        g_ptr_array_add(mismatches, g_strdup_printf("%s: %s: ibm,drc-* counts disagree", path,
                                                    who));
        return NULL;
    }
    a = g_ptr_array_new_with_free_func(g_free);
    np = names + 4;
    tp = types + 4;
    for (uint32_t i = 0; i < n; i++) {
        if (np >= names + ln || tp >= types + lt) {
            g_ptr_array_add(mismatches, g_strdup_printf("%s: %s: ibm,drc-names/types too short",
                                                        path, who));
            g_ptr_array_unref(a);
            return NULL;
        }
        g_ptr_array_add(a, g_strdup_printf("index 0x%08x name \"%s\" type \"%s\" power 0x%08x",
                                           fdt32_to_cpu(idx[1 + i]), np, tp,
                                           fdt32_to_cpu(power[1 + i])));
        np += strlen(np) + 1;
        tp += strlen(tp) + 1;
    }
    if (np != names + ln || tp != types + lt) {
        g_ptr_array_add(mismatches, g_strdup_printf("%s: %s: trailing bytes in ibm,drc-names/types",
                                                    path, who));
    }
    g_ptr_array_sort(a, cmp_strp);
    return a;
}

static void compare_drc_tuples(const Trees *t, int qnode, int onode, const char *path,
                               GPtrArray *mismatches)
{
    g_autoptr(GPtrArray) q = drc_tuples(t->qemu, qnode, "QEMU", path, mismatches);
    g_autoptr(GPtrArray) o = drc_tuples(t->ours, onode, "ours", path, mismatches);
    guint i = 0, j = 0;

    if (!q || !o) {
        return;
    }
    if (q->len != o->len) {
        g_ptr_array_add(mismatches, g_strdup_printf("%s: %u DRCs in QEMU, %u in ours", path,
                                                    q->len, o->len));
    }
    /* merge of two sorted lists: report what only one side has (and duplicates) */
    while (i < q->len || j < o->len) {
        int c = i == q->len ? 1 : j == o->len ? -1 : strcmp(q->pdata[i], o->pdata[j]);
        if (c < 0) {
            g_ptr_array_add(mismatches, g_strdup_printf("%s: DRC only in QEMU: %s", path,
                                                        (char *)q->pdata[i++]));
        } else if (c > 0) {
            g_ptr_array_add(mismatches, g_strdup_printf("%s: DRC only in ours: %s", path,
                                                        (char *)o->pdata[j++]));
        } else {
            i++;
            j++;
        }
    }
}

/* Every property of the two nodes, then their subnodes, recursively. */
static void compare_node(const Trees *t, int qnode, int onode, const char *path,
                         GPtrArray *mismatches)
{
    g_autoptr(GHashTable) qp = node_props(t->qemu, qnode);
    g_autoptr(GHashTable) op = node_props(t->ours, onode);
    g_autoptr(GPtrArray) qsub = subnode_names(t->qemu, qnode, NULL);
    g_autoptr(GPtrArray) osub = subnode_names(t->ours, onode, NULL);
    g_autoptr(GList) qnames = g_list_sort(g_hash_table_get_keys(qp), (GCompareFunc)strcmp);
    g_autoptr(GList) onames = g_list_sort(g_hash_table_get_keys(op), (GCompareFunc)strcmp);
    bool drc_done = false;

    for (GList *l = qnames; l; l = l->next) {
        const char *name = l->data;
        const IntendedDiff *d = intended_diff(path, name);
        GBytes *ov = g_hash_table_lookup(op, name);

        if (d && d->kind == DIFF_DRC_TUPLES) {
            if (!drc_done) {
                g_test_message("%s: ibm,drc-*: %s", path, d->reason);
                compare_drc_tuples(t, qnode, onode, path, mismatches);
                drc_done = true;
            }
            continue;
        }
        if (!ov) {
            g_autofree char *qhex = hex_dump(g_hash_table_lookup(qp, name));
            g_ptr_array_add(mismatches, g_strdup_printf("%s: %s only in QEMU (%s)", path, name,
                                                        qhex));
        } else if (!g_bytes_equal(ov, g_hash_table_lookup(qp, name))) {
            g_autofree char *qhex = hex_dump(g_hash_table_lookup(qp, name));
            g_autofree char *ohex = hex_dump(ov);
            g_ptr_array_add(mismatches, g_strdup_printf("%s: %s differs: QEMU %s, ours %s", path,
                                                        name, qhex, ohex));
        }
    }
    for (GList *l = onames; l; l = l->next) {
        const char *name = l->data;
        const IntendedDiff *d = intended_diff(path, name);

        if (d && d->kind == DIFF_DRC_TUPLES) {
            if (!drc_done) {
                compare_drc_tuples(t, qnode, onode, path, mismatches);
                drc_done = true;
            }
            continue;
        }
        if (!g_hash_table_contains(qp, name)) {
            g_autofree char *ohex = hex_dump(g_hash_table_lookup(op, name));
            g_ptr_array_add(mismatches, g_strdup_printf("%s: %s only in ours (%s)", path, name,
                                                        ohex));
        }
    }

    for (guint i = 0; i < qsub->len; i++) {
        const char *name = qsub->pdata[i];
        int q = fdt_subnode_offset(t->qemu, qnode, name);
        int o = fdt_subnode_offset(t->ours, onode, name);
        g_autofree char *sub = g_strdup_printf("%s/%s", path, name);

        if (o < 0) {
            g_ptr_array_add(mismatches, g_strdup_printf("%s: node only in QEMU", sub));
            continue;
        }
        compare_node(t, q, o, sub, mismatches);
    }
    for (guint i = 0; i < osub->len; i++) {
        const char *name = osub->pdata[i];
        if (fdt_subnode_offset(t->qemu, qnode, name) < 0) {
            g_ptr_array_add(mismatches, g_strdup_printf("%s/%s: node only in ours", path, name));
        }
    }
}

/* All PHB nodes (/pci@...) and what is under them; returns the mismatches. */
static GPtrArray *compare_phbs(const Trees *t, unsigned *nphbs)
{
    GPtrArray *mismatches = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) q = subnode_names(t->qemu, 0, "pci@");
    g_autoptr(GPtrArray) o = subnode_names(t->ours, 0, "pci@");

    for (guint i = 0; i < q->len; i++) {
        g_autofree char *path = g_strdup_printf("/%s", (char *)q->pdata[i]);
        int qn = fdt_path_offset(t->qemu, path), on = fdt_path_offset(t->ours, path);

        if (on < 0) {
            g_ptr_array_add(mismatches, g_strdup_printf("%s: PHB node only in QEMU", path));
            continue;
        }
        compare_node(t, qn, on, path, mismatches);
    }
    for (guint i = 0; i < o->len; i++) {
        g_autofree char *path = g_strdup_printf("/%s", (char *)o->pdata[i]);
        if (fdt_path_offset(t->qemu, path) < 0) {
            g_ptr_array_add(mismatches, g_strdup_printf("%s: PHB node only in ours", path));
        }
    }
    *nphbs = q->len;
    return mismatches;
}

static void assert_no_mismatch(GPtrArray *mismatches)
{
    g_autofree char *all = NULL;

    g_ptr_array_add(mismatches, NULL);
    all = g_strjoinv("\n", (char **)mismatches->pdata);
    g_ptr_array_remove_index(mismatches, mismatches->len - 1);
    g_assert_cmpstr(all, ==, "");
}

/* Check one configuration: the PHB nodes must match, and there must be @expect_phbs of them. */
static void check_config(const char *ours, const char *qemu, unsigned expect_phbs,
                         const char *expect_device_node)
{
    Trees t;
    unsigned n = 0;
    g_autoptr(GPtrArray) mismatches = NULL;

    if (!dump_both(&t, ours, qemu)) {
        return;
    }
    mismatches = compare_phbs(&t, &n);
    assert_no_mismatch(mismatches);
    g_assert_cmpuint(n, ==, expect_phbs);
    /* the device node really was compared */
    if (expect_device_node) {
        g_assert_cmpint(fdt_path_offset(t.qemu, expect_device_node), >=, 0);
        g_assert_cmpint(fdt_path_offset(t.ours, expect_device_node), >=, 0);
    }
    trees_free(&t);
}

/* Configurations -------------------------------------------------------------------- */

static void test_default_phb(void)
{
    check_config("", "", 1, NULL);
}

static void test_phb0_edu(void)
{
    check_config("-device edu,addr=3.0", "-device edu,addr=3.0", 1,
                 "/pci@800000020000000/legacy-device@3");
}

static void test_extra_phbs(void)
{
    check_config("-device spapr-pci-host-bridge,index=1 "
                 "-device spapr-pci-host-bridge,index=5,id=phb5 "
                 "-device edu,pcie=off,bus=phb5.0",
                 "-device spapr-pci-host-bridge,index=1 "
                 "-device spapr-pci-host-bridge,index=5,id=phb5 "
                 "-device edu,bus=phb5.0",
                 3, "/pci@800000020000005/legacy-device@0");
}

static void test_phb_options(void)
{
    const char *phb = "-device spapr-pci-host-bridge,index=2,ddw=off,"
                      "pcie-extended-configuration-space=off,mem64_win_size=0";

    check_config(phb, phb, 2, NULL);
}

static void test_multifunction(void)
{
    const char *devs = "-device edu,addr=3.0,multifunction=on -device edu,addr=3.1";

    check_config(devs, devs, 1, "/pci@800000020000000/legacy-device@3,1");
}

static void test_no_dr_numa_phb(void)
{
    /* the second unnamed PCI bus is pci.1 on both */
    const char *devs = "-device spapr-pci-host-bridge,index=3,dynamic-reconfiguration=off,"
                       "numa_node=0 -device edu,bus=pci.1,addr=1.0";

    check_config(devs, devs, 2, "/pci@800000020000003/legacy-device@1");
}

static void test_root_drc_indexes(void)
{
    Trees t;
    g_autoptr(GPtrArray) mismatches = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) tuples = NULL;

    if (!dump_both(&t, "-device spapr-pci-host-bridge,index=4", "-device "
                   "spapr-pci-host-bridge,index=4")) {
        return;
    }
    compare_drc_tuples(&t, 0, 0, "/", mismatches);
    assert_no_mismatch(mismatches);
    /* and it is the 31 PHB connectors, whichever PHBs are plugged */
    tuples = drc_tuples(t.ours, 0, "ours", "/", mismatches);
    g_assert_nonnull(tuples);
    g_assert_cmpuint(tuples->len, ==, 31);
    g_assert_cmpstr(tuples->pdata[0], ==,
                    "index 0x20000000 name \"PHB 0\" type \"PHB\" power 0xffffffff");
    g_assert_cmpstr(tuples->pdata[30], ==,
                    "index 0x2000001e name \"PHB 30\" type \"PHB\" power 0xffffffff");
    trees_free(&t);
}

/* The comparison can fail: a PHB without DDW against QEMU's default one. */
static void test_comparator_detects_difference(void)
{
    Trees t;
    unsigned n = 0;
    g_autoptr(GPtrArray) mismatches = NULL;

    if (!dump_both(&t, "-device spapr-pci-host-bridge,index=2,ddw=off",
                   "-device spapr-pci-host-bridge,index=2")) {
        return;
    }
    mismatches = compare_phbs(&t, &n);
    g_assert_cmpuint(mismatches->len, ==, 2);
    g_assert_true(g_str_has_prefix(mismatches->pdata[0],
                                   "/pci@800000020000002: ibm,ddw-applicable only in QEMU "
                                   "(000020260000202700002028)"));
    g_assert_true(g_str_has_prefix(mismatches->pdata[1],
                                   "/pci@800000020000002: ibm,ddw-extensions only in QEMU "
                                   "(000000020000202900000001)"));
    trees_free(&t);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/spapr-dt-compare/default-phb", test_default_phb);
    g_test_add_func("/spapr-dt-compare/phb0-edu", test_phb0_edu);
    g_test_add_func("/spapr-dt-compare/extra-phbs", test_extra_phbs);
    g_test_add_func("/spapr-dt-compare/phb-options", test_phb_options);
    g_test_add_func("/spapr-dt-compare/multifunction", test_multifunction);
    g_test_add_func("/spapr-dt-compare/no-dr-numa-phb", test_no_dr_numa_phb);
    g_test_add_func("/spapr-dt-compare/root-drc-indexes", test_root_drc_indexes);
    g_test_add_func("/spapr-dt-compare/comparator-detects-difference",
                    test_comparator_detects_difference);
    return g_test_run();
}
