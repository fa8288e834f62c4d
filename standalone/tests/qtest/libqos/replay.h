/*
 * Replay of a recorded guest's TCE/DDW traffic ("spapr-iommu-trace"
 * version 1, see shared/traces/README.md) against our pseries machine.
 *
 * The library parses a trace into records and replays them through a
 * ReplayTarget: the qtest client (tests/qtest/libqos/replay-qtest.c) or
 * direct calls into the machine in the same process (the benchmark).  It
 * never asserts: every disagreement with the recording is counted and
 * described in ReplayStats, so a benchmark can time a replay and a test
 * can fail with the first mismatches in its log.
 *
 * Recorded LIOBNs and BUIDs are QEMU's; they are translated through the
 * header's windows[] and phbs[] to (phb_index, window), and from there to
 * what our machine reports for that PHB and window (ReplayTarget).  They
 * happen to be numerically equal, but nothing here relies on it.
 */
#ifndef LIBQOS_REPLAY_H
#define LIBQOS_REPLAY_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define REPLAY_H_SUCCESS 0
#define REPLAY_H_PARAMETER (-4)
#define REPLAY_H_GET_TCE 0x1C
#define REPLAY_H_PUT_TCE 0x20
#define REPLAY_H_STUFF_TCE 0x138
#define REPLAY_H_PUT_TCE_INDIRECT 0x13C
/* Entries of one H_PUT_TCE_INDIRECT list (one 4 KiB page), and the
 * largest H_STUFF_TCE with a permission our machine accepts */
#define REPLAY_TCE_BATCH_MAX 512

typedef enum ReplayKind {
    REPLAY_PUT_TCE,
    REPLAY_GET_TCE,
    REPLAY_STUFF_TCE,
    REPLAY_PUT_TCE_INDIRECT,
    REPLAY_DDW_QUERY,
    REPLAY_DDW_CREATE,
    REPLAY_DDW_REMOVE,
    REPLAY_DDW_RESET,
    REPLAY_XLATE,
    REPLAY_NKINDS
} ReplayKind;

/* Names as the trace spells them ("H_PUT_TCE", "ibm,create-pe-dma-window", "xlate"). */
const char *replay_kind_name(ReplayKind k);

/* One entry of the header's windows[] (a recorded LIOBN). */
typedef struct ReplayWindow {
    uint32_t liobn;
    unsigned phb_index;
    unsigned num;              /* 0: default 32-bit window, 1: DDW */
    uint64_t start;
    uint64_t size;
    uint32_t page_shift;
} ReplayWindow;

/* One entry of the header's phbs[]. */
typedef struct ReplayPhb {
    unsigned index;
    uint64_t buid;
    bool ddw;
} ReplayPhb;

typedef struct ReplayRecord {
    ReplayKind kind;
    uint32_t seq;
    int win;                   /* windows[] of the recorded LIOBN, -1 if not in the header */
    int phb;                   /* phbs[] of the recorded BUID (RTAS), -1 if not there */
    uint32_t liobn;            /* as recorded */
    int64_t ret;               /* as recorded */
    /* hcalls */
    uint64_t ioba;             /* H_STUFF_TCE: the corrected start, see ioba_unknown */
    uint64_t tce;              /* H_PUT_TCE, H_STUFF_TCE; H_GET_TCE: the value returned */
    uint64_t npages;
    uint64_t tce_list;
    uint64_t last_index;       /* H_PUT_TCE_INDIRECT as traced */
    guint tces_off;            /* H_PUT_TCE_INDIRECT: npages values at ReplayTrace.tces[off] */
    bool tces_known;           /* FALSE when the call failed (npages and list not traced) */
    bool ioba_unknown;         /* failed H_STUFF_TCE: ioba is what QEMU traced (ioba_traced) */
    /* DDW RTAS */
    uint64_t buid;
    uint32_t config_addr;
    uint32_t page_shift, window_shift;
    uint32_t windows_available;
    uint32_t page_size_mask;   /* LoPAR encoding */
    uint64_t largest_block;    /* what the guest received (guest_log) */
    bool has_largest_block;
    uint64_t start;            /* create: window start */
    /* xlate */
    uint64_t bus_addr;
    uint64_t translated;
    uint64_t page_mask;        /* 0xffffffff: out of every window (a fault) */
    uint32_t perm;
} ReplayRecord;

typedef struct ReplayTrace {
    GArray *windows;           /* ReplayWindow */
    GArray *phbs;              /* ReplayPhb */
    GArray *records;           /* ReplayRecord, in trace order; only the replayable ops */
    GArray *tces;              /* uint64_t, the lists of H_PUT_TCE_INDIRECT records */
    char *mem;                 /* meta.mem, the guest's -m as recorded ("1G"), or NULL */
    uint64_t ram_size;         /* the same in bytes (0 if unknown) */
    unsigned in_file[REPLAY_NKINDS];
    unsigned other_records;    /* lines of other ops (cfg_write, irq, markers, ...), not replayed */
    unsigned lines;
} ReplayTrace;

/* Parse the JSON-lines trace at @path; NULL with @errp set on any malformed line. */
ReplayTrace *replay_trace_load(const char *path, GError **errp);
/* Same from a string (tests build small traces inline). */
ReplayTrace *replay_trace_parse(const char *text, gsize len, GError **errp);
void replay_trace_free(ReplayTrace *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ReplayTrace, replay_trace_free)

static inline const uint64_t *replay_record_tces(const ReplayTrace *t, const ReplayRecord *r)
{
    return &g_array_index(t->tces, uint64_t, r->tces_off);
}

/* The machine a trace is replayed on. */
typedef struct ReplayTarget {
    void *opaque;
    uint64_t ram_size;         /* guest RAM of our machine, bytes from 0 */
    /* A hypercall: PAPR return code, *nouts values in @outs (room for 9). */
    int64_t (*hcall)(void *opaque, uint64_t opcode, const uint64_t *args, int nargs,
                     uint64_t *outs, int *nouts);
    /*
     * RTAS call @name with argument cells @args; fills @rets (NRET cells,
     * the first is the RTAS status).  FALSE if the call could not be made
     * (unknown name, buffers refused).
     */
    bool (*rtas)(void *opaque, const char *name, uint32_t nargs, const uint32_t *args,
                 uint32_t nret, uint32_t *rets);
    /* Write guest RAM (the H_PUT_TCE_INDIRECT lists). */
    void (*memwrite)(void *opaque, uint64_t addr, const void *buf, size_t len);
    /* Our LIOBN of window @num of PHB @phb_index if it is enabled now. */
    bool (*window_liobn)(void *opaque, unsigned phb_index, unsigned num, uint32_t *liobn);
    /* Our BUID of PHB @phb_index, FALSE if there is no such PHB. */
    bool (*phb_buid)(void *opaque, unsigned phb_index, uint64_t *buid);
    /*
     * TRUE if a DDW may start elsewhere than recorded (a Type1 VFIO host
     * places it inside its usable IOVA ranges): the guest uses the start
     * it is given, so the bus addresses of that window's later records are
     * moved by the difference.  FALSE: a different start is a mismatch.
     */
    bool ddw_start_may_move;
} ReplayTarget;

typedef struct ReplayStats {
    unsigned replayed[REPLAY_NKINDS];
    unsigned xlate_faults;     /* xlate records of out-of-window faults (checked as such) */
    unsigned stricter;         /* hcalls where our documented stricter code was expected */
    unsigned failed_in_trace;  /* records replayed with a recorded failure code */
    unsigned mismatches;
    GString *log;              /* the first mismatches, one line each */
} ReplayStats;

/*
 * Replay every record of @t in order on @target, which must be in the
 * state the recording started from (after reset: only default windows).
 * Adds to @st (zero it first, or replay_stats_clear()).  Returns TRUE
 * if there was no mismatch.
 */
bool replay_run(const ReplayTrace *t, const ReplayTarget *target, ReplayStats *st);

/* Records replayed in total (every kind). */
unsigned replay_stats_total(const ReplayStats *st);
void replay_stats_clear(ReplayStats *st);
/* "H_PUT_TCE 282, ... xlate 6746 (0 faults), stricter 0, mismatches 0" */
char *replay_stats_summary(const ReplayStats *st);

/*
 * The code our machine must return for hcall record @r where QEMU
 * returned r->ret: the same, except where we are deliberately stricter
 * than QEMU (then H_PARAMETER and *stricter is set).  @page_shift is the
 * window's IOMMU page shift (0 if the window is unknown: nothing can be
 * said to be stricter then).
 */
int64_t replay_expected_hcall_ret(const ReplayTrace *t, const ReplayRecord *r,
                                  uint32_t page_shift, uint64_t ram_size, bool *stricter);

/*
 * The target behind a qtest connection (replay-qtest.c, links with
 * libqtest): hcalls and RTAS through the qtest protocol, our LIOBNs and
 * BUIDs from query-spapr-phbs.  @ram_size as the machine was started.
 */
typedef struct QTestState QTestState;
ReplayTarget *replay_qtest_target_new(QTestState *qts, uint64_t ram_size);
void replay_qtest_target_free(ReplayTarget *target);

#endif
