/*
 * Hypercalls: a dispatcher keyed by opcode.
 *
 * The guest's sc 1 puts the opcode in r3 and arguments in r4..r12; the
 * return code goes back in r3 and results in r4 and up.  Here, qtest's
 * "hcall" command plays that part.
 */
#ifndef HW_PPC_SPAPR_HCALL_H
#define HW_PPC_SPAPR_HCALL_H

#include "hw/ppc/spapr.h"

#define H_GET_TCE            0x1C
#define H_PUT_TCE            0x20
#define H_STUFF_TCE          0x138
#define H_PUT_TCE_INDIRECT   0x13C
#define KVMPPC_H_RTAS        0xF000

#define SPAPR_HCALL_MAX_ARGS 9
#define SPAPR_HCALL_MAX_RETS 9

/*
 * @args: r4.. (unused ones are 0); @rets: r4.. on return, *nrets how many
 * are meaningful.  Returns the PAPR return code.
 */
typedef int64_t (*SpaprHcallFn)(SpaprMachine *spapr, uint64_t opcode, const uint64_t *args,
                                uint64_t *rets, int *nrets);

void spapr_register_hypercall(uint64_t opcode, SpaprHcallFn fn);
/* H_FUNCTION for an opcode without a handler. */
int64_t spapr_hypercall(SpaprMachine *spapr, uint64_t opcode, const uint64_t *args,
                        uint64_t *rets, int *nrets);
void spapr_hcall_register_core(void);

#endif
