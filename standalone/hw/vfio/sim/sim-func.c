/*
 * vfio-sim hardware: one PCI function, an "edu" as the host sees it:
 * config space, BAR2 RAM, and BAR0, the edu core shared with the
 * guest-side device (include/hw/misc/edu-core.h), whose DMA goes through
 * the container's IOMMU (sim-dma.c).
 *
 * Differences from the guest-side edu of hw/misc/edu.c, on purpose (the
 * edu core hooks below carry them):
 *   - DMA addresses are 64-bit (no dma_mask clamp): a 64-bit DDW at
 *     1 << 59 must be reachable;
 *   - interrupts go out through the vfio-pci interrupt state (sim-irq.c):
 *     MSI, or MSI-X vector 0, when the user enabled it with SET_IRQS, else
 *     the INTx line;
 *   - with no PCI core underneath, the DMA hook checks bus mastering
 *     itself; a transfer it or the edu core refuses counts in
 *     SimDevice.dma_refused, an IOMMU fault in dma_faults (sim-dma.c);
 *   - MSI capability writes are stored only: the kernel virtualizes that
 *     capability, interrupts are programmed with SET_IRQS.
 *
 * Config space layout: header, MSI capability at 0x40 (64-bit, 1 vector),
 * PCIe endpoint capability at 0x50 and MSI-X capability at 0x90 on PCIe
 * functions (4 KiB config space, no extended capability).  BAR0 1 MiB and
 * BAR2 4 KiB, 32-bit memory, at host addresses derived from the
 * function's place in the topology.
 *
 * MSI-X (PCIe functions only, the conventional ones are MSI-only): 4
 * vectors, table at BAR0 0x80000 and PBA at BAR0 0x81000, clear of the
 * edu registers (below 0x100) and its buffer (0x40000).  The host kernel
 * owns the hardware table (the user reaches it only through SET_IRQS, and
 * vfio-pci keeps BAR accesses off it, sim-device.c), so the table itself
 * is not modelled; the PBA reads 0, as the kernel never leaves a vector
 * masked and pending here.  Message control is the hardware's, read-only
 * to the user (the kernel does not virtualize it): its enable bit reads 1
 * while SET_IRQS has MSI-X on.  The edu interrupt is vector 0.
 */
#include "qemu/osdep.h"
#include <sys/mman.h>
#include "qemu/error.h"
#include "hw/pci/pci.h"
#include "sim-internal.h"
#include "trace-events-all.h"

#define SIM_VENDOR_ID        0x1234
#define SIM_DEVICE_ID        0x11e8
#define SIM_REVISION         0x10
#define SIM_CLASS            0x00ff        /* unclassified, other */
#define SIM_SUBSYS_VENDOR    0x1af4
#define SIM_SUBSYS_ID        0x1100
#define SIM_HOST_BAR_BASE    0xc0000000u   /* host physical BAR window */

#define SIM_MSI_CAP          0x40
#define SIM_MSI_FLAGS_64BIT  0x0080
#define SIM_EXP_CAP          0x50
#define SIM_EXP_SIZEOF       0x3c
#define SIM_MSIX_CAP         0x90
#define SIM_MSIX_SIZEOF      12
#define SIM_MSIX_CTRL_ENABLE 0x8000

/* Config space ------------------------------------------------------------ */

static void set_word(SimDevice *d, uint32_t off, uint16_t val, uint16_t wmask)
{
    pci_set_word(d->config + off, val);
    pci_set_word(d->wmask + off, wmask);
}

static void set_long(SimDevice *d, uint32_t off, uint32_t val, uint32_t wmask)
{
    pci_set_long(d->config + off, val);
    pci_set_long(d->wmask + off, wmask);
}

static uint32_t host_bar0(SimDevice *d)
{
    /* 2 MiB a function: BAR0 (1 MiB) then BAR2 */
    return SIM_HOST_BAR_BASE + (d->ordinal % 256) * 0x200000u;
}

/* The config space the kernel leaves after pci_enable_device() at open. */
static void config_build(SimDevice *d)
{
    memset(d->config, 0, sizeof(d->config));
    memset(d->wmask, 0, sizeof(d->wmask));
    d->config_size = d->pcie ? PCIE_CONFIG_SPACE_SIZE : PCI_CONFIG_SPACE_SIZE;

    set_word(d, PCI_VENDOR_ID, SIM_VENDOR_ID, 0);
    set_word(d, PCI_DEVICE_ID, SIM_DEVICE_ID, 0);
    /* memory decoding on, bus mastering off: vfio_pci_core_enable() */
    set_word(d, PCI_COMMAND, PCI_COMMAND_MEMORY,
             PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | 0x40 /* parity */ |
             0x100 /* SERR */ | PCI_COMMAND_INTX_DISABLE);
    set_word(d, PCI_STATUS, PCI_STATUS_CAP_LIST, 0);
    d->config[PCI_REVISION_ID] = SIM_REVISION;
    d->config[PCI_CLASS_PROG] = 0;
    pci_set_word(d->config + PCI_CLASS_DEVICE, SIM_CLASS);
    d->config[PCI_CACHE_LINE_SIZE] = 0;
    d->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
    d->config[PCI_HEADER_TYPE] = d->multifunction ? PCI_HEADER_TYPE_MULTI_FUNCTION : 0;
    set_long(d, PCI_BASE_ADDRESS_0, host_bar0(d), ~(SIM_BAR0_SIZE - 1));
    set_long(d, PCI_BASE_ADDRESS_0 + 8, host_bar0(d) + SIM_BAR0_SIZE, ~(SIM_BAR2_SIZE - 1));
    set_word(d, PCI_SUBSYSTEM_VENDOR_ID, SIM_SUBSYS_VENDOR, 0);
    set_word(d, PCI_SUBSYSTEM_ID, SIM_SUBSYS_ID, 0);
    d->config[PCI_CAPABILITY_LIST] = SIM_MSI_CAP;
    d->wmask[PCI_INTERRUPT_LINE] = 0xff;
    d->config[PCI_INTERRUPT_PIN] = 1;              /* INTA */

    /* MSI: 64-bit, 1 vector, no per-vector masking */
    d->config[SIM_MSI_CAP] = PCI_CAP_ID_MSI;
    d->config[SIM_MSI_CAP + 1] = d->pcie ? SIM_EXP_CAP : 0;
    set_word(d, SIM_MSI_CAP + 2, SIM_MSI_FLAGS_64BIT, 0x0071);   /* enable, MME */
    set_long(d, SIM_MSI_CAP + 4, 0, 0xfffffffc);
    set_long(d, SIM_MSI_CAP + 8, 0, 0xffffffff);
    set_word(d, SIM_MSI_CAP + 12, 0, 0xffff);

    if (d->pcie) {
        /* PCIe v2 endpoint, FLR capable, x1 at 2.5 GT/s */
        d->config[SIM_EXP_CAP] = PCI_CAP_ID_EXP;
        d->config[SIM_EXP_CAP + 1] = SIM_MSIX_CAP;
        set_word(d, SIM_EXP_CAP + 0x02, 0x0002, 0);
        set_long(d, SIM_EXP_CAP + 0x04, 0x10008000, 0);
        set_word(d, SIM_EXP_CAP + 0x08, 0x2810, 0x7fff);
        set_long(d, SIM_EXP_CAP + 0x0c, 0x00000011, 0);
        set_word(d, SIM_EXP_CAP + 0x10, 0x0000, 0x0fff);
        set_word(d, SIM_EXP_CAP + 0x12, 0x1011, 0);
        set_word(d, SIM_EXP_CAP + 0x28, 0x0000, 0xffff);
        set_long(d, SIM_EXP_CAP + 0x2c, 0x00000002, 0);
        set_word(d, SIM_EXP_CAP + 0x30, 0x0001, 0x000f);
        G_STATIC_ASSERT(SIM_EXP_CAP + SIM_EXP_SIZEOF <= SIM_MSIX_CAP);

        /* MSI-X: table size - 1, table and PBA in BAR0; nothing writable */
        d->config[SIM_MSIX_CAP] = PCI_CAP_ID_MSIX;
        d->config[SIM_MSIX_CAP + 1] = 0;
        set_word(d, SIM_MSIX_CAP + 2, SIM_MSIX_VECTORS - 1, 0);
        set_long(d, SIM_MSIX_CAP + 4, SIM_MSIX_TABLE | 0, 0);
        set_long(d, SIM_MSIX_CAP + 8, SIM_MSIX_PBA | 0, 0);
        G_STATIC_ASSERT(SIM_MSIX_CAP + SIM_MSIX_SIZEOF <= PCI_CONFIG_SPACE_SIZE);
    }
}

uint32_t sim_func_config_read(SimDevice *d, uint32_t addr, unsigned len)
{
    uint32_t val = 0;

    for (unsigned i = 0; i < len; i++) {
        uint8_t b = d->config[addr + i];
        /* the Interrupt Status bit follows the INTx line */
        if (addr + i == PCI_STATUS && sim_irq_intx_level(d)) {
            b |= PCI_STATUS_INTERRUPT;
        }
        /* MSI-X enable is the hardware's state, which SET_IRQS drives */
        if (sim_func_has_msix(d) && addr + i == SIM_MSIX_CAP + 3 &&
            d->irq_type == SIM_IRQ_MSIX) {
            b |= SIM_MSIX_CTRL_ENABLE >> 8;
        }
        val |= (uint32_t)b << (8 * i);
    }
    return val;
}

void sim_func_config_write(SimDevice *d, uint32_t addr, uint32_t val, unsigned len)
{
    for (unsigned i = 0; i < len; i++) {
        uint8_t m = d->wmask[addr + i];
        d->config[addr + i] = (d->config[addr + i] & ~m) | ((val >> (8 * i)) & m);
    }
}

bool sim_func_mem_enabled(SimDevice *d)
{
    return pci_get_word(d->config + PCI_COMMAND) & PCI_COMMAND_MEMORY;
}

bool sim_func_master_enabled(SimDevice *d)
{
    return pci_get_word(d->config + PCI_COMMAND) & PCI_COMMAND_MASTER;
}

bool sim_func_has_msix(SimDevice *d)
{
    return d->pcie;
}

/* BAR0 ------------------------------------------------------------------------ */

static bool in_pba(SimDevice *d, uint64_t addr, unsigned size)
{
    return sim_func_has_msix(d) && addr < SIM_MSIX_PBA + 8 && addr + size > SIM_MSIX_PBA;
}

uint64_t sim_func_bar0_read(SimDevice *d, uint64_t addr, unsigned size)
{
    if (in_pba(d, addr, size)) {
        return 0;               /* nothing pending */
    }
    return edu_core_mmio_read(&d->edu, addr, size);
}

void sim_func_bar0_write(SimDevice *d, uint64_t addr, uint64_t val, unsigned size)
{
    if (in_pba(d, addr, size)) {
        return;                 /* read-only */
    }
    edu_core_mmio_write(&d->edu, addr, val, size);
}

/* The edu core's hooks ------------------------------------------------------ */

static void edu_raise_irq(EduCore *core)
{
    sim_irq_raise(core->opaque);
}

/* no lower_irq: the INTx level is read from irq_status (sim_irq_intx_level) */

static void edu_dma_refused(EduCore *core, const char *why, uint64_t bus_addr, uint64_t len)
{
    SimDevice *d = core->opaque;

    d->dma_refused++;
    trace_vfio_sim_dma_refused(d->name, why, bus_addr, len);
}

static bool edu_dma(EduCore *core, uint64_t bus_addr, void *buf, uint64_t len, bool to_ram)
{
    SimDevice *d = core->opaque;

    /* without bus mastering the function issues no transaction at all */
    if (!sim_func_master_enabled(d)) {
        edu_dma_refused(core, "bus mastering off", bus_addr, len);
        return false;
    }
    /* counts and traces the transfer or its IOMMU fault */
    return sim_dma_rw(d, bus_addr, buf, len, to_ram);
}

static const EduCoreOps sim_edu_ops = {
    .raise_irq = edu_raise_irq,
    .dma = edu_dma,
    .dma_refused = edu_dma_refused,
};

/* Lifecycle ------------------------------------------------------------------ */

void sim_func_reset(SimDevice *d)
{
    edu_core_reset(&d->edu);
}

void sim_func_power_on(SimDevice *d)
{
    config_build(d);
    sim_func_reset(d);
}

gboolean sim_func_init(SimDevice *d, GError **errp)
{
    size_t len = MAX(SIM_BAR2_SIZE, sim_host_page_size());

    config_build(d);
    edu_core_init(&d->edu, &sim_edu_ops, d);
    /* BAR2 is plain RAM in a memfd, so the user can mmap the very same pages */
    d->bar2_fd = memfd_create("vfio-sim-bar2", MFD_CLOEXEC);
    if (d->bar2_fd < 0) {
        error_setg_errno(errp, errno, "function %s: memfd_create for BAR2", d->name);
        return FALSE;
    }
    if (ftruncate(d->bar2_fd, len) < 0) {
        error_setg_errno(errp, errno, "function %s: sizing BAR2", d->name);
        return FALSE;
    }
    d->bar2 = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, d->bar2_fd, 0);
    if (d->bar2 == MAP_FAILED) {
        d->bar2 = NULL;
        error_setg_errno(errp, errno, "function %s: mapping BAR2", d->name);
        return FALSE;
    }
    d->bar2_map_size = len;
    return TRUE;
}

void sim_func_cleanup(SimDevice *d)
{
    edu_core_destroy(&d->edu);
    if (d->bar2) {
        munmap(d->bar2, d->bar2_map_size);
        d->bar2 = NULL;
    }
    if (d->bar2_fd >= 0) {
        close(d->bar2_fd);
        d->bar2_fd = -1;
    }
}
