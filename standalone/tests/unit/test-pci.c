/*
 * PCI core (hw/pci): header, config access masks, BAR sizing and
 * mapping, capability list, MSI, MSI-X, INTx, config space size, slot
 * allocation, multi-function, bus mastering, reset, realize failures.
 *
 * The test plays the guest through pci_config_read/write and the bus's
 * memory space, on the fake bridge of pci-test-host.c, with test devices
 * whose BARs are plain scratch memory.
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "pci-test-host.h"

/* A region of bytes read and written as little-endian registers. */
typedef struct ScratchBar {
    MemoryRegion mr;
    uint8_t *data;
} ScratchBar;

static uint64_t scratch_read(void *opaque, hwaddr addr, unsigned size)
{
    ScratchBar *s = opaque;
    uint64_t v = 0;

    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)s->data[addr + i] << (8 * i);
    }
    return v;
}

static void scratch_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    ScratchBar *s = opaque;

    for (unsigned i = 0; i < size; i++) {
        s->data[addr + i] = val >> (8 * i);
    }
}

static const MemoryRegionOps scratch_ops = {
    .read = scratch_read,
    .write = scratch_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
};

static void scratch_init(ScratchBar *s, const char *name, uint64_t size)
{
    s->data = g_malloc0(size);
    memory_region_init_io(&s->mr, name, &scratch_ops, s, size);
}

static void scratch_fini(ScratchBar *s)
{
    if (s->data) {
        memory_region_finalize(&s->mr);
        g_clear_pointer(&s->data, g_free);
    }
}

/*
 * "test-pci-dev": BAR0 4 KiB 32-bit memory (MSI-X table at 0, PBA at
 * 0x800), BAR2 64 KiB 64-bit prefetchable, BAR4 256 bytes I/O, a 4 KiB
 * ROM; INTB; MSI with 4 vectors, 64-bit, per-vector masks; MSI-X with 4
 * vectors.  Properties select failures and PCIe.
 */
typedef struct TestDev {
    PCIDevice parent;
    bool fail;                 /* "fail": realize fails after setting up everything */
    bool pcie;                 /* "pcie": add the PCIe capability */
    bool msi32;                /* "msi32": 32-bit MSI without masking instead */
    ScratchBar bar0, bar2, bar4, rom;
    int exits;
    int msi_changes;           /* calls of PCIDeviceClass.msi_changed */
} TestDev;
typedef struct TestDevClass {
    PCIDeviceClass parent_class;
} TestDevClass;

GType test_dev_get_type(void);
OBJECT_DEFINE_TYPE(TestDev, test_dev, "test-pci-dev", pci_device_get_type())
#define TEST_DEV(o) ((TestDev *)(o))

static const Property test_dev_props[] = {
    DEFINE_PROP_BOOL("fail", TestDev, fail, false),
    DEFINE_PROP_BOOL("pcie", TestDev, pcie, false),
    DEFINE_PROP_BOOL("msi32", TestDev, msi32, false),
    DEFINE_PROP_END,
};

static void test_dev_release(TestDev *t)
{
    scratch_fini(&t->bar0);
    scratch_fini(&t->bar2);
    scratch_fini(&t->bar4);
    scratch_fini(&t->rom);
}

static gboolean test_dev_realize(PCIDevice *dev, GError **errp)
{
    TestDev *t = TEST_DEV(dev);

    dev->config[PCI_INTERRUPT_PIN] = 2;
    scratch_init(&t->bar0, "bar0", 0x1000);
    scratch_init(&t->bar2, "bar2", 0x10000);
    scratch_init(&t->bar4, "bar4", 0x100);
    scratch_init(&t->rom, "rom", 0x1000);
    pci_register_bar(dev, 0, PCI_BASE_ADDRESS_SPACE_MEMORY, &t->bar0.mr);
    pci_register_bar(dev, 2, PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH,
                     &t->bar2.mr);
    pci_register_bar(dev, 4, PCI_BASE_ADDRESS_SPACE_IO, &t->bar4.mr);
    pci_register_bar(dev, PCI_ROM_SLOT, 0, &t->rom.mr);
    if ((t->msi32 ? msi_init(dev, 0, 1, false, false, errp)
                  : msi_init(dev, 0, 4, true, true, errp)) < 0 ||
        msix_init(dev, 4, &t->bar0.mr, 0, 0, &t->bar0.mr, 0, 0x800, 0, errp) < 0 ||
        (t->pcie && pcie_endpoint_cap_init(dev, 0, errp) < 0)) {
        test_dev_release(t);
        return FALSE;
    }
    if (t->fail) {
        error_setg(errp, "test-pci-dev: asked to fail");
        test_dev_release(t);
        return FALSE;
    }
    return TRUE;
}

static void test_dev_exit(PCIDevice *dev)
{
    TEST_DEV(dev)->exits++;
    test_dev_release(TEST_DEV(dev));
}

static void test_dev_msi_changed(PCIDevice *dev)
{
    TEST_DEV(dev)->msi_changes++;
}

static void test_dev_init(TestDev *t) {}

static void test_dev_class_init(TestDevClass *klass)
{
    PCIDeviceClass *pc = PCI_DEVICE_CLASS(klass);

    OBJECT_CLASS(klass)->props = test_dev_props;
    pc->realize = test_dev_realize;
    pc->exit = test_dev_exit;
    pc->msi_changed = test_dev_msi_changed;
    pc->vendor_id = 0x1b36;
    pc->device_id = 0x0005;
    pc->revision = 0x02;
    pc->class_id = 0x0c03;     /* serial bus, USB */
    pc->subsystem_vendor_id = 0x1af4;
    pc->subsystem_id = 0x0042;
}

/* "test-pcie-dev": the same, with 4 KiB of config space (is_express). */
typedef struct TestPcieDev {
    TestDev parent;
} TestPcieDev;
typedef struct TestPcieDevClass {
    TestDevClass parent_class;
} TestPcieDevClass;

GType test_pcie_dev_get_type(void);
OBJECT_DEFINE_TYPE(TestPcieDev, test_pcie_dev, "test-pcie-dev", test_dev_get_type())

static void test_pcie_dev_init(TestPcieDev *t) {}
static void test_pcie_dev_class_init(TestPcieDevClass *klass)
{
    PCI_DEVICE_CLASS(klass)->is_express = true;
}

/* "test-bare-dev": no class hooks, no subsystem: what the core does alone. */
typedef struct TestBareDev {
    PCIDevice parent;
} TestBareDev;
typedef struct TestBareDevClass {
    PCIDeviceClass parent_class;
} TestBareDevClass;

GType test_bare_dev_get_type(void);
OBJECT_DEFINE_TYPE(TestBareDev, test_bare_dev, "test-bare-dev", pci_device_get_type())

static void test_bare_dev_init(TestBareDev *t) {}
static void test_bare_dev_class_init(TestBareDevClass *klass)
{
    PCI_DEVICE_CLASS(klass)->vendor_id = 0x8086;
    PCI_DEVICE_CLASS(klass)->device_id = 0x1234;
    PCI_DEVICE_CLASS(klass)->class_id = 0x0200;
}

/* "test-hook-dev": config access hooks that log and chain to the defaults. */
typedef struct TestHookDev {
    PCIDevice parent;
    GString *log;
} TestHookDev;
typedef struct TestHookDevClass {
    PCIDeviceClass parent_class;
} TestHookDevClass;

GType test_hook_dev_get_type(void);
OBJECT_DEFINE_TYPE(TestHookDev, test_hook_dev, "test-hook-dev", pci_device_get_type())

#define HOOK_REG 0x48          /* a device-specific register the hook answers */

static uint32_t hook_read(PCIDevice *dev, uint32_t addr, int len)
{
    TestHookDev *t = (TestHookDev *)dev;

    g_string_append_printf(t->log, "r%x/%d;", addr, len);
    if (addr == HOOK_REG && len == 4) {
        return 0xfeedface;
    }
    return pci_default_read_config(dev, addr, len);
}

static void hook_write(PCIDevice *dev, uint32_t addr, uint32_t val, int len)
{
    TestHookDev *t = (TestHookDev *)dev;

    g_string_append_printf(t->log, "w%x/%d=%x;", addr, len, val);
    pci_default_write_config(dev, addr, val, len);
}

static void test_hook_dev_init(TestHookDev *t)
{
    t->log = g_string_new(NULL);
}

static void test_hook_dev_finalize(GObject *obj)
{
    g_string_free(((TestHookDev *)obj)->log, TRUE);
    G_OBJECT_CLASS(test_hook_dev_parent_class)->finalize(obj);
}

static void test_hook_dev_class_init(TestHookDevClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = test_hook_dev_finalize;
    PCI_DEVICE_CLASS(klass)->config_read = hook_read;
    PCI_DEVICE_CLASS(klass)->config_write = hook_write;
    PCI_DEVICE_CLASS(klass)->vendor_id = 0x1af4;
}

/* Helpers --------------------------------------------------------------- */

#define cfg_read(d, a, l) pci_config_read((d), (a), (l))
#define cfg_write(d, a, v, l) pci_config_write((d), (a), (v), (l))

static PCIDevice *add_ok(FakeHost *h, const char *type, const char *addr,
                         const char *const *props)
{
    g_autoptr(GError) err = NULL;
    PCIDevice *d = fake_host_add(h, type, addr, props, &err);

    g_assert_no_error(err);
    g_assert_nonnull(d);
    return d;
}

static FakeDma *last_dma(FakeHost *h)
{
    g_assert_cmpuint(h->dma_log->len, >, 0);
    return &g_array_index(h->dma_log, FakeDma, h->dma_log->len - 1);
}

/* The capability IDs in list order. */
static GString *cap_chain(PCIDevice *d)
{
    GString *s = g_string_new(NULL);
    int guard = 0;

    for (uint8_t p = cfg_read(d, PCI_CAPABILITY_LIST, 1); p && guard < 48; guard++) {
        g_string_append_printf(s, "%02x@%02x ", cfg_read(d, p, 1), p);
        g_assert_cmpuint(p & 3, ==, 0);
        p = cfg_read(d, p + 1, 1);
    }
    return s;
}

/* Tests ----------------------------------------------------------------- */

static void test_header(void)
{
    FakeHost *h = fake_host_new(false);
    PCIDevice *d = add_ok(h, "test-pci-dev", "02.0", NULL);
    PCIDevice *b = add_ok(h, "test-bare-dev", NULL, NULL);

    g_assert_cmphex(cfg_read(d, PCI_VENDOR_ID, 2), ==, 0x1b36);
    g_assert_cmphex(cfg_read(d, PCI_DEVICE_ID, 2), ==, 0x0005);
    g_assert_cmphex(cfg_read(d, PCI_REVISION_ID, 1), ==, 0x02);
    g_assert_cmphex(cfg_read(d, PCI_CLASS_PROG, 1), ==, 0x00);
    g_assert_cmphex(cfg_read(d, PCI_CLASS_DEVICE, 2), ==, 0x0c03);
    g_assert_cmphex(cfg_read(d, PCI_REVISION_ID, 4), ==, 0x0c030002);
    g_assert_cmphex(cfg_read(d, PCI_HEADER_TYPE, 1), ==, 0);
    g_assert_cmphex(cfg_read(d, PCI_SUBSYSTEM_VENDOR_ID, 2), ==, 0x1af4);
    g_assert_cmphex(cfg_read(d, PCI_SUBSYSTEM_ID, 2), ==, 0x0042);
    g_assert_cmphex(cfg_read(d, PCI_INTERRUPT_PIN, 1), ==, 2);
    g_assert_cmphex(cfg_read(d, PCI_COMMAND, 2), ==, 0);
    g_assert_cmphex(cfg_read(d, PCI_STATUS, 2), ==, PCI_STATUS_CAP_LIST);
    g_assert_cmpint(d->devfn, ==, PCI_DEVFN(2, 0));
    g_assert_true(pci_find_device(h->bus, PCI_DEVFN(2, 0)) == d);
    g_assert_null(pci_find_device(h->bus, PCI_DEVFN(2, 1)));
    g_assert_null(pci_find_device(h->bus, 256));

    /* no subsystem in the class: QEMU's defaults; no capabilities */
    g_assert_cmpint(b->devfn, ==, PCI_DEVFN(0, 0));
    g_assert_cmphex(cfg_read(b, PCI_SUBSYSTEM_VENDOR_ID, 2), ==, 0x1af4);
    g_assert_cmphex(cfg_read(b, PCI_SUBSYSTEM_ID, 2), ==, 0x1100);
    g_assert_cmphex(cfg_read(b, PCI_STATUS, 2), ==, 0);
    g_assert_cmphex(cfg_read(b, PCI_CAPABILITY_LIST, 1), ==, 0);
    g_assert_cmphex(cfg_read(b, PCI_INTERRUPT_PIN, 1), ==, 0);
    g_assert_cmphex(cfg_read(b, PCI_BASE_ADDRESS_0, 4), ==, 0);

    /* read-only fields stay */
    cfg_write(d, PCI_VENDOR_ID, 0xffffffff, 4);
    cfg_write(d, PCI_REVISION_ID, 0xffffffff, 4);
    cfg_write(d, PCI_INTERRUPT_PIN, 0xff, 1);
    cfg_write(d, PCI_CAPABILITY_LIST, 0xff, 1);
    g_assert_cmphex(cfg_read(d, PCI_VENDOR_ID, 4), ==, 0x00051b36);
    g_assert_cmphex(cfg_read(d, PCI_REVISION_ID, 4), ==, 0x0c030002);
    g_assert_cmphex(cfg_read(d, PCI_INTERRUPT_PIN, 1), ==, 2);
    g_assert_cmphex(cfg_read(d, PCI_CAPABILITY_LIST, 1), !=, 0xff);

    /* command: only the implemented bits */
    cfg_write(d, PCI_COMMAND, 0xffff, 2);
    g_assert_cmphex(cfg_read(d, PCI_COMMAND, 2), ==, 0x0547);
    cfg_write(d, PCI_COMMAND, 0, 2);
    /* writable scratch registers of the header */
    cfg_write(d, PCI_CACHE_LINE_SIZE, 0x10, 1);
    cfg_write(d, PCI_LATENCY_TIMER, 0x40, 1);
    cfg_write(d, PCI_INTERRUPT_LINE, 0x0b, 1);
    g_assert_cmphex(cfg_read(d, PCI_CACHE_LINE_SIZE, 2), ==, 0x4010);
    g_assert_cmphex(cfg_read(d, PCI_INTERRUPT_LINE, 1), ==, 0x0b);

    /* status error bits: write 1 to clear, 0 leaves them; others read-only */
    d->config[PCI_STATUS + 1] |= 0xa0;          /* received master abort, parity */
    cfg_write(d, PCI_STATUS, 0, 2);
    g_assert_cmphex(cfg_read(d, PCI_STATUS, 2), ==, 0xa000 | PCI_STATUS_CAP_LIST);
    cfg_write(d, PCI_STATUS, 0x2000 | PCI_STATUS_CAP_LIST | PCI_STATUS_INTERRUPT, 2);
    g_assert_cmphex(cfg_read(d, PCI_STATUS, 2), ==, 0x8000 | PCI_STATUS_CAP_LIST);
    cfg_write(d, PCI_STATUS, 0xffff, 2);
    g_assert_cmphex(cfg_read(d, PCI_STATUS, 2), ==, PCI_STATUS_CAP_LIST);

    /* the properties */
    g_autoptr(JsonNode) addr = object_property_get_json(OBJECT(d), "addr", NULL);
    g_assert_cmpint(json_node_get_int(addr), ==, PCI_DEVFN(2, 0));
    g_assert_nonnull(object_class_find_property(OBJECT_GET_CLASS(d), "multifunction"));
    g_assert_true(DEVICE_GET_CLASS(d)->user_creatable);
    g_assert_true(DEVICE_GET_CLASS(d)->hotpluggable);
    g_assert_cmpstr(DEVICE_GET_CLASS(d)->bus_type, ==, TYPE_PCI_BUS);
    fake_host_free(h);
}

static void test_bar_sizing(void)
{
    FakeHost *h = fake_host_new(false);
    PCIDevice *d = add_ok(h, "test-pci-dev", NULL, NULL);

    /* type bits, address 0 */
    g_assert_cmphex(cfg_read(d, PCI_BASE_ADDRESS_0, 4), ==, 0);
    g_assert_cmphex(cfg_read(d, PCI_BASE_ADDRESS_0 + 8, 4), ==, 0x0c);
    g_assert_cmphex(cfg_read(d, PCI_BASE_ADDRESS_0 + 16, 4), ==, 0x01);

    cfg_write(d, PCI_BASE_ADDRESS_0, 0xffffffff, 4);
    g_assert_cmphex(cfg_read(d, PCI_BASE_ADDRESS_0, 4), ==, 0xfffff000);
    /* unimplemented BAR1 and BAR5 read 0 whatever is written */
    cfg_write(d, PCI_BASE_ADDRESS_0 + 4, 0xffffffff, 4);
    cfg_write(d, PCI_BASE_ADDRESS_0 + 20, 0xffffffff, 4);
    g_assert_cmphex(cfg_read(d, PCI_BASE_ADDRESS_0 + 4, 4), ==, 0);
    g_assert_cmphex(cfg_read(d, PCI_BASE_ADDRESS_0 + 20, 4), ==, 0);
    /* 64-bit: both halves */
    cfg_write(d, PCI_BASE_ADDRESS_0 + 8, 0xffffffff, 4);
    cfg_write(d, PCI_BASE_ADDRESS_0 + 12, 0xffffffff, 4);
    g_assert_cmphex(cfg_read(d, PCI_BASE_ADDRESS_0 + 8, 4), ==, 0xffff000c);
    g_assert_cmphex(cfg_read(d, PCI_BASE_ADDRESS_0 + 12, 4), ==, 0xffffffff);
    /* I/O */
    cfg_write(d, PCI_BASE_ADDRESS_0 + 16, 0xffffffff, 4);
    g_assert_cmphex(cfg_read(d, PCI_BASE_ADDRESS_0 + 16, 4), ==, 0xffffff01);
    /* ROM: address bits and the enable bit */
    cfg_write(d, PCI_ROM_ADDRESS, 0xfffffffe, 4);
    g_assert_cmphex(cfg_read(d, PCI_ROM_ADDRESS, 4), ==, 0xfffff000);
    cfg_write(d, PCI_ROM_ADDRESS, 0xffffffff, 4);
    g_assert_cmphex(cfg_read(d, PCI_ROM_ADDRESS, 4), ==, 0xfffff001);

    /* decoding on with the sizing patterns still in: nothing is mapped */
    cfg_write(d, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_IO, 2);
    for (int i = 0; i < PCI_NUM_REGIONS; i++) {
        g_assert_cmphex(pci_bar_address(d, i), ==, PCI_BAR_UNMAPPED);
    }
    g_assert_cmphex(pci_bar_address(d, -1), ==, PCI_BAR_UNMAPPED);
    fake_host_free(h);
}

static void test_bar_mapping(void)
{
    FakeHost *h = fake_host_new(false);
    PCIDevice *d = add_ok(h, "test-pci-dev", NULL, NULL);
    TestDev *t = TEST_DEV(d);
    uint8_t b;

    cfg_write(d, PCI_BASE_ADDRESS_0, 0x80001000, 4);
    g_assert_cmphex(pci_bar_address(d, 0), ==, PCI_BAR_UNMAPPED);
    g_assert_cmphex(bus_readl(h, 0x80001000), ==, 0xffffffff);

    /* memory decoding on: the BAR answers at its address */
    cfg_write(d, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    g_assert_cmphex(pci_bar_address(d, 0), ==, 0x80001000);
    bus_writel(h, 0x80001000 + 0x900, 0xcafef00d);
    g_assert_cmphex(pci_get_long(t->bar0.data + 0x900), ==, 0xcafef00d);
    g_assert_cmphex(bus_readl(h, 0x80001000 + 0x900), ==, 0xcafef00d);
    g_assert_cmphex(bus_readb(h, 0x80001000 + 0x901), ==, 0xf0);

    /* low bits of the address below the size are not writable */
    cfg_write(d, PCI_BASE_ADDRESS_0, 0x90000abc, 4);
    g_assert_cmphex(cfg_read(d, PCI_BASE_ADDRESS_0, 4), ==, 0x90000000);
    /* moving it while enabled moves the mapping */
    g_assert_cmphex(pci_bar_address(d, 0), ==, 0x90000000);
    g_assert_cmphex(bus_readl(h, 0x80001900), ==, 0xffffffff);
    g_assert_cmphex(bus_readl(h, 0x90000900), ==, 0xcafef00d);

    /* address 0 decodes nothing */
    cfg_write(d, PCI_BASE_ADDRESS_0, 0, 4);
    g_assert_cmphex(pci_bar_address(d, 0), ==, PCI_BAR_UNMAPPED);
    cfg_write(d, PCI_BASE_ADDRESS_0, 0x90000000, 4);

    /* disabling decoding unmaps, I/O decoding does not map memory BARs */
    cfg_write(d, PCI_COMMAND, PCI_COMMAND_IO, 2);
    g_assert_cmphex(pci_bar_address(d, 0), ==, PCI_BAR_UNMAPPED);
    g_assert_cmphex(bus_readl(h, 0x90000900), ==, 0xffffffff);

    /* the I/O BAR lives in I/O space */
    cfg_write(d, PCI_BASE_ADDRESS_0 + 16, 0x1200, 4);
    g_assert_cmphex(pci_bar_address(d, 4), ==, 0x1200);
    t->bar4.data[0x10] = 0x5a;
    address_space_read(h->bus->io_as, 0x1210, &b, 1);
    g_assert_cmphex(b, ==, 0x5a);
    /* beyond 64 KiB of I/O space: not decoded */
    cfg_write(d, PCI_BASE_ADDRESS_0 + 16, 0x10000, 4);
    g_assert_cmphex(pci_bar_address(d, 4), ==, PCI_BAR_UNMAPPED);

    /* the ROM needs memory decoding and its enable bit */
    cfg_write(d, PCI_ROM_ADDRESS, 0xa0000000, 4);
    cfg_write(d, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    g_assert_cmphex(pci_bar_address(d, PCI_ROM_SLOT), ==, PCI_BAR_UNMAPPED);
    cfg_write(d, PCI_ROM_ADDRESS, 0xa0000001, 4);
    g_assert_cmphex(pci_bar_address(d, PCI_ROM_SLOT), ==, 0xa0000000);
    t->rom.data[4] = 0x77;
    g_assert_cmphex(bus_readb(h, 0xa0000004), ==, 0x77);

    /* unrealize takes the BARs off the bus */
    fake_host_del(h, d);
    g_assert_cmphex(bus_readl(h, 0x90000900), ==, 0xffffffff);
    g_assert_cmphex(bus_readb(h, 0xa0000004), ==, 0xff);
    g_assert_null(pci_find_device(h->bus, 0));
    g_assert_cmpuint(h->bus->address_space_mem.subregions->len, ==, 0);
    fake_host_free(h);
}

static void test_bar_64bit(void)
{
    FakeHost *h = fake_host_new(false);
    PCIDevice *d = add_ok(h, "test-pci-dev", NULL, NULL);
    TestDev *t = TEST_DEV(d);

    cfg_write(d, PCI_BASE_ADDRESS_0 + 8, 0x00010000, 4);
    cfg_write(d, PCI_BASE_ADDRESS_0 + 12, 0x00000020, 4);
    cfg_write(d, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    g_assert_cmphex(pci_bar_address(d, 2), ==, 0x2000010000ull);
    bus_writeq(h, 0x2000010000ull + 0x80, 0x0123456789abcdefull);
    g_assert_cmphex(pci_get_long(t->bar2.data + 0x84), ==, 0x01234567);
    g_assert_cmphex(bus_readq(h, 0x2000010000ull + 0x80), ==, 0x0123456789abcdefull);
    /* the low dword keeps its type bits */
    g_assert_cmphex(cfg_read(d, PCI_BASE_ADDRESS_0 + 8, 4), ==, 0x0001000c);

    /* changing only the high dword moves it */
    cfg_write(d, PCI_BASE_ADDRESS_0 + 12, 0x00000001, 4);
    g_assert_cmphex(pci_bar_address(d, 2), ==, 0x100010000ull);
    g_assert_cmphex(bus_readq(h, 0x2000010080ull), ==, UINT64_MAX);
    g_assert_cmphex(bus_readq(h, 0x100010080ull), ==, 0x0123456789abcdefull);

    /* above 4 GiB with only the high dword set */
    cfg_write(d, PCI_BASE_ADDRESS_0 + 8, 0, 4);
    g_assert_cmphex(pci_bar_address(d, 2), ==, 0x100000000ull);
    fake_host_free(h);
}

static void test_capabilities(void)
{
    FakeHost *h = fake_host_new(false);
    PCIDevice *d = add_ok(h, "test-pci-dev", NULL, NULL);
    g_autoptr(GError) err = NULL;
    g_autoptr(GString) chain = NULL;
    GString *after;

    /* MSI (0x18 bytes) at 0x40, MSI-X after it at 0x58, newest first */
    chain = cap_chain(d);
    g_assert_cmpstr(chain->str, ==, "11@58 05@40 ");
    g_assert_cmpuint(d->msi_cap, ==, 0x40);
    g_assert_cmpuint(d->msix_cap, ==, 0x58);

    /* explicit place */
    g_assert_cmpint(pci_add_capability(d, PCI_CAP_ID_PM, 0x80, 8, &err), ==, 0x80);
    g_assert_no_error(err);
    /* automatic placement skips what is taken: 0x64 is the first free dword */
    g_assert_cmpint(pci_add_capability(d, 0x09, 0, 0x1c, &err), ==, 0x64);
    g_assert_no_error(err);
    after = cap_chain(d);
    g_assert_cmpstr(after->str, ==, "09@64 01@80 11@58 05@40 ");
    g_string_free(after, TRUE);

    /* overlaps name both capabilities */
    g_assert_cmpint(pci_add_capability(d, 0x09, 0x84, 4, &err), ==, -1);
    g_assert_cmpstr(err->message, ==,
                    "test-pci-dev: capability 0x09 at 0x84 overlaps capability 0x01 at 0x80");
    g_clear_error(&err);
    g_assert_cmpint(pci_add_capability(d, 0x09, 0x7c, 8, &err), ==, -1);
    g_assert_nonnull(strstr(err->message, "overlaps capability 0x09 at 0x64"));
    g_clear_error(&err);
    /* in the header, unaligned, past the end */
    g_assert_cmpint(pci_add_capability(d, 0x09, 0x3c, 4, &err), ==, -1);
    g_assert_nonnull(strstr(err->message, "cannot be placed at 0x3c"));
    g_clear_error(&err);
    g_assert_cmpint(pci_add_capability(d, 0x09, 0x92, 4, &err), ==, -1);
    g_clear_error(&err);
    g_assert_cmpint(pci_add_capability(d, 0x09, 0xfc, 8, &err), ==, -1);
    g_clear_error(&err);
    /* no room left for a big one */
    g_assert_cmpint(pci_add_capability(d, 0x09, 0, 0x80, &err), ==, -1);
    g_assert_cmpstr(err->message, ==,
                    "test-pci-dev: no room for capability 0x09 (128 bytes) in config space");
    g_clear_error(&err);
    /* nothing changed by the failures */
    after = cap_chain(d);
    g_assert_cmpstr(after->str, ==, "09@64 01@80 11@58 05@40 ");
    g_string_free(after, TRUE);

    /* a second MSI or MSI-X capability is refused */
    g_assert_cmpint(msi_init(d, 0, 1, false, false, &err), ==, -1);
    g_assert_nonnull(strstr(err->message, "already present"));
    g_clear_error(&err);
    g_assert_cmpint(msi_init(d, 0, 3, false, false, &err), ==, -1);
    g_assert_nonnull(strstr(err->message, "not a power of two"));
    g_clear_error(&err);
    fake_host_free(h);
}

static void enable_msi(PCIDevice *d, uint64_t addr, uint16_t data, unsigned log2_nvec)
{
    uint8_t c = d->msi_cap;

    cfg_write(d, c + 4, addr, 4);
    cfg_write(d, c + 8, addr >> 32, 4);
    cfg_write(d, c + 12, data, 2);
    cfg_write(d, c + 2, 0x0001 | log2_nvec << 4, 2);
}

static void test_msi(void)
{
    FakeHost *h = fake_host_new(false);
    PCIDevice *d = add_ok(h, "test-pci-dev", NULL, NULL);
    uint8_t c = d->msi_cap;
    FakeDma *w;

    /* control: 64-bit, per-vector masks, 4 vectors capable (MMC 2) */
    g_assert_cmphex(cfg_read(d, c, 1), ==, PCI_CAP_ID_MSI);
    g_assert_cmphex(cfg_read(d, c + 2, 2), ==, 0x0184);
    g_assert_cmpuint(msi_max_vectors(d), ==, 4);
    g_assert_false(msi_enabled(d));

    /* nothing happens while MSI is disabled */
    cfg_write(d, PCI_COMMAND, PCI_COMMAND_MASTER, 2);
    msi_notify(d, 0);
    g_assert_cmpuint(h->dma_log->len, ==, 0);

    /* the address's low 2 bits and the capability bits are read-only */
    enable_msi(d, FAKE_RAM_BASE + 0x103, 0x4440, 2);
    g_assert_cmphex(cfg_read(d, c + 4, 4), ==, FAKE_RAM_BASE + 0x100);
    g_assert_cmphex(cfg_read(d, c + 2, 2), ==, 0x01a5);
    cfg_write(d, c + 2, 0xffff, 2);
    g_assert_cmphex(cfg_read(d, c + 2, 2), ==, 0x01f5);
    /* enabling more than capable: the function still uses what it has */
    g_assert_cmpuint(msi_nr_vectors_allocated(d), ==, 4);
    cfg_write(d, c + 2, 0x0021, 2);
    g_assert_cmpuint(msi_nr_vectors_allocated(d), ==, 4);
    g_assert_true(msi_enabled(d));

    /* vector 2: a 32-bit write of data | 2 */
    msi_notify(d, 2);
    g_assert_cmpuint(h->dma_log->len, ==, 1);
    w = last_dma(h);
    g_assert_true(w->is_write);
    g_assert_cmphex(w->addr, ==, FAKE_RAM_BASE + 0x100);
    g_assert_cmpuint(w->len, ==, 4);
    g_assert_cmphex(w->first_word, ==, 0x4442);
    g_assert_cmphex(pci_get_long(h->ram + 0x100), ==, 0x4442);
    /* beyond what is enabled: dropped */
    msi_notify(d, 4);
    g_assert_cmpuint(h->dma_log->len, ==, 1);

    /* a masked vector becomes pending, unmasking sends it */
    cfg_write(d, c + 0x10, 0x2, 4);
    msi_notify(d, 1);
    g_assert_cmpuint(h->dma_log->len, ==, 1);
    g_assert_cmphex(cfg_read(d, c + 0x14, 4), ==, 0x2);
    cfg_write(d, c + 0x14, 0, 4);               /* pending is read-only */
    g_assert_cmphex(cfg_read(d, c + 0x14, 4), ==, 0x2);
    cfg_write(d, c + 0x10, 0x0, 4);
    g_assert_cmpuint(h->dma_log->len, ==, 2);
    g_assert_cmphex(last_dma(h)->first_word, ==, 0x4441);
    g_assert_cmphex(cfg_read(d, c + 0x14, 4), ==, 0);
    /* mask bits beyond the capable vectors are read-only */
    cfg_write(d, c + 0x10, 0xffffffff, 4);
    g_assert_cmphex(cfg_read(d, c + 0x10, 4), ==, 0xf);
    cfg_write(d, c + 0x10, 0, 4);

    /* the platform's ibm,change-msi */
    msi_set_message(d, 0x1234567800ull, 0x20, 1);
    g_assert_true(msi_enabled(d));
    g_assert_cmpuint(msi_nr_vectors_allocated(d), ==, 1);
    g_assert_cmphex(cfg_read(d, c + 4, 4), ==, 0x34567800);
    g_assert_cmphex(cfg_read(d, c + 8, 4), ==, 0x12);
    g_assert_cmphex(cfg_read(d, c + 12, 2), ==, 0x20);
    msi_notify(d, 0);
    g_assert_cmphex(last_dma(h)->addr, ==, 0x1234567800ull);
    g_assert_cmpint(last_dma(h)->result, ==, MEMTX_ERROR);  /* our IOMMU refuses it */
    msi_set_message(d, 0, 0, 0);
    g_assert_false(msi_enabled(d));
    fake_host_free(h);
}

static void test_msi_32bit(void)
{
    FakeHost *h = fake_host_new(false);
    const char *const props[] = { "msi32=on", NULL };
    PCIDevice *d = add_ok(h, "test-pci-dev", NULL, props);
    uint8_t c = d->msi_cap;
    g_autoptr(GString) chain = cap_chain(d);

    /* 0x0a bytes: MSI-X goes at the next free dword, 0x4c */
    g_assert_cmpstr(chain->str, ==, "11@4c 05@40 ");
    g_assert_cmphex(cfg_read(d, c + 2, 2), ==, 0x0000);
    g_assert_cmpuint(msi_max_vectors(d), ==, 1);
    cfg_write(d, c + 4, FAKE_RAM_BASE + 0x40, 4);
    cfg_write(d, c + 8, 0xbeef, 2);
    cfg_write(d, c + 2, 1, 2);
    cfg_write(d, PCI_COMMAND, PCI_COMMAND_MASTER, 2);
    msi_notify(d, 0);
    g_assert_cmphex(pci_get_long(h->ram + 0x40), ==, 0xbeef);
    msi_set_message(d, FAKE_RAM_BASE + 0x80, 0x77, 1);
    g_assert_cmphex(cfg_read(d, c + 8, 2), ==, 0x77);
    msi_notify(d, 0);
    g_assert_cmphex(pci_get_long(h->ram + 0x80), ==, 0x77);
    fake_host_free(h);
}

#define MSIX_BAR 0x40000000u

static void msix_write_entry(FakeHost *h, unsigned v, uint64_t addr, uint32_t data, bool mask)
{
    uint64_t e = MSIX_BAR + v * 16;

    bus_writeq(h, e, addr);
    bus_writel(h, e + 8, data);
    bus_writel(h, e + 12, mask);
}

static void test_msix(void)
{
    FakeHost *h = fake_host_new(false);
    PCIDevice *d = add_ok(h, "test-pci-dev", NULL, NULL);
    uint8_t c = d->msix_cap;

    g_assert_cmphex(cfg_read(d, c, 1), ==, PCI_CAP_ID_MSIX);
    g_assert_cmphex(cfg_read(d, c + 2, 2), ==, 3);          /* table size - 1 */
    g_assert_cmphex(cfg_read(d, c + 4, 4), ==, 0x000);      /* BAR0 offset 0 */
    g_assert_cmphex(cfg_read(d, c + 8, 4), ==, 0x800);      /* BAR0 offset 0x800 */
    g_assert_cmpuint(msix_nr_vectors(d), ==, 4);
    fake_host_map_bar0(d, MSIX_BAR, true);

    /* every vector starts masked; the vector control's other bits are 0 */
    for (unsigned v = 0; v < 4; v++) {
        g_assert_cmphex(bus_readl(h, MSIX_BAR + v * 16 + 12), ==, 1);
    }
    msix_write_entry(h, 0, FAKE_RAM_BASE + 0x200, 0x10, false);
    msix_write_entry(h, 1, FAKE_RAM_BASE + 0x210, 0x11, true);
    g_assert_cmphex(bus_readq(h, MSIX_BAR), ==, FAKE_RAM_BASE + 0x200);
    g_assert_cmphex(bus_readl(h, MSIX_BAR + 8), ==, 0x10);
    bus_writel(h, MSIX_BAR + 16 + 12, 0xfffffffe | 1);
    g_assert_cmphex(bus_readl(h, MSIX_BAR + 16 + 12), ==, 1);
    /* a passthrough device hears of every change of a message, not of masking */
    g_assert_cmpint(TEST_DEV(d)->msi_changes, ==, 4);     /* address and data, twice */
    bus_writel(h, MSIX_BAR + 8, 0x10);
    bus_writel(h, MSIX_BAR + 12, 0);
    g_assert_cmpint(TEST_DEV(d)->msi_changes, ==, 4);
    /* the table hides BAR0's own bytes, what is past it is the BAR's */
    bus_writel(h, MSIX_BAR + 0x400, 0x12345678);
    g_assert_cmphex(pci_get_long(TEST_DEV(d)->bar0.data + 0x400), ==, 0x12345678);

    /* disabled: nothing, not even pending */
    msix_notify(d, 0);
    g_assert_cmpuint(h->dma_log->len, ==, 0);
    g_assert_cmphex(bus_readq(h, MSIX_BAR + 0x800), ==, 0);

    cfg_write(d, c + 2, 0x8000, 2);
    g_assert_true(msix_enabled(d));
    msix_notify(d, 0);
    g_assert_cmpuint(h->dma_log->len, ==, 1);
    g_assert_cmphex(last_dma(h)->addr, ==, FAKE_RAM_BASE + 0x200);
    g_assert_cmphex(pci_get_long(h->ram + 0x200), ==, 0x10);

    /* masked vector: pending bit in the PBA, unmasking delivers */
    msix_notify(d, 1);
    g_assert_cmpuint(h->dma_log->len, ==, 1);
    g_assert_cmphex(bus_readq(h, MSIX_BAR + 0x800), ==, 0x2);
    bus_writeq(h, MSIX_BAR + 0x800, 0);          /* the PBA is read-only */
    g_assert_cmphex(bus_readq(h, MSIX_BAR + 0x800), ==, 0x2);
    bus_writel(h, MSIX_BAR + 16 + 12, 0);
    g_assert_cmpuint(h->dma_log->len, ==, 2);
    g_assert_cmphex(pci_get_long(h->ram + 0x210), ==, 0x11);
    g_assert_cmphex(bus_readq(h, MSIX_BAR + 0x800), ==, 0);

    /* function mask: everything pends, clearing it delivers */
    cfg_write(d, c + 2, 0xc000, 2);
    msix_notify(d, 0);
    msix_notify(d, 1);
    g_assert_cmpuint(h->dma_log->len, ==, 2);
    g_assert_cmphex(bus_readq(h, MSIX_BAR + 0x800), ==, 0x3);
    cfg_write(d, c + 2, 0x8000, 2);
    g_assert_cmpuint(h->dma_log->len, ==, 4);
    g_assert_cmphex(bus_readq(h, MSIX_BAR + 0x800), ==, 0);

    /* the platform's ibm,change-msi programs address and data only */
    msix_set_message(d, 2, FAKE_RAM_BASE + 0x220, 0x12);
    g_assert_cmphex(bus_readl(h, MSIX_BAR + 32 + 8), ==, 0x12);
    g_assert_cmpint(TEST_DEV(d)->msi_changes, ==, 5);
    msix_notify(d, 2);
    g_assert_cmpuint(h->dma_log->len, ==, 4);
    bus_writel(h, MSIX_BAR + 32 + 12, 0);
    g_assert_cmphex(pci_get_long(h->ram + 0x220), ==, 0x12);
    /* out of range vectors are ignored */
    msix_notify(d, 4);
    msix_set_message(d, 9, 0, 0);
    g_assert_cmpuint(h->dma_log->len, ==, 5);
    fake_host_free(h);
}

/* MSI-X placement errors: a device that realizes with a broken layout. */
static void test_msix_errors(void)
{
    FakeHost *h = fake_host_new(false);
    PCIDevice *d = add_ok(h, "test-bare-dev", NULL, NULL);
    g_autoptr(GError) err = NULL;
    MemoryRegion mr;

    memory_region_init(&mr, "small", 0x100);
    g_assert_cmpint(msix_init(d, 32, &mr, 0, 0, &mr, 0, 0x80, 0, &err), ==, -1);
    g_assert_cmpstr(err->message, ==,
                    "test-bare-dev: MSI-X table (0x200 bytes at 0x0) does not fit in BAR 0");
    g_clear_error(&err);
    g_assert_cmpint(msix_init(d, 4, &mr, 0, 0, &mr, 0, 0x20, 0, &err), ==, -1);
    g_assert_cmpstr(err->message, ==, "test-bare-dev: MSI-X table and PBA overlap in BAR 0");
    g_clear_error(&err);
    g_assert_cmpint(msix_init(d, 4, &mr, 0, 4, &mr, 0, 0x80, 0, &err), ==, -1);
    g_assert_nonnull(strstr(err->message, "not 8-byte aligned"));
    g_clear_error(&err);
    g_assert_cmpint(msix_init(d, 0, &mr, 0, 0, &mr, 0, 0x80, 0, &err), ==, -1);
    g_clear_error(&err);
    g_assert_cmpint(msix_init(d, 4, &mr, 6, 0, &mr, 0, 0x80, 0, &err), ==, -1);
    g_clear_error(&err);
    g_assert_cmpuint(d->msix_cap, ==, 0);
    g_assert_cmphex(cfg_read(d, PCI_CAPABILITY_LIST, 1), ==, 0);
    g_assert_cmpuint(mr.subregions->len, ==, 0);
    memory_region_finalize(&mr);
    fake_host_free(h);
}

static void test_intx(void)
{
    FakeHost *h = fake_host_new(false);
    PCIDevice *d = add_ok(h, "test-pci-dev", "03.0", NULL);
    int devfn = PCI_DEVFN(3, 0);

    pci_set_irq(d, 1);
    g_assert_cmpuint(h->irq_log->len, ==, 1);
    g_assert_cmpint(fake_host_irq_level(h, devfn, 1), ==, 1);   /* INTB is pin 1 */
    g_assert_true(cfg_read(d, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
    /* only changes reach the bridge */
    pci_set_irq(d, 1);
    g_assert_cmpuint(h->irq_log->len, ==, 1);

    /* INTX_DISABLE drops the line but not the status bit */
    cfg_write(d, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE, 2);
    g_assert_cmpuint(h->irq_log->len, ==, 2);
    g_assert_cmpint(fake_host_irq_level(h, devfn, 1), ==, 0);
    g_assert_true(cfg_read(d, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
    pci_set_irq(d, 0);
    pci_set_irq(d, 1);
    g_assert_cmpuint(h->irq_log->len, ==, 2);
    /* enabling again with the request up asserts the line */
    cfg_write(d, PCI_COMMAND, 0, 2);
    g_assert_cmpuint(h->irq_log->len, ==, 3);
    g_assert_cmpint(fake_host_irq_level(h, devfn, 1), ==, 1);
    pci_set_irq(d, 0);
    g_assert_cmpuint(h->irq_log->len, ==, 4);
    g_assert_cmpint(fake_host_irq_level(h, devfn, 1), ==, 0);
    g_assert_false(cfg_read(d, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
    /* the status bit is read-only */
    cfg_write(d, PCI_STATUS, PCI_STATUS_INTERRUPT, 2);
    g_assert_false(cfg_read(d, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);

    /* unrealize lowers an asserted line */
    pci_set_irq(d, 1);
    g_assert_cmpint(fake_host_irq_level(h, devfn, 1), ==, 1);
    fake_host_del(h, d);
    g_assert_cmpint(fake_host_irq_level(h, devfn, 1), ==, 0);

    /* a function without a pin drives nothing */
    d = add_ok(h, "test-bare-dev", NULL, NULL);
    pci_set_irq(d, 1);
    g_assert_cmpuint(h->irq_log->len, ==, 6);
    g_assert_false(cfg_read(d, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
    fake_host_free(h);
}

static void test_config_size(void)
{
    FakeHost *h = fake_host_new(false);
    const char *const pcie[] = { "pcie=on", NULL };
    PCIDevice *conv = add_ok(h, "test-pci-dev", NULL, NULL);
    PCIDevice *expr = add_ok(h, "test-pcie-dev", NULL, pcie);
    PCIDevice *nocap = add_ok(h, "test-pcie-dev", NULL, NULL);
    g_autoptr(GError) err = NULL;
    g_autoptr(GString) chain = NULL;
    uint8_t e;

    g_assert_cmpuint(conv->config_size, ==, 256);
    g_assert_cmpuint(expr->config_size, ==, 4096);
    g_assert_cmpuint(nocap->config_size, ==, 4096);
    g_assert_false(pci_is_express(conv));
    g_assert_true(pci_is_express(expr));
    g_assert_false(pci_is_express(nocap));

    /* the PCIe capability: v2 endpoint, x1 at 2.5 GT/s */
    chain = cap_chain(expr);
    g_assert_cmpstr(chain->str, ==, "10@64 11@58 05@40 ");
    e = expr->exp_cap;
    g_assert_cmpuint(e, ==, 0x64);
    g_assert_cmphex(cfg_read(expr, e + 2, 2), ==, 0x0002);
    g_assert_cmphex(cfg_read(expr, e + 8, 2), ==, 0x2810);
    g_assert_cmphex(cfg_read(expr, e + 0x12, 2), ==, 0x0011);
    cfg_write(expr, e + 8, 0xffff, 2);
    g_assert_cmphex(cfg_read(expr, e + 8, 2), ==, 0x78ff);
    expr->config[e + 0xa] = 0x5;                 /* errors detected: write 1 to clear */
    cfg_write(expr, e + 0xa, 0x1, 2);
    g_assert_cmphex(cfg_read(expr, e + 0xa, 2), ==, 0x4);

    /* the bridge does not pass extended config cycles: 256 bytes for all */
    g_assert_cmpuint(pci_config_size_visible(conv), ==, 256);
    g_assert_cmpuint(pci_config_size_visible(expr), ==, 256);
    g_assert_cmphex(cfg_read(expr, 0x100, 4), ==, 0xffffffff);
    /* with them, only a PCIe function has 4 KiB */
    h->bus->extended_config = true;
    g_assert_cmpuint(pci_config_size_visible(conv), ==, 256);
    g_assert_cmpuint(pci_config_size_visible(expr), ==, 4096);
    g_assert_cmpuint(pci_config_size_visible(nocap), ==, 256);
    /* no extended capabilities: a zero header at 0x100 */
    g_assert_cmphex(cfg_read(expr, 0x100, 4), ==, 0);
    g_assert_cmphex(cfg_read(expr, 0xffc, 4), ==, 0);
    g_assert_cmphex(cfg_read(expr, 0xffe, 4), ==, 0xffffffff);
    g_assert_cmphex(cfg_read(conv, 0x100, 4), ==, 0xffffffff);
    g_assert_cmphex(cfg_read(nocap, 0x100, 2), ==, 0xffff);

    /* a PCIe capability on a conventional function is refused */
    g_assert_cmpint(pcie_endpoint_cap_init(conv, 0, &err), ==, -1);
    g_assert_nonnull(strstr(err->message, "requires is_express"));
    g_assert_true(g_str_has_prefix(err->message, "test-pci-dev: "));
    g_clear_error(&err);
    g_assert_null(fake_host_add(h, "test-pci-dev", NULL, pcie, &err));
    g_assert_nonnull(strstr(err->message, "requires is_express"));
    g_clear_error(&err);
    g_assert_cmpint(pcie_endpoint_cap_init(expr, 0, &err), ==, -1);
    g_assert_nonnull(strstr(err->message, "already present"));
    fake_host_free(h);
}

static void test_out_of_range(void)
{
    FakeHost *h = fake_host_new(true);
    PCIDevice *d = add_ok(h, "test-pci-dev", NULL, NULL);

    cfg_write(d, PCI_INTERRUPT_LINE, 0x11, 1);
    /* across the end, past it, odd sizes: all ones, writes dropped */
    g_assert_cmphex(cfg_read(d, 0xfe, 4), ==, 0xffffffff);
    g_assert_cmphex(cfg_read(d, 0x100, 1), ==, 0xff);
    g_assert_cmphex(cfg_read(d, 0x100, 2), ==, 0xffff);
    g_assert_cmphex(cfg_read(d, 0xffffffff, 1), ==, 0xff);
    g_assert_cmphex(cfg_read(d, PCI_VENDOR_ID, 3), ==, 0xffffff);
    g_assert_cmphex(cfg_read(d, PCI_VENDOR_ID, 8), ==, 0xffffffff);
    g_assert_cmphex(cfg_read(d, 0xfc, 4), !=, 0xffffffff);
    cfg_write(d, 0xfe, 0, 4);
    cfg_write(d, PCI_INTERRUPT_LINE, 0x22, 3);
    cfg_write(d, 0xffffffff, 0, 1);
    g_assert_cmphex(cfg_read(d, PCI_INTERRUPT_LINE, 1), ==, 0x11);
    /* unaligned inside is fine */
    g_assert_cmphex(cfg_read(d, PCI_VENDOR_ID + 1, 2), ==, 0x051b);
    fake_host_free(h);
}

static void test_multifunction(void)
{
    FakeHost *h = fake_host_new(false);
    const char *const mf[] = { "multifunction=on", NULL };
    PCIDevice *f1, *f0, *g0, *g2, *solo;

    /* function 1 first, then function 0: 0 is marked */
    f1 = add_ok(h, "test-bare-dev", "03.1", NULL);
    g_assert_cmphex(cfg_read(f1, PCI_HEADER_TYPE, 1), ==, 0);
    f0 = add_ok(h, "test-bare-dev", "03.0", NULL);
    g_assert_cmphex(cfg_read(f0, PCI_HEADER_TYPE, 1), ==, PCI_HEADER_TYPE_MULTI_FUNCTION);

    /* function 0 first, then another */
    g0 = add_ok(h, "test-bare-dev", "04.0", NULL);
    g_assert_cmphex(cfg_read(g0, PCI_HEADER_TYPE, 1), ==, 0);
    g2 = add_ok(h, "test-bare-dev", "04.2", NULL);
    g_assert_cmphex(cfg_read(g0, PCI_HEADER_TYPE, 1), ==, PCI_HEADER_TYPE_MULTI_FUNCTION);
    /* and cleared when it goes */
    fake_host_del(h, g2);
    g_assert_cmphex(cfg_read(g0, PCI_HEADER_TYPE, 1), ==, 0);

    /* multifunction=on says so on its own */
    solo = add_ok(h, "test-bare-dev", "05.0", mf);
    g_assert_cmphex(cfg_read(solo, PCI_HEADER_TYPE, 1), ==, PCI_HEADER_TYPE_MULTI_FUNCTION);

    /* automatic addresses take the first slot with no function in use */
    g_assert_cmpint(add_ok(h, "test-bare-dev", NULL, NULL)->devfn, ==, PCI_DEVFN(0, 0));
    g_assert_cmpint(add_ok(h, "test-bare-dev", NULL, NULL)->devfn, ==, PCI_DEVFN(1, 0));
    g_assert_cmpint(add_ok(h, "test-bare-dev", NULL, NULL)->devfn, ==, PCI_DEVFN(2, 0));
    g_assert_cmpint(add_ok(h, "test-bare-dev", NULL, NULL)->devfn, ==, PCI_DEVFN(6, 0));
    fake_host_free(h);
}

static void test_devfn_conflict(void)
{
    FakeHost *h = fake_host_new(false);
    g_autoptr(GError) err = NULL;
    PCIDevice *d;
    Device *dev;

    add_ok(h, "test-pci-dev", "05.0", NULL);
    g_assert_null(fake_host_add(h, "test-bare-dev", "05.0", NULL, &err));
    g_assert_cmpstr(err->message, ==,
                    "PCI: slot 5 function 0 not available for test-bare-dev, "
                    "in use by test-pci-dev");
    g_clear_error(&err);
    g_assert_cmpuint(h->bus->parent.children->len, ==, 1);

    /* every slot full */
    for (int s = 0; s < 32; s++) {
        if (s != 5) {
            g_autofree char *a = g_strdup_printf("%x.0", s);
            add_ok(h, "test-bare-dev", a, NULL);
        }
    }
    g_assert_null(fake_host_add(h, "test-bare-dev", NULL, NULL, &err));
    g_assert_cmpstr(err->message, ==, "PCI: no slot available for test-bare-dev, all in use");
    g_clear_error(&err);
    /* a free function still works */
    d = add_ok(h, "test-bare-dev", "1f.7", NULL);
    g_assert_cmpint(d->devfn, ==, 0xff);

    /* not a PCI bus */
    dev = qdev_new("test-bare-dev");
    {
        Bus *other = qbus_new(TYPE_BUS, NULL, "not-pci");
        g_assert_false(qdev_realize(dev, other, &err));
        g_assert_cmpstr(err->message, ==, "test-bare-dev: must be plugged into a PCI bus");
        g_clear_error(&err);
        g_object_unref(other);
    }
    g_object_unref(dev);
    fake_host_free(h);
}

static void test_realize_failure(void)
{
    FakeHost *h = fake_host_new(false);
    const char *const fail[] = { "fail=on", NULL };
    g_autoptr(GError) err = NULL;
    Device *dev = qdev_new("test-pci-dev");
    PCIDevice *d = PCI_DEVICE(dev);

    g_assert_true(object_property_parse(OBJECT(dev), "fail", "on", NULL));
    g_assert_false(qdev_realize(dev, BUS(h->bus), &err));
    g_assert_cmpstr(err->message, ==, "test-pci-dev: asked to fail");
    g_clear_error(&err);
    /* nothing left: slot, arrays, MSI-X, address property */
    g_assert_null(pci_find_device(h->bus, 0));
    g_assert_null(d->config);
    g_assert_null(d->msix_table);
    g_assert_cmpint(d->devfn, ==, -1);
    g_assert_cmpuint(d->msix_cap, ==, 0);
    g_assert_cmpuint(h->bus->address_space_mem.subregions->len, ==, 0);
    /* it can be fixed and realized again */
    g_assert_true(object_property_parse(OBJECT(dev), "fail", "off", NULL));
    g_assert_true(qdev_realize(dev, BUS(h->bus), &err));
    g_assert_no_error(err);
    g_assert_true(pci_find_device(h->bus, 0) == d);
    g_ptr_array_add(h->devices, dev);

    g_assert_null(fake_host_add(h, "test-pci-dev", "04.0", fail, &err));
    g_clear_error(&err);
    g_assert_null(pci_find_device(h->bus, PCI_DEVFN(4, 0)));
    add_ok(h, "test-pci-dev", "04.0", NULL);
    fake_host_free(h);
}

static void test_config_hooks(void)
{
    FakeHost *h = fake_host_new(false);
    PCIDevice *d = add_ok(h, "test-hook-dev", NULL, NULL);
    TestHookDev *t = (TestHookDev *)d;

    g_assert_cmphex(cfg_read(d, HOOK_REG, 4), ==, 0xfeedface);
    g_assert_cmphex(cfg_read(d, PCI_VENDOR_ID, 2), ==, 0x1af4);
    cfg_write(d, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    g_assert_cmphex(cfg_read(d, PCI_COMMAND, 2), ==, PCI_COMMAND_MEMORY);
    /* the bus range check comes first: the hooks never see these */
    cfg_read(d, 0x100, 4);
    cfg_write(d, 0xfe, 0, 4);
    cfg_read(d, 0, 3);
    g_assert_cmpstr(t->log->str, ==, "r48/4;r0/2;w4/2=2;r4/2;");
    fake_host_free(h);
}

static void test_bus_master(void)
{
    FakeHost *h = fake_host_new(false);
    PCIDevice *d = add_ok(h, "test-pci-dev", NULL, NULL);
    uint8_t buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    uint8_t rd[8] = { 0 };

    g_assert_cmpint(pci_dma_write(d, FAKE_RAM_BASE, buf, 8), ==, MEMTX_ERROR);
    g_assert_cmpint(pci_dma_read(d, FAKE_RAM_BASE, rd, 8), ==, MEMTX_ERROR);
    g_assert_cmpuint(h->dma_log->len, ==, 0);
    g_assert_cmphex(h->ram[0], ==, 0);

    cfg_write(d, PCI_COMMAND, PCI_COMMAND_MASTER, 2);
    g_assert_cmpint(pci_dma_write(d, FAKE_RAM_BASE, buf, 8), ==, MEMTX_OK);
    g_assert_cmpint(pci_dma_read(d, FAKE_RAM_BASE + 4, rd, 4), ==, MEMTX_OK);
    g_assert_cmphex(rd[0], ==, 5);
    g_assert_cmpuint(h->dma_log->len, ==, 2);
    /* what the bridge refuses comes back as an error */
    g_assert_cmpint(pci_dma_read(d, 0x10, rd, 4), ==, MEMTX_ERROR);
    fake_host_free(h);
}

static void test_reset(void)
{
    FakeHost *h = fake_host_new(false);
    PCIDevice *d = add_ok(h, "test-pci-dev", "01.0", NULL);
    int devfn = PCI_DEVFN(1, 0);

    fake_host_map_bar0(d, MSIX_BAR, true);
    cfg_write(d, PCI_BASE_ADDRESS_0 + 8, 0x10000, 4);
    cfg_write(d, PCI_BASE_ADDRESS_0 + 12, 0x1, 4);
    cfg_write(d, PCI_INTERRUPT_LINE, 9, 1);
    cfg_write(d, PCI_ROM_ADDRESS, 0xa0000001, 4);
    enable_msi(d, FAKE_RAM_BASE, 0x10, 0);
    cfg_write(d, d->msix_cap + 2, 0xc000, 2);
    msix_write_entry(h, 0, FAKE_RAM_BASE, 1, false);
    pci_set_irq(d, 1);
    d->config[PCI_STATUS + 1] |= 0x20;
    g_assert_cmphex(pci_bar_address(d, 2), ==, 0x100010000ull);
    g_assert_true(msi_enabled(d));
    g_assert_true(msix_enabled(d));

    qdev_reset(DEVICE(d));
    g_assert_cmphex(cfg_read(d, PCI_COMMAND, 2), ==, 0);
    g_assert_cmphex(cfg_read(d, PCI_STATUS, 2), ==, PCI_STATUS_CAP_LIST);
    g_assert_cmphex(cfg_read(d, PCI_INTERRUPT_LINE, 1), ==, 0);
    g_assert_cmphex(cfg_read(d, PCI_INTERRUPT_PIN, 1), ==, 2);
    g_assert_cmphex(cfg_read(d, PCI_BASE_ADDRESS_0, 4), ==, 0);
    g_assert_cmphex(cfg_read(d, PCI_BASE_ADDRESS_0 + 8, 4), ==, 0x0c);
    g_assert_cmphex(cfg_read(d, PCI_BASE_ADDRESS_0 + 12, 4), ==, 0);
    g_assert_cmphex(cfg_read(d, PCI_BASE_ADDRESS_0 + 16, 4), ==, 0x01);
    g_assert_cmphex(cfg_read(d, PCI_ROM_ADDRESS, 4), ==, 0);
    for (int i = 0; i < PCI_NUM_REGIONS; i++) {
        g_assert_cmphex(pci_bar_address(d, i), ==, PCI_BAR_UNMAPPED);
    }
    g_assert_cmpuint(h->bus->address_space_mem.subregions->len, ==, 0);
    g_assert_false(msi_enabled(d));
    g_assert_cmphex(cfg_read(d, d->msi_cap + 4, 4), ==, 0);
    g_assert_false(msix_enabled(d));
    g_assert_cmphex(cfg_read(d, d->msix_cap + 2, 2), ==, 3);
    g_assert_cmpint(fake_host_irq_level(h, devfn, 1), ==, 0);
    g_assert_false(cfg_read(d, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
    /* MSI-X vectors masked again */
    fake_host_map_bar0(d, MSIX_BAR, true);
    g_assert_cmphex(bus_readl(h, MSIX_BAR + 12), ==, 1);
    g_assert_cmphex(bus_readq(h, MSIX_BAR), ==, 0);
    /* the identity is untouched */
    g_assert_cmphex(cfg_read(d, PCI_VENDOR_ID, 4), ==, 0x00051b36);

    /* bus reset reaches it too */
    cfg_write(d, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    bus_reset(BUS(h->bus));
    g_assert_cmphex(cfg_read(d, PCI_COMMAND, 2), ==, 0);
    fake_host_free(h);
}

static void test_unrealize(void)
{
    FakeHost *h = fake_host_new(false);
    PCIDevice *d = add_ok(h, "test-pci-dev", "07.0", NULL);
    TestDev *t = TEST_DEV(d);

    fake_host_map_bar0(d, MSIX_BAR, true);
    g_object_ref(d);
    fake_host_del(h, d);
    /* the class exit ran once, the core dropped the rest */
    g_assert_cmpint(t->exits, ==, 1);
    g_assert_null(d->config);
    g_assert_null(d->msix_table);
    g_assert_cmpuint(d->config_size, ==, 0);
    g_object_unref(d);
    g_assert_null(pci_find_device(h->bus, PCI_DEVFN(7, 0)));
    g_assert_cmphex(bus_readl(h, MSIX_BAR + 12), ==, 0xffffffff);
    g_assert_cmpuint(h->bus->address_space_mem.subregions->len, ==, 0);
    /* the slot can be used again */
    d = add_ok(h, "test-pci-dev", "07.0", NULL);
    g_assert_cmpint(d->devfn, ==, PCI_DEVFN(7, 0));
    fake_host_free(h);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    fake_host_init_types();
    g_type_ensure(test_dev_get_type());
    g_type_ensure(test_pcie_dev_get_type());
    g_type_ensure(test_bare_dev_get_type());
    g_type_ensure(test_hook_dev_get_type());

    g_test_add_func("/pci/header", test_header);
    g_test_add_func("/pci/bar/sizing", test_bar_sizing);
    g_test_add_func("/pci/bar/mapping", test_bar_mapping);
    g_test_add_func("/pci/bar/64bit", test_bar_64bit);
    g_test_add_func("/pci/capabilities", test_capabilities);
    g_test_add_func("/pci/msi", test_msi);
    g_test_add_func("/pci/msi-32bit", test_msi_32bit);
    g_test_add_func("/pci/msix", test_msix);
    g_test_add_func("/pci/msix-errors", test_msix_errors);
    g_test_add_func("/pci/intx", test_intx);
    g_test_add_func("/pci/config-size", test_config_size);
    g_test_add_func("/pci/out-of-range", test_out_of_range);
    g_test_add_func("/pci/multifunction", test_multifunction);
    g_test_add_func("/pci/devfn-conflict", test_devfn_conflict);
    g_test_add_func("/pci/realize-failure", test_realize_failure);
    g_test_add_func("/pci/config-hooks", test_config_hooks);
    g_test_add_func("/pci/bus-master", test_bus_master);
    g_test_add_func("/pci/reset", test_reset);
    g_test_add_func("/pci/unrealize", test_unrealize);
    return g_test_run();
}
