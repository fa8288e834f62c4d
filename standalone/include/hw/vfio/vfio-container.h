/*
 * VFIO groups and containers, and the IOMMU backends behind a container.
 *
 * One container per guest PHB: the kernel programs every window of a
 * container identically into all its groups (a container is one IOVA
 * space), while PAPR gives each PHB its own TCE tables.  So a container
 * belongs to exactly one spapr-pci-vfio-host-bridge, and the group behind
 * that PHB is its only group.
 *
 * The container subscribes to its PHB's IOMMU notifier: it maps what the
 * guest maps, when the guest maps it ("guest-visible" model), never all of
 * RAM up front.  Each backend (sPAPR TCE v2, Type1 v2) is one file behind
 * VfioIommuBackendOps; callers use the vfio_container_* wrappers.
 */
#ifndef HW_VFIO_VFIO_CONTAINER_H
#define HW_VFIO_VFIO_CONTAINER_H

#include "hw/vfio/vfio-host.h"
#include "hw/ppc/spapr_iommu.h"

typedef struct VfioContainer VfioContainer;
typedef struct VfioGroup VfioGroup;

struct VfioGroup {
    VfioHost *host;
    int groupid;
    int fd;
    GPtrArray *devices;        /* char * names, sysfs order */
    VfioContainer *container;
};

/*
 * Open group @groupid and check it is viable.  Errors name the group and
 * the reason: missing, no permission, not viable (and which device is
 * bound to which driver).
 */
VfioGroup *vfio_group_open(VfioHost *host, int groupid, GError **errp);
void vfio_group_close(VfioGroup *group);

/* A host window mirroring a guest window (sPAPR). */
typedef struct VfioHostWindow {
    uint64_t start;
    uint64_t size;
    uint32_t page_shift;
    unsigned guest_num;        /* which guest window it mirrors */
} VfioHostWindow;

/* One usable IOVA range of a Type1 host */
typedef struct VfioIovaRange {
    uint64_t start;
    uint64_t end;              /* inclusive */
} VfioIovaRange;

typedef struct VfioIommuBackendOps {
    const char *name;          /* "spapr-tce-v2", "type1" */
    int iommu_type;            /* VFIO_SPAPR_TCE_v2_IOMMU, VFIO_TYPE1v2_IOMMU */
    /* After VFIO_SET_IOMMU: learn the host's geometry, prepare (register RAM). */
    gboolean (*setup)(VfioContainer *c, GError **errp);
    /* A guest window appears: make the host able to map it; may move its start. */
    gboolean (*window_add)(VfioContainer *c, SpaprTceWindow *w, uint64_t *bus_offset,
                           GError **errp);
    void (*window_del)(VfioContainer *c, SpaprTceWindow *w);
    /* Map (perm: TCE_PCI_READ/WRITE bits) or unmap one run; 0 or -errno. */
    int (*dma_map)(VfioContainer *c, uint64_t iova, uint64_t size, void *vaddr, uint32_t perm);
    int (*dma_unmap)(VfioContainer *c, uint64_t iova, uint64_t size);
    /* Undo setup (before the container fd is closed). */
    void (*release)(VfioContainer *c);
} VfioIommuBackendOps;

struct VfioContainer {
    VfioHost *host;
    int fd;
    const VfioIommuBackendOps *ops;
    VfioGroup *group;          /* the only group: see the top of this file */
    char *owner;               /* "spapr-pci-vfio-host-bridge 'phb1' (PHB 1)", for messages */
    void *ram;                 /* guest RAM in this process */
    uint64_t ram_size;
    uint64_t pgsizes;          /* host IOMMU page sizes (bit n = 2^n) */
    /* sPAPR */
    GArray *host_windows;      /* VfioHostWindow */
    bool ram_registered;
    /* Type1 */
    GArray *iova_ranges;       /* VfioIovaRange */
    GTree *mappings;           /* iova -> VfioMapping: type1 cannot split a mapping */
    /* accounting */
    uint64_t nr_mappings;      /* host mappings that exist now (one per MAP_DMA kept) */
    uint64_t map_calls;
    uint64_t unmap_calls;
};

/*
 * Create the container of @group for the PHB described by @owner: the
 * one place that decides the IOMMU type (sPAPR TCE v2 if the host has it,
 * else Type1 v2), attaches the group, sets the type and runs the backend's
 * setup.  On failure nothing is left open or mapped.
 */
VfioContainer *vfio_container_create(VfioGroup *group, const char *owner, void *ram,
                                     uint64_t ram_size, GError **errp);
void vfio_container_destroy(VfioContainer *c);

/* The IOMMU listener ops the container registers on its PHB. */
extern const SpaprIommuListenerOps vfio_container_listener_ops;

/* Page sizes the backend can map for the guest (bit n = 2^n). */
uint64_t vfio_container_guest_page_mask(VfioContainer *c);

/* The backends */
extern const VfioIommuBackendOps vfio_iommu_spapr_tce_v2_ops;
extern const VfioIommuBackendOps vfio_iommu_type1_ops;

/*
 * VFIO_IOMMU_MAP_DMA / UNMAP_DMA of one range on @c (perm: TCE_PCI_READ/WRITE
 * bits), counted and traced; 0 or -errno.  The backends add their own
 * bookkeeping around them.
 */
int vfio_container_map_dma(VfioContainer *c, uint64_t iova, uint64_t size, void *vaddr,
                           uint32_t perm);
int vfio_container_unmap_dma(VfioContainer *c, uint64_t iova, uint64_t size);

/* Host call wrappers: -errno results, logged with the ioctl's name by the caller. */
static inline int vfio_ioctl(VfioHost *h, int fd, unsigned long req, void *arg)
{
    return h->ops->ioctl(h, fd, req, arg);
}

#endif
