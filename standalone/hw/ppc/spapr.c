/*
 * pseries machine: a PAPR logical partition without a CPU.
 *
 * The guest is played by tests through qtest (memory, rtas, hcall); the
 * machine provides what a PAPR guest relies on: RAM, RTAS, hypercalls,
 * the device tree, interrupts, events and PHBs.  Init reads top to
 * bottom: memory, services, interrupt controller, DRCs, default PHB.
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "hw/ppc/spapr.h"
#include "hw/ppc/spapr_drc.h"
#include "hw/ppc/spapr_events.h"
#include "hw/ppc/spapr_hcall.h"
#include "hw/ppc/spapr_iommu.h"
#include "hw/ppc/spapr_irq.h"
#include "hw/ppc/spapr_pci.h"
#include "hw/ppc/spapr_rtas.h"
#include "monitor/qmp.h"

OBJECT_DEFINE_TYPE(SpaprMachine, spapr_machine, TYPE_SPAPR_MACHINE, TYPE_MACHINE)

SpaprMachine *spapr_machine(void)
{
    if (!current_machine ||
        !g_type_is_a(G_OBJECT_TYPE(current_machine), spapr_machine_get_type())) {
        return NULL;
    }
    return SPAPR_MACHINE(current_machine);
}

bool spapr_ram_range_ok(SpaprMachine *spapr, hwaddr addr, uint64_t len)
{
    uint64_t size = MACHINE(spapr)->ram_size;

    return addr <= size && len <= size - addr;
}

void *spapr_ram_ptr(SpaprMachine *spapr, hwaddr addr)
{
    return MACHINE(spapr)->ram.ram + addr;
}

/* QMP -------------------------------------------------------------------- */

static JsonNode *qmp_dumpdtb(JsonObject *args, GError **errp)
{
    SpaprMachine *spapr = spapr_machine();

    if (!spapr_dump_fdt(spapr, json_object_get_string_member(args, "filename"), errp)) {
        return NULL;
    }
    return qmp_return_empty();
}

static JsonNode *qmp_system_powerdown(JsonObject *args, GError **errp)
{
    spapr_event_queue_powerdown(spapr_machine());
    return qmp_return_empty();
}

static const QmpArg dumpdtb_args[] = { { "filename", G_TYPE_STRING }, { NULL } };
static const QmpCommand spapr_qmp_commands[] = {
    { "dumpdtb", qmp_dumpdtb, dumpdtb_args },
    { "system_powerdown", qmp_system_powerdown },
};

/* Services are registered once per process, explicitly, not from class_init. */
static void register_services(void)
{
    static bool done;

    if (done) {
        return;
    }
    done = true;
    spapr_rtas_register_core();
    spapr_rtc_register();
    spapr_events_register();
    spapr_drc_register_rtas();
    spapr_pci_register_rtas();
    spapr_pci_register_qmp();
    spapr_ddw_register_rtas();
    spapr_hcall_register_core();
    spapr_tce_register_hcalls();
    for (guint i = 0; i < G_N_ELEMENTS(spapr_qmp_commands); i++) {
        qmp_register_command(&spapr_qmp_commands[i]);
    }
}

/* Machine lifecycle ------------------------------------------------------ */

static gboolean spapr_machine_init_board(Machine *m, GError **errp)
{
    SpaprMachine *spapr = SPAPR_MACHINE(m);
    MemoryRegion *root = g_new0(MemoryRegion, 1);

    memory_region_init(root, "system", UINT64_MAX);
    m->system_as = address_space_new("memory", root);
    if (!memory_region_init_ram_memfd(&m->ram, "ppc_spapr.ram", m->ram_size, errp)) {
        return FALSE;
    }
    memory_region_add_subregion(root, 0, &m->ram, 0);

    register_services();
    spapr->events = spapr_events_new();
    if (!spapr_intc_create(spapr, errp)) {
        return FALSE;
    }
    spapr_drc_create_phb_drcs(spapr, SPAPR_MAX_PHBS);

    /* QEMU's pseries always has PHB 0, even with -nodefaults */
    return spapr_phb_create_default(spapr, errp);
}

static gboolean spapr_machine_init_done(Machine *m, GError **errp)
{
    SpaprMachine *spapr = SPAPR_MACHINE(m);

    if (m->dumpdtb) {
        if (!spapr_dump_fdt(spapr, m->dumpdtb, errp)) {
            return FALSE;
        }
        info_report("dtb dumped to %s. Exiting.", m->dumpdtb);
        exit(0);
    }
    return TRUE;
}

static void spapr_machine_reset(Machine *m)
{
    SpaprMachine *spapr = SPAPR_MACHINE(m);

    spapr_events_reset(spapr->events);
    spapr_drc_reset_all(spapr);
    bus_reset(m->sysbus);
}

static gboolean spapr_qtest_rtas(Machine *m, const char *name, uint32_t nargs, hwaddr args,
                                 uint32_t nret, hwaddr rets, uint64_t *hret)
{
    return spapr_rtas_call_by_name(SPAPR_MACHINE(m), name, nargs, args, nret, rets, hret);
}

static int64_t spapr_qtest_hcall(Machine *m, uint64_t opcode, const uint64_t *args, int nargs,
                                 uint64_t *outs, int *nouts)
{
    uint64_t regs[SPAPR_HCALL_MAX_ARGS] = { 0 };

    memcpy(regs, args, MIN(nargs, SPAPR_HCALL_MAX_ARGS) * sizeof(uint64_t));
    return spapr_hypercall(SPAPR_MACHINE(m), opcode, regs, outs, nouts);
}

static void spapr_machine_finalize(GObject *obj)
{
    SpaprMachine *spapr = SPAPR_MACHINE(obj);
    Machine *m = MACHINE(obj);

    spapr_events_free(spapr->events);
    spapr_drc_free_all(spapr);
    if (m->system_as) {
        MemoryRegion *root = m->system_as->root;
        memory_region_finalize(&m->ram);
        memory_region_finalize(root);
        g_free(root);
        address_space_free(m->system_as);
    }
    G_OBJECT_CLASS(spapr_machine_parent_class)->finalize(obj);
}

static void spapr_machine_init(SpaprMachine *spapr)
{
}

static const HotplugOps spapr_hotplug_ops = {
    .pre_plug = spapr_phb_pre_plug,
    .plug = spapr_phb_plug,
    .unplug_request = spapr_phb_unplug_request,
};

static void spapr_machine_class_init(SpaprMachineClass *klass)
{
    MachineClass *mc = MACHINE_CLASS(klass);

    G_OBJECT_CLASS(klass)->finalize = spapr_machine_finalize;
    mc->name = "pseries";
    mc->desc = "pSeries Logical Partition (PAPR compliant)";
    mc->is_default = true;
    mc->default_ram_size = 1ull << 30;
    mc->init = spapr_machine_init_board;
    mc->init_done = spapr_machine_init_done;
    mc->reset = spapr_machine_reset;
    mc->hotplug = &spapr_hotplug_ops;
    mc->qtest_rtas = spapr_qtest_rtas;
    mc->qtest_hcall = spapr_qtest_hcall;
}

type_init(spapr_machine_get_type)
