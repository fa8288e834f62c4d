/*
 * User-facing messages on stderr with the program-name prefix QEMU uses.
 */
#include "qemu/osdep.h"
#include "qemu/log.h"

static char *program_name;

void log_set_program_name(const char *argv0)
{
    g_free(program_name);
    program_name = g_path_get_basename(argv0);
}

const char *log_program_name(void)
{
    return program_name ? program_name : "qemu-system-ppc64";
}

static void vreport(const char *kind, const char *fmt, va_list ap)
{
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);

    fprintf(stderr, "%s: %s%s\n", log_program_name(), kind, msg);
    fflush(stderr);
}

void error_report(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vreport("", fmt, ap);
    va_end(ap);
}

void warn_report(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vreport("warning: ", fmt, ap);
    va_end(ap);
}

void info_report(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vreport("", fmt, ap);
    va_end(ap);
}
