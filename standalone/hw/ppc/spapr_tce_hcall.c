/*
 * TCE hypercalls: H_PUT_TCE, H_GET_TCE, H_STUFF_TCE, H_PUT_TCE_INDIRECT.
 *
 * Stricter than QEMU (which masks an unaligned ioba and stores any TCE),
 * as KVM's in-kernel handlers and PAPR are: an unaligned ioba, a range
 * outside the window, reserved bits, or a real address outside guest RAM
 * is H_PARAMETER, and nothing changes: every entry of a call is checked
 * before the first one is written.  A guest can never make a device reach
 * memory outside its RAM.
 */
#include "qemu/osdep.h"
#include "hw/ppc/spapr.h"
#include "hw/ppc/spapr_hcall.h"
#include "hw/ppc/spapr_iommu.h"
#include "hw/ppc/spapr_pci.h"
#include "trace-events-all.h"

#define SPAPR_TCE_INDIRECT_MAX 512      /* one 4 KiB page of TCEs */

/* The enabled window of @liobn whose entries [*entry, *entry + npages) contain @ioba. */
static SpaprTceWindow *check_range(SpaprMachine *spapr, uint64_t liobn, uint64_t ioba,
                                   uint64_t npages, uint64_t *entry)
{
    SpaprTceWindow *w;
    uint64_t off;

    if (liobn >> 32) {
        return NULL;
    }
    w = spapr_tce_find_window(spapr, liobn);
    if (!w || !w->enabled || (ioba & ((1ull << w->page_shift) - 1)) || ioba < w->bus_offset) {
        return NULL;
    }
    off = (ioba - w->bus_offset) >> w->page_shift;
    if (npages == 0 || off >= w->nb_entries || npages > w->nb_entries - off) {
        return NULL;
    }
    *entry = off;
    return w;
}

/*
 * Reserved bits clear; with a permission, the whole page in guest RAM
 * (spapr_ram_range_ok() with the RAM size read once per call: its
 * checked cast would cost more than the rest of the check, per entry).
 */
static bool tce_valid(uint64_t ram_size, const SpaprTceWindow *w, uint64_t tce)
{
    uint64_t psize = 1ull << w->page_shift;
    uint64_t addr = tce & ~(psize - 1);

    if (tce & (psize - 1) & ~TCE_PERM_MASK) {
        return false;
    }
    if (!(tce & TCE_PERM_MASK)) {
        return true;    /* no access: the address is never used */
    }
    return addr <= ram_size && psize <= ram_size - addr;
}

static int64_t h_put_tce(SpaprMachine *spapr, uint64_t opcode, const uint64_t *args,
                         uint64_t *rets, int *nrets)
{
    uint64_t liobn = args[0], ioba = args[1], tce = args[2], entry;
    SpaprTceWindow *w = check_range(spapr, liobn, ioba, 1, &entry);
    int64_t ret;

    if (!w || !tce_valid(MACHINE(spapr)->ram_size, w, tce)) {
        ret = H_PARAMETER;
    } else {
        ret = spapr_tce_window_update(w, entry, 1, &tce, 0);
    }
    trace_spapr_tce_put(liobn, ioba, tce, ret);
    return ret;
}

static int64_t h_get_tce(SpaprMachine *spapr, uint64_t opcode, const uint64_t *args,
                         uint64_t *rets, int *nrets)
{
    uint64_t liobn = args[0], ioba = args[1], entry;
    SpaprTceWindow *w = check_range(spapr, liobn, ioba, 1, &entry);

    trace_spapr_tce_get(liobn, ioba, w ? H_SUCCESS : H_PARAMETER);
    if (!w) {
        return H_PARAMETER;
    }
    rets[0] = spapr_tce_get(w->table, entry);
    *nrets = 1;
    return H_SUCCESS;
}

static int64_t h_stuff_tce(SpaprMachine *spapr, uint64_t opcode, const uint64_t *args,
                           uint64_t *rets, int *nrets)
{
    uint64_t liobn = args[0], ioba = args[1], tce = args[2], npages = args[3], entry;
    SpaprTceWindow *w = check_range(spapr, liobn, ioba, npages, &entry);
    int64_t ret;

    /*
     * Clearing any number of pages is fine (Linux clears a whole window at
     * boot, 512 pages a call), and costs nothing where nothing was mapped.
     * Any other value makes entries exist: cap it like an indirect list, so
     * a guest cannot make us build millions of entries (or host mappings)
     * in one call.
     */
    if (!w || !tce_valid(MACHINE(spapr)->ram_size, w, tce) ||
        (tce != 0 && npages > SPAPR_TCE_INDIRECT_MAX)) {
        ret = H_PARAMETER;
    } else {
        ret = spapr_tce_window_update(w, entry, npages, NULL, tce);
    }
    trace_spapr_tce_stuff(liobn, ioba, tce, npages, ret);
    return ret;
}

static int64_t h_put_tce_indirect(SpaprMachine *spapr, uint64_t opcode, const uint64_t *args,
                                  uint64_t *rets, int *nrets)
{
    uint64_t liobn = args[0], ioba = args[1], list = args[2], npages = args[3], entry;
    uint64_t tces[SPAPR_TCE_INDIRECT_MAX], ram_size = MACHINE(spapr)->ram_size;
    SpaprTceWindow *w = NULL;
    const uint8_t *p;
    int64_t ret = H_PARAMETER;

    if (npages > SPAPR_TCE_INDIRECT_MAX || (list & 0xfff) ||
        !spapr_ram_range_ok(spapr, list, npages * 8) ||
        !(w = check_range(spapr, liobn, ioba, npages, &entry))) {
        goto out;
    }
    p = spapr_ram_ptr(spapr, list);
    for (uint64_t i = 0; i < npages; i++, p += 8) {
        tces[i] = (uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 | (uint64_t)p[2] << 40 |
                  (uint64_t)p[3] << 32 | (uint64_t)p[4] << 24 | (uint64_t)p[5] << 16 |
                  (uint64_t)p[6] << 8 | p[7];
        if (!tce_valid(ram_size, w, tces[i])) {
            goto out;
        }
    }
    ret = spapr_tce_window_update(w, entry, npages, tces, 0);
out:
    trace_spapr_tce_indirect(liobn, ioba, list, npages, ret);
    return ret;
}

void spapr_tce_register_hcalls(void)
{
    spapr_register_hypercall(H_PUT_TCE, h_put_tce);
    spapr_register_hypercall(H_GET_TCE, h_get_tce);
    spapr_register_hypercall(H_STUFF_TCE, h_stuff_tce);
    spapr_register_hypercall(H_PUT_TCE_INDIRECT, h_put_tce_indirect);
}
