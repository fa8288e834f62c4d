/*
 * A recorded guest's IOMMU operations, replayed through qtest
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <zlib.h>
#include "qemu/bswap.h"
#include "qemu/cutils.h"
#include "qapi/error.h"
#include "qobject/qdict.h"
#include "qobject/qjson.h"
#include "qobject/qlist.h"
#include "qobject/qnum.h"
#include "qobject/qstring.h"
#include "vphb-trace.h"

/* PAPR: at most 512 TCEs per H_PUT_TCE_INDIRECT, one 4 KiB page of them */
#define INDIRECT_MAX        512

const char *vphb_trace_topology(void)
{
    /*
     * The recording's PHBs: 0 is the machine's, 1 a second one with DDW,
     * 2 one with DDW off.  Its devices do no TCE or DDW call themselves
     * and RTAS's DDW calls do not look for them, so they are left out.
     */
    return "-device spapr-pci-host-bridge,index=1 "
           "-device spapr-pci-host-bridge,index=2,ddw=off";
}

/* The whole file, decompressed if it is gzip (zlib reads both) */
static char *read_all(const char *path)
{
    gzFile gz = gzopen(path, "rb");
    GString *s = g_string_new(NULL);
    char buf[65536];
    int n;

    if (!gz) {
        g_error("cannot open the trace %s: %s", path, g_strerror(errno));
    }
    while ((n = gzread(gz, buf, sizeof(buf))) > 0) {
        g_string_append_len(s, buf, n);
    }
    if (n < 0) {
        int err;

        g_error("cannot read the trace %s: %s", path, gzerror(gz, &err));
    }
    gzclose(gz);
    return g_string_free(s, false);
}

static bool is_null(QDict *d, const char *key)
{
    QObject *o = qdict_get(d, key);

    return !o || qobject_type(o) == QTYPE_QNULL;
}

/* A hex string member ("0x..."), as the format writes addresses */
static uint64_t hex(QDict *d, const char *key)
{
    const char *s = qdict_get_try_str(d, key);
    uint64_t v;

    if (!s || qemu_strtou64(s, NULL, 16, &v) != 0) {
        g_error("trace: '%s' is not a hex string", key);
    }
    return v;
}

static int64_t integer(QDict *d, const char *key)
{
    QNum *n = qobject_to(QNum, qdict_get(d, key));
    int64_t v;

    if (!n || !qnum_get_try_int(n, &v)) {
        g_error("trace: '%s' is not an integer", key);
    }
    return v;
}

/*
 * Linux asks ibm,query-pe-dma-window for 6 outputs (the largest block in
 * two cells) when the PHB's ibm,ddw-extensions has the query output size
 * extension set to 1 (its third cell).
 */
static uint32_t query_nret(QDict *header, uint64_t buid)
{
    QList *phbs = qdict_get_qlist(header, "phbs");
    const QListEntry *e;

    QLIST_FOREACH_ENTRY(phbs, e) {
        QDict *phb = qobject_to(QDict, qlist_entry_obj(e));
        QDict *dt = qdict_get_qdict(phb, "dt");
        QList *ext;
        const QListEntry *c;
        uint64_t cells[3] = { 0 };
        int i = 0;

        if (hex(phb, "buid") != buid || !dt) {
            continue;
        }
        ext = qdict_get_qlist(dt, "ibm,ddw-extensions");
        if (!ext) {
            continue;
        }
        QLIST_FOREACH_ENTRY(ext, c) {
            QString *str = qobject_to(QString, qlist_entry_obj(c));

            if (i < 3 && str) {
                qemu_strtou64(qstring_get_str(str), NULL, 16, &cells[i]);
            }
            i++;
        }
        return cells[0] >= 2 && cells[2] == 1 ? 6 : 5;
    }
    return 5;
}

static bool parse_rec(QDict *header, QDict *d, VphbTraceRec *r)
{
    const char *op = qdict_get_str(d, "op");
    const char *name = qdict_get_try_str(d, "name");

    r->seq = qdict_haskey(d, "seq") ? integer(d, "seq") : -1;
    if (!strcmp(op, "marker")) {
        r->op = VPHB_TR_MARKER;
        r->label = g_strdup(qdict_get_try_str(d, "label"));
        return true;
    }
    if (!strcmp(op, "xlate")) {
        r->op = VPHB_TR_XLATE;
        r->liobn = hex(d, "liobn");
        r->ioba = hex(d, "bus_addr");
        r->translated = hex(d, "translated");
        r->page_mask = hex(d, "page_mask");
        r->perm = integer(d, "perm");
        return true;
    }
    if (!strcmp(op, "hcall")) {
        r->liobn = hex(d, "liobn");
        r->ret = integer(d, "ret");
        if (!strcmp(name, "H_PUT_TCE")) {
            r->op = VPHB_TR_PUT_TCE;
            r->ioba = hex(d, "ioba");
            r->tce = hex(d, "tce");
        } else if (!strcmp(name, "H_STUFF_TCE")) {
            r->op = VPHB_TR_STUFF_TCE;
            /* the start is lost when the call failed: what QEMU traced */
            r->ioba = hex(d, is_null(d, "ioba") ? "ioba_traced" : "ioba");
            r->tce = hex(d, "tce");
            r->npages = integer(d, "npages");
        } else if (!strcmp(name, "H_PUT_TCE_INDIRECT")) {
            QList *tces;
            const QListEntry *e;
            int i = 0;

            r->op = VPHB_TR_PUT_TCE_INDIRECT;
            r->ioba = hex(d, "ioba");
            r->tce_list = hex(d, "tce_list");
            if (is_null(d, "tces")) {
                /* a failed call: its list is unknown, replay none */
                return false;
            }
            tces = qdict_get_qlist(d, "tces");
            r->npages = integer(d, "npages");
            g_assert_cmpuint(qlist_size(tces), ==, r->npages);
            r->tces = g_new(uint64_t, r->npages);
            QLIST_FOREACH_ENTRY(tces, e) {
                QString *s = qobject_to(QString, qlist_entry_obj(e));

                g_assert(s && qemu_strtou64(qstring_get_str(s), NULL, 16,
                                            &r->tces[i]) == 0);
                i++;
            }
        } else if (!strcmp(name, "H_GET_TCE")) {
            r->op = VPHB_TR_GET_TCE;
            r->ioba = hex(d, "ioba");
            r->tce = r->ret ? 0 : hex(d, "tce");
        } else {
            return false;
        }
        return true;
    }
    if (!strcmp(op, "rtas")) {
        r->ret = qdict_haskey(d, "ret") ? integer(d, "ret") : 0;
        if (!strcmp(name, "ibm,query-pe-dma-window")) {
            QDict *log = qdict_get_qdict(d, "guest_log");

            r->op = VPHB_TR_QUERY;
            r->config_addr = hex(d, "config_addr");
            r->buid = hex(d, "buid");
            r->windows_available = integer(d, "windows_available");
            r->page_size_mask = hex(d, "page_size_mask");
            /* the traced largest block is a constant: the guest's is real */
            if (log && qdict_haskey(log, "largest_block")) {
                r->largest_block = hex(log, "largest_block");
            }
            r->query_nret = query_nret(header, r->buid);
        } else if (!strcmp(name, "ibm,create-pe-dma-window")) {
            r->op = VPHB_TR_CREATE;
            r->config_addr = hex(d, "config_addr");
            r->buid = hex(d, "buid");
            r->page_shift = integer(d, "page_shift");
            r->window_shift = integer(d, "window_shift");
            r->liobn = hex(d, "liobn");
            r->start = hex(d, "start");
        } else if (!strcmp(name, "ibm,remove-pe-dma-window")) {
            r->op = VPHB_TR_REMOVE;
            r->liobn = hex(d, "liobn");
        } else if (!strcmp(name, "ibm,reset-pe-dma-windows") ||
                   !strcmp(name, "ibm,reset-pe-dma-window")) {
            r->op = VPHB_TR_RESET;
            r->config_addr = hex(d, "config_addr");
            r->buid = hex(d, "buid");
        } else {
            return false;
        }
        return true;
    }
    return false;
}

VphbTrace *vphb_trace_load(const char *path)
{
    g_autofree char *text = read_all(path);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    VphbTrace *t = g_new0(VphbTrace, 1);
    QDict *header = NULL;
    GArray *recs = g_array_new(false, true, sizeof(VphbTraceRec));

    for (int i = 0; lines[i]; i++) {
        QDict *d;
        VphbTraceRec r = { 0 };

        if (!*lines[i]) {
            continue;
        }
        d = qobject_to(QDict, qobject_from_json(lines[i], &error_abort));
        g_assert_nonnull(d);
        if (!header) {
            QDict *meta;

            g_assert_cmpstr(qdict_get_str(d, "format"), ==,
                            "spapr-iommu-trace");
            g_assert_cmpint(qdict_get_int(d, "version"), ==, 1);
            meta = qdict_get_qdict(d, "meta");
            g_assert(qemu_strtosz(qdict_get_str(meta, "mem"), NULL,
                                  &t->ram_size) == 0);
            header = d;
            continue;
        }
        if (parse_rec(header, d, &r)) {
            t->count[r.op]++;
            g_array_append_val(recs, r);
        }
        qobject_unref(d);
    }
    g_assert_nonnull(header);
    qobject_unref(header);
    t->n = recs->len;
    t->recs = (VphbTraceRec *)g_array_free(recs, false);
    return t;
}

void vphb_trace_free(VphbTrace *t)
{
    for (size_t i = 0; i < t->n; i++) {
        g_free(t->recs[i].tces);
        g_free(t->recs[i].label);
    }
    g_free(t->recs);
    g_free(t);
}

int64_t vphb_hcall(QTestState *qts, uint64_t opcode, int nargs,
                   const uint64_t *args, uint64_t *r4)
{
    g_autoptr(GString) cmd = g_string_new(NULL);
    g_auto(GStrv) words = NULL;
    int64_t ret;

    g_string_printf(cmd, "hcall 0x%" PRIx64, opcode);
    for (int i = 0; i < nargs; i++) {
        g_string_append_printf(cmd, " 0x%" PRIx64, args[i]);
    }
    words = qtest_raw_cmd(qts, "%s", cmd->str);
    /* OK RET R4 ... R12 (docs/interop/qtest-hcall.rst) */
    g_assert_cmpstr(words[0], ==, "OK");
    g_assert_cmpuint(g_strv_length(words), ==, 11);
    g_assert_cmpint(qemu_strtoi64(words[1], NULL, 10, &ret), ==, 0);
    if (r4) {
        g_assert_cmpint(qemu_strtou64(words[2], NULL, 16, r4), ==, 0);
    }
    return ret;
}

uint32_t vphb_rtas_call(QTestState *qts, const char *name,
                        const uint32_t *args, int nargs,
                        uint32_t *rets, int nret)
{
    uint32_t cells[16];
    uint64_t ret_addr = VPHB_RTAS_BUF + 4 * nargs;

    g_assert_cmpint(nargs + nret, <=, ARRAY_SIZE(cells));
    for (int i = 0; i < nargs; i++) {
        cells[i] = cpu_to_be32(args[i]);
    }
    /* the status cell is the guest's to read: start from a poisoned one */
    memset(&cells[nargs], 0xa5, 4 * nret);
    qtest_memwrite(qts, VPHB_RTAS_BUF, cells, 4 * (nargs + nret));
    g_assert_cmpint(qtest_rtas_call(qts, name, nargs, VPHB_RTAS_BUF, nret,
                                    ret_addr), ==, 0);
    qtest_memread(qts, ret_addr, cells, 4 * nret);
    for (int i = 0; i < nret; i++) {
        rets[i] = be32_to_cpu(cells[i]);
    }
    return rets[0];
}

int64_t vphb_put_tce_indirect(QTestState *qts, uint32_t liobn, uint64_t ioba,
                              uint64_t list, const uint64_t *tces, int n)
{
    uint64_t be[INDIRECT_MAX];
    uint64_t args[] = { liobn, ioba, list, n };

    g_assert_cmpint(n, <=, INDIRECT_MAX);
    /* the guest writes its list big-endian into RAM, then makes the call */
    for (int i = 0; i < n; i++) {
        be[i] = cpu_to_be64(tces[i]);
    }
    qtest_memwrite(qts, list, be, n * sizeof(be[0]));
    return vphb_hcall(qts, VPHB_H_PUT_TCE_INDIRECT, 4, args, NULL);
}

static char *replay_one(QTestState *qts, const VphbTraceRec *r)
{
    int64_t ret;
    uint64_t tce = 0;

    switch (r->op) {
    case VPHB_TR_PUT_TCE: {
        uint64_t args[] = { r->liobn, r->ioba, r->tce };

        ret = vphb_hcall(qts, VPHB_H_PUT_TCE, 3, args, NULL);
        break;
    }
    case VPHB_TR_STUFF_TCE: {
        uint64_t args[] = { r->liobn, r->ioba, r->tce, r->npages };

        ret = vphb_hcall(qts, VPHB_H_STUFF_TCE, 4, args, NULL);
        break;
    }
    case VPHB_TR_PUT_TCE_INDIRECT:
        ret = vphb_put_tce_indirect(qts, r->liobn, r->ioba, r->tce_list,
                                    r->tces, r->npages);
        break;
    case VPHB_TR_GET_TCE: {
        uint64_t args[] = { r->liobn, r->ioba };

        ret = vphb_hcall(qts, VPHB_H_GET_TCE, 2, args, &tce);
        if (ret == r->ret && !ret && tce != r->tce) {
            return g_strdup_printf("H_GET_TCE 0x%x 0x%" PRIx64 " gave 0x%"
                                   PRIx64 ", the guest got 0x%" PRIx64,
                                   r->liobn, r->ioba, tce, r->tce);
        }
        break;
    }
    case VPHB_TR_QUERY: {
        uint32_t args[] = { r->config_addr, r->buid >> 32, (uint32_t)r->buid };
        uint32_t q[6];
        uint64_t largest;
        uint32_t mask;

        ret = (int32_t)vphb_rtas_call(qts, "ibm,query-pe-dma-window",
                                      args, 3, q, r->query_nret);
        if (ret || ret != r->ret) {
            break;
        }
        if (r->query_nret == 6) {
            largest = (uint64_t)q[2] << 32 | q[3];
            mask = q[4];
        } else {
            largest = q[2];
            mask = q[3];
        }
        if (q[1] != r->windows_available || mask != r->page_size_mask ||
            (r->largest_block && largest != r->largest_block)) {
            return g_strdup_printf(
                "ibm,query-pe-dma-window of 0x%" PRIx64 ": %u windows, "
                "largest block 0x%" PRIx64 ", page sizes 0x%x; the guest "
                "got %u, 0x%" PRIx64 ", 0x%x", r->buid, q[1], largest,
                mask, r->windows_available, r->largest_block,
                r->page_size_mask);
        }
        break;
    }
    case VPHB_TR_CREATE: {
        uint32_t args[] = { r->config_addr, r->buid >> 32, (uint32_t)r->buid,
                            r->page_shift, r->window_shift };
        uint32_t c[4];
        uint64_t start;

        ret = (int32_t)vphb_rtas_call(qts, "ibm,create-pe-dma-window",
                                      args, 5, c, 4);
        if (ret || ret != r->ret) {
            break;
        }
        start = (uint64_t)c[2] << 32 | c[3];
        if (c[1] != r->liobn || start != r->start) {
            return g_strdup_printf(
                "ibm,create-pe-dma-window of 0x%" PRIx64 ": LIOBN 0x%x at "
                "0x%" PRIx64 "; the guest got 0x%x at 0x%" PRIx64,
                r->buid, c[1], start, r->liobn, r->start);
        }
        break;
    }
    case VPHB_TR_REMOVE: {
        uint32_t args[] = { r->liobn };
        uint32_t s;

        ret = (int32_t)vphb_rtas_call(qts, "ibm,remove-pe-dma-window",
                                      args, 1, &s, 1);
        break;
    }
    case VPHB_TR_RESET: {
        uint32_t args[] = { r->config_addr, r->buid >> 32, (uint32_t)r->buid };
        uint32_t s;

        ret = (int32_t)vphb_rtas_call(qts, "ibm,reset-pe-dma-window",
                                      args, 3, &s, 1);
        break;
    }
    case VPHB_TR_XLATE: {
        uint64_t args[] = { r->liobn, r->ioba & ~r->page_mask };
        uint64_t page = ~r->page_mask;

        ret = vphb_hcall(qts, VPHB_H_GET_TCE, 2, args, &tce);
        if (!r->perm) {
            /* a fault: no entry there, or one without permission */
            if (ret == VPHB_H_SUCCESS && (tce & 3)) {
                return g_strdup_printf("0x%x at 0x%" PRIx64 " faulted for "
                                       "the device, its TCE is 0x%" PRIx64,
                                       r->liobn, r->ioba, tce);
            }
            return NULL;
        }
        if (ret != VPHB_H_SUCCESS || (tce & page) != (r->translated & page) ||
            (tce & 3) != r->perm) {
            return g_strdup_printf("0x%x at 0x%" PRIx64 " translated to 0x%"
                                   PRIx64 " perm %d for the device; "
                                   "H_GET_TCE gives %" PRId64 ", TCE 0x%"
                                   PRIx64, r->liobn, r->ioba, r->translated,
                                   r->perm, ret, tce);
        }
        return NULL;
    }
    case VPHB_TR_MARKER:
    default:
        return NULL;
    }
    if (ret != r->ret) {
        return g_strdup_printf("returned %" PRId64 ", the guest got %" PRId64,
                               ret, r->ret);
    }
    return NULL;
}

static const char *const op_names[VPHB_TR_NR_OPS] = {
    [VPHB_TR_PUT_TCE] = "H_PUT_TCE",
    [VPHB_TR_PUT_TCE_INDIRECT] = "H_PUT_TCE_INDIRECT",
    [VPHB_TR_STUFF_TCE] = "H_STUFF_TCE",
    [VPHB_TR_GET_TCE] = "H_GET_TCE",
    [VPHB_TR_QUERY] = "ibm,query-pe-dma-window",
    [VPHB_TR_CREATE] = "ibm,create-pe-dma-window",
    [VPHB_TR_REMOVE] = "ibm,remove-pe-dma-window",
    [VPHB_TR_RESET] = "ibm,reset-pe-dma-window",
    [VPHB_TR_XLATE] = "xlate",
    [VPHB_TR_MARKER] = "marker",
};

char *vphb_trace_replay(QTestState *qts, const VphbTrace *t)
{
    const char *marker = "(before the first marker)";

    for (size_t i = 0; i < t->n; i++) {
        const VphbTraceRec *r = &t->recs[i];
        g_autofree char *err = replay_one(qts, r);

        if (r->op == VPHB_TR_MARKER) {
            marker = r->label;
        }
        if (err) {
            return g_strdup_printf("record seq %" PRId64 " (%s, after marker "
                                   "'%s'): %s", r->seq, op_names[r->op],
                                   marker, err);
        }
    }
    return NULL;
}
