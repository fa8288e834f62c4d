/*
 * spapr-pci-vfio-host-bridge: one host IOMMU group as one guest PHB
 *
 * The IOMMU group is the host's unit of DMA isolation, and on POWER it is
 * the PE that EEH freezes and resets.  This PHB owns exactly one group:
 * every function of the group sits behind it and nothing else does, so the
 * PHB's DMA address space (and with it QEMU's VFIO container, which QEMU
 * keys by address space) belongs to that group alone.
 *
 * It is QEMU's spapr-pci-host-bridge with a few hooks chained: realize
 * reads and checks the group, realizes the parent, creates a vfio-pci
 * function per device of the group and checks the container; the bus's
 * pre_plug refuses anything that is not a function of the group.
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "qemu/cutils.h"
#include "qemu/error-report.h"
#include "qemu/range.h"
#include "hw/qdev-properties.h"
#include "hw/pci/pci.h"
#include "hw/pci/pci_bus.h"
#include "hw/pci/pci_device.h"
#include "hw/pci/pci_host.h"
#include "hw/ppc/spapr.h"
#include "hw/vfio/vfio-common.h"
#include "system/system.h"
#include "hw/ppc/vphb/spapr_pci_vfio_hb.h"
#include "hw/ppc/vphb/spapr_tce_engine.h"

#define SYSFS_IOMMU_GROUPS  "/sys/kernel/iommu_groups"
#define SYSFS_PCI_DEVICES   "/sys/bus/pci/devices"
#define GROUP_UNSET         UINT32_MAX
/* dma64_win_addr before any setting: no window can start at 2^64 - 1 */
#define DMA64_UNSET         UINT64_MAX

/* "spapr-pci-vfio-host-bridge 'vphb1' (index 1)", for every message */
static char *vphb_name(SpaprVfioHbState *s)
{
    DeviceState *dev = DEVICE(s);
    SpaprPhbState *sphb = SPAPR_PCI_HOST_BRIDGE(s);

    return g_strdup_printf("%s '%s' (index %d)", TYPE_SPAPR_PCI_VFIO_HB,
                           dev->id ? dev->id : "<no id>", (int)sphb->index);
}

/* The driver a host function is bound to, "" when unbound. */
static char *host_driver(uint32_t group, const char *host, Error **errp)
{
    g_autofree char *link = g_strdup_printf(SYSFS_IOMMU_GROUPS "/%u/devices/%s"
                                            "/driver", group, host);
    char target[PATH_MAX];
    ssize_t len = readlink(link, target, sizeof(target) - 1);

    if (len < 0) {
        if (errno == ENOENT) {
            return g_strdup("");
        }
        error_setg_errno(errp, errno, "cannot read %s", link);
        return NULL;
    }
    target[len] = '\0';
    return g_path_get_basename(target);
}

/* The IOMMU group of a host function, -1 with @errp set if none. */
static int host_group(const char *sysfsdev, Error **errp)
{
    g_autofree char *link = g_strdup_printf("%s/iommu_group", sysfsdev);
    g_autofree char *name = NULL;
    char target[PATH_MAX];
    ssize_t len = readlink(link, target, sizeof(target) - 1);
    int group;

    if (len < 0) {
        error_setg_errno(errp, errno, "cannot read %s", link);
        return -1;
    }
    target[len] = '\0';
    name = g_path_get_basename(target);
    if (qemu_strtoi(name, NULL, 10, &group) < 0 || group < 0) {
        error_setg(errp, "%s does not name an IOMMU group", link);
        return -1;
    }
    return group;
}

static gint compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char * const *)a, *(const char * const *)b);
}

/*
 * Read the group's devices and lay its functions out on the guest bus.
 *
 * A group is viable when each of its devices is bound to vfio-pci or to
 * no driver, as the kernel says; an unbound device stays on the host (no
 * vfio-pci can open it).  Functions keep their numbers, and each host
 * slot becomes the next guest slot from 0, in address order: a guest
 * finds the other functions of a slot only through function 0, and a bus
 * has 32 slots.
 */
static bool vphb_read_group(SpaprVfioHbState *s, const char *who,
                            Error **errp)
{
    g_autofree char *path = g_strdup_printf(SYSFS_IOMMU_GROUPS "/%u/devices",
                                            s->group);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GArray) funcs = g_array_new(false, true,
                                          sizeof(SpaprVfioHbFunction));
    g_autofree char *prev_slot = NULL;
    struct dirent *de;
    int slot = -1;
    DIR *dir;

    dir = opendir(path);
    if (!dir) {
        error_setg_errno(errp, errno, "%s: host IOMMU group %u: cannot read %s",
                         who, s->group, path);
        if (errno == ENOENT) {
            error_append_hint(errp, "The host has no such group; the groups "
                              "are the entries of " SYSFS_IOMMU_GROUPS ".\n");
        }
        return false;
    }
    while ((de = readdir(dir))) {
        if (de->d_name[0] != '.') {
            g_ptr_array_add(names, g_strdup(de->d_name));
        }
    }
    closedir(dir);
    g_ptr_array_sort(names, compare_names);

    for (guint i = 0; i < names->len; i++) {
        const char *host = g_ptr_array_index(names, i);
        g_autofree char *driver = NULL;
        unsigned dom, bus, dev, fn;
        g_autofree char *this_slot = NULL;
        SpaprVfioHbFunction f = { 0 };
        int n = 0;
        Error *local_err = NULL;

        driver = host_driver(s->group, host, &local_err);
        if (!driver) {
            error_propagate_prepend(errp, local_err, "%s: host IOMMU group "
                                    "%u: function %s: ", who, s->group, host);
            goto fail;
        }
        if (*driver && strcmp(driver, "vfio-pci")) {
            error_setg(errp, "%s: host IOMMU group %u is not viable: function "
                       "%s is bound to the host driver '%s'", who, s->group,
                       host, driver);
            error_append_hint(errp, "Every device of a group must be bound to "
                              "vfio-pci (or to no driver) before its group "
                              "can be assigned: unbind %s from %s.\n",
                              host, driver);
            goto fail;
        }
        if (!*driver) {
            continue;
        }
        if (sscanf(host, "%x:%x:%x.%x%n", &dom, &bus, &dev, &fn, &n) != 4 ||
            host[n] || dev > 31 || fn > 7) {
            error_setg(errp, "%s: host IOMMU group %u: cannot read the PCI "
                       "address of function '%s'", who, s->group, host);
            goto fail;
        }
        this_slot = g_strdup_printf("%04x:%02x:%02x", dom, bus, dev);
        if (!prev_slot || strcmp(prev_slot, this_slot)) {
            if (fn != 0) {
                error_setg(errp, "%s: host IOMMU group %u: function %s has no "
                           "function 0 in the group, so a guest could not "
                           "find it", who, s->group, host);
                goto fail;
            }
            if (++slot >= PCI_SLOT_MAX) {
                error_setg(errp, "%s: host IOMMU group %u has more than %d "
                           "slots, more than one PCI bus holds", who,
                           s->group, PCI_SLOT_MAX);
                goto fail;
            }
            g_free(prev_slot);
            prev_slot = g_steal_pointer(&this_slot);
        } else {
            g_array_index(funcs, SpaprVfioHbFunction,
                          funcs->len - 1).multifunction = true;
            f.multifunction = true;
        }
        f.host = g_strdup(host);
        f.devfn = PCI_DEVFN(slot, fn);
        g_array_append_val(funcs, f);
    }
    if (!funcs->len) {
        error_setg(errp, "%s: host IOMMU group %u has no device bound to "
                   "vfio-pci", who, s->group);
        error_append_hint(errp, "Bind the group's devices to vfio-pci.\n");
        goto fail;
    }
    /* a slot's multifunction bit is on every function of it */
    for (guint i = funcs->len; i-- > 1;) {
        SpaprVfioHbFunction *f = &g_array_index(funcs, SpaprVfioHbFunction, i);
        SpaprVfioHbFunction *p = f - 1;

        if (PCI_SLOT(f->devfn) == PCI_SLOT(p->devfn) && f->multifunction) {
            p->multifunction = true;
        }
    }
    s->nr_funcs = funcs->len;
    s->funcs = (SpaprVfioHbFunction *)g_array_free(g_steal_pointer(&funcs),
                                                   false);
    return true;

fail:
    for (guint i = 0; i < funcs->len; i++) {
        g_free(g_array_index(funcs, SpaprVfioHbFunction, i).host);
    }
    return false;
}

/*
 * Does host function @host answer?  One whose PE is frozen (EEH), or
 * that is gone, reads all ones, and QEMU 10.0's vfio_realize() then never
 * returns: its MSI-X setup looks for a capability, and a list whose every
 * pointer reads 0xff points at itself.  Its vendor ID is read from sysfs
 * first, which reads the device as VFIO's config region would.
 */
static bool vphb_check_function(SpaprVfioHbState *s, const char *who,
                                const char *host, Error **errp)
{
    g_autofree char *path = g_strdup_printf(SYSFS_PCI_DEVICES "/%s/config",
                                            host);
    uint16_t vendor;
    ssize_t n;
    int fd;

    fd = qemu_open(path, O_RDONLY, errp);
    if (fd < 0) {
        error_prepend(errp, "%s: host IOMMU group %u: function %s: ", who,
                      s->group, host);
        return false;
    }
    n = pread(fd, &vendor, sizeof(vendor), PCI_VENDOR_ID);
    if (n != sizeof(vendor)) {
        error_setg_errno(errp, n < 0 ? errno : EIO, "%s: host IOMMU group "
                         "%u: function %s: cannot read its vendor ID from %s",
                         who, s->group, host, path);
        qemu_close(fd);
        return false;
    }
    qemu_close(fd);
    if (le16_to_cpu(vendor) == 0xffff) {
        error_setg(errp, "%s: host IOMMU group %u: function %s reads all "
                   "ones (vendor ID 0xffff in %s): its PE is frozen, or the "
                   "device is gone", who, s->group, host, path);
        error_append_hint(errp, "Recover the device on the host (EEH "
                          "recovery, a reset, a rescan of its bus), then "
                          "plug it again.\n");
        return false;
    }
    return true;
}

static void vphb_free_funcs(SpaprVfioHbState *s)
{
    for (unsigned i = 0; i < s->nr_funcs; i++) {
        g_free(s->funcs[i].host);
    }
    g_clear_pointer(&s->funcs, g_free);
    s->nr_funcs = 0;
}

/*
 * A group is one PHB's: refuse one that another vPHB owns, or that a
 * vfio-pci elsewhere already uses (QEMU would put that group in two
 * address spaces).
 */
static bool vphb_check_owner(SpaprVfioHbState *s, const char *who,
                             Error **errp)
{
    SpaprMachineState *spapr = SPAPR_MACHINE(qdev_get_machine());
    SpaprPhbState *other;
    VFIOGroup *group;

    QLIST_FOREACH(other, &spapr->phbs, list) {
        SpaprVfioHbState *o = (SpaprVfioHbState *)
            object_dynamic_cast(OBJECT(other), TYPE_SPAPR_PCI_VFIO_HB);

        if (o && o != s && o->group == s->group) {
            g_autofree char *owner = vphb_name(o);

            error_setg(errp, "%s: host IOMMU group %u is already owned by %s",
                       who, s->group, owner);
            error_append_hint(errp, "A group is assigned to one PHB only.\n");
            return false;
        }
    }
    QLIST_FOREACH(group, &vfio_group_list, next) {
        VFIODevice *vdev = QLIST_FIRST(&group->device_list);

        if (group->groupid == (int)s->group) {
            error_setg(errp, "%s: host IOMMU group %u is already in use by "
                       "vfio-pci %s", who, s->group,
                       vdev ? vdev->name : "<unknown>");
            error_append_hint(errp, "Remove the vfio-pci devices of the group "
                              "from other PCI buses: this PHB creates them "
                              "itself.\n");
            return false;
        }
    }
    return true;
}

/* Is the container a Type1 one (an x86 host's IOMMU)? */
static const char *container_backend(VFIOContainerBase *bc)
{
    if (object_dynamic_cast(OBJECT(bc), TYPE_VFIO_IOMMU_SPAPR)) {
        VFIOContainer *c = VFIO_IOMMU_LEGACY(bc);

        return c->iommu_type == VFIO_SPAPR_TCE_v2_IOMMU ? "spapr-tce-v2"
                                                         : "spapr-tce";
    }
    if (object_dynamic_cast(OBJECT(bc), TYPE_VFIO_IOMMU_LEGACY)) {
        return "type1";
    }
    if (object_dynamic_cast(OBJECT(bc), TYPE_VFIO_IOMMU_IOMMUFD)) {
        return "iommufd";
    }
    return object_get_typename(OBJECT(bc));
}

/*
 * The VFIO container of the PHB's address space, checked: QEMU gives each
 * address space its own containers, so one container holding exactly our
 * group is what the PHB's isolation promises (and what EEH needs: QEMU
 * allows EEH only on a container with a single group).
 */
static VFIOContainerBase *vphb_container(SpaprVfioHbState *s, Error **errp)
{
    SpaprPhbState *sphb = SPAPR_PCI_HOST_BRIDGE(s);
    g_autofree char *who = vphb_name(s);
    VFIOAddressSpace *space = vfio_get_address_space(&sphb->iommu_as);
    VFIOContainerBase *bc, *found = NULL;
    unsigned n = 0;

    QLIST_FOREACH(bc, &space->containers, next) {
        found = bc;
        n++;
    }
    vfio_put_address_space(space);
    if (n != 1) {
        error_setg(errp, "%s: host IOMMU group %u: the PHB has %u VFIO "
                   "containers, not one", who, s->group, n);
        return NULL;
    }
    if (!object_dynamic_cast(OBJECT(found), TYPE_VFIO_IOMMU_LEGACY)) {
        error_setg(errp, "%s: host IOMMU group %u: its container is %s, not a "
                   "VFIO group container", who, s->group,
                   container_backend(found));
        return NULL;
    }
    {
        VFIOContainer *c = VFIO_IOMMU_LEGACY(found);
        VFIOGroup *g;
        unsigned groups = 0;

        QLIST_FOREACH(g, &c->group_list, container_next) {
            groups++;
            if (g->groupid != (int)s->group) {
                error_setg(errp, "%s: host IOMMU group %u: its VFIO container "
                           "also holds group %d", who, s->group, g->groupid);
                return NULL;
            }
        }
        if (groups != 1) {
            error_setg(errp, "%s: host IOMMU group %u: its VFIO container "
                       "holds %u groups", who, s->group, groups);
            return NULL;
        }
    }
    return found;
}

/* "0x0..0xfedfffff, 0xfef00000..0x7fffffffff", for hints */
static char *ranges_str(GList *ranges)
{
    GString *str = g_string_new(NULL);

    for (GList *l = ranges; l; l = l->next) {
        Range *r = l->data;

        g_string_append_printf(str, "%s0x%" PRIx64 "..0x%" PRIx64,
                               str->len ? ", " : "", range_lob(r),
                               range_upb(r));
    }
    return g_string_free(str, false);
}

/*
 * The first stretch of [lob, upb] that none of @ranges (sorted, as VFIO
 * keeps them) covers, in @hole; false when they cover all of it.
 */
static bool find_hole(GList *ranges, uint64_t lob, uint64_t upb, Range *hole)
{
    uint64_t next = lob;        /* the first address not known covered */

    for (GList *l = ranges; l; l = l->next) {
        Range *r = l->data;

        if (range_upb(r) < next) {
            continue;
        }
        if (range_lob(r) > next) {
            break;
        }
        if (range_upb(r) >= upb) {
            return false;
        }
        next = range_upb(r) + 1;
    }
    /* [next, ...] is not covered: up to the next range, or to @upb */
    range_set_bounds(hole, next, upb);
    for (GList *l = ranges; l; l = l->next) {
        Range *r = l->data;

        if (range_lob(r) > next) {
            range_set_bounds(hole, next, MIN(range_lob(r) - 1, upb));
            break;
        }
    }
    return true;
}

/*
 * What a 64-bit DMA window must stay clear of: the 32-bit window and the
 * PHB's MSI window, both in the same bus address space.
 */
static void ddw_avoid(SpaprPhbState *sphb, Range avoid[2])
{
    range_set_bounds(&avoid[0], sphb->dma_win_addr,
                     sphb->dma_win_addr + MAX(sphb->dma_win_size, 1) - 1);
    range_set_bounds(&avoid[1], SPAPR_PCI_MSI_WINDOW,
                     SPAPR_PCI_MSI_WINDOW + qemu_real_host_page_size() - 1);
}

/* Does [addr, addr + 2^shift) lie inside @ranges and clear of @avoid? */
static bool ddw_block_fits(GList *ranges, Range avoid[2], uint64_t addr,
                           int shift)
{
    uint64_t size = 1ULL << shift;
    Range hole;

    if (addr + size - 1 < addr ||
        find_hole(ranges, addr, addr + size - 1, &hole)) {
        return false;
    }
    for (int i = 0; i < 2; i++) {
        if (ranges_overlap(addr, size, range_lob(&avoid[i]),
                           range_size(&avoid[i]))) {
            return false;
        }
    }
    return true;
}

/*
 * Stock QEMU puts the 64-bit DMA window at 2^59, which no x86 IOMMU can
 * map, and only finds out when every map fails.  On a Type1 container the
 * window goes in the largest naturally aligned power-of-two block that
 * lies inside one of the host's usable IOVA ranges and clear of the
 * default window and of the PHB's MSI window: natural alignment lets the
 * guest ask for any window size up to the block.  Returns the block's
 * log2 size, 0 if there is none.
 */
static int vphb_place_ddw(SpaprVfioHbState *s, GList *ranges)
{
    SpaprPhbState *sphb = SPAPR_PCI_HOST_BRIDGE(s);
    Range avoid[2];

    ddw_avoid(sphb, avoid);
    for (int shift = 62; shift >= SPAPR_TCE_PAGE_SHIFT; shift--) {
        uint64_t size = 1ULL << shift;

        for (GList *l = ranges; l; l = l->next) {
            Range *r = l->data;
            uint64_t cand[ARRAY_SIZE(avoid) + 1];

            cand[0] = ROUND_UP(range_lob(r), size);
            for (int i = 0; i < ARRAY_SIZE(avoid); i++) {
                cand[i + 1] = ROUND_UP(range_upb(&avoid[i]) + 1, size);
            }
            for (int c = 0; c < ARRAY_SIZE(cand); c++) {
                /* ROUND_UP past 2^64 wraps to 0, which may well fit */
                if (cand[c] >= range_lob(r) &&
                    ddw_block_fits(ranges, avoid, cand[c], shift)) {
                    sphb->dma64_win_addr = cand[c];
                    return shift;
                }
            }
        }
    }
    return 0;
}

/*
 * A dma64_win_addr the user gave is kept, if the host can map a window
 * there: the largest power-of-two window starting at it inside the
 * host's ranges and clear of the other windows is the limit.  Returns
 * its log2 size, 0 with @errp set if not even the smallest page fits.
 */
static int vphb_fit_user_ddw(SpaprVfioHbState *s, GList *ranges,
                             const char *who, Error **errp)
{
    SpaprPhbState *sphb = SPAPR_PCI_HOST_BRIDGE(s);
    uint64_t addr = sphb->dma64_win_addr;
    int min_shift = ctz64(sphb->page_size_mask);
    g_autofree char *min_page = size_to_str(1ULL << min_shift);
    g_autofree char *usable = NULL;
    Range avoid[2];

    if (addr & ((1ULL << min_shift) - 1)) {
        error_setg(errp, "%s: host IOMMU group %u: dma64_win_addr 0x%" PRIx64
                   " is not a multiple of %s, the smallest TCE page size "
                   "offered", who, s->group, addr, min_page);
        return 0;
    }
    ddw_avoid(sphb, avoid);
    for (int shift = 63; shift >= min_shift; shift--) {
        if (ddw_block_fits(ranges, avoid, addr, shift)) {
            return shift;
        }
    }
    usable = ranges_str(ranges);
    error_setg(errp, "%s: host IOMMU group %u: the host IOMMU cannot map a "
               "64-bit DMA window at dma64_win_addr 0x%" PRIx64 ": not even "
               "one %s page there lies inside the host's usable IOVA ranges "
               "and clear of the 32-bit DMA window (0x%" PRIx64 "..0x%" PRIx64
               ") and of the MSI window (0x%" PRIx64 ")", who, s->group,
               addr, min_page, range_lob(&avoid[0]), range_upb(&avoid[0]),
               range_lob(&avoid[1]));
    error_append_hint(errp, "The host's usable IOVA ranges: %s.  Choose "
                      "dma64_win_addr inside them, or leave it unset and "
                      "the PHB places the window.\n", usable);
    return 0;
}

/*
 * The default 32-bit window on a Type1 host.  PAPR gives it 4K TCEs, and
 * Linux uses nothing else there: on a host whose IOMMU maps nothing
 * smaller than, say, 64K, a 4K TCE could only be backed by mapping the
 * whole 64K page around it, handing the device 60K of guest memory the
 * guest never allowed.  VFIO maps exactly the TCE, so such a host would
 * fail every map instead; refuse the PHB rather than start a guest whose
 * 32-bit DMA cannot work (QEMU's sPAPR backend refuses a TCE size its
 * host cannot map alike).  x-unmappable-dma32=on starts it anyway, for
 * guests that DMA only through the 64-bit window, and for tests.
 *
 * And the window must lie inside the host's usable IOVA ranges: on x86
 * the MSI window 0xfee00000..0xfeefffff is no DMA address at all.
 */
static bool vphb_check_dma32(SpaprVfioHbState *s, VFIOContainerBase *bc,
                             GList *ranges, const char *who, Error **errp)
{
    SpaprPhbState *sphb = SPAPR_PCI_HOST_BRIDGE(s);
    uint64_t host_min = bc->pgsizes & -bc->pgsizes;
    uint64_t lob = sphb->dma_win_addr;
    uint64_t upb = sphb->dma_win_addr + sphb->dma_win_size - 1;
    Range hole;

    if (!sphb->dma_win_size) {
        return true;
    }
    if (host_min > SPAPR_TCE_PAGE_SIZE && !s->unmappable_dma32) {
        g_autofree char *host_page = size_to_str(host_min);

        error_setg(errp, "%s: host IOMMU group %u: the host IOMMU maps no "
                   "page smaller than %s, and the guest's 32-bit DMA window "
                   "has 4 KiB TCEs: the host could back one only by exposing "
                   "the rest of its %s page to the device", who, s->group,
                   host_page, host_page);
        error_append_hint(errp, "A PAPR guest's default DMA window always "
                          "has 4 KiB TCEs.  Assign the group on a host whose "
                          "IOMMU maps 4 KiB pages.  (x-unmappable-dma32=on "
                          "starts the PHB anyway: every TCE of that window "
                          "is then refused to the guest with H_HARDWARE, "
                          "and only the 64-bit window works.)\n");
        return false;
    }
    if (!ranges) {
        /* a host without the capability: nothing to check against */
        return true;
    }
    if (upb < lob || find_hole(ranges, lob, upb, &hole)) {
        g_autofree char *usable = ranges_str(ranges);

        if (upb < lob) {
            range_set_bounds(&hole, lob, UINT64_MAX);
        }
        error_setg(errp, "%s: host IOMMU group %u: the 32-bit DMA window "
                   "0x%" PRIx64 "..0x%" PRIx64 " (dma_win_addr, dma_win_size) "
                   "is not all inside the host's usable IOVA ranges: the "
                   "host IOMMU cannot map 0x%" PRIx64 "..0x%" PRIx64
                   " (a reserved region, such as the MSI window, or beyond "
                   "its aperture)", who, s->group, lob, upb, range_lob(&hole),
                   range_upb(&hole));
        error_append_hint(errp, "The host's usable IOVA ranges: %s.  Make "
                          "the window fit inside one of them.\n", usable);
        return false;
    }
    return true;
}

/*
 * A Type1 host that reports no usable IOVA ranges (a kernel before 5.4,
 * which has no VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) gives no way to
 * know where a 64-bit window could go: every guess (a 39-bit aperture,
 * the x86 MSI window) is wrong on some host, and an Arm host's software
 * MSI window is even below 4 GiB.  So the PHB offers no DDW, which the
 * guest handles as on any PHB without one (the 32-bit window for all
 * DMA), unless the user placed the window with dma64_win_addr: then it
 * stays there, with no limit the PHB could know.
 */
static void vphb_no_iova_ranges(SpaprVfioHbState *s, const char *who)
{
    SpaprPhbState *sphb = SPAPR_PCI_HOST_BRIDGE(s);

    if (s->dma64_user_set) {
        sphb->ddw_max_size = 0;
        return;
    }
    sphb->ddw_enabled = false;
    warn_report("%s: host IOMMU group %u: the host reports no usable IOVA "
                "ranges (a kernel before Linux 5.4): no 64-bit DMA window is "
                "offered to the guest, only the 32-bit one", who, s->group);
    error_printf("Set ddw=off to say so, or dma64_win_addr to an address "
                 "where the host's IOMMU maps a 64-bit window.\n");
}

/*
 * The functions are in: check the container, then fit the windows to a
 * Type1 host.  The 32-bit window must be one the host can map (above).
 * A Type1 IOMMU maps any multiple of its smallest page size, so the
 * guest is offered only TCE page sizes that are; and it maps only inside
 * its IOVA ranges, so the DDW goes in the block the PHB found there, or
 * where the user put it, and may be no bigger (ibm,query-pe-dma-window
 * says how big).
 */
static bool vphb_container_ready(SpaprVfioHbState *s, Error **errp)
{
    SpaprPhbState *sphb = SPAPR_PCI_HOST_BRIDGE(s);
    VFIOContainerBase *bc = vphb_container(s, errp);
    g_autofree char *who = NULL;
    GList *ranges;
    uint64_t host_min;
    bool ok = false;
    int shift;

    if (!bc) {
        return false;
    }
    if (object_dynamic_cast(OBJECT(bc), TYPE_VFIO_IOMMU_SPAPR)) {
        return true;
    }
    who = vphb_name(s);
    ranges = vfio_container_get_iova_ranges(bc);
    if (!vphb_check_dma32(s, bc, ranges, who, errp)) {
        goto out;
    }
    if (!sphb->ddw_enabled) {
        ok = true;
        goto out;
    }
    host_min = bc->pgsizes & -bc->pgsizes;
    if (host_min) {
        sphb->page_size_mask &= ~(host_min - 1);
    }
    if (!sphb->page_size_mask) {
        error_setg(errp, "%s: host IOMMU group %u: the host IOMMU maps pages "
                   "of 0x%" PRIx64 " bytes or more, larger than every page "
                   "size in pgsz", who, s->group, host_min);
        error_append_hint(errp, "Add a larger page size to pgsz, or try "
                          "ddw=off.\n");
        goto out;
    }
    if (!ranges) {
        vphb_no_iova_ranges(s, who);
        ok = true;
        goto out;
    }
    if (s->dma64_user_set) {
        shift = vphb_fit_user_ddw(s, ranges, who, errp);
        if (!shift) {
            goto out;
        }
    } else {
        shift = vphb_place_ddw(s, ranges);
        if (!shift) {
            error_setg(errp, "%s: host IOMMU group %u: no room for a 64-bit "
                       "DMA window in the host's IOVA ranges", who, s->group);
            error_append_hint(errp, "Try ddw=off.\n");
            goto out;
        }
    }
    sphb->ddw_max_size = 1ULL << shift;
    ok = true;
out:
    g_list_free_full(ranges, g_free);
    return ok;
}

/* Window notifiers: count what VFIO is asked to map and unmap */

static void vphb_window_notify(IOMMUNotifier *n, IOMMUTLBEntry *iotlb)
{
    SpaprVfioHbWindow *w = container_of(n, SpaprVfioHbWindow, n);

    /*
     * The TCE engine maps a block of TCEs with one notification and
     * unmaps it with one for the same IOVA; a map VFIO refused is
     * withdrawn with an unmap too (hw/ppc/vphb/spapr_tce_engine.c).
     */
    if (iotlb->perm != IOMMU_NONE) {
        w->maps++;
        g_hash_table_add(w->mapped, g_memdup2(&iotlb->iova,
                                              sizeof(iotlb->iova)));
    } else {
        w->unmaps++;
        g_hash_table_remove(w->mapped, &iotlb->iova);
    }
}

/*
 * A window that goes (reset, ibm,remove-pe-dma-window) is unmapped by
 * VFIO in one call with no notification per entry; forget its entries.
 */
static void vphb_region_del(MemoryListener *listener,
                            MemoryRegionSection *section)
{
    SpaprVfioHbState *s = container_of(listener, SpaprVfioHbState, listener);

    for (int i = 0; i < SPAPR_PCI_DMA_MAX_WINDOWS; i++) {
        SpaprVfioHbWindow *w = &s->windows[i];

        if (w->tcet && section->mr == MEMORY_REGION(&w->tcet->iommu)) {
            g_hash_table_remove_all(w->mapped);
        }
    }
}

static bool vphb_watch_windows(SpaprVfioHbState *s, Error **errp)
{
    SpaprPhbState *sphb = SPAPR_PCI_HOST_BRIDGE(s);

    for (int i = 0; i < SPAPR_PCI_DMA_MAX_WINDOWS; i++) {
        SpaprVfioHbWindow *w = &s->windows[i];
        SpaprTceTable *tcet = spapr_tce_find_by_liobn(sphb->dma_liobn[i]);

        if (!tcet || OBJECT(tcet)->parent != OBJECT(s)) {
            continue;
        }
        w->hb = s;
        w->mapped = g_hash_table_new_full(g_int64_hash, g_int64_equal,
                                          g_free, NULL);
        iommu_notifier_init(&w->n, vphb_window_notify,
                            IOMMU_NOTIFIER_IOTLB_EVENTS, 0, HWADDR_MAX, 0);
        if (memory_region_register_iommu_notifier(MEMORY_REGION(&tcet->iommu),
                                                  &w->n, errp)) {
            g_clear_pointer(&w->mapped, g_hash_table_destroy);
            return false;
        }
        w->tcet = tcet;
    }
    s->listener = (MemoryListener) {
        .name = "spapr-pci-vfio-hb",
        .region_del = vphb_region_del,
    };
    memory_listener_register(&s->listener, &sphb->iommu_as);
    s->listening = true;
    return true;
}

static void vphb_unwatch_windows(SpaprVfioHbState *s)
{
    if (s->listening) {
        memory_listener_unregister(&s->listener);
        s->listening = false;
    }
    for (int i = 0; i < SPAPR_PCI_DMA_MAX_WINDOWS; i++) {
        SpaprVfioHbWindow *w = &s->windows[i];

        if (w->tcet) {
            memory_region_unregister_iommu_notifier(
                MEMORY_REGION(&w->tcet->iommu), &w->n);
            w->tcet = NULL;
        }
        g_clear_pointer(&w->mapped, g_hash_table_destroy);
    }
}

/* The group's functions, created and realized on the PHB's own bus */

static void vphb_remove_functions(SpaprVfioHbState *s)
{
    PCIBus *bus = PCI_HOST_BRIDGE(s)->bus;

    for (int devfn = ARRAY_SIZE(bus->devices) - 1; devfn >= 0; devfn--) {
        if (bus->devices[devfn]) {
            object_unparent(OBJECT(bus->devices[devfn]));
        }
    }
}

static bool vphb_create_functions(SpaprVfioHbState *s, const char *who,
                                  Error **errp)
{
    PCIBus *bus = PCI_HOST_BRIDGE(s)->bus;

    /*
     * qdev realizes the PHB's bus only after the PHB's realize, and a PCI
     * bus being realized after machine-done sets up bus mastering for the
     * devices already on it, which these functions did themselves when
     * the PHB is hot-plugged.  Realizing the bus first (qdev's later
     * attempt is then a no-op) keeps the order of a device_add on it.
     */
    if (!qbus_realize(BUS(bus), errp)) {
        return false;
    }
    for (unsigned i = 0; i < s->nr_funcs; i++) {
        SpaprVfioHbFunction *f = &s->funcs[i];
        PCIDevice *pdev = f->multifunction ?
                          pci_new_multifunction(f->devfn, "vfio-pci") :
                          pci_new(f->devfn, "vfio-pci");
        DeviceState *dev = DEVICE(pdev);

        qdev_prop_set_string(dev, "host", f->host);
        /*
         * The functions come with the PHB, also when the PHB is hot-plugged:
         * the guest finds them in the PHB's device tree, not through PCI
         * hot-plug events of their own.
         */
        dev->hotplugged = false;
        /* a failed realize takes the device off the bus again */
        if (!qdev_realize_and_unref(dev, BUS(bus), errp)) {
            error_prepend(errp, "%s: host IOMMU group %u: function %s: ", who,
                          s->group, f->host);
            return false;
        }
    }
    return true;
}

/* Is host function @host on the PHB's bus? */
static bool vphb_has_function(SpaprVfioHbState *s, const char *host)
{
    PCIBus *bus = PCI_HOST_BRIDGE(s)->bus;

    for (int devfn = 0; devfn < ARRAY_SIZE(bus->devices); devfn++) {
        VFIODevice *vdev = bus->devices[devfn] ?
            vfio_get_vfio_device(OBJECT(bus->devices[devfn])) : NULL;

        if (vdev && !strcmp(vdev->name, host)) {
            return true;
        }
    }
    return false;
}

/* populate=off: every function of the group must be there at start */
static void vphb_machine_done(Notifier *n, void *opaque)
{
    SpaprVfioHbState *s = container_of(n, SpaprVfioHbState, machine_done);
    Error *err = NULL;

    for (unsigned i = 0; i < s->nr_funcs; i++) {
        if (!vphb_has_function(s, s->funcs[i].host)) {
            g_autofree char *who = vphb_name(s);

            error_setg(&err, "%s: host IOMMU group %u: function %s is missing",
                       who, s->group, s->funcs[i].host);
            error_append_hint(&err, "With populate=off, add a vfio-pci for "
                              "every function of the group, on this PHB's "
                              "bus.\n");
            break;
        }
    }
    if (!err) {
        vphb_container_ready(s, &err);
    }
    if (err) {
        error_report_err(err);
        exit(EXIT_FAILURE);
    }
}

static void vphb_realize(DeviceState *dev, Error **errp)
{
    ERRP_GUARD();
    SpaprVfioHbState *s = SPAPR_PCI_VFIO_HB(dev);
    SpaprPhbState *sphb = SPAPR_PCI_HOST_BRIDGE(dev);
    SpaprVfioHbClass *k = SPAPR_PCI_VFIO_HB_GET_CLASS(dev);
    g_autofree char *who = vphb_name(s);

    if (s->group == GROUP_UNSET) {
        error_setg(errp, "%s: property 'iommu' (the host IOMMU group) is "
                   "required", who);
        return;
    }
    /* instance_init left a mark that any setting of the property replaced */
    s->dma64_user_set = sphb->dma64_win_addr != DMA64_UNSET;
    if (!s->dma64_user_set) {
        sphb->dma64_win_addr = s->dma64_default;
    }
    if (!vphb_read_group(s, who, errp) || !vphb_check_owner(s, who, errp)) {
        goto free_funcs;
    }
    for (unsigned i = 0; s->populate && i < s->nr_funcs; i++) {
        if (!vphb_check_function(s, who, s->funcs[i].host, errp)) {
            goto free_funcs;
        }
    }
    k->parent_realize(dev, errp);
    if (*errp) {
        goto free_funcs;
    }
    if (!vphb_watch_windows(s, errp)) {
        goto unwatch;
    }
    /*
     * The default DMA window now, not only at the reset that follows a
     * hot-plug: VFIO creates the host's window when it first sees the
     * guest's, and a failure there (table memory, locked-memory limit)
     * is an error of the function's realize only while its container is
     * new; later, VFIO stops QEMU.
     */
    spapr_phb_dma_reset(SPAPR_PCI_HOST_BRIDGE(s));
    if (!s->populate) {
        if (!phase_check(PHASE_MACHINE_READY)) {
            s->machine_done.notify = vphb_machine_done;
            qemu_add_machine_init_done_notifier(&s->machine_done);
            s->machine_done_registered = true;
        }
        return;
    }
    if (!vphb_create_functions(s, who, errp) ||
        !vphb_container_ready(s, errp)) {
        goto remove_functions;
    }
    return;

remove_functions:
    vphb_remove_functions(s);
    qbus_unrealize(BUS(PCI_HOST_BRIDGE(s)->bus));
unwatch:
    vphb_unwatch_windows(s);
    k->parent_unrealize(dev);
free_funcs:
    vphb_free_funcs(s);
}

static void vphb_unrealize(DeviceState *dev)
{
    SpaprVfioHbState *s = SPAPR_PCI_VFIO_HB(dev);
    SpaprVfioHbClass *k = SPAPR_PCI_VFIO_HB_GET_CLASS(dev);

    /* the functions on the bus were unrealized with the bus, just before */
    if (s->machine_done_registered) {
        qemu_remove_machine_init_done_notifier(&s->machine_done);
        s->machine_done_registered = false;
    }
    vphb_unwatch_windows(s);
    k->parent_unrealize(dev);
    vphb_free_funcs(s);
}

/* Describe a device someone tries to plug, for the refusal */
static char *describe_device(DeviceState *dev)
{
    return g_strdup_printf("%s%s%s%s", object_get_typename(OBJECT(dev)),
                           dev->id ? " '" : "", dev->id ? dev->id : "",
                           dev->id ? "'" : "");
}

/*
 * Only the functions of the PHB's group may sit on its bus: anything
 * else would share the group's DMA address space and container.
 */
static void vphb_pre_plug(HotplugHandler *hotplug_dev, DeviceState *dev,
                          Error **errp)
{
    SpaprVfioHbState *s = SPAPR_PCI_VFIO_HB(hotplug_dev);
    SpaprVfioHbClass *k = SPAPR_PCI_VFIO_HB_GET_CLASS(s);
    g_autofree char *who = vphb_name(s);
    g_autofree char *what = describe_device(dev);
    g_autofree char *sysfsdev = NULL;
    g_autofree char *host = NULL;
    Error *local_err = NULL;
    int group;

    if (!object_dynamic_cast(OBJECT(dev), "vfio-pci")) {
        error_setg(errp, "%s holds only the functions of host IOMMU group %u: "
                   "it cannot take %s", who, s->group, what);
        error_append_hint(errp, "Put the device on another PHB's bus, such "
                          "as pci.0.\n");
        return;
    }
    sysfsdev = object_property_get_str(OBJECT(dev), "sysfsdev", NULL);
    if (!sysfsdev || !*sysfsdev) {
        g_free(sysfsdev);
        host = object_property_get_str(OBJECT(dev), "host", NULL);
        sysfsdev = g_strdup_printf(SYSFS_PCI_DEVICES "/%s", host ? host : "");
    }
    g_free(host);
    host = g_path_get_basename(sysfsdev);
    group = host_group(sysfsdev, &local_err);
    if (group < 0) {
        error_propagate_prepend(errp, local_err, "%s holds only the functions "
                                "of host IOMMU group %u: %s (host %s) has no "
                                "group it can show: ", who, s->group, what,
                                host);
        return;
    }
    if (group != s->group) {
        error_setg(errp, "%s holds only the functions of host IOMMU group %u: "
                   "it cannot take %s (host %s) of group %d", who, s->group,
                   what, host, group);
        error_append_hint(errp, "Assign group %d with a PHB of its own: "
                          "-device %s,index=N,iommu=%d.\n", group,
                          TYPE_SPAPR_PCI_VFIO_HB, group);
        return;
    }
    /*
     * VFIO would refuse it too ("device is already attached"), but not
     * say why: with populate=on, the usual case is a user (libvirt) that
     * plugs the group's functions itself, which needs populate=off.
     */
    if (vphb_has_function(s, host)) {
        error_setg(errp, "%s: host IOMMU group %u: function %s is already on "
                   "the PHB's bus%s, it cannot take %s", who, s->group, host,
                   s->populate ? " (populate=on put it there)" : "", what);
        if (s->populate) {
            error_append_hint(errp, "To plug the group's functions yourself, "
                              "set populate=off on the PHB.\n");
        }
        return;
    }
    /* populate=off: a function the user plugs is checked as ours are */
    if (!s->populate && !vphb_check_function(s, who, host, errp)) {
        return;
    }
    k->parent_pre_plug(hotplug_dev, dev, errp);
}

/* populate=off: a function plugged after start completes the group */
static void vphb_plug(HotplugHandler *hotplug_dev, DeviceState *dev,
                      Error **errp)
{
    SpaprVfioHbState *s = SPAPR_PCI_VFIO_HB(hotplug_dev);
    SpaprVfioHbClass *k = SPAPR_PCI_VFIO_HB_GET_CLASS(s);

    /*
     * Check the container before the parent attaches the function to its
     * slot's DRC and tells the guest: if the check fails, qdev unrealizes
     * and frees the function, which a DRC must never point to.
     */
    if (!s->populate && phase_check(PHASE_MACHINE_READY) &&
        !vphb_container_ready(s, errp)) {
        return;
    }
    k->parent_plug(hotplug_dev, dev, errp);
}

/*
 * With populate=on the functions came with the PHB, which holds the
 * group whole: one of them alone must not go, or the guest would keep
 * part of a PE and the host group would stay half assigned.  device_del
 * of the PHB takes them all (qdev unrealizes the bus, no request per
 * function).  A function the user plugged (populate=off) is the user's.
 */
static void vphb_unplug_request(HotplugHandler *hotplug_dev, DeviceState *dev,
                                Error **errp)
{
    SpaprVfioHbState *s = SPAPR_PCI_VFIO_HB(hotplug_dev);
    SpaprVfioHbClass *k = SPAPR_PCI_VFIO_HB_GET_CLASS(s);

    if (s->populate) {
        g_autofree char *who = vphb_name(s);
        g_autofree char *path = object_get_canonical_path(OBJECT(s));
        VFIODevice *vdev = vfio_get_vfio_device(OBJECT(dev));

        error_setg(errp, "%s: host IOMMU group %u: function %s came with the "
                   "PHB (populate=on) and can be unplugged only with it",
                   who, s->group, vdev ? vdev->name : "<unknown>");
        error_append_hint(errp, "Unplug the PHB: device_del %s.\n",
                          DEVICE(s)->id ? DEVICE(s)->id : path);
        return;
    }
    k->parent_unplug_request(hotplug_dev, dev, errp);
}

/* Introspection: read-only QOM properties, for qom-get */

static void vphb_get_group(Object *obj, Visitor *v, const char *name,
                           void *opaque, Error **errp)
{
    uint32_t group = SPAPR_PCI_VFIO_HB(obj)->group;

    visit_type_uint32(v, name, &group, errp);
}

static void visit_qobject(Visitor *v, const char *name, QObject *obj,
                          Error **errp)
{
    visit_type_any(v, name, &obj, errp);
    qobject_unref(obj);
}

static void vphb_get_functions(Object *obj, Visitor *v, const char *name,
                               void *opaque, Error **errp)
{
    SpaprVfioHbState *s = SPAPR_PCI_VFIO_HB(obj);
    PCIBus *bus = PCI_HOST_BRIDGE(s)->bus;
    QList *list = qlist_new();

    for (int devfn = 0; bus && devfn < ARRAY_SIZE(bus->devices); devfn++) {
        PCIDevice *pdev = bus->devices[devfn];
        VFIODevice *vdev = pdev ? vfio_get_vfio_device(OBJECT(pdev)) : NULL;
        g_autofree char *path = NULL;
        QDict *d;

        if (!vdev) {
            continue;
        }
        path = object_get_canonical_path(OBJECT(pdev));
        d = qdict_new();
        qdict_put_str(d, "host", vdev->name);
        qdict_put_int(d, "devfn", devfn);
        qdict_put_int(d, "slot", PCI_SLOT(devfn));
        qdict_put_int(d, "function", PCI_FUNC(devfn));
        qdict_put_bool(d, "express", pci_is_express(pdev));
        qdict_put_str(d, "qom-path", path);
        qlist_append(list, d);
    }
    visit_qobject(v, name, QOBJECT(list), errp);
}

static void vphb_get_container(Object *obj, Visitor *v, const char *name,
                               void *opaque, Error **errp)
{
    SpaprPhbState *sphb = SPAPR_PCI_HOST_BRIDGE(obj);
    VFIOAddressSpace *space;
    VFIOContainerBase *bc;
    QList *containers = qlist_new();

    if (!DEVICE(obj)->realized) {
        visit_qobject(v, name, QOBJECT(containers), errp);
        return;
    }
    space = vfio_get_address_space(&sphb->iommu_as);
    QLIST_FOREACH(bc, &space->containers, next) {
        QDict *d = qdict_new();
        QList *groups = qlist_new();
        QList *ranges = qlist_new();

        qdict_put_str(d, "backend", container_backend(bc));
        if (object_dynamic_cast(OBJECT(bc), TYPE_VFIO_IOMMU_LEGACY)) {
            VFIOContainer *c = VFIO_IOMMU_LEGACY(bc);
            VFIOGroup *g;

            qdict_put_int(d, "fd", c->fd);
            QLIST_FOREACH(g, &c->group_list, container_next) {
                qlist_append_int(groups, g->groupid);
            }
        }
        qdict_put(d, "groups", groups);
        for (GList *l = bc->iova_ranges; l; l = l->next) {
            Range *r = l->data;
            QDict *rd = qdict_new();

            qdict_put_int(rd, "start", range_lob(r));
            qdict_put_int(rd, "last", range_upb(r));
            qlist_append(ranges, rd);
        }
        qdict_put(d, "iova-ranges", ranges);
        qdict_put_int(d, "page-sizes", bc->pgsizes);
        qlist_append(containers, d);
    }
    vfio_put_address_space(space);
    visit_qobject(v, name, QOBJECT(containers), errp);
}

static void vphb_get_backend(Object *obj, Visitor *v, const char *name,
                             void *opaque, Error **errp)
{
    SpaprPhbState *sphb = SPAPR_PCI_HOST_BRIDGE(obj);
    g_autofree char *backend = g_strdup("");

    if (DEVICE(obj)->realized) {
        VFIOAddressSpace *space = vfio_get_address_space(&sphb->iommu_as);
        VFIOContainerBase *bc = QLIST_FIRST(&space->containers);

        if (bc) {
            g_free(backend);
            backend = g_strdup(container_backend(bc));
        }
        vfio_put_address_space(space);
    }
    visit_type_str(v, name, &backend, errp);
}

static void vphb_get_windows(Object *obj, Visitor *v, const char *name,
                             void *opaque, Error **errp)
{
    SpaprVfioHbState *s = SPAPR_PCI_VFIO_HB(obj);
    QList *list = qlist_new();

    for (int i = 0; i < SPAPR_PCI_DMA_MAX_WINDOWS; i++) {
        SpaprVfioHbWindow *w = &s->windows[i];
        SpaprTceTable *tcet = w->tcet;
        g_autofree char *child = NULL;
        QDict *d;

        if (!tcet) {
            continue;
        }
        child = g_strdup_printf("tce-table-%x", tcet->liobn);
        d = qdict_new();
        qdict_put_int(d, "liobn", tcet->liobn);
        qdict_put_str(d, "qom-child", child);
        qdict_put_bool(d, "enabled", tcet->nb_table != 0);
        qdict_put_int(d, "bus-address", tcet->bus_offset);
        qdict_put_int(d, "size", (uint64_t)tcet->nb_table << tcet->page_shift);
        qdict_put_int(d, "page-shift", tcet->page_shift);
        qdict_put_int(d, "entries", tcet->nb_table);
        qdict_put_int(d, "entries-in-use", spapr_tce_engine_used(tcet));
        qdict_put_int(d, "table-bytes", spapr_tce_engine_memory(tcet));
        qdict_put_int(d, "host-mappings", g_hash_table_size(w->mapped));
        qdict_put_int(d, "map-notifications", w->maps);
        qdict_put_int(d, "unmap-notifications", w->unmaps);
        qlist_append(list, d);
    }
    visit_qobject(v, name, QOBJECT(list), errp);
}

static const Property vphb_properties[] = {
    DEFINE_PROP_UINT32("iommu", SpaprVfioHbState, group, GROUP_UNSET),
    DEFINE_PROP_BOOL("populate", SpaprVfioHbState, populate, true),
    DEFINE_PROP_BOOL("x-unmappable-dma32", SpaprVfioHbState,
                     unmappable_dma32, false),
};

/*
 * On a Type1 host the PHB places the 64-bit window itself, unless the
 * user gave dma64_win_addr: qdev has no "was set" flag, so the default
 * is put aside here and a mark left in its place; property defaults are
 * set before instance_init, global and user settings after it.
 */
static void vphb_instance_init(Object *obj)
{
    SpaprVfioHbState *s = SPAPR_PCI_VFIO_HB(obj);
    SpaprPhbState *sphb = SPAPR_PCI_HOST_BRIDGE(obj);

    s->dma64_default = sphb->dma64_win_addr;
    sphb->dma64_win_addr = DMA64_UNSET;
}

static void vphb_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    HotplugHandlerClass *hc = HOTPLUG_HANDLER_CLASS(klass);
    SpaprVfioHbClass *k = SPAPR_PCI_VFIO_HB_CLASS(klass);

    dc->desc = "sPAPR PHB owning one host VFIO IOMMU group";
    device_class_set_props(dc, vphb_properties);
    device_class_set_parent_realize(dc, vphb_realize, &k->parent_realize);
    device_class_set_parent_unrealize(dc, vphb_unrealize,
                                      &k->parent_unrealize);
    k->parent_pre_plug = hc->pre_plug;
    hc->pre_plug = vphb_pre_plug;
    k->parent_plug = hc->plug;
    hc->plug = vphb_plug;
    k->parent_unplug_request = hc->unplug_request;
    hc->unplug_request = vphb_unplug_request;

    object_class_property_add(klass, "group", "uint32", vphb_get_group,
                              NULL, NULL, NULL);
    object_class_property_set_description(klass, "group",
        "The host IOMMU group the PHB owns");
    object_class_property_add(klass, "functions", "any", vphb_get_functions,
                              NULL, NULL, NULL);
    object_class_property_set_description(klass, "functions",
        "The group's functions on the PHB's bus: host address and devfn");
    object_class_property_add(klass, "container", "any", vphb_get_container,
                              NULL, NULL, NULL);
    object_class_property_set_description(klass, "container",
        "The VFIO containers of the PHB's DMA address space (one)");
    object_class_property_add(klass, "backend", "str", vphb_get_backend,
                              NULL, NULL, NULL);
    object_class_property_set_description(klass, "backend",
        "The host IOMMU backend of the container");
    object_class_property_add(klass, "windows", "any", vphb_get_windows,
                              NULL, NULL, NULL);
    object_class_property_set_description(klass, "windows",
        "The DMA windows and what their TCE updates asked of the host");
}

static const TypeInfo vphb_info = {
    .name = TYPE_SPAPR_PCI_VFIO_HB,
    .parent = TYPE_SPAPR_PCI_HOST_BRIDGE,
    .instance_size = sizeof(SpaprVfioHbState),
    .instance_init = vphb_instance_init,
    .class_size = sizeof(SpaprVfioHbClass),
    .class_init = vphb_class_init,
};

static void vphb_register_types(void)
{
    type_register_static(&vphb_info);
}

type_init(vphb_register_types)
