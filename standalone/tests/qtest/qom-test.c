/*
 * The object tree and type introspection over QMP: qom-list, qom-get,
 * qom-list-types, device-list-properties, and device_add/device_del errors.
 */
#include "libqtest.h"

#include <string.h>

/* The "return" of a successful command, as a new reference. */
static JsonNode *qmp_ok(QTestState *s, const char *cmd)
{
    JsonObject *rsp = qtest_qmp(s, "%s", cmd);
    JsonNode *ret;

    if (qmp_rsp_is_err(rsp)) {
        g_error("%s: %s: %s", cmd, qmp_rsp_error_class(rsp), qmp_rsp_error_desc(rsp));
    }
    ret = json_node_copy(qmp_rsp_return(rsp));
    json_object_unref(rsp);
    return ret;
}

static void assert_qmp_error(QTestState *s, const char *cmd, const char *cls, const char *desc)
{
    JsonObject *rsp = qtest_qmp(s, "%s", cmd);

    if (!qmp_rsp_is_err(rsp)) {
        g_error("%s succeeded", cmd);
    }
    g_assert_cmpstr(qmp_rsp_error_class(rsp), ==, cls);
    g_assert_cmpstr(qmp_rsp_error_desc(rsp), ==, desc);
    json_object_unref(rsp);
}

/* qom-list @path as "name:type" strings, in order. */
static GPtrArray *qom_list(QTestState *s, const char *path)
{
    g_autofree char *cmd = g_strdup_printf(
        "{\"execute\": \"qom-list\", \"arguments\": {\"path\": \"%s\"}}", path);
    g_autoptr(JsonNode) ret = qmp_ok(s, cmd);
    JsonArray *a = json_node_get_array(ret);
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonObject *o = json_array_get_object_element(a, i);
        g_ptr_array_add(out, g_strdup_printf("%s:%s", json_object_get_string_member(o, "name"),
                                             json_object_get_string_member(o, "type")));
    }
    return out;
}

static bool contains(GPtrArray *list, const char *item)
{
    for (guint i = 0; i < list->len; i++) {
        if (!strcmp(g_ptr_array_index(list, i), item)) {
            return true;
        }
    }
    return false;
}

#define ASSERT_CONTAINS(list, item)                                        \
    do {                                                                   \
        if (!contains((list), (item))) {                                   \
            g_error("'%s' missing", (item));                               \
        }                                                                  \
    } while (0)

static char *qom_get_text(QTestState *s, const char *path, const char *prop)
{
    g_autofree char *cmd = g_strdup_printf(
        "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"%s\", \"property\": \"%s\"}}",
        path, prop);
    g_autoptr(JsonNode) ret = qmp_ok(s, cmd);

    return json_to_string(ret, FALSE);
}

#define ASSERT_QOM_GET(s, path, prop, expect)                              \
    do {                                                                   \
        g_autofree char *got_ = qom_get_text((s), (path), (prop));         \
        g_assert_cmpstr(got_, ==, (expect));                               \
    } while (0)

typedef struct TypeInfo {
    char *name, *parent;
    bool abstract;
} TypeInfo;

static void type_info_free(gpointer p)
{
    TypeInfo *t = p;

    g_free(t->name);
    g_free(t->parent);
    g_free(t);
}

/* qom-list-types with @args (JSON object text) as name -> TypeInfo. */
static GHashTable *list_types(QTestState *s, const char *args)
{
    g_autofree char *cmd = g_strdup_printf(
        "{\"execute\": \"qom-list-types\", \"arguments\": %s}", args);
    g_autoptr(JsonNode) ret = qmp_ok(s, cmd);
    JsonArray *a = json_node_get_array(ret);
    GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, type_info_free);

    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonObject *o = json_array_get_object_element(a, i);
        TypeInfo *t = g_new0(TypeInfo, 1);

        t->name = g_strdup(json_object_get_string_member(o, "name"));
        t->parent = g_strdup(json_object_get_string_member_with_default(o, "parent", NULL));
        t->abstract = json_object_get_boolean_member_with_default(o, "abstract", FALSE);
        g_assert_false(g_hash_table_contains(h, t->name));      /* each type once */
        g_hash_table_insert(h, t->name, t);
    }
    return h;
}

/* Is @name @ancestor or derived from it, according to @all? */
static bool is_a(GHashTable *all, const char *name, const char *ancestor)
{
    while (name) {
        TypeInfo *t = g_hash_table_lookup(all, name);
        if (!strcmp(name, ancestor)) {
            return true;
        }
        g_assert_nonnull(t);
        name = t->parent;
    }
    return false;
}

/* Nothing was left behind by a failed device_add. */
static void assert_no_user_devices(QTestState *s)
{
    g_autoptr(GPtrArray) p = qom_list(s, "/machine/peripheral");
    g_autoptr(GPtrArray) a = qom_list(s, "/machine/peripheral-anon");

    g_assert_cmpuint(p->len, ==, 1);
    g_assert_cmpstr(g_ptr_array_index(p, 0), ==, "type:string");
    g_assert_cmpuint(a->len, ==, 1);
    g_assert_cmpstr(g_ptr_array_index(a, 0), ==, "type:string");
}

/* qom-list ------------------------------------------------------------------- */

static void test_list_root(void)
{
    QTestState *s = qtest_init("-machine pseries");
    g_autoptr(GPtrArray) l = qom_list(s, "/");

    /* "type" comes first, then children */
    g_assert_cmpstr(g_ptr_array_index(l, 0), ==, "type:string");
    ASSERT_CONTAINS(l, "machine:child<pseries-machine>");
    g_assert_false(contains(l, "objects:child<container>"));
    qtest_quit(s);
}

static void test_list_machine(void)
{
    QTestState *s = qtest_init("-machine pseries");
    g_autoptr(GPtrArray) l = qom_list(s, "/machine");
    g_autoptr(GPtrArray) u = qom_list(s, "/machine/unattached");

    g_assert_cmpstr(g_ptr_array_index(l, 0), ==, "type:string");
    ASSERT_CONTAINS(l, "peripheral:child<container>");
    ASSERT_CONTAINS(l, "peripheral-anon:child<container>");
    ASSERT_CONTAINS(l, "unattached:child<container>");
    ASSERT_CONTAINS(l, "dumpdtb:str");
    ASSERT_CONTAINS(l, "accel:str");
    ASSERT_CONTAINS(u, "sysbus:child<System>");
    /* trailing and doubled slashes name the same object */
    {
        g_autoptr(GPtrArray) l2 = qom_list(s, "//machine/");
        g_assert_cmpuint(l2->len, ==, l->len);
    }
    qtest_quit(s);
}

static void test_list_peripheral(void)
{
    QTestState *s = qtest_init("-machine pseries");

    /* no user device: both containers hold nothing */
    assert_no_user_devices(s);
    qtest_quit(s);
}

static void test_list_errors(void)
{
    QTestState *s = qtest_init("-machine pseries");

    assert_qmp_error(s, "{\"execute\": \"qom-list\", \"arguments\": {\"path\": \"/nope\"}}",
                     "DeviceNotFound", "Device '/nope' not found");
    assert_qmp_error(s, "{\"execute\": \"qom-list\", \"arguments\": "
                     "{\"path\": \"/machine/nope/deeper\"}}",
                     "DeviceNotFound", "Device '/machine/nope/deeper' not found");
    assert_qmp_error(s, "{\"execute\": \"qom-list\"}", "GenericError",
                     "Parameter 'path' is missing");
    assert_qmp_error(s, "{\"execute\": \"qom-list\", \"arguments\": {\"path\": 1}}",
                     "GenericError", "Invalid parameter type for 'path', expected: string");
    assert_qmp_error(s, "{\"execute\": \"qom-list\", \"arguments\": "
                     "{\"path\": \"/\", \"x\": 1}}",
                     "GenericError", "Parameter 'x' is unexpected");
    qtest_quit(s);
}

/* qom-get -------------------------------------------------------------------- */

static void test_get(void)
{
    QTestState *s = qtest_init("-machine pseries");

    ASSERT_QOM_GET(s, "/machine", "type", "\"pseries-machine\"");
    ASSERT_QOM_GET(s, "/", "type", "\"container\"");
    ASSERT_QOM_GET(s, "/machine/peripheral", "type", "\"container\"");
    ASSERT_QOM_GET(s, "/machine/unattached/sysbus", "type", "\"System\"");
    /* a child reads as its path */
    ASSERT_QOM_GET(s, "/machine", "peripheral", "\"/machine/peripheral\"");
    ASSERT_QOM_GET(s, "/", "machine", "\"/machine\"");
    /* an unset string property reads as "", as in QEMU */
    ASSERT_QOM_GET(s, "/machine", "dumpdtb", "\"\"");
    qtest_quit(s);
}

static void test_get_machine_props(void)
{
    QTestState *s = qtest_init("-machine pseries,accel=qtest");

    ASSERT_QOM_GET(s, "/machine", "accel", "\"qtest\"");
    qtest_quit(s);
}

static void test_get_errors(void)
{
    QTestState *s = qtest_init("-machine pseries");

    assert_qmp_error(s, "{\"execute\": \"qom-get\", \"arguments\": "
                     "{\"path\": \"/nope\", \"property\": \"type\"}}",
                     "DeviceNotFound", "Device '/nope' not found");
    assert_qmp_error(s, "{\"execute\": \"qom-get\", \"arguments\": "
                     "{\"path\": \"/machine\", \"property\": \"nope\"}}",
                     "GenericError", "Property 'pseries-machine.nope' not found");
    assert_qmp_error(s, "{\"execute\": \"qom-get\", \"arguments\": "
                     "{\"path\": \"/machine/peripheral\", \"property\": \"nope\"}}",
                     "GenericError", "Property 'container.nope' not found");
    assert_qmp_error(s, "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"/machine\"}}",
                     "GenericError", "Parameter 'property' is missing");
    assert_qmp_error(s, "{\"execute\": \"qom-get\", \"arguments\": "
                     "{\"path\": \"/machine\", \"property\": true}}",
                     "GenericError", "Invalid parameter type for 'property', expected: string");
    qtest_quit(s);
}

/* qom-list-types --------------------------------------------------------------- */

static void test_list_types(void)
{
    QTestState *s = qtest_init("-machine pseries");
    g_autoptr(GHashTable) concrete = list_types(s, "{}");
    g_autoptr(GHashTable) all = list_types(s, "{\"abstract\": true}");
    GHashTableIter it;
    TypeInfo *t;

    g_assert_nonnull(g_hash_table_lookup(concrete, "pseries-machine"));
    g_assert_cmpstr(((TypeInfo *)g_hash_table_lookup(concrete, "pseries-machine"))->parent, ==,
                    "machine");
    g_assert_nonnull(g_hash_table_lookup(concrete, "container"));
    g_assert_cmpstr(((TypeInfo *)g_hash_table_lookup(concrete, "container"))->parent, ==,
                    "object");
    /* abstract types only when asked for */
    g_assert_null(g_hash_table_lookup(concrete, "device"));
    g_assert_null(g_hash_table_lookup(concrete, "machine"));
    g_assert_null(g_hash_table_lookup(concrete, "object"));
    g_hash_table_iter_init(&it, concrete);
    while (g_hash_table_iter_next(&it, NULL, (gpointer *)&t)) {
        g_assert_false(t->abstract);
        g_assert_nonnull(g_hash_table_lookup(all, t->name));
    }
    g_assert_true(((TypeInfo *)g_hash_table_lookup(all, "device"))->abstract);
    g_assert_true(((TypeInfo *)g_hash_table_lookup(all, "machine"))->abstract);
    g_assert_true(((TypeInfo *)g_hash_table_lookup(all, "object"))->abstract);
    g_assert_null(((TypeInfo *)g_hash_table_lookup(all, "object"))->parent);
    /* the root of everything, and every parent is listed */
    g_hash_table_iter_init(&it, all);
    while (g_hash_table_iter_next(&it, NULL, (gpointer *)&t)) {
        g_assert_true(is_a(all, t->name, "object"));
    }
    /* the abstract listing is the concrete one plus the abstract types */
    g_hash_table_iter_init(&it, all);
    while (g_hash_table_iter_next(&it, NULL, (gpointer *)&t)) {
        g_assert_cmpint(!!g_hash_table_lookup(concrete, t->name), ==, !t->abstract);
    }
    qtest_quit(s);
}

static void test_list_types_implements(void)
{
    QTestState *s = qtest_init("-machine pseries");
    g_autoptr(GHashTable) all = list_types(s, "{\"abstract\": true}");
    g_autoptr(GHashTable) devs = list_types(s, "{\"implements\": \"device\"}");
    g_autoptr(GHashTable) devs_abs = list_types(s, "{\"implements\": \"device\", "
                                                "\"abstract\": true}");
    g_autoptr(GHashTable) machines = list_types(s, "{\"implements\": \"machine\"}");
    g_autoptr(GHashTable) none = list_types(s, "{\"implements\": \"nosuch\"}");
    GHashTableIter it;
    TypeInfo *t;

    /* exactly the concrete device types */
    g_hash_table_iter_init(&it, all);
    while (g_hash_table_iter_next(&it, NULL, (gpointer *)&t)) {
        bool dev = is_a(all, t->name, "device");
        g_assert_cmpint(!!g_hash_table_lookup(devs, t->name), ==, dev && !t->abstract);
        g_assert_cmpint(!!g_hash_table_lookup(devs_abs, t->name), ==, dev);
    }
    g_assert_nonnull(g_hash_table_lookup(devs_abs, "device"));
    g_assert_true(((TypeInfo *)g_hash_table_lookup(devs_abs, "device"))->abstract);
    g_assert_null(g_hash_table_lookup(devs, "container"));
    g_assert_null(g_hash_table_lookup(devs, "pseries-machine"));

    g_assert_nonnull(g_hash_table_lookup(machines, "pseries-machine"));
    g_hash_table_iter_init(&it, machines);
    while (g_hash_table_iter_next(&it, NULL, (gpointer *)&t)) {
        g_assert_true(is_a(all, t->name, "machine"));
    }
    g_assert_cmpuint(g_hash_table_size(none), ==, 0);

    assert_qmp_error(s, "{\"execute\": \"qom-list-types\", \"arguments\": {\"implements\": 1}}",
                     "GenericError", "Invalid parameter type for 'implements', expected: string");
    assert_qmp_error(s, "{\"execute\": \"qom-list-types\", \"arguments\": {\"abstract\": 1}}",
                     "GenericError", "Invalid parameter type for 'abstract', expected: boolean");
    qtest_quit(s);
}

/* device-list-properties -------------------------------------------------------- */

static void test_device_list_properties_errors(void)
{
    QTestState *s = qtest_init("-machine pseries");

    assert_qmp_error(s, "{\"execute\": \"device-list-properties\", \"arguments\": "
                     "{\"typename\": \"nope\"}}", "DeviceNotFound", "Device 'nope' not found");
    assert_qmp_error(s, "{\"execute\": \"device-list-properties\", \"arguments\": "
                     "{\"typename\": \"container\"}}",
                     "GenericError", "Parameter 'typename' expects device");
    assert_qmp_error(s, "{\"execute\": \"device-list-properties\", \"arguments\": "
                     "{\"typename\": \"pseries-machine\"}}",
                     "GenericError", "Parameter 'typename' expects device");
    assert_qmp_error(s, "{\"execute\": \"device-list-properties\", \"arguments\": "
                     "{\"typename\": \"device\"}}",
                     "GenericError", "Parameter 'typename' expects non-abstract device");
    /* a GLib type that is no QOM type at all */
    assert_qmp_error(s, "{\"execute\": \"device-list-properties\", \"arguments\": "
                     "{\"typename\": \"gchararray\"}}",
                     "DeviceNotFound", "Device 'gchararray' not found");
    assert_qmp_error(s, "{\"execute\": \"device-list-properties\"}",
                     "GenericError", "Parameter 'typename' is missing");
    qtest_quit(s);
}

static void test_device_list_properties(void)
{
    QTestState *s = qtest_init("-machine pseries");
    g_autoptr(GHashTable) devs = list_types(s, "{\"implements\": \"device\"}");
    GHashTableIter it;
    TypeInfo *t;

    /* every concrete device type answers with well-formed property infos */
    g_hash_table_iter_init(&it, devs);
    while (g_hash_table_iter_next(&it, NULL, (gpointer *)&t)) {
        g_autofree char *cmd = g_strdup_printf(
            "{\"execute\": \"device-list-properties\", \"arguments\": {\"typename\": \"%s\"}}",
            t->name);
        g_autoptr(JsonNode) ret = qmp_ok(s, cmd);
        JsonArray *a = json_node_get_array(ret);
        g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

        g_assert_nonnull(a);
        for (guint i = 0; i < json_array_get_length(a); i++) {
            JsonObject *p = json_array_get_object_element(a, i);
            const char *name = json_object_get_string_member(p, "name");
            const char *type = json_object_get_string_member(p, "type");

            g_assert_nonnull(name);
            g_assert_nonnull(type);
            g_assert_true(g_hash_table_add(seen, (gpointer)name));   /* no duplicates */
        }
    }
    if (!g_hash_table_size(devs)) {
        g_test_message("no concrete device type to list properties of");
    }
    qtest_quit(s);
}

/* device_add / device_del ----------------------------------------------------- */

static void test_device_del_unknown(void)
{
    QTestState *s = qtest_init("-machine pseries");

    assert_qmp_error(s, "{\"execute\": \"device_del\", \"arguments\": {\"id\": \"nope\"}}",
                     "DeviceNotFound", "Device 'nope' not found");
    /* a path is not an id */
    assert_qmp_error(s, "{\"execute\": \"device_del\", \"arguments\": "
                     "{\"id\": \"/machine/peripheral\"}}",
                     "DeviceNotFound", "Device '/machine/peripheral' not found");
    assert_qmp_error(s, "{\"execute\": \"device_del\"}", "GenericError",
                     "Parameter 'id' is missing");
    assert_qmp_error(s, "{\"execute\": \"device_del\", \"arguments\": {\"id\": 1}}",
                     "GenericError", "Invalid parameter type for 'id', expected: string");
    qtest_quit(s);
}

static void test_device_add_errors(void)
{
    static const struct {
        const char *args, *desc;
    } cases[] = {
        { "{}", "Parameter 'driver' is missing" },
        { "{\"id\": \"d1\"}", "Parameter 'driver' is missing" },
        { "{\"driver\": \"nope\"}", "'nope' is not a valid device model name" },
        { "{\"driver\": \"nope\", \"id\": \"d1\"}", "'nope' is not a valid device model name" },
        { "{\"driver\": \"container\"}", "'container' is not a valid device model name" },
        { "{\"driver\": \"device\"}", "'device' is not a valid device model name" },
        { "{\"driver\": \"pseries-machine\"}",
          "'pseries-machine' is not a valid device model name" },
        { "{\"driver\": 1}", "Invalid parameter type for 'driver', expected: string" },
        /* the id is checked before the driver, as in QEMU */
        { "{\"driver\": \"nope\", \"id\": \"1abc\"}", "Parameter 'id' expects an identifier" },
        { "{\"driver\": \"nope\", \"id\": \"\"}", "Parameter 'id' expects an identifier" },
        { "{\"driver\": \"nope\", \"id\": \"a b\"}", "Parameter 'id' expects an identifier" },
        { "{\"driver\": \"nope\", \"id\": \"a/b\"}", "Parameter 'id' expects an identifier" },
        { "{\"driver\": \"nope\", \"id\": 1}",
          "Invalid parameter type for 'id', expected: string" },
    };
    QTestState *s = qtest_init("-machine pseries");

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *cmd = g_strdup_printf(
            "{\"execute\": \"device_add\", \"arguments\": %s}", cases[i].args);
        assert_qmp_error(s, cmd, "GenericError", cases[i].desc);
        assert_no_user_devices(s);
    }
    qtest_quit(s);
}

static void test_device_add_bad_property(void)
{
    QTestState *s = qtest_init("-machine pseries");
    g_autoptr(GHashTable) devs = list_types(s, "{\"implements\": \"device\"}");
    GHashTableIter it;
    TypeInfo *t;

    /* whatever the device, a failed device_add leaves nothing behind */
    g_hash_table_iter_init(&it, devs);
    while (g_hash_table_iter_next(&it, NULL, (gpointer *)&t)) {
        g_autofree char *cmd = g_strdup_printf(
            "{\"execute\": \"device_add\", \"arguments\": "
            "{\"driver\": \"%s\", \"id\": \"d1\", \"no-such-prop\": 1}}", t->name);
        JsonObject *rsp = qtest_qmp(s, "%s", cmd);

        g_assert_true(qmp_rsp_is_err(rsp));
        g_assert_cmpstr(qmp_rsp_error_class(rsp), ==, "GenericError");
        json_object_unref(rsp);
        assert_no_user_devices(s);

        g_free(cmd);
        cmd = g_strdup_printf("{\"execute\": \"device_add\", \"arguments\": "
                              "{\"driver\": \"%s\", \"no-such-prop\": 1}}", t->name);
        rsp = qtest_qmp(s, "%s", cmd);
        g_assert_true(qmp_rsp_is_err(rsp));
        json_object_unref(rsp);
        assert_no_user_devices(s);
    }
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qom/list/root", test_list_root);
    g_test_add_func("/qom/list/machine", test_list_machine);
    g_test_add_func("/qom/list/peripheral", test_list_peripheral);
    g_test_add_func("/qom/list/errors", test_list_errors);
    g_test_add_func("/qom/get/values", test_get);
    g_test_add_func("/qom/get/machine-props", test_get_machine_props);
    g_test_add_func("/qom/get/errors", test_get_errors);
    g_test_add_func("/qom/list-types/abstract", test_list_types);
    g_test_add_func("/qom/list-types/implements", test_list_types_implements);
    g_test_add_func("/qom/device-list-properties/errors", test_device_list_properties_errors);
    g_test_add_func("/qom/device-list-properties/all", test_device_list_properties);
    g_test_add_func("/qom/device_del/unknown", test_device_del_unknown);
    g_test_add_func("/qom/device_add/errors", test_device_add_errors);
    g_test_add_func("/qom/device_add/bad-property", test_device_add_bad_property);
    return g_test_run();
}
