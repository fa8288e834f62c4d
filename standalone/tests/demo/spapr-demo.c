/*
 * spapr-demo: what `make demo` shows, the project's main job on the
 * embedded default.
 *
 * A simulated host (the in-process VFIO simulator) has IOMMU groups 1 and
 * 2; each becomes a whole guest PHB (spapr-pci-vfio-host-bridge) with its
 * own VFIO container.  The guest is played through qtest: it maps TCEs,
 * makes a device DMA into guest RAM through them, shows an unmapped DMA
 * failing, and prints what the guest and the host see.  No input needed;
 * exits 0 when the machine quit cleanly.
 */
#include "libqtest.h"
#include "libqos/edu.h"
#include "libqos/vfio-sim.h"

#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>

#define ARGS "-machine pseries -m 1G -object vfio-sim,id=sim0,iommu-type=spapr-tce-v2 " \
             "-device spapr-pci-vfio-host-bridge,id=vphb1,index=1,iommu=1,vfio-sim=sim0 " \
             "-device spapr-pci-vfio-host-bridge,id=vphb2,index=2,iommu=2,vfio-sim=sim0"
#define PHB 1

static void heading(const char *title)
{
    printf("\n== %s ==\n", title);
}

static JsonArray *qmp_array(QTestState *qts, const char *cmd)
{
    JsonObject *rsp = qtest_qmp(qts, "%s", cmd);
    JsonArray *ret = json_array_ref(json_node_get_array(qmp_rsp_return(rsp)));

    json_object_unref(rsp);
    return ret;
}

static void show_phbs(QTestState *qts)
{
    JsonArray *phbs = qmp_array(qts, "{\"execute\": \"query-spapr-phbs\"}");

    for (guint i = 0; i < json_array_get_length(phbs); i++) {
        JsonObject *p = json_array_get_object_element(phbs, i);
        JsonObject *v = json_object_has_member(p, "vfio")
                        ? json_object_get_object_member(p, "vfio") : NULL;
        JsonArray *wins = json_object_get_array_member(p, "windows");

        printf("PHB %" G_GINT64_FORMAT " %-27s buid 0x%" G_GINT64_MODIFIER "x",
               json_object_get_int_member(p, "index"), json_object_get_string_member(p, "type"),
               json_object_get_int_member(p, "buid"));
        if (v) {
            JsonArray *devs = json_object_get_array_member(v, "devices");
            printf("  group %" G_GINT64_FORMAT " (%s, %s): ", json_object_get_int_member(v, "group"),
                   json_object_get_string_member(v, "backend"),
                   json_object_get_string_member(v, "host"));
            for (guint d = 0; d < json_array_get_length(devs); d++) {
                printf("%s%s", d ? ", " : "", json_array_get_string_element(devs, d));
            }
        }
        printf("\n");
        for (guint w = 0; w < json_array_get_length(wins); w++) {
            JsonObject *win = json_array_get_object_element(wins, w);
            printf("    window liobn 0x%" G_GINT64_MODIFIER "x at 0x%" G_GINT64_MODIFIER "x, %"
                   G_GINT64_FORMAT " MiB, %" G_GINT64_FORMAT "-bit pages, %" G_GINT64_FORMAT
                   " TCEs in use\n", json_object_get_int_member(win, "liobn"),
                   json_object_get_int_member(win, "bus-start"),
                   json_object_get_int_member(win, "size") >> 20,
                   json_object_get_int_member(win, "page-shift"),
                   json_object_get_int_member(win, "entries-in-use"));
        }
        if (v) {
            printf("    host: %" G_GINT64_FORMAT " mappings, %" G_GINT64_FORMAT " map / %"
                   G_GINT64_FORMAT " unmap calls; device DMA faults seen by the PHB: %"
                   G_GINT64_FORMAT "\n", json_object_get_int_member(v, "host-mappings"),
                   json_object_get_int_member(v, "map-calls"),
                   json_object_get_int_member(v, "unmap-calls"),
                   json_object_get_int_member(p, "dma-faults"));
        }
    }
    json_array_unref(phbs);
}

static void show_text(QTestState *qts, uint64_t gpa, size_t len)
{
    char buf[64] = { 0 };

    qtest_memread(qts, gpa, buf, MIN(len, sizeof(buf) - 1));
    for (size_t i = 0; i < len && i < sizeof(buf) - 1; i++) {
        if (buf[i] && !g_ascii_isprint(buf[i])) {
            buf[i] = '.';
        }
    }
    printf("    guest RAM 0x%" G_GINT64_MODIFIER "x: \"%s\"\n", gpa, buf);
}

static void show_dt(QTestState *qts)
{
    g_autofree char *dir = qtest_tmpdir();
    g_autofree char *dtb = g_strdup_printf("%s/demo.dtb", dir);
    g_autofree char *cmd = g_strdup_printf("dtc -q -I dtb -O dts %s", dtb);
    g_autofree char *out = NULL;
    JsonObject *rsp = qtest_qmp(qts, "{\"execute\": \"dumpdtb\", \"arguments\": "
                                "{\"filename\": \"%s\"}}", dtb);
    g_auto(GStrv) lines = NULL;
    bool in_phb = false;
    int shown = 0;

    qmp_rsp_return(rsp);
    json_object_unref(rsp);
    if (!g_spawn_command_line_sync(cmd, &out, NULL, NULL, NULL) || !out) {
        printf("(dtc not available)\n");
        goto out;
    }
    /* PHB 1 and its function, without the long DRC and interrupt-map arrays */
    lines = g_strsplit(out, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        const char *l = lines[i];
        if (g_str_has_prefix(l, "\tpci@800000020000001 ")) {
            in_phb = true;
        }
        if (!in_phb) {
            continue;
        }
        if (strstr(l, "ibm,drc-") || strstr(l, "interrupt-map =") || strstr(l, "ranges =")) {
            printf("%.*s ...;\n", (int)(strchr(l, '=') ? strchr(l, '=') - l + 1 : (long)strlen(l)), l);
        } else {
            printf("%s\n", l);
        }
        shown++;
        if (!strcmp(l, "\t};")) {
            in_phb = false;
        }
    }
    if (!shown) {
        printf("(no VFIO PHB node found)\n");
    }
out:
    g_unlink(dtb);
    g_rmdir(dir);
}

int main(int argc, char **argv)
{
    static const char message[] = "Hello from guest RAM, through TCEs and VFIO!";
    uint64_t src = 0x1000000, dst = 0x1001000, faults_before;
    QTestState *qts;
    JsonObject *dev, *rsp;
    int status;

    printf("qemu-system-ppc64 %s\n", ARGS);
    qts = qtest_init(ARGS);

    heading("What the machine built: one guest PHB per host IOMMU group");
    show_phbs(qts);

    heading("The guest sets up the device behind PHB 1 (config space through RTAS)");
    qedu_setup(qts, PHB, 0);             /* BAR0, memory + bus master */
    printf("    BAR0 at PCI 0x80000000 (CPU 0x%" G_GINT64_MODIFIER "x); edu id register: 0x%08x\n",
           (uint64_t)QEDU_BAR0(PHB), qedu_readl(qts, PHB, EDU_REG_ID));

    heading("The guest maps two TCEs in PHB 1's default window (H_PUT_TCE)");
    printf("    bus 0x5000 -> RAM 0x%" G_GINT64_MODIFIER "x: ret %" G_GINT64_FORMAT "\n", src,
           qos_h_put_tce(qts, SPAPR_LIOBN(PHB, 0), 0x5000, src | 3));
    printf("    bus 0x6000 -> RAM 0x%" G_GINT64_MODIFIER "x: ret %" G_GINT64_FORMAT "\n", dst,
           qos_h_put_tce(qts, SPAPR_LIOBN(PHB, 0), 0x6000, dst | 3));

    heading("The device DMAs through them: RAM -> device -> RAM");
    qtest_memwrite(qts, src, message, sizeof(message));
    qtest_memset(qts, dst, 0, 64);
    show_text(qts, src, sizeof(message));
    qedu_dma(qts, PHB, 0x5000, EDU_DMA_BUF, sizeof(message), false);
    qedu_dma(qts, PHB, EDU_DMA_BUF, 0x6000, sizeof(message), true);
    printf("  after the device copied it to bus address 0x6000:\n");
    show_text(qts, dst, sizeof(message));

    heading("A DMA to a bus address the guest did not map: the host IOMMU refuses it");
    dev = qvfio_sim_device(qts, "sim0", "0000:01:00.0");
    faults_before = json_object_get_int_member(dev, "dma-faults");
    json_object_unref(dev);
    qtest_memset(qts, 0x2000000, 0x55, 64);
    qedu_dma(qts, PHB, EDU_DMA_BUF, 0x7000, sizeof(message), true);
    dev = qvfio_sim_device(qts, "sim0", "0000:01:00.0");
    printf("    host IOMMU faults for 0000:01:00.0: %" G_GINT64_FORMAT " -> %" G_GINT64_FORMAT
           "\n", faults_before, json_object_get_int_member(dev, "dma-faults"));
    json_object_unref(dev);

    heading("query-spapr-phbs: guest windows and host mappings now");
    show_phbs(qts);

    heading("PHB 1 and its function in the guest's device tree (dtc; long arrays elided)");
    show_dt(qts);

    rsp = qtest_qmp(qts, "{\"execute\": \"quit\"}");
    qmp_rsp_return(rsp);
    json_object_unref(rsp);
    status = qtest_kill_and_wait(qts);
    printf("\nThe machine exited with status %d.\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
