/*
 * The QEMU_ERROR domain and its QMP class names.
 */
#include "qemu/osdep.h"
#include "qemu/error.h"

G_DEFINE_QUARK(qemu-error-quark, qemu_error)

const char *qemu_error_class_name(const GError *err)
{
    if (err->domain != QEMU_ERROR) {
        return "GenericError";
    }
    switch ((QemuErrorClass)err->code) {
    case QEMU_ERROR_COMMAND_NOT_FOUND:
        return "CommandNotFound";
    case QEMU_ERROR_DEVICE_NOT_ACTIVE:
        return "DeviceNotActive";
    case QEMU_ERROR_DEVICE_NOT_FOUND:
        return "DeviceNotFound";
    case QEMU_ERROR_KVM_MISSING_CAP:
        return "KVMMissingCap";
    case QEMU_ERROR_GENERIC:
        break;
    }
    return "GenericError";
}

void error_setg_errno(GError **errp, int errnum, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    if (!errp) {
        return;
    }
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(errp, QEMU_ERROR, QEMU_ERROR_GENERIC, "%s: %s", msg, g_strerror(errnum));
}

void error_prepend(GError **errp, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *prefix = NULL;
    char *msg;

    if (!errp || !*errp) {
        return;
    }
    va_start(ap, fmt);
    prefix = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    msg = g_strdup_printf("%s%s", prefix, (*errp)->message);
    g_free((*errp)->message);
    (*errp)->message = msg;
}
