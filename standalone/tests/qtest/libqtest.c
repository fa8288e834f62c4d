/*
 * libqtest: see libqtest.h.
 */
#include "libqtest.h"
#include "monitor/json-stream.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define ACCEPT_TIMEOUT_MS 50000
#define REPLY_TIMEOUT_MS 120000

struct QTestState {
    pid_t pid;
    int qtest_fd;
    int qmp_fd;
    char *dir;
    GString *rx;               /* qtest bytes not yet consumed */
    GHashTable *irq_level;     /* int -> bool */
    GHashTable *irq_raises;    /* int -> count */
    JsonStream qmp_stream;
    GQueue qmp_messages;       /* parsed messages not yet consumed (JsonObject *) */
    GQueue events;             /* events stashed while waiting for a reply */
    bool exited;
    int status;
};

const char *qtest_binary(void)
{
    const char *bin = g_getenv("QTEST_QEMU_BINARY");

    if (!bin) {
        g_error("QTEST_QEMU_BINARY is not set");
    }
    return bin;
}

char *qtest_tmpdir(void)
{
    g_autoptr(GError) err = NULL;
    char *dir = g_dir_make_tmp("qtest-XXXXXX", &err);

    g_assert_no_error(err);
    return dir;
}

static int listen_unix(const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpuint(strlen(path), <, sizeof(addr.sun_path));
    strcpy(addr.sun_path, path);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), ==, 0);
    g_assert_cmpint(listen(fd, 1), ==, 0);
    return fd;
}

static int accept_timeout(QTestState *s, int lfd)
{
    struct pollfd p = { .fd = lfd, .events = POLLIN };
    int r = poll(&p, 1, ACCEPT_TIMEOUT_MS);
    int fd;

    if (r <= 0) {
        g_error("qtest: the binary did not connect (is it %s?)", qtest_binary());
    }
    fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);
    return fd;
}

static void qmp_stream_emit(void *opaque, const char *msg, const char *error)
{
    QTestState *s = opaque;
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) err = NULL;
    JsonNode *root;

    if (error) {
        g_error("qtest: malformed QMP from the binary: %s", error);
    }
    if (!json_parser_load_from_data(parser, msg, -1, &err)) {
        g_error("qtest: bad QMP JSON from the binary: %s: %s", err->message, msg);
    }
    root = json_parser_get_root(parser);
    g_assert(JSON_NODE_HOLDS_OBJECT(root));
    g_queue_push_tail(&s->qmp_messages, json_object_ref(json_node_get_object(root)));
}

static QTestState *start(const char *extra_args, bool handshake)
{
    QTestState *s = g_new0(QTestState, 1);
    g_autofree char *qtest_path = NULL, *qmp_path = NULL, *cmd = NULL;
    int qtest_lfd, qmp_lfd;

    s->dir = qtest_tmpdir();
    qtest_path = g_strdup_printf("%s/qtest.sock", s->dir);
    qmp_path = g_strdup_printf("%s/qmp.sock", s->dir);
    qtest_lfd = listen_unix(qtest_path);
    qmp_lfd = listen_unix(qmp_path);
    cmd = g_strdup_printf("exec %s -qtest unix:%s -qtest-log %s "
                          "-chardev socket,path=%s,id=char0 -mon chardev=char0,mode=control "
                          "-display none -audio none %s -accel qtest",
                          qtest_binary(), qtest_path,
                          g_getenv("QTEST_LOG") ? "/dev/fd/2" : "/dev/null",
                          qmp_path, extra_args ? extra_args : "");
    if (g_getenv("QTEST_LOG")) {
        g_printerr("starting: %s\n", cmd);
    }
    s->pid = fork();
    g_assert_cmpint(s->pid, >=, 0);
    if (s->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    s->qtest_fd = accept_timeout(s, qtest_lfd);
    s->qmp_fd = accept_timeout(s, qmp_lfd);
    close(qtest_lfd);
    close(qmp_lfd);
    unlink(qtest_path);
    unlink(qmp_path);

    s->rx = g_string_new(NULL);
    s->irq_level = g_hash_table_new(NULL, NULL);
    s->irq_raises = g_hash_table_new(NULL, NULL);
    json_stream_init(&s->qmp_stream, qmp_stream_emit, s);
    g_queue_init(&s->qmp_messages);
    g_queue_init(&s->events);

    {
        g_autofree char *endian = qtest_raw(s, "endianness");
        g_assert_cmpstr(endian, ==, "OK big");
    }
    if (handshake) {
        JsonObject *greeting = qtest_qmp_receive(s);
        JsonObject *rsp;
        g_assert(json_object_has_member(greeting, "QMP"));
        json_object_unref(greeting);
        rsp = qtest_qmp(s, "{\"execute\": \"qmp_capabilities\"}");
        qmp_rsp_return(rsp);
        json_object_unref(rsp);
    }
    return s;
}

QTestState *qtest_init(const char *extra_args)
{
    return start(extra_args, true);
}

QTestState *qtest_initf(const char *fmt, ...)
{
    va_list ap;
    g_autofree char *args = NULL;

    va_start(ap, fmt);
    args = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return start(args, true);
}

QTestState *qtest_init_without_qmp_handshake(const char *extra_args)
{
    return start(extra_args, false);
}

int qtest_pid(QTestState *s)
{
    return s->pid;
}

static void free_state(QTestState *s)
{
    close(s->qtest_fd);
    close(s->qmp_fd);
    rmdir(s->dir);
    g_free(s->dir);
    g_string_free(s->rx, TRUE);
    g_hash_table_unref(s->irq_level);
    g_hash_table_unref(s->irq_raises);
    json_stream_destroy(&s->qmp_stream);
    g_queue_clear_full(&s->qmp_messages, (GDestroyNotify)json_object_unref);
    g_queue_clear_full(&s->events, (GDestroyNotify)json_object_unref);
    g_free(s);
}

int qtest_kill_and_wait(QTestState *s)
{
    int status = 0;

    kill(s->pid, SIGTERM);
    for (int i = 0; i < 3000; i++) {
        pid_t r = waitpid(s->pid, &status, WNOHANG);
        if (r == s->pid) {
            free_state(s);
            return status;
        }
        g_usleep(10000);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, &status, 0);
    free_state(s);
    return status;
}

void qtest_quit(QTestState *s)
{
    int status = qtest_kill_and_wait(s);

    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        g_error("qtest: the binary did not exit cleanly: %s %d",
                WIFSIGNALED(status) ? "signal" : "status",
                WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    }
}

/* qtest line protocol ---------------------------------------------------- */

static void send_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        g_assert_cmpint(n, >, 0);
        data += n;
        len -= n;
    }
}

void qtest_send_raw(QTestState *s, const char *data, size_t len)
{
    send_all(s->qtest_fd, data, len);
}

static bool read_more(int fd, GString *into)
{
    char buf[65536];
    struct pollfd p = { .fd = fd, .events = POLLIN };
    ssize_t n;

    if (poll(&p, 1, REPLY_TIMEOUT_MS) <= 0) {
        g_error("qtest: no reply from the binary in %d s", REPLY_TIMEOUT_MS / 1000);
    }
    n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) {
        return false;
    }
    g_string_append_len(into, buf, n);
    return true;
}

static void note_irq(QTestState *s, const char *line)
{
    g_auto(GStrv) w = g_strsplit(line, " ", 3);
    int n = atoi(w[2]);
    bool raise = !strcmp(w[1], "raise");

    g_hash_table_insert(s->irq_level, GINT_TO_POINTER(n), GINT_TO_POINTER(raise));
    if (raise) {
        unsigned c = GPOINTER_TO_UINT(g_hash_table_lookup(s->irq_raises, GINT_TO_POINTER(n)));
        g_hash_table_insert(s->irq_raises, GINT_TO_POINTER(n), GUINT_TO_POINTER(c + 1));
    }
}

/* The binary went away: say how, which is what a failing test needs to know. */
static G_NORETURN void died(QTestState *s, const char *what)
{
    int status = 0;

    g_usleep(100000);
    if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
        if (WIFSIGNALED(status)) {
            g_error("qtest: the binary closed the %s socket: killed by signal %d", what,
                    WTERMSIG(status));
        }
        g_error("qtest: the binary closed the %s socket: exit status %d", what,
                WEXITSTATUS(status));
    }
    g_error("qtest: the binary closed the %s socket (still running)", what);
}

/* Next reply line, absorbing asynchronous IRQ lines. */
static char *read_reply(QTestState *s)
{
    for (;;) {
        char *nl = memchr(s->rx->str, '\n', s->rx->len);
        char *line;

        if (!nl) {
            if (!read_more(s->qtest_fd, s->rx)) {
                died(s, "qtest");
            }
            continue;
        }
        line = g_strndup(s->rx->str, nl - s->rx->str);
        g_string_erase(s->rx, 0, nl - s->rx->str + 1);
        if (g_str_has_prefix(line, "IRQ ")) {
            note_irq(s, line);
            g_free(line);
            continue;
        }
        return line;
    }
}

char *qtest_raw(QTestState *s, const char *line)
{
    g_autofree char *text = g_strconcat(line, "\n", NULL);

    send_all(s->qtest_fd, text, strlen(text));
    return read_reply(s);
}

char *qtest_rawf(QTestState *s, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *line = NULL;

    va_start(ap, fmt);
    line = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return qtest_raw(s, line);
}

static char *expect_ok(QTestState *s, const char *line)
{
    char *rsp = qtest_raw(s, line);

    if (strcmp(rsp, "OK") && !g_str_has_prefix(rsp, "OK ")) {
        g_error("qtest: '%s' answered '%s'", line, rsp);
    }
    return rsp;
}

static uint64_t read_n(QTestState *s, const char *cmd, uint64_t addr)
{
    g_autofree char *line = g_strdup_printf("%s 0x%" PRIx64, cmd, addr);
    g_autofree char *rsp = expect_ok(s, line);

    return g_ascii_strtoull(rsp + 3, NULL, 0);
}

static void write_n(QTestState *s, const char *cmd, uint64_t addr, uint64_t v)
{
    g_autofree char *line = g_strdup_printf("%s 0x%" PRIx64 " 0x%" PRIx64, cmd, addr, v);
    g_autofree char *rsp = expect_ok(s, line);
}

uint8_t qtest_readb(QTestState *s, uint64_t a) { return read_n(s, "readb", a); }
uint16_t qtest_readw(QTestState *s, uint64_t a) { return read_n(s, "readw", a); }
uint32_t qtest_readl(QTestState *s, uint64_t a) { return read_n(s, "readl", a); }
uint64_t qtest_readq(QTestState *s, uint64_t a) { return read_n(s, "readq", a); }
void qtest_writeb(QTestState *s, uint64_t a, uint8_t v) { write_n(s, "writeb", a, v); }
void qtest_writew(QTestState *s, uint64_t a, uint16_t v) { write_n(s, "writew", a, v); }
void qtest_writel(QTestState *s, uint64_t a, uint32_t v) { write_n(s, "writel", a, v); }
void qtest_writeq(QTestState *s, uint64_t a, uint64_t v) { write_n(s, "writeq", a, v); }

void qtest_memread(QTestState *s, uint64_t addr, void *buf, size_t size)
{
    g_autofree char *line = g_strdup_printf("read 0x%" PRIx64 " 0x%zx", addr, size);
    g_autofree char *rsp = expect_ok(s, line);
    uint8_t *out = buf;

    g_assert(g_str_has_prefix(rsp, "OK 0x"));
    g_assert_cmpuint(strlen(rsp + 5), ==, 2 * size);
    for (size_t i = 0; i < size; i++) {
        out[i] = g_ascii_xdigit_value(rsp[5 + 2 * i]) << 4 |
                 g_ascii_xdigit_value(rsp[5 + 2 * i + 1]);
    }
}

void qtest_memwrite(QTestState *s, uint64_t addr, const void *buf, size_t size)
{
    GString *line = g_string_new(NULL);
    const uint8_t *in = buf;
    g_autofree char *rsp = NULL;

    g_string_printf(line, "write 0x%" PRIx64 " 0x%zx 0x", addr, size);
    for (size_t i = 0; i < size; i++) {
        g_string_append_printf(line, "%02x", in[i]);
    }
    rsp = expect_ok(s, line->str);
    g_string_free(line, TRUE);
}

void qtest_bufread(QTestState *s, uint64_t addr, void *buf, size_t size)
{
    g_autofree char *line = g_strdup_printf("b64read 0x%" PRIx64 " 0x%zx", addr, size);
    g_autofree char *rsp = expect_ok(s, line);
    gsize len;
    g_autofree guchar *data = g_base64_decode(rsp + 3, &len);

    g_assert_cmpuint(len, ==, size);
    memcpy(buf, data, size);
}

void qtest_bufwrite(QTestState *s, uint64_t addr, const void *buf, size_t size)
{
    g_autofree char *b64 = g_base64_encode(buf, size);
    g_autofree char *line = g_strdup_printf("b64write 0x%" PRIx64 " 0x%zx %s", addr, size, b64);
    g_autofree char *rsp = expect_ok(s, line);
}

void qtest_memset(QTestState *s, uint64_t addr, uint8_t pattern, size_t size)
{
    g_autofree char *line = g_strdup_printf("memset 0x%" PRIx64 " 0x%zx 0x%02x", addr, size,
                                            pattern);
    g_autofree char *rsp = expect_ok(s, line);
}

static int64_t clock_cmd(QTestState *s, const char *line)
{
    g_autofree char *rsp = expect_ok(s, line);

    return g_ascii_strtoll(rsp + 3, NULL, 0);
}

int64_t qtest_clock_step(QTestState *s, int64_t ns)
{
    g_autofree char *line = g_strdup_printf("clock_step %" PRId64, ns);
    return clock_cmd(s, line);
}

int64_t qtest_clock_step_next(QTestState *s)
{
    return clock_cmd(s, "clock_step");
}

int64_t qtest_clock_set(QTestState *s, int64_t ns)
{
    g_autofree char *line = g_strdup_printf("clock_set %" PRId64, ns);
    return clock_cmd(s, line);
}

void qtest_irq_intercept_in(QTestState *s, const char *path)
{
    g_autofree char *line = g_strdup_printf("irq_intercept_in %s", path);
    g_autofree char *rsp = expect_ok(s, line);
}

void qtest_irq_intercept_out(QTestState *s, const char *path)
{
    g_autofree char *line = g_strdup_printf("irq_intercept_out %s", path);
    g_autofree char *rsp = expect_ok(s, line);
}

bool qtest_get_irq(QTestState *s, int n)
{
    /* let pending IRQ lines arrive: a no-op round trip */
    g_autofree char *rsp = expect_ok(s, "endianness");

    return GPOINTER_TO_INT(g_hash_table_lookup(s->irq_level, GINT_TO_POINTER(n)));
}

unsigned qtest_irq_raise_count(QTestState *s, int n)
{
    g_autofree char *rsp = expect_ok(s, "endianness");

    return GPOINTER_TO_UINT(g_hash_table_lookup(s->irq_raises, GINT_TO_POINTER(n)));
}

uint64_t qtest_rtas_call(QTestState *s, const char *name, uint32_t nargs, uint64_t args,
                         uint32_t nret, uint64_t rets)
{
    g_autofree char *line = g_strdup_printf("rtas %s %u 0x%" PRIx64 " %u 0x%" PRIx64,
                                            name, nargs, args, nret, rets);
    g_autofree char *rsp = expect_ok(s, line);

    return g_ascii_strtoull(rsp + 3, NULL, 10);
}

int64_t qtest_hcall(QTestState *s, uint64_t opcode, int nargs, const uint64_t *args,
                    uint64_t *outs, int max_outs, int *nouts)
{
    g_autoptr(GString) line = g_string_new(NULL);
    g_autofree char *rsp = NULL;
    g_auto(GStrv) w = NULL;
    int n = 0;
    int64_t ret;

    g_string_printf(line, "hcall 0x%" PRIx64, opcode);
    for (int i = 0; i < nargs; i++) {
        g_string_append_printf(line, " 0x%" PRIx64, args[i]);
    }
    rsp = expect_ok(s, line->str);
    w = g_strsplit(rsp, " ", -1);
    g_assert(w[1]);
    ret = g_ascii_strtoll(w[1], NULL, 10);
    for (int i = 2; w[i]; i++) {
        if (outs && n < max_outs) {
            outs[n] = g_ascii_strtoull(w[i], NULL, 0);
        }
        n++;
    }
    if (nouts) {
        *nouts = n;
    }
    return ret;
}

/* QMP -------------------------------------------------------------------- */

void qtest_qmp_send_raw(QTestState *s, const char *data, size_t len)
{
    send_all(s->qmp_fd, data, len);
}

static void qmp_vsend(QTestState *s, const char *fmt, va_list ap)
{
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    g_autofree char *line = g_strconcat(text, "\n", NULL);

    /*
     * One send: the monitor acts on the closing brace, so a command that
     * ends the process (quit) could leave a separate "\n" to hit EPIPE.
     */
    send_all(s->qmp_fd, line, strlen(line));
}

void qtest_qmp_send(QTestState *s, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    qmp_vsend(s, fmt, ap);
    va_end(ap);
}

JsonObject *qtest_qmp_receive(QTestState *s)
{
    while (g_queue_is_empty(&s->qmp_messages)) {
        g_autoptr(GString) chunk = g_string_new(NULL);
        if (!read_more(s->qmp_fd, chunk)) {
            died(s, "QMP");
        }
        json_stream_feed(&s->qmp_stream, (const uint8_t *)chunk->str, chunk->len);
    }
    return g_queue_pop_head(&s->qmp_messages);
}

static JsonObject *receive_reply(QTestState *s)
{
    for (;;) {
        JsonObject *msg = qtest_qmp_receive(s);
        if (json_object_has_member(msg, "event")) {
            g_queue_push_tail(&s->events, msg);
            continue;
        }
        return msg;
    }
}

JsonObject *qtest_qmp(QTestState *s, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    qmp_vsend(s, fmt, ap);
    va_end(ap);
    return receive_reply(s);
}

JsonObject *qtest_qmp_event_ref(QTestState *s, const char *name)
{
    for (GList *l = s->events.head; l; l = l->next) {
        JsonObject *ev = l->data;
        if (!g_strcmp0(json_object_get_string_member(ev, "event"), name)) {
            g_queue_delete_link(&s->events, l);
            return ev;
        }
    }
    return NULL;
}

JsonObject *qtest_qmp_eventwait_ref(QTestState *s, const char *name)
{
    JsonObject *ev = qtest_qmp_event_ref(s, name);

    while (!ev) {
        JsonObject *msg = qtest_qmp_receive(s);
        if (json_object_has_member(msg, "event") &&
            !g_strcmp0(json_object_get_string_member(msg, "event"), name)) {
            return msg;
        }
        if (json_object_has_member(msg, "event")) {
            g_queue_push_tail(&s->events, msg);
        } else {
            g_error("qtest: unexpected reply while waiting for event %s", name);
        }
    }
    return ev;
}

void qtest_qmp_device_add(QTestState *s, const char *driver, const char *id,
                          const char *json_props_fmt, ...)
{
    va_list ap;
    g_autofree char *props = NULL;
    JsonObject *rsp;

    va_start(ap, json_props_fmt);
    props = g_strdup_vprintf(json_props_fmt, ap);
    va_end(ap);
    rsp = qtest_qmp(s, "{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"%s\", "
                    "\"id\": \"%s\"%s%s}}", driver, id, props[0] ? ", " : "", props);
    qmp_rsp_return(rsp);
    json_object_unref(rsp);
}

bool qmp_rsp_is_err(JsonObject *rsp)
{
    return json_object_has_member(rsp, "error");
}

const char *qmp_rsp_error_class(JsonObject *rsp)
{
    JsonObject *e = json_object_get_object_member(rsp, "error");

    return e ? json_object_get_string_member(e, "class") : NULL;
}

const char *qmp_rsp_error_desc(JsonObject *rsp)
{
    JsonObject *e = json_object_get_object_member(rsp, "error");

    return e ? json_object_get_string_member(e, "desc") : NULL;
}

JsonNode *qmp_rsp_return(JsonObject *rsp)
{
    if (qmp_rsp_is_err(rsp)) {
        g_error("qtest: QMP error %s: %s", qmp_rsp_error_class(rsp), qmp_rsp_error_desc(rsp));
    }
    g_assert(json_object_has_member(rsp, "return"));
    return json_object_get_member(rsp, "return");
}
