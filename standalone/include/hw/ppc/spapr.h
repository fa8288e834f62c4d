/*
 * The pseries (sPAPR) machine: a PAPR logical partition without a CPU.
 *
 * Numbers follow QEMU's pseries so that a guest (or a test written for
 * QEMU) sees the same platform: RTAS tokens 0x2000 + n, interrupt numbers
 * from 0x1000, PHB placement in 32..64 TiB.
 */
#ifndef HW_PPC_SPAPR_H
#define HW_PPC_SPAPR_H

#include "hw/boards.h"

typedef struct SpaprMachine SpaprMachine;
typedef struct SpaprMachineClass {
    MachineClass parent_class;
} SpaprMachineClass;
typedef struct SpaprIntc SpaprIntc;
typedef struct SpaprEventQueue SpaprEventQueue;

#define TYPE_SPAPR_MACHINE "pseries-machine"
#define SPAPR_MACHINE(o) (G_TYPE_CHECK_INSTANCE_CAST((o), spapr_machine_get_type(), SpaprMachine))

/* Hypercall return codes (PAPR; r3 as a signed 64-bit value) */
#define H_SUCCESS                 0
#define H_BUSY                    1
#define H_HARDWARE               -1
#define H_FUNCTION               -2
#define H_PRIVILEGE              -3
#define H_PARAMETER              -4
#define H_RESOURCE              -16
#define H_NOT_ENOUGH_RESOURCES  -44

/* RTAS status codes (first return cell) */
#define RTAS_OUT_SUCCESS            0
#define RTAS_OUT_NO_ERRORS_FOUND    1
#define RTAS_OUT_HW_ERROR          -1
#define RTAS_OUT_BUSY              -2
#define RTAS_OUT_PARAM_ERROR       -3
#define RTAS_OUT_NOT_SUPPORTED     -3
#define RTAS_OUT_NO_SUCH_INDICATOR -3
#define RTAS_OUT_NOT_AUTHORIZED    -9002
#define RTAS_OUT_SYSPARM_PARAM_ERROR -9999

/* Interrupt numbers (XICS numbering, as the device tree gives them) */
#define SPAPR_XIRQ_BASE       0x1000
#define SPAPR_NR_XIRQS        0x1000
#define SPAPR_IRQ_EPOW        0x1000
#define SPAPR_IRQ_HOTPLUG     0x1001
#define SPAPR_IRQ_VIO         0x1100
#define SPAPR_IRQ_PCI_LSI     0x1200
#define SPAPR_IRQ_MSI         0x1300
#define SPAPR_IRQ_MAX         (SPAPR_XIRQ_BASE + SPAPR_NR_XIRQS)

/* phandle of the interrupt controller node (QEMU's value) */
#define SPAPR_INTC_PHANDLE    0x1111

struct SpaprMachine {
    Machine parent;
    SpaprIntc *intc;
    SpaprEventQueue *events;
    int64_t rtc_offset_s;      /* guest time-of-day minus host time, in seconds */
    GHashTable *drcs;          /* DRC index -> SpaprDrc * */
};

GType spapr_machine_get_type(void);

/* The machine, or NULL if the current machine is not pseries. */
SpaprMachine *spapr_machine(void);

/* Guest RAM helpers: TRUE if [addr, addr+len) lies entirely in guest RAM. */
bool spapr_ram_range_ok(SpaprMachine *spapr, hwaddr addr, uint64_t len);
/* Host pointer of guest-physical @addr (the range must have been checked). */
void *spapr_ram_ptr(SpaprMachine *spapr, hwaddr addr);

/* Build the device tree as the current devices describe it (g_free the blob). */
void *spapr_build_fdt(SpaprMachine *spapr, GError **errp);
/* Write it to @filename. */
gboolean spapr_dump_fdt(SpaprMachine *spapr, const char *filename, GError **errp);

#endif
