/*
 * The Linux kernel as VFIO host: plain system calls, and sysfs for the
 * devices of a group.
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "hw/vfio/vfio-host.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

static int kernel_open(VfioHost *h, const char *path, int flags)
{
    int fd = open(path, flags | O_CLOEXEC);

    return fd < 0 ? -errno : fd;
}

static int kernel_close(VfioHost *h, int fd)
{
    return close(fd) < 0 ? -errno : 0;
}

static int kernel_ioctl(VfioHost *h, int fd, unsigned long req, void *arg)
{
    int r = ioctl(fd, req, arg);

    return r < 0 ? -errno : r;
}

static ssize_t kernel_pread(VfioHost *h, int fd, void *buf, size_t count, uint64_t off)
{
    ssize_t r = pread(fd, buf, count, off);

    return r < 0 ? -errno : r;
}

static ssize_t kernel_pwrite(VfioHost *h, int fd, const void *buf, size_t count, uint64_t off)
{
    ssize_t r = pwrite(fd, buf, count, off);

    return r < 0 ? -errno : r;
}

static void *kernel_mmap(VfioHost *h, int fd, size_t len, int prot, uint64_t off, int *err)
{
    void *p = mmap(NULL, len, prot, MAP_SHARED, fd, off);

    if (p == MAP_FAILED) {
        *err = errno;
        return NULL;
    }
    return p;
}

static void kernel_munmap(VfioHost *h, void *addr, size_t len)
{
    munmap(addr, len);
}

static gint cmp_names(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(char *const *)a, *(char *const *)b);
}

static gboolean kernel_group_devices(VfioHost *h, int group, GPtrArray *names,
                                     GPtrArray *drivers, GError **errp)
{
    g_autofree char *dir = g_strdup_printf("/sys/kernel/iommu_groups/%d/devices", group);
    g_autoptr(GError) err = NULL;
    g_autoptr(GDir) d = g_dir_open(dir, 0, &err);
    g_autoptr(GPtrArray) sorted = g_ptr_array_new_with_free_func(g_free);
    const char *name;

    if (!d) {
        error_setg(errp, "%s: %s", dir, err->message);
        return FALSE;
    }
    while ((name = g_dir_read_name(d))) {
        g_ptr_array_add(sorted, g_strdup(name));
    }
    g_ptr_array_sort(sorted, cmp_names);
    for (guint i = 0; i < sorted->len; i++) {
        const char *dev = g_ptr_array_index(sorted, i);
        g_autofree char *link = g_strdup_printf("%s/%s/driver", dir, dev);
        g_autofree char *target = g_file_read_link(link, NULL);

        g_ptr_array_add(names, g_strdup(dev));
        g_ptr_array_add(drivers, target ? g_path_get_basename(target) : g_strdup(""));
    }
    return TRUE;
}

static const char *kernel_describe(VfioHost *h)
{
    return "kernel";
}

static const VfioHostOps kernel_ops = {
    .open = kernel_open,
    .close = kernel_close,
    .ioctl = kernel_ioctl,
    .pread = kernel_pread,
    .pwrite = kernel_pwrite,
    .mmap = kernel_mmap,
    .munmap = kernel_munmap,
    .group_devices = kernel_group_devices,
    .describe = kernel_describe,
};

static VfioHost kernel_host = { .ops = &kernel_ops };

VfioHost *vfio_host_kernel(void)
{
    return &kernel_host;
}
