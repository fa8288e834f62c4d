/*
 * vfio-sim interrupts, as drivers/vfio/pci/vfio_pci_intrs.c exposes them:
 * VFIO_DEVICE_GET_IRQ_INFO and VFIO_DEVICE_SET_IRQS for INTx (1, maskable,
 * automasked), MSI (1 vector), MSI-X (4 vectors on PCIe functions, none on
 * conventional ones), ERR (PCIe only) and REQ.
 *
 * One interrupt type at a time, as the kernel's irq_type: enabling INTx,
 * MSI or MSI-X (a TRIGGER with eventfds) while another type is enabled
 * fails with EINVAL; a TRIGGER of count 0 with DATA_NONE disables the type
 * that is on, which leaves none.  MSI and MSI-X follow vfio_msi_enable()
 * and vfio_msi_set_block(): the enabling call allocates start + count
 * vectors (NORESIZE: later calls must stay within them), an eventfd of -1
 * leaves its vector without a trigger, and a block that fails half way
 * leaves its vectors without triggers.  The edu's interrupt is MSI vector
 * 0 or MSI-X vector 0 while they are on; MSI-X masking is the user's
 * business (the guest's table is emulated above us), the host side just
 * signals the vector's eventfd when it has one.
 *
 * The kernel keeps a reference on every eventfd it is given; so does the
 * simulation (a dup), which is why those references count among the
 * descriptors vfio-sim holds.
 *
 * INTx is a level: when the line rises with INTx enabled and unmasked, the
 * eventfd is signalled once and INTx is masked; VFIO_IRQ_SET_ACTION_UNMASK
 * unmasks it and, if the line is still high (the driver has not acked the
 * edu yet), signals again at once, as pci_check_and_unmask_intx() makes
 * the kernel do.  MSI is an edge: one signal per edu interrupt.
 */
#include "qemu/osdep.h"
#include <fcntl.h>
#include <glib-unix.h>
#include "hw/pci/pci.h"
#include "sim-internal.h"
#include "trace-events-all.h"

/* Take a reference on the user's eventfd @fd (eventfd_ctx_fdget()). */
static int eventfd_ref(SimDevice *d, int fd, int *ref)
{
    VfioSim *sim = d->group->sim;
    g_autofree char *path = g_strdup_printf("/proc/self/fd/%d", fd);
    char target[64];
    ssize_t n;
    int dup;

    if (fd < 0 || fcntl(fd, F_GETFD) < 0) {
        return -EBADF;
    }
    n = readlink(path, target, sizeof(target) - 1);
    if (n < 0) {
        return -EBADF;
    }
    target[n] = 0;
    /* a vfio-sim handle is an eventfd too, but stands for a VFIO file */
    if (strcmp(target, "anon_inode:[eventfd]") ||
        g_hash_table_contains(sim->fds, GINT_TO_POINTER(fd))) {
        return -EINVAL;
    }
    dup = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (dup < 0) {
        return -errno;
    }
    sim->eventfd_refs++;
    *ref = dup;
    return 0;
}

static void eventfd_unref(SimDevice *d, int *ref)
{
    if (*ref >= 0) {
        close(*ref);
        d->group->sim->eventfd_refs--;
        *ref = -1;
    }
}

static void signal_fd(SimDevice *d, int fd, const char *what)
{
    uint64_t one = 1;

    if (fd < 0) {
        return;
    }
    /* a full counter (2^64 - 2 pending) would block: the signal is then lost */
    if (write(fd, &one, sizeof(one)) == sizeof(one)) {
        d->irqs_signalled++;
    }
    trace_vfio_sim_irq(d->name, what);
}

static unsigned irq_count(SimDevice *d, unsigned index)
{
    switch (index) {
    case VFIO_PCI_INTX_IRQ_INDEX:
        return d->config[PCI_INTERRUPT_PIN] ? 1 : 0;
    case VFIO_PCI_MSI_IRQ_INDEX:
        return 1;
    case VFIO_PCI_MSIX_IRQ_INDEX:
        return sim_func_has_msix(d) ? SIM_MSIX_VECTORS : 0;
    case VFIO_PCI_ERR_IRQ_INDEX:
        return d->pcie ? 1 : 0;
    case VFIO_PCI_REQ_IRQ_INDEX:
        return 1;
    default:
        return 0;
    }
}

/* INTx ------------------------------------------------------------------------ */

bool sim_irq_intx_level(SimDevice *d)
{
    /* with MSI or MSI-X on, the function signals by message, never by its pin */
    return d->edu.irq_status && d->irq_type != SIM_IRQ_MSI && d->irq_type != SIM_IRQ_MSIX;
}

/* The line is high: interrupt unless masked, then mask (automasked). */
static void intx_fire(SimDevice *d)
{
    if (d->irq_type != SIM_IRQ_INTX || d->intx_masked || !sim_irq_intx_level(d)) {
        return;
    }
    d->intx_masked = true;
    signal_fd(d, d->intx_trigger, "intx");
}

static void intx_unmask(SimDevice *d)
{
    if (d->irq_type != SIM_IRQ_INTX || !d->intx_masked) {
        return;
    }
    d->intx_masked = false;
    intx_fire(d);               /* still pending: re-send at once */
}

static gboolean intx_unmask_ready(gint fd, GIOCondition cond, gpointer opaque)
{
    SimDevice *d = opaque;
    uint64_t cnt;

    if (read(fd, &cnt, sizeof(cnt)) == sizeof(cnt)) {
        intx_unmask(d);
    }
    return G_SOURCE_CONTINUE;
}

static void intx_unmask_fd_clear(SimDevice *d)
{
    if (d->intx_unmask_watch) {
        g_source_remove(d->intx_unmask_watch);
        d->intx_unmask_watch = 0;
    }
    eventfd_unref(d, &d->intx_unmask_fd);
}

static void intx_disable(SimDevice *d)
{
    intx_unmask_fd_clear(d);
    eventfd_unref(d, &d->intx_trigger);
    d->intx_masked = false;
    d->irq_type = SIM_IRQ_NONE;
}

static int intx_mask_action(SimDevice *d, unsigned start, unsigned count, uint32_t flags,
                            void *data)
{
    if (d->irq_type != SIM_IRQ_INTX || start || count != 1) {
        return -EINVAL;
    }
    if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
        return -ETIMEDOUT;      /* the kernel has never implemented masking by eventfd */
    }
    if ((flags & VFIO_IRQ_SET_DATA_NONE) || *(uint8_t *)data) {
        d->intx_masked = true;
    }
    return 0;
}

static int intx_unmask_action(SimDevice *d, unsigned start, unsigned count, uint32_t flags,
                              void *data)
{
    int32_t fd;
    int ret;

    if (d->irq_type != SIM_IRQ_INTX || start || count != 1) {
        return -EINVAL;
    }
    if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
        /* an eventfd that unmasks when signalled (KVM's resampler) */
        fd = *(int32_t *)data;
        intx_unmask_fd_clear(d);
        if (fd < 0) {
            return 0;
        }
        ret = eventfd_ref(d, fd, &d->intx_unmask_fd);
        if (ret < 0) {
            return ret;
        }
        d->intx_unmask_watch = g_unix_fd_add(d->intx_unmask_fd, G_IO_IN, intx_unmask_ready, d);
        return 0;
    }
    if ((flags & VFIO_IRQ_SET_DATA_NONE) || *(uint8_t *)data) {
        intx_unmask(d);
    }
    return 0;
}

static int intx_trigger_action(SimDevice *d, unsigned start, unsigned count, uint32_t flags,
                               void *data)
{
    int ref = -1;
    int ret;

    if (d->irq_type == SIM_IRQ_INTX && !count && (flags & VFIO_IRQ_SET_DATA_NONE)) {
        intx_disable(d);
        return 0;
    }
    if ((d->irq_type != SIM_IRQ_INTX && d->irq_type != SIM_IRQ_NONE) || start || count != 1) {
        return -EINVAL;
    }
    if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
        int32_t fd = *(int32_t *)data;

        if (fd >= 0) {
            ret = eventfd_ref(d, fd, &ref);
            if (ret < 0) {
                return ret;
            }
        }
        eventfd_unref(d, &d->intx_trigger);
        d->intx_trigger = ref;
        if (d->irq_type == SIM_IRQ_NONE) {
            d->irq_type = SIM_IRQ_INTX;
            d->intx_masked = false;
            intx_fire(d);       /* a line already high interrupts at once */
        }
        return 0;
    }
    if (d->irq_type != SIM_IRQ_INTX) {
        return -EINVAL;
    }
    /* loopback: DATA_NONE, or DATA_BOOL true, signals the eventfd */
    if ((flags & VFIO_IRQ_SET_DATA_NONE) || *(uint8_t *)data) {
        signal_fd(d, d->intx_trigger, "intx loopback");
    }
    return 0;
}

/* MSI and MSI-X: vfio_pci_set_msi_trigger() ---------------------------------------- */

static unsigned msi_vectors(SimDevice *d, bool msix)
{
    return msix ? d->msix_nvec : 1;
}

static int *vector_trigger(SimDevice *d, bool msix, unsigned vector)
{
    return msix ? &d->msix_trigger[vector] : &d->msi_trigger;
}

/* vfio_msi_disable(): every vector's trigger goes, the function has no interrupt type */
static void msi_disable(SimDevice *d, bool msix)
{
    for (unsigned v = 0; v < (msix ? SIM_MSIX_VECTORS : 1); v++) {
        eventfd_unref(d, vector_trigger(d, msix, v));
    }
    d->msix_nvec = 0;
    d->irq_type = SIM_IRQ_NONE;
}

/* vfio_msi_set_vector_signal(): the old trigger goes first; fd < 0 leaves none */
static int set_vector_signal(SimDevice *d, bool msix, unsigned vector, int32_t fd)
{
    int *slot = vector_trigger(d, msix, vector);

    eventfd_unref(d, slot);
    return fd < 0 ? 0 : eventfd_ref(d, fd, slot);
}

/*
 * vfio_msi_set_block(): only within the vectors allocated at enable (no
 * dynamic MSI-X allocation: NORESIZE); when one fails, those of the block
 * already set lose their trigger again.
 */
static int set_block(SimDevice *d, bool msix, unsigned start, unsigned count,
                     const int32_t *fds)
{
    unsigned nvec = msi_vectors(d, msix), v;
    int ret = 0;

    if (start >= nvec || start + count > nvec) {
        return -EINVAL;
    }
    for (v = start; v < start + count && !ret; v++) {
        ret = set_vector_signal(d, msix, v, fds[v - start]);
    }
    if (ret) {
        for (unsigned i = start; i < v; i++) {
            set_vector_signal(d, msix, i, -1);
        }
    }
    return ret;
}

static int msi_trigger_action(SimDevice *d, bool msix, unsigned start, unsigned count,
                              uint32_t flags, void *data)
{
    SimIrqType type = msix ? SIM_IRQ_MSIX : SIM_IRQ_MSI;
    bool was_on = d->irq_type == type;
    int ret;

    if (was_on && !count && (flags & VFIO_IRQ_SET_DATA_NONE)) {
        msi_disable(d, msix);
        return 0;
    }
    if (!was_on && d->irq_type != SIM_IRQ_NONE) {
        return -EINVAL;         /* another interrupt type is still enabled */
    }
    if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
        if (was_on) {
            return set_block(d, msix, start, count, data);
        }
        /* vfio_msi_enable(): start + count vectors, or none at all */
        if (!(start + count)) {
            return -EINVAL;     /* pci_alloc_irq_vectors() of no vector */
        }
        d->irq_type = type;
        d->msix_nvec = msix ? start + count : 0;
        ret = set_block(d, msix, start, count, data);
        if (ret < 0) {
            msi_disable(d, msix);
        }
        return ret;
    }
    if (!was_on) {
        return -EINVAL;
    }
    /* loopback: DATA_NONE, or DATA_BOOL true, signals the vector's eventfd */
    for (unsigned v = start; v < start + count && v < msi_vectors(d, msix); v++) {
        if ((flags & VFIO_IRQ_SET_DATA_NONE) || ((uint8_t *)data)[v - start]) {
            signal_fd(d, *vector_trigger(d, msix, v), msix ? "msix loopback" : "msi loopback");
        }
    }
    return 0;
}

/* ERR and REQ: one eventfd each (vfio_pci_set_ctx_trigger_single()) ---------------- */

static int ctx_trigger_single(SimDevice *d, int *ctx, unsigned start, unsigned count,
                              uint32_t flags, void *data)
{
    if (start || count > 1) {
        return -EINVAL;
    }
    if (flags & VFIO_IRQ_SET_DATA_NONE) {
        if (*ctx < 0) {
            return -EINVAL;
        }
        if (count) {
            signal_fd(d, *ctx, "err/req loopback");
        } else {
            eventfd_unref(d, ctx);
        }
        return 0;
    }
    if (!count) {
        return -EINVAL;
    }
    if (flags & VFIO_IRQ_SET_DATA_BOOL) {
        if (*(uint8_t *)data) {
            signal_fd(d, *ctx, "err/req loopback");
        }
        return 0;
    }
    if (*(int32_t *)data == -1) {
        eventfd_unref(d, ctx);
    } else if (*(int32_t *)data >= 0) {
        int ref;
        int ret = eventfd_ref(d, *(int32_t *)data, &ref);
        if (ret < 0) {
            return ret;
        }
        eventfd_unref(d, ctx);
        *ctx = ref;
    }
    return 0;
}

/* ioctls ----------------------------------------------------------------------- */

int sim_irq_get_info(SimDevice *d, struct vfio_irq_info *info)
{
    uint32_t minsz = offsetofend(struct vfio_irq_info, count);

    if (!info) {
        return -EFAULT;
    }
    if (info->argsz < minsz || info->index >= VFIO_PCI_NUM_IRQS) {
        return -EINVAL;
    }
    if (info->index == VFIO_PCI_ERR_IRQ_INDEX && !d->pcie) {
        return -EINVAL;         /* AER reporting needs a PCIe function */
    }
    info->flags = VFIO_IRQ_INFO_EVENTFD;
    info->count = irq_count(d, info->index);
    if (info->index == VFIO_PCI_INTX_IRQ_INDEX) {
        info->flags |= VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
    } else {
        info->flags |= VFIO_IRQ_INFO_NORESIZE;
    }
    return 0;
}

int sim_irq_set(SimDevice *d, struct vfio_irq_set *set)
{
    uint32_t minsz = offsetofend(struct vfio_irq_set, count);
    uint32_t known = VFIO_IRQ_SET_DATA_TYPE_MASK | VFIO_IRQ_SET_ACTION_TYPE_MASK;
    unsigned max;
    uint64_t size;

    if (!set) {
        return -EFAULT;
    }
    /* vfio_set_irqs_validate_and_prepare() */
    if (set->argsz < minsz || set->index >= VFIO_PCI_NUM_IRQS ||
        set->count >= UINT32_MAX - set->start || (set->flags & ~known)) {
        return -EINVAL;
    }
    max = irq_count(d, set->index);
    if (set->start >= max || set->start + set->count > max) {
        return -EINVAL;
    }
    switch (set->flags & VFIO_IRQ_SET_DATA_TYPE_MASK) {
    case VFIO_IRQ_SET_DATA_NONE:
        size = 0;
        break;
    case VFIO_IRQ_SET_DATA_BOOL:
        size = sizeof(uint8_t);
        break;
    case VFIO_IRQ_SET_DATA_EVENTFD:
        size = sizeof(int32_t);
        break;
    default:
        return -EINVAL;
    }
    if (size && set->argsz - minsz < set->count * size) {
        return -EINVAL;
    }

    /* vfio_pci_set_irqs_ioctl(): one handler per index and action */
    switch (set->index) {
    case VFIO_PCI_INTX_IRQ_INDEX:
        switch (set->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK) {
        case VFIO_IRQ_SET_ACTION_MASK:
            return intx_mask_action(d, set->start, set->count, set->flags, set->data);
        case VFIO_IRQ_SET_ACTION_UNMASK:
            return intx_unmask_action(d, set->start, set->count, set->flags, set->data);
        case VFIO_IRQ_SET_ACTION_TRIGGER:
            return intx_trigger_action(d, set->start, set->count, set->flags, set->data);
        }
        break;
    case VFIO_PCI_MSI_IRQ_INDEX:
    case VFIO_PCI_MSIX_IRQ_INDEX:
        /* MSI masking was never exported: only TRIGGER */
        if ((set->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK) == VFIO_IRQ_SET_ACTION_TRIGGER) {
            return msi_trigger_action(d, set->index == VFIO_PCI_MSIX_IRQ_INDEX, set->start,
                                      set->count, set->flags, set->data);
        }
        break;
    case VFIO_PCI_ERR_IRQ_INDEX:
        if ((set->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK) == VFIO_IRQ_SET_ACTION_TRIGGER &&
            d->pcie) {
            return ctx_trigger_single(d, &d->err_trigger, set->start, set->count, set->flags,
                                      set->data);
        }
        break;
    case VFIO_PCI_REQ_IRQ_INDEX:
        if ((set->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK) == VFIO_IRQ_SET_ACTION_TRIGGER) {
            return ctx_trigger_single(d, &d->req_trigger, set->start, set->count, set->flags,
                                      set->data);
        }
        break;
    }
    return -ENOTTY;
}

/* From the hardware ---------------------------------------------------------------- */

void sim_irq_raise(SimDevice *d)
{
    switch (d->irq_type) {
    case SIM_IRQ_MSI:
        signal_fd(d, d->msi_trigger, "msi");
        break;
    case SIM_IRQ_MSIX:
        /* the edu has one interrupt: vector 0, allocated whenever MSI-X is on */
        signal_fd(d, d->msix_trigger[0], "msix");
        break;
    default:
        intx_fire(d);
        break;
    }
}

void sim_irq_disable_all(SimDevice *d)
{
    if (d->irq_type == SIM_IRQ_INTX) {
        intx_disable(d);
    } else if (d->irq_type == SIM_IRQ_MSI || d->irq_type == SIM_IRQ_MSIX) {
        msi_disable(d, d->irq_type == SIM_IRQ_MSIX);
    }
    eventfd_unref(d, &d->err_trigger);
    eventfd_unref(d, &d->req_trigger);
}
