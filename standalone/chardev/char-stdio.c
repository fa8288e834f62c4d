/*
 * stdio chardev: reads fd 0, writes fd 1.  While it is in use, stdout carries
 * only the protocol: every log line goes to stderr.
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "chardev/char-internal.h"

#include <glib-unix.h>

typedef struct StdioBackend {
    guint watch;
    bool eof;
} StdioBackend;

static bool stdio_taken;

static gboolean stdio_readable(gint fd, GIOCondition cond, gpointer opaque)
{
    Chardev *chr = opaque;
    StdioBackend *s = chr->backend;
    uint8_t buf[4096];
    ssize_t n = read(fd, buf, sizeof(buf));

    if (n > 0) {
        chardev_be_input(chr, buf, n);
        return G_SOURCE_CONTINUE;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return G_SOURCE_CONTINUE;
    }
    s->watch = 0;
    s->eof = true;
    chardev_be_closed(chr);
    return G_SOURCE_REMOVE;
}

static void stdio_set_reading(Chardev *chr, bool on)
{
    StdioBackend *s = chr->backend;

    if (on && !s->watch && !s->eof) {
        s->watch = g_unix_fd_add(0, G_IO_IN | G_IO_HUP | G_IO_ERR, stdio_readable, chr);
    } else if (!on && s->watch) {
        g_source_remove(s->watch);
        s->watch = 0;
    }
}

static gboolean stdio_write(Chardev *chr, const uint8_t *buf, size_t len)
{
    while (len) {
        ssize_t n = write(1, buf, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return FALSE;
        }
        buf += n;
        len -= n;
    }
    return TRUE;
}

static void stdio_close(Chardev *chr)
{
    StdioBackend *s = chr->backend;

    if (s->watch) {
        g_source_remove(s->watch);
    }
    g_free(s);
    stdio_taken = false;
}

static const ChardevBackendOps stdio_ops = {
    .write = stdio_write,
    .set_reading = stdio_set_reading,
    .close = stdio_close,
};

Chardev *chardev_stdio_new(const char *id, GError **errp)
{
    Chardev *chr;

    if (stdio_taken) {
        error_setg(errp, "cannot use stdio by multiple character devices");
        return NULL;
    }
    stdio_taken = true;
    chr = chardev_alloc(id, &stdio_ops, g_new0(StdioBackend, 1));
    chardev_be_opened(chr);
    return chr;
}
