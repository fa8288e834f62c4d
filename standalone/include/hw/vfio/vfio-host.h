/*
 * The VFIO host: where VFIO calls go.
 *
 * Every open/ioctl/pread/pwrite/mmap the VFIO layer makes goes through a
 * VfioHost: the Linux kernel (/dev/vfio and sysfs), or the in-process
 * simulator (-object vfio-sim), which implements the same uAPI subset with
 * the kernel's semantics and errno values.  The container, group and
 * device code is the same for both; only this table differs.
 *
 * File descriptors are real descriptors in both cases (the simulator backs
 * its handles with real fds), so leak checks count them the same way.
 * Calls return >= 0 on success and -errno on failure (not -1 + errno).
 */
#ifndef HW_VFIO_VFIO_HOST_H
#define HW_VFIO_VFIO_HOST_H

#include "qemu/osdep.h"

typedef struct VfioHost VfioHost;

typedef struct VfioHostOps {
    /* "/dev/vfio/vfio" (a container) or "/dev/vfio/N" (group N) */
    int (*open)(VfioHost *h, const char *path, int flags);
    int (*close)(VfioHost *h, int fd);
    /*
     * @arg is a pointer to the ioctl's struct, or, for the ioctls that
     * take a value (VFIO_CHECK_EXTENSION, VFIO_SET_IOMMU), the value cast
     * with (void *)(uintptr_t).
     */
    int (*ioctl)(VfioHost *h, int fd, unsigned long request, void *arg);
    ssize_t (*pread)(VfioHost *h, int fd, void *buf, size_t count, uint64_t offset);
    ssize_t (*pwrite)(VfioHost *h, int fd, const void *buf, size_t count, uint64_t offset);
    /* Map a device region; NULL + *err (errno) on failure. */
    void *(*mmap)(VfioHost *h, int fd, size_t len, int prot, uint64_t offset, int *err);
    void (*munmap)(VfioHost *h, void *addr, size_t len);
    /*
     * What sysfs tells about group @group (/sys/kernel/iommu_groups/N/devices):
     * the device names ("0000:01:00.0") into @names, and for each the driver
     * it is bound to ("vfio-pci", "e1000e", or "" for none) into @drivers.
     * FALSE + errp if the group does not exist.
     */
    gboolean (*group_devices)(VfioHost *h, int group, GPtrArray *names, GPtrArray *drivers,
                              GError **errp);
    /* A name for messages: "kernel" or "vfio-sim 'sim0'". */
    const char *(*describe)(VfioHost *h);
} VfioHostOps;

struct VfioHost {
    const VfioHostOps *ops;
};

/* The Linux kernel. */
VfioHost *vfio_host_kernel(void);

/*
 * The host behind a vfio-sim object (link target of the PHB's "vfio-sim"
 * property); NULL if @obj is not one.
 */
typedef struct Object Object;
VfioHost *vfio_sim_get_host(Object *obj);

#endif
