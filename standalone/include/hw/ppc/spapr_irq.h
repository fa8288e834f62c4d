/*
 * The machine's interrupt controller and its number allocator.
 *
 * Sources are numbered as the device tree gives them to the guest
 * (0x1000..0x1fff).  The controller is a device at /machine/intc whose
 * input line N is global interrupt N, so qtest's
 * "irq_intercept_in /machine/intc" reports "IRQ raise 4608" for LSI 0x1200.
 * LSIs are level triggered; MSIs are edges (a pulse).
 */
#ifndef HW_PPC_SPAPR_IRQ_H
#define HW_PPC_SPAPR_IRQ_H

#include "hw/ppc/spapr.h"

#define TYPE_SPAPR_INTC "spapr-intc"

/* Create the controller and claim the machine's fixed sources (EPOW, hotplug). */
SpaprIntc *spapr_intc_create(SpaprMachine *spapr, GError **errp);

/* Claim a fixed source (LSIs and event sources); fails if taken or out of range. */
gboolean spapr_irq_claim(SpaprMachine *spapr, int irq, bool lsi, GError **errp);
void spapr_irq_free(SpaprMachine *spapr, int irq, int num);
/*
 * Allocate @num contiguous MSI numbers from 0x1300 up, aligned to @num
 * when it is a power of two.  Returns the first number or -1 (errp set).
 */
int spapr_irq_msi_alloc(SpaprMachine *spapr, int num, GError **errp);
/* Numbers still free for MSIs (ibm,pe-total-#msi is the total). */
int spapr_irq_msi_total(void);

/* The input line of global interrupt @irq (what a device's output connects to). */
IrqLine *spapr_qirq(SpaprMachine *spapr, int irq);
/* Was @irq asserted (LSI level) or latched (MSI edge) since last read-and-clear? */
bool spapr_irq_is_pending(SpaprMachine *spapr, int irq);

#endif
