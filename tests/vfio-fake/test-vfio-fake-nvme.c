/*
 * Unit tests of the fake's NVMe function (fake-nvme.c), driven as a
 * guest's nvme driver would, through a Type1 container: registers, the
 * admin queue, Identify, features, I/O queues, reads and writes with
 * PRPs and PRP lists into mapped memory, faults, interrupts, resets.
 * The "nvme" run sets $VFIO_FAKE_NVME_BACKING to a file of the test's.
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "test-vfio-fake-util.h"

#define NVME_DEV        "0000:05:00.0"
#define MEM_IOVA        0x100000ULL
#define MEM_SIZE        (1 << 20)
#define UNMAPPED_IOVA   0x40000000ULL
#define PAGE            4096

/* where things live in the mapped memory (offsets) */
#define ASQ_OFF         0x0000
#define ACQ_OFF         0x1000
#define IOSQ_OFF        0x2000
#define IOCQ_OFF        0x3000
#define IDENT_OFF       0x4000
#define LIST_OFF        0x8000
#define DATA_OFF        0x10000
#define QSIZE           16

/* status as the CQE carries it: (SCT << 8) | SC, DNR 0x4000 */
#define ST_INVALID_OPCODE   0x4001
#define ST_INVALID_FIELD    0x4002
#define ST_DATA_XFER        0x4004
#define ST_LBA_RANGE        0x4080
#define ST_CQ_INVALID       0x4100
#define ST_INVALID_QID      0x4101

typedef struct Ring {
    unsigned tail;             /* SQ */
    unsigned head;             /* CQ */
    bool phase;
} Ring;

typedef struct Ctrl {
    TestGroup t;
    uint8_t *mem;
    Ring ring[2];              /* admin, I/O queue 1 */
    uint16_t cid;
} Ctrl;

const char *test_nvme_backing;

static uint64_t iova(uint64_t off)
{
    return MEM_IOVA + off;
}

static void put_le(uint8_t *p, uint64_t v, unsigned size)
{
    for (unsigned i = 0; i < size; i++) {
        p[i] = v >> (8 * i);
    }
}

static uint64_t get_le(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

static uint64_t reg64(Ctrl *c, uint64_t addr)
{
    return test_bar0_read32(c->t.device, addr) |
           (uint64_t)test_bar0_read32(c->t.device, addr + 4) << 32;
}

static int64_t faults(void)
{
    return test_device_u64(NVME_DEV, "dma-faults");
}

/* A command for queue @qid: the SQ tail doorbell runs it at once. */
static uint16_t submit(Ctrl *c, unsigned qid, uint8_t opc, uint32_t nsid,
                       uint64_t prp1, uint64_t prp2, uint32_t cdw10,
                       uint32_t cdw11, uint32_t cdw12)
{
    Ring *r = &c->ring[qid];
    uint8_t *e = c->mem + (qid ? IOSQ_OFF : ASQ_OFF) + r->tail * 64;
    uint16_t cid = ++c->cid;

    memset(e, 0, 64);
    e[0] = opc;
    put_le(e + 2, cid, 2);
    put_le(e + 4, nsid, 4);
    put_le(e + 24, prp1, 8);
    put_le(e + 32, prp2, 8);
    put_le(e + 40, cdw10, 4);
    put_le(e + 44, cdw11, 4);
    put_le(e + 48, cdw12, 4);
    r->tail = (r->tail + 1) % QSIZE;
    test_bar0_write32(c->t.device, 0x1000 + 8 * qid, r->tail);
    return cid;
}

static bool cq_has_entry(Ctrl *c, unsigned qid)
{
    Ring *r = &c->ring[qid];
    uint8_t *e = c->mem + (qid ? IOCQ_OFF : ACQ_OFF) + r->head * 16;

    return (get_le(e + 14, 2) & 1) == r->phase;
}

/* The next completion of @qid, for command @cid: its status. */
static uint16_t complete(Ctrl *c, unsigned qid, uint16_t cid, uint32_t *dw0)
{
    Ring *r = &c->ring[qid];
    uint8_t *e = c->mem + (qid ? IOCQ_OFF : ACQ_OFF) + r->head * 16;

    g_assert_true(cq_has_entry(c, qid));
    g_assert_cmpuint(get_le(e + 12, 2), ==, cid);
    g_assert_cmpuint(get_le(e + 10, 2), ==, qid);
    g_assert_cmpuint(get_le(e + 8, 2), ==, c->ring[qid].tail);
    if (dw0) {
        *dw0 = get_le(e, 4);
    }
    if (++r->head == QSIZE) {
        r->head = 0;
        r->phase = !r->phase;
    }
    test_bar0_write32(c->t.device, 0x1000 + 8 * qid + 4, r->head);
    return get_le(e + 14, 2) >> 1;
}

static uint16_t run(Ctrl *c, unsigned qid, uint8_t opc, uint32_t nsid,
                    uint64_t prp1, uint64_t prp2, uint32_t cdw10,
                    uint32_t cdw11, uint32_t cdw12, uint32_t *dw0)
{
    uint16_t cid = submit(c, qid, opc, nsid, prp1, prp2, cdw10, cdw11,
                          cdw12);

    return complete(c, qid, cid, dw0);
}

static void ctrl_enable(Ctrl *c)
{
    memset(c->ring, 0, sizeof(c->ring));
    c->ring[0].phase = c->ring[1].phase = true;
    memset(c->mem + ASQ_OFF, 0, 2 * PAGE);
    test_bar0_write32(c->t.device, 0x24, (QSIZE - 1) << 16 | (QSIZE - 1));
    test_bar0_write64(c->t.device, 0x28, iova(ASQ_OFF));
    test_bar0_write64(c->t.device, 0x30, iova(ACQ_OFF));
    /* CSS NVM, MPS 4 KiB, 64-byte SQ and 16-byte CQ entries, enable */
    test_bar0_write32(c->t.device, 0x14, 6 << 16 | 4 << 20 | 1);
    g_assert_cmphex(test_bar0_read32(c->t.device, 0x1c), ==, 1);
}

/* Number of Queues, then I/O CQ 1 (vector 1) and SQ 1. */
static void ctrl_io_queues(Ctrl *c)
{
    uint32_t dw0;

    memset(c->mem + IOSQ_OFF, 0, 2 * PAGE);
    c->ring[1] = (Ring) { .phase = true };
    g_assert_cmphex(run(c, 0, 0x09, 0, 0, 0, 0x07, 0x00010001, 0, &dw0),
                    ==, 0);
    g_assert_cmphex(dw0, ==, 0x00010001);
    g_assert_cmphex(run(c, 0, 0x05, 0, iova(IOCQ_OFF), 0, (QSIZE - 1) << 16 | 1,
                        1 << 16 | 3, 0, NULL), ==, 0);
    g_assert_cmphex(run(c, 0, 0x01, 0, iova(IOSQ_OFF), 0, (QSIZE - 1) << 16 | 1,
                        1 << 16 | 1, 0, NULL), ==, 0);
}

static void ctrl_up(Ctrl *c)
{
    struct vfio_iommu_type1_dma_map map = {
        .argsz = sizeof(map),
        .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
        .iova = MEM_IOVA, .size = MEM_SIZE,
    };

    memset(c, 0, sizeof(*c));
    test_device_up(&c->t, 5, VFIO_TYPE1v2_IOMMU, NVME_DEV);
    c->mem = test_alloc_pages(MEM_SIZE);
    map.vaddr = (uintptr_t)c->mem;
    g_assert_cmpint(IOC(c->t.container, VFIO_IOMMU_MAP_DMA, &map), ==, 0);
    test_enable_master(c->t.device);
    ctrl_enable(c);
}

static void ctrl_down(Ctrl *c)
{
    test_group_down(&c->t);
    munmap(c->mem, MEM_SIZE);
}

/* The backing file's bytes at @off. */
static void backing_read(uint64_t off, void *buf, size_t len)
{
    int fd = open(test_nvme_backing, O_RDONLY | O_CLOEXEC);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(pread(fd, buf, len, off), ==, len);
    close(fd);
}

/* Tests ------------------------------------------------------------------ */

static void test_nvme_function(void)
{
    struct vfio_region_info reg = { .argsz = sizeof(reg) };
    struct vfio_irq_info irq = { .argsz = sizeof(irq) };
    TestGroup t;
    uint64_t cap;

    test_device_up(&t, 5, VFIO_TYPE1v2_IOMMU, NVME_DEV);
    g_assert_cmphex(test_config_read(t.device, 0x08, 4) >> 8, ==, 0x010802);
    /* a 64-bit BAR0, trapped: QEMU must see every register access */
    g_assert_cmphex(test_config_read(t.device, 0x10, 4) & 0x7, ==, 0x4);
    reg.index = VFIO_PCI_BAR0_REGION_INDEX;
    g_assert_cmpint(IOC(t.device, VFIO_DEVICE_GET_REGION_INFO, &reg), ==, 0);
    g_assert_cmpuint(reg.size, ==, 0x4000);
    g_assert_false(reg.flags & VFIO_REGION_INFO_FLAG_MMAP);
    g_assert_true(mmap(NULL, 4096, PROT_READ, MAP_SHARED, t.device,
                       reg.offset) == MAP_FAILED);
    irq.index = VFIO_PCI_MSIX_IRQ_INDEX;
    g_assert_cmpint(IOC(t.device, VFIO_DEVICE_GET_IRQ_INFO, &irq), ==, 0);
    g_assert_cmpuint(irq.count, ==, 8);

    cap = test_bar0_read32(t.device, 0) |
          (uint64_t)test_bar0_read32(t.device, 4) << 32;
    g_assert_cmpuint(cap & 0xffff, ==, 255);            /* MQES */
    g_assert_true(cap & (1 << 16));                     /* CQR */
    g_assert_cmpuint((cap >> 32) & 0xf, ==, 0);         /* DSTRD */
    g_assert_true(cap & (1ULL << 37));                  /* CSS NVM */
    g_assert_cmphex(test_bar0_read32(t.device, 0x08), ==, 0x10400);
    g_assert_cmphex(test_bar0_read32(t.device, 0x1c), ==, 0);
    /* the MSI-X table is QEMU's to emulate: all ones through the BAR */
    g_assert_cmphex(test_bar0_read32(t.device, 0x2000), ==, 0xffffffff);
    test_group_down(&t);
}

static void test_nvme_admin(void)
{
    uint8_t *id;
    uint32_t dw0;
    Ctrl c;

    ctrl_up(&c);
    id = c.mem + IDENT_OFF;
    g_assert_cmphex(reg64(&c, 0x28), ==, iova(ASQ_OFF));

    /* Identify controller, namespace, active namespaces, descriptors */
    g_assert_cmphex(run(&c, 0, 0x06, 0, iova(IDENT_OFF), 0, 1, 0, 0, NULL),
                    ==, 0);
    g_assert_cmphex(get_le(id, 2), ==, 0x1234);
    g_assert_true(!memcmp(id + 24, "vfio-fake NVMe ", 15));
    g_assert_cmpuint(id[77], ==, 5);                    /* MDTS */
    g_assert_cmphex(get_le(id + 80, 4), ==, 0x10400);
    g_assert_cmphex(id[512], ==, 0x66);
    g_assert_cmphex(id[513], ==, 0x44);
    g_assert_cmpuint(get_le(id + 516, 4), ==, 1);       /* NN */
    g_assert_cmpuint(get_le(id + 536, 4), ==, 0);       /* no SGL */
    g_assert_cmphex(run(&c, 0, 0x06, 1, iova(IDENT_OFF), 0, 0, 0, 0, NULL),
                    ==, 0);
    g_assert_cmpuint(get_le(id, 8), ==, 512);           /* 256 KiB */
    g_assert_cmpuint((get_le(id + 128, 4) >> 16) & 0xff, ==, 9);
    g_assert_cmphex(run(&c, 0, 0x06, 0, iova(IDENT_OFF), 0, 2, 0, 0, NULL),
                    ==, 0);
    g_assert_cmpuint(get_le(id, 4), ==, 1);
    g_assert_cmpuint(get_le(id + 4, 4), ==, 0);
    g_assert_cmphex(run(&c, 0, 0x06, 1, iova(IDENT_OFF), 0, 3, 0, 0, NULL),
                    ==, 0);
    g_assert_cmpuint(id[0], ==, 2);                     /* NGUID */
    g_assert_cmpuint(id[1], ==, 16);
    g_assert_cmphex(run(&c, 0, 0x06, 2, iova(IDENT_OFF), 0, 0, 0, 0, NULL),
                    ==, 0x400b);                        /* no NS 2 */
    g_assert_cmphex(run(&c, 0, 0x06, 0, iova(IDENT_OFF), 0, 5, 0, 0, NULL),
                    ==, ST_INVALID_FIELD);

    /* features: stored and returned; Number of Queues granted */
    g_assert_cmphex(run(&c, 0, 0x09, 0, 0, 0, 0x06, 1, 0, NULL), ==, 0);
    g_assert_cmphex(run(&c, 0, 0x0a, 0, 0, 0, 0x06, 0, 0, &dw0), ==, 0);
    g_assert_cmphex(dw0, ==, 1);
    g_assert_cmphex(run(&c, 0, 0x09, 0, 0, 0, 0x0b, 0x100, 0, NULL), ==, 0);
    g_assert_cmphex(run(&c, 0, 0x09, 0, 0, 0, 0x07, 0x00630063, 0, &dw0),
                    ==, 0);
    g_assert_cmphex(dw0, ==, 0x00030003);               /* 4 of 100 */

    /* logs of zeros; an unknown log page and opcode are refused */
    memset(id, 0xaa, 1024);
    g_assert_cmphex(run(&c, 0, 0x02, 0xffffffff, iova(IDENT_OFF), 0,
                        127 << 16 | 0x02, 0, 0, NULL), ==, 0);
    g_assert_cmpuint(id[0] | id[511], ==, 0);
    g_assert_cmphex(id[512], ==, 0xaa);
    g_assert_cmphex(run(&c, 0, 0x02, 0, iova(IDENT_OFF), 0, 0x70, 0, 0,
                        NULL), ==, 0x4109);
    g_assert_cmphex(run(&c, 0, 0x7f, 0, 0, 0, 0, 0, 0, NULL), ==,
                    ST_INVALID_OPCODE);

    /* Async Event Request: held, nothing completes */
    submit(&c, 0, 0x0c, 0, 0, 0, 0, 0, 0);
    g_assert_false(cq_has_entry(&c, 0));
    g_assert_cmpint(test_device_u64(NVME_DEV, "nvme/aers-held"), ==, 1);
    g_assert_cmphex(run(&c, 0, 0x08, 0, 0, 0, 0, 0, 0, &dw0), ==, 0);
    g_assert_cmphex(dw0 & 1, ==, 1);                    /* not aborted */

    /* I/O queues: bad ones refused, good ones made and deleted */
    g_assert_cmphex(run(&c, 0, 0x01, 0, iova(IOSQ_OFF), 0,
                        (QSIZE - 1) << 16 | 1, 1 << 16 | 1, 0, NULL), ==,
                    ST_CQ_INVALID);
    g_assert_cmphex(run(&c, 0, 0x05, 0, iova(IOCQ_OFF), 0,
                        (QSIZE - 1) << 16 | 9, 1, 0, NULL), ==,
                    ST_INVALID_QID);
    ctrl_io_queues(&c);
    g_assert_cmpint(test_device_u64(NVME_DEV, "nvme/io-sqs"), ==, 1);
    g_assert_cmphex(run(&c, 0, 0x04, 0, 0, 0, 1, 0, 0, NULL), ==, 0x410c);
    g_assert_cmphex(run(&c, 0, 0x00, 0, 0, 0, 1, 0, 0, NULL), ==, 0);
    g_assert_cmphex(run(&c, 0, 0x04, 0, 0, 0, 1, 0, 0, NULL), ==, 0);
    g_assert_cmpint(test_device_u64(NVME_DEV, "nvme/io-sqs"), ==, 0);
    g_assert_cmpint(faults(), ==, 0);
    ctrl_down(&c);
}

static void test_nvme_io(void)
{
    uint8_t *data, *list, *back = g_malloc(64 * 1024);
    int efd = eventfd(0, EFD_CLOEXEC);
    struct {
        struct vfio_irq_set set;
        int32_t fds[2];
    } irqs = {
        .set.argsz = sizeof(irqs),
        .set.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
        .set.index = VFIO_PCI_MSIX_IRQ_INDEX,
        .set.count = 2,
        .fds = { -1, efd },
    };
    int64_t read0, written0;
    Ctrl c;

    ctrl_up(&c);
    ctrl_io_queues(&c);
    g_assert_cmpint(IOC(c.t.device, VFIO_DEVICE_SET_IRQS, &irqs), ==, 0);
    data = c.mem + DATA_OFF;
    list = c.mem + LIST_OFF;
    read0 = test_device_u64(NVME_DEV, "nvme/bytes-read");
    written0 = test_device_u64(NVME_DEV, "nvme/bytes-written");

    /* 4 KiB to LBA 16 from mid-page: PRP1, and PRP2 as the next page */
    for (int i = 0; i < 4096; i++) {
        data[0x800 + i] = i * 7 + 1;
    }
    g_assert_cmphex(run(&c, 1, 0x01, 1, iova(DATA_OFF + 0x800),
                        iova(DATA_OFF + PAGE), 16, 0, 7, NULL), ==, 0);
    g_assert_true(test_eventfd_fired(efd));             /* CQ 1: vector 1 */
    backing_read(16 * 512, back, 4096);
    g_assert_true(!memcmp(back, data + 0x800, 4096));
    /* and 8 KiB back, page aligned: two pages */
    memset(data, 0, 0x4000);
    g_assert_cmphex(run(&c, 1, 0x02, 1, iova(DATA_OFF), iova(DATA_OFF + PAGE),
                        16, 0, 15, NULL), ==, 0);
    g_assert_true(!memcmp(back, data, 4096));

    /* 64 KiB through a PRP list, PRP1 at an offset: 17 pages */
    for (int i = 0; i < 16; i++) {
        put_le(list + 8 * i, iova(DATA_OFF + (i + 1) * PAGE), 8);
    }
    for (int i = 0; i < 65536; i++) {
        data[0x200 + i] = i ^ (i >> 8);
    }
    g_assert_cmphex(run(&c, 1, 0x01, 1, iova(DATA_OFF + 0x200), iova(LIST_OFF),
                        100, 0, 127, NULL), ==, 0);
    backing_read(100 * 512, back, 65536);
    g_assert_true(!memcmp(back, data + 0x200, 65536));
    /*
     * read it back through a chained list: the first list page has room
     * for 2 entries only (one page, then the pointer to the next list)
     */
    memset(data, 0, 0x12000);
    put_le(list + PAGE - 16, iova(DATA_OFF + PAGE), 8);
    put_le(list + PAGE - 8, iova(LIST_OFF + PAGE), 8);
    for (int i = 0; i < 15; i++) {
        put_le(list + PAGE + 8 * i, iova(DATA_OFF + (i + 2) * PAGE), 8);
    }
    g_assert_cmphex(run(&c, 1, 0x02, 1, iova(DATA_OFF + 0x200),
                        iova(LIST_OFF + PAGE - 16), 100, 0, 127, NULL), ==, 0);
    g_assert_true(!memcmp(back, data + 0x200, 65536));
    g_assert_cmpint(test_device_u64(NVME_DEV, "nvme/bytes-read") - read0, ==,
                    8192 + 65536);
    g_assert_cmpint(test_device_u64(NVME_DEV, "nvme/bytes-written") - written0,
                    ==, 4096 + 65536);

    /* Flush; the end of the namespace; a transfer beyond MDTS */
    g_assert_cmphex(run(&c, 1, 0x00, 1, 0, 0, 0, 0, 0, NULL), ==, 0);
    g_assert_cmphex(run(&c, 1, 0x02, 1, iova(DATA_OFF), 0, 511, 0, 0, NULL),
                    ==, 0);
    g_assert_cmphex(run(&c, 1, 0x02, 1, iova(DATA_OFF), 0, 511, 0, 1, NULL),
                    ==, ST_LBA_RANGE);
    g_assert_cmphex(run(&c, 1, 0x02, 1, iova(DATA_OFF), iova(LIST_OFF), 0, 0,
                        256, NULL), ==, ST_INVALID_FIELD);
    g_assert_cmphex(run(&c, 1, 0x02, 2, iova(DATA_OFF), 0, 0, 0, 0, NULL),
                    ==, 0x400b);
    g_assert_cmpint(faults(), ==, 0);
    ctrl_down(&c);
    close(efd);
    g_free(back);
}

/* A PRP that points nowhere: a counted fault and an error, no hang. */
static void test_nvme_fault(void)
{
    uint8_t *data, *list, before[1024], after[1024];
    int64_t f0;
    Ctrl c;

    ctrl_up(&c);
    ctrl_io_queues(&c);
    data = c.mem + DATA_OFF;
    list = c.mem + LIST_OFF;
    f0 = faults();
    backing_read(0, before, sizeof(before));

    /* a write whose second page is unmapped: the file keeps its data */
    memset(data, 0x5a, 1024);
    g_assert_cmphex(run(&c, 1, 0x01, 1, iova(DATA_OFF + PAGE - 512),
                        UNMAPPED_IOVA, 0, 0, 1, NULL), ==, ST_DATA_XFER);
    g_assert_cmpint(faults(), ==, f0 + 1);
    backing_read(0, after, sizeof(after));
    g_assert_true(!memcmp(before, after, sizeof(after)));
    /* a read into a PRP list entry that is unmapped */
    put_le(list, iova(DATA_OFF + PAGE), 8);
    put_le(list + 8, UNMAPPED_IOVA, 8);
    g_assert_cmphex(run(&c, 1, 0x02, 1, iova(DATA_OFF), iova(LIST_OFF), 0, 0,
                        23, NULL), ==, ST_DATA_XFER);
    g_assert_cmpint(faults(), ==, f0 + 2);
    /* a PRP list that is itself unmapped */
    g_assert_cmphex(run(&c, 1, 0x02, 1, iova(DATA_OFF), UNMAPPED_IOVA, 0, 0,
                        23, NULL), ==, ST_DATA_XFER);
    g_assert_cmpint(faults(), ==, f0 + 3);
    /* the controller goes on */
    g_assert_cmphex(run(&c, 1, 0x02, 1, iova(DATA_OFF), 0, 0, 0, 0, NULL),
                    ==, 0);
    g_assert_cmpint(test_device_u64(NVME_DEV, "nvme/csts"), ==, 1);

    /* an admin queue that is unmapped: fatal status, not a hang */
    test_bar0_write32(c.t.device, 0x14, 0);
    test_bar0_write64(c.t.device, 0x28, UNMAPPED_IOVA);
    test_bar0_write32(c.t.device, 0x14, 6 << 16 | 4 << 20 | 1);
    test_bar0_write32(c.t.device, 0x1000, 1);
    g_assert_cmphex(test_bar0_read32(c.t.device, 0x1c), ==, 3); /* CFS */
    g_assert_cmpint(faults(), ==, f0 + 4);
    ctrl_down(&c);
}

/* INTx: level while a CQ has entries, masked by INTMS. */
static void test_nvme_intx(void)
{
    int efd = eventfd(0, EFD_CLOEXEC);
    struct {
        struct vfio_irq_set set;
        int32_t fd;
    } s = {
        .set.argsz = sizeof(s),
        .set.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
        .set.index = VFIO_PCI_INTX_IRQ_INDEX,
        .set.count = 1,
        .fd = efd,
    };
    struct vfio_irq_set unmask = {
        .argsz = sizeof(unmask),
        .flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK,
        .index = VFIO_PCI_INTX_IRQ_INDEX,
        .count = 1,
    };
    uint16_t cid;
    Ctrl c;

    ctrl_up(&c);
    g_assert_cmpint(IOC(c.t.device, VFIO_DEVICE_SET_IRQS, &s), ==, 0);
    cid = submit(&c, 0, 0x0a, 0, 0, 0, 0x06, 0, 0);
    g_assert_true(test_eventfd_fired(efd));
    g_assert_cmphex(test_config_read(c.t.device, 6, 2) & 0x8, ==, 0x8);
    /* still pending: unmasking fires again */
    g_assert_cmpint(IOC(c.t.device, VFIO_DEVICE_SET_IRQS, &unmask), ==, 0);
    g_assert_true(test_eventfd_fired(efd));
    g_assert_cmphex(complete(&c, 0, cid, NULL), ==, 0);
    g_assert_cmphex(test_config_read(c.t.device, 6, 2) & 0x8, ==, 0);
    g_assert_cmpint(IOC(c.t.device, VFIO_DEVICE_SET_IRQS, &unmask), ==, 0);
    g_assert_false(test_eventfd_fired(efd));
    /* INTMS masks it; INTMC with an entry waiting raises it */
    test_bar0_write32(c.t.device, 0x0c, 1);
    cid = submit(&c, 0, 0x0a, 0, 0, 0, 0x06, 0, 0);
    g_assert_false(test_eventfd_fired(efd));
    test_bar0_write32(c.t.device, 0x10, 1);
    g_assert_true(test_eventfd_fired(efd));
    g_assert_cmphex(complete(&c, 0, cid, NULL), ==, 0);
    ctrl_down(&c);
    close(efd);
}

static void test_nvme_reset(void)
{
    int64_t resets, refused;
    Ctrl c;

    ctrl_up(&c);
    ctrl_io_queues(&c);
    /* controller reset: not ready, the I/O queues are gone */
    test_bar0_write32(c.t.device, 0x14, 0);
    g_assert_cmphex(test_bar0_read32(c.t.device, 0x1c), ==, 0);
    g_assert_cmpint(test_device_u64(NVME_DEV, "nvme/io-sqs"), ==, 0);
    g_assert_cmphex(reg64(&c, 0x28), ==, iova(ASQ_OFF));     /* kept */
    ctrl_enable(&c);
    /* the doorbell of a deleted I/O queue does nothing */
    submit(&c, 1, 0x02, 1, iova(DATA_OFF), 0, 0, 0, 0);
    g_assert_false(cq_has_entry(&c, 1));
    ctrl_io_queues(&c);

    /* shutdown completes at once */
    test_bar0_write32(c.t.device, 0x14, 6 << 16 | 4 << 20 | 1 << 14 | 1);
    g_assert_cmphex(test_bar0_read32(c.t.device, 0x1c) & 0xc, ==, 0x8);

    /* function reset: every register back to 0 */
    resets = test_device_u64(NVME_DEV, "resets");
    g_assert_cmpint(IOC(c.t.device, VFIO_DEVICE_RESET, NULL), ==, 0);
    g_assert_cmpint(test_device_u64(NVME_DEV, "resets"), ==, resets + 1);
    g_assert_cmphex(test_bar0_read32(c.t.device, 0x14), ==, 0);
    g_assert_cmphex(test_bar0_read32(c.t.device, 0x1c), ==, 0);
    g_assert_cmphex(test_bar0_read32(c.t.device, 0x24), ==, 0);
    g_assert_cmphex(reg64(&c, 0x28), ==, 0);

    /* without bus mastering nothing is fetched, until it is on */
    test_config_write(c.t.device, 0x04, 0x2, 2);
    ctrl_enable(&c);
    refused = test_device_u64(NVME_DEV, "dma-refused");
    submit(&c, 0, 0x0a, 0, 0, 0, 0x06, 0, 0);
    g_assert_false(cq_has_entry(&c, 0));
    g_assert_cmpint(test_device_u64(NVME_DEV, "dma-refused"), ==,
                    refused + 1);
    test_enable_master(c.t.device);
    test_bar0_write32(c.t.device, 0x1000, c.ring[0].tail);
    g_assert_cmphex(complete(&c, 0, c.cid, NULL), ==, 0);
    ctrl_down(&c);
}

/* The default topology's NVMe: a 1 MiB namespace in the fake's tree. */
static void test_nvme_default_backing(void)
{
    g_autofree char *state = test_state_command("state");

    g_assert_nonnull(strstr(state, "\"model\":\"nvme\""));
    g_assert_cmpint(test_device_u64(NVME_DEV, "nvme/blocks"), ==, 2048);
    g_assert_nonnull(strstr(state, "/nvme-" NVME_DEV ".img\""));
}

void test_nvme_register(bool own_backing)
{
    if (!own_backing) {
        g_test_add_func("/vfio-fake/nvme/default-backing",
                        test_nvme_default_backing);
        return;
    }
    g_test_add_func("/vfio-fake/nvme/function", test_nvme_function);
    g_test_add_func("/vfio-fake/nvme/admin", test_nvme_admin);
    g_test_add_func("/vfio-fake/nvme/io", test_nvme_io);
    g_test_add_func("/vfio-fake/nvme/fault", test_nvme_fault);
    g_test_add_func("/vfio-fake/nvme/intx", test_nvme_intx);
    g_test_add_func("/vfio-fake/nvme/reset", test_nvme_reset);
}
