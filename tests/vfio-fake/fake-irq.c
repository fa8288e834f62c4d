/*
 * vfio-pci interrupts (drivers/vfio/pci/vfio_pci_intrs.c): eventfds the
 * user hands over with VFIO_DEVICE_SET_IRQS, signalled when the function
 * model raises its interrupt.
 *
 * One type at a time, as the kernel: INTx, MSI or MSI-X; enabling one
 * while another is on fails with EINVAL; TRIGGER with DATA_NONE and count
 * 0 disables the type that is on.  INTx is automasked: after a signal it
 * stays masked until UNMASK, which signals again if the line is still
 * high.  MSI/MSI-X allocate start + count vectors when enabled (NORESIZE:
 * later calls stay within them); an eventfd of -1 leaves a vector without
 * a trigger.  The model raises MSI or MSI-X vector N when one is on (the
 * edu always N = 0), else INTx.  The fake keeps its own dup of each
 * eventfd, as the kernel holds a reference, so the user may close theirs.
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "fake.h"

static void signal_fd(FakeDevice *d, int fd)
{
    uint64_t one = 1;

    if (fd >= 0 && write(fd, &one, sizeof(one)) == sizeof(one)) {
        d->irqs_signalled++;
    }
}

static void put_fd(int *fd)
{
    if (*fd >= 0) {
        fake_real_close(*fd);
        *fd = -1;
    }
}

/*
 * Is @fd an eventfd?  Signalling writes 8 bytes into it, which would
 * corrupt a file or a pipe's stream; the kernel (eventfd_ctx_fdget())
 * takes nothing else.  An eventfd is an anonymous inode of that name.
 */
static bool is_eventfd(int fd)
{
    char path[32], target[32];
    ssize_t n;

    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    n = readlink(path, target, sizeof(target) - 1);
    if (n < 0) {
        return false;
    }
    target[n] = '\0';
    return !strcmp(target, "anon_inode:[eventfd]");
}

/* Our reference to the user's eventfd @fd (-1: none), or -errno. */
static int get_fd(int fd)
{
    int ours;

    if (fd < 0) {
        return -1;
    }
    ours = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (ours < 0) {
        return -EBADF;
    }
    if (!is_eventfd(ours)) {
        fake_real_close(ours);
        return -EINVAL;
    }
    return ours;
}

static unsigned irq_count(FakeDevice *d, unsigned index)
{
    switch (index) {
    case VFIO_PCI_INTX_IRQ_INDEX:
        return fake_config_get(d, 0x3d, 1) ? 1 : 0;
    case VFIO_PCI_MSI_IRQ_INDEX:
        return 1;
    case VFIO_PCI_MSIX_IRQ_INDEX:
        return d->msix_vectors;
    case VFIO_PCI_ERR_IRQ_INDEX:
        return d->pcie ? 1 : 0;
    case VFIO_PCI_REQ_IRQ_INDEX:
        return 1;
    default:
        return 0;
    }
}

int fake_irq_get_info(FakeDevice *d, struct vfio_irq_info *info)
{
    uint32_t minsz = offsetofend(struct vfio_irq_info, count);

    if (!info) {
        return -EFAULT;
    }
    if (info->argsz < minsz || info->index >= VFIO_PCI_NUM_IRQS) {
        return -EINVAL;
    }
    if (info->index == VFIO_PCI_ERR_IRQ_INDEX && !d->pcie) {
        return -EINVAL;         /* AER exists on PCIe functions only */
    }
    info->flags = VFIO_IRQ_INFO_EVENTFD;
    info->count = irq_count(d, info->index);
    if (info->index == VFIO_PCI_INTX_IRQ_INDEX) {
        info->flags |= VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
    } else if (info->index == VFIO_PCI_MSI_IRQ_INDEX ||
               info->index == VFIO_PCI_MSIX_IRQ_INDEX) {
        info->flags |= VFIO_IRQ_INFO_NORESIZE;
    }
    return 0;
}

/*
 * MSI or MSI-X off (vfio_msi_disable()): its vectors only; the error
 * and request triggers are of another index and stay.
 */
static void msi_disable(FakeDevice *d)
{
    put_fd(&d->msi_trigger);
    for (unsigned i = 0; i < FAKE_MSIX_MAX; i++) {
        put_fd(&d->msix_trigger[i]);
    }
    d->irq_type = FAKE_IRQ_NONE;
    d->msix_nvec = 0;
}

void fake_irq_disable_all(FakeDevice *d)
{
    put_fd(&d->intx_trigger);
    put_fd(&d->msi_trigger);
    for (unsigned i = 0; i < FAKE_MSIX_MAX; i++) {
        put_fd(&d->msix_trigger[i]);
    }
    put_fd(&d->err_trigger);
    put_fd(&d->req_trigger);
    d->irq_type = FAKE_IRQ_NONE;
    d->intx_masked = false;
    d->msix_nvec = 0;
}

void fake_irq_raise(FakeDevice *d)
{
    fake_irq_raise_vector(d, 0);
}

void fake_irq_raise_vector(FakeDevice *d, unsigned vector)
{
    switch (d->irq_type) {
    case FAKE_IRQ_MSI:
        signal_fd(d, vector ? -1 : d->msi_trigger);
        break;
    case FAKE_IRQ_MSIX:
        /* a vector the user did not enable is lost, as on hardware */
        signal_fd(d, vector < d->msix_nvec ? d->msix_trigger[vector] : -1);
        break;
    case FAKE_IRQ_INTX:
        if (!d->intx_masked) {
            d->intx_masked = true;      /* automasked until UNMASK */
            signal_fd(d, d->intx_trigger);
        }
        break;
    default:
        break;                          /* no interrupt enabled: lost */
    }
}

/* INTx ------------------------------------------------------------------- */

static void intx_unmask(FakeDevice *d)
{
    d->intx_masked = false;
    if (d->ops->irq_level(d)) {
        fake_irq_raise(d);              /* still high: fires again */
    }
}

static int set_intx(FakeDevice *d, struct vfio_irq_set *set, uint32_t dtype,
                    uint32_t action)
{
    int32_t fd;
    int ours;

    if (action != VFIO_IRQ_SET_ACTION_TRIGGER) {
        if (d->irq_type != FAKE_IRQ_INTX || set->start || set->count != 1) {
            return -EINVAL;
        }
        if (dtype == VFIO_IRQ_SET_DATA_EVENTFD) {
            return -ENOTTY;     /* unmask eventfds: see README.rst */
        }
        if (dtype == VFIO_IRQ_SET_DATA_BOOL && !set->data[0]) {
            return 0;
        }
        if (action == VFIO_IRQ_SET_ACTION_MASK) {
            d->intx_masked = true;
        } else {
            intx_unmask(d);
        }
        return 0;
    }
    if (dtype == VFIO_IRQ_SET_DATA_NONE && !set->count) {
        if (d->irq_type == FAKE_IRQ_INTX) {
            put_fd(&d->intx_trigger);
            d->irq_type = FAKE_IRQ_NONE;
        }
        return 0;
    }
    if (d->irq_type != FAKE_IRQ_INTX && d->irq_type != FAKE_IRQ_NONE) {
        return -EINVAL;
    }
    if (dtype == VFIO_IRQ_SET_DATA_EVENTFD) {
        memcpy(&fd, set->data, sizeof(fd));
        ours = get_fd(fd);
        if (ours < -1) {
            return ours;
        }
        put_fd(&d->intx_trigger);
        d->intx_trigger = ours;
        d->irq_type = ours >= 0 ? FAKE_IRQ_INTX : FAKE_IRQ_NONE;
        d->intx_masked = false;
        return 0;
    }
    /* DATA_NONE / DATA_BOOL: a software trigger */
    if (d->irq_type == FAKE_IRQ_INTX &&
        (dtype == VFIO_IRQ_SET_DATA_NONE || set->data[0])) {
        signal_fd(d, d->intx_trigger);
    }
    return 0;
}

/* MSI and MSI-X ---------------------------------------------------------- */

static int set_msi(FakeDevice *d, struct vfio_irq_set *set, uint32_t dtype,
                   uint32_t action, FakeIrqType type)
{
    int *triggers = type == FAKE_IRQ_MSI ? &d->msi_trigger : d->msix_trigger;

    if (action != VFIO_IRQ_SET_ACTION_TRIGGER) {
        return -ENOTTY;         /* the kernel has no MSI masking either */
    }
    if (dtype == VFIO_IRQ_SET_DATA_NONE && !set->count) {
        if (d->irq_type == type) {
            msi_disable(d);
        }
        return 0;
    }
    if (d->irq_type != type && d->irq_type != FAKE_IRQ_NONE) {
        return -EINVAL;
    }
    if (dtype == VFIO_IRQ_SET_DATA_EVENTFD) {
        int32_t *fds = (int32_t *)set->data;
        int ours[FAKE_MSIX_MAX];

        if (d->irq_type == type && set->start + set->count > d->msix_nvec) {
            return -EINVAL;     /* NORESIZE */
        }
        for (uint32_t i = 0; i < set->count; i++) {
            ours[i] = get_fd(fds[i]);
            if (ours[i] < -1) {
                int err = ours[i];

                while (i-- > 0) {
                    put_fd(&ours[i]);
                }
                return err;
            }
        }
        if (d->irq_type != type) {
            d->irq_type = type;
            d->msix_nvec = set->start + set->count;
        }
        for (uint32_t i = 0; i < set->count; i++) {
            put_fd(&triggers[set->start + i]);
            triggers[set->start + i] = ours[i];
        }
        return 0;
    }
    if (d->irq_type != type || set->start + set->count > d->msix_nvec) {
        return -EINVAL;
    }
    for (uint32_t i = 0; i < set->count; i++) {
        if (dtype == VFIO_IRQ_SET_DATA_NONE || set->data[i]) {
            signal_fd(d, triggers[set->start + i]);
        }
    }
    return 0;
}

static int set_single(FakeDevice *d, struct vfio_irq_set *set,
                      uint32_t dtype, uint32_t action, int *trigger)
{
    int32_t fd;
    int ours;

    if (action != VFIO_IRQ_SET_ACTION_TRIGGER) {
        return -ENOTTY;
    }
    if (dtype == VFIO_IRQ_SET_DATA_EVENTFD) {
        memcpy(&fd, set->data, sizeof(fd));
        ours = get_fd(fd);
        if (ours < -1) {
            return ours;
        }
        put_fd(trigger);
        *trigger = ours;
        return 0;
    }
    if (dtype == VFIO_IRQ_SET_DATA_NONE && !set->count) {
        put_fd(trigger);
        return 0;
    }
    if (dtype == VFIO_IRQ_SET_DATA_NONE || set->data[0]) {
        signal_fd(d, *trigger);
    }
    return 0;
}

int fake_irq_set(FakeDevice *d, struct vfio_irq_set *set)
{
    uint32_t minsz = offsetofend(struct vfio_irq_set, count);
    uint32_t dtype, action, size, max;

    if (!set) {
        return -EFAULT;
    }
    /* vfio_set_irqs_validate_and_prepare() */
    if (set->argsz < minsz || set->index >= VFIO_PCI_NUM_IRQS ||
        (set->flags & ~(VFIO_IRQ_SET_DATA_TYPE_MASK |
                        VFIO_IRQ_SET_ACTION_TYPE_MASK))) {
        return -EINVAL;
    }
    max = irq_count(d, set->index);
    if (set->start >= max || set->count >= UINT32_MAX - set->start ||
        set->start + set->count > max) {
        return -EINVAL;
    }
    dtype = set->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
    action = set->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
    switch (dtype) {
    case VFIO_IRQ_SET_DATA_NONE:
        size = 0;
        break;
    case VFIO_IRQ_SET_DATA_BOOL:
        size = 1;
        break;
    case VFIO_IRQ_SET_DATA_EVENTFD:
        size = 4;
        break;
    default:
        return -EINVAL;
    }
    if (size && (!set->count ||
                 set->argsz - minsz < (uint64_t)set->count * size)) {
        return -EINVAL;
    }
    /*
     * The header is valid; the kernel then looks for a handler of the
     * one action asked, and has none for several at once: ENOTTY.
     */
    if (action != VFIO_IRQ_SET_ACTION_MASK &&
        action != VFIO_IRQ_SET_ACTION_UNMASK &&
        action != VFIO_IRQ_SET_ACTION_TRIGGER) {
        return -ENOTTY;
    }
    switch (set->index) {
    case VFIO_PCI_INTX_IRQ_INDEX:
        return set_intx(d, set, dtype, action);
    case VFIO_PCI_MSI_IRQ_INDEX:
        return set_msi(d, set, dtype, action, FAKE_IRQ_MSI);
    case VFIO_PCI_MSIX_IRQ_INDEX:
        return set_msi(d, set, dtype, action, FAKE_IRQ_MSIX);
    case VFIO_PCI_ERR_IRQ_INDEX:
        return set_single(d, set, dtype, action, &d->err_trigger);
    default:
        return set_single(d, set, dtype, action, &d->req_trigger);
    }
}
