/*
 * Parsing of "value,key=value,..." option strings and of the scalar
 * syntaxes QEMU accepts in them (booleans, integers, sizes).
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "qemu/keyval.h"

static void pair_clear(gpointer p)
{
    KeyvalPair *kp = p;

    g_free(kp->key);
    g_free(kp->value);
}

/* Read one element up to an unescaped ',' ("a,,b" is "a,b"). */
static const char *read_element(const char *s, GString *out)
{
    while (*s) {
        if (*s == ',') {
            if (s[1] == ',') {
                g_string_append_c(out, ',');
                s += 2;
                continue;
            }
            return s + 1;
        }
        g_string_append_c(out, *s++);
    }
    return s;
}

Keyval *keyval_parse(const char *str, const char *implied_key, GError **errp)
{
    g_autoptr(Keyval) kv = g_new0(Keyval, 1);
    const char *p = str;
    bool first = true;

    kv->pairs = g_array_new(FALSE, TRUE, sizeof(KeyvalPair));
    g_array_set_clear_func(kv->pairs, pair_clear);

    while (*p || first) {
        g_autoptr(GString) elem = g_string_new(NULL);
        KeyvalPair kp;
        char *eq;

        p = read_element(p, elem);
        eq = strchr(elem->str, '=');
        if (!eq) {
            if (elem->len == 0) {
                if (first && !*p) {
                    break;      /* empty string: no pairs */
                }
                error_setg(errp, "Invalid parameter ''");
                return NULL;
            }
            if (first && implied_key) {
                kp.key = g_strdup(implied_key);
                kp.value = g_strdup(elem->str);
            } else {
                kp.key = g_strdup(elem->str);
                kp.value = g_strdup("on");
            }
        } else {
            if (eq == elem->str) {
                error_setg(errp, "Invalid parameter ''");
                return NULL;
            }
            kp.key = g_strndup(elem->str, eq - elem->str);
            kp.value = g_strdup(eq + 1);
        }
        g_array_append_val(kv->pairs, kp);
        first = false;
    }
    return g_steal_pointer(&kv);
}

void keyval_free(Keyval *kv)
{
    if (kv) {
        g_array_unref(kv->pairs);
        g_free(kv);
    }
}

const char *keyval_get(const Keyval *kv, const char *key)
{
    for (guint i = kv->pairs->len; i > 0; i--) {
        KeyvalPair *kp = &g_array_index(kv->pairs, KeyvalPair, i - 1);
        if (g_str_equal(kp->key, key)) {
            return kp->value;
        }
    }
    return NULL;
}

gboolean keyval_remove(Keyval *kv, const char *key)
{
    gboolean found = FALSE;

    for (guint i = kv->pairs->len; i > 0; i--) {
        if (g_str_equal(g_array_index(kv->pairs, KeyvalPair, i - 1).key, key)) {
            g_array_remove_index(kv->pairs, i - 1);
            found = TRUE;
        }
    }
    return found;
}

gboolean parse_bool(const char *name, const char *str, bool *out, GError **errp)
{
    if (!g_strcmp0(str, "on") || !g_strcmp0(str, "yes") || !g_strcmp0(str, "true") ||
        !g_strcmp0(str, "y")) {
        *out = true;
        return TRUE;
    }
    if (!g_strcmp0(str, "off") || !g_strcmp0(str, "no") || !g_strcmp0(str, "false") ||
        !g_strcmp0(str, "n")) {
        *out = false;
        return TRUE;
    }
    error_setg(errp, "Parameter '%s' expects 'on' or 'off'", name);
    return FALSE;
}

gboolean parse_uint64(const char *name, const char *str, uint64_t *out, GError **errp)
{
    char *end;
    guint64 v;

    if (!str || !*str || g_ascii_isspace(*str) || *str == '-') {
        goto bad;
    }
    errno = 0;
    v = g_ascii_strtoull(str, &end, 0);
    if (errno == ERANGE) {
        error_setg(errp, "Parameter '%s' expects a number below 2^64", name);
        return FALSE;
    }
    if (errno || *end) {
        goto bad;
    }
    *out = v;
    return TRUE;
bad:
    error_setg(errp, "Parameter '%s' expects integer", name);
    return FALSE;
}

gboolean parse_int64(const char *name, const char *str, int64_t *out, GError **errp)
{
    char *end;
    gint64 v;

    if (!str || !*str || g_ascii_isspace(*str)) {
        goto bad;
    }
    errno = 0;
    v = g_ascii_strtoll(str, &end, 0);
    if (errno || *end) {
        goto bad;
    }
    *out = v;
    return TRUE;
bad:
    error_setg(errp, "Parameter '%s' expects integer", name);
    return FALSE;
}

gboolean parse_size(const char *name, const char *str, uint64_t default_unit,
                    uint64_t *out, GError **errp)
{
    static const char suffixes[] = "bkmgtpe";
    char *end;
    double f;
    guint64 mult = default_unit, whole;
    const char *s;

    if (!str || !*str || *str == '-' || g_ascii_isspace(*str)) {
        goto bad;
    }
    /* decimal as in QEMU ("010" is ten); hex takes no suffix nor fraction */
    errno = 0;
    whole = g_ascii_strtoull(str, &end, 10);
    if (errno == ERANGE || end == str) {
        goto bad;
    }
    if (whole == 0 && (*end == 'x' || *end == 'X')) {
        whole = g_ascii_strtoull(str, &end, 16);
        if (errno == ERANGE || *end) {
            goto bad;
        }
        f = -1;
    } else if (*end == '.') {
        const char *dot = end;
        /* a fraction needs a suffix, as in QEMU ("1.5G"); no exponent */
        f = g_ascii_strtod(str, &end);
        if (!*end || memchr(dot, 'e', end - dot) || memchr(dot, 'E', end - dot)) {
            goto bad;
        }
    } else {
        f = -1;
    }
    if (*end) {
        s = strchr(suffixes, g_ascii_tolower(*end));
        if (!s || end[1]) {
            goto bad;
        }
        mult = 1ull << (10 * (s - suffixes));
    }
    if (f >= 0) {
        double r = f * (double)mult;
        if (r >= 18446744073709551616.0) {
            goto bad;
        }
        *out = (uint64_t)r;
        return TRUE;
    }
    if (whole && mult > G_MAXUINT64 / whole) {
        goto bad;
    }
    *out = whole * mult;
    return TRUE;
bad:
    error_setg(errp, "Parameter '%s' expects a non-negative number below 2^64", name);
    return FALSE;
}
