/*
 * The qtest protocol: every command with good and bad arguments, exact
 * replies, and a server that survives whatever a client sends.
 */
#include "libqtest.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>

#define RAM_1G 0x40000000ull
#define UNASSIGNED 0x7000000000000000ull

static void assert_reply(QTestState *s, const char *cmd, const char *expect)
{
    g_autofree char *r = qtest_raw(s, cmd);

    if (g_strcmp0(r, expect)) {
        g_error("'%s' answered '%s', expected '%s'", cmd, r, expect);
    }
}

/* The server still answers. */
static void assert_alive(QTestState *s)
{
    assert_reply(s, "endianness", "OK big");
}

/* Memory ------------------------------------------------------------------- */

static void test_rw_sizes(void)
{
    QTestState *s = qtest_init("-machine pseries");

    assert_reply(s, "writeq 0x1000 0", "OK");
    assert_reply(s, "writel 0x1000 0x11223344", "OK");
    /* the target is big-endian: the first byte is the most significant */
    assert_reply(s, "readb 0x1000", "OK 0x0000000000000011");
    assert_reply(s, "readb 0x1003", "OK 0x0000000000000044");
    assert_reply(s, "readw 0x1000", "OK 0x0000000000001122");
    assert_reply(s, "readw 0x1001", "OK 0x0000000000002233");
    assert_reply(s, "readl 0x1000", "OK 0x0000000011223344");
    assert_reply(s, "readq 0x1000", "OK 0x1122334400000000");

    assert_reply(s, "writeb 0x1004 0xaa", "OK");
    assert_reply(s, "writew 0x1006 0xbbcc", "OK");
    assert_reply(s, "readq 0x1000", "OK 0x11223344aa00bbcc");
    assert_reply(s, "writeq 0x1008 0x0102030405060708", "OK");
    assert_reply(s, "readl 0x100c", "OK 0x0000000005060708");
    assert_reply(s, "readb 0x1008", "OK 0x0000000000000001");
    /* a value wider than the access is truncated to it */
    assert_reply(s, "writeb 0x1010 0x1ff", "OK");
    assert_reply(s, "writew 0x1012 0x12345", "OK");
    assert_reply(s, "readl 0x1010", "OK 0x00000000ff002345");
    /* decimal and unaligned addresses */
    assert_reply(s, "writel 4099 4294967295", "OK");
    assert_reply(s, "readq 0x1000", "OK 0x112233ffffffffcc");

    /* the libqtest helpers agree */
    qtest_writeq(s, 0x2000, 0x8877665544332211ull);
    g_assert_cmphex(qtest_readq(s, 0x2000), ==, 0x8877665544332211ull);
    g_assert_cmphex(qtest_readl(s, 0x2004), ==, 0x44332211);
    g_assert_cmphex(qtest_readw(s, 0x2000), ==, 0x8877);
    g_assert_cmphex(qtest_readb(s, 0x2007), ==, 0x11);
    qtest_quit(s);
}

static void test_rw_hex(void)
{
    QTestState *s = qtest_init("-machine pseries");

    assert_reply(s, "write 0x3000 4 0x11223344", "OK");
    assert_reply(s, "read 0x3000 4", "OK 0x11223344");
    assert_reply(s, "read 0x3001 2", "OK 0x2233");
    assert_reply(s, "write 0x3000 4 0xAABBccdd", "OK");
    assert_reply(s, "read 0x3000 4", "OK 0xaabbccdd");
    /* short data is zero-filled up to the size */
    assert_reply(s, "write 0x3000 4 0x1122", "OK");
    assert_reply(s, "read 0x3000 4", "OK 0x11220000");
    /* longer data is cut to the size */
    assert_reply(s, "write 0x3000 2 0x55667788", "OK");
    assert_reply(s, "read 0x3000 4", "OK 0x55660000");
    /* data of fewer than 3 characters is refused, as in QEMU */
    assert_reply(s, "write 0x3000 2 0x", "ERR invalid argument size");
    assert_reply(s, "write 0x3000 2 12", "ERR invalid argument size");
    assert_reply(s, "write 0x3000 2 1234", "FAIL data must start with 0x");
    assert_reply(s, "write 0x3000 2 0xzz", "FAIL invalid hex data");
    assert_reply(s, "read 0x3000 4", "OK 0x55660000");
    assert_reply(s, "write 0x3000 2", "FAIL missing argument");
    assert_reply(s, "write 0x3000 0 0x11", "FAIL invalid size 0 (1..268435456)");

    /* memset, including size 0 */
    assert_reply(s, "memset 0x3000 3 0xab", "OK");
    assert_reply(s, "read 0x3000 4", "OK 0xababab00");
    assert_reply(s, "memset 0x3000 0 0xcd", "OK");
    assert_reply(s, "memset 0x3001 1 0x1cd", "OK");   /* the low byte */
    assert_reply(s, "read 0x3000 4", "OK 0xabcdab00");
    assert_reply(s, "memset 0x3000 1", "FAIL missing argument");
    assert_reply(s, "memset 0x3000 1 x", "FAIL invalid number 'x'");

    /* a larger round trip through the libqtest helpers */
    {
        uint8_t in[4096], out[4096];
        for (size_t i = 0; i < sizeof(in); i++) {
            in[i] = g_test_rand_int();
        }
        qtest_memwrite(s, 0x10000, in, sizeof(in));
        qtest_memread(s, 0x10000, out, sizeof(out));
        g_assert_cmpmem(in, sizeof(in), out, sizeof(out));
        qtest_memset(s, 0x10000, 0x5a, 16);
        qtest_bufread(s, 0x10000, out, sizeof(out));
        g_assert_cmphex(out[15], ==, 0x5a);
        g_assert_cmphex(out[16], ==, in[16]);
    }
    qtest_quit(s);
}

static void test_b64(void)
{
    QTestState *s = qtest_init("-machine pseries");
    uint8_t buf[300], back[300];

    assert_reply(s, "b64write 0x4000 4 AQIDBA==", "OK");
    assert_reply(s, "b64read 0x4000 4", "OK AQIDBA==");
    assert_reply(s, "read 0x4000 4", "OK 0x01020304");
    assert_reply(s, "b64read 0x4001 2", "OK AgM=");
    /* data longer than the size: only the size is written */
    assert_reply(s, "b64write 0x4000 1 /////w==", "OK");
    assert_reply(s, "read 0x4000 4", "OK 0xff020304");
    /* shorter: only what there is */
    assert_reply(s, "b64write 0x4000 4 AAA=", "OK");
    assert_reply(s, "read 0x4000 4", "OK 0x00000304");
    assert_reply(s, "b64write 0x4000 4 AQ", "ERR invalid argument size");
    assert_reply(s, "b64write 0x4000 4", "FAIL missing argument");
    assert_reply(s, "b64read 0x4000 0", "FAIL invalid size 0 (1..268435456)");
    assert_reply(s, "b64read 0x4000", "FAIL missing argument");

    for (size_t i = 0; i < sizeof(buf); i++) {
        buf[i] = i * 7;
    }
    qtest_bufwrite(s, 0x5000, buf, sizeof(buf));
    qtest_memread(s, 0x5000, back, sizeof(back));
    g_assert_cmpmem(buf, sizeof(buf), back, sizeof(back));
    qtest_quit(s);
}

static void test_unassigned(void)
{
    QTestState *s = qtest_init("-machine pseries");

    assert_reply(s, "readq 0x7000000000000000", "OK 0xffffffffffffffff");
    assert_reply(s, "readl 0x7000000000000000", "OK 0x00000000ffffffff");
    assert_reply(s, "readb 0xffffffffffffffff", "OK 0x00000000000000ff");
    assert_reply(s, "read 0x7000000000000000 3", "OK 0xffffff");
    assert_reply(s, "b64read 0x7000000000000000 3", "OK ////");
    /* writes go nowhere */
    assert_reply(s, "writeq 0x7000000000000000 0", "OK");
    assert_reply(s, "write 0x7000000000000000 2 0x0000", "OK");
    assert_reply(s, "memset 0x7000000000000000 8 0", "OK");
    assert_reply(s, "readq 0x7000000000000000", "OK 0xffffffffffffffff");
    /* just above RAM (1 GiB by default) */
    assert_reply(s, "writeb 0x40000000 0", "OK");
    assert_reply(s, "readb 0x40000000", "OK 0x00000000000000ff");
    /* past 2^64 nothing wraps around to RAM at 0 */
    assert_reply(s, "writel 0 0x01020304", "OK");
    assert_reply(s, "read 0xfffffffffffffffe 4", "OK 0xffffffff");
    assert_reply(s, "write 0xfffffffffffffffe 4 0x00000000", "OK");
    assert_reply(s, "readl 0", "OK 0x0000000001020304");
    qtest_quit(s);
}

static void test_ram_end_default(void)
{
    QTestState *s = qtest_init("-machine pseries");

    assert_reply(s, "memset 0x3ffffff8 8 0", "OK");
    assert_reply(s, "writel 0x3ffffffe 0xaabbccdd", "OK");
    assert_reply(s, "readq 0x3ffffff8", "OK 0x000000000000aabb");
    assert_reply(s, "readl 0x3ffffffe", "OK 0x00000000aabbffff");
    assert_reply(s, "readl 0x40000000", "OK 0x00000000ffffffff");
    qtest_quit(s);
}

static void test_ram_end_256m(void)
{
    QTestState *s = qtest_init("-machine pseries -m 256M");

    assert_reply(s, "memset 0xffffff0 16 0x11", "OK");
    assert_reply(s, "write 0xffffffe 4 0xaabbccdd", "OK");
    /* the last bytes of RAM changed, nothing beyond it exists */
    assert_reply(s, "read 0xffffffc 8", "OK 0x1111aabbffffffff");
    assert_reply(s, "read 0xffffff8 8", "OK 0x111111111111aabb");
    assert_reply(s, "readl 0x10000000", "OK 0x00000000ffffffff");
    /* what was 256M..1G with the default size is unassigned now */
    assert_reply(s, "writel 0x20000000 0", "OK");
    assert_reply(s, "readl 0x20000000", "OK 0x00000000ffffffff");
    qtest_quit(s);
}

/* Other commands ------------------------------------------------------------ */

static void test_endianness(void)
{
    QTestState *s = qtest_init("-machine pseries");

    assert_reply(s, "endianness", "OK big");
    /* a CR before the newline is tolerated, as are extra spaces */
    assert_reply(s, "endianness\r", "OK big");
    assert_reply(s, "  writeb   0x10  0x7  ", "OK");
    assert_reply(s, "readb 0x10", "OK 0x0000000000000007");
    qtest_quit(s);
}

static int64_t clock_reply(QTestState *s, const char *cmd)
{
    g_autofree char *r = qtest_raw(s, cmd);
    char *end;
    int64_t v;

    if (!g_str_has_prefix(r, "OK ")) {
        g_error("'%s' answered '%s'", cmd, r);
    }
    v = g_ascii_strtoll(r + 3, &end, 10);
    g_assert_cmpstr(end, ==, "");
    return v;
}

static void test_clock(void)
{
    QTestState *s = qtest_init("-machine pseries");
    int64_t t0, t1, t2;

    /* with -accel qtest, the clock moves only when told to */
    t0 = clock_reply(s, "clock_step 0");
    t1 = clock_reply(s, "clock_step 100");
    g_assert_cmpint(t1, ==, t0 + 100);
    /* to the next timer, if any: never backwards */
    t2 = clock_reply(s, "clock_step");
    g_assert_cmpint(t2, >=, t1);
    t1 = clock_reply(s, "clock_set 1000000000000");
    g_assert_cmpint(t1, ==, 1000000000000ll);
    g_assert_cmpint(clock_reply(s, "clock_set 1000000000000"), ==, 1000000000000ll);
    /* going back fails and reports the current time */
    assert_reply(s, "clock_set 999999999999", "FAIL 1000000000000");
    assert_reply(s, "clock_set -5", "FAIL 1000000000000");
    assert_reply(s, "clock_step -1", "FAIL invalid number '-1'");
    assert_reply(s, "clock_step x", "FAIL invalid number 'x'");
    assert_reply(s, "clock_set 1e3", "FAIL invalid number '1e3'");
    assert_reply(s, "clock_set", "FAIL missing argument");
    g_assert_cmpint(clock_reply(s, "clock_step 0"), ==, 1000000000000ll);
    g_assert_cmpint(qtest_clock_step(s, 5), ==, 1000000000005ll);
    g_assert_cmpint(qtest_clock_set(s, 1000000000010ll), ==, 1000000000010ll);
    /* the clock ends at 2^63-1 ns: a step beyond is refused, not wrapped */
    assert_reply(s, "clock_step 9223372036854775807",
                 "FAIL invalid number '9223372036854775807'");
    assert_reply(s, "clock_step 9223372036854775000",
                 "FAIL invalid number '9223372036854775000'");
    assert_reply(s, "clock_step 9223372036854775808",
                 "FAIL invalid number '9223372036854775808'");
    g_assert_cmpint(clock_reply(s, "clock_step 0"), ==, 1000000000010ll);
    qtest_quit(s);
}

static void test_module_load(void)
{
    QTestState *s = qtest_init("-machine pseries");

    assert_reply(s, "module_load", "FAIL");
    assert_reply(s, "module_load accel qtest", "FAIL");
    assert_alive(s);
    qtest_quit(s);
}

static void test_rtas(void)
{
    QTestState *s = qtest_init("-machine pseries");

    /* an unknown RTAS call is H_PARAMETER (-4), as QEMU answers */
    assert_reply(s, "rtas no-such-call 0 0x1000 1 0x2000", "OK 18446744073709551612");
    assert_reply(s, "rtas no-such-call 0 0 0 0", "OK 18446744073709551612");
    g_assert_cmpuint(qtest_rtas_call(s, "no-such-call", 0, 0, 0, 0), ==, (uint64_t)-4);
    assert_reply(s, "rtas", "FAIL missing argument");
    assert_reply(s, "rtas get-time-of-day 0 0x1000 8", "FAIL missing argument");
    assert_reply(s, "rtas get-time-of-day x 0x1000 8 0x2000", "FAIL invalid number 'x'");
    assert_reply(s, "rtas get-time-of-day 0 0x1000 8 -1", "FAIL invalid number '-1'");
    assert_alive(s);
    qtest_quit(s);
}

static void test_hcall_unknown(void)
{
    QTestState *s = qtest_init("-machine pseries");
    g_autofree char *r = qtest_raw(s, "hcall 0xdead0");

    /* H_FUNCTION (-2), or FAIL while the machine has no hypercalls at all */
    if (strcmp(r, "OK -2") && !g_str_has_prefix(r, "FAIL ")) {
        g_error("hcall 0xdead0 answered '%s'", r);
    }
    assert_alive(s);
    assert_reply(s, "hcall", "FAIL missing argument");
    assert_reply(s, "hcall x", "FAIL invalid number 'x'");
    assert_reply(s, "hcall 4 1 y", "FAIL invalid number 'y'");
    assert_reply(s, "hcall 4 1 2 3 4 5 6 7 8 9 10", "FAIL too many arguments (at most 9)");
    assert_alive(s);
    qtest_quit(s);
}

static void test_irq_commands(void)
{
    QTestState *s = qtest_init("-machine pseries");

    assert_reply(s, "irq_intercept_in /nope", "FAIL Unknown device");
    assert_reply(s, "irq_intercept_out /nope", "FAIL Unknown device");
    /* an object that is not a device */
    assert_reply(s, "irq_intercept_in /machine", "FAIL Unknown device");
    assert_reply(s, "irq_intercept_in /machine/peripheral", "FAIL Unknown device");
    assert_reply(s, "irq_intercept_in", "FAIL missing argument");
    assert_reply(s, "set_irq_in /nope unnamed-gpio-in 0 1", "FAIL Unknown device");
    assert_reply(s, "set_irq_in /nope unnamed-gpio-in 0", "FAIL missing argument");
    assert_alive(s);
    qtest_quit(s);
}

static void test_unknown_command(void)
{
    QTestState *s = qtest_init("-machine pseries");

    assert_reply(s, "xyz", "FAIL Unknown command 'xyz'");
    assert_reply(s, "xyz 1 2 3", "FAIL Unknown command 'xyz'");
    assert_reply(s, "READB 0", "FAIL Unknown command 'READB'");
    assert_reply(s, "%s%n", "FAIL Unknown command '%s%n'");
    /* pseries has no port I/O */
    assert_reply(s, "inb 0x10", "FAIL pseries has no I/O port space");
    assert_reply(s, "outl 0x10 1", "FAIL pseries has no I/O port space");
    assert_alive(s);
    qtest_quit(s);
}

static void test_malformed_numbers(void)
{
    static const struct {
        const char *cmd, *reply;
    } cases[] = {
        { "readl zz", "FAIL invalid number 'zz'" },
        { "readl", "FAIL missing argument" },
        { "readl -1", "FAIL invalid number '-1'" },
        { "readl 0x", "FAIL invalid number '0x'" },
        { "readl 12abc", "FAIL invalid number '12abc'" },
        { "readl 0x10000000000000000", "FAIL invalid number '0x10000000000000000'" },
        { "readq 99999999999999999999", "FAIL invalid number '99999999999999999999'" },
        { "writel 0x1000", "FAIL missing argument" },
        { "writel 0x1000 x", "FAIL invalid number 'x'" },
        { "writeb x 1", "FAIL invalid number 'x'" },
        { "read 0 0", "FAIL invalid size 0 (1..268435456)" },
        { "read 0 -1", "FAIL invalid number '-1'" },
        { "read 0", "FAIL missing argument" },
        { "read 0 0x10000001", "FAIL invalid size 268435457 (1..268435456)" },
        { "read 0 0xffffffffffffffff", "FAIL invalid size 18446744073709551615 (1..268435456)" },
        { "memset 0 0x10000001 0", "FAIL invalid size 268435457 (1..268435456)" },
        { "b64read 0 0xffffffffffff", "FAIL invalid size 281474976710655 (1..268435456)" },
        { "b64write 0 0x10000001 AAAA", "FAIL invalid size 268435457 (1..268435456)" },
        { "write 0 0x10000001 0x00", "FAIL invalid size 268435457 (1..268435456)" },
    };
    QTestState *s = qtest_init("-machine pseries");

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        assert_reply(s, cases[i].cmd, cases[i].reply);
        assert_alive(s);
    }
    qtest_quit(s);
}

/* Garbage ------------------------------------------------------------------- */

/*
 * Read the replies to whatever was sent so far, then to "endianness": an
 * empty line gets no reply, so qtest_raw(s, "") only reads the next line.
 * Every reply before "OK big" must be a FAIL, ERR or OK line.
 */
static unsigned drain_to_marker(QTestState *s, unsigned max_lines)
{
    unsigned n = 0;

    qtest_send_raw(s, "\nendianness\n", 12);
    for (;;) {
        g_autofree char *r = qtest_raw(s, "");
        if (!strcmp(r, "OK big")) {
            return n;
        }
        if (!g_str_has_prefix(r, "FAIL") && !g_str_has_prefix(r, "ERR") &&
            !g_str_has_prefix(r, "OK")) {
            g_error("unexpected reply to garbage: %.80s", r);
        }
        g_assert_cmpuint(++n, <=, max_lines);
    }
}

static void test_blank_lines(void)
{
    QTestState *s = qtest_init("-machine pseries");

    /* empty and blank lines get no reply at all */
    qtest_send_raw(s, "\n\n   \n\r\n \r\n", 11);
    assert_alive(s);
    g_assert_cmpuint(drain_to_marker(s, 0), ==, 0);
    qtest_quit(s);
}

static void test_garbage(void)
{
    QTestState *s = qtest_init("-machine pseries");
    /*
     * Small enough that the replies fit in the socket buffer: the server
     * blocks writing replies to a client that does not read them (as QEMU's).
     */
    size_t len = 4096;
    g_autofree char *junk = g_malloc(len);
    unsigned lines = 0;

    for (int round = 0; round < 64; round++) {
        for (size_t i = 0; i < len; i++) {
            /* all bytes, NUL included, with newlines often enough to make lines */
            junk[i] = g_test_rand_int_range(0, 40) == 0 ? '\n' : g_test_rand_int_range(0, 256);
        }
        lines = 0;
        for (size_t i = 0; i < len; i++) {
            lines += junk[i] == '\n';
        }
        qtest_send_raw(s, junk, len);
        drain_to_marker(s, lines + 1);
        assert_alive(s);
    }
    /* a line with a NUL: what follows the NUL is ignored */
    assert_reply(s, "writeb 0x10 0x5a", "OK");
    qtest_send_raw(s, "readb 0x10\0garbage\n", 19);
    {
        g_autofree char *r = qtest_raw(s, "");
        g_assert_cmpstr(r, ==, "OK 0x000000000000005a");
    }
    assert_alive(s);
    qtest_quit(s);
}

static void test_long_lines(void)
{
    QTestState *s = qtest_init("-machine pseries");
    size_t len = 4 << 20;
    g_autofree char *line = g_malloc(len + 1);
    g_autofree char *r = NULL;

    /* a 4 MiB unknown command is answered (with its name) like a short one */
    memset(line, 'a', len);
    line[len] = 0;
    r = qtest_raw(s, line);
    g_assert_true(g_str_has_prefix(r, "FAIL Unknown command 'aaaa"));
    g_assert_cmpuint(strlen(r), ==, strlen("FAIL Unknown command ''") + len);
    assert_alive(s);

    /*
     * Many arguments, arriving in small pieces (64 KiB: the sanitizers'
     * strstr makes splitting a line into words quadratic)
     */
    for (size_t i = 0; i < 65536; i += 2) {
        line[i] = 'b';
        line[i + 1] = ' ';
    }
    for (size_t off = 0; off < 65536; off += 1024) {
        qtest_send_raw(s, line + off, 1024);
    }
    g_free(r);
    r = qtest_raw(s, "");
    g_assert_cmpstr(r, ==, "FAIL Unknown command 'b'");
    assert_alive(s);

    /* a huge read is answered in full */
    g_free(r);
    r = qtest_raw(s, "read 0 0x100000");
    g_assert_cmpuint(strlen(r), ==, 5 + 2 * 0x100000);
    g_assert_true(g_str_has_prefix(r, "OK 0x"));
    assert_alive(s);
    qtest_quit(s);
}

/* Client disconnects --------------------------------------------------------- */

static GSocketConnection *connect_unix(const char *path, bool retry)
{
    g_autoptr(GSocketClient) client = g_socket_client_new();
    g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);
    gint64 deadline = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;

    for (;;) {
        g_autoptr(GError) err = NULL;
        GSocketConnection *c = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(addr),
                                                       NULL, &err);
        if (c) {
            return c;
        }
        /* the binary may not be listening yet */
        if (!retry || g_get_monotonic_time() > deadline) {
            g_error("cannot connect to %s: %s", path, err->message);
        }
        g_usleep(10 * 1000);
    }
}

static char *read_line(GDataInputStream *in)
{
    g_autoptr(GError) err = NULL;
    char *line = g_data_input_stream_read_line(in, NULL, NULL, &err);

    g_assert_no_error(err);
    g_assert_nonnull(line);
    return line;
}

static void send_str(GSocketConnection *c, const char *s)
{
    g_autoptr(GError) err = NULL;
    GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(c));

    g_assert_true(g_output_stream_write_all(out, s, strlen(s), NULL, NULL, &err));
    g_assert_no_error(err);
}

static void assert_line(GDataInputStream *in, const char *expect_prefix)
{
    g_autofree char *l = read_line(in);

    if (!g_str_has_prefix(l, expect_prefix)) {
        g_error("got '%s', expected '%s...'", l, expect_prefix);
    }
}

static void test_disconnect_mid_command(void)
{
    g_autofree char *dir = qtest_tmpdir();
    g_autofree char *qtest_path = g_strdup_printf("%s/qtest.sock", dir);
    g_autofree char *qmp_path = g_strdup_printf("%s/qmp.sock", dir);
    g_autofree char *qtest_spec = g_strdup_printf("unix:%s,server=on,wait=off", qtest_path);
    g_autofree char *qmp_spec = g_strdup_printf("unix:%s,server=on,wait=off", qmp_path);
    const char *argv[] = {
        qtest_binary(), "-machine", "pseries", "-qtest", qtest_spec, "-qmp", qmp_spec,
        "-accel", "qtest", "-display", "none", NULL,
    };
    g_autoptr(GError) err = NULL;
    GPid pid;
    int status;

    g_assert_true(g_spawn_async(NULL, (char **)argv, NULL,
                                G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL, NULL,
                                NULL, &pid, &err));
    g_assert_no_error(err);

    /* a client leaves in the middle of a command (no newline) */
    {
        g_autoptr(GSocketConnection) c = connect_unix(qtest_path, true);
        g_autoptr(GDataInputStream) in =
            g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(c)));
        send_str(c, "writel 0x1000 0xfeedf00d\nreadl 0x1000\n");
        assert_line(in, "OK");
        assert_line(in, "OK 0x00000000feedf00d");
        send_str(c, "readl 0x1000");
        g_io_stream_close(G_IO_STREAM(c), NULL, NULL);
    }
    /* the next client starts afresh: the partial line was dropped */
    {
        g_autoptr(GSocketConnection) c = connect_unix(qtest_path, false);
        g_autoptr(GDataInputStream) in =
            g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(c)));
        send_str(c, "endianness\nreadl 0x1000\n");
        assert_line(in, "OK big");
        assert_line(in, "OK 0x00000000feedf00d");
        /* and leaves in the middle of a line again, this time abruptly */
        send_str(c, "write 0x1000 4 0x1122");
    }
    /* QMP still works, and a half-sent QMP message is dropped with its client */
    {
        g_autoptr(GSocketConnection) c = connect_unix(qmp_path, false);
        g_autoptr(GDataInputStream) in =
            g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(c)));
        assert_line(in, "{\"QMP\":");
        send_str(c, "{\"execute\": \"qmp_capabilities\"}\n{\"execute\": \"qu");
        assert_line(in, "{\"return\":{}}");
    }
    {
        g_autoptr(GSocketConnection) c = connect_unix(qmp_path, false);
        g_autoptr(GDataInputStream) in =
            g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(c)));
        assert_line(in, "{\"QMP\":");
        /* a new client negotiates again */
        send_str(c, "{\"execute\": \"query-status\"}\n");
        assert_line(in, "{\"error\":{\"class\":\"CommandNotFound\"");
        send_str(c, "{\"execute\": \"qmp_capabilities\"}\n{\"execute\": \"query-status\"}\n");
        assert_line(in, "{\"return\":{}}");
        assert_line(in, "{\"return\":{\"status\":\"running\"");
    }
    {
        g_autoptr(GSocketConnection) c = connect_unix(qtest_path, false);
        g_autoptr(GDataInputStream) in =
            g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(c)));
        send_str(c, "readl 0x1000\n");
        assert_line(in, "OK 0x00000000feedf00d");
    }

    kill(pid, SIGTERM);
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    g_spawn_close_pid(pid);
    /* the server sockets are removed at exit */
    g_assert_false(g_file_test(qtest_path, G_FILE_TEST_EXISTS));
    g_assert_false(g_file_test(qmp_path, G_FILE_TEST_EXISTS));
    g_rmdir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qtest-proto/rw/sizes", test_rw_sizes);
    g_test_add_func("/qtest-proto/rw/hex", test_rw_hex);
    g_test_add_func("/qtest-proto/rw/b64", test_b64);
    g_test_add_func("/qtest-proto/rw/unassigned", test_unassigned);
    g_test_add_func("/qtest-proto/rw/ram-end-default", test_ram_end_default);
    g_test_add_func("/qtest-proto/rw/ram-end-256m", test_ram_end_256m);
    g_test_add_func("/qtest-proto/endianness", test_endianness);
    g_test_add_func("/qtest-proto/clock", test_clock);
    g_test_add_func("/qtest-proto/module-load", test_module_load);
    g_test_add_func("/qtest-proto/rtas-unknown", test_rtas);
    g_test_add_func("/qtest-proto/hcall-unknown", test_hcall_unknown);
    g_test_add_func("/qtest-proto/irq-commands", test_irq_commands);
    g_test_add_func("/qtest-proto/unknown-command", test_unknown_command);
    g_test_add_func("/qtest-proto/malformed-numbers", test_malformed_numbers);
    g_test_add_func("/qtest-proto/blank-lines", test_blank_lines);
    g_test_add_func("/qtest-proto/garbage", test_garbage);
    g_test_add_func("/qtest-proto/long-lines", test_long_lines);
    g_test_add_func("/qtest-proto/disconnect-mid-command", test_disconnect_mid_command);
    return g_test_run();
}
