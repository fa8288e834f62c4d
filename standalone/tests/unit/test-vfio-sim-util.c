/*
 * Helpers for the vfio-sim unit tests (see test-vfio-sim-util.h).
 */
#include "qemu/osdep.h"
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include "qemu/error.h"
#include "qemu/keyval.h"
#include "qemu/module.h"
#include "qom/object-interfaces.h"
#include "system/clock.h"
#include "test-vfio-sim-util.h"

void simt_init(void)
{
    module_call_init();
}

static Object *add(const char *id, const char *props, GError **errp)
{
    g_autofree char *opts = g_strdup_printf("vfio-sim,id=%s%s%s", id, props ? "," : "",
                                            props ? props : "");
    g_autoptr(Keyval) kv = keyval_parse(opts, "qom-type", errp);

    return kv ? user_creatable_add(kv, errp) : NULL;
}

Object *simt_new(const char *id, const char *props)
{
    g_autoptr(GError) err = NULL;
    Object *obj = add(id, props, &err);

    g_assert_no_error(err);
    g_assert_nonnull(obj);
    return obj;
}

char *simt_new_error(const char *id, const char *props)
{
    g_autoptr(GError) err = NULL;
    Object *obj = add(id, props, &err);

    if (obj) {
        simt_del(obj);
        return NULL;
    }
    return g_strdup(err->message);
}

void simt_del(Object *obj)
{
    object_unparent(obj);
}

VfioHost *simt_host(Object *obj)
{
    VfioHost *h = vfio_sim_get_host(obj);

    g_assert_nonnull(h);
    return h;
}

int simt_fd_count(void)
{
    g_autoptr(GDir) d = g_dir_open("/proc/self/fd", 0, NULL);
    int n = 0;

    g_assert_nonnull(d);
    while (g_dir_read_name(d)) {
        n++;
    }
    return n - 1;               /* the directory's own descriptor */
}

void simt_step_ms(int64_t ms)
{
    clock_warp_to(clock_get_ns() + ms * 1000 * 1000);
}

/* Query ------------------------------------------------------------------ */

JsonNode *simt_query(Object *obj)
{
    return vfio_sim_query(VFIO_SIM(obj));
}

JsonObject *simt_container_q(JsonNode *q, int64_t index)
{
    JsonArray *a = json_object_get_array_member(json_node_get_object(q), "containers");

    g_assert_cmpint(index, <, json_array_get_length(a));
    return json_array_get_object_element(a, index);
}

JsonObject *simt_group_q(JsonNode *q, int group)
{
    JsonArray *a = json_object_get_array_member(json_node_get_object(q), "groups");

    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonObject *g = json_array_get_object_element(a, i);
        if (json_object_get_int_member(g, "group") == group) {
            return g;
        }
    }
    g_assert_not_reached();
}

JsonObject *simt_device_q(JsonNode *q, const char *name)
{
    JsonArray *a = json_object_get_array_member(json_node_get_object(q), "groups");

    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonArray *devs = json_object_get_array_member(json_array_get_object_element(a, i),
                                                       "devices");
        for (guint j = 0; j < json_array_get_length(devs); j++) {
            JsonObject *d = json_array_get_object_element(devs, j);
            if (g_str_equal(json_object_get_string_member(d, "name"), name)) {
                return d;
            }
        }
    }
    g_assert_not_reached();
}

int64_t simt_locked_bytes(Object *obj)
{
    g_autoptr(JsonNode) q = simt_query(obj);

    return json_object_get_int_member(json_node_get_object(q), "locked-bytes");
}

int64_t simt_dev_counter(Object *obj, const char *name, const char *counter)
{
    g_autoptr(JsonNode) q = simt_query(obj);

    return json_object_get_int_member(simt_device_q(q, name), counter);
}

/* Calls -------------------------------------------------------------------- */

int simt_open_group(VfioHost *h, int group)
{
    g_autofree char *path = g_strdup_printf("/dev/vfio/%d", group);

    return h->ops->open(h, path, O_RDWR);
}

int simt_open_container(VfioHost *h)
{
    return h->ops->open(h, "/dev/vfio/vfio", O_RDWR);
}

int simt_set_container(VfioHost *h, int gfd, int cfd)
{
    return h->ops->ioctl(h, gfd, VFIO_GROUP_SET_CONTAINER, &cfd);
}

int simt_set_iommu(VfioHost *h, int cfd, unsigned long type)
{
    return h->ops->ioctl(h, cfd, VFIO_SET_IOMMU, (void *)(uintptr_t)type);
}

int simt_close(VfioHost *h, int fd)
{
    return h->ops->close(h, fd);
}

int simt_group_status(VfioHost *h, int gfd, uint32_t *flags)
{
    struct vfio_group_status st = { .argsz = sizeof(st) };
    int ret = h->ops->ioctl(h, gfd, VFIO_GROUP_GET_STATUS, &st);

    *flags = st.flags;
    return ret;
}

int simt_get_device(VfioHost *h, int gfd, const char *name)
{
    return h->ops->ioctl(h, gfd, VFIO_GROUP_GET_DEVICE_FD, (void *)name);
}

void simt_setup(VfioHost *h, int group, unsigned long type, int *gfd, int *cfd)
{
    *gfd = simt_open_group(h, group);
    g_assert_cmpint(*gfd, >=, 0);
    *cfd = simt_open_container(h);
    g_assert_cmpint(*cfd, >=, 0);
    g_assert_cmpint(simt_set_container(h, *gfd, *cfd), ==, 0);
    g_assert_cmpint(simt_set_iommu(h, *cfd, type), ==, 0);
}

int simt_register(VfioHost *h, int cfd, void *vaddr, uint64_t size)
{
    struct vfio_iommu_spapr_register_memory r = {
        .argsz = sizeof(r), .vaddr = (uintptr_t)vaddr, .size = size,
    };

    return h->ops->ioctl(h, cfd, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, &r);
}

int simt_unregister(VfioHost *h, int cfd, void *vaddr, uint64_t size)
{
    struct vfio_iommu_spapr_register_memory r = {
        .argsz = sizeof(r), .vaddr = (uintptr_t)vaddr, .size = size,
    };

    return h->ops->ioctl(h, cfd, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, &r);
}

int simt_map(VfioHost *h, int cfd, uint64_t iova, void *vaddr, uint64_t size, uint32_t flags)
{
    struct vfio_iommu_type1_dma_map m = {
        .argsz = sizeof(m), .flags = flags, .vaddr = (uintptr_t)vaddr, .iova = iova,
        .size = size,
    };

    return h->ops->ioctl(h, cfd, VFIO_IOMMU_MAP_DMA, &m);
}

int simt_unmap(VfioHost *h, int cfd, uint64_t iova, uint64_t size)
{
    struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .iova = iova, .size = size };

    return h->ops->ioctl(h, cfd, VFIO_IOMMU_UNMAP_DMA, &u);
}

int simt_create(VfioHost *h, int cfd, unsigned shift, uint64_t size, unsigned levels,
                uint64_t *start)
{
    struct vfio_iommu_spapr_tce_create c = {
        .argsz = sizeof(c), .page_shift = shift, .window_size = size, .levels = levels,
        .start_addr = 0xdead,
    };
    int ret = h->ops->ioctl(h, cfd, VFIO_IOMMU_SPAPR_TCE_CREATE, &c);

    if (start) {
        *start = c.start_addr;
    }
    return ret;
}

int simt_remove(VfioHost *h, int cfd, uint64_t start)
{
    struct vfio_iommu_spapr_tce_remove r = { .argsz = sizeof(r), .start_addr = start };

    return h->ops->ioctl(h, cfd, VFIO_IOMMU_SPAPR_TCE_REMOVE, &r);
}

/* Device regions ------------------------------------------------------------- */

uint64_t simt_region_offset(VfioHost *h, int dfd, unsigned index)
{
    struct vfio_region_info ri = { .argsz = sizeof(ri), .index = index };

    g_assert_cmpint(h->ops->ioctl(h, dfd, VFIO_DEVICE_GET_REGION_INFO, &ri), ==, 0);
    return ri.offset;
}

static uint64_t rd(VfioHost *h, int dfd, unsigned index, uint32_t off, unsigned len)
{
    uint8_t b[8] = { 0 };
    uint64_t v = 0;

    g_assert_cmpint(h->ops->pread(h, dfd, b, len, simt_region_offset(h, dfd, index) + off), ==,
                    len);
    for (unsigned i = 0; i < len; i++) {
        v |= (uint64_t)b[i] << (8 * i);
    }
    return v;
}

static void wr(VfioHost *h, int dfd, unsigned index, uint32_t off, uint64_t v, unsigned len)
{
    uint8_t b[8];

    for (unsigned i = 0; i < len; i++) {
        b[i] = v >> (8 * i);
    }
    g_assert_cmpint(h->ops->pwrite(h, dfd, b, len, simt_region_offset(h, dfd, index) + off),
                    ==, len);
}

uint32_t simt_cfg_read(VfioHost *h, int dfd, uint32_t off, unsigned len)
{
    return rd(h, dfd, VFIO_PCI_CONFIG_REGION_INDEX, off, len);
}

void simt_cfg_write(VfioHost *h, int dfd, uint32_t off, uint32_t val, unsigned len)
{
    wr(h, dfd, VFIO_PCI_CONFIG_REGION_INDEX, off, val, len);
}

uint32_t simt_readl(VfioHost *h, int dfd, uint32_t off)
{
    return rd(h, dfd, VFIO_PCI_BAR0_REGION_INDEX, off, 4);
}

void simt_writel(VfioHost *h, int dfd, uint32_t off, uint32_t val)
{
    wr(h, dfd, VFIO_PCI_BAR0_REGION_INDEX, off, val, 4);
}

uint64_t simt_readq(VfioHost *h, int dfd, uint32_t off)
{
    return rd(h, dfd, VFIO_PCI_BAR0_REGION_INDEX, off, 8);
}

void simt_writeq(VfioHost *h, int dfd, uint32_t off, uint64_t val)
{
    wr(h, dfd, VFIO_PCI_BAR0_REGION_INDEX, off, val, 8);
}

void simt_enable(VfioHost *h, int dfd)
{
    simt_cfg_write(h, dfd, 0x04, 0x0006, 2);    /* memory + bus master */
}

void simt_edu_dma(VfioHost *h, int dfd, uint64_t src, uint64_t dst, uint64_t count,
                  uint32_t cmd)
{
    simt_writeq(h, dfd, R_DMA_SRC, src);
    simt_writeq(h, dfd, R_DMA_DST, dst);
    simt_writeq(h, dfd, R_DMA_CNT, count);
    simt_writel(h, dfd, R_DMA_CMD, cmd | DMA_START);
    simt_step_ms(100);
    g_assert_cmphex(simt_readl(h, dfd, R_DMA_CMD) & DMA_START, ==, 0);
}

/* Interrupts ----------------------------------------------------------------- */

int simt_set_irq_eventfd(VfioHost *h, int dfd, unsigned index, int efd)
{
    uint8_t buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
    struct vfio_irq_set *s = (void *)buf;

    s->argsz = sizeof(buf);
    s->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
    s->index = index;
    s->start = 0;
    s->count = 1;
    memcpy(s->data, &efd, sizeof(efd));
    return h->ops->ioctl(h, dfd, VFIO_DEVICE_SET_IRQS, s);
}

int simt_irq_action(VfioHost *h, int dfd, unsigned index, uint32_t flags)
{
    struct vfio_irq_set s = {
        .argsz = sizeof(s), .flags = VFIO_IRQ_SET_DATA_NONE | flags, .index = index,
        .start = 0, .count = (flags & VFIO_IRQ_SET_ACTION_TRIGGER) ? 0 : 1,
    };

    return h->ops->ioctl(h, dfd, VFIO_DEVICE_SET_IRQS, &s);
}

uint64_t simt_eventfd_take(int efd)
{
    uint64_t v = 0;
    int fl = fcntl(efd, F_GETFL);

    fcntl(efd, F_SETFL, fl | O_NONBLOCK);
    if (read(efd, &v, sizeof(v)) != sizeof(v)) {
        v = 0;
    }
    fcntl(efd, F_SETFL, fl);
    return v;
}

/* Memory ------------------------------------------------------------------------ */

void *simt_ram(uint64_t size, uint64_t align)
{
    uint64_t len = size + align;
    uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uint8_t *q;

    g_assert(p != MAP_FAILED);
    q = (uint8_t *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
    /* keep exactly [q, q + size) mapped, so that a test can free it precisely */
    if (q > p) {
        munmap(p, q - p);
    }
    if (p + len > q + size) {
        munmap(q + size, p + len - (q + size));
    }
    memset(q, 0, size);
    return q;
}

void simt_ram_free(void *p, uint64_t size)
{
    munmap(p, size);
}

void *simt_unmapped(uint64_t size)
{
    void *p = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    g_assert(p != MAP_FAILED);
    munmap(p, size);
    return p;
}
