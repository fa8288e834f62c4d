/*
 * Virtual clock and timers (see system/clock.h).
 */
#include "qemu/osdep.h"
#include "system/clock.h"

struct Timer {
    TimerCb cb;
    void *opaque;
    int64_t expire;
    bool pending;
};

static int64_t now_ns;
static GList *armed;             /* Timer *, by expire time */
static bool realtime;
static int64_t realtime_base;    /* host monotonic ns when virtual time was 0 */
static guint realtime_source;

int64_t clock_get_ns(void)
{
    if (realtime) {
        int64_t host = g_get_monotonic_time() * 1000 - realtime_base;
        if (host > now_ns) {
            now_ns = host;
        }
    }
    return now_ns;
}

Timer *timer_new(TimerCb cb, void *opaque)
{
    Timer *t = g_new0(Timer, 1);

    t->cb = cb;
    t->opaque = opaque;
    return t;
}

static gint cmp_expire(gconstpointer a, gconstpointer b)
{
    const Timer *ta = a, *tb = b;

    return ta->expire < tb->expire ? -1 : ta->expire > tb->expire;
}

static void realtime_rearm(void);

void timer_mod(Timer *t, int64_t expire_ns)
{
    timer_del(t);
    t->expire = expire_ns;
    t->pending = true;
    armed = g_list_insert_sorted(armed, t, cmp_expire);
    realtime_rearm();
}

void timer_del(Timer *t)
{
    if (t->pending) {
        armed = g_list_remove(armed, t);
        t->pending = false;
    }
}

bool timer_pending(Timer *t)
{
    return t->pending;
}

void timer_free(Timer *t)
{
    if (t) {
        timer_del(t);
        g_free(t);
    }
}

int64_t clock_deadline_ns(void)
{
    if (!armed) {
        return -1;
    }
    return MAX(0, ((Timer *)armed->data)->expire - clock_get_ns());
}

typedef struct StepHook {
    void (*fn)(void *opaque);
    void *opaque;
} StepHook;

static GArray *step_hooks;

void clock_add_step_hook(void (*fn)(void *opaque), void *opaque)
{
    StepHook h = { fn, opaque };

    if (!step_hooks) {
        step_hooks = g_array_new(FALSE, FALSE, sizeof(StepHook));
    }
    g_array_append_val(step_hooks, h);
}

static void run_step_hooks(void)
{
    for (guint i = 0; step_hooks && i < step_hooks->len; i++) {
        StepHook *h = &g_array_index(step_hooks, StepHook, i);
        h->fn(h->opaque);
    }
}

int64_t clock_warp_to(int64_t target)
{
    while (armed && ((Timer *)armed->data)->expire <= target) {
        Timer *t = armed->data;
        armed = g_list_delete_link(armed, armed);
        t->pending = false;
        if (t->expire > now_ns) {
            now_ns = t->expire;
        }
        t->cb(t->opaque);
    }
    if (target > now_ns) {
        now_ns = target;
    }
    run_step_hooks();
    return now_ns;
}

static gboolean realtime_fire(gpointer opaque)
{
    realtime_source = 0;
    clock_warp_to(clock_get_ns());
    realtime_rearm();
    return G_SOURCE_REMOVE;
}

static void realtime_rearm(void)
{
    int64_t d;

    if (!realtime) {
        return;
    }
    if (realtime_source) {
        g_source_remove(realtime_source);
        realtime_source = 0;
    }
    d = clock_deadline_ns();
    if (d >= 0) {
        realtime_source = g_timeout_add(MAX(1, (d + 999999) / 1000000), realtime_fire, NULL);
    }
}

void clock_enable_realtime(void)
{
    realtime = true;
    realtime_base = g_get_monotonic_time() * 1000 - now_ns;
    realtime_rearm();
}
