/*
 * The edu function model: the registers of QEMU's hw/misc/edu.c
 * (docs/specs/edu.rst) at the same offsets, as a host kernel would see
 * such a card, plus what QEMU's edu does not have (see below).
 *
 * BAR0 (1 MiB, trapped: its registers have side effects), little-endian:
 *   0x00 RO identification 0x010000ed      0x04 RW liveness: reads ~written
 *   0x08 RW factorial                       0x20 RW status (0x01 computing,
 *   0x24 RO interrupt status                         0x80 irq on factorial)
 *   0x60 WO interrupt raise (OR)            0x64 WO interrupt acknowledge
 *   0x80 DMA source  0x88 DMA destination  0x90 DMA count  0x98 DMA command
 *   0x40000..0x40fff the DMA buffer
 *   0x80000 MSI-X table, 0x81000 PBA (PCIe functions: 4 vectors)
 * BAR2: 4 KiB of plain memory, mmap-able.
 *
 * What differs from QEMU's edu, on purpose:
 *   - BAR0 maps the DMA buffer at 0x40000 (QEMU's edu has it only as a
 *     DMA address), BAR2 and MSI-X exist (QEMU's edu has neither), so
 *     tests can reach the buffer, mmap a BAR and use MSI-X;
 *   - the factorial and the DMA complete synchronously, inside the BAR
 *     write that starts them (the fake has no clock; QEMU traps BAR0, so
 *     the write is a pwrite the fake runs to the end before returning);
 *   - DMA addresses are 64-bit, not clamped to 28 bits: a DDW at 1 << 59
 *     must be reachable;
 *   - DMA goes through the container's IOMMU (fake_dma_rw()): an
 *     unmapped IOVA faults, is counted, writes nothing and raises no
 *     interrupt; a DMA leaving the buffer or without bus mastering is
 *     refused and counted as such.
 *
 * Config space: header, MSI at 0x40 (64-bit, 1 vector), and on PCIe
 * functions the PCIe capability at 0x50 and MSI-X at 0x90.
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <string.h>
#include "fake.h"

#define EDU_BAR0_SIZE        0x100000
#define EDU_BAR2_SIZE        0x1000
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
#define EDU_STATUS_IRQFACT   0x80
#define EDU_IRQ_FACT         0x001
#define EDU_IRQ_DMA          0x100
#define EDU_DMA_START        0x1
#define EDU_DMA_TO_RAM       0x2        /* 0: RAM -> edu, 1: edu -> RAM */
#define EDU_DMA_IRQ          0x4
#define EDU_BUF_ADDR         0x40000
#define EDU_BUF_SIZE         0x1000
#define EDU_MSIX_VECTORS     4
#define EDU_MSIX_TABLE       0x80000
#define EDU_MSIX_PBA         0x81000

#define EDU_MSI_CAP          0x40
#define EDU_EXP_CAP          0x50
#define EDU_MSIX_CAP         0x90

typedef struct Edu {
    uint32_t liveness;         /* already inverted */
    uint32_t fact;
    uint32_t status;
    uint32_t irq_status;
    uint64_t dma_src, dma_dst, dma_count, dma_cmd;
    uint8_t buf[EDU_BUF_SIZE];
} Edu;

static Edu *edu_of(FakeDevice *d)
{
    return d->model;
}

static void edu_raise(FakeDevice *d, uint32_t bits)
{
    Edu *e = edu_of(d);

    e->irq_status |= bits;
    if (e->irq_status) {
        fake_irq_raise(d);
    }
}

/* Is [addr, addr + len) inside the buffer?  (Written not to overflow.) */
static bool buf_range_ok(uint64_t addr, uint64_t len)
{
    return addr >= EDU_BUF_ADDR && len <= EDU_BUF_SIZE &&
           addr - EDU_BUF_ADDR <= EDU_BUF_SIZE - len;
}

static void edu_dma_run(FakeDevice *d)
{
    Edu *e = edu_of(d);
    bool to_ram = e->dma_cmd & EDU_DMA_TO_RAM;
    uint64_t buf_addr = to_ram ? e->dma_src : e->dma_dst;
    uint64_t iova = to_ram ? e->dma_dst : e->dma_src;
    uint64_t len = e->dma_count;
    bool ok;

    e->dma_cmd &= ~EDU_DMA_START;
    if (!buf_range_ok(buf_addr, len) || !fake_device_master_enabled(d)) {
        /* no bus transaction at all: refused, not an IOMMU fault */
        d->dma_refused++;
        fake_log("%s: DMA refused (buffer 0x%" G_GINT64_MODIFIER "x len %"
                 G_GUINT64_FORMAT ", master %d)", d->name, buf_addr, len,
                 fake_device_master_enabled(d));
        return;
    }
    /* all or nothing: a faulting read leaves the buffer intact */
    ok = fake_dma_rw(d, iova, e->buf + (buf_addr - EDU_BUF_ADDR), len,
                     to_ram);
    if (ok && (e->dma_cmd & EDU_DMA_IRQ)) {
        edu_raise(d, EDU_IRQ_DMA);
    }
}

static uint32_t factorial(uint32_t n)
{
    uint32_t ret = 1;

    /* modulo 2^32 the product is 0 after a few dozen factors */
    for (uint32_t i = n; i > 1 && ret; i--) {
        ret *= i;
    }
    return ret;
}

static bool access_ok(uint64_t addr, unsigned size)
{
    return addr < EDU_REG_DMA_SRC ? size == 4 : (size == 4 || size == 8);
}

static uint64_t edu_bar_read(FakeDevice *d, unsigned bar, uint64_t addr,
                             unsigned size)
{
    Edu *e = edu_of(d);
    uint64_t val = 0;

    if (bar != 0) {
        return ~0ULL;
    }
    if (buf_range_ok(addr, size)) {
        for (unsigned i = 0; i < size; i++) {
            val |= (uint64_t)e->buf[addr - EDU_BUF_ADDR + i] << (8 * i);
        }
        return val;
    }
    if (d->msix_vectors && addr >= EDU_MSIX_PBA && addr < EDU_MSIX_PBA + 8) {
        return 0;               /* nothing pending */
    }
    if (!access_ok(addr, size)) {
        return ~0ULL;
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
        return ~0ULL;
    }
}

static void edu_bar_write(FakeDevice *d, unsigned bar, uint64_t addr,
                          uint64_t val, unsigned size)
{
    Edu *e = edu_of(d);

    if (bar != 0) {
        return;
    }
    if (buf_range_ok(addr, size)) {
        for (unsigned i = 0; i < size; i++) {
            e->buf[addr - EDU_BUF_ADDR + i] = val >> (8 * i);
        }
        return;
    }
    if (!access_ok(addr, size)) {
        return;
    }
    switch (addr) {
    case EDU_REG_LIVENESS:
        e->liveness = ~(uint32_t)val;
        break;
    case EDU_REG_FACTORIAL:
        e->fact = factorial(val);
        if (e->status & EDU_STATUS_IRQFACT) {
            edu_raise(d, EDU_IRQ_FACT);
        }
        break;
    case EDU_REG_STATUS:
        e->status = val & EDU_STATUS_IRQFACT;
        break;
    case EDU_REG_IRQ_RAISE:
        edu_raise(d, val);
        break;
    case EDU_REG_IRQ_ACK:
        e->irq_status &= ~(uint32_t)val;
        break;
    case EDU_REG_DMA_SRC:
        e->dma_src = val;
        break;
    case EDU_REG_DMA_DST:
        e->dma_dst = val;
        break;
    case EDU_REG_DMA_COUNT:
        e->dma_count = val;
        break;
    case EDU_REG_DMA_CMD:
        if (val & EDU_DMA_START) {
            e->dma_cmd = val;
            edu_dma_run(d);
        }
        break;
    default:
        break;
    }
}

static bool edu_irq_level(FakeDevice *d)
{
    return edu_of(d)->irq_status != 0;
}

static void edu_reset(FakeDevice *d)
{
    Edu *e = edu_of(d);

    /* registers cleared, the buffer keeps its contents (as QEMU's edu) */
    e->liveness = e->fact = e->status = e->irq_status = 0;
    e->dma_src = e->dma_dst = e->dma_count = e->dma_cmd = 0;
}

/* The config space after vfio_pci_core_enable(): memory on, master off. */
static void edu_config_build(FakeDevice *d)
{
    /* 2 MiB of host BAR space per function, for realistic BAR values */
    uint32_t bar0 = 0xc0000000u + (d->ordinal % 256) * 0x200000u;

    memset(d->config, 0, sizeof(d->config));
    memset(d->wmask, 0, sizeof(d->wmask));
    fake_config_set(d, 0x00, 2, 0x1234, 0);            /* vendor */
    fake_config_set(d, 0x02, 2, 0x11e8, 0);            /* device */
    /*
     * I/O, memory, master, parity, SERR, INTx disable are the user's
     * (I/O too, though the edu has no I/O BAR: as on QEMU's edu, and
     * libqos checks that the bit sticks)
     */
    fake_config_set(d, 0x04, 2, 0x0002, 0x0547);
    fake_config_set(d, 0x06, 2, 0x0010, 0);            /* cap list */
    fake_config_set(d, 0x08, 4, 0x00ff0010, 0);        /* class, rev */
    fake_config_set(d, 0x0c, 1, 0, 0xff);              /* cache line */
    fake_config_set(d, 0x0e, 1, d->multifunction ? 0x80 : 0, 0);
    fake_config_set(d, 0x10, 4, bar0, ~(EDU_BAR0_SIZE - 1));
    fake_config_set(d, 0x18, 4, bar0 + EDU_BAR0_SIZE, ~(EDU_BAR2_SIZE - 1));
    fake_config_set(d, 0x2c, 2, 0x1af4, 0);            /* subsystem */
    fake_config_set(d, 0x2e, 2, 0x1100, 0);
    fake_config_set(d, 0x34, 1, EDU_MSI_CAP, 0);
    fake_config_set(d, 0x3c, 1, 0, 0xff);              /* interrupt line */
    fake_config_set(d, 0x3d, 1, 1, 0);                 /* INTA */
    /* MSI: 64-bit, one vector; the kernel virtualizes its writes */
    fake_config_set(d, EDU_MSI_CAP, 1, 0x05, 0);
    fake_config_set(d, EDU_MSI_CAP + 1, 1, d->pcie ? EDU_EXP_CAP : 0, 0);
    fake_config_set(d, EDU_MSI_CAP + 2, 2, 0x0080, 0x0071);
    fake_config_set(d, EDU_MSI_CAP + 4, 4, 0, 0xfffffffc);
    fake_config_set(d, EDU_MSI_CAP + 8, 4, 0, 0xffffffff);
    fake_config_set(d, EDU_MSI_CAP + 12, 2, 0, 0xffff);
    if (!d->pcie) {
        return;
    }
    /* PCIe v2 endpoint, FLR capable, x1 at 2.5 GT/s */
    fake_config_set(d, EDU_EXP_CAP, 1, 0x10, 0);
    fake_config_set(d, EDU_EXP_CAP + 1, 1, EDU_MSIX_CAP, 0);
    fake_config_set(d, EDU_EXP_CAP + 0x02, 2, 0x0002, 0);
    fake_config_set(d, EDU_EXP_CAP + 0x04, 4, 0x10008000, 0);
    fake_config_set(d, EDU_EXP_CAP + 0x08, 2, 0x2810, 0x7fff);
    fake_config_set(d, EDU_EXP_CAP + 0x0c, 4, 0x00000011, 0);
    fake_config_set(d, EDU_EXP_CAP + 0x12, 2, 0x1011, 0);
    fake_config_set(d, EDU_EXP_CAP + 0x2c, 4, 0x00000002, 0);
    /* MSI-X: table size - 1, table and PBA in BAR0; nothing writable */
    fake_config_set(d, EDU_MSIX_CAP, 1, 0x11, 0);
    fake_config_set(d, EDU_MSIX_CAP + 2, 2, EDU_MSIX_VECTORS - 1, 0);
    fake_config_set(d, EDU_MSIX_CAP + 4, 4, EDU_MSIX_TABLE, 0);
    fake_config_set(d, EDU_MSIX_CAP + 8, 4, EDU_MSIX_PBA, 0);
}

static int edu_init(FakeDevice *d)
{
    d->model = g_new0(Edu, 1);
    d->bars[0].size = EDU_BAR0_SIZE;
    d->bars[2].size = EDU_BAR2_SIZE;
    d->bars[2].mmap = true;
    if (d->pcie) {
        d->msix_vectors = EDU_MSIX_VECTORS;
        d->msix_bar = 0;
        d->msix_table = EDU_MSIX_TABLE;
        d->msix_pba = EDU_MSIX_PBA;
    }
    return 0;
}

static void edu_cleanup(FakeDevice *d)
{
    g_clear_pointer(&d->model, g_free);
}

const FakeFuncOps fake_edu_ops = {
    .name = "edu",
    .init = edu_init,
    .cleanup = edu_cleanup,
    .config_build = edu_config_build,
    .reset = edu_reset,
    .bar_read = edu_bar_read,
    .bar_write = edu_bar_write,
    .irq_level = edu_irq_level,
};
