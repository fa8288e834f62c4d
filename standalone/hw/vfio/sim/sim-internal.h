/*
 * vfio-sim internals: the simulated kernel objects and how the files of
 * hw/vfio/sim/ share them.
 *
 *   sim.c           the QOM object, the fd table, the VfioHostOps table
 *   sim-topology.c  groups and functions (default, or a GKeyFile)
 *   sim-group.c     group and container files: attach, detach, SET_IOMMU
 *   sim-spapr.c     the sPAPR TCE IOMMU driver (v1 and v2): windows, ioctls
 *   sim-spapr-table.c  its TCE tables
 *   sim-spapr-mem.c    its memory preregistration (per process)
 *   sim-type1.c     the Type1 IOMMU driver (v1 and v2)
 *   sim-device.c    vfio-pci device files: info, regions, reset, mmap
 *   sim-irq.c       vfio-pci interrupts: IRQ info, SET_IRQS, eventfds
 *   sim-func.c      the hardware: config space, BAR2, the edu core's hooks
 *   sim-dma.c       device DMA through the container's IOMMU
 *   sim-qmp.c       x-vfio-sim-query / x-vfio-sim-inject
 *
 * Calls return >= 0 or -errno, as the VfioHost seam does.
 */
#ifndef HW_VFIO_SIM_INTERNAL_H
#define HW_VFIO_SIM_INTERNAL_H

#include <linux/vfio.h>
#include "hw/misc/edu-core.h"
#include "hw/vfio/vfio-sim.h"

#ifndef offsetofend
#define offsetofend(T, m) (offsetof(T, m) + sizeof(((T *)0)->m))
#endif

/* Round @x up to a multiple of @pow2. */
#define SIM_ROUND_UP(x, pow2) (((x) + (pow2) - 1) & ~((uint64_t)(pow2) - 1))

#define SIM_REGION_SHIFT   40      /* region index << 40 = its file offset */
#define SIM_REGION_MASK    ((1ull << SIM_REGION_SHIFT) - 1)
#define SIM_BAR0_SIZE      (1u << 20)
#define SIM_BAR2_SIZE      0x1000u
#define SIM_CONFIG_MAX     0x1000u  /* PCIe config space */
/* MSI-X of PCIe functions: table and PBA in BAR0, clear of the edu registers and buffer */
#define SIM_MSIX_VECTORS   4u
#define SIM_MSIX_TABLE     0x80000u /* 16 bytes a vector */
#define SIM_MSIX_PBA       0x81000u /* one QWORD */

/* Permission bits of a mapping: the VFIO_DMA_MAP_FLAG_ values. */
#define SIM_PERM_READ      VFIO_DMA_MAP_FLAG_READ    /* the device may read memory */
#define SIM_PERM_WRITE     VFIO_DMA_MAP_FLAG_WRITE   /* the device may write memory */

typedef struct SimGroup SimGroup;
typedef struct SimContainer SimContainer;
typedef struct SimDevice SimDevice;
typedef struct SimIommuOps SimIommuOps;

/* sPAPR memory preregistration, per process in the kernel (mm->context). */
typedef struct SimPrereg {
    uint64_t ua;
    uint64_t size;
    unsigned users;            /* containers that registered it */
    uint64_t mapped;           /* TCEs pointing into it */
} SimPrereg;

struct VfioSim {
    Object parent;
    VfioHost host;             /* the ops table callers get */

    /* properties */
    char *iommu_type;          /* "spapr-tce-v2" | "type1" */
    char *topology;            /* GKeyFile path, NULL = default */
    uint64_t page_size;        /* the simulated host PAGE_SIZE; 0 = real one */
    uint64_t memlock_limit;    /* bytes, 0 = unlimited */
    uint64_t dma32_size;       /* sPAPR default window size */
    uint32_t dma_entry_limit;  /* Type1 mappings per container */

    bool completed;
    char *desc;                /* "vfio-sim 'sim0'" */
    unsigned page_shift;
    const SimIommuOps *iommu;  /* the one IOMMU driver this host has */
    GPtrArray *groups;         /* SimGroup *, topology order */
    GPtrArray *containers;     /* SimContainer * still alive */
    GHashTable *fds;           /* fd -> SimHandle * */
    GPtrArray *prereg;         /* SimPrereg * */
    uint64_t locked_pages;     /* the process's locked_vm */
    unsigned eventfd_refs;     /* eventfds held for interrupts */
    unsigned next_container_id;

    /* map failure injection: fail once when map_fail_after reaches 0 */
    bool map_fail_armed;
    unsigned map_fail_after;
    int map_fail_errno;
};

typedef enum SimHandleKind {
    SIM_HANDLE_CONTAINER,
    SIM_HANDLE_GROUP,
    SIM_HANDLE_DEVICE,
} SimHandleKind;

typedef struct SimHandle {
    SimHandleKind kind;
    int fd;
    void *obj;                 /* SimContainer / SimGroup / SimDevice */
} SimHandle;

struct SimGroup {
    VfioSim *sim;
    int id;
    GPtrArray *devices;        /* SimDevice *, owned */
    int fd;                    /* the open group file, or -1 */
    unsigned device_fds;       /* device files keep the group file alive */
    SimContainer *container;
    bool frozen;               /* injected: PE frozen */
    bool eacces;               /* injected: open fails with EACCES */
};

struct SimContainer {
    VfioSim *sim;
    unsigned id;               /* for x-vfio-sim-query */
    int fd;                    /* -1 once closed (kept alive by groups) */
    GPtrArray *groups;         /* SimGroup * attached */
    const SimIommuOps *iommu;  /* NULL until VFIO_SET_IOMMU */
    void *iommu_data;
    uint64_t map_calls, map_errors, unmap_calls, unmap_errors;
};

/* An IOMMU driver (the kernel's vfio_iommu_driver_ops). */
struct SimIommuOps {
    /* VFIO_CHECK_EXTENSION, also asked with no container set. */
    int (*check_extension)(unsigned long ext);
    /* VFIO_SET_IOMMU: per-container state, or NULL + *err. */
    void *(*open)(SimContainer *c, unsigned long type, int *err);
    /* A group joins/leaves a container whose IOMMU is set. */
    int (*attach_group)(SimContainer *c, SimGroup *g);
    void (*detach_group)(SimContainer *c, SimGroup *g);
    /* The last group left: drop every mapping, window, registration. */
    void (*release)(SimContainer *c);
    /* Every other container ioctl. */
    int (*ioctl)(SimContainer *c, unsigned long req, void *arg);
    /*
     * Device DMA at @iova needing @perm: the host address and, in *len
     * (shortened), how much of the range is contiguous there.  FALSE if
     * @iova is not mapped with @perm.
     */
    bool (*translate)(SimContainer *c, uint64_t iova, unsigned perm, uint64_t *len,
                      uint8_t **hva);
    /* Backend members of the container's x-vfio-sim-query entry. */
    void (*query)(SimContainer *c, JsonObject *o);
    /* Short name of the type the container runs ("spapr-tce-v2"). */
    const char *(*type_name)(SimContainer *c);
};

extern const SimIommuOps sim_spapr_iommu_ops;
extern const SimIommuOps sim_type1_iommu_ops;

typedef enum SimIrqType {
    SIM_IRQ_NONE,
    SIM_IRQ_INTX,
    SIM_IRQ_MSI,
    SIM_IRQ_MSIX,
} SimIrqType;

struct SimDevice {
    SimGroup *group;
    char *name;                /* "0000:01:00.0" */
    char *driver;              /* "vfio-pci", "e1000e", "" */
    bool pcie;
    bool multifunction;
    unsigned ordinal;          /* place in the topology: host BAR addresses */
    unsigned open_count;       /* open device files */

    /* hardware */
    uint32_t config_size;      /* 256 or 4096 */
    uint8_t config[SIM_CONFIG_MAX];
    uint8_t wmask[SIM_CONFIG_MAX];
    EduCore edu;               /* BAR0: registers, buffer, DMA engine */
    int bar2_fd;               /* memfd behind BAR2 */
    uint8_t *bar2;             /* our mapping of it */
    size_t bar2_map_size;

    /* vfio-pci interrupt state */
    SimIrqType irq_type;
    int intx_trigger;          /* our reference to the user's eventfd, or -1 */
    bool intx_masked;
    int intx_unmask_fd;        /* VFIO_IRQ_SET_ACTION_UNMASK eventfd, or -1 */
    guint intx_unmask_watch;
    int msi_trigger;
    int msix_trigger[SIM_MSIX_VECTORS];   /* per vector, -1: none */
    unsigned msix_nvec;        /* vectors allocated by the enabling SET_IRQS */
    int err_trigger;
    int req_trigger;

    /* counters */
    uint64_t dma_ok, dma_faults, dma_refused, irqs_signalled;
};

/* sim.c ----------------------------------------------------------------- */

/* A new handle backed by a fresh eventfd; its fd, or -errno. */
int sim_handle_new(VfioSim *sim, SimHandleKind kind, void *obj);
/* Charge/uncharge @pages of locked memory; -ENOMEM over the limit. */
int sim_account(VfioSim *sim, uint64_t pages, bool inc);
/* Is [vaddr, vaddr + size) mapped in this process (pinnable)? */
bool sim_range_mapped(uint64_t vaddr, uint64_t size);
/* The real host page size. */
size_t sim_host_page_size(void);

/* sim-topology.c -------------------------------------------------------- */

/* Build sim->groups from sim->topology (or the default). */
gboolean sim_topology_load(VfioSim *sim, GError **errp);
SimGroup *sim_group_find(VfioSim *sim, int id);
void sim_group_free(SimGroup *g);

/* sim-group.c ------------------------------------------------------------ */

/* open("/dev/vfio/N") / open("/dev/vfio/vfio") */
int sim_group_open(SimGroup *g);
int sim_container_open(VfioSim *sim);
int sim_group_ioctl(SimGroup *g, unsigned long req, void *arg);
int sim_container_ioctl(SimContainer *c, unsigned long req, void *arg);
/* The group or container file was closed. */
void sim_group_file_closed(SimGroup *g);
void sim_container_file_closed(SimContainer *c);
/* A device file of @g closed (it held the group file open). */
void sim_group_device_closed(SimGroup *g);
/* Every function of @g may be owned by VFIO. */
bool sim_group_viable(SimGroup *g);
/* /dev/vfio/N exists (a function is bound to vfio-pci). */
bool sim_group_has_node(SimGroup *g);
void sim_container_free(SimContainer *c);

/* sim-device.c ----------------------------------------------------------- */

/* A device file for @d, once VFIO_GROUP_GET_DEVICE_FD's checks passed. */
int sim_device_open(SimDevice *d);
void sim_device_file_closed(SimDevice *d);
int sim_device_ioctl(SimDevice *d, unsigned long req, void *arg);
ssize_t sim_device_rw(SimDevice *d, void *buf, size_t count, uint64_t offset, bool write);
void *sim_device_mmap(SimDevice *d, size_t len, int prot, uint64_t offset, int *err);
bool sim_device_is_vfio(SimDevice *d);

/* sim-irq.c --------------------------------------------------------------- */

int sim_irq_get_info(SimDevice *d, struct vfio_irq_info *info);
int sim_irq_set(SimDevice *d, struct vfio_irq_set *set);
/* The edu raised an interrupt (MSI: one message; INTx: the line is high). */
void sim_irq_raise(SimDevice *d);
/* Close every interrupt (device release). */
void sim_irq_disable_all(SimDevice *d);
/* Is the INTx line asserted? */
bool sim_irq_intx_level(SimDevice *d);

/* sim-func.c -------------------------------------------------------------- */

gboolean sim_func_init(SimDevice *d, GError **errp);
void sim_func_cleanup(SimDevice *d);
/* Power-on state: config space as the kernel leaves it at open, edu reset. */
void sim_func_power_on(SimDevice *d);
/* Function-level reset: edu registers and DMA; config space is restored. */
void sim_func_reset(SimDevice *d);
uint32_t sim_func_config_read(SimDevice *d, uint32_t addr, unsigned len);
void sim_func_config_write(SimDevice *d, uint32_t addr, uint32_t val, unsigned len);
bool sim_func_mem_enabled(SimDevice *d);
/* Does the function have MSI-X (PCIe functions do)? */
bool sim_func_has_msix(SimDevice *d);
/* BAR0: the edu core, and on MSI-X functions the PBA (the table is the kernel's business). */
uint64_t sim_func_bar0_read(SimDevice *d, uint64_t addr, unsigned size);
void sim_func_bar0_write(SimDevice *d, uint64_t addr, uint64_t val, unsigned size);
bool sim_func_master_enabled(SimDevice *d);

/* sim-dma.c --------------------------------------------------------------- */

/*
 * A DMA of @d at bus address @iova: the device reads memory into @buf, or
 * (@to_memory) writes @buf to memory.  All or nothing: FALSE (and a DMA
 * fault counted) if any byte is not mapped with the needed permission.
 */
bool sim_dma_rw(SimDevice *d, uint64_t iova, void *buf, uint64_t len, bool to_memory);

/* sim-qmp.c --------------------------------------------------------------- */

/* Register x-vfio-sim-query and x-vfio-sim-inject (once per process). */
void sim_qmp_register(void);
/* The guest-physical address of host address @hva, or -1 outside guest RAM. */
int64_t sim_hva_to_gpa(uint64_t hva);

#endif
