/*
 * Run state, shutdown and reset requests, and the main loop.
 */
#include "qemu/osdep.h"
#include "hw/boards.h"
#include "monitor/qmp.h"
#include "system/runstate.h"

static RunState state = RUN_STATE_PRELAUNCH;
static GMainLoop *loop;
static bool exit_requested;
static char *shutdown_reason;
static bool shutdown_guest;

RunState runstate_get(void)
{
    return state;
}

const char *runstate_name(RunState s)
{
    switch (s) {
    case RUN_STATE_PRELAUNCH:
        return "prelaunch";
    case RUN_STATE_RUNNING:
        return "running";
    case RUN_STATE_PAUSED:
        return "paused";
    case RUN_STATE_SHUTDOWN:
        return "shutdown";
    }
    g_assert_not_reached();
}

bool runstate_is_running(void)
{
    return state == RUN_STATE_RUNNING;
}

void runstate_init(bool start_paused)
{
    state = start_paused ? RUN_STATE_PRELAUNCH : RUN_STATE_RUNNING;
}

void vm_stop(void)
{
    if (state == RUN_STATE_RUNNING) {
        state = RUN_STATE_PAUSED;
        qmp_event_emit("STOP", NULL);
    }
}

void vm_start(void)
{
    if (state != RUN_STATE_RUNNING) {
        state = RUN_STATE_RUNNING;
        qmp_event_emit("RESUME", NULL);
    }
}

/*
 * As in QEMU, SHUTDOWN is sent when the main loop acts on the request, so
 * the reply to "quit" comes before it.
 */
static void emit_shutdown(void)
{
    JsonObject *data = json_object_new();

    json_object_set_boolean_member(data, "guest", shutdown_guest);
    json_object_set_string_member(data, "reason", shutdown_reason);
    qmp_event_emit("SHUTDOWN", data);
    g_clear_pointer(&shutdown_reason, g_free);
}

void qemu_system_shutdown_request(const char *reason, bool guest)
{
    g_free(shutdown_reason);
    shutdown_reason = g_strdup(reason);
    shutdown_guest = guest;
    state = RUN_STATE_SHUTDOWN;
    exit_requested = true;
    if (loop) {
        g_main_loop_quit(loop);
    }
}

void qemu_system_reset_request(const char *reason, bool guest)
{
    JsonObject *data = json_object_new();

    if (current_machine) {
        machine_reset(current_machine);
    }
    json_object_set_boolean_member(data, "guest", guest);
    json_object_set_string_member(data, "reason", reason);
    qmp_event_emit("RESET", data);
}

bool main_loop_should_exit(void)
{
    return exit_requested;
}

void main_loop_run(void)
{
    if (!exit_requested) {
        loop = g_main_loop_new(NULL, FALSE);
        g_main_loop_run(loop);
        g_clear_pointer(&loop, g_main_loop_unref);
    }
    emit_shutdown();
}
