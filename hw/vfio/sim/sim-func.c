/*
 * vfio-sim hardware: one PCI function, an "edu" (hw/misc/edu.c registers)
 * as the host sees it: config space, BAR0 registers, BAR2 RAM, and a DMA
 * engine that goes through the container's IOMMU (sim-dma.c).
 *
 * Differences from the guest-side edu of hw/misc/edu.c, on purpose:
 *   - DMA addresses are 64-bit (no dma_mask clamp): a 64-bit DDW at
 *     1 << 59 must be reachable;
 *   - interrupts go out through the vfio-pci interrupt state (sim-irq.c):
 *     MSI when the user enabled it with SET_IRQS, else the INTx line;
 *   - MSI capability writes are stored only: the kernel virtualizes that
 *     capability, interrupts are programmed with SET_IRQS.
 *
 * Config space layout: header, MSI capability at 0x40 (64-bit, 1 vector),
 * PCIe endpoint capability at 0x50 on PCIe functions (4 KiB config space,
 * no extended capability).  BAR0 1 MiB and BAR2 4 KiB, 32-bit memory,
 * at host addresses derived from the function's place in the topology.
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

/* edu registers (docs/specs/edu.rst) */
#define EDU_ID               0x010000ed
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
#define EDU_DMA_TO_RAM       0x2
#define EDU_DMA_IRQ          0x4
#define EDU_DMA_BUF_ADDR     0x40000

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
        d->config[SIM_EXP_CAP + 1] = 0;
        set_word(d, SIM_EXP_CAP + 0x02, 0x0002, 0);
        set_long(d, SIM_EXP_CAP + 0x04, 0x10008000, 0);
        set_word(d, SIM_EXP_CAP + 0x08, 0x2810, 0x7fff);
        set_long(d, SIM_EXP_CAP + 0x0c, 0x00000011, 0);
        set_word(d, SIM_EXP_CAP + 0x10, 0x0000, 0x0fff);
        set_word(d, SIM_EXP_CAP + 0x12, 0x1011, 0);
        set_word(d, SIM_EXP_CAP + 0x28, 0x0000, 0xffff);
        set_long(d, SIM_EXP_CAP + 0x2c, 0x00000002, 0);
        set_word(d, SIM_EXP_CAP + 0x30, 0x0001, 0x000f);
        G_STATIC_ASSERT(SIM_EXP_CAP + SIM_EXP_SIZEOF <= PCI_CONFIG_SPACE_SIZE);
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

/* edu: interrupts and factorial ------------------------------------------ */

static void edu_raise_irq(SimDevice *d, uint32_t bits)
{
    d->edu.irq_status |= bits;
    if (d->edu.irq_status) {
        sim_irq_raise(d);
    }
}

static void edu_lower_irq(SimDevice *d, uint32_t bits)
{
    /* the INTx level is read from irq_status: nothing to send on lowering */
    d->edu.irq_status &= ~bits;
}

static uint32_t edu_factorial(uint32_t n)
{
    uint32_t ret = 1;

    /* modulo 2^32 the product is 0 after a few dozen factors: stop there */
    for (uint32_t i = n; i > 1 && ret; i--) {
        ret *= i;
    }
    return ret;
}

/* edu: DMA ---------------------------------------------------------------- */

static bool edu_buf_range_ok(uint64_t addr, uint64_t len)
{
    return addr >= EDU_DMA_BUF_ADDR && len <= SIM_EDU_BUF_SIZE &&
           addr - EDU_DMA_BUF_ADDR <= SIM_EDU_BUF_SIZE - len;
}

static void edu_dma_run(void *opaque)
{
    SimDevice *d = opaque;
    SimEdu *e = &d->edu;
    bool to_ram = e->dma_cmd & EDU_DMA_TO_RAM;
    uint64_t buf_addr = to_ram ? e->dma_src : e->dma_dst;
    uint64_t bus_addr = to_ram ? e->dma_dst : e->dma_src;
    uint64_t len = e->dma_count;
    uint8_t *buf;
    bool ok;

    if (!(e->dma_cmd & EDU_DMA_START)) {
        return;
    }
    e->dma_cmd &= ~EDU_DMA_START;
    if (!edu_buf_range_ok(buf_addr, len)) {
        d->dma_refused++;
        trace_vfio_sim_dma_refused(d->name, "outside the buffer", bus_addr, len);
        return;
    }
    /* without bus mastering the function issues no transaction at all */
    if (!sim_func_master_enabled(d)) {
        d->dma_refused++;
        trace_vfio_sim_dma_refused(d->name, "bus mastering off", bus_addr, len);
        return;
    }
    buf = e->dma_buf + (buf_addr - EDU_DMA_BUF_ADDR);
    if (to_ram) {
        ok = sim_dma_rw(d, bus_addr, buf, len, true);
    } else {
        /* read aside first: a failed read must leave the buffer alone */
        g_autofree uint8_t *tmp = g_malloc(len ? len : 1);
        ok = sim_dma_rw(d, bus_addr, tmp, len, false);
        if (ok) {
            memcpy(buf, tmp, len);
        }
    }
    if (ok && (e->dma_cmd & EDU_DMA_IRQ)) {
        edu_raise_irq(d, EDU_IRQ_DMA);
    }
}

/* edu: BAR0 ---------------------------------------------------------------- */

static bool edu_access_ok(uint32_t addr, unsigned size)
{
    return addr < EDU_REG_DMA_SRC ? size == 4 : (size == 4 || size == 8);
}

uint64_t sim_func_bar0_read(SimDevice *d, uint32_t addr, unsigned size)
{
    SimEdu *e = &d->edu;

    if (edu_buf_range_ok(addr, size)) {
        uint64_t val = 0;
        for (unsigned i = 0; i < size; i++) {
            val |= (uint64_t)e->dma_buf[addr - EDU_DMA_BUF_ADDR + i] << (8 * i);
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
        return e->liveness;
    case EDU_REG_FACTORIAL:
        return e->fact;
    case EDU_REG_STATUS:
        return e->status;
    case EDU_REG_IRQ_STATUS:
        return e->irq_status;
    case EDU_REG_DMA_SRC:
        return e->dma_src;
    case EDU_REG_DMA_DST:
        return e->dma_dst;
    case EDU_REG_DMA_COUNT:
        return e->dma_count;
    case EDU_REG_DMA_CMD:
        return e->dma_cmd;
    default:
        return ~0ull;
    }
}

void sim_func_bar0_write(SimDevice *d, uint32_t addr, uint64_t val, unsigned size)
{
    SimEdu *e = &d->edu;
    bool dma_busy = e->dma_cmd & EDU_DMA_START;

    if (edu_buf_range_ok(addr, size)) {
        for (unsigned i = 0; i < size; i++) {
            e->dma_buf[addr - EDU_DMA_BUF_ADDR + i] = val >> (8 * i);
        }
        return;
    }
    if (!edu_access_ok(addr, size)) {
        return;
    }
    switch (addr) {
    case EDU_REG_LIVENESS:
        e->liveness = ~(uint32_t)val;
        break;
    case EDU_REG_FACTORIAL:
        if (!(e->status & EDU_STATUS_COMPUTING)) {
            e->status |= EDU_STATUS_COMPUTING;
            e->fact = edu_factorial(val);
            e->status &= ~EDU_STATUS_COMPUTING;
            if (e->status & EDU_STATUS_IRQFACT) {
                edu_raise_irq(d, EDU_IRQ_FACT);
            }
        }
        break;
    case EDU_REG_STATUS:
        /* only the interrupt-on-factorial bit is the driver's */
        e->status = (e->status & ~EDU_STATUS_IRQFACT) | (val & EDU_STATUS_IRQFACT);
        break;
    case EDU_REG_IRQ_RAISE:
        edu_raise_irq(d, val);
        break;
    case EDU_REG_IRQ_ACK:
        edu_lower_irq(d, val);
        break;
    /* a running transfer's parameters stay as they were started */
    case EDU_REG_DMA_SRC:
        if (!dma_busy) {
            e->dma_src = val;
        }
        break;
    case EDU_REG_DMA_DST:
        if (!dma_busy) {
            e->dma_dst = val;
        }
        break;
    case EDU_REG_DMA_COUNT:
        if (!dma_busy) {
            e->dma_count = val;
        }
        break;
    case EDU_REG_DMA_CMD:
        if (!dma_busy && (val & EDU_DMA_START)) {
            e->dma_cmd = val;
            timer_mod(e->dma_timer, clock_get_ns() + SIM_EDU_DMA_DELAY_NS);
        }
        break;
    default:
        break;
    }
}

/* Lifecycle ------------------------------------------------------------------ */

void sim_func_reset(SimDevice *d)
{
    SimEdu *e = &d->edu;

    timer_del(e->dma_timer);
    e->liveness = e->fact = e->status = e->irq_status = 0;
    e->dma_src = e->dma_dst = e->dma_count = e->dma_cmd = 0;
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
    d->edu.dma_timer = timer_new(edu_dma_run, d);
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
    g_clear_pointer(&d->edu.dma_timer, timer_free);
    if (d->bar2) {
        munmap(d->bar2, d->bar2_map_size);
        d->bar2 = NULL;
    }
    if (d->bar2_fd >= 0) {
        close(d->bar2_fd);
        d->bar2_fd = -1;
    }
}
