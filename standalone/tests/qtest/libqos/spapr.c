/*
 * Guest-side helpers for pseries tests.
 */
#include "spapr.h"

#include <string.h>

/* hypercall opcodes (PAPR) */
#define QOS_H_GET_TCE 0x1C
#define QOS_H_PUT_TCE 0x20
#define QOS_H_STUFF_TCE 0x138
#define QOS_H_PUT_TCE_INDIRECT 0x13C
#define QOS_H_SUCCESS 0

#define PCI_BASE_ADDRESS_0 0x10
#define PCI_COMMAND 0x04
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4

void qos_stl_be(QTestState *qts, uint64_t addr, uint32_t v)
{
    qtest_writel(qts, addr, v);     /* qtest values are target (big) endian */
}

uint32_t qos_ldl_be(QTestState *qts, uint64_t addr)
{
    return qtest_readl(qts, addr);
}

void qos_stl_le(QTestState *qts, uint64_t addr, uint32_t v)
{
    qtest_writel(qts, addr, GUINT32_SWAP_LE_BE(v));
}

uint32_t qos_ldl_le(QTestState *qts, uint64_t addr)
{
    return GUINT32_SWAP_LE_BE(qtest_readl(qts, addr));
}

void qos_stq_le(QTestState *qts, uint64_t addr, uint64_t v)
{
    qtest_writeq(qts, addr, GUINT64_SWAP_LE_BE(v));
}

uint64_t qos_ldq_le(QTestState *qts, uint64_t addr)
{
    return GUINT64_SWAP_LE_BE(qtest_readq(qts, addr));
}

uint64_t qrtas_call(QTestState *qts, const char *name, uint32_t nargs, const uint32_t *args,
                    uint32_t nret, uint32_t *rets)
{
    uint64_t a = QOS_SCRATCH, r = QOS_SCRATCH + 4 * nargs;
    uint64_t ret;

    for (uint32_t i = 0; i < nargs; i++) {
        qos_stl_be(qts, a + 4 * i, args[i]);
    }
    /* poison the return cells so a call that forgets one is caught */
    for (uint32_t i = 0; i < nret; i++) {
        qos_stl_be(qts, r + 4 * i, 0xdeadbeef);
    }
    ret = qtest_rtas_call(qts, name, nargs, a, nret, r);
    for (uint32_t i = 0; i < nret && rets; i++) {
        rets[i] = qos_ldl_be(qts, r + 4 * i);
    }
    return ret;
}

uint32_t qos_cfg_addr(int devfn, uint32_t reg)
{
    return ((reg & 0xf00) << 20) | (devfn & 0xff) << 8 | (reg & 0xff);
}

int32_t qrtas_cfg_read(QTestState *qts, unsigned index, int devfn, uint32_t reg, int size,
                       uint32_t *val)
{
    uint64_t buid = SPAPR_BUID(index);
    uint32_t args[] = { qos_cfg_addr(devfn, reg), buid >> 32, (uint32_t)buid, size };
    uint32_t rets[2];

    g_assert_cmpuint(qrtas_call(qts, "ibm,read-pci-config", 4, args, 2, rets), ==, 0);
    if (val) {
        *val = rets[1];
    }
    return (int32_t)rets[0];
}

int32_t qrtas_cfg_write(QTestState *qts, unsigned index, int devfn, uint32_t reg, int size,
                        uint32_t val)
{
    uint64_t buid = SPAPR_BUID(index);
    uint32_t args[] = { qos_cfg_addr(devfn, reg), buid >> 32, (uint32_t)buid, size, val };
    uint32_t rets[1];

    g_assert_cmpuint(qrtas_call(qts, "ibm,write-pci-config", 5, args, 1, rets), ==, 0);
    return (int32_t)rets[0];
}

uint64_t qos_pci_map_bar0(QTestState *qts, unsigned index, int devfn, uint32_t pci)
{
    g_assert_cmpint(qrtas_cfg_write(qts, index, devfn, PCI_BASE_ADDRESS_0, 4, pci), ==, 0);
    g_assert_cmpint(qrtas_cfg_write(qts, index, devfn, PCI_COMMAND, 2,
                                    PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER), ==, 0);
    return SPAPR_PCI_MEM32_CPU(index) + (pci - SPAPR_PCI_BUS_MEM32);
}

/* TCE hypercalls */

int64_t qos_h_put_tce(QTestState *qts, uint64_t liobn, uint64_t ioba, uint64_t tce)
{
    uint64_t a[] = { liobn, ioba, tce };

    return qtest_hcall(qts, QOS_H_PUT_TCE, 3, a, NULL, 0, NULL);
}

int64_t qos_h_get_tce(QTestState *qts, uint64_t liobn, uint64_t ioba, uint64_t *tce)
{
    uint64_t a[] = { liobn, ioba }, out[1] = { 0 };
    int n = 0;
    int64_t r = qtest_hcall(qts, QOS_H_GET_TCE, 2, a, out, 1, &n);

    if (r == QOS_H_SUCCESS) {
        g_assert_cmpint(n, ==, 1);
    }
    *tce = out[0];
    return r;
}

int64_t qos_h_stuff_tce(QTestState *qts, uint64_t liobn, uint64_t ioba, uint64_t tce,
                        uint64_t npages)
{
    uint64_t a[] = { liobn, ioba, tce, npages };

    return qtest_hcall(qts, QOS_H_STUFF_TCE, 4, a, NULL, 0, NULL);
}

int64_t qos_h_put_tce_indirect(QTestState *qts, uint64_t liobn, uint64_t ioba, uint64_t list,
                               uint64_t npages)
{
    uint64_t a[] = { liobn, ioba, list, npages };

    return qtest_hcall(qts, QOS_H_PUT_TCE_INDIRECT, 4, a, NULL, 0, NULL);
}

int64_t qos_h_put_tce_list(QTestState *qts, uint64_t liobn, uint64_t ioba, uint64_t list,
                           const uint64_t *tces, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        qtest_writeq(qts, list + 8 * i, tces[i]);   /* qtest writes big-endian */
    }
    return qos_h_put_tce_indirect(qts, liobn, ioba, list, n);
}

/* DDW */

int32_t qrtas_ddw_query(QTestState *qts, uint32_t cfg_addr, uint64_t buid, uint32_t nret,
                        uint32_t *rets)
{
    uint32_t args[3] = { cfg_addr, buid >> 32, (uint32_t)buid };

    g_assert_cmpuint(qrtas_call(qts, "ibm,query-pe-dma-window", 3, args, nret, rets), ==, 0);
    return (int32_t)rets[0];
}

int32_t qrtas_ddw_create(QTestState *qts, uint32_t cfg_addr, uint64_t buid, uint32_t page_shift,
                         uint32_t window_shift, uint32_t *liobn, uint64_t *start)
{
    uint32_t args[5] = { cfg_addr, buid >> 32, (uint32_t)buid, page_shift, window_shift };
    uint32_t rets[4];

    g_assert_cmpuint(qrtas_call(qts, "ibm,create-pe-dma-window", 5, args, 4, rets), ==, 0);
    if (liobn) {
        *liobn = rets[1];
    }
    if (start) {
        *start = (uint64_t)rets[2] << 32 | rets[3];
    }
    return (int32_t)rets[0];
}

int32_t qrtas_ddw_remove(QTestState *qts, uint32_t liobn)
{
    uint32_t rets[1];

    g_assert_cmpuint(qrtas_call(qts, "ibm,remove-pe-dma-window", 1, &liobn, 1, rets), ==, 0);
    return (int32_t)rets[0];
}

int32_t qrtas_ddw_reset(QTestState *qts, uint32_t cfg_addr, uint64_t buid)
{
    uint32_t args[3] = { cfg_addr, buid >> 32, (uint32_t)buid }, rets[1];

    g_assert_cmpuint(qrtas_call(qts, "ibm,reset-pe-dma-window", 3, args, 1, rets), ==, 0);
    return (int32_t)rets[0];
}

/* DRCs and events */

int32_t qrtas_get_sensor_state(QTestState *qts, uint32_t sensor, uint32_t index,
                               uint32_t *state)
{
    uint32_t args[2] = { sensor, index }, rets[2];

    g_assert_cmpuint(qrtas_call(qts, "get-sensor-state", 2, args, 2, rets), ==, 0);
    *state = rets[1];
    return (int32_t)rets[0];
}

int32_t qrtas_set_indicator(QTestState *qts, uint32_t indicator, uint32_t index,
                            uint32_t state)
{
    uint32_t args[3] = { indicator, index, state }, rets[1];

    g_assert_cmpuint(qrtas_call(qts, "set-indicator", 3, args, 1, rets), ==, 0);
    return (int32_t)rets[0];
}

int32_t qrtas_configure_connector(QTestState *qts, uint64_t wa)
{
    uint32_t args[2] = { (uint32_t)wa, wa >> 32 }, rets[1];

    g_assert_cmpuint(qrtas_call(qts, "ibm,configure-connector", 2, args, 1, rets), ==, 0);
    return (int32_t)rets[0];
}

int32_t qrtas_check_exception(QTestState *qts, uint32_t mask, uint64_t buf, uint32_t len)
{
    uint32_t args[6] = { 0, 0, mask, 0, (uint32_t)buf, len }, rets[1];

    g_assert_cmpuint(qrtas_call(qts, "check-exception", 6, args, 1, rets), ==, 0);
    return (int32_t)rets[0];
}

/* MSI */

int32_t qrtas_change_msi(QTestState *qts, unsigned index, int devfn, uint32_t func,
                         uint32_t req, uint32_t *rets)
{
    uint64_t buid = SPAPR_BUID(index);
    uint32_t args[] = { qos_cfg_addr(devfn, 0), buid >> 32, (uint32_t)buid, func, req, 7 };

    g_assert_cmpuint(qrtas_call(qts, "ibm,change-msi", 6, args, 4, rets), ==, 0);
    return (int32_t)rets[0];
}

int32_t qrtas_query_irq(QTestState *qts, unsigned index, int devfn, uint32_t n,
                        uint32_t *irq)
{
    uint64_t buid = SPAPR_BUID(index);
    uint32_t args[] = { qos_cfg_addr(devfn, 0), buid >> 32, (uint32_t)buid, n };
    uint32_t rets[3];

    g_assert_cmpuint(qrtas_call(qts, "ibm,query-interrupt-source-number", 4, args, 3, rets),
                     ==, 0);
    if (rets[0] == 0) {
        g_assert_cmpuint(rets[2], ==, 1);                   /* edge */
    }
    *irq = rets[1];
    return (int32_t)rets[0];
}

/* The PHBs through QMP */

JsonObject *qos_phb_info(QTestState *qts, unsigned index)
{
    JsonObject *rsp = qtest_qmp(qts, "{\"execute\": \"query-spapr-phbs\"}");
    JsonArray *a = json_node_get_array(qmp_rsp_return(rsp));
    JsonObject *found = NULL;

    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonObject *o = json_array_get_object_element(a, i);
        if (json_object_get_int_member(o, "index") == index) {
            found = json_object_ref(o);
            break;
        }
    }
    json_object_unref(rsp);
    return found;
}

unsigned qos_phb_count(QTestState *qts)
{
    JsonObject *rsp = qtest_qmp(qts, "{\"execute\": \"query-spapr-phbs\"}");
    unsigned n = json_array_get_length(json_node_get_array(qmp_rsp_return(rsp)));

    json_object_unref(rsp);
    return n;
}
