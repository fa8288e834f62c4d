/*
 * A fake PCI host bridge for unit tests: a root bus whose DMA goes to a
 * 64 KiB test RAM through a fake IOMMU, and which logs every DMA and
 * INTx change, so tests can act as the guest (config cycles, MMIO
 * through bus->mem_as) and check what the bridge saw.
 */
#ifndef TESTS_UNIT_PCI_TEST_HOST_H
#define TESTS_UNIT_PCI_TEST_HOST_H

#include "qemu/osdep.h"
#include "hw/pci/pci.h"

/* The IOMMU maps bus [FAKE_RAM_BASE, +FAKE_RAM_SIZE) to ram[]; the rest faults. */
#define FAKE_RAM_BASE 0x100000ull
#define FAKE_RAM_SIZE 0x10000ull

typedef struct FakeDma {
    uint64_t addr;
    uint64_t len;
    bool is_write;
    uint32_t first_word;       /* writes: the first 4 bytes, little-endian */
    MemTxResult result;
} FakeDma;

typedef struct FakeIrq {
    int devfn;
    int pin;
    int level;
} FakeIrq;

typedef struct FakeHost {
    Device *dev;               /* the bridge device owning the bus */
    PCIBus *bus;
    uint8_t ram[FAKE_RAM_SIZE];
    uint64_t refuse_start;     /* the IOMMU also faults [start, start + len) */
    uint64_t refuse_len;
    GArray *dma_log;           /* FakeDma, every dma_rw the bridge got */
    GArray *irq_log;           /* FakeIrq, every set_irq */
    GPtrArray *devices;        /* Device *, owned, as fake_host_add made them */
} FakeHost;

/* Register the bridge type and every type_init() type (once per process). */
void fake_host_init_types(void);

FakeHost *fake_host_new(bool extended_config);
/* Unrealize what is left on the bus and free everything. */
void fake_host_free(FakeHost *h);

/*
 * Create a @type with "addr" = @addr (NULL: automatic) and the extra
 * "name=value" @props (NULL-terminated, may be NULL), realize it on the
 * bus.  Returns NULL with @errp set on failure (nothing left behind).
 */
PCIDevice *fake_host_add(FakeHost *h, const char *type, const char *addr,
                         const char *const *props, GError **errp);
/* Unrealize and drop @dev. */
void fake_host_del(FakeHost *h, PCIDevice *dev);

/* Memory space accesses as a CPU behind the bridge would do them (LE). */
uint32_t bus_readl(FakeHost *h, uint64_t addr);
void bus_writel(FakeHost *h, uint64_t addr, uint32_t val);
uint64_t bus_readq(FakeHost *h, uint64_t addr);
void bus_writeq(FakeHost *h, uint64_t addr, uint64_t val);
uint8_t bus_readb(FakeHost *h, uint64_t addr);

/* The last INTx level the bridge was told for @devfn/@pin (0 if never). */
int fake_host_irq_level(FakeHost *h, int devfn, int pin);

/* Enable memory decoding (and bus mastering) and put BAR0 (32-bit) at @addr. */
void fake_host_map_bar0(PCIDevice *dev, uint32_t addr, bool master);

#endif
