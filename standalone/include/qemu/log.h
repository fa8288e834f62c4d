/*
 * Messages for the user: always on stderr, never on stdout (stdout may carry
 * a protocol: -qmp stdio, -qtest stdio).
 */
#ifndef QEMU_LOG_H
#define QEMU_LOG_H

#include "qemu/osdep.h"

/* "qemu-system-ppc64: MESSAGE\n" on stderr. */
void error_report(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* "qemu-system-ppc64: warning: MESSAGE\n" on stderr. */
void warn_report(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* Informational line on stderr, same prefix. */
void info_report(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* Program name used as the prefix (basename of argv[0]). */
void log_set_program_name(const char *argv0);
const char *log_program_name(void);

#endif
