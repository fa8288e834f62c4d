/*
 * QMP: the JSON control protocol, wire-compatible with QEMU's.
 *
 * Commands are registered by name with a handler; a handler gets the
 * "arguments" object (never NULL) and returns a JsonNode result or sets a
 * GError whose code is a QMP class (qemu/error.h).  Events go to every
 * monitor that has completed capabilities negotiation.
 */
#ifndef MONITOR_QMP_H
#define MONITOR_QMP_H

#include "qemu/osdep.h"
#include <json-glib/json-glib.h>
#include "chardev/char.h"

typedef JsonNode *(*QmpCommandFn)(JsonObject *args, GError **errp);

/*
 * One argument a command takes: name, JSON type (G_TYPE_STRING,
 * G_TYPE_INT64, G_TYPE_BOOLEAN, JSON_NODE_OBJECT/ARRAY as 0 = any), and
 * whether it is optional.  Unknown or ill-typed arguments are refused with
 * QEMU's messages before the handler runs.
 */
typedef struct QmpArg {
    const char *name;
    GType type;                /* 0: any JSON value */
    bool optional;
} QmpArg;

typedef struct QmpCommand {
    const char *name;
    QmpCommandFn fn;
    const QmpArg *args;        /* NULL-name terminated; NULL = no arguments */
    bool extra_args;           /* accept arguments not listed (device_add) */
} QmpCommand;

/* Register a command; the struct must stay valid (static). */
void qmp_register_command(const QmpCommand *cmd);
/* Registered commands, sorted by name (query-commands). */
GList *qmp_command_list(void);

/* Start a monitor in control mode on @chr. */
gboolean monitor_init_qmp(Chardev *chr, GError **errp);

/* Send @name with @data (owned, may be NULL) to every negotiated monitor. */
void qmp_event_emit(const char *name, JsonObject *data);

/* Register the built-in commands (query-*, stop, cont, device_add...). */
void qmp_register_builtin_commands(void);

/* Helpers for handlers */
JsonNode *qmp_return_empty(void);

/* Close all monitors. */
void monitor_cleanup_all(void);

#endif
