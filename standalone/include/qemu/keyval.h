/*
 * Option strings of the command line: "value,key=value,key=value".
 *
 * This is QemuOpts' syntax: ',' separates pairs, ",," is a literal comma,
 * a first element without '=' is the implied key (driver, type, machine
 * name).  Pairs keep their order, and a repeated key keeps both.
 */
#ifndef QEMU_KEYVAL_H
#define QEMU_KEYVAL_H

#include "qemu/osdep.h"

typedef struct KeyvalPair {
    char *key;
    char *value;
} KeyvalPair;

typedef struct Keyval {
    GArray *pairs;   /* of KeyvalPair */
} Keyval;

/*
 * Parse @str.  If @implied_key is non-NULL, a first element without '='
 * becomes (implied_key, element).  An element without '=' elsewhere becomes
 * (element, "on") as in QemuOpts' boolean shorthand.  Errors on an empty key.
 */
Keyval *keyval_parse(const char *str, const char *implied_key, GError **errp);
void keyval_free(Keyval *kv);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Keyval, keyval_free)

/* Last value of @key, or NULL. */
const char *keyval_get(const Keyval *kv, const char *key);
/* Remove every pair of @key; returns TRUE if one was present. */
gboolean keyval_remove(Keyval *kv, const char *key);

/*
 * Parse a boolean the way QEMU does: on/off, yes/no, true/false.
 * Error text: "Parameter 'NAME' expects 'on' or 'off'".
 */
gboolean parse_bool(const char *name, const char *str, bool *out, GError **errp);

/*
 * Parse an unsigned integer (base 0: 0x.., 0.., decimal).  Errors name @name:
 * "Parameter 'NAME' expects integer" / "... a number below 2^64".
 */
gboolean parse_uint64(const char *name, const char *str, uint64_t *out, GError **errp);
gboolean parse_int64(const char *name, const char *str, int64_t *out, GError **errp);

/*
 * Parse a size with an optional k/M/G/T/P/E suffix (powers of 1024).  A number
 * without suffix is multiplied by @default_unit (1 for properties, 1 MiB
 * for -m).  Fractions are accepted with a suffix ("1.5G").  The number is
 * decimal ("010" is ten), or hex ("0x1000") without suffix or fraction, as
 * in QEMU.
 */
gboolean parse_size(const char *name, const char *str, uint64_t default_unit,
                    uint64_t *out, GError **errp);

#endif
