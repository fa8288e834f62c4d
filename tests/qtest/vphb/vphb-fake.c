/*
 * Helpers for qtests that run QEMU on the fake VFIO kernel
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <link.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <glib/gstdio.h>
#include "qapi/error.h"
#include "qobject/qjson.h"
#include "vphb-fake.h"

static int find_asan_runtime(struct dl_phdr_info *info, size_t size,
                             void *opaque)
{
    const char *base = strrchr(info->dlpi_name, '/');

    if (base && g_str_has_prefix(base + 1, "libasan.so")) {
        *(const char **)opaque = info->dlpi_name;
        return 1;
    }
    return 0;
}

/*
 * LD_PRELOAD for a QEMU that runs the fake.  In a sanitized build QEMU
 * and the library are instrumented, and ASan aborts unless its runtime
 * is the first library of the process; this program, built alike, has
 * the runtime QEMU needs already loaded, so it is put first.
 */
char *vphb_fake_preload(const char *lib)
{
    const char *asan = NULL;

    dl_iterate_phdr(find_asan_runtime, &asan);
    return asan ? g_strdup_printf("%s %s", asan, lib) : g_strdup(lib);
}

void vphb_fake_start(VphbFake *f, const char *iommu, const char *topology,
                     const char *const *env, const char *args)
{
    const char *lib = g_getenv("VFIO_FAKE_LIB");
    g_autofree char *preload = NULL;
    g_autofree char *topo = NULL;
    g_auto(GStrv) saved = g_get_environ();

    g_assert_nonnull(lib);
    f->dir = g_dir_make_tmp("vphb-qtest-XXXXXX", NULL);
    f->sock = g_build_filename(f->dir, "state.sock", NULL);
    /* the environment libqtest passes on to QEMU, and to QEMU only */
    g_setenv("VFIO_FAKE_IOMMU", iommu, TRUE);
    g_setenv("VFIO_FAKE_STATE_SOCKET", f->sock, TRUE);
    if (topology) {
        topo = g_build_filename(f->dir, "topology.ini", NULL);
        g_assert_true(g_file_set_contents(topo, topology, -1, NULL));
        g_setenv("VFIO_FAKE_TOPOLOGY", topo, TRUE);
    }
    for (int i = 0; env && env[i]; i++) {
        g_auto(GStrv) kv = g_strsplit(env[i], "=", 2);

        g_setenv(kv[0], kv[1], TRUE);
    }
    preload = vphb_fake_preload(lib);
    g_setenv("LD_PRELOAD", preload, TRUE);
    f->qts = qtest_initf("-machine pseries -nodefaults %s", args);
    g_unsetenv("LD_PRELOAD");
    g_unsetenv("VFIO_FAKE_TOPOLOGY");
    for (int i = 0; env && env[i]; i++) {
        g_auto(GStrv) kv = g_strsplit(env[i], "=", 2);

        if (g_environ_getenv(saved, kv[0])) {
            g_setenv(kv[0], g_environ_getenv(saved, kv[0]), TRUE);
        } else {
            g_unsetenv(kv[0]);
        }
    }
}

void vphb_fake_stop(VphbFake *f)
{
    g_autofree char *topo = NULL;

    qtest_quit(f->qts);
    /* QEMU removed its socket at exit */
    g_assert_false(g_file_test(f->sock, G_FILE_TEST_EXISTS));
    /* the fake reads its topology when it starts, not when QEMU does */
    topo = g_build_filename(f->dir, "topology.ini", NULL);
    g_unlink(topo);
    g_rmdir(f->dir);
    g_free(f->sock);
    g_free(f->dir);
}

char *vphb_fake_cmd(VphbFake *f, const char *line)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    GString *reply = g_string_new(NULL);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    char buf[4096];
    ssize_t n;

    g_assert_cmpint(fd, >=, 0);
    g_strlcpy(addr.sun_path, f->sock, sizeof(addr.sun_path));
    g_assert_cmpint(connect(fd, (struct sockaddr *)&addr, sizeof(addr)),
                    ==, 0);
    g_assert_cmpint(write(fd, line, strlen(line)), ==, strlen(line));
    g_assert_cmpint(write(fd, "\n", 1), ==, 1);
    while (!strchr(reply->str, '\n') &&
           (n = read(fd, buf, sizeof(buf))) > 0) {
        g_string_append_len(reply, buf, n);
    }
    close(fd);
    g_assert_nonnull(strchr(reply->str, '\n'));
    *strchr(reply->str, '\n') = '\0';
    return g_string_free(reply, false);
}

QDict *vphb_fake_state(VphbFake *f)
{
    g_autofree char *reply = vphb_fake_cmd(f, "state");

    return qobject_to(QDict, qobject_from_json(reply, &error_abort));
}

QDict *vphb_fake_find(QDict *state, const char *list, int64_t id)
{
    const QListEntry *e;

    QLIST_FOREACH_ENTRY(qdict_get_qlist(state, list), e) {
        QDict *entry = qobject_to(QDict, qlist_entry_obj(e));

        if (qdict_get_int(entry, "id") == id) {
            return entry;
        }
    }
    return NULL;
}

int vphb_fake_containers(VphbFake *f)
{
    QDict *state = vphb_fake_state(f);
    int n = qlist_size(qdict_get_qlist(state, "containers"));

    qobject_unref(state);
    return n;
}

int vphb_fake_fds(VphbFake *f)
{
    QDict *state = vphb_fake_state(f);
    int n = qdict_get_int(state, "fds");

    qobject_unref(state);
    return n;
}

int vphb_qemu_fds(VphbFake *f)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/fd",
                                            (int)qtest_pid(f->qts));
    GDir *dir = g_dir_open(path, 0, NULL);
    const char *name;
    int n = 0;

    g_assert_nonnull(dir);

    /*
     * Sockets are left out: the fake's state socket opens and closes one
     * in QEMU for every request, asynchronously to this count.
     */
    while ((name = g_dir_read_name(dir))) {
        g_autofree char *link = g_build_filename(path, name, NULL);
        g_autofree char *target = g_file_read_link(link, NULL);

        n += !target || !g_str_has_prefix(target, "socket:");
    }
    g_dir_close(dir);
    return n;
}

QObject *vphb_qom_get(QTestState *qts, const char *path, const char *prop)
{
    QDict *rsp = qtest_qmp(qts, "{'execute': 'qom-get', 'arguments': "
                           "{'path': %s, 'property': %s}}", path, prop);
    QObject *ret;

    g_assert_true(qdict_haskey(rsp, "return"));
    ret = qobject_ref(qdict_get(rsp, "return"));
    qobject_unref(rsp);
    return ret;
}

void vphb_add_must_fail(VphbFake *f, const char *json,
                        const char *const *needles)
{
    /* the fake starts at QEMU's first VFIO access: until then, nothing */
    bool started = g_file_test(f->sock, G_FILE_TEST_EXISTS);
    int fake_fds = started ? vphb_fake_fds(f) : 0;
    int containers = started ? vphb_fake_containers(f) : 0;
    int qemu_fds = vphb_qemu_fds(f);
    QDict *rsp;
    const char *desc;

    qtest_qmp_send_raw(f->qts, "{\"execute\": \"device_add\", "
                       "\"arguments\": {%s}}\n", json);
    rsp = qtest_qmp_receive(f->qts);

    g_assert_true(qdict_haskey(rsp, "error"));
    desc = qdict_get_str(qdict_get_qdict(rsp, "error"), "desc");
    for (int i = 0; needles[i]; i++) {
        if (!strstr(desc, needles[i])) {
            g_error("'%s' does not say '%s'", desc, needles[i]);
        }
    }
    qobject_unref(rsp);

    /* nothing left behind */
    rsp = qtest_qmp(f->qts, "{'execute': 'qom-list', 'arguments': "
                    "{'path': '/machine/peripheral/bad'}}");
    g_assert_cmpstr(qdict_get_str(qdict_get_qdict(rsp, "error"), "class"),
                    ==, "DeviceNotFound");
    qobject_unref(rsp);
    g_assert_cmpint(vphb_fake_fds(f), ==, fake_fds);
    g_assert_cmpint(vphb_fake_containers(f), ==, containers);
    /* a fake that just started holds descriptors of its own */
    if (started) {
        g_assert_cmpint(vphb_qemu_fds(f), ==, qemu_fds);
    }
}

char *vphb_functions(QTestState *qts, const char *id)
{
    g_autofree char *path = g_strdup_printf("/machine/peripheral/%s", id);
    QObject *obj = vphb_qom_get(qts, path, "functions");
    GString *s = g_string_new(NULL);
    const QListEntry *e;

    QLIST_FOREACH_ENTRY(qobject_to(QList, obj), e) {
        QDict *fn = qobject_to(QDict, qlist_entry_obj(e));

        g_string_append_printf(s, "%s%s@%" PRId64, s->len ? " " : "",
                               qdict_get_str(fn, "host"),
                               qdict_get_int(fn, "devfn"));
    }
    qobject_unref(obj);
    return g_string_free(s, false);
}
