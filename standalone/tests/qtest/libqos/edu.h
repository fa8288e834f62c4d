/*
 * The edu device (docs/specs/edu.rst) seen by a pseries guest: its
 * registers and its DMA engine through a PHB's 32-bit MMIO window.
 *
 * The helpers name the edu by the index of the PHB it is behind: after
 * qedu_setup(), its BAR0 is at PCI address 0x80000000, the start of that
 * PHB's window (QEDU_BAR0()).  Registers are little-endian and qtest
 * values big-endian: the helpers swap, so values are the registers'.
 * The same register file is behind the VFIO simulator's functions.
 * The map is written out here, not taken from hw/misc/edu-core.h: a test
 * must not learn it from the code it checks.
 */
#ifndef LIBQOS_EDU_H
#define LIBQOS_EDU_H

#include "spapr.h"

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8
#define EDU_BAR_SIZE 0x100000u
#define EDU_ID 0x010000ed

/* BAR0 registers */
#define EDU_REG_ID 0x00
#define EDU_REG_LIVENESS 0x04
#define EDU_REG_FACTORIAL 0x08
#define EDU_REG_STATUS 0x20
#define EDU_REG_IRQ_STATUS 0x24
#define EDU_REG_IRQ_RAISE 0x60
#define EDU_REG_IRQ_ACK 0x64
#define EDU_REG_DMA_SRC 0x80
#define EDU_REG_DMA_DST 0x88
#define EDU_REG_DMA_COUNT 0x90
#define EDU_REG_DMA_CMD 0x98
/* the DMA buffer (4 KiB), in the device's own address space and in BAR0 */
#define EDU_DMA_BUF 0x40000
/* EDU_REG_DMA_CMD */
#define EDU_DMA_START 0x1
#define EDU_DMA_TO_RAM 0x2
#define EDU_DMA_IRQ 0x4
/* how long a DMA takes, in virtual time */
#define EDU_DMA_DELAY_NS (100 * 1000 * 1000)

/* The CPU address of BAR0 of an edu set up behind PHB @index */
#define QEDU_BAR0(index) SPAPR_PCI_MEM32_CPU(index)

/*
 * Set up the edu at @devfn behind PHB @index through RTAS config writes:
 * BAR0 at PCI 0x80000000, memory decoding and bus mastering on (asserts
 * that the writes succeed).
 */
void qedu_setup(QTestState *qts, unsigned index, int devfn);

/* Register @reg of BAR0 (an offset), 32 or 64 bits */
uint32_t qedu_readl(QTestState *qts, unsigned index, uint32_t reg);
void qedu_writel(QTestState *qts, unsigned index, uint32_t reg, uint32_t v);
uint64_t qedu_readq(QTestState *qts, unsigned index, uint32_t reg);
void qedu_writeq(QTestState *qts, unsigned index, uint32_t reg, uint64_t v);

/*
 * Start a DMA of @len bytes from bus address @src to @dst: from guest RAM
 * into the device's buffer, or (@to_ram) from the buffer into guest RAM.
 * Addresses in the buffer are EDU_DMA_BUF-based.
 */
void qedu_dma_start(QTestState *qts, unsigned index, uint64_t src, uint64_t dst, uint64_t len,
                    bool to_ram);
/*
 * Wait out a DMA started by qedu_dma_start(): asserts that it is still
 * running, moves the clock EDU_DMA_DELAY_NS on, and asserts that it is
 * done.  A DMA the IOMMU refuses is done too (nothing copied).
 */
void qedu_dma_wait(QTestState *qts, unsigned index);
/* Both of the above */
void qedu_dma(QTestState *qts, unsigned index, uint64_t src, uint64_t dst, uint64_t len,
              bool to_ram);

#endif
