/*
 * Memory regions and address spaces (system/memory.c).
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "system/memory.h"

#define RAM_SIZE 0x10000

/* An MMIO device that logs its accesses and answers reads from a pattern. */
typedef struct Dev {
    GString *log;              /* "r OFF SIZE;" / "w OFF SIZE VAL;" */
    uint64_t read_val;         /* value returned by every read */
} Dev;

static uint64_t dev_read(void *opaque, hwaddr addr, unsigned size)
{
    Dev *d = opaque;

    g_string_append_printf(d->log, "r %" PRIx64 " %u;", addr, size);
    return d->read_val & (size == 8 ? UINT64_MAX : (1ull << (8 * size)) - 1);
}

static void dev_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    Dev *d = opaque;

    g_string_append_printf(d->log, "w %" PRIx64 " %u %" PRIx64 ";", addr, size, val);
}

static const MemoryRegionOps be_ops = {
    .read = dev_read, .write = dev_write, .endianness = DEVICE_BIG_ENDIAN,
};
static const MemoryRegionOps le_ops = {
    .read = dev_read, .write = dev_write, .endianness = DEVICE_LITTLE_ENDIAN,
};
static const MemoryRegionOps be_bytes_ops = {
    .read = dev_read, .write = dev_write, .endianness = DEVICE_BIG_ENDIAN,
    .max_access_size = 1,
};
static const MemoryRegionOps le_word_ops = {
    .read = dev_read, .write = dev_write, .endianness = DEVICE_LITTLE_ENDIAN,
    .min_access_size = 4, .max_access_size = 4,
};
static const MemoryRegionOps be_word_ops = {
    .read = dev_read, .write = dev_write, .endianness = DEVICE_BIG_ENDIAN,
    .min_access_size = 4, .max_access_size = 4,
};
static const MemoryRegionOps no_callbacks_ops = {
    .endianness = DEVICE_BIG_ENDIAN,
};

typedef struct Fixture {
    MemoryRegion root;
    MemoryRegion ram;
    AddressSpace *as;
    Dev dev;
    MemoryRegion mmio;
    bool mmio_init;
} Fixture;

/* A 2^64-1 byte root (as the machine's) with RAM_SIZE bytes of RAM at 0. */
static void fixture_setup(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) err = NULL;

    memory_region_init(&f->root, "system", UINT64_MAX);
    g_assert_true(memory_region_init_ram_memfd(&f->ram, "ram", RAM_SIZE, &err));
    g_assert_no_error(err);
    g_assert_cmpint(f->ram.ram_fd, >=, 0);
    memory_region_add_subregion(&f->root, 0, &f->ram, 0);
    for (unsigned i = 0; i < RAM_SIZE; i++) {
        f->ram.ram[i] = i & 0xff;
    }
    f->as = address_space_new("memory", &f->root);
    f->dev.log = g_string_new(NULL);
    f->dev.read_val = 0x1122334455667788ull;
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    if (f->mmio_init) {
        memory_region_finalize(&f->mmio);
    }
    memory_region_finalize(&f->ram);
    memory_region_finalize(&f->root);
    address_space_free(f->as);
    g_string_free(f->dev.log, TRUE);
}

static void map_mmio(Fixture *f, MemoryRegion *parent, const MemoryRegionOps *ops, hwaddr addr,
                     uint64_t size, int priority)
{
    memory_region_init_io(&f->mmio, "mmio", ops, &f->dev, size);
    f->mmio_init = true;
    memory_region_add_subregion(parent, addr, &f->mmio, priority);
}

/* The device log since the last call, which is cleared. */
static void assert_log(Fixture *f, const char *expect)
{
    g_assert_cmpstr(f->dev.log->str, ==, expect);
    g_string_truncate(f->dev.log, 0);
}

static void assert_bytes(const uint8_t *got, const uint8_t *expect, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (got[i] != expect[i]) {
            g_error("byte %zu: 0x%02x, expected 0x%02x", i, got[i], expect[i]);
        }
    }
}

static void test_ram_rw(Fixture *f, gconstpointer data)
{
    uint8_t in[5] = { 0xde, 0xad, 0xbe, 0xef, 0x42 }, out[5];

    g_assert_cmpint(address_space_write(f->as, 0x1001, in, 5), ==, MEMTX_OK);
    assert_bytes(f->ram.ram + 0x1001, in, 5);
    g_assert_cmpuint(f->ram.ram[0x1000], ==, 0x00);
    g_assert_cmpuint(f->ram.ram[0x1006], ==, 0x06);
    g_assert_cmpint(address_space_read(f->as, 0x1001, out, 5), ==, MEMTX_OK);
    assert_bytes(out, in, 5);
    /* zero length is a no-op */
    g_assert_cmpint(address_space_read(f->as, 0x1001, out, 0), ==, MEMTX_OK);
}

static void test_ram_is_memfd(Fixture *f, gconstpointer data)
{
    uint8_t b = 0;

    /* the memfd is the RAM: another mapping sees the same bytes */
    g_assert_cmpint(pwrite(f->ram.ram_fd, "\x5a", 1, 0x20), ==, 1);
    g_assert_cmpint(address_space_read(f->as, 0x20, &b, 1), ==, MEMTX_OK);
    g_assert_cmphex(b, ==, 0x5a);
    b = 0xa5;
    g_assert_cmpint(address_space_write(f->as, 0x21, &b, 1), ==, MEMTX_OK);
    b = 0;
    g_assert_cmpint(pread(f->ram.ram_fd, &b, 1, 0x21), ==, 1);
    g_assert_cmphex(b, ==, 0xa5);
}

static void test_unassigned(Fixture *f, gconstpointer data)
{
    uint8_t buf[16];
    static const uint8_t ones[16] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    };

    memset(buf, 0, sizeof(buf));
    g_assert_cmpint(address_space_read(f->as, 0x7000000000000000ull, buf, 16), ==,
                    MEMTX_DECODE_ERROR);
    assert_bytes(buf, ones, 16);
    /* writes are swallowed */
    memset(buf, 0, sizeof(buf));
    g_assert_cmpint(address_space_write(f->as, 0x7000000000000000ull, buf, 16), ==,
                    MEMTX_DECODE_ERROR);
    g_assert_cmpint(address_space_read(f->as, 0x7000000000000000ull, buf, 16), ==,
                    MEMTX_DECODE_ERROR);
    assert_bytes(buf, ones, 16);
    /* the last byte of the root, and beyond it */
    buf[0] = 0;
    g_assert_cmpint(address_space_read(f->as, UINT64_MAX - 1, buf, 1), ==, MEMTX_DECODE_ERROR);
    g_assert_cmphex(buf[0], ==, 0xff);
    buf[0] = 0;
    g_assert_cmpint(address_space_read(f->as, UINT64_MAX, buf, 1), ==, MEMTX_DECODE_ERROR);
    g_assert_cmphex(buf[0], ==, 0xff);
}

static void test_straddle_ram_end(Fixture *f, gconstpointer data)
{
    uint8_t in[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, out[8];
    static const uint8_t expect[8] = { 1, 2, 3, 4, 0xff, 0xff, 0xff, 0xff };

    g_assert_cmpint(address_space_write(f->as, RAM_SIZE - 4, in, 8), ==, MEMTX_DECODE_ERROR);
    assert_bytes(f->ram.ram + RAM_SIZE - 4, in, 4);
    g_assert_cmpint(address_space_read(f->as, RAM_SIZE - 4, out, 8), ==, MEMTX_DECODE_ERROR);
    assert_bytes(out, expect, 8);
    /* and the other way round: unassigned below RAM is impossible at 0, so move RAM */
    memory_region_del_subregion(&f->root, &f->ram);
    memory_region_add_subregion(&f->root, 0x100000, &f->ram, 0);
    memset(out, 0, sizeof(out));
    g_assert_cmpint(address_space_read(f->as, 0x100000 - 2, out, 4), ==, MEMTX_DECODE_ERROR);
    g_assert_cmphex(out[0], ==, 0xff);
    g_assert_cmphex(out[1], ==, 0xff);
    g_assert_cmphex(out[2], ==, 0x00);
    g_assert_cmphex(out[3], ==, 0x01);
}

static void test_mmio_big_endian(Fixture *f, gconstpointer data)
{
    uint8_t in[8] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 }, out[8];
    static const uint8_t r8[8] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };
    static const uint8_t r4[4] = { 0x55, 0x66, 0x77, 0x88 };

    map_mmio(f, &f->root, &be_ops, 0x20000, 0x100, 0);
    g_assert_cmpint(address_space_write(f->as, 0x20010, in, 4), ==, MEMTX_OK);
    assert_log(f, "w 10 4 11223344;");
    g_assert_cmpint(address_space_write(f->as, 0x20018, in, 8), ==, MEMTX_OK);
    assert_log(f, "w 18 8 1122334455667788;");
    g_assert_cmpint(address_space_write(f->as, 0x20001, in, 2), ==, MEMTX_OK);
    assert_log(f, "w 1 2 1122;");
    g_assert_cmpint(address_space_write(f->as, 0x20002, in, 1), ==, MEMTX_OK);
    assert_log(f, "w 2 1 11;");

    g_assert_cmpint(address_space_read(f->as, 0x20020, out, 8), ==, MEMTX_OK);
    assert_log(f, "r 20 8;");
    assert_bytes(out, r8, 8);
    g_assert_cmpint(address_space_read(f->as, 0x20024, out, 4), ==, MEMTX_OK);
    assert_log(f, "r 24 4;");
    assert_bytes(out, r4, 4);
}

static void test_mmio_little_endian(Fixture *f, gconstpointer data)
{
    uint8_t in[8] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 }, out[8];
    static const uint8_t r8[8] = { 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11 };
    static const uint8_t r2[2] = { 0x88, 0x77 };

    map_mmio(f, &f->root, &le_ops, 0x20000, 0x100, 0);
    g_assert_cmpint(address_space_write(f->as, 0x20010, in, 4), ==, MEMTX_OK);
    assert_log(f, "w 10 4 44332211;");
    g_assert_cmpint(address_space_write(f->as, 0x20018, in, 8), ==, MEMTX_OK);
    assert_log(f, "w 18 8 8877665544332211;");
    g_assert_cmpint(address_space_read(f->as, 0x20020, out, 8), ==, MEMTX_OK);
    assert_log(f, "r 20 8;");
    assert_bytes(out, r8, 8);
    g_assert_cmpint(address_space_read(f->as, 0x20002, out, 2), ==, MEMTX_OK);
    assert_log(f, "r 2 2;");
    assert_bytes(out, r2, 2);

    /* the 32-bit helpers are big-endian whatever the device */
    {
        uint32_t v = 0;
        g_assert_cmpint(address_space_stl_be(f->as, 0x20030, 0xa1b2c3d4), ==, MEMTX_OK);
        assert_log(f, "w 30 4 d4c3b2a1;");
        g_assert_cmpint(address_space_ldl_be(f->as, 0x20030, &v), ==, MEMTX_OK);
        assert_log(f, "r 30 4;");
        g_assert_cmphex(v, ==, 0x88776655);
    }
}

static void test_ldl_stl_be_ram(Fixture *f, gconstpointer data)
{
    uint32_t v = 0;

    g_assert_cmpint(address_space_stl_be(f->as, 0x40, 0x01020304), ==, MEMTX_OK);
    g_assert_cmphex(f->ram.ram[0x40], ==, 0x01);
    g_assert_cmphex(f->ram.ram[0x43], ==, 0x04);
    g_assert_cmpint(address_space_ldl_be(f->as, 0x40, &v), ==, MEMTX_OK);
    g_assert_cmphex(v, ==, 0x01020304);
    g_assert_cmpint(address_space_ldl_be(f->as, 0x7000000000000000ull, &v), ==,
                    MEMTX_DECODE_ERROR);
    g_assert_cmphex(v, ==, 0xffffffff);
}

static void test_mmio_split_bytes(Fixture *f, gconstpointer data)
{
    uint8_t in[4] = { 0xa1, 0xb2, 0xc3, 0xd4 }, out[4];
    static const uint8_t r4[4] = { 0x88, 0x88, 0x88, 0x88 };

    /* a device taking only bytes gets a 4-byte access as 4 byte accesses */
    map_mmio(f, &f->root, &be_bytes_ops, 0x20000, 0x100, 0);
    g_assert_cmpint(address_space_write(f->as, 0x20004, in, 4), ==, MEMTX_OK);
    assert_log(f, "w 4 1 a1;w 5 1 b2;w 6 1 c3;w 7 1 d4;");
    g_assert_cmpint(address_space_read(f->as, 0x20008, out, 4), ==, MEMTX_OK);
    assert_log(f, "r 8 1;r 9 1;r a 1;r b 1;");
    assert_bytes(out, r4, 4);
}

static void test_mmio_split_words(Fixture *f, gconstpointer data)
{
    uint8_t in[8] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 }, out[8];
    static const uint8_t r8[8] = { 0x88, 0x77, 0x66, 0x55, 0x88, 0x77, 0x66, 0x55 };
    static const uint8_t r2[2] = { 0x88, 0x77 };
    static const uint8_t r3[3] = { 0x55, 0x66, 0x77 };

    map_mmio(f, &f->root, &le_word_ops, 0x20000, 0x100, 0);
    /* 8 bytes to a 4-byte device: two words, each little-endian */
    g_assert_cmpint(address_space_write(f->as, 0x20010, in, 8), ==, MEMTX_OK);
    assert_log(f, "w 10 4 44332211;w 14 4 88776655;");
    g_assert_cmpint(address_space_read(f->as, 0x20010, out, 8), ==, MEMTX_OK);
    assert_log(f, "r 10 4;r 14 4;");
    assert_bytes(out, r8, 8);
    /* smaller than the minimum: one word, of which the first bytes are used */
    g_assert_cmpint(address_space_read(f->as, 0x20020, out, 2), ==, MEMTX_OK);
    assert_log(f, "r 20 4;");
    assert_bytes(out, r2, 2);
    g_assert_cmpint(address_space_write(f->as, 0x20020, in, 2), ==, MEMTX_OK);
    assert_log(f, "w 20 4 2211;");
    memory_region_del_subregion(&f->root, &f->mmio);
    memory_region_finalize(&f->mmio);
    f->mmio_init = false;

    /* big-endian: the bytes come from the top of the word; 3 bytes is split too */
    map_mmio(f, &f->root, &be_word_ops, 0x20000, 0x100, 0);
    g_assert_cmpint(address_space_read(f->as, 0x20020, out, 3), ==, MEMTX_OK);
    assert_log(f, "r 20 4;");
    assert_bytes(out, r3, 3);
    g_assert_cmpint(address_space_write(f->as, 0x20020, in, 2), ==, MEMTX_OK);
    assert_log(f, "w 20 4 11220000;");
}

static void test_mmio_no_callbacks(Fixture *f, gconstpointer data)
{
    uint8_t buf[4] = { 0 };

    map_mmio(f, &f->root, &no_callbacks_ops, 0x20000, 0x100, 0);
    g_assert_cmpint(address_space_write(f->as, 0x20000, buf, 4), ==, MEMTX_OK);
    g_assert_cmpint(address_space_read(f->as, 0x20000, buf, 4), ==, MEMTX_OK);
    g_assert_cmphex(buf[0] & buf[1] & buf[2] & buf[3], ==, 0xff);
    assert_log(f, "");
}

static void test_priority(Fixture *f, gconstpointer data)
{
    uint8_t in[16], out[16];

    memset(in, 0xee, sizeof(in));
    /* MMIO over RAM at a higher priority shadows it */
    map_mmio(f, &f->root, &be_ops, 0x1000, 0x10, 1);
    g_assert_cmpint(address_space_read(f->as, 0x1000, out, 4), ==, MEMTX_OK);
    assert_log(f, "r 0 4;");
    g_assert_cmphex(out[0], ==, 0x55);
    g_assert_cmpint(address_space_write(f->as, 0x1004, in, 4), ==, MEMTX_OK);
    assert_log(f, "w 4 4 eeeeeeee;");
    g_assert_cmphex(f->ram.ram[0x1004], ==, 0x04);

    /* an access that runs into the window: RAM up to it, then the device */
    g_assert_cmpint(address_space_write(f->as, 0xff8, in, 16), ==, MEMTX_OK);
    assert_log(f, "w 0 8 eeeeeeeeeeeeeeee;");
    g_assert_cmphex(f->ram.ram[0xff8], ==, 0xee);
    g_assert_cmphex(f->ram.ram[0xfff], ==, 0xee);
    g_assert_cmphex(f->ram.ram[0x1000], ==, 0x00);
    g_assert_cmphex(f->ram.ram[0x1007], ==, 0x07);
    g_assert_cmpint(address_space_read(f->as, 0xffc, out, 8), ==, MEMTX_OK);
    assert_log(f, "r 0 4;");
    g_assert_cmphex(out[3], ==, 0xee);
    g_assert_cmphex(out[4], ==, 0x55);

    /* and out of it again: the device up to its end, then RAM */
    g_assert_cmpint(address_space_read(f->as, 0x100c, out, 8), ==, MEMTX_OK);
    assert_log(f, "r c 4;");
    g_assert_cmphex(out[0], ==, 0x55);
    g_assert_cmphex(out[4], ==, 0x10);
    g_assert_cmphex(out[7], ==, 0x13);
}

static void test_priority_lower(Fixture *f, gconstpointer data)
{
    uint8_t out[4];

    /* below RAM's priority the device is hidden where RAM is... */
    map_mmio(f, &f->root, &be_ops, RAM_SIZE - 0x10, 0x20, -1);
    g_assert_cmpint(address_space_read(f->as, RAM_SIZE - 0x10, out, 4), ==, MEMTX_OK);
    assert_log(f, "");
    g_assert_cmphex(out[0], ==, 0xf0);
    /* ...and seen where RAM is not */
    g_assert_cmpint(address_space_read(f->as, RAM_SIZE - 2, out, 4), ==, MEMTX_OK);
    assert_log(f, "r 10 2;");
    g_assert_cmphex(out[0], ==, 0xfe);
    g_assert_cmphex(out[1], ==, 0xff);
    g_assert_cmphex(out[2], ==, 0x77);
    g_assert_cmphex(out[3], ==, 0x88);
}

static void test_container_hole(Fixture *f, gconstpointer data)
{
    MemoryRegion c;
    uint8_t out[4];

    /* a high-priority container with a device in part of it; its holes show RAM */
    memory_region_init(&c, "window", 0x2000);
    memory_region_add_subregion(&f->root, 0x4000, &c, 10);
    map_mmio(f, &c, &be_ops, 0x1000, 0x100, 0);
    g_assert_cmpint(address_space_read(f->as, 0x5000, out, 4), ==, MEMTX_OK);
    assert_log(f, "r 0 4;");
    g_assert_cmpint(address_space_read(f->as, 0x4ffe, out, 4), ==, MEMTX_OK);
    assert_log(f, "r 0 2;");
    g_assert_cmphex(out[0], ==, 0xfe);
    g_assert_cmphex(out[1], ==, 0xff);
    g_assert_cmphex(out[2], ==, 0x77);
    g_assert_cmpint(address_space_read(f->as, 0x4100, out, 4), ==, MEMTX_OK);
    assert_log(f, "");
    g_assert_cmphex(out[0], ==, 0x00);
    g_assert_cmphex(out[3], ==, 0x03);
    /* nested offsets: root 0x5010 is container 0x1010 is device 0x10 */
    g_assert_cmpint(address_space_write(f->as, 0x5010, out, 1), ==, MEMTX_OK);
    assert_log(f, "w 10 1 0;");

    memory_region_del_subregion(&f->root, &c);
    g_assert_false(memory_region_is_mapped(&c));
    g_assert_cmpint(address_space_read(f->as, 0x5000, out, 4), ==, MEMTX_OK);
    assert_log(f, "");
    g_assert_cmphex(out[0], ==, 0x00);
    /* finalizing a container unmaps what is in it */
    memory_region_finalize(&c);
    g_assert_false(memory_region_is_mapped(&f->mmio));
}

static void test_del_subregion(Fixture *f, gconstpointer data)
{
    uint8_t out[2];

    map_mmio(f, &f->root, &be_ops, 0x20000, 0x100, 0);
    g_assert_true(memory_region_is_mapped(&f->mmio));
    memory_region_del_subregion(&f->root, &f->mmio);
    g_assert_false(memory_region_is_mapped(&f->mmio));
    g_assert_cmpint(address_space_read(f->as, 0x20000, out, 2), ==, MEMTX_DECODE_ERROR);
    assert_log(f, "");
    g_assert_cmphex(out[0] & out[1], ==, 0xff);
    /* finalize unmaps by itself */
    memory_region_add_subregion(&f->root, 0x30000, &f->mmio, 0);
    memory_region_finalize(&f->mmio);
    f->mmio_init = false;
    g_assert_cmpint(address_space_read(f->as, 0x30000, out, 2), ==, MEMTX_DECODE_ERROR);
    g_assert_cmphex(out[0] & out[1], ==, 0xff);
}

static void test_wrap(Fixture *f, gconstpointer data)
{
    uint8_t in[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, out[8];

    /* nothing past 2^64 wraps around to RAM at 0 */
    memset(out, 0, sizeof(out));
    g_assert_cmpint(address_space_read(f->as, UINT64_MAX - 3, out, 8), ==, MEMTX_DECODE_ERROR);
    for (int i = 0; i < 8; i++) {
        g_assert_cmphex(out[i], ==, 0xff);
    }
    g_assert_cmpint(address_space_write(f->as, UINT64_MAX - 3, in, 8), ==, MEMTX_DECODE_ERROR);
    for (int i = 0; i < 8; i++) {
        g_assert_cmphex(f->ram.ram[i], ==, i);
    }
    /* the same through a device mapped at the very top */
    map_mmio(f, &f->root, &be_ops, UINT64_MAX - 0xff, 0x100, 0);
    g_assert_cmpint(address_space_read(f->as, UINT64_MAX - 3, out, 8), ==, MEMTX_DECODE_ERROR);
    g_assert_true(g_str_has_prefix(f->dev.log->str, "r fc "));
    for (int i = 4; i < 8; i++) {
        g_assert_cmphex(out[i], ==, 0xff);
    }
}

#define ADD(path, fn) \
    g_test_add("/memory/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    ADD("ram/read-write", test_ram_rw);
    ADD("ram/memfd", test_ram_is_memfd);
    ADD("ram/straddle-end", test_straddle_ram_end);
    ADD("ram/ldl-stl-be", test_ldl_stl_be_ram);
    ADD("unassigned", test_unassigned);
    ADD("mmio/big-endian", test_mmio_big_endian);
    ADD("mmio/little-endian", test_mmio_little_endian);
    ADD("mmio/split-bytes", test_mmio_split_bytes);
    ADD("mmio/split-words", test_mmio_split_words);
    ADD("mmio/no-callbacks", test_mmio_no_callbacks);
    ADD("priority/higher-shadows", test_priority);
    ADD("priority/lower-hidden", test_priority_lower);
    ADD("container-hole", test_container_hole);
    ADD("del-subregion", test_del_subregion);
    ADD("wrap", test_wrap);
    return g_test_run();
}
