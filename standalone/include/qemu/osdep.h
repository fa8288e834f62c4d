/*
 * Common includes for every C file of the project (include it first).
 */
#ifndef QEMU_OSDEP_H
#define QEMU_OSDEP_H

#include "config-host.h"
#include "config-devices.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <glib.h>
#include <glib-object.h>

typedef uint64_t hwaddr;

#define HWADDR_PRIx PRIx64

/* The struct of type @type whose member @member is at @ptr */
#define container_of(ptr, type, member) \
    ((type *)((char *)(ptr) - offsetof(type, member)))

/* @n rounded up to a multiple of @d (d a power of two) */
#define ROUND_UP(n, d) (((n) + (d) - 1) & ~((__typeof__(n))(d) - 1))

#endif
