/*
 * The virtual clock and its timers.
 *
 * With -accel qtest the clock only moves when the test says so
 * (clock_step/clock_set), which makes device timing deterministic.
 * Otherwise it follows the host's monotonic clock and timers fire from
 * the main loop.
 */
#ifndef SYSTEM_CLOCK_H
#define SYSTEM_CLOCK_H

#include "qemu/osdep.h"

typedef struct Timer Timer;
typedef void (*TimerCb)(void *opaque);

/* Nanoseconds of virtual time since machine creation. */
int64_t clock_get_ns(void);

Timer *timer_new(TimerCb cb, void *opaque);
/* Arm @t to fire when the clock reaches @expire_ns (re-arming moves it). */
void timer_mod(Timer *t, int64_t expire_ns);
void timer_del(Timer *t);
bool timer_pending(Timer *t);
void timer_free(Timer *t);

/* Nanoseconds until the next timer, or -1 if none is armed. */
int64_t clock_deadline_ns(void);
/* Move the clock to @target (not backwards), firing due timers in order. */
int64_t clock_warp_to(int64_t target);

/*
 * Call @fn after every clock step (once due timers fired): devices whose
 * work completes on another thread or process check for it there.
 */
void clock_add_step_hook(void (*fn)(void *opaque), void *opaque);

/* Let the clock follow the host's (no qtest); timers fire from the main loop. */
void clock_enable_realtime(void);

#endif
