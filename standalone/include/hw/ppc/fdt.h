/*
 * libfdt helpers for the tree builders.
 */
#ifndef HW_PPC_FDT_H
#define HW_PPC_FDT_H

#include "qemu/osdep.h"
#include <libfdt.h>

/*
 * A libfdt call that fails while building our own tree is a bug (the
 * buffer is sized for the largest machine), not a runtime condition.
 */
#define _FDT(exp)                                                              \
    ({                                                                         \
        int ret_ = (exp);                                                      \
        if (ret_ < 0) {                                                        \
            g_error("%s:%d: %s: %s", __FILE__, __LINE__, #exp, fdt_strerror(ret_)); \
        }                                                                      \
        ret_;                                                                  \
    })

/* Set a property of 64-bit cells stored big-endian. */
static inline int fdt_setprop_u64_pair(void *fdt, int node, const char *name, uint64_t a,
                                       uint64_t b)
{
    uint32_t cells[4] = { cpu_to_fdt32(a >> 32), cpu_to_fdt32(a), cpu_to_fdt32(b >> 32),
                          cpu_to_fdt32(b) };
    return fdt_setprop(fdt, node, name, cells, sizeof(cells));
}

#endif
