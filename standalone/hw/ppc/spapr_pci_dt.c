/*
 * Device-tree nodes of a PHB and of the functions behind it, with the
 * properties and values QEMU's pseries gives them.
 */
#include "qemu/osdep.h"
#include "hw/ppc/fdt.h"
#include "hw/ppc/spapr.h"
#include "hw/ppc/spapr_drc.h"
#include "hw/ppc/spapr_irq.h"
#include "hw/ppc/spapr_pci.h"
#include "hw/ppc/spapr_rtas.h"

/* Generic OF node names by class (IEEE 1275 PCI binding, as QEMU names them). */
typedef struct ClassName {
    uint16_t class_sub;        /* class << 8 | subclass; 0xff subclass = any */
    const char *name;
} ClassName;

static const ClassName class_names[] = {
    { 0x0001, "vga" },
    { 0x00ff, "legacy-device" },
    { 0x0100, "scsi" }, { 0x0101, "ide" }, { 0x0102, "fdc" }, { 0x0103, "ipi" },
    { 0x0104, "raid" }, { 0x0105, "ata" }, { 0x0106, "sata" }, { 0x0107, "sas" },
    { 0x01ff, "mass-storage" },
    { 0x0200, "ethernet" }, { 0x0201, "token-ring" }, { 0x0202, "fddi" }, { 0x0203, "atm" },
    { 0x0204, "isdn" }, { 0x0205, "worldfip" }, { 0x0206, "picmg" },
    { 0x02ff, "network" },
    { 0x0300, "vga" }, { 0x0301, "xga" }, { 0x0302, "3d-controller" },
    { 0x03ff, "display" },
    { 0x0400, "video" }, { 0x0401, "sound" }, { 0x0402, "telephony" },
    { 0x04ff, "multimedia-device" },
    { 0x0500, "memory" }, { 0x0501, "flash" },
    { 0x05ff, "memory-controller" },
    { 0x0600, "host" }, { 0x0601, "isa" }, { 0x0602, "eisa" }, { 0x0603, "mca" },
    { 0x0604, "pci" }, { 0x0605, "pcmcia" }, { 0x0606, "nubus" }, { 0x0607, "cardbus" },
    { 0x0608, "raceway" }, { 0x0609, "semi-transparent-pci" }, { 0x060a, "infiniband" },
    { 0x06ff, "unknown-bridge" },
    { 0x0700, "serial" }, { 0x0701, "parallel" }, { 0x0702, "multiport-serial" },
    { 0x0703, "modem" }, { 0x0704, "gpib" }, { 0x0705, "smart-card" },
    { 0x07ff, "communication-controller" },
    { 0x0800, "interrupt-controller" }, { 0x0801, "dma-controller" }, { 0x0802, "timer" },
    { 0x0803, "rtc" }, { 0x0804, "hot-plug-controller" }, { 0x0805, "sd-host-controller" },
    { 0x08ff, "system-peripheral" },
    { 0x0900, "keyboard" }, { 0x0901, "pen" }, { 0x0902, "mouse" }, { 0x0903, "scanner" },
    { 0x0904, "gameport" },
    { 0x09ff, "input-controller" },
    { 0x0aff, "docking-station" },
    { 0x0bff, "cpu" },
    { 0x0c00, "firewire" }, { 0x0c01, "access-bus" }, { 0x0c02, "ssa" },
    { 0x0c04, "fibre-channel" }, { 0x0c05, "smb" }, { 0x0c06, "infiniband" },
    { 0x0c07, "ipmi" }, { 0x0c08, "sercos" }, { 0x0c09, "canbus" },
    { 0x0cff, "serial-bus" },
    { 0x0d00, "irda" }, { 0x0d01, "consumer-ir" }, { 0x0d10, "rf-controller" },
    { 0x0d11, "bluetooth" }, { 0x0d12, "broadband" },
    { 0x0dff, "wireless-controller" },
    { 0x0eff, "intelligent-controller" },
    { 0x0fff, "satellite-device" },
    { 0x10ff, "encryption" },
    { 0x11ff, "data-processing-controller" },
};

static const char *usb_name(uint8_t progif)
{
    switch (progif) {
    case 0x00:
        return "usb-uhci";
    case 0x10:
        return "usb-ohci";
    case 0x20:
        return "usb-ehci";
    case 0x30:
        return "usb-xhci";
    default:
        return "usb";
    }
}

static const char *node_name_for_class(uint32_t class_code)
{
    uint8_t cls = class_code >> 16, sub = class_code >> 8;
    const char *generic = "pci";

    if (cls == 0x0c && sub == 0x03) {
        return usb_name(class_code);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(class_names); i++) {
        if (class_names[i].class_sub == (cls << 8 | sub)) {
            return class_names[i].name;
        }
        if (class_names[i].class_sub == (cls << 8 | 0xff)) {
            generic = class_names[i].name;
        }
    }
    return generic;
}

static void append_cell(GByteArray *a, uint32_t v)
{
    uint32_t be = cpu_to_fdt32(v);

    g_byte_array_append(a, (guint8 *)&be, 4);
}

static void dt_reg(void *fdt, int node, PCIDevice *dev)
{
    g_autoptr(GByteArray) reg = g_byte_array_new();
    uint32_t phys_hi = dev->devfn << 8;     /* bus 0: root bus */

    for (int i = 0; i < 5; i++) {
        append_cell(reg, i == 0 ? phys_hi : 0);
    }
    for (int bar = 0; bar < PCI_NUM_REGIONS; bar++) {
        PCIIORegion *r = &dev->io_regions[bar];
        uint32_t hi = phys_hi | (bar == PCI_ROM_SLOT ? PCI_ROM_ADDRESS : PCI_BASE_ADDRESS_0 + 4 * bar);

        if (!r->size) {
            continue;
        }
        if (r->type & PCI_BASE_ADDRESS_SPACE_IO) {
            hi |= 1u << 24;
        } else {
            hi |= (r->type & PCI_BASE_ADDRESS_MEM_TYPE_64 ? 3u : 2u) << 24;
            if (r->type & PCI_BASE_ADDRESS_MEM_PREFETCH) {
                hi |= 1u << 30;
            }
        }
        append_cell(reg, hi);
        append_cell(reg, 0);
        append_cell(reg, 0);
        append_cell(reg, r->size >> 32);
        append_cell(reg, r->size);
    }
    _FDT(fdt_setprop(fdt, node, "reg", reg->data, reg->len));
}

static void dt_pci_device(SpaprPhb *phb, PCIDevice *dev, void *fdt, int parent)
{
    const uint8_t *c = dev->config;
    uint32_t class_code = pci_get_long(c + PCI_REVISION_ID) >> 8;
    uint16_t status = pci_get_word(c + PCI_STATUS);
    g_autofree char *name = NULL;
    g_autofree char *loc = NULL;
    int node;

    name = PCI_FUNC(dev->devfn)
           ? g_strdup_printf("%s@%x,%x", node_name_for_class(class_code), PCI_SLOT(dev->devfn),
                             PCI_FUNC(dev->devfn))
           : g_strdup_printf("%s@%x", node_name_for_class(class_code), PCI_SLOT(dev->devfn));
    node = _FDT(fdt_add_subnode(fdt, parent, name));

    _FDT(fdt_setprop_cell(fdt, node, "vendor-id", pci_get_word(c + PCI_VENDOR_ID)));
    _FDT(fdt_setprop_cell(fdt, node, "device-id", pci_get_word(c + PCI_DEVICE_ID)));
    _FDT(fdt_setprop_cell(fdt, node, "revision-id", c[PCI_REVISION_ID]));
    _FDT(fdt_setprop_cell(fdt, node, "class-code", class_code));
    if (c[PCI_INTERRUPT_PIN]) {
        _FDT(fdt_setprop_cell(fdt, node, "interrupts", c[PCI_INTERRUPT_PIN]));
    }
    if (pci_get_word(c + PCI_SUBSYSTEM_ID)) {
        _FDT(fdt_setprop_cell(fdt, node, "subsystem-id", pci_get_word(c + PCI_SUBSYSTEM_ID)));
    }
    if (pci_get_word(c + PCI_SUBSYSTEM_VENDOR_ID)) {
        _FDT(fdt_setprop_cell(fdt, node, "subsystem-vendor-id",
                              pci_get_word(c + PCI_SUBSYSTEM_VENDOR_ID)));
    }
    _FDT(fdt_setprop_cell(fdt, node, "cache-line-size", c[PCI_CACHE_LINE_SIZE]));
    _FDT(fdt_setprop_cell(fdt, node, "devsel-speed", status & PCI_STATUS_DEVSEL_MASK));
    if (status & PCI_STATUS_FAST_BACK) {
        _FDT(fdt_setprop(fdt, node, "fast-back-to-back", NULL, 0));
    }
    if (status & PCI_STATUS_66MHZ) {
        _FDT(fdt_setprop(fdt, node, "66mhz-capable", NULL, 0));
    }
    if (status & PCI_STATUS_UDF) {
        _FDT(fdt_setprop(fdt, node, "udf-supported", NULL, 0));
    }
    loc = g_strdup_printf("%s_%s:%04x:%02x:%02x.%x",
                          g_str_has_prefix(object_type_name(OBJECT(dev)), "vfio") ? "vfio" : "qemu",
                          object_type_name(OBJECT(dev)), phb->index, 0,
                          PCI_SLOT(dev->devfn), PCI_FUNC(dev->devfn));
    _FDT(fdt_setprop_string(fdt, node, "ibm,loc-code", loc));
    if (phb->dr_enabled) {
        _FDT(fdt_setprop_cell(fdt, node, "ibm,my-drc-index",
                              SPAPR_DRC_PCI_INDEX(phb->index, dev->devfn)));
    }
    if (dev->msi_cap && msi_max_vectors(dev)) {
        _FDT(fdt_setprop_cell(fdt, node, "ibm,req#msi", msi_max_vectors(dev)));
    }
    if (dev->msix_cap && msix_nr_vectors(dev)) {
        _FDT(fdt_setprop_cell(fdt, node, "ibm,req#msi-x", msix_nr_vectors(dev)));
    }
    dt_reg(fdt, node, dev);
    /* device level: this function's 4 KiB space is reachable through RTAS */
    if (phb->pcie_ecs && pci_is_express(dev)) {
        _FDT(fdt_setprop_cell(fdt, node, "ibm,pci-config-space-type", 1));
    }
    _FDT(fdt_setprop_cell(fdt, node, "min-grant", c[PCI_MIN_GNT]));
    _FDT(fdt_setprop_cell(fdt, node, "max-latency", c[PCI_MAX_LAT]));
}

static void dt_slot_drcs(SpaprPhb *phb, void *fdt, int node)
{
    g_autoptr(GByteArray) idx = g_byte_array_new(), names = g_byte_array_new(),
                          types = g_byte_array_new(), power = g_byte_array_new();

    append_cell(idx, 256);
    append_cell(names, 256);
    append_cell(types, 256);
    append_cell(power, 256);
    for (unsigned devfn = 0; devfn < 256; devfn++) {
        char name[16];
        uint32_t id = phb->index << 16 | devfn;

        append_cell(idx, SPAPR_DRC_PCI_INDEX(phb->index, devfn));
        snprintf(name, sizeof(name), "C%u", id);
        g_byte_array_append(names, (guint8 *)name, strlen(name) + 1);
        g_byte_array_append(types, (guint8 *)"28", 3);
        append_cell(power, 0xffffffff);
    }
    _FDT(fdt_setprop(fdt, node, "ibm,drc-indexes", idx->data, idx->len));
    _FDT(fdt_setprop(fdt, node, "ibm,drc-names", names->data, names->len));
    _FDT(fdt_setprop(fdt, node, "ibm,drc-types", types->data, types->len));
    _FDT(fdt_setprop(fdt, node, "ibm,drc-power-domains", power->data, power->len));
}

static void dt_interrupt_map(SpaprPhb *phb, void *fdt, int node)
{
    uint32_t mask[] = { cpu_to_fdt32(0xf800), 0, 0, cpu_to_fdt32(0xffffffff) };
    uint32_t map[32 * 4 * 7];
    int n = 0;

    for (int slot = 0; slot < 32; slot++) {
        for (int pin = 0; pin < 4; pin++) {
            map[n++] = cpu_to_fdt32(slot << 11);
            map[n++] = 0;
            map[n++] = 0;
            map[n++] = cpu_to_fdt32(pin + 1);
            map[n++] = cpu_to_fdt32(SPAPR_INTC_PHANDLE);
            map[n++] = cpu_to_fdt32(phb->lsi_base + (slot + pin) % 4);
            map[n++] = cpu_to_fdt32(1);                 /* level */
        }
    }
    _FDT(fdt_setprop(fdt, node, "interrupt-map-mask", mask, sizeof(mask)));
    _FDT(fdt_setprop(fdt, node, "interrupt-map", map, sizeof(map)));
}

int spapr_phb_dt_populate(Device *dev, void *fdt, int parent, GError **errp)
{
    SpaprPhb *phb = SPAPR_PHB(dev);
    g_autofree char *name = g_strdup_printf("pci@%" PRIx64, phb->buid);
    g_autoptr(GByteArray) ranges = g_byte_array_new();
    uint32_t bus_range[] = { 0, cpu_to_fdt32(0xff) };
    uint32_t dma_window[] = {
        cpu_to_fdt32(phb->dma_liobn[0]),
        cpu_to_fdt32(phb->dma_win_addr >> 32), cpu_to_fdt32(phb->dma_win_addr),
        cpu_to_fdt32(phb->dma_win_size >> 32), cpu_to_fdt32(phb->dma_win_size),
    };
    int node = _FDT(fdt_add_subnode(fdt, parent, name));

    _FDT(fdt_setprop_string(fdt, node, "device_type", "pci"));
    _FDT(fdt_setprop_string(fdt, node, "compatible", "IBM,Logical_PHB"));
    _FDT(fdt_setprop_cell(fdt, node, "#interrupt-cells", 1));
    _FDT(fdt_setprop(fdt, node, "used-by-rtas", NULL, 0));
    _FDT(fdt_setprop(fdt, node, "bus-range", bus_range, sizeof(bus_range)));
    _FDT(fdt_setprop_u64_pair(fdt, node, "reg", phb->buid, 0));

    /* ranges: <phys.hi, PCI address (2), CPU address (2), size (2)> */
    append_cell(ranges, 0x01000000);
    append_cell(ranges, 0);
    append_cell(ranges, 0);
    append_cell(ranges, phb->io_win_addr >> 32);
    append_cell(ranges, phb->io_win_addr);
    append_cell(ranges, 0);
    append_cell(ranges, phb->io_win_size);
    append_cell(ranges, 0x02000000);
    append_cell(ranges, 0);
    append_cell(ranges, SPAPR_PCI_MEM_WIN_BUS_OFFSET);
    append_cell(ranges, phb->mem_win_addr >> 32);
    append_cell(ranges, phb->mem_win_addr);
    append_cell(ranges, phb->mem_win_size >> 32);
    append_cell(ranges, phb->mem_win_size);
    if (phb->mem64_win_size) {
        append_cell(ranges, 0x03000000);
        append_cell(ranges, phb->mem64_win_addr >> 32);
        append_cell(ranges, phb->mem64_win_addr);
        append_cell(ranges, phb->mem64_win_addr >> 32);
        append_cell(ranges, phb->mem64_win_addr);
        append_cell(ranges, phb->mem64_win_size >> 32);
        append_cell(ranges, phb->mem64_win_size);
    }
    _FDT(fdt_setprop(fdt, node, "ranges", ranges->data, ranges->len));
    _FDT(fdt_setprop_cell(fdt, node, "#address-cells", 3));
    _FDT(fdt_setprop_cell(fdt, node, "#size-cells", 2));
    /* PHB level: config accesses through RTAS may use the 4 KiB space (QEMU: always) */
    _FDT(fdt_setprop_cell(fdt, node, "ibm,pci-config-space-type", 1));
    _FDT(fdt_setprop_cell(fdt, node, "ibm,pe-total-#msi", spapr_irq_msi_total()));
    if (phb->ddw_enabled) {
        uint32_t applicable[] = {
            cpu_to_fdt32(RTAS_TOKEN_BASE + RTAS_IBM_QUERY_PE_DMA_WINDOW),
            cpu_to_fdt32(RTAS_TOKEN_BASE + RTAS_IBM_CREATE_PE_DMA_WINDOW),
            cpu_to_fdt32(RTAS_TOKEN_BASE + RTAS_IBM_REMOVE_PE_DMA_WINDOW),
        };
        /* count, reset-pe-dma-window token, query returns 6 outputs */
        uint32_t extensions[] = {
            cpu_to_fdt32(2), cpu_to_fdt32(RTAS_TOKEN_BASE + RTAS_IBM_RESET_PE_DMA_WINDOW),
            cpu_to_fdt32(1),
        };
        _FDT(fdt_setprop(fdt, node, "ibm,ddw-applicable", applicable, sizeof(applicable)));
        _FDT(fdt_setprop(fdt, node, "ibm,ddw-extensions", extensions, sizeof(extensions)));
    }
    if (phb->numa_node != (uint32_t)-1) {
        uint32_t assoc[] = { cpu_to_fdt32(4), 0, 0, 0, cpu_to_fdt32(phb->numa_node) };
        _FDT(fdt_setprop(fdt, node, "ibm,associativity", assoc, sizeof(assoc)));
    }
    dt_interrupt_map(phb, fdt, node);
    _FDT(fdt_setprop(fdt, node, "ibm,dma-window", dma_window, sizeof(dma_window)));
    _FDT(fdt_setprop_cell(fdt, node, "ibm,#dma-address-cells", 2));
    _FDT(fdt_setprop_cell(fdt, node, "ibm,#dma-size-cells", 2));
    _FDT(fdt_setprop_cell(fdt, node, "qemu,phb-enumerated", 1));
    _FDT(fdt_setprop_cell(fdt, node, "ibm,my-drc-index", SPAPR_DRC_PHB_INDEX(phb->index)));
    if (phb->dr_enabled) {
        dt_slot_drcs(phb, fdt, node);
    }
    for (int devfn = 0; devfn < 256; devfn++) {
        PCIDevice *pdev = pci_find_device(phb->bus, devfn);
        if (pdev) {
            dt_pci_device(phb, pdev, fdt, node);
        }
    }
    return node;
}

void spapr_dt_phbs(SpaprMachine *spapr, void *fdt)
{
    for (uint32_t i = 0; i < SPAPR_MAX_PHBS; i++) {
        SpaprPhb *phb = spapr_phb_by_index(spapr, i);
        if (phb) {
            spapr_phb_dt_populate(DEVICE(phb), fdt, 0, NULL);
        }
    }
}

int spapr_phb_slot_sense(SpaprMachine *spapr, uint32_t drc_index)
{
    uint32_t id = drc_index & 0x0fffffff;
    SpaprPhb *phb = spapr_phb_by_index(spapr, id >> 16);

    if (!phb || !phb->dr_enabled || ((id >> 8) & 0xff) != 0) {
        return -1;
    }
    return pci_find_device(phb->bus, id & 0xff) ? SPAPR_DR_ENTITY_SENSE_PRESENT
                                                : SPAPR_DR_ENTITY_SENSE_EMPTY;
}
