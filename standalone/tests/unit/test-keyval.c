/*
 * Option strings (keyval_parse) and the scalar syntaxes of util/keyval.c.
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "qemu/keyval.h"

/* "k1=v1;k2=v2" rendering of every pair, in order. */
static char *render(const Keyval *kv)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < kv->pairs->len; i++) {
        const KeyvalPair *kp = &g_array_index(kv->pairs, KeyvalPair, i);
        g_string_append_printf(s, "%s%s=%s", i ? ";" : "", kp->key, kp->value);
    }
    return g_string_free(s, FALSE);
}

static void assert_parses(const char *str, const char *implied, const char *expect)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(Keyval) kv = keyval_parse(str, implied, &err);
    g_autofree char *got = NULL;

    g_assert_no_error(err);
    g_assert_nonnull(kv);
    got = render(kv);
    g_assert_cmpstr(got, ==, expect);
}

static void assert_parse_fails(const char *str, const char *implied, const char *msg)
{
    g_autoptr(GError) err = NULL;
    Keyval *kv = keyval_parse(str, implied, &err);

    g_assert_null(kv);
    g_assert_error(err, QEMU_ERROR, QEMU_ERROR_GENERIC);
    g_assert_cmpstr(err->message, ==, msg);
}

static void test_parse_pairs(void)
{
    assert_parses("a=1,b=2", NULL, "a=1;b=2");
    assert_parses("a=", NULL, "a=");
    assert_parses("a=x=y", NULL, "a=x=y");
    /* order is kept and a repeated key keeps both */
    assert_parses("b=1,a=2,b=3", NULL, "b=1;a=2;b=3");
    /* a trailing comma ends the list, as in QemuOpts */
    assert_parses("a=1,", NULL, "a=1");
}

static void test_parse_empty(void)
{
    assert_parses("", NULL, "");
    assert_parses("", "driver", "");
}

static void test_parse_escapes(void)
{
    assert_parses("path=/tmp/a,,b", NULL, "path=/tmp/a,b");
    assert_parses("a=,,,,", NULL, "a=,,");
    assert_parses("a=,,,b=1", NULL, "a=,;b=1");
    assert_parses("x,,y,id=1", "driver", "driver=x,y;id=1");
    assert_parses("k,,ey=v", NULL, "k,ey=v");
    /* an escape at the end is still a literal comma, not an empty element */
    assert_parses("drv,,", "driver", "driver=drv,");
    assert_parses("a=1,,,,,", NULL, "a=1,,");
}

static void test_parse_implied(void)
{
    assert_parses("pseries,foo=1", "type", "type=pseries;foo=1");
    assert_parses("pseries", "type", "type=pseries");
    /* only the first element can be implied */
    assert_parses("a=1,flag", "type", "a=1;flag=on");
    /* an explicit key in first position is not implied */
    assert_parses("type=x", "type", "type=x");
    /* without an implied key, a bare element is a boolean shorthand */
    assert_parses("flag", NULL, "flag=on");
    assert_parses("id=a,nowait", "backend", "id=a;nowait=on");
}

static void test_parse_empty_key(void)
{
    assert_parse_fails("=x", NULL, "Invalid parameter ''");
    assert_parse_fails("=x", "driver", "Invalid parameter ''");
    assert_parse_fails("a=1,=2", NULL, "Invalid parameter ''");
    assert_parse_fails(",a=1", NULL, "Invalid parameter ''");
    assert_parse_fails("a=1,,,=2", NULL, "Invalid parameter ''");
}

static void test_get_remove(void)
{
    g_autoptr(Keyval) kv = keyval_parse("drv,a=1,b=2,a=3", "driver", NULL);

    g_assert_nonnull(kv);
    g_assert_cmpstr(keyval_get(kv, "driver"), ==, "drv");
    /* the last value wins */
    g_assert_cmpstr(keyval_get(kv, "a"), ==, "3");
    g_assert_cmpstr(keyval_get(kv, "b"), ==, "2");
    g_assert_null(keyval_get(kv, "c"));

    g_assert_true(keyval_remove(kv, "a"));
    g_assert_null(keyval_get(kv, "a"));
    g_assert_cmpuint(kv->pairs->len, ==, 2);
    g_assert_false(keyval_remove(kv, "a"));
    g_assert_cmpstr(keyval_get(kv, "b"), ==, "2");
}

static void test_bool(void)
{
    static const char *const yes[] = { "on", "yes", "true", "y" };
    static const char *const no[] = { "off", "no", "false", "n" };
    static const char *const bad[] = { "maybe", "", "ON", "1", "0", "on ", "of" };

    for (guint i = 0; i < G_N_ELEMENTS(yes); i++) {
        bool b = false;
        g_assert_true(parse_bool("p", yes[i], &b, NULL));
        g_assert_true(b);
    }
    for (guint i = 0; i < G_N_ELEMENTS(no); i++) {
        bool b = true;
        g_assert_true(parse_bool("p", no[i], &b, NULL));
        g_assert_false(b);
    }
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) err = NULL;
        bool b = true;
        g_assert_false(parse_bool("server", bad[i], &b, &err));
        g_assert_true(b);           /* untouched */
        g_assert_cmpstr(err->message, ==, "Parameter 'server' expects 'on' or 'off'");
    }
    {
        g_autoptr(GError) err = NULL;
        bool b;
        g_assert_false(parse_bool("x", NULL, &b, &err));
        g_assert_nonnull(err);
    }
}

static void test_uint64(void)
{
    static const struct {
        const char *s;
        uint64_t v;
    } good[] = {
        { "0", 0 }, { "42", 42 }, { "0x10", 16 }, { "0X1f", 31 }, { "010", 8 },
        { "18446744073709551615", UINT64_MAX }, { "0xffffffffffffffff", UINT64_MAX },
    };
    static const char *const bad[] = { "", " 1", "1 ", "-1", "x", "0x", "1k", "1.5", "08" };

    for (guint i = 0; i < G_N_ELEMENTS(good); i++) {
        g_autoptr(GError) err = NULL;
        uint64_t v = 1234;
        g_assert_true(parse_uint64("n", good[i].s, &v, &err));
        g_assert_no_error(err);
        g_assert_cmphex(v, ==, good[i].v);
    }
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) err = NULL;
        uint64_t v = 1234;
        if (parse_uint64("n", bad[i], &v, &err)) {
            g_error("'%s' was accepted as %" PRIu64, bad[i], v);
        }
        g_assert_cmpuint(v, ==, 1234);
        g_assert_cmpstr(err->message, ==, "Parameter 'n' expects integer");
    }
    {
        g_autoptr(GError) err = NULL;
        uint64_t v;
        g_assert_false(parse_uint64("n", "18446744073709551616", &v, &err));
        g_assert_cmpstr(err->message, ==, "Parameter 'n' expects a number below 2^64");
        g_clear_error(&err);
        g_assert_false(parse_uint64("n", "0x10000000000000000", &v, &err));
        g_assert_cmpstr(err->message, ==, "Parameter 'n' expects a number below 2^64");
        g_clear_error(&err);
        g_assert_false(parse_uint64("n", NULL, &v, &err));
        g_assert_cmpstr(err->message, ==, "Parameter 'n' expects integer");
    }
}

static void test_int64(void)
{
    static const struct {
        const char *s;
        int64_t v;
    } good[] = {
        { "0", 0 }, { "-1", -1 }, { "+7", 7 }, { "0x10", 16 }, { "-0x10", -16 },
        { "9223372036854775807", INT64_MAX }, { "-9223372036854775808", INT64_MIN },
    };
    static const char *const bad[] = {
        "", " 1", "1x", "--1", "9223372036854775808", "-9223372036854775809", "1.0",
    };

    for (guint i = 0; i < G_N_ELEMENTS(good); i++) {
        int64_t v = 1234;
        g_assert_true(parse_int64("n", good[i].s, &v, NULL));
        g_assert_cmpint(v, ==, good[i].v);
    }
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) err = NULL;
        int64_t v = 1234;
        if (parse_int64("n", bad[i], &v, &err)) {
            g_error("'%s' was accepted as %" PRId64, bad[i], v);
        }
        g_assert_cmpint(v, ==, 1234);
        g_assert_cmpstr(err->message, ==, "Parameter 'n' expects integer");
    }
}

static void test_size(void)
{
    static const struct {
        const char *s;
        uint64_t unit;
        uint64_t v;
    } good[] = {
        { "0", 1, 0 },
        { "4096", 1, 4096 },
        { "0x1000", 1, 4096 },
        { "1b", 1, 1 },
        { "1B", 1 << 20, 1 },
        { "1k", 1, 1024 },
        { "1K", 1, 1024 },
        { "2m", 1, 2ull << 20 },
        { "2M", 1, 2ull << 20 },
        { "3G", 1, 3ull << 30 },
        { "3g", 1, 3ull << 30 },
        { "1T", 1, 1ull << 40 },
        { "1P", 1, 1ull << 50 },
        { "1E", 1, 1ull << 60 },
        { "15E", 1, 15ull << 60 },
        { "1.5G", 1, 3ull << 29 },
        { "0.5k", 1, 512 },
        { "1.5k", 1 << 20, 1536 },          /* a suffix overrides the default unit */
        { "256", 1 << 20, 256ull << 20 },   /* -m: a plain number is MiB */
        { "1", 1 << 20, 1ull << 20 },
        { "16383P", 1, 16383ull << 50 },
        { "18446744073709551615", 1, UINT64_MAX },
        { "010", 1, 10 },                   /* decimal, as QEMU: not octal */
        { "0x100", 1 << 20, 0x100ull << 20 }, /* hex takes the default unit */
        { "0xffffffffffffffff", 1, UINT64_MAX },
        { "1.k", 1, 1024 },
    };
    static const struct {
        const char *s;
        uint64_t unit;
    } bad[] = {
        { "", 1 }, { "1Z", 1 }, { "-1", 1 }, { "-1G", 1 }, { " 1", 1 }, { "1GG", 1 },
        { "1G ", 1 }, { "1.5", 1 }, { "1.5", 1 << 20 }, { "G", 1 }, { "1 G", 1 },
        { "16E", 1 },                        /* 2^64 */
        { "16384P", 1 },                     /* 2^64 */
        { "17179869184G", 1 },               /* 2^64 */
        { "16.0E", 1 },                      /* 2^64 as a fraction */
        { "99999999999999999999", 1 },       /* > 2^64 before any suffix */
        { "17592186044416", 1 << 20 },       /* 2^44 MiB = 2^64 */
        { "maybe", 1 },
        { "G", 1 }, { ".5G", 1 },            /* no digits */
        { "0x10k", 1 }, { "0x1.8G", 1 },     /* hex takes no suffix nor fraction */
        { "0x", 1 },
        { "0x100000000000", 1 << 20 },       /* 2^44 MiB */
        { "0x10000000000000000", 1 },
        { "1.5e3G", 1 },                     /* no exponents */
    };

    for (guint i = 0; i < G_N_ELEMENTS(good); i++) {
        g_autoptr(GError) err = NULL;
        uint64_t v = 1234;
        if (!parse_size("size", good[i].s, good[i].unit, &v, &err)) {
            g_error("'%s' refused: %s", good[i].s, err->message);
        }
        g_assert_cmphex(v, ==, good[i].v);
    }
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) err = NULL;
        uint64_t v = 1234;
        if (parse_size("size", bad[i].s, bad[i].unit, &v, &err)) {
            g_error("'%s' was accepted as %" PRIu64, bad[i].s, v);
        }
        g_assert_cmpuint(v, ==, 1234);
        g_assert_cmpstr(err->message, ==,
                        "Parameter 'size' expects a non-negative number below 2^64");
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/keyval/parse/pairs", test_parse_pairs);
    g_test_add_func("/keyval/parse/empty", test_parse_empty);
    g_test_add_func("/keyval/parse/escapes", test_parse_escapes);
    g_test_add_func("/keyval/parse/implied-key", test_parse_implied);
    g_test_add_func("/keyval/parse/empty-key", test_parse_empty_key);
    g_test_add_func("/keyval/get-remove", test_get_remove);
    g_test_add_func("/keyval/bool", test_bool);
    g_test_add_func("/keyval/uint64", test_uint64);
    g_test_add_func("/keyval/int64", test_int64);
    g_test_add_func("/keyval/size", test_size);
    return g_test_run();
}
