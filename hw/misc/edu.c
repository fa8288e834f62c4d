/*
 * "edu": QEMU's educational PCI device (docs/specs/edu.rst), a target for
 * driver exercises: an identification and a liveness register, a
 * factorial unit, an interrupt raise/acknowledge pair and a DMA engine
 * with a 4 KiB buffer.
 *
 * BAR0 (1 MiB, 32-bit memory, little-endian):
 *   0x00 RO identification 0x010000ed      0x04 RW liveness: reads ~written
 *   0x08 RW factorial                       0x20 RW status (0x01 computing
 *   0x24 RO interrupt status                         RO, 0x80 irq on fact)
 *   0x60 WO interrupt raise (OR)            0x64 WO interrupt acknowledge
 *   0x80 DMA source  0x88 DMA destination  0x90 DMA count  0x98 DMA command
 *   0x40000..0x40fff the DMA buffer
 * Registers below 0x80 take 4-byte accesses, the DMA registers 4 or 8
 * (a 4-byte write sets the whole register); other sizes read all ones
 * and are dropped, as on QEMU.  The buffer takes any size.
 *
 * The factorial is computed at once (status bit 0 is set and cleared
 * around it).  A DMA runs 100 ms of virtual time after it is started;
 * command bit 0 reads 1 until then.  Interrupts go by MSI when the guest
 * enabled it, else by INTA.
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
#include "hw/pci/pci.h"
#include "system/clock.h"
#include "trace-events-all.h"

#define TYPE_EDU "edu"

#define EDU_BAR_SIZE         (1u << 20)
#define EDU_ID               0x010000ed     /* version 1.0 */

#define EDU_REG_ID           0x00
#define EDU_REG_LIVENESS     0x04
#define EDU_REG_FACTORIAL    0x08
#define EDU_REG_STATUS       0x20
#define EDU_REG_IRQ_STATUS   0x24
#define EDU_REG_IRQ_RAISE    0x60
#define EDU_REG_IRQ_ACK      0x64
#define EDU_REG_DMA_SRC      0x80
#define EDU_REG_DMA_DST      0x88
#define EDU_REG_DMA_COUNT    0x90
#define EDU_REG_DMA_CMD      0x98

#define EDU_STATUS_COMPUTING 0x01
#define EDU_STATUS_IRQFACT   0x80

#define EDU_IRQ_FACT         0x001
#define EDU_IRQ_DMA          0x100

#define EDU_DMA_START        0x1
#define EDU_DMA_TO_RAM       0x2            /* direction: 0 RAM -> EDU, 1 EDU -> RAM */
#define EDU_DMA_IRQ          0x4

#define EDU_DMA_BUF_ADDR     0x40000
#define EDU_DMA_BUF_SIZE     0x1000
#define EDU_DMA_DELAY_NS     (100 * 1000 * 1000)

typedef struct Edu {
    PCIDevice parent;
    uint64_t dma_mask;          /* property "dma_mask" */
    bool pcie;                  /* property "pcie" */
    MemoryRegion mmio;
    Timer *dma_timer;
    uint32_t liveness;          /* already inverted */
    uint32_t fact;
    uint32_t status;
    uint32_t irq_status;
    uint64_t dma_src;
    uint64_t dma_dst;
    uint64_t dma_count;
    uint64_t dma_cmd;
    uint8_t dma_buf[EDU_DMA_BUF_SIZE];
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

/* Interrupts ------------------------------------------------------------- */

static void edu_raise_irq(Edu *edu, uint32_t bits)
{
    PCIDevice *dev = PCI_DEVICE(edu);

    edu->irq_status |= bits;
    if (!edu->irq_status) {
        return;
    }
    trace_edu_irq(edu->irq_status, msi_enabled(dev));
    if (msi_enabled(dev)) {
        msi_notify(dev, 0);
    } else {
        pci_set_irq(dev, 1);
    }
}

static void edu_lower_irq(Edu *edu, uint32_t bits)
{
    PCIDevice *dev = PCI_DEVICE(edu);

    edu->irq_status &= ~bits;
    /* an MSI is an edge: there is nothing to lower */
    if (!edu->irq_status && !msi_enabled(dev)) {
        pci_set_irq(dev, 0);
    }
}

/* Factorial ------------------------------------------------------------- */

static uint32_t edu_factorial(uint32_t n)
{
    uint32_t ret = 1;

    /* modulo 2^32 the product is 0 after a few dozen factors: stop there */
    for (uint32_t i = n; i > 1 && ret; i--) {
        ret *= i;
    }
    return ret;
}

static void edu_start_factorial(Edu *edu, uint32_t n)
{
    if (edu->status & EDU_STATUS_COMPUTING) {
        return;
    }
    edu->status |= EDU_STATUS_COMPUTING;
    edu->fact = edu_factorial(n);
    edu->status &= ~EDU_STATUS_COMPUTING;
    if (edu->status & EDU_STATUS_IRQFACT) {
        edu_raise_irq(edu, EDU_IRQ_FACT);
    }
}

/* DMA ------------------------------------------------------------------- */

/* Is [addr, addr + len) inside the buffer? */
static bool edu_buf_range_ok(uint64_t addr, uint64_t len)
{
    return addr >= EDU_DMA_BUF_ADDR && len <= EDU_DMA_BUF_SIZE &&
           addr - EDU_DMA_BUF_ADDR <= EDU_DMA_BUF_SIZE - len;
}

/* The bus side of a transfer: the device only drives dma_mask's bits. */
static uint64_t edu_clamp_addr(Edu *edu, uint64_t addr)
{
    uint64_t res = addr & edu->dma_mask;

    if (res != addr) {
        trace_edu_dma_clamp(addr, res);
    }
    return res;
}

static void edu_dma_run(void *opaque)
{
    Edu *edu = opaque;
    PCIDevice *dev = PCI_DEVICE(edu);
    bool to_ram = edu->dma_cmd & EDU_DMA_TO_RAM;
    uint64_t buf_addr = to_ram ? edu->dma_src : edu->dma_dst;
    uint64_t len = edu->dma_count;
    uint64_t bus_addr;
    uint8_t *buf;
    bool ok;

    if (!(edu->dma_cmd & EDU_DMA_START)) {
        return;
    }
    edu->dma_cmd &= ~EDU_DMA_START;
    if (!edu_buf_range_ok(buf_addr, len)) {
        trace_edu_dma_refused("outside the buffer", edu->dma_src, edu->dma_dst, len);
        return;
    }
    buf = edu->dma_buf + (buf_addr - EDU_DMA_BUF_ADDR);
    bus_addr = edu_clamp_addr(edu, to_ram ? edu->dma_dst : edu->dma_src);
    if (to_ram) {
        ok = pci_dma_write(dev, bus_addr, buf, len) == MEMTX_OK;
    } else {
        /* read aside first: a failed read must leave the buffer alone */
        g_autofree uint8_t *tmp = g_malloc(len ? len : 1);
        ok = pci_dma_read(dev, bus_addr, tmp, len) == MEMTX_OK;
        if (ok) {
            memcpy(buf, tmp, len);
        }
    }
    if (!ok) {
        trace_edu_dma_refused("bus error", edu->dma_src, edu->dma_dst, len);
        return;
    }
    trace_edu_dma_done(edu->dma_src, edu->dma_dst, len);
    if (edu->dma_cmd & EDU_DMA_IRQ) {
        edu_raise_irq(edu, EDU_IRQ_DMA);
    }
}

/* MMIO ------------------------------------------------------------------ */

static bool edu_access_ok(hwaddr addr, unsigned size)
{
    return addr < EDU_REG_DMA_SRC ? size == 4 : (size == 4 || size == 8);
}

static bool edu_in_buffer(hwaddr addr, unsigned size)
{
    return edu_buf_range_ok(addr, size);
}

static uint64_t edu_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    Edu *edu = opaque;

    if (edu_in_buffer(addr, size)) {
        uint64_t val = 0;
        for (unsigned i = 0; i < size; i++) {
            val |= (uint64_t)edu->dma_buf[addr - EDU_DMA_BUF_ADDR + i] << (8 * i);
        }
        return val;
    }
    if (!edu_access_ok(addr, size)) {
        return ~0ull;
    }
    switch (addr) {
    case EDU_REG_ID:
        return EDU_ID;
    case EDU_REG_LIVENESS:
        return edu->liveness;
    case EDU_REG_FACTORIAL:
        return edu->fact;
    case EDU_REG_STATUS:
        return edu->status;
    case EDU_REG_IRQ_STATUS:
        return edu->irq_status;
    case EDU_REG_DMA_SRC:
        return edu->dma_src;
    case EDU_REG_DMA_DST:
        return edu->dma_dst;
    case EDU_REG_DMA_COUNT:
        return edu->dma_count;
    case EDU_REG_DMA_CMD:
        return edu->dma_cmd;
    default:
        return ~0ull;
    }
}

static void edu_mmio_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    Edu *edu = opaque;
    bool dma_busy = edu->dma_cmd & EDU_DMA_START;

    if (edu_in_buffer(addr, size)) {
        for (unsigned i = 0; i < size; i++) {
            edu->dma_buf[addr - EDU_DMA_BUF_ADDR + i] = val >> (8 * i);
        }
        return;
    }
    if (!edu_access_ok(addr, size)) {
        return;
    }
    switch (addr) {
    case EDU_REG_LIVENESS:
        edu->liveness = ~(uint32_t)val;
        break;
    case EDU_REG_FACTORIAL:
        edu_start_factorial(edu, val);
        break;
    case EDU_REG_STATUS:
        /* only the interrupt-on-factorial bit is the guest's */
        edu->status = (edu->status & ~EDU_STATUS_IRQFACT) | (val & EDU_STATUS_IRQFACT);
        break;
    case EDU_REG_IRQ_RAISE:
        edu_raise_irq(edu, val);
        break;
    case EDU_REG_IRQ_ACK:
        edu_lower_irq(edu, val);
        break;
    /* a running transfer's parameters stay as they were started */
    case EDU_REG_DMA_SRC:
        if (!dma_busy) {
            edu->dma_src = val;
        }
        break;
    case EDU_REG_DMA_DST:
        if (!dma_busy) {
            edu->dma_dst = val;
        }
        break;
    case EDU_REG_DMA_COUNT:
        if (!dma_busy) {
            edu->dma_count = val;
        }
        break;
    case EDU_REG_DMA_CMD:
        if (!dma_busy && (val & EDU_DMA_START)) {
            edu->dma_cmd = val;
            timer_mod(edu->dma_timer, clock_get_ns() + EDU_DMA_DELAY_NS);
        }
        break;
    default:
        break;
    }
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
    edu->dma_timer = timer_new(edu_dma_run, edu);
    return TRUE;
}

static void edu_exit(PCIDevice *dev)
{
    Edu *edu = EDU(dev);

    g_clear_pointer(&edu->dma_timer, timer_free);
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

    timer_del(edu->dma_timer);
    edu->liveness = edu->fact = edu->status = edu->irq_status = 0;
    edu->dma_src = edu->dma_dst = edu->dma_count = edu->dma_cmd = 0;
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
