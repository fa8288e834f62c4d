/*
 * QMP message splitter (see json-stream.h).
 */
#include "qemu/osdep.h"
#include "monitor/json-stream.h"

void json_stream_init(JsonStream *js, JsonStreamEmitFn emit, void *opaque)
{
    memset(js, 0, sizeof(*js));
    js->buf = g_string_new(NULL);
    js->stack = g_array_new(FALSE, FALSE, 1);
    js->max_size = JSON_STREAM_MAX_SIZE;
    js->emit = emit;
    js->opaque = opaque;
}

void json_stream_reset(JsonStream *js)
{
    g_string_truncate(js->buf, 0);
    g_array_set_size(js->stack, 0);
    js->in_string = js->escape = js->in_scalar = false;
    js->skipping = js->discarding = false;
    js->discard_depth = 0;
}

void json_stream_destroy(JsonStream *js)
{
    g_string_free(js->buf, TRUE);
    g_array_unref(js->stack);
}

/* A malformed message: report it, drop it, skip to the next '{'. */
static void fail(JsonStream *js, const char *why)
{
    json_stream_reset(js);
    js->skipping = true;
    js->emit(js->opaque, NULL, why);
}

/* A message too large or too deep: report it, discard up to its end. */
static void fail_discard(JsonStream *js, const char *why)
{
    bool in_string = js->in_string, escape = js->escape;
    size_t depth = js->stack->len;

    json_stream_reset(js);
    js->discarding = true;
    js->discard_depth = depth;
    js->in_string = in_string;
    js->escape = escape;
    js->emit(js->opaque, NULL, why);
}

static void complete(JsonStream *js)
{
    g_autofree char *msg = g_strdup(js->buf->str);

    json_stream_reset(js);
    js->emit(js->opaque, msg, NULL);
}

static bool is_ws(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_structural(uint8_t c)
{
    return c == '{' || c == '}' || c == '[' || c == ']' || c == ',' || c == ':' || c == '"';
}

/* Track only strings and depth until the discarded message is balanced. */
static void discard_byte(JsonStream *js, uint8_t c)
{
    if (js->in_string) {
        if (js->escape) {
            js->escape = false;
        } else if (c == '\\') {
            js->escape = true;
        } else if (c == '"') {
            js->in_string = false;
            if (js->discard_depth == 0) {
                json_stream_reset(js);      /* an oversized top-level string */
            }
        }
    } else if (c == '"') {
        js->in_string = true;
    } else if (c == '{' || c == '[') {
        js->discard_depth++;
    } else if (c == '}' || c == ']') {
        if (--js->discard_depth == 0) {
            json_stream_reset(js);
        }
    }
}

void json_stream_feed(JsonStream *js, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t c = data[i];
        bool top = js->stack->len == 0;

        if (js->discarding) {
            discard_byte(js, c);
            continue;
        }
        if (js->skipping) {
            if (c != '{') {
                continue;
            }
            js->skipping = false;
        }
        if (js->in_scalar) {
            /* a top-level scalar ends at whitespace or a structural byte */
            if (is_ws(c) || is_structural(c)) {
                complete(js);
                if (is_ws(c)) {
                    continue;
                }
                top = true;
            } else {
                g_string_append_c(js->buf, c);
                if (js->buf->len > js->max_size) {
                    /* the rest of the scalar is dropped with what follows it */
                    fail(js, "JSON parse error, message too large");
                }
                continue;
            }
        }
        if (js->in_string) {
            if (c < 0x20) {
                fail(js, "JSON parse error, control character in string");
                continue;
            }
            g_string_append_c(js->buf, c);
            if (js->escape) {
                js->escape = false;
            } else if (c == '\\') {
                js->escape = true;
            } else if (c == '"') {
                js->in_string = false;
                if (top) {
                    complete(js);
                    continue;
                }
            }
        } else if (is_ws(c)) {
            if (!top) {
                g_string_append_c(js->buf, c);
            }
        } else if (c == '{' || c == '[') {
            g_array_append_val(js->stack, c);
            g_string_append_c(js->buf, c);
            if (js->stack->len > JSON_STREAM_MAX_NESTING) {
                fail_discard(js, "JSON parse error, too many nested data structures");
                continue;
            }
        } else if (c == '}' || c == ']') {
            uint8_t open = top ? 0 : g_array_index(js->stack, uint8_t, js->stack->len - 1);
            if ((c == '}' && open != '{') || (c == ']' && open != '[')) {
                fail(js, "JSON parse error, expecting value");
                continue;
            }
            g_array_set_size(js->stack, js->stack->len - 1);
            g_string_append_c(js->buf, c);
            if (js->stack->len == 0) {
                complete(js);
                continue;
            }
        } else if (c == '"') {
            js->in_string = true;
            g_string_append_c(js->buf, c);
        } else if (c < 0x20 || c >= 0x7f) {
            fail(js, "JSON parse error, invalid character outside a string");
            continue;
        } else {
            g_string_append_c(js->buf, c);
            if (top) {
                js->in_scalar = true;
            }
        }
        if (js->buf->len > js->max_size) {
            fail_discard(js, "JSON parse error, message too large");
        }
    }
}
