/*
 * The pseries device tree: -machine dumpdtb=FILE, QMP dumpdtb, structure
 * read back with libfdt, and a clean decompile by dtc.
 */
#include "libqos/spapr.h"

#include <libfdt.h>
#include <string.h>
#include <glib/gstdio.h>

static void *load_dtb(const char *path, gsize *len)
{
    gchar *data = NULL;

    g_assert_true(g_file_get_contents(path, &data, len, NULL));
    g_assert_cmpint(fdt_check_full(data, *len), ==, 0);
    return data;
}

static char *dump_with_option(const char *extra, const char *dir)
{
    g_autofree char *path = g_strdup_printf("%s/tree.dtb", dir);
    g_autofree char *cmd = g_strdup_printf("%s -machine pseries,dumpdtb=%s %s -display none",
                                           qtest_binary(), path, extra);
    g_autofree char *out = NULL, *err = NULL;
    g_autofree char *expect = g_strdup_printf("dtb dumped to %s. Exiting.", path);
    int status;

    g_assert_true(g_spawn_command_line_sync(cmd, &out, &err, &status, NULL));
    g_assert_true(g_spawn_check_wait_status(status, NULL));
    g_assert_nonnull(strstr(err, expect));
    g_assert_cmpstr(out, ==, "");
    return g_steal_pointer(&path);
}

static uint32_t prop_cell(const void *fdt, int node, const char *name, int idx)
{
    int len;
    const fdt32_t *p = fdt_getprop(fdt, node, name, &len);

    g_assert_nonnull(p);
    g_assert_cmpint(len, >=, 4 * (idx + 1));
    return fdt32_to_cpu(p[idx]);
}

static void test_dumpdtb_structure(void)
{
    g_autofree char *dir = qtest_tmpdir();
    g_autofree char *path = dump_with_option("-m 2G", dir);
    gsize len;
    g_autofree void *fdt = load_dtb(path, &len);
    int node, len2;
    const char *s;

    g_assert_cmpstr(fdt_getprop(fdt, 0, "compatible", NULL), ==, "qemu,pseries");
    g_assert_cmpstr(fdt_getprop(fdt, 0, "device_type", NULL), ==, "chrp");
    g_assert_nonnull(fdt_getprop(fdt, 0, "model", NULL));
    g_assert_cmpuint(prop_cell(fdt, 0, "#address-cells", 0), ==, 2);
    g_assert_cmpuint(prop_cell(fdt, 0, "#size-cells", 0), ==, 2);

    node = fdt_path_offset(fdt, "/memory@0");
    g_assert_cmpint(node, >=, 0);
    g_assert_cmpuint(prop_cell(fdt, node, "reg", 2), ==, 0);
    g_assert_cmpuint(prop_cell(fdt, node, "reg", 3) | (uint64_t)prop_cell(fdt, node, "reg", 2) << 32,
                     ==, 2ull << 30);
    g_assert_cmpint(fdt_path_offset(fdt, "/cpus"), >=, 0);
    g_assert_cmpint(fdt_path_offset(fdt, "/chosen"), >=, 0);
    g_assert_cmpint(fdt_path_offset(fdt, "/vdevice"), >=, 0);

    /* RTAS tokens: QEMU's numbers, one property per call */
    node = fdt_path_offset(fdt, "/rtas");
    g_assert_cmpint(node, >=, 0);
    g_assert_cmphex(prop_cell(fdt, node, "get-time-of-day", 0), ==, 0x2001);
    g_assert_cmphex(prop_cell(fdt, node, "set-time-of-day", 0), ==, 0x2002);
    g_assert_cmphex(prop_cell(fdt, node, "check-exception", 0), ==, 0x200e);
    g_assert_cmphex(prop_cell(fdt, node, "event-scan", 0), ==, 0x200f);
    g_assert_cmphex(prop_cell(fdt, node, "set-indicator", 0), ==, 0x201a);
    g_assert_cmphex(prop_cell(fdt, node, "get-sensor-state", 0), ==, 0x201d);
    g_assert_cmphex(prop_cell(fdt, node, "ibm,configure-connector", 0), ==, 0x201e);
    g_assert_cmphex(prop_cell(fdt, node, "ibm,get-system-parameter", 0), ==, 0x2008);
    g_assert_cmphex(prop_cell(fdt, node, "ibm,read-pci-config", 0), ==, 0x2016);
    g_assert_cmpuint(prop_cell(fdt, node, "rtas-size", 0), ==, 0x82c);
    s = fdt_getprop(fdt, node, "ibm,hypertas-functions", &len2);
    g_assert_nonnull(s);
    g_assert_nonnull(memmem(s, len2, "hcall-multi-tce", 15));

    /* interrupt controller with the phandle PCI interrupt maps point to */
    node = fdt_path_offset(fdt, "/interrupt-controller");
    g_assert_cmpint(node, >=, 0);
    g_assert_cmphex(fdt_get_phandle(fdt, node), ==, 0x1111);
    g_assert_nonnull(fdt_getprop(fdt, node, "interrupt-controller", NULL));
    node = fdt_path_offset(fdt, "/event-sources/epow-events");
    g_assert_cmpint(node, >=, 0);
    g_assert_cmphex(prop_cell(fdt, node, "interrupts", 0), ==, 0x1000);
    node = fdt_path_offset(fdt, "/event-sources/hot-plug-events");
    g_assert_cmphex(prop_cell(fdt, node, "interrupts", 0), ==, 0x1001);

    /* PHB DRCs on the root: 31 logical connectors */
    g_assert_cmpuint(prop_cell(fdt, 0, "ibm,drc-indexes", 0), ==, 31);
    g_assert_cmphex(prop_cell(fdt, 0, "ibm,drc-indexes", 1), ==, 0x20000000);
    g_assert_cmphex(prop_cell(fdt, 0, "ibm,drc-indexes", 31), ==, 0x2000001e);
    s = fdt_getprop(fdt, 0, "ibm,drc-names", NULL);
    g_assert_cmpstr(s + 4, ==, "PHB 0");

    /* PHB 0 exists even with no -device */
    g_assert_cmpint(fdt_path_offset(fdt, "/pci@800000020000000"), >=, 0);
    g_unlink(path);
    g_rmdir(dir);
}

static void test_dtc_clean(void)
{
    g_autofree char *dir = qtest_tmpdir();
    g_autofree char *path = dump_with_option("", dir);
    g_autofree char *cmd = g_strdup_printf("dtc -I dtb -O dts %s", path);
    g_autofree char *out = NULL, *err = NULL;
    int status;

    g_autofree char *dtc = g_find_program_in_path("dtc");

    if (!dtc) {
        g_test_skip("dtc (device-tree-compiler) is not installed");
        return;
    }
    g_assert_true(g_spawn_command_line_sync(cmd, &out, &err, &status, NULL));
    g_assert_true(g_spawn_check_wait_status(status, NULL));
    g_assert_cmpstr(err, ==, "");              /* no error, no warning */
    g_assert_nonnull(strstr(out, "compatible = \"qemu,pseries\";"));
    g_unlink(path);
    g_rmdir(dir);
}

static void test_qmp_dumpdtb(void)
{
    QTestState *qts = qtest_init("-machine pseries");
    g_autofree char *dir = qtest_tmpdir();
    g_autofree char *path = g_strdup_printf("%s/live.dtb", dir);
    JsonObject *rsp;
    gsize len;
    g_autofree void *fdt = NULL;

    rsp = qtest_qmp(qts, "{\"execute\": \"dumpdtb\", \"arguments\": {\"filename\": \"%s\"}}",
                    path);
    qmp_rsp_return(rsp);
    json_object_unref(rsp);
    fdt = load_dtb(path, &len);
    g_assert_cmpint(fdt_path_offset(fdt, "/rtas"), >=, 0);

    rsp = qtest_qmp(qts, "{\"execute\": \"dumpdtb\", \"arguments\": "
                    "{\"filename\": \"/nonexistent/dir/x.dtb\"}}");
    g_assert_true(qmp_rsp_is_err(rsp));
    g_assert_nonnull(strstr(qmp_rsp_error_desc(rsp), "/nonexistent/dir/x.dtb"));
    json_object_unref(rsp);
    rsp = qtest_qmp(qts, "{\"execute\": \"dumpdtb\"}");
    g_assert_cmpstr(qmp_rsp_error_class(rsp), ==, "GenericError");
    json_object_unref(rsp);
    qtest_quit(qts);
    g_unlink(path);
    g_rmdir(dir);
}

static void test_dumpdtb_bad_path(void)
{
    g_autofree char *cmd = g_strdup_printf("%s -machine pseries,dumpdtb=/nonexistent/d/x.dtb "
                                           "-display none", qtest_binary());
    g_autofree char *out = NULL, *err = NULL;
    int status;

    g_assert_true(g_spawn_command_line_sync(cmd, &out, &err, &status, NULL));
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 1);
    g_assert_nonnull(strstr(err, "/nonexistent/d/x.dtb"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/spapr/fdt/dumpdtb-structure", test_dumpdtb_structure);
    g_test_add_func("/spapr/fdt/dtc-clean", test_dtc_clean);
    g_test_add_func("/spapr/fdt/qmp-dumpdtb", test_qmp_dumpdtb);
    g_test_add_func("/spapr/fdt/dumpdtb-bad-path", test_dumpdtb_bad_path);
    return g_test_run();
}
