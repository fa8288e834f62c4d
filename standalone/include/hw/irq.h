/*
 * Interrupt lines between devices (QEMU's qemu_irq, GPIOs).
 *
 * A line is a handler plus its input number.  Devices own their input lines
 * (qdev_init_gpio_in) and raise their outputs through a slot that points at
 * some input (qdev_init_gpio_out/qdev_connect_gpio_out).  qtest's
 * irq_intercept_in/out rewires exactly these objects.
 */
#ifndef HW_IRQ_H
#define HW_IRQ_H

#include "qemu/osdep.h"

typedef void (*IrqHandler)(void *opaque, int n, int level);

typedef struct IrqLine {
    IrqHandler handler;
    void *opaque;
    int n;
} IrqLine;

/* Drive @irq to @level (0 or 1); a NULL line is not connected: nothing happens. */
static inline void qemu_set_irq(IrqLine *irq, int level)
{
    if (irq) {
        irq->handler(irq->opaque, irq->n, level);
    }
}

static inline void qemu_irq_raise(IrqLine *irq) { qemu_set_irq(irq, 1); }
static inline void qemu_irq_lower(IrqLine *irq) { qemu_set_irq(irq, 0); }
/* Edge: raise then lower (MSI and event interrupts). */
static inline void qemu_irq_pulse(IrqLine *irq)
{
    qemu_set_irq(irq, 1);
    qemu_set_irq(irq, 0);
}

#endif
