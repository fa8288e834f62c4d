/*
 * RTAS event log: queue, check-exception, event-scan, /event-sources.
 *
 * Without client-architecture-support negotiation (no firmware runs here)
 * the guest has not asked for the dedicated hot-plug interrupt, so, as
 * QEMU does for such a guest, hot-plug events are signalled on the EPOW
 * source and fetched with the EPOW class mask.
 */
#include "qemu/osdep.h"
#include "hw/ppc/spapr.h"
#include "hw/ppc/spapr_events.h"
#include "hw/ppc/spapr_irq.h"
#include "hw/ppc/spapr_rtas.h"
#include "trace-events-all.h"

#include <libfdt.h>

/* Summary word fields */
#define LOG_VERSION_6                0x06000000
#define LOG_SEVERITY_EVENT           0x00200000
#define LOG_DISPOSITION_NOT_RECOVERED 0x00100000
#define LOG_OPTIONAL_PART_PRESENT    0x00040000
#define LOG_INITIATOR_HOTPLUG        0x00006000
#define LOG_TYPE_EPOW                0x00000040
#define LOG_TYPE_HOTPLUG             0x000000e5

/* Byte offsets inside the 108-byte extended log */
#define V6HDR_OFF   0      /* 16 bytes */
#define MAINA_OFF   16     /* 48 bytes, "PH" */
#define MAINB_OFF   64     /* 24 bytes, "UH" */
#define EVENT_OFF   88     /* 20 bytes, "EP" or "HP" */
#define EXT_LEN     108

typedef struct SpaprEvent {
    uint32_t summary;
    int source_class;          /* class whose mask fetches it and whose irq announces it */
    uint8_t ext[EXT_LEN];
} SpaprEvent;

struct SpaprEventQueue {
    GQueue events;
    uint32_t next_plid;
};

SpaprEventQueue *spapr_events_new(void)
{
    SpaprEventQueue *q = g_new0(SpaprEventQueue, 1);

    g_queue_init(&q->events);
    return q;
}

void spapr_events_reset(SpaprEventQueue *q)
{
    g_queue_clear_full(&q->events, g_free);
}

void spapr_events_free(SpaprEventQueue *q)
{
    if (q) {
        spapr_events_reset(q);
        g_free(q);
    }
}

unsigned spapr_events_pending(SpaprEventQueue *q)
{
    return g_queue_get_length(&q->events);
}

static void st16(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v;
}

static void st32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

static uint8_t bcd(int v)
{
    return (v / 10) << 4 | (v % 10);
}

static void section_header(uint8_t *p, uint16_t id, uint16_t len, uint8_t version)
{
    st16(p, id);
    st16(p + 2, len);
    p[4] = version;
}

/* The v6 header and Main-A, common to every event. */
static void init_common(SpaprMachine *spapr, SpaprEvent *ev)
{
    uint8_t *v6 = ev->ext + V6HDR_OFF, *a = ev->ext + MAINA_OFF, *b = ev->ext + MAINB_OFF;
    g_autoptr(GDateTime) dt =
        g_date_time_new_from_unix_utc(g_get_real_time() / G_USEC_PER_SEC + spapr->rtc_offset_s);
    int year = dt ? g_date_time_get_year(dt) : 1970;

    v6[0] = 0x80 | 0x04 | 0x02;        /* valid, new log, big-endian */
    v6[2] = 0x80 | 0x0e;               /* PowerPC format, platform event */
    st32(v6 + 12, 0x49424d00);         /* "IBM\0" */

    section_header(a, 0x5048, 48, 0);  /* "PH" */
    if (dt) {
        st32(a + 8, bcd(year / 100) << 24 | bcd(year % 100) << 16 |
                    bcd(g_date_time_get_month(dt)) << 8 | bcd(g_date_time_get_day_of_month(dt)));
        st32(a + 12, bcd(g_date_time_get_hour(dt)) << 24 | bcd(g_date_time_get_minute(dt)) << 16 |
                     bcd(g_date_time_get_second(dt)) << 8);
    }
    a[24] = 'H';                       /* created by the hypervisor */
    a[27] = 3;                         /* sections: Main-A, Main-B, the event */
    st32(a + 40, spapr->events->next_plid++);

    section_header(b, 0x5548, 24, 0);  /* "UH" */
}

static void queue_event(SpaprMachine *spapr, SpaprEvent *ev)
{
    int irq = SPAPR_IRQ_EPOW;          /* see the comment at the top */

    g_queue_push_tail(&spapr->events->events, ev);
    trace_spapr_event_queue(ev->summary, spapr_events_pending(spapr->events));
    qemu_irq_pulse(spapr_qirq(spapr, irq));
}

void spapr_event_queue_powerdown(SpaprMachine *spapr)
{
    SpaprEvent *ev = g_new0(SpaprEvent, 1);
    uint8_t *b, *e;

    ev->summary = LOG_VERSION_6 | LOG_SEVERITY_EVENT | LOG_DISPOSITION_NOT_RECOVERED |
                  LOG_OPTIONAL_PART_PRESENT | LOG_TYPE_EPOW;
    ev->source_class = SPAPR_EVENT_CLASS_EPOW;
    init_common(spapr, ev);
    b = ev->ext + MAINB_OFF;
    b[8] = 0xa0;                       /* subsystem: external environment */
    b[10] = 0x00;                      /* informational */
    b[11] = 0xd0;                      /* normal shutdown */
    e = ev->ext + EVENT_OFF;
    section_header(e, 0x4550, 20, 2);  /* "EP", version 2: has the extended modifier */
    e[8] = 3;                          /* action: system shutdown */
    e[9] = 1;                          /* modifier: normal */
    e[10] = 1;                         /* extended modifier: partition specific */
    queue_event(spapr, ev);
}

void spapr_event_queue_hotplug(SpaprMachine *spapr, uint8_t hp_type, uint8_t action,
                               uint32_t drc_index)
{
    SpaprEvent *ev = g_new0(SpaprEvent, 1);
    uint8_t *b, *e;

    ev->summary = LOG_VERSION_6 | LOG_SEVERITY_EVENT | LOG_DISPOSITION_NOT_RECOVERED |
                  LOG_OPTIONAL_PART_PRESENT | LOG_INITIATOR_HOTPLUG | LOG_TYPE_HOTPLUG;
    ev->source_class = SPAPR_EVENT_CLASS_EPOW;
    init_common(spapr, ev);
    b = ev->ext + MAINB_OFF;
    b[8] = 0x80;                       /* subsystem: platform firmware */
    e = ev->ext + EVENT_OFF;
    section_header(e, 0x4850, 20, 1);  /* "HP" */
    e[8] = hp_type;
    e[9] = action;
    e[10] = SPAPR_HP_ID_DRC_INDEX;
    st32(e + 12, drc_index);
    queue_event(spapr, ev);
}

/* Pulse the source of every class that still has events (the guest re-checks). */
static void repulse_pending(SpaprMachine *spapr)
{
    if (!g_queue_is_empty(&spapr->events->events)) {
        qemu_irq_pulse(spapr_qirq(spapr, SPAPR_IRQ_EPOW));
    }
}

static void rtas_check_exception(SpaprMachine *spapr, uint32_t token, uint32_t nargs,
                                 hwaddr args, uint32_t nret, hwaddr rets)
{
    uint32_t mask, len;
    hwaddr buf;
    SpaprEvent *ev = NULL;
    uint8_t out[SPAPR_EVENT_LOG_SIZE];
    GList *l;

    if ((nargs != 6 && nargs != 7) || nret != 1) {
        rtas_st(rets, 0, RTAS_OUT_PARAM_ERROR);
        return;
    }
    mask = rtas_ld(args, 2);
    buf = rtas_ld(args, 4);
    len = rtas_ld(args, 5);
    for (l = spapr->events->events.head; l; l = l->next) {
        SpaprEvent *e = l->data;
        if (mask & SPAPR_EVENT_MASK(e->source_class)) {
            ev = e;
            break;
        }
    }
    if (!ev) {
        rtas_st(rets, 0, RTAS_OUT_NO_ERRORS_FOUND);
        return;
    }
    /*
     * QEMU writes the whole log whatever the length; here a buffer must
     * hold at least the summary and extended length, and no byte past
     * @len (nor outside RAM) is written.  The event stays queued on error.
     */
    len = MIN(len, (uint32_t)sizeof(out));
    if (len < 8 || !spapr_ram_range_ok(spapr, buf, len)) {
        rtas_st(rets, 0, RTAS_OUT_PARAM_ERROR);
        return;
    }
    st32(out, ev->summary);
    st32(out + 4, EXT_LEN);
    memcpy(out + 8, ev->ext, EXT_LEN);
    memcpy(spapr_ram_ptr(spapr, buf), out, len);
    trace_spapr_event_deliver(ev->summary, buf);
    g_queue_delete_link(&spapr->events->events, l);
    g_free(ev);
    rtas_st(rets, 0, RTAS_OUT_SUCCESS);
    repulse_pending(spapr);
}

static void rtas_event_scan(SpaprMachine *spapr, uint32_t token, uint32_t nargs, hwaddr args,
                            uint32_t nret, hwaddr rets)
{
    if (nargs != 4 || nret != 1) {
        rtas_st(rets, 0, RTAS_OUT_PARAM_ERROR);
        return;
    }
    repulse_pending(spapr);
    rtas_st(rets, 0, RTAS_OUT_NO_ERRORS_FOUND);
}

void spapr_events_register(void)
{
    spapr_rtas_register(RTAS_CHECK_EXCEPTION, "check-exception", rtas_check_exception);
    spapr_rtas_register(RTAS_EVENT_SCAN, "event-scan", rtas_event_scan);
}

void spapr_events_dt(SpaprMachine *spapr, void *fdt)
{
    uint32_t ranges[] = {
        cpu_to_fdt32(SPAPR_IRQ_EPOW), cpu_to_fdt32(1),
        cpu_to_fdt32(SPAPR_IRQ_HOTPLUG), cpu_to_fdt32(1),
    };
    int node = fdt_add_subnode(fdt, 0, "event-sources");
    int sub;

    fdt_setprop(fdt, node, "interrupt-controller", NULL, 0);
    fdt_setprop_cell(fdt, node, "#interrupt-cells", 2);
    /* not in QEMU's tree: dtc warns about an interrupt provider without it */
    fdt_setprop_cell(fdt, node, "#address-cells", 0);
    fdt_setprop(fdt, node, "interrupt-ranges", ranges, sizeof(ranges));
    sub = fdt_add_subnode(fdt, node, "epow-events");
    fdt_setprop_cell(fdt, sub, "interrupts", SPAPR_IRQ_EPOW);
    fdt_appendprop_cell(fdt, sub, "interrupts", 0);
    sub = fdt_add_subnode(fdt, node, "hot-plug-events");
    fdt_setprop_cell(fdt, sub, "interrupts", SPAPR_IRQ_HOTPLUG);
    fdt_appendprop_cell(fdt, sub, "interrupts", 0);
}
