/*
 * spapr-pci-vfio-host-bridge on the VFIO simulator: one PHB per group and
 * the functions behind it, every realize error with nothing left behind,
 * device DMA through guest TCEs in both windows for both IOMMU backends,
 * host mappings equal to the guest's tables after every step, map failure
 * injection, interrupts, and clean teardown.
 */
#include "libqos/edu.h"
#include "libqos/vfio-sim.h"

#include <libfdt.h>
#include <string.h>
#include <glib/gstdio.h>

#define H_SUCCESS 0
#define H_HARDWARE (-1)
#define H_PARAMETER (-4)
#define H_RESOURCE (-16)
#define TCE_RW 3ull

#define PHB 1
#define LIOBN(n) SPAPR_LIOBN(PHB, n)
#define EDU_DEVFN 0
#define TCE_LIST 0x3ff000       /* guest RAM for H_PUT_TCE_INDIRECT's lists */

typedef struct Vm {
    QTestState *qts;
    const char *iommu;
} Vm;

static QTestState *start_sim(const char *iommu_type, const char *extra)
{
    return qtest_initf("-machine pseries -m 1G -object vfio-sim,id=sim0,iommu-type=%s %s",
                       iommu_type, extra ? extra : "");
}

/* device_add that must fail: its message must contain every @needle, and leave nothing */
static void add_must_fail(QTestState *qts, const char *props, const char *const *needles)
{
    int64_t fds = qvfio_sim_open_fds(qts, "sim0");
    unsigned phbs = qos_phb_count(qts);
    JsonObject *rsp = qtest_qmp(qts, "{\"execute\": \"device_add\", \"arguments\": "
                                "{\"driver\": \"spapr-pci-vfio-host-bridge\", \"id\": \"bad\", %s}}",
                                props);

    g_assert_true(qmp_rsp_is_err(rsp));
    for (int i = 0; needles[i]; i++) {
        if (!strstr(qmp_rsp_error_desc(rsp), needles[i])) {
            g_error("'%s' does not say '%s'", qmp_rsp_error_desc(rsp), needles[i]);
        }
    }
    json_object_unref(rsp);
    g_assert_cmpint(qvfio_sim_open_fds(qts, "sim0"), ==, fds);
    g_assert_cmpuint(qos_phb_count(qts), ==, phbs);
    rsp = qtest_qmp(qts, "{\"execute\": \"qom-list\", \"arguments\": "
                    "{\"path\": \"/machine/peripheral/bad\"}}");
    g_assert_cmpstr(qmp_rsp_error_class(rsp), ==, "DeviceNotFound");
    json_object_unref(rsp);
}

/* Topology ------------------------------------------------------------------------ */

static void test_one_phb_per_group(void)
{
    QTestState *qts = start_sim("spapr-tce-v2",
        "-device spapr-pci-vfio-host-bridge,id=g1,index=1,iommu=1,vfio-sim=sim0 "
        "-device spapr-pci-vfio-host-bridge,id=g2,index=2,iommu=2,vfio-sim=sim0 "
        "-device spapr-pci-vfio-host-bridge,id=g3,index=3,iommu=3,vfio-sim=sim0");
    JsonObject *rsp = qtest_qmp(qts, "{\"execute\": \"query-pci\"}");
    JsonArray *buses = json_node_get_array(qmp_rsp_return(rsp));
    uint32_t v;
    JsonArray *devs;

    /* PHB 0 (emulated, empty), then one bus per group */
    g_assert_cmpuint(json_array_get_length(buses), ==, 4);
    devs = json_object_get_array_member(json_array_get_object_element(buses, 1), "devices");
    g_assert_cmpuint(json_array_get_length(devs), ==, 1);
    devs = json_object_get_array_member(json_array_get_object_element(buses, 2), "devices");
    g_assert_cmpuint(json_array_get_length(devs), ==, 2);       /* group 2: .0 and .1 */
    g_assert_cmpint(json_object_get_int_member(json_array_get_object_element(devs, 0), "slot"),
                    ==, 0);
    g_assert_cmpint(json_object_get_int_member(json_array_get_object_element(devs, 1),
                                               "function"), ==, 1);
    json_object_unref(rsp);

    /* config space through RTAS reaches the host function */
    g_assert_cmpint(qrtas_cfg_read(qts, 1, 0, 0, 4, &v), ==, 0);
    g_assert_cmphex(v, ==, 0x11e81234);
    g_assert_cmpint(qrtas_cfg_read(qts, 2, 1, 0, 2, &v), ==, 0);
    g_assert_cmphex(v, ==, 0x1234);
    /* extended config space: reachable for the PCIe function, not the conventional one */
    g_assert_cmpint(qrtas_cfg_read(qts, 1, 0, 0x100, 4, &v), ==, 0);
    g_assert_cmpint(qrtas_cfg_read(qts, 3, 0, 0x100, 4, &v), ==, -1);
    /* nothing of group 2 appears behind group 1's PHB */
    g_assert_cmpint(qrtas_cfg_read(qts, 1, 1, 0, 4, &v), ==, -1);

    /* functions at the same devfn behind two PHBs each reach their own BAR */
    for (unsigned phb = 1; phb <= 2; phb++) {
        g_assert_cmpint(qrtas_cfg_write(qts, phb, 0, 0x10, 4, SPAPR_PCI_BUS_MEM32), ==, 0);
        g_assert_cmpint(qrtas_cfg_write(qts, phb, 0, 0x04, 2, 0x2), ==, 0);
    }
    qedu_writel(qts, 1, EDU_REG_LIVENESS, 0x11111111);
    qedu_writel(qts, 2, EDU_REG_LIVENESS, 0x22222222);
    g_assert_cmphex(qedu_readl(qts, 1, EDU_REG_LIVENESS), ==, ~0x11111111u);
    g_assert_cmphex(qedu_readl(qts, 2, EDU_REG_LIVENESS), ==, ~0x22222222u);
    qtest_quit(qts);
}

static void test_device_tree(void)
{
    g_autofree char *dir = qtest_tmpdir();
    g_autofree char *path = g_strdup_printf("%s/v.dtb", dir);
    QTestState *qts = start_sim("spapr-tce-v2",
        "-device spapr-pci-vfio-host-bridge,id=g1,index=1,iommu=1,vfio-sim=sim0 "
        "-device spapr-pci-vfio-host-bridge,id=g3,index=3,iommu=3,vfio-sim=sim0");
    JsonObject *rsp = qtest_qmp(qts, "{\"execute\": \"dumpdtb\", \"arguments\": "
                                "{\"filename\": \"%s\"}}", path);
    g_autofree char *fdt = NULL;
    int node;

    qmp_rsp_return(rsp);
    json_object_unref(rsp);
    g_assert_true(g_file_get_contents(path, &fdt, NULL, NULL));
    node = fdt_path_offset(fdt, "/pci@800000020000001/legacy-device@0");
    g_assert_cmpint(node, >=, 0);
    g_assert_nonnull(fdt_getprop(fdt, node, "ibm,pci-config-space-type", NULL));
    g_assert_cmpstr(fdt_getprop(fdt, node, "ibm,loc-code", NULL), ==,
                    "vfio_vfio-pci:0001:00:00.0");
    node = fdt_path_offset(fdt, "/pci@800000020000003/legacy-device@0");
    g_assert_cmpint(node, >=, 0);
    g_assert_null(fdt_getprop(fdt, node, "ibm,pci-config-space-type", NULL));
    node = fdt_path_offset(fdt, "/pci@800000020000001");
    g_assert_cmpint(fdt32_to_cpu(*(fdt32_t *)fdt_getprop(fdt, node, "ibm,dma-window", NULL)),
                    ==, SPAPR_LIOBN(1, 0));
    qtest_quit(qts);
    g_unlink(path);
    g_rmdir(dir);
}

/* Errors ---------------------------------------------------------------------------- */

static void test_realize_errors(void)
{
    QTestState *qts = start_sim("spapr-tce-v2",
                                "-device spapr-pci-vfio-host-bridge,id=g1,index=1,iommu=1,vfio-sim=sim0");
    static const char *const missing_prop[] = { "'bad'", "'iommu'", "required", NULL };
    static const char *const missing[] = { "'bad'", "group 9", "does not exist", NULL };
    static const char *const not_viable[] = { "group 4 is not viable", "0000:04:00.1", "e1000e", NULL };
    static const char *const owned[] = { "group 1", "already owned", "'g1'", NULL };
    static const char *const eacces[] = { "group 3", "no permission", NULL };
    static const char *const no_sim[] = { "vfio-sim", "nosim", NULL };
    /* guest RAM is registered once per process (as the kernel's mm does), so
     * here it is the new host window's table that no longer fits */
    static const char *const memlock[] = { "group 3", "TCE_CREATE", "Cannot allocate memory", NULL };
    JsonObject *rsp;

    add_must_fail(qts, "\"index\": 5, \"vfio-sim\": \"sim0\"", missing_prop);
    add_must_fail(qts, "\"index\": 5, \"iommu\": 9, \"vfio-sim\": \"sim0\"", missing);
    add_must_fail(qts, "\"index\": 5, \"iommu\": 4, \"vfio-sim\": \"sim0\"", not_viable);
    add_must_fail(qts, "\"index\": 5, \"iommu\": 1, \"vfio-sim\": \"sim0\"", owned);
    add_must_fail(qts, "\"index\": 5, \"iommu\": 3, \"vfio-sim\": \"nosim\"", no_sim);
    qvfio_sim_inject(qts, "sim0", "\"fault\": \"eacces\", \"group\": 3");
    add_must_fail(qts, "\"index\": 5, \"iommu\": 3, \"vfio-sim\": \"sim0\"", eacces);
    qvfio_sim_inject(qts, "sim0", "\"fault\": \"eacces\", \"group\": 3, \"clear\": true");
    qvfio_sim_inject(qts, "sim0", "\"fault\": \"memlock\", \"bytes\": 1048576");
    add_must_fail(qts, "\"index\": 5, \"iommu\": 3, \"vfio-sim\": \"sim0\"", memlock);
    qvfio_sim_inject(qts, "sim0", "\"fault\": \"memlock\", \"bytes\": 0");

    /* after all that, the same index and group work */
    rsp = qtest_qmp(qts, "{\"execute\": \"device_add\", \"arguments\": {\"driver\": "
                    "\"spapr-pci-vfio-host-bridge\", \"id\": \"g3\", \"index\": 5, \"iommu\": 3, "
                    "\"vfio-sim\": \"sim0\"}}");
    qmp_rsp_return(rsp);
    json_object_unref(rsp);
    g_assert_cmpuint(qos_phb_count(qts), ==, 3);
    qtest_quit(qts);
}

static void test_register_memory_limit(void)
{
    QTestState *qts = qtest_init("-machine pseries -m 1G "
                                 "-object vfio-sim,id=sim0,memlock-limit=1048576");
    static const char *const needles[] = { "group 1", "REGISTER_MEMORY", "1024 MiB",
                                           "locked-memory", NULL };

    add_must_fail(qts, "\"index\": 1, \"iommu\": 1, \"vfio-sim\": \"sim0\"", needles);
    qtest_quit(qts);
}

/* Groups laid out by a topology file: what can and cannot become a PHB */
static void test_topology_layouts(void)
{
    g_autofree char *dir = qtest_tmpdir();
    g_autofree char *path = g_strdup_printf("%s/topo.ini", dir);
    g_autoptr(GString) topo = g_string_new(
        "[group 5]\ndevices=0000:05:00.0;0000:05:00.1\n"
        "[device 0000:05:00.1]\ndriver=\n"          /* unbound: viable, not assigned */
        "[group 6]\ndevices=0000:06:00.0;0000:06:01.1\n"
        "[group 7]\ndevices=");
    g_autofree char *args = NULL;
    static const char *const no_fn0[] = { "group 6", "0000:06:01.1", "no function 0", NULL };
    static const char *const too_many[] = { "group 7", "more than 32 devices", NULL };
    QTestState *qts;
    JsonObject *rsp;
    JsonArray *buses;

    /* 33 devices: a whole host bus of 32 and one more on the next bus */
    for (int d = 0; d < 32; d++) {
        g_string_append_printf(topo, "%s0000:07:%02x.0", d ? ";" : "", d);
    }
    g_string_append(topo, ";0000:08:00.0");
    g_string_append_c(topo, '\n');
    g_assert_true(g_file_set_contents(path, topo->str, -1, NULL));
    args = g_strdup_printf("-machine pseries -m 1G -object vfio-sim,id=sim0,topology=%s", path);
    qts = qtest_init(args);

    /* the unbound function stays on the host; the bound one is the PHB's */
    qtest_qmp_device_add(qts, "spapr-pci-vfio-host-bridge", "g5",
                         "\"index\": 5, \"iommu\": 5, \"vfio-sim\": \"sim0\"");
    rsp = qtest_qmp(qts, "{\"execute\": \"query-pci\"}");
    buses = json_node_get_array(qmp_rsp_return(rsp));
    g_assert_cmpuint(json_array_get_length(json_object_get_array_member(
        json_array_get_object_element(buses, 1), "devices")), ==, 1);
    json_object_unref(rsp);
    add_must_fail(qts, "\"index\": 6, \"iommu\": 6, \"vfio-sim\": \"sim0\"", no_fn0);
    add_must_fail(qts, "\"index\": 7, \"iommu\": 7, \"vfio-sim\": \"sim0\"", too_many);
    qtest_quit(qts);
    g_unlink(path);
    g_rmdir(dir);
}

/* DMA and host mappings ------------------------------------------------------------ */

/*
 * The host's mappings, page by page (4 KiB), must be exactly @expect:
 * iova page -> gpa page.  This is "host mappings equal the guest's table".
 */
static void assert_host_mappings(QTestState *qts, GHashTable *expect)
{
    g_autoptr(JsonArray) maps = qvfio_sim_mappings(qts, "sim0");
    g_autoptr(GHashTable) host = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
                                                       g_free);
    GHashTableIter it;
    gpointer k, v;

    g_assert_nonnull(maps);             /* one container */
    for (guint i = 0; i < json_array_get_length(maps); i++) {
        JsonObject *m = json_array_get_object_element(maps, i);
        uint64_t iova = json_object_get_int_member(m, "iova");
        uint64_t size = json_object_get_int_member(m, "size");
        int64_t gpa = json_object_get_int_member(m, "gpa");
        g_assert_cmpint(gpa, >=, 0);            /* never outside guest RAM */
        for (uint64_t off = 0; off < size; off += 4096) {
            g_hash_table_insert(host, g_memdup2(&(uint64_t){ iova + off }, 8),
                                g_memdup2(&(uint64_t){ gpa + off }, 8));
        }
    }
    g_assert_cmpuint(g_hash_table_size(host), ==, g_hash_table_size(expect));
    g_hash_table_iter_init(&it, expect);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        uint64_t *h = g_hash_table_lookup(host, k);
        if (!h || *h != *(uint64_t *)v) {
            g_error("iova 0x%" G_GINT64_MODIFIER "x: host maps %s, guest table says 0x%"
                    G_GINT64_MODIFIER "x", *(uint64_t *)k, h ? "another page" : "nothing",
                    *(uint64_t *)v);
        }
    }
}

static void expect_map(GHashTable *e, uint64_t iova, uint64_t gpa, uint64_t size)
{
    for (uint64_t off = 0; off < size; off += 4096) {
        g_hash_table_insert(e, g_memdup2(&(uint64_t){ iova + off }, 8),
                            g_memdup2(&(uint64_t){ gpa + off }, 8));
    }
}

static void expect_unmap(GHashTable *e, uint64_t iova, uint64_t size)
{
    for (uint64_t off = 0; off < size; off += 4096) {
        g_hash_table_remove(e, &(uint64_t){ iova + off });
    }
}

static void dma_both_windows(const char *iommu)
{
    QTestState *qts = start_sim(iommu,
        "-device spapr-pci-vfio-host-bridge,id=g1,index=1,iommu=1,vfio-sim=sim0");
    g_autoptr(GHashTable) e = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    uint8_t pattern[64], back[64];
    uint64_t gpa = 0x800000, start, tces[8];
    uint32_t liobn;
    int64_t faults;

    qedu_setup(qts, PHB, EDU_DEVFN);
    g_assert_cmphex(qedu_readl(qts, PHB, 0), ==, 0x010000ed);
    for (unsigned i = 0; i < sizeof(pattern); i++) {
        pattern[i] = 0x30 + i;
    }
    qtest_memwrite(qts, gpa, pattern, sizeof(pattern));
    assert_host_mappings(qts, e);

    /* unmapped: the host IOMMU refuses the device, RAM untouched */
    faults = qvfio_sim_dma_faults(qts, "sim0");
    qtest_memset(qts, gpa + 0x1000, 0x55, 64);
    qedu_dma(qts, PHB, 0x40000, 0x6000, 64, true);
    g_assert_cmpint(qvfio_sim_dma_faults(qts, "sim0"), ==, faults + 1);
    qtest_memread(qts, gpa + 0x1000, back, 64);
    g_assert_cmphex(back[0], ==, 0x55);

    /* default window: two TCEs, one run each (not contiguous in RAM) */
    g_assert_cmpint(qos_h_put_tce(qts, LIOBN(0), 0x5000, gpa | TCE_RW), ==, H_SUCCESS);
    g_assert_cmpint(qos_h_put_tce(qts, LIOBN(0), 0x6000, (gpa + 0x1000) | TCE_RW), ==, H_SUCCESS);
    expect_map(e, 0x5000, gpa, 0x1000);
    expect_map(e, 0x6000, gpa + 0x1000, 0x1000);
    assert_host_mappings(qts, e);
    qedu_dma(qts, PHB, 0x5000, 0x40000, 64, false);
    qedu_dma(qts, PHB, 0x40000, 0x6000, 64, true);
    qtest_memread(qts, gpa + 0x1000, back, 64);
    g_assert_cmpmem(back, 64, pattern, 64);

    /* an indirect batch: 8 contiguous pages become one host run */
    for (unsigned i = 0; i < 8; i++) {
        tces[i] = (0x1000000 + i * 0x1000) | TCE_RW;
    }
    g_assert_cmpint(qos_h_put_tce_list(qts, LIOBN(0), 0x100000, TCE_LIST, tces, 8), ==, H_SUCCESS);
    expect_map(e, 0x100000, 0x1000000, 0x8000);
    assert_host_mappings(qts, e);
    /* clearing part of it: Type1 must split its mapping */
    g_assert_cmpint(qos_h_stuff_tce(qts, LIOBN(0), 0x102000, 0, 2), ==, H_SUCCESS);
    expect_unmap(e, 0x102000, 0x2000);
    assert_host_mappings(qts, e);
    /* replacing a live TCE */
    g_assert_cmpint(qos_h_put_tce(qts, LIOBN(0), 0x5000, (gpa + 0x3000) | TCE_RW), ==, H_SUCCESS);
    expect_map(e, 0x5000, gpa + 0x3000, 0x1000);
    assert_host_mappings(qts, e);

    /* DDW: 64 KiB TCEs; the start comes from the host (sPAPR) or its IOVA ranges (Type1) */
    g_assert_cmpint(qrtas_ddw_create(qts, 0, SPAPR_BUID(PHB), 16, 32, &liobn, &start), ==, 0);
    g_assert_cmphex(liobn, ==, LIOBN(1));
    if (!strcmp(iommu, "spapr-tce-v2")) {
        g_assert_cmphex(start, ==, 1ull << 59);
    } else {
        g_assert_cmphex(start, >=, 1ull << 32);
        g_assert_cmphex(start, <, 1ull << 48);
    }
    g_assert_cmpint(qos_h_put_tce(qts, LIOBN(1), start + 0x10000, 0x800000 | TCE_RW), ==,
                    H_SUCCESS);
    expect_map(e, start + 0x10000, 0x800000, 0x10000);
    assert_host_mappings(qts, e);
    qtest_memset(qts, gpa + 0x200, 0, 64);
    qedu_dma(qts, PHB, 0x40000, start + 0x10200, 64, true);
    qtest_memread(qts, gpa + 0x200, back, 64);
    g_assert_cmpmem(back, 64, pattern, 64);
    /* a TCE outside RAM is refused before the host sees anything */
    g_assert_cmpint(qos_h_put_tce(qts, LIOBN(1), start + 0x20000, (1ull << 30) | TCE_RW), ==,
                    H_PARAMETER);
    assert_host_mappings(qts, e);

    /* a system reset drops every mapping: only the empty default window stays */
    json_object_unref(qtest_qmp(qts, "{\"execute\": \"system_reset\"}"));
    g_hash_table_remove_all(e);
    assert_host_mappings(qts, e);
    qtest_quit(qts);
}

static void test_dma_spapr(void)
{
    dma_both_windows("spapr-tce-v2");
}

static void test_dma_type1(void)
{
    dma_both_windows("type1");
}

static void map_failure(const char *iommu)
{
    QTestState *qts = start_sim(iommu,
        "-device spapr-pci-vfio-host-bridge,id=g1,index=1,iommu=1,vfio-sim=sim0");
    g_autoptr(GHashTable) e = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    uint64_t tces[4], t;

    /* the next MAP_DMA fails with ENOMEM: one contiguous run, all of it refused */
    qvfio_sim_inject(qts, "sim0", "\"fault\": \"map-fail\", \"after\": 0, \"errno\": \"ENOMEM\"");
    for (unsigned i = 0; i < 4; i++) {
        tces[i] = (0x2000000 + i * 0x1000) | TCE_RW;
    }
    g_assert_cmpint(qos_h_put_tce_list(qts, LIOBN(0), 0x10000, TCE_LIST, tces, 4), ==, H_RESOURCE);
    assert_host_mappings(qts, e);
    g_assert_cmpint(qos_h_get_tce(qts, LIOBN(0), 0x10000, &t), ==, H_SUCCESS);
    g_assert_cmphex(t, ==, 0);

    /* four separate runs, the second fails (EFAULT): table keeps exactly the first */
    qvfio_sim_inject(qts, "sim0", "\"fault\": \"map-fail\", \"after\": 1, \"errno\": \"EFAULT\"");
    for (unsigned i = 0; i < 4; i++) {
        tces[i] = (0x2000000 + i * 0x2000) | TCE_RW;
    }
    g_assert_cmpint(qos_h_put_tce_list(qts, LIOBN(0), 0x10000, TCE_LIST, tces, 4), ==, H_HARDWARE);
    expect_map(e, 0x10000, 0x2000000, 0x1000);
    assert_host_mappings(qts, e);
    g_assert_cmpint(qos_h_get_tce(qts, LIOBN(0), 0x10000, &t), ==, H_SUCCESS);
    g_assert_cmphex(t, ==, tces[0]);
    g_assert_cmpint(qos_h_get_tce(qts, LIOBN(0), 0x11000, &t), ==, H_SUCCESS);
    g_assert_cmphex(t, ==, 0);

    /* the fault is spent: the same call now works */
    g_assert_cmpint(qos_h_put_tce_list(qts, LIOBN(0), 0x10000, TCE_LIST, tces, 4), ==, H_SUCCESS);
    for (unsigned i = 0; i < 4; i++) {
        expect_map(e, 0x10000 + i * 0x1000, 0x2000000 + i * 0x2000, 0x1000);
    }
    assert_host_mappings(qts, e);
    qtest_quit(qts);
}

static void test_map_failure_spapr(void)
{
    map_failure("spapr-tce-v2");
}

static void test_map_failure_type1(void)
{
    map_failure("type1");
}

/* Interrupts -------------------------------------------------------------------------- */

static void test_interrupts(void)
{
    QTestState *qts = start_sim("spapr-tce-v2",
        "-device spapr-pci-vfio-host-bridge,id=g1,index=1,iommu=1,vfio-sim=sim0");
    uint32_t rets[4], msi_irq;
    int lsi = 0x1200 + 4 * PHB + 0;     /* slot 0, INTA */

    qedu_setup(qts, PHB, EDU_DEVFN);
    qtest_irq_intercept_in(qts, "/machine/intc");
    /* INTx: raise, see the PHB's LSI, acknowledge */
    qedu_writel(qts, PHB, 0x60, 0x1);
    g_assert_true(qtest_get_irq(qts, lsi));
    qedu_writel(qts, PHB, 0x64, 0x1);
    (void)qedu_readl(qts, PHB, 0x24);
    g_assert_false(qtest_get_irq(qts, lsi));

    /* MSI through ibm,change-msi */
    g_assert_cmpint(qrtas_change_msi(qts, PHB, EDU_DEVFN, 3, 1, rets), ==, 0);    /* MSI */
    g_assert_cmpuint(rets[1], ==, 1);
    g_assert_cmpint(qrtas_query_irq(qts, PHB, EDU_DEVFN, 0, &msi_irq), ==, 0);
    g_assert_cmpint(msi_irq, >=, 0x1300);
    qedu_writel(qts, PHB, 0x60, 0x2);
    g_assert_cmpuint(qtest_irq_raise_count(qts, msi_irq), ==, 1);
    qtest_quit(qts);
}

/* MSI-X ----------------------------------------------------------------------------- */

#define MSIX_TABLE 0x80000      /* in BAR0, as the simulator's functions have it */
#define MSIX_PBA   0x81000

static void assert_host_irq_type(QTestState *qts, const char *type)
{
    g_autoptr(JsonObject) d = qvfio_sim_device(qts, "sim0", "0000:01:00.0");

    g_assert_cmpstr(json_object_get_string_member(d, "irq-type"), ==, type);
}

static uint32_t cfg(QTestState *qts, unsigned phb, uint32_t reg, int size)
{
    uint32_t v;

    g_assert_cmpint(qrtas_cfg_read(qts, phb, EDU_DEVFN, reg, size, &v), ==, 0);
    return v;
}

static void test_msix(void)
{
    QTestState *qts = start_sim("spapr-tce-v2",
        "-device spapr-pci-vfio-host-bridge,id=g1,index=1,iommu=1,vfio-sim=sim0");
    int lsi = 0x1200 + 4 * PHB + 0;     /* slot 0, INTA */
    uint32_t rets[4], irq0, irq1, irq;
    unsigned raised;
    int64_t fds;

    qedu_setup(qts, PHB, EDU_DEVFN);
    qtest_irq_intercept_in(qts, "/machine/intc");
    /* the host's capability chain, MSI-X at the host's offset and with its layout */
    g_assert_cmphex(cfg(qts, PHB, 0x34, 1), ==, 0x40);
    g_assert_cmphex(cfg(qts, PHB, 0x41, 1), ==, 0x50);
    g_assert_cmphex(cfg(qts, PHB, 0x51, 1), ==, 0x90);
    g_assert_cmphex(cfg(qts, PHB, 0x90, 4), ==, 0x00030011);      /* MSI-X, 4 vectors, off */
    g_assert_cmphex(cfg(qts, PHB, 0x94, 4), ==, MSIX_TABLE);       /* BIR 0 */
    g_assert_cmphex(cfg(qts, PHB, 0x98, 4), ==, MSIX_PBA);
    assert_host_irq_type(qts, "intx");

    /* ibm,change-msi, MSI-X, 2 vectors: two consecutive sources */
    g_assert_cmpint(qrtas_change_msi(qts, PHB, EDU_DEVFN, 4, 2, rets), ==, 0);
    g_assert_cmpuint(rets[1], ==, 2);
    g_assert_cmpuint(rets[2], ==, 8);
    g_assert_cmpuint(rets[3], ==, 2);           /* MSI-X */
    g_assert_cmpint(qrtas_query_irq(qts, PHB, EDU_DEVFN, 0, &irq0), ==, 0);
    g_assert_cmpint(qrtas_query_irq(qts, PHB, EDU_DEVFN, 1, &irq1), ==, 0);
    g_assert_cmpint(irq0, >=, 0x1300);
    g_assert_cmpint(irq1, ==, irq0 + 1);
    g_assert_cmpint(qrtas_query_irq(qts, PHB, EDU_DEVFN, 2, &irq), ==, -1);
    /* the platform's messages are in the guest's table, emulated: never the host's */
    g_assert_cmphex(qedu_readl(qts, PHB, MSIX_TABLE + 0), ==, (uint32_t)0x40000000000ull);
    g_assert_cmphex(qedu_readl(qts, PHB, MSIX_TABLE + 4), ==, 0x40000000000ull >> 32);
    g_assert_cmphex(qedu_readl(qts, PHB, MSIX_TABLE + 8), ==, irq0);
    g_assert_cmphex(qedu_readl(qts, PHB, MSIX_TABLE + 16 + 8), ==, irq1);
    g_assert_cmphex(qedu_readl(qts, PHB, MSIX_TABLE + 12), ==, 1);  /* masked since reset */
    g_assert_cmphex(qedu_readl(qts, PHB, MSIX_TABLE + 32), ==, 0);
    /* not enabled by the guest yet: the host keeps INTx */
    assert_host_irq_type(qts, "intx");

    /* as Linux does: enable with the function masked, ... */
    g_assert_cmpint(qrtas_cfg_write(qts, PHB, EDU_DEVFN, 0x92, 2, 0xc000), ==, 0);
    assert_host_irq_type(qts, "msix");
    fds = qvfio_sim_open_fds(qts, "sim0");
    qedu_writel(qts, PHB, 0x60, 0x1);
    g_assert_false(qtest_get_irq(qts, lsi));
    g_assert_cmpuint(qtest_irq_raise_count(qts, irq0), ==, 0);
    g_assert_cmphex(qedu_readl(qts, PHB, MSIX_PBA), ==, 1);         /* pending */
    /* ... unmask the function (vector 0 is still masked), then the vector */
    g_assert_cmpint(qrtas_cfg_write(qts, PHB, EDU_DEVFN, 0x92, 2, 0x8000), ==, 0);
    g_assert_cmpuint(qtest_irq_raise_count(qts, irq0), ==, 0);
    qedu_writel(qts, PHB, MSIX_TABLE + 12, 0);
    g_assert_cmpuint(qtest_irq_raise_count(qts, irq0), ==, 1);
    g_assert_cmphex(qedu_readl(qts, PHB, MSIX_PBA), ==, 0);
    qedu_writel(qts, PHB, 0x64, 0x1);
    /* each edu interrupt is one message of vector 0 */
    qedu_writel(qts, PHB, 0x60, 0x4);
    g_assert_cmpuint(qtest_irq_raise_count(qts, irq0), ==, 2);
    g_assert_cmpuint(qtest_irq_raise_count(qts, irq1), ==, 0);
    g_assert_false(qtest_get_irq(qts, lsi));
    qedu_writel(qts, PHB, 0x64, 0x4);

    /* the guest programming a vector itself wires it on the host, and unwires it */
    qedu_writel(qts, PHB, MSIX_TABLE + 32 + 0, (uint32_t)0x40000000000ull);
    qedu_writel(qts, PHB, MSIX_TABLE + 32 + 4, 0x40000000000ull >> 32);
    g_assert_cmpint(qvfio_sim_open_fds(qts, "sim0"), ==, fds + 1);
    qedu_writel(qts, PHB, MSIX_TABLE + 32 + 0, 0);
    qedu_writel(qts, PHB, MSIX_TABLE + 32 + 4, 0);
    g_assert_cmpint(qvfio_sim_open_fds(qts, "sim0"), ==, fds);

    /* release: no vector left, the host lets MSI-X go (the guest's bit is still on) */
    g_assert_cmpint(qrtas_change_msi(qts, PHB, EDU_DEVFN, 4, 0, rets), ==, 0);
    g_assert_cmpuint(rets[1], ==, 0);
    assert_host_irq_type(qts, "none");
    g_assert_cmpint(qvfio_sim_open_fds(qts, "sim0"), ==, fds - 2);
    g_assert_cmpint(qrtas_query_irq(qts, PHB, EDU_DEVFN, 0, &irq), ==, -1);
    qedu_writel(qts, PHB, 0x60, 0x1);
    g_assert_cmpuint(qtest_irq_raise_count(qts, irq0), ==, 2);
    g_assert_false(qtest_get_irq(qts, lsi));
    /* the guest turns MSI-X off: INTx again, and the edu's pending line shows */
    g_assert_cmpint(qrtas_cfg_write(qts, PHB, EDU_DEVFN, 0x92, 2, 0), ==, 0);
    assert_host_irq_type(qts, "intx");
    g_assert_true(qtest_get_irq(qts, lsi));
    qedu_writel(qts, PHB, 0x64, 0x1);
    (void)qedu_readl(qts, PHB, 0x24);
    g_assert_false(qtest_get_irq(qts, lsi));

    /* enabled first, vectors later (Linux's order): the host follows the platform */
    g_assert_cmpint(qrtas_cfg_write(qts, PHB, EDU_DEVFN, 0x92, 2, 0x8000), ==, 0);
    assert_host_irq_type(qts, "none");
    g_assert_cmpint(qrtas_change_msi(qts, PHB, EDU_DEVFN, 4, 1, rets), ==, 0);
    g_assert_cmpuint(rets[1], ==, 1);
    assert_host_irq_type(qts, "msix");
    g_assert_cmpint(qrtas_query_irq(qts, PHB, EDU_DEVFN, 0, &irq), ==, 0);
    raised = qtest_irq_raise_count(qts, irq);      /* the source may be irq0 again */
    qedu_writel(qts, PHB, MSIX_TABLE + 12, 0);
    qedu_writel(qts, PHB, 0x60, 0x1);
    g_assert_cmpuint(qtest_irq_raise_count(qts, irq), ==, raised + 1);
    qedu_writel(qts, PHB, 0x64, 0x1);

    /* a reset takes MSI-X away from the guest and the host */
    json_object_unref(qtest_qmp(qts, "{\"execute\": \"system_reset\"}"));
    assert_host_irq_type(qts, "intx");
    g_assert_cmphex(cfg(qts, PHB, 0x90, 4), ==, 0x00030011);
    g_assert_cmphex(cfg(qts, PHB, 0x51, 1), ==, 0x90);
    qtest_quit(qts);
}

/* A function without MSI-X (the conventional one of group 3): MSI only. */
static void test_msix_absent(void)
{
    QTestState *qts = start_sim("spapr-tce-v2",
        "-device spapr-pci-vfio-host-bridge,id=g3,index=3,iommu=3,vfio-sim=sim0");
    uint32_t rets[4];

    g_assert_cmphex(cfg(qts, 3, 0x34, 1), ==, 0x40);
    g_assert_cmphex(cfg(qts, 3, 0x41, 1), ==, 0);
    g_assert_cmpint(qrtas_change_msi(qts, 3, EDU_DEVFN, 4, 1, rets), ==, -3);
    /* function 1 picks MSI, which it has */
    g_assert_cmpint(qrtas_change_msi(qts, 3, EDU_DEVFN, 1, 1, rets), ==, 0);
    g_assert_cmpuint(rets[1], ==, 1);
    g_assert_cmpuint(rets[3], ==, 1);           /* MSI */
    {
        g_autoptr(JsonObject) d = qvfio_sim_device(qts, "sim0", "0000:03:00.0");
        g_assert_cmpstr(json_object_get_string_member(d, "irq-type"), ==, "msi");
    }
    qtest_quit(qts);
}

/* BAR2 is mmap-able on the host: the guest reaches that mapping through the PHB window. */
static void test_bar_mmap(void)
{
    QTestState *qts = start_sim("spapr-tce-v2",
        "-device spapr-pci-vfio-host-bridge,id=g1,index=1,iommu=1,vfio-sim=sim0");
    uint64_t bar2 = SPAPR_PCI_MEM32_CPU(PHB) + 0x100000;

    /* BAR0 (1 MiB) at the window's start, BAR2 (4 KiB) right after it */
    g_assert_cmpint(qrtas_cfg_write(qts, PHB, EDU_DEVFN, 0x18, 4,
                                    SPAPR_PCI_BUS_MEM32 + 0x100000), ==, 0);
    g_assert_cmphex(cfg(qts, PHB, 0x18, 4), ==, SPAPR_PCI_BUS_MEM32 + 0x100000);
    qedu_setup(qts, PHB, EDU_DEVFN);
    /* plain RAM: what is written reads back, at every width, little-endian */
    qtest_writeb(qts, bar2 + 0, 0x11);
    qtest_writeb(qts, bar2 + 1, 0x22);
    qtest_writeb(qts, bar2 + 2, 0x33);
    qtest_writeb(qts, bar2 + 3, 0x44);
    g_assert_cmphex(__builtin_bswap32(qtest_readl(qts, bar2)), ==, 0x44332211);
    g_assert_cmphex(__builtin_bswap16(qtest_readw(qts, bar2 + 2)), ==, 0x4433);
    qtest_writel(qts, bar2 + 0x800, __builtin_bswap32(0xcafef00d));
    g_assert_cmphex(qtest_readb(qts, bar2 + 0x800), ==, 0x0d);
    qtest_writeq(qts, bar2 + 0xff8, __builtin_bswap64(0x0123456789abcdefull));
    g_assert_cmphex(__builtin_bswap64(qtest_readq(qts, bar2 + 0xff8)), ==,
                    0x0123456789abcdefull);
    g_assert_cmphex(qtest_readb(qts, bar2 + 0xfff), ==, 0x01);
    /* it is the host's memory: it outlives the guest's mapping of the BAR */
    g_assert_cmpint(qrtas_cfg_write(qts, PHB, EDU_DEVFN, 0x04, 2, 0), ==, 0);
    g_assert_cmphex(qtest_readl(qts, bar2), ==, 0xffffffff);
    qedu_setup(qts, PHB, EDU_DEVFN);
    g_assert_cmphex(__builtin_bswap32(qtest_readl(qts, bar2)), ==, 0x44332211);
    g_assert_cmphex(__builtin_bswap32(qtest_readl(qts, bar2 + 0x800)), ==, 0xcafef00d);
    /* BAR0 next to it is still the edu */
    g_assert_cmphex(qedu_readl(qts, PHB, 0), ==, 0x010000ed);
    qtest_quit(qts);
}

/* Hot-plug teardown -------------------------------------------------------------------- */

static void test_teardown(void)
{
    QTestState *qts = start_sim("type1", NULL);
    int64_t fds = qvfio_sim_open_fds(qts, "sim0");
    JsonObject *rsp;

    for (int round = 0; round < 3; round++) {
        qtest_qmp_device_add(qts, "spapr-pci-vfio-host-bridge", "g1",
                             "\"index\": 1, \"iommu\": 1, \"vfio-sim\": \"sim0\"");
        g_assert_cmpint(qvfio_sim_open_fds(qts, "sim0"), >, fds);
        g_assert_cmpint(qos_h_put_tce(qts, LIOBN(0), 0x5000, 0x800000 | TCE_RW), ==, H_SUCCESS);
        rsp = qtest_qmp(qts, "{\"execute\": \"device_del\", \"arguments\": {\"id\": \"g1\"}}");
        qmp_rsp_return(rsp);
        json_object_unref(rsp);
        /* the guest never took it: gone at once, or at the reset that follows */
        json_object_unref(qtest_qmp(qts, "{\"execute\": \"system_reset\"}"));
        json_object_unref(qtest_qmp_eventwait_ref(qts, "DEVICE_DELETED"));
        g_assert_cmpint(qvfio_sim_open_fds(qts, "sim0"), ==, fds);
        g_assert_cmpuint(qvfio_sim_containers(qts, "sim0"), ==, 0);
    }
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vfio/one-phb-per-group", test_one_phb_per_group);
    g_test_add_func("/vfio/device-tree", test_device_tree);
    g_test_add_func("/vfio/realize-errors", test_realize_errors);
    g_test_add_func("/vfio/register-memory-limit", test_register_memory_limit);
    g_test_add_func("/vfio/topology-layouts", test_topology_layouts);
    g_test_add_func("/vfio/dma/spapr-tce-v2", test_dma_spapr);
    g_test_add_func("/vfio/dma/type1", test_dma_type1);
    g_test_add_func("/vfio/map-failure/spapr-tce-v2", test_map_failure_spapr);
    g_test_add_func("/vfio/map-failure/type1", test_map_failure_type1);
    g_test_add_func("/vfio/interrupts", test_interrupts);
    g_test_add_func("/vfio/msix", test_msix);
    g_test_add_func("/vfio/msix/absent", test_msix_absent);
    g_test_add_func("/vfio/bar-mmap", test_bar_mmap);
    g_test_add_func("/vfio/teardown", test_teardown);
    return g_test_run();
}
