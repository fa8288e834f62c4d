/*
 * PCI Express capability (PCIe Base 3.0, 7.8), version 2, for an
 * endpoint on a root bus: one 2.5 GT/s x1 link, 128-byte payloads, no
 * slot.  What makes the guest treat the function as PCIe and look at
 * config space beyond 256 bytes.
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "hw/pci/pci.h"
#include "pci-internal.h"

#define PCIE_CAP_SIZE          0x3c
/* register offsets inside the capability */
#define PCIE_FLAGS             0x02
#define PCIE_DEVCAP            0x04
#define PCIE_DEVCTL            0x08
#define PCIE_DEVSTA            0x0a
#define PCIE_LNKCAP            0x0c
#define PCIE_LNKCTL            0x10
#define PCIE_LNKSTA            0x12
#define PCIE_LNKCAP2           0x2c
#define PCIE_LNKCTL2           0x30

#define PCIE_FLAGS_VERSION_2   0x0002
#define PCIE_FLAGS_TYPE_ENDPOINT (0x0 << 4)
#define PCIE_DEVCAP_RBER       (1u << 15)   /* role-based error reporting */
/*
 * Device control: error reporting enables (3:0), relaxed ordering (4),
 * max payload (7:5), no snoop (11), max read request (14:12).
 */
#define PCIE_DEVCTL_WMASK      0x78ff
/* after reset: relaxed ordering and no snoop on, 512-byte read requests */
#define PCIE_DEVCTL_DEFAULT    0x2810
#define PCIE_DEVSTA_W1C        0x000f       /* error detected bits */
#define PCIE_LINK_SPEED_2_5GT  0x1
#define PCIE_LINK_WIDTH_X1     (0x1 << 4)
/* link control: ASPM (1:0), read completion boundary (3), common clock (6), ext synch (7) */
#define PCIE_LNKCTL_WMASK      0x00cb
#define PCIE_LNKCAP2_SPEED_2_5GT (1u << 1)

int pcie_endpoint_cap_init(PCIDevice *dev, uint8_t offset, GError **errp)
{
    uint8_t *c;
    int off;

    if (dev->config_size != PCIE_CONFIG_SPACE_SIZE) {
        error_setg(errp, "%s: a PCIe capability requires is_express (4 KiB of config space)",
                   pci_dev_name(dev));
        return -1;
    }
    if (dev->exp_cap) {
        error_setg(errp, "%s: PCIe capability already present", pci_dev_name(dev));
        return -1;
    }
    off = pci_add_capability(dev, PCI_CAP_ID_EXP, offset, PCIE_CAP_SIZE, errp);
    if (off < 0) {
        return -1;
    }
    c = dev->config + off;
    pci_set_word(c + PCIE_FLAGS, PCIE_FLAGS_VERSION_2 | PCIE_FLAGS_TYPE_ENDPOINT);
    pci_set_long(c + PCIE_DEVCAP, PCIE_DEVCAP_RBER);
    pci_set_long(c + PCIE_LNKCAP, PCIE_LINK_SPEED_2_5GT | PCIE_LINK_WIDTH_X1);
    pci_set_word(c + PCIE_LNKSTA, PCIE_LINK_SPEED_2_5GT | PCIE_LINK_WIDTH_X1);
    pci_set_long(c + PCIE_LNKCAP2, PCIE_LNKCAP2_SPEED_2_5GT);
    pci_set_word(c + PCIE_LNKCTL2, PCIE_LINK_SPEED_2_5GT);

    pci_set_word(dev->wmask + off + PCIE_DEVCTL, PCIE_DEVCTL_WMASK);
    pci_set_word(dev->w1cmask + off + PCIE_DEVSTA, PCIE_DEVSTA_W1C);
    pci_set_word(dev->wmask + off + PCIE_LNKCTL, PCIE_LNKCTL_WMASK);
    dev->exp_cap = off;
    pcie_cap_reset(dev);
    return off;
}

void pcie_cap_reset(PCIDevice *dev)
{
    uint8_t *c;

    if (!dev->exp_cap) {
        return;
    }
    c = dev->config + dev->exp_cap;
    pci_set_word(c + PCIE_DEVCTL, PCIE_DEVCTL_DEFAULT);
    pci_set_word(c + PCIE_DEVSTA, 0);
    pci_set_word(c + PCIE_LNKCTL, 0);
}
