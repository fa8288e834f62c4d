/*
 * pseries machine core through qtest: RTAS dispatch and its calls, the
 * H_RTAS and hcall paths, the event log, DRC sensors and indicators.
 */
#include "libqos/spapr.h"

#include <string.h>
#include <time.h>

#define H_PARAMETER_U64 18446744073709551612ull   /* (uint64_t)-4, as QEMU prints it */
#define RTAS_PARAM_ERROR ((uint32_t)-3)
#define HCALL_RTAS 0xF000

static QTestState *start(void)
{
    return qtest_init("-machine pseries -m 1G");
}

/* Time of day --------------------------------------------------------------- */

static time_t rets_to_time(const uint32_t *rets)
{
    struct tm tm = {
        .tm_year = rets[1] - 1900, .tm_mon = rets[2] - 1, .tm_mday = rets[3],
        .tm_hour = rets[4], .tm_min = rets[5], .tm_sec = rets[6],
    };
    return timegm(&tm);
}

static void test_get_time_of_day(void)
{
    QTestState *qts = start();
    uint32_t rets[8];
    time_t before = time(NULL);

    g_assert_cmpuint(qrtas_call(qts, "get-time-of-day", 0, NULL, 8, rets), ==, 0);
    g_assert_cmpint((int32_t)rets[0], ==, 0);
    g_assert_cmpint(llabs(rets_to_time(rets) - before), <, 5);
    g_assert_cmpuint(rets[7], <, 1000000000);
    /* wrong nret: parameter error */
    g_assert_cmpuint(qrtas_call(qts, "get-time-of-day", 0, NULL, 7, rets), ==, 0);
    g_assert_cmpuint(rets[0], ==, RTAS_PARAM_ERROR);
    qtest_quit(qts);
}

static void test_set_time_of_day(void)
{
    QTestState *qts = start();
    time_t t1 = 0x12345678;
    struct tm tm;
    uint32_t args[7], rets[8];

    gmtime_r(&t1, &tm);
    args[0] = tm.tm_year + 1900;
    args[1] = tm.tm_mon + 1;
    args[2] = tm.tm_mday;
    args[3] = tm.tm_hour;
    args[4] = tm.tm_min;
    args[5] = tm.tm_sec;
    args[6] = 0;
    g_assert_cmpuint(qrtas_call(qts, "set-time-of-day", 7, args, 1, rets), ==, 0);
    g_assert_cmpint((int32_t)rets[0], ==, 0);
    g_assert_cmpuint(qrtas_call(qts, "get-time-of-day", 0, NULL, 8, rets), ==, 0);
    g_assert_cmpint(rets_to_time(rets) - t1, >=, 0);
    g_assert_cmpint(rets_to_time(rets) - t1, <, 5);

    /* an impossible date is refused and the clock is unchanged */
    args[1] = 13;
    g_assert_cmpuint(qrtas_call(qts, "set-time-of-day", 7, args, 1, rets), ==, 0);
    g_assert_cmpuint(rets[0], ==, RTAS_PARAM_ERROR);
    args[1] = 2;
    args[2] = 30;
    g_assert_cmpuint(qrtas_call(qts, "set-time-of-day", 7, args, 1, rets), ==, 0);
    g_assert_cmpuint(rets[0], ==, RTAS_PARAM_ERROR);
    g_assert_cmpuint(qrtas_call(qts, "set-time-of-day", 6, args, 1, rets), ==, 0);
    g_assert_cmpuint(rets[0], ==, RTAS_PARAM_ERROR);
    g_assert_cmpuint(qrtas_call(qts, "get-time-of-day", 0, NULL, 8, rets), ==, 0);
    g_assert_cmpint(rets_to_time(rets) - t1, <, 5);
    qtest_quit(qts);
}

/* Dispatcher ---------------------------------------------------------------- */

static void test_unknown_and_bad_buffers(void)
{
    QTestState *qts = start();
    uint64_t ram_end = 1ull << 30;

    g_assert_cmpuint(qtest_rtas_call(qts, "no-such-call", 0, QOS_SCRATCH, 1, QOS_SCRATCH),
                     ==, H_PARAMETER_U64);
    /* return buffer beyond RAM: refused, nothing written */
    g_assert_cmpuint(qtest_rtas_call(qts, "get-time-of-day", 0, QOS_SCRATCH, 8,
                                     0x7000000000000000ull), ==, H_PARAMETER_U64);
    /* return buffer straddling the end of RAM */
    qtest_writel(qts, ram_end - 4, 0x5a5a5a5a);
    g_assert_cmpuint(qtest_rtas_call(qts, "get-time-of-day", 0, QOS_SCRATCH, 8, ram_end - 4),
                     ==, H_PARAMETER_U64);
    g_assert_cmphex(qtest_readl(qts, ram_end - 4), ==, 0x5a5a5a5a);
    /* argument buffer outside RAM */
    qtest_writel(qts, QOS_SCRATCH, 0x5a5a5a5a);
    g_assert_cmpuint(qtest_rtas_call(qts, "set-time-of-day", 7, 0xfffffffffffff000ull, 1,
                                     QOS_SCRATCH), ==, H_PARAMETER_U64);
    g_assert_cmphex(qtest_readl(qts, QOS_SCRATCH), ==, 0x5a5a5a5a);
    /* no room for a status word */
    g_assert_cmpuint(qtest_rtas_call(qts, "event-scan", 4, QOS_SCRATCH, 0, QOS_SCRATCH),
                     ==, H_PARAMETER_U64);
    /* absurd counts */
    g_assert_cmpuint(qtest_rtas_call(qts, "event-scan", 0xffffffffu, QOS_SCRATCH, 1,
                                     QOS_SCRATCH), ==, H_PARAMETER_U64);
    qtest_quit(qts);
}

static void test_hcall_rtas(void)
{
    QTestState *qts = start();
    uint64_t buf = 0x20000, args[1] = { buf };
    int64_t ret;

    /* get-time-of-day through H_RTAS: token, nargs, nret, then the cells */
    qos_stl_be(qts, buf, 0x2001);
    qos_stl_be(qts, buf + 4, 0);
    qos_stl_be(qts, buf + 8, 8);
    qos_stl_be(qts, buf + 12, 0xdeadbeef);
    ret = qtest_hcall(qts, HCALL_RTAS, 1, args, NULL, 0, NULL);
    g_assert_cmpint(ret, ==, 0);
    g_assert_cmphex(qos_ldl_be(qts, buf + 12), ==, 0);
    g_assert_cmpuint(qos_ldl_be(qts, buf + 16), >=, 2024);

    /* unknown token: status -3 and H_PARAMETER */
    qos_stl_be(qts, buf, 0x1234);
    qos_stl_be(qts, buf + 4, 0);
    qos_stl_be(qts, buf + 8, 1);
    ret = qtest_hcall(qts, HCALL_RTAS, 1, args, NULL, 0, NULL);
    g_assert_cmpint(ret, ==, -4);
    g_assert_cmphex(qos_ldl_be(qts, buf + 12), ==, RTAS_PARAM_ERROR);

    /* a token inside the range that nothing implements */
    qos_stl_be(qts, buf, 0x2000 + 0x2c);
    ret = qtest_hcall(qts, HCALL_RTAS, 1, args, NULL, 0, NULL);
    g_assert_cmpint(ret, ==, -4);

    /* buffer outside RAM */
    args[0] = 0x7000000000000000ull;
    g_assert_cmpint(qtest_hcall(qts, HCALL_RTAS, 1, args, NULL, 0, NULL), ==, -4);
    qtest_quit(qts);
}

static void test_hcall_dispatch(void)
{
    QTestState *qts = start();
    uint64_t args[10] = { 0 };
    g_autofree char *rsp = NULL;

    /* an opcode with no handler */
    g_assert_cmpint(qtest_hcall(qts, 0x4, 0, NULL, NULL, 0, NULL), ==, -2);
    g_assert_cmpint(qtest_hcall(qts, 0xffffffffffffffffull, 9, args, NULL, 0, NULL), ==, -2);
    rsp = qtest_raw(qts, "hcall 0x4 1 2 3 4 5 6 7 8 9 10");
    g_assert(g_str_has_prefix(rsp, "FAIL"));
    g_free(rsp);
    rsp = qtest_raw(qts, "hcall zz");
    g_assert(g_str_has_prefix(rsp, "FAIL"));
    qtest_quit(qts);
}

/* Platform calls --------------------------------------------------------------- */

static void test_power_off(void)
{
    QTestState *qts = start();
    uint32_t args[2] = { 0, 0 }, rets[1];
    JsonObject *ev;

    g_assert_cmpuint(qrtas_call(qts, "power-off", 1, args, 1, rets), ==, 0);
    g_assert_cmpuint(rets[0], ==, RTAS_PARAM_ERROR);
    /* the machine powers off at once: its return cell cannot be read afterwards */
    qos_stl_be(qts, QOS_SCRATCH, 0);
    qos_stl_be(qts, QOS_SCRATCH + 4, 0);
    qtest_send_raw(qts, "rtas power-off 2 0x10000 1 0x10008\n", 35);
    ev = qtest_qmp_eventwait_ref(qts, "SHUTDOWN");
    g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(ev, "data"),
                                                  "reason"), ==, "guest-shutdown");
    g_assert_true(json_object_get_boolean_member(json_object_get_object_member(ev, "data"),
                                                 "guest"));
    json_object_unref(ev);
    g_assert_cmpint(qtest_kill_and_wait(qts), ==, 0);
}

static void test_system_reboot(void)
{
    QTestState *qts = start();
    uint32_t rets[1];
    JsonObject *ev;

    g_assert_cmpuint(qrtas_call(qts, "system-reboot", 0, NULL, 1, rets), ==, 0);
    g_assert_cmpint((int32_t)rets[0], ==, 0);
    ev = qtest_qmp_eventwait_ref(qts, "RESET");
    g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(ev, "data"),
                                                  "reason"), ==, "guest-reset");
    json_object_unref(ev);
    qtest_quit(qts);
}

static void test_get_system_parameter(void)
{
    QTestState *qts = start();
    uint64_t buf = 0x30000;
    uint32_t args[3] = { 20, buf, 256 }, rets[1];
    char text[256];
    uint8_t raw[18];

    g_assert_cmpuint(qrtas_call(qts, "ibm,get-system-parameter", 3, args, 1, rets), ==, 0);
    g_assert_cmpint((int32_t)rets[0], ==, 0);
    qtest_memread(qts, buf, raw, 2);
    g_assert_cmpuint(raw[0] << 8 | raw[1], >, 10);
    qtest_memread(qts, buf + 2, text, raw[0] << 8 | raw[1]);
    g_assert_nonnull(strstr(text, "DesMem=1024"));

    /* UUID: 16 bytes */
    args[0] = 48;
    g_assert_cmpuint(qrtas_call(qts, "ibm,get-system-parameter", 3, args, 1, rets), ==, 0);
    g_assert_cmpint((int32_t)rets[0], ==, 0);
    qtest_memread(qts, buf, raw, 18);
    g_assert_cmpuint(raw[0] << 8 | raw[1], ==, 16);

    /* a short buffer is filled up to its end only */
    args[0] = 20;
    args[2] = 6;
    qtest_memset(qts, buf, 0xaa, 16);
    g_assert_cmpuint(qrtas_call(qts, "ibm,get-system-parameter", 3, args, 1, rets), ==, 0);
    qtest_memread(qts, buf, raw, 8);
    g_assert_cmpuint(raw[0] << 8 | raw[1], ==, 4);
    g_assert_cmphex(raw[6], ==, 0xaa);

    /* unknown parameter, buffer outside RAM, wrong counts */
    args[0] = 9999;
    args[2] = 256;
    g_assert_cmpuint(qrtas_call(qts, "ibm,get-system-parameter", 3, args, 1, rets), ==, 0);
    g_assert_cmpuint(rets[0], ==, RTAS_PARAM_ERROR);
    args[0] = 20;
    args[1] = 0xfffff000;
    g_assert_cmpuint(qrtas_call(qts, "ibm,get-system-parameter", 3, args, 1, rets), ==, 0);
    g_assert_cmpuint(rets[0], ==, RTAS_PARAM_ERROR);
    g_assert_cmpuint(qrtas_call(qts, "ibm,get-system-parameter", 2, args, 1, rets), ==, 0);
    g_assert_cmpuint(rets[0], ==, RTAS_PARAM_ERROR);
    qtest_quit(qts);
}

/* Events ----------------------------------------------------------------------- */

static void test_events_epow(void)
{
    QTestState *qts = start();
    uint64_t buf = 0x40000;
    uint32_t args[4] = { 0 }, rets[1];
    uint8_t log[116];
    JsonObject *rsp;

    qtest_irq_intercept_in(qts, "/machine/intc");
    g_assert_cmpint(qrtas_check_exception(qts, 0xffffffff, buf, 2048), ==, 1);
    g_assert_cmpuint(qrtas_call(qts, "event-scan", 4, args, 1, rets), ==, 0);
    g_assert_cmpint((int32_t)rets[0], ==, 1);
    g_assert_cmpuint(qrtas_call(qts, "event-scan", 3, args, 1, rets), ==, 0);
    g_assert_cmpuint(rets[0], ==, RTAS_PARAM_ERROR);

    rsp = qtest_qmp(qts, "{\"execute\": \"system_powerdown\"}");
    qmp_rsp_return(rsp);
    json_object_unref(rsp);
    /* announced by an edge on the EPOW source, 0x1000 */
    g_assert_cmpuint(qtest_irq_raise_count(qts, 0x1000), ==, 1);
    g_assert_false(qtest_get_irq(qts, 0x1000));

    /* another class's mask does not fetch it; a short buffer is refused, event kept */
    g_assert_cmpint(qrtas_check_exception(qts, 0x10000000, buf, 2048), ==, 1);
    g_assert_cmpint(qrtas_check_exception(qts, 0x40000000, buf, 4), ==, -3);
    g_assert_cmpint(qrtas_check_exception(qts, 0x40000000, 0xfffffff0, 2048), ==, -3);

    qtest_memset(qts, buf, 0xee, sizeof(log) + 16);
    g_assert_cmpint(qrtas_check_exception(qts, 0x40000000, buf, 2048), ==, 0);
    qtest_memread(qts, buf, log, sizeof(log));
    g_assert_cmphex(log[0] << 24 | log[1] << 16 | log[2] << 8 | log[3], ==, 0x06340040);
    g_assert_cmpuint(log[4] << 24 | log[5] << 16 | log[6] << 8 | log[7], ==, 108);
    g_assert_cmphex(log[8], ==, 0x86);              /* v6 header: valid, new, big-endian */
    g_assert_cmphex(log[10], ==, 0x8e);
    g_assert_cmpmem(log + 8 + 12, 4, "IBM\0", 4);
    g_assert_cmpmem(log + 8 + 16, 2, "PH", 2);     /* Main-A */
    g_assert_cmpuint(log[8 + 16 + 3], ==, 48);
    g_assert_cmpuint(log[8 + 16 + 24], ==, 'H');
    g_assert_cmpuint(log[8 + 16 + 27], ==, 3);
    g_assert_cmpmem(log + 8 + 64, 2, "UH", 2);     /* Main-B */
    g_assert_cmpmem(log + 8 + 88, 2, "EP", 2);     /* EPOW */
    g_assert_cmpuint(log[8 + 88 + 8], ==, 3);       /* system shutdown */
    /* nothing past the log was written */
    qtest_memread(qts, buf + sizeof(log), log, 4);
    g_assert_cmphex(log[0], ==, 0xee);

    g_assert_cmpint(qrtas_check_exception(qts, 0x40000000, buf, 2048), ==, 1);
    qtest_quit(qts);
}

static void test_events_partial_buffer_and_reset(void)
{
    QTestState *qts = start();
    uint64_t buf = 0x40000;
    uint8_t b[16];
    JsonObject *rsp;

    rsp = qtest_qmp(qts, "{\"execute\": \"system_powerdown\"}");
    json_object_unref(rsp);
    rsp = qtest_qmp(qts, "{\"execute\": \"system_powerdown\"}");
    json_object_unref(rsp);
    /* 12 bytes: summary, length and 4 bytes of the log, nothing more */
    qtest_memset(qts, buf, 0xee, 16);
    g_assert_cmpint(qrtas_check_exception(qts, 0x40000000, buf, 12), ==, 0);
    qtest_memread(qts, buf, b, 16);
    g_assert_cmphex(b[0], ==, 0x06);
    g_assert_cmphex(b[12], ==, 0xee);
    /* the second event is dropped by a reset */
    rsp = qtest_qmp(qts, "{\"execute\": \"system_reset\"}");
    json_object_unref(rsp);
    g_assert_cmpint(qrtas_check_exception(qts, 0xffffffff, buf, 2048), ==, 1);
    qtest_quit(qts);
}

/* DRCs ------------------------------------------------------------------------ */

static void test_drc_sensor_and_indicator(void)
{
    QTestState *qts = start();
    uint32_t s;

    /* PHB 0 is cold-plugged: present and configured */
    g_assert_cmpint(qrtas_get_sensor_state(qts, QOS_SENSOR_ENTITY, QOS_DRC_PHB(0), &s), ==, 0);
    g_assert_cmpuint(s, ==, 1);
    /* PHB 1's connector is empty */
    g_assert_cmpint(qrtas_get_sensor_state(qts, QOS_SENSOR_ENTITY, QOS_DRC_PHB(1), &s), ==, 0);
    g_assert_cmpuint(s, ==, 2);
    g_assert_cmpint(qrtas_get_sensor_state(qts, QOS_SENSOR_ENTITY, 0x12345678, &s), ==, -3);
    g_assert_cmpint(qrtas_get_sensor_state(qts, 9001, QOS_DRC_PHB(0), &s), ==, -3);
    /* PCI slot DRCs of PHB 0: empty */
    g_assert_cmpint(qrtas_get_sensor_state(qts, QOS_SENSOR_ENTITY, 0x40000008, &s), ==, 0);
    g_assert_cmpuint(s, ==, 0);

    /* nothing to allocate behind an empty connector */
    g_assert_cmpint(qrtas_set_indicator(qts, QOS_IND_ALLOCATION, QOS_DRC_PHB(1), 1), ==, -3);
    g_assert_cmpint(qrtas_set_indicator(qts, QOS_IND_ALLOCATION, 0x12345678, 1), ==, -3);
    g_assert_cmpint(qrtas_set_indicator(qts, 9999, QOS_DRC_PHB(0), 1), ==, -3);
    /* configured PHB: cannot be made unusable before it is isolated */
    g_assert_cmpint(qrtas_set_indicator(qts, QOS_IND_ALLOCATION, QOS_DRC_PHB(0), 0), ==, -3);
    g_assert_cmpint(qrtas_set_indicator(qts, QOS_IND_ISOLATION, QOS_DRC_PHB(0), 0), ==, 0);
    g_assert_cmpint(qrtas_set_indicator(qts, QOS_IND_ALLOCATION, QOS_DRC_PHB(0), 0), ==, 0);
    g_assert_cmpint(qrtas_get_sensor_state(qts, QOS_SENSOR_ENTITY, QOS_DRC_PHB(0), &s), ==, 0);
    g_assert_cmpuint(s, ==, 2);
    /* and back */
    g_assert_cmpint(qrtas_set_indicator(qts, QOS_IND_ISOLATION, QOS_DRC_PHB(0), 1), ==, -3);
    g_assert_cmpint(qrtas_set_indicator(qts, QOS_IND_ALLOCATION, QOS_DRC_PHB(0), 1), ==, 0);
    g_assert_cmpint(qrtas_set_indicator(qts, QOS_IND_ISOLATION, QOS_DRC_PHB(0), 1), ==, 0);
    g_assert_cmpint(qrtas_get_sensor_state(qts, QOS_SENSOR_ENTITY, QOS_DRC_PHB(0), &s), ==, 0);
    g_assert_cmpuint(s, ==, 1);
    qtest_quit(qts);
}

static void test_drc_configure_connector(void)
{
    QTestState *qts = start();
    uint64_t wa = 0x50000;
    int nodes = 0, props = 0, depth = 0, ret, steps = 0;
    bool saw_dma_window = false;
    char name[64];

    /* not unisolated: not configurable */
    qos_stl_be(qts, wa, QOS_DRC_PHB(1));
    g_assert_cmpint(qrtas_configure_connector(qts, wa), ==, -9003);
    qos_stl_be(qts, wa, 0x12345678);
    g_assert_cmpint(qrtas_configure_connector(qts, wa), ==, -3);
    g_assert_cmpint(qrtas_configure_connector(qts, 0xfffffffff000ull), ==, -3);

    /* PHB 0: isolate, release, take back, walk its subtree */
    g_assert_cmpint(qrtas_set_indicator(qts, QOS_IND_ISOLATION, QOS_DRC_PHB(0), 0), ==, 0);
    g_assert_cmpint(qrtas_set_indicator(qts, QOS_IND_ALLOCATION, QOS_DRC_PHB(0), 0), ==, 0);
    g_assert_cmpint(qrtas_set_indicator(qts, QOS_IND_ALLOCATION, QOS_DRC_PHB(0), 1), ==, 0);
    g_assert_cmpint(qrtas_set_indicator(qts, QOS_IND_ISOLATION, QOS_DRC_PHB(0), 1), ==, 0);
    do {
        qos_stl_be(qts, wa, QOS_DRC_PHB(0));
        ret = qrtas_configure_connector(qts, wa);
        g_assert_cmpint(++steps, <, 10000);
        switch (ret) {
        case 2:             /* next child: name at the offset in word 2 */
            qtest_memread(qts, wa + qos_ldl_be(qts, wa + 8), name, sizeof(name));
            name[sizeof(name) - 1] = 0;
            if (nodes == 0) {
                g_assert_cmpstr(name, ==, "pci@800000020000000");
            }
            nodes++;
            depth++;
            break;
        case 3:             /* next property */
            qtest_memread(qts, wa + qos_ldl_be(qts, wa + 8), name, sizeof(name));
            name[sizeof(name) - 1] = 0;
            if (!strcmp(name, "ibm,dma-window")) {
                saw_dma_window = true;
                g_assert_cmpuint(qos_ldl_be(qts, wa + 12), ==, 20);
                g_assert_cmphex(qos_ldl_be(qts, wa + qos_ldl_be(qts, wa + 16)), ==,
                                0x80000000);
            }
            props++;
            break;
        case 4:
            depth--;
            break;
        case 0:
            break;
        default:
            g_error("configure-connector returned %d", ret);
        }
    } while (ret != 0);
    g_assert_cmpint(nodes, ==, 1);
    g_assert_cmpint(depth, ==, 1);          /* the last END_NODE is the 0 */
    g_assert_cmpint(props, >, 15);
    g_assert_true(saw_dma_window);
    /* configured again: the walk can be replayed from the start */
    qos_stl_be(qts, wa, QOS_DRC_PHB(0));
    g_assert_cmpint(qrtas_configure_connector(qts, wa), ==, 2);
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/spapr/rtas/get-time-of-day", test_get_time_of_day);
    g_test_add_func("/spapr/rtas/set-time-of-day", test_set_time_of_day);
    g_test_add_func("/spapr/rtas/unknown-and-bad-buffers", test_unknown_and_bad_buffers);
    g_test_add_func("/spapr/hcall/h-rtas", test_hcall_rtas);
    g_test_add_func("/spapr/hcall/dispatch", test_hcall_dispatch);
    g_test_add_func("/spapr/rtas/power-off", test_power_off);
    g_test_add_func("/spapr/rtas/system-reboot", test_system_reboot);
    g_test_add_func("/spapr/rtas/get-system-parameter", test_get_system_parameter);
    g_test_add_func("/spapr/events/epow", test_events_epow);
    g_test_add_func("/spapr/events/partial-buffer-and-reset", test_events_partial_buffer_and_reset);
    g_test_add_func("/spapr/drc/sensor-and-indicator", test_drc_sensor_and_indicator);
    g_test_add_func("/spapr/drc/configure-connector", test_drc_configure_connector);
    return g_test_run();
}
