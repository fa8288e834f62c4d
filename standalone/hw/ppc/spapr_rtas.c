/*
 * RTAS dispatcher and the calls that belong to no other service:
 * power-off, system-reboot, ibm,get-system-parameter.
 */
#include "qemu/osdep.h"
#include "hw/ppc/spapr.h"
#include "hw/ppc/spapr_rtas.h"
#include "system/runstate.h"
#include "trace-events-all.h"

#include <libfdt.h>

/* Sanity bound on argument/return counts: no call takes more than a few. */
#define RTAS_MAX_CELLS 1024

typedef struct RtasCall {
    const char *name;
    SpaprRtasFn fn;
} RtasCall;

static RtasCall rtas_table[RTAS_TOKEN_COUNT];

void spapr_rtas_register(unsigned index, const char *name, SpaprRtasFn fn)
{
    g_assert(index < RTAS_TOKEN_COUNT);
    g_assert(!rtas_table[index].name || !strcmp(rtas_table[index].name, name));
    rtas_table[index] = (RtasCall){ name, fn };
}

uint32_t rtas_ld(hwaddr args, unsigned n)
{
    const uint8_t *p = spapr_ram_ptr(spapr_machine(), args + 4 * n);

    return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

void rtas_st(hwaddr rets, unsigned n, uint32_t val)
{
    uint8_t *p = spapr_ram_ptr(spapr_machine(), rets + 4 * n);

    p[0] = val >> 24;
    p[1] = val >> 16;
    p[2] = val >> 8;
    p[3] = val;
}

/* Both buffers in RAM, and room for the status word: else nothing may be touched. */
static bool buffers_ok(SpaprMachine *spapr, uint32_t nargs, hwaddr args, uint32_t nret,
                       hwaddr rets)
{
    return nret >= 1 && nargs <= RTAS_MAX_CELLS && nret <= RTAS_MAX_CELLS &&
           spapr_ram_range_ok(spapr, args, 4ull * nargs) &&
           spapr_ram_range_ok(spapr, rets, 4ull * nret);
}

static void run_call(SpaprMachine *spapr, unsigned index, uint32_t nargs, hwaddr args,
                     uint32_t nret, hwaddr rets)
{
    trace_spapr_rtas_call(rtas_table[index].name, nargs, nret);
    rtas_table[index].fn(spapr, RTAS_TOKEN_BASE + index, nargs, args, nret, rets);
    trace_spapr_rtas_status(rtas_table[index].name, (int32_t)rtas_ld(rets, 0));
}

gboolean spapr_rtas_call_by_name(SpaprMachine *spapr, const char *name, uint32_t nargs,
                                 hwaddr args, uint32_t nret, hwaddr rets, uint64_t *hret)
{
    for (unsigned i = 0; i < RTAS_TOKEN_COUNT; i++) {
        if (rtas_table[i].name && !strcmp(rtas_table[i].name, name)) {
            if (!buffers_ok(spapr, nargs, args, nret, rets)) {
                trace_spapr_rtas_bad_buffer(name, args, rets);
                *hret = (uint64_t)H_PARAMETER;
                return TRUE;
            }
            run_call(spapr, i, nargs, args, nret, rets);
            *hret = H_SUCCESS;
            return TRUE;
        }
    }
    return FALSE;
}

int64_t spapr_rtas_hcall(SpaprMachine *spapr, hwaddr buf)
{
    uint32_t token, nargs, nret, index;
    hwaddr args, rets;

    if (!spapr_ram_range_ok(spapr, buf, 12)) {
        return H_PARAMETER;
    }
    token = rtas_ld(buf, 0);
    nargs = rtas_ld(buf, 1);
    nret = rtas_ld(buf, 2);
    args = buf + 12;
    rets = args + 4ull * nargs;
    if (!buffers_ok(spapr, nargs, args, nret, rets)) {
        return H_PARAMETER;
    }
    index = token - RTAS_TOKEN_BASE;
    if (token < RTAS_TOKEN_BASE || index >= RTAS_TOKEN_COUNT || !rtas_table[index].fn) {
        trace_spapr_rtas_unknown_token(token);
        rtas_st(rets, 0, RTAS_OUT_NOT_SUPPORTED);
        return H_PARAMETER;
    }
    run_call(spapr, index, nargs, args, nret, rets);
    return H_SUCCESS;
}

void spapr_rtas_dt(SpaprMachine *spapr, void *fdt, int rtas)
{
    static const char hypertas[] = "hcall-tce\0hcall-multi-tce";

    for (unsigned i = 0; i < RTAS_TOKEN_COUNT; i++) {
        if (rtas_table[i].name) {
            fdt_setprop_cell(fdt, rtas, rtas_table[i].name, RTAS_TOKEN_BASE + i);
        }
    }
    /* Only the hypercall sets this machine implements: Linux keys H_PUT_TCE_INDIRECT
     * and H_STUFF_TCE on hcall-multi-tce. */
    fdt_setprop(fdt, rtas, "ibm,hypertas-functions", hypertas, sizeof(hypertas));
    /* QEMU's values: the error log size and the RTAS blob size it implies */
    fdt_setprop_cell(fdt, rtas, "rtas-error-log-max", RTAS_ERROR_LOG_MAX);
    fdt_setprop_cell(fdt, rtas, "rtas-size", RTAS_ERROR_LOG_MAX + RTAS_TOKEN_COUNT - 1);
    fdt_setprop_cell(fdt, rtas, "rtas-event-scan-rate", 1);
    fdt_setprop(fdt, rtas, "ibm,change-msix-capable", NULL, 0);
}

/* power-off, system-reboot ------------------------------------------------ */

static void rtas_power_off(SpaprMachine *spapr, uint32_t token, uint32_t nargs, hwaddr args,
                           uint32_t nret, hwaddr rets)
{
    if (nargs != 2 || nret != 1) {
        rtas_st(rets, 0, RTAS_OUT_PARAM_ERROR);
        return;
    }
    rtas_st(rets, 0, RTAS_OUT_SUCCESS);
    qemu_system_shutdown_request("guest-shutdown", true);
}

static void rtas_system_reboot(SpaprMachine *spapr, uint32_t token, uint32_t nargs,
                               hwaddr args, uint32_t nret, hwaddr rets)
{
    if (nargs != 0 || nret != 1) {
        rtas_st(rets, 0, RTAS_OUT_PARAM_ERROR);
        return;
    }
    rtas_st(rets, 0, RTAS_OUT_SUCCESS);
    qemu_system_reset_request("guest-reset", true);
}

/* ibm,get-system-parameter ------------------------------------------------- */

#define RTAS_SYSPARM_SPLPAR_CHARACTERISTICS 20
#define RTAS_SYSPARM_DIAGNOSTICS_RUN_MODE   42
#define RTAS_SYSPARM_UUID                   48

static void rtas_get_system_parameter(SpaprMachine *spapr, uint32_t token, uint32_t nargs,
                                      hwaddr args, uint32_t nret, hwaddr rets)
{
    uint32_t param, length;
    hwaddr buffer;
    g_autofree char *splpar = NULL;
    uint8_t zero16[16] = { 0 };
    const void *data;
    uint32_t len;
    uint8_t *out;

    if (nargs != 3 || nret != 1) {
        rtas_st(rets, 0, RTAS_OUT_PARAM_ERROR);
        return;
    }
    param = rtas_ld(args, 0);
    buffer = rtas_ld(args, 1);
    length = rtas_ld(args, 2);

    switch (param) {
    case RTAS_SYSPARM_SPLPAR_CHARACTERISTICS:
        /* no CPU is emulated: one entitled processor, as the /cpus node says nothing else */
        splpar = g_strdup_printf("MaxEntCap=100,DesMem=%" PRIu64 ",DesProcs=1,MaxPlatProcs=1",
                                 MACHINE(spapr)->ram_size >> 20);
        data = splpar;
        len = strlen(splpar) + 1;
        break;
    case RTAS_SYSPARM_DIAGNOSTICS_RUN_MODE:
        data = zero16;
        len = 1;
        break;
    case RTAS_SYSPARM_UUID:
        data = zero16;
        len = 16;
        break;
    default:
        rtas_st(rets, 0, RTAS_OUT_NOT_SUPPORTED);
        return;
    }
    /* the buffer holds a 16-bit length then the data, cut to the buffer */
    if (length < 2 || !spapr_ram_range_ok(spapr, buffer, length)) {
        rtas_st(rets, 0, RTAS_OUT_PARAM_ERROR);
        return;
    }
    out = spapr_ram_ptr(spapr, buffer);
    len = MIN(len, length - 2);
    out[0] = len >> 8;
    out[1] = len;
    memcpy(out + 2, data, len);
    rtas_st(rets, 0, RTAS_OUT_SUCCESS);
}

void spapr_rtas_register_core(void)
{
    spapr_rtas_register(RTAS_POWER_OFF, "power-off", rtas_power_off);
    spapr_rtas_register(RTAS_SYSTEM_REBOOT, "system-reboot", rtas_system_reboot);
    spapr_rtas_register(RTAS_IBM_GET_SYSTEM_PARAMETER, "ibm,get-system-parameter",
                        rtas_get_system_parameter);
}
