/*
 * Devices from the user: -device, device_add, device_del and the help text.
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "qemu/log.h"
#include "hw/qdev.h"
#include "hw/boards.h"
#include "trace-events-all.h"

static DeviceClass *find_device_class(const char *driver)
{
    GType t = g_type_from_name(driver);

    if (!t || !g_type_is_a(t, TYPE_DEVICE) || G_TYPE_IS_ABSTRACT(t)) {
        return NULL;
    }
    return DEVICE_CLASS(g_type_class_ref(t));
}

static bool id_wellformed(const char *id)
{
    if (!g_ascii_isalpha(id[0])) {
        return false;
    }
    for (const char *p = id; *p; p++) {
        if (!g_ascii_isalnum(*p) && !strchr("-._", *p)) {
            return false;
        }
    }
    return true;
}

static Bus *find_bus_of_type(Bus *bus, GType type)
{
    if (g_type_is_a(G_OBJECT_TYPE(bus), type)) {
        return bus;
    }
    for (guint i = 0; i < bus->children->len; i++) {
        Device *d = g_ptr_array_index(bus->children, i);
        for (guint j = 0; j < d->child_buses->len; j++) {
            Bus *found = find_bus_of_type(g_ptr_array_index(d->child_buses, j), type);
            if (found) {
                return found;
            }
        }
    }
    return NULL;
}

static Bus *choose_bus(DeviceClass *dc, const char *driver, const char *busname,
                       GError **errp)
{
    GType want = dc->bus_type ? g_type_from_name(dc->bus_type) : 0;
    Bus *bus;

    if (busname) {
        bus = qbus_find(busname);
        if (!bus) {
            error_setg(errp, "Bus '%s' not found", busname);
            return NULL;
        }
        if ((want && !g_type_is_a(G_OBJECT_TYPE(bus), want)) ||
            (!want && bus != sysbus_get_default())) {
            error_setg(errp, "Bus '%s' is not of the type '%s' that device '%s' needs",
                       busname, dc->bus_type ? dc->bus_type : TYPE_SYSTEM_BUS, driver);
            return NULL;
        }
        return bus;
    }
    if (!want) {
        return sysbus_get_default();
    }
    bus = find_bus_of_type(sysbus_get_default(), want);
    if (!bus) {
        error_setg(errp, "No '%s' bus found for device '%s'", dc->bus_type, driver);
    }
    return bus;
}

Device *qdev_device_add(const char *driver, JsonObject *props, GError **errp)
{
    DeviceClass *dc;
    g_autoptr(Device) dev = NULL;
    const char *id = NULL, *busname = NULL;
    g_autoptr(GList) members = NULL;
    Object *parent;
    g_autofree char *name = NULL;
    Bus *bus;

    /* the id is checked first, as QEMU's option parsing does */
    if (json_object_has_member(props, "id")) {
        JsonNode *n = json_object_get_member(props, "id");
        if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) {
            error_setg(errp, "Invalid parameter type for 'id', expected: string");
            return NULL;
        }
        id = json_node_get_string(n);
        if (!id_wellformed(id)) {
            error_setg(errp, "Parameter 'id' expects an identifier");
            return NULL;
        }
        if (object_get_child(container_get("/machine/peripheral"), id)) {
            error_setg(errp, "Duplicate device ID '%s'", id);
            return NULL;
        }
    }
    if (!driver) {
        error_setg(errp, "Parameter 'driver' is missing");
        return NULL;
    }
    dc = find_device_class(driver);
    if (!dc) {
        error_setg(errp, "'%s' is not a valid device model name", driver);
        return NULL;
    }
    if (!dc->user_creatable) {
        error_setg(errp, "Parameter 'driver' expects a pluggable device type");
        return NULL;
    }
    if (current_machine->done && !dc->hotpluggable) {
        error_setg(errp, "Device '%s' can not be hotplugged on this machine", driver);
        return NULL;
    }
    if (json_object_has_member(props, "bus")) {
        JsonNode *n = json_object_get_member(props, "bus");
        if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) {
            error_setg(errp, "Invalid parameter type for 'bus', expected: string");
            return NULL;
        }
        busname = json_node_get_string(n);
    }
    bus = choose_bus(dc, driver, busname, errp);
    if (!bus) {
        return NULL;
    }

    dev = qdev_new(driver);
    dev->id = g_strdup(id);
    members = json_object_get_members(props);
    for (GList *l = members; l; l = l->next) {
        const char *key = l->data;
        if (g_str_equal(key, "driver") || g_str_equal(key, "id") || g_str_equal(key, "bus")) {
            continue;
        }
        if (!object_property_set_json(OBJECT(dev), key, json_object_get_member(props, key),
                                      errp)) {
            return NULL;
        }
    }

    if (id) {
        parent = container_get("/machine/peripheral");
        name = g_strdup(id);
    } else {
        static unsigned anon_count;
        parent = container_get("/machine/peripheral-anon");
        name = g_strdup_printf("device[%u]", anon_count++);
    }
    if (!object_add_child(parent, name, OBJECT(dev), errp)) {
        return NULL;
    }
    if (!qdev_realize(dev, bus, errp)) {
        object_unparent(OBJECT(dev));
        return NULL;
    }
    return dev;     /* the tree holds the reference that counts */
}

gboolean qdev_device_del(const char *id, GError **errp)
{
    Object *obj = object_get_child(container_get("/machine/peripheral"), id);
    Device *dev;
    Bus *bus;

    if (!obj || !IS_DEVICE(obj)) {
        g_set_error(errp, QEMU_ERROR, QEMU_ERROR_DEVICE_NOT_FOUND, "Device '%s' not found", id);
        return FALSE;
    }
    dev = DEVICE(obj);
    bus = dev->parent_bus;
    if (!DEVICE_GET_CLASS(dev)->hotpluggable || !bus || !bus->hotplug_ops ||
        !bus->hotplug_ops->unplug_request) {
        if (bus && bus != sysbus_get_default() && (!bus->hotplug_ops ||
                                                  !bus->hotplug_ops->unplug_request)) {
            error_setg(errp, "Bus '%s' does not support hotplugging", bus->name);
        } else {
            error_setg(errp, "Device '%s' does not support hotplugging",
                       object_type_name(obj));
        }
        return FALSE;
    }
    trace_qdev_unplug_request(object_type_name(obj), id);
    return bus->hotplug_ops->unplug_request(bus->hotplug_handler, dev, errp);
}

/* Help ------------------------------------------------------------------ */

static void collect_device_types(GType t, GPtrArray *out)
{
    g_autofree GType *children = NULL;
    guint n;

    if (!G_TYPE_IS_ABSTRACT(t)) {
        DeviceClass *dc = DEVICE_CLASS(g_type_class_ref(t));
        if (dc->user_creatable) {
            g_ptr_array_add(out, dc);
        }
    }
    children = g_type_children(t, &n);
    for (guint i = 0; i < n; i++) {
        collect_device_types(children[i], out);
    }
}

static gint cmp_class_name(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(g_type_name(G_OBJECT_CLASS_TYPE(*(DeviceClass **)a)),
                     g_type_name(G_OBJECT_CLASS_TYPE(*(DeviceClass **)b)));
}

static void collect_prop(const Property *prop, void *opaque)
{
    g_ptr_array_add(opaque, (gpointer)prop);
}

static gint cmp_prop_name(gconstpointer a, gconstpointer b)
{
    return g_strcmp0((*(const Property **)a)->name, (*(const Property **)b)->name);
}

gboolean qdev_print_device_help(const char *driver, GError **errp)
{
    if (!driver) {
        g_autoptr(GPtrArray) types = g_ptr_array_new();

        collect_device_types(TYPE_DEVICE, types);
        g_ptr_array_sort(types, cmp_class_name);
        printf("Devices:\n");
        for (guint i = 0; i < types->len; i++) {
            DeviceClass *dc = g_ptr_array_index(types, i);
            const char *desc = OBJECT_CLASS(dc)->description;
            printf("name \"%s\", bus %s%s", g_type_name(G_OBJECT_CLASS_TYPE(dc)),
                   dc->bus_type ? dc->bus_type : TYPE_SYSTEM_BUS,
                   dc->hotpluggable ? "" : ", no-user-hotplug");
            if (desc) {
                printf(", desc \"%s\"", desc);
            }
            printf("\n");
        }
        return TRUE;
    } else {
        DeviceClass *dc = find_device_class(driver);
        g_autoptr(GPtrArray) props = g_ptr_array_new();

        if (!dc || !dc->user_creatable) {
            error_setg(errp, "'%s' is not a valid device model name", driver);
            return FALSE;
        }
        object_class_foreach_property(OBJECT_CLASS(dc), collect_prop, props);
        g_ptr_array_sort(props, cmp_prop_name);
        if (!props->len) {
            printf("There are no options for %s.\n", driver);
            return TRUE;
        }
        printf("%s options:\n", driver);
        for (guint i = 0; i < props->len; i++) {
            const Property *p = g_ptr_array_index(props, i);
            g_autofree char *type = property_type_name(p);
            g_autofree char *lhs = g_strdup_printf("%s=<%s>", p->name, type);
            g_autofree char *def = property_default_string(p);

            printf("  %-22s - %s", lhs, p->description ? p->description : "");
            if (def) {
                printf(" (default: %s)", def);
            }
            printf("\n");
        }
    }
    return TRUE;
}
