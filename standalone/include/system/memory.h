/*
 * Guest-physical memory: RAM and MMIO regions in a tree of containers, and
 * address spaces that route accesses through it.
 *
 * Values cross MMIO callbacks as numbers; the region's endianness says how
 * they map to bytes.  The CPU side (qtest) is big-endian, PCI BARs are
 * little-endian, as on a real pseries.
 */
#ifndef SYSTEM_MEMORY_H
#define SYSTEM_MEMORY_H

#include "qemu/osdep.h"

typedef enum {
    DEVICE_BIG_ENDIAN,
    DEVICE_LITTLE_ENDIAN,
} DeviceEndian;

typedef enum {
    MEMTX_OK = 0,
    MEMTX_ERROR = 1,           /* the device refused the access */
    MEMTX_DECODE_ERROR = 2,    /* nothing is mapped there */
} MemTxResult;

typedef struct MemoryRegionOps {
    uint64_t (*read)(void *opaque, hwaddr addr, unsigned size);
    void (*write)(void *opaque, hwaddr addr, uint64_t val, unsigned size);
    DeviceEndian endianness;
    /* Access sizes the device takes; others are split into bytes.  0 = any. */
    unsigned min_access_size;
    unsigned max_access_size;
} MemoryRegionOps;

typedef struct MemoryRegion MemoryRegion;

struct MemoryRegion {
    char *name;
    uint64_t size;
    uint8_t *ram;              /* RAM: host mapping */
    int ram_fd;                /* RAM: memfd (-1 otherwise) */
    const MemoryRegionOps *ops;  /* MMIO */
    void *opaque;
    MemoryRegion *container;   /* where it is mapped, if anywhere */
    hwaddr addr;               /* offset inside the container */
    int priority;
    GPtrArray *subregions;     /* containers: highest priority first */
};

typedef struct AddressSpace {
    char *name;
    MemoryRegion *root;
} AddressSpace;

/* A pure container (no own contents: accesses that miss subregions are unassigned). */
void memory_region_init(MemoryRegion *mr, const char *name, uint64_t size);
void memory_region_init_io(MemoryRegion *mr, const char *name, const MemoryRegionOps *ops,
                           void *opaque, uint64_t size);
/* RAM backed by a memfd (shareable with VFIO and other processes). */
gboolean memory_region_init_ram_memfd(MemoryRegion *mr, const char *name, uint64_t size,
                                      GError **errp);
/* Unmap from its container, drop subregion links and free RAM. */
void memory_region_finalize(MemoryRegion *mr);

/* Map @sub at @offset inside @mr; higher @priority wins where they overlap. */
void memory_region_add_subregion(MemoryRegion *mr, hwaddr offset, MemoryRegion *sub,
                                 int priority);
void memory_region_del_subregion(MemoryRegion *mr, MemoryRegion *sub);
static inline bool memory_region_is_mapped(const MemoryRegion *mr)
{
    return mr->container != NULL;
}

AddressSpace *address_space_new(const char *name, MemoryRegion *root);
void address_space_free(AddressSpace *as);

/*
 * Read or write @len bytes at @addr.  Unassigned bytes read as 0xff and
 * swallow writes (MEMTX_DECODE_ERROR is returned, the access still
 * completes).  An access never touches host memory outside a region.
 */
MemTxResult address_space_rw(AddressSpace *as, hwaddr addr, void *buf, uint64_t len,
                             bool is_write);

static inline MemTxResult address_space_read(AddressSpace *as, hwaddr addr, void *buf,
                                             uint64_t len)
{
    return address_space_rw(as, addr, buf, len, false);
}

static inline MemTxResult address_space_write(AddressSpace *as, hwaddr addr,
                                              const void *buf, uint64_t len)
{
    return address_space_rw(as, addr, (void *)buf, len, true);
}

/* Read/write a big-endian 32-bit word (RTAS argument buffers). */
MemTxResult address_space_ldl_be(AddressSpace *as, hwaddr addr, uint32_t *val);
MemTxResult address_space_stl_be(AddressSpace *as, hwaddr addr, uint32_t val);

#endif
