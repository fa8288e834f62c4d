/*
 * User-creatable objects (-object).
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "qom/object-interfaces.h"

Object *user_creatable_add(Keyval *opts, GError **errp)
{
    const char *type = keyval_get(opts, "qom-type");
    const char *id = keyval_get(opts, "id");
    GType t = type ? g_type_from_name(type) : 0;
    Object *objects;
    g_autoptr(GObject) obj = NULL;
    ObjectClass *oc;

    if (!type) {
        error_setg(errp, "Parameter 'qom-type' is missing");
        return NULL;
    }
    if (!t || !g_type_is_a(t, TYPE_OBJECT) || G_TYPE_IS_ABSTRACT(t) ||
        !OBJECT_CLASS(g_type_class_ref(t))->user_creatable) {
        error_setg(errp, "Parameter 'qom-type' does not accept value '%s'", type);
        return NULL;
    }
    if (!id) {
        error_setg(errp, "Parameter 'id' is missing");
        return NULL;
    }
    objects = container_get("/objects");
    if (object_get_child(objects, id)) {
        error_setg(errp, "attempt to add duplicate property '%s' to object (type 'container')",
                   id);
        return NULL;
    }
    obj = G_OBJECT(object_new(t));
    for (guint i = 0; i < opts->pairs->len; i++) {
        KeyvalPair *kp = &g_array_index(opts->pairs, KeyvalPair, i);
        if (g_str_equal(kp->key, "qom-type") || g_str_equal(kp->key, "id")) {
            continue;
        }
        if (!object_property_parse(OBJECT(obj), kp->key, kp->value, errp)) {
            return NULL;
        }
    }
    oc = OBJECT_GET_CLASS(obj);
    if (!object_add_child(objects, id, OBJECT(obj), errp)) {
        return NULL;
    }
    if (oc->complete && !oc->complete(OBJECT(obj), errp)) {
        object_unparent(OBJECT(obj));
        return NULL;
    }
    return OBJECT(obj);
}

void user_creatable_cleanup(void)
{
    Object *objects = object_get_child(object_get_root(), "objects");

    while (objects && objects->children->len) {
        object_unparent(g_ptr_array_index(objects->children, objects->children->len - 1));
    }
}
