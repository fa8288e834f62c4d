/*
 * vfio-sim: the Linux VFIO kernel interface, simulated inside the process.
 *
 *   -object vfio-sim,id=ID[,iommu-type=spapr-tce-v2|type1][,topology=FILE]
 *           [,page-size=N][,memlock-limit=BYTES][,dma32-size=BYTES]
 *           [,dma-entry-limit=N]
 *
 * page-size is the simulated host PAGE_SIZE (default: the real one): the
 * alignment of REGISTER_MEMORY, the unit of locked-memory accounting and
 * the largest IOMMU page a MAP_DMA may use (there are no huge pages).
 * dma32-size is the sPAPR 32-bit window (default 2 GiB); dma-entry-limit
 * the Type1 mappings a container may hold (default 65535).
 *
 * A vfio-sim object is a VfioHost (hw/vfio/vfio-host.h): it answers the
 * open/close/ioctl/pread/pwrite/mmap calls the VFIO layer would send to
 * /dev/vfio, with the kernel's semantics and errno values, and it drives
 * simulated PCI functions that do real DMA into this process's memory
 * through the IOMMU state the caller programmed.  Every handle is a real
 * file descriptor (an eventfd standing in for the kernel's file), so fd
 * leak checks through /proc/self/fd see them.
 *
 * Default topology (tests depend on it):
 *   group 1: 0000:01:00.0              PCIe
 *   group 2: 0000:02:00.0, 0000:02:00.1 PCIe, one device, two functions
 *   group 3: 0000:03:00.0              conventional PCI (256-byte config)
 *   group 4: 0000:04:00.0 (vfio-pci) and 0000:04:00.1 (bound to "e1000e"):
 *            not viable
 *
 * topology=FILE replaces it with a GKeyFile:
 *   [group 5]
 *   devices=0000:05:00.0;0000:05:00.1     functions of the group, in order
 *   [device 0000:05:00.1]                 optional, per function
 *   pcie=false                            default true
 *   driver=e1000e                         default vfio-pci; empty = unbound
 * A group is viable when every function is bound to vfio-pci or unbound
 * (the kernel's DMA-ownership rule); /dev/vfio/N exists only when at least
 * one of its functions is bound to vfio-pci.  Functions sharing
 * domain:bus:slot are one multi-function device.
 *
 * Every function is an "edu" (hw/misc/edu.c registers) with vendor 0x1234,
 * device 0x11e8, revision 0x10, class 0x00ff; BAR0 1 MiB of registers
 * (read/write only: they have side effects), BAR2 4 KiB of plain RAM
 * (mmap-able), an MSI capability (1 vector, 64-bit), INTA, and for PCIe
 * functions a PCIe endpoint capability with 4 KiB of config space and an
 * MSI-X capability at 0x90: 4 vectors, table at BAR0 0x80000, PBA at BAR0
 * 0x81000 (the conventional function of group 3 has MSI only).  Edu DMA
 * uses 64-bit bus addresses, goes through the container's IOMMU and
 * completes 100 ms of virtual time after it starts (system/clock.h).
 *
 * Interrupts (hw/vfio/sim/sim-irq.c): VFIO_DEVICE_GET_IRQ_INFO gives INTx
 * 1 (maskable, automasked), MSI 1, MSI-X 4 on PCIe functions and 0 on
 * conventional ones, ERR 1 (PCIe only), REQ 1.  VFIO_DEVICE_SET_IRQS
 * TRIGGER with eventfds enables INTx, MSI or MSI-X, one type at a time
 * as the kernel's vfio-pci: enabling one while another is enabled fails
 * with EINVAL; a TRIGGER with DATA_NONE and count 0 disables the type
 * that is on (leaving none).  MSI/MSI-X allocate start + count vectors
 * when enabled (NORESIZE: later calls must stay within them) and an
 * eventfd of -1 leaves a vector without a trigger.  The edu's interrupt
 * is the INTx line, or MSI vector 0, or MSI-X vector 0: the host side only
 * signals that vector's eventfd (the guest-visible MSI-X table and its
 * masking are the VMM's).  BAR accesses to the MSI-X table read all ones
 * and drop writes, as vfio_pci_bar_rw() keeps the user off it; the PBA
 * reads 0.  The MSI-X enable bit of the config space is read-only and
 * reads 1 while MSI-X is enabled through SET_IRQS.
 *
 * IOMMU backends: iommu-type=spapr-tce-v2 is the POWER sPAPR TCE driver
 * (VFIO_SPAPR_TCE_IOMMU and VFIO_SPAPR_TCE_v2_IOMMU, 2 windows, default
 * window created lazily, memory preregistration); iommu-type=type1 is the
 * x86-like Type1 driver (VFIO_TYPE1_IOMMU / VFIO_TYPE1v2_IOMMU with the
 * IOVA-range and DMA-available capabilities).  Locked memory (preregistered
 * memory, TCE tables, Type1 pinned pages) is counted per vfio-sim object,
 * as the kernel counts it per process, against memlock-limit (0: no limit).
 *
 * As with vfio-pci: the first open of a function enables it (memory
 * decoding on, bus mastering off); BAR accesses fail with EIO while memory
 * decoding is off; the edu issues no DMA without bus mastering (counted as
 * "dma-refused", not as a fault); the last close shuts its interrupts and
 * resets it.  A device may be opened more than once through its group.
 *
 * Where the simulation is not the kernel:
 *   - mapped/registered memory is not pinned: the caller must keep it
 *     mapped until it is unmapped/unregistered (QEMU does);
 *   - the mmap of BAR2 stays usable when memory decoding is off (the
 *     kernel would fault it);
 *   - not simulated, -ENOTTY: VFIO_EEH_PE_OP, VFIO_DEVICE_FEATURE,
 *     VFIO_DEVICE_IOEVENTFD, the PCI hot-reset ioctls, VFIO_IOMMU_DIRTY_PAGES;
 *     Type1 MAP/UNMAP with the VADDR or dirty-bitmap flags: -EINVAL
 *     (VFIO_UPDATE_VADDR and VFIO_DMA_CC_IOMMU are not advertised, and
 *     GET_INFO has no migration capability);
 *   - an sPAPR MAP_DMA running past the end of its window fails with
 *     EINVAL (the kernel checks only the first entry);
 *   - REGISTER_MEMORY of size 0 fails with EINVAL (the kernel: ENOMEM);
 *   - GROUP_SET_CONTAINER with an open descriptor that is no container
 *     fails with EINVAL (kernels without iommufd; with it: EBADFD);
 *   - GROUP_GET_DEVICE_FD takes the plain name, no " vf_token=" suffix;
 *   - an INTx unmask eventfd is serviced from the GLib main context;
 *   - MSI-X vectors are allocated all at enable, as kernels before 6.5 or
 *     without dynamic MSI-X do (no growing without disabling first);
 *   - the hardware MSI-X table behind the kernel is not modelled.
 */
#ifndef HW_VFIO_VFIO_SIM_H
#define HW_VFIO_VFIO_SIM_H

#include "hw/vfio/vfio-host.h"
#include "qom/object.h"

#define TYPE_VFIO_SIM "vfio-sim"

typedef struct VfioSim VfioSim;

GType vfio_sim_get_type(void);
#define VFIO_SIM(o) (G_TYPE_CHECK_INSTANCE_CAST((o), vfio_sim_get_type(), VfioSim))
#define IS_VFIO_SIM(o) (G_TYPE_CHECK_INSTANCE_TYPE((o), vfio_sim_get_type()))

/*
 * vfio_sim_get_host() (declared in vfio-host.h) returns NULL for an object
 * that is not a vfio-sim, or one that has not been completed yet
 * (-object and user_creatable_add() complete it).
 */

/* Fault injection: what x-vfio-sim-inject does --------------------------- */

/*
 * Let @after more VFIO_IOMMU_MAP_DMA calls (on any container of @sim) run,
 * then fail the next one with -@err (ENOMEM or EFAULT) before it changes
 * anything.  One shot; a new call replaces a pending one.
 */
gboolean vfio_sim_inject_map_fail(VfioSim *sim, unsigned after, int err, GError **errp);
/* Forget a pending map failure. */
void vfio_sim_clear_map_fail(VfioSim *sim);
/*
 * The locked-memory limit (RLIMIT_MEMLOCK of the simulated process), in
 * bytes; 0 = unlimited.  Memory already locked stays locked.
 */
void vfio_sim_set_memlock_limit(VfioSim *sim, uint64_t bytes);
/*
 * Freeze (or thaw) the PE of group @group: while frozen, reads of its
 * functions' regions return all ones, writes are dropped and their DMA
 * fails (counted as a DMA fault).
 */
gboolean vfio_sim_set_frozen(VfioSim *sim, int group, bool frozen, GError **errp);
/* Make opening /dev/vfio/@group fail with EACCES (or stop doing so). */
gboolean vfio_sim_set_eacces(VfioSim *sim, int group, bool on, GError **errp);

/* Inspection: what x-vfio-sim-query returns ----------------------------- */

/*
 * A JSON object describing @sim (see hw/vfio/sim/sim-qmp.c for the
 * members): containers with their IOMMU state and mappings, groups with
 * their functions and counters, open descriptors.
 */
JsonNode *vfio_sim_query(VfioSim *sim);

/* Number of real descriptors @sim holds open (handles and eventfd references). */
unsigned vfio_sim_open_fds(VfioSim *sim);

#endif
