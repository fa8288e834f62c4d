/*
 * Trace replay (see replay.h).
 */
#include "replay.h"

#include <json-glib/json-glib.h>
#include <stdarg.h>
#include <string.h>

#define TCE_PERM_MASK 3ull
/* page_mask of an xlate record that hit no window */
#define XLATE_FAULT_MASK 0xffffffffull
/* mismatches described in ReplayStats.log; the rest are only counted */
#define LOG_MAX_LINES 40

static const char *const kind_names[REPLAY_NKINDS] = {
    [REPLAY_PUT_TCE] = "H_PUT_TCE",
    [REPLAY_GET_TCE] = "H_GET_TCE",
    [REPLAY_STUFF_TCE] = "H_STUFF_TCE",
    [REPLAY_PUT_TCE_INDIRECT] = "H_PUT_TCE_INDIRECT",
    [REPLAY_DDW_QUERY] = "ibm,query-pe-dma-window",
    [REPLAY_DDW_CREATE] = "ibm,create-pe-dma-window",
    [REPLAY_DDW_REMOVE] = "ibm,remove-pe-dma-window",
    [REPLAY_DDW_RESET] = "ibm,reset-pe-dma-window",
    [REPLAY_XLATE] = "xlate",
};

const char *replay_kind_name(ReplayKind k)
{
    return k < REPLAY_NKINDS ? kind_names[k] : "?";
}

/* Parsing ------------------------------------------------------------------- */

typedef struct Parser {
    ReplayTrace *t;
    unsigned line;
    GError **errp;
} Parser;

static bool fail(Parser *p, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static bool fail(Parser *p, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(p->errp, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "trace line %u: %s", p->line, msg);
    return false;
}

static bool has(JsonObject *o, const char *name)
{
    JsonNode *n = json_object_get_member(o, name);
    return n && !JSON_NODE_HOLDS_NULL(n);
}

/* json-glib's getters are g_critical() on a wrong type: check first */
static JsonArray *array(JsonObject *o, const char *name)
{
    JsonNode *n = json_object_get_member(o, name);
    return n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
}

static JsonObject *object(JsonObject *o, const char *name)
{
    JsonNode *n = json_object_get_member(o, name);
    return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static JsonObject *object_element(JsonArray *a, guint i)
{
    JsonNode *n = json_array_get_element(a, i);
    return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static const char *string(JsonObject *o, const char *name)
{
    JsonNode *n = json_object_get_member(o, name);
    return n && json_node_get_value_type(n) == G_TYPE_STRING ? json_node_get_string(n) : NULL;
}

/* Addresses and masks are "0x..." strings: they do not fit a JSON double. */
static bool hex(Parser *p, JsonObject *o, const char *name, uint64_t *val)
{
    JsonNode *n = json_object_get_member(o, name);
    const char *s;
    char *end;

    if (!n || json_node_get_value_type(n) != G_TYPE_STRING) {
        return fail(p, "\"%s\" is missing or not a hex string", name);
    }
    s = json_node_get_string(n);
    if (g_ascii_strncasecmp(s, "0x", 2) || !s[2]) {
        return fail(p, "\"%s\": \"%s\" is not 0x...", name, s);
    }
    *val = g_ascii_strtoull(s + 2, &end, 16);
    if (*end) {
        return fail(p, "\"%s\": \"%s\" is not 0x...", name, s);
    }
    return true;
}

static bool hex32(Parser *p, JsonObject *o, const char *name, uint32_t *val)
{
    uint64_t v = 0;

    if (!hex(p, o, name, &v)) {
        return false;
    }
    if (v >> 32) {
        return fail(p, "\"%s\" does not fit 32 bits", name);
    }
    *val = v;
    return true;
}

static bool integer(Parser *p, JsonObject *o, const char *name, int64_t *val)
{
    JsonNode *n = json_object_get_member(o, name);

    if (!n || json_node_get_value_type(n) != G_TYPE_INT64) {
        return fail(p, "\"%s\" is missing or not an integer", name);
    }
    *val = json_node_get_int(n);
    return true;
}

static bool uinteger(Parser *p, JsonObject *o, const char *name, uint64_t *val)
{
    int64_t v = 0;

    if (!integer(p, o, name, &v)) {
        return false;
    }
    if (v < 0) {
        return fail(p, "\"%s\" is negative", name);
    }
    *val = v;
    return true;
}

static bool uint32_member(Parser *p, JsonObject *o, const char *name, uint32_t *val)
{
    uint64_t v = 0;

    if (!uinteger(p, o, name, &v)) {
        return false;
    }
    if (v >> 32) {
        return fail(p, "\"%s\" does not fit 32 bits", name);
    }
    *val = v;
    return true;
}

static int window_of_liobn(const ReplayTrace *t, uint32_t liobn)
{
    for (guint i = 0; i < t->windows->len; i++) {
        if (g_array_index(t->windows, ReplayWindow, i).liobn == liobn) {
            return i;
        }
    }
    return -1;
}

static int phb_of_buid(const ReplayTrace *t, uint64_t buid)
{
    for (guint i = 0; i < t->phbs->len; i++) {
        if (g_array_index(t->phbs, ReplayPhb, i).buid == buid) {
            return i;
        }
    }
    return -1;
}

/* "-m" as QEMU takes it: a number of MiB, or with a K/M/G/T suffix */
static uint64_t parse_mem(const char *s)
{
    char *end;
    uint64_t v = g_ascii_strtoull(s, &end, 10);

    switch (g_ascii_toupper(*end)) {
    case 0:
    case 'M':
        return v << 20;
    case 'K':
        return v << 10;
    case 'G':
        return v << 30;
    case 'T':
        return v << 40;
    default:
        return 0;
    }
}

static bool parse_header(Parser *p, JsonObject *o)
{
    JsonArray *wins, *phbs;
    JsonObject *meta = object(o, "meta");
    int64_t version = 0;

    if (g_strcmp0(string(o, "format"), "spapr-iommu-trace")) {
        return fail(p, "not a spapr-iommu-trace header");
    }
    if (!integer(p, o, "version", &version)) {
        return false;
    }
    if (version != 1) {
        return fail(p, "version %" G_GINT64_FORMAT " (only 1 is known)", version);
    }
    if (meta && string(meta, "mem")) {
        p->t->mem = g_strdup(string(meta, "mem"));
        p->t->ram_size = parse_mem(p->t->mem);
    }
    wins = array(o, "windows");
    phbs = array(o, "phbs");
    if (!wins || !phbs) {
        return fail(p, "header without windows[] or phbs[]");
    }
    for (guint i = 0; i < json_array_get_length(wins); i++) {
        JsonObject *w = object_element(wins, i);
        ReplayWindow rw = { 0 };
        uint64_t idx = 0, num = 0;

        if (!w || !hex32(p, w, "liobn", &rw.liobn) || !uinteger(p, w, "phb_index", &idx) ||
            !uinteger(p, w, "window_num", &num) || !hex(p, w, "start", &rw.start) ||
            !hex(p, w, "size", &rw.size) || !uint32_member(p, w, "page_shift", &rw.page_shift)) {
            return false;
        }
        if (rw.page_shift < 12 || rw.page_shift > 40) {
            return fail(p, "window 0x%x: page_shift %u", rw.liobn, rw.page_shift);
        }
        if (window_of_liobn(p->t, rw.liobn) >= 0) {
            return fail(p, "window 0x%x listed twice", rw.liobn);
        }
        rw.phb_index = idx;
        rw.num = num;
        g_array_append_val(p->t->windows, rw);
    }
    for (guint i = 0; i < json_array_get_length(phbs); i++) {
        JsonObject *ph = object_element(phbs, i);
        ReplayPhb rp = { 0 };
        uint64_t idx = 0;

        if (!ph || !uinteger(p, ph, "index", &idx) || !hex(p, ph, "buid", &rp.buid)) {
            return false;
        }
        rp.index = idx;
        rp.ddw = json_object_get_boolean_member_with_default(ph, "ddw", false);
        if (phb_of_buid(p->t, rp.buid) >= 0) {
            return fail(p, "PHB BUID 0x%" G_GINT64_MODIFIER "x listed twice", rp.buid);
        }
        g_array_append_val(p->t->phbs, rp);
    }
    return true;
}

static bool parse_liobn(Parser *p, JsonObject *o, ReplayRecord *r)
{
    if (!hex32(p, o, "liobn", &r->liobn)) {
        return false;
    }
    r->win = window_of_liobn(p->t, r->liobn);
    return true;
}

static bool parse_buid(Parser *p, JsonObject *o, ReplayRecord *r)
{
    if (!hex32(p, o, "config_addr", &r->config_addr) || !hex(p, o, "buid", &r->buid)) {
        return false;
    }
    r->phb = phb_of_buid(p->t, r->buid);
    return true;
}

static bool parse_indirect(Parser *p, JsonObject *o, ReplayRecord *r)
{
    JsonArray *tces;

    if (!hex(p, o, "tce_list", &r->tce_list)) {
        return false;
    }
    if (has(o, "last_index") && !uinteger(p, o, "last_index", &r->last_index)) {
        return false;
    }
    if (!has(o, "npages") || !has(o, "tces")) {
        /* QEMU traces neither the count nor the list of a failed call */
        if (r->ret == 0) {
            return fail(p, "successful H_PUT_TCE_INDIRECT without npages/tces");
        }
        return true;
    }
    if (!uinteger(p, o, "npages", &r->npages)) {
        return false;
    }
    tces = array(o, "tces");
    if (!tces || json_array_get_length(tces) != r->npages) {
        return fail(p, "%u tces for npages %" G_GUINT64_FORMAT,
                    tces ? json_array_get_length(tces) : 0, r->npages);
    }
    r->tces_off = p->t->tces->len;
    for (guint i = 0; i < r->npages; i++) {
        JsonNode *n = json_array_get_element(tces, i);
        const char *s = json_node_get_value_type(n) == G_TYPE_STRING ? json_node_get_string(n)
                                                                       : NULL;
        char *end;
        uint64_t v;

        if (!s || g_ascii_strncasecmp(s, "0x", 2)) {
            return fail(p, "tces[%u] is not a hex string", i);
        }
        v = g_ascii_strtoull(s + 2, &end, 16);
        if (*end || end == s + 2) {
            return fail(p, "tces[%u] is not a hex string", i);
        }
        g_array_append_val(p->t->tces, v);
    }
    r->tces_known = true;
    return true;
}

static bool parse_hcall(Parser *p, JsonObject *o, const char *name, ReplayRecord *r)
{
    if (!integer(p, o, "ret", &r->ret) || !parse_liobn(p, o, r)) {
        return false;
    }
    if (!strcmp(name, "H_PUT_TCE")) {
        r->kind = REPLAY_PUT_TCE;
        return hex(p, o, "ioba", &r->ioba) && hex(p, o, "tce", &r->tce);
    }
    if (!strcmp(name, "H_GET_TCE")) {
        r->kind = REPLAY_GET_TCE;
        if (!hex(p, o, "ioba", &r->ioba)) {
            return false;
        }
        return r->ret != 0 || hex(p, o, "tce", &r->tce);
    }
    if (!strcmp(name, "H_STUFF_TCE")) {
        r->kind = REPLAY_STUFF_TCE;
        if (!hex(p, o, "tce", &r->tce) || !uinteger(p, o, "npages", &r->npages)) {
            return false;
        }
        /* QEMU 7.2 traces the ioba after its loop: use the corrected start */
        if (has(o, "ioba")) {
            return hex(p, o, "ioba", &r->ioba);
        }
        if (r->ret == 0) {
            return fail(p, "successful H_STUFF_TCE without ioba");
        }
        /*
         * A failed call has no recoverable start; QEMU's loop stopped at
         * the entry it refused, which is what it traced.
         */
        r->ioba_unknown = true;
        return hex(p, o, "ioba_traced", &r->ioba);
    }
    if (!strcmp(name, "H_PUT_TCE_INDIRECT")) {
        r->kind = REPLAY_PUT_TCE_INDIRECT;
        return hex(p, o, "ioba", &r->ioba) && parse_indirect(p, o, r);
    }
    return fail(p, "unknown hcall \"%s\"", name);
}

/* FALSE with *known = FALSE: an RTAS call the replay does not play (change-msi, ...). */
static bool parse_rtas(Parser *p, JsonObject *o, const char *name, ReplayRecord *r, bool *known)
{
    *known = true;
    if (!strcmp(name, "ibm,query-pe-dma-window")) {
        JsonObject *log = object(o, "guest_log");
        r->kind = REPLAY_DDW_QUERY;
        if (!integer(p, o, "ret", &r->ret) || !parse_buid(p, o, r)) {
            return false;
        }
        if (r->ret) {
            return true;
        }
        if (!uint32_member(p, o, "windows_available", &r->windows_available) ||
            !hex32(p, o, "page_size_mask", &r->page_size_mask)) {
            return false;
        }
        /* the trace's own largest block is a constant QEMU printed; the guest's is real */
        if (log && has(log, "largest_block")) {
            if (!hex(p, log, "largest_block", &r->largest_block)) {
                return false;
            }
            r->has_largest_block = true;
        }
        return true;
    }
    if (!strcmp(name, "ibm,create-pe-dma-window")) {
        r->kind = REPLAY_DDW_CREATE;
        if (!integer(p, o, "ret", &r->ret) || !parse_buid(p, o, r) ||
            !uint32_member(p, o, "page_shift", &r->page_shift) ||
            !uint32_member(p, o, "window_shift", &r->window_shift)) {
            return false;
        }
        return r->ret != 0 || (parse_liobn(p, o, r) && hex(p, o, "start", &r->start));
    }
    if (!strcmp(name, "ibm,remove-pe-dma-window")) {
        r->kind = REPLAY_DDW_REMOVE;
        return integer(p, o, "ret", &r->ret) && parse_liobn(p, o, r);
    }
    /* the README spells it with an s, our machine (and QEMU's RTAS) without */
    if (!strcmp(name, "ibm,reset-pe-dma-windows") || !strcmp(name, "ibm,reset-pe-dma-window")) {
        r->kind = REPLAY_DDW_RESET;
        return integer(p, o, "ret", &r->ret) && parse_buid(p, o, r);
    }
    *known = false;
    return false;
}

static bool parse_xlate(Parser *p, JsonObject *o, ReplayRecord *r)
{
    int64_t perm = 0;

    r->kind = REPLAY_XLATE;
    if (!parse_liobn(p, o, r) || !hex(p, o, "bus_addr", &r->bus_addr) ||
        !hex(p, o, "translated", &r->translated) || !hex(p, o, "page_mask", &r->page_mask) ||
        !integer(p, o, "perm", &perm)) {
        return false;
    }
    if (perm < 0 || perm > 3) {
        return fail(p, "perm %" G_GINT64_FORMAT, perm);
    }
    if (r->page_mask != XLATE_FAULT_MASK && (r->page_mask & (r->page_mask + 1))) {
        return fail(p, "page_mask 0x%" G_GINT64_MODIFIER "x is not 2^n - 1", r->page_mask);
    }
    r->perm = perm;
    return true;
}

static bool parse_line(Parser *p, const char *line, gssize len, bool first)
{
    g_autoptr(JsonParser) jp = json_parser_new();
    g_autoptr(GError) err = NULL;
    JsonNode *root;
    JsonObject *o;
    const char *op, *name;
    ReplayRecord r = { .win = -1, .phb = -1 };
    int64_t seq = 0;
    bool ok, known = true;

    if (!json_parser_load_from_data(jp, line, len, &err)) {
        return fail(p, "%s", err->message);
    }
    root = json_parser_get_root(jp);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        return fail(p, "not a JSON object");
    }
    o = json_node_get_object(root);
    op = string(o, "op");
    if (!op) {
        return fail(p, "no \"op\"");
    }
    if (first != !strcmp(op, "header")) {
        return fail(p, first ? "the first line is not the header" : "a second header");
    }
    if (first) {
        return parse_header(p, o);
    }
    if (!integer(p, o, "seq", &seq)) {
        return false;
    }
    r.seq = seq;
    name = string(o, "name") ? string(o, "name") : "";
    if (!strcmp(op, "hcall")) {
        ok = parse_hcall(p, o, name, &r);
    } else if (!strcmp(op, "rtas")) {
        ok = parse_rtas(p, o, name, &r, &known);
    } else if (!strcmp(op, "xlate")) {
        ok = parse_xlate(p, o, &r);
    } else {
        known = false;
        ok = false;
    }
    if (!known) {
        p->t->other_records++;
        return true;
    }
    if (!ok) {
        return false;
    }
    p->t->in_file[r.kind]++;
    g_array_append_val(p->t->records, r);
    return true;
}

ReplayTrace *replay_trace_parse(const char *text, gsize len, GError **errp)
{
    ReplayTrace *t = g_new0(ReplayTrace, 1);
    Parser p = { .t = t, .errp = errp };
    const char *pos = text, *end = text + len;

    t->windows = g_array_new(FALSE, TRUE, sizeof(ReplayWindow));
    t->phbs = g_array_new(FALSE, TRUE, sizeof(ReplayPhb));
    t->records = g_array_new(FALSE, TRUE, sizeof(ReplayRecord));
    t->tces = g_array_new(FALSE, TRUE, sizeof(uint64_t));
    while (pos < end) {
        const char *nl = memchr(pos, '\n', end - pos);
        const char *eol = nl ? nl : end;

        p.line++;
        if (eol > pos && !parse_line(&p, pos, eol - pos, t->lines == 0)) {
            replay_trace_free(t);
            return NULL;
        }
        if (eol > pos) {
            t->lines++;
        }
        pos = eol + 1;
    }
    if (!t->lines) {
        g_set_error(errp, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "empty trace");
        replay_trace_free(t);
        return NULL;
    }
    return t;
}

ReplayTrace *replay_trace_load(const char *path, GError **errp)
{
    g_autofree char *text = NULL;
    gsize len;

    if (!g_file_get_contents(path, &text, &len, errp)) {
        return NULL;
    }
    return replay_trace_parse(text, len, errp);
}

void replay_trace_free(ReplayTrace *t)
{
    if (t) {
        g_array_unref(t->windows);
        g_array_unref(t->phbs);
        g_array_unref(t->records);
        g_array_unref(t->tces);
        g_free(t->mem);
        g_free(t);
    }
}

/* Expected codes ------------------------------------------------------------- */

/*
 * Where our machine is deliberately stricter than QEMU 7.2 (see the
 * comment atop hw/ppc/spapr_tce_hcall.c: like KVM and PAPR), a call QEMU
 * accepted is H_PARAMETER for us:
 *   - an ioba not aligned to the window's page (QEMU masks it; only
 *     H_PUT_TCE_INDIRECT and H_GET_TCE traces can show one, H_PUT_TCE is
 *     traced masked and H_STUFF_TCE's start is reconstructed aligned);
 *   - H_STUFF_TCE of a non-zero value over more than 512 pages;
 *   - a TCE with reserved bits (between the permission bits and the page
 *     size) set, which QEMU stores;
 *   - a TCE with a permission whose page is not entirely guest RAM, or an
 *     indirect list outside RAM (QEMU reads whatever is there).
 * Everything QEMU refused we refuse with the same code.  One difference
 * cannot be replayed: on a failure part way, QEMU has already written the
 * entries before the bad one, we none (every entry is checked first);
 * the trace keeps no failed call, and later xlate checks would show it.
 */
static bool tce_ok(uint64_t tce, uint64_t psize, uint64_t ram_size)
{
    uint64_t addr = tce & ~(psize - 1);

    if (tce & (psize - 1) & ~TCE_PERM_MASK) {
        return false;
    }
    return !(tce & TCE_PERM_MASK) || (addr < ram_size && psize <= ram_size - addr);
}

int64_t replay_expected_hcall_ret(const ReplayTrace *t, const ReplayRecord *r,
                                  uint32_t page_shift, uint64_t ram_size, bool *stricter)
{
    uint64_t psize = 1ull << page_shift;
    bool s = false;

    *stricter = false;
    if (r->ret != REPLAY_H_SUCCESS || !page_shift) {
        return r->ret;
    }
    switch (r->kind) {
    case REPLAY_PUT_TCE:
        s = (r->ioba & (psize - 1)) || !tce_ok(r->tce, psize, ram_size);
        break;
    case REPLAY_GET_TCE:
        s = r->ioba & (psize - 1);
        break;
    case REPLAY_STUFF_TCE:
        s = (r->ioba & (psize - 1)) || r->npages == 0 ||
            ((r->tce & TCE_PERM_MASK) && r->npages > REPLAY_TCE_BATCH_MAX) ||
            !tce_ok(r->tce, psize, ram_size);
        break;
    case REPLAY_PUT_TCE_INDIRECT: {
        const uint64_t *tces = replay_record_tces(t, r);
        s = (r->ioba & (psize - 1)) || r->tce_list >= ram_size ||
            r->npages * 8 > ram_size - r->tce_list;
        for (uint64_t i = 0; i < r->npages && !s; i++) {
            s = !tce_ok(tces[i], psize, ram_size);
        }
        break;
    }
    default:
        g_assert_not_reached();
    }
    *stricter = s;
    return s ? REPLAY_H_PARAMETER : REPLAY_H_SUCCESS;
}

/* Replay ----------------------------------------------------------------------- */

typedef struct Ctx {
    const ReplayTrace *t;
    const ReplayTarget *tg;
    ReplayStats *st;
    uint32_t *liobn;           /* ours, per windows[] entry */
    bool *mapped;
    uint64_t *moved;           /* our start - recorded start, per windows[] entry */
} Ctx;

static void mismatch(Ctx *c, const ReplayRecord *r, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void mismatch(Ctx *c, const ReplayRecord *r, const char *fmt, ...)
{
    va_list ap;

    if (c->st->mismatches++ >= LOG_MAX_LINES) {
        return;
    }
    if (!c->st->log) {
        c->st->log = g_string_new(NULL);
    }
    g_string_append_printf(c->st->log, "seq %u %s: ", r->seq, replay_kind_name(r->kind));
    va_start(ap, fmt);
    g_string_append_vprintf(c->st->log, fmt, ap);
    va_end(ap);
    g_string_append_c(c->st->log, '\n');
}

static const ReplayWindow *window(Ctx *c, const ReplayRecord *r)
{
    return r->win >= 0 ? &g_array_index(c->t->windows, ReplayWindow, r->win) : NULL;
}

/* Ask our machine for the LIOBN of (phb_index, num) of windows[@win]. */
static bool refresh(Ctx *c, int win)
{
    const ReplayWindow *w = &g_array_index(c->t->windows, ReplayWindow, win);

    c->mapped[win] = c->tg->window_liobn(c->tg->opaque, w->phb_index, w->num, &c->liobn[win]);
    return c->mapped[win];
}

/*
 * Our LIOBN for the recorded one.  A LIOBN that is not in the header, or
 * whose window our machine does not have (yet), is sent as recorded: the
 * call is then expected to fail on both machines.
 */
static uint32_t our_liobn(Ctx *c, const ReplayRecord *r)
{
    if (r->win < 0) {
        return r->liobn;
    }
    if (c->mapped[r->win] || refresh(c, r->win)) {
        return c->liobn[r->win];
    }
    return r->liobn;
}

static uint64_t our_buid(Ctx *c, const ReplayRecord *r)
{
    uint64_t buid;

    if (r->phb >= 0 &&
        c->tg->phb_buid(c->tg->opaque, g_array_index(c->t->phbs, ReplayPhb, r->phb).index,
                        &buid)) {
        return buid;
    }
    return r->buid;
}

/* A recorded bus address of the window of @r, where that window is on our machine */
static uint64_t our_addr(Ctx *c, const ReplayRecord *r, uint64_t addr)
{
    return r->win >= 0 ? addr + c->moved[r->win] : addr;
}

static void replay_hcall(Ctx *c, const ReplayRecord *r)
{
    const ReplayWindow *w = window(c, r);
    uint64_t args[4], outs[9] = { 0 };
    int nargs, nouts = 0;
    bool stricter;
    int64_t expect = replay_expected_hcall_ret(c->t, r, w ? w->page_shift : 0,
                                               c->tg->ram_size, &stricter);
    int64_t ret;

    args[0] = our_liobn(c, r);
    args[1] = our_addr(c, r, r->ioba);
    switch (r->kind) {
    case REPLAY_PUT_TCE:
        args[2] = r->tce;
        nargs = 3;
        ret = c->tg->hcall(c->tg->opaque, REPLAY_H_PUT_TCE, args, nargs, outs, &nouts);
        break;
    case REPLAY_GET_TCE:
        nargs = 2;
        ret = c->tg->hcall(c->tg->opaque, REPLAY_H_GET_TCE, args, nargs, outs, &nouts);
        break;
    case REPLAY_STUFF_TCE:
        args[2] = r->tce;
        args[3] = r->npages;
        nargs = 4;
        ret = c->tg->hcall(c->tg->opaque, REPLAY_H_STUFF_TCE, args, nargs, outs, &nouts);
        break;
    case REPLAY_PUT_TCE_INDIRECT:
        args[2] = r->tce_list;
        if (r->tces_known) {
            uint64_t be[REPLAY_TCE_BATCH_MAX];
            const uint64_t *tces = replay_record_tces(c->t, r);

            /* the guest wrote its list into RAM; a list we would refuse is not written */
            if (r->npages <= REPLAY_TCE_BATCH_MAX && !(r->tce_list & 0xfff) &&
                r->tce_list < c->tg->ram_size && r->npages * 8 <= c->tg->ram_size - r->tce_list) {
                for (uint64_t i = 0; i < r->npages; i++) {
                    be[i] = GUINT64_TO_BE(tces[i]);
                }
                c->tg->memwrite(c->tg->opaque, r->tce_list, be, r->npages * 8);
            }
            args[3] = r->npages;
        } else {
            /*
             * A failed call without its count: ask for more entries than
             * one list holds, which QEMU and we both refuse, so that the
             * status is compared at least.
             */
            args[3] = REPLAY_TCE_BATCH_MAX + 1;
        }
        nargs = 4;
        ret = c->tg->hcall(c->tg->opaque, REPLAY_H_PUT_TCE_INDIRECT, args, nargs, outs, &nouts);
        break;
    default:
        g_assert_not_reached();
    }
    if (stricter) {
        c->st->stricter++;
    }
    if (r->ret) {
        c->st->failed_in_trace++;
    }
    if (ret != expect) {
        mismatch(c, r, "liobn 0x%" G_GINT64_MODIFIER "x ioba 0x%" G_GINT64_MODIFIER "x: "
                 "ret %" G_GINT64_FORMAT ", expected %" G_GINT64_FORMAT
                 " (recorded %" G_GINT64_FORMAT "%s)", args[0], r->ioba, ret, expect, r->ret,
                 stricter ? ", we are stricter" : "");
    } else if (r->kind == REPLAY_GET_TCE && ret == REPLAY_H_SUCCESS &&
               (nouts < 1 || outs[0] != r->tce)) {
        mismatch(c, r, "ioba 0x%" G_GINT64_MODIFIER "x: TCE 0x%" G_GINT64_MODIFIER "x, "
                 "recorded 0x%" G_GINT64_MODIFIER "x", r->ioba, outs[0], r->tce);
    }
}

static int32_t cell(uint32_t v)
{
    return (int32_t)v;
}

static void replay_rtas(Ctx *c, const ReplayRecord *r)
{
    uint64_t buid = our_buid(c, r);
    uint32_t args[5] = { r->config_addr, buid >> 32, (uint32_t)buid };
    uint32_t rets[6] = { 0 };
    const char *name = replay_kind_name(r->kind);
    bool ok;

    switch (r->kind) {
    case REPLAY_DDW_QUERY:
        ok = c->tg->rtas(c->tg->opaque, name, 3, args, 6, rets);
        break;
    case REPLAY_DDW_CREATE:
        args[3] = r->page_shift;
        args[4] = r->window_shift;
        ok = c->tg->rtas(c->tg->opaque, name, 5, args, 4, rets);
        break;
    case REPLAY_DDW_REMOVE:
        args[0] = our_liobn(c, r);
        ok = c->tg->rtas(c->tg->opaque, name, 1, args, 1, rets);
        break;
    case REPLAY_DDW_RESET:
        ok = c->tg->rtas(c->tg->opaque, name, 3, args, 1, rets);
        break;
    default:
        g_assert_not_reached();
    }
    if (!ok) {
        mismatch(c, r, "the call could not be made");
        return;
    }
    if (r->ret) {
        c->st->failed_in_trace++;
    }
    if (cell(rets[0]) != r->ret) {
        mismatch(c, r, "status %d, recorded %" G_GINT64_FORMAT, cell(rets[0]), r->ret);
        return;
    }
    if (r->ret) {
        return;
    }
    if (r->kind == REPLAY_DDW_QUERY) {
        uint64_t largest = (uint64_t)rets[2] << 32 | rets[3];
        if (rets[1] != r->windows_available) {
            mismatch(c, r, "windows_available %u, recorded %u", rets[1], r->windows_available);
        }
        if (rets[4] != r->page_size_mask) {
            mismatch(c, r, "page_size_mask 0x%x, recorded 0x%x", rets[4], r->page_size_mask);
        }
        if (r->has_largest_block && largest != r->largest_block) {
            mismatch(c, r, "largest_block 0x%" G_GINT64_MODIFIER "x, the guest got 0x%"
                     G_GINT64_MODIFIER "x", largest, r->largest_block);
        }
    } else if (r->kind == REPLAY_DDW_CREATE) {
        const ReplayWindow *w = window(c, r);
        uint64_t start = (uint64_t)rets[2] << 32 | rets[3];

        if (!w || r->phb < 0 ||
            w->phb_index != g_array_index(c->t->phbs, ReplayPhb, r->phb).index) {
            mismatch(c, r, "LIOBN 0x%x is not a window of the PHB of BUID 0x%"
                     G_GINT64_MODIFIER "x in the header", r->liobn, r->buid);
            return;
        }
        /* the new window's LIOBN is ours to say: map (phb, window) to it now */
        if (!refresh(c, r->win)) {
            mismatch(c, r, "PHB %u window %u is not enabled after creation", w->phb_index,
                     w->num);
        } else if (rets[1] != c->liobn[r->win]) {
            mismatch(c, r, "LIOBN 0x%x, but PHB %u window %u is 0x%x", rets[1], w->phb_index,
                     w->num, c->liobn[r->win]);
        }
        if (start != r->start && !c->tg->ddw_start_may_move) {
            mismatch(c, r, "start 0x%" G_GINT64_MODIFIER "x, recorded 0x%" G_GINT64_MODIFIER "x",
                     start, r->start);
        }
        c->moved[r->win] = c->tg->ddw_start_may_move ? start - r->start : 0;
    }
}

/*
 * A device translation QEMU did: our table must give the same page and
 * permission (H_GET_TCE at the page of the bus address), or, for a fault
 * outside every window, no mapping at all.
 */
static void replay_xlate(Ctx *c, const ReplayRecord *r)
{
    const ReplayWindow *w = window(c, r);
    uint64_t args[2] = { our_liobn(c, r) }, outs[9] = { 0 };
    int nouts = 0;
    int64_t ret;

    if (r->page_mask == XLATE_FAULT_MASK) {
        args[1] = our_addr(c, r, r->bus_addr) & ~((1ull << (w ? w->page_shift : 12)) - 1);
        ret = c->tg->hcall(c->tg->opaque, REPLAY_H_GET_TCE, args, 2, outs, &nouts);
        c->st->xlate_faults++;
        if (!(ret == REPLAY_H_PARAMETER || (ret == REPLAY_H_SUCCESS && nouts >= 1 && !outs[0]))) {
            mismatch(c, r, "fault at 0x%" G_GINT64_MODIFIER "x, but H_GET_TCE gives %"
                     G_GINT64_FORMAT " 0x%" G_GINT64_MODIFIER "x", r->bus_addr, ret, outs[0]);
        }
        return;
    }
    args[1] = our_addr(c, r, r->bus_addr) & ~r->page_mask;
    ret = c->tg->hcall(c->tg->opaque, REPLAY_H_GET_TCE, args, 2, outs, &nouts);
    if (ret != REPLAY_H_SUCCESS || nouts < 1) {
        mismatch(c, r, "H_GET_TCE 0x%" G_GINT64_MODIFIER "x 0x%" G_GINT64_MODIFIER "x: %"
                 G_GINT64_FORMAT, args[0], args[1], ret);
    } else if ((outs[0] & ~r->page_mask) != (r->translated & ~r->page_mask) ||
               (outs[0] & TCE_PERM_MASK) != r->perm) {
        mismatch(c, r, "bus 0x%" G_GINT64_MODIFIER "x: TCE 0x%" G_GINT64_MODIFIER "x, QEMU "
                 "translated to 0x%" G_GINT64_MODIFIER "x perm %u", r->bus_addr, outs[0],
                 r->translated, r->perm);
    }
}

bool replay_run(const ReplayTrace *t, const ReplayTarget *target, ReplayStats *st)
{
    g_autofree uint32_t *liobn = g_new0(uint32_t, t->windows->len + 1);
    g_autofree bool *mapped = g_new0(bool, t->windows->len + 1);
    g_autofree uint64_t *moved = g_new0(uint64_t, t->windows->len + 1);
    Ctx c = { t, target, st, liobn, mapped, moved };
    unsigned before = st->mismatches;

    /* the windows present from reset; DDWs are mapped when created */
    for (guint i = 0; i < t->windows->len; i++) {
        if (g_array_index(t->windows, ReplayWindow, i).num == 0) {
            refresh(&c, i);
        }
    }
    for (guint i = 0; i < t->records->len; i++) {
        const ReplayRecord *r = &g_array_index(t->records, ReplayRecord, i);

        switch (r->kind) {
        case REPLAY_PUT_TCE:
        case REPLAY_GET_TCE:
        case REPLAY_STUFF_TCE:
        case REPLAY_PUT_TCE_INDIRECT:
            replay_hcall(&c, r);
            break;
        case REPLAY_DDW_QUERY:
        case REPLAY_DDW_CREATE:
        case REPLAY_DDW_REMOVE:
        case REPLAY_DDW_RESET:
            replay_rtas(&c, r);
            break;
        case REPLAY_XLATE:
            replay_xlate(&c, r);
            break;
        default:
            g_assert_not_reached();
        }
        st->replayed[r->kind]++;
    }
    return st->mismatches == before;
}

unsigned replay_stats_total(const ReplayStats *st)
{
    unsigned n = 0;

    for (int k = 0; k < REPLAY_NKINDS; k++) {
        n += st->replayed[k];
    }
    return n;
}

void replay_stats_clear(ReplayStats *st)
{
    if (st->log) {
        g_string_free(st->log, TRUE);
    }
    memset(st, 0, sizeof(*st));
}

char *replay_stats_summary(const ReplayStats *st)
{
    GString *s = g_string_new(NULL);

    for (int k = 0; k < REPLAY_XLATE; k++) {
        g_string_append_printf(s, "%s %u, ", replay_kind_name(k), st->replayed[k]);
    }
    g_string_append_printf(s, "translations checked %u (%u out-of-window faults); "
                           "stricter than QEMU %u, failed in the trace %u; mismatches %u",
                           st->replayed[REPLAY_XLATE], st->xlate_faults, st->stricter,
                           st->failed_in_trace, st->mismatches);
    return g_string_free(s, FALSE);
}
