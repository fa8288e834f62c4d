/*
 * PCI core: the "PCI" bus and the abstract "pci-device" type, whose
 * realize gives a function its address on the bus and its config space,
 * plus what a function does on the bus besides config cycles: INTx and
 * DMA through the host bridge.
 *
 * Config space contents, BARs and the capability list are in
 * pci-config.c; MSI, MSI-X and the PCIe capability in their own files.
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "qemu/module.h"
#include "hw/pci/pci.h"
#include "pci-internal.h"
#include "trace-events-all.h"

/* QEMU's defaults when a class names no subsystem (Red Hat, QEMU). */
#define PCI_SUBVENDOR_ID_DEFAULT 0x1af4
#define PCI_SUBDEVICE_ID_DEFAULT 0x1100

/* Bus ------------------------------------------------------------------- */

typedef struct PCIBusClass {
    BusClass parent_class;
} PCIBusClass;

OBJECT_DEFINE_TYPE(PCIBus, pci_bus, TYPE_PCI_BUS, TYPE_BUS)

static void pci_bus_init(PCIBus *bus) {}

static void pci_bus_finalize(GObject *obj)
{
    /* a bridge that forgot pci_root_bus_cleanup must not leak */
    pci_root_bus_cleanup(PCI_BUS(obj));
    G_OBJECT_CLASS(pci_bus_parent_class)->finalize(obj);
}

static void pci_bus_class_init(PCIBusClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = pci_bus_finalize;
    OBJECT_CLASS(klass)->description = "a conventional PCI or PCIe root bus";
}

PCIBus *pci_root_bus_new(Device *parent, const char *name, const PCIBusHostOps *ops,
                         void *opaque)
{
    PCIBus *bus = PCI_BUS(qbus_new(pci_bus_get_type(), parent, name));
    g_autofree char *mem_name = g_strdup_printf("%s-mem", name);
    g_autofree char *io_name = g_strdup_printf("%s-io", name);

    memory_region_init(&bus->address_space_mem, mem_name, UINT64_MAX);
    memory_region_init(&bus->address_space_io, io_name, 0x10000);
    bus->mem_as = address_space_new(mem_name, &bus->address_space_mem);
    bus->io_as = address_space_new(io_name, &bus->address_space_io);
    bus->host_ops = ops;
    bus->host_opaque = opaque;
    return bus;
}

void pci_root_bus_cleanup(PCIBus *bus)
{
    if (!bus->mem_as) {
        return;             /* never set up, or cleaned up already */
    }
    g_clear_pointer(&bus->mem_as, address_space_free);
    g_clear_pointer(&bus->io_as, address_space_free);
    memory_region_finalize(&bus->address_space_mem);
    memory_region_finalize(&bus->address_space_io);
}

PCIDevice *pci_find_device(PCIBus *bus, int devfn)
{
    if (devfn < 0 || devfn >= (int)G_N_ELEMENTS(bus->devices)) {
        return NULL;
    }
    return bus->devices[devfn];
}

/* Device ---------------------------------------------------------------- */

OBJECT_DEFINE_ABSTRACT_TYPE(PCIDevice, pci_device, TYPE_PCI_DEVICE, TYPE_DEVICE)

static const Property pci_device_props[] = {
    { .name = "addr", .kind = PROP_KIND_PCI_DEVFN,
      .offset = PROP_FIELD(PCIDevice, devfn, int32_t),
      .description = "Slot and optional function number, example: 06.0 or 06",
      .defval = (uint64_t)-1 },
    { .name = "multifunction", .kind = PROP_KIND_BOOL,
      .offset = PROP_FIELD(PCIDevice, multifunction, bool),
      .description = "on/off",
      .defval = false },
    DEFINE_PROP_END,
};

static void pci_device_init(PCIDevice *dev)
{
    for (int i = 0; i < PCI_NUM_REGIONS; i++) {
        dev->io_regions[i].addr = PCI_BAR_UNMAPPED;
    }
}

/*
 * The address for @dev: the one it asked for, or with addr=-1 the first
 * slot where no function is in use yet.
 */
static int pci_claim_devfn(PCIBus *bus, PCIDevice *dev, GError **errp)
{
    int devfn = dev->devfn;

    if (devfn < 0) {
        for (int slot = 0; slot < 32; slot++) {
            int fn;
            for (fn = 0; fn < 8 && !bus->devices[PCI_DEVFN(slot, fn)]; fn++) {
            }
            if (fn == 8) {
                return PCI_DEVFN(slot, 0);
            }
        }
        error_setg(errp, "PCI: no slot available for %s, all in use", pci_dev_name(dev));
        return -1;
    }
    if (devfn > 0xff) {
        error_setg(errp, "%s: invalid PCI address 0x%x", pci_dev_name(dev), devfn);
        return -1;
    }
    if (bus->devices[devfn]) {
        error_setg(errp, "PCI: slot %d function %d not available for %s, in use by %s",
                   PCI_SLOT(devfn), PCI_FUNC(devfn), pci_dev_name(dev),
                   pci_dev_name(bus->devices[devfn]));
        return -1;
    }
    return devfn;
}

/*
 * Function 0's header says whether the slot holds more functions; keep
 * it true to the slot whichever function comes or goes first.
 */
static void pci_update_multifunction(PCIBus *bus, int slot)
{
    PCIDevice *f0 = bus->devices[PCI_DEVFN(slot, 0)];
    bool multi;

    if (!f0) {
        return;
    }
    multi = f0->multifunction;
    for (int fn = 1; fn < 8; fn++) {
        multi |= bus->devices[PCI_DEVFN(slot, fn)] != NULL;
    }
    if (multi) {
        f0->config[PCI_HEADER_TYPE] |= PCI_HEADER_TYPE_MULTI_FUNCTION;
    } else {
        f0->config[PCI_HEADER_TYPE] &= ~PCI_HEADER_TYPE_MULTI_FUNCTION;
    }
}

/* Type 0 header from the class, and what the guest may change in it. */
static void pci_init_header(PCIDevice *dev, PCIDeviceClass *pc)
{
    uint8_t *c = dev->config;
    uint16_t subvendor = pc->subsystem_vendor_id;
    uint16_t subdevice = pc->subsystem_id;

    if (!subvendor) {
        subvendor = PCI_SUBVENDOR_ID_DEFAULT;
        subdevice = PCI_SUBDEVICE_ID_DEFAULT;
    }
    pci_set_word(c + PCI_VENDOR_ID, pc->vendor_id);
    pci_set_word(c + PCI_DEVICE_ID, pc->device_id);
    c[PCI_REVISION_ID] = pc->revision;
    c[PCI_CLASS_PROG] = 0;
    pci_set_word(c + PCI_CLASS_DEVICE, pc->class_id);
    c[PCI_HEADER_TYPE] = dev->multifunction ? PCI_HEADER_TYPE_MULTI_FUNCTION : 0;
    pci_set_word(c + PCI_SUBSYSTEM_VENDOR_ID, subvendor);
    pci_set_word(c + PCI_SUBSYSTEM_ID, subdevice);

    pci_set_word(dev->wmask + PCI_COMMAND,
                 PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
                 PCI_COMMAND_PARITY_RESP | PCI_COMMAND_SERR_EN | PCI_COMMAND_INTX_DISABLE);
    pci_set_word(dev->w1cmask + PCI_STATUS, PCI_STATUS_ERROR_W1C);
    dev->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
    dev->wmask[PCI_LATENCY_TIMER] = 0xff;
    dev->wmask[PCI_INTERRUPT_LINE] = 0xff;
}

/* Drop everything realize built on @dev (config arrays, MSI-X, BARs). */
static void pci_device_release(PCIDevice *dev)
{
    PCIBus *bus = pci_get_bus(dev);

    for (int i = 0; i < PCI_NUM_REGIONS; i++) {
        PCIIORegion *r = &dev->io_regions[i];
        if (r->addr != PCI_BAR_UNMAPPED && r->mr->container) {
            memory_region_del_subregion(r->mr->container, r->mr);
        }
        *r = (PCIIORegion){ .addr = PCI_BAR_UNMAPPED };
    }
    msix_uninit(dev);
    if (dev->devfn >= 0 && bus->devices[dev->devfn] == dev) {
        bus->devices[dev->devfn] = NULL;
    }
    g_clear_pointer(&dev->config, g_free);
    g_clear_pointer(&dev->wmask, g_free);
    g_clear_pointer(&dev->w1cmask, g_free);
    g_clear_pointer(&dev->used, g_free);
    dev->config_size = 0;
    dev->msi_cap = dev->msix_cap = dev->exp_cap = 0;
    dev->irq_level = 0;
}

static gboolean pci_device_realize(Device *d, GError **errp)
{
    PCIDevice *dev = PCI_DEVICE(d);
    PCIDeviceClass *pc = PCI_DEVICE_GET_CLASS(dev);
    int32_t requested = dev->devfn;
    PCIBus *bus;
    int devfn;

    if (!d->parent_bus || !G_TYPE_CHECK_INSTANCE_TYPE(d->parent_bus, pci_bus_get_type())) {
        error_setg(errp, "%s: must be plugged into a PCI bus", pci_dev_name(dev));
        return FALSE;
    }
    bus = pci_get_bus(dev);
    devfn = pci_claim_devfn(bus, dev, errp);
    if (devfn < 0) {
        return FALSE;
    }

    /*
     * A subclass whose PCIe-ness is per instance (a property) asks for
     * 4 KiB by setting config_size before chaining to this realize.
     */
    dev->config_size = (pc->is_express || dev->config_size == PCIE_CONFIG_SPACE_SIZE)
                       ? PCIE_CONFIG_SPACE_SIZE : PCI_CONFIG_SPACE_SIZE;
    dev->config = g_malloc0(dev->config_size);
    dev->wmask = g_malloc0(dev->config_size);
    dev->w1cmask = g_malloc0(dev->config_size);
    dev->used = g_malloc0(dev->config_size);
    dev->devfn = devfn;
    pci_init_header(dev, pc);
    /* registered before the class realize so that it can use the bus */
    bus->devices[devfn] = dev;

    if (pc->realize && !pc->realize(dev, errp)) {
        pci_device_release(dev);
        dev->devfn = requested;
        return FALSE;
    }
    pci_update_multifunction(bus, PCI_SLOT(devfn));
    trace_pci_device_realize(pci_dev_name(dev), PCI_SLOT(devfn), PCI_FUNC(devfn));
    return TRUE;
}

static void pci_device_unrealize(Device *d)
{
    PCIDevice *dev = PCI_DEVICE(d);
    PCIDeviceClass *pc = PCI_DEVICE_GET_CLASS(dev);
    PCIBus *bus = pci_get_bus(dev);
    int slot = PCI_SLOT(dev->devfn);

    /* the bridge must not keep a level from a function that is gone */
    pci_set_irq(dev, 0);
    if (pc->exit) {
        pc->exit(dev);
    }
    pci_device_release(dev);
    pci_update_multifunction(bus, slot);
}

static void pci_device_reset(Device *d)
{
    PCIDevice *dev = PCI_DEVICE(d);

    pci_set_irq(dev, 0);
    pci_reset_config(dev);
    msi_reset(dev);
    msix_reset(dev);
    pcie_cap_reset(dev);
}

static void pci_device_class_init(PCIDeviceClass *klass)
{
    DeviceClass *dc = DEVICE_CLASS(klass);

    OBJECT_CLASS(klass)->props = pci_device_props;
    OBJECT_CLASS(klass)->description = "a PCI function";
    dc->bus_type = TYPE_PCI_BUS;
    /* inherited by every concrete PCI device */
    dc->user_creatable = true;
    dc->hotpluggable = true;
    dc->realize = pci_device_realize;
    dc->unrealize = pci_device_unrealize;
    dc->reset = pci_device_reset;
}

type_init(pci_bus_get_type)
type_init(pci_device_get_type)

/* INTx ------------------------------------------------------------------ */

/* What the pin shows on the bus: asserted and not disabled by the driver. */
bool pci_intx_output(PCIDevice *dev)
{
    return dev->irq_level &&
           !(pci_get_word(dev->config + PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE);
}

void pci_intx_update(PCIDevice *dev, bool was)
{
    PCIBus *bus = pci_get_bus(dev);
    bool now = pci_intx_output(dev);
    int pin = dev->config[PCI_INTERRUPT_PIN];

    if (now == was || pin < 1 || pin > 4) {
        return;
    }
    trace_pci_intx(dev->devfn, pin - 1, now);
    if (bus->host_ops && bus->host_ops->set_irq) {
        bus->host_ops->set_irq(bus->host_opaque, dev->devfn, pin - 1, now);
    }
}

void pci_set_irq(PCIDevice *dev, int level)
{
    bool was = pci_intx_output(dev);
    uint16_t status = pci_get_word(dev->config + PCI_STATUS);

    /* a function without an interrupt pin has nothing to drive */
    if (!dev->config[PCI_INTERRUPT_PIN]) {
        return;
    }
    dev->irq_level = !!level;
    /* the status bit shows the function's request even while disabled */
    if (dev->irq_level) {
        status |= PCI_STATUS_INTERRUPT;
    } else {
        status &= ~PCI_STATUS_INTERRUPT;
    }
    pci_set_word(dev->config + PCI_STATUS, status);
    pci_intx_update(dev, was);
}

/* DMA ------------------------------------------------------------------- */

MemTxResult pci_dma_rw(PCIDevice *dev, uint64_t addr, void *buf, uint64_t len, bool is_write)
{
    PCIBus *bus = pci_get_bus(dev);

    if (!(pci_get_word(dev->config + PCI_COMMAND) & PCI_COMMAND_MASTER)) {
        trace_pci_dma_refused(dev->devfn, addr, len, is_write);
        return MEMTX_ERROR;
    }
    if (!bus->host_ops || !bus->host_ops->dma_rw) {
        return MEMTX_DECODE_ERROR;
    }
    return bus->host_ops->dma_rw(bus->host_opaque, dev, addr, buf, len, is_write);
}
