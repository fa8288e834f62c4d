/*
 * "edu": QEMU's educational PCI device (docs/specs/edu.rst), a target for
 * driver exercises: an identification and a liveness register, a
 * factorial unit, an interrupt raise/acknowledge pair and a DMA engine
 * with a 4 KiB buffer.
 *
 * The registers, their timing and refusal rules are the bus-independent
 * edu core (include/hw/misc/edu-core.h), shared with the VFIO simulator's
 * functions.  This file is the PCI function around it: BAR0 (1 MiB, 32-bit
 * memory) onto the core's registers, and the core's two bus hooks:
 *
 *   - interrupts go by MSI when the guest enabled it, else by INTA;
 *   - DMA goes through pci_dma_rw(), the device driving only the bits of
 *     its dma_mask property (a wider address is clamped and traced).
 *
 * Unlike QEMU, which stops the machine, a DMA whose device side leaves
 * the buffer is refused, as is one the host bridge fails (IOMMU fault):
 * nothing is copied, no completion interrupt is raised, command bit 0
 * clears and the refusal is traced (edu_dma_refused).
 *
 * With pcie=on the function is a PCIe endpoint with 4 KiB of config
 * space.  Being per instance, that cannot be PCIDeviceClass.is_express:
 * the device realize sets PCIDevice.config_size to 4 KiB before chaining
 * to pci-device realize, which honours it (see include/hw/pci/pci.h).
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "qemu/module.h"
#include "hw/misc/edu-core.h"
#include "hw/pci/pci.h"
#include "trace-events-all.h"

#define TYPE_EDU "edu"

#define EDU_BAR_SIZE         (1u << 20)

typedef struct Edu {
    PCIDevice parent;
    uint64_t dma_mask;          /* property "dma_mask" */
    bool pcie;                  /* property "pcie" */
    MemoryRegion mmio;
    EduCore core;               /* registers, buffer, DMA timer */
} Edu;

typedef struct EduClass {
    PCIDeviceClass parent_class;
} EduClass;

GType edu_get_type(void);
OBJECT_DEFINE_TYPE(Edu, edu, TYPE_EDU, pci_device_get_type())
#define EDU(o) (G_TYPE_CHECK_INSTANCE_CAST((o), edu_get_type(), Edu))

static const Property edu_props[] = {
    DEFINE_PROP_UINT64("dma_mask", Edu, dma_mask, (1ull << 28) - 1),
    { .name = "pcie", .kind = PROP_KIND_BOOL, .offset = PROP_FIELD(Edu, pcie, bool),
      .description = "on/off: a PCIe endpoint with 4 KiB of config space", .defval = false },
    DEFINE_PROP_END,
};

/* The core's hooks: interrupts ------------------------------------------ */

static void edu_raise_irq(EduCore *core)
{
    PCIDevice *dev = PCI_DEVICE(core->opaque);

    trace_edu_irq(core->irq_status, msi_enabled(dev));
    if (msi_enabled(dev)) {
        msi_notify(dev, 0);
    } else {
        pci_set_irq(dev, 1);
    }
}

static void edu_lower_irq(EduCore *core)
{
    PCIDevice *dev = PCI_DEVICE(core->opaque);

    /* an MSI is an edge: there is nothing to lower */
    if (!msi_enabled(dev)) {
        pci_set_irq(dev, 0);
    }
}

/* The core's hooks: DMA ------------------------------------------------- */

/* The bus side of a transfer: the device only drives dma_mask's bits. */
static uint64_t edu_clamp_addr(Edu *edu, uint64_t addr)
{
    uint64_t res = addr & edu->dma_mask;

    if (res != addr) {
        trace_edu_dma_clamp(addr, res);
    }
    return res;
}

static bool edu_dma(EduCore *core, uint64_t bus_addr, void *buf, uint64_t len, bool to_ram)
{
    Edu *edu = core->opaque;
    bool ok;

    bus_addr = edu_clamp_addr(edu, bus_addr);
    ok = pci_dma_rw(PCI_DEVICE(edu), bus_addr, buf, len, to_ram) == MEMTX_OK;
    if (!ok) {
        trace_edu_dma_refused("bus error", core->dma_src, core->dma_dst, len);
        return false;
    }
    trace_edu_dma_done(core->dma_src, core->dma_dst, len);
    return true;
}

static void edu_dma_refused(EduCore *core, const char *why, uint64_t bus_addr, uint64_t len)
{
    /* the trace names both registers: which one is the bus side is in the command */
    trace_edu_dma_refused(why, core->dma_src, core->dma_dst, len);
}

static const EduCoreOps edu_core_ops = {
    .raise_irq = edu_raise_irq,
    .lower_irq = edu_lower_irq,
    .dma = edu_dma,
    .dma_refused = edu_dma_refused,
};

/* MMIO ------------------------------------------------------------------ */

static uint64_t edu_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    Edu *edu = opaque;

    return edu_core_mmio_read(&edu->core, addr, size);
}

static void edu_mmio_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    Edu *edu = opaque;

    edu_core_mmio_write(&edu->core, addr, val, size);
}

static const MemoryRegionOps edu_mmio_ops = {
    .read = edu_mmio_read,
    .write = edu_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .min_access_size = 1,
    .max_access_size = 8,
};

/* Lifecycle ------------------------------------------------------------- */

static gboolean edu_realize(PCIDevice *dev, GError **errp)
{
    Edu *edu = EDU(dev);

    dev->config[PCI_INTERRUPT_PIN] = 1;            /* INTA */
    /* the fallible steps first: they leave nothing to undo */
    if (msi_init(dev, 0, 1, true, false, errp) < 0) {
        return FALSE;
    }
    if (edu->pcie && pcie_endpoint_cap_init(dev, 0, errp) < 0) {
        return FALSE;
    }
    memory_region_init_io(&edu->mmio, "edu-mmio", &edu_mmio_ops, edu, EDU_BAR_SIZE);
    pci_register_bar(dev, 0, PCI_BASE_ADDRESS_SPACE_MEMORY, &edu->mmio);
    edu_core_init(&edu->core, &edu_core_ops, edu);
    return TRUE;
}

static void edu_exit(PCIDevice *dev)
{
    Edu *edu = EDU(dev);

    edu_core_destroy(&edu->core);
    memory_region_finalize(&edu->mmio);
}

static gboolean edu_device_realize(Device *d, GError **errp)
{
    /* PCIe is per instance: ask pci-device realize for 4 KiB of config space */
    PCI_DEVICE(d)->config_size = EDU(d)->pcie ? PCIE_CONFIG_SPACE_SIZE : 0;
    return DEVICE_CLASS(edu_parent_class)->realize(d, errp);
}

static void edu_reset(Device *d)
{
    Edu *edu = EDU(d);

    edu_core_reset(&edu->core);
    /* then the PCI function: command, BARs, MSI, INTx */
    DEVICE_CLASS(edu_parent_class)->reset(d);
}

static void edu_init(Edu *edu) {}

static void edu_class_init(EduClass *klass)
{
    PCIDeviceClass *pc = PCI_DEVICE_CLASS(klass);
    DeviceClass *dc = DEVICE_CLASS(klass);

    OBJECT_CLASS(klass)->props = edu_props;
    OBJECT_CLASS(klass)->description = "QEMU educational PCI device (DMA, MSI, INTx)";
    dc->realize = edu_device_realize;
    dc->reset = edu_reset;
    pc->realize = edu_realize;
    pc->exit = edu_exit;
    pc->vendor_id = 0x1234;
    pc->device_id = 0x11e8;
    pc->revision = 0x10;
    pc->class_id = 0x00ff;                         /* unclassified, other */
    /* subsystem left to the PCI core's default, 1af4:1100, as on QEMU */
}

type_init(edu_get_type)
