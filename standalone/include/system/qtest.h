/*
 * qtest: the text protocol through which tests play the guest.
 */
#ifndef SYSTEM_QTEST_H
#define SYSTEM_QTEST_H

#include "qemu/osdep.h"
#include "chardev/char.h"

/* -accel qtest was given. */
bool qtest_enabled(void);
void qtest_set_enabled(void);

/* Serve the protocol on @chr; @logfile from -qtest-log (NULL: none). */
gboolean qtest_server_init(Chardev *chr, const char *logfile, GError **errp);

void qtest_server_cleanup(void);

#endif
