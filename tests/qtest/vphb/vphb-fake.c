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
#include <libfdt.h>
#include "qemu/bswap.h"
#include "hw/pci/pci_regs.h"
#include "qobject/qjson.h"
#include "qobject/qlist.h"
#include "qobject/qnum.h"
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
    g_autofree char *all = g_strdup_printf("-machine pseries -nodefaults %s",
                                           args);

    vphb_fake_start_args(f, iommu, topology, env, all);
}

void vphb_fake_start_args(VphbFake *f, const char *iommu,
                          const char *topology, const char *const *env,
                          const char *args)
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
    f->qts = qtest_init(args);
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

QDict *vphb_fake_container(QDict *state, int group)
{
    const QListEntry *e, *g;

    QLIST_FOREACH_ENTRY(qdict_get_qlist(state, "containers"), e) {
        QDict *c = qobject_to(QDict, qlist_entry_obj(e));

        QLIST_FOREACH_ENTRY(qdict_get_qlist(c, "groups"), g) {
            if (qnum_get_int(qobject_to(QNum, qlist_entry_obj(g))) == group) {
                return c;
            }
        }
    }
    g_error("the fake has no container holding group %d", group);
}

int64_t vphb_fake_container_count(VphbFake *f, int group, const char *key)
{
    QDict *state = vphb_fake_state(f);
    int64_t n = qdict_get_int(vphb_fake_container(state, group), key);

    qobject_unref(state);
    return n;
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
     * in QEMU for every request, asynchronously to this count.  So is a
     * descriptor closed between the listing and its readlink: it is gone,
     * and was most likely such a socket.
     */
    while ((name = g_dir_read_name(dir))) {
        g_autofree char *link = g_build_filename(path, name, NULL);
        g_autofree char *target = g_file_read_link(link, NULL);

        n += target && !g_str_has_prefix(target, "socket:");
    }
    g_dir_close(dir);
    return n;
}

int vphb_settled(VphbFake *f, int (*count)(VphbFake *f), int want)
{
    int n = count(f);

    /*
     * A device that failed to realize is finalized after an RCU grace
     * period, in QEMU's RCU thread: its descriptors may still be open
     * when device_add has answered.  A leak never settles; 5 s is far
     * more than a grace period.
     */
    for (int i = 0; n != want && i < 100; i++) {
        g_usleep(50 * 1000);
        n = count(f);
    }
    return n;
}

void vphb_cold_start_must_fail(const char *args, const char *const *needles)
{
    g_autofree char *preload = vphb_fake_preload(g_getenv("VFIO_FAKE_LIB"));
    /* no state socket: QEMU never gets far enough to be asked anything */
    g_autofree char *cmd = g_strdup_printf(
        "exec env -u VFIO_FAKE_STATE_SOCKET LD_PRELOAD='%s' timeout 60 %s "
        "-machine pseries -nodefaults -display none -monitor none -S %s",
        preload, g_getenv("QTEST_QEMU_BINARY"), args);
    const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
    g_autofree char *err = NULL;
    int status;

    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL,
                               G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                               &err, &status, NULL));
    /* an error exit, not a crash, a hang (timeout's 124) or a success */
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 1);
    for (int i = 0; needles[i]; i++) {
        if (!strstr(err, needles[i])) {
            g_error("'%s' does not say '%s'", err, needles[i]);
        }
    }
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
    g_assert_cmpint(vphb_settled(f, vphb_fake_fds, fake_fds), ==, fake_fds);
    g_assert_cmpint(vphb_fake_containers(f), ==, containers);
    /* a fake that just started holds descriptors of its own */
    if (started) {
        g_assert_cmpint(vphb_settled(f, vphb_qemu_fds, qemu_fds), ==,
                        qemu_fds);
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

/* The guest's side, played through qtest */

/* Guest RAM used for RTAS arguments and returns, and the DMA page */
#define RTAS_ARGS           0x100000ULL
#define RTAS_RETS           0x100800ULL
#define DMA_PAGE            ((uint64_t)0x200000)

/* QEMU's pseries PHB layout (spapr_phb_placement) */
#define PHB_BUID(index)     ((uint64_t)0x800000020000000ULL + (index))
#define PHB_LIOBN(index)    (0x80000000u | (index) << 8)

#define H_PUT_TCE           0x20
#define TCE_RW              ((uint64_t)3)

/* The fake's edu: registers of BAR0 */
#define EDU_DMA_SRC         0x80
#define EDU_DMA_DST         0x88
#define EDU_DMA_COUNT       0x90
#define EDU_DMA_CMD         0x98
#define EDU_BUF             0x40000
#define EDU_DMA_TO_RAM      0x3             /* start, edu -> RAM */

uint32_t vphb_rtas(QTestState *qts, const char *name, const uint32_t *args,
                   int nargs, uint32_t *rets, int nret)
{
    for (int i = 0; i < nargs; i++) {
        qtest_writel(qts, RTAS_ARGS + 4 * i, args[i]);
    }
    g_assert_cmpint(qtest_rtas_call(qts, name, nargs, RTAS_ARGS, nret,
                                    RTAS_RETS), ==, 0);
    for (int i = 0; i < nret; i++) {
        rets[i] = qtest_readl(qts, RTAS_RETS + 4 * i);
    }
    return rets[0];
}

/* The guest's view of a function: config space and BAR0 */

static uint32_t cfg_read(QTestState *qts, unsigned index, int devfn, int reg,
                         int size)
{
    uint32_t args[] = { devfn << 8 | reg, PHB_BUID(index) >> 32,
                        (uint32_t)PHB_BUID(index), size };
    uint32_t rets[2];

    g_assert_cmpint(vphb_rtas(qts, "ibm,read-pci-config", args, 4, rets, 2), ==,
                    0);
    return rets[1];
}

static void cfg_write(QTestState *qts, unsigned index, int devfn, int reg,
                      int size, uint32_t val)
{
    uint32_t args[] = { devfn << 8 | reg, PHB_BUID(index) >> 32,
                        (uint32_t)PHB_BUID(index), size, val };
    uint32_t ret;

    g_assert_cmpint(vphb_rtas(qts, "ibm,write-pci-config", args, 5, &ret, 1), ==,
                    0);
}

/*
 * Where the guest reaches PCI address @pci of the PHB's 32-bit window:
 * from the "ranges" of the PHB node it was given (7 cells per range).
 */
static uint64_t mem32_cpu(const void *fdt, int phb, uint32_t pci)
{
    int len;
    const fdt32_t *r = fdt_getprop(fdt, phb, "ranges", &len);

    g_assert_nonnull(r);
    for (int i = 0; i + 7 <= len / 4; i += 7) {
        uint32_t space = fdt32_to_cpu(r[i]) >> 24 & 3;
        uint64_t bus = (uint64_t)fdt32_to_cpu(r[i + 1]) << 32 |
                       fdt32_to_cpu(r[i + 2]);
        uint64_t cpu = (uint64_t)fdt32_to_cpu(r[i + 3]) << 32 |
                       fdt32_to_cpu(r[i + 4]);
        uint64_t size = (uint64_t)fdt32_to_cpu(r[i + 5]) << 32 |
                        fdt32_to_cpu(r[i + 6]);

        if (space == 2 && pci >= bus && pci - bus < size) {
            return cpu + (pci - bus);
        }
    }
    g_error("no 32-bit memory range holds 0x%x", pci);
}

/* PCI is little-endian, qtest writes in the guest's (big-endian) order */
static void mmio_writeq(QTestState *qts, uint64_t addr, uint64_t val)
{
    qtest_writeq(qts, addr, bswap64(val));
}

/*
 * The guest uses function @devfn of vPHB @index, whose node in @fdt is
 * @phb: BAR0 in the window,
 * memory and bus mastering on, a TCE of its default window on a page of
 * RAM, and the edu's DMA through it lands in that page.
 */
void vphb_guest_dma(QTestState *qts, const void *fdt, int phb, unsigned index,
                    int devfn, uint64_t pattern)
{
    const uint32_t bar = 0x80000000;
    const uint64_t ioba = 0x5000;
    uint64_t bar0 = mem32_cpu(fdt, phb, bar);
    g_auto(GStrv) r = NULL;
    uint64_t v;

    g_assert_cmphex(cfg_read(qts, index, devfn, PCI_VENDOR_ID, 2), ==,
                    0x1234);
    cfg_write(qts, index, devfn, PCI_BASE_ADDRESS_0, 4, bar);
    cfg_write(qts, index, devfn, PCI_COMMAND, 2,
              PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    qtest_memset(qts, DMA_PAGE, 0, 0x1000);
    r = qtest_raw_cmd(qts, "hcall 0x%x 0x%x 0x%" PRIx64 " 0x%" PRIx64,
                      H_PUT_TCE, PHB_LIOBN(index), ioba,
                      DMA_PAGE | TCE_RW);
    g_assert_cmpstr(r[0], ==, "OK");
    g_assert_cmpstr(r[1], ==, "0");

    mmio_writeq(qts, bar0 + EDU_BUF, pattern);
    mmio_writeq(qts, bar0 + EDU_DMA_SRC, EDU_BUF);
    mmio_writeq(qts, bar0 + EDU_DMA_DST, ioba + 0x18);
    mmio_writeq(qts, bar0 + EDU_DMA_COUNT, 8);
    mmio_writeq(qts, bar0 + EDU_DMA_CMD, EDU_DMA_TO_RAM);
    qtest_memread(qts, DMA_PAGE + 0x18, &v, sizeof(v));
    g_assert_cmphex(le64_to_cpu(v), ==, pattern);
}

/* The machine's tree as dumpdtb writes it (built at the last reset) */
void *vphb_dumpdtb(VphbFake *f)
{
    g_autofree char *path = g_build_filename(f->dir, "machine.dtb", NULL);
    char *fdt;

    qtest_qmp_assert_success(f->qts, "{'execute': 'dumpdtb', 'arguments': "
                             "{'filename': %s}}", path);
    g_assert_true(g_file_get_contents(path, &fdt, NULL, NULL));
    g_unlink(path);
    g_assert_cmpint(fdt_check_header(fdt), ==, 0);
    return fdt;
}
