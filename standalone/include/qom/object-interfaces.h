/*
 * -object TYPE,id=ID,prop=value...: user-creatable objects under /objects.
 */
#ifndef QOM_OBJECT_INTERFACES_H
#define QOM_OBJECT_INTERFACES_H

#include "qemu/keyval.h"
#include "qom/object.h"

/*
 * Create, configure and complete an object from @opts ("qom-type" and "id"
 * required); on failure nothing is left under /objects.
 */
Object *user_creatable_add(Keyval *opts, GError **errp);

/* Unparent every object under /objects (process exit). */
void user_creatable_cleanup(void);

#endif
