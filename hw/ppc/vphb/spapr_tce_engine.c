/*
 * The TCE engine: the entries of QEMU's sPAPR TCE tables, the four TCE
 * hypercalls, and the IOMMU notifications that keep a VFIO container in
 * step with the guest's tables.
 *
 * - Tables are sparse (spapr_tce_radix.h) unless KVM shares them with
 *   the kernel.
 * - The hypercalls check like KVM's in-kernel handlers, and check every
 *   entry of a call before the first one is written: a call that fails a
 *   check changes nothing.  A TCE that gives a device access must point
 *   into guest RAM.
 * - Each call changes the table, then tells the window's notifiers in as
 *   few events as it can: consecutive entries mapping consecutive guest
 *   pages with the same access become naturally aligned power-of-two
 *   blocks, one IOMMU notification (one VFIO map) each.  An entry that
 *   changes inside such a block first unmaps the whole block, as the
 *   host mapped it, then what remains of it is mapped again.
 * - A notifier that could not apply a map says so (patches/0009-*); the
 *   entries it did not map are cleared, so the table never shows a
 *   mapping the host does not have, and the guest gets an error.
 *
 * docs/devel/tce-engine.rst has the rules and the reasons.
 *
 * Copyright (c) 2026 qemu-spapr-vphb authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/host-utils.h"
#include "qemu/atomic.h"
#include "qemu/rcu.h"
#include "exec/address-spaces.h"
#include "exec/memory.h"
#include "hw/boards.h"
#include "qapi/visitor.h"
#include "qom/object.h"
#include "hw/ppc/spapr.h"
#include "hw/ppc/vphb/spapr_tce_engine.h"
#include "hw/ppc/vphb/spapr_tce_radix.h"
#include "trace/trace-hw_ppc.h"

#define TCE_PCI_READ        0x1ULL
#define TCE_PCI_WRITE       0x2ULL
#define TCE_PERM            (TCE_PCI_READ | TCE_PCI_WRITE)
/* PAPR: one 4 KiB page of TCEs */
#define TCE_LIST_MAX        512
#define LEAF_SHIFT          SPAPR_TCE_RADIX_LEAF_SHIFT
#define LEAF                SPAPR_TCE_RADIX_LEAF_ENTRIES

/* The TCE's access bits are IOMMUAccessFlags' */
QEMU_BUILD_BUG_ON(IOMMU_RO != TCE_PCI_READ || IOMMU_WO != TCE_PCI_WRITE);

static inline IOMMUAccessFlags tce_perm(uint64_t tce)
{
    return tce & TCE_PERM;
}

static inline uint64_t tce_page_mask(SpaprTceTable *tcet)
{
    return ~((1ULL << tcet->page_shift) - 1);
}

/*
 * Tell the window's notifiers that the block of 2^@order entries from
 * @entry maps as @tce (the first entry's; 0 to unmap).  Returns the
 * -errno a notifier could not apply it with, or 0.
 */
static int tce_notify(SpaprTceTable *tcet, uint64_t entry, unsigned order,
                      uint64_t tce)
{
    IOMMUTLBEvent event = {
        .type = tce_perm(tce) ? IOMMU_NOTIFIER_MAP : IOMMU_NOTIFIER_UNMAP,
        .entry = {
            .target_as = &address_space_memory,
            .iova = entry << tcet->page_shift,
            .translated_addr = tce_perm(tce) ? tce & tce_page_mask(tcet) : 0,
            .addr_mask = (1ULL << (tcet->page_shift + order)) - 1,
            .perm = tce_perm(tce),
        },
    };

    tcet->iommu.notify_error = 0;
    memory_region_notify_iommu(&tcet->iommu, 0, event);
    return tcet->iommu.notify_error;
}

/* The start and end of the host block holding leaf slot @i, if any */
static unsigned block_start(const uint8_t *host, unsigned i)
{
    for (unsigned k = 0; k <= LEAF_SHIFT; k++) {
        unsigned s = i & ~((1U << k) - 1);

        if (host[s] == k + 1) {
            return s;
        }
    }
    return i;
}

static unsigned block_end(const uint8_t *host, unsigned i)
{
    for (unsigned k = 0; k <= LEAF_SHIFT; k++) {
        unsigned s = i & ~((1U << k) - 1);

        if (host[s] == k + 1) {
            return s + (1U << k);
        }
    }
    return i + 1;
}

/* One call's change to a table */
typedef struct TceUpdate {
    SpaprTceTable *tcet;
    uint64_t ram_size;          /* boot RAM: [0, ram_size) */
    const uint64_t *tces;       /* new values from entry @first on, */
    uint64_t first;
    uint64_t stuff;             /* or, without a list, this one for all */
    int err;                    /* the first error a notifier reported */
} TceUpdate;

static inline uint64_t update_value(const TceUpdate *u, uint64_t entry)
{
    return u->tces ? u->tces[entry - u->first] : u->stuff;
}

static inline bool in_boot_ram(uint64_t ram_size, uint64_t gpa, uint64_t len)
{
    return gpa < ram_size && len <= ram_size - gpa;
}

/*
 * How many bytes from @gpa on (at most @len) one RAM region backs, 0 if
 * @gpa is not RAM.  VFIO maps a notification whose target lies in one
 * region with one call and refuses one that does not, and guest RAM may
 * be several: one memory backend per NUMA node, hot-plugged DIMMs.
 */
static uint64_t tce_ram_extent(uint64_t gpa, uint64_t len)
{
    MemoryRegion *mr;
    hwaddr xlat, plen = len;

    RCU_READ_LOCK_GUARD();
    mr = address_space_translate(&address_space_memory, gpa, &xlat, &plen,
                                 false, MEMTXATTRS_UNSPECIFIED);
    if (!memory_region_is_ram(mr) || memory_region_is_ram_device(mr)) {
        return 0;
    }
    return plen;
}

/*
 * Cut the valid entries of leaf slots [lo, hi) that no recorded block
 * holds into host blocks: runs of entries whose pages follow each other
 * in one RAM region with one access, each run into naturally aligned
 * power-of-two blocks.  With @notify each block is mapped, and a block
 * the host refused is withdrawn and cleared from the table.
 */
static void map_slots(SpaprTceTable *tcet, uint64_t base, uint64_t *tce,
                      uint8_t *host, unsigned lo, unsigned hi, bool notify,
                      int *err)
{
    uint64_t psize = 1ULL << tcet->page_shift;
    uint64_t mask = tce_page_mask(tcet);
    unsigned i = lo;

    while (i < hi) {
        uint64_t v = tce[i], gpa = v & mask, extent;
        unsigned j = i + 1;

        if (host[i]) {
            /* a block the host kept: see update_tracked() */
            i += 1U << (host[i] - 1);
            continue;
        }
        if (!tce_perm(v)) {
            i++;
            continue;
        }
        extent = tce_ram_extent(gpa, (uint64_t)(hi - i) * psize);
        while (j < hi && !host[j] && tce_perm(tce[j]) == tce_perm(v) &&
               (tce[j] & mask) == gpa + (j - i) * psize &&
               (uint64_t)(j - i + 1) * psize <= extent) {
            j++;
        }
        while (i < j) {
            unsigned order = MIN(ctz32(i), LEAF_SHIFT);
            int ret = 0;

            while (i + (1U << order) > j) {
                order--;
            }
            if (notify) {
                ret = tce_notify(tcet, base + i, order, tce[i]);
            }
            if (ret) {
                /*
                 * Withdraw it from every notifier: one that took it must
                 * not keep what the table will not show.
                 */
                tce_notify(tcet, base + i, order, 0);
                if (!*err) {
                    *err = ret;
                }
                memset(&tce[i], 0, sizeof(uint64_t) << order);
            } else {
                host[i] = order + 1;
            }
            i += 1U << order;
        }
    }
}

/* Unmap every host block that starts in leaf slots [lo, hi) */
static void unmap_slots(SpaprTceTable *tcet, uint64_t base, uint8_t *host,
                        unsigned lo, unsigned hi, int *err)
{
    for (unsigned i = lo; i < hi;) {
        unsigned order;
        int ret;

        if (!host[i]) {
            i++;
            continue;
        }
        order = host[i] - 1;
        ret = tce_notify(tcet, base + i, order, 0);
        if (ret) {
            /* the host still maps it: it stays, with its entries */
            if (!*err) {
                *err = ret;
            }
        } else {
            host[i] = 0;
        }
        i += 1U << order;
    }
}

/*
 * Entries [@entry, @entry + @n) of one leaf, at @tce with records @host:
 * unmap the host blocks that hold an entry that changes, store the new
 * values, map those blocks' valid entries again.  A block the host could
 * not unmap keeps its old entries, so the table still shows what the
 * host maps.  Returns the change in non-zero entries.
 */
static int64_t update_tracked(TceUpdate *u, uint64_t entry, uint64_t n,
                              uint64_t *tce, uint8_t *host)
{
    unsigned off = entry & (LEAF - 1);
    uint64_t base = entry - off, *lt = tce - off, old[LEAF];
    uint8_t *lh = host - off;
    unsigned lo = LEAF, hi = 0, a, b;
    int64_t delta = 0;

    for (unsigned i = 0; i < n; i++) {
        if (tce[i] != update_value(u, entry + i)) {
            lo = MIN(lo, off + i);
            hi = off + i + 1;
        }
    }
    if (!hi) {
        return 0;
    }
    lo = block_start(lh, lo);
    hi = MAX(hi, block_end(lh, hi - 1));
    a = MIN(lo, off);
    b = MAX(hi, off + n);
    for (unsigned k = a; k < b; k++) {
        old[k] = lt[k];
        delta -= lt[k] != 0;
    }
    unmap_slots(u->tcet, base, lh, lo, hi, &u->err);
    for (unsigned i = 0; i < n; i++) {
        tce[i] = update_value(u, entry + i);
    }
    for (unsigned k = lo; k < hi;) {
        if (lh[k]) {
            unsigned size = 1U << (lh[k] - 1);

            memcpy(&lt[k], &old[k], size * sizeof(uint64_t));
            k += size;
        } else {
            k++;
        }
    }
    map_slots(u->tcet, base, lt, lh, lo, hi, true, &u->err);
    for (unsigned k = a; k < b; k++) {
        delta += lt[k] != 0;
    }
    return delta;
}

/* The same without notifiers: store, and count */
static int64_t update_plain(TceUpdate *u, uint64_t entry, uint64_t n,
                            uint64_t *tce)
{
    int64_t delta = 0;

    for (uint64_t i = 0; i < n; i++) {
        uint64_t v = update_value(u, entry + i);

        delta += (v != 0) - (tce[i] != 0);
        tce[i] = v;
    }
    return delta;
}

/*
 * A flat table (KVM's, when QEMU handles the call): one page per
 * notification, a valid entry unmapped before it changes.
 */
static void update_flat(TceUpdate *u, uint64_t entry, uint64_t n)
{
    SpaprTceTable *tcet = u->tcet;

    for (uint64_t i = entry; i < entry + n; i++) {
        uint64_t v = update_value(u, i);
        int ret = 0;

        if (tcet->table[i] == v) {
            continue;
        }
        if (tce_perm(tcet->table[i])) {
            ret = tce_notify(tcet, i, 0, 0);
            if (ret) {
                /* the host still maps it: keep the entry that says so */
                u->err = u->err ?: ret;
                continue;
            }
        }
        tcet->table[i] = v;
        if (tce_perm(v)) {
            ret = tce_notify(tcet, i, 0, v);
            if (ret) {
                tce_notify(tcet, i, 0, 0);
                tcet->table[i] = 0;
            }
        }
        if (ret && !u->err) {
            u->err = ret;
        }
    }
}

/* Store the call's values into [@entry, @entry + @n); the notifiers' error */
static int tce_update(TceUpdate *u, uint64_t entry, uint64_t n)
{
    SpaprTceRadix *t = u->tcet->radix;
    bool tracking;

    if (!t) {
        update_flat(u, entry, n);
        return u->err;
    }
    tracking = spapr_tce_radix_tracking(t);
    for (uint64_t done = 0; done < n;) {
        uint64_t span, *tce;
        uint8_t *host;
        int64_t delta;

        tce = spapr_tce_radix_span(t, entry + done, n - done, false, &span,
                                   &host);
        if (!tce) {
            /* nothing there: skip what stays 0, a missing subtree at once */
            bool zero = !u->stuff;

            for (uint64_t i = 0; u->tces && i < span && zero; i++) {
                zero = !update_value(u, entry + done + i);
            }
            if (zero) {
                done += span;
                continue;
            }
            tce = spapr_tce_radix_span(t, entry + done, n - done, true, &span,
                                       &host);
        }
        if (tracking) {
            delta = update_tracked(u, entry + done, span, tce, host);
        } else {
            delta = update_plain(u, entry + done, span, tce);
        }
        spapr_tce_radix_commit(t, entry + done, delta);
        done += span;
    }
    return u->err;
}

/* What the guest is told when the host could not follow */
static target_ulong tce_host_error(int err)
{
    switch (err) {
    case 0:
        return H_SUCCESS;
    case -ENOMEM:
    case -ENOSPC:
        /* Linux unwinds the mapping it was making on this one */
        return H_NOT_ENOUGH_RESOURCES;
    default:
        return H_HARDWARE;
    }
}

/* Checks ----------------------------------------------------------------- */

/*
 * The enabled table of @liobn, if the @npages entries from @ioba are in
 * its window: *@entry is the first.  The IOBA must be a multiple of the
 * window's page size (QEMU would mask it; KVM and PAPR refuse it).
 */
static SpaprTceTable *tce_window(target_ulong liobn, target_ulong ioba,
                                 uint64_t npages, uint64_t *entry)
{
    SpaprTceTable *tcet;
    uint64_t first;

    if (liobn >> 32) {
        return NULL;
    }
    tcet = spapr_tce_find_by_liobn(liobn);
    if (!tcet || !tcet->nb_table || (ioba & ~tce_page_mask(tcet)) ||
        ioba < tcet->bus_offset) {
        return NULL;
    }
    first = (ioba - tcet->bus_offset) >> tcet->page_shift;
    if (!npages || first >= tcet->nb_table ||
        npages > tcet->nb_table - first) {
        return NULL;
    }
    *entry = first;
    return tcet;
}

/* Guest RAM that a device may be given: [gpa, gpa + len) */
static bool tce_ram_ok(uint64_t ram_size, uint64_t gpa, uint64_t len)
{
    MemoryRegion *mr;
    hwaddr xlat, plen = len;

    if (in_boot_ram(ram_size, gpa, len)) {
        return true;
    }
    if (gpa + len < gpa) {
        return false;
    }
    /* hot-plugged memory */
    RCU_READ_LOCK_GUARD();
    mr = address_space_translate(&address_space_memory, gpa, &xlat, &plen,
                                 false, MEMTXATTRS_UNSPECIFIED);
    return memory_region_is_ram(mr) && !memory_region_is_ram_device(mr) &&
           plen == len;
}

/*
 * A TCE the table may hold: one that gives no access is stored as it is
 * (a guest may poison its table); one that does has no bit set between
 * the access bits and the page size, and its page is guest RAM.
 */
static bool tce_ok(SpaprTceTable *tcet, uint64_t ram_size, uint64_t tce)
{
    uint64_t psize = 1ULL << tcet->page_shift;

    if (!tce_perm(tce)) {
        return true;
    }
    return !(tce & (psize - 1) & ~TCE_PERM) &&
           tce_ram_ok(ram_size, tce & tce_page_mask(tcet), psize);
}

/* Hypercalls ---------------------------------------------------------------- */

static target_ulong h_put_tce(PowerPCCPU *cpu, SpaprMachineState *spapr,
                              target_ulong opcode, target_ulong *args)
{
    target_ulong liobn = args[0], ioba = args[1], tce = args[2];
    uint64_t ram_size = MACHINE(spapr)->ram_size, entry;
    SpaprTceTable *tcet = tce_window(liobn, ioba, 1, &entry);
    target_ulong ret = H_PARAMETER;

    if (tcet && tce_ok(tcet, ram_size, tce)) {
        TceUpdate u = {
            .tcet = tcet, .ram_size = ram_size, .stuff = tce,
        };

        ret = tce_host_error(tce_update(&u, entry, 1));
    }
    if (SPAPR_IS_PCI_LIOBN(liobn)) {
        trace_spapr_iommu_pci_put(liobn, ioba, tce, ret);
    } else {
        trace_spapr_iommu_put(liobn, ioba, tce, ret);
    }
    return ret;
}

static target_ulong h_get_tce(PowerPCCPU *cpu, SpaprMachineState *spapr,
                              target_ulong opcode, target_ulong *args)
{
    target_ulong liobn = args[0], ioba = args[1];
    SpaprTceTable *tcet;
    target_ulong ret = H_PARAMETER;
    uint64_t entry, tce = 0;

    tcet = tce_window(liobn, ioba, 1, &entry);
    if (tcet) {
        tce = spapr_tce_engine_get(tcet, entry);
        args[0] = tce;
        ret = H_SUCCESS;
    }
    if (SPAPR_IS_PCI_LIOBN(liobn)) {
        trace_spapr_iommu_pci_get(liobn, ioba, ret, tce);
    } else {
        trace_spapr_iommu_get(liobn, ioba, ret, tce);
    }
    return ret;
}

/*
 * Only clearing, or poisoning, as KVM allows.  Linux clears whole windows
 * with it (512 pages a call at boot), and a clear costs in proportion to
 * what was there, not to npages; a poison value makes entries exist, so
 * it goes to 512 pages at most, as a list does, or one call could fill a
 * table of 2^32 entries.
 */
static target_ulong h_stuff_tce(PowerPCCPU *cpu, SpaprMachineState *spapr,
                                target_ulong opcode, target_ulong *args)
{
    target_ulong liobn = args[0], ioba = args[1], tce = args[2];
    target_ulong npages = args[3];
    SpaprTceTable *tcet;
    target_ulong ret = H_PARAMETER;
    uint64_t entry;

    tcet = tce_window(liobn, ioba, npages, &entry);
    if (tcet && !tce_perm(tce) && (!tce || npages <= TCE_LIST_MAX)) {
        TceUpdate u = {
            .tcet = tcet, .ram_size = MACHINE(spapr)->ram_size, .stuff = tce,
        };

        ret = tce_host_error(tce_update(&u, entry, npages));
    }
    if (SPAPR_IS_PCI_LIOBN(liobn)) {
        trace_spapr_iommu_pci_stuff(liobn, ioba, tce, npages, ret);
    } else {
        trace_spapr_iommu_stuff(liobn, ioba, tce, npages, ret);
    }
    return ret;
}

/* The list is read once, from guest RAM only, and checked whole */
static target_ulong h_put_tce_indirect(PowerPCCPU *cpu,
                                       SpaprMachineState *spapr,
                                       target_ulong opcode, target_ulong *args)
{
    target_ulong liobn = args[0], ioba = args[1], list = args[2];
    target_ulong npages = args[3];
    uint64_t ram_size = MACHINE(spapr)->ram_size, entry;
    uint64_t tces[TCE_LIST_MAX];
    SpaprTceTable *tcet = NULL;
    target_ulong ret = H_PARAMETER;
    uint64_t last = 0;

    if (npages > TCE_LIST_MAX || (list & (SPAPR_TCE_PAGE_SIZE - 1))) {
        goto out;
    }
    tcet = tce_window(liobn, ioba, npages, &entry);
    if (!tcet || !tce_ram_ok(ram_size, list, npages * sizeof(uint64_t)) ||
        address_space_read(&address_space_memory, list,
                           MEMTXATTRS_UNSPECIFIED, tces,
                           npages * sizeof(uint64_t)) != MEMTX_OK) {
        goto out;
    }
    for (uint64_t i = 0; i < npages; i++) {
        tces[i] = be64_to_cpu(tces[i]);
        if (!tce_ok(tcet, ram_size, tces[i])) {
            goto out;
        }
    }
    {
        TceUpdate u = {
            .tcet = tcet, .ram_size = ram_size, .tces = tces, .first = entry,
        };

        ret = tce_host_error(tce_update(&u, entry, npages));
        last = tces[npages - 1];
    }
out:
    if (SPAPR_IS_PCI_LIOBN(liobn)) {
        trace_spapr_iommu_pci_indirect(liobn, ioba, list, npages ? npages - 1 : 0,
                                       last, ret);
    } else {
        trace_spapr_iommu_indirect(liobn, ioba, list, npages ? npages - 1 : 0,
                                   last, ret);
    }
    return ret;
}

void spapr_tce_engine_register_hcalls(void)
{
    spapr_register_hypercall(H_PUT_TCE, h_put_tce);
    spapr_register_hypercall(H_GET_TCE, h_get_tce);
    spapr_register_hypercall(H_PUT_TCE_INDIRECT, h_put_tce_indirect);
    spapr_register_hypercall(H_STUFF_TCE, h_stuff_tce);
}

/* Storage ------------------------------------------------------------------- */

static void tce_get_table_bytes(Object *obj, Visitor *v, const char *name,
                                void *opaque, Error **errp)
{
    uint64_t value = spapr_tce_engine_memory(SPAPR_TCE_TABLE(obj));

    visit_type_uint64(v, name, &value, errp);
}

static void tce_get_entries_in_use(Object *obj, Visitor *v, const char *name,
                                   void *opaque, Error **errp)
{
    uint64_t value = spapr_tce_engine_used(SPAPR_TCE_TABLE(obj));

    visit_type_uint64(v, name, &value, errp);
}

/* What a table costs and holds, for tests and benchmarks */
static void tce_add_properties(SpaprTceTable *tcet)
{
    Object *obj = OBJECT(tcet);

    if (object_property_find(obj, "table-bytes")) {
        return;
    }
    object_property_add(obj, "table-bytes", "uint64", tce_get_table_bytes,
                        NULL, NULL, NULL);
    object_property_set_description(obj, "table-bytes",
        "Bytes the TCE table holds (0 while the window is disabled)");
    object_property_add(obj, "entries-in-use", "uint64",
                        tce_get_entries_in_use, NULL, NULL, NULL);
    object_property_set_description(obj, "entries-in-use",
        "TCEs that are not 0");
}

void spapr_tce_engine_alloc(SpaprTceTable *tcet)
{
    SpaprTceRadix *t = spapr_tce_radix_new(tcet->nb_table);

    assert(!tcet->table && !tcet->radix);
    tce_add_properties(tcet);
    if (tcet->need_vfio) {
        spapr_tce_radix_set_tracking(t, true);
    }
    /* device DMA reads it under RCU */
    qatomic_rcu_set((void **)&tcet->radix, t);
}

void spapr_tce_engine_free(SpaprTceTable *tcet)
{
    SpaprTceRadix *t = tcet->radix;

    qatomic_set((void **)&tcet->radix, NULL);
    spapr_tce_radix_free(t);
}

/* Under the BQL, or under RCU alone (device DMA through translate) */
uint64_t spapr_tce_engine_get(SpaprTceTable *tcet, uint64_t entry)
{
    /* (void **): SpaprTceTable only has the table's type declared */
    SpaprTceRadix *t = qatomic_rcu_read((void **)&tcet->radix);
    uint64_t *table = tcet->table;

    if (entry >= tcet->nb_table) {
        return 0;
    }
    if (t) {
        return spapr_tce_radix_get(t, entry);
    }
    return table ? table[entry] : 0;
}

void spapr_tce_engine_reset(SpaprTceTable *tcet)
{
    if (tcet->radix) {
        spapr_tce_radix_clear(tcet->radix);
    } else if (tcet->table) {
        memset(tcet->table, 0, tcet->nb_table * sizeof(uint64_t));
    }
}

uint64_t spapr_tce_engine_memory(SpaprTceTable *tcet)
{
    if (tcet->radix) {
        return spapr_tce_radix_memory(tcet->radix);
    }
    return tcet->table ? (uint64_t)tcet->nb_table * sizeof(uint64_t) : 0;
}

uint64_t spapr_tce_engine_used(SpaprTceTable *tcet)
{
    uint64_t used = 0;

    if (tcet->radix) {
        return spapr_tce_radix_used(tcet->radix);
    }
    for (uint64_t i = 0; tcet->table && i < tcet->nb_table; i++) {
        used += tcet->table[i] != 0;
    }
    return used;
}

typedef struct TceLeafWalk {
    SpaprTceTable *tcet;
    uint64_t *flat;
    IOMMUNotifier *n;
} TceLeafWalk;

static void export_leaf(uint64_t first, uint64_t *tce, uint8_t *host,
                        void *opaque)
{
    TceLeafWalk *w = opaque;
    uint64_t n = MIN(LEAF, w->tcet->nb_table - first);

    memcpy(&w->flat[first], tce, n * sizeof(uint64_t));
}

void spapr_tce_engine_export(SpaprTceTable *tcet, uint64_t *flat)
{
    TceLeafWalk w = { .tcet = tcet, .flat = flat };

    if (!tcet->radix) {
        memcpy(flat, tcet->table, tcet->nb_table * sizeof(uint64_t));
        return;
    }
    /* @flat is zeroed: only the leaves are written, the rest stays untouched */
    spapr_tce_radix_foreach_leaf(tcet->radix, export_leaf, &w);
}

/* Host blocks for a leaf's entries, without telling anyone */
static void track_leaf(uint64_t first, uint64_t *tce, uint8_t *host,
                       void *opaque)
{
    TceLeafWalk *w = opaque;
    int err = 0;

    memset(host, 0, LEAF);
    map_slots(w->tcet, first, tce, host, 0,
              MIN(LEAF, w->tcet->nb_table - first), false, &err);
}

void spapr_tce_engine_import(SpaprTceTable *tcet, const uint64_t *flat)
{
    if (!tcet->radix) {
        memcpy(tcet->table, flat, tcet->nb_table * sizeof(uint64_t));
        return;
    }
    spapr_tce_radix_clear(tcet->radix);
    for (uint64_t i = 0; i < tcet->nb_table; i++) {
        if (flat[i]) {
            spapr_tce_radix_set(tcet->radix, i, flat[i]);
        }
    }
    if (spapr_tce_radix_tracking(tcet->radix)) {
        TceLeafWalk w = { .tcet = tcet };

        spapr_tce_radix_foreach_leaf(tcet->radix, track_leaf, &w);
    }
}

void spapr_tce_engine_set_tracking(SpaprTceTable *tcet, bool tracking)
{
    TceLeafWalk w = { .tcet = tcet };

    if (!tcet->radix) {
        return;
    }
    spapr_tce_radix_set_tracking(tcet->radix, tracking);
    if (tracking) {
        spapr_tce_radix_foreach_leaf(tcet->radix, track_leaf, &w);
    }
}

static void replay_one(SpaprTceTable *tcet, IOMMUNotifier *n, uint64_t entry,
                       unsigned order, uint64_t tce)
{
    IOMMUTLBEvent event = {
        .type = IOMMU_NOTIFIER_MAP,
        .entry = {
            .target_as = &address_space_memory,
            .iova = entry << tcet->page_shift,
            .translated_addr = tce & tce_page_mask(tcet),
            .addr_mask = (1ULL << (tcet->page_shift + order)) - 1,
            .perm = tce_perm(tce),
        },
    };

    memory_region_notify_iommu_one(n, &event);
}

static void replay_leaf(uint64_t first, uint64_t *tce, uint8_t *host,
                        void *opaque)
{
    TceLeafWalk *w = opaque;

    for (unsigned i = 0; i < LEAF; i++) {
        if (host[i]) {
            replay_one(w->tcet, w->n, first + i, host[i] - 1, tce[i]);
        }
    }
}

void spapr_tce_engine_replay(SpaprTceTable *tcet, IOMMUNotifier *n)
{
    TceLeafWalk w = { .tcet = tcet, .n = n };

    if (!tcet->radix) {
        for (uint64_t i = 0; tcet->table && i < tcet->nb_table; i++) {
            if (tce_perm(tcet->table[i])) {
                replay_one(tcet, n, i, 0, tcet->table[i]);
            }
        }
        return;
    }
    /*
     * The blocks the other notifiers were given.  Registering the notifier
     * started the records (spapr_tce_set_need_vfio()) before VFIO replays;
     * a replay with no notifier registered has to work them out first.
     */
    if (!spapr_tce_radix_tracking(tcet->radix)) {
        spapr_tce_engine_set_tracking(tcet, true);
    }
    spapr_tce_radix_foreach_leaf(tcet->radix, replay_leaf, &w);
}
