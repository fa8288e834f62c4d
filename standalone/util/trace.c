/*
 * Trace event control (-trace) and output (-D).
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "qemu/trace.h"

static FILE *trace_out;

void trace_emit(const char *fmt, ...)
{
    FILE *out = trace_out ? trace_out : stderr;
    gint64 now = g_get_real_time();
    va_list ap;

    fprintf(out, "%d@%" PRId64 ".%06" PRId64 ":", (int)getpid(),
            now / G_USEC_PER_SEC, now % G_USEC_PER_SEC);
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
    fflush(out);
}

unsigned trace_enable_pattern(const char *pattern)
{
    bool enable = true;
    unsigned matched = 0;

    if (g_str_has_prefix(pattern, "enable=")) {
        pattern += strlen("enable=");
    }
    if (pattern[0] == '-') {
        enable = false;
        pattern++;
    }
    for (unsigned i = 0; i < trace_event_count; i++) {
        if (g_pattern_match_simple(pattern, trace_event_names[i])) {
            trace_event_state[i] = enable;
            matched++;
        }
    }
    return matched;
}

gboolean trace_set_logfile(const char *path, GError **errp)
{
    FILE *f = NULL;

    if (path) {
        f = fopen(path, "a");
        if (!f) {
            error_setg_errno(errp, errno, "could not open log file '%s'", path);
            return FALSE;
        }
        setvbuf(f, NULL, _IOLBF, 0);
    }
    if (trace_out) {
        fclose(trace_out);
    }
    trace_out = f;
    return TRUE;
}
