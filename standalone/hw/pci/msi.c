/*
 * MSI capability (PCI Local Bus 3.0, 6.8.1): a message address and data
 * the function writes, by DMA, to signal an interrupt.
 *
 *   +0 id, next   +2 message control
 *   +4 address    [+8 upper address if 64-bit]
 *   then data (16 bits), and with per-vector masking the mask and
 *   pending bits (32 bits each).
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "hw/pci/pci.h"
#include "pci-internal.h"
#include "trace-events-all.h"

#define MSI_CTRL_ENABLE      0x0001
#define MSI_CTRL_MMC_SHIFT   1          /* Multiple Message Capable, log2 */
#define MSI_CTRL_MMC_MASK    0x000e
#define MSI_CTRL_MME_SHIFT   4          /* Multiple Message Enable, log2 */
#define MSI_CTRL_MME_MASK    0x0070
#define MSI_CTRL_64BIT       0x0080
#define MSI_CTRL_MASKBIT     0x0100     /* per-vector masking capable */

#define MSI_ADDR_LO_MASK     0xfffffffcu

static uint16_t msi_ctrl(PCIDevice *dev)
{
    return pci_get_word(dev->config + dev->msi_cap + 2);
}

static void msi_set_ctrl(PCIDevice *dev, uint16_t ctrl)
{
    pci_set_word(dev->config + dev->msi_cap + 2, ctrl);
}

static bool msi_64bit(PCIDevice *dev)
{
    return msi_ctrl(dev) & MSI_CTRL_64BIT;
}

static bool msi_maskbit(PCIDevice *dev)
{
    return msi_ctrl(dev) & MSI_CTRL_MASKBIT;
}

static uint32_t msi_data_off(PCIDevice *dev)
{
    return dev->msi_cap + (msi_64bit(dev) ? 0x0c : 0x08);
}

static uint32_t msi_mask_off(PCIDevice *dev)
{
    return dev->msi_cap + (msi_64bit(dev) ? 0x10 : 0x0c);
}

static uint32_t msi_pending_off(PCIDevice *dev)
{
    return msi_mask_off(dev) + 4;
}

static uint8_t msi_cap_size(bool msi64bit, bool per_vector_mask)
{
    return (msi64bit ? 0x0e : 0x0a) + (per_vector_mask ? 0x0a : 0);
}

int msi_init(PCIDevice *dev, uint8_t offset, unsigned nr_vectors, bool msi64bit,
             bool per_vector_mask, GError **errp)
{
    uint16_t ctrl;
    int off;

    if (nr_vectors < 1 || nr_vectors > 32 || (nr_vectors & (nr_vectors - 1))) {
        error_setg(errp, "%s: MSI: %u vectors is not a power of two from 1 to 32",
                   pci_dev_name(dev), nr_vectors);
        return -1;
    }
    if (dev->msi_cap) {
        error_setg(errp, "%s: MSI capability already present", pci_dev_name(dev));
        return -1;
    }
    off = pci_add_capability(dev, PCI_CAP_ID_MSI, offset,
                             msi_cap_size(msi64bit, per_vector_mask), errp);
    if (off < 0) {
        return -1;
    }
    dev->msi_cap = off;
    ctrl = (g_bit_storage(nr_vectors) - 1) << MSI_CTRL_MMC_SHIFT;
    if (msi64bit) {
        ctrl |= MSI_CTRL_64BIT;
    }
    if (per_vector_mask) {
        ctrl |= MSI_CTRL_MASKBIT;
    }
    msi_set_ctrl(dev, ctrl);

    pci_set_word(dev->wmask + off + 2, MSI_CTRL_ENABLE | MSI_CTRL_MME_MASK);
    pci_set_long(dev->wmask + off + 4, MSI_ADDR_LO_MASK);
    if (msi64bit) {
        pci_set_long(dev->wmask + off + 8, 0xffffffffu);
    }
    pci_set_word(dev->wmask + msi_data_off(dev), 0xffff);
    if (per_vector_mask) {
        pci_set_long(dev->wmask + msi_mask_off(dev),
                     nr_vectors == 32 ? 0xffffffffu : (1u << nr_vectors) - 1);
    }
    return off;
}

bool msi_enabled(PCIDevice *dev)
{
    return dev->msi_cap && (msi_ctrl(dev) & MSI_CTRL_ENABLE);
}

unsigned msi_max_vectors(PCIDevice *dev)
{
    if (!dev->msi_cap) {
        return 0;
    }
    return 1u << ((msi_ctrl(dev) & MSI_CTRL_MMC_MASK) >> MSI_CTRL_MMC_SHIFT);
}

unsigned msi_nr_vectors_allocated(PCIDevice *dev)
{
    unsigned mme;

    if (!dev->msi_cap) {
        return 0;
    }
    mme = (msi_ctrl(dev) & MSI_CTRL_MME_MASK) >> MSI_CTRL_MME_SHIFT;
    /* software must not enable more than the function asked for */
    return MIN(1u << mme, msi_max_vectors(dev));
}

void msi_set_message(PCIDevice *dev, uint64_t addr, uint32_t data, unsigned nvec)
{
    uint16_t ctrl;

    if (!dev->msi_cap) {
        return;
    }
    ctrl = msi_ctrl(dev) & ~(MSI_CTRL_ENABLE | MSI_CTRL_MME_MASK);
    /* 0 vectors is how the platform takes MSI away again */
    if (nvec) {
        g_assert(!(nvec & (nvec - 1)) && nvec <= msi_max_vectors(dev));
        pci_set_long(dev->config + dev->msi_cap + 4, addr & MSI_ADDR_LO_MASK);
        if (msi_64bit(dev)) {
            pci_set_long(dev->config + dev->msi_cap + 8, addr >> 32);
        }
        pci_set_word(dev->config + msi_data_off(dev), data);
        ctrl |= MSI_CTRL_ENABLE | (g_bit_storage(nvec) - 1) << MSI_CTRL_MME_SHIFT;
    }
    msi_set_ctrl(dev, ctrl);
    if (PCI_DEVICE_GET_CLASS(dev)->msi_changed) {
        PCI_DEVICE_GET_CLASS(dev)->msi_changed(dev);
    }
}

/* The memory write that is the interrupt. */
static void msi_send(PCIDevice *dev, unsigned vector)
{
    unsigned nvec = msi_nr_vectors_allocated(dev);
    uint64_t addr = pci_get_long(dev->config + dev->msi_cap + 4);
    uint32_t data = pci_get_word(dev->config + msi_data_off(dev));
    uint8_t buf[4];

    if (msi_64bit(dev)) {
        addr |= (uint64_t)pci_get_long(dev->config + dev->msi_cap + 8) << 32;
    }
    /* with N vectors enabled the function owns the low log2(N) data bits */
    data = (data & ~(nvec - 1)) | vector;
    trace_pci_msi_notify(dev->devfn, vector, addr, data);
    pci_set_long(buf, data);
    pci_dma_write(dev, addr, buf, sizeof(buf));
}

void msi_notify(PCIDevice *dev, unsigned vector)
{
    if (!msi_enabled(dev) || vector >= msi_nr_vectors_allocated(dev)) {
        return;
    }
    if (msi_maskbit(dev) && (pci_get_long(dev->config + msi_mask_off(dev)) & (1u << vector))) {
        uint32_t pending = pci_get_long(dev->config + msi_pending_off(dev));
        pci_set_long(dev->config + msi_pending_off(dev), pending | 1u << vector);
        return;
    }
    msi_send(dev, vector);
}

void msi_write_config(PCIDevice *dev, uint32_t addr, int len)
{
    uint32_t mask, pending;
    unsigned nvec;

    if (!dev->msi_cap || !msi_maskbit(dev) ||
        !pci_ranges_overlap(addr, len, dev->msi_cap,
                            msi_cap_size(msi_64bit(dev), true)) ||
        !msi_enabled(dev)) {
        return;
    }
    /* a vector unmasked while pending fires now */
    mask = pci_get_long(dev->config + msi_mask_off(dev));
    pending = pci_get_long(dev->config + msi_pending_off(dev));
    nvec = msi_nr_vectors_allocated(dev);
    for (unsigned v = 0; v < nvec; v++) {
        if ((pending & (1u << v)) && !(mask & (1u << v))) {
            pending &= ~(1u << v);
            pci_set_long(dev->config + msi_pending_off(dev), pending);
            msi_send(dev, v);
        }
    }
}

void msi_reset(PCIDevice *dev)
{
    if (!dev->msi_cap) {
        return;
    }
    msi_set_ctrl(dev, msi_ctrl(dev) & ~(MSI_CTRL_ENABLE | MSI_CTRL_MME_MASK));
    pci_set_long(dev->config + dev->msi_cap + 4, 0);
    if (msi_64bit(dev)) {
        pci_set_long(dev->config + dev->msi_cap + 8, 0);
    }
    pci_set_word(dev->config + msi_data_off(dev), 0);
    if (msi_maskbit(dev)) {
        pci_set_long(dev->config + msi_mask_off(dev), 0);
        pci_set_long(dev->config + msi_pending_off(dev), 0);
    }
}
