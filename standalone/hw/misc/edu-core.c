/*
 * The edu register file, factorial unit and DMA engine shared by the PCI
 * "edu" device and the VFIO simulator's functions (see
 * include/hw/misc/edu-core.h for the interface and what each owner adds).
 *
 * Compiled when either owner is configured (hw/misc/meson.build).  It
 * has no trace events of its own: the owners' hooks keep theirs.
 */
#include "qemu/osdep.h"
#include "hw/misc/edu-core.h"

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

/* Interrupts ------------------------------------------------------------- */

static void edu_core_raise_irq(EduCore *core, uint32_t bits)
{
    core->irq_status |= bits;
    /* raising no bit with none pending is no interrupt */
    if (core->irq_status) {
        core->ops->raise_irq(core);
    }
}

static void edu_core_lower_irq(EduCore *core, uint32_t bits)
{
    core->irq_status &= ~bits;
    if (!core->irq_status && core->ops->lower_irq) {
        core->ops->lower_irq(core);
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

static void edu_core_start_factorial(EduCore *core, uint32_t n)
{
    if (core->status & EDU_STATUS_COMPUTING) {
        return;
    }
    core->status |= EDU_STATUS_COMPUTING;
    core->fact = edu_factorial(n);
    core->status &= ~EDU_STATUS_COMPUTING;
    if (core->status & EDU_STATUS_IRQFACT) {
        edu_core_raise_irq(core, EDU_IRQ_FACT);
    }
}

/* DMA ------------------------------------------------------------------- */

/* Is [addr, addr + len) inside the buffer? (written not to overflow) */
static bool edu_buf_range_ok(uint64_t addr, uint64_t len)
{
    return addr >= EDU_DMA_BUF_ADDR && len <= EDU_DMA_BUF_SIZE &&
           addr - EDU_DMA_BUF_ADDR <= EDU_DMA_BUF_SIZE - len;
}

/* The DMA timer: run the transfer the command register started. */
static void edu_core_dma_run(void *opaque)
{
    EduCore *core = opaque;
    bool to_ram = core->dma_cmd & EDU_DMA_TO_RAM;
    uint64_t buf_addr = to_ram ? core->dma_src : core->dma_dst;
    uint64_t bus_addr = to_ram ? core->dma_dst : core->dma_src;
    uint64_t len = core->dma_count;
    uint8_t *buf;
    bool ok;

    if (!(core->dma_cmd & EDU_DMA_START)) {
        return;
    }
    core->dma_cmd &= ~EDU_DMA_START;
    if (!edu_buf_range_ok(buf_addr, len)) {
        if (core->ops->dma_refused) {
            core->ops->dma_refused(core, "outside the buffer", bus_addr, len);
        }
        return;
    }
    buf = core->dma_buf + (buf_addr - EDU_DMA_BUF_ADDR);
    if (to_ram) {
        ok = core->ops->dma(core, bus_addr, buf, len, true);
    } else {
        /* read aside first: a failed read must leave the buffer alone */
        g_autofree uint8_t *tmp = g_malloc(len ? len : 1);
        ok = core->ops->dma(core, bus_addr, tmp, len, false);
        if (ok) {
            memcpy(buf, tmp, len);
        }
    }
    if (ok && (core->dma_cmd & EDU_DMA_IRQ)) {
        edu_core_raise_irq(core, EDU_IRQ_DMA);
    }
}

/* MMIO ------------------------------------------------------------------ */

static bool edu_access_ok(uint64_t addr, unsigned size)
{
    return addr < EDU_REG_DMA_SRC ? size == 4 : (size == 4 || size == 8);
}

uint64_t edu_core_mmio_read(EduCore *core, uint64_t addr, unsigned size)
{
    if (edu_buf_range_ok(addr, size)) {
        uint64_t val = 0;
        for (unsigned i = 0; i < size; i++) {
            val |= (uint64_t)core->dma_buf[addr - EDU_DMA_BUF_ADDR + i] << (8 * i);
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
        return core->liveness;
    case EDU_REG_FACTORIAL:
        return core->fact;
    case EDU_REG_STATUS:
        return core->status;
    case EDU_REG_IRQ_STATUS:
        return core->irq_status;
    case EDU_REG_DMA_SRC:
        return core->dma_src;
    case EDU_REG_DMA_DST:
        return core->dma_dst;
    case EDU_REG_DMA_COUNT:
        return core->dma_count;
    case EDU_REG_DMA_CMD:
        return core->dma_cmd;
    default:
        return ~0ull;
    }
}

void edu_core_mmio_write(EduCore *core, uint64_t addr, uint64_t val, unsigned size)
{
    bool dma_busy = core->dma_cmd & EDU_DMA_START;

    if (edu_buf_range_ok(addr, size)) {
        for (unsigned i = 0; i < size; i++) {
            core->dma_buf[addr - EDU_DMA_BUF_ADDR + i] = val >> (8 * i);
        }
        return;
    }
    if (!edu_access_ok(addr, size)) {
        return;
    }
    switch (addr) {
    case EDU_REG_LIVENESS:
        core->liveness = ~(uint32_t)val;
        break;
    case EDU_REG_FACTORIAL:
        edu_core_start_factorial(core, val);
        break;
    case EDU_REG_STATUS:
        /* only the interrupt-on-factorial bit is the driver's */
        core->status = (core->status & ~EDU_STATUS_IRQFACT) | (val & EDU_STATUS_IRQFACT);
        break;
    case EDU_REG_IRQ_RAISE:
        edu_core_raise_irq(core, val);
        break;
    case EDU_REG_IRQ_ACK:
        edu_core_lower_irq(core, val);
        break;
    /* a running transfer's parameters stay as they were started */
    case EDU_REG_DMA_SRC:
        if (!dma_busy) {
            core->dma_src = val;
        }
        break;
    case EDU_REG_DMA_DST:
        if (!dma_busy) {
            core->dma_dst = val;
        }
        break;
    case EDU_REG_DMA_COUNT:
        if (!dma_busy) {
            core->dma_count = val;
        }
        break;
    case EDU_REG_DMA_CMD:
        if (!dma_busy && (val & EDU_DMA_START)) {
            core->dma_cmd = val;
            timer_mod(core->dma_timer, clock_get_ns() + EDU_DMA_DELAY_NS);
        }
        break;
    default:
        break;
    }
}

/* Lifecycle ------------------------------------------------------------- */

void edu_core_init(EduCore *core, const EduCoreOps *ops, void *opaque)
{
    g_assert(ops->raise_irq && ops->dma);
    core->ops = ops;
    core->opaque = opaque;
    core->dma_timer = timer_new(edu_core_dma_run, core);
}

void edu_core_reset(EduCore *core)
{
    timer_del(core->dma_timer);
    core->liveness = core->fact = core->status = core->irq_status = 0;
    core->dma_src = core->dma_dst = core->dma_count = core->dma_cmd = 0;
}

void edu_core_destroy(EduCore *core)
{
    g_clear_pointer(&core->dma_timer, timer_free);
}
