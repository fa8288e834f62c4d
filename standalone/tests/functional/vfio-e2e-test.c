/*
 * spapr-pci-vfio-host-bridge on a real Linux VFIO host: the guest side of
 * the end-to-end test that tests/functional/vfio-e2e.sh runs inside an
 * x86_64 VM (Debian's QEMU, q35 + intel-iommu + edu, edu bound to
 * vfio-pci).  Not a qtest of the simulator: every map/unmap here reaches
 * the kernel's Type1 IOMMU driver and every DMA is done by QEMU's real edu
 * device behind the VM's (emulated) VT-d IOMMU.
 *
 * Environment (set by the VM's init):
 *   QTEST_QEMU_BINARY   our qemu-system-ppc64
 *   VFIO_E2E_GROUP      edu's IOMMU group number (bound to vfio-pci)
 *   VFIO_E2E_DEVICE     edu's PCI address, e.g. 0000:01:00.0
 * Without VFIO_E2E_GROUP the whole program is skipped.
 *
 * The edu device does its DMA 100 ms (of its QEMU's virtual time) after
 * the command: the qtest clock of our machine does not drive it, so the
 * test polls edu's DMA command register until its RUN bit clears.
 *
 * The steps share one machine and run in order; a failed step aborts the
 * rest (GTest), which the runner sees as a failure.
 */
#include "../qtest/libqos/spapr.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/vfio.h>

#define H_SUCCESS 0
#define H_PUT_TCE 0x20
#define TCE_R 1ull                     /* the device may read guest RAM */
#define TCE_W 2ull                     /* the device may write guest RAM */
#define TCE_RW 3ull

#define PHB 1
#define LIOBN(n) SPAPR_LIOBN(PHB, n)
#define EDU_DEVFN 0
#define EDU_MMIO (SPAPR_PCI_MEM32_CPU(PHB))

/* edu (QEMU's hw/misc/edu.c) */
#define EDU_ID 0x00
#define EDU_LIVENESS 0x04
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_CNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_DMA_RUN 1
#define EDU_DMA_TO_RAM 2               /* edu buffer -> bus address */
#define EDU_BUF 0x40000                /* edu's 4 KiB DMA buffer, in its own space */

#define DMA_TIMEOUT_US (30 * G_USEC_PER_SEC)

/* Guest RAM used by the test (8 MiB up: far from the RTAS scratch) */
#define RAM_A 0x800000ull
#define RAM_B 0x801000ull
#define RAM_C 0x803000ull
#define RAM_D 0x804000ull
#define RAM_64K 0x810000ull            /* 64 KiB aligned, for the DDW */

static QTestState *qts;
static int group = -1;
static const char *device;
static uint64_t ddw_start, ddw_size;
static GArray *product_ranges;         /* Range: iova-ranges of query-spapr-phbs */

typedef struct Range {
    uint64_t start, end;               /* inclusive */
} Range;

/* edu through its BAR (little-endian device, big-endian qtest values) ------------ */

static uint32_t edu_readl(uint32_t reg)
{
    return __builtin_bswap32(qtest_readl(qts, EDU_MMIO + reg));
}

static void edu_writel(uint32_t reg, uint32_t v)
{
    qtest_writel(qts, EDU_MMIO + reg, __builtin_bswap32(v));
}

static void edu_writeq(uint32_t reg, uint64_t v)
{
    qtest_writeq(qts, EDU_MMIO + reg, __builtin_bswap64(v));
}

/* Start a DMA and wait, in wall-clock time, for edu to finish it. */
static void edu_dma(uint64_t src, uint64_t dst, uint32_t len, bool to_ram)
{
    gint64 deadline = g_get_monotonic_time() + DMA_TIMEOUT_US;
    uint32_t cmd;

    g_assert_cmpuint(len, <=, 4096);
    edu_writeq(EDU_DMA_SRC, src);
    edu_writeq(EDU_DMA_DST, dst);
    edu_writeq(EDU_DMA_CNT, len);
    edu_writeq(EDU_DMA_CMD, EDU_DMA_RUN | (to_ram ? EDU_DMA_TO_RAM : 0));
    while ((cmd = edu_readl(EDU_DMA_CMD)) & EDU_DMA_RUN) {
        if (g_get_monotonic_time() > deadline) {
            g_error("edu DMA 0x%" PRIx64 " -> 0x%" PRIx64 " (%u bytes) still running after %d s "
                    "(cmd 0x%x)", src, dst, len, (int)(DMA_TIMEOUT_US / G_USEC_PER_SEC), cmd);
        }
        g_usleep(2000);
    }
}

/* the device reads guest RAM at bus address @bus into its buffer at @buf_off */
static void dma_from_ram(uint64_t bus, uint32_t buf_off, uint32_t len)
{
    edu_dma(bus, EDU_BUF + buf_off, len, false);
}

/* the device writes its buffer at @buf_off to bus address @bus */
static void dma_to_ram(uint32_t buf_off, uint64_t bus, uint32_t len)
{
    edu_dma(EDU_BUF + buf_off, bus, len, true);
}

/* TCEs, DDW, host state ------------------------------------------------------------- */

static int64_t put_tce(unsigned win, uint64_t ioba, uint64_t tce)
{
    uint64_t a[] = { LIOBN(win), ioba, tce };

    return qtest_hcall(qts, H_PUT_TCE, 3, a, NULL, 0, NULL);
}

/* This PHB's entry of query-spapr-phbs (a new reference). */
static JsonObject *query_phb(void)
{
    JsonObject *found = qos_phb_info(qts, PHB);

    g_assert_nonnull(found);
    return found;
}

static int64_t host_mappings(void)
{
    JsonObject *p = query_phb();
    int64_t n = json_object_get_int_member(json_object_get_object_member(p, "vfio"),
                                           "host-mappings");

    json_object_unref(p);
    return n;
}

static void fill(uint64_t gpa, uint8_t *buf, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++) {
        buf[i] = (uint8_t)(seed * 37 + i * 11 + (i >> 8));
    }
    qtest_memwrite(qts, gpa, buf, len);
}

static void assert_ram(uint64_t gpa, const uint8_t *expect, size_t len, const char *what)
{
    g_autofree uint8_t *got = g_malloc(len);

    qtest_memread(qts, gpa, got, len);
    for (size_t i = 0; i < len; i++) {
        if (got[i] != expect[i]) {
            g_error("%s: guest RAM 0x%" PRIx64 " holds 0x%02x, expected 0x%02x", what,
                    gpa + i, got[i], expect[i]);
        }
    }
}

static void assert_ram_byte(uint64_t gpa, uint8_t val, size_t len, const char *what)
{
    g_autofree uint8_t *expect = g_malloc(len);

    memset(expect, val, len);
    assert_ram(gpa, expect, len, what);
}

/*
 * The VM kernel's log from now on: a DMA the IOMMU refuses shows there as a
 * DMAR fault naming the device and the bus address.
 */
static int kmsg_open(void)
{
    int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

    if (fd >= 0) {
        lseek(fd, 0, SEEK_END);
    }
    return fd;
}

/* Wait up to @secs for a DMAR fault at @addr; returns whether one was seen. */
static bool kmsg_wait_fault(int fd, uint64_t addr, int secs)
{
    g_autofree char *needle = g_strdup_printf("fault addr 0x%" PRIx64 " ", addr);
    gint64 deadline = g_get_monotonic_time() + secs * G_USEC_PER_SEC;
    char rec[1024];

    if (fd < 0) {
        return false;
    }
    while (g_get_monotonic_time() < deadline) {
        ssize_t n = read(fd, rec, sizeof(rec) - 1);
        if (n > 0) {
            rec[n] = 0;
            if (strstr(rec, "DMAR") && strstr(rec, needle)) {
                g_test_message("kernel: %s", strchr(rec, ';') ? strchr(rec, ';') + 1 : rec);
                return true;
            }
            continue;
        }
        if (n < 0 && errno == EPIPE) {
            continue;       /* overwritten records: read on */
        }
        g_usleep(20000);
    }
    return false;
}

/*
 * Unmapped or read-only: the device's write must fault and write nothing,
 * neither there nor in any page the test ever mapped (where a stale or
 * wrong host mapping would put it).  The VM kernel must log the DMAR fault
 * when @need_log; QEMU's VT-d drops a fault while the record of an earlier
 * one from the same device is still pending ("compression of faults"), so
 * only the first fault of the run is sure to be logged.
 */
#define WORKING_SET 0x800000ull
#define WORKING_SET_SIZE 0x20000ull

static void assert_write_faults(uint64_t bus, uint64_t gpa, const char *what, bool need_log)
{
    int kfd = kmsg_open();
    g_autofree uint8_t *before = g_malloc(WORKING_SET_SIZE);

    qtest_memset(qts, gpa, 0x55, 256);
    qtest_memread(qts, WORKING_SET, before, WORKING_SET_SIZE);
    dma_to_ram(0, bus, 256);
    assert_ram(WORKING_SET, before, WORKING_SET_SIZE, what);
    if (kfd >= 0) {
        if (!kmsg_wait_fault(kfd, bus & ~0xfffull, need_log ? 5 : 1)) {
            if (need_log) {
                g_error("%s: no DMAR fault at 0x%" PRIx64 " in the kernel log", what, bus);
            }
            g_test_message("%s: no DMAR fault logged (VT-d compressed it); RAM untouched",
                           what);
        }
        close(kfd);
    }
}

/* The steps ------------------------------------------------------------------------ */

static void test_realize(void)
{
    JsonObject *p, *v;
    JsonArray *devs;
    uint32_t id;

    qts = qtest_initf("-machine pseries -m 256M "
                      "-device spapr-pci-vfio-host-bridge,id=vfio1,index=%d,iommu=%d",
                      PHB, group);
    p = query_phb();
    v = json_object_get_object_member(p, "vfio");
    g_assert_nonnull(v);
    g_assert_cmpstr(json_object_get_string_member(v, "host"), ==, "kernel");
    g_assert_cmpstr(json_object_get_string_member(v, "backend"), ==, "type1");
    g_assert_cmpint(json_object_get_int_member(v, "group"), ==, group);
    g_assert_cmpint(json_object_get_int_member(v, "host-mappings"), ==, 0);
    /* the usable IOVA ranges the product read from the kernel (checked at teardown) */
    product_ranges = g_array_new(FALSE, FALSE, sizeof(Range));
    if (json_object_has_member(v, "iova-ranges")) {
        JsonArray *ranges = json_object_get_array_member(v, "iova-ranges");
        for (guint i = 0; i < json_array_get_length(ranges); i++) {
            JsonObject *r = json_array_get_object_element(ranges, i);
            Range x = { json_object_get_int_member(r, "start"),
                        json_object_get_int_member(r, "end") };
            g_array_append_val(product_ranges, x);
            g_test_message("host IOVA range 0x%" PRIx64 "-0x%" PRIx64, x.start, x.end);
        }
    }
    devs = json_object_get_array_member(v, "devices");
    g_assert_cmpuint(json_array_get_length(devs), ==, 1);
    if (device) {
        g_assert_cmpstr(json_array_get_string_element(devs, 0), ==, device);
    }
    json_object_unref(p);

    /* config space through RTAS reaches the real function: edu's IDs */
    g_assert_cmpint(qrtas_cfg_read(qts, PHB, EDU_DEVFN, 0, 4, &id), ==, 0);
    g_assert_cmphex(id, ==, 0x11e81234);
    /* BAR 0 in the PHB's 32-bit window, memory decoding and bus mastering */
    g_assert_cmpint(qrtas_cfg_write(qts, PHB, EDU_DEVFN, 0x10, 4, SPAPR_PCI_BUS_MEM32), ==, 0);
    g_assert_cmpint(qrtas_cfg_write(qts, PHB, EDU_DEVFN, 0x04, 2, 0x6), ==, 0);
    g_assert_cmpint(qrtas_cfg_read(qts, PHB, EDU_DEVFN, 0x10, 4, &id), ==, 0);
    g_assert_cmphex(id & ~0xfu, ==, SPAPR_PCI_BUS_MEM32);
    g_assert_cmpint(qrtas_cfg_read(qts, PHB, EDU_DEVFN, 0x04, 2, &id), ==, 0);
    g_assert_cmphex(id & 0x6, ==, 0x6);

    /* the real device answers through its BAR */
    g_assert_cmphex(edu_readl(EDU_ID), ==, 0x010000ed);
    edu_writel(EDU_LIVENESS, 0x12345678);
    g_assert_cmphex(edu_readl(EDU_LIVENESS), ==, ~0x12345678u);
}

static void test_dma32(void)
{
    uint8_t a[256], c[128], expect[256];
    int64_t before = host_mappings();

    /* three pages of the 32-bit window, none contiguous in RAM with the next */
    g_assert_cmpint(put_tce(0, 0x5000, RAM_A | TCE_RW), ==, H_SUCCESS);
    g_assert_cmpint(put_tce(0, 0x6000, RAM_C | TCE_RW), ==, H_SUCCESS);
    g_assert_cmpint(put_tce(0, 0x7000, RAM_B | TCE_RW), ==, H_SUCCESS);
    g_assert_cmpint(host_mappings(), ==, before + 3);

    /* RAM -> device -> RAM */
    fill(RAM_A, a, sizeof(a), 1);
    qtest_memset(qts, RAM_B, 0xaa, 4096);
    dma_from_ram(0x5000, 0, sizeof(a));
    dma_to_ram(0, 0x7100, sizeof(a));
    assert_ram(RAM_B + 0x100, a, sizeof(a), "32-bit window, device write");
    assert_ram_byte(RAM_B, 0xaa, 0x100, "32-bit window, below the DMA");
    assert_ram_byte(RAM_B + 0x200, 0xaa, 0xe00, "32-bit window, above the DMA");

    /* one DMA across two TCEs: each page through its own mapping */
    fill(RAM_A + 0xf80, expect, 128, 2);
    fill(RAM_C, c, sizeof(c), 3);
    memcpy(expect + 128, c, 128);
    dma_from_ram(0x5f80, 0x100, 256);
    dma_to_ram(0x100, 0x7800, 256);
    assert_ram(RAM_B + 0x800, expect, 256, "32-bit window, DMA across two TCEs");
}

static void test_dma32_unmapped(void)
{
    uint8_t c[256];
    int64_t before = host_mappings();

    /* unmapped: the host IOMMU refuses the device, RAM untouched */
    g_assert_cmpint(put_tce(0, 0x7000, 0), ==, H_SUCCESS);
    g_assert_cmpint(host_mappings(), ==, before - 1);
    assert_write_faults(0x7100, RAM_B + 0x100, "unmapped TCE", true);

    /* the neighbouring TCEs still work */
    fill(RAM_A, c, sizeof(c), 4);
    qtest_memset(qts, RAM_C, 0, 4096);
    dma_from_ram(0x5000, 0, sizeof(c));
    dma_to_ram(0, 0x6200, sizeof(c));
    assert_ram(RAM_C + 0x200, c, sizeof(c), "TCE next to an unmapped one");
}

static void test_dma32_readonly(void)
{
    uint8_t d[256];

    /*
     * A TCE the device may only read: its writes fault, its reads work.
     * The write goes first: QEMU's VT-d checks permissions only when it
     * walks the page table, not on an IOTLB hit, so a write after a read
     * is refused without a fault record.
     */
    fill(RAM_D, d, sizeof(d), 5);
    g_assert_cmpint(put_tce(0, 0x8000, RAM_D | TCE_R), ==, H_SUCCESS);
    assert_write_faults(0x8000, RAM_D, "read-only TCE, device write", false);
    fill(RAM_D, d, sizeof(d), 5);
    dma_from_ram(0x8000, 0x200, sizeof(d));
    qtest_memset(qts, RAM_C, 0, 4096);
    dma_to_ram(0x200, 0x6000, sizeof(d));
    assert_ram(RAM_C, d, sizeof(d), "read-only TCE, device read");
}

static void test_ddw(void)
{
    uint64_t buid = SPAPR_BUID(PHB);
    uint32_t args[5] = { EDU_DEVFN << 8, buid >> 32, (uint32_t)buid }, rets[6];
    uint8_t x[256], y[256];
    JsonObject *p;
    JsonArray *wins;
    int64_t before = host_mappings();
    bool found = false;

    /* 64 KiB pages offered; one window free */
    g_assert_cmpuint(qrtas_call(qts, "ibm,query-pe-dma-window", 3, args, 6, rets), ==, 0);
    g_assert_cmpint((int32_t)rets[0], ==, 0);
    g_assert_cmpuint(rets[1], ==, 1);
    g_assert_true(rets[4] & 0x2);

    /*
     * 512 GiB above the 32-bit window cannot fit under VT-d's 39-bit
     * address width: refused (hardware error), and no window is left
     */
    args[3] = (rets[4] & 0x4) ? 24 : 16;
    args[4] = 39;
    g_assert_cmpuint(qrtas_call(qts, "ibm,create-pe-dma-window", 5, args, 4, rets), ==, 0);
    g_assert_cmpint((int32_t)rets[0], ==, -1);
    p = query_phb();
    g_assert_cmpuint(json_array_get_length(json_object_get_array_member(p, "windows")), ==, 1);
    json_object_unref(p);

    /* a 1 GiB window of 64 KiB TCEs, placed by the host's usable IOVA ranges */
    args[0] = EDU_DEVFN << 8;
    args[3] = 16;
    args[4] = 30;
    g_assert_cmpuint(qrtas_call(qts, "ibm,create-pe-dma-window", 5, args, 4, rets), ==, 0);
    g_assert_cmpint((int32_t)rets[0], ==, 0);
    g_assert_cmphex(rets[1], ==, LIOBN(1));
    ddw_start = (uint64_t)rets[2] << 32 | rets[3];
    ddw_size = 1ull << 30;
    g_test_message("DDW at 0x%" PRIx64 "+0x%" PRIx64, ddw_start, ddw_size);
    /* above the 32-bit window, and inside VT-d's 39-bit address width */
    g_assert_cmphex(ddw_start, >=, 1ull << 32);
    g_assert_cmphex(ddw_start + ddw_size, <=, 1ull << 39);
    p = query_phb();
    wins = json_object_get_array_member(p, "windows");
    for (guint i = 0; i < json_array_get_length(wins); i++) {
        JsonObject *w = json_array_get_object_element(wins, i);
        if (!g_strcmp0(json_object_get_string_member(w, "type"), "ddw64")) {
            g_assert_cmphex(json_object_get_int_member(w, "bus-start"), ==, ddw_start);
            g_assert_cmpint(json_object_get_int_member(w, "page-shift"), ==, 16);
            found = true;
        }
    }
    g_assert_true(found);
    json_object_unref(p);

    /* one 64 KiB TCE; DMA both ways through it, at bus addresses above 4 GiB */
    g_assert_cmpint(put_tce(1, ddw_start + 0x10000, RAM_64K | TCE_RW), ==, H_SUCCESS);
    g_assert_cmpint(host_mappings(), ==, before + 1);
    fill(RAM_64K + 0x9000, x, sizeof(x), 6);
    qtest_memset(qts, RAM_64K + 0xe000, 0xaa, 0x2000);
    dma_from_ram(ddw_start + 0x19000, 0x300, sizeof(x));
    dma_to_ram(0x300, ddw_start + 0x1ef80, sizeof(x));   /* across a 4 KiB boundary */
    assert_ram(RAM_64K + 0xef80, x, sizeof(x), "DDW, device write");
    assert_ram_byte(RAM_64K + 0xe000, 0xaa, 0xf80, "DDW, below the DMA");

    /* the 32-bit window still works beside it */
    fill(RAM_A, y, sizeof(y), 7);
    dma_from_ram(0x5000, 0x400, sizeof(y));
    dma_to_ram(0x400, ddw_start + 0x10000, sizeof(y));
    assert_ram(RAM_64K, y, sizeof(y), "DDW after a 32-bit read");

    /* unmapped in the DDW: faults */
    g_assert_cmpint(put_tce(1, ddw_start + 0x10000, 0), ==, H_SUCCESS);
    g_assert_cmpint(host_mappings(), ==, before);
    assert_write_faults(ddw_start + 0x10100, RAM_64K + 0x100, "unmapped DDW TCE", false);

    /* removing a DDW with live TCEs takes its host mappings with it */
    g_assert_cmpint(put_tce(1, ddw_start + 0x30000, RAM_64K | TCE_RW), ==, H_SUCCESS);
    g_assert_cmpint(host_mappings(), ==, before + 1);
    args[0] = LIOBN(1);
    g_assert_cmpuint(qrtas_call(qts, "ibm,remove-pe-dma-window", 1, args, 1, rets), ==, 0);
    g_assert_cmpint((int32_t)rets[0], ==, 0);
    g_assert_cmpint(host_mappings(), ==, before);
    assert_write_faults(ddw_start + 0x30000, RAM_64K, "removed DDW", false);
}

/* Interrupts ---------------------------------------------------------------------- */

/* Touch the device (read edu's status) until @irq has been raised @want times. */
static void wait_raises(int irq, unsigned want, const char *what)
{
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

    while (qtest_irq_raise_count(qts, irq) < want) {
        if (g_get_monotonic_time() > deadline) {
            g_error("%s: interrupt 0x%x raised %u times, expected %u", what, irq,
                    qtest_irq_raise_count(qts, irq), want);
        }
        (void)edu_readl(0x24);
        g_usleep(5000);
    }
}

static void test_intx(void)
{
    int lsi = 0x1200 + 4 * PHB + 0;        /* slot 0, INTA */
    unsigned n;

    /* edu's INTx: host eventfd -> the PHB's LSI; the guest's access acknowledges it */
    qtest_irq_intercept_in(qts, "/machine/intc");
    g_assert_cmpuint(qtest_irq_raise_count(qts, lsi), ==, 0);
    edu_writel(0x60, 0x1);                 /* raise */
    wait_raises(lsi, 1, "INTx");
    g_assert_cmphex(edu_readl(0x24), ==, 0x1);
    edu_writel(0x64, 0x1);                 /* edu lowers its line */
    /* an interrupt signalled before the acknowledgement may still come in once */
    g_usleep(200 * 1000);
    (void)edu_readl(0x24);
    n = qtest_irq_raise_count(qts, lsi);
    g_usleep(500 * 1000);
    for (int i = 0; i < 3; i++) {
        g_assert_cmphex(edu_readl(0x24), ==, 0);
    }
    g_assert_cmpuint(qtest_irq_raise_count(qts, lsi), ==, n);
    g_assert_false(qtest_get_irq(qts, lsi));

    /* and again: the host unmasked the line after the first one */
    edu_writel(0x60, 0x4);
    wait_raises(lsi, n + 1, "INTx, second time");
    edu_writel(0x64, 0x4);
}

static void test_msi(void)
{
    uint64_t buid = SPAPR_BUID(PHB);
    uint32_t args[6] = { EDU_DEVFN << 8, buid >> 32, (uint32_t)buid, 3 /* MSI */, 1, 7 };
    uint32_t rets[4];
    int msi;

    g_assert_cmpuint(qrtas_call(qts, "ibm,change-msi", 6, args, 4, rets), ==, 0);
    g_assert_cmpint((int32_t)rets[0], ==, 0);
    g_assert_cmpuint(rets[1], ==, 1);
    args[3] = 0;
    g_assert_cmpuint(qrtas_call(qts, "ibm,query-interrupt-source-number", 4, args, 3, rets),
                     ==, 0);
    g_assert_cmpint((int32_t)rets[0], ==, 0);
    msi = rets[1];
    g_assert_cmpint(msi, >=, 0x1300);
    /* the host's MSI eventfd -> the guest's MSI, each time edu raises */
    edu_writel(0x60, 0x8);
    wait_raises(msi, 1, "MSI");
    edu_writel(0x64, 0x8);
    edu_writel(0x60, 0x10);
    wait_raises(msi, 2, "MSI, second time");
    edu_writel(0x64, 0x10);

    /* back to INTx (the host takes one type at a time) */
    args[3] = 3;
    args[4] = 0;
    g_assert_cmpuint(qrtas_call(qts, "ibm,change-msi", 6, args, 4, rets), ==, 0);
    g_assert_cmpint((int32_t)rets[0], ==, 0);
    g_assert_cmpuint(rets[1], ==, 0);
}

/* A system reset: VFIO_DEVICE_RESET, every mapping gone, the device usable again. */
static void test_reset(void)
{
    uint8_t a[256];
    JsonObject *p;

    g_assert_cmpint(host_mappings(), >, 0);
    json_object_unref(qtest_qmp(qts, "{\"execute\": \"system_reset\"}"));
    g_assert_cmpint(host_mappings(), ==, 0);
    p = query_phb();
    g_assert_cmpuint(json_array_get_length(json_object_get_array_member(p, "windows")), ==, 1);
    json_object_unref(p);

    /* the guest sets the device up again: MMIO, DMA and INTx work */
    g_assert_cmpint(qrtas_cfg_write(qts, PHB, EDU_DEVFN, 0x10, 4, SPAPR_PCI_BUS_MEM32), ==, 0);
    g_assert_cmpint(qrtas_cfg_write(qts, PHB, EDU_DEVFN, 0x04, 2, 0x6), ==, 0);
    g_assert_cmphex(edu_readl(EDU_ID), ==, 0x010000ed);
    g_assert_cmpint(put_tce(0, 0x5000, RAM_A | TCE_RW), ==, H_SUCCESS);
    g_assert_cmpint(put_tce(0, 0x6000, RAM_C | TCE_RW), ==, H_SUCCESS);
    fill(RAM_A, a, sizeof(a), 8);
    qtest_memset(qts, RAM_C, 0, 4096);
    dma_from_ram(0x5000, 0, sizeof(a));
    dma_to_ram(0, 0x6000, sizeof(a));
    assert_ram(RAM_C, a, sizeof(a), "after a system reset");
}

/* The kernel's usable IOVA ranges, asked directly (VFIO_IOMMU_GET_INFO, IOVA_RANGE cap) */
static GArray *kernel_ranges(int group_fd)
{
    GArray *out = g_array_new(FALSE, FALSE, sizeof(Range));
    struct vfio_iommu_type1_info *info = g_malloc0(sizeof(*info));
    int c = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);

    g_assert_cmpint(c, >=, 0);
    g_assert_cmpint(ioctl(group_fd, VFIO_GROUP_SET_CONTAINER, &c), ==, 0);
    g_assert_cmpint(ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), ==, 0);
    info->argsz = sizeof(*info);
    g_assert_cmpint(ioctl(c, VFIO_IOMMU_GET_INFO, info), ==, 0);
    if (info->argsz > sizeof(*info)) {
        uint32_t sz = info->argsz;
        info = g_realloc(info, sz);
        memset(info, 0, sz);
        info->argsz = sz;
        g_assert_cmpint(ioctl(c, VFIO_IOMMU_GET_INFO, info), ==, 0);
    }
    for (uint32_t off = (info->flags & VFIO_IOMMU_INFO_CAPS) ? info->cap_offset : 0; off;) {
        struct vfio_info_cap_header *h = (void *)((char *)info + off);
        if (h->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
            struct vfio_iommu_type1_info_cap_iova_range *r = (void *)h;
            for (uint32_t i = 0; i < r->nr_iovas; i++) {
                Range x = { r->iova_ranges[i].start, r->iova_ranges[i].end };
                g_array_append_val(out, x);
            }
        }
        off = h->next;
    }
    g_assert_cmpint(ioctl(group_fd, VFIO_GROUP_UNSET_CONTAINER), ==, 0);
    close(c);
    g_free(info);
    return out;
}

static void test_teardown(void)
{
    g_autofree char *path = g_strdup_printf("/dev/vfio/%d", group);
    struct vfio_group_status st = { .argsz = sizeof(st) };
    int fd;

    /* the guest clears what it mapped: nothing is left on the host */
    g_assert_cmpint(put_tce(0, 0x5000, 0), ==, H_SUCCESS);
    g_assert_cmpint(put_tce(0, 0x6000, 0), ==, H_SUCCESS);
    g_assert_cmpint(put_tce(0, 0x8000, 0), ==, H_SUCCESS);
    g_assert_cmpint(host_mappings(), ==, 0);
    qtest_quit(qts);            /* asserts a clean exit, status 0 */
    qts = NULL;

    /* the group is free again: no container left set on it */
    fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        g_error("%s after quit: %s", path, g_strerror(errno));
    }
    g_assert_cmpint(ioctl(fd, VFIO_GROUP_GET_STATUS, &st), ==, 0);
    g_assert_true(st.flags & VFIO_GROUP_FLAGS_VIABLE);
    g_assert_false(st.flags & VFIO_GROUP_FLAGS_CONTAINER_SET);

    /* the product's IOVA ranges are the kernel's (the GET_INFO capability chain) */
    {
        g_autoptr(GArray) k = kernel_ranges(fd);
        g_assert_cmpuint(k->len, >, 1);             /* VT-d reserves the MSI window */
        g_assert_cmpuint(product_ranges->len, ==, k->len);
        for (guint i = 0; i < k->len; i++) {
            g_assert_cmphex(g_array_index(product_ranges, Range, i).start, ==,
                            g_array_index(k, Range, i).start);
            g_assert_cmphex(g_array_index(product_ranges, Range, i).end, ==,
                            g_array_index(k, Range, i).end);
        }
    }
    close(fd);
}

static void test_skipped(void)
{
    g_test_skip("VFIO_E2E_GROUP is not set: tests/functional/vfio-e2e.sh runs this in a VM");
}

int main(int argc, char **argv)
{
    const char *g = g_getenv("VFIO_E2E_GROUP");

    g_test_init(&argc, &argv, NULL);
    if (!g || !*g) {
        g_test_add_func("/vfio-e2e/skipped", test_skipped);
        return g_test_run();
    }
    group = atoi(g);
    device = g_getenv("VFIO_E2E_DEVICE");
    g_test_add_func("/vfio-e2e/realize", test_realize);
    g_test_add_func("/vfio-e2e/dma32", test_dma32);
    g_test_add_func("/vfio-e2e/dma32-unmapped", test_dma32_unmapped);
    g_test_add_func("/vfio-e2e/dma32-readonly", test_dma32_readonly);
    g_test_add_func("/vfio-e2e/ddw", test_ddw);
    g_test_add_func("/vfio-e2e/intx", test_intx);
    g_test_add_func("/vfio-e2e/msi", test_msi);
    g_test_add_func("/vfio-e2e/reset", test_reset);
    g_test_add_func("/vfio-e2e/teardown", test_teardown);
    return g_test_run();
}
