/*
 * Machines: the board that creates RAM, platform services and default
 * devices, and handles plugging of bus-less devices.
 */
#ifndef HW_BOARDS_H
#define HW_BOARDS_H

#include "hw/qdev.h"
#include "system/memory.h"

typedef struct Machine Machine;
typedef struct MachineClass MachineClass;

#define TYPE_MACHINE (machine_get_type())
#define MACHINE(o) (G_TYPE_CHECK_INSTANCE_CAST((o), TYPE_MACHINE, Machine))
#define MACHINE_CLASS(c) (G_TYPE_CHECK_CLASS_CAST((c), TYPE_MACHINE, MachineClass))
#define MACHINE_GET_CLASS(o) (G_TYPE_INSTANCE_GET_CLASS((o), TYPE_MACHINE, MachineClass))

struct Machine {
    Object parent;
    uint64_t ram_size;         /* -m */
    char *dumpdtb;             /* -machine dumpdtb=FILE */
    char *accel;               /* -machine accel= (legacy spelling of -accel) */
    bool nodefaults;           /* -nodefaults */
    MemoryRegion ram;          /* guest RAM at 0 (memfd backed) */
    AddressSpace *system_as;   /* what qtest and CPUs would see */
    Bus *sysbus;
    bool done;                 /* creation finished: later devices are hotplugged */
};

struct MachineClass {
    ObjectClass parent_class;
    const char *name;          /* -machine NAME */
    const char *alias;
    const char *desc;
    bool is_default;
    uint64_t default_ram_size;
    /* Build RAM, services and default devices. */
    gboolean (*init)(Machine *m, GError **errp);
    /* After -device devices are realized (e.g. dumpdtb). */
    gboolean (*init_done)(Machine *m, GError **errp);
    /* System reset: platform state, then every device. */
    void (*reset)(Machine *m);
    /* Hotplug handler for the system bus. */
    const HotplugOps *hotplug;
    /*
     * qtest "rtas NAME NARGS ARGS NRET RETS": returns TRUE if the call
     * exists (its status is in guest memory), FALSE otherwise.
     */
    gboolean (*qtest_rtas)(Machine *m, const char *name, uint32_t nargs, hwaddr args,
                           uint32_t nret, hwaddr rets, uint64_t *hret);
    /*
     * qtest "hcall OPCODE ARGS...": returns the PAPR return code; *nouts
     * values are returned in r4 and up.
     */
    int64_t (*qtest_hcall)(Machine *m, uint64_t opcode, const uint64_t *args, int nargs,
                           uint64_t *outs, int *nouts);
};

GType machine_get_type(void);

extern Machine *current_machine;

/* Find a machine class by name or alias; NULL if unknown. */
MachineClass *machine_find_class(const char *name);
MachineClass *machine_default_class(void);
/* Print -machine help. */
void machine_print_help(void);

/* Create the machine object at /machine (properties at their defaults). */
Machine *machine_create(MachineClass *mc, GError **errp);
/* Run its init: system bus, RAM, services, default devices. */
gboolean machine_start(Machine *m, GError **errp);
/* Called after command-line devices exist. */
gboolean machine_init_done(Machine *m, GError **errp);
/* Full system reset. */
void machine_reset(Machine *m);
/* Tear the machine down (devices unrealized, RAM freed). */
void machine_destroy(Machine *m);

#endif
