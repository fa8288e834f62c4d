/*
 * spapr-pci-vfio-host-bridge: a host IOMMU group as a whole guest PHB.
 *
 * The group is the unit of isolation (DMA and errors), so it becomes one
 * PHB (one PE): every function of the group sits behind it and no other
 * device does, and the PHB's TCE windows drive one VFIO container that
 * belongs to this PHB alone.  The guest programs its TCEs; the container
 * maps exactly those pages ("guest-visible" model), never all of RAM.
 *
 * Realize reads top to bottom: the emulated PHB, the group and its
 * viability, the container and its IOMMU backend, the IOMMU listener,
 * then the functions.  A failure at any step undoes the ones before it.
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "qemu/module.h"
#include "hw/ppc/spapr.h"
#include "hw/ppc/spapr_pci.h"
#include "hw/vfio/vfio-container.h"
#include "hw/vfio/vfio-pci.h"

#define TYPE_SPAPR_PCI_VFIO_HOST_BRIDGE "spapr-pci-vfio-host-bridge"

typedef struct SpaprVfioPhb {
    SpaprPhb parent;
    int32_t iommu_group;       /* property "iommu" */
    Object *sim;               /* property "vfio-sim" */
    VfioGroup *group;
    VfioContainer *container;
    bool listening;
} SpaprVfioPhb;

typedef struct SpaprVfioPhbClass {
    SpaprPhbClass parent_class;
} SpaprVfioPhbClass;

OBJECT_DEFINE_TYPE(SpaprVfioPhb, spapr_vfio_phb, TYPE_SPAPR_PCI_VFIO_HOST_BRIDGE,
                   spapr_phb_get_type())

#define SPAPR_VFIO_PHB(o) \
    (G_TYPE_CHECK_INSTANCE_CAST((o), spapr_vfio_phb_get_type(), SpaprVfioPhb))
#define IS_SPAPR_VFIO_PHB(o) (G_TYPE_CHECK_INSTANCE_TYPE((o), spapr_vfio_phb_get_type()))

static const Property spapr_vfio_phb_props[] = {
    DEFINE_PROP_INT32("iommu", SpaprVfioPhb, iommu_group, -1),
    DEFINE_PROP_LINK("vfio-sim", SpaprVfioPhb, sim, "vfio-sim"),
    DEFINE_PROP_END,
};

static char *describe(SpaprVfioPhb *vphb)
{
    Device *dev = DEVICE(vphb);

    return g_strdup_printf("spapr-pci-vfio-host-bridge '%s' (PHB %u)",
                           dev->id ? dev->id : "<anonymous>", SPAPR_PHB(vphb)->index);
}

static VfioHost *host_of(SpaprVfioPhb *vphb)
{
#ifdef CONFIG_VFIO_SIM
    return vphb->sim ? vfio_sim_get_host(vphb->sim) : vfio_host_kernel();
#else
    return vphb->sim ? NULL : vfio_host_kernel();
#endif
}

/* Another PHB already drives this group on this host? */
static SpaprVfioPhb *group_owner(SpaprVfioPhb *self, VfioHost *host, int group)
{
    Bus *sysbus = sysbus_get_default();

    for (guint i = 0; i < sysbus->children->len; i++) {
        Device *d = g_ptr_array_index(sysbus->children, i);
        if (d != DEVICE(self) && IS_SPAPR_VFIO_PHB(d) && SPAPR_VFIO_PHB(d)->group &&
            SPAPR_VFIO_PHB(d)->group->host == host && SPAPR_VFIO_PHB(d)->group->groupid == group) {
            return SPAPR_VFIO_PHB(d);
        }
    }
    return NULL;
}

/*
 * Host functions keep their function numbers; each host device (slot)
 * becomes the next guest slot, from 0, in the group's order.  A guest
 * finds the other functions of a slot only through function 0, and a bus
 * has 32 slots: a group that cannot be laid out so is refused.
 */
static gboolean place_functions(SpaprVfioPhb *vphb, int *devfn, GError **errp)
{
    GPtrArray *names = vphb->group->devices;
    g_autofree char *prev = NULL;
    int slot = -1;

    for (guint i = 0; i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);
        size_t len = strlen(name);
        g_autofree char *dev = len > 2 ? g_strndup(name, len - 2) : g_strdup(name);
        int fn = len ? g_ascii_digit_value(name[len - 1]) : -1;

        if (fn < 0 || fn > 7 || len < 2 || name[len - 2] != '.') {
            error_setg(errp, "group %d: cannot read the function number of '%s'",
                       vphb->iommu_group, name);
            return FALSE;
        }
        if (!prev || strcmp(prev, dev)) {
            if (fn != 0) {
                error_setg(errp, "group %d: %s has no function 0 bound to vfio-pci, so the "
                           "guest could not find it", vphb->iommu_group, name);
                return FALSE;
            }
            if (++slot > 31) {
                error_setg(errp, "group %d has more than 32 devices, more than a PCI bus holds",
                           vphb->iommu_group);
                return FALSE;
            }
            g_free(prev);
            prev = g_strdup(dev);
        }
        devfn[i] = PCI_DEVFN(slot, fn);
    }
    return TRUE;
}

static void unplug_functions(SpaprVfioPhb *vphb)
{
    Bus *bus = BUS(SPAPR_PHB(vphb)->bus);

    while (bus && bus->children->len) {
        Device *d = g_ptr_array_index(bus->children, bus->children->len - 1);
        g_object_ref(d);
        qdev_unrealize(d);
        object_unparent(OBJECT(d));
        g_object_unref(d);
    }
}

static gboolean plug_functions(SpaprVfioPhb *vphb, GError **errp)
{
    SpaprPhb *phb = SPAPR_PHB(vphb);
    GPtrArray *names = vphb->group->devices;
    g_autofree int *devfn = g_new(int, names->len);

    if (!place_functions(vphb, devfn, errp)) {
        return FALSE;
    }
    for (guint i = 0; i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);
        Device *dev = qdev_new(TYPE_VFIO_PCI);
        VfioPciDevice *v = VFIO_PCI(dev);
        g_autofree char *child = g_strdup_printf("vfio-pci[%s]", name);

        v->host = g_strdup(name);
        v->group = vphb->group;
        PCI_DEVICE(dev)->devfn = devfn[i];
        object_add_child(OBJECT(vphb), child, OBJECT(dev), NULL);
        g_object_unref(dev);
        if (!qdev_realize(dev, BUS(phb->bus), errp)) {
            object_unparent(OBJECT(dev));
            return FALSE;
        }
    }
    return TRUE;
}

static void release_host(SpaprVfioPhb *vphb)
{
    SpaprPhb *phb = SPAPR_PHB(vphb);

    unplug_functions(vphb);
    if (vphb->listening) {
        /* windows go first, so their host mappings and host windows go too */
        for (unsigned i = 0; i < SPAPR_PCI_DMA_MAX_WINDOWS; i++) {
            spapr_tce_window_disable(&phb->windows[i]);
        }
        spapr_iommu_listener_del(phb, &vfio_container_listener_ops, vphb->container);
        vphb->listening = false;
    }
    g_clear_pointer(&vphb->container, vfio_container_destroy);
    g_clear_pointer(&vphb->group, vfio_group_close);
}

static gboolean spapr_vfio_phb_realize(Device *dev, GError **errp)
{
    SpaprVfioPhb *vphb = SPAPR_VFIO_PHB(dev);
    SpaprPhb *phb = SPAPR_PHB(dev);
    Machine *m = current_machine;
    g_autofree char *who = describe(vphb);
    VfioHost *host;
    SpaprVfioPhb *owner;

    if (vphb->iommu_group < 0) {
        error_setg(errp, "%s: property 'iommu' (the host IOMMU group number) is required", who);
        return FALSE;
    }
    host = host_of(vphb);
    if (!host) {
        error_setg(errp, "%s: 'vfio-sim' does not name a vfio-sim object", who);
        return FALSE;
    }
    owner = group_owner(vphb, host, vphb->iommu_group);
    if (owner) {
        g_autofree char *other = describe(owner);
        error_setg(errp, "%s: group %d is already owned by %s (a group is one PHB)", who,
                   vphb->iommu_group, other);
        return FALSE;
    }

    if (!DEVICE_CLASS(spapr_vfio_phb_parent_class)->realize(dev, errp)) {
        return FALSE;
    }
    vphb->group = vfio_group_open(host, vphb->iommu_group, errp);
    if (!vphb->group) {
        error_prepend(errp, "%s: ", who);
        goto fail;
    }
    vphb->container = vfio_container_create(vphb->group, who, m->ram.ram, m->ram_size, errp);
    if (!vphb->container) {
        goto fail;
    }
    spapr_iommu_listener_add(phb, &vfio_container_listener_ops, vphb->container);
    vphb->listening = true;
    if (!plug_functions(vphb, errp)) {
        error_prepend(errp, "%s: ", who);
        goto fail;
    }
    /*
     * The default window now, not only at the next reset: the host may
     * refuse it (table memory, locked-memory limit), and a PHB without
     * DMA must not be plugged.
     */
    if (!spapr_phb_iommu_reset(phb, errp)) {
        goto fail;
    }
    return TRUE;

fail:
    release_host(vphb);
    DEVICE_CLASS(spapr_vfio_phb_parent_class)->unrealize(dev);
    return FALSE;
}

static void spapr_vfio_phb_unrealize(Device *dev)
{
    release_host(SPAPR_VFIO_PHB(dev));
    DEVICE_CLASS(spapr_vfio_phb_parent_class)->unrealize(dev);
}

static uint64_t vfio_backend_page_mask(SpaprPhb *phb)
{
    SpaprVfioPhb *vphb = SPAPR_VFIO_PHB(phb);

    return vphb->container ? vfio_container_guest_page_mask(vphb->container) : ~0ull;
}

/* query-spapr-phbs: the host side of a VFIO PHB */
static void vfio_phb_info(SpaprPhb *phb, JsonObject *o)
{
    SpaprVfioPhb *vphb;
    VfioContainer *c;
    JsonObject *v;
    JsonArray *wins, *devs;

    if (!IS_SPAPR_VFIO_PHB(phb)) {
        return;
    }
    vphb = SPAPR_VFIO_PHB(phb);
    c = vphb->container;
    v = json_object_new();
    json_object_set_int_member(v, "group", vphb->iommu_group);
    json_object_set_string_member(v, "host", host_of(vphb)->ops->describe(host_of(vphb)));
    if (c) {
        json_object_set_string_member(v, "backend", c->ops->name);
        wins = json_array_new();
        for (guint i = 0; i < c->host_windows->len; i++) {
            VfioHostWindow *hw = &g_array_index(c->host_windows, VfioHostWindow, i);
            JsonObject *w = json_object_new();
            json_object_set_int_member(w, "start", hw->start);
            json_object_set_int_member(w, "size", hw->size);
            json_object_set_int_member(w, "page-shift", hw->page_shift);
            json_array_add_object_element(wins, w);
        }
        json_object_set_array_member(v, "host-windows", wins);
        json_object_set_int_member(v, "host-mappings", c->nr_mappings);
        /* Type1: where the host lets us map, as its GET_INFO told us */
        if (c->iova_ranges->len) {
            JsonArray *ranges = json_array_new();
            for (guint i = 0; i < c->iova_ranges->len; i++) {
                VfioIovaRange *r = &g_array_index(c->iova_ranges, VfioIovaRange, i);
                JsonObject *o = json_object_new();
                json_object_set_int_member(o, "start", r->start);
                json_object_set_int_member(o, "end", r->end);
                json_array_add_object_element(ranges, o);
            }
            json_object_set_array_member(v, "iova-ranges", ranges);
        }
        json_object_set_int_member(v, "map-calls", c->map_calls);
        json_object_set_int_member(v, "unmap-calls", c->unmap_calls);
    }
    devs = json_array_new();
    for (guint i = 0; vphb->group && i < vphb->group->devices->len; i++) {
        json_array_add_string_element(devs, g_ptr_array_index(vphb->group->devices, i));
    }
    json_object_set_array_member(v, "devices", devs);
    json_object_set_object_member(o, "vfio", v);
}

static void spapr_vfio_phb_init(SpaprVfioPhb *vphb)
{
}

static void spapr_vfio_phb_class_init(SpaprVfioPhbClass *klass)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    SpaprPhbClass *pc = SPAPR_PHB_CLASS(klass);

    OBJECT_CLASS(klass)->props = spapr_vfio_phb_props;
    OBJECT_CLASS(klass)->description = "sPAPR PHB for one host VFIO IOMMU group";
    dc->realize = spapr_vfio_phb_realize;
    dc->unrealize = spapr_vfio_phb_unrealize;
    pc->backend_page_mask = vfio_backend_page_mask;
    spapr_pci_qmp_set_info_hook(vfio_phb_info);
}

type_init(spapr_vfio_phb_get_type)
