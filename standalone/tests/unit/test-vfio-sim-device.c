/*
 * vfio-sim device files (hw/vfio/sim/sim-device.c, sim-irq.c, sim-func.c):
 * device and region info, config space, the edu registers through BAR0,
 * BAR2 read/write and mmap, interrupts through eventfds (INTx level and
 * automask, MSI, MSI-X and the exclusion between them), DMA timing and
 * refusal, reset, a frozen PE.
 */
#include "qemu/osdep.h"
#include <sys/eventfd.h>
#include <sys/mman.h>
#include "test-vfio-sim-util.h"

#define RW (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

typedef struct Fixture {
    Object *obj;
    VfioHost *h;
    int g, c, d;
    const char *name;
} Fixture;

typedef struct Case {
    int group;
    const char *name;
} Case;

static const Case pcie_fn = { 1, "0000:01:00.0" };
static const Case multi_fn = { 2, "0000:02:00.1" };
static const Case conventional = { 3, "0000:03:00.0" };

static void setup(Fixture *f, gconstpointer data)
{
    const Case *tc = data;

    f->obj = simt_new("dev", NULL);
    f->h = simt_host(f->obj);
    f->name = tc->name;
    simt_setup(f->h, tc->group, VFIO_SPAPR_TCE_v2_IOMMU, &f->g, &f->c);
    f->d = simt_get_device(f->h, f->g, tc->name);
    g_assert_cmpint(f->d, >=, 0);
}

static void teardown(Fixture *f, gconstpointer data)
{
    simt_del(f->obj);
}

/* Info ------------------------------------------------------------------------ */

static void test_info(Fixture *f, gconstpointer data)
{
    VfioHost *h = f->h;
    struct vfio_device_info di = { .argsz = sizeof(di) };
    struct vfio_region_info ri = { .argsz = sizeof(ri) };
    bool pcie = data != &conventional;
    static const struct { uint64_t size; uint32_t flags; } want[] = {
        [0] = { 1 << 20, VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE },
        [1] = { 0, 0 },
        [2] = { 4096, VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
                      VFIO_REGION_INFO_FLAG_MMAP },
        [3] = { 0, 0 }, [4] = { 0, 0 }, [5] = { 0, 0 }, [6] = { 0, 0 },
    };

    g_assert_cmpint(h->ops->ioctl(h, f->d, VFIO_DEVICE_GET_INFO, &di), ==, 0);
    g_assert_cmphex(di.flags, ==, VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET);
    g_assert_cmpuint(di.num_regions, ==, VFIO_PCI_NUM_REGIONS);
    g_assert_cmpuint(di.num_irqs, ==, VFIO_PCI_NUM_IRQS);
    di.argsz = 8;
    g_assert_cmpint(h->ops->ioctl(h, f->d, VFIO_DEVICE_GET_INFO, &di), ==, -EINVAL);
    g_assert_cmpint(h->ops->ioctl(h, f->d, VFIO_DEVICE_GET_INFO, NULL), ==, -EFAULT);

    for (unsigned i = 0; i < G_N_ELEMENTS(want); i++) {
        ri.index = i;
        g_assert_cmpint(h->ops->ioctl(h, f->d, VFIO_DEVICE_GET_REGION_INFO, &ri), ==, 0);
        g_assert_cmphex(ri.size, ==, want[i].size);
        g_assert_cmphex(ri.flags, ==, want[i].flags);
    }
    ri.index = VFIO_PCI_CONFIG_REGION_INDEX;
    g_assert_cmpint(h->ops->ioctl(h, f->d, VFIO_DEVICE_GET_REGION_INFO, &ri), ==, 0);
    g_assert_cmphex(ri.size, ==, pcie ? 4096 : 256);
    g_assert_cmphex(ri.flags, ==, VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE);
    /* regions do not overlap in the file */
    g_assert_cmphex(ri.offset, !=, simt_region_offset(h, f->d, 0));
    g_assert_cmphex(simt_region_offset(h, f->d, 2), !=, simt_region_offset(h, f->d, 0));
    ri.index = VFIO_PCI_VGA_REGION_INDEX;
    g_assert_cmpint(h->ops->ioctl(h, f->d, VFIO_DEVICE_GET_REGION_INFO, &ri), ==, -EINVAL);
    ri.index = VFIO_PCI_NUM_REGIONS;
    g_assert_cmpint(h->ops->ioctl(h, f->d, VFIO_DEVICE_GET_REGION_INFO, &ri), ==, -EINVAL);
    ri.index = 0;
    ri.argsz = 24;
    g_assert_cmpint(h->ops->ioctl(h, f->d, VFIO_DEVICE_GET_REGION_INFO, &ri), ==, -EINVAL);
    g_assert_cmpint(h->ops->ioctl(h, f->d, VFIO_DEVICE_GET_REGION_INFO, NULL), ==, -EFAULT);
    /* container and group ioctls are not the device's */
    g_assert_cmpint(h->ops->ioctl(h, f->d, VFIO_GET_API_VERSION, NULL), ==, -ENOTTY);
    g_assert_cmpint(h->ops->ioctl(h, f->d, VFIO_GROUP_GET_STATUS, NULL), ==, -ENOTTY);
    g_assert_cmpint(h->ops->ioctl(h, f->d, VFIO_DEVICE_FEATURE, NULL), ==, -ENOTTY);
}

/* Config space ---------------------------------------------------------------- */

static void test_config(Fixture *f, gconstpointer data)
{
    VfioHost *h = f->h;
    bool pcie = data != &conventional;
    uint64_t cfg = simt_region_offset(h, f->d, VFIO_PCI_CONFIG_REGION_INDEX);
    uint8_t b[8];

    g_assert_cmphex(simt_cfg_read(h, f->d, 0x00, 4), ==, 0x11e81234);
    g_assert_cmphex(simt_cfg_read(h, f->d, 0x08, 4), ==, 0x00ff0010);
    g_assert_cmphex(simt_cfg_read(h, f->d, 0x2c, 4), ==, 0x11001af4);
    g_assert_cmphex(simt_cfg_read(h, f->d, 0x0e, 1), ==, data == &multi_fn ? 0x80 : 0);
    g_assert_cmphex(simt_cfg_read(h, f->d, 0x3d, 1), ==, 1);
    /* as vfio-pci leaves it: memory decoding on, bus mastering off */
    g_assert_cmphex(simt_cfg_read(h, f->d, 0x04, 2), ==, 0x0002);
    g_assert_cmphex(simt_cfg_read(h, f->d, 0x06, 2), ==, 0x0010);

    /* capabilities: MSI (64-bit, 1 vector), then PCIe and MSI-X on PCIe functions */
    g_assert_cmphex(simt_cfg_read(h, f->d, 0x34, 1), ==, 0x40);
    g_assert_cmphex(simt_cfg_read(h, f->d, 0x40, 1), ==, 0x05);
    g_assert_cmphex(simt_cfg_read(h, f->d, 0x41, 1), ==, pcie ? 0x50 : 0);
    g_assert_cmphex(simt_cfg_read(h, f->d, 0x42, 2), ==, 0x0080);
    if (pcie) {
        g_assert_cmphex(simt_cfg_read(h, f->d, 0x50, 1), ==, 0x10);
        g_assert_cmphex(simt_cfg_read(h, f->d, 0x51, 1), ==, 0x90);
        /* MSI-X: 4 vectors, table at BAR0 0x80000, PBA at BAR0 0x81000, read-only */
        g_assert_cmphex(simt_cfg_read(h, f->d, 0x90, 2), ==, 0x0011);
        g_assert_cmphex(simt_cfg_read(h, f->d, 0x92, 2), ==, 0x0003);
        g_assert_cmphex(simt_cfg_read(h, f->d, 0x94, 4), ==, 0x00080000);
        g_assert_cmphex(simt_cfg_read(h, f->d, 0x98, 4), ==, 0x00081000);
        simt_cfg_write(h, f->d, 0x90, 0xffffffff, 4);
        simt_cfg_write(h, f->d, 0x94, 0xffffffff, 4);
        g_assert_cmphex(simt_cfg_read(h, f->d, 0x90, 4), ==, 0x00030011);
        g_assert_cmphex(simt_cfg_read(h, f->d, 0x94, 4), ==, 0x00080000);
        g_assert_cmphex(simt_cfg_read(h, f->d, 0x52, 2), ==, 0x0002);
        g_assert_cmphex(simt_cfg_read(h, f->d, 0x54, 4) & 0x10000000, ==, 0x10000000);
        g_assert_cmphex(simt_cfg_read(h, f->d, 0xffc, 4), ==, 0);
        g_assert_cmphex(simt_cfg_read(h, f->d, 0x100, 4), ==, 0);
    }
    /* past the end: EFAULT, even if only the tail is */
    g_assert_cmpint(h->ops->pread(h, f->d, b, 4, cfg + (pcie ? 4096 : 256)), ==, -EFAULT);
    g_assert_cmpint(h->ops->pread(h, f->d, b, 8, cfg + (pcie ? 4092 : 252)), ==, -EFAULT);
    g_assert_cmpint(h->ops->pwrite(h, f->d, b, 4, cfg + (pcie ? 4096 : 256)), ==, -EFAULT);
    /* an unaligned, odd-sized access is split and works */
    g_assert_cmpint(h->ops->pread(h, f->d, b, 7, cfg + 1), ==, 7);
    g_assert_cmphex(b[0], ==, 0x12);
    g_assert_cmphex(b[1], ==, 0xe8);
    g_assert_cmphex(b[2], ==, 0x11);
    g_assert_cmphex(b[6], ==, 0x00);

    /* BAR sizing, read-only fields, MSI address/data stored */
    simt_cfg_write(h, f->d, 0x10, 0xffffffff, 4);
    g_assert_cmphex(simt_cfg_read(h, f->d, 0x10, 4), ==, 0xfff00000);
    simt_cfg_write(h, f->d, 0x14, 0xffffffff, 4);
    g_assert_cmphex(simt_cfg_read(h, f->d, 0x14, 4), ==, 0);
    simt_cfg_write(h, f->d, 0x18, 0xffffffff, 4);
    g_assert_cmphex(simt_cfg_read(h, f->d, 0x18, 4), ==, 0xfffff000);
    simt_cfg_write(h, f->d, 0x00, 0xffffffff, 4);
    g_assert_cmphex(simt_cfg_read(h, f->d, 0x00, 4), ==, 0x11e81234);
    simt_cfg_write(h, f->d, 0x44, 0xfee01003, 4);
    g_assert_cmphex(simt_cfg_read(h, f->d, 0x44, 4), ==, 0xfee01000);
    simt_cfg_write(h, f->d, 0x4c, 0x12345, 4);
    g_assert_cmphex(simt_cfg_read(h, f->d, 0x4c, 2), ==, 0x2345);
    simt_cfg_write(h, f->d, 0x3c, 0x0000ffff, 4);
    g_assert_cmphex(simt_cfg_read(h, f->d, 0x3c, 2), ==, 0x01ff);
    simt_cfg_write(h, f->d, 0x04, 0xffff, 2);
    g_assert_cmphex(simt_cfg_read(h, f->d, 0x04, 2), ==, 0x0546);
}

/* BAR0: the edu -------------------------------------------------------------------- */

static void test_bar0(Fixture *f, gconstpointer data)
{
    VfioHost *h = f->h;
    uint64_t bar = simt_region_offset(h, f->d, 0);
    uint8_t b[16];

    g_assert_cmphex(simt_readl(h, f->d, R_ID), ==, 0x010000ed);
    simt_writel(h, f->d, R_LIVENESS, 0x0f0f0f0f);
    g_assert_cmphex(simt_readl(h, f->d, R_LIVENESS), ==, 0xf0f0f0f0);
    simt_writel(h, f->d, R_FACT, 10);
    g_assert_cmpuint(simt_readl(h, f->d, R_FACT), ==, 3628800);
    g_assert_cmphex(simt_readl(h, f->d, R_STATUS), ==, 0);
    simt_writeq(h, f->d, R_DMA_SRC, 0x1122334455667788ull);
    g_assert_cmphex(simt_readq(h, f->d, R_DMA_SRC), ==, 0x1122334455667788ull);
    /* registers below 0x80 take 4 bytes only: a 2-byte read is all ones */
    g_assert_cmpint(h->ops->pread(h, f->d, b, 2, bar + R_ID), ==, 2);
    g_assert_cmphex(b[0] | b[1] << 8, ==, 0xffff);
    /* a 16-byte read is two 8-byte accesses; the DMA buffer takes any size */
    g_assert_cmpint(h->ops->pread(h, f->d, b, 16, bar + R_DMA_SRC), ==, 16);
    g_assert_cmphex(b[0], ==, 0x88);
    g_assert_cmphex(b[7], ==, 0x11);
    g_assert_cmpint(h->ops->pwrite(h, f->d, "hello", 5, bar + EDU_BUF + 3), ==, 5);
    g_assert_cmpint(h->ops->pread(h, f->d, b, 5, bar + EDU_BUF + 3), ==, 5);
    g_assert_cmpmem(b, 5, "hello", 5);

    /* the end of the BAR cuts an access; beyond it, EINVAL */
    g_assert_cmpint(h->ops->pread(h, f->d, b, 8, bar + (1 << 20) - 4), ==, 4);
    g_assert_cmpint(h->ops->pread(h, f->d, b, 4, bar + (1 << 20)), ==, -EINVAL);
    /* empty BARs, the ROM, VGA, unknown regions */
    for (unsigned i = 1; i < 10; i++) {
        if (i == 2 || i == VFIO_PCI_CONFIG_REGION_INDEX) {
            continue;
        }
        g_assert_cmpint(h->ops->pread(h, f->d, b, 4, (uint64_t)i << 40), ==, -EINVAL);
    }
    /* with memory decoding off the BARs answer EIO */
    simt_cfg_write(h, f->d, 0x04, 0, 2);
    g_assert_cmpint(h->ops->pread(h, f->d, b, 4, bar), ==, -EIO);
    g_assert_cmpint(h->ops->pwrite(h, f->d, b, 4, simt_region_offset(h, f->d, 2)), ==, -EIO);
    simt_cfg_write(h, f->d, 0x04, 2, 2);
    g_assert_cmphex(simt_readl(h, f->d, R_ID), ==, 0x010000ed);
}

/* BAR2: RAM, mmap ------------------------------------------------------------------- */

static void test_bar2(Fixture *f, gconstpointer data)
{
    VfioHost *h = f->h;
    uint64_t off = simt_region_offset(h, f->d, 2);
    size_t ps = sysconf(_SC_PAGESIZE);
    uint8_t b[8];
    uint8_t *p;
    int err = 0;

    g_assert_cmpint(h->ops->pwrite(h, f->d, "abcdefgh", 8, off + 100), ==, 8);
    p = h->ops->mmap(h, f->d, 4096, PROT_READ | PROT_WRITE, off, &err);
    g_assert_nonnull(p);
    /* one memory: what pwrite wrote, the mapping shows, and back */
    g_assert_cmpmem(p + 100, 8, "abcdefgh", 8);
    memcpy(p + 4000, "mapped!", 7);
    g_assert_cmpint(h->ops->pread(h, f->d, b, 7, off + 4000), ==, 7);
    g_assert_cmpmem(b, 7, "mapped!", 7);
    g_assert_cmpint(h->ops->pread(h, f->d, b, 8, off + 4092), ==, 4);
    g_assert_cmpint(h->ops->pread(h, f->d, b, 1, off + 4096), ==, -EINVAL);
    h->ops->munmap(h, p, 4096);

    /* no mmap of BAR0 (registers), the config space, beyond BAR2, odd offsets */
    g_assert_null(h->ops->mmap(h, f->d, 4096, PROT_READ, simt_region_offset(h, f->d, 0), &err));
    g_assert_cmpint(err, ==, EINVAL);
    g_assert_null(h->ops->mmap(h, f->d, 4096, PROT_READ,
                               simt_region_offset(h, f->d, VFIO_PCI_CONFIG_REGION_INDEX), &err));
    g_assert_cmpint(err, ==, EINVAL);
    err = 0;
    g_assert_null(h->ops->mmap(h, f->d, ps + 4096, PROT_READ, off, &err));
    g_assert_cmpint(err, ==, EINVAL);
    err = 0;
    g_assert_null(h->ops->mmap(h, f->d, 4096, PROT_READ, off + 16, &err));
    g_assert_cmpint(err, ==, EINVAL);
    err = 0;
    g_assert_null(h->ops->mmap(h, f->d, 0, PROT_READ, off, &err));
    g_assert_cmpint(err, ==, EINVAL);
}

/* Interrupts --------------------------------------------------------------------------- */

static void test_irq_info(Fixture *f, gconstpointer data)
{
    VfioHost *h = f->h;
    bool pcie = data != &conventional;
    struct vfio_irq_info ii = { .argsz = sizeof(ii) };
    static const struct { uint32_t flags; uint32_t count; } want[] = {
        { VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED, 1 },
        { VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE, 1 },
        { VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE, 4 },     /* MSI-X: PCIe only */
        { VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE, 1 },
        { VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE, 1 },
    };

    for (unsigned i = 0; i < VFIO_PCI_NUM_IRQS; i++) {
        ii.index = i;
        if (i == VFIO_PCI_ERR_IRQ_INDEX && !pcie) {
            /* AER needs PCIe */
            g_assert_cmpint(h->ops->ioctl(h, f->d, VFIO_DEVICE_GET_IRQ_INFO, &ii), ==, -EINVAL);
            continue;
        }
        g_assert_cmpint(h->ops->ioctl(h, f->d, VFIO_DEVICE_GET_IRQ_INFO, &ii), ==, 0);
        g_assert_cmphex(ii.flags, ==, want[i].flags);
        g_assert_cmpuint(ii.count, ==,
                         i == VFIO_PCI_MSIX_IRQ_INDEX && !pcie ? 0 : want[i].count);
    }
    ii.index = VFIO_PCI_NUM_IRQS;
    g_assert_cmpint(h->ops->ioctl(h, f->d, VFIO_DEVICE_GET_IRQ_INFO, &ii), ==, -EINVAL);
    ii.index = 0;
    ii.argsz = 12;
    g_assert_cmpint(h->ops->ioctl(h, f->d, VFIO_DEVICE_GET_IRQ_INFO, &ii), ==, -EINVAL);
    g_assert_cmpint(h->ops->ioctl(h, f->d, VFIO_DEVICE_GET_IRQ_INFO, NULL), ==, -EFAULT);
}

static int set_irqs(Fixture *f, uint32_t argsz, uint32_t flags, uint32_t index, uint32_t start,
                    uint32_t count, int32_t data)
{
    uint8_t buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
    struct vfio_irq_set *s = (void *)buf;

    s->argsz = argsz;
    s->flags = flags;
    s->index = index;
    s->start = start;
    s->count = count;
    memcpy(s->data, &data, sizeof(data));
    return f->h->ops->ioctl(f->h, f->d, VFIO_DEVICE_SET_IRQS, s);
}

#define EVT_TRIGGER (VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER)
#define NONE_TRIGGER (VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER)
#define FULL (uint32_t)(sizeof(struct vfio_irq_set) + 4)

static void test_set_irqs_errors(Fixture *f, gconstpointer data)
{
    int efd = eventfd(0, EFD_CLOEXEC);
    int closed = 100000;        /* far above anything open */
    int pipefd[2];

    g_assert_cmpint(pipe(pipefd), ==, 0);
    g_assert_cmpint(f->h->ops->ioctl(f->h, f->d, VFIO_DEVICE_SET_IRQS, NULL), ==, -EFAULT);
    g_assert_cmpint(set_irqs(f, 16, EVT_TRIGGER, 0, 0, 1, efd), ==, -EINVAL);
    g_assert_cmpint(set_irqs(f, FULL, EVT_TRIGGER, 5, 0, 1, efd), ==, -EINVAL);
    g_assert_cmpint(set_irqs(f, FULL, EVT_TRIGGER | 0x100, 0, 0, 1, efd), ==, -EINVAL);
    g_assert_cmpint(set_irqs(f, FULL, EVT_TRIGGER | VFIO_IRQ_SET_DATA_BOOL, 0, 0, 1, efd), ==,
                    -EINVAL);
    g_assert_cmpint(set_irqs(f, FULL, EVT_TRIGGER, 0, 1, 1, efd), ==, -EINVAL);
    g_assert_cmpint(set_irqs(f, FULL, EVT_TRIGGER, 0, 0, 2, efd), ==, -EINVAL);
    g_assert_cmpint(set_irqs(f, FULL - 4, EVT_TRIGGER, 0, 0, 1, efd), ==, -EINVAL);
    /* conventional: no MSI-X vectors at all; PCIe: 4 */
    g_assert_cmpint(set_irqs(f, FULL, EVT_TRIGGER, VFIO_PCI_MSIX_IRQ_INDEX,
                             data == &conventional ? 0 : 4, 1, efd), ==, -EINVAL);
    /* two actions at once, and actions the index does not have */
    g_assert_cmpint(set_irqs(f, FULL, EVT_TRIGGER | VFIO_IRQ_SET_ACTION_MASK, 0, 0, 1, efd),
                    ==, -ENOTTY);
    g_assert_cmpint(set_irqs(f, FULL, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK,
                             VFIO_PCI_MSI_IRQ_INDEX, 0, 1, 0), ==, -ENOTTY);
    /* eventfds only: a closed descriptor, a pipe, a vfio-sim handle */
    g_assert_cmpint(set_irqs(f, FULL, EVT_TRIGGER, 0, 0, 1, closed), ==, -EBADF);
    g_assert_cmpint(set_irqs(f, FULL, EVT_TRIGGER, 0, 0, 1, pipefd[0]), ==, -EINVAL);
    g_assert_cmpint(set_irqs(f, FULL, EVT_TRIGGER, 0, 0, 1, f->c), ==, -EINVAL);
    /* INTx must be on to mask, unmask, loop back or turn off */
    g_assert_cmpint(simt_irq_action(f->h, f->d, 0, VFIO_IRQ_SET_ACTION_MASK), ==, -EINVAL);
    g_assert_cmpint(simt_irq_action(f->h, f->d, 0, VFIO_IRQ_SET_ACTION_UNMASK), ==, -EINVAL);
    g_assert_cmpint(set_irqs(f, FULL, NONE_TRIGGER, 0, 0, 1, 0), ==, -EINVAL);
    g_assert_cmpint(simt_irq_action(f->h, f->d, 0, VFIO_IRQ_SET_ACTION_TRIGGER), ==, -EINVAL);
    g_assert_cmpint(simt_irq_action(f->h, f->d, 1, VFIO_IRQ_SET_ACTION_TRIGGER), ==, -EINVAL);
    /* INTx and MSI exclude each other */
    g_assert_cmpint(simt_set_irq_eventfd(f->h, f->d, 0, efd), ==, 0);
    g_assert_cmpint(simt_set_irq_eventfd(f->h, f->d, 1, efd), ==, -EINVAL);
    g_assert_cmpint(set_irqs(f, FULL, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_MASK, 0,
                             0, 1, efd), ==, -ETIMEDOUT);
    g_assert_cmpint(simt_irq_action(f->h, f->d, 0, VFIO_IRQ_SET_ACTION_TRIGGER), ==, 0);
    g_assert_cmpint(simt_set_irq_eventfd(f->h, f->d, 1, efd), ==, 0);
    g_assert_cmpint(simt_set_irq_eventfd(f->h, f->d, 0, efd), ==, -EINVAL);
    g_assert_cmpint(simt_irq_action(f->h, f->d, 1, VFIO_IRQ_SET_ACTION_TRIGGER), ==, 0);
    /* ERR and REQ */
    if (data != &conventional) {
        g_assert_cmpint(set_irqs(f, FULL, NONE_TRIGGER, VFIO_PCI_ERR_IRQ_INDEX, 0, 1, 0), ==,
                        -EINVAL);
        g_assert_cmpint(simt_set_irq_eventfd(f->h, f->d, VFIO_PCI_ERR_IRQ_INDEX, efd), ==, 0);
        g_assert_cmpint(set_irqs(f, FULL, NONE_TRIGGER, VFIO_PCI_ERR_IRQ_INDEX, 0, 1, 0), ==,
                        0);
        g_assert_cmpuint(simt_eventfd_take(efd), ==, 1);
        g_assert_cmpint(set_irqs(f, FULL, NONE_TRIGGER, VFIO_PCI_ERR_IRQ_INDEX, 0, 0, 0), ==,
                        0);
    } else {
        g_assert_cmpint(simt_set_irq_eventfd(f->h, f->d, VFIO_PCI_ERR_IRQ_INDEX, efd), ==,
                        -EINVAL);
    }
    g_assert_cmpint(simt_set_irq_eventfd(f->h, f->d, VFIO_PCI_REQ_IRQ_INDEX, efd), ==, 0);
    g_assert_cmpint(set_irqs(f, FULL, VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER,
                             VFIO_PCI_REQ_IRQ_INDEX, 0, 1, 1), ==, 0);
    g_assert_cmpuint(simt_eventfd_take(efd), ==, 1);
    g_assert_cmpint(simt_set_irq_eventfd(f->h, f->d, VFIO_PCI_REQ_IRQ_INDEX, -1), ==, 0);
    g_assert_cmpuint(vfio_sim_open_fds(VFIO_SIM(f->obj)), ==, 3);
    close(efd);
    close(pipefd[0]);
    close(pipefd[1]);
}

static void test_intx(Fixture *f, gconstpointer data)
{
    VfioHost *h = f->h;
    int efd = eventfd(0, EFD_CLOEXEC);

    simt_enable(h, f->d);
    g_assert_cmpint(simt_set_irq_eventfd(h, f->d, VFIO_PCI_INTX_IRQ_INDEX, efd), ==, 0);
    g_assert_cmpuint(simt_eventfd_take(efd), ==, 0);

    /* the line rises: one signal, then INTx is masked */
    simt_writel(h, f->d, R_IRQ_RAISE, 0x1000);
    g_assert_cmpuint(simt_eventfd_take(efd), ==, 1);
    g_assert_cmphex(simt_readl(h, f->d, R_IRQ_STATUS), ==, 0x1000);
    g_assert_cmphex(simt_cfg_read(h, f->d, 0x06, 2) & 0x08, ==, 0x08);
    simt_writel(h, f->d, R_IRQ_RAISE, 0x2000);
    g_assert_cmpuint(simt_eventfd_take(efd), ==, 0);
    /* unmasked while still high: signalled again at once */
    g_assert_cmpint(simt_irq_action(h, f->d, 0, VFIO_IRQ_SET_ACTION_UNMASK), ==, 0);
    g_assert_cmpuint(simt_eventfd_take(efd), ==, 1);
    /* acked, then unmasked: quiet */
    simt_writel(h, f->d, R_IRQ_ACK, 0x3000);
    g_assert_cmphex(simt_cfg_read(h, f->d, 0x06, 2) & 0x08, ==, 0);
    g_assert_cmpint(simt_irq_action(h, f->d, 0, VFIO_IRQ_SET_ACTION_UNMASK), ==, 0);
    g_assert_cmpuint(simt_eventfd_take(efd), ==, 0);
    /* the factorial interrupt, then one masked by the user */
    simt_writel(h, f->d, R_STATUS, 0x80);
    simt_writel(h, f->d, R_FACT, 5);
    g_assert_cmpuint(simt_eventfd_take(efd), ==, 1);
    simt_writel(h, f->d, R_IRQ_ACK, 1);
    g_assert_cmpint(simt_irq_action(h, f->d, 0, VFIO_IRQ_SET_ACTION_UNMASK), ==, 0);
    g_assert_cmpint(simt_irq_action(h, f->d, 0, VFIO_IRQ_SET_ACTION_MASK), ==, 0);
    simt_writel(h, f->d, R_IRQ_RAISE, 1);
    g_assert_cmpuint(simt_eventfd_take(efd), ==, 0);
    g_assert_cmpint(simt_irq_action(h, f->d, 0, VFIO_IRQ_SET_ACTION_UNMASK), ==, 0);
    g_assert_cmpuint(simt_eventfd_take(efd), ==, 1);
    /* loopback */
    g_assert_cmpint(set_irqs(f, FULL, NONE_TRIGGER, 0, 0, 1, 0), ==, 0);
    g_assert_cmpuint(simt_eventfd_take(efd), ==, 1);
    {
        g_autoptr(JsonNode) q = simt_query(f->obj);
        JsonObject *d = simt_device_q(q, f->name);
        g_assert_cmpstr(json_object_get_string_member(d, "irq-type"), ==, "intx");
        g_assert_cmpint(json_object_get_int_member(d, "irqs-signalled"), ==, 5);
    }
    /* off: the line stays high, nobody is told; on again: told at once */
    g_assert_cmpint(simt_irq_action(h, f->d, 0, VFIO_IRQ_SET_ACTION_TRIGGER), ==, 0);
    g_assert_cmpuint(vfio_sim_open_fds(VFIO_SIM(f->obj)), ==, 3);
    simt_writel(h, f->d, R_IRQ_RAISE, 2);
    g_assert_cmpint(simt_set_irq_eventfd(h, f->d, VFIO_PCI_INTX_IRQ_INDEX, efd), ==, 0);
    g_assert_cmpuint(simt_eventfd_take(efd), ==, 1);
    /* a trigger of -1 keeps INTx on without an eventfd */
    g_assert_cmpint(simt_set_irq_eventfd(h, f->d, VFIO_PCI_INTX_IRQ_INDEX, -1), ==, 0);
    g_assert_cmpint(simt_irq_action(h, f->d, 0, VFIO_IRQ_SET_ACTION_UNMASK), ==, 0);
    g_assert_cmpuint(simt_eventfd_take(efd), ==, 0);
    close(efd);
}

static void test_intx_unmask_eventfd(Fixture *f, gconstpointer data)
{
    VfioHost *h = f->h;
    int efd = eventfd(0, EFD_CLOEXEC), unmask = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    uint64_t one = 1;

    g_assert_cmpint(simt_set_irq_eventfd(h, f->d, VFIO_PCI_INTX_IRQ_INDEX, efd), ==, 0);
    g_assert_cmpint(set_irqs(f, FULL, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK, 0,
                             0, 1, unmask), ==, 0);
    simt_writel(h, f->d, R_IRQ_RAISE, 1);
    g_assert_cmpuint(simt_eventfd_take(efd), ==, 1);
    /* KVM's resampler writes the unmask eventfd; the main loop does the unmask */
    g_assert_cmpint(write(unmask, &one, sizeof(one)), ==, sizeof(one));
    while (g_main_context_iteration(NULL, FALSE)) {
    }
    g_assert_cmpuint(simt_eventfd_take(efd), ==, 1);
    g_assert_cmpint(set_irqs(f, FULL, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK, 0,
                             0, 1, -1), ==, 0);
    g_assert_cmpuint(vfio_sim_open_fds(VFIO_SIM(f->obj)), ==, 4);
    close(efd);
    close(unmask);
}

static void test_msi(Fixture *f, gconstpointer data)
{
    VfioHost *h = f->h;
    int efd = eventfd(0, EFD_CLOEXEC);
    int map_efd = eventfd(0, EFD_CLOEXEC);
    uint8_t *ram = simt_ram(65536, 65536);

    simt_enable(h, f->d);
    g_assert_cmpint(simt_set_irq_eventfd(h, f->d, VFIO_PCI_MSI_IRQ_INDEX, efd), ==, 0);
    /* an edge each time, and never the INTx line */
    simt_writel(h, f->d, R_IRQ_RAISE, 1);
    simt_writel(h, f->d, R_IRQ_RAISE, 2);
    g_assert_cmpuint(simt_eventfd_take(efd), ==, 2);
    g_assert_cmphex(simt_cfg_read(h, f->d, 0x06, 2) & 0x08, ==, 0);
    simt_writel(h, f->d, R_IRQ_ACK, 3);
    /* the DMA completion interrupt */
    g_assert_cmpint(simt_register(h, f->c, ram, 65536), ==, 0);
    g_assert_cmpint(simt_map(h, f->c, 0x10000, ram, 65536, RW), ==, 0);
    simt_edu_dma(h, f->d, 0x10000, EDU_BUF, 64, DMA_IRQ);
    g_assert_cmpuint(simt_eventfd_take(efd), ==, 1);
    g_assert_cmphex(simt_readl(h, f->d, R_IRQ_STATUS), ==, 0x100);
    /* a new eventfd for the vector replaces the old one; -1 silences it */
    g_assert_cmpint(simt_set_irq_eventfd(h, f->d, VFIO_PCI_MSI_IRQ_INDEX, map_efd), ==, 0);
    simt_writel(h, f->d, R_IRQ_RAISE, 1);
    g_assert_cmpuint(simt_eventfd_take(map_efd), ==, 1);
    g_assert_cmpuint(simt_eventfd_take(efd), ==, 0);
    g_assert_cmpint(simt_set_irq_eventfd(h, f->d, VFIO_PCI_MSI_IRQ_INDEX, -1), ==, 0);
    simt_writel(h, f->d, R_IRQ_RAISE, 1);
    g_assert_cmpuint(simt_eventfd_take(map_efd), ==, 0);
    {
        g_autoptr(JsonNode) q = simt_query(f->obj);
        g_assert_cmpstr(json_object_get_string_member(simt_device_q(q, f->name), "irq-type"),
                        ==, "msi");
    }
    /* off: back to the pin, whose line is high */
    g_assert_cmpint(simt_irq_action(h, f->d, 1, VFIO_IRQ_SET_ACTION_TRIGGER), ==, 0);
    g_assert_cmphex(simt_cfg_read(h, f->d, 0x06, 2) & 0x08, ==, 0x08);
    close(efd);
    close(map_efd);
    simt_close(h, f->d);
    g_assert_cmpint(simt_unmap(h, f->c, 0x10000, 65536), ==, 0);
    simt_ram_free(ram, 65536);
}

/* SET_IRQS on the MSI-X index with a block of @count eventfds (or bools) */
static int set_msix(Fixture *f, uint32_t flags, uint32_t start, uint32_t count,
                    const void *data, size_t size)
{
    g_autofree struct vfio_irq_set *s = g_malloc0(sizeof(*s) + size + 4);

    s->argsz = sizeof(*s) + size;
    s->flags = flags;
    s->index = VFIO_PCI_MSIX_IRQ_INDEX;
    s->start = start;
    s->count = count;
    if (size) {
        memcpy(s->data, data, size);
    }
    return f->h->ops->ioctl(f->h, f->d, VFIO_DEVICE_SET_IRQS, s);
}

static void assert_irq_type(Fixture *f, const char *type)
{
    g_autoptr(JsonNode) q = simt_query(f->obj);

    g_assert_cmpstr(json_object_get_string_member(simt_device_q(q, f->name), "irq-type"), ==,
                    type);
}

static void test_msix(Fixture *f, gconstpointer data)
{
    VfioHost *h = f->h;
    uint64_t bar = simt_region_offset(h, f->d, 0);
    int e0 = eventfd(0, EFD_CLOEXEC), e1 = eventfd(0, EFD_CLOEXEC), e2 = eventfd(0, EFD_CLOEXEC);
    int32_t fds[4] = { e0, -1, e1, -1 }, one, bad[2];
    uint8_t bools[4] = { 0, 0, 1, 0 };
    uint8_t b[16];

    simt_enable(h, f->d);
    /* the table is the kernel's: it reads all ones and takes no write; the PBA is the device's */
    g_assert_cmpint(h->ops->pwrite(h, f->d, "\0\0\0\0", 4, bar + 0x80000 + 12), ==, 4);
    g_assert_cmpint(h->ops->pread(h, f->d, b, 16, bar + 0x80000), ==, 16);
    for (unsigned i = 0; i < 16; i++) {
        g_assert_cmphex(b[i], ==, 0xff);
    }
    g_assert_cmphex(simt_readl(h, f->d, 0x80000 + 3 * 16 + 12), ==, 0xffffffff);
    g_assert_cmphex(simt_readq(h, f->d, 0x81000), ==, 0);
    simt_writeq(h, f->d, 0x81000, ~0ull);
    g_assert_cmphex(simt_readq(h, f->d, 0x81000), ==, 0);
    /* right after the table: the edu's (nothing there) */
    g_assert_cmphex(simt_readl(h, f->d, 0x80000 + 4 * 16), ==, 0xffffffff);
    g_assert_cmphex(simt_readl(h, f->d, R_ID), ==, 0x010000ed);

    /* one type at a time: not while INTx is on */
    g_assert_cmpint(simt_set_irq_eventfd(h, f->d, VFIO_PCI_INTX_IRQ_INDEX, e2), ==, 0);
    g_assert_cmpint(set_msix(f, EVT_TRIGGER, 0, 4, fds, sizeof(fds)), ==, -EINVAL);
    assert_irq_type(f, "intx");
    g_assert_cmpint(simt_irq_action(h, f->d, 0, VFIO_IRQ_SET_ACTION_TRIGGER), ==, 0);
    /* enabling no vector, or disabling what is off, is refused */
    g_assert_cmpint(set_msix(f, EVT_TRIGGER, 0, 0, NULL, 0), ==, -EINVAL);
    g_assert_cmpint(set_msix(f, NONE_TRIGGER, 0, 0, NULL, 0), ==, -EINVAL);
    g_assert_cmpint(set_msix(f, NONE_TRIGGER, 0, 1, NULL, 0), ==, -EINVAL);
    g_assert_cmphex(simt_cfg_read(h, f->d, 0x92, 2), ==, 0x0003);

    /* on, with eventfds for vectors 0 and 2: the hardware's enable bit follows */
    g_assert_cmpint(set_msix(f, EVT_TRIGGER, 0, 4, fds, sizeof(fds)), ==, 0);
    assert_irq_type(f, "msix");
    g_assert_cmphex(simt_cfg_read(h, f->d, 0x92, 2), ==, 0x8003);
    g_assert_cmpint(simt_set_irq_eventfd(h, f->d, VFIO_PCI_INTX_IRQ_INDEX, e2), ==, -EINVAL);
    g_assert_cmpint(simt_set_irq_eventfd(h, f->d, VFIO_PCI_MSI_IRQ_INDEX, e2), ==, -EINVAL);
    g_assert_cmpint(simt_irq_action(h, f->d, VFIO_PCI_MSI_IRQ_INDEX,
                                    VFIO_IRQ_SET_ACTION_TRIGGER), ==, -EINVAL);
    /* the edu interrupt is vector 0: an edge per event, never the pin */
    simt_writel(h, f->d, R_IRQ_RAISE, 1);
    simt_writel(h, f->d, R_IRQ_RAISE, 2);
    g_assert_cmpuint(simt_eventfd_take(e0), ==, 2);
    g_assert_cmpuint(simt_eventfd_take(e1), ==, 0);
    g_assert_cmphex(simt_cfg_read(h, f->d, 0x06, 2) & 0x08, ==, 0);
    simt_writel(h, f->d, R_IRQ_ACK, 3);
    /* loopback: DATA_NONE signals every vector of the block, DATA_BOOL those set */
    g_assert_cmpint(set_msix(f, NONE_TRIGGER, 0, 4, NULL, 0), ==, 0);
    g_assert_cmpuint(simt_eventfd_take(e0), ==, 1);
    g_assert_cmpuint(simt_eventfd_take(e1), ==, 1);
    g_assert_cmpint(set_msix(f, VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 4,
                             bools, sizeof(bools)), ==, 0);
    g_assert_cmpuint(simt_eventfd_take(e0), ==, 0);
    g_assert_cmpuint(simt_eventfd_take(e1), ==, 1);

    /* one vector at a time, within the table */
    one = e2;
    g_assert_cmpint(set_msix(f, EVT_TRIGGER, 1, 1, &one, 4), ==, 0);
    g_assert_cmpint(set_msix(f, NONE_TRIGGER, 1, 1, NULL, 0), ==, 0);
    g_assert_cmpuint(simt_eventfd_take(e2), ==, 1);
    g_assert_cmpint(set_msix(f, EVT_TRIGGER, 4, 1, &one, 4), ==, -EINVAL);
    g_assert_cmpint(set_msix(f, EVT_TRIGGER, 3, 2, fds, 8), ==, -EINVAL);
    /* vector 0 without an eventfd: the edu's interrupt reaches nobody */
    one = -1;
    g_assert_cmpint(set_msix(f, EVT_TRIGGER, 0, 1, &one, 4), ==, 0);
    simt_writel(h, f->d, R_IRQ_RAISE, 1);
    g_assert_cmpuint(simt_eventfd_take(e0), ==, 0);
    simt_writel(h, f->d, R_IRQ_ACK, 1);
    /* a block failing half way: the vectors before the bad one lose their eventfd too */
    bad[0] = e0;
    bad[1] = 100000;
    g_assert_cmpint(set_msix(f, EVT_TRIGGER, 0, 2, bad, sizeof(bad)), ==, -EBADF);
    simt_writel(h, f->d, R_IRQ_RAISE, 1);
    g_assert_cmpuint(simt_eventfd_take(e0), ==, 0);
    simt_writel(h, f->d, R_IRQ_ACK, 1);
    assert_irq_type(f, "msix");
    /* container, group, device and vector 2's reference (vector 1's went with the block) */
    g_assert_cmpuint(vfio_sim_open_fds(VFIO_SIM(f->obj)), ==, 4);

    /* off: no type, the references go, the enable bit clears */
    g_assert_cmpint(set_msix(f, NONE_TRIGGER, 0, 0, NULL, 0), ==, 0);
    assert_irq_type(f, "none");
    g_assert_cmphex(simt_cfg_read(h, f->d, 0x92, 2), ==, 0x0003);
    g_assert_cmpuint(vfio_sim_open_fds(VFIO_SIM(f->obj)), ==, 3);
    /* enabling 1 vector allocates 1: no growing afterwards (NORESIZE) */
    one = e0;
    g_assert_cmpint(set_msix(f, EVT_TRIGGER, 0, 1, &one, 4), ==, 0);
    one = e1;
    g_assert_cmpint(set_msix(f, EVT_TRIGGER, 1, 1, &one, 4), ==, -EINVAL);
    simt_writel(h, f->d, R_IRQ_RAISE, 1);
    g_assert_cmpuint(simt_eventfd_take(e0), ==, 1);
    /* not acknowledged, but with MSI-X on the pin stays quiet */
    g_assert_cmphex(simt_cfg_read(h, f->d, 0x06, 2) & 0x08, ==, 0);
    /* the last close releases MSI-X */
    simt_close(h, f->d);
    assert_irq_type(f, "none");
    g_assert_cmpuint(vfio_sim_open_fds(VFIO_SIM(f->obj)), ==, 2);
    close(e0);
    close(e1);
    close(e2);
}

/* DMA, reset, freeze ------------------------------------------------------------------ */

static void test_dma_timing(Fixture *f, gconstpointer data)
{
    VfioHost *h = f->h;
    uint8_t *ram = simt_ram(65536, 65536);

    g_assert_cmpint(simt_register(h, f->c, ram, 65536), ==, 0);
    g_assert_cmpint(simt_map(h, f->c, 0x20000, ram, 65536, RW), ==, 0);
    memset(ram, 0x77, 64);
    simt_enable(h, f->d);
    simt_writeq(h, f->d, R_DMA_SRC, 0x20000);
    simt_writeq(h, f->d, R_DMA_DST, EDU_BUF);
    simt_writeq(h, f->d, R_DMA_CNT, 64);
    simt_writel(h, f->d, R_DMA_CMD, DMA_START);
    /* busy for 100 ms of virtual time; its parameters are frozen meanwhile */
    simt_step_ms(99);
    g_assert_cmphex(simt_readl(h, f->d, R_DMA_CMD) & DMA_START, ==, 1);
    simt_writeq(h, f->d, R_DMA_SRC, 0x30000);
    g_assert_cmphex(simt_readl(h, f->d, EDU_BUF), ==, 0);
    simt_step_ms(1);
    g_assert_cmphex(simt_readl(h, f->d, R_DMA_CMD) & DMA_START, ==, 0);
    g_assert_cmphex(simt_readl(h, f->d, EDU_BUF + 60), ==, 0x77777777);

    /* no bus mastering: no transaction at all, which is no IOMMU fault */
    simt_cfg_write(h, f->d, 0x04, 0x0002, 2);
    simt_edu_dma(h, f->d, EDU_BUF, 0x20000, 4, DMA_TO_RAM);
    /* outside the edu buffer: refused too */
    simt_cfg_write(h, f->d, 0x04, 0x0006, 2);
    simt_edu_dma(h, f->d, EDU_BUF + 0xffc, 0x20000, 8, DMA_TO_RAM);
    g_assert_cmphex(ram[0], ==, 0x77);
    {
        g_autoptr(JsonNode) q = simt_query(f->obj);
        JsonObject *d = simt_device_q(q, f->name);
        g_assert_cmpint(json_object_get_int_member(d, "dma-ok"), ==, 1);
        g_assert_cmpint(json_object_get_int_member(d, "dma-refused"), ==, 2);
        g_assert_cmpint(json_object_get_int_member(d, "dma-faults"), ==, 0);
    }
    simt_close(h, f->d);
    simt_close(h, f->g);
    simt_ram_free(ram, 65536);
}

static void test_reset(Fixture *f, gconstpointer data)
{
    VfioHost *h = f->h;
    int efd = eventfd(0, EFD_CLOEXEC);

    simt_enable(h, f->d);
    simt_cfg_write(h, f->d, 0x3c, 0x0b, 1);
    g_assert_cmpint(simt_set_irq_eventfd(h, f->d, VFIO_PCI_INTX_IRQ_INDEX, efd), ==, 0);
    simt_writel(h, f->d, R_LIVENESS, 1);
    simt_writel(h, f->d, R_FACT, 4);
    simt_writel(h, f->d, R_IRQ_RAISE, 1);
    simt_writel(h, f->d, R_DMA_CMD, DMA_START);
    g_assert_cmpint(h->ops->ioctl(h, f->d, VFIO_DEVICE_RESET, NULL), ==, 0);
    /* edu state and the DMA in flight are gone; config space and interrupts stay */
    g_assert_cmphex(simt_readl(h, f->d, R_LIVENESS), ==, 0);
    g_assert_cmphex(simt_readl(h, f->d, R_FACT), ==, 0);
    g_assert_cmphex(simt_readl(h, f->d, R_IRQ_STATUS), ==, 0);
    g_assert_cmphex(simt_readl(h, f->d, R_DMA_CMD), ==, 0);
    g_assert_cmphex(simt_cfg_read(h, f->d, 0x04, 2), ==, 0x0006);
    g_assert_cmphex(simt_cfg_read(h, f->d, 0x3c, 1), ==, 0x0b);
    g_assert_cmpuint(simt_eventfd_take(efd), ==, 1);
    g_assert_cmpint(simt_irq_action(h, f->d, 0, VFIO_IRQ_SET_ACTION_UNMASK), ==, 0);
    simt_writel(h, f->d, R_IRQ_RAISE, 1);
    g_assert_cmpuint(simt_eventfd_take(efd), ==, 1);
    simt_step_ms(200);

    /* the last close releases interrupts and resets; reopening powers on again */
    g_assert_cmpuint(vfio_sim_open_fds(VFIO_SIM(f->obj)), ==, 4);
    simt_close(h, f->d);
    g_assert_cmpuint(vfio_sim_open_fds(VFIO_SIM(f->obj)), ==, 2);
    f->d = simt_get_device(h, f->g, f->name);
    g_assert_cmphex(simt_cfg_read(h, f->d, 0x04, 2), ==, 0x0002);
    g_assert_cmphex(simt_cfg_read(h, f->d, 0x3c, 1), ==, 0);
    g_assert_cmphex(simt_readl(h, f->d, R_IRQ_STATUS), ==, 0);
    {
        g_autoptr(JsonNode) q = simt_query(f->obj);
        g_assert_cmpstr(json_object_get_string_member(simt_device_q(q, f->name), "irq-type"),
                        ==, "none");
    }
    close(efd);
}

static void test_frozen(Fixture *f, gconstpointer data)
{
    VfioHost *h = f->h;
    VfioSim *sim = VFIO_SIM(f->obj);
    int group = ((const Case *)data)->group;
    uint8_t *ram = simt_ram(65536, 65536);
    uint8_t b[4];

    simt_enable(h, f->d);
    g_assert_cmpint(simt_register(h, f->c, ram, 65536), ==, 0);
    g_assert_cmpint(simt_map(h, f->c, 0, ram, 65536, RW), ==, 0);
    simt_writel(h, f->d, R_LIVENESS, 5);
    simt_writel(h, f->d, R_DMA_SRC, 0);
    simt_writel(h, f->d, R_DMA_DST, EDU_BUF);
    simt_writel(h, f->d, R_DMA_CNT, 4);
    simt_writel(h, f->d, R_DMA_CMD, DMA_START);
    g_assert_true(vfio_sim_set_frozen(sim, group, true, NULL));
    /* all ones from registers and config space; writes are lost */
    g_assert_cmphex(simt_readl(h, f->d, R_ID), ==, 0xffffffff);
    g_assert_cmphex(simt_cfg_read(h, f->d, 0x00, 4), ==, 0xffffffff);
    g_assert_cmpint(h->ops->pread(h, f->d, b, 4, simt_region_offset(h, f->d, 2)), ==, 4);
    g_assert_cmphex(b[0] & b[1] & b[2] & b[3], ==, 0xff);
    simt_writel(h, f->d, R_LIVENESS, 9);
    simt_cfg_write(h, f->d, 0x3c, 0x0b, 1);
    /* and the DMA that completes meanwhile fails */
    simt_step_ms(100);
    g_assert_cmpint(simt_dev_counter(f->obj, f->name, "dma-faults"), ==, 1);
    g_assert_true(vfio_sim_set_frozen(sim, group, false, NULL));
    g_assert_cmphex(simt_readl(h, f->d, R_LIVENESS), ==, ~5u);
    g_assert_cmphex(simt_cfg_read(h, f->d, 0x3c, 1), ==, 0);
    simt_edu_dma(h, f->d, 0, EDU_BUF, 4, 0);
    g_assert_cmpint(simt_dev_counter(f->obj, f->name, "dma-ok"), ==, 1);
    simt_close(h, f->d);
    simt_close(h, f->g);
    simt_ram_free(ram, 65536);
}

int main(int argc, char **argv)
{
    simt_init();
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn, tc) \
    g_test_add("/vfio-sim/device/" path, Fixture, tc, setup, fn, teardown)
    ADD("info/pcie", test_info, &pcie_fn);
    ADD("info/conventional", test_info, &conventional);
    ADD("config/pcie", test_config, &pcie_fn);
    ADD("config/multifunction", test_config, &multi_fn);
    ADD("config/conventional", test_config, &conventional);
    ADD("bar0", test_bar0, &pcie_fn);
    ADD("bar2", test_bar2, &pcie_fn);
    ADD("irq-info/pcie", test_irq_info, &pcie_fn);
    ADD("irq-info/conventional", test_irq_info, &conventional);
    ADD("set-irqs/errors/pcie", test_set_irqs_errors, &pcie_fn);
    ADD("set-irqs/errors/conventional", test_set_irqs_errors, &conventional);
    ADD("intx", test_intx, &pcie_fn);
    ADD("intx/unmask-eventfd", test_intx_unmask_eventfd, &multi_fn);
    ADD("msi", test_msi, &conventional);
    ADD("msix", test_msix, &pcie_fn);
    ADD("msix/multifunction", test_msix, &multi_fn);
    ADD("dma/timing", test_dma_timing, &pcie_fn);
    ADD("reset", test_reset, &multi_fn);
    ADD("frozen", test_frozen, &pcie_fn);
    return g_test_run();
}
