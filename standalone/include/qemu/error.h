/*
 * Errors: one GError domain whose codes are QMP's error classes.
 *
 * Configuration and QMP errors travel as GError; the message names the object
 * (device id, PHB index, group number) and, for system calls, the errno text.
 * Guest errors never use GError: they are PAPR return codes.
 */
#ifndef QEMU_ERROR_H
#define QEMU_ERROR_H

#include "qemu/osdep.h"

#define QEMU_ERROR (qemu_error_quark())
GQuark qemu_error_quark(void);

/* QMP error classes, as QEMU's qapi/error.json names them. */
typedef enum {
    QEMU_ERROR_GENERIC,
    QEMU_ERROR_COMMAND_NOT_FOUND,
    QEMU_ERROR_DEVICE_NOT_ACTIVE,
    QEMU_ERROR_DEVICE_NOT_FOUND,
    QEMU_ERROR_KVM_MISSING_CAP,
} QemuErrorClass;

/* QMP class name of @err ("GenericError" for errors of other domains). */
const char *qemu_error_class_name(const GError *err);

/* g_set_error with QEMU_ERROR/QEMU_ERROR_GENERIC, the common case. */
#define error_setg(errp, ...) g_set_error((errp), QEMU_ERROR, QEMU_ERROR_GENERIC, __VA_ARGS__)

/* Like error_setg, appending ": <strerror(errnum)>". */
void error_setg_errno(GError **errp, int errnum, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* Prefix an existing error's message: "PREFIX: old message". */
void error_prepend(GError **errp, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

#endif
