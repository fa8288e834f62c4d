/*
 * Dynamic DMA windows: ibm,query-pe-dma-window, ibm,create-pe-dma-window,
 * ibm,remove-pe-dma-window, ibm,reset-pe-dma-window.
 *
 * A PHB is one PE, so the config address argument is not used (as in
 * QEMU).  Values and error codes follow QEMU's, which Linux is tested
 * against.
 */
#include "qemu/osdep.h"
#include "hw/ppc/spapr.h"
#include "hw/ppc/spapr_iommu.h"
#include "hw/ppc/spapr_pci.h"
#include "hw/ppc/spapr_rtas.h"
#include "trace-events-all.h"

/* Largest window, in TCEs, for the 6-output query: 1 << (58 - 21), QEMU's value */
#define DDW_LARGEST_BLOCK (1ull << 37)

/* LoPAPR's page-size bits of the query (2M came later, hence out of order). */
static const struct {
    uint32_t shift;
    uint32_t bit;
} ddw_page_bits[] = {
    { 12, 0x001 }, { 16, 0x002 }, { 24, 0x004 }, { 25, 0x008 }, { 26, 0x010 },
    { 27, 0x020 }, { 28, 0x040 }, { 34, 0x080 }, { 21, 0x100 },
};

static uint32_t encode_page_mask(uint64_t mask)
{
    uint32_t out = 0;

    for (size_t i = 0; i < G_N_ELEMENTS(ddw_page_bits); i++) {
        if (mask & (1ull << ddw_page_bits[i].shift)) {
            out |= ddw_page_bits[i].bit;
        }
    }
    return out;
}

static SpaprPhb *ddw_phb(SpaprMachine *spapr, hwaddr args)
{
    uint64_t buid = (uint64_t)rtas_ld(args, 1) << 32 | rtas_ld(args, 2);
    SpaprPhb *phb = spapr_phb_by_buid(spapr, buid);

    return phb && phb->ddw_enabled ? phb : NULL;
}

static void rtas_query_pe_dma_window(SpaprMachine *spapr, uint32_t token, uint32_t nargs,
                                     hwaddr args, uint32_t nret, hwaddr rets)
{
    SpaprPhb *phb;
    uint32_t avail, mask;

    if (nargs != 3 || (nret != 5 && nret != 6)) {
        rtas_st(rets, 0, RTAS_OUT_PARAM_ERROR);
        return;
    }
    phb = ddw_phb(spapr, args);
    if (!phb) {
        rtas_st(rets, 0, RTAS_OUT_PARAM_ERROR);
        return;
    }
    avail = SPAPR_PCI_DMA_MAX_WINDOWS - spapr_phb_windows_enabled(phb);
    mask = encode_page_mask(spapr_phb_ddw_page_mask(phb));
    rtas_st(rets, 0, RTAS_OUT_SUCCESS);
    rtas_st(rets, 1, avail);
    if (nret == 6) {
        rtas_st(rets, 2, DDW_LARGEST_BLOCK >> 32);
        rtas_st(rets, 3, (uint32_t)DDW_LARGEST_BLOCK);
        rtas_st(rets, 4, mask);
        rtas_st(rets, 5, 0);             /* no migration capability */
    } else {
        rtas_st(rets, 2, 0x80000000);
        rtas_st(rets, 3, mask);
        rtas_st(rets, 4, 0);
    }
    trace_spapr_ddw_query(phb->index, avail, mask);
}

static void rtas_create_pe_dma_window(SpaprMachine *spapr, uint32_t token, uint32_t nargs,
                                      hwaddr args, uint32_t nret, hwaddr rets)
{
    g_autoptr(GError) err = NULL;
    SpaprPhb *phb;
    SpaprTceWindow *w = NULL;
    uint32_t page_shift, window_shift;
    uint64_t start;
    int ret = RTAS_OUT_PARAM_ERROR;

    if (nargs != 5 || nret != 4) {
        rtas_st(rets, 0, RTAS_OUT_PARAM_ERROR);
        return;
    }
    phb = ddw_phb(spapr, args);
    page_shift = rtas_ld(args, 3);
    window_shift = rtas_ld(args, 4);
    if (!phb || page_shift >= 64 || !(spapr_phb_ddw_page_mask(phb) & (1ull << page_shift)) ||
        window_shift < page_shift || window_shift >= 64 ||
        window_shift - page_shift > 37) {
        goto out;
    }
    /* the first free window: normally #1; #0 if the guest removed the default */
    for (unsigned i = 0; i < SPAPR_PCI_DMA_MAX_WINDOWS && !w; i++) {
        if (!phb->windows[i].enabled) {
            w = &phb->windows[i];
        }
    }
    if (!w) {
        ret = RTAS_OUT_HW_ERROR;
        goto out;
    }
    /* alone, the window goes where the default was; beside it, at dma64_win_addr */
    start = spapr_phb_windows_enabled(phb) ? phb->dma64_win_addr : phb->dma_win_addr;
    w->ddw = true;          /* backends place a DDW where the host can put it */
    if (!spapr_tce_window_enable(w, &start, page_shift, 1ull << (window_shift - page_shift),
                                 &err)) {
        w->ddw = false;
        ret = RTAS_OUT_HW_ERROR;
        goto out;
    }
    rtas_st(rets, 1, w->liobn);
    rtas_st(rets, 2, start >> 32);
    rtas_st(rets, 3, (uint32_t)start);
    ret = RTAS_OUT_SUCCESS;
out:
    trace_spapr_ddw_create(phb ? phb->index : (uint32_t)-1, page_shift, window_shift,
                           ret ? 0 : w->liobn, ret ? 0 : w->bus_offset, ret);
    rtas_st(rets, 0, ret);
}

static void rtas_remove_pe_dma_window(SpaprMachine *spapr, uint32_t token, uint32_t nargs,
                                      hwaddr args, uint32_t nret, hwaddr rets)
{
    SpaprTceWindow *w;
    uint32_t liobn;
    SpaprPhb *phb;

    if (nargs != 1 || nret != 1) {
        rtas_st(rets, 0, RTAS_OUT_PARAM_ERROR);
        return;
    }
    liobn = rtas_ld(args, 0);
    w = spapr_tce_find_window(spapr, liobn);
    if (!w || !w->enabled || !w->phb->ddw_enabled) {
        trace_spapr_ddw_remove(liobn, RTAS_OUT_PARAM_ERROR);
        rtas_st(rets, 0, RTAS_OUT_PARAM_ERROR);
        return;
    }
    phb = w->phb;
    spapr_tce_window_disable(w);
    /* PAPR: removing the last non-default window brings the default back */
    if (!spapr_phb_windows_enabled(phb) && w->num != 0) {
        spapr_phb_iommu_reset(phb, NULL);
    }
    trace_spapr_ddw_remove(liobn, RTAS_OUT_SUCCESS);
    rtas_st(rets, 0, RTAS_OUT_SUCCESS);
}

static void rtas_reset_pe_dma_window(SpaprMachine *spapr, uint32_t token, uint32_t nargs,
                                     hwaddr args, uint32_t nret, hwaddr rets)
{
    SpaprPhb *phb;

    if (nargs != 3 || nret != 1) {
        rtas_st(rets, 0, RTAS_OUT_PARAM_ERROR);
        return;
    }
    phb = ddw_phb(spapr, args);
    if (!phb) {
        rtas_st(rets, 0, RTAS_OUT_PARAM_ERROR);
        return;
    }
    trace_spapr_ddw_reset(phb->index);
    rtas_st(rets, 0, spapr_phb_iommu_reset(phb, NULL) ? RTAS_OUT_SUCCESS : RTAS_OUT_HW_ERROR);
}

void spapr_ddw_register_rtas(void)
{
    spapr_rtas_register(RTAS_IBM_QUERY_PE_DMA_WINDOW, "ibm,query-pe-dma-window",
                        rtas_query_pe_dma_window);
    spapr_rtas_register(RTAS_IBM_CREATE_PE_DMA_WINDOW, "ibm,create-pe-dma-window",
                        rtas_create_pe_dma_window);
    spapr_rtas_register(RTAS_IBM_REMOVE_PE_DMA_WINDOW, "ibm,remove-pe-dma-window",
                        rtas_remove_pe_dma_window);
    spapr_rtas_register(RTAS_IBM_RESET_PE_DMA_WINDOW, "ibm,reset-pe-dma-window",
                        rtas_reset_pe_dma_window);
}
