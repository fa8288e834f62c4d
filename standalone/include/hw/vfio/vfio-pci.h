/*
 * vfio-pci: a host PCI function passed to the guest, behind the VFIO PHB
 * that owns its group.
 */
#ifndef HW_VFIO_VFIO_PCI_H
#define HW_VFIO_VFIO_PCI_H

#include "hw/pci/pci.h"
#include "hw/vfio/vfio-container.h"

#include <linux/vfio.h>

#define TYPE_VFIO_PCI "vfio-pci"
#define VFIO_PCI(o) (G_TYPE_CHECK_INSTANCE_CAST((o), vfio_pci_get_type(), VfioPciDevice))
#define IS_VFIO_PCI(o) (G_TYPE_CHECK_INSTANCE_TYPE((o), vfio_pci_get_type()))

#define VFIO_PCI_MAX_MSI 32
#define VFIO_PCI_MSIX_CAP_SIZE 12u

typedef struct VfioRegion {
    uint64_t size;
    uint64_t offset;
    uint32_t flags;
} VfioRegion;

typedef struct VfioPciDevice VfioPciDevice;

/* What a BAR's MMIO callbacks get: the function and which BAR */
typedef struct VfioBarOpaque {
    VfioPciDevice *v;
    int bar;
} VfioBarOpaque;

struct VfioPciDevice {
    PCIDevice parent;
    char *host;                        /* property: "0000:01:00.0" */
    VfioGroup *group;                  /* set by the PHB before realize */
    int fd;
    struct vfio_device_info info;
    VfioRegion regions[VFIO_PCI_NUM_REGIONS];
    MemoryRegion bars[PCI_ROM_SLOT];
    void *bar_map[PCI_ROM_SLOT];       /* mmap of the region, if the host allows it */
    VfioBarOpaque bar_opaque[PCI_ROM_SLOT];
    uint8_t *emulated;                 /* config bytes served from our copy */
    /* interrupts */
    int intx_fd;
    guint intx_watch;
    bool intx_asserted;
    int msi_fd[VFIO_PCI_MAX_MSI];
    guint msi_watch[VFIO_PCI_MAX_MSI];
    unsigned msi_nvec;
    uint8_t host_msix_cap;             /* the host's MSI-X capability, 0 if none */
    int *msix_fd;                      /* per table entry: eventfd, -1 if not in use */
    guint *msix_watch;
    bool msix_on;                      /* MSI-X enabled on the host */
};

GType vfio_pci_get_type(void);

/* Deliver interrupts the host already signalled (called after accesses and clock steps). */
void vfio_pci_poll(VfioPciDevice *vdev);

#endif
