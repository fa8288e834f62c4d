/*
 * Run state of the VM (query-status) and shutdown/reset requests.
 */
#ifndef SYSTEM_RUNSTATE_H
#define SYSTEM_RUNSTATE_H

#include "qemu/osdep.h"

typedef enum {
    RUN_STATE_PRELAUNCH,
    RUN_STATE_RUNNING,
    RUN_STATE_PAUSED,
    RUN_STATE_SHUTDOWN,
} RunState;

RunState runstate_get(void);
const char *runstate_name(RunState s);
bool runstate_is_running(void);

/* stop/cont: change state and send STOP/RESUME. */
void vm_stop(void);
void vm_start(void);
/* -S or not, decided at startup. */
void runstate_init(bool start_paused);

/* QMP quit, SIGTERM: leave the main loop, which then sends SHUTDOWN. */
void qemu_system_shutdown_request(const char *reason, bool guest);
/* system_reset: reset the machine and send RESET. */
void qemu_system_reset_request(const char *reason, bool guest);

/* The main loop (run until a shutdown request). */
void main_loop_run(void);
bool main_loop_should_exit(void);

#endif
