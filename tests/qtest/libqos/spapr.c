/*
 * Guest-side helpers for pseries tests.
 */
#include "spapr.h"

#include <string.h>

void qos_stl_be(QTestState *qts, uint64_t addr, uint32_t v)
{
    qtest_writel(qts, addr, v);     /* qtest values are target (big) endian */
}

uint32_t qos_ldl_be(QTestState *qts, uint64_t addr)
{
    return qtest_readl(qts, addr);
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
