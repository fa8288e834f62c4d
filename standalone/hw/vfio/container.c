/*
 * VFIO containers: creation (the one place that picks the IOMMU type),
 * the IOMMU listener that turns guest TCE batches into host map/unmap
 * calls, and teardown.  Backends live in iommu-*.c behind
 * VfioIommuBackendOps; only this file calls them.
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "hw/ppc/spapr.h"
#include "hw/vfio/vfio-container.h"
#include "trace-events-all.h"

#include <fcntl.h>
#include <linux/vfio.h>

/*
 * sPAPR TCE v2 first: on a POWER host it is what mirrors guest windows
 * exactly (and the kernel advertises v1 too, which we do not use); Type1 v2
 * is what x86 and other hosts offer.
 */
static const VfioIommuBackendOps *const backends[] = {
#ifdef CONFIG_VFIO_IOMMU_SPAPR_TCE_V2
    &vfio_iommu_spapr_tce_v2_ops,
#endif
#ifdef CONFIG_VFIO_IOMMU_TYPE1
    &vfio_iommu_type1_ops,
#endif
};

VfioContainer *vfio_container_create(VfioGroup *group, const char *owner, void *ram,
                                     uint64_t ram_size, GError **errp)
{
    VfioHost *host = group->host;
    VfioContainer *c;
    const VfioIommuBackendOps *ops = NULL;
    int fd, r;

    fd = host->ops->open(host, "/dev/vfio/vfio", O_RDWR);
    if (fd < 0) {
        error_setg(errp, "%s: group %d: cannot open /dev/vfio/vfio: %s", owner, group->groupid,
                   g_strerror(-fd));
        return NULL;
    }
    r = vfio_ioctl(host, fd, VFIO_GET_API_VERSION, NULL);
    if (r != VFIO_API_VERSION) {
        error_setg(errp, "%s: group %d: VFIO API version %d, expected %d", owner,
                   group->groupid, r, VFIO_API_VERSION);
        goto close_fd;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(backends) && !ops; i++) {
        if (vfio_ioctl(host, fd, VFIO_CHECK_EXTENSION,
                       (void *)(uintptr_t)backends[i]->iommu_type) > 0) {
            ops = backends[i];
        }
    }
    if (!ops) {
        error_setg(errp, "%s: group %d: the %s host offers no usable IOMMU type (neither sPAPR "
                   "TCE v2 nor Type1 v2)", owner, group->groupid, host->ops->describe(host));
        goto close_fd;
    }
    r = vfio_ioctl(host, group->fd, VFIO_GROUP_SET_CONTAINER, &fd);
    if (r < 0) {
        error_setg(errp, "%s: group %d: VFIO_GROUP_SET_CONTAINER: %s", owner, group->groupid,
                   g_strerror(-r));
        goto close_fd;
    }
    r = vfio_ioctl(host, fd, VFIO_SET_IOMMU, (void *)(uintptr_t)ops->iommu_type);
    if (r < 0) {
        error_setg(errp, "%s: group %d: VFIO_SET_IOMMU(%s): %s", owner, group->groupid,
                   ops->name, g_strerror(-r));
        goto unset;
    }

    c = g_new0(VfioContainer, 1);
    c->host = host;
    c->fd = fd;
    c->ops = ops;
    c->group = group;
    c->owner = g_strdup(owner);
    c->ram = ram;
    c->ram_size = ram_size;
    c->host_windows = g_array_new(FALSE, TRUE, sizeof(VfioHostWindow));
    c->iova_ranges = g_array_new(FALSE, TRUE, sizeof(VfioIovaRange));
    if (!ops->setup(c, errp)) {
        g_array_unref(c->host_windows);
        g_array_unref(c->iova_ranges);
        g_free(c->owner);
        g_free(c);
        goto unset;
    }
    group->container = c;
    trace_vfio_container_create(group->groupid, ops->name, fd);
    return c;

unset:
    vfio_ioctl(host, group->fd, VFIO_GROUP_UNSET_CONTAINER, NULL);
close_fd:
    host->ops->close(host, fd);
    return NULL;
}

void vfio_container_destroy(VfioContainer *c)
{
    if (!c) {
        return;
    }
    trace_vfio_container_destroy(c->group->groupid, c->nr_mappings);
    c->ops->release(c);
    vfio_ioctl(c->host, c->group->fd, VFIO_GROUP_UNSET_CONTAINER, NULL);
    c->host->ops->close(c->host, c->fd);
    c->group->container = NULL;
    g_array_unref(c->host_windows);
    g_array_unref(c->iova_ranges);
    g_free(c->owner);
    g_free(c);
}

uint64_t vfio_container_guest_page_mask(VfioContainer *c)
{
    /*
     * A guest TCE page becomes one map call of its size; both backends take
     * any power-of-two size from their smallest page up (sPAPR fills a host
     * window of smaller pages, Type1 maps any page-aligned size).
     */
    uint64_t smallest = c->pgsizes & -c->pgsizes;

    return smallest ? ~(smallest - 1) : 0;
}

/* The two calls both backends make ------------------------------------------------ */

int vfio_container_map_dma(VfioContainer *c, uint64_t iova, uint64_t size, void *vaddr,
                           uint32_t perm)
{
    struct vfio_iommu_type1_dma_map map = {
        .argsz = sizeof(map), .vaddr = (uintptr_t)vaddr, .iova = iova, .size = size,
        .flags = (perm & TCE_PCI_READ ? VFIO_DMA_MAP_FLAG_READ : 0) |
                 (perm & TCE_PCI_WRITE ? VFIO_DMA_MAP_FLAG_WRITE : 0),
    };
    int r = vfio_ioctl(c->host, c->fd, VFIO_IOMMU_MAP_DMA, &map);

    c->map_calls++;
    trace_vfio_dma_map(iova, size, !(perm & TCE_PCI_WRITE), r);
    return r < 0 ? r : 0;
}

int vfio_container_unmap_dma(VfioContainer *c, uint64_t iova, uint64_t size)
{
    struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap), .iova = iova, .size = size };
    int r = vfio_ioctl(c->host, c->fd, VFIO_IOMMU_UNMAP_DMA, &unmap);

    c->unmap_calls++;
    trace_vfio_dma_unmap(iova, size, r);
    return r < 0 ? r : 0;
}

/* The IOMMU listener ---------------------------------------------------------- */

static int64_t hcall_error(int err)
{
    /* a shortage the guest may retry later vs. anything else */
    return err == -ENOMEM || err == -ENOSPC ? H_RESOURCE : H_HARDWARE;
}

static unsigned container_notify(void *opaque, SpaprTceWindow *w, const SpaprIommuEvent *ev,
                                 unsigned n, int64_t *hret)
{
    VfioContainer *c = opaque;

    for (unsigned i = 0; i < n; i++) {
        int r;

        if (!ev[i].perm) {
            r = c->ops->dma_unmap(c, ev[i].iova, ev[i].size);
        } else {
            /* the TCE layer checked the page is in guest RAM */
            g_assert(ev[i].gpa + ev[i].size <= c->ram_size);
            r = c->ops->dma_map(c, ev[i].iova, ev[i].size, (uint8_t *)c->ram + ev[i].gpa,
                                ev[i].perm);
        }
        if (r < 0) {
            *hret = hcall_error(r);
            trace_vfio_container_notify(c->group->groupid, n, i);
            return i;
        }
    }
    trace_vfio_container_notify(c->group->groupid, n, n);
    return n;
}

static gboolean container_window_add(void *opaque, SpaprTceWindow *w, uint64_t *bus_offset,
                                     GError **errp)
{
    VfioContainer *c = opaque;

    if (!c->ops->window_add(c, w, bus_offset, errp)) {
        error_prepend(errp, "%s: group %d: ", c->owner, c->group->groupid);
        return FALSE;
    }
    return TRUE;
}

static void container_window_del(void *opaque, SpaprTceWindow *w)
{
    VfioContainer *c = opaque;

    c->ops->window_del(c, w);
}

const SpaprIommuListenerOps vfio_container_listener_ops = {
    .notify = container_notify,
    .window_add = container_window_add,
    .window_del = container_window_del,
};
