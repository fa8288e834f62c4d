/*
 * Chardev registry, option parsing and the frontend side.
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "chardev/char-internal.h"

static GPtrArray *chardevs;      /* Chardev *, all of them */

Chardev *chardev_alloc(const char *id, const ChardevBackendOps *ops, void *backend)
{
    Chardev *chr = g_new0(Chardev, 1);

    chr->id = g_strdup(id);
    chr->ops = ops;
    chr->backend = backend;
    if (!chardevs) {
        chardevs = g_ptr_array_new();
    }
    g_ptr_array_add(chardevs, chr);
    return chr;
}

Chardev *chardev_find(const char *id)
{
    for (guint i = 0; chardevs && i < chardevs->len; i++) {
        Chardev *chr = g_ptr_array_index(chardevs, i);
        if (!g_strcmp0(chr->id, id)) {
            return chr;
        }
    }
    return NULL;
}

const char *chardev_id(Chardev *chr)
{
    return chr->id;
}

void chardev_be_opened(Chardev *chr)
{
    chr->connected = true;
    if (chr->read_fn) {
        chr->ops->set_reading(chr, !chr->paused);
    }
    if (chr->event_fn) {
        chr->event_fn(chr->opaque, CHR_EVENT_OPENED);
    }
}

void chardev_be_closed(Chardev *chr)
{
    if (!chr->connected) {
        return;
    }
    chr->connected = false;
    chr->ops->set_reading(chr, false);
    if (chr->event_fn) {
        chr->event_fn(chr->opaque, CHR_EVENT_CLOSED);
    }
}

void chardev_be_input(Chardev *chr, const uint8_t *buf, size_t len)
{
    if (chr->read_fn) {
        chr->read_fn(chr->opaque, buf, len);
    }
}

gboolean chardev_set_frontend(Chardev *chr, ChardevReadFn read_fn, ChardevEventFn event_fn,
                              void *opaque, GError **errp)
{
    if (chr->read_fn) {
        error_setg(errp, "chardev '%s' is already in use", chr->id);
        return FALSE;
    }
    chr->read_fn = read_fn;
    chr->event_fn = event_fn;
    chr->opaque = opaque;
    if (chr->connected) {
        chr->ops->set_reading(chr, !chr->paused);
        if (event_fn) {
            event_fn(opaque, CHR_EVENT_OPENED);
        }
    }
    return TRUE;
}

gboolean chardev_write_all(Chardev *chr, const void *buf, size_t len)
{
    if (!chr->connected) {
        return FALSE;
    }
    return chr->ops->write(chr, buf, len);
}

void chardev_set_paused(Chardev *chr, bool paused)
{
    chr->paused = paused;
    if (chr->connected && chr->read_fn) {
        chr->ops->set_reading(chr, !paused);
    }
}

void chardev_cleanup_all(void)
{
    for (guint i = 0; chardevs && i < chardevs->len; i++) {
        Chardev *chr = g_ptr_array_index(chardevs, i);
        chr->ops->close(chr);
        g_free(chr->id);
        g_free(chr);
    }
    g_clear_pointer(&chardevs, g_ptr_array_unref);
}

static gboolean parse_socket_opts(const char *what, Keyval *opts, SocketSpec *spec,
                                  GError **errp)
{
    const char *v;

    spec->path = g_strdup(keyval_get(opts, "path"));
    spec->host = g_strdup(keyval_get(opts, "host"));
    spec->port = g_strdup(keyval_get(opts, "port"));
    spec->server = false;
    spec->wait = true;
    if ((v = keyval_get(opts, "server")) && !parse_bool("server", v, &spec->server, errp)) {
        return FALSE;
    }
    if ((v = keyval_get(opts, "wait")) && !parse_bool("wait", v, &spec->wait, errp)) {
        return FALSE;
    }
    if (keyval_get(opts, "nowait")) {        /* legacy spelling */
        spec->wait = false;
    }
    if (!spec->path && !(spec->host && spec->port)) {
        error_setg(errp, "chardev '%s': socket needs 'path', or 'host' and 'port'", what);
        return FALSE;
    }
    if (!spec->path && !spec->host) {
        error_setg(errp, "chardev '%s': socket needs 'host'", what);
        return FALSE;
    }
    if (!spec->server && keyval_get(opts, "wait")) {
        error_setg(errp, "chardev '%s': 'wait' option is incompatible with socket in client connect mode", what);
        return FALSE;
    }
    return TRUE;
}

static void socket_spec_clear(SocketSpec *spec)
{
    g_free(spec->path);
    g_free(spec->host);
    g_free(spec->port);
}

static const char *const socket_keys[] = {
    "backend", "id", "path", "host", "port", "server", "wait", "nowait", "telnet", "nodelay",
    "ipv4", "ipv6", "reconnect", "mux", "logfile", "signal", NULL
};

static Chardev *new_backend(const char *id, const char *backend, Keyval *opts, GError **errp)
{
    for (guint i = 0; i < opts->pairs->len; i++) {
        const char *key = g_array_index(opts->pairs, KeyvalPair, i).key;
        if (!g_strv_contains(socket_keys, key)) {
            error_setg(errp, "Invalid parameter '%s'", key);
            return NULL;
        }
    }
    if (g_str_equal(backend, "socket")) {
        SocketSpec spec = { 0 };
        Chardev *chr = NULL;
        if (parse_socket_opts(id, opts, &spec, errp)) {
            chr = chardev_socket_new(id, &spec, errp);
        }
        socket_spec_clear(&spec);
        return chr;
    }
    if (g_str_equal(backend, "stdio")) {
        return chardev_stdio_new(id, errp);
    }
    error_setg(errp, "'%s' is not a valid char driver name", backend);
    return NULL;
}

Chardev *chardev_new_from_opts(Keyval *opts, GError **errp)
{
    const char *id = keyval_get(opts, "id");
    const char *backend = keyval_get(opts, "backend");

    if (!id) {
        error_setg(errp, "Parameter 'id' is missing");
        return NULL;
    }
    if (!backend) {
        error_setg(errp, "chardev: \"%s\" missing backend", id);
        return NULL;
    }
    if (chardev_find(id)) {
        error_setg(errp, "attempt to add duplicate property '%s' to object (type 'container')", id);
        return NULL;
    }
    return new_backend(id, backend, opts, errp);
}

Chardev *chardev_new_from_spec(const char *id, const char *spec, GError **errp)
{
    g_autoptr(Keyval) opts = NULL;
    g_autofree char *head = NULL;
    const char *comma = strchr(spec, ',');

    head = comma ? g_strndup(spec, comma - spec) : g_strdup(spec);
    opts = keyval_parse(comma ? comma + 1 : "", NULL, errp);
    if (!opts) {
        return NULL;
    }
    if (g_str_equal(head, "stdio")) {
        return new_backend(id, "stdio", opts, errp);
    }
    if (g_str_has_prefix(head, "unix:")) {
        g_array_insert_val(opts->pairs, 0, ((KeyvalPair){ g_strdup("path"), g_strdup(head + 5) }));
        return new_backend(id, "socket", opts, errp);
    }
    if (g_str_has_prefix(head, "tcp:")) {
        const char *hp = head + 4;
        const char *colon = strrchr(hp, ':');
        if (!colon || !colon[1]) {
            error_setg(errp, "host and/or port not specified in '%s'", spec);
            return NULL;
        }
        g_array_insert_val(opts->pairs, 0,
                           ((KeyvalPair){ g_strdup("host"),
                                          colon == hp ? g_strdup("0.0.0.0")
                                                      : g_strndup(hp, colon - hp) }));
        g_array_insert_val(opts->pairs, 1, ((KeyvalPair){ g_strdup("port"), g_strdup(colon + 1) }));
        return new_backend(id, "socket", opts, errp);
    }
    error_setg(errp, "'%s' is not a valid char driver name", head);
    return NULL;
}
