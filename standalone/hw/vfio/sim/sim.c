/*
 * vfio-sim: the QOM object and the VfioHost it provides.
 *
 * Every handle is a real descriptor: an eventfd stands in for the
 * kernel's file, and a table maps the number to the simulated object.
 * Closing the descriptor through the seam runs the kernel's release path
 * (a group leaves its container, a container lives on while groups hold
 * it, a device's interrupts are shut and the function reset).
 */
#include "qemu/osdep.h"
#include <sys/eventfd.h>
#include <sys/mman.h>
#include "qemu/error.h"
#include "qemu/module.h"
#include "sim-internal.h"
#include "trace-events-all.h"

typedef struct VfioSimClass {
    ObjectClass parent_class;
} VfioSimClass;

OBJECT_DEFINE_TYPE(VfioSim, vfio_sim, TYPE_VFIO_SIM, TYPE_OBJECT)
type_init(vfio_sim_get_type)

static const Property vfio_sim_props[] = {
    { .name = "iommu-type", .kind = PROP_KIND_STRING,
      .offset = PROP_FIELD(VfioSim, iommu_type, char *), .defstr = "spapr-tce-v2",
      .description = "IOMMU driver of the host: spapr-tce-v2 (POWER) or type1 (x86-like)" },
    { .name = "topology", .kind = PROP_KIND_STRING,
      .offset = PROP_FIELD(VfioSim, topology, char *),
      .description = "GKeyFile describing IOMMU groups and functions (default: groups 1-4)" },
    { .name = "page-size", .kind = PROP_KIND_SIZE,
      .offset = PROP_FIELD(VfioSim, page_size, uint64_t), .defval = 0,
      .description = "host PAGE_SIZE to simulate (0: the real one)" },
    { .name = "memlock-limit", .kind = PROP_KIND_SIZE,
      .offset = PROP_FIELD(VfioSim, memlock_limit, uint64_t), .defval = 0,
      .description = "RLIMIT_MEMLOCK of the simulated process in bytes (0: unlimited)" },
    { .name = "dma32-size", .kind = PROP_KIND_SIZE,
      .offset = PROP_FIELD(VfioSim, dma32_size, uint64_t), .defval = 0x80000000ull,
      .description = "sPAPR default (32-bit) DMA window size" },
    { .name = "dma-entry-limit", .kind = PROP_KIND_UINT32,
      .offset = PROP_FIELD(VfioSim, dma_entry_limit, uint32_t), .defval = 65535,
      .description = "Type1 mappings a container may hold (the kernel's dma_entry_limit)" },
    DEFINE_PROP_END,
};

/* Helpers shared by the other files ------------------------------------ */

size_t sim_host_page_size(void)
{
    return (size_t)sysconf(_SC_PAGESIZE);
}

int sim_handle_new(VfioSim *sim, SimHandleKind kind, void *obj)
{
    SimHandle *h;
    int fd = eventfd(0, EFD_CLOEXEC);

    if (fd < 0) {
        return -errno;
    }
    h = g_new0(SimHandle, 1);
    h->kind = kind;
    h->fd = fd;
    h->obj = obj;
    g_hash_table_insert(sim->fds, GINT_TO_POINTER(fd), h);
    return fd;
}

int sim_account(VfioSim *sim, uint64_t pages, bool inc)
{
    uint64_t limit = sim->memlock_limit >> sim->page_shift;

    if (!inc) {
        g_assert(sim->locked_pages >= pages);
        sim->locked_pages -= pages;
        return 0;
    }
    /* account_locked_vm(): the limit is in whole pages, like RLIMIT_MEMLOCK >> PAGE_SHIFT */
    if (sim->memlock_limit && sim->locked_pages + pages > limit) {
        return -ENOMEM;
    }
    sim->locked_pages += pages;
    return 0;
}

bool sim_range_mapped(uint64_t vaddr, uint64_t size)
{
    size_t ps = sim_host_page_size();
    uint64_t start = vaddr & ~(uint64_t)(ps - 1);
    uint64_t end = vaddr + size;
    unsigned char vec[64];

    if (!size) {
        return true;
    }
    if (end < vaddr) {
        return false;
    }
    /* mincore() fails with ENOMEM on any unmapped page: what pinning would hit */
    for (uint64_t a = start; a < end; a += sizeof(vec) * ps) {
        uint64_t len = MIN(end - a, sizeof(vec) * ps);
        if (mincore((void *)(uintptr_t)a, len, vec) < 0) {
            return false;
        }
    }
    return true;
}

/* The VfioHostOps table ---------------------------------------------------- */

static VfioSim *sim_of(VfioHost *h)
{
    /* the ops table is embedded: step back to the object around it */
    return (VfioSim *)((char *)h - offsetof(VfioSim, host));
}

static SimHandle *handle_of(VfioSim *sim, int fd)
{
    return g_hash_table_lookup(sim->fds, GINT_TO_POINTER(fd));
}

static int sim_open(VfioHost *h, const char *path, int flags)
{
    VfioSim *sim = sim_of(h);
    const char *rest;
    SimGroup *g = NULL;
    int ret;

    if (g_str_equal(path, "/dev/vfio/vfio")) {
        ret = sim_container_open(sim);
    } else if (g_str_has_prefix(path, "/dev/vfio/")) {
        rest = path + strlen("/dev/vfio/");
        /* the node is named by the decimal group number, nothing else */
        for (guint i = 0; i < sim->groups->len && !g; i++) {
            SimGroup *cand = g_ptr_array_index(sim->groups, i);
            g_autofree char *name = g_strdup_printf("%d", cand->id);
            if (g_str_equal(name, rest)) {
                g = cand;
            }
        }
        ret = g && sim_group_has_node(g) ? sim_group_open(g) : -ENOENT;
    } else {
        ret = -ENOENT;
    }
    trace_vfio_sim_open(sim->desc, path, ret);
    return ret;
}

static int sim_close(VfioHost *h, int fd)
{
    VfioSim *sim = sim_of(h);
    SimHandle *hd = handle_of(sim, fd);

    if (!hd) {
        return -EBADF;
    }
    trace_vfio_sim_close(sim->desc, fd, hd->kind);
    g_hash_table_remove(sim->fds, GINT_TO_POINTER(fd));
    close(fd);
    switch (hd->kind) {
    case SIM_HANDLE_CONTAINER:
        sim_container_file_closed(hd->obj);
        break;
    case SIM_HANDLE_GROUP:
        sim_group_file_closed(hd->obj);
        break;
    case SIM_HANDLE_DEVICE:
        sim_device_file_closed(hd->obj);
        break;
    }
    g_free(hd);
    return 0;
}

static int sim_ioctl(VfioHost *h, int fd, unsigned long request, void *arg)
{
    VfioSim *sim = sim_of(h);
    SimHandle *hd = handle_of(sim, fd);
    int ret;

    if (!hd) {
        ret = -EBADF;
    } else if (hd->kind == SIM_HANDLE_CONTAINER) {
        ret = sim_container_ioctl(hd->obj, request, arg);
    } else if (hd->kind == SIM_HANDLE_GROUP) {
        ret = sim_group_ioctl(hd->obj, request, arg);
    } else {
        ret = sim_device_ioctl(hd->obj, request, arg);
    }
    trace_vfio_sim_ioctl(sim->desc, fd, request, ret);
    return ret;
}

static ssize_t sim_rw(VfioHost *h, int fd, void *buf, size_t count, uint64_t offset,
                      bool write)
{
    SimHandle *hd = handle_of(sim_of(h), fd);

    if (!hd) {
        return -EBADF;
    }
    /* neither the container nor the group file has read/write */
    if (hd->kind != SIM_HANDLE_DEVICE) {
        return -EINVAL;
    }
    return sim_device_rw(hd->obj, buf, count, offset, write);
}

static ssize_t sim_pread(VfioHost *h, int fd, void *buf, size_t count, uint64_t offset)
{
    return sim_rw(h, fd, buf, count, offset, false);
}

static ssize_t sim_pwrite(VfioHost *h, int fd, const void *buf, size_t count,
                          uint64_t offset)
{
    return sim_rw(h, fd, (void *)buf, count, offset, true);
}

static void *sim_mmap(VfioHost *h, int fd, size_t len, int prot, uint64_t offset, int *err)
{
    SimHandle *hd = handle_of(sim_of(h), fd);

    if (!hd) {
        *err = EBADF;
        return NULL;
    }
    switch (hd->kind) {
    case SIM_HANDLE_DEVICE:
        return sim_device_mmap(hd->obj, len, prot, offset, err);
    case SIM_HANDLE_GROUP:
        *err = ENODEV;          /* no mmap file operation at all */
        return NULL;
    default:
        *err = EINVAL;          /* no IOMMU driver implements it */
        return NULL;
    }
}

static void sim_munmap(VfioHost *h, void *addr, size_t len)
{
    munmap(addr, len);
}

static gint cmp_names(gconstpointer a, gconstpointer b)
{
    return strcmp(((SimDevice *const *)a)[0]->name, ((SimDevice *const *)b)[0]->name);
}

static gboolean sim_group_devices(VfioHost *h, int group, GPtrArray *names,
                                  GPtrArray *drivers, GError **errp)
{
    VfioSim *sim = sim_of(h);
    SimGroup *g = sim_group_find(sim, group);
    g_autoptr(GPtrArray) sorted = g_ptr_array_new();

    if (!g) {
        error_setg(errp, "%s: group %d: no such IOMMU group "
                   "(/sys/kernel/iommu_groups/%d does not exist)", sim->desc, group, group);
        return FALSE;
    }
    /* sysfs lists a directory: in name order, as the kernel backend sorts it */
    /* a copy that does not own the functions (g_ptr_array_copy() would) */
    for (guint i = 0; i < g->devices->len; i++) {
        g_ptr_array_add(sorted, g_ptr_array_index(g->devices, i));
    }
    g_ptr_array_sort(sorted, cmp_names);
    for (guint i = 0; i < sorted->len; i++) {
        SimDevice *d = g_ptr_array_index(sorted, i);
        g_ptr_array_add(names, g_strdup(d->name));
        g_ptr_array_add(drivers, g_strdup(d->driver));
    }
    return TRUE;
}

static const char *sim_describe(VfioHost *h)
{
    return sim_of(h)->desc;
}

static const VfioHostOps sim_host_ops = {
    .open = sim_open,
    .close = sim_close,
    .ioctl = sim_ioctl,
    .pread = sim_pread,
    .pwrite = sim_pwrite,
    .mmap = sim_mmap,
    .munmap = sim_munmap,
    .group_devices = sim_group_devices,
    .describe = sim_describe,
};

VfioHost *vfio_sim_get_host(Object *obj)
{
    if (!obj || !IS_VFIO_SIM(obj) || !VFIO_SIM(obj)->completed) {
        return NULL;
    }
    return &VFIO_SIM(obj)->host;
}

unsigned vfio_sim_open_fds(VfioSim *sim)
{
    return g_hash_table_size(sim->fds) + sim->eventfd_refs;
}

/* Lifecycle ------------------------------------------------------------- */

static gboolean vfio_sim_complete(Object *obj, GError **errp)
{
    VfioSim *sim = VFIO_SIM(obj);
    uint64_t ps;

    g_free(sim->desc);
    sim->desc = g_strdup_printf("vfio-sim '%s'", obj->name ? obj->name : "<anonymous>");
    if (!g_strcmp0(sim->iommu_type, "spapr-tce-v2")) {
        sim->iommu = &sim_spapr_iommu_ops;
    } else if (!g_strcmp0(sim->iommu_type, "type1")) {
        sim->iommu = &sim_type1_iommu_ops;
    } else {
        error_setg(errp, "%s: iommu-type '%s' is not supported (use spapr-tce-v2 or type1)",
                   sim->desc, sim->iommu_type ? sim->iommu_type : "");
        return FALSE;
    }
    ps = sim->page_size ? sim->page_size : sim_host_page_size();
    if (ps < 4096 || ps > (1ull << 24) || (ps & (ps - 1))) {
        error_setg(errp, "%s: page-size %" PRIu64 " is not a power of two between 4 KiB "
                   "and 16 MiB", sim->desc, ps);
        return FALSE;
    }
    sim->page_size = ps;
    sim->page_shift = __builtin_ctzll(ps);
    /* the uAPI reports it in a __u32; window sizes are powers of two */
    if (sim->dma32_size < 4096 || sim->dma32_size > 0x80000000ull ||
        (sim->dma32_size & (sim->dma32_size - 1))) {
        error_setg(errp, "%s: dma32-size 0x%" PRIx64 " is not a power of two between 4 KiB "
                   "and 2 GiB", sim->desc, sim->dma32_size);
        return FALSE;
    }
    if (!sim_topology_load(sim, errp)) {
        return FALSE;
    }
    for (guint i = 0; i < sim->groups->len; i++) {
        SimGroup *g = g_ptr_array_index(sim->groups, i);
        for (guint j = 0; j < g->devices->len; j++) {
            if (!sim_func_init(g_ptr_array_index(g->devices, j), errp)) {
                error_prepend(errp, "%s: ", sim->desc);
                return FALSE;
            }
        }
    }
    sim_qmp_register();
    sim->completed = true;
    return TRUE;
}

static gboolean vfio_sim_check_property_set(Object *obj, const Property *prop, GError **errp)
{
    VfioSim *sim = VFIO_SIM(obj);

    if (sim->completed) {
        error_setg(errp, "%s: property '%s' cannot change once the object exists",
                   sim->desc, prop->name);
        return FALSE;
    }
    return TRUE;
}

static gint handle_order(gconstpointer a, gconstpointer b)
{
    const SimHandle *ha = *(SimHandle *const *)a, *hb = *(SimHandle *const *)b;

    /* devices, then groups, then containers: the order a process exit releases them */
    return (int)hb->kind - (int)ha->kind;
}

static void vfio_sim_finalize(GObject *gobj)
{
    VfioSim *sim = VFIO_SIM(gobj);
    g_autoptr(GPtrArray) handles = g_ptr_array_new();
    GHashTableIter it;
    gpointer value;

    g_hash_table_iter_init(&it, sim->fds);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        g_ptr_array_add(handles, value);
    }
    g_ptr_array_sort(handles, handle_order);
    for (guint i = 0; i < handles->len; i++) {
        sim_close(&sim->host, ((SimHandle *)g_ptr_array_index(handles, i))->fd);
    }
    /* with every file closed, every container and registration is gone */
    g_assert(sim->containers->len == 0);
    g_assert(sim->prereg->len == 0);
    g_ptr_array_unref(sim->groups);
    g_ptr_array_unref(sim->containers);
    g_ptr_array_unref(sim->prereg);
    g_hash_table_unref(sim->fds);
    g_free(sim->desc);
    G_OBJECT_CLASS(vfio_sim_parent_class)->finalize(gobj);
}

static void vfio_sim_init(VfioSim *sim)
{
    sim->host.ops = &sim_host_ops;
    sim->desc = g_strdup("vfio-sim '<anonymous>'");
    sim->groups = g_ptr_array_new_with_free_func((GDestroyNotify)sim_group_free);
    sim->containers = g_ptr_array_new();
    sim->prereg = g_ptr_array_new_with_free_func(g_free);
    sim->fds = g_hash_table_new(g_direct_hash, g_direct_equal);
}

static void vfio_sim_class_init(VfioSimClass *klass)
{
    ObjectClass *oc = OBJECT_CLASS(klass);

    G_OBJECT_CLASS(klass)->finalize = vfio_sim_finalize;
    oc->props = vfio_sim_props;
    oc->description = "in-process simulation of the Linux VFIO interface (groups, "
                      "containers, sPAPR TCE / Type1 IOMMU, edu functions)";
    oc->user_creatable = true;
    oc->complete = vfio_sim_complete;
    oc->check_property_set = vfio_sim_check_property_set;
}
