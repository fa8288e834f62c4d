/*
 * The object model: GObject types with QEMU-style typed properties and a
 * composition tree addressed by paths (/machine/peripheral/ID).
 *
 * Why not GParamSpec for properties: GObject canonicalizes property names
 * ("dma_win_addr" becomes "dma-win-addr"), but the command line, QMP and
 * device-list-properties must use QEMU's exact spelling.  So each class
 * declares a static table of Property (name, kind, field offset, default),
 * and this file parses, sets, prints and introspects them generically.
 * GObject provides the types, inheritance, virtual methods and reference
 * counting.
 */
#ifndef QOM_OBJECT_H
#define QOM_OBJECT_H

#include "qemu/osdep.h"
#include <json-glib/json-glib.h>

typedef struct Object Object;
typedef struct ObjectClass ObjectClass;

typedef enum PropertyKind {
    PROP_KIND_BOOL,
    PROP_KIND_UINT8,
    PROP_KIND_UINT16,
    PROP_KIND_UINT32,
    PROP_KIND_INT32,
    PROP_KIND_UINT64,
    PROP_KIND_INT64,
    PROP_KIND_SIZE,
    PROP_KIND_STRING,
    PROP_KIND_LINK,      /* Object *, resolved from a path or an -object id */
    PROP_KIND_PCI_DEVFN, /* int32 field, "SLOT[.FN]" syntax, -1 = any */
} PropertyKind;

typedef struct Property {
    const char *name;          /* QEMU spelling; NULL ends a table */
    PropertyKind kind;
    size_t offset;             /* of the field in the instance struct */
    const char *description;
    uint64_t defval;           /* default of bool and integer kinds */
    const char *defstr;        /* default of strings */
    const char *link_type;     /* type name a link must point to */
} Property;

/* Compile-time check that field F of S has type T. */
#define PROP_FIELD(S, F, T) \
    (offsetof(S, F) + 0 * sizeof(char[__builtin_types_compatible_p(T, __typeof__(((S *)0)->F)) ? 1 : -1]))

#define DEFINE_PROP_BOOL(n, S, F, d) \
    { .name = (n), .kind = PROP_KIND_BOOL, .offset = PROP_FIELD(S, F, bool), .defval = (d) }
#define DEFINE_PROP_UINT8(n, S, F, d) \
    { .name = (n), .kind = PROP_KIND_UINT8, .offset = PROP_FIELD(S, F, uint8_t), .defval = (d) }
#define DEFINE_PROP_UINT16(n, S, F, d) \
    { .name = (n), .kind = PROP_KIND_UINT16, .offset = PROP_FIELD(S, F, uint16_t), .defval = (d) }
#define DEFINE_PROP_UINT32(n, S, F, d) \
    { .name = (n), .kind = PROP_KIND_UINT32, .offset = PROP_FIELD(S, F, uint32_t), .defval = (d) }
#define DEFINE_PROP_INT32(n, S, F, d) \
    { .name = (n), .kind = PROP_KIND_INT32, .offset = PROP_FIELD(S, F, int32_t), .defval = (uint64_t)(int64_t)(d) }
#define DEFINE_PROP_UINT64(n, S, F, d) \
    { .name = (n), .kind = PROP_KIND_UINT64, .offset = PROP_FIELD(S, F, uint64_t), .defval = (d) }
#define DEFINE_PROP_INT64(n, S, F, d) \
    { .name = (n), .kind = PROP_KIND_INT64, .offset = PROP_FIELD(S, F, int64_t), .defval = (uint64_t)(d) }
#define DEFINE_PROP_SIZE(n, S, F, d) \
    { .name = (n), .kind = PROP_KIND_SIZE, .offset = PROP_FIELD(S, F, uint64_t), .defval = (d) }
#define DEFINE_PROP_STRING(n, S, F) \
    { .name = (n), .kind = PROP_KIND_STRING, .offset = PROP_FIELD(S, F, char *) }
#define DEFINE_PROP_LINK(n, S, F, type) \
    { .name = (n), .kind = PROP_KIND_LINK, .offset = PROP_FIELD(S, F, Object *), .link_type = (type) }
#define DEFINE_PROP_PCI_DEVFN(n, S, F) \
    { .name = (n), .kind = PROP_KIND_PCI_DEVFN, .offset = PROP_FIELD(S, F, int32_t), .defval = (uint64_t)-1 }
#define DEFINE_PROP_END { .name = NULL }

#define TYPE_OBJECT (object_get_type())
#define OBJECT(o) (G_TYPE_CHECK_INSTANCE_CAST((o), TYPE_OBJECT, Object))
#define OBJECT_CLASS(c) (G_TYPE_CHECK_CLASS_CAST((c), TYPE_OBJECT, ObjectClass))
#define OBJECT_GET_CLASS(o) (G_TYPE_INSTANCE_GET_CLASS((o), TYPE_OBJECT, ObjectClass))
#define IS_OBJECT(o) (G_TYPE_CHECK_INSTANCE_TYPE((o), TYPE_OBJECT))

struct Object {
    GObject parent_instance;
    Object *parent;            /* composition parent (not a reference) */
    char *name;                /* name in the parent */
    GPtrArray *children;       /* owned references, in insertion order */
};

struct ObjectClass {
    GObjectClass parent_class;
    const Property *props;     /* this class's own properties */
    const char *description;
    bool user_creatable;       /* may be created with -object */
    /* -object: called once every property is set; FALSE + errp aborts. */
    gboolean (*complete)(Object *obj, GError **errp);
    /* May refuse a property change (e.g. a realized device). */
    gboolean (*check_property_set)(Object *obj, const Property *prop, GError **errp);
};

GType object_get_type(void);

/*
 * Define TN's GType under the QOM name @qom_name ("spapr-pci-host-bridge"),
 * which G_DEFINE_TYPE cannot do: it derives the name from the C type.
 * Expects t_n_init(TN *) and t_n_class_init(TN##Class *); provides
 * t_n_get_type() and t_n_parent_class.
 */
#define OBJECT_DEFINE_TYPE_FLAGS(TN, t_n, qom_name, parent_type, flags)              \
    static void t_n##_init(TN *self);                                               \
    static void t_n##_class_init(TN##Class *klass);                                 \
    static gpointer t_n##_parent_class;                                             \
    static void t_n##_class_intern_init(gpointer klass, gpointer data)              \
    {                                                                               \
        t_n##_parent_class = g_type_class_peek_parent(klass);                       \
        t_n##_class_init((TN##Class *)klass);                                       \
    }                                                                               \
    static void t_n##_instance_intern_init(GTypeInstance *inst, gpointer klass)     \
    {                                                                               \
        t_n##_init((TN *)inst);                                                     \
    }                                                                               \
    GType t_n##_get_type(void)                                                      \
    {                                                                               \
        static gsize type_id;                                                       \
        if (g_once_init_enter(&type_id)) {                                          \
            GType t = g_type_register_static_simple(                                \
                (parent_type), g_intern_static_string(qom_name), sizeof(TN##Class), \
                t_n##_class_intern_init, sizeof(TN), t_n##_instance_intern_init,    \
                (GTypeFlags)(flags));                                               \
            g_once_init_leave(&type_id, t);                                         \
        }                                                                           \
        return type_id;                                                             \
    }

#define OBJECT_DEFINE_TYPE(TN, t_n, qom_name, parent_type) \
    OBJECT_DEFINE_TYPE_FLAGS(TN, t_n, qom_name, parent_type, 0)
#define OBJECT_DEFINE_ABSTRACT_TYPE(TN, t_n, qom_name, parent_type) \
    OBJECT_DEFINE_TYPE_FLAGS(TN, t_n, qom_name, parent_type, G_TYPE_FLAG_ABSTRACT)

/* "container": a plain node of the tree (/machine/peripheral, /objects). */
#define TYPE_CONTAINER (container_get_type())
GType container_get_type(void);

/* Create an instance with every property at its default. */
Object *object_new(GType type);
/* QOM type name of @obj (its GType name). */
const char *object_type_name(Object *obj);

/* Properties ----------------------------------------------------------- */

/* Find @name in @oc or its ancestors; NULL if absent. */
const Property *object_class_find_property(ObjectClass *oc, const char *name);
/* Call @fn for every property, ancestors' first. */
void object_class_foreach_property(ObjectClass *oc,
                                   void (*fn)(const Property *prop, void *opaque),
                                   void *opaque);
/* QOM type name of a property: "bool", "uint32", "size", "str", "link<T>"... */
char *property_type_name(const Property *prop);
/* Default rendered as -device help prints it, or NULL if there is none. */
char *property_default_string(const Property *prop);
/* Default as a JSON node (device-list-properties), or NULL. */
JsonNode *property_default_json(const Property *prop);

/*
 * Set from command-line syntax.  Errors name the property and, for an
 * unknown one, the type: "Property 'TYPE.NAME' not found".
 */
gboolean object_property_parse(Object *obj, const char *name, const char *value,
                               GError **errp);
/* Set from a JSON value (QMP); strings are parsed as on the command line. */
gboolean object_property_set_json(Object *obj, const char *name, JsonNode *value,
                                  GError **errp);
/* Current value as JSON ("type" is a read-only pseudo-property). */
JsonNode *object_property_get_json(Object *obj, const char *name, GError **errp);

/* The tree -------------------------------------------------------------- */

/* The root "/" (created on first use). */
Object *object_get_root(void);
/* Add @child as @parent/@name, taking a reference.  Fails if @name exists. */
gboolean object_add_child(Object *parent, const char *name, Object *child, GError **errp);
/* Remove @obj from its parent, dropping the parent's reference. */
void object_unparent(Object *obj);
/* Child @name of @parent, or NULL. */
Object *object_get_child(Object *parent, const char *name);
/* Resolve an absolute path; NULL if it does not exist. */
Object *object_resolve_path(const char *path);
/* "/machine/peripheral/phb1" */
char *object_get_canonical_path(Object *obj);
/* The container at @path, created (with its parents) if needed. */
Object *container_get(const char *path);

#endif
