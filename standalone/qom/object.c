/*
 * Object base type: typed property tables and the composition tree.
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "qemu/keyval.h"
#include "qemu/module.h"
#include "qom/object.h"

OBJECT_DEFINE_ABSTRACT_TYPE(Object, object, "object", G_TYPE_OBJECT)

typedef struct Container {
    Object parent;
} Container;
typedef struct ContainerClass {
    ObjectClass parent;
} ContainerClass;
OBJECT_DEFINE_TYPE(Container, container, "container", TYPE_OBJECT)

static void container_init(Container *c) {}
static void container_class_init(ContainerClass *klass)
{
    OBJECT_CLASS(klass)->description = "a node of the object tree";
}

type_init(object_get_type)
type_init(container_get_type)

#define FIELD(obj, prop, T) ((T *)((char *)(obj) + (prop)->offset))

static void set_default(const Property *prop, void *opaque)
{
    Object *obj = opaque;

    switch (prop->kind) {
    case PROP_KIND_BOOL:
        *FIELD(obj, prop, bool) = prop->defval;
        break;
    case PROP_KIND_UINT8:
        *FIELD(obj, prop, uint8_t) = prop->defval;
        break;
    case PROP_KIND_UINT16:
        *FIELD(obj, prop, uint16_t) = prop->defval;
        break;
    case PROP_KIND_UINT32:
        *FIELD(obj, prop, uint32_t) = prop->defval;
        break;
    case PROP_KIND_INT32:
    case PROP_KIND_PCI_DEVFN:
        *FIELD(obj, prop, int32_t) = (int32_t)(int64_t)prop->defval;
        break;
    case PROP_KIND_UINT64:
    case PROP_KIND_SIZE:
        *FIELD(obj, prop, uint64_t) = prop->defval;
        break;
    case PROP_KIND_INT64:
        *FIELD(obj, prop, int64_t) = (int64_t)prop->defval;
        break;
    case PROP_KIND_STRING:
        *FIELD(obj, prop, char *) = g_strdup(prop->defstr);
        break;
    case PROP_KIND_LINK:
        *FIELD(obj, prop, Object *) = NULL;
        break;
    }
}

static void release_prop(const Property *prop, void *opaque)
{
    Object *obj = opaque;

    if (prop->kind == PROP_KIND_STRING) {
        g_clear_pointer(FIELD(obj, prop, char *), g_free);
    } else if (prop->kind == PROP_KIND_LINK) {
        g_clear_object(FIELD(obj, prop, Object *));
    }
}

static void object_constructed(GObject *gobj)
{
    object_class_foreach_property(OBJECT_GET_CLASS(gobj), set_default, gobj);
    G_OBJECT_CLASS(object_parent_class)->constructed(gobj);
}

static void object_dispose(GObject *gobj)
{
    Object *obj = OBJECT(gobj);

    while (obj->children && obj->children->len) {
        object_unparent(g_ptr_array_index(obj->children, obj->children->len - 1));
    }
    object_class_foreach_property(OBJECT_GET_CLASS(gobj), release_prop, gobj);
    G_OBJECT_CLASS(object_parent_class)->dispose(gobj);
}

static void object_finalize(GObject *gobj)
{
    Object *obj = OBJECT(gobj);

    g_clear_pointer(&obj->children, g_ptr_array_unref);
    g_free(obj->name);
    G_OBJECT_CLASS(object_parent_class)->finalize(gobj);
}

static void object_init(Object *obj)
{
    obj->children = g_ptr_array_new();
}

static void object_class_init(ObjectClass *klass)
{
    GObjectClass *gc = G_OBJECT_CLASS(klass);

    gc->constructed = object_constructed;
    gc->dispose = object_dispose;
    gc->finalize = object_finalize;
}

Object *object_new(GType type)
{
    return OBJECT(g_object_new(type, NULL));
}

const char *object_type_name(Object *obj)
{
    return G_OBJECT_TYPE_NAME(obj);
}

/* Properties ----------------------------------------------------------- */

/*
 * The table @t declares itself.  GObject copies the parent's class struct
 * into the child's, so a class that sets no table of its own still shows
 * its parent's pointer: that one is not the class's own.
 */
static const Property *own_props(GType t)
{
    ObjectClass *c = g_type_class_peek(t);
    ObjectClass *pc = t == TYPE_OBJECT ? NULL : g_type_class_peek(g_type_parent(t));

    if (!c || (pc && pc->props == c->props)) {
        return NULL;
    }
    return c->props;
}

const Property *object_class_find_property(ObjectClass *oc, const char *name)
{
    for (GType t = G_OBJECT_CLASS_TYPE(oc); t && g_type_is_a(t, TYPE_OBJECT);
         t = g_type_parent(t)) {
        for (const Property *p = own_props(t); p && p->name; p++) {
            if (g_str_equal(p->name, name)) {
                return p;
            }
        }
    }
    return NULL;
}

void object_class_foreach_property(ObjectClass *oc,
                                   void (*fn)(const Property *prop, void *opaque),
                                   void *opaque)
{
    GType t = G_OBJECT_CLASS_TYPE(oc);
    guint depth = 0;
    g_autofree GType *chain = g_new0(GType, g_type_depth(t) + 1);

    for (; t && g_type_is_a(t, TYPE_OBJECT); t = g_type_parent(t)) {
        chain[depth++] = t;
    }
    while (depth--) {
        for (const Property *p = own_props(chain[depth]); p && p->name; p++) {
            fn(p, opaque);
        }
    }
}

char *property_type_name(const Property *prop)
{
    switch (prop->kind) {
    case PROP_KIND_BOOL:
        return g_strdup("bool");
    case PROP_KIND_UINT8:
        return g_strdup("uint8");
    case PROP_KIND_UINT16:
        return g_strdup("uint16");
    case PROP_KIND_UINT32:
        return g_strdup("uint32");
    case PROP_KIND_INT32:
        return g_strdup("int32");
    case PROP_KIND_UINT64:
        return g_strdup("uint64");
    case PROP_KIND_INT64:
        return g_strdup("int64");
    case PROP_KIND_SIZE:
        return g_strdup("size");
    case PROP_KIND_STRING:
        return g_strdup("str");
    case PROP_KIND_LINK:
        return g_strdup_printf("link<%s>", prop->link_type);
    case PROP_KIND_PCI_DEVFN:
        return g_strdup("int32");
    }
    g_assert_not_reached();
}

char *property_default_string(const Property *prop)
{
    switch (prop->kind) {
    case PROP_KIND_BOOL:
        return g_strdup(prop->defval ? "true" : "false");
    case PROP_KIND_INT32:
    case PROP_KIND_PCI_DEVFN:
        return g_strdup_printf("%" PRId32, (int32_t)(int64_t)prop->defval);
    case PROP_KIND_INT64:
        return g_strdup_printf("%" PRId64, (int64_t)prop->defval);
    case PROP_KIND_STRING:
        return prop->defstr ? g_strdup_printf("\"%s\"", prop->defstr) : NULL;
    case PROP_KIND_LINK:
        return NULL;
    default:
        return g_strdup_printf("%" PRIu64, prop->defval);
    }
}

JsonNode *property_default_json(const Property *prop)
{
    switch (prop->kind) {
    case PROP_KIND_BOOL:
        return json_node_init_boolean(json_node_alloc(), prop->defval);
    case PROP_KIND_INT32:
    case PROP_KIND_PCI_DEVFN:
        return json_node_init_int(json_node_alloc(), (int32_t)(int64_t)prop->defval);
    case PROP_KIND_STRING:
        return prop->defstr ? json_node_init_string(json_node_alloc(), prop->defstr) : NULL;
    case PROP_KIND_LINK:
        return NULL;
    default:
        return json_node_init_int(json_node_alloc(), (gint64)prop->defval);
    }
}

static gboolean find_settable(Object *obj, const char *name, const Property **out,
                              GError **errp)
{
    ObjectClass *oc = OBJECT_GET_CLASS(obj);
    const Property *prop = object_class_find_property(oc, name);

    if (!prop) {
        error_setg(errp, "Property '%s.%s' not found", object_type_name(obj), name);
        return FALSE;
    }
    if (oc->check_property_set && !oc->check_property_set(obj, prop, errp)) {
        return FALSE;
    }
    *out = prop;
    return TRUE;
}

static gboolean parse_devfn(const char *name, const char *str, int32_t *out, GError **errp)
{
    unsigned slot, fn = 0;
    char *end;

    errno = 0;
    slot = strtoul(str, &end, 16);
    if (end == str || errno) {
        goto bad;
    }
    if (*end == '.') {
        const char *f = end + 1;
        fn = strtoul(f, &end, 16);
        if (end == f) {
            goto bad;
        }
    }
    if (*end || slot > 0x1f || fn > 7) {
        goto bad;
    }
    *out = (int32_t)(slot << 3 | fn);
    return TRUE;
bad:
    error_setg(errp, "Property '%s' doesn't take value '%s'", name, str);
    return FALSE;
}

static Object *resolve_link(const Property *prop, const char *str, GError **errp)
{
    Object *target;
    GType want;

    if (str[0] == '/') {
        target = object_resolve_path(str);
    } else {
        Object *objects = object_get_child(object_get_root(), "objects");
        target = objects ? object_get_child(objects, str) : NULL;
    }
    if (!target) {
        error_setg(errp, "Property '%s': object '%s' not found", prop->name, str);
        return NULL;
    }
    want = g_type_from_name(prop->link_type);
    if (!want || !g_type_is_a(G_OBJECT_TYPE(target), want)) {
        error_setg(errp, "Property '%s': object '%s' is of type '%s', not '%s'",
                   prop->name, str, object_type_name(target), prop->link_type);
        return NULL;
    }
    return target;
}

static gboolean set_uint(Object *obj, const Property *prop, uint64_t v, GError **errp)
{
    uint64_t max;

    switch (prop->kind) {
    case PROP_KIND_UINT8:
        max = UINT8_MAX;
        break;
    case PROP_KIND_UINT16:
        max = UINT16_MAX;
        break;
    case PROP_KIND_UINT32:
        max = UINT32_MAX;
        break;
    default:
        max = UINT64_MAX;
        break;
    }
    if (v > max) {
        g_autofree char *t = property_type_name(prop);
        error_setg(errp, "Parameter '%s' expects %s", prop->name, t);
        return FALSE;
    }
    switch (prop->kind) {
    case PROP_KIND_UINT8:
        *FIELD(obj, prop, uint8_t) = v;
        break;
    case PROP_KIND_UINT16:
        *FIELD(obj, prop, uint16_t) = v;
        break;
    case PROP_KIND_UINT32:
        *FIELD(obj, prop, uint32_t) = v;
        break;
    default:
        *FIELD(obj, prop, uint64_t) = v;
        break;
    }
    return TRUE;
}

static gboolean set_int(Object *obj, const Property *prop, int64_t v, GError **errp)
{
    if (prop->kind == PROP_KIND_INT32) {
        if (v < INT32_MIN || v > INT32_MAX) {
            error_setg(errp, "Parameter '%s' expects int32", prop->name);
            return FALSE;
        }
        *FIELD(obj, prop, int32_t) = v;
    } else {
        *FIELD(obj, prop, int64_t) = v;
    }
    return TRUE;
}

static gboolean set_from_string(Object *obj, const Property *prop, const char *value,
                                GError **errp)
{
    uint64_t u;
    int64_t i;
    bool b;
    int32_t devfn;
    Object *target;

    switch (prop->kind) {
    case PROP_KIND_BOOL:
        if (!parse_bool(prop->name, value, &b, errp)) {
            return FALSE;
        }
        *FIELD(obj, prop, bool) = b;
        return TRUE;
    case PROP_KIND_UINT8:
    case PROP_KIND_UINT16:
    case PROP_KIND_UINT32:
    case PROP_KIND_UINT64:
        return parse_uint64(prop->name, value, &u, errp) && set_uint(obj, prop, u, errp);
    case PROP_KIND_SIZE:
        if (!parse_size(prop->name, value, 1, &u, errp)) {
            return FALSE;
        }
        *FIELD(obj, prop, uint64_t) = u;
        return TRUE;
    case PROP_KIND_INT32:
    case PROP_KIND_INT64:
        return parse_int64(prop->name, value, &i, errp) && set_int(obj, prop, i, errp);
    case PROP_KIND_STRING:
        g_free(*FIELD(obj, prop, char *));
        *FIELD(obj, prop, char *) = g_strdup(value);
        return TRUE;
    case PROP_KIND_LINK:
        target = resolve_link(prop, value, errp);
        if (!target) {
            return FALSE;
        }
        g_set_object(FIELD(obj, prop, Object *), target);
        return TRUE;
    case PROP_KIND_PCI_DEVFN:
        if (!parse_devfn(prop->name, value, &devfn, errp)) {
            return FALSE;
        }
        *FIELD(obj, prop, int32_t) = devfn;
        return TRUE;
    }
    g_assert_not_reached();
}

gboolean object_property_parse(Object *obj, const char *name, const char *value,
                               GError **errp)
{
    const Property *prop;

    return find_settable(obj, name, &prop, errp) && set_from_string(obj, prop, value, errp);
}

gboolean object_property_set_json(Object *obj, const char *name, JsonNode *value,
                                  GError **errp)
{
    const Property *prop;
    GType vt;

    if (!find_settable(obj, name, &prop, errp)) {
        return FALSE;
    }
    if (!JSON_NODE_HOLDS_VALUE(value)) {
        goto bad_type;
    }
    vt = json_node_get_value_type(value);
    if (vt == G_TYPE_STRING) {
        /* QEMU accepts strings for any scalar property in device_add. */
        return set_from_string(obj, prop, json_node_get_string(value), errp);
    }
    switch (prop->kind) {
    case PROP_KIND_BOOL:
        if (vt != G_TYPE_BOOLEAN) {
            goto bad_type;
        }
        *FIELD(obj, prop, bool) = json_node_get_boolean(value);
        return TRUE;
    case PROP_KIND_INT32:
    case PROP_KIND_INT64:
        if (vt != G_TYPE_INT64) {
            goto bad_type;
        }
        return set_int(obj, prop, json_node_get_int(value), errp);
    case PROP_KIND_PCI_DEVFN:
        if (vt != G_TYPE_INT64) {
            goto bad_type;
        }
        if (json_node_get_int(value) == -1) {
            *FIELD(obj, prop, int32_t) = -1;
            return TRUE;
        }
        {
            /* QEMU turns a number into its decimal text, then reads it as "SLOT" */
            g_autofree char *text = g_strdup_printf("%" PRId64, json_node_get_int(value));
            return set_from_string(obj, prop, text, errp);
        }
    case PROP_KIND_UINT8:
    case PROP_KIND_UINT16:
    case PROP_KIND_UINT32:
    case PROP_KIND_UINT64:
    case PROP_KIND_SIZE:
        if (vt != G_TYPE_INT64 || json_node_get_int(value) < 0) {
            goto bad_type;
        }
        return set_uint(obj, prop, json_node_get_int(value), errp);
    case PROP_KIND_STRING:
    case PROP_KIND_LINK:
        break;
    }
bad_type: {
        g_autofree char *t = property_type_name(prop);
        error_setg(errp, "Invalid parameter type for '%s', expected: %s", prop->name, t);
        return FALSE;
    }
}

JsonNode *object_property_get_json(Object *obj, const char *name, GError **errp)
{
    const Property *prop;

    if (g_str_equal(name, "type")) {
        return json_node_init_string(json_node_alloc(), object_type_name(obj));
    }
    prop = object_class_find_property(OBJECT_GET_CLASS(obj), name);
    if (!prop) {
        error_setg(errp, "Property '%s.%s' not found", object_type_name(obj), name);
        return NULL;
    }
    switch (prop->kind) {
    case PROP_KIND_BOOL:
        return json_node_init_boolean(json_node_alloc(), *FIELD(obj, prop, bool));
    case PROP_KIND_UINT8:
        return json_node_init_int(json_node_alloc(), *FIELD(obj, prop, uint8_t));
    case PROP_KIND_UINT16:
        return json_node_init_int(json_node_alloc(), *FIELD(obj, prop, uint16_t));
    case PROP_KIND_UINT32:
        return json_node_init_int(json_node_alloc(), *FIELD(obj, prop, uint32_t));
    case PROP_KIND_INT32:
    case PROP_KIND_PCI_DEVFN:
        return json_node_init_int(json_node_alloc(), *FIELD(obj, prop, int32_t));
    case PROP_KIND_UINT64:
    case PROP_KIND_SIZE:
        return json_node_init_int(json_node_alloc(), (gint64)*FIELD(obj, prop, uint64_t));
    case PROP_KIND_INT64:
        return json_node_init_int(json_node_alloc(), *FIELD(obj, prop, int64_t));
    case PROP_KIND_STRING: {
        const char *s = *FIELD(obj, prop, char *);
        /* an unset string reads as "", as QEMU's qom-get answers */
        return json_node_init_string(json_node_alloc(), s ? s : "");
    }
    case PROP_KIND_LINK: {
        Object *t = *FIELD(obj, prop, Object *);
        g_autofree char *path = t ? object_get_canonical_path(t) : NULL;
        return json_node_init_string(json_node_alloc(), path ? path : "");
    }
    }
    g_assert_not_reached();
}

/* The tree -------------------------------------------------------------- */

static Object *root;

Object *object_get_root(void)
{
    if (!root) {
        root = object_new(TYPE_CONTAINER);
    }
    return root;
}

Object *object_get_child(Object *parent, const char *name)
{
    for (guint i = 0; i < parent->children->len; i++) {
        Object *c = g_ptr_array_index(parent->children, i);
        if (g_str_equal(c->name, name)) {
            return c;
        }
    }
    return NULL;
}

gboolean object_add_child(Object *parent, const char *name, Object *child, GError **errp)
{
    g_return_val_if_fail(child->parent == NULL, FALSE);
    if (object_get_child(parent, name)) {
        error_setg(errp, "attempt to add duplicate property '%s' to object (type '%s')",
                   name, object_type_name(parent));
        return FALSE;
    }
    child->parent = parent;
    child->name = g_strdup(name);
    g_ptr_array_add(parent->children, g_object_ref(child));
    return TRUE;
}

void object_unparent(Object *obj)
{
    Object *parent = obj->parent;

    if (!parent) {
        return;
    }
    obj->parent = NULL;
    g_clear_pointer(&obj->name, g_free);
    g_ptr_array_remove(parent->children, obj);
    g_object_unref(obj);
}

Object *object_resolve_path(const char *path)
{
    g_auto(GStrv) parts = NULL;
    Object *o = object_get_root();

    if (!path || path[0] != '/') {
        return NULL;
    }
    parts = g_strsplit(path + 1, "/", -1);
    for (int i = 0; parts[i] && o; i++) {
        if (!parts[i][0]) {
            continue;           /* "//" or trailing "/" */
        }
        o = object_get_child(o, parts[i]);
    }
    return o;
}

char *object_get_canonical_path(Object *obj)
{
    GString *s = g_string_new(NULL);

    for (Object *o = obj; o && o->parent; o = o->parent) {
        g_string_prepend(s, o->name);
        g_string_prepend_c(s, '/');
    }
    if (!s->len) {
        g_string_append_c(s, '/');
    }
    return g_string_free(s, FALSE);
}

Object *container_get(const char *path)
{
    g_auto(GStrv) parts = g_strsplit(path, "/", -1);
    Object *o = object_get_root();

    for (int i = 0; parts[i]; i++) {
        Object *c;

        if (!parts[i][0]) {
            continue;
        }
        c = object_get_child(o, parts[i]);
        if (!c) {
            c = object_new(TYPE_CONTAINER);
            object_add_child(o, parts[i], c, NULL);
            g_object_unref(c);
        }
        o = c;
    }
    return o;
}
