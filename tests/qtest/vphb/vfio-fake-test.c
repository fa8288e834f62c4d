/*
 * Stock vfio-pci on pseries, against the fake VFIO kernel
 * (tests/vfio-fake): QEMU's own VFIO code, unmodified, with no device
 * and no privilege.
 *
 * QEMU runs with libvfio-fake.so preloaded ($VFIO_FAKE_LIB, set by
 * meson; only QEMU gets it, not this program) and the edu function of
 * group 1 assigned to the default PHB.  The guest side sees the
 * function's config space and BARs; a TCE the guest maps with H_PUT_TCE
 * becomes a mapping in the fake kernel; an edu DMA through it lands in
 * guest RAM; a DMA through an unmapped IOVA faults and writes nothing.
 * Once with the sPAPR TCE v2 host IOMMU, once with Type1 (the 32-bit
 * window only: stock QEMU's DDW at 2^59 cannot map on Type1).
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/socket.h>
#include <sys/un.h>
#include <glib/gstdio.h>
#include "libqtest.h"
#include "qapi/error.h"
#include "qemu/bswap.h"
#include "hw/pci/pci_regs.h"
#include "libqos/pci-spapr.h"
#include "vphb-fake.h"
#include "libqos/malloc-spapr.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "qobject/qjson.h"

#define H_SUCCESS       0
#define H_PUT_TCE       0x20
#define PHB0_LIOBN      ((uint64_t)0x80000000)
#define TCE_RW          ((uint64_t)0x3)

#define EDU_DEVFN       QPCI_DEVFN(1, 0)
#define EDU_REG_ID      0x00
#define EDU_REG_LIVE    0x04
#define EDU_DMA_SRC     0x80
#define EDU_DMA_DST     0x88
#define EDU_DMA_COUNT   0x90
#define EDU_DMA_CMD     0x98
#define EDU_BUF         0x40000
#define EDU_DMA_TO_RAM  0x3             /* start | edu -> RAM */

typedef struct FakeQemu {
    QTestState *qts;
    char *dir;
    char *sock;
    QGuestAllocator alloc;
    QPCIBusSPAPR bus;
    QPCIDevice *dev;
    QPCIBar bar0;
} FakeQemu;

static void fake_qemu_start(FakeQemu *f, const char *iommu)
{
    const char *lib = g_getenv("VFIO_FAKE_LIB");
    g_autofree char *preload = NULL;

    g_assert_nonnull(lib);
    f->dir = g_dir_make_tmp("vfio-fake-qtest-XXXXXX", NULL);
    f->sock = g_build_filename(f->dir, "state.sock", NULL);
    /* the environment libqtest passes on to QEMU, and to QEMU only */
    g_setenv("VFIO_FAKE_IOMMU", iommu, TRUE);
    g_setenv("VFIO_FAKE_STATE_SOCKET", f->sock, TRUE);
    preload = vphb_fake_preload(lib);
    g_setenv("LD_PRELOAD", preload, TRUE);
    f->qts = qtest_initf("-machine pseries -nodefaults "
                         "-device vfio-pci,host=0000:01:00.0,bus=pci.0,"
                         "addr=1.0");
    g_unsetenv("LD_PRELOAD");

    spapr_alloc_init(&f->alloc, f->qts, ALLOC_NO_FLAGS);
    qpci_init_spapr(&f->bus, f->qts, &f->alloc);
    f->dev = qpci_device_find(&f->bus.bus, EDU_DEVFN);
    g_assert_nonnull(f->dev);
    qpci_device_enable(f->dev);
    f->bar0 = qpci_iomap(f->dev, 0, NULL);
}

static void fake_qemu_stop(FakeQemu *f)
{
    g_free(f->dev);
    qtest_quit(f->qts);
    alloc_destroy(&f->alloc);
    /* QEMU removed its socket at exit */
    g_assert_false(g_file_test(f->sock, G_FILE_TEST_EXISTS));
    g_rmdir(f->dir);
    g_free(f->sock);
    g_free(f->dir);
}

/* The fake kernel's state, through its socket. */
static QDict *fake_state(FakeQemu *f)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    g_autoptr(GString) reply = g_string_new(NULL);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    char buf[4096];
    ssize_t n;
    QObject *obj;

    g_assert_cmpint(fd, >=, 0);
    g_strlcpy(addr.sun_path, f->sock, sizeof(addr.sun_path));
    g_assert_cmpint(connect(fd, (struct sockaddr *)&addr, sizeof(addr)),
                    ==, 0);
    g_assert_cmpint(write(fd, "state\n", 6), ==, 6);
    while (!strchr(reply->str, '\n') &&
           (n = read(fd, buf, sizeof(buf))) > 0) {
        g_string_append_len(reply, buf, n);
    }
    close(fd);
    obj = qobject_from_json(reply->str, &error_abort);
    return qobject_to(QDict, obj);
}

/* @key of the first entry of @list with "id" (or "name") @id. */
static QDict *find_entry(QDict *d, const char *list, const char *idkey,
                         const char *id)
{
    const QListEntry *e;

    QLIST_FOREACH_ENTRY(qdict_get_qlist(d, list), e) {
        QDict *entry = qobject_to(QDict, qlist_entry_obj(e));
        g_autofree char *v = NULL;

        if (qdict_haskey(entry, idkey) &&
            qobject_type(qdict_get(entry, idkey)) == QTYPE_QSTRING) {
            v = g_strdup(qdict_get_str(entry, idkey));
        } else {
            v = g_strdup_printf("%" PRId64, qdict_get_int(entry, idkey));
        }
        if (!strcmp(v, id)) {
            return entry;
        }
    }
    return NULL;
}

static QDict *edu_state(QDict *state)
{
    QDict *group = find_entry(state, "groups", "id", "1");

    g_assert_nonnull(group);
    return find_entry(group, "devices", "name", "0000:01:00.0");
}

/* Does the container hold a mapping of @iova, @size bytes from vaddr? */
static bool has_mapping(QDict *state, uint64_t iova)
{
    QDict *c = find_entry(state, "containers", "id", "0");
    const QListEntry *e;

    g_assert_nonnull(c);
    QLIST_FOREACH_ENTRY(qdict_get_qlist(c, "mappings"), e) {
        QDict *m = qobject_to(QDict, qlist_entry_obj(e));
        uint64_t start = qdict_get_int(m, "iova");

        if (iova >= start && iova - start < qdict_get_int(m, "size")) {
            return true;
        }
    }
    return false;
}

static void put_tce(FakeQemu *f, uint64_t ioba, uint64_t tce)
{
    g_auto(GStrv) r = qtest_raw_cmd(f->qts, "hcall 0x%x 0x%" PRIx64
                                    " 0x%" PRIx64 " 0x%" PRIx64,
                                    H_PUT_TCE, PHB0_LIOBN, ioba, tce);

    g_assert_cmpstr(r[0], ==, "OK");
    g_assert_cmpstr(r[1], ==, "0");
}

static void edu_dma_to_ram(FakeQemu *f, uint64_t iova, uint64_t len)
{
    qpci_io_writeq(f->dev, f->bar0, EDU_DMA_SRC, EDU_BUF);
    qpci_io_writeq(f->dev, f->bar0, EDU_DMA_DST, iova);
    qpci_io_writeq(f->dev, f->bar0, EDU_DMA_COUNT, len);
    qpci_io_writeq(f->dev, f->bar0, EDU_DMA_CMD, EDU_DMA_TO_RAM);
}

/* 8 bytes of guest RAM as the little-endian device wrote them */
static uint64_t read_le64(FakeQemu *f, uint64_t gpa)
{
    uint64_t v;

    qtest_memread(f->qts, gpa, &v, sizeof(v));
    return le64_to_cpu(v);
}

static void test_vfio_fake(const void *opaque)
{
    const char *iommu = opaque;
    const uint64_t pattern = 0x0123456789abcdefULL;
    FakeQemu f = { 0 };
    uint64_t gpa, ioba = 0x3000, unmapped = 0x7000;
    QDict *state;
    int64_t faults;

    fake_qemu_start(&f, iommu);
    state = fake_state(&f);
    g_assert_cmpstr(qdict_get_str(state, "iommu"), ==, iommu);
    /* QEMU's preferred type of the host's */
    g_assert_cmpstr(qdict_get_str(find_entry(state, "containers", "id", "0"),
                                  "type"), ==,
                    !strcmp(iommu, "type1") ? "type1v2" : "spapr-tce-v2");
    qobject_unref(state);

    /* the guest sees the edu's config space and registers */
    g_assert_cmphex(qpci_config_readw(f.dev, PCI_VENDOR_ID), ==, 0x1234);
    g_assert_cmphex(qpci_config_readw(f.dev, PCI_DEVICE_ID), ==, 0x11e8);
    g_assert_cmphex(qpci_io_readl(f.dev, f.bar0, EDU_REG_ID), ==,
                    0x010000ed);
    qpci_io_writel(f.dev, f.bar0, EDU_REG_LIVE, 0x5a5a0000);
    g_assert_cmphex(qpci_io_readl(f.dev, f.bar0, EDU_REG_LIVE), ==,
                    ~0x5a5a0000u);

    /* a guest TCE becomes a host mapping; the edu's DMA lands in RAM */
    gpa = guest_alloc(&f.alloc, 0x1000);
    qtest_memset(f.qts, gpa, 0, 0x1000);
    put_tce(&f, ioba, gpa | TCE_RW);
    state = fake_state(&f);
    g_assert_true(has_mapping(state, ioba));
    qobject_unref(state);
    qpci_io_writeq(f.dev, f.bar0, EDU_BUF, pattern);
    edu_dma_to_ram(&f, ioba + 0x10, 8);
    g_assert_cmphex(read_le64(&f, gpa + 0x10), ==, pattern);
    state = fake_state(&f);
    g_assert_cmpint(qdict_get_int(edu_state(state), "dma-ok"), ==, 1);
    faults = qdict_get_int(edu_state(state), "dma-faults");
    qobject_unref(state);

    /* an IOVA the guest never mapped, or unmapped again, faults */
    edu_dma_to_ram(&f, unmapped, 8);
    put_tce(&f, ioba, 0);
    state = fake_state(&f);
    g_assert_false(has_mapping(state, ioba));
    qobject_unref(state);
    qtest_writeq(f.qts, gpa + 0x10, 0);
    edu_dma_to_ram(&f, ioba + 0x10, 8);
    g_assert_cmphex(read_le64(&f, gpa + 0x10), ==, 0);
    state = fake_state(&f);
    g_assert_cmpint(qdict_get_int(edu_state(state), "dma-faults"), ==,
                    faults + 2);
    g_assert_cmpint(qdict_get_int(edu_state(state), "dma-ok"), ==, 1);
    qobject_unref(state);

    fake_qemu_stop(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_data_func("/vfio-fake/stock-vfio-pci/spapr-tce-v2",
                        "spapr-tce-v2", test_vfio_fake);
    qtest_add_data_func("/vfio-fake/stock-vfio-pci/type1", "type1",
                        test_vfio_fake);
    return g_test_run();
}
