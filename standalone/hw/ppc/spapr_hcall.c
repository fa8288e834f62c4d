/*
 * Hypercall dispatcher, and H_RTAS (the guest's way into RTAS).
 */
#include "qemu/osdep.h"
#include "hw/ppc/spapr.h"
#include "hw/ppc/spapr_hcall.h"
#include "hw/ppc/spapr_rtas.h"
#include "trace-events-all.h"

static GHashTable *hcalls;     /* opcode -> SpaprHcallFn */

void spapr_register_hypercall(uint64_t opcode, SpaprHcallFn fn)
{
    if (!hcalls) {
        hcalls = g_hash_table_new(g_int64_hash, g_int64_equal);
    }
    g_hash_table_insert(hcalls, g_memdup2(&opcode, sizeof(opcode)), fn);
}

int64_t spapr_hypercall(SpaprMachine *spapr, uint64_t opcode, const uint64_t *args,
                        uint64_t *rets, int *nrets)
{
    SpaprHcallFn fn = hcalls ? g_hash_table_lookup(hcalls, &opcode) : NULL;
    int64_t ret;

    *nrets = 0;
    if (!fn) {
        trace_spapr_hcall_unknown(opcode);
        return H_FUNCTION;
    }
    ret = fn(spapr, opcode, args, rets, nrets);
    trace_spapr_hcall(opcode, ret);
    return ret;
}

static int64_t h_rtas(SpaprMachine *spapr, uint64_t opcode, const uint64_t *args,
                      uint64_t *rets, int *nrets)
{
    return spapr_rtas_hcall(spapr, args[0]);
}

void spapr_hcall_register_core(void)
{
    spapr_register_hypercall(KVMPPC_H_RTAS, h_rtas);
}
