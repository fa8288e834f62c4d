/*
 * PCI config space: guest accesses (wmask/w1cmask), BARs and their
 * mapping into the bus's memory and I/O spaces, the capability list.
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "hw/pci/pci.h"
#include "pci-internal.h"
#include "trace-events-all.h"

#define PCI_BASE_ADDRESS_IO_MASK   (~0x3u)
#define PCI_BASE_ADDRESS_MEM_MASK  (~0xfu)
#define PCI_ROM_ADDRESS_ENABLE     0x1
#define PCI_ROM_ADDRESS_MASK       (~0x7ffu)
#define PCI_CONFIG_HEADER_SIZE     0x40

static uint32_t pci_bar_offset(int bar)
{
    return bar == PCI_ROM_SLOT ? PCI_ROM_ADDRESS : PCI_BASE_ADDRESS_0 + 4 * bar;
}

/* Access ---------------------------------------------------------------- */

uint32_t pci_config_size_visible(PCIDevice *dev)
{
    return pci_is_express(dev) && pci_get_bus(dev)->extended_config
           ? dev->config_size : PCI_CONFIG_SPACE_SIZE;
}

static uint32_t all_ones(int len)
{
    return len >= 4 ? 0xffffffffu : (1u << (8 * len)) - 1;
}

uint32_t pci_config_read(PCIDevice *dev, uint32_t addr, int len)
{
    PCIDeviceClass *pc = PCI_DEVICE_GET_CLASS(dev);

    if ((len != 1 && len != 2 && len != 4) || addr >= pci_config_size_visible(dev) ||
        len > (int)(pci_config_size_visible(dev) - addr)) {
        /* what a master abort returns on a real bus */
        trace_pci_config_out_of_range(dev->devfn, addr, len);
        return all_ones(len);
    }
    return pc->config_read ? pc->config_read(dev, addr, len)
                           : pci_default_read_config(dev, addr, len);
}

void pci_config_write(PCIDevice *dev, uint32_t addr, uint32_t val, int len)
{
    PCIDeviceClass *pc = PCI_DEVICE_GET_CLASS(dev);

    if ((len != 1 && len != 2 && len != 4) || addr >= pci_config_size_visible(dev) ||
        len > (int)(pci_config_size_visible(dev) - addr)) {
        trace_pci_config_out_of_range(dev->devfn, addr, len);
        return;
    }
    if (pc->config_write) {
        pc->config_write(dev, addr, val, len);
    } else {
        pci_default_write_config(dev, addr, val, len);
    }
}

uint32_t pci_default_read_config(PCIDevice *dev, uint32_t addr, int len)
{
    uint32_t val = 0;

    g_assert(len >= 1 && len <= 4 && addr + len <= dev->config_size);
    for (int i = 0; i < len; i++) {
        val |= (uint32_t)dev->config[addr + i] << (8 * i);
    }
    return val;
}

static bool pci_write_touches_mappings(uint32_t addr, int len)
{
    return pci_ranges_overlap(addr, len, PCI_COMMAND, 2) ||
           pci_ranges_overlap(addr, len, PCI_BASE_ADDRESS_0, 6 * 4) ||
           pci_ranges_overlap(addr, len, PCI_ROM_ADDRESS, 4);
}

static void pci_update_mappings(PCIDevice *dev);

void pci_default_write_config(PCIDevice *dev, uint32_t addr, uint32_t val, int len)
{
    bool intx_was = pci_intx_output(dev);

    g_assert(len >= 1 && len <= 4 && addr + len <= dev->config_size);
    for (int i = 0; i < len; i++) {
        uint32_t a = addr + i;
        uint8_t b = val >> (8 * i);
        dev->config[a] = (dev->config[a] & ~dev->wmask[a]) | (b & dev->wmask[a]);
        dev->config[a] &= ~(b & dev->w1cmask[a]);
    }
    if (pci_write_touches_mappings(addr, len)) {
        pci_update_mappings(dev);
    }
    pci_intx_update(dev, intx_was);
    msi_write_config(dev, addr, len);
    msix_write_config(dev, addr, len);
}

/* BARs ------------------------------------------------------------------ */

void pci_register_bar(PCIDevice *dev, int bar, uint8_t type, MemoryRegion *mr)
{
    PCIIORegion *r;
    uint64_t size = mr->size;
    uint32_t off;
    uint64_t wmask;

    g_assert(bar >= 0 && bar < PCI_NUM_REGIONS);
    r = &dev->io_regions[bar];
    off = pci_bar_offset(bar);
    g_assert(size && !(size & (size - 1)));
    g_assert(!r->size);
    /* the upper half of a 64-bit BAR is not a BAR of its own */
    g_assert(bar == 0 || bar == PCI_ROM_SLOT ||
             !(dev->io_regions[bar - 1].type & PCI_BASE_ADDRESS_MEM_TYPE_64));

    if (bar == PCI_ROM_SLOT) {
        g_assert(!(type & PCI_BASE_ADDRESS_SPACE_IO) && size >= 0x800 && size <= 1ull << 31);
        type = PCI_BASE_ADDRESS_SPACE_MEMORY;
        wmask = (~(size - 1) & PCI_ROM_ADDRESS_MASK) | PCI_ROM_ADDRESS_ENABLE;
        pci_set_long(dev->config + off, 0);
    } else if (type & PCI_BASE_ADDRESS_SPACE_IO) {
        g_assert(size >= 4 && size <= 0x10000);
        type = PCI_BASE_ADDRESS_SPACE_IO;
        wmask = ~(size - 1) & PCI_BASE_ADDRESS_IO_MASK;
        pci_set_long(dev->config + off, type);
    } else if (type & PCI_BASE_ADDRESS_MEM_TYPE_64) {
        g_assert(size >= 16 && bar < 5 && !dev->io_regions[bar + 1].size);
        wmask = ~(size - 1) & ~(uint64_t)0xf;
        pci_set_long(dev->config + off, type);
        pci_set_long(dev->config + off + 4, 0);
        pci_set_long(dev->wmask + off + 4, wmask >> 32);
    } else {
        g_assert(size >= 16 && size <= 1ull << 31);
        wmask = ~(size - 1) & PCI_BASE_ADDRESS_MEM_MASK;
        pci_set_long(dev->config + off, type);
    }
    pci_set_long(dev->wmask + off, (uint32_t)wmask);
    *r = (PCIIORegion){ .size = size, .type = type, .mr = mr, .addr = PCI_BAR_UNMAPPED };
}

/*
 * Where BAR @bar decodes now, from its register and the command
 * register.  As on QEMU, address 0 and ranges that do not fit (the
 * all-ones sizing pattern) decode nothing.
 */
static uint64_t pci_bar_decode(PCIDevice *dev, int bar)
{
    PCIIORegion *r = &dev->io_regions[bar];
    uint16_t cmd = pci_get_word(dev->config + PCI_COMMAND);
    uint32_t off = pci_bar_offset(bar);
    uint32_t lo = pci_get_long(dev->config + off);
    uint64_t addr, last, limit;

    if (r->type & PCI_BASE_ADDRESS_SPACE_IO) {
        if (!(cmd & PCI_COMMAND_IO)) {
            return PCI_BAR_UNMAPPED;
        }
        addr = lo & PCI_BASE_ADDRESS_IO_MASK;
        limit = pci_get_bus(dev)->address_space_io.size - 1;
    } else {
        if (!(cmd & PCI_COMMAND_MEMORY)) {
            return PCI_BAR_UNMAPPED;
        }
        if (bar == PCI_ROM_SLOT) {
            if (!(lo & PCI_ROM_ADDRESS_ENABLE)) {
                return PCI_BAR_UNMAPPED;
            }
            addr = lo & PCI_ROM_ADDRESS_MASK;
            limit = UINT32_MAX - 1;
        } else if (r->type & PCI_BASE_ADDRESS_MEM_TYPE_64) {
            addr = (lo & PCI_BASE_ADDRESS_MEM_MASK) |
                   (uint64_t)pci_get_long(dev->config + off + 4) << 32;
            limit = UINT64_MAX - 1;
        } else {
            addr = lo & PCI_BASE_ADDRESS_MEM_MASK;
            limit = UINT32_MAX - 1;
        }
    }
    addr &= ~(r->size - 1);
    last = addr + r->size - 1;
    if (!addr || last < addr || last > limit) {
        return PCI_BAR_UNMAPPED;
    }
    return addr;
}

static void pci_update_mappings(PCIDevice *dev)
{
    PCIBus *bus = pci_get_bus(dev);

    for (int i = 0; i < PCI_NUM_REGIONS; i++) {
        PCIIORegion *r = &dev->io_regions[i];
        uint64_t addr;

        if (!r->size) {
            continue;
        }
        addr = pci_bar_decode(dev, i);
        if (addr == r->addr) {
            continue;
        }
        if (r->addr != PCI_BAR_UNMAPPED && r->mr->container) {
            memory_region_del_subregion(r->mr->container, r->mr);
        }
        r->addr = addr;
        if (addr != PCI_BAR_UNMAPPED) {
            MemoryRegion *space = (r->type & PCI_BASE_ADDRESS_SPACE_IO)
                                  ? &bus->address_space_io : &bus->address_space_mem;
            /* above the bridge's own windows (priority 0) where they overlap */
            memory_region_add_subregion(space, addr, r->mr, 1);
        }
        trace_pci_bar_map(dev->devfn, i, addr);
    }
}

uint64_t pci_bar_address(PCIDevice *dev, int bar)
{
    if (bar < 0 || bar >= PCI_NUM_REGIONS || !dev->io_regions[bar].size) {
        return PCI_BAR_UNMAPPED;
    }
    return dev->io_regions[bar].addr;
}

void pci_reset_config(PCIDevice *dev)
{
    /* every guest-writable header field goes back to 0, except the BARs */
    for (uint32_t a = 0; a < PCI_CONFIG_HEADER_SIZE; a++) {
        bool is_bar = (a >= PCI_BASE_ADDRESS_0 && a < PCI_BASE_ADDRESS_0 + 24) ||
                      (a >= PCI_ROM_ADDRESS && a < PCI_ROM_ADDRESS + 4);
        if (!is_bar) {
            dev->config[a] &= ~(dev->wmask[a] | dev->w1cmask[a]);
        }
    }
    /* BARs: address bits to 0, the type bits (read-only) stay */
    for (int i = 0; i < PCI_NUM_REGIONS; i++) {
        PCIIORegion *r = &dev->io_regions[i];
        uint32_t off = pci_bar_offset(i);

        if (!r->size) {
            continue;
        }
        pci_set_long(dev->config + off, i == PCI_ROM_SLOT ? 0 : r->type);
        if (r->type & PCI_BASE_ADDRESS_MEM_TYPE_64) {
            pci_set_long(dev->config + off + 4, 0);
        }
    }
    pci_update_mappings(dev);
}

/* Capabilities ---------------------------------------------------------- */

static bool pci_cap_room(PCIDevice *dev, uint32_t offset, uint32_t size, uint32_t *taken)
{
    for (uint32_t a = offset; a < offset + size; a++) {
        if (dev->used[a]) {
            *taken = dev->used[a];
            return false;
        }
    }
    return true;
}

int pci_add_capability(PCIDevice *dev, uint8_t cap_id, uint8_t offset, uint8_t size,
                       GError **errp)
{
    uint32_t taken = 0;
    uint32_t at = offset;

    g_assert(size >= 2);
    if (!offset) {
        for (at = PCI_CONFIG_HEADER_SIZE; at + size <= PCI_CONFIG_SPACE_SIZE; at += 4) {
            if (pci_cap_room(dev, at, size, &taken)) {
                break;
            }
        }
        if (at + size > PCI_CONFIG_SPACE_SIZE) {
            error_setg(errp, "%s: no room for capability 0x%02x (%u bytes) in config space",
                       pci_dev_name(dev), cap_id, size);
            return -1;
        }
    } else if (offset < PCI_CONFIG_HEADER_SIZE || (offset & 3) ||
               offset + size > PCI_CONFIG_SPACE_SIZE) {
        error_setg(errp, "%s: capability 0x%02x cannot be placed at 0x%02x (%u bytes)",
                   pci_dev_name(dev), cap_id, offset, size);
        return -1;
    } else if (!pci_cap_room(dev, offset, size, &taken)) {
        error_setg(errp, "%s: capability 0x%02x at 0x%02x overlaps capability 0x%02x at 0x%02x",
                   pci_dev_name(dev), cap_id, offset, dev->config[taken], taken);
        return -1;
    }

    /* new capabilities go first in the list, as QEMU links them */
    dev->config[at] = cap_id;
    dev->config[at + 1] = dev->config[PCI_CAPABILITY_LIST];
    dev->config[PCI_CAPABILITY_LIST] = at;
    pci_set_word(dev->config + PCI_STATUS,
                 pci_get_word(dev->config + PCI_STATUS) | PCI_STATUS_CAP_LIST);
    /* each byte remembers the start of its capability, for overlap errors */
    memset(dev->used + at, at, size);
    trace_pci_add_capability(dev->devfn, cap_id, at, size);
    return at;
}
