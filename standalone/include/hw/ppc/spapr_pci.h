/*
 * spapr-pci-host-bridge: a guest PHB ("IBM,Logical_PHB").
 *
 * Index N decides everything the guest sees (QEMU's placement): BUID,
 * the CPU windows that reach its PCI memory and I/O space, the LIOBNs of
 * its two DMA windows, its LSIs and its DRC.  The PHB is one PE: one DMA
 * domain, one set of TCE tables, one error domain.  The VFIO PHB
 * (spapr-pci-vfio-host-bridge) is a subclass that backs that domain with
 * a host IOMMU group.
 */
#ifndef HW_PPC_SPAPR_PCI_H
#define HW_PPC_SPAPR_PCI_H

#include "hw/pci/pci.h"
#include "hw/ppc/spapr.h"
#include "hw/ppc/spapr_iommu.h"

#define TYPE_SPAPR_PCI_HOST_BRIDGE "spapr-pci-host-bridge"
#define SPAPR_PHB(o) \
    (G_TYPE_CHECK_INSTANCE_CAST((o), spapr_phb_get_type(), SpaprPhb))
#define SPAPR_PHB_CLASS(c) \
    (G_TYPE_CHECK_CLASS_CAST((c), spapr_phb_get_type(), SpaprPhbClass))
#define SPAPR_PHB_GET_CLASS(o) \
    (G_TYPE_INSTANCE_GET_CLASS((o), spapr_phb_get_type(), SpaprPhbClass))
#define IS_SPAPR_PHB(o) (G_TYPE_CHECK_INSTANCE_TYPE((o), spapr_phb_get_type()))

/* Placement (QEMU's numbers: docs/system/ppc/pseries.rst) */
#define SPAPR_MAX_PHBS          31
#define SPAPR_PCI_BASE          (1ull << 45)    /* 32 TiB */
#define SPAPR_PCI_LIMIT         (1ull << 46)    /* 64 TiB */
#define SPAPR_PCI_MEM32_WIN_SIZE 0x80000000ull
#define SPAPR_PCI_MEM64_WIN_SIZE 0x10000000000ull
#define SPAPR_PCI_IO_WIN_SIZE   0x10000ull
#define SPAPR_PCI_MEM_WIN_BUS_OFFSET 0x80000000ull  /* PCI address of the 32-bit window */
#define SPAPR_PCI_BUID_BASE     0x800000020000000ull
#define SPAPR_PCI_LIOBN(index, n) (0x80000000u | ((uint32_t)(index) << 8) | (n))
#define SPAPR_PCI_MSI_WINDOW    0x40000000000ull    /* in each PHB's DMA space */
#define SPAPR_PCI_MSI_WINDOW_SIZE 0x1000ull
#define SPAPR_PCI_DMA_MAX_WINDOWS 2
#define SPAPR_PCI_DEFAULT_PGSZ  ((1ull << 12) | (1ull << 16) | (1ull << 21) | (1ull << 24))

typedef struct SpaprPhb SpaprPhb;
typedef struct SpaprPhbClass SpaprPhbClass;

/* MSIs handed out by ibm,change-msi, per function */
typedef struct SpaprPhbMsi {
    int first_irq;
    unsigned num;
    bool msix;
} SpaprPhbMsi;

struct SpaprPhb {
    Device parent;
    /* properties */
    uint32_t index;
    uint64_t mem_win_size;
    uint64_t mem64_win_size;
    uint64_t io_win_size;
    bool dr_enabled;
    uint64_t dma_win_addr;
    uint64_t dma_win_size;
    uint64_t dma64_win_addr;
    bool ddw_enabled;
    uint64_t page_size_mask;
    uint32_t numa_node;
    bool pcie_ecs;
    /* placement, from the index */
    uint64_t buid;
    uint64_t io_win_addr;
    uint64_t mem_win_addr;
    uint64_t mem64_win_addr;
    uint32_t dma_liobn[SPAPR_PCI_DMA_MAX_WINDOWS];
    int lsi_base;
    /* state */
    PCIBus *bus;
    char *busname;
    MemoryRegion mem32_window;         /* CPU view of PCI 0x80000000.. */
    MemoryRegion mem64_window;         /* CPU view of the 64-bit window (identity) */
    MemoryRegion io_window;            /* CPU view of PCI I/O space */
    int lsi_count[4];                  /* INTx wired-OR per LSI */
    GHashTable *msi;                   /* devfn -> SpaprPhbMsi */
    /* the guest-visible IOMMU (spapr_iommu.c) */
    SpaprTceWindow windows[SPAPR_PCI_DMA_MAX_WINDOWS];
    GArray *iommu_listeners;           /* of SpaprIommuListener */
    uint64_t dma_faults;               /* device DMAs refused (no mapping/permission) */
};

struct SpaprPhbClass {
    DeviceClass parent_class;
    /*
     * IOMMU page sizes the PHB's backend can map (bit n = 2^n bytes);
     * NULL: any (the emulated PHB translates in software).
     */
    uint64_t (*backend_page_mask)(SpaprPhb *phb);
};

GType spapr_phb_get_type(void);

/* PHB 0, which pseries always has. */
gboolean spapr_phb_create_default(SpaprMachine *spapr, GError **errp);
SpaprPhb *spapr_phb_by_buid(SpaprMachine *spapr, uint64_t buid);
SpaprPhb *spapr_phb_by_index(SpaprMachine *spapr, uint32_t index);

/* The system bus's hotplug handler hooks (the machine delegates PHBs here). */
gboolean spapr_phb_pre_plug(Object *handler, Device *dev, GError **errp);
void spapr_phb_plug(Object *handler, Device *dev);
gboolean spapr_phb_unplug_request(Object *handler, Device *dev, GError **errp);

/* The PHB node (and its devices) under @parent of @fdt; returns its offset. */
int spapr_phb_dt_populate(Device *dev, void *fdt, int parent, GError **errp);
/* Every PHB into the boot tree. */
void spapr_dt_phbs(SpaprMachine *spapr, void *fdt);
/* dr-entity-sense of a PCI slot DRC: 1 present, 0 empty, -1 no such DRC. */
int spapr_phb_slot_sense(SpaprMachine *spapr, uint32_t drc_index);

/* RTAS: config access and MSI calls. */
void spapr_pci_register_rtas(void);
/* QMP: query-spapr-phbs, query-pci. */
void spapr_pci_register_qmp(void);
/* Let a PHB subclass add members to its query-spapr-phbs entry. */
void spapr_pci_qmp_set_info_hook(void (*fn)(SpaprPhb *phb, JsonObject *o));

#endif
