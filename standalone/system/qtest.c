/*
 * qtest: QEMU's line protocol for tests that play the guest.
 *
 * Every reply starts with OK, FAIL or ERR; asynchronous "IRQ raise N" /
 * "IRQ lower N" lines may come before a reply.  Where QEMU would assert on
 * a malformed command (bad number, size 0, missing argument), this server
 * answers FAIL with the reason: a test must never crash the machine.
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "qemu/log.h"
#include "hw/boards.h"
#include "system/clock.h"
#include "system/qtest.h"
#include "trace-events-all.h"

/* Largest read/write/memset/b64 transfer: far above what tests need, far below OOM. */
#define QTEST_MAX_XFER (256u << 20)

typedef struct QtestServer {
    Chardev *chr;
    GString *line;
    FILE *log;
    gint64 start_us;
    Device *intercepted;       /* device whose IRQs go to the test */
    GHashTable *irq_levels;    /* int -> level, to report only changes */
    IrqLine *out_lines;        /* intercept_out replacements */
    int n_out_lines;
} QtestServer;

static QtestServer *server;
static bool qtest_on;

bool qtest_enabled(void)
{
    return qtest_on;
}

void qtest_set_enabled(void)
{
    qtest_on = true;
}

static void qtest_log(const char *dir, const char *text)
{
    if (server->log) {
        double t = (g_get_monotonic_time() - server->start_us) / 1e6;
        fprintf(server->log, "[%s +%f] %s", dir, t, text);
        fflush(server->log);
    }
}

static void G_GNUC_PRINTF(1, 2) qtest_sendf(const char *fmt, ...)
{
    va_list ap;
    g_autofree char *text = NULL;

    va_start(ap, fmt);
    text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    qtest_log("S", text);
    chardev_write_all(server->chr, text, strlen(text));
}

/* IRQ interception ------------------------------------------------------- */

static void qtest_irq_handler(void *opaque, int n, int level)
{
    gpointer key = GINT_TO_POINTER(n);
    int old;

    /* devices torn down after the server (machine_destroy) may still lower lines */
    if (!server) {
        return;
    }
    old = GPOINTER_TO_INT(g_hash_table_lookup(server->irq_levels, key));
    level = !!level;
    if (old == level) {
        return;
    }
    g_hash_table_insert(server->irq_levels, key, GINT_TO_POINTER(level));
    qtest_sendf("IRQ %s %d\n", level ? "raise" : "lower", n);
}

static Device *find_device(const char *path)
{
    Object *obj = object_resolve_path(path);

    return obj && IS_DEVICE(obj) ? DEVICE(obj) : NULL;
}

static void cmd_irq_intercept(char **words, bool in)
{
    Device *dev = find_device(words[1]);

    if (!dev) {
        qtest_sendf("FAIL Unknown device\n");
        return;
    }
    if (server->intercepted) {
        qtest_sendf("FAIL IRQ intercept already enabled\n");
        return;
    }
    if (in) {
        if (words[2]) {
            qtest_sendf("FAIL Interception of named in-GPIOs not yet supported\n");
            return;
        }
        if (!dev->gpio_in->len) {
            qtest_sendf("FAIL No intercepts installed\n");
            return;
        }
        for (guint i = 0; i < dev->gpio_in->len; i++) {
            IrqLine *line = g_ptr_array_index(dev->gpio_in, i);
            line->handler = qtest_irq_handler;
            line->opaque = NULL;
        }
    } else {
        if ((words[2] && g_strcmp0(words[2], "unnamed-gpio-out")) || !dev->gpio_out->len) {
            qtest_sendf("FAIL No intercepts installed\n");
            return;
        }
        server->n_out_lines = dev->gpio_out->len;
        server->out_lines = g_new0(IrqLine, server->n_out_lines);
        for (int i = 0; i < server->n_out_lines; i++) {
            server->out_lines[i] = (IrqLine){ qtest_irq_handler, NULL, i };
            qdev_connect_gpio_out(dev, i, &server->out_lines[i]);
        }
    }
    server->intercepted = dev;
    qtest_sendf("OK\n");
}

/* Argument parsing -------------------------------------------------------- */

static bool get_u64(const char *word, uint64_t *out)
{
    char *end;

    if (!word || !*word || *word == '-') {
        return false;
    }
    errno = 0;
    *out = g_ascii_strtoull(word, &end, 0);
    return !errno && !*end;
}

static bool get_i64(const char *word, int64_t *out)
{
    char *end;

    if (!word || !*word) {
        return false;
    }
    errno = 0;
    *out = g_ascii_strtoll(word, &end, 0);
    return !errno && !*end;
}

static unsigned nwords(char **words)
{
    return g_strv_length(words);
}

#define NEED_ARGS(n)                                                        \
    do {                                                                    \
        if (nwords(words) < (n) + 1) {                                      \
            qtest_sendf("FAIL missing argument\n");                         \
            return;                                                         \
        }                                                                   \
    } while (0)

#define GET_U64(i, var)                                                     \
    do {                                                                    \
        if (!get_u64(words[i], &(var))) {                                   \
            qtest_sendf("FAIL invalid number '%s'\n", words[i]);            \
            return;                                                         \
        }                                                                   \
    } while (0)

static AddressSpace *as(void)
{
    return current_machine->system_as;
}

/* Commands ---------------------------------------------------------------- */

static void cmd_read_n(char **words, unsigned size)
{
    uint64_t addr, v = 0;
    uint8_t buf[8];

    NEED_ARGS(1);
    GET_U64(1, addr);
    address_space_read(as(), addr, buf, size);
    for (unsigned i = 0; i < size; i++) {
        v = v << 8 | buf[i];            /* the target (ppc64) is big-endian */
    }
    qtest_sendf("OK 0x%016" PRIx64 "\n", v);
}

static void cmd_write_n(char **words, unsigned size)
{
    uint64_t addr, v;
    uint8_t buf[8];

    NEED_ARGS(2);
    GET_U64(1, addr);
    GET_U64(2, v);
    for (unsigned i = 0; i < size; i++) {
        buf[i] = v >> (8 * (size - 1 - i));
    }
    address_space_write(as(), addr, buf, size);
    qtest_sendf("OK\n");
}

static bool get_size(char **words, int i, uint64_t *size, bool allow_zero)
{
    if (!get_u64(words[i], size)) {
        qtest_sendf("FAIL invalid number '%s'\n", words[i]);
        return false;
    }
    if ((*size == 0 && !allow_zero) || *size > QTEST_MAX_XFER) {
        qtest_sendf("FAIL invalid size %" PRIu64 " (1..%u)\n", *size, QTEST_MAX_XFER);
        return false;
    }
    return true;
}

static void cmd_read(char **words)
{
    uint64_t addr, size;
    g_autofree uint8_t *data = NULL;
    g_autofree char *hex = NULL;
    static const char digits[] = "0123456789abcdef";

    NEED_ARGS(2);
    GET_U64(1, addr);
    if (!get_size(words, 2, &size, false)) {
        return;
    }
    data = g_malloc(size);
    address_space_read(as(), addr, data, size);
    hex = g_malloc(2 * size + 1);
    for (uint64_t i = 0; i < size; i++) {
        hex[2 * i] = digits[data[i] >> 4];
        hex[2 * i + 1] = digits[data[i] & 0xf];
    }
    hex[2 * size] = 0;
    qtest_sendf("OK 0x%s\n", hex);
}

static int hexval(char c)
{
    return g_ascii_xdigit_value(c);
}

static void cmd_write(char **words)
{
    uint64_t addr, size;
    const char *hex;
    size_t hexlen;
    g_autofree uint8_t *data = NULL;

    NEED_ARGS(3);
    GET_U64(1, addr);
    if (!get_size(words, 2, &size, false)) {
        return;
    }
    hex = words[3];
    hexlen = strlen(hex);
    if (hexlen < 3) {
        qtest_sendf("ERR invalid argument size\n");
        return;
    }
    if (hex[0] != '0' || (hex[1] != 'x' && hex[1] != 'X')) {
        qtest_sendf("FAIL data must start with 0x\n");
        return;
    }
    data = g_malloc0(size);
    for (uint64_t i = 0; i < size && 2 + 2 * i < hexlen; i++) {
        int hi = hexval(hex[2 + 2 * i]);
        int lo = 2 + 2 * i + 1 < hexlen ? hexval(hex[2 + 2 * i + 1]) : 0;
        if (hi < 0 || lo < 0) {
            qtest_sendf("FAIL invalid hex data\n");
            return;
        }
        data[i] = hi << 4 | lo;
    }
    address_space_write(as(), addr, data, size);
    qtest_sendf("OK\n");
}

static void cmd_memset(char **words)
{
    uint64_t addr, size, byte;
    g_autofree uint8_t *data = NULL;

    NEED_ARGS(3);
    GET_U64(1, addr);
    if (!get_size(words, 2, &size, true)) {
        return;
    }
    GET_U64(3, byte);
    if (size) {
        data = g_malloc(size);
        memset(data, byte & 0xff, size);
        address_space_write(as(), addr, data, size);
    }
    qtest_sendf("OK\n");
}

static void cmd_b64read(char **words)
{
    uint64_t addr, size;
    g_autofree uint8_t *data = NULL;
    g_autofree char *b64 = NULL;

    NEED_ARGS(2);
    GET_U64(1, addr);
    if (!get_size(words, 2, &size, false)) {
        return;
    }
    data = g_malloc(size);
    address_space_read(as(), addr, data, size);
    b64 = g_base64_encode(data, size);
    qtest_sendf("OK %s\n", b64);
}

static void cmd_b64write(char **words)
{
    uint64_t addr, size;
    gsize out_len = 0;
    g_autofree uint8_t *data = NULL;

    NEED_ARGS(3);
    GET_U64(1, addr);
    if (!get_size(words, 2, &size, true)) {
        return;
    }
    if (strlen(words[3]) < 3) {
        qtest_sendf("ERR invalid argument size\n");
        return;
    }
    data = g_base64_decode(words[3], &out_len);
    if (out_len != size) {
        qtest_log("I", "b64write: data length does not match size\n");
    }
    address_space_write(as(), addr, data, MIN(out_len, size));
    qtest_sendf("OK\n");
}

static void cmd_clock(char **words, bool step)
{
    int64_t ns, now = clock_get_ns();

    if (step && !words[1]) {
        int64_t d = clock_deadline_ns();
        ns = d < 0 ? now : now + d;
    } else {
        NEED_ARGS(1);
        /* a step past the end of time is as invalid as a negative one */
        if (!get_i64(words[1], &ns) || (step && (ns < 0 || ns > INT64_MAX - now))) {
            qtest_sendf("FAIL invalid number '%s'\n", words[1]);
            return;
        }
        if (step) {
            ns = now + ns;
        }
    }
    if (ns < now) {
        qtest_sendf("FAIL %" PRId64 "\n", now);   /* the clock never goes back */
        return;
    }
    qtest_sendf("OK %" PRId64 "\n", clock_warp_to(ns));
}

static void cmd_rtas(char **words)
{
    MachineClass *mc = MACHINE_GET_CLASS(current_machine);
    uint64_t nargs, args, nret, rets, hret = 0;

    NEED_ARGS(5);
    GET_U64(2, nargs);
    GET_U64(3, args);
    GET_U64(4, nret);
    GET_U64(5, rets);
    if (!mc->qtest_rtas || nargs > UINT32_MAX || nret > UINT32_MAX ||
        !mc->qtest_rtas(current_machine, words[1], nargs, args, nret, rets, &hret)) {
        hret = (uint64_t)-4;            /* H_PARAMETER, as QEMU answers */
    }
    qtest_sendf("OK %" PRIu64 "\n", hret);
}

#define QTEST_HCALL_MAX_ARGS 9
#define QTEST_HCALL_MAX_OUTS 9

static void cmd_hcall(char **words)
{
    MachineClass *mc = MACHINE_GET_CLASS(current_machine);
    uint64_t opcode, args[QTEST_HCALL_MAX_ARGS] = { 0 }, outs[QTEST_HCALL_MAX_OUTS] = { 0 };
    int nargs = nwords(words) - 2, nouts = 0;
    int64_t ret;
    g_autoptr(GString) reply = g_string_new("OK");

    NEED_ARGS(1);
    GET_U64(1, opcode);
    if (nargs > QTEST_HCALL_MAX_ARGS) {
        qtest_sendf("FAIL too many arguments (at most %d)\n", QTEST_HCALL_MAX_ARGS);
        return;
    }
    for (int i = 0; i < nargs; i++) {
        GET_U64(2 + i, args[i]);
    }
    if (!mc->qtest_hcall) {
        qtest_sendf("FAIL this machine has no hypercalls\n");
        return;
    }
    ret = mc->qtest_hcall(current_machine, opcode, args, nargs, outs, &nouts);
    g_string_append_printf(reply, " %" PRId64, ret);
    for (int i = 0; i < nouts && i < QTEST_HCALL_MAX_OUTS; i++) {
        g_string_append_printf(reply, " 0x%" PRIx64, outs[i]);
    }
    qtest_sendf("%s\n", reply->str);
}

static void cmd_set_irq_in(char **words)
{
    Device *dev;
    uint64_t num;
    int64_t level;

    NEED_ARGS(4);
    dev = find_device(words[1]);
    if (!dev) {
        qtest_sendf("FAIL Unknown device\n");
        return;
    }
    GET_U64(3, num);
    if (!get_i64(words[4], &level)) {
        qtest_sendf("FAIL invalid number '%s'\n", words[4]);
        return;
    }
    if (g_strcmp0(words[2], "unnamed-gpio-in") || num >= dev->gpio_in->len) {
        qtest_sendf("FAIL No such GPIO\n");
        return;
    }
    qemu_set_irq(qdev_get_gpio_in(dev, num), level);
    qtest_sendf("OK\n");
}

static void process_line(const char *line)
{
    g_auto(GStrv) all = g_strsplit(line, " ", 0);
    g_autoptr(GPtrArray) v = g_ptr_array_new();
    char **words;
    const char *cmd;

    for (int i = 0; all[i]; i++) {
        if (all[i][0]) {
            g_ptr_array_add(v, all[i]);
        }
    }
    if (!v->len) {
        return;
    }
    g_ptr_array_add(v, NULL);
    words = (char **)v->pdata;
    cmd = words[0];
    trace_qtest_command(cmd);

    if (!strcmp(cmd, "readb")) {
        cmd_read_n(words, 1);
    } else if (!strcmp(cmd, "readw")) {
        cmd_read_n(words, 2);
    } else if (!strcmp(cmd, "readl")) {
        cmd_read_n(words, 4);
    } else if (!strcmp(cmd, "readq")) {
        cmd_read_n(words, 8);
    } else if (!strcmp(cmd, "writeb")) {
        cmd_write_n(words, 1);
    } else if (!strcmp(cmd, "writew")) {
        cmd_write_n(words, 2);
    } else if (!strcmp(cmd, "writel")) {
        cmd_write_n(words, 4);
    } else if (!strcmp(cmd, "writeq")) {
        cmd_write_n(words, 8);
    } else if (!strcmp(cmd, "read")) {
        cmd_read(words);
    } else if (!strcmp(cmd, "write")) {
        cmd_write(words);
    } else if (!strcmp(cmd, "memset")) {
        cmd_memset(words);
    } else if (!strcmp(cmd, "b64read")) {
        cmd_b64read(words);
    } else if (!strcmp(cmd, "b64write")) {
        cmd_b64write(words);
    } else if (!strcmp(cmd, "endianness")) {
        qtest_sendf("OK big\n");
    } else if (!strcmp(cmd, "clock_step")) {
        cmd_clock(words, true);
    } else if (!strcmp(cmd, "clock_set")) {
        cmd_clock(words, false);
    } else if (!strcmp(cmd, "irq_intercept_in") || !strcmp(cmd, "irq_intercept_out")) {
        if (!words[1]) {
            qtest_sendf("FAIL missing argument\n");
            return;
        }
        cmd_irq_intercept(words, !strcmp(cmd, "irq_intercept_in"));
    } else if (!strcmp(cmd, "set_irq_in")) {
        cmd_set_irq_in(words);
    } else if (!strcmp(cmd, "module_load")) {
        qtest_sendf("FAIL\n");          /* as QEMU built without modules */
    } else if (!strcmp(cmd, "rtas")) {
        cmd_rtas(words);
    } else if (!strcmp(cmd, "hcall")) {
        cmd_hcall(words);
    } else if (!strcmp(cmd, "inb") || !strcmp(cmd, "inw") || !strcmp(cmd, "inl") ||
               !strcmp(cmd, "outb") || !strcmp(cmd, "outw") || !strcmp(cmd, "outl")) {
        qtest_sendf("FAIL pseries has no I/O port space\n");
    } else {
        qtest_sendf("FAIL Unknown command '%s'\n", cmd);
    }
}

static void qtest_read(void *opaque, const uint8_t *buf, size_t len)
{
    g_string_append_len(server->line, (const char *)buf, len);
    for (;;) {
        char *nl = memchr(server->line->str, '\n', server->line->len);
        g_autofree char *line = NULL;
        size_t n;

        if (!nl) {
            if (server->line->len > 4 * QTEST_MAX_XFER) {
                qtest_sendf("FAIL line too long\n");
                g_string_truncate(server->line, 0);
            }
            return;
        }
        n = nl - server->line->str;
        line = g_strndup(server->line->str, n);
        g_string_erase(server->line, 0, n + 1);
        if (n && line[n - 1] == '\r') {
            line[n - 1] = 0;
        }
        if (server->log) {
            g_autofree char *l = g_strdup_printf("%s\n", line);
            qtest_log("R", l);
        }
        process_line(line);
    }
}

static void qtest_event(void *opaque, ChardevEvent event)
{
    if (event == CHR_EVENT_OPENED) {
        server->start_us = g_get_monotonic_time();
        qtest_log("I", "OPENED\n");
    } else {
        qtest_log("I", "CLOSED\n");
        g_string_truncate(server->line, 0);
    }
}

gboolean qtest_server_init(Chardev *chr, const char *logfile, GError **errp)
{
    server = g_new0(QtestServer, 1);
    server->chr = chr;
    server->line = g_string_new(NULL);
    server->irq_levels = g_hash_table_new(NULL, NULL);
    server->start_us = g_get_monotonic_time();
    if (logfile && strcmp(logfile, "none")) {
        server->log = fopen(logfile, "a");
        if (!server->log) {
            error_setg_errno(errp, errno, "cannot open qtest log '%s'", logfile);
            return FALSE;
        }
    }
    return chardev_set_frontend(chr, qtest_read, qtest_event, NULL, errp);
}

void qtest_server_cleanup(void)
{
    if (!server) {
        return;
    }
    if (server->log) {
        fclose(server->log);
    }
    g_string_free(server->line, TRUE);
    g_hash_table_unref(server->irq_levels);
    g_free(server->out_lines);
    g_clear_pointer(&server, g_free);
}
