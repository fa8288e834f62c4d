/*
 * The guest's device tree, built with libfdt from the current devices.
 *
 * It is built on demand (-machine dumpdtb, QMP dumpdtb) from the devices, so it
 * always describes what exists now, hot-plugged PHBs included.  Layout and
 * values follow QEMU's pseries tree; docs/system/ppc/pseries.rst lists the
 * differences (no CPU nodes, no firmware properties).
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "hw/ppc/fdt.h"
#include "hw/ppc/spapr.h"
#include "hw/ppc/spapr_events.h"
#include "hw/ppc/spapr_rtas.h"
#include "hw/ppc/spapr_drc.h"
#include "hw/ppc/spapr_pci.h"

/* Room for 31 PHBs with 256 slot DRCs each and their devices, with margin. */
#define FDT_MAX_SIZE (16u << 20)

static void dt_root(SpaprMachine *spapr, void *fdt)
{
    static const char uuid[] = "00000000-0000-0000-0000-000000000000";

    _FDT(fdt_setprop_string(fdt, 0, "device_type", "chrp"));
    _FDT(fdt_setprop_string(fdt, 0, "model", "IBM pSeries (emulated by qemu)"));
    _FDT(fdt_setprop_string(fdt, 0, "compatible", "qemu,pseries"));
    _FDT(fdt_setprop_cell(fdt, 0, "#address-cells", 2));
    _FDT(fdt_setprop_cell(fdt, 0, "#size-cells", 2));
    _FDT(fdt_setprop_string(fdt, 0, "vm,uuid", uuid));
}

static void dt_memory(SpaprMachine *spapr, void *fdt)
{
    int node = _FDT(fdt_add_subnode(fdt, 0, "memory@0"));

    _FDT(fdt_setprop_string(fdt, node, "device_type", "memory"));
    _FDT(fdt_setprop_u64_pair(fdt, node, "reg", 0, MACHINE(spapr)->ram_size));
}

static void dt_cpus(SpaprMachine *spapr, void *fdt)
{
    /* no CPU is emulated: the container exists, as a PAPR tree needs it */
    int node = _FDT(fdt_add_subnode(fdt, 0, "cpus"));

    _FDT(fdt_setprop_cell(fdt, node, "#address-cells", 1));
    _FDT(fdt_setprop_cell(fdt, node, "#size-cells", 0));
}

static void dt_chosen(SpaprMachine *spapr, void *fdt)
{
    int node = _FDT(fdt_add_subnode(fdt, 0, "chosen"));

    /* the guest assigns BARs itself, as under QEMU's SLOF */
    _FDT(fdt_setprop_cell(fdt, node, "linux,pci-probe-only", 0));
}

static void dt_vdevice(SpaprMachine *spapr, void *fdt)
{
    int node = _FDT(fdt_add_subnode(fdt, 0, "vdevice"));

    _FDT(fdt_setprop_string(fdt, node, "device_type", "vdevice"));
    _FDT(fdt_setprop_string(fdt, node, "compatible", "IBM,vdevice"));
    _FDT(fdt_setprop_cell(fdt, node, "#address-cells", 1));
    _FDT(fdt_setprop_cell(fdt, node, "#size-cells", 0));
    _FDT(fdt_setprop_cell(fdt, node, "#interrupt-cells", 2));
    _FDT(fdt_setprop(fdt, node, "interrupt-controller", NULL, 0));
}

static void dt_intc(SpaprMachine *spapr, void *fdt)
{
    uint32_t servers[] = { cpu_to_fdt32(0), cpu_to_fdt32(1) };
    int node = _FDT(fdt_add_subnode(fdt, 0, "interrupt-controller"));

    _FDT(fdt_setprop_string(fdt, node, "device_type",
                            "PowerPC-External-Interrupt-Presentation"));
    _FDT(fdt_setprop_string(fdt, node, "compatible", "IBM,ppc-xicp"));
    _FDT(fdt_setprop(fdt, node, "interrupt-controller", NULL, 0));
    _FDT(fdt_setprop(fdt, node, "ibm,interrupt-server-ranges", servers, sizeof(servers)));
    _FDT(fdt_setprop_cell(fdt, node, "#interrupt-cells", 2));
    /* not in QEMU's tree: dtc warns about an interrupt provider without it */
    _FDT(fdt_setprop_cell(fdt, node, "#address-cells", 0));
    _FDT(fdt_setprop_cell(fdt, node, "linux,phandle", SPAPR_INTC_PHANDLE));
    _FDT(fdt_setprop_cell(fdt, node, "phandle", SPAPR_INTC_PHANDLE));
}

void *spapr_build_fdt(SpaprMachine *spapr, GError **errp)
{
    void *fdt = g_malloc(FDT_MAX_SIZE);
    int rtas;

    _FDT(fdt_create_empty_tree(fdt, FDT_MAX_SIZE));
    dt_root(spapr, fdt);
    dt_memory(spapr, fdt);
    dt_cpus(spapr, fdt);
    dt_chosen(spapr, fdt);
    rtas = _FDT(fdt_add_subnode(fdt, 0, "rtas"));
    spapr_rtas_dt(spapr, fdt, rtas);
    spapr_events_dt(spapr, fdt);
    dt_vdevice(spapr, fdt);
    dt_intc(spapr, fdt);
    spapr_drc_dt_root(spapr, fdt);
    spapr_dt_phbs(spapr, fdt);
    _FDT(fdt_pack(fdt));
    return g_realloc(fdt, fdt_totalsize(fdt));
}

gboolean spapr_dump_fdt(SpaprMachine *spapr, const char *filename, GError **errp)
{
    g_autofree void *fdt = spapr_build_fdt(spapr, errp);
    g_autoptr(GError) err = NULL;

    if (!fdt) {
        return FALSE;
    }
    if (!g_file_set_contents(filename, fdt, fdt_totalsize(fdt), &err)) {
        error_setg(errp, "Error saving FDT to file %s: %s", filename, err->message);
        return FALSE;
    }
    return TRUE;
}
