/*
 * Unit tests of the fake's Type1 IOMMU (the default x86-like host: a
 * 39-bit aperture with the MSI hole 0xfee00000-0xfeefffff): GET_INFO
 * capabilities, the map/unmap rules, EEH absent, edu DMA.
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "test-vfio-fake-util.h"

#define MEM_SIZE    (1 << 20)
#define RW          (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

static int map(int c, uint64_t iova, void *vaddr, uint64_t size,
               uint32_t flags)
{
    struct vfio_iommu_type1_dma_map m = {
        .argsz = sizeof(m), .flags = flags, .iova = iova,
        .vaddr = (uintptr_t)vaddr, .size = size,
    };

    return IOC(c, VFIO_IOMMU_MAP_DMA, &m);
}

/* UNMAP_DMA: 0 or -errno; *@size what was unmapped. */
static int unmap(int c, uint64_t iova, uint64_t *size, uint32_t flags)
{
    struct vfio_iommu_type1_dma_unmap u = {
        .argsz = sizeof(u), .iova = iova, .size = *size, .flags = flags,
    };
    int ret = IOC(c, VFIO_IOMMU_UNMAP_DMA, &u);

    *size = u.size;
    return ret;
}

static void test_type1_info(void)
{
    struct vfio_iommu_type1_info *info = g_malloc0(4096);
    struct vfio_info_cap_header *hdr;
    struct vfio_iommu_type1_info_cap_iova_range *range = NULL;
    struct vfio_iommu_type1_info_dma_avail *avail = NULL;
    TestGroup t;

    test_group_up(&t, 1, VFIO_TYPE1v2_IOMMU);
    /* too small for the chain: the size needed comes back */
    info->argsz = sizeof(*info);
    g_assert_cmpint(IOC(t.container, VFIO_IOMMU_GET_INFO, info), ==, 0);
    g_assert_cmpuint(info->argsz, >, sizeof(*info));
    g_assert_cmphex(info->iova_pgsizes, ==, 0x40201000);
    info->argsz = 4096;
    g_assert_cmpint(IOC(t.container, VFIO_IOMMU_GET_INFO, info), ==, 0);
    g_assert_true(info->flags & VFIO_IOMMU_INFO_CAPS);
    for (uint32_t off = info->cap_offset; off; off = hdr->next) {
        hdr = (void *)((char *)info + off);
        if (hdr->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
            range = (void *)hdr;
        } else if (hdr->id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL) {
            avail = (void *)hdr;
        }
    }
    g_assert_nonnull(range);
    g_assert_nonnull(avail);
    g_assert_cmpuint(range->nr_iovas, ==, 2);
    g_assert_cmphex(range->iova_ranges[0].start, ==, 0);
    g_assert_cmphex(range->iova_ranges[0].end, ==, 0xfedfffff);
    g_assert_cmphex(range->iova_ranges[1].start, ==, 0xfef00000);
    g_assert_cmphex(range->iova_ranges[1].end, ==, (1ULL << 39) - 1);
    g_assert_cmpuint(avail->avail, ==, 65535);
    /*
     * sPAPR-only ioctls, EEH included, are not Type1's (the sPAPR
     * GET_INFO shares Type1's number)
     */
    g_assert_cmpint(IOC(t.container, VFIO_IOMMU_SPAPR_TCE_CREATE, info),
                    ==, -ENOTTY);
    g_assert_cmpint(IOC(t.container, VFIO_EEH_PE_OP, info), ==, -ENOTTY);
    g_assert_cmpint(IOC(t.container, VFIO_IOMMU_SPAPR_REGISTER_MEMORY,
                        info), ==, -ENOTTY);
    test_group_down(&t);
    g_free(info);
}

static void test_type1_rules(void)
{
    uint8_t *mem = test_alloc_pages(MEM_SIZE);
    uint64_t size;
    TestGroup t;

    test_group_up(&t, 1, VFIO_TYPE1v2_IOMMU);
    g_assert_cmpint(map(t.container, 0x100000, mem, 0x4000, RW), ==, 0);
    g_assert_cmpint(test_state_u64("locked-bytes"), ==, 0x4000);
    /* overlaps, in whole or part, are refused */
    g_assert_cmpint(map(t.container, 0x100000, mem, 0x4000, RW), ==,
                    -EEXIST);
    g_assert_cmpint(map(t.container, 0xff000, mem, 0x2000, RW), ==,
                    -EEXIST);
    g_assert_cmpint(map(t.container, 0x103000, mem, 0x1000, RW), ==,
                    -EEXIST);
    /* alignment, permissions, the aperture and the MSI hole */
    g_assert_cmpint(map(t.container, 0x200800, mem, 0x1000, RW), ==,
                    -EINVAL);
    g_assert_cmpint(map(t.container, 0x200000, mem, 0x1000, 0), ==,
                    -EINVAL);
    g_assert_cmpint(map(t.container, 0xfee00000, mem, 0x1000, RW), ==,
                    -EINVAL);
    g_assert_cmpint(map(t.container, 0xfedff000, mem, 0x2000, RW), ==,
                    -EINVAL);
    g_assert_cmpint(map(t.container, 1ULL << 39, mem, 0x1000, RW), ==,
                    -EINVAL);
    g_assert_cmpint(map(t.container, 1ULL << 59, mem, 0x1000, RW), ==,
                    -EINVAL);
    g_assert_cmpint(map(t.container, 0xfef00000, mem, 0x1000, RW), ==, 0);
    /* memory that is not mapped cannot be pinned */
    g_assert_cmpint(map(t.container, 0x300000, NULL, 0x1000, RW), ==,
                    -EFAULT);

    /* v2: no unmap splits a mapping */
    size = 0x1000;
    g_assert_cmpint(unmap(t.container, 0x101000, &size, 0), ==, -EINVAL);
    size = 0x2000;
    g_assert_cmpint(unmap(t.container, 0x100000, &size, 0), ==, -EINVAL);
    size = 0x4000;
    g_assert_cmpint(unmap(t.container, 0x100000, &size, 0), ==, 0);
    g_assert_cmphex(size, ==, 0x4000);
    /* an empty range unmaps nothing, successfully */
    size = 0x4000;
    g_assert_cmpint(unmap(t.container, 0x100000, &size, 0), ==, 0);
    g_assert_cmphex(size, ==, 0);
    /* all at once */
    g_assert_cmpint(map(t.container, 0x0, mem, 0x1000, RW), ==, 0);
    size = 0;
    g_assert_cmpint(unmap(t.container, 0, &size, VFIO_DMA_UNMAP_FLAG_ALL),
                    ==, 0);
    g_assert_cmphex(size, ==, 0x2000);
    g_assert_cmpint(test_state_u64("locked-bytes"), ==, 0);
    g_assert_cmpint(test_state_u64("containers/*/map-calls"), ==, 13);
    test_group_down(&t);
    munmap(mem, MEM_SIZE);
}

/* v1 unmaps whole mappings starting inside the range. */
static void test_type1_v1(void)
{
    uint8_t *mem = test_alloc_pages(MEM_SIZE);
    uint64_t size;
    TestGroup t;

    test_group_up(&t, 1, VFIO_TYPE1_IOMMU);
    g_assert_cmpint(map(t.container, 0x10000, mem, 0x4000, RW), ==, 0);
    size = 0x1000;
    g_assert_cmpint(unmap(t.container, 0x10000, &size, 0), ==, 0);
    g_assert_cmphex(size, ==, 0x4000);
    /* a range starting inside a mapping unmaps nothing */
    g_assert_cmpint(map(t.container, 0x10000, mem, 0x4000, RW), ==, 0);
    g_assert_cmpint(map(t.container, 0x20000, mem, 0x1000, RW), ==, 0);
    g_assert_cmpint(map(t.container, 0x30000, mem, 0x2000, RW), ==, 0);
    size = 0x30000;
    g_assert_cmpint(unmap(t.container, 0x11000, &size, 0), ==, 0);
    g_assert_cmphex(size, ==, 0);
    /* every mapping starting inside goes, the last one whole */
    size = 0x21000;
    g_assert_cmpint(unmap(t.container, 0x10000, &size, 0), ==, 0);
    g_assert_cmphex(size, ==, 0x7000);
    g_assert_cmpint(test_state_u64("locked-bytes"), ==, 0);
    test_group_down(&t);
    munmap(mem, MEM_SIZE);
}

static void test_type1_dma(void)
{
    uint8_t *mem = test_alloc_pages(MEM_SIZE);
    uint64_t pattern = 0x1122334455667788ULL;
    TestGroup t;

    test_device_up(&t, 1, VFIO_TYPE1v2_IOMMU, "0000:01:00.0");
    g_assert_cmpint(map(t.container, 0x40000000, mem, 0x10000, RW), ==, 0);
    test_enable_master(t.device);
    test_bar0_write64(t.device, EDU_BUF, pattern);
    test_edu_dma(t.device, 0x40008000, 8, true);
    g_assert_cmpmem(mem + 0x8000, 8, &pattern, 8);
    /* past the mapping: fault, nothing written */
    test_edu_dma(t.device, 0x4000fffc, 8, true);
    g_assert_cmpuint(mem[0xfffc], ==, 0);
    g_assert_cmpint(test_device_u64("0000:01:00.0", "dma-faults"), ==, 1);
    g_assert_cmpint(test_device_u64("0000:01:00.0", "dma-ok"), ==, 1);
    test_group_down(&t);
    munmap(mem, MEM_SIZE);
}

/*
 * Memory QEMU mapped but then unmapped or made read-only behind the
 * IOMMU's back: the device's DMA faults, the process does not crash.
 */
static void test_type1_dma_gone(void)
{
    long page = sysconf(_SC_PAGESIZE);
    uint8_t *mem = test_alloc_pages(4 * page);
    uint64_t pattern = 0x1122334455667788ULL;
    int64_t faults, ok;
    TestGroup t;

    test_device_up(&t, 1, VFIO_TYPE1v2_IOMMU, "0000:01:00.0");
    /* the counters live as long as the process */
    faults = test_device_u64("0000:01:00.0", "dma-faults");
    ok = test_device_u64("0000:01:00.0", "dma-ok");
    g_assert_cmpint(map(t.container, 0x40000000, mem, 4 * page, RW), ==, 0);
    test_enable_master(t.device);
    test_bar0_write64(t.device, EDU_BUF, pattern);
    g_assert_cmpint(munmap(mem + page, page), ==, 0);
    g_assert_cmpint(mprotect(mem + 2 * page, page, PROT_READ), ==, 0);
    test_edu_dma(t.device, 0x40000000 + page, 8, true);
    test_edu_dma(t.device, 0x40000000 + page, 8, false);
    test_edu_dma(t.device, 0x40000000 + 2 * page, 8, true);
    g_assert_cmpuint(mem[2 * page], ==, 0);
    g_assert_cmpint(test_device_u64("0000:01:00.0", "dma-faults"), ==,
                    faults + 3);
    g_assert_cmpint(test_device_u64("0000:01:00.0", "dma-ok"), ==, ok);
    /* what is still there works as before */
    test_edu_dma(t.device, 0x40000000 + 3 * page, 8, true);
    g_assert_cmpmem(mem + 3 * page, 8, &pattern, 8);
    test_edu_dma(t.device, 0x40000000 + 2 * page, 8, false);
    g_assert_cmpint(test_device_u64("0000:01:00.0", "dma-ok"), ==, ok + 2);
    test_group_down(&t);
    munmap(mem, 4 * page);
}

/*
 * VFIO_FAKE_TYPE1_PGSIZES=0x20010000, a host IOMMU with 64K and 512M
 * pages (an Arm SMMU with a 64K granule): GET_INFO says so, and MAP and
 * UNMAP take only multiples of 64K, as the kernel's Type1 does.
 */
static void test_type1_64k(void)
{
    struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
    uint8_t *raw = test_alloc_pages(4 << 16);
    /* a 64K-aligned buffer of 128K */
    uint8_t *mem = (uint8_t *)(((uintptr_t)raw + 0xffff) & ~0xffffUL);
    uint64_t size;
    TestGroup t;

    test_group_up(&t, 1, VFIO_TYPE1v2_IOMMU);
    g_assert_cmpint(IOC(t.container, VFIO_IOMMU_GET_INFO, &info), ==, 0);
    g_assert_true(info.flags & VFIO_IOMMU_INFO_PGSIZES);
    g_assert_cmphex(info.iova_pgsizes, ==, 0x20010000);

    /* a 4K page is no longer a page: IOVA, vaddr and size */
    g_assert_cmpint(map(t.container, 0x101000, mem, 0x10000, RW), ==,
                    -EINVAL);
    g_assert_cmpint(map(t.container, 0x100000, mem + 0x1000, 0x10000, RW),
                    ==, -EINVAL);
    g_assert_cmpint(map(t.container, 0x100000, mem, 0x1000, RW), ==,
                    -EINVAL);
    g_assert_cmpint(map(t.container, 0x100000, mem, 0x11000, RW), ==,
                    -EINVAL);
    g_assert_cmpint(test_state_u64("containers/*/map-errors"), ==, 4);
    /* 64K and its multiples */
    g_assert_cmpint(map(t.container, 0x100000, mem, 0x10000, RW), ==, 0);
    g_assert_cmpint(map(t.container, 0x200000, mem, 0x20000, RW), ==, 0);
    g_assert_cmpint(test_state_u64("containers/*/mappings/iova=2097152/size"),
                    ==, 0x20000);

    /* UNMAP the same: 64K-aligned IOVA and size */
    size = 0x10000;
    g_assert_cmpint(unmap(t.container, 0x101000, &size, 0), ==, -EINVAL);
    size = 0x1000;
    g_assert_cmpint(unmap(t.container, 0x100000, &size, 0), ==, -EINVAL);
    size = 0x10000;
    g_assert_cmpint(unmap(t.container, 0x100000, &size, 0), ==, 0);
    g_assert_cmphex(size, ==, 0x10000);
    size = 0x20000;
    g_assert_cmpint(unmap(t.container, 0x200000, &size, 0), ==, 0);
    g_assert_cmphex(size, ==, 0x20000);
    g_assert_cmpint(test_state_u64("locked-bytes"), ==, 0);
    test_group_down(&t);
    munmap(raw, 4 << 16);
}

/*
 * VFIO_FAKE_TYPE1_NO_CAPS=1, a kernel before 5.4: GET_INFO has the page
 * sizes and nothing else, whatever room the caller gives it, and the
 * caller's buffer past the fields it knows is left alone.
 */
static void test_type1_no_caps(void)
{
    struct vfio_iommu_type1_info *info = g_malloc(4096);
    uint8_t *raw = test_alloc_pages(1 << 20);
    uint8_t *mem = (uint8_t *)(((uintptr_t)raw + 0xffff) & ~0xffffUL);
    TestGroup t;

    test_group_up(&t, 1, VFIO_TYPE1v2_IOMMU);
    memset(info, 0x5a, 4096);
    info->argsz = 4096;
    info->flags = 0;
    g_assert_cmpint(IOC(t.container, VFIO_IOMMU_GET_INFO, info), ==, 0);
    g_assert_cmpuint(info->argsz, ==, 4096);
    g_assert_cmphex(info->flags, ==, VFIO_IOMMU_INFO_PGSIZES);
    g_assert_cmphex(info->iova_pgsizes, ==, 0x20010000);
    g_assert_cmphex(((uint8_t *)info)[offsetof(struct vfio_iommu_type1_info,
                                                cap_offset)], ==, 0x5a);
    /* the IOMMU is the same: 64K pages, the MSI window still refused */
    g_assert_cmpint(map(t.container, 0xfee00000, mem, 0x10000, RW), ==,
                    -EINVAL);
    g_assert_cmpint(map(t.container, 0x100000, mem, 0x10000, RW), ==, 0);
    test_group_down(&t);
    munmap(raw, 1 << 20);
    g_free(info);
}

void test_type1_host_register(void)
{
    g_test_add_func("/vfio-fake/type1/64k-pages", test_type1_64k);
    g_test_add_func("/vfio-fake/type1/no-caps", test_type1_no_caps);
}

void test_type1_register(void)
{
    g_test_add_func("/vfio-fake/type1/info", test_type1_info);
    g_test_add_func("/vfio-fake/type1/rules", test_type1_rules);
    g_test_add_func("/vfio-fake/type1/v1", test_type1_v1);
    g_test_add_func("/vfio-fake/type1/dma", test_type1_dma);
    g_test_add_func("/vfio-fake/type1/dma-gone", test_type1_dma_gone);
}
