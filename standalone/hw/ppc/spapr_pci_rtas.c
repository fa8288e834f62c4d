/*
 * RTAS calls of PHBs: config space access and MSI allocation.
 *
 * Errors follow QEMU's numbers where it defines them (a guest written for
 * QEMU sees the same), with one rule from the machine core on top: a
 * wrong NARGS/NRET is a parameter error (-3) and changes nothing.
 */
#include "qemu/osdep.h"
#include "hw/ppc/spapr.h"
#include "hw/ppc/spapr_irq.h"
#include "hw/ppc/spapr_pci.h"
#include "hw/ppc/spapr_rtas.h"

#define RTAS_TYPE_MSI  1
#define RTAS_TYPE_MSIX 2
#define RTAS_CHANGE_FN       1    /* MSI if the function has it, else MSI-X */
#define RTAS_CHANGE_MSI_FN   3
#define RTAS_CHANGE_MSIX_FN  4

static uint64_t buid_of(hwaddr args)
{
    return (uint64_t)rtas_ld(args, 1) << 32 | rtas_ld(args, 2);
}

/* Config address: bus 23..16, devfn 15..8, register 7..0 plus 11..8 in bits 31..28. */
static PCIDevice *find_function(SpaprPhb *phb, uint32_t cfg)
{
    if (!phb || ((cfg >> 16) & 0xff) != 0) {
        return NULL;            /* only the root bus exists behind a PHB */
    }
    return pci_find_device(phb->bus, (cfg >> 8) & 0xff);
}

static uint32_t cfg_reg(uint32_t cfg)
{
    return ((cfg >> 20) & 0xf00) | (cfg & 0xff);
}

static bool cfg_access_ok(PCIDevice *dev, uint32_t reg, uint32_t size)
{
    return dev && (size == 1 || size == 2 || size == 4) && !(reg % size) &&
           reg + size <= pci_config_size_visible(dev);
}

static void read_config(SpaprMachine *spapr, uint64_t buid, uint32_t cfg, uint32_t size,
                        hwaddr rets)
{
    PCIDevice *dev = find_function(spapr_phb_by_buid(spapr, buid), cfg);
    uint32_t reg = cfg_reg(cfg);

    if (!cfg_access_ok(dev, reg, size)) {
        rtas_st(rets, 0, RTAS_OUT_HW_ERROR);
        return;
    }
    rtas_st(rets, 1, pci_config_read(dev, reg, size));
    rtas_st(rets, 0, RTAS_OUT_SUCCESS);
}

static void write_config(SpaprMachine *spapr, uint64_t buid, uint32_t cfg, uint32_t size,
                         uint32_t val, hwaddr rets)
{
    PCIDevice *dev = find_function(spapr_phb_by_buid(spapr, buid), cfg);
    uint32_t reg = cfg_reg(cfg);

    if (!cfg_access_ok(dev, reg, size)) {
        rtas_st(rets, 0, RTAS_OUT_HW_ERROR);
        return;
    }
    pci_config_write(dev, reg, val, size);
    rtas_st(rets, 0, RTAS_OUT_SUCCESS);
}

static void rtas_ibm_read_pci_config(SpaprMachine *spapr, uint32_t token, uint32_t nargs,
                                     hwaddr args, uint32_t nret, hwaddr rets)
{
    if (nargs != 4 || nret != 2) {
        rtas_st(rets, 0, RTAS_OUT_PARAM_ERROR);
        return;
    }
    read_config(spapr, buid_of(args), rtas_ld(args, 0), rtas_ld(args, 3), rets);
}

static void rtas_ibm_write_pci_config(SpaprMachine *spapr, uint32_t token, uint32_t nargs,
                                      hwaddr args, uint32_t nret, hwaddr rets)
{
    if (nargs != 5 || nret != 1) {
        rtas_st(rets, 0, RTAS_OUT_PARAM_ERROR);
        return;
    }
    write_config(spapr, buid_of(args), rtas_ld(args, 0), rtas_ld(args, 3), rtas_ld(args, 4),
                 rets);
}

/* The old calls carry no BUID: like QEMU they address BUID 0, which no PHB has. */
static void rtas_read_pci_config(SpaprMachine *spapr, uint32_t token, uint32_t nargs,
                                 hwaddr args, uint32_t nret, hwaddr rets)
{
    if (nargs != 2 || nret != 2) {
        rtas_st(rets, 0, RTAS_OUT_PARAM_ERROR);
        return;
    }
    read_config(spapr, 0, rtas_ld(args, 0), rtas_ld(args, 1), rets);
}

static void rtas_write_pci_config(SpaprMachine *spapr, uint32_t token, uint32_t nargs,
                                  hwaddr args, uint32_t nret, hwaddr rets)
{
    if (nargs != 3 || nret != 1) {
        rtas_st(rets, 0, RTAS_OUT_PARAM_ERROR);
        return;
    }
    write_config(spapr, 0, rtas_ld(args, 0), rtas_ld(args, 1), rtas_ld(args, 2), rets);
}

/* MSI --------------------------------------------------------------------- */

static void msi_release(SpaprMachine *spapr, SpaprPhb *phb, PCIDevice *dev, SpaprPhbMsi *msi)
{
    if (msi->msix) {
        for (unsigned i = 0; i < msi->num; i++) {
            msix_set_message(dev, i, 0, 0);
        }
    } else {
        msi_set_message(dev, 0, 0, 0);
    }
    spapr_irq_free(spapr, msi->first_irq, msi->num);
    g_hash_table_remove(phb->msi, GINT_TO_POINTER(dev->devfn));
}

static void rtas_ibm_change_msi(SpaprMachine *spapr, uint32_t token, uint32_t nargs,
                                hwaddr args, uint32_t nret, hwaddr rets)
{
    uint32_t cfg, func, req, seq;
    SpaprPhb *phb;
    PCIDevice *dev;
    SpaprPhbMsi *msi;
    unsigned max, nvec;
    bool msix;
    int first;

    if (nargs != 6 || (nret != 3 && nret != 4)) {
        rtas_st(rets, 0, RTAS_OUT_PARAM_ERROR);
        return;
    }
    cfg = rtas_ld(args, 0);
    func = rtas_ld(args, 3);
    req = rtas_ld(args, 4);
    seq = rtas_ld(args, 5);
    phb = spapr_phb_by_buid(spapr, buid_of(args));
    dev = find_function(phb, cfg);
    if (!dev) {
        rtas_st(rets, 0, RTAS_OUT_PARAM_ERROR);
        return;
    }
    switch (func) {
    case RTAS_CHANGE_FN:
        msix = !dev->msi_cap;
        break;
    case RTAS_CHANGE_MSI_FN:
        msix = false;
        break;
    case RTAS_CHANGE_MSIX_FN:
        msix = true;
        break;
    default:
        rtas_st(rets, 0, RTAS_OUT_PARAM_ERROR);
        return;
    }
    if ((msix && !dev->msix_cap) || (!msix && !dev->msi_cap)) {
        rtas_st(rets, 0, RTAS_OUT_PARAM_ERROR);
        return;
    }
    msi = g_hash_table_lookup(phb->msi, GINT_TO_POINTER(dev->devfn));

    if (req == 0) {
        if (!msi) {
            rtas_st(rets, 0, RTAS_OUT_HW_ERROR);
            return;
        }
        msi_release(spapr, phb, dev, msi);
        rtas_st(rets, 0, RTAS_OUT_SUCCESS);
        rtas_st(rets, 1, 0);
        rtas_st(rets, 2, seq + 1);
        if (nret > 3) {
            rtas_st(rets, 3, msix ? RTAS_TYPE_MSIX : RTAS_TYPE_MSI);
        }
        return;
    }
    max = msix ? msix_nr_vectors(dev) : msi_max_vectors(dev);
    if (!max) {
        rtas_st(rets, 0, RTAS_OUT_HW_ERROR);
        return;
    }
    if (req > max) {
        /* PAPR: tell the guest how many it may have; it asks again */
        rtas_st(rets, 0, RTAS_OUT_SUCCESS);
        rtas_st(rets, 1, max);
        rtas_st(rets, 2, seq + 1);
        if (nret > 3) {
            rtas_st(rets, 3, msix ? RTAS_TYPE_MSIX : RTAS_TYPE_MSI);
        }
        return;
    }
    if (msi) {
        msi_release(spapr, phb, dev, msi);
    }
    /* MSI's Multiple Message Enable is a power of two (g_bit_storage(0) is 1, not 0) */
    nvec = msix || req == 1 ? req : 1u << g_bit_storage(req - 1);
    first = spapr_irq_msi_alloc(spapr, nvec, NULL);
    if (first < 0) {
        rtas_st(rets, 0, RTAS_OUT_HW_ERROR);
        return;
    }
    if (msix) {
        for (unsigned i = 0; i < req; i++) {
            msix_set_message(dev, i, SPAPR_PCI_MSI_WINDOW, first + i);
        }
    } else {
        msi_set_message(dev, SPAPR_PCI_MSI_WINDOW, first, nvec);
    }
    msi = g_new0(SpaprPhbMsi, 1);
    *msi = (SpaprPhbMsi){ .first_irq = first, .num = nvec, .msix = msix };
    g_hash_table_insert(phb->msi, GINT_TO_POINTER(dev->devfn), msi);
    rtas_st(rets, 0, RTAS_OUT_SUCCESS);
    rtas_st(rets, 1, req);
    rtas_st(rets, 2, seq + 1);
    if (nret > 3) {
        rtas_st(rets, 3, msix ? RTAS_TYPE_MSIX : RTAS_TYPE_MSI);
    }
}

static void rtas_ibm_query_interrupt_source_number(SpaprMachine *spapr, uint32_t token,
                                                   uint32_t nargs, hwaddr args, uint32_t nret,
                                                   hwaddr rets)
{
    SpaprPhb *phb;
    PCIDevice *dev;
    SpaprPhbMsi *msi;
    uint32_t ioa_intr;

    if (nargs != 4 || nret != 3) {
        rtas_st(rets, 0, RTAS_OUT_PARAM_ERROR);
        return;
    }
    phb = spapr_phb_by_buid(spapr, buid_of(args));
    dev = find_function(phb, rtas_ld(args, 0));
    if (!dev) {
        rtas_st(rets, 0, RTAS_OUT_PARAM_ERROR);
        return;
    }
    ioa_intr = rtas_ld(args, 3);
    msi = g_hash_table_lookup(phb->msi, GINT_TO_POINTER(dev->devfn));
    if (!msi || ioa_intr >= msi->num) {
        rtas_st(rets, 0, RTAS_OUT_HW_ERROR);
        return;
    }
    rtas_st(rets, 0, RTAS_OUT_SUCCESS);
    rtas_st(rets, 1, msi->first_irq + ioa_intr);
    rtas_st(rets, 2, 1);        /* edge (0 would be level) */
}

void spapr_pci_register_rtas(void)
{
    spapr_rtas_register(RTAS_READ_PCI_CONFIG, "read-pci-config", rtas_read_pci_config);
    spapr_rtas_register(RTAS_WRITE_PCI_CONFIG, "write-pci-config", rtas_write_pci_config);
    spapr_rtas_register(RTAS_IBM_READ_PCI_CONFIG, "ibm,read-pci-config", rtas_ibm_read_pci_config);
    spapr_rtas_register(RTAS_IBM_WRITE_PCI_CONFIG, "ibm,write-pci-config",
                        rtas_ibm_write_pci_config);
    spapr_rtas_register(RTAS_IBM_QUERY_INTERRUPT_SOURCE_NUMBER,
                        "ibm,query-interrupt-source-number",
                        rtas_ibm_query_interrupt_source_number);
    spapr_rtas_register(RTAS_IBM_CHANGE_MSI, "ibm,change-msi", rtas_ibm_change_msi);
}
