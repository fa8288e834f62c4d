/*
 * Interrupt controller: one input per global interrupt number, an
 * allocator for fixed sources and MSI blocks.
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "qemu/module.h"
#include "hw/ppc/spapr.h"
#include "hw/ppc/spapr_irq.h"
#include "trace-events-all.h"

typedef struct IrqSource {
    bool claimed;
    bool lsi;
    bool level;                /* LSI: line asserted */
    bool latched;              /* MSI: an edge arrived and was not consumed */
} IrqSource;

struct SpaprIntc {
    Device parent;
    IrqSource src[SPAPR_IRQ_MAX];
};

typedef struct SpaprIntcClass {
    DeviceClass parent_class;
} SpaprIntcClass;

OBJECT_DEFINE_TYPE(SpaprIntc, spapr_intc, TYPE_SPAPR_INTC, TYPE_DEVICE)

static void intc_set_irq(void *opaque, int n, int level)
{
    SpaprIntc *intc = opaque;
    IrqSource *s = &intc->src[n];

    trace_spapr_irq_set(n, level);
    if (s->lsi) {
        s->level = level;
    } else if (level) {
        s->latched = true;
    }
}

static void spapr_intc_reset(Device *dev)
{
    SpaprIntc *intc = (SpaprIntc *)dev;

    for (int i = 0; i < SPAPR_IRQ_MAX; i++) {
        intc->src[i].level = intc->src[i].latched = false;
    }
}

static void spapr_intc_init(SpaprIntc *intc)
{
    /* line N is global interrupt N: what the device tree and qtest show */
    qdev_init_gpio_in(DEVICE(intc), intc_set_irq, SPAPR_IRQ_MAX);
}

static void spapr_intc_class_init(SpaprIntcClass *klass)
{
    OBJECT_CLASS(klass)->description = "sPAPR interrupt controller (XICS numbering)";
    DEVICE_CLASS(klass)->reset = spapr_intc_reset;
}

type_init(spapr_intc_get_type)

SpaprIntc *spapr_intc_create(SpaprMachine *spapr, GError **errp)
{
    SpaprIntc *intc = (SpaprIntc *)qdev_new(TYPE_SPAPR_INTC);

    object_add_child(OBJECT(spapr), "intc", OBJECT(intc), NULL);
    g_object_unref(intc);
    if (!qdev_realize(DEVICE(intc), MACHINE(spapr)->sysbus, errp)) {
        object_unparent(OBJECT(intc));
        return NULL;
    }
    spapr->intc = intc;
    if (!spapr_irq_claim(spapr, SPAPR_IRQ_EPOW, false, errp) ||
        !spapr_irq_claim(spapr, SPAPR_IRQ_HOTPLUG, false, errp)) {
        return NULL;
    }
    return intc;
}

gboolean spapr_irq_claim(SpaprMachine *spapr, int irq, bool lsi, GError **errp)
{
    IrqSource *s;

    if (irq < SPAPR_XIRQ_BASE || irq >= SPAPR_IRQ_MAX) {
        error_setg(errp, "IRQ %d is outside 0x%x..0x%x", irq, SPAPR_XIRQ_BASE,
                   SPAPR_IRQ_MAX - 1);
        return FALSE;
    }
    s = &spapr->intc->src[irq];
    if (s->claimed) {
        error_setg(errp, "IRQ %d is not free", irq);
        return FALSE;
    }
    *s = (IrqSource){ .claimed = true, .lsi = lsi };
    return TRUE;
}

void spapr_irq_free(SpaprMachine *spapr, int irq, int num)
{
    for (int i = irq; i < irq + num && i < SPAPR_IRQ_MAX; i++) {
        if (i >= SPAPR_XIRQ_BASE) {
            spapr->intc->src[i] = (IrqSource){ 0 };
        }
    }
}

int spapr_irq_msi_total(void)
{
    return SPAPR_IRQ_MAX - SPAPR_IRQ_MSI;
}

int spapr_irq_msi_alloc(SpaprMachine *spapr, int num, GError **errp)
{
    int align = (num > 0 && !(num & (num - 1))) ? num : 1;

    if (num <= 0 || num > spapr_irq_msi_total()) {
        error_setg(errp, "cannot allocate %d MSIs", num);
        return -1;
    }
    for (int first = SPAPR_IRQ_MSI; first + num <= SPAPR_IRQ_MAX; first += align) {
        int i;
        for (i = 0; i < num && !spapr->intc->src[first + i].claimed; i++) {
        }
        if (i == num) {
            for (i = 0; i < num; i++) {
                spapr->intc->src[first + i] = (IrqSource){ .claimed = true, .lsi = false };
            }
            trace_spapr_irq_msi_alloc(first, num);
            return first;
        }
    }
    error_setg(errp, "no block of %d free MSIs is left", num);
    return -1;
}

IrqLine *spapr_qirq(SpaprMachine *spapr, int irq)
{
    g_assert(irq >= SPAPR_XIRQ_BASE && irq < SPAPR_IRQ_MAX);
    return qdev_get_gpio_in(DEVICE(spapr->intc), irq);
}

bool spapr_irq_is_pending(SpaprMachine *spapr, int irq)
{
    IrqSource *s = &spapr->intc->src[irq];
    bool pending = s->lsi ? s->level : s->latched;

    s->latched = false;
    return pending;
}
