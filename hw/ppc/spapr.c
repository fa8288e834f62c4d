/*
 * pseries machine: a PAPR logical partition without a CPU.
 *
 * The guest is played by tests through qtest (memory, rtas, hcall);
 * what the machine provides is what a PAPR guest relies on: RAM,
 * RTAS, hypercalls, the device tree, interrupts and PHBs.
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "qemu/module.h"
#include "hw/ppc/spapr.h"

OBJECT_DEFINE_TYPE(SpaprMachine, spapr_machine, TYPE_SPAPR_MACHINE, TYPE_MACHINE)

static gboolean spapr_machine_init_board(Machine *m, GError **errp)
{
    MemoryRegion *root = g_new0(MemoryRegion, 1);

    memory_region_init(root, "system", UINT64_MAX);
    m->system_as = address_space_new("memory", root);
    if (!memory_region_init_ram_memfd(&m->ram, "ppc_spapr.ram", m->ram_size, errp)) {
        return FALSE;
    }
    memory_region_add_subregion(root, 0, &m->ram, 0);
    return TRUE;
}

static void spapr_machine_finalize(GObject *obj)
{
    Machine *m = MACHINE(obj);

    if (m->system_as) {
        MemoryRegion *root = m->system_as->root;
        memory_region_finalize(root);
        g_free(root);
        address_space_free(m->system_as);
    }
    G_OBJECT_CLASS(spapr_machine_parent_class)->finalize(obj);
}

static void spapr_machine_init(SpaprMachine *spapr)
{
}

static void spapr_machine_class_init(SpaprMachineClass *klass)
{
    MachineClass *mc = MACHINE_CLASS(klass);

    G_OBJECT_CLASS(klass)->finalize = spapr_machine_finalize;
    mc->name = "pseries";
    mc->desc = "pSeries Logical Partition (PAPR compliant)";
    mc->is_default = true;
    mc->default_ram_size = (1ull << 30);
    mc->init = spapr_machine_init_board;
}

type_init(spapr_machine_get_type)
