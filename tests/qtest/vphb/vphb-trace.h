/*
 * A recorded guest's IOMMU operations, replayed through qtest
 *
 * tests/data/traces/README.rst describes the recording (the
 * "spapr-iommu-trace" format, one JSON object per line).  The replay
 * makes each TCE hypercall and DDW RTAS call of the recording, in order,
 * on a pseries machine started with the recording's topology, and checks
 * what QEMU answers against what the guest got; at each device
 * translation of the recording it reads the TCE back with H_GET_TCE and
 * checks that it translates as the device's access did.
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TESTS_QTEST_VPHB_VPHB_TRACE_H
#define TESTS_QTEST_VPHB_VPHB_TRACE_H

#include "libqtest.h"

/* sPAPR hypercalls (PAPR opcodes) and return codes */
#define VPHB_H_SUCCESS              0
#define VPHB_H_PARAMETER            (-4)
#define VPHB_H_GET_TCE              0x1c
#define VPHB_H_PUT_TCE              0x20
#define VPHB_H_STUFF_TCE            0x138
#define VPHB_H_PUT_TCE_INDIRECT     0x13c

/* What the replay does with a record */
typedef enum VphbTraceOp {
    VPHB_TR_PUT_TCE,
    VPHB_TR_PUT_TCE_INDIRECT,
    VPHB_TR_STUFF_TCE,
    VPHB_TR_GET_TCE,
    VPHB_TR_QUERY,          /* ibm,query-pe-dma-window */
    VPHB_TR_CREATE,         /* ibm,create-pe-dma-window */
    VPHB_TR_REMOVE,         /* ibm,remove-pe-dma-window */
    VPHB_TR_RESET,          /* ibm,reset-pe-dma-window(s) */
    VPHB_TR_XLATE,          /* a device's translation: checked */
    VPHB_TR_MARKER,         /* the guest's step labels: nothing to do */
    VPHB_TR_NR_OPS,
} VphbTraceOp;

typedef struct VphbTraceRec {
    VphbTraceOp op;
    int64_t seq;
    int64_t ret;            /* hypercall or RTAS status the guest got */
    uint32_t liobn;
    uint64_t ioba;          /* hcalls: ioba; xlate: the bus address */
    uint64_t tce;           /* PUT/STUFF: the value; GET: the result */
    uint64_t tce_list;      /* H_PUT_TCE_INDIRECT: the list's address */
    uint32_t npages;
    uint64_t *tces;         /* H_PUT_TCE_INDIRECT: the rebuilt list */
    /* DDW RTAS calls */
    uint32_t config_addr;
    uint64_t buid;
    uint32_t page_shift;
    uint32_t window_shift;
    uint64_t start;         /* create: the window's bus address */
    uint32_t windows_available;
    uint32_t page_size_mask;
    uint64_t largest_block; /* query: what the guest got, 0 if unknown */
    uint32_t query_nret;    /* query: 5, or 6 with the DDW extension */
    /* xlate */
    uint64_t translated;
    uint64_t page_mask;
    int perm;
    char *label;            /* marker */
} VphbTraceRec;

typedef struct VphbTrace {
    VphbTraceRec *recs;
    size_t n;
    size_t count[VPHB_TR_NR_OPS];
    uint64_t ram_size;      /* the recorded guest's RAM */
} VphbTrace;

/*
 * Load a recording (plain or gzip-compressed JSON lines).  Records the
 * replay has no use for (config writes, interrupts...) are skipped.
 */
VphbTrace *vphb_trace_load(const char *path);
void vphb_trace_free(VphbTrace *t);

/* The machine options for the recording's topology (PHBs 1 and 2) */
const char *vphb_trace_topology(void);

/*
 * Replay @t on @qts.  Returns NULL if QEMU answered every call as the
 * recording says and every translation holds, else a description of the
 * first difference (the replay stops there); g_free() it.
 */
char *vphb_trace_replay(QTestState *qts, const VphbTrace *t);

/* Through qtest's 'hcall' command: the return code, r4 in @r4 */
int64_t vphb_hcall(QTestState *qts, uint64_t opcode, int nargs,
                   const uint64_t *args, uint64_t *r4);

/*
 * An RTAS call with its argument and return cells in guest RAM at
 * VPHB_RTAS_BUF; returns the status (rets[0]), all returns in @rets.
 */
#define VPHB_RTAS_BUF               0x10000ULL
uint32_t vphb_rtas_call(QTestState *qts, const char *name,
                        const uint32_t *args, int nargs,
                        uint32_t *rets, int nret);

/* H_PUT_TCE_INDIRECT of @n TCEs (at most 512), the list written at @list */
int64_t vphb_put_tce_indirect(QTestState *qts, uint32_t liobn, uint64_t ioba,
                              uint64_t list, const uint64_t *tces, int n);

#endif
