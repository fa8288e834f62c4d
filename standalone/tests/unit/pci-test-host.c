/*
 * The fake PCI host bridge of the unit tests (see pci-test-host.h).
 */
#include "qemu/osdep.h"
#include "qemu/module.h"
#include "pci-test-host.h"

typedef struct TestPciHost {
    Device parent;
} TestPciHost;
typedef struct TestPciHostClass {
    DeviceClass parent_class;
} TestPciHostClass;

GType test_pci_host_get_type(void);
OBJECT_DEFINE_TYPE(TestPciHost, test_pci_host, "test-pci-host", TYPE_DEVICE)

static void test_pci_host_init(TestPciHost *h) {}
static void test_pci_host_class_init(TestPciHostClass *klass) {}

void fake_host_init_types(void)
{
    static bool done;

    if (!done) {
        module_call_init();
        g_type_ensure(test_pci_host_get_type());
        done = true;
    }
}

static bool refused(FakeHost *h, uint64_t addr, uint64_t len)
{
    if (addr < FAKE_RAM_BASE || len > FAKE_RAM_SIZE ||
        addr - FAKE_RAM_BASE > FAKE_RAM_SIZE - len) {
        return true;
    }
    return h->refuse_len && addr < h->refuse_start + h->refuse_len &&
           h->refuse_start < addr + len;
}

static MemTxResult fake_dma_rw(void *opaque, PCIDevice *dev, uint64_t addr, void *buf,
                               uint64_t len, bool is_write)
{
    FakeHost *h = opaque;
    FakeDma rec = { .addr = addr, .len = len, .is_write = is_write };

    if (is_write) {
        const uint8_t *b = buf;
        for (unsigned i = 0; i < 4 && i < len; i++) {
            rec.first_word |= (uint32_t)b[i] << (8 * i);
        }
    }
    if (refused(h, addr, len)) {
        /* a fault moves no byte in either direction */
        rec.result = MEMTX_ERROR;
    } else if (is_write) {
        memcpy(h->ram + (addr - FAKE_RAM_BASE), buf, len);
    } else {
        memcpy(buf, h->ram + (addr - FAKE_RAM_BASE), len);
    }
    g_array_append_val(h->dma_log, rec);
    return rec.result;
}

static void fake_set_irq(void *opaque, int devfn, int pin, int level)
{
    FakeHost *h = opaque;
    FakeIrq rec = { .devfn = devfn, .pin = pin, .level = level };

    g_array_append_val(h->irq_log, rec);
}

static const PCIBusHostOps fake_host_ops = {
    .dma_rw = fake_dma_rw,
    .set_irq = fake_set_irq,
};

FakeHost *fake_host_new(bool extended_config)
{
    FakeHost *h = g_new0(FakeHost, 1);

    fake_host_init_types();
    h->dev = DEVICE(object_new(test_pci_host_get_type()));
    h->bus = pci_root_bus_new(h->dev, "pci.0", &fake_host_ops, h);
    h->bus->extended_config = extended_config;
    h->dma_log = g_array_new(FALSE, TRUE, sizeof(FakeDma));
    h->irq_log = g_array_new(FALSE, TRUE, sizeof(FakeIrq));
    h->devices = g_ptr_array_new();
    return h;
}

void fake_host_free(FakeHost *h)
{
    while (h->devices->len) {
        fake_host_del(h, g_ptr_array_index(h->devices, h->devices->len - 1));
    }
    g_ptr_array_unref(h->devices);
    pci_root_bus_cleanup(h->bus);
    g_object_unref(h->dev);
    g_array_unref(h->dma_log);
    g_array_unref(h->irq_log);
    g_free(h);
}

PCIDevice *fake_host_add(FakeHost *h, const char *type, const char *addr,
                         const char *const *props, GError **errp)
{
    Device *dev = qdev_new(type);

    g_assert_nonnull(dev);
    if (addr && !object_property_parse(OBJECT(dev), "addr", addr, errp)) {
        goto fail;
    }
    for (int i = 0; props && props[i]; i++) {
        g_auto(GStrv) kv = g_strsplit(props[i], "=", 2);
        if (!object_property_parse(OBJECT(dev), kv[0], kv[1], errp)) {
            goto fail;
        }
    }
    if (!qdev_realize(dev, BUS(h->bus), errp)) {
        goto fail;
    }
    g_ptr_array_add(h->devices, dev);
    return PCI_DEVICE(dev);
fail:
    g_object_unref(dev);
    return NULL;
}

void fake_host_del(FakeHost *h, PCIDevice *dev)
{
    qdev_unrealize(DEVICE(dev));
    g_ptr_array_remove(h->devices, dev);
    g_object_unref(dev);
}

uint32_t bus_readl(FakeHost *h, uint64_t addr)
{
    uint8_t b[4];

    address_space_read(h->bus->mem_as, addr, b, 4);
    return pci_get_long(b);
}

void bus_writel(FakeHost *h, uint64_t addr, uint32_t val)
{
    uint8_t b[4];

    pci_set_long(b, val);
    address_space_write(h->bus->mem_as, addr, b, 4);
}

uint64_t bus_readq(FakeHost *h, uint64_t addr)
{
    uint8_t b[8];

    address_space_read(h->bus->mem_as, addr, b, 8);
    return pci_get_long(b) | (uint64_t)pci_get_long(b + 4) << 32;
}

void bus_writeq(FakeHost *h, uint64_t addr, uint64_t val)
{
    uint8_t b[8];

    pci_set_long(b, val);
    pci_set_long(b + 4, val >> 32);
    address_space_write(h->bus->mem_as, addr, b, 8);
}

uint8_t bus_readb(FakeHost *h, uint64_t addr)
{
    uint8_t b;

    address_space_read(h->bus->mem_as, addr, &b, 1);
    return b;
}

int fake_host_irq_level(FakeHost *h, int devfn, int pin)
{
    for (guint i = h->irq_log->len; i-- > 0;) {
        FakeIrq *r = &g_array_index(h->irq_log, FakeIrq, i);
        if (r->devfn == devfn && r->pin == pin) {
            return r->level;
        }
    }
    return 0;
}

void fake_host_map_bar0(PCIDevice *dev, uint32_t addr, bool master)
{
    uint16_t cmd = PCI_COMMAND_MEMORY | (master ? PCI_COMMAND_MASTER : 0);

    pci_config_write(dev, PCI_BASE_ADDRESS_0, addr, 4);
    pci_config_write(dev, PCI_COMMAND, cmd, 2);
}
