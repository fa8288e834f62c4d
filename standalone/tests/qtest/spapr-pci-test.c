/*
 * PCI behind the emulated sPAPR PHB, played from the guest side: config
 * space through RTAS (good and bad accesses), BAR sizing and MMIO through
 * the PHB's 32-bit window, the edu device (registers, INTx as PHB LSIs,
 * DMA through TCEs, MSI through ibm,change-msi), multi-function slots,
 * PHB and device hot-plug with QMP, and the QMP views query-pci and
 * query-spapr-phbs.
 *
 * Byte order: qtest values are big-endian (the target's), PCI registers
 * little-endian, so a 32-bit MMIO register reads back byte-swapped; the
 * qos_*_le and qedu_* helpers swap, as libqos does for PCI on pseries.
 * Config space through RTAS is not swapped (RTAS returns the value as an
 * integer).
 */
#include "libqos/edu.h"

#include <string.h>

#define RTAS_SUCCESS 0
#define RTAS_HW_ERROR (-1)
#define RTAS_PARAM_ERROR (-3)

#define H_SUCCESS 0
#define TCE_RW 3ull

/* config space */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define  PCI_COMMAND_MEMORY 0x2
#define  PCI_COMMAND_MASTER 0x4
#define PCI_STATUS 0x06
#define  PCI_STATUS_INTERRUPT 0x08
#define  PCI_STATUS_CAP_LIST 0x10
#define PCI_REVISION_ID 0x08
#define PCI_CLASS_DEVICE 0x0a
#define PCI_CACHE_LINE_SIZE 0x0c
#define PCI_LATENCY_TIMER 0x0d
#define PCI_HEADER_TYPE 0x0e
#define PCI_BASE_ADDRESS_0 0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID 0x2e
#define PCI_ROM_ADDRESS 0x30
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d
#define PCI_CAP_ID_MSI 0x05
#define PCI_CAP_ID_EXP 0x10

#define DEVFN(slot, fn) ((slot) << 3 | (fn))
#define EDU_SLOT 3
#define EDU_DEVFN DEVFN(EDU_SLOT, 0)

/* PHB placement (papr-vfio-facts 4.3) */
#define PHB_LSI(index, n) (0x1200 + 4 * (index) + (n))
#define PCI_BUS_MEM32 0x80000000u
#define MSI_WINDOW 0x40000000000ull
#define MSI_IRQ_BASE 0x1300

#define RAM_SIZE (1ull << 30)

static QTestState *start(const char *devices)
{
    return qtest_initf("-machine pseries -m 1G %s", devices);
}

/* Config space through RTAS ------------------------------------------------- */

/* ibm,read-pci-config with a raw config address word and any BUID */
static int32_t cfg_read_raw(QTestState *qts, uint64_t buid, uint32_t cfg, uint32_t size,
                            uint32_t *val)
{
    uint32_t args[] = { cfg, buid >> 32, (uint32_t)buid, size }, rets[2];

    g_assert_cmpuint(qrtas_call(qts, "ibm,read-pci-config", 4, args, 2, rets), ==, 0);
    if (val) {
        *val = rets[1];
    }
    return (int32_t)rets[0];
}

static int32_t cfg_write_raw(QTestState *qts, uint64_t buid, uint32_t cfg, uint32_t size,
                             uint32_t val)
{
    uint32_t args[] = { cfg, buid >> 32, (uint32_t)buid, size, val }, rets[1];

    g_assert_cmpuint(qrtas_call(qts, "ibm,write-pci-config", 5, args, 1, rets), ==, 0);
    return (int32_t)rets[0];
}

/* A read that must succeed */
static uint32_t cfg_rd(QTestState *qts, unsigned phb, int devfn, uint32_t reg, int size)
{
    uint32_t v = 0;

    g_assert_cmpint(qrtas_cfg_read(qts, phb, devfn, reg, size, &v), ==, RTAS_SUCCESS);
    return v;
}

static void cfg_wr(QTestState *qts, unsigned phb, int devfn, uint32_t reg, int size,
                   uint32_t v)
{
    g_assert_cmpint(qrtas_cfg_write(qts, phb, devfn, reg, size, v), ==, RTAS_SUCCESS);
}

/* Offset of capability @id in the list, 0 if absent */
static uint32_t find_cap(QTestState *qts, unsigned phb, int devfn, uint8_t id)
{
    uint32_t at = cfg_rd(qts, phb, devfn, PCI_CAPABILITY_LIST, 1);
    int n = 0;

    while (at) {
        g_assert_cmpint(++n, <, 48);
        if (cfg_rd(qts, phb, devfn, at, 1) == id) {
            return at;
        }
        at = cfg_rd(qts, phb, devfn, at + 1, 1);
    }
    return 0;
}

/* QMP ------------------------------------------------------------------------ */

/* The "return" array of @cmd, ref'd */
static JsonArray *qmp_array(QTestState *qts, const char *cmd)
{
    JsonObject *rsp = qtest_qmp(qts, "{\"execute\": \"%s\"}", cmd);
    JsonArray *a = json_array_ref(json_node_get_array(qmp_rsp_return(rsp)));

    json_object_unref(rsp);
    return a;
}

static int64_t phb_dma_faults(QTestState *qts, unsigned index)
{
    g_autoptr(JsonObject) o = qos_phb_info(qts, index);

    g_assert_nonnull(o);
    return json_object_get_int_member(o, "dma-faults");
}

/* device_add that must fail; returns the error description (owned) */
static char *device_add_error(QTestState *qts, const char *args)
{
    JsonObject *rsp = qtest_qmp(qts, "{\"execute\": \"device_add\", \"arguments\": {%s}}", args);
    char *desc;

    g_assert_true(qmp_rsp_is_err(rsp));
    g_assert_cmpstr(qmp_rsp_error_class(rsp), ==, "GenericError");
    desc = g_strdup(qmp_rsp_error_desc(rsp));
    json_object_unref(rsp);
    return desc;
}

/* Config access: good ----------------------------------------------------------- */

static void test_cfg_read_sizes(void)
{
    QTestState *qts = start("-device edu,addr=3.0");

    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, PCI_VENDOR_ID, 4), ==,
                    EDU_DEVICE << 16 | EDU_VENDOR);
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, PCI_VENDOR_ID, 2), ==, EDU_VENDOR);
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, PCI_DEVICE_ID, 2), ==, EDU_DEVICE);
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, PCI_VENDOR_ID, 1), ==, 0x34);
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, PCI_VENDOR_ID + 1, 1), ==, 0x12);
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, PCI_DEVICE_ID + 1, 1), ==, 0x11);
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, PCI_REVISION_ID, 1), ==, 0x10);
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, PCI_REVISION_ID, 4), ==, 0x00ff0010);
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, PCI_CLASS_DEVICE, 2), ==, 0x00ff);
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, PCI_SUBSYSTEM_VENDOR_ID, 4), ==, 0x11001af4);
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, PCI_INTERRUPT_PIN, 1), ==, 1);
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, ==,
                    PCI_STATUS_CAP_LIST);
    /* the last dword of conventional config space */
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, 0xfc, 4), ==, 0);
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, 0xff, 1), ==, 0);
    qtest_quit(qts);
}

static void test_cfg_write_sizes(void)
{
    QTestState *qts = start("-device edu,addr=3.0");

    cfg_wr(qts, 0, EDU_DEVFN, PCI_CACHE_LINE_SIZE, 1, 0x20);
    cfg_wr(qts, 0, EDU_DEVFN, PCI_LATENCY_TIMER, 1, 0x40);
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, PCI_CACHE_LINE_SIZE, 2), ==, 0x4020);
    cfg_wr(qts, 0, EDU_DEVFN, PCI_CACHE_LINE_SIZE, 2, 0x1108);
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, PCI_CACHE_LINE_SIZE, 1), ==, 0x08);
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, PCI_LATENCY_TIMER, 1), ==, 0x11);
    /* 4 bytes over interrupt line (RW), pin, min-grant, max-latency (RO) */
    cfg_wr(qts, 0, EDU_DEVFN, PCI_INTERRUPT_LINE, 4, 0xffffff0b);
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, PCI_INTERRUPT_LINE, 4), ==, 0x0000010b);
    /* read-only identification is not changed by a write */
    cfg_wr(qts, 0, EDU_DEVFN, PCI_VENDOR_ID, 4, 0);
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, PCI_VENDOR_ID, 4), ==,
                    EDU_DEVICE << 16 | EDU_VENDOR);
    qtest_quit(qts);
}

/* Config access: refused -------------------------------------------------------- */

/* Known values in two writable registers, to see that a refused access changed nothing */
static void set_canaries(QTestState *qts)
{
    cfg_wr(qts, 0, EDU_DEVFN, PCI_CACHE_LINE_SIZE, 2, 0x5a10);
    cfg_wr(qts, 0, EDU_DEVFN, PCI_INTERRUPT_LINE, 1, 0x42);
}

static void check_canaries(QTestState *qts)
{
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, PCI_CACHE_LINE_SIZE, 2), ==, 0x5a10);
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, PCI_INTERRUPT_LINE, 1), ==, 0x42);
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, PCI_BASE_ADDRESS_0, 4), ==, 0);
}

static void test_cfg_bad_size(void)
{
    QTestState *qts = start("-device edu,addr=3.0");
    static const int sizes[] = { 0, 3, 8, 0x10001 };

    set_canaries(qts);
    for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++) {
        g_assert_cmpint(qrtas_cfg_read(qts, 0, EDU_DEVFN, PCI_VENDOR_ID, sizes[i], NULL), ==,
                        RTAS_HW_ERROR);
        g_assert_cmpint(qrtas_cfg_write(qts, 0, EDU_DEVFN, PCI_CACHE_LINE_SIZE, sizes[i], 0),
                        ==, RTAS_HW_ERROR);
        g_assert_cmpint(qrtas_cfg_write(qts, 0, EDU_DEVFN, PCI_INTERRUPT_LINE, sizes[i], 0),
                        ==, RTAS_HW_ERROR);
        g_assert_cmpint(qrtas_cfg_write(qts, 0, EDU_DEVFN, PCI_BASE_ADDRESS_0, sizes[i],
                                        0xffffffff), ==, RTAS_HW_ERROR);
    }
    check_canaries(qts);
    qtest_quit(qts);
}

static void test_cfg_unaligned(void)
{
    QTestState *qts = start("-device edu,addr=3.0");

    set_canaries(qts);
    g_assert_cmpint(qrtas_cfg_read(qts, 0, EDU_DEVFN, PCI_VENDOR_ID + 1, 2, NULL), ==,
                    RTAS_HW_ERROR);
    g_assert_cmpint(qrtas_cfg_read(qts, 0, EDU_DEVFN, PCI_VENDOR_ID + 2, 4, NULL), ==,
                    RTAS_HW_ERROR);
    g_assert_cmpint(qrtas_cfg_read(qts, 0, EDU_DEVFN, PCI_VENDOR_ID + 1, 4, NULL), ==,
                    RTAS_HW_ERROR);
    g_assert_cmpint(qrtas_cfg_write(qts, 0, EDU_DEVFN, PCI_LATENCY_TIMER, 2, 0), ==,
                    RTAS_HW_ERROR);
    g_assert_cmpint(qrtas_cfg_write(qts, 0, EDU_DEVFN, PCI_CACHE_LINE_SIZE + 2, 4, 0), ==,
                    RTAS_HW_ERROR);
    g_assert_cmpint(qrtas_cfg_write(qts, 0, EDU_DEVFN, PCI_BASE_ADDRESS_0 + 2, 4, 0xffffffff),
                    ==, RTAS_HW_ERROR);
    check_canaries(qts);
    qtest_quit(qts);
}

static void test_cfg_conventional_ext_refused(void)
{
    QTestState *qts = start("-device edu,addr=3.0");

    /* offsets 256..4095 do not exist on a conventional function, even on an ECS PHB */
    g_assert_cmpint(qrtas_cfg_read(qts, 0, EDU_DEVFN, 0x100, 4, NULL), ==, RTAS_HW_ERROR);
    g_assert_cmpint(qrtas_cfg_read(qts, 0, EDU_DEVFN, 0x100, 1, NULL), ==, RTAS_HW_ERROR);
    g_assert_cmpint(qrtas_cfg_read(qts, 0, EDU_DEVFN, 0xffc, 4, NULL), ==, RTAS_HW_ERROR);
    g_assert_cmpint(qrtas_cfg_write(qts, 0, EDU_DEVFN, 0x100, 4, 0), ==, RTAS_HW_ERROR);
    /* register bits 11..8 really are decoded: 0x13c is not 0x3c */
    cfg_wr(qts, 0, EDU_DEVFN, PCI_INTERRUPT_LINE, 1, 0x42);
    g_assert_cmpint(qrtas_cfg_write(qts, 0, EDU_DEVFN, 0x100 + PCI_INTERRUPT_LINE, 1, 0x17),
                    ==, RTAS_HW_ERROR);
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, PCI_INTERRUPT_LINE, 1), ==, 0x42);
    qtest_quit(qts);
}

static void test_cfg_pcie_ext_allowed(void)
{
    QTestState *qts = start("-device edu,addr=3.0,pcie=on");
    uint32_t exp = find_cap(qts, 0, EDU_DEVFN, PCI_CAP_ID_EXP);

    g_assert_cmpuint(exp, !=, 0);
    /* PCIe capability v2, endpoint */
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, exp + 2, 2), ==, 0x0002);
    /* the whole 4 KiB is there: no extended capabilities, all zero */
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, 0x100, 4), ==, 0);
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, 0x800, 2), ==, 0);
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, 0xffc, 4), ==, 0);
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, 0xfff, 1), ==, 0);
    /* accepted, and read-only */
    cfg_wr(qts, 0, EDU_DEVFN, 0x100, 4, 0xffffffff);
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, 0x100, 4), ==, 0);
    /* the usual rules still apply up there */
    g_assert_cmpint(qrtas_cfg_read(qts, 0, EDU_DEVFN, 0xffe, 4, NULL), ==, RTAS_HW_ERROR);
    g_assert_cmpint(qrtas_cfg_read(qts, 0, EDU_DEVFN, 0x101, 2, NULL), ==, RTAS_HW_ERROR);
    qtest_quit(qts);
}

static void test_cfg_pcie_ecs_off_refused(void)
{
    QTestState *qts = start("-device spapr-pci-host-bridge,index=1,id=phb1,"
                            "pcie-extended-configuration-space=off "
                            "-device edu,bus=phb1.0,addr=3.0,pcie=on");

    /* still a PCIe function in its first 256 bytes */
    g_assert_cmpuint(find_cap(qts, 1, EDU_DEVFN, PCI_CAP_ID_EXP), !=, 0);
    g_assert_cmphex(cfg_rd(qts, 1, EDU_DEVFN, 0xfc, 4), ==, 0);
    /* but this PHB does not let the guest past 256 */
    g_assert_cmpint(qrtas_cfg_read(qts, 1, EDU_DEVFN, 0x100, 4, NULL), ==, RTAS_HW_ERROR);
    g_assert_cmpint(qrtas_cfg_read(qts, 1, EDU_DEVFN, 0xffc, 4, NULL), ==, RTAS_HW_ERROR);
    g_assert_cmpint(qrtas_cfg_write(qts, 1, EDU_DEVFN, 0x100, 4, 0), ==, RTAS_HW_ERROR);
    qtest_quit(qts);
}

static void test_cfg_unknown_buid(void)
{
    QTestState *qts = start("-device edu,addr=3.0");
    uint32_t cfg = qos_cfg_addr(EDU_DEVFN, PCI_INTERRUPT_LINE);

    cfg_wr(qts, 0, EDU_DEVFN, PCI_INTERRUPT_LINE, 1, 0x42);
    /* PHB 1 is not plugged; 0 and a BUID's upper half alone are no PHB */
    g_assert_cmpint(cfg_read_raw(qts, SPAPR_BUID(1), cfg, 1, NULL), ==, RTAS_HW_ERROR);
    g_assert_cmpint(cfg_read_raw(qts, 0, cfg, 1, NULL), ==, RTAS_HW_ERROR);
    g_assert_cmpint(cfg_read_raw(qts, SPAPR_BUID(0) & ~0xffffffffull, cfg, 1, NULL), ==,
                    RTAS_HW_ERROR);
    g_assert_cmpint(cfg_write_raw(qts, SPAPR_BUID(1), cfg, 1, 0x17), ==, RTAS_HW_ERROR);
    g_assert_cmpint(cfg_write_raw(qts, (uint32_t)SPAPR_BUID(0), cfg, 1, 0x17), ==,
                    RTAS_HW_ERROR);
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, PCI_INTERRUPT_LINE, 1), ==, 0x42);
    qtest_quit(qts);
}

static void test_cfg_empty_devfn(void)
{
    QTestState *qts = start("-device edu,addr=3.0");

    g_assert_cmpint(qrtas_cfg_read(qts, 0, DEVFN(3, 1), PCI_VENDOR_ID, 4, NULL), ==,
                    RTAS_HW_ERROR);
    g_assert_cmpint(qrtas_cfg_read(qts, 0, DEVFN(4, 0), PCI_VENDOR_ID, 2, NULL), ==,
                    RTAS_HW_ERROR);
    g_assert_cmpint(qrtas_cfg_read(qts, 0, 0, PCI_VENDOR_ID, 2, NULL), ==, RTAS_HW_ERROR);
    g_assert_cmpint(qrtas_cfg_write(qts, 0, DEVFN(4, 0), PCI_COMMAND, 2, 0), ==,
                    RTAS_HW_ERROR);
    qtest_quit(qts);
}

static void test_cfg_bus_nonzero(void)
{
    QTestState *qts = start("-device edu,addr=3.0");
    uint32_t cfg = 1 << 16 | qos_cfg_addr(EDU_DEVFN, PCI_VENDOR_ID);
    uint32_t cfg_line = 0xff << 16 | qos_cfg_addr(EDU_DEVFN, PCI_INTERRUPT_LINE);

    /* there are no bridges: only bus 0 exists, even if devfn matches a function */
    cfg_wr(qts, 0, EDU_DEVFN, PCI_INTERRUPT_LINE, 1, 0x42);
    g_assert_cmpint(cfg_read_raw(qts, SPAPR_BUID(0), cfg, 2, NULL), ==, RTAS_HW_ERROR);
    g_assert_cmpint(cfg_write_raw(qts, SPAPR_BUID(0), cfg_line, 1, 0x17), ==, RTAS_HW_ERROR);
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, PCI_INTERRUPT_LINE, 1), ==, 0x42);
    qtest_quit(qts);
}

static void test_cfg_legacy_calls(void)
{
    QTestState *qts = start("-device edu,addr=3.0");
    uint32_t cfg = qos_cfg_addr(EDU_DEVFN, PCI_INTERRUPT_LINE);
    uint32_t rargs[] = { qos_cfg_addr(EDU_DEVFN, PCI_VENDOR_ID), 2 };
    uint32_t wargs[] = { cfg, 1, 0x17 };
    uint32_t rets[2];

    cfg_wr(qts, 0, EDU_DEVFN, PCI_INTERRUPT_LINE, 1, 0x42);
    /* no BUID argument: they address BUID 0, which no PHB has (as on QEMU) */
    g_assert_cmpuint(qrtas_call(qts, "read-pci-config", 2, rargs, 2, rets), ==, 0);
    g_assert_cmpint((int32_t)rets[0], ==, RTAS_HW_ERROR);
    g_assert_cmpuint(qrtas_call(qts, "write-pci-config", 3, wargs, 1, rets), ==, 0);
    g_assert_cmpint((int32_t)rets[0], ==, RTAS_HW_ERROR);
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, PCI_INTERRUPT_LINE, 1), ==, 0x42);
    qtest_quit(qts);
}

static void test_cfg_wrong_nargs(void)
{
    QTestState *qts = start("-device edu,addr=3.0");
    uint64_t buid = SPAPR_BUID(0);
    uint32_t cfg = qos_cfg_addr(EDU_DEVFN, PCI_INTERRUPT_LINE);
    uint32_t rd[] = { cfg, buid >> 32, (uint32_t)buid, 1, 0 };
    uint32_t wr[] = { cfg, buid >> 32, (uint32_t)buid, 1, 0x17, 0 };
    uint32_t old_rd[] = { cfg, 1, 0 }, old_wr[] = { cfg, 1, 0x17, 0 };
    uint32_t rets[3];

    cfg_wr(qts, 0, EDU_DEVFN, PCI_INTERRUPT_LINE, 1, 0x42);
    g_assert_cmpuint(qrtas_call(qts, "ibm,read-pci-config", 3, rd, 2, rets), ==, 0);
    g_assert_cmpint((int32_t)rets[0], ==, RTAS_PARAM_ERROR);
    g_assert_cmpuint(qrtas_call(qts, "ibm,read-pci-config", 5, rd, 2, rets), ==, 0);
    g_assert_cmpint((int32_t)rets[0], ==, RTAS_PARAM_ERROR);
    g_assert_cmpuint(qrtas_call(qts, "ibm,read-pci-config", 4, rd, 1, rets), ==, 0);
    g_assert_cmpint((int32_t)rets[0], ==, RTAS_PARAM_ERROR);
    g_assert_cmpuint(qrtas_call(qts, "ibm,write-pci-config", 4, wr, 1, rets), ==, 0);
    g_assert_cmpint((int32_t)rets[0], ==, RTAS_PARAM_ERROR);
    g_assert_cmpuint(qrtas_call(qts, "ibm,write-pci-config", 6, wr, 1, rets), ==, 0);
    g_assert_cmpint((int32_t)rets[0], ==, RTAS_PARAM_ERROR);
    g_assert_cmpuint(qrtas_call(qts, "ibm,write-pci-config", 5, wr, 2, rets), ==, 0);
    g_assert_cmpint((int32_t)rets[0], ==, RTAS_PARAM_ERROR);
    g_assert_cmpuint(qrtas_call(qts, "read-pci-config", 3, old_rd, 2, rets), ==, 0);
    g_assert_cmpint((int32_t)rets[0], ==, RTAS_PARAM_ERROR);
    g_assert_cmpuint(qrtas_call(qts, "write-pci-config", 4, old_wr, 1, rets), ==, 0);
    g_assert_cmpint((int32_t)rets[0], ==, RTAS_PARAM_ERROR);
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, PCI_INTERRUPT_LINE, 1), ==, 0x42);
    qtest_quit(qts);
}

/* BARs and MMIO ---------------------------------------------------------------- */

static void test_bar_sizing(void)
{
    QTestState *qts = start("-device edu,addr=3.0");

    /* 32-bit non-prefetchable memory BAR, unassigned */
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, PCI_BASE_ADDRESS_0, 4), ==, 0);
    cfg_wr(qts, 0, EDU_DEVFN, PCI_BASE_ADDRESS_0, 4, 0xffffffff);
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, PCI_BASE_ADDRESS_0, 4), ==, ~(EDU_BAR_SIZE - 1));
    /* edu has no BARs 1..5 and no ROM: they size to 0 */
    for (uint32_t reg = PCI_BASE_ADDRESS_0 + 4; reg <= PCI_BASE_ADDRESS_0 + 20; reg += 4) {
        cfg_wr(qts, 0, EDU_DEVFN, reg, 4, 0xffffffff);
        g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, reg, 4), ==, 0);
    }
    cfg_wr(qts, 0, EDU_DEVFN, PCI_ROM_ADDRESS, 4, 0xffffffff);
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, PCI_ROM_ADDRESS, 4), ==, 0);
    /* assignment keeps the size's alignment */
    cfg_wr(qts, 0, EDU_DEVFN, PCI_BASE_ADDRESS_0, 4, 0x9012345f);
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, PCI_BASE_ADDRESS_0, 4), ==, 0x90100000);
    qtest_quit(qts);
}

static void test_bar_mmio(void)
{
    QTestState *qts = start("-device edu,addr=3.0");
    uint64_t cpu = SPAPR_PCI_MEM32_CPU(0) + 0x10000000;

    g_assert_cmphex(SPAPR_PCI_MEM32_CPU(0), ==, 0x200080000000ull);
    cfg_wr(qts, 0, EDU_DEVFN, PCI_BASE_ADDRESS_0, 4, 0x90000000);
    /* not decoded before memory space is enabled: all ones */
    g_assert_cmphex(qtest_readl(qts, cpu), ==, 0xffffffff);
    cfg_wr(qts, 0, EDU_DEVFN, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    /* the LE register read raw through big-endian qtest is byte-swapped */
    g_assert_cmphex(qtest_readl(qts, cpu + EDU_REG_ID), ==, 0xed000001);
    g_assert_cmphex(qos_ldl_le(qts, cpu + EDU_REG_ID), ==, EDU_ID);
    /* nothing at the start of the window, nor at the old place after a move */
    g_assert_cmphex(qtest_readl(qts, SPAPR_PCI_MEM32_CPU(0)), ==, 0xffffffff);
    cfg_wr(qts, 0, EDU_DEVFN, PCI_BASE_ADDRESS_0, 4, 0x80000000);
    g_assert_cmphex(qos_ldl_le(qts, SPAPR_PCI_MEM32_CPU(0) + EDU_REG_ID), ==, EDU_ID);
    g_assert_cmphex(qtest_readl(qts, cpu), ==, 0xffffffff);
    /* memory space off again: gone */
    cfg_wr(qts, 0, EDU_DEVFN, PCI_COMMAND, 2, 0);
    g_assert_cmphex(qtest_readl(qts, SPAPR_PCI_MEM32_CPU(0)), ==, 0xffffffff);
    qtest_quit(qts);
}

/* edu -------------------------------------------------------------------------- */

static void test_edu_id_liveness(void)
{
    QTestState *qts = start("-device edu,addr=3.0");

    qedu_setup(qts, 0, EDU_DEVFN);
    g_assert_cmphex(qedu_readl(qts, 0, EDU_REG_ID), ==, EDU_ID);
    g_assert_cmphex(qedu_readl(qts, 0, EDU_REG_LIVENESS), ==, 0);
    qedu_writel(qts, 0, EDU_REG_LIVENESS, 0x12345678);
    g_assert_cmphex(qedu_readl(qts, 0, EDU_REG_LIVENESS), ==, 0xedcba987);
    qedu_writel(qts, 0, EDU_REG_LIVENESS, 0xffffffff);
    g_assert_cmphex(qedu_readl(qts, 0, EDU_REG_LIVENESS), ==, 0);
    /* the ID register is read-only */
    qedu_writel(qts, 0, EDU_REG_ID, 0);
    g_assert_cmphex(qedu_readl(qts, 0, EDU_REG_ID), ==, EDU_ID);
    qtest_quit(qts);
}

static void test_edu_factorial(void)
{
    QTestState *qts = start("-device edu,addr=3.0");

    qedu_setup(qts, 0, EDU_DEVFN);
    qedu_writel(qts, 0, EDU_REG_FACTORIAL, 5);
    qtest_clock_step(qts, 1000000);
    g_assert_cmphex(qedu_readl(qts, 0, EDU_REG_STATUS) & 1, ==, 0);
    g_assert_cmpuint(qedu_readl(qts, 0, EDU_REG_FACTORIAL), ==, 120);
    qedu_writel(qts, 0, EDU_REG_FACTORIAL, 12);
    qtest_clock_step(qts, 1000000);
    g_assert_cmphex(qedu_readl(qts, 0, EDU_REG_STATUS) & 1, ==, 0);
    g_assert_cmpuint(qedu_readl(qts, 0, EDU_REG_FACTORIAL), ==, 479001600);
    /* 13! modulo 2^32 */
    qedu_writel(qts, 0, EDU_REG_FACTORIAL, 13);
    qtest_clock_step(qts, 1000000);
    g_assert_cmpuint(qedu_readl(qts, 0, EDU_REG_FACTORIAL), ==, 1932053504);
    g_assert_cmphex(qedu_readl(qts, 0, EDU_REG_IRQ_STATUS), ==, 0);
    qtest_quit(qts);
}

static void test_edu_intx(void)
{
    QTestState *qts = start("-device edu,addr=3.0");
    int lsi = PHB_LSI(0, (EDU_SLOT + 1 - 1) % 4);       /* pin A of slot 3 */

    qedu_setup(qts, 0, EDU_DEVFN);
    qtest_irq_intercept_in(qts, "/machine/intc");
    g_assert_false(qtest_get_irq(qts, lsi));
    qedu_writel(qts, 0, EDU_REG_IRQ_RAISE, 0x1234);
    g_assert_cmphex(qedu_readl(qts, 0, EDU_REG_IRQ_STATUS), ==, 0x1234);
    g_assert_true(qtest_get_irq(qts, lsi));
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, ==,
                    PCI_STATUS_INTERRUPT);
    /* a partial acknowledge keeps the level up */
    qedu_writel(qts, 0, EDU_REG_IRQ_ACK, 0x1000);
    g_assert_cmphex(qedu_readl(qts, 0, EDU_REG_IRQ_STATUS), ==, 0x0234);
    g_assert_true(qtest_get_irq(qts, lsi));
    qedu_writel(qts, 0, EDU_REG_IRQ_ACK, 0x0234);
    g_assert_cmphex(qedu_readl(qts, 0, EDU_REG_IRQ_STATUS), ==, 0);
    g_assert_false(qtest_get_irq(qts, lsi));
    g_assert_cmpuint(qtest_irq_raise_count(qts, lsi), ==, 1);
    /* the other LSIs of the PHB stayed quiet */
    for (int n = 0; n < 4; n++) {
        if (PHB_LSI(0, n) != lsi) {
            g_assert_cmpuint(qtest_irq_raise_count(qts, PHB_LSI(0, n)), ==, 0);
        }
    }
    qtest_quit(qts);
}

static void test_edu_intx_swizzle(void)
{
    /* slot 6 behind PHB 1: LSI 0x1204 + (6 + 1 - 1) % 4 */
    QTestState *qts = start("-device spapr-pci-host-bridge,index=1,id=phb1 "
                            "-device edu,bus=phb1.0,addr=6.0");
    uint64_t bar = qos_pci_map_bar0(qts, 1, DEVFN(6, 0), 0xa0000000);

    g_assert_cmphex(bar, ==, 0x200100000000ull + 0x20000000);
    qtest_irq_intercept_in(qts, "/machine/intc");
    qos_stl_le(qts, bar + EDU_REG_IRQ_RAISE, 1);
    g_assert_true(qtest_get_irq(qts, 0x1206));
    qos_stl_le(qts, bar + EDU_REG_IRQ_ACK, 1);
    g_assert_false(qtest_get_irq(qts, 0x1206));
    g_assert_cmpuint(qtest_irq_raise_count(qts, 0x1206), ==, 1);
    g_assert_cmpuint(qtest_irq_raise_count(qts, PHB_LSI(0, 2)), ==, 0);
    qtest_quit(qts);
}

/* edu DMA through TCEs --------------------------------------------------------- */

static void fill_pattern(uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = seed + i * 7;
    }
}

#define GPA_A 0x200000ull
#define GPA_B 0x300000ull
#define IOBA_A 0x1000ull
#define IOBA_B 0x2000ull

/* IOBA_A -> GPA_A and IOBA_B -> GPA_B: bus-contiguous, not RAM-contiguous */
static void map_two_pages(QTestState *qts)
{
    g_assert_cmpint(qos_h_put_tce(qts, SPAPR_LIOBN(0, 0), IOBA_A, GPA_A | TCE_RW), ==, H_SUCCESS);
    g_assert_cmpint(qos_h_put_tce(qts, SPAPR_LIOBN(0, 0), IOBA_B, GPA_B | TCE_RW), ==, H_SUCCESS);
}

static void test_edu_dma_from_ram(void)
{
    QTestState *qts = start("-device edu,addr=3.0");
    uint8_t src[0x1000], got[0x1000];

    qedu_setup(qts, 0, EDU_DEVFN);
    map_two_pages(qts);
    fill_pattern(src, sizeof(src), 0x11);
    /* 4 KiB starting half way into IOBA_A: the second half comes from GPA_B */
    qtest_memwrite(qts, GPA_A + 0x800, src, 0x800);
    qtest_memwrite(qts, GPA_B, src + 0x800, 0x800);
    qedu_dma_start(qts, 0, IOBA_A + 0x800, EDU_DMA_BUF, sizeof(src), false);
    /* nothing happens before the device's 100 ms */
    g_assert_cmphex(qedu_readl(qts, 0, EDU_DMA_BUF), ==, 0);
    qedu_dma_wait(qts, 0);
    for (size_t i = 0; i < sizeof(got); i += 4) {
        uint32_t v = qedu_readl(qts, 0, EDU_DMA_BUF + i);
        memcpy(got + i, &(uint32_t){ GUINT32_TO_LE(v) }, 4);
    }
    g_assert_cmpmem(got, sizeof(got), src, sizeof(src));
    g_assert_cmpint(phb_dma_faults(qts, 0), ==, 0);
    qtest_quit(qts);
}

static void test_edu_dma_to_ram(void)
{
    QTestState *qts = start("-device edu,addr=3.0");
    uint8_t data[0x100], got[0x110];

    qedu_setup(qts, 0, EDU_DEVFN);
    map_two_pages(qts);
    fill_pattern(data, sizeof(data), 0x80);
    for (size_t i = 0; i < sizeof(data); i += 4) {
        uint32_t v;
        memcpy(&v, data + i, 4);
        qedu_writel(qts, 0, EDU_DMA_BUF + 0x100 + i, GUINT32_FROM_LE(v));
    }
    qtest_memset(qts, GPA_A + 0xf00, 0xee, 0x100);
    qtest_memset(qts, GPA_B, 0xee, 0x100);
    /* 256 bytes from buffer offset 0x100 to the last 128 of A and first 128 of B */
    qedu_dma(qts, 0, EDU_DMA_BUF + 0x100, IOBA_A + 0xf80, sizeof(data), true);
    qtest_memread(qts, GPA_A + 0xf00, got, 0x100);
    for (int i = 0; i < 0x80; i++) {
        g_assert_cmphex(got[i], ==, 0xee);
    }
    g_assert_cmpmem(got + 0x80, 0x80, data, 0x80);
    qtest_memread(qts, GPA_B, got, 0x110);
    g_assert_cmpmem(got, 0x80, data + 0x80, 0x80);
    g_assert_cmphex(got[0x80], ==, 0xee);
    g_assert_cmpint(phb_dma_faults(qts, 0), ==, 0);
    qtest_quit(qts);
}

static void test_edu_dma_unmapped(void)
{
    QTestState *qts = start("-device edu,addr=3.0");
    uint8_t got[0x2000];

    qedu_setup(qts, 0, EDU_DEVFN);
    /* only IOBA_A is mapped; IOBA_B (next page) is not */
    g_assert_cmpint(qos_h_put_tce(qts, SPAPR_LIOBN(0, 0), IOBA_A, GPA_A | TCE_RW), ==, H_SUCCESS);
    qtest_memset(qts, GPA_A, 0xee, 0x1000);
    qtest_memset(qts, IOBA_B, 0xee, 0x1000);      /* RAM at the bus address itself */
    qedu_writel(qts, 0, EDU_DMA_BUF, 0x01020304);
    g_assert_cmpint(phb_dma_faults(qts, 0), ==, 0);

    /* straddling into the unmapped page: refused as a whole, nothing written */
    qedu_dma(qts, 0, EDU_DMA_BUF, IOBA_A + 0x800, 0x1000, true);
    g_assert_cmpint(phb_dma_faults(qts, 0), ==, 1);
    /* wholly unmapped */
    qedu_dma(qts, 0, EDU_DMA_BUF, IOBA_B, 0x100, true);
    g_assert_cmpint(phb_dma_faults(qts, 0), ==, 2);
    /* outside the 1 GiB window */
    qedu_dma(qts, 0, EDU_DMA_BUF, 0x40000000, 4, true);
    g_assert_cmpint(phb_dma_faults(qts, 0), ==, 3);
    qtest_memread(qts, GPA_A, got, 0x1000);
    qtest_memread(qts, IOBA_B, got + 0x1000, 0x1000);
    for (size_t i = 0; i < sizeof(got); i++) {
        g_assert_cmphex(got[i], ==, 0xee);
    }
    /* and a read from an unmapped page leaves the device buffer alone */
    qedu_dma(qts, 0, IOBA_B, EDU_DMA_BUF, 4, false);
    g_assert_cmpint(phb_dma_faults(qts, 0), ==, 4);
    g_assert_cmphex(qedu_readl(qts, 0, EDU_DMA_BUF), ==, 0x01020304);
    qtest_quit(qts);
}

/* MSI ---------------------------------------------------------------------------- */

static void test_msi_change_and_notify(void)
{
    QTestState *qts = start("-device edu,addr=3.0");
    uint32_t msi, rets[4], irq = 0;

    qedu_setup(qts, 0, EDU_DEVFN);
    msi = find_cap(qts, 0, EDU_DEVFN, PCI_CAP_ID_MSI);
    g_assert_cmpuint(msi, !=, 0);
    /* 64-bit MSI, one vector, not enabled */
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, msi + 2, 2), ==, 0x0080);
    g_assert_cmpint(qrtas_query_irq(qts, 0, EDU_DEVFN, 0, &irq), ==, RTAS_HW_ERROR);

    g_assert_cmpint(qrtas_change_msi(qts, 0, EDU_DEVFN, 3, 1, rets), ==, RTAS_SUCCESS);
    g_assert_cmpuint(rets[1], ==, 1);
    g_assert_cmpuint(rets[2], ==, 8);                       /* seq_num + 1 */
    g_assert_cmpuint(rets[3], ==, 1);                       /* MSI */
    g_assert_cmpint(qrtas_query_irq(qts, 0, EDU_DEVFN, 0, &irq), ==, RTAS_SUCCESS);
    g_assert_cmphex(irq, ==, MSI_IRQ_BASE);
    g_assert_cmpint(qrtas_query_irq(qts, 0, EDU_DEVFN, 1, &irq), ==, RTAS_HW_ERROR);
    g_assert_cmpint(qrtas_query_irq(qts, 0, EDU_DEVFN, 0, &irq), ==, RTAS_SUCCESS);

    /* the function was programmed: enabled, the PHB's MSI window, data = irq */
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, msi + 2, 2), ==, 0x0081);
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, msi + 4, 4), ==, (uint32_t)MSI_WINDOW);
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, msi + 8, 4), ==, MSI_WINDOW >> 32);
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, msi + 12, 2), ==, irq);

    qtest_irq_intercept_in(qts, "/machine/intc");
    qedu_writel(qts, 0, EDU_REG_IRQ_RAISE, 1);
    g_assert_cmpuint(qtest_irq_raise_count(qts, irq), ==, 1);
    g_assert_false(qtest_get_irq(qts, irq));                /* an edge */
    g_assert_cmpuint(qtest_irq_raise_count(qts, PHB_LSI(0, 3)), ==, 0);
    qedu_writel(qts, 0, EDU_REG_IRQ_ACK, 1);
    qedu_writel(qts, 0, EDU_REG_IRQ_RAISE, 2);
    g_assert_cmpuint(qtest_irq_raise_count(qts, irq), ==, 2);
    g_assert_cmpint(phb_dma_faults(qts, 0), ==, 0);

    /* released: back to INTx */
    g_assert_cmpint(qrtas_change_msi(qts, 0, EDU_DEVFN, 3, 0, rets), ==, RTAS_SUCCESS);
    g_assert_cmpuint(rets[1], ==, 0);
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, msi + 2, 2), ==, 0x0080);
    g_assert_cmpint(qrtas_query_irq(qts, 0, EDU_DEVFN, 0, &irq), ==, RTAS_HW_ERROR);
    qedu_writel(qts, 0, EDU_REG_IRQ_RAISE, 4);
    g_assert_cmpuint(qtest_irq_raise_count(qts, MSI_IRQ_BASE), ==, 2);
    g_assert_true(qtest_get_irq(qts, PHB_LSI(0, 3)));
    qtest_quit(qts);
}

static void test_msi_bad_function(void)
{
    QTestState *qts = start("-device edu,addr=3.0");
    uint32_t rets[4], irq;

    /* 0 (query) and 2 (reset) are refused with -3 as in QEMU; edu has no MSI-X (4) */
    g_assert_cmpint(qrtas_change_msi(qts, 0, EDU_DEVFN, 0, 1, rets), ==, RTAS_PARAM_ERROR);
    g_assert_cmpint(qrtas_change_msi(qts, 0, EDU_DEVFN, 2, 1, rets), ==, RTAS_PARAM_ERROR);
    g_assert_cmpint(qrtas_change_msi(qts, 0, EDU_DEVFN, 4, 1, rets), ==, RTAS_PARAM_ERROR);
    g_assert_cmpint(qrtas_change_msi(qts, 0, EDU_DEVFN, 5, 1, rets), ==, RTAS_PARAM_ERROR);
    /* no function there */
    g_assert_cmpint(qrtas_change_msi(qts, 0, DEVFN(4, 0), 3, 1, rets), ==, RTAS_PARAM_ERROR);
    g_assert_cmpint(qrtas_query_irq(qts, 0, EDU_DEVFN, 0, &irq), ==, RTAS_HW_ERROR);
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, find_cap(qts, 0, EDU_DEVFN, PCI_CAP_ID_MSI) + 2,
                           2), ==, 0x0080);
    qtest_quit(qts);
}

static void test_msi_request_over_max(void)
{
    QTestState *qts = start("-device edu,addr=3.0");
    uint32_t rets[4], irq;

    /* edu has one vector: told so, nothing allocated */
    g_assert_cmpint(qrtas_change_msi(qts, 0, EDU_DEVFN, 3, 4, rets), ==, RTAS_SUCCESS);
    g_assert_cmpuint(rets[1], ==, 1);
    g_assert_cmpuint(rets[2], ==, 8);
    g_assert_cmpint(qrtas_query_irq(qts, 0, EDU_DEVFN, 0, &irq), ==, RTAS_HW_ERROR);
    g_assert_cmphex(cfg_rd(qts, 0, EDU_DEVFN, find_cap(qts, 0, EDU_DEVFN, PCI_CAP_ID_MSI) + 2,
                           2), ==, 0x0080);
    /* the number it was told works, and takes the first MSI */
    g_assert_cmpint(qrtas_change_msi(qts, 0, EDU_DEVFN, 3, 1, rets), ==, RTAS_SUCCESS);
    g_assert_cmpint(qrtas_query_irq(qts, 0, EDU_DEVFN, 0, &irq), ==, RTAS_SUCCESS);
    g_assert_cmphex(irq, ==, MSI_IRQ_BASE);
    qtest_quit(qts);
}

static void test_msi_release_unallocated(void)
{
    QTestState *qts = start("-device edu,addr=3.0");
    uint32_t rets[4];

    g_assert_cmpint(qrtas_change_msi(qts, 0, EDU_DEVFN, 3, 0, rets), ==, RTAS_HW_ERROR);
    g_assert_cmpint(qrtas_change_msi(qts, 0, EDU_DEVFN, 1, 0, rets), ==, RTAS_HW_ERROR);
    /* and twice after one allocation */
    g_assert_cmpint(qrtas_change_msi(qts, 0, EDU_DEVFN, 3, 1, rets), ==, RTAS_SUCCESS);
    g_assert_cmpint(qrtas_change_msi(qts, 0, EDU_DEVFN, 3, 0, rets), ==, RTAS_SUCCESS);
    g_assert_cmpint(qrtas_change_msi(qts, 0, EDU_DEVFN, 3, 0, rets), ==, RTAS_HW_ERROR);
    qtest_quit(qts);
}

/* Multi-function ---------------------------------------------------------------- */

static void test_multifunction(void)
{
    QTestState *qts = start("-device edu,addr=3.0,multifunction=on,id=f0 "
                            "-device edu,addr=3.1,id=f1");
    g_autoptr(JsonArray) pci = qmp_array(qts, "query-pci");
    JsonArray *devs;

    g_assert_cmphex(cfg_rd(qts, 0, DEVFN(3, 0), PCI_HEADER_TYPE, 1), ==, 0x80);
    g_assert_cmphex(cfg_rd(qts, 0, DEVFN(3, 1), PCI_HEADER_TYPE, 1), ==, 0x00);
    g_assert_cmphex(cfg_rd(qts, 0, DEVFN(3, 0), PCI_VENDOR_ID, 4), ==,
                    EDU_DEVICE << 16 | EDU_VENDOR);
    g_assert_cmphex(cfg_rd(qts, 0, DEVFN(3, 1), PCI_VENDOR_ID, 4), ==,
                    EDU_DEVICE << 16 | EDU_VENDOR);
    g_assert_cmpint(qrtas_cfg_read(qts, 0, DEVFN(3, 2), PCI_VENDOR_ID, 4, NULL), ==,
                    RTAS_HW_ERROR);
    /* two functions, independent config spaces */
    cfg_wr(qts, 0, DEVFN(3, 1), PCI_INTERRUPT_LINE, 1, 0x31);
    g_assert_cmphex(cfg_rd(qts, 0, DEVFN(3, 0), PCI_INTERRUPT_LINE, 1), ==, 0);
    devs = json_object_get_array_member(json_array_get_object_element(pci, 0), "devices");
    g_assert_cmpuint(json_array_get_length(devs), ==, 2);
    for (guint i = 0; i < 2; i++) {
        JsonObject *d = json_array_get_object_element(devs, i);
        g_assert_cmpint(json_object_get_int_member(d, "slot"), ==, 3);
        g_assert_cmpint(json_object_get_int_member(d, "function"), ==, i);
        g_assert_cmpstr(json_object_get_string_member(d, "qdev_id"), ==, i ? "f1" : "f0");
    }
    qtest_quit(qts);
}

/* Hot-plug and device_add errors ----------------------------------------------- */

static void test_hotplug_phb_and_edu(void)
{
    QTestState *qts = start("");
    g_autoptr(JsonObject) info = NULL;
    uint64_t bar;

    g_assert_null(qos_phb_info(qts, 2));
    qtest_qmp_device_add(qts, "spapr-pci-host-bridge", "phb2", "\"index\": 2");
    info = qos_phb_info(qts, 2);
    g_assert_nonnull(info);
    g_assert_cmphex(json_object_get_int_member(info, "buid"), ==, 0x800000020000002ull);
    g_assert_cmpstr(json_object_get_string_member(info, "bus"), ==, "phb2.0");
    g_assert_cmpstr(json_object_get_string_member(info, "id"), ==, "phb2");

    qtest_qmp_device_add(qts, "edu", "e4", "\"bus\": \"phb2.0\", \"addr\": \"4.0\"");
    g_assert_cmphex(cfg_rd(qts, 2, DEVFN(4, 0), PCI_VENDOR_ID, 4), ==,
                    EDU_DEVICE << 16 | EDU_VENDOR);
    /* not on PHB 0 */
    g_assert_cmpint(qrtas_cfg_read(qts, 0, DEVFN(4, 0), PCI_VENDOR_ID, 4, NULL), ==,
                    RTAS_HW_ERROR);
    /* and reachable through PHB 2's window */
    bar = qos_pci_map_bar0(qts, 2, DEVFN(4, 0), PCI_BUS_MEM32);
    g_assert_cmphex(bar, ==, (1ull << 45) + 3 * 0x80000000ull);
    g_assert_cmphex(qos_ldl_le(qts, bar + EDU_REG_ID), ==, EDU_ID);
    g_assert_cmphex(qtest_readl(qts, SPAPR_PCI_MEM32_CPU(0)), ==, 0xffffffff);
    qtest_quit(qts);
}

static void test_device_add_duplicate_index(void)
{
    QTestState *qts = start("-device spapr-pci-host-bridge,index=2,id=phb2");
    g_autofree char *e1 = device_add_error(qts, "\"driver\": \"spapr-pci-host-bridge\", "
                                                "\"id\": \"again\", \"index\": 2");
    g_autofree char *e0 = device_add_error(qts, "\"driver\": \"spapr-pci-host-bridge\", "
                                                "\"id\": \"zero\", \"index\": 0");
    g_autoptr(JsonArray) phbs = qmp_array(qts, "query-spapr-phbs");

    g_assert_cmpstr(e1, ==, "PHB 2 already attached");
    g_assert_cmpstr(e0, ==, "PHB 0 already attached");
    g_assert_cmpuint(json_array_get_length(phbs), ==, 2);
    qtest_quit(qts);
}

static void test_device_add_index_too_large(void)
{
    QTestState *qts = start("");
    g_autofree char *e = device_add_error(qts, "\"driver\": \"spapr-pci-host-bridge\", "
                                               "\"id\": \"big\", \"index\": 31");
    g_autoptr(JsonArray) phbs = qmp_array(qts, "query-spapr-phbs");

    g_assert_cmpstr(e, ==, "\"index\" for PAPR PHB is too large (max 30)");
    g_assert_cmpuint(json_array_get_length(phbs), ==, 1);
    qtest_quit(qts);
}

static void test_device_add_index_missing(void)
{
    QTestState *qts = start("");
    g_autofree char *e = device_add_error(qts, "\"driver\": \"spapr-pci-host-bridge\", "
                                               "\"id\": \"noidx\"");
    g_autoptr(JsonArray) phbs = qmp_array(qts, "query-spapr-phbs");

    g_assert_cmpstr(e, ==, "\"index\" for PAPR PHB is mandatory");
    g_assert_cmpuint(json_array_get_length(phbs), ==, 1);
    qtest_quit(qts);
}

static void test_device_add_no_such_bus(void)
{
    QTestState *qts = start("");
    g_autofree char *e = device_add_error(qts, "\"driver\": \"edu\", \"id\": \"e\", "
                                               "\"bus\": \"phb9.0\", \"addr\": \"4.0\"");
    g_autoptr(JsonArray) pci = qmp_array(qts, "query-pci");

    g_assert_cmpstr(e, ==, "Bus 'phb9.0' not found");
    g_assert_cmpuint(json_array_get_length(json_object_get_array_member(
                         json_array_get_object_element(pci, 0), "devices")), ==, 0);
    qtest_quit(qts);
}

static void test_device_add_addr_taken(void)
{
    QTestState *qts = start("-device edu,addr=4.0,id=first");
    g_autofree char *e = device_add_error(qts, "\"driver\": \"edu\", \"id\": \"second\", "
                                               "\"bus\": \"pci.0\", \"addr\": \"4.0\"");
    g_autoptr(JsonArray) pci = qmp_array(qts, "query-pci");
    JsonArray *devs = json_object_get_array_member(json_array_get_object_element(pci, 0),
                                                   "devices");

    g_assert_nonnull(strstr(e, "slot 4 function 0 not available"));
    g_assert_cmpuint(json_array_get_length(devs), ==, 1);
    g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(devs, 0),
                                                  "qdev_id"), ==, "first");
    qtest_quit(qts);
}

/* The default name of a PHB's bus is QEMU's: "pci.N", N counting unnamed buses */
static void test_phb_anonymous_bus_name(void)
{
    QTestState *qts = start("-device spapr-pci-host-bridge,index=5 "
                            "-device spapr-pci-host-bridge,index=7,id=named "
                            "-device spapr-pci-host-bridge,index=6 "
                            "-device edu,bus=pci.1,addr=2.0");
    g_autoptr(JsonObject) p0 = qos_phb_info(qts, 0);
    g_autoptr(JsonObject) p5 = qos_phb_info(qts, 5);
    g_autoptr(JsonObject) p6 = qos_phb_info(qts, 6);
    g_autoptr(JsonObject) p7 = qos_phb_info(qts, 7);

    g_assert_cmpstr(json_object_get_string_member(p0, "bus"), ==, "pci.0");
    g_assert_cmpstr(json_object_get_string_member(p5, "bus"), ==, "pci.1");
    g_assert_cmpstr(json_object_get_string_member(p6, "bus"), ==, "pci.2");
    g_assert_cmpstr(json_object_get_string_member(p7, "bus"), ==, "named.0");
    g_assert_cmphex(cfg_rd(qts, 5, DEVFN(2, 0), PCI_VENDOR_ID, 2), ==, EDU_VENDOR);
    qtest_quit(qts);
}

/* QMP views ------------------------------------------------------------------------ */

static void check_edu_entry(JsonObject *d, int slot, const char *id, int64_t addr)
{
    JsonObject *cls = json_object_get_object_member(d, "class_info");
    JsonObject *ids = json_object_get_object_member(d, "id");
    JsonArray *regions = json_object_get_array_member(d, "regions");
    JsonObject *r;

    g_assert_cmpint(json_object_get_int_member(d, "bus"), ==, 0);
    g_assert_cmpint(json_object_get_int_member(d, "slot"), ==, slot);
    g_assert_cmpint(json_object_get_int_member(d, "function"), ==, 0);
    g_assert_cmpint(json_object_get_int_member(cls, "class"), ==, 0x00ff);
    g_assert_cmphex(json_object_get_int_member(ids, "vendor"), ==, EDU_VENDOR);
    g_assert_cmphex(json_object_get_int_member(ids, "device"), ==, EDU_DEVICE);
    g_assert_cmphex(json_object_get_int_member(ids, "subsystem-vendor"), ==, 0x1af4);
    g_assert_cmphex(json_object_get_int_member(ids, "subsystem"), ==, 0x1100);
    g_assert_cmpint(json_object_get_int_member(d, "irq_pin"), ==, 1);
    g_assert_cmpint(json_object_get_int_member(d, "irq"), ==, 0);
    g_assert_cmpstr(json_object_get_string_member(d, "qdev_id"), ==, id);
    g_assert_cmpuint(json_array_get_length(regions), ==, 1);
    r = json_array_get_object_element(regions, 0);
    g_assert_cmpint(json_object_get_int_member(r, "bar"), ==, 0);
    g_assert_cmpstr(json_object_get_string_member(r, "type"), ==, "memory");
    g_assert_false(json_object_get_boolean_member(r, "prefetch"));
    g_assert_false(json_object_get_boolean_member(r, "mem_type_64"));
    g_assert_cmpint(json_object_get_int_member(r, "size"), ==, EDU_BAR_SIZE);
    g_assert_cmpint(json_object_get_int_member(r, "address"), ==, addr);
}

static void test_query_pci(void)
{
    QTestState *qts = start("-device spapr-pci-host-bridge,index=4,id=phb4 "
                            "-device spapr-pci-host-bridge,index=1,id=phb1 "
                            "-device edu,addr=3.0,id=e0 -device edu,bus=phb4.0,addr=5.0,id=e4");
    g_autoptr(JsonArray) a = qmp_array(qts, "query-pci");
    g_autoptr(JsonArray) b = NULL;
    JsonObject *bus;

    /* one entry per PHB, in index order, each its own bus 0 */
    g_assert_cmpuint(json_array_get_length(a), ==, 3);
    for (guint i = 0; i < 3; i++) {
        g_assert_cmpint(json_object_get_int_member(json_array_get_object_element(a, i), "bus"),
                        ==, 0);
    }
    bus = json_array_get_object_element(a, 0);
    g_assert_cmpuint(json_array_get_length(json_object_get_array_member(bus, "devices")), ==, 1);
    check_edu_entry(json_array_get_object_element(json_object_get_array_member(bus, "devices"),
                                                  0), 3, "e0", -1);
    bus = json_array_get_object_element(a, 1);
    g_assert_cmpuint(json_array_get_length(json_object_get_array_member(bus, "devices")), ==, 0);
    bus = json_array_get_object_element(a, 2);
    g_assert_cmpuint(json_array_get_length(json_object_get_array_member(bus, "devices")), ==, 1);
    check_edu_entry(json_array_get_object_element(json_object_get_array_member(bus, "devices"),
                                                  0), 5, "e4", -1);

    /* an assigned and enabled BAR shows its bus address */
    qos_pci_map_bar0(qts, 4, DEVFN(5, 0), 0xc0000000);
    b = qmp_array(qts, "query-pci");
    bus = json_array_get_object_element(b, 2);
    check_edu_entry(json_array_get_object_element(json_object_get_array_member(bus, "devices"),
                                                  0), 5, "e4", 0xc0000000);
    qtest_quit(qts);
}

static void check_default_window(JsonObject *phb, uint32_t liobn, int64_t in_use)
{
    JsonArray *w = json_object_get_array_member(phb, "windows");
    JsonObject *o;

    g_assert_cmpuint(json_array_get_length(w), ==, 1);
    o = json_array_get_object_element(w, 0);
    g_assert_cmphex(json_object_get_int_member(o, "liobn"), ==, liobn);
    g_assert_cmpstr(json_object_get_string_member(o, "type"), ==, "default32");
    g_assert_cmphex(json_object_get_int_member(o, "bus-start"), ==, 0);
    g_assert_cmphex(json_object_get_int_member(o, "size"), ==, 0x40000000);
    g_assert_cmpint(json_object_get_int_member(o, "page-shift"), ==, 12);
    g_assert_cmpint(json_object_get_int_member(o, "entries"), ==, 0x40000);
    g_assert_cmpint(json_object_get_int_member(o, "entries-in-use"), ==, in_use);
}

static void test_query_spapr_phbs(void)
{
    QTestState *qts = start("-device spapr-pci-host-bridge,index=3,id=phb3,ddw=off");
    g_autoptr(JsonArray) a = qmp_array(qts, "query-spapr-phbs");
    g_autoptr(JsonArray) b = NULL;
    JsonObject *p;

    g_assert_cmpuint(json_array_get_length(a), ==, 2);
    p = json_array_get_object_element(a, 0);
    g_assert_cmpint(json_object_get_int_member(p, "index"), ==, 0);
    g_assert_cmphex(json_object_get_int_member(p, "buid"), ==, 0x800000020000000ull);
    g_assert_cmpstr(json_object_get_string_member(p, "type"), ==, "spapr-pci-host-bridge");
    g_assert_false(json_object_has_member(p, "id"));
    g_assert_cmpstr(json_object_get_string_member(p, "bus"), ==, "pci.0");
    g_assert_true(json_object_get_boolean_member(p, "ddw"));
    g_assert_cmpint(json_object_get_int_member(p, "dma-faults"), ==, 0);
    check_default_window(p, 0x80000000, 0);

    p = json_array_get_object_element(a, 1);
    g_assert_cmpint(json_object_get_int_member(p, "index"), ==, 3);
    g_assert_cmphex(json_object_get_int_member(p, "buid"), ==, 0x800000020000003ull);
    g_assert_cmpstr(json_object_get_string_member(p, "id"), ==, "phb3");
    g_assert_cmpstr(json_object_get_string_member(p, "bus"), ==, "phb3.0");
    g_assert_false(json_object_get_boolean_member(p, "ddw"));
    check_default_window(p, 0x80000300, 0);

    /* a mapping shows in its window only */
    g_assert_cmpint(qos_h_put_tce(qts, 0x80000300, 0x5000, GPA_A | TCE_RW), ==, H_SUCCESS);
    b = qmp_array(qts, "query-spapr-phbs");
    check_default_window(json_array_get_object_element(b, 0), 0x80000000, 0);
    check_default_window(json_array_get_object_element(b, 1), 0x80000300, 1);
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/spapr-pci/config/read-sizes", test_cfg_read_sizes);
    g_test_add_func("/spapr-pci/config/write-sizes", test_cfg_write_sizes);
    g_test_add_func("/spapr-pci/config/bad-size", test_cfg_bad_size);
    g_test_add_func("/spapr-pci/config/unaligned", test_cfg_unaligned);
    g_test_add_func("/spapr-pci/config/conventional-ext-refused",
                    test_cfg_conventional_ext_refused);
    g_test_add_func("/spapr-pci/config/pcie-ext-allowed", test_cfg_pcie_ext_allowed);
    g_test_add_func("/spapr-pci/config/pcie-ecs-off-refused", test_cfg_pcie_ecs_off_refused);
    g_test_add_func("/spapr-pci/config/unknown-buid", test_cfg_unknown_buid);
    g_test_add_func("/spapr-pci/config/empty-devfn", test_cfg_empty_devfn);
    g_test_add_func("/spapr-pci/config/bus-nonzero", test_cfg_bus_nonzero);
    g_test_add_func("/spapr-pci/config/legacy-calls", test_cfg_legacy_calls);
    g_test_add_func("/spapr-pci/config/wrong-nargs", test_cfg_wrong_nargs);
    g_test_add_func("/spapr-pci/bar/sizing", test_bar_sizing);
    g_test_add_func("/spapr-pci/bar/mmio", test_bar_mmio);
    g_test_add_func("/spapr-pci/edu/id-liveness", test_edu_id_liveness);
    g_test_add_func("/spapr-pci/edu/factorial", test_edu_factorial);
    g_test_add_func("/spapr-pci/edu/intx", test_edu_intx);
    g_test_add_func("/spapr-pci/edu/intx-swizzle", test_edu_intx_swizzle);
    g_test_add_func("/spapr-pci/edu/dma-from-ram", test_edu_dma_from_ram);
    g_test_add_func("/spapr-pci/edu/dma-to-ram", test_edu_dma_to_ram);
    g_test_add_func("/spapr-pci/edu/dma-unmapped", test_edu_dma_unmapped);
    g_test_add_func("/spapr-pci/msi/change-and-notify", test_msi_change_and_notify);
    g_test_add_func("/spapr-pci/msi/bad-function", test_msi_bad_function);
    g_test_add_func("/spapr-pci/msi/request-over-max", test_msi_request_over_max);
    g_test_add_func("/spapr-pci/msi/release-unallocated", test_msi_release_unallocated);
    g_test_add_func("/spapr-pci/multifunction", test_multifunction);
    g_test_add_func("/spapr-pci/hotplug/phb-and-edu", test_hotplug_phb_and_edu);
    g_test_add_func("/spapr-pci/device-add/duplicate-index", test_device_add_duplicate_index);
    g_test_add_func("/spapr-pci/device-add/index-too-large", test_device_add_index_too_large);
    g_test_add_func("/spapr-pci/device-add/index-missing", test_device_add_index_missing);
    g_test_add_func("/spapr-pci/device-add/no-such-bus", test_device_add_no_such_bus);
    g_test_add_func("/spapr-pci/device-add/addr-taken", test_device_add_addr_taken);
    g_test_add_func("/spapr-pci/phb/anonymous-bus-name", test_phb_anonymous_bus_name);
    g_test_add_func("/spapr-pci/qmp/query-pci", test_query_pci);
    g_test_add_func("/spapr-pci/qmp/query-spapr-phbs", test_query_spapr_phbs);
    return g_test_run();
}
