/*
 * The fake VFIO kernel: the objects it simulates and how its files share
 * them.  See README.rst for what it is and how tests use it.
 *
 *   fake-interpose.c  the libc calls it takes over, the fd table
 *   fake-config.c     environment variables and the topology
 *   fake-sysfs.c      the private sysfs tree and path rewriting
 *   fake-group.c      group and container files, SET_IOMMU, DMA lookup
 *   fake-type1.c      the Type1 IOMMU driver
 *   fake-spapr.c      the sPAPR TCE IOMMU driver (windows, prereg, EEH)
 *   fake-device.c     vfio-pci device files: info, regions, mmap, reset
 *   fake-irq.c        vfio-pci interrupts through eventfds
 *   fake-edu.c        the edu function (a function model)
 *   fake-nvme.c       an NVMe controller (a function model)
 *   fake-state.c      the state and fault-injection socket
 *
 * Every call returns >= 0 or -errno; fake-interpose.c turns that into
 * errno for the caller.  One lock (fake_lock) covers all state: QEMU
 * issues device accesses from vCPU threads and ioctls from the main loop.
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef VFIO_FAKE_H
#define VFIO_FAKE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <glib.h>
#include <linux/vfio.h>

#ifndef offsetofend
#define offsetofend(T, m) (offsetof(T, m) + sizeof(((T *)0)->m))
#endif

#define FAKE_ROUND_UP(x, pow2) (((x) + (pow2) - 1) & ~((uint64_t)(pow2) - 1))

/* region index << 40 is its offset in the device file, as vfio-pci does */
#define FAKE_REGION_SHIFT   40
#define FAKE_REGION_MASK    ((1ULL << FAKE_REGION_SHIFT) - 1)
#define FAKE_CONFIG_MAX     0x1000
#define FAKE_MAX_BARS       6
#define FAKE_MSIX_MAX       32

/* Permission bits of a mapping: the VFIO_DMA_MAP_FLAG_ values. */
#define FAKE_PERM_READ      VFIO_DMA_MAP_FLAG_READ
#define FAKE_PERM_WRITE     VFIO_DMA_MAP_FLAG_WRITE
#define FAKE_PERM_RW        (FAKE_PERM_READ | FAKE_PERM_WRITE)

typedef struct FakeGroup FakeGroup;
typedef struct FakeContainer FakeContainer;
typedef struct FakeDevice FakeDevice;
typedef struct FakeIommuOps FakeIommuOps;
typedef struct FakeFuncOps FakeFuncOps;

typedef enum FakeIommuType {
    FAKE_IOMMU_SPAPR,          /* sPAPR TCE v1 + v2 (POWER) */
    FAKE_IOMMU_TYPE1,          /* Type1 v1 + v2 (x86) */
} FakeIommuType;

typedef struct FakeRange {
    uint64_t start;
    uint64_t last;             /* inclusive */
} FakeRange;

/* sPAPR memory preregistration: per process in the kernel. */
typedef struct FakePrereg {
    uint64_t ua;
    uint64_t size;
    unsigned users;            /* containers that registered it */
    uint64_t mapped;           /* TCEs pointing into it */
} FakePrereg;

/* The whole fake kernel: one per process. */
typedef struct FakeKernel {
    /* configuration (fake-config.c) */
    FakeIommuType iommu_type;
    uint64_t page_size;
    unsigned page_shift;
    uint64_t memlock_limit;    /* bytes, 0 = unlimited */
    uint64_t dma32_size;       /* sPAPR default window */
    uint32_t dma_entry_limit;  /* Type1 mappings per container */
    uint64_t type1_pgsizes;    /* Type1 iova_pgsizes: the IOMMU's pages */
    bool type1_no_caps;        /* Type1 GET_INFO as before Linux 5.4 */
    GArray *type1_ranges;      /* FakeRange: usable IOVA, sorted */
    bool debug;

    char *root;                /* private temp dir holding sys/ */
    GPtrArray *groups;         /* FakeGroup *, topology order */
    GHashTable *fds;           /* fd -> FakeHandle * */
    GPtrArray *containers;     /* FakeContainer * alive */
    GPtrArray *prereg;         /* FakePrereg * */
    uint64_t locked_pages;
    unsigned next_container_id;

    /* fault injection: fail one MAP_DMA once map_fail_after reaches 0 */
    bool map_fail_armed;
    unsigned map_fail_after;
    int map_fail_errno;
} FakeKernel;

extern FakeKernel *fake;
extern GRecMutex fake_lock;

typedef enum FakeHandleKind {
    FAKE_HANDLE_CONTAINER,
    FAKE_HANDLE_GROUP,
    FAKE_HANDLE_DEVICE,
} FakeHandleKind;

/*
 * An open fake file.  The table is keyed on descriptor numbers, which
 * the process can reuse behind our back (close_range(), a raw close):
 * the memfd's identity tells a reused number from our file.
 */
typedef struct FakeHandle {
    FakeHandleKind kind;
    int fd;
    dev_t dev;
    ino_t ino;
    void *obj;
} FakeHandle;

struct FakeGroup {
    int id;
    GPtrArray *devices;        /* FakeDevice *, owned */
    int fd;                    /* the open group file, or -1 */
    unsigned device_fds;       /* device files keep the group alive */
    FakeContainer *container;
    bool frozen;               /* injected: EEH froze the PE */
    bool eacces;               /* injected: opening /dev/vfio/N fails */
    bool eeh_enabled;
};

struct FakeContainer {
    unsigned id;
    int fd;                    /* -1 once closed (groups keep it alive) */
    GPtrArray *groups;         /* FakeGroup * attached */
    const FakeIommuOps *iommu; /* NULL until VFIO_SET_IOMMU */
    void *iommu_data;
    uint64_t map_calls, map_errors, unmap_calls, unmap_errors;
};

/* An IOMMU driver (the kernel's vfio_iommu_driver_ops). */
struct FakeIommuOps {
    const char *name;
    /* VFIO_CHECK_EXTENSION, also with no IOMMU set: 1 or 0. */
    int (*check_extension)(unsigned long ext);
    /* VFIO_SET_IOMMU: driver state, or NULL and *err set. */
    void *(*open)(FakeContainer *c, unsigned long type, int *err);
    /* A group joins or leaves a container whose IOMMU is set. */
    int (*attach_group)(FakeContainer *c, FakeGroup *g);
    void (*detach_group)(FakeContainer *c, FakeGroup *g);
    /* The last group left: drop all mappings, windows, registrations. */
    void (*release)(FakeContainer *c);
    /* Every other container ioctl. */
    int (*ioctl)(FakeContainer *c, unsigned long req, void *arg);
    /*
     * Device DMA at @iova needing @perm: the host address, and in *len
     * (shortened) how much is contiguous there.  false if not mapped.
     */
    bool (*translate)(FakeContainer *c, uint64_t iova, unsigned perm,
                      uint64_t *len, uint8_t **hva);
    /* Append the driver's JSON members (",\"k\":v...") to @out. */
    void (*state)(FakeContainer *c, GString *out);
    /* "spapr-tce-v2", "type1v2", ... */
    const char *(*type_name)(FakeContainer *c);
};

extern const FakeIommuOps fake_spapr_ops;
extern const FakeIommuOps fake_type1_ops;

typedef enum FakeIrqType {
    FAKE_IRQ_NONE,
    FAKE_IRQ_INTX,
    FAKE_IRQ_MSI,
    FAKE_IRQ_MSIX,
} FakeIrqType;

/* A BAR as the function model declares it. */
typedef struct FakeBar {
    uint64_t size;             /* 0: no BAR */
    bool mmap;                 /* plain memory, user may mmap it */
} FakeBar;

/*
 * A function model (edu today, NVMe later): what the hardware does.  The
 * vfio-pci layer (fake-device.c, fake-irq.c) owns config-space storage,
 * region dispatch, interrupts and the IOMMU path; a model fills config
 * space and implements its trapped BARs.
 */
struct FakeFuncOps {
    const char *name;          /* "edu": the topology's model= */
    /* Describe BARs and MSI-X, set up model state in d->model. */
    int (*init)(FakeDevice *d);
    void (*cleanup)(FakeDevice *d);
    /* Fill d->config/d->wmask as the kernel leaves it after enable. */
    void (*config_build)(FakeDevice *d);
    /* Function-level reset of the model's registers. */
    void (*reset)(FakeDevice *d);
    /* A trapped BAR access of @size (1, 2, 4 or 8) bytes. */
    uint64_t (*bar_read)(FakeDevice *d, unsigned bar, uint64_t addr,
                         unsigned size);
    void (*bar_write)(FakeDevice *d, unsigned bar, uint64_t addr,
                      uint64_t val, unsigned size);
    /* Is the interrupt line asserted (INTx level)? */
    bool (*irq_level)(FakeDevice *d);
    /*
     * Optional: the private tree exists, open what the model needs (a
     * backing file); -errno and @errp set on failure.
     */
    int (*start)(FakeDevice *d, GError **errp);
    /* Optional: append the model's JSON members (",\"k\":v...") */
    void (*state)(FakeDevice *d, GString *out);
};

extern const FakeFuncOps fake_edu_ops;
extern const FakeFuncOps fake_nvme_ops;

struct FakeDevice {
    FakeGroup *group;
    char *name;                /* "0000:01:00.0" */
    char *driver;              /* "vfio-pci", "e1000e", "" = unbound */
    bool pcie;
    bool multifunction;
    unsigned ordinal;          /* place in the topology */
    unsigned open_count;
    const FakeFuncOps *ops;
    void *model;
    GHashTable *params;        /* the topology's [device] keys, or NULL */

    /* hardware as the model declares it */
    FakeBar bars[FAKE_MAX_BARS];
    int bar_fd[FAKE_MAX_BARS]; /* memfd behind an mmap-able BAR, or -1 */
    uint8_t *bar_mem[FAKE_MAX_BARS];
    unsigned msix_vectors;     /* 0: no MSI-X */
    unsigned msix_bar;
    uint64_t msix_table, msix_pba;
    uint32_t config_size;
    uint8_t config[FAKE_CONFIG_MAX];
    uint8_t wmask[FAKE_CONFIG_MAX];

    /* vfio-pci interrupt state */
    FakeIrqType irq_type;
    int intx_trigger;          /* our dup of the user's eventfd, or -1 */
    bool intx_masked;
    int msi_trigger;
    int msix_trigger[FAKE_MSIX_MAX];
    unsigned msix_nvec;
    int err_trigger;
    int req_trigger;

    /* counters for the state interface */
    uint64_t dma_ok, dma_faults, dma_refused, irqs_signalled, resets;
    /* lowest and highest IOVA a DMA went through (lo > hi: none yet) */
    uint64_t dma_iova_lo, dma_iova_hi;
};

/* fake-interpose.c ------------------------------------------------------ */

/* A new handle on a fresh memfd; its fd, or -errno. */
int fake_handle_new(FakeHandleKind kind, void *obj, bool cloexec);
/*
 * With fake_lock held: the handle of the fake file open at @fd, or NULL.
 * A handle whose descriptor now holds another file is released first.
 */
FakeHandle *fake_handle_find(int fd);
/* The libc functions we override, as libc has them. */
int fake_real_close(int fd);
void *fake_real_mmap(void *addr, size_t len, int prot, int flags, int fd,
                     off_t off);
void fake_log(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* fake-config.c --------------------------------------------------------- */

/* Read the environment and the topology into a new FakeKernel. */
int fake_config_load(FakeKernel *k, GError **errp);
FakeGroup *fake_group_find(int id);
/* Charge (@inc) or uncharge @pages of locked memory; -ENOMEM over limit. */
int fake_account(uint64_t pages, bool inc);
/* Is [vaddr, vaddr + size) mapped in this process (could be pinned)? */
bool fake_range_mapped(uint64_t vaddr, uint64_t size);

/* fake-sysfs.c ---------------------------------------------------------- */

/* Build <root>/sys/... for the topology. */
int fake_sysfs_build(FakeKernel *k, GError **errp);
void fake_sysfs_remove(FakeKernel *k);
/* @path rewritten into the private tree (g_free it), or NULL if not ours. */
char *fake_sysfs_rewrite(const char *path);
/* Undo the rewrite in a resolved path, in place (realpath results). */
void fake_sysfs_unrewrite(char *path);
/*
 * @path (one of ours) is about to be opened: if it is a function's
 * config file, bring the file up to date with its config space.
 */
void fake_sysfs_config_refresh(const char *path);

/* fake-group.c ---------------------------------------------------------- */

int fake_group_open(FakeGroup *g, bool cloexec);
int fake_container_open(bool cloexec);
int fake_group_ioctl(FakeGroup *g, unsigned long req, void *arg);
int fake_container_ioctl(FakeContainer *c, unsigned long req, void *arg);
void fake_group_file_closed(FakeGroup *g);
void fake_container_file_closed(FakeContainer *c);
void fake_group_device_closed(FakeGroup *g);
bool fake_group_viable(FakeGroup *g);
/* /dev/vfio/N exists: a function of the group is bound to vfio-pci. */
bool fake_group_has_node(FakeGroup *g);
bool fake_device_is_vfio(FakeDevice *d);
/*
 * Device DMA at @iova through the group's container: @to_memory writes
 * @buf to memory, else reads memory into it.  A fault is counted in
 * d->dma_faults, never a crash: a translation fault writes nothing; a
 * mapped page found gone or read-only stops the copy there.
 */
bool fake_dma_rw(FakeDevice *d, uint64_t iova, void *buf, uint64_t len,
                 bool to_memory);

/* fake-device.c --------------------------------------------------------- */

int fake_device_init(FakeDevice *d, GError **errp);
/* Every model's start hook, once the private tree exists. */
int fake_devices_start(FakeKernel *k, GError **errp);
/* A key of the device's topology section, or NULL. */
const char *fake_device_param(FakeDevice *d, const char *key);
void fake_device_cleanup(FakeDevice *d);
int fake_device_open(FakeDevice *d, bool cloexec);
void fake_device_file_closed(FakeDevice *d);
/* Function-level reset (VFIO_DEVICE_RESET, EEH resets). */
void fake_device_reset(FakeDevice *d);
int fake_device_ioctl(FakeDevice *d, unsigned long req, void *arg);
ssize_t fake_device_rw(FakeDevice *d, void *buf, size_t count,
                       uint64_t offset, bool write);
/* mmap(2) on a device file: the result, or MAP_FAILED and *err. */
void *fake_device_mmap(FakeDevice *d, void *addr, size_t len, int prot,
                       int flags, uint64_t offset, int *err);
/*
 * The whole config space (d->config_size bytes) as a read of it sees it
 * now: all ones while the PE is frozen.
 */
void fake_device_config_read_all(FakeDevice *d, uint8_t *buf);
/* Config space helpers for function models. */
void fake_config_set(FakeDevice *d, uint32_t off, unsigned size,
                     uint32_t val, uint32_t wmask);
uint32_t fake_config_get(FakeDevice *d, uint32_t off, unsigned size);
bool fake_device_master_enabled(FakeDevice *d);

/* fake-irq.c ------------------------------------------------------------ */

int fake_irq_get_info(FakeDevice *d, struct vfio_irq_info *info);
int fake_irq_set(FakeDevice *d, struct vfio_irq_set *set);
/* The model raised its interrupt: MSI/MSI-X vector 0, else INTx. */
void fake_irq_raise(FakeDevice *d);
/* The same for MSI-X vector @vector (MSI and INTx have one). */
void fake_irq_raise_vector(FakeDevice *d, unsigned vector);
void fake_irq_disable_all(FakeDevice *d);

/* fake-state.c ---------------------------------------------------------- */

/* The whole state as one line of JSON (g_free it). */
char *fake_state_json(void);
/* One line of the control protocol; the reply line (g_free it). */
char *fake_state_command(const char *line);
/* Serve $VFIO_FAKE_STATE_SOCKET from a thread, if set. */
int fake_state_serve(GError **errp);
/* Stop serving; write the state to $VFIO_FAKE_STATE_FILE, if set. */
void fake_state_stop(void);

#endif
