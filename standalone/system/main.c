/*
 * qemu-system-ppc64: the command line, startup order and main loop.
 *
 * Startup reads top to bottom: parse options, handle "help" requests,
 * tracing, chardevs, objects, the machine and its devices, monitors and
 * qtest, reset, then the main loop until quit or a signal.
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "qemu/keyval.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "qemu/trace.h"
#include "chardev/char.h"
#include "hw/boards.h"
#include "monitor/qmp.h"
#include "qom/object-interfaces.h"
#include "system/clock.h"
#include "system/qtest.h"
#include "system/runstate.h"

#include <glib-unix.h>
#include <signal.h>

typedef struct Opt {
    const char *name;
    bool has_arg;
} Opt;

static const Opt options[] = {
    { "machine", true }, { "M", true }, { "m", true }, { "device", true },
    { "object", true }, { "accel", true }, { "qtest", true }, { "qtest-log", true },
    { "chardev", true }, { "mon", true }, { "qmp", true }, { "display", true },
    { "nographic", false }, { "nodefaults", false }, { "S", false }, { "serial", true },
    { "audio", true }, { "trace", true }, { "D", true }, { "version", false },
    { "h", false }, { "help", false }, { "name", true }, { "no-shutdown", false },
    { "pidfile", true }, { "vga", true }, { "monitor", true }, { "smp", true },
};

/* The option value that was being processed, for "-opt value: error" messages. */
static G_NORETURN void die_opt(const char *opt, const char *value, const GError *err)
{
    if (value) {
        error_report("-%s %s: %s", opt, value, err->message);
    } else {
        error_report("-%s: %s", opt, err->message);
    }
    exit(1);
}

static G_NORETURN void die(const GError *err)
{
    error_report("%s", err->message);
    exit(1);
}

static void print_version(void)
{
    printf("QEMU emulator version %s (%s)\n"
           "Copyright (c) 2026 the qemu-spapr-vphb authors; QEMU-compatible command line\n",
           QEMU_VERSION, QEMU_PKGVERSION);
}

static void print_help(void)
{
    print_version();
    printf("usage: qemu-system-ppc64 [options]\n\n"
           "-machine [type=]NAME[,dumpdtb=FILE]  select the machine (-machine help)\n"
           "-M NAME                  same as -machine\n"
           "-m [size=]SIZE           guest RAM (default 1G; a plain number is MiB)\n"
           "-device DRIVER[,prop=value...]  add a device (-device help, -device DRIVER,help)\n"
           "-object TYPE,id=ID[,prop=value...]  create a user object\n"
           "-accel qtest             no CPU: the guest is played through qtest\n"
           "-qtest CHARDEV           serve the qtest protocol (unix:PATH, tcp:H:P, stdio)\n"
           "-qtest-log FILE          log the qtest conversation\n"
           "-chardev socket,id=ID,path=PATH|host=H,port=P[,server=on,wait=off]\n"
           "-chardev stdio,id=ID\n"
           "-mon chardev=ID,mode=control  a QMP monitor on a chardev\n"
           "-qmp unix:PATH|tcp:HOST:PORT[,server=on,wait=off] | stdio\n"
           "-display none, -nographic, -nodefaults, -serial none, -audio none\n"
           "-S                       do not start (status 'prelaunch' until 'cont')\n"
           "-trace [enable=]PATTERN  enable trace events (glob)\n"
           "-D FILE                  write trace output to FILE\n"
           "-version, -h\n");
}

static const Opt *find_opt(const char *name)
{
    for (guint i = 0; i < G_N_ELEMENTS(options); i++) {
        if (g_str_equal(options[i].name, name)) {
            return &options[i];
        }
    }
    return NULL;
}

static JsonObject *keyval_to_json(Keyval *kv)
{
    JsonObject *o = json_object_new();

    for (guint i = 0; i < kv->pairs->len; i++) {
        KeyvalPair *kp = &g_array_index(kv->pairs, KeyvalPair, i);
        json_object_set_string_member(o, kp->key, kp->value);
    }
    return o;
}

static bool is_help(const char *s)
{
    return !g_strcmp0(s, "help") || !g_strcmp0(s, "?");
}

static gboolean on_signal(gpointer opaque)
{
    int sig = GPOINTER_TO_INT(opaque);

    error_report("terminating on signal %d", sig);
    qemu_system_shutdown_request("host-signal", false);
    return G_SOURCE_CONTINUE;
}

typedef struct Options {
    const char *machine;
    const char *machine_opt;   /* "machine" or "M", as typed (for errors) */
    const char *ram;
    const char *accel;
    const char *qtest;
    const char *qtest_log;
    const char *qmp_specs[8];
    int n_qmp;
    GPtrArray *chardevs, *mons, *devices, *objects;
    bool start_paused, nodefaults;
} Options;

static void check_simple_choice(const char *opt, const char *value, const char *const *ok)
{
    if (!g_strv_contains(ok, value)) {
        g_autoptr(GError) err = NULL;
        error_setg(&err, "'%s' is not supported by this machine (use %s)", value, ok[0]);
        die_opt(opt, value, err);
    }
}

static void parse_args(int argc, char **argv, Options *o)
{
    static const char *const none_ok[] = { "none", NULL };
    static const char *const serial_ok[] = { "none", "null", NULL };

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *name;
        const char *value = NULL;
        const Opt *opt;

        if (arg[0] != '-' || !arg[1]) {
            error_report("%s: positional arguments (disk images) are not supported", arg);
            exit(1);
        }
        name = arg + (arg[1] == '-' ? 2 : 1);
        opt = find_opt(name);
        if (!opt) {
            error_report("%s: invalid option", arg);
            exit(1);
        }
        if (opt->has_arg) {
            if (i + 1 >= argc) {
                error_report("%s: requires an argument", arg);
                exit(1);
            }
            value = argv[++i];
        }
        if (!strcmp(name, "machine") || !strcmp(name, "M")) {
            o->machine = value;
            o->machine_opt = name;
        } else if (!strcmp(name, "m")) {
            o->ram = value;
        } else if (!strcmp(name, "device")) {
            g_ptr_array_add(o->devices, (gpointer)value);
        } else if (!strcmp(name, "object")) {
            g_ptr_array_add(o->objects, (gpointer)value);
        } else if (!strcmp(name, "accel")) {
            o->accel = value;
        } else if (!strcmp(name, "qtest")) {
            o->qtest = value;
        } else if (!strcmp(name, "qtest-log")) {
            o->qtest_log = value;
        } else if (!strcmp(name, "chardev")) {
            g_ptr_array_add(o->chardevs, (gpointer)value);
        } else if (!strcmp(name, "mon") || !strcmp(name, "monitor")) {
            g_ptr_array_add(o->mons, (gpointer)value);
        } else if (!strcmp(name, "qmp")) {
            if (o->n_qmp == G_N_ELEMENTS(o->qmp_specs)) {
                error_report("-qmp: too many monitors");
                exit(1);
            }
            o->qmp_specs[o->n_qmp++] = value;
        } else if (!strcmp(name, "display") || !strcmp(name, "audio")) {
            if (!g_str_has_prefix(value, "none") || (value[4] && value[4] != ',')) {
                check_simple_choice(name, value, none_ok);
            }
        } else if (!strcmp(name, "vga")) {
            check_simple_choice(name, value, none_ok);
        } else if (!strcmp(name, "serial")) {
            check_simple_choice(name, value, serial_ok);
        } else if (!strcmp(name, "nodefaults")) {
            o->nodefaults = true;
        } else if (!strcmp(name, "S")) {
            o->start_paused = true;
        } else if (!strcmp(name, "trace")) {
            if (!trace_enable_pattern(value)) {
                warn_report("-trace %s: no trace event matches", value);
            }
        } else if (!strcmp(name, "D")) {
            g_autoptr(GError) err = NULL;
            if (!trace_set_logfile(value, &err)) {
                die_opt(name, value, err);
            }
        } else if (!strcmp(name, "version")) {
            print_version();
            exit(0);
        } else if (!strcmp(name, "h") || !strcmp(name, "help")) {
            print_help();
            exit(0);
        } else if (!strcmp(name, "smp")) {
            /* no CPU is emulated; accepted so existing command lines work */
        }
        /* -nographic, -name, -no-shutdown, -pidfile: accepted, nothing to do */
    }
}

static Machine *create_machine(Options *o)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(Keyval) mopts = NULL;
    MachineClass *mc;
    Machine *m;
    const char *type;

    if (o->machine) {
        mopts = keyval_parse(o->machine, "type", &err);
        if (!mopts) {
            die_opt(o->machine_opt, o->machine, err);
        }
    } else {
        mopts = keyval_parse("", NULL, NULL);
    }
    type = keyval_get(mopts, "type");
    if (is_help(type)) {
        machine_print_help();
        exit(0);
    }
    mc = type ? machine_find_class(type) : machine_default_class();
    if (!mc) {
        error_report("unsupported machine type");
        fprintf(stderr, "Use -machine help to list supported machines\n");
        exit(1);
    }
    m = machine_create(mc, &err);
    for (guint i = 0; i < mopts->pairs->len; i++) {
        KeyvalPair *kp = &g_array_index(mopts->pairs, KeyvalPair, i);
        if (g_str_equal(kp->key, "type")) {
            continue;
        }
        if (!object_property_parse(OBJECT(m), kp->key, kp->value, &err)) {
            die_opt(o->machine_opt, o->machine, err);
        }
    }
    if (m->accel) {
        if (o->accel && g_strcmp0(o->accel, m->accel)) {
            error_report("-machine accel=%s conflicts with -accel %s", m->accel, o->accel);
            exit(1);
        }
        o->accel = m->accel;
    }
    if (o->ram) {
        g_autoptr(Keyval) mem = keyval_parse(o->ram, "size", &err);
        const char *size = mem ? keyval_get(mem, "size") : NULL;
        uint64_t bytes;

        if (!mem) {
            die_opt("m", o->ram, err);
        }
        for (guint i = 0; i < mem->pairs->len; i++) {
            const char *key = g_array_index(mem->pairs, KeyvalPair, i).key;
            if (!g_str_equal(key, "size")) {
                error_setg(&err, "Invalid parameter '%s'", key);
                die_opt("m", o->ram, err);
            }
        }
        if (!size || !parse_size("size", size, 1 << 20, &bytes, &err)) {
            if (!err) {
                error_setg(&err, "Parameter 'size' is missing");
            }
            die_opt("m", o->ram, err);
        }
        if (bytes == 0 || bytes % (64 << 10)) {
            error_setg(&err, "RAM size %" PRIu64 " must be a non-zero multiple of 64 KiB",
                       bytes);
            die_opt("m", o->ram, err);
        }
        m->ram_size = bytes;
    }
    m->nodefaults = o->nodefaults;
    return m;
}

static void add_devices(Options *o)
{
    for (guint i = 0; i < o->devices->len; i++) {
        const char *spec = g_ptr_array_index(o->devices, i);
        g_autoptr(GError) err = NULL;
        g_autoptr(Keyval) kv = keyval_parse(spec, "driver", &err);
        g_autoptr(JsonObject) props = NULL;
        const char *driver;

        if (!kv) {
            die_opt("device", spec, err);
        }
        driver = keyval_get(kv, "driver");
        if (is_help(driver)) {
            qdev_print_device_help(NULL, NULL);
            exit(0);
        }
        if (keyval_get(kv, "help") || keyval_get(kv, "?")) {
            if (!qdev_print_device_help(driver, &err)) {
                die_opt("device", spec, err);
            }
            exit(0);
        }
        props = keyval_to_json(kv);
        if (!qdev_device_add(driver, props, &err)) {
            die_opt("device", spec, err);
        }
    }
}

static void add_frontends(Options *o)
{
    g_autoptr(GError) err = NULL;

    for (guint i = 0; i < o->mons->len; i++) {
        const char *spec = g_ptr_array_index(o->mons, i);
        g_autoptr(Keyval) kv = keyval_parse(spec, "chardev", &err);
        const char *id, *mode;
        Chardev *chr;

        if (!kv) {
            die_opt("mon", spec, err);
        }
        id = keyval_get(kv, "chardev");
        mode = keyval_get(kv, "mode");
        if (!id) {
            error_setg(&err, "Parameter 'chardev' is missing");
            die_opt("mon", spec, err);
        }
        if (g_strcmp0(mode, "control")) {
            error_setg(&err, "only mode=control (QMP) monitors are supported");
            die_opt("mon", spec, err);
        }
        chr = chardev_find(id);
        if (!chr) {
            error_setg(&err, "chardev \"%s\" not found", id);
            die_opt("mon", spec, err);
        }
        if (!monitor_init_qmp(chr, &err)) {
            die_opt("mon", spec, err);
        }
    }
    for (int i = 0; i < o->n_qmp; i++) {
        g_autofree char *id = g_strdup_printf("compat_monitor%d", i);
        Chardev *chr = chardev_new_from_spec(id, o->qmp_specs[i], &err);
        if (!chr || !monitor_init_qmp(chr, &err)) {
            die_opt("qmp", o->qmp_specs[i], err);
        }
    }
    if (o->qtest) {
        Chardev *chr = chardev_new_from_spec("qtest", o->qtest, &err);
        if (!chr || !qtest_server_init(chr, o->qtest_log, &err)) {
            die_opt("qtest", o->qtest, err);
        }
    }
}

int main(int argc, char **argv)
{
    g_autoptr(GError) err = NULL;
    Options o = { 0 };
    Machine *m;

    log_set_program_name(argv[0]);
    signal(SIGPIPE, SIG_IGN);
    module_call_init();
    qmp_register_builtin_commands();

    o.chardevs = g_ptr_array_new();
    o.mons = g_ptr_array_new();
    o.devices = g_ptr_array_new();
    o.objects = g_ptr_array_new();
    parse_args(argc, argv, &o);

    /* help requests print and exit before anything is created */
    for (guint i = 0; i < o.devices->len; i++) {
        g_autoptr(Keyval) kv = keyval_parse(g_ptr_array_index(o.devices, i), "driver", NULL);
        if (kv && is_help(keyval_get(kv, "driver"))) {
            qdev_print_device_help(NULL, NULL);
            exit(0);
        }
    }

    m = create_machine(&o);
    if (o.accel && g_strcmp0(o.accel, "qtest")) {
        error_setg(&err, "invalid accelerator %s (this machine emulates no CPU: use qtest)",
                   o.accel);
        die_opt("accel", o.accel, err);
    }
    if (!g_strcmp0(o.accel, "qtest") || o.qtest) {
        qtest_set_enabled();
    }

    for (guint i = 0; i < o.chardevs->len; i++) {
        const char *spec = g_ptr_array_index(o.chardevs, i);
        g_autoptr(Keyval) kv = keyval_parse(spec, "backend", &err);
        if (!kv || !chardev_new_from_opts(kv, &err)) {
            die_opt("chardev", spec, err);
        }
    }
    for (guint i = 0; i < o.objects->len; i++) {
        const char *spec = g_ptr_array_index(o.objects, i);
        g_autoptr(Keyval) kv = keyval_parse(spec, "qom-type", &err);
        if (!kv || !user_creatable_add(kv, &err)) {
            die_opt("object", spec, err);
        }
    }

    if (!machine_start(m, &err)) {
        die(err);
    }
    add_devices(&o);
    if (!machine_init_done(m, &err)) {
        die(err);
    }
    add_frontends(&o);

    runstate_init(o.start_paused);
    if (!qtest_enabled()) {
        clock_enable_realtime();
    }
    g_unix_signal_add(SIGTERM, on_signal, GINT_TO_POINTER(SIGTERM));
    g_unix_signal_add(SIGINT, on_signal, GINT_TO_POINTER(SIGINT));
    g_unix_signal_add(SIGHUP, on_signal, GINT_TO_POINTER(SIGHUP));

    main_loop_run();

    qtest_server_cleanup();
    monitor_cleanup_all();
    chardev_cleanup_all();
    machine_destroy(m);
    user_creatable_cleanup();
    g_ptr_array_unref(o.chardevs);
    g_ptr_array_unref(o.mons);
    g_ptr_array_unref(o.devices);
    g_ptr_array_unref(o.objects);
    trace_set_logfile(NULL, NULL);
    return 0;
}
