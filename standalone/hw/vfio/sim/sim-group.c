/*
 * vfio-sim group and container files (drivers/vfio/group.c, container.c).
 *
 * Lifetimes follow the kernel's references:
 *   - a device file holds its group file open: closing the group fd with
 *     devices open defers the group's release, and /dev/vfio/N stays busy;
 *   - a group holds its container: a container whose fd is closed lives on
 *     (IOMMU state, mappings and all) until its last group leaves;
 *   - the last group leaving a container releases the IOMMU driver's state
 *     and returns the container to "no IOMMU set".
 */
#include "qemu/osdep.h"
#include <fcntl.h>
#include "sim-internal.h"
#include "trace-events-all.h"

bool sim_device_is_vfio(SimDevice *d)
{
    return g_str_equal(d->driver, "vfio-pci");
}

bool sim_group_viable(SimGroup *g)
{
    /*
     * iommu_group_claim_dma_owner(): refused while a kernel driver uses the
     * DMA API on a function of the group; unbound functions are harmless.
     */
    for (guint i = 0; i < g->devices->len; i++) {
        SimDevice *d = g_ptr_array_index(g->devices, i);
        if (*d->driver && !sim_device_is_vfio(d)) {
            return false;
        }
    }
    return true;
}

bool sim_group_has_node(SimGroup *g)
{
    for (guint i = 0; i < g->devices->len; i++) {
        if (sim_device_is_vfio(g_ptr_array_index(g->devices, i))) {
            return true;
        }
    }
    return false;
}

/* Files --------------------------------------------------------------------- */

int sim_group_open(SimGroup *g)
{
    int fd;

    if (g->eacces) {
        return -EACCES;         /* the node's permissions, checked before vfio's open */
    }
    if (g->fd >= 0 || g->device_fds) {
        return -EBUSY;          /* "Do we need multiple instances of the group open?  Seems not." */
    }
    fd = sim_handle_new(g->sim, SIM_HANDLE_GROUP, g);
    if (fd >= 0) {
        g->fd = fd;
    }
    return fd;
}

int sim_container_open(VfioSim *sim)
{
    SimContainer *c = g_new0(SimContainer, 1);
    int fd;

    c->sim = sim;
    c->groups = g_ptr_array_new();
    fd = sim_handle_new(sim, SIM_HANDLE_CONTAINER, c);
    if (fd < 0) {
        g_ptr_array_unref(c->groups);
        g_free(c);
        return fd;
    }
    c->fd = fd;
    c->id = sim->next_container_id++;
    g_ptr_array_add(sim->containers, c);
    return fd;
}

void sim_container_free(SimContainer *c)
{
    g_assert(!c->groups->len && !c->iommu && c->fd < 0);
    g_ptr_array_remove(c->sim->containers, c);
    g_ptr_array_unref(c->groups);
    g_free(c);
}

static void group_detach(SimGroup *g)
{
    SimContainer *c = g->container;

    if (c->iommu) {
        c->iommu->detach_group(c, g);
    }
    g_ptr_array_remove(c->groups, g);
    g->container = NULL;
    /* detaching the last group deprivileges the container */
    if (c->iommu && !c->groups->len) {
        c->iommu->release(c);
        c->iommu = NULL;
        c->iommu_data = NULL;
    }
    if (c->fd < 0 && !c->groups->len) {
        sim_container_free(c);
    }
}

/* The group is released once neither its fd nor a device file holds it. */
static void group_maybe_release(SimGroup *g)
{
    if (g->fd < 0 && !g->device_fds && g->container) {
        group_detach(g);
    }
}

void sim_group_file_closed(SimGroup *g)
{
    g->fd = -1;
    group_maybe_release(g);
}

void sim_group_device_closed(SimGroup *g)
{
    g_assert(g->device_fds > 0);
    g->device_fds--;
    group_maybe_release(g);
}

void sim_container_file_closed(SimContainer *c)
{
    c->fd = -1;
    if (!c->groups->len) {
        sim_container_free(c);
    }
}

/* Group ioctls ----------------------------------------------------------------- */

static int group_get_status(SimGroup *g, struct vfio_group_status *status)
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
        status->flags = VFIO_GROUP_FLAGS_CONTAINER_SET | VFIO_GROUP_FLAGS_VIABLE;
    } else if (sim_group_viable(g)) {
        status->flags = VFIO_GROUP_FLAGS_VIABLE;
    }
    return 0;
}

static int group_set_container(SimGroup *g, const int *arg)
{
    SimHandle *h;
    SimContainer *c;
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
    h = g_hash_table_lookup(g->sim->fds, GINT_TO_POINTER(*arg));
    if (!h || h->kind != SIM_HANDLE_CONTAINER) {
        return -EINVAL;         /* not a container file (kernels without iommufd) */
    }
    c = h->obj;
    if (!sim_group_viable(g)) {
        return -EPERM;          /* iommu_group_claim_dma_owner() */
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

static int group_unset_container(SimGroup *g)
{
    if (!g->container) {
        return -EINVAL;
    }
    if (g->device_fds) {
        return -EBUSY;          /* container_users != 1 */
    }
    group_detach(g);
    return 0;
}

static int group_get_device_fd(SimGroup *g, const char *name)
{
    SimDevice *d = NULL;

    if (!name) {
        return -EFAULT;
    }
    for (guint i = 0; i < g->devices->len && !d; i++) {
        SimDevice *cand = g_ptr_array_index(g->devices, i);
        /* only functions bound to vfio-pci are VFIO devices of the group */
        if (sim_device_is_vfio(cand) && !strncmp(cand->name, name, 4096)) {
            d = cand;
        }
    }
    if (!d) {
        return -ENODEV;
    }
    /* the container must be set, and its IOMMU too */
    if (!g->container || !g->container->iommu) {
        return -EINVAL;
    }
    return sim_device_open(d);
}

int sim_group_ioctl(SimGroup *g, unsigned long req, void *arg)
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

/* Container ioctls --------------------------------------------------------------- */

static int container_set_iommu(SimContainer *c, unsigned long type)
{
    const SimIommuOps *ops = c->sim->iommu;
    int ret = 0;
    guint i;

    /* only a container holding a group may enable an IOMMU, and only once */
    if (!c->groups->len || c->iommu) {
        return -EINVAL;
    }
    /* the driver that claims the extension; none: ENODEV */
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
        return ret;
    }
    return 0;
}

int sim_container_ioctl(SimContainer *c, unsigned long req, void *arg)
{
    VfioSim *sim = c->sim;
    int ret;

    switch (req) {
    case VFIO_GET_API_VERSION:
        return VFIO_API_VERSION;
    case VFIO_CHECK_EXTENSION:
        /* with or without an IOMMU set, the one driver this host has answers */
        return sim->iommu->check_extension((uintptr_t)arg) > 0;
    case VFIO_SET_IOMMU:
        return container_set_iommu(c, (uintptr_t)arg);
    }
    if (!c->iommu) {
        return -EINVAL;         /* vfio_fops_unl_ioctl() without a driver */
    }
    if (req == VFIO_IOMMU_MAP_DMA) {
        c->map_calls++;
        if (sim->map_fail_armed && sim->map_fail_after-- == 0) {
            sim->map_fail_armed = false;
            c->map_errors++;
            trace_vfio_sim_map_fail_injected(sim->desc, sim->map_fail_errno);
            return -sim->map_fail_errno;
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
