/*
 * Memory regions and address spaces.
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "system/memory.h"

#include <sys/mman.h>

void memory_region_init(MemoryRegion *mr, const char *name, uint64_t size)
{
    memset(mr, 0, sizeof(*mr));
    mr->name = g_strdup(name);
    mr->size = size;
    mr->ram_fd = -1;
    mr->subregions = g_ptr_array_new();
}

void memory_region_init_io(MemoryRegion *mr, const char *name, const MemoryRegionOps *ops,
                           void *opaque, uint64_t size)
{
    memory_region_init(mr, name, size);
    mr->ops = ops;
    mr->opaque = opaque;
}

gboolean memory_region_init_ram_memfd(MemoryRegion *mr, const char *name, uint64_t size,
                                      GError **errp)
{
    int fd;
    void *p;

    memory_region_init(mr, name, size);
    fd = memfd_create(name, MFD_CLOEXEC);
    if (fd < 0) {
        error_setg_errno(errp, errno, "cannot create memfd for '%s'", name);
        return FALSE;
    }
    if (ftruncate(fd, size) < 0) {
        error_setg_errno(errp, errno, "cannot size memfd for '%s' to %" PRIu64 " bytes",
                         name, size);
        close(fd);
        return FALSE;
    }
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        error_setg_errno(errp, errno, "cannot map %" PRIu64 " bytes of '%s'", size, name);
        close(fd);
        return FALSE;
    }
    mr->ram = p;
    mr->ram_fd = fd;
    return TRUE;
}

void memory_region_finalize(MemoryRegion *mr)
{
    if (mr->container) {
        memory_region_del_subregion(mr->container, mr);
    }
    if (mr->subregions) {
        for (guint i = 0; i < mr->subregions->len; i++) {
            MemoryRegion *sub = g_ptr_array_index(mr->subregions, i);
            sub->container = NULL;
        }
        g_clear_pointer(&mr->subregions, g_ptr_array_unref);
    }
    if (mr->ram) {
        munmap(mr->ram, mr->size);
        mr->ram = NULL;
    }
    if (mr->ram_fd >= 0) {
        close(mr->ram_fd);
        mr->ram_fd = -1;
    }
    g_clear_pointer(&mr->name, g_free);
}

void memory_region_add_subregion(MemoryRegion *mr, hwaddr offset, MemoryRegion *sub,
                                 int priority)
{
    guint i;

    g_assert(!sub->container);
    sub->container = mr;
    sub->addr = offset;
    sub->priority = priority;
    for (i = 0; i < mr->subregions->len; i++) {
        MemoryRegion *other = g_ptr_array_index(mr->subregions, i);
        if (other->priority < priority) {
            break;
        }
    }
    g_ptr_array_insert(mr->subregions, i, sub);
}

void memory_region_del_subregion(MemoryRegion *mr, MemoryRegion *sub)
{
    g_assert(sub->container == mr);
    g_ptr_array_remove(mr->subregions, sub);
    sub->container = NULL;
}

AddressSpace *address_space_new(const char *name, MemoryRegion *root)
{
    AddressSpace *as = g_new0(AddressSpace, 1);

    as->name = g_strdup(name);
    as->root = root;
    return as;
}

void address_space_free(AddressSpace *as)
{
    if (as) {
        g_free(as->name);
        g_free(as);
    }
}

/*
 * Find the leaf region that decodes @addr (relative to @mr).  Returns NULL
 * for unassigned; *offset is the address inside the leaf.  *avail is how
 * many bytes from there resolve the same way: they belong to the same leaf
 * (or are unassigned) without being shadowed by a higher-priority
 * subregion, at this level or any below.
 */
static MemoryRegion *resolve(MemoryRegion *mr, hwaddr addr, hwaddr *offset, uint64_t *avail)
{
    uint64_t limit = mr->size - addr;   /* bytes to the end of @mr */

    for (guint i = 0; mr->subregions && i < mr->subregions->len; i++) {
        MemoryRegion *sub = g_ptr_array_index(mr->subregions, i);
        if (addr >= sub->addr && addr - sub->addr < sub->size) {
            uint64_t sub_avail;
            MemoryRegion *leaf = resolve(sub, addr - sub->addr, offset, &sub_avail);
            if (leaf) {
                *avail = MIN(limit, sub_avail);
                return leaf;
            }
            /* a container with a hole here: lower priorities may decode it, up to its end */
            limit = MIN(limit, sub_avail);
        } else if (sub->addr > addr && sub->addr - addr < limit) {
            /* a subregion starting later truncates what we can claim */
            limit = sub->addr - addr;
        }
    }
    *avail = limit;
    if (mr->ram || mr->ops) {
        *offset = addr;
        return mr;
    }
    return NULL;
}

static uint64_t ldn(const uint8_t *p, unsigned size, DeviceEndian e)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < size; i++) {
        unsigned shift = e == DEVICE_LITTLE_ENDIAN ? 8 * i : 8 * (size - 1 - i);
        v |= (uint64_t)p[i] << shift;
    }
    return v;
}

static void stn(uint8_t *p, unsigned size, DeviceEndian e, uint64_t v)
{
    for (unsigned i = 0; i < size; i++) {
        unsigned shift = e == DEVICE_LITTLE_ENDIAN ? 8 * i : 8 * (size - 1 - i);
        p[i] = v >> shift;
    }
}

static bool access_size_ok(const MemoryRegionOps *ops, uint64_t len)
{
    unsigned min = ops->min_access_size ? ops->min_access_size : 1;
    unsigned max = ops->max_access_size ? ops->max_access_size : 8;

    return (len == 1 || len == 2 || len == 4 || len == 8) && len >= min && len <= max;
}

static void mmio_access(MemoryRegion *mr, hwaddr off, uint8_t *buf, uint64_t len,
                        bool is_write)
{
    const MemoryRegionOps *ops = mr->ops;

    if (!access_size_ok(ops, len)) {
        /* split into the smallest size the device takes */
        unsigned step = ops->min_access_size ? ops->min_access_size : 1;
        for (uint64_t done = 0; done < len; done += step) {
            uint8_t tmp[8];
            unsigned n = MIN(step, len - done);
            if (!is_write) {
                stn(tmp, step, ops->endianness,
                    ops->read ? ops->read(mr->opaque, off + done, step) : ~0ull);
                memcpy(buf + done, tmp, n);
            } else if (ops->write) {
                memset(tmp, 0, sizeof(tmp));
                memcpy(tmp, buf + done, n);
                ops->write(mr->opaque, off + done, ldn(tmp, step, ops->endianness), step);
            }
        }
        return;
    }
    if (is_write) {
        if (ops->write) {
            ops->write(mr->opaque, off, ldn(buf, len, ops->endianness), len);
        }
    } else {
        stn(buf, len, ops->endianness, ops->read ? ops->read(mr->opaque, off, len) : ~0ull);
    }
}

MemTxResult address_space_rw(AddressSpace *as, hwaddr addr, void *buf, uint64_t len,
                             bool is_write)
{
    uint8_t *p = buf;
    MemTxResult res = MEMTX_OK;

    while (len) {
        hwaddr off = 0;
        uint64_t avail = 0, n;
        MemoryRegion *mr = addr < as->root->size ? resolve(as->root, addr, &off, &avail) : NULL;

        if (!mr) {
            /* unassigned up to the next mapped byte (or the end of the root) */
            n = addr < as->root->size ? MIN(len, avail) : 1;
            if (!is_write) {
                memset(p, 0xff, n);
            }
            res |= MEMTX_DECODE_ERROR;
        } else {
            n = MIN(len, avail);
            if (mr->ram) {
                if (is_write) {
                    memcpy(mr->ram + off, p, n);
                } else {
                    memcpy(p, mr->ram + off, n);
                }
            } else {
                mmio_access(mr, off, p, n, is_write);
            }
        }
        p += n;
        len -= n;
        if (addr + n < addr) {
            /* wrapped past 2^64: the rest is unassigned */
            if (!is_write) {
                memset(p, 0xff, len);
            }
            return len ? res | MEMTX_DECODE_ERROR : res;
        }
        addr += n;
    }
    return res;
}

MemTxResult address_space_ldl_be(AddressSpace *as, hwaddr addr, uint32_t *val)
{
    uint8_t b[4];
    MemTxResult r = address_space_read(as, addr, b, 4);

    *val = (uint32_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
    return r;
}

MemTxResult address_space_stl_be(AddressSpace *as, hwaddr addr, uint32_t val)
{
    uint8_t b[4] = { val >> 24, val >> 16, val >> 8, val };

    return address_space_write(as, addr, b, 4);
}
