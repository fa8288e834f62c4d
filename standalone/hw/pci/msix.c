/*
 * MSI-X capability (PCI Local Bus 3.0, 6.8.2): a table of per-vector
 * message address/data/mask in a BAR, and a pending bit array (PBA) in a
 * BAR.  The capability holds the table size, the function mask and the
 * enable bit.
 *
 *   cap +2 message control: table size - 1 (10:0), function mask (14),
 *          enable (15)
 *   cap +4 table offset | BIR, cap +8 PBA offset | BIR
 *   table entry (16 bytes, little-endian): address low, address high,
 *          data, vector control (bit 0: masked)
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "hw/pci/pci.h"
#include "pci-internal.h"
#include "trace-events-all.h"

#define MSIX_CAP_SIZE          12
#define MSIX_CTRL_QSIZE_MASK   0x07ff
#define MSIX_CTRL_FMASK        0x4000
#define MSIX_CTRL_ENABLE       0x8000
#define MSIX_ENTRY_SIZE        16
#define MSIX_ENTRY_VECTOR_CTRL 12
#define MSIX_VECTOR_MASKED     0x1
#define MSIX_MAX_ENTRIES       2048

static uint16_t msix_ctrl(PCIDevice *dev)
{
    return pci_get_word(dev->config + dev->msix_cap + 2);
}

static uint32_t msix_pba_size(unsigned nentries)
{
    /* whole QWORDs, as the PBA is read in 64-bit units */
    return (nentries + 63) / 64 * 8;
}

bool msix_enabled(PCIDevice *dev)
{
    return dev->msix_cap && (msix_ctrl(dev) & MSIX_CTRL_ENABLE);
}

unsigned msix_nr_vectors(PCIDevice *dev)
{
    return dev->msix_entries;
}

static uint8_t *msix_entry(PCIDevice *dev, unsigned vector)
{
    return dev->msix_table + vector * MSIX_ENTRY_SIZE;
}

static bool msix_masked(PCIDevice *dev, unsigned vector)
{
    return (msix_ctrl(dev) & MSIX_CTRL_FMASK) ||
           (msix_entry(dev, vector)[MSIX_ENTRY_VECTOR_CTRL] & MSIX_VECTOR_MASKED);
}

static bool msix_pending(PCIDevice *dev, unsigned vector)
{
    return dev->msix_pba[vector / 8] & (1u << (vector % 8));
}

static void msix_set_pending(PCIDevice *dev, unsigned vector, bool on)
{
    if (on) {
        dev->msix_pba[vector / 8] |= 1u << (vector % 8);
    } else {
        dev->msix_pba[vector / 8] &= ~(1u << (vector % 8));
    }
}

static void msix_send(PCIDevice *dev, unsigned vector)
{
    uint8_t *e = msix_entry(dev, vector);
    uint64_t addr = pci_get_long(e) | (uint64_t)pci_get_long(e + 4) << 32;
    uint32_t data = pci_get_long(e + 8);
    uint8_t buf[4];

    trace_pci_msix_notify(dev->devfn, vector, addr, data);
    pci_set_long(buf, data);
    pci_dma_write(dev, addr, buf, sizeof(buf));
}

void msix_notify(PCIDevice *dev, unsigned vector)
{
    if (!msix_enabled(dev) || vector >= dev->msix_entries) {
        return;
    }
    if (msix_masked(dev, vector)) {
        msix_set_pending(dev, vector, true);
        return;
    }
    msix_send(dev, vector);
}

/* Vectors @first..@last may have been unmasked: fire those pending. */
static void msix_deliver_unmasked(PCIDevice *dev, unsigned first, unsigned last)
{
    if (!msix_enabled(dev)) {
        return;
    }
    for (unsigned v = first; v <= last && v < dev->msix_entries; v++) {
        if (msix_pending(dev, v) && !msix_masked(dev, v)) {
            msix_set_pending(dev, v, false);
            msix_send(dev, v);
        }
    }
}

void msix_set_message(PCIDevice *dev, unsigned vector, uint64_t addr, uint32_t data)
{
    uint8_t *e;

    if (!dev->msix_cap || vector >= dev->msix_entries) {
        return;
    }
    e = msix_entry(dev, vector);
    pci_set_long(e, addr);
    pci_set_long(e + 4, addr >> 32);
    pci_set_long(e + 8, data);
    if (PCI_DEVICE_GET_CLASS(dev)->msi_changed) {
        PCI_DEVICE_GET_CLASS(dev)->msi_changed(dev);
    }
}

/* Table and PBA MMIO -------------------------------------------------------- */

static uint64_t msix_table_read(void *opaque, hwaddr addr, unsigned size)
{
    PCIDevice *dev = opaque;
    uint64_t val = 0;

    for (unsigned i = 0; i < size; i++) {
        val |= (uint64_t)dev->msix_table[addr + i] << (8 * i);
    }
    return val;
}

static void msix_table_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    PCIDevice *dev = opaque;
    bool msg_changed = false;

    for (unsigned i = 0; i < size; i++) {
        hwaddr a = addr + i;
        uint8_t b = val >> (8 * i);
        unsigned field = a % MSIX_ENTRY_SIZE;

        if (field >= MSIX_ENTRY_VECTOR_CTRL) {
            /* vector control: only the mask bit is implemented */
            if (field == MSIX_ENTRY_VECTOR_CTRL) {
                dev->msix_table[a] = b & MSIX_VECTOR_MASKED;
            }
        } else {
            msg_changed |= dev->msix_table[a] != b;
            dev->msix_table[a] = b;
        }
    }
    msix_deliver_unmasked(dev, addr / MSIX_ENTRY_SIZE, (addr + size - 1) / MSIX_ENTRY_SIZE);
    /* the guest reprogrammed a vector itself: a passthrough device rewires it */
    if (msg_changed && PCI_DEVICE_GET_CLASS(dev)->msi_changed) {
        PCI_DEVICE_GET_CLASS(dev)->msi_changed(dev);
    }
}

static const MemoryRegionOps msix_table_ops = {
    .read = msix_table_read,
    .write = msix_table_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .min_access_size = 1,
    .max_access_size = 8,
};

static uint64_t msix_pba_read(void *opaque, hwaddr addr, unsigned size)
{
    PCIDevice *dev = opaque;
    uint64_t val = 0;

    for (unsigned i = 0; i < size; i++) {
        val |= (uint64_t)dev->msix_pba[addr + i] << (8 * i);
    }
    return val;
}

static void msix_pba_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    /* read-only: the function sets and clears pending bits itself */
}

static const MemoryRegionOps msix_pba_ops = {
    .read = msix_pba_read,
    .write = msix_pba_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .min_access_size = 1,
    .max_access_size = 8,
};

/* Capability -------------------------------------------------------------- */

static bool msix_check_place(PCIDevice *dev, const char *what, MemoryRegion *mr, int bar,
                             uint32_t offset, uint32_t size, GError **errp)
{
    if (bar < 0 || bar >= PCI_ROM_SLOT) {
        error_setg(errp, "%s: MSI-X %s: BAR %d is not a BAR", pci_dev_name(dev), what, bar);
        return false;
    }
    if (offset & 7) {
        error_setg(errp, "%s: MSI-X %s offset 0x%x is not 8-byte aligned",
                   pci_dev_name(dev), what, offset);
        return false;
    }
    if (!mr || offset > mr->size || size > mr->size - offset) {
        error_setg(errp, "%s: MSI-X %s (0x%x bytes at 0x%x) does not fit in BAR %d",
                   pci_dev_name(dev), what, size, offset, bar);
        return false;
    }
    return true;
}

int msix_init(PCIDevice *dev, unsigned nentries, MemoryRegion *table_bar_mr, int table_bar,
              uint32_t table_offset, MemoryRegion *pba_bar_mr, int pba_bar,
              uint32_t pba_offset, uint8_t cap_offset, GError **errp)
{
    uint32_t table_size = nentries * MSIX_ENTRY_SIZE;
    uint32_t pba_size = msix_pba_size(nentries);
    uint8_t *c;
    int off;

    if (nentries < 1 || nentries > MSIX_MAX_ENTRIES) {
        error_setg(errp, "%s: MSI-X: %u vectors is not 1 to %d", pci_dev_name(dev), nentries,
                   MSIX_MAX_ENTRIES);
        return -1;
    }
    if (dev->msix_cap) {
        error_setg(errp, "%s: MSI-X capability already present", pci_dev_name(dev));
        return -1;
    }
    if (!msix_check_place(dev, "table", table_bar_mr, table_bar, table_offset, table_size,
                          errp) ||
        !msix_check_place(dev, "PBA", pba_bar_mr, pba_bar, pba_offset, pba_size, errp)) {
        return -1;
    }
    if (table_bar == pba_bar &&
        pci_ranges_overlap(table_offset, table_size, pba_offset, pba_size)) {
        error_setg(errp, "%s: MSI-X table and PBA overlap in BAR %d", pci_dev_name(dev),
                   table_bar);
        return -1;
    }
    off = pci_add_capability(dev, PCI_CAP_ID_MSIX, cap_offset, MSIX_CAP_SIZE, errp);
    if (off < 0) {
        return -1;
    }

    c = dev->config + off;
    pci_set_word(c + 2, nentries - 1);
    pci_set_long(c + 4, table_offset | table_bar);
    pci_set_long(c + 8, pba_offset | pba_bar);
    pci_set_word(dev->wmask + off + 2, MSIX_CTRL_FMASK | MSIX_CTRL_ENABLE);

    dev->msix_cap = off;
    dev->msix_entries = nentries;
    dev->msix_table = g_malloc0(table_size);
    dev->msix_pba = g_malloc0(pba_size);
    msix_reset(dev);
    memory_region_init_io(&dev->msix_table_mmio, "msix-table", &msix_table_ops, dev,
                          table_size);
    memory_region_init_io(&dev->msix_pba_mmio, "msix-pba", &msix_pba_ops, dev, pba_size);
    /* over the BAR's own registers */
    memory_region_add_subregion(table_bar_mr, table_offset, &dev->msix_table_mmio, 1);
    memory_region_add_subregion(pba_bar_mr, pba_offset, &dev->msix_pba_mmio, 1);
    return off;
}

void msix_write_config(PCIDevice *dev, uint32_t addr, int len)
{
    if (dev->msix_cap && pci_ranges_overlap(addr, len, dev->msix_cap, MSIX_CAP_SIZE)) {
        /* enable or function unmask may release pending vectors */
        msix_deliver_unmasked(dev, 0, dev->msix_entries - 1);
    }
}

void msix_reset(PCIDevice *dev)
{
    uint16_t ctrl;

    if (!dev->msix_cap) {
        return;
    }
    ctrl = msix_ctrl(dev) & ~(MSIX_CTRL_ENABLE | MSIX_CTRL_FMASK);
    pci_set_word(dev->config + dev->msix_cap + 2, ctrl);
    /* every vector starts masked (PCI 3.0 6.8.2.9) */
    memset(dev->msix_table, 0, dev->msix_entries * MSIX_ENTRY_SIZE);
    for (unsigned v = 0; v < dev->msix_entries; v++) {
        msix_entry(dev, v)[MSIX_ENTRY_VECTOR_CTRL] = MSIX_VECTOR_MASKED;
    }
    memset(dev->msix_pba, 0, msix_pba_size(dev->msix_entries));
}

void msix_uninit(PCIDevice *dev)
{
    if (!dev->msix_table) {
        return;
    }
    memory_region_finalize(&dev->msix_table_mmio);
    memory_region_finalize(&dev->msix_pba_mmio);
    g_clear_pointer(&dev->msix_table, g_free);
    g_clear_pointer(&dev->msix_pba, g_free);
    dev->msix_entries = 0;
    dev->msix_cap = 0;
}
