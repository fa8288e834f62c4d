/*
 * EEH on a vPHB: offered on an sPAPR TCE host, not on a Type1 host
 *
 * EEH is an operation of the sPAPR TCE IOMMU: a Type1 container answers
 * VFIO_EEH_PE_OP with ENOTTY.  A vPHB on an sPAPR host must let the
 * guest's EEH RTAS calls through to its container; on a Type1 host the
 * PHB must report no EEH (RTAS parameter error, as for an emulated PHB)
 * instead of sending the ioctl and failing with a hardware error
 * (patches/0005-*).
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "vphb-fake.h"

#define RTAS_OUT_SUCCESS        0
#define RTAS_OUT_HW_ERROR       (-1)
#define RTAS_OUT_PARAM_ERROR    (-3)

/* ibm,set-eeh-option's options (LoPAPR) */
#define RTAS_EEH_ENABLE         1

/* BUID of PHB @index, as QEMU places it (SPAPR_PCI_BASE_BUID + index) */
#define PHB_BUID(index)         (0x800000020000000ULL + (index))

/* guest RAM for the RTAS buffers: below the kernel QEMU does not load */
#define RTAS_ARGS               0x100000
#define RTAS_RETS               0x100100

static int32_t set_eeh_option(QTestState *qts, uint64_t buid, uint32_t addr,
                              uint32_t option)
{
    qtest_writel(qts, RTAS_ARGS, addr);
    qtest_writel(qts, RTAS_ARGS + 4, buid >> 32);
    qtest_writel(qts, RTAS_ARGS + 8, buid & 0xffffffff);
    qtest_writel(qts, RTAS_ARGS + 12, option);
    qtest_writel(qts, RTAS_RETS, 0x5a5a5a5a);
    g_assert_cmpint(qtest_rtas_call(qts, "ibm,set-eeh-option", 4, RTAS_ARGS,
                                    1, RTAS_RETS), ==, 0);
    return (int32_t)qtest_readl(qts, RTAS_RETS);
}

/* group 1's EEH as the fake kernel sees it */
static bool group_eeh_enabled(VphbFake *f, int64_t group)
{
    g_autoptr(QDict) state = vphb_fake_state(f);
    QDict *g = vphb_fake_find(state, "groups", group);

    g_assert(g);
    return qdict_get_bool(g, "eeh-enabled");
}

static void test_eeh(const void *opaque)
{
    const char *iommu = opaque;
    bool spapr = !strcmp(iommu, "spapr-tce-v2");
    VphbFake f;
    int32_t ret;

    vphb_fake_start(&f, iommu, NULL, NULL,
                    "-device spapr-pci-vfio-host-bridge,index=1,id=vphb1,"
                    "iommu=1");

    /* config address of the PE: bus 0, device 0 (the group's function) */
    ret = set_eeh_option(f.qts, PHB_BUID(1), 0, RTAS_EEH_ENABLE);
    if (spapr) {
        g_assert_cmpint(ret, ==, RTAS_OUT_SUCCESS);
        g_assert_true(group_eeh_enabled(&f, 1));
    } else {
        /* no EEH on this PHB: what an emulated PHB answers too */
        g_assert_cmpint(ret, ==, RTAS_OUT_PARAM_ERROR);
        g_assert_false(group_eeh_enabled(&f, 1));
    }

    /* the default PHB has no VFIO device: never EEH */
    g_assert_cmpint(set_eeh_option(f.qts, PHB_BUID(0), 0, RTAS_EEH_ENABLE),
                    ==, RTAS_OUT_PARAM_ERROR);
    vphb_fake_stop(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    qtest_add_data_func("vphb/eeh/spapr-tce-v2", "spapr-tce-v2", test_eeh);
    qtest_add_data_func("vphb/eeh/type1", "type1", test_eeh);

    return g_test_run();
}
