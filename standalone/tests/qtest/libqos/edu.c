/*
 * The edu device through a PHB's 32-bit window (see edu.h).
 */
#include "edu.h"

void qedu_setup(QTestState *qts, unsigned index, int devfn)
{
    g_assert_cmphex(qos_pci_map_bar0(qts, index, devfn, SPAPR_PCI_BUS_MEM32), ==,
                    QEDU_BAR0(index));
}

uint32_t qedu_readl(QTestState *qts, unsigned index, uint32_t reg)
{
    return qos_ldl_le(qts, QEDU_BAR0(index) + reg);
}

void qedu_writel(QTestState *qts, unsigned index, uint32_t reg, uint32_t v)
{
    qos_stl_le(qts, QEDU_BAR0(index) + reg, v);
}

uint64_t qedu_readq(QTestState *qts, unsigned index, uint32_t reg)
{
    return qos_ldq_le(qts, QEDU_BAR0(index) + reg);
}

void qedu_writeq(QTestState *qts, unsigned index, uint32_t reg, uint64_t v)
{
    qos_stq_le(qts, QEDU_BAR0(index) + reg, v);
}

void qedu_dma_start(QTestState *qts, unsigned index, uint64_t src, uint64_t dst, uint64_t len,
                    bool to_ram)
{
    qedu_writeq(qts, index, EDU_REG_DMA_SRC, src);
    qedu_writeq(qts, index, EDU_REG_DMA_DST, dst);
    qedu_writeq(qts, index, EDU_REG_DMA_COUNT, len);
    qedu_writeq(qts, index, EDU_REG_DMA_CMD, EDU_DMA_START | (to_ram ? EDU_DMA_TO_RAM : 0));
}

void qedu_dma_wait(QTestState *qts, unsigned index)
{
    g_assert_cmphex(qedu_readq(qts, index, EDU_REG_DMA_CMD) & EDU_DMA_START, ==, EDU_DMA_START);
    qtest_clock_step(qts, EDU_DMA_DELAY_NS);
    g_assert_cmphex(qedu_readq(qts, index, EDU_REG_DMA_CMD) & EDU_DMA_START, ==, 0);
}

void qedu_dma(QTestState *qts, unsigned index, uint64_t src, uint64_t dst, uint64_t len,
              bool to_ram)
{
    qedu_dma_start(qts, index, src, dst, len, to_ram);
    qedu_dma_wait(qts, index);
}
