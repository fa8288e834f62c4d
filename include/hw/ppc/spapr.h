/*
 * The pseries (sPAPR) machine.
 */
#ifndef HW_PPC_SPAPR_H
#define HW_PPC_SPAPR_H

#include "hw/boards.h"

typedef struct SpaprMachine SpaprMachine;
typedef struct SpaprMachineClass {
    MachineClass parent_class;
} SpaprMachineClass;

#define TYPE_SPAPR_MACHINE "pseries-machine"
#define SPAPR_MACHINE(o) (G_TYPE_CHECK_INSTANCE_CAST((o), spapr_machine_get_type(), SpaprMachine))

struct SpaprMachine {
    Machine parent;
};

GType spapr_machine_get_type(void);

#endif
