/*
 * The state interface: how tests see the fake kernel's state and inject
 * faults while QEMU runs.  A unix socket at $VFIO_FAKE_STATE_SOCKET,
 * served by one thread; a line protocol, one reply line per request (see
 * README.rst for the commands and the JSON members).  At exit the last
 * state can be written to $VFIO_FAKE_STATE_FILE: what the process did
 * after a test could last ask (a guest that powers off) is in it.
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* accept4() */
#endif
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "fake.h"

static int listen_fd = -1;
static char *socket_path;
static GThread *server;

static const char *json_bool(bool b)
{
    return b ? "true" : "false";
}

static const char *irq_name(FakeIrqType t)
{
    switch (t) {
    case FAKE_IRQ_INTX:
        return "intx";
    case FAKE_IRQ_MSI:
        return "msi";
    case FAKE_IRQ_MSIX:
        return "msix";
    default:
        return "none";
    }
}

static void container_json(FakeContainer *c, GString *out)
{
    g_string_append_printf(out, "{\"id\":%u,\"open\":%s,\"type\":",
                           c->id, json_bool(c->fd >= 0));
    if (c->iommu) {
        g_string_append_printf(out, "\"%s\"", c->iommu->type_name(c));
    } else {
        g_string_append(out, "null");
    }
    g_string_append(out, ",\"groups\":[");
    for (guint i = 0; i < c->groups->len; i++) {
        FakeGroup *g = g_ptr_array_index(c->groups, i);
        g_string_append_printf(out, "%s%d", i ? "," : "", g->id);
    }
    g_string_append_printf(out, "],\"map-calls\":%" G_GUINT64_FORMAT
                           ",\"map-errors\":%" G_GUINT64_FORMAT
                           ",\"unmap-calls\":%" G_GUINT64_FORMAT
                           ",\"unmap-errors\":%" G_GUINT64_FORMAT,
                           c->map_calls, c->map_errors, c->unmap_calls,
                           c->unmap_errors);
    if (c->iommu) {
        c->iommu->state(c, out);
    }
    g_string_append_c(out, '}');
}

static void device_json(FakeDevice *d, GString *out)
{
    g_string_append_printf(out, "{\"name\":\"%s\",\"driver\":\"%s\","
                           "\"model\":\"%s\",\"open\":%u,\"irq\":\"%s\","
                           "\"dma-ok\":%" G_GUINT64_FORMAT
                           ",\"dma-faults\":%" G_GUINT64_FORMAT
                           ",\"dma-refused\":%" G_GUINT64_FORMAT
                           ",\"irqs\":%" G_GUINT64_FORMAT
                           ",\"resets\":%" G_GUINT64_FORMAT,
                           d->name, d->driver, d->ops->name, d->open_count,
                           irq_name(d->irq_type), d->dma_ok, d->dma_faults,
                           d->dma_refused, d->irqs_signalled, d->resets);
    if (d->dma_iova_lo <= d->dma_iova_hi) {
        /* which windows the function's DMA really went through */
        g_string_append_printf(out, ",\"dma-iova-lo\":%" G_GUINT64_FORMAT
                               ",\"dma-iova-hi\":%" G_GUINT64_FORMAT,
                               d->dma_iova_lo, d->dma_iova_hi);
    }
    if (d->ops->state) {
        d->ops->state(d, out);
    }
    g_string_append_c(out, '}');
}

static void group_json(FakeGroup *g, GString *out)
{
    g_string_append_printf(out, "{\"id\":%d,\"open\":%s,\"viable\":%s,"
                           "\"container\":", g->id, json_bool(g->fd >= 0),
                           json_bool(fake_group_viable(g)));
    if (g->container) {
        g_string_append_printf(out, "%u", g->container->id);
    } else {
        g_string_append(out, "null");
    }
    g_string_append_printf(out, ",\"frozen\":%s,\"eacces\":%s,"
                           "\"eeh-enabled\":%s,\"devices\":[",
                           json_bool(g->frozen), json_bool(g->eacces),
                           json_bool(g->eeh_enabled));
    for (guint i = 0; i < g->devices->len; i++) {
        if (i) {
            g_string_append_c(out, ',');
        }
        device_json(g_ptr_array_index(g->devices, i), out);
    }
    g_string_append(out, "]}");
}

char *fake_state_json(void)
{
    GString *out = g_string_new(NULL);

    g_rec_mutex_lock(&fake_lock);
    g_string_append_printf(out, "{\"iommu\":\"%s\",\"locked-bytes\":%"
                           G_GUINT64_FORMAT ",\"memlock-limit\":%"
                           G_GUINT64_FORMAT ",\"fds\":%u,\"containers\":[",
                           fake->iommu_type == FAKE_IOMMU_TYPE1 ? "type1"
                                                         : "spapr-tce-v2",
                           fake->locked_pages << fake->page_shift,
                           fake->memlock_limit,
                           g_hash_table_size(fake->fds));
    for (guint i = 0; i < fake->containers->len; i++) {
        if (i) {
            g_string_append_c(out, ',');
        }
        container_json(g_ptr_array_index(fake->containers, i), out);
    }
    g_string_append(out, "],\"groups\":[");
    for (guint i = 0; i < fake->groups->len; i++) {
        if (i) {
            g_string_append_c(out, ',');
        }
        group_json(g_ptr_array_index(fake->groups, i), out);
    }
    g_string_append(out, "]}");
    g_rec_mutex_unlock(&fake_lock);
    return g_string_free(out, FALSE);
}

/* Commands --------------------------------------------------------------- */

static FakeGroup *arg_group(char **words, int i)
{
    char *end;
    long id;

    if (!words[i]) {
        return NULL;
    }
    id = strtol(words[i], &end, 10);
    return *end ? NULL : fake_group_find(id);
}

static bool arg_u64(char **words, int i, uint64_t *out)
{
    char *end;

    if (!words[i] || !*words[i]) {
        return false;
    }
    errno = 0;
    *out = g_ascii_strtoull(words[i], &end, 0);
    return !errno && !*end;
}

/* With fake_lock held. */
static char *command_locked(char **words)
{
    const char *cmd = words[0];
    uint64_t a, b;
    FakeGroup *g;

    if (!strcmp(cmd, "ping")) {
        return g_strdup("ok");
    }
    if (!strcmp(cmd, "map-fail") && words[1] && !strcmp(words[1], "off")) {
        fake->map_fail_armed = false;
        return g_strdup("ok");
    }
    if (!strcmp(cmd, "map-fail")) {
        if (!arg_u64(words, 1, &a) || !arg_u64(words, 2, &b) || !b ||
            b > 4095) {
            return g_strdup("error: map-fail AFTER ERRNO | map-fail off");
        }
        fake->map_fail_armed = true;
        fake->map_fail_after = a;
        fake->map_fail_errno = b;
        return g_strdup("ok");
    }
    if (!strcmp(cmd, "memlock")) {
        if (!arg_u64(words, 1, &a)) {
            return g_strdup("error: memlock BYTES");
        }
        fake->memlock_limit = a;
        return g_strdup("ok");
    }
    if (!strcmp(cmd, "freeze") || !strcmp(cmd, "thaw")) {
        g = arg_group(words, 1);
        if (!g) {
            return g_strdup("error: no such group");
        }
        g->frozen = !strcmp(cmd, "freeze");
        return g_strdup("ok");
    }
    if (!strcmp(cmd, "eacces")) {
        g = arg_group(words, 1);
        if (!g || !words[2] ||
            (strcmp(words[2], "on") && strcmp(words[2], "off"))) {
            return g_strdup("error: eacces GROUP on|off");
        }
        g->eacces = !strcmp(words[2], "on");
        return g_strdup("ok");
    }
    return g_strdup_printf("error: unknown command '%s'", cmd);
}

char *fake_state_command(const char *line)
{
    g_autofree char *copy = g_strstrip(g_strdup(line));
    g_auto(GStrv) words = g_strsplit(copy, " ", -1);
    char *reply;

    if (!words[0] || !*words[0]) {
        return g_strdup("error: empty command");
    }
    if (!strcmp(words[0], "state")) {
        return fake_state_json();
    }
    g_rec_mutex_lock(&fake_lock);
    reply = command_locked(words);
    g_rec_mutex_unlock(&fake_lock);
    return reply;
}

/* The server ------------------------------------------------------------- */

static bool send_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        buf += n;
        len -= n;
    }
    return true;
}

static void serve_client(int fd)
{
    g_autoptr(GString) in = g_string_new(NULL);
    char buf[512];
    ssize_t n;
    char *nl;

    for (;;) {
        while ((nl = memchr(in->str, '\n', in->len))) {
            g_autofree char *line = g_strndup(in->str, nl - in->str);
            g_autofree char *reply = fake_state_command(line);
            g_autofree char *out = g_strconcat(reply, "\n", NULL);

            g_string_erase(in, 0, nl - in->str + 1);
            if (!send_all(fd, out, strlen(out))) {
                return;
            }
        }
        n = recv(fd, buf, sizeof(buf), 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return;
        }
        g_string_append_len(in, buf, n);
    }
}

static gpointer server_thread(gpointer opaque)
{
    int lfd = GPOINTER_TO_INT(opaque);

    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

        if (fd < 0 && errno == EINTR) {
            continue;
        }
        if (fd < 0) {
            return NULL;        /* shut down */
        }
        serve_client(fd);
        fake_real_close(fd);
    }
}

/*
 * Make way for binding @addr: 0 once nothing is there (a socket left by
 * a process that died is removed), -EADDRINUSE if a live process serves
 * it (a preloaded descendant of the fake's process must not steal its
 * parent's socket), -EEXIST if it is no socket at all.
 */
static int socket_in_use(const struct sockaddr_un *addr)
{
    struct stat st;
    int fd, ret;

    if (lstat(addr->sun_path, &st) < 0) {
        return 0;
    }
    if (!S_ISSOCK(st.st_mode)) {
        return -EEXIST;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    ret = connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) < 0 ?
          -errno : 0;
    fake_real_close(fd);
    if (!ret) {
        return -EADDRINUSE;
    }
    if (ret != -ECONNREFUSED) {
        return ret;
    }
    unlink(addr->sun_path);     /* refused: nobody listens, it is stale */
    return 0;
}

int fake_state_serve(GError **errp)
{
    const char *path = g_getenv("VFIO_FAKE_STATE_SOCKET");
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    sigset_t all, old;
    int ret;

    if (!path || !*path) {
        return 0;
    }
    if (strlen(path) >= sizeof(addr.sun_path)) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_NAMETOOLONG,
                    "VFIO_FAKE_STATE_SOCKET: path too long");
        return -ENAMETOOLONG;
    }
    strcpy(addr.sun_path, path);
    ret = socket_in_use(&addr);
    if (ret) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(-ret),
                    "state socket %s: %s", path,
                    ret == -EADDRINUSE ? "another process serves it (a "
                    "preloaded child of the fake's process?)"
                    : ret == -EEXIST ? "exists and is no socket"
                    : g_strerror(-ret));
        return ret;
    }
    listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd < 0 ||
        bind(listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        listen(listen_fd, 4) < 0) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "state socket %s: %s", path, g_strerror(errno));
        return -errno;
    }
    socket_path = g_strdup(path);
    /*
     * The thread starts with the signal mask of the thread creating it,
     * which is QEMU's: block everything while it is created, so that no
     * signal QEMU expects in its own threads (SIGIO, SIG_IPI, ...) is
     * delivered to ours, whose syscalls they would only interrupt.
     */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    server = g_thread_new("vfio-fake-state", server_thread,
                          GINT_TO_POINTER(listen_fd));
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return 0;
}

/* The state at exit, for tests whose process ends on its own. */
static void state_file_write(void)
{
    const char *path = g_getenv("VFIO_FAKE_STATE_FILE");
    g_autoptr(GError) err = NULL;
    g_autofree char *json = NULL;
    g_autofree char *line = NULL;

    if (!path || !*path) {
        return;
    }
    json = fake_state_json();
    line = g_strconcat(json, "\n", NULL);
    if (!g_file_set_contents(path, line, -1, &err)) {
        fprintf(stderr, "vfio-fake: VFIO_FAKE_STATE_FILE: %s\n",
                err->message);
    }
}

void fake_state_stop(void)
{
    state_file_write();
    if (listen_fd < 0) {
        return;
    }
    /* wakes accept(); a client being served keeps the thread a moment */
    shutdown(listen_fd, SHUT_RDWR);
    unlink(socket_path);
    g_clear_pointer(&socket_path, g_free);
    fake_real_close(listen_fd);
    listen_fd = -1;
}
