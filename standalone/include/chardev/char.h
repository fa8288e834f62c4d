/*
 * Character devices: the byte streams QMP and qtest speak over.
 *
 * Backends: socket (unix path or tcp host:port; client, or server with
 * wait=on|off) and stdio.  A frontend registers a read handler and an event
 * handler (opened/closed); writes block until every byte is sent, so replies
 * keep their order.  A server socket serves one client at a time and
 * listens again when it leaves, as QEMU's does.
 */
#ifndef CHARDEV_CHAR_H
#define CHARDEV_CHAR_H

#include "qemu/osdep.h"
#include "qemu/keyval.h"

typedef struct Chardev Chardev;

typedef enum {
    CHR_EVENT_OPENED,
    CHR_EVENT_CLOSED,
} ChardevEvent;

typedef void (*ChardevReadFn)(void *opaque, const uint8_t *buf, size_t len);
typedef void (*ChardevEventFn)(void *opaque, ChardevEvent event);

/*
 * -chardev BACKEND,id=ID,...: backends "socket" (path=|host=,port=,
 * server=on|off, wait=on|off) and "stdio".  Registered under @id.
 */
Chardev *chardev_new_from_opts(Keyval *opts, GError **errp);

/*
 * The short form -qmp/-qtest take: "unix:PATH[,server=on][,wait=off]",
 * "tcp:HOST:PORT[,...]" or "stdio".  @id names it in errors.
 */
Chardev *chardev_new_from_spec(const char *id, const char *spec, GError **errp);

/* Find a chardev created with -chardev. */
Chardev *chardev_find(const char *id);
const char *chardev_id(Chardev *chr);

/*
 * Attach a frontend.  If the backend is already connected, @event_fn is
 * called with CHR_EVENT_OPENED right away.  Fails if a frontend is
 * already attached.
 */
gboolean chardev_set_frontend(Chardev *chr, ChardevReadFn read_fn, ChardevEventFn event_fn,
                              void *opaque, GError **errp);

/* Write all of @buf (blocking).  Returns FALSE if the peer is gone. */
gboolean chardev_write_all(Chardev *chr, const void *buf, size_t len);

/* Stop reading until resumed (a frontend busy with a command). */
void chardev_set_paused(Chardev *chr, bool paused);

/* Close every chardev (process exit). */
void chardev_cleanup_all(void);

#endif
