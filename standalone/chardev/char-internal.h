/*
 * Chardev internals shared by the backends.
 */
#ifndef CHARDEV_CHAR_INTERNAL_H
#define CHARDEV_CHAR_INTERNAL_H

#include "chardev/char.h"

typedef struct ChardevBackendOps {
    /* Write all bytes; FALSE if the peer is gone. */
    gboolean (*write)(Chardev *chr, const uint8_t *buf, size_t len);
    /* Start or stop watching for input (only while connected). */
    void (*set_reading)(Chardev *chr, bool on);
    void (*close)(Chardev *chr);
} ChardevBackendOps;

struct Chardev {
    char *id;
    const ChardevBackendOps *ops;
    void *backend;             /* backend state */
    bool connected;
    bool paused;
    ChardevReadFn read_fn;
    ChardevEventFn event_fn;
    void *opaque;
};

Chardev *chardev_alloc(const char *id, const ChardevBackendOps *ops, void *backend);
/* Backends report connection changes and input through these. */
void chardev_be_opened(Chardev *chr);
void chardev_be_closed(Chardev *chr);
void chardev_be_input(Chardev *chr, const uint8_t *buf, size_t len);

/* Backends */
typedef struct SocketSpec {
    char *path;                /* unix */
    char *host, *port;         /* tcp */
    bool server;
    bool wait;
} SocketSpec;

Chardev *chardev_socket_new(const char *id, const SocketSpec *spec, GError **errp);
Chardev *chardev_stdio_new(const char *id, GError **errp);

#endif
