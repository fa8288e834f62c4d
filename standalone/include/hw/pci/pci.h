/*
 * PCI core: buses, functions, config space, BARs, capabilities, MSI/MSI-X.
 *
 * A PCI bus belongs to a host bridge, which provides through
 * PCIBusHostOps what only it knows: where device DMA goes (the PHB's
 * IOMMU windows and its MSI window) and how INTx pins become platform
 * interrupts.  Devices never see the machine: they DMA with pci_dma_rw()
 * and raise interrupts with pci_set_irq()/msi_notify()/msix_notify().
 *
 * Config space values are little-endian, as on the bus; accesses are 1, 2
 * or 4 bytes.  Conventional functions have 256 bytes, PCIe functions
 * (those with a PCIe capability) 4096.
 */
#ifndef HW_PCI_PCI_H
#define HW_PCI_PCI_H

#include "hw/qdev.h"
#include "system/memory.h"

/* Config space registers and bits (PCI Local Bus 3.0) */
#define PCI_VENDOR_ID          0x00
#define PCI_DEVICE_ID          0x02
#define PCI_COMMAND            0x04
#define  PCI_COMMAND_IO        0x1
#define  PCI_COMMAND_MEMORY    0x2
#define  PCI_COMMAND_MASTER    0x4
#define  PCI_COMMAND_INTX_DISABLE 0x400
#define PCI_STATUS             0x06
#define  PCI_STATUS_INTERRUPT  0x08
#define  PCI_STATUS_CAP_LIST   0x10
#define  PCI_STATUS_66MHZ      0x20
#define  PCI_STATUS_UDF        0x40
#define  PCI_STATUS_FAST_BACK  0x80
#define  PCI_STATUS_DEVSEL_MASK 0x600
#define PCI_REVISION_ID        0x08
#define PCI_CLASS_PROG         0x09
#define PCI_CLASS_DEVICE       0x0a
#define PCI_CACHE_LINE_SIZE    0x0c
#define PCI_LATENCY_TIMER      0x0d
#define PCI_HEADER_TYPE        0x0e
#define  PCI_HEADER_TYPE_MULTI_FUNCTION 0x80
#define PCI_BASE_ADDRESS_0     0x10
#define  PCI_BASE_ADDRESS_SPACE_IO     0x01
#define  PCI_BASE_ADDRESS_SPACE_MEMORY 0x00
#define  PCI_BASE_ADDRESS_MEM_TYPE_64  0x04
#define  PCI_BASE_ADDRESS_MEM_PREFETCH 0x08
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID       0x2e
#define PCI_ROM_ADDRESS        0x30
#define PCI_CAPABILITY_LIST    0x34
#define PCI_INTERRUPT_LINE     0x3c
#define PCI_INTERRUPT_PIN      0x3d
#define PCI_MIN_GNT            0x3e
#define PCI_MAX_LAT            0x3f

#define PCI_CAP_ID_PM          0x01
#define PCI_CAP_ID_MSI         0x05
#define PCI_CAP_ID_EXP         0x10
#define PCI_CAP_ID_MSIX        0x11

#define PCI_CONFIG_SPACE_SIZE  0x100
#define PCIE_CONFIG_SPACE_SIZE 0x1000
#define PCI_NUM_REGIONS        7       /* BAR0..5 and the ROM */
#define PCI_ROM_SLOT           6

#define PCI_DEVFN(slot, fn)    ((((slot) & 0x1f) << 3) | ((fn) & 0x07))
#define PCI_SLOT(devfn)        (((devfn) >> 3) & 0x1f)
#define PCI_FUNC(devfn)        ((devfn) & 0x07)

typedef struct PCIDevice PCIDevice;
typedef struct PCIDeviceClass PCIDeviceClass;
typedef struct PCIBus PCIBus;

#define TYPE_PCI_BUS "PCI"
#define TYPE_PCI_DEVICE "pci-device"
#define PCI_DEVICE(o) (G_TYPE_CHECK_INSTANCE_CAST((o), pci_device_get_type(), PCIDevice))
#define PCI_DEVICE_CLASS(c) (G_TYPE_CHECK_CLASS_CAST((c), pci_device_get_type(), PCIDeviceClass))
#define PCI_DEVICE_GET_CLASS(o) \
    (G_TYPE_INSTANCE_GET_CLASS((o), pci_device_get_type(), PCIDeviceClass))
#define IS_PCI_DEVICE(o) (G_TYPE_CHECK_INSTANCE_TYPE((o), pci_device_get_type()))
#define PCI_BUS(o) (G_TYPE_CHECK_INSTANCE_CAST((o), pci_bus_get_type(), PCIBus))

typedef struct PCIIORegion {
    uint64_t size;             /* 0: the function has no such BAR */
    uint8_t type;              /* PCI_BASE_ADDRESS_* flags of the BAR */
    MemoryRegion *mr;          /* the device's region */
    uint64_t addr;             /* where it is mapped on the bus, or PCI_BAR_UNMAPPED */
} PCIIORegion;

#define PCI_BAR_UNMAPPED (~0ull)

struct PCIDevice {
    Device parent;
    int32_t devfn;             /* property "addr"; -1 = first free slot */
    bool multifunction;        /* property "multifunction" */
    /*
     * 256 or 4096, set by realize from PCIDeviceClass.is_express.  A
     * subclass whose PCIe-ness is per instance (edu's "pcie" property)
     * sets it to PCIE_CONFIG_SPACE_SIZE before chaining to pci-device
     * realize; 0 again once unrealized.
     */
    uint32_t config_size;
    uint8_t *config;           /* current values */
    uint8_t *wmask;            /* bits the guest may write */
    uint8_t *w1cmask;          /* bits the guest clears by writing 1 */
    uint8_t *used;             /* capability bytes taken, for the allocator */
    PCIIORegion io_regions[PCI_NUM_REGIONS];
    uint8_t msi_cap;           /* config offsets of capabilities, 0 if absent */
    uint8_t msix_cap;
    uint8_t exp_cap;
    /* MSI-X */
    uint32_t msix_entries;
    uint8_t *msix_table;       /* 16 bytes a vector: addr lo, addr hi, data, control */
    uint8_t *msix_pba;
    MemoryRegion msix_table_mmio;
    MemoryRegion msix_pba_mmio;
    /* INTx */
    int irq_level;             /* current level of our pin */
};

struct PCIDeviceClass {
    DeviceClass parent_class;
    uint16_t vendor_id;
    uint16_t device_id;
    uint8_t revision;
    uint32_t class_id;         /* class << 8 | subclass (prog-if set by realize) */
    uint16_t subsystem_vendor_id;
    uint16_t subsystem_id;
    bool is_express;           /* reserve 4 KiB of config space */
    /* Device setup after the header is filled: BARs, capabilities. */
    gboolean (*realize)(PCIDevice *dev, GError **errp);
    void (*exit)(PCIDevice *dev);
    /* Config space access; NULL = pci_default_{read,write}_config. */
    uint32_t (*config_read)(PCIDevice *dev, uint32_t addr, int len);
    void (*config_write)(PCIDevice *dev, uint32_t addr, uint32_t val, int len);
    /*
     * The platform reprogrammed MSI or MSI-X (msi_set_message,
     * msix_set_message), or the guest changed the address or data of an
     * MSI-X table entry: a passthrough device must rewire its host vectors.
     * (Guest writes to the MSI/MSI-X capabilities go through config_write.)
     */
    void (*msi_changed)(PCIDevice *dev);
};

/* What the host bridge does for its bus. */
typedef struct PCIBusHostOps {
    /*
     * A DMA by @dev at bus address @addr.  The bridge translates (IOMMU),
     * catches MSI writes, and fails (MEMTX_ERROR) what it cannot map.
     */
    MemTxResult (*dma_rw)(void *opaque, PCIDevice *dev, uint64_t addr, void *buf,
                          uint64_t len, bool is_write);
    /* INTx pin 0..3 (A..D) of @devfn changed level. */
    void (*set_irq)(void *opaque, int devfn, int pin, int level);
} PCIBusHostOps;

struct PCIBus {
    Bus parent;
    PCIDevice *devices[256];
    MemoryRegion address_space_mem;   /* PCI memory space: BARs map here */
    MemoryRegion address_space_io;    /* PCI I/O space */
    AddressSpace *mem_as;             /* to access it (the bridge's CPU windows forward here) */
    AddressSpace *io_as;
    const PCIBusHostOps *host_ops;
    void *host_opaque;
    bool extended_config;             /* the bridge lets the guest reach offsets >= 256 */
};

GType pci_device_get_type(void);
GType pci_bus_get_type(void);

/*
 * Create the root bus of a host bridge @parent, named @name ("pci.0",
 * "phb1.0").  Memory and I/O space containers span 2^64 / 64 KiB.
 */
PCIBus *pci_root_bus_new(Device *parent, const char *name, const PCIBusHostOps *ops,
                         void *opaque);
/* Free what pci_root_bus_new allocated besides the object (address spaces). */
void pci_root_bus_cleanup(PCIBus *bus);

/* Config space as the guest sees it (routing: bus + devfn). */
PCIDevice *pci_find_device(PCIBus *bus, int devfn);
/* Size of @dev's config space the bus lets the guest reach (256 or 4096). */
uint32_t pci_config_size_visible(PCIDevice *dev);
uint32_t pci_config_read(PCIDevice *dev, uint32_t addr, int len);
void pci_config_write(PCIDevice *dev, uint32_t addr, uint32_t val, int len);
uint32_t pci_default_read_config(PCIDevice *dev, uint32_t addr, int len);
void pci_default_write_config(PCIDevice *dev, uint32_t addr, uint32_t val, int len);

/* Little-endian accessors of the config arrays */
static inline uint16_t pci_get_word(const uint8_t *p) { return p[0] | p[1] << 8; }
static inline uint32_t pci_get_long(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void pci_set_word(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static inline void pci_set_long(uint8_t *p, uint32_t v)
{
    p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24;
}

/* BARs: @mr's size is the BAR size (a power of two, >= 16 for memory). */
void pci_register_bar(PCIDevice *dev, int bar, uint8_t type, MemoryRegion *mr);
/* Bus address where BAR @bar is mapped now, or PCI_BAR_UNMAPPED. */
uint64_t pci_bar_address(PCIDevice *dev, int bar);

/* Capabilities: @offset 0 = first free 4-byte aligned place.  Returns the offset or -1. */
int pci_add_capability(PCIDevice *dev, uint8_t cap_id, uint8_t offset, uint8_t size,
                       GError **errp);
/* PCIe capability (endpoint, v2): marks the function PCIe (4 KiB config). */
int pcie_endpoint_cap_init(PCIDevice *dev, uint8_t offset, GError **errp);

/* MSI: @nr_vectors a power of two 1..32. */
int msi_init(PCIDevice *dev, uint8_t offset, unsigned nr_vectors, bool msi64bit,
             bool per_vector_mask, GError **errp);
bool msi_enabled(PCIDevice *dev);
unsigned msi_nr_vectors_allocated(PCIDevice *dev);   /* from Multiple Message Enable */
unsigned msi_max_vectors(PCIDevice *dev);             /* from Multiple Message Capable */
/*
 * Program address/data and enable with @nvec vectors (the platform's
 * ibm,change-msi); @nvec 0 disables MSI.
 */
void msi_set_message(PCIDevice *dev, uint64_t addr, uint32_t data, unsigned nvec);
/* Send vector @vector: a DMA write of data + vector to the message address. */
void msi_notify(PCIDevice *dev, unsigned vector);

/* MSI-X: table and PBA live in BARs @table_bar/@pba_bar at the given offsets. */
int msix_init(PCIDevice *dev, unsigned nentries, MemoryRegion *table_bar_mr, int table_bar,
              uint32_t table_offset, MemoryRegion *pba_bar_mr, int pba_bar,
              uint32_t pba_offset, uint8_t cap_offset, GError **errp);
bool msix_enabled(PCIDevice *dev);
unsigned msix_nr_vectors(PCIDevice *dev);
/* Address/data of table entry @vector; its mask bit stays as the guest set it. */
void msix_set_message(PCIDevice *dev, unsigned vector, uint64_t addr, uint32_t data);
void msix_notify(PCIDevice *dev, unsigned vector);

/* INTx: drive the device's interrupt pin (config 0x3d) to @level. */
void pci_set_irq(PCIDevice *dev, int level);

/* DMA through the host bridge; fails (MEMTX_ERROR) unless bus mastering is on. */
MemTxResult pci_dma_rw(PCIDevice *dev, uint64_t addr, void *buf, uint64_t len, bool is_write);
static inline MemTxResult pci_dma_read(PCIDevice *dev, uint64_t addr, void *buf, uint64_t len)
{
    return pci_dma_rw(dev, addr, buf, len, false);
}
static inline MemTxResult pci_dma_write(PCIDevice *dev, uint64_t addr, const void *buf,
                                        uint64_t len)
{
    return pci_dma_rw(dev, addr, (void *)buf, len, true);
}

/* The bus @dev sits on. */
static inline PCIBus *pci_get_bus(PCIDevice *dev)
{
    return PCI_BUS(DEVICE(dev)->parent_bus);
}

/* Is @dev a PCIe function (has a PCIe capability)? */
static inline bool pci_is_express(PCIDevice *dev)
{
    return dev->exp_cap != 0;
}

#endif
