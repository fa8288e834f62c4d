/*
 * VFIO groups: open, viability, the devices they hold.
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "hw/vfio/vfio-container.h"
#include "trace-events-all.h"

#include <fcntl.h>
#include <linux/vfio.h>

VfioGroup *vfio_group_open(VfioHost *host, int groupid, GError **errp)
{
    g_autofree char *path = g_strdup_printf("/dev/vfio/%d", groupid);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) drivers = g_ptr_array_new_with_free_func(g_free);
    struct vfio_group_status status = { .argsz = sizeof(status) };
    VfioGroup *group;
    int fd, r;

    fd = host->ops->open(host, path, O_RDWR);
    if (fd < 0) {
        if (fd == -ENOENT) {
            error_setg(errp, "group %d does not exist on the %s host (%s: %s)", groupid,
                       host->ops->describe(host), path, g_strerror(-fd));
        } else if (fd == -EACCES || fd == -EPERM) {
            error_setg(errp, "group %d: no permission to open %s: %s (run as root, or give "
                       "the user access to %s)", groupid, path, g_strerror(-fd), path);
        } else if (fd == -EBUSY) {
            error_setg(errp, "group %d: %s is already open (used by another VFIO user?)",
                       groupid, path);
        } else {
            error_setg(errp, "group %d: cannot open %s: %s", groupid, path, g_strerror(-fd));
        }
        return NULL;
    }
    r = vfio_ioctl(host, fd, VFIO_GROUP_GET_STATUS, &status);
    if (r < 0) {
        error_setg(errp, "group %d: VFIO_GROUP_GET_STATUS: %s", groupid, g_strerror(-r));
        host->ops->close(host, fd);
        return NULL;
    }
    if (!host->ops->group_devices(host, groupid, names, drivers, errp)) {
        error_prepend(errp, "group %d: ", groupid);
        host->ops->close(host, fd);
        return NULL;
    }
    if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
        GString *why = g_string_new(NULL);
        for (guint i = 0; i < names->len; i++) {
            const char *drv = g_ptr_array_index(drivers, i);
            if (g_strcmp0(drv, "vfio-pci")) {
                g_string_append_printf(why, "%sdevice %s is bound to %s%s%s", why->len ? ", " : "",
                                       (char *)g_ptr_array_index(names, i),
                                       *drv ? "driver '" : "no driver", drv, *drv ? "'" : "");
            }
        }
        error_setg(errp, "group %d is not viable: %s (bind every device of the group to "
                   "vfio-pci)", groupid, why->len ? why->str : "a device is not bound to vfio");
        g_string_free(why, TRUE);
        host->ops->close(host, fd);
        return NULL;
    }
    /*
     * Functions with no driver keep a group viable, but the kernel gives
     * out device fds only for those bound to vfio-pci: those are the ones
     * the guest gets.
     */
    for (guint i = names->len; i > 0; i--) {
        if (g_strcmp0(g_ptr_array_index(drivers, i - 1), "vfio-pci")) {
            g_ptr_array_remove_index(names, i - 1);
        }
    }
    if (!names->len) {
        error_setg(errp, "group %d has no device bound to vfio-pci", groupid);
        host->ops->close(host, fd);
        return NULL;
    }
    group = g_new0(VfioGroup, 1);
    group->host = host;
    group->groupid = groupid;
    group->fd = fd;
    group->devices = g_steal_pointer(&names);
    trace_vfio_group_open(groupid, fd, group->devices->len);
    return group;
}

void vfio_group_close(VfioGroup *group)
{
    if (!group) {
        return;
    }
    trace_vfio_group_close(group->groupid);
    group->host->ops->close(group->host, group->fd);
    g_ptr_array_unref(group->devices);
    g_free(group);
}
