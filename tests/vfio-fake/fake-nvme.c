/*
 * The NVMe function model: a small NVMe 1.4 controller, enough for the
 * nvme driver of a stock Linux guest (Debian 12's 6.1) to probe it and
 * do block I/O on one namespace backed by a host file.
 *
 * BAR0 (16 KiB, 64-bit, trapped: every register has side effects):
 *   0x0000 CAP  0x0008 VS  0x000c INTMS  0x0010 INTMC  0x0014 CC
 *   0x001c CSTS  0x0024 AQA  0x0028 ASQ  0x0030 ACQ   (rest reads 0)
 *   0x1000 doorbells, stride 4: SQ y tail at 0x1000 + 8y, CQ y head at
 *          0x1000 + 8y + 4
 *   0x2000 MSI-X table (8 vectors), 0x3000 PBA
 * Config space: class 0x010802, PCIe endpoint, MSI-X, INTA.  No MSI:
 * vfio-pci would offer it, but the guest prefers MSI-X anyway.
 *
 * The controller works synchronously: a write to an SQ tail doorbell
 * fetches and runs every new command and posts its completion before the
 * BAR write returns (QEMU traps BAR0, so that write is the pwrite of its
 * vCPU).  Every queue entry, PRP list and data byte moves by DMA through
 * the container's IOMMU (fake_dma_rw()), to the IOVAs the guest's driver
 * programmed: nothing is read from guest memory any other way.
 *
 * Faults.  A data or PRP-list DMA that faults (unmapped IOVA, wrong
 * permission, frozen PE) is counted in dma-faults like the edu's, and the
 * command completes with Data Transfer Error (DNR): the driver sees an
 * I/O error, nothing hangs.  A command or completion entry that cannot be
 * fetched or posted leaves no way to tell the host; the controller then
 * sets CSTS.CFS, as hardware does on a fatal error, and stops until a
 * reset.  Without bus mastering nothing is fetched (dma-refused); the
 * commands wait for the next doorbell.
 *
 * What it implements.  Admin: Identify (controller, namespace, active
 * namespace list, namespace identification descriptors; other CNS values
 * Invalid Field), Set/Get Features (Number of Queues, Volatile Write
 * Cache, Async Event Configuration, any other current value stored and
 * returned), Create/Delete I/O SQ and CQ, Get Log Page (error, SMART,
 * firmware slot: zeros), Async Event Request (held, never completed: no
 * event ever happens), Abort (never aborts).  I/O: Read, Write, Flush on
 * namespace 1, 512-byte LBAs, PRPs only (no SGL: SGLS is 0), transfers up
 * to MDTS (128 KiB).  Controller reset (CC.EN 1 -> 0), shutdown (CC.SHN,
 * done at once) and function reset (VFIO_DEVICE_RESET).
 *
 * The backing file: the topology's backing=, else $VFIO_FAKE_NVME_BACKING,
 * else a 1 MiB file of zeros in the fake's private tree.  Its size in
 * whole 512-byte blocks is the namespace.
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fake.h"

#define NVME_BAR0_SIZE      0x4000
#define NVME_DB_BASE        0x1000
#define NVME_MSIX_VECTORS   8
#define NVME_MSIX_TABLE     0x2000
#define NVME_MSIX_PBA       0x3000
#define NVME_DEFAULT_SIZE   (1 << 20)

#define NVME_EXP_CAP        0x40
#define NVME_MSIX_CAP       0x80

/* Registers */
#define NVME_REG_CAP        0x00
#define NVME_REG_VS         0x08
#define NVME_REG_INTMS      0x0c
#define NVME_REG_INTMC      0x10
#define NVME_REG_CC         0x14
#define NVME_REG_CSTS       0x1c
#define NVME_REG_AQA        0x24
#define NVME_REG_ASQ        0x28
#define NVME_REG_ACQ        0x30

#define NVME_VERSION        0x00010400      /* 1.4 */
#define NVME_MQES           255             /* 256 entries per queue */
#define NVME_CAP_TO         20              /* 10 s, in 500 ms units */

#define NVME_CC_EN          (1u << 0)
#define NVME_CC_CSS(cc)     (((cc) >> 4) & 7)
#define NVME_CC_MPS(cc)     (((cc) >> 7) & 0xf)
#define NVME_CC_SHN(cc)     (((cc) >> 14) & 3)
#define NVME_CC_IOSQES(cc)  (((cc) >> 16) & 0xf)
#define NVME_CC_IOCQES(cc)  (((cc) >> 20) & 0xf)
#define NVME_CC_WMASK       0x00fffff1u
#define NVME_CSTS_RDY       (1u << 0)
#define NVME_CSTS_CFS       (1u << 1)
#define NVME_CSTS_SHST_DONE (2u << 2)

#define NVME_PAGE           4096u           /* CAP.MPSMIN = MPSMAX = 0 */
#define NVME_LBA            512u
#define NVME_MDTS           5               /* 2^5 pages: 128 KiB */
#define NVME_MAX_XFER       (NVME_PAGE << NVME_MDTS)
#define NVME_SQE            64
#define NVME_CQE            16
#define NVME_MAX_IOQ        4               /* I/O queue pairs 1..4 */
#define NVME_NQ             (NVME_MAX_IOQ + 1)
#define NVME_AERL           3               /* 4 requests held at most */
#define NVME_NFEAT          0x20

/* Status: (status code type << 8) | status code; DNR is added on top */
#define SC_SUCCESS          0x000
#define SC_INVALID_OPCODE   0x001
#define SC_INVALID_FIELD    0x002
#define SC_DATA_XFER_ERROR  0x004
#define SC_INTERNAL         0x006
#define SC_INVALID_NS       0x00b
#define SC_INVALID_PRP_OFS  0x013
#define SC_LBA_RANGE        0x080
#define SC_CQ_INVALID       0x100
#define SC_INVALID_QID      0x101
#define SC_INVALID_QSIZE    0x102
#define SC_AER_LIMIT        0x105
#define SC_INVALID_VECTOR   0x108
#define SC_INVALID_LOG_PAGE 0x109
#define SC_QUEUE_DELETION   0x10c
#define SC_NOT_SAVEABLE     0x10d
#define SC_WRITE_FAULT      0x280
#define SC_READ_ERROR       0x281
#define SC_DNR              0x4000
#define SC_HOLD             0xffff          /* no completion (AER) */

/* Admin opcodes */
#define ADM_DELETE_SQ       0x00
#define ADM_CREATE_SQ       0x01
#define ADM_GET_LOG_PAGE    0x02
#define ADM_DELETE_CQ       0x04
#define ADM_CREATE_CQ       0x05
#define ADM_IDENTIFY        0x06
#define ADM_ABORT           0x08
#define ADM_SET_FEATURES    0x09
#define ADM_GET_FEATURES    0x0a
#define ADM_ASYNC_EVENT     0x0c

/* I/O opcodes */
#define IO_FLUSH            0x00
#define IO_WRITE            0x01
#define IO_READ             0x02

#define FEAT_NUM_QUEUES     0x07
#define FEAT_VWC            0x06

typedef struct NvmeQueue {
    bool valid;
    uint64_t base;             /* IOVA of entry 0 */
    uint32_t size;             /* entries */
    uint32_t head, tail;
    uint16_t cqid;             /* SQ: its completion queue */
    uint16_t vector;           /* CQ: MSI-X vector */
    bool ien;                  /* CQ: interrupts enabled */
    bool phase;                /* CQ: the phase tag being written */
} NvmeQueue;

/* One submission queue entry, decoded from its little-endian bytes. */
typedef struct NvmeCmd {
    uint8_t opcode;
    uint8_t flags;             /* FUSE, PSDT */
    uint16_t cid;
    uint32_t nsid;
    uint64_t prp1, prp2;
    uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
} NvmeCmd;

typedef struct Nvme {
    /* registers */
    uint32_t cc, csts, intms, aqa;
    uint64_t asq, acq;

    NvmeQueue sq[NVME_NQ];
    NvmeQueue cq[NVME_NQ];
    unsigned nsq, ncq;         /* I/O queues granted (Number of Queues) */
    unsigned aer_held;
    uint32_t features[NVME_NFEAT];

    /* the namespace */
    char *path;
    int fd;
    uint64_t nblocks;

    uint8_t buf[NVME_MAX_XFER]; /* data of the command being run */

    /* counters for the state interface */
    uint64_t commands, errors, bytes_read, bytes_written;
} Nvme;

static Nvme *nvme_of(FakeDevice *d)
{
    return d->model;
}

/* Little-endian fields --------------------------------------------------- */

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

/* An ASCII field, space padded as Identify wants (no terminator). */
static void put_str(uint8_t *p, const char *s, size_t len)
{
    size_t n = MIN(strlen(s), len);

    memset(p, ' ', len);
    memcpy(p, s, n);
}

/* Controller state ------------------------------------------------------- */

static void queues_clear(Nvme *n)
{
    memset(n->sq, 0, sizeof(n->sq));
    memset(n->cq, 0, sizeof(n->cq));
    n->nsq = n->ncq = 0;
    n->aer_held = 0;
}

/* What CC.EN = 0 resets: queues and features; AQA/ASQ/ACQ stay. */
static void controller_reset(Nvme *n)
{
    queues_clear(n);
    memset(n->features, 0, sizeof(n->features));
    n->cc &= ~NVME_CC_EN;
    n->csts = 0;
}

static bool cq_pending(NvmeQueue *cq)
{
    return cq->valid && cq->ien && cq->head != cq->tail;
}

/* INTx: asserted while an interrupting CQ has entries not consumed. */
static bool nvme_irq_level(FakeDevice *d)
{
    Nvme *n = nvme_of(d);

    if (n->intms & 1) {
        return false;
    }
    for (unsigned i = 0; i < NVME_NQ; i++) {
        if (cq_pending(&n->cq[i])) {
            return true;
        }
    }
    return false;
}

static void fatal(FakeDevice *d, const char *what, uint64_t iova)
{
    Nvme *n = nvme_of(d);

    n->csts |= NVME_CSTS_CFS;
    fake_log("%s: nvme: controller fatal status: %s at iova 0x%"
             G_GINT64_MODIFIER "x", d->name, what, iova);
}

/* DMA -------------------------------------------------------------------- */

/*
 * Move @len bytes between @buf and the memory that PRP1/PRP2 describe
 * (pages of NVME_PAGE): PRP1 may start inside a page; PRP2 is the second
 * page when two suffice, else a PRP list whose last entry chains to the
 * next list page when more entries follow than fit.
 */
static uint16_t prp_transfer(FakeDevice *d, uint64_t prp1, uint64_t prp2,
                             uint8_t *buf, uint64_t len, bool to_memory)
{
    uint64_t chunk = MIN(len, NVME_PAGE - (prp1 & (NVME_PAGE - 1)));
    uint64_t list = prp2;

    if (!fake_dma_rw(d, prp1, buf, chunk, to_memory)) {
        return SC_DATA_XFER_ERROR | SC_DNR;
    }
    buf += chunk;
    len -= chunk;
    if (!len) {
        return SC_SUCCESS;
    }
    if (len <= NVME_PAGE) {
        if (prp2 & (NVME_PAGE - 1)) {
            return SC_INVALID_PRP_OFS | SC_DNR;
        }
        return fake_dma_rw(d, prp2, buf, len, to_memory) ? SC_SUCCESS :
               SC_DATA_XFER_ERROR | SC_DNR;
    }
    while (len) {
        uint8_t entries[NVME_PAGE];
        uint64_t room = (NVME_PAGE - (list & (NVME_PAGE - 1))) / 8;
        uint64_t pages = (len + NVME_PAGE - 1) / NVME_PAGE;
        bool chain = pages > room;
        uint64_t used = chain ? room - 1 : pages;

        if (list & 7) {
            return SC_INVALID_PRP_OFS | SC_DNR;
        }
        if (!fake_dma_rw(d, list, entries, (chain ? room : used) * 8,
                         false)) {
            return SC_DATA_XFER_ERROR | SC_DNR;
        }
        for (uint64_t i = 0; i < used; i++) {
            uint64_t page = get_le(entries + 8 * i, 8);

            chunk = MIN(len, NVME_PAGE);
            if (page & (NVME_PAGE - 1)) {
                return SC_INVALID_PRP_OFS | SC_DNR;
            }
            if (!fake_dma_rw(d, page, buf, chunk, to_memory)) {
                return SC_DATA_XFER_ERROR | SC_DNR;
            }
            buf += chunk;
            len -= chunk;
        }
        if (chain) {
            list = get_le(entries + 8 * used, 8);
        }
    }
    return SC_SUCCESS;
}

/* Admin commands --------------------------------------------------------- */

static void identify_controller(FakeDevice *d, uint8_t *id)
{
    g_autofree char *sn = g_strdup_printf("FAKE%s", d->name);
    g_autofree char *nqn = NULL;

    nqn = g_strdup_printf("nqn.2026-01.invalid.qemu-spapr-vphb:vfio-fake:%s",
                          d->name);
    put_le(id + 0, 0x1234, 2);                  /* VID */
    put_le(id + 2, 0x1234, 2);                  /* SSVID */
    put_str(id + 4, sn, 20);                    /* SN */
    put_str(id + 24, "vfio-fake NVMe", 40);     /* MN */
    put_str(id + 64, "1.0", 8);                 /* FR */
    id[72] = 6;                                 /* RAB */
    id[77] = NVME_MDTS;
    put_le(id + 78, 1, 2);                      /* CNTLID */
    put_le(id + 80, NVME_VERSION, 4);
    put_le(id + 92, 1 << 8, 4);                 /* OAES: NS attr notices */
    id[111] = 1;                                /* CNTRLTYPE: I/O */
    id[258] = 3;                                /* ACL */
    id[259] = NVME_AERL;
    id[260] = 0x3;                              /* FRMW: 1 slot, slot 1 RO */
    put_le(id + 266, 343, 2);                   /* WCTEMP, K */
    put_le(id + 268, 373, 2);                   /* CCTEMP, K */
    id[512] = 0x66;                             /* SQES: 64 bytes */
    id[513] = 0x44;                             /* CQES: 16 bytes */
    put_le(id + 516, 1, 4);                     /* NN */
    id[525] = 1;                                /* VWC present */
    memcpy(id + 768, nqn, MIN(strlen(nqn), 255)); /* SUBNQN */
    put_le(id + 2048, 2500, 2);                 /* PSD0 MP: 25 W */
}

/* NGUID of the namespace: stable, unique per function of the topology. */
static void nguid(FakeDevice *d, uint8_t *out)
{
    memcpy(out, "vphbfake", 8);
    put_le(out + 8, g_str_hash(d->name), 4);
    put_le(out + 12, d->ordinal, 4);
}

static void identify_namespace(FakeDevice *d, uint8_t *id)
{
    Nvme *n = nvme_of(d);

    put_le(id + 0, n->nblocks, 8);              /* NSZE */
    put_le(id + 8, n->nblocks, 8);              /* NCAP */
    put_le(id + 16, n->nblocks, 8);             /* NUSE */
    nguid(d, id + 104);
    put_le(id + 128, 9 << 16, 4);               /* LBAF0: 2^9 bytes */
}

static uint16_t admin_identify(FakeDevice *d, NvmeCmd *c)
{
    Nvme *n = nvme_of(d);
    uint8_t cns = c->cdw10 & 0xff;
    uint8_t *id = n->buf;

    memset(id, 0, NVME_PAGE);
    switch (cns) {
    case 0x00:                                  /* namespace */
        if (c->nsid != 1) {
            return SC_INVALID_NS | SC_DNR;
        }
        identify_namespace(d, id);
        break;
    case 0x01:
        identify_controller(d, id);
        break;
    case 0x02:                                  /* active NSIDs > nsid */
        if (c->nsid >= 0xfffffffe) {
            return SC_INVALID_NS | SC_DNR;
        }
        if (c->nsid < 1) {
            put_le(id, 1, 4);
        }
        break;
    case 0x03:                                  /* NS id descriptors */
        if (c->nsid != 1) {
            return SC_INVALID_NS | SC_DNR;
        }
        id[0] = 2;                              /* NIDT: NGUID */
        id[1] = 16;                             /* NIDL */
        nguid(d, id + 4);
        break;
    default:
        /* no I/O command sets, no NS management: as a 1.4 controller */
        fake_log("%s: nvme: Identify CNS 0x%x not supported", d->name, cns);
        return SC_INVALID_FIELD | SC_DNR;
    }
    return prp_transfer(d, c->prp1, c->prp2, id, NVME_PAGE, true);
}

static uint16_t admin_set_features(FakeDevice *d, NvmeCmd *c, uint32_t *dw0)
{
    Nvme *n = nvme_of(d);
    uint8_t fid = c->cdw10 & 0xff;

    if (c->cdw10 & (1u << 31)) {
        return SC_NOT_SAVEABLE | SC_DNR;        /* nothing is saved */
    }
    if (fid == FEAT_NUM_QUEUES) {
        unsigned nsqr = c->cdw11 & 0xffff, ncqr = c->cdw11 >> 16;

        if (nsqr == 0xffff || ncqr == 0xffff) {
            return SC_INVALID_FIELD | SC_DNR;
        }
        /* 0-based both ways; grant at most what the controller has */
        n->nsq = MIN(nsqr + 1, NVME_MAX_IOQ);
        n->ncq = MIN(ncqr + 1, NVME_MAX_IOQ);
        *dw0 = (n->nsq - 1) | (n->ncq - 1) << 16;
        return SC_SUCCESS;
    }
    if (fid == 0 || fid >= NVME_NFEAT) {
        return SC_INVALID_FIELD | SC_DNR;
    }
    /* VWC, Async Event Config, Temperature, ...: kept, nothing else */
    n->features[fid] = fid == FEAT_VWC ? c->cdw11 & 1 : c->cdw11;
    return SC_SUCCESS;
}

static uint16_t admin_get_features(FakeDevice *d, NvmeCmd *c, uint32_t *dw0)
{
    Nvme *n = nvme_of(d);
    uint8_t fid = c->cdw10 & 0xff;
    unsigned sel = (c->cdw10 >> 8) & 7;

    if (fid == FEAT_NUM_QUEUES) {
        *dw0 = (NVME_MAX_IOQ - 1) | (NVME_MAX_IOQ - 1) << 16;
        if (n->nsq && sel == 0) {
            *dw0 = (n->nsq - 1) | (n->ncq - 1) << 16;
        }
        return SC_SUCCESS;
    }
    if (fid == 0 || fid >= NVME_NFEAT || sel > 3) {
        return SC_INVALID_FIELD | SC_DNR;
    }
    /* current (0) or, for saved and default, what a reset leaves: 0 */
    *dw0 = sel == 0 ? n->features[fid] : 0;
    return SC_SUCCESS;
}

static uint16_t admin_get_log_page(FakeDevice *d, NvmeCmd *c)
{
    Nvme *n = nvme_of(d);
    uint8_t lid = c->cdw10 & 0xff;
    uint64_t numd = (c->cdw10 >> 16) | (uint64_t)(c->cdw11 & 0xffff) << 16;
    uint64_t len = (numd + 1) * 4;

    /* error information, SMART / health, firmware slot: nothing to say */
    if (lid < 1 || lid > 3) {
        return SC_INVALID_LOG_PAGE | SC_DNR;
    }
    if (len > NVME_MAX_XFER) {
        return SC_INVALID_FIELD | SC_DNR;
    }
    memset(n->buf, 0, len);
    return prp_transfer(d, c->prp1, c->prp2, n->buf, len, true);
}


static uint16_t admin_create_cq(FakeDevice *d, NvmeCmd *c)
{
    Nvme *n = nvme_of(d);
    unsigned qid = c->cdw10 & 0xffff, qsize = (c->cdw10 >> 16) + 1;
    unsigned vector = c->cdw11 >> 16;
    NvmeQueue *cq;

    if (qid == 0 || qid > n->ncq || n->cq[qid].valid) {
        return SC_INVALID_QID | SC_DNR;
    }
    if (qsize < 2 || qsize > NVME_MQES + 1) {
        return SC_INVALID_QSIZE | SC_DNR;
    }
    if (!(c->cdw11 & 1)) {
        return SC_INVALID_FIELD | SC_DNR;       /* CAP.CQR: contiguous */
    }
    if (c->prp1 & (NVME_PAGE - 1)) {
        return SC_INVALID_PRP_OFS | SC_DNR;
    }
    if (vector >= NVME_MSIX_VECTORS) {
        return SC_INVALID_VECTOR | SC_DNR;
    }
    cq = &n->cq[qid];
    *cq = (NvmeQueue) {
        .valid = true, .base = c->prp1, .size = qsize, .vector = vector,
        .ien = c->cdw11 & 2, .phase = true,
    };
    return SC_SUCCESS;
}

static uint16_t admin_create_sq(FakeDevice *d, NvmeCmd *c)
{
    Nvme *n = nvme_of(d);
    unsigned qid = c->cdw10 & 0xffff, qsize = (c->cdw10 >> 16) + 1;
    unsigned cqid = c->cdw11 >> 16;

    if (qid == 0 || qid > n->nsq || n->sq[qid].valid) {
        return SC_INVALID_QID | SC_DNR;
    }
    if (cqid == 0 || cqid >= NVME_NQ || !n->cq[cqid].valid) {
        return SC_CQ_INVALID | SC_DNR;
    }
    if (qsize < 2 || qsize > NVME_MQES + 1) {
        return SC_INVALID_QSIZE | SC_DNR;
    }
    if (!(c->cdw11 & 1)) {
        return SC_INVALID_FIELD | SC_DNR;
    }
    if (c->prp1 & (NVME_PAGE - 1)) {
        return SC_INVALID_PRP_OFS | SC_DNR;
    }
    n->sq[qid] = (NvmeQueue) {
        .valid = true, .base = c->prp1, .size = qsize, .cqid = cqid,
    };
    return SC_SUCCESS;
}

static uint16_t admin_delete_queue(FakeDevice *d, NvmeCmd *c, bool is_cq)
{
    Nvme *n = nvme_of(d);
    unsigned qid = c->cdw10 & 0xffff;
    NvmeQueue *q = is_cq ? n->cq : n->sq;

    if (qid == 0 || qid >= NVME_NQ || !q[qid].valid) {
        return SC_INVALID_QID | SC_DNR;
    }
    for (unsigned i = 1; is_cq && i < NVME_NQ; i++) {
        if (n->sq[i].valid && n->sq[i].cqid == qid) {
            return SC_QUEUE_DELETION | SC_DNR;
        }
    }
    /* commands run when submitted: none is left to abort */
    memset(&q[qid], 0, sizeof(q[qid]));
    return SC_SUCCESS;
}

static uint16_t admin_command(FakeDevice *d, NvmeCmd *c, uint32_t *dw0)
{
    Nvme *n = nvme_of(d);

    switch (c->opcode) {
    case ADM_IDENTIFY:
        return admin_identify(d, c);
    case ADM_SET_FEATURES:
        return admin_set_features(d, c, dw0);
    case ADM_GET_FEATURES:
        return admin_get_features(d, c, dw0);
    case ADM_GET_LOG_PAGE:
        return admin_get_log_page(d, c);
    case ADM_CREATE_CQ:
        return admin_create_cq(d, c);
    case ADM_CREATE_SQ:
        return admin_create_sq(d, c);
    case ADM_DELETE_CQ:
        return admin_delete_queue(d, c, true);
    case ADM_DELETE_SQ:
        return admin_delete_queue(d, c, false);
    case ADM_ABORT:
        *dw0 = 1;                               /* not aborted */
        return SC_SUCCESS;
    case ADM_ASYNC_EVENT:
        if (n->aer_held > NVME_AERL) {
            return SC_AER_LIMIT | SC_DNR;
        }
        n->aer_held++;
        return SC_HOLD;
    default:
        return SC_INVALID_OPCODE | SC_DNR;
    }
}

/* I/O commands ----------------------------------------------------------- */

static uint16_t io_rw(FakeDevice *d, NvmeCmd *c, bool write)
{
    Nvme *n = nvme_of(d);
    uint64_t slba = c->cdw10 | (uint64_t)c->cdw11 << 32;
    uint64_t nlb = (c->cdw12 & 0xffff) + 1;
    uint64_t len = nlb * NVME_LBA;
    uint16_t status;
    ssize_t done;

    if (slba >= n->nblocks || nlb > n->nblocks - slba) {
        return SC_LBA_RANGE | SC_DNR;
    }
    if (len > NVME_MAX_XFER) {
        return SC_INVALID_FIELD | SC_DNR;
    }
    if (write) {
        /* all the data first: a fault leaves the file as it was */
        status = prp_transfer(d, c->prp1, c->prp2, n->buf, len, false);
        if (status) {
            return status;
        }
        done = pwrite(n->fd, n->buf, len, slba * NVME_LBA);
        if (done != (ssize_t)len) {
            fake_log("%s: nvme: writing %s: %s", d->name, n->path,
                     done < 0 ? g_strerror(errno) : "short write");
            return SC_WRITE_FAULT;
        }
        n->bytes_written += len;
        return SC_SUCCESS;
    }
    done = pread(n->fd, n->buf, len, slba * NVME_LBA);
    if (done != (ssize_t)len) {
        fake_log("%s: nvme: reading %s: %s", d->name, n->path,
                 done < 0 ? g_strerror(errno) : "short read");
        return SC_READ_ERROR;
    }
    status = prp_transfer(d, c->prp1, c->prp2, n->buf, len, true);
    if (!status) {
        n->bytes_read += len;
    }
    return status;
}

static uint16_t io_command(FakeDevice *d, NvmeCmd *c)
{
    Nvme *n = nvme_of(d);

    if (c->opcode == IO_FLUSH) {
        if (c->nsid != 1 && c->nsid != 0xffffffff) {
            return SC_INVALID_NS | SC_DNR;
        }
        if (fdatasync(n->fd) < 0) {
            fake_log("%s: nvme: flushing %s: %s", d->name, n->path,
                     g_strerror(errno));
            return SC_INTERNAL;
        }
        return SC_SUCCESS;
    }
    if (c->opcode != IO_READ && c->opcode != IO_WRITE) {
        return SC_INVALID_OPCODE | SC_DNR;
    }
    if (c->nsid != 1) {
        return SC_INVALID_NS | SC_DNR;
    }
    return io_rw(d, c, c->opcode == IO_WRITE);
}

/* Queues ----------------------------------------------------------------- */

static bool cq_full(NvmeQueue *cq)
{
    return (cq->tail + 1) % cq->size == cq->head;
}

static void cmd_decode(const uint8_t *e, NvmeCmd *c)
{
    c->opcode = e[0];
    c->flags = e[1];
    c->cid = get_le(e + 2, 2);
    c->nsid = get_le(e + 4, 4);
    c->prp1 = get_le(e + 24, 8);
    c->prp2 = get_le(e + 32, 8);
    c->cdw10 = get_le(e + 40, 4);
    c->cdw11 = get_le(e + 44, 4);
    c->cdw12 = get_le(e + 48, 4);
    c->cdw13 = get_le(e + 52, 4);
    c->cdw14 = get_le(e + 56, 4);
    c->cdw15 = get_le(e + 60, 4);
}

static void cq_post(FakeDevice *d, unsigned sqid, uint16_t cid,
                    uint16_t status, uint32_t dw0)
{
    Nvme *n = nvme_of(d);
    NvmeQueue *sq = &n->sq[sqid];
    NvmeQueue *cq = &n->cq[sq->cqid];
    uint64_t iova = cq->base + (uint64_t)cq->tail * NVME_CQE;
    uint8_t e[NVME_CQE] = { 0 };

    put_le(e + 0, dw0, 4);
    put_le(e + 8, sq->head, 2);
    put_le(e + 10, sqid, 2);
    put_le(e + 12, cid, 2);
    put_le(e + 14, (uint32_t)status << 1 | cq->phase, 2);
    if (!fake_dma_rw(d, iova, e, sizeof(e), true)) {
        fatal(d, "posting a completion", iova);
        return;
    }
    if (++cq->tail == cq->size) {
        cq->tail = 0;
        cq->phase = !cq->phase;
    }
    if (!cq->ien) {
        return;
    }
    if (d->irq_type == FAKE_IRQ_MSIX) {
        fake_irq_raise_vector(d, cq->vector);
    } else if (!(n->intms & 1)) {
        fake_irq_raise(d);
    }
}

/* Run every command between the SQ's head and tail that has room. */
static void sq_process(FakeDevice *d, unsigned sqid)
{
    Nvme *n = nvme_of(d);
    NvmeQueue *sq = &n->sq[sqid];

    while (sq->valid && sq->head != sq->tail &&
           !(n->csts & NVME_CSTS_CFS)) {
        uint64_t iova = sq->base + (uint64_t)sq->head * NVME_SQE;
        uint8_t e[NVME_SQE];
        uint32_t dw0 = 0;
        uint16_t status;
        NvmeCmd c;

        if (cq_full(&n->cq[sq->cqid])) {
            return;             /* resumed by the CQ head doorbell */
        }
        if (!fake_device_master_enabled(d)) {
            d->dma_refused++;
            fake_log("%s: nvme: SQ %u not fetched: bus mastering off",
                     d->name, sqid);
            return;
        }
        if (!fake_dma_rw(d, iova, e, sizeof(e), false)) {
            fatal(d, "fetching a command", iova);
            return;
        }
        sq->head = (sq->head + 1) % sq->size;
        cmd_decode(e, &c);
        n->commands++;
        if (c.flags & 0xc3) {
            status = SC_INVALID_FIELD | SC_DNR; /* fused or SGL */
        } else if (sqid == 0) {
            status = admin_command(d, &c, &dw0);
        } else {
            status = io_command(d, &c);
        }
        if (status == SC_HOLD) {
            continue;
        }
        if (status) {
            n->errors++;
            fake_log("%s: nvme: SQ %u cid %u opcode 0x%02x: status 0x%x",
                     d->name, sqid, c.cid, c.opcode, status);
        }
        cq_post(d, sqid, c.cid, status, dw0);
    }
}

static void doorbell(FakeDevice *d, uint64_t addr, uint32_t val)
{
    Nvme *n = nvme_of(d);
    unsigned idx = (addr - NVME_DB_BASE) / 4;
    unsigned qid = idx / 2;
    bool is_cq = idx & 1;
    NvmeQueue *q;

    if (!(n->csts & NVME_CSTS_RDY) || qid >= NVME_NQ) {
        return;
    }
    q = is_cq ? &n->cq[qid] : &n->sq[qid];
    if (!q->valid || val >= q->size) {
        /* an invalid doorbell write: ignored (no event is reported) */
        fake_log("%s: nvme: bad doorbell %s %u = %u", d->name,
                 is_cq ? "CQ" : "SQ", qid, val);
        return;
    }
    if (!is_cq) {
        q->tail = val;
        sq_process(d, qid);
        return;
    }
    q->head = val;
    /* room again: SQs waiting on this CQ go on */
    for (unsigned i = 0; i < NVME_NQ; i++) {
        if (n->sq[i].valid && n->sq[i].cqid == qid) {
            sq_process(d, i);
        }
    }
}

/* Registers -------------------------------------------------------------- */

static uint64_t cap_value(void)
{
    return NVME_MQES |
           1ULL << 16 |                         /* CQR */
           (uint64_t)NVME_CAP_TO << 24 |
           1ULL << 37;                          /* CSS: NVM command set */
}

static void cc_write(FakeDevice *d, uint32_t val)
{
    Nvme *n = nvme_of(d);
    uint32_t old = n->cc;

    n->cc = val & NVME_CC_WMASK;
    if ((old & NVME_CC_EN) && !(val & NVME_CC_EN)) {
        controller_reset(n);
        n->cc = val & NVME_CC_WMASK;
        return;
    }
    if (!(old & NVME_CC_EN) && (val & NVME_CC_EN)) {
        unsigned asqs = (n->aqa & 0xfff) + 1;
        unsigned acqs = ((n->aqa >> 16) & 0xfff) + 1;

        if (NVME_CC_CSS(val) != 0 || NVME_CC_MPS(val) != 0 ||
            asqs < 2 || acqs < 2 || (n->asq & (NVME_PAGE - 1)) ||
            (n->acq & (NVME_PAGE - 1))) {
            /* not ready: the driver times out, as on hardware */
            fake_log("%s: nvme: CC 0x%x AQA 0x%x ASQ 0x%" G_GINT64_MODIFIER
                     "x ACQ 0x%" G_GINT64_MODIFIER "x: cannot enable",
                     d->name, val, n->aqa, n->asq, n->acq);
            return;
        }
        n->sq[0] = (NvmeQueue) {
            .valid = true, .base = n->asq, .size = asqs, .cqid = 0,
        };
        n->cq[0] = (NvmeQueue) {
            .valid = true, .base = n->acq, .size = acqs, .ien = true,
            .phase = true,
        };
        n->csts = NVME_CSTS_RDY;
    }
    if (NVME_CC_SHN(val) && !NVME_CC_SHN(old)) {
        /* nothing is in flight between doorbells: done at once */
        n->csts |= NVME_CSTS_SHST_DONE;
    }
}

static uint32_t reg_read32(FakeDevice *d, uint64_t addr)
{
    Nvme *n = nvme_of(d);

    switch (addr) {
    case NVME_REG_CAP:
        return cap_value();
    case NVME_REG_CAP + 4:
        return cap_value() >> 32;
    case NVME_REG_VS:
        return NVME_VERSION;
    case NVME_REG_INTMS:
    case NVME_REG_INTMC:
        return n->intms;
    case NVME_REG_CC:
        return n->cc;
    case NVME_REG_CSTS:
        return n->csts;
    case NVME_REG_AQA:
        return n->aqa;
    case NVME_REG_ASQ:
        return n->asq;
    case NVME_REG_ASQ + 4:
        return n->asq >> 32;
    case NVME_REG_ACQ:
        return n->acq;
    case NVME_REG_ACQ + 4:
        return n->acq >> 32;
    default:
        return 0;               /* reserved, CMB/PMR absent, doorbells */
    }
}

static void reg_write32(FakeDevice *d, uint64_t addr, uint32_t val)
{
    Nvme *n = nvme_of(d);
    bool level = nvme_irq_level(d);

    if (addr >= NVME_DB_BASE && addr < NVME_MSIX_TABLE) {
        doorbell(d, addr, val);
        return;
    }
    switch (addr) {
    case NVME_REG_INTMS:
        n->intms |= val;
        break;
    case NVME_REG_INTMC:
        n->intms &= ~val;
        if (!level && nvme_irq_level(d)) {
            fake_irq_raise(d);  /* unmasked with entries waiting */
        }
        break;
    case NVME_REG_CC:
        cc_write(d, val);
        break;
    case NVME_REG_AQA:
        n->aqa = val & 0x0fff0fff;
        break;
    case NVME_REG_ASQ:
        n->asq = (n->asq & ~0xffffffffULL) | (val & ~0xfffu);
        break;
    case NVME_REG_ASQ + 4:
        n->asq = (n->asq & 0xffffffffULL) | (uint64_t)val << 32;
        break;
    case NVME_REG_ACQ:
        n->acq = (n->acq & ~0xffffffffULL) | (val & ~0xfffu);
        break;
    case NVME_REG_ACQ + 4:
        n->acq = (n->acq & 0xffffffffULL) | (uint64_t)val << 32;
        break;
    default:
        break;                  /* read-only or reserved */
    }
}

static uint64_t nvme_bar_read(FakeDevice *d, unsigned bar, uint64_t addr,
                              unsigned size)
{
    uint64_t v;

    if (bar != 0) {
        return ~0ULL;
    }
    if (addr >= NVME_MSIX_PBA) {
        return 0;               /* nothing pending */
    }
    /* any size: the bytes of the aligned dwords it covers */
    v = reg_read32(d, addr & ~3ULL) |
        (uint64_t)reg_read32(d, (addr & ~3ULL) + 4) << 32;
    v >>= 8 * (addr & 3);
    return size == 8 ? v : v & ((1ULL << (8 * size)) - 1);
}

static void nvme_bar_write(FakeDevice *d, unsigned bar, uint64_t addr,
                           uint64_t val, unsigned size)
{
    if (bar != 0 || (addr & 3) || size < 4) {
        /* registers are written in dwords; the rest is dropped */
        fake_log("%s: nvme: %u-byte write at 0x%" G_GINT64_MODIFIER
                 "x dropped", d->name, size, addr);
        return;
    }
    /* a qword as two dwords, low first (the driver's lo_hi_writeq) */
    reg_write32(d, addr, val);
    if (size == 8) {
        reg_write32(d, addr + 4, val >> 32);
    }
}

/* Lifecycle -------------------------------------------------------------- */

static void nvme_reset(FakeDevice *d)
{
    Nvme *n = nvme_of(d);

    controller_reset(n);
    n->cc = n->aqa = n->intms = 0;
    n->asq = n->acq = 0;
}

/* The config space after vfio_pci_core_enable(): memory on, master off. */
static void nvme_config_build(FakeDevice *d)
{
    /* 64-bit BAR0 at a host address of its own, past the edus' */
    uint32_t bar0 = 0xe0000000u + (d->ordinal % 256) * 0x10000u;

    memset(d->config, 0, sizeof(d->config));
    memset(d->wmask, 0, sizeof(d->wmask));
    fake_config_set(d, 0x00, 2, 0x1234, 0);            /* vendor */
    fake_config_set(d, 0x02, 2, 0x11f0, 0);            /* device */
    fake_config_set(d, 0x04, 2, 0x0002, 0x0546);       /* mem, master.. */
    fake_config_set(d, 0x06, 2, 0x0010, 0);            /* cap list */
    fake_config_set(d, 0x08, 4, 0x01080200, 0);        /* NVMe, rev 0 */
    fake_config_set(d, 0x0c, 1, 0, 0xff);              /* cache line */
    fake_config_set(d, 0x0e, 1, d->multifunction ? 0x80 : 0, 0);
    fake_config_set(d, 0x10, 4, bar0 | 0x4, ~(NVME_BAR0_SIZE - 1));
    fake_config_set(d, 0x14, 4, 0, 0xffffffff);
    fake_config_set(d, 0x2c, 2, 0x1234, 0);            /* subsystem */
    fake_config_set(d, 0x2e, 2, 0x11f0, 0);
    fake_config_set(d, 0x34, 1, d->pcie ? NVME_EXP_CAP : NVME_MSIX_CAP, 0);
    fake_config_set(d, 0x3c, 1, 0, 0xff);              /* interrupt line */
    fake_config_set(d, 0x3d, 1, 1, 0);                 /* INTA */
    if (d->pcie) {
        /* PCIe v2 endpoint, FLR capable, x1 at 2.5 GT/s */
        fake_config_set(d, NVME_EXP_CAP, 1, 0x10, 0);
        fake_config_set(d, NVME_EXP_CAP + 1, 1, NVME_MSIX_CAP, 0);
        fake_config_set(d, NVME_EXP_CAP + 0x02, 2, 0x0002, 0);
        fake_config_set(d, NVME_EXP_CAP + 0x04, 4, 0x10008000, 0);
        fake_config_set(d, NVME_EXP_CAP + 0x08, 2, 0x2810, 0x7fff);
        fake_config_set(d, NVME_EXP_CAP + 0x0c, 4, 0x00000011, 0);
        fake_config_set(d, NVME_EXP_CAP + 0x12, 2, 0x1011, 0);
        fake_config_set(d, NVME_EXP_CAP + 0x2c, 4, 0x00000002, 0);
    }
    /* MSI-X: table size - 1, table and PBA in BAR0; nothing writable */
    fake_config_set(d, NVME_MSIX_CAP, 1, 0x11, 0);
    fake_config_set(d, NVME_MSIX_CAP + 2, 2, NVME_MSIX_VECTORS - 1, 0);
    fake_config_set(d, NVME_MSIX_CAP + 4, 4, NVME_MSIX_TABLE, 0);
    fake_config_set(d, NVME_MSIX_CAP + 8, 4, NVME_MSIX_PBA, 0);
}

static int nvme_init(FakeDevice *d)
{
    Nvme *n = g_new0(Nvme, 1);

    n->fd = -1;
    d->model = n;
    d->bars[0].size = NVME_BAR0_SIZE;
    d->msix_vectors = NVME_MSIX_VECTORS;
    d->msix_bar = 0;
    d->msix_table = NVME_MSIX_TABLE;
    d->msix_pba = NVME_MSIX_PBA;
    return 0;
}

/* Open the namespace's file, now that the private tree exists. */
static int nvme_start(FakeDevice *d, GError **errp)
{
    Nvme *n = nvme_of(d);
    const char *path = fake_device_param(d, "backing");
    struct stat st;
    int err;

    if (!path || !*path) {
        path = g_getenv("VFIO_FAKE_NVME_BACKING");
    }
    if (path && *path) {
        n->path = g_strdup(path);
        n->fd = open(path, O_RDWR | O_CLOEXEC);
    } else {
        /* a namespace of zeros, gone with the tree */
        n->path = g_strdup_printf("%s/nvme-%s.img", fake->root, d->name);
        n->fd = open(n->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (n->fd >= 0 && ftruncate(n->fd, NVME_DEFAULT_SIZE) < 0) {
            err = errno;
            fake_real_close(n->fd);
            n->fd = -1;
            errno = err;
        }
    }
    if (n->fd < 0 || fstat(n->fd, &st) < 0) {
        err = errno;
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(err),
                    "group %d device %s: nvme backing file %s: %s",
                    d->group->id, d->name, n->path, g_strerror(err));
        return -err;
    }
    n->nblocks = st.st_size / NVME_LBA;
    if (!n->nblocks) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "group %d device %s: nvme backing file %s: %lld bytes, "
                    "less than one %u-byte block", d->group->id, d->name,
                    n->path, (long long)st.st_size, NVME_LBA);
        return -EINVAL;
    }
    return 0;
}

static void nvme_cleanup(FakeDevice *d)
{
    Nvme *n = nvme_of(d);

    if (n->fd >= 0) {
        fake_real_close(n->fd);
    }
    g_free(n->path);
    g_clear_pointer(&d->model, g_free);
}

static void nvme_state(FakeDevice *d, GString *out)
{
    Nvme *n = nvme_of(d);
    unsigned ioq = 0;

    for (unsigned i = 1; i < NVME_NQ; i++) {
        ioq += n->sq[i].valid;
    }
    g_string_append_printf(out, ",\"nvme\":{\"backing\":\"%s\","
                           "\"blocks\":%" G_GUINT64_FORMAT ",\"cc\":%u,"
                           "\"csts\":%u,\"io-sqs\":%u,\"aers-held\":%u,"
                           "\"commands\":%" G_GUINT64_FORMAT
                           ",\"errors\":%" G_GUINT64_FORMAT
                           ",\"bytes-read\":%" G_GUINT64_FORMAT
                           ",\"bytes-written\":%" G_GUINT64_FORMAT "}",
                           n->path ? n->path : "", n->nblocks, n->cc,
                           n->csts, ioq, n->aer_held, n->commands,
                           n->errors, n->bytes_read, n->bytes_written);
}

const FakeFuncOps fake_nvme_ops = {
    .name = "nvme",
    .init = nvme_init,
    .cleanup = nvme_cleanup,
    .config_build = nvme_config_build,
    .reset = nvme_reset,
    .bar_read = nvme_bar_read,
    .bar_write = nvme_bar_write,
    .irq_level = nvme_irq_level,
    .start = nvme_start,
    .state = nvme_state,
};
