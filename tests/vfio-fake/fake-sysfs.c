/*
 * The private sysfs and /dev/vfio tree: a real directory tree in a temp
 * dir, built once, into which fake-interpose.c rewrites /sys/bus/pci,
 * /sys/kernel/iommu_groups, /dev/vfio and /dev/iommu.  Being real, it
 * answers stat, readlink, opendir/readdir and realpath as the kernel's
 * would, with relative links as sysfs has them:
 *
 *   sys/kernel/iommu_groups/N/devices/D -> ../../../../bus/pci/devices/D
 *   sys/bus/pci/devices/D/iommu_group   -> ../../../../kernel/iommu_groups/N
 *   sys/bus/pci/devices/D/driver        -> ../../drivers/DRIVER (if bound)
 *   sys/bus/pci/devices/D/subsystem     -> ../../../../bus/pci
 *   sys/bus/pci/devices/D/{vendor,device,class,...}
 *   sys/bus/pci/devices/D/config        (the function's config space)
 *   dev/vfio/vfio, dev/vfio/N           (empty files: open is the fake's)
 *
 * A config file is rewritten from the function each time it is opened,
 * so a reader sees the config space as it is then, all ones while the
 * PE is frozen, as the kernel's sysfs reads the hardware.  Its size
 * never changes, so it is rewritten in place: a file already open sees
 * the new bytes too.
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include "fake.h"

static int mkdirs(const char *root, const char *rel, GError **errp)
{
    g_autofree char *path = g_build_filename(root, rel, NULL);

    if (g_mkdir_with_parents(path, 0755) < 0) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "mkdir %s: %s", path, g_strerror(errno));
        return -errno;
    }
    return 0;
}

static int link_to(const char *root, const char *rel, const char *target,
                   GError **errp)
{
    g_autofree char *path = g_build_filename(root, rel, NULL);

    if (symlink(target, path) < 0) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "symlink %s: %s", path, g_strerror(errno));
        return -errno;
    }
    return 0;
}

static int write_file(const char *root, const char *rel, const char *text,
                      GError **errp)
{
    g_autofree char *path = g_build_filename(root, rel, NULL);

    return g_file_set_contents(path, text, -1, errp) ? 0 : -EIO;
}

/* Write @d's config space, as it reads now, into its sysfs file. */
static int config_write(const char *root, FakeDevice *d, GError **errp)
{
    g_autofree char *path = g_strdup_printf("%s/sys/bus/pci/devices/%s/"
                                            "config", root, d->name);
    uint8_t buf[FAKE_CONFIG_MAX];
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    ssize_t n;

    if (fd < 0) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "open %s: %s", path, g_strerror(errno));
        return -errno;
    }
    fake_device_config_read_all(d, buf);
    n = pwrite(fd, buf, d->config_size, 0);
    close(fd);
    if (n != d->config_size) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_IO, "write %s: %s",
                    path, n < 0 ? g_strerror(errno) : "short write");
        return -EIO;
    }
    return 0;
}

void fake_sysfs_config_refresh(const char *path)
{
    g_autofree char *dir = NULL;
    g_autofree char *name = NULL;

    if (!fake || !fake->root || !g_str_has_suffix(path, "/config")) {
        return;
    }
    dir = g_path_get_dirname(path);
    name = g_path_get_basename(dir);
    g_rec_mutex_lock(&fake_lock);
    for (guint i = 0; i < fake->groups->len; i++) {
        FakeGroup *g = g_ptr_array_index(fake->groups, i);

        for (guint j = 0; j < g->devices->len; j++) {
            FakeDevice *d = g_ptr_array_index(g->devices, j);

            if (!strcmp(d->name, name)) {
                config_write(fake->root, d, NULL);
            }
        }
    }
    g_rec_mutex_unlock(&fake_lock);
}

static int device_build(const char *root, FakeDevice *d, GError **errp)
{
    g_autofree char *dir = g_strdup_printf("sys/bus/pci/devices/%s",
                                           d->name);
    g_autofree char *grp = g_strdup_printf("../../../../kernel/"
                                           "iommu_groups/%d", d->group->id);
    g_autofree char *glink = g_strdup_printf("sys/kernel/iommu_groups/%d/"
                                             "devices/%s", d->group->id,
                                             d->name);
    g_autofree char *gtarget = g_strdup_printf("../../../../bus/pci/"
                                               "devices/%s", d->name);
    struct {
        const char *file;
        uint32_t off;
        unsigned size;
    } ids[] = {
        { "vendor", 0x00, 2 }, { "device", 0x02, 2 },
        { "subsystem_vendor", 0x2c, 2 }, { "subsystem_device", 0x2e, 2 },
        { "class", 0x08, 4 },
    };

    if (mkdirs(root, dir, errp) < 0 ||
        link_to(root, glink, gtarget, errp) < 0) {
        return -EIO;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(ids); i++) {
        g_autofree char *rel = g_strdup_printf("%s/%s", dir, ids[i].file);
        uint32_t v = fake_config_get(d, ids[i].off, ids[i].size);
        g_autofree char *text = NULL;

        /* class drops the revision byte, as sysfs shows it */
        text = ids[i].size == 4 ? g_strdup_printf("0x%06x\n", v >> 8)
                                : g_strdup_printf("0x%04x\n", v);
        if (write_file(root, rel, text, errp) < 0) {
            return -EIO;
        }
    }
    if (config_write(root, d, errp) < 0) {
        return -EIO;
    }
    {
        g_autofree char *ig = g_strdup_printf("%s/iommu_group", dir);
        g_autofree char *ss = g_strdup_printf("%s/subsystem", dir);

        if (link_to(root, ig, grp, errp) < 0 ||
            link_to(root, ss, "../../../../bus/pci", errp) < 0) {
            return -EIO;
        }
    }
    if (*d->driver) {
        g_autofree char *drvdir = g_strdup_printf("sys/bus/pci/drivers/%s",
                                                  d->driver);
        g_autofree char *dl = g_strdup_printf("%s/driver", dir);
        g_autofree char *dt = g_strdup_printf("../../drivers/%s", d->driver);

        if (mkdirs(root, drvdir, errp) < 0 ||
            link_to(root, dl, dt, errp) < 0) {
            return -EIO;
        }
    }
    return 0;
}

int fake_sysfs_build(FakeKernel *k, GError **errp)
{
    g_autofree char *tmpl = g_build_filename(g_get_tmp_dir(),
                                             "vfio-fake-XXXXXX", NULL);

    if (!g_mkdtemp(tmpl)) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "mkdtemp %s: %s", tmpl, g_strerror(errno));
        return -errno;
    }
    /* resolved, so that realpath() results can be mapped back */
    k->root = realpath(tmpl, NULL);
    if (!k->root) {
        k->root = g_steal_pointer(&tmpl);
    }
    if (mkdirs(k->root, "sys/kernel/iommu_groups", errp) < 0 ||
        mkdirs(k->root, "sys/bus/pci/devices", errp) < 0 ||
        mkdirs(k->root, "sys/bus/pci/drivers", errp) < 0 ||
        mkdirs(k->root, "dev/vfio", errp) < 0 ||
        write_file(k->root, "dev/vfio/vfio", "", errp) < 0) {
        return -EIO;
    }
    for (guint i = 0; i < k->groups->len; i++) {
        FakeGroup *g = g_ptr_array_index(k->groups, i);
        g_autofree char *gdir = g_strdup_printf("sys/kernel/iommu_groups/%d/"
                                                "devices", g->id);

        if (mkdirs(k->root, gdir, errp) < 0) {
            return -EIO;
        }
        if (fake_group_has_node(g)) {
            g_autofree char *node = g_strdup_printf("dev/vfio/%d", g->id);

            if (write_file(k->root, node, "", errp) < 0) {
                return -EIO;
            }
        }
        for (guint j = 0; j < g->devices->len; j++) {
            if (device_build(k->root, g_ptr_array_index(g->devices, j),
                             errp) < 0) {
                return -EIO;
            }
        }
    }
    return 0;
}

static void remove_tree(const char *path)
{
    GDir *dir = g_dir_open(path, 0, NULL);
    const char *name;

    if (dir) {
        while ((name = g_dir_read_name(dir))) {
            g_autofree char *child = g_build_filename(path, name, NULL);

            /* links are removed, never followed */
            if (g_file_test(child, G_FILE_TEST_IS_DIR) &&
                !g_file_test(child, G_FILE_TEST_IS_SYMLINK)) {
                remove_tree(child);
            } else {
                g_unlink(child);
            }
        }
        g_dir_close(dir);
    }
    g_rmdir(path);
}

void fake_sysfs_remove(FakeKernel *k)
{
    if (k->root) {
        remove_tree(k->root);
        g_clear_pointer(&k->root, g_free);
    }
}

char *fake_sysfs_rewrite(const char *path)
{
    if (!fake || !fake->root) {
        return NULL;
    }
    return g_strconcat(fake->root, path, NULL);
}

void fake_sysfs_unrewrite(char *path)
{
    size_t n = fake && fake->root ? strlen(fake->root) : 0;

    if (n && !strncmp(path, fake->root, n) && path[n] == '/') {
        memmove(path, path + n, strlen(path + n) + 1);
    }
}
