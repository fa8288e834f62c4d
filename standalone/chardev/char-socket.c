/*
 * Socket chardev: unix or tcp, client or server (one client at a time).
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "qemu/log.h"
#include "chardev/char-internal.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>

typedef struct SocketBackend {
    Chardev *chr;
    SocketSpec spec;
    GSocket *listener;
    GSocket *conn;
    GSource *accept_src;
    GSource *read_src;
} SocketBackend;

static void socket_disconnect(SocketBackend *s);
static void socket_watch_accept(SocketBackend *s, bool on);

static gboolean socket_readable(GSocket *sock, GIOCondition cond, gpointer opaque)
{
    SocketBackend *s = opaque;
    uint8_t buf[4096];
    gssize n;

    n = g_socket_receive_with_blocking(sock, (gchar *)buf, sizeof(buf), FALSE, NULL, NULL);
    if (n > 0) {
        chardev_be_input(s->chr, buf, n);
        return G_SOURCE_CONTINUE;
    }
    if (n < 0 && !(cond & (G_IO_HUP | G_IO_ERR))) {
        /* spurious wakeup (EAGAIN) */
        return G_SOURCE_CONTINUE;
    }
    g_clear_pointer(&s->read_src, g_source_unref);
    socket_disconnect(s);
    return G_SOURCE_REMOVE;
}

static void socket_set_reading(Chardev *chr, bool on)
{
    SocketBackend *s = chr->backend;

    if (on && !s->read_src && s->conn) {
        s->read_src = g_socket_create_source(s->conn, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
        g_source_set_callback(s->read_src, G_SOURCE_FUNC(socket_readable), s, NULL);
        g_source_attach(s->read_src, NULL);
    } else if (!on && s->read_src) {
        g_source_destroy(s->read_src);
        g_clear_pointer(&s->read_src, g_source_unref);
    }
}

static void socket_connected(SocketBackend *s, GSocket *conn)
{
    s->conn = conn;
    g_socket_set_blocking(conn, FALSE);
    socket_watch_accept(s, false);
    chardev_be_opened(s->chr);
}

static void socket_disconnect(SocketBackend *s)
{
    if (!s->conn) {
        return;
    }
    if (s->read_src) {
        g_source_destroy(s->read_src);
        g_clear_pointer(&s->read_src, g_source_unref);
    }
    g_socket_close(s->conn, NULL);
    g_clear_object(&s->conn);
    chardev_be_closed(s->chr);
    if (s->listener) {
        socket_watch_accept(s, true);   /* serve the next client */
    }
}

static gboolean socket_accept_ready(GSocket *listener, GIOCondition cond, gpointer opaque)
{
    SocketBackend *s = opaque;
    GSocket *conn = g_socket_accept(listener, NULL, NULL);

    if (conn) {
        g_clear_pointer(&s->accept_src, g_source_unref);
        socket_connected(s, conn);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static void socket_watch_accept(SocketBackend *s, bool on)
{
    if (on && !s->accept_src && s->listener && !s->conn) {
        s->accept_src = g_socket_create_source(s->listener, G_IO_IN, NULL);
        g_source_set_callback(s->accept_src, G_SOURCE_FUNC(socket_accept_ready), s, NULL);
        g_source_attach(s->accept_src, NULL);
    } else if (!on && s->accept_src) {
        g_source_destroy(s->accept_src);
        g_clear_pointer(&s->accept_src, g_source_unref);
    }
}

static gboolean socket_write(Chardev *chr, const uint8_t *buf, size_t len)
{
    SocketBackend *s = chr->backend;

    while (len) {
        g_autoptr(GError) err = NULL;
        gssize n;

        if (!s->conn) {
            return FALSE;
        }
        n = g_socket_send_with_blocking(s->conn, (const gchar *)buf, len, TRUE, NULL, &err);
        if (n <= 0) {
            return FALSE;   /* the read side will notice the hangup */
        }
        buf += n;
        len -= n;
    }
    return TRUE;
}

static void socket_close(Chardev *chr)
{
    SocketBackend *s = chr->backend;

    socket_watch_accept(s, false);
    if (s->read_src) {
        g_source_destroy(s->read_src);
        g_clear_pointer(&s->read_src, g_source_unref);
    }
    if (s->conn) {
        g_socket_close(s->conn, NULL);
        g_clear_object(&s->conn);
    }
    if (s->listener) {
        g_socket_close(s->listener, NULL);
        g_clear_object(&s->listener);
        if (s->spec.path) {
            unlink(s->spec.path);
        }
    }
    g_free(s->spec.path);
    g_free(s->spec.host);
    g_free(s->spec.port);
    g_free(s);
}

static const ChardevBackendOps socket_ops = {
    .write = socket_write,
    .set_reading = socket_set_reading,
    .close = socket_close,
};

static char *spec_text(const SocketSpec *spec)
{
    return spec->path ? g_strdup_printf("unix:%s", spec->path)
                      : g_strdup_printf("tcp:%s:%s", spec->host, spec->port);
}

static GSocketAddress *resolve(const SocketSpec *spec, GError **errp)
{
    g_autoptr(GSocketConnectable) na = NULL;
    g_autoptr(GSocketAddressEnumerator) en = NULL;
    GSocketAddress *addr;
    guint64 port;

    if (spec->path) {
        return g_unix_socket_address_new(spec->path);
    }
    if (!g_ascii_string_to_unsigned(spec->port, 10, 0, 65535, &port, NULL)) {
        error_setg(errp, "Parameter 'port' expects a port number, got '%s'", spec->port);
        return NULL;
    }
    na = g_network_address_new(spec->host, port);
    en = g_socket_connectable_enumerate(na);
    addr = g_socket_address_enumerator_next(en, NULL, errp);
    if (!addr && errp && !*errp) {
        error_setg(errp, "address resolution failed for %s:%s", spec->host, spec->port);
    }
    return addr;
}

Chardev *chardev_socket_new(const char *id, const SocketSpec *spec, GError **errp)
{
    g_autoptr(GSocketAddress) addr = NULL;
    g_autoptr(GSocket) sock = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *text = spec_text(spec);
    SocketBackend *s;
    Chardev *chr;

    addr = resolve(spec, errp);
    if (!addr) {
        return NULL;
    }
    sock = g_socket_new(g_socket_address_get_family(addr), G_SOCKET_TYPE_STREAM,
                        G_SOCKET_PROTOCOL_DEFAULT, &err);
    if (!sock) {
        error_setg(errp, "chardev '%s': cannot create socket: %s", id, err->message);
        return NULL;
    }
    if (!spec->server) {
        if (!g_socket_connect(sock, addr, NULL, &err)) {
            error_setg(errp, "Failed to connect to '%s': %s",
                       spec->path ? spec->path : text + 4, err->message);
            return NULL;
        }
    } else {
        if (spec->path) {
            unlink(spec->path);
        }
        if (!g_socket_bind(sock, addr, TRUE, &err) || !g_socket_listen(sock, &err)) {
            error_setg(errp, "Failed to bind socket to %s: %s", text, err->message);
            return NULL;
        }
    }

    s = g_new0(SocketBackend, 1);
    s->spec.path = g_strdup(spec->path);
    s->spec.host = g_strdup(spec->host);
    s->spec.port = g_strdup(spec->port);
    s->spec.server = spec->server;
    s->spec.wait = spec->wait;
    chr = chardev_alloc(id, &socket_ops, s);
    s->chr = chr;

    if (!spec->server) {
        socket_connected(s, g_steal_pointer(&sock));
        return chr;
    }
    s->listener = g_steal_pointer(&sock);
    if (spec->wait) {
        GSocket *conn;
        info_report("QEMU waiting for connection on: disconnected:%s,server=on", text);
        conn = g_socket_accept(s->listener, NULL, &err);
        if (!conn) {
            error_setg(errp, "chardev '%s': accept failed: %s", id, err->message);
            return NULL;   /* chardev stays registered; closed at exit */
        }
        socket_connected(s, conn);
    } else {
        socket_watch_accept(s, true);
    }
    return chr;
}
