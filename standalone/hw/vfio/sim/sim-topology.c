/*
 * vfio-sim topology: which IOMMU groups exist, which PCI functions they
 * hold, and which driver each function is bound to.
 *
 * The format is a GKeyFile (see include/hw/vfio/vfio-sim.h); the default
 * topology is written in that same format below, so it doubles as the
 * example of it.
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "sim-internal.h"

/*
 * The default topology.  Tests depend on it:
 *   group 1: one PCIe function
 *   group 2: one PCIe device with two functions, both in the group
 *   group 3: one conventional PCI function (256-byte config space)
 *   group 4: not viable: its second function is bound to a host driver
 */
static const char default_topology[] =
    "[group 1]\n"
    "devices=0000:01:00.0\n"
    "\n"
    "[group 2]\n"
    "devices=0000:02:00.0;0000:02:00.1\n"
    "\n"
    "[group 3]\n"
    "devices=0000:03:00.0\n"
    "[device 0000:03:00.0]\n"
    "pcie=false\n"
    "\n"
    "[group 4]\n"
    "devices=0000:04:00.0;0000:04:00.1\n"
    "[device 0000:04:00.1]\n"
    "driver=e1000e\n";

SimGroup *sim_group_find(VfioSim *sim, int id)
{
    for (guint i = 0; i < sim->groups->len; i++) {
        SimGroup *g = g_ptr_array_index(sim->groups, i);
        if (g->id == id) {
            return g;
        }
    }
    return NULL;
}

static void sim_device_free(SimDevice *d)
{
    sim_func_cleanup(d);
    g_free(d->name);
    g_free(d->driver);
    g_free(d);
}

void sim_group_free(SimGroup *g)
{
    g_ptr_array_unref(g->devices);
    g_free(g);
}

/* "0000:05:00.0", lower-case hex, as sysfs names PCI functions. */
static bool parse_pci_name(const char *s, unsigned *dom, unsigned *bus, unsigned *slot,
                           unsigned *fn)
{
    char canon[16];
    int n = 0;

    if (sscanf(s, "%4x:%2x:%2x.%1x%n", dom, bus, slot, fn, &n) != 4 || s[n] ||
        *slot > 0x1f || *fn > 7) {
        return false;
    }
    snprintf(canon, sizeof(canon), "%04x:%02x:%02x.%x", *dom, *bus, *slot, *fn);
    return g_str_equal(canon, s);
}

static bool parse_group_section(const char *s, int *id)
{
    char *end;
    long v;

    if (!g_str_has_prefix(s, "group ")) {
        return false;
    }
    s += strlen("group ");
    if (!g_ascii_isdigit(*s)) {
        return false;
    }
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end || v > INT_MAX) {
        return false;
    }
    *id = v;
    return true;
}

/* Refuse keys the format does not have: a typo must not pass silently. */
static gboolean check_keys(GKeyFile *kf, const char *section, const char *const *allowed,
                           GError **errp)
{
    g_auto(GStrv) keys = g_key_file_get_keys(kf, section, NULL, NULL);

    for (guint i = 0; keys && keys[i]; i++) {
        if (!g_strv_contains(allowed, keys[i])) {
            error_setg(errp, "[%s]: unknown key '%s'", section, keys[i]);
            return FALSE;
        }
    }
    return TRUE;
}

static SimDevice *device_new(SimGroup *g, GKeyFile *kf, const char *name, GError **errp)
{
    static const char *const keys[] = { "pcie", "driver", NULL };
    g_autofree char *section = g_strdup_printf("device %s", name);
    SimDevice *d = g_new0(SimDevice, 1);

    d->group = g;
    d->name = g_strdup(name);
    d->pcie = true;
    d->driver = g_strdup("vfio-pci");
    d->bar2_fd = -1;
    d->intx_trigger = d->intx_unmask_fd = d->msi_trigger = -1;
    for (unsigned i = 0; i < SIM_MSIX_VECTORS; i++) {
        d->msix_trigger[i] = -1;
    }
    d->err_trigger = d->req_trigger = -1;
    if (g_key_file_has_group(kf, section)) {
        if (!check_keys(kf, section, keys, errp)) {
            goto fail;
        }
        if (g_key_file_has_key(kf, section, "pcie", NULL)) {
            g_autofree char *v = g_key_file_get_value(kf, section, "pcie", NULL);

            g_strstrip(v);
            if (!strcmp(v, "true") || !strcmp(v, "false")) {
                d->pcie = v[0] == 't';
            } else {
                error_setg(errp, "[%s]: pcie: '%s' is not true or false", section, v);
                goto fail;
            }
        }
        if (g_key_file_has_key(kf, section, "driver", NULL)) {
            g_free(d->driver);
            d->driver = g_key_file_get_string(kf, section, "driver", NULL);
            g_strstrip(d->driver);
        }
    }
    return d;

fail:
    g_free(d->name);
    g_free(d->driver);
    g_free(d);
    return NULL;
}

static gboolean load(VfioSim *sim, GKeyFile *kf, GError **errp)
{
    static const char *const group_keys[] = { "devices", NULL };
    g_auto(GStrv) sections = g_key_file_get_groups(kf, NULL);
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    unsigned ordinal = 0;

    for (guint i = 0; sections[i]; i++) {
        const char *s = sections[i];
        g_auto(GStrv) names = NULL;
        SimGroup *g;
        int id;

        if (g_str_has_prefix(s, "device ")) {
            continue;                       /* read with the group that lists it */
        }
        if (!parse_group_section(s, &id)) {
            error_setg(errp, "[%s]: unknown section (expected [group N] or "
                       "[device DDDD:BB:DD.F])", s);
            return FALSE;
        }
        if (!check_keys(kf, s, group_keys, errp)) {
            return FALSE;
        }
        names = g_key_file_get_string_list(kf, s, "devices", NULL, NULL);
        if (!names || !names[0]) {
            error_setg(errp, "[%s]: 'devices' must list at least one function", s);
            return FALSE;
        }
        g = g_new0(SimGroup, 1);
        g->sim = sim;
        g->id = id;
        g->fd = -1;
        g->devices = g_ptr_array_new_with_free_func((GDestroyNotify)sim_device_free);
        g_ptr_array_add(sim->groups, g);
        for (guint j = 0; names[j]; j++) {
            unsigned dom, bus, slot, fn;
            SimDevice *d;

            g_strstrip(names[j]);
            if (!parse_pci_name(names[j], &dom, &bus, &slot, &fn)) {
                error_setg(errp, "[%s]: '%s' is not a PCI function name (DDDD:BB:DD.F)", s,
                           names[j]);
                return FALSE;
            }
            if (g_hash_table_contains(seen, names[j])) {
                error_setg(errp, "[%s]: function %s is already in another group", s, names[j]);
                return FALSE;
            }
            d = device_new(g, kf, names[j], errp);
            if (!d) {
                return FALSE;
            }
            d->ordinal = ordinal++;
            g_ptr_array_add(g->devices, d);
            g_hash_table_add(seen, d->name);
        }
    }
    if (!sim->groups->len) {
        error_setg(errp, "no [group N] section");
        return FALSE;
    }
    for (guint i = 0; sections[i]; i++) {
        if (g_str_has_prefix(sections[i], "device ") &&
            !g_hash_table_contains(seen, sections[i] + strlen("device "))) {
            error_setg(errp, "[%s]: the function is not listed by any group", sections[i]);
            return FALSE;
        }
    }
    return TRUE;
}

/* Functions that share domain:bus:slot form one multi-function device. */
static void mark_multifunction(VfioSim *sim)
{
    g_autoptr(GHashTable) slots = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    for (int pass = 0; pass < 2; pass++) {
        for (guint i = 0; i < sim->groups->len; i++) {
            SimGroup *g = g_ptr_array_index(sim->groups, i);
            for (guint j = 0; j < g->devices->len; j++) {
                SimDevice *d = g_ptr_array_index(g->devices, j);
                char *slot = g_strndup(d->name, strlen("0000:00:00"));
                unsigned n = GPOINTER_TO_UINT(g_hash_table_lookup(slots, slot));

                if (pass == 0) {
                    g_hash_table_insert(slots, slot, GUINT_TO_POINTER(n + 1));
                } else {
                    d->multifunction = n > 1;
                    g_free(slot);
                }
            }
        }
    }
}

gboolean sim_topology_load(VfioSim *sim, GError **errp)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) err = NULL;
    const char *what = sim->topology ? sim->topology : "(default)";
    bool ok;

    g_ptr_array_set_size(sim->groups, 0);
    if (sim->topology) {
        ok = g_key_file_load_from_file(kf, sim->topology, G_KEY_FILE_NONE, &err);
    } else {
        ok = g_key_file_load_from_data(kf, default_topology, -1, G_KEY_FILE_NONE, &err);
    }
    if (ok) {
        ok = load(sim, kf, &err);
    }
    if (!ok) {
        error_setg(errp, "%s: topology '%s': %s", sim->desc, what, err->message);
        g_ptr_array_set_size(sim->groups, 0);
        return FALSE;
    }
    mark_multifunction(sim);
    return TRUE;
}
