/*
 * QMP views of the PHBs: query-spapr-phbs (this project's) and query-pci
 * (QEMU's shape, one entry per PHB root bus).
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "hw/ppc/spapr.h"
#include "hw/ppc/spapr_iommu.h"
#include "hw/ppc/spapr_pci.h"
#include "monitor/qmp.h"

static JsonArray *windows_json(SpaprPhb *phb)
{
    JsonArray *a = json_array_new();

    for (unsigned i = 0; i < SPAPR_PCI_DMA_MAX_WINDOWS; i++) {
        SpaprTceWindow *w = &phb->windows[i];
        JsonObject *o;

        if (!w->enabled) {
            continue;
        }
        o = json_object_new();
        json_object_set_int_member(o, "liobn", w->liobn);
        json_object_set_string_member(o, "type", w->num ? "ddw64" : "default32");
        json_object_set_int_member(o, "bus-start", w->bus_offset);
        json_object_set_int_member(o, "size", spapr_tce_window_size(w));
        json_object_set_int_member(o, "page-shift", w->page_shift);
        json_object_set_int_member(o, "entries", w->nb_entries);
        json_object_set_int_member(o, "entries-in-use", spapr_tce_table_used(w->table));
        json_object_set_int_member(o, "table-bytes", spapr_tce_table_memory(w->table));
        json_array_add_object_element(a, o);
    }
    return a;
}

/* Extra members a PHB subclass adds (the VFIO PHB: group, container, host windows). */
static void (*phb_info_extra)(SpaprPhb *phb, JsonObject *o);

void spapr_pci_qmp_set_info_hook(void (*fn)(SpaprPhb *phb, JsonObject *o))
{
    phb_info_extra = fn;
}

static JsonNode *qmp_query_spapr_phbs(JsonObject *args, GError **errp)
{
    SpaprMachine *spapr = spapr_machine();
    JsonArray *a = json_array_new();
    JsonNode *n;

    for (uint32_t i = 0; i < SPAPR_MAX_PHBS; i++) {
        SpaprPhb *phb = spapr_phb_by_index(spapr, i);
        JsonObject *o;

        if (!phb) {
            continue;
        }
        o = json_object_new();
        json_object_set_int_member(o, "index", phb->index);
        json_object_set_int_member(o, "buid", phb->buid);
        json_object_set_string_member(o, "type", object_type_name(OBJECT(phb)));
        if (DEVICE(phb)->id) {
            json_object_set_string_member(o, "id", DEVICE(phb)->id);
        }
        json_object_set_string_member(o, "bus", phb->busname);
        json_object_set_boolean_member(o, "ddw", phb->ddw_enabled);
        json_object_set_array_member(o, "windows", windows_json(phb));
        json_object_set_int_member(o, "dma-faults", phb->dma_faults);
        if (phb_info_extra) {
            phb_info_extra(phb, o);
        }
        json_array_add_object_element(a, o);
    }
    n = json_node_init_array(json_node_alloc(), a);
    json_array_unref(a);
    return n;
}

static JsonObject *region_json(PCIDevice *dev, int bar)
{
    PCIIORegion *r = &dev->io_regions[bar];
    JsonObject *o = json_object_new();
    uint64_t addr = pci_bar_address(dev, bar);

    json_object_set_int_member(o, "bar", bar);
    if (r->type & PCI_BASE_ADDRESS_SPACE_IO) {
        json_object_set_string_member(o, "type", "io");
    } else {
        json_object_set_string_member(o, "type", "memory");
        json_object_set_boolean_member(o, "prefetch", !!(r->type & PCI_BASE_ADDRESS_MEM_PREFETCH));
        json_object_set_boolean_member(o, "mem_type_64", !!(r->type & PCI_BASE_ADDRESS_MEM_TYPE_64));
    }
    /* QEMU reports an unmapped BAR at address -1 */
    json_object_set_int_member(o, "address", addr == PCI_BAR_UNMAPPED ? -1 : (int64_t)addr);
    json_object_set_int_member(o, "size", r->size);
    return o;
}

static JsonObject *device_json(PCIDevice *dev)
{
    const uint8_t *c = dev->config;
    JsonObject *o = json_object_new(), *cls = json_object_new(), *id = json_object_new();
    JsonArray *regions = json_array_new();

    json_object_set_int_member(o, "bus", 0);
    json_object_set_int_member(o, "slot", PCI_SLOT(dev->devfn));
    json_object_set_int_member(o, "function", PCI_FUNC(dev->devfn));
    json_object_set_int_member(cls, "class", pci_get_word(c + PCI_CLASS_DEVICE));
    json_object_set_object_member(o, "class_info", cls);
    json_object_set_int_member(id, "device", pci_get_word(c + PCI_DEVICE_ID));
    json_object_set_int_member(id, "vendor", pci_get_word(c + PCI_VENDOR_ID));
    json_object_set_int_member(id, "subsystem", pci_get_word(c + PCI_SUBSYSTEM_ID));
    json_object_set_int_member(id, "subsystem-vendor", pci_get_word(c + PCI_SUBSYSTEM_VENDOR_ID));
    json_object_set_object_member(o, "id", id);
    if (c[PCI_INTERRUPT_PIN]) {
        json_object_set_int_member(o, "irq", c[PCI_INTERRUPT_LINE]);
    }
    json_object_set_int_member(o, "irq_pin", c[PCI_INTERRUPT_PIN]);
    json_object_set_string_member(o, "qdev_id", DEVICE(dev)->id ? DEVICE(dev)->id : "");
    for (int bar = 0; bar < PCI_NUM_REGIONS; bar++) {
        if (dev->io_regions[bar].size) {
            json_array_add_object_element(regions, region_json(dev, bar));
        }
    }
    json_object_set_array_member(o, "regions", regions);
    return o;
}

static JsonNode *qmp_query_pci(JsonObject *args, GError **errp)
{
    SpaprMachine *spapr = spapr_machine();
    JsonArray *a = json_array_new();
    JsonNode *n;

    for (uint32_t i = 0; i < SPAPR_MAX_PHBS; i++) {
        SpaprPhb *phb = spapr_phb_by_index(spapr, i);
        JsonObject *bus;
        JsonArray *devs;

        if (!phb) {
            continue;
        }
        bus = json_object_new();
        devs = json_array_new();
        json_object_set_int_member(bus, "bus", 0);
        for (int devfn = 0; devfn < 256; devfn++) {
            PCIDevice *dev = pci_find_device(phb->bus, devfn);
            if (dev) {
                json_array_add_object_element(devs, device_json(dev));
            }
        }
        json_object_set_array_member(bus, "devices", devs);
        json_array_add_object_element(a, bus);
    }
    n = json_node_init_array(json_node_alloc(), a);
    json_array_unref(a);
    return n;
}

static const QmpCommand pci_commands[] = {
    { "query-spapr-phbs", qmp_query_spapr_phbs },
    { "query-pci", qmp_query_pci },
};

void spapr_pci_register_qmp(void)
{
    for (guint i = 0; i < G_N_ELEMENTS(pci_commands); i++) {
        qmp_register_command(&pci_commands[i]);
    }
}
