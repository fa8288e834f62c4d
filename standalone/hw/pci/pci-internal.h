/*
 * What the PCI core files (pci.c, msi.c, msix.c, pcie.c) share and devices
 * must not use: the hooks the generic config write and reset call into
 * the capability code.
 */
#ifndef HW_PCI_PCI_INTERNAL_H
#define HW_PCI_PCI_INTERNAL_H

#include "hw/pci/pci.h"

/* Command and status bits pci.h has no use for outside the core. */
#define PCI_COMMAND_PARITY_RESP   0x40
#define PCI_COMMAND_SERR_EN       0x100
/*
 * Status error bits the guest clears by writing 1: master data parity
 * error, signaled/received target abort, received master abort,
 * signaled system error, detected parity error.
 */
#define PCI_STATUS_ERROR_W1C      0xf900

/* Do [a, a + alen) and [b, b + blen) share a byte? */
static inline bool pci_ranges_overlap(uint32_t a, uint32_t alen, uint32_t b, uint32_t blen)
{
    return a < b + blen && b < a + alen;
}

/* Name of @dev for error messages: its QOM type ("edu"). */
static inline const char *pci_dev_name(PCIDevice *dev)
{
    return object_type_name(OBJECT(dev));
}

/* INTx: the level the bus sees, and telling the bridge when it changed from @was. */
bool pci_intx_output(PCIDevice *dev);
void pci_intx_update(PCIDevice *dev, bool was);

/* Device reset of the header: command, status errors, BARs (unmapped). */
void pci_reset_config(PCIDevice *dev);

/* A config write touched [addr, addr + len): deliver what unmasking released. */
void msi_write_config(PCIDevice *dev, uint32_t addr, int len);
void msix_write_config(PCIDevice *dev, uint32_t addr, int len);

/* Device reset: MSI/MSI-X disabled, PCIe control registers at defaults. */
void msi_reset(PCIDevice *dev);
void msix_reset(PCIDevice *dev);
void pcie_cap_reset(PCIDevice *dev);

/* Free the MSI-X table, PBA and their MMIO regions (unrealize, failed realize). */
void msix_uninit(PCIDevice *dev);

#endif
