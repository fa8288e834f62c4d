/*
 * Type registration at startup.
 *
 * GObject registers a type the first time its get_type() runs; lookups by
 * name (-device DRIVER, -machine NAME) need every type registered first.
 * Each type file lists its get_type functions with type_init(), and main
 * calls module_call_init() once.
 */
#ifndef QEMU_MODULE_H
#define QEMU_MODULE_H

#include "qemu/osdep.h"

typedef GType (*TypeRegisterFn)(void);

void register_type_fn(TypeRegisterFn fn);
/* Register every type listed with type_init(). */
void module_call_init(void);

#define type_init(get_type_fn)                                                 \
    static void __attribute__((constructor)) register_##get_type_fn(void)     \
    {                                                                          \
        register_type_fn(get_type_fn);                                         \
    }

#endif
