/*
 * Built-in QMP commands: run state, version, devices and the object tree.
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "hw/boards.h"
#include "hw/qdev.h"
#include "monitor/qmp.h"
#include "system/runstate.h"

static JsonNode *node_take_object(JsonObject *o)
{
    JsonNode *n = json_node_init_object(json_node_alloc(), o);

    json_object_unref(o);
    return n;
}

static JsonNode *node_take_array(JsonArray *a)
{
    JsonNode *n = json_node_init_array(json_node_alloc(), a);

    json_array_unref(a);
    return n;
}

/* Run state -------------------------------------------------------------- */

static JsonNode *qmp_query_status(JsonObject *args, GError **errp)
{
    JsonObject *o = json_object_new();

    json_object_set_string_member(o, "status", runstate_name(runstate_get()));
    json_object_set_boolean_member(o, "singlestep", FALSE);
    json_object_set_boolean_member(o, "running", runstate_is_running());
    return node_take_object(o);
}

static JsonNode *qmp_stop(JsonObject *args, GError **errp)
{
    vm_stop();
    return qmp_return_empty();
}

static JsonNode *qmp_cont(JsonObject *args, GError **errp)
{
    vm_start();
    return qmp_return_empty();
}

static JsonNode *qmp_system_reset(JsonObject *args, GError **errp)
{
    qemu_system_reset_request("host-qmp-system-reset", false);
    return qmp_return_empty();
}

static JsonNode *qmp_quit(JsonObject *args, GError **errp)
{
    qemu_system_shutdown_request("host-qmp-quit", false);
    return qmp_return_empty();
}

static JsonNode *qmp_query_version(JsonObject *args, GError **errp)
{
    JsonObject *o = json_object_new();
    JsonObject *q = json_object_new();

    json_object_set_int_member(q, "micro", QEMU_VERSION_MICRO);
    json_object_set_int_member(q, "minor", QEMU_VERSION_MINOR);
    json_object_set_int_member(q, "major", QEMU_VERSION_MAJOR);
    json_object_set_object_member(o, "qemu", q);
    json_object_set_string_member(o, "package", QEMU_PKGVERSION);
    return node_take_object(o);
}

static JsonNode *qmp_query_commands(JsonObject *args, GError **errp)
{
    JsonArray *a = json_array_new();
    g_autoptr(GList) list = qmp_command_list();
    JsonObject *cap = json_object_new();

    json_object_set_string_member(cap, "name", "qmp_capabilities");
    json_array_add_object_element(a, cap);
    for (GList *l = list; l; l = l->next) {
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "name", ((const QmpCommand *)l->data)->name);
        json_array_add_object_element(a, o);
    }
    return node_take_array(a);
}

/* Devices ---------------------------------------------------------------- */

static JsonNode *qmp_device_add(JsonObject *args, GError **errp)
{
    JsonNode *drv = json_object_get_member(args, "driver");

    if (!JSON_NODE_HOLDS_VALUE(drv) || json_node_get_value_type(drv) != G_TYPE_STRING) {
        error_setg(errp, "Invalid parameter type for 'driver', expected: string");
        return NULL;
    }
    if (!qdev_device_add(json_node_get_string(drv), args, errp)) {
        return NULL;
    }
    return qmp_return_empty();
}

static JsonNode *qmp_device_del(JsonObject *args, GError **errp)
{
    if (!qdev_device_del(json_object_get_string_member(args, "id"), errp)) {
        return NULL;
    }
    return qmp_return_empty();
}

typedef struct PropList {
    JsonArray *out;
} PropList;

static void list_device_prop(const Property *prop, void *opaque)
{
    PropList *pl = opaque;
    JsonObject *o = json_object_new();
    g_autofree char *type = property_type_name(prop);
    JsonNode *def = property_default_json(prop);

    json_object_set_string_member(o, "name", prop->name);
    json_object_set_string_member(o, "type", type);
    if (prop->description) {
        json_object_set_string_member(o, "description", prop->description);
    }
    if (def) {
        json_object_set_member(o, "default-value", def);
    }
    json_array_add_object_element(pl->out, o);
}

static JsonNode *qmp_device_list_properties(JsonObject *args, GError **errp)
{
    const char *name = json_object_get_string_member(args, "typename");
    GType t = g_type_from_name(name);
    PropList pl;

    if (!t || !g_type_is_a(t, TYPE_OBJECT)) {
        g_set_error(errp, QEMU_ERROR, QEMU_ERROR_DEVICE_NOT_FOUND,
                    "Device '%s' not found", name);
        return NULL;
    }
    if (!g_type_is_a(t, TYPE_DEVICE)) {
        error_setg(errp, "Parameter 'typename' expects device");
        return NULL;
    }
    if (G_TYPE_IS_ABSTRACT(t)) {
        error_setg(errp, "Parameter 'typename' expects non-abstract device");
        return NULL;
    }
    pl.out = json_array_new();
    object_class_foreach_property(OBJECT_CLASS(g_type_class_ref(t)), list_device_prop, &pl);
    return node_take_array(pl.out);
}

/* Object tree ------------------------------------------------------------- */

static Object *resolve_or_fail(const char *path, GError **errp)
{
    Object *obj = object_resolve_path(path);

    if (!obj) {
        g_set_error(errp, QEMU_ERROR, QEMU_ERROR_DEVICE_NOT_FOUND,
                    "Device '%s' not found", path);
    }
    return obj;
}

static void add_prop_info(JsonArray *a, const char *name, const char *type)
{
    JsonObject *o = json_object_new();

    json_object_set_string_member(o, "name", name);
    json_object_set_string_member(o, "type", type);
    json_array_add_object_element(a, o);
}

static void list_obj_prop(const Property *prop, void *opaque)
{
    g_autofree char *type = property_type_name(prop);

    add_prop_info(opaque, prop->name, type);
}

static JsonNode *qmp_qom_list(JsonObject *args, GError **errp)
{
    Object *obj = resolve_or_fail(json_object_get_string_member(args, "path"), errp);
    JsonArray *a;

    if (!obj) {
        return NULL;
    }
    a = json_array_new();
    add_prop_info(a, "type", "string");
    for (guint i = 0; i < obj->children->len; i++) {
        Object *c = g_ptr_array_index(obj->children, i);
        g_autofree char *t = g_strdup_printf("child<%s>", object_type_name(c));
        add_prop_info(a, c->name, t);
    }
    object_class_foreach_property(OBJECT_GET_CLASS(obj), list_obj_prop, a);
    return node_take_array(a);
}

static JsonNode *qmp_qom_get(JsonObject *args, GError **errp)
{
    Object *obj = resolve_or_fail(json_object_get_string_member(args, "path"), errp);
    const char *prop = json_object_get_string_member(args, "property");
    Object *child;

    if (!obj) {
        return NULL;
    }
    child = object_get_child(obj, prop);
    if (child) {
        g_autofree char *path = object_get_canonical_path(child);
        return json_node_init_string(json_node_alloc(), path);
    }
    return object_property_get_json(obj, prop, errp);
}

static void list_types(GType t, const char *implements, bool abstract, JsonArray *out)
{
    g_autofree GType *children = NULL;
    guint n;

    if ((abstract || !G_TYPE_IS_ABSTRACT(t)) &&
        (!implements || (g_type_from_name(implements) &&
                         g_type_is_a(t, g_type_from_name(implements))))) {
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "name", g_type_name(t));
        if (G_TYPE_IS_ABSTRACT(t)) {
            json_object_set_boolean_member(o, "abstract", TRUE);
        }
        if (t != TYPE_OBJECT) {
            json_object_set_string_member(o, "parent", g_type_name(g_type_parent(t)));
        }
        json_array_add_object_element(out, o);
    }
    children = g_type_children(t, &n);
    for (guint i = 0; i < n; i++) {
        list_types(children[i], implements, abstract, out);
    }
}

static JsonNode *qmp_qom_list_types(JsonObject *args, GError **errp)
{
    const char *implements = json_object_get_string_member_with_default(args, "implements", NULL);
    bool abstract = json_object_get_boolean_member_with_default(args, "abstract", FALSE);
    JsonArray *a = json_array_new();

    list_types(TYPE_OBJECT, implements, abstract, a);
    return node_take_array(a);
}

static const QmpArg path_args[] = { { "path", G_TYPE_STRING }, { NULL } };
static const QmpArg qom_get_args[] = {
    { "path", G_TYPE_STRING }, { "property", G_TYPE_STRING }, { NULL }
};
static const QmpArg qom_list_types_args[] = {
    { "implements", G_TYPE_STRING, true }, { "abstract", G_TYPE_BOOLEAN, true }, { NULL }
};
static const QmpArg typename_args[] = { { "typename", G_TYPE_STRING }, { NULL } };
static const QmpArg device_add_args[] = { { "driver", 0 }, { NULL } };
static const QmpArg device_del_args[] = { { "id", G_TYPE_STRING }, { NULL } };

static const QmpCommand builtin_commands[] = {
    { "query-status", qmp_query_status },
    { "query-version", qmp_query_version },
    { "query-commands", qmp_query_commands },
    { "stop", qmp_stop },
    { "cont", qmp_cont },
    { "system_reset", qmp_system_reset },
    { "quit", qmp_quit },
    { "device_add", qmp_device_add, device_add_args, .extra_args = true },
    { "device_del", qmp_device_del, device_del_args },
    { "device-list-properties", qmp_device_list_properties, typename_args },
    { "qom-list", qmp_qom_list, path_args },
    { "qom-get", qmp_qom_get, qom_get_args },
    { "qom-list-types", qmp_qom_list_types, qom_list_types_args },
};

void qmp_register_builtin_commands(void)
{
    for (guint i = 0; i < G_N_ELEMENTS(builtin_commands); i++) {
        qmp_register_command(&builtin_commands[i]);
    }
}
