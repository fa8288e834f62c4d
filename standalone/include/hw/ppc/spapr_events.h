/*
 * RTAS event log: events the platform queues for the guest, fetched with
 * check-exception, announced by pulsing an event-source interrupt.
 *
 * Events are PAPR version-6 error logs (summary word, extended length,
 * then the v6 header, Main-A, Main-B and one event section), big-endian.
 */
#ifndef HW_PPC_SPAPR_EVENTS_H
#define HW_PPC_SPAPR_EVENTS_H

#include "hw/ppc/spapr.h"

/* Event classes and their check-exception mask bits (1 << (31 - class)) */
#define SPAPR_EVENT_CLASS_INTERNAL_ERRORS 0
#define SPAPR_EVENT_CLASS_EPOW            1
#define SPAPR_EVENT_CLASS_HOT_PLUG        3
#define SPAPR_EVENT_CLASS_IO              4
#define SPAPR_EVENT_MASK(cls) (1u << (31 - (cls)))

/* Hotplug section values */
#define SPAPR_HP_TYPE_PCI_PHB   4
#define SPAPR_HP_TYPE_PCI       5
#define SPAPR_HP_ACTION_ADD     1
#define SPAPR_HP_ACTION_REMOVE  2
#define SPAPR_HP_ID_DRC_INDEX   2

/* Byte size of one event as check-exception writes it. */
#define SPAPR_EVENT_LOG_SIZE (8 + 108)

SpaprEventQueue *spapr_events_new(void);
void spapr_events_free(SpaprEventQueue *q);
/* Drop every queued event (machine reset). */
void spapr_events_reset(SpaprEventQueue *q);
unsigned spapr_events_pending(SpaprEventQueue *q);

/* system_powerdown: EPOW "system shutdown" event. */
void spapr_event_queue_powerdown(SpaprMachine *spapr);
/* Hot-plug event for DRC @drc_index (type PHB/PCI, action add/remove). */
void spapr_event_queue_hotplug(SpaprMachine *spapr, uint8_t hp_type, uint8_t action,
                               uint32_t drc_index);

/* /event-sources node. */
void spapr_events_dt(SpaprMachine *spapr, void *fdt);

#endif
