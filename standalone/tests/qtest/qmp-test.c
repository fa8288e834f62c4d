/*
 * QMP protocol: greeting, negotiation, errors, ids, malformed input,
 * several monitors, events.
 */
#include "libqtest.h"

#include <stdio.h>
#include <string.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>

static void assert_error_class(JsonObject *rsp, const char *cls)
{
    g_assert(qmp_rsp_is_err(rsp));
    g_assert_cmpstr(qmp_rsp_error_class(rsp), ==, cls);
    g_assert(qmp_rsp_error_desc(rsp) != NULL);
    json_object_unref(rsp);
}

/* The session still answers a normal command after something bad. */
static void assert_recovered(QTestState *qts)
{
    JsonObject *rsp = qtest_qmp(qts, "{\"execute\": \"no-such-cmd\"}");

    assert_error_class(rsp, "CommandNotFound");
}

static void test_greeting_and_negotiation(void)
{
    QTestState *qts = qtest_init_without_qmp_handshake("-machine pseries");
    JsonObject *greeting = qtest_qmp_receive(qts);
    JsonObject *qmp, *ver, *q, *rsp;
    JsonArray *caps;

    g_assert(json_object_has_member(greeting, "QMP"));
    qmp = json_object_get_object_member(greeting, "QMP");
    ver = json_object_get_object_member(qmp, "version");
    q = json_object_get_object_member(ver, "qemu");
    g_assert(json_object_has_member(q, "major"));
    g_assert(json_object_has_member(q, "minor"));
    g_assert(json_object_has_member(q, "micro"));
    g_assert(json_object_has_member(ver, "package"));
    caps = json_object_get_array_member(qmp, "capabilities");
    g_assert_cmpstr(json_array_get_string_element(caps, 0), ==, "oob");
    json_object_unref(greeting);

    /* anything but qmp_capabilities first is CommandNotFound */
    assert_error_class(qtest_qmp(qts, "{\"execute\": \"query-status\"}"), "CommandNotFound");
    /* a capability that does not exist is refused, negotiation still pending */
    assert_error_class(qtest_qmp(qts, "{\"execute\": \"qmp_capabilities\", \"arguments\": "
                                 "{\"enable\": [\"cap-does-not-exist\"]}}"), "GenericError");
    assert_error_class(qtest_qmp(qts, "{\"execute\": \"query-status\"}"), "CommandNotFound");

    rsp = qtest_qmp(qts, "{\"execute\": \"qmp_capabilities\", \"arguments\": "
                    "{\"enable\": [\"oob\"]}}");
    qmp_rsp_return(rsp);
    json_object_unref(rsp);
    /* a second negotiation is CommandNotFound */
    assert_error_class(qtest_qmp(qts, "{\"execute\": \"qmp_capabilities\"}"), "CommandNotFound");
    qtest_quit(qts);
}

static void test_id_echo(void)
{
    QTestState *qts = qtest_init("-machine pseries");
    JsonObject *rsp;

    rsp = qtest_qmp(qts, "{\"execute\": \"query-status\", \"id\": \"cookie#1\"}");
    qmp_rsp_return(rsp);
    g_assert_cmpstr(json_object_get_string_member(rsp, "id"), ==, "cookie#1");
    json_object_unref(rsp);

    rsp = qtest_qmp(qts, "{\"execute\": \"no-such\", \"id\": 2}");
    g_assert_cmpint(json_object_get_int_member(rsp, "id"), ==, 2);
    assert_error_class(rsp, "CommandNotFound");

    rsp = qtest_qmp(qts, "{\"execute\": \"query-status\", \"id\": {\"a\": [1, 2]}}");
    g_assert(JSON_NODE_HOLDS_OBJECT(json_object_get_member(rsp, "id")));
    json_object_unref(rsp);
    qtest_quit(qts);
}

static void test_malformed(void)
{
    QTestState *qts = qtest_init("-machine pseries");
    static const char *const cases[] = {
        "{]\n",                       /* syntax error */
        "\xff",                       /* impossible byte outside a string */
        "\x01",                       /* control character outside a string */
        "{\"execute\": \"\xff\"}",    /* invalid UTF-8 in a string */
        "{\"execute\": \"a\nb\"}",    /* raw newline inside a string */
        "%p\n",                       /* interpolation is not for the wire */
        "null\n",                     /* not an object */
        "{}",                         /* no execute */
        "{\"execute\": 42}",          /* execute not a string */
        "{\"execute\": \"query-status\", \"arguments\": []}",
        "{\"execute\": \"query-status\", \"extra\": 1}",
        "{\"execute\": \"query-status\", \"arguments\": {\"bogus\": 1}}",
        "{\"execute\": \"qom-list\"}",                       /* missing argument */
        "{\"execute\": \"qom-list\", \"arguments\": {\"path\": 1}}",  /* ill-typed */
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        JsonObject *rsp;

        qtest_qmp_send_raw(qts, cases[i], strlen(cases[i]));
        rsp = qtest_qmp_receive(qts);
        if (!qmp_rsp_is_err(rsp)) {
            g_error("case %zu was accepted", i);
        }
        assert_error_class(rsp, "GenericError");
        assert_recovered(qts);
    }
    qtest_quit(qts);
}

static void test_oversized_and_deep(void)
{
    QTestState *qts = qtest_init("-machine pseries");
    GString *deep = g_string_new(NULL);
    GString *big = g_string_new("{\"execute\": \"query-status\", \"id\": \"");
    JsonObject *rsp;

    /* well-formed but deeper than the 1024 levels QEMU allows */
    for (int i = 0; i < 2000; i++) {
        g_string_append_c(deep, '[');
    }
    for (int i = 0; i < 2000; i++) {
        g_string_append_c(deep, ']');
    }
    qtest_qmp_send_raw(qts, deep->str, deep->len);
    assert_error_class(qtest_qmp_receive(qts), "GenericError");
    assert_recovered(qts);

    /* one byte more than the 64 MiB a message may have */
    g_string_set_size(big, (64u << 20) + 1);
    memset(big->str + 38, 'a', big->len - 38);
    qtest_qmp_send_raw(qts, big->str, big->len);
    qtest_qmp_send_raw(qts, "\"}\n", 3);
    rsp = qtest_qmp_receive(qts);
    assert_error_class(rsp, "GenericError");
    assert_recovered(qts);
    g_string_free(deep, TRUE);
    g_string_free(big, TRUE);
    qtest_quit(qts);
}

static void test_two_monitors(void)
{
    g_autofree char *dir = qtest_tmpdir();
    g_autofree char *path = g_strdup_printf("%s/second.sock", dir);
    g_autofree char *args = g_strdup_printf("-machine pseries -qmp unix:%s,server=on,wait=off",
                                            path);
    QTestState *qts = qtest_init(args);
    g_autoptr(GSocketClient) client = g_socket_client_new();
    g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);
    g_autoptr(GError) err = NULL;
    g_autoptr(GSocketConnection) conn = NULL;
    GInputStream *in;
    GOutputStream *out;
    g_autoptr(GDataInputStream) lines = NULL;
    g_autofree char *greeting = NULL, *ret = NULL, *ev = NULL;
    JsonObject *rsp;
    const char *neg = "{\"execute\": \"qmp_capabilities\"}\n";

    conn = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(addr), NULL, &err);
    g_assert_no_error(err);
    in = g_io_stream_get_input_stream(G_IO_STREAM(conn));
    out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
    lines = g_data_input_stream_new(in);
    greeting = g_data_input_stream_read_line(lines, NULL, NULL, &err);
    g_assert(greeting && strstr(greeting, "\"QMP\""));
    g_output_stream_write_all(out, neg, strlen(neg), NULL, NULL, &err);
    g_assert_no_error(err);
    ret = g_data_input_stream_read_line(lines, NULL, NULL, &err);
    g_assert(ret && strstr(ret, "\"return\""));

    /* an event reaches both negotiated monitors */
    rsp = qtest_qmp(qts, "{\"execute\": \"stop\"}");
    qmp_rsp_return(rsp);
    json_object_unref(rsp);
    json_object_unref(qtest_qmp_eventwait_ref(qts, "STOP"));
    ev = g_data_input_stream_read_line(lines, NULL, NULL, &err);
    g_assert(ev && strstr(ev, "\"STOP\""));
    g_assert(strstr(ev, "\"timestamp\""));

    /* the second client leaves; the first one goes on */
    g_io_stream_close(G_IO_STREAM(conn), NULL, NULL);
    rsp = qtest_qmp(qts, "{\"execute\": \"query-status\"}");
    qmp_rsp_return(rsp);
    json_object_unref(rsp);
    qtest_quit(qts);
    g_rmdir(dir);
}

static void test_runstate(void)
{
    QTestState *qts = qtest_init("-machine pseries -S");
    JsonObject *rsp, *ev, *ret;

    rsp = qtest_qmp(qts, "{\"execute\": \"query-status\"}");
    ret = json_node_get_object(qmp_rsp_return(rsp));
    g_assert_cmpstr(json_object_get_string_member(ret, "status"), ==, "prelaunch");
    g_assert_false(json_object_get_boolean_member(ret, "running"));
    json_object_unref(rsp);

    json_object_unref(qtest_qmp(qts, "{\"execute\": \"cont\"}"));
    json_object_unref(qtest_qmp_eventwait_ref(qts, "RESUME"));
    rsp = qtest_qmp(qts, "{\"execute\": \"query-status\"}");
    ret = json_node_get_object(qmp_rsp_return(rsp));
    g_assert_cmpstr(json_object_get_string_member(ret, "status"), ==, "running");
    g_assert_true(json_object_get_boolean_member(ret, "running"));
    json_object_unref(rsp);

    json_object_unref(qtest_qmp(qts, "{\"execute\": \"system_reset\"}"));
    ev = qtest_qmp_eventwait_ref(qts, "RESET");
    g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(ev, "data"),
                                                  "reason"), ==, "host-qmp-system-reset");
    json_object_unref(ev);
    qtest_quit(qts);
}

static void test_quit(void)
{
    QTestState *qts = qtest_init("-machine pseries");
    JsonObject *rsp = qtest_qmp(qts, "{\"execute\": \"quit\"}");
    JsonObject *ev;

    qmp_rsp_return(rsp);
    json_object_unref(rsp);
    ev = qtest_qmp_eventwait_ref(qts, "SHUTDOWN");
    g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(ev, "data"),
                                                  "reason"), ==, "host-qmp-quit");
    json_object_unref(ev);
    g_assert_cmpint(qtest_kill_and_wait(qts), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qmp/greeting-negotiation", test_greeting_and_negotiation);
    g_test_add_func("/qmp/id-echo", test_id_echo);
    g_test_add_func("/qmp/malformed", test_malformed);
    g_test_add_func("/qmp/oversized-and-deep", test_oversized_and_deep);
    g_test_add_func("/qmp/two-monitors", test_two_monitors);
    g_test_add_func("/qmp/runstate", test_runstate);
    g_test_add_func("/qmp/quit", test_quit);
    return g_test_run();
}
