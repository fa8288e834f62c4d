/*
 * The "edu" device (hw/misc/edu.c), driven as its guest driver would:
 * config space, then BAR0 registers through the bus's memory space, on
 * the fake bridge of pci-test-host.c (whose IOMMU maps bus addresses
 * FAKE_RAM_BASE.. to a test RAM).  DMA timing uses the virtual clock.
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "system/clock.h"
#include "pci-test-host.h"

#define EDU_BAR       0x80000000u
#include "edu-regs.h"
#define MS            (1000 * 1000ll)

typedef struct Fixture {
    FakeHost *h;
    PCIDevice *edu;
} Fixture;

static uint32_t rd(Fixture *f, uint32_t reg)
{
    return bus_readl(f->h, EDU_BAR + reg);
}

static void wr(Fixture *f, uint32_t reg, uint32_t val)
{
    bus_writel(f->h, EDU_BAR + reg, val);
}

static uint64_t rdq(Fixture *f, uint32_t reg)
{
    return bus_readq(f->h, EDU_BAR + reg);
}

static void wrq(Fixture *f, uint32_t reg, uint64_t val)
{
    bus_writeq(f->h, EDU_BAR + reg, val);
}

/* An edu at 04.0 with @props, BAR0 at EDU_BAR, memory decoding and bus mastering on. */
static void fixture_setup_props(Fixture *f, const char *const *props)
{
    g_autoptr(GError) err = NULL;

    f->h = fake_host_new(false);
    f->edu = fake_host_add(f->h, "edu", "04.0", props, &err);
    g_assert_no_error(err);
    fake_host_map_bar0(f->edu, EDU_BAR, true);
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
    fixture_setup_props(f, data);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    fake_host_free(f->h);
}

static void step_ms(int64_t ms)
{
    clock_warp_to(clock_get_ns() + ms * MS);
}

/* Start a DMA and let it complete. */
static void run_dma(Fixture *f, uint64_t src, uint64_t dst, uint64_t cnt, uint32_t cmd)
{
    wrq(f, R_DMA_SRC, src);
    wrq(f, R_DMA_DST, dst);
    wrq(f, R_DMA_CNT, cnt);
    wr(f, R_DMA_CMD, cmd);
    g_assert_cmphex(rd(f, R_DMA_CMD) & 1, ==, 1);
    step_ms(100);
    g_assert_cmphex(rd(f, R_DMA_CMD) & 1, ==, 0);
}

static int intx(Fixture *f)
{
    return fake_host_irq_level(f->h, PCI_DEVFN(4, 0), 0);
}

/* Tests ----------------------------------------------------------------- */

static void test_header(Fixture *f, gconstpointer data)
{
    PCIDevice *d = f->edu;
    uint8_t c = d->msi_cap;

    g_assert_cmphex(pci_config_read(d, PCI_VENDOR_ID, 2), ==, 0x1234);
    g_assert_cmphex(pci_config_read(d, PCI_DEVICE_ID, 2), ==, 0x11e8);
    g_assert_cmphex(pci_config_read(d, PCI_REVISION_ID, 1), ==, 0x10);
    g_assert_cmphex(pci_config_read(d, PCI_CLASS_PROG, 1), ==, 0x00);
    g_assert_cmphex(pci_config_read(d, PCI_CLASS_DEVICE, 1), ==, 0xff);
    g_assert_cmphex(pci_config_read(d, PCI_CLASS_DEVICE + 1, 1), ==, 0x00);
    g_assert_cmphex(pci_config_read(d, PCI_SUBSYSTEM_VENDOR_ID, 2), ==, 0x1af4);
    g_assert_cmphex(pci_config_read(d, PCI_SUBSYSTEM_ID, 2), ==, 0x1100);
    g_assert_cmphex(pci_config_read(d, PCI_HEADER_TYPE, 1), ==, 0);
    g_assert_cmphex(pci_config_read(d, PCI_INTERRUPT_PIN, 1), ==, 1);
    g_assert_cmpuint(d->config_size, ==, 256);
    g_assert_false(pci_is_express(d));

    /* BAR0: 1 MiB of 32-bit non-prefetchable memory, the only BAR */
    pci_config_write(d, PCI_BASE_ADDRESS_0, 0xffffffff, 4);
    g_assert_cmphex(pci_config_read(d, PCI_BASE_ADDRESS_0, 4), ==, 0xfff00000);
    for (int i = 1; i < 6; i++) {
        pci_config_write(d, PCI_BASE_ADDRESS_0 + 4 * i, 0xffffffff, 4);
        g_assert_cmphex(pci_config_read(d, PCI_BASE_ADDRESS_0 + 4 * i, 4), ==, 0);
    }

    /* one capability: MSI, 64-bit, 1 vector, no masking */
    g_assert_true(pci_config_read(d, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
    g_assert_cmphex(pci_config_read(d, PCI_CAPABILITY_LIST, 1), ==, c);
    g_assert_cmphex(pci_config_read(d, c, 1), ==, PCI_CAP_ID_MSI);
    g_assert_cmphex(pci_config_read(d, c + 1, 1), ==, 0);
    g_assert_cmphex(pci_config_read(d, c + 2, 2), ==, 0x0080);
    g_assert_cmpuint(msi_max_vectors(d), ==, 1);
    g_assert_cmpuint(d->msix_cap, ==, 0);

    /* the properties and their defaults */
    g_autoptr(JsonNode) mask = object_property_get_json(OBJECT(d), "dma_mask", NULL);
    g_assert_cmphex(json_node_get_int(mask), ==, (1 << 28) - 1);
    g_autoptr(JsonNode) pcie = object_property_get_json(OBJECT(d), "pcie", NULL);
    g_assert_false(json_node_get_boolean(pcie));
    g_assert_true(DEVICE_GET_CLASS(d)->user_creatable);
}

static void test_id_liveness(Fixture *f, gconstpointer data)
{
    uint8_t b[2];

    g_assert_cmphex(rd(f, R_ID), ==, 0x010000ed);
    wr(f, R_ID, 0);
    g_assert_cmphex(rd(f, R_ID), ==, 0x010000ed);

    wr(f, R_LIVENESS, 0x12345678);
    g_assert_cmphex(rd(f, R_LIVENESS), ==, 0xedcba987);
    wr(f, R_LIVENESS, 0);
    g_assert_cmphex(rd(f, R_LIVENESS), ==, 0xffffffff);

    /* registers below 0x80 only take 4-byte accesses */
    address_space_read(f->h->bus->mem_as, EDU_BAR + R_ID, b, 2);
    g_assert_cmphex(pci_get_word(b), ==, 0xffff);
    pci_set_word(b, 0x1111);
    address_space_write(f->h->bus->mem_as, EDU_BAR + R_LIVENESS, b, 2);
    g_assert_cmphex(rd(f, R_LIVENESS), ==, 0xffffffff);
    g_assert_cmphex(rdq(f, R_ID), ==, UINT64_MAX);
    /* unknown and write-only registers read all ones */
    g_assert_cmphex(rd(f, 0x10), ==, 0xffffffff);
    g_assert_cmphex(rd(f, R_IRQ_RAISE), ==, 0xffffffff);
    g_assert_cmphex(rd(f, 0x84), ==, 0xffffffff);

    /* nothing answers while memory decoding is off */
    pci_config_write(f->edu, PCI_COMMAND, 0, 2);
    g_assert_cmphex(rd(f, R_ID), ==, 0xffffffff);
}

static void test_factorial(Fixture *f, gconstpointer data)
{
    wr(f, R_FACT, 5);
    g_assert_cmphex(rd(f, R_STATUS) & 1, ==, 0);
    g_assert_cmpuint(rd(f, R_FACT), ==, 120);
    wr(f, R_FACT, 0);
    g_assert_cmpuint(rd(f, R_FACT), ==, 1);
    wr(f, R_FACT, 12);
    g_assert_cmpuint(rd(f, R_FACT), ==, 479001600);
    wr(f, R_FACT, 13);                           /* modulo 2^32 */
    g_assert_cmpuint(rd(f, R_FACT), ==, (uint32_t)6227020800ull);
    /* huge arguments end (the product is 0 mod 2^32 soon) */
    wr(f, R_FACT, 0xffffffff);
    g_assert_cmpuint(rd(f, R_FACT), ==, 0);
    /* no interrupt unless asked for */
    g_assert_cmphex(rd(f, R_IRQ_STATUS), ==, 0);
    g_assert_cmpuint(f->h->irq_log->len, ==, 0);

    /* status: bit 0 is read-only, bit 7 is the guest's, others read 0 */
    wr(f, R_STATUS, 0xffffffff);
    g_assert_cmphex(rd(f, R_STATUS), ==, 0x80);
    wr(f, R_FACT, 4);
    g_assert_cmpuint(rd(f, R_FACT), ==, 24);
    g_assert_cmphex(rd(f, R_IRQ_STATUS), ==, 0x1);
    g_assert_cmpint(intx(f), ==, 1);
    wr(f, R_IRQ_ACK, 0x1);
    g_assert_cmpint(intx(f), ==, 0);
    wr(f, R_STATUS, 0);
    g_assert_cmphex(rd(f, R_STATUS), ==, 0);
}

static void test_irq(Fixture *f, gconstpointer data)
{
    wr(f, R_IRQ_RAISE, 0x5);
    g_assert_cmphex(rd(f, R_IRQ_STATUS), ==, 0x5);
    g_assert_cmpint(intx(f), ==, 1);
    g_assert_true(pci_config_read(f->edu, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
    wr(f, R_IRQ_RAISE, 0x8);
    g_assert_cmphex(rd(f, R_IRQ_STATUS), ==, 0xd);
    g_assert_cmpuint(f->h->irq_log->len, ==, 1);
    wr(f, R_IRQ_ACK, 0x1);
    g_assert_cmphex(rd(f, R_IRQ_STATUS), ==, 0xc);
    g_assert_cmpint(intx(f), ==, 1);
    wr(f, R_IRQ_ACK, 0xc);
    g_assert_cmphex(rd(f, R_IRQ_STATUS), ==, 0);
    g_assert_cmpint(intx(f), ==, 0);
    /* writing 0 raises nothing */
    wr(f, R_IRQ_RAISE, 0);
    g_assert_cmpint(intx(f), ==, 0);
    /* INTx disabled by the driver: status only */
    pci_config_write(f->edu, PCI_COMMAND,
                     PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE, 2);
    wr(f, R_IRQ_RAISE, 0x2);
    g_assert_cmpint(intx(f), ==, 0);
    g_assert_true(pci_config_read(f->edu, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
}

static void test_msi(Fixture *f, gconstpointer data)
{
    PCIDevice *d = f->edu;
    uint8_t c = d->msi_cap;
    FakeDma *w;

    pci_config_write(d, c + 4, FAKE_RAM_BASE + 0xf00, 4);
    pci_config_write(d, c + 8, 0, 4);
    pci_config_write(d, c + 12, 0x4321, 2);
    pci_config_write(d, c + 2, 1, 2);
    g_assert_true(msi_enabled(d));

    wr(f, R_IRQ_RAISE, 0x40);
    g_assert_cmpuint(f->h->dma_log->len, ==, 1);
    w = &g_array_index(f->h->dma_log, FakeDma, 0);
    g_assert_true(w->is_write);
    g_assert_cmphex(w->addr, ==, FAKE_RAM_BASE + 0xf00);
    g_assert_cmphex(pci_get_long(f->h->ram + 0xf00), ==, 0x4321);
    /* no INTx when MSI is on, and acknowledging sends nothing */
    g_assert_cmpuint(f->h->irq_log->len, ==, 0);
    wr(f, R_IRQ_ACK, 0x40);
    g_assert_cmpuint(f->h->dma_log->len, ==, 1);
    g_assert_cmphex(rd(f, R_IRQ_STATUS), ==, 0);

    /* factorial completion by MSI too */
    wr(f, R_STATUS, 0x80);
    wr(f, R_FACT, 3);
    g_assert_cmpuint(f->h->dma_log->len, ==, 2);
    g_assert_cmphex(rd(f, R_IRQ_STATUS), ==, 1);

    /* without bus mastering the message cannot be sent */
    pci_config_write(d, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    wr(f, R_IRQ_RAISE, 0x2);
    g_assert_cmpuint(f->h->dma_log->len, ==, 2);
}

static void test_dma_to_device(Fixture *f, gconstpointer data)
{
    for (int i = 0; i < 100; i++) {
        f->h->ram[0x300 + i] = i * 3;
    }
    wrq(f, R_DMA_SRC, FAKE_RAM_BASE + 0x300);
    wrq(f, R_DMA_DST, EDU_BUF + 0x10);
    wrq(f, R_DMA_CNT, 100);
    g_assert_cmphex(rdq(f, R_DMA_SRC), ==, FAKE_RAM_BASE + 0x300);
    g_assert_cmphex(rdq(f, R_DMA_DST), ==, EDU_BUF + 0x10);
    g_assert_cmphex(rdq(f, R_DMA_CNT), ==, 100);
    /* a command without the start bit is ignored */
    wr(f, R_DMA_CMD, 0x4);
    g_assert_cmphex(rd(f, R_DMA_CMD), ==, 0);
    wr(f, R_DMA_CMD, 0x5);
    g_assert_cmphex(rd(f, R_DMA_CMD), ==, 0x5);

    /* the parameters of a running transfer cannot change */
    wrq(f, R_DMA_SRC, 0);
    wrq(f, R_DMA_CNT, 1);
    wr(f, R_DMA_CMD, 0x3);
    g_assert_cmphex(rdq(f, R_DMA_SRC), ==, FAKE_RAM_BASE + 0x300);
    g_assert_cmphex(rdq(f, R_DMA_CNT), ==, 100);

    /* nothing before 100 ms */
    step_ms(99);
    g_assert_cmphex(rd(f, R_DMA_CMD), ==, 0x5);
    g_assert_cmpuint(f->h->dma_log->len, ==, 0);
    g_assert_cmphex(bus_readb(f->h, EDU_BAR + EDU_BUF + 0x10 + 1), ==, 0);
    step_ms(1);
    g_assert_cmphex(rd(f, R_DMA_CMD), ==, 0x4);
    g_assert_cmpuint(f->h->dma_log->len, ==, 1);
    g_assert_false(g_array_index(f->h->dma_log, FakeDma, 0).is_write);
    for (int i = 0; i < 100; i++) {
        g_assert_cmphex(bus_readb(f->h, EDU_BAR + EDU_BUF + 0x10 + i), ==, (uint8_t)(i * 3));
    }
    /* the completion interrupt */
    g_assert_cmphex(rd(f, R_IRQ_STATUS), ==, 0x100);
    g_assert_cmpint(intx(f), ==, 1);
    wr(f, R_IRQ_ACK, 0x100);
    g_assert_cmpint(intx(f), ==, 0);
}

static void test_dma_to_ram(Fixture *f, gconstpointer data)
{
    /* fill the buffer through BAR0, with 8-, 4- and 1-byte accesses */
    bus_writeq(f->h, EDU_BAR + EDU_BUF, 0x0807060504030201ull);
    bus_writel(f->h, EDU_BAR + EDU_BUF + 8, 0x0c0b0a09);
    g_assert_cmphex(bus_readb(f->h, EDU_BAR + EDU_BUF + 9), ==, 0x0a);
    g_assert_cmphex(bus_readq(f->h, EDU_BAR + EDU_BUF + 4), ==, 0x0c0b0a0908070605ull);

    run_dma(f, EDU_BUF, FAKE_RAM_BASE + 0x1000, 12, 0x3);
    g_assert_cmpuint(f->h->dma_log->len, ==, 1);
    g_assert_true(g_array_index(f->h->dma_log, FakeDma, 0).is_write);
    for (int i = 0; i < 12; i++) {
        g_assert_cmphex(f->h->ram[0x1000 + i], ==, i + 1);
    }
    /* no interrupt without bit 2 */
    g_assert_cmphex(rd(f, R_IRQ_STATUS), ==, 0);
    g_assert_cmpuint(f->h->irq_log->len, ==, 0);

    /* round trip of the whole buffer */
    for (int i = 0; i < 0x1000; i++) {
        f->h->ram[0x2000 + i] = i ^ 0x5a;
    }
    run_dma(f, FAKE_RAM_BASE + 0x2000, EDU_BUF, 0x1000, 0x1);
    run_dma(f, EDU_BUF, FAKE_RAM_BASE + 0x4000, 0x1000, 0x3);
    g_assert_cmpint(memcmp(f->h->ram + 0x2000, f->h->ram + 0x4000, 0x1000), ==, 0);

    /* 4-byte writes set the whole DMA register */
    wrq(f, R_DMA_SRC, 0xffffffff00000000ull);
    wr(f, R_DMA_SRC, 0x1234);
    g_assert_cmphex(rdq(f, R_DMA_SRC), ==, 0x1234);
    g_assert_cmphex(rd(f, R_DMA_SRC), ==, 0x1234);
}

static void test_dma_iommu_fault(Fixture *f, gconstpointer data)
{
    uint8_t before[0x100];

    for (int i = 0; i < 0x100; i++) {
        bus_writel(f->h, EDU_BAR + EDU_BUF + 4 * (i / 4), 0xa5a5a5a5);
    }
    memset(f->h->ram, 0x11, sizeof(f->h->ram));
    f->h->refuse_start = FAKE_RAM_BASE + 0x8000;
    f->h->refuse_len = 0x1000;

    /* RAM -> EDU from a faulting address: the buffer keeps its bytes */
    run_dma(f, FAKE_RAM_BASE + 0x8000, EDU_BUF, 0x100, 0x5);
    g_assert_cmpuint(f->h->dma_log->len, ==, 1);
    g_assert_cmpint(g_array_index(f->h->dma_log, FakeDma, 0).result, ==, MEMTX_ERROR);
    for (int i = 0; i < 0x100; i++) {
        g_assert_cmphex(bus_readb(f->h, EDU_BAR + EDU_BUF + i), ==, 0xa5);
    }
    /* and no completion interrupt */
    g_assert_cmphex(rd(f, R_IRQ_STATUS), ==, 0);
    g_assert_cmpint(intx(f), ==, 0);

    /* EDU -> RAM to a faulting address: RAM unchanged */
    memcpy(before, f->h->ram + 0x8000, sizeof(before));
    run_dma(f, EDU_BUF, FAKE_RAM_BASE + 0x8000, 0x100, 0x7);
    g_assert_cmpint(memcmp(before, f->h->ram + 0x8000, sizeof(before)), ==, 0);
    g_assert_cmphex(rd(f, R_IRQ_STATUS), ==, 0);

    /* outside what the IOMMU maps at all */
    run_dma(f, 0x10, EDU_BUF, 0x10, 0x1);
    g_assert_cmphex(bus_readb(f->h, EDU_BAR + EDU_BUF), ==, 0xa5);
    /* and the device works again afterwards */
    run_dma(f, FAKE_RAM_BASE, EDU_BUF, 0x10, 0x1);
    g_assert_cmphex(bus_readb(f->h, EDU_BAR + EDU_BUF), ==, 0x11);
}

static void test_dma_out_of_buffer(Fixture *f, gconstpointer data)
{
    memset(f->h->ram, 0x22, sizeof(f->h->ram));

    /* destination runs past the end of the 4 KiB buffer */
    run_dma(f, FAKE_RAM_BASE, EDU_BUF + 0xf00, 0x200, 0x5);
    g_assert_cmpuint(f->h->dma_log->len, ==, 0);
    g_assert_cmphex(bus_readb(f->h, EDU_BAR + EDU_BUF + 0xf00), ==, 0);
    g_assert_cmphex(rd(f, R_IRQ_STATUS), ==, 0);
    /* below the buffer, or a count that wraps */
    run_dma(f, FAKE_RAM_BASE, EDU_BUF - 0x10, 0x10, 0x1);
    run_dma(f, FAKE_RAM_BASE, EDU_BUF + 0x10, UINT64_MAX - 0x8, 0x1);
    run_dma(f, EDU_BUF + 0x1000, FAKE_RAM_BASE, 1, 0x3);
    g_assert_cmpuint(f->h->dma_log->len, ==, 0);
    g_assert_cmphex(f->h->ram[0], ==, 0x22);
    /* exactly the last byte is fine */
    run_dma(f, FAKE_RAM_BASE, EDU_BUF + 0xfff, 1, 0x1);
    g_assert_cmpuint(f->h->dma_log->len, ==, 1);
    g_assert_cmphex(bus_readb(f->h, EDU_BAR + EDU_BUF + 0xfff), ==, 0x22);
    /* as is an empty transfer */
    run_dma(f, FAKE_RAM_BASE, EDU_BUF + 0x1000, 0, 0x5);
    g_assert_cmphex(rd(f, R_IRQ_STATUS), ==, 0x100);
}

static void test_dma_mask(Fixture *f, gconstpointer data)
{
    /* the default mask keeps 28 bits: 0x1_0010_0000 becomes 0x0010_0000 */
    f->h->ram[0x40] = 0x99;
    run_dma(f, (1ull << 32) | (FAKE_RAM_BASE + 0x40), EDU_BUF, 1, 0x1);
    g_assert_cmphex(g_array_index(f->h->dma_log, FakeDma, 0).addr, ==, FAKE_RAM_BASE + 0x40);
    g_assert_cmphex(bus_readb(f->h, EDU_BAR + EDU_BUF), ==, 0x99);
    /* within 28 bits: untouched */
    run_dma(f, EDU_BUF, FAKE_RAM_BASE + 0x50, 1, 0x3);
    g_assert_cmphex(g_array_index(f->h->dma_log, FakeDma, 1).addr, ==, FAKE_RAM_BASE + 0x50);
    g_assert_cmphex(f->h->ram[0x50], ==, 0x99);
}

static void test_dma_mask_property(Fixture *f, gconstpointer data)
{
    /* dma_mask=0x1fffff: the bus only sees 21 bits */
    f->h->ram[0x60] = 0x42;
    run_dma(f, 0xabc00000ull | (FAKE_RAM_BASE + 0x60), EDU_BUF + 8, 1, 0x1);
    g_assert_cmphex(g_array_index(f->h->dma_log, FakeDma, 0).addr, ==,
                    (0xabc00000ull | (FAKE_RAM_BASE + 0x60)) & 0x1fffff);
    g_assert_cmphex(bus_readb(f->h, EDU_BAR + EDU_BUF + 8), ==, 0x42);
}

static void test_dma_no_master(Fixture *f, gconstpointer data)
{
    memset(f->h->ram, 0x33, sizeof(f->h->ram));
    pci_config_write(f->edu, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    run_dma(f, FAKE_RAM_BASE, EDU_BUF, 0x10, 0x5);
    /* the bridge never saw it, nothing was copied, no completion */
    g_assert_cmpuint(f->h->dma_log->len, ==, 0);
    g_assert_cmphex(bus_readb(f->h, EDU_BAR + EDU_BUF), ==, 0);
    g_assert_cmphex(rd(f, R_IRQ_STATUS), ==, 0);
}

static void test_pcie(Fixture *f, gconstpointer data)
{
    PCIDevice *d = f->edu;
    const char *const conv[] = { "pcie=off", NULL };
    PCIDevice *c;
    uint8_t e = d->exp_cap;

    g_assert_cmpuint(d->config_size, ==, 4096);
    g_assert_true(pci_is_express(d));
    g_assert_cmphex(pci_config_read(d, e, 1), ==, PCI_CAP_ID_EXP);
    g_assert_cmphex(pci_config_read(d, e + 2, 2), ==, 0x0002);
    g_assert_cmphex(pci_config_read(d, d->msi_cap, 1), ==, PCI_CAP_ID_MSI);

    /* 4 KiB is only reachable when the bridge passes extended cycles */
    g_assert_cmpuint(pci_config_size_visible(d), ==, 256);
    g_assert_cmphex(pci_config_read(d, 0x100, 4), ==, 0xffffffff);
    f->h->bus->extended_config = true;
    g_assert_cmpuint(pci_config_size_visible(d), ==, 4096);
    g_assert_cmphex(pci_config_read(d, 0x100, 4), ==, 0);

    /* another, conventional edu next to it stays at 256 */
    c = fake_host_add(f->h, "edu", NULL, conv, NULL);
    g_assert_nonnull(c);
    g_assert_cmpuint(c->config_size, ==, 256);
    g_assert_cmpuint(pci_config_size_visible(c), ==, 256);
    g_assert_cmphex(pci_config_read(c, 0x100, 4), ==, 0xffffffff);

    /* the device still works */
    g_assert_cmphex(rd(f, R_ID), ==, 0x010000ed);
}

static void test_reset(Fixture *f, gconstpointer data)
{
    wr(f, R_LIVENESS, 1);
    wr(f, R_STATUS, 0x80);
    wr(f, R_FACT, 3);
    g_assert_cmpint(intx(f), ==, 1);
    f->h->ram[0] = 0x44;
    wrq(f, R_DMA_SRC, FAKE_RAM_BASE);
    wrq(f, R_DMA_DST, EDU_BUF);
    wrq(f, R_DMA_CNT, 1);
    wr(f, R_DMA_CMD, 1);

    qdev_reset(DEVICE(f->edu));
    /* the interrupt is dropped, the pending DMA never happens */
    g_assert_cmpint(intx(f), ==, 0);
    step_ms(200);
    g_assert_cmpuint(f->h->dma_log->len, ==, 0);
    /* BAR0 unmapped by the reset: map it again and look */
    fake_host_map_bar0(f->edu, EDU_BAR, true);
    g_assert_cmphex(rd(f, R_LIVENESS), ==, 0);
    g_assert_cmphex(rd(f, R_STATUS), ==, 0);
    g_assert_cmphex(rd(f, R_IRQ_STATUS), ==, 0);
    g_assert_cmphex(rd(f, R_FACT), ==, 0);
    g_assert_cmphex(rdq(f, R_DMA_SRC), ==, 0);
    g_assert_cmphex(rd(f, R_DMA_CMD), ==, 0);
    g_assert_cmphex(bus_readb(f->h, EDU_BAR + EDU_BUF), ==, 0);
    g_assert_false(msi_enabled(f->edu));
}

/* Unplugging with a DMA in flight: the timer must go with the device. */
static void test_unplug_during_dma(Fixture *f, gconstpointer data)
{
    wrq(f, R_DMA_SRC, FAKE_RAM_BASE);
    wrq(f, R_DMA_DST, EDU_BUF);
    wrq(f, R_DMA_CNT, 0x10);
    wr(f, R_DMA_CMD, 0x5);
    fake_host_del(f->h, f->edu);
    f->edu = NULL;
    step_ms(200);
    g_assert_cmpuint(f->h->dma_log->len, ==, 0);
    g_assert_cmphex(bus_readl(f->h, EDU_BAR), ==, 0xffffffff);
}

static void test_bad_property(void)
{
    FakeHost *h = fake_host_new(false);
    const char *const bad[] = { "dma_mask=-1", NULL };
    const char *const bad2[] = { "pcie=maybe", NULL };
    g_autoptr(GError) err = NULL;

    g_assert_null(fake_host_add(h, "edu", NULL, bad, &err));
    g_assert_nonnull(err);
    g_clear_error(&err);
    g_assert_null(fake_host_add(h, "edu", NULL, bad2, &err));
    g_assert_nonnull(err);
    g_assert_null(pci_find_device(h->bus, 0));
    fake_host_free(h);
}

int main(int argc, char **argv)
{
    static const char *const pcie_on[] = { "pcie=on", NULL };
    static const char *const mask21[] = { "dma_mask=0x1fffff", NULL };

    g_test_init(&argc, &argv, NULL);
    fake_host_init_types();

#define ADD(path, fn, props) \
    g_test_add("/edu/" path, Fixture, (props), fixture_setup, fn, fixture_teardown)
    ADD("header", test_header, NULL);
    ADD("id-liveness", test_id_liveness, NULL);
    ADD("factorial", test_factorial, NULL);
    ADD("irq", test_irq, NULL);
    ADD("msi", test_msi, NULL);
    ADD("dma/to-device", test_dma_to_device, NULL);
    ADD("dma/to-ram", test_dma_to_ram, NULL);
    ADD("dma/iommu-fault", test_dma_iommu_fault, NULL);
    ADD("dma/out-of-buffer", test_dma_out_of_buffer, NULL);
    ADD("dma/mask", test_dma_mask, NULL);
    ADD("dma/mask-property", test_dma_mask_property, mask21);
    ADD("dma/no-master", test_dma_no_master, NULL);
    ADD("pcie", test_pcie, pcie_on);
    ADD("reset", test_reset, NULL);
    ADD("unplug-during-dma", test_unplug_during_dma, NULL);
#undef ADD
    g_test_add_func("/edu/bad-property", test_bad_property);
    return g_test_run();
}
