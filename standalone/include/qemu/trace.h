/*
 * Trace events: declared in each directory's trace-events file, turned into
 * inline trace_NAME() functions by scripts/tracetool.py, enabled with
 * -trace PATTERN (glob) and written to the -D file or stderr.
 */
#ifndef QEMU_TRACE_H
#define QEMU_TRACE_H

#include "qemu/osdep.h"

extern bool trace_event_state[];
extern const char *const trace_event_names[];
extern const unsigned trace_event_count;

/* Write one formatted trace line (with a timestamp prefix). */
void trace_emit(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/*
 * Enable the events matching @pattern ("name", "glob*", "-name" disables,
 * "enable=glob").  Returns the number of events matched; 0 is not an error
 * for a glob, but is reported to the user by the caller.
 */
unsigned trace_enable_pattern(const char *pattern);

/* Send trace output (and -d logging) to @path; NULL = stderr. */
gboolean trace_set_logfile(const char *path, GError **errp);

#endif
