/*
 * The "edu" register interface (docs/specs/edu.rst) without a bus.
 *
 * Two devices implement it: the guest-side PCI device (hw/misc/edu.c) and
 * the VFIO simulator's functions (hw/vfio/sim/sim-func.c), which stand for
 * an edu as the host kernel sees it.  Both must behave alike register for
 * register, so the register file, the factorial unit, the DMA engine with
 * its buffer and its timer live here once; each device supplies only what
 * depends on where it sits, through EduCoreOps: how an interrupt is
 * signalled and how a transfer reaches memory.
 *
 * BAR0 (1 MiB, little-endian), as decoded by edu_core_mmio_read/write:
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
 * around it).  A DMA runs EDU_DMA_DELAY_NS of virtual time (system/clock.h)
 * after it is started; command bit 0 reads 1 until then, and while it does
 * the source, destination, count and command registers ignore writes.
 *
 * Unlike QEMU, which stops the machine, a DMA whose device side leaves the
 * buffer is refused (EduCoreOps.dma_refused), as is one the bus side fails
 * (EduCoreOps.dma returns false): nothing is copied, no completion
 * interrupt is raised and command bit 0 clears.
 */
#ifndef HW_MISC_EDU_CORE_H
#define HW_MISC_EDU_CORE_H

#include "qemu/osdep.h"
#include "system/clock.h"

#define EDU_DMA_BUF_ADDR     0x40000        /* the buffer's offset in BAR0 */
#define EDU_DMA_BUF_SIZE     0x1000
#define EDU_DMA_DELAY_NS     (100 * 1000 * 1000)

typedef struct EduCore EduCore;

/*
 * What differs between the devices.  Every hook gets the core; the owner
 * finds itself in core->opaque.  The core calls them from MMIO writes and
 * from its DMA timer, never during init, reset or destroy.
 */
typedef struct EduCoreOps {
    /*
     * Required.  irq_status was just ORed with new bits (interrupt raise
     * register, factorial or DMA completion) and is non-zero: signal it.
     * Called on every such event, also when the bits were already set, so
     * an edge-triggered interrupt (MSI) sends one message per event.
     */
    void (*raise_irq)(EduCore *core);
    /*
     * Optional.  An acknowledge left irq_status at 0 (whether or not it
     * was already): deassert a level-triggered interrupt line.  NULL when
     * the owner reads its line level from irq_status itself.
     */
    void (*lower_irq)(EduCore *core);
    /*
     * Required.  Move @len bytes between @buf and bus address @bus_addr:
     * @to_ram writes @buf to memory, else memory is read into @buf.  The
     * device side is already checked to lie inside the buffer.  Return
     * false if the bus refused or faulted; the owner traces and counts
     * both outcomes itself (each device keeps its own trace events).  On a
     * failed read the core discards @buf, so it need not be left intact.
     */
    bool (*dma)(EduCore *core, uint64_t bus_addr, void *buf, uint64_t len, bool to_ram);
    /*
     * Optional.  The core refused a started transfer before reaching the
     * bus, for reason @why ("outside the buffer"): @bus_addr is the
     * unclamped bus-side address, @len the count.  For traces and counters.
     */
    void (*dma_refused)(EduCore *core, const char *why, uint64_t bus_addr, uint64_t len);
} EduCoreOps;

struct EduCore {
    const EduCoreOps *ops;
    void *opaque;               /* the owning device, for the hooks */
    Timer *dma_timer;           /* runs the started DMA; NULL until init */
    uint32_t liveness;          /* already inverted */
    uint32_t fact;
    uint32_t status;
    uint32_t irq_status;
    uint64_t dma_src;
    uint64_t dma_dst;
    uint64_t dma_count;
    uint64_t dma_cmd;
    uint8_t dma_buf[EDU_DMA_BUF_SIZE];
};

/*
 * Attach @ops and @opaque to @core and create its DMA timer.  The
 * registers and the buffer are left as they are: the owner allocates
 * @core zeroed, which is the power-on state.
 */
void edu_core_init(EduCore *core, const EduCoreOps *ops, void *opaque);
/*
 * Device reset: cancel a pending DMA and clear every register.  The
 * buffer keeps its contents and no interrupt hook is called: the owner
 * resets its interrupt state itself.
 */
void edu_core_reset(EduCore *core);
/* Free the DMA timer (a pending DMA is dropped).  Safe if never initialized. */
void edu_core_destroy(EduCore *core);
/* A @size-byte (1..8) read at BAR0 offset @addr; all ones if not decoded. */
uint64_t edu_core_mmio_read(EduCore *core, uint64_t addr, unsigned size);
/* A @size-byte (1..8) write at BAR0 offset @addr; dropped if not decoded. */
void edu_core_mmio_write(EduCore *core, uint64_t addr, uint64_t val, unsigned size);

#endif
