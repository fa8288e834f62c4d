/*
 * The command line: every bad input exits with status 1 and one line on
 * stderr naming the option and the reason; help, version and the monitor
 * and qtest front ends work.  The binary is $QTEST_QEMU_BINARY, run
 * directly (no libqtest sockets).
 */
#include "libqtest.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>

#define PROG "qemu-system-ppc64"
/* Only a guard against a hung binary: nothing here should take a second. */
#define DEADLINE_US (60 * G_USEC_PER_SEC)

/* A running binary with pipes on stdin, stdout and stderr ------------------ */

typedef struct Proc {
    GPid pid;
    int in, out, err;          /* -1 once closed */
    GString *outbuf, *errbuf;
    gint64 deadline;
} Proc;

static Proc *proc_spawnv(const char *const *args)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GError) err = NULL;
    Proc *p = g_new0(Proc, 1);

    g_ptr_array_add(argv, (gpointer)qtest_binary());
    for (int i = 0; args[i]; i++) {
        g_ptr_array_add(argv, (gpointer)args[i]);
    }
    g_ptr_array_add(argv, NULL);
    if (!g_spawn_async_with_pipes(NULL, (char **)argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                  NULL, NULL, &p->pid, &p->in, &p->out, &p->err, &err)) {
        g_error("cannot start %s: %s", qtest_binary(), err->message);
    }
    p->outbuf = g_string_new(NULL);
    p->errbuf = g_string_new(NULL);
    p->deadline = g_get_monotonic_time() + DEADLINE_US;
    return p;
}

#define proc_spawn(...) proc_spawnv((const char *const[]){ __VA_ARGS__, NULL })

static void proc_write(Proc *p, const char *s)
{
    size_t len = strlen(s);

    while (len) {
        ssize_t n = write(p->in, s, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        g_assert_cmpint(n, >, 0);
        s += n;
        len -= n;
    }
}

static void proc_close_stdin(Proc *p)
{
    if (p->in >= 0) {
        close(p->in);
        p->in = -1;
    }
}

/* Wait for output on stdout or stderr and append it; FALSE once both are at EOF. */
static bool proc_pump(Proc *p)
{
    struct pollfd fds[2] = {
        { .fd = p->out, .events = POLLIN }, { .fd = p->err, .events = POLLIN },
    };
    GString *bufs[2] = { p->outbuf, p->errbuf };
    int *fdp[2] = { &p->out, &p->err };
    gint64 left = p->deadline - g_get_monotonic_time();
    int r;

    if (p->out < 0 && p->err < 0) {
        return false;
    }
    if (left <= 0) {
        kill(p->pid, SIGKILL);
        g_error("%s did not finish; stdout: %s; stderr: %s", qtest_binary(), p->outbuf->str,
                p->errbuf->str);
    }
    r = poll(fds, 2, MAX(1, left / 1000));
    if (r < 0 && errno == EINTR) {
        return true;
    }
    g_assert_cmpint(r, >=, 0);
    for (int i = 0; i < 2; i++) {
        if (fds[i].fd >= 0 && fds[i].revents) {
            char buf[4096];
            ssize_t n = read(fds[i].fd, buf, sizeof(buf));
            if (n > 0) {
                g_string_append_len(bufs[i], buf, n);
            } else if (n == 0 || errno != EINTR) {
                close(fds[i].fd);
                *fdp[i] = -1;
            }
        }
    }
    return true;
}

/* Next line of stdout (without "\n"), or NULL at EOF. */
static char *proc_read_line(Proc *p)
{
    for (;;) {
        char *nl = memchr(p->outbuf->str, '\n', p->outbuf->len);
        if (nl) {
            char *line = g_strndup(p->outbuf->str, nl - p->outbuf->str);
            g_string_erase(p->outbuf, 0, nl - p->outbuf->str + 1);
            return line;
        }
        if (p->out < 0 || !proc_pump(p)) {
            return NULL;
        }
    }
}

/* Read everything until EOF, reap the child and return its wait status. */
static int proc_wait(Proc *p)
{
    int status;

    proc_close_stdin(p);
    while (proc_pump(p)) {
    }
    g_assert_cmpint(waitpid(p->pid, &status, 0), ==, p->pid);
    return status;
}

static void proc_free(Proc *p)
{
    proc_close_stdin(p);
    if (p->out >= 0) {
        close(p->out);
    }
    if (p->err >= 0) {
        close(p->err);
    }
    g_spawn_close_pid(p->pid);
    g_string_free(p->outbuf, TRUE);
    g_string_free(p->errbuf, TRUE);
    g_free(p);
}

static void assert_exit(int status, int code)
{
    if (WIFSIGNALED(status)) {
        g_error("killed by signal %d%s", WTERMSIG(status), WCOREDUMP(status) ? " (core)" : "");
    }
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, code);
}

/* Run to completion with stdin at EOF. */
typedef struct Run {
    int status;
    char *out, *err;
} Run;

static Run run_argv(const char *const *args)
{
    Proc *p = proc_spawnv(args);
    Run r;

    r.status = proc_wait(p);
    r.out = g_strdup(p->outbuf->str);
    r.err = g_strdup(p->errbuf->str);
    proc_free(p);
    return r;
}

static void run_clear(Run *r)
{
    g_free(r->out);
    g_free(r->err);
}

/* Exit status 1, nothing on stdout, exactly @line (and a newline) on stderr. */
static void assert_fails_argv(const char *line, const char *const *args)
{
    Run r = run_argv(args);
    g_autofree char *expect = g_strdup_printf("%s\n", line);

    assert_exit(r.status, 1);
    g_assert_cmpstr(r.err, ==, expect);
    g_assert_cmpstr(r.out, ==, "");
    run_clear(&r);
}

#define assert_fails(line, ...) \
    assert_fails_argv((line), (const char *const[]){ __VA_ARGS__, NULL })

/* Every line of @text is a JSON object; returns them. */
static GPtrArray *parse_json_lines(const char *text)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
    guint n = g_strv_length(lines);

    g_assert_cmpuint(n, >=, 1);
    g_assert_cmpstr(lines[n - 1], ==, "");      /* ends with a newline */
    for (guint i = 0; i + 1 < n; i++) {
        g_autoptr(GError) err = NULL;
        g_autoptr(JsonNode) node = json_from_string(lines[i], &err);
        if (!node) {
            g_error("stdout line %u is not JSON (%s): %s", i, err ? err->message : "empty",
                    lines[i]);
        }
        g_assert_true(JSON_NODE_HOLDS_OBJECT(node));
        g_ptr_array_add(out, json_object_ref(json_node_get_object(node)));
    }
    return out;
}

static JsonObject *msg_at(GPtrArray *msgs, guint i)
{
    g_assert_cmpuint(i, <, msgs->len);
    return g_ptr_array_index(msgs, i);
}

static const char *event_name(JsonObject *m)
{
    return json_object_has_member(m, "event") ? json_object_get_string_member(m, "event") : NULL;
}

/* Device types "-device help" lists. */
static GPtrArray *list_devices(void)
{
    Run r = run_argv((const char *const[]){ "-device", "help", NULL });
    g_auto(GStrv) lines = NULL;
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);

    assert_exit(r.status, 0);
    lines = g_strsplit(r.out, "\n", -1);
    g_assert_cmpstr(lines[0], ==, "Devices:");
    for (int i = 1; lines[i] && lines[i][0]; i++) {
        const char *q;
        g_assert_true(g_str_has_prefix(lines[i], "name \""));
        q = strchr(lines[i] + 6, '"');
        g_assert_nonnull(q);
        g_assert_true(g_str_has_prefix(q, "\", bus "));
        g_ptr_array_add(names, g_strndup(lines[i] + 6, q - (lines[i] + 6)));
    }
    run_clear(&r);
    return names;
}

/* Bad input ---------------------------------------------------------------- */

static void test_unknown_option(void)
{
    assert_fails(PROG ": -bogus: invalid option", "-bogus");
    assert_fails(PROG ": --bogus: invalid option", "--bogus");
    /* the first bad option stops parsing */
    assert_fails(PROG ": -bogus: invalid option", "-machine", "pseries", "-bogus", "-nope");
}

static void test_missing_argument(void)
{
    assert_fails(PROG ": -m: requires an argument", "-m");
    assert_fails(PROG ": -device: requires an argument", "-device");
    assert_fails(PROG ": -machine: requires an argument", "-machine");
    assert_fails(PROG ": -qmp: requires an argument", "-nodefaults", "-qmp");
}

static void test_positional(void)
{
    assert_fails(PROG ": disk.img: positional arguments (disk images) are not supported",
                 "disk.img");
}

static void test_unknown_device(void)
{
    assert_fails(PROG ": -device nope: 'nope' is not a valid device model name",
                 "-device", "nope");
    assert_fails(PROG ": -device nope,help: 'nope' is not a valid device model name",
                 "-device", "nope,help");
    assert_fails(PROG ": -device id=d0: Parameter 'driver' is missing", "-device", "id=d0");
    /* abstract and non-device types are no device models either */
    assert_fails(PROG ": -device device: 'device' is not a valid device model name",
                 "-device", "device");
    assert_fails(PROG ": -device container: 'container' is not a valid device model name",
                 "-device", "container");
}

static void test_bad_device_id(void)
{
    /* the id is checked before the driver, as in QEMU */
    assert_fails(PROG ": -device nope,id=1abc: Parameter 'id' expects an identifier",
                 "-device", "nope,id=1abc");
    assert_fails(PROG ": -device nope,id=a/b: Parameter 'id' expects an identifier",
                 "-device", "nope,id=a/b");
}

static void test_unknown_property(void)
{
    g_autoptr(GPtrArray) devices = list_devices();

    assert_fails(PROG ": -machine pseries,foo=1: Property 'pseries-machine.foo' not found",
                 "-machine", "pseries,foo=1");
    assert_fails(PROG ": -M pseries,foo=1: Property 'pseries-machine.foo' not found",
                 "-M", "pseries,foo=1");
    for (guint i = 0; i < devices->len; i++) {
        const char *d = g_ptr_array_index(devices, i);
        g_autofree char *spec = g_strdup_printf("%s,foo=1", d);
        g_autofree char *line = g_strdup_printf(PROG ": -device %s: Property '%s.foo' not found",
                                                spec, d);
        assert_fails(line, "-device", spec);
    }
}

static void test_ill_typed(void)
{
    assert_fails(PROG ": -m 1Z: Parameter 'size' expects a non-negative number below 2^64",
                 "-m", "1Z");
    assert_fails(PROG ": -m -1: Parameter 'size' expects a non-negative number below 2^64",
                 "-m", "-1");
    assert_fails(PROG ": -m 1,foo=1: Invalid parameter 'foo'", "-m", "1,foo=1");
    assert_fails(PROG ": -m : Parameter 'size' is missing", "-m", "");
    assert_fails(PROG ": -chardev socket,id=c,path=/tmp/x,server=maybe: "
                 "Parameter 'server' expects 'on' or 'off'",
                 "-chardev", "socket,id=c,path=/tmp/x,server=maybe");
    assert_fails(PROG ": -qmp tcp:127.0.0.1:99999: "
                 "Parameter 'port' expects a port number, got '99999'",
                 "-qmp", "tcp:127.0.0.1:99999");
}

static void test_ram_size(void)
{
    assert_fails(PROG ": -m 0: RAM size 0 must be a non-zero multiple of 64 KiB", "-m", "0");
    assert_fails(PROG ": -m 1000b: RAM size 1000 must be a non-zero multiple of 64 KiB",
                 "-m", "1000b");
    assert_fails(PROG ": -m size=0: RAM size 0 must be a non-zero multiple of 64 KiB",
                 "-m", "size=0");
}

static void test_object(void)
{
    assert_fails(PROG ": -object foo,id=x: Parameter 'qom-type' does not accept value 'foo'",
                 "-object", "foo,id=x");
    assert_fails(PROG ": -object container,id=x: "
                 "Parameter 'qom-type' does not accept value 'container'",
                 "-object", "container,id=x");
    assert_fails(PROG ": -object id=x: Parameter 'qom-type' is missing", "-object", "id=x");
    /* no user-creatable type is built in yet: without id, the type is refused first */
    assert_fails(PROG ": -object foo: Parameter 'qom-type' does not accept value 'foo'",
                 "-object", "foo");
}

static void test_machine(void)
{
    static const char *const cases[] = { "nosuch", "type=nosuch", "type=" };

    /* QEMU's message and hint, word for word */
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        Run r = run_argv((const char *const[]){ "-machine", cases[i], NULL });
        assert_exit(r.status, 1);
        g_assert_cmpstr(r.err, ==, PROG ": unsupported machine type\n"
                        "Use -machine help to list supported machines\n");
        g_assert_cmpstr(r.out, ==, "");
        run_clear(&r);
    }
}

static void test_accel(void)
{
    assert_fails(PROG ": -accel tcg: invalid accelerator tcg "
                 "(this machine emulates no CPU: use qtest)", "-accel", "tcg");
    assert_fails(PROG ": -accel kvm: invalid accelerator kvm "
                 "(this machine emulates no CPU: use qtest)", "-accel", "kvm");
}

static void test_display(void)
{
    assert_fails(PROG ": -display gtk: 'gtk' is not supported by this machine (use none)",
                 "-display", "gtk");
    assert_fails(PROG ": -display nonex: 'nonex' is not supported by this machine (use none)",
                 "-display", "nonex");
    assert_fails(PROG ": -serial stdio: 'stdio' is not supported by this machine (use none)",
                 "-serial", "stdio");
    assert_fails(PROG ": -vga std: 'std' is not supported by this machine (use none)",
                 "-vga", "std");
}

static void test_chardev(void)
{
    assert_fails(PROG ": -chardev socket,id=c: chardev 'c': socket needs 'path', or 'host' "
                 "and 'port'", "-chardev", "socket,id=c");
    assert_fails(PROG ": -chardev socket: Parameter 'id' is missing", "-chardev", "socket");
    assert_fails(PROG ": -chardev id=c: chardev: \"c\" missing backend", "-chardev", "id=c");
    assert_fails(PROG ": -chardev null,id=c: 'null' is not a valid char driver name",
                 "-chardev", "null,id=c");
    assert_fails(PROG ": -chardev socket,id=c,path=/tmp/x,foo=1: Invalid parameter 'foo'",
                 "-chardev", "socket,id=c,path=/tmp/x,foo=1");
    assert_fails(PROG ": -chardev socket,id=c,path=/nonexistent/dir/s: Failed to connect to "
                 "'/nonexistent/dir/s': No such file or directory",
                 "-chardev", "socket,id=c,path=/nonexistent/dir/s");
    assert_fails(PROG ": -chardev stdio,id=a: attempt to add duplicate property 'a' to "
                 "object (type 'container')",
                 "-chardev", "stdio,id=a", "-chardev", "stdio,id=a");
    assert_fails(PROG ": -chardev stdio,id=b: cannot use stdio by multiple character devices",
                 "-chardev", "stdio,id=a", "-chardev", "stdio,id=b");
}

static void test_qmp_connect_failure(void)
{
    assert_fails(PROG ": -qmp unix:/nonexistent/dir/sock: Failed to connect to "
                 "'/nonexistent/dir/sock': No such file or directory",
                 "-qmp", "unix:/nonexistent/dir/sock");
    assert_fails(PROG ": -qmp foo: 'foo' is not a valid char driver name", "-qmp", "foo");
    assert_fails(PROG ": -qmp tcp:: host and/or port not specified in 'tcp:'", "-qmp", "tcp:");
}

static void test_mon(void)
{
    assert_fails(PROG ": -mon chardev=missing,mode=control: chardev \"missing\" not found",
                 "-mon", "chardev=missing,mode=control");
    assert_fails(PROG ": -mon mode=control: Parameter 'chardev' is missing",
                 "-mon", "mode=control");
    assert_fails(PROG ": -mon chardev=x: only mode=control (QMP) monitors are supported",
                 "-mon", "chardev=x");
}

static void test_log_files(void)
{
    assert_fails(PROG ": -D /nonexistent/dir/log: could not open log file "
                 "'/nonexistent/dir/log': No such file or directory",
                 "-D", "/nonexistent/dir/log");
    assert_fails(PROG ": -qtest stdio: cannot open qtest log '/nonexistent/dir/log': "
                 "No such file or directory",
                 "-qtest-log", "/nonexistent/dir/log", "-qtest", "stdio");
}

/* Good paths --------------------------------------------------------------- */

static void test_version(void)
{
    static const char *const spellings[] = { "-version", "--version" };

    for (guint i = 0; i < G_N_ELEMENTS(spellings); i++) {
        Run r = run_argv((const char *const[]){ spellings[i], NULL });
        assert_exit(r.status, 0);
        g_assert_true(g_str_has_prefix(r.out, "QEMU emulator version 7.2.0 ("));
        g_assert_cmpstr(r.err, ==, "");
        run_clear(&r);
    }
}

static void test_help(void)
{
    Run r = run_argv((const char *const[]){ "-h", NULL });

    assert_exit(r.status, 0);
    g_assert_true(g_str_has_prefix(r.out, "QEMU emulator version"));
    g_assert_nonnull(strstr(r.out, "\nusage: " PROG " [options]\n"));
    g_assert_nonnull(strstr(r.out, "\n-machine "));
    g_assert_nonnull(strstr(r.out, "\n-qtest "));
    g_assert_cmpstr(r.err, ==, "");
    run_clear(&r);
}

static void test_machine_help(void)
{
    static const char *const spellings[] = { "help", "?", "type=help" };

    for (guint i = 0; i < G_N_ELEMENTS(spellings); i++) {
        Run r = run_argv((const char *const[]){ "-machine", spellings[i], NULL });
        g_auto(GStrv) lines = NULL;
        bool found = false;

        assert_exit(r.status, 0);
        g_assert_cmpstr(r.err, ==, "");
        lines = g_strsplit(r.out, "\n", -1);
        g_assert_cmpstr(lines[0], ==, "Supported machines are:");
        for (int j = 1; lines[j]; j++) {
            if (g_str_has_prefix(lines[j], "pseries ")) {
                g_assert_nonnull(strstr(lines[j], "pSeries Logical Partition"));
                g_assert_true(g_str_has_suffix(lines[j], " (default)"));
                found = true;
            }
        }
        g_assert_true(found);
        run_clear(&r);
    }
}

static void test_device_help(void)
{
    g_autoptr(GPtrArray) devices = list_devices();
    Run r = run_argv((const char *const[]){ "-device", "?", NULL });

    /* "?" is "help" too, and help wins over other options */
    assert_exit(r.status, 0);
    g_assert_true(g_str_has_prefix(r.out, "Devices:\n"));
    g_assert_cmpstr(r.err, ==, "");
    run_clear(&r);

    for (guint i = 0; i < devices->len; i++) {
        const char *d = g_ptr_array_index(devices, i);
        g_autofree char *spec = g_strdup_printf("%s,help", d);
        g_autofree char *has = g_strdup_printf("%s options:\n", d);
        g_autofree char *none = g_strdup_printf("There are no options for %s.\n", d);

        r = run_argv((const char *const[]){ "-device", spec, NULL });
        assert_exit(r.status, 0);
        g_assert_cmpstr(r.err, ==, "");
        if (!g_str_has_prefix(r.out, has)) {
            g_assert_cmpstr(r.out, ==, none);
        }
        run_clear(&r);
    }
    if (!devices->len) {
        g_test_message("no user-creatable device type: -device DRIVER,help not exercised");
    }
}

static void test_trace_no_match(void)
{
    Run r = run_argv((const char *const[]){ "-trace", "no_such_event*", "-version", NULL });

    assert_exit(r.status, 0);
    g_assert_cmpstr(r.err, ==, PROG ": warning: -trace no_such_event*: no trace event matches\n");
    g_assert_true(g_str_has_prefix(r.out, "QEMU emulator version"));
    run_clear(&r);
}

/* Start with @args plus "-qmp stdio", negotiate, run @cmds (JSON lines), quit. */
static GPtrArray *qmp_stdio_session(const char *const *args, const char *cmds, Run *r)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    Proc *p;

    for (int i = 0; args[i]; i++) {
        g_ptr_array_add(argv, (gpointer)args[i]);
    }
    g_ptr_array_add(argv, (gpointer)"-qmp");
    g_ptr_array_add(argv, (gpointer)"stdio");
    g_ptr_array_add(argv, NULL);
    p = proc_spawnv((const char *const *)argv->pdata);
    proc_write(p, "{\"execute\": \"qmp_capabilities\"}\n");
    proc_write(p, cmds);
    proc_write(p, "{\"execute\": \"quit\"}\n");
    r->status = proc_wait(p);
    r->out = g_strdup(p->outbuf->str);
    r->err = g_strdup(p->errbuf->str);
    proc_free(p);
    assert_exit(r->status, 0);
    return parse_json_lines(r->out);
}

static void assert_quit_tail(GPtrArray *msgs, guint first)
{
    JsonObject *ret = msg_at(msgs, first), *ev = msg_at(msgs, first + 1);

    /* as in QEMU, the reply to quit comes before SHUTDOWN */
    g_assert_true(json_object_has_member(ret, "return"));
    g_assert_cmpstr(event_name(ev), ==, "SHUTDOWN");
    g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(ev, "data"),
                                                  "reason"), ==, "host-qmp-quit");
    g_assert_false(json_object_get_boolean_member(json_object_get_object_member(ev, "data"),
                                                  "guest"));
    g_assert_cmpuint(msgs->len, ==, first + 2);
}

static const char *query_status(GPtrArray *msgs, guint i)
{
    JsonObject *ret = json_object_get_object_member(msg_at(msgs, i), "return");

    g_assert_nonnull(ret);
    return json_object_get_string_member(ret, "status");
}

static void test_qmp_stdio(void)
{
    Run r;
    g_autoptr(GPtrArray) msgs = qmp_stdio_session(
        (const char *const[]){ "-machine", "pseries", NULL },
        "{\"execute\": \"query-status\", \"id\": 1}\n{\"execute\": \"nope\"}\n", &r);

    /* stdout carries only the protocol; nothing is logged */
    g_assert_cmpstr(r.err, ==, "");
    g_assert_true(json_object_has_member(msg_at(msgs, 0), "QMP"));
    g_assert_true(json_object_has_member(msg_at(msgs, 1), "return"));
    g_assert_cmpstr(query_status(msgs, 2), ==, "running");
    g_assert_cmpint(json_object_get_int_member(msg_at(msgs, 2), "id"), ==, 1);
    g_assert_cmpstr(json_object_get_string_member(
                        json_object_get_object_member(msg_at(msgs, 3), "error"), "class"),
                    ==, "CommandNotFound");
    assert_quit_tail(msgs, 4);
    run_clear(&r);
}

static void test_start_paused(void)
{
    Run r;
    g_autoptr(GPtrArray) msgs = qmp_stdio_session(
        (const char *const[]){ "-S", NULL },
        "{\"execute\": \"query-status\"}\n{\"execute\": \"cont\"}\n"
        "{\"execute\": \"query-status\"}\n", &r);

    g_assert_cmpstr(query_status(msgs, 2), ==, "prelaunch");
    g_assert_false(json_object_get_boolean_member(
                       json_object_get_object_member(msg_at(msgs, 2), "return"), "running"));
    g_assert_cmpstr(event_name(msg_at(msgs, 3)), ==, "RESUME");
    g_assert_true(json_object_has_member(msg_at(msgs, 4), "return"));
    g_assert_cmpstr(query_status(msgs, 5), ==, "running");
    assert_quit_tail(msgs, 6);
    run_clear(&r);
}

static void test_accepted_options(void)
{
    Run r;
    g_autoptr(GPtrArray) msgs = qmp_stdio_session(
        (const char *const[]){ "-nodefaults", "-serial", "none", "-nographic", "-display",
                               "none", "-audio", "none", "-vga", "none", "-smp", "1",
                               "-name", "guest", "-no-shutdown", "-M", "pseries", "-m", "256M",
                               "-accel", "qtest", NULL },
        "{\"execute\": \"query-status\"}\n", &r);

    g_assert_cmpstr(r.err, ==, "");
    g_assert_cmpstr(query_status(msgs, 2), ==, "running");
    assert_quit_tail(msgs, 3);
    run_clear(&r);
}

static void test_trace_file(void)
{
    g_autofree char *dir = qtest_tmpdir();
    g_autofree char *log = g_strdup_printf("%s/trace.log", dir);
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    g_autofree char *prefix = NULL;
    bool recv = false, send = false, event = false;
    Run r;
    g_autoptr(GPtrArray) msgs = qmp_stdio_session(
        (const char *const[]){ "-trace", "qmp_*", "-D", log, NULL }, "", &r);

    /* traces go to the file: neither stdout nor stderr sees them */
    g_assert_cmpstr(r.err, ==, "");
    assert_quit_tail(msgs, 2);
    g_assert_true(g_file_get_contents(log, &text, NULL, NULL));
    lines = g_strsplit(text, "\n", -1);
    g_assert_cmpuint(g_strv_length(lines), >=, 6);
    for (int i = 0; lines[i] && lines[i][0]; i++) {
        const char *colon = strchr(lines[i], ':');
        /* "PID@SECONDS.MICROSECONDS:event args" */
        g_assert_nonnull(strchr(lines[i], '@'));
        g_assert_nonnull(colon);
        if (!prefix) {
            prefix = g_strndup(lines[i], strchr(lines[i], '@') - lines[i] + 1);
        }
        g_assert_true(g_str_has_prefix(lines[i], prefix));   /* one pid */
        g_assert_true(g_str_has_prefix(colon + 1, "qmp_"));
        recv |= !strcmp(colon + 1,
                        "qmp_recv chardev=compat_monitor0 {\"execute\": \"qmp_capabilities\"}");
        send |= !strcmp(colon + 1, "qmp_send chardev=compat_monitor0 {\"return\":{}}");
        event |= !strcmp(colon + 1, "qmp_event event=SHUTDOWN");
    }
    g_assert_true(recv);
    g_assert_true(send);
    g_assert_true(event);
    g_unlink(log);
    g_rmdir(dir);
    run_clear(&r);
}

static void test_qtest_stdio(void)
{
    Proc *p = proc_spawn("-machine", "pseries", "-qtest", "stdio", "-accel", "qtest");
    g_autofree char *l1 = NULL, *l2 = NULL, *l3 = NULL;
    int status;

    proc_write(p, "endianness\nreadl 0x0\nwritel 0x10 0xcafe\nreadl 0x10\n");
    l1 = proc_read_line(p);
    g_assert_cmpstr(l1, ==, "OK big");
    l2 = proc_read_line(p);
    g_assert_cmpstr(l2, ==, "OK 0x0000000000000000");
    g_free(proc_read_line(p));
    l3 = proc_read_line(p);
    g_assert_cmpstr(l3, ==, "OK 0x000000000000cafe");
    /* SIGTERM is a clean exit; stdout held nothing but the replies */
    kill(p->pid, SIGTERM);
    status = proc_wait(p);
    assert_exit(status, 0);
    g_assert_cmpstr(p->outbuf->str, ==, "");
    g_assert_cmpstr(p->errbuf->str, ==, PROG ": terminating on signal 15\n");
    proc_free(p);
}

/* A port nobody listens on (bound and released: the kernel does not reuse it at once). */
static guint16 free_tcp_port(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GSocket) s = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                        G_SOCKET_PROTOCOL_TCP, &err);
    g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
    g_autoptr(GSocketAddress) bound = NULL;

    g_assert_no_error(err);
    g_assert_true(g_socket_bind(s, any, FALSE, &err));
    bound = g_socket_get_local_address(s, &err);
    g_assert_no_error(err);
    return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
}

/*
 * Wait until the binary serves: its chardevs are all set up before it
 * answers on qtest stdio.
 */
static void wait_ready(Proc *p)
{
    g_autofree char *l = NULL;

    proc_write(p, "endianness\n");
    l = proc_read_line(p);
    g_assert_cmpstr(l, ==, "OK big");
}

/* A QMP session with the server at @addr: greeting, negotiation, a command, quit. */
static void qmp_over_connection(GSocketConnectable *addr)
{
    g_autoptr(GSocketClient) client = g_socket_client_new();
    g_autoptr(GError) err = NULL;
    g_autoptr(GSocketConnection) conn = NULL;
    g_autoptr(GDataInputStream) in = NULL;
    GOutputStream *out;
    static const char cmds[] = "{\"execute\": \"qmp_capabilities\"}\n"
                               "{\"execute\": \"query-version\"}\n"
                               "{\"execute\": \"quit\"}\n";
    g_autoptr(GString) all = g_string_new(NULL);
    g_autoptr(GPtrArray) msgs = NULL;
    JsonObject *ver;

    g_socket_client_set_enable_proxy(client, FALSE);
    conn = g_socket_client_connect(client, addr, NULL, &err);
    g_assert_no_error(err);
    in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(conn)));
    out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
    g_assert_true(g_output_stream_write_all(out, cmds, strlen(cmds), NULL, NULL, &err));
    g_assert_no_error(err);
    for (;;) {
        g_autofree char *line = g_data_input_stream_read_line(in, NULL, NULL, &err);
        g_assert_no_error(err);
        if (!line) {
            break;                      /* the binary exited */
        }
        g_string_append_printf(all, "%s\n", line);
    }
    msgs = parse_json_lines(all->str);
    g_assert_true(json_object_has_member(msg_at(msgs, 0), "QMP"));
    g_assert_true(json_object_has_member(msg_at(msgs, 1), "return"));
    ver = json_object_get_object_member(msg_at(msgs, 2), "return");
    g_assert_nonnull(ver);
    g_assert_cmpint(json_object_get_int_member(json_object_get_object_member(ver, "qemu"),
                                               "major"), ==, 7);
    assert_quit_tail(msgs, 3);
}

static void test_qmp_tcp(void)
{
    guint16 port = free_tcp_port();
    g_autofree char *spec = g_strdup_printf("tcp:127.0.0.1:%u,server=on,wait=off", port);
    Proc *p = proc_spawn("-qmp", spec, "-qtest", "stdio", "-accel", "qtest");
    g_autoptr(GSocketConnectable) addr = g_network_address_new("127.0.0.1", port);

    wait_ready(p);
    qmp_over_connection(addr);
    assert_exit(proc_wait(p), 0);
    g_assert_cmpstr(p->errbuf->str, ==, "");
    proc_free(p);
}

static void test_chardev_socket_mon(void)
{
    g_autofree char *dir = qtest_tmpdir();
    g_autofree char *path = g_strdup_printf("%s/mon.sock", dir);
    g_autofree char *spec = g_strdup_printf("socket,id=m,path=%s,server=on,wait=off", path);
    Proc *p = proc_spawn("-chardev", spec, "-mon", "chardev=m,mode=control",
                         "-qtest", "stdio", "-accel", "qtest");
    g_autoptr(GSocketAddress) addr = NULL;

    wait_ready(p);
    addr = g_unix_socket_address_new(path);
    qmp_over_connection(G_SOCKET_CONNECTABLE(addr));
    assert_exit(proc_wait(p), 0);
    g_assert_cmpstr(p->errbuf->str, ==, "");
    proc_free(p);
    /* the server socket is removed at exit */
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
    g_rmdir(dir);
}

static void test_chardev_socket_wait(void)
{
    g_autofree char *dir = qtest_tmpdir();
    g_autofree char *path = g_strdup_printf("%s/wait.sock", dir);
    g_autofree char *spec = g_strdup_printf("socket,id=m,path=%s,server=on", path);
    g_autofree char *notice = g_strdup_printf(
        PROG ": QEMU waiting for connection on: disconnected:unix:%s,server=on\n", path);
    Proc *p = proc_spawn("-chardev", spec, "-mon", "chardev=m,mode=control");
    g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);

    /* with wait=on, startup blocks until a client comes, and says so on stderr */
    while (p->errbuf->len < strlen(notice) && proc_pump(p)) {
    }
    g_assert_cmpstr(p->errbuf->str, ==, notice);
    qmp_over_connection(G_SOCKET_CONNECTABLE(addr));
    assert_exit(proc_wait(p), 0);
    g_assert_cmpstr(p->errbuf->str, ==, notice);
    proc_free(p);
    g_rmdir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/cmdline/bad/unknown-option", test_unknown_option);
    g_test_add_func("/cmdline/bad/missing-argument", test_missing_argument);
    g_test_add_func("/cmdline/bad/positional", test_positional);
    g_test_add_func("/cmdline/bad/unknown-device", test_unknown_device);
    g_test_add_func("/cmdline/bad/device-id", test_bad_device_id);
    g_test_add_func("/cmdline/bad/unknown-property", test_unknown_property);
    g_test_add_func("/cmdline/bad/ill-typed", test_ill_typed);
    g_test_add_func("/cmdline/bad/ram-size", test_ram_size);
    g_test_add_func("/cmdline/bad/object", test_object);
    g_test_add_func("/cmdline/bad/machine", test_machine);
    g_test_add_func("/cmdline/bad/accel", test_accel);
    g_test_add_func("/cmdline/bad/display", test_display);
    g_test_add_func("/cmdline/bad/chardev", test_chardev);
    g_test_add_func("/cmdline/bad/qmp-connect", test_qmp_connect_failure);
    g_test_add_func("/cmdline/bad/mon", test_mon);
    g_test_add_func("/cmdline/bad/log-files", test_log_files);

    g_test_add_func("/cmdline/version", test_version);
    g_test_add_func("/cmdline/help", test_help);
    g_test_add_func("/cmdline/machine-help", test_machine_help);
    g_test_add_func("/cmdline/device-help", test_device_help);
    g_test_add_func("/cmdline/trace/no-match", test_trace_no_match);
    g_test_add_func("/cmdline/trace/file", test_trace_file);
    g_test_add_func("/cmdline/qmp/stdio", test_qmp_stdio);
    g_test_add_func("/cmdline/qmp/tcp", test_qmp_tcp);
    g_test_add_func("/cmdline/qmp/chardev-socket", test_chardev_socket_mon);
    g_test_add_func("/cmdline/qmp/chardev-socket-wait", test_chardev_socket_wait);
    g_test_add_func("/cmdline/qtest/stdio", test_qtest_stdio);
    g_test_add_func("/cmdline/start-paused", test_start_paused);
    g_test_add_func("/cmdline/accepted-options", test_accepted_options);
    return g_test_run();
}
