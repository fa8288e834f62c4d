/*
 * Splitting a QMP byte stream into JSON messages.
 *
 * json-glib parses a complete document; QMP is a stream of them with no
 * delimiter.  This splitter only tracks string/escape state and bracket
 * depth to find where each message ends, so json-glib can parse it.  Like
 * QEMU's streamer it reports a malformed message as an error and starts
 * afresh; after such an error, bytes up to the next '{' are dropped without
 * further errors (a QMP message is an object).  A message that grows too
 * large or too deep is reported once and the rest of it, up to its
 * balanced end, is discarded.
 */
#ifndef MONITOR_JSON_STREAM_H
#define MONITOR_JSON_STREAM_H

#include "qemu/osdep.h"

#define JSON_STREAM_MAX_SIZE (64u << 20)   /* QEMU's MAX_TOKEN_SIZE */
#define JSON_STREAM_MAX_NESTING 1024       /* QEMU's MAX_NESTING */

/* @msg is a complete candidate message (NUL-terminated), or NULL with @error set. */
typedef void (*JsonStreamEmitFn)(void *opaque, const char *msg, const char *error);

typedef struct JsonStream {
    GString *buf;
    GArray *stack;             /* open brackets: '{' or '[' */
    bool in_string;
    bool escape;
    bool in_scalar;            /* a top-level scalar being read */
    bool skipping;             /* after an error, until the next '{' */
    bool discarding;           /* rest of an oversized message, until balanced */
    size_t discard_depth;
    size_t max_size;
    JsonStreamEmitFn emit;
    void *opaque;
} JsonStream;

void json_stream_init(JsonStream *js, JsonStreamEmitFn emit, void *opaque);
void json_stream_feed(JsonStream *js, const uint8_t *data, size_t len);
/* Drop any partial message (peer reconnected). */
void json_stream_reset(JsonStream *js);
void json_stream_destroy(JsonStream *js);

#endif
