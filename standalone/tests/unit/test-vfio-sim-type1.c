/*
 * vfio-sim Type1 IOMMU (hw/vfio/sim/sim-type1.c): GET_INFO and its
 * capability chain, MAP/UNMAP with the kernel's errno values, v1 and v2
 * unmap rules, DMA_AVAIL and locked memory, device DMA through mappings.
 */
#include "qemu/osdep.h"
#include "test-vfio-sim-util.h"

#define RW (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
#define RO VFIO_DMA_MAP_FLAG_READ

typedef struct Fixture {
    Object *obj;
    VfioHost *h;
    int g, c;
    uint8_t *ram;              /* 1 MiB */
} Fixture;

typedef struct Case {
    const char *props;         /* besides iommu-type=type1 */
    unsigned long type;        /* VFIO_TYPE1v2_IOMMU or VFIO_TYPE1_IOMMU */
} Case;

static const Case v2 = { NULL, VFIO_TYPE1v2_IOMMU };
static const Case v2_limits = { "dma-entry-limit=2,memlock-limit=64K", VFIO_TYPE1v2_IOMMU };
static const Case v1 = { NULL, VFIO_TYPE1_IOMMU };

static void setup(Fixture *f, gconstpointer data)
{
    const Case *tc = data;
    g_autofree char *all = g_strdup_printf("iommu-type=type1%s%s", tc->props ? "," : "",
                                           tc->props ? tc->props : "");

    f->obj = simt_new("t1", all);
    f->h = simt_host(f->obj);
    f->ram = simt_ram(MiB, 4096);
    simt_setup(f->h, 1, tc->type, &f->g, &f->c);
}

static void teardown(Fixture *f, gconstpointer data)
{
    simt_del(f->obj);
    simt_ram_free(f->ram, MiB);
}

/* Unmap [iova, iova + size) with @flags; the unmapped size or -errno. */
static int64_t unmap(Fixture *f, uint64_t iova, uint64_t size, uint32_t flags)
{
    struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .flags = flags, .iova = iova,
                                            .size = size };
    int ret = f->h->ops->ioctl(f->h, f->c, VFIO_IOMMU_UNMAP_DMA, &u);

    return ret < 0 ? ret : (int64_t)u.size;
}

static guint nmappings(Fixture *f)
{
    g_autoptr(JsonNode) q = simt_query(f->obj);

    return json_array_get_length(json_object_get_array_member(simt_container_q(q, 0),
                                                              "mappings"));
}

static void test_get_info(Fixture *f, gconstpointer data)
{
    VfioHost *h = f->h;
    struct vfio_iommu_type1_info small = { .argsz = 16 };
    struct vfio_iommu_type1_info hdr = { .argsz = sizeof(hdr), .cap_offset = 0x77 };
    /* cap_offset is written back (as 0) once argsz covers it, as the kernel does */
    g_autofree uint8_t *buf = NULL;
    struct vfio_iommu_type1_info *info;
    struct vfio_info_cap_header *cap;
    struct vfio_iommu_type1_info_dma_avail *avail;
    struct vfio_iommu_type1_info_cap_iova_range *range;
    uint32_t need;

    /* a caller that knows no capabilities: flags and page sizes only */
    g_assert_cmpint(h->ops->ioctl(h, f->c, VFIO_IOMMU_GET_INFO, &small), ==, 0);
    g_assert_cmphex(small.flags, ==, VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS);
    g_assert_cmphex(small.iova_pgsizes, ==, (1ull << 12) | (1ull << 21) | (1ull << 30));
    g_assert_cmpuint(small.argsz, ==, 24 + 16 + 48);
    /* too small for the chain: the needed size comes back, no capability */
    g_assert_cmpint(h->ops->ioctl(h, f->c, VFIO_IOMMU_GET_INFO, &hdr), ==, 0);
    need = hdr.argsz;
    g_assert_cmpuint(need, ==, 88);
    g_assert_cmpuint(hdr.cap_offset, ==, 0);
    small.argsz = 15;
    g_assert_cmpint(h->ops->ioctl(h, f->c, VFIO_IOMMU_GET_INFO, &small), ==, -EINVAL);
    g_assert_cmpint(h->ops->ioctl(h, f->c, VFIO_IOMMU_GET_INFO, NULL), ==, -EFAULT);

    /* grown to the size asked: the chain, DMA_AVAIL then IOVA_RANGE */
    buf = g_malloc0(need);
    info = (void *)buf;
    info->argsz = need;
    g_assert_cmpint(simt_map(h, f->c, 0, f->ram, 4096, RW), ==, 0);
    g_assert_cmpint(h->ops->ioctl(h, f->c, VFIO_IOMMU_GET_INFO, info), ==, 0);
    g_assert_cmpuint(info->argsz, ==, need);
    g_assert_cmpuint(info->cap_offset, ==, 24);
    cap = (void *)(buf + info->cap_offset);
    g_assert_cmpuint(cap->id, ==, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
    g_assert_cmpuint(cap->version, ==, 1);
    avail = (void *)cap;
    g_assert_cmpuint(avail->avail, ==, 65534);
    g_assert_cmpuint(cap->next, ==, 24 + 16);
    cap = (void *)(buf + cap->next);
    g_assert_cmpuint(cap->id, ==, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
    g_assert_cmpuint(cap->version, ==, 1);
    g_assert_cmpuint(cap->next, ==, 0);
    range = (void *)cap;
    g_assert_cmpuint(range->nr_iovas, ==, 2);
    g_assert_cmphex(range->iova_ranges[0].start, ==, 0);
    g_assert_cmphex(range->iova_ranges[0].end, ==, 0xfedfffff);
    g_assert_cmphex(range->iova_ranges[1].start, ==, 0xfef00000);
    g_assert_cmphex(range->iova_ranges[1].end, ==, 0xffffffffffffull);
}

static void test_map_errors(Fixture *f, gconstpointer data)
{
    VfioHost *h = f->h;
    struct vfio_iommu_type1_dma_map m = { .argsz = 24, .flags = RW };
    uint8_t *p = f->ram;

    g_assert_cmpint(h->ops->ioctl(h, f->c, VFIO_IOMMU_MAP_DMA, &m), ==, -EINVAL);
    g_assert_cmpint(h->ops->ioctl(h, f->c, VFIO_IOMMU_MAP_DMA, NULL), ==, -EFAULT);
    g_assert_cmpint(simt_map(h, f->c, 0, p, 4096, 0), ==, -EINVAL);
    g_assert_cmpint(simt_map(h, f->c, 0, p, 4096, 8), ==, -EINVAL);
    g_assert_cmpint(simt_map(h, f->c, 0, p, 4096, RW | VFIO_DMA_MAP_FLAG_VADDR), ==, -EINVAL);
    g_assert_cmpint(simt_map(h, f->c, 0, p, 0, RW), ==, -EINVAL);
    g_assert_cmpint(simt_map(h, f->c, 0, p, 4095, RW), ==, -EINVAL);
    g_assert_cmpint(simt_map(h, f->c, 0x800, p, 4096, RW), ==, -EINVAL);
    g_assert_cmpint(simt_map(h, f->c, 0, p + 0x800, 4096, RW), ==, -EINVAL);
    g_assert_cmpint(simt_map(h, f->c, -4096ull, p, 8192, RW), ==, -EINVAL);
    /* outside the IOVA ranges: the MSI window, beyond 48 bits */
    g_assert_cmpint(simt_map(h, f->c, 0xfee00000, p, 4096, RW), ==, -EINVAL);
    g_assert_cmpint(simt_map(h, f->c, 0xfed00000, p, 0x200000, RW), ==, -EINVAL);
    g_assert_cmpint(simt_map(h, f->c, 1ull << 48, p, 4096, RW), ==, -EINVAL);
    /* memory that is not there */
    g_assert_cmpint(simt_map(h, f->c, 0, simt_unmapped(8192), 8192, RW), ==, -EFAULT);

    g_assert_cmpint(simt_map(h, f->c, 0x10000, p, 0x4000, RW), ==, 0);
    /* any overlap with an existing mapping */
    g_assert_cmpint(simt_map(h, f->c, 0x10000, p, 0x4000, RW), ==, -EEXIST);
    g_assert_cmpint(simt_map(h, f->c, 0x13000, p, 0x2000, RW), ==, -EEXIST);
    g_assert_cmpint(simt_map(h, f->c, 0xf000, p, 0x2000, RW), ==, -EEXIST);
    g_assert_cmpint(simt_map(h, f->c, 0x8000, p, 0x10000, RW), ==, -EEXIST);
    g_assert_cmpint(simt_map(h, f->c, 0xf000, p, 0x1000, RW), ==, 0);
    g_assert_cmpint(simt_map(h, f->c, 0x14000, p, 0x1000, RO), ==, 0);
    g_assert_cmpint(simt_map(h, f->c, 0xfef00000, p, 0x1000, RW), ==, 0);
    g_assert_cmpuint(nmappings(f), ==, 4);
    {
        g_autoptr(JsonNode) q = simt_query(f->obj);
        JsonObject *co = simt_container_q(q, 0);
        JsonObject *m = json_array_get_object_element(
            json_object_get_array_member(co, "mappings"), 2);
        g_assert_cmpstr(json_object_get_string_member(co, "iommu"), ==, "type1v2");
        g_assert_cmpint(json_object_get_int_member(co, "dma-avail"), ==, 65531);
        g_assert_cmphex(json_object_get_int_member(m, "iova"), ==, 0x14000);
        g_assert_cmphex(json_object_get_int_member(m, "size"), ==, 0x1000);
        g_assert_cmpstr(json_object_get_string_member(m, "perm"), ==, "r");
        g_assert_cmphex(json_object_get_int_member(m, "vaddr"), ==, (uintptr_t)p);
        g_assert_cmpint(json_object_get_int_member(m, "gpa"), ==, -1);
    }
}

static void test_dma_avail_memlock(Fixture *f, gconstpointer data)
{
    VfioHost *h = f->h;

    /* dma-entry-limit=2, memlock-limit=64K */
    g_assert_cmpint(simt_map(h, f->c, 0, f->ram, 0x8000, RW), ==, 0);
    g_assert_cmpint(simt_locked_bytes(f->obj), ==, 0x8000);
    g_assert_cmpint(simt_map(h, f->c, 0x100000, f->ram, 0x9000, RW), ==, -ENOMEM);
    g_assert_cmpint(simt_map(h, f->c, 0x100000, f->ram, 0x8000, RW), ==, 0);
    g_assert_cmpint(simt_map(h, f->c, 0x200000, f->ram, 0x1000, RW), ==, -ENOSPC);
    g_assert_cmpint(unmap(f, 0, 0x8000, 0), ==, 0x8000);
    g_assert_cmpint(simt_locked_bytes(f->obj), ==, 0x8000);
    g_assert_cmpint(simt_map(h, f->c, 0x200000, f->ram, 0x1000, RW), ==, 0);
    g_assert_cmpint(simt_locked_bytes(f->obj), ==, 0x9000);
    /* the last group leaving unpins everything */
    g_assert_cmpint(h->ops->ioctl(h, f->g, VFIO_GROUP_UNSET_CONTAINER, NULL), ==, 0);
    g_assert_cmpint(simt_locked_bytes(f->obj), ==, 0);
}

static void test_unmap_v2(Fixture *f, gconstpointer data)
{
    VfioHost *h = f->h;
    struct vfio_iommu_type1_dma_unmap u = { .argsz = 16 };

    g_assert_cmpint(simt_map(h, f->c, 0x10000, f->ram, 0x4000, RW), ==, 0);
    g_assert_cmpint(simt_map(h, f->c, 0x14000, f->ram, 0x2000, RW), ==, 0);
    g_assert_cmpint(simt_map(h, f->c, 0x20000, f->ram, 0x1000, RW), ==, 0);

    g_assert_cmpint(h->ops->ioctl(h, f->c, VFIO_IOMMU_UNMAP_DMA, &u), ==, -EINVAL);
    g_assert_cmpint(h->ops->ioctl(h, f->c, VFIO_IOMMU_UNMAP_DMA, NULL), ==, -EFAULT);
    g_assert_cmpint(unmap(f, 0x10000, 0x1000, 8), ==, -EINVAL);
    g_assert_cmpint(unmap(f, 0x10000, 0x1000, VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP), ==,
                    -EINVAL);
    g_assert_cmpint(unmap(f, 0x10000, 0x1000, VFIO_DMA_UNMAP_FLAG_VADDR), ==, -EINVAL);
    g_assert_cmpint(unmap(f, 0x10800, 0x1000, 0), ==, -EINVAL);
    g_assert_cmpint(unmap(f, 0x10000, 0x800, 0), ==, -EINVAL);
    g_assert_cmpint(unmap(f, 0x10000, 0, 0), ==, -EINVAL);
    g_assert_cmpint(unmap(f, -4096ull, 8192, 0), ==, -EINVAL);
    /* v2: no splitting at either end */
    g_assert_cmpint(unmap(f, 0x11000, 0x3000, 0), ==, -EINVAL);
    g_assert_cmpint(unmap(f, 0x10000, 0x1000, 0), ==, -EINVAL);
    g_assert_cmpint(unmap(f, 0x10000, 0x5000, 0), ==, -EINVAL);
    g_assert_cmpuint(nmappings(f), ==, 3);
    /* nothing there: success, nothing unmapped */
    g_assert_cmpint(unmap(f, 0x30000, 0x1000, 0), ==, 0);
    /* whole mappings, several at once, holes allowed */
    g_assert_cmpint(unmap(f, 0x10000, 0x6000, 0), ==, 0x6000);
    g_assert_cmpint(unmap(f, 0x0, 0x100000, 0), ==, 0x1000);
    g_assert_cmpuint(nmappings(f), ==, 0);

    /* UNMAP_ALL */
    g_assert_cmpint(simt_map(h, f->c, 0x10000, f->ram, 0x4000, RW), ==, 0);
    g_assert_cmpint(simt_map(h, f->c, 0xfef00000, f->ram, 0x4000, RW), ==, 0);
    g_assert_cmpint(unmap(f, 0x10000, 0, VFIO_DMA_UNMAP_FLAG_ALL), ==, -EINVAL);
    g_assert_cmpint(unmap(f, 0, 0x1000, VFIO_DMA_UNMAP_FLAG_ALL), ==, -EINVAL);
    g_assert_cmpint(unmap(f, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL), ==, 0x8000);
    g_assert_cmpuint(nmappings(f), ==, 0);
    {
        g_autoptr(JsonNode) q = simt_query(f->obj);
        g_assert_cmpint(json_object_get_int_member(simt_container_q(q, 0), "dma-avail"), ==,
                        65535);
    }
}

static void test_unmap_v1(Fixture *f, gconstpointer data)
{
    VfioHost *h = f->h;

    {
        g_autoptr(JsonNode) q = simt_query(f->obj);
        g_assert_cmpstr(json_object_get_string_member(simt_container_q(q, 0), "iommu"), ==,
                        "type1");
    }
    g_assert_cmpint(simt_map(h, f->c, 0x10000, f->ram, 0x4000, RW), ==, 0);
    g_assert_cmpint(simt_map(h, f->c, 0x20000, f->ram, 0x4000, RW), ==, 0);
    /* v1: a range starting inside a mapping unmaps nothing, successfully */
    g_assert_cmpint(unmap(f, 0x11000, 0x1000, 0), ==, 0);
    /* one covering a mapping's start removes the whole of it */
    g_assert_cmpint(unmap(f, 0x1f000, 0x2000, 0), ==, 0x4000);
    g_assert_cmpint(unmap(f, 0x10000, 0x1000, 0), ==, 0x4000);
    g_assert_cmpuint(nmappings(f), ==, 0);
}

static void test_dma(Fixture *f, gconstpointer data)
{
    VfioHost *h = f->h;
    int d = simt_get_device(h, f->g, "0000:01:00.0");

    simt_enable(h, d);
    g_assert_cmpint(simt_map(h, f->c, 0x100000, f->ram, 0x4000, RW), ==, 0);
    g_assert_cmpint(simt_map(h, f->c, 0x104000, f->ram + 0x8000, 0x1000, RO), ==, 0);
    memset(f->ram, 0x3c, 0x4000);
    f->ram[0x8000] = 0x99;
    /* a read crossing from one mapping into the next */
    simt_edu_dma(h, d, 0x103ffe, EDU_BUF, 4, 0);
    g_assert_cmphex(simt_readl(h, d, EDU_BUF), ==, 0x00993c3c);
    simt_writel(h, d, EDU_BUF, 0xa5a5a5a5);
    simt_edu_dma(h, d, EDU_BUF, 0x100010, 4, DMA_TO_RAM);
    g_assert_cmphex(*(uint32_t *)(f->ram + 0x10), ==, 0xa5a5a5a5);
    /* the read-only mapping refuses a write; a hole refuses everything */
    simt_edu_dma(h, d, EDU_BUF, 0x104000, 4, DMA_TO_RAM);
    g_assert_cmphex(f->ram[0x8000], ==, 0x99);
    simt_edu_dma(h, d, 0x105000, EDU_BUF, 4, 0);
    g_assert_cmpint(simt_dev_counter(f->obj, "0000:01:00.0", "dma-ok"), ==, 2);
    g_assert_cmpint(simt_dev_counter(f->obj, "0000:01:00.0", "dma-faults"), ==, 2);
    simt_close(h, d);
}

int main(int argc, char **argv)
{
    simt_init();
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn, props) \
    g_test_add("/vfio-sim/type1/" path, Fixture, props, setup, fn, teardown)
    ADD("get-info", test_get_info, &v2);
    ADD("map/errors", test_map_errors, &v2);
    ADD("map/dma-avail-memlock", test_dma_avail_memlock, &v2_limits);
    ADD("unmap/v2", test_unmap_v2, &v2);
    ADD("unmap/v1", test_unmap_v1, &v1);
    ADD("dma", test_dma, &v2);
    return g_test_run();
}
