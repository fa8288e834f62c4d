/*
 * Machine base type: lookup by name, creation, reset and teardown.
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "qemu/module.h"
#include "hw/boards.h"

Machine *current_machine;

OBJECT_DEFINE_ABSTRACT_TYPE(Machine, machine, "machine", TYPE_OBJECT)
type_init(machine_get_type)

static const Property machine_props[] = {
    { .name = "dumpdtb", .kind = PROP_KIND_STRING, .offset = offsetof(Machine, dumpdtb),
      .description = "Dump current dtb to a file and quit" },
    { .name = "accel", .kind = PROP_KIND_STRING, .offset = offsetof(Machine, accel),
      .description = "Accelerator list (legacy spelling of -accel)" },
    DEFINE_PROP_END,
};

static void machine_init(Machine *m)
{
    m->ram.ram_fd = -1;
}

static void machine_class_init(MachineClass *klass)
{
    OBJECT_CLASS(klass)->props = machine_props;
    klass->default_ram_size = (1ull << 30);
}

static void collect_machines(GType t, GPtrArray *out)
{
    g_autofree GType *children = NULL;
    guint n;

    if (!G_TYPE_IS_ABSTRACT(t)) {
        g_ptr_array_add(out, g_type_class_ref(t));
    }
    children = g_type_children(t, &n);
    for (guint i = 0; i < n; i++) {
        collect_machines(children[i], out);
    }
}

static GPtrArray *machine_classes(void)
{
    GPtrArray *list = g_ptr_array_new();

    collect_machines(TYPE_MACHINE, list);
    return list;
}

MachineClass *machine_find_class(const char *name)
{
    g_autoptr(GPtrArray) list = machine_classes();

    for (guint i = 0; i < list->len; i++) {
        MachineClass *mc = g_ptr_array_index(list, i);
        if (!g_strcmp0(mc->name, name) || !g_strcmp0(mc->alias, name)) {
            return mc;
        }
    }
    return NULL;
}

MachineClass *machine_default_class(void)
{
    g_autoptr(GPtrArray) list = machine_classes();

    for (guint i = 0; i < list->len; i++) {
        MachineClass *mc = g_ptr_array_index(list, i);
        if (mc->is_default) {
            return mc;
        }
    }
    return list->len ? g_ptr_array_index(list, 0) : NULL;
}

void machine_print_help(void)
{
    g_autoptr(GPtrArray) list = machine_classes();

    printf("Supported machines are:\n");
    for (guint i = 0; i < list->len; i++) {
        MachineClass *mc = g_ptr_array_index(list, i);
        if (mc->alias) {
            printf("%-20s %s (alias of %s)\n", mc->alias, mc->desc, mc->name);
        }
        printf("%-20s %s%s\n", mc->name, mc->desc, mc->is_default ? " (default)" : "");
    }
}

Machine *machine_create(MachineClass *mc, GError **errp)
{
    Machine *m = MACHINE(object_new(G_OBJECT_CLASS_TYPE(mc)));

    m->ram_size = mc->default_ram_size;
    object_add_child(object_get_root(), "machine", OBJECT(m), NULL);
    g_object_unref(m);
    current_machine = m;
    return m;
}

gboolean machine_start(Machine *m, GError **errp)
{
    MachineClass *mc = MACHINE_GET_CLASS(m);

    m->sysbus = qbus_new(system_bus_get_type(), NULL, "main-system-bus");
    object_add_child(container_get("/machine/unattached"), "sysbus", OBJECT(m->sysbus), NULL);
    qbus_set_hotplug_handler(m->sysbus, OBJECT(m), mc->hotplug);
    container_get("/machine/peripheral");
    container_get("/machine/peripheral-anon");
    return mc->init(m, errp);
}

gboolean machine_init_done(Machine *m, GError **errp)
{
    MachineClass *mc = MACHINE_GET_CLASS(m);

    m->done = true;
    machine_reset(m);
    return mc->init_done ? mc->init_done(m, errp) : TRUE;
}

void machine_reset(Machine *m)
{
    MachineClass *mc = MACHINE_GET_CLASS(m);

    if (mc->reset) {
        mc->reset(m);
    } else {
        bus_reset(m->sysbus);
    }
}

void machine_destroy(Machine *m)
{
    Bus *sysbus = m->sysbus;

    while (sysbus && sysbus->children->len) {
        Device *d = g_ptr_array_index(sysbus->children, sysbus->children->len - 1);
        g_object_ref(d);
        qdev_unrealize(d);
        object_unparent(OBJECT(d));
        g_object_unref(d);
    }
    current_machine = NULL;
    g_object_ref(m);
    object_unparent(OBJECT(m));
    g_clear_object(&m->sysbus);
    memory_region_finalize(&m->ram);
    g_object_unref(m);
}
