/*
 * The QMP message splitter (monitor/json-stream.c).
 */
#include "qemu/osdep.h"
#include "monitor/json-stream.h"

#define ERR_EXPECTING "JSON parse error, expecting value"
#define ERR_CONTROL "JSON parse error, control character in string"
#define ERR_INVALID "JSON parse error, invalid character outside a string"
#define ERR_DEEP "JSON parse error, too many nested data structures"
#define ERR_LARGE "JSON parse error, message too large"

typedef struct Fixture {
    JsonStream js;
    GPtrArray *out;            /* "M:<message>" or "E:<error>" */
} Fixture;

static void emit(void *opaque, const char *msg, const char *error)
{
    Fixture *f = opaque;

    g_assert_true((msg == NULL) != (error == NULL));
    g_ptr_array_add(f->out, msg ? g_strdup_printf("M:%s", msg) : g_strdup_printf("E:%s", error));
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
    f->out = g_ptr_array_new_with_free_func(g_free);
    json_stream_init(&f->js, emit, f);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    json_stream_destroy(&f->js);
    g_ptr_array_unref(f->out);
}

static void feed(Fixture *f, const char *s)
{
    json_stream_feed(&f->js, (const uint8_t *)s, strlen(s));
}

static void feed_bytewise(Fixture *f, const char *s)
{
    for (const char *p = s; *p; p++) {
        json_stream_feed(&f->js, (const uint8_t *)p, 1);
    }
}

/* Assert exactly the items in @expect (NULL-terminated) were emitted, then clear. */
static void assert_out(Fixture *f, const char *const *expect)
{
    guint n = g_strv_length((char **)expect);

    for (guint i = 0; i < MIN(n, f->out->len); i++) {
        g_assert_cmpstr(g_ptr_array_index(f->out, i), ==, expect[i]);
    }
    if (f->out->len != n) {
        g_error("%u items emitted, %u expected (first unmatched: %s)", f->out->len, n,
                f->out->len > n ? (char *)g_ptr_array_index(f->out, n) : expect[f->out->len]);
    }
    g_ptr_array_set_size(f->out, 0);
}

#define ASSERT_OUT(f, ...) assert_out((f), (const char *const[]){ __VA_ARGS__, NULL })
#define ASSERT_NOTHING(f) assert_out((f), (const char *const[]){ NULL })

/* The stream still splits a normal message. */
static void assert_recovered(Fixture *f)
{
    feed(f, "{\"execute\": \"x\"}");
    ASSERT_OUT(f, "M:{\"execute\": \"x\"}");
}

static void test_single(Fixture *f, gconstpointer data)
{
    feed(f, "{\"execute\": \"query-status\"}");
    ASSERT_OUT(f, "M:{\"execute\": \"query-status\"}");
    /* whitespace between messages is dropped, inside them kept */
    feed(f, " \r\n\t{ \"a\" :\n[ 1 , 2 ] }\n");
    ASSERT_OUT(f, "M:{ \"a\" :\n[ 1 , 2 ] }");
}

static void test_incomplete_waits(Fixture *f, gconstpointer data)
{
    feed(f, "{\"a\": [1, {\"b\": \"}\"}");
    ASSERT_NOTHING(f);
    feed(f, "]");
    ASSERT_NOTHING(f);
    feed(f, "}");
    ASSERT_OUT(f, "M:{\"a\": [1, {\"b\": \"}\"}]}");
}

static void test_bytewise(Fixture *f, gconstpointer data)
{
    feed_bytewise(f, "{\"execute\": \"qom-list\", \"arguments\": {\"path\": \"/\"}}"
                     "{\"s\": \"\\\"}\"}[1]");
    ASSERT_OUT(f, "M:{\"execute\": \"qom-list\", \"arguments\": {\"path\": \"/\"}}",
               "M:{\"s\": \"\\\"}\"}", "M:[1]");
    assert_recovered(f);
}

static void test_several_in_one_feed(Fixture *f, gconstpointer data)
{
    feed(f, "{}{\"x\": [1, 2]}  {\"y\": {}}\n[]");
    ASSERT_OUT(f, "M:{}", "M:{\"x\": [1, 2]}", "M:{\"y\": {}}", "M:[]");
}

static void test_strings(Fixture *f, gconstpointer data)
{
    /* brackets and escaped quotes inside strings do not count */
    feed(f, "{\"a\": \"}{][\", \"b\": \"\\\"}\\\\\", \"c\": \"\\\\\"}");
    ASSERT_OUT(f, "M:{\"a\": \"}{][\", \"b\": \"\\\"}\\\\\", \"c\": \"\\\\\"}");
    /* an escape split across feeds */
    feed(f, "{\"a\": \"\\");
    feed(f, "\"}\"}");
    ASSERT_OUT(f, "M:{\"a\": \"\\\"}\"}");
    /* bytes >= 0x80 are fine inside strings (UTF-8 is checked later) */
    feed(f, "{\"\xc3\xa9\": \"\xff\"}");
    ASSERT_OUT(f, "M:{\"\xc3\xa9\": \"\xff\"}");
}

static void test_top_level_scalars(Fixture *f, gconstpointer data)
{
    feed(f, "42 ");
    ASSERT_OUT(f, "M:42");
    feed(f, "\"str{\"");
    ASSERT_OUT(f, "M:\"str{\"");
    feed(f, "true\nnull{}");
    ASSERT_OUT(f, "M:true", "M:null", "M:{}");
    /* a scalar ends at a structural byte, which starts the next message */
    feed(f, "-1.5e3[2]1\"s\"");
    ASSERT_OUT(f, "M:-1.5e3", "M:[2]", "M:1", "M:\"s\"");
    /* not ended yet: waits for its end */
    feed(f, "123");
    ASSERT_NOTHING(f);
    feed(f, "4\n");
    ASSERT_OUT(f, "M:1234");
}

static void test_error_mismatch(Fixture *f, gconstpointer data)
{
    feed(f, "}");
    ASSERT_OUT(f, "E:" ERR_EXPECTING);
    assert_recovered(f);
    feed(f, "{]");
    ASSERT_OUT(f, "E:" ERR_EXPECTING);
    assert_recovered(f);
    feed(f, "[1}");
    ASSERT_OUT(f, "E:" ERR_EXPECTING);
    assert_recovered(f);
    feed(f, "]");
    ASSERT_OUT(f, "E:" ERR_EXPECTING);
    assert_recovered(f);
}

static void test_error_skips_to_brace(Fixture *f, gconstpointer data)
{
    /* after an error, bytes up to the next '{' are dropped without more errors */
    feed(f, "{]]]}}\x01\xff\"[1] 42 }");
    ASSERT_OUT(f, "E:" ERR_EXPECTING);
    feed(f, "{\"a\": 1}");
    ASSERT_OUT(f, "M:{\"a\": 1}");
}

static void test_error_control_char(Fixture *f, gconstpointer data)
{
    feed(f, "{\"a\": \"x\ny\"}");
    ASSERT_OUT(f, "E:" ERR_CONTROL);
    assert_recovered(f);
    feed(f, "\"\t\"");
    ASSERT_OUT(f, "E:" ERR_CONTROL);
    assert_recovered(f);
    /* a NUL byte is a control character too */
    json_stream_feed(&f->js, (const uint8_t *)"{\"a\0\"}", 6);
    ASSERT_OUT(f, "E:" ERR_CONTROL);
    assert_recovered(f);
}

static void test_error_invalid_char(Fixture *f, gconstpointer data)
{
    static const char *const cases[] = { "\xff", "\x01", "\x7f", "{\x02}", "[1,\x80]" };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        feed(f, cases[i]);
        ASSERT_OUT(f, "E:" ERR_INVALID);
        assert_recovered(f);
    }
    json_stream_feed(&f->js, (const uint8_t *)"\0", 1);
    ASSERT_OUT(f, "E:" ERR_INVALID);
    assert_recovered(f);
}

static char *nested(unsigned depth, const char *inner)
{
    GString *s = g_string_new(NULL);

    for (unsigned i = 0; i < depth; i++) {
        g_string_append_c(s, '[');
    }
    g_string_append(s, inner);
    for (unsigned i = 0; i < depth; i++) {
        g_string_append_c(s, ']');
    }
    return g_string_free(s, FALSE);
}

static void test_nesting_limit(Fixture *f, gconstpointer data)
{
    g_autofree char *ok = nested(JSON_STREAM_MAX_NESTING, "");
    g_autofree char *ok_msg = g_strdup_printf("M:%s", ok);
    g_autofree char *deep = nested(JSON_STREAM_MAX_NESTING + 1, "");
    g_autofree char *deeper = nested(3000, "{\"a\": \"]]]}\\\"]\"}");

    /* exactly the limit is fine */
    feed(f, ok);
    ASSERT_OUT(f, ok_msg);

    /* one more is reported once, and the message is discarded to its end */
    feed(f, deep);
    ASSERT_OUT(f, "E:" ERR_DEEP);
    assert_recovered(f);

    /* brackets in strings of the discarded part do not end it early */
    feed(f, deeper);
    ASSERT_OUT(f, "E:" ERR_DEEP);
    assert_recovered(f);

    /* the same, fed a byte at a time */
    feed_bytewise(f, deep);
    ASSERT_OUT(f, "E:" ERR_DEEP);
    assert_recovered(f);
}

static void test_size_limit(Fixture *f, gconstpointer data)
{
    f->js.max_size = 16;

    /* exactly max_size bytes pass */
    feed(f, "{\"a\": \"0123456\"}");
    ASSERT_OUT(f, "M:{\"a\": \"0123456\"}");

    /* one more is reported once; the rest is discarded up to its balanced end */
    feed(f, "{\"a\": \"01234567\", \"b\": [\"}]\", {}], \"c\": 0123456789}");
    ASSERT_OUT(f, "E:" ERR_LARGE);
    feed(f, "{}");
    ASSERT_OUT(f, "M:{}");

    /* the same, split in many feeds */
    feed_bytewise(f, "{\"a\": [[[\"0123456789abcdef\\\"]]]\"]]], \"b\": 1}");
    ASSERT_OUT(f, "E:" ERR_LARGE);
    feed(f, "{}");
    ASSERT_OUT(f, "M:{}");
}

static void test_size_limit_top_string(Fixture *f, gconstpointer data)
{
    f->js.max_size = 16;

    /* a top-level string is discarded up to its closing quote */
    feed(f, "\"0123456789abcdef{}[]\\\"\"");
    ASSERT_OUT(f, "E:" ERR_LARGE);
    feed(f, "{}");
    ASSERT_OUT(f, "M:{}");
    /* and what follows it is parsed normally */
    feed(f, "\"0123456789abcdef\"]{}");
    ASSERT_OUT(f, "E:" ERR_LARGE, "E:" ERR_EXPECTING, "M:{}");
    assert_recovered(f);
}

static void test_size_limit_top_scalar(Fixture *f, gconstpointer data)
{
    f->js.max_size = 16;

    /* a top-level scalar is limited too, and reported once */
    for (int i = 0; i < 100; i++) {
        feed(f, "1");
    }
    g_assert_cmpuint(f->js.buf->len, <=, 16);
    ASSERT_OUT(f, "E:" ERR_LARGE);
    feed(f, " {}");
    ASSERT_OUT(f, "M:{}");
}

static void test_reset(Fixture *f, gconstpointer data)
{
    /* a partial message is dropped (peer reconnected) */
    feed(f, "{\"a\": [\"}");
    json_stream_reset(&f->js);
    assert_recovered(f);

    /* the skipping state after an error is dropped too */
    feed(f, "}");
    ASSERT_OUT(f, "E:" ERR_EXPECTING);
    json_stream_reset(&f->js);
    feed(f, "[1]");
    ASSERT_OUT(f, "M:[1]");

    /* and so is discarding */
    f->js.max_size = 4;
    feed(f, "[\"01234\"");
    ASSERT_OUT(f, "E:" ERR_LARGE);
    json_stream_reset(&f->js);
    feed(f, "[]");
    ASSERT_OUT(f, "M:[]");
}

static void test_emit_reentrancy(Fixture *f, gconstpointer data)
{
    /* the emitted text is a complete, NUL-terminated copy */
    feed(f, "{\"a\": 1}{\"b\": 2}");
    ASSERT_OUT(f, "M:{\"a\": 1}", "M:{\"b\": 2}");
    g_assert_cmpuint(f->js.buf->len, ==, 0);
    g_assert_cmpuint(f->js.stack->len, ==, 0);
}

#define ADD(path, fn) \
    g_test_add("/json-stream/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    ADD("single", test_single);
    ADD("incomplete-waits", test_incomplete_waits);
    ADD("bytewise", test_bytewise);
    ADD("several-in-one-feed", test_several_in_one_feed);
    ADD("strings", test_strings);
    ADD("top-level-scalars", test_top_level_scalars);
    ADD("error/mismatch", test_error_mismatch);
    ADD("error/skips-to-brace", test_error_skips_to_brace);
    ADD("error/control-char", test_error_control_char);
    ADD("error/invalid-char", test_error_invalid_char);
    ADD("error/nesting-limit", test_nesting_limit);
    ADD("error/size-limit", test_size_limit);
    ADD("error/size-limit-top-string", test_size_limit_top_string);
    ADD("error/size-limit-top-scalar", test_size_limit_top_scalar);
    ADD("reset", test_reset);
    ADD("state-after-message", test_emit_reentrancy);
    return g_test_run();
}
