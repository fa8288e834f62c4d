/*
 * The object model (qom/object.c, qom/object-interfaces.c): property tables
 * and the composition tree.
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "qemu/keyval.h"
#include "qemu/module.h"
#include "qom/object.h"
#include "qom/object-interfaces.h"

/* A type with one property of every kind ---------------------------------- */

typedef struct TestObj {
    Object parent;
    bool b;
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    int32_t i32;
    uint64_t u64;
    int64_t i64;
    uint64_t sz;
    char *str;
    char *nostr;
    Object *link;
    int32_t addr;
    bool frozen;               /* check_property_set refuses changes */
} TestObj;
typedef struct TestObjClass {
    ObjectClass parent_class;
} TestObjClass;

OBJECT_DEFINE_TYPE(TestObj, test_obj, "test-obj", TYPE_OBJECT)
#define TEST_OBJ(o) ((TestObj *)(o))

static const Property test_obj_props[] = {
    DEFINE_PROP_BOOL("b", TestObj, b, true),
    DEFINE_PROP_UINT8("u8", TestObj, u8, 200),
    DEFINE_PROP_UINT16("u16", TestObj, u16, 0xbeef),
    DEFINE_PROP_UINT32("u32", TestObj, u32, 0xdeadbeef),
    DEFINE_PROP_INT32("i32", TestObj, i32, -5),
    DEFINE_PROP_UINT64("u64", TestObj, u64, 0x123456789abcdef0ull),
    DEFINE_PROP_INT64("i64", TestObj, i64, -1),
    DEFINE_PROP_SIZE("sz", TestObj, sz, 1 << 20),
    { .name = "str", .kind = PROP_KIND_STRING, .offset = offsetof(TestObj, str),
      .defstr = "hello", .description = "a string" },
    DEFINE_PROP_STRING("nostr", TestObj, nostr),
    DEFINE_PROP_LINK("link", TestObj, link, "test-target"),
    DEFINE_PROP_PCI_DEVFN("addr", TestObj, addr),
    DEFINE_PROP_END,
};

static gboolean test_obj_check_set(Object *obj, const Property *prop, GError **errp)
{
    if (TEST_OBJ(obj)->frozen) {
        error_setg(errp, "'%s' is frozen", prop->name);
        return FALSE;
    }
    return TRUE;
}

static void test_obj_init(TestObj *o) {}
static void test_obj_class_init(TestObjClass *klass)
{
    OBJECT_CLASS(klass)->props = test_obj_props;
    OBJECT_CLASS(klass)->check_property_set = test_obj_check_set;
}

/* A subclass with properties of its own, and one without ------------------ */

typedef struct TestSub {
    TestObj parent;
    uint32_t extra;
} TestSub;
typedef struct TestSubClass {
    TestObjClass parent_class;
} TestSubClass;
OBJECT_DEFINE_TYPE(TestSub, test_sub, "test-sub", test_obj_get_type())

static const Property test_sub_props[] = {
    DEFINE_PROP_UINT32("extra", TestSub, extra, 7),
    DEFINE_PROP_END,
};
static void test_sub_init(TestSub *o) {}
static void test_sub_class_init(TestSubClass *klass)
{
    OBJECT_CLASS(klass)->props = test_sub_props;
}

typedef struct TestBare {
    TestSub parent;
} TestBare;
typedef struct TestBareClass {
    TestSubClass parent_class;
} TestBareClass;
OBJECT_DEFINE_TYPE(TestBare, test_bare, "test-bare", test_sub_get_type())
static void test_bare_init(TestBare *o) {}
static void test_bare_class_init(TestBareClass *klass) {}

/* User-creatable types: a link target and one whose completion may fail ---- */

typedef struct TestTarget {
    Object parent;
} TestTarget;
typedef struct TestTargetClass {
    ObjectClass parent_class;
} TestTargetClass;
OBJECT_DEFINE_TYPE(TestTarget, test_target, "test-target", TYPE_OBJECT)
static void test_target_init(TestTarget *o) {}
static void test_target_class_init(TestTargetClass *klass)
{
    OBJECT_CLASS(klass)->user_creatable = true;
}

typedef struct TestCreatable {
    Object parent;
    bool fail;
    uint32_t n;
    bool completed;
} TestCreatable;
typedef struct TestCreatableClass {
    ObjectClass parent_class;
} TestCreatableClass;
OBJECT_DEFINE_TYPE(TestCreatable, test_creatable, "test-creatable", TYPE_OBJECT)

static const Property test_creatable_props[] = {
    DEFINE_PROP_BOOL("fail", TestCreatable, fail, false),
    DEFINE_PROP_UINT32("n", TestCreatable, n, 0),
    DEFINE_PROP_END,
};

static gboolean test_creatable_complete(Object *obj, GError **errp)
{
    TestCreatable *c = (TestCreatable *)obj;

    /* completion runs with the object in the tree already */
    g_assert_nonnull(obj->parent);
    if (c->fail) {
        error_setg(errp, "completion of '%s' failed", obj->name);
        return FALSE;
    }
    c->completed = true;
    return TRUE;
}

static void test_creatable_init(TestCreatable *o) {}
static void test_creatable_class_init(TestCreatableClass *klass)
{
    OBJECT_CLASS(klass)->props = test_creatable_props;
    OBJECT_CLASS(klass)->user_creatable = true;
    OBJECT_CLASS(klass)->complete = test_creatable_complete;
}

type_init(test_obj_get_type)
type_init(test_sub_get_type)
type_init(test_bare_get_type)
type_init(test_target_get_type)
type_init(test_creatable_get_type)

/* Helpers ------------------------------------------------------------------ */

static TestObj *new_test_obj(void)
{
    return TEST_OBJ(object_new(g_type_from_name("test-obj")));
}

static void assert_parse_error(Object *obj, const char *name, const char *value,
                               const char *msg)
{
    g_autoptr(GError) err = NULL;

    if (object_property_parse(obj, name, value, &err)) {
        g_error("%s=%s was accepted", name, value);
    }
    g_assert_error(err, QEMU_ERROR, QEMU_ERROR_GENERIC);
    g_assert_cmpstr(err->message, ==, msg);
}

static void parse_ok(Object *obj, const char *name, const char *value)
{
    g_autoptr(GError) err = NULL;

    if (!object_property_parse(obj, name, value, &err)) {
        g_error("%s=%s: %s", name, value, err->message);
    }
}

static JsonNode *json(const char *text)
{
    g_autoptr(GError) err = NULL;
    JsonNode *n = json_from_string(text, &err);

    g_assert_no_error(err);
    return n;
}

static gboolean set_json(Object *obj, const char *name, const char *text, GError **errp)
{
    g_autoptr(JsonNode) n = json(text);

    return object_property_set_json(obj, name, n, errp);
}

static void assert_set_json_error(Object *obj, const char *name, const char *text,
                                  const char *msg)
{
    g_autoptr(GError) err = NULL;

    if (set_json(obj, name, text, &err)) {
        g_error("%s=%s was accepted", name, text);
    }
    g_assert_cmpstr(err->message, ==, msg);
}

/* The value of @name as compact JSON text. */
static char *get_json(Object *obj, const char *name)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonNode) n = object_property_get_json(obj, name, &err);

    g_assert_no_error(err);
    g_assert_nonnull(n);
    return json_to_string(n, FALSE);
}

#define ASSERT_GET(obj, name, expect)                                   \
    do {                                                                \
        g_autofree char *got_ = get_json(OBJECT(obj), (name));          \
        g_assert_cmpstr(got_, ==, (expect));                            \
    } while (0)

static Keyval *kv(const char *s)
{
    g_autoptr(GError) err = NULL;
    Keyval *k = keyval_parse(s, "qom-type", &err);

    g_assert_no_error(err);
    return k;
}

static Object *objects(void)
{
    return container_get("/objects");
}

/* Properties --------------------------------------------------------------- */

static void test_defaults(void)
{
    TestObj *o = new_test_obj();

    g_assert_true(o->b);
    g_assert_cmpuint(o->u8, ==, 200);
    g_assert_cmphex(o->u16, ==, 0xbeef);
    g_assert_cmphex(o->u32, ==, 0xdeadbeef);
    g_assert_cmpint(o->i32, ==, -5);
    g_assert_cmphex(o->u64, ==, 0x123456789abcdef0ull);
    g_assert_cmpint(o->i64, ==, -1);
    g_assert_cmpuint(o->sz, ==, 1 << 20);
    g_assert_cmpstr(o->str, ==, "hello");
    g_assert_true(o->str != test_obj_props[8].defstr);    /* a copy, freed with it */
    g_assert_null(o->nostr);
    g_assert_null(o->link);
    g_assert_cmpint(o->addr, ==, -1);
    g_assert_cmpstr(object_type_name(OBJECT(o)), ==, "test-obj");
    g_object_unref(o);
}

static void test_defaults_inherited(void)
{
    TestSub *s = (TestSub *)object_new(g_type_from_name("test-bare"));

    g_assert_cmpuint(s->extra, ==, 7);
    g_assert_cmpuint(s->parent.u8, ==, 200);
    g_assert_cmpstr(s->parent.str, ==, "hello");
    g_object_unref(s);
}

static void test_parse_good(void)
{
    TestObj *o = new_test_obj();
    Object *obj = OBJECT(o);

    parse_ok(obj, "b", "off");
    g_assert_false(o->b);
    parse_ok(obj, "b", "yes");
    g_assert_true(o->b);
    parse_ok(obj, "u8", "255");
    g_assert_cmpuint(o->u8, ==, 255);
    parse_ok(obj, "u8", "0x7f");
    g_assert_cmpuint(o->u8, ==, 0x7f);
    parse_ok(obj, "u16", "65535");
    g_assert_cmpuint(o->u16, ==, 65535);
    parse_ok(obj, "u32", "4294967295");
    g_assert_cmpuint(o->u32, ==, UINT32_MAX);
    parse_ok(obj, "i32", "-2147483648");
    g_assert_cmpint(o->i32, ==, INT32_MIN);
    parse_ok(obj, "i32", "2147483647");
    g_assert_cmpint(o->i32, ==, INT32_MAX);
    parse_ok(obj, "u64", "0xffffffffffffffff");
    g_assert_cmphex(o->u64, ==, UINT64_MAX);
    parse_ok(obj, "i64", "-9223372036854775808");
    g_assert_cmpint(o->i64, ==, INT64_MIN);
    parse_ok(obj, "sz", "1.5G");
    g_assert_cmpuint(o->sz, ==, 3ull << 29);
    parse_ok(obj, "sz", "4096");       /* properties: a plain number is bytes */
    g_assert_cmpuint(o->sz, ==, 4096);
    parse_ok(obj, "str", "a,b c");
    g_assert_cmpstr(o->str, ==, "a,b c");
    parse_ok(obj, "nostr", "");
    g_assert_cmpstr(o->nostr, ==, "");
    parse_ok(obj, "addr", "1f.7");
    g_assert_cmphex(o->addr, ==, 0xff);
    parse_ok(obj, "addr", "3");
    g_assert_cmphex(o->addr, ==, 0x18);
    parse_ok(obj, "addr", "0x1.1");
    g_assert_cmphex(o->addr, ==, 0x09);
    parse_ok(obj, "addr", "0.0");
    g_assert_cmphex(o->addr, ==, 0);
    g_object_unref(o);
}

static void test_parse_errors(void)
{
    TestObj *o = new_test_obj();
    Object *obj = OBJECT(o);

    assert_parse_error(obj, "nope", "1", "Property 'test-obj.nope' not found");
    assert_parse_error(obj, "B", "on", "Property 'test-obj.B' not found");
    assert_parse_error(obj, "b", "maybe", "Parameter 'b' expects 'on' or 'off'");
    assert_parse_error(obj, "u8", "256", "Parameter 'u8' expects uint8");
    assert_parse_error(obj, "u8", "-1", "Parameter 'u8' expects integer");
    assert_parse_error(obj, "u8", "1k", "Parameter 'u8' expects integer");
    assert_parse_error(obj, "u16", "65536", "Parameter 'u16' expects uint16");
    assert_parse_error(obj, "u32", "0x100000000", "Parameter 'u32' expects uint32");
    assert_parse_error(obj, "u64", "18446744073709551616",
                       "Parameter 'u64' expects a number below 2^64");
    assert_parse_error(obj, "i32", "2147483648", "Parameter 'i32' expects int32");
    assert_parse_error(obj, "i32", "-2147483649", "Parameter 'i32' expects int32");
    assert_parse_error(obj, "i32", "x", "Parameter 'i32' expects integer");
    assert_parse_error(obj, "i64", "9223372036854775808", "Parameter 'i64' expects integer");
    assert_parse_error(obj, "sz", "1Z",
                       "Parameter 'sz' expects a non-negative number below 2^64");
    assert_parse_error(obj, "sz", "-1",
                       "Parameter 'sz' expects a non-negative number below 2^64");
    assert_parse_error(obj, "addr", "20", "Property 'addr' doesn't take value '20'");
    assert_parse_error(obj, "addr", "1.8", "Property 'addr' doesn't take value '1.8'");
    assert_parse_error(obj, "addr", "", "Property 'addr' doesn't take value ''");
    assert_parse_error(obj, "addr", "x", "Property 'addr' doesn't take value 'x'");
    assert_parse_error(obj, "addr", "1.", "Property 'addr' doesn't take value '1.'");
    assert_parse_error(obj, "addr", "1.1x", "Property 'addr' doesn't take value '1.1x'");

    /* a refused value leaves the field as it was */
    g_assert_true(o->b);
    g_assert_cmpuint(o->u8, ==, 200);
    g_assert_cmpuint(o->u16, ==, 0xbeef);
    g_assert_cmpuint(o->u32, ==, 0xdeadbeef);
    g_assert_cmpint(o->i32, ==, -5);
    g_assert_cmpint(o->i64, ==, -1);
    g_assert_cmpuint(o->sz, ==, 1 << 20);
    g_assert_cmpint(o->addr, ==, -1);
    g_object_unref(o);
}

static void test_set_json(void)
{
    TestObj *o = new_test_obj();
    Object *obj = OBJECT(o);

    g_assert_true(set_json(obj, "b", "false", NULL));
    g_assert_false(o->b);
    g_assert_true(set_json(obj, "u8", "255", NULL));
    g_assert_cmpuint(o->u8, ==, 255);
    g_assert_true(set_json(obj, "u32", "4294967295", NULL));
    g_assert_cmpuint(o->u32, ==, UINT32_MAX);
    g_assert_true(set_json(obj, "i32", "-7", NULL));
    g_assert_cmpint(o->i32, ==, -7);
    g_assert_true(set_json(obj, "i64", "-9223372036854775808", NULL));
    g_assert_cmpint(o->i64, ==, INT64_MIN);
    g_assert_true(set_json(obj, "u64", "9223372036854775807", NULL));
    g_assert_cmpuint(o->u64, ==, INT64_MAX);
    g_assert_true(set_json(obj, "sz", "65536", NULL));
    g_assert_cmpuint(o->sz, ==, 65536);
    g_assert_true(set_json(obj, "str", "\"x y\"", NULL));
    g_assert_cmpstr(o->str, ==, "x y");
    /* as QEMU: the number's decimal text is read as a (hex) slot */
    g_assert_true(set_json(obj, "addr", "8", NULL));
    g_assert_cmpint(o->addr, ==, 8 << 3);
    g_assert_true(set_json(obj, "addr", "10", NULL));
    g_assert_cmpint(o->addr, ==, 0x10 << 3);
    g_assert_false(set_json(obj, "addr", "24", NULL));      /* slot 0x24 > 0x1f */
    g_assert_true(set_json(obj, "addr", "-1", NULL));
    g_assert_cmpint(o->addr, ==, -1);
    g_object_unref(o);
}

static void test_set_json_strings(void)
{
    TestObj *o = new_test_obj();
    Object *obj = OBJECT(o);

    /* QEMU 7.2's device_add takes a string for any scalar property */
    g_assert_true(set_json(obj, "u8", "\"42\"", NULL));
    g_assert_cmpuint(o->u8, ==, 42);
    g_assert_true(set_json(obj, "u32", "\"0x10\"", NULL));
    g_assert_cmpuint(o->u32, ==, 16);
    g_assert_true(set_json(obj, "b", "\"off\"", NULL));
    g_assert_false(o->b);
    g_assert_true(set_json(obj, "i32", "\"-3\"", NULL));
    g_assert_cmpint(o->i32, ==, -3);
    g_assert_true(set_json(obj, "sz", "\"2M\"", NULL));
    g_assert_cmpuint(o->sz, ==, 2 << 20);
    g_assert_true(set_json(obj, "addr", "\"2.1\"", NULL));
    g_assert_cmpint(o->addr, ==, 0x11);
    /* and parses them with the command-line syntax and messages */
    assert_set_json_error(obj, "u8", "\"256\"", "Parameter 'u8' expects uint8");
    assert_set_json_error(obj, "b", "\"maybe\"", "Parameter 'b' expects 'on' or 'off'");
    g_object_unref(o);
}

static void test_set_json_errors(void)
{
    TestObj *o = new_test_obj();
    Object *obj = OBJECT(o);

    assert_set_json_error(obj, "nope", "1", "Property 'test-obj.nope' not found");
    assert_set_json_error(obj, "b", "1", "Invalid parameter type for 'b', expected: bool");
    assert_set_json_error(obj, "u8", "true", "Invalid parameter type for 'u8', expected: uint8");
    assert_set_json_error(obj, "u8", "-1", "Invalid parameter type for 'u8', expected: uint8");
    assert_set_json_error(obj, "u8", "256", "Parameter 'u8' expects uint8");
    assert_set_json_error(obj, "u16", "1.5", "Invalid parameter type for 'u16', expected: uint16");
    assert_set_json_error(obj, "u32", "4294967296", "Parameter 'u32' expects uint32");
    assert_set_json_error(obj, "i32", "2147483648", "Parameter 'i32' expects int32");
    assert_set_json_error(obj, "i32", "\"x\"", "Parameter 'i32' expects integer");
    assert_set_json_error(obj, "sz", "-1", "Invalid parameter type for 'sz', expected: size");
    assert_set_json_error(obj, "str", "1", "Invalid parameter type for 'str', expected: str");
    assert_set_json_error(obj, "str", "null", "Invalid parameter type for 'str', expected: str");
    assert_set_json_error(obj, "str", "{}", "Invalid parameter type for 'str', expected: str");
    assert_set_json_error(obj, "u64", "[]", "Invalid parameter type for 'u64', expected: uint64");
    assert_set_json_error(obj, "link", "1",
                          "Invalid parameter type for 'link', expected: link<test-target>");
    assert_set_json_error(obj, "addr", "256", "Property 'addr' doesn't take value '256'");
    assert_set_json_error(obj, "addr", "-2", "Property 'addr' doesn't take value '-2'");

    g_assert_true(o->b);
    g_assert_cmpuint(o->u8, ==, 200);
    g_assert_cmpstr(o->str, ==, "hello");
    g_assert_cmpint(o->addr, ==, -1);
    g_object_unref(o);
}

static void test_check_property_set(void)
{
    TestObj *o = new_test_obj();
    g_autoptr(GError) err = NULL;

    o->frozen = true;
    assert_parse_error(OBJECT(o), "u8", "1", "'u8' is frozen");
    assert_set_json_error(OBJECT(o), "u8", "1", "'u8' is frozen");
    g_assert_cmpuint(o->u8, ==, 200);
    /* an unknown property is reported as such first */
    assert_parse_error(OBJECT(o), "nope", "1", "Property 'test-obj.nope' not found");
    g_object_unref(o);
}

static void test_get_json(void)
{
    TestObj *o = new_test_obj();
    g_autoptr(GError) err = NULL;

    ASSERT_GET(o, "type", "\"test-obj\"");
    ASSERT_GET(o, "b", "true");
    ASSERT_GET(o, "u8", "200");
    ASSERT_GET(o, "u16", "48879");
    ASSERT_GET(o, "u32", "3735928559");
    ASSERT_GET(o, "i32", "-5");
    ASSERT_GET(o, "i64", "-1");
    ASSERT_GET(o, "sz", "1048576");
    ASSERT_GET(o, "str", "\"hello\"");
    ASSERT_GET(o, "nostr", "\"\"");     /* unset strings read as "", as in QEMU */
    ASSERT_GET(o, "link", "\"\"");
    ASSERT_GET(o, "addr", "-1");
    parse_ok(OBJECT(o), "addr", "1f.7");
    ASSERT_GET(o, "addr", "255");

    g_assert_null(object_property_get_json(OBJECT(o), "nope", &err));
    g_assert_cmpstr(err->message, ==, "Property 'test-obj.nope' not found");
    g_object_unref(o);
}

static void collect_name(const Property *prop, void *opaque)
{
    GString *s = opaque;

    g_string_append_printf(s, "%s%s", s->len ? "," : "", prop->name);
}

static void test_inheritance(void)
{
    ObjectClass *sub = g_type_class_ref(g_type_from_name("test-sub"));
    ObjectClass *bare = g_type_class_ref(g_type_from_name("test-bare"));
    ObjectClass *base = g_type_class_ref(g_type_from_name("test-obj"));
    g_autoptr(GString) names = g_string_new(NULL);
    static const char all[] = "b,u8,u16,u32,i32,u64,i64,sz,str,nostr,link,addr";

    g_assert_nonnull(object_class_find_property(sub, "extra"));
    g_assert_nonnull(object_class_find_property(sub, "u8"));
    g_assert_nonnull(object_class_find_property(bare, "extra"));
    g_assert_null(object_class_find_property(base, "extra"));
    g_assert_null(object_class_find_property(sub, "type"));

    /* ancestors first, each table once (test-bare has none of its own) */
    object_class_foreach_property(base, collect_name, names);
    g_assert_cmpstr(names->str, ==, all);
    g_string_truncate(names, 0);
    object_class_foreach_property(bare, collect_name, names);
    g_assert_cmpstr(names->str, ==, "b,u8,u16,u32,i32,u64,i64,sz,str,nostr,link,addr,extra");
    g_string_truncate(names, 0);
    object_class_foreach_property(g_type_class_ref(TYPE_CONTAINER), collect_name, names);
    g_assert_cmpstr(names->str, ==, "");

    /* an unknown property names the instance's type */
    {
        Object *o = object_new(g_type_from_name("test-bare"));
        assert_parse_error(o, "nope", "1", "Property 'test-bare.nope' not found");
        parse_ok(o, "extra", "9");
        parse_ok(o, "u8", "9");
        g_assert_cmpuint(((TestSub *)o)->extra, ==, 9);
        g_object_unref(o);
    }
}

static void test_introspection(void)
{
    static const struct {
        const char *name, *type, *def, *json_def;
    } expect[] = {
        { "b", "bool", "true", "true" },
        { "u8", "uint8", "200", "200" },
        { "u16", "uint16", "48879", "48879" },
        { "u32", "uint32", "3735928559", "3735928559" },
        { "i32", "int32", "-5", "-5" },
        { "u64", "uint64", "1311768467463790320", "1311768467463790320" },
        { "i64", "int64", "-1", "-1" },
        { "sz", "size", "1048576", "1048576" },
        { "str", "str", "\"hello\"", "\"hello\"" },
        { "nostr", "str", NULL, NULL },
        { "link", "link<test-target>", NULL, NULL },
        { "addr", "int32", "-1", "-1" },
    };
    ObjectClass *oc = g_type_class_ref(g_type_from_name("test-obj"));

    for (guint i = 0; i < G_N_ELEMENTS(expect); i++) {
        const Property *p = object_class_find_property(oc, expect[i].name);
        g_autofree char *type = property_type_name(p);
        g_autofree char *def = property_default_string(p);
        g_autoptr(JsonNode) jdef = property_default_json(p);
        g_autofree char *jtext = jdef ? json_to_string(jdef, FALSE) : NULL;

        g_assert_cmpstr(type, ==, expect[i].type);
        g_assert_cmpstr(def, ==, expect[i].def);
        g_assert_cmpstr(jtext, ==, expect[i].json_def);
    }
    g_assert_cmpstr(object_class_find_property(oc, "str")->description, ==, "a string");
}

/* Links -------------------------------------------------------------------- */

static void test_link(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(Keyval) k1 = kv("test-target,id=lt1");
    g_autoptr(Keyval) k2 = kv("test-creatable,id=lc1");
    TestObj *o = new_test_obj();
    Object *t1, *c1;

    t1 = user_creatable_add(k1, &err);
    g_assert_no_error(err);
    c1 = user_creatable_add(k2, &err);
    g_assert_no_error(err);

    /* an -object id, or an absolute path */
    parse_ok(OBJECT(o), "link", "lt1");
    g_assert_true(o->link == t1);
    ASSERT_GET(o, "link", "\"/objects/lt1\"");
    parse_ok(OBJECT(o), "link", "/objects/lt1");
    g_assert_true(o->link == t1);
    g_assert_true(set_json(OBJECT(o), "link", "\"lt1\"", NULL));
    g_assert_true(o->link == t1);

    assert_parse_error(OBJECT(o), "link", "nope", "Property 'link': object 'nope' not found");
    assert_parse_error(OBJECT(o), "link", "/objects/nope",
                       "Property 'link': object '/objects/nope' not found");
    assert_parse_error(OBJECT(o), "link", "lc1",
                       "Property 'link': object 'lc1' is of type 'test-creatable', "
                       "not 'test-target'");
    assert_parse_error(OBJECT(o), "link", "/objects",
                       "Property 'link': object '/objects' is of type 'container', "
                       "not 'test-target'");
    g_assert_true(o->link == t1);

    /* the link holds a reference: the target outlives its removal from the tree */
    g_object_add_weak_pointer(G_OBJECT(t1), (gpointer *)&t1);
    object_unparent(t1);
    g_assert_nonnull(t1);
    g_assert_null(object_get_child(objects(), "lt1"));
    g_object_unref(o);
    g_assert_null(t1);                  /* released with the object */

    object_unparent(c1);
}

/* The tree ----------------------------------------------------------------- */

static void test_tree_add_resolve(void)
{
    g_autoptr(GError) err = NULL;
    Object *root = object_get_root();
    Object *a = object_new(TYPE_CONTAINER);
    Object *b = object_new(g_type_from_name("test-obj"));
    g_autofree char *pa = NULL, *pb = NULL, *proot = NULL;

    g_assert_true(object_get_root() == root);
    g_assert_true(object_add_child(root, "tree-a", a, &err));
    g_assert_no_error(err);
    g_assert_true(object_add_child(a, "b", b, &err));
    g_assert_true(a->parent == root);
    g_assert_cmpstr(b->name, ==, "b");
    g_assert_true(object_get_child(a, "b") == b);
    g_assert_null(object_get_child(a, "c"));

    g_assert_true(object_resolve_path("/tree-a/b") == b);
    g_assert_true(object_resolve_path("/tree-a") == a);
    g_assert_true(object_resolve_path("/tree-a/") == a);
    g_assert_true(object_resolve_path("//tree-a//b") == b);
    g_assert_true(object_resolve_path("/") == root);
    g_assert_null(object_resolve_path("tree-a/b"));
    g_assert_null(object_resolve_path(""));
    g_assert_null(object_resolve_path(NULL));
    g_assert_null(object_resolve_path("/tree-a/nope"));
    g_assert_null(object_resolve_path("/tree-a/b/c"));
    g_assert_null(object_resolve_path("/nope/b"));

    pa = object_get_canonical_path(a);
    pb = object_get_canonical_path(b);
    proot = object_get_canonical_path(root);
    g_assert_cmpstr(pa, ==, "/tree-a");
    g_assert_cmpstr(pb, ==, "/tree-a/b");
    g_assert_cmpstr(proot, ==, "/");

    /* children keep insertion order */
    {
        Object *c = object_new(TYPE_CONTAINER);
        g_assert_true(object_add_child(a, "a", c, NULL));
        g_assert_true(g_ptr_array_index(a->children, 0) == b);
        g_assert_true(g_ptr_array_index(a->children, 1) == c);
        g_object_unref(c);
    }

    g_object_unref(b);
    g_object_unref(a);
    object_unparent(object_resolve_path("/tree-a"));
    g_assert_null(object_resolve_path("/tree-a"));
}

static void test_tree_duplicate(void)
{
    g_autoptr(GError) err = NULL;
    Object *p = container_get("/tree-dup");
    Object *x = object_new(TYPE_CONTAINER);
    Object *y = object_new(g_type_from_name("test-obj"));

    g_assert_true(object_add_child(p, "x", x, NULL));
    g_assert_false(object_add_child(p, "x", y, &err));
    g_assert_cmpstr(err->message, ==,
                    "attempt to add duplicate property 'x' to object (type 'container')");
    g_assert_null(y->parent);
    g_assert_null(y->name);
    g_assert_cmpuint(p->children->len, ==, 1);
    g_assert_true(object_get_child(p, "x") == x);

    g_object_unref(x);
    g_object_unref(y);
    object_unparent(p);
}

static void test_tree_unparent(void)
{
    Object *p = container_get("/tree-unparent");
    Object *c = object_new(TYPE_CONTAINER);
    Object *gc = object_new(TYPE_CONTAINER);
    Object *wc = c, *wgc = gc;

    g_assert_true(object_add_child(p, "c", c, NULL));
    g_assert_true(object_add_child(c, "gc", gc, NULL));
    g_object_unref(gc);                 /* the tree holds the only references now */
    g_object_unref(c);
    g_object_add_weak_pointer(G_OBJECT(wc), (gpointer *)&wc);
    g_object_add_weak_pointer(G_OBJECT(wgc), (gpointer *)&wgc);

    /* unparent drops the parent's reference, and a subtree goes with it */
    g_object_ref(c);
    object_unparent(c);
    g_assert_nonnull(wc);
    g_assert_null(c->parent);
    g_assert_null(c->name);
    g_assert_cmpuint(p->children->len, ==, 0);
    g_assert_null(object_resolve_path("/tree-unparent/c"));
    /* a second unparent is a no-op */
    object_unparent(c);
    g_object_unref(c);
    g_assert_null(wc);
    g_assert_null(wgc);

    object_unparent(p);
    g_assert_null(object_resolve_path("/tree-unparent"));
}

static void test_container_get(void)
{
    Object *deep = container_get("/tree-cg/x/y");
    g_autofree char *path = object_get_canonical_path(deep);

    g_assert_cmpstr(path, ==, "/tree-cg/x/y");
    g_assert_cmpstr(object_type_name(deep), ==, "container");
    g_assert_cmpstr(object_type_name(object_resolve_path("/tree-cg/x")), ==, "container");
    /* existing nodes are returned, whatever the spelling */
    g_assert_true(container_get("/tree-cg/x/y") == deep);
    g_assert_true(container_get("tree-cg//x/y/") == deep);
    g_assert_true(container_get("/") == object_get_root());
    g_assert_cmpuint(object_resolve_path("/tree-cg/x")->children->len, ==, 1);
    object_unparent(object_resolve_path("/tree-cg"));
}

/* User-creatable objects ---------------------------------------------------- */

static void assert_add_fails(const char *opts, const char *msg)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(Keyval) k = kv(opts);
    guint before = objects()->children->len;

    if (user_creatable_add(k, &err)) {
        g_error("-object %s was accepted", opts);
    }
    g_assert_cmpstr(err->message, ==, msg);
    /* nothing is left under /objects */
    g_assert_cmpuint(objects()->children->len, ==, before);
}

static void test_user_creatable(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(Keyval) k = kv("test-creatable,id=uc1,n=5");
    TestCreatable *c = (TestCreatable *)user_creatable_add(k, &err);
    g_autofree char *path = NULL;

    g_assert_no_error(err);
    g_assert_nonnull(c);
    g_assert_true(c->completed);
    g_assert_cmpuint(c->n, ==, 5);
    path = object_get_canonical_path(OBJECT(c));
    g_assert_cmpstr(path, ==, "/objects/uc1");

    assert_add_fails("test-creatable,id=uc1",
                     "attempt to add duplicate property 'uc1' to object (type 'container')");
    g_assert_true(object_resolve_path("/objects/uc1") == OBJECT(c));
    user_creatable_cleanup();
    g_assert_cmpuint(objects()->children->len, ==, 0);
}

static void test_user_creatable_errors(void)
{
    assert_add_fails("foo,id=x", "Parameter 'qom-type' does not accept value 'foo'");
    assert_add_fails("id=x", "Parameter 'qom-type' is missing");
    assert_add_fails("container,id=x", "Parameter 'qom-type' does not accept value 'container'");
    assert_add_fails("object,id=x", "Parameter 'qom-type' does not accept value 'object'");
    assert_add_fails("test-obj,id=x", "Parameter 'qom-type' does not accept value 'test-obj'");
    assert_add_fails("gchararray,id=x",
                     "Parameter 'qom-type' does not accept value 'gchararray'");
    assert_add_fails("test-creatable", "Parameter 'id' is missing");
    assert_add_fails("test-creatable,id=x,nope=1", "Property 'test-creatable.nope' not found");
    assert_add_fails("test-creatable,id=x,n=-1", "Parameter 'n' expects integer");
    assert_add_fails("test-creatable,id=x,fail=on", "completion of 'x' failed");
    g_assert_null(object_resolve_path("/objects/x"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    module_call_init();

    g_test_add_func("/object/props/defaults", test_defaults);
    g_test_add_func("/object/props/defaults-inherited", test_defaults_inherited);
    g_test_add_func("/object/props/parse", test_parse_good);
    g_test_add_func("/object/props/parse-errors", test_parse_errors);
    g_test_add_func("/object/props/set-json", test_set_json);
    g_test_add_func("/object/props/set-json-strings", test_set_json_strings);
    g_test_add_func("/object/props/set-json-errors", test_set_json_errors);
    g_test_add_func("/object/props/check-property-set", test_check_property_set);
    g_test_add_func("/object/props/get-json", test_get_json);
    g_test_add_func("/object/props/inheritance", test_inheritance);
    g_test_add_func("/object/props/introspection", test_introspection);
    g_test_add_func("/object/link", test_link);
    g_test_add_func("/object/tree/add-resolve", test_tree_add_resolve);
    g_test_add_func("/object/tree/duplicate", test_tree_duplicate);
    g_test_add_func("/object/tree/unparent", test_tree_unparent);
    g_test_add_func("/object/tree/container-get", test_container_get);
    g_test_add_func("/object/user-creatable/add", test_user_creatable);
    g_test_add_func("/object/user-creatable/errors", test_user_creatable_errors);
    return g_test_run();
}
