/*
 * vfio-sim sPAPR TCE IOMMU (hw/vfio/sim/sim-spapr.c): GET_INFO, memory
 * preregistration and locked memory, the lazy default window, window
 * create/remove, MAP/UNMAP with the kernel's errno values, v1, release,
 * and device DMA through the TCEs.
 */
#include "qemu/osdep.h"
#include "test-vfio-sim-util.h"

#define RW (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
#define RO VFIO_DMA_MAP_FLAG_READ
#define WO VFIO_DMA_MAP_FLAG_WRITE
#define BYPASS (1ull << 59)

typedef struct Fixture {
    Object *obj;
    VfioHost *h;
    int g, c;
    size_t ps;
    uint8_t *ram;              /* 1 MiB, 64 KiB aligned */
} Fixture;

static void setup_with(Fixture *f, const char *props)
{
    f->obj = simt_new("sp", props);
    f->h = simt_host(f->obj);
    f->ps = sysconf(_SC_PAGESIZE);
    f->ram = simt_ram(MiB, 64 * 1024);
    simt_setup(f->h, 1, VFIO_SPAPR_TCE_v2_IOMMU, &f->g, &f->c);
}

static void setup(Fixture *f, gconstpointer data)
{
    setup_with(f, data);
}

static void teardown(Fixture *f, gconstpointer data)
{
    simt_del(f->obj);
    simt_ram_free(f->ram, MiB);
}

static JsonArray *windows(JsonNode *q)
{
    return json_object_get_array_member(simt_container_q(q, 0), "windows");
}

static JsonArray *mappings(JsonNode *q)
{
    return json_object_get_array_member(simt_container_q(q, 0), "mappings");
}

static void assert_mapping(JsonArray *a, guint i, uint64_t iova, uint64_t size, const char *perm,
                           void *vaddr)
{
    JsonObject *m;

    g_assert_cmpuint(i, <, json_array_get_length(a));
    m = json_array_get_object_element(a, i);
    g_assert_cmphex(json_object_get_int_member(m, "iova"), ==, iova);
    g_assert_cmphex(json_object_get_int_member(m, "size"), ==, size);
    g_assert_cmpstr(json_object_get_string_member(m, "perm"), ==, perm);
    g_assert_cmphex(json_object_get_int_member(m, "vaddr"), ==, (uintptr_t)vaddr);
    /* not guest RAM of a machine: no guest-physical address */
    g_assert_cmpint(json_object_get_int_member(m, "gpa"), ==, -1);
}

/* GET_INFO -------------------------------------------------------------------- */

static void test_get_info(Fixture *f, gconstpointer data)
{
    struct vfio_iommu_spapr_tce_info info;
    uint32_t minsz = offsetof(struct vfio_iommu_spapr_tce_info, ddw);

    memset(&info, 0xaa, sizeof(info));
    info.argsz = sizeof(info);
    g_assert_cmpint(f->h->ops->ioctl(f->h, f->c, VFIO_IOMMU_SPAPR_TCE_GET_INFO, &info), ==, 0);
    g_assert_cmphex(info.flags, ==, VFIO_IOMMU_SPAPR_INFO_DDW);
    g_assert_cmphex(info.dma32_window_start, ==, 0);
    g_assert_cmphex(info.dma32_window_size, ==, 0x80000000u);
    g_assert_cmphex(info.ddw.pgsizes, ==, (1u << 12) | (1u << 16) | (1u << 24));
    g_assert_cmpuint(info.ddw.max_dynamic_windows_supported, ==, 2);
    g_assert_cmpuint(info.ddw.levels, ==, 5);

    /* an old caller without the ddw member: it is left alone */
    memset(&info, 0xaa, sizeof(info));
    info.argsz = minsz;
    g_assert_cmpint(f->h->ops->ioctl(f->h, f->c, VFIO_IOMMU_SPAPR_TCE_GET_INFO, &info), ==, 0);
    g_assert_cmphex(info.dma32_window_size, ==, 0x80000000u);
    g_assert_cmphex(info.ddw.levels, ==, 0xaaaaaaaau);

    info.argsz = minsz - 1;
    g_assert_cmpint(f->h->ops->ioctl(f->h, f->c, VFIO_IOMMU_SPAPR_TCE_GET_INFO, &info), ==,
                    -EINVAL);
    g_assert_cmpint(f->h->ops->ioctl(f->h, f->c, VFIO_IOMMU_SPAPR_TCE_GET_INFO, NULL), ==,
                    -EFAULT);
}

static void test_get_info_dma32(Fixture *f, gconstpointer data)
{
    struct vfio_iommu_spapr_tce_info info = { .argsz = sizeof(info) };

    g_assert_cmpint(f->h->ops->ioctl(f->h, f->c, VFIO_IOMMU_SPAPR_TCE_GET_INFO, &info), ==, 0);
    g_assert_cmphex(info.dma32_window_size, ==, 0x40000000u);
}

/* Registration ------------------------------------------------------------------- */

static void test_register(Fixture *f, gconstpointer data)
{
    VfioHost *h = f->h;
    struct vfio_iommu_spapr_register_memory r = { .argsz = sizeof(r), .flags = 1,
                                                  .vaddr = (uintptr_t)f->ram, .size = f->ps };
    int c2, g2;

    /* nothing registered: the container is not enabled */
    g_assert_cmpint(simt_map(h, f->c, 0, f->ram, 4096, RW), ==, -EPERM);
    g_assert_cmpint(simt_unmap(h, f->c, 0, 4096), ==, -EPERM);
    g_assert_cmpint(simt_unregister(h, f->c, f->ram, f->ps), ==, -EPERM);

    g_assert_cmpint(h->ops->ioctl(h, f->c, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, &r), ==, -EINVAL);
    r.flags = 0;
    r.argsz = 16;
    g_assert_cmpint(h->ops->ioctl(h, f->c, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, &r), ==, -EINVAL);
    g_assert_cmpint(h->ops->ioctl(h, f->c, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, NULL), ==, -EFAULT);
    g_assert_cmpint(simt_register(h, f->c, f->ram + 1, f->ps), ==, -EINVAL);
    g_assert_cmpint(simt_register(h, f->c, f->ram, f->ps + 1), ==, -EINVAL);
    g_assert_cmpint(simt_register(h, f->c, f->ram, 0), ==, -EINVAL);
    g_assert_cmpint(simt_register(h, f->c, (void *)(uintptr_t)-f->ps, 2 * f->ps), ==, -EINVAL);
    /* memory that is not mapped cannot be pinned */
    g_assert_cmpint(simt_register(h, f->c, simt_unmapped(f->ps), f->ps), ==, -EFAULT);
    g_assert_cmpint(simt_locked_bytes(f->obj), ==, 0);

    g_assert_cmpint(simt_register(h, f->c, f->ram, 16 * f->ps), ==, 0);
    g_assert_cmpint(simt_locked_bytes(f->obj), ==, 16 * f->ps);
    /* the same region twice in one container; overlapping another region */
    g_assert_cmpint(simt_register(h, f->c, f->ram, 16 * f->ps), ==, -EBUSY);
    g_assert_cmpint(simt_register(h, f->c, f->ram + f->ps, f->ps), ==, -EINVAL);
    g_assert_cmpint(simt_register(h, f->c, f->ram + 15 * f->ps, 2 * f->ps), ==, -EINVAL);
    g_assert_cmpint(simt_register(h, f->c, f->ram + 16 * f->ps, f->ps), ==, 0);
    {
        g_autoptr(JsonNode) q = simt_query(f->obj);
        JsonObject *co = simt_container_q(q, 0);
        JsonArray *regs = json_object_get_array_member(co, "registered");
        g_assert_true(json_object_get_boolean_member(co, "enabled"));
        g_assert_cmpint(json_array_get_length(regs), ==, 2);
        g_assert_cmphex(json_object_get_int_member(json_array_get_object_element(regs, 0),
                                                   "vaddr"), ==, (uintptr_t)f->ram);
        g_assert_cmphex(json_object_get_int_member(json_array_get_object_element(regs, 0),
                                                   "size"), ==, 16 * f->ps);
    }

    /* another container of the process shares the same region: accounted once */
    simt_setup(h, 3, VFIO_SPAPR_TCE_v2_IOMMU, &g2, &c2);
    g_assert_cmpint(simt_register(h, c2, f->ram, 16 * f->ps), ==, 0);
    g_assert_cmpint(simt_locked_bytes(f->obj), ==, 17 * f->ps);
    g_assert_cmpint(simt_unregister(h, c2, f->ram + 16 * f->ps, f->ps), ==, -ENOENT);

    /* unregistering: exact bounds; not while TCEs point into it */
    g_assert_cmpint(simt_map(h, f->c, 0, f->ram, 4096, RW), ==, 0);
    g_assert_cmpint(simt_unregister(h, f->c, f->ram, 8 * f->ps), ==, -ENOENT);
    g_assert_cmpint(simt_unregister(h, f->c, f->ram + 1, f->ps), ==, -EINVAL);
    g_assert_cmpint(simt_unregister(h, f->c, f->ram, 16 * f->ps), ==, 0);   /* c2 keeps it */
    g_assert_cmpint(simt_unregister(h, f->c, f->ram, 16 * f->ps), ==, -ENOENT);
    g_assert_cmpint(simt_unregister(h, c2, f->ram, 16 * f->ps), ==, -EBUSY);
    g_assert_cmpint(simt_unmap(h, f->c, 0, 4096), ==, 0);
    g_assert_cmpint(simt_unregister(h, c2, f->ram, 16 * f->ps), ==, 0);
    g_assert_cmpint(simt_locked_bytes(f->obj), ==, f->ps + 8 * MiB);  /* + default window */
    /* still enabled: the kernel never disables a v2 container */
    g_assert_cmpint(simt_map(h, f->c, 0, f->ram, 4096, RW), ==, -EINVAL);
}

static void test_memlock(Fixture *f, gconstpointer data)
{
    VfioHost *h = f->h;
    uint64_t start;

    /* memlock-limit=9M: registering 1 MiB fits, 8 MiB and a page more does not */
    g_assert_cmpint(simt_register(h, f->c, f->ram, MiB), ==, 0);
    {
        uint8_t *big = simt_ram(8 * MiB + f->ps, f->ps);
        g_assert_cmpint(simt_register(h, f->c, big, 8 * MiB + f->ps), ==, -ENOMEM);
        simt_ram_free(big, 8 * MiB + f->ps);
    }
    g_assert_cmpint(simt_locked_bytes(f->obj), ==, MiB);
    /*
     * The 2 GiB default window costs 8 MiB of TCE table (4 MiB, twice):
     * it fits exactly, and a 16 MiB window after it no longer does.
     */
    g_assert_cmpint(simt_map(h, f->c, 0, f->ram, 4096, RW), ==, 0);
    g_assert_cmpint(simt_locked_bytes(f->obj), ==, 9 * MiB);
    g_assert_cmpint(simt_create(h, f->c, 12, 16 * MiB, 1, &start), ==, -ENOMEM);
    vfio_sim_set_memlock_limit(VFIO_SIM(f->obj), 0);
    g_assert_cmpint(simt_create(h, f->c, 12, 16 * MiB, 1, &start), ==, 0);
    g_assert_cmpint(simt_locked_bytes(f->obj), ==, 9 * MiB + 2 * 32 * 1024);
    g_assert_cmpint(simt_remove(h, f->c, start), ==, 0);
    g_assert_cmpint(simt_locked_bytes(f->obj), ==, 9 * MiB);
}

static void test_memlock_default_window(Fixture *f, gconstpointer data)
{
    /* memlock-limit=4M: the lazy default window cannot be created, MAP says why */
    g_assert_cmpint(simt_register(f->h, f->c, f->ram, MiB), ==, 0);
    g_assert_cmpint(simt_map(f->h, f->c, 0, f->ram, 4096, RW), ==, -ENOMEM);
    g_assert_cmpint(simt_unmap(f->h, f->c, 0, 4096), ==, -ENOMEM);
    {
        g_autoptr(JsonNode) q = simt_query(f->obj);
        g_assert_true(json_object_get_boolean_member(simt_container_q(q, 0),
                                                     "default-window-pending"));
    }
    /* cancelled, a small window of our own does fit */
    g_assert_cmpint(simt_remove(f->h, f->c, 0), ==, 0);
    g_assert_cmpint(simt_create(f->h, f->c, 12, 256 * MiB, 1, NULL), ==, 0);
    g_assert_cmpint(simt_map(f->h, f->c, 0, f->ram, 4096, RW), ==, 0);
}

/* Windows ------------------------------------------------------------------------- */

static void test_default_window(Fixture *f, gconstpointer data)
{
    VfioHost *h = f->h;
    JsonObject *w;

    g_assert_cmpint(simt_register(h, f->c, f->ram, MiB), ==, 0);
    {
        g_autoptr(JsonNode) q = simt_query(f->obj);
        g_assert_true(json_object_get_boolean_member(simt_container_q(q, 0),
                                                     "default-window-pending"));
        g_assert_cmpint(json_array_get_length(windows(q)), ==, 0);
    }
    /* the first MAP creates it: 4 KiB pages, dma32-size, at 0 */
    g_assert_cmpint(simt_map(h, f->c, 0x10000, f->ram, 0x2000, RW), ==, 0);
    {
        g_autoptr(JsonNode) q = simt_query(f->obj);
        g_assert_false(json_object_get_boolean_member(simt_container_q(q, 0),
                                                      "default-window-pending"));
        g_assert_cmpint(json_array_get_length(windows(q)), ==, 1);
        w = json_array_get_object_element(windows(q), 0);
        g_assert_cmphex(json_object_get_int_member(w, "start"), ==, 0);
        g_assert_cmphex(json_object_get_int_member(w, "size"), ==, 0x80000000u);
        g_assert_cmpint(json_object_get_int_member(w, "page-shift"), ==, 12);
        g_assert_cmpint(json_object_get_int_member(w, "levels"), ==, 1);
        g_assert_cmpint(json_object_get_int_member(w, "entries-in-use"), ==, 2);
        assert_mapping(mappings(q), 0, 0x10000, 0x2000, "rw", f->ram);
    }
    /* beyond the 2 GiB window */
    g_assert_cmpint(simt_map(h, f->c, 0x80000000, f->ram, 0x1000, RW), ==, -ENXIO);
    /* the default window is window #0, so a created one is #1 at the bypass base */
    {
        uint64_t start;
        g_assert_cmpint(simt_create(h, f->c, 16, 1ull << 32, 1, &start), ==, 0);
        g_assert_cmphex(start, ==, BYPASS);
        g_assert_cmpint(simt_create(h, f->c, 12, 1ull << 20, 1, &start), ==, -ENOSPC);
        g_assert_cmphex(start, ==, 0xdead);
        /* removing the default window frees slot #0 */
        g_assert_cmpint(simt_remove(h, f->c, 0), ==, 0);
        g_assert_cmpint(simt_create(h, f->c, 12, 1ull << 20, 1, &start), ==, 0);
        g_assert_cmphex(start, ==, 0);
    }
}

static void test_default_window_cancel(Fixture *f, gconstpointer data)
{
    VfioHost *h = f->h;
    uint64_t start;

    g_assert_cmpint(simt_register(h, f->c, f->ram, MiB), ==, 0);
    /* QEMU's order: remove the pending default window, then create on demand */
    g_assert_cmpint(simt_remove(h, f->c, 0), ==, 0);
    g_assert_cmpint(simt_map(h, f->c, 0, f->ram, 0x1000, RW), ==, -ENXIO);
    g_assert_cmpint(simt_remove(h, f->c, 0), ==, -EINVAL);
    g_assert_cmpint(simt_create(h, f->c, 12, 1ull << 30, 1, &start), ==, 0);
    g_assert_cmphex(start, ==, 0);
    g_assert_cmpint(simt_create(h, f->c, 16, 1ull << 40, 2, &start), ==, 0);
    g_assert_cmphex(start, ==, BYPASS);
    g_assert_cmpint(simt_create(h, f->c, 12, 1ull << 20, 1, &start), ==, -ENOSPC);
    /*
     * Locked: 1 MiB registered, 2 x 2 MiB for 2^18 4K TCEs, and for 2^24
     * 64K TCEs in 2 levels of 2^12-entry (32 KiB) tables, 2 x (128 MiB +
     * 32 KiB): the kernel charges whole tables, allocated or not.
     */
    g_assert_cmpint(simt_locked_bytes(f->obj), ==, MiB + 4 * MiB + 2 * (128 * MiB + 32768));
    {
        g_autoptr(JsonNode) q = simt_query(f->obj);
        JsonObject *w = json_array_get_object_element(windows(q), 1);
        g_assert_cmphex(json_object_get_int_member(w, "start"), ==, BYPASS);
        g_assert_cmphex(json_object_get_int_member(w, "size"), ==, 1ull << 40);
        g_assert_cmpint(json_object_get_int_member(w, "page-shift"), ==, 16);
        g_assert_cmpint(json_object_get_int_member(w, "levels"), ==, 2);
    }
    /* any address inside a window names it */
    g_assert_cmpint(simt_remove(h, f->c, BYPASS + 0x123456), ==, 0);
    g_assert_cmpint(simt_remove(h, f->c, BYPASS), ==, -EINVAL);
    g_assert_cmpint(simt_remove(h, f->c, 1ull << 30), ==, -EINVAL);
    g_assert_cmpint(simt_remove(h, f->c, 0x1000), ==, 0);
    {
        g_autoptr(JsonNode) q = simt_query(f->obj);
        g_assert_cmpint(json_array_get_length(windows(q)), ==, 0);
        g_assert_false(json_object_get_boolean_member(simt_container_q(q, 0),
                                                      "default-window-pending"));
    }
}

static void test_create_errors(Fixture *f, gconstpointer data)
{
    VfioHost *h = f->h;
    struct vfio_iommu_spapr_tce_create cr = { .argsz = sizeof(cr), .flags = 1,
                                              .page_shift = 12, .window_size = 1ull << 30,
                                              .levels = 1 };
    struct vfio_iommu_spapr_tce_remove rm = { .argsz = sizeof(rm), .flags = 1 };

    g_assert_cmpint(simt_remove(h, f->c, 0), ==, 0);
    g_assert_cmpint(h->ops->ioctl(h, f->c, VFIO_IOMMU_SPAPR_TCE_CREATE, &cr), ==, -EINVAL);
    cr.flags = 0;
    cr.argsz = offsetof(struct vfio_iommu_spapr_tce_create, start_addr);
    g_assert_cmpint(h->ops->ioctl(h, f->c, VFIO_IOMMU_SPAPR_TCE_CREATE, &cr), ==, -EINVAL);
    g_assert_cmpint(h->ops->ioctl(h, f->c, VFIO_IOMMU_SPAPR_TCE_CREATE, NULL), ==, -EFAULT);
    g_assert_cmpint(h->ops->ioctl(h, f->c, VFIO_IOMMU_SPAPR_TCE_REMOVE, &rm), ==, -EINVAL);
    /* page sizes outside ddw.pgsizes */
    g_assert_cmpint(simt_create(h, f->c, 13, 1ull << 30, 1, NULL), ==, -EINVAL);
    g_assert_cmpint(simt_create(h, f->c, 21, 1ull << 30, 1, NULL), ==, -EINVAL);
    g_assert_cmpint(simt_create(h, f->c, 64, 1ull << 30, 1, NULL), ==, -EINVAL);
    /* levels 1..5 */
    g_assert_cmpint(simt_create(h, f->c, 12, 1ull << 30, 0, NULL), ==, -EINVAL);
    g_assert_cmpint(simt_create(h, f->c, 12, 1ull << 30, 6, NULL), ==, -EINVAL);
    /* a power of two, at least a page */
    g_assert_cmpint(simt_create(h, f->c, 12, 3ull << 30, 1, NULL), ==, -EINVAL);
    g_assert_cmpint(simt_create(h, f->c, 16, 4096, 1, NULL), ==, -EINVAL);
    g_assert_cmpint(simt_create(h, f->c, 12, 0, 1, NULL), ==, -EINVAL);
    /* more than the levels can address (55 bits) */
    g_assert_cmpint(simt_create(h, f->c, 12, 1ull << 58, 1, NULL), ==, -EINVAL);
    g_assert_cmpint(simt_locked_bytes(f->obj), ==, 0);
    g_assert_cmpint(simt_create(h, f->c, 24, 1ull << 45, 1, NULL), ==, 0);
    {
        g_autoptr(JsonNode) q = simt_query(f->obj);
        g_assert_cmpint(json_array_get_length(windows(q)), ==, 1);
    }
}

/* MAP / UNMAP ----------------------------------------------------------------------- */

static void test_map_errors(Fixture *f, gconstpointer data)
{
    VfioHost *h = f->h;
    struct vfio_iommu_type1_dma_map m = { .argsz = 16 };
    uint8_t *r64 = f->ram;     /* 64 KiB aligned */

    g_assert_cmpint(simt_register(h, f->c, f->ram, MiB), ==, 0);
    g_assert_cmpint(simt_remove(h, f->c, 0), ==, 0);
    g_assert_cmpint(simt_create(h, f->c, 12, 1ull << 30, 1, NULL), ==, 0);
    g_assert_cmpint(simt_create(h, f->c, 16, 1ull << 32, 1, NULL), ==, 0);

    g_assert_cmpint(h->ops->ioctl(h, f->c, VFIO_IOMMU_MAP_DMA, &m), ==, -EINVAL);
    g_assert_cmpint(h->ops->ioctl(h, f->c, VFIO_IOMMU_MAP_DMA, NULL), ==, -EFAULT);
    g_assert_cmpint(simt_map(h, f->c, 0, f->ram, 4096, 0), ==, -EINVAL);
    g_assert_cmpint(simt_map(h, f->c, 0, f->ram, 4096, RW | VFIO_DMA_MAP_FLAG_VADDR), ==,
                    -EINVAL);
    /* between and beyond the windows */
    g_assert_cmpint(simt_map(h, f->c, 1ull << 30, f->ram, 4096, RW), ==, -ENXIO);
    g_assert_cmpint(simt_map(h, f->c, BYPASS + (1ull << 32), f->ram, 65536, RW), ==, -ENXIO);
    /* alignment to the window's page: size, vaddr, iova */
    g_assert_cmpint(simt_map(h, f->c, BYPASS, r64, 4096, RW), ==, -EINVAL);
    g_assert_cmpint(simt_map(h, f->c, BYPASS, r64 + 4096, 65536, RW), ==, -EINVAL);
    g_assert_cmpint(simt_map(h, f->c, BYPASS + 4096, r64, 65536, RW), ==, -EINVAL);
    g_assert_cmpint(simt_map(h, f->c, 0x800, f->ram, 4096, RW), ==, -EINVAL);
    /* memory that was not registered */
    g_assert_cmpint(simt_map(h, f->c, 0, f->ram + MiB, 4096, RW), ==, -EINVAL);
    g_assert_cmpint(simt_map(h, f->c, 0, f->ram + MiB - 4096, 8192, RW), ==, -EINVAL);
    /* a 64 KiB IOMMU page over 4 KiB host pages (page-size default) */
    if (f->ps < 65536) {
        g_assert_cmpint(simt_map(h, f->c, BYPASS, r64, 65536, RW), ==, -EINVAL);
    }
    /* running past the end of the window */
    g_assert_cmpint(simt_map(h, f->c, (1ull << 30) - 4096, f->ram, 8192, RW), ==, -EINVAL);
    {
        g_autoptr(JsonNode) q = simt_query(f->obj);
        g_assert_cmpint(json_array_get_length(mappings(q)), ==, 0);
    }
    g_assert_cmpint(simt_map(h, f->c, 0, f->ram, 0, RW), ==, 0);
}

static void test_map_unmap(Fixture *f, gconstpointer data)
{
    VfioHost *h = f->h;
    struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .flags = 1, .iova = 0,
                                            .size = 4096 };

    g_assert_cmpint(simt_register(h, f->c, f->ram, MiB), ==, 0);
    g_assert_cmpint(simt_map(h, f->c, 0x100000, f->ram, 0x4000, RW), ==, 0);
    g_assert_cmpint(simt_map(h, f->c, 0x200000, f->ram + 0x8000, 0x1000, RO), ==, 0);
    g_assert_cmpint(simt_map(h, f->c, 0x201000, f->ram + 0x9000, 0x1000, WO), ==, 0);
    {
        g_autoptr(JsonNode) q = simt_query(f->obj);
        JsonArray *a = mappings(q);
        g_assert_cmpint(json_array_get_length(a), ==, 3);
        assert_mapping(a, 0, 0x100000, 0x4000, "rw", f->ram);
        assert_mapping(a, 1, 0x200000, 0x1000, "r", f->ram + 0x8000);
        assert_mapping(a, 2, 0x201000, 0x1000, "w", f->ram + 0x9000);
    }
    /* TCE granularity: take one page out of the middle */
    g_assert_cmpint(simt_unmap(h, f->c, 0x101000, 0x1000), ==, 0);
    /* an existing entry is replaced */
    g_assert_cmpint(simt_map(h, f->c, 0x103000, f->ram + 0x20000, 0x1000, RO), ==, 0);
    {
        g_autoptr(JsonNode) q = simt_query(f->obj);
        JsonArray *a = mappings(q);
        g_assert_cmpint(json_array_get_length(a), ==, 5);
        assert_mapping(a, 0, 0x100000, 0x1000, "rw", f->ram);
        assert_mapping(a, 1, 0x102000, 0x1000, "rw", f->ram + 0x2000);
        assert_mapping(a, 2, 0x103000, 0x1000, "r", f->ram + 0x20000);
        g_assert_cmpint(json_object_get_int_member(
                            json_array_get_object_element(windows(q), 0), "entries-in-use"),
                        ==, 5);
    }
    /* unmapping holes is fine; flags, alignment, window bounds are not */
    g_assert_cmpint(simt_unmap(h, f->c, 0x300000, 0x10000), ==, 0);
    g_assert_cmpint(simt_unmap(h, f->c, 0, 0), ==, 0);
    g_assert_cmpint(h->ops->ioctl(h, f->c, VFIO_IOMMU_UNMAP_DMA, &u), ==, -EINVAL);
    u.flags = 0;
    u.argsz = 20;
    g_assert_cmpint(h->ops->ioctl(h, f->c, VFIO_IOMMU_UNMAP_DMA, &u), ==, -EINVAL);
    g_assert_cmpint(h->ops->ioctl(h, f->c, VFIO_IOMMU_UNMAP_DMA, NULL), ==, -EFAULT);
    g_assert_cmpint(simt_unmap(h, f->c, 0x100000, 0x800), ==, -EINVAL);
    g_assert_cmpint(simt_unmap(h, f->c, 0x100800, 0x1000), ==, -EINVAL);
    g_assert_cmpint(simt_unmap(h, f->c, 0x80000000, 0x1000), ==, -ENXIO);
    g_assert_cmpint(simt_unmap(h, f->c, 0x7ffff000, 0x2000), ==, -EINVAL);
    g_assert_cmpint(simt_unmap(h, f->c, 0, 0x80000000), ==, 0);
    {
        g_autoptr(JsonNode) q = simt_query(f->obj);
        JsonObject *co = simt_container_q(q, 0);
        g_assert_cmpint(json_array_get_length(mappings(q)), ==, 0);
        g_assert_cmpint(json_object_get_int_member(co, "unmap-calls"), ==, 11);
        g_assert_cmpint(json_object_get_int_member(co, "unmap-errors"), ==, 7);
    }
    /* the region can go now */
    g_assert_cmpint(simt_unregister(h, f->c, f->ram, MiB), ==, 0);
}

static void test_map_partial_failure(Fixture *f, gconstpointer data)
{
    VfioHost *h = f->h;

    /* two registered regions with a hole between them */
    g_assert_cmpint(simt_register(h, f->c, f->ram, 0x2000), ==, 0);
    g_assert_cmpint(simt_register(h, f->c, f->ram + 0x3000, 0x1000), ==, 0);
    g_assert_cmpint(simt_map(h, f->c, 0x1000, f->ram + 0x3000, 0x1000, RO), ==, 0);
    /* pages 0x0 and 0x1000 map, 0x2000 is not registered: the call is undone */
    g_assert_cmpint(simt_map(h, f->c, 0, f->ram, 0x4000, RW), ==, -EINVAL);
    {
        g_autoptr(JsonNode) q = simt_query(f->obj);
        /* what it replaced is gone too, as in the kernel; later entries untouched */
        g_assert_cmpint(json_array_get_length(mappings(q)), ==, 0);
    }
    g_assert_cmpint(simt_map(h, f->c, 0x5000, f->ram + 0x3000, 0x1000, RO), ==, 0);
    g_assert_cmpint(simt_map(h, f->c, 0x3000, f->ram, 0x3000, RW), ==, -EINVAL);
    {
        g_autoptr(JsonNode) q = simt_query(f->obj);
        assert_mapping(mappings(q), 0, 0x5000, 0x1000, "r", f->ram + 0x3000);
        g_assert_cmpint(json_array_get_length(mappings(q)), ==, 1);
    }
    /* mapped entries pin their region */
    g_assert_cmpint(simt_unregister(h, f->c, f->ram + 0x3000, 0x1000), ==, -EBUSY);
    g_assert_cmpint(simt_unregister(h, f->c, f->ram, 0x2000), ==, 0);
}

static void test_big_pages(Fixture *f, gconstpointer data)
{
    VfioHost *h = f->h;
    uint64_t start;

    /* page-size=64K: 64 KiB IOMMU pages map, registration is in 64 KiB units */
    g_assert_cmpint(simt_register(h, f->c, f->ram, 4096), ==, -EINVAL);
    g_assert_cmpint(simt_register(h, f->c, f->ram, MiB), ==, 0);
    g_assert_cmpint(simt_create(h, f->c, 16, 1ull << 32, 1, &start), ==, 0);
    g_assert_cmpint(simt_map(h, f->c, start, f->ram, 0x20000, RW), ==, 0);
    /* 16 MiB pages still exceed the host page */
    g_assert_cmpint(simt_remove(h, f->c, 0), ==, 0);
    g_assert_cmpint(simt_create(h, f->c, 24, 1ull << 34, 1, &start), ==, 0);
    g_assert_cmphex(start, ==, 0);
    g_assert_cmpint(simt_map(h, f->c, 0, f->ram, 16 * MiB, RW), ==, -EINVAL);
    {
        g_autoptr(JsonNode) q = simt_query(f->obj);
        g_assert_cmpint(json_object_get_int_member(json_node_get_object(q), "page-size"), ==,
                        65536);
        assert_mapping(mappings(q), 0, BYPASS, 0x20000, "rw", f->ram);
    }
}

/* v1 -------------------------------------------------------------------------------- */

static void test_v1(void)
{
    Object *obj = simt_new("v1", NULL);
    VfioHost *h = simt_host(obj);
    size_t ps = sysconf(_SC_PAGESIZE);
    uint8_t *ram = simt_ram(4 * ps, ps);
    struct vfio_iommu_spapr_tce_info info = { .argsz = sizeof(info) };
    int g, c, g2 = simt_open_group(h, 2);

    simt_setup(h, 1, VFIO_SPAPR_TCE_IOMMU, &g, &c);
    /* v1 takes one group only */
    g_assert_cmpint(simt_set_container(h, g2, c), ==, -EBUSY);
    g_assert_cmpint(h->ops->ioctl(h, c, VFIO_IOMMU_SPAPR_TCE_GET_INFO, &info), ==, 0);
    g_assert_cmphex(info.flags, ==, 0);
    g_assert_cmphex(info.ddw.pgsizes, ==, 0);
    g_assert_cmphex(info.dma32_window_size, ==, 0x80000000u);
    /* no preregistration, no windows of its own */
    g_assert_cmpint(simt_register(h, c, ram, ps), ==, -ENOTTY);
    g_assert_cmpint(simt_create(h, c, 12, 1ull << 20, 1, NULL), ==, -ENOTTY);
    g_assert_cmpint(simt_remove(h, c, 0), ==, -ENOTTY);
    /* ENABLE charges the whole 32-bit window */
    g_assert_cmpint(simt_map(h, c, 0, ram, 4096, RW), ==, -EPERM);
    g_assert_cmpint(h->ops->ioctl(h, c, VFIO_IOMMU_ENABLE, NULL), ==, 0);
    g_assert_cmpint(h->ops->ioctl(h, c, VFIO_IOMMU_ENABLE, NULL), ==, -EBUSY);
    g_assert_cmpint(simt_locked_bytes(obj), ==, 2 * GiB);
    /* pages are pinned at MAP time */
    g_assert_cmpint(simt_map(h, c, 0, ram, 4096, RW), ==, 0);
    g_assert_cmpint(simt_map(h, c, 0x1000, simt_unmapped(4096), 4096, RW), ==, -EFAULT);
    g_assert_cmpint(simt_locked_bytes(obj), ==, 2 * GiB + 8 * MiB);
    {
        g_autoptr(JsonNode) q = simt_query(obj);
        g_assert_cmpstr(json_object_get_string_member(simt_container_q(q, 0), "iommu"), ==,
                        "spapr-tce");
        assert_mapping(mappings(q), 0, 0, 4096, "rw", ram);
    }
    g_assert_cmpint(h->ops->ioctl(h, c, VFIO_IOMMU_DISABLE, NULL), ==, 0);
    g_assert_cmpint(simt_locked_bytes(obj), ==, 8 * MiB);
    g_assert_cmpint(simt_map(h, c, 0, ram, 4096, RW), ==, -EPERM);
    g_assert_cmpint(h->ops->ioctl(h, c, VFIO_IOMMU_DISABLE, NULL), ==, 0);
    simt_close(h, g);
    g_assert_cmpint(simt_locked_bytes(obj), ==, 0);
    simt_del(obj);
    simt_ram_free(ram, 4 * ps);
}

/* Release and DMA --------------------------------------------------------------------- */

static void test_release(Fixture *f, gconstpointer data)
{
    VfioHost *h = f->h;

    g_assert_cmpint(simt_register(h, f->c, f->ram, MiB), ==, 0);
    g_assert_cmpint(simt_map(h, f->c, 0, f->ram, MiB, RW), ==, 0);
    g_assert_cmpint(simt_create(h, f->c, 12, 1ull << 24, 1, NULL), ==, 0);
    g_assert_cmpint(simt_locked_bytes(f->obj), >, MiB);
    /* the last group leaves: windows, TCEs and registrations all go */
    g_assert_cmpint(h->ops->ioctl(h, f->g, VFIO_GROUP_UNSET_CONTAINER, NULL), ==, 0);
    g_assert_cmpint(simt_locked_bytes(f->obj), ==, 0);
    /* and a new IOMMU starts from scratch */
    g_assert_cmpint(simt_set_container(h, f->g, f->c), ==, 0);
    g_assert_cmpint(simt_set_iommu(h, f->c, VFIO_SPAPR_TCE_v2_IOMMU), ==, 0);
    g_assert_cmpint(simt_map(h, f->c, 0, f->ram, 4096, RW), ==, -EPERM);
    g_assert_cmpint(simt_register(h, f->c, f->ram, MiB), ==, 0);
}

static void test_dma(Fixture *f, gconstpointer data)
{
    VfioHost *h = f->h;
    int d = simt_get_device(h, f->g, "0000:01:00.0");
    int g2, d2;
    uint64_t start;

    simt_enable(h, d);
    g_assert_cmpint(simt_register(h, f->c, f->ram, MiB), ==, 0);
    g_assert_cmpint(simt_remove(h, f->c, 0), ==, 0);
    g_assert_cmpint(simt_create(h, f->c, 12, 1ull << 30, 1, &start), ==, 0);
    g_assert_cmpint(simt_create(h, f->c, 12, 1ull << 40, 3, &start), ==, 0);
    /* through the 64-bit window */
    g_assert_cmpint(simt_map(h, f->c, BYPASS + 0x5000, f->ram + 0x3000, 0x2000, RW), ==, 0);
    for (int i = 0; i < 0x2000; i++) {
        f->ram[0x3000 + i] = i * 7;
    }
    /* a transfer crossing two TCEs, starting inside the first page */
    simt_edu_dma(h, d, BYPASS + 0x5ff0, EDU_BUF, 0x20, 0);
    for (int i = 0; i < 0x20; i += 4) {
        uint32_t want = 0;
        for (int b = 0; b < 4; b++) {
            want |= (uint32_t)(uint8_t)((0xff0 + i + b) * 7) << (8 * b);
        }
        g_assert_cmphex(simt_readl(h, d, EDU_BUF + i), ==, want);
    }
    /* writing memory */
    simt_writel(h, d, EDU_BUF + 0x100, 0xcafef00d);
    simt_edu_dma(h, d, EDU_BUF + 0x100, BYPASS + 0x6000, 4, DMA_TO_RAM);
    g_assert_cmphex(*(uint32_t *)(f->ram + 0x4000), ==, 0xcafef00d);
    g_assert_cmpint(simt_dev_counter(f->obj, "0000:01:00.0", "dma-ok"), ==, 2);

    /* a TCE without write permission: nothing written, a fault counted */
    g_assert_cmpint(simt_map(h, f->c, 0x7000, f->ram + 0x7000, 0x1000, RO), ==, 0);
    f->ram[0x7000] = 0x11;
    simt_edu_dma(h, d, EDU_BUF + 0x100, 0x7000, 4, DMA_TO_RAM);
    g_assert_cmphex(f->ram[0x7000], ==, 0x11);
    g_assert_cmpint(simt_dev_counter(f->obj, "0000:01:00.0", "dma-faults"), ==, 1);
    /* the range runs into an unmapped page: nothing at all is copied */
    simt_writel(h, d, EDU_BUF + 0x200, 0x01020304);
    simt_edu_dma(h, d, BYPASS + 0x6ffc, EDU_BUF + 0x200, 8, 0);
    g_assert_cmphex(simt_readl(h, d, EDU_BUF + 0x200), ==, 0x01020304);
    g_assert_cmpint(simt_dev_counter(f->obj, "0000:01:00.0", "dma-faults"), ==, 2);
    /* unmapped again: faults */
    g_assert_cmpint(simt_unmap(h, f->c, BYPASS + 0x5000, 0x1000), ==, 0);
    simt_edu_dma(h, d, BYPASS + 0x5000, EDU_BUF, 4, 0);
    g_assert_cmpint(simt_dev_counter(f->obj, "0000:01:00.0", "dma-faults"), ==, 3);

    /* a second group in the same v2 container shares the windows */
    g2 = simt_open_group(h, 2);
    g_assert_cmpint(simt_set_container(h, g2, f->c), ==, 0);
    d2 = simt_get_device(h, g2, "0000:02:00.1");
    simt_enable(h, d2);
    simt_edu_dma(h, d2, BYPASS + 0x6000, EDU_BUF, 4, 0);
    g_assert_cmphex(simt_readl(h, d2, EDU_BUF), ==, 0xcafef00d);
    g_assert_cmpint(simt_dev_counter(f->obj, "0000:02:00.1", "dma-ok"), ==, 1);
    g_assert_cmpint(simt_dev_counter(f->obj, "0000:02:00.1", "dma-faults"), ==, 0);
    simt_close(h, d2);
    simt_close(h, g2);
    simt_close(h, d);
}

int main(int argc, char **argv)
{
    simt_init();
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn, props) \
    g_test_add("/vfio-sim/spapr/" path, Fixture, props, setup, fn, teardown)
    ADD("get-info", test_get_info, NULL);
    ADD("get-info/dma32-size", test_get_info_dma32, "dma32-size=1G");
    ADD("register", test_register, NULL);
    ADD("memlock", test_memlock, "memlock-limit=9M");
    ADD("memlock/default-window", test_memlock_default_window, "memlock-limit=4M");
    ADD("default-window", test_default_window, NULL);
    ADD("default-window/cancel", test_default_window_cancel, NULL);
    ADD("create/errors", test_create_errors, NULL);
    ADD("map/errors", test_map_errors, NULL);
    ADD("map/unmap", test_map_unmap, NULL);
    ADD("map/partial-failure", test_map_partial_failure, NULL);
    ADD("map/big-pages", test_big_pages, "page-size=64K");
    ADD("release", test_release, NULL);
    ADD("dma", test_dma, NULL);
    g_test_add_func("/vfio-sim/spapr/v1", test_v1);
    return g_test_run();
}
