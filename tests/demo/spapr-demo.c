/*
 * spapr-demo: what `make demo` shows.
 *
 * Starts qemu-system-ppc64 ($QTEST_QEMU_BINARY) with the pseries machine
 * through libqtest, the way every qtest does, and plays the guest for a
 * moment: the QMP side (version, run state, the object tree) and the qtest
 * side (guest RAM reads and writes).  Needs no input and exits 0 when the
 * machine quit cleanly; any protocol error aborts with a message.
 *
 * Later work (PHBs, VFIO, the TCE IOMMU) extends this program with one
 * section each.
 */
#include "libqtest.h"

#include <stdio.h>
#include <string.h>

#define DEMO_RAM_SIZE  (2ull << 30)
#define DEMO_ARGS      "-machine pseries -m 2G"

static void heading(const char *title)
{
    printf("\n== %s ==\n", title);
}

/* Send a QMP command without arguments; return its "return" node (owned). */
static JsonNode *qmp_simple(QTestState *qts, const char *cmd)
{
    JsonObject *rsp = qtest_qmp(qts, "{\"execute\": \"%s\"}", cmd);
    JsonNode *ret = json_node_copy(qmp_rsp_return(rsp));

    json_object_unref(rsp);
    return ret;
}

static char *node_to_string(JsonNode *node)
{
    return json_to_string(node, FALSE);
}

static void show_version(QTestState *qts)
{
    g_autoptr(JsonNode) ret = qmp_simple(qts, "query-version");
    JsonObject *o = json_node_get_object(ret);
    JsonObject *q = json_object_get_object_member(o, "qemu");

    heading("QMP: query-version");
    printf("QEMU %" G_GINT64_FORMAT ".%" G_GINT64_FORMAT ".%" G_GINT64_FORMAT
           " (package \"%s\")\n",
           json_object_get_int_member(q, "major"), json_object_get_int_member(q, "minor"),
           json_object_get_int_member(q, "micro"),
           json_object_get_string_member(o, "package"));
}

static void show_status(QTestState *qts)
{
    g_autoptr(JsonNode) ret = qmp_simple(qts, "query-status");
    g_autofree char *text = node_to_string(ret);

    heading("QMP: query-status");
    printf("%s\n", text);
}

/* The node's properties on one line, then each child object, indented. */
static void show_tree(QTestState *qts, const char *path, int depth)
{
    JsonObject *rsp = qtest_qmp(qts, "{\"execute\": \"qom-list\", "
                                "\"arguments\": {\"path\": \"%s\"}}", path);
    JsonArray *props = json_node_get_array(qmp_rsp_return(rsp));
    g_autoptr(GString) plain = g_string_new(NULL);
    guint n = json_array_get_length(props);

    for (guint i = 0; i < n; i++) {
        JsonObject *p = json_array_get_object_element(props, i);
        const char *name = json_object_get_string_member(p, "name");
        const char *type = json_object_get_string_member(p, "type");

        if (!g_str_has_prefix(type, "child<") && strcmp(name, "type")) {
            g_string_append_printf(plain, "%s%s (%s)", plain->len ? ", " : "", name, type);
        }
    }
    if (plain->len) {
        printf("%*sproperties: %s\n", 2 * depth + 2, "", plain->str);
    }
    for (guint i = 0; i < n; i++) {
        JsonObject *p = json_array_get_object_element(props, i);
        const char *name = json_object_get_string_member(p, "name");
        const char *type = json_object_get_string_member(p, "type");

        if (g_str_has_prefix(type, "child<")) {
            g_autofree char *child = g_strdup_printf("%s/%s", path, name);
            printf("%*s%s  %s\n", 2 * depth + 2, "", name, type);
            show_tree(qts, child, depth + 1);
        }
    }
    json_object_unref(rsp);
}

static void show_machine_type(QTestState *qts)
{
    JsonObject *rsp = qtest_qmp(qts, "{\"execute\": \"qom-get\", \"arguments\": "
                                "{\"path\": \"/machine\", \"property\": \"type\"}}");

    printf("/machine  child<%s>\n", json_node_get_string(qmp_rsp_return(rsp)));
    json_object_unref(rsp);
}

static void hexdump(const char *label, uint64_t addr, const uint8_t *buf, size_t len)
{
    printf("%-6s 0x%08" G_GINT64_MODIFIER "x:", label, addr);
    for (size_t i = 0; i < len; i++) {
        printf(" %02x", buf[i]);
    }
    printf("\n");
}

static bool round_trip(QTestState *qts, uint64_t addr)
{
    uint8_t pattern[16], back[16];

    for (size_t i = 0; i < sizeof(pattern); i++) {
        pattern[i] = 0xa0 + i;
    }
    qtest_memwrite(qts, addr, pattern, sizeof(pattern));
    qtest_memread(qts, addr, back, sizeof(back));
    hexdump("wrote", addr, pattern, sizeof(pattern));
    hexdump("read", addr, back, sizeof(back));
    return !memcmp(pattern, back, sizeof(back));
}

/*
 * No QOM property carries the RAM size yet, so show what the machine
 * does with it: the last byte of RAM keeps a value, the first byte past
 * it is unassigned (reads 0xff, writes are dropped).
 */
static bool show_ram(QTestState *qts)
{
    uint64_t last = DEMO_RAM_SIZE - 1, past = DEMO_RAM_SIZE;
    uint8_t in_ram, beyond;

    heading("Guest RAM");
    printf("size from the command line: %llu MiB (-m 2G), mapped at 0x0\n",
           DEMO_RAM_SIZE >> 20);
    qtest_writeb(qts, last, 0x5a);
    qtest_writeb(qts, past, 0x5a);
    in_ram = qtest_readb(qts, last);
    beyond = qtest_readb(qts, past);
    printf("writeb 0x5a at 0x%llx (last RAM byte)  -> readb 0x%02x\n",
           (unsigned long long)last, in_ram);
    printf("writeb 0x5a at 0x%llx (past the end)   -> readb 0x%02x (unassigned)\n",
           (unsigned long long)past, beyond);
    return in_ram == 0x5a && beyond == 0xff;
}

/* QMP quit, then let libqtest reap the process once it has exited. */
static void quit(QTestState *qts)
{
    g_autoptr(JsonNode) ret = qmp_simple(qts, "quit");
    JsonObject *ev = qtest_qmp_eventwait_ref(qts, "SHUTDOWN");
    g_autofree char *stat_path = g_strdup_printf("/proc/%d/stat", qtest_pid(qts));

    json_object_unref(ev);
    /*
     * qtest_quit() sends SIGTERM; wait until the process is a zombie so
     * the signal finds nothing left to interrupt (up to 5 s).
     */
    for (int i = 0; i < 500; i++) {
        g_autofree char *stat = NULL;
        const char *state;

        if (!g_file_get_contents(stat_path, &stat, NULL, NULL)) {
            break;
        }
        state = strrchr(stat, ')');
        if (state && state[1] == ' ' && state[2] == 'Z') {
            break;
        }
        g_usleep(10000);
    }
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    QTestState *qts;
    bool ok = true;

    printf("spapr-demo: starting %s %s\n", qtest_binary(), DEMO_ARGS);
    qts = qtest_init(DEMO_ARGS);

    show_version(qts);
    show_status(qts);

    heading("QOM tree under /machine (qom-list)");
    show_machine_type(qts);
    show_tree(qts, "/machine", 0);

    ok &= show_ram(qts);

    heading("qtest round trip: 16 bytes at 0x1000");
    ok &= round_trip(qts, 0x1000);

    heading("Shutdown");
    quit(qts);
    printf("QMP quit: SHUTDOWN event received, process exited with status 0\n");

    printf("\nspapr-demo: %s\n", ok ? "all checks passed" : "MISMATCH (see above)");
    return ok ? 0 : 1;
}
