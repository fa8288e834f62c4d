/*
 * vfio-sim (hw/vfio/sim/): the object, its topology, group and container
 * files with the kernel's errno values, descriptor lifetimes, and the QMP
 * commands.  Driven through the VfioHost ops table, like a user program
 * driving /dev/vfio.  IOMMU backends and device files have their own
 * test programs (test-vfio-sim-spapr.c, -type1.c, -device.c).
 */
#include "qemu/osdep.h"
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include "qemu/error.h"
#include "hw/boards.h"
#include "monitor/qmp.h"
#include "test-vfio-sim-util.h"

/* Object and properties -------------------------------------------------- */

static void test_properties(void)
{
    Object *obj = simt_new("p0", NULL);
    g_autoptr(GError) err = NULL;
    g_autofree char *e1 = simt_new_error("p1", "iommu-type=amd");
    g_autofree char *e2 = simt_new_error("p1", "page-size=12288");
    g_autofree char *e3 = simt_new_error("p1", "dma32-size=0x100000000");
    g_autofree char *e4 = simt_new_error("p1", "dma32-size=0x3000");
    g_autofree char *e5 = simt_new_error("p1", "page-size=2048");
    Object *plain = object_new(g_type_from_name("container"));
    Object *fresh = object_new(g_type_from_name("vfio-sim"));
    g_autoptr(JsonNode) q = simt_query(obj);
    JsonObject *o = json_node_get_object(q);

    g_assert_cmpstr(simt_host(obj)->ops->describe(simt_host(obj)), ==, "vfio-sim 'p0'");
    g_assert_cmpstr(json_object_get_string_member(o, "iommu-type"), ==, "spapr-tce-v2");
    g_assert_cmpint(json_object_get_int_member(o, "page-size"), ==, sysconf(_SC_PAGESIZE));
    g_assert_cmpint(json_object_get_int_member(o, "memlock-limit"), ==, 0);
    g_assert_cmpint(json_object_get_int_member(o, "locked-bytes"), ==, 0);

    g_assert_cmpstr(e1, ==, "vfio-sim 'p1': iommu-type 'amd' is not supported "
                    "(use spapr-tce-v2 or type1)");
    g_assert_cmpstr(e2, ==, "vfio-sim 'p1': page-size 12288 is not a power of two between "
                    "4 KiB and 16 MiB");
    g_assert_cmpstr(e5, ==, "vfio-sim 'p1': page-size 2048 is not a power of two between "
                    "4 KiB and 16 MiB");
    g_assert_cmpstr(e3, ==, "vfio-sim 'p1': dma32-size 0x100000000 is not a power of two "
                    "between 4 KiB and 2 GiB");
    g_assert_cmpstr(e4, ==, "vfio-sim 'p1': dma32-size 0x3000 is not a power of two "
                    "between 4 KiB and 2 GiB");

    /* the configuration is fixed once the object exists */
    g_assert_false(object_property_parse(obj, "memlock-limit", "4096", &err));
    g_assert_cmpstr(err->message, ==, "vfio-sim 'p0': property 'memlock-limit' cannot "
                    "change once the object exists");

    /* only a completed vfio-sim is a host */
    g_assert_null(vfio_sim_get_host(plain));
    g_assert_null(vfio_sim_get_host(fresh));
    g_assert_null(vfio_sim_get_host(NULL));
    g_object_unref(plain);
    g_object_unref(fresh);
    simt_del(obj);
}

/* Topology ------------------------------------------------------------------ */

static void check_group(VfioHost *h, int group, const char *const *names,
                        const char *const *drivers)
{
    g_autoptr(GPtrArray) n = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) d = g_ptr_array_new_with_free_func(g_free);
    guint i;

    g_assert_true(h->ops->group_devices(h, group, n, d, NULL));
    for (i = 0; names[i]; i++) {
        g_assert_cmpuint(i, <, n->len);
        g_assert_cmpstr(g_ptr_array_index(n, i), ==, names[i]);
        g_assert_cmpstr(g_ptr_array_index(d, i), ==, drivers[i]);
    }
    g_assert_cmpuint(i, ==, n->len);
}

static void test_topology_default(void)
{
    Object *obj = simt_new("t0", NULL);
    VfioHost *h = simt_host(obj);
    g_autoptr(GPtrArray) n = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) d = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonNode) q = simt_query(obj);
    uint32_t flags;
    int fd;

    check_group(h, 1, (const char *[]){ "0000:01:00.0", NULL },
                (const char *[]){ "vfio-pci", NULL });
    check_group(h, 2, (const char *[]){ "0000:02:00.0", "0000:02:00.1", NULL },
                (const char *[]){ "vfio-pci", "vfio-pci", NULL });
    check_group(h, 3, (const char *[]){ "0000:03:00.0", NULL },
                (const char *[]){ "vfio-pci", NULL });
    check_group(h, 4, (const char *[]){ "0000:04:00.0", "0000:04:00.1", NULL },
                (const char *[]){ "vfio-pci", "e1000e", NULL });
    g_assert_false(h->ops->group_devices(h, 5, n, d, &err));
    g_assert_cmpstr(err->message, ==, "vfio-sim 't0': group 5: no such IOMMU group "
                    "(/sys/kernel/iommu_groups/5 does not exist)");

    g_assert_true(json_object_get_boolean_member(simt_device_q(q, "0000:01:00.0"), "pcie"));
    g_assert_true(json_object_get_boolean_member(simt_device_q(q, "0000:02:00.1"), "pcie"));
    g_assert_false(json_object_get_boolean_member(simt_device_q(q, "0000:03:00.0"), "pcie"));
    g_assert_false(json_object_get_boolean_member(simt_group_q(q, 4), "viable"));
    g_assert_true(json_object_get_boolean_member(simt_group_q(q, 1), "viable"));

    /* /dev/vfio/N of each group; nothing else */
    for (int g = 1; g <= 4; g++) {
        fd = simt_open_group(h, g);
        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpint(simt_group_status(h, fd, &flags), ==, 0);
        g_assert_cmphex(flags, ==, g == 4 ? 0 : VFIO_GROUP_FLAGS_VIABLE);
        g_assert_cmpint(simt_close(h, fd), ==, 0);
    }
    g_assert_cmpint(simt_open_group(h, 5), ==, -ENOENT);
    g_assert_cmpint(simt_open_group(h, 0), ==, -ENOENT);
    g_assert_cmpint(h->ops->open(h, "/dev/vfio/01", O_RDWR), ==, -ENOENT);
    g_assert_cmpint(h->ops->open(h, "/dev/vfio/", O_RDWR), ==, -ENOENT);
    g_assert_cmpint(h->ops->open(h, "/dev/null", O_RDWR), ==, -ENOENT);
    simt_del(obj);
}

static char *write_topology(const char *text)
{
    g_autoptr(GError) err = NULL;
    char *path = NULL;
    int fd = g_file_open_tmp("vfio-sim-topo-XXXXXX.ini", &path, &err);

    g_assert_no_error(err);
    close(fd);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    return path;
}

static void test_topology_file(void)
{
    g_autofree char *path = write_topology(
        "# a custom host\n"
        "[group 7]\n"
        "devices=0000:05:00.0; 0000:05:00.1 ;0000:05:01.0\n"
        "[device 0000:05:00.1]\n"
        "pcie=false\n"
        "driver=\n"
        "[group 12]\n"
        "devices=0000:0a:00.0\n"
        "[device 0000:0a:00.0]\n"
        "driver=nvme\n"
        "[group 13]\n"
        "devices=0000:0b:00.0;0000:0b:00.1\n"
        "[device 0000:0b:00.1]\n"
        "driver=mlx5_core\n");
    g_autofree char *props = g_strdup_printf("topology=%s", path);
    Object *obj = simt_new("tf", props);
    VfioHost *h = simt_host(obj);
    g_autoptr(JsonNode) q = simt_query(obj);
    uint32_t flags;
    int fd;

    check_group(h, 7, (const char *[]){ "0000:05:00.0", "0000:05:00.1", "0000:05:01.0", NULL },
                (const char *[]){ "vfio-pci", "", "vfio-pci", NULL });
    check_group(h, 12, (const char *[]){ "0000:0a:00.0", NULL },
                (const char *[]){ "nvme", NULL });
    g_assert_false(json_object_get_boolean_member(simt_device_q(q, "0000:05:00.1"), "pcie"));
    g_assert_true(json_object_get_boolean_member(simt_device_q(q, "0000:05:01.0"), "pcie"));

    /* an unbound function does not spoil viability (kernel DMA ownership) */
    fd = simt_open_group(h, 7);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(simt_group_status(h, fd, &flags), ==, 0);
    g_assert_cmphex(flags, ==, VFIO_GROUP_FLAGS_VIABLE);
    /* but it is no VFIO device of the group */
    {
        int cfd = simt_open_container(h);
        int dfd;

        g_assert_cmpint(simt_set_container(h, fd, cfd), ==, 0);
        g_assert_cmpint(simt_set_iommu(h, cfd, VFIO_SPAPR_TCE_v2_IOMMU), ==, 0);
        g_assert_cmpint(simt_get_device(h, fd, "0000:05:00.1"), ==, -ENODEV);
        /* 05:00.0 shares its slot with 05:00.1: a multi-function device */
        dfd = simt_get_device(h, fd, "0000:05:00.0");
        g_assert_cmpint(dfd, >=, 0);
        g_assert_cmphex(simt_cfg_read(h, dfd, 0x0e, 1), ==, 0x80);
        g_assert_cmpint(simt_close(h, dfd), ==, 0);
        dfd = simt_get_device(h, fd, "0000:05:01.0");
        g_assert_cmphex(simt_cfg_read(h, dfd, 0x0e, 1), ==, 0x00);
        g_assert_cmpint(simt_close(h, dfd), ==, 0);
        g_assert_cmpint(simt_close(h, cfd), ==, 0);
    }
    g_assert_cmpint(simt_close(h, fd), ==, 0);

    /* no function bound to vfio-pci: no /dev/vfio node at all */
    g_assert_cmpint(simt_open_group(h, 12), ==, -ENOENT);
    /* one bound, one held by a host driver: a node, not viable */
    fd = simt_open_group(h, 13);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(simt_group_status(h, fd, &flags), ==, 0);
    g_assert_cmphex(flags, ==, 0);
    g_assert_cmpint(simt_close(h, fd), ==, 0);
    /* the default groups are gone */
    g_assert_cmpint(simt_open_group(h, 1), ==, -ENOENT);
    simt_del(obj);
    unlink(path);
}

static void assert_topology_error(const char *text, const char *msg)
{
    g_autofree char *path = write_topology(text);
    g_autofree char *props = g_strdup_printf("topology=%s", path);
    g_autofree char *err = simt_new_error("bad", props);
    g_autofree char *want = g_strdup_printf("vfio-sim 'bad': topology '%s': %s", path, msg);

    g_assert_cmpstr(err, ==, want);
    unlink(path);
}

static void test_topology_errors(void)
{
    g_autofree char *err = NULL;

    assert_topology_error("[grope 1]\ndevices=0000:01:00.0\n",
                          "[grope 1]: unknown section (expected [group N] or "
                          "[device DDDD:BB:DD.F])");
    assert_topology_error("[group x]\ndevices=0000:01:00.0\n",
                          "[group x]: unknown section (expected [group N] or "
                          "[device DDDD:BB:DD.F])");
    assert_topology_error("[group 1]\ndevice=0000:01:00.0\n",
                          "[group 1]: unknown key 'device'");
    assert_topology_error("[group 1]\ndevices=\n",
                          "[group 1]: 'devices' must list at least one function");
    assert_topology_error("[group 1]\ndevices=01:00.0\n",
                          "[group 1]: '01:00.0' is not a PCI function name (DDDD:BB:DD.F)");
    assert_topology_error("[group 1]\ndevices=0000:01:00.8\n",
                          "[group 1]: '0000:01:00.8' is not a PCI function name "
                          "(DDDD:BB:DD.F)");
    assert_topology_error("[group 1]\ndevices=0000:01:00.0\n[group 2]\ndevices=0000:01:00.0\n",
                          "[group 2]: function 0000:01:00.0 is already in another group");
    assert_topology_error("[group 1]\ndevices=0000:01:00.0\n[device 0000:01:00.0]\n"
                          "pcie=maybe\n",
                          "[device 0000:01:00.0]: pcie: 'maybe' is not true or false");
    assert_topology_error("[group 1]\ndevices=0000:01:00.0\n[device 0000:01:00.0]\n"
                          "speed=fast\n",
                          "[device 0000:01:00.0]: unknown key 'speed'");
    assert_topology_error("[group 1]\ndevices=0000:01:00.0\n[device 0000:02:00.0]\n",
                          "[device 0000:02:00.0]: the function is not listed by any group");
    assert_topology_error("# nothing\n", "no [group N] section");

    err = simt_new_error("bad", "topology=/nonexistent/topo.ini");
    g_assert_true(g_str_has_prefix(err, "vfio-sim 'bad': topology '/nonexistent/topo.ini': "));
}

/* Groups --------------------------------------------------------------------- */

static void test_group_open(void)
{
    Object *obj = simt_new("g0", NULL);
    VfioHost *h = simt_host(obj);
    g_autoptr(GError) err = NULL;
    int fd = simt_open_group(h, 1);

    g_assert_cmpint(fd, >=, 0);
    /* one open at a time */
    g_assert_cmpint(simt_open_group(h, 1), ==, -EBUSY);
    g_assert_cmpint(simt_close(h, fd), ==, 0);
    g_assert_cmpint(simt_close(h, fd), ==, -EBADF);
    fd = simt_open_group(h, 1);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(simt_close(h, fd), ==, 0);

    /* no permission on the node */
    g_assert_true(vfio_sim_set_eacces(VFIO_SIM(obj), 2, true, NULL));
    g_assert_cmpint(simt_open_group(h, 2), ==, -EACCES);
    g_assert_cmpint(simt_open_group(h, 1), >=, 0);
    g_assert_true(vfio_sim_set_eacces(VFIO_SIM(obj), 2, false, NULL));
    fd = simt_open_group(h, 2);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(simt_close(h, fd), ==, 0);
    g_assert_false(vfio_sim_set_eacces(VFIO_SIM(obj), 9, true, &err));
    g_assert_cmpstr(err->message, ==, "vfio-sim 'g0': group 9: no such IOMMU group");
    simt_del(obj);
}

static void test_group_set_container(void)
{
    Object *obj = simt_new("g1", NULL);
    VfioHost *h = simt_host(obj);
    int g1 = simt_open_group(h, 1), g3 = simt_open_group(h, 3), g4 = simt_open_group(h, 4);
    int c = simt_open_container(h), c2 = simt_open_container(h);
    int closed = simt_open_container(h);
    int efd = eventfd(0, EFD_CLOEXEC);
    uint32_t flags;

    simt_close(h, closed);
    g_assert_cmpint(simt_set_container(h, g1, closed), ==, -EBADF);
    g_assert_cmpint(simt_set_container(h, g1, -1), ==, -EBADF);
    /* an open descriptor that is no container */
    g_assert_cmpint(simt_set_container(h, g1, efd), ==, -EINVAL);
    g_assert_cmpint(simt_set_container(h, g1, g3), ==, -EINVAL);
    g_assert_cmpint(h->ops->ioctl(h, g1, VFIO_GROUP_SET_CONTAINER, NULL), ==, -EFAULT);
    /* a group some host driver still uses */
    g_assert_cmpint(simt_set_container(h, g4, c), ==, -EPERM);

    g_assert_cmpint(simt_set_container(h, g1, c), ==, 0);
    g_assert_cmpint(simt_group_status(h, g1, &flags), ==, 0);
    g_assert_cmphex(flags, ==, VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
    /* once set, set: even the same container */
    g_assert_cmpint(simt_set_container(h, g1, c), ==, -EINVAL);
    g_assert_cmpint(simt_set_container(h, g1, c2), ==, -EINVAL);
    /* two groups in one container (no IOMMU set yet) */
    g_assert_cmpint(simt_set_container(h, g3, c), ==, 0);

    g_assert_cmpint(h->ops->ioctl(h, g1, VFIO_GROUP_UNSET_CONTAINER, NULL), ==, 0);
    g_assert_cmpint(h->ops->ioctl(h, g1, VFIO_GROUP_UNSET_CONTAINER, NULL), ==, -EINVAL);
    g_assert_cmpint(simt_group_status(h, g1, &flags), ==, 0);
    g_assert_cmphex(flags, ==, VFIO_GROUP_FLAGS_VIABLE);

    /* GET_STATUS needs the whole struct */
    {
        struct vfio_group_status st = { .argsz = 4 };
        g_assert_cmpint(h->ops->ioctl(h, g1, VFIO_GROUP_GET_STATUS, &st), ==, -EINVAL);
        g_assert_cmpint(h->ops->ioctl(h, g1, VFIO_GROUP_GET_STATUS, NULL), ==, -EFAULT);
    }
    /* a device ioctl on a group file */
    g_assert_cmpint(h->ops->ioctl(h, g1, VFIO_DEVICE_RESET, NULL), ==, -ENOTTY);
    /* neither group nor container files read, write or map */
    {
        char b[4];
        int e = 0;
        g_assert_cmpint(h->ops->pread(h, g1, b, 4, 0), ==, -EINVAL);
        g_assert_cmpint(h->ops->pwrite(h, c, b, 4, 0), ==, -EINVAL);
        g_assert_cmpint(h->ops->pread(h, efd, b, 4, 0), ==, -EBADF);
        g_assert_null(h->ops->mmap(h, g1, 4096, PROT_READ, 0, &e));
        g_assert_cmpint(e, ==, ENODEV);
        g_assert_null(h->ops->mmap(h, c, 4096, PROT_READ, 0, &e));
        g_assert_cmpint(e, ==, EINVAL);
        g_assert_null(h->ops->mmap(h, efd, 4096, PROT_READ, 0, &e));
        g_assert_cmpint(e, ==, EBADF);
        g_assert_cmpint(h->ops->ioctl(h, efd, VFIO_GET_API_VERSION, NULL), ==, -EBADF);
    }
    close(efd);
    simt_del(obj);
}

/* Containers ------------------------------------------------------------------- */

static void test_container_spapr(void)
{
    Object *obj = simt_new("c0", NULL);
    VfioHost *h = simt_host(obj);
    int c = simt_open_container(h), g1 = simt_open_group(h, 1), g2 = simt_open_group(h, 2);
    static const struct { unsigned long ext; int want; } exts[] = {
        { VFIO_TYPE1_IOMMU, 0 }, { VFIO_SPAPR_TCE_IOMMU, 1 }, { VFIO_TYPE1v2_IOMMU, 0 },
        { VFIO_DMA_CC_IOMMU, 0 }, { VFIO_EEH, 1 }, { VFIO_TYPE1_NESTING_IOMMU, 0 },
        { VFIO_SPAPR_TCE_v2_IOMMU, 1 }, { VFIO_NOIOMMU_IOMMU, 0 }, { VFIO_UNMAP_ALL, 0 },
        { VFIO_UPDATE_VADDR, 0 }, { 1234, 0 },
    };

    g_assert_cmpint(h->ops->ioctl(h, c, VFIO_GET_API_VERSION, NULL), ==, VFIO_API_VERSION);
    for (guint i = 0; i < G_N_ELEMENTS(exts); i++) {
        g_assert_cmpint(h->ops->ioctl(h, c, VFIO_CHECK_EXTENSION,
                                      (void *)(uintptr_t)exts[i].ext), ==, exts[i].want);
    }
    /* without a group nothing may be enabled; driver ioctls need a driver */
    g_assert_cmpint(simt_set_iommu(h, c, VFIO_SPAPR_TCE_v2_IOMMU), ==, -EINVAL);
    g_assert_cmpint(simt_map(h, c, 0, NULL, 4096, 3), ==, -EINVAL);
    g_assert_cmpint(simt_set_container(h, g1, c), ==, 0);
    /* no driver claims Type1; EEH is claimed but is no IOMMU type */
    g_assert_cmpint(simt_set_iommu(h, c, VFIO_TYPE1v2_IOMMU), ==, -ENODEV);
    g_assert_cmpint(simt_set_iommu(h, c, VFIO_EEH), ==, -EINVAL);
    g_assert_cmpint(simt_set_iommu(h, c, VFIO_SPAPR_TCE_v2_IOMMU), ==, 0);
    g_assert_cmpint(simt_set_iommu(h, c, VFIO_SPAPR_TCE_v2_IOMMU), ==, -EINVAL);
    g_assert_cmpint(h->ops->ioctl(h, c, VFIO_CHECK_EXTENSION,
                                  (void *)(uintptr_t)VFIO_SPAPR_TCE_v2_IOMMU), ==, 1);
    /* v2 takes more groups; they share the windows */
    g_assert_cmpint(simt_set_container(h, g2, c), ==, 0);
    /* ioctls the driver does not have */
    g_assert_cmpint(h->ops->ioctl(h, c, VFIO_EEH_PE_OP, NULL), ==, -ENOTTY);
    g_assert_cmpint(h->ops->ioctl(h, c, VFIO_IOMMU_ENABLE, NULL), ==, -ENOTTY);
    g_assert_cmpint(h->ops->ioctl(h, c, VFIO_DEVICE_GET_INFO, NULL), ==, -ENOTTY);
    {
        g_autoptr(JsonNode) q = simt_query(obj);
        JsonObject *co = simt_container_q(q, 0);
        JsonArray *groups = json_object_get_array_member(co, "groups");

        g_assert_cmpstr(json_object_get_string_member(co, "iommu"), ==, "spapr-tce-v2");
        g_assert_cmpint(json_object_get_int_member(co, "fd"), ==, c);
        g_assert_cmpint(json_array_get_length(groups), ==, 2);
        g_assert_cmpint(json_array_get_int_element(groups, 0), ==, 1);
        g_assert_cmpint(json_array_get_int_element(groups, 1), ==, 2);
        g_assert_cmpint(json_object_get_int_member(simt_group_q(q, 2), "container"), ==,
                        json_object_get_int_member(co, "index"));
    }
    simt_del(obj);
}

static void test_container_type1(void)
{
    Object *obj = simt_new("c1", "iommu-type=type1");
    VfioHost *h = simt_host(obj);
    int c = simt_open_container(h), g1 = simt_open_group(h, 1);
    static const struct { unsigned long ext; int want; } exts[] = {
        { VFIO_TYPE1_IOMMU, 1 }, { VFIO_SPAPR_TCE_IOMMU, 0 }, { VFIO_TYPE1v2_IOMMU, 1 },
        { VFIO_EEH, 0 }, { VFIO_SPAPR_TCE_v2_IOMMU, 0 }, { VFIO_UNMAP_ALL, 1 },
        { VFIO_UPDATE_VADDR, 0 }, { VFIO_DMA_CC_IOMMU, 0 },
    };

    for (int pass = 0; pass < 2; pass++) {
        for (guint i = 0; i < G_N_ELEMENTS(exts); i++) {
            g_assert_cmpint(h->ops->ioctl(h, c, VFIO_CHECK_EXTENSION,
                                          (void *)(uintptr_t)exts[i].ext), ==, exts[i].want);
        }
        if (!pass) {
            g_assert_cmpint(simt_set_container(h, g1, c), ==, 0);
            g_assert_cmpint(simt_set_iommu(h, c, VFIO_SPAPR_TCE_v2_IOMMU), ==, -ENODEV);
            g_assert_cmpint(simt_set_iommu(h, c, VFIO_UNMAP_ALL), ==, -EINVAL);
            g_assert_cmpint(simt_set_iommu(h, c, VFIO_TYPE1v2_IOMMU), ==, 0);
        }
    }
    g_assert_cmpint(h->ops->ioctl(h, c, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, NULL), ==, -ENOTTY);
    simt_del(obj);
}

/* Device files ------------------------------------------------------------------- */

static void test_get_device_fd(void)
{
    Object *obj = simt_new("d0", NULL);
    VfioHost *h = simt_host(obj);
    int g = simt_open_group(h, 2), c = simt_open_container(h);
    int d1, d2, d3;

    g_assert_cmpint(simt_get_device(h, g, "0000:02:00.0"), ==, -EINVAL);  /* no container */
    g_assert_cmpint(simt_set_container(h, g, c), ==, 0);
    g_assert_cmpint(simt_get_device(h, g, "0000:02:00.0"), ==, -EINVAL);  /* no IOMMU */
    g_assert_cmpint(simt_set_iommu(h, c, VFIO_SPAPR_TCE_v2_IOMMU), ==, 0);
    g_assert_cmpint(simt_get_device(h, g, "0000:01:00.0"), ==, -ENODEV);  /* other group */
    g_assert_cmpint(simt_get_device(h, g, "0000:02:00.2"), ==, -ENODEV);
    g_assert_cmpint(simt_get_device(h, g, "02:00.0"), ==, -ENODEV);
    g_assert_cmpint(simt_get_device(h, g, NULL), ==, -EFAULT);

    d1 = simt_get_device(h, g, "0000:02:00.0");
    g_assert_cmpint(d1, >=, 0);
    /* the group path lets the same device be opened again: one state, two files */
    d2 = simt_get_device(h, g, "0000:02:00.0");
    g_assert_cmpint(d2, >=, 0);
    g_assert_cmpint(d2, !=, d1);
    d3 = simt_get_device(h, g, "0000:02:00.1");
    g_assert_cmpint(d3, >=, 0);
    simt_writel(h, d1, R_LIVENESS, 0x12345678);
    g_assert_cmphex(simt_readl(h, d2, R_LIVENESS), ==, ~0x12345678u);
    g_assert_cmphex(simt_readl(h, d3, R_LIVENESS), ==, 0);
    {
        g_autoptr(JsonNode) q = simt_query(obj);
        g_assert_cmpint(json_object_get_int_member(simt_device_q(q, "0000:02:00.0"),
                                                   "open-count"), ==, 2);
    }
    /* devices hold the group in its container */
    g_assert_cmpint(h->ops->ioctl(h, g, VFIO_GROUP_UNSET_CONTAINER, NULL), ==, -EBUSY);
    simt_close(h, d1);
    simt_close(h, d3);
    g_assert_cmpint(h->ops->ioctl(h, g, VFIO_GROUP_UNSET_CONTAINER, NULL), ==, -EBUSY);
    /* the other file still sees the state: the device was not released */
    g_assert_cmphex(simt_readl(h, d2, R_LIVENESS), ==, ~0x12345678u);
    simt_close(h, d2);
    g_assert_cmpint(h->ops->ioctl(h, g, VFIO_GROUP_UNSET_CONTAINER, NULL), ==, 0);
    simt_del(obj);
}

/* Lifetimes ------------------------------------------------------------------------ */

static void test_lifetime_group_close(void)
{
    Object *obj = simt_new("l0", NULL);
    VfioHost *h = simt_host(obj);
    int g, c, d;
    uint32_t flags;

    /* closing the group takes it out of its container, which loses its IOMMU */
    simt_setup(h, 1, VFIO_SPAPR_TCE_v2_IOMMU, &g, &c);
    simt_close(h, g);
    {
        g_autoptr(JsonNode) q = simt_query(obj);
        JsonObject *co = simt_container_q(q, 0);
        g_assert_cmpstr(json_object_get_string_member(co, "iommu"), ==, "none");
        g_assert_cmpint(json_array_get_length(json_object_get_array_member(co, "groups")),
                        ==, 0);
        g_assert_cmpint(json_object_get_int_member(simt_group_q(q, 1), "container"), ==, -1);
    }
    /* deprivileged: SET_IOMMU needs a group again */
    g_assert_cmpint(simt_set_iommu(h, c, VFIO_SPAPR_TCE_v2_IOMMU), ==, -EINVAL);
    g = simt_open_group(h, 1);
    g_assert_cmpint(simt_group_status(h, g, &flags), ==, 0);
    g_assert_cmphex(flags, ==, VFIO_GROUP_FLAGS_VIABLE);
    g_assert_cmpint(simt_set_container(h, g, c), ==, 0);
    g_assert_cmpint(simt_set_iommu(h, c, VFIO_SPAPR_TCE_v2_IOMMU), ==, 0);

    /* a device file keeps the group file alive after it is closed */
    d = simt_get_device(h, g, "0000:01:00.0");
    g_assert_cmpint(simt_close(h, g), ==, 0);
    g_assert_cmpint(simt_open_group(h, 1), ==, -EBUSY);
    {
        g_autoptr(JsonNode) q = simt_query(obj);
        g_assert_true(json_object_get_boolean_member(simt_group_q(q, 1), "open"));
        g_assert_cmpstr(json_object_get_string_member(simt_container_q(q, 0), "iommu"), ==,
                        "spapr-tce-v2");
    }
    g_assert_cmpint(simt_close(h, d), ==, 0);
    g = simt_open_group(h, 1);
    g_assert_cmpint(g, >=, 0);
    g_assert_cmpint(simt_group_status(h, g, &flags), ==, 0);
    g_assert_cmphex(flags, ==, VFIO_GROUP_FLAGS_VIABLE);
    simt_close(h, g);
    simt_close(h, c);
    {
        g_autoptr(JsonNode) q = simt_query(obj);
        g_assert_cmpint(json_array_get_length(json_object_get_array_member(
                            json_node_get_object(q), "containers")), ==, 0);
    }
    simt_del(obj);
}

static void test_lifetime_container_close(void)
{
    Object *obj = simt_new("l1", NULL);
    VfioHost *h = simt_host(obj);
    size_t ps = sysconf(_SC_PAGESIZE);
    uint8_t *ram = simt_ram(ps, ps);
    int g, c, d;

    simt_setup(h, 1, VFIO_SPAPR_TCE_v2_IOMMU, &g, &c);
    d = simt_get_device(h, g, "0000:01:00.0");
    g_assert_cmpint(simt_register(h, c, ram, ps), ==, 0);
    g_assert_cmpint(simt_map(h, c, 0x1000, ram, 0x1000, VFIO_DMA_MAP_FLAG_READ |
                             VFIO_DMA_MAP_FLAG_WRITE), ==, 0);
    /* the container file goes; the group keeps the container and its mappings */
    g_assert_cmpint(simt_close(h, c), ==, 0);
    {
        g_autoptr(JsonNode) q = simt_query(obj);
        JsonObject *co = simt_container_q(q, 0);
        g_assert_cmpint(json_object_get_int_member(co, "fd"), ==, -1);
        g_assert_cmpint(json_array_get_length(json_object_get_array_member(co, "mappings")),
                        ==, 1);
    }
    simt_enable(h, d);
    memset(ram, 0x5a, 16);
    simt_edu_dma(h, d, 0x1000, EDU_BUF, 16, 0);
    g_assert_cmphex(simt_readl(h, d, EDU_BUF), ==, 0x5a5a5a5a);
    /* the last group leaving frees it all */
    simt_close(h, d);
    g_assert_cmpint(h->ops->ioctl(h, g, VFIO_GROUP_UNSET_CONTAINER, NULL), ==, 0);
    {
        g_autoptr(JsonNode) q = simt_query(obj);
        g_assert_cmpint(json_array_get_length(json_object_get_array_member(
                            json_node_get_object(q), "containers")), ==, 0);
    }
    g_assert_cmpint(simt_locked_bytes(obj), ==, 0);
    simt_close(h, g);
    simt_ram_free(ram, ps);
    simt_del(obj);
}

/* Descriptors --------------------------------------------------------------------- */

static void test_fds(void)
{
    int before_sim = simt_fd_count();
    Object *obj = simt_new("f0", NULL);
    VfioHost *h = simt_host(obj);
    int before = simt_fd_count();
    int efd = eventfd(0, EFD_CLOEXEC);
    int g, c, d, g2, d2;

    simt_setup(h, 1, VFIO_SPAPR_TCE_v2_IOMMU, &g, &c);
    d = simt_get_device(h, g, "0000:01:00.0");
    g_assert_cmpint(simt_set_irq_eventfd(h, d, VFIO_PCI_INTX_IRQ_INDEX, efd), ==, 0);
    /* group, container, device, and the reference on the eventfd */
    g_assert_cmpint(simt_fd_count(), ==, before + 1 + 4);
    g_assert_cmpuint(vfio_sim_open_fds(VFIO_SIM(obj)), ==, 4);
    {
        g_autoptr(JsonNode) q = simt_query(obj);
        g_assert_cmpint(json_object_get_int_member(json_node_get_object(q), "open-fds"), ==, 4);
    }
    g2 = simt_open_group(h, 2);
    g_assert_cmpint(simt_set_container(h, g2, c), ==, 0);
    d2 = simt_get_device(h, g2, "0000:02:00.1");
    g_assert_cmpint(d2, >=, 0);

    simt_close(h, d);
    simt_close(h, d2);
    simt_close(h, c);
    simt_close(h, g);
    simt_close(h, g2);
    close(efd);
    g_assert_cmpint(simt_fd_count(), ==, before);
    g_assert_cmpuint(vfio_sim_open_fds(VFIO_SIM(obj)), ==, 0);

    /* destroying the object closes what is left */
    simt_setup(h, 3, VFIO_SPAPR_TCE_v2_IOMMU, &g, &c);
    d = simt_get_device(h, g, "0000:03:00.0");
    efd = eventfd(0, EFD_CLOEXEC);
    g_assert_cmpint(simt_set_irq_eventfd(h, d, VFIO_PCI_MSI_IRQ_INDEX, efd), ==, 0);
    close(efd);
    g_assert_cmpint(simt_fd_count(), ==, before + 4);
    simt_del(obj);
    g_assert_cmpint(simt_fd_count(), ==, before_sim);
}

/* QMP -------------------------------------------------------------------------------- */

static const QmpCommand *find_command(const char *name)
{
    GList *l = qmp_command_list();
    const QmpCommand *found = NULL;

    for (GList *i = l; i; i = i->next) {
        if (g_str_equal(((const QmpCommand *)i->data)->name, name)) {
            found = i->data;
        }
    }
    g_list_free(l);
    return found;
}

/* Run @cmd with arguments @json; the error message, or NULL and *ret. */
static char *qmp(const char *cmd, const char *json, JsonNode **ret)
{
    const QmpCommand *c = find_command(cmd);
    g_autoptr(JsonNode) args = json_from_string(json, NULL);
    g_autoptr(GError) err = NULL;
    JsonNode *r;

    g_assert_nonnull(c);
    g_assert_nonnull(args);
    r = c->fn(json_node_get_object(args), &err);
    if (!r) {
        g_assert_nonnull(err);
        return g_strdup(err->message);
    }
    if (ret) {
        *ret = r;
    } else {
        json_node_unref(r);
    }
    return NULL;
}

#define QMP_OK(cmd, json) g_assert_null(qmp((cmd), (json), NULL))
#define QMP_ERR(cmd, json, msg)                                          \
    do {                                                                 \
        g_autofree char *m_ = qmp((cmd), (json), NULL);                  \
        g_assert_cmpstr(m_, ==, (msg));                                  \
    } while (0)

static void test_qmp(void)
{
    Object *obj = simt_new("q0", NULL);
    VfioHost *h = simt_host(obj);
    size_t ps = sysconf(_SC_PAGESIZE);
    uint8_t *ram = simt_ram(4 * ps, ps);
    JsonNode *r = NULL;
    JsonObject *o;
    int g, c;

    g_assert_nonnull(find_command("x-vfio-sim-query"));
    g_assert_nonnull(find_command("x-vfio-sim-inject"));

    g_assert_null(qmp("x-vfio-sim-query", "{\"sim\": \"q0\"}", &r));
    o = json_node_get_object(r);
    g_assert_cmpstr(json_object_get_string_member(o, "id"), ==, "q0");
    g_assert_cmpint(json_array_get_length(json_object_get_array_member(o, "groups")), ==, 4);
    g_assert_false(json_object_has_member(o, "map-fail-pending"));
    json_node_unref(r);
    g_assert_null(qmp("x-vfio-sim-query", "{\"sim\": \"/objects/q0\"}", NULL));
    QMP_ERR("x-vfio-sim-query", "{\"sim\": \"nope\"}", "object 'nope' not found");
    QMP_ERR("x-vfio-sim-query", "{\"sim\": \"/objects\"}", "object '/objects' is not a vfio-sim");

    /* map-fail: after two maps, the third fails once with the chosen errno */
    simt_setup(h, 1, VFIO_SPAPR_TCE_v2_IOMMU, &g, &c);
    g_assert_cmpint(simt_register(h, c, ram, 4 * ps), ==, 0);
    QMP_OK("x-vfio-sim-inject", "{\"sim\": \"q0\", \"fault\": \"map-fail\", \"after\": 2, "
           "\"errno\": \"EFAULT\"}");
    g_assert_null(qmp("x-vfio-sim-query", "{\"sim\": \"q0\"}", &r));
    o = json_object_get_object_member(json_node_get_object(r), "map-fail-pending");
    g_assert_cmpint(json_object_get_int_member(o, "after"), ==, 2);
    g_assert_cmpstr(json_object_get_string_member(o, "errno"), ==, "EFAULT");
    json_node_unref(r);
    g_assert_cmpint(simt_map(h, c, 0, ram, 4096, VFIO_DMA_MAP_FLAG_READ), ==, 0);
    g_assert_cmpint(simt_map(h, c, 4096, ram, 4096, VFIO_DMA_MAP_FLAG_READ), ==, 0);
    g_assert_cmpint(simt_map(h, c, 8192, ram, 4096, VFIO_DMA_MAP_FLAG_READ), ==, -EFAULT);
    g_assert_cmpint(simt_map(h, c, 8192, ram, 4096, VFIO_DMA_MAP_FLAG_READ), ==, 0);
    QMP_OK("x-vfio-sim-inject", "{\"sim\": \"q0\", \"fault\": \"map-fail\"}");
    g_assert_cmpint(simt_map(h, c, 0, ram, 4096, VFIO_DMA_MAP_FLAG_READ), ==, -ENOMEM);
    QMP_OK("x-vfio-sim-inject", "{\"sim\": \"q0\", \"fault\": \"map-fail\"}");
    QMP_OK("x-vfio-sim-inject", "{\"sim\": \"q0\", \"fault\": \"map-fail\", \"clear\": true}");
    g_assert_cmpint(simt_map(h, c, 0, ram, 4096, VFIO_DMA_MAP_FLAG_READ), ==, 0);
    {
        g_autoptr(JsonNode) q = simt_query(obj);
        JsonObject *co = simt_container_q(q, 0);
        g_assert_cmpint(json_object_get_int_member(co, "map-calls"), ==, 6);
        g_assert_cmpint(json_object_get_int_member(co, "map-errors"), ==, 2);
    }

    /* memlock: the limit applies to new locks */
    QMP_OK("x-vfio-sim-inject", "{\"sim\": \"q0\", \"fault\": \"memlock\", \"bytes\": 1}");
    g_assert_null(qmp("x-vfio-sim-query", "{\"sim\": \"q0\"}", &r));
    g_assert_cmpint(json_object_get_int_member(json_node_get_object(r), "memlock-limit"), ==, 1);
    json_node_unref(r);
    g_assert_cmpint(simt_unregister(h, c, ram, 4 * ps), ==, -EBUSY);
    QMP_OK("x-vfio-sim-inject", "{\"sim\": \"q0\", \"fault\": \"memlock\", \"bytes\": 0}");

    /* freeze / thaw / eacces */
    QMP_OK("x-vfio-sim-inject", "{\"sim\": \"q0\", \"fault\": \"freeze\", \"group\": 1}");
    g_assert_null(qmp("x-vfio-sim-query", "{\"sim\": \"q0\"}", &r));
    g_assert_true(json_object_get_boolean_member(simt_group_q(r, 1), "frozen"));
    json_node_unref(r);
    QMP_OK("x-vfio-sim-inject", "{\"sim\": \"q0\", \"fault\": \"thaw\", \"group\": 1}");
    QMP_OK("x-vfio-sim-inject", "{\"sim\": \"q0\", \"fault\": \"eacces\", \"group\": 3}");
    g_assert_cmpint(simt_open_group(h, 3), ==, -EACCES);
    QMP_OK("x-vfio-sim-inject", "{\"sim\": \"q0\", \"fault\": \"eacces\", \"group\": 3, "
           "\"clear\": true}");
    g_assert_null(qmp("x-vfio-sim-query", "{\"sim\": \"q0\"}", &r));
    g_assert_false(json_object_get_boolean_member(simt_group_q(r, 1), "frozen"));
    g_assert_false(json_object_get_boolean_member(simt_group_q(r, 3), "eacces"));
    json_node_unref(r);

    /* errors name the object */
    QMP_ERR("x-vfio-sim-inject", "{\"sim\": \"q0\", \"fault\": \"explode\"}",
            "vfio-sim 'q0': unknown fault 'explode' (expected map-fail, memlock, freeze, thaw "
            "or eacces)");
    QMP_ERR("x-vfio-sim-inject", "{\"sim\": \"q0\", \"fault\": \"freeze\"}",
            "vfio-sim 'q0': fault 'freeze' needs 'group'");
    QMP_ERR("x-vfio-sim-inject", "{\"sim\": \"q0\", \"fault\": \"thaw\", \"group\": 8}",
            "vfio-sim 'q0': group 8: no such IOMMU group");
    QMP_ERR("x-vfio-sim-inject", "{\"sim\": \"q0\", \"fault\": \"memlock\"}",
            "vfio-sim 'q0': fault 'memlock' needs 'bytes'");
    QMP_ERR("x-vfio-sim-inject", "{\"sim\": \"q0\", \"fault\": \"memlock\", \"bytes\": -1}",
            "vfio-sim 'q0': fault 'memlock': 'bytes' -1 is out of range");
    QMP_ERR("x-vfio-sim-inject", "{\"sim\": \"q0\", \"fault\": \"map-fail\", "
            "\"errno\": \"EIO\"}",
            "vfio-sim 'q0': fault 'map-fail': errno 'EIO' is not ENOMEM or EFAULT");
    QMP_ERR("x-vfio-sim-inject", "{\"sim\": \"q0\", \"fault\": \"map-fail\", \"after\": -2}",
            "vfio-sim 'q0': fault 'map-fail': 'after' -2 is out of range");
    QMP_ERR("x-vfio-sim-inject", "{\"sim\": \"zz\", \"fault\": \"thaw\", \"group\": 1}",
            "object 'zz' not found");
    {
        g_autoptr(GError) err = NULL;
        g_assert_false(vfio_sim_inject_map_fail(VFIO_SIM(obj), 0, EIO, &err));
        g_assert_cmpstr(err->message, ==, "vfio-sim 'q0': map-fail: errno 5 is not ENOMEM or "
                        "EFAULT");
    }
    simt_del(obj);
    simt_ram_free(ram, 4 * ps);
}

/* Guest-physical addresses: host addresses inside the machine's RAM mapping. */
static void test_qmp_gpa(void)
{
    Object *obj = simt_new("q1", NULL);
    VfioHost *h = simt_host(obj);
    size_t ps = sysconf(_SC_PAGESIZE);
    uint8_t *ram = simt_ram(MiB, ps), *other = simt_ram(ps, ps);
    Machine *saved = current_machine;
    Machine fake;
    int g, c;

    /* only the RAM mapping of the machine matters here */
    memset(&fake, 0, sizeof(fake));
    fake.ram.ram = ram;
    fake.ram.size = MiB;
    current_machine = &fake;
    simt_setup(h, 1, VFIO_SPAPR_TCE_v2_IOMMU, &g, &c);
    g_assert_cmpint(simt_register(h, c, ram, MiB), ==, 0);
    g_assert_cmpint(simt_register(h, c, other, ps), ==, 0);
    g_assert_cmpint(simt_map(h, c, 0x10000, ram + 0x3000, 0x2000, VFIO_DMA_MAP_FLAG_READ), ==,
                    0);
    g_assert_cmpint(simt_map(h, c, 0x20000, other, 0x1000, VFIO_DMA_MAP_FLAG_READ), ==, 0);
    {
        g_autoptr(JsonNode) q = simt_query(obj);
        JsonObject *co = simt_container_q(q, 0);
        JsonArray *regs = json_object_get_array_member(co, "registered");
        JsonArray *maps = json_object_get_array_member(co, "mappings");
        JsonObject *r0 = json_array_get_object_element(regs, 0);
        JsonObject *r1 = json_array_get_object_element(regs, 1);

        g_assert_cmpint(json_object_get_int_member(r0, "gpa"), ==, 0);
        g_assert_cmpint(json_object_get_int_member(r1, "gpa"), ==, -1);
        g_assert_cmpint(json_object_get_int_member(json_array_get_object_element(maps, 0),
                                                   "gpa"), ==, 0x3000);
        g_assert_cmpint(json_object_get_int_member(json_array_get_object_element(maps, 1),
                                                   "gpa"), ==, -1);
    }
    current_machine = saved;
    simt_del(obj);
    simt_ram_free(ram, MiB);
    simt_ram_free(other, ps);
}

int main(int argc, char **argv)
{
    simt_init();
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vfio-sim/properties", test_properties);
    g_test_add_func("/vfio-sim/topology/default", test_topology_default);
    g_test_add_func("/vfio-sim/topology/file", test_topology_file);
    g_test_add_func("/vfio-sim/topology/errors", test_topology_errors);
    g_test_add_func("/vfio-sim/group/open", test_group_open);
    g_test_add_func("/vfio-sim/group/set-container", test_group_set_container);
    g_test_add_func("/vfio-sim/container/spapr", test_container_spapr);
    g_test_add_func("/vfio-sim/container/type1", test_container_type1);
    g_test_add_func("/vfio-sim/device/get-fd", test_get_device_fd);
    g_test_add_func("/vfio-sim/lifetime/group-close", test_lifetime_group_close);
    g_test_add_func("/vfio-sim/lifetime/container-close", test_lifetime_container_close);
    g_test_add_func("/vfio-sim/fds", test_fds);
    g_test_add_func("/vfio-sim/qmp", test_qmp);
    g_test_add_func("/vfio-sim/qmp/gpa", test_qmp_gpa);
    return g_test_run();
}
