/*
 * The list of type registration functions (see qemu/module.h).
 */
#include "qemu/osdep.h"
#include "qemu/module.h"

static TypeRegisterFn fns[256];
static unsigned nfns;

void register_type_fn(TypeRegisterFn fn)
{
    g_assert(nfns < G_N_ELEMENTS(fns));
    fns[nfns++] = fn;
}

void module_call_init(void)
{
    for (unsigned i = 0; i < nfns; i++) {
        g_type_ensure(fns[i]());
    }
}
