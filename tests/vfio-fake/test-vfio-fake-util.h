/*
 * Helpers of the fake VFIO kernel's unit tests: the calls QEMU makes to
 * bring a group up, and reading the fake's state.
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TEST_VFIO_FAKE_UTIL_H
#define TEST_VFIO_FAKE_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <linux/vfio.h>

/* edu registers (tests/vfio-fake/fake-edu.c) */
#define EDU_REG_ID           0x00
#define EDU_REG_LIVENESS     0x04
#define EDU_REG_FACTORIAL    0x08
#define EDU_REG_IRQ_STATUS   0x24
#define EDU_REG_IRQ_RAISE    0x60
#define EDU_REG_IRQ_ACK      0x64
#define EDU_REG_DMA_SRC      0x80
#define EDU_REG_DMA_DST      0x88
#define EDU_REG_DMA_COUNT    0x90
#define EDU_REG_DMA_CMD      0x98
#define EDU_BUF              0x40000
#define EDU_DMA_START        0x1
#define EDU_DMA_TO_RAM       0x2
#define EDU_DMA_IRQ          0x4

/* An ioctl's result as 0 or -errno: g_assert_cmpint(IOC(...), ==, -EINVAL) */
#define IOC(fd, req, arg) (ioctl((fd), (req), (arg)) < 0 ? -errno : 0)

/* A group attached to a container with an IOMMU type set, and one device. */
typedef struct TestGroup {
    int container;
    int group;
    int device;
} TestGroup;

/* Open /dev/vfio/@group, attach it to a new container, set @iommu_type. */
void test_group_up(TestGroup *t, int group, unsigned long iommu_type);
/* ...and open device @name of it. */
void test_device_up(TestGroup *t, int group, unsigned long iommu_type,
                    const char *name);
void test_group_down(TestGroup *t);

/* Region @index's file offset. */
uint64_t test_region_offset(int device, unsigned index);
uint32_t test_bar0_read32(int device, uint64_t addr);
void test_bar0_write32(int device, uint64_t addr, uint32_t val);
void test_bar0_write64(int device, uint64_t addr, uint64_t val);
uint32_t test_config_read(int device, uint32_t addr, unsigned size);
void test_config_write(int device, uint32_t addr, uint32_t val,
                       unsigned size);
/* Turn bus mastering on, as a guest driver does. */
void test_enable_master(int device);
/* Run an edu DMA: @to_ram copies the buffer to @iova, else @iova in. */
void test_edu_dma(int device, uint64_t iova, uint64_t len, bool to_ram);

/* Page-aligned anonymous memory. */
void *test_alloc_pages(size_t size);
/* Open descriptors of this process, from /proc/self/fd. */
unsigned test_count_fds(void);
/* Has @fd (an eventfd) been signalled since last asked? */
bool test_eventfd_fired(int fd);

/* The fake's reply to one state-protocol line, through its socket. */
char *test_state_command(const char *line);
/*
 * The number at @path in the state JSON; the test fails if it is absent,
 * null or no number.  @path is '/'-separated steps: a member name, or in
 * an array "KEY=VALUE" (the elements whose member KEY is that string or
 * number) or "*" (any element); the first element that leads to the rest
 * of the path is taken.  E.g. "groups/id=1/container".
 */
int64_t test_state_u64(const char *path);
/* Does @path lead anywhere in the state JSON? */
bool test_state_has(const char *path);
/* test_state_u64() of member @key of function @device's object. */
int64_t test_device_u64(const char *device, const char *key);

/* The runs' test sets (meson.build runs the program once per setup). */
extern unsigned long test_iommu_type;
void test_spapr_register(void);
void test_type1_register(void);
/* The "type1-host" run: a host configured away from the defaults. */
void test_type1_host_register(void);
/* The NVMe tests: with a backing file of the test's (256 KiB) or not. */
extern const char *test_nvme_backing;
void test_nvme_register(bool own_backing);

#endif
