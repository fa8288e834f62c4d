/*
 * Helpers of the fake VFIO kernel's unit tests.
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "test-vfio-fake-util.h"

void test_group_up(TestGroup *t, int group, unsigned long iommu_type)
{
    g_autofree char *path = g_strdup_printf("/dev/vfio/%d", group);
    struct vfio_group_status status = { .argsz = sizeof(status) };

    t->device = -1;
    t->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
    g_assert_cmpint(t->container, >=, 0);
    t->group = open(path, O_RDWR | O_CLOEXEC);
    g_assert_cmpint(t->group, >=, 0);
    g_assert_cmpint(IOC(t->group, VFIO_GROUP_GET_STATUS, &status), ==, 0);
    g_assert_true(status.flags & VFIO_GROUP_FLAGS_VIABLE);
    g_assert_cmpint(IOC(t->group, VFIO_GROUP_SET_CONTAINER, &t->container),
                    ==, 0);
    g_assert_cmpint(ioctl(t->container, VFIO_SET_IOMMU, iommu_type), ==, 0);
}

void test_device_up(TestGroup *t, int group, unsigned long iommu_type,
                    const char *name)
{
    test_group_up(t, group, iommu_type);
    t->device = ioctl(t->group, VFIO_GROUP_GET_DEVICE_FD, name);
    g_assert_cmpint(t->device, >=, 0);
}

void test_group_down(TestGroup *t)
{
    if (t->device >= 0) {
        g_assert_cmpint(close(t->device), ==, 0);
    }
    g_assert_cmpint(close(t->group), ==, 0);
    g_assert_cmpint(close(t->container), ==, 0);
}

uint64_t test_region_offset(int device, unsigned index)
{
    struct vfio_region_info info = { .argsz = sizeof(info), .index = index };

    g_assert_cmpint(IOC(device, VFIO_DEVICE_GET_REGION_INFO, &info), ==, 0);
    return info.offset;
}

uint32_t test_bar0_read32(int device, uint64_t addr)
{
    uint32_t v;

    g_assert_cmpint(pread(device, &v, 4, test_region_offset(device, 0) +
                          addr), ==, 4);
    return GUINT32_FROM_LE(v);
}

void test_bar0_write32(int device, uint64_t addr, uint32_t val)
{
    uint32_t v = GUINT32_TO_LE(val);

    g_assert_cmpint(pwrite(device, &v, 4, test_region_offset(device, 0) +
                           addr), ==, 4);
}

void test_bar0_write64(int device, uint64_t addr, uint64_t val)
{
    uint64_t v = GUINT64_TO_LE(val);

    g_assert_cmpint(pwrite(device, &v, 8, test_region_offset(device, 0) +
                           addr), ==, 8);
}

uint32_t test_config_read(int device, uint32_t addr, unsigned size)
{
    uint32_t v = 0;

    g_assert_cmpint(pread(device, &v, size,
                          test_region_offset(device,
                                             VFIO_PCI_CONFIG_REGION_INDEX) +
                          addr), ==, size);
    return GUINT32_FROM_LE(v);
}

void test_config_write(int device, uint32_t addr, uint32_t val,
                       unsigned size)
{
    uint32_t v = GUINT32_TO_LE(val);

    g_assert_cmpint(pwrite(device, &v, size,
                           test_region_offset(device,
                                              VFIO_PCI_CONFIG_REGION_INDEX) +
                           addr), ==, size);
}

void test_enable_master(int device)
{
    test_config_write(device, 0x04, test_config_read(device, 0x04, 2) | 0x6,
                      2);
}

void test_edu_dma(int device, uint64_t iova, uint64_t len, bool to_ram)
{
    test_bar0_write64(device, to_ram ? EDU_REG_DMA_SRC : EDU_REG_DMA_DST,
                      EDU_BUF);
    test_bar0_write64(device, to_ram ? EDU_REG_DMA_DST : EDU_REG_DMA_SRC,
                      iova);
    test_bar0_write64(device, EDU_REG_DMA_COUNT, len);
    test_bar0_write64(device, EDU_REG_DMA_CMD,
                      EDU_DMA_START | (to_ram ? EDU_DMA_TO_RAM : 0));
}

void *test_alloc_pages(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    g_assert_true(p != MAP_FAILED);
    return p;
}

unsigned test_count_fds(void)
{
    GDir *dir = g_dir_open("/proc/self/fd", 0, NULL);
    unsigned n = 0;

    g_assert_nonnull(dir);
    while (g_dir_read_name(dir)) {
        n++;
    }
    g_dir_close(dir);
    return n;
}

bool test_eventfd_fired(int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    uint64_t v;

    if (poll(&p, 1, 0) != 1) {
        return false;
    }
    g_assert_cmpint(read(fd, &v, sizeof(v)), ==, sizeof(v));
    return v > 0;
}

char *test_state_command(const char *line)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    const char *path = g_getenv("VFIO_FAKE_STATE_SOCKET");
    g_autoptr(GString) reply = g_string_new(NULL);
    g_autofree char *req = g_strconcat(line, "\n", NULL);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    char buf[4096];
    ssize_t n;

    g_assert_nonnull(path);
    g_assert_cmpint(fd, >=, 0);
    g_strlcpy(addr.sun_path, path, sizeof(addr.sun_path));
    g_assert_cmpint(connect(fd, (struct sockaddr *)&addr, sizeof(addr)),
                    ==, 0);
    g_assert_cmpint(write(fd, req, strlen(req)), ==, strlen(req));
    while (!strchr(reply->str, '\n') &&
           (n = read(fd, buf, sizeof(buf))) > 0) {
        g_string_append_len(reply, buf, n);
    }
    close(fd);
    g_assert_nonnull(strchr(reply->str, '\n'));
    *strchr(reply->str, '\n') = '\0';
    return g_strdup(reply->str);
}

int64_t test_state_u64(const char *anchor, const char *key)
{
    g_autofree char *json = test_state_command("state");
    g_autofree char *needle = g_strdup_printf("\"%s\":", key);
    const char *p = json;

    if (anchor) {
        p = strstr(p, anchor);
        if (!p) {
            return -1;
        }
    }
    p = strstr(p, needle);
    if (!p) {
        return -1;
    }
    return g_ascii_strtoll(p + strlen(needle), NULL, 10);
}
