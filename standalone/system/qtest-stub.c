/*
 * qtest left out of the build (CONFIG_QTEST=n).
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "system/qtest.h"

bool qtest_enabled(void)
{
    return false;
}

void qtest_set_enabled(void)
{
}

gboolean qtest_server_init(Chardev *chr, const char *logfile, GError **errp)
{
    error_setg(errp, "qtest support is not built in (CONFIG_QTEST=n)");
    return FALSE;
}

void qtest_server_cleanup(void)
{
}
