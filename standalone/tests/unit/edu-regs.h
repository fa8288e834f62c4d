/*
 * The edu register map as the unit tests know it (docs/specs/edu.rst).
 * Written out here, not taken from hw/misc/edu-core.h: a test must not
 * learn the map from the code it checks.
 */
#ifndef TESTS_UNIT_EDU_REGS_H
#define TESTS_UNIT_EDU_REGS_H

#define R_ID          0x00
#define R_LIVENESS    0x04
#define R_FACT        0x08
#define R_STATUS      0x20
#define R_IRQ_STATUS  0x24
#define R_IRQ_RAISE   0x60
#define R_IRQ_ACK     0x64
#define R_DMA_SRC     0x80
#define R_DMA_DST     0x88
#define R_DMA_CNT     0x90
#define R_DMA_CMD     0x98
#define EDU_BUF       0x40000

#endif
