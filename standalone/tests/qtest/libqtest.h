/*
 * libqtest: start qemu-system-ppc64 the way QEMU's libqtest does and play
 * the guest through the qtest protocol, with a QMP client beside it.
 *
 * The binary is $QTEST_QEMU_BINARY.  The test listens on two unix sockets
 * and the binary connects to both as a client:
 *   BIN -qtest unix:SOCK1 -qtest-log /dev/null -chardev socket,path=SOCK2,id=char0
 *       -mon chardev=char0,mode=control -display none -audio none EXTRA -accel qtest
 * Every function asserts on protocol errors (a test failure), except the
 * *_raw ones, which return what the server said.
 */
#ifndef LIBQTEST_H
#define LIBQTEST_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct QTestState QTestState;

/* Start with @extra_args (a shell-quoted string), negotiate QMP. */
QTestState *qtest_init(const char *extra_args);
QTestState *qtest_initf(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* Start without reading the QMP greeting or negotiating. */
QTestState *qtest_init_without_qmp_handshake(const char *extra_args);
/* SIGTERM, wait, assert a clean exit (status 0).  Frees @s. */
void qtest_quit(QTestState *s);
/* Like qtest_quit but returns the wait status instead of asserting. */
int qtest_kill_and_wait(QTestState *s);
/* The child's pid (for fd/memory accounting). */
int qtest_pid(QTestState *s);

/* qtest --------------------------------------------------------------- */

/* Send a raw line (without "\n"), return the reply line (without "\n"). */
char *qtest_raw(QTestState *s, const char *line);
char *qtest_rawf(QTestState *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Send raw bytes on the qtest socket without reading anything. */
void qtest_send_raw(QTestState *s, const char *data, size_t len);

uint8_t qtest_readb(QTestState *s, uint64_t addr);
uint16_t qtest_readw(QTestState *s, uint64_t addr);
uint32_t qtest_readl(QTestState *s, uint64_t addr);
uint64_t qtest_readq(QTestState *s, uint64_t addr);
void qtest_writeb(QTestState *s, uint64_t addr, uint8_t v);
void qtest_writew(QTestState *s, uint64_t addr, uint16_t v);
void qtest_writel(QTestState *s, uint64_t addr, uint32_t v);
void qtest_writeq(QTestState *s, uint64_t addr, uint64_t v);
void qtest_memread(QTestState *s, uint64_t addr, void *buf, size_t size);
void qtest_memwrite(QTestState *s, uint64_t addr, const void *buf, size_t size);
void qtest_bufread(QTestState *s, uint64_t addr, void *buf, size_t size);
void qtest_bufwrite(QTestState *s, uint64_t addr, const void *buf, size_t size);
void qtest_memset(QTestState *s, uint64_t addr, uint8_t pattern, size_t size);

int64_t qtest_clock_step(QTestState *s, int64_t ns);
int64_t qtest_clock_step_next(QTestState *s);
int64_t qtest_clock_set(QTestState *s, int64_t ns);

void qtest_irq_intercept_in(QTestState *s, const char *path);
void qtest_irq_intercept_out(QTestState *s, const char *path);
/* Current level of intercepted line @n (as last reported). */
bool qtest_get_irq(QTestState *s, int n);
/* How many "IRQ raise" lines were seen for @n (edges, for MSIs). */
unsigned qtest_irq_raise_count(QTestState *s, int n);

/*
 * "rtas NAME NARGS ARGS NRET RETS": the raw hypervisor status (0 when the
 * call exists; its RTAS status is then in guest memory at @rets).
 */
uint64_t qtest_rtas_call(QTestState *s, const char *name, uint32_t nargs, uint64_t args,
                         uint32_t nret, uint64_t rets);
/*
 * "hcall OPCODE ARGS...": returns the PAPR return code, fills @outs
 * (may be NULL) with up to @max_outs values and returns their count in *nouts.
 */
int64_t qtest_hcall(QTestState *s, uint64_t opcode, int nargs, const uint64_t *args,
                    uint64_t *outs, int max_outs, int *nouts);

/* QMP ----------------------------------------------------------------- */

/* Send a JSON command (printf format) and return the reply (events are stashed). */
JsonObject *qtest_qmp(QTestState *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Send without waiting. */
void qtest_qmp_send(QTestState *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Send bytes as they are. */
void qtest_qmp_send_raw(QTestState *s, const char *data, size_t len);
/* Next message from the monitor, event or reply (the stash first if @events). */
JsonObject *qtest_qmp_receive(QTestState *s);
/* Wait for event @name (looking in the stash first); returns the whole message. */
JsonObject *qtest_qmp_eventwait_ref(QTestState *s, const char *name);
/* Is event @name in the stash (does not wait)?  Removes and returns it. */
JsonObject *qtest_qmp_event_ref(QTestState *s, const char *name);
/* device_add with @json_props ("\"index\": 1, ..."); asserts success. */
void qtest_qmp_device_add(QTestState *s, const char *driver, const char *id,
                          const char *json_props_fmt, ...) G_GNUC_PRINTF(4, 5);

/* Helpers for assertions on replies */
bool qmp_rsp_is_err(JsonObject *rsp);
const char *qmp_rsp_error_class(JsonObject *rsp);
const char *qmp_rsp_error_desc(JsonObject *rsp);
/* Assert @rsp is a success, return its "return" node (borrowed). */
JsonNode *qmp_rsp_return(JsonObject *rsp);

/* Misc ------------------------------------------------------------------ */

/* Path of the binary under test ($QTEST_QEMU_BINARY). */
const char *qtest_binary(void);
/* A fresh temporary directory for the test (removed by the caller). */
char *qtest_tmpdir(void);

#endif
