/*
 * Group and container files (drivers/vfio/group.c, container.c), and
 * device DMA through a container's IOMMU.
 *
 * Lifetimes follow the kernel's references:
 *   - a device file holds its group open: closing the group fd while
 *     devices are open defers the group's release;
 *   - a group holds its container: a container whose fd is closed lives
 *     on, mappings and all, until its last group leaves;
 *   - the last group leaving releases the IOMMU state and returns the
 *     container to "no IOMMU set".
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* process_vm_readv() */
#endif
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include "fake.h"

bool fake_device_is_vfio(FakeDevice *d)
{
    return !strcmp(d->driver, "vfio-pci");
}

bool fake_group_viable(FakeGroup *g)
{
    /*
     * iommu_group_claim_dma_owner(): refused while a kernel driver owns a
     * function of the group; unbound functions do no DMA and are fine.
     */
    for (guint i = 0; i < g->devices->len; i++) {
        FakeDevice *d = g_ptr_array_index(g->devices, i);
        if (*d->driver && !fake_device_is_vfio(d)) {
            return false;
        }
    }
    return true;
}

bool fake_group_has_node(FakeGroup *g)
{
    for (guint i = 0; i < g->devices->len; i++) {
        if (fake_device_is_vfio(g_ptr_array_index(g->devices, i))) {
            return true;
        }
    }
    return false;
}

/* Files ------------------------------------------------------------------ */

int fake_group_open(FakeGroup *g, bool cloexec)
{
    int fd;

    if (g->eacces) {
        return -EACCES;         /* the node's mode, checked before open */
    }
    if (g->fd >= 0 || g->device_fds) {
        return -EBUSY;          /* one open instance of a group at a time */
    }
    fd = fake_handle_new(FAKE_HANDLE_GROUP, g, cloexec);
    if (fd >= 0) {
        g->fd = fd;
    }
    return fd;
}

int fake_container_open(bool cloexec)
{
    FakeContainer *c = g_new0(FakeContainer, 1);
    int fd;

    c->groups = g_ptr_array_new();
    fd = fake_handle_new(FAKE_HANDLE_CONTAINER, c, cloexec);
    if (fd < 0) {
        g_ptr_array_unref(c->groups);
        g_free(c);
        return fd;
    }
    c->fd = fd;
    c->id = fake->next_container_id++;
    g_ptr_array_add(fake->containers, c);
    return fd;
}

static void container_free(FakeContainer *c)
{
    g_assert(!c->groups->len && !c->iommu && c->fd < 0);
    g_ptr_array_remove(fake->containers, c);
    g_ptr_array_unref(c->groups);
    g_free(c);
}

static void group_detach(FakeGroup *g)
{
    FakeContainer *c = g->container;

    if (c->iommu) {
        c->iommu->detach_group(c, g);
    }
    g_ptr_array_remove(c->groups, g);
    g->container = NULL;
    if (c->iommu && !c->groups->len) {
        c->iommu->release(c);
        c->iommu = NULL;
        c->iommu_data = NULL;
    }
    if (c->fd < 0 && !c->groups->len) {
        container_free(c);
    }
}

static void group_maybe_release(FakeGroup *g)
{
    if (g->fd < 0 && !g->device_fds && g->container) {
        group_detach(g);
    }
}

void fake_group_file_closed(FakeGroup *g)
{
    g->fd = -1;
    group_maybe_release(g);
}

void fake_group_device_closed(FakeGroup *g)
{
    g_assert(g->device_fds > 0);
    g->device_fds--;
    group_maybe_release(g);
}

void fake_container_file_closed(FakeContainer *c)
{
    c->fd = -1;
    if (!c->groups->len) {
        container_free(c);
    }
}

/* Group ioctls ----------------------------------------------------------- */

static int group_get_status(FakeGroup *g, struct vfio_group_status *status)
{
    uint32_t minsz = offsetofend(struct vfio_group_status, flags);

    if (!status) {
        return -EFAULT;
    }
    if (status->argsz < minsz) {
        return -EINVAL;
    }
    status->flags = 0;
    if (g->container) {
        status->flags = VFIO_GROUP_FLAGS_CONTAINER_SET |
                        VFIO_GROUP_FLAGS_VIABLE;
    } else if (fake_group_viable(g)) {
        status->flags = VFIO_GROUP_FLAGS_VIABLE;
    }
    return 0;
}

static int group_set_container(FakeGroup *g, const int *arg)
{
    FakeHandle *h;
    FakeContainer *c;
    int ret;

    if (!arg) {
        return -EFAULT;
    }
    if (fcntl(*arg, F_GETFD) < 0) {
        return -EBADF;
    }
    if (g->container) {
        return -EINVAL;
    }
    h = fake_handle_find(*arg);
    if (!h || h->kind != FAKE_HANDLE_CONTAINER) {
        return -EINVAL;         /* not a container (kernels without iommufd) */
    }
    c = h->obj;
    if (!fake_group_viable(g)) {
        return -EPERM;
    }
    if (c->iommu) {
        ret = c->iommu->attach_group(c, g);
        if (ret < 0) {
            return ret;
        }
    }
    g->container = c;
    g_ptr_array_add(c->groups, g);
    return 0;
}

static int group_unset_container(FakeGroup *g)
{
    if (!g->container) {
        return -EINVAL;
    }
    if (g->device_fds) {
        return -EBUSY;
    }
    group_detach(g);
    return 0;
}

static int group_get_device_fd(FakeGroup *g, const char *name)
{
    FakeDevice *d = NULL;

    if (!name) {
        return -EFAULT;
    }
    for (guint i = 0; i < g->devices->len && !d; i++) {
        FakeDevice *cand = g_ptr_array_index(g->devices, i);
        if (fake_device_is_vfio(cand) && !strncmp(cand->name, name, 4096)) {
            d = cand;
        }
    }
    if (!d) {
        return -ENODEV;
    }
    if (!g->container || !g->container->iommu) {
        return -EINVAL;
    }
    /* QEMU opens device files with O_CLOEXEC semantics by default */
    return fake_device_open(d, true);
}

int fake_group_ioctl(FakeGroup *g, unsigned long req, void *arg)
{
    switch (req) {
    case VFIO_GROUP_GET_STATUS:
        return group_get_status(g, arg);
    case VFIO_GROUP_SET_CONTAINER:
        return group_set_container(g, arg);
    case VFIO_GROUP_UNSET_CONTAINER:
        return group_unset_container(g);
    case VFIO_GROUP_GET_DEVICE_FD:
        return group_get_device_fd(g, arg);
    default:
        return -ENOTTY;
    }
}

/* Container ioctls ------------------------------------------------------- */

static const FakeIommuOps *host_iommu(void)
{
    return fake->iommu_type == FAKE_IOMMU_TYPE1 ? &fake_type1_ops
                                                : &fake_spapr_ops;
}

static int container_set_iommu(FakeContainer *c, unsigned long type)
{
    const FakeIommuOps *ops = host_iommu();
    int ret = 0;
    guint i;

    if (!c->groups->len || c->iommu) {
        return -EINVAL;
    }
    if (ops->check_extension(type) <= 0) {
        return -ENODEV;
    }
    c->iommu_data = ops->open(c, type, &ret);
    if (!c->iommu_data) {
        return -ret;
    }
    c->iommu = ops;
    for (i = 0; i < c->groups->len; i++) {
        ret = ops->attach_group(c, g_ptr_array_index(c->groups, i));
        if (ret < 0) {
            break;
        }
    }
    if (ret < 0) {
        while (i-- > 0) {
            ops->detach_group(c, g_ptr_array_index(c->groups, i));
        }
        ops->release(c);
        c->iommu = NULL;
        c->iommu_data = NULL;
    }
    return ret;
}

int fake_container_ioctl(FakeContainer *c, unsigned long req, void *arg)
{
    int ret;

    switch (req) {
    case VFIO_GET_API_VERSION:
        return VFIO_API_VERSION;
    case VFIO_CHECK_EXTENSION:
        return host_iommu()->check_extension((uintptr_t)arg) > 0;
    case VFIO_SET_IOMMU:
        return container_set_iommu(c, (uintptr_t)arg);
    }
    if (!c->iommu) {
        return -EINVAL;         /* vfio_fops_unl_ioctl() without a driver */
    }
    if (req == VFIO_IOMMU_MAP_DMA) {
        c->map_calls++;
        if (fake->map_fail_armed && fake->map_fail_after-- == 0) {
            fake->map_fail_armed = false;
            c->map_errors++;
            fake_log("injected MAP_DMA failure: errno %d",
                     fake->map_fail_errno);
            return -fake->map_fail_errno;
        }
    } else if (req == VFIO_IOMMU_UNMAP_DMA) {
        c->unmap_calls++;
    }
    ret = c->iommu->ioctl(c, req, arg);
    if (ret < 0 && req == VFIO_IOMMU_MAP_DMA) {
        c->map_errors++;
    } else if (ret < 0 && req == VFIO_IOMMU_UNMAP_DMA) {
        c->unmap_errors++;
    }
    return ret;
}

/* DMA -------------------------------------------------------------------- */

/*
 * Copy between the device's @buf and process memory at @hva.  The
 * mapping QEMU programmed may no longer be backed (unmapped behind the
 * IOMMU's back: the kernel would have kept it pinned) or may be
 * read-only; a memcpy() would then kill QEMU with SIGSEGV.  The kernel's
 * process_vm_readv/writev on ourselves fail with EFAULT instead, and
 * honour the page protections as a device write through a pin would.
 */
static bool dma_copy(uint8_t *hva, uint8_t *buf, uint64_t len,
                     bool to_memory)
{
    struct iovec local = { .iov_base = buf, .iov_len = len };
    struct iovec remote = { .iov_base = hva, .iov_len = len };
    ssize_t n;

    n = to_memory ? process_vm_writev(getpid(), &local, 1, &remote, 1, 0)
                  : process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
    return n == (ssize_t)len;
}

/*
 * Translate [iova, iova + len) piece by piece; copy only if @copy.  A
 * copy that faults stops there (what came before it is written).
 */
static bool dma_walk(FakeContainer *c, uint64_t iova, uint8_t *buf,
                     uint64_t len, unsigned perm, bool to_memory, bool copy)
{
    uint64_t done = 0;

    while (done < len) {
        uint64_t chunk = len - done;
        uint8_t *hva;

        if (iova + done < iova ||
            !c->iommu->translate(c, iova + done, perm, &chunk, &hva)) {
            return false;
        }
        if (copy && !dma_copy(hva, buf + done, chunk, to_memory)) {
            return false;
        }
        done += chunk;
    }
    return true;
}

bool fake_dma_rw(FakeDevice *d, uint64_t iova, void *buf, uint64_t len,
                 bool to_memory)
{
    FakeGroup *g = d->group;
    FakeContainer *c = g->container;
    unsigned perm = to_memory ? FAKE_PERM_WRITE : FAKE_PERM_READ;
    const char *why = NULL;

    if (g->frozen) {
        why = "PE frozen";
    } else if (!c || !c->iommu) {
        why = "no IOMMU domain";
    } else if (!dma_walk(c, iova, buf, len, perm, to_memory, false)) {
        /* checked whole first: a translation fault writes nothing */
        why = to_memory ? "no writable mapping" : "no readable mapping";
    } else if (!dma_walk(c, iova, buf, len, perm, to_memory, true)) {
        why = "mapped memory is gone or read-only";
    }
    if (why) {
        d->dma_faults++;
        fake_log("%s: DMA fault at iova 0x%" G_GINT64_MODIFIER "x len 0x%"
                 G_GINT64_MODIFIER "x: %s", d->name, iova, len, why);
        return false;
    }
    if (len && (d->dma_iova_lo > d->dma_iova_hi || iova < d->dma_iova_lo)) {
        d->dma_iova_lo = iova;
    }
    if (len) {
        d->dma_iova_hi = MAX(d->dma_iova_hi, iova + len - 1);
    }
    d->dma_ok++;
    return true;
}
