/*
 * Unit tests of the fake's sPAPR TCE IOMMU (v2 as QEMU uses it, and v1):
 * GET_INFO, preregistration, windows, maps, EEH, edu DMA through a TCE.
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "test-vfio-fake-util.h"

#define MEM_SIZE    (1 << 20)

static int tce_create(int c, unsigned shift, uint64_t size, unsigned levels,
                      uint64_t *start)
{
    struct vfio_iommu_spapr_tce_create cr = {
        .argsz = sizeof(cr), .page_shift = shift, .window_size = size,
        .levels = levels,
    };
    int ret = IOC(c, VFIO_IOMMU_SPAPR_TCE_CREATE, &cr);

    *start = cr.start_addr;
    return ret;
}

static int tce_remove(int c, uint64_t start)
{
    struct vfio_iommu_spapr_tce_remove rm = {
        .argsz = sizeof(rm), .start_addr = start,
    };

    return IOC(c, VFIO_IOMMU_SPAPR_TCE_REMOVE, &rm);
}

static int prereg(int c, unsigned long req, void *vaddr, uint64_t size)
{
    struct vfio_iommu_spapr_register_memory reg = {
        .argsz = sizeof(reg), .vaddr = (uintptr_t)vaddr, .size = size,
    };

    return IOC(c, req, &reg);
}

static int map(int c, uint64_t iova, void *vaddr, uint64_t size,
               uint32_t flags)
{
    struct vfio_iommu_type1_dma_map m = {
        .argsz = sizeof(m), .flags = flags, .iova = iova,
        .vaddr = (uintptr_t)vaddr, .size = size,
    };

    return IOC(c, VFIO_IOMMU_MAP_DMA, &m);
}

static int unmap(int c, uint64_t iova, uint64_t size)
{
    struct vfio_iommu_type1_dma_unmap u = {
        .argsz = sizeof(u), .iova = iova, .size = size,
    };

    return IOC(c, VFIO_IOMMU_UNMAP_DMA, &u);
}

#define RW  (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

/* QEMU's v2 setup: GET_INFO, prereg, remove the default, create its own. */
static void test_spapr_windows(void)
{
    struct vfio_iommu_spapr_tce_info info = { .argsz = sizeof(info) };
    uint8_t *mem = test_alloc_pages(MEM_SIZE);
    int64_t host_page = sysconf(_SC_PAGESIZE);
    uint64_t start;
    TestGroup t;

    test_group_up(&t, 1, VFIO_SPAPR_TCE_v2_IOMMU);
    g_assert_cmpint(IOC(t.container, VFIO_IOMMU_SPAPR_TCE_GET_INFO, &info),
                    ==, 0);
    g_assert_cmpuint(info.dma32_window_start, ==, 0);
    g_assert_cmpuint(info.dma32_window_size, ==, 2ULL << 30);
    g_assert_true(info.flags & VFIO_IOMMU_SPAPR_INFO_DDW);
    g_assert_cmpuint(info.ddw.max_dynamic_windows_supported, ==, 2);
    g_assert_cmpuint(info.ddw.levels, ==, 5);
    g_assert_true(info.ddw.pgsizes & (1 << 16));
    /* v1's ioctls are not v2's, Type1's GET_INFO is no sPAPR one */
    g_assert_cmpint(IOC(t.container, VFIO_IOMMU_ENABLE, NULL), ==, -ENOTTY);

    /* nothing registered: the container is not enabled */
    g_assert_cmpint(map(t.container, 0, mem, 4096, RW), ==, -EPERM);
    g_assert_cmpint(prereg(t.container, VFIO_IOMMU_SPAPR_REGISTER_MEMORY,
                           mem + 1, 4096), ==, -EINVAL);
    g_assert_cmpint(prereg(t.container, VFIO_IOMMU_SPAPR_REGISTER_MEMORY,
                           mem, MEM_SIZE), ==, 0);
    g_assert_cmpint(prereg(t.container, VFIO_IOMMU_SPAPR_REGISTER_MEMORY,
                           mem, MEM_SIZE), ==, -EBUSY);
    g_assert_cmpint(prereg(t.container, VFIO_IOMMU_SPAPR_REGISTER_MEMORY,
                           mem, host_page), ==, -EINVAL);   /* overlaps */
    g_assert_cmpint(test_state_u64("locked-bytes"), ==, MEM_SIZE);

    /* the pending default window is cancelled, not created */
    g_assert_cmpint(tce_remove(t.container, 0), ==, 0);
    g_assert_cmpint(tce_remove(t.container, 0), ==, -EINVAL);
    g_assert_cmpint(map(t.container, 0, mem, 4096, RW), ==, -ENXIO);
    g_assert_cmpint(tce_create(t.container, 13, 1 << 30, 1, &start), ==,
                    -EINVAL);
    g_assert_cmpint(tce_create(t.container, 12, 3 << 20, 1, &start), ==,
                    -EINVAL);
    g_assert_cmpint(tce_create(t.container, 12, 1 << 30, 6, &start), ==,
                    -EINVAL);
    g_assert_cmpint(tce_create(t.container, 12, 1 << 30, 1, &start), ==, 0);
    g_assert_cmphex(start, ==, 0);
    g_assert_cmpint(tce_create(t.container, 16, 1ULL << 40, 2, &start), ==,
                    0);
    g_assert_cmphex(start, ==, 1ULL << 59);
    g_assert_cmpint(tce_create(t.container, 12, 1 << 30, 1, &start), ==,
                    -ENOSPC);
    /*
     * Each table is charged twice (hardware table and userspace copy).
     * 1 GiB of 4 KiB pages: 2^18 TCEs, one 2 MiB level.  1 TiB of 64 KiB
     * pages in 2 levels: 2^24 TCEs, 12 index bits a level, so blocks of
     * 2^12 TCEs (32 KiB, or a host page if bigger); the leaves hold all
     * 128 MiB of TCEs, one block above points to at most 4096 of them.
     */
    g_assert_cmpint(test_state_u64("locked-bytes"), ==,
                    MEM_SIZE + 2 * (2 << 20) +
                    2 * ((128 << 20) + MAX(32 << 10, host_page)));

    /* maps: aligned, inside a window, on registered memory */
    g_assert_cmpint(map(t.container, 0x1000, mem, 0x2000, RW), ==, 0);
    g_assert_cmpint(map(t.container, 0x1000, mem + 0x800, 0x1000, RW), ==,
                    -EINVAL);
    g_assert_cmpint(map(t.container, 1ULL << 40, mem, 0x1000, RW), ==,
                    -ENXIO);
    g_assert_cmpint(map(t.container, 0x10000, mem - 0x1000 * 16, 0x1000,
                        RW), ==, -EINVAL);    /* not registered */
    g_assert_cmpint(map(t.container, 0x10000, mem, 0x1000, 0), ==, -EINVAL);
    /* 64K IOMMU pages need backing pages at least as big */
    g_assert_cmpint(map(t.container, 1ULL << 59, mem, 0x10000, RW), ==,
                    host_page >= 0x10000 ? 0 : -EINVAL);
    g_assert_cmpint(test_state_u64("containers/*/windows/*/entries-in-use"),
                    ==, 2);
    if (host_page >= 0x10000) {
        g_assert_cmpint(unmap(t.container, 1ULL << 59, 0x10000), ==, 0);
    }

    /* memory TCEs point into stays registered */
    g_assert_cmpint(prereg(t.container, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY,
                           mem, MEM_SIZE), ==, -EBUSY);
    g_assert_cmpint(unmap(t.container, 0x1000, 0x2000), ==, 0);
    g_assert_cmpint(unmap(t.container, 0x1800, 0x1000), ==, -EINVAL);
    g_assert_cmpint(tce_remove(t.container, 1ULL << 59), ==, 0);
    g_assert_cmpint(prereg(t.container, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY,
                           mem, MEM_SIZE), ==, 0);
    g_assert_cmpint(prereg(t.container, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY,
                           mem, MEM_SIZE), ==, -ENOENT);
    test_group_down(&t);
    /* windows are charged too, and everything went with the container */
    g_assert_cmpint(test_state_u64("locked-bytes"), ==, 0);
    munmap(mem, MEM_SIZE);
}

/* The edu's DMA goes through the TCEs; an unmapped IOVA faults. */
static void test_spapr_dma(void)
{
    uint8_t *mem = test_alloc_pages(MEM_SIZE);
    uint8_t pattern[64];
    uint64_t start;
    TestGroup t;

    test_device_up(&t, 1, VFIO_SPAPR_TCE_v2_IOMMU, "0000:01:00.0");
    g_assert_cmpint(prereg(t.container, VFIO_IOMMU_SPAPR_REGISTER_MEMORY,
                           mem, MEM_SIZE), ==, 0);
    g_assert_cmpint(tce_remove(t.container, 0), ==, 0);
    g_assert_cmpint(tce_create(t.container, 12, 1 << 30, 1, &start), ==, 0);
    g_assert_cmpint(map(t.container, 0x5000, mem + 0x3000, 0x1000, RW), ==,
                    0);
    g_assert_cmpint(map(t.container, 0x6000, mem + 0x4000, 0x1000,
                        VFIO_DMA_MAP_FLAG_READ), ==, 0);
    for (unsigned i = 0; i < sizeof(pattern); i++) {
        pattern[i] = 0x40 + i;
    }
    g_assert_cmpint(pwrite(t.device, pattern, sizeof(pattern),
                           test_region_offset(t.device, 0) + EDU_BUF), ==,
                    sizeof(pattern));

    /* without bus mastering nothing happens */
    test_edu_dma(t.device, 0x5010, sizeof(pattern), true);
    g_assert_cmpint(test_device_u64("0000:01:00.0", "dma-refused"), ==, 1);
    g_assert_cmpuint(mem[0x3010], ==, 0);

    test_enable_master(t.device);
    test_edu_dma(t.device, 0x5010, sizeof(pattern), true);
    g_assert_cmpmem(mem + 0x3010, sizeof(pattern), pattern, sizeof(pattern));
    g_assert_cmpint(test_device_u64("0000:01:00.0", "dma-ok"), ==, 1);

    /* unmapped, read-only, or crossing into an unmapped page: fault */
    test_edu_dma(t.device, 0x9000, 8, true);
    test_edu_dma(t.device, 0x6000, 8, true);
    test_edu_dma(t.device, 0x6ff8, 16, true);
    g_assert_cmpint(test_device_u64("0000:01:00.0", "dma-faults"), ==, 3);
    g_assert_cmpuint(mem[0x4000], ==, 0);
    g_assert_cmpuint(mem[0x4ff8], ==, 0);

    /* memory to the device through a read-only TCE */
    mem[0x4000] = 0x99;
    test_edu_dma(t.device, 0x6000, 1, false);
    g_assert_cmphex(test_bar0_read32(t.device, EDU_BUF) & 0xff, ==, 0x99);
    test_group_down(&t);
    munmap(mem, MEM_SIZE);
}

static void test_spapr_eeh(void)
{
    struct vfio_eeh_pe_op op = { .argsz = sizeof(op) };
    TestGroup t;

    test_device_up(&t, 1, VFIO_SPAPR_TCE_v2_IOMMU, "0000:01:00.0");
    op.op = VFIO_EEH_PE_ENABLE;
    g_assert_cmpint(IOC(t.container, VFIO_EEH_PE_OP, &op), ==, 0);
    op.op = VFIO_EEH_PE_GET_STATE;
    g_assert_cmpint(ioctl(t.container, VFIO_EEH_PE_OP, &op), ==,
                    VFIO_EEH_PE_STATE_NORMAL);
    op.op = VFIO_EEH_PE_INJECT_ERR;
    g_assert_cmpint(IOC(t.container, VFIO_EEH_PE_OP, &op), ==, 0);
    g_assert_cmphex(test_bar0_read32(t.device, EDU_REG_ID), ==, 0xffffffff);
    op.op = VFIO_EEH_PE_GET_STATE;
    g_assert_cmpint(ioctl(t.container, VFIO_EEH_PE_OP, &op), ==,
                    VFIO_EEH_PE_STATE_STOPPED);
    op.op = VFIO_EEH_PE_RESET_HOT;
    g_assert_cmpint(IOC(t.container, VFIO_EEH_PE_OP, &op), ==, 0);
    op.op = VFIO_EEH_PE_RESET_DEACTIVATE;
    g_assert_cmpint(IOC(t.container, VFIO_EEH_PE_OP, &op), ==, 0);
    op.op = VFIO_EEH_PE_CONFIGURE;
    g_assert_cmpint(IOC(t.container, VFIO_EEH_PE_OP, &op), ==, 0);
    g_assert_cmphex(test_bar0_read32(t.device, EDU_REG_ID), ==, 0x010000ed);
    op.op = 99;
    g_assert_cmpint(IOC(t.container, VFIO_EEH_PE_OP, &op), ==, -EINVAL);
    op.op = VFIO_EEH_PE_GET_STATE;
    op.flags = 1;
    g_assert_cmpint(IOC(t.container, VFIO_EEH_PE_OP, &op), ==, -EINVAL);
    test_group_down(&t);
}

/* EEH acts on every group of the container, not on the first only. */
static void test_spapr_eeh_groups(void)
{
    struct vfio_eeh_pe_op op = { .argsz = sizeof(op) };
    int g3 = open("/dev/vfio/3", O_RDWR | O_CLOEXEC);
    g_autofree char *thaw = NULL;
    TestGroup t;

    test_group_up(&t, 1, VFIO_SPAPR_TCE_v2_IOMMU);
    g_assert_cmpint(g3, >=, 0);
    g_assert_cmpint(IOC(g3, VFIO_GROUP_SET_CONTAINER, &t.container), ==, 0);
    op.op = VFIO_EEH_PE_INJECT_ERR;
    g_assert_cmpint(IOC(t.container, VFIO_EEH_PE_OP, &op), ==, 0);
    /* group 1 thawed behind EEH's back: group 3 is still stopped */
    thaw = test_state_command("thaw 1");
    g_assert_cmpstr(thaw, ==, "ok");
    op.op = VFIO_EEH_PE_GET_STATE;
    g_assert_cmpint(ioctl(t.container, VFIO_EEH_PE_OP, &op), ==,
                    VFIO_EEH_PE_STATE_STOPPED);
    op.op = VFIO_EEH_PE_UNFREEZE_IO;
    g_assert_cmpint(IOC(t.container, VFIO_EEH_PE_OP, &op), ==, 0);
    op.op = VFIO_EEH_PE_GET_STATE;
    g_assert_cmpint(ioctl(t.container, VFIO_EEH_PE_OP, &op), ==,
                    VFIO_EEH_PE_STATE_NORMAL);
    close(g3);
    test_group_down(&t);
}

/* v1: one group per container, ENABLE charges the 32-bit window. */
static void test_spapr_v1(void)
{
    struct vfio_iommu_spapr_tce_info info = { .argsz = sizeof(info) };
    uint8_t *mem = test_alloc_pages(MEM_SIZE);
    TestGroup t;
    int g2 = open("/dev/vfio/2", O_RDWR | O_CLOEXEC);

    test_group_up(&t, 1, VFIO_SPAPR_TCE_IOMMU);
    g_assert_cmpint(IOC(t.container, VFIO_IOMMU_SPAPR_TCE_GET_INFO, &info),
                    ==, 0);
    g_assert_false(info.flags & VFIO_IOMMU_SPAPR_INFO_DDW);
    g_assert_cmpint(IOC(g2, VFIO_GROUP_SET_CONTAINER, &t.container), ==,
                    -EBUSY);
    g_assert_cmpint(prereg(t.container, VFIO_IOMMU_SPAPR_REGISTER_MEMORY,
                           mem, MEM_SIZE), ==, -ENOTTY);
    g_assert_cmpint(map(t.container, 0, mem, 4096, RW), ==, -EPERM);
    g_assert_cmpint(IOC(t.container, VFIO_IOMMU_ENABLE, NULL), ==, 0);
    g_assert_cmpint(IOC(t.container, VFIO_IOMMU_ENABLE, NULL), ==, -EBUSY);
    g_assert_cmpint(test_state_u64("locked-bytes"), ==, 2LL << 30);
    g_assert_cmpint(map(t.container, 0, mem, 4096, RW), ==, 0);
    g_assert_cmpint(IOC(t.container, VFIO_IOMMU_DISABLE, NULL), ==, 0);
    test_group_down(&t);
    close(g2);
    munmap(mem, MEM_SIZE);
}

void test_spapr_register(void)
{
    g_test_add_func("/vfio-fake/spapr/windows", test_spapr_windows);
    g_test_add_func("/vfio-fake/spapr/dma", test_spapr_dma);
    g_test_add_func("/vfio-fake/spapr/eeh", test_spapr_eeh);
    g_test_add_func("/vfio-fake/spapr/eeh-groups", test_spapr_eeh_groups);
    g_test_add_func("/vfio-fake/spapr/v1", test_spapr_v1);
}
