/*
 * spapr-pci-host-bridge: properties, placement, realize, the bus's DMA and
 * interrupt routing, and plugging PHBs into the machine.
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "hw/ppc/fdt.h"
#include "hw/ppc/spapr.h"
#include "hw/ppc/spapr_drc.h"
#include "hw/ppc/spapr_events.h"
#include "hw/ppc/spapr_irq.h"
#include "hw/ppc/spapr_pci.h"
#include "trace-events-all.h"

OBJECT_DEFINE_TYPE(SpaprPhb, spapr_phb, TYPE_SPAPR_PCI_HOST_BRIDGE, TYPE_DEVICE)

static const Property spapr_phb_props[] = {
    DEFINE_PROP_UINT32("index", SpaprPhb, index, (uint32_t)-1),
    DEFINE_PROP_UINT64("mem_win_size", SpaprPhb, mem_win_size, SPAPR_PCI_MEM32_WIN_SIZE),
    DEFINE_PROP_UINT64("mem64_win_size", SpaprPhb, mem64_win_size, SPAPR_PCI_MEM64_WIN_SIZE),
    DEFINE_PROP_UINT64("io_win_size", SpaprPhb, io_win_size, SPAPR_PCI_IO_WIN_SIZE),
    DEFINE_PROP_BOOL("dynamic-reconfiguration", SpaprPhb, dr_enabled, true),
    DEFINE_PROP_UINT64("dma_win_addr", SpaprPhb, dma_win_addr, 0),
    DEFINE_PROP_UINT64("dma_win_size", SpaprPhb, dma_win_size, 0x40000000),
    DEFINE_PROP_UINT64("dma64_win_addr", SpaprPhb, dma64_win_addr, 1ull << 59),
    DEFINE_PROP_BOOL("ddw", SpaprPhb, ddw_enabled, true),
    DEFINE_PROP_UINT64("pgsz", SpaprPhb, page_size_mask, SPAPR_PCI_DEFAULT_PGSZ),
    DEFINE_PROP_UINT32("numa_node", SpaprPhb, numa_node, (uint32_t)-1),
    DEFINE_PROP_BOOL("pcie-extended-configuration-space", SpaprPhb, pcie_ecs, true),
    DEFINE_PROP_END,
};

/* Lookup ---------------------------------------------------------------- */

static SpaprPhb *find_phb(SpaprMachine *spapr, bool (*match)(SpaprPhb *, uint64_t),
                          uint64_t key)
{
    Bus *sysbus = MACHINE(spapr)->sysbus;

    for (guint i = 0; i < sysbus->children->len; i++) {
        Device *d = g_ptr_array_index(sysbus->children, i);
        if (IS_SPAPR_PHB(d) && d->realized && match(SPAPR_PHB(d), key)) {
            return SPAPR_PHB(d);
        }
    }
    return NULL;
}

static bool match_buid(SpaprPhb *phb, uint64_t buid)
{
    return phb->buid == buid;
}

static bool match_index(SpaprPhb *phb, uint64_t index)
{
    return phb->index == index;
}

SpaprPhb *spapr_phb_by_buid(SpaprMachine *spapr, uint64_t buid)
{
    return find_phb(spapr, match_buid, buid);
}

SpaprPhb *spapr_phb_by_index(SpaprMachine *spapr, uint32_t index)
{
    return find_phb(spapr, match_index, index);
}

/* CPU windows: the guest's MMIO reaches PCI memory/I/O space through them ---- */

typedef struct WindowMap {
    AddressSpace *(*as)(SpaprPhb *phb);
    uint64_t (*pci_base)(SpaprPhb *phb);
} WindowMap;

static uint64_t fwd_read(AddressSpace *as, uint64_t pci_addr, unsigned size)
{
    uint8_t b[8];
    uint64_t v = 0;

    address_space_read(as, pci_addr, b, size);
    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)b[i] << (8 * i);
    }
    return v;
}

static void fwd_write(AddressSpace *as, uint64_t pci_addr, uint64_t v, unsigned size)
{
    uint8_t b[8];

    for (unsigned i = 0; i < size; i++) {
        b[i] = v >> (8 * i);
    }
    address_space_write(as, pci_addr, b, size);
}

/*
 * The windows are byte-transparent: declared little-endian and converted
 * back to little-endian bytes, so the device's own endianness decides.
 */
static uint64_t mem32_read(void *opaque, hwaddr addr, unsigned size)
{
    SpaprPhb *phb = opaque;
    return fwd_read(phb->bus->mem_as, SPAPR_PCI_MEM_WIN_BUS_OFFSET + addr, size);
}

static void mem32_write(void *opaque, hwaddr addr, uint64_t v, unsigned size)
{
    SpaprPhb *phb = opaque;
    fwd_write(phb->bus->mem_as, SPAPR_PCI_MEM_WIN_BUS_OFFSET + addr, v, size);
}

static uint64_t mem64_read(void *opaque, hwaddr addr, unsigned size)
{
    SpaprPhb *phb = opaque;
    return fwd_read(phb->bus->mem_as, phb->mem64_win_addr + addr, size);
}

static void mem64_write(void *opaque, hwaddr addr, uint64_t v, unsigned size)
{
    SpaprPhb *phb = opaque;
    fwd_write(phb->bus->mem_as, phb->mem64_win_addr + addr, v, size);
}

static uint64_t io_read(void *opaque, hwaddr addr, unsigned size)
{
    SpaprPhb *phb = opaque;
    return fwd_read(phb->bus->io_as, addr, size);
}

static void io_write(void *opaque, hwaddr addr, uint64_t v, unsigned size)
{
    SpaprPhb *phb = opaque;
    fwd_write(phb->bus->io_as, addr, v, size);
}

static const MemoryRegionOps mem32_ops = {
    .read = mem32_read, .write = mem32_write, .endianness = DEVICE_LITTLE_ENDIAN,
};
static const MemoryRegionOps mem64_ops = {
    .read = mem64_read, .write = mem64_write, .endianness = DEVICE_LITTLE_ENDIAN,
};
static const MemoryRegionOps io_ops = {
    .read = io_read, .write = io_write, .endianness = DEVICE_LITTLE_ENDIAN,
};

/* DMA and interrupts of the bus -------------------------------------------- */

/*
 * A device write into the MSI window is an MSI: its data is the global
 * interrupt number that ibm,change-msi programmed.
 */
static bool msi_window_write(SpaprPhb *phb, uint64_t addr, const void *buf, uint64_t len)
{
    SpaprMachine *spapr = spapr_machine();
    const uint8_t *b = buf;
    uint32_t irq;

    if (addr < SPAPR_PCI_MSI_WINDOW || addr - SPAPR_PCI_MSI_WINDOW >= SPAPR_PCI_MSI_WINDOW_SIZE) {
        return false;
    }
    if (len != 4) {
        phb->dma_faults++;
        return true;
    }
    irq = b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
    if (irq < SPAPR_IRQ_MSI || irq >= SPAPR_IRQ_MAX) {
        phb->dma_faults++;
        return true;
    }
    qemu_irq_pulse(spapr_qirq(spapr, irq));
    return true;
}

static MemTxResult phb_bus_dma_rw(void *opaque, PCIDevice *dev, uint64_t addr, void *buf,
                                  uint64_t len, bool is_write)
{
    SpaprPhb *phb = opaque;

    if (is_write && msi_window_write(phb, addr, buf, len)) {
        return MEMTX_OK;
    }
    return spapr_phb_dma_rw(phb, addr, buf, len, is_write);
}

/* QEMU's swizzle: pin p of slot s uses LSI (s + p) % 4 of the PHB. */
static void phb_bus_set_irq(void *opaque, int devfn, int pin, int level)
{
    SpaprPhb *phb = opaque;
    int n = (PCI_SLOT(devfn) + pin) % 4;
    int before = phb->lsi_count[n];

    phb->lsi_count[n] += level ? 1 : -1;
    g_assert(phb->lsi_count[n] >= 0);
    if (!before != !phb->lsi_count[n]) {
        qemu_set_irq(spapr_qirq(spapr_machine(), phb->lsi_base + n), phb->lsi_count[n] > 0);
    }
}

static const PCIBusHostOps phb_bus_ops = {
    .dma_rw = phb_bus_dma_rw,
    .set_irq = phb_bus_set_irq,
};

/* Lifecycle ----------------------------------------------------------------- */

/* QEMU's BusClass.automatic_ids of the PCI bus type: never reused */
static unsigned pci_bus_automatic_ids;

static gboolean spapr_phb_realize(Device *dev, GError **errp)
{
    SpaprPhb *phb = SPAPR_PHB(dev);
    SpaprMachine *spapr = spapr_machine();
    Machine *m = MACHINE(spapr);
    MemoryRegion *sysmem = m->system_as->root;
    const char *who = dev->id ? dev->id : "<anonymous>";
    int i;

    /* index range and uniqueness were checked by pre_plug */
    if (phb->mem_win_size > SPAPR_PCI_MEM32_WIN_SIZE) {
        error_setg(errp, "spapr-pci-host-bridge '%s' (PHB %u): 32-bit memory window of size "
                   "0x%" PRIx64 " (max 2 GiB)", who, phb->index, phb->mem_win_size);
        return FALSE;
    }
    if (phb->mem64_win_size > SPAPR_PCI_MEM64_WIN_SIZE) {
        error_setg(errp, "spapr-pci-host-bridge '%s' (PHB %u): 64-bit memory window of size "
                   "0x%" PRIx64 " (max 1 TiB)", who, phb->index, phb->mem64_win_size);
        return FALSE;
    }
    if (phb->io_win_size > SPAPR_PCI_IO_WIN_SIZE) {
        error_setg(errp, "spapr-pci-host-bridge '%s' (PHB %u): I/O window of size 0x%" PRIx64
                   " (max 64 KiB)", who, phb->index, phb->io_win_size);
        return FALSE;
    }
    if (phb->dma_win_size == 0 || (phb->dma_win_size & 0xfff) || (phb->dma_win_addr & 0xfff)) {
        error_setg(errp, "spapr-pci-host-bridge '%s' (PHB %u): DMA window 0x%" PRIx64
                   "+0x%" PRIx64 " must be non-empty and 4 KiB aligned", who, phb->index,
                   phb->dma_win_addr, phb->dma_win_size);
        return FALSE;
    }

    phb->buid = SPAPR_PCI_BUID_BASE + phb->index;
    phb->io_win_addr = SPAPR_PCI_BASE + phb->index * SPAPR_PCI_IO_WIN_SIZE;
    phb->mem_win_addr = SPAPR_PCI_BASE + (phb->index + 1ull) * SPAPR_PCI_MEM32_WIN_SIZE;
    phb->mem64_win_addr = SPAPR_PCI_BASE + (phb->index + 1ull) * SPAPR_PCI_MEM64_WIN_SIZE;
    for (i = 0; i < SPAPR_PCI_DMA_MAX_WINDOWS; i++) {
        phb->dma_liobn[i] = SPAPR_PCI_LIOBN(phb->index, i);
    }
    phb->lsi_base = SPAPR_IRQ_PCI_LSI + 4 * phb->index;
    for (i = 0; i < 4; i++) {
        if (!spapr_irq_claim(spapr, phb->lsi_base + i, true, errp)) {
            error_prepend(errp, "spapr-pci-host-bridge '%s' (PHB %u): ", who, phb->index);
            spapr_irq_free(spapr, phb->lsi_base, i);
            return FALSE;
        }
    }

    /*
     * QEMU names a bridge's bus after its id, else "pci.N" where N counts the
     * unnamed PCI buses created so far (not the index: PHB 5 may be pci.1)
     */
    phb->busname = dev->id ? g_strdup_printf("%s.0", dev->id)
                           : g_strdup_printf("pci.%u", pci_bus_automatic_ids++);
    phb->bus = pci_root_bus_new(dev, phb->busname, &phb_bus_ops, phb);
    phb->bus->extended_config = phb->pcie_ecs;

    memory_region_init_io(&phb->mem32_window, "spapr-pci-mem32", &mem32_ops, phb,
                          phb->mem_win_size);
    memory_region_add_subregion(sysmem, phb->mem_win_addr, &phb->mem32_window, 0);
    if (phb->mem64_win_size) {
        memory_region_init_io(&phb->mem64_window, "spapr-pci-mem64", &mem64_ops, phb,
                              phb->mem64_win_size);
        memory_region_add_subregion(sysmem, phb->mem64_win_addr, &phb->mem64_window, 0);
    }
    if (phb->io_win_size) {
        memory_region_init_io(&phb->io_window, "spapr-pci-io", &io_ops, phb, phb->io_win_size);
        memory_region_add_subregion(sysmem, phb->io_win_addr, &phb->io_window, 0);
    }
    phb->msi = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    spapr_phb_iommu_init(phb);
    return TRUE;
}

static void phb_free_msis(SpaprPhb *phb)
{
    SpaprMachine *spapr = spapr_machine();
    GHashTableIter it;
    gpointer v;

    g_hash_table_iter_init(&it, phb->msi);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        SpaprPhbMsi *msi = v;
        spapr_irq_free(spapr, msi->first_irq, msi->num);
    }
    g_hash_table_remove_all(phb->msi);
}

static void spapr_phb_unrealize(Device *dev)
{
    SpaprPhb *phb = SPAPR_PHB(dev);
    SpaprMachine *spapr = spapr_machine();
    SpaprDrc *drc = spapr_drc_by_index(spapr, SPAPR_DRC_PHB_INDEX(phb->index));

    if (drc && drc->dev == dev) {
        spapr_drc_detach(drc);
    }
    spapr_phb_iommu_fini(phb);
    phb_free_msis(phb);
    g_clear_pointer(&phb->msi, g_hash_table_unref);
    spapr_irq_free(spapr, phb->lsi_base, 4);
    memory_region_finalize(&phb->mem32_window);
    memory_region_finalize(&phb->mem64_window);
    memory_region_finalize(&phb->io_window);
    pci_root_bus_cleanup(phb->bus);
    /* the bus object itself is owned by dev->child_buses */
    phb->bus = NULL;
    g_clear_pointer(&phb->busname, g_free);
}

static void spapr_phb_reset(Device *dev)
{
    SpaprPhb *phb = SPAPR_PHB(dev);
    g_autoptr(GError) err = NULL;

    /* a reset guest starts without MSIs and with only the default window, as at boot */
    phb_free_msis(phb);
    if (!spapr_phb_iommu_reset(phb, &err)) {
        /* only a VFIO host can refuse the default window; the PHB then has no DMA */
        error_report("%s", err->message);
    }
}

static void spapr_phb_init(SpaprPhb *phb)
{
    phb->mem32_window.ram_fd = phb->mem64_window.ram_fd = phb->io_window.ram_fd = -1;
}

static void spapr_phb_class_init(SpaprPhbClass *klass)
{
    DeviceClass *dc = DEVICE_CLASS(klass);

    OBJECT_CLASS(klass)->props = spapr_phb_props;
    OBJECT_CLASS(klass)->description = "sPAPR PCI host bridge (IBM,Logical_PHB)";
    dc->user_creatable = true;
    dc->hotpluggable = true;
    dc->realize = spapr_phb_realize;
    dc->unrealize = spapr_phb_unrealize;
    dc->reset = spapr_phb_reset;
}

type_init(spapr_phb_get_type)

/* Plugging into the machine ---------------------------------------------------- */

gboolean spapr_phb_create_default(SpaprMachine *spapr, GError **errp)
{
    Device *dev = qdev_new(TYPE_SPAPR_PCI_HOST_BRIDGE);

    SPAPR_PHB(dev)->index = 0;
    object_add_child(container_get("/machine/unattached"), "device[0]", OBJECT(dev), NULL);
    g_object_unref(dev);
    if (!qdev_realize(dev, MACHINE(spapr)->sysbus, errp)) {
        object_unparent(OBJECT(dev));
        return FALSE;
    }
    return TRUE;
}

gboolean spapr_phb_pre_plug(Object *handler, Device *dev, GError **errp)
{
    SpaprMachine *spapr = SPAPR_MACHINE(handler);
    SpaprPhb *phb;
    SpaprDrc *drc;

    if (!IS_SPAPR_PHB(dev)) {
        return TRUE;
    }
    phb = SPAPR_PHB(dev);
    if (phb->index == (uint32_t)-1) {
        error_setg(errp, "\"index\" for PAPR PHB is mandatory");
        return FALSE;
    }
    if (phb->index >= SPAPR_MAX_PHBS) {
        error_setg(errp, "\"index\" for PAPR PHB is too large (max %u)", SPAPR_MAX_PHBS - 1);
        return FALSE;
    }
    drc = spapr_drc_by_index(spapr, SPAPR_DRC_PHB_INDEX(phb->index));
    if (drc->dev) {
        error_setg(errp, "PHB %u already attached", phb->index);
        return FALSE;
    }
    return TRUE;
}

static void phb_release(Device *dev)
{
    qdev_unplug_complete(dev);
}

/*
 * The configure-connector fragment: the boot tree's node plus "name", which
 * firmware adds at boot (as QEMU's spapr_phb_dt_populate, for any PHB the
 * guest takes through its DRC; the machine's own tree never has it).
 */
static int phb_dt_populate(Device *dev, void *fdt, int parent, GError **errp)
{
    int node = spapr_phb_dt_populate(dev, fdt, parent, errp);

    if (node >= 0) {
        _FDT(fdt_setprop_string(fdt, node, "name", "pci"));
    }
    return node;
}

static const SpaprDrcOps phb_drc_ops = {
    .dt_populate = phb_dt_populate,
    .release = phb_release,
};

void spapr_phb_plug(Object *handler, Device *dev)
{
    SpaprMachine *spapr = SPAPR_MACHINE(handler);
    SpaprPhb *phb;
    SpaprDrc *drc;

    if (!IS_SPAPR_PHB(dev)) {
        return;
    }
    phb = SPAPR_PHB(dev);
    drc = spapr_drc_by_index(spapr, SPAPR_DRC_PHB_INDEX(phb->index));
    spapr_drc_attach(drc, dev, &phb_drc_ops, dev->hotplugged);
    if (dev->hotplugged) {
        spapr_event_queue_hotplug(spapr, SPAPR_HP_TYPE_PCI_PHB, SPAPR_HP_ACTION_ADD,
                                  drc->index);
    }
}

gboolean spapr_phb_unplug_request(Object *handler, Device *dev, GError **errp)
{
    SpaprMachine *spapr = SPAPR_MACHINE(handler);
    SpaprPhb *phb;
    SpaprDrc *drc;

    if (!IS_SPAPR_PHB(dev)) {
        error_setg(errp, "Device '%s' does not support hotplugging", object_type_name(OBJECT(dev)));
        return FALSE;
    }
    phb = SPAPR_PHB(dev);
    drc = spapr_drc_by_index(spapr, SPAPR_DRC_PHB_INDEX(phb->index));
    if (dev->unplug_pending) {
        error_setg(errp, "PCI Host Bridge unplug already in progress for device %s",
                   dev->id ? dev->id : "<anonymous>");
        return FALSE;
    }
    dev->unplug_pending = true;
    spapr_drc_unplug_request(spapr, drc);
    /* as QEMU: queued even when the device went at once (the guest never took it) */
    spapr_event_queue_hotplug(spapr, SPAPR_HP_TYPE_PCI_PHB, SPAPR_HP_ACTION_REMOVE,
                              drc->index);
    return TRUE;
}
